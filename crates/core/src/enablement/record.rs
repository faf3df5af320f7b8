//! Curricula, courses, modules, questions, enrolments, attempts and certifications as the
//! API and the pages show them, and the parsing of the inputs that change them (each
//! problem naming its field and rule). An input is merged over the current record, so the
//! same parse serves a create (no current record: required fields must be there) and a
//! partial update. Nothing here reads data.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{CertificationSource, CourseStatus, CurriculumRole, QuestionKind};
use crate::Invalid;
use crate::ids::{
    AttemptId, CertificationId, CourseId, CourseModuleId, CurriculumId, EnrolmentId, PartnerId,
    QuestionId, UserId, parse_id,
};
use crate::kernel::invalid::text;

/// The longest module body (Markdown).
pub const MAX_BODY_CHARS: usize = 50_000;
/// At most this many options per question.
pub const MAX_OPTIONS: usize = 8;
/// The longest validity of a certification.
pub const MAX_VALIDITY_MONTHS: i64 = 120;

/// "Grants certification X valid N months".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificationGrant {
    pub name: String,
    pub validity_months: i64,
}

/// A role-based curriculum: courses that together may grant a certification.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Curriculum {
    pub id: CurriculumId,
    pub name: String,
    pub role: CurriculumRole,
    pub description: Option<String>,
    /// Granted to whoever completes every published course of the curriculum.
    pub certification: Option<CertificationGrant>,
    pub course_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A course: ordered modules, then an optional assessment (its questions).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Course {
    pub id: CourseId,
    pub curriculum_id: CurriculumId,
    pub curriculum_name: String,
    /// Order within the curriculum (1 first).
    pub position: i64,
    pub title: String,
    pub summary: Option<String>,
    pub status: CourseStatus,
    /// The share of questions to get right, in whole percent.
    pub pass_mark_pct: i64,
    /// Attempts per round before the cool-down.
    pub max_attempts: i64,
    /// Hours after a round's last failed attempt before the next round (0: at once).
    pub cooldown_hours: i64,
    pub certification: Option<CertificationGrant>,
    pub module_count: i64,
    /// 0: the course has no assessment.
    pub question_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One module of a course: a page of Markdown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourseModule {
    pub id: CourseModuleId,
    pub course_id: CourseId,
    pub position: i64,
    pub title: String,
    /// Markdown; pages render it sanitised.
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A course with its modules in order.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourseDetail {
    pub course: Course,
    pub modules: Vec<CourseModule>,
}

/// An option of a question with its answer flag: vendor staff only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuestionOption {
    pub id: String,
    pub text: String,
    pub correct: bool,
}

/// A question with its answer key, as staff author it. Never sent to a partner.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    pub id: QuestionId,
    pub course_id: CourseId,
    pub position: i64,
    pub prompt: String,
    pub kind: QuestionKind,
    pub options: Vec<QuestionOption>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A partner user's enrolment in a course and how far they got.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrolment {
    pub id: EnrolmentId,
    pub course_id: CourseId,
    pub course_title: String,
    pub user_id: UserId,
    pub user_name: String,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub enrolled_at: DateTime<Utc>,
    /// The module the course player opens at.
    pub last_module_id: Option<CourseModuleId>,
    pub modules_done: i64,
    pub modules_total: i64,
    pub assessment_passed: bool,
    pub completed_at: Option<DateTime<Utc>>,
}

/// An enrolment with the modules marked complete.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolmentDetail {
    pub enrolment: Enrolment,
    pub completed_module_ids: Vec<CourseModuleId>,
}

/// An option as a learner sees it: no answer flag.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptOption {
    pub id: String,
    pub text: String,
}

/// A question as a learner sees it, its options in the attempt's order.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptQuestion {
    pub id: QuestionId,
    pub prompt: String,
    pub kind: QuestionKind,
    pub options: Vec<AttemptOption>,
}

