//! Rent schedules: the periods a lease's rent is charged for, with their due dates and
//! amounts, and the late fee a late rent charge earns. Pure date arithmetic, so a billing run
//! can be repeated at any time and always finds the same periods.
//!
//! A period starts on a due date and runs to the next one. A lease that starts between due
//! dates first pays a prorated stub from its start to the first due date, due on its start; a
//! lease that ends inside a period pays that period prorated to its end date (inclusive).
//! Monthly rent is prorated day by day on the actual length of each calendar month the stub
//! touches (rent × days ÷ days in that month, per month); other frequencies on the length of
//! the period. Each prorated amount is rounded to the nearest minor unit, halves up, once per
//! calendar month for monthly rent and once per period otherwise.

use chrono::{Datelike, Months, NaiveDate, Weekday};

use crate::leasing::{LateFee, LateFeeKind, RentFrequency};
use crate::time::Date;

/// One period of rent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RentPeriod {
    /// Its first day, which is also its due date (and the charge's billing key).
    pub start: Date,
    /// The day after its last.
    pub end: Date,
    pub amount_minor: i64,
    /// Shorter than a whole period: a first stub or a last part.
    pub prorated: bool,
}

/// `a × b ÷ c` rounded to the nearest integer, halves up (for non-negative values).
pub fn mul_div_round(a: i64, b: i64, c: i64) -> i64 {
    debug_assert!(c > 0);
    let n = i128::from(a) * i128::from(b);
    let c = i128::from(c);
    ((2 * n + c) / (2 * c)) as i64
}

fn days_in_month(d: NaiveDate) -> i64 {
    let first = d.with_day(1).expect("day 1 exists");
    let next = first + Months::new(1);
    (next - first).num_days()
}

fn months(freq: RentFrequency) -> Option<u32> {
    match freq {
        RentFrequency::Monthly => Some(1),
        RentFrequency::Quarterly => Some(3),
        RentFrequency::Yearly => Some(12),
        RentFrequency::Weekly | RentFrequency::Fortnightly => None,
    }
}

/// The first due date on or after `from`.
fn first_due(from: NaiveDate, freq: RentFrequency, due_day: i64) -> NaiveDate {
    match months(freq) {
        Some(_) => {
            let day = due_day.clamp(1, 28) as u32;
            let this = from.with_day(day).expect("days 1-28 exist");
            if this >= from {
                this
            } else {
                this + Months::new(1)
            }
        }
        None => {
            let want = Weekday::try_from((due_day.clamp(1, 7) - 1) as u8).expect("1-7");
            let ahead = (7 + i64::from(want.num_days_from_monday())
                - i64::from(from.weekday().num_days_from_monday()))
                % 7;
            from + chrono::Duration::days(ahead)
        }
    }
}

/// The due date after `due`.
fn next_due(due: NaiveDate, freq: RentFrequency) -> NaiveDate {
    match (months(freq), freq) {
        (Some(m), _) => due + Months::new(m),
        (None, RentFrequency::Weekly) => due + chrono::Duration::days(7),
        _ => due + chrono::Duration::days(14),
    }
}

/// The due date before `due`.
fn prev_due(due: NaiveDate, freq: RentFrequency) -> NaiveDate {
    match (months(freq), freq) {
        (Some(m), _) => due - Months::new(m),
        (None, RentFrequency::Weekly) => due - chrono::Duration::days(7),
        _ => due - chrono::Duration::days(14),
    }
}

/// Rent for the days `[from, to)` of the period `[period_start, period_end)`.
fn prorate(
    rent: i64,
    freq: RentFrequency,
    from: NaiveDate,
    to: NaiveDate,
    period_start: NaiveDate,
    period_end: NaiveDate,
) -> i64 {
    if freq == RentFrequency::Monthly {
        // Day by day on each calendar month's own length.
        let mut total = 0;
        let mut cursor = from;
        while cursor < to {
            let month_end = cursor.with_day(1).expect("day 1") + Months::new(1);
            let stop = month_end.min(to);
            let days = (stop - cursor).num_days();
            total += mul_div_round(rent, days, days_in_month(cursor));
            cursor = stop;
        }
        total
    } else {
        let days = (to - from).num_days();
        mul_div_round(rent, days, (period_end - period_start).num_days())
    }
}

