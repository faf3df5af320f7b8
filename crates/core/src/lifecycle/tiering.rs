//! Automated tiering: partners move up as soon as live performance data shows they earned a
//! higher tier, re-qualify at the annual review (one tier down when they missed their
//! tier's quota by more than the allowed percentage), and fall back to the entry tier when
//! they registered no deal for `governance.sunset_months` months (the sunset rule).
//!
//! Everything here is a function of the policy, the metrics and the day passed in.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::policy::{Metric, ProgramPolicy};

/// The note on a metric the system does not record yet.
pub const NOT_RECORDED: &str = "not recorded yet; evaluated as 0";

/// A partner's live measures. `None`: the system does not record this yet (evaluates as 0).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerMetrics {
    /// Won registrations closed in the trailing 12 months, minor units.
    pub sourced_arr_minor: i64,
    /// Registrations submitted in the trailing 12 months (not rejected or withdrawn).
    pub registrations: i64,
    pub certified_individuals: Option<i64>,
    pub jbp_in_place: Option<bool>,
    /// Sourced ARR won against the agreed plan's milestones pro-rated to date, whole percent
    /// (`business_plan::attainment::to_date_pct`); 0 without a plan in place or before its
    /// first milestone is due.
    pub jbp_attainment_pct: Option<i64>,
    pub psat: Option<i64>,
}

impl PartnerMetrics {
    /// The value of a metric, and a note when it is not recorded yet (then it is 0).
    pub fn value(&self, metric: Metric) -> (i64, Option<String>) {
        let (value, recorded) = self.raw(metric);
        (value, (!recorded).then(|| NOT_RECORDED.to_owned()))
    }

    /// The value of a metric and whether it is recorded, without allocating.
    fn raw(&self, metric: Metric) -> (i64, bool) {
        match metric {
            Metric::SourcedArr => (self.sourced_arr_minor, true),
            Metric::Registrations => (self.registrations, true),
            Metric::CertifiedIndividuals => match self.certified_individuals {
                Some(v) => (v, true),
                None => (0, false),
            },
            Metric::JbpInPlace => match self.jbp_in_place {
                Some(v) => (i64::from(v), true),
                None => (0, false),
            },
            Metric::JbpAttainment => match self.jbp_attainment_pct {
                Some(v) => (v, true),
                None => (0, false),
            },
            Metric::Psat => match self.psat {
                Some(v) => (v, true),
                None => (0, false),
            },
        }
    }
}

/// One criterion checked against the metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CriterionCheck {
    pub metric: Metric,
    pub at_least: i64,
    pub actual: i64,
    pub met: bool,
    /// Set when the metric is not recorded yet and evaluated as zero.
    pub note: Option<String>,
}

/// A tier's criteria checked: met when every criterion is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierCheck {
    /// 1-based position on the ladder.
    pub rank: i64,
    pub name: String,
    pub met: bool,
    pub criteria: Vec<CriterionCheck>,
}

/// Which rule moved (or kept) a partner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TierRule {
    Upgrade,
    Keep,
    AnnualReviewDowngrade,
    AnnualReviewKeep,
    Sunset,
}

impl TierRule {
    /// The decision rule name as stored, e.g. `tiering.sunset`.
    pub fn as_str(self) -> &'static str {
        match self {
            TierRule::Upgrade => "tiering.upgrade",
            TierRule::Keep => "tiering.keep",
            TierRule::AnnualReviewDowngrade => "tiering.annual_review.downgrade",
            TierRule::AnnualReviewKeep => "tiering.annual_review.keep",
            TierRule::Sunset => "tiering.sunset",
        }
    }
}

/// Quota figures of an annual review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaFigures {
    pub quota_minor: i64,
    pub actual_minor: i64,
    /// How far the partner fell short, in basis points of the quota (0 when met).
    pub missed_bps: i64,
    pub threshold_bps: i64,
}

/// The outcome of evaluating one partner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierDecision {
    pub rule: TierRule,
    pub from_rank: i64,
    pub to_rank: i64,
    /// For people: what happened and why, with the figures.
    pub reason: String,
    /// Every tier's criteria, met and missed.
    pub checks: Vec<TierCheck>,
    pub quota: Option<QuotaFigures>,
}

/// What else an evaluation needs to know about the partner and the day.
#[derive(Clone, Debug, PartialEq)]
pub struct EvaluationContext {
    pub as_of: NaiveDate,
    pub joined_on: NaiveDate,
    /// Submission date of the partner's latest registered deal (not rejected or withdrawn).
    pub last_registration_on: Option<NaiveDate>,
    /// Whether this evaluation is the annual review.
    pub annual_review: bool,
}

