//! Property tests over random deals and rules: every line rounds once and correctly, a
//! clawback exactly negates, statements take each line at most once and their totals are
//! the sums of their lines. Regressions are kept in `proptest-regressions/payout/`.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;

use super::accrual::{
    Deal, JbpQuarter, Posted, RevenueEvent, Standing, accrue_close, accrue_renewal, clawback,
};
use super::policy::{Accelerator, AcceleratorKind, IncentivePolicy, PayoutPeriod, TierRates};
use super::statement::{OpenLine, StatementState, gather, period_of};
use crate::money::{Currency, Money};
use crate::pipeline::fx::{RATE_SCALE, RateAtClose};
use crate::pipeline::record::RouteKind;

const TIERS: [&str; 3] = ["Registered", "Gold", "Premier"];
const ROUTES: [RouteKind; 4] = [
    RouteKind::Resale,
    RouteKind::Referral,
    RouteKind::CoSell,
    RouteKind::CloudMarketplace,
];

fn currency(code: &str) -> Currency {
    Currency::parse("c", code).unwrap()
}

fn rates() -> impl Strategy<Value = TierRates> {
    (0..3usize, prop::array::uniform6(0u32..=10_000), 0u32..4).prop_map(|(t, r, years)| TierRates {
        tier: TIERS[t].into(),
        resale_margin_bp: r[0],
        referral_fee_bp: r[1],
        co_sell_split_bp: r[2],
        marketplace_bp: r[3],
        renewal_bp: r[4],
        renewal_years: years,
        expansion_bp: r[5],
    })
}

fn policy() -> impl Strategy<Value = IncentivePolicy> {
    (
        prop::collection::vec(rates(), 0..4),
        0u32..2_000,
        0u32..2_000,
        0i64..5,
    )
        .prop_map(|(tiers, jbp, cert, at_least)| IncentivePolicy {
            tiers,
            accelerators: vec![
                Accelerator {
                    kind: AcceleratorKind::JbpMilestone,
                    extra_bp: jbp,
                    at_least: 1,
                },
                Accelerator {
                    kind: AcceleratorKind::Certified,
                    extra_bp: cert,
                    at_least,
                },
            ],
            ..IncentivePolicy::default()
        })
}

fn deal() -> impl Strategy<Value = (Deal, Standing)> {
    let codes = prop_oneof![Just("USD"), Just("EUR"), Just("JPY"), Just("GBP")];
    (
        0..3usize,
        0..4usize,
        0i64..10_000_000_000,
        codes,
        1i64..500_000_000,
        0u32..1500,
        0i64..6,
        prop::option::of((0i64..5_000_000_000, 0i64..5_000_000_000)),
    )
        .prop_map(|(t, r, arr, code, rate_e8, day, certified, jbp)| {
            let from = currency(code);
            let to = currency("USD");
            let closed_on = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Days::new(day.into());
            let rate_e8 = if from == to { RATE_SCALE } else { rate_e8 };
            (
                Deal {
                    tier: TIERS[t].into(),
                    route: ROUTES[r],
                    arr: Money::new(arr, from),
                    closed_on,
                    rate: RateAtClose {
                        from,
                        to,
                        close_on: closed_on,
                        rate_e8,
                        effective_on: None,
                    },
                },
                Standing {
                    certified_individuals: certified,
                    jbp: jbp.map(|(m, w)| JbpQuarter {
                        milestone_minor: m,
                        won_before_minor: w,
                    }),
                },
            )
        })
}

