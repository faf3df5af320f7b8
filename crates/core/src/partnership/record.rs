//! Charters, gate reviews and tree evaluations as the API shows them, and their input.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::content::{CharterContent, Verdicts};
use super::phases::{CrawlResult, GateDecision, Phase, RunReadiness, WalkResult};
use super::tree::Step;
use crate::kernel::ids::{CharterId, GateReviewId, PartnerId};
use crate::text_enum;

text_enum!(
    /// Whether a partnership is running.
    CharterStatus {
        Active = "active" / "Active",
        Ended = "ended" / "Ended",
    }
);

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Charter {
    pub id: CharterId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub title: String,
    /// The current version (1 is the original; higher ones are amendments).
    pub version: i64,
    pub content: CharterContent,
    pub vendor_signed_at: Option<DateTime<Utc>>,
    pub partner_signed_at: Option<DateTime<Utc>>,
    /// Both sides signed the current version: it is locked.
    pub locked: bool,
    /// Some version was signed by both sides (the partnership may move past Crawl).
    pub ever_signed: bool,
    pub phase: Option<Phase>,
    pub status: CharterStatus,
    pub lessons: Option<String>,
    pub verdicts: Verdicts,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GateReview {
    pub id: GateReviewId,
    pub phase: Phase,
    pub passed: bool,
    pub missed: Vec<String>,
    pub decision: GateDecision,
    /// The "continue this partnership?" tree's path for this review.
    pub path: Vec<Step>,
    pub reviewer_name: String,
    pub at: DateTime<Utc>,
}

/// A new charter (vendor staff).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CharterInput {
    pub partner_id: Option<String>,
    pub title: Option<String>,
    pub content: Option<CharterContent>,
}

/// A change to the current (unlocked) version; absent fields stay.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CharterPatch {
    pub title: Option<String>,
    pub content: Option<CharterContent>,
}

/// Entering the next phase.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PhaseInput {
    /// crawl, walk or run.
    pub phase: Option<String>,
}

/// A gate review of the current phase: the measured values, and what to do if it fails.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GateInput {
    /// Measured after Crawl.
    pub crawl: Option<CrawlResult>,
    /// Measured after Walk.
    pub walk: Option<WalkResult>,
    /// Whether Run may start (reviewed with Walk).
    pub run: Option<RunReadiness>,
    /// When Walk fails: restart_crawl (default) or end.
    pub if_walk_fails: Option<String>,
    /// What was learned; required when the review ends the partnership.
    pub lessons: Option<String>,
}

/// Ending a partnership.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EndInput {
    pub lessons: Option<String>,
}

/// Answers to a decision tree (question id → yes/no), optionally about a charter.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TreeAnswers {
    pub answers: HashMap<String, bool>,
    pub charter_id: Option<String>,
}