/// Checks every tier's criteria against the metrics.
pub fn qualify(policy: &ProgramPolicy, metrics: &PartnerMetrics) -> Vec<TierCheck> {
    policy
        .tiers
        .iter()
        .enumerate()
        .map(|(i, tier)| {
            let criteria: Vec<CriterionCheck> = tier
                .criteria
                .iter()
                .map(|c| {
                    let (actual, note) = metrics.value(c.metric);
                    CriterionCheck {
                        metric: c.metric,
                        at_least: c.at_least,
                        actual,
                        met: actual >= c.at_least,
                        note,
                    }
                })
                .collect();
            TierCheck {
                rank: i as i64 + 1,
                name: tier.name.clone(),
                met: criteria.iter().all(|c| c.met),
                criteria,
            }
        })
        .collect()
}

/// Decides a partner's tier: sunset first, then the annual review, then upgrades.
pub fn evaluate(
    policy: &ProgramPolicy,
    current_rank: i64,
    metrics: &PartnerMetrics,
    ctx: &EvaluationContext,
) -> TierDecision {
    let outcome = decide(policy, current_rank, metrics, ctx);
    let checks = qualify(policy, metrics);
    let reason = explain(policy, &outcome, &checks, ctx);
    TierDecision {
        rule: outcome.rule,
        from_rank: current_rank,
        to_rank: outcome.to_rank,
        reason,
        checks,
        quota: outcome.quota,
    }
}

/// The annual review date on or before `day` (`governance.annual_review`, `MM-DD`).
pub fn last_review_on_or_before(policy: &ProgramPolicy, day: NaiveDate) -> Option<NaiveDate> {
    let (month, dom) = parse_month_day(&policy.governance.annual_review)?;
    let this_year = review_in_year(day.year(), month, dom)?;
    if this_year <= day {
        Some(this_year)
    } else {
        review_in_year(day.year() - 1, month, dom)
    }
}

/// What a partner needs for the next tier: the unmet criteria of the tier above.
pub fn next_tier_gap(checks: &[TierCheck], current_rank: i64) -> Option<&TierCheck> {
    checks.iter().find(|c| c.rank == current_rank + 1)
}

/// `MM-DD` as (month, day), checked against a leap year so `02-29` is accepted. As strict
/// as policy validation: two digits each, nothing around them.
fn parse_month_day(text: &str) -> Option<(u32, u32)> {
    let (m, d) = text.split_once('-')?;
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(m) || !digits(d) {
        return None;
    }
    let (month, dom) = (m.parse().ok()?, d.parse().ok()?);
    NaiveDate::from_ymd_opt(2000, month, dom)?;
    Some((month, dom))
}

/// The review day in a year; 02-29 falls on 02-28 in other years.
fn review_in_year(year: i32, month: u32, dom: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, dom).or_else(|| {
        (month == 2 && dom == 29)
            .then(|| NaiveDate::from_ymd_opt(year, 2, 28))
            .flatten()
    })
}

/// A tiering decision without its prose: what [`evaluate`] decides, computed without
/// allocating, so a replay over thousands of partners formats text only where it needs to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outcome {
    pub rule: TierRule,
    /// The rank the decision started from, clamped onto the ladder.
    pub from: i64,
    pub to_rank: i64,
    pub quota: Option<QuotaFigures>,
    /// The highest rank whose criteria are met (0: none).
    pub highest_met: i64,
    /// The sunset condition holds (no registration in the window, joined long enough ago).
    pub dormant: bool,
}

/// The quota figures of a tier at a review, or None when the tier has no quota.
pub(crate) fn quota_figures(
    policy: &ProgramPolicy,
    rank: i64,
    actual_minor: i64,
) -> Option<QuotaFigures> {
    let quota = tier_at(policy, rank)?.annual_quota_minor;
    if quota <= 0 {
        return None;
    }
    let short = (i128::from(quota) - i128::from(actual_minor)).max(0);
    // Integer basis points, rounded down: 29.99% is 2999, never 3000.
    let missed_bps = i64::try_from(short * 10_000 / i128::from(quota)).unwrap_or(i64::MAX);
    Some(QuotaFigures {
        quota_minor: quota,
        actual_minor,
        missed_bps,
        threshold_bps: threshold_bps(policy),
    })
}

fn threshold_bps(policy: &ProgramPolicy) -> i64 {
    // A float-to-int `as` saturates (NaN is 0), so no input can panic here.
    (policy.governance.downgrade_quota_miss_percent * 100.0).round() as i64
}

fn tier_at(policy: &ProgramPolicy, rank: i64) -> Option<&crate::policy::TierRule> {
    usize::try_from(rank - 1)
        .ok()
        .and_then(|i| policy.tiers.get(i))
}

/// Whether every criterion of a tier is met.
fn tier_met(tier: &crate::policy::TierRule, metrics: &PartnerMetrics) -> bool {
    tier.criteria
        .iter()
        .all(|c| metrics.raw(c.metric).0 >= c.at_least)
}

/// The latest day whose registration still counts against the sunset rule: a partner
/// whose last registration is on or before it (or who has none) is dormant. None when the
/// rule does not apply (no positive window, or the partner joined inside it).
pub(crate) fn sunset_cutoff(policy: &ProgramPolicy, ctx: &EvaluationContext) -> Option<NaiveDate> {
    let months = u32::try_from(policy.governance.sunset_months)
        .ok()
        .filter(|m| *m > 0)?;
    let cutoff = ctx.as_of.checked_sub_months(Months::new(months))?;
    (ctx.joined_on <= cutoff).then_some(cutoff)
}

