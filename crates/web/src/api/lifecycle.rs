//! The partner lifecycle (`/api/v1/applications`, `/api/v1/invitations`, onboarding and tier
//! standing of a partner) and governance (council, first cohort, activation report). Policy
//! documents and drafts live in `policy`.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::audit::EntityKind;
use partnerops_core::lifecycle::application::{Application, ApplicationInput, ApplicationStatus};
use partnerops_core::lifecycle::record::{
    ActivationReport, Approval, Cohort, Council, Onboarding, TierStanding,
};
use partnerops_core::registration::record::DecisionRecord;
use partnerops_core::user::User;
use partnerops_store::lifecycle::application::ApplicationFilter;
use serde::Deserialize;

use super::filter;
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;
type Created<T> = Result<(StatusCode, axum::Json<T>), ApiError>;

// ---- applications ----

/// Applies to a program (public: no sign-in). The application is scored on arrival.
#[utoipa::path(post, path = "/api/v1/applications", tag = "lifecycle", request_body = ApplicationInput,
    responses((status = 201, body = Application), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn apply(
    State(s): State<AppState>,
    Json(input): Json<ApplicationInput>,
) -> Created<Application> {
    let app = s.store.submit_application(&input).await?;
    Ok((StatusCode::CREATED, axum::Json(app)))
}

/// Filters for the application queue.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    program_id: Option<String>,
    /// submitted, approved or declined.
    status: Option<String>,
}

