//! Events (`program_events`) and their RSVPs with check-ins (`event_registrations`). The
//! rules (when replies are taken, who gets a seat, who is promoted from the waitlist, when a
//! check-in counts, the public form's throttles) are `core::event`'s; here they meet the
//! database.
//!
//! Seats are a counter on the event (`going_count`), raised only by a conditional update
//! (`… WHERE going_count < capacity`) and bounded by a CHECK, so concurrent replies for the
//! last seat — also on several instances — never overbook. Every change to an event's
//! replies first updates the event's row, which on PostgreSQL holds its lock until commit
//! (SQLite's write transactions are serialised anyway): replies, cancellations and
//! promotions of one event happen one after another, so the waitlist is promoted exactly in
//! its order.
//!
//! A partner sees the published vendor events of its program and its own events, and only
//! the RSVPs that count for it: its own people's, and its own events' customers'. The public
//! page reads an event by its random slug alone; an attendee's personal page by a code of
//! which only the hash is kept.

use chrono::{DateTime, Duration, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::engagement::EngagementKind;
use partnerops_core::event::record::{
    Attendance, AttendeeKind, Audience, EventFields, EventInput, EventKind, EventRegistration,
    EventStatus, PartnerAttendance, ProgramEvent, PublicRsvpInput, Response, RsvpInput, RsvpStatus,
};
use partnerops_core::event::{
    CheckInBy, Figures, PER_ADDRESS_WINDOW, PER_EVENT_WINDOW, Refusal, audience_admits, is_bot,
    may_cancel, may_check_in, may_complete, may_publish, may_take_rsvp, promotions, rsvp_open,
};
use partnerops_core::ids::{
    CampaignId, EntityId, EventRegistrationId, PartnerId, ProgramEventId, ProgramId, UserId,
    parse_id,
};
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use crate::db::{Exec, Sql, Tx, UniqueRule, row, unique_violation};
use crate::decision::emit;
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope, secret};

row! {
    struct EventRow {
        id: String,
        program_id: String,
        host_partner_id: Option<String>,
        host_name: Option<String>,
        campaign_id: Option<String>,
        kind: String,
        title: String,
        description: String,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        utc_offset_minutes: i64,
        location: Option<String>,
        join_url: Option<String>,
        capacity: Option<i64>,
        going_count: i64,
        audience: String,
        rsvp_deadline: DateTime<Utc>,
        status: String,
        slug: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        published_at: Option<DateTime<Utc>>,
    }
}

const EVENT_SELECT: &str = "SELECT e.id, e.program_id, e.host_partner_id, hp.name AS host_name, e.campaign_id, e.kind, e.title, e.description, e.starts_at, e.ends_at, e.utc_offset_minutes, e.location, e.join_url, e.capacity, e.going_count, e.audience, e.rsvp_deadline, e.status, e.slug, e.created_at, e.updated_at, e.published_at FROM program_events e LEFT JOIN partners hp ON hp.id = e.host_partner_id WHERE 1 = 1";

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(e.message)
}

fn event_from(r: EventRow) -> Result<ProgramEvent> {
    Ok(ProgramEvent {
        id: ProgramEventId::from_trusted(r.id),
        program_id: ProgramId::from_trusted(r.program_id),
        host_partner_id: r.host_partner_id.map(PartnerId::from_trusted),
        host_name: r.host_name,
        campaign_id: r.campaign_id.map(CampaignId::from_trusted),
        kind: EventKind::parse("kind", &r.kind).map_err(corrupt)?,
        title: r.title,
        description: r.description,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        utc_offset_minutes: i32::try_from(r.utc_offset_minutes)
            .map_err(|_| StoreError::Corrupt("utc_offset_minutes out of range".into()))?,
        location: r.location,
        join_url: r.join_url,
        capacity: r.capacity,
        going_count: r.going_count,
        audience: Audience::parse("audience", &r.audience).map_err(corrupt)?,
        rsvp_deadline: r.rsvp_deadline,
        status: EventStatus::parse("status", &r.status).map_err(corrupt)?,
        slug: r.slug,
        created_at: r.created_at,
        updated_at: r.updated_at,
        published_at: r.published_at,
    })
}

