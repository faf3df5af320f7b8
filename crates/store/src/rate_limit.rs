//! API rate-limit counters: one fixed-window row per key (a token, or a hashed client
//! address) in `api_rate_limits`, bumped by a single upsert so that every instance on one
//! PostgreSQL counts into the same row (on SQLite the table serves the one instance). What
//! a count means is `partnerops_core::rate_limit`.

use partnerops_core::rate_limit::{RateLimit, RateVerdict};

use crate::db::{Exec, Sql, row};
use crate::{Result, Store};

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
    /// takes makes concurrent requests on several instances count one after another.
    #[tracing::instrument(skip_all)]
    pub async fn count_request(&self, bucket: &str, limit: RateLimit) -> Result<RateVerdict> {
        let now = self.now().timestamp();
        let window = limit.window_of(now);
        let mut q = Sql::new("INSERT INTO api_rate_limits (bucket, window_start, hits) VALUES (");
        q.bind(bucket).push(", ").bind(window).push(
            ", 1) ON CONFLICT (bucket) DO UPDATE SET \
             hits = CASE WHEN api_rate_limits.window_start >= excluded.window_start THEN api_rate_limits.hits + 1 ELSE 1 END, \
             window_start = CASE WHEN api_rate_limits.window_start >= excluded.window_start THEN api_rate_limits.window_start ELSE excluded.window_start END \
             RETURNING hits, window_start",
        );
        let mut tx = self.db.begin_write().await?;
        let counted: Option<Counted> = tx.optional(&q).await?;
        tx.commit().await?;
        let c = counted.unwrap_or(Counted {
            hits: 1,
            window_start: window,
        });
        Ok(limit.verdict(c.hits, c.window_start, now))
    }
}
