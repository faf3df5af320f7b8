//! Deal registration and channel conflict in the browser.
//!
//! The partner portal: the "register a deal" form with an instant hold check (htmx posts
//! the company fields as they are typed and shows whether the account is free, held by
//! another partner and until when, held by the partner itself, or a possible duplicate;
//! never who holds it), the partner's registrations, and one registration's decisions,
//! activity, renewal, withdrawal, close and engagement requests.
//!
//! The vendor console: the approval queue and all registrations, one registration with
//! approve/reject, engagement requests and conflict cases, the conflict list with each
//! case's deadline and escalation level, and one case with comments and its resolution.
//!
//! Partner users get 404 on console pages, vendor staff on portal pages. Every write is a
//! `SignedForm` and goes to the store, which applies the rules; refusals come back inline.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::EntityId;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::registration::record::{
    AccountRefInput, Activity, ActivityInput, CloseInput, CommentInput, ConflictCase,
    ConflictComment, ConflictInput, DecisionRecord, EngagementRequest, HoldCheck, ReasonInput,
    Registration, RegistrationFields, RegistrationInput, ResolveInput,
};
use partnerops_core::registration::{
    ActivityKind, ConflictOutcome, ConflictStatus, RegistrationStatus,
};
use partnerops_core::scope::{Action, Scope, authorize};
use partnerops_store::conflicts::ConflictFilter;
use partnerops_store::engagement::EngagementFilter;
use partnerops_store::registrations::RegistrationFilter;
use partnerops_store::{Store, StoreError};

use super::form::{FormView, Posted, field_errors, major_to_minor, url_encode};
use super::session::SignedForm;
use super::{Chrome, UiError, UiUser};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/portal/registrations",
            get(portal_list).post(portal_submit),
        )
        .route("/portal/registrations/check", post(portal_check))
        .route("/portal/registrations/{id}", get(portal_registration))
        .route(
            "/portal/registrations/{id}/activities",
            post(portal_log_activity),
        )
        .route("/portal/registrations/{id}/renew", post(portal_renew))
        .route("/portal/registrations/{id}/withdraw", post(portal_withdraw))
        .route("/portal/registrations/{id}/close", post(portal_close))
        .route("/portal/engagement/{id}/{answer}", post(portal_answer))
        .route("/console/registrations", get(console_list))
        .route("/console/registrations/{id}", get(console_registration))
        .route("/console/registrations/{id}/approve", post(console_approve))
        .route("/console/registrations/{id}/reject", post(console_reject))
        .route(
            "/console/registrations/{id}/engagement",
            post(console_request_engagement),
        )
        .route("/console/engagement", get(engagement_list))
        .route("/console/conflicts", get(conflicts).post(open_conflict))
        .route("/console/conflicts/{id}", get(conflict))
        .route(
            "/console/conflicts/{id}/comments",
            post(comment_on_conflict),
        )
        .route("/console/conflicts/{id}/resolve", post(resolve_conflict))
}

// ---------------------------------------------------------------- shared

/// Console pages are for vendor staff only.
fn staff(user: &UiUser) -> Result<(), UiError> {
    if user.principal.is_vendor() {
        Ok(())
    } else {
        Err(UiError::NotFound)
    }
}

