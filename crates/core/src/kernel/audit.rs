//! Audit events: every change to a business record says who made it, when, and what the
//! record looked like before and after. Events are written in the same transaction as the
//! change, so there is never a change without its event or an event without its change.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::kernel::ids::{AuditEventId, UserId};
use crate::text_enum;

text_enum!(
    /// The kind of record an event is about.
    EntityKind {
        Program = "program" / "Program",
        Tier = "tier" / "Tier",
        Partner = "partner" / "Partner",
        Account = "account" / "Account",
        User = "user" / "User",
        ApiToken = "api_token" / "API token",
        Registration = "registration" / "Registration",
        Engagement = "engagement_request" / "Engagement request",
        Conflict = "conflict_case" / "Conflict case",
        Charter = "charter" / "Partnership charter",
        DecisionTree = "decision_tree" / "Decision tree",
        Policy = "program_policy" / "Program policy",
        PolicyDraft = "policy_draft" / "Policy draft",
        Application = "application" / "Application",
        Council = "advisory_council" / "Advisory council",
        Opportunity = "opportunity" / "Opportunity",
        Touchpoint = "touchpoint" / "Touchpoint",
        FxRate = "fx_rate" / "Currency rate",
        RoomNote = "room_note" / "Deal room note",
        RoomTask = "room_task" / "Deal room task",
        BusinessPlan = "business_plan" / "Joint business plan",
        PlanTask = "plan_task" / "Business plan task",
        Notification = "notification" / "Notification",
        CalendarFeed = "calendar_feed" / "Calendar feed",
        CommissionLine = "commission_line" / "Commission line",
        Statement = "payout_statement" / "Payout statement",
        LineDispute = "line_dispute" / "Statement line dispute",
        RevenueEvent = "revenue_event" / "Renewal, expansion or cancellation",
        File = "file" / "File",
        CampaignTemplate = "campaign_template" / "Campaign template",
        Campaign = "campaign" / "Campaign",
        CampaignLead = "campaign_lead" / "Campaign lead",
        MdfBudget = "mdf_budget" / "MDF budget",
        MdfAllocation = "mdf_allocation" / "MDF allocation",
        MdfRequest = "mdf_request" / "MDF request",
        MdfClaim = "mdf_claim" / "MDF claim",
        Curriculum = "curriculum" / "Curriculum",
        Course = "course" / "Course",
        CourseModule = "course_module" / "Course module",
        Question = "question" / "Assessment question",
        Enrolment = "enrolment" / "Enrolment",
        Attempt = "assessment_attempt" / "Assessment attempt",
        Certification = "certification" / "Certification",
        WebhookSubscription = "webhook_subscription" / "Webhook subscription",
        // Events.
        ProgramEvent = "program_event" / "Event",
        EventRegistration = "event_registration" / "Event RSVP",
        // Co-marketing launch checklists.
        LaunchTemplate = "launch_template" / "Launch checklist template",
        Launch = "launch" / "Launch",
        LaunchTask = "launch_task" / "Launch task",
        // CSV import.
        ImportRun = "import_run" / "Import run",
        // The public directory.
        DirectoryListing = "directory_listing" / "Directory listing",
        DirectoryReview = "directory_review" / "Directory review",
        DirectoryReport = "directory_report" / "Directory report",
        DirectoryDecision = "directory_decision" / "Moderation decision",
        DirectoryLead = "directory_lead" / "Directory enquiry",
        DirectoryCollection = "directory_collection" / "Directory collection",
        // Account mapping.
        MappingPartnership = "mapping_partnership" / "Account mapping partnership",
    }
);

impl EntityKind {
    /// Fields of this kind's records that only vendor staff may read, because they name
    /// another partner's records (a registration's `possible_duplicate_of` is an account
    /// another partner holds). Blanked for partners wherever a record's JSON reaches them:
    /// the record itself and the snapshots in its audit trail.
    pub fn vendor_only_fields(self) -> &'static [&'static str] {
        match self {
            EntityKind::Registration => &["possible_duplicate_of"],
            // A collection may hold another partner's listing while it is not public.
            EntityKind::DirectoryCollection => &["listing_ids"],
            _ => &[],
        }
    }
}

text_enum!(
    /// What happened to the record.
    AuditAction {
        Created = "created" / "created",
        Updated = "updated" / "updated",
        Archived = "archived" / "archived",
        Restored = "restored" / "restored",
        Revoked = "revoked" / "revoked",
        Decided = "decided" / "decided",
        Deleted = "deleted" / "deleted",
    }
);

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub at: DateTime<Utc>,
    /// The user who made the change; absent for changes made by the system or the CLI.
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub entity_kind: EntityKind,
    pub entity_id: String,
    pub action: AuditAction,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// One field that differs between two versions of a record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Top-level fields that differ between `before` and `after` (JSON objects), in field
/// order of `after` then fields only in `before`. Bookkeeping fields are left out.
pub fn changed_fields(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    const IGNORED: &[&str] = &["updated_at", "created_at"];
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Vec::new();
    for (k, av) in a {
        if !IGNORED.contains(&k.as_str()) && b.get(k) != Some(av) {
            out.push(FieldChange {
                field: k.clone(),
                before: b.get(k).cloned(),
                after: Some(av.clone()),
            });
        }
    }
    for (k, bv) in b {
        if !IGNORED.contains(&k.as_str()) && !a.contains_key(k) {
            out.push(FieldChange {
                field: k.clone(),
                before: Some(bv.clone()),
                after: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_changed_fields_only() {
        let before = json!({"name": "A", "tier": "Select", "updated_at": "x", "gone": 1});
        let after = json!({"name": "A", "tier": "Premier", "updated_at": "y"});
        let changes = changed_fields(Some(&before), Some(&after));
        let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(names, vec!["tier", "gone"]);
        assert_eq!(changes[0].before, Some(json!("Select")));
    }

    #[test]
    fn creation_lists_every_field() {
        let after = json!({"name": "A", "created_at": "t"});
        assert_eq!(changed_fields(None, Some(&after)).len(), 1);
    }
}
