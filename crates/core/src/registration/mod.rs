//! Deal registration and channel conflict (DESIGN §3; seed 001, steps 3 and 7).
//!
//! A registration holds an account for one partner while it is pending or approved. The
//! rules here decide, from data the store reads, what happens to it: approval and expiry,
//! renewal, the follow-up SLA, direct-sales engagement, conflict deadlines and escalation,
//! whether a new account is the same company as an existing one, and the duplicate review. Every outcome is a
//! [`Decision`] naming the rule that fired and why, so people and the audit trail can read it.

pub mod calendar;
pub mod matching;
pub mod policy;
pub mod record;
pub mod review;
pub mod rules;

use serde::Serialize;

use crate::text_enum;

text_enum!(
    /// Where a registration is. Pending and approved registrations hold their account.
    RegistrationStatus {
        Pending = "pending" / "Pending approval",
        Approved = "approved" / "Approved",
        Rejected = "rejected" / "Rejected",
        Withdrawn = "withdrawn" / "Withdrawn",
        Expired = "expired" / "Expired",
        Won = "won" / "Closed won",
        Lost = "lost" / "Closed lost",
    }
);

impl RegistrationStatus {
    /// Whether a registration in this status holds its account against other partners.
    pub fn holds_account(self) -> bool {
        matches!(
            self,
            RegistrationStatus::Pending | RegistrationStatus::Approved
        )
    }

    /// The statuses that hold an account, as the database's partial unique index lists them.
    pub const HOLDING: &'static [RegistrationStatus] =
        &[RegistrationStatus::Pending, RegistrationStatus::Approved];
}

text_enum!(
    /// Follow-up activity a partner logs on a registration.
    ActivityKind {
        Call = "call" / "Call",
        Meeting = "meeting" / "Meeting",
        Demo = "demo" / "Demo",
        Proposal = "proposal" / "Proposal",
        Note = "note" / "Note",
    }
);

impl ActivityKind {
    /// Whether this activity documents selling work, as renewal requires (a note does not).
    pub fn documents_activity(self) -> bool {
        !matches!(self, ActivityKind::Note)
    }
}

text_enum!(
    /// A direct rep's request to engage a registered account.
    EngagementStatus {
        Pending = "pending" / "Awaiting the partner",
        Granted = "granted" / "Granted by the partner",
        Denied = "denied" / "Denied by the partner",
        AutoGranted = "auto_granted" / "Granted automatically",
    }
);

text_enum!(
    /// Who opened a conflict case.
    ConflictOpener {
        Partner = "partner" / "Partner",
        Direct = "direct" / "Direct sales",
        System = "system" / "System",
    }
);

text_enum!(
    /// Where a conflict case is.
    ConflictStatus {
        Open = "open" / "Open",
        Resolved = "resolved" / "Resolved",
    }
);

text_enum!(
    /// Who keeps the account when a conflict is resolved.
    ConflictOutcome {
        Partner = "partner_keeps" / "The partner keeps the account",
        Direct = "direct_keeps" / "Direct sales keeps the account",
        Shared = "shared" / "Shared (co-sell)",
    }
);

/// What a rule decided, and why: the rule's stable name, the outcome, a sentence naming the
/// figures and records, and the policy version it used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    pub rule: String,
    pub outcome: String,
    pub reason: String,
    pub policy_version: i64,
}

impl Decision {
    pub fn new(
        rule: &str,
        outcome: &str,
        reason: impl Into<String>,
        policy_version: i64,
    ) -> Decision {
        Decision {
            rule: rule.to_owned(),
            outcome: outcome.to_owned(),
            reason: reason.into(),
            policy_version,
        }
    }
}
