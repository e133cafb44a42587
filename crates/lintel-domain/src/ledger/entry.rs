//! Journal entries: lines of debits and credits that balance in every currency. A
//! [`BalancedEntry`] can only be built balanced, so nothing unbalanced reaches the store.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::id::{AccountId, LeaseId, PropertyId, TenantId, UnitId};
use crate::money::{Currency, Money};

crate::string_enum! {
    /// Which side of an account a line is on.
    Side {
        Debit => "debit",
        Credit => "credit",
    }
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Debit => Side::Credit,
            Side::Credit => Side::Debit,
        }
    }
}

/// What a line is about, where that applies: the record a report can group it by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dimensions {
    pub property_id: Option<PropertyId>,
    pub unit_id: Option<UnitId>,
    pub lease_id: Option<LeaseId>,
    pub tenant_id: Option<TenantId>,
}

/// One line of an entry: an amount, more than zero, on one side of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub account: AccountId,
    pub side: Side,
    pub amount: Money,
    pub dims: Dimensions,
}

/// Why lines do not make an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unbalanced {
    #[error("an entry needs at least two lines")]
    TooFewLines,
    #[error("line {0}: an amount must be more than zero")]
    NotPositive(usize),
    /// Debits and credits differ in a currency: the currency, debits and credits.
    #[error("debits ({debits}) and credits ({credits}) differ in {currency}")]
    Differs {
        currency: &'static str,
        debits: i128,
        credits: i128,
    },
}

/// Lines whose debits equal their credits in every currency, each amount more than zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalancedEntry {
    lines: Vec<Line>,
}

impl BalancedEntry {
    pub fn new(lines: Vec<Line>) -> Result<BalancedEntry, Unbalanced> {
        if lines.len() < 2 {
            return Err(Unbalanced::TooFewLines);
        }
        let mut sums: BTreeMap<&'static str, (i128, i128)> = BTreeMap::new();
        for (i, l) in lines.iter().enumerate() {
            if l.amount.amount_minor <= 0 {
                return Err(Unbalanced::NotPositive(i));
            }
            let s = sums.entry(l.amount.currency.code()).or_default();
            match l.side {
                Side::Debit => s.0 += i128::from(l.amount.amount_minor),
                Side::Credit => s.1 += i128::from(l.amount.amount_minor),
            }
        }
        if let Some((currency, (debits, credits))) = sums.into_iter().find(|(_, (d, c))| d != c) {
            return Err(Unbalanced::Differs {
                currency,
                debits,
                credits,
            });
        }
        Ok(BalancedEntry { lines })
    }

    /// A debit of `amount` to one account and a credit of it to another.
    pub fn transfer(
        debit: AccountId,
        credit: AccountId,
        amount: Money,
        dims: Dimensions,
    ) -> Result<BalancedEntry, Unbalanced> {
        let line = |account, side| Line {
            account,
            side,
            amount,
            dims,
        };
        BalancedEntry::new(vec![line(debit, Side::Debit), line(credit, Side::Credit)])
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// The mirror entry that undoes this one: every line on the other side.
    pub fn reversed(&self) -> BalancedEntry {
        let lines = self
            .lines
            .iter()
            .map(|l| Line {
                side: l.side.opposite(),
                ..*l
            })
            .collect();
        BalancedEntry { lines }
    }

    /// The currencies it moves.
    pub fn currencies(&self) -> Vec<Currency> {
        let mut out: Vec<Currency> = Vec::new();
        for l in &self.lines {
            if !out.contains(&l.amount.currency) {
                out.push(l.amount.currency);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(n: i64, c: &str) -> Money {
        Money {
            amount_minor: n,
            currency: Currency::parse(c).unwrap(),
        }
    }

    fn line(side: Side, n: i64, c: &str) -> Line {
        Line {
            account: AccountId::new(),
            side,
            amount: money(n, c),
            dims: Dimensions::default(),
        }
    }

    #[test]
    fn only_balanced_lines_make_an_entry() {
        use Side::*;
        assert_eq!(
            BalancedEntry::new(vec![line(Debit, 5, "CAD")]),
            Err(Unbalanced::TooFewLines)
        );
        let e = BalancedEntry::new(vec![line(Debit, 5, "CAD"), line(Credit, 0, "CAD")]);
        assert_eq!(e, Err(Unbalanced::NotPositive(1)));
        let e = BalancedEntry::new(vec![line(Debit, 5, "CAD"), line(Credit, 4, "CAD")]);
        assert!(matches!(
            e,
            Err(Unbalanced::Differs {
                currency: "CAD",
                debits: 5,
                credits: 4
            })
        ));
        // Balanced in total but not per currency.
        let e = BalancedEntry::new(vec![line(Debit, 5, "CAD"), line(Credit, 5, "USD")]);
        assert!(matches!(e, Err(Unbalanced::Differs { .. })));
        let ok = BalancedEntry::new(vec![
            line(Debit, 7, "CAD"),
            line(Credit, 3, "CAD"),
            line(Credit, 4, "CAD"),
        ])
        .unwrap();
        let back = ok.reversed();
        assert_eq!(back.lines()[0].side, Credit);
        assert!(BalancedEntry::new(back.lines().to_vec()).is_ok());
    }

    /// Any lines drawn at random: an entry exists exactly when debits equal credits per
    /// currency, and its reversal balances too.
    #[test]
    fn random_lines_balance_exactly_when_built() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for _ in 0..2000 {
            let n = 1 + next(6) as usize;
            let lines: Vec<Line> = (0..n)
                .map(|_| {
                    let side = if next(2) == 0 {
                        Side::Debit
                    } else {
                        Side::Credit
                    };
                    let c = if next(4) == 0 { "USD" } else { "CAD" };
                    line(side, next(5) as i64, c)
                })
                .collect();
            let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
            for l in &lines {
                let sign = if l.side == Side::Debit { 1 } else { -1 };
                *sums.entry(l.amount.currency.code()).or_default() += sign * l.amount.amount_minor;
            }
            let should = n >= 2
                && lines.iter().all(|l| l.amount.amount_minor > 0)
                && sums.values().all(|s| *s == 0);
            match BalancedEntry::new(lines) {
                Ok(e) => {
                    assert!(should);
                    assert!(BalancedEntry::new(e.reversed().lines().to_vec()).is_ok());
                }
                Err(_) => assert!(!should),
            }
        }
    }
}
