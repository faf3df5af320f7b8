//! The server-rendered web UI: sign-in, the vendor console and the partner portal.
//!
//! Pages are askama templates; htmx refreshes list results in place as filters change.
//! Browser sessions live in the store (a random cookie, kept only as a hash), every form
//! carries the session's CSRF token and must come from our own origin, and cookies are
//! `HttpOnly` and `SameSite=Lax`.
//!
//! One folder per capability (`partner`, `program`, `policy`, `account`, `user`,
//! `registration`, `partnership`, `pipeline`, `business_plan`, `cadence`, `lifecycle`,
//! `notification`, `event`, `launch`, `webhook`, `auth`, `audit`), each with its `console`
//! (staff), `portal` (partner users) and `public` pages as it needs them; templates follow
//! the same layout under `templates/<capability>/`. Shared here: the route table, the page
//! frame (`Chrome`) and `UiError`; in `form`, `list`, `session`, `guard` and `markdown` the
//! other shared pieces. Business rules and SQL do not belong anywhere under `ui`.

mod account;
mod audit;
mod auth;
mod business_plan;
mod cadence;
mod campaign;
mod directory;
mod enablement;
mod event;
mod file;
mod form;
mod guard;
mod import;
mod launch;
mod lifecycle;
mod list;
mod mapping;
mod markdown;
mod mdf;
mod notification;
mod partner;
mod partnership;
mod payout;
mod pipeline;
mod policy;
mod program;
mod registration;
pub(crate) mod session;
mod user;
mod webhook;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;
use partnerops_store::StoreError;

use crate::AppState;
pub use session::UiUser;

/// The UI router and the list of what it serves, built together so they cannot differ.
pub(crate) struct Routes {
    router: Router<AppState>,
    list: Vec<(Method, &'static str)>,
}

impl Routes {
    /// `GET path`, recorded.
    pub fn get<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, axum::routing::get(handler))
    }

    /// `POST path`, recorded.
    pub fn post<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, axum::routing::post(handler))
    }

    /// `POST path` of a form that carries files: its body may be as large as the largest
    /// upload (other forms keep the default limit).
    pub fn post_upload<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(
            Method::POST,
            path,
            axum::routing::post(handler).layer(crate::upload::body_limit()),
        )
    }

    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Routes {
        self.list.push((method, path));
        // axum merges the methods of one path registered in several calls.
        self.router = self.router.route(path, route);
        self
    }
}

/// Every UI route, capability by capability.
pub(crate) fn routes() -> Routes {
    let r = Routes {
        router: Router::new(),
        list: Vec::new(),
    };
    let r = r
        .get("/", home)
        .get("/login", auth::form)
        .post("/login", auth::submit)
        .post("/logout", auth::logout)
        .get("/files/{id}", file::content);
    let r = partner::routes(r);
    let r = program::routes(r);
    let r = policy::routes(r);
    let r = account::routes(r);
    let r = user::routes(r);
    let r = audit::routes(r);
    let r = registration::routes(r);
    let r = partnership::routes(r);
    let r = pipeline::routes(r);
    let r = business_plan::routes(r);
    let r = payout::routes(r);
    let r = campaign::routes(r);
    let r = mdf::routes(r);
    let r = enablement::routes(r);
    let r = event::routes(r);
    let r = cadence::routes(r);
    let r = lifecycle::routes(r);
    // Co-marketing launch checklists.
    let r = launch::routes(r);
    let r = webhook::routes(r);
    // CSV import.
    let r = import::routes(r);
    // The public directory and its listings.
    let r = directory::routes(r);
    let r = mapping::routes(r);
    notification::routes(r)
}

/// The UI router.
pub fn router() -> Router<AppState> {
    routes().router
}

/// Every (method, path template) the UI router serves.
pub fn route_list() -> Vec<(Method, &'static str)> {
    routes().list
}

/// `/`: the console for staff, the portal for partners, else sign in.
async fn home(user: Option<UiUser>) -> Redirect {
    match user {
        Some(u) if u.principal.is_vendor() => Redirect::to("/console"),
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
    /// The user's unread notifications, shown beside "Notifications".
    pub unread: i64,
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
            unread: user.unread_notifications,
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
            UiError::Store(ref unavailable @ StoreError::Unavailable(ref e)) => {
                tracing::warn!(error = %e, "page failed: database unavailable");
                let page = ErrorPage {
                    status: 503,
                    title: "Try again in a moment".to_owned(),
                    detail: "The database cannot be reached right now. Nothing was changed; reload the page in a moment.".to_owned(),
                };
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, [(axum::http::header::RETRY_AFTER, crate::retry::RETRY_AFTER_SECONDS)], page).into_response();
                response.extensions_mut().insert(crate::retry::DbUnavailable::of(unavailable));
                return response;
            }
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
