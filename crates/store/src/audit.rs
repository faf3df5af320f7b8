//! Writing and reading audit events.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, AuditEvent, EntityKind};
use partnerops_core::ids::{AuditEventId, EntityId, PartnerId, UserId};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::scope::Scope;
use serde::Serialize;

use crate::db::{Exec, Sql, Tx, row};
use crate::entity::{json_column, push_page, to_json};
use crate::{Actor, Result, Store, StoreError, new_id, scope};

/// Sort fields of an audit trail.
pub const SORTS: &[&str] = &["at"];

/// The columns of a held audit row, in the order of its values.
const AUDIT_COLUMNS: &[&str] = &[
    "id",
    "at",
    "actor_id",
    "actor_name",
    "entity_kind",
    "entity_id",
    "action",
    "partner_id",
    "before_json",
    "after_json",
];

/// Records one change inside the transaction making it; the row is written with the
/// transaction's other bookkeeping rows when it commits (`db::journal`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    tx: &mut Tx,
    at: DateTime<Utc>,
    actor: &Actor,
    kind: EntityKind,
    entity_id: &str,
    action: AuditAction,
    partner: Option<&PartnerId>,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
) -> Result<()> {
    let id: AuditEventId = new_id();
    let before = before.map(to_json).transpose()?;
    let after = after.map(to_json).transpose()?;
    tx.hold_row(
        "audit_events",
        AUDIT_COLUMNS,
        vec![
            id.as_str().into(),
            at.into(),
            actor.user_id().map(|u| u.as_str()).into(),
            actor.audit_name().into(),
            kind.as_str().into(),
            entity_id.into(),
            action.as_str().into(),
            partner.map(|p| p.as_str()).into(),
            before.into(),
            after.into(),
        ],
    );
    Ok(())
}

row! {
    struct EventRow {
        id: String,
        at: DateTime<Utc>,
        actor_id: Option<String>,
        actor_name: String,
        entity_kind: String,
        entity_id: String,
        action: String,
        before_json: Option<String>,
        after_json: Option<String>,
    }
}

impl EventRow {
    fn into_event(self) -> Result<AuditEvent> {
        let corrupt = |e: partnerops_core::FieldError| StoreError::Corrupt(e.message);
        Ok(AuditEvent {
            id: AuditEventId::from_trusted(self.id),
            at: self.at,
            actor_id: self.actor_id.map(UserId::from_trusted),
            actor_name: self.actor_name,
            entity_kind: EntityKind::parse("entity_kind", &self.entity_kind).map_err(corrupt)?,
            entity_id: self.entity_id,
            action: AuditAction::parse("action", &self.action).map_err(corrupt)?,
            before: self
                .before_json
                .as_deref()
                .map(|s| json_column("before_json", s))
                .transpose()?,
            after: self
                .after_json
                .as_deref()
                .map(|s| json_column("after_json", s))
                .transpose()?,
        })
    }
}

