//! Enablement: curricula, courses, modules and assessment questions (vendor staff author
//! them; partners read published courses), enrolments and progress, assessment attempts
//! (start: the questions shuffled for the attempt without the answer key; submit: scored on
//! the server), and certifications. A partner's admin sees its people's learning records, a
//! rep their own; staff see every partner's.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::enablement::record::{
    Attempt, Certification, Course, CourseDetail, CourseInput, CourseModule, Curriculum,
    CurriculumInput, Enrolment, EnrolmentDetail, ModuleInput, ProgressInput, Question,
    QuestionInput, SubmitInput,
};
use partnerops_core::ids::parse_id;
use partnerops_store::enablement::CourseFilter;
use partnerops_store::enablement::certification::{CertificationFilter, CertificationState};
use partnerops_store::enablement::learning::EnrolmentFilter;
use serde::Deserialize;

use super::{Tagged, TaggedAnswer, TaggedBy, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;
type Created<T> = Result<(StatusCode, axum::Json<T>), ApiError>;

/// Every curriculum, with the number of courses the caller sees.
#[utoipa::path(get, path = "/api/v1/curricula", tag = "enablement",
    responses((status = 200, body = Vec<Curriculum>), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn curricula(State(s): State<AppState>, who: ApiUser) -> Answer<Vec<Curriculum>> {
    Ok(axum::Json(s.store.curricula(who.scope()).await?))
}

/// Creates a curriculum (administrators, channel managers, marketing).
#[utoipa::path(post, path = "/api/v1/curricula", tag = "enablement", request_body = CurriculumInput,
    responses((status = 201, body = Curriculum), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_curriculum(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<CurriculumInput>,
) -> Created<Curriculum> {
    let c = s.store.create_curriculum(&who.actor(), &input).await?;
    Ok((StatusCode::CREATED, axum::Json(c)))
}

/// One curriculum.
#[utoipa::path(get, path = "/api/v1/curricula/{id}", tag = "enablement", params(("id" = String, Path)),
    responses((status = 200, body = Curriculum), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn curriculum(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<Curriculum> {
    Ok(Tagged(s.store.curriculum(who.scope(), &id).await?))
}

/// Changes the fields given of a curriculum.
#[utoipa::path(patch, path = "/api/v1/curricula/{id}", tag = "enablement", params(("id" = String, Path), IfMatch), request_body = CurriculumInput,
    responses((status = 200, body = Curriculum), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_curriculum(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<CurriculumInput>,
) -> TaggedAnswer<Curriculum> {
    Ok(Tagged(
        s.store
            .update_curriculum_if(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}

/// Filters for the course list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CourseQuery {
    pub curriculum_id: Option<String>,
}

/// Courses (a partner: the published ones).
#[utoipa::path(get, path = "/api/v1/courses", tag = "enablement", params(CourseQuery),
    responses((status = 200, body = Vec<Course>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn courses(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<CourseQuery>,
) -> Answer<Vec<Course>> {
    let mut inv = Invalid::new();
    let f = CourseFilter {
        curriculum_id: filter(
            &mut inv,
            "curriculum_id",
            q.curriculum_id.as_deref(),
            parse_id,
        ),
    };
    let f = inv.finish(|| Some(f))?;
    Ok(axum::Json(s.store.courses(who.scope(), &f).await?))
}

/// Creates a course in a curriculum.
#[utoipa::path(post, path = "/api/v1/courses", tag = "enablement", request_body = CourseInput,
    responses((status = 201, body = Course), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_course(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<CourseInput>,
) -> Created<Course> {
    let c = s.store.create_course(&who.actor(), &input).await?;
    Ok((StatusCode::CREATED, axum::Json(c)))
}

/// A course with its modules (Markdown).
#[utoipa::path(get, path = "/api/v1/courses/{id}", tag = "enablement", params(("id" = String, Path)),
    responses((status = 200, body = CourseDetail), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn course(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Result<TaggedBy<CourseDetail, Course>, ApiError> {
    Ok(TaggedBy(s.store.course(who.scope(), &id).await?, |d| {
        &d.course
    }))
}

/// Changes the fields given of a course (publish it with `status: published`).
#[utoipa::path(patch, path = "/api/v1/courses/{id}", tag = "enablement", params(("id" = String, Path), IfMatch), request_body = CourseInput,
    responses((status = 200, body = Course), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_course(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<CourseInput>,
) -> TaggedAnswer<Course> {
    Ok(Tagged(
        s.store
            .update_course(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}

/// Adds a module to a course.
#[utoipa::path(post, path = "/api/v1/courses/{id}/modules", tag = "enablement", params(("id" = String, Path)), request_body = ModuleInput,
    responses((status = 201, body = CourseModule), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn add_module(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ModuleInput>,
) -> Created<CourseModule> {
    let m = s.store.add_course_module(&who.actor(), &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(m)))
}

/// Changes the fields given of a module.
#[utoipa::path(patch, path = "/api/v1/course-modules/{id}", tag = "enablement", params(("id" = String, Path), IfMatch), request_body = ModuleInput,
    responses((status = 200, body = CourseModule), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_module(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<ModuleInput>,
) -> TaggedAnswer<CourseModule> {
    Ok(Tagged(
        s.store
            .update_course_module(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}

/// The assessment of a course with its answer key (vendor staff only).
#[utoipa::path(get, path = "/api/v1/courses/{id}/questions", tag = "enablement", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Question>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn questions(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<Question>> {
    Ok(axum::Json(s.store.questions(who.scope(), &id).await?))
}

/// Adds a question to a course's assessment.
#[utoipa::path(post, path = "/api/v1/courses/{id}/questions", tag = "enablement", params(("id" = String, Path)), request_body = QuestionInput,
    responses((status = 201, body = Question), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn add_question(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<QuestionInput>,
) -> Created<Question> {
    let q = s.store.add_question(&who.actor(), &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(q)))
}

/// Changes the fields given of a question (options given replace the current ones).
#[utoipa::path(patch, path = "/api/v1/questions/{id}", tag = "enablement", params(("id" = String, Path), IfMatch), request_body = QuestionInput,
    responses((status = 200, body = Question), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_question(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<QuestionInput>,
) -> TaggedAnswer<Question> {
    Ok(Tagged(
        s.store
            .update_question(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}

/// Enrols the caller (a partner user) in a published course; again: the same enrolment.
#[utoipa::path(post, path = "/api/v1/courses/{id}/enrolment", tag = "enablement", params(("id" = String, Path)),
    responses((status = 200, body = EnrolmentDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn enrol(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<EnrolmentDetail> {
    Ok(axum::Json(s.store.enrol(&who.actor(), &id).await?))
}

/// Filters for the enrolment list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnrolmentQuery {
    pub partner_id: Option<String>,
    pub course_id: Option<String>,
    pub user_id: Option<String>,
}

/// Enrolments with progress (staff: every partner's; a partner's admin: its people's; a
/// rep: their own), newest first, at most 500.
#[utoipa::path(get, path = "/api/v1/enrolments", tag = "enablement", params(EnrolmentQuery),
    responses((status = 200, body = Vec<Enrolment>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn enrolments(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<EnrolmentQuery>,
) -> Answer<Vec<Enrolment>> {
    let mut inv = Invalid::new();
    let f = EnrolmentFilter {
        partner_id: filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id),
        course_id: filter(&mut inv, "course_id", q.course_id.as_deref(), parse_id),
        user_id: filter(&mut inv, "user_id", q.user_id.as_deref(), parse_id),
    };
    let f = inv.finish(|| Some(f))?;
    Ok(axum::Json(s.store.enrolments(&who.actor(), &f).await?))
}

/// One enrolment with the modules done.
#[utoipa::path(get, path = "/api/v1/enrolments/{id}", tag = "enablement", params(("id" = String, Path)),
    responses((status = 200, body = EnrolmentDetail), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn enrolment(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<EnrolmentDetail> {
    Ok(axum::Json(s.store.enrolment(&who.actor(), &id).await?))
}

/// The learner's progress: the module viewed (where the player reopens), and with
/// `complete: true` the module done; the last module done with the assessment passed
/// completes the course.
#[utoipa::path(post, path = "/api/v1/enrolments/{id}/progress", tag = "enablement", params(("id" = String, Path)), request_body = ProgressInput,
    responses((status = 200, body = EnrolmentDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn progress(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ProgressInput>,
) -> Answer<EnrolmentDetail> {
    Ok(axum::Json(
        s.store.record_progress(&who.actor(), &id, &input).await?,
    ))
}

/// Starts an assessment attempt (or returns the open one): the questions shuffled for it,
/// never the answer key. 409 `assessment.attempts_exhausted` (with the time the cool-down
/// ends) while a round of attempts is used up, `assessment.passed` once passed.
#[utoipa::path(post, path = "/api/v1/enrolments/{id}/attempts", tag = "enablement", params(("id" = String, Path)),
    responses((status = 201, body = Attempt), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn start_attempt(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Created<Attempt> {
    let a = s.store.start_attempt(&who.actor(), &id).await?;
    Ok((StatusCode::CREATED, axum::Json(a)))
}

/// An attempt: its questions (without the answer key) and, once submitted, the result.
#[utoipa::path(get, path = "/api/v1/attempts/{id}", tag = "enablement", params(("id" = String, Path)),
    responses((status = 200, body = Attempt), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn attempt(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Attempt> {
    Ok(axum::Json(s.store.attempt(&who.actor(), &id).await?))
}

/// Submits the answers of an open attempt, scored on the server: the score, pass or fail,
/// the questions answered wrongly (not their right answers), and what is left.
#[utoipa::path(post, path = "/api/v1/attempts/{id}/submit", tag = "enablement", params(("id" = String, Path)), request_body = SubmitInput,
    responses((status = 200, body = Attempt), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn submit_attempt(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<SubmitInput>,
) -> Answer<Attempt> {
    Ok(axum::Json(
        s.store.submit_attempt(&who.actor(), &id, &input).await?,
    ))
}

/// Filters for the certification list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificationQuery {
    pub partner_id: Option<String>,
    pub user_id: Option<String>,
    /// all (default), valid, expiring (within 30 days) or expired.
    pub state: Option<String>,
}

/// Certifications (staff: across partners; a partner's admin: its people's; a rep: their
/// own), soonest expiry first, at most 500.
#[utoipa::path(get, path = "/api/v1/certifications", tag = "enablement", params(CertificationQuery),
    responses((status = 200, body = Vec<Certification>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn certifications(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<CertificationQuery>,
) -> Answer<Vec<Certification>> {
    let mut inv = Invalid::new();
    let f = CertificationFilter {
        partner_id: filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id),
        user_id: filter(&mut inv, "user_id", q.user_id.as_deref(), parse_id),
        state: inv
            .check(CertificationState::parse(q.state.as_deref().unwrap_or("")))
            .unwrap_or_default(),
    };
    let f = inv.finish(|| Some(f))?;
    Ok(axum::Json(s.store.certifications(&who.actor(), &f).await?))
}

/// One certification.
#[utoipa::path(get, path = "/api/v1/certifications/{id}", tag = "enablement", params(("id" = String, Path)),
    responses((status = 200, body = Certification), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn certification(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Certification> {
    Ok(axum::Json(s.store.certification(&who.actor(), &id).await?))
}
