//! Money as an integer count of the currency's minor unit (cents, pence, yen), never a
//! float, with its ISO 4217 currency.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Supported ISO 4217 codes and their minor-unit exponent.
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TRY", 2),
    ("TWD", 2),
    ("USD", 2),
    ("ZAR", 2),
];

/// An ISO 4217 currency code we know the minor unit of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "USD"))]
#[serde(into = "String")]
pub struct Currency(&'static str);

// Written by hand: the derive would tie the input's lifetime to the `'static` code.
impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse("currency", &s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl Currency {
    pub const USD: Currency = Currency("USD");

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, _)| Currency(c))
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "iso_4217",
                    format!(
                        "{field} must be a supported ISO 4217 currency code such as USD, EUR or GBP"
                    ),
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Digits after the decimal point (2 for USD, 0 for JPY).
    pub fn exponent(self) -> u32 {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == self.0)
            .map_or(2, |(_, e)| *e)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0.to_owned()
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// An amount of money in minor units.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// Amount in the currency's minor unit, e.g. cents for USD.
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }

    /// Parses a non-negative amount, as used by targets and budgets.
    pub fn parse_non_negative(
        field: &str,
        amount_minor: i64,
        currency: &str,
    ) -> Result<Self, FieldError> {
        let currency = Currency::parse(&format!("{field}.currency"), currency)?;
        if amount_minor < 0 {
            return Err(FieldError::new(
                &format!("{field}.amount_minor"),
                "non_negative",
                format!("{field} must not be negative"),
            ));
        }
        Ok(Self {
            amount_minor,
            currency,
        })
    }
}

impl fmt::Display for Money {
    /// `USD 1,250,000.00`: grouped, with the currency's own number of decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let scale = 10_i64.pow(exp);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let (whole, frac) = (abs / scale as u64, abs % scale as u64);
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        if exp == 0 {
            write!(f, "{} {sign}{grouped}", self.currency)
        } else {
            write!(
                f,
                "{} {sign}{grouped}.{frac:0width$}",
                self.currency,
                width = exp as usize
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_grouping_and_minor_units() {
        let usd = Currency::parse("c", "usd").unwrap();
        assert_eq!(Money::new(125_000_000, usd).to_string(), "USD 1,250,000.00");
        assert_eq!(Money::new(5, usd).to_string(), "USD 0.05");
        assert_eq!(Money::new(-100_050, usd).to_string(), "USD -1,000.50");
        let jpy = Currency::parse("c", "JPY").unwrap();
        assert_eq!(Money::new(1_000_000, jpy).to_string(), "JPY 1,000,000");
    }

    #[test]
    fn rejects_unknown_currency_and_negative_targets() {
        assert_eq!(Currency::parse("c", "XYZ").unwrap_err().rule, "iso_4217");
        let err = Money::parse_non_negative("target", -1, "USD").unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.rule.as_str()),
            ("target.amount_minor", "non_negative")
        );
        assert!(Money::parse_non_negative("target", 0, "USD").is_ok());
    }
}
