//! Program governance bodies: the partner advisory council (members, quarterly meetings with
//! notes; drafts are shared with it in `policies`) and the first cohort a program launches
//! with. Sizes outside the policy's range are allowed, with a warning.

use chrono::{DateTime, Months, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, MeetingId, PartnerId, parse_id};
use partnerops_core::invalid::text;
use partnerops_core::lifecycle::record::{Cohort, Council, CouncilMeeting, CouncilMember};
use partnerops_core::partner::{Partner, parse_date};
use partnerops_core::program::Program;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use crate::db::{Exec, Sql, row};
use crate::entity;
use crate::policy::current_version;
use crate::{Actor, Result, Store, StoreError, audit, new_id};

row! {
    struct MemberRow {
        partner_id: String,
        partner_name: String,
        tier_name: String,
        since: DateTime<Utc>,
    }
}

row! {
    struct MeetingRow {
        id: String,
        held_on: NaiveDate,
        notes: String,
        author_name: String,
        created_at: DateTime<Utc>,
    }
}

/// A program partner the actor names, checked to belong to the program.
async fn program_partner(
    x: &mut impl Exec,
    program: &Program,
    field: &str,
    raw: &str,
) -> Result<Partner> {
    let id: PartnerId = parse_id(field, raw).map_err(|e| Invalid { errors: vec![e] })?;
    match entity::fetch::<Partner>(x, &Scope::Vendor, id.as_str()).await {
        Ok(p) if p.program_id == program.id && p.archived_at.is_none() => Ok(p),
        Ok(_) | Err(StoreError::NotFound(_)) => Err(Invalid::one(
            field,
            "program_partner",
            format!("{field} must name a live partner of this program ({raw} is not one)"),
        )
        .into()),
        Err(e) => Err(e),
    }
}

/// When the program was launched with its first cohort, if it was.
async fn launched_on(x: &mut impl Exec, program_id: &str) -> Result<Option<NaiveDate>> {
    row! {
        struct Launch {
            launched_on: Option<NaiveDate>,
        }
    }
    let mut q = Sql::new("SELECT launched_on FROM programs WHERE id = ");
    q.bind(program_id);
    Ok(x.optional::<Launch>(&q).await?.and_then(|l| l.launched_on))
}

fn size_warning(what: &str, n: i64, min: i64, max: i64) -> Option<String> {
    (n < min || n > max)
        .then(|| format!("{what} has {n} partners; the policy asks for {min} to {max}"))
}

