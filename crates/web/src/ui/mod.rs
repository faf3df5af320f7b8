//! The server-rendered web UI: sign-in, the vendor console and the partner portal.
//!
//! Pages are askama templates; htmx refreshes list results in place as filters change.
//! Browser sessions live in the store (a random cookie, kept only as a hash), every form
//! carries the session's CSRF token and must come from our own origin, and cookies are
//! `HttpOnly` and `SameSite=Lax`.

mod charters;
mod console;
mod form;
mod lifecycle;
mod login;
mod portal;
mod registrations;
mod session;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use partnerops_store::StoreError;

use crate::AppState;
pub use session::UiUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .merge(console::router())
        .merge(portal::router())
        .merge(registrations::router())
        .merge(charters::router())
        .merge(lifecycle::router())
}

/// `/`: the console for staff, the portal for partners, else sign in.
async fn home(user: Option<UiUser>) -> Redirect {
    match user {
        Some(u) if u.principal.is_vendor() => Redirect::to("/console/partners"),
        Some(_) => Redirect::to("/portal"),
        None => Redirect::to("/login"),
    }
}

/// The frame around every signed-in page: who is signed in, the navigation, the CSRF token.
pub struct Chrome {
    pub user_id: String,
    pub user_name: String,
    pub role_label: &'static str,
    pub vendor: bool,
    pub csrf: String,
    /// The navigation entry to highlight.
    pub section: &'static str,
}

impl Chrome {
    pub fn new(user: &UiUser, section: &'static str) -> Chrome {
        Chrome {
            user_id: user.principal.user_id.to_string(),
            user_name: user.principal.display_name.clone(),
            role_label: user.principal.role.label(),
            vendor: user.principal.is_vendor(),
            csrf: user.csrf.clone(),
            section,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: String,
    detail: String,
}

/// A failed page request, rendered as a page.
#[derive(Debug)]
pub enum UiError {
    Store(StoreError),
    /// Not signed in: go to the sign-in page, then come back.
    SignIn(String),
    NotFound,
    Csrf,
}

impl From<StoreError> for UiError {
    fn from(e: StoreError) -> Self {
        UiError::Store(e)
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, title, detail) = match self {
            UiError::SignIn(next) => return Redirect::to(&format!("/login?next={}", form::url_encode(&next))).into_response(),
            UiError::NotFound | UiError::Store(StoreError::NotFound(_)) => {
                (StatusCode::NOT_FOUND, "Not found", "There is nothing here, or it is not yours to see.".to_owned())
            }
            UiError::Csrf => (StatusCode::FORBIDDEN, "Form expired", "The form was sent without a valid security token. Go back, reload the page and try again.".to_owned()),
            UiError::Store(StoreError::Forbidden(d)) => (StatusCode::FORBIDDEN, "Not allowed", format!("{} (rule {}).", d.message, d.rule)),
            UiError::Store(StoreError::Refused { decision, .. }) => (StatusCode::CONFLICT, "Refused", format!("{} (rule {}).", decision.reason, decision.rule)),
            UiError::Store(StoreError::Invalid(inv)) => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid input", inv.summary()),
            UiError::Store(StoreError::Conflict { field, message, .. }) => (StatusCode::CONFLICT, "Conflict", format!("{field}: {message}")),
            UiError::Store(e) => {
                tracing::error!(error = %e, "page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "The server failed; the error is logged.".to_owned())
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title: title.to_owned(),
            detail,
        };
        (status, page).into_response()
    }
}
