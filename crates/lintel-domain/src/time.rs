//! Instants stored as Unix milliseconds and shown as RFC 3339.

use serde::{Serialize, Serializer};

/// A calendar day, shown and stored as `YYYY-MM-DD` (which sorts as the days do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub chrono::NaiveDate);

impl Date {
    /// Parses `YYYY-MM-DD` exactly (no time, no other layout).
    pub fn parse(raw: &str) -> Option<Date> {
        if raw.len() != 10 {
            return None;
        }
        chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .map(Date)
    }

    /// Today in `tz`, an IANA time-zone name (UTC when unknown).
    pub fn today_in(tz: &str) -> Date {
        let now = chrono::Utc::now();
        match tz.parse::<chrono_tz::Tz>() {
            Ok(zone) => Date(now.with_timezone(&zone).date_naive()),
            Err(_) => Date(now.date_naive()),
        }
    }

    /// The next day.
    pub fn succ(self) -> Date {
        Date(self.0.succ_opt().unwrap_or(self.0))
    }

    /// `days` later (earlier when negative); the same day if that leaves the calendar.
    pub fn add_days(self, days: i64) -> Date {
        let moved = self.0.checked_add_signed(chrono::TimeDelta::days(days));
        Date(moved.unwrap_or(self.0))
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&raw).ok_or_else(|| serde::de::Error::custom("expected a date as YYYY-MM-DD"))
    }
}

impl utoipa::PartialSchema for Date {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )))
            .examples([serde_json::json!("2026-09-01")])
            .into()
    }
}

impl utoipa::ToSchema for Date {}

/// A UTC instant with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(chrono::Utc::now().timestamp_millis())
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn to_rfc3339(self) -> String {
        let mut buf = [0u8; RFC3339_LEN];
        match self.write_rfc3339(&mut buf) {
            Some(text) => text.to_string(),
            None => self.to_rfc3339_slow(),
        }
    }

    /// `2026-11-30T04:11:24.123Z` written into `buf` (years 0–9999; `None` outside them).
    fn write_rfc3339(self, buf: &mut [u8; RFC3339_LEN]) -> Option<&str> {
        let (secs, ms) = (self.0.div_euclid(1000), self.0.rem_euclid(1000));
        let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        *buf = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut n: i64| {
            for i in (at..at + width).rev() {
                buf[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, i64::from(m));
        put(8, 2, i64::from(d));
        put(11, 2, rest / 3600);
        put(14, 2, rest % 3600 / 60);
        put(17, 2, rest % 60);
        put(20, 3, ms);
        std::str::from_utf8(buf).ok()
    }

    fn to_rfc3339_slow(self) -> String {
        chrono::DateTime::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

const RFC3339_LEN: usize = 24;

/// The proleptic Gregorian date (year, month, day) of a day number counted from 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // On the stack: every record in every answer carries two or three timestamps.
        let mut buf = [0u8; RFC3339_LEN];
        match self.write_rfc3339(&mut buf) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_str(&self.to_rfc3339_slow()),
        }
    }
}

#[cfg(test)]
mod rfc3339_tests {
    use super::Timestamp;

    #[test]
    fn written_as_chrono_writes_them() {
        for ms in [
            0,
            1,
            999,
            -1,
            -86_400_001,
            951_782_400_000,
            1_700_000_000_123,
            1_798_761_599_999,
            253_402_300_799_999,
            253_402_300_800_000,
            -62_167_219_200_001,
        ] {
            let t = Timestamp(ms);
            assert_eq!(t.to_rfc3339(), t.to_rfc3339_slow(), "{ms}");
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.to_rfc3339_slow())
            );
        }
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .examples([serde_json::json!("2026-11-23T09:30:00.000Z")])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_millis() {
        assert_eq!(super::Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
    }
}
