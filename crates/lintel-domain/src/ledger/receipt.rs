//! Receipts: which payments have one, and amounts written out in figures and in words as a
//! receipt shows them.

use super::PaymentStatus;
use crate::money::Currency;

/// The answer (409) for a payment that has no receipt: pending, failed or returned.
pub const RECEIPT_UNAVAILABLE: &str =
    "Receipt is available only after successful payment confirmation.";

impl PaymentStatus {
    /// The payment succeeded (and may have been refunded since): it has a receipt.
    pub fn has_receipt(self) -> bool {
        matches!(
            self,
            PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
    }
}

/// `amount_minor` in figures: `1,850.00 CAD` (grouped by thousands, the currency's own number
/// of decimals; a minus sign for a negative amount).
pub fn in_figures(amount_minor: i64, currency: Currency) -> String {
    let digits = u32::from(currency.minor_digits());
    let scale = 10u64.pow(digits);
    let abs = amount_minor.unsigned_abs();
    let (major, minor) = (abs / scale, abs % scale);
    let raw = major.to_string();
    let mut grouped = String::with_capacity(raw.len() + raw.len() / 3);
    for (i, ch) in raw.chars().enumerate() {
        if i > 0 && (raw.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if amount_minor < 0 { "-" } else { "" };
    if digits == 0 {
        format!("{sign}{grouped} {}", currency.code())
    } else {
        let width = digits as usize;
        format!("{sign}{grouped}.{minor:0width$} {}", currency.code())
    }
}

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const SCALES: [&str; 5] = ["", "thousand", "million", "billion", "trillion"];

/// 0–999 in words.
fn hundreds(n: u64, out: &mut Vec<String>) {
    let (h, rest) = (n / 100, n % 100);
    if h > 0 {
        out.push(format!("{} hundred", ONES[h as usize]));
    }
    match rest {
        0 => {}
        1..=19 => out.push(ONES[rest as usize].to_string()),
        _ => {
            let (t, o) = (rest / 10, rest % 10);
            if o == 0 {
                out.push(TENS[t as usize].to_string());
            } else {
                out.push(format!("{}-{}", TENS[t as usize], ONES[o as usize]));
            }
        }
    }
}

/// A whole number in English words: `1850` → `one thousand eight hundred fifty`.
pub fn number_in_words(n: u64) -> String {
    if n == 0 {
        return ONES[0].into();
    }
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let mut words = Vec::new();
    for (i, g) in groups.iter().enumerate().rev() {
        if *g == 0 {
            continue;
        }
        hundreds(*g, &mut words);
        if let Some(scale) = SCALES.get(i).filter(|s| !s.is_empty()) {
            words.push((*scale).to_string());
        }
    }
    words.join(" ")
}

/// `amount_minor` in words, as written on a cheque: `One thousand eight hundred fifty and
/// 00/100 CAD`.
pub fn in_words(amount_minor: i64, currency: Currency) -> String {
    let digits = u32::from(currency.minor_digits());
    let scale = 10u64.pow(digits);
    let abs = amount_minor.unsigned_abs();
    let mut words = number_in_words(abs / scale);
    if let Some(first) = words.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if digits == 0 {
        format!("{words} {}", currency.code())
    } else {
        let width = digits as usize;
        format!(
            "{words} and {:0width$}/{scale} {}",
            abs % scale,
            currency.code()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_words() {
        let cad = Currency::parse("CAD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(in_figures(185000, cad), "1,850.00 CAD");
        assert_eq!(in_figures(5, cad), "0.05 CAD");
        assert_eq!(in_figures(-123456789, cad), "-1,234,567.89 CAD");
        assert_eq!(in_figures(1000, jpy), "1,000 JPY");
        assert_eq!(
            in_words(185000, cad),
            "One thousand eight hundred fifty and 00/100 CAD"
        );
        assert_eq!(
            in_words(200_102_107, cad),
            "Two million one thousand twenty-one and 07/100 CAD"
        );
        assert_eq!(in_words(0, cad), "Zero and 00/100 CAD");
        assert_eq!(in_words(1000, jpy), "One thousand JPY");
        assert_eq!(number_in_words(115), "one hundred fifteen");
        assert_eq!(number_in_words(10_000_000_000_000), "ten trillion");
    }
}
