//! Fanning outbox events out to subscriptions and sending them. Every instance runs
//! [`Store::deliver_webhooks`] every few seconds:
//!
//! 1. Each new outbox event is claimed once (`webhooked_at`, a conditional update, as the
//!    notifications do) and queued for every active subscription that takes it and existed
//!    when it happened, in the claiming transaction.
//! 2. Each subscription's oldest pending delivery is sent once it is due, by the instance
//!    that leased it (a conditional update), so two instances never send it at once; the
//!    next one waits until it is delivered or has failed for good (in order per
//!    subscription). Each attempt is logged with its request and answer.
//!
//! The schedule, the signature and the target rules are `core::webhook`'s.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, PartnerId, WebhookSubscriptionId};
use partnerops_core::webhook::record::{WebhookSubscription, parse_target, takes};
use partnerops_core::webhook::schedule::{TIMEOUT_SECONDS, Verdict, give_up, verdict};
use partnerops_core::webhook::sign::{Secret, signature_header};
use serde::Serialize;

use super::{SUBSCRIPTION_SELECT, SubscriptionRow, check_target, queue, subscription_from};
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::{Actor, Result, Store, audit};

/// Outbox events, read for fan-out and replays.
pub(crate) const EVENT_SELECT: &str = "SELECT o.id, o.kind, o.entity_id, o.partner_id, o.payload, o.created_at FROM outbox_events o WHERE 1 = 1";

row! {
    pub(crate) struct EventRow {
        pub id: String,
        pub kind: String,
        pub entity_id: String,
        pub partner_id: Option<String>,
        pub payload: String,
        pub created_at: DateTime<Utc>,
    }
}

row! {
    struct Due {
        id: String,
        body: String,
        attempts: i64,
        next_attempt_at: Option<DateTime<Utc>>,
    }
}

row! {
    struct Secrets {
        secret: String,
        previous_secret: Option<String>,
        previous_secret_until: Option<DateTime<Utc>>,
    }
}

/// Events claimed per batch, and deliveries sent per subscription per run.
const BATCH: i64 = 200;
const PER_SUBSCRIPTION: usize = 50;
/// How long a leased delivery stays with the instance sending it (longer than a timeout).
const LEASE_SECONDS: i64 = 60;
/// How much of an answer the log keeps.
const ANSWER_BYTES: usize = 2048;

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliverReport {
    /// Outbox events fanned out.
    pub events: u64,
    /// Deliveries queued for them.
    pub queued: u64,
    pub delivered: u64,
    /// Attempts that failed and will be tried again.
    pub retrying: u64,
    /// Deliveries given up after the last retry.
    pub failed: u64,
    /// Subscriptions disabled (410 Gone, or failing for 5 days).
    pub disabled: u64,
}

/// The answer to one attempt.
struct Answer {
    status: Option<u16>,
    retry_after: Option<i64>,
    error: Option<String>,
    body: Option<String>,
}

impl Store {
    /// Fans new outbox events out and sends every due delivery, as of the store's clock.
    #[tracing::instrument(skip_all)]
    pub async fn deliver_webhooks(&self) -> Result<DeliverReport> {
        let mut report = DeliverReport::default();
        self.fan_out(&mut report).await?;
        self.send_due(&mut report).await?;
        Ok(report)
    }

    async fn active_subscriptions(&self, x: &mut impl Exec) -> Result<Vec<WebhookSubscription>> {
        let mut q = Sql::new(SUBSCRIPTION_SELECT);
        q.push(" AND s.status = 'active' ORDER BY s.created_at, s.id");
        x.all::<SubscriptionRow>(&q)
            .await?
            .into_iter()
            .map(subscription_from)
            .collect()
    }

