//! Scheduled work from a job table every instance shares. A periodic job gets one row per
//! slot (`UNIQUE (kind, run_at)`), so however many instances schedule it, it exists once; a
//! due row is claimed by one instance (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write
//! lock on SQLite) and runs once. The work itself — expiry, SLA marks, escalation — reads
//! the store's clock, so `partnerops jobs run-due --as-of T` applies the rules as of T.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, JobId};
use partnerops_core::registration::record::{ConflictCase, Registration};
use partnerops_core::registration::rules;
use partnerops_core::scope::Scope;
use serde::Serialize;

use crate::db::{Backend, Exec, Sql, row};
use crate::decision::{emit, record as decide};
use crate::entity::{self, Entity};
use crate::lifecycle::tiering::{TIERING, TieringReport};
use crate::registration::facts;
use crate::{Actor, Result, Store, audit, new_id, policy};

/// The sweep applying time-driven registration and conflict rules.
pub const SWEEP: &str = "registrations.sweep";
/// The scheduler's slot: every instance ticks each minute, and one sweep per minute runs.
pub const SWEEP_EVERY: TimeDelta = TimeDelta::minutes(1);
/// Tier evaluation (with the annual review on its day) runs once per day.
pub const TIERING_EVERY: TimeDelta = TimeDelta::days(1);

/// What a sweep changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub expired: usize,
    pub sla_missed: usize,
    pub escalated: usize,
}

/// What a `run_due` did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunReport {
    pub ran: Vec<String>,
    pub sweep: SweepReport,
    pub tiering: TieringReport,
}

row! {
    struct JobRow {
        id: String,
        kind: String,
    }
}

row! {
    struct IdRow {
        id: String,
    }
}

impl Store {
    /// Runs the sweep as of the store's clock, exactly: the job is keyed on this instant, so
    /// `partnerops jobs run-due --as-of T` applies the rules as of T even when a scheduled
    /// run already covered T's minute. Then runs any other due job.
    pub async fn run_due(&self) -> Result<RunReport> {
        self.schedule_and_run(self.now()).await
    }

    /// The scheduler's tick: one sweep per minute slot, however many instances tick.
    pub async fn run_scheduled(&self) -> Result<RunReport> {
        let now = self.now();
        self.schedule_and_run(now.duration_trunc(SWEEP_EVERY).unwrap_or(now))
            .await
    }

    async fn schedule_and_run(&self, slot: DateTime<Utc>) -> Result<RunReport> {
        let now = self.now();
        // Tiering runs once a day: its slot is the day's midnight (UTC).
        let day = now.duration_trunc(TIERING_EVERY).unwrap_or(now);
        let mut tx = self.db.begin_write().await?;
        for (kind, at) in [(SWEEP, slot), (TIERING, day)] {
            let id: JobId = new_id();
            let mut q =
                Sql::new("INSERT INTO jobs (id, kind, run_at, status, created_at) VALUES (");
            q.bind(id.as_str())
                .push(", ")
                .bind(kind)
                .push(", ")
                .bind(at)
                .push(", 'pending', ")
                .bind(now)
                .push(") ON CONFLICT (kind, run_at) DO NOTHING");
            tx.execute(&q).await?;
        }
        tx.commit().await?;

        let mut report = RunReport::default();
        while let Some(job) = self.claim(now).await? {
            let outcome = match job.kind.as_str() {
                SWEEP => self.sweep().await.map(|r| {
                    report.sweep.expired += r.expired;
                    report.sweep.sla_missed += r.sla_missed;
                    report.sweep.escalated += r.escalated;
                    serde_json::to_string(&r).unwrap_or_default()
                }),
                TIERING => self.evaluate_tiers().await.map(|r| {
                    let text = serde_json::to_string(&r).unwrap_or_default();
                    report.tiering = r;
                    text
                }),
                other => Ok(format!("unknown job kind {other}")),
            };
            // A failed job is marked failed, with its error, rather than left running.
            let (status, result) = match &outcome {
                Ok(text) => ("done", text.clone()),
                Err(e) => ("failed", e.to_string()),
            };
            let mut tx = self.db.begin_write().await?;
            let mut q = Sql::new("UPDATE jobs SET status = ");
            q.bind(status)
                .push(", finished_at = ")
                .bind(self.now())
                .push(", result = ")
                .bind(result)
                .push(" WHERE id = ")
                .bind(job.id.as_str());
            tx.execute(&q).await?;
            tx.commit().await?;
            outcome?;
            report.ran.push(job.kind);
        }
        Ok(report)
    }