/// How a submitted attempt went: the score, pass or fail, the questions answered wrongly
/// (never the right answers), and what is left.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptResult {
    pub correct: i64,
    pub total: i64,
    pub score_pct: i64,
    pub pass_mark_pct: i64,
    pub passed: bool,
    pub wrong_question_ids: Vec<QuestionId>,
    /// Attempts left now (absent once passed or while the cool-down runs).
    pub attempts_left: Option<i64>,
    /// When the next round of attempts opens, while the cool-down runs.
    pub retry_at: Option<DateTime<Utc>>,
}

/// An assessment attempt: its questions in the attempt's order, without the answer key,
/// and once submitted the answers given and the result.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    pub id: AttemptId,
    pub enrolment_id: EnrolmentId,
    pub course_id: CourseId,
    pub course_title: String,
    pub user_id: UserId,
    pub partner_id: PartnerId,
    /// 1 for the user's first attempt at the course.
    pub number: i64,
    pub started_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub questions: Vec<AttemptQuestion>,
    /// The options the learner chose, per question (after submission).
    pub answers: Vec<GivenAnswer>,
    pub result: Option<AttemptResult>,
}

/// The options chosen for one question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GivenAnswer {
    pub question_id: String,
    pub option_ids: Vec<String>,
}

/// The answers of an attempt being submitted.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmitInput {
    #[serde(default)]
    pub answers: Vec<GivenAnswer>,
}

/// A certification held by a partner user.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Certification {
    pub id: CertificationId,
    pub name: String,
    pub user_id: UserId,
    pub user_name: String,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub source: CertificationSource,
    /// The course or curriculum completed.
    pub source_id: String,
    pub earned_on: NaiveDate,
    /// The last day it is valid.
    pub expires_on: NaiveDate,
    /// Valid today (the store's clock).
    pub valid: bool,
    pub created_at: DateTime<Utc>,
}

/// Progress on one module: mark it complete, or only remember it as the one viewed.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressInput {
    pub module_id: String,
    /// `true`: mark the module complete (default: only remember it as the last viewed).
    #[serde(default)]
    pub complete: bool,
}

impl ProgressInput {
    pub fn parse(&self) -> Result<CourseModuleId, Invalid> {
        parse_id::<CourseModuleId>("module_id", &self.module_id).map_err(Invalid::from)
    }
}

/// Input for creating or changing a curriculum; absent fields keep their value.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurriculumInput {
    pub name: Option<String>,
    /// sales, technical or partner_admin.
    pub role: Option<String>,
    pub description: Option<String>,
    /// The certification completing it grants ("" removes it).
    pub certification_name: Option<String>,
    pub validity_months: Option<i64>,
}

/// A curriculum's fields, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurriculumFields {
    pub name: String,
    pub role: CurriculumRole,
    pub description: Option<String>,
    pub certification: Option<CertificationGrant>,
}

impl CurriculumFields {
    pub fn of(c: &Curriculum) -> Self {
        CurriculumFields {
            name: c.name.clone(),
            role: c.role,
            description: c.description.clone(),
            certification: c.certification.clone(),
        }
    }
}

/// Merges the grant fields of an input over the current grant.
fn grant(
    inv: &mut Invalid,
    name: Option<&str>,
    months: Option<i64>,
    current: Option<&CertificationGrant>,
) -> Option<CertificationGrant> {
    let name = match name {
        Some(raw) => inv
            .check(text::optional("certification_name", Some(raw), 120))
            .flatten(),
        None => current.map(|g| g.name.clone()),
    };
    let months = months.or(current.map(|g| g.validity_months));
    let name = name?;
    match months {
        Some(m) if (1..=MAX_VALIDITY_MONTHS).contains(&m) => Some(CertificationGrant {
            name,
            validity_months: m,
        }),
        Some(_) => {
            inv.add(
                "validity_months",
                "range",
                format!("validity_months must be between 1 and {MAX_VALIDITY_MONTHS}"),
            );
            None
        }
        None => {
            inv.add(
                "validity_months",
                "required",
                "validity_months is required with a certification",
            );
            None
        }
    }
}