/// The decision of [`evaluate`], without text.
pub(crate) fn decide(
    policy: &ProgramPolicy,
    current_rank: i64,
    metrics: &PartnerMetrics,
    ctx: &EvaluationContext,
) -> Outcome {
    let len = policy.tiers.len() as i64;
    if len == 0 {
        return Outcome {
            rule: TierRule::Keep,
            from: current_rank,
            to_rank: current_rank,
            quota: None,
            highest_met: 0,
            dormant: false,
        };
    }
    let cur = current_rank.clamp(1, len);
    let highest_met = policy
        .tiers
        .iter()
        .rposition(|t| tier_met(t, metrics))
        .map_or(0, |i| i as i64 + 1);
    let dormant = sunset_cutoff(policy, ctx)
        .is_some_and(|cutoff| ctx.last_registration_on.is_none_or(|d| d <= cutoff));
    let out = |rule, to_rank, quota| Outcome {
        rule,
        from: cur,
        to_rank,
        quota,
        highest_met,
        dormant,
    };
    // (a) Sunset: a dormant partner returns to the entry tier; it cannot move up either.
    if dormant && cur > 1 {
        return out(TierRule::Sunset, 1, None);
    }
    let can_upgrade = !dormant && highest_met > cur;
    // (b) The annual review: one tier down for a quota missed by more than the threshold;
    // a partner that earned a higher tier moves up.
    if ctx.annual_review {
        let quota = quota_figures(policy, cur, metrics.sourced_arr_minor);
        if let Some(q) = &quota
            && q.missed_bps > q.threshold_bps
            && cur > 1
        {
            return out(TierRule::AnnualReviewDowngrade, cur - 1, quota);
        }
        if can_upgrade {
            return out(TierRule::Upgrade, highest_met, quota);
        }
        return out(TierRule::AnnualReviewKeep, cur, quota);
    }
    // (c) Live upgrades, possibly several steps; (d) otherwise the partner keeps its tier.
    if can_upgrade && policy.governance.auto_upgrade {
        return out(TierRule::Upgrade, highest_met, None);
    }
    out(TierRule::Keep, cur, None)
}

/// `12,345.67` from minor units (two decimals, grouped thousands).
pub fn format_minor(amount_minor: i64) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    let digits = (abs / 100).to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// Basis points as a percentage with one decimal, rounded down: 2999 → `29.9%`.
pub fn format_bps(bps: i64) -> String {
    let sign = if bps < 0 { "-" } else { "" };
    let abs = bps.unsigned_abs();
    format!("{sign}{}.{}%", abs / 100, (abs % 100) / 10)
}

/// A threshold in basis points, without needless decimals: 3000 → `30%`, 3050 → `30.5%`.
pub fn format_threshold(bps: i64) -> String {
    let sign = if bps < 0 { "-" } else { "" };
    let abs = bps.unsigned_abs();
    let (whole, frac) = (abs / 100, abs % 100);
    match frac {
        0 => format!("{sign}{whole}%"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}%", f / 10),
        f => format!("{sign}{whole}.{f:02}%"),
    }
}

/// `Sourced ARR 65,000.00 against a quota of 100,000.00: missed by 35.0%, more than the
/// 30% allowed` (without the capital, for use inside a sentence).
pub(crate) fn quota_sentence(q: &QuotaFigures) -> String {
    let head = format!(
        "sourced ARR {} against a quota of {}",
        format_minor(q.actual_minor),
        format_minor(q.quota_minor)
    );
    if q.missed_bps == 0 {
        return format!("{head}: quota met");
    }
    let side = if q.missed_bps > q.threshold_bps {
        "more than"
    } else {
        "within"
    };
    format!(
        "{head}: missed by {}, {side} the {} allowed",
        format_bps(q.missed_bps),
        format_threshold(q.threshold_bps)
    )
}

fn metric_name(metric: Metric) -> &'static str {
    match metric {
        Metric::SourcedArr => "sourced ARR",
        Metric::Registrations => "registrations",
        Metric::CertifiedIndividuals => "certified individuals",
        Metric::JbpInPlace => "joint business plan",
        Metric::JbpAttainment => "joint business plan attainment",
        Metric::Psat => "PSAT",
    }
}

fn metric_text(metric: Metric, value: i64) -> String {
    match metric {
        Metric::SourcedArr => format_minor(value),
        Metric::JbpAttainment => format!("{value}%"),
        _ => value.to_string(),
    }
}

fn note_suffix(c: &CriterionCheck) -> String {
    c.note
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default()
}

/// A met criterion: `sourced ARR 600,000.00 (at least 500,000.00)`.
fn met_text(c: &CriterionCheck) -> String {
    if c.metric == Metric::JbpInPlace && c.at_least == 1 {
        return "a joint business plan in place".to_owned();
    }
    format!(
        "{} {} (at least {}){}",
        metric_name(c.metric),
        metric_text(c.metric, c.actual),
        metric_text(c.metric, c.at_least),
        note_suffix(c)
    )
}

