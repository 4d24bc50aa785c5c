//! Money: integer amounts in a currency's minor unit with an ISO 4217 code, never a float.
//! JSON carries both the integer (`amount_minor`) and its decimal text (`amount`); CSV carries the
//! decimal text. The number of decimals is the currency's own (EUR 2, JPY 0, BHD 3), from the
//! ISO 4217 table of the `iso_currency` crate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why a currency code cannot carry money here.
pub fn check_currency(code: &str) -> Result<(), String> {
    match iso_currency::Currency::from_code(code) {
        Some(c) if c.exponent().is_some() => Ok(()),
        Some(_) => Err(format!("{code} is not a currency money is paid in")),
        None => Err(format!("{code} is not an ISO 4217 currency code")),
    }
}

/// Decimals of the minor unit (2 when the code is unknown, which validation prevents).
pub fn exponent(code: &str) -> u32 {
    iso_currency::Currency::from_code(code)
        .and_then(|c| c.exponent())
        .map_or(2, u32::from)
}

/// `1234` EUR → `"12.34"`, `-5` EUR → `"-0.05"`, `1200` JPY → `"1200"`: exact decimal text.
pub fn decimal(amount_minor: i64, currency: &str) -> String {
    let places = exponent(currency);
    if places == 0 {
        return amount_minor.to_string();
    }
    let scale = 10u64.pow(places);
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = places as usize
    )
}

/// An amount as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// In the currency's minor unit (cents); negative for a claw-back.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The same amount as exact decimal text in the currency's own decimals, e.g. `"12.50"`.
    pub amount: String,
}

impl Money {
    pub fn new(amount_minor: i64, currency: &str) -> Money {
        Money {
            amount_minor,
            currency: currency.to_string(),
            amount: decimal(amount_minor, currency),
        }
    }
}

/// Sums per currency, in code order (amounts in different currencies never add up).
pub fn totals<'a>(amounts: impl IntoIterator<Item = (i64, &'a str)>) -> Vec<Money> {
    let mut by: BTreeMap<&str, i64> = BTreeMap::new();
    for (amount, currency) in amounts {
        *by.entry(currency).or_default() += amount;
    }
    by.into_iter().map(|(c, a)| Money::new(a, c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_uses_the_currency_decimals() {
        assert_eq!(decimal(1234, "EUR"), "12.34");
        assert_eq!(decimal(5, "EUR"), "0.05");
        assert_eq!(decimal(-5, "EUR"), "-0.05");
        assert_eq!(decimal(-1250, "USD"), "-12.50");
        assert_eq!(decimal(0, "GBP"), "0.00");
        assert_eq!(decimal(1200, "JPY"), "1200");
        assert_eq!(decimal(-1200, "JPY"), "-1200");
        assert_eq!(decimal(1234, "BHD"), "1.234");
        assert_eq!(decimal(i64::MIN, "EUR"), "-92233720368547758.08");
    }

    #[test]
    fn currencies_are_checked_against_iso_4217() {
        assert!(check_currency("EUR").is_ok());
        assert!(check_currency("JPY").is_ok());
        assert!(check_currency("ABC").unwrap_err().contains("ISO 4217"));
        // Gold has no minor unit: not money a shopper is paid in.
        assert!(check_currency("XAU").is_err());
    }

    #[test]
    fn totals_never_mix_currencies() {
        let t = totals([(1000, "EUR"), (250, "USD"), (-300, "EUR")]);
        assert_eq!(t, vec![Money::new(700, "EUR"), Money::new(250, "USD")]);
        assert_eq!(t[0].amount, "7.00");
    }
}
