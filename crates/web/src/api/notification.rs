//! `/api/v1/notifications` and `/api/v1/notification-preferences`: the caller's own
//! notifications and e-mail choices. There is no way to name another user here: the store
//! reads and writes the caller's rows only.

use std::collections::BTreeMap;

use axum::extract::State;
use partnerops_core::Invalid;
use partnerops_core::notification::{Notification, Preference};
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_store::notification::SORTS;
use serde::Deserialize;

use super::both;
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filters for the notification list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `true`: unread notifications only.
    pub unread: Option<String>,
}

impl NotificationQuery {
    fn parse(&self) -> Result<bool, Invalid> {
        match self.unread.as_deref().map(str::trim) {
            None | Some("" | "false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(Invalid::one(
                "unread",
                "one_of",
                "unread must be true or false",
            )),
        }
    }
}

/// The caller's notifications, newest first (`sort=created_at` for oldest first).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery, PageParams),
    responses((status = 200, body = Page<Notification>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<NotificationQuery>,
    Query(mut p): Query<PageParams>,
) -> Answer<Page<Notification>> {
    if p.sort.as_deref().is_none_or(|s| s.trim().is_empty()) {
        p.sort = Some("-created_at".into());
    }
    let (page, unread) = both(PageRequest::parse(&p, SORTS), q.parse())?;
    Ok(axum::Json(
        s.store.notifications(&who.0, unread, &page).await?,
    ))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = Notification), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn read(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Notification> {
    Ok(axum::Json(
        s.store.mark_notification_read(&who.0, &id).await?,
    ))
}

/// The caller's e-mail choice for every notification kind: `immediately`, `daily_digest`
/// or `off`. The in-app list shows every notification whatever the choice.
#[utoipa::path(get, path = "/api/v1/notification-preferences", tag = "notifications",
    responses((status = 200, body = Vec<Preference>), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn preferences(State(s): State<AppState>, who: ApiUser) -> Answer<Vec<Preference>> {
    Ok(axum::Json(s.store.notification_preferences(&who.0).await?))
}

/// Kinds to change, each mapped to `immediately`, `daily_digest` or `off`; kinds not named
/// keep their choice.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"sla_warning": "daily_digest", "mention": "off"}))]
pub struct PreferenceChanges(pub BTreeMap<String, String>);

/// Changes the caller's e-mail choices. An unknown kind or delivery is a 422 naming the
/// kind as its field.
#[utoipa::path(put, path = "/api/v1/notification-preferences", tag = "notifications", request_body = PreferenceChanges,
    responses((status = 200, body = Vec<Preference>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_preferences(
    State(s): State<AppState>,
    who: ApiUser,
    Json(changes): Json<PreferenceChanges>,
) -> Answer<Vec<Preference>> {
    Ok(axum::Json(
        s.store
            .set_notification_preferences(&who.0, &changes.0)
            .await?,
    ))
}
