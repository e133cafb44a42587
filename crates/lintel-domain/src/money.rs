//! Exact money: integer minor units and an ISO-4217 currency. Never floating point.

use serde::{Deserialize, Serialize};

use crate::validation::Validator;

/// ISO-4217 codes in current use, with their number of minor-unit digits.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// An ISO-4217 currency code known to Lintel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(&'static str, u8);

impl Currency {
    pub fn parse(code: &str) -> Option<Currency> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, d)| Currency(c, *d))
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    /// Digits after the decimal point (2 for USD, 0 for JPY, 3 for KWD).
    pub fn minor_digits(self) -> u8 {
        self.1
    }
}

/// Documented as a string enum of the known codes (component `Currency`).
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some(
                "ISO-4217 currency code, upper case (the codes Lintel knows).",
            ))
            .enum_values(Some(CURRENCIES.iter().map(|(code, _)| *code)))
            .examples([serde_json::json!("USD")])
            .into()
    }
}

impl utoipa::ToSchema for Currency {}

/// An amount of money in a currency's minor units (cents for USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

/// The wire form of money: `{"amountMinor": 150000, "currency": "USD"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoneyDto {
    /// Amount in the currency's minor units (e.g. cents), 0 to 10^13. Never a float.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 185000)]
    pub amount_minor: i64,
    /// ISO-4217 currency code, upper case.
    #[schema(value_type = Currency, example = "USD")]
    pub currency: String,
}

/// The largest amount accepted anywhere: 10^13 minor units (100 billion in a 2-digit currency).
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000_000;

impl Money {
    /// Validates a non-negative amount.
    pub fn validate_non_negative(v: &mut Validator, field: &str, dto: &MoneyDto) -> Option<Money> {
        let amount = v.int_range(
            &format!("{field}.amountMinor"),
            dto.amount_minor,
            0,
            MAX_AMOUNT_MINOR,
        );
        let currency = Currency::parse(&dto.currency);
        if currency.is_none() {
            v.error(
                &format!("{field}.currency"),
                "must be an ISO-4217 currency code such as USD, EUR or GBP",
            );
        }
        Some(Money {
            amount_minor: amount?,
            currency: currency?,
        })
    }

    /// Validates an amount of more than zero.
    pub fn validate_positive(v: &mut Validator, field: &str, dto: &MoneyDto) -> Option<Money> {
        let m = Money::validate_non_negative(v, field, dto)?;
        if m.amount_minor == 0 {
            v.error(&format!("{field}.amountMinor"), "must be more than zero");
            return None;
        }
        Some(m)
    }

    pub fn to_dto(self) -> MoneyDto {
        MoneyDto {
            amount_minor: self.amount_minor,
            currency: self.currency.code().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_and_bounds() {
        assert_eq!(Currency::parse("JPY").unwrap().minor_digits(), 0);
        assert!(Currency::parse("usd").is_none());
        let mut v = Validator::new();
        let bad = MoneyDto {
            amount_minor: -1,
            currency: "XXX".into(),
        };
        assert!(Money::validate_non_negative(&mut v, "rent", &bad).is_none());
        assert_eq!(v.into_errors().len(), 2);
    }
}
