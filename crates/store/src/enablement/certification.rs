//! Certifications: granted in the transaction that completes a course (or the last course
//! of a curriculum), once per user, course or curriculum and day (a unique index); read by
//! the people who may see them; counted per partner for the tier metric
//! `certified_individuals` (distinct users of the partner holding one valid on the day);
//! reminded 30 and 7 days before they lapse and marked expired the day after, by the daily
//! job `certifications.daily`. Engagement events (`engagement_events`) are written here too.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::enablement::certification::{expires_on, reminder, reminder_key, valid_on};
use partnerops_core::enablement::record::{Certification, CertificationGrant};
use partnerops_core::enablement::{CertificationSource, EngagementKind};
use partnerops_core::ids::{CertificationId, EntityId, PartnerId, UserId};
use partnerops_core::scope::Scope;
use serde::Serialize;

use super::corrupt;
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope};

/// The job kind.
pub const DAILY: &str = "certifications.daily";

/// The payload of `certification.*` events: what the notification names, nothing more.
#[derive(Serialize)]
struct CertificationEvent<'a> {
    certification_id: &'a str,
    name: &'a str,
    user_id: &'a str,
    user_name: &'a str,
    partner_id: &'a str,
    expires_on: NaiveDate,
    days_left: Option<i64>,
}

/// Grants `g` to a user for completing `source_id` on `today`: once per user, source and
/// day; with its engagement event, audit event and `certification.earned`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn grant(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    (partner, user, user_name): (&PartnerId, &UserId, &str),
    g: &CertificationGrant,
    source: CertificationSource,
    source_id: &str,
    today: NaiveDate,
) -> Result<Option<Certification>> {
    let id: CertificationId = new_id();
    let months = u32::try_from(g.validity_months).unwrap_or(12);
    let until = expires_on(today, months);
    let mut q = Sql::new(
        "INSERT INTO certifications (id, user_id, partner_id, name, source, source_id, earned_on, expires_on, created_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(user.as_str())
        .push(", ")
        .bind(partner.as_str())
        .push(", ")
        .bind(g.name.as_str())
        .push(", ")
        .bind(source.as_str())
        .push(", ")
        .bind(source_id)
        .push(", ")
        .bind(today)
        .push(", ")
        .bind(until)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (user_id, source_id, earned_on) DO NOTHING");
    if tx.execute(&q).await? == 0 {
        return Ok(None);
    }
    let c = fetch(tx, &Scope::Vendor, id.as_str(), today).await?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Certification,
        id.as_str(),
        AuditAction::Created,
        Some(partner),
        None::<&()>,
        Some(&c),
    )
    .await?;
    crate::engagement::record(
        tx,
        now,
        partner,
        user,
        EngagementKind::CertificationEarned,
        id.as_str(),
    )
    .await?;
    emit(
        tx,
        now,
        "certification.earned",
        id.as_str(),
        Some(partner),
        &CertificationEvent {
            certification_id: id.as_str(),
            name: &g.name,
            user_id: user.as_str(),
            user_name,
            partner_id: partner.as_str(),
            expires_on: until,
            days_left: None,
        },
    )
    .await?;
    Ok(Some(c))
}

/// Grants the curriculum's certification when the user has completed every published
/// course of it (and the curriculum grants one).
pub(crate) async fn grant_curriculum_if_done(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    who: (&PartnerId, &UserId, &str),
    curriculum_id: &str,
) -> Result<()> {
    row! {
        struct Grant {
            certification_name: Option<String>,
            validity_months: Option<i64>,
            open_courses: i64,
            courses: i64,
        }
    }
    let mut q = Sql::new(
        "SELECT cu.certification_name, cu.validity_months, (SELECT COUNT(*) FROM courses c WHERE c.curriculum_id = cu.id AND c.status = 'published' AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.course_id = c.id AND e.completed_at IS NOT NULL AND e.user_id = ",
    );
    q.bind(who.1.as_str())
        .push(")) AS open_courses, (SELECT COUNT(*) FROM courses c WHERE c.curriculum_id = cu.id AND c.status = 'published') AS courses FROM curricula cu WHERE cu.id = ")
        .bind(curriculum_id);
    let Some(g) = tx.optional::<Grant>(&q).await? else {
        return Ok(());
    };
    let (Some(name), Some(validity_months)) = (g.certification_name, g.validity_months) else {
        return Ok(());
    };
    if g.courses == 0 || g.open_courses > 0 {
        return Ok(());
    }
    grant(
        tx,
        now,
        actor,
        who,
        &CertificationGrant {
            name,
            validity_months,
        },
        CertificationSource::Curriculum,
        curriculum_id,
        now.date_naive(),
    )
    .await?;
    Ok(())
}

