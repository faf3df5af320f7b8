//! Scheduled work from a job table every instance shares. A periodic job gets one row per
//! slot (`UNIQUE (kind, run_at)`), so however many instances schedule it, it exists once; a
//! due row is claimed by one instance (see `db::dialect::claim_due_job`) and runs once.
//!
//! The jobs themselves live with their capability and register themselves: each capability
//! lists its [`Job`]s in one `jobs()` function (`registration::jobs()`,
//! `lifecycle::jobs()`, `business_plan::jobs()`, `notification::jobs()`), and [`registry`] chains those lists, so
//! adding periodic work never edits the runner. The work reads the store's clock, so `partnerops jobs run-due --as-of
//! T` applies the rules as of T. What a job does is not here.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, DurationRound, NaiveTime, TimeDelta, Utc};
use partnerops_core::ids::{EntityId, JobId};
use serde::Serialize;

use crate::db::{Exec, Sql, dialect, row};
use crate::{
    Result, Store, business_plan, directory, enablement, lifecycle, new_id, notification, payout,
    rate_limit, registration,
};

/// When a job is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Once per slot of this length (the scheduler's tick truncated to it). On demand
    /// ([`Store::run_due`]) the slot is the exact instant instead, so the job applies its
    /// rules as of that instant even when a scheduled run already covered its slot.
    Every(TimeDelta),
    /// Once a day, at this time of day (UTC), on demand as well as scheduled.
    DailyAt(NaiveTime),
}

impl Schedule {
    /// The slot a run at `now` belongs to; `on_demand` for [`Store::run_due`].
    pub fn slot(self, now: DateTime<Utc>, on_demand: bool) -> DateTime<Utc> {
        match self {
            Schedule::Every(_) if on_demand => now,
            Schedule::Every(every) => now.duration_trunc(every).unwrap_or(now),
            Schedule::DailyAt(time) => {
                let today = now.date_naive().and_time(time).and_utc();
                if today <= now {
                    today
                } else {
                    today - TimeDelta::days(1)
                }
            }
        }
    }
}

/// A job's run, boxed so jobs of different types sit in one registry.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<JobReport>> + Send + 'a>>;

/// A kind of periodic work.
pub trait Job: Send + Sync {
    /// The kind stored in the job table, e.g. `registrations.sweep`. Never change it: rows
    /// already scheduled carry it.
    fn kind(&self) -> &'static str;
    /// When it is due.
    fn schedule(&self) -> Schedule;
    /// Does the work as of `now` (the store's clock).
    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a>;
}

/// Every job of every capability. Jobs due in the same slot run in this order, so
/// notifications come last: they announce what the other jobs just did.
pub fn registry() -> Vec<Box<dyn Job>> {
    registration::jobs()
        .into_iter()
        .chain(lifecycle::jobs())
        .chain(business_plan::jobs())
        .chain(payout::jobs())
        .chain(enablement::jobs())
        .chain(rate_limit::jobs())
        .chain(directory::jobs())
        .chain(notification::jobs())
        .collect()
}

/// One figure of a report: a readable label and a count, e.g. `expired 2`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub label: String,
    pub count: u64,
}

/// What one job run did: figures, and notes for what is not a count (e.g. which annual
/// reviews ran).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobReport {
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
}

impl JobReport {
    /// Adds a figure.
    pub fn figure(mut self, label: &str, count: usize) -> Self {
        self.figures.push(Figure {
            label: label.to_owned(),
            count: count as u64,
        });
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: String) -> Self {
        self.notes.push(note);
        self
    }

    /// The count labelled `label` (0 when absent).
    pub fn count(&self, label: &str) -> u64 {
        self.figures
            .iter()
            .filter(|f| f.label == label)
            .map(|f| f.count)
            .sum()
    }
}

impl fmt::Display for JobReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let figures: Vec<String> = self
            .figures
            .iter()
            .map(|x| format!("{} {}", x.label, x.count))
            .collect();
        write!(f, "{}", figures.join(", "))?;
        for note in &self.notes {
            write!(f, "; {note}")?;
        }
        Ok(())
    }
}

/// One job that ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobRun {
    pub kind: String,
    pub report: JobReport,
}

/// What a `run_due` did: the jobs that ran, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub runs: Vec<JobRun>,
}

impl RunReport {
    /// Whether nothing ran.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Whether a job of `kind` ran.
    pub fn ran(&self, kind: &str) -> bool {
        self.runs.iter().any(|r| r.kind == kind)
    }

    /// The figure `label` of the jobs of `kind`, summed over their runs.
    pub fn count(&self, kind: &str, label: &str) -> u64 {
        self.runs
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.report.count(label))
            .sum()
    }

    /// The notes of the jobs of `kind`.
    pub fn notes(&self, kind: &str) -> Vec<&str> {
        self.runs
            .iter()
            .filter(|r| r.kind == kind)
            .flat_map(|r| r.report.notes.iter().map(String::as_str))
            .collect()
    }
}