    async fn fan_out(&self, report: &mut DeliverReport) -> Result<()> {
        let now = self.now();
        let mut after: Option<(DateTime<Utc>, String)> = None;
        loop {
            let mut q = Sql::new(EVENT_SELECT);
            q.push(" AND o.webhooked_at IS NULL");
            if let Some((at, id)) = &after {
                q.push(" AND (o.created_at, o.id) > (")
                    .bind(*at)
                    .push(", ")
                    .bind(id.as_str())
                    .push(")");
            }
            q.push(" ORDER BY o.created_at, o.id LIMIT ").bind(BATCH);
            let events: Vec<EventRow> = self.db.read().all(&q).await?;
            let Some(last) = events.last() else {
                return Ok(());
            };
            after = Some((last.created_at, last.id.clone()));
            let mut tx = self.db.begin_write().await?;
            let subscriptions = self.active_subscriptions(&mut tx).await?;
            for e in &events {
                let mut claim = Sql::new("UPDATE outbox_events SET webhooked_at = ");
                claim
                    .bind(now)
                    .push(" WHERE webhooked_at IS NULL AND id = ")
                    .bind(e.id.as_str());
                if tx.execute(&claim).await? == 0 {
                    continue; // another instance fanned it out
                }
                report.events += 1;
                for s in subscriptions.iter().filter(|s| {
                    s.created_at <= e.created_at
                        && takes(&s.event_kinds, &e.kind)
                        && s.partner_id
                            .as_ref()
                            .is_none_or(|p| e.partner_id.as_deref() == Some(p.as_str()))
                }) {
                    queue(&mut tx, now, s, e, false).await?;
                    report.queued += 1;
                }
            }
            tx.commit().await?;
        }
    }

