//! Account mapping: a partnership between the vendor and one partner (dual opt-in: each
//! side accepts; either ends it, which deletes the partner's uploaded data), each side's
//! sharing per population, the partner's CRM export (the request body, `text/csv`, read by
//! the import machinery's reader: all rows or none), the overlap matrix, a cell's rows only
//! where both sides share, matches to confirm (vendor staff) and co-sell suggestions.
//! Nothing of a row that matched nothing on the other side is ever answered to the other
//! side.

use std::io::Read;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::import::{ImportMapping, ImportSource};
use partnerops_core::mapping::overlap::Matrix;
use partnerops_core::mapping::record::{
    CoSellSuggestion, MappingDecisionInput, MappingIntro, MappingIntroAnswer, MappingIntroInput,
    MappingMatch, MappingPartnership, MappingProposalInput, MappingSettingsInput,
    MappingUploadResult, OverlapRow,
};
use partnerops_core::mapping::upload::parse_upload_mapping;
use partnerops_core::mapping::{MatchState, Population};
use partnerops_core::page::{Page, PageParams};
use partnerops_store::mapping::MappingUploadRequest;
use serde::Deserialize;

use super::import::BodyReader;
use super::{AuditQuery, audit_page, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Mapping partnerships (a partner: its own), live ones first.
#[utoipa::path(get, path = "/api/v1/mapping/partnerships", tag = "mapping",
    responses((status = 200, body = Vec<MappingPartnership>), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn list(State(s): State<AppState>, who: ApiUser) -> Answer<Vec<MappingPartnership>> {
    Ok(axum::Json(s.store.mapping_partnerships(who.scope()).await?))
}

/// Propose a mapping partnership (vendor administrators name the partner; a partner's
/// admin proposes for its own partner). The proposer's side accepts at once; it is active
/// when the other side accepts too.
#[utoipa::path(post, path = "/api/v1/mapping/partnerships", tag = "mapping", request_body = MappingProposalInput,
    responses((status = 201, body = MappingPartnership), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn propose(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<MappingProposalInput>,
) -> Result<(StatusCode, axum::Json<MappingPartnership>), ApiError> {
    let m = s.store.propose_mapping(&who.actor(), &input).await?;
    Ok((StatusCode::CREATED, axum::Json(m)))
}

/// One mapping partnership.
#[utoipa::path(get, path = "/api/v1/mapping/partnerships/{id}", tag = "mapping", params(("id" = String, Path)),
    responses((status = 200, body = MappingPartnership), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn one(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<MappingPartnership> {
    Ok(axum::Json(
        s.store.mapping_partnership(who.scope(), &id).await?,
    ))
}

/// The caller's side accepts (opts in).
#[utoipa::path(post, path = "/api/v1/mapping/partnerships/{id}/accept", tag = "mapping", params(("id" = String, Path)),
    responses((status = 200, body = MappingPartnership), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn accept(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<MappingPartnership> {
    Ok(axum::Json(s.store.accept_mapping(&who.actor(), &id).await?))
}

/// End the partnership (either side); the partner's uploaded data is deleted.
#[utoipa::path(post, path = "/api/v1/mapping/partnerships/{id}/end", tag = "mapping", params(("id" = String, Path)),
    responses((status = 200, body = MappingPartnership), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn end(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<MappingPartnership> {
    Ok(axum::Json(s.store.end_mapping(&who.actor(), &id).await?))
}

/// Set what the caller's side shares per population (no field: counts only) and, vendor
/// staff, the matching threshold and floor.
#[utoipa::path(put, path = "/api/v1/mapping/partnerships/{id}/settings", tag = "mapping", params(("id" = String, Path)), request_body = MappingSettingsInput,
    responses((status = 200, body = MappingPartnership), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn settings(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<MappingSettingsInput>,
) -> Answer<MappingPartnership> {
    Ok(axum::Json(
        s.store
            .update_mapping_settings(&who.actor(), &id, &input)
            .await?,
    ))
}

/// How to read an upload.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MappingUploadQuery {
    /// salesforce-report, salesforce-dataloader, hubspot or partnerops (default: guessed
    /// from the header).
    pub source: Option<String>,
    /// The confirmed column mapping, `field=Column,…` (fields: external_id, name,
    /// web_domain, country, population). Required unless `dry_run`, which answers the
    /// suggestion (the one confirmed last for this source when the file has its columns).
    pub mapping: Option<String>,
    /// `true`: check every row, write nothing.
    pub dry_run: Option<bool>,
    /// The file's name (default `upload.csv`).
    pub file_name: Option<String>,
    /// customer, open_opportunity or prospect: the population of rows without a type
    /// (default: prospect).
    pub population: Option<String>,
    /// `true`: add the rows to the current upload (only they are matched) instead of
    /// replacing it; a record id already uploaded refuses the file.
    pub append: Option<bool>,
}

/// Upload the partner's accounts (its CRM export as the body, `text/csv`): a Salesforce
/// report (BOM, currency pairs, the footer lines), a HubSpot export or our own. All rows
/// or none: a refused file answers 422 with every error by row and column. It replaces
/// the previous upload (or, with `append`, adds to it) and is matched as it is read: adding
/// rows matches those rows only. A dry run answers the suggested mapping.
#[utoipa::path(post, path = "/api/v1/mapping/partnerships/{id}/upload", tag = "mapping", params(("id" = String, Path), MappingUploadQuery),
    request_body(content = String, content_type = "text/csv", description = "The partner's CRM export, streamed"),
    responses((status = 200, body = MappingUploadResult), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn upload(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<MappingUploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Answer<MappingUploadResult> {
    // Another partner's partnership is 404 whatever the request looks like.
    s.store.mapping_partnership(who.scope(), &id).await?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/") || v.starts_with("application/octet-stream"));
    let mut inv = Invalid::new();
    if !is_csv {
        inv.add(
            "body",
            "content_type",
            "send the file as the body with Content-Type: text/csv",
        );
    }
    let source = filter(&mut inv, "source", q.source.as_deref(), ImportSource::parse);
    let default_population = filter(
        &mut inv,
        "population",
        q.population.as_deref(),
        Population::parse,
    );
    let mapping = q
        .mapping
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map(|m| match parse_upload_mapping(m) {
            Ok(m) => m,
            Err(e) => {
                inv.errors.extend(e.errors);
                ImportMapping::default()
            }
        });
    if !inv.is_empty() {
        return Err(inv.into());
    }
    let req = MappingUploadRequest {
        source,
        mapping,
        file_name: q
            .file_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("upload.csv")
            .chars()
            .take(200)
            .collect(),
        dry_run: q.dry_run.unwrap_or(false),
        append: q.append.unwrap_or(false),
        default_population,
    };
    let input: Box<dyn Read + Send> = Box::new(BodyReader::new(body));
    let result = s
        .store
        .upload_mapping(&who.actor(), &id, req, input)
        .await?;
    if result.error_count > 0 {
        let mut inv = Invalid::new();
        inv.errors = result.errors.iter().map(|e| e.to_field_error()).collect();
        return Err(inv.into());
    }
    Ok(axum::Json(result))
}

/// Delete the partner's uploaded data (its rows, their matches and decisions).
#[utoipa::path(delete, path = "/api/v1/mapping/partnerships/{id}/upload", tag = "mapping", params(("id" = String, Path)),
    responses((status = 200, body = MappingPartnership), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn delete_upload(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<MappingPartnership> {
    Ok(axum::Json(
        s.store.delete_mapping_upload(&who.actor(), &id).await?,
    ))
}

/// The overlap matrix: counts per pair of populations, which cells drill down (both sides
/// share) and which are co-sell openings.
#[utoipa::path(get, path = "/api/v1/mapping/partnerships/{id}/matrix", tag = "mapping", params(("id" = String, Path)),
    responses((status = 200, body = Matrix), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn matrix(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Matrix> {
    Ok(axum::Json(s.store.mapping_matrix(who.scope(), &id).await?))
}

/// A cell's rows (`vendor` and `partner`: customer, open_opportunity or prospect), only
/// when both sides share their population there (else 403, rule `mapping.not_shared`);
/// each side with only the fields it shares.
#[utoipa::path(get, path = "/api/v1/mapping/partnerships/{id}/cells/{vendor}/{partner}", tag = "mapping",
    params(("id" = String, Path), ("vendor" = String, Path), ("partner" = String, Path)),
    responses((status = 200, body = Vec<OverlapRow>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn cell(
    State(s): State<AppState>,
    who: ApiUser,
    Path((id, vendor, partner)): Path<(String, String, String)>,
) -> Answer<Vec<OverlapRow>> {
    let mut inv = Invalid::new();
    let v = inv.check(Population::parse("vendor", &vendor));
    let p = inv.check(Population::parse("partner", &partner));
    let (Some(v), Some(p)) = (v, p) else {
        return Err(inv.into());
    };
    Ok(axum::Json(
        s.store.mapping_cell(who.scope(), &id, v, p).await?,
    ))
}

/// A filter of matches.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MappingMatchQuery {
    /// `auto`, `to_confirm`, `confirmed` or `rejected`.
    pub state: Option<String>,
}

/// Matches (vendor staff: they confirm or reject the uncertain ones; a partner gets 403,
/// rule `mapping.confirm_vendor`).
#[utoipa::path(get, path = "/api/v1/mapping/partnerships/{id}/matches", tag = "mapping", params(("id" = String, Path), MappingMatchQuery),
    responses((status = 200, body = Vec<MappingMatch>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn matches(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<MappingMatchQuery>,
) -> Answer<Vec<MappingMatch>> {
    let mut inv = Invalid::new();
    let state = filter(&mut inv, "state", q.state.as_deref(), MatchState::parse);
    if !inv.is_empty() {
        return Err(inv.into());
    }
    Ok(axum::Json(
        s.store.mapping_matches(who.scope(), &id, state).await?,
    ))
}

/// Confirm or reject a match (vendor administrators); remembered for later uploads.
#[utoipa::path(post, path = "/api/v1/mapping/partnerships/{id}/matches/{match_id}/decision", tag = "mapping",
    params(("id" = String, Path), ("match_id" = String, Path)), request_body = MappingDecisionInput,
    responses((status = 200, body = MappingMatch), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn decide(
    State(s): State<AppState>,
    who: ApiUser,
    Path((id, match_id)): Path<(String, String)>,
    Json(input): Json<MappingDecisionInput>,
) -> Answer<MappingMatch> {
    Ok(axum::Json(
        s.store
            .decide_mapping_match(&who.actor(), &id, &match_id, input.confirmed)
            .await?,
    ))
}

/// Co-sell suggestions: shared cells where one side has a customer and the other an open
/// opportunity.
#[utoipa::path(get, path = "/api/v1/mapping/partnerships/{id}/suggestions", tag = "mapping", params(("id" = String, Path)),
    responses((status = 200, body = Vec<CoSellSuggestion>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn suggestions(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<CoSellSuggestion>> {
    Ok(axum::Json(
        s.store.mapping_suggestions(who.scope(), &id).await?,
    ))
}

/// Introductions asked from co-sell suggestions whose pair still overlaps, newest first,
/// each side seeing what the overlap shows it.
#[utoipa::path(get, path = "/api/v1/mapping/partnerships/{id}/intros", tag = "mapping", params(("id" = String, Path)),
    responses((status = 200, body = Vec<MappingIntro>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn intros(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<MappingIntro>> {
    Ok(axum::Json(s.store.mapping_intros(who.scope(), &id).await?))
}

/// Ask the other side for an introduction from a co-sell suggestion (one click: the
/// suggestion's `match_id`). The side with the open opportunity asks; one open request per
/// pair.
#[utoipa::path(post, path = "/api/v1/mapping/partnerships/{id}/intros", tag = "mapping", params(("id" = String, Path)), request_body = MappingIntroInput,
    responses((status = 201, body = MappingIntro), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn request_intro(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<MappingIntroInput>,
) -> Result<(StatusCode, axum::Json<MappingIntro>), ApiError> {
    let i = s
        .store
        .request_mapping_intro(&who.actor(), &id, &input)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(i)))
}

/// Answer an introduction asked of your side: made (the partner's introduction is logged
/// as a touchpoint on the vendor's open opportunity) or declined.
#[utoipa::path(post, path = "/api/v1/mapping/partnerships/{id}/intros/{intro_id}/answer", tag = "mapping",
    params(("id" = String, Path), ("intro_id" = String, Path)), request_body = MappingIntroAnswer,
    responses((status = 200, body = MappingIntro), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn answer_intro(
    State(s): State<AppState>,
    who: ApiUser,
    Path((id, intro_id)): Path<(String, String)>,
    Json(input): Json<MappingIntroAnswer>,
) -> Answer<MappingIntro> {
    Ok(axum::Json(
        s.store
            .answer_mapping_intro(&who.actor(), &id, &intro_id, &input)
            .await?,
    ))
}

/// A mapping partnership's audit trail.
#[utoipa::path(get, path = "/api/v1/mapping/partnerships/{id}/audit", tag = "mapping", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::MappingPartnership, &id, p).await
}
