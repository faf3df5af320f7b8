//! MDF ROI: won revenue of the opportunities linked to funded activities ÷ MDF paid on
//! them, per activity, per partner and per budget period. Won revenue is each won deal's
//! amount converted at the rate stored with it at close (never today's), into the budget's
//! currency; a deal whose close rate is into another currency is left out and counted.
//! Without paid MDF there is no ROI (shown as "—"), never a division by zero.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::money::{Currency, Money};
use crate::pipeline::fx::{RATE_SCALE, convert_at};

/// A won opportunity linked to an activity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WonDeal {
    pub opportunity_id: String,
    pub amount: Money,
    /// The currency and rate (× 10^8) stored at close.
    pub rate_to: Currency,
    pub rate_e8: i64,
}

/// One funded activity: what was paid on it and what it won.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    pub request_id: String,
    pub title: String,
    pub partner_id: String,
    pub partner_name: String,
    /// The budget's period, e.g. `2026-10-01 – 2026-12-31`.
    pub period: String,
    pub currency: Currency,
    /// Sum of the paid claims' amounts.
    pub paid_minor: i64,
    pub won: Vec<WonDeal>,
}

/// One row of an ROI table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoiRow {
    /// The request id, the partner id or the period.
    pub key: String,
    pub label: String,
    pub paid: Money,
    pub won_revenue: Money,
    pub won_deals: i64,
    /// Won deals left out because their close rate is into another currency.
    pub unconverted_deals: i64,
    /// Won revenue per unit paid, × 100 (350 = 3.5×), rounded half to even; absent
    /// without paid MDF.
    pub roi_x100: Option<i64>,
    /// `3.50×`, or `—` without paid MDF.
    pub roi: String,
}

/// The ROI table at three grains.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoiReport {
    pub activities: Vec<RoiRow>,
    pub partners: Vec<RoiRow>,
    pub periods: Vec<RoiRow>,
}

/// Won revenue ÷ paid, × 100, rounded half to even; `None` when nothing was paid.
pub fn roi_x100(won_minor: i64, paid_minor: i64) -> Option<i64> {
    if paid_minor <= 0 {
        return None;
    }
    let n = i128::from(won_minor) * 100;
    let d = i128::from(paid_minor);
    let (q, r) = (n / d, n % d);
    let twice = 2 * r.abs();
    let q = if twice > d || (twice == d && q % 2 != 0) {
        q + n.signum()
    } else {
        q
    };
    i64::try_from(q).ok()
}

/// How an ROI reads: `3.50×` or `—`.
pub fn display(roi_x100: Option<i64>) -> String {
    match roi_x100 {
        Some(r) => format!("{}.{:02}×", r / 100, (r % 100).abs()),
        None => "—".to_owned(),
    }
}

/// A won deal in `currency` at its close rate, or `None` when the rate is into another.
fn converted(deal: &WonDeal, currency: Currency) -> Option<i64> {
    if deal.amount.currency == currency {
        return Some(deal.amount.amount_minor);
    }
    if deal.rate_to != currency {
        return None;
    }
    let rate = if deal.rate_e8 > 0 {
        deal.rate_e8
    } else {
        RATE_SCALE
    };
    convert_at(deal.amount, currency, rate)
        .ok()
        .map(|m| m.amount_minor)
}

#[derive(Default)]
struct Sum {
    label: String,
    currency: Option<Currency>,
    paid: i64,
    deals: BTreeMap<String, Option<i64>>,
}

impl Sum {
    fn add(&mut self, a: &Activity, label: &str) {
        self.label = label.to_owned();
        self.currency.get_or_insert(a.currency);
        self.paid += a.paid_minor;
        // A deal linked to two activities of the group counts once in the group.
        for d in &a.won {
            self.deals
                .entry(d.opportunity_id.clone())
                .or_insert_with(|| converted(d, a.currency));
        }
    }

    fn row(self, key: String) -> RoiRow {
        let currency = self.currency.unwrap_or(Currency::USD);
        let won: i64 = self.deals.values().flatten().sum();
        let won_deals = self.deals.values().filter(|d| d.is_some()).count() as i64;
        let unconverted = self.deals.len() as i64 - won_deals;
        let r = roi_x100(won, self.paid);
        RoiRow {
            key,
            label: self.label,
            paid: Money::new(self.paid, currency),
            won_revenue: Money::new(won, currency),
            won_deals,
            unconverted_deals: unconverted,
            roi_x100: r,
            roi: display(r),
        }
    }
}

