//! Joint business plans: create, edit while a draft, sign on both sides (then agreed),
//! amend as a new version with a note and a diff, attainment from live data, reviews.
//!
//! Attainment reads the pipeline: the partner's sourced deals won (at their rate at close)
//! and open (at today's rates) by quarter, its touchpoints and registration activities as
//! selling activity, and which target accounts it touched or has an opportunity on, from
//! per-partner sums kept in the transaction of every write that changes them ([`facts`]).
//! The rules are `core::business_plan`'s; here only the facts are gathered.
//!
//! A review's next steps become plan tasks ([`task`]), and a daily job ([`reminder`])
//! announces drifting quarters, reviews and tasks coming due, each reminder once.

pub(crate) mod facts;
pub mod reminder;
mod task;

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::business_plan::attainment::{self, Attainment, Facts};
use partnerops_core::business_plan::cadence::{ReviewDue, reviews_due};
use partnerops_core::business_plan::record::{
    BusinessPlan, PlanChange, PlanContent, PlanInput, PlanReview, PlanStatus, PlanVersion,
    ReviewInput, ReviewKind, diff, period_end,
};
use partnerops_core::ids::{BusinessPlanId, EntityId, PartnerId, PlanReviewId, ProgramId, UserId};
use partnerops_core::money::Currency;
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::registration::Decision;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use crate::change::{self, Change};
use crate::db::{Exec, Sql, Tx, UniqueRule, row, unique_violation};
use crate::decision::emit;
use crate::entity::{self, Archived, Entity, json_column, to_json};
use crate::jobs::Job;
use crate::{Actor, Result, Store, StoreError, audit, new_id, policy};

pub use reminder::ReminderReport;

/// The jobs of this capability: the daily reminders (registered before the notification
/// jobs, so one run announces what it emitted).
pub(crate) fn jobs() -> Vec<Box<dyn Job>> {
    vec![Box::new(reminder::Reminders)]
}

