//! Partnership charters in the browser.
//!
//! The vendor console: every charter with its verdicts, a new-charter form, one charter
//! with its verdicts, signatures, edit form, phase controls, gate reviews, ending, decisions
//! and its operating model (print-ready HTML and a Markdown download), and the decision
//! trees as step-by-step forms.
//!
//! The partner portal: the partner's own charters, the edit form and the Sign button for the
//! partner's admin (other partner users read only).
//!
//! Every write is a `SignedForm` and goes to the store, which applies the rules; refusals
//! come back inline beside the form that caused them.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::EntityKind;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partnership::charter::{Commitment, CommitmentKind, Side};
use partnerops_core::partnership::content::{CharterContent, PhasePlan, ScoreLine};
use partnerops_core::partnership::leverage::{Leverage, LeverageType};
use partnerops_core::partnership::phases::{
    CrawlResult, Phase, RunReadiness, Thresholds, WalkResult,
};
use partnerops_core::partnership::record::{
    Charter, CharterInput, CharterPatch, CharterStatus, EndInput, GateInput, PhaseInput,
    TreeAnswers,
};
use partnerops_core::partnership::story::QUESTIONS;
use partnerops_core::partnership::tree::{Evaluation, Node, Step, Tree};
use partnerops_core::scope::{Action, Scope, authorize};
use partnerops_store::partners::PartnerFilter;
use partnerops_store::{Store, StoreError};

use super::form::{FormView, Posted, field_errors, major_to_minor, minor_to_major};
use super::session::SignedForm;
use super::{Chrome, UiError, UiUser};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/charters", get(console_list).post(console_create))
        .route("/console/charters/{id}", get(console_charter))
        .route("/console/charters/{id}/operating-model", get(console_model))
        .route(
            "/console/charters/{id}/operating-model.md",
            get(console_model_md),
        )
        .route("/console/charters/{id}/{action}", post(console_act))
        .route("/console/trees", get(trees))
        .route("/console/trees/{key}", post(tree_step))
        .route("/portal/charters", get(portal_list))
        .route("/portal/charters/{id}", get(portal_charter))
        .route("/portal/charters/{id}/operating-model", get(portal_model))
        .route(
            "/portal/charters/{id}/operating-model.md",
            get(portal_model_md),
        )
        .route("/portal/charters/{id}/{action}", post(portal_act))
}

// ---------------------------------------------------------------- shared

/// Which side of the application a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Where {
    Console,
    Portal,
}

impl Where {
    fn base(self) -> &'static str {
        match self {
            Where::Console => "/console/charters",
            Where::Portal => "/portal/charters",
        }
    }

    /// The scope of the signed-in user on this side: staff only in the console, partner
    /// users only in the portal (others get 404).
    fn scope(self, user: &UiUser) -> Result<Scope, UiError> {
        match (self, &user.principal.scope) {
            (Where::Console, Scope::Vendor) | (Where::Portal, Scope::Partner(_)) => {
                Ok(user.principal.scope.clone())
            }
            _ => Err(UiError::NotFound),
        }
    }
}

fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn page_of(sort: &str, limit: u32, sorts: &[&'static str]) -> Result<PageRequest, UiError> {
    PageRequest::parse(
        &PageParams {
            sort: Some(sort.to_owned()),
            limit: Some(limit.to_string()),
            cursor: None,
        },
        sorts,
    )
    .map_err(|inv| UiError::Store(inv.into()))
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

/// Every error of a store answer as sentences, for an alert above a form.
fn messages(inv: &Invalid) -> Vec<String> {
    inv.errors
        .iter()
        .map(|e| {
            if e.field == "_" || e.message.starts_with(&e.field) {
                sentence(&e.message)
            } else {
                sentence(&format!("{}: {}", e.field, e.message))
            }
        })
        .collect()
}

/// The status a re-rendered form answers with.
fn failure_status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::Refused { .. } | StoreError::Conflict { .. } => StatusCode::CONFLICT,
        StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// A charter as a row of a list.
pub struct CharterRow {
    pub id: String,
    pub partner_name: String,
    pub title: String,
    pub version: i64,
    pub vendor_signed: bool,
    pub partner_signed: bool,
    pub phase: String,
    pub status: CharterStatus,
    pub real: bool,
    pub story_complete: bool,
    pub recommendation: Option<(String, String)>,
    pub created: String,
}

impl CharterRow {
    fn of(c: &Charter) -> CharterRow {
        CharterRow {
            id: c.id.to_string(),
            partner_name: c.partner_name.clone(),
            title: c.title.clone(),
            version: c.version,
            vendor_signed: c.vendor_signed_at.is_some(),
            partner_signed: c.partner_signed_at.is_some(),
            phase: c.phase.map_or("Not started", |p| p.label()).to_owned(),
            status: c.status,
            real: c.verdicts.skin_in_the_game.real,
            story_complete: c.verdicts.story.complete,
            recommendation: c.verdicts.leverage.as_ref().map(|l| {
                (
                    l.recommendation.as_str().to_owned(),
                    l.recommendation.label().to_owned(),
                )
            }),
            created: day(c.created_at),
        }
    }
}

// ---------------------------------------------------------------- lists

#[derive(Template, WebTemplate)]
#[template(path = "console/charters.html")]
struct ConsoleListPage {
    chrome: Chrome,
    rows: Vec<CharterRow>,
    partners: Vec<(String, String)>,
    form: FormView,
    alerts: Vec<String>,
}

async fn console_list_page(
    state: &AppState,
    user: &UiUser,
    form: FormView,
    alerts: Vec<String>,
) -> Result<ConsoleListPage, UiError> {
    let scope = Where::Console.scope(user)?;
    let page = page_of("-created_at", 200, &Store::charter_sorts())?;
    let rows = state
        .store
        .charters(&scope, None, &page)
        .await?
        .items
        .iter()
        .map(CharterRow::of)
        .collect();
    let page = page_of("name", 200, &Store::partner_sorts())?;
    let partners = state
        .store
        .partners(&scope, &PartnerFilter::default(), &page)
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

async fn console_list(
    State(state): State<AppState>,
    user: UiUser,
) -> Result<ConsoleListPage, UiError> {
    console_list_page(&state, &user, FormView::default(), vec![]).await
}

async fn console_create(
    State(state): State<AppState>,
    SignedForm { user, posted }: SignedForm,
) -> Result<Response, UiError> {
    Where::Console.scope(&user)?;
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

#[derive(Template, WebTemplate)]
#[template(path = "portal/charters.html")]
struct PortalListPage {
    chrome: Chrome,
    rows: Vec<CharterRow>,
}

async fn portal_list(
    State(state): State<AppState>,
    user: UiUser,
) -> Result<PortalListPage, UiError> {
    let scope = Where::Portal.scope(&user)?;
    let page = page_of("-created_at", 200, &Store::charter_sorts())?;
    let rows = state
        .store
        .charters(&scope, user.principal.partner_id(), &page)
        .await?
        .items
        .iter()
        .map(CharterRow::of)
        .collect();
    Ok(PortalListPage {
        chrome: Chrome::new(&user, "charters"),
        rows,
    })
}

// ---------------------------------------------------------------- one charter

pub struct ReviewView {
    pub phase: String,
    pub passed: bool,
    pub missed: Vec<String>,
    pub decision: String,
    pub path: Vec<Step>,
    pub reviewer: String,
    pub at: String,
}

pub struct DecisionView {
    pub rule: String,
    pub outcome: String,
    pub reason: String,
    pub at: String,
    pub actor: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/charter.html")]
struct CharterPage {
    chrome: Chrome,
    portal: bool,
    /// `/console/charters/{id}` or `/portal/charters/{id}`.
    here: String,
    back: &'static str,
    c: Charter,
    notice: Option<String>,
    /// The form whose submit failed, and its messages.
    failed: &'static str,
    alerts: Vec<String>,
    can_edit: bool,
    can_sign: bool,
    can_govern: bool,
    /// Our side signed the current version already.
    we_signed: bool,
    edit: FormView,
    gate: FormView,
    end: FormView,
    next_phase: Option<Phase>,
    leverage_types: Vec<(&'static str, &'static str)>,
    story_questions: Vec<(&'static str, &'static str)>,
    /// The timeline inputs, one group per phase.
    timeline_fields: Vec<PhaseFields>,
    reviews: Vec<ReviewView>,
    decisions: Vec<DecisionView>,
}

impl CharterPage {
    /// The alerts of `form`, when it is the one that failed.
    fn alerts_of(&self, form: &str) -> Vec<String> {
        if self.failed == form {
            self.alerts.clone()
        } else {
            Vec::new()
        }
    }

    fn active(&self) -> bool {
        self.c.status == CharterStatus::Active
    }

    /// Whether a `<details>` group of the edit form starts open: when one of its fields
    /// has an error to show.
    fn section_open(&self, section: &str) -> bool {
        let fields: &[&str] = match section {
            "three_sided_value" => &THREE_SIDED_FIELDS,
            "measurement" => &MEASUREMENT_FIELDS,
            "governance" => &GOVERNANCE_FIELDS,
            "operating_plan" => &OPERATING_PLAN_FIELDS,
            "timeline" => &TIMELINE_FORM_FIELDS,
            "thresholds" => &THRESHOLD_FIELDS,
            _ => &[],
        };
        fields.iter().any(|f| self.edit.err(f).is_some())
    }
}

/// The names of one phase's timeline inputs.
pub struct PhaseFields {
    pub phase: Phase,
    pub label: &'static str,
    /// Where an error about the phase itself (its order) is shown.
    pub phase_err: &'static str,
    pub starts_on: &'static str,
    pub ends_on: &'static str,
    pub deliverables: &'static str,
    pub metrics: &'static str,
}

fn phase_fields(phase: Phase) -> PhaseFields {
    let (phase_err, starts_on, ends_on, deliverables, metrics) = match phase {
        Phase::Crawl => (
            "crawl_phase",
            "crawl_starts_on",
            "crawl_ends_on",
            "crawl_deliverables",
            "crawl_metrics",
        ),
        Phase::Walk => (
            "walk_phase",
            "walk_starts_on",
            "walk_ends_on",
            "walk_deliverables",
            "walk_metrics",
        ),
        Phase::Run => (
            "run_phase",
            "run_starts_on",
            "run_ends_on",
            "run_deliverables",
            "run_metrics",
        ),
    };
    PhaseFields {
        phase,
        label: phase.label(),
        phase_err,
        starts_on,
        ends_on,
        deliverables,
        metrics,
    }
}

const THREE_SIDED_FIELDS: [&str; 3] = ["value_ours", "value_partner", "value_customers"];
const MEASUREMENT_FIELDS: [&str; 3] = ["measurement_metrics", "tracking", "review_cadence"];
const GOVERNANCE_FIELDS: [&str; 4] = [
    "our_owner",
    "partner_owner",
    "escalation_path",
    "exit_criteria",
];
const OPERATING_PLAN_FIELDS: [&str; 7] = [
    "ideal_customer",
    "buyers",
    "users",
    "offer",
    "route",
    "scorecard",
    "cadence_30_days",
];
const TIMELINE_FORM_FIELDS: [&str; 15] = [
    "crawl_phase",
    "crawl_starts_on",
    "crawl_ends_on",
    "crawl_deliverables",
    "crawl_metrics",
    "walk_phase",
    "walk_starts_on",
    "walk_ends_on",
    "walk_deliverables",
    "walk_metrics",
    "run_phase",
    "run_starts_on",
    "run_ends_on",
    "run_deliverables",
    "run_metrics",
];
const THRESHOLD_FIELDS: [&str; 2] = ["crawl_improvement", "walk_adoption"];

/// The fields of the edit form that show their own errors.
const EDIT_FIELDS: [&str; 16] = [
    "title",
    "for_us",
    "for_partner",
    "for_customers",
    "commitments",
    "vendor_loses",
    "partner_loses",
    "who_buys",
    "conversation_owner",
    "packaged_offer",
    "partner_gets",
    "credibility",
    "after_launch",
    "leverage_kind",
    "leverage_evidence",
    "if_we_dont",
];

/// Every field of the edit form that shows its own errors.
fn edit_fields() -> Vec<&'static str> {
    [
        &EDIT_FIELDS[..],
        &THREE_SIDED_FIELDS,
        &MEASUREMENT_FIELDS,
        &GOVERNANCE_FIELDS,
        &OPERATING_PLAN_FIELDS,
        &TIMELINE_FORM_FIELDS,
        &THRESHOLD_FIELDS,
    ]
    .concat()
}

/// A percentage in basis points as typed in an input: 2000 → "20", 6990 → "69.9".
fn percent_text(bps: i64) -> String {
    let text = minor_to_major(bps, 2);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A percentage with up to two decimals ("20", "69.9", "12.25") in basis points; blank is
/// `default`.
fn percent_to_bps(field: &str, raw: &str, default: i64) -> Result<i64, Invalid> {
    let raw = raw.trim().trim_end_matches('%').trim();
    if raw.is_empty() {
        return Ok(default);
    }
    let bps = major_to_minor(field, raw, 2).map_err(|_| {
        Invalid::one(
            field,
            "percent",
            format!("{field} must be a percentage like 20 or 69.9, with at most two decimals"),
        )
    })?;
    if bps > 10_000 {
        return Err(Invalid::one(
            field,
            "range",
            format!("{field} must be between 0 and 100%"),
        ));
    }
    Ok(bps)
}

/// Parses the "metric | target" lines of the scorecard textarea.
fn scorecard(posted: &Posted) -> Result<Vec<ScoreLine>, Invalid> {
    let mut out = Vec::new();
    for (i, line) in posted.lines("scorecard").iter().enumerate() {
        let Some((metric, target)) = line.split_once('|') else {
            return Err(Invalid::one(
                "scorecard",
                "format",
                format!(
                    "scorecard line {}: write each line as metric | target",
                    i + 1
                ),
            ));
        };
        let (metric, target) = (metric.trim(), target.trim());
        if metric.is_empty() {
            return Err(Invalid::one(
                "scorecard",
                "format",
                format!("scorecard line {}: the metric is missing", i + 1),
            ));
        }
        out.push(ScoreLine {
            metric: metric.to_owned(),
            target: target.to_owned(),
        });
    }
    Ok(out)
}

/// The phases the posted timeline lists, in order: those with any field filled.
fn posted_phases(posted: &Posted) -> Vec<Phase> {
    Phase::ALL
        .iter()
        .copied()
        .filter(|p| {
            let f = phase_fields(*p);
            [f.starts_on, f.ends_on, f.deliverables, f.metrics]
                .iter()
                .any(|name| !posted.get(name).unwrap_or_default().trim().is_empty())
        })
        .collect()
}

/// The posted timeline, leaving out phases whose fields are all empty.
fn timeline(posted: &Posted) -> Result<Vec<PhasePlan>, Invalid> {
    let mut inv = Invalid::new();
    let mut out = Vec::new();
    for phase in posted_phases(posted) {
        let f = phase_fields(phase);
        let mut date = |name: &str| {
            let raw = posted.get(name).unwrap_or_default();
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    inv.add(name, "date", "must be a date like 2027-01-04");
                    None
                }
            }
        };
        let starts_on = date(f.starts_on);
        let ends_on = date(f.ends_on);
        out.push(PhasePlan {
            phase,
            starts_on,
            ends_on,
            deliverables: posted.lines(f.deliverables),
            metrics: posted.lines(f.metrics),
        });
    }
    inv.finish(|| Some(out))
}

/// The store's errors about the edit form's content, renamed to the inputs that show them:
/// `content.timeline[1].starts_on` is the start date of the second phase posted, and
/// `content.thresholds.crawl_improvement_bps` the Crawl improvement input.
fn edit_errors(mut errors: Invalid, posted: &Posted) -> Invalid {
    let phases = posted_phases(posted);
    for e in &mut errors.errors {
        let field = e.field.strip_prefix("content.").unwrap_or(&e.field);
        let renamed = match field {
            "thresholds.crawl_improvement_bps" => Some("crawl_improvement"),
            "thresholds.walk_adoption_bps" => Some("walk_adoption"),
            _ => field
                .strip_prefix("timeline[")
                .and_then(|rest| rest.split_once("]."))
                .and_then(|(i, part)| {
                    let f = phase_fields(*phases.get(i.parse::<usize>().ok()?)?);
                    match part {
                        "phase" => Some(f.phase_err),
                        "starts_on" => Some(f.starts_on),
                        "ends_on" => Some(f.ends_on),
                        "deliverables" => Some(f.deliverables),
                        "metrics" => Some(f.metrics),
                        _ => None,
                    }
                }),
        };
        if let Some(name) = renamed {
            e.message = sentence(
                &e.message
                    .replace("ends_on", "the end date")
                    .replace("starts_on", "the start date")
                    .replace("thresholds.crawl_improvement_bps", "the threshold")
                    .replace("thresholds.walk_adoption_bps", "the threshold"),
            );
            e.field = name.to_owned();
        }
    }
    errors
}

/// The edit form's values, from a charter's content.
fn edit_form(c: &Charter) -> FormView {
    let mut f = FormView::default();
    let k = &c.content;
    f.set("title", c.title.clone());
    f.set("for_us", k.mutual_goals.for_us.clone());
    f.set("for_partner", k.mutual_goals.for_partner.clone());
    f.set("for_customers", k.mutual_goals.for_customers.clone());
    f.set(
        "commitments",
        k.value_exchange
            .commitments
            .iter()
            .map(|m| {
                format!(
                    "{} | {} | {}",
                    m.side.as_str(),
                    m.kind.as_str(),
                    m.description
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    f.set("vendor_loses", k.value_exchange.vendor_loses.clone());
    f.set("partner_loses", k.value_exchange.partner_loses.clone());
    let s = &k.story;
    for (name, value) in [
        ("who_buys", &s.who_buys),
        ("conversation_owner", &s.conversation_owner),
        ("packaged_offer", &s.packaged_offer),
        ("partner_gets", &s.partner_gets),
        ("credibility", &s.credibility),
        ("after_launch", &s.after_launch),
    ] {
        f.set(name, value.clone());
    }
    if let Some(l) = &k.leverage {
        f.set("leverage_kind", l.kind.as_str());
        f.set("leverage_evidence", l.evidence.clone());
        f.set("if_we_dont", l.if_we_dont.clone());
    }
    let lines = |v: &[String]| v.join("\n");
    let t = &k.three_sided_value;
    f.set("value_ours", lines(&t.our_company));
    f.set("value_partner", lines(&t.partner));
    f.set("value_customers", lines(&t.shared_customers));
    let m = &k.measurement;
    f.set("measurement_metrics", lines(&m.metrics));
    f.set("tracking", m.tracking.clone());
    f.set("review_cadence", m.review_cadence.clone());
    let g = &k.governance;
    f.set("our_owner", g.our_owner.clone());
    f.set("partner_owner", g.partner_owner.clone());
    f.set("escalation_path", lines(&g.escalation_path));
    f.set("exit_criteria", lines(&g.exit_criteria));
    let o = &k.operating_plan;
    f.set("ideal_customer", o.ideal_customer.clone());
    f.set("buyers", lines(&o.buyers));
    f.set("users", lines(&o.users));
    f.set("offer", o.packaged_offer.clone());
    f.set("route", o.route.clone());
    f.set(
        "scorecard",
        o.scorecard
            .iter()
            .map(|l| format!("{} | {}", l.metric, l.target))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    f.set("cadence_30_days", lines(&o.cadence_30_days));
    for p in &k.timeline {
        let names = phase_fields(p.phase);
        let date = |d: Option<chrono::NaiveDate>| {
            d.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        f.set(names.starts_on, date(p.starts_on));
        f.set(names.ends_on, date(p.ends_on));
        f.set(names.deliverables, lines(&p.deliverables));
        f.set(names.metrics, lines(&p.metrics));
    }
    f.set(
        "crawl_improvement",
        percent_text(k.thresholds.crawl_improvement_bps),
    );
    f.set(
        "walk_adoption",
        percent_text(k.thresholds.walk_adoption_bps),
    );
    f
}

fn gate_form(c: &Charter) -> FormView {
    let mut f = FormView::default();
    f.set(
        "improvement",
        minor_to_major(c.content.thresholds.crawl_improvement_bps, 2),
    );
    f.set(
        "adoption",
        minor_to_major(c.content.thresholds.walk_adoption_bps, 2),
    );
    f.set("if_walk_fails", "restart_crawl");
    f
}

fn next_phase(c: &Charter) -> Option<Phase> {
    match c.phase {
        None => Some(Phase::Crawl),
        Some(Phase::Crawl) => Some(Phase::Walk),
        Some(Phase::Walk) => Some(Phase::Run),
        Some(Phase::Run) => None,
    }
}

/// What a failed submit re-renders: the form that failed, its posted values and messages.
struct Failure {
    form: &'static str,
    posted: Posted,
    errors: Invalid,
}

async fn charter_page(
    state: &AppState,
    user: &UiUser,
    side: Where,
    id: &str,
    notice: Option<String>,
    failure: Option<Failure>,
) -> Result<CharterPage, UiError> {
    let scope = side.scope(user)?;
    let c = state.store.charter(&scope, id).await?;
    let reviews = state
        .store
        .gate_reviews(&scope, id)
        .await?
        .into_iter()
        .map(|g| ReviewView {
            phase: g.phase.label().to_owned(),
            passed: g.passed,
            missed: g.missed,
            decision: g.decision.label().to_owned(),
            path: g.path,
            reviewer: g.reviewer_name,
            at: minute(g.at),
        })
        .collect();
    let decisions = state
        .store
        .decisions(&scope, EntityKind::Charter, id)
        .await?
        .into_iter()
        .map(|d| DecisionView {
            rule: d.rule,
            outcome: d.outcome.replace('_', " "),
            reason: sentence(&d.reason),
            at: minute(d.at),
            actor: d.actor_name,
        })
        .collect();
    let mut edit = edit_form(&c);
    let mut gate = gate_form(&c);
    let mut end = FormView::default();
    let (failed, alerts) = match failure {
        Some(mut f) => {
            if f.form == "edit" {
                f.errors = edit_errors(f.errors, &f.posted);
            }
            let view = FormView::from_posted(&f.posted).with_errors(f.errors.clone());
            match f.form {
                "edit" => edit = view,
                "gate" => gate = view,
                "end" => end = view,
                _ => {}
            }
            // Errors shown beside a field of the form are not repeated above it.
            let edit_shown = edit_fields();
            let shown: &[&str] = match f.form {
                "edit" => &edit_shown,
                "gate" => &["improvement", "adoption", "lessons"],
                "end" => &["lessons"],
                _ => &[],
            };
            let mut rest = f.errors.clone();
            rest.errors.retain(|e| {
                !shown
                    .iter()
                    .any(|s| e.field == *s || e.field.ends_with(&format!(".{s}")))
            });
            (f.form, messages(&rest))
        }
        None => ("", Vec::new()),
    };
    let we_signed = match side {
        Where::Console => c.vendor_signed_at.is_some(),
        Where::Portal => c.partner_signed_at.is_some(),
    };
    Ok(CharterPage {
        chrome: Chrome::new(user, "charters"),
        portal: side == Where::Portal,
        here: format!("{}/{}", side.base(), c.id),
        back: side.base(),
        can_edit: authorize(&user.principal, &Action::WriteCharter(&c.partner_id)).is_ok(),
        can_sign: authorize(&user.principal, &Action::SignCharter(&c.partner_id)).is_ok(),
        can_govern: side == Where::Console
            && authorize(&user.principal, &Action::GovernPartnership).is_ok(),
        we_signed,
        next_phase: next_phase(&c),
        leverage_types: LeverageType::ALL
            .iter()
            .map(|t| (t.as_str(), t.label()))
            .collect(),
        story_questions: QUESTIONS.to_vec(),
        timeline_fields: Phase::ALL.iter().map(|p| phase_fields(*p)).collect(),
        c,
        notice,
        failed,
        alerts,
        edit,
        gate,
        end,
        reviews,
        decisions,
    })
}

#[derive(serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<String> {
    let text = match done? {
        "created" => "Charter opened: version 1, an unsigned draft.",
        "edit" => "Charter saved. Any signature on this version was withdrawn.",
        "sign" => "Signed for your side.",
        "amend" => "A new version is open for the amendment.",
        "phase" => "Phase entered.",
        "gate" => "Gate review recorded.",
        "end" => "Partnership ended.",
        _ => return None,
    };
    Some(text.to_owned())
}

async fn console_charter(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<CharterPage, UiError> {
    charter_page(
        &state,
        &user,
        Where::Console,
        &id,
        notice_of(q.done.as_deref()),
        None,
    )
    .await
}

async fn portal_charter(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<CharterPage, UiError> {
    charter_page(
        &state,
        &user,
        Where::Portal,
        &id,
        notice_of(q.done.as_deref()),
        None,
    )
    .await
}

async fn console_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm,
) -> Result<Response, UiError> {
    act(&state, Where::Console, &id, &action, form).await
}

async fn portal_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm,
) -> Result<Response, UiError> {
    act(&state, Where::Portal, &id, &action, form).await
}

/// Parses the "side | kind | description" lines of the commitments textarea.
fn commitments(posted: &Posted) -> Result<Vec<Commitment>, Invalid> {
    let mut out = Vec::new();
    for (i, line) in posted.lines("commitments").iter().enumerate() {
        let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
        let bad = |why: String| {
            Invalid::one(
                "commitments",
                "format",
                format!("commitments line {}: {why}", i + 1),
            )
        };
        let [side, kind, description] = parts[..] else {
            return Err(bad(
                "write each commitment as side | kind | description".to_owned()
            ));
        };
        let side = Side::parse("side", side).map_err(|e| bad(e.message))?;
        let kind = CommitmentKind::parse("kind", kind).map_err(|e| bad(e.message))?;
        out.push(Commitment {
            side,
            kind,
            description: description.to_owned(),
        });
    }
    Ok(out)
}

/// The charter content with the sections of the edit form overwritten.
fn edited_content(before: &CharterContent, posted: &Posted) -> Result<CharterContent, Invalid> {
    let mut c = before.clone();
    let mut inv = Invalid::new();
    let v = |name: &str| posted.get(name).unwrap_or_default().trim().to_owned();
    let lines = |name: &str| posted.lines(name);
    c.mutual_goals.for_us = v("for_us");
    c.mutual_goals.for_partner = v("for_partner");
    c.mutual_goals.for_customers = v("for_customers");
    match commitments(posted) {
        Ok(list) => c.value_exchange.commitments = list,
        Err(e) => inv.errors.extend(e.errors),
    }
    c.value_exchange.vendor_loses = v("vendor_loses");
    c.value_exchange.partner_loses = v("partner_loses");
    c.story.who_buys = v("who_buys");
    c.story.conversation_owner = v("conversation_owner");
    c.story.packaged_offer = v("packaged_offer");
    c.story.partner_gets = v("partner_gets");
    c.story.credibility = v("credibility");
    c.story.after_launch = v("after_launch");
    let kind = v("leverage_kind");
    c.leverage = if kind.is_empty() {
        None
    } else {
        match LeverageType::parse("leverage_kind", &kind) {
            Ok(kind) => Some(Leverage {
                kind,
                evidence: v("leverage_evidence"),
                if_we_dont: v("if_we_dont"),
            }),
            Err(e) => {
                inv.add("leverage_kind", &e.rule, e.message);
                None
            }
        }
    };
    c.three_sided_value.our_company = lines("value_ours");
    c.three_sided_value.partner = lines("value_partner");
    c.three_sided_value.shared_customers = lines("value_customers");
    c.measurement.metrics = lines("measurement_metrics");
    c.measurement.tracking = v("tracking");
    c.measurement.review_cadence = v("review_cadence");
    c.governance.our_owner = v("our_owner");
    c.governance.partner_owner = v("partner_owner");
    c.governance.escalation_path = lines("escalation_path");
    c.governance.exit_criteria = lines("exit_criteria");
    let o = &mut c.operating_plan;
    o.ideal_customer = v("ideal_customer");
    o.buyers = lines("buyers");
    o.users = lines("users");
    o.packaged_offer = v("offer");
    o.route = v("route");
    match scorecard(posted) {
        Ok(list) => o.scorecard = list,
        Err(e) => inv.errors.extend(e.errors),
    }
    o.cadence_30_days = lines("cadence_30_days");
    match timeline(posted) {
        Ok(plan) => c.timeline = plan,
        Err(e) => inv.errors.extend(e.errors),
    }
    let defaults = Thresholds::default();
    match percent_to_bps(
        "crawl_improvement",
        &v("crawl_improvement"),
        defaults.crawl_improvement_bps,
    ) {
        Ok(bps) => c.thresholds.crawl_improvement_bps = bps,
        Err(e) => inv.errors.extend(e.errors),
    }
    match percent_to_bps(
        "walk_adoption",
        &v("walk_adoption"),
        defaults.walk_adoption_bps,
    ) {
        Ok(bps) => c.thresholds.walk_adoption_bps = bps,
        Err(e) => inv.errors.extend(e.errors),
    }
    inv.finish(|| Some(c))
}

fn checked(posted: &Posted, name: &str) -> bool {
    posted.get(name).is_some_and(|v| !v.is_empty())
}

fn gate_input(c: &Charter, posted: &Posted) -> Result<GateInput, Invalid> {
    let lessons = posted.get("lessons").filter(|l| !l.trim().is_empty());
    let mut input = GateInput {
        lessons,
        ..Default::default()
    };
    match c.phase {
        Some(Phase::Crawl) => {
            input.crawl = Some(CrawlResult {
                improvement_bps: major_to_minor(
                    "improvement",
                    &posted.get("improvement").unwrap_or_default(),
                    2,
                )?,
                pilot_customers: posted.lines("pilot_customers"),
                would_recommend: checked(posted, "would_recommend"),
                can_scale: checked(posted, "can_scale"),
            });
        }
        Some(Phase::Walk) => {
            input.walk = Some(WalkResult {
                adoption_bps: major_to_minor(
                    "adoption",
                    &posted.get("adoption").unwrap_or_default(),
                    2,
                )?,
                partner_promoting: checked(posted, "partner_promoting"),
                support_manageable: checked(posted, "support_manageable"),
            });
            input.run = Some(RunReadiness {
                vendor_committed: checked(posted, "vendor_committed"),
                partner_committed: checked(posted, "partner_committed"),
                roi_validates: checked(posted, "roi_validates"),
            });
            input.if_walk_fails = posted.get("if_walk_fails");
        }
        _ => {}
    }
    Ok(input)
}

async fn act(
    state: &AppState,
    side: Where,
    id: &str,
    action: &str,
    SignedForm { user, posted }: SignedForm,
) -> Result<Response, UiError> {
    let scope = side.scope(&user)?;
    let actor = user.actor();
    let store = &state.store;
    let (form, result): (&'static str, Result<(), StoreError>) = match action {
        "edit" => {
            let before = store.charter(&scope, id).await?;
            let result = match edited_content(&before.content, &posted) {
                Ok(content) => {
                    let patch = CharterPatch {
                        title: posted.get("title"),
                        content: Some(content),
                    };
                    store.update_charter(&actor, id, &patch).await.map(drop)
                }
                Err(inv) => Err(StoreError::Invalid(inv)),
            };
            ("edit", result)
        }
        "sign" => ("sign", store.sign_charter(&actor, id).await.map(drop)),
        "amend" => ("sign", store.amend_charter(&actor, id).await.map(drop)),
        "phase" if side == Where::Console => {
            let input = PhaseInput {
                phase: posted.get("phase"),
            };
            (
                "phase",
                store.enter_phase(&actor, id, &input).await.map(drop),
            )
        }
        "gate" if side == Where::Console => {
            let before = store.charter(&scope, id).await?;
            let result = match gate_input(&before, &posted) {
                Ok(input) => store.review_gate(&actor, id, &input).await.map(drop),
                Err(inv) => Err(StoreError::Invalid(inv)),
            };
            ("gate", result)
        }
        "end" if side == Where::Console => {
            let input = EndInput {
                lessons: posted.get("lessons"),
            };
            ("end", store.end_charter(&actor, id, &input).await.map(drop))
        }
        _ => return Err(UiError::NotFound),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}/{id}?done={action}", side.base())).into_response()),
        Err(e) => {
            let status = failure_status(&e);
            let errors = field_errors(e)?;
            let failure = Failure {
                form,
                posted,
                errors,
            };
            let page = charter_page(state, &user, side, id, None, Some(failure)).await?;
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------- operating model

/// HTML-escapes text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Escapes a line of text and turns `**bold**` into `<strong>`.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split("**").enumerate() {
        let odd = i % 2 == 1;
        // An unmatched trailing `**` stays literal.
        if odd && i == s.split("**").count() - 1 {
            out.push_str("**");
            out.push_str(&escape(part));
        } else if odd {
            out.push_str("<strong>");
            out.push_str(&escape(part));
            out.push_str("</strong>");
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

fn table_cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

/// A very small Markdown to HTML conversion, enough for the operating model: headings,
/// bullets, tables, bold and "_Missing: …_" warnings; everything else is escaped.
fn markdown_html(md: &str) -> String {
    let mut out = String::new();
    let mut in_list = false;
    let mut table: Vec<Vec<String>> = Vec::new();
    let flush_table = |table: &mut Vec<Vec<String>>, out: &mut String| {
        if table.is_empty() {
            return;
        }
        out.push_str("<table class=\"model-table\">");
        for (i, row) in table.iter().enumerate() {
            if i == 0 {
                out.push_str("<thead><tr>");
                for c in row {
                    out.push_str(&format!("<th>{}</th>", inline(c)));
                }
                out.push_str("</tr></thead><tbody>");
            } else {
                out.push_str("<tr>");
                for c in row {
                    out.push_str(&format!("<td>{}</td>", inline(c)));
                }
                out.push_str("</tr>");
            }
        }
        out.push_str("</tbody></table>\n");
        table.clear();
    };
    for line in md.lines() {
        let t = line.trim_end();
        let is_row = t.trim_start().starts_with('|');
        if !is_row {
            flush_table(&mut table, &mut out);
        }
        let is_item = t.starts_with("- ") || t.starts_with("* ");
        if !is_item && in_list {
            out.push_str("</ul>\n");
            in_list = false;
        }
        if is_row {
            let cells = table_cells(t);
            let separator = cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')));
            if !separator {
                table.push(cells);
            }
        } else if is_item {
            if !in_list {
                out.push_str("<ul>\n");
                in_list = true;
            }
            out.push_str(&format!("<li>{}</li>\n", inline(&t[2..])));
        } else if let Some(h) = t.strip_prefix("### ") {
            out.push_str(&format!("<h4>{}</h4>\n", inline(h)));
        } else if let Some(h) = t.strip_prefix("## ") {
            out.push_str(&format!("<h3>{}</h3>\n", inline(h)));
        } else if let Some(h) = t.strip_prefix("# ") {
            out.push_str(&format!("<h2>{}</h2>\n", inline(h)));
        } else if let Some(q) = t.strip_prefix("> ").or_else(|| t.strip_prefix('>')) {
            out.push_str(&format!("<blockquote>{}</blockquote>\n", inline(q)));
        } else if t.trim().is_empty() {
            continue;
        } else if t.starts_with("_Missing") && t.ends_with('_') {
            out.push_str(&format!(
                "<p class=\"missing\">{}</p>\n",
                inline(t.trim_matches('_'))
            ));
        } else {
            out.push_str(&format!("<p>{}</p>\n", inline(t)));
        }
    }
    flush_table(&mut table, &mut out);
    if in_list {
        out.push_str("</ul>\n");
    }
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "console/charter_model.html")]
struct ModelPage {
    chrome: Chrome,
    here: String,
    title: String,
    /// Produced by `markdown_html`, which escapes all text.
    html: String,
}

async fn model_page(
    state: &AppState,
    user: &UiUser,
    side: Where,
    id: &str,
) -> Result<ModelPage, UiError> {
    let scope = side.scope(user)?;
    let c = state.store.charter(&scope, id).await?;
    let md = state.store.operating_model(&scope, id).await?;
    Ok(ModelPage {
        chrome: Chrome::new(user, "charters"),
        here: format!("{}/{}", side.base(), c.id),
        title: c.title,
        html: markdown_html(&md),
    })
}

async fn model_md(
    state: &AppState,
    user: &UiUser,
    side: Where,
    id: &str,
) -> Result<Response, UiError> {
    let scope = side.scope(user)?;
    let c = state.store.charter(&scope, id).await?;
    let md = state.store.operating_model(&scope, id).await?;
    let name: String = c
        .title
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() {
                ch.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-').to_owned();
    let name = if name.is_empty() {
        "charter".to_owned()
    } else {
        name
    };
    Ok((
        [
            (CONTENT_TYPE, "text/markdown; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}-operating-model.md\""),
            ),
        ],
        md,
    )
        .into_response())
}

async fn console_model(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Result<ModelPage, UiError> {
    model_page(&state, &user, Where::Console, &id).await
}

async fn portal_model(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Result<ModelPage, UiError> {
    model_page(&state, &user, Where::Portal, &id).await
}

async fn console_model_md(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    model_md(&state, &user, Where::Console, &id).await
}

async fn portal_model_md(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    model_md(&state, &user, Where::Portal, &id).await
}

// ---------------------------------------------------------------- decision trees

/// One tree on the trees page, with where its evaluation got to.
pub struct TreeView {
    pub key: String,
    pub title: String,
    /// Answers so far, as `question_id:yes|no`, posted back with the next answer.
    pub answered: Vec<String>,
    pub path: Vec<Step>,
    pub next: Option<(String, String)>,
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
#[template(path = "console/trees.html")]
struct TreesPage {
    chrome: Chrome,
    trees: Vec<TreeView>,
}

async fn trees_page(
    state: &AppState,
    user: &UiUser,
    current: Option<TreeView>,
) -> Result<TreesPage, UiError> {
    let scope = Where::Console.scope(user)?;
    let mut current = current;
    let trees = state
        .store
        .decision_trees(&scope)
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

async fn trees(State(state): State<AppState>, user: UiUser) -> Result<TreesPage, UiError> {
    trees_page(&state, &user, None).await
}

async fn tree_step(
    State(state): State<AppState>,
    Path(key): Path<String>,
    SignedForm { user, posted }: SignedForm,
) -> Result<Response, UiError> {
    let scope = Where::Console.scope(&user)?;
    let tree = state
        .store
        .decision_trees(&scope)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_escaped_html() {
        let html = markdown_html(
            "# Title <x>\n\n## Goals\n- **We**: grow\n- b & c\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n_Missing: who buys_\ntext",
        );
        assert!(html.contains("<h2>Title &lt;x&gt;</h2>"));
        assert!(html.contains("<h3>Goals</h3>"));
        assert!(html.contains("<li><strong>We</strong>: grow</li>"));
        assert!(html.contains("<li>b &amp; c</li>"));
        assert!(html.contains("<th>a</th><th>b</th>"));
        assert!(html.contains("<td>1</td><td>2</td>"));
        assert!(!html.contains("---"));
        assert!(html.contains("<p class=\"missing\">Missing: who buys</p>"));
        assert!(html.contains("<p>text</p>"));
    }

    #[test]
    fn commitments_parse_from_lines() {
        let posted = Posted(vec![(
            "commitments".to_owned(),
            "vendor | engineering_time | two engineers\npartner|revenue_share|20%".to_owned(),
        )]);
        let c = commitments(&posted).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].kind, CommitmentKind::RevenueShare);
        let bad = Posted(vec![("commitments".to_owned(), "vendor only".to_owned())]);
        assert!(commitments(&bad).is_err());
    }

    #[test]
    fn percentages_become_basis_points() {
        assert_eq!(percent_to_bps("t", "20", 0).unwrap(), 2000);
        assert_eq!(percent_to_bps("t", "69.9", 0).unwrap(), 6990);
        assert_eq!(percent_to_bps("t", "12.25", 0).unwrap(), 1225);
        assert_eq!(percent_to_bps("t", " 70 % ", 0).unwrap(), 7000);
        assert_eq!(percent_to_bps("t", "0", 5).unwrap(), 0);
        assert_eq!(percent_to_bps("t", "", 2000).unwrap(), 2000);
        assert!(percent_to_bps("t", "12.345", 0).is_err());
        assert!(percent_to_bps("t", "-5", 0).is_err());
        assert!(percent_to_bps("t", "abc", 0).is_err());
        assert_eq!(
            percent_to_bps("t", "100.01", 0).unwrap_err().errors[0].rule,
            "range"
        );
        assert_eq!(percent_text(2000), "20");
        assert_eq!(percent_text(6990), "69.9");
        assert_eq!(percent_text(1225), "12.25");
        assert_eq!(percent_text(0), "0");
    }

    #[test]
    fn scorecard_parses_from_lines() {
        let posted = Posted(vec![(
            "scorecard".to_owned(),
            "Sourced pipeline | $2M a quarter\n\n  Win rate|30%  \nOpen|".to_owned(),
        )]);
        let lines = scorecard(&posted).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].metric, "Sourced pipeline");
        assert_eq!(lines[0].target, "$2M a quarter");
        assert_eq!(lines[1].metric, "Win rate");
        assert_eq!(lines[1].target, "30%");
        assert_eq!(lines[2].target, "");
        let no_bar = Posted(vec![("scorecard".to_owned(), "just a metric".to_owned())]);
        assert_eq!(scorecard(&no_bar).unwrap_err().errors[0].field, "scorecard");
        let no_metric = Posted(vec![("scorecard".to_owned(), " | 10".to_owned())]);
        assert!(scorecard(&no_metric).is_err());
    }

    #[test]
    fn the_edit_form_round_trips_the_new_sections() {
        let mut before = CharterContent::default();
        before.timeline.push(PhasePlan {
            phase: Phase::Run,
            starts_on: None,
            ends_on: None,
            deliverables: vec!["old".to_owned()],
            metrics: vec![],
        });
        let posted = Posted(
            [
                ("value_ours", "More pipeline\nReferences"),
                ("scorecard", "Pipeline | 2M"),
                ("walk_starts_on", "2027-03-01"),
                ("walk_metrics", "Adoption"),
                ("crawl_improvement", "25"),
                ("walk_adoption", "69.9"),
                ("our_owner", "Dana"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        );
        let c = edited_content(&before, &posted).unwrap();
        assert_eq!(c.three_sided_value.our_company.len(), 2);
        assert_eq!(c.operating_plan.scorecard[0].target, "2M");
        assert_eq!(c.timeline.len(), 1, "empty phases are left out");
        assert_eq!(c.timeline[0].phase, Phase::Walk);
        assert_eq!(c.thresholds.crawl_improvement_bps, 2500);
        assert_eq!(c.thresholds.walk_adoption_bps, 6990);
        assert_eq!(c.governance.our_owner, "Dana");
        // The store's error about timeline[0] lands on the Walk inputs.
        let renamed = edit_errors(
            Invalid::one("content.timeline[0].starts_on", "sequential", "x"),
            &posted,
        );
        assert_eq!(renamed.errors[0].field, "walk_starts_on");
        let renamed = edit_errors(
            Invalid::one(
                "content.thresholds.walk_adoption_bps",
                "range",
                "thresholds.walk_adoption_bps must be between 0 and 10000",
            ),
            &posted,
        );
        assert_eq!(renamed.errors[0].field, "walk_adoption");
        let bad_date = Posted(vec![("run_ends_on".to_owned(), "soon".to_owned())]);
        assert_eq!(
            edited_content(&before, &bad_date).unwrap_err().errors[0].field,
            "run_ends_on"
        );
    }
}
