//! Enablement: curricula, courses, modules and assessment questions authored by vendor
//! staff (here), enrolments, progress and assessment attempts of partner users
//! ([`learning`]), and certifications with their expiry, reminders and the tier metric
//! `certified_individuals` ([`certification`]). The rules are the core's
//! (`partnerops_core::enablement`); here they are read, written and scoped. Partners see
//! published courses and their modules, never the answer key; their people's learning
//! records through `scope::restrict` and `scope::restrict_learner` (an admin sees all of its
//! partner's people, a rep only themselves).

pub mod certification;
pub mod learning;

use chrono::{DateTime, Utc};
use partnerops_core::FieldError;
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::enablement::record::{
    CertificationGrant, Course, CourseDetail, CourseFields, CourseInput, CourseModule, Curriculum,
    CurriculumFields, CurriculumInput, ModuleInput, Question, QuestionInput, QuestionOption,
};
use partnerops_core::enablement::{CourseStatus, CurriculumRole, QuestionKind};
use partnerops_core::ids::{CourseId, CourseModuleId, CurriculumId, EntityId, QuestionId};
use partnerops_core::scope::{Action, Scope};

use crate::db::{Exec, Sql, Tx, row};
use crate::entity::{json_column, to_json};
use crate::etag::{self, Precondition};
use crate::jobs::Job;
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope};

/// The jobs of this capability: expiry and reminders, daily.
pub(crate) fn jobs() -> Vec<Box<dyn Job>> {
    vec![Box::new(certification::Daily)]
}

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(format!("{}: {}", e.field, e.message))
}

fn grant_of(name: Option<String>, months: Option<i64>) -> Option<CertificationGrant> {
    Some(CertificationGrant {
        name: name?,
        validity_months: months?,
    })
}

