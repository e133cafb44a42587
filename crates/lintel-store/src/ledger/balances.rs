//! Balances from the journal: an account's balance per currency and the trial balance, as of a
//! day, summed from each account's totals per day (`account_day_totals`, kept with the lines
//! by the transaction that posts them; the integrity check recomputes them from the lines).

use std::collections::BTreeMap;

use lintel_domain::ledger::{
    Account, AccountBalance, CurrencyBalance, TrialBalance, TrialBalanceRow,
};
use lintel_domain::{AccountId, Date};
use sea_query::{Alias, Expr, Order};

use super::journal::{AccountDayTotals as T, JournalRepo};
use super::AccountRepo;
use crate::error::{Result, StoreError};
use crate::scope;

/// `CAST(COALESCE(SUM(<column>), 0) AS BIGINT)`.
fn total(column: &str) -> sea_query::SimpleExpr {
    Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"))
}

#[derive(serde::Deserialize)]
struct Totals {
    account_id: String,
    currency: String,
    debits: i64,
    credits: i64,
}

impl JournalRepo<'_> {
    /// `as_of`, or today in the organisation's time zone.
    async fn day(&self, as_of: Option<Date>) -> Result<Date> {
        match as_of {
            Some(d) => Ok(d),
            None => crate::leasing::leases::today_in(self.db, self.org).await,
        }
    }

    /// Totals per account and currency of the entries dated on or before `as_of` (all
    /// accounts, or one).
    async fn totals(&self, as_of: Date, account: Option<AccountId>) -> Result<Vec<Totals>> {
        let mut q = scope::select::<T>(self.org)
            .column(T::AccountId)
            .column(T::Currency)
            .expr_as(total("debits_minor"), Alias::new("debits"))
            .expr_as(total("credits_minor"), Alias::new("credits"))
            .and_where(Expr::col(T::EntryDate).lte(as_of.to_string()))
            .group_by_col(T::AccountId)
            .group_by_col(T::Currency)
            .order_by(T::AccountId, Order::Asc)
            .order_by(T::Currency, Order::Asc)
            .to_owned();
        if let Some(a) = account {
            q.and_where(Expr::col(T::AccountId).eq(a.to_string()));
        }
        self.db.all(&q).await
    }

    /// An account's balance in each currency it holds, as of a day.
    pub async fn balance(
        &self,
        accounts: &AccountRepo<'_>,
        id: AccountId,
        as_of: Option<Date>,
    ) -> Result<AccountBalance> {
        let account = accounts.get(id).await?;
        let as_of = self.day(as_of).await?;
        let balances = self
            .totals(as_of, Some(id))
            .await?
            .into_iter()
            .map(|t| CurrencyBalance::new(account.kind, t.currency, t.debits, t.credits))
            .collect();
        Ok(AccountBalance {
            account_id: id,
            kind: account.kind,
            as_of,
            balances,
        })
    }

    /// Every account with lines as of a day, and the totals per currency.
    pub async fn trial_balance(
        &self,
        chart: &[Account],
        as_of: Option<Date>,
    ) -> Result<TrialBalance> {
        let as_of = self.day(as_of).await?;
        let mut rows = Vec::new();
        let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for t in self.totals(as_of, None).await? {
            let account = chart
                .iter()
                .find(|a| a.id.to_string() == t.account_id)
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("line of unknown account {}", t.account_id))
                })?;
            let s = sums.entry(t.currency.clone()).or_default();
            s.0 += t.debits;
            s.1 += t.credits;
            rows.push(TrialBalanceRow {
                account_id: account.id,
                code: account.code.clone(),
                name: account.name.clone(),
                kind: account.kind,
                totals: CurrencyBalance::new(account.kind, t.currency, t.debits, t.credits),
            });
        }
        rows.sort_by(|a, b| (&a.code, &a.totals.currency).cmp(&(&b.code, &b.totals.currency)));
        let base_currency = crate::identity::base_currency_in(self.db, self.org).await?;
        let mut totals: Vec<CurrencyBalance> = sums
            .into_iter()
            .map(|(currency, (d, c))| CurrencyBalance {
                currency,
                debits_minor: d,
                credits_minor: c,
                balance_minor: d - c,
            })
            .collect();
        totals.sort_by_key(|t| t.currency != base_currency);
        let balanced = totals.iter().all(|t| t.debits_minor == t.credits_minor);
        Ok(TrialBalance {
            as_of,
            base_currency,
            rows,
            totals,
            balanced,
        })
    }
}
