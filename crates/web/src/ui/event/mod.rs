//! Events in the browser. The console: every event with its figures, the editor, an
//! event's page with the attendance list, check-in buttons and the figures per partner. The
//! portal: the program's upcoming events to reply to, the partner's own events (its admin
//! hosts them) with their attendance, and its own people at vendor events. The public page
//! `/events/{slug}`: customers reply (a honeypot, limits per address and per event, every
//! typed value escaped); their personal page `/rsvp/{code}` shows the reply, cancels it and
//! checks them in. Times show in the event's time zone; an `.ics` file adds an event to a
//! calendar.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use partnerops_core::event::record::{
    Attendance, Audience, EventInput, EventKind, EventRegistration, EventStatus, ProgramEvent,
    PublicRsvpInput, RsvpInput, RsvpStatus, attendance_csv,
};
use partnerops_core::event::{
    CheckInBy, HONEYPOT_FIELD, local_display, local_input, may_check_in, offset_label, when_display,
};
use partnerops_core::ids::EntityId;
use partnerops_core::scope::Scope;
use partnerops_core::user::Role;
use partnerops_store::StoreError;
use partnerops_store::event::{PublicRsvpOutcome, When, attendance_of};

use super::Routes;
use crate::AppState;
use crate::auth::ClientAddr;
use crate::ui::form::{FormView, Posted, field_errors};
use crate::ui::guard::{Guard, PartnerUser, Staff};
use crate::ui::markdown;
use crate::ui::session::{SignedForm, UiUser, public_csrf, public_form_ok};
use crate::ui::{Chrome, UiError};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/events/{slug}", public_page)
        .post("/events/{slug}", public_rsvp)
        .get("/events/{slug}/calendar.ics", calendar_file)
        .get("/rsvp/{code}", personal_page)
        .post("/rsvp/{code}/{action}", personal_action)
        .get("/console/events", console_list)
        .get("/console/events/new", console_new)
        .post("/console/events", console_create)
        .get("/console/events/{id}", console_event)
        .get("/console/events/{id}/edit", console_edit)
        .post("/console/events/{id}", console_save)
        .post("/console/events/{id}/{action}", console_action)
        .get("/console/events/{id}/attendance.csv", console_csv)
        .post("/console/event-rsvps/{id}/check-in", console_check_in)
        .get("/portal/events", portal_list)
        .get("/portal/events/new", portal_new)
        .post("/portal/events", portal_create)
        .get("/portal/events/{id}", portal_event)
        .get("/portal/events/{id}/edit", portal_edit)
        .post("/portal/events/{id}", portal_save)
        .post("/portal/events/{id}/{action}", portal_action)
        .get("/portal/events/{id}/attendance.csv", portal_csv)
        .post("/portal/event-rsvps/{id}/check-in", portal_check_in)
}

// ---- shared views ----

/// An event as lists and pages show it: times in its own zone.
pub struct EventView {
    pub event: ProgramEvent,
    pub when: String,
    pub deadline: String,
    /// Whether it has started (a show rate means something only then).
    pub started: bool,
    pub attendance: Attendance,
    /// The partner user's own reply, in the portal.
    pub mine: Option<EventRegistration>,
}

impl EventView {
    fn new(event: ProgramEvent, attendance: Attendance, now: DateTime<Utc>) -> EventView {
        EventView {
            started: now >= event.starts_at,
            when: when_display(event.starts_at, event.ends_at, event.utc_offset_minutes),
            deadline: local_display(event.rsvp_deadline, event.utc_offset_minutes),
            event,
            attendance,
            mine: None,
        }
    }

    pub fn seats(&self) -> String {
        match self.event.capacity {
            Some(c) => format!("{} of {c}", self.event.going_count),
            None => format!("{} (no limit)", self.event.going_count),
        }
    }

    pub fn show_rate(&self) -> String {
        match self.attendance.figures.show_rate_pct {
            Some(p) if self.started => format!("{p}%"),
            _ => "–".to_owned(),
        }
    }

    pub fn host(&self) -> &str {
        self.event.host_name.as_deref().unwrap_or("Vendor")
    }

    pub fn is_customers(&self) -> bool {
        self.event.audience != Audience::Partners
    }

    pub fn is_for_partners(&self) -> bool {
        self.event.audience != Audience::Customers
    }

    pub fn is_open(&self) -> bool {
        self.event.status == EventStatus::Published
    }