/// One line per job that ran: `kind: figures; notes`, or "no job was due".
impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.runs.is_empty() {
            return write!(f, "no job was due");
        }
        for (i, run) in self.runs.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {}", run.kind, run.report)?;
        }
        Ok(())
    }
}

row! {
    struct JobRow {
        id: String,
        kind: String,
    }
}

impl Store {
    /// Runs every due job as of the store's clock. Jobs scheduled [`Schedule::Every`] are
    /// keyed on this exact instant, so `partnerops jobs run-due --as-of T` applies their
    /// rules as of T even when a scheduled run already covered T's slot.
    #[tracing::instrument(skip_all)]
    pub async fn run_due(&self) -> Result<RunReport> {
        self.schedule_and_run(true).await
    }

    /// The scheduler's tick: one run per job and slot, however many instances tick.
    #[tracing::instrument(skip_all)]
    pub async fn run_scheduled(&self) -> Result<RunReport> {
        self.schedule_and_run(false).await
    }

    async fn schedule_and_run(&self, on_demand: bool) -> Result<RunReport> {
        let now = self.now();
        let jobs = registry();
        self.schedule(&jobs, now, on_demand).await?;
        let mut report = RunReport::default();
        while let Some(row) = self.claim(now).await? {
            let job = jobs.iter().find(|j| j.kind() == row.kind);
            let outcome = match job {
                Some(job) => job.run(self, self.now()).await,
                None => Ok(JobReport::default().note(format!("unknown job kind {}", row.kind))),
            };
            self.finish_job(&row, &outcome).await?;
            report.runs.push(JobRun {
                kind: row.kind,
                report: outcome?,
            });
        }
        Ok(report)
    }

    /// Inserts this run's slot of every job; a slot already scheduled stays as it is.
    async fn schedule(
        &self,
        jobs: &[Box<dyn Job>],
        now: DateTime<Utc>,
        on_demand: bool,
    ) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        for job in jobs {
            let id: JobId = new_id();
            let mut q =
                Sql::new("INSERT INTO jobs (id, kind, run_at, status, created_at) VALUES (");
            q.bind(id.as_str())
                .push(", ")
                .bind(job.kind())
                .push(", ")
                .bind(job.schedule().slot(now, on_demand))
                .push(", 'pending', ")
                .bind(now)
                .push(") ON CONFLICT (kind, run_at) DO NOTHING");
            tx.execute(&q).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claims one due job for this instance.
    async fn claim(&self, now: DateTime<Utc>) -> Result<Option<JobRow>> {
        let mut tx = self.db.begin_write().await?;
        let q = dialect::claim_due_job(tx.backend(), now);
        let job: Option<JobRow> = tx.optional(&q).await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Marks a claimed job done, with its report, or failed, with its error, rather than
    /// leaving it running.
    async fn finish_job(&self, job: &JobRow, outcome: &Result<JobReport>) -> Result<()> {
        let (status, result) = match outcome {
            Ok(report) => ("done", serde_json::to_string(report).unwrap_or_default()),
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeDelta, TimeZone, Utc};

    use super::{JobReport, JobRun, RunReport, Schedule};

    #[test]
    fn slots() {
        let now = Utc.with_ymd_and_hms(2026, 3, 4, 10, 17, 42).unwrap();
        let minute = Schedule::Every(TimeDelta::minutes(1));
        assert_eq!(
            minute.slot(now, false),
            Utc.with_ymd_and_hms(2026, 3, 4, 10, 17, 0).unwrap()
        );
        assert_eq!(minute.slot(now, true), now, "on demand: the exact instant");
        let midnight = Schedule::DailyAt(NaiveTime::MIN);
        let day = Utc.with_ymd_and_hms(2026, 3, 4, 0, 0, 0).unwrap();
        assert_eq!(midnight.slot(now, false), day);
        assert_eq!(midnight.slot(now, true), day);
        let noon = Schedule::DailyAt(NaiveTime::from_hms_opt(12, 0, 0).unwrap());
        assert_eq!(
            noon.slot(now, false),
            Utc.with_ymd_and_hms(2026, 3, 3, 12, 0, 0).unwrap(),
            "before today's time: yesterday's slot"
        );
    }

    #[test]
    fn reports_read_as_lines() {
        let report = RunReport {
            runs: vec![
                JobRun {
                    kind: "registrations.sweep".to_owned(),
                    report: JobReport::default()
                        .figure("expired", 2)
                        .figure("escalated", 0),
                },
                JobRun {
                    kind: "partners.tiering".to_owned(),
                    report: JobReport::default()
                        .figure("upgraded", 1)
                        .note("annual review 2026-01-15 of prg_x".to_owned()),
                },
            ],
        };
        assert_eq!(
            report.to_string(),
            "registrations.sweep: expired 2, escalated 0\npartners.tiering: upgraded 1; annual review 2026-01-15 of prg_x"
        );
        assert_eq!(report.count("registrations.sweep", "expired"), 2);
        assert!(report.ran("partners.tiering"));
        assert_eq!(RunReport::default().to_string(), "no job was due");
    }
}
