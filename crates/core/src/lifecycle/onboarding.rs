//! Onboarding checklists and activation time. SKELETON: API fixed, bodies to be written.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Activation time of one partner: agreement signed → first closed-won deal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activation {
    pub signed_on: Option<NaiveDate>,
    pub first_won_on: Option<NaiveDate>,
    /// Days from signature to first win; None until both happened.
    pub days: Option<i64>,
}

/// Activation days across a cohort (partners that joined in one quarter).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CohortActivation {
    /// e.g. `2026-Q1`.
    pub cohort: String,
    pub partners: usize,
    pub activated: usize,
    pub median_days: Option<i64>,
    pub p25_days: Option<i64>,
    pub p75_days: Option<i64>,
    pub min_days: Option<i64>,
    pub max_days: Option<i64>,
}

pub fn activation(
    signed_at: Option<DateTime<Utc>>,
    first_won_at: Option<DateTime<Utc>>,
) -> Activation {
    let signed_on = signed_at.map(|t| t.date_naive());
    let first_won_on = first_won_at.map(|t| t.date_naive());
    Activation {
        signed_on,
        first_won_on,
        days: None,
    }
}

/// The cohort label of a joining date, e.g. `2026-Q1`.
pub fn cohort_of(joined_on: NaiveDate) -> String {
    let _ = joined_on;
    String::new()
}

/// Groups (joined date, activation) by cohort, oldest cohort first.
pub fn by_cohort(partners: &[(NaiveDate, Activation)]) -> Vec<CohortActivation> {
    let _ = partners;
    Vec::new()
}
