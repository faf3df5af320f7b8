//! `/api/v1/business-plans`: joint business plans, their signatures, versions and diffs,
//! attainment from live data, reviews, and the tasks their next steps became.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::business_plan::attainment::Attainment;
use partnerops_core::business_plan::cadence::ReviewDue;
use partnerops_core::business_plan::record::{
    BusinessPlan, PlanChange, PlanInput, PlanReview, PlanStatus, PlanTask, PlanTaskPatch,
    PlanVersion, ReviewInput,
};
use partnerops_core::ids::parse_id;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::{FieldError, Invalid};
use partnerops_store::Store;
use partnerops_store::business_plan::PlanFilter;
use serde::Deserialize;

use super::{AuditQuery, Tagged, TaggedAnswer, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filters for the plan list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    pub partner_id: Option<String>,
    /// draft or agreed.
    pub status: Option<String>,
}

/// Lists joint business plans (a partner: its own).
#[utoipa::path(get, path = "/api/v1/business-plans", tag = "business plans", params(PlanQuery, PageParams),
    responses((status = 200, body = Page<BusinessPlan>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<PlanQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<BusinessPlan>> {
    let mut inv = Invalid::new();
    let f = PlanFilter {
        partner_id: filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id),
        status: filter(&mut inv, "status", q.status.as_deref(), PlanStatus::parse),
    };
    let (page, f) = both(
        PageRequest::parse(&p, &Store::business_plan_sorts()),
        inv.finish(|| Some(f)),
    )?;
    Ok(axum::Json(
        s.store.business_plans(who.scope(), &f, &page).await?,
    ))
}

/// Drafts a plan for a partner (channel staff, or the partner's own users for itself).
#[utoipa::path(post, path = "/api/v1/business-plans", tag = "business plans", request_body = PlanInput,
    responses((status = 201, body = BusinessPlan), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<PlanInput>,
) -> Result<(StatusCode, axum::Json<BusinessPlan>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_business_plan(&who.actor(), &input).await?),
    ))
}

