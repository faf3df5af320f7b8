//! The vendor console: programs and tiers, partners, accounts, users and audit trails.
//! Partner users get 404 on every console page: to them it does not exist.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use partnerops_core::account::{Account, AccountInput, AccountStatus};
use partnerops_core::audit::{AuditEvent, EntityKind, changed_fields};
use partnerops_core::country::Region;
use partnerops_core::ids::EntityId;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::partner::{Partner, PartnerInput, PartnerStatus, PartnerType};
use partnerops_core::program::{Program, ProgramInput, ProgramKind, ThesisInput};
use partnerops_core::scope::Scope;
use partnerops_core::tier::{BenefitInput, Tier, TierInput};
use partnerops_core::user::{NewUserInput, Role, User};
use partnerops_core::{Invalid, money::Currency};
use partnerops_store::programs::ProgramFilter;
use partnerops_store::users::UserFilter;
use partnerops_store::{Archived, Store};

use super::form::{FormView, Posted, field_errors, major_to_minor, minor_to_major, url_encode};
use super::session::SignedForm;
use super::{Chrome, UiError, UiUser};
use crate::AppState;
use crate::api::{AccountQuery, PartnerQuery, UserQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/partners") }),
        )
        .route("/console/partners", get(partners).post(create_partner))
        .route("/console/partners/new", get(new_partner))
        .route("/console/partners/{id}", get(partner).post(update_partner))
        .route("/console/programs", get(programs).post(create_program))
        .route("/console/programs/{id}", get(program).post(update_program))
        .route("/console/programs/{id}/tiers", post(create_tier))
        .route("/console/accounts", get(accounts).post(create_account))
        .route("/console/accounts/{id}", get(account).post(update_account))
        .route("/console/users", get(users).post(create_user))
        .route("/console/audit/{kind}/{id}", get(audit_page))
        .route("/console/{kind}/{id}/{op}", post(archive_or_restore))
}

/// Console pages are for vendor staff only.
pub(super) fn staff(user: &UiUser) -> Result<(), UiError> {
    if user.principal.is_vendor() {
        Ok(())
    } else {
        Err(UiError::NotFound)
    }
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Choices for selects, so templates never hard-code the closed sets.
pub struct Choices {
    pub partner_types: &'static [PartnerType],
    pub statuses: &'static [PartnerStatus],
    pub regions: &'static [Region],
    pub account_statuses: &'static [AccountStatus],
    pub program_kinds: &'static [ProgramKind],
    pub roles: &'static [Role],
}

impl Choices {
    pub fn get() -> Choices {
        Choices {
            partner_types: PartnerType::ALL,
            statuses: PartnerStatus::ALL,
            regions: Region::ALL,
            account_statuses: AccountStatus::ALL,
            program_kinds: ProgramKind::ALL,
            roles: Role::ALL,
        }
    }
}

/// One row of an audit trail as shown.
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub changes: Vec<(String, String, String)>,
}

/// A stored value as people read it: lists joined, money formatted, nothing as a dash.
fn show_value(v: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.is_empty() => "—".to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| show_value(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(v @ Value::Object(_)) => {
            match serde_json::from_value::<partnerops_core::money::Money>(v.clone()) {
                Ok(money) => money.to_string(),
                Err(_) => v.to_string(),
            }
        }
        Some(other) => other.to_string(),
    }
}

/// Nested objects as dotted fields (`thesis.coverage_gaps`), money kept whole.
fn flatten(
    prefix: &str,
    value: &serde_json::Value,
    out: &mut serde_json::Map<String, serde_json::Value>,
) {
    match value {
        serde_json::Value::Object(map) if !map.contains_key("amount_minor") => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.clone());
        }
    }
}

fn flat(v: Option<&serde_json::Value>) -> Option<serde_json::Value> {
    v.map(|v| {
        let mut out = serde_json::Map::new();
        flatten("", v, &mut out);
        serde_json::Value::Object(out)
    })
}

