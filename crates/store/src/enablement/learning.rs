//! Enrolments, progress per module (the course player reopens at the last module viewed),
//! assessment attempts and course completion. A partner user works through their own
//! enrolments only; whoever may see an enrolment (the user, their partner's admin, vendor
//! staff) reads it. Completing a course (every module done and the assessment passed, when
//! it has one) is recorded once, by a conditional update, with an engagement event, an
//! audit event, an outbox event, and the certifications it grants (`certification`).

use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::enablement::EngagementKind;
use partnerops_core::enablement::assessment::{
    self, Answers, AttemptRules, Gate, KeyedQuestion, PastAttempt,
};
use partnerops_core::enablement::record::{
    Attempt, AttemptOption, AttemptQuestion, AttemptResult, Course, Enrolment, EnrolmentDetail,
    GivenAnswer, ProgressInput, Question, SubmitInput,
};
use partnerops_core::ids::{
    AttemptId, CourseId, CourseModuleId, EnrolmentId, EntityId, PartnerId, QuestionId, UserId,
};
use partnerops_core::scope::{Action, Denied, Scope};

use super::{certification, course_modules, course_questions, fetch_course};
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::entity::{json_column, to_json};
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope};

row! {
    struct EnrolmentRow {
        id: String,
        course_id: String,
        course_title: String,
        user_id: String,
        user_name: String,
        partner_id: String,
        partner_name: String,
        enrolled_at: DateTime<Utc>,
        last_module_id: Option<String>,
        modules_done: i64,
        modules_total: i64,
        passed_count: i64,
        completed_at: Option<DateTime<Utc>>,
    }
}

fn enrolment_of(r: EnrolmentRow) -> Enrolment {
    Enrolment {
        id: EnrolmentId::from_trusted(r.id),
        course_id: CourseId::from_trusted(r.course_id),
        course_title: r.course_title,
        user_id: UserId::from_trusted(r.user_id),
        user_name: r.user_name,
        partner_id: PartnerId::from_trusted(r.partner_id),
        partner_name: r.partner_name,
        enrolled_at: r.enrolled_at,
        last_module_id: r.last_module_id.map(CourseModuleId::from_trusted),
        modules_done: r.modules_done,
        modules_total: r.modules_total,
        assessment_passed: r.passed_count > 0,
        completed_at: r.completed_at,
    }
}

const ENROLMENT_SELECT: &str = "SELECT e.id, e.course_id, c.title AS course_title, e.user_id, u.display_name AS user_name, e.partner_id, p.name AS partner_name, e.enrolled_at, e.last_module_id, (SELECT COUNT(*) FROM module_progress mp WHERE mp.enrolment_id = e.id) AS modules_done, (SELECT COUNT(*) FROM course_modules m WHERE m.course_id = e.course_id) AS modules_total, (SELECT COUNT(*) FROM assessment_attempts a WHERE a.enrolment_id = e.id AND a.passed = 1) AS passed_count, e.completed_at FROM enrolments e JOIN courses c ON c.id = e.course_id JOIN users u ON u.id = e.user_id JOIN partners p ON p.id = e.partner_id WHERE 1 = 1";

row! {
    struct AttemptRow {
        id: String,
        enrolment_id: String,
        course_id: String,
        course_title: String,
        user_id: String,
        partner_id: String,
        number: i64,
        started_at: DateTime<Utc>,
        submitted_at: Option<DateTime<Utc>>,
        correct: Option<i64>,
        total: Option<i64>,
        score_pct: Option<i64>,
        passed: Option<i64>,
        answers: Option<String>,
        wrong: Option<String>,
        pass_mark_pct: i64,
        max_attempts: i64,
        cooldown_hours: i64,
    }
}

const ATTEMPT_SELECT: &str = "SELECT a.id, a.enrolment_id, a.course_id, c.title AS course_title, a.user_id, a.partner_id, a.number, a.started_at, a.submitted_at, a.correct, a.total, a.score_pct, a.passed, a.answers, a.wrong, c.pass_mark_pct, c.max_attempts, c.cooldown_hours FROM assessment_attempts a JOIN courses c ON c.id = a.course_id WHERE 1 = 1";

row! {
    struct PastRow {
        submitted_at: DateTime<Utc>,
        passed: i64,
    }
}

