//! The JSON API under `/api/v1`. Every route is declared with its OpenAPI description
//! (`#[utoipa::path]`) and registered only through `routes!`, so the router and the
//! document are built from the same declarations and cannot drift apart.

mod account_review;
mod accounts;
mod lifecycle;
mod partners;
mod partnerships;
mod programs;
mod registrations;
mod users;

pub(crate) use accounts::AccountQuery;
pub(crate) use partners::PartnerQuery;
pub(crate) use users::UserQuery;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::{FieldError, Invalid};
use partnerops_store::audit::SORTS as AUDIT_SORTS;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::Query;
use crate::problem::{ApiError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "partnerops API",
        version = "1",
        description = "Partner programs, tiers, partners, accounts, users and audit trails. Authenticate with `Authorization: Bearer <token>`; errors are RFC 9457 problem documents (`application/problem+json`). Lists are keyset-paginated: pass `next_cursor` back as `cursor`."
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "programs", description = "Programs and their channel thesis"),
        (name = "tiers", description = "The tier ladder of a program"),
        (name = "partners", description = "Partner companies"),
        (name = "accounts", description = "End-customer accounts (vendor staff only)"),
        (name = "users", description = "Vendor staff and partner users"),
        (name = "tokens", description = "API tokens of the caller"),
        (name = "registrations", description = "Deal registrations: one holder per account, approval, activity, renewal"),
        (name = "engagement", description = "Direct sales asking a partner for consent to engage a registered account"),
        (name = "conflicts", description = "Channel-conflict cases with their escalation path"),
        (name = "partnerships", description = "Partnership charters, crawl/walk/run gates, decision trees, the operating model"),
        (name = "policy", description = "Program policy documents: versions, differences, drafts for the advisory council, what-if replay"),
        (name = "lifecycle", description = "Applications with their fit score, invitations, onboarding, tier standing, activation"),
        (name = "governance", description = "Partner advisory council and the first cohort"),
        (name = "meta", description = "The API itself")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API router and its OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi_json))
        .routes(routes!(users::me))
        .routes(routes!(programs::list, programs::create))
        .routes(routes!(programs::get, programs::update))
        .routes(routes!(programs::archive))
        .routes(routes!(programs::restore))
        .routes(routes!(programs::audit))
        .routes(routes!(programs::list_tiers, programs::create_tier))
        .routes(routes!(programs::get_tier, programs::update_tier))
        .routes(routes!(programs::archive_tier))
        .routes(routes!(programs::restore_tier))
        .routes(routes!(programs::tier_audit))
        .routes(routes!(partners::list, partners::create))
        .routes(routes!(partners::get, partners::update))
        .routes(routes!(partners::archive))
        .routes(routes!(partners::restore))
        .routes(routes!(partners::audit))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::get, accounts::update))
        .routes(routes!(accounts::archive))
        .routes(routes!(accounts::restore))
        .routes(routes!(accounts::audit))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::archive))
        .routes(routes!(users::restore))
        .routes(routes!(users::audit))
        .routes(routes!(users::list_tokens, users::create_token))
        .routes(routes!(users::revoke_token))
        .routes(routes!(
            programs::registration_policy,
            programs::set_registration_policy
        ))
        .routes(routes!(accounts::registrations))
        .routes(routes!(accounts::direct_activity))
        .routes(routes!(account_review::merge))
        .routes(routes!(account_review::distinct))
        .routes(routes!(registrations::list, registrations::submit))
        .routes(routes!(registrations::check))
        .routes(routes!(registrations::get))
        .routes(routes!(registrations::decisions))
        .routes(routes!(
            registrations::activities,
            registrations::log_activity
        ))
        .routes(routes!(registrations::approve))
        .routes(routes!(registrations::reject))
        .routes(routes!(registrations::withdraw))
        .routes(routes!(registrations::renew))
        .routes(routes!(registrations::close))
        .routes(routes!(registrations::audit))
        .routes(routes!(registrations::request_engagement))
        .routes(routes!(registrations::engagement_requests))
        .routes(routes!(registrations::engagement_request))
        .routes(routes!(registrations::grant))
        .routes(routes!(registrations::deny))
        .routes(routes!(
            registrations::conflicts,
            registrations::open_conflict
        ))
        .routes(routes!(registrations::conflict))
        .routes(routes!(registrations::comments, registrations::comment))
        .routes(routes!(registrations::resolve))
        .routes(routes!(registrations::conflict_decisions))
        .routes(routes!(partnerships::list, partnerships::create))
        .routes(routes!(partnerships::get, partnerships::update))
        .routes(routes!(partnerships::sign))
        .routes(routes!(partnerships::amend))
        .routes(routes!(partnerships::phase))
        .routes(routes!(
            partnerships::gate_reviews,
            partnerships::review_gate
        ))
        .routes(routes!(partnerships::end))
        .routes(routes!(partnerships::decisions))
        .routes(routes!(partnerships::audit))
        .routes(routes!(partnerships::operating_model))
        .routes(routes!(partnerships::trees))
        .routes(routes!(partnerships::set_tree))
        .routes(routes!(partnerships::evaluate))
        .routes(routes!(lifecycle::policy, lifecycle::publish))
        .routes(routes!(lifecycle::versions))
        .routes(routes!(lifecycle::version))
        .routes(routes!(lifecycle::diff))
        .routes(routes!(lifecycle::simulate))
        .routes(routes!(lifecycle::validate))
        .routes(routes!(lifecycle::drafts, lifecycle::create_draft))
        .routes(routes!(lifecycle::draft))
        .routes(routes!(lifecycle::share_draft))
        .routes(routes!(lifecycle::publish_draft))
        .routes(routes!(lifecycle::discard_draft))
        .routes(routes!(lifecycle::comment_draft))
        .routes(routes!(lifecycle::applications, lifecycle::apply))
        .routes(routes!(lifecycle::application))
        .routes(routes!(lifecycle::rescore))
        .routes(routes!(lifecycle::approve))
        .routes(routes!(lifecycle::decline))
        .routes(routes!(lifecycle::accept_invitation))
        .routes(routes!(lifecycle::onboarding))
        .routes(routes!(lifecycle::tick))
        .routes(routes!(lifecycle::tier_standing))
        .routes(routes!(lifecycle::partner_decisions))
        .routes(routes!(lifecycle::activation))
        .routes(routes!(lifecycle::council))
        .routes(routes!(lifecycle::add_member, lifecycle::remove_member))
        .routes(routes!(lifecycle::record_meeting))
        .routes(routes!(lifecycle::cohort))
        .routes(routes!(lifecycle::launch))
        .split_for_parts();
    let router = router.fallback(|| async { ApiError::NoRoute });
    (router, doc)
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "The OpenAPI 3.1 document of this API")))]
async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    axum::Json(state.openapi.as_ref().clone())
}

