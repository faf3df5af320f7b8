//! The console's policy page of a program: the document in force, its history and
//! differences, and an editor to check, simulate (what-if replay) or publish the next
//! version. Staff only (`Staff`).

use crate::AppState;
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
use partnerops_core::policy::record::{PolicyDiff, PolicyVersion};
use partnerops_core::policy::simulate::SimulationReport;
use partnerops_core::program::Program;
use partnerops_store::Store;
use serde::Deserialize;

// ---- the console's policy page ----

#[derive(Template, WebTemplate)]
#[template(path = "policy/console/policy.html")]
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
pub(super) struct PolicyQuery {
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
    user: &Staff,
    id: &str,
    diff: Option<(i64, i64)>,
    editor: Editor,
) -> Result<PolicyPage, UiError> {
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

pub(super) async fn policy_page(
    State(state): State<AppState>,
    user: Staff,
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
pub(super) async fn policy_action(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
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
                .publish_policy(
                    &form.user.actor(),
                    &id,
                    &document,
                    &note,
                    &partnerops_store::etag::Precondition::None,
                )
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
