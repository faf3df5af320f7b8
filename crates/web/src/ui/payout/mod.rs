//! Payouts in the browser. The portal: the partner's statements and the lines not yet on
//! one, each amount with the rule behind it, a dispute form per line (the partner's admin),
//! the CSV and a printable statement. The console: every partner's statements, the run that
//! draws them up, disputes resolved, approval, payment, and the accounts-payable export.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use partnerops_core::Invalid;
use partnerops_core::ids::EntityId;
use partnerops_core::money::Money;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::payout::record::{
    CommissionLine, DisputeInput, PayInput, ResolveInput, RunStatementsInput, Statement,
    StatementDetail, payables_csv, statement_csv,
};
use partnerops_core::payout::statement::{DisputeState, StatementState};
use partnerops_core::scope::{Action, Scope, authorize};
use partnerops_store::payout::{LineFilter, StatementFilter};
use partnerops_store::{Store, StoreError};
use serde::Deserialize;

use super::Routes;
use crate::AppState;
use crate::ui::form::{self, FormView, Posted, trimmed};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError, UiUser};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/payouts", console_list)
        .post("/console/payouts/run", console_run)
        .get("/console/payouts/export.csv", console_export)
        .get("/console/payouts/{id}", console_statement)
        .get("/console/payouts/{id}/lines.csv", console_csv)
        .get("/console/payouts/{id}/print", console_print)
        .post("/console/payouts/{id}/{action}", console_act)
        .get("/portal/payouts", portal_list)
        .get("/portal/payouts/{id}", portal_statement)
        .get("/portal/payouts/{id}/lines.csv", portal_csv)
        .get("/portal/payouts/{id}/print", portal_print)
        .post("/portal/payouts/{id}/{action}", portal_act)
}

/// A statement in a list.
pub struct StatementRow {
    pub id: String,
    pub partner: String,
    pub period: String,
    pub state: StatementState,
    pub total: String,
    pub lines: i64,
}

impl StatementRow {
    fn new(s: &Statement) -> StatementRow {
        StatementRow {
            id: s.id.to_string(),
            partner: s.partner_name.clone(),
            period: s.period.clone(),
            state: s.state,
            total: s.total.to_string(),
            lines: s.line_count,
        }
    }
}

/// A line as the pages show it: what it pays for, the rule, the figures and why.
pub struct LineView {
    pub id: String,
    pub accrued_on: String,
    pub deal: String,
    pub event: String,
    pub rule: String,
    pub base: String,
    pub rate: String,
    pub amount: String,
    pub statement_amount: String,
    pub negative: bool,
    pub why: String,
    /// The open dispute of the line, if any.
    pub disputed: bool,
}

fn rate(bp: u32) -> String {
    let (whole, frac) = (bp / 100, bp % 100);
    if frac == 0 {
        format!("{whole}%")
    } else {
        format!("{whole}.{}%", format!("{frac:02}").trim_end_matches('0'))
    }
}

fn rule_label(rule: &str) -> String {
    match rule {
        "resale_margin" => "Resale margin".into(),
        "referral_fee" => "Referral fee".into(),
        "co_sell_split" => "Co-sell split".into(),
        "marketplace" => "Marketplace share".into(),
        "renewal" => "Renewal share".into(),
        "expansion" => "Expansion share".into(),
        "accelerator.jbp_milestone" => "Accelerator: above the JBP milestone".into(),
        "accelerator.certified" => "Accelerator: certified partner".into(),
        "clawback" => "Clawback".into(),
        "reversal" => "Reversal".into(),
        "adjustment" => "Adjustment".into(),
        other => other.replace('_', " "),
    }
}

fn line_view(l: &CommissionLine, disputed: bool) -> LineView {
    LineView {
        id: l.id.to_string(),
        accrued_on: l.accrued_on.to_string(),
        deal: l
            .opportunity_title
            .clone()
            .unwrap_or_else(|| "—".to_owned()),
        event: l.event.map_or("—", |e| e.label()).to_owned(),
        rule: rule_label(&l.rule),
        base: l.base.to_string(),
        rate: rate(l.rate_bp),
        amount: l.amount.to_string(),
        statement_amount: l.statement_amount.to_string(),
        negative: l.statement_amount.amount_minor < 0,
        why: l.why.clone(),
        disputed,
    }
}

pub struct DisputeView {
    pub id: String,
    pub line_id: String,
    pub comment: String,
    pub state: DisputeState,
    pub resolution: String,
    pub raised_at: String,
}

