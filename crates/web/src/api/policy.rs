//! Program policy: the policy document of a program (`/api/v1/programs/{id}/policy…`), its
//! versions, differences and what-if replay, drafts for the advisory council
//! (`/api/v1/policy-drafts`), checking a document (`/api/v1/policy/validate`), and the
//! registration settings published as policy versions
//! (`/api/v1/programs/{id}/registration-policy`). Applications, onboarding and governance
//! live in `lifecycle`; programs and tiers themselves in `program`.
use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::policy::record::{DraftStatus, PolicyDiff, PolicyDraft, PolicyVersion};
use partnerops_core::policy::simulate::SimulationReport;
use partnerops_core::registration::policy::RegistrationPolicy;
use partnerops_store::Store;
use serde::{Deserialize, Serialize};

use super::{Tagged, TaggedAnswer};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;
type Created<T> = Result<(StatusCode, axum::Json<T>), ApiError>;

/// A policy document to check, simulate or publish.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// The whole policy as TOML.
    #[schema(required = true, nullable = false)]
    pub document: Option<String>,
    /// Why it changes (required to publish or draft).
    #[schema(nullable = false)]
    pub change_note: Option<String>,
}

impl PolicyInput {
    fn document(&self) -> Result<&str, Invalid> {
        self.document
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .ok_or_else(|| {
                Invalid::one(
                    "document",
                    "required",
                    "document is required: the policy as TOML",
                )
            })
    }
}

/// The result of checking a document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Validation {
    pub valid: bool,
    /// Advice that does not block publishing.
    pub warnings: Vec<String>,
}

