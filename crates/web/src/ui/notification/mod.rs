//! Notifications in the browser: the signed-in user's list (newest first, mark one or all
//! read) and their e-mail choices per kind, on one page. Staff reach it at
//! `/console/notifications` (`console`), partner users at `/portal/notifications`
//! (`portal`); the page is the same, so both render it through [`show`] and change it
//! through the functions here, and only the guard and the path differ. Every read and
//! write is the user's own (the store takes the user from the principal).

mod console;
mod portal;

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::notification::{Delivery, Notification, NotificationKind, Preference};
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_store::notification::SORTS;
use serde::Deserialize;

use super::form::{FormView, Posted, field_errors, url_encode};
use super::session::UiUser;
use super::{Chrome, Routes, UiError};
use crate::AppState;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/notifications", console::page)
        .post("/console/notifications/read-all", console::read_all)
        .post("/console/notifications/preferences", console::preferences)
        .post("/console/notifications/{id}/read", console::read)
        .get("/portal/notifications", portal::page)
        .post("/portal/notifications/read-all", portal::read_all)
        .post("/portal/notifications/preferences", portal::preferences)
        .post("/portal/notifications/{id}/read", portal::read)
}

/// The page's query: a cursor into the list, and `saved=1` after the choices were saved.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    saved: Option<String>,
}

/// One notification as a row.
struct Row {
    id: String,
    title: String,
    body: String,
    link: String,
    at: String,
    unread: bool,
}

impl Row {
    fn new(n: &Notification) -> Row {
        Row {
            id: n.id.to_string(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            at: n.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            unread: n.read_at.is_none(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "notification/notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    /// `/console/notifications` or `/portal/notifications`.
    base: &'static str,
    rows: Vec<Row>,
    /// Whether any row shown is unread (the "Mark all read" button).
    any_unread: bool,
    next: Option<String>,
    preferences: Vec<Preference>,
    deliveries: &'static [Delivery],
    form: FormView,
    saved: bool,
}

/// The list with the choices form (its values and errors from `form` after a failed save).
async fn show(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    q: &PageQuery,
    form: Option<FormView>,
) -> Result<NotificationsPage, UiError> {
    let request = |cursor: Option<String>| {
        PageRequest::parse(
            &PageParams {
                sort: Some("-created_at".into()),
                limit: Some("50".into()),
                cursor,
            },
            SORTS,
        )
    };
    let page = match request(q.cursor.clone().filter(|c| !c.is_empty())) {
        Ok(p) => p,
        // A stale or foreign cursor: start again from the newest.
        Err(_) => request(None).map_err(|inv| UiError::Store(inv.into()))?,
    };
    let listed = state
        .store
        .notifications(&user.principal, false, &page)
        .await?;
    let preferences = state
        .store
        .notification_preferences(&user.principal)
        .await?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormView::default();
        for p in &preferences {
            f.set(p.kind.as_str(), p.delivery.as_str());
        }
        f
    });
    Ok(NotificationsPage {
        chrome: Chrome::new(user, "notifications"),
        base,
        any_unread: listed.items.iter().any(|n| n.read_at.is_none()),
        rows: listed.items.iter().map(Row::new).collect(),
        next: listed
            .next_cursor
            .as_ref()
            .map(|c| format!("{base}?cursor={}", url_encode(c))),
        preferences,
        deliveries: Delivery::ALL,
        form,
        saved: q.saved.is_some(),
    })
}

/// Marks one notification read, then goes where it links (the form's `go`), or back to
/// the list.
async fn read(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let n = state
        .store
        .mark_notification_read(&user.principal, id)
        .await?;
    let to = if posted.get("go").is_some() {
        n.link
    } else {
        base.to_owned()
    };
    Ok(Redirect::to(&to).into_response())
}

async fn read_all(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
) -> Result<Response, UiError> {
    state
        .store
        .mark_all_notifications_read(&user.principal)
        .await?;
    Ok(Redirect::to(base).into_response())
}

/// Saves the choices posted as one select per kind; errors are shown beside their kind.
async fn preferences(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let changes: BTreeMap<String, String> = NotificationKind::ALL
        .iter()
        .filter_map(|k| posted.get(k.as_str()).map(|v| (k.as_str().to_owned(), v)))
        .collect();
    match state
        .store
        .set_notification_preferences(&user.principal, &changes)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{base}?saved=1")).into_response()),
        Err(e) => {
            let view = FormView::from_posted(posted).with_errors(field_errors(e)?);
            let page = show(state, user, base, &PageQuery::default(), Some(view)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
