//! The integrity check: every rule of the journal recomputed from its rows, each failure
//! reported with the IDs to look at. The database refuses these states already (`setup.rs`);
//! the check proves it, and finds a row changed behind its back.

use lintel_domain::ledger::{Discrepancy, DiscrepancyKind, IntegrityReport};
use sea_query::{Alias, Expr, JoinType, SelectStatement};

use super::journal::{JournalEntries as E, JournalLines as L, JournalRepo};
use super::Accounts as A;
use crate::db::Count;
use crate::error::Result;
use crate::scope;

/// `SUM(±amount_minor)`, debits positive, as BIGINT on both databases.
const SIGNED: &str =
    "CAST(SUM(CASE WHEN side = 'debit' THEN amount_minor ELSE -amount_minor END) AS BIGINT)";

#[derive(serde::Deserialize)]
struct Unbalanced {
    entry_id: String,
    currency: String,
    net: i64,
}

#[derive(serde::Deserialize)]
struct EntryOnly {
    id: String,
}

#[derive(serde::Deserialize)]
struct LineRef {
    id: String,
    entry_id: String,
    account_id: String,
}

#[derive(serde::Deserialize)]
struct Unmirrored {
    id: String,
    account_id: String,
    currency: String,
    net: i64,
}

fn found(
    kind: DiscrepancyKind,
    entry: Option<&str>,
    line: Option<&str>,
    account: Option<&str>,
    detail: String,
) -> Discrepancy {
    Discrepancy {
        kind,
        entry_id: entry.map(str::to_string),
        line_id: line.map(str::to_string),
        account_id: account.map(str::to_string),
        record_id: None,
        detail,
    }
}

#[derive(serde::Deserialize)]
struct DayTotal {
    account_id: String,
    currency: String,
    entry_date: String,
    debits: i64,
    credits: i64,
}

