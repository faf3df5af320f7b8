//! Launch checklists in the browser. The console: templates (a program starts from the
//! built-in seed checklist and edits its copy), every partner's launches, a launch started
//! for a charter or a campaign, its page grouped by phase with progress, due days, owners
//! and overdue tasks, and every task's status. The portal: the partner's own launches (a
//! launch started for one of its campaigns), and the partner side of each checklist.
//! The charter and campaign pages link here with `?charter_id=` / `?campaign_id=`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use partnerops_core::Invalid;
use partnerops_core::ids::{EntityId, parse_id};
use partnerops_core::launch::record::{
    Launch, LaunchTask, LaunchTemplate, LaunchTemplateInput, RescheduleInput, StartLaunchInput,
    TaskUpdateInput, TemplateTaskInput,
};
use partnerops_core::launch::{LaunchPhase, LaunchTaskStatus, OwnerSide, PhaseProgress};
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::scope::Scope;
use partnerops_store::Store;
use partnerops_store::launch::{LaunchFilter, OwnerChoice};
use serde::Deserialize;

use super::Routes;
use crate::AppState;
use crate::ui::form::{FormView, Posted, field_errors};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::markdown;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/launches", console_list)
        .post("/console/launches", console_start)
        .get("/console/launches/templates", templates)
        .get("/console/launches/templates/new", new_template)
        .post("/console/launches/templates", create_template)
        .post("/console/launches/templates/seed", seed_template)
        .get("/console/launches/templates/{id}", edit_template)
        .post("/console/launches/templates/{id}", update_template)
        .post("/console/launches/templates/{id}/archive", archive_template)
        .get("/console/launches/{id}", console_launch)
        .post("/console/launches/{id}/reschedule", console_reschedule)
        .post("/console/launch-tasks/{id}", console_task)
        .get("/portal/launches", portal_list)
        .post("/portal/launches", portal_start)
        .get("/portal/launches/{id}", portal_launch)
        .post("/portal/launches/{id}/reschedule", portal_reschedule)
        .post("/portal/launch-tasks/{id}", portal_task)
}

/// Where the list is narrowed to one charter's or one campaign's launches.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub charter_id: Option<String>,
    pub campaign_id: Option<String>,
    pub overdue: Option<String>,
}