/// The application queue, newest first (staff; a partner sees the one it joined through).
#[utoipa::path(get, path = "/api/v1/applications", tag = "lifecycle", params(ApplicationQuery),
    responses((status = 200, body = Vec<Application>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn applications(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<ApplicationQuery>,
) -> Answer<Vec<Application>> {
    let mut inv = Invalid::new();
    let status = filter(
        &mut inv,
        "status",
        q.status.as_deref(),
        ApplicationStatus::parse,
    );
    inv.finish(|| Some(()))?;
    let f = ApplicationFilter {
        program_id: q.program_id,
        status,
    };
    Ok(axum::Json(s.store.applications(who.scope(), &f).await?))
}

/// One application with its fit score and the features that drove it.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "lifecycle", params(("id" = String, Path)),
    responses((status = 200, body = Application), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn application(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Application> {
    Ok(axum::Json(s.store.application(who.scope(), &id).await?))
}

/// Scores an application again against today's partners.
#[utoipa::path(post, path = "/api/v1/applications/{id}/rescore", tag = "lifecycle", params(("id" = String, Path)),
    responses((status = 200, body = Application), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn rescore(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Application> {
    Ok(axum::Json(
        s.store.rescore_application(&who.actor(), &id).await?,
    ))
}

/// A decision's note.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    pub note: Option<String>,
}

/// Approves an application: creates the partner (onboarding, entry tier), invites its admin
/// (the one-time `invitation_token` is returned once) and starts the onboarding checklist.
#[utoipa::path(post, path = "/api/v1/applications/{id}/approve", tag = "lifecycle", params(("id" = String, Path)), request_body = NoteInput,
    responses((status = 201, body = Approval), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn approve(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<NoteInput>,
) -> Created<Approval> {
    let approval = s
        .store
        .approve_application(&who.actor(), &id, input.note.as_deref())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(approval)))
}

/// Declines an application; the note (required) says why.
#[utoipa::path(post, path = "/api/v1/applications/{id}/decline", tag = "lifecycle", params(("id" = String, Path)), request_body = NoteInput,
    responses((status = 200, body = Application), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn decline(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<NoteInput>,
) -> Answer<Application> {
    Ok(axum::Json(
        s.store
            .decline_application(&who.actor(), &id, input.note.as_deref().unwrap_or(""))
            .await?,
    ))
}

/// An invitation link's token and the new password.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub token: Option<String>,
    pub password: Option<String>,
}

/// Sets an invited user's password (public: the token is the credential).
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "lifecycle", request_body = AcceptInvitation,
    responses((status = 200, body = User), (status = 422, body = Problem)))]
pub async fn accept_invitation(
    State(s): State<AppState>,
    Json(input): Json<AcceptInvitation>,
) -> Answer<User> {
    let token = input.token.as_deref().unwrap_or("");
    Ok(axum::Json(
        s.store
            .accept_invitation(token, input.password.as_deref().unwrap_or(""))
            .await?,
    ))
}

// ---- a partner's onboarding and tier ----

/// A partner's onboarding checklist and activation time.
#[utoipa::path(get, path = "/api/v1/partners/{id}/onboarding", tag = "lifecycle", params(("id" = String, Path)),
    responses((status = 200, body = Onboarding), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn onboarding(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Onboarding> {
    Ok(axum::Json(s.store.onboarding(who.scope(), &id).await?))
}

/// Ticks or unticks a checklist item.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TickInput {
    /// Default true.
    pub done: Option<bool>,
}

/// Ticks an item people tick (items with a signal tick themselves).
#[utoipa::path(post, path = "/api/v1/partners/{id}/onboarding/{key}", tag = "lifecycle", params(("id" = String, Path), ("key" = String, Path)), request_body = TickInput,
    responses((status = 200, body = Onboarding), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn tick(
    State(s): State<AppState>,
    who: ApiUser,
    Path((id, key)): Path<(String, String)>,
    Json(input): Json<TickInput>,
) -> Answer<Onboarding> {
    Ok(axum::Json(
        s.store
            .tick_onboarding(&who.actor(), &id, &key, input.done.unwrap_or(true))
            .await?,
    ))
}

/// Where a partner stands on the ladder from live data, and what the next tier needs.
#[utoipa::path(get, path = "/api/v1/partners/{id}/tier-standing", tag = "lifecycle", params(("id" = String, Path)),
    responses((status = 200, body = TierStanding), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn tier_standing(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<TierStanding> {
    Ok(axum::Json(s.store.tier_standing(who.scope(), &id).await?))
}

/// The decisions about a partner (tier evaluations, annual reviews, sunsets), oldest first.
#[utoipa::path(get, path = "/api/v1/partners/{id}/decisions", tag = "lifecycle", params(("id" = String, Path)),
    responses((status = 200, body = Vec<DecisionRecord>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn partner_decisions(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<DecisionRecord>> {
    s.store.partner(who.scope(), &id).await?;
    Ok(axum::Json(
        s.store
            .decisions(who.scope(), EntityKind::Partner, &id)
            .await?,
    ))
}

// ---- governance ----

/// Activation time (agreement signed → first won deal) per partner and per joining cohort.
#[utoipa::path(get, path = "/api/v1/programs/{id}/activation", tag = "lifecycle", params(("id" = String, Path)),
    responses((status = 200, body = ActivationReport), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn activation(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<ActivationReport> {
    Ok(axum::Json(
        s.store.activation_report(who.scope(), &id).await?,
    ))
}

/// The program's advisory council: members, meetings, size warnings.
#[utoipa::path(get, path = "/api/v1/programs/{id}/council", tag = "governance", params(("id" = String, Path)),
    responses((status = 200, body = Council), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn council(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Council> {
    Ok(axum::Json(s.store.council(who.scope(), &id).await?))
}

/// Seats a partner of the program on the council.
#[utoipa::path(put, path = "/api/v1/programs/{id}/council/members/{partner_id}", tag = "governance", params(("id" = String, Path), ("partner_id" = String, Path)),
    responses((status = 200, body = Council), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn add_member(
    State(s): State<AppState>,
    who: ApiUser,
    Path((id, partner)): Path<(String, String)>,
) -> Answer<Council> {
    Ok(axum::Json(
        s.store
            .set_council_member(&who.actor(), &id, &partner, true)
            .await?,
    ))
}

/// Removes a partner from the council.
#[utoipa::path(delete, path = "/api/v1/programs/{id}/council/members/{partner_id}", tag = "governance", params(("id" = String, Path), ("partner_id" = String, Path)),
    responses((status = 200, body = Council), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn remove_member(
    State(s): State<AppState>,
    who: ApiUser,
    Path((id, partner)): Path<(String, String)>,
) -> Answer<Council> {
    Ok(axum::Json(
        s.store
            .set_council_member(&who.actor(), &id, &partner, false)
            .await?,
    ))
}

/// A council meeting that took place.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    /// `YYYY-MM-DD`.
    pub held_on: Option<String>,
    pub notes: Option<String>,
}

/// Records a council meeting with its notes.
#[utoipa::path(post, path = "/api/v1/programs/{id}/council/meetings", tag = "governance", params(("id" = String, Path)), request_body = MeetingInput,
    responses((status = 201, body = Council), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn record_meeting(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<MeetingInput>,
) -> Created<Council> {
    let council = s
        .store
        .record_council_meeting(
            &who.actor(),
            &id,
            input.held_on.as_deref().unwrap_or(""),
            input.notes.as_deref().unwrap_or(""),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(council)))
}

/// The program's first cohort.
#[utoipa::path(get, path = "/api/v1/programs/{id}/cohort", tag = "governance", params(("id" = String, Path)),
    responses((status = 200, body = Cohort), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn cohort(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Cohort> {
    Ok(axum::Json(s.store.cohort(who.scope(), &id).await?))
}

/// The partners of the first cohort.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchInput {
    pub partner_ids: Option<Vec<String>>,
}

/// Launches the program with its first cohort (warns outside the policy's 5–10).
#[utoipa::path(post, path = "/api/v1/programs/{id}/launch", tag = "governance", params(("id" = String, Path)), request_body = LaunchInput,
    responses((status = 200, body = Cohort), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn launch(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<LaunchInput>,
) -> Answer<Cohort> {
    Ok(axum::Json(
        s.store
            .launch_program(
                &who.actor(),
                &id,
                input.partner_ids.as_deref().unwrap_or_default(),
            )
            .await?,
    ))
}
