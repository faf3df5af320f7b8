//! The daily reminders of the operating cadence, as a [`Job`] (06:00 UTC, and on demand by
//! `partnerops jobs run-due --as-of T`): as of the store's clock it emits
//!
//! - `jbp.drift` for each drifting quarter of an agreed plan whose period covers today,
//!   once per plan, quarter and plan version;
//! - `jbp.review_due` for each review due under an agreed plan's cadence, once when it
//!   comes within three days of its due date and once more when it is overdue;
//! - `room.task_due` for each open deal-room task and `jbp.task_due` for each open plan
//!   task, once when it falls due (the day before, or the day) and once when overdue.
//!
//! Which reminder applies, and its key, are `core::notification::reminder`'s rules. "Once"
//! is the database's: each reminder inserts its key into `reminders_sent` (unique per
//! event kind, record and key) and emits its event in the same transaction only when the
//! insert inserted, so a second run, or a second instance running at the same time, emits
//! nothing again. The notify job turns the events into notifications and e-mails.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use partnerops_core::business_plan::attainment::QuarterState;
use partnerops_core::business_plan::record::{BusinessPlan, ReviewKind};
use partnerops_core::ids::{EntityId, PartnerId};
use partnerops_core::notification::reminder::{
    self, Stage, drift_key, review_key, review_stage, task_key, task_stage,
};
use partnerops_core::scope::Scope;
use serde::Serialize;

use super::task::TaskEvent;
use crate::db::{Exec, Sql, row};
use crate::decision::emit;
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::{Result, Store};

/// The job kind.
pub const REMINDERS: &str = "business_plans.reminders";

/// What a reminder run emitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReminderReport {
    pub drift: usize,
    pub reviews_due: usize,
    pub room_tasks_due: usize,
    pub plan_tasks_due: usize,
}

impl From<ReminderReport> for JobReport {
    fn from(r: ReminderReport) -> JobReport {
        JobReport::default()
            .figure("drift", r.drift)
            .figure("reviews due", r.reviews_due)
            .figure("deal-room tasks due", r.room_tasks_due)
            .figure("plan tasks due", r.plan_tasks_due)
    }
}

/// The reminders as a job: daily at 06:00 UTC, before the 07:00 digest.
pub(crate) struct Reminders;

impl Job for Reminders {
    fn kind(&self) -> &'static str {
        REMINDERS
    }

    fn schedule(&self) -> Schedule {
        Schedule::DailyAt(NaiveTime::from_hms_opt(6, 0, 0).unwrap_or(NaiveTime::MIN))
    }

    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move { Ok(store.send_reminders_at(now).await?.into()) })
    }
}

/// The payload of `jbp.drift`.
#[derive(Serialize)]
struct Drift<'a> {
    plan_id: &'a str,
    title: &'a str,
    partner_name: &'a str,
    version: i64,
    quarter: u8,
    reason: &'a str,
}

/// The payload of `jbp.review_due`.
#[derive(Serialize)]
struct ReviewReminder<'a> {
    plan_id: &'a str,
    title: &'a str,
    partner_name: &'a str,
    review_kind: ReviewKind,
    due_on: NaiveDate,
    overdue: bool,
}

/// The payload of `room.task_due`.
#[derive(Serialize)]
struct RoomTaskReminder<'a> {
    task_id: &'a str,
    opportunity_id: &'a str,
    title: &'a str,
    owner_id: &'a str,
    due_on: NaiveDate,
    overdue: bool,
}

row! {
    struct IdRow {
        id: String,
    }
}

row! {
    struct RoomTaskRow {
        id: String,
        opportunity_id: String,
        title: String,
        owner_id: String,
        owner_partner_id: Option<String>,
        due_on: NaiveDate,
    }
}

row! {
    struct PlanTaskRow {
        id: String,
        plan_id: String,
        plan_title: String,
        partner_id: String,
        title: String,
        owner_id: String,
        due_on: NaiveDate,
    }
}

