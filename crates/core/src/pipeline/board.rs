//! The board and the forecast in one reporting currency. The store sums opportunities by
//! stage (or expected-close month) and currency; here those sums become columns and months
//! in the program's currency, converted at the rates in force `today` (open deals have no
//! close rate yet). A currency without a rate is never guessed: its sum stays listed in its
//! own currency and named in `unconverted`.

use chrono::NaiveDate;
use serde::Serialize;

use super::Stage;
use super::fx::Rates;
use super::policy::{LOST, PipelinePolicy, WON};
use super::record::Opportunity;
use crate::kernel::ids::ProgramId;
use crate::kernel::money::{Currency, Money};

/// Opportunities of one stage (or month) in one currency, summed by the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sum {
    /// The stage key, or the month as `YYYY-MM`.
    pub key: String,
    pub currency: Currency,
    pub count: i64,
    pub amount_minor: i64,
    pub weighted_minor: i64,
}

/// MoneyTotals in the reporting currency, with what could not be converted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoneyTotals {
    pub count: i64,
    /// Sum of amounts that could be converted, in the reporting currency.
    pub amount: Money,
    /// Sum of weighted amounts (amount × the stage probability) that could be converted.
    pub weighted: Money,
    /// The sums per currency as stored, before conversion.
    pub by_currency: Vec<Money>,
    /// Currencies with no rate into the reporting currency on the day: left out of
    /// `amount` and `weighted`.
    pub unconverted: Vec<Currency>,
}

impl MoneyTotals {
    fn new(report: Currency) -> MoneyTotals {
        MoneyTotals {
            count: 0,
            amount: Money::new(0, report),
            weighted: Money::new(0, report),
            by_currency: Vec::new(),
            unconverted: Vec::new(),
        }
    }

    fn add(&mut self, s: &Sum, rates: &Rates, today: NaiveDate) {
        let report = self.amount.currency;
        self.count += s.count;
        self.by_currency
            .push(Money::new(s.amount_minor, s.currency));
        let convert = |minor: i64| {
            if s.currency == report {
                Some(minor)
            } else {
                rates
                    .convert(Money::new(minor, s.currency), report, today)
                    .ok()
                    .map(|m| m.amount_minor)
            }
        };
        match (convert(s.amount_minor), convert(s.weighted_minor)) {
            (Some(a), Some(w)) => {
                self.amount.amount_minor = self.amount.amount_minor.saturating_add(a);
                self.weighted.amount_minor = self.weighted.amount_minor.saturating_add(w);
            }
            _ => self.unconverted.push(s.currency),
        }
    }
}

/// One column of the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Column {
    /// The stage key (`won` and `lost` close the board).
    pub stage: String,
    pub label: String,
    /// The stage's probability in the policy; absent for a stage the policy no longer
    /// lists (its opportunities keep the probability they entered with).
    pub probability_bp: Option<u32>,
    pub totals: MoneyTotals,
}

/// Board columns: the policy's open stages in order, then stages only old opportunities
/// still carry, then won and lost; a column for every policy stage even when empty.
pub fn columns(
    sums: &[Sum],
    policy: &PipelinePolicy,
    rates: &Rates,
    report: Currency,
    today: NaiveDate,
) -> Vec<Column> {
    let mut keys: Vec<String> = policy.stages.iter().map(|s| s.key.clone()).collect();
    for s in sums {
        let closed = s.key == WON || s.key == LOST;
        if !closed && !keys.contains(&s.key) {
            keys.push(s.key.clone());
        }
    }
    keys.push(WON.to_owned());
    keys.push(LOST.to_owned());
    keys.into_iter()
        .map(|key| {
            let stage = Stage::from(key.clone());
            let mut totals = MoneyTotals::new(report);
            for s in sums.iter().filter(|s| s.key == key) {
                totals.add(s, rates, today);
            }
            Column {
                label: stage.label(policy).to_owned(),
                probability_bp: stage.probability_bp(policy),
                stage: key,
                totals,
            }
        })
        .collect()
}

/// A column with the first opportunities in it (soonest expected close first).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardColumn {
    #[serde(flatten)]
    pub column: Column,
    pub cards: Vec<Opportunity>,
}

