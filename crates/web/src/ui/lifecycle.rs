//! Lifecycle pages: the public application form and invitation page, the console's
//! application queue (fit score with its reasons, approve or decline) and program policy
//! page (document, history, differences, what-if), and the portal's onboarding page
//! (checklist, activation, what the next tier needs).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use partnerops_core::Invalid;
use partnerops_core::ids::EntityId;
use partnerops_core::lifecycle::application::{Application, ApplicationInput, ApplicationStatus};
use partnerops_core::lifecycle::record::{Onboarding, TierStanding};
use partnerops_core::lifecycle::tiering::format_minor;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partner::{Partner, PartnerType};
use partnerops_core::policy::Metric;
use partnerops_core::policy::record::{PolicyDiff, PolicyVersion};
use partnerops_core::policy::simulate::SimulationReport;
use partnerops_core::program::Program;
use partnerops_core::scope::Scope;
use partnerops_core::user::Role;
use partnerops_store::applications::ApplicationFilter;
use partnerops_store::programs::ProgramFilter;
use partnerops_store::{Store, StoreError, secret};
use serde::Deserialize;

use super::console::staff;
use super::form::{FormView, Posted, field_errors};
use super::portal::{own_partner, partner_scope};
use super::session::{SignedForm, cookie, same_origin, set_cookie};
use super::{Chrome, UiError, UiUser};
use crate::AppState;

/// The CSRF cookie of the public forms (no session yet), echoed by a hidden field.
const PUBLIC_CSRF_COOKIE: &str = "po_public_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apply", get(apply_form).post(apply))
        .route("/invite/{token}", get(invite_form).post(accept_invite))
        .route("/console/applications", get(applications))
        .route("/console/applications/{id}", get(application))
        .route("/console/applications/{id}/approve", post(approve))
        .route("/console/applications/{id}/decline", post(decline))
        .route(
            "/console/programs/{id}/policy",
            get(policy_page).post(policy_action),
        )
        .route("/portal/onboarding", get(onboarding))
        .route("/portal/onboarding/{key}", post(tick))
}

/// A fresh token for a public form, and the cookie that carries it.
fn public_csrf(state: &AppState) -> (String, String) {
    let token = secret::random_token("");
    let cookie = set_cookie(PUBLIC_CSRF_COOKIE, &token, "/", 3600, state.secure_cookies);
    (token, cookie)
}

fn public_form_ok(headers: &HeaderMap, posted: &Posted) -> bool {
    same_origin(headers)
        && cookie(headers, PUBLIC_CSRF_COOKIE).is_some_and(|c| Some(c) == posted.get("_csrf"))
}

/// A store result with invalid input separated out, to show beside the form fields.
fn split<T>(r: Result<T, StoreError>) -> Result<Result<T, Invalid>, UiError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e) => Ok(Err(field_errors(e)?)),
    }
}

// ---- the public application form ----

#[derive(Template, WebTemplate)]
#[template(path = "public/apply.html")]
struct ApplyPage {
    csrf: String,
    programs: Vec<(String, String)>,
    partner_types: &'static [PartnerType],
    form: FormView,
    received: Option<Application>,
}

async fn open_programs(state: &AppState) -> Result<Vec<(String, String)>, UiError> {
    let req = PageRequest::parse(&PageParams::default(), &Store::program_sorts())
        .map_err(|e| UiError::Store(e.into()))?;
    Ok(state
        .store
        .programs(&Scope::Vendor, &ProgramFilter::default(), &req)
        .await?
        .items
        .into_iter()
        .map(|p: Program| (p.id.to_string(), p.name))
        .collect())
}

async fn apply_page(
    state: &AppState,
    status: StatusCode,
    form: FormView,
    received: Option<Application>,
) -> Result<Response, UiError> {
    let (csrf, cookie) = public_csrf(state);
    let page = ApplyPage {
        csrf,
        programs: open_programs(state).await?,
        partner_types: PartnerType::ALL,
        form,
        received,
    };
    Ok((status, [(SET_COOKIE, cookie)], page).into_response())
}