/// Filters for the enrolment list.
#[derive(Clone, Debug, Default)]
pub struct EnrolmentFilter {
    pub partner_id: Option<PartnerId>,
    pub course_id: Option<CourseId>,
    pub user_id: Option<UserId>,
}

/// The enrolment `id` as `actor` sees it.
async fn fetch_enrolment(x: &mut impl Exec, actor: &Actor, id: &str) -> Result<Enrolment> {
    let mut q = Sql::new(ENROLMENT_SELECT);
    q.push(" AND e.id = ").bind(id);
    scope::restrict(&mut q, &actor.scope(), EntityKind::Enrolment, "e");
    scope::restrict_learner(&mut q, actor, "e");
    Ok(enrolment_of(
        x.optional::<EnrolmentRow>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::Enrolment))?,
    ))
}

async fn completed_modules(x: &mut impl Exec, enrolment_id: &str) -> Result<Vec<CourseModuleId>> {
    row! { struct Done { module_id: String } }
    let mut q = Sql::new(
        "SELECT mp.module_id FROM module_progress mp JOIN course_modules m ON m.id = mp.module_id WHERE mp.enrolment_id = ",
    );
    q.bind(enrolment_id).push(" ORDER BY m.position, m.id");
    Ok(x.all::<Done>(&q)
        .await?
        .into_iter()
        .map(|d| CourseModuleId::from_trusted(d.module_id))
        .collect())
}

async fn detail(x: &mut impl Exec, actor: &Actor, id: &str) -> Result<EnrolmentDetail> {
    let enrolment = fetch_enrolment(x, actor, id).await?;
    let completed_module_ids = completed_modules(x, id).await?;
    Ok(EnrolmentDetail {
        enrolment,
        completed_module_ids,
    })
}

/// Only the learner works through their own enrolment; a partner's admin and vendor staff
/// read it.
fn own(actor: &Actor, e: &Enrolment) -> Result<()> {
    if actor.user_id() == Some(&e.user_id) {
        return Ok(());
    }
    Err(StoreError::Forbidden(Denied {
        rule: "enablement.own_enrolment",
        message: "only the enrolled user works through their course".to_owned(),
    }))
}

/// The submitted attempts of an enrolment, oldest first, as the gate reads them.
async fn past_attempts(x: &mut impl Exec, enrolment_id: &str) -> Result<Vec<PastAttempt>> {
    let mut q = Sql::new(
        "SELECT submitted_at, passed FROM assessment_attempts WHERE submitted_at IS NOT NULL AND enrolment_id = ",
    );
    q.bind(enrolment_id).push(" ORDER BY submitted_at, id");
    Ok(x.all::<PastRow>(&q)
        .await?
        .into_iter()
        .map(|r| PastAttempt {
            submitted_at: r.submitted_at,
            passed: r.passed == 1,
        })
        .collect())
}

fn rules_of(max_attempts: i64, cooldown_hours: i64) -> AttemptRules {
    AttemptRules {
        max_attempts: u32::try_from(max_attempts).unwrap_or(1),
        cooldown_hours: u32::try_from(cooldown_hours).unwrap_or(0),
    }
}

fn keyed(questions: &[Question]) -> Vec<KeyedQuestion> {
    questions
        .iter()
        .map(|q| KeyedQuestion {
            id: q.id.to_string(),
            kind: q.kind,
            options: q.options.iter().map(|o| o.id.clone()).collect(),
            correct: q
                .options
                .iter()
                .filter(|o| o.correct)
                .map(|o| o.id.clone())
                .collect(),
        })
        .collect()
}

/// The questions as the learner of attempt `attempt_id` sees them: shuffled by the
/// attempt's id, options too, and without the answer key.
fn learner_view(attempt_id: &str, questions: &[Question]) -> Vec<AttemptQuestion> {
    assessment::shuffled(questions, &assessment::question_key(attempt_id))
        .into_iter()
        .map(|q| {
            let options = assessment::shuffled(
                &q.options,
                &assessment::option_key(attempt_id, q.id.as_str()),
            )
            .into_iter()
            .map(|o| AttemptOption {
                id: o.id,
                text: o.text,
            })
            .collect();
            AttemptQuestion {
                id: q.id,
                prompt: q.prompt,
                kind: q.kind,
                options,
            }
        })
        .collect()
}

