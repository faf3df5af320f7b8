//! `/api/v1/programs` and `/api/v1/tiers`.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::program::{Program, ProgramInput, ProgramKind};
use partnerops_core::tier::{Tier, TierInput};
use partnerops_store::Store;
use partnerops_store::program::ProgramFilter;
use serde::Deserialize;

use super::{AuditQuery, Tagged, TaggedAnswer, archived_param, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filters for the program list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgramQuery {
    /// Part of the name.
    q: Option<String>,
    /// reseller, referral, technology, services or marketplace.
    kind: Option<String>,
    /// `false` (default): live only; `true`: archived only; `all`.
    archived: Option<String>,
}

/// Lists programs (vendor staff; partners see none).
#[utoipa::path(get, path = "/api/v1/programs", tag = "programs", params(ProgramQuery, PageParams),
    responses((status = 200, body = Page<Program>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<ProgramQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Program>> {
    let mut inv = Invalid::new();
    let f = ProgramFilter {
        q: q.q.clone(),
        kind: filter(&mut inv, "kind", q.kind.as_deref(), ProgramKind::parse),
        archived: archived_param(&mut inv, q.archived.as_deref()),
    };
    let (page, _) = both(
        PageRequest::parse(&p, &Store::program_sorts()),
        inv.finish(|| Some(())),
    )?;
    Ok(axum::Json(s.store.programs(who.scope(), &f, &page).await?))
}

/// Creates a program with the default tier ladder (Registered, Select, Premier).
#[utoipa::path(post, path = "/api/v1/programs", tag = "programs", request_body = ProgramInput,
    responses((status = 201, body = Program), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<ProgramInput>,
) -> Result<(StatusCode, axum::Json<Program>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_program(&who.actor(), &input).await?),
    ))
}

/// One program.
#[utoipa::path(get, path = "/api/v1/programs/{id}", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = Program), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<Program> {
    Ok(Tagged(s.store.program(who.scope(), &id).await?))
}

/// Changes the fields given; others keep their value.
#[utoipa::path(patch, path = "/api/v1/programs/{id}", tag = "programs", params(("id" = String, Path), IfMatch), request_body = ProgramInput,
    responses((status = 200, body = Program), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<ProgramInput>,
) -> TaggedAnswer<Program> {
    Ok(Tagged(
        s.store
            .update_program_if(&who.actor(), &id, input, &if_match.0)
            .await?,
    ))
}

/// Archives a program (it leaves lists; its history stays).
#[utoipa::path(post, path = "/api/v1/programs/{id}/archive", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = Program), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn archive(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Program> {
    Ok(axum::Json(
        s.store.archive_program(&who.actor(), &id).await?,
    ))
}

/// Restores an archived program.
#[utoipa::path(post, path = "/api/v1/programs/{id}/restore", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = Program), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn restore(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Program> {
    Ok(axum::Json(
        s.store.restore_program(&who.actor(), &id).await?,
    ))
}

/// The audit trail of a program.
#[utoipa::path(get, path = "/api/v1/programs/{id}/audit", tag = "programs", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::Program, &id, p).await
}

/// Filters for a tier list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TierQuery {
    /// `false` (default): live only; `true`: archived only; `all`.
    archived: Option<String>,
}

/// The tier ladder of a program (partners: their own program only).
#[utoipa::path(get, path = "/api/v1/programs/{id}/tiers", tag = "tiers", params(("id" = String, Path), TierQuery, PageParams),
    responses((status = 200, body = Page<Tier>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list_tiers(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<TierQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Tier>> {
    let mut inv = Invalid::new();
    let archived = archived_param(&mut inv, q.archived.as_deref());
    let (page, _) = both(
        PageRequest::parse(&p, &Store::tier_sorts()),
        inv.finish(|| Some(())),
    )?;
    Ok(axum::Json(
        s.store.tiers(who.scope(), &id, archived, &page).await?,
    ))
}

/// Adds a tier to a program's ladder.
#[utoipa::path(post, path = "/api/v1/programs/{id}/tiers", tag = "tiers", params(("id" = String, Path)), request_body = TierInput,
    responses((status = 201, body = Tier), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_tier(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<TierInput>,
) -> Result<(StatusCode, axum::Json<Tier>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_tier(&who.actor(), &id, &input).await?),
    ))
}

/// One tier.
#[utoipa::path(get, path = "/api/v1/tiers/{id}", tag = "tiers", params(("id" = String, Path)),
    responses((status = 200, body = Tier), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_tier(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<Tier> {
    Ok(Tagged(s.store.tier(who.scope(), &id).await?))
}

/// Changes a tier (name, rank, description, benefits).
#[utoipa::path(patch, path = "/api/v1/tiers/{id}", tag = "tiers", params(("id" = String, Path), IfMatch), request_body = TierInput,
    responses((status = 200, body = Tier), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_tier(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<TierInput>,
) -> TaggedAnswer<Tier> {
    Ok(Tagged(
        s.store
            .update_tier_if(&who.actor(), &id, input, &if_match.0)
            .await?,
    ))
}

/// Archives a tier no live partner is on.
#[utoipa::path(post, path = "/api/v1/tiers/{id}/archive", tag = "tiers", params(("id" = String, Path)),
    responses((status = 200, body = Tier), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn archive_tier(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Tier> {
    Ok(axum::Json(s.store.archive_tier(&who.actor(), &id).await?))
}

/// Restores an archived tier.
#[utoipa::path(post, path = "/api/v1/tiers/{id}/restore", tag = "tiers", params(("id" = String, Path)),
    responses((status = 200, body = Tier), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn restore_tier(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Tier> {
    Ok(axum::Json(s.store.restore_tier(&who.actor(), &id).await?))
}

/// The audit trail of a tier.
#[utoipa::path(get, path = "/api/v1/tiers/{id}/audit", tag = "tiers", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn tier_audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::Tier, &id, p).await
}
