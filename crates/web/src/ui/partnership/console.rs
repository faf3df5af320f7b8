//! The console's partnership pages: every charter with its verdicts and the new-charter form,
//! the console side of one charter, and the decision trees as step-by-step forms. Staff
//! only (`Staff`).

use crate::AppState;
use crate::ui::form::{FormView, field_errors};
use crate::ui::guard::Staff;
use crate::ui::partner::partner_page;
use crate::ui::partnership::CharterPage;
use crate::ui::partnership::CharterRow;
use crate::ui::partnership::DoneQuery;
use crate::ui::partnership::ModelPage;
use crate::ui::partnership::Visitor;
use crate::ui::partnership::act;
use crate::ui::partnership::charter_page;
use crate::ui::partnership::failure_status;
use crate::ui::partnership::messages;
use crate::ui::partnership::model_md;
use crate::ui::partnership::model_page;
use crate::ui::partnership::notice_of;
use crate::ui::partnership::page_of;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::partnership::record::{CharterInput, TreeAnswers};
use partnerops_core::partnership::track::EvaluationInput;
use partnerops_core::partnership::tree::{Evaluation, Node, Step, Tree};
use partnerops_store::Store;
use partnerops_store::partner::PartnerFilter;
use std::collections::HashMap;

// ---------------------------------------------------------------- lists

#[derive(Template, WebTemplate)]
#[template(path = "partnership/console/charters.html")]
pub(super) struct ConsoleListPage {
    chrome: Chrome,
    rows: Vec<CharterRow>,
    partners: Vec<(String, String)>,
    form: FormView,
    alerts: Vec<String>,
}

async fn console_list_page(
    state: &AppState,
    user: &Staff,
    form: FormView,
    alerts: Vec<String>,
) -> Result<ConsoleListPage, UiError> {
    let scope = user.scope();
    let page = page_of("-created_at", 200, &Store::charter_sorts())?;
    let rows = state
        .store
        .charters(scope, None, &page)
        .await?
        .items
        .iter()
        .map(CharterRow::of)
        .collect();
    let page = page_of("name", 200, &Store::partner_sorts())?;
    let partners = state
        .store
        .partners(scope, &PartnerFilter::default(), &page)
        .await?
        .items
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    Ok(ConsoleListPage {
        chrome: Chrome::new(user, "charters"),
        rows,
        partners,
        form,
        alerts,
    })
}

pub(super) async fn console_list(
    State(state): State<AppState>,
    user: Staff,
) -> Result<ConsoleListPage, UiError> {
    console_list_page(&state, &user, FormView::default(), vec![]).await
}

pub(super) async fn console_create(
    State(state): State<AppState>,
    SignedForm { user, posted, .. }: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let input = CharterInput {
        partner_id: posted.get("partner_id"),
        title: posted.get("title"),
        content: None,
    };
    match state.store.create_charter(&user.actor(), &input).await {
        Ok(c) => Ok(Redirect::to(&format!("/console/charters/{}", c.id)).into_response()),
        Err(e) => {
            let status = failure_status(&e);
            let inv = field_errors(e)?;
            let alerts = FormView::default()
                .with_errors(inv.clone())
                .other_errors(&["partner_id", "title"]);
            let form = FormView::from_posted(&posted).with_errors(inv);
            let page = console_list_page(&state, &user, form, alerts).await?;
            Ok((status, page).into_response())
        }
    }
}

pub(super) async fn console_charter(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<CharterPage, UiError> {
    charter_page(
        &state,
        Visitor::Console(&user),
        &id,
        notice_of(q.done.as_deref()),
        None,
    )
    .await
}

pub(super) async fn console_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let SignedForm { user, posted, .. } = form;
    act(&state, Visitor::Console(&user), &id, &action, posted).await
}