impl CurriculumInput {
    pub fn parse(&self, current: Option<&CurriculumFields>) -> Result<CurriculumFields, Invalid> {
        let mut inv = Invalid::new();
        let name = match (&self.name, current) {
            (None, Some(c)) => Some(c.name.clone()),
            (raw, _) => inv.check(text::required("name", raw.as_deref(), 120)),
        };
        let role = match (&self.role, current) {
            (None, Some(c)) => Some(c.role),
            (raw, _) => match raw {
                Some(r) => inv.check(CurriculumRole::parse("role", r)),
                None => {
                    inv.add("role", "required", "role is required");
                    None
                }
            },
        };
        let description = match &self.description {
            Some(raw) => inv
                .check(text::multiline_optional("description", Some(raw), 2000))
                .flatten(),
            None => current.and_then(|c| c.description.clone()),
        };
        let certification = grant(
            &mut inv,
            self.certification_name.as_deref(),
            self.validity_months,
            current.and_then(|c| c.certification.as_ref()),
        );
        inv.finish(|| {
            Some(CurriculumFields {
                name: name?,
                role: role?,
                description,
                certification,
            })
        })
    }
}

/// Input for creating or changing a course; absent fields keep their value.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourseInput {
    pub curriculum_id: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    /// draft or published.
    pub status: Option<String>,
    pub position: Option<i64>,
    /// Default 80.
    pub pass_mark_pct: Option<i64>,
    /// Default 3.
    pub max_attempts: Option<i64>,
    /// Default 24.
    pub cooldown_hours: Option<i64>,
    /// The certification completing it grants ("" removes it).
    pub certification_name: Option<String>,
    pub validity_months: Option<i64>,
}

/// A course's fields, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseFields {
    pub curriculum_id: CurriculumId,
    pub title: String,
    pub summary: Option<String>,
    pub status: CourseStatus,
    pub position: Option<i64>,
    pub pass_mark_pct: i64,
    pub max_attempts: i64,
    pub cooldown_hours: i64,
    pub certification: Option<CertificationGrant>,
}

impl CourseFields {
    pub fn of(c: &Course) -> Self {
        CourseFields {
            curriculum_id: c.curriculum_id.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            status: c.status,
            position: Some(c.position),
            pass_mark_pct: c.pass_mark_pct,
            max_attempts: c.max_attempts,
            cooldown_hours: c.cooldown_hours,
            certification: c.certification.clone(),
        }
    }
}

fn ranged(
    inv: &mut Invalid,
    field: &str,
    raw: Option<i64>,
    current: Option<i64>,
    default: i64,
    (lo, hi): (i64, i64),
) -> Option<i64> {
    let v = raw.or(current).unwrap_or(default);
    if (lo..=hi).contains(&v) {
        Some(v)
    } else {
        inv.add(
            field,
            "range",
            format!("{field} must be between {lo} and {hi}"),
        );
        None
    }
}

