//! What a revenue event earns: the lines of a close won, a renewal and an expansion, the
//! accelerators, and the negating lines of a clawback or a reversal. Pure functions of the
//! deal, the policy version in force when it closed, and the partner's standing then.
//!
//! Every amount goes through [`line_amounts`], the one rounding rule: per line, half to
//! even, first `base × rate` into the deal's currency, then that amount at the deal's rate at
//! close into the statement currency. A line is never edited; a correction is a new line.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::policy::{AcceleratorKind, IncentivePolicy, route_rule};
use crate::money::Money;
use crate::pipeline::forecast::div_round_half_even;
use crate::pipeline::fx::{FxError, RateAtClose, convert_at};
use crate::pipeline::record::RouteKind;
use crate::text_enum;

text_enum!(
    /// The revenue event a line pays for.
    RevenueEvent {
        Close = "close" / "Closed won",
        Renewal = "renewal" / "Renewal",
        Expansion = "expansion" / "Expansion",
    }
);

/// The rule of a clawback line.
pub const CLAWBACK: &str = "clawback";
/// The rule of a line reversing another (a reopened deal, an upheld dispute).
pub const REVERSAL: &str = "reversal";
/// The rule of a manual correction by finance.
pub const ADJUSTMENT: &str = "adjustment";
/// The rule of the renewal share.
pub const RENEWAL: &str = "renewal";
/// The rule of the expansion share.
pub const EXPANSION: &str = "expansion";

/// A deal won, as the accrual sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deal {
    /// The partner's tier when the deal closed.
    pub tier: String,
    pub route: RouteKind,
    /// The deal's ARR in its own currency.
    pub arr: Money,
    pub closed_on: NaiveDate,
    /// The rate stored at close, into the program (statement) currency.
    pub rate: RateAtClose,
}

/// The partner's standing when the deal closed, for the accelerators.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    pub certified_individuals: i64,
    /// The agreed plan's milestone for the quarter of the close and the sourced ARR won in
    /// that quarter before this deal, both in the statement currency.
    pub jbp: Option<JbpQuarter>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JbpQuarter {
    pub milestone_minor: i64,
    pub won_before_minor: i64,
}

/// A line to post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDraft {
    pub rule: String,
    /// What the rate applies to, in the deal's currency (negative on a negating line).
    pub base: Money,
    pub rate_bp: u32,
    /// `base × rate`, in the deal's currency.
    pub amount: Money,
    /// `amount` at the deal's rate at close, in the statement currency.
    pub statement_amount: Money,
    /// Why this amount, for the partner: the rule, the figures, the policy.
    pub why: String,
}

/// The one rounding rule: `base × rate_bp / 10000` rounded half to even into the base's
/// currency, then that at `rate` into the statement currency, rounded the same way.
pub fn line_amounts(
    base: Money,
    rate_bp: u32,
    rate: &RateAtClose,
) -> Result<(Money, Money), FxError> {
    let n = i128::from(base.amount_minor) * i128::from(rate_bp);
    let amount = i64::try_from(div_round_half_even(n, 10_000))
        .map(|a| Money::new(a, base.currency))
        .map_err(|_| FxError::Overflow {
            amount: base,
            to: base.currency,
        })?;
    let statement = if amount.currency == rate.to {
        amount
    } else {
        convert_at(amount, rate.to, rate.rate_e8)?
    };
    Ok((amount, statement))
}