row! {
    struct CertificationRow {
        id: String,
        name: String,
        user_id: String,
        user_name: String,
        partner_id: String,
        partner_name: String,
        source: String,
        source_id: String,
        earned_on: NaiveDate,
        expires_on: NaiveDate,
        created_at: DateTime<Utc>,
    }
}

const SELECT: &str = "SELECT c.id, c.name, c.user_id, u.display_name AS user_name, c.partner_id, p.name AS partner_name, c.source, c.source_id, c.earned_on, c.expires_on, c.created_at FROM certifications c JOIN users u ON u.id = c.user_id JOIN partners p ON p.id = c.partner_id WHERE 1 = 1";

fn of(r: CertificationRow, today: NaiveDate) -> Result<Certification> {
    Ok(Certification {
        valid: valid_on(r.earned_on, r.expires_on, today),
        id: CertificationId::from_trusted(r.id),
        name: r.name,
        user_id: UserId::from_trusted(r.user_id),
        user_name: r.user_name,
        partner_id: PartnerId::from_trusted(r.partner_id),
        partner_name: r.partner_name,
        source: CertificationSource::parse("source", &r.source).map_err(corrupt)?,
        source_id: r.source_id,
        earned_on: r.earned_on,
        expires_on: r.expires_on,
        created_at: r.created_at,
    })
}

async fn fetch(
    x: &mut impl Exec,
    scope: &Scope,
    id: &str,
    today: NaiveDate,
) -> Result<Certification> {
    let mut q = Sql::new(SELECT);
    q.push(" AND c.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::Certification, "c");
    of(
        x.optional::<CertificationRow>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::Certification))?,
        today,
    )
}

/// Which certifications a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CertificationState {
    /// Every one.
    #[default]
    All,
    /// Valid today.
    Valid,
    /// Valid today and lapsing within 30 days.
    Expiring,
    /// Lapsed.
    Expired,
}

impl CertificationState {
    pub fn parse(raw: &str) -> std::result::Result<Self, partnerops_core::FieldError> {
        match raw.trim() {
            "" | "all" => Ok(Self::All),
            "valid" => Ok(Self::Valid),
            "expiring" => Ok(Self::Expiring),
            "expired" => Ok(Self::Expired),
            _ => Err(partnerops_core::FieldError::new(
                "state",
                "one_of",
                "state must be one of: all, valid, expiring, expired",
            )),
        }
    }
}

/// Filters for the certification list.
#[derive(Clone, Debug, Default)]
pub struct CertificationFilter {
    pub partner_id: Option<PartnerId>,
    pub user_id: Option<UserId>,
    pub state: CertificationState,
}

/// Distinct users of each partner (of `program_id`, or only `partner_id`) holding a
/// certification valid on `day`: the tier metric `certified_individuals`. Archived users
/// no longer count.
pub(crate) async fn certified_counts(
    x: &mut impl Exec,
    program_id: Option<&str>,
    scope: &Scope,
    day: NaiveDate,
) -> Result<HashMap<String, i64>> {
    row! {
        struct Count {
            partner_id: String,
            n: i64,
        }
    }
    let mut q = Sql::new(
        "SELECT c.partner_id, COUNT(DISTINCT c.user_id) AS n FROM certifications c JOIN users u ON u.id = c.user_id JOIN partners p ON p.id = c.partner_id WHERE u.archived_at IS NULL AND c.earned_on <= ",
    );
    q.bind(day).push(" AND c.expires_on >= ").bind(day);
    if let Some(program) = program_id {
        q.push(" AND p.program_id = ").bind(program);
    }
    scope::restrict(&mut q, scope, EntityKind::Certification, "c");
    q.push(" GROUP BY c.partner_id");
    Ok(x.all::<Count>(&q)
        .await?
        .into_iter()
        .map(|c| (c.partner_id, c.n))
        .collect())
}

