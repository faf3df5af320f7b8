//! The 30-day operating cadence: one list of what is due for a person in the next 30 days,
//! overdue first, gathered from every capability (business reviews and milestones of the
//! joint business plans, registrations expiring or near their follow-up SLA, engagement
//! requests waiting for an answer, conflict cases near their deadline, deal-room tasks,
//! next steps of business reviews, onboarding items), the same items as a month calendar ([`calendar`]) and as an
//! iCalendar feed ([`ical`]).
//!
//! The store gathers the items (each source is a query of its capability); the rules of
//! the list are here: the window, the order, what is overdue, where each item links, and
//! the due dates the sources do not carry themselves ([`engagement_answer_due`],
//! [`onboarding_item_due`]).

pub mod calendar;
pub mod ical;

use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;

use crate::kernel::ids::PartnerId;
use crate::text_enum;

/// How far ahead the list looks, in days from today (today + 30 is still in).
pub const WINDOW_DAYS: i64 = 30;

/// Days a partner has to answer an engagement request before the list shows it overdue.
/// The request itself does not lapse then (a missed follow-up SLA grants it); the list only
/// says it has waited too long.
pub const ENGAGEMENT_ANSWER_DAYS: i64 = 2;

/// Days after a partner joined by which every onboarding item should be done.
pub const ONBOARDING_DAYS: i64 = 30;

text_enum!(
    /// What kind of thing is due.
    DueKind {
        Review = "review" / "Business review",
        Milestone = "milestone" / "Plan milestone",
        Commitment = "commitment" / "Marketing commitment",
        RegistrationExpiry = "registration_expiry" / "Registration expires",
        FollowUpSla = "follow_up_sla" / "Follow-up SLA",
        EngagementRequest = "engagement_request" / "Engagement request",
        ConflictDeadline = "conflict_deadline" / "Conflict deadline",
        Task = "task" / "Deal-room task",
        PlanTask = "plan_task" / "Plan task",
        Onboarding = "onboarding" / "Onboarding item",
        LaunchTask = "launch_task" / "Launch task",
        TrackEvaluation = "track_evaluation" / "Technology track evaluation",
    }
);

/// The record an item is about, which decides where it links.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Registration(String),
    Conflict(String),
    BusinessPlan(String),
    /// A deal room: the opportunity's id.
    Room(String),
    /// A partner's onboarding checklist.
    Onboarding(String),
    /// A co-marketing launch (its checklist page).
    Launch(String),
    /// A partner's standing (its page).
    Partner(String),
}

/// Which pages the viewer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Console,
    Portal,
}

impl Subject {
    /// The page of the subject on `side`. A partner's conflict case is read on its
    /// registration, so a portal conflict item carries its registration as subject.
    pub fn path(&self, side: Side) -> String {
        let root = match side {
            Side::Console => "/console",
            Side::Portal => "/portal",
        };
        match (self, side) {
            (Subject::Registration(id), _) => format!("{root}/registrations/{id}"),
            (Subject::Conflict(id), _) => format!("{root}/conflicts/{id}"),
            (Subject::BusinessPlan(id), _) => format!("{root}/business-plans/{id}"),
            (Subject::Room(id), _) => format!("{root}/opportunities/{id}/room"),
            (Subject::Onboarding(id), Side::Console) => format!("/console/partners/{id}"),
            (Subject::Onboarding(_), Side::Portal) => "/portal/onboarding".to_owned(),
            (Subject::Launch(id), _) => format!("{root}/launches/{id}"),
            (Subject::Partner(id), Side::Console) => format!("/console/partners/{id}"),
            (Subject::Partner(_), Side::Portal) => "/portal/onboarding".to_owned(),
        }
    }

    /// The record's id, stable across runs (the iCalendar UID is built from it).
    pub fn id(&self) -> &str {
        match self {
            Subject::Registration(id)
            | Subject::Conflict(id)
            | Subject::BusinessPlan(id)
            | Subject::Room(id)
            | Subject::Onboarding(id)
            | Subject::Launch(id)
            | Subject::Partner(id) => id,
        }
    }
}

/// One thing that is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DueItem {
    pub kind: DueKind,
    /// The last day it may be done on.
    pub due_on: NaiveDate,
    /// What it is, e.g. "Quarterly business review: Acme 2027 plan".
    pub title: String,
    pub partner_id: Option<PartnerId>,
    pub partner_name: Option<String>,
    pub subject: Subject,
    /// Tells two items of one subject and kind apart in the feed (a task id, a quarter).
    pub key: String,
}

/// An item as a viewer reads it: with its link on their side and whether it is overdue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgendaItem {
    #[serde(flatten)]
    pub item: DueItem,
    pub overdue: bool,
    /// Days from today to the due day (negative when overdue).
    pub days_left: i64,
    /// The page of the item on the viewer's side.
    pub link: String,
}

/// What is due for one person: overdue items, then the next 30 days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agenda {
    pub today: NaiveDate,
    /// The last day the list covers.
    pub until: NaiveDate,
    pub overdue: Vec<AgendaItem>,
    pub upcoming: Vec<AgendaItem>,
    /// Whether the list holds only the partners the user looks after (staff assigned to
    /// partners), rather than every partner the user may see.
    pub my_partners_only: bool,
}

/// The current quarter of one agreed plan: its milestone against sourced ARR won and in
/// pipeline.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanGlance {
    pub plan_id: crate::kernel::ids::BusinessPlanId,
    pub title: String,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub currency: crate::kernel::money::Currency,
    pub quarter: crate::business_plan::attainment::QuarterAttainment,
}

/// A live feed as its owner sees it (the token itself is shown once, at creation).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarFeed {
    pub id: crate::kernel::ids::CalendarFeedId,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The last day of the window that starts `today`.
