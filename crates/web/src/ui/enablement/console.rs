//! The console side of enablement: authoring and oversight across partners.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::Invalid;
use partnerops_core::enablement::record::{
    Course, CourseInput, CourseModule, Curriculum, CurriculumInput, ModuleInput, OptionInput,
    Question, QuestionInput,
};
use partnerops_core::enablement::{CourseStatus, CurriculumRole, QuestionKind};
use partnerops_core::file::{FilePurpose, StoredFile};
use partnerops_core::ids::{EntityId, PartnerId};
use partnerops_store::StoreError;
use partnerops_store::enablement::CourseFilter;
use partnerops_store::enablement::certification::{CertificationFilter, CertificationState};
use partnerops_store::enablement::learning::EnrolmentFilter;
use serde::Deserialize;

use super::{CertRow, ProgressRow};
use crate::AppState;
use crate::ui::form::{self, FormView, Posted, trimmed};
use crate::ui::guard::Staff;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

fn number(posted: &Posted, name: &str) -> Option<i64> {
    // A number that does not parse becomes a value the core refuses with the field's rule.
    trimmed(posted, name).map(|v| v.parse().unwrap_or(-1))
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/console.html")]
struct IndexPage {
    chrome: Chrome,
    curricula: Vec<Curriculum>,
    courses: Vec<Course>,
    roles: &'static [CurriculumRole],
    form: FormView,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub(super) struct Done {
    done: Option<String>,
}

async fn index_page(
    state: &AppState,
    user: &Staff,
    form: FormView,
    notice: Option<&'static str>,
) -> Result<IndexPage, UiError> {
    let curricula = state.store.curricula(user.scope()).await?;
    let courses = state
        .store
        .courses(user.scope(), &CourseFilter::default())
        .await?;
    Ok(IndexPage {
        chrome: Chrome::new(user, "enablement"),
        curricula,
        courses,
        roles: CurriculumRole::ALL,
        form,
        notice,
    })
}

pub(super) async fn index(
    State(state): State<AppState>,
    user: Staff,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let notice = match d.done.as_deref() {
        Some("curriculum") => Some("Curriculum created."),
        _ => None,
    };
    Ok(index_page(&state, &user, FormView::default(), notice)
        .await?
        .into_response())
}

pub(super) async fn create_curriculum(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let input = CurriculumInput {
        name: trimmed(p, "name"),
        role: trimmed(p, "role"),
        description: trimmed(p, "description"),
        certification_name: trimmed(p, "certification_name"),
        validity_months: number(p, "validity_months"),
    };
    let ran = state
        .store
        .create_curriculum(&form.user.actor(), &input)
        .await
        .map(|_| Some("curriculum"));
    form::after_action(ran, "/console/enablement", p, |view| {
        index_page(&state, &form.user, view, None)
    })
    .await
}

pub(super) async fn create_course(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let input = CourseInput {
        curriculum_id: trimmed(p, "curriculum_id"),
        title: trimmed(p, "title"),
        summary: trimmed(p, "summary"),
        ..CourseInput::default()
    };
    match state.store.create_course(&form.user.actor(), &input).await {
        Ok(c) => Ok(Redirect::to(&format!("/console/enablement/courses/{}", c.id)).into_response()),
        Err(e) => {
            let status = form::failure_status(&e);
            let view = FormView::from_posted(p).with_errors(form::field_errors(e)?);
            Ok((status, index_page(&state, &form.user, view, None).await?).into_response())
        }
    }
}

/// A question as the editor shows it, answer key included (staff only).
pub struct QuestionView {
    pub prompt: String,
    pub kind: &'static str,
    pub options: Vec<(String, bool)>,
}

impl QuestionView {
    fn new(q: &Question) -> QuestionView {
        QuestionView {
            prompt: q.prompt.clone(),
            kind: q.kind.label(),
            options: q
                .options
                .iter()
                .map(|o| (o.text.clone(), o.correct))
                .collect(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/console_course.html")]
struct CoursePage {
    chrome: Chrome,
    course: Course,
    curricula: Vec<Curriculum>,
    statuses: &'static [CourseStatus],
    kinds: &'static [QuestionKind],
    modules: Vec<CourseModule>,
    questions: Vec<QuestionView>,
    progress: Vec<ProgressRow>,
    /// The course media library, newest first, each with the Markdown that shows it.
    media: Vec<(StoredFile, String)>,
    form: FormView,
    notice: Option<&'static str>,
}

async fn course_page(
    state: &AppState,
    user: &Staff,
    id: &str,
    form: FormView,
    notice: Option<&'static str>,
) -> Result<CoursePage, UiError> {
    let detail = state.store.course(user.scope(), id).await?;
    let questions = state.store.questions(user.scope(), id).await?;
    let progress = state
        .store
        .enrolments(
            &user.actor(),
            &EnrolmentFilter {
                course_id: Some(detail.course.id.clone()),
                ..EnrolmentFilter::default()
            },
        )
        .await?;
    let mut form = form;
    if form.v("title").is_empty() && form.errors.is_empty() {
        let c = &detail.course;
        form.set("title", c.title.clone());
        form.set("summary", c.summary.clone().unwrap_or_default());
        form.set("status", c.status.as_str());
        form.set("curriculum_id", c.curriculum_id.to_string());
        form.set("pass_mark_pct", c.pass_mark_pct.to_string());
        form.set("max_attempts", c.max_attempts.to_string());
        form.set("cooldown_hours", c.cooldown_hours.to_string());
        if let Some(g) = &c.certification {
            form.set("certification_name", g.name.clone());
            form.set("validity_months", g.validity_months.to_string());
        }
    }
    Ok(CoursePage {
        chrome: Chrome::new(user, "enablement"),
        curricula: state.store.curricula(user.scope()).await?,
        statuses: CourseStatus::ALL,
        kinds: QuestionKind::ALL,
        modules: detail.modules,
        course: detail.course,
        questions: questions.iter().map(QuestionView::new).collect(),
        progress: progress.iter().map(ProgressRow::new).collect(),
        media: state
            .store
            .course_media(user.scope(), 30)
            .await?
            .into_iter()
            .map(|f| {
                let markdown = media_markdown(&f);
                (f, markdown)
            })
            .collect(),
        form,
        notice,
    })
}

/// The Markdown that shows a media file in a module: an image inline, anything else as a
/// link. Module bodies are rendered through ammonia, which keeps these relative links.
fn media_markdown(f: &StoredFile) -> String {
    let alt: String = f
        .name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | '(' | ')'))
        .collect();
    if f.content_type.starts_with("image/") {
        format!("![{alt}](/files/{})", f.id)
    } else {
        format!("[{alt}](/files/{})", f.id)
    }
}

pub(super) async fn course(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let notice = match d.done.as_deref() {
        Some("settings") => Some("Course saved."),
        Some("module") => Some("Module added."),
        Some("question") => Some("Question added."),
        Some("media") => Some("Uploaded: copy its Markdown from the media library into a module."),
        _ => None,
    };
    Ok(course_page(&state, &user, &id, FormView::default(), notice)
        .await?
        .into_response())
}

pub(super) async fn course_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let actor = form.user.actor();
    let store = &state.store;
    let ran = match action.as_str() {
        "settings" => {
            let input = CourseInput {
                curriculum_id: trimmed(p, "curriculum_id"),
                title: trimmed(p, "title"),
                summary: Some(trimmed(p, "summary").unwrap_or_default()),
                status: trimmed(p, "status"),
                position: None,
                pass_mark_pct: number(p, "pass_mark_pct"),
                max_attempts: number(p, "max_attempts"),
                cooldown_hours: number(p, "cooldown_hours"),
                certification_name: Some(trimmed(p, "certification_name").unwrap_or_default()),
                validity_months: number(p, "validity_months"),
            };
            store
                .update_course(
                    &actor,
                    &id,
                    &input,
                    &partnerops_store::etag::Precondition::None,
                )
                .await
                .map(|_| Some("settings"))
        }
        "module" => {
            let input = ModuleInput {
                title: trimmed(p, "module_title"),
                body: p.get("module_body"),
                position: None,
            };
            store
                .add_course_module(&actor, &id, &input)
                .await
                .map(|_| Some("module"))
        }
        "question" => {
            let correct = p.all("correct");
            let options = (0..6)
                .filter_map(|i| {
                    trimmed(p, &format!("option_{i}")).map(|text| OptionInput {
                        text: Some(text),
                        correct: correct.contains(&i.to_string()),
                    })
                })
                .collect();
            let input = QuestionInput {
                prompt: trimmed(p, "prompt"),
                kind: trimmed(p, "question_kind"),
                options: Some(options),
                position: None,
            };
            store
                .add_question(&actor, &id, &input)
                .await
                .map(|_| Some("question"))
        }
        "media" => match form.files.iter().find(|f| f.field == "media") {
            None => Err(StoreError::Invalid(Invalid::one(
                "file",
                "required",
                "choose a file to upload",
            ))),
            Some(file) => {
                // The course must be one the author can see (else 404 like any id).
                store.course(form.user.scope(), &id).await?;
                let upload = partnerops_store::file::Upload {
                    purpose: FilePurpose::CourseMedia,
                    partner_id: None,
                    name: &file.name,
                    bytes: &file.bytes,
                };
                store
                    .upload_file(&actor, upload)
                    .await
                    .map(|_| Some("media"))
            }
        },
        _ => Ok(None),
    };
    let page = format!("/console/enablement/courses/{id}");
    form::after_action(ran, &page, p, |view| {
        course_page(&state, &form.user, &id, view, None)
    })
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/certifications.html")]
struct CertificationsPage {
    chrome: Chrome,
    rows: Vec<CertRow>,
    state: String,
}

#[derive(Deserialize, Default)]
pub(super) struct CertQuery {
    partner_id: Option<String>,
    state: Option<String>,
}

pub(super) async fn certifications(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<CertQuery>,
) -> Result<Response, UiError> {
    let wanted = q.state.clone().unwrap_or_default();
    let filter = CertificationFilter {
        partner_id: q.partner_id.as_deref().and_then(PartnerId::parse),
        user_id: None,
        state: CertificationState::parse(&wanted).unwrap_or_default(),
    };
    let today = state.store.now().date_naive();
    let list = state.store.certifications(&user.actor(), &filter).await?;
    Ok(CertificationsPage {
        chrome: Chrome::new(&user, "enablement"),
        rows: list.iter().map(|c| CertRow::new(c, today)).collect(),
        state: wanted,
    }
    .into_response())
}