impl CourseInput {
    pub fn parse(&self, current: Option<&CourseFields>) -> Result<CourseFields, Invalid> {
        let mut inv = Invalid::new();
        let curriculum_id = match (&self.curriculum_id, current) {
            (None, Some(c)) => Some(c.curriculum_id.clone()),
            (Some(raw), _) => inv.check(parse_id("curriculum_id", raw)),
            (None, None) => {
                inv.add("curriculum_id", "required", "curriculum_id is required");
                None
            }
        };
        let title = match (&self.title, current) {
            (None, Some(c)) => Some(c.title.clone()),
            (raw, _) => inv.check(text::required("title", raw.as_deref(), 160)),
        };
        let summary = match &self.summary {
            Some(raw) => inv
                .check(text::multiline_optional("summary", Some(raw), 2000))
                .flatten(),
            None => current.and_then(|c| c.summary.clone()),
        };
        let status = match &self.status {
            Some(raw) => inv.check(CourseStatus::parse("status", raw)),
            None => Some(current.map_or(CourseStatus::Draft, |c| c.status)),
        };
        let position = match self.position {
            Some(p) if p >= 1 => Some(p),
            Some(_) => {
                inv.add("position", "range", "position must be 1 or more");
                None
            }
            None => current.and_then(|c| c.position),
        };
        let pass_mark_pct = ranged(
            &mut inv,
            "pass_mark_pct",
            self.pass_mark_pct,
            current.map(|c| c.pass_mark_pct),
            80,
            (1, 100),
        );
        let max_attempts = ranged(
            &mut inv,
            "max_attempts",
            self.max_attempts,
            current.map(|c| c.max_attempts),
            3,
            (1, 20),
        );
        let cooldown_hours = ranged(
            &mut inv,
            "cooldown_hours",
            self.cooldown_hours,
            current.map(|c| c.cooldown_hours),
            24,
            (0, 24 * 30),
        );
        let certification = grant(
            &mut inv,
            self.certification_name.as_deref(),
            self.validity_months,
            current.and_then(|c| c.certification.as_ref()),
        );
        inv.finish(|| {
            Some(CourseFields {
                curriculum_id: curriculum_id?,
                title: title?,
                summary,
                status: status?,
                position,
                pass_mark_pct: pass_mark_pct?,
                max_attempts: max_attempts?,
                cooldown_hours: cooldown_hours?,
                certification,
            })
        })
    }
}

/// Input for creating or changing a module; absent fields keep their value.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModuleInput {
    pub title: Option<String>,
    /// Markdown.
    pub body: Option<String>,
    /// Order in the course (default: last).
    pub position: Option<i64>,
}

/// A module's fields, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleFields {
    pub title: String,
    pub body: String,
    pub position: Option<i64>,
}

impl ModuleInput {
    pub fn parse(&self, current: Option<&CourseModule>) -> Result<ModuleFields, Invalid> {
        let mut inv = Invalid::new();
        let title = match (&self.title, current) {
            (None, Some(c)) => Some(c.title.clone()),
            (raw, _) => inv.check(text::required("title", raw.as_deref(), 160)),
        };
        let body = match (&self.body, current) {
            (None, Some(c)) => Some(c.body.clone()),
            (raw, _) => inv.check(text::multiline_required(
                "body",
                raw.as_deref(),
                MAX_BODY_CHARS,
            )),
        };
        let position = match self.position {
            Some(p) if p >= 1 => Some(p),
            Some(_) => {
                inv.add("position", "range", "position must be 1 or more");
                None
            }
            None => current.map(|c| c.position),
        };
        inv.finish(|| {
            Some(ModuleFields {
                title: title?,
                body: body?,
                position,
            })
        })
    }
}

/// An option as authored.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OptionInput {
    pub text: Option<String>,
    #[serde(default)]
    pub correct: bool,
}

/// Input for creating or changing a question; absent fields keep their value (options are
/// replaced as a whole).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuestionInput {
    pub prompt: Option<String>,
    /// single or multiple.
    pub kind: Option<String>,
    pub options: Option<Vec<OptionInput>>,
    pub position: Option<i64>,
}

/// A question's fields, parsed; options as (text, correct) in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionFields {
    pub prompt: String,
    pub kind: QuestionKind,
    /// `None`: keep the current options (ids included).
    pub options: Option<Vec<(String, bool)>>,
    pub position: Option<i64>,
}

