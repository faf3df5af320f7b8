//! `/api/v1/charters`, `/api/v1/decision-trees` and a technology partner's track
//! (`/api/v1/partners/{id}/track`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::ids::parse_id;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::partnership::record::{
    Charter, CharterInput, CharterPatch, EndInput, GateInput, GateReview, PhaseInput, TreeAnswers,
};
use partnerops_core::partnership::track::{EvaluationInput, TrackPlacement, TrackStanding};
use partnerops_core::partnership::tree::{Evaluation, Tree};
use partnerops_core::registration::record::DecisionRecord;
use partnerops_core::{FieldError, Invalid};
use partnerops_store::Store;
use serde::Deserialize;

use super::{AuditQuery, Tagged, TaggedAnswer, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filters for the charter list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CharterQuery {
    pub partner_id: Option<String>,
}

/// Lists partnership charters (a partner sees its own).
#[utoipa::path(get, path = "/api/v1/charters", tag = "partnerships", params(CharterQuery, PageParams),
    responses((status = 200, body = Page<Charter>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<CharterQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Charter>> {
    let mut inv = Invalid::new();
    let partner = filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id);
    let (page, partner) = both(
        PageRequest::parse(&p, &Store::charter_sorts()),
        inv.finish(|| Some(partner)),
    )?;
    Ok(axum::Json(
        s.store
            .charters(who.scope(), partner.as_ref(), &page)
            .await?,
    ))
}

/// Opens a charter for a partner (vendor staff): an unsigned draft, version 1, with the
/// verdicts (skin in the game, partner story, leverage) computed from its content.
#[utoipa::path(post, path = "/api/v1/charters", tag = "partnerships", request_body = CharterInput,
    responses((status = 201, body = Charter), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<CharterInput>,
) -> Result<(StatusCode, axum::Json<Charter>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_charter(&who.actor(), &input).await?),
    ))
}

