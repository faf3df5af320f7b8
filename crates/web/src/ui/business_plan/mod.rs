//! Joint business plans in the browser, shared by the console and the portal: the list,
//! one plan with its attainment (milestones with drift, activities, target accounts), the
//! signatures, the reviews and what is due, the tasks their next steps became (marked done
//! from the page), and the versions with what changed. Content is
//! edited as JSON in the console (a draft in place, an agreed plan by amendment).

mod content_form;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::Invalid;
use partnerops_core::business_plan::attainment::{Attainment, QuarterState};
use partnerops_core::business_plan::record::{
    BusinessPlan, MarketingKind, PlanChange, PlanInput, PlanStatus, PlanTaskPatch, PlanTaskStatus,
    ReviewInput, ReviewKind, diff,
};
use partnerops_core::ids::EntityId;
use partnerops_core::money::Money;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::scope::{Action, Scope, authorize};
use partnerops_store::business_plan::PlanFilter;
use partnerops_store::registration::RegistrationFilter;
use partnerops_store::user::UserFilter;
use partnerops_store::{Store, StoreError};

use super::Routes;
use crate::AppState;
use crate::ui::form::{self, FormView, Posted, field_errors};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError, UiUser};
use content_form::QuarterFields;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/business-plans", console_list)
        .post("/console/business-plans", console_create)
        .get("/console/business-plans/{id}", console_plan)
        .post("/console/business-plans/{id}/{action}", console_act)
        .get("/portal/business-plans", portal_list)
        .get("/portal/business-plans/{id}", portal_plan)
        .post("/portal/business-plans/{id}/{action}", portal_act)
}

pub struct PlanRow {
    pub id: String,
    pub title: String,
    pub partner: String,
    pub period: String,
    pub status: PlanStatus,
    pub version: i64,
}