/// The lease's rent periods due on or before `through`: a stub first when the lease starts
/// off its due day, the last period cut at `end` (inclusive) when it ends inside one.
pub fn rent_periods(
    start: Date,
    end: Option<Date>,
    rent: i64,
    freq: RentFrequency,
    due_day: i64,
    through: Date,
) -> Vec<RentPeriod> {
    let mut out = Vec::new();
    let stop = end.map(|e| e.0 + chrono::Duration::days(1));
    let first = first_due(start.0, freq, due_day);
    if first > start.0 {
        let period_start = prev_due(first, freq);
        let to = stop.map_or(first, |s| s.min(first));
        if start.0 <= through.0 && to > start.0 {
            out.push(RentPeriod {
                start,
                end: Date(to),
                amount_minor: prorate(rent, freq, start.0, to, period_start, first),
                prorated: true,
            });
        }
    }
    let mut due = first;
    while due <= through.0 && stop.is_none_or(|s| due < s) {
        let next = next_due(due, freq);
        let (to, prorated) = match stop {
            Some(s) if s < next => (s, true),
            _ => (next, false),
        };
        let amount_minor = if prorated {
            prorate(rent, freq, due, to, due, next)
        } else {
            rent
        };
        out.push(RentPeriod {
            start: Date(due),
            end: Date(to),
            amount_minor,
            prorated,
        });
        due = next;
    }
    out
}

/// The late fee a rent charge of `rent_minor` due on `due` earns under `fee`: its amount and
/// the day it applies (the first day after the grace days), or `None` for a zero fee.
pub fn late_fee(fee: &LateFee, rent_minor: i64, due: Date) -> Option<(i64, Date)> {
    let amount = match fee.kind {
        LateFeeKind::Fixed => fee.amount.as_ref()?.amount_minor,
        LateFeeKind::Percent => mul_div_round(rent_minor, fee.basis_points?, 10_000),
    };
    (amount > 0).then(|| (amount, due.add_days(fee.grace_days + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn summary(p: &[RentPeriod]) -> Vec<(String, String, i64)> {
        p.iter()
            .map(|p| (p.start.to_string(), p.end.to_string(), p.amount_minor))
            .collect()
    }

    #[test]
    fn monthly_with_a_stub_and_a_last_part() {
        let m = RentFrequency::Monthly;
        // Starts on the 20th of a 31-day month, rent due on the 1st: 12 days of 31.
        let p = rent_periods(d("2026-01-20"), None, 310000, m, 1, d("2026-03-01"));
        assert_eq!(
            summary(&p),
            [
                ("2026-01-20".into(), "2026-02-01".into(), 120000),
                ("2026-02-01".into(), "2026-03-01".into(), 310000),
                ("2026-03-01".into(), "2026-04-01".into(), 310000),
            ]
        );
        // A stub across two months, each prorated on its own length: 12/31 + 14/28.
        let p = rent_periods(d("2026-01-20"), None, 100000, m, 15, d("2026-01-31"));
        assert_eq!(p[0].amount_minor, mul_div_round(100000, 12, 31) + 50000);
        // Ending mid-period: the last part up to the end date, inclusive (15 of 30 days).
        let p = rent_periods(
            d("2026-04-01"),
            Some(d("2026-06-15")),
            300000,
            m,
            1,
            d("2026-12-31"),
        );
        assert_eq!(
            summary(&p),
            [
                ("2026-04-01".into(), "2026-05-01".into(), 300000),
                ("2026-05-01".into(), "2026-06-01".into(), 300000),
                ("2026-06-01".into(), "2026-06-16".into(), 150000),
            ]
        );
        // Nothing due yet.
        assert!(rent_periods(d("2026-04-02"), None, 1, m, 1, d("2026-04-01")).is_empty());
    }

    #[test]
    fn weekly_and_yearly() {
        // 2026-11-30 is a Monday; rent due on Fridays (5): a 4-day stub of 7.
        let p = rent_periods(
            d("2026-11-30"),
            None,
            70000,
            RentFrequency::Weekly,
            5,
            d("2026-12-11"),
        );
        assert_eq!(
            summary(&p),
            [
                ("2026-11-30".into(), "2026-12-04".into(), 40000),
                ("2026-12-04".into(), "2026-12-11".into(), 70000),
                ("2026-12-11".into(), "2026-12-18".into(), 70000),
            ]
        );
        let p = rent_periods(
            d("2026-01-01"),
            None,
            1200000,
            RentFrequency::Yearly,
            1,
            d("2027-01-01"),
        );
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|p| p.amount_minor == 1200000 && !p.prorated));
    }

    #[test]
    fn late_fees_fixed_and_percent() {
        let fixed = LateFee {
            grace_days: 5,
            kind: LateFeeKind::Fixed,
            amount: Some(crate::money::MoneyDto {
                amount_minor: 5000,
                currency: "CAD".into(),
            }),
            basis_points: None,
        };
        assert_eq!(
            late_fee(&fixed, 185000, d("2026-12-01")),
            Some((5000, d("2026-12-07")))
        );
        let pct = LateFee {
            grace_days: 0,
            kind: LateFeeKind::Percent,
            amount: None,
            basis_points: Some(250),
        };
        // 2.5 % of 1,850.01 is 46.25025: 4625 minor units.
        assert_eq!(late_fee(&pct, 185001, d("2026-12-01")).unwrap().0, 4625);
        assert_eq!(mul_div_round(1, 1, 2), 1);
        assert_eq!(mul_div_round(1, 1, 3), 0);
    }
}