fn page_of(sort: &str, sorts: &[&'static str]) -> Result<PageRequest, UiError> {
    PageRequest::parse(
        &PageParams {
            sort: Some(sort.into()),
            limit: Some("200".into()),
            cursor: None,
        },
        sorts,
    )
    .map_err(|e: Invalid| UiError::Store(e.into()))
}

/// What a launch may be started for: `charter:<id>` or `campaign:<id>`, with a label.
pub struct SubjectChoice {
    pub value: String,
    pub label: String,
}

async fn subject_choices(
    state: &AppState,
    scope: &Scope,
    charters: bool,
) -> Result<Vec<SubjectChoice>, UiError> {
    let mut out = Vec::new();
    if charters {
        let page = page_of("-created_at", &Store::charter_sorts())?;
        for c in state.store.charters(scope, None, &page).await?.items {
            out.push(SubjectChoice {
                value: format!("charter:{}", c.id),
                label: format!("Charter: {} ({})", c.title, c.partner_name),
            });
        }
    }
    for c in state.store.campaigns(scope, None).await? {
        out.push(SubjectChoice {
            value: format!("campaign:{}", c.id),
            label: format!("Campaign: {} ({})", c.name, c.partner_name),
        });
    }
    Ok(out)
}

// ---- lists ----

#[derive(Template, WebTemplate)]
#[template(path = "launch/list.html")]
struct ListPage {
    chrome: Chrome,
    base: &'static str,
    launches: Vec<Launch>,
    subjects: Vec<SubjectChoice>,
    templates: Vec<LaunchTemplate>,
    /// The subject the list is narrowed to (`charter:<id>` or `campaign:<id>`), if any.
    narrowed: Option<String>,
    overdue_only: bool,
    form: FormView,
}

fn narrowed(q: &ListQuery, inv: &mut Invalid) -> (LaunchFilter, Option<String>) {
    let mut f = LaunchFilter::default();
    let mut subject = None;
    if let Some(c) = q.charter_id.as_deref().filter(|s| !s.is_empty()) {
        f.charter_id = inv.check(parse_id("charter_id", c));
        subject = Some(format!("charter:{c}"));
    }
    if let Some(c) = q.campaign_id.as_deref().filter(|s| !s.is_empty()) {
        f.campaign_id = inv.check(parse_id("campaign_id", c));
        subject = Some(format!("campaign:{c}"));
    }
    f.overdue = q.overdue.as_deref() == Some("true");
    (f, subject)
}

async fn list_page(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    q: &ListQuery,
    mut form: FormView,
) -> Result<ListPage, UiError> {
    let vendor = *scope == Scope::Vendor;
    let mut inv = Invalid::new();
    let (filter, subject) = narrowed(q, &mut inv);
    if !inv.is_empty() {
        return Err(UiError::NotFound);
    }
    if let Some(s) = &subject
        && form.v("subject").is_empty()
    {
        form.set("subject", s.clone());
    }
    Ok(ListPage {
        base: if vendor { "/console" } else { "/portal" },
        launches: state.store.launches(scope, &filter).await?,
        subjects: subject_choices(state, scope, vendor).await?,
        templates: state.store.launch_templates(scope, None, false).await?,
        narrowed: subject,
        overdue_only: filter.overdue,
        chrome,
        form,
    })
}

async fn console_list(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&user, "launches");
    Ok(
        list_page(&state, chrome, user.scope(), &q, FormView::default())
            .await?
            .into_response(),
    )
}

async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&user, "launches");
    Ok(
        list_page(&state, chrome, user.scope(), &q, FormView::default())
            .await?
            .into_response(),
    )
}

fn launch_input(posted: &Posted) -> StartLaunchInput {
    let subject = posted.get("subject").unwrap_or_default();
    let (charter_id, campaign_id) = match subject.split_once(':') {
        Some(("charter", id)) => (Some(id.to_owned()), None),
        Some(("campaign", id)) => (None, Some(id.to_owned())),
        _ => (None, None),
    };
    StartLaunchInput {
        charter_id,
        campaign_id,
        template_id: posted.get("template_id").filter(|t| !t.is_empty()),
        name: posted.get("name"),
        launch_on: posted.get("launch_on"),
    }
}

/// The form's subject select carries both ids' errors.
fn subject_errors(inv: Invalid) -> Invalid {
    Invalid {
        errors: inv
            .errors
            .into_iter()
            .map(|mut e| {
                if e.field == "charter_id" || e.field == "campaign_id" {
                    e.field = "subject".into();
                }
                e
            })
            .collect(),
    }
}

async fn start(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    actor: partnerops_store::Actor,
    posted: &Posted,
    base: &str,
) -> Result<Response, UiError> {
    match state
        .store
        .start_launch(&actor, &launch_input(posted))
        .await
    {
        Ok(l) => Ok(Redirect::to(&format!("{base}/launches/{}", l.id)).into_response()),
        Err(e) => {
            let view = FormView::from_posted(posted).with_errors(subject_errors(field_errors(e)?));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                list_page(state, chrome, scope, &ListQuery::default(), view).await?,
            )
                .into_response())
        }
    }
}

async fn console_start(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&form.user, "launches");
    let actor = form.user.actor();
    start(
        &state,
        chrome,
        form.user.scope(),
        actor,
        &form.posted,
        "/console",
    )
    .await
}

async fn portal_start(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&form.user, "launches");
    let actor = form.user.actor();
    start(
        &state,
        chrome,
        form.user.scope(),
        actor,
        &form.posted,
        "/portal",
    )
    .await
}

// ---- one launch ----

