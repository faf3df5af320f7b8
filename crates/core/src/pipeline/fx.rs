//! Currency rates as a dated table, and conversion on a date. The rate in force when an
//! opportunity closes is what it stores, so reports never drift with today's rates.
//!
//! A rate is fixed-point: `rate_e8` is the price of one major unit of `from` in major units
//! of `to`, times 10^8 (1.0850 EUR→USD is `108_500_000`). Conversion is integer arithmetic in
//! `i128`, scaling by both currencies' minor-unit exponents, rounded half to even to a whole
//! minor unit of the target currency. A rate applies from its effective date on (inclusive)
//! until a later one takes over. Only the direction in the table is used: an inverse is not
//! derived, since it would round a second time; the table lists each direction it needs.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::forecast::div_round_half_even;
use crate::kernel::money::{Currency, Money};
use crate::{FieldError, Invalid};

/// Scale of a fixed-point rate: 10^8.
pub const RATE_SCALE: i64 = 100_000_000;

/// One dated rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub from: Currency,
    pub to: Currency,
    pub effective_on: NaiveDate,
    /// One major unit of `from` in major units of `to`, × 10^8; more than zero.
    pub rate_e8: i64,
}

/// Why a conversion could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error("no {from}→{to} rate is effective on or before {date}")]
    NoRate {
        from: Currency,
        to: Currency,
        date: NaiveDate,
    },
    #[error("{amount} converted to {to} does not fit in a 64-bit amount")]
    Overflow { amount: Money, to: Currency },
}

/// The rate table, checked: positive rates, two different currencies, one rate per pair and
/// day. Kept sorted by (from, to, effective date).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rates {
    rates: Vec<Rate>,
}

impl Rates {
    /// Checks every rate (errors name `rates[i].field`) and builds the table.
    pub fn new(mut rates: Vec<Rate>) -> Result<Rates, Invalid> {
        let mut inv = Invalid::new();
        for (i, r) in rates.iter().enumerate() {
            if r.rate_e8 <= 0 {
                inv.add(
                    &format!("rates[{i}].rate"),
                    "positive",
                    format!("rates[{i}].rate must be more than 0"),
                );
            }
            if r.from == r.to {
                inv.add(
                    &format!("rates[{i}].to"),
                    "different_currency",
                    format!(
                        "rates[{i}] converts {} to itself; the rate is always 1",
                        r.from
                    ),
                );
            }
            if let Some(o) = rates[..i]
                .iter()
                .position(|o| o.from == r.from && o.to == r.to && o.effective_on == r.effective_on)
            {
                inv.add(
                    &format!("rates[{i}].effective_on"),
                    "unique",
                    format!(
                        "rates[{i}] repeats the {}→{} rate effective {} of rates[{o}]",
                        r.from, r.to, r.effective_on
                    ),
                );
            }
        }
        if !inv.is_empty() {
            return Err(inv);
        }
        rates.sort_by(|a, b| {
            (a.from.as_str(), a.to.as_str(), a.effective_on).cmp(&(
                b.from.as_str(),
                b.to.as_str(),
                b.effective_on,
            ))
        });
        Ok(Rates { rates })
    }

    /// The rates, sorted.
    pub fn rates(&self) -> &[Rate] {
        &self.rates
    }

    /// The `from`→`to` rate in force on `date` (× 10^8): the latest effective on or before
    /// it. The same currency is always [`RATE_SCALE`] (1.0).
    pub fn rate_on(&self, from: Currency, to: Currency, date: NaiveDate) -> Result<i64, FxError> {
        if from == to {
            return Ok(RATE_SCALE);
        }
        self.rates
            .iter()
            .filter(|r| r.from == from && r.to == to && r.effective_on <= date)
            .max_by_key(|r| r.effective_on)
            .map(|r| r.rate_e8)
            .ok_or(FxError::NoRate { from, to, date })
    }

    /// `money` in `to` at the rate in force on `date`, rounded half to even to a minor unit.
    /// The same currency comes back unchanged.
    pub fn convert(&self, money: Money, to: Currency, date: NaiveDate) -> Result<Money, FxError> {
        if money.currency == to {
            return Ok(money);
        }
        let rate = self.rate_on(money.currency, to, date)?;
        convert_at(money, to, rate)
    }
}

/// `money` in `to` at a given rate (× 10^8), rounded half to even to a minor unit of `to`.
pub fn convert_at(money: Money, to: Currency, rate_e8: i64) -> Result<Money, FxError> {
    let from_exp = money.currency.exponent();
    let to_exp = to.exponent();
    // minor_to = minor_from × rate / 10^8 × 10^to_exp / 10^from_exp
    let mut n = i128::from(money.amount_minor) * i128::from(rate_e8);
    let mut d = i128::from(RATE_SCALE);
    if to_exp >= from_exp {
        n *= 10_i128.pow(to_exp - from_exp);
    } else {
        d *= 10_i128.pow(from_exp - to_exp);
    }
    let q = div_round_half_even(n, d);
    i64::try_from(q)
        .map(|amount_minor| Money::new(amount_minor, to))
        .map_err(|_| FxError::Overflow { amount: money, to })
}

/// Parses a decimal rate such as `1.085` or `0.00912345` into fixed point (× 10^8): more
/// than zero, at most 8 decimals, no sign or exponent.
pub fn parse_rate(field: &str, raw: &str) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "decimal_rate",
            format!(
                "{field} must be a decimal number more than 0 with at most 8 decimals (e.g. 1.085)"
            ),
        )
    };
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 8 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac_e8: i64 = if frac.is_empty() {
        0
    } else {
        let f: i64 = frac.parse().map_err(|_| bad())?;
        f * 10_i64.pow(8 - frac.len() as u32)
    };
    let rate = whole
        .checked_mul(RATE_SCALE)
        .and_then(|w| w.checked_add(frac_e8))
        .ok_or_else(bad)?;
    if rate <= 0 {
        return Err(bad());
    }
    Ok(rate)
}