/// One reminder to send once.
struct Reminder<'a, P: Serialize> {
    kind: &'static str,
    entity_id: &'a str,
    key: String,
    partner: Option<&'a PartnerId>,
    payload: P,
}

impl Store {
    /// Sends the reminders due as of the store's clock; each goes out once however often
    /// (and on however many instances) this runs.
    #[tracing::instrument(skip_all)]
    pub async fn send_reminders(&self) -> Result<ReminderReport> {
        self.send_reminders_at(self.now()).await
    }

    async fn send_reminders_at(&self, now: DateTime<Utc>) -> Result<ReminderReport> {
        let today = now.date_naive();
        let mut report = ReminderReport::default();
        for plan in self.plans_in_force(today).await? {
            self.plan_reminders(&plan, now, &mut report).await?;
        }
        report.room_tasks_due = self.room_task_reminders(now).await?;
        report.plan_tasks_due = self.plan_task_reminders(now).await?;
        Ok(report)
    }

    /// Agreed plans whose period covers `today`.
    async fn plans_in_force(&self, today: NaiveDate) -> Result<Vec<BusinessPlan>> {
        // A plan runs four quarters: it began at most a year ago. The exact end is the
        // core's (`period_end`), checked below.
        let mut q =
            Sql::new("SELECT id FROM business_plans WHERE status = 'agreed' AND period_start <= ");
        q.bind(today)
            .push(" AND period_start >= ")
            .bind(today - TimeDelta::days(366))
            .push(" ORDER BY id");
        let ids: Vec<IdRow> = self.db.read().all(&q).await?;
        let mut plans = Vec::with_capacity(ids.len());
        for row in ids {
            let plan = self.business_plan(&Scope::Vendor, &row.id).await?;
            if plan.period_start <= today && today <= plan.period_end {
                plans.push(plan);
            }
        }
        Ok(plans)
    }

    /// Drift and review reminders of one plan.
    async fn plan_reminders(
        &self,
        plan: &BusinessPlan,
        now: DateTime<Utc>,
        report: &mut ReminderReport,
    ) -> Result<()> {
        let today = now.date_naive();
        let id = plan.id.as_str();
        let attainment = self.attainment_on(plan, today).await?;
        for q in attainment
            .quarters
            .iter()
            .filter(|q| q.state == QuarterState::Drifting)
        {
            let sent = self
                .remind(
                    now,
                    Reminder {
                        kind: "jbp.drift",
                        entity_id: id,
                        key: drift_key(q.quarter, plan.version),
                        partner: Some(&plan.partner_id),
                        payload: Drift {
                            plan_id: id,
                            title: &plan.title,
                            partner_name: &plan.partner_name,
                            version: plan.version,
                            quarter: q.quarter,
                            reason: q.drift_reason.as_deref().unwrap_or_default(),
                        },
                    },
                )
                .await?;
            report.drift += usize::from(sent);
        }
        for due in self.reviews_due_on(plan, today).await? {
            let Some(stage) = review_stage(due.due_on, today) else {
                continue;
            };
            let sent = self
                .remind(
                    now,
                    Reminder {
                        kind: "jbp.review_due",
                        entity_id: id,
                        key: review_key(due.kind, due.due_on, stage),
                        partner: Some(&plan.partner_id),
                        payload: ReviewReminder {
                            plan_id: id,
                            title: &plan.title,
                            partner_name: &plan.partner_name,
                            review_kind: due.kind,
                            due_on: due.due_on,
                            overdue: stage == Stage::Overdue,
                        },
                    },
                )
                .await?;
            report.reviews_due += usize::from(sent);
        }
        Ok(())
    }