fn page_of(limit: &str, sort: &str, sorts: &[&'static str]) -> Result<PageRequest, UiError> {
    PageRequest::parse(
        &PageParams {
            sort: Some(sort.into()),
            limit: Some(limit.into()),
            cursor: None,
        },
        sorts,
    )
    .map_err(|e: Invalid| UiError::Store(e.into()))
}

#[derive(Template, WebTemplate)]
#[template(path = "payout/list.html")]
struct ListPage {
    chrome: Chrome,
    base: &'static str,
    rows: Vec<StatementRow>,
    /// Lines earned and not yet on a statement (the partner's, in the portal).
    open: Vec<LineView>,
    open_total: String,
    /// Periods with approved statements, for the export (console).
    periods: Vec<String>,
    form: FormView,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    state: Option<String>,
    done: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    base: &'static str,
    q: &ListQuery,
    form: FormView,
) -> Result<ListPage, UiError> {
    let store = &state.store;
    let filter = StatementFilter {
        state: q
            .state
            .as_deref()
            .filter(|s| !s.is_empty())
            .and_then(|s| StatementState::parse("state", s).ok()),
        ..StatementFilter::default()
    };
    let page = page_of("200", "-period_end", &Store::statement_sorts())?;
    let statements = store.statements(scope, &filter, &page).await?.items;
    let mut periods: Vec<String> = statements
        .iter()
        .filter(|s| s.state == StatementState::Approved)
        .map(|s| s.period.clone())
        .collect();
    periods.dedup();
    let mut open = Vec::new();
    let mut open_total: Option<Money> = None;
    if base == "/portal" {
        let lines = store
            .commission_lines(
                scope,
                &LineFilter {
                    open: true,
                    ..LineFilter::default()
                },
                &page_of("200", "-accrued_on", &Store::commission_line_sorts())?,
            )
            .await?
            .items;
        for l in &lines {
            let m = l.statement_amount;
            open_total = Some(match open_total {
                Some(t) if t.currency == m.currency => {
                    Money::new(t.amount_minor + m.amount_minor, t.currency)
                }
                Some(t) => t,
                None => m,
            });
            open.push(line_view(l, false));
        }
    }
    let error = (!form.errors.is_empty()).then(|| form.errors.summary());
    let notice = match q.done.as_deref() {
        Some("run") => Some("Statements drawn up for the period.".to_owned()),
        _ => None,
    };
    Ok(ListPage {
        chrome: Chrome::new(user, "payouts"),
        base,
        rows: statements.iter().map(StatementRow::new).collect(),
        open,
        open_total: open_total.map(|t| t.to_string()).unwrap_or_default(),
        periods,
        form,
        error,
        notice,
    })
}

async fn console_list(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let page = list_page(
        &state,
        &user,
        user.scope(),
        "/console",
        &q,
        FormView::default(),
    )
    .await?;
    Ok(page.into_response())
}

async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let page = list_page(
        &state,
        &user,
        user.scope(),
        "/portal",
        &q,
        FormView::default(),
    )
    .await?;
    Ok(page.into_response())
}

async fn console_run(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let input = RunStatementsInput {
        period_of: trimmed(&form.posted, "period_of"),
    };
    let ran = state
        .store
        .draw_up_statements(&form.user.actor(), &input)
        .await
        .map(|_| Some("run"));
    let q = ListQuery::default();
    form::after_action(ran, "/console/payouts", &form.posted, |view| {
        list_page(&state, &form.user, form.user.scope(), "/console", &q, view)
    })
    .await
}

#[derive(Deserialize)]
struct ExportQuery {
    period: Option<String>,
}

fn csv(name: &str, body: Result<String, String>) -> Result<Response, UiError> {
    let body = body.map_err(|e| UiError::Store(StoreError::Corrupt(e)))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

async fn console_export(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<ExportQuery>,
) -> Result<Response, UiError> {
    let period = q.period.unwrap_or_default();
    let list = state
        .store
        .approved_statements(user.scope(), period.trim())
        .await?;
    csv(&format!("payables-{}", period.trim()), payables_csv(&list))
}

#[derive(Template, WebTemplate)]
#[template(path = "payout/statement.html")]
struct StatementPage {
    chrome: Chrome,
    base: &'static str,
    s: Statement,
    lines: Vec<LineView>,
    disputes: Vec<DisputeView>,
    can_dispute: bool,
    can_manage: bool,
    form: FormView,
    notice: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "payout/print.html")]
struct PrintPage {
    s: Statement,
    lines: Vec<LineView>,
    base: &'static str,
}