    pub fn status(&self) -> &'static str {
        self.event.status.label()
    }

    pub fn mine_status(&self) -> &'static str {
        self.mine.as_ref().map_or("", |r| r.status.as_str())
    }
}

async fn views(
    state: &AppState,
    scope: &Scope,
    events: Vec<ProgramEvent>,
) -> Result<Vec<EventView>, UiError> {
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let rsvps = state.store.event_rsvps(scope, e.id.as_str()).await?;
        let a = attendance_of(&e, &rsvps);
        out.push(EventView::new(e, a, state.store.now()));
    }
    Ok(out)
}

/// A reply in the attendance list, with whether the viewer may check it in now.
pub struct RsvpRow {
    pub rsvp: EventRegistration,
    pub placed: String,
    pub checked_in: String,
    pub can_check_in: bool,
}

fn rsvp_rows(
    state: &AppState,
    v: &EventView,
    list: Vec<EventRegistration>,
    host: bool,
) -> Vec<RsvpRow> {
    let now = state.store.now();
    list.into_iter()
        .map(|r| RsvpRow {
            placed: local_display(r.placed_at, v.event.utc_offset_minutes),
            checked_in: r
                .checked_in_at
                .map(|t| local_display(t, v.event.utc_offset_minutes))
                .unwrap_or_default(),
            can_check_in: host
                && may_check_in(
                    v.event.status,
                    v.event.starts_at,
                    v.event.ends_at,
                    r.status,
                    r.checked_in_at.is_some(),
                    CheckInBy::Host,
                    now,
                )
                .is_ok(),
            rsvp: r,
        })
        .collect()
}

fn public_url(state: &AppState) -> String {
    state
        .store
        .notify_settings()
        .public_url
        .trim_end_matches('/')
        .to_owned()
}

// ---- the editor ----

#[derive(Template, WebTemplate)]
#[template(path = "event/form.html")]
struct FormPage {
    chrome: Chrome,
    event: Option<ProgramEvent>,
    action: String,
    cancel: String,
    programs: Vec<(String, String)>,
    campaigns: Vec<(String, String)>,
    kinds: &'static [EventKind],
    audiences: &'static [Audience],
    offsets: Vec<(String, String)>,
    form: FormView,
}

/// The offsets a form offers, whole and half hours from UTC−12:00 to UTC+14:00.
fn offsets() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut m = -12 * 60;
    while m <= 14 * 60 {
        let label = offset_label(m);
        let value = if m == 0 {
            "+00:00".to_owned()
        } else {
            label.replace("UTC", "")
        };
        out.push((value, label));
        m += 30;
    }
    out.push(("+05:45".into(), "UTC+05:45".into()));
    out
}

fn event_form(e: &ProgramEvent) -> FormView {
    let mut f = FormView::default();
    let z = e.utc_offset_minutes;
    f.set("kind", e.kind.as_str());
    f.set("title", e.title.clone());
    f.set("description", e.description.clone());
    f.set("starts_at", local_input(e.starts_at, z));
    f.set("ends_at", local_input(e.ends_at, z));
    f.set(
        "utc_offset",
        if z == 0 {
            "+00:00".to_owned()
        } else {
            offset_label(z).replace("UTC", "")
        },
    );
    f.set("location", e.location.clone().unwrap_or_default());
    f.set("join_url", e.join_url.clone().unwrap_or_default());
    f.set(
        "capacity",
        e.capacity.map(|c| c.to_string()).unwrap_or_default(),
    );
    f.set("audience", e.audience.as_str());
    f.set("rsvp_deadline", local_input(e.rsvp_deadline, z));
    f.set(
        "campaign_id",
        e.campaign_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    f.set("program_id", e.program_id.to_string());
    f
}

/// The form as input; a capacity that is not a number is named like any other field.
fn event_input(posted: &Posted) -> Result<EventInput, partnerops_core::Invalid> {
    let capacity = match posted.get("capacity").map(|c| c.trim().replace(',', "")) {
        None => None,
        Some(c) if c.is_empty() => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            partnerops_core::Invalid::one(
                "capacity",
                "number",
                "capacity must be a whole number of seats, or empty for no limit",
            )
        })?),
    };
    Ok(EventInput {
        program_id: posted.get("program_id"),
        partner_id: None,
        campaign_id: posted.get("campaign_id"),
        kind: posted.get("kind"),
        title: posted.get("title"),
        description: posted.get("description"),
        starts_at: posted.get("starts_at"),
        ends_at: posted.get("ends_at"),
        utc_offset: posted.get("utc_offset"),
        location: posted.get("location"),
        join_url: posted.get("join_url"),
        capacity,
        audience: posted.get("audience"),
        rsvp_deadline: posted.get("rsvp_deadline"),
    })
}

