//! Idempotency keys (`Idempotency-Key` on API requests that create): the first request
//! with a key claims it by inserting a row (one insert wins across instances, the primary
//! key decides), runs, and keeps its answer; a retry with the same key and the same request
//! gets that answer back, a retry while the first still runs is told so, and the same key
//! with a different request is refused. Keys are per credential and kept for 24 hours.

use chrono::{DateTime, TimeDelta, Utc};

use crate::db::{Exec, Sql, row};
use crate::{Result, Store};

/// How long an answer is kept for retries.
pub const KEEP_HOURS: i64 = 24;

/// What a request with a key may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's: run it, then [`Store::keep_answer`] or
    /// [`Store::release_key`].
    Fresh,
    /// The key's request ran: send its answer again.
    Replay {
        status: u16,
        content_type: String,
        body: String,
    },
    /// The key's first request is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

row! {
    struct KeyRow {
        request_hash: String,
        status: Option<i64>,
        content_type: Option<String>,
        body: Option<String>,
        created_at: DateTime<Utc>,
    }
}

impl Store {
    /// Claims `key` for the request `request_hash` of the credential `owner_hash`.
    pub async fn claim_key(
        &self,
        owner_hash: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<Claim> {
        let now = self.now();
        for _ in 0..2 {
            let mut tx = self.db.begin_write().await?;
            let mut q = Sql::new(
                "INSERT INTO idempotency_keys (owner_hash, idempotency_key, request_hash, created_at) VALUES (",
            );
            q.bind(owner_hash)
                .push(", ")
                .bind(key)
                .push(", ")
                .bind(request_hash)
                .push(", ")
                .bind(now)
                .push(") ON CONFLICT DO NOTHING");
            if tx.execute(&q).await? == 1 {
                tx.commit().await?;
                return Ok(Claim::Fresh);
            }
            let mut q = Sql::new(
                "SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys WHERE owner_hash = ",
            );
            q.bind(owner_hash).push(" AND idempotency_key = ").bind(key);
            let Some(row) = tx.optional::<KeyRow>(&q).await? else {
                continue;
            };
            if row.created_at < now - TimeDelta::hours(KEEP_HOURS) {
                // Expired: the key is free again.
                let mut q = Sql::new("DELETE FROM idempotency_keys WHERE owner_hash = ");
                q.bind(owner_hash).push(" AND idempotency_key = ").bind(key);
                tx.execute(&q).await?;
                tx.commit().await?;
                continue;
            }
            return Ok(if row.request_hash != request_hash {
                Claim::Mismatch
            } else {
                match row.status {
                    None => Claim::InProgress,
                    Some(status) => Claim::Replay {
                        status: u16::try_from(status).unwrap_or(500),
                        content_type: row.content_type.unwrap_or_default(),
                        body: row.body.unwrap_or_default(),
                    },
                }
            });
        }
        Ok(Claim::InProgress)
    }

    /// Keeps the answer of the request that claimed `key`.
    pub async fn keep_answer(
        &self,
        owner_hash: &str,
        key: &str,
        status: u16,
        content_type: &str,
        body: &str,
    ) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new("UPDATE idempotency_keys SET status = ");
        q.bind(i64::from(status))
            .push(", content_type = ")
            .bind(content_type)
            .push(", body = ")
            .bind(body)
            .push(" WHERE owner_hash = ")
            .bind(owner_hash)
            .push(" AND idempotency_key = ")
            .bind(key);
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Frees `key` after a request that failed on the server's side, so a retry runs again.
    pub async fn release_key(&self, owner_hash: &str, key: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new("DELETE FROM idempotency_keys WHERE status IS NULL AND owner_hash = ");
        q.bind(owner_hash).push(" AND idempotency_key = ").bind(key);
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(())
    }
}