impl QuestionInput {
    pub fn parse(&self, current: Option<&Question>) -> Result<QuestionFields, Invalid> {
        let mut inv = Invalid::new();
        let prompt = match (&self.prompt, current) {
            (None, Some(c)) => Some(c.prompt.clone()),
            (raw, _) => inv.check(text::multiline_required("prompt", raw.as_deref(), 1000)),
        };
        let kind = match (&self.kind, current) {
            (None, Some(c)) => Some(c.kind),
            (Some(raw), _) => inv.check(QuestionKind::parse("kind", raw)),
            (None, None) => Some(QuestionKind::Single),
        };
        let mut options = None;
        if let Some(list) = &self.options {
            let mut out = Vec::new();
            for (i, o) in list.iter().enumerate() {
                if let Some(t) = inv.check(text::required(
                    &format!("options[{i}].text"),
                    o.text.as_deref(),
                    300,
                )) {
                    out.push((t, o.correct));
                }
            }
            options = Some(out);
        } else if current.is_none() {
            inv.add("options", "required", "options are required");
        }
        // The rules on the options hold for whichever set the question ends up with.
        let effective: Option<Vec<bool>> = options
            .as_ref()
            .map(|o| o.iter().map(|(_, c)| *c).collect())
            .or_else(|| current.map(|c| c.options.iter().map(|o| o.correct).collect()));
        if let (Some(flags), Some(kind)) = (&effective, kind) {
            let right = flags.iter().filter(|c| **c).count();
            if flags.len() < 2 || flags.len() > MAX_OPTIONS {
                inv.add(
                    "options",
                    "count",
                    format!("a question has 2 to {MAX_OPTIONS} options"),
                );
            } else if kind == QuestionKind::Single && right != 1 {
                inv.add(
                    "options",
                    "question.one_correct",
                    "a multiple-choice question has exactly one right option",
                );
            } else if kind == QuestionKind::Multiple && right == 0 {
                inv.add(
                    "options",
                    "question.some_correct",
                    "a multiple-answer question has at least one right option",
                );
            }
        }
        let position = match self.position {
            Some(p) if p >= 1 => Some(p),
            Some(_) => {
                inv.add("position", "range", "position must be 1 or more");
                None
            }
            None => current.map(|c| c.position),
        };
        inv.finish(|| {
            Some(QuestionFields {
                prompt: prompt?,
                kind: kind?,
                options,
                position,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_needs_its_validity() {
        let e = CourseInput {
            curriculum_id: Some("cur_0192f0c4a1b27c3d8e9f001122334455".into()),
            title: Some("Pitch".into()),
            certification_name: Some("Sales certified".into()),
            ..CourseInput::default()
        }
        .parse(None)
        .unwrap_err();
        assert_eq!(e.errors[0].field, "validity_months");
        let ok = CourseInput {
            curriculum_id: Some("cur_0192f0c4a1b27c3d8e9f001122334455".into()),
            title: Some("Pitch".into()),
            certification_name: Some("Sales certified".into()),
            validity_months: Some(12),
            ..CourseInput::default()
        }
        .parse(None)
        .unwrap();
        assert_eq!(
            (ok.pass_mark_pct, ok.max_attempts, ok.cooldown_hours),
            (80, 3, 24)
        );
        // An update keeps what it does not name, and "" removes the grant.
        let cleared = CourseInput {
            certification_name: Some(String::new()),
            ..CourseInput::default()
        }
        .parse(Some(&ok))
        .unwrap();
        assert_eq!(cleared.certification, None);
        assert_eq!(cleared.title, "Pitch");
    }

    #[test]
    fn question_options_follow_the_kind() {
        let opts = |flags: &[bool]| {
            Some(
                flags
                    .iter()
                    .enumerate()
                    .map(|(i, c)| OptionInput {
                        text: Some(format!("o{i}")),
                        correct: *c,
                    })
                    .collect(),
            )
        };
        let single = |flags: &[bool]| QuestionInput {
            prompt: Some("Which?".into()),
            kind: Some("single".into()),
            options: opts(flags),
            position: None,
        };
        assert!(single(&[true, false]).parse(None).is_ok());
        let e = single(&[true, true]).parse(None).unwrap_err();
        assert_eq!(e.errors[0].rule, "question.one_correct");
        let e = single(&[true]).parse(None).unwrap_err();
        assert_eq!(e.errors[0].rule, "count");
        let multi = QuestionInput {
            kind: Some("multiple".into()),
            ..single(&[false, false])
        };
        assert_eq!(
            multi.parse(None).unwrap_err().errors[0].rule,
            "question.some_correct"
        );
    }
}