async fn form_page(
    state: &AppState,
    user: &UiUser,
    base: &str,
    event: Option<ProgramEvent>,
    form: FormView,
) -> Result<FormPage, UiError> {
    let scope = user.principal.scope.clone();
    let (programs, campaigns) = match &scope {
        Scope::Vendor => {
            let staff = <Staff as Guard>::admit(user.clone())?;
            let programs = crate::ui::pipeline::console::programs(state, &staff)
                .await?
                .into_iter()
                .map(|p| (p.id.to_string(), p.name))
                .collect();
            (programs, Vec::new())
        }
        Scope::Partner(_) => {
            let campaigns = state
                .store
                .campaigns(&scope, None)
                .await?
                .into_iter()
                .map(|c| (c.id.to_string(), c.name))
                .collect();
            (Vec::new(), campaigns)
        }
    };
    let (action, cancel) = match &event {
        Some(e) => (format!("{base}/{}", e.id), format!("{base}/{}", e.id)),
        None => (base.to_owned(), base.to_owned()),
    };
    Ok(FormPage {
        chrome: Chrome::new(user, "events"),
        event,
        action,
        cancel,
        programs,
        campaigns,
        kinds: EventKind::ALL,
        audiences: Audience::ALL,
        offsets: offsets(),
        form,
    })
}

fn new_form() -> FormView {
    let mut f = FormView::default();
    f.set("kind", "webinar");
    f.set("audience", "both");
    f.set("utc_offset", "+00:00");
    f
}

async fn create(
    state: &AppState,
    user: &UiUser,
    base: &str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let result = match event_input(posted) {
        Ok(input) => state.store.create_event(&user.actor(), &input).await,
        Err(inv) => Err(inv.into()),
    };
    match result {
        Ok(e) => Ok(Redirect::to(&format!("{base}/{}", e.id)).into_response()),
        Err(e) => {
            let view = FormView::from_posted(posted).with_errors(field_errors(e)?);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(state, user, base, None, view).await?,
            )
                .into_response())
        }
    }
}

async fn save(
    state: &AppState,
    user: &UiUser,
    base: &str,
    id: &str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let result = match event_input(posted) {
        Ok(input) => {
            let input = EventInput {
                program_id: None,
                ..input
            };
            state.store.update_event(&user.actor(), id, &input).await
        }
        Err(inv) => Err(inv.into()),
    };
    match result {
        Ok(e) => Ok(Redirect::to(&format!("{base}/{}", e.id)).into_response()),
        Err(e) => {
            let current = state.store.event(&user.principal.scope, id).await?;
            let status = crate::ui::form::failure_status(&e);
            let view = FormView::from_posted(posted).with_errors(field_errors(e)?);
            Ok((
                status,
                form_page(state, user, base, Some(current), view).await?,
            )
                .into_response())
        }
    }
}

// ---- the event page ----

#[derive(Template, WebTemplate)]
#[template(path = "event/event.html")]
struct EventPage {
    chrome: Chrome,
    base: &'static str,
    view: EventView,
    description: String,
    rsvps: Vec<RsvpRow>,
    /// The viewer hosts it (may edit, publish, cancel); check-in buttons are per row.
    host: bool,
    /// The viewer may reply for themself (a partner user, for an event for partners).
    can_reply: bool,
    /// The viewer may check themself in now (a going reply, while the event runs).
    can_self_check_in: bool,
    public_url: String,
    error: Option<String>,
}

impl EventPage {
    fn going(&self) -> Vec<&RsvpRow> {
        self.rsvps
            .iter()
            .filter(|r| r.rsvp.status == RsvpStatus::Going)
            .collect()
    }

    fn waitlisted(&self) -> Vec<&RsvpRow> {
        self.rsvps
            .iter()
            .filter(|r| r.rsvp.status == RsvpStatus::Waitlisted)
            .collect()
    }

    fn declined(&self) -> Vec<&RsvpRow> {
        self.rsvps
            .iter()
            .filter(|r| r.rsvp.status == RsvpStatus::NotGoing)
            .collect()
    }
}