row! {
    struct RsvpRow {
        id: String,
        event_id: String,
        partner_id: Option<String>,
        partner_name: Option<String>,
        user_id: Option<String>,
        attendee_kind: String,
        name: String,
        email: String,
        company: String,
        status: String,
        placed_at: DateTime<Utc>,
        checked_in_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

const RSVP_SELECT: &str = "SELECT r.id, r.event_id, r.partner_id, p.name AS partner_name, r.user_id, r.attendee_kind, r.name, r.email, r.company, r.status, r.placed_at, r.checked_in_at, r.created_at, r.updated_at FROM event_registrations r LEFT JOIN partners p ON p.id = r.partner_id WHERE 1 = 1";

fn rsvp_from(r: RsvpRow) -> Result<EventRegistration> {
    Ok(EventRegistration {
        id: EventRegistrationId::from_trusted(r.id),
        event_id: ProgramEventId::from_trusted(r.event_id),
        partner_id: r.partner_id.map(PartnerId::from_trusted),
        partner_name: r.partner_name,
        user_id: r.user_id.map(UserId::from_trusted),
        attendee_kind: AttendeeKind::parse("attendee_kind", &r.attendee_kind).map_err(corrupt)?,
        name: r.name,
        email: r.email,
        company: r.company,
        status: RsvpStatus::parse("status", &r.status).map_err(corrupt)?,
        placed_at: r.placed_at,
        checked_in_at: r.checked_in_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// One reply per e-mail address per event.
const ONE_PER_EMAIL: UniqueRule = UniqueRule {
    index: "event_registrations_one_per_email",
    sqlite_columns: "event_registrations.event_id, event_registrations.email",
};

fn refused(field: &str, r: Refusal) -> StoreError {
    StoreError::conflict(field, r.rule, r.message)
}

async fn event_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<ProgramEvent> {
    let not_found = StoreError::NotFound(EntityKind::ProgramEvent);
    if ProgramEventId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(EVENT_SELECT);
    q.push(" AND e.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::ProgramEvent, "e");
    event_from(x.optional::<EventRow>(&q).await?.ok_or(not_found)?)
}

async fn rsvp_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<EventRegistration> {
    let not_found = StoreError::NotFound(EntityKind::EventRegistration);
    if EventRegistrationId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(RSVP_SELECT);
    q.push(" AND r.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::EventRegistration, "r");
    rsvp_from(x.optional::<RsvpRow>(&q).await?.ok_or(not_found)?)
}

async fn rsvp_of_email(tx: &mut Tx, event: &str, email: &str) -> Result<Option<EventRegistration>> {
    let mut q = Sql::new(RSVP_SELECT);
    q.push(" AND r.event_id = ")
        .bind(event)
        .push(" AND r.email = ")
        .bind(email);
    tx.optional::<RsvpRow>(&q).await?.map(rsvp_from).transpose()
}

/// Takes the event's row lock (PostgreSQL) before its replies change, so changes to one
/// event's replies run one after another. The update changes nothing.
async fn lock_event(tx: &mut Tx, id: &str) -> Result<()> {
    let mut q = Sql::new("UPDATE program_events SET going_count = going_count WHERE id = ");
    q.bind(id);
    tx.execute(&q).await?;
    Ok(())
}

/// Takes a seat if one is free: a conditional update, so the last seat goes to one reply.
async fn take_seat(tx: &mut Tx, id: &str) -> Result<bool> {
    let mut q = Sql::new("UPDATE program_events SET going_count = going_count + 1 WHERE id = ");
    q.bind(id)
        .push(" AND (capacity IS NULL OR going_count < capacity)");
    Ok(tx.execute(&q).await? == 1)
}

async fn free_seat(tx: &mut Tx, id: &str) -> Result<()> {
    let mut q = Sql::new("UPDATE program_events SET going_count = going_count - 1 WHERE id = ");
    q.bind(id).push(" AND going_count > 0");
    tx.execute(&q).await?;
    Ok(())
}

/// Sets a reply's status (and, for a new place in the queue, its time), if it still has
/// the status `from`.
async fn move_rsvp(
    tx: &mut Tx,
    id: &str,
    from: RsvpStatus,
    to: RsvpStatus,
    now: DateTime<Utc>,
    placed: bool,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE event_registrations SET status = ");
    q.bind(to.as_str()).push(", updated_at = ").bind(now);
    if placed {
        q.push(", placed_at = ").bind(now);
    }
    // A checked-in reply stays as it is, whatever raced with its check-in.
    q.push(" WHERE id = ")
        .bind(id)
        .push(" AND checked_in_at IS NULL AND status = ")
        .bind(from.as_str());
    Ok(tx.execute(&q).await? == 1)
}

async fn audit_rsvp(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    action: AuditAction,
    before: Option<&EventRegistration>,
    after: &EventRegistration,
) -> Result<()> {
    audit::record(
        tx,
        now,
        actor,
        EntityKind::EventRegistration,
        after.id.as_str(),
        action,
        after.partner_id.as_ref(),
        before,
        Some(after),
    )
    .await
}

/// Fills free seats from the waitlist, earliest first (`core::event::promotions`), each
/// promotion a conditional update with its audit event. The caller holds the event's lock.
async fn promote(
    tx: &mut Tx,
    event_id: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Vec<EventRegistration>> {
    let event = event_in(tx, &Scope::Vendor, event_id).await?;
    row! { struct Waiting { id: String, placed_at: DateTime<Utc> } }
    let mut q = Sql::new("SELECT id, placed_at FROM event_registrations WHERE event_id = ");
    q.bind(event_id).push(" AND status = 'waitlisted'");
    let waiting: Vec<(DateTime<Utc>, String)> = tx
        .all::<Waiting>(&q)
        .await?
        .into_iter()
        .map(|w| (w.placed_at, w.id))
        .collect();
    let mut promoted = Vec::new();
    for id in promotions(event.capacity, event.going_count, &waiting) {
        if !take_seat(tx, event_id).await? {
            break;
        }
        let before = rsvp_in(tx, &Scope::Vendor, id).await?;
        if move_rsvp(
            tx,
            id,
            RsvpStatus::Waitlisted,
            RsvpStatus::Going,
            now,
            false,
        )
        .await?
        {
            let after = rsvp_in(tx, &Scope::Vendor, id).await?;
            audit_rsvp(tx, now, actor, AuditAction::Updated, Some(&before), &after).await?;
            promoted.push(after);
        } else {
            free_seat(tx, event_id).await?;
        }
    }
    Ok(promoted)
}

/// Who may change an event: its host.
fn host_action(event: &ProgramEvent) -> Action<'_> {
    match &event.host_partner_id {
        None => Action::ManageEvents,
        Some(p) => Action::HostEvent(p),
    }
}

/// Who may check an event's attendees in: its host's staff.
fn check_in_action(event: &ProgramEvent) -> Action<'_> {
    match &event.host_partner_id {
        None => Action::ManageEvents,
        Some(p) => Action::CheckInAttendees(p),
    }
}

/// A customer's reply on the public page, or not.
#[derive(Debug)]
pub enum PublicRsvpOutcome {
    /// Taken, with the attendee's personal code (shown once; only its hash is kept).
    Taken {
        rsvp: Box<EventRegistration>,
        code: String,
    },
    /// The honeypot was filled: answered like a success, nothing stored.
    Ignored,
}

/// Which events a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum When {
    #[default]
    All,
    /// Not over yet.
    Upcoming,
    /// Over.
    Past,
}

fn program_exists_sql(id: &str) -> Sql {
    let mut q = Sql::new("SELECT id FROM programs WHERE archived_at IS NULL AND id = ");
    q.bind(id);
    q
}

row! { struct IdOnly { #[allow(dead_code)] id: String } }

impl Store {
    /// Events as `scope` sees them, by start (staff: all; a partner: its program's published
    /// vendor events and its own).
    pub async fn events(&self, scope: &Scope, when: When) -> Result<Vec<ProgramEvent>> {
        let mut q = Sql::new(EVENT_SELECT);
        scope::restrict(&mut q, scope, EntityKind::ProgramEvent, "e");
        let now = self.now();
        match when {
            When::All => {}
            When::Upcoming => {
                q.push(" AND e.ends_at >= ").bind(now);
            }
            When::Past => {
                q.push(" AND e.ends_at < ").bind(now);
            }
        }
        q.push(if when == When::Past {
            " ORDER BY e.starts_at DESC, e.id DESC LIMIT 500"
        } else {
            " ORDER BY e.starts_at, e.id LIMIT 500"
        });
        self.db
            .read()
            .all::<EventRow>(&q)
            .await?
            .into_iter()
            .map(event_from)
            .collect()
    }

    pub async fn event(&self, scope: &Scope, id: &str) -> Result<ProgramEvent> {
        event_in(&mut self.db.read(), scope, id).await
    }

    /// The event behind a public address: published (or since cancelled or completed),
    /// never a draft.
    pub async fn event_page(&self, slug: &str) -> Result<ProgramEvent> {
        let not_found = StoreError::NotFound(EntityKind::ProgramEvent);
        if slug.len() != 24 || !slug.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found);
        }
        let mut q = Sql::new(EVENT_SELECT);
        q.push(" AND e.published_at IS NOT NULL AND e.slug = ")
            .bind(slug);
        event_from(
            self.db
                .read()
                .optional::<EventRow>(&q)
                .await?
                .ok_or(not_found)?,
        )
    }

    /// Checks who hosts a new event and in which program: staff host for a program (or,
    /// naming `partner_id`, for a partner); a partner's admin for its own partner.
    async fn new_event_host(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        input: &EventInput,
    ) -> Result<(ProgramId, Option<PartnerId>)> {
        let mut inv = Invalid::new();
        let partner = match (actor.scope(), input.partner_id.as_deref().map(str::trim)) {
            (Scope::Partner(own), None | Some("")) => Some(own),
            (Scope::Partner(own), Some(named)) if named == own.as_str() => Some(own),
            (Scope::Partner(_), Some(_)) => {
                return Err(Invalid::one(
                    "partner_id",
                    "own_partner",
                    "a partner hosts events for itself only",
                )
                .into());
            }
            (Scope::Vendor, None | Some("")) => None,
            (Scope::Vendor, Some(named)) => inv.check(parse_id::<PartnerId>("partner_id", named)),
        };
        if !inv.is_empty() {
            return Err(inv.into());
        }
        match partner {
            Some(p) => {
                actor.authorize(&Action::HostEvent(&p))?;
                row! { struct Prog { program_id: String } }
                let mut q =
                    Sql::new("SELECT program_id FROM partners WHERE archived_at IS NULL AND id = ");
                q.bind(p.as_str());
                let Some(row) = tx.optional::<Prog>(&q).await? else {
                    return Err(Invalid::one(
                        "partner_id",
                        "exists",
                        "partner_id names no live partner",
                    )
                    .into());
                };
                if input
                    .program_id
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty() && s.trim() != row.program_id.as_str())
                {
                    return Err(Invalid::one(
                        "program_id",
                        "partner_program",
                        "a partner's events are in the partner's own program",
                    )
                    .into());
                }
                Ok((ProgramId::from_trusted(row.program_id), Some(p)))
            }
            None => {
                actor.authorize(&Action::ManageEvents)?;
                let program: ProgramId =
                    parse_id("program_id", input.program_id.as_deref().unwrap_or(""))
                        .map_err(Invalid::from)?;
                if tx
                    .optional::<IdOnly>(&program_exists_sql(program.as_str()))
                    .await?
                    .is_none()
                {
                    return Err(Invalid::one(
                        "program_id",
                        "exists",
                        "program_id names no live program",
                    )
                    .into());
                }
                Ok((program, None))
            }
        }
    }

    /// The campaign an event belongs to: one of the host partner's own; vendor events have
    /// none.
    async fn event_campaign(
        &self,
        tx: &mut Tx,
        host: Option<&PartnerId>,
        raw: Option<&str>,
    ) -> Result<Option<CampaignId>> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let Some(host) = host else {
            return Err(Invalid::one(
                "campaign_id",
                "partner_events_only",
                "only a partner's own events belong to one of its campaigns",
            )
            .into());
        };
        let id: CampaignId = parse_id("campaign_id", raw).map_err(Invalid::from)?;
        let mut q = Sql::new("SELECT id FROM campaigns WHERE id = ");
        q.bind(id.as_str())
            .push(" AND partner_id = ")
            .bind(host.as_str());
        if tx.optional::<IdOnly>(&q).await?.is_none() {
            return Err(Invalid::one(
                "campaign_id",
                "exists",
                "campaign_id names no campaign of the host partner",
            )
            .into());
        }
        Ok(Some(id))
    }

    /// A new event, as a draft.
    #[tracing::instrument(skip_all)]
    pub async fn create_event(&self, actor: &Actor, input: &EventInput) -> Result<ProgramEvent> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (program, host) = self.new_event_host(&mut tx, actor, input).await?;
        let f: EventFields = input.parse()?;
        let campaign = self
            .event_campaign(&mut tx, host.as_ref(), input.campaign_id.as_deref())
            .await?;
        let id: ProgramEventId = new_id();
        let slug = secret::random_token("")[..24].to_owned();
        let mut q = Sql::new(
            "INSERT INTO program_events (id, program_id, host_partner_id, campaign_id, kind, title, description, starts_at, ends_at, utc_offset_minutes, location, join_url, capacity, going_count, audience, rsvp_deadline, status, slug, created_by, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(program.as_str())
            .push(", ")
            .bind(host.as_ref().map(EntityId::as_str))
            .push(", ")
            .bind(campaign.as_ref().map(EntityId::as_str))
            .push(", ")
            .bind(f.kind.as_str())
            .push(", ")
            .bind(f.title.as_str())
            .push(", ")
            .bind(f.description.as_str())
            .push(", ")
            .bind(f.starts_at)
            .push(", ")
            .bind(f.ends_at)
            .push(", ")
            .bind(f.utc_offset_minutes)
            .push(", ")
            .bind(f.location.as_deref())
            .push(", ")
            .bind(f.join_url.as_deref())
            .push(", ")
            .bind(f.capacity)
            .push(", 0, ")
            .bind(f.audience.as_str())
            .push(", ")
            .bind(f.rsvp_deadline)
            .push(", 'draft', ")
            .bind(slug.as_str())
            .push(", ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let e = event_in(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::ProgramEvent,
            id.as_str(),
            AuditAction::Created,
            host.as_ref(),
            None::<&()>,
            Some(&e),
        )
        .await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Changes an event (its fields laid over the current ones). A capacity below the seats
    /// taken is refused; a larger one promotes from the waitlist.
    /// [`Store::update_event_if`] without a precondition.
    pub async fn update_event(
        &self,
        actor: &Actor,
        id: &str,
        input: &EventInput,
    ) -> Result<ProgramEvent> {
        self.update_event_if(actor, id, input, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(event_id = %id))]
    pub async fn update_event_if(
        &self,
        actor: &Actor,
        id: &str,
        input: &EventInput,
        precondition: &crate::etag::Precondition,
    ) -> Result<ProgramEvent> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        crate::etag::hold(&mut tx, "program_events", id, precondition).await?;
        let before = event_in(&mut tx, &actor.scope(), id).await?;
        precondition.check(&before)?;
        actor.authorize(&host_action(&before))?;
        if matches!(
            before.status,
            EventStatus::Cancelled | EventStatus::Completed
        ) {
            return Err(StoreError::conflict(
                "status",
                "event.status",
                format!(
                    "a {} event cannot be changed",
                    before.status.label().to_lowercase()
                ),
            ));
        }
        for (field, given) in [
            ("program_id", &input.program_id),
            ("partner_id", &input.partner_id),
        ] {
            if given.as_deref().is_some_and(|s| !s.trim().is_empty()) {
                return Err(Invalid::one(
                    field,
                    "immutable",
                    "an event stays with its program and host",
                )
                .into());
            }
        }
        lock_event(&mut tx, id).await?;
        let current = event_in(&mut tx, &Scope::Vendor, id).await?;
        let base = current.as_input();
        let merged = EventInput {
            program_id: None,
            partner_id: None,
            campaign_id: input.campaign_id.clone().or(base.campaign_id),
            kind: input.kind.clone().or(base.kind),
            title: input.title.clone().or(base.title),
            description: input.description.clone().or(base.description),
            // A new start without a new zone keeps the event's zone for local times.
            utc_offset: input.utc_offset.clone().or(base.utc_offset),
            starts_at: input.starts_at.clone().or(base.starts_at),
            ends_at: input.ends_at.clone().or(base.ends_at),
            location: input.location.clone().or(base.location),
            join_url: input.join_url.clone().or(base.join_url),
            capacity: input.capacity.or(base.capacity),
            audience: input.audience.clone().or(base.audience),
            // A new start without a new deadline moves the deadline with it when it was
            // the start.
            rsvp_deadline: input.rsvp_deadline.clone().or_else(|| {
                if input.starts_at.is_some() && current.rsvp_deadline == current.starts_at {
                    None
                } else {
                    base.rsvp_deadline
                }
            }),
        };
        let f = merged.parse()?;
        let campaign = self
            .event_campaign(
                &mut tx,
                current.host_partner_id.as_ref(),
                merged.campaign_id.as_deref(),
            )
            .await?;
        if let Some(c) = f.capacity
            && c < current.going_count
        {
            return Err(StoreError::conflict(
                "capacity",
                "event.capacity_below_going",
                format!(
                    "{} people hold a seat already: the capacity cannot be lower",
                    current.going_count
                ),
            ));
        }
        let mut q = Sql::new("UPDATE program_events SET kind = ");
        q.bind(f.kind.as_str())
            .push(", title = ")
            .bind(f.title.as_str())
            .push(", description = ")
            .bind(f.description.as_str())
            .push(", starts_at = ")
            .bind(f.starts_at)
            .push(", ends_at = ")
            .bind(f.ends_at)
            .push(", utc_offset_minutes = ")
            .bind(f.utc_offset_minutes)
            .push(", location = ")
            .bind(f.location.as_deref())
            .push(", join_url = ")
            .bind(f.join_url.as_deref())
            .push(", capacity = ")
            .bind(f.capacity)
            .push(", audience = ")
            .bind(f.audience.as_str())
            .push(", rsvp_deadline = ")
            .bind(f.rsvp_deadline)
            .push(", campaign_id = ")
            .bind(campaign.as_ref().map(EntityId::as_str))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        promote(&mut tx, id, now, actor).await?;
        let after = event_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::ProgramEvent,
            id,
            AuditAction::Updated,
            after.host_partner_id.as_ref(),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Publishes (it takes replies), cancels (no more replies or check-ins; the public page
    /// says so) or completes (it is over; the host may still record attendance) an event.
    #[tracing::instrument(skip_all, fields(event_id = %id))]
    pub async fn set_event_status(
        &self,
        actor: &Actor,
        id: &str,
        to: EventStatus,
    ) -> Result<ProgramEvent> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = event_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&host_action(&before))?;
        let (rule, from): (std::result::Result<(), Refusal>, &[&str]) = match to {
            EventStatus::Published => (
                may_publish(before.status, before.starts_at, now),
                &["draft"],
            ),
            EventStatus::Cancelled => (may_cancel(before.status), &["draft", "published"]),
            EventStatus::Completed => (
                may_complete(before.status, before.starts_at, now),
                &["published"],
            ),
            EventStatus::Draft => (
                Err(Refusal {
                    rule: "event.status",
                    message: "an event cannot go back to draft".into(),
                }),
                &[],
            ),
        };
        rule.map_err(|r| refused("status", r))?;
        let mut q = Sql::new("UPDATE program_events SET status = ");
        q.bind(to.as_str()).push(", updated_at = ").bind(now);
        if to == EventStatus::Published {
            q.push(", published_at = ").bind(now);
        }
        q.push(" WHERE id = ")
            .bind(id)
            .push(" AND status IN ")
            .bind_in(from.iter().copied());
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "status",
                "event.status",
                "the event changed meanwhile; reload it",
            ));
        }
        let after = event_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::ProgramEvent,
            id,
            AuditAction::Updated,
            after.host_partner_id.as_ref(),
            Some(&before),
            Some(&after),
        )
        .await?;
        if matches!(to, EventStatus::Published | EventStatus::Cancelled) {
            let kind = if to == EventStatus::Published {
                "event.published"
            } else {
                "event.cancelled"
            };
            emit(
                &mut tx,
                now,
                kind,
                id,
                after.host_partner_id.as_ref(),
                &after,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// A partner user's own reply: going (a seat, or the waitlist when the event is full)
    /// or not going (which frees a held seat for the first on the waitlist).
    #[tracing::instrument(skip_all, fields(event_id = %event_id))]
    pub async fn rsvp(
        &self,
        actor: &Actor,
        event_id: &str,
        input: &RsvpInput,
    ) -> Result<EventRegistration> {
        let mut tx = self.db.begin_write().await?;
        let event = event_in(&mut tx, &actor.scope(), event_id).await?;
        let (Scope::Partner(partner), Some(user)) = (actor.scope(), actor.user_id().cloned())
        else {
            return Err(Invalid::one(
                "response",
                "partner_only",
                "replies are partner users' own, from the portal",
            )
            .into());
        };
        actor.authorize(&Action::RsvpEvent(&partner))?;
        let response = input.parse()?;
        let now = self.now();
        lock_event(&mut tx, event_id).await?;
        let event = event_in(&mut tx, &Scope::Vendor, event.id.as_str()).await?;
        row! { struct Me { email: String, display_name: String, company: String } }
        let mut q = Sql::new(
            "SELECT u.email, u.display_name, p.name AS company FROM users u JOIN partners p ON p.id = u.partner_id WHERE u.id = ",
        );
        q.bind(user.as_str());
        let me = tx
            .optional::<Me>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::User))?;
        let existing = rsvp_of_email(&mut tx, event_id, &me.email).await?;
        let after = match response {
            Response::Going => {
                audience_admits(event.audience, AttendeeKind::PartnerUser)
                    .map_err(|r| refused("response", r))?;
                rsvp_open(event.status, event.rsvp_deadline, now)
                    .map_err(|r| refused("response", r))?;
                match existing {
                    Some(r) if r.status != RsvpStatus::NotGoing => return Ok(r),
                    Some(r) => {
                        let to = if take_seat(&mut tx, event_id).await? {
                            RsvpStatus::Going
                        } else {
                            RsvpStatus::Waitlisted
                        };
                        move_rsvp(&mut tx, r.id.as_str(), RsvpStatus::NotGoing, to, now, true)
                            .await?;
                        let after = rsvp_in(&mut tx, &Scope::Vendor, r.id.as_str()).await?;
                        audit_rsvp(&mut tx, now, actor, AuditAction::Updated, Some(&r), &after)
                            .await?;
                        after
                    }
                    None => {
                        let status = if take_seat(&mut tx, event_id).await? {
                            RsvpStatus::Going
                        } else {
                            RsvpStatus::Waitlisted
                        };
                        let new = NewRsvp {
                            event: &event,
                            partner: Some(&partner),
                            user: Some(&user),
                            kind: AttendeeKind::PartnerUser,
                            name: &me.display_name,
                            email: &me.email,
                            company: &me.company,
                            status,
                            client_key: None,
                        };
                        let (after, _) = insert_rsvp(&mut tx, now, &new).await?;
                        audit_rsvp(&mut tx, now, actor, AuditAction::Created, None, &after).await?;
                        after
                    }
                }
            }
            Response::NotGoing => {
                if event.status != EventStatus::Published {
                    rsvp_open(event.status, event.rsvp_deadline, now)
                        .map_err(|r| refused("response", r))?;
                }
                match existing {
                    Some(r) if r.checked_in_at.is_some() => {
                        return Err(StoreError::conflict(
                            "response",
                            "rsvp.checked_in",
                            "you are checked in at this event already",
                        ));
                    }
                    Some(r) if r.status == RsvpStatus::NotGoing => return Ok(r),
                    Some(r) => {
                        let after = withdraw(&mut tx, now, actor, &r).await?;
                        promote(&mut tx, event_id, now, actor).await?;
                        after
                    }
                    None => {
                        let new = NewRsvp {
                            event: &event,
                            partner: Some(&partner),
                            user: Some(&user),
                            kind: AttendeeKind::PartnerUser,
                            name: &me.display_name,
                            email: &me.email,
                            company: &me.company,
                            status: RsvpStatus::NotGoing,
                            client_key: None,
                        };
                        let (after, _) = insert_rsvp(&mut tx, now, &new).await?;
                        audit_rsvp(&mut tx, now, actor, AuditAction::Created, None, &after).await?;
                        after
                    }
                }
            }
        };
        tx.commit().await?;
        Ok(after)
    }

    /// The caller's own reply to an event, if any.
    pub async fn my_rsvp(
        &self,
        actor: &Actor,
        event_id: &str,
    ) -> Result<Option<EventRegistration>> {
        let Some(user) = actor.user_id() else {
            return Ok(None);
        };
        let mut q = Sql::new(RSVP_SELECT);
        q.push(" AND r.event_id = ")
            .bind(event_id)
            .push(" AND r.user_id = ")
            .bind(user.as_str());
        self.db
            .read()
            .optional::<RsvpRow>(&q)
            .await?
            .map(rsvp_from)
            .transpose()
    }

    /// A customer's reply on the public page: the event must take replies from customers,
    /// the visitor's address (`client_key`, a hash of it) and the event within their limits,
    /// the fields valid, the e-mail address new to the event. A partner-hosted event's
    /// replies count for its host. A filled honeypot stores nothing.
    #[tracing::instrument(skip_all)]
    pub async fn public_rsvp(
        &self,
        slug: &str,
        client_key: &str,
        input: &PublicRsvpInput,
        honeypot: Option<&str>,
    ) -> Result<PublicRsvpOutcome> {
        let event = self.event_page(slug).await?;
        let now = self.now();
        audience_admits(event.audience, AttendeeKind::Customer).map_err(|r| refused("_", r))?;
        rsvp_open(event.status, event.rsvp_deadline, now).map_err(|r| refused("_", r))?;
        if is_bot(honeypot) {
            return Ok(PublicRsvpOutcome::Ignored);
        }
        let f = input.parse()?;
        let mut tx = self.db.begin_write().await?;
        lock_event(&mut tx, event.id.as_str()).await?;
        let event = event_in(&mut tx, &Scope::Vendor, event.id.as_str()).await?;
        rsvp_open(event.status, event.rsvp_deadline, now).map_err(|r| refused("_", r))?;
        row! { struct At { created_at: DateTime<Utc> } }
        let mut q = Sql::new("SELECT created_at FROM event_registrations WHERE client_key = ");
        q.bind(client_key)
            .push(" AND created_at > ")
            .bind(now - PER_ADDRESS_WINDOW);
        let from_address: Vec<DateTime<Utc>> = tx
            .all::<At>(&q)
            .await?
            .into_iter()
            .map(|a| a.created_at)
            .collect();
        let mut q = Sql::new("SELECT created_at FROM event_registrations WHERE event_id = ");
        q.bind(event.id.as_str())
            .push(" AND client_key IS NOT NULL AND created_at > ")
            .bind(now - PER_EVENT_WINDOW);
        let to_event: Vec<DateTime<Utc>> = tx
            .all::<At>(&q)
            .await?
            .into_iter()
            .map(|a| a.created_at)
            .collect();
        if let Err(retry_at) = may_take_rsvp(&from_address, &to_event, now) {
            let wait = (retry_at - now).max(Duration::minutes(1));
            return Err(StoreError::conflict(
                "_",
                "rsvp.rate_limited",
                format!(
                    "too many replies from here just now: please try again in {} minutes",
                    wait.num_minutes().max(1)
                ),
            ));
        }
        let actor = Actor::system("event page");
        let existing = rsvp_of_email(&mut tx, event.id.as_str(), f.email.as_str()).await?;
        if existing
            .as_ref()
            .is_some_and(|r| r.status != RsvpStatus::NotGoing)
        {
            return Err(StoreError::conflict(
                "email",
                "rsvp.duplicate",
                "this e-mail address has replied to this event already: your confirmation has your personal link",
            ));
        }
        let status = if take_seat(&mut tx, event.id.as_str()).await? {
            RsvpStatus::Going
        } else {
            RsvpStatus::Waitlisted
        };
        let (rsvp, code) = match existing {
            Some(before) => {
                // A customer who declined earlier replies again: a new place in the queue
                // and a new personal code.
                let code = new_code();
                let mut q = Sql::new("UPDATE event_registrations SET status = ");
                q.bind(status.as_str())
                    .push(", placed_at = ")
                    .bind(now)
                    .push(", updated_at = ")
                    .bind(now)
                    .push(", name = ")
                    .bind(f.name.as_str())
                    .push(", company = ")
                    .bind(f.company.as_str())
                    .push(", code_hash = ")
                    .bind(secret::token_hash(&code))
                    .push(", client_key = ")
                    .bind(client_key)
                    .push(" WHERE id = ")
                    .bind(before.id.as_str())
                    .push(" AND status = 'not_going'");
                tx.execute(&q).await?;
                let after = rsvp_in(&mut tx, &Scope::Vendor, before.id.as_str()).await?;
                audit_rsvp(
                    &mut tx,
                    now,
                    &actor,
                    AuditAction::Updated,
                    Some(&before),
                    &after,
                )
                .await?;
                (after, code)
            }
            None => {
                let new = NewRsvp {
                    event: &event,
                    partner: event.host_partner_id.as_ref(),
                    user: None,
                    kind: AttendeeKind::Customer,
                    name: &f.name,
                    email: f.email.as_str(),
                    company: &f.company,
                    status,
                    client_key: Some(client_key),
                };
                let (after, code) = insert_rsvp(&mut tx, now, &new).await?;
                audit_rsvp(&mut tx, now, &actor, AuditAction::Created, None, &after).await?;
                (after, code)
            }
        };
        tx.commit().await?;
        Ok(PublicRsvpOutcome::Taken {
            rsvp: Box::new(rsvp),
            code,
        })
    }

    /// An attendee's reply and its event, by the personal code.
    pub async fn rsvp_by_code(&self, code: &str) -> Result<(ProgramEvent, EventRegistration)> {
        let mut read = self.db.read();
        let r = rsvp_of_code(&mut read, code).await?;
        let e = event_in(&mut read, &Scope::Vendor, r.event_id.as_str()).await?;
        Ok((e, r))
    }

    /// An attendee cancels with the personal code: the seat goes to the first on the
    /// waitlist.
    #[tracing::instrument(skip_all)]
    pub async fn cancel_rsvp_by_code(&self, code: &str) -> Result<EventRegistration> {
        let now = self.now();
        let r = rsvp_of_code(&mut self.db.read(), code).await?;
        let mut tx = self.db.begin_write().await?;
        lock_event(&mut tx, r.event_id.as_str()).await?;
        let event = event_in(&mut tx, &Scope::Vendor, r.event_id.as_str()).await?;
        let r = rsvp_in(&mut tx, &Scope::Vendor, r.id.as_str()).await?;
        if event.status != EventStatus::Published {
            rsvp_open(event.status, event.rsvp_deadline, now).map_err(|x| refused("_", x))?;
        }
        if r.checked_in_at.is_some() {
            return Err(StoreError::conflict(
                "_",
                "rsvp.checked_in",
                "you are checked in already",
            ));
        }
        if r.status == RsvpStatus::NotGoing {
            return Ok(r);
        }
        let actor = Actor::system("event page");
        let after = withdraw(&mut tx, now, &actor, &r).await?;
        promote(&mut tx, event.id.as_str(), now, &actor).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// An attendee checks in with the personal code, while the event runs.
    #[tracing::instrument(skip_all)]
    pub async fn check_in_by_code(&self, code: &str) -> Result<EventRegistration> {
        let r = rsvp_of_code(&mut self.db.read(), code).await?;
        self.check_in_as(&Actor::system("check-in code"), r, CheckInBy::Attendee)
            .await
    }

    /// A partner user checks themself in (from the portal or the API) while the event runs:
    /// their own going reply, once.
    #[tracing::instrument(skip_all, fields(event_id = %event_id))]
    pub async fn check_in_self(&self, actor: &Actor, event_id: &str) -> Result<EventRegistration> {
        let event = self.event(&actor.scope(), event_id).await?;
        let Some(r) = self.my_rsvp(actor, event.id.as_str()).await? else {
            return Err(StoreError::conflict(
                "rsvp_id",
                "rsvp.none",
                "you have not replied to this event",
            ));
        };
        self.check_in_as(actor, r, CheckInBy::Attendee).await
    }

    /// The host's staff check an attendee in from the attendance list.
    #[tracing::instrument(skip_all, fields(rsvp_id = %rsvp_id))]
    pub async fn check_in(&self, actor: &Actor, rsvp_id: &str) -> Result<EventRegistration> {
        let r = rsvp_in(&mut self.db.read(), &actor.scope(), rsvp_id).await?;
        let event = event_in(&mut self.db.read(), &Scope::Vendor, r.event_id.as_str()).await?;
        actor.authorize(&check_in_action(&event))?;
        self.check_in_as(actor, r, CheckInBy::Host).await
    }

    async fn check_in_as(
        &self,
        actor: &Actor,
        r: EventRegistration,
        by: CheckInBy,
    ) -> Result<EventRegistration> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let event = event_in(&mut tx, &Scope::Vendor, r.event_id.as_str()).await?;
        let before = rsvp_in(&mut tx, &Scope::Vendor, r.id.as_str()).await?;
        may_check_in(
            event.status,
            event.starts_at,
            event.ends_at,
            before.status,
            before.checked_in_at.is_some(),
            by,
            now,
        )
        .map_err(|x| refused("rsvp_id", x))?;
        let mut q = Sql::new("UPDATE event_registrations SET checked_in_at = ");
        q.bind(now)
            .push(", checked_in_by = ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(before.id.as_str())
            .push(" AND status = 'going' AND checked_in_at IS NULL");
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "rsvp_id",
                "rsvp.checked_in",
                "this attendee is checked in already",
            ));
        }
        let after = rsvp_in(&mut tx, &Scope::Vendor, before.id.as_str()).await?;
        audit_rsvp(
            &mut tx,
            now,
            actor,
            AuditAction::Updated,
            Some(&before),
            &after,
        )
        .await?;
        if let (AttendeeKind::PartnerUser, Some(partner), Some(user)) =
            (after.attendee_kind, &after.partner_id, &after.user_id)
        {
            crate::engagement::record(
                &mut tx,
                now,
                partner,
                user,
                EngagementKind::EventAttended,
                event.id.as_str(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// An event's replies as `scope` sees them (a partner: those that count for it), in
    /// the order they took their place.
    pub async fn event_rsvps(
        &self,
        scope: &Scope,
        event_id: &str,
    ) -> Result<Vec<EventRegistration>> {
        let mut read = self.db.read();
        let e = event_in(&mut read, scope, event_id).await?;
        let mut q = Sql::new(RSVP_SELECT);
        q.push(" AND r.event_id = ").bind(e.id.as_str());
        scope::restrict(&mut q, scope, EntityKind::EventRegistration, "r");
        q.push(" ORDER BY r.placed_at, r.id LIMIT 5000");
        read.all::<RsvpRow>(&q)
            .await?
            .into_iter()
            .map(rsvp_from)
            .collect()
    }

    /// One reply.
    pub async fn event_rsvp(&self, scope: &Scope, id: &str) -> Result<EventRegistration> {
        rsvp_in(&mut self.db.read(), scope, id).await
    }

    /// An event's attendance as `scope` sees it: the figures over the replies it may see,
    /// the seats left, and each partner's people and customers.
    pub async fn event_attendance(&self, scope: &Scope, event_id: &str) -> Result<Attendance> {
        let e = self.event(scope, event_id).await?;
        let rsvps = self.event_rsvps(scope, event_id).await?;
        Ok(attendance_of(&e, &rsvps))
    }
}

/// The attendance figures of `event` over `rsvps`.
pub fn attendance_of(event: &ProgramEvent, rsvps: &[EventRegistration]) -> Attendance {
    let figures = Figures::of(rsvps.iter().map(|r| (r.status, r.checked_in_at.is_some())));
    let mut by: Vec<PartnerAttendance> = Vec::new();
    for r in rsvps {
        let (Some(p), RsvpStatus::Going) = (&r.partner_id, r.status) else {
            continue;
        };
        let i = match by.iter().position(|b| &b.partner_id == p) {
            Some(i) => i,
            None => {
                by.push(PartnerAttendance {
                    partner_id: p.clone(),
                    partner_name: r.partner_name.clone().unwrap_or_default(),
                    people_going: 0,
                    people_checked_in: 0,
                    customers_going: 0,
                    customers_checked_in: 0,
                });
                by.len() - 1
            }
        };
        let row = &mut by[i];
        let checked = i64::from(r.checked_in_at.is_some());
        match r.attendee_kind {
            AttendeeKind::PartnerUser => {
                row.people_going += 1;
                row.people_checked_in += checked;
            }
            AttendeeKind::Customer => {
                row.customers_going += 1;
                row.customers_checked_in += checked;
            }
        }
    }
    by.sort_by(|a, b| a.partner_name.cmp(&b.partner_name));
    Attendance {
        figures,
        capacity: event.capacity,
        seats_left: event.seats_left(),
        by_partner: by,
    }
}

/// A personal check-in code: 128 random bits as hex.
fn new_code() -> String {
    secret::random_token("")[..32].to_owned()
}

async fn rsvp_of_code(x: &mut impl Exec, code: &str) -> Result<EventRegistration> {
    let not_found = StoreError::NotFound(EntityKind::EventRegistration);
    if code.len() != 32 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found);
    }
    let mut q = Sql::new(RSVP_SELECT);
    q.push(" AND r.code_hash = ").bind(secret::token_hash(code));
    rsvp_from(x.optional::<RsvpRow>(&q).await?.ok_or(not_found)?)
}