/// Collects the errors of several parses into one answer.
pub(crate) fn both<A, B>(a: Result<A, Invalid>, b: Result<B, Invalid>) -> Result<(A, B), Invalid> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => {
            let mut inv = Invalid::new();
            inv.errors
                .extend(a.err().map(|e| e.errors).unwrap_or_default());
            inv.errors
                .extend(b.err().map(|e| e.errors).unwrap_or_default());
            Err(inv)
        }
    }
}

/// Parses an optional filter value, recording a failure in `inv`.
pub(crate) fn filter<T>(
    inv: &mut Invalid,
    field: &str,
    raw: Option<&str>,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Option<T> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    inv.check(parse(field, raw))
}

/// Page of a record's audit trail (newest first unless `sort=at`).
pub(crate) async fn audit_page(
    state: &AppState,
    who: &ApiUser,
    kind: EntityKind,
    id: &str,
    mut params: PageParams,
) -> Result<axum::Json<Page<AuditEvent>>, ApiError> {
    if params.sort.as_deref().is_none_or(|s| s.trim().is_empty()) {
        params.sort = Some("-at".into());
    }
    let page = PageRequest::parse(&params, AUDIT_SORTS)?;
    Ok(axum::Json(
        state
            .store
            .audit_trail(who.scope(), kind, id, &page)
            .await?,
    ))
}

/// Query parameters shared by lists of records that can be archived.
pub(crate) fn archived_param(inv: &mut Invalid, raw: Option<&str>) -> partnerops_store::Archived {
    inv.check(partnerops_store::Archived::parse(raw))
        .unwrap_or_default()
}

/// The audit query (paging only).
pub(crate) type AuditQuery = Query<PageParams>;