    /// Open deal-room tasks due by tomorrow. The event's partner is the owner's, as for the
    /// task's assignment, so a partner owner is told and nobody else of another partner.
    async fn room_task_reminders(&self, now: DateTime<Utc>) -> Result<usize> {
        let today = now.date_naive();
        let mut q = Sql::new(
            "SELECT t.id, t.opportunity_id, t.title, t.owner_id, u.partner_id AS owner_partner_id, t.due_on FROM room_tasks t JOIN users u ON u.id = t.owner_id WHERE t.status = 'open' AND t.due_on IS NOT NULL AND t.due_on <= ",
        );
        q.bind(today + TimeDelta::days(reminder::TASK_WARNING_DAYS))
            .push(" ORDER BY t.due_on, t.id");
        let rows: Vec<RoomTaskRow> = self.db.read().all(&q).await?;
        let mut sent = 0;
        for t in rows {
            let Some(stage) = task_stage(t.due_on, today) else {
                continue;
            };
            let partner = t.owner_partner_id.clone().map(PartnerId::from_trusted);
            let done = self
                .remind(
                    now,
                    Reminder {
                        kind: "room.task_due",
                        entity_id: &t.id,
                        key: task_key(t.due_on, stage),
                        partner: partner.as_ref(),
                        payload: RoomTaskReminder {
                            task_id: &t.id,
                            opportunity_id: &t.opportunity_id,
                            title: &t.title,
                            owner_id: &t.owner_id,
                            due_on: t.due_on,
                            overdue: stage == Stage::Overdue,
                        },
                    },
                )
                .await?;
            sent += usize::from(done);
        }
        Ok(sent)
    }

    /// Open plan tasks due by tomorrow; the event's partner is the plan's.
    async fn plan_task_reminders(&self, now: DateTime<Utc>) -> Result<usize> {
        let today = now.date_naive();
        let mut q = Sql::new(
            "SELECT t.id, t.plan_id, p.title AS plan_title, p.partner_id, t.title, t.owner_id, t.due_on FROM business_plan_tasks t JOIN business_plans p ON p.id = t.plan_id WHERE t.status = 'open' AND t.due_on <= ",
        );
        q.bind(today + TimeDelta::days(reminder::TASK_WARNING_DAYS))
            .push(" ORDER BY t.due_on, t.id");
        let rows: Vec<PlanTaskRow> = self.db.read().all(&q).await?;
        let mut sent = 0;
        for t in rows {
            let Some(stage) = task_stage(t.due_on, today) else {
                continue;
            };
            let partner = PartnerId::from_trusted(t.partner_id.clone());
            let done = self
                .remind(
                    now,
                    Reminder {
                        kind: "jbp.task_due",
                        entity_id: &t.id,
                        key: task_key(t.due_on, stage),
                        partner: Some(&partner),
                        payload: TaskEvent {
                            task_id: &t.id,
                            plan_id: &t.plan_id,
                            plan_title: &t.plan_title,
                            title: &t.title,
                            owner_id: &t.owner_id,
                            due_on: t.due_on,
                            overdue: stage == Stage::Overdue,
                        },
                    },
                )
                .await?;
            sent += usize::from(done);
        }
        Ok(sent)
    }

    /// Records the reminder's key and emits its event, in one transaction, only when the
    /// key was not recorded before. Returns whether it was sent now.
    async fn remind<P: Serialize>(&self, now: DateTime<Utc>, r: Reminder<'_, P>) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new(
            "INSERT INTO reminders_sent (kind, entity_id, reminder_key, sent_at) VALUES (",
        );
        q.bind(r.kind)
            .push(", ")
            .bind(r.entity_id)
            .push(", ")
            .bind(r.key.as_str())
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (kind, entity_id, reminder_key) DO NOTHING");
        if tx.execute(&q).await? == 0 {
            // Sent before, by this instance or another: the transaction ends unchanged.
            return Ok(false);
        }
        emit(&mut tx, now, r.kind, r.entity_id, r.partner, &r.payload).await?;
        tx.commit().await?;
        Ok(true)
    }
}
