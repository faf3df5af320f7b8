//! Market development funds: budgets and their allocations (vendor staff), a partner's
//! allocations with their remaining balance, requests and their decisions, claims with
//! their proof summary, decisions and payment, opportunities linked to funded activities,
//! and MDF ROI. A partner sees and acts only on its own allocations, requests and claims.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::ids::parse_id;
use partnerops_core::mdf::record::{
    Allocation, AllocationInput, Budget, BudgetInput, Claim, ClaimInput, DecisionInput, LinkInput,
    MdfRequest, PayClaimInput, RequestDetail, RequestInput,
};
use partnerops_core::mdf::roi::RoiReport;
use partnerops_core::mdf::rules::{ClaimState, RequestState};
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_store::Store;
use partnerops_store::mdf::{AllocationFilter, ClaimFilter, RequestFilter};
use serde::Deserialize;

use super::{AuditQuery, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;
type Created<T> = Result<(StatusCode, axum::Json<T>), ApiError>;

/// Filters for the budget list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BudgetQuery {
    pub program_id: Option<String>,
}

/// MDF budgets (vendor staff; a partner gets an empty list).
#[utoipa::path(get, path = "/api/v1/mdf-budgets", tag = "mdf", params(BudgetQuery, PageParams),
    responses((status = 200, body = Page<Budget>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn budgets(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<BudgetQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Budget>> {
    let mut inv = Invalid::new();
    let program = filter(&mut inv, "program_id", q.program_id.as_deref(), parse_id);
    let (page, program) = both(
        PageRequest::parse(&p, &Store::mdf_budget_sorts()),
        inv.finish(|| Some(program)),
    )?;
    Ok(axum::Json(
        s.store
            .mdf_budgets(who.scope(), program.as_ref(), &page)
            .await?,
    ))
}

/// Sets a program's MDF budget for a period (administrators, channel managers, finance).
#[utoipa::path(post, path = "/api/v1/mdf-budgets", tag = "mdf", request_body = BudgetInput,
    responses((status = 201, body = Budget), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_budget(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<BudgetInput>,
) -> Created<Budget> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_mdf_budget(&who.actor(), &input).await?),
    ))
}

/// One budget, with what remains unallocated.
#[utoipa::path(get, path = "/api/v1/mdf-budgets/{id}", tag = "mdf", params(("id" = String, Path)),
    responses((status = 200, body = Budget), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn budget(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Budget> {
    Ok(axum::Json(s.store.mdf_budget(who.scope(), &id).await?))
}

/// Filters for the allocation list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllocationQuery {
    pub budget_id: Option<String>,
    pub partner_id: Option<String>,
}

/// Allocations with their remaining balance (a partner: its own).
#[utoipa::path(get, path = "/api/v1/mdf-allocations", tag = "mdf", params(AllocationQuery, PageParams),
    responses((status = 200, body = Page<Allocation>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn allocations(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<AllocationQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Allocation>> {
    let mut inv = Invalid::new();
    let f = AllocationFilter {
        budget_id: filter(&mut inv, "budget_id", q.budget_id.as_deref(), parse_id),
        partner_id: filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id),
    };
    let (page, f) = both(
        PageRequest::parse(&p, &Store::mdf_allocation_sorts()),
        inv.finish(|| Some(f)),
    )?;
    Ok(axum::Json(
        s.store.mdf_allocations(who.scope(), &f, &page).await?,
    ))
}

/// Allocates part of a budget to a partner of its program, optionally for a marketing
/// commitment of its joint business plan; refused with `mdf.budget_exceeded` beyond what
/// remains of the budget.
#[utoipa::path(post, path = "/api/v1/mdf-allocations", tag = "mdf", request_body = AllocationInput,
    responses((status = 201, body = Allocation), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_allocation(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<AllocationInput>,
) -> Created<Allocation> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_mdf_allocation(&who.actor(), &input).await?),
    ))
}

