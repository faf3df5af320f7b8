//! Co-marketing launch checklists: templates of a program, launches of a charter or a
//! campaign with their own copy of the tasks, task updates and rescheduling. The rules (the
//! phases' offsets, due days, what a reschedule moves, skip reasons, progress) are
//! `core::launch`'s; here they meet the database.
//!
//! A partner sees the templates of its own program and only its own launches (of its
//! charter or its campaigns), with both sides' tasks; it may change only its own side's.

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{
    CampaignId, CharterId, EntityId, LaunchId, LaunchTaskId, LaunchTemplateId, PartnerId,
    ProgramId, UserId, parse_id,
};
use partnerops_core::launch::record::{
    Launch, LaunchSubject, LaunchTask, LaunchTemplate, LaunchTemplateInput, RescheduleInput,
    StartLaunchInput, TaskUpdateInput, parse_date, tasks_as_input,
};
use partnerops_core::launch::{
    LaunchPhase, LaunchTaskStatus, OwnerSide, SEED_TEMPLATE_DESCRIPTION, SEED_TEMPLATE_NAME,
    TemplateTask, check_status_change, due_on, progress, rescheduled_due, seed_template,
};
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use crate::db::{Exec, Sql, row};
use crate::decision::emit;
use crate::entity::{json_column, to_json};
use crate::etag::{self, Precondition};
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope};

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(e.message)
}

row! {
    struct TemplateRow {
        id: String,
        program_id: String,
        name: String,
        description: Option<String>,
        version: i64,
        tasks: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        archived_at: Option<DateTime<Utc>>,
    }
}

const TEMPLATE_SELECT: &str = "SELECT t.id, t.program_id, t.name, t.description, t.version, t.tasks, t.created_at, t.updated_at, t.archived_at FROM launch_templates t WHERE 1 = 1";

fn template_from(r: TemplateRow) -> Result<LaunchTemplate> {
    Ok(LaunchTemplate {
        id: LaunchTemplateId::from_trusted(r.id),
        program_id: ProgramId::from_trusted(r.program_id),
        name: r.name,
        description: r.description,
        version: r.version,
        tasks: json_column("tasks", &r.tasks)?,
        created_at: r.created_at,
        updated_at: r.updated_at,
        archived_at: r.archived_at,
    })
}