/// An attempt as the API shows it, read with `x`, the gate as of `now`.
async fn attempt_view(x: &mut impl Exec, r: AttemptRow, now: DateTime<Utc>) -> Result<Attempt> {
    let questions = course_questions(x, &r.course_id).await?;
    let result = match (r.submitted_at, r.correct, r.total, r.score_pct, r.passed) {
        (Some(_), Some(correct), Some(total), Some(score_pct), Some(passed)) => {
            let wrong: Vec<String> = match &r.wrong {
                Some(w) => json_column("wrong", w)?,
                None => Vec::new(),
            };
            let past = past_attempts(x, &r.enrolment_id).await?;
            let (attempts_left, retry_at) =
                match assessment::gate(rules_of(r.max_attempts, r.cooldown_hours), &past, now) {
                    Gate::Open { attempts_left } => (Some(i64::from(attempts_left)), None),
                    Gate::Passed => (None, None),
                    Gate::Exhausted { retry_at } => (None, Some(retry_at)),
                };
            Some(AttemptResult {
                correct,
                total,
                score_pct,
                pass_mark_pct: r.pass_mark_pct,
                passed: passed == 1,
                wrong_question_ids: wrong.into_iter().map(QuestionId::from_trusted).collect(),
                attempts_left,
                retry_at,
            })
        }
        _ => None,
    };
    let answers: Vec<GivenAnswer> = match &r.answers {
        Some(a) => json_column("answers", a)?,
        None => Vec::new(),
    };
    Ok(Attempt {
        questions: learner_view(&r.id, &questions),
        id: AttemptId::from_trusted(r.id),
        enrolment_id: EnrolmentId::from_trusted(r.enrolment_id),
        course_id: CourseId::from_trusted(r.course_id),
        course_title: r.course_title,
        user_id: UserId::from_trusted(r.user_id),
        partner_id: PartnerId::from_trusted(r.partner_id),
        number: r.number,
        started_at: r.started_at,
        submitted_at: r.submitted_at,
        answers,
        result,
    })
}

async fn attempt_row(x: &mut impl Exec, actor: &Actor, id: &str) -> Result<AttemptRow> {
    let mut q = Sql::new(ATTEMPT_SELECT);
    q.push(" AND a.id = ").bind(id);
    scope::restrict(&mut q, &actor.scope(), EntityKind::Attempt, "a");
    scope::restrict_learner(&mut q, actor, "a");
    x.optional::<AttemptRow>(&q)
        .await?
        .ok_or(StoreError::NotFound(EntityKind::Attempt))
}

async fn open_attempt(x: &mut impl Exec, enrolment_id: &str) -> Result<Option<AttemptRow>> {
    let mut q = Sql::new(ATTEMPT_SELECT);
    q.push(" AND a.submitted_at IS NULL AND a.enrolment_id = ")
        .bind(enrolment_id);
    Ok(x.optional::<AttemptRow>(&q).await?)
}

fn conflict_at(rule: &str, message: String) -> StoreError {
    StoreError::conflict("enrolment_id", rule, message)
}