struct NewRsvp<'a> {
    event: &'a ProgramEvent,
    partner: Option<&'a PartnerId>,
    user: Option<&'a UserId>,
    kind: AttendeeKind,
    name: &'a str,
    email: &'a str,
    company: &'a str,
    status: RsvpStatus,
    client_key: Option<&'a str>,
}

/// Inserts a reply; returns it and its personal code. A second reply with the same e-mail
/// address (a race the caller's check did not see) is refused by the unique index.
async fn insert_rsvp(
    tx: &mut Tx,
    now: DateTime<Utc>,
    n: &NewRsvp<'_>,
) -> Result<(EventRegistration, String)> {
    let id: EventRegistrationId = new_id();
    let code = new_code();
    let mut q = Sql::new(
        "INSERT INTO event_registrations (id, event_id, partner_id, user_id, attendee_kind, name, email, company, status, placed_at, code_hash, client_key, created_at, updated_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(n.event.id.as_str())
        .push(", ")
        .bind(n.partner.map(EntityId::as_str))
        .push(", ")
        .bind(n.user.map(EntityId::as_str))
        .push(", ")
        .bind(n.kind.as_str())
        .push(", ")
        .bind(n.name)
        .push(", ")
        .bind(n.email)
        .push(", ")
        .bind(n.company)
        .push(", ")
        .bind(n.status.as_str())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(secret::token_hash(&code))
        .push(", ")
        .bind(n.client_key)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await.map_err(|e| {
        if unique_violation(&e, &ONE_PER_EMAIL) {
            StoreError::conflict(
                "email",
                "rsvp.duplicate",
                "this e-mail address has replied to this event already",
            )
        } else {
            e.into()
        }
    })?;
    Ok((rsvp_in(tx, &Scope::Vendor, id.as_str()).await?, code))
}

/// Marks a going or waitlisted reply "not going", freeing its seat if it held one.
async fn withdraw(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    r: &EventRegistration,
) -> Result<EventRegistration> {
    if !move_rsvp(
        tx,
        r.id.as_str(),
        r.status,
        RsvpStatus::NotGoing,
        now,
        false,
    )
    .await?
    {
        return Err(StoreError::conflict(
            "response",
            "rsvp.checked_in",
            "this reply was checked in meanwhile",
        ));
    }
    if r.status == RsvpStatus::Going {
        free_seat(tx, r.event_id.as_str()).await?;
    }
    let after = rsvp_in(tx, &Scope::Vendor, r.id.as_str()).await?;
    audit_rsvp(tx, now, actor, AuditAction::Updated, Some(r), &after).await?;
    Ok(after)
}
