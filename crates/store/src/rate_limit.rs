//! API rate-limit counters: one fixed-window count per key (a token, or a hashed client
//! address). On PostgreSQL a row in `api_rate_limits`, bumped by a single upsert, so that
//! every instance counts into the same row; on SQLite, which serves one instance, a count
//! in the process (a write per request would queue every read behind the one writer).
//! What a count means is `partnerops_core::rate_limit`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use partnerops_core::rate_limit::{RateLimit, RateVerdict};

use chrono::{DateTime, TimeDelta, Utc};

use crate::db::{Exec, Sql, dialect, row};
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::{Result, Store};

/// Counts of this process: key → (window start, hits).
pub(crate) type LocalCounts = Arc<Mutex<HashMap<String, (i64, i64)>>>;

/// Keys kept in the process before windows that ended are dropped.
const LOCAL_KEYS: usize = 10_000;

row! {
    struct Counted {
        hits: i64,
        window_start: i64,
    }
}

impl Store {
    /// Counts one request against `bucket` under `limit` and says whether it may go on.
    ///
    /// One statement: the insert starts a key's first window; on conflict it adds one to
    /// the current window, or starts the next one at 1 when the stored window is older. A
    /// stored window newer than ours (another instance's clock runs ahead) is kept and
    /// counted into, so skewed clocks never reset a count early. The row lock the upsert
    /// takes makes concurrent requests on several instances count one after another. It
    /// commits by itself (one round trip, not three with `BEGIN` and `COMMIT`), into an
    /// unlogged table (migration 0033: no WAL flush to wait for).
    #[tracing::instrument(skip_all)]
    pub async fn count_request(&self, bucket: &str, limit: RateLimit) -> Result<RateVerdict> {
        let now = self.now().timestamp();
        let window = limit.window_of(now);
        if !dialect::counters_shared_in_database(self.db.backend()) {
            let (hits, window_start) = self.count_locally(bucket, window);
            return Ok(limit.verdict(hits, window_start, now));
        }
        let mut q = Sql::new("INSERT INTO api_rate_limits (bucket, window_start, hits) VALUES (");
        q.bind(bucket).push(", ").bind(window).push(
            ", 1) ON CONFLICT (bucket) DO UPDATE SET \
             hits = CASE WHEN api_rate_limits.window_start >= excluded.window_start THEN api_rate_limits.hits + 1 ELSE 1 END, \
             window_start = CASE WHEN api_rate_limits.window_start >= excluded.window_start THEN api_rate_limits.window_start ELSE excluded.window_start END \
             RETURNING hits, window_start",
        );
        let counted: Option<Counted> = self.db.autocommit().optional(&q).await?;
        let c = counted.unwrap_or(Counted {
            hits: 1,
            window_start: window,
        });
        Ok(limit.verdict(c.hits, c.window_start, now))
    }

    /// One more hit in this process's count of `bucket` for `window`: (hits, window start).
    fn count_locally(&self, bucket: &str, window: i64) -> (i64, i64) {
        let mut counts = self
            .local_counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.len() >= LOCAL_KEYS && !counts.contains_key(bucket) {
            counts.retain(|_, (start, _)| *start >= window);
        }
        let entry = counts.entry(bucket.to_owned()).or_insert((window, 0));
        if entry.0 < window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        (entry.1, entry.0)
    }
}

/// Counters of windows older than this are gone: no limit's window is longer (the API's
/// limits are per minute; public forms count per hour at most).
const KEEP_COUNTERS: TimeDelta = TimeDelta::hours(2);

pub(crate) fn jobs() -> Vec<Box<dyn Job>> {
    vec![Box::new(SweepCounters)]
}

/// Deletes the shared counters of windows long over: every token and address that ever
/// called leaves a row otherwise (one row each, not one per request, but they add up).
struct SweepCounters;

impl Job for SweepCounters {
    fn kind(&self) -> &'static str {
        "api.rate_limits.sweep"
    }

    fn schedule(&self) -> Schedule {
        Schedule::Every(TimeDelta::hours(1))
    }

    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move {
            let removed = store.sweep_rate_counters(now).await?;
            Ok(JobReport::default().figure("counters removed", removed as usize))
        })
    }
}

impl Store {
    /// Deletes the counters of windows that ended [`KEEP_COUNTERS`] before `now`.
    pub async fn sweep_rate_counters(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut q = Sql::new("DELETE FROM api_rate_limits WHERE window_start < ");
        q.bind((now - KEEP_COUNTERS).timestamp());
        let mut tx = self.db.begin_write().await?;
        let removed = tx.execute(&q).await?;
        tx.commit().await?;
        Ok(removed)
    }
}
