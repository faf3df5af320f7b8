//! Incentives and payouts: commission lines with the rule behind each amount, statements
//! (drawn up, disputed, approved, paid), their CSV, the accounts-payable export, and the
//! renewals, expansions and cancellations recorded on won deals. A partner sees only its own.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::ids::parse_id;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::payout::record::{
    CommissionLine, DisputeInput, PayInput, ResolveInput, RevenueEventInput, RevenueEventRecord,
    RunStatementsInput, Statement, StatementDetail, StatementRunReport, payables_csv,
    statement_csv,
};
use partnerops_core::payout::statement::StatementState;
use partnerops_store::Store;
use partnerops_store::payout::{LineFilter, StatementFilter};
use serde::Deserialize;

use super::{AuditQuery, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filters for the line list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LineQuery {
    pub partner_id: Option<String>,
    pub statement_id: Option<String>,
    pub opportunity_id: Option<String>,
    /// `true`: only lines not yet on a statement.
    pub open: Option<bool>,
}

/// Commission lines, each with its rule, policy version, base, rate and why (a partner: its own).
#[utoipa::path(get, path = "/api/v1/commission-lines", tag = "payouts", params(LineQuery, PageParams),
    responses((status = 200, body = Page<CommissionLine>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn lines(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<LineQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<CommissionLine>> {
    let mut inv = Invalid::new();
    let f = LineFilter {
        partner_id: filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id),
        statement_id: filter(
            &mut inv,
            "statement_id",
            q.statement_id.as_deref(),
            parse_id,
        ),
        opportunity_id: filter(
            &mut inv,
            "opportunity_id",
            q.opportunity_id.as_deref(),
            parse_id,
        ),
        open: q.open.unwrap_or(false),
    };
    let (page, f) = both(
        PageRequest::parse(&p, &Store::commission_line_sorts()),
        inv.finish(|| Some(f)),
    )?;
    Ok(axum::Json(
        s.store.commission_lines(who.scope(), &f, &page).await?,
    ))
}

/// One commission line.
#[utoipa::path(get, path = "/api/v1/commission-lines/{id}", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, body = CommissionLine), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn line(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<CommissionLine> {
    Ok(axum::Json(s.store.commission_line(who.scope(), &id).await?))
}

/// Filters for the statement list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    pub partner_id: Option<String>,
    /// issued, disputed, approved, paid or rolled_over.
    pub state: Option<String>,
    /// `2026-Q4` or `2026-11`.
    pub period: Option<String>,
}

/// Statements (a partner: its own).
#[utoipa::path(get, path = "/api/v1/payout-statements", tag = "payouts", params(StatementQuery, PageParams),
    responses((status = 200, body = Page<Statement>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn statements(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<StatementQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Statement>> {
    let mut inv = Invalid::new();
    let f = StatementFilter {
        partner_id: filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id),
        state: filter(&mut inv, "state", q.state.as_deref(), StatementState::parse),
        period: q
            .period
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
    };
    let (page, f) = both(
        PageRequest::parse(&p, &Store::statement_sorts()),
        inv.finish(|| Some(f)),
    )?;
    Ok(axum::Json(
        s.store.statements(who.scope(), &f, &page).await?,
    ))
}

/// One statement with every line and dispute.
#[utoipa::path(get, path = "/api/v1/payout-statements/{id}", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, body = StatementDetail), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn statement(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<StatementDetail> {
    Ok(axum::Json(s.store.statement(who.scope(), &id).await?))
}

/// A statement's lines as CSV (the last row is the total).
#[utoipa::path(get, path = "/api/v1/payout-statements/{id}/lines.csv", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, description = "One row per line, then the total", content_type = "text/csv"), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn statement_lines_csv(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let d = s.store.statement(who.scope(), &id).await?;
    super::csv_answer(
        &format!("statement-{}-{}", d.statement.period, d.statement.id),
        statement_csv(&d),
    )
}

/// The period to export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `2026-Q4` or `2026-11`.
    pub period: Option<String>,
}

