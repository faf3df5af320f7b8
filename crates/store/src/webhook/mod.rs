//! Webhook subscriptions: vendor administrators subscribe to any events, a partner's admin
//! to its own partner's; secrets are made here, shown once and rotated with an overlap;
//! the delivery log and replays. Fanning events out and sending them is [`deliver`]. The
//! rules (filters, targets, signatures, the retry schedule) are `core::webhook`'s.

pub mod deliver;

use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, PartnerId, UserId, WebhookDeliveryId, WebhookSubscriptionId};
use partnerops_core::scope::Action;
use partnerops_core::webhook::record::{
    ROTATION_OVERLAP_HOURS, Replay, Target, WebhookAttempt, WebhookDelivery, WebhookDeliveryDetail,
    WebhookDeliveryStatus, WebhookReplayInput, WebhookSecret, WebhookSubscription,
    WebhookSubscriptionInput, WebhookSubscriptionStatus, body, takes,
};
use partnerops_core::webhook::sign::{KEY_BYTES, Secret};
use partnerops_core::webhook::target;
use partnerops_core::{FieldError, Invalid};
use rand::Rng;

use crate::db::{Exec, Sql, Tx, row};
use crate::entity::json_column;
use crate::etag::{self, Precondition};
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope};

/// Where webhooks may go: public addresses only, unless the operator allows private ones
/// (`[webhooks] allow_private_targets`, for receivers inside the same network; the tests
/// allow 127.0.0.1 this way).
#[derive(Clone, Debug, Default)]
pub struct WebhookSettings {
    pub allow_private_targets: bool,
}

/// Most events one range replay sends again.
pub const MAX_REPLAY: i64 = 10_000;

