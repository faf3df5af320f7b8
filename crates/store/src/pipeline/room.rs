//! Deal rooms: an opportunity's members, notes, tasks, shared fields and timeline.
//!
//! Access is checked once per call by [`access`]: the opportunity must be visible to the
//! caller's scope (a partner: one it is on), and a partner user must be a member of the room;
//! otherwise the room does not exist for them (404). Writing needs a seller's role on the
//! vendor side (admins, channel managers, direct sales); a partner member writes as itself.
//! Notes written for one side are filtered here with `core::pipeline::room::note_visible`.

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, OpportunityId, PartnerId, RoomNoteId, RoomTaskId, UserId};
use partnerops_core::pipeline::record::Opportunity;
use partnerops_core::pipeline::room::{
    FieldInput, MemberInput, NoteInput, NoteVisibility, Room, RoomField, RoomMember, RoomNote,
    RoomTask, TaskInput, TaskPatch, TaskStatus, TimelineEntry, TimelineKind, mentions,
    note_visible, parse_field_key,
};
use partnerops_core::pipeline::touchpoint::Touchpoint;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};
use serde::Serialize;

use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::etag::{self, Precondition};
use crate::{Actor, Result, Store, StoreError, audit, entity, new_id};

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(format!("{}: {}", e.field, e.message))
}

row! {
    struct MemberRow {
        user_id: String,
        display_name: String,
        email: String,
        partner_id: Option<String>,
        partner_name: Option<String>,
    }
}

row! {
    struct NoteRow {
        id: String,
        opportunity_id: String,
        author_id: Option<String>,
        author_name: String,
        author_partner_id: Option<String>,
        visibility: String,
        body: String,
        created_at: DateTime<Utc>,
    }
}

row! {
    struct TaskRow {
        id: String,
        opportunity_id: String,
        title: String,
        owner_id: String,
        owner_name: String,
        due_on: Option<NaiveDate>,
        status: String,
        created_by_name: String,
        created_at: DateTime<Utc>,
        done_at: Option<DateTime<Utc>>,
    }
}

row! {
    struct FieldRow {
        key: String,
        value: String,
        updated_by_name: String,
        updated_at: DateTime<Utc>,
    }
}

row! {
    struct ActivityRow {
        kind: String,
        occurred_at: DateTime<Utc>,
        notes: Option<String>,
    }
}

const TASK_SELECT: &str = "SELECT t.id, t.opportunity_id, t.title, t.owner_id, u.display_name AS owner_name, t.due_on, t.status, t.created_by_name, t.created_at, t.done_at FROM room_tasks t JOIN users u ON u.id = t.owner_id WHERE 1 = 1";

fn task_of(r: TaskRow) -> Result<RoomTask> {
    Ok(RoomTask {
        id: RoomTaskId::from_trusted(r.id),
        opportunity_id: OpportunityId::from_trusted(r.opportunity_id),
        title: r.title,
        owner_id: UserId::from_trusted(r.owner_id),
        owner_name: r.owner_name,
        due_on: r.due_on,
        status: TaskStatus::parse("status", &r.status).map_err(corrupt)?,
        created_by_name: r.created_by_name,
        created_at: r.created_at,
        done_at: r.done_at,
    })
}

fn note_of(r: NoteRow) -> Result<RoomNote> {
    Ok(RoomNote {
        id: RoomNoteId::from_trusted(r.id),
        opportunity_id: OpportunityId::from_trusted(r.opportunity_id),
        author_id: r.author_id.map(UserId::from_trusted),
        author_name: r.author_name,
        author_partner_id: r.author_partner_id.map(PartnerId::from_trusted),
        visibility: NoteVisibility::parse("visibility", &r.visibility).map_err(corrupt)?,
        body: r.body,
        created_at: r.created_at,
    })
}

