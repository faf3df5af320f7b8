//! Ideal Partner Profile fit score. SKELETON: API fixed, bodies to be written.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::application::Profile;
use crate::policy::{FitPolicy, FitWeights};
use crate::text_enum;

text_enum!(
    /// How a score was computed.
    FitMethod {
        Model = "model" / "Model trained on this program's partners",
        Rules = "rules" / "Documented rule-based score",
    }
);

/// One attribute's push on a score, in points (positive raises it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FitFactor {
    /// Feature key, e.g. `certified_staff`.
    pub feature: String,
    /// For people, e.g. "Certified staff".
    pub label: String,
    /// The applicant's value, for people, e.g. "12".
    pub value: String,
    /// Points this feature added (or, negative, took away).
    pub effect: f64,
}

/// A 0–100 score with the features that drove it (largest effect first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FitScore {
    pub score: u8,
    pub method: FitMethod,
    /// Why this method (e.g. "12 labelled partners, fewer than the 20 the policy requires").
    pub reason: String,
    /// Held-out ROC AUC of the model (None for the rule-based score).
    pub auc: Option<f64>,
    /// Labelled partners the model learnt from.
    pub labelled: usize,
    pub factors: Vec<FitFactor>,
}

/// A partner whose outcome is known: its profile at joining and whether it became productive.
#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    pub profile: Profile,
    pub productive: bool,
}

/// A trained (or rule-based) scorer; serialisable so the store can keep it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitModel {
    pub method: FitMethod,
    pub reason: String,
    pub auc: Option<f64>,
    pub labelled: usize,
    pub weights: FitWeights,
}

/// Trains on the labelled partners (or falls back to rules when too few).
pub fn train(samples: &[Labelled], policy: &FitPolicy) -> FitModel {
    FitModel {
        method: FitMethod::Rules,
        reason: format!("{} labelled partners", samples.len()),
        auc: None,
        labelled: samples.len(),
        weights: policy.weights.clone(),
    }
}

impl FitModel {
    pub fn score(&self, _profile: &Profile) -> FitScore {
        FitScore {
            score: 0,
            method: self.method,
            reason: self.reason.clone(),
            auc: self.auc,
            labelled: self.labelled,
            factors: Vec::new(),
        }
    }
}

/// Whether a partner became productive: reached `productive_tier_rank` (a date it first
/// held each rank is in `rank_reached`) or brought `productive_sourced_arr_minor` of won
/// deals (close date, amount) within `productive_within_months` of joining. `None` while
/// the window is still open and neither has happened yet.
pub fn productive(
    policy: &FitPolicy,
    joined_on: NaiveDate,
    as_of: NaiveDate,
    rank_reached: &[(NaiveDate, i64)],
    won: &[(NaiveDate, i64)],
) -> Option<bool> {
    let _ = (policy, joined_on, as_of, rank_reached, won);
    None
}