fn posted(lines: &[super::accrual::LineDraft], prefix: &str) -> Vec<Posted> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| Posted {
            id: format!("{prefix}{i}"),
            base: l.base,
            rate_bp: l.rate_bp,
            amount: l.amount,
            statement_amount: l.statement_amount,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Each line is `base × rate` rounded once, to the nearest unit (ties to even), and never
    /// more than the base.
    #[test]
    fn every_line_rounds_once_to_the_nearest_unit((d, s) in deal(), p in policy()) {
        for l in accrue_close(&d, &p, 1, &s).unwrap() {
            let exact = i128::from(l.base.amount_minor) * i128::from(l.rate_bp);
            let err = i128::from(l.amount.amount_minor) * 10_000 - exact;
            prop_assert!(err.abs() <= 5_000, "{l:?}");
            if err.abs() == 5_000 {
                prop_assert_eq!(l.amount.amount_minor % 2, 0, "a tie goes to even: {:?}", l);
            }
            prop_assert!(l.amount.amount_minor.abs() <= l.base.amount_minor.abs());
            prop_assert!(l.base.amount_minor <= d.arr.amount_minor);
            prop_assert_eq!(l.amount.currency, d.arr.currency);
            prop_assert_eq!(l.statement_amount.currency, d.rate.to);
        }
    }

    /// A clawback inside the window makes a deal's lines sum to zero in both currencies;
    /// outside it, nothing is taken back.
    #[test]
    fn a_clawback_exactly_negates((d, s) in deal(), p in policy(), after in 0u64..200, window in 0u32..200) {
        let lines = accrue_close(&d, &p, 1, &s).unwrap();
        let renewal = accrue_renewal(&d, &p, 1, 1, d.arr).unwrap();
        let mut all = lines.clone();
        all.extend(renewal);
        let cancelled = d.closed_on + Days::new(after);
        let back = clawback(RevenueEvent::Close, d.closed_on, cancelled, window, &posted(&all, "cml_"));
        if after <= u64::from(window) {
            prop_assert_eq!(back.len(), all.len());
            let amount: i64 = all.iter().chain(&back).map(|l| l.amount.amount_minor).sum();
            let stmt: i64 = all.iter().chain(&back).map(|l| l.statement_amount.amount_minor).sum();
            prop_assert_eq!((amount, stmt), (0, 0));
        } else {
            prop_assert!(back.is_empty());
        }
    }

    /// Statement runs over successive periods take each line at most once, a statement's
    /// total is the sum of its lines, and what is paid plus what is still open is what accrued.
    #[test]
    fn statements_take_each_line_once_and_add_up(
        deals in prop::collection::vec(deal(), 1..40),
        p in policy(),
        minimum in 0i64..5_000_000,
        monthly in any::<bool>(),
    ) {
        let every = if monthly { PayoutPeriod::Monthly } else { PayoutPeriod::Quarterly };
        let mut open: Vec<OpenLine> = Vec::new();
        for (i, (d, s)) in deals.iter().enumerate() {
            for (j, l) in accrue_close(d, &p, 1, s).unwrap().into_iter().enumerate() {
                open.push(OpenLine {
                    id: format!("cml_{i}_{j}"),
                    accrued_on: d.closed_on,
                    statement_minor: l.statement_amount.amount_minor,
                });
            }
        }
        let accrued: i64 = open.iter().map(|l| l.statement_minor).sum();
        let mut taken = std::collections::BTreeSet::new();
        let mut issued_total = 0_i64;
        let mut day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        for _ in 0..24 {
            let period = period_of(day, every);
            if let Some(g) = gather(&open, &period, minimum, currency("USD"), 1) {
                let sum: i64 = open
                    .iter()
                    .filter(|l| g.line_ids.contains(&l.id))
                    .map(|l| l.statement_minor)
                    .sum();
                if g.state == StatementState::Issued {
                    prop_assert_eq!(sum, g.total_minor);
                    prop_assert!(g.total_minor >= minimum && g.total_minor > 0);
                    issued_total += g.total_minor;
                } else {
                    prop_assert!(g.line_ids.is_empty());
                }
                for id in &g.line_ids {
                    prop_assert!(taken.insert(id.clone()), "line {} taken twice", id);
                }
                open.retain(|l| !g.line_ids.contains(&l.id));
            }
            day = period.end.succ_opt().unwrap();
        }
        let still_open: i64 = open.iter().map(|l| l.statement_minor).sum();
        prop_assert_eq!(issued_total + still_open, accrued);
    }
}