row! {
    struct CurriculumRow {
        id: String,
        name: String,
        role: String,
        description: Option<String>,
        certification_name: Option<String>,
        validity_months: Option<i64>,
        course_count: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

fn curriculum_of(r: CurriculumRow) -> Result<Curriculum> {
    Ok(Curriculum {
        id: CurriculumId::from_trusted(r.id),
        name: r.name,
        role: CurriculumRole::parse("role", &r.role).map_err(corrupt)?,
        description: r.description,
        certification: grant_of(r.certification_name, r.validity_months),
        course_count: r.course_count,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// The curricula, each with the number of courses the scope sees.
fn curriculum_sql(scope: &Scope) -> Sql {
    let mut q = Sql::new(
        "SELECT cu.id, cu.name, cu.role, cu.description, cu.certification_name, cu.validity_months, (SELECT COUNT(*) FROM courses c WHERE c.curriculum_id = cu.id",
    );
    scope::restrict(&mut q, scope, EntityKind::Course, "c");
    q.push(") AS course_count, cu.created_at, cu.updated_at FROM curricula cu WHERE 1 = 1");
    scope::restrict(&mut q, scope, EntityKind::Curriculum, "cu");
    q
}

row! {
    pub(crate) struct CourseRow {
        id: String,
        curriculum_id: String,
        curriculum_name: String,
        position: i64,
        title: String,
        summary: Option<String>,
        status: String,
        pass_mark_pct: i64,
        max_attempts: i64,
        cooldown_hours: i64,
        certification_name: Option<String>,
        validity_months: Option<i64>,
        module_count: i64,
        question_count: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

fn course_of(r: CourseRow) -> Result<Course> {
    Ok(Course {
        id: CourseId::from_trusted(r.id),
        curriculum_id: CurriculumId::from_trusted(r.curriculum_id),
        curriculum_name: r.curriculum_name,
        position: r.position,
        title: r.title,
        summary: r.summary,
        status: CourseStatus::parse("status", &r.status).map_err(corrupt)?,
        pass_mark_pct: r.pass_mark_pct,
        max_attempts: r.max_attempts,
        cooldown_hours: r.cooldown_hours,
        certification: grant_of(r.certification_name, r.validity_months),
        module_count: r.module_count,
        question_count: r.question_count,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

const COURSE_SELECT: &str = "SELECT c.id, c.curriculum_id, cu.name AS curriculum_name, c.position, c.title, c.summary, c.status, c.pass_mark_pct, c.max_attempts, c.cooldown_hours, c.certification_name, c.validity_months, (SELECT COUNT(*) FROM course_modules m WHERE m.course_id = c.id) AS module_count, (SELECT COUNT(*) FROM course_questions cq WHERE cq.course_id = c.id) AS question_count, c.created_at, c.updated_at FROM courses c JOIN curricula cu ON cu.id = c.curriculum_id WHERE 1 = 1";

row! {
    struct ModuleRow {
        id: String,
        course_id: String,
        position: i64,
        title: String,
        body: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

fn module_of(r: ModuleRow) -> CourseModule {
    CourseModule {
        id: CourseModuleId::from_trusted(r.id),
        course_id: CourseId::from_trusted(r.course_id),
        position: r.position,
        title: r.title,
        body: r.body,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

const MODULE_SELECT: &str = "SELECT m.id, m.course_id, m.position, m.title, m.body, m.created_at, m.updated_at FROM course_modules m WHERE 1 = 1";

row! {
    pub(crate) struct QuestionRow {
        id: String,
        course_id: String,
        position: i64,
        prompt: String,
        kind: String,
        options: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

fn question_of(r: QuestionRow) -> Result<Question> {
    Ok(Question {
        id: QuestionId::from_trusted(r.id),
        course_id: CourseId::from_trusted(r.course_id),
        position: r.position,
        prompt: r.prompt,
        kind: QuestionKind::parse("kind", &r.kind).map_err(corrupt)?,
        options: json_column("options", &r.options)?,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

const QUESTION_SELECT: &str = "SELECT cq.id, cq.course_id, cq.position, cq.prompt, cq.kind, cq.options, cq.created_at, cq.updated_at FROM course_questions cq WHERE 1 = 1";

/// The course `id` as `scope` sees it.
pub(crate) async fn fetch_course(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<Course> {
    let mut q = Sql::new(COURSE_SELECT);
    q.push(" AND c.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::Course, "c");
    course_of(
        x.optional::<CourseRow>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::Course))?,
    )
}

/// The modules of a course, in order.
pub(crate) async fn course_modules(
    x: &mut impl Exec,
    course_id: &str,
) -> Result<Vec<CourseModule>> {
    let mut q = Sql::new(MODULE_SELECT);
    q.push(" AND m.course_id = ")
        .bind(course_id)
        .push(" ORDER BY m.position, m.id");
    Ok(x.all::<ModuleRow>(&q)
        .await?
        .into_iter()
        .map(module_of)
        .collect())
}

/// The questions of a course with their answer key, in authoring order. Store-internal:
/// only staff reads reach the API with it.
pub(crate) async fn course_questions(x: &mut impl Exec, course_id: &str) -> Result<Vec<Question>> {
    let mut q = Sql::new(QUESTION_SELECT);
    q.push(" AND cq.course_id = ")
        .bind(course_id)
        .push(" ORDER BY cq.position, cq.id");
    x.all::<QuestionRow>(&q)
        .await?
        .into_iter()
        .map(question_of)
        .collect()
}

/// The next position after the last in `table` for `parent` = `id`.
async fn next_position(tx: &mut Tx, table: &str, parent: &str, id: &str) -> Result<i64> {
    row! { struct Last { last: Option<i64> } }
    let mut q = Sql::new(&format!(
        "SELECT CAST(MAX(position) AS BIGINT) AS last FROM {table} WHERE {parent} = "
    ));
    q.bind(id);
    Ok(tx
        .optional::<Last>(&q)
        .await?
        .and_then(|l| l.last)
        .unwrap_or(0)
        + 1)
}

/// A fresh option id: short, random, and telling nothing about the option's position.
fn option_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
}

/// Filters for the course list.
#[derive(Clone, Debug, Default)]
pub struct CourseFilter {
    pub curriculum_id: Option<CurriculumId>,
}

impl Store {
    /// Every curriculum, by name.
    #[tracing::instrument(skip_all)]
    pub async fn curricula(&self, scope: &Scope) -> Result<Vec<Curriculum>> {
        let mut q = curriculum_sql(scope);
        q.push(" ORDER BY cu.name, cu.id");
        self.db
            .read()
            .all::<CurriculumRow>(&q)
            .await?
            .into_iter()
            .map(curriculum_of)
            .collect()
    }

    #[tracing::instrument(skip_all, fields(id))]
    pub async fn curriculum(&self, scope: &Scope, id: &str) -> Result<Curriculum> {
        fetch_curriculum(&mut self.db.read(), scope, id).await
    }

    /// Creates a curriculum (staff who author enablement).
    #[tracing::instrument(skip_all)]
    pub async fn create_curriculum(
        &self,
        actor: &Actor,
        input: &CurriculumInput,
    ) -> Result<Curriculum> {
        actor.authorize(&Action::AuthorEnablement)?;
        let f = input.parse(None)?;
        let now = self.now();
        let id: CurriculumId = new_id();
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new(
            "INSERT INTO curricula (id, name, role, description, certification_name, validity_months, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str()).push(", ");
        push_curriculum_values(&mut q, &f);
        q.push(", ").bind(now).push(", ").bind(now).push(")");
        tx.execute(&q).await?;
        let after = fetch_curriculum(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Curriculum,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Changes a curriculum; absent fields keep their value.
    /// [`Store::update_curriculum_if`] without a precondition.
    pub async fn update_curriculum(
        &self,
        actor: &Actor,
        id: &str,
        input: &CurriculumInput,
    ) -> Result<Curriculum> {
        self.update_curriculum_if(actor, id, input, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(id))]
    pub async fn update_curriculum_if(
        &self,
        actor: &Actor,
        id: &str,
        input: &CurriculumInput,
        precondition: &crate::etag::Precondition,
    ) -> Result<Curriculum> {
        let mut tx = self.db.begin_write().await?;
        crate::etag::hold(&mut tx, "curricula", id, precondition).await?;
        let before = fetch_curriculum(&mut tx, &actor.scope(), id).await?;
        precondition.check(&before)?;
        actor.authorize(&Action::AuthorEnablement)?;
        let f = input.parse(Some(&CurriculumFields::of(&before)))?;
        let now = self.now();
        let mut q = Sql::new("UPDATE curricula SET name = ");
        q.bind(f.name.as_str())
            .push(", role = ")
            .bind(f.role.as_str())
            .push(", description = ")
            .bind(f.description.as_deref())
            .push(", certification_name = ")
            .bind(f.certification.as_ref().map(|g| g.name.as_str()))
            .push(", validity_months = ")
            .bind(f.certification.as_ref().map(|g| g.validity_months))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = fetch_curriculum(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Curriculum,
            id,
            AuditAction::Updated,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Courses the scope sees (partners: published ones), by curriculum and position.
    #[tracing::instrument(skip_all)]
    pub async fn courses(&self, scope: &Scope, filter: &CourseFilter) -> Result<Vec<Course>> {
        let mut q = Sql::new(COURSE_SELECT);
        scope::restrict(&mut q, scope, EntityKind::Course, "c");
        if let Some(c) = &filter.curriculum_id {
            q.push(" AND c.curriculum_id = ").bind(c.as_str());
        }
        q.push(" ORDER BY cu.name, c.curriculum_id, c.position, c.id");
        self.db
            .read()
            .all::<CourseRow>(&q)
            .await?
            .into_iter()
            .map(course_of)
            .collect()
    }

    /// A course with its modules.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn course(&self, scope: &Scope, id: &str) -> Result<CourseDetail> {
        let mut r = self.db.read();
        let course = fetch_course(&mut r, scope, id).await?;
        let modules = course_modules(&mut r, id).await?;
        Ok(CourseDetail { course, modules })
    }

    /// Creates a course in a curriculum (draft unless said otherwise).
    #[tracing::instrument(skip_all)]
    pub async fn create_course(&self, actor: &Actor, input: &CourseInput) -> Result<Course> {
        actor.authorize(&Action::AuthorEnablement)?;
        let f = input.parse(None)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        fetch_curriculum(&mut tx, &Scope::Vendor, f.curriculum_id.as_str())
            .await
            .map_err(|_| {
                StoreError::Invalid(partnerops_core::Invalid::one(
                    "curriculum_id",
                    "exists",
                    "no such curriculum",
                ))
            })?;
        let position = match f.position {
            Some(p) => p,
            None => {
                next_position(
                    &mut tx,
                    "courses",
                    "curriculum_id",
                    f.curriculum_id.as_str(),
                )
                .await?
            }
        };
        let id: CourseId = new_id();
        let mut q = Sql::new(
            "INSERT INTO courses (id, curriculum_id, position, title, summary, status, pass_mark_pct, max_attempts, cooldown_hours, certification_name, validity_months, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str()).push(", ");
        push_course_values(&mut q, &f, position);
        q.push(", ").bind(now).push(", ").bind(now).push(")");
        tx.execute(&q).await?;
        let after = fetch_course(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Course,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Changes a course; absent fields keep their value.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn update_course(
        &self,
        actor: &Actor,
        id: &str,
        input: &CourseInput,
        precondition: &Precondition,
    ) -> Result<Course> {
        let mut tx = self.db.begin_write().await?;
        etag::hold(&mut tx, "courses", id, precondition).await?;
        let before = fetch_course(&mut tx, &actor.scope(), id).await?;
        precondition.check(&before)?;
        actor.authorize(&Action::AuthorEnablement)?;
        let f: CourseFields = input.parse(Some(&CourseFields::of(&before)))?;
        if f.curriculum_id != before.curriculum_id {
            fetch_curriculum(&mut tx, &Scope::Vendor, f.curriculum_id.as_str())
                .await
                .map_err(|_| {
                    StoreError::Invalid(partnerops_core::Invalid::one(
                        "curriculum_id",
                        "exists",
                        "no such curriculum",
                    ))
                })?;
        }
        let now = self.now();
        let mut q = Sql::new("UPDATE courses SET curriculum_id = ");
        q.bind(f.curriculum_id.as_str())
            .push(", position = ")
            .bind(f.position.unwrap_or(before.position))
            .push(", title = ")
            .bind(f.title.as_str())
            .push(", summary = ")
            .bind(f.summary.as_deref())
            .push(", status = ")
            .bind(f.status.as_str())
            .push(", pass_mark_pct = ")
            .bind(f.pass_mark_pct)
            .push(", max_attempts = ")
            .bind(f.max_attempts)
            .push(", cooldown_hours = ")
            .bind(f.cooldown_hours)
            .push(", certification_name = ")
            .bind(f.certification.as_ref().map(|g| g.name.as_str()))
            .push(", validity_months = ")
            .bind(f.certification.as_ref().map(|g| g.validity_months))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = fetch_course(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Course,
            id,
            AuditAction::Updated,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Adds a module to a course (last unless a position is given).
    #[tracing::instrument(skip_all, fields(course_id))]
    pub async fn add_course_module(
        &self,
        actor: &Actor,
        course_id: &str,
        input: &ModuleInput,
    ) -> Result<CourseModule> {
        let mut tx = self.db.begin_write().await?;
        fetch_course(&mut tx, &actor.scope(), course_id).await?;
        actor.authorize(&Action::AuthorEnablement)?;
        let f = input.parse(None)?;
        let now = self.now();
        let position = match f.position {
            Some(p) => p,
            None => next_position(&mut tx, "course_modules", "course_id", course_id).await?,
        };
        let id: CourseModuleId = new_id();
        let mut q = Sql::new(
            "INSERT INTO course_modules (id, course_id, position, title, body, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(course_id)
            .push(", ")
            .bind(position)
            .push(", ")
            .bind(f.title.as_str())
            .push(", ")
            .bind(f.body.as_str())
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let after = fetch_module(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::CourseModule,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&after),
        )
        .await?;
        touch_course(&mut tx, course_id, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A module as `scope` sees it.
    pub async fn course_module(&self, scope: &Scope, id: &str) -> Result<CourseModule> {
        fetch_module(&mut self.db.read(), scope, id).await
    }

    /// Changes a module; absent fields keep their value.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn update_course_module(
        &self,
        actor: &Actor,
        id: &str,
        input: &ModuleInput,
        precondition: &Precondition,
    ) -> Result<CourseModule> {
        let mut tx = self.db.begin_write().await?;
        etag::hold(&mut tx, "course_modules", id, precondition).await?;
        let before = fetch_module(&mut tx, &actor.scope(), id).await?;
        precondition.check(&before)?;
        actor.authorize(&Action::AuthorEnablement)?;
        let f = input.parse(Some(&before))?;
        let now = self.now();
        let mut q = Sql::new("UPDATE course_modules SET title = ");
        q.bind(f.title.as_str())
            .push(", body = ")
            .bind(f.body.as_str())
            .push(", position = ")
            .bind(f.position.unwrap_or(before.position))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = fetch_module(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::CourseModule,
            id,
            AuditAction::Updated,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The questions of a course with the answer key: vendor staff only (a partner gets
    /// 404, as for a record it cannot see).
    #[tracing::instrument(skip_all, fields(course_id))]
    pub async fn questions(&self, scope: &Scope, course_id: &str) -> Result<Vec<Question>> {
        if *scope != Scope::Vendor {
            return Err(StoreError::NotFound(EntityKind::Question));
        }
        let mut r = self.db.read();
        fetch_course(&mut r, scope, course_id).await?;
        course_questions(&mut r, course_id).await
    }

    /// Adds a question to a course's assessment.
    #[tracing::instrument(skip_all, fields(course_id))]
    pub async fn add_question(
        &self,
        actor: &Actor,
        course_id: &str,
        input: &QuestionInput,
    ) -> Result<Question> {
        let mut tx = self.db.begin_write().await?;
        fetch_course(&mut tx, &actor.scope(), course_id).await?;
        actor.authorize(&Action::AuthorEnablement)?;
        let f = input.parse(None)?;
        let now = self.now();
        let position = match f.position {
            Some(p) => p,
            None => next_position(&mut tx, "course_questions", "course_id", course_id).await?,
        };
        let options: Vec<QuestionOption> = f
            .options
            .unwrap_or_default()
            .into_iter()
            .map(|(text, correct)| QuestionOption {
                id: option_id(),
                text,
                correct,
            })
            .collect();
        let id: QuestionId = new_id();
        let mut q = Sql::new(
            "INSERT INTO course_questions (id, course_id, position, prompt, kind, options, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(course_id)
            .push(", ")
            .bind(position)
            .push(", ")
            .bind(f.prompt.as_str())
            .push(", ")
            .bind(f.kind.as_str())
            .push(", ")
            .bind(to_json(&options)?)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let after = fetch_question(&mut tx, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Question,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&after),
        )
        .await?;
        touch_course(&mut tx, course_id, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Changes a question; options given replace the current ones (with new ids).
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn update_question(
        &self,
        actor: &Actor,
        id: &str,
        input: &QuestionInput,
        precondition: &Precondition,
    ) -> Result<Question> {
        if actor.scope() != Scope::Vendor {
            return Err(StoreError::NotFound(EntityKind::Question));
        }
        let mut tx = self.db.begin_write().await?;
        etag::hold(&mut tx, "course_questions", id, precondition).await?;
        let before = fetch_question(&mut tx, id).await?;
        precondition.check(&before)?;
        actor.authorize(&Action::AuthorEnablement)?;
        let f = input.parse(Some(&before))?;
        let options: Vec<QuestionOption> = match f.options {
            Some(list) => list
                .into_iter()
                .map(|(text, correct)| QuestionOption {
                    id: option_id(),
                    text,
                    correct,
                })
                .collect(),
            None => before.options.clone(),
        };
        let now = self.now();
        let mut q = Sql::new("UPDATE course_questions SET prompt = ");
        q.bind(f.prompt.as_str())
            .push(", kind = ")
            .bind(f.kind.as_str())
            .push(", options = ")
            .bind(to_json(&options)?)
            .push(", position = ")
            .bind(f.position.unwrap_or(before.position))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = fetch_question(&mut tx, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Question,
            id,
            AuditAction::Updated,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

async fn fetch_curriculum(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<Curriculum> {
    let mut q = curriculum_sql(scope);
    q.push(" AND cu.id = ").bind(id);
    curriculum_of(
        x.optional::<CurriculumRow>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::Curriculum))?,
    )
}

async fn fetch_module(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<CourseModule> {
    let mut q = Sql::new(MODULE_SELECT);
    q.push(" AND m.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::CourseModule, "m");
    Ok(module_of(
        x.optional::<ModuleRow>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::CourseModule))?,
    ))
}

async fn fetch_question(x: &mut impl Exec, id: &str) -> Result<Question> {
    let mut q = Sql::new(QUESTION_SELECT);
    q.push(" AND cq.id = ").bind(id);
    question_of(
        x.optional::<QuestionRow>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::Question))?,
    )
}

/// Marks a course changed (its content moved on).
async fn touch_course(tx: &mut Tx, course_id: &str, now: DateTime<Utc>) -> Result<()> {
    let mut q = Sql::new("UPDATE courses SET updated_at = ");
    q.bind(now).push(" WHERE id = ").bind(course_id);
    tx.execute(&q).await?;
    Ok(())
}

fn push_curriculum_values(q: &mut Sql, f: &CurriculumFields) {
    q.bind(f.name.as_str())
        .push(", ")
        .bind(f.role.as_str())
        .push(", ")
        .bind(f.description.as_deref())
        .push(", ")
        .bind(f.certification.as_ref().map(|g| g.name.as_str()))
        .push(", ")
        .bind(f.certification.as_ref().map(|g| g.validity_months));
}

fn push_course_values(q: &mut Sql, f: &CourseFields, position: i64) {
    q.bind(f.curriculum_id.as_str())
        .push(", ")
        .bind(position)
        .push(", ")
        .bind(f.title.as_str())
        .push(", ")
        .bind(f.summary.as_deref())
        .push(", ")
        .bind(f.status.as_str())
        .push(", ")
        .bind(f.pass_mark_pct)
        .push(", ")
        .bind(f.max_attempts)
        .push(", ")
        .bind(f.cooldown_hours)
        .push(", ")
        .bind(f.certification.as_ref().map(|g| g.name.as_str()))
        .push(", ")
        .bind(f.certification.as_ref().map(|g| g.validity_months));
}
