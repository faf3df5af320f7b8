//! The portal side of enablement: the catalogue, the course player, the assessment and its
//! result, and the certifications of the partner's people.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::enablement::QuestionKind;
use partnerops_core::enablement::record::{
    Attempt, Course, CourseModule, Curriculum, EnrolmentDetail, GivenAnswer, ProgressInput,
    SubmitInput,
};
use partnerops_core::ids::EntityId;
use partnerops_core::user::Role;
use partnerops_store::enablement::CourseFilter;
use partnerops_store::enablement::certification::CertificationFilter;
use partnerops_store::enablement::learning::EnrolmentFilter;
use partnerops_store::{Actor, StoreError};

use super::{CertRow, ProgressRow};
use crate::AppState;
use crate::ui::form;
use crate::ui::guard::PartnerUser;
use crate::ui::markdown;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

/// A course in the catalogue with the viewer's own standing in it.
pub struct CatalogueCourse {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub modules: i64,
    pub has_assessment: bool,
    /// "Not started", "2 of 5 modules", "Completed".
    pub standing: String,
    pub completed: bool,
}

pub struct CatalogueCurriculum {
    pub name: String,
    pub role: &'static str,
    pub description: String,
    pub grants: String,
    pub courses: Vec<CatalogueCourse>,
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/portal.html")]
struct IndexPage {
    chrome: Chrome,
    curricula: Vec<CatalogueCurriculum>,
    mine: Vec<CertRow>,
    /// The partner's people (admins only).
    people: Vec<ProgressRow>,
    /// The certifications of the partner's people (admins only).
    rows: Vec<CertRow>,
    is_admin: bool,
}

fn standing(e: Option<&partnerops_core::enablement::record::Enrolment>) -> (String, bool) {
    match e {
        None => ("Not started".to_owned(), false),
        Some(e) if e.completed_at.is_some() => ("Completed".to_owned(), true),
        Some(e) => (
            format!("{} of {} modules done", e.modules_done, e.modules_total),
            false,
        ),
    }
}

pub(super) async fn index(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<Response, UiError> {
    let store = &state.store;
    let actor = user.actor();
    let today = store.now().date_naive();
    let curricula: Vec<Curriculum> = store.curricula(user.scope()).await?;
    let courses = store
        .courses(user.scope(), &CourseFilter::default())
        .await?;
    let all = store
        .enrolments(&actor, &EnrolmentFilter::default())
        .await?;
    let me = &user.principal.user_id;
    let mine: HashMap<String, &partnerops_core::enablement::record::Enrolment> = all
        .iter()
        .filter(|e| &e.user_id == me)
        .map(|e| (e.course_id.to_string(), e))
        .collect();
    let view = curricula
        .iter()
        .filter(|c| c.course_count > 0)
        .map(|c| CatalogueCurriculum {
            name: c.name.clone(),
            role: c.role.label(),
            description: c.description.clone().unwrap_or_default(),
            grants: c
                .certification
                .as_ref()
                .map(|g| format!("{} (valid {} months)", g.name, g.validity_months))
                .unwrap_or_default(),
            courses: courses
                .iter()
                .filter(|k| k.curriculum_id == c.id)
                .map(|k| {
                    let (standing, completed) = standing(mine.get(k.id.as_str()).copied());
                    CatalogueCourse {
                        id: k.id.to_string(),
                        title: k.title.clone(),
                        summary: k.summary.clone().unwrap_or_default(),
                        modules: k.module_count,
                        has_assessment: k.question_count > 0,
                        standing,
                        completed,
                    }
                })
                .collect(),
        })
        .collect();
    let certs = store
        .certifications(&actor, &CertificationFilter::default())
        .await?;
    let is_admin = user.principal.role == Role::PartnerAdmin;
    Ok(IndexPage {
        chrome: Chrome::new(&user, "enablement"),
        curricula: view,
        mine: certs
            .iter()
            .filter(|c| &c.user_id == me)
            .map(|c| CertRow::new(c, today))
            .collect(),
        people: if is_admin {
            all.iter().map(ProgressRow::new).collect()
        } else {
            Vec::new()
        },
        rows: if is_admin {
            certs.iter().map(|c| CertRow::new(c, today)).collect()
        } else {
            Vec::new()
        },
        is_admin,
    }
    .into_response())
}

/// A module in the player's navigation.
pub struct NavItem {
    pub id: String,
    pub title: String,
    pub done: bool,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/course.html")]
struct CoursePage {
    chrome: Chrome,
    course: Course,
    nav: Vec<NavItem>,
    enrolled: bool,
    completed: bool,
    passed: bool,
    /// Where "Continue" goes: the module last viewed, else the first.
    resume: String,
    certifications: Vec<CertRow>,
    error: Option<String>,
}

fn nav(modules: &[CourseModule], e: Option<&EnrolmentDetail>, current: &str) -> Vec<NavItem> {
    modules
        .iter()
        .map(|m| NavItem {
            id: m.id.to_string(),
            title: m.title.clone(),
            done: e.is_some_and(|e| e.completed_module_ids.contains(&m.id)),
            current: m.id.as_str() == current,
        })
        .collect()
}

async fn course_page(
    state: &AppState,
    user: &PartnerUser,
    id: &str,
    error: Option<String>,
) -> Result<CoursePage, UiError> {
    let store = &state.store;
    let actor = user.actor();
    let detail = store.course(user.scope(), id).await?;
    let e = store.my_enrolment(&actor, id).await?;
    let resume = e
        .as_ref()
        .and_then(|e| e.enrolment.last_module_id.as_ref().map(|m| m.to_string()))
        .or_else(|| detail.modules.first().map(|m| m.id.to_string()))
        .unwrap_or_default();
    let today = store.now().date_naive();
    let certifications = store
        .certifications(
            &actor,
            &CertificationFilter {
                user_id: Some(user.principal.user_id.clone()),
                ..CertificationFilter::default()
            },
        )
        .await?
        .iter()
        .filter(|c| c.source_id == id || c.source_id == detail.course.curriculum_id.as_str())
        .map(|c| CertRow::new(c, today))
        .collect();
    Ok(CoursePage {
        chrome: Chrome::new(user, "enablement"),
        nav: nav(&detail.modules, e.as_ref(), ""),
        enrolled: e.is_some(),
        completed: e
            .as_ref()
            .is_some_and(|e| e.enrolment.completed_at.is_some()),
        passed: e.as_ref().is_some_and(|e| e.enrolment.assessment_passed),
        course: detail.course,
        resume,
        certifications,
        error,
    })
}

pub(super) async fn course(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    Ok(course_page(&state, &user, &id, None).await?.into_response())
}

pub(super) async fn enrol(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let d = state.store.enrol(&form.user.actor(), &id).await?;
    let target = d.enrolment.last_module_id.map(|m| m.to_string());
    let detail = state.store.course(form.user.scope(), &id).await?;
    match target.or_else(|| detail.modules.first().map(|m| m.id.to_string())) {
        Some(m) => Ok(Redirect::to(&format!("/portal/enablement/modules/{m}")).into_response()),
        None => Ok(Redirect::to(&format!("/portal/enablement/courses/{id}")).into_response()),
    }
}

pub(super) async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let actor = form.user.actor();
    let started = match state.store.my_enrolment(&actor, &id).await? {
        Some(e) => {
            state
                .store
                .start_attempt(&actor, e.enrolment.id.as_str())
                .await
        }
        None => {
            // Not enrolled (or not a course the user sees): the course page says what to do.
            state.store.course(form.user.scope(), &id).await?;
            Err(StoreError::conflict(
                "enrolment_id",
                "enablement.not_enrolled",
                "start the course before its assessment",
            ))
        }
    };
    match started {
        Ok(a) => Ok(Redirect::to(&format!("/portal/enablement/attempts/{}", a.id)).into_response()),
        Err(e @ (StoreError::Conflict { .. } | StoreError::Forbidden(_))) => {
            let status = form::failure_status(&e);
            let message = match e {
                StoreError::Conflict { message, .. } => message,
                StoreError::Forbidden(d) => d.message,
                _ => String::new(),
            };
            Ok((
                status,
                course_page(&state, &form.user, &id, Some(message)).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/player.html")]
struct PlayerPage {
    chrome: Chrome,
    course: Course,
    module: CourseModule,
    /// The module's Markdown, rendered and sanitised.
    body: String,
    nav: Vec<NavItem>,
    position: usize,
    total: usize,
    done: bool,
    next: Option<String>,
    previous: Option<String>,
}

/// The course a module belongs to, the modules in order, and the caller's enrolment.
async fn module_context(
    state: &AppState,
    user: &PartnerUser,
    actor: &Actor,
    id: &str,
) -> Result<(Course, Vec<CourseModule>, Option<EnrolmentDetail>), UiError> {
    let module = state.store.course_module(user.scope(), id).await?;
    let detail = state
        .store
        .course(user.scope(), module.course_id.as_str())
        .await?;
    let e = state
        .store
        .my_enrolment(actor, module.course_id.as_str())
        .await?;
    Ok((detail.course, detail.modules, e))
}

pub(super) async fn module(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let actor = user.actor();
    let (course, modules, e) = module_context(&state, &user, &actor, &id).await?;
    let Some(e) = e else {
        return Ok(
            Redirect::to(&format!("/portal/enablement/courses/{}", course.id)).into_response(),
        );
    };
    // The player remembers this module as the one to reopen at.
    let e = state
        .store
        .record_progress(
            &actor,
            e.enrolment.id.as_str(),
            &ProgressInput {
                module_id: id.clone(),
                complete: false,
            },
        )
        .await?;
    let index = modules
        .iter()
        .position(|m| m.id.as_str() == id)
        .ok_or(UiError::NotFound)?;
    let module = modules[index].clone();
    Ok(PlayerPage {
        chrome: Chrome::new(&user, "enablement"),
        body: markdown::render(&module.body),
        nav: nav(&modules, Some(&e), &id),
        position: index + 1,
        total: modules.len(),
        done: e.completed_module_ids.contains(&module.id),
        next: modules.get(index + 1).map(|m| m.id.to_string()),
        previous: index
            .checked_sub(1)
            .and_then(|i| modules.get(i))
            .map(|m| m.id.to_string()),
        course,
        module,
    }
    .into_response())
}

pub(super) async fn complete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let actor = form.user.actor();
    let (course, modules, e) = module_context(&state, &form.user, &actor, &id).await?;
    let Some(e) = e else {
        return Ok(
            Redirect::to(&format!("/portal/enablement/courses/{}", course.id)).into_response(),
        );
    };
    state
        .store
        .record_progress(
            &actor,
            e.enrolment.id.as_str(),
            &ProgressInput {
                module_id: id.clone(),
                complete: true,
            },
        )
        .await?;
    let next = modules
        .iter()
        .position(|m| m.id.as_str() == id)
        .and_then(|i| modules.get(i + 1));
    Ok(match next {
        Some(m) => Redirect::to(&format!("/portal/enablement/modules/{}", m.id)),
        None => Redirect::to(&format!("/portal/enablement/courses/{}", course.id)),
    }
    .into_response())
}

/// A question on the assessment page, with the learner's own choices once submitted.
pub struct QuestionView {
    pub number: usize,
    pub id: String,
    pub prompt: String,
    pub multiple: bool,
    /// (id, text, chosen)
    pub options: Vec<(String, String, bool)>,
    /// After submission: answered wrongly.
    pub wrong: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/attempt.html")]
struct AttemptPage {
    chrome: Chrome,
    attempt: Attempt,
    questions: Vec<QuestionView>,
    submitted: bool,
    passed: bool,
    score: String,
    wrong_count: usize,
    attempts_left: Option<i64>,
    retry_at: String,
    error: Option<String>,
}

fn attempt_page(user: &PartnerUser, a: Attempt, error: Option<String>) -> AttemptPage {
    let chosen: HashMap<&str, &Vec<String>> = a
        .answers
        .iter()
        .map(|g| (g.question_id.as_str(), &g.option_ids))
        .collect();
    let wrong: Vec<String> = a
        .result
        .as_ref()
        .map(|r| r.wrong_question_ids.iter().map(|q| q.to_string()).collect())
        .unwrap_or_default();
    let questions = a
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| QuestionView {
            number: i + 1,
            id: q.id.to_string(),
            prompt: q.prompt.clone(),
            multiple: q.kind == QuestionKind::Multiple,
            options: q
                .options
                .iter()
                .map(|o| {
                    let picked = chosen.get(q.id.as_str()).is_some_and(|c| c.contains(&o.id));
                    (o.id.clone(), o.text.clone(), picked)
                })
                .collect(),
            wrong: wrong.contains(&q.id.to_string()),
        })
        .collect();
    let r = a.result.as_ref();
    AttemptPage {
        chrome: Chrome::new(user, "enablement"),
        submitted: r.is_some(),
        passed: r.is_some_and(|r| r.passed),
        score: r
            .map(|r| {
                format!(
                    "{}% ({} of {} right; pass mark {}%)",
                    r.score_pct, r.correct, r.total, r.pass_mark_pct
                )
            })
            .unwrap_or_default(),
        wrong_count: wrong.len(),
        attempts_left: r.and_then(|r| r.attempts_left),
        retry_at: r
            .and_then(|r| r.retry_at)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        questions,
        attempt: a,
        error,
    }
}

pub(super) async fn attempt(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let a = state.store.attempt(&user.actor(), &id).await?;
    Ok(attempt_page(&user, a, None).into_response())
}

pub(super) async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let actor = form.user.actor();
    let a = state.store.attempt(&actor, &id).await?;
    let answers: Vec<GivenAnswer> = a
        .questions
        .iter()
        .map(|q| GivenAnswer {
            question_id: q.id.to_string(),
            option_ids: form.posted.all(&format!("q_{}", q.id)),
        })
        .filter(|g| !g.option_ids.is_empty())
        .collect();
    match state
        .store
        .submit_attempt(&actor, &id, &SubmitInput { answers })
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/portal/enablement/attempts/{id}")).into_response()),
        Err(
            e @ (StoreError::Invalid(_) | StoreError::Conflict { .. } | StoreError::Forbidden(_)),
        ) => {
            let status = form::failure_status(&e);
            let inv = form::field_errors(e)?;
            Ok((status, attempt_page(&form.user, a, Some(inv.summary()))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