/// One charter: current version, signatures, phase and verdicts.
#[utoipa::path(get, path = "/api/v1/charters/{id}", tag = "partnerships", params(("id" = String, Path)),
    responses((status = 200, body = Charter), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<Charter> {
    Ok(Tagged(s.store.charter(who.scope(), &id).await?))
}

/// Edits the current version (both sides may) while it is not signed by both; editing
/// withdraws a one-sided signature. A locked version answers 409 `charter.locked`.
#[utoipa::path(patch, path = "/api/v1/charters/{id}", tag = "partnerships", params(("id" = String, Path), IfMatch), request_body = CharterPatch,
    responses((status = 200, body = Charter), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(patch): Json<CharterPatch>,
) -> TaggedAnswer<Charter> {
    Ok(Tagged(
        s.store
            .update_charter_if(&who.actor(), &id, &patch, &if_match.0)
            .await?,
    ))
}

/// Signs the current version for the caller's side (vendor staff, or the partner's admin).
#[utoipa::path(post, path = "/api/v1/charters/{id}/sign", tag = "partnerships", params(("id" = String, Path)),
    responses((status = 200, body = Charter), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn sign(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Charter> {
    Ok(axum::Json(s.store.sign_charter(&who.actor(), &id).await?))
}

/// Starts an amendment of a locked charter: the next version, unsigned.
#[utoipa::path(post, path = "/api/v1/charters/{id}/amend", tag = "partnerships", params(("id" = String, Path)),
    responses((status = 200, body = Charter), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn amend(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Charter> {
    Ok(axum::Json(s.store.amend_charter(&who.actor(), &id).await?))
}

/// Enters the next phase (crawl, walk, run), in order; past Crawl only when signed and the
/// previous gate passed (refusals are 409 with rule `charter.phase_refused`).
#[utoipa::path(post, path = "/api/v1/charters/{id}/phase", tag = "partnerships", params(("id" = String, Path)), request_body = PhaseInput,
    responses((status = 200, body = Charter), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn phase(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<PhaseInput>,
) -> Answer<Charter> {
    Ok(axum::Json(
        s.store.enter_phase(&who.actor(), &id, &input).await?,
    ))
}

/// The gate reviews of a charter, oldest first.
#[utoipa::path(get, path = "/api/v1/charters/{id}/gate-reviews", tag = "partnerships", params(("id" = String, Path)),
    responses((status = 200, body = Vec<GateReview>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn gate_reviews(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<GateReview>> {
    Ok(axum::Json(s.store.gate_reviews(who.scope(), &id).await?))
}

/// Reviews the current phase's go/no-go gate with measured values; the decision follows
/// the "continue this partnership?" tree, whose path is returned.
#[utoipa::path(post, path = "/api/v1/charters/{id}/gate-reviews", tag = "partnerships", params(("id" = String, Path)), request_body = GateInput,
    responses((status = 201, body = GateReview), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn review_gate(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<GateInput>,
) -> Result<(StatusCode, axum::Json<GateReview>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.review_gate(&who.actor(), &id, &input).await?),
    ))
}

/// Ends the partnership, recording what was learned.
#[utoipa::path(post, path = "/api/v1/charters/{id}/end", tag = "partnerships", params(("id" = String, Path)), request_body = EndInput,
    responses((status = 200, body = Charter), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn end(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<EndInput>,
) -> Answer<Charter> {
    Ok(axum::Json(
        s.store.end_charter(&who.actor(), &id, &input).await?,
    ))
}

/// Every decision about a charter (signed, phases, gates, end) with its reason.
#[utoipa::path(get, path = "/api/v1/charters/{id}/decisions", tag = "partnerships", params(("id" = String, Path)),
    responses((status = 200, body = Vec<DecisionRecord>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn decisions(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<DecisionRecord>> {
    let _ = s.store.charter(who.scope(), &id).await?;
    Ok(axum::Json(
        s.store
            .decisions(who.scope(), EntityKind::Charter, &id)
            .await?,
    ))
}

/// The audit trail of a charter.
#[utoipa::path(get, path = "/api/v1/charters/{id}/audit", tag = "partnerships", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::Charter, &id, p).await
}

/// The operating-model document of a charter, as Markdown (`text/markdown`): joint ICP,
/// buyer and user map, packaged offer, route, deal ownership rules, scorecard, 30-day
/// cadence, the six answers, the value exchange and the phase plan; empty sections called out.
#[utoipa::path(get, path = "/api/v1/charters/{id}/operating-model", tag = "partnerships", params(("id" = String, Path)),
    responses((status = 200, description = "The document in Markdown", content_type = "text/markdown"), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn operating_model(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let md = s.store.operating_model(who.scope(), &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], md))
}

/// The decision trees in force (built-in, or as this installation adjusted them).
#[utoipa::path(get, path = "/api/v1/decision-trees", tag = "partnerships",
    responses((status = 200, body = Vec<Tree>), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn trees(State(s): State<AppState>, who: ApiUser) -> Answer<Vec<Tree>> {
    Ok(axum::Json(s.store.decision_trees(who.scope()).await?))
}

/// Replaces a tree's questions (vendor staff); the tree is validated (unique ids, every
/// branch leads somewhere, no loops).
#[utoipa::path(put, path = "/api/v1/decision-trees/{key}", tag = "partnerships", params(("key" = String, Path)), request_body = Tree,
    responses((status = 200, body = Tree), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_tree(
    State(s): State<AppState>,
    who: ApiUser,
    Path(key): Path<String>,
    Json(tree): Json<Tree>,
) -> Answer<Tree> {
    Ok(axum::Json(
        s.store.set_decision_tree(&who.actor(), &key, &tree).await?,
    ))
}

/// Evaluates a tree with the answers so far (question id → yes/no) and records it: the
/// path taken and the outcome, or the next question to answer.
#[utoipa::path(post, path = "/api/v1/decision-trees/{key}/evaluate", tag = "partnerships", params(("key" = String, Path)), request_body = TreeAnswers,
    responses((status = 200, body = Evaluation), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn evaluate(
    State(s): State<AppState>,
    who: ApiUser,
    Path(key): Path<String>,
    Json(input): Json<TreeAnswers>,
) -> Answer<Evaluation> {
    if key.trim().is_empty() {
        return Err(Invalid {
            errors: vec![FieldError::new("key", "required", "key is required")],
        }
        .into());
    }
    Ok(axum::Json(
        s.store.evaluate_tree(&who.actor(), &key, &input).await?,
    ))
}

/// Where a partner of a technology program stands on the technology track (Integration,
/// Partnership, Strategic) and when its evaluation for Partnership is due.
#[utoipa::path(get, path = "/api/v1/partners/{id}/track", tag = "partnerships", params(("id" = String, Path)),
    responses((status = 200, body = TrackStanding), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn track(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<TrackStanding> {
    Ok(axum::Json(s.store.track_standing(who.scope(), &id).await?))
}

/// Places a technology partner on the track by the answers to the `partner_tier` tree
/// ("which tier?"): the outcome is the tier it starts on. Records the evaluation and a
/// decision citing the path (staff).
#[utoipa::path(post, path = "/api/v1/partners/{id}/track/placement", tag = "partnerships", params(("id" = String, Path)), request_body = TreeAnswers,
    responses((status = 200, body = TrackPlacement), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn place_on_track(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<TreeAnswers>,
) -> Answer<TrackPlacement> {
    Ok(axum::Json(
        s.store.place_on_track(&who.actor(), &id, &input).await?,
    ))
}

/// Decides a self-serve partner's evaluation for Partnership: promote, or keep it
/// self-serve until the next evaluation six months on; the reason is recorded (staff).
#[utoipa::path(post, path = "/api/v1/partners/{id}/track/evaluation", tag = "partnerships", params(("id" = String, Path)), request_body = EvaluationInput,
    responses((status = 200, body = TrackStanding), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn evaluate_on_track(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<EvaluationInput>,
) -> Answer<TrackStanding> {
    Ok(axum::Json(
        s.store.evaluate_on_track(&who.actor(), &id, &input).await?,
    ))
}
