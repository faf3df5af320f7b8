//! The console's deal registration pages: the approval queue and every registration, one
//! registration with approve/reject, the duplicate review ("same company: merge" or
//! "different companies"), engagement requests and conflict cases, an account's
//! registration history, and the list of engagement requests. Staff only (`Staff`). Conflict
//! case pages live in `conflict`; the partner's pages in `portal`.

use crate::AppState;
use crate::ui::form::{FormView, Posted, field_errors, url_encode};
use crate::ui::guard::Staff;
use crate::ui::registration::Alerts;
use crate::ui::registration::DecisionView;
use crate::ui::registration::Done;
use crate::ui::registration::Names;
use crate::ui::registration::RegRow;
use crate::ui::registration::countdown;
use crate::ui::registration::day;
use crate::ui::registration::decisions;
use crate::ui::registration::engagements_of;
use crate::ui::registration::failure_status;
use crate::ui::registration::internal;
use crate::ui::registration::minute;
use crate::ui::registration::notice_of;
use crate::ui::registration::page_of;
use crate::ui::registration::trimmed;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::EntityId;
use partnerops_core::registration::record::{
    Activity, ConflictCase, EngagementRequest, ReasonInput, Registration,
};
use partnerops_core::registration::review::{DistinctInput, MergeInput};
use partnerops_core::registration::{ConflictStatus, RegistrationStatus};
use partnerops_core::scope::{Action, authorize};
use partnerops_store::registration::RegistrationFilter;
use partnerops_store::registration::conflict::ConflictFilter;
use partnerops_store::registration::engagement::EngagementFilter;
use partnerops_store::{Store, StoreError};
use std::collections::HashMap;

// ---------------------------------------------------------------- console: registrations