impl Store {
    /// The council of a program (staff), with size warnings and when the next meeting is due.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn council(&self, scope: &Scope, program_id: &str) -> Result<Council> {
        let mut r = self.db.read();
        let program: Program = entity::fetch(&mut r, scope, program_id).await?;
        let policy = current_version(&mut r, program_id).await?.policy;
        let mut q = Sql::new(
            "SELECT cm.partner_id, p.name AS partner_name, t.name AS tier_name, cm.since FROM council_members cm JOIN partners p ON p.id = cm.partner_id JOIN tiers t ON t.id = p.tier_id WHERE cm.program_id = ",
        );
        q.bind(program_id).push(" ORDER BY p.name");
        let members: Vec<MemberRow> = r.all(&q).await?;
        let mut q = Sql::new(
            "SELECT id, held_on, notes, author_name, created_at FROM council_meetings WHERE program_id = ",
        );
        q.bind(program_id).push(" ORDER BY held_on DESC, id DESC");
        let meetings: Vec<MeetingRow> = r.all(&q).await?;
        let every = 12 / policy.council.meetings_per_year.clamp(1, 12) as u32;
        let next_meeting_due = meetings
            .first()
            .and_then(|m| m.held_on.checked_add_months(Months::new(every)));
        let warnings = size_warning(
            "The advisory council",
            members.len() as i64,
            policy.council.min_members,
            policy.council.max_members,
        )
        .into_iter()
        .collect();
        Ok(Council {
            program_id: program.id,
            members: members
                .into_iter()
                .map(|m| CouncilMember {
                    partner_id: PartnerId::from_trusted(m.partner_id),
                    partner_name: m.partner_name,
                    tier_name: m.tier_name,
                    since: m.since,
                })
                .collect(),
            meetings: meetings
                .into_iter()
                .map(|m| CouncilMeeting {
                    id: MeetingId::from_trusted(m.id),
                    held_on: m.held_on,
                    notes: m.notes,
                    author_name: m.author_name,
                    created_at: m.created_at,
                })
                .collect(),
            next_meeting_due,
            warnings,
        })
    }

    /// Adds (or removes) a partner of the program to the council.
    #[tracing::instrument(skip_all, fields(program_id = %program_id, partner_id = %partner_id))]
    pub async fn set_council_member(
        &self,
        actor: &Actor,
        program_id: &str,
        partner_id: &str,
        member: bool,
    ) -> Result<Council> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let program: Program = entity::fetch(&mut tx, &actor.scope(), program_id).await?;
        actor.authorize(&Action::WriteProgram)?;
        let partner = program_partner(&mut tx, &program, "partner_id", partner_id).await?;
        let mut q = Sql::new("DELETE FROM council_members WHERE program_id = ");
        q.bind(program_id)
            .push(" AND partner_id = ")
            .bind(partner.id.as_str());
        tx.execute(&q).await?;
        if member {
            let mut q =
                Sql::new("INSERT INTO council_members (program_id, partner_id, since) VALUES (");
            q.bind(program_id)
                .push(", ")
                .bind(partner.id.as_str())
                .push(", ")
                .bind(now)
                .push(")");
            tx.execute(&q).await?;
        }
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Council,
            program_id,
            AuditAction::Updated,
            Some(&partner.id),
            None::<&()>,
            Some(&serde_json::json!({ "partner_id": partner.id, "member": member })),
        )
        .await?;
        tx.commit().await?;
        self.council(&actor.scope(), program_id).await
    }

    /// Records a council meeting with its notes.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn record_council_meeting(
        &self,
        actor: &Actor,
        program_id: &str,
        held_on: &str,
        notes: &str,
    ) -> Result<Council> {
        let now = self.now();
        let mut inv = Invalid::new();
        let held_on = inv.check(parse_date("held_on", held_on));
        let notes = inv.check(text::required("notes", Some(notes), 20_000));
        if let Some(day) = held_on
            && day > now.date_naive()
        {
            inv.add(
                "held_on",
                "not_future",
                "held_on must not be in the future; record a meeting after it took place",
            );
        }
        let (held_on, notes) = inv.finish(|| Some((held_on?, notes?)))?;
        let mut tx = self.db.begin_write().await?;
        let _: Program = entity::fetch(&mut tx, &actor.scope(), program_id).await?;
        actor.authorize(&Action::WriteProgram)?;
        let id: MeetingId = new_id();
        let mut q = Sql::new(
            "INSERT INTO council_meetings (id, program_id, held_on, notes, author_name, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(program_id)
            .push(", ")
            .bind(held_on)
            .push(", ")
            .bind(notes.as_str())
            .push(", ")
            .bind(actor.audit_name())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Council,
            program_id,
            AuditAction::Updated,
            None,
            None::<&()>,
            Some(&serde_json::json!({ "meeting": id, "held_on": held_on })),
        )
        .await?;
        tx.commit().await?;
        self.council(&actor.scope(), program_id).await
    }

    /// The program's first cohort (staff).
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn cohort(&self, scope: &Scope, program_id: &str) -> Result<Cohort> {
        let mut r = self.db.read();
        let program: Program = entity::fetch(&mut r, scope, program_id).await?;
        let policy = current_version(&mut r, program_id).await?.policy;
        let launched_on = launched_on(&mut r, program_id).await?;
        row! {
            struct Id {
                id: String,
            }
        }
        let mut q = Sql::new("SELECT id FROM partners WHERE first_cohort = 1 AND program_id = ");
        q.bind(program_id).push(" ORDER BY name");
        let partners: Vec<PartnerId> = r
            .all::<Id>(&q)
            .await?
            .into_iter()
            .map(|i| PartnerId::from_trusted(i.id))
            .collect();
        let warnings = if launched_on.is_some() {
            size_warning(
                "The first cohort",
                partners.len() as i64,
                policy.cohort.min_partners,
                policy.cohort.max_partners,
            )
            .into_iter()
            .collect()
        } else {
            Vec::new()
        };
        Ok(Cohort {
            program_id: program.id,
            launched_on,
            partners,
            warnings,
        })
    }

    /// Launches a program with its first cohort (once); warns when the cohort's size is
    /// outside the policy's range (the seed: 5 to 10).
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn launch_program(
        &self,
        actor: &Actor,
        program_id: &str,
        partner_ids: &[String],
    ) -> Result<Cohort> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let program: Program = entity::fetch(&mut tx, &actor.scope(), program_id).await?;
        actor.authorize(&Action::WriteProgram)?;
        if partner_ids.is_empty() {
            return Err(Invalid {
                errors: vec![FieldError::new(
                    "partner_ids",
                    "required",
                    "partner_ids must name the partners of the first cohort",
                )],
            }
            .into());
        }
        if let Some(day) = launched_on(&mut tx, program_id).await? {
            return Err(StoreError::conflict(
                "program_id",
                "launched",
                format!("the program was launched on {day}; its first cohort is fixed"),
            ));
        }
        let mut ids = Vec::new();
        for (i, raw) in partner_ids.iter().enumerate() {
            let p = program_partner(&mut tx, &program, &format!("partner_ids[{i}]"), raw).await?;
            if !ids.contains(&p.id) {
                ids.push(p.id);
            }
        }
        for id in &ids {
            let mut u = Sql::new("UPDATE partners SET first_cohort = 1 WHERE id = ");
            u.bind(id.as_str());
            tx.execute(&u).await?;
        }
        let mut u = Sql::new("UPDATE programs SET launched_on = ");
        u.bind(now.date_naive())
            .push(" WHERE id = ")
            .bind(program_id);
        tx.execute(&u).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Program,
            program_id,
            AuditAction::Updated,
            None,
            None::<&()>,
            Some(&serde_json::json!({ "launched_on": now.date_naive(), "first_cohort": ids })),
        )
        .await?;
        tx.commit().await?;
        self.cohort(&actor.scope(), program_id).await
    }
}
