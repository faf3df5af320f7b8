//! The public lifecycle pages, reachable without signing in: the application form
//! (`/apply`) and the invitation page (`/invite/{token}`). Their CSRF token is a cookie the
//! form echoes. They read only what they show: open programs by id and name.

use crate::AppState;
use crate::ui::UiError;
use crate::ui::form::{FormView, Posted};
use crate::ui::lifecycle::split;
use crate::ui::session::{public_csrf, public_form_ok};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::Invalid;
use partnerops_core::lifecycle::application::{Application, ApplicationInput};
use partnerops_core::partner::PartnerType;
use partnerops_store::StoreError;

// ---- the public application form ----

#[derive(Template, WebTemplate)]
#[template(path = "lifecycle/public/apply.html")]
struct ApplyPage {
    csrf: String,
    programs: Vec<(String, String)>,
    partner_types: &'static [PartnerType],
    form: FormView,
    received: Option<Application>,
}

/// The programs the form offers, as (id, name): nothing else about them is public.
async fn open_programs(state: &AppState) -> Result<Vec<(String, String)>, UiError> {
    Ok(state.store.open_programs_for_application().await?)
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

pub(super) async fn apply_form(State(state): State<AppState>) -> Result<Response, UiError> {
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

pub(super) async fn apply(
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
#[template(path = "lifecycle/public/invite.html")]
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

pub(super) async fn invite_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    invite_page(&state, StatusCode::OK, token, None)
}

pub(super) async fn accept_invite(
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
            crate::ui::form::url_encode(user.email.as_str())
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