#[derive(Template, WebTemplate)]
#[template(path = "registration/console/registrations.html")]
struct ConsoleListPage {
    chrome: Chrome,
    /// Pending registrations, oldest first.
    queue: Vec<RegRow>,
    /// More are pending than the queue shows.
    queue_more: bool,
    statuses: &'static [RegistrationStatus],
    filters: FormView,
    /// Every registration (or those of the chosen status), newest first.
    all: Vec<RegRow>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub(super) struct ConsoleListQuery {
    status: Option<String>,
    cursor: Option<String>,
}

const QUEUE_SIZE: u32 = 50;

async fn rows_of(
    state: &AppState,
    names: &mut Names,
    items: &[Registration],
    now: DateTime<Utc>,
) -> Result<Vec<RegRow>, UiError> {
    let ids: Vec<&str> = items.iter().map(|r| r.partner_id.as_str()).collect();
    names.learn_partners(state, &ids).await?;
    let mut rows = Vec::with_capacity(items.len());
    for r in items {
        let partner = names.partner(state, r.partner_id.as_str()).await?;
        rows.push(RegRow::new(r, partner, now));
    }
    Ok(rows)
}

pub(super) async fn console_list(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<ConsoleListQuery>,
) -> Result<Response, UiError> {
    let now = state.store.now();
    let mut names = Names::new(&user);
    let queue_page = page_of(
        "submitted_at",
        QUEUE_SIZE,
        None,
        &Store::registration_sorts(),
    )
    .map_err(internal)?;
    let pending = state
        .store
        .registrations(
            user.scope(),
            &RegistrationFilter {
                status: Some(RegistrationStatus::Pending),
                ..Default::default()
            },
            &queue_page,
        )
        .await?;
    let queue = rows_of(&state, &mut names, &pending.items, now).await?;

    let status_raw = q.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut inv = Invalid::new();
    let status = status_raw.and_then(|raw| inv.check(RegistrationStatus::parse("status", raw)));
    let page = page_of(
        "-submitted_at",
        50,
        q.cursor.clone().filter(|c| !c.is_empty()),
        &Store::registration_sorts(),
    );
    let page = match page {
        Ok(p) => Some(p),
        Err(e) => {
            inv.errors.extend(e.errors);
            None
        }
    };
    let (rows, next, error) = match (page, inv.is_empty()) {
        (Some(page), true) => {
            let listed = state
                .store
                .registrations(
                    user.scope(),
                    &RegistrationFilter {
                        status,
                        ..Default::default()
                    },
                    &page,
                )
                .await?;
            let next = listed.next_cursor.as_ref().map(|c| {
                let mut url = "/console/registrations?".to_owned();
                if let Some(s) = status_raw {
                    url.push_str(&format!("status={}&", url_encode(s)));
                }
                url.push_str(&format!("cursor={}", url_encode(c)));
                url
            });
            (
                rows_of(&state, &mut names, &listed.items, now).await?,
                next,
                None,
            )
        }
        _ => (Vec::new(), None, Some(inv.summary())),
    };
    let mut filters = FormView::default();
    filters.set("status", status_raw.unwrap_or_default());
    Ok(ConsoleListPage {
        chrome: Chrome::new(&user, "registrations"),
        queue_more: pending.next_cursor.is_some(),
        queue,
        statuses: RegistrationStatus::ALL,
        filters,
        all: rows,
        next,
        error,
    }
    .into_response())
}

/// The forms of a console registration page; the one that failed carries its errors.
#[derive(Default)]
pub(super) struct ConsoleForms {
    approve: FormView,
    reject: FormView,
    engage: FormView,
    conflict: FormView,
    merge: FormView,
    distinct: FormView,
}

#[derive(Clone, Copy)]
pub(super) enum ConsoleForm {
    Approve,
    Reject,
    Engage,
    Conflict,
    Merge,
    Distinct,
}

impl ConsoleForms {
    pub(super) fn with(place: ConsoleForm, view: FormView) -> ConsoleForms {
        let mut f = ConsoleForms::default();
        *match place {
            ConsoleForm::Approve => &mut f.approve,
            ConsoleForm::Reject => &mut f.reject,
            ConsoleForm::Engage => &mut f.engage,
            ConsoleForm::Conflict => &mut f.conflict,
            ConsoleForm::Merge => &mut f.merge,
            ConsoleForm::Distinct => &mut f.distinct,
        } = view;
        f
    }
}

/// A conflict case as a row, with its deadline as people read it.
pub struct ConflictRow {
    pub id: String,
    pub account_id: String,
    pub account_name: String,
    pub partner_id: Option<String>,
    pub partner_name: Option<String>,
    pub registration_id: Option<String>,
    pub opened_by: &'static str,
    pub reason: String,
    pub level_name: String,
    pub level: i64,
    pub status: ConflictStatus,
    pub outcome: Option<&'static str>,
    pub opened: String,
    pub due: String,
    pub countdown: String,
    pub overdue: bool,
    pub resolved: Option<String>,
}

pub(super) async fn conflict_row(
    state: &AppState,
    names: &mut Names,
    c: &ConflictCase,
    now: DateTime<Utc>,
) -> Result<ConflictRow, UiError> {
    let (countdown, overdue) = countdown(c.due_at, now);
    let partner_name = match &c.partner_id {
        Some(p) => Some(names.partner(state, p.as_str()).await?),
        None => None,
    };
    Ok(ConflictRow {
        id: c.id.to_string(),
        account_id: c.account_id.to_string(),
        account_name: names.account(state, c.account_id.as_str()).await?,
        partner_id: c.partner_id.as_ref().map(|p| p.to_string()),
        partner_name,
        registration_id: c.registration_id.as_ref().map(|r| r.to_string()),
        opened_by: c.opened_by_kind.label(),
        reason: c.reason.clone(),
        level_name: if c.level_name.is_empty() {
            format!("Level {}", c.level + 1)
        } else {
            c.level_name.clone()
        },
        level: c.level,
        status: c.status,
        outcome: c.outcome.map(|o| o.label()),
        opened: day(c.created_at),
        due: minute(c.due_at),
        countdown,
        overdue,
        resolved: c.resolved_at.map(day),
    })
}

async fn conflicts_on_account(
    state: &AppState,
    names: &mut Names,
    account_id: &partnerops_core::ids::AccountId,
) -> Result<Vec<ConflictRow>, UiError> {
    let page = page_of("-created_at", 50, None, &Store::conflict_sorts()).map_err(internal)?;
    let cases = state
        .store
        .conflicts(
            &names.scope,
            &ConflictFilter {
                account_id: Some(account_id.clone()),
                ..Default::default()
            },
            &page,
        )
        .await?;
    let now = state.store.now();
    let mut rows = Vec::new();
    for c in &cases.items {
        rows.push(conflict_row(state, names, c, now).await?);
    }
    Ok(rows)
}

#[derive(Template, WebTemplate)]
#[template(path = "registration/console/registration.html")]
pub(super) struct ConsoleRegistrationPage {
    chrome: Chrome,
    reg: Registration,
    row: RegRow,
    /// The held account this one's name is close to: id and name.
    duplicate_of: Option<(String, String)>,
    decisions: Vec<DecisionView>,
    activities: Vec<Activity>,
    engagements: Vec<EngagementRequest>,
    conflicts: Vec<ConflictRow>,
    forms: ConsoleForms,
    can_decide: bool,
    can_engage: bool,
    notice: Option<&'static str>,
}

pub(super) async fn console_page(
    state: &AppState,
    user: &Staff,
    id: &str,
    forms: ConsoleForms,
    notice: Option<&'static str>,
) -> Result<ConsoleRegistrationPage, UiError> {
    let scope = user.scope();
    let reg = state.store.registration(scope, id).await?;
    let mut names = Names::new(user);
    let partner = names.partner(state, reg.partner_id.as_str()).await?;
    let duplicate_of = match &reg.possible_duplicate_of {
        Some(a) => Some((a.to_string(), names.account(state, a.as_str()).await?)),
        None => None,
    };
    let conflicts = conflicts_on_account(state, &mut names, &reg.account_id).await?;
    Ok(ConsoleRegistrationPage {
        chrome: Chrome::new(user, "registrations"),
        row: RegRow::new(&reg, partner, state.store.now()),
        duplicate_of,
        decisions: decisions(state, scope, EntityKind::Registration, id).await?,
        activities: state.store.registration_activities(scope, id).await?,
        engagements: engagements_of(state, scope, &reg).await?,
        conflicts,
        forms,
        can_decide: authorize(&user.principal, &Action::DecideRegistration).is_ok(),
        can_engage: authorize(&user.principal, &Action::EngageAccount).is_ok(),
        reg,
        notice,
    })
}

pub(super) async fn console_registration(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    Ok(console_page(
        &state,
        &user,
        &id,
        ConsoleForms::default(),
        notice_of(d.done.as_deref()),
    )
    .await?
    .into_response())
}

async fn console_after<T>(
    state: &AppState,
    form: &SignedForm<Staff>,
    id: &str,
    result: Result<T, StoreError>,
    place: ConsoleForm,
    done: &str,
) -> Result<Response, UiError> {
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/registrations/{id}?done={done}")).into_response())
        }
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page =
                console_page(state, &form.user, id, ConsoleForms::with(place, view), None).await?;
            Ok((status, page).into_response())
        }
    }
}

