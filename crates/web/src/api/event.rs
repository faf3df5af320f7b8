//! Events: webinars, workshops and conferences (the vendor's for a program, or a partner's
//! own), partner users' RSVPs, check-ins by the host, attendance figures and the attendance
//! list as CSV. Customers reply on the public page (`/events/{slug}`), not through the API.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use partnerops_core::Invalid;
use partnerops_core::event::record::{
    Attendance, EventInput, EventRegistration, EventStatus, ProgramEvent, RsvpInput, attendance_csv,
};
use partnerops_store::event::When;
use serde::Deserialize;

use super::{Tagged, TaggedAnswer};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filter of the event list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// `upcoming` (not over yet) or `past`; default: all.
    pub when: Option<String>,
}

/// Events by start (a partner: its program's published vendor events and its own).
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventQuery),
    responses((status = 200, body = Vec<ProgramEvent>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<EventQuery>,
) -> Answer<Vec<ProgramEvent>> {
    let when = match q.when.as_deref().map(str::trim) {
        None | Some("") => When::All,
        Some("upcoming") => When::Upcoming,
        Some("past") => When::Past,
        Some(_) => {
            return Err(
                Invalid::one("when", "one_of", "when must be one of: upcoming, past").into(),
            );
        }
    };
    Ok(axum::Json(s.store.events(who.scope(), when).await?))
}

/// Create an event, as a draft: vendor staff for a program (or for a partner), a partner's
/// admin for its own partner. The description is Markdown.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = EventInput,
    responses((status = 201, body = ProgramEvent), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<EventInput>,
) -> Result<(StatusCode, axum::Json<ProgramEvent>), ApiError> {
    let e = s.store.create_event(&who.actor(), &input).await?;
    Ok((StatusCode::CREATED, axum::Json(e)))
}

/// One event.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = ProgramEvent), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<ProgramEvent> {
    Ok(Tagged(s.store.event(who.scope(), &id).await?))
}

/// Change an event (its host). A larger capacity promotes from the waitlist; one below the
/// seats taken is refused.
#[utoipa::path(patch, path = "/api/v1/events/{id}", tag = "events", params(("id" = String, Path), IfMatch), request_body = EventInput,
    responses((status = 200, body = ProgramEvent), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<EventInput>,
) -> TaggedAnswer<ProgramEvent> {
    Ok(Tagged(
        s.store
            .update_event_if(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}

async fn set_status(
    s: &AppState,
    who: &ApiUser,
    id: &str,
    to: EventStatus,
) -> Answer<ProgramEvent> {
    Ok(axum::Json(
        s.store.set_event_status(&who.actor(), id, to).await?,
    ))
}

/// Publish an event: it takes replies until its RSVP deadline.
#[utoipa::path(post, path = "/api/v1/events/{id}/publish", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = ProgramEvent), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn publish(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<ProgramEvent> {
    set_status(&s, &who, &id, EventStatus::Published).await
}

/// Cancel an event: no more replies or check-ins; its page says so.
#[utoipa::path(post, path = "/api/v1/events/{id}/cancel", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = ProgramEvent), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn cancel(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<ProgramEvent> {
    set_status(&s, &who, &id, EventStatus::Cancelled).await
}

/// Mark an event that has started as completed (the host may still record attendance).
#[utoipa::path(post, path = "/api/v1/events/{id}/complete", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = ProgramEvent), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn complete(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<ProgramEvent> {
    set_status(&s, &who, &id, EventStatus::Completed).await
}

/// An event's RSVPs in the order they took their place (a partner: its own people's and
/// its own events' customers', never another partner's).
#[utoipa::path(get, path = "/api/v1/events/{id}/rsvps", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = Vec<EventRegistration>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn rsvps(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<EventRegistration>> {
    Ok(axum::Json(s.store.event_rsvps(who.scope(), &id).await?))
}

/// The caller's own reply (partner users): `going` takes a seat, or a place on the waitlist
/// when the event is full; `not_going` frees a held seat for the first on the waitlist.
#[utoipa::path(post, path = "/api/v1/events/{id}/rsvps", tag = "events", params(("id" = String, Path)), request_body = RsvpInput,
    responses((status = 200, body = EventRegistration), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn rsvp(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<RsvpInput>,
) -> Answer<EventRegistration> {
    Ok(axum::Json(s.store.rsvp(&who.actor(), &id, &input).await?))
}

/// An event's attendance: RSVPs, waitlist, checked in and show rate over the replies the
/// caller may see, seats left, and each partner's people and customers.
#[utoipa::path(get, path = "/api/v1/events/{id}/attendance", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = Attendance), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn attendance(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Attendance> {
    Ok(axum::Json(
        s.store.event_attendance(who.scope(), &id).await?,
    ))
}

/// The attendance list as CSV (the replies the caller may see).
#[utoipa::path(get, path = "/api/v1/events/{id}/attendance.csv", tag = "events", params(("id" = String, Path)),
    responses((status = 200, description = "One row per reply", content_type = "text/csv"), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn attendance_export(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let e = s.store.event(who.scope(), &id).await?;
    let list = s.store.event_rsvps(who.scope(), &id).await?;
    super::csv_answer(&format!("attendance-{}", e.id), attendance_csv(&e, &list))
}

/// Check oneself in (partner users, with a going reply) while the event runs: an engagement
/// signal.
#[utoipa::path(post, path = "/api/v1/events/{id}/check-in", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = EventRegistration), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn check_in_self(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<EventRegistration> {
    Ok(axum::Json(s.store.check_in_self(&who.actor(), &id).await?))
}

/// One RSVP.
#[utoipa::path(get, path = "/api/v1/event-rsvps/{id}", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = EventRegistration), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn rsvp_one(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<EventRegistration> {
    Ok(axum::Json(s.store.event_rsvp(who.scope(), &id).await?))
}

/// Check an attendee in (the host's staff): only a going reply, only once, from two hours
/// before the start. A partner user's check-in is an engagement signal.
#[utoipa::path(post, path = "/api/v1/event-rsvps/{id}/check-in", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = EventRegistration), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn check_in(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<EventRegistration> {
    Ok(axum::Json(s.store.check_in(&who.actor(), &id).await?))
}