/// One allocation.
#[utoipa::path(get, path = "/api/v1/mdf-allocations/{id}", tag = "mdf", params(("id" = String, Path)),
    responses((status = 200, body = Allocation), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn allocation(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Allocation> {
    Ok(axum::Json(s.store.mdf_allocation(who.scope(), &id).await?))
}

/// Filters for the request list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    pub allocation_id: Option<String>,
    pub partner_id: Option<String>,
    /// submitted, approved, rejected, cancelled or claimed.
    pub state: Option<String>,
}

/// MDF requests (a partner: its own).
#[utoipa::path(get, path = "/api/v1/mdf-requests", tag = "mdf", params(RequestQuery, PageParams),
    responses((status = 200, body = Page<MdfRequest>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn requests(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<RequestQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<MdfRequest>> {
    let mut inv = Invalid::new();
    let f = RequestFilter {
        allocation_id: filter(
            &mut inv,
            "allocation_id",
            q.allocation_id.as_deref(),
            parse_id,
        ),
        partner_id: filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id),
        state: filter(&mut inv, "state", q.state.as_deref(), RequestState::parse),
    };
    let (page, f) = both(
        PageRequest::parse(&p, &Store::mdf_request_sorts()),
        inv.finish(|| Some(f)),
    )?;
    Ok(axum::Json(
        s.store.mdf_requests(who.scope(), &f, &page).await?,
    ))
}

/// A partner's user requests funds from its allocation. The planned cost is committed at
/// once; beyond the allocation's remaining balance the request is refused
/// (`mdf.allocation_exceeded`, naming what remains), also under concurrent requests.
#[utoipa::path(post, path = "/api/v1/mdf-requests", tag = "mdf", request_body = RequestInput,
    responses((status = 201, body = RequestDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn submit(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<RequestInput>,
) -> Created<RequestDetail> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.submit_mdf_request(&who.actor(), &input).await?),
    ))
}

/// One request with its claim deadline, claim and linked opportunities.
#[utoipa::path(get, path = "/api/v1/mdf-requests/{id}", tag = "mdf", params(("id" = String, Path)),
    responses((status = 200, body = RequestDetail), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn request(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<RequestDetail> {
    Ok(axum::Json(s.store.mdf_request(who.scope(), &id).await?))
}

/// Staff approve a submitted request, all or part of it, within their role's approval limit
/// (`[mdf] approval_limits`; above it: `mdf.approval_limit`).
#[utoipa::path(post, path = "/api/v1/mdf-requests/{id}/approve", tag = "mdf", params(("id" = String, Path)), request_body = DecisionInput,
    responses((status = 200, body = RequestDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn approve(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DecisionInput>,
) -> Answer<RequestDetail> {
    Ok(axum::Json(
        s.store
            .approve_mdf_request(&who.actor(), &id, &input)
            .await?,
    ))
}

/// Staff reject a submitted request with a reason; its funds go back to the allocation.
#[utoipa::path(post, path = "/api/v1/mdf-requests/{id}/reject", tag = "mdf", params(("id" = String, Path)), request_body = DecisionInput,
    responses((status = 200, body = RequestDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn reject(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DecisionInput>,
) -> Answer<RequestDetail> {
    Ok(axum::Json(
        s.store
            .reject_mdf_request(&who.actor(), &id, &input)
            .await?,
    ))
}

/// The partner cancels a request not yet claimed; its funds go back to the allocation.
#[utoipa::path(post, path = "/api/v1/mdf-requests/{id}/cancel", tag = "mdf", params(("id" = String, Path)),
    responses((status = 200, body = RequestDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn cancel(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<RequestDetail> {
    Ok(axum::Json(
        s.store.cancel_mdf_request(&who.actor(), &id).await?,
    ))
}

/// The partner claims an approved request (at most the approved amount, by the claim
/// deadline) with a proof-of-performance summary.
#[utoipa::path(post, path = "/api/v1/mdf-requests/{id}/claim", tag = "mdf", params(("id" = String, Path)), request_body = ClaimInput,
    responses((status = 201, body = RequestDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn claim(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ClaimInput>,
) -> Created<RequestDetail> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.submit_mdf_claim(&who.actor(), &id, &input).await?),
    ))
}

/// Links an opportunity the caller can see to the funded activity (for its ROI).
#[utoipa::path(post, path = "/api/v1/mdf-requests/{id}/opportunities", tag = "mdf", params(("id" = String, Path)), request_body = LinkInput,
    responses((status = 200, body = RequestDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn link(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<LinkInput>,
) -> Answer<RequestDetail> {
    Ok(axum::Json(
        s.store
            .link_mdf_opportunity(&who.actor(), &id, &input)
            .await?,
    ))
}

/// The audit trail of a request: submitted, decided, claimed, linked.
#[utoipa::path(get, path = "/api/v1/mdf-requests/{id}/audit", tag = "mdf", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn request_audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::MdfRequest, &id, p).await
}

/// Filters for the claim list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimQuery {
    pub partner_id: Option<String>,
    /// submitted, approved, rejected or paid.
    pub state: Option<String>,
}

/// MDF claims (a partner: its own).
#[utoipa::path(get, path = "/api/v1/mdf-claims", tag = "mdf", params(ClaimQuery, PageParams),
    responses((status = 200, body = Page<Claim>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn claims(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<ClaimQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Claim>> {
    let mut inv = Invalid::new();
    let f = ClaimFilter {
        partner_id: filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id),
        state: filter(&mut inv, "state", q.state.as_deref(), ClaimState::parse),
    };
    let (page, f) = both(
        PageRequest::parse(&p, &Store::mdf_claim_sorts()),
        inv.finish(|| Some(f)),
    )?;
    Ok(axum::Json(
        s.store.mdf_claims(who.scope(), &f, &page).await?,
    ))
}

/// One claim.
#[utoipa::path(get, path = "/api/v1/mdf-claims/{id}", tag = "mdf", params(("id" = String, Path)),
    responses((status = 200, body = Claim), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn claim_one(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Claim> {
    Ok(axum::Json(s.store.mdf_claim(who.scope(), &id).await?))
}

/// Staff approve a submitted claim, all or `approved_minor` of it (with a reason when less).
#[utoipa::path(post, path = "/api/v1/mdf-claims/{id}/approve", tag = "mdf", params(("id" = String, Path)), request_body = DecisionInput,
    responses((status = 200, body = Claim), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn approve_claim(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DecisionInput>,
) -> Answer<Claim> {
    Ok(axum::Json(
        s.store
            .decide_mdf_claim(&who.actor(), &id, true, &input)
            .await?,
    ))
}

/// Staff reject a submitted claim with a reason.
#[utoipa::path(post, path = "/api/v1/mdf-claims/{id}/reject", tag = "mdf", params(("id" = String, Path)), request_body = DecisionInput,
    responses((status = 200, body = Claim), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn reject_claim(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DecisionInput>,
) -> Answer<Claim> {
    Ok(axum::Json(
        s.store
            .decide_mdf_claim(&who.actor(), &id, false, &input)
            .await?,
    ))
}

/// Finance marks an approved claim paid with the payment's reference and date.
#[utoipa::path(post, path = "/api/v1/mdf-claims/{id}/pay", tag = "mdf", params(("id" = String, Path)), request_body = PayClaimInput,
    responses((status = 200, body = Claim), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn pay_claim(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<PayClaimInput>,
) -> Answer<Claim> {
    Ok(axum::Json(
        s.store.pay_mdf_claim(&who.actor(), &id, &input).await?,
    ))
}

/// MDF ROI (won revenue of linked opportunities at their close rate ÷ MDF paid) per
/// activity, partner and period: vendor staff read every partner's, a partner its own.
#[utoipa::path(get, path = "/api/v1/mdf-roi", tag = "mdf", params(BudgetQuery),
    responses((status = 200, body = RoiReport), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn roi(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<BudgetQuery>,
) -> Answer<RoiReport> {
    let mut inv = Invalid::new();
    let program = filter(&mut inv, "program_id", q.program_id.as_deref(), parse_id);
    let program = inv.finish(|| Some(program))?;
    Ok(axum::Json(
        s.store.mdf_roi(who.scope(), program.as_ref()).await?,
    ))
}