row! {
    pub(crate) struct PlanRow {
        id: String,
        program_id: String,
        partner_id: String,
        partner_name: String,
        title: String,
        period_start: NaiveDate,
        currency: String,
        status: String,
        version: i64,
        content: String,
        partner_signed_by: Option<String>,
        partner_signed_at: Option<DateTime<Utc>>,
        vendor_signed_by: Option<String>,
        vendor_signed_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(format!("{}: {}", e.field, e.message))
}

impl Entity for BusinessPlan {
    const KIND: EntityKind = EntityKind::BusinessPlan;
    const TABLE: &'static str = "business_plans";
    const SELECT: &'static str = "SELECT business_plans.id, business_plans.program_id, business_plans.partner_id, p.name AS partner_name, business_plans.title, business_plans.period_start, business_plans.currency, business_plans.status, business_plans.version, business_plans.content, business_plans.partner_signed_by, business_plans.partner_signed_at, business_plans.vendor_signed_by, business_plans.vendor_signed_at, business_plans.created_at, business_plans.updated_at FROM business_plans business_plans JOIN partners p ON p.id = business_plans.partner_id WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("period_start", "business_plans.period_start"),
        ("updated_at", "business_plans.updated_at"),
    ];
    type Row = PlanRow;

    fn from_row(r: PlanRow) -> Result<BusinessPlan> {
        Ok(BusinessPlan {
            id: BusinessPlanId::from_trusted(r.id),
            program_id: ProgramId::from_trusted(r.program_id),
            partner_id: PartnerId::from_trusted(r.partner_id),
            partner_name: r.partner_name,
            title: r.title,
            period_end: period_end(r.period_start),
            period_start: r.period_start,
            currency: Currency::parse("currency", &r.currency).map_err(corrupt)?,
            status: PlanStatus::parse("status", &r.status).map_err(corrupt)?,
            version: r.version,
            content: json_column("content", &r.content)?,
            partner_signed_by: r.partner_signed_by.map(UserId::from_trusted),
            partner_signed_at: r.partner_signed_at,
            vendor_signed_by: r.vendor_signed_by.map(UserId::from_trusted),
            vendor_signed_at: r.vendor_signed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.partner_id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        Action::WritePlan(&self.partner_id)
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "updated_at" => SortKey::Time(self.updated_at),
            _ => SortKey::Date(self.period_start),
        }
    }

    fn map_db_error(e: sqlx::Error) -> StoreError {
        if unique_violation(&e, &ONE_PER_PERIOD) {
            return one_per_period();
        }
        e.into()
    }
}

const ONE_PER_PERIOD: UniqueRule = UniqueRule {
    index: "business_plans_partner_period",
    sqlite_columns: "business_plans.partner_id, business_plans.period_start",
};

fn one_per_period() -> StoreError {
    StoreError::conflict(
        "period_start",
        "business_plan.one_per_period",
        "the partner already has a plan starting on this day; amend that one",
    )
}

/// Filters for the plan list.
#[derive(Clone, Debug, Default)]
pub struct PlanFilter {
    pub partner_id: Option<PartnerId>,
    pub status: Option<PlanStatus>,
}

row! {
    struct PartnerProgram {
        program_id: String,
        currency: String,
    }
}

row! {
    struct IdRow {
        #[allow(dead_code)]
        id: String,
    }
}

/// The accounts a plan may name: live ones; a partner may name only accounts it
/// registered (it does not see the vendor's others).
async fn check_accounts(tx: &mut Tx, actor: &Actor, content: &PlanContent) -> Result<()> {
    let mut inv = Invalid::new();
    for (i, a) in content.target_account_ids.iter().enumerate() {
        let mut q = Sql::new("SELECT a.id FROM accounts a WHERE a.archived_at IS NULL AND a.id = ");
        q.bind(a.as_str());
        if let Some(p) = actor.partner_id() {
            q.push(" AND EXISTS (SELECT 1 FROM registrations r WHERE r.account_id = a.id AND r.partner_id = ")
                .bind(p.as_str())
                .push(")");
        }
        let found: Option<IdRow> = tx.optional(&q).await?;
        if found.is_none() {
            inv.add(
                &format!("target_account_ids[{i}]"),
                "not_found",
                format!("target_account_ids[{i}] names no account this plan may name"),
            );
        }
    }
    Ok(inv.finish(|| Some(()))?)
}

async fn insert_version(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    plan: &str,
    version: i64,
    content: &PlanContent,
    note: &str,
) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO business_plan_versions (plan_id, version, content, change_note, author_name, created_at) VALUES (",
    );
    q.bind(plan)
        .push(", ")
        .bind(version)
        .push(", ")
        .bind(to_json(content)?)
        .push(", ")
        .bind(note)
        .push(", ")
        .bind(actor.audit_name())
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (plan_id, version) DO UPDATE SET content = excluded.content, author_name = excluded.author_name, created_at = excluded.created_at");
    tx.execute(&q).await?;
    Ok(())
}

row! {
    struct ReviewRow {
        id: String,
        plan_id: String,
        kind: String,
        held_on: NaiveDate,
        attendees: String,
        notes: String,
        decisions: String,
        next_steps: String,
        recorded_by_name: String,
        created_at: DateTime<Utc>,
    }
}

row! {
    struct VersionRow {
        version: i64,
        content: String,
        change_note: String,
        author_name: String,
        created_at: DateTime<Utc>,
    }
}

fn review_of(r: ReviewRow) -> Result<PlanReview> {
    Ok(PlanReview {
        id: PlanReviewId::from_trusted(r.id),
        plan_id: BusinessPlanId::from_trusted(r.plan_id),
        kind: ReviewKind::parse("kind", &r.kind).map_err(corrupt)?,
        held_on: r.held_on,
        attendees: json_column("attendees", &r.attendees)?,
        notes: r.notes,
        decisions: json_column("decisions", &r.decisions)?,
        next_steps: json_column("next_steps", &r.next_steps)?,
        recorded_by_name: r.recorded_by_name,
        created_at: r.created_at,
    })
}