/// The report of `activities`: one row per activity (in the order given), per partner and
/// per period (by name). Groups never mix currencies: a partner or period with activities
/// in two currencies gets a row per currency, keyed `<key> <currency>`.
pub fn report(activities: &[Activity]) -> RoiReport {
    let mut partners: BTreeMap<(String, String), Sum> = BTreeMap::new();
    let mut periods: BTreeMap<(String, String), Sum> = BTreeMap::new();
    let mut rows = Vec::new();
    let currencies: BTreeSet<&str> = activities.iter().map(|a| a.currency.as_str()).collect();
    let suffix = |c: Currency| {
        if currencies.len() > 1 {
            format!(" {c}")
        } else {
            String::new()
        }
    };
    for a in activities {
        let mut one = Sum::default();
        one.add(a, &a.title);
        rows.push(one.row(a.request_id.clone()));
        partners
            .entry((a.partner_id.clone(), a.currency.as_str().to_owned()))
            .or_default()
            .add(a, &format!("{}{}", a.partner_name, suffix(a.currency)));
        periods
            .entry((a.period.clone(), a.currency.as_str().to_owned()))
            .or_default()
            .add(a, &format!("{}{}", a.period, suffix(a.currency)));
    }
    let mut partner_rows: Vec<RoiRow> = partners.into_iter().map(|((k, _), s)| s.row(k)).collect();
    partner_rows.sort_by(|a, b| a.label.cmp(&b.label));
    RoiReport {
        activities: rows,
        partners: partner_rows,
        periods: periods.into_iter().map(|((k, _), s)| s.row(k)).collect(),
    }
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn usd(n: i64) -> Money {
        Money::new(n, Currency::USD)
    }

    fn eur() -> Currency {
        Currency::parse("c", "EUR").unwrap()
    }

    fn deal(id: &str, amount: Money, rate_e8: i64) -> WonDeal {
        WonDeal {
            opportunity_id: id.into(),
            amount,
            rate_to: Currency::USD,
            rate_e8,
        }
    }

    fn activity(id: &str, partner: &str, paid: i64, won: Vec<WonDeal>) -> Activity {
        Activity {
            request_id: id.into(),
            title: format!("Activity {id}"),
            partner_id: partner.into(),
            partner_name: format!("Partner {partner}"),
            period: "2026-10-01 – 2026-12-31".into(),
            currency: Currency::USD,
            paid_minor: paid,
            won,
        }
    }

    #[test]
    fn nothing_paid_is_no_roi_not_a_division_by_zero() {
        assert_eq!(roi_x100(1_000_00, 0), None);
        assert_eq!(display(None), "—");
        let r = report(&[activity(
            "r1",
            "p1",
            0,
            vec![deal("o1", usd(50_000_00), RATE_SCALE)],
        )]);
        assert_eq!(r.activities[0].roi, "—");
        assert_eq!(r.activities[0].won_revenue, usd(50_000_00));
    }

    #[test]
    fn roi_is_won_over_paid_rounded_half_to_even() {
        assert_eq!(roi_x100(35_000_00, 10_000_00), Some(350));
        assert_eq!(display(Some(350)), "3.50×");
        assert_eq!(roi_x100(0, 10_000_00), Some(0));
        assert_eq!(display(Some(0)), "0.00×");
        // 1 / 8 = 0.125 → 0.12 (even); 3 / 8 = 0.375 → 0.38.
        assert_eq!(roi_x100(1, 8), Some(12));
        assert_eq!(roi_x100(3, 8), Some(38));
    }

    #[test]
    fn deals_convert_at_their_close_rate_and_other_currencies_are_counted_apart() {
        let euro_deal = WonDeal {
            opportunity_id: "o2".into(),
            amount: Money::new(10_000_00, eur()),
            rate_to: Currency::USD,
            rate_e8: 110_000_000,
        };
        let stray = WonDeal {
            opportunity_id: "o3".into(),
            amount: Money::new(10_000_00, eur()),
            rate_to: Currency::parse("c", "GBP").unwrap(),
            rate_e8: 90_000_000,
        };
        let r = report(&[activity(
            "r1",
            "p1",
            5_000_00,
            vec![deal("o1", usd(20_000_00), RATE_SCALE), euro_deal, stray],
        )]);
        let row = &r.activities[0];
        assert_eq!(row.won_revenue, usd(31_000_00));
        assert_eq!((row.won_deals, row.unconverted_deals), (2, 1));
        assert_eq!(row.roi, "6.20×");
    }

    #[test]
    fn partners_and_periods_sum_their_activities_and_count_a_shared_deal_once() {
        let shared = deal("o1", usd(40_000_00), RATE_SCALE);
        let r = report(&[
            activity("r1", "p1", 5_000_00, vec![shared.clone()]),
            activity("r2", "p1", 5_000_00, vec![shared]),
            activity("r3", "p2", 0, vec![]),
        ]);
        assert_eq!(r.activities.len(), 3);
        let p1 = r.partners.iter().find(|p| p.key == "p1").unwrap();
        assert_eq!(p1.paid, usd(10_000_00));
        assert_eq!(p1.won_revenue, usd(40_000_00));
        assert_eq!(p1.roi, "4.00×");
        let p2 = r.partners.iter().find(|p| p.key == "p2").unwrap();
        assert_eq!(p2.roi, "—");
        assert_eq!(r.periods.len(), 1);
        assert_eq!(r.periods[0].paid, usd(10_000_00));
        assert_eq!(r.periods[0].roi, "4.00×");
    }
}