/// One plan with its current version.
#[utoipa::path(get, path = "/api/v1/business-plans/{id}", tag = "business plans", params(("id" = String, Path)),
    responses((status = 200, body = BusinessPlan), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<BusinessPlan> {
    Ok(Tagged(s.store.business_plan(who.scope(), &id).await?))
}

/// Edits a draft in place (its signatures are cleared); an agreed plan is amended instead.
#[utoipa::path(patch, path = "/api/v1/business-plans/{id}", tag = "business plans", params(("id" = String, Path), IfMatch), request_body = PlanChange,
    responses((status = 200, body = BusinessPlan), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(change): Json<PlanChange>,
) -> TaggedAnswer<BusinessPlan> {
    Ok(Tagged(
        s.store
            .update_business_plan_if(&who.actor(), &id, &change, &if_match.0)
            .await?,
    ))
}

/// Signs for the caller's side: channel staff for the vendor, the partner's admin for the
/// partner. Both signatures make the version agreed.
#[utoipa::path(post, path = "/api/v1/business-plans/{id}/sign", tag = "business plans", params(("id" = String, Path)),
    responses((status = 200, body = BusinessPlan), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn sign(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<BusinessPlan> {
    Ok(axum::Json(
        s.store.sign_business_plan(&who.actor(), &id).await?,
    ))
}

/// Amends an agreed plan: a new version with a change note, signed again by both sides.
#[utoipa::path(post, path = "/api/v1/business-plans/{id}/amend", tag = "business plans", params(("id" = String, Path)), request_body = PlanChange,
    responses((status = 200, body = BusinessPlan), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn amend(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(change): Json<PlanChange>,
) -> Answer<BusinessPlan> {
    Ok(axum::Json(
        s.store
            .amend_business_plan(&who.actor(), &id, &change)
            .await?,
    ))
}

/// Every version of the plan, oldest first.
#[utoipa::path(get, path = "/api/v1/business-plans/{id}/versions", tag = "business plans", params(("id" = String, Path)),
    responses((status = 200, body = Vec<PlanVersion>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn versions(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<PlanVersion>> {
    Ok(axum::Json(
        s.store.business_plan_versions(who.scope(), &id).await?,
    ))
}

/// The two versions to compare.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// A version number (default 1).
    pub from: Option<String>,
    /// A version number (default the current one).
    pub to: Option<String>,
}

fn version_number(field: &str, raw: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| {
            FieldError::new(
                field,
                "version",
                format!("{field} must be a version number (1 or more)"),
            )
        })
}

/// What changed between two versions, one sentence per change.
#[utoipa::path(get, path = "/api/v1/business-plans/{id}/diff", tag = "business plans", params(("id" = String, Path), DiffQuery),
    responses((status = 200, body = Vec<String>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn diff(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Answer<Vec<String>> {
    let mut inv = Invalid::new();
    let from = filter(&mut inv, "from", q.from.as_deref(), version_number).unwrap_or(1);
    let to = filter(&mut inv, "to", q.to.as_deref(), version_number);
    inv.finish(|| Some(()))?;
    let to = match to {
        Some(v) => v,
        None => s.store.business_plan(who.scope(), &id).await?.version,
    };
    Ok(axum::Json(
        s.store
            .business_plan_diff(who.scope(), &id, from, to)
            .await?,
    ))
}

/// Attainment from live data: won and pipeline sourced ARR against each quarter's
/// milestone with drift, activities against commitments, target accounts covered.
#[utoipa::path(get, path = "/api/v1/business-plans/{id}/attainment", tag = "business plans", params(("id" = String, Path)),
    responses((status = 200, body = Attainment), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn attainment(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Attainment> {
    Ok(axum::Json(
        s.store.business_plan_attainment(who.scope(), &id).await?,
    ))
}

/// The recorded reviews, newest first.
#[utoipa::path(get, path = "/api/v1/business-plans/{id}/reviews", tag = "business plans", params(("id" = String, Path)),
    responses((status = 200, body = Vec<PlanReview>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn reviews(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<PlanReview>> {
    Ok(axum::Json(s.store.plan_reviews(who.scope(), &id).await?))
}

/// Records a review: when, who from both sides, notes, decisions and next steps. Each next
/// step becomes a plan task for `next_step_owner_id` (default: the caller), due on
/// `next_steps_due_on` (default: two weeks after the review), and its owner is notified.
#[utoipa::path(post, path = "/api/v1/business-plans/{id}/reviews", tag = "business plans", params(("id" = String, Path)), request_body = ReviewInput,
    responses((status = 201, body = PlanReview), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn record_review(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ReviewInput>,
) -> Result<(StatusCode, axum::Json<PlanReview>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(
            s.store
                .record_plan_review(&who.actor(), &id, &input)
                .await?,
        ),
    ))
}

/// The next review of each kind the plan's cadence asks for, overdue when missed.
#[utoipa::path(get, path = "/api/v1/business-plans/{id}/reviews-due", tag = "business plans", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ReviewDue>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn reviews_due(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<ReviewDue>> {
    Ok(axum::Json(
        s.store.plan_reviews_due(who.scope(), &id).await?,
    ))
}

/// The plan's tasks (the next steps of its reviews): open ones first, by due date.
#[utoipa::path(get, path = "/api/v1/business-plans/{id}/tasks", tag = "business plans", params(("id" = String, Path)),
    responses((status = 200, body = Vec<PlanTask>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn tasks(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<PlanTask>> {
    Ok(axum::Json(s.store.plan_tasks(who.scope(), &id).await?))
}

/// Marks a plan task done, or open again: anyone who may see the plan.
#[utoipa::path(patch, path = "/api/v1/plan-tasks/{id}", tag = "business plans", params(("id" = String, Path), IfMatch), request_body = PlanTaskPatch,
    responses((status = 200, body = PlanTask), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_task(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(patch): Json<PlanTaskPatch>,
) -> TaggedAnswer<PlanTask> {
    Ok(Tagged(
        s.store
            .update_plan_task(&who.actor(), &id, &patch, &if_match.0)
            .await?,
    ))
}

/// The audit trail of a plan.
#[utoipa::path(get, path = "/api/v1/business-plans/{id}/audit", tag = "business plans", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::BusinessPlan, &id, p).await
}