impl Store {
    /// Enrols the caller (a partner user) in a published course; enrolling again returns
    /// the enrolment there is.
    #[tracing::instrument(skip_all, fields(course_id))]
    pub async fn enrol(&self, actor: &Actor, course_id: &str) -> Result<EnrolmentDetail> {
        let mut tx = self.db.begin_write().await?;
        fetch_course(&mut tx, &actor.scope(), course_id).await?;
        let (Some(partner), Some(user)) = (actor.partner_id().cloned(), actor.user_id().cloned())
        else {
            return Err(StoreError::Forbidden(Denied {
                rule: "role.take_course",
                message: "courses are taken by partner users".to_owned(),
            }));
        };
        actor.authorize(&Action::TakeCourse(&partner))?;
        let now = self.now();
        let id: EnrolmentId = new_id();
        let mut q = Sql::new(
            "INSERT INTO enrolments (id, course_id, user_id, partner_id, enrolled_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(course_id)
            .push(", ")
            .bind(user.as_str())
            .push(", ")
            .bind(partner.as_str())
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (user_id, course_id) DO NOTHING");
        let inserted = tx.execute(&q).await? == 1;
        row! { struct Id { id: String } }
        let mut q = Sql::new("SELECT id FROM enrolments WHERE user_id = ");
        q.bind(user.as_str())
            .push(" AND course_id = ")
            .bind(course_id);
        let existing = tx
            .optional::<Id>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::Enrolment))?;
        let d = detail(&mut tx, actor, &existing.id).await?;
        if inserted {
            audit::record(
                &mut tx,
                now,
                actor,
                EntityKind::Enrolment,
                id.as_str(),
                AuditAction::Created,
                Some(&partner),
                None::<&()>,
                Some(&d.enrolment),
            )
            .await?;
            // A course without modules or questions is complete on enrolling.
            self.complete_if_done(&mut tx, now, actor, &d.enrolment)
                .await?;
        }
        tx.commit().await?;
        if inserted {
            return self.enrolment(actor, &existing.id).await;
        }
        Ok(d)
    }

    /// Enrolments the caller may see: vendor staff every partner's, a partner's admin its
    /// people's, a rep their own; newest first, at most 500.
    #[tracing::instrument(skip_all)]
    pub async fn enrolments(&self, actor: &Actor, f: &EnrolmentFilter) -> Result<Vec<Enrolment>> {
        let mut q = Sql::new(ENROLMENT_SELECT);
        scope::restrict(&mut q, &actor.scope(), EntityKind::Enrolment, "e");
        scope::restrict_learner(&mut q, actor, "e");
        if let Some(p) = &f.partner_id {
            q.push(" AND e.partner_id = ").bind(p.as_str());
        }
        if let Some(c) = &f.course_id {
            q.push(" AND e.course_id = ").bind(c.as_str());
        }
        if let Some(u) = &f.user_id {
            q.push(" AND e.user_id = ").bind(u.as_str());
        }
        q.push(" ORDER BY e.enrolled_at DESC, e.id DESC LIMIT 500");
        Ok(self
            .db
            .read()
            .all::<EnrolmentRow>(&q)
            .await?
            .into_iter()
            .map(enrolment_of)
            .collect())
    }

    /// One enrolment with the modules done.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn enrolment(&self, actor: &Actor, id: &str) -> Result<EnrolmentDetail> {
        detail(&mut self.db.read(), actor, id).await
    }

    /// The caller's own enrolment in a course, if any.
    pub async fn my_enrolment(
        &self,
        actor: &Actor,
        course_id: &str,
    ) -> Result<Option<EnrolmentDetail>> {
        let Some(user) = actor.user_id() else {
            return Ok(None);
        };
        row! { struct Id { id: String } }
        let mut q = Sql::new("SELECT id FROM enrolments WHERE user_id = ");
        q.bind(user.as_str())
            .push(" AND course_id = ")
            .bind(course_id);
        let mut r = self.db.read();
        match r.optional::<Id>(&q).await? {
            Some(row) => Ok(Some(detail(&mut r, actor, &row.id).await?)),
            None => Ok(None),
        }
    }

    /// Records the learner's progress: the module viewed becomes where the player
    /// reopens; `complete` marks it done (once), which may complete the course.
    #[tracing::instrument(skip_all, fields(enrolment_id))]
    pub async fn record_progress(
        &self,
        actor: &Actor,
        enrolment_id: &str,
        input: &ProgressInput,
    ) -> Result<EnrolmentDetail> {
        let module_id = input.parse()?;
        let mut tx = self.db.begin_write().await?;
        let e = fetch_enrolment(&mut tx, actor, enrolment_id).await?;
        own(actor, &e)?;
        let modules = course_modules(&mut tx, e.course_id.as_str()).await?;
        if !modules.iter().any(|m| m.id == module_id) {
            return Err(Invalid::one(
                "module_id",
                "enablement.module_of_course",
                "the module is not part of this course",
            )
            .into());
        }
        let now = self.now();
        let mut q = Sql::new("UPDATE enrolments SET last_module_id = ");
        q.bind(module_id.as_str())
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(enrolment_id);
        tx.execute(&q).await?;
        if input.complete {
            let mut q = Sql::new(
                "INSERT INTO module_progress (enrolment_id, module_id, completed_at) VALUES (",
            );
            q.bind(enrolment_id)
                .push(", ")
                .bind(module_id.as_str())
                .push(", ")
                .bind(now)
                .push(") ON CONFLICT (enrolment_id, module_id) DO NOTHING");
            if tx.execute(&q).await? == 1 {
                let after = fetch_enrolment(&mut tx, actor, enrolment_id).await?;
                audit::record(
                    &mut tx,
                    now,
                    actor,
                    EntityKind::Enrolment,
                    enrolment_id,
                    AuditAction::Updated,
                    Some(&e.partner_id),
                    Some(&e),
                    Some(&after),
                )
                .await?;
                self.complete_if_done(&mut tx, now, actor, &after).await?;
            }
        }
        tx.commit().await?;
        self.enrolment(actor, enrolment_id).await
    }

    /// Starts an assessment attempt, or returns the one still open (a reload shows the
    /// same questions in the same order). Refused once passed, and while a round of
    /// attempts is used up (409 `assessment.attempts_exhausted` with the time the next
    /// round opens).
    #[tracing::instrument(skip_all, fields(enrolment_id))]
    pub async fn start_attempt(&self, actor: &Actor, enrolment_id: &str) -> Result<Attempt> {
        let mut tx = self.db.begin_write().await?;
        let e = fetch_enrolment(&mut tx, actor, enrolment_id).await?;
        own(actor, &e)?;
        actor.authorize(&Action::TakeCourse(&e.partner_id))?;
        let now = self.now();
        if let Some(open) = open_attempt(&mut tx, enrolment_id).await? {
            let view = attempt_view(&mut tx, open, now).await?;
            tx.commit().await?;
            return Ok(view);
        }
        let course: Course = fetch_course(&mut tx, &Scope::Vendor, e.course_id.as_str()).await?;
        if course.question_count == 0 {
            return Err(conflict_at(
                "assessment.none",
                "this course has no assessment".to_owned(),
            ));
        }
        let past = past_attempts(&mut tx, enrolment_id).await?;
        match assessment::gate(
            rules_of(course.max_attempts, course.cooldown_hours),
            &past,
            now,
        ) {
            Gate::Passed => {
                return Err(conflict_at(
                    "assessment.passed",
                    "the assessment is passed already".to_owned(),
                ));
            }
            Gate::Exhausted { retry_at } => {
                return Err(conflict_at(
                    "assessment.attempts_exhausted",
                    format!(
                        "all {} attempts are used; the cool-down of {} h ends at {} (retry_at {})",
                        course.max_attempts,
                        course.cooldown_hours,
                        retry_at.format("%Y-%m-%d %H:%M UTC"),
                        retry_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                    ),
                ));
            }
            Gate::Open { .. } => {}
        }
        row! { struct Count { n: i64 } }
        let mut q = Sql::new("SELECT COUNT(*) AS n FROM assessment_attempts WHERE enrolment_id = ");
        q.bind(enrolment_id);
        let number = tx.optional::<Count>(&q).await?.map_or(0, |c| c.n) + 1;
        let id: AttemptId = new_id();
        let mut q = Sql::new(
            "INSERT INTO assessment_attempts (id, enrolment_id, course_id, user_id, partner_id, number, started_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(enrolment_id)
            .push(", ")
            .bind(e.course_id.as_str())
            .push(", ")
            .bind(e.user_id.as_str())
            .push(", ")
            .bind(e.partner_id.as_str())
            .push(", ")
            .bind(number)
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (enrolment_id) WHERE submitted_at IS NULL DO NOTHING");
        tx.execute(&q).await?;
        let open = open_attempt(&mut tx, enrolment_id)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::Attempt))?;
        let view = attempt_view(&mut tx, open, now).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// An attempt: its questions in the attempt's order without the answer key, and the
    /// result once submitted.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn attempt(&self, actor: &Actor, id: &str) -> Result<Attempt> {
        let mut r = self.db.read();
        let row = attempt_row(&mut r, actor, id).await?;
        attempt_view(&mut r, row, self.now()).await
    }

    /// Submits an open attempt: scored against the answer key on the server, once (a
    /// second submission is refused with `assessment.submitted`). Passing may complete the
    /// course.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn submit_attempt(
        &self,
        actor: &Actor,
        id: &str,
        input: &SubmitInput,
    ) -> Result<Attempt> {
        let mut tx = self.db.begin_write().await?;
        let row = attempt_row(&mut tx, actor, id).await?;
        let e = fetch_enrolment(&mut tx, actor, &row.enrolment_id).await?;
        own(actor, &e)?;
        if row.submitted_at.is_some() {
            return Err(StoreError::conflict(
                "id",
                "assessment.submitted",
                "this attempt is submitted already; start a new one",
            ));
        }
        let questions = course_questions(&mut tx, &row.course_id).await?;
        let key = keyed(&questions);
        let mut answers = Answers::new();
        for a in &input.answers {
            answers
                .entry(a.question_id.clone())
                .or_default()
                .extend(a.option_ids.iter().cloned());
        }
        assessment::check_answers(&key, &answers)?;
        let pass_mark = u32::try_from(row.pass_mark_pct).unwrap_or(100);
        let s = assessment::score(&key, &answers, pass_mark);
        let given: Vec<GivenAnswer> = answers
            .iter()
            .map(|(q, o)| GivenAnswer {
                question_id: q.clone(),
                option_ids: o.iter().cloned().collect(),
            })
            .collect();
        let now = self.now();
        let mut q = Sql::new("UPDATE assessment_attempts SET submitted_at = ");
        q.bind(now)
            .push(", correct = ")
            .bind(i64::from(s.correct))
            .push(", total = ")
            .bind(i64::from(s.total))
            .push(", score_pct = ")
            .bind(i64::from(s.percent))
            .push(", passed = ")
            .bind(i64::from(s.passed))
            .push(", answers = ")
            .bind(to_json(&given)?)
            .push(", wrong = ")
            .bind(to_json(&s.wrong)?)
            .push(" WHERE submitted_at IS NULL AND id = ")
            .bind(id);
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "id",
                "assessment.submitted",
                "this attempt is submitted already; start a new one",
            ));
        }
        let after = attempt_row(&mut tx, actor, id).await?;
        let view = attempt_view(&mut tx, after, now).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Attempt,
            id,
            AuditAction::Updated,
            Some(&e.partner_id),
            None::<&()>,
            Some(&serde_json::json!({
                "course_id": view.course_id,
                "number": view.number,
                "result": view.result,
            })),
        )
        .await?;
        if s.passed {
            let e = fetch_enrolment(&mut tx, actor, &row.enrolment_id).await?;
            self.complete_if_done(&mut tx, now, actor, &e).await?;
        }
        tx.commit().await?;
        Ok(view)
    }

    /// Completes the enrolment when every module is done and the assessment (if any) is
    /// passed: once, by a conditional update; then the engagement event, the outbox event
    /// and the certifications the course, and perhaps its curriculum, grant.
    async fn complete_if_done(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        actor: &Actor,
        e: &Enrolment,
    ) -> Result<()> {
        let course = fetch_course(tx, &Scope::Vendor, e.course_id.as_str()).await?;
        let modules_done = e.modules_done >= e.modules_total;
        let assessed = course.question_count == 0 || e.assessment_passed;
        if e.completed_at.is_some() || !modules_done || !assessed {
            return Ok(());
        }
        let mut q = Sql::new("UPDATE enrolments SET completed_at = ");
        q.bind(now)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE completed_at IS NULL AND id = ")
            .bind(e.id.as_str());
        if tx.execute(&q).await? == 0 {
            return Ok(());
        }
        let after = fetch_enrolment(tx, &Actor::system("enablement"), e.id.as_str()).await?;
        audit::record(
            tx,
            now,
            actor,
            EntityKind::Enrolment,
            e.id.as_str(),
            AuditAction::Updated,
            Some(&e.partner_id),
            Some(e),
            Some(&after),
        )
        .await?;
        crate::engagement::record(
            tx,
            now,
            &e.partner_id,
            &e.user_id,
            EngagementKind::CourseCompleted,
            e.id.as_str(),
        )
        .await?;
        emit(
            tx,
            now,
            "enablement.course_completed",
            e.id.as_str(),
            Some(&e.partner_id),
            &after,
        )
        .await?;
        let today = now.date_naive();
        if let Some(g) = &course.certification {
            certification::grant(
                tx,
                now,
                actor,
                (&e.partner_id, &e.user_id, &e.user_name),
                g,
                partnerops_core::enablement::CertificationSource::Course,
                course.id.as_str(),
                today,
            )
            .await?;
        }
        certification::grant_curriculum_if_done(
            tx,
            now,
            actor,
            (&e.partner_id, &e.user_id, &e.user_name),
            course.curriculum_id.as_str(),
        )
        .await?;
        Ok(())
    }
}