row! {
    struct SubscriptionRow {
        id: String,
        partner_id: Option<String>,
        url: String,
        description: String,
        event_kinds: String,
        status: String,
        disabled_reason: Option<String>,
        failing_since: Option<DateTime<Utc>>,
        previous_secret_until: Option<DateTime<Utc>>,
        created_by: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

const SUBSCRIPTION_SELECT: &str = "SELECT s.id, s.partner_id, s.url, s.description, s.event_kinds, s.status, s.disabled_reason, s.failing_since, s.previous_secret_until, s.created_by, s.created_at, s.updated_at FROM webhook_subscriptions s WHERE 1 = 1";

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(e.message)
}

fn subscription_from(r: SubscriptionRow) -> Result<WebhookSubscription> {
    Ok(WebhookSubscription {
        id: WebhookSubscriptionId::from_trusted(r.id),
        partner_id: r.partner_id.map(PartnerId::from_trusted),
        url: r.url,
        description: r.description,
        event_kinds: json_column("event_kinds", &r.event_kinds)?,
        status: WebhookSubscriptionStatus::parse("status", &r.status).map_err(corrupt)?,
        disabled_reason: r.disabled_reason,
        failing_since: r.failing_since,
        previous_secret_until: r.previous_secret_until,
        created_by: r.created_by.map(UserId::from_trusted),
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

row! {
    struct DeliveryRow {
        id: String,
        subscription_id: String,
        event_id: String,
        event_kind: String,
        event_at: DateTime<Utc>,
        status: String,
        attempts: i64,
        next_attempt_at: Option<DateTime<Utc>>,
        last_status: Option<i64>,
        delivered_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
    }
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.subscription_id, d.event_id, d.event_kind, d.event_at, d.status, d.attempts, d.next_attempt_at, d.last_status, d.delivered_at, d.created_at FROM webhook_deliveries d WHERE 1 = 1";

fn delivery_from(r: DeliveryRow) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: WebhookDeliveryId::from_trusted(r.id),
        subscription_id: WebhookSubscriptionId::from_trusted(r.subscription_id),
        event_id: r.event_id,
        event_kind: r.event_kind,
        event_at: r.event_at,
        status: WebhookDeliveryStatus::parse("status", &r.status).map_err(corrupt)?,
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at,
        last_status: r.last_status,
        delivered_at: r.delivered_at,
        created_at: r.created_at,
    })
}

row! {
    struct AttemptRow {
        attempt: i64,
        started_at: DateTime<Utc>,
        request_headers: String,
        body: String,
        status: Option<i64>,
        error: Option<String>,
        response_body: Option<String>,
        latency_ms: i64,
    }
}

/// A subscription the caller may manage, or `NotFound` (another partner's reads as none).
async fn subscription_in(
    x: &mut impl Exec,
    actor: &Actor,
    id: &str,
) -> Result<WebhookSubscription> {
    let not_found = StoreError::NotFound(EntityKind::WebhookSubscription);
    if WebhookSubscriptionId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(SUBSCRIPTION_SELECT);
    q.push(" AND s.id = ").bind(id);
    scope::restrict(&mut q, &actor.scope(), EntityKind::WebhookSubscription, "s");
    let row = x.optional::<SubscriptionRow>(&q).await?.ok_or(not_found)?;
    let s = subscription_from(row)?;
    actor.authorize(&Action::ManageWebhooks(s.partner_id.as_ref()))?;
    Ok(s)
}

/// Refuses a target that resolves to an address webhooks may not reach.
pub(crate) async fn check_target(
    settings: &WebhookSettings,
    t: &Target,
) -> std::result::Result<Vec<IpAddr>, FieldError> {
    let addrs: Vec<IpAddr> = match tokio::net::lookup_host((t.host.as_str(), t.port)).await {
        Ok(found) => found.map(|a| a.ip()).collect(),
        Err(_) => Vec::new(),
    };
    target::check("url", &addrs, settings.allow_private_targets)?;
    Ok(addrs)
}

/// A fresh `whsec_` secret.
fn new_secret() -> Secret {
    let mut key = [0u8; KEY_BYTES];
    rand::rng().fill_bytes(&mut key);
    Secret::from_key(key)
}

impl Store {
    /// Subscribes a target to events: vendor administrators for any partner's (or one
    /// partner's), a partner's admin for its own partner's. The secret is in the answer,
    /// this once.
    #[tracing::instrument(skip_all)]
    pub async fn create_webhook_subscription(
        &self,
        actor: &Actor,
        input: &WebhookSubscriptionInput,
    ) -> Result<WebhookSecret> {
        let f = input.parse(true)?;
        let partner = match (actor.partner_id(), f.partner_id.clone()) {
            (Some(own), Some(given)) if &given != own => {
                return Err(Invalid::one(
                    "partner_id",
                    "own_partner",
                    "a partner admin subscribes to its own partner's events; leave partner_id out",
                )
                .into());
            }
            (Some(own), _) => Some(own.clone()),
            (None, given) => given,
        };
        actor.authorize(&Action::ManageWebhooks(partner.as_ref()))?;
        let (Some(t), Some(kinds)) = (f.target, f.event_kinds) else {
            return Err(Invalid::one("url", "required", "url is required").into());
        };
        check_target(&self.webhooks, &t)
            .await
            .map_err(Invalid::from)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        if let Some(p) = &partner {
            crate::db::row! { struct Live { #[allow(dead_code)] id: String } }
            let mut q = Sql::new("SELECT id FROM partners WHERE archived_at IS NULL AND id = ");
            q.bind(p.as_str());
            if tx.optional::<Live>(&q).await?.is_none() {
                return Err(
                    Invalid::one("partner_id", "exists", "partner_id names no partner").into(),
                );
            }
        }
        let id: WebhookSubscriptionId = new_id();
        let secret = new_secret();
        let mut q = Sql::new(
            "INSERT INTO webhook_subscriptions (id, partner_id, url, description, event_kinds, secret, status, created_by, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(partner.as_ref().map(EntityId::as_str))
            .push(", ")
            .bind(t.url.as_str())
            .push(", ")
            .bind(f.description.unwrap_or_default())
            .push(", ")
            .bind(serde_json::to_string(&kinds).unwrap_or_default())
            .push(", ")
            .bind(secret.expose())
            .push(", 'active', ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let s = subscription_in(&mut tx, actor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::WebhookSubscription,
            id.as_str(),
            AuditAction::Created,
            partner.as_ref(),
            None::<&()>,
            Some(&s),
        )
        .await?;
        tx.commit().await?;
        Ok(WebhookSecret {
            subscription: s,
            secret: secret.expose(),
        })
    }

    /// The subscriptions the caller manages: every one for vendor administrators, its own
    /// partner's for a partner admin.
    pub async fn webhook_subscriptions(&self, actor: &Actor) -> Result<Vec<WebhookSubscription>> {
        actor.authorize(&Action::ManageWebhooks(actor.partner_id()))?;
        let mut q = Sql::new(SUBSCRIPTION_SELECT);
        scope::restrict(&mut q, &actor.scope(), EntityKind::WebhookSubscription, "s");
        q.push(" ORDER BY s.created_at DESC, s.id DESC");
        self.db
            .read()
            .all::<SubscriptionRow>(&q)
            .await?
            .into_iter()
            .map(subscription_from)
            .collect()
    }

    pub async fn webhook_subscription(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<WebhookSubscription> {
        subscription_in(&mut self.db.read(), actor, id).await
    }

    /// Changes a subscription's target, description or filters, pauses it (`disabled`) or
    /// re-enables it (`active`, which forgets its failures).
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_webhook_subscription(
        &self,
        actor: &Actor,
        id: &str,
        input: &WebhookSubscriptionInput,
        precondition: &Precondition,
    ) -> Result<WebhookSubscription> {
        let f = input.parse(false)?;
        let now = self.now();
        if let Some(t) = &f.target {
            check_target(&self.webhooks, t)
                .await
                .map_err(Invalid::from)?;
        }
        let mut tx = self.db.begin_write().await?;
        etag::hold(&mut tx, "webhook_subscriptions", id, precondition).await?;
        let before = subscription_in(&mut tx, actor, id).await?;
        precondition.check(&before)?;
        if f.partner_id.is_some() && f.partner_id != before.partner_id {
            return Err(Invalid::one(
                "partner_id",
                "fixed",
                "a subscription's partner cannot change: create another subscription",
            )
            .into());
        }
        let mut q = Sql::new("UPDATE webhook_subscriptions SET updated_at = ");
        q.bind(now);
        if let Some(t) = &f.target {
            q.push(", url = ").bind(t.url.as_str());
        }
        if let Some(d) = &f.description {
            q.push(", description = ").bind(d.as_str());
        }
        if let Some(k) = &f.event_kinds {
            q.push(", event_kinds = ")
                .bind(serde_json::to_string(k).unwrap_or_default());
        }
        match f.status {
            Some(WebhookSubscriptionStatus::Active) => {
                q.push(", status = 'active', disabled_reason = NULL, failing_since = NULL");
            }
            Some(WebhookSubscriptionStatus::Disabled) => {
                q.push(", status = 'disabled', disabled_reason = ")
                    .bind(format!("paused by {}", actor.audit_name()));
            }
            None => {}
        }
        q.push(" WHERE id = ").bind(id);
        tx.execute(&q).await?;
        let after = subscription_in(&mut tx, actor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::WebhookSubscription,
            id,
            AuditAction::Updated,
            after.partner_id.as_ref(),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a subscription with its delivery log.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn delete_webhook_subscription(&self, actor: &Actor, id: &str) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = subscription_in(&mut tx, actor, id).await?;
        for table in ["webhook_attempts", "webhook_deliveries"] {
            let mut q = Sql::new(&format!("DELETE FROM {table} WHERE subscription_id = "));
            q.bind(id);
            tx.execute(&q).await?;
        }
        let mut q = Sql::new("DELETE FROM webhook_subscriptions WHERE id = ");
        q.bind(id);
        tx.execute(&q).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::WebhookSubscription,
            id,
            AuditAction::Deleted,
            before.partner_id.as_ref(),
            Some(&before),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new secret; the previous one keeps signing beside it for a day, so receivers can
    /// switch without losing a delivery.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn rotate_webhook_secret(&self, actor: &Actor, id: &str) -> Result<WebhookSecret> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = subscription_in(&mut tx, actor, id).await?;
        let secret = new_secret();
        let mut q = Sql::new(
            "UPDATE webhook_subscriptions SET previous_secret = secret, previous_secret_until = ",
        );
        q.bind(now + TimeDelta::hours(ROTATION_OVERLAP_HOURS))
            .push(", secret = ")
            .bind(secret.expose())
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = subscription_in(&mut tx, actor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::WebhookSubscription,
            id,
            AuditAction::Updated,
            after.partner_id.as_ref(),
            Some(&before),
            Some(&serde_json::json!({ "secret_rotated": true, "previous_secret_until": after.previous_secret_until })),
        )
        .await?;
        tx.commit().await?;
        Ok(WebhookSecret {
            subscription: after,
            secret: secret.expose(),
        })
    }

    /// A subscription's deliveries, newest event first (at most `limit`), optionally of
    /// one status.
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        subscription_id: &str,
        status: Option<WebhookDeliveryStatus>,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>> {
        let mut read = self.db.read();
        subscription_in(&mut read, actor, subscription_id).await?;
        let mut q = Sql::new(DELIVERY_SELECT);
        q.push(" AND d.subscription_id = ").bind(subscription_id);
        if let Some(s) = status {
            q.push(" AND d.status = ").bind(s.as_str());
        }
        q.push(" ORDER BY d.event_at DESC, d.event_id DESC LIMIT ")
            .bind(limit.clamp(1, 500));
        read.all::<DeliveryRow>(&q)
            .await?
            .into_iter()
            .map(delivery_from)
            .collect()
    }

    /// One delivery with every attempt: the request sent and the answer.
    pub async fn webhook_delivery(&self, actor: &Actor, id: &str) -> Result<WebhookDeliveryDetail> {
        let not_found = StoreError::NotFound(EntityKind::WebhookSubscription);
        if WebhookDeliveryId::parse(id).is_none() {
            return Err(not_found);
        }
        let mut read = self.db.read();
        let mut q = Sql::new(DELIVERY_SELECT);
        q.push(" AND d.id = ").bind(id);
        let row = read.optional::<DeliveryRow>(&q).await?.ok_or(not_found)?;
        let delivery = delivery_from(row)?;
        subscription_in(&mut read, actor, delivery.subscription_id.as_str()).await?;
        let mut q = Sql::new(
            "SELECT a.attempt, a.started_at, a.request_headers, d.body, a.status, a.error, a.response_body, a.latency_ms FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE a.delivery_id = ",
        );
        q.bind(id).push(" ORDER BY a.attempt");
        let attempts = read
            .all::<AttemptRow>(&q)
            .await?
            .into_iter()
            .map(|a| {
                Ok(WebhookAttempt {
                    attempt: a.attempt,
                    started_at: a.started_at,
                    request_headers: json_column("request_headers", &a.request_headers)?,
                    request_body: a.body,
                    status: a.status,
                    error: a.error,
                    response_body: a.response_body,
                    latency_ms: a.latency_ms,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(WebhookDeliveryDetail { delivery, attempts })
    }

    /// Sends one event, or every event of a time range, again: each becomes pending with
    /// its attempts counted from zero, keeping its `webhook-id` (receivers deduplicate by
    /// it). Only events the subscription takes (its partner's, its filters) are replayed.
    /// Returns how many deliveries are queued.
    #[tracing::instrument(skip_all, fields(id = %subscription_id))]
    pub async fn replay_webhooks(
        &self,
        actor: &Actor,
        subscription_id: &str,
        input: &WebhookReplayInput,
    ) -> Result<u64> {
        let replay = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let s = subscription_in(&mut tx, actor, subscription_id).await?;
        let mut q = Sql::new(deliver::EVENT_SELECT);
        if let Some(p) = &s.partner_id {
            q.push(" AND o.partner_id = ").bind(p.as_str());
        }
        match &replay {
            Replay::Event(e) => {
                q.push(" AND o.id = ").bind(e.as_str());
            }
            Replay::Range(from, to) => {
                q.push(" AND o.created_at >= ")
                    .bind(*from)
                    .push(" AND o.created_at < ")
                    .bind(*to)
                    .push(" ORDER BY o.created_at, o.id LIMIT ")
                    .bind(MAX_REPLAY + 1);
            }
        }
        let events: Vec<deliver::EventRow> = tx.all(&q).await?;
        let events: Vec<&deliver::EventRow> = events
            .iter()
            .filter(|e| takes(&s.event_kinds, &e.kind))
            .collect();
        if let Replay::Event(_) = replay
            && events.is_empty()
        {
            return Err(Invalid::one(
                "event_id",
                "exists",
                "event_id names no event this subscription takes",
            )
            .into());
        }
        if events.len() as i64 > MAX_REPLAY {
            return Err(Invalid::one(
                "to",
                "replay.too_many",
                format!("the range holds more than {MAX_REPLAY} events: replay a shorter one"),
            )
            .into());
        }
        for e in &events {
            queue(&mut tx, now, &s, e, true).await?;
        }
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::WebhookSubscription,
            subscription_id,
            AuditAction::Updated,
            s.partner_id.as_ref(),
            None::<&()>,
            Some(&serde_json::json!({ "replayed": events.len() })),
        )
        .await?;
        tx.commit().await?;
        Ok(events.len() as u64)
    }
}

/// Queues `event` for `s`: a new pending delivery, or with `again` the existing one made
/// pending from scratch.
async fn queue(
    tx: &mut Tx,
    now: DateTime<Utc>,
    s: &WebhookSubscription,
    e: &deliver::EventRow,
    again: bool,
) -> Result<()> {
    let payload: serde_json::Value = json_column("payload", &e.payload)?;
    let body = body(
        &e.kind,
        e.created_at,
        &e.entity_id,
        &payload,
        s.partner_id.is_some(),
    );
    let id: WebhookDeliveryId = new_id();
    let mut q = Sql::new(
        "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_kind, event_at, body, status, attempts, next_attempt_at, created_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(s.id.as_str())
        .push(", ")
        .bind(e.id.as_str())
        .push(", ")
        .bind(e.kind.as_str())
        .push(", ")
        .bind(e.created_at)
        .push(", ")
        .bind(body.to_string())
        .push(", 'pending', 0, ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (subscription_id, event_id) DO ");
    if again {
        q.push(
            "UPDATE SET status = 'pending', attempts = 0, lease_until = NULL, next_attempt_at = ",
        )
        .bind(now);
    } else {
        q.push("NOTHING");
    }
    tx.execute(&q).await?;
    Ok(())
}