async fn event_page(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    error: Option<String>,
) -> Result<EventPage, UiError> {
    let scope = user.principal.scope.clone();
    let event = state.store.event(&scope, id).await?;
    let list = state.store.event_rsvps(&scope, id).await?;
    let attendance = attendance_of(&event, &list);
    let actor = user.actor();
    let host = match &event.host_partner_id {
        None => actor
            .authorize(&partnerops_core::scope::Action::ManageEvents)
            .is_ok(),
        Some(p) => actor
            .authorize(&partnerops_core::scope::Action::CheckInAttendees(p))
            .is_ok(),
    };
    let editor = match &event.host_partner_id {
        None => host,
        Some(p) => actor
            .authorize(&partnerops_core::scope::Action::HostEvent(p))
            .is_ok(),
    };
    let mut view = EventView::new(event, attendance, state.store.now());
    view.mine = state.store.my_rsvp(&actor, id).await?;
    let can_reply = matches!(scope, Scope::Partner(_)) && view.is_for_partners();
    let can_self_check_in = view.mine.as_ref().is_some_and(|r| {
        may_check_in(
            view.event.status,
            view.event.starts_at,
            view.event.ends_at,
            r.status,
            r.checked_in_at.is_some(),
            CheckInBy::Attendee,
            state.store.now(),
        )
        .is_ok()
    });
    let rows = rsvp_rows(state, &view, list, host);
    Ok(EventPage {
        chrome: Chrome::new(user, "events"),
        base,
        description: markdown::render(&view.event.description),
        rsvps: rows,
        host: editor,
        can_reply,
        can_self_check_in,
        public_url: public_url(state),
        view,
        error,
    })
}

async fn after_failure(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    e: StoreError,
) -> Result<Response, UiError> {
    let status = crate::ui::form::failure_status(&e);
    let why = field_errors(e)?.summary();
    Ok((status, event_page(state, user, base, id, Some(why)).await?).into_response())
}

async fn status_action(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    action: &str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let result = match action {
        "publish" => state
            .store
            .set_event_status(&user.actor(), id, EventStatus::Published)
            .await
            .map(|_| ()),
        "cancel" => state
            .store
            .set_event_status(&user.actor(), id, EventStatus::Cancelled)
            .await
            .map(|_| ()),
        "complete" => state
            .store
            .set_event_status(&user.actor(), id, EventStatus::Completed)
            .await
            .map(|_| ()),
        "rsvp" if base == "/portal/events" => state
            .store
            .rsvp(
                &user.actor(),
                id,
                &RsvpInput {
                    response: posted.get("response"),
                },
            )
            .await
            .map(|_| ()),
        "check-in" if base == "/portal/events" => state
            .store
            .check_in_self(&user.actor(), id)
            .await
            .map(|_| ()),
        _ => return Err(UiError::NotFound),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{base}/{id}")).into_response()),
        Err(e @ StoreError::NotFound(_)) => Err(e.into()),
        Err(e) => after_failure(state, user, base, id, e).await,
    }
}

async fn check_in(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    rsvp_id: &str,
) -> Result<Response, UiError> {
    let r = state
        .store
        .event_rsvp(&user.principal.scope, rsvp_id)
        .await?;
    let event = r.event_id.to_string();
    match state.store.check_in(&user.actor(), rsvp_id).await {
        Ok(_) => Ok(Redirect::to(&format!("{base}/{event}#attendance")).into_response()),
        Err(e) => after_failure(state, user, base, &event, e).await,
    }
}

async fn csv(state: &AppState, scope: &Scope, id: &str) -> Result<Response, UiError> {
    let e = state.store.event(scope, id).await?;
    let list = state.store.event_rsvps(scope, id).await?;
    let body = attendance_csv(&e, &list).map_err(|x| UiError::Store(StoreError::Corrupt(x)))?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"attendance-{}.csv\"", e.id),
            ),
        ],
        body,
    )
        .into_response())
}

// ---- the console ----

#[derive(Template, WebTemplate)]
#[template(path = "event/list.html")]
struct ListPage {
    chrome: Chrome,
    base: &'static str,
    upcoming: Vec<EventView>,
    past: Vec<EventView>,
    /// Portal: the partner's own events (its admin may add one).
    own: Vec<EventView>,
    may_host: bool,
}

