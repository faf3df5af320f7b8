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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::USD
    }

    fn eur() -> Currency {
        Currency::parse("c", "EUR").unwrap()
    }

    fn item(stage: &str, amount: i64, currency: Currency, y: i32, m: u32, d: u32) -> ForecastItem {
        ForecastItem {
            stage: Stage::from(stage.to_owned()),
            amount: Money::new(amount, currency),
            expected_close_on: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
        }
    }

    #[test]
    fn weighted_amounts_round_half_to_even() {
        assert_eq!(weighted_minor(10_000, 4000), 4000);
        // 1 × 5000 bp = 0.5 → 0 (even); 3 × 5000 bp = 1.5 → 2 (even).
        assert_eq!(weighted_minor(1, 5000), 0);
        assert_eq!(weighted_minor(3, 5000), 2);
        // 0.51 → 1; 0.49 → 0.
        assert_eq!(weighted_minor(1, 5100), 1);
        assert_eq!(weighted_minor(1, 4900), 0);
        assert_eq!(weighted_minor(i64::MAX, 10_000), i64::MAX);
        assert_eq!(weighted_minor(i64::MAX, 0), 0);
        assert_eq!(div_round_half_even(-5, 10), 0);
        assert_eq!(div_round_half_even(-15, 10), -2);
    }

    #[test]
    fn months_split_at_month_ends_and_currencies_never_mix() {
        let p = PipelinePolicy::default();
        let opps = [
            item("handoff", 100_000, usd(), 2026, 1, 31),
            item("commercial_offer", 50_000, usd(), 2026, 2, 1),
            item("target_account", 20_000, eur(), 2026, 1, 1),
            item("first_conversation", 10_000, usd(), 2026, 1, 15),
            // Closed deals are actuals, not forecast.
            item("won", 999_999, usd(), 2026, 1, 20),
            item("lost", 999_999, usd(), 2026, 1, 20),
            // A stage the policy no longer lists is reported, not guessed.
            item("discovery", 1_000, usd(), 2026, 1, 20),
        ];
        let f = forecast(&opps, &p);
        let rows: Vec<(String, &str, usize, i64, i64)> = f
            .months
            .iter()
            .map(|t| {
                (
                    t.month.to_string(),
                    t.currency.as_str(),
                    t.count,
                    t.amount_minor,
                    t.weighted_minor,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("2026-01".to_owned(), "EUR", 1, 20_000, 1_000),
                ("2026-01".to_owned(), "USD", 2, 110_000, 70_000 + 1_500),
                ("2026-02".to_owned(), "USD", 1, 50_000, 20_000),
            ]
        );
        assert_eq!(f.unknown_stage, [(6, "discovery".to_owned())]);
    }

    #[test]
    fn december_and_january_are_different_years() {
        let p = PipelinePolicy::default();
        let f = forecast(
            &[
                item("handoff", 10, usd(), 2026, 12, 31),
                item("handoff", 10, usd(), 2027, 1, 1),
            ],
            &p,
        );
        let months: Vec<String> = f.months.iter().map(|t| t.month.to_string()).collect();
        assert_eq!(months, ["2026-12", "2027-01"]);
    }

    fn arb_item() -> impl Strategy<Value = ForecastItem> {
        (
            prop::sample::select(vec![
                "target_account",
                "first_conversation",
                "commercial_offer",
                "handoff",
                "won",
                "lost",
            ]),
            0_i64..1_000_000_000_000,
            prop::bool::ANY,
            0_i64..800,
        )
            .prop_map(|(stage, amount, in_usd, day)| ForecastItem {
                stage: Stage::from(stage.to_owned()),
                amount: Money::new(amount, if in_usd { usd() } else { eur() }),
                expected_close_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
                    + chrono::Duration::days(day),
            })
    }

    proptest! {
        #[test]
        fn month_totals_sum_to_the_per_opportunity_weighted_amounts(
            opps in prop::collection::vec(arb_item(), 0..60)
        ) {
            let p = PipelinePolicy::default();
            let f = forecast(&opps, &p);
            for currency in [usd(), eur()] {
                let from_months: i64 = f.months.iter()
                    .filter(|t| t.currency == currency)
                    .map(|t| t.weighted_minor)
                    .sum();
                let one_by_one: i64 = opps.iter()
                    .filter(|o| !o.stage.is_closed() && o.amount.currency == currency)
                    .map(|o| weighted_minor(o.amount.amount_minor, o.stage.probability_bp(&p).unwrap()))
                    .sum();
                prop_assert_eq!(from_months, one_by_one);
            }
            let counted: usize = f.months.iter().map(|t| t.count).sum();
            prop_assert_eq!(counted, opps.iter().filter(|o| !o.stage.is_closed()).count());
            // Weighting never grows an amount.
            for t in &f.months {
                prop_assert!(t.weighted_minor <= t.amount_minor);
            }
        }
    }
}