    async fn send_due(&self, report: &mut DeliverReport) -> Result<()> {
        let subscriptions = self.active_subscriptions(&mut self.db.read()).await?;
        for s in &subscriptions {
            for _ in 0..PER_SUBSCRIPTION {
                if !self.send_head(s, report).await? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Sends `s`'s oldest pending delivery if it is due and this instance leases it;
    /// whether the next one may go now (this one was delivered or given up).
    async fn send_head(&self, s: &WebhookSubscription, report: &mut DeliverReport) -> Result<bool> {
        let now = self.now();
        let mut q = Sql::new(
            "SELECT d.id, d.body, d.attempts, d.next_attempt_at FROM webhook_deliveries d WHERE d.status = 'pending' AND d.subscription_id = ",
        );
        q.bind(s.id.as_str())
            .push(" ORDER BY d.event_at, d.event_id LIMIT 1");
        let Some(head) = self.db.read().optional::<Due>(&q).await? else {
            return Ok(false);
        };
        if head.next_attempt_at.is_some_and(|at| at > now) {
            return Ok(false);
        }
        let mut lease = Sql::new("UPDATE webhook_deliveries SET lease_until = ");
        lease
            .bind(now + TimeDelta::seconds(LEASE_SECONDS))
            .push(" WHERE status = 'pending' AND id = ")
            .bind(head.id.as_str())
            .push(" AND (lease_until IS NULL OR lease_until <= ")
            .bind(now)
            .push(")");
        let mut tx = self.db.begin_write().await?;
        let leased = tx.execute(&lease).await?;
        tx.commit().await?;
        if leased == 0 {
            return Ok(false); // another instance is sending it
        }
        let attempt = head.attempts + 1;
        let secrets = self.signing_secrets(&s.id, now).await?;
        let timestamp = now.timestamp();
        let headers = vec![
            ("content-type", "application/json".to_owned()),
            ("user-agent", "partnerops-webhooks/1".to_owned()),
            ("webhook-id", head.id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            (
                "webhook-signature",
                signature_header(&secrets, &head.id, timestamp, head.body.as_bytes()),
            ),
        ];
        let started = Instant::now();
        let answer = self.post(&s.url, &headers, head.body.clone()).await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let ended = self.now();
        let v = verdict(
            u32::try_from(attempt).unwrap_or(u32::MAX),
            answer.status,
            answer.retry_after,
            ended,
        );
        let mut tx = self.db.begin_write().await?;
        log_attempt(
            &mut tx, s, &head.id, attempt, now, &headers, &answer, latency_ms,
        )
        .await?;
        let status = answer.status.map(i64::from);
        let go_on = match v {
            Verdict::Delivered => {
                let mut q = Sql::new(
                    "UPDATE webhook_deliveries SET status = 'delivered', lease_until = NULL, attempts = ",
                );
                q.bind(attempt)
                    .push(", last_status = ")
                    .bind(status)
                    .push(", delivered_at = ")
                    .bind(ended)
                    .push(" WHERE id = ")
                    .bind(head.id.as_str());
                tx.execute(&q).await?;
                let mut q =
                    Sql::new("UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = ");
                q.bind(s.id.as_str());
                tx.execute(&q).await?;
                report.delivered += 1;
                true
            }
            Verdict::Gone => {
                finish(&mut tx, &head.id, attempt, status, "failed", None).await?;
                disable(&mut tx, ended, s, "the receiver answered 410 Gone").await?;
                report.failed += 1;
                report.disabled += 1;
                false
            }
            Verdict::Retry(next) => {
                let failing_since = s.failing_since.unwrap_or(now);
                let mut q = Sql::new("UPDATE webhook_subscriptions SET failing_since = ");
                q.bind(failing_since)
                    .push(" WHERE id = ")
                    .bind(s.id.as_str());
                tx.execute(&q).await?;
                match next {
                    Some(at) => {
                        finish(&mut tx, &head.id, attempt, status, "pending", Some(at)).await?;
                        report.retrying += 1;
                    }
                    None => {
                        finish(&mut tx, &head.id, attempt, status, "failed", None).await?;
                        report.failed += 1;
                    }
                }
                if give_up(failing_since, ended) {
                    disable(&mut tx, ended, s, "every attempt failed for 5 days").await?;
                    report.disabled += 1;
                    false
                } else {
                    // After the last retry the queue moves on; before it, it waits.
                    next.is_none()
                }
            }
        };
        tx.commit().await?;
        Ok(go_on)
    }

    /// The secrets that sign now: the current one, and the previous one during a rotation.
    async fn signing_secrets(
        &self,
        id: &WebhookSubscriptionId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Secret>> {
        let mut q = Sql::new(
            "SELECT secret, previous_secret, previous_secret_until FROM webhook_subscriptions WHERE id = ",
        );
        q.bind(id.as_str());
        let Some(row) = self.db.read().optional::<Secrets>(&q).await? else {
            return Ok(Vec::new());
        };
        let corrupt = |e: partnerops_core::FieldError| crate::StoreError::Corrupt(e.message);
        let mut secrets = vec![Secret::parse("secret", &row.secret).map_err(corrupt)?];
        if let (Some(prev), Some(until)) = (row.previous_secret, row.previous_secret_until)
            && until > now
        {
            secrets.push(Secret::parse("previous_secret", &prev).map_err(corrupt)?);
        }
        Ok(secrets)
    }

    /// Posts `body` to `url`: the target is checked again (a name may point elsewhere by
    /// now) and the connection pinned to the checked addresses; redirects are not followed.
    async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Answer {
        let refused = |error: String| Answer {
            status: None,
            retry_after: None,
            error: Some(error),
            body: None,
        };
        let target = match parse_target("url", url) {
            Ok(t) => t,
            Err(e) => return refused(e.message),
        };
        let addrs: Vec<IpAddr> = match check_target(&self.webhooks, &target).await {
            Ok(a) => a,
            Err(e) => return refused(e.message),
        };
        // reqwest is built without a TLS provider of its own; ring is the one lettre and
        // object_store use. Installing it twice is harmless (the first one stays).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let pinned: Vec<SocketAddr> = addrs
            .iter()
            .map(|ip| SocketAddr::new(*ip, target.port))
            .collect();
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(TIMEOUT_SECONDS))
            .redirect(reqwest::redirect::Policy::none())
            .resolve_to_addrs(&target.host, &pinned)
            .build()
        {
            Ok(c) => c,
            Err(e) => return refused(format!("no HTTP client: {e}")),
        };
        let mut request = client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return refused(format!("no answer within {TIMEOUT_SECONDS} s"));
            }
            Err(e) => return refused(format!("could not connect: {e}")),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok());
        let mut kept: Vec<u8> = Vec::new();
        while kept.len() < ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                _ => break,
            }
        }
        kept.truncate(ANSWER_BYTES);
        Answer {
            status: Some(status),
            retry_after,
            error: None,
            body: Some(String::from_utf8_lossy(&kept).into_owned()),
        }
    }
}

