//! The console's pipeline pages: the list with its filters and a form for a new
//! opportunity, the board by stage with money per column, the weighted forecast per month,
//! one opportunity, and the dated currency-rate table with its CSV import. Staff only.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::Invalid;
use partnerops_core::ids::EntityId;
use partnerops_core::money::Currency;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::pipeline::board::{Board, Forecast};
use partnerops_core::pipeline::fx::{FxRate, FxRateInput};
use partnerops_core::pipeline::record::{OpportunityInput, OpportunitySource, RouteKind};
use partnerops_core::program::Program;
use partnerops_store::Store;
use partnerops_store::program::ProgramFilter;

use super::{
    Done, OppRow, ROUTES, SOURCES, StageOption, after_action, notice_of, opportunity_page,
    stage_options, trimmed,
};
use crate::AppState;
use crate::api::OpportunityQuery;
use crate::ui::form::{FormView, field_errors, major_to_minor};
use crate::ui::guard::Staff;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

/// The programs, for the program select of the list, board and forecast (and the
/// campaign template form).
pub(crate) async fn programs(state: &AppState, user: &Staff) -> Result<Vec<Program>, UiError> {
    let page = PageRequest::parse(
        &PageParams {
            sort: Some("name".into()),
            limit: Some("200".into()),
            cursor: None,
        },
        &Store::program_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(state
        .store
        .programs(user.scope(), &ProgramFilter::default(), &page)
        .await?
        .items)
}

/// The program a page is about: the chosen one, else the first.
fn chosen(programs: &[Program], raw: Option<&str>) -> Option<Program> {
    raw.and_then(|id| programs.iter().find(|p| p.id.as_str() == id))
        .or(programs.first())
        .cloned()
}

/// The filters as a form shows them, from the query string.
fn filter_view(q: &OpportunityQuery) -> FormView {
    let mut v = FormView::default();
    for (k, val) in [
        ("program_id", &q.program_id),
        ("stage", &q.stage),
        ("source", &q.source),
        ("route", &q.route),
        ("partner_id", &q.partner_id),
        ("owner_id", &q.owner_id),
        ("close_month", &q.close_month),
        ("q", &q.q),
    ] {
        if let Some(val) = val {
            v.set(k, val.clone());
        }
    }
    v
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/console/list.html")]
struct ListPage {
    chrome: Chrome,
    programs: Vec<Program>,
    program: Option<Program>,
    stages: Vec<StageOption>,
    sources: &'static [OpportunitySource],
    routes: &'static [RouteKind],
    filters: FormView,
    rows: Vec<OppRow>,
    next: Option<String>,
    error: Option<String>,
    /// The new-opportunity form: open when it failed.
    create: FormView,
    create_open: bool,
}

#[derive(serde::Deserialize)]
pub(super) struct ListQuery {
    #[serde(flatten)]
    filter: OpportunityQuery,
    cursor: Option<String>,
    sort: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &Staff,
    q: &ListQuery,
    create: FormView,
    create_open: bool,
) -> Result<ListPage, UiError> {
    let programs = programs(state, user).await?;
    let program = chosen(&programs, q.filter.program_id.as_deref());
    let stages = match &program {
        Some(p) => stage_options(&state.store.pipeline_policy(p.id.as_str()).await?),
        None => Vec::new(),
    };
    let mut filter_q = q.filter.clone();
    filter_q.program_id = program.as_ref().map(|p| p.id.to_string());
    let page = PageRequest::parse(
        &PageParams {
            sort: Some(q.sort.clone().unwrap_or_else(|| "expected_close_on".into())),
            limit: Some("50".into()),
            cursor: q.cursor.clone().filter(|c| !c.is_empty()),
        },
        &Store::opportunity_sorts(),
    );
    let (rows, next, error) = match (filter_q.parse(), page) {
        (Ok(filter), Ok(page)) => {
            let listed = state
                .store
                .opportunities(user.scope(), &filter, &page)
                .await?;
            let policy = match &program {
                Some(p) => state.store.pipeline_policy(p.id.as_str()).await?,
                None => Default::default(),
            };
            let rows = listed
                .items
                .iter()
                .map(|o| OppRow::new(o, &policy))
                .collect();
            let next = listed.next_cursor.map(|c| {
                let mut query = url_of(&filter_q);
                query.push_str(&format!("&cursor={}", crate::ui::form::url_encode(&c)));
                format!("/console/pipeline?{query}")
            });
            (rows, next, None)
        }
        (f, p) => {
            let mut inv = Invalid::new();
            inv.errors
                .extend(f.err().map(|e| e.errors).unwrap_or_default());
            inv.errors
                .extend(p.err().map(|e| e.errors).unwrap_or_default());
            (Vec::new(), None, Some(inv.summary()))
        }
    };
    Ok(ListPage {
        chrome: Chrome::new(user, "pipeline"),
        filters: filter_view(&filter_q),
        programs,
        program,
        stages,
        sources: SOURCES,
        routes: ROUTES,
        rows,
        next,
        error,
        create,
        create_open,
    })
}

/// The query string of a filter, for links that keep it.
fn url_of(q: &OpportunityQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("program_id", &q.program_id),
        ("stage", &q.stage),
        ("source", &q.source),
        ("route", &q.route),
        ("partner_id", &q.partner_id),
        ("owner_id", &q.owner_id),
        ("close_month", &q.close_month),
        ("q", &q.q),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", crate::ui::form::url_encode(v)));
        }
    }
    parts.join("&")
}

