//! Joint business plans (seed 001, Step 3): per partner and period, the named target
//! accounts, quarterly sourced-ARR milestones, activity and marketing commitments and the
//! review cadence, agreed by both sides and amended as new versions with a diff.
//!
//! Here: the plan's content and its checks ([`record`]), attainment and drift computed
//! from live facts ([`attainment`]), and when reviews fall due ([`cadence`]). Nothing here
//! reads data or a clock: the store passes the facts and the day in.

pub mod attainment;
pub mod cadence;
pub mod record;

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// Default drift threshold: a quarter is drifting below 70% of its pro-rated milestone.
pub const DEFAULT_DRIFT_THRESHOLD_BP: u32 = 7_000;

/// The `[business_plan]` section of a program policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct BusinessPlanPolicy {
    /// A quarter drifts when its won sourced ARR is below this share (basis points) of the
    /// milestone pro-rated to the days elapsed.
    pub drift_threshold_bp: u32,
}

impl Default for BusinessPlanPolicy {
    fn default() -> Self {
        BusinessPlanPolicy {
            drift_threshold_bp: DEFAULT_DRIFT_THRESHOLD_BP,
        }
    }
}

impl BusinessPlanPolicy {
    /// Every rule the section breaks, keys prefixed with `business_plan.`.
    pub fn validate(&self) -> Result<(), Invalid> {
        if !(1..=10_000).contains(&self.drift_threshold_bp) {
            return Err(Invalid::one(
                "business_plan.drift_threshold_bp",
                "range",
                format!(
                    "business_plan.drift_threshold_bp must be 1 to 10000 basis points (got {})",
                    self.drift_threshold_bp
                ),
            ));
        }
        Ok(())
    }
}
