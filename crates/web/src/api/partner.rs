//! `/api/v1/partners`.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::country::{Country, Region};
use partnerops_core::ids::parse_id;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::partner::{
    ManagerInput, Partner, PartnerInput, PartnerManager, PartnerStatus, PartnerType,
};
use partnerops_store::Store;
use partnerops_store::partner::PartnerFilter;
use serde::Deserialize;

use super::{AuditQuery, Tagged, TaggedAnswer, archived_param, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filters for the partner list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerQuery {
    /// Part of the name or web domain.
    pub q: Option<String>,
    pub program_id: Option<String>,
    pub tier_id: Option<String>,
    pub partner_type: Option<String>,
    pub status: Option<String>,
    /// ISO 3166 alpha-2 code.
    pub country: Option<String>,
    pub region: Option<String>,
    /// `false` (default): live only; `true`: archived only; `all`.
    pub archived: Option<String>,
}

impl PartnerQuery {
    /// The typed filter, or every bad parameter at once.
    pub fn parse(&self) -> Result<PartnerFilter, Invalid> {
        let mut inv = Invalid::new();
        let f = PartnerFilter {
            q: self.q.clone().filter(|s| !s.trim().is_empty()),
            program_id: filter(&mut inv, "program_id", self.program_id.as_deref(), parse_id),
            tier_id: filter(&mut inv, "tier_id", self.tier_id.as_deref(), parse_id),
            partner_type: filter(
                &mut inv,
                "partner_type",
                self.partner_type.as_deref(),
                PartnerType::parse,
            ),
            status: filter(
                &mut inv,
                "status",
                self.status.as_deref(),
                PartnerStatus::parse,
            ),
            country: filter(&mut inv, "country", self.country.as_deref(), Country::parse),
            region: filter(&mut inv, "region", self.region.as_deref(), Region::parse),
            archived: archived_param(&mut inv, self.archived.as_deref()),
        };
        inv.finish(|| Some(f))
    }
}

/// Lists partners (a partner user sees only its own company).
#[utoipa::path(get, path = "/api/v1/partners", tag = "partners", params(PartnerQuery, PageParams),
    responses((status = 200, body = Page<Partner>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<PartnerQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Partner>> {
    let (page, f) = both(PageRequest::parse(&p, &Store::partner_sorts()), q.parse())?;
    Ok(axum::Json(s.store.partners(who.scope(), &f, &page).await?))
}

/// Creates a partner (vendor staff). Without `tier_id` it starts on the program's entry tier.
#[utoipa::path(post, path = "/api/v1/partners", tag = "partners", request_body = PartnerInput,
    responses((status = 201, body = Partner), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<PartnerInput>,
) -> Result<(StatusCode, axum::Json<Partner>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_partner(&who.actor(), &input).await?),
    ))
}

/// One partner.
#[utoipa::path(get, path = "/api/v1/partners/{id}", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = Partner), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<Partner> {
    Ok(Tagged(s.store.partner(who.scope(), &id).await?))
}

/// Changes a partner. A partner admin may change its profile (name, web domain, country,
/// regions, verticals); type, program, tier, status and joined date are vendor decisions.
#[utoipa::path(patch, path = "/api/v1/partners/{id}", tag = "partners", params(("id" = String, Path), IfMatch), request_body = PartnerInput,
    responses((status = 200, body = Partner), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<PartnerInput>,
) -> TaggedAnswer<Partner> {
    Ok(Tagged(
        s.store
            .update_partner_if(&who.actor(), &id, input, &if_match.0)
            .await?,
    ))
}

/// Archives a partner: it leaves lists and its users can no longer sign in.
#[utoipa::path(post, path = "/api/v1/partners/{id}/archive", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = Partner), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn archive(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Partner> {
    Ok(axum::Json(
        s.store.archive_partner(&who.actor(), &id).await?,
    ))
}

/// Restores an archived partner.
#[utoipa::path(post, path = "/api/v1/partners/{id}/restore", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = Partner), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn restore(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Partner> {
    Ok(axum::Json(
        s.store.restore_partner(&who.actor(), &id).await?,
    ))
}

/// The audit trail of a partner.
#[utoipa::path(get, path = "/api/v1/partners/{id}/audit", tag = "partners", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::Partner, &id, p).await
}

/// Who looks after the partner on the vendor side (null when nobody does). Their 30-day list
/// (`/api/v1/cadence`) holds the partners they look after.
#[utoipa::path(get, path = "/api/v1/partners/{id}/channel-manager", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = Option<PartnerManager>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn channel_manager(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Option<PartnerManager>> {
    Ok(axum::Json(s.store.partner_manager(who.scope(), &id).await?))
}

/// Sets who looks after the partner (a channel manager or administrator), or with
/// `{"user_id": null}` nobody. Vendor staff who govern partners only.
#[utoipa::path(put, path = "/api/v1/partners/{id}/channel-manager", tag = "partners", params(("id" = String, Path)), request_body = ManagerInput,
    responses((status = 200, body = Option<PartnerManager>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_channel_manager(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ManagerInput>,
) -> Answer<Option<PartnerManager>> {
    Ok(axum::Json(
        s.store
            .set_partner_manager(&who.actor(), &id, &input)
            .await?,
    ))
}
