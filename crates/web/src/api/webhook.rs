//! Webhook subscriptions in the Standard Webhooks format: vendor administrators subscribe
//! to any events, a partner's admin to its own partner's; the secret is shown once and
//! rotated with a day of overlap; the delivery log with every attempt; replays of one event
//! or a time range. Deliveries are sent by every instance's webhook worker.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::webhook::record::{
    WebhookDelivery, WebhookDeliveryDetail, WebhookDeliveryStatus, WebhookReplayInput,
    WebhookSecret, WebhookSubscription, WebhookSubscriptionInput,
};
use serde::{Deserialize, Serialize};

use super::{Tagged, TaggedAnswer, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Your webhook subscriptions (a partner admin: its partner's).
#[utoipa::path(get, path = "/api/v1/webhook-subscriptions", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookSubscription>), (status = 401, body = Problem), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn subscriptions(
    State(s): State<AppState>,
    who: ApiUser,
) -> Answer<Vec<WebhookSubscription>> {
    Ok(axum::Json(
        s.store.webhook_subscriptions(&who.actor()).await?,
    ))
}

/// Subscribe a target to events. The answer carries the signing secret, this once. Targets
/// on private, loopback or link-local addresses are refused (`url: webhook_target`) unless
/// the operator allows them.
#[utoipa::path(post, path = "/api/v1/webhook-subscriptions", tag = "webhooks", request_body = WebhookSubscriptionInput,
    responses((status = 201, body = WebhookSecret), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<WebhookSubscriptionInput>,
) -> Result<(StatusCode, axum::Json<WebhookSecret>), ApiError> {
    let created = s
        .store
        .create_webhook_subscription(&who.actor(), &input)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// One subscription.
#[utoipa::path(get, path = "/api/v1/webhook-subscriptions/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WebhookSubscription), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn subscription(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<WebhookSubscription> {
    Ok(Tagged(
        s.store.webhook_subscription(&who.actor(), &id).await?,
    ))
}

/// Change the target, description or filters; `status: active` re-enables a disabled
/// subscription (forgetting its failures), `disabled` pauses it.
#[utoipa::path(patch, path = "/api/v1/webhook-subscriptions/{id}", tag = "webhooks", params(("id" = String, Path), IfMatch), request_body = WebhookSubscriptionInput,
    responses((status = 200, body = WebhookSubscription), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<WebhookSubscriptionInput>,
) -> TaggedAnswer<WebhookSubscription> {
    Ok(Tagged(
        s.store
            .update_webhook_subscription(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}

/// Delete a subscription and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhook-subscriptions/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.store
        .delete_webhook_subscription(&who.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret (shown this once); the previous one keeps signing beside it for
/// 24 hours, so `webhook-signature` carries both meanwhile.
#[utoipa::path(post, path = "/api/v1/webhook-subscriptions/{id}/rotate-secret", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WebhookSecret), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn rotate(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<WebhookSecret> {
    Ok(axum::Json(
        s.store.rotate_webhook_secret(&who.actor(), &id).await?,
    ))
}

/// Filter of the delivery log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// pending, delivered or failed.
    pub status: Option<String>,
    /// At most this many, newest first (1–500, default 100).
    pub limit: Option<String>,
}

/// A subscription's deliveries, newest event first.
#[utoipa::path(get, path = "/api/v1/webhook-subscriptions/{id}/deliveries", tag = "webhooks", params(("id" = String, Path), DeliveryQuery),
    responses((status = 200, body = Vec<WebhookDelivery>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn deliveries(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<DeliveryQuery>,
) -> Answer<Vec<WebhookDelivery>> {
    let mut inv = Invalid::new();
    let status = filter(
        &mut inv,
        "status",
        q.status.as_deref(),
        WebhookDeliveryStatus::parse,
    );
    let limit = filter(&mut inv, "limit", q.limit.as_deref(), |field, raw| {
        raw.parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| {
                partnerops_core::FieldError::new(
                    field,
                    "range",
                    format!("{field} must be a whole number from 1 to 500"),
                )
            })
    });
    if !inv.is_empty() {
        return Err(inv.into());
    }
    Ok(axum::Json(
        s.store
            .webhook_deliveries(&who.actor(), &id, status, limit.unwrap_or(100))
            .await?,
    ))
}

/// One delivery with every attempt: the headers and body sent, the answer, the latency.
#[utoipa::path(get, path = "/api/v1/webhook-deliveries/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WebhookDeliveryDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delivery(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<WebhookDeliveryDetail> {
    Ok(axum::Json(
        s.store.webhook_delivery(&who.actor(), &id).await?,
    ))
}

/// How many deliveries a replay queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookReplayed {
    pub queued: u64,
}

/// Send one event (`event_id`) or every event of a time range (`from`, `to`) again, with
/// the same `webhook-id`s, in order.
#[utoipa::path(post, path = "/api/v1/webhook-subscriptions/{id}/replay", tag = "webhooks", params(("id" = String, Path)), request_body = WebhookReplayInput,
    responses((status = 200, body = WebhookReplayed), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn replay(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<WebhookReplayInput>,
) -> Answer<WebhookReplayed> {
    let queued = s.store.replay_webhooks(&who.actor(), &id, &input).await?;
    Ok(axum::Json(WebhookReplayed { queued }))
}