/// A missed criterion: `sourced ARR 120,000.00 of the 500,000.00 needed`.
fn missing_text(c: &CriterionCheck) -> String {
    if c.metric == Metric::JbpInPlace && c.at_least == 1 {
        return format!("a joint business plan in place (none){}", note_suffix(c));
    }
    format!(
        "{} {} of the {} needed{}",
        metric_name(c.metric),
        metric_text(c.metric, c.actual),
        metric_text(c.metric, c.at_least),
        note_suffix(c)
    )
}

fn tier_name(policy: &ProgramPolicy, rank: i64) -> String {
    tier_at(policy, rank).map_or_else(|| format!("rank {rank}"), |t| t.name.clone())
}

/// What the partner still needs for the tier above `rank`, or that it is the top tier.
fn next_tier_text(checks: &[TierCheck], rank: i64) -> String {
    match next_tier_gap(checks, rank) {
        None => ", the top tier".to_owned(),
        Some(next) if next.met => String::new(),
        Some(next) => {
            let missing: Vec<String> = next
                .criteria
                .iter()
                .filter(|c| !c.met)
                .map(missing_text)
                .collect();
            format!("; for {} it still needs {}", next.name, missing.join(", "))
        }
    }
}

fn explain(
    policy: &ProgramPolicy,
    o: &Outcome,
    checks: &[TierCheck],
    ctx: &EvaluationContext,
) -> String {
    if policy.tiers.is_empty() {
        return "The policy has no tiers; the partner keeps its rank".to_owned();
    }
    let from = tier_name(policy, o.from);
    let to = tier_name(policy, o.to_rank);
    let review = o.quota.as_ref().map(|q| {
        let s = quota_sentence(q);
        format!("Annual review: {s}")
    });
    match o.rule {
        TierRule::Sunset => {
            let months = policy.governance.sunset_months;
            let last = match ctx.last_registration_on {
                Some(d) => format!("the last on {d}"),
                None => "none ever".to_owned(),
            };
            format!(
                "No deal registered in the {months} months to {} ({last}; joined {}): moved from {from} to the entry tier {to}",
                ctx.as_of, ctx.joined_on
            )
        }
        TierRule::AnnualReviewDowngrade => {
            let q = o.quota.as_ref().map(quota_sentence).unwrap_or_default();
            format!("{}; down one tier from {from} to {to}", upper_first(&q))
        }
        TierRule::Upgrade => {
            let met: Vec<String> = checks
                .iter()
                .find(|c| c.rank == o.to_rank)
                .map(|c| c.criteria.iter().map(met_text).collect())
                .unwrap_or_default();
            let steps = o.to_rank - o.from;
            let up = if steps == 1 {
                format!("up from {from} to {to}")
            } else {
                format!("up {steps} tiers from {from} to {to}")
            };
            let because = if met.is_empty() {
                format!("{to} has no criteria")
            } else {
                format!("Met every criterion of {to}: {}", met.join(", "))
            };
            match review {
                Some(r) => format!("{r}; {}; {up}", lower_first(&because)),
                None => format!("{because}; {up}"),
            }
        }
        TierRule::AnnualReviewKeep => {
            let head = match review {
                Some(r) => r,
                None => format!("Annual review: {from} has no quota"),
            };
            let entry = o
                .quota
                .as_ref()
                .is_some_and(|q| q.missed_bps > q.threshold_bps);
            let stays = if entry {
                format!("; {from} is the entry tier, so it stays there")
            } else {
                format!("; stays {from}")
            };
            format!("{head}{stays}{}", keep_tail(policy, o, checks, ctx))
        }
        TierRule::Keep => format!("Stays {from}{}", keep_tail(policy, o, checks, ctx)),
    }
}

