//! The console's application queue and one application with its fit score, approve (which
//! shows the invitation link once) and decline. Staff only (`Staff`).

use crate::AppState;
use crate::ui::form::FormView;
use crate::ui::guard::Staff;
use crate::ui::lifecycle::split;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::Invalid;
use partnerops_core::ids::EntityId;
use partnerops_core::lifecycle::application::{Application, ApplicationStatus};
use partnerops_store::lifecycle::application::ApplicationFilter;
use serde::Deserialize;

// ---- the console's application queue ----

#[derive(Template, WebTemplate)]
#[template(path = "lifecycle/console/applications.html")]
struct ApplicationsPage {
    chrome: Chrome,
    rows: Vec<Application>,
    status: String,
}

#[derive(Deserialize)]
pub(super) struct QueueQuery {
    status: Option<String>,
}

pub(super) async fn applications(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, UiError> {
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
#[template(path = "lifecycle/console/application.html")]
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
    user: &Staff,
    id: &str,
    form: FormView,
    invitation: Option<String>,
) -> Result<ApplicationPage, UiError> {
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

pub(super) async fn application(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    Ok(
        application_page(&state, &user, &id, FormView::default(), None)
            .await?
            .into_response(),
    )
}

pub(super) async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
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

pub(super) async fn decline(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
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