fn pct(bp: u32) -> String {
    let whole = bp / 100;
    match bp % 100 {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

fn line(
    rule: &str,
    base: Money,
    rate_bp: u32,
    rate: &RateAtClose,
    why: String,
) -> Result<LineDraft, FxError> {
    let (amount, statement_amount) = line_amounts(base, rate_bp, rate)?;
    Ok(LineDraft {
        rule: rule.to_owned(),
        base,
        rate_bp,
        amount,
        statement_amount,
        why,
    })
}

/// What a route's rule is called in a sentence.
fn rule_words(route: RouteKind) -> &'static str {
    match route {
        RouteKind::Resale => "resale margin",
        RouteKind::Referral => "referral fee",
        RouteKind::CoSell => "co-sell split",
        RouteKind::CloudMarketplace => "cloud marketplace share",
    }
}

/// The lines a close won earns under `policy` (version `version`): the route's rate of the
/// partner's tier, then each accelerator that applies. No rates for the tier: no lines.
pub fn accrue_close(
    deal: &Deal,
    policy: &IncentivePolicy,
    version: i64,
    standing: &Standing,
) -> Result<Vec<LineDraft>, FxError> {
    let Some(rates) = policy.rates_of(&deal.tier) else {
        return Ok(Vec::new());
    };
    let mut lines = Vec::new();
    let bp = rates.route_bp(deal.route);
    if bp == 0 {
        return Ok(lines);
    }
    let rule = route_rule(deal.route);
    lines.push(line(
        rule,
        deal.arr,
        bp,
        &deal.rate,
        format!(
            "{} of {} ARR: the {} tier's {} (policy v{version})",
            pct(bp),
            deal.arr,
            deal.tier,
            rule_words(deal.route),
        ),
    )?);
    for a in &policy.accelerators {
        match a.kind {
            AcceleratorKind::Certified if standing.certified_individuals >= a.at_least => {
                lines.push(line(
                    "accelerator.certified",
                    deal.arr,
                    a.extra_bp,
                    &deal.rate,
                    format!(
                        "{} extra: {} certified individuals (at least {} needed) (policy v{version})",
                        pct(a.extra_bp),
                        standing.certified_individuals,
                        a.at_least
                    ),
                )?);
            }
            AcceleratorKind::JbpMilestone => {
                if let Some(q) = standing.jbp
                    && let Some(base) = above_milestone(deal, q)?
                {
                    lines.push(line(
                        "accelerator.jbp_milestone",
                        base,
                        a.extra_bp,
                        &deal.rate,
                        format!(
                            "{} extra on {base}, the part of this deal above the quarter's \
                             joint-business-plan milestone of {} (won before it: {}) (policy v{version})",
                            pct(a.extra_bp),
                            Money::new(q.milestone_minor, deal.rate.to),
                            Money::new(q.won_before_minor, deal.rate.to),
                        ),
                    )?);
                }
            }
            AcceleratorKind::Certified => {}
        }
    }
    Ok(lines)
}

/// The part of the deal (in its own currency) that lies above the quarter's milestone, or
/// `None` when none does. Reaching the milestone exactly is not above it.
fn above_milestone(deal: &Deal, q: JbpQuarter) -> Result<Option<Money>, FxError> {
    let arr_stmt = deal.rate.convert(deal.arr)?.amount_minor;
    let room = (q.milestone_minor - q.won_before_minor).max(0);
    let above = arr_stmt - room;
    if above <= 0 || arr_stmt <= 0 {
        return Ok(None);
    }
    if above >= arr_stmt {
        return Ok(Some(deal.arr));
    }
    // The same share of the deal's own amount, rounded half to even.
    let n = i128::from(deal.arr.amount_minor) * i128::from(above);
    let part = div_round_half_even(n, i128::from(arr_stmt)) as i64;
    Ok((part > 0).then(|| Money::new(part, deal.arr.currency)))
}

/// The line of the `ordinal`-th renewal (1 = the first) of `arr` (the deal's currency), or
/// `None` when the tier pays no renewals or this one is past `renewal_years`.
pub fn accrue_renewal(
    deal: &Deal,
    policy: &IncentivePolicy,
    version: i64,
    ordinal: u32,
    arr: Money,
) -> Result<Option<LineDraft>, FxError> {
    let Some(rates) = policy.rates_of(&deal.tier) else {
        return Ok(None);
    };
    if rates.renewal_bp == 0 || ordinal == 0 || ordinal > rates.renewal_years {
        return Ok(None);
    }
    line(
        RENEWAL,
        arr,
        rates.renewal_bp,
        &deal.rate,
        format!(
            "{} of {arr} renewal ARR: renewal {ordinal} of the {} the {} tier pays for \
             (policy v{version} in force at close)",
            pct(rates.renewal_bp),
            rates.renewal_years,
            deal.tier
        ),
    )
    .map(Some)
}

/// The line of an expansion adding `added` ARR (the deal's currency).
pub fn accrue_expansion(
    deal: &Deal,
    policy: &IncentivePolicy,
    version: i64,
    added: Money,
) -> Result<Option<LineDraft>, FxError> {
    let Some(rates) = policy.rates_of(&deal.tier) else {
        return Ok(None);
    };
    if rates.expansion_bp == 0 {
        return Ok(None);
    }
    line(
        EXPANSION,
        added,
        rates.expansion_bp,
        &deal.rate,
        format!(
            "{} of {added} added ARR (policy v{version} in force at close, tier {})",
            pct(rates.expansion_bp),
            deal.tier
        ),
    )
    .map(Some)
}

/// A posted line, as a negation needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    pub id: String,
    pub base: Money,
    pub rate_bp: u32,
    pub amount: Money,
    pub statement_amount: Money,
}