async fn apply_form(State(state): State<AppState>) -> Result<Response, UiError> {
    apply_page(&state, StatusCode::OK, FormView::default(), None).await
}

/// A count field from the form: blank is "not given", anything else must be a number.
fn count(posted: &Posted, name: &str, inv: &mut Invalid) -> Option<i64> {
    let raw = posted.get(name).unwrap_or_default();
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            inv.add(
                name,
                "number",
                format!("{} must be a whole number", name.replace('_', " ")),
            );
            None
        }
    }
}

fn list(posted: &Posted, name: &str) -> Vec<String> {
    posted
        .get(name)
        .unwrap_or_default()
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn apply(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    let form = FormView::from_posted(&posted);
    if !public_form_ok(&headers, &posted) {
        let inv = Invalid::one("_", "csrf", "The form expired. Please send it again.");
        return apply_page(&state, StatusCode::FORBIDDEN, form.with_errors(inv), None).await;
    }
    let mut inv = Invalid::new();
    let input = ApplicationInput {
        program_id: posted.get("program_id"),
        company: posted.get("company"),
        web_domain: posted.get("web_domain"),
        partner_type: posted.get("partner_type"),
        country: posted.get("country"),
        employees: count(&posted, "employees", &mut inv),
        countries: Some(list(&posted, "countries")),
        verticals: Some(list(&posted, "verticals")),
        vendor_relationships: Some(list(&posted, "vendor_relationships")),
        target_customers: count(&posted, "target_customers", &mut inv),
        certified_staff: count(&posted, "certified_staff", &mut inv),
        contact_name: posted.get("contact_name"),
        contact_email: posted.get("contact_email"),
    };
    let result = if inv.is_empty() {
        split(state.store.submit_application(&input).await)
    } else {
        Ok(Err(inv))
    };
    match result {
        Ok(Ok(app)) => {
            apply_page(&state, StatusCode::CREATED, FormView::default(), Some(app)).await
        }
        Ok(Err(inv)) => {
            apply_page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                form.with_errors(inv),
                None,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

// ---- invitations ----

#[derive(Template, WebTemplate)]
#[template(path = "public/invite.html")]
struct InvitePage {
    csrf: String,
    token: String,
    error: Option<String>,
}

fn invite_page(
    state: &AppState,
    status: StatusCode,
    token: String,
    error: Option<String>,
) -> Response {
    let (csrf, cookie) = public_csrf(state);
    (
        status,
        [(SET_COOKIE, cookie)],
        InvitePage { csrf, token, error },
    )
        .into_response()
}

async fn invite_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    invite_page(&state, StatusCode::OK, token, None)
}

async fn accept_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    if !public_form_ok(&headers, &posted) {
        return Ok(invite_page(
            &state,
            StatusCode::FORBIDDEN,
            token,
            Some("The form expired. Please try again.".into()),
        ));
    }
    let password = posted.get("password").unwrap_or_default();
    if posted.get("confirm").unwrap_or_default() != password {
        return Ok(invite_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            token,
            Some("The two passwords differ.".into()),
        ));
    }
    match state.store.accept_invitation(&token, &password).await {
        Ok(user) => Ok(Redirect::to(&format!(
            "/login?next=/portal/onboarding&email={}",
            super::form::url_encode(user.email.as_str())
        ))
        .into_response()),
        Err(StoreError::Invalid(inv)) => {
            let msg = inv
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            Ok(invite_page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                token,
                Some(msg),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the console's application queue ----

#[derive(Template, WebTemplate)]
#[template(path = "console/applications.html")]
struct ApplicationsPage {
    chrome: Chrome,
    rows: Vec<Application>,
    status: String,
}

#[derive(Deserialize)]
struct QueueQuery {
    status: Option<String>,
}

async fn applications(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<QueueQuery>,
) -> Result<Response, UiError> {
    staff(&user)?;
    let status_raw = q.status.unwrap_or_else(|| "submitted".into());
    let status = match status_raw.as_str() {
        "" | "all" => None,
        s => Some(
            ApplicationStatus::parse("status", s)
                .map_err(|e| UiError::Store(Invalid { errors: vec![e] }.into()))?,
        ),
    };
    let rows = state
        .store
        .applications(
            &user.principal.scope,
            &ApplicationFilter {
                program_id: None,
                status,
            },
        )
        .await?;
    Ok(ApplicationsPage {
        chrome: Chrome::new(&user, "applications"),
        rows,
        status: status_raw,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "console/application.html")]
struct ApplicationPage {
    chrome: Chrome,
    app: Application,
    program_name: String,
    form: FormView,
    /// The invitation link, shown once right after approval.
    invitation: Option<String>,
}

async fn application_page(
    state: &AppState,
    user: &UiUser,
    id: &str,
    form: FormView,
    invitation: Option<String>,
) -> Result<ApplicationPage, UiError> {
    staff(user)?;
    let app = state.store.application(&user.principal.scope, id).await?;
    let program_name = state
        .store
        .program(&user.principal.scope, app.program_id.as_str())
        .await?
        .name;
    Ok(ApplicationPage {
        chrome: Chrome::new(user, "applications"),
        app,
        program_name,
        form,
        invitation,
    })
}

async fn application(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    Ok(
        application_page(&state, &user, &id, FormView::default(), None)
            .await?
            .into_response(),
    )
}

async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let note = form.posted.get("note");
    match split(
        state
            .store
            .approve_application(&form.user.actor(), &id, note.as_deref())
            .await,
    )? {
        Ok(approval) => {
            let link = format!("/invite/{}", approval.invitation_token);
            Ok(
                application_page(&state, &form.user, &id, FormView::default(), Some(link))
                    .await?
                    .into_response(),
            )
        }
        Err(inv) => {
            let view = FormView::from_posted(&form.posted).with_errors(inv);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                application_page(&state, &form.user, &id, view, None).await?,
            )
                .into_response())
        }
    }
}

async fn decline(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let note = form.posted.get("decline_note").unwrap_or_default();
    match split(
        state
            .store
            .decline_application(&form.user.actor(), &id, &note)
            .await,
    )? {
        Ok(_) => Ok(Redirect::to(&format!("/console/applications/{id}")).into_response()),
        Err(mut inv) => {
            for e in &mut inv.errors {
                if e.field == "note" {
                    e.field = "decline_note".into();
                }
            }
            let view = FormView::from_posted(&form.posted).with_errors(inv);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                application_page(&state, &form.user, &id, view, None).await?,
            )
                .into_response())
        }
    }
}

// ---- the console's policy page ----

#[derive(Template, WebTemplate)]
#[template(path = "console/policy.html")]
struct PolicyPage {
    chrome: Chrome,
    program: Program,
    current: PolicyVersion,
    history: Vec<PolicyVersion>,
    diff: Option<PolicyDiff>,
    /// The document in the editor (the current one, or what was last posted).
    document: String,
    note: String,
    errors: Vec<String>,
    notice: Option<String>,
    simulation: Option<SimulationReport>,
}

#[derive(Deserialize)]
struct PolicyQuery {
    from: Option<i64>,
    to: Option<i64>,
    published: Option<i64>,
}

struct Editor {
    document: Option<String>,
    note: String,
    errors: Vec<String>,
    notice: Option<String>,
    simulation: Option<SimulationReport>,
}

async fn policy_view(
    state: &AppState,
    user: &UiUser,
    id: &str,
    diff: Option<(i64, i64)>,
    editor: Editor,
) -> Result<PolicyPage, UiError> {
    staff(user)?;
    let scope = &user.principal.scope;
    let program = state.store.program(scope, id).await?;
    let history = state.store.policy_history(scope, id).await?;
    let current = history.first().cloned().ok_or(UiError::NotFound)?;
    let diff = match diff {
        Some((from, to)) => Some(state.store.policy_diff(scope, id, from, to).await?),
        None if current.version > 1 => Some(
            state
                .store
                .policy_diff(scope, id, current.version - 1, current.version)
                .await?,
        ),
        None => None,
    };
    Ok(PolicyPage {
        chrome: Chrome::new(user, "programs"),
        document: editor.document.unwrap_or_else(|| current.document.clone()),
        program,
        current,
        history,
        diff,
        note: editor.note,
        errors: editor.errors,
        notice: editor.notice,
        simulation: editor.simulation,
    })
}

async fn policy_page(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
    Query(q): Query<PolicyQuery>,
) -> Result<Response, UiError> {
    let diff = match (q.from, q.to) {
        (Some(f), Some(t)) => Some((f, t)),
        _ => None,
    };
    let notice = q.published.map(|v| format!("Published version {v}."));
    let editor = Editor {
        document: None,
        note: String::new(),
        errors: Vec::new(),
        notice,
        simulation: None,
    };
    Ok(policy_view(&state, &user, &id, diff, editor)
        .await?
        .into_response())
}

/// Problems as lines for people: `key: message`.
fn lines(inv: &Invalid) -> Vec<String> {
    inv.errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect()
}

/// Check, simulate or publish the document in the editor.
async fn policy_action(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let document = form.posted.get("document").unwrap_or_default();
    let note = form.posted.get("change_note").unwrap_or_default();
    let action = form.posted.get("action").unwrap_or_default();
    let mut editor = Editor {
        document: Some(document.clone()),
        note: note.clone(),
        errors: Vec::new(),
        notice: None,
        simulation: None,
    };
    let mut status = StatusCode::OK;
    match action.as_str() {
        "publish" => match split(
            state
                .store
                .publish_policy(&form.user.actor(), &id, &document, &note)
                .await,
        )? {
            Ok(v) => {
                return Ok(Redirect::to(&format!(
                    "/console/programs/{id}/policy?published={}",
                    v.version
                ))
                .into_response());
            }
            Err(inv) => {
                editor.errors = lines(&inv);
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
        },
        "simulate" => match split(
            state
                .store
                .simulate_policy(&form.user.principal.scope, &id, &document)
                .await,
        )? {
            Ok(report) => editor.simulation = Some(report),
            Err(inv) => {
                editor.errors = lines(&inv);
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
        },
        _ => match split(Store::validate_policy(&document))? {
            Ok(warnings) if warnings.is_empty() => {
                editor.notice = Some("The document is valid.".into())
            }
            Ok(warnings) => {
                editor.notice = Some(format!(
                    "The document is valid. Advice: {}",
                    warnings.join(" ")
                ))
            }
            Err(inv) => {
                editor.errors = lines(&inv);
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
        },
    }
    Ok((
        status,
        policy_view(&state, &form.user, &id, None, editor).await?,
    )
        .into_response())
}

// ---- the portal's onboarding page ----

#[derive(Template, WebTemplate)]
#[template(path = "portal/onboarding.html")]
struct OnboardingPage {
    chrome: Chrome,
    partner: Partner,
    onboarding: Onboarding,
    standing: TierStanding,
    can_tick: bool,
}

impl OnboardingPage {
    /// A metric's value for people: money for sourced ARR, yes/no for the plan, else a count.
    fn value(&self, metric: &Metric, value: &i64) -> String {
        match metric {
            Metric::SourcedArr => format_minor(*value),
            Metric::JbpInPlace => if *value > 0 { "yes" } else { "no" }.into(),
            _ => value.to_string(),
        }
    }
}

async fn onboarding(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    let partner = own_partner(&state, &user).await?;
    let scope = partner_scope(&user)?;
    let onboarding = state.store.onboarding(&scope, partner.id.as_str()).await?;
    let standing = state
        .store
        .tier_standing(&scope, partner.id.as_str())
        .await?;
    Ok(OnboardingPage {
        chrome: Chrome::new(&user, "onboarding"),
        can_tick: user.principal.role == Role::PartnerAdmin,
        partner,
        onboarding,
        standing,
    }
    .into_response())
}

async fn tick(
    State(state): State<AppState>,
    Path(key): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    let partner = own_partner(&state, &form.user).await?;
    let done = form.posted.get("done").as_deref() != Some("false");
    state
        .store
        .tick_onboarding(&form.user.actor(), partner.id.as_str(), &key, done)
        .await?;
    Ok(Redirect::to("/portal/onboarding").into_response())
}
