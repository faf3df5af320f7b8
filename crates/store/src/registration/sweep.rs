//! The registration sweep: the time-driven registration and conflict rules (expiry,
//! warnings before a follow-up SLA is due, missed follow-up SLAs, escalation of overdue
//! conflict cases), run every minute as a [`Job`].
//! Each change is its own transaction and a conditional update, so a sweep running twice
//! changes nothing the second time. The rules themselves are `core::registration::rules`.

use chrono::{DateTime, TimeDelta, Utc};
use partnerops_core::ids::EntityId;
use partnerops_core::registration::record::{ConflictCase, Registration};
use partnerops_core::registration::rules;
use partnerops_core::scope::Scope;
use serde::Serialize;

use crate::change::{self, Change};
use crate::db::{Exec, Sql, row};
use crate::decision::emit;
use crate::entity;
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::registration::facts;
use crate::{Actor, Result, Store, policy};

/// The sweep's job kind.
pub const SWEEP: &str = "registrations.sweep";

/// What a sweep changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub expired: usize,
    pub sla_warned: usize,
    pub sla_missed: usize,
    pub escalated: usize,
}

impl From<SweepReport> for JobReport {
    fn from(r: SweepReport) -> JobReport {
        JobReport::default()
            .figure("expired", r.expired)
            .figure("SLA warnings", r.sla_warned)
            .figure("SLA missed", r.sla_missed)
            .figure("escalated", r.escalated)
    }
}

/// The sweep as a job: every minute.
pub(crate) struct Sweep;

impl Job for Sweep {
    fn kind(&self) -> &'static str {
        SWEEP
    }

    fn schedule(&self) -> Schedule {
        Schedule::Every(TimeDelta::minutes(1))
    }

    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move { Ok(store.sweep_at(now).await?.into()) })
    }
}

row! {
    struct IdRow {
        id: String,
    }
}

row! {
    struct WarnRow {
        id: String,
        sla_warned_for: Option<DateTime<Utc>>,
    }
}

impl Store {
    /// Applies the time-driven rules as of the store's clock.
    #[tracing::instrument(skip_all)]
    pub async fn sweep(&self) -> Result<SweepReport> {
        self.sweep_at(self.now()).await
    }

    async fn sweep_at(&self, now: DateTime<Utc>) -> Result<SweepReport> {
        let system = Actor::system("scheduler");
        Ok(SweepReport {
            expired: self.expire_registrations(now, &system).await?,
            sla_warned: self.warn_slas_due_soon(now).await?,
            sla_missed: self.mark_missed_slas(now, &system).await?,
            escalated: self.escalate_overdue_cases(now, &system).await?,
        })
    }