pub fn window_end(today: NaiveDate) -> NaiveDate {
    today + TimeDelta::days(WINDOW_DAYS)
}

/// The agenda of `today` from the gathered items: items due after the window are dropped,
/// duplicates (the same kind, subject and key) kept once, overdue ones first (oldest first),
/// then by due day, kind and title, so the order is the same on every run.
pub fn agenda(mut items: Vec<DueItem>, today: NaiveDate, side: Side) -> Agenda {
    let until = window_end(today);
    items.retain(|i| i.due_on <= until);
    items.sort_by(|a, b| {
        (a.due_on, a.kind.as_str(), &a.title, a.subject.id(), &a.key).cmp(&(
            b.due_on,
            b.kind.as_str(),
            &b.title,
            b.subject.id(),
            &b.key,
        ))
    });
    items.dedup_by(|a, b| a.kind == b.kind && a.subject == b.subject && a.key == b.key);
    let (overdue, upcoming): (Vec<_>, Vec<_>) = items
        .into_iter()
        .map(|item| AgendaItem {
            overdue: item.due_on < today,
            days_left: (item.due_on - today).num_days(),
            link: item.subject.path(side),
            item,
        })
        .partition(|i| i.overdue);
    Agenda {
        today,
        until,
        overdue,
        upcoming,
        my_partners_only: false,
    }
}

/// The day an engagement request asked on `asked_on` should be answered by.
pub fn engagement_answer_due(asked_on: NaiveDate) -> NaiveDate {
    asked_on + TimeDelta::days(ENGAGEMENT_ANSWER_DAYS)
}

/// The day the onboarding items of a partner that joined on `joined_on` are due.
pub fn onboarding_item_due(joined_on: NaiveDate) -> NaiveDate {
    joined_on + TimeDelta::days(ONBOARDING_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub(crate) fn item(kind: DueKind, due_on: NaiveDate, title: &str) -> DueItem {
        DueItem {
            kind,
            due_on,
            title: title.to_owned(),
            partner_id: None,
            partner_name: None,
            subject: Subject::Registration(format!("reg_{title}")),
            key: String::new(),
        }
    }

    #[test]
    fn the_window_ends_thirty_days_after_today_across_a_month_end() {
        let today = d(2027, 1, 31);
        assert_eq!(window_end(today), d(2027, 3, 2));
        let items = vec![
            item(DueKind::Task, d(2027, 3, 2), "last day in"),
            item(DueKind::Task, d(2027, 3, 3), "one day out"),
            item(DueKind::Task, d(2027, 2, 28), "february"),
        ];
        let a = agenda(items, today, Side::Console);
        let titles: Vec<&str> = a.upcoming.iter().map(|i| i.item.title.as_str()).collect();
        assert_eq!(titles, ["february", "last day in"]);
        assert_eq!(a.until, d(2027, 3, 2));
        // A leap year: 30 days after 31 January is 1 March.
        assert_eq!(window_end(d(2028, 1, 31)), d(2028, 3, 1));
    }

    #[test]
    fn overdue_items_come_first_oldest_first_and_today_is_not_overdue() {
        let today = d(2026, 12, 1);
        let items = vec![
            item(DueKind::Review, d(2026, 12, 5), "later"),
            item(DueKind::Task, d(2026, 11, 30), "yesterday"),
            item(DueKind::Task, today, "today"),
            item(DueKind::ConflictDeadline, d(2026, 10, 1), "long ago"),
        ];
        let a = agenda(items, today, Side::Portal);
        let overdue: Vec<&str> = a.overdue.iter().map(|i| i.item.title.as_str()).collect();
        assert_eq!(overdue, ["long ago", "yesterday"]);
        assert_eq!(a.overdue[1].days_left, -1);
        let upcoming: Vec<&str> = a.upcoming.iter().map(|i| i.item.title.as_str()).collect();
        assert_eq!(upcoming, ["today", "later"]);
        assert_eq!(a.upcoming[0].days_left, 0);
        assert!(!a.upcoming[0].overdue);
    }

    #[test]
    fn one_item_per_kind_subject_and_key_and_links_by_side() {
        let today = d(2026, 12, 1);
        let mut task = item(DueKind::Task, d(2026, 12, 3), "Send the quote");
        task.subject = Subject::Room("opp_1".into());
        task.key = "rtk_1".into();
        let mut other = task.clone();
        other.key = "rtk_2".into();
        let a = agenda(vec![task.clone(), task, other], today, Side::Portal);
        assert_eq!(a.upcoming.len(), 2);
        assert_eq!(a.upcoming[0].link, "/portal/opportunities/opp_1/room");
        assert_eq!(
            Subject::Onboarding("ptr_1".into()).path(Side::Console),
            "/console/partners/ptr_1"
        );
        assert_eq!(
            Subject::Onboarding("ptr_1".into()).path(Side::Portal),
            "/portal/onboarding"
        );
        assert_eq!(
            Subject::BusinessPlan("jbp_1".into()).path(Side::Console),
            "/console/business-plans/jbp_1"
        );
        assert_eq!(
            Subject::Launch("lch_1".into()).path(Side::Portal),
            "/portal/launches/lch_1"
        );
    }

    #[test]
    fn derived_due_days_cross_month_ends() {
        assert_eq!(engagement_answer_due(d(2027, 2, 27)), d(2027, 3, 1));
        assert_eq!(engagement_answer_due(d(2028, 2, 28)), d(2028, 3, 1));
        assert_eq!(onboarding_item_due(d(2027, 1, 31)), d(2027, 3, 2));
        assert_eq!(onboarding_item_due(d(2026, 12, 15)), d(2027, 1, 14));
    }
}
