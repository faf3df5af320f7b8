//! The console's channel-conflict pages: every case with its deadline and escalation level,
//! opening a case from a registration, one case with comments and its resolution. Staff
//! only (`Staff`).

use crate::AppState;
use crate::ui::form::{FormView, field_errors};
use crate::ui::guard::Staff;
use crate::ui::registration::Alerts;
use crate::ui::registration::DecisionView;
use crate::ui::registration::Done;
use crate::ui::registration::Names;
use crate::ui::registration::console::ConflictRow;
use crate::ui::registration::console::ConsoleForm;
use crate::ui::registration::console::ConsoleForms;
use crate::ui::registration::console::conflict_row;
use crate::ui::registration::console::console_page;
use crate::ui::registration::decisions;
use crate::ui::registration::failure_status;
use crate::ui::registration::internal;
use crate::ui::registration::notice_of;
use crate::ui::registration::page_of;
use crate::ui::registration::trimmed;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::audit::EntityKind;
use partnerops_core::registration::record::{
    CommentInput, ConflictCase, ConflictComment, ConflictInput, ResolveInput,
};
use partnerops_core::registration::{ConflictOutcome, ConflictStatus};
use partnerops_core::scope::{Action, authorize};
use partnerops_store::Store;
use partnerops_store::registration::conflict::ConflictFilter;

// ---------------------------------------------------------------- console: conflicts

#[derive(Template, WebTemplate)]
#[template(path = "registration/console/conflicts.html")]
struct ConflictsPage {
    chrome: Chrome,
    open: Vec<ConflictRow>,
    open_more: bool,
    resolved: Vec<ConflictRow>,
}

pub(super) async fn conflicts(
    State(state): State<AppState>,
    user: Staff,
) -> Result<Response, UiError> {
    let now = state.store.now();
    let mut names = Names::new(&user);
    let sorts = Store::conflict_sorts();
    let open = state
        .store
        .conflicts(
            user.scope(),
            &ConflictFilter {
                status: Some(ConflictStatus::Open),
                ..Default::default()
            },
            &page_of("due_at", 200, None, &sorts).map_err(internal)?,
        )
        .await?;
    let resolved = state
        .store
        .conflicts(
            user.scope(),
            &ConflictFilter {
                status: Some(ConflictStatus::Resolved),
                ..Default::default()
            },
            &page_of("-created_at", 50, None, &sorts).map_err(internal)?,
        )
        .await?;
    let mut open_rows = Vec::new();
    for c in &open.items {
        open_rows.push(conflict_row(&state, &mut names, c, now).await?);
    }
    let mut resolved_rows = Vec::new();
    for c in &resolved.items {
        resolved_rows.push(conflict_row(&state, &mut names, c, now).await?);
    }
    Ok(ConflictsPage {
        chrome: Chrome::new(&user, "conflicts"),
        open: open_rows,
        open_more: open.next_cursor.is_some(),
        resolved: resolved_rows,
    }
    .into_response())
}

/// `POST /console/conflicts`: opens a case about a registration, from its page.
pub(super) async fn open_conflict(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let registration_id = trimmed(&form.posted, "registration_id").ok_or(UiError::NotFound)?;
    let input = ConflictInput {
        registration_id: Some(registration_id.clone()),
        account_id: None,
        reason: trimmed(&form.posted, "reason"),
    };
    match state.store.open_conflict(&form.user.actor(), &input).await {
        Ok(case) => Ok(Redirect::to(&format!("/console/conflicts/{}", case.id)).into_response()),
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = console_page(
                &state,
                &form.user,
                &registration_id,
                ConsoleForms::with(ConsoleForm::Conflict, view),
                None,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "registration/console/conflict.html")]
struct ConflictPage {
    chrome: Chrome,
    case: ConflictCase,
    row: ConflictRow,
    comments: Vec<ConflictComment>,
    decisions: Vec<DecisionView>,
    outcomes: &'static [ConflictOutcome],
    comment_form: FormView,
    resolve_form: FormView,
    can_decide: bool,
    notice: Option<&'static str>,
}

async fn conflict_page(
    state: &AppState,
    user: &Staff,
    id: &str,
    comment_form: FormView,
    resolve_form: FormView,
    notice: Option<&'static str>,
) -> Result<ConflictPage, UiError> {
    let case = state.store.conflict(user.scope(), id).await?;
    let mut names = Names::new(user);
    let row = conflict_row(state, &mut names, &case, state.store.now()).await?;
    Ok(ConflictPage {
        chrome: Chrome::new(user, "conflicts"),
        comments: state.store.conflict_comments(user.scope(), id).await?,
        decisions: decisions(state, user.scope(), EntityKind::Conflict, id).await?,
        outcomes: ConflictOutcome::ALL,
        case,
        row,
        comment_form,
        resolve_form,
        can_decide: authorize(&user.principal, &Action::DecideRegistration).is_ok(),
        notice,
    })
}

pub(super) async fn conflict(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    Ok(conflict_page(
        &state,
        &user,
        &id,
        FormView::default(),
        FormView::default(),
        notice_of(d.done.as_deref()),
    )
    .await?
    .into_response())
}

pub(super) async fn comment_on_conflict(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let input = CommentInput {
        body: trimmed(&form.posted, "body"),
    };
    match state
        .store
        .comment_on_conflict(&form.user.actor(), &id, &input)
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/console/conflicts/{id}?done=commented#comments"))
                .into_response(),
        ),
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page =
                conflict_page(&state, &form.user, &id, view, FormView::default(), None).await?;
            Ok((status, page).into_response())
        }
    }
}

pub(super) async fn resolve_conflict(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let input = ResolveInput {
        outcome: trimmed(&form.posted, "outcome"),
        reasoning: trimmed(&form.posted, "reasoning"),
    };
    match state
        .store
        .resolve_conflict(&form.user.actor(), &id, &input)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/conflicts/{id}?done=resolved")).into_response())
        }
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page =
                conflict_page(&state, &form.user, &id, FormView::default(), view, None).await?;
            Ok((status, page).into_response())
        }
    }
}