/// Why a kept partner did not move up, or what it needs for the next tier.
fn keep_tail(
    policy: &ProgramPolicy,
    o: &Outcome,
    checks: &[TierCheck],
    ctx: &EvaluationContext,
) -> String {
    if o.highest_met > o.from {
        let higher = tier_name(policy, o.highest_met);
        if o.dormant {
            return format!(
                "; it meets the criteria of {higher} but registered no deal in the {} months to {}",
                policy.governance.sunset_months, ctx.as_of
            );
        }
        return format!("; it meets the criteria of {higher} but automatic upgrades are off");
    }
    next_tier_text(checks, o.from)
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::policy::{Criterion, TierRule as Rung};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Seed ladder: Registered (no quota), Select (100,000.00, ARR ≥ 100,000.00 and 4
    /// registrations), Premier (500,000.00; ARR, 12 registrations, 4 certified, JBP).
    fn seed() -> ProgramPolicy {
        ProgramPolicy::seed_default()
    }

    fn premier_metrics() -> PartnerMetrics {
        PartnerMetrics {
            sourced_arr_minor: 60_000_000,
            registrations: 14,
            certified_individuals: Some(5),
            jbp_in_place: Some(true),
            jbp_attainment_pct: Some(85),
            psat: Some(80),
        }
    }

    fn ctx(as_of: NaiveDate) -> EvaluationContext {
        EvaluationContext {
            as_of,
            joined_on: d(2020, 1, 1),
            last_registration_on: Some(as_of),
            annual_review: false,
        }
    }

    fn review(as_of: NaiveDate) -> EvaluationContext {
        EvaluationContext {
            annual_review: true,
            ..ctx(as_of)
        }
    }

    fn select_with_arr(arr: i64) -> PartnerMetrics {
        PartnerMetrics {
            sourced_arr_minor: arr,
            registrations: 5,
            ..Default::default()
        }
    }

    #[test]
    fn value_reads_each_metric_and_notes_unrecorded_ones() {
        let m = premier_metrics();
        assert_eq!(m.value(Metric::SourcedArr), (60_000_000, None));
        assert_eq!(m.value(Metric::Registrations), (14, None));
        assert_eq!(m.value(Metric::CertifiedIndividuals), (5, None));
        assert_eq!(m.value(Metric::JbpInPlace), (1, None));
        assert_eq!(m.value(Metric::JbpAttainment), (85, None));
        assert_eq!(m.value(Metric::Psat), (80, None));
        let none = PartnerMetrics::default();
        for metric in [
            Metric::CertifiedIndividuals,
            Metric::JbpInPlace,
            Metric::JbpAttainment,
            Metric::Psat,
        ] {
            assert_eq!(
                none.value(metric),
                (0, Some("not recorded yet; evaluated as 0".to_owned()))
            );
        }
        let no_jbp = PartnerMetrics {
            jbp_in_place: Some(false),
            ..Default::default()
        };
        assert_eq!(no_jbp.value(Metric::JbpInPlace), (0, None));
    }

    #[test]
    fn qualify_checks_every_criterion_of_every_tier() {
        let checks = qualify(&seed(), &premier_metrics());
        assert_eq!(checks.len(), 3);
        assert_eq!(
            checks
                .iter()
                .map(|c| (c.rank, c.name.as_str(), c.met))
                .collect::<Vec<_>>(),
            vec![
                (1, "Registered", true),
                (2, "Select", true),
                (3, "Premier", true)
            ]
        );
        assert!(
            checks[0].criteria.is_empty(),
            "the entry tier has no criteria and is met"
        );
        assert!(checks[2].criteria.iter().all(|c| c.met && c.note.is_none()));
    }

    #[test]
    fn each_missed_criterion_is_reported_with_its_figures() {
        let policy = seed();
        let full = premier_metrics();
        let cases: [(Metric, PartnerMetrics); 4] = [
            (
                Metric::SourcedArr,
                PartnerMetrics {
                    sourced_arr_minor: 49_999_999,
                    ..full.clone()
                },
            ),
            (
                Metric::Registrations,
                PartnerMetrics {
                    registrations: 11,
                    ..full.clone()
                },
            ),
            (
                Metric::CertifiedIndividuals,
                PartnerMetrics {
                    certified_individuals: Some(3),
                    ..full.clone()
                },
            ),
            (
                Metric::JbpInPlace,
                PartnerMetrics {
                    jbp_in_place: Some(false),
                    ..full.clone()
                },
            ),
        ];
        for (metric, metrics) in cases {
            let premier = &qualify(&policy, &metrics)[2];
            assert!(!premier.met, "{metric:?}");
            let missed: Vec<Metric> = premier
                .criteria
                .iter()
                .filter(|c| !c.met)
                .map(|c| c.metric)
                .collect();
            assert_eq!(missed, vec![metric]);
        }
        // Exactly at the threshold is met (`>=`).
        let at = PartnerMetrics {
            sourced_arr_minor: 50_000_000,
            registrations: 12,
            certified_individuals: Some(4),
            ..full
        };
        assert!(qualify(&policy, &at)[2].met);
    }

    #[test]
    fn psat_criterion_met_and_missed() {
        let mut policy = seed();
        policy.tiers[1].criteria = vec![Criterion {
            metric: Metric::Psat,
            at_least: 70,
        }];
        let with = |psat| PartnerMetrics {
            psat,
            ..Default::default()
        };
        assert!(qualify(&policy, &with(Some(70)))[1].met);
        assert!(!qualify(&policy, &with(Some(69)))[1].met);
        let unrecorded = &qualify(&policy, &with(None))[1];
        assert!(!unrecorded.met);
        assert_eq!(unrecorded.criteria[0].note.as_deref(), Some(NOT_RECORDED));
    }

    #[test]
    fn unrecorded_metrics_evaluate_as_zero_with_their_note_in_the_reason() {
        let policy = seed();
        let m = PartnerMetrics {
            sourced_arr_minor: 60_000_000,
            registrations: 14,
            certified_individuals: None,
            jbp_in_place: None,
            jbp_attainment_pct: None,
            psat: None,
        };
        let dec = evaluate(&policy, 2, &m, &ctx(d(2026, 6, 1)));
        assert_eq!((dec.rule, dec.to_rank), (TierRule::Keep, 2));
        let premier = &dec.checks[2];
        let notes: Vec<(Metric, i64, Option<&str>)> = premier
            .criteria
            .iter()
            .filter(|c| !c.met)
            .map(|c| (c.metric, c.actual, c.note.as_deref()))
            .collect();
        assert_eq!(
            notes,
            vec![
                (Metric::CertifiedIndividuals, 0, Some(NOT_RECORDED)),
                (Metric::JbpInPlace, 0, Some(NOT_RECORDED)),
            ]
        );
        assert!(
            dec.reason.contains(
                "for Premier it still needs certified individuals 0 of the 4 needed (not recorded yet; evaluated as 0)"
            ),
            "{}",
            dec.reason
        );
    }

    #[test]
    fn a_tier_without_criteria_is_met() {
        let mut policy = seed();
        policy.tiers[1].criteria.clear();
        let checks = qualify(&policy, &PartnerMetrics::default());
        assert!(checks[0].met && checks[1].met && !checks[2].met);
    }

    #[test]
    fn annual_review_boundary_at_thirty_percent() {
        let policy = seed();
        let on = review(d(2026, 1, 15));
        // Quota 100,000.00 = 10,000,000 minor.
        let cases = [
            (7_010_000, 2990, TierRule::AnnualReviewKeep, 2), // 29.9% missed
            (7_000_000, 3000, TierRule::AnnualReviewKeep, 2), // exactly 30.0%
            (6_990_000, 3010, TierRule::AnnualReviewDowngrade, 1), // 30.1%
            (6_999_999, 3000, TierRule::AnnualReviewKeep, 2), // 30.00001% rounds down
        ];
        for (arr, bps, rule, to) in cases {
            let dec = evaluate(&policy, 2, &select_with_arr(arr), &on);
            assert_eq!((dec.rule, dec.to_rank), (rule, to), "arr {arr}");
            let q = dec.quota.unwrap();
            assert_eq!(
                (q.quota_minor, q.actual_minor, q.missed_bps, q.threshold_bps),
                (10_000_000, arr, bps, 3000)
            );
        }
    }

    #[test]
    fn the_downgrade_reason_has_the_figures() {
        let dec = evaluate(
            &seed(),
            2,
            &select_with_arr(6_500_000),
            &review(d(2026, 1, 15)),
        );
        assert_eq!(dec.rule.as_str(), "tiering.annual_review.downgrade");
        assert_eq!(
            dec.reason,
            "Sourced ARR 65,000.00 against a quota of 100,000.00: missed by 35.0%, \
             more than the 30% allowed; down one tier from Select to Registered"
        );
    }

    #[test]
    fn a_downgrade_is_one_step_only() {
        let dec = evaluate(
            &seed(),
            3,
            &PartnerMetrics::default(),
            &review(d(2026, 1, 15)),
        );
        assert_eq!(
            (dec.rule, dec.from_rank, dec.to_rank),
            (TierRule::AnnualReviewDowngrade, 3, 2)
        );
        assert_eq!(dec.quota.unwrap().missed_bps, 10_000);
    }

    #[test]
    fn the_entry_tier_never_goes_below_one() {
        let mut policy = seed();
        policy.tiers[0].annual_quota_minor = 1_000_000;
        let dec = evaluate(
            &policy,
            1,
            &PartnerMetrics::default(),
            &review(d(2026, 1, 15)),
        );
        assert_eq!((dec.rule, dec.to_rank), (TierRule::AnnualReviewKeep, 1));
        assert!(dec.reason.contains("entry tier"), "{}", dec.reason);
        // A rank below the ladder is read as the entry tier.
        let low = evaluate(
            &policy,
            0,
            &PartnerMetrics::default(),
            &review(d(2026, 1, 15)),
        );
        assert_eq!(low.to_rank, 1);
    }

    #[test]
    fn a_review_with_no_quota_keeps() {
        let mut policy = seed();
        policy.tiers[1].annual_quota_minor = 0;
        let dec = evaluate(&policy, 2, &select_with_arr(0), &review(d(2026, 1, 15)));
        assert_eq!(
            (dec.rule, dec.to_rank, dec.quota),
            (TierRule::AnnualReviewKeep, 2, None)
        );
        assert!(
            dec.reason
                .starts_with("Annual review: Select has no quota; stays Select")
        );
    }

    #[test]
    fn the_review_upgrades_a_partner_that_earned_a_higher_tier() {
        let dec = evaluate(&seed(), 2, &premier_metrics(), &review(d(2026, 1, 15)));
        assert_eq!((dec.rule, dec.to_rank), (TierRule::Upgrade, 3));
        assert_eq!(dec.quota.as_ref().unwrap().missed_bps, 0);
        assert!(dec.reason.contains("quota met"), "{}", dec.reason);
    }

    #[test]
    fn sunset_boundary_exactly_twelve_months() {
        let policy = seed();
        let as_of = d(2026, 3, 10);
        let at = |last| EvaluationContext {
            last_registration_on: Some(last),
            ..ctx(as_of)
        };
        // Exactly 12 months before: outside the window.
        let dec = evaluate(&policy, 3, &premier_metrics(), &at(d(2025, 3, 10)));
        assert_eq!((dec.rule, dec.to_rank), (TierRule::Sunset, 1));
        assert!(
            dec.reason.starts_with(
                "No deal registered in the 12 months to 2026-03-10 (the last on 2025-03-10"
            ),
            "{}",
            dec.reason
        );
        // One day later: inside.
        let dec = evaluate(&policy, 3, &premier_metrics(), &at(d(2025, 3, 11)));
        assert_eq!((dec.rule, dec.to_rank), (TierRule::Keep, 3));
        // Never registered at all.
        let never = EvaluationContext {
            last_registration_on: None,
            ..ctx(as_of)
        };
        assert_eq!(
            evaluate(&policy, 2, &premier_metrics(), &never).rule,
            TierRule::Sunset
        );
    }

    #[test]
    fn no_sunset_for_a_partner_that_joined_less_than_twelve_months_ago() {
        let policy = seed();
        let as_of = d(2026, 3, 10);
        let young = EvaluationContext {
            joined_on: d(2025, 3, 11),
            last_registration_on: None,
            ..ctx(as_of)
        };
        let dec = evaluate(&policy, 2, &select_with_arr(10_000_000), &young);
        assert_eq!((dec.rule, dec.to_rank), (TierRule::Keep, 2));
        let old_enough = EvaluationContext {
            joined_on: d(2025, 3, 10),
            ..young
        };
        assert_eq!(
            evaluate(&policy, 2, &select_with_arr(10_000_000), &old_enough).rule,
            TierRule::Sunset
        );
    }

    #[test]
    fn sunset_comes_before_the_review_and_blocks_upgrades() {
        let policy = seed();
        let dormant = EvaluationContext {
            last_registration_on: Some(d(2024, 1, 1)),
            ..review(d(2026, 1, 15))
        };
        assert_eq!(
            evaluate(&policy, 3, &premier_metrics(), &dormant).rule,
            TierRule::Sunset
        );
        let at_entry = evaluate(
            &policy,
            1,
            &premier_metrics(),
            &EvaluationContext {
                annual_review: false,
                ..dormant
            },
        );
        assert_eq!((at_entry.rule, at_entry.to_rank), (TierRule::Keep, 1));
        assert!(
            at_entry.reason.contains("registered no deal"),
            "{}",
            at_entry.reason
        );
    }

    #[test]
    fn upgrades_by_several_steps_naming_the_criteria() {
        let dec = evaluate(&seed(), 1, &premier_metrics(), &ctx(d(2026, 6, 1)));
        assert_eq!(
            (dec.rule, dec.from_rank, dec.to_rank),
            (TierRule::Upgrade, 1, 3)
        );
        assert_eq!(
            dec.reason,
            "Met every criterion of Premier: sourced ARR 600,000.00 (at least 500,000.00), \
             registrations 14 (at least 12), certified individuals 5 (at least 4), \
             a joint business plan in place; up 2 tiers from Registered to Premier"
        );
    }

    #[test]
    fn no_upgrade_when_automatic_upgrades_are_off_and_no_downgrade_outside_the_review() {
        let mut policy = seed();
        policy.governance.auto_upgrade = false;
        let dec = evaluate(&policy, 1, &premier_metrics(), &ctx(d(2026, 6, 1)));
        assert_eq!((dec.rule, dec.to_rank), (TierRule::Keep, 1));
        assert!(
            dec.reason.contains("automatic upgrades are off"),
            "{}",
            dec.reason
        );
        let idle = evaluate(&seed(), 3, &PartnerMetrics::default(), &ctx(d(2026, 6, 1)));
        assert_eq!((idle.rule, idle.to_rank), (TierRule::Keep, 3));
        assert_eq!(idle.reason, "Stays Premier, the top tier");
    }

    #[test]
    fn keep_names_what_is_missing_for_the_next_tier() {
        let dec = evaluate(&seed(), 1, &select_with_arr(9_000_000), &ctx(d(2026, 6, 1)));
        assert_eq!(
            dec.reason,
            "Stays Registered; for Select it still needs sourced ARR 90,000.00 of the 100,000.00 needed"
        );
    }

    #[test]
    fn one_up_one_down_in_a_batch_on_review_day() {
        let policy = seed();
        let on = review(d(2026, 1, 15));
        let batch = [
            (1, premier_metrics()),
            (2, select_with_arr(1_000_000)),
            (2, select_with_arr(9_000_000)),
        ];
        let moves: Vec<(TierRule, i64, i64)> = batch
            .iter()
            .map(|(rank, m)| {
                let dec = evaluate(&policy, *rank, m, &on);
                (dec.rule, dec.from_rank, dec.to_rank)
            })
            .collect();
        assert_eq!(
            moves,
            vec![
                (TierRule::Upgrade, 1, 3),
                (TierRule::AnnualReviewDowngrade, 2, 1),
                (TierRule::AnnualReviewKeep, 2, 2),
            ]
        );
    }

    #[test]
    fn last_review_around_the_review_day() {
        let policy = seed(); // 01-15
        assert_eq!(
            last_review_on_or_before(&policy, d(2026, 1, 14)),
            Some(d(2025, 1, 15))
        );
        assert_eq!(
            last_review_on_or_before(&policy, d(2026, 1, 15)),
            Some(d(2026, 1, 15))
        );
        assert_eq!(
            last_review_on_or_before(&policy, d(2026, 1, 16)),
            Some(d(2026, 1, 15))
        );
        assert_eq!(
            last_review_on_or_before(&policy, d(2026, 12, 31)),
            Some(d(2026, 1, 15))
        );
        let mut bad = seed();
        for text in [
            "",
            "13-01",
            "00-10",
            "1-15",
            " 01-15",
            "02-30",
            "1/15",
            "01-15-2026",
            "aa-bb",
            "001-15",
        ] {
            bad.governance.annual_review = text.into();
            assert_eq!(
                last_review_on_or_before(&bad, d(2026, 6, 1)),
                None,
                "{text:?}"
            );
        }
    }

    #[test]
    fn last_review_on_february_29() {
        let mut policy = seed();
        policy.governance.annual_review = "02-29".into();
        assert_eq!(
            last_review_on_or_before(&policy, d(2024, 2, 29)),
            Some(d(2024, 2, 29))
        );
        assert_eq!(
            last_review_on_or_before(&policy, d(2024, 2, 28)),
            Some(d(2023, 2, 28))
        );
        assert_eq!(
            last_review_on_or_before(&policy, d(2025, 2, 28)),
            Some(d(2025, 2, 28))
        );
        assert_eq!(
            last_review_on_or_before(&policy, d(2025, 2, 27)),
            Some(d(2024, 2, 29))
        );
        assert_eq!(
            last_review_on_or_before(&policy, d(2025, 3, 1)),
            Some(d(2025, 2, 28))
        );
    }

    #[test]
    fn format_helpers() {
        assert_eq!(format_minor(6_500_000), "65,000.00");
        assert_eq!(format_minor(5), "0.05");
        assert_eq!(format_minor(-123_456_789), "-1,234,567.89");
        assert_eq!(format_bps(2999), "29.9%");
        assert_eq!(format_threshold(3000), "30%");
        assert_eq!(format_threshold(3050), "30.5%");
        assert_eq!(format_threshold(3025), "30.25%");
    }

    fn ladder(len: usize, quotas: &[i64]) -> ProgramPolicy {
        let mut policy = seed();
        policy.tiers = (0..len)
            .map(|i| Rung {
                name: format!("T{}", i + 1),
                description: None,
                criteria: if i == 0 {
                    Vec::new()
                } else {
                    vec![Criterion {
                        metric: Metric::SourcedArr,
                        at_least: i as i64 * 1_000_000,
                    }]
                },
                annual_quota_minor: quotas.get(i).copied().unwrap_or(0),
                benefits: Vec::new(),
            })
            .collect();
        policy
    }

    proptest! {
        #[test]
        fn never_more_than_one_step_down_and_always_on_the_ladder(
            len in 1usize..6,
            quotas in prop::collection::vec(0i64..20_000_000, 6),
            rank in 1i64..6,
            arr in 0i64..20_000_000,
            regs in 0i64..30,
            annual_review in any::<bool>(),
            auto_upgrade in any::<bool>(),
            last_days_ago in prop::option::of(0i64..800),
            joined_days_ago in 0i64..2000,
            miss in 0.0f64..100.0,
        ) {
            let mut policy = ladder(len, &quotas);
            policy.governance.auto_upgrade = auto_upgrade;
            policy.governance.downgrade_quota_miss_percent = miss;
            let rank = rank.min(len as i64);
            let as_of = d(2026, 1, 15);
            let ctx = EvaluationContext {
                as_of,
                joined_on: as_of - chrono::Duration::days(joined_days_ago),
                last_registration_on: last_days_ago.map(|n| as_of - chrono::Duration::days(n)),
                annual_review,
            };
            let m = PartnerMetrics { sourced_arr_minor: arr, registrations: regs, ..Default::default() };
            let dec = evaluate(&policy, rank, &m, &ctx);
            prop_assert!((1..=len as i64).contains(&dec.to_rank));
            prop_assert_eq!(dec.from_rank, rank);
            if dec.rule == TierRule::Sunset {
                prop_assert_eq!(dec.to_rank, 1);
            } else {
                prop_assert!(dec.to_rank >= rank - 1, "{:?}", dec);
            }
            if dec.to_rank < rank {
                prop_assert!(matches!(dec.rule, TierRule::Sunset | TierRule::AnnualReviewDowngrade));
            }
            if !annual_review && dec.rule != TierRule::Sunset {
                prop_assert!(dec.to_rank >= rank);
            }
            prop_assert!(!dec.reason.is_empty());
        }
    }
}