impl JournalRepo<'_> {
    /// Each account's kept totals per currency and day against the sums of its lines.
    async fn day_totals(&self, out: &mut Vec<Discrepancy>) -> Result<()> {
        use super::journal::AccountDayTotals as T;
        use std::collections::BTreeMap;
        let sum = |c: &str| Expr::cust(format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)"));
        let from_lines: Vec<DayTotal> = self
            .db
            .all_long(
                &self
                    .lines()
                    .columns([L::AccountId, L::Currency, L::EntryDate])
                    .expr_as(
                        sum("CASE WHEN side = 'debit' THEN amount_minor ELSE 0 END"),
                        Alias::new("debits"),
                    )
                    .expr_as(
                        sum("CASE WHEN side = 'credit' THEN amount_minor ELSE 0 END"),
                        Alias::new("credits"),
                    )
                    .group_by_col(L::AccountId)
                    .group_by_col(L::Currency)
                    .group_by_col(L::EntryDate)
                    .to_owned(),
            )
            .await?;
        let kept: Vec<DayTotal> = self
            .db
            .all_long(
                &scope::select::<T>(self.org)
                    .columns([T::AccountId, T::Currency, T::EntryDate])
                    .expr_as(sum("debits_minor"), Alias::new("debits"))
                    .expr_as(sum("credits_minor"), Alias::new("credits"))
                    .group_by_col(T::AccountId)
                    .group_by_col(T::Currency)
                    .group_by_col(T::EntryDate)
                    .to_owned(),
            )
            .await?;
        type Key = (String, String, String);
        let mut both: BTreeMap<Key, [(i64, i64); 2]> = BTreeMap::new();
        for (i, rows) in [from_lines, kept].into_iter().enumerate() {
            for r in rows {
                let key = (r.account_id, r.currency, r.entry_date);
                both.entry(key).or_default()[i] = (r.debits, r.credits);
            }
        }
        for ((account, currency, date), [lines, kept]) in both {
            if lines != kept {
                let detail = format!(
                    "totals kept for {date} in {currency} are {} debit, {} credit; its lines add \
                     up to {} debit, {} credit",
                    kept.0, kept.1, lines.0, lines.1
                );
                let kind = DiscrepancyKind::AccountTotalsMismatch;
                out.push(found(kind, None, None, Some(&account), detail));
            }
        }
        Ok(())
    }

    fn lines(&self) -> SelectStatement {
        scope::select::<L>(self.org)
    }

    /// The organisation's lines, with what a finding about one names.
    fn line_refs(&self) -> SelectStatement {
        self.lines()
            .columns([
                (L::Table, L::Id),
                (L::Table, L::EntryId),
                (L::Table, L::AccountId),
            ])
            .to_owned()
    }

    /// Reports each line `q` (started from [`Self::line_refs`]) finds as `kind`.
    async fn report_lines(
        &self,
        q: SelectStatement,
        kind: DiscrepancyKind,
        detail: &str,
        out: &mut Vec<Discrepancy>,
    ) -> Result<()> {
        let rows: Vec<LineRef> = self.db.all(&q).await?;
        for r in rows {
            let (entry, line, account) = (Some(&*r.entry_id), Some(&*r.id), Some(&*r.account_id));
            out.push(found(kind, entry, line, account, detail.to_string()));
        }
        Ok(())
    }

    /// Recomputes every rule of the organisation's journal.
    pub async fn integrity(&self) -> Result<IntegrityReport> {
        let mut out = Vec::new();
        let org = self.org;

        // Entries whose lines do not balance in a currency.
        let rows: Vec<Unbalanced> = self
            .db
            .all(
                &self
                    .lines()
                    .column(L::EntryId)
                    .column(L::Currency)
                    .expr_as(Expr::cust(SIGNED), Alias::new("net"))
                    .group_by_col(L::EntryId)
                    .group_by_col(L::Currency)
                    .and_having(Expr::cust(SIGNED).ne(0))
                    .to_owned(),
            )
            .await?;
        for r in rows {
            let detail = format!("debits less credits in {} are {}", r.currency, r.net);
            out.push(found(
                DiscrepancyKind::UnbalancedEntry,
                Some(&r.entry_id),
                None,
                None,
                detail,
            ));
        }

        // Entries with fewer than two lines: one grouped join (a subquery per entry is planned
        // as a scan per entry when the planner's statistics are stale).
        let rows: Vec<EntryOnly> = self
            .db
            .all_long(
                &scope::select::<E>(org)
                    .column((E::Table, E::Id))
                    .join(
                        JoinType::LeftJoin,
                        L::Table,
                        Expr::col((L::Table, L::EntryId))
                            .equals((E::Table, E::Id))
                            .and(Expr::col((L::Table, L::OrgId)).equals((E::Table, E::OrgId))),
                    )
                    .group_by_col((E::Table, E::Id))
                    .and_having(Expr::expr(Expr::col((L::Table, L::Id)).count()).lt(2))
                    .to_owned(),
            )
            .await?;
        for r in rows {
            let detail = "an entry has fewer than two lines".to_string();
            out.push(found(
                DiscrepancyKind::EntryWithoutLines,
                Some(&r.id),
                None,
                None,
                detail,
            ));
        }

        // Lines dated otherwise than their entry, or whose entry is missing.
        let q = self
            .line_refs()
            .join(
                JoinType::LeftJoin,
                E::Table,
                Expr::col((E::Table, E::Id))
                    .equals((L::Table, L::EntryId))
                    .and(Expr::col((E::Table, E::OrgId)).equals((L::Table, L::OrgId))),
            )
            .and_where(Expr::col((E::Table, E::Id)).is_null())
            .to_owned();
        self.report_lines(
            q,
            DiscrepancyKind::OrphanLine,
            "the line's entry is not the organisation's",
            &mut out,
        )
        .await?;
        let q = self
            .line_refs()
            .inner_join(
                E::Table,
                Expr::col((E::Table, E::Id)).equals((L::Table, L::EntryId)),
            )
            .and_where(Expr::col((E::Table, E::EntryDate)).ne(Expr::col((L::Table, L::EntryDate))))
            .to_owned();
        self.report_lines(
            q,
            DiscrepancyKind::LineDateMismatch,
            "the line is dated otherwise than its entry",
            &mut out,
        )
        .await?;

        // Lines on accounts that are not the organisation's.
        let q = self
            .line_refs()
            .join(
                JoinType::LeftJoin,
                A::Table,
                Expr::col((A::Table, A::Id))
                    .equals((L::Table, L::AccountId))
                    .and(Expr::col((A::Table, A::OrgId)).equals((L::Table, L::OrgId))),
            )
            .and_where(Expr::col((A::Table, A::Id)).is_null())
            .to_owned();
        self.report_lines(
            q,
            DiscrepancyKind::LineOnUnknownAccount,
            "the line's account is not the organisation's",
            &mut out,
        )
        .await?;

        // Reversals whose lines, with the original's, do not net to zero per account.
        let rows: Vec<Unmirrored> =
            self.db
                .all(
                    &scope::select::<E>(org)
                        .column((E::Table, E::Id))
                        .column((L::Table, L::AccountId))
                        .column((L::Table, L::Currency))
                        .expr_as(Expr::cust(SIGNED), Alias::new("net"))
                        .inner_join(
                            L::Table,
                            Expr::col((L::Table, L::EntryId))
                                .equals((E::Table, E::Id))
                                .or(Expr::col((L::Table, L::EntryId))
                                    .equals((E::Table, E::ReversalOf))),
                        )
                        .and_where(Expr::col((E::Table, E::ReversalOf)).is_not_null())
                        .group_by_col((E::Table, E::Id))
                        .group_by_col((L::Table, L::AccountId))
                        .group_by_col((L::Table, L::Currency))
                        .and_having(Expr::cust(SIGNED).ne(0))
                        .to_owned(),
                )
                .await?;
        for r in rows {
            let detail = format!(
                "with the entry it reverses, {} is left in {}",
                r.net, r.currency
            );
            out.push(found(
                DiscrepancyKind::ReversalDoesNotMirror,
                Some(&r.id),
                None,
                Some(&r.account_id),
                detail,
            ));
        }

        self.day_totals(&mut out).await?;
        super::integrity_money::check(self.db, org, &mut out).await?;

        let entries: Count = self.db.one(&scope::count::<E>(org)).await?;
        let lines: Count = self.db.one(&scope::count::<L>(org)).await?;
        Ok(IntegrityReport {
            organisation_id: org,
            sound: out.is_empty(),
            entries_checked: entries.n,
            lines_checked: lines.n,
            discrepancies: out,
        })
    }
}