/// `GET /console/pipeline`.
pub(super) async fn list(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let mut create = FormView::default();
    create.set("currency", "USD");
    create.set("source", "direct");
    Ok(list_page(&state, &user, &q, create, false)
        .await?
        .into_response())
}

/// `POST /console/pipeline`: a new opportunity.
pub(super) async fn create(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let exponent = trimmed(p, "currency")
        .and_then(|c| Currency::parse("currency", &c).ok())
        .map_or(2, |c| c.exponent());
    let amount = trimmed(p, "amount").map(|raw| major_to_minor("amount_minor", &raw, exponent));
    let mut input = OpportunityInput {
        program_id: trimmed(p, "program_id"),
        account_id: trimmed(p, "account_id"),
        title: trimmed(p, "title"),
        amount_minor: None,
        currency: trimmed(p, "currency"),
        expected_close_on: trimmed(p, "expected_close_on"),
        stage: trimmed(p, "stage"),
        source: trimmed(p, "source"),
        route: trimmed(p, "route"),
        marketplace: trimmed(p, "marketplace"),
        marketplace_name: trimmed(p, "marketplace_name"),
        partner_id: trimmed(p, "partner_id"),
        vendor_owner_id: trimmed(p, "vendor_owner_id"),
        partner_owner_id: None,
        next_step: trimmed(p, "next_step"),
    };
    let result = match amount {
        Some(Err(inv)) => Err(inv.into()),
        other => {
            input.amount_minor = other.transpose().ok().flatten();
            state
                .store
                .create_opportunity(&form.user.actor(), &input)
                .await
        }
    };
    match result {
        Ok(o) => Ok(Redirect::to(&format!("/console/opportunities/{}", o.id)).into_response()),
        Err(e) => {
            let status = match &e {
                partnerops_store::StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let view = FormView::from_posted(p).with_errors(field_errors(e)?);
            let q = ListQuery {
                filter: OpportunityQuery {
                    program_id: trimmed(p, "program_id"),
                    ..OpportunityQuery::default()
                },
                cursor: None,
                sort: None,
            };
            let page = list_page(&state, &form.user, &q, view, true).await?;
            Ok((status, page).into_response())
        }
    }
}

/// A board column as shown.
pub struct ColumnView {
    pub stage: String,
    pub label: String,
    pub probability: String,
    pub count: i64,
    pub amount: String,
    pub weighted: String,
    pub unconverted: String,
    pub cards: Vec<OppRow>,
    pub closed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/console/board.html")]
struct BoardPage {
    chrome: Chrome,
    programs: Vec<Program>,
    program: Option<Program>,
    filters: FormView,
    columns: Vec<ColumnView>,
    currency: String,
    as_of: String,
    open_total: String,
    open_weighted: String,
    error: Option<String>,
}

fn columns_of(
    board: &Board,
    policy: &partnerops_core::pipeline::policy::PipelinePolicy,
) -> Vec<ColumnView> {
    board
        .columns
        .iter()
        .map(|c| ColumnView {
            stage: c.column.stage.clone(),
            label: c.column.label.clone(),
            probability: c
                .column
                .probability_bp
                .map(|bp| format!("{}%", bp / 100))
                .unwrap_or_default(),
            count: c.column.totals.count,
            amount: c.column.totals.amount.to_string(),
            weighted: c.column.totals.weighted.to_string(),
            unconverted: c
                .column
                .totals
                .unconverted
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            cards: c.cards.iter().map(|o| OppRow::new(o, policy)).collect(),
            closed: super::is_closed_key(&c.column.stage),
        })
        .collect()
}

/// `GET /console/pipeline/board`.
pub(super) async fn board(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<OpportunityQuery>,
) -> Result<Response, UiError> {
    let programs = programs(&state, &user).await?;
    let program = chosen(&programs, q.program_id.as_deref());
    let mut q = q;
    q.program_id = program.as_ref().map(|p| p.id.to_string());
    let mut page = BoardPage {
        chrome: Chrome::new(&user, "pipeline"),
        filters: filter_view(&q),
        programs,
        program: program.clone(),
        columns: Vec::new(),
        currency: String::new(),
        as_of: String::new(),
        open_total: String::new(),
        open_weighted: String::new(),
        error: None,
    };
    let Some(program) = program else {
        return Ok(page.into_response());
    };
    match q.parse() {
        Ok(filter) => {
            let board = state.store.pipeline_board(user.scope(), &filter).await?;
            let policy = state.store.pipeline_policy(program.id.as_str()).await?;
            let open = board
                .columns
                .iter()
                .filter(|c| !super::is_closed_key(&c.column.stage));
            let (mut total, mut weighted) = (0_i64, 0_i64);
            for c in open {
                total += c.column.totals.amount.amount_minor;
                weighted += c.column.totals.weighted.amount_minor;
            }
            page.open_total = partnerops_core::money::Money::new(total, board.currency).to_string();
            page.open_weighted =
                partnerops_core::money::Money::new(weighted, board.currency).to_string();
            page.columns = columns_of(&board, &policy);
            page.currency = board.currency.to_string();
            page.as_of = board.as_of.to_string();
        }
        Err(inv) => page.error = Some(inv.summary()),
    }
    Ok(page.into_response())
}

/// A forecast month as shown.
pub struct MonthView {
    pub month: String,
    pub count: i64,
    pub amount: String,
    pub weighted: String,
    /// Bar width, percent of the largest weighted month.
    pub bar: i64,
    pub unconverted: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/console/forecast.html")]
struct ForecastPage {
    chrome: Chrome,
    programs: Vec<Program>,
    program: Option<Program>,
    filters: FormView,
    months: Vec<MonthView>,
    currency: String,
    as_of: String,
    error: Option<String>,
}

fn months_of(f: &Forecast) -> Vec<MonthView> {
    let max = f
        .months
        .iter()
        .map(|m| m.totals.weighted.amount_minor)
        .max()
        .unwrap_or(0)
        .max(1);
    f.months
        .iter()
        .map(|m| MonthView {
            month: m.month.clone(),
            count: m.totals.count,
            amount: m.totals.amount.to_string(),
            weighted: m.totals.weighted.to_string(),
            bar: (i128::from(m.totals.weighted.amount_minor) * 100 / i128::from(max)) as i64,
            unconverted: m
                .totals
                .unconverted
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect()
}

/// `GET /console/pipeline/forecast`.
pub(super) async fn forecast(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<OpportunityQuery>,
) -> Result<Response, UiError> {
    let programs = programs(&state, &user).await?;
    let program = chosen(&programs, q.program_id.as_deref());
    let mut q = q;
    q.program_id = program.as_ref().map(|p| p.id.to_string());
    let mut page = ForecastPage {
        chrome: Chrome::new(&user, "pipeline"),
        filters: filter_view(&q),
        programs,
        program: program.clone(),
        months: Vec::new(),
        currency: String::new(),
        as_of: String::new(),
        error: None,
    };
    if program.is_some() {
        match q.parse() {
            Ok(filter) => {
                let f = state.store.pipeline_forecast(user.scope(), &filter).await?;
                page.months = months_of(&f);
                page.currency = f.currency.to_string();
                page.as_of = f.as_of.to_string();
            }
            Err(inv) => page.error = Some(inv.summary()),
        }
    }
    Ok(page.into_response())
}

/// `GET /console/opportunities/{id}`.
pub(super) async fn opportunity(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = opportunity_page(
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

/// `POST /console/opportunities/{id}/{action}`.
pub(super) async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let scope = form.user.scope().clone();
    after_action(
        &state,
        &form.user,
        &scope,
        "/console",
        &id,
        &action,
        &form.posted,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/console/fx_rates.html")]
struct RatesPage {
    chrome: Chrome,
    rates: Vec<FxRate>,
    form: FormView,
    import: FormView,
    notice: Option<String>,
}

#[derive(serde::Deserialize)]
pub(super) struct RatesQuery {
    imported: Option<String>,
    saved: Option<String>,
}

async fn rates_page(
    state: &AppState,
    user: &Staff,
    form: FormView,
    import: FormView,
    notice: Option<String>,
) -> Result<RatesPage, UiError> {
    Ok(RatesPage {
        chrome: Chrome::new(user, "pipeline"),
        rates: state.store.fx_rates(user.scope()).await?,
        form,
        import,
        notice,
    })
}

/// `GET /console/fx-rates`.
pub(super) async fn fx_rates(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<RatesQuery>,
) -> Result<Response, UiError> {
    let notice = match (q.imported, q.saved) {
        (Some(n), _) => Some(format!("Imported: {n}.")),
        (_, Some(_)) => Some("Rate saved.".to_owned()),
        _ => None,
    };
    let mut form = FormView::default();
    form.set("to", "USD");
    Ok(rates_page(&state, &user, form, FormView::default(), notice)
        .await?
        .into_response())
}

/// `POST /console/fx-rates`: one rate.
pub(super) async fn set_fx_rate(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let input = FxRateInput {
        from: trimmed(p, "from"),
        to: trimmed(p, "to"),
        effective_on: trimmed(p, "effective_on"),
        rate: trimmed(p, "rate"),
    };
    match state.store.set_fx_rate(&form.user.actor(), &input).await {
        Ok(_) => Ok(Redirect::to("/console/fx-rates?saved=1").into_response()),
        Err(e) => {
            let view = FormView::from_posted(p).with_errors(field_errors(e)?);
            let page = rates_page(&state, &form.user, view, FormView::default(), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /console/fx-rates/import`: a CSV file pasted in a text box.
pub(super) async fn import_fx_rates(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let csv = form.posted.get("csv").unwrap_or_default();
    match state.store.import_fx_rates(&form.user.actor(), &csv).await {
        Ok(done) => {
            let summary = format!(
                "{} added, {} replaced, {} unchanged",
                done.added, done.replaced, done.unchanged
            );
            Ok(Redirect::to(&format!(
                "/console/fx-rates?imported={}",
                crate::ui::form::url_encode(&summary)
            ))
            .into_response())
        }
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let mut form_view = FormView::default();
            form_view.set("to", "USD");
            let page = rates_page(&state, &form.user, form_view, view, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `GET /console/opportunities/{id}/room`.
pub(super) async fn room(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = super::room::room_page(
        &state,
        &user,
        "/console",
        &id,
        ("", FormView::default()),
        d.done.as_deref(),
    )
    .await?;
    Ok(page.into_response())
}

/// `POST /console/opportunities/{id}/room/{action}`.
pub(super) async fn room_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    super::room::after(&state, &form.user, "/console", &id, &action, &form.posted).await
}
