//! Partnership charters in the browser: what the console and the portal share — one charter
//! page (verdicts, signatures, edit form, phase controls, gate reviews, ending, decisions),
//! its actions and its operating model (print-ready HTML and a Markdown download) — and the
//! routes of both sides. Lists and the decision trees live in `console` (staff) and
//! `portal` (the partner's own charters); parsing the edit and gate forms lives in `form`.
//! Every write is a `SignedForm` and goes to the store; refusals come back inline.

use super::{Routes, markdown};
use crate::AppState;
use crate::ui::form::failure_status;
use crate::ui::form::{FormView, Posted, field_errors};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::partnership::form::GOVERNANCE_FIELDS;
use crate::ui::partnership::form::MEASUREMENT_FIELDS;
use crate::ui::partnership::form::OPERATING_PLAN_FIELDS;
use crate::ui::partnership::form::PhaseFields;
use crate::ui::partnership::form::THREE_SIDED_FIELDS;
use crate::ui::partnership::form::THRESHOLD_FIELDS;
use crate::ui::partnership::form::TIMELINE_FORM_FIELDS;
use crate::ui::partnership::form::edit_errors;
use crate::ui::partnership::form::edit_fields;
use crate::ui::partnership::form::edit_form;
use crate::ui::partnership::form::edited_content;
use crate::ui::partnership::form::gate_form;
use crate::ui::partnership::form::gate_input;
use crate::ui::partnership::form::next_phase;
use crate::ui::partnership::form::phase_fields;
use crate::ui::{Chrome, UiError, UiUser};
use askama::Template;
use askama_web::WebTemplate;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::EntityKind;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partnership::leverage::LeverageType;
use partnerops_core::partnership::phases::Phase;
use partnerops_core::partnership::record::{
    Charter, CharterPatch, CharterStatus, EndInput, PhaseInput,
};
use partnerops_core::partnership::story::QUESTIONS;
use partnerops_core::partnership::tree::Step;
use partnerops_core::scope::{Action, Scope, authorize};
use partnerops_store::StoreError;

mod console;
mod form;
mod portal;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/charters", console::console_list)
        .post("/console/charters", console::console_create)
        .get("/console/charters/{id}", console::console_charter)
        .get(
            "/console/charters/{id}/operating-model",
            console::console_model,
        )
        .get(
            "/console/charters/{id}/operating-model.md",
            console::console_model_md,
        )
        .post("/console/charters/{id}/{action}", console::console_act)
        .get("/console/trees", console::trees)
        .post("/console/trees/{key}", console::tree_step)
        .post("/console/partners/{id}/track/{action}", console::track_act)
        .get("/portal/charters", portal::portal_list)
        .get("/portal/charters/{id}", portal::portal_charter)
        .get(
            "/portal/charters/{id}/operating-model",
            portal::portal_model,
        )
        .get(
            "/portal/charters/{id}/operating-model.md",
            portal::portal_model_md,
        )
        .post("/portal/charters/{id}/{action}", portal::portal_act)
}

// ---------------------------------------------------------------- shared