/// The count for one partner on `day` (0 without any).
pub(crate) async fn certified_individuals(
    x: &mut impl Exec,
    partner_id: &str,
    day: NaiveDate,
) -> Result<i64> {
    let scope = Scope::Partner(PartnerId::from_trusted(partner_id.to_owned()));
    Ok(certified_counts(x, None, &scope, day)
        .await?
        .get(partner_id)
        .copied()
        .unwrap_or(0))
}

/// What a daily run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DailyReport {
    pub reminded: usize,
    pub expired: usize,
}

impl From<DailyReport> for JobReport {
    fn from(r: DailyReport) -> JobReport {
        JobReport::default()
            .figure("reminded", r.reminded)
            .figure("expired", r.expired)
    }
}

/// Reminders and expiry as a job: daily at 05:30 UTC, before the 06:00 reminders and the
/// 07:00 digest.
pub(crate) struct Daily;

impl Job for Daily {
    fn kind(&self) -> &'static str {
        DAILY
    }

    fn schedule(&self) -> Schedule {
        Schedule::DailyAt(NaiveTime::from_hms_opt(5, 30, 0).unwrap_or(NaiveTime::MIN))
    }

    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move { Ok(store.certification_daily_at(now).await?.into()) })
    }
}

row! {
    struct DueRow {
        id: String,
        name: String,
        user_id: String,
        user_name: String,
        partner_id: String,
        expires_on: NaiveDate,
    }
}

impl Store {
    /// Certifications the caller may see (staff: every partner's; a partner's admin: its
    /// people's; a rep: their own), soonest expiry first, at most 500.
    #[tracing::instrument(skip_all)]
    pub async fn certifications(
        &self,
        actor: &Actor,
        f: &CertificationFilter,
    ) -> Result<Vec<Certification>> {
        let today = self.now().date_naive();
        let mut q = Sql::new(SELECT);
        scope::restrict(&mut q, &actor.scope(), EntityKind::Certification, "c");
        scope::restrict_learner(&mut q, actor, "c");
        if let Some(p) = &f.partner_id {
            q.push(" AND c.partner_id = ").bind(p.as_str());
        }
        if let Some(u) = &f.user_id {
            q.push(" AND c.user_id = ").bind(u.as_str());
        }
        match f.state {
            CertificationState::All => {}
            CertificationState::Valid => {
                q.push(" AND c.earned_on <= ")
                    .bind(today)
                    .push(" AND c.expires_on >= ")
                    .bind(today);
            }
            CertificationState::Expiring => {
                q.push(" AND c.earned_on <= ")
                    .bind(today)
                    .push(" AND c.expires_on >= ")
                    .bind(today)
                    .push(" AND c.expires_on <= ")
                    .bind(today + TimeDelta::days(30));
            }
            CertificationState::Expired => {
                q.push(" AND c.expires_on < ").bind(today);
            }
        }
        q.push(" ORDER BY c.expires_on, c.id LIMIT 500");
        self.db
            .read()
            .all::<CertificationRow>(&q)
            .await?
            .into_iter()
            .map(|r| of(r, today))
            .collect()
    }

    /// One certification.
    pub async fn certification(&self, actor: &Actor, id: &str) -> Result<Certification> {
        let today = self.now().date_naive();
        let mut q = Sql::new(SELECT);
        q.push(" AND c.id = ").bind(id);
        scope::restrict(&mut q, &actor.scope(), EntityKind::Certification, "c");
        scope::restrict_learner(&mut q, actor, "c");
        of(
            self.db
                .read()
                .optional::<CertificationRow>(&q)
                .await?
                .ok_or(StoreError::NotFound(EntityKind::Certification))?,
            today,
        )
    }

    /// The number of distinct users of a partner holding a valid certification today.
    pub async fn certified_individuals(&self, partner_id: &str) -> Result<i64> {
        certified_individuals(&mut self.db.read(), partner_id, self.now().date_naive()).await
    }