/// The room's members: vendor staff first, then partner users, by name.
async fn members(x: &mut impl Exec, opportunity_id: &str) -> Result<Vec<RoomMember>> {
    let mut q = Sql::new(
        "SELECT u.id AS user_id, u.display_name, u.email, u.partner_id, p.name AS partner_name FROM room_members m JOIN users u ON u.id = m.user_id LEFT JOIN partners p ON p.id = u.partner_id WHERE m.opportunity_id = ",
    );
    q.bind(opportunity_id)
        .push(" ORDER BY CASE WHEN u.partner_id IS NULL THEN 0 ELSE 1 END, u.display_name, u.id");
    let rows: Vec<MemberRow> = x.all(&q).await?;
    Ok(rows
        .into_iter()
        .map(|r| RoomMember {
            user_id: UserId::from_trusted(r.user_id),
            display_name: r.display_name,
            email: r.email,
            partner_id: r.partner_id.map(PartnerId::from_trusted),
            partner_name: r.partner_name,
        })
        .collect())
}

/// The opportunity, if the caller may enter its room: visible to its scope and, for a
/// partner user, a member. Anything else is the same 404.
async fn access(x: &mut impl Exec, actor: &Actor, opportunity_id: &str) -> Result<Opportunity> {
    let o: Opportunity = entity::fetch(x, &actor.scope(), opportunity_id).await?;
    if let Scope::Partner(_) = actor.scope() {
        let user = actor
            .user_id()
            .ok_or(StoreError::NotFound(EntityKind::Opportunity))?;
        let mut q = Sql::new("SELECT user_id FROM room_members WHERE opportunity_id = ");
        q.bind(opportunity_id)
            .push(" AND user_id = ")
            .bind(user.as_str());
        row! { struct Member { #[allow(dead_code)] user_id: String } }
        let member: Option<Member> = x.optional(&q).await?;
        if member.is_none() {
            return Err(StoreError::NotFound(EntityKind::Opportunity));
        }
    }
    Ok(o)
}

/// Writing in a room: a partner member writes as itself; on the vendor side, sellers.
fn may_write(actor: &Actor) -> Result<()> {
    match actor.partner_id() {
        Some(p) => actor.authorize(&Action::WorkOpportunity(p)),
        None => actor.authorize(&Action::WorkPipeline),
    }
}

/// Puts a user in the room (nothing when already in).
pub(crate) async fn add_member(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    opportunity_id: &str,
    user: &UserId,
) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO room_members (opportunity_id, user_id, added_by_name, created_at) VALUES (",
    );
    q.bind(opportunity_id)
        .push(", ")
        .bind(user.as_str())
        .push(", ")
        .bind(actor.audit_name())
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (opportunity_id, user_id) DO NOTHING");
    tx.execute(&q).await?;
    Ok(())
}

row! {
    struct CandidateRow {
        partner_id: Option<String>,
        on_deal: i64,
    }
}

/// Whether `user` may join the room: vendor staff, or a live user of a partner on the
/// opportunity; a partner member may add only its own colleagues.
async fn check_candidate(tx: &mut Tx, actor: &Actor, o: &Opportunity, user: &UserId) -> Result<()> {
    let mut q = Sql::new(
        "SELECT u.partner_id, CAST(CASE WHEN EXISTS (SELECT 1 FROM opportunity_partners op WHERE op.opportunity_id = ",
    );
    q.bind(o.id.as_str())
        .push(" AND op.partner_id = u.partner_id) THEN 1 ELSE 0 END AS BIGINT) AS on_deal FROM users u WHERE u.archived_at IS NULL AND u.id = ")
        .bind(user.as_str());
    let row: Option<CandidateRow> = tx.optional(&q).await?;
    let fits = match (&row, actor.partner_id()) {
        (None, _) => false,
        (Some(r), Some(own)) => r.partner_id.as_deref() == Some(own.as_str()),
        (Some(r), None) => r.partner_id.is_none() || r.on_deal == 1,
    };
    if fits {
        Ok(())
    } else {
        Err(Invalid::one(
            "user_id",
            "not_eligible",
            "user_id must name vendor staff or a user of a partner on this opportunity (a partner adds only its own colleagues)",
        )
        .into())
    }
}

impl Store {
    /// Whether the caller may enter the room of an opportunity it can see.
    pub async fn may_enter_room(&self, actor: &Actor, opportunity_id: &str) -> Result<bool> {
        match access(&mut self.db.read(), actor, opportunity_id).await {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The room of an opportunity as the caller sees it.
    #[tracing::instrument(skip_all, fields(id = %opportunity_id))]
    pub async fn room(&self, actor: &Actor, opportunity_id: &str) -> Result<Room> {
        let mut read = self.db.read();
        let o = access(&mut read, actor, opportunity_id).await?;
        let scope = actor.scope();
        let members = members(&mut read, opportunity_id).await?;
        let mut q = Sql::new(
            "SELECT id, opportunity_id, author_id, author_name, author_partner_id, visibility, body, created_at FROM room_notes WHERE opportunity_id = ",
        );
        q.bind(opportunity_id)
            .push(" ORDER BY created_at DESC, id DESC");
        let notes: Vec<RoomNote> = read
            .all::<NoteRow>(&q)
            .await?
            .into_iter()
            .map(note_of)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|n| note_visible(n.author_partner_id.as_ref(), n.visibility, &scope))
            .collect();
        let mut q = Sql::new(TASK_SELECT);
        q.push(" AND t.opportunity_id = ")
            .bind(opportunity_id)
            .push(
                " ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END, t.due_on, t.created_at",
            );
        let tasks = read
            .all::<TaskRow>(&q)
            .await?
            .into_iter()
            .map(task_of)
            .collect::<Result<Vec<_>>>()?;
        let mut q = Sql::new(
            "SELECT key, value, updated_by_name, updated_at FROM room_fields WHERE opportunity_id = ",
        );
        q.bind(opportunity_id).push(" ORDER BY key");
        let fields = read
            .all::<FieldRow>(&q)
            .await?
            .into_iter()
            .map(|r| RoomField {
                key: r.key,
                value: r.value,
                updated_by_name: r.updated_by_name,
                updated_at: r.updated_at,
            })
            .collect();
        let timeline = self.timeline(actor, &o, &notes, &tasks).await?;
        Ok(Room {
            opportunity_id: o.id,
            members,
            notes,
            tasks,
            fields,
            timeline,
        })
    }

    /// Everything that happened, newest first: stage changes, the touchpoints and notes the
    /// caller may read, tasks, and the activity of the registration behind the deal.
    async fn timeline(
        &self,
        actor: &Actor,
        o: &Opportunity,
        notes: &[RoomNote],
        tasks: &[RoomTask],
    ) -> Result<Vec<TimelineEntry>> {
        let scope = actor.scope();
        let id = o.id.as_str();
        let policy = self.pipeline_policy(o.program_id.as_str()).await?;
        let mut out: Vec<TimelineEntry> = self
            .opportunity_history(&scope, id)
            .await?
            .into_iter()
            .map(|h| TimelineEntry {
                at: h.at,
                kind: TimelineKind::Stage,
                actor_name: h.actor_name,
                text: format!("{}: {}", h.to_stage.label(&policy), h.reason),
            })
            .collect();
        let touch: Vec<Touchpoint> = self.touchpoints(&scope, id).await?;
        out.extend(touch.into_iter().map(|t| TimelineEntry {
            at: t.occurred_at,
            kind: TimelineKind::Touchpoint,
            actor_name: t.logged_by_name,
            text: format!(
                "{} by {}{}",
                t.kind.label(),
                t.partner_name,
                if t.late {
                    " (late: after the close)"
                } else {
                    ""
                }
            ),
        }));
        out.extend(notes.iter().map(|n| TimelineEntry {
            at: n.created_at,
            kind: TimelineKind::Note,
            actor_name: n.author_name.clone(),
            text: format!(
                "note{}",
                if n.visibility == NoteVisibility::OurSide {
                    " (our side only)"
                } else {
                    ""
                }
            ),
        }));
        for t in tasks {
            out.push(TimelineEntry {
                at: t.created_at,
                kind: TimelineKind::Task,
                actor_name: t.created_by_name.clone(),
                text: format!("task for {}: {}", t.owner_name, t.title),
            });
            if let Some(done) = t.done_at {
                out.push(TimelineEntry {
                    at: done,
                    kind: TimelineKind::Task,
                    actor_name: t.owner_name.clone(),
                    text: format!("{}: {}", t.status.label(), t.title),
                });
            }
        }
        if let Some(r) = &o.registration_id {
            let mut q = Sql::new(
                "SELECT kind, occurred_at, notes FROM registration_activities WHERE registration_id = ",
            );
            q.bind(r.as_str());
            let rows: Vec<ActivityRow> = self.db.read().all(&q).await?;
            out.extend(rows.into_iter().map(|a| TimelineEntry {
                at: a.occurred_at,
                kind: TimelineKind::Registration,
                actor_name: String::new(),
                text: match a.notes {
                    Some(n) => format!("registration activity ({}): {n}", a.kind),
                    None => format!("registration activity ({})", a.kind),
                },
            }));
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.at));
        Ok(out)
    }

    /// Adds a member to the room.
    #[tracing::instrument(skip_all, fields(id = %opportunity_id))]
    pub async fn add_room_member(
        &self,
        actor: &Actor,
        opportunity_id: &str,
        input: &MemberInput,
    ) -> Result<Vec<RoomMember>> {
        let user = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let o = access(&mut tx, actor, opportunity_id).await?;
        may_write(actor)?;
        check_candidate(&mut tx, actor, &o, &user).await?;
        add_member(&mut tx, now, actor, opportunity_id, &user).await?;
        let list = members(&mut tx, opportunity_id).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// Takes a member out of the room (vendor sellers; a partner member only its own
    /// colleagues or itself).
    #[tracing::instrument(skip_all, fields(id = %opportunity_id))]
    pub async fn remove_room_member(
        &self,
        actor: &Actor,
        opportunity_id: &str,
        user_id: &str,
    ) -> Result<Vec<RoomMember>> {
        let mut tx = self.db.begin_write().await?;
        let o = access(&mut tx, actor, opportunity_id).await?;
        may_write(actor)?;
        let user = UserId::from_trusted(user_id.to_owned());
        check_candidate(&mut tx, actor, &o, &user).await?;
        let mut q = Sql::new("DELETE FROM room_members WHERE opportunity_id = ");
        q.bind(opportunity_id).push(" AND user_id = ").bind(user_id);
        tx.execute(&q).await?;
        let list = members(&mut tx, opportunity_id).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// Posts a note; members it mentions (`@address`) get a `room.mention` event.
    #[tracing::instrument(skip_all, fields(id = %opportunity_id))]
    pub async fn post_room_note(
        &self,
        actor: &Actor,
        opportunity_id: &str,
        input: &NoteInput,
    ) -> Result<RoomNote> {
        let (body, visibility) = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let o = access(&mut tx, actor, opportunity_id).await?;
        may_write(actor)?;
        let id: RoomNoteId = new_id();
        let mut q = Sql::new(
            "INSERT INTO room_notes (id, opportunity_id, author_id, author_name, author_partner_id, visibility, body, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(opportunity_id)
            .push(", ")
            .bind(actor.user_id().map(|u| u.as_str()))
            .push(", ")
            .bind(actor.audit_name())
            .push(", ")
            .bind(actor.partner_id().map(|p| p.as_str()))
            .push(", ")
            .bind(visibility.as_str())
            .push(", ")
            .bind(body.as_str())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let note = RoomNote {
            id,
            opportunity_id: o.id.clone(),
            author_id: actor.user_id().cloned(),
            author_name: actor.audit_name(),
            author_partner_id: actor.partner_id().cloned(),
            visibility,
            body,
            created_at: now,
        };
        let owner = actor.partner_id().or(o.partner_id.as_ref());
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::RoomNote,
            note.id.as_str(),
            AuditAction::Created,
            owner,
            None::<&()>,
            Some(&note),
        )
        .await?;
        // Only members who may read the note are told about it.
        let room = members(&mut tx, opportunity_id).await?;
        for m in mentions(&note.body, &room) {
            let reader = match &m.partner_id {
                Some(p) => Scope::Partner(p.clone()),
                None => Scope::Vendor,
            };
            if !note_visible(note.author_partner_id.as_ref(), visibility, &reader) {
                continue;
            }
            let payload = Mention {
                opportunity_id: &o.id,
                opportunity_title: &o.title,
                note_id: &note.id,
                user_id: &m.user_id,
                author_name: &note.author_name,
            };
            emit(
                &mut tx,
                now,
                "room.mention",
                note.id.as_str(),
                m.partner_id.as_ref(),
                &payload,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(note)
    }

    /// Adds a task for a member (default: the caller).
    #[tracing::instrument(skip_all, fields(id = %opportunity_id))]
    pub async fn add_room_task(
        &self,
        actor: &Actor,
        opportunity_id: &str,
        input: &TaskInput,
    ) -> Result<RoomTask> {
        let f = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let o = access(&mut tx, actor, opportunity_id).await?;
        may_write(actor)?;
        let owner = match (f.owner_id, actor.user_id()) {
            (Some(u), _) => u,
            (None, Some(me)) => me.clone(),
            (None, None) => {
                return Err(Invalid::one("owner_id", "required", "owner_id is required").into());
            }
        };
        let room = members(&mut tx, opportunity_id).await?;
        let Some(member) = room.iter().find(|m| m.user_id == owner) else {
            return Err(Invalid::one(
                "owner_id",
                "member",
                "owner_id must be a member of the room",
            )
            .into());
        };
        let id: RoomTaskId = new_id();
        let mut q = Sql::new(
            "INSERT INTO room_tasks (id, opportunity_id, title, owner_id, due_on, status, created_by_name, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(opportunity_id)
            .push(", ")
            .bind(f.title.as_str())
            .push(", ")
            .bind(owner.as_str())
            .push(", ")
            .bind(f.due_on)
            .push(", 'open', ")
            .bind(actor.audit_name())
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let task = fetch_task(&mut tx, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::RoomTask,
            id.as_str(),
            AuditAction::Created,
            o.partner_id.as_ref(),
            None::<&()>,
            Some(&task),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "room.task_assigned",
            id.as_str(),
            member.partner_id.as_ref(),
            &task,
        )
        .await?;
        tx.commit().await?;
        Ok(task)
    }

    /// Changes a task's status, owner or due date.
    #[tracing::instrument(skip_all, fields(id = %task_id))]
    pub async fn update_room_task(
        &self,
        actor: &Actor,
        task_id: &str,
        patch: &TaskPatch,
        precondition: &Precondition,
    ) -> Result<RoomTask> {
        let change = patch.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        etag::hold(&mut tx, "room_tasks", task_id, precondition).await?;
        let mut q = Sql::new("SELECT opportunity_id FROM room_tasks WHERE id = ");
        q.bind(task_id);
        row! { struct TaskOf { opportunity_id: String } }
        let of: TaskOf = tx
            .optional(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::RoomTask))?;
        // A task of a room the caller cannot enter does not exist for it.
        let o = access(&mut tx, actor, &of.opportunity_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => StoreError::NotFound(EntityKind::RoomTask),
                other => other,
            })?;
        may_write(actor)?;
        let before = fetch_task(&mut tx, task_id).await?;
        precondition.check(&before)?;
        if let Some(owner) = &change.owner_id {
            let room = members(&mut tx, o.id.as_str()).await?;
            if !room.iter().any(|m| &m.user_id == owner) {
                return Err(Invalid::one(
                    "owner_id",
                    "member",
                    "owner_id must be a member of the room",
                )
                .into());
            }
        }
        let status = change.status.unwrap_or(before.status);
        let done_at = match (status, before.status) {
            (TaskStatus::Open, _) => None,
            (s, b) if s == b => before.done_at,
            _ => Some(now),
        };
        let due_on = change.due_on.unwrap_or(before.due_on);
        let owner = change.owner_id.clone().unwrap_or(before.owner_id.clone());
        let mut q = Sql::new("UPDATE room_tasks SET status = ");
        q.bind(status.as_str())
            .push(", owner_id = ")
            .bind(owner.as_str())
            .push(", due_on = ")
            .bind(due_on)
            .push(", done_at = ")
            .bind(done_at)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(task_id);
        tx.execute(&q).await?;
        let after = fetch_task(&mut tx, task_id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::RoomTask,
            task_id,
            AuditAction::Updated,
            o.partner_id.as_ref(),
            Some(&before),
            Some(&after),
        )
        .await?;
        if change.owner_id.is_some() && after.owner_id != before.owner_id {
            let room = members(&mut tx, o.id.as_str()).await?;
            let partner = room
                .iter()
                .find(|m| m.user_id == after.owner_id)
                .and_then(|m| m.partner_id.clone());
            emit(
                &mut tx,
                now,
                "room.task_assigned",
                task_id,
                partner.as_ref(),
                &after,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Sets (or, with a blank value, removes) a shared field.
    #[tracing::instrument(skip_all, fields(id = %opportunity_id))]
    pub async fn set_room_field(
        &self,
        actor: &Actor,
        opportunity_id: &str,
        key: &str,
        input: &FieldInput,
    ) -> Result<Vec<RoomField>> {
        let key = parse_field_key(key).map_err(Invalid::from)?;
        let value = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        access(&mut tx, actor, opportunity_id).await?;
        may_write(actor)?;
        match value {
            Some(v) => {
                let mut q =
                    Sql::new("SELECT COUNT(*) AS n FROM room_fields WHERE opportunity_id = ");
                q.bind(opportunity_id)
                    .push(" AND key <> ")
                    .bind(key.as_str());
                row! { struct Count { n: i64 } }
                let count: Count = tx.optional(&q).await?.unwrap_or(Count { n: 0 });
                if count.n >= partnerops_core::pipeline::room::MAX_FIELDS as i64 {
                    return Err(Invalid::one(
                        "key",
                        "max_fields",
                        format!(
                            "a room has at most {} fields",
                            partnerops_core::pipeline::room::MAX_FIELDS
                        ),
                    )
                    .into());
                }
                let mut q = Sql::new(
                    "INSERT INTO room_fields (opportunity_id, key, value, updated_by_name, updated_at) VALUES (",
                );
                q.bind(opportunity_id)
                    .push(", ")
                    .bind(key.as_str())
                    .push(", ")
                    .bind(v)
                    .push(", ")
                    .bind(actor.audit_name())
                    .push(", ")
                    .bind(now)
                    .push(") ON CONFLICT (opportunity_id, key) DO UPDATE SET value = excluded.value, updated_by_name = excluded.updated_by_name, updated_at = excluded.updated_at");
                tx.execute(&q).await?;
            }
            None => {
                let mut q = Sql::new("DELETE FROM room_fields WHERE opportunity_id = ");
                q.bind(opportunity_id)
                    .push(" AND key = ")
                    .bind(key.as_str());
                tx.execute(&q).await?;
            }
        }
        let mut q = Sql::new(
            "SELECT key, value, updated_by_name, updated_at FROM room_fields WHERE opportunity_id = ",
        );
        q.bind(opportunity_id).push(" ORDER BY key");
        let fields = tx
            .all::<FieldRow>(&q)
            .await?
            .into_iter()
            .map(|r| RoomField {
                key: r.key,
                value: r.value,
                updated_by_name: r.updated_by_name,
                updated_at: r.updated_at,
            })
            .collect();
        tx.commit().await?;
        Ok(fields)
    }
}

/// The payload of a `room.mention` event.
#[derive(Serialize)]
struct Mention<'a> {
    opportunity_id: &'a OpportunityId,
    opportunity_title: &'a str,
    note_id: &'a RoomNoteId,
    /// The member mentioned.
    user_id: &'a UserId,
    author_name: &'a str,
}

async fn fetch_task(x: &mut impl Exec, id: &str) -> Result<RoomTask> {
    let mut q = Sql::new(TASK_SELECT);
    q.push(" AND t.id = ").bind(id);
    let row: TaskRow = x
        .optional(&q)
        .await?
        .ok_or(StoreError::NotFound(EntityKind::RoomTask))?;
    task_of(row)
}