async fn console_list(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    let upcoming = state.store.events(user.scope(), When::Upcoming).await?;
    let past = state.store.events(user.scope(), When::Past).await?;
    Ok(ListPage {
        chrome: Chrome::new(&user, "events"),
        base: "/console/events",
        upcoming: views(&state, user.scope(), upcoming).await?,
        past: views(&state, user.scope(), past).await?,
        own: Vec::new(),
        may_host: true,
    }
    .into_response())
}

async fn console_new(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    Ok(
        form_page(&state, &user, "/console/events", None, new_form())
            .await?
            .into_response(),
    )
}

async fn console_create(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    create(&state, &form.user, "/console/events", &form.posted).await
}

async fn console_event(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    Ok(event_page(&state, &user, "/console/events", &id, None)
        .await?
        .into_response())
}

async fn console_edit(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let e = state.store.event(user.scope(), &id).await?;
    let form = event_form(&e);
    Ok(form_page(&state, &user, "/console/events", Some(e), form)
        .await?
        .into_response())
}

async fn console_save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    save(&state, &form.user, "/console/events", &id, &form.posted).await
}

async fn console_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    status_action(
        &state,
        &form.user,
        "/console/events",
        &id,
        &action,
        &form.posted,
    )
    .await
}

async fn console_csv(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    csv(&state, user.scope(), &id).await
}

async fn console_check_in(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    check_in(&state, &form.user, "/console/events", &id).await
}

// ---- the portal ----

async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<Response, UiError> {
    let scope = user.scope().clone();
    let actor = user.actor();
    let mut upcoming = Vec::new();
    let mut own = Vec::new();
    for v in views(
        &state,
        &scope,
        state.store.events(&scope, When::Upcoming).await?,
    )
    .await?
    {
        let mut v = v;
        v.mine = state.store.my_rsvp(&actor, v.event.id.as_str()).await?;
        if v.event.host_partner_id.as_ref() == Some(user.partner_id()) {
            own.push(v);
        } else {
            upcoming.push(v);
        }
    }
    let past = views(
        &state,
        &scope,
        state.store.events(&scope, When::Past).await?,
    )
    .await?;
    Ok(ListPage {
        chrome: Chrome::new(&user, "events"),
        base: "/portal/events",
        upcoming,
        past,
        own,
        may_host: user.principal.role == Role::PartnerAdmin,
    }
    .into_response())
}

async fn portal_new(State(state): State<AppState>, user: PartnerUser) -> Result<Response, UiError> {
    Ok(form_page(&state, &user, "/portal/events", None, new_form())
        .await?
        .into_response())
}

async fn portal_create(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    create(&state, &form.user, "/portal/events", &form.posted).await
}

async fn portal_event(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    Ok(event_page(&state, &user, "/portal/events", &id, None)
        .await?
        .into_response())
}

async fn portal_edit(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let e = state.store.event(user.scope(), &id).await?;
    // Only the partner's own events have an editor here.
    if e.host_partner_id.as_ref() != Some(user.partner_id()) {
        return Err(UiError::NotFound);
    }
    let form = event_form(&e);
    Ok(form_page(&state, &user, "/portal/events", Some(e), form)
        .await?
        .into_response())
}

async fn portal_save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    save(&state, &form.user, "/portal/events", &id, &form.posted).await
}

async fn portal_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    status_action(
        &state,
        &form.user,
        "/portal/events",
        &id,
        &action,
        &form.posted,
    )
    .await
}

async fn portal_csv(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    csv(&state, user.scope(), &id).await
}

async fn portal_check_in(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    check_in(&state, &form.user, "/portal/events", &id).await
}

// ---- the public page and the personal page ----

#[derive(Template, WebTemplate)]
#[template(path = "event/public.html")]
struct PublicPage {
    slug: String,
    view: EventView,
    description: String,
    csrf: String,
    form: FormView,
    honeypot: &'static str,
    /// After a reply: its status and the personal link.
    taken: Option<(RsvpStatus, String)>,
    thanks: bool,
}

async fn render_public(
    state: &AppState,
    slug: &str,
    status: StatusCode,
    form: FormView,
    taken: Option<(RsvpStatus, String)>,
    thanks: bool,
) -> Result<Response, UiError> {
    let e = state.store.event_page(slug).await?;
    let (csrf, cookie) = public_csrf(state);
    let description = markdown::render(&e.description);
    let page = PublicPage {
        slug: slug.to_owned(),
        view: EventView::new(e, Attendance::default(), state.store.now()),
        description,
        csrf,
        form,
        honeypot: HONEYPOT_FIELD,
        taken,
        thanks,
    };
    Ok((status, [(SET_COOKIE, cookie)], page).into_response())
}