/// Fields an audit row never shows: the record's own id and bookkeeping.
const HIDDEN_FIELDS: &[&str] = &["id", "archived_at"];

pub fn audit_rows(events: &[AuditEvent]) -> Vec<AuditRow> {
    events
        .iter()
        .map(|e| {
            let created = e.action == partnerops_core::audit::AuditAction::Created;
            let changes = changed_fields(
                flat(e.before.as_ref()).as_ref(),
                flat(e.after.as_ref()).as_ref(),
            )
            .into_iter()
            // On creation, ids and empty fields say nothing a reader needs.
            .filter(|c| {
                !HIDDEN_FIELDS.contains(&c.field.as_str()) || (!created && c.field == "archived_at")
            })
            .filter(|c| {
                !created || (!c.field.ends_with("_id") && show_value(c.after.as_ref()) != "—")
            })
            .map(|c| {
                (
                    c.field.replace('_', " "),
                    show_value(c.before.as_ref()),
                    show_value(c.after.as_ref()),
                )
            })
            .collect();
            AuditRow {
                at: e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                actor: e.actor_name.clone(),
                action: e.action.label(),
                changes,
            }
        })
        .collect()
}

async fn trail(
    state: &AppState,
    scope: &Scope,
    kind: EntityKind,
    id: &str,
) -> Result<Vec<AuditRow>, UiError> {
    let page = PageRequest::parse(
        &PageParams {
            sort: Some("-at".into()),
            limit: Some("50".into()),
            cursor: None,
        },
        partnerops_store::audit::SORTS,
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(audit_rows(
        &state.store.audit_trail(scope, kind, id, &page).await?.items,
    ))
}

/// The URL of the next page: the current query with the cursor replaced.
fn next_url(base: &str, query: &[(&str, Option<&str>)], cursor: Option<&String>) -> Option<String> {
    let cursor = cursor?;
    let mut parts: Vec<String> = query
        .iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", url_encode(v)))
        })
        .collect();
    parts.push(format!("cursor={}", url_encode(cursor)));
    Some(format!("{base}?{}", parts.join("&")))
}

/// The results part of a list page: a page of rows (or why the filters were refused), the
/// link to the next page, and the filter values to show again.
struct Listing<T> {
    page: Page<T>,
    next: Option<String>,
    error: Option<String>,
    filters: FormView,
}

impl<T> Listing<T> {
    /// Runs `fetch` when the query parsed; `query` lists the parameters a next-page link
    /// and the filter form keep.
    async fn load<F, Fut>(
        parsed: Result<(PageRequest, F), Invalid>,
        base: &str,
        query: &[(&str, Option<&str>)],
        fetch: impl FnOnce(PageRequest, F) -> Fut,
    ) -> Result<Listing<T>, UiError>
    where
        Fut: std::future::Future<Output = Result<Page<T>, partnerops_store::StoreError>>,
    {
        let (page, error) = match parsed {
            Ok((req, filter)) => (fetch(req, filter).await?, None),
            Err(inv) => (
                Page {
                    items: Vec::new(),
                    next_cursor: None,
                },
                Some(inv.summary()),
            ),
        };
        let next = next_url(base, query, page.next_cursor.as_ref());
        let mut filters = FormView::default();
        for (k, v) in query {
            filters.set(k, v.unwrap_or_default());
        }
        Ok(Listing {
            page,
            next,
            error,
            filters,
        })
    }
}

async fn all_programs(state: &AppState) -> Result<Vec<Program>, UiError> {
    let page = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::program_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(state
        .store
        .programs(&Scope::Vendor, &ProgramFilter::default(), &page)
        .await?
        .items)
}

async fn all_tiers(state: &AppState, program_id: &str) -> Result<Vec<Tier>, UiError> {
    let page = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::tier_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(state
        .store
        .tiers(&Scope::Vendor, program_id, Archived::Live, &page)
        .await?
        .items)
}