    /// Claims one due job for this instance.
    async fn claim(&self, now: DateTime<Utc>) -> Result<Option<JobRow>> {
        let mut tx = self.db.begin_write().await?;
        // The one statement that differs by backend: PostgreSQL lets other instances skip
        // the row this one locks; SQLite's write lock already serialises claims.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut q = Sql::new("UPDATE jobs SET status = 'running', started_at = ");
        q.bind(now)
            .push(" WHERE id = (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= ")
            .bind(now)
            .push(&format!(
                " ORDER BY run_at LIMIT 1{lock}) RETURNING id, kind"
            ));
        let job: Option<JobRow> = tx.optional(&q).await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Applies the time-driven rules as of the store's clock: expiry, missed follow-up SLAs,
    /// escalation of overdue conflict cases. Each change is its own transaction and a
    /// conditional update, so a sweep running twice changes nothing the second time.
    pub async fn sweep(&self) -> Result<SweepReport> {
        let now = self.now();
        let system = Actor::system("scheduler");
        let mut report = SweepReport::default();

        // Expiry: approved registrations past their expiry time.
        let mut q =
            Sql::new("SELECT id FROM registrations WHERE status = 'approved' AND expires_at <= ");
        q.bind(now);
        for row in self.db.read().all::<IdRow>(&q).await? {
            let mut tx = self.db.begin_write().await?;
            let before: Registration = entity::fetch(&mut tx, &Scope::Vendor, &row.id).await?;
            let policy = policy::current(&mut tx, before.program_id.as_str()).await?;
            let Some(decision) = rules::check_expiry(&facts(&before), now, &policy) else {
                continue;
            };
            let mut u = Sql::new("UPDATE registrations SET status = 'expired', closed_at = ");
            u.bind(now)
                .push(", updated_at = ")
                .bind(now)
                .push(" WHERE status = 'approved' AND id = ")
                .bind(row.id.as_str());
            if tx.execute(&u).await? == 1 {
                self.finish(
                    &mut tx,
                    now,
                    &system,
                    &before,
                    &decision,
                    "registration.expired",
                )
                .await?;
                tx.commit().await?;
                report.expired += 1;
            }
        }

        // Follow-up SLA: approved, not yet marked, due time passed.
        let mut q = Sql::new(
            "SELECT id FROM registrations WHERE status = 'approved' AND sla_missed_at IS NULL AND sla_due_at < ",
        );
        q.bind(now);
        for row in self.db.read().all::<IdRow>(&q).await? {
            let mut tx = self.db.begin_write().await?;
            let before: Registration = entity::fetch(&mut tx, &Scope::Vendor, &row.id).await?;
            let policy = policy::current(&mut tx, before.program_id.as_str()).await?;
            let Some(decision) = rules::check_sla(&facts(&before), now, &policy) else {
                continue;
            };
            let mut u = Sql::new("UPDATE registrations SET sla_missed_at = ");
            u.bind(now)
                .push(", updated_at = ")
                .bind(now)
                .push(" WHERE sla_missed_at IS NULL AND status = 'approved' AND id = ")
                .bind(row.id.as_str());
            if tx.execute(&u).await? == 1 {
                self.finish(
                    &mut tx,
                    now,
                    &system,
                    &before,
                    &decision,
                    "registration.sla_missed",
                )
                .await?;
                crate::registration::engagement::auto_grant_pending(
                    &mut tx, now, &system, &before, &policy,
                )
                .await?;
                tx.commit().await?;
                report.sla_missed += 1;
            }
        }

        // Escalation: open cases past their deadline move up a level.
        let mut q = Sql::new("SELECT id FROM conflict_cases WHERE status = 'open' AND due_at < ");
        q.bind(now);
        for row in self.db.read().all::<IdRow>(&q).await? {
            let mut tx = self.db.begin_write().await?;
            let before: ConflictCase = entity::fetch(&mut tx, &Scope::Vendor, &row.id).await?;
            let policy = match before.registration_id.as_ref() {
                Some(r) => {
                    let reg: Registration =
                        entity::fetch(&mut tx, &Scope::Vendor, r.as_str()).await?;
                    // A case about a registration that has ended is moot: nobody holds the
                    // account any more, so it does not climb the escalation path.
                    if !reg.status.holds_account() {
                        continue;
                    }
                    policy::current(&mut tx, reg.program_id.as_str()).await?
                }
                None => Default::default(),
            };
            let Some((level, due, decision)) =
                rules::escalation(before.level, before.due_at, now, &policy)
            else {
                continue;
            };
            let mut u = Sql::new("UPDATE conflict_cases SET level = ");
            u.bind(level)
                .push(", due_at = ")
                .bind(due)
                .push(", updated_at = ")
                .bind(now)
                .push(" WHERE status = 'open' AND level = ")
                .bind(before.level)
                .push(" AND id = ")
                .bind(row.id.as_str());
            if tx.execute(&u).await? == 1 {
                let after: ConflictCase = entity::fetch(&mut tx, &Scope::Vendor, &row.id).await?;
                let id = before.id.as_str();
                decide(
                    &mut tx,
                    now,
                    &system,
                    EntityKind::Conflict,
                    id,
                    before.owner().as_ref(),
                    &decision,
                    &[id, before.account_id.as_str()],
                )
                .await?;
                audit::record(
                    &mut tx,
                    now,
                    &system,
                    EntityKind::Conflict,
                    id,
                    AuditAction::Updated,
                    before.owner().as_ref(),
                    Some(&before),
                    Some(&after),
                )
                .await?;
                emit(
                    &mut tx,
                    now,
                    "conflict.escalated",
                    id,
                    before.owner().as_ref(),
                    &after,
                )
                .await?;
                tx.commit().await?;
                report.escalated += 1;
            }
        }
        Ok(report)
    }
}