    /// Reminds holders 30 and 7 days before a certification lapses and marks lapsed ones
    /// expired, as of the store's clock; each reminder and expiry goes out once however
    /// often (and on however many instances) this runs.
    #[tracing::instrument(skip_all)]
    pub async fn certification_daily(&self) -> Result<DailyReport> {
        self.certification_daily_at(self.now()).await
    }

    async fn certification_daily_at(&self, now: DateTime<Utc>) -> Result<DailyReport> {
        let today = now.date_naive();
        let mut report = DailyReport::default();
        // Due reminders: valid today, lapsing within 30 days, and not superseded by a
        // later certification of the same user and source.
        let mut q = Sql::new(
            "SELECT c.id, c.name, c.user_id, u.display_name AS user_name, c.partner_id, c.expires_on FROM certifications c JOIN users u ON u.id = c.user_id WHERE u.archived_at IS NULL AND c.expires_on >= ",
        );
        q.bind(today)
            .push(" AND c.expires_on <= ")
            .bind(today + TimeDelta::days(30))
            .push(" AND NOT EXISTS (SELECT 1 FROM certifications l WHERE l.user_id = c.user_id AND l.source_id = c.source_id AND l.expires_on > c.expires_on) ORDER BY c.expires_on, c.id");
        let due: Vec<DueRow> = self.db.read().all(&q).await?;
        for c in &due {
            let Some(days) = reminder(c.expires_on, today) else {
                continue;
            };
            let mut tx = self.db.begin_write().await?;
            let mut q = Sql::new(
                "INSERT INTO reminders_sent (kind, entity_id, reminder_key, sent_at) VALUES (",
            );
            q.bind("certification.expiring")
                .push(", ")
                .bind(c.id.as_str())
                .push(", ")
                .bind(reminder_key(c.expires_on, days))
                .push(", ")
                .bind(now)
                .push(") ON CONFLICT (kind, entity_id, reminder_key) DO NOTHING");
            if tx.execute(&q).await? == 0 {
                continue;
            }
            let partner = PartnerId::from_trusted(c.partner_id.clone());
            emit(
                &mut tx,
                now,
                "certification.expiring",
                &c.id,
                Some(&partner),
                &CertificationEvent {
                    certification_id: &c.id,
                    name: &c.name,
                    user_id: &c.user_id,
                    user_name: &c.user_name,
                    partner_id: &c.partner_id,
                    expires_on: c.expires_on,
                    days_left: Some((c.expires_on - today).num_days()),
                },
            )
            .await?;
            tx.commit().await?;
            report.reminded += 1;
        }
        // Expiry: lapsed and not marked yet; each marked by a conditional update.
        let mut q = Sql::new(
            "SELECT c.id, c.name, c.user_id, u.display_name AS user_name, c.partner_id, c.expires_on FROM certifications c JOIN users u ON u.id = c.user_id WHERE c.expired_at IS NULL AND c.expires_on < ",
        );
        q.bind(today).push(" ORDER BY c.expires_on, c.id");
        let lapsed: Vec<DueRow> = self.db.read().all(&q).await?;
        let system = Actor::system(DAILY);
        for c in &lapsed {
            let mut tx = self.db.begin_write().await?;
            let before = fetch(&mut tx, &Scope::Vendor, &c.id, today).await?;
            let mut q = Sql::new("UPDATE certifications SET expired_at = ");
            q.bind(now)
                .push(" WHERE expired_at IS NULL AND id = ")
                .bind(c.id.as_str());
            if tx.execute(&q).await? == 0 {
                continue;
            }
            let partner = PartnerId::from_trusted(c.partner_id.clone());
            audit::record(
                &mut tx,
                now,
                &system,
                EntityKind::Certification,
                &c.id,
                AuditAction::Updated,
                Some(&partner),
                Some(&before),
                Some(&serde_json::json!({ "expired_at": now, "expires_on": c.expires_on })),
            )
            .await?;
            emit(
                &mut tx,
                now,
                "certification.expired",
                &c.id,
                Some(&partner),
                &CertificationEvent {
                    certification_id: &c.id,
                    name: &c.name,
                    user_id: &c.user_id,
                    user_name: &c.user_name,
                    partner_id: &c.partner_id,
                    expires_on: c.expires_on,
                    days_left: None,
                },
            )
            .await?;
            tx.commit().await?;
            report.expired += 1;
        }
        Ok(report)
    }
}