fn reason_of(posted: &Posted) -> ReasonInput {
    ReasonInput {
        reason: trimmed(posted, "reason"),
    }
}

pub(super) async fn console_approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let result = state
        .store
        .approve_registration(&form.user.actor(), &id, &reason_of(&form.posted))
        .await;
    console_after(&state, &form, &id, result, ConsoleForm::Approve, "approved").await
}

pub(super) async fn console_reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let result = state
        .store
        .reject_registration(&form.user.actor(), &id, &reason_of(&form.posted))
        .await;
    console_after(&state, &form, &id, result, ConsoleForm::Reject, "rejected").await
}

pub(super) async fn console_request_engagement(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let result = state
        .store
        .request_engagement(&form.user.actor(), &id, &reason_of(&form.posted))
        .await;
    console_after(&state, &form, &id, result, ConsoleForm::Engage, "requested").await
}

// ---------------------------------------------------------------- console: duplicate review

/// The account a review form names (`field`, a hidden field holding the account the page
/// showed as the possible duplicate), checked against the registration as it is now: a
/// page loaded before another reviewer's answer must not merge into an account the
/// reviewer never saw.
fn reviewed_account(
    reg: &Registration,
    posted: &Posted,
    field: &str,
) -> Result<String, StoreError> {
    let shown = trimmed(posted, field);
    match (&reg.possible_duplicate_of, shown) {
        (Some(current), Some(shown)) if current.as_str() == shown => Ok(shown),
        _ => Err(StoreError::conflict(
            field,
            "registration.duplicate_changed",
            "this registration is no longer flagged as a possible duplicate of that account; \
             review the page again",
        )),
    }
}

/// `POST /console/registrations/{id}/merge`: "same company": this registration's account
/// is merged into the account it may duplicate (the store refuses with
/// `account.merge_both_held` while both hold an active registration).
pub(super) async fn console_merge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let reg = state.store.registration(form.user.scope(), &id).await?;
    let result = match reviewed_account(&reg, &form.posted, "into") {
        Ok(into) => {
            let input = MergeInput {
                into: Some(into),
                reason: trimmed(&form.posted, "reason"),
            };
            state
                .store
                .merge_accounts(&form.user.actor(), reg.account_id.as_str(), &input)
                .await
        }
        Err(e) => Err(e),
    };
    console_after(&state, &form, &id, result, ConsoleForm::Merge, "merged").await
}

