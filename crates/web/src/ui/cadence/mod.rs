//! The 30-day cadence in the browser. Staff land on `/console`, their home: what is due in
//! the next 30 days (overdue first) beside the pipeline at a glance (this quarter's
//! sourced ARR against the agreed plans' milestones). `/console/cadence` and
//! `/portal/cadence` show the same items as a month calendar, with the user's private
//! calendar feed (create, replace, revoke); partner users get their list there too.
//! `/calendar/{token}.ics` serves the feed to calendar programs (`public`): the token in
//! the URL is the credential, so it needs no session.

mod console;
mod portal;
mod public;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::cadence::calendar::{self, Month};
use partnerops_core::cadence::{Agenda, AgendaItem, CalendarFeed, PlanGlance};
use partnerops_core::money::Money;
use serde::Deserialize;

use super::session::UiUser;
use super::{Chrome, Routes, UiError};
use crate::AppState;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console", console::home)
        .get("/console/cadence", console::calendar)
        .post("/console/cadence/feed", console::create_feed)
        .post("/console/cadence/feed/revoke", console::revoke_feed)
        .get("/portal/cadence", portal::calendar)
        .post("/portal/cadence/feed", portal::create_feed)
        .post("/portal/cadence/feed/revoke", portal::revoke_feed)
        .get("/calendar/{file}", public::feed)
}

/// `?everyone=1` on the home page: every partner's items, not only those of the partners
/// the user looks after.
#[derive(Debug, Default, Deserialize)]
struct HomeQuery {
    everyone: Option<String>,
}

/// `?month=YYYY-MM` of the calendar page.
#[derive(Debug, Default, Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

/// A plan's current quarter as a row of the glance.
struct GlanceRow {
    plan_id: String,
    partner_name: String,
    title: String,
    quarter: u8,
    milestone: String,
    won: String,
    pipeline: String,
    attainment: String,
    state: &'static str,
    state_label: &'static str,
    drift_reason: Option<String>,
}

impl GlanceRow {
    fn new(g: &PlanGlance) -> GlanceRow {
        let money = |minor| Money::new(minor, g.currency).to_string();
        let q = &g.quarter;
        GlanceRow {
            plan_id: g.plan_id.to_string(),
            partner_name: g.partner_name.clone(),
            title: g.title.clone(),
            quarter: q.quarter,
            milestone: money(q.milestone_minor),
            won: money(q.won_minor),
            pipeline: money(q.pipeline_minor),
            attainment: q
                .attainment_bp
                .map(|bp| format!("{}%", bp / 100))
                .unwrap_or_else(|| "–".to_owned()),
            state: q.state.as_str(),
            state_label: q.state.label(),
            drift_reason: q.drift_reason.clone(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cadence/home.html")]
struct HomePage {
    chrome: Chrome,
    agenda: Agenda,
    glance: Vec<GlanceRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "cadence/calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    /// `/console/cadence` or `/portal/cadence`.
    base: &'static str,
    agenda: Agenda,
    month: Month,
    month_label: String,
    previous: String,
    next: String,
    /// Shown with the list on the portal; the console shows its list on the home page.
    with_list: bool,
    feed: Option<CalendarFeed>,
    /// The feed's URL, right after it was created (never shown again).
    new_url: Option<String>,
    error: Option<String>,
}

/// The home page of staff.
async fn home(state: &AppState, user: &UiUser, everyone: bool) -> Result<HomePage, UiError> {
    let agenda = state.store.cadence(&user.principal, everyone).await?;
    let glance = state
        .store
        .plans_at_a_glance(&user.principal, everyone)
        .await?;
    Ok(HomePage {
        chrome: Chrome::new(user, "home"),
        agenda,
        glance: glance.iter().map(GlanceRow::new).collect(),
    })
}

/// The calendar page of `month` (today's month when absent or not a month).
async fn calendar_page(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    q: &MonthQuery,
    new_url: Option<String>,
) -> Result<CalendarPage, UiError> {
    let agenda = state.store.cadence(&user.principal, false).await?;
    let today = agenda.today;
    let (first, error) = match q.month.as_deref().filter(|m| !m.trim().is_empty()) {
        None => (calendar::month_start(today), None),
        Some(raw) => match calendar::parse_month("month", raw) {
            Ok(first) => (first, None),
            Err(e) => (calendar::month_start(today), Some(e.message)),
        },
    };
    let items: Vec<AgendaItem> = agenda
        .overdue
        .iter()
        .chain(&agenda.upcoming)
        .cloned()
        .collect();
    let month = calendar::month(first, today, &items);
    let (previous, next) = calendar::neighbours(first);
    let feed = state.store.calendar_feed(&user.actor()).await?;
    Ok(CalendarPage {
        chrome: Chrome::new(user, "cadence"),
        base,
        month_label: first.format("%B %Y").to_string(),
        previous: previous.format("%Y-%m").to_string(),
        next: next.format("%Y-%m").to_string(),
        with_list: !user.principal.is_vendor(),
        agenda,
        month,
        feed,
        new_url,
        error,
    })
}

/// Creates (or replaces) the user's feed and shows its URL once.
async fn create_feed(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
) -> Result<Response, UiError> {
    let (_, token) = state.store.create_calendar_feed(&user.actor()).await?;
    let url = format!(
        "{}/calendar/{token}.ics",
        state
            .store
            .notify_settings()
            .public_url
            .trim_end_matches('/')
    );
    Ok(
        calendar_page(state, user, base, &MonthQuery::default(), Some(url))
            .await?
            .into_response(),
    )
}

async fn revoke_feed(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
) -> Result<Response, UiError> {
    state.store.revoke_calendar_feed(&user.actor()).await?;
    Ok(Redirect::to(base).into_response())
}