impl PlanRow {
    fn new(p: &BusinessPlan) -> PlanRow {
        PlanRow {
            id: p.id.to_string(),
            title: p.title.clone(),
            partner: p.partner_name.clone(),
            period: format!("{} – {}", p.period_start, p.period_end),
            status: p.status,
            version: p.version,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "business_plan/list.html")]
struct ListPage {
    chrome: Chrome,
    base: &'static str,
    rows: Vec<PlanRow>,
    form: FormView,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    base: &'static str,
    form: FormView,
) -> Result<ListPage, UiError> {
    let page = PageRequest::parse(
        &PageParams {
            sort: Some("-period_start".into()),
            limit: Some("200".into()),
            cursor: None,
        },
        &Store::business_plan_sorts(),
    )
    .map_err(|e: Invalid| UiError::Store(e.into()))?;
    let plans = state
        .store
        .business_plans(scope, &PlanFilter::default(), &page)
        .await?;
    let error = (!form.errors.is_empty()).then(|| form.errors.summary());
    Ok(ListPage {
        chrome: Chrome::new(user, "business-plans"),
        base,
        rows: plans.items.iter().map(PlanRow::new).collect(),
        form,
        error,
    })
}

async fn console_list(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    let mut form = FormView::default();
    form.set(
        "period_start",
        next_quarter_start(state.store.now().date_naive()),
    );
    Ok(list_page(&state, &user, user.scope(), "/console", form)
        .await?
        .into_response())
}

async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<Response, UiError> {
    Ok(
        list_page(&state, &user, user.scope(), "/portal", FormView::default())
            .await?
            .into_response(),
    )
}

/// The first day of the month after `today`: where a new plan usually starts.
fn next_quarter_start(today: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let (y, m) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    format!("{y:04}-{m:02}-01")
}

async fn console_create(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let input = PlanInput {
        partner_id: trimmed(p, "partner_id"),
        title: trimmed(p, "title"),
        period_start: trimmed(p, "period_start"),
        content: None,
    };
    match state
        .store
        .create_business_plan(&form.user.actor(), &input)
        .await
    {
        Ok(plan) => {
            Ok(Redirect::to(&format!("/console/business-plans/{}", plan.id)).into_response())
        }
        Err(e) => {
            let view = FormView::from_posted(p).with_errors(field_errors(e)?);
            let page = list_page(&state, &form.user, form.user.scope(), "/console", view).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

fn trimmed(posted: &Posted, name: &str) -> Option<String> {
    posted
        .get(name)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

pub struct QuarterView {
    pub quarter: u8,
    pub period: String,
    pub milestone: String,
    pub won: String,
    pub pipeline: String,
    pub pace: String,
    pub attainment: String,
    pub state: QuarterState,
    pub drift: Option<String>,
}

pub struct ActivityView {
    pub quarter: u8,
    pub kind: &'static str,
    pub committed: u32,
    pub done: u32,
}

pub struct AccountView {
    pub name: String,
    pub touched: bool,
    pub has_opportunity: bool,
}

pub struct ReviewView {
    pub kind: &'static str,
    pub held_on: String,
    pub attendees: String,
    pub notes: String,
    pub decisions: Vec<String>,
    pub next_steps: Vec<String>,
}

pub struct TaskView {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub due_on: String,
    pub status: PlanTaskStatus,
    pub overdue: bool,
}

pub struct VersionView {
    pub version: i64,
    pub note: String,
    pub author: String,
    pub at: String,
    pub changes: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "business_plan/plan.html")]
struct PlanPage {
    chrome: Chrome,
    base: &'static str,
    plan: BusinessPlan,
    quarters: Vec<QuarterView>,
    activities: Vec<ActivityView>,
    accounts: Vec<AccountView>,
    drifting: bool,
    total: String,
    reviews: Vec<ReviewView>,
    due: Vec<(String, String, bool)>,
    tasks: Vec<TaskView>,
    versions: Vec<VersionView>,
    marketing: Vec<(String, String, String)>,
    can_sign: bool,
    can_write: bool,
    /// The content form: its values (the plan's, or what was posted when saving failed),
    /// the quarter grid, the accounts offered, the marketing rows and kinds.
    content_form: FormView,
    content_quarters: Vec<QuarterFields>,
    account_choices: Vec<(String, String)>,
    marketing_rows: Vec<usize>,
    marketing_kinds: &'static [MarketingKind],
    /// Who may own a review's next steps: (user id, label); the recorder is the default.
    step_owners: Vec<(String, String)>,
    review_kinds: &'static [ReviewKind],
    failed: &'static str,
    form: FormView,
    notice: Option<&'static str>,
    today: String,
}

impl PlanPage {
    fn alerts(&self, action: &str) -> Vec<String> {
        if self.failed == action {
            self.form
                .errors
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect()
        } else {
            Vec::new()
        }
    }
}

fn money(minor: i64, plan: &BusinessPlan) -> String {
    Money::new(minor, plan.currency).to_string()
}

fn bp(v: Option<i64>) -> String {
    v.map(|b| format!("{}%", b / 100))
        .unwrap_or_else(|| "—".to_owned())
}

/// Who may own the next steps of a review of `plan`, other than `me` (the default): the
/// partner's users, and for staff also the vendor's staff, by name.
async fn step_owners(
    store: &Store,
    scope: &Scope,
    plan: &BusinessPlan,
    me: &str,
) -> Result<Vec<(String, String)>, UiError> {
    let page = PageRequest::parse(
        &PageParams {
            sort: Some("display_name".into()),
            limit: Some("200".into()),
            cursor: None,
        },
        &Store::user_sorts(),
    )
    .map_err(|e: Invalid| UiError::Store(e.into()))?;
    let mut filters = vec![(
        UserFilter {
            partner_id: Some(plan.partner_id.clone()),
            ..UserFilter::default()
        },
        plan.partner_name.clone(),
    )];
    if matches!(scope, Scope::Vendor) {
        filters.push((
            UserFilter {
                staff: Some(true),
                ..UserFilter::default()
            },
            "vendor".to_owned(),
        ));
    }
    let mut out = Vec::new();
    for (filter, side) in filters {
        for u in store.users(scope, &filter, &page).await?.items {
            if u.id.as_str() != me {
                out.push((u.id.to_string(), format!("{} ({side})", u.display_name)));
            }
        }
    }
    Ok(out)
}

/// The accounts a plan may name, as (id, name) by name: those the partner registered and
/// those the plan names already. Staff only (partners do not read account records).
async fn account_choices(
    store: &Store,
    scope: &Scope,
    plan: &BusinessPlan,
) -> Result<Vec<(String, String)>, StoreError> {
    let page = PageRequest::parse(
        &PageParams {
            sort: None,
            limit: Some("200".into()),
            cursor: None,
        },
        &Store::registration_sorts(),
    )
    .map_err(StoreError::from)?;
    let registered = store
        .registrations(
            scope,
            &RegistrationFilter {
                partner_id: Some(plan.partner_id.clone()),
                ..RegistrationFilter::default()
            },
            &page,
        )
        .await?;
    let mut out: std::collections::BTreeMap<String, String> = registered
        .items
        .into_iter()
        .map(|r| (r.account_id.to_string(), r.account_name))
        .collect();
    for id in &plan.content.target_account_ids {
        if !out.contains_key(id.as_str()) {
            let name = store
                .account(scope, id.as_str())
                .await
                .map(|a| a.name)
                .unwrap_or_else(|_| id.to_string());
            out.insert(id.to_string(), name);
        }
    }
    let mut list: Vec<(String, String)> = out.into_iter().collect();
    list.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(list)
}

async fn plan_page(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    base: &'static str,
    id: &str,
    failed: (&'static str, FormView),
    notice: Option<&'static str>,
) -> Result<PlanPage, UiError> {
    let store = &state.store;
    let plan = store.business_plan(scope, id).await?;
    let a: Attainment = store.business_plan_attainment(scope, id).await?;
    let mut accounts = Vec::new();
    let one = PageRequest::parse(
        &PageParams {
            limit: Some("1".into()),
            ..PageParams::default()
        },
        &Store::registration_sorts(),
    )
    .map_err(|e: Invalid| UiError::Store(e.into()))?;
    for c in &a.accounts {
        // Partners do not see account records: staff read the account's name, a partner
        // the name on its own registration of it (a partner names only accounts it
        // registered), else the id.
        let name = match scope {
            Scope::Vendor => store
                .account(scope, c.account_id.as_str())
                .await
                .map(|acc| acc.name)
                .unwrap_or_else(|_| c.account_id.to_string()),
            Scope::Partner(_) => {
                let filter = RegistrationFilter {
                    account_id: Some(c.account_id.clone()),
                    ..RegistrationFilter::default()
                };
                store
                    .registrations(scope, &filter, &one)
                    .await?
                    .items
                    .into_iter()
                    .next()
                    .map_or_else(|| c.account_id.to_string(), |r| r.account_name)
            }
        };
        accounts.push(AccountView {
            name,
            touched: c.touched,
            has_opportunity: c.has_opportunity,
        });
    }
    let versions = store.business_plan_versions(scope, id).await?;
    let version_views = versions
        .iter()
        .enumerate()
        .rev()
        .map(|(i, v)| VersionView {
            version: v.version,
            note: v.change_note.clone(),
            author: v.author_name.clone(),
            at: v.created_at.format("%Y-%m-%d").to_string(),
            changes: if i == 0 {
                Vec::new()
            } else {
                diff(&versions[i - 1].content, &v.content)
            },
        })
        .collect();
    let reviews = store
        .plan_reviews(scope, id)
        .await?
        .into_iter()
        .map(|r| ReviewView {
            kind: r.kind.label(),
            held_on: r.held_on.to_string(),
            attendees: r.attendees.join(", "),
            notes: r.notes,
            decisions: r.decisions,
            next_steps: r.next_steps,
        })
        .collect();
    let due = store
        .plan_reviews_due(scope, id)
        .await?
        .into_iter()
        .map(|d| (d.kind.label().to_owned(), d.due_on.to_string(), d.overdue))
        .collect();
    let today = store.now().date_naive();
    let tasks = store
        .plan_tasks(scope, id)
        .await?
        .into_iter()
        .map(|t| TaskView {
            id: t.id.to_string(),
            overdue: t.status == PlanTaskStatus::Open && t.due_on < today,
            title: t.title,
            owner: t.owner_name,
            due_on: t.due_on.to_string(),
            status: t.status,
        })
        .collect();
    let exponent = plan.currency.exponent();
    let account_choices = match scope {
        Scope::Vendor => account_choices(store, scope, &plan).await?,
        Scope::Partner(_) => Vec::new(),
    };
    let content_form = if failed.0 == "content" {
        failed.1.clone()
    } else {
        content_form::fill(&plan.content, exponent)
    };
    Ok(PlanPage {
        chrome: Chrome::new(user, "business-plans"),
        base,
        quarters: a
            .quarters
            .iter()
            .map(|q| QuarterView {
                quarter: q.quarter,
                period: format!("{} – {}", q.starts_on, q.ends_on),
                milestone: money(q.milestone_minor, &plan),
                won: money(q.won_minor, &plan),
                pipeline: money(q.pipeline_minor, &plan),
                pace: money(q.pace_minor, &plan),
                attainment: bp(q.attainment_bp),
                state: q.state,
                drift: q.drift_reason.clone(),
            })
            .collect(),
        activities: a
            .activities
            .iter()
            .map(|x| ActivityView {
                quarter: x.quarter,
                kind: x.kind.label(),
                committed: x.committed,
                done: x.done,
            })
            .collect(),
        accounts,
        drifting: a.drifting,
        total: bp(a.total_attainment_bp),
        reviews,
        due,
        tasks,
        versions: version_views,
        marketing: plan
            .content
            .marketing
            .iter()
            .map(|m| (m.on.to_string(), m.kind.label().to_owned(), m.title.clone()))
            .collect(),
        can_sign: authorize(&user.principal, &Action::SignPlan(&plan.partner_id)).is_ok()
            && plan.status == PlanStatus::Draft,
        can_write: authorize(&user.principal, &Action::WritePlan(&plan.partner_id)).is_ok(),
        content_form,
        content_quarters: content_form::quarters(),
        account_choices,
        marketing_rows: content_form::marketing_rows(&plan.content),
        marketing_kinds: MarketingKind::ALL,
        step_owners: step_owners(store, scope, &plan, &user.principal.user_id.to_string()).await?,
        review_kinds: ReviewKind::ALL,
        failed: failed.0,
        form: failed.1,
        notice,
        today: today.to_string(),
        plan,
    })
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "sign" => "Signed.",
        "review" => "Review recorded.",
        "content" => "Plan saved.",
        "task" => "Task updated.",
        _ => return None,
    })
}

async fn console_plan(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = plan_page(
        &state,
        &user,
        user.scope(),
        "/console",
        &id,
        ("", FormView::default()),
        notice_of(d.done.as_deref()),
    )
    .await?;
    Ok(page.into_response())
}

async fn portal_plan(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = plan_page(
        &state,
        &user,
        user.scope(),
        "/portal",
        &id,
        ("", FormView::default()),
        notice_of(d.done.as_deref()),
    )
    .await?;
    Ok(page.into_response())
}

/// Runs a plan form; `Ok(None)` for an unknown action.
async fn run(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    id: &str,
    action: &str,
    p: &Posted,
) -> Result<Option<&'static str>, StoreError> {
    let actor = user.actor();
    let store = &state.store;
    Ok(Some(match action {
        "sign" => {
            store.sign_business_plan(&actor, id).await?;
            "sign"
        }
        "review" => {
            let lines = |name: &str| Some(p.lines(name));
            let input = ReviewInput {
                kind: trimmed(p, "kind"),
                held_on: trimmed(p, "held_on"),
                attendees: lines("attendees"),
                notes: trimmed(p, "notes"),
                decisions: lines("decisions"),
                next_steps: lines("next_steps"),
                next_step_owner_id: trimmed(p, "next_step_owner_id"),
                next_steps_due_on: trimmed(p, "next_steps_due_on"),
            };
            store.record_plan_review(&actor, id, &input).await?;
            "review"
        }
        "task" => {
            // The task must be one of this plan's, as the page showed it.
            let task_id = trimmed(p, "task_id").unwrap_or_default();
            let listed = store.plan_tasks(scope, id).await?;
            if !listed.iter().any(|t| t.id.as_str() == task_id) {
                return Err(StoreError::NotFound(
                    partnerops_core::audit::EntityKind::PlanTask,
                ));
            }
            let patch = PlanTaskPatch {
                status: trimmed(p, "status"),
            };
            store
                .update_plan_task(
                    &actor,
                    &task_id,
                    &patch,
                    &partnerops_store::etag::Precondition::None,
                )
                .await?;
            "task"
        }
        "content" => {
            let plan = store.business_plan(scope, id).await?;
            let offered: Vec<String> = account_choices(store, scope, &plan)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let content = content_form::parse(p, &offered, plan.currency.exponent())?;
            let change = PlanChange {
                title: trimmed(p, "title"),
                content: Some(content),
                change_note: trimmed(p, "change_note"),
            };
            if plan.status == PlanStatus::Agreed {
                store.amend_business_plan(&actor, id, &change).await?;
            } else {
                store.update_business_plan(&actor, id, &change).await?;
            }
            "content"
        }
        _ => return Ok(None),
    }))
}

fn action_name(action: &str) -> &'static str {
    match action {
        "sign" => "sign",
        "review" => "review",
        "content" => "content",
        "task" => "task",
        _ => "",
    }
}

async fn after(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    base: &'static str,
    id: &str,
    action: &str,
    p: &Posted,
) -> Result<Response, UiError> {
    let ran = run(state, user, scope, id, action, p).await;
    let page = format!("{base}/business-plans/{id}");
    form::after_action(ran, &page, p, |view| {
        plan_page(
            state,
            user,
            scope,
            base,
            id,
            (action_name(action), view),
            None,
        )
    })
    .await
}

async fn console_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let scope = form.user.scope().clone();
    after(
        &state,
        &form.user,
        &scope,
        "/console",
        &id,
        &action,
        &form.posted,
    )
    .await
}

async fn portal_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let scope = form.user.scope().clone();
    after(
        &state,
        &form.user,
        &scope,
        "/portal",
        &id,
        &action,
        &form.posted,
    )
    .await
}