/// The board of one program, in its currency, as of a day.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub program_id: ProgramId,
    /// The reporting currency (the program's).
    pub currency: Currency,
    /// The day whose rates converted the totals.
    pub as_of: NaiveDate,
    pub columns: Vec<BoardColumn>,
}

/// The forecast of one program, in its currency.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Forecast {
    pub program_id: ProgramId,
    pub currency: Currency,
    pub as_of: NaiveDate,
    pub months: Vec<ForecastMonth>,
}

/// One month of the forecast.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForecastMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub totals: MoneyTotals,
}

/// The forecast per expected-close month (open opportunities), months in order.
pub fn months(
    sums: &[Sum],
    rates: &Rates,
    report: Currency,
    today: NaiveDate,
) -> Vec<ForecastMonth> {
    let mut keys: Vec<&str> = sums.iter().map(|s| s.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .map(|month| {
            let mut totals = MoneyTotals::new(report);
            for s in sums.iter().filter(|s| s.key == month) {
                totals.add(s, rates, today);
            }
            ForecastMonth {
                month: month.to_owned(),
                totals,
            }
        })
        .collect()
}

#[cfg(test)]
// Amounts are written major_minor (1_000_00 is 1,000.00), as people read money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::pipeline::fx::Rate;

    fn c(code: &str) -> Currency {
        Currency::parse("c", code).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn sum(key: &str, cur: &str, count: i64, amount: i64, weighted: i64) -> Sum {
        Sum {
            key: key.into(),
            currency: c(cur),
            count,
            amount_minor: amount,
            weighted_minor: weighted,
        }
    }

    fn rates() -> Rates {
        Rates::new(vec![Rate {
            from: c("EUR"),
            to: c("USD"),
            effective_on: d(2026, 1, 1),
            rate_e8: 110_000_000,
        }])
        .unwrap()
    }

    #[test]
    fn every_policy_stage_is_a_column_and_closed_ones_come_last() {
        let policy = PipelinePolicy::default();
        let sums = [
            sum("handoff", "USD", 2, 100_000, 70_000),
            sum("handoff", "EUR", 1, 10_000, 70_00),
            sum("legacy", "USD", 1, 5_00, 0),
            sum("won", "USD", 3, 9_00, 9_00),
        ];
        let cols = columns(&sums, &policy, &rates(), c("USD"), d(2026, 3, 1));
        let keys: Vec<&str> = cols.iter().map(|c| c.stage.as_str()).collect();
        assert_eq!(
            keys,
            [
                "target_account",
                "first_conversation",
                "commercial_offer",
                "handoff",
                "legacy",
                "won",
                "lost"
            ]
        );
        let handoff = &cols[3];
        assert_eq!(handoff.totals.count, 3);
        assert_eq!(handoff.totals.amount, Money::new(111_000, c("USD")));
        assert_eq!(handoff.totals.weighted, Money::new(77_700, c("USD")));
        assert_eq!(handoff.totals.by_currency.len(), 2);
        assert_eq!(cols[0].totals.count, 0);
        assert_eq!(cols[4].probability_bp, None);
        assert_eq!(cols[5].probability_bp, Some(10_000));
        assert_eq!(cols[5].label, "Closed won");
    }

    #[test]
    fn a_currency_without_a_rate_is_named_not_guessed() {
        let sums = [
            sum("2026-04", "GBP", 1, 50_00, 25_00),
            sum("2026-04", "USD", 1, 10_00, 5_00),
            sum("2026-03", "EUR", 1, 10_00, 5_00),
        ];
        // Before the EUR rate takes effect, EUR cannot be converted either.
        let m = months(&sums, &rates(), c("USD"), d(2025, 12, 31));
        assert_eq!(m[0].month, "2026-03");
        assert_eq!(m[0].totals.unconverted, [c("EUR")]);
        assert_eq!(m[0].totals.amount.amount_minor, 0);
        let m = months(&sums, &rates(), c("USD"), d(2026, 1, 1));
        assert_eq!(m[0].totals.amount.amount_minor, 11_00);
        assert_eq!(m[1].totals.unconverted, [c("GBP")]);
        assert_eq!(m[1].totals.amount.amount_minor, 10_00);
        assert_eq!(m[1].totals.count, 2, "counted even when not converted");
    }
}