/// The policy in force for a program, with its TOML document and version.
#[utoipa::path(get, path = "/api/v1/programs/{id}/policy", tag = "policy", params(("id" = String, Path)),
    responses((status = 200, body = PolicyVersion), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn policy(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<PolicyVersion> {
    Ok(Tagged(s.store.program_policy(who.scope(), &id).await?))
}

/// Publishes a policy document as the program's next version (tiers follow its ladder).
#[utoipa::path(put, path = "/api/v1/programs/{id}/policy", tag = "policy", params(("id" = String, Path), IfMatch), request_body = PolicyInput,
    responses((status = 200, body = PolicyVersion), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn publish(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<PolicyInput>,
) -> TaggedAnswer<PolicyVersion> {
    let document = input.document()?;
    let note = input.change_note.as_deref().unwrap_or("");
    Ok(Tagged(
        s.store
            .publish_policy(&who.actor(), &id, document, note, &if_match.0)
            .await?,
    ))
}

/// Every published version, newest first.
#[utoipa::path(get, path = "/api/v1/programs/{id}/policy/versions", tag = "policy", params(("id" = String, Path)),
    responses((status = 200, body = Vec<PolicyVersion>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn versions(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<PolicyVersion>> {
    Ok(axum::Json(s.store.policy_history(who.scope(), &id).await?))
}

/// One published version.
#[utoipa::path(get, path = "/api/v1/programs/{id}/policy/versions/{version}", tag = "policy", params(("id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = PolicyVersion), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn version(
    State(s): State<AppState>,
    who: ApiUser,
    Path((id, version)): Path<(String, i64)>,
) -> Answer<PolicyVersion> {
    Ok(axum::Json(
        s.store.policy_version(who.scope(), &id, version).await?,
    ))
}

/// The two versions to compare.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// Older version (default: the one before `to`).
    from: Option<i64>,
    /// Newer version (default: the one in force).
    to: Option<i64>,
}

/// What changed between two versions, key by key.
#[utoipa::path(get, path = "/api/v1/programs/{id}/policy/diff", tag = "policy", params(("id" = String, Path), DiffQuery),
    responses((status = 200, body = PolicyDiff), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn diff(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Answer<PolicyDiff> {
    let to = match q.to {
        Some(v) => v,
        None => s.store.program_policy(who.scope(), &id).await?.version,
    };
    let from = q.from.unwrap_or(to.saturating_sub(1).max(1));
    Ok(axum::Json(
        s.store.policy_diff(who.scope(), &id, from, to).await?,
    ))
}

/// How far back the economics what-if looks.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimulateQuery {
    /// Months of paid deals to replay under the draft's incentives (1 to 60, default 12).
    pub months: Option<u32>,
}

/// Replays the program's recorded history under a draft and lists every outcome that would
/// change (tiers, downgrades, sunsets, expiries, SLA marks), and what the paid deals of the
/// last `months` months would have earned under its incentives. Writes nothing.
#[utoipa::path(post, path = "/api/v1/programs/{id}/policy/simulate", tag = "policy", params(("id" = String, Path), SimulateQuery), request_body = PolicyInput,
    responses((status = 200, body = SimulationReport), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn simulate(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<SimulateQuery>,
    Json(input): Json<PolicyInput>,
) -> Answer<SimulationReport> {
    let months = q.months.unwrap_or(12);
    if !(1..=partnerops_store::payout::whatif::MAX_MONTHS).contains(&months) {
        return Err(partnerops_core::Invalid::one(
            "months",
            "range",
            format!(
                "months must be 1 to {}",
                partnerops_store::payout::whatif::MAX_MONTHS
            ),
        )
        .into());
    }
    Ok(axum::Json(
        s.store
            .simulate_policy_over(who.scope(), &id, input.document()?, months)
            .await?,
    ))
}

/// Checks a policy document: valid with warnings, or a 422 naming every wrong key.
#[utoipa::path(post, path = "/api/v1/policy/validate", tag = "policy", request_body = PolicyInput,
    responses((status = 200, body = Validation), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn validate(_who: ApiUser, Json(input): Json<PolicyInput>) -> Answer<Validation> {
    let warnings = Store::validate_policy(input.document()?)?;
    Ok(axum::Json(Validation {
        valid: true,
        warnings,
    }))
}

/// Drafts of a program's next policy (staff: all; council members: those shared with them).
#[utoipa::path(get, path = "/api/v1/programs/{id}/policy/drafts", tag = "policy", params(("id" = String, Path)),
    responses((status = 200, body = Vec<PolicyDraft>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn drafts(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<PolicyDraft>> {
    Ok(axum::Json(s.store.policy_drafts(who.scope(), &id).await?))
}

/// Saves a draft of the next version, to share with the advisory council before publishing.
#[utoipa::path(post, path = "/api/v1/programs/{id}/policy/drafts", tag = "policy", params(("id" = String, Path)), request_body = PolicyInput,
    responses((status = 201, body = PolicyDraft), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_draft(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<PolicyInput>,
) -> Created<PolicyDraft> {
    let draft = s
        .store
        .create_policy_draft(
            &who.actor(),
            &id,
            input.document()?,
            input.change_note.as_deref().unwrap_or(""),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(draft)))
}

/// One draft, with its changes, warnings and the council's comments.
#[utoipa::path(get, path = "/api/v1/policy-drafts/{id}", tag = "policy", params(("id" = String, Path)),
    responses((status = 200, body = PolicyDraft), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn draft(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<PolicyDraft> {
    Ok(axum::Json(s.store.policy_draft(who.scope(), &id).await?))
}

macro_rules! draft_step {
    ($name:ident, $path:literal, $status:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "policy", params(("id" = String, Path)),
            responses((status = 200, body = PolicyDraft), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
        pub async fn $name(State(s): State<AppState>, who: ApiUser, Path(id): Path<String>) -> Answer<PolicyDraft> {
            Ok(axum::Json(s.store.set_draft_status(&who.actor(), &id, $status).await?))
        }
    };
}

draft_step!(
    share_draft,
    "/api/v1/policy-drafts/{id}/share",
    DraftStatus::Shared,
    "Shares a draft with the program's advisory council for comment."
);
draft_step!(
    publish_draft,
    "/api/v1/policy-drafts/{id}/publish",
    DraftStatus::Published,
    "Publishes a draft as the next policy version."
);
draft_step!(
    discard_draft,
    "/api/v1/policy-drafts/{id}/discard",
    DraftStatus::Discarded,
    "Discards a draft."
);

/// A comment on a draft.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: Option<String>,
}

/// Comments on a shared draft (staff, or the admin of a council member).
#[utoipa::path(post, path = "/api/v1/policy-drafts/{id}/comments", tag = "policy", params(("id" = String, Path)), request_body = CommentBody,
    responses((status = 201, body = PolicyDraft), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn comment_draft(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<CommentBody>,
) -> Created<PolicyDraft> {
    let draft = s
        .store
        .comment_on_draft(&who.actor(), &id, input.body.as_deref().unwrap_or(""))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(draft)))
}

/// The registration policy in force for a program (validity, renewals, SLA, conflict
/// calendar and escalation path, auto-approval), with its version.
#[utoipa::path(get, path = "/api/v1/programs/{id}/registration-policy", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = RegistrationPolicy), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn registration_policy(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<RegistrationPolicy> {
    Ok(Tagged(s.store.registration_policy(who.scope(), &id).await?))
}

/// Publishes new registration settings as the next policy version; keys left out take the
/// seed defaults.
#[utoipa::path(put, path = "/api/v1/programs/{id}/registration-policy", tag = "programs", params(("id" = String, Path), IfMatch), request_body = RegistrationPolicy,
    responses((status = 200, body = RegistrationPolicy), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_registration_policy(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(policy): Json<RegistrationPolicy>,
) -> TaggedAnswer<RegistrationPolicy> {
    Ok(Tagged(
        s.store
            .set_registration_policy(&who.actor(), &id, policy, &if_match.0)
            .await?,
    ))
}
