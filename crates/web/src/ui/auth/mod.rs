//! Sign-in and sign-out: the sign-in form (its CSRF token is a cookie, as there is no
//! session yet) and ending a session. Sessions and `SignedForm` live in `ui::session`, who
//! may open which page in `ui::guard`.

use crate::AppState;
use crate::auth::ClientAddr;
use crate::ui::UiError;
use crate::ui::form::Posted;
use crate::ui::session::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, SignedForm, cookie, same_origin, set_cookie,
};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_store::{StoreError, auth::SESSION_LIFETIME, secret};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
struct LoginPage {
    signed_out: bool,
    email: String,
    next: String,
    csrf: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
    signed_out: Option<String>,
    /// Prefills the address (after an invitation was accepted).
    email: Option<String>,
}

/// Only local paths, so the sign-in page cannot be used to bounce users to another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

fn render(
    state: &AppState,
    status: StatusCode,
    email: String,
    next: String,
    error: Option<String>,
) -> Response {
    render_page(state, status, email, next, error, false)
}

fn render_page(
    state: &AppState,
    status: StatusCode,
    email: String,
    next: String,
    error: Option<String>,
    signed_out: bool,
) -> Response {
    // The sign-in form has no session yet: its CSRF token is a cookie the form must echo.
    let csrf = secret::random_token("");
    let page = LoginPage {
        signed_out,
        email,
        next,
        csrf: csrf.clone(),
        error,
    };
    let cookie = set_cookie(
        LOGIN_CSRF_COOKIE,
        &csrf,
        "/login",
        3600,
        state.secure_cookies,
    );
    (status, [(SET_COOKIE, cookie)], page).into_response()
}

pub async fn form(State(state): State<AppState>, Query(q): Query<Next>) -> Response {
    render_page(
        &state,
        StatusCode::OK,
        q.email.unwrap_or_default(),
        safe_next(q.next.as_deref()),
        None,
        q.signed_out.is_some(),
    )
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    let email = posted.get("email").unwrap_or_default();
    let next = safe_next(posted.get("next").as_deref());
    let token_ok =
        cookie(&headers, LOGIN_CSRF_COOKIE).is_some_and(|c| Some(c) == posted.get("_csrf"));
    if !token_ok || !same_origin(&headers) {
        let msg = "The sign-in form expired. Please try again.".to_owned();
        return Ok(render(
            &state,
            StatusCode::FORBIDDEN,
            email,
            next,
            Some(msg),
        ));
    }
    let password = posted.get("password").unwrap_or_default();
    match state
        .store
        .login(&email, &password, &client.to_string())
        .await
    {
        Ok(principal) => {
            let session = state.store.create_session(&principal.user_id).await?;
            let cookie = set_cookie(
                SESSION_COOKIE,
                &session.cookie,
                "/",
                SESSION_LIFETIME.num_seconds(),
                state.secure_cookies,
            );
            let clear = set_cookie(LOGIN_CSRF_COOKIE, "", "/login", 0, state.secure_cookies);
            let target = if next == "/" {
                if principal.is_vendor() {
                    "/console".to_owned()
                } else {
                    "/portal".to_owned()
                }
            } else {
                next
            };
            let mut response = Redirect::to(&target).into_response();
            response
                .headers_mut()
                .append(SET_COOKIE, cookie.parse().map_err(|_| UiError::Csrf)?);
            response
                .headers_mut()
                .append(SET_COOKIE, clear.parse().map_err(|_| UiError::Csrf)?);
            Ok(response)
        }
        Err(StoreError::BadCredentials) => Ok(render(
            &state,
            StatusCode::UNAUTHORIZED,
            email,
            next,
            Some("Wrong e-mail address or password.".into()),
        )),
        Err(StoreError::Throttled { retry_at }) => {
            let msg = format!(
                "Too many failed sign-ins. Try again after {} UTC.",
                retry_at.format("%H:%M")
            );
            Ok(render(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                email,
                next,
                Some(msg),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: SignedForm,
) -> Result<Response, UiError> {
    let _ = form.user;
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        state.store.end_session(&value).await?;
    }
    let clear = set_cookie(SESSION_COOKIE, "", "/", 0, state.secure_cookies);
    Ok(([(SET_COOKIE, clear)], Redirect::to("/login?signed_out=1")).into_response())
}