fn table_of(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Program => "programs",
        EntityKind::Tier => "tiers",
        EntityKind::Partner => "partners",
        EntityKind::Account => "accounts",
        EntityKind::User => "users",
        EntityKind::ApiToken => "api_tokens",
        EntityKind::Registration => "registrations",
        EntityKind::Engagement => "engagement_requests",
        EntityKind::Conflict => "conflict_cases",
        EntityKind::Charter => "charters",
        EntityKind::DecisionTree => "decision_trees",
        EntityKind::Policy | EntityKind::Council => "programs",
        EntityKind::PolicyDraft => "policy_drafts",
        EntityKind::Application => "applications",
        EntityKind::Opportunity => "opportunities",
        EntityKind::Touchpoint => "touchpoints",
        EntityKind::FxRate => "fx_rates",
        EntityKind::RoomNote => "room_notes",
        EntityKind::RoomTask => "room_tasks",
        EntityKind::BusinessPlan => "business_plans",
        EntityKind::PlanTask => "business_plan_tasks",
        EntityKind::Notification => "notifications",
        EntityKind::CalendarFeed => "calendar_feeds",
        EntityKind::CommissionLine => "commission_lines",
        EntityKind::Statement => "payout_statements",
        EntityKind::LineDispute => "line_disputes",
        EntityKind::RevenueEvent => "revenue_events",
        EntityKind::File => "stored_files",
        EntityKind::CampaignTemplate => "campaign_templates",
        EntityKind::Campaign => "campaigns",
        EntityKind::CampaignLead => "campaign_leads",
        EntityKind::MdfBudget => "mdf_budgets",
        EntityKind::MdfAllocation => "mdf_allocations",
        EntityKind::MdfRequest => "mdf_requests",
        EntityKind::MdfClaim => "mdf_claims",
        EntityKind::Curriculum => "curricula",
        EntityKind::Course => "courses",
        EntityKind::CourseModule => "course_modules",
        EntityKind::Question => "course_questions",
        EntityKind::Enrolment => "enrolments",
        EntityKind::Attempt => "assessment_attempts",
        EntityKind::Certification => "certifications",
        EntityKind::WebhookSubscription => "webhook_subscriptions",
        EntityKind::ProgramEvent => "program_events",
        EntityKind::EventRegistration => "event_registrations",
        EntityKind::LaunchTemplate => "launch_templates",
        EntityKind::Launch => "launches",
        EntityKind::LaunchTask => "launch_tasks",
        EntityKind::ImportRun => "import_runs",
        EntityKind::DirectoryListing => "directory_listings",
        EntityKind::DirectoryReview => "directory_reviews",
        EntityKind::DirectoryReport => "directory_reports",
        EntityKind::DirectoryDecision => "directory_decisions",
        EntityKind::DirectoryLead => "directory_leads",
        EntityKind::DirectoryCollection => "directory_collections",
        EntityKind::MappingPartnership => "mapping_partnerships",
    }
}

row! {
    struct IdRow {
        #[allow(dead_code)]
        id: String,
    }
}

impl Store {
    /// The audit trail of one record, newest first by default. The record must be visible
    /// to `scope` (else `NotFound`), and a partner sees only events about its own records.
    #[tracing::instrument(skip_all, fields(entity_id = %entity_id))]
    pub async fn audit_trail(
        &self,
        scope: &Scope,
        kind: EntityKind,
        entity_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>> {
        let table = table_of(kind);
        let mut q = Sql::new(&format!(
            "SELECT {table}.id AS id FROM {table} {table} WHERE {table}.id = "
        ));
        q.bind(entity_id);
        scope::restrict(&mut q, scope, kind, table);
        let seen: Option<IdRow> = self.db.read().optional(&q).await?;
        if seen.is_none() {
            return Err(StoreError::NotFound(kind));
        }
        let mut q = Sql::new(
            "SELECT e.id, e.at, e.actor_id, e.actor_name, e.entity_kind, e.entity_id, e.action, e.before_json, e.after_json FROM audit_events e WHERE e.entity_kind = ",
        );
        q.bind(kind.as_str())
            .push(" AND e.entity_id = ")
            .bind(entity_id);
        scope::restrict_audit(&mut q, scope, "e");
        push_page(&mut q, page, "e.at", "e.id");
        let rows: Vec<EventRow> = self.db.read().all(&q).await?;
        let mut events = rows
            .into_iter()
            .map(EventRow::into_event)
            .collect::<Result<Vec<_>>>()?;
        // Snapshots carry every field of the record; a partner reads them without the
        // fields that name other partners' records.
        if let Scope::Partner(_) = scope {
            let hidden = kind.vendor_only_fields();
            for e in &mut events {
                for snapshot in [e.before.as_mut(), e.after.as_mut()].into_iter().flatten() {
                    if let Some(fields) = snapshot.as_object_mut() {
                        for f in hidden {
                            fields.remove(*f);
                        }
                    }
                }
            }
        }
        Ok(Page::from_rows(events, page, |e, _| {
            (SortKey::Time(e.at), e.id.to_string())
        }))
    }
}