impl Store {
    pub fn business_plan_sorts() -> Vec<&'static str> {
        entity::sort_names::<BusinessPlan>()
    }

    /// Creates a draft plan for a partner (channel staff, or the partner's own users).
    #[tracing::instrument(skip_all)]
    pub async fn create_business_plan(
        &self,
        actor: &Actor,
        input: &PlanInput,
    ) -> Result<BusinessPlan> {
        let f = input.parse()?;
        actor.authorize(&Action::WritePlan(&f.partner_id))?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // A partner names only itself; another partner reads as one that does not exist.
        let mut q = Sql::new(
            "SELECT p.program_id, g.currency FROM partners p JOIN programs g ON g.id = p.program_id WHERE p.archived_at IS NULL AND p.id = ",
        );
        q.bind(f.partner_id.as_str());
        let partner: Option<PartnerProgram> = tx.optional(&q).await?;
        let partner = match (partner, actor.partner_id()) {
            (Some(p), None) => p,
            (Some(p), Some(own)) if own == &f.partner_id => p,
            _ => {
                return Err(Invalid::one(
                    "partner_id",
                    "not_found",
                    "partner_id names no live partner",
                )
                .into());
            }
        };
        check_accounts(&mut tx, actor, &f.content).await?;
        let id: BusinessPlanId = new_id();
        let mut q = Sql::new(
            "INSERT INTO business_plans (id, program_id, partner_id, title, period_start, currency, status, version, content, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(partner.program_id.as_str())
            .push(", ")
            .bind(f.partner_id.as_str())
            .push(", ")
            .bind(f.title.as_str())
            .push(", ")
            .bind(f.period_start)
            .push(", ")
            .bind(partner.currency.as_str())
            .push(", 'draft', 1, ")
            .bind(to_json(&f.content)?)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await.map_err(BusinessPlan::map_db_error)?;
        insert_version(
            &mut tx,
            now,
            actor,
            id.as_str(),
            1,
            &f.content,
            "first draft",
        )
        .await?;
        let plan: BusinessPlan = entity::fetch(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::BusinessPlan,
            id.as_str(),
            AuditAction::Created,
            Some(&plan.partner_id),
            None::<&()>,
            Some(&plan),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "business_plan.created",
            id.as_str(),
            Some(&plan.partner_id),
            &plan,
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn business_plan(&self, scope: &Scope, id: &str) -> Result<BusinessPlan> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn business_plans(
        &self,
        scope: &Scope,
        filter: &PlanFilter,
        page: &PageRequest,
    ) -> Result<Page<BusinessPlan>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(p) = &filter.partner_id {
                q.push(" AND business_plans.partner_id = ").bind(p.as_str());
            }
            if let Some(s) = filter.status {
                q.push(" AND business_plans.status = ").bind(s.as_str());
            }
        })
        .await
    }

    /// Changes a draft's title or content in place; an agreed plan changes only through
    /// [`Store::amend_business_plan`].
    /// [`Store::update_business_plan_if`] without a precondition.
    pub async fn update_business_plan(
        &self,
        actor: &Actor,
        id: &str,
        change: &PlanChange,
    ) -> Result<BusinessPlan> {
        self.update_business_plan_if(actor, id, change, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_business_plan_if(
        &self,
        actor: &Actor,
        id: &str,
        change: &PlanChange,
        precondition: &crate::etag::Precondition,
    ) -> Result<BusinessPlan> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: BusinessPlan =
            entity::fetch_for_change(&mut tx, &actor.scope(), id, precondition).await?;
        actor.authorize(&Action::WritePlan(&before.partner_id))?;
        if before.status != PlanStatus::Draft {
            return Err(StoreError::conflict(
                "status",
                "business_plan.agreed",
                "an agreed plan changes by amendment: a new version with a note, signed again",
            ));
        }
        let (title, content) = self.changed(&mut tx, actor, &before, change).await?;
        let mut q = Sql::new("UPDATE business_plans SET title = ");
        q.bind(title.as_str())
            .push(", content = ")
            .bind(to_json(&content)?)
            .push(", partner_signed_by = NULL, partner_signed_at = NULL, vendor_signed_by = NULL, vendor_signed_at = NULL, updated_at = ")
            .bind(now)
            .push(" WHERE status = 'draft' AND id = ")
            .bind(id);
        tx.execute(&q).await?;
        let note = change.change_note.as_deref().unwrap_or("draft edited");
        insert_version(&mut tx, now, actor, id, before.version, &content, note).await?;
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated().event("business_plan.updated"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The title and content after `change`, checked.
    async fn changed(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        before: &BusinessPlan,
        change: &PlanChange,
    ) -> Result<(String, PlanContent)> {
        let title = match &change.title {
            Some(t) => partnerops_core::kernel::invalid::text::required(
                "title",
                Some(t),
                partnerops_core::business_plan::record::MAX_TITLE_CHARS,
            )
            .map_err(Invalid::from)?,
            None => before.title.clone(),
        };
        let content = change
            .content
            .clone()
            .unwrap_or_else(|| before.content.clone());
        content.check(before.period_start)?;
        check_accounts(tx, actor, &content).await?;
        Ok((title, content))
    }

    /// Signs for the caller's side; when both sides have signed, the plan is agreed.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn sign_business_plan(&self, actor: &Actor, id: &str) -> Result<BusinessPlan> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: BusinessPlan = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::SignPlan(&before.partner_id))?;
        if before.status != PlanStatus::Draft {
            return Err(StoreError::conflict(
                "status",
                "business_plan.agreed",
                "this version is already agreed by both sides",
            ));
        }
        let side = if actor.partner_id().is_some() {
            "partner"
        } else {
            "vendor"
        };
        let mut q = Sql::new(&format!("UPDATE business_plans SET {side}_signed_by = "));
        q.bind(actor.user_id().map(|u| u.as_str()))
            .push(&format!(", {side}_signed_at = "))
            .bind(now)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE status = 'draft' AND id = ")
            .bind(id);
        tx.execute(&q).await?;
        let mut q = Sql::new(
            "UPDATE business_plans SET status = 'agreed' WHERE partner_signed_at IS NOT NULL AND vendor_signed_at IS NOT NULL AND id = ",
        );
        q.bind(id);
        let agreed = tx.execute(&q).await? == 1;
        let (outcome, reason, event) = if agreed {
            (
                "agreed",
                format!("version {} agreed: both sides signed", before.version),
                "business_plan.agreed",
            )
        } else {
            (
                "signed",
                format!("signed by the {side}; waiting for the other side"),
                "business_plan.signed",
            )
        };
        let d = Decision::new("business_plan.signature", outcome, reason, before.version);
        let records = [before.id.as_str(), before.partner_id.as_str()];
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated().decided(&d, &records).event(event),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Amends an agreed plan: a new version with a note, a draft again until both sign.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn amend_business_plan(
        &self,
        actor: &Actor,
        id: &str,
        change: &PlanChange,
    ) -> Result<BusinessPlan> {
        let note = partnerops_core::kernel::invalid::text::required(
            "change_note",
            change.change_note.as_deref(),
            2000,
        )
        .map_err(Invalid::from)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: BusinessPlan = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WritePlan(&before.partner_id))?;
        if before.status != PlanStatus::Agreed {
            return Err(StoreError::conflict(
                "status",
                "business_plan.draft",
                "a draft is edited in place; amend a plan once it is agreed",
            ));
        }
        let (title, content) = self.changed(&mut tx, actor, &before, change).await?;
        let version = before.version + 1;
        let mut q = Sql::new("UPDATE business_plans SET status = 'draft', version = ");
        q.bind(version)
            .push(", title = ")
            .bind(title.as_str())
            .push(", content = ")
            .bind(to_json(&content)?)
            .push(", partner_signed_by = NULL, partner_signed_at = NULL, vendor_signed_by = NULL, vendor_signed_at = NULL, updated_at = ")
            .bind(now)
            .push(" WHERE status = 'agreed' AND version = ")
            .bind(before.version)
            .push(" AND id = ")
            .bind(id);
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "version",
                "business_plan.changed",
                "the plan changed meanwhile; reload it",
            ));
        }
        insert_version(&mut tx, now, actor, id, version, &content, &note).await?;
        let changes = diff(&before.content, &content);
        let d = Decision::new(
            "business_plan.amended",
            "amended",
            format!(
                "version {version}: {note} ({})",
                if changes.is_empty() {
                    "no change to the content".to_owned()
                } else {
                    changes.join("; ")
                }
            ),
            version,
        );
        let records = [before.id.as_str(), before.partner_id.as_str()];
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated()
                .decided(&d, &records)
                .event("business_plan.amended"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Every version, oldest first.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn business_plan_versions(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Vec<PlanVersion>> {
        let mut read = self.db.read();
        let _: BusinessPlan = entity::fetch(&mut read, scope, id).await?;
        let mut q = Sql::new(
            "SELECT version, content, change_note, author_name, created_at FROM business_plan_versions WHERE plan_id = ",
        );
        q.bind(id).push(" ORDER BY version");
        let rows: Vec<VersionRow> = read.all(&q).await?;
        rows.into_iter()
            .map(|r| {
                Ok(PlanVersion {
                    version: r.version,
                    content: json_column("content", &r.content)?,
                    change_note: r.change_note,
                    author_name: r.author_name,
                    created_at: r.created_at,
                })
            })
            .collect()
    }

    /// What changed from version `from` to version `to`.
    pub async fn business_plan_diff(
        &self,
        scope: &Scope,
        id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<String>> {
        let versions = self.business_plan_versions(scope, id).await?;
        let find = |field: &str, v: i64| {
            versions
                .iter()
                .find(|x| x.version == v)
                .map(|x| &x.content)
                .ok_or_else(|| {
                    StoreError::from(Invalid::one(
                        field,
                        "version",
                        format!(
                            "{field} names no version of this plan (1 to {})",
                            versions.len()
                        ),
                    ))
                })
        };
        Ok(diff(find("from", from)?, find("to", to)?))
    }

    /// Attainment on the store's today, from live data.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn business_plan_attainment(&self, scope: &Scope, id: &str) -> Result<Attainment> {
        let plan: BusinessPlan = entity::fetch(&mut self.db.read(), scope, id).await?;
        self.attainment_on(&plan, self.now().date_naive()).await
    }

    /// Attainment on the store's today computed from the rows (the partner's deals,
    /// touchpoints and registration activities) instead of the kept sums: the check path,
    /// equal to [`Store::business_plan_attainment`] while the sums are right.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn business_plan_attainment_from_rows(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Attainment> {
        let plan: BusinessPlan = entity::fetch(&mut self.db.read(), scope, id).await?;
        let today = self.now().date_naive();
        let facts = self.plan_facts_from_rows(&plan, today).await?;
        self.attainment_of(&plan, today, &facts).await
    }

    /// A plan's attainment on `today`, under its program's current drift threshold.
    pub(crate) async fn attainment_on(
        &self,
        plan: &BusinessPlan,
        today: NaiveDate,
    ) -> Result<Attainment> {
        let facts = self.plan_facts(plan, today).await?;
        self.attainment_of(plan, today, &facts).await
    }

    async fn attainment_of(
        &self,
        plan: &BusinessPlan,
        today: NaiveDate,
        facts: &Facts,
    ) -> Result<Attainment> {
        let threshold = policy::current_version(&mut self.db.read(), plan.program_id.as_str())
            .await?
            .policy
            .business_plan
            .drift_threshold_bp;
        Ok(attainment::attainment(
            &plan.content,
            plan.period_start,
            plan.currency,
            today,
            threshold,
            facts,
        ))
    }

    /// Records a review of a plan (both sides write them).
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn record_plan_review(
        &self,
        actor: &Actor,
        id: &str,
        input: &ReviewInput,
    ) -> Result<PlanReview> {
        let now = self.now();
        let f = input.parse(now.date_naive())?;
        let mut tx = self.db.begin_write().await?;
        let plan: BusinessPlan = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WritePlan(&plan.partner_id))?;
        let rid: PlanReviewId = new_id();
        let mut q = Sql::new(
            "INSERT INTO business_plan_reviews (id, plan_id, kind, held_on, attendees, notes, decisions, next_steps, recorded_by_name, created_at) VALUES (",
        );
        q.bind(rid.as_str())
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(f.kind.as_str())
            .push(", ")
            .bind(f.held_on)
            .push(", ")
            .bind(to_json(&f.attendees)?)
            .push(", ")
            .bind(f.notes.as_str())
            .push(", ")
            .bind(to_json(&f.decisions)?)
            .push(", ")
            .bind(to_json(&f.next_steps)?)
            .push(", ")
            .bind(actor.audit_name())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let review = PlanReview {
            id: rid,
            plan_id: plan.id.clone(),
            kind: f.kind,
            held_on: f.held_on,
            attendees: f.attendees,
            notes: f.notes,
            decisions: f.decisions,
            next_steps: f.next_steps,
            recorded_by_name: actor.audit_name(),
            created_at: now,
        };
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::BusinessPlan,
            id,
            AuditAction::Updated,
            Some(&plan.partner_id),
            None::<&()>,
            Some(&review),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "business_plan.reviewed",
            id,
            Some(&plan.partner_id),
            &review,
        )
        .await?;
        if !review.next_steps.is_empty() || f.next_step_owner_id.is_some() {
            let owner = task::next_step_owner(&mut tx, actor, &plan, f.next_step_owner_id).await?;
            for step in &review.next_steps {
                task::create(
                    &mut tx,
                    now,
                    actor,
                    &plan,
                    &review.id,
                    step,
                    &owner,
                    f.next_steps_due_on,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(review)
    }

    /// The reviews of a plan, newest first.
    pub async fn plan_reviews(&self, scope: &Scope, id: &str) -> Result<Vec<PlanReview>> {
        let mut read = self.db.read();
        let _: BusinessPlan = entity::fetch(&mut read, scope, id).await?;
        let mut q = Sql::new(
            "SELECT id, plan_id, kind, held_on, attendees, notes, decisions, next_steps, recorded_by_name, created_at FROM business_plan_reviews WHERE plan_id = ",
        );
        q.bind(id).push(" ORDER BY held_on DESC, created_at DESC");
        read.all::<ReviewRow>(&q)
            .await?
            .into_iter()
            .map(review_of)
            .collect()
    }

    /// The reviews due next under the plan's cadence.
    pub async fn plan_reviews_due(&self, scope: &Scope, id: &str) -> Result<Vec<ReviewDue>> {
        let plan = self.business_plan(scope, id).await?;
        self.reviews_due_on(&plan, self.now().date_naive()).await
    }

    /// The reviews of `plan` due next on `today`.
    pub(crate) async fn reviews_due_on(
        &self,
        plan: &BusinessPlan,
        today: NaiveDate,
    ) -> Result<Vec<ReviewDue>> {
        let held: Vec<(ReviewKind, NaiveDate)> = self
            .plan_reviews(&Scope::Vendor, plan.id.as_str())
            .await?
            .into_iter()
            .map(|r| (r.kind, r.held_on))
            .collect();
        Ok(reviews_due(&plan.content, plan.period_start, &held, today))
    }
}