/// A period's approved statements as CSV for the accounts-payable system (vendor staff).
#[utoipa::path(get, path = "/api/v1/payout-statements/export.csv", tag = "payouts", params(ExportQuery),
    responses((status = 200, description = "One row per approved statement", content_type = "text/csv"), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn payables(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<ExportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    // The store answers a partner 404 before it looks at the period.
    let period = q.period.map(|p| p.trim().to_owned()).unwrap_or_default();
    let list = s.store.approved_statements(who.scope(), &period).await?;
    super::csv_answer(&format!("payables-{period}"), payables_csv(&list))
}

/// Draws up the statements of a period for every partner with open lines (finance, channel
/// managers, administrators). A second run of the period changes nothing.
#[utoipa::path(post, path = "/api/v1/payout-statements/run", tag = "payouts", request_body = RunStatementsInput,
    responses((status = 200, body = StatementRunReport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn run(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<RunStatementsInput>,
) -> Answer<StatementRunReport> {
    Ok(axum::Json(
        s.store.draw_up_statements(&who.actor(), &input).await?,
    ))
}

/// The partner's admin disputes a line of a statement under review.
#[utoipa::path(post, path = "/api/v1/payout-statements/{id}/disputes", tag = "payouts", params(("id" = String, Path)), request_body = DisputeInput,
    responses((status = 200, body = StatementDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn dispute(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DisputeInput>,
) -> Answer<StatementDetail> {
    Ok(axum::Json(
        s.store
            .dispute_statement_line(&who.actor(), &id, &input)
            .await?,
    ))
}

/// Staff uphold (reverse the line, post the corrected amount) or reject a dispute.
#[utoipa::path(post, path = "/api/v1/line-disputes/{id}/resolve", tag = "payouts", params(("id" = String, Path)), request_body = ResolveInput,
    responses((status = 200, body = StatementDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn resolve(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ResolveInput>,
) -> Answer<StatementDetail> {
    Ok(axum::Json(
        s.store
            .resolve_line_dispute(&who.actor(), &id, &input)
            .await?,
    ))
}

/// Approves an issued statement without open disputes.
#[utoipa::path(post, path = "/api/v1/payout-statements/{id}/approve", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, body = Statement), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn approve(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Statement> {
    Ok(axum::Json(
        s.store.approve_statement(&who.actor(), &id).await?,
    ))
}

/// Marks an approved statement paid with the payment's reference.
#[utoipa::path(post, path = "/api/v1/payout-statements/{id}/pay", tag = "payouts", params(("id" = String, Path)), request_body = PayInput,
    responses((status = 200, body = Statement), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn pay(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<PayInput>,
) -> Answer<Statement> {
    Ok(axum::Json(
        s.store.pay_statement(&who.actor(), &id, &input).await?,
    ))
}

/// The renewals, expansions and cancellations recorded on a deal.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/revenue-events", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, body = Vec<RevenueEventRecord>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn revenue_events(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<RevenueEventRecord>> {
    Ok(axum::Json(s.store.revenue_events(who.scope(), &id).await?))
}

/// Records a renewal, an expansion or a cancellation on a won deal (vendor staff who sell,
/// finance); the accrual pays the renewal share, or claws back inside the window.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/revenue-events", tag = "payouts", params(("id" = String, Path)), request_body = RevenueEventInput,
    responses((status = 201, body = RevenueEventRecord), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn record_revenue_event(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<RevenueEventInput>,
) -> Result<(StatusCode, axum::Json<RevenueEventRecord>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(
            s.store
                .record_revenue_event(&who.actor(), &id, &input)
                .await?,
        ),
    ))
}

/// The audit trail of a statement: drawn up, disputed, resolved, approved, paid.
#[utoipa::path(get, path = "/api/v1/payout-statements/{id}/audit", tag = "payouts", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::Statement, &id, p).await
}