row! {
    struct LaunchRow {
        id: String,
        partner_id: String,
        partner_name: String,
        charter_id: Option<String>,
        campaign_id: Option<String>,
        subject_title: Option<String>,
        name: String,
        launch_on: NaiveDate,
        template_id: Option<String>,
        template_version: Option<i64>,
        template_name: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

const LAUNCH_SELECT: &str = "SELECT l.id, l.partner_id, p.name AS partner_name, l.charter_id, l.campaign_id, COALESCE(ch.title, cp.name) AS subject_title, l.name, l.launch_on, l.template_id, l.template_version, l.template_name, l.created_at, l.updated_at FROM launches l JOIN partners p ON p.id = l.partner_id LEFT JOIN charters ch ON ch.id = l.charter_id LEFT JOIN campaigns cp ON cp.id = l.campaign_id WHERE 1 = 1";

fn launch_from(r: LaunchRow, tasks: Vec<LaunchTask>, today: NaiveDate) -> Launch {
    let progress = progress(tasks.iter().map(|t| (t.phase, t.status, t.due_on)), today);
    Launch {
        id: LaunchId::from_trusted(r.id),
        partner_id: PartnerId::from_trusted(r.partner_id),
        partner_name: r.partner_name,
        charter_id: r.charter_id.map(CharterId::from_trusted),
        campaign_id: r.campaign_id.map(CampaignId::from_trusted),
        subject_title: r.subject_title.unwrap_or_default(),
        name: r.name,
        launch_on: r.launch_on,
        template_id: r.template_id.map(LaunchTemplateId::from_trusted),
        template_version: r.template_version,
        template_name: r.template_name,
        created_at: r.created_at,
        updated_at: r.updated_at,
        progress,
        tasks,
    }
}

row! {
    struct TaskRow {
        id: String,
        launch_id: String,
        partner_id: String,
        position: i64,
        phase: String,
        title: String,
        detail: Option<String>,
        offset_days: i64,
        due_on: NaiveDate,
        owner_side: String,
        owner_id: Option<String>,
        owner_name: Option<String>,
        status: String,
        skip_reason: Option<String>,
        done_by: Option<String>,
        done_by_name: Option<String>,
        done_at: Option<DateTime<Utc>>,
        updated_at: DateTime<Utc>,
    }
}

const TASK_SELECT: &str = "SELECT t.id, t.launch_id, t.partner_id, t.position, t.phase, t.title, t.detail, t.offset_days, t.due_on, t.owner_side, t.owner_id, ou.display_name AS owner_name, t.status, t.skip_reason, t.done_by, du.display_name AS done_by_name, t.done_at, t.updated_at FROM launch_tasks t LEFT JOIN users ou ON ou.id = t.owner_id LEFT JOIN users du ON du.id = t.done_by WHERE 1 = 1";

fn task_from(r: TaskRow, today: NaiveDate) -> Result<LaunchTask> {
    Ok(LaunchTask {
        id: LaunchTaskId::from_trusted(r.id),
        launch_id: LaunchId::from_trusted(r.launch_id),
        partner_id: PartnerId::from_trusted(r.partner_id),
        position: r.position,
        phase: LaunchPhase::parse("phase", &r.phase).map_err(corrupt)?,
        title: r.title,
        detail: r.detail,
        offset_days: r.offset_days,
        due_on: r.due_on,
        owner_side: OwnerSide::parse("owner_side", &r.owner_side).map_err(corrupt)?,
        owner_id: r.owner_id.map(UserId::from_trusted),
        owner_name: r.owner_name,
        status: LaunchTaskStatus::parse("status", &r.status).map_err(corrupt)?,
        skip_reason: r.skip_reason,
        done_by: r.done_by.map(UserId::from_trusted),
        done_by_name: r.done_by_name,
        done_at: r.done_at,
        updated_at: r.updated_at,
        overdue: false,
    }
    .as_of(today))
}

async fn template_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<LaunchTemplate> {
    let not_found = StoreError::NotFound(EntityKind::LaunchTemplate);
    if LaunchTemplateId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(TEMPLATE_SELECT);
    q.push(" AND t.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::LaunchTemplate, "t");
    template_from(x.optional::<TemplateRow>(&q).await?.ok_or(not_found)?)
}

async fn tasks_of(
    x: &mut impl Exec,
    launch_ids: &[&str],
    today: NaiveDate,
) -> Result<Vec<LaunchTask>> {
    if launch_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(TASK_SELECT);
    q.push(" AND t.launch_id IN ")
        .bind_in(launch_ids.iter().copied())
        .push(" ORDER BY t.launch_id, t.position");
    x.all::<TaskRow>(&q)
        .await?
        .into_iter()
        .map(|r| task_from(r, today))
        .collect()
}

async fn launch_in(x: &mut impl Exec, scope: &Scope, id: &str, today: NaiveDate) -> Result<Launch> {
    let not_found = StoreError::NotFound(EntityKind::Launch);
    if LaunchId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(LAUNCH_SELECT);
    q.push(" AND l.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::Launch, "l");
    let row = x.optional::<LaunchRow>(&q).await?.ok_or(not_found)?;
    let tasks = tasks_of(x, &[id], today).await?;
    Ok(launch_from(row, tasks, today))
}

async fn task_in(
    x: &mut impl Exec,
    scope: &Scope,
    id: &str,
    today: NaiveDate,
) -> Result<LaunchTask> {
    let not_found = StoreError::NotFound(EntityKind::LaunchTask);
    if LaunchTaskId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(TASK_SELECT);
    q.push(" AND t.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::LaunchTask, "t");
    task_from(x.optional::<TaskRow>(&q).await?.ok_or(not_found)?, today)
}

/// Filters of the launch list.
#[derive(Clone, Debug, Default)]
pub struct LaunchFilter {
    pub partner_id: Option<PartnerId>,
    pub charter_id: Option<CharterId>,
    pub campaign_id: Option<CampaignId>,
    /// Only launches with an overdue task.
    pub overdue: bool,
}

/// A user who may own a task of a launch, with the side they may own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerChoice {
    pub id: UserId,
    pub name: String,
    pub side: OwnerSide,
}

row! { struct ProgramOf { program_id: String } }

row! {
    struct OwnerRow {
        id: String,
        display_name: String,
        partner_id: Option<String>,
    }
}

impl Store {
    /// Launch templates: staff see all (of a program, if named), archived ones too when
    /// asked; a partner the live ones of its own program.
    pub async fn launch_templates(
        &self,
        scope: &Scope,
        program_id: Option<&ProgramId>,
        include_archived: bool,
    ) -> Result<Vec<LaunchTemplate>> {
        let mut q = Sql::new(TEMPLATE_SELECT);
        if let Some(p) = program_id {
            q.push(" AND t.program_id = ").bind(p.as_str());
        }
        if !include_archived {
            q.push(" AND t.archived_at IS NULL");
        }
        scope::restrict(&mut q, scope, EntityKind::LaunchTemplate, "t");
        q.push(" ORDER BY t.name, t.id");
        self.db
            .read()
            .all::<TemplateRow>(&q)
            .await?
            .into_iter()
            .map(template_from)
            .collect()
    }

    pub async fn launch_template(&self, scope: &Scope, id: &str) -> Result<LaunchTemplate> {
        template_in(&mut self.db.read(), scope, id).await
    }

    /// A new template of a program.
    #[tracing::instrument(skip_all)]
    pub async fn create_launch_template(
        &self,
        actor: &Actor,
        input: &LaunchTemplateInput,
    ) -> Result<LaunchTemplate> {
        actor.authorize(&Action::WriteLaunchTemplate)?;
        let mut inv = Invalid::new();
        let program: Option<ProgramId> = inv.check(parse_id(
            "program_id",
            input.program_id.as_deref().unwrap_or(""),
        ));
        let fields = input.parse();
        let (program, f) = match (program, fields) {
            (Some(p), Ok(f)) if inv.is_empty() => (p, f),
            (_, fields) => {
                inv.errors
                    .extend(fields.err().map(|e| e.errors).unwrap_or_default());
                return Err(inv.into());
            }
        };
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        row! { struct Exists { #[allow(dead_code)] id: String } }
        let mut q = Sql::new("SELECT id FROM programs WHERE archived_at IS NULL AND id = ");
        q.bind(program.as_str());
        if tx.optional::<Exists>(&q).await?.is_none() {
            return Err(
                Invalid::one("program_id", "exists", "program_id names no live program").into(),
            );
        }
        let id: LaunchTemplateId = new_id();
        let mut q = Sql::new(
            "INSERT INTO launch_templates (id, program_id, name, description, version, tasks, created_by, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(program.as_str())
            .push(", ")
            .bind(f.name.as_str())
            .push(", ")
            .bind(f.description.as_deref())
            .push(", 1, ")
            .bind(to_json(&f.tasks)?)
            .push(", ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let t = template_in(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::LaunchTemplate,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&t),
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// A program's own editable copy of the built-in seed checklist.
    pub async fn seed_launch_template(
        &self,
        actor: &Actor,
        program_id: &str,
    ) -> Result<LaunchTemplate> {
        let input = LaunchTemplateInput {
            program_id: Some(program_id.to_owned()),
            name: Some(SEED_TEMPLATE_NAME.to_owned()),
            description: Some(SEED_TEMPLATE_DESCRIPTION.to_owned()),
            tasks: Some(tasks_as_input(&seed_template())),
        };
        self.create_launch_template(actor, &input).await
    }

    /// Changes a template: a new version. Launches already started keep their own tasks.
    /// [`Store::update_launch_template_if`] without a precondition.
    pub async fn update_launch_template(
        &self,
        actor: &Actor,
        id: &str,
        input: &LaunchTemplateInput,
    ) -> Result<LaunchTemplate> {
        self.update_launch_template_if(actor, id, input, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(template_id = %id))]
    pub async fn update_launch_template_if(
        &self,
        actor: &Actor,
        id: &str,
        input: &LaunchTemplateInput,
        precondition: &crate::etag::Precondition,
    ) -> Result<LaunchTemplate> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        crate::etag::hold(&mut tx, "launch_templates", id, precondition).await?;
        let before = template_in(&mut tx, &actor.scope(), id).await?;
        precondition.check(&before)?;
        actor.authorize(&Action::WriteLaunchTemplate)?;
        if input.program_id.is_some() {
            return Err(
                Invalid::one("program_id", "immutable", "a template stays in its program").into(),
            );
        }
        if before.archived_at.is_some() {
            return Err(StoreError::conflict(
                "id",
                "launch_template.archived",
                "the template is archived; it can no longer be changed",
            ));
        }
        let merged = LaunchTemplateInput {
            program_id: None,
            name: input.name.clone().or(Some(before.name.clone())),
            description: input.description.clone().or(before.description.clone()),
            tasks: input
                .tasks
                .clone()
                .or_else(|| Some(tasks_as_input(&before.tasks))),
        };
        let f = merged.parse()?;
        let mut q = Sql::new("UPDATE launch_templates SET name = ");
        q.bind(f.name.as_str())
            .push(", description = ")
            .bind(f.description.as_deref())
            .push(", tasks = ")
            .bind(to_json(&f.tasks)?)
            .push(", version = version + 1, updated_at = ")
            .bind(now)
            .push(" WHERE archived_at IS NULL AND version = ")
            .bind(before.version)
            .push(" AND id = ")
            .bind(id);
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "id",
                "launch_template.changed",
                "the template was changed meanwhile; reload it and try again",
            ));
        }
        let after = template_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::LaunchTemplate,
            id,
            AuditAction::Updated,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Archives a template: no new launches from it; launches made from it run on.
    #[tracing::instrument(skip_all, fields(template_id = %id))]
    pub async fn archive_launch_template(&self, actor: &Actor, id: &str) -> Result<LaunchTemplate> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = template_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WriteLaunchTemplate)?;
        let mut q = Sql::new("UPDATE launch_templates SET archived_at = ");
        q.bind(now)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE archived_at IS NULL AND id = ")
            .bind(id);
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "id",
                "launch_template.archived",
                "the template is archived already",
            ));
        }
        let after = template_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::LaunchTemplate,
            id,
            AuditAction::Archived,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Starts a launch: the checklist of the named template (of the partner's program; the
    /// built-in seed checklist when none is named) copied for a charter or a campaign, each
    /// task due on the launch date plus its offset (a weekend moves to the Friday before).
    #[tracing::instrument(skip_all)]
    pub async fn start_launch(&self, actor: &Actor, input: &StartLaunchInput) -> Result<Launch> {
        let f = input.parse()?;
        let scope = actor.scope();
        let exists = |field: &str, what: &str| -> StoreError {
            Invalid::one(
                field,
                "exists",
                format!("{field} names no {what} you can see"),
            )
            .into()
        };
        let (partner, subject_title, is_charter) = match &f.subject {
            LaunchSubject::Charter(id) => {
                let c = self
                    .charter(&scope, id.as_str())
                    .await
                    .map_err(|e| match e {
                        StoreError::NotFound(_) => exists("charter_id", "partnership charter"),
                        e => e,
                    })?;
                (c.partner_id, c.title, true)
            }
            LaunchSubject::Campaign(id) => {
                let c = self
                    .campaign(&scope, id.as_str())
                    .await
                    .map_err(|e| match e {
                        StoreError::NotFound(_) => exists("campaign_id", "campaign"),
                        e => e,
                    })?;
                (c.partner_id, c.name, false)
            }
        };
        actor.authorize(&Action::StartLaunch {
            partner: &partner,
            charter: is_charter,
        })?;
        let now = self.now();
        let today = now.date_naive();
        let mut tx = self.db.begin_write().await?;
        let (template_id, template_version, template_name, tasks): (
            Option<String>,
            Option<i64>,
            String,
            Vec<TemplateTask>,
        ) = match &f.template_id {
            Some(tid) => {
                let t = template_in(&mut tx, &scope, tid.as_str())
                    .await
                    .map_err(|e| match e {
                        StoreError::NotFound(_) => exists("template_id", "launch template"),
                        e => e,
                    })?;
                let mut q = Sql::new("SELECT program_id FROM partners WHERE id = ");
                q.bind(partner.as_str());
                let program = tx.optional::<ProgramOf>(&q).await?;
                if t.archived_at.is_some()
                    || program.is_none_or(|p| p.program_id != t.program_id.as_str())
                {
                    return Err(Invalid::one(
                        "template_id",
                        "launch.template_program",
                        "template_id must name a live template of the partner's own program",
                    )
                    .into());
                }
                (Some(t.id.to_string()), Some(t.version), t.name, t.tasks)
            }
            None => (None, None, SEED_TEMPLATE_NAME.to_owned(), seed_template()),
        };
        let name = f
            .name
            .clone()
            .unwrap_or_else(|| format!("{subject_title} launch"));
        let id: LaunchId = new_id();
        let (charter_id, campaign_id) = match &f.subject {
            LaunchSubject::Charter(c) => (Some(c.as_str()), None),
            LaunchSubject::Campaign(c) => (None, Some(c.as_str())),
        };
        let mut q = Sql::new(
            "INSERT INTO launches (id, partner_id, charter_id, campaign_id, name, launch_on, template_id, template_version, template_name, created_by, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(partner.as_str())
            .push(", ")
            .bind(charter_id)
            .push(", ")
            .bind(campaign_id)
            .push(", ")
            .bind(name.as_str())
            .push(", ")
            .bind(f.launch_on)
            .push(", ")
            .bind(template_id.as_deref())
            .push(", ")
            .bind(template_version)
            .push(", ")
            .bind(template_name.as_str())
            .push(", ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        for (i, t) in tasks.iter().enumerate() {
            let task_id: LaunchTaskId = new_id();
            let mut q = Sql::new(
                "INSERT INTO launch_tasks (id, launch_id, partner_id, position, phase, title, detail, offset_days, due_on, owner_side, status, updated_at) VALUES (",
            );
            q.bind(task_id.as_str())
                .push(", ")
                .bind(id.as_str())
                .push(", ")
                .bind(partner.as_str())
                .push(", ")
                .bind(i as i64 + 1)
                .push(", ")
                .bind(t.phase.as_str())
                .push(", ")
                .bind(t.title.as_str())
                .push(", ")
                .bind(t.detail.as_deref())
                .push(", ")
                .bind(t.offset_days)
                .push(", ")
                .bind(due_on(f.launch_on, t.offset_days))
                .push(", ")
                .bind(t.owner_side.as_str())
                .push(", 'open', ")
                .bind(now)
                .push(")");
            tx.execute(&q).await?;
        }
        let launch = launch_in(&mut tx, &Scope::Vendor, id.as_str(), today).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Launch,
            id.as_str(),
            AuditAction::Created,
            Some(&partner),
            None::<&()>,
            Some(&launch),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "launch.started",
            id.as_str(),
            Some(&partner),
            &launch,
        )
        .await?;
        tx.commit().await?;
        Ok(launch)
    }

    /// Launches as `scope` sees them, latest launch date first, with their progress (the
    /// tasks themselves are left out of the list).
    pub async fn launches(&self, scope: &Scope, filter: &LaunchFilter) -> Result<Vec<Launch>> {
        let today = self.now().date_naive();
        let mut q = Sql::new(LAUNCH_SELECT);
        scope::restrict(&mut q, scope, EntityKind::Launch, "l");
        if let Some(p) = &filter.partner_id {
            q.push(" AND l.partner_id = ").bind(p.as_str());
        }
        if let Some(c) = &filter.charter_id {
            q.push(" AND l.charter_id = ").bind(c.as_str());
        }
        if let Some(c) = &filter.campaign_id {
            q.push(" AND l.campaign_id = ").bind(c.as_str());
        }
        if filter.overdue {
            q.push(" AND EXISTS (SELECT 1 FROM launch_tasks ot WHERE ot.launch_id = l.id AND ot.status IN ('open', 'in_progress') AND ot.due_on < ")
                .bind(today)
                .push(")");
        }
        q.push(" ORDER BY l.launch_on DESC, l.id DESC LIMIT 500");
        let mut read = self.db.read();
        let rows: Vec<LaunchRow> = read.all(&q).await?;
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut tasks = tasks_of(&mut read, &ids, today).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (mine, rest): (Vec<_>, Vec<_>) = tasks
                .into_iter()
                .partition(|t| t.launch_id.as_str() == r.id);
            tasks = rest;
            let mut l = launch_from(r, mine, today);
            l.tasks.clear();
            out.push(l);
        }
        Ok(out)
    }

    /// One launch with its tasks.
    pub async fn launch(&self, scope: &Scope, id: &str) -> Result<Launch> {
        let today = self.now().date_naive();
        launch_in(&mut self.db.read(), scope, id, today).await
    }

    /// One launch task.
    pub async fn launch_task(&self, scope: &Scope, id: &str) -> Result<LaunchTask> {
        let today = self.now().date_naive();
        task_in(&mut self.db.read(), scope, id, today).await
    }

    /// Who may own the tasks of a launch, as `scope` sees users: vendor staff for vendor
    /// tasks (staff only), the partner's users for partner tasks.
    pub async fn launch_owner_choices(
        &self,
        scope: &Scope,
        launch: &Launch,
    ) -> Result<Vec<OwnerChoice>> {
        let mut q = Sql::new(
            "SELECT u.id, u.display_name, u.partner_id FROM users u WHERE u.archived_at IS NULL AND (u.partner_id = ",
        );
        q.bind(launch.partner_id.as_str());
        if *scope == Scope::Vendor {
            q.push(" OR u.partner_id IS NULL");
        }
        q.push(") ORDER BY u.display_name, u.id LIMIT 500");
        Ok(self
            .db
            .read()
            .all::<OwnerRow>(&q)
            .await?
            .into_iter()
            .map(|r| OwnerChoice {
                side: if r.partner_id.is_some() {
                    OwnerSide::Partner
                } else {
                    OwnerSide::Vendor
                },
                id: UserId::from_trusted(r.id),
                name: r.display_name,
            })
            .collect())
    }

    /// Changes a task's status (done records who and when; a skip keeps its reason) and/or
    /// its named owner (a vendor user for a vendor task, a user of the launch's partner for
    /// a partner task). A partner's users change only their side's tasks.
    #[tracing::instrument(skip_all, fields(task_id = %id))]
    pub async fn update_launch_task(
        &self,
        actor: &Actor,
        id: &str,
        input: &TaskUpdateInput,
        precondition: &Precondition,
    ) -> Result<LaunchTask> {
        let now = self.now();
        let today = now.date_naive();
        let mut tx = self.db.begin_write().await?;
        etag::hold(&mut tx, "launch_tasks", id, precondition).await?;
        let before = task_in(&mut tx, &actor.scope(), id, today).await?;
        precondition.check(&before)?;
        actor.authorize(&Action::WorkLaunchTask {
            partner: &before.partner_id,
            partner_side: before.owner_side == OwnerSide::Partner,
        })?;
        let change = input.parse()?;
        let mut q = Sql::new("UPDATE launch_tasks SET updated_at = ");
        q.bind(now);
        if let Some(to) = change.status {
            let reason = check_status_change(before.status, to, change.skip_reason.as_deref())
                .map_err(Invalid::from)?;
            q.push(", status = ")
                .bind(to.as_str())
                .push(", skip_reason = ")
                .bind(reason.as_deref());
            if to == LaunchTaskStatus::Done {
                q.push(", done_by = ")
                    .bind(actor.user_id().map(EntityId::as_str))
                    .push(", done_at = ")
                    .bind(now);
            } else {
                q.push(", done_by = NULL, done_at = NULL");
            }
        }
        if let Some(owner) = &change.owner {
            if let Some(user) = owner {
                self.check_owner(&mut tx, user, &before).await?;
            }
            q.push(", owner_id = ")
                .bind(owner.as_ref().map(EntityId::as_str));
        }
        q.push(" WHERE id = ")
            .bind(id)
            .push(" AND status = ")
            .bind(before.status.as_str());
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "status",
                "launch_task.changed",
                "the task was changed meanwhile; reload it and try again",
            ));
        }
        let after = task_in(&mut tx, &Scope::Vendor, id, today).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::LaunchTask,
            id,
            AuditAction::Updated,
            Some(&before.partner_id),
            Some(&before),
            Some(&after),
        )
        .await?;
        if after.status != before.status {
            emit(
                &mut tx,
                now,
                "launch.task_status",
                id,
                Some(&before.partner_id),
                &after,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Refuses an owner of the wrong side or of another partner, naming `owner_id`.
    async fn check_owner(
        &self,
        tx: &mut crate::db::Tx,
        user: &UserId,
        task: &LaunchTask,
    ) -> Result<()> {
        let mut q = Sql::new(
            "SELECT u.id, u.display_name, u.partner_id FROM users u WHERE u.archived_at IS NULL AND u.id = ",
        );
        q.bind(user.as_str());
        let found = tx.optional::<OwnerRow>(&q).await?;
        let wrong = |rule: &str, message: &str| -> StoreError {
            Invalid::one("owner_id", rule, message.to_owned()).into()
        };
        match (task.owner_side, found.map(|u| u.partner_id)) {
            (_, None) => Err(wrong("exists", "owner_id names no active user")),
            (OwnerSide::Vendor, Some(None)) => Ok(()),
            (OwnerSide::Vendor, Some(Some(_))) => Err(wrong(
                "launch.owner_side",
                "owner_id of a vendor task must be a vendor user",
            )),
            (OwnerSide::Partner, Some(Some(p))) if p == task.partner_id.as_str() => Ok(()),
            (OwnerSide::Partner, Some(_)) => Err(wrong(
                "launch.owner_partner",
                "owner_id of a partner task must be a user of the launch's partner",
            )),
        }
    }

    /// Moves a launch to a new date: the due days of its tasks still to do move with it
    /// (each from its offset, weekends to the Friday before); done and skipped tasks keep
    /// theirs.
    #[tracing::instrument(skip_all, fields(launch_id = %id))]
    pub async fn reschedule_launch(
        &self,
        actor: &Actor,
        id: &str,
        input: &RescheduleInput,
    ) -> Result<Launch> {
        let now = self.now();
        let today = now.date_naive();
        let mut tx = self.db.begin_write().await?;
        let before = launch_in(&mut tx, &actor.scope(), id, today).await?;
        actor.authorize(&Action::StartLaunch {
            partner: &before.partner_id,
            charter: before.charter_id.is_some(),
        })?;
        let new_on = parse_date("launch_on", input.launch_on.as_deref()).map_err(Invalid::from)?;
        if new_on == before.launch_on {
            return Err(Invalid::one(
                "launch_on",
                "launch.unchanged",
                "launch_on is the launch's date already",
            )
            .into());
        }
        let mut q = Sql::new("UPDATE launches SET launch_on = ");
        q.bind(new_on)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND launch_on = ")
            .bind(before.launch_on);
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "launch_on",
                "launch.changed",
                "the launch was rescheduled meanwhile; reload it and try again",
            ));
        }
        for t in &before.tasks {
            let due = rescheduled_due(t.status, t.offset_days, t.due_on, new_on);
            if due == t.due_on {
                continue;
            }
            let mut q = Sql::new("UPDATE launch_tasks SET due_on = ");
            q.bind(due)
                .push(", updated_at = ")
                .bind(now)
                .push(" WHERE status IN ('open', 'in_progress') AND id = ")
                .bind(t.id.as_str());
            tx.execute(&q).await?;
        }
        let after = launch_in(&mut tx, &Scope::Vendor, id, today).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Launch,
            id,
            AuditAction::Updated,
            Some(&before.partner_id),
            Some(&before),
            Some(&after),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "launch.rescheduled",
            id,
            Some(&before.partner_id),
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