/// The line that exactly negates `line`, under `rule` with `why`.
pub fn negate(line: &Posted, rule: &str, why: String) -> LineDraft {
    LineDraft {
        rule: rule.to_owned(),
        base: Money::new(-line.base.amount_minor, line.base.currency),
        rate_bp: line.rate_bp,
        amount: Money::new(-line.amount.amount_minor, line.amount.currency),
        statement_amount: Money::new(
            -line.statement_amount.amount_minor,
            line.statement_amount.currency,
        ),
        why,
    }
}

/// Whether a cancellation on `cancelled_on` claws back what an event on `event_on` paid:
/// within `clawback_days` of it, the last day included.
pub fn within_clawback(event_on: NaiveDate, cancelled_on: NaiveDate, clawback_days: u32) -> bool {
    let days = (cancelled_on - event_on).num_days();
    (0..=i64::from(clawback_days)).contains(&days)
}

/// The clawback of an event's lines after a cancellation, or nothing outside the window.
pub fn clawback(
    event: RevenueEvent,
    event_on: NaiveDate,
    cancelled_on: NaiveDate,
    clawback_days: u32,
    lines: &[Posted],
) -> Vec<LineDraft> {
    if !within_clawback(event_on, cancelled_on, clawback_days) {
        return Vec::new();
    }
    let days = (cancelled_on - event_on).num_days();
    lines
        .iter()
        .map(|l| {
            negate(
                l,
                CLAWBACK,
                format!(
                    "clawback of line {}: the customer cancelled on {cancelled_on}, {days} days \
                     after the {} of {event_on} (window: {clawback_days} days)",
                    l.id,
                    event.label().to_lowercase()
                ),
            )
        })
        .collect()
}