/// The partner scope of a portal user; staff have no portal.
fn partner_scope(user: &UiUser) -> Result<Scope, UiError> {
    match &user.principal.scope {
        Scope::Partner(_) => Ok(user.principal.scope.clone()),
        Scope::Vendor => Err(UiError::NotFound),
    }
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn plural(n: i64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A span of time as people say it: "3 days", "5 hours", "12 minutes".
fn span(d: chrono::Duration) -> String {
    let d = d.abs();
    if d.num_days() >= 1 {
        plural(d.num_days(), "day")
    } else if d.num_hours() >= 1 {
        plural(d.num_hours(), "hour")
    } else {
        plural(d.num_minutes().max(1), "minute")
    }
}

/// "due in 2 days" or "overdue by 3 hours", and whether it is overdue.
fn countdown(due: DateTime<Utc>, now: DateTime<Utc>) -> (String, bool) {
    let left = due - now;
    if left > chrono::Duration::zero() {
        (format!("due in {}", span(left)), false)
    } else {
        (format!("overdue by {}", span(left)), true)
    }
}

/// A page request for lists this module shows: a sort, a size and maybe a cursor.
fn page_of(
    sort: &str,
    limit: u32,
    cursor: Option<String>,
    sorts: &[&'static str],
) -> Result<PageRequest, Invalid> {
    PageRequest::parse(
        &PageParams {
            sort: Some(sort.to_owned()),
            limit: Some(limit.to_string()),
            cursor,
        },
        sorts,
    )
}

fn internal(inv: Invalid) -> UiError {
    UiError::Store(inv.into())
}

/// A message as a sentence: capitalised, with a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

/// Messages for the errors of a form not shown beside one of its fields, as sentences
/// (refusals, which the store files under `_`, among them).
pub trait Alerts {
    fn alerts(&self, shown: &[&str]) -> Vec<String>;
}

impl Alerts for FormView {
    fn alerts(&self, shown: &[&str]) -> Vec<String> {
        self.errors
            .errors
            .iter()
            .filter(|e| !shown.contains(&e.field.as_str()))
            .filter_map(|e| self.err(&e.field))
            .map(|m| sentence(&m))
            .collect()
    }
}

/// A rule decision as shown: the rule, its outcome, the reason as a sentence, who and when.
pub struct DecisionView {
    pub rule: String,
    pub outcome: String,
    pub reason: String,
    pub at: String,
    pub actor: String,
    pub policy_version: i64,
}

impl DecisionView {
    fn of(d: &DecisionRecord) -> DecisionView {
        DecisionView {
            rule: d.rule.clone(),
            outcome: d.outcome.replace('_', " "),
            reason: sentence(&d.reason),
            at: minute(d.at),
            actor: d.actor_name.clone(),
            policy_version: d.policy_version,
        }
    }
}

/// The status a re-rendered form answers with: 409 for a refusal or a state conflict,
/// 422 for invalid input.
fn failure_status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::Refused { .. } | StoreError::Conflict { .. } => StatusCode::CONFLICT,
        StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Partner and account names looked up once per page.
#[derive(Default)]
struct Names {
    partners: HashMap<String, String>,
    accounts: HashMap<String, String>,
}

impl Names {
    async fn partner(&mut self, state: &AppState, id: &str) -> Result<String, UiError> {
        if let Some(n) = self.partners.get(id) {
            return Ok(n.clone());
        }
        let name = state.store.partner(&Scope::Vendor, id).await?.name;
        self.partners.insert(id.to_owned(), name.clone());
        Ok(name)
    }

    async fn account(&mut self, state: &AppState, id: &str) -> Result<String, UiError> {
        if let Some(n) = self.accounts.get(id) {
            return Ok(n.clone());
        }
        let name = state.store.account(&Scope::Vendor, id).await?.name;
        self.accounts.insert(id.to_owned(), name.clone());
        Ok(name)
    }
}

/// One registration as a row of a list (and the computed facts of a registration page).
pub struct RegRow {
    pub id: String,
    pub account_name: String,
    pub account_domain: Option<String>,
    pub title: String,
    pub partner_id: String,
    /// Empty in the portal: a partner knows its own name.
    pub partner_name: String,
    pub status: RegistrationStatus,
    pub arr: String,
    pub submitted: String,
    pub approved: Option<String>,
    pub expires: Option<String>,
    /// Approved registrations: how long they still hold the account.
    pub days_left: Option<String>,
    pub sla_due: Option<String>,
    pub sla_missed: bool,
    pub closed: Option<String>,
    pub duplicate: bool,
    pub renewals: i64,
}

impl RegRow {
    fn new(r: &Registration, partner_name: String, now: DateTime<Utc>) -> RegRow {
        let approved = r.status == RegistrationStatus::Approved;
        let days_left = r.expires_at.filter(|_| approved).map(|e| {
            let left = e - now;
            if left <= chrono::Duration::zero() {
                "expiring now".to_owned()
            } else if left.num_days() < 1 {
                "less than a day".to_owned()
            } else {
                plural(left.num_days(), "day")
            }
        });
        let sla_due = r.sla_due_at.filter(|_| approved);
        RegRow {
            id: r.id.to_string(),
            account_name: r.account_name.clone(),
            account_domain: r.account_domain.clone(),
            title: r.title.clone(),
            partner_id: r.partner_id.to_string(),
            partner_name,
            status: r.status,
            arr: r.estimated_arr.to_string(),
            submitted: day(r.submitted_at),
            approved: r.approved_at.map(day),
            expires: r.expires_at.map(day),
            days_left,
            sla_due: sla_due.map(day),
            sla_missed: approved && (r.sla_missed_at.is_some() || sla_due.is_some_and(|d| d < now)),
            closed: r.closed_at.map(day),
            duplicate: r.possible_duplicate_of.is_some(),
            renewals: r.renewals,
        }
    }
}

async fn decisions(
    state: &AppState,
    scope: &Scope,
    kind: EntityKind,
    id: &str,
) -> Result<Vec<DecisionView>, UiError> {
    Ok(state
        .store
        .decisions(scope, kind, id)
        .await?
        .iter()
        .map(DecisionView::of)
        .collect())
}

async fn engagements_of(
    state: &AppState,
    scope: &Scope,
    registration: &Registration,
) -> Result<Vec<EngagementRequest>, UiError> {
    let page = page_of("-created_at", 50, None, &Store::engagement_sorts()).map_err(internal)?;
    Ok(state
        .store
        .engagement_requests(
            scope,
            &EngagementFilter {
                registration_id: Some(registration.id.clone()),
                ..Default::default()
            },
            &page,
        )
        .await?
        .items)
}

// ---------------------------------------------------------------- portal: list and submit

#[derive(Template, WebTemplate)]
#[template(path = "portal/registrations.html")]
struct PortalListPage {
    chrome: Chrome,
    form: FormView,
    /// The currency estimated ARR is typed in.
    currency: String,
    /// What the hold check says about the company fields of `form`.
    hold: HoldCheckView,
    rows: Vec<RegRow>,
    next: Option<String>,
    /// The registration just submitted, for the notice.
    submitted: Option<RegRow>,
}

/// The currency code and number of decimals of the partner's program (USD, 2 when unknown).
async fn partner_currency(state: &AppState, user: &UiUser) -> Result<(String, u32), UiError> {
    let scope = partner_scope(user)?;
    let id = user.principal.partner_id().ok_or(UiError::NotFound)?;
    let partner = state.store.partner(&scope, id.as_str()).await?;
    // Programs are vendor records; only the currency is read, to parse the amount.
    Ok(
        match state
            .store
            .program(&Scope::Vendor, partner.program_id.as_str())
            .await
        {
            Ok(p) => (p.currency.as_str().to_owned(), p.currency.exponent()),
            Err(_) => ("USD".to_owned(), 2),
        },
    )
}

#[derive(serde::Deserialize)]
struct ListQuery {
    submitted: Option<String>,
    cursor: Option<String>,
}

async fn portal_list_page(
    state: &AppState,
    user: &UiUser,
    form: FormView,
    hold: HoldCheckView,
    q: &ListQuery,
) -> Result<PortalListPage, UiError> {
    let scope = partner_scope(user)?;
    let (currency, _) = partner_currency(state, user).await?;
    let now = Utc::now();
    let page = page_of(
        "-submitted_at",
        50,
        q.cursor.clone().filter(|c| !c.is_empty()),
        &Store::registration_sorts(),
    );
    let page = match page {
        Ok(p) => p,
        // A stale cursor: start again from the first page.
        Err(_) => {
            page_of("-submitted_at", 50, None, &Store::registration_sorts()).map_err(internal)?
        }
    };
    let listed = state
        .store
        .registrations(&scope, &RegistrationFilter::default(), &page)
        .await?;
    let next = listed
        .next_cursor
        .as_ref()
        .map(|c| format!("/portal/registrations?cursor={}", url_encode(c)));
    let rows = listed
        .items
        .iter()
        .map(|r| RegRow::new(r, String::new(), now))
        .collect();
    let submitted = match q.submitted.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => match state.store.registration(&scope, id).await {
            Ok(r) => Some(RegRow::new(&r, String::new(), now)),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    Ok(PortalListPage {
        chrome: Chrome::new(user, "registrations"),
        form,
        currency,
        hold,
        rows,
        next,
        submitted,
    })
}

async fn portal_list(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let hold = HoldCheckView::hint(TYPE_TO_CHECK);
    Ok(
        portal_list_page(&state, &user, FormView::default(), hold, &q)
            .await?
            .into_response(),
    )
}

fn trimmed(posted: &Posted, name: &str) -> Option<String> {
    posted
        .get(name)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The registration form as input; the amount is typed in major units.
fn registration_input(posted: &Posted, exponent: u32) -> Result<RegistrationInput, Invalid> {
    let amount = match trimmed(posted, "estimated_arr_minor") {
        None => Ok(None),
        Some(raw) => major_to_minor("estimated_arr_minor", &raw, exponent).map(Some),
    };
    let mut input = RegistrationInput {
        account: Some(AccountRefInput {
            name: trimmed(posted, "name"),
            web_domain: trimmed(posted, "web_domain"),
            country: trimmed(posted, "country"),
        }),
        title: trimmed(posted, "title"),
        product: trimmed(posted, "product"),
        estimated_arr_minor: amount.as_ref().ok().copied().flatten(),
        expected_close_on: trimmed(posted, "expected_close_on"),
        ..Default::default()
    };
    match amount {
        Ok(_) => Ok(input),
        Err(mut inv) => {
            // Say what else is wrong in the same answer.
            input.estimated_arr_minor = Some(1);
            if let Err(other) = RegistrationFields::parse(&input) {
                inv.errors.extend(other.errors);
            }
            Err(inv)
        }
    }
}

async fn portal_submit(
    State(state): State<AppState>,
    form: SignedForm,
) -> Result<Response, UiError> {
    partner_scope(&form.user)?;
    let (_, exponent) = partner_currency(&state, &form.user).await?;
    let result = match registration_input(&form.posted, exponent) {
        Ok(input) => {
            state
                .store
                .submit_registration(&form.user.actor(), &input)
                .await
        }
        Err(inv) => Err(inv.into()),
    };
    match result {
        Ok(r) => {
            Ok(Redirect::to(&format!("/portal/registrations?submitted={}", r.id)).into_response())
        }
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let hold = hold_view(&state, &form.user, &form.posted).await?;
            let q = ListQuery {
                submitted: None,
                cursor: None,
            };
            Ok((
                status,
                portal_list_page(&state, &form.user, view, hold, &q).await?,
            )
                .into_response())
        }
    }
}

// ---------------------------------------------------------------- portal: the hold check

#[derive(Template, WebTemplate)]
#[template(path = "portal/registration_check.html")]
struct HoldCheckView {
    /// free, held, yours, duplicate or hint.
    kind: &'static str,
    message: String,
}

const TYPE_TO_CHECK: &str =
    "Type the company's web domain or name to see whether another partner holds it.";

impl HoldCheckView {
    fn hint(message: impl Into<String>) -> HoldCheckView {
        HoldCheckView {
            kind: "hint",
            message: message.into(),
        }
    }

    /// What a check says, never naming the partner holding the account. `by_domain_only`:
    /// no company name was typed, so a near-name match means nothing.
    fn of(check: &HoldCheck, by_domain_only: bool) -> HoldCheckView {
        let (kind, message) = if check.held && check.held_by_you {
            (
                "yours",
                "Held by you: you already registered this account.".to_owned(),
            )
        } else if check.held {
            match check.held_until {
                Some(until) => (
                    "held",
                    format!(
                        "Already registered by another partner until {}.",
                        day(until)
                    ),
                ),
                None => (
                    "held",
                    "Already registered by another partner, pending the vendor's approval."
                        .to_owned(),
                ),
            }
        } else if let Some(name) = check
            .possible_duplicate
            .as_ref()
            .filter(|_| !by_domain_only)
        {
            (
                "duplicate",
                format!(
                    "Possible duplicate of a registered account named “{name}”: a submission goes to review."
                ),
            )
        } else {
            ("free", "Free: nobody holds this account.".to_owned())
        };
        HoldCheckView { kind, message }
    }
}

/// The hold check for the company fields of a posted registration form.
async fn hold_view(
    state: &AppState,
    user: &UiUser,
    posted: &Posted,
) -> Result<HoldCheckView, UiError> {
    let scope = partner_scope(user)?;
    let name = trimmed(posted, "name");
    let domain = trimmed(posted, "web_domain");
    let mut country = trimmed(posted, "country");
    if name.is_none() && domain.is_none() {
        return Ok(HoldCheckView::hint(TYPE_TO_CHECK));
    }
    if domain.is_none() && country.is_none() {
        return Ok(HoldCheckView::hint(
            "Add the company's country (or its web domain) to check the name.",
        ));
    }
    let by_domain_only = name.is_none();
    if country.is_none() {
        // A domain alone decides; the country only narrows name matches, which a
        // domain-only check ignores. Any valid country will do: the partner's own.
        let id = user.principal.partner_id().ok_or(UiError::NotFound)?;
        country = Some(
            state
                .store
                .partner(&scope, id.as_str())
                .await?
                .country
                .to_string(),
        );
    }
    let input = AccountRefInput {
        name: name.or_else(|| domain.clone()),
        web_domain: domain,
        country,
    };
    match state.store.check_hold(&user.actor(), &input).await {
        Ok(check) => Ok(HoldCheckView::of(&check, by_domain_only)),
        Err(StoreError::Invalid(inv)) => {
            let view = FormView::default().with_errors(inv);
            let label = |field: &str| match field {
                "web_domain" => "Web domain",
                "country" => "Country",
                _ => "Company name",
            };
            let message = view
                .errors
                .errors
                .first()
                .and_then(|e| {
                    view.err(&e.field)
                        .map(|m| format!("{}: {}", label(&e.field), sentence(&m)))
                })
                .unwrap_or_else(|| "Keep typing…".to_owned());
            Ok(HoldCheckView::hint(message))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /portal/registrations/check` (htmx): the company fields as typed, answered with the
/// hold check's message for `#hold-check`.
async fn portal_check(
    State(state): State<AppState>,
    form: SignedForm,
) -> Result<Response, UiError> {
    Ok(hold_view(&state, &form.user, &form.posted)
        .await?
        .into_response())
}

// ---------------------------------------------------------------- portal: one registration

/// The forms of a portal registration page; the one that failed carries its errors.
#[derive(Default)]
struct PortalForms {
    activity: FormView,
    renew: FormView,
    withdraw: FormView,
    close: FormView,
    answer: FormView,
}

#[derive(Clone, Copy)]
enum PortalForm {
    Activity,
    Renew,
    Withdraw,
    Close,
    Answer,
}

impl PortalForms {
    fn with(place: PortalForm, view: FormView) -> PortalForms {
        let mut f = PortalForms::default();
        *match place {
            PortalForm::Activity => &mut f.activity,
            PortalForm::Renew => &mut f.renew,
            PortalForm::Withdraw => &mut f.withdraw,
            PortalForm::Close => &mut f.close,
            PortalForm::Answer => &mut f.answer,
        } = view;
        f
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/registration.html")]
struct PortalRegistrationPage {
    chrome: Chrome,
    reg: Registration,
    row: RegRow,
    decisions: Vec<DecisionView>,
    activities: Vec<Activity>,
    engagements: Vec<EngagementRequest>,
    kinds: &'static [ActivityKind],
    forms: PortalForms,
    can_work: bool,
    can_respond: bool,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "activity" => "Activity logged: the follow-up clock restarts.",
        "renewed" => "Renewed.",
        "withdrawn" => "Withdrawn: the account is released.",
        "closed" => "Closed: the account is released.",
        "answered" => "Engagement request answered.",
        "approved" => "Approved.",
        "rejected" => "Rejected: the account is released.",
        "requested" => "Engagement requested: the partner is asked for consent.",
        "commented" => "Comment added.",
        "resolved" => "Resolved.",
        _ => return None,
    })
}

async fn portal_page(
    state: &AppState,
    user: &UiUser,
    id: &str,
    forms: PortalForms,
    notice: Option<&'static str>,
) -> Result<PortalRegistrationPage, UiError> {
    let scope = partner_scope(user)?;
    let reg = state.store.registration(&scope, id).await?;
    let activities = state.store.registration_activities(&scope, id).await?;
    let decisions = decisions(state, &scope, EntityKind::Registration, id).await?;
    let engagements = engagements_of(state, &scope, &reg).await?;
    let mut forms = forms;
    if forms.activity.v("kind").is_empty() {
        forms.activity.set("kind", "call");
    }
    Ok(PortalRegistrationPage {
        chrome: Chrome::new(user, "registrations"),
        row: RegRow::new(&reg, String::new(), Utc::now()),
        can_work: authorize(&user.principal, &Action::WorkRegistration(&reg.partner_id)).is_ok(),
        can_respond: authorize(
            &user.principal,
            &Action::RespondToEngagement(&reg.partner_id),
        )
        .is_ok(),
        reg,
        decisions,
        activities,
        engagements,
        kinds: ActivityKind::ALL,
        forms,
        notice,
    })
}

async fn portal_registration(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    Ok(portal_page(
        &state,
        &user,
        &id,
        PortalForms::default(),
        notice_of(d.done.as_deref()),
    )
    .await?
    .into_response())
}

/// After a portal action: back to the registration page with a notice, or the page again
/// with the errors beside the form that failed.
async fn portal_after<T>(
    state: &AppState,
    form: &SignedForm,
    id: &str,
    result: Result<T, StoreError>,
    place: PortalForm,
    done: &str,
) -> Result<Response, UiError> {
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/portal/registrations/{id}?done={done}")).into_response())
        }
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page =
                portal_page(state, &form.user, id, PortalForms::with(place, view), None).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn portal_log_activity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    partner_scope(&form.user)?;
    let input = ActivityInput {
        kind: trimmed(&form.posted, "kind"),
        occurred_at: None,
        notes: trimmed(&form.posted, "notes"),
    };
    let result = state
        .store
        .log_activity(&form.user.actor(), &id, &input)
        .await;
    portal_after(&state, &form, &id, result, PortalForm::Activity, "activity").await
}

async fn portal_renew(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    partner_scope(&form.user)?;
    let result = state
        .store
        .renew_registration(&form.user.actor(), &id)
        .await;
    portal_after(&state, &form, &id, result, PortalForm::Renew, "renewed").await
}

async fn portal_withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    partner_scope(&form.user)?;
    let result = state
        .store
        .withdraw_registration(&form.user.actor(), &id)
        .await;
    portal_after(
        &state,
        &form,
        &id,
        result,
        PortalForm::Withdraw,
        "withdrawn",
    )
    .await
}

async fn portal_close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    partner_scope(&form.user)?;
    let input = CloseInput {
        outcome: trimmed(&form.posted, "outcome"),
        reason: trimmed(&form.posted, "reason"),
    };
    let result = state
        .store
        .close_registration(&form.user.actor(), &id, &input)
        .await;
    portal_after(&state, &form, &id, result, PortalForm::Close, "closed").await
}

/// `POST /portal/engagement/{id}/grant|deny`: the holding partner answers a request.
async fn portal_answer(
    State(state): State<AppState>,
    Path((id, answer)): Path<(String, String)>,
    form: SignedForm,
) -> Result<Response, UiError> {
    let scope = partner_scope(&form.user)?;
    let grant = match answer.as_str() {
        "grant" => true,
        "deny" => false,
        _ => return Err(UiError::NotFound),
    };
    let request = state.store.engagement_request(&scope, &id).await?;
    let input = ReasonInput {
        reason: trimmed(&form.posted, "reason"),
    };
    let result = state
        .store
        .answer_engagement(&form.user.actor(), &id, grant, &input)
        .await;
    portal_after(
        &state,
        &form,
        request.registration_id.as_str(),
        result,
        PortalForm::Answer,
        "answered",
    )
    .await
}

// ---------------------------------------------------------------- console: registrations

#[derive(Template, WebTemplate)]
#[template(path = "console/registrations.html")]
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
struct ConsoleListQuery {
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
    let mut rows = Vec::with_capacity(items.len());
    for r in items {
        let partner = names.partner(state, r.partner_id.as_str()).await?;
        rows.push(RegRow::new(r, partner, now));
    }
    Ok(rows)
}

async fn console_list(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<ConsoleListQuery>,
) -> Result<Response, UiError> {
    staff(&user)?;
    let now = Utc::now();
    let mut names = Names::default();
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
            &Scope::Vendor,
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
                    &Scope::Vendor,
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
struct ConsoleForms {
    approve: FormView,
    reject: FormView,
    engage: FormView,
    conflict: FormView,
}

#[derive(Clone, Copy)]
enum ConsoleForm {
    Approve,
    Reject,
    Engage,
    Conflict,
}

impl ConsoleForms {
    fn with(place: ConsoleForm, view: FormView) -> ConsoleForms {
        let mut f = ConsoleForms::default();
        *match place {
            ConsoleForm::Approve => &mut f.approve,
            ConsoleForm::Reject => &mut f.reject,
            ConsoleForm::Engage => &mut f.engage,
            ConsoleForm::Conflict => &mut f.conflict,
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

async fn conflict_row(
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
            &Scope::Vendor,
            &ConflictFilter {
                account_id: Some(account_id.clone()),
                ..Default::default()
            },
            &page,
        )
        .await?;
    let now = Utc::now();
    let mut rows = Vec::new();
    for c in &cases.items {
        rows.push(conflict_row(state, names, c, now).await?);
    }
    Ok(rows)
}

#[derive(Template, WebTemplate)]
#[template(path = "console/registration.html")]
struct ConsoleRegistrationPage {
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

async fn console_page(
    state: &AppState,
    user: &UiUser,
    id: &str,
    forms: ConsoleForms,
    notice: Option<&'static str>,
) -> Result<ConsoleRegistrationPage, UiError> {
    staff(user)?;
    let scope = Scope::Vendor;
    let reg = state.store.registration(&scope, id).await?;
    let mut names = Names::default();
    let partner = names.partner(state, reg.partner_id.as_str()).await?;
    let duplicate_of = match &reg.possible_duplicate_of {
        Some(a) => Some((a.to_string(), names.account(state, a.as_str()).await?)),
        None => None,
    };
    let conflicts = conflicts_on_account(state, &mut names, &reg.account_id).await?;
    Ok(ConsoleRegistrationPage {
        chrome: Chrome::new(user, "registrations"),
        row: RegRow::new(&reg, partner, Utc::now()),
        duplicate_of,
        decisions: decisions(state, &scope, EntityKind::Registration, id).await?,
        activities: state.store.registration_activities(&scope, id).await?,
        engagements: engagements_of(state, &scope, &reg).await?,
        conflicts,
        forms,
        can_decide: authorize(&user.principal, &Action::DecideRegistration).is_ok(),
        can_engage: authorize(&user.principal, &Action::EngageAccount).is_ok(),
        reg,
        notice,
    })
}

async fn console_registration(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    staff(&user)?;
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
    form: &SignedForm,
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

async fn console_approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let result = state
        .store
        .approve_registration(&form.user.actor(), &id, &reason_of(&form.posted))
        .await;
    console_after(&state, &form, &id, result, ConsoleForm::Approve, "approved").await
}

async fn console_reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let result = state
        .store
        .reject_registration(&form.user.actor(), &id, &reason_of(&form.posted))
        .await;
    console_after(&state, &form, &id, result, ConsoleForm::Reject, "rejected").await
}

async fn console_request_engagement(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
    let result = state
        .store
        .request_engagement(&form.user.actor(), &id, &reason_of(&form.posted))
        .await;
    console_after(&state, &form, &id, result, ConsoleForm::Engage, "requested").await
}

// ---------------------------------------------------------------- console: conflicts

#[derive(Template, WebTemplate)]
#[template(path = "console/conflicts.html")]
struct ConflictsPage {
    chrome: Chrome,
    open: Vec<ConflictRow>,
    open_more: bool,
    resolved: Vec<ConflictRow>,
}

async fn conflicts(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    staff(&user)?;
    let now = Utc::now();
    let mut names = Names::default();
    let sorts = Store::conflict_sorts();
    let open = state
        .store
        .conflicts(
            &Scope::Vendor,
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
            &Scope::Vendor,
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
async fn open_conflict(
    State(state): State<AppState>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
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
#[template(path = "console/conflict.html")]
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
    user: &UiUser,
    id: &str,
    comment_form: FormView,
    resolve_form: FormView,
    notice: Option<&'static str>,
) -> Result<ConflictPage, UiError> {
    staff(user)?;
    let case = state.store.conflict(&Scope::Vendor, id).await?;
    let mut names = Names::default();
    let row = conflict_row(state, &mut names, &case, Utc::now()).await?;
    Ok(ConflictPage {
        chrome: Chrome::new(user, "conflicts"),
        comments: state.store.conflict_comments(&Scope::Vendor, id).await?,
        decisions: decisions(state, &Scope::Vendor, EntityKind::Conflict, id).await?,
        outcomes: ConflictOutcome::ALL,
        case,
        row,
        comment_form,
        resolve_form,
        can_decide: authorize(&user.principal, &Action::DecideRegistration).is_ok(),
        notice,
    })
}

async fn conflict(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    staff(&user)?;
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

async fn comment_on_conflict(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
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

async fn resolve_conflict(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    staff(&form.user)?;
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

// ---------------------------------------------------------------- console: account history

/// Every registration of an account, newest first, for the account's console page.
pub(super) async fn account_history(
    state: &AppState,
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
            &Scope::Vendor,
            &RegistrationFilter {
                account_id: Some(account_id),
                ..Default::default()
            },
            &page,
        )
        .await?;
    let mut names = Names::default();
    rows_of(state, &mut names, &listed.items, Utc::now()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_as_people_say_them() {
        let now = DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let h = chrono::Duration::hours;
        assert_eq!(
            countdown(now + h(50), now),
            ("due in 2 days".to_owned(), false)
        );
        assert_eq!(
            countdown(now - h(3), now),
            ("overdue by 3 hours".to_owned(), true)
        );
        assert_eq!(
            countdown(now + h(1), now),
            ("due in 1 hour".to_owned(), false)
        );
        assert_eq!(
            countdown(now - chrono::Duration::seconds(20), now),
            ("overdue by 1 minute".to_owned(), true)
        );
    }

    #[test]
    fn the_hold_check_never_names_the_holder() {
        let until = DateTime::parse_from_rfc3339("2027-02-19T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let base = HoldCheck {
            web_domain: Some("held.example".into()),
            held: true,
            held_until: Some(until),
            held_by_you: false,
            possible_duplicate: None,
            message: String::new(),
        };
        let v = HoldCheckView::of(&base, true);
        assert_eq!(v.kind, "held");
        assert_eq!(
            v.message,
            "Already registered by another partner until 2027-02-19."
        );
        let mine = HoldCheck {
            held_by_you: true,
            ..base.clone()
        };
        assert_eq!(HoldCheckView::of(&mine, false).kind, "yours");
        let near = HoldCheck {
            held: false,
            held_until: None,
            possible_duplicate: Some("Globex Corp".into()),
            ..base.clone()
        };
        assert_eq!(HoldCheckView::of(&near, false).kind, "duplicate");
        assert_eq!(
            HoldCheckView::of(&near, true).kind,
            "free",
            "a domain-only check ignores names"
        );
    }
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
#[template(path = "console/engagement.html")]
struct EngagementPage {
    chrome: Chrome,
    pending: Vec<EngagementListRow>,
    answered: Vec<EngagementListRow>,
}

/// `GET /console/engagement`: direct sales' requests for consent, awaiting partners first.
async fn engagement_list(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    staff(&user)?;
    let sorts = Store::engagement_sorts();
    let mut names = Names::default();
    let mut users: HashMap<String, String> = HashMap::new();
    let pending = state
        .store
        .engagement_requests(
            &Scope::Vendor,
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
            &Scope::Vendor,
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
            .registration(&Scope::Vendor, e.registration_id.as_str())
            .await?;
        let requester = match users.get(e.requested_by.as_str()) {
            Some(n) => n.clone(),
            None => {
                let n = state
                    .store
                    .user(&Scope::Vendor, e.requested_by.as_str())
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