pub(super) async fn console_model(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<ModelPage, UiError> {
    model_page(&state, Visitor::Console(&user), &id).await
}

pub(super) async fn console_model_md(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    model_md(&state, Visitor::Console(&user), &id).await
}

// ---------------------------------------------------------------- decision trees

/// One tree on the trees page, with where its evaluation got to.
pub struct TreeView {
    pub key: String,
    pub title: String,
    /// Answers so far, as `question_id:yes|no`, posted back with the next answer.
    pub answered: Vec<String>,
    pub path: Vec<Step>,
    pub next: Option<partnerops_core::partnership::tree::NextQuestion>,
    pub outcome: Option<String>,
    /// Every outcome of the tree, for the reader to see where it can lead.
    pub outcomes: Vec<String>,
    pub alerts: Vec<String>,
}

impl TreeView {
    fn of(tree: &Tree, evaluation: Evaluation, answers: &HashMap<String, bool>) -> TreeView {
        let answered = evaluation
            .path
            .iter()
            .filter(|s| answers.contains_key(&s.question_id))
            .map(|s| format!("{}:{}", s.question_id, if s.answer { "yes" } else { "no" }))
            .collect();
        TreeView {
            key: tree.key.clone(),
            title: tree.title.clone(),
            answered,
            path: evaluation.path,
            next: evaluation.next_question,
            outcome: evaluation.outcome,
            outcomes: tree
                .nodes
                .iter()
                .filter_map(|n| match n {
                    Node::Outcome { text, .. } => Some(text.clone()),
                    Node::Question { .. } => None,
                })
                .collect(),
            alerts: Vec::new(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "partnership/console/trees.html")]
pub(super) struct TreesPage {
    chrome: Chrome,
    trees: Vec<TreeView>,
}

async fn trees_page(
    state: &AppState,
    user: &Staff,
    current: Option<TreeView>,
) -> Result<TreesPage, UiError> {
    let mut current = current;
    let trees = state
        .store
        .decision_trees(user.scope())
        .await?
        .iter()
        .map(|t| match current.take_if(|c| c.key == t.key) {
            Some(view) => view,
            None => TreeView::of(t, t.evaluate(&HashMap::new()), &HashMap::new()),
        })
        .collect();
    Ok(TreesPage {
        chrome: Chrome::new(user, "trees"),
        trees,
    })
}

pub(super) async fn trees(
    State(state): State<AppState>,
    user: Staff,
) -> Result<TreesPage, UiError> {
    trees_page(&state, &user, None).await
}

pub(super) async fn tree_step(
    State(state): State<AppState>,
    Path(key): Path<String>,
    SignedForm { user, posted, .. }: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let tree = state
        .store
        .decision_trees(user.scope())
        .await?
        .into_iter()
        .find(|t| t.key == key)
        .ok_or(UiError::NotFound)?;
    let mut answers = HashMap::new();
    for a in posted.all("a") {
        if let Some((q, v)) = a.split_once(':') {
            answers.insert(q.to_owned(), v == "yes");
        }
    }
    if posted.get("restart").is_some() {
        answers.clear();
    }
    let input = TreeAnswers {
        answers: answers.clone(),
        charter_id: None,
    };
    let view = match state.store.evaluate_tree(&user.actor(), &key, &input).await {
        Ok(evaluation) => TreeView::of(&tree, evaluation, &answers),
        Err(e) => {
            let inv = field_errors(e)?;
            let mut view = TreeView::of(&tree, tree.evaluate(&answers), &answers);
            view.alerts = messages(&inv);
            view
        }
    };
    let page = trees_page(&state, &user, Some(view)).await?;
    Ok(page.into_response())
}

/// The technology track panel of a partner's page: `placement` (the "which tier?" answers,
/// `a` = `question:yes|no`) or `evaluation` (`promote` = yes|no, `reason`). Back to the
/// partner's page, or the page again with what was wrong.
pub(super) async fn track_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    SignedForm { user, posted, .. }: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let actor = user.actor();
    let done = match action.as_str() {
        "placement" => {
            let mut answers = HashMap::new();
            for a in posted.all("a") {
                if let Some((q, v)) = a.split_once(':') {
                    answers.insert(q.to_owned(), v == "yes");
                }
            }
            let input = TreeAnswers {
                answers,
                charter_id: None,
            };
            state
                .store
                .place_on_track(&actor, &id, &input)
                .await
                .map(|_| ())
        }
        "evaluation" => {
            let input = EvaluationInput {
                promote: posted.get("promote").map(|v| v == "yes"),
                reason: posted.get("reason"),
            };
            state
                .store
                .evaluate_on_track(&actor, &id, &input)
                .await
                .map(|_| ())
        }
        _ => return Err(UiError::NotFound),
    };
    match done {
        Ok(()) => {
            Ok(Redirect::to(&format!("/console/partners/{id}?saved=1#track")).into_response())
        }
        Err(e) => {
            let inv = field_errors(e)?;
            let page = partner_page(&state, &user, &id, None, None, false)
                .await?
                .with_track_alerts(messages(&inv));
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
