//! `/api/v1/cadence` and `/api/v1/calendar-feed`: what is due for the caller in the next
//! 30 days, overdue first, and the caller's private iCalendar feed of the same. The feed
//! itself (`/calendar/{token}.ics`) is served outside the API: calendar programs fetch it
//! without a bearer token, the token in the URL is the credential.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::cadence::{Agenda, CalendarFeed, PlanGlance};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::Query;
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Whose items: staff who look after partners get theirs unless `everyone=true`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReachQuery {
    /// `true`: every partner the caller may see, also for a channel manager who looks after
    /// some.
    pub everyone: Option<String>,
}

impl ReachQuery {
    fn parse(&self) -> Result<bool, Invalid> {
        match self.everyone.as_deref().map(str::trim) {
            None | Some("" | "false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(Invalid::one(
                "everyone",
                "one_of",
                "everyone must be true or false",
            )),
        }
    }
}

/// The caller's agenda: overdue items, then what falls due in the next 30 days. Staff see
/// every partner's items (at most 200 per source, soonest first) and their own deal-room
/// tasks; partner users see their partner's items and their own tasks.
#[utoipa::path(get, path = "/api/v1/cadence", tag = "cadence", params(ReachQuery),
    responses((status = 200, body = Agenda), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn agenda(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<ReachQuery>,
) -> Answer<Agenda> {
    let everyone = q.parse()?;
    Ok(axum::Json(s.store.cadence(&who.0, everyone).await?))
}

/// The current quarter of the agreed plans the caller sees (at most 12): the sourced-ARR
/// milestone against sourced ARR won and in pipeline, from live data.
#[utoipa::path(get, path = "/api/v1/cadence/plans", tag = "cadence", params(ReachQuery),
    responses((status = 200, body = Vec<PlanGlance>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn plans(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<ReachQuery>,
) -> Answer<Vec<PlanGlance>> {
    let everyone = q.parse()?;
    Ok(axum::Json(
        s.store.plans_at_a_glance(&who.0, everyone).await?,
    ))
}

/// A new calendar feed and its private URL, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewCalendarFeed {
    pub feed: CalendarFeed,
    /// Subscribe to this URL in a calendar program. Whoever has it reads your agenda:
    /// revoke it (DELETE) if it leaks.
    pub url: String,
}

/// The caller's live calendar feed (404 when there is none; the URL is not shown again).
#[utoipa::path(get, path = "/api/v1/calendar-feed", tag = "cadence",
    responses((status = 200, body = CalendarFeed), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn feed(State(s): State<AppState>, who: ApiUser) -> Answer<CalendarFeed> {
    let actor = who.actor();
    s.store
        .calendar_feed(&actor)
        .await?
        .map(axum::Json)
        .ok_or(ApiError::Store(partnerops_store::StoreError::NotFound(
            partnerops_core::audit::EntityKind::CalendarFeed,
        )))
}

/// Creates the caller's calendar feed, revoking the one they had.
#[utoipa::path(post, path = "/api/v1/calendar-feed", tag = "cadence",
    responses((status = 201, body = NewCalendarFeed), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn create_feed(
    State(s): State<AppState>,
    who: ApiUser,
) -> Result<(StatusCode, axum::Json<NewCalendarFeed>), ApiError> {
    let (feed, token) = s.store.create_calendar_feed(&who.actor()).await?;
    let url = format!(
        "{}/calendar/{token}.ics",
        s.store.notify_settings().public_url.trim_end_matches('/')
    );
    Ok((
        StatusCode::CREATED,
        axum::Json(NewCalendarFeed { feed, url }),
    ))
}

/// Revokes the caller's calendar feed: its URL answers 404 from now on.
#[utoipa::path(delete, path = "/api/v1/calendar-feed", tag = "cadence",
    responses((status = 200, body = CalendarFeed), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn revoke_feed(State(s): State<AppState>, who: ApiUser) -> Answer<CalendarFeed> {
    Ok(axum::Json(
        s.store.revoke_calendar_feed(&who.actor()).await?,
    ))
}