/// A task as the page shows it.
pub struct TaskView {
    pub task: LaunchTask,
    pub detail_html: String,
    /// The viewer may change it.
    pub can_work: bool,
}

/// One phase of the page.
pub struct PhaseView {
    pub phase: LaunchPhase,
    pub progress: PhaseProgress,
    pub tasks: Vec<TaskView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "launch/launch.html")]
struct LaunchPage {
    chrome: Chrome,
    base: &'static str,
    launch: Launch,
    phases: Vec<PhaseView>,
    owners: Vec<OwnerChoice>,
    statuses: &'static [LaunchTaskStatus],
    can_reschedule: bool,
    subject_link: String,
    error: Option<String>,
    today: NaiveDate,
}

async fn launch_page(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    id: &str,
    error: Option<String>,
) -> Result<LaunchPage, UiError> {
    let mut launch = state.store.launch(scope, id).await?;
    let vendor = *scope == Scope::Vendor;
    let base = if vendor { "/console" } else { "/portal" };
    let owners = state.store.launch_owner_choices(scope, &launch).await?;
    let tasks = std::mem::take(&mut launch.tasks);
    let mut phases: Vec<PhaseView> = launch
        .progress
        .phases
        .iter()
        .map(|p| PhaseView {
            phase: p.phase,
            progress: *p,
            tasks: Vec::new(),
        })
        .collect();
    for task in tasks {
        let view = TaskView {
            detail_html: task
                .detail
                .as_deref()
                .map(markdown::render)
                .unwrap_or_default(),
            can_work: vendor || task.owner_side == OwnerSide::Partner,
            task,
        };
        if let Some(p) = phases.iter_mut().find(|p| p.phase == view.task.phase) {
            p.tasks.push(view);
        }
    }
    for p in &mut phases {
        p.tasks.sort_by_key(|t| (t.task.due_on, t.task.position));
    }
    let subject_link = match (&launch.charter_id, &launch.campaign_id) {
        (Some(c), _) => format!("{base}/charters/{c}"),
        (_, Some(c)) => format!("{base}/campaigns/{c}"),
        _ => format!("{base}/launches"),
    };
    Ok(LaunchPage {
        chrome,
        base,
        can_reschedule: vendor || launch.campaign_id.is_some(),
        subject_link,
        today: state.store.now().date_naive(),
        launch,
        phases,
        owners,
        statuses: LaunchTaskStatus::ALL,
        error,
    })
}

async fn console_launch(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&user, "launches");
    Ok(launch_page(&state, chrome, user.scope(), &id, None)
        .await?
        .into_response())
}

async fn portal_launch(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&user, "launches");
    Ok(launch_page(&state, chrome, user.scope(), &id, None)
        .await?
        .into_response())
}

/// Re-renders a launch page with the refusal's message (the launch is read in `scope`, so
/// a task of a launch the viewer cannot see never got here).
async fn refused(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    launch_id: &str,
    e: partnerops_store::StoreError,
) -> Result<Response, UiError> {
    let status = crate::ui::form::failure_status(&e);
    let why = field_errors(e)?
        .errors
        .iter()
        .map(|e| format!("{}: {} ({})", e.field, e.message, e.rule))
        .collect::<Vec<_>>()
        .join("; ");
    Ok((
        status,
        launch_page(state, chrome, scope, launch_id, Some(why)).await?,
    )
        .into_response())
}

async fn reschedule(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    actor: partnerops_store::Actor,
    id: &str,
    posted: &Posted,
    base: &str,
) -> Result<Response, UiError> {
    // The launch must be visible before anything is said about the input.
    state.store.launch(scope, id).await?;
    let input = RescheduleInput {
        launch_on: posted.get("launch_on"),
    };
    match state.store.reschedule_launch(&actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("{base}/launches/{id}")).into_response()),
        Err(e) => refused(state, chrome, scope, id, e).await,
    }
}

async fn console_reschedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&form.user, "launches");
    let actor = form.user.actor();
    reschedule(
        &state,
        chrome,
        form.user.scope(),
        actor,
        &id,
        &form.posted,
        "/console",
    )
    .await
}