/// `POST /console/registrations/{id}/distinct`: "different companies": this
/// registration's account and the one it may duplicate are never flagged again.
pub(super) async fn console_distinct(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let reg = state.store.registration(form.user.scope(), &id).await?;
    let result = match reviewed_account(&reg, &form.posted, "from") {
        Ok(from) => {
            let input = DistinctInput {
                from: Some(from),
                reason: trimmed(&form.posted, "reason"),
            };
            state
                .store
                .mark_accounts_distinct(&form.user.actor(), reg.account_id.as_str(), &input)
                .await
        }
        Err(e) => Err(e),
    };
    console_after(
        &state,
        &form,
        &id,
        result,
        ConsoleForm::Distinct,
        "distinct",
    )
    .await
}

// ---------------------------------------------------------------- console: account history

/// Every registration of an account, newest first, for the account's console page.
pub(crate) async fn account_history(
    state: &AppState,
    user: &Staff,
    account_id: &str,
) -> Result<Vec<RegRow>, UiError> {
    let Ok(account_id) = partnerops_core::ids::parse_id("account_id", account_id) else {
        return Ok(Vec::new());
    };
    let page =
        page_of("-submitted_at", 100, None, &Store::registration_sorts()).map_err(internal)?;
    let listed = state
        .store
        .registrations(
            user.scope(),
            &RegistrationFilter {
                account_id: Some(account_id),
                ..Default::default()
            },
            &page,
        )
        .await?;
    let mut names = Names::new(user);
    rows_of(state, &mut names, &listed.items, state.store.now()).await
}

// ---------------------------------------------------------------- console: engagement

/// One engagement request as the console lists it.
struct EngagementListRow {
    registration_id: String,
    account_name: String,
    partner_name: String,
    requested_by: String,
    reason: String,
    status: &'static str,
    status_key: &'static str,
    requested: String,
    answer: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "registration/console/engagement.html")]
struct EngagementPage {
    chrome: Chrome,
    pending: Vec<EngagementListRow>,
    answered: Vec<EngagementListRow>,
}

/// `GET /console/engagement`: direct sales' requests for consent, awaiting partners first.
pub(super) async fn engagement_list(
    State(state): State<AppState>,
    user: Staff,
) -> Result<Response, UiError> {
    let sorts = Store::engagement_sorts();
    let mut names = Names::new(&user);
    let mut users: HashMap<String, String> = HashMap::new();
    let pending = state
        .store
        .engagement_requests(
            user.scope(),
            &EngagementFilter {
                status: Some(partnerops_core::registration::EngagementStatus::Pending),
                ..Default::default()
            },
            &page_of("created_at", 200, None, &sorts).map_err(internal)?,
        )
        .await?;
    let pending = engagement_rows(&state, &mut names, &mut users, pending.items).await?;
    let all = state
        .store
        .engagement_requests(
            user.scope(),
            &EngagementFilter::default(),
            &page_of("-created_at", 50, None, &sorts).map_err(internal)?,
        )
        .await?;
    let answered: Vec<EngagementRequest> = all
        .items
        .into_iter()
        .filter(|e| e.status != partnerops_core::registration::EngagementStatus::Pending)
        .collect();
    let answered = engagement_rows(&state, &mut names, &mut users, answered).await?;
    Ok(EngagementPage {
        chrome: Chrome::new(&user, "registrations"),
        pending,
        answered,
    }
    .into_response())
}

/// Rows for engagement requests, naming the account, the holder and the requester.
async fn engagement_rows(
    state: &AppState,
    names: &mut Names,
    users: &mut HashMap<String, String>,
    items: Vec<EngagementRequest>,
) -> Result<Vec<EngagementListRow>, UiError> {
    let mut out = Vec::new();
    for e in items {
        let reg = state
            .store
            .registration(&names.scope, e.registration_id.as_str())
            .await?;
        let requester = match users.get(e.requested_by.as_str()) {
            Some(n) => n.clone(),
            None => {
                let n = state
                    .store
                    .user(&names.scope, e.requested_by.as_str())
                    .await?
                    .display_name;
                users.insert(e.requested_by.to_string(), n.clone());
                n
            }
        };
        out.push(EngagementListRow {
            registration_id: reg.id.to_string(),
            account_name: reg.account_name.clone(),
            partner_name: names.partner(state, reg.partner_id.as_str()).await?,
            requested_by: requester,
            reason: e.reason,
            status: e.status.label(),
            status_key: e.status.as_str(),
            requested: e.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            answer: e.decision_reason,
        });
    }
    Ok(out)
}
