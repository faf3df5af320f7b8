//! What-if replay. SKELETON: API fixed, bodies to be written.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::ProgramPolicy;
use crate::registration::RegistrationStatus;

/// A partner as the replay needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct PartnerHistory {
    pub id: String,
    pub name: String,
    pub joined_on: NaiveDate,
    /// Current rank on the ladder (1 = entry).
    pub tier_rank: i64,
    pub certified_individuals: Option<i64>,
    pub jbp_in_place: Option<bool>,
    pub psat: Option<i64>,
}

/// A registration as the replay needs it. `partner` indexes `History::partners`.
#[derive(Clone, Debug, PartialEq)]
pub struct RegistrationHistory {
    pub id: String,
    pub partner: u32,
    pub status: RegistrationStatus,
    pub submitted_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub amount_minor: i64,
    pub renewals: i64,
    /// Follow-up activity times, oldest first.
    pub activities: Vec<DateTime<Utc>>,
}

/// The recorded history to replay, as of a moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub partners: Vec<PartnerHistory>,
    pub registrations: Vec<RegistrationHistory>,
}

/// Which outcome would change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Tier,
    Downgrade,
    Sunset,
    Expiry,
    SlaMark,
}

/// One outcome that differs between the current and the draft policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeChange {
    pub kind: ChangeKind,
    /// The registration, for expiry and SLA changes.
    pub registration_id: Option<String>,
    pub current: String,
    pub draft: String,
    pub reason: String,
}

/// Every changed outcome of one partner.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerChanges {
    pub partner_id: String,
    pub partner_name: String,
    pub changes: Vec<OutcomeChange>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    pub partners: usize,
    pub registrations: usize,
    pub partners_changed: usize,
    pub upgrades: usize,
    pub tier_downs: usize,
    pub downgrades: usize,
    pub sunsets: usize,
    pub expiries: usize,
    pub sla_marks: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimulationReport {
    pub as_of: DateTime<Utc>,
    pub changes: Vec<PartnerChanges>,
    pub totals: Totals,
}

/// Replays `history` under both policies and lists every outcome that differs.
pub fn simulate(
    history: &History,
    current: &ProgramPolicy,
    draft: &ProgramPolicy,
    as_of: DateTime<Utc>,
) -> SimulationReport {
    let _ = (history, current, draft);
    SimulationReport {
        as_of,
        changes: Vec::new(),
        totals: Totals::default(),
    }
}