async fn portal_reschedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&form.user, "launches");
    let actor = form.user.actor();
    reschedule(
        &state,
        chrome,
        form.user.scope(),
        actor,
        &id,
        &form.posted,
        "/portal",
    )
    .await
}

async fn task(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    actor: partnerops_store::Actor,
    id: &str,
    posted: &Posted,
    base: &str,
) -> Result<Response, UiError> {
    let t = state.store.launch_task(scope, id).await?;
    // The "Change…" form sends the status it shows: the same status means "leave it",
    // so an owner can be named without a status change.
    let input = TaskUpdateInput {
        status: posted
            .get("status")
            .filter(|s| !s.is_empty() && s.as_str() != t.status.as_str()),
        skip_reason: posted.get("skip_reason"),
        owner_id: posted.get("owner_id"),
    };
    match state
        .store
        .update_launch_task(
            &actor,
            id,
            &input,
            &partnerops_store::etag::Precondition::None,
        )
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("{base}/launches/{}#task-{}", t.launch_id, t.id)).into_response(),
        ),
        Err(e) => refused(state, chrome, scope, t.launch_id.as_str(), e).await,
    }
}

async fn console_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&form.user, "launches");
    let actor = form.user.actor();
    task(
        &state,
        chrome,
        form.user.scope(),
        actor,
        &id,
        &form.posted,
        "/console",
    )
    .await
}

async fn portal_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&form.user, "launches");
    let actor = form.user.actor();
    task(
        &state,
        chrome,
        form.user.scope(),
        actor,
        &id,
        &form.posted,
        "/portal",
    )
    .await
}

// ---- templates (console) ----

#[derive(Template, WebTemplate)]
#[template(path = "launch/templates.html")]
struct TemplatesPage {
    chrome: Chrome,
    templates: Vec<LaunchTemplate>,
    /// Programs as (id, name, whether it has a live template).
    programs: Vec<(String, String, bool)>,
}

async fn templates(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    let templates = state
        .store
        .launch_templates(user.scope(), None, true)
        .await?;
    let programs = crate::ui::pipeline::console::programs(&state, &user)
        .await?
        .into_iter()
        .map(|p| {
            let has = templates
                .iter()
                .any(|t| t.program_id == p.id && t.archived_at.is_none());
            (p.id.to_string(), p.name, has)
        })
        .collect();
    Ok(TemplatesPage {
        chrome: Chrome::new(&user, "launches"),
        templates,
        programs,
    }
    .into_response())
}

async fn seed_template(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let program = form.posted.get("program_id").unwrap_or_default();
    let t = state
        .store
        .seed_launch_template(&form.user.actor(), &program)
        .await?;
    Ok(Redirect::to(&format!("/console/launches/templates/{}", t.id)).into_response())
}

/// One editable row of the task table.
pub struct TaskRowView {
    pub phase: String,
    pub title: String,
    pub detail: String,
    pub offset_days: String,
    pub owner_side: String,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "launch/template_form.html")]
struct TemplateFormPage {
    chrome: Chrome,
    template: Option<LaunchTemplate>,
    programs: Vec<(String, String)>,
    form: FormView,
    rows: Vec<TaskRowView>,
    phases: &'static [LaunchPhase],
    sides: &'static [OwnerSide],
}

/// Blank rows offered below the tasks, to add some without scripts.
const BLANK_ROWS: usize = 3;

