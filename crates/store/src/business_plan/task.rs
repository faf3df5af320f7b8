//! Plan tasks: each next step of a recorded review becomes a task of the plan, owned by one
//! user of either side who may see the plan, with a due date. Whoever may see the plan
//! reads its tasks and marks them done (or open again); a partner reaches only its own
//! plans' tasks, because every read and write goes through the plan under the caller's
//! scope.

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::business_plan::record::{
    BusinessPlan, PlanTask, PlanTaskPatch, PlanTaskStatus,
};
use partnerops_core::ids::{BusinessPlanId, EntityId, PlanReviewId, PlanTaskId, UserId};
use partnerops_core::scope::Scope;
use partnerops_core::{FieldError, Invalid};
use serde::Serialize;

use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::etag::{self, Precondition};
use crate::{Actor, Result, Store, StoreError, audit, entity, new_id};

row! {
    struct TaskRow {
        id: String,
        plan_id: String,
        review_id: String,
        title: String,
        owner_id: String,
        owner_name: String,
        due_on: NaiveDate,
        status: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        done_at: Option<DateTime<Utc>>,
    }
}

const SELECT: &str = "SELECT t.id, t.plan_id, t.review_id, t.title, t.owner_id, u.display_name AS owner_name, t.due_on, t.status, t.created_at, t.updated_at, t.done_at FROM business_plan_tasks t JOIN users u ON u.id = t.owner_id WHERE 1 = 1";

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(format!("{}: {}", e.field, e.message))
}

fn task_of(r: TaskRow) -> Result<PlanTask> {
    Ok(PlanTask {
        id: PlanTaskId::from_trusted(r.id),
        plan_id: BusinessPlanId::from_trusted(r.plan_id),
        review_id: PlanReviewId::from_trusted(r.review_id),
        title: r.title,
        owner_id: UserId::from_trusted(r.owner_id),
        owner_name: r.owner_name,
        due_on: r.due_on,
        status: PlanTaskStatus::parse("status", &r.status).map_err(corrupt)?,
        created_at: r.created_at,
        updated_at: r.updated_at,
        done_at: r.done_at,
    })
}

async fn fetch(x: &mut impl Exec, id: &str) -> Result<PlanTask> {
    let mut q = Sql::new(SELECT);
    q.push(" AND t.id = ").bind(id);
    let row: TaskRow = x
        .optional(&q)
        .await?
        .ok_or(StoreError::NotFound(EntityKind::PlanTask))?;
    task_of(row)
}

/// The payload of `jbp.task_assigned` and `jbp.task_due`: the task, with what the
/// notification names (the plan's title) and, for a reminder, whether it is overdue.
#[derive(Serialize)]
pub(crate) struct TaskEvent<'a> {
    pub task_id: &'a str,
    pub plan_id: &'a str,
    pub plan_title: &'a str,
    pub title: &'a str,
    /// The user the task is for (the notification's recipient).
    pub owner_id: &'a str,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

row! {
    struct OwnerRow {
        partner_id: Option<String>,
    }
}

/// The owner of a review's next steps: the one named, when they are a live user who may
/// see the plan (vendor staff, or a user of the plan's partner); else the caller.
pub(super) async fn next_step_owner(
    tx: &mut Tx,
    actor: &Actor,
    plan: &BusinessPlan,
    named: Option<UserId>,
) -> Result<UserId> {
    let Some(user) = named else {
        return actor.user_id().cloned().ok_or_else(|| {
            Invalid::one(
                "next_step_owner_id",
                "required",
                "next_step_owner_id is required when no user records the review",
            )
            .into()
        });
    };
    let mut q = Sql::new("SELECT partner_id FROM users WHERE archived_at IS NULL AND id = ");
    q.bind(user.as_str());
    let row: Option<OwnerRow> = tx.optional(&q).await?;
    match row {
        Some(r)
            if r.partner_id.is_none()
                || r.partner_id.as_deref() == Some(plan.partner_id.as_str()) =>
        {
            Ok(user)
        }
        _ => Err(Invalid::one(
            "next_step_owner_id",
            "not_eligible",
            "next_step_owner_id must name vendor staff or a user of the plan's partner",
        )
        .into()),
    }
}

/// Creates one task of a review's next step and announces it to its owner.
#[allow(clippy::too_many_arguments)]
pub(super) async fn create(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    plan: &BusinessPlan,
    review: &PlanReviewId,
    title: &str,
    owner: &UserId,
    due_on: NaiveDate,
) -> Result<PlanTask> {
    let id: PlanTaskId = new_id();
    let mut q = Sql::new(
        "INSERT INTO business_plan_tasks (id, plan_id, review_id, title, owner_id, due_on, status, created_at, updated_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(plan.id.as_str())
        .push(", ")
        .bind(review.as_str())
        .push(", ")
        .bind(title)
        .push(", ")
        .bind(owner.as_str())
        .push(", ")
        .bind(due_on)
        .push(", 'open', ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await?;
    let task = fetch(tx, id.as_str()).await?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::PlanTask,
        id.as_str(),
        AuditAction::Created,
        Some(&plan.partner_id),
        None::<&()>,
        Some(&task),
    )
    .await?;
    emit(
        tx,
        now,
        "jbp.task_assigned",
        id.as_str(),
        Some(&plan.partner_id),
        &TaskEvent {
            task_id: id.as_str(),
            plan_id: plan.id.as_str(),
            plan_title: &plan.title,
            title,
            owner_id: owner.as_str(),
            due_on,
            overdue: false,
        },
    )
    .await?;
    Ok(task)
}

impl Store {
    /// The tasks of a plan the caller may see: open ones first, by due date.
    #[tracing::instrument(skip_all, fields(id = %plan_id))]
    pub async fn plan_tasks(&self, scope: &Scope, plan_id: &str) -> Result<Vec<PlanTask>> {
        let mut read = self.db.read();
        let _: BusinessPlan = entity::fetch(&mut read, scope, plan_id).await?;
        let mut q = Sql::new(SELECT);
        q.push(" AND t.plan_id = ").bind(plan_id).push(
            " ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END, t.due_on, t.created_at, t.id",
        );
        read.all::<TaskRow>(&q)
            .await?
            .into_iter()
            .map(task_of)
            .collect()
    }

    /// Marks a plan task done, or open again. Anyone who may see the plan may; a task of a
    /// plan the caller cannot see does not exist for it.
    #[tracing::instrument(skip_all, fields(id = %task_id))]
    pub async fn update_plan_task(
        &self,
        actor: &Actor,
        task_id: &str,
        patch: &PlanTaskPatch,
        precondition: &Precondition,
    ) -> Result<PlanTask> {
        let status = patch.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        etag::hold(&mut tx, "business_plan_tasks", task_id, precondition).await?;
        let before = fetch(&mut tx, task_id).await?;
        let plan: BusinessPlan = entity::fetch(&mut tx, &actor.scope(), before.plan_id.as_str())
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => StoreError::NotFound(EntityKind::PlanTask),
                other => other,
            })?;
        precondition.check(&before)?;
        let done_at = (status == PlanTaskStatus::Done).then_some(now);
        let mut q = Sql::new("UPDATE business_plan_tasks SET status = ");
        q.bind(status.as_str())
            .push(", done_at = ")
            .bind(done_at)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(task_id)
            .push(" AND status <> ")
            .bind(status.as_str());
        // Marking a done task done again changes nothing (and keeps when it was done).
        if tx.execute(&q).await? == 0 {
            return Ok(before);
        }
        let after = fetch(&mut tx, task_id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::PlanTask,
            task_id,
            AuditAction::Updated,
            Some(&plan.partner_id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