/// Ends an attempt on a delivery: `pending` again (at `next`) or `failed`.
async fn finish(
    tx: &mut Tx,
    id: &str,
    attempt: i64,
    status: Option<i64>,
    state: &str,
    next: Option<DateTime<Utc>>,
) -> Result<()> {
    let mut q = Sql::new("UPDATE webhook_deliveries SET lease_until = NULL, status = ");
    q.bind(state)
        .push(", attempts = ")
        .bind(attempt)
        .push(", last_status = ")
        .bind(status)
        .push(", next_attempt_at = ")
        .bind(next)
        .push(" WHERE id = ")
        .bind(id);
    tx.execute(&q).await?;
    Ok(())
}

/// Disables a subscription (once) and tells its owner through the outbox.
async fn disable(
    tx: &mut Tx,
    now: DateTime<Utc>,
    s: &WebhookSubscription,
    reason: &str,
) -> Result<()> {
    let mut q =
        Sql::new("UPDATE webhook_subscriptions SET status = 'disabled', disabled_reason = ");
    q.bind(reason)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE status = 'active' AND id = ")
        .bind(s.id.as_str());
    if tx.execute(&q).await? == 0 {
        return Ok(());
    }
    let partner: Option<&PartnerId> = s.partner_id.as_ref();
    let payload = serde_json::json!({
        "subscription_id": s.id,
        "url": s.url,
        "disabled_reason": reason,
        "created_by": s.created_by,
    });
    audit::record(
        tx,
        now,
        &Actor::system("webhooks"),
        EntityKind::WebhookSubscription,
        s.id.as_str(),
        AuditAction::Updated,
        partner,
        None::<&()>,
        Some(&payload),
    )
    .await?;
    emit(
        tx,
        now,
        "webhook.disabled",
        s.id.as_str(),
        partner,
        &payload,
    )
    .await
}

/// Logs one attempt: the headers sent, the answer and how long it took.
#[allow(clippy::too_many_arguments)]
async fn log_attempt(
    tx: &mut Tx,
    s: &WebhookSubscription,
    delivery: &str,
    attempt: i64,
    at: DateTime<Utc>,
    headers: &[(&str, String)],
    answer: &Answer,
    latency_ms: i64,
) -> Result<()> {
    let sent: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
        .collect();
    // Attempts are log lines, never addressed on their own: a plain time-ordered id.
    let id = format!("wha_{}", uuid::Uuid::now_v7().simple());
    let mut q = Sql::new(
        "INSERT INTO webhook_attempts (id, delivery_id, subscription_id, attempt, started_at, request_headers, status, error, response_body, latency_ms) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(delivery)
        .push(", ")
        .bind(s.id.as_str())
        .push(", ")
        .bind(attempt)
        .push(", ")
        .bind(at)
        .push(", ")
        .bind(serde_json::Value::Object(sent).to_string())
        .push(", ")
        .bind(answer.status.map(i64::from))
        .push(", ")
        .bind(answer.error.as_deref())
        .push(", ")
        .bind(answer.body.as_deref())
        .push(", ")
        .bind(latency_ms)
        .push(")");
    tx.execute(&q).await?;
    Ok(())
}