fn rows_of(tasks: &[TemplateTaskInput], form: &FormView) -> Vec<TaskRowView> {
    let mut rows: Vec<TaskRowView> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| TaskRowView {
            phase: t.phase.clone().unwrap_or_default(),
            title: t.title.clone().unwrap_or_default(),
            detail: t.detail.clone().unwrap_or_default(),
            offset_days: t.offset_days.map(|o| o.to_string()).unwrap_or_default(),
            owner_side: t.owner_side.clone().unwrap_or_default(),
            error: form
                .errors
                .errors
                .iter()
                .filter(|e| e.field.starts_with(&format!("tasks[{i}].")))
                .map(|e| e.message.clone())
                .reduce(|a, b| format!("{a}; {b}")),
        })
        .collect();
    for _ in 0..BLANK_ROWS {
        rows.push(TaskRowView {
            phase: "post_launch".into(),
            title: String::new(),
            detail: String::new(),
            offset_days: String::new(),
            owner_side: "vendor".into(),
            error: None,
        });
    }
    rows
}

async fn template_form_page(
    state: &AppState,
    user: &Staff,
    template: Option<LaunchTemplate>,
    form: FormView,
    tasks: Vec<TemplateTaskInput>,
) -> Result<TemplateFormPage, UiError> {
    let programs = crate::ui::pipeline::console::programs(state, user)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    Ok(TemplateFormPage {
        chrome: Chrome::new(user, "launches"),
        rows: rows_of(&tasks, &form),
        template,
        programs,
        form,
        phases: LaunchPhase::ALL,
        sides: OwnerSide::ALL,
    })
}

async fn new_template(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    Ok(
        template_form_page(&state, &user, None, FormView::default(), Vec::new())
            .await?
            .into_response(),
    )
}

/// The task rows as posted (parallel lists), rows without a title dropped.
fn posted_tasks(posted: &Posted) -> Vec<TemplateTaskInput> {
    let phases = posted.all("task_phase");
    let titles = posted.all("task_title");
    let details = posted.all("task_detail");
    let offsets = posted.all("task_offset");
    let sides = posted.all("task_side");
    let mut out = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        if title.trim().is_empty() {
            continue;
        }
        let at = |v: &Vec<String>| v.get(i).cloned().filter(|s| !s.trim().is_empty());
        out.push(TemplateTaskInput {
            phase: at(&phases),
            title: Some(title.clone()),
            detail: at(&details),
            // A number that does not parse is sent as none: the rule then names the field.
            offset_days: at(&offsets).and_then(|o| o.trim().parse().ok()),
            owner_side: at(&sides),
        });
    }
    out
}

fn template_input(posted: &Posted) -> LaunchTemplateInput {
    LaunchTemplateInput {
        program_id: posted.get("program_id"),
        name: posted.get("name"),
        description: posted.get("description"),
        tasks: Some(posted_tasks(posted)),
    }
}

async fn create_template(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let input = template_input(&form.posted);
    match state
        .store
        .create_launch_template(&form.user.actor(), &input)
        .await
    {
        Ok(t) => Ok(Redirect::to(&format!("/console/launches/templates/{}", t.id)).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let tasks = input.tasks.unwrap_or_default();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                template_form_page(&state, &form.user, None, view, tasks).await?,
            )
                .into_response())
        }
    }
}

async fn edit_template(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let t = state.store.launch_template(user.scope(), &id).await?;
    let mut form = FormView::default();
    form.set("name", t.name.clone());
    form.set("description", t.description.clone().unwrap_or_default());
    let tasks = partnerops_core::launch::record::tasks_as_input(&t.tasks);
    Ok(template_form_page(&state, &user, Some(t), form, tasks)
        .await?
        .into_response())
}

async fn update_template(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let t = state.store.launch_template(form.user.scope(), &id).await?;
    let input = LaunchTemplateInput {
        program_id: None,
        ..template_input(&form.posted)
    };
    match state
        .store
        .update_launch_template(&form.user.actor(), &id, &input)
        .await
    {
        Ok(t) => Ok(Redirect::to(&format!("/console/launches/templates/{}", t.id)).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let tasks = input.tasks.unwrap_or_default();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                template_form_page(&state, &form.user, Some(t), view, tasks).await?,
            )
                .into_response())
        }
    }
}

async fn archive_template(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    state
        .store
        .archive_launch_template(&form.user.actor(), &id)
        .await?;
    Ok(Redirect::to("/console/launches/templates").into_response())
}