/// Which side of the application a page belongs to, with its (already admitted) user: staff
/// in the console, a partner user in the portal.
#[derive(Clone, Copy)]
enum Visitor<'a> {
    Console(&'a Staff),
    Portal(&'a PartnerUser),
}

impl<'a> Visitor<'a> {
    fn base(self) -> &'static str {
        match self {
            Visitor::Console(_) => "/console/charters",
            Visitor::Portal(_) => "/portal/charters",
        }
    }

    fn is_console(self) -> bool {
        matches!(self, Visitor::Console(_))
    }

    /// The scope of the signed-in user on this side.
    fn scope(self) -> &'a Scope {
        match self {
            Visitor::Console(u) => u.scope(),
            Visitor::Portal(u) => u.scope(),
        }
    }

    fn user(self) -> &'a UiUser {
        match self {
            Visitor::Console(u) => u,
            Visitor::Portal(u) => u,
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
#[template(path = "partnership/charter.html")]
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

/// What a failed submit re-renders: the form that failed, its posted values and messages.
struct Failure {
    form: &'static str,
    posted: Posted,
    errors: Invalid,
}

/// The forms of a charter page: filled from the charter, or, for the one whose submit
/// failed, with what was posted, its errors beside the fields and the rest as alerts.
struct CharterForms {
    edit: FormView,
    gate: FormView,
    end: FormView,
    failed: &'static str,
    alerts: Vec<String>,
}

impl CharterForms {
    fn of(c: &Charter, failure: Option<Failure>) -> CharterForms {
        let mut forms = CharterForms {
            edit: edit_form(c),
            gate: gate_form(c),
            end: FormView::default(),
            failed: "",
            alerts: Vec::new(),
        };
        let Some(mut f) = failure else {
            return forms;
        };
        if f.form == "edit" {
            f.errors = edit_errors(f.errors, &f.posted);
        }
        let view = FormView::from_posted(&f.posted).with_errors(f.errors.clone());
        match f.form {
            "edit" => forms.edit = view,
            "gate" => forms.gate = view,
            "end" => forms.end = view,
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
        let mut rest = f.errors;
        rest.errors.retain(|e| {
            !shown
                .iter()
                .any(|s| e.field == *s || e.field.ends_with(&format!(".{s}")))
        });
        forms.failed = f.form;
        forms.alerts = messages(&rest);
        forms
    }
}

async fn charter_page(
    state: &AppState,
    side: Visitor<'_>,
    id: &str,
    notice: Option<String>,
    failure: Option<Failure>,
) -> Result<CharterPage, UiError> {
    let (scope, user) = (side.scope(), side.user());
    let c = state.store.charter(scope, id).await?;
    let reviews = state
        .store
        .gate_reviews(scope, id)
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
        .decisions(scope, EntityKind::Charter, id)
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
    let forms = CharterForms::of(&c, failure);
    let we_signed = match side {
        Visitor::Console(_) => c.vendor_signed_at.is_some(),
        Visitor::Portal(_) => c.partner_signed_at.is_some(),
    };
    Ok(CharterPage {
        chrome: Chrome::new(user, "charters"),
        portal: !side.is_console(),
        here: format!("{}/{}", side.base(), c.id),
        back: side.base(),
        can_edit: authorize(&user.principal, &Action::WriteCharter(&c.partner_id)).is_ok(),
        can_sign: authorize(&user.principal, &Action::SignCharter(&c.partner_id)).is_ok(),
        can_govern: side.is_console()
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
        failed: forms.failed,
        alerts: forms.alerts,
        edit: forms.edit,
        gate: forms.gate,
        end: forms.end,
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

async fn act(
    state: &AppState,
    side: Visitor<'_>,
    id: &str,
    action: &str,
    posted: Posted,
) -> Result<Response, UiError> {
    let scope = side.scope();
    let user = side.user();
    let actor = user.actor();
    let store = &state.store;
    let (form, result): (&'static str, Result<(), StoreError>) = match action {
        "edit" => {
            let before = store.charter(scope, id).await?;
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
        "phase" if side.is_console() => {
            let input = PhaseInput {
                phase: posted.get("phase"),
            };
            (
                "phase",
                store.enter_phase(&actor, id, &input).await.map(drop),
            )
        }
        "gate" if side.is_console() => {
            let before = store.charter(scope, id).await?;
            let result = match gate_input(&before, &posted) {
                Ok(input) => store.review_gate(&actor, id, &input).await.map(drop),
                Err(inv) => Err(StoreError::Invalid(inv)),
            };
            ("gate", result)
        }
        "end" if side.is_console() => {
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
            let page = charter_page(state, side, id, None, Some(failure)).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "partnership/charter_model.html")]
struct ModelPage {
    chrome: Chrome,
    here: String,
    title: String,
    /// Produced by `markdown::render`, which sanitises it (the model quotes partners).
    html: String,
}

async fn model_page(state: &AppState, side: Visitor<'_>, id: &str) -> Result<ModelPage, UiError> {
    let (scope, user) = (side.scope(), side.user());
    let c = state.store.charter(scope, id).await?;
    let md = state.store.operating_model(scope, id).await?;
    Ok(ModelPage {
        chrome: Chrome::new(user, "charters"),
        here: format!("{}/{}", side.base(), c.id),
        title: c.title,
        html: markdown::render(&md),
    })
}

async fn model_md(state: &AppState, side: Visitor<'_>, id: &str) -> Result<Response, UiError> {
    let scope = side.scope();
    let c = state.store.charter(scope, id).await?;
    let md = state.store.operating_model(scope, id).await?;
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