async fn public_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    render_public(
        &state,
        &slug,
        StatusCode::OK,
        FormView::default(),
        None,
        false,
    )
    .await
}

async fn public_rsvp(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    let form = FormView::from_posted(&posted);
    if !public_form_ok(&headers, &posted) {
        let inv =
            partnerops_core::Invalid::one("_", "csrf", "The form expired. Please send it again.");
        return render_public(
            &state,
            &slug,
            StatusCode::FORBIDDEN,
            form.with_errors(inv),
            None,
            false,
        )
        .await;
    }
    let input = PublicRsvpInput {
        name: posted.get("name"),
        email: posted.get("email"),
        company: posted.get("company"),
    };
    let honeypot = posted.get(HONEYPOT_FIELD);
    match state
        .store
        .public_rsvp(&slug, &addr.key(), &input, honeypot.as_deref())
        .await
    {
        Ok(PublicRsvpOutcome::Taken { rsvp, code }) => {
            let link = format!("{}/rsvp/{code}", public_url(&state));
            render_public(
                &state,
                &slug,
                StatusCode::CREATED,
                FormView::default(),
                Some((rsvp.status, link)),
                true,
            )
            .await
        }
        Ok(PublicRsvpOutcome::Ignored) => {
            render_public(
                &state,
                &slug,
                StatusCode::CREATED,
                FormView::default(),
                None,
                true,
            )
            .await
        }
        Err(e @ StoreError::NotFound(_)) => Err(e.into()),
        Err(e) => {
            let status = match &e {
                StoreError::Conflict { rule, .. } if rule == "rsvp.rate_limited" => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                StoreError::Conflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let inv = field_errors(e)?;
            render_public(&state, &slug, status, form.with_errors(inv), None, false).await
        }
    }
}

async fn calendar_file(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let e = state.store.event_page(&slug).await?;
    let body = partnerops_core::event::ical::event_file(&e, state.store.now(), &public_url(&state));
    Ok((
        [
            (CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"event-{slug}.ics\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "event/personal.html")]
struct PersonalPage {
    code: String,
    view: EventView,
    rsvp: EventRegistration,
    checked_in: String,
    can_check_in: bool,
    csrf: String,
    error: Option<String>,
}

async fn render_personal(
    state: &AppState,
    code: &str,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, UiError> {
    let (e, rsvp) = state.store.rsvp_by_code(code).await?;
    let can_check_in = may_check_in(
        e.status,
        e.starts_at,
        e.ends_at,
        rsvp.status,
        rsvp.checked_in_at.is_some(),
        CheckInBy::Attendee,
        state.store.now(),
    )
    .is_ok();
    let view = EventView::new(e, Attendance::default(), state.store.now());
    let (csrf, cookie) = public_csrf(state);
    let page = PersonalPage {
        code: code.to_owned(),
        checked_in: rsvp
            .checked_in_at
            .map(|t| local_display(t, view.event.utc_offset_minutes))
            .unwrap_or_default(),
        view,
        rsvp,
        can_check_in,
        csrf,
        error,
    };
    Ok((status, [(SET_COOKIE, cookie)], page).into_response())
}

async fn personal_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, UiError> {
    render_personal(&state, &code, StatusCode::OK, None).await
}

async fn personal_action(
    State(state): State<AppState>,
    Path((code, action)): Path<(String, String)>,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    // An unknown code is a 404 before anything else.
    state.store.rsvp_by_code(&code).await?;
    if !public_form_ok(&headers, &posted) {
        return render_personal(
            &state,
            &code,
            StatusCode::FORBIDDEN,
            Some("The form expired. Please send it again.".into()),
        )
        .await;
    }
    let result = match action.as_str() {
        "cancel" => state.store.cancel_rsvp_by_code(&code).await,
        "check-in" => state.store.check_in_by_code(&code).await,
        _ => return Err(UiError::NotFound),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/rsvp/{code}")).into_response()),
        Err(e) => {
            let status = crate::ui::form::failure_status(&e);
            let why = field_errors(e)?.summary();
            render_personal(&state, &code, status, Some(why)).await
        }
    }
}