    /// The ids `q` selects, read before the sweep changes them one by one.
    async fn due_ids(&self, q: &Sql) -> Result<Vec<String>> {
        let rows: Vec<IdRow> = self.db.read().all(q).await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Expiry: approved registrations past their expiry time. Returns how many expired.
    async fn expire_registrations(&self, now: DateTime<Utc>, system: &Actor) -> Result<usize> {
        let mut q =
            Sql::new("SELECT id FROM registrations WHERE status = 'approved' AND expires_at <= ");
        q.bind(now);
        let mut expired = 0;
        for id in self.due_ids(&q).await? {
            let mut tx = self.db.begin_write().await?;
            let before: Registration = entity::fetch(&mut tx, &Scope::Vendor, &id).await?;
            let policy = policy::current(&mut tx, before.program_id.as_str()).await?;
            let Some(decision) = rules::check_expiry(&facts(&before), now, &policy) else {
                continue;
            };
            let mut u = Sql::new("UPDATE registrations SET status = 'expired', closed_at = ");
            u.bind(now)
                .push(", updated_at = ")
                .bind(now)
                .push(" WHERE status = 'approved' AND id = ")
                .bind(id.as_str());
            if tx.execute(&u).await? == 1 {
                self.finish(
                    &mut tx,
                    now,
                    system,
                    &before,
                    &decision,
                    "registration.expired",
                )
                .await?;
                tx.commit().await?;
                expired += 1;
            }
        }
        Ok(expired)
    }

    /// Follow-up SLA warning: approved, not missed, due within the warning window, and not
    /// yet warned for this due time. Puts `registration.sla_warning` in the outbox (the
    /// partner's users are notified from there) and remembers the due time it warned for,
    /// with a conditional update so two sweeps warn once. The registration itself does not
    /// change, so there is no audit event. Returns how many were warned.
    async fn warn_slas_due_soon(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut q = Sql::new(
            "SELECT id, sla_warned_for FROM registrations WHERE status = 'approved' AND sla_missed_at IS NULL AND sla_due_at >= ",
        );
        q.bind(now)
            .push(" AND sla_due_at <= ")
            .bind(now + TimeDelta::days(rules::SLA_WARNING_DAYS));
        let rows: Vec<WarnRow> = self.db.read().all(&q).await?;
        let mut warned = 0;
        for row in rows {
            let mut tx = self.db.begin_write().await?;
            let reg: Registration = entity::fetch(&mut tx, &Scope::Vendor, &row.id).await?;
            let policy = policy::current(&mut tx, reg.program_id.as_str()).await?;
            let Some(due) = rules::sla_warning(&facts(&reg), now, &policy, row.sla_warned_for)
            else {
                continue;
            };
            let mut u = Sql::new("UPDATE registrations SET sla_warned_for = ");
            u.bind(due)
                .push(" WHERE id = ")
                .bind(row.id.as_str())
                .push(" AND (sla_warned_for IS NULL OR sla_warned_for <> ")
                .bind(due)
                .push(")");
            if tx.execute(&u).await? == 1 {
                emit(
                    &mut tx,
                    now,
                    "registration.sla_warning",
                    reg.id.as_str(),
                    Some(&reg.partner_id),
                    &reg,
                )
                .await?;
                tx.commit().await?;
                warned += 1;
            }
        }
        Ok(warned)
    }

    /// Follow-up SLA: approved, not yet marked, due time passed; pending engagement
    /// requests on the registration are granted. Returns how many were marked.
    async fn mark_missed_slas(&self, now: DateTime<Utc>, system: &Actor) -> Result<usize> {
        let mut q = Sql::new(
            "SELECT id FROM registrations WHERE status = 'approved' AND sla_missed_at IS NULL AND sla_due_at < ",
        );
        q.bind(now);
        let mut missed = 0;
        for id in self.due_ids(&q).await? {
            let mut tx = self.db.begin_write().await?;
            let before: Registration = entity::fetch(&mut tx, &Scope::Vendor, &id).await?;
            let policy = policy::current(&mut tx, before.program_id.as_str()).await?;
            let Some(decision) = rules::check_sla(&facts(&before), now, &policy) else {
                continue;
            };
            let mut u = Sql::new("UPDATE registrations SET sla_missed_at = ");
            u.bind(now)
                .push(", updated_at = ")
                .bind(now)
                .push(" WHERE sla_missed_at IS NULL AND status = 'approved' AND id = ")
                .bind(id.as_str());
            if tx.execute(&u).await? == 1 {
                self.finish(
                    &mut tx,
                    now,
                    system,
                    &before,
                    &decision,
                    "registration.sla_missed",
                )
                .await?;
                crate::registration::engagement::auto_grant_pending(
                    &mut tx, now, system, &before, &policy,
                )
                .await?;
                tx.commit().await?;
                missed += 1;
            }
        }
        Ok(missed)
    }

    /// Escalation: open cases past their deadline move up a level. Returns how many moved.
    async fn escalate_overdue_cases(&self, now: DateTime<Utc>, system: &Actor) -> Result<usize> {
        let mut q = Sql::new("SELECT id FROM conflict_cases WHERE status = 'open' AND due_at < ");
        q.bind(now);
        let mut escalated = 0;
        for id in self.due_ids(&q).await? {
            let mut tx = self.db.begin_write().await?;
            let before: ConflictCase = entity::fetch(&mut tx, &Scope::Vendor, &id).await?;
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
                .bind(id.as_str());
            if tx.execute(&u).await? == 1 {
                let records = [id.as_str(), before.account_id.as_str()];
                let done = Change::updated()
                    .decided(&decision, &records)
                    .event("conflict.escalated");
                change::after_change(&mut tx, now, system, &before, done).await?;
                tx.commit().await?;
                escalated += 1;
            }
        }
        Ok(escalated)
    }
}
