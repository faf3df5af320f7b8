//! Co-marketing launch checklists: templates of a program (the built-in seed checklist as
//! a starting point), launches of a partnership charter or a campaign, task updates and
//! rescheduling.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::ids::parse_id;
use partnerops_core::launch::record::{
    Launch, LaunchTask, LaunchTemplate, LaunchTemplateInput, RescheduleInput, SeedTemplateInput,
    StartLaunchInput, TaskUpdateInput,
};
use partnerops_core::page::{Page, PageParams};
use partnerops_store::launch::LaunchFilter;
use serde::Deserialize;

use super::{AuditQuery, Tagged, TaggedAnswer, audit_page, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

fn flag(inv: &mut Invalid, field: &str, raw: Option<&str>) -> bool {
    match raw.map(str::trim) {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(_) => {
            inv.add(field, "one_of", format!("{field} must be true or false"));
            false
        }
    }
}

/// Filter of the template list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    pub program_id: Option<String>,
    /// `true`: archived templates too (staff).
    pub archived: Option<String>,
}

/// Launch checklist templates (a partner: the live ones of its program).
#[utoipa::path(get, path = "/api/v1/launch-templates", tag = "launches", params(TemplateQuery),
    responses((status = 200, body = Vec<LaunchTemplate>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn templates(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<TemplateQuery>,
) -> Answer<Vec<LaunchTemplate>> {
    let mut inv = Invalid::new();
    let program = filter(&mut inv, "program_id", q.program_id.as_deref(), parse_id);
    let archived = flag(&mut inv, "archived", q.archived.as_deref());
    if !inv.is_empty() {
        return Err(inv.into());
    }
    Ok(axum::Json(
        s.store
            .launch_templates(who.scope(), program.as_ref(), archived)
            .await?,
    ))
}

/// Author a template: ordered tasks, each with its phase (`pre_launch`, `launch_week`,
/// `post_launch`), title, Markdown detail, due offset in days from the launch date (−42..−1,
/// 0..6, 7..56 by phase) and owner side (`vendor`, `partner`).
#[utoipa::path(post, path = "/api/v1/launch-templates", tag = "launches", request_body = LaunchTemplateInput,
    responses((status = 201, body = LaunchTemplate), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_template(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<LaunchTemplateInput>,
) -> Result<(StatusCode, axum::Json<LaunchTemplate>), ApiError> {
    let t = s.store.create_launch_template(&who.actor(), &input).await?;
    Ok((StatusCode::CREATED, axum::Json(t)))
}

/// Start a program's own editable copy of the built-in seed checklist (pre-launch 4–6
/// weeks before, launch week, post-launch weeks 2–8).
#[utoipa::path(post, path = "/api/v1/launch-templates/seed", tag = "launches", request_body = SeedTemplateInput,
    responses((status = 201, body = LaunchTemplate), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn seed_template(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<SeedTemplateInput>,
) -> Result<(StatusCode, axum::Json<LaunchTemplate>), ApiError> {
    let t = s
        .store
        .seed_launch_template(&who.actor(), input.program_id.as_deref().unwrap_or(""))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(t)))
}

/// One template.
#[utoipa::path(get, path = "/api/v1/launch-templates/{id}", tag = "launches", params(("id" = String, Path)),
    responses((status = 200, body = LaunchTemplate), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn template(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<LaunchTemplate> {
    Ok(Tagged(s.store.launch_template(who.scope(), &id).await?))
}

/// Change a template (a new version; launches already started keep their tasks). `tasks`,
/// when sent, replaces the whole list.
#[utoipa::path(patch, path = "/api/v1/launch-templates/{id}", tag = "launches", params(("id" = String, Path), IfMatch), request_body = LaunchTemplateInput,
    responses((status = 200, body = LaunchTemplate), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_template(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<LaunchTemplateInput>,
) -> TaggedAnswer<LaunchTemplate> {
    Ok(Tagged(
        s.store
            .update_launch_template_if(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}

/// Archive a template: no new launches from it.
#[utoipa::path(post, path = "/api/v1/launch-templates/{id}/archive", tag = "launches", params(("id" = String, Path)),
    responses((status = 200, body = LaunchTemplate), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn archive_template(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<LaunchTemplate> {
    Ok(axum::Json(
        s.store.archive_launch_template(&who.actor(), &id).await?,
    ))
}

/// Filters of the launch list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LaunchQuery {
    pub partner_id: Option<String>,
    pub charter_id: Option<String>,
    pub campaign_id: Option<String>,
    /// `true`: only launches with an overdue task.
    pub overdue: Option<String>,
}

/// Launches, latest launch date first, with their progress (a partner: its own).
#[utoipa::path(get, path = "/api/v1/launches", tag = "launches", params(LaunchQuery),
    responses((status = 200, body = Vec<Launch>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn launches(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<LaunchQuery>,
) -> Answer<Vec<Launch>> {
    let mut inv = Invalid::new();
    let f = LaunchFilter {
        partner_id: filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id),
        charter_id: filter(&mut inv, "charter_id", q.charter_id.as_deref(), parse_id),
        campaign_id: filter(&mut inv, "campaign_id", q.campaign_id.as_deref(), parse_id),
        overdue: flag(&mut inv, "overdue", q.overdue.as_deref()),
    };
    if !inv.is_empty() {
        return Err(inv.into());
    }
    Ok(axum::Json(s.store.launches(who.scope(), &f).await?))
}

/// Start a launch for a partnership charter or a campaign (exactly one) on a date, from a
/// template of the partner's program or, without `template_id`, the built-in seed checklist.
/// Each task is due on the launch date plus its offset; a weekend moves to the Friday before.
/// A partner's users start launches of their own campaigns; charters' are the vendor's.
#[utoipa::path(post, path = "/api/v1/launches", tag = "launches", request_body = StartLaunchInput,
    responses((status = 201, body = Launch), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn start(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<StartLaunchInput>,
) -> Result<(StatusCode, axum::Json<Launch>), ApiError> {
    let l = s.store.start_launch(&who.actor(), &input).await?;
    Ok((StatusCode::CREATED, axum::Json(l)))
}

/// One launch with its tasks and progress per phase.
#[utoipa::path(get, path = "/api/v1/launches/{id}", tag = "launches", params(("id" = String, Path)),
    responses((status = 200, body = Launch), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn launch(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Launch> {
    Ok(axum::Json(s.store.launch(who.scope(), &id).await?))
}

/// Move a launch to a new date: the due days of tasks still to do move with it; done and
/// skipped tasks keep theirs.
#[utoipa::path(post, path = "/api/v1/launches/{id}/reschedule", tag = "launches", params(("id" = String, Path)), request_body = RescheduleInput,
    responses((status = 200, body = Launch), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn reschedule(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<RescheduleInput>,
) -> Answer<Launch> {
    Ok(axum::Json(
        s.store.reschedule_launch(&who.actor(), &id, &input).await?,
    ))
}

/// The audit trail of a launch (its start and reschedules).
#[utoipa::path(get, path = "/api/v1/launches/{id}/audit", tag = "launches", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::Launch, &id, p).await
}

/// Update a task: its status (`open`, `in_progress`, `done`, `skipped` with a
/// `skip_reason`) and/or its named owner (`owner_id`: a vendor user for a vendor task, a
/// user of the partner for a partner task; `""` clears it). A partner's users update their
/// own side's tasks.
#[utoipa::path(patch, path = "/api/v1/launch-tasks/{id}", tag = "launches", params(("id" = String, Path), IfMatch), request_body = TaskUpdateInput,
    responses((status = 200, body = LaunchTask), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_task(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<TaskUpdateInput>,
) -> TaggedAnswer<LaunchTask> {
    Ok(Tagged(
        s.store
            .update_launch_task(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}
