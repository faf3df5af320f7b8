//! The weighted forecast: for open opportunities, amount × stage probability, totalled per
//! expected-close month and currency. Amounts in different currencies are never added up;
//! converting them is the caller's choice, with a dated rate ([`super::fx`]).
//!
//! Rounding: each opportunity's weighted amount is `amount_minor × probability_bp / 10000`
//! rounded half to even to a whole minor unit, on its own; a month's total is the sum of
//! those. So the total always equals what the opportunities show one by one, and rounding
//! does not drift one way over many deals.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::Stage;
use super::policy::PipelinePolicy;
use crate::kernel::money::{Currency, Money};

/// A calendar month, ordered by time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Month {
    pub year: i32,
    /// 1..=12.
    pub month: u32,
}

impl Month {
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }
}

impl fmt::Display for Month {
    /// `2026-01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What the forecast needs of one opportunity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForecastItem {
    pub stage: Stage,
    pub amount: Money,
    pub expected_close_on: NaiveDate,
}

/// One month's total in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthTotal {
    pub month: Month,
    pub currency: Currency,
    /// Open opportunities counted.
    pub count: usize,
    /// Sum of their amounts, unweighted (minor units).
    pub amount_minor: i64,
    /// Sum of their weighted amounts (minor units).
    pub weighted_minor: i64,
}

/// The forecast: month totals in (month, currency) order, and the open opportunities left
/// out because the policy no longer lists their stage (by index in the input, with the key).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Forecast {
    pub months: Vec<MonthTotal>,
    pub unknown_stage: Vec<(usize, String)>,
}

/// `amount_minor × probability_bp / 10000`, rounded half to even. Saturates at the bounds of
/// `i64` (unreachable for probabilities up to 10000 bp, which never grow an amount).
pub fn weighted_minor(amount_minor: i64, probability_bp: u32) -> i64 {
    let n = i128::from(amount_minor) * i128::from(probability_bp);
    let q = div_round_half_even(n, 10_000);
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// `n / d` rounded to the nearest integer, ties to the even one. `d` must be positive.
pub(crate) fn div_round_half_even(n: i128, d: i128) -> i128 {
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    // r is in 0..d; compare 2r with d to find which neighbour is nearer.
    match (2 * r).cmp(&d) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => {
            if q % 2 == 0 {
                q
            } else {
                q + 1
            }
        }
    }
}

/// The weighted forecast of the open opportunities, per expected-close month and currency.
/// Closed opportunities are not forecast (they are actuals).
pub fn forecast(opps: &[ForecastItem], policy: &PipelinePolicy) -> Forecast {
    let mut totals: BTreeMap<(Month, &'static str), MonthTotal> = BTreeMap::new();
    let mut unknown_stage = Vec::new();
    for (i, o) in opps.iter().enumerate() {
        if o.stage.is_closed() {
            continue;
        }
        let Some(bp) = o.stage.probability_bp(policy) else {
            unknown_stage.push((i, o.stage.as_str().to_owned()));
            continue;
        };
        let month = Month::of(o.expected_close_on);
        let t = totals
            .entry((month, o.amount.currency.as_str()))
            .or_insert(MonthTotal {
                month,
                currency: o.amount.currency,
                count: 0,
                amount_minor: 0,
                weighted_minor: 0,
            });
        t.count += 1;
        t.amount_minor = t.amount_minor.saturating_add(o.amount.amount_minor);
        t.weighted_minor = t
            .weighted_minor
            .saturating_add(weighted_minor(o.amount.amount_minor, bp));
    }
    Forecast {
        months: totals.into_values().collect(),
        unknown_stage,
    }
}