// ---------------------------------------------------------------- partners

#[derive(Template, WebTemplate)]
#[template(path = "console/partners.html")]
struct PartnersPage {
    chrome: Chrome,
    filters: FormView,
    programs: Vec<Program>,
    choices: Choices,
    page: Page<Partner>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/partner_rows.html")]
struct PartnerRows {
    page: Page<Partner>,
    next: Option<String>,
    error: Option<String>,
}

async fn partners(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    Query(q): Query<PartnerQuery>,
    Query(p): Query<PageParams>,
) -> Result<Response, UiError> {
    staff(&user)?;
    let query = [
        ("q", q.q.as_deref()),
        ("program_id", q.program_id.as_deref()),
        ("partner_type", q.partner_type.as_deref()),
        ("status", q.status.as_deref()),
        ("country", q.country.as_deref()),
        ("region", q.region.as_deref()),
        ("sort", p.sort.as_deref()),
    ];
    let parsed = crate::api::both(PageRequest::parse(&p, &Store::partner_sorts()), q.parse());
    let Listing {
        page,
        next,
        error,
        filters,
    } = Listing::load(parsed, "/console/partners", &query, |req, filter| {
        let store = state.store.clone();
        async move { store.partners(&Scope::Vendor, &filter, &req).await }
    })
    .await?;
    if is_htmx(&headers) {
        return Ok(PartnerRows { page, next, error }.into_response());
    }
    Ok(PartnersPage {
        chrome: Chrome::new(&user, "partners"),
        filters,
        programs: all_programs(&state).await?,
        choices: Choices::get(),
        page,
        next,
        error,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "console/partner_new.html")]
struct NewPartnerPage {
    chrome: Chrome,
    form: FormView,
    programs: Vec<Program>,
    choices: Choices,
}

async fn new_partner(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    staff(&user)?;
    let mut form = FormView::default();
    form.set("status", "onboarding");
    Ok(NewPartnerPage {
        chrome: Chrome::new(&user, "partners"),
        form,
        programs: all_programs(&state).await?,
        choices: Choices::get(),
    }
    .into_response())
}

fn partner_input(posted: &Posted, governed: bool) -> PartnerInput {
    let text = |name: &str| posted.get(name);
    let mut input = PartnerInput {
        name: text("name"),
        web_domain: text("web_domain"),
        country: text("country"),
        regions: Some(posted.all("regions")),
        verticals: Some(
            posted
                .get("verticals")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        ..Default::default()
    };
    if governed {
        input.partner_type = text("partner_type");
        input.program_id = text("program_id");
        input.tier_id = text("tier_id").filter(|t| !t.is_empty());
        input.status = text("status");
        input.joined_on = text("joined_on").filter(|t| !t.is_empty());
    }
    input
}

async fn create_partner(
    State(state): State<AppState>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    match state
        .store
        .create_partner(&form.user.actor(), &partner_input(&form.posted, true))
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/console/partners/{}", p.id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let view = FormView::from_posted(&form.posted).with_errors(errors);
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                NewPartnerPage {
                    chrome: Chrome::new(&form.user, "partners"),
                    form: view,
                    programs: all_programs(&state).await?,
                    choices: Choices::get(),
                },
            )
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/partner.html")]
struct PartnerPage {
    chrome: Chrome,
    partner: Partner,
    program_name: String,
    tiers: Vec<Tier>,
    form: FormView,
    choices: Choices,
    users: Vec<User>,
    user_form: FormView,
    audit: Vec<AuditRow>,
    saved: bool,
}

fn partner_form(p: &Partner) -> FormView {
    let mut f = FormView::default();
    f.set("name", p.name.clone());
    f.set("web_domain", p.web_domain.to_string());
    f.set("partner_type", p.partner_type.as_str());
    f.set("tier_id", p.tier_id.to_string());
    f.set("status", p.status.as_str());
    f.set("country", p.country.to_string());
    f.set_all(
        "regions",
        p.regions.iter().map(|r| r.as_str().to_owned()).collect(),
    );
    f.set("verticals", p.verticals.join(", "));
    f.set("joined_on", p.joined_on.to_string());
    f
}

async fn partner_page(
    state: &AppState,
    user: &UiUser,
    id: &str,
    form: Option<FormView>,
    user_form: Option<FormView>,
    saved: bool,
) -> Result<PartnerPage, UiError> {
    let partner = state.store.partner(&Scope::Vendor, id).await?;
    let program = state
        .store
        .program(&Scope::Vendor, partner.program_id.as_str())
        .await?;
    let tiers = all_tiers(state, partner.program_id.as_str()).await?;
    let req = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::user_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    let users = state
        .store
        .users(
            &Scope::Vendor,
            &UserFilter {
                partner_id: Some(partner.id.clone()),
                archived: Archived::All,
                ..Default::default()
            },
            &req,
        )
        .await?
        .items;
    let audit = trail(state, &Scope::Vendor, EntityKind::Partner, id).await?;
    let mut default_user_form = FormView::default();
    default_user_form.set("role", "partner_rep");
    Ok(PartnerPage {
        chrome: Chrome::new(user, "partners"),
        form: form.unwrap_or_else(|| partner_form(&partner)),
        program_name: program.name,
        partner,
        tiers,
        choices: Choices::get(),
        users,
        user_form: user_form.unwrap_or(default_user_form),
        audit,
        saved,
    })
}

#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn partner(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
    Query(s): Query<Saved>,
) -> Result<Response, UiError> {
    staff(&user)?;
    Ok(
        partner_page(&state, &user, &id, None, None, s.saved.is_some())
            .await?
            .into_response(),
    )
}

async fn update_partner(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    match state
        .store
        .update_partner(&form.user.actor(), &id, partner_input(&form.posted, true))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/console/partners/{id}?saved=1")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let view = FormView::from_posted(&form.posted).with_errors(errors);
            let page = partner_page(&state, &form.user, &id, Some(view), None, false).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- programs

#[derive(Template, WebTemplate)]
#[template(path = "console/programs.html")]
struct ProgramsPage {
    chrome: Chrome,
    programs: Vec<Program>,
    form: FormView,
    choices: Choices,
}

async fn programs(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    staff(&user)?;
    let mut form = FormView::default();
    form.set("currency", "USD");
    Ok(ProgramsPage {
        chrome: Chrome::new(&user, "programs"),
        programs: all_programs(&state).await?,
        form,
        choices: Choices::get(),
    }
    .into_response())
}

/// A program form as input; amounts are typed in major units of the chosen currency.
fn program_input(posted: &Posted) -> Result<ProgramInput, Invalid> {
    let currency = posted.get("currency").unwrap_or_else(|| "USD".into());
    let exponent = Currency::parse("currency", &currency)
        .map(|c| c.exponent())
        .unwrap_or(2);
    let mut inv = Invalid::new();
    let mut amount = |field: &str| match major_to_minor(
        &format!("thesis.{field}"),
        &posted.get(field).unwrap_or_default(),
        exponent,
    ) {
        Ok(v) => Some(v),
        Err(e) => {
            inv.errors.extend(e.errors);
            None
        }
    };
    let sourced = amount("sourced_arr_target_minor");
    let influenced = amount("influenced_arr_target_minor");
    let input = ProgramInput {
        name: posted.get("name"),
        kind: posted.get("kind"),
        description: posted.get("description"),
        currency: Some(currency),
        thesis: Some(ThesisInput {
            coverage_gaps: Some(posted.lines("coverage_gaps")),
            economic_model: posted.get("economic_model"),
            partner_value: Some(posted.lines("partner_value")),
            sourced_arr_target_minor: sourced,
            influenced_arr_target_minor: influenced,
        }),
    };
    inv.finish(|| Some(input))
}

async fn create_program(
    State(state): State<AppState>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let result = match program_input(&form.posted) {
        Ok(input) => state.store.create_program(&form.user.actor(), &input).await,
        Err(inv) => Err(inv.into()),
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/console/programs/{}", p.id)).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = ProgramsPage {
                chrome: Chrome::new(&form.user, "programs"),
                programs: all_programs(&state).await?,
                form: view,
                choices: Choices::get(),
            };
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/program.html")]
struct ProgramPage {
    chrome: Chrome,
    program: Program,
    tiers: Vec<Tier>,
    form: FormView,
    tier_form: FormView,
    choices: Choices,
    audit: Vec<AuditRow>,
    saved: bool,
    council: partnerops_core::lifecycle::record::Council,
    cohort: partnerops_core::lifecycle::record::Cohort,
    activation: partnerops_core::lifecycle::record::ActivationReport,
}

fn program_form(p: &Program) -> FormView {
    let exp = p.currency.exponent();
    let mut f = FormView::default();
    f.set("name", p.name.clone());
    f.set("kind", p.kind.as_str());
    f.set("description", p.description.clone().unwrap_or_default());
    f.set("currency", p.currency.as_str());
    f.set("coverage_gaps", p.thesis.coverage_gaps.join("\n"));
    f.set(
        "economic_model",
        p.thesis.economic_model.clone().unwrap_or_default(),
    );
    f.set("partner_value", p.thesis.partner_value.join("\n"));
    f.set(
        "sourced_arr_target_minor",
        minor_to_major(p.thesis.sourced_arr_target.amount_minor, exp),
    );
    f.set(
        "influenced_arr_target_minor",
        minor_to_major(p.thesis.influenced_arr_target.amount_minor, exp),
    );
    f
}

async fn program_page(
    state: &AppState,
    user: &UiUser,
    id: &str,
    form: Option<FormView>,
    tier_form: Option<FormView>,
    saved: bool,
) -> Result<ProgramPage, UiError> {
    let program = state.store.program(&Scope::Vendor, id).await?;
    let tiers = all_tiers(state, id).await?;
    let audit = trail(state, &Scope::Vendor, EntityKind::Program, id).await?;
    let council = state.store.council(&Scope::Vendor, id).await?;
    let cohort = state.store.cohort(&Scope::Vendor, id).await?;
    let activation = state.store.activation_report(&Scope::Vendor, id).await?;
    let mut default_tier_form = FormView::default();
    default_tier_form.set(
        "rank",
        (tiers.iter().map(|t| t.rank).max().unwrap_or(0) + 1).to_string(),
    );
    Ok(ProgramPage {
        chrome: Chrome::new(user, "programs"),
        form: form.unwrap_or_else(|| program_form(&program)),
        tier_form: tier_form.unwrap_or(default_tier_form),
        program,
        tiers,
        choices: Choices::get(),
        audit,
        saved,
        council,
        cohort,
        activation,
    })
}

async fn program(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
    Query(s): Query<Saved>,
) -> Result<Response, UiError> {
    staff(&user)?;
    Ok(
        program_page(&state, &user, &id, None, None, s.saved.is_some())
            .await?
            .into_response(),
    )
}

async fn update_program(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let result = match program_input(&form.posted) {
        Ok(input) => {
            state
                .store
                .update_program(&form.user.actor(), &id, input)
                .await
        }
        Err(inv) => Err(inv.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/programs/{id}?saved=1")).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = program_page(&state, &form.user, &id, Some(view), None, false).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn create_tier(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let rank = form.posted.get("rank").unwrap_or_default();
    let benefits: Vec<BenefitInput> = form
        .posted
        .lines("benefits")
        .into_iter()
        .map(|line| BenefitInput {
            kind: Some("other".into()),
            description: Some(line),
            rate_bps: None,
        })
        .collect();
    let input = TierInput {
        name: form.posted.get("name"),
        rank: rank.trim().parse().ok(),
        description: form.posted.get("description"),
        benefits: Some(benefits),
    };
    let result = if !rank.trim().is_empty() && input.rank.is_none() {
        Err(Invalid::one("rank", "integer", "rank must be a whole number").into())
    } else {
        state
            .store
            .create_tier(&form.user.actor(), &id, &input)
            .await
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/programs/{id}#tiers")).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = program_page(&state, &form.user, &id, None, Some(view), false).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- accounts

#[derive(Template, WebTemplate)]
#[template(path = "console/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    filters: FormView,
    form: FormView,
    choices: Choices,
    owners: Vec<User>,
    page: Page<Account>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/account_rows.html")]
struct AccountRows {
    page: Page<Account>,
    next: Option<String>,
    error: Option<String>,
}

async fn staff_users(state: &AppState) -> Result<Vec<User>, UiError> {
    let req = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::user_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(state
        .store
        .users(
            &Scope::Vendor,
            &UserFilter {
                staff: Some(true),
                ..Default::default()
            },
            &req,
        )
        .await?
        .items)
}

async fn accounts_page(
    state: &AppState,
    user: &UiUser,
    q: &AccountQuery,
    p: &PageParams,
    form: FormView,
) -> Result<AccountsPage, UiError> {
    let query = [
        ("q", q.q.as_deref()),
        ("country", q.country.as_deref()),
        ("status", q.status.as_deref()),
        ("sort", p.sort.as_deref()),
    ];
    let parsed = crate::api::both(PageRequest::parse(p, &Store::account_sorts()), q.parse());
    let Listing {
        page,
        next,
        error,
        filters,
    } = Listing::load(
        parsed,
        "/console/accounts",
        &query,
        |req, filter| async move { state.store.accounts(&Scope::Vendor, &filter, &req).await },
    )
    .await?;
    Ok(AccountsPage {
        chrome: Chrome::new(user, "accounts"),
        filters,
        form,
        choices: Choices::get(),
        owners: staff_users(state).await?,
        page,
        next,
        error,
    })
}

async fn accounts(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    Query(q): Query<AccountQuery>,
    Query(p): Query<PageParams>,
) -> Result<Response, UiError> {
    staff(&user)?;
    let page = accounts_page(&state, &user, &q, &p, FormView::default()).await?;
    if is_htmx(&headers) {
        return Ok(AccountRows {
            page: page.page,
            next: page.next,
            error: page.error,
        }
        .into_response());
    }
    Ok(page.into_response())
}

fn account_input(posted: &Posted) -> AccountInput {
    AccountInput {
        name: posted.get("name"),
        web_domain: posted.get("web_domain"),
        country: posted.get("country"),
        industry: posted.get("industry"),
        direct_owner_id: posted.get("direct_owner_id"),
        status: posted.get("status"),
    }
}

async fn create_account(
    State(state): State<AppState>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    match state
        .store
        .create_account(&form.user.actor(), &account_input(&form.posted))
        .await
    {
        Ok(a) => Ok(Redirect::to(&format!("/console/accounts/{}", a.id)).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = accounts_page(
                &state,
                &form.user,
                &AccountQuery::default(),
                &PageParams::default(),
                view,
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/account.html")]
struct AccountPage {
    chrome: Chrome,
    account: Account,
    form: FormView,
    choices: Choices,
    owners: Vec<User>,
    audit: Vec<AuditRow>,
    saved: bool,
    /// The account's deal registrations, newest first.
    registrations: Vec<super::registrations::RegRow>,
}

async fn account_page(
    state: &AppState,
    user: &UiUser,
    id: &str,
    form: Option<FormView>,
    saved: bool,
) -> Result<AccountPage, UiError> {
    let account = state.store.account(&Scope::Vendor, id).await?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormView::default();
        f.set("name", account.name.clone());
        f.set(
            "web_domain",
            account
                .web_domain
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or_default(),
        );
        f.set("country", account.country.to_string());
        f.set("industry", account.industry.clone().unwrap_or_default());
        f.set(
            "direct_owner_id",
            account
                .direct_owner_id
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_default(),
        );
        f.set("status", account.status.as_str());
        f
    });
    Ok(AccountPage {
        chrome: Chrome::new(user, "accounts"),
        audit: trail(state, &Scope::Vendor, EntityKind::Account, id).await?,
        owners: staff_users(state).await?,
        registrations: super::registrations::account_history(state, id).await?,
        account,
        form,
        choices: Choices::get(),
        saved,
    })
}

async fn account(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
    Query(s): Query<Saved>,
) -> Result<Response, UiError> {
    staff(&user)?;
    Ok(account_page(&state, &user, &id, None, s.saved.is_some())
        .await?
        .into_response())
}

async fn update_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    match state
        .store
        .update_account(&form.user.actor(), &id, account_input(&form.posted))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/console/accounts/{id}?saved=1")).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = account_page(&state, &form.user, &id, Some(view), false).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- users

#[derive(Template, WebTemplate)]
#[template(path = "console/users.html")]
struct UsersPage {
    chrome: Chrome,
    /// Names of the partners the listed users belong to.
    partner_names: std::collections::HashMap<String, String>,
    filters: FormView,
    form: FormView,
    choices: Choices,
    page: Page<User>,
    next: Option<String>,
    error: Option<String>,
}

async fn users_page(
    state: &AppState,
    user: &UiUser,
    q: &UserQuery,
    p: &PageParams,
    form: FormView,
) -> Result<UsersPage, UiError> {
    let query = [
        ("q", q.q.as_deref()),
        ("staff", q.staff.as_deref()),
        ("role", q.role.as_deref()),
    ];
    let parsed = crate::api::both(PageRequest::parse(p, &Store::user_sorts()), q.parse());
    let Listing {
        page,
        next,
        error,
        filters,
    } = Listing::load(parsed, "/console/users", &query, |req, filter| async move {
        state.store.users(&Scope::Vendor, &filter, &req).await
    })
    .await?;
    let mut partner_names = std::collections::HashMap::new();
    for id in page.items.iter().filter_map(|u| u.partner_id.as_ref()) {
        if !partner_names.contains_key(id.as_str()) {
            let partner = state.store.partner(&Scope::Vendor, id.as_str()).await?;
            partner_names.insert(id.to_string(), partner.name);
        }
    }
    Ok(UsersPage {
        chrome: Chrome::new(user, "users"),
        partner_names,
        filters,
        form,
        choices: Choices::get(),
        page,
        next,
        error,
    })
}

async fn users(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<UserQuery>,
    Query(p): Query<PageParams>,
) -> Result<Response, UiError> {
    staff(&user)?;
    let mut form = FormView::default();
    form.set("role", "channel_manager");
    Ok(users_page(&state, &user, &q, &p, form)
        .await?
        .into_response())
}

pub fn user_input(posted: &Posted) -> NewUserInput {
    NewUserInput {
        email: posted.get("email"),
        display_name: posted.get("display_name"),
        role: posted.get("role"),
        partner_id: posted.get("partner_id").filter(|s| !s.trim().is_empty()),
        password: posted.get("password").filter(|s| !s.is_empty()),
    }
}

/// Creates a user; from a partner page (`return_to`) errors show on that page.
async fn create_user(State(state): State<AppState>, form: SignedForm) -> Result<Response, UiError> {
    staff(&form.user)?;
    let back = form.posted.get("partner_id").filter(|p| !p.is_empty());
    match state
        .store
        .create_user(&form.user.actor(), &user_input(&form.posted))
        .await
    {
        Ok(_) => Ok(Redirect::to(&back.map_or_else(
            || "/console/users".to_owned(),
            |p| format!("/console/partners/{p}#users"),
        ))
        .into_response()),
        Err(e) => {
            let mut view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            view.set("password", "");
            let status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            match back {
                Some(p) => Ok((
                    status,
                    partner_page(&state, &form.user, &p, None, Some(view), false).await?,
                )
                    .into_response()),
                None => Ok((
                    status,
                    users_page(
                        &state,
                        &form.user,
                        &UserQuery::default(),
                        &PageParams::default(),
                        view,
                    )
                    .await?,
                )
                    .into_response()),
            }
        }
    }
}

// ---------------------------------------------------------------- audit, archive

#[derive(Template, WebTemplate)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    kind: &'static str,
    id: String,
    back: String,
    rows: Vec<AuditRow>,
}

fn kind_of(path: &str) -> Option<(EntityKind, &'static str)> {
    Some(match path {
        "programs" => (EntityKind::Program, "/console/programs/"),
        "partners" => (EntityKind::Partner, "/console/partners/"),
        "accounts" => (EntityKind::Account, "/console/accounts/"),
        "users" => (EntityKind::User, "/console/users?q="),
        "tiers" => (EntityKind::Tier, "/console/programs"),
        _ => return None,
    })
}

async fn audit_page(
    State(state): State<AppState>,
    user: UiUser,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    staff(&user)?;
    let (entity, back) = kind_of(&kind).ok_or(UiError::NotFound)?;
    let rows = trail(&state, &Scope::Vendor, entity, &id).await?;
    let back = if entity == EntityKind::Tier {
        back.to_owned()
    } else {
        format!("{back}{id}")
    };
    Ok(AuditPage {
        chrome: Chrome::new(&user, "partners"),
        kind: entity.label(),
        id,
        back,
        rows,
    }
    .into_response())
}

async fn archive_or_restore(
    State(state): State<AppState>,
    Path((kind, id, op)): Path<(String, String, String)>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let (entity, _) = kind_of(&kind).ok_or(UiError::NotFound)?;
    let archive = match op.as_str() {
        "archive" => true,
        "restore" => false,
        _ => return Err(UiError::NotFound),
    };
    let actor = form.user.actor();
    let s = &state.store;
    let back = match (entity, archive) {
        (EntityKind::Program, true) => s
            .archive_program(&actor, &id)
            .await
            .map(|_| format!("/console/programs/{id}")),
        (EntityKind::Program, false) => s
            .restore_program(&actor, &id)
            .await
            .map(|_| format!("/console/programs/{id}")),
        (EntityKind::Tier, true) => s
            .archive_tier(&actor, &id)
            .await
            .map(|t| format!("/console/programs/{}#tiers", t.program_id)),
        (EntityKind::Tier, false) => s
            .restore_tier(&actor, &id)
            .await
            .map(|t| format!("/console/programs/{}#tiers", t.program_id)),
        (EntityKind::Partner, true) => s
            .archive_partner(&actor, &id)
            .await
            .map(|_| format!("/console/partners/{id}")),
        (EntityKind::Partner, false) => s
            .restore_partner(&actor, &id)
            .await
            .map(|_| format!("/console/partners/{id}")),
        (EntityKind::Account, true) => s
            .archive_account(&actor, &id)
            .await
            .map(|_| format!("/console/accounts/{id}")),
        (EntityKind::Account, false) => s
            .restore_account(&actor, &id)
            .await
            .map(|_| format!("/console/accounts/{id}")),
        (EntityKind::User, true) => s.archive_user(&actor, &id).await.map(|u| {
            u.partner_id
                .map_or("/console/users?archived=all".to_owned(), |p| {
                    format!("/console/partners/{p}#users")
                })
        }),
        (EntityKind::User, false) => s.restore_user(&actor, &id).await.map(|u| {
            u.partner_id.map_or("/console/users".to_owned(), |p| {
                format!("/console/partners/{p}#users")
            })
        }),
        // `kind_of` yields only the archivable kinds above; nothing else has these routes.
        _ => return Err(UiError::NotFound),
    }?;
    Ok(Redirect::to(&back).into_response())
}
