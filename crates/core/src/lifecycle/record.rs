//! Lifecycle records as the API shows them: a partner's tier standing, its onboarding
//! checklist, the advisory council, the first cohort, an approval's result.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::application::Application;
use super::onboarding::{Activation, ChecklistItem, CohortActivation};
use super::tiering::{PartnerMetrics, TierCheck};
use crate::kernel::ids::{MeetingId, PartnerId, ProgramId, UserId};
use crate::partner::Partner;

/// Where a partner stands on the ladder, from live data, and what the next tier needs.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierStanding {
    pub partner_id: PartnerId,
    pub tier_rank: i64,
    pub tier_name: String,
    pub policy_version: i64,
    pub as_of: DateTime<Utc>,
    pub metrics: PartnerMetrics,
    /// Every tier's criteria, met and missed.
    pub checks: Vec<TierCheck>,
    /// The tier above, with what is still missing (None at the top).
    pub next_tier: Option<TierCheck>,
}

/// A partner's onboarding checklist and activation time.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Onboarding {
    pub partner_id: PartnerId,
    pub items: Vec<ChecklistItem>,
    pub done: usize,
    pub total: usize,
    pub activation: Activation,
}

/// Activation time across a program: per partner and per joining cohort.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationReport {
    pub program_id: ProgramId,
    pub partners: Vec<PartnerActivation>,
    pub cohorts: Vec<CohortActivation>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerActivation {
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub joined_on: NaiveDate,
    pub first_cohort: bool,
    pub activation: Activation,
}

/// What approving an application made: the partner, its invited admin and the one-time
/// link the admin sets a password with (shown once; only its hash is stored).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub application: Application,
    pub partner: Partner,
    pub admin_user_id: UserId,
    pub invitation_token: String,
    pub invitation_expires_at: DateTime<Utc>,
}

/// A program's advisory council, with advice when its size is outside the policy's range.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Council {
    pub program_id: ProgramId,
    pub members: Vec<CouncilMember>,
    pub meetings: Vec<CouncilMeeting>,
    /// The next quarterly meeting is due by this date (from the last meeting).
    pub next_meeting_due: Option<NaiveDate>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CouncilMember {
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub tier_name: String,
    pub since: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CouncilMeeting {
    pub id: MeetingId,
    pub held_on: NaiveDate,
    pub notes: String,
    pub author_name: String,
    pub created_at: DateTime<Utc>,
}

/// A program's first cohort.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cohort {
    pub program_id: ProgramId,
    pub launched_on: Option<NaiveDate>,
    pub partners: Vec<PartnerId>,
    pub warnings: Vec<String>,
}