#[cfg(test)]
// Amounts are written major_minor (48_000_00 is 48,000.00), as people read money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::payout::policy::{Accelerator, TierRates};
    use crate::pipeline::fx::RATE_SCALE;

    fn usd() -> Currency {
        Currency::parse("c", "USD").unwrap()
    }
    fn eur() -> Currency {
        Currency::parse("c", "EUR").unwrap()
    }
    fn jpy() -> Currency {
        Currency::parse("c", "JPY").unwrap()
    }
    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn same(c: Currency) -> RateAtClose {
        RateAtClose {
            from: c,
            to: c,
            close_on: day("2026-11-02"),
            rate_e8: RATE_SCALE,
            effective_on: None,
        }
    }
    fn policy() -> IncentivePolicy {
        IncentivePolicy {
            tiers: vec![
                TierRates {
                    tier: "Registered".into(),
                    resale_margin_bp: 1000,
                    referral_fee_bp: 500,
                    co_sell_split_bp: 0,
                    marketplace_bp: 250,
                    renewal_bp: 0,
                    renewal_years: 0,
                    expansion_bp: 0,
                },
                TierRates {
                    tier: "Gold".into(),
                    resale_margin_bp: 2000,
                    referral_fee_bp: 1000,
                    co_sell_split_bp: 750,
                    marketplace_bp: 500,
                    renewal_bp: 500,
                    renewal_years: 2,
                    expansion_bp: 1000,
                },
            ],
            accelerators: vec![
                Accelerator {
                    kind: AcceleratorKind::JbpMilestone,
                    extra_bp: 200,
                    at_least: 1,
                },
                Accelerator {
                    kind: AcceleratorKind::Certified,
                    extra_bp: 100,
                    at_least: 3,
                },
            ],
            ..IncentivePolicy::default()
        }
    }
    fn deal(tier: &str, route: RouteKind, arr: i64) -> Deal {
        Deal {
            tier: tier.into(),
            route,
            arr: Money::new(arr, usd()),
            closed_on: day("2026-11-02"),
            rate: same(usd()),
        }
    }
    fn amounts(lines: &[LineDraft]) -> Vec<(String, i64)> {
        lines
            .iter()
            .map(|l| (l.rule.clone(), l.amount.amount_minor))
            .collect()
    }

    #[test]
    fn each_route_pays_its_tiers_rate() {
        let p = policy();
        let s = Standing::default();
        for (tier, route, want_rule, want) in [
            ("Registered", RouteKind::Resale, "resale_margin", 10_000_00),
            ("Registered", RouteKind::Referral, "referral_fee", 5_000_00),
            (
                "Registered",
                RouteKind::CloudMarketplace,
                "marketplace",
                2_500_00,
            ),
            ("Gold", RouteKind::Resale, "resale_margin", 20_000_00),
            ("Gold", RouteKind::Referral, "referral_fee", 10_000_00),
            ("Gold", RouteKind::CoSell, "co_sell_split", 7_500_00),
            ("Gold", RouteKind::CloudMarketplace, "marketplace", 5_000_00),
        ] {
            let lines = accrue_close(&deal(tier, route, 100_000_00), &p, 3, &s).unwrap();
            assert_eq!(
                amounts(&lines),
                vec![(want_rule.to_string(), want)],
                "{tier} {route:?}"
            );
            assert!(lines[0].why.contains("policy v3"), "{}", lines[0].why);
        }
    }

    #[test]
    fn a_route_at_zero_or_a_tier_without_rates_earns_nothing() {
        let p = policy();
        let s = Standing::default();
        assert!(
            accrue_close(&deal("Registered", RouteKind::CoSell, 100), &p, 1, &s)
                .unwrap()
                .is_empty()
        );
        assert!(
            accrue_close(&deal("Premier", RouteKind::Resale, 100), &p, 1, &s)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_certified_accelerator_starts_at_its_count() {
        let p = policy();
        let d = deal("Gold", RouteKind::Resale, 100_000_00);
        let two = Standing {
            certified_individuals: 2,
            jbp: None,
        };
        let three = Standing {
            certified_individuals: 3,
            jbp: None,
        };
        assert_eq!(accrue_close(&d, &p, 1, &two).unwrap().len(), 1);
        let lines = accrue_close(&d, &p, 1, &three).unwrap();
        assert_eq!(
            amounts(&lines),
            vec![
                ("resale_margin".into(), 20_000_00),
                ("accelerator.certified".into(), 1_000_00)
            ]
        );
    }

    #[test]
    fn the_jbp_accelerator_pays_only_the_part_above_the_milestone() {
        let p = policy();
        let d = deal("Gold", RouteKind::Resale, 100_000_00);
        let at = |won_before| Standing {
            certified_individuals: 0,
            jbp: Some(JbpQuarter {
                milestone_minor: 500_000_00,
                won_before_minor: won_before,
            }),
        };
        // Reaching the milestone exactly is not above it.
        assert_eq!(accrue_close(&d, &p, 1, &at(400_000_00)).unwrap().len(), 1);
        // One unit above.
        let lines = accrue_close(&d, &p, 1, &at(400_000_01)).unwrap();
        assert_eq!(lines[1].base.amount_minor, 1);
        assert_eq!(lines[1].amount.amount_minor, 0); // 2% of 1 cent rounds to 0 (half-even)
        // Straddling: 30,000.00 of the deal lies above.
        let lines = accrue_close(&d, &p, 1, &at(430_000_00)).unwrap();
        assert_eq!(lines[1].base.amount_minor, 30_000_00);
        assert_eq!(lines[1].amount.amount_minor, 600_00);
        // Already above: the whole deal.
        let lines = accrue_close(&d, &p, 1, &at(600_000_00)).unwrap();
        assert_eq!(lines[1].base.amount_minor, 100_000_00);
        // No plan: no accelerator.
        assert_eq!(
            accrue_close(&d, &p, 1, &Standing::default()).unwrap().len(),
            1
        );
    }

    #[test]
    fn renewals_pay_for_the_tiers_years_only() {
        let p = policy();
        let d = deal("Gold", RouteKind::Resale, 100_000_00);
        let arr = Money::new(110_000_00, usd());
        let first = accrue_renewal(&d, &p, 1, 1, arr).unwrap().unwrap();
        assert_eq!(first.amount.amount_minor, 5_500_00);
        assert!(first.why.contains("renewal 1 of the 2"), "{}", first.why);
        assert!(accrue_renewal(&d, &p, 1, 2, arr).unwrap().is_some());
        assert!(accrue_renewal(&d, &p, 1, 3, arr).unwrap().is_none());
        // A tier without a renewal share.
        let r = deal("Registered", RouteKind::Resale, 100_000_00);
        assert!(accrue_renewal(&r, &p, 1, 1, arr).unwrap().is_none());
    }

    #[test]
    fn expansions_pay_on_the_added_arr() {
        let p = policy();
        let d = deal("Gold", RouteKind::Referral, 100_000_00);
        let l = accrue_expansion(&d, &p, 1, Money::new(25_000_00, usd()))
            .unwrap()
            .unwrap();
        assert_eq!(
            (l.rule.as_str(), l.amount.amount_minor),
            (EXPANSION, 2_500_00)
        );
    }

    #[test]
    fn the_clawback_window_includes_its_last_day() {
        let close = day("2026-01-01");
        assert!(within_clawback(close, close, 90));
        assert!(within_clawback(close, day("2026-04-01"), 90)); // day 90
        assert!(!within_clawback(close, day("2026-04-02"), 90)); // day 91
        assert!(!within_clawback(close, day("2025-12-31"), 90)); // before the event
    }

    #[test]
    fn a_clawback_exactly_negates() {
        let p = policy();
        let d = deal("Gold", RouteKind::Resale, 123_456_78);
        let lines = accrue_close(
            &d,
            &p,
            1,
            &Standing {
                certified_individuals: 5,
                jbp: None,
            },
        )
        .unwrap();
        let posted: Vec<Posted> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| Posted {
                id: format!("cml_{i}"),
                base: l.base,
                rate_bp: l.rate_bp,
                amount: l.amount,
                statement_amount: l.statement_amount,
            })
            .collect();
        let back = clawback(
            RevenueEvent::Close,
            d.closed_on,
            d.closed_on + chrono::Days::new(90),
            90,
            &posted,
        );
        assert_eq!(back.len(), lines.len());
        let sum: i64 = lines
            .iter()
            .chain(&back)
            .map(|l| l.statement_amount.amount_minor)
            .sum();
        assert_eq!(sum, 0);
        assert!(back[0].why.contains("90 days"), "{}", back[0].why);
        assert!(
            clawback(
                RevenueEvent::Close,
                d.closed_on,
                d.closed_on + chrono::Days::new(91),
                90,
                &posted
            )
            .is_empty()
        );
    }

    #[test]
    fn lines_round_half_to_even_then_convert_at_the_rate_at_close() {
        let r = same(usd());
        // 0.5 cent ties go to even.
        assert_eq!(
            line_amounts(Money::new(25, usd()), 1000, &r)
                .unwrap()
                .0
                .amount_minor,
            2
        ); // 2.5 -> 2
        assert_eq!(
            line_amounts(Money::new(35, usd()), 1000, &r)
                .unwrap()
                .0
                .amount_minor,
            4
        ); // 3.5 -> 4
        assert_eq!(
            line_amounts(Money::new(-25, usd()), 1000, &r)
                .unwrap()
                .0
                .amount_minor,
            -2
        );
        // EUR deal paid in USD at 1.085.
        let eur_usd = RateAtClose {
            from: eur(),
            to: usd(),
            close_on: day("2026-11-02"),
            rate_e8: 108_500_000,
            effective_on: Some(day("2026-11-01")),
        };
        let (amount, stmt) = line_amounts(Money::new(100_000_00, eur()), 1500, &eur_usd).unwrap();
        assert_eq!(amount, Money::new(15_000_00, eur()));
        assert_eq!(stmt, Money::new(16_275_00, usd()));
        // A currency without minor units.
        let jpy_usd = RateAtClose {
            from: jpy(),
            to: usd(),
            rate_e8: 670_000,
            ..eur_usd
        };
        let (amount, stmt) = line_amounts(Money::new(1_000_005, jpy()), 1000, &jpy_usd).unwrap();
        assert_eq!(amount.amount_minor, 100_000); // 100,000.5 -> 100,000 (even)
        assert_eq!(stmt.amount_minor, 670_00);
    }

    #[test]
    fn percentages_read_as_people_write_them() {
        assert_eq!(pct(2000), "20%");
        assert_eq!(pct(750), "7.5%");
        assert_eq!(pct(1234), "12.34%");
        assert_eq!(pct(5), "0.05%");
    }
}
