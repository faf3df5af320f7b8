//! Deal registration and channel conflict in the browser: what the console and portal pages
//! share (a registration as a row with its countdowns, decisions as shown, partner and
//! account names, notices after an action) and the routes of both sides. The pages live in
//! `console` (staff: queue, registrations, engagement), `conflict` (staff: conflict cases)
//! and `portal` (partner users: register, hold check, their registrations). Every write is a
//! `SignedForm` and goes to the store, which applies the rules; refusals come back inline.

use super::Routes;
use crate::AppState;
use crate::ui::UiError;
use crate::ui::form::failure_status;
use crate::ui::form::{FormView, Posted};
use crate::ui::guard::Staff;
use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::EntityKind;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::registration::RegistrationStatus;
use partnerops_core::registration::record::{DecisionRecord, EngagementRequest, Registration};
use partnerops_core::scope::Scope;
use partnerops_store::Store;
use partnerops_store::registration::engagement::EngagementFilter;
use std::collections::HashMap;

mod conflict;
mod console;
mod portal;

pub(crate) use console::account_history;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/portal/registrations", portal::portal_list)
        .post("/portal/registrations", portal::portal_submit)
        .post("/portal/registrations/check", portal::portal_check)
        .get("/portal/registrations/{id}", portal::portal_registration)
        .post(
            "/portal/registrations/{id}/activities",
            portal::portal_log_activity,
        )
        .post("/portal/registrations/{id}/renew", portal::portal_renew)
        .post(
            "/portal/registrations/{id}/withdraw",
            portal::portal_withdraw,
        )
        .post("/portal/registrations/{id}/close", portal::portal_close)
        .post("/portal/engagement/{id}/{answer}", portal::portal_answer)
        .get("/console/registrations", console::console_list)
        .get("/console/registrations/{id}", console::console_registration)
        .post(
            "/console/registrations/{id}/approve",
            console::console_approve,
        )
        .post(
            "/console/registrations/{id}/reject",
            console::console_reject,
        )
        .post(
            "/console/registrations/{id}/engagement",
            console::console_request_engagement,
        )
        .post("/console/registrations/{id}/merge", console::console_merge)
        .post(
            "/console/registrations/{id}/distinct",
            console::console_distinct,
        )
        .get("/console/engagement", console::engagement_list)
        .get("/console/conflicts", conflict::conflicts)
        .post("/console/conflicts", conflict::open_conflict)
        .get("/console/conflicts/{id}", conflict::conflict)
        .post(
            "/console/conflicts/{id}/comments",
            conflict::comment_on_conflict,
        )
        .post(
            "/console/conflicts/{id}/resolve",
            conflict::resolve_conflict,
        )
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn plural(n: i64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A span of time as people say it: "3 days", "5 hours", "12 minutes".
fn span(d: chrono::Duration) -> String {
    let d = d.abs();
    if d.num_days() >= 1 {
        plural(d.num_days(), "day")
    } else if d.num_hours() >= 1 {
        plural(d.num_hours(), "hour")
    } else {
        plural(d.num_minutes().max(1), "minute")
    }
}

/// "due in 2 days" or "overdue by 3 hours", and whether it is overdue.
fn countdown(due: DateTime<Utc>, now: DateTime<Utc>) -> (String, bool) {
    let left = due - now;
    if left > chrono::Duration::zero() {
        (format!("due in {}", span(left)), false)
    } else {
        (format!("overdue by {}", span(left)), true)
    }
}

/// A page request for lists this module shows: a sort, a size and maybe a cursor.
fn page_of(
    sort: &str,
    limit: u32,
    cursor: Option<String>,
    sorts: &[&'static str],
) -> Result<PageRequest, Invalid> {
    PageRequest::parse(
        &PageParams {
            sort: Some(sort.to_owned()),
            limit: Some(limit.to_string()),
            cursor,
        },
        sorts,
    )
}

fn internal(inv: Invalid) -> UiError {
    UiError::Store(inv.into())
}

/// A message as a sentence: capitalised, with a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

/// Messages for the errors of a form not shown beside one of its fields, as sentences
/// (refusals, which the store files under `_`, among them).
pub trait Alerts {
    fn alerts(&self, shown: &[&str]) -> Vec<String>;
}

impl Alerts for FormView {
    fn alerts(&self, shown: &[&str]) -> Vec<String> {
        self.errors
            .errors
            .iter()
            .filter(|e| !shown.contains(&e.field.as_str()))
            .filter_map(|e| self.err(&e.field))
            .map(|m| sentence(&m))
            .collect()
    }
}

/// A rule decision as shown: the rule, its outcome, the reason as a sentence, who and when.
pub struct DecisionView {
    pub rule: String,
    pub outcome: String,
    pub reason: String,
    pub at: String,
    pub actor: String,
    pub policy_version: i64,
}

impl DecisionView {
    fn of(d: &DecisionRecord) -> DecisionView {
        DecisionView {
            rule: d.rule.clone(),
            outcome: d.outcome.replace('_', " "),
            reason: sentence(&d.reason),
            at: minute(d.at),
            actor: d.actor_name.clone(),
            policy_version: d.policy_version,
        }
    }
}

/// Partner and account names looked up once per console page.
struct Names {
    scope: Scope,
    partners: HashMap<String, String>,
    accounts: HashMap<String, String>,
}

impl Names {
    /// Names as staff read them (any partner, any account).
    fn new(staff: &Staff) -> Names {
        Names {
            scope: staff.scope().clone(),
            partners: HashMap::new(),
            accounts: HashMap::new(),
        }
    }

    /// Learns the names of the partners of `ids` not known yet, in one read, so a page of
    /// rows from many partners does not read them one by one.
    async fn learn_partners(&mut self, state: &AppState, ids: &[&str]) -> Result<(), UiError> {
        let mut unknown: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !self.partners.contains_key(*id))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        for p in state.store.partners_by_id(&self.scope, &unknown).await? {
            self.partners.insert(p.id.to_string(), p.name);
        }
        Ok(())
    }

    async fn partner(&mut self, state: &AppState, id: &str) -> Result<String, UiError> {
        if let Some(n) = self.partners.get(id) {
            return Ok(n.clone());
        }
        let name = state.store.partner(&self.scope, id).await?.name;
        self.partners.insert(id.to_owned(), name.clone());
        Ok(name)
    }

    async fn account(&mut self, state: &AppState, id: &str) -> Result<String, UiError> {
        if let Some(n) = self.accounts.get(id) {
            return Ok(n.clone());
        }
        let name = state.store.account(&self.scope, id).await?.name;
        self.accounts.insert(id.to_owned(), name.clone());
        Ok(name)
    }
}

/// One registration as a row of a list (and the computed facts of a registration page).
pub struct RegRow {
    pub id: String,
    pub account_name: String,
    pub account_domain: Option<String>,
    pub title: String,
    pub partner_id: String,
    /// Empty in the portal: a partner knows its own name.
    pub partner_name: String,
    pub status: RegistrationStatus,
    pub arr: String,
    pub submitted: String,
    pub approved: Option<String>,
    pub expires: Option<String>,
    /// Approved registrations: how long they still hold the account.
    pub days_left: Option<String>,
    pub sla_due: Option<String>,
    pub sla_missed: bool,
    pub closed: Option<String>,
    pub duplicate: bool,
    pub renewals: i64,
}

impl RegRow {
    fn new(r: &Registration, partner_name: String, now: DateTime<Utc>) -> RegRow {
        let approved = r.status == RegistrationStatus::Approved;
        let days_left = r.expires_at.filter(|_| approved).map(|e| {
            let left = e - now;
            if left <= chrono::Duration::zero() {
                "expiring now".to_owned()
            } else if left.num_days() < 1 {
                "less than a day".to_owned()
            } else {
                plural(left.num_days(), "day")
            }
        });
        let sla_due = r.sla_due_at.filter(|_| approved);
        RegRow {
            id: r.id.to_string(),
            account_name: r.account_name.clone(),
            account_domain: r.account_domain.clone(),
            title: r.title.clone(),
            partner_id: r.partner_id.to_string(),
            partner_name,
            status: r.status,
            arr: r.estimated_arr.to_string(),
            submitted: day(r.submitted_at),
            approved: r.approved_at.map(day),
            expires: r.expires_at.map(day),
            days_left,
            sla_due: sla_due.map(day),
            sla_missed: approved && (r.sla_missed_at.is_some() || sla_due.is_some_and(|d| d < now)),
            closed: r.closed_at.map(day),
            duplicate: r.in_duplicate_review,
            renewals: r.renewals,
        }
    }
}

/// The rule decisions about a record, as shown (the registration and account pages).
pub(crate) async fn decisions(
    state: &AppState,
    scope: &Scope,
    kind: EntityKind,
    id: &str,
) -> Result<Vec<DecisionView>, UiError> {
    Ok(state
        .store
        .decisions(scope, kind, id)
        .await?
        .iter()
        .map(DecisionView::of)
        .collect())
}

async fn engagements_of(
    state: &AppState,
    scope: &Scope,
    registration: &Registration,
) -> Result<Vec<EngagementRequest>, UiError> {
    let page = page_of("-created_at", 50, None, &Store::engagement_sorts()).map_err(internal)?;
    Ok(state
        .store
        .engagement_requests(
            scope,
            &EngagementFilter {
                registration_id: Some(registration.id.clone()),
                ..Default::default()
            },
            &page,
        )
        .await?
        .items)
}

fn trimmed(posted: &Posted, name: &str) -> Option<String> {
    posted
        .get(name)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "activity" => "Activity logged: the follow-up clock restarts.",
        "renewed" => "Renewed.",
        "withdrawn" => "Withdrawn: the account is released.",
        "closed" => "Closed: the account is released.",
        "answered" => "Engagement request answered.",
        "approved" => "Approved.",
        "rejected" => "Rejected: the account is released.",
        "requested" => "Engagement requested: the partner is asked for consent.",
        "commented" => "Comment added.",
        "resolved" => "Resolved.",
        "merged" => {
            "Merged: this registration's account is now the surviving account, with all its history."
        }
        "distinct" => {
            "Marked as different companies: the two accounts are not flagged as duplicates again."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_as_people_say_them() {
        let now = DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let h = chrono::Duration::hours;
        assert_eq!(
            countdown(now + h(50), now),
            ("due in 2 days".to_owned(), false)
        );
        assert_eq!(
            countdown(now - h(3), now),
            ("overdue by 3 hours".to_owned(), true)
        );
        assert_eq!(
            countdown(now + h(1), now),
            ("due in 1 hour".to_owned(), false)
        );
        assert_eq!(
            countdown(now - chrono::Duration::seconds(20), now),
            ("overdue by 1 minute".to_owned(), true)
        );
    }
}
