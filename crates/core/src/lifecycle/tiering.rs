//! Automated tiering. SKELETON: API fixed, bodies to be written.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::policy::{Metric, ProgramPolicy};

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
    pub psat: Option<i64>,
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
    /// Submission date of the partner's latest registration, if any.
    pub last_registration_on: Option<NaiveDate>,
    /// Whether this evaluation is the annual review.
    pub annual_review: bool,
}

/// Checks every tier's criteria against the metrics.
pub fn qualify(policy: &ProgramPolicy, metrics: &PartnerMetrics) -> Vec<TierCheck> {
    let _ = (policy, metrics);
    Vec::new()
}

/// Decides a partner's tier: sunset first, then the annual review, then upgrades.
pub fn evaluate(
    policy: &ProgramPolicy,
    current_rank: i64,
    metrics: &PartnerMetrics,
    ctx: &EvaluationContext,
) -> TierDecision {
    let _ = (metrics, ctx);
    TierDecision {
        rule: TierRule::Keep,
        from_rank: current_rank,
        to_rank: current_rank,
        reason: String::new(),
        checks: qualify(policy, metrics),
        quota: None,
    }
}

/// The annual review date on or before `day` (`governance.annual_review`, `MM-DD`).
pub fn last_review_on_or_before(policy: &ProgramPolicy, day: NaiveDate) -> Option<NaiveDate> {
    let _ = (policy, day);
    None
}

/// What a partner needs for the next tier: the unmet criteria of the tier above.
pub fn next_tier_gap(checks: &[TierCheck], current_rank: i64) -> Option<&TierCheck> {
    checks.iter().find(|c| c.rank == current_rank + 1)
}