fn views(d: &StatementDetail) -> (Vec<LineView>, Vec<DisputeView>) {
    let open: Vec<&str> = d
        .disputes
        .iter()
        .filter(|x| x.state == DisputeState::Open)
        .map(|x| x.line_id.as_str())
        .collect();
    let lines = d
        .lines
        .iter()
        .map(|l| line_view(l, open.contains(&l.id.as_str())))
        .collect();
    let disputes = d
        .disputes
        .iter()
        .map(|x| DisputeView {
            id: x.id.to_string(),
            line_id: x.line_id.to_string(),
            comment: x.comment.clone(),
            state: x.state,
            resolution: x.resolution.clone().unwrap_or_default(),
            raised_at: x.raised_at.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect();
    (lines, disputes)
}

async fn statement_page(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    base: &'static str,
    id: &str,
    failed: (&'static str, FormView),
    notice: Option<&'static str>,
) -> Result<StatementPage, UiError> {
    let d = state.store.statement(scope, id).await?;
    let (lines, disputes) = views(&d);
    let under_review = matches!(
        d.statement.state,
        StatementState::Issued | StatementState::Disputed
    );
    let can_dispute = under_review
        && authorize(
            &user.principal,
            &Action::DisputePayout(&d.statement.partner_id),
        )
        .is_ok();
    let can_manage =
        base == "/console" && authorize(&user.principal, &Action::ManagePayouts).is_ok();
    Ok(StatementPage {
        chrome: Chrome::new(user, "payouts"),
        base,
        s: d.statement,
        lines,
        disputes,
        can_dispute,
        can_manage,
        form: failed.1,
        notice,
    })
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "dispute" => "Your dispute is recorded; the vendor's channel team will answer it.",
        "resolve" => "Dispute resolved.",
        "approve" => "Statement approved for payment.",
        "pay" => "Statement marked paid.",
        _ => return None,
    })
}

async fn console_statement(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = statement_page(
        &state,
        &user,
        user.scope(),
        "/console",
        &id,
        ("", FormView::default()),
        notice_of(d.done.as_deref()),
    )
    .await?;
    Ok(page.into_response())
}

async fn portal_statement(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = statement_page(
        &state,
        &user,
        user.scope(),
        "/portal",
        &id,
        ("", FormView::default()),
        notice_of(d.done.as_deref()),
    )
    .await?;
    Ok(page.into_response())
}

async fn statement_csv_of(state: &AppState, scope: &Scope, id: &str) -> Result<Response, UiError> {
    let d = state.store.statement(scope, id).await?;
    csv(
        &format!("statement-{}-{}", d.statement.period, d.statement.id),
        statement_csv(&d),
    )
}

async fn console_csv(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    statement_csv_of(&state, user.scope(), &id).await
}

async fn portal_csv(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    statement_csv_of(&state, user.scope(), &id).await
}

async fn print_of(
    state: &AppState,
    scope: &Scope,
    base: &'static str,
    id: &str,
) -> Result<Response, UiError> {
    let d = state.store.statement(scope, id).await?;
    let (lines, _) = views(&d);
    Ok(PrintPage {
        s: d.statement,
        lines,
        base,
    }
    .into_response())
}

async fn console_print(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    print_of(&state, user.scope(), "/console", &id).await
}

async fn portal_print(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    print_of(&state, user.scope(), "/portal", &id).await
}

/// Runs a posted action; `None` for an action this side does not have.
async fn run(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    action: &str,
    p: &Posted,
) -> Result<Option<&'static str>, StoreError> {
    let actor = user.actor();
    let store = &state.store;
    Ok(Some(match (base, action) {
        ("/portal", "dispute") => {
            let input = DisputeInput {
                line_id: trimmed(p, "line_id"),
                comment: trimmed(p, "comment"),
            };
            store.dispute_statement_line(&actor, id, &input).await?;
            "dispute"
        }
        ("/console", "resolve") => {
            // The dispute must be one of this statement's, as the page showed it.
            let dispute_id = trimmed(p, "dispute_id").unwrap_or_default();
            let d = store.statement(&user.principal.scope, id).await?;
            if !d.disputes.iter().any(|x| x.id.as_str() == dispute_id) {
                return Err(StoreError::NotFound(
                    partnerops_core::audit::EntityKind::LineDispute,
                ));
            }
            let corrected = trimmed(p, "corrected")
                .map(|raw| {
                    form::major_to_minor("corrected", &raw, d.statement.total.currency.exponent())
                })
                .transpose()?;
            let input = ResolveInput {
                outcome: trimmed(p, "outcome"),
                resolution: trimmed(p, "resolution"),
                corrected_minor: corrected,
            };
            store
                .resolve_line_dispute(&actor, &dispute_id, &input)
                .await?;
            "resolve"
        }
        ("/console", "approve") => {
            store.approve_statement(&actor, id).await?;
            "approve"
        }
        ("/console", "pay") => {
            let input = PayInput {
                reference: trimmed(p, "reference"),
            };
            store.pay_statement(&actor, id, &input).await?;
            "pay"
        }
        _ => return Ok(None),
    }))
}

fn action_name(action: &str) -> &'static str {
    match action {
        "dispute" => "dispute",
        "resolve" => "resolve",
        "approve" => "approve",
        "pay" => "pay",
        _ => "",
    }
}

async fn after(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    action: &str,
    p: &Posted,
) -> Result<Response, UiError> {
    let ran = run(state, user, base, id, action, p).await;
    let page = format!("{base}/payouts/{id}");
    let scope = user.principal.scope.clone();
    form::after_action(ran, &page, p, |view| {
        statement_page(
            state,
            user,
            &scope,
            base,
            id,
            (action_name(action), view),
            None,
        )
    })
    .await
}

async fn console_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    after(&state, &form.user, "/console", &id, &action, &form.posted).await
}

async fn portal_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    after(&state, &form.user, "/portal", &id, &action, &form.posted).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_percentages() {
        assert_eq!(rate(1500), "15%");
        assert_eq!(rate(750), "7.5%");
        assert_eq!(rate(1234), "12.34%");
    }
}
