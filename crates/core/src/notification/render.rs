//! What a notification says and where it links, and the e-mails made of it.
//!
//! The text is built from a short list of named fields of the event's payload (a
//! registration's title and account, a due time, a reason) and never from the rest of it,
//! so a field that is not for the recipient (a registration's `possible_duplicate_of`,
//! which names an account another partner holds) cannot reach a notification. Links are
//! paths of the recipient's own side (console or portal) built from ids that parse, and
//! fall back to the recipient's notification list where no page for the record exists yet.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::business_plan::record::ReviewKind;
use crate::kernel::ids::{
    BusinessPlanId, ConflictId, EntityId, MdfRequestId, RegistrationId, StatementId,
    WebhookSubscriptionId,
};
use crate::money::{Currency, Money};
use crate::notification::route::route;

/// Which pages a recipient uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Vendor staff: `/console/…`.
    Console,
    /// Partner users: `/portal/…`.
    Portal,
}

impl Side {
    fn root(self) -> &'static str {
        match self {
            Side::Console => "/console",
            Side::Portal => "/portal",
        }
    }

    /// The recipient's notification list (also where the preferences are).
    pub fn notifications_path(self) -> String {
        format!("{}/notifications", self.root())
    }
}

/// An outbox event as the renderer reads it.
#[derive(Clone, Copy, Debug)]
pub struct EventView<'a> {
    pub kind: &'a str,
    pub entity_id: &'a str,
    pub payload: &'a Value,
}

/// A notification's text and link (a path inside the app).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub body: String,
    pub link: String,
}

/// The longest text taken from one payload field.
const FIELD_CHARS: usize = 200;

/// A payload field as one line of text: trimmed, line breaks and control characters
/// dropped (they would break a subject line), at most [`FIELD_CHARS`] characters.
fn field(payload: &Value, name: &str) -> Option<String> {
    let raw = payload.get(name)?.as_str()?;
    let line: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut out: String = line.chars().take(FIELD_CHARS).collect();
    if line.chars().count() > FIELD_CHARS {
        out.push('…');
    }
    (!out.is_empty()).then_some(out)
}

/// A timestamp field, as people read it.
fn when(payload: &Value, name: &str) -> Option<String> {
    let raw = payload.get(name)?.as_str()?;
    let at = DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&Utc);
    Some(at.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// An opportunity id as deal-room events carry it (`opp_…`), parsed like every id. The
/// pipeline's own `OpportunityId` takes its place where both are merged.
struct OpportunityRef(String);

impl EntityId for OpportunityRef {
    const PREFIX: &'static str = "opp";
    fn from_trusted(s: String) -> Self {
        OpportunityRef(s)
    }
    fn as_str(&self) -> &str {
        &self.0
    }
}

/// The deal room of an opportunity on `side`, when `raw` is an opportunity id.
fn room_path(side: Side, raw: Option<&str>) -> Option<String> {
    let id = OpportunityRef::parse(raw?)?;
    Some(format!(
        "{}/opportunities/{}/room",
        side.root(),
        id.as_str()
    ))
}

/// A registration path on `side`, when `raw` is a registration id.
fn registration_path(side: Side, raw: Option<&str>) -> Option<String> {
    let id = RegistrationId::parse(raw?)?;
    Some(format!("{}/registrations/{}", side.root(), id.as_str()))
}

/// A business plan's page on `side`, when `raw` is a plan id.
fn plan_path(side: Side, raw: Option<&str>) -> Option<String> {
    let id = BusinessPlanId::parse(raw?)?;
    Some(format!("{}/business-plans/{}", side.root(), id.as_str()))
}

/// A statement's total from its payload (`{"total": {"amount_minor", "currency"}}`).
fn statement_total(payload: &Value) -> Option<String> {
    let total = payload.get("total")?;
    let currency = Currency::parse("currency", total.get("currency")?.as_str()?).ok()?;
    Some(Money::new(total.get("amount_minor")?.as_i64()?, currency).to_string())
}

/// A date field (`YYYY-MM-DD`), as written; anything else is not shown.
fn day(payload: &Value, name: &str) -> Option<NaiveDate> {
    payload.get(name)?.as_str()?.parse().ok()
}

/// Whether a reminder says its item is overdue (absent: not).
fn overdue(payload: &Value) -> bool {
    payload
        .get("overdue")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The page of the event's record on `side`.
fn link(event: &EventView<'_>, side: Side) -> String {
    let (family, _) = event.kind.split_once('.').unwrap_or((event.kind, ""));
    let path = match (family, side) {
        ("registration", _) => registration_path(side, Some(event.entity_id)),
        ("engagement", Side::Portal) => registration_path(
            side,
            event.payload.get("registration_id").and_then(Value::as_str),
        ),
        ("engagement", Side::Console) => Some("/console/engagement".to_owned()),
        ("conflict", Side::Console) => ConflictId::parse(event.entity_id)
            .map(|id| format!("/console/conflicts/{}", id.as_str())),
        ("conflict", Side::Portal) => registration_path(
            side,
            event.payload.get("registration_id").and_then(Value::as_str),
        ),
        ("room", _) => room_path(
            side,
            event.payload.get("opportunity_id").and_then(Value::as_str),
        ),
        ("payout", _) => StatementId::parse(event.entity_id).map(|id| match side {
            Side::Console => format!("/console/payouts/{}", id.as_str()),
            Side::Portal => format!("/portal/payouts/{}", id.as_str()),
        }),
        // MDF events are about a request (decisions) or a claim, whose payload names its
        // request; both link to the request's page.
        ("mdf", _) => MdfRequestId::parse(event.entity_id)
            .or_else(|| {
                event
                    .payload
                    .get("request_id")
                    .and_then(Value::as_str)
                    .and_then(MdfRequestId::parse)
            })
            .map(|id| format!("{}/mdf/requests/{}", side.root(), id.as_str())),
        ("webhook", _) => WebhookSubscriptionId::parse(event.entity_id)
            .map(|id| format!("{}/webhooks/{}", side.root(), id.as_str())),
        ("certification", Side::Portal) => Some("/portal/enablement".to_owned()),
        ("directory", Side::Portal) => Some("/portal/directory/trust".to_owned()),
        ("directory", Side::Console) => Some(match event.kind {
            "directory.lead" => "/console/directory/leads".to_owned(),
            _ => "/console/directory/moderation".to_owned(),
        }),
        ("certification", Side::Console) => Some("/console/enablement/certifications".to_owned()),
        // Plan events carry the plan's id; drift and review reminders are about the plan
        // itself, so their entity is the plan too.
        ("jbp", _) => plan_path(side, event.payload.get("plan_id").and_then(Value::as_str))
            .or_else(|| match event.kind {
                "jbp.drift" | "jbp.review_due" => plan_path(side, Some(event.entity_id)),
                _ => None,
            }),
        _ => None,
    };
    path.unwrap_or_else(|| side.notifications_path())
}

/// The notification an event becomes for a recipient on `side`.
pub fn message(event: &EventView<'_>, side: Side) -> Message {
    let p = event.payload;
    let deal = field(p, "title").unwrap_or_else(|| "a registration".to_owned());
    let account = field(p, "account_name")
        .map(|a| format!(" for {a}"))
        .unwrap_or_default();
    let (title, body) = match event.kind {
        "registration.approved" => (
            format!("Registration approved: {deal}"),
            format!(
                "The registration \"{deal}\"{account} was approved{}.",
                when(p, "expires_at")
                    .map(|t| format!(" and is valid until {t}"))
                    .unwrap_or_default()
            ),
        ),
        "registration.rejected" => (
            format!("Registration rejected: {deal}"),
            format!(
                "The registration \"{deal}\"{account} was rejected. Open it to read the reason."
            ),
        ),
        "registration.sla_warning" => (
            format!("Follow-up due soon: {deal}"),
            format!(
                "Log a follow-up activity on \"{deal}\"{account} by {}. After that the follow-up SLA is missed and direct sales may engage the account.",
                when(p, "sla_due_at").unwrap_or_else(|| "its due date".to_owned())
            ),
        ),
        "registration.sla_missed" => (
            format!("Follow-up SLA missed: {deal}"),
            format!(
                "No follow-up activity was logged on \"{deal}\"{account} in time. Direct sales may now engage the account without asking."
            ),
        ),
        "engagement.requested" => (
            "Direct sales asks to engage a registered account".to_owned(),
            format!(
                "A direct sales rep asks for consent to engage the account of one of your registrations. Reason given: {} Grant or deny it on the registration.",
                field(p, "reason").unwrap_or_else(|| "none.".to_owned())
            ),
        ),
        "conflict.opened" | "conflict.escalated" => {
            let level = field(p, "level_name").unwrap_or_else(|| "the next level".to_owned());
            let due = when(p, "due_at").unwrap_or_else(|| "its deadline".to_owned());
            let reason = field(p, "reason").unwrap_or_default();
            if event.kind == "conflict.opened" {
                (
                    format!("Conflict case opened ({level})"),
                    format!(
                        "A channel-conflict case was opened: {reason} It is due for resolution by {due}."
                    ),
                )
            } else {
                (
                    format!("Conflict case escalated to {level}"),
                    format!(
                        "A channel-conflict case was not resolved in time and moved to {level}: {reason} It is now due by {due}."
                    ),
                )
            }
        }
        "room.mention" => (
            format!(
                "{} mentioned you: {}",
                field(p, "author_name").unwrap_or_else(|| "Someone".to_owned()),
                field(p, "opportunity_title").unwrap_or_else(|| "a deal room".to_owned())
            ),
            "You were mentioned in a note of the deal room. Open the room to read it.".to_owned(),
        ),
        "room.task_assigned" | "room.task_due" | "jbp.task_assigned" | "jbp.task_due" => {
            let task = field(p, "title").unwrap_or_else(|| "a task".to_owned());
            let due_on = day(p, "due_on");
            let due = due_on.map(|d| format!(", due on {d}")).unwrap_or_default();
            let what = if event.kind.starts_with("room.") {
                "deal-room task".to_owned()
            } else {
                match field(p, "plan_title") {
                    Some(plan) => {
                        format!("next step from a review of the business plan \"{plan}\"")
                    }
                    None => "next step from a business plan review".to_owned(),
                }
            };
            match event.kind {
                "room.task_assigned" | "jbp.task_assigned" => (
                    format!("Task assigned to you: {task}"),
                    format!("A {what} is yours{due}."),
                ),
                _ if overdue(p) => (
                    format!("Task overdue: {task}"),
                    format!(
                        "Your {what}, \"{task}\", is overdue{}. Do it, or mark it done if it is.",
                        due_on
                            .map(|d| format!(": it was due on {d}"))
                            .unwrap_or_default()
                    ),
                ),
                _ => (
                    format!("Task due: {task}"),
                    format!(
                        "Your {what}, \"{task}\", is due{}.",
                        due_on.map(|d| format!(" on {d}")).unwrap_or_default()
                    ),
                ),
            }
        }
        "payout.statement_issued"
        | "payout.line_disputed"
        | "payout.dispute_resolved"
        | "payout.statement_paid" => {
            let period = field(p, "period").unwrap_or_else(|| "the period".to_owned());
            let total = statement_total(p).unwrap_or_else(|| "its total".to_owned());
            let partner = field(p, "partner_name").unwrap_or_else(|| "A partner".to_owned());
            match event.kind {
                "payout.statement_issued" => (
                    format!("Payout statement {period}: {total}"),
                    format!(
                        "Your payout statement for {period} is ready for review: {total}. Each line names the rule behind its amount; dispute a line before it is approved if it looks wrong."
                    ),
                ),
                "payout.line_disputed" => (
                    format!("{partner} disputes a line of its {period} statement"),
                    format!(
                        "{partner} disputed a line of its payout statement for {period} ({total}). Uphold or reject the dispute before approving the statement."
                    ),
                ),
                "payout.dispute_resolved" => (
                    format!("Dispute answered: statement {period}"),
                    format!(
                        "The vendor answered your dispute on the {period} statement; it now totals {total}. Open it to read the answer."
                    ),
                ),
                _ => (
                    format!("Statement {period} paid: {total}"),
                    format!(
                        "Your payout statement for {period} was paid: {total}{}.",
                        field(p, "payment_reference")
                            .map(|r| format!(", payment reference {r}"))
                            .unwrap_or_default()
                    ),
                ),
            }
        }
        "mdf.request_approved"
        | "mdf.request_rejected"
        | "mdf.claim_approved"
        | "mdf.claim_rejected"
        | "mdf.claim_paid" => {
            let title = field(p, "title")
                .or_else(|| field(p, "request_title"))
                .unwrap_or_else(|| "an MDF request".to_owned());
            let approved = p
                .get("approved")
                .filter(|v| !v.is_null())
                .and_then(|v| statement_total(&serde_json::json!({ "total": v })))
                .unwrap_or_else(|| "the amount shown".to_owned());
            let reason = field(p, "reason")
                .map(|r| format!(" Reason: {r}"))
                .unwrap_or_default();
            match event.kind {
                "mdf.request_approved" => (
                    format!("MDF request approved: {title}"),
                    format!(
                        "Your MDF request \"{title}\" was approved for {approved}.{reason} Claim it with proof of performance after the activity."
                    ),
                ),
                "mdf.request_rejected" => (
                    format!("MDF request rejected: {title}"),
                    format!(
                        "Your MDF request \"{title}\" was rejected; its funds are back in your allocation.{reason}"
                    ),
                ),
                "mdf.claim_approved" => (
                    format!("MDF claim approved: {title}"),
                    format!("Your claim on \"{title}\" was approved for {approved}.{reason}"),
                ),
                "mdf.claim_rejected" => (
                    format!("MDF claim rejected: {title}"),
                    format!("Your claim on \"{title}\" was rejected.{reason}"),
                ),
                _ => (
                    format!("MDF claim paid: {title}"),
                    format!(
                        "Your claim on \"{title}\" was paid: {approved}{}.",
                        field(p, "payment_reference")
                            .map(|r| format!(", payment reference {r}"))
                            .unwrap_or_default()
                    ),
                ),
            }
        }
        "webhook.disabled" => {
            let url = field(p, "url").unwrap_or_else(|| "its target".to_owned());
            let reason = field(p, "disabled_reason")
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            (
                "Webhook subscription disabled".to_owned(),
                format!(
                    "Events are no longer sent to {url}{reason}. Fix the receiver, then enable the subscription again and replay what it missed."
                ),
            )
        }
        "certification.earned" | "certification.expiring" | "certification.expired" => {
            let name = field(p, "name").unwrap_or_else(|| "A certification".to_owned());
            let holder = field(p, "user_name").unwrap_or_else(|| "its holder".to_owned());
            let until = day(p, "expires_on")
                .map(|d| d.to_string())
                .unwrap_or_else(|| "its expiry date".to_owned());
            match event.kind {
                "certification.earned" => (
                    format!("Certified: {name}"),
                    format!("{holder} earned the certification \"{name}\", valid through {until}."),
                ),
                "certification.expiring" => (
                    format!("{name} expires on {until}"),
                    format!(
                        "The certification \"{name}\" of {holder} is valid through {until}. Complete the course again before then to stay certified; it counts toward the partner's tier."
                    ),
                ),
                _ => (
                    format!("{name} expired"),
                    format!(
                        "The certification \"{name}\" of {holder} lapsed after {until} and no longer counts toward the partner's tier."
                    ),
                ),
            }
        }
        "directory.moderated" => {
            let listing = field(p, "listing_title").unwrap_or_else(|| "your listing".to_owned());
            let what = if p.get("review_id").is_some_and(|r| !r.is_null()) {
                format!("a review of \"{listing}\"")
            } else {
                format!("\"{listing}\"")
            };
            let reason = field(p, "reason").unwrap_or_default();
            (
                format!("Directory moderation: {listing}"),
                format!(
                    "A moderator changed {what}: {reason}. You may appeal the decision once from the portal."
                ),
            )
        }
        "directory.lead" => {
            let listing = field(p, "listing_title").unwrap_or_else(|| "your listing".to_owned());
            let company = field(p, "company").unwrap_or_else(|| "A visitor".to_owned());
            (
                format!("New enquiry: {company}"),
                format!(
                    "{company} sent an enquiry through the directory listing \"{listing}\". Answer it, or register it as a deal, from the portal."
                ),
            )
        }
        "jbp.drift" => {
            let plan = field(p, "title").unwrap_or_else(|| "a business plan".to_owned());
            let partner = field(p, "partner_name").unwrap_or_else(|| "The partner".to_owned());
            let quarter = p
                .get("quarter")
                .and_then(Value::as_u64)
                .filter(|q| (1..=4).contains(q));
            let q = quarter.map(|q| format!(" in Q{q}")).unwrap_or_default();
            let reason = field(p, "reason")
                .map(|r| format!(" {r}."))
                .unwrap_or_default();
            (
                format!("Business plan drifting{q}: {plan}"),
                format!(
                    "{partner}'s joint business plan \"{plan}\" is behind its sourced-ARR milestone{q}.{reason} Open the plan to see its attainment."
                ),
            )
        }
        "jbp.review_due" => {
            let plan = field(p, "title").unwrap_or_else(|| "a business plan".to_owned());
            let partner = field(p, "partner_name").unwrap_or_else(|| "the partner".to_owned());
            let review = p
                .get("review_kind")
                .and_then(Value::as_str)
                .and_then(|k| ReviewKind::parse("review_kind", k).ok())
                .map_or("review", |k| k.label());
            let by = day(p, "due_on")
                .map(|d| d.to_string())
                .unwrap_or_else(|| "its due date".to_owned());
            if overdue(p) {
                (
                    format!("{review} overdue: {plan}"),
                    format!(
                        "The {} of {partner}'s joint business plan \"{plan}\" was due by {by} and has not been recorded. Hold it and record it on the plan.",
                        review.to_lowercase()
                    ),
                )
            } else {
                (
                    format!("{review} due by {by}: {plan}"),
                    format!(
                        "The {} of {partner}'s joint business plan \"{plan}\" is due by {by}. Record it on the plan once it is held.",
                        review.to_lowercase()
                    ),
                )
            }
        }
        _ => {
            let label = route(event.kind).map_or("Notification", |r| r.kind.label());
            let what = field(p, "title")
                .or_else(|| field(p, "name"))
                .map(|t| format!(": {t}"))
                .unwrap_or_default();
            (
                format!("{label}{what}"),
                "Open partnerops to see what it is about.".to_owned(),
            )
        }
    };
    Message {
        title,
        body,
        link: link(event, side),
    }
}

/// An e-mail's subject and plain-text body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailText {
    pub subject: String,
    pub body: String,
}

/// `public_url` without a trailing slash, so `public_url + path` has one slash.
fn base(public_url: &str) -> &str {
    public_url.trim_end_matches('/')
}

fn footer(public_url: &str, side: Side) -> String {
    format!(
        "\n\n--\npartnerops. Choose which e-mails you get, and how often: {}{}\n",
        base(public_url),
        side.notifications_path()
    )
}

/// The e-mail of one notification: its text and an absolute link.
pub fn mail(message: &Message, public_url: &str, side: Side) -> MailText {
    MailText {
        subject: format!("[partnerops] {}", message.title),
        body: format!(
            "{}\n\nOpen: {}{}{}",
            message.body,
            base(public_url),
            message.link,
            footer(public_url, side)
        ),
    }
}

/// One line of a digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestItem {
    pub title: String,
    pub link: String,
}

/// The daily digest of `day`: one e-mail listing each notification with its link.
pub fn digest_mail(day: NaiveDate, items: &[DigestItem], public_url: &str, side: Side) -> MailText {
    let n = items.len();
    let noun = if n == 1 {
        "notification"
    } else {
        "notifications"
    };
    let lines: Vec<String> = items
        .iter()
        .map(|i| format!("- {}\n  {}{}", i.title, base(public_url), i.link))
        .collect();
    MailText {
        subject: format!("[partnerops] Daily digest {day}: {n} {noun}"),
        body: format!(
            "Your partnerops notifications for {day}:\n\n{}{}",
            lines.join("\n"),
            footer(public_url, side)
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const REG: &str = "reg_0192f0c4a1b27c3d8e9f001122334455";
    const OTHER_ACCOUNT: &str = "acc_99999999999999999999999999999999";

    fn registration() -> Value {
        json!({
            "id": REG,
            "partner_id": "ptr_0192f0c4a1b27c3d8e9f00112233aaaa",
            "title": "Globex renewal",
            "account_name": "Globex",
            "expires_at": "2027-03-02T10:00:00Z",
            "sla_due_at": "2026-12-16T10:00:00.123456Z",
            "possible_duplicate_of": OTHER_ACCOUNT,
            "notes": "Beta Consulting also works this account",
        })
    }

    fn view<'a>(kind: &'a str, id: &'a str, payload: &'a Value) -> EventView<'a> {
        EventView {
            kind,
            entity_id: id,
            payload,
        }
    }

    #[test]
    fn a_decision_names_the_deal_and_links_to_the_recipients_side() {
        let p = registration();
        let m = message(&view("registration.approved", REG, &p), Side::Portal);
        assert_eq!(m.title, "Registration approved: Globex renewal");
        assert_eq!(
            m.body,
            "The registration \"Globex renewal\" for Globex was approved and is valid until 2027-03-02 10:00 UTC."
        );
        assert_eq!(m.link, format!("/portal/registrations/{REG}"));
        let staff = message(&view("registration.sla_missed", REG, &p), Side::Console);
        assert_eq!(staff.link, format!("/console/registrations/{REG}"));
        let warn = message(&view("registration.sla_warning", REG, &p), Side::Portal);
        assert!(
            warn.body.contains("by 2026-12-16 10:00 UTC"),
            "{}",
            warn.body
        );
    }

    /// Only the named fields are read: a vendor-only field or any other text in the payload
    /// never reaches the notification or its e-mail.
    #[test]
    fn nothing_outside_the_named_fields_is_shown() {
        let p = registration();
        for kind in [
            "registration.approved",
            "registration.rejected",
            "registration.sla_warning",
            "registration.sla_missed",
            "jbp.drift",
            "jbp.review_due",
            "jbp.task_due",
            "room.task_due",
            "room.mention",
        ] {
            let m = message(&view(kind, REG, &p), Side::Portal);
            let mail = mail(&m, "https://prm.example", Side::Portal);
            for text in [&m.title, &m.body, &m.link, &mail.subject, &mail.body] {
                assert!(!text.contains(OTHER_ACCOUNT), "{kind}: {text}");
                assert!(!text.contains("Beta Consulting"), "{kind}: {text}");
            }
        }
    }

    #[test]
    fn links_use_only_ids_that_parse() {
        let p = json!({"title": "x", "registration_id": "../../console/users"});
        let m = message(
            &view("registration.approved", "not-an-id", &p),
            Side::Portal,
        );
        assert_eq!(m.link, "/portal/notifications");
        let e = message(&view("engagement.requested", "eng_x", &p), Side::Portal);
        assert_eq!(e.link, "/portal/notifications");
        let good = json!({"registration_id": REG, "reason": "Customer called us"});
        let e = message(&view("engagement.requested", "eng_x", &good), Side::Portal);
        assert_eq!(e.link, format!("/portal/registrations/{REG}"));
        assert!(e.body.contains("Customer called us"));
        let c = message(
            &view(
                "conflict.escalated",
                "cfl_0192f0c4a1b27c3d8e9f001122334455",
                &good,
            ),
            Side::Console,
        );
        assert_eq!(
            c.link,
            "/console/conflicts/cfl_0192f0c4a1b27c3d8e9f001122334455"
        );
        // Deal-room events link to the room; events of records without a page yet, or
        // without a usable id, to the notification list.
        let task = json!({"opportunity_id": "opp_0192f0c4a1b27c3d8e9f001122334455",
            "title": "Send the pricing", "due_on": "2026-12-09", "owner_id": "usr_x"});
        let r = message(&view("room.task_assigned", "rtk_1", &task), Side::Portal);
        assert_eq!(
            r.link,
            "/portal/opportunities/opp_0192f0c4a1b27c3d8e9f001122334455/room"
        );
        assert_eq!(r.title, "Task assigned to you: Send the pricing");
        assert_eq!(r.body, "A deal-room task is yours, due on 2026-12-09.");
        let r = message(&view("room.task_due", "rtk_1", &good), Side::Console);
        assert_eq!(r.link, "/console/notifications");
        assert_eq!(r.title, "Task due: a task");
        let mention = json!({"opportunity_id": "opp_0192f0c4a1b27c3d8e9f001122334455",
            "opportunity_title": "Globex expansion", "author_name": "Casey", "user_id": "usr_x"});
        let m = message(&view("room.mention", "rnt_1", &mention), Side::Console);
        assert_eq!(m.title, "Casey mentioned you: Globex expansion");
        assert_eq!(
            m.link,
            "/console/opportunities/opp_0192f0c4a1b27c3d8e9f001122334455/room"
        );
        let d = message(&view("jbp.drift", "jbp_1", &good), Side::Console);
        assert_eq!(d.link, "/console/notifications");
        assert_eq!(d.title, "Business plan drifting: a business plan");
        let d = message(
            &view("jbp.drift", PLAN, &json!({"plan_id": "../x"})),
            Side::Portal,
        );
        assert_eq!(d.link, format!("/portal/business-plans/{PLAN}"));
    }

    const PLAN: &str = "jbp_0192f0c4a1b27c3d8e9f001122334455";

    /// What the reminder job emits (`store::business_plan::reminders`), with a field the
    /// renderer must not read.
    fn plan_payload(extra: Value) -> Value {
        let mut p = json!({"plan_id": PLAN, "title": "Alpha FY27", "partner_name": "Alpha Systems",
            "secret": "Beta Consulting"});
        if let (Some(p), Value::Object(x)) = (p.as_object_mut(), extra) {
            p.extend(x);
        }
        p
    }

    #[test]
    fn drift_names_the_plan_the_quarter_and_the_reason() {
        let p = plan_payload(
            json!({"quarter": 2, "reason": "Q2: USD 10.00 won against a milestone of USD 900.00"}),
        );
        let m = message(&view("jbp.drift", PLAN, &p), Side::Portal);
        assert_eq!(m.title, "Business plan drifting in Q2: Alpha FY27");
        assert_eq!(
            m.body,
            "Alpha Systems's joint business plan \"Alpha FY27\" is behind its sourced-ARR milestone in Q2. Q2: USD 10.00 won against a milestone of USD 900.00. Open the plan to see its attainment."
        );
        assert_eq!(m.link, format!("/portal/business-plans/{PLAN}"));
        let staff = message(&view("jbp.drift", PLAN, &p), Side::Console);
        assert_eq!(staff.link, format!("/console/business-plans/{PLAN}"));
        // A quarter that is not 1 to 4 is left out rather than shown.
        let odd = plan_payload(json!({"quarter": 9}));
        let m = message(&view("jbp.drift", PLAN, &odd), Side::Portal);
        assert_eq!(m.title, "Business plan drifting: Alpha FY27");
        assert!(!m.body.contains("Beta"));
    }

    #[test]
    fn review_reminders_say_due_or_overdue() {
        let soon = plan_payload(
            json!({"review_kind": "quarterly_business_review", "due_on": "2027-03-31", "overdue": false}),
        );
        let m = message(&view("jbp.review_due", PLAN, &soon), Side::Console);
        assert_eq!(
            m.title,
            "Quarterly business review due by 2027-03-31: Alpha FY27"
        );
        assert!(
            m.body.contains("Alpha Systems's joint business plan"),
            "{}",
            m.body
        );
        assert_eq!(m.link, format!("/console/business-plans/{PLAN}"));
        let late = plan_payload(
            json!({"review_kind": "monthly_pipeline_review", "due_on": "2027-01-31", "overdue": true}),
        );
        let m = message(&view("jbp.review_due", PLAN, &late), Side::Portal);
        assert_eq!(m.title, "Monthly pipeline review overdue: Alpha FY27");
        assert!(m.body.contains("was due by 2027-01-31"), "{}", m.body);
        // An unknown kind is not echoed.
        let odd = plan_payload(json!({"review_kind": "<script>", "due_on": "soon"}));
        let m = message(&view("jbp.review_due", PLAN, &odd), Side::Portal);
        assert_eq!(m.title, "review due by its due date: Alpha FY27");
        assert!(!m.body.contains("script") && !m.body.contains("soon"));
    }

    #[test]
    fn task_reminders_link_to_their_room_or_plan() {
        let task = json!({"plan_id": PLAN, "plan_title": "Alpha FY27", "title": "Send the QBR deck",
            "due_on": "2027-02-14", "owner_id": "usr_x", "overdue": false});
        let m = message(&view("jbp.task_assigned", "jbt_1", &task), Side::Portal);
        assert_eq!(m.title, "Task assigned to you: Send the QBR deck");
        assert_eq!(
            m.body,
            "A next step from a review of the business plan \"Alpha FY27\" is yours, due on 2027-02-14."
        );
        assert_eq!(m.link, format!("/portal/business-plans/{PLAN}"));
        let m = message(&view("jbp.task_due", "jbt_1", &task), Side::Console);
        assert_eq!(m.title, "Task due: Send the QBR deck");
        assert!(m.body.ends_with("is due on 2027-02-14."), "{}", m.body);
        assert_eq!(m.link, format!("/console/business-plans/{PLAN}"));
        let mut late = task.clone();
        late["overdue"] = json!(true);
        let m = message(&view("jbp.task_due", "jbt_1", &late), Side::Console);
        assert_eq!(m.title, "Task overdue: Send the QBR deck");
        assert!(m.body.contains("it was due on 2027-02-14"), "{}", m.body);
        // A task event's entity is the task: without a plan id there is no plan link.
        let m = message(
            &view("jbp.task_due", PLAN, &json!({"title": "x"})),
            Side::Console,
        );
        assert_eq!(m.link, "/console/notifications");
        let room = json!({"opportunity_id": "opp_0192f0c4a1b27c3d8e9f001122334455",
            "title": "Send the pricing", "due_on": "2026-12-09", "owner_id": "usr_x", "overdue": true});
        let m = message(&view("room.task_due", "rtk_1", &room), Side::Portal);
        assert_eq!(m.title, "Task overdue: Send the pricing");
        assert_eq!(
            m.body,
            "Your deal-room task, \"Send the pricing\", is overdue: it was due on 2026-12-09. Do it, or mark it done if it is."
        );
        assert_eq!(
            m.link,
            "/portal/opportunities/opp_0192f0c4a1b27c3d8e9f001122334455/room"
        );
    }

    #[test]
    fn payload_text_cannot_break_a_subject_line() {
        let p = json!({"title": "Deal\r\nBcc: victim@example.com", "account_name": "A\tB"});
        let m = message(&view("registration.rejected", REG, &p), Side::Portal);
        let mail = mail(&m, "https://prm.example/", Side::Portal);
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
        assert_eq!(
            mail.subject,
            "[partnerops] Registration rejected: Deal Bcc: victim@example.com"
        );
        let long = json!({"title": "x".repeat(500)});
        let m = message(&view("registration.rejected", REG, &long), Side::Portal);
        assert!(m.title.chars().count() < 240, "{}", m.title.len());
    }

    #[test]
    fn mails_carry_absolute_links() {
        let p = registration();
        let m = message(&view("registration.approved", REG, &p), Side::Portal);
        let mail = mail(&m, "http://127.0.0.1:8080/", Side::Portal);
        assert_eq!(
            mail.subject,
            "[partnerops] Registration approved: Globex renewal"
        );
        assert!(
            mail.body.contains(&format!(
                "Open: http://127.0.0.1:8080/portal/registrations/{REG}"
            )),
            "{}",
            mail.body
        );
        assert!(
            mail.body
                .contains("http://127.0.0.1:8080/portal/notifications")
        );
    }

    #[test]
    fn a_digest_lists_every_item() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let items = vec![
            DigestItem {
                title: "Joint business plan drift".into(),
                link: "/console/notifications".into(),
            },
            DigestItem {
                title: "Reviews due".into(),
                link: "/console/partners".into(),
            },
        ];
        let mail = digest_mail(day, &items, "https://prm.example", Side::Console);
        assert_eq!(
            mail.subject,
            "[partnerops] Daily digest 2026-12-03: 2 notifications"
        );
        assert!(
            mail.body.contains(
                "- Joint business plan drift\n  https://prm.example/console/notifications"
            )
        );
        assert!(
            mail.body
                .contains("- Reviews due\n  https://prm.example/console/partners")
        );
        let one = digest_mail(day, &items[..1], "https://prm.example", Side::Console);
        assert!(one.subject.ends_with("1 notification"));
    }

    #[test]
    fn payout_events_name_the_period_and_the_money_and_link_to_the_statement() {
        let p = json!({"period": "2026-Q4", "partner_name": "Alpha", "total": {"amount_minor": 920000, "currency": "USD"}, "payment_reference": "ACH-1"});
        let id = "stm_0192d1a0b2c34d5e8f9a0b1c2d3e4f50";
        let m = message(&view("payout.statement_issued", id, &p), Side::Portal);
        assert_eq!(m.title, "Payout statement 2026-Q4: USD 9,200.00");
        assert_eq!(m.link, format!("/portal/payouts/{id}"));
        let m = message(&view("payout.line_disputed", id, &p), Side::Console);
        assert!(m.title.starts_with("Alpha disputes"), "{}", m.title);
        assert_eq!(m.link, format!("/console/payouts/{id}"));
        let m = message(&view("payout.statement_paid", id, &p), Side::Portal);
        assert!(m.body.contains("payment reference ACH-1"), "{}", m.body);
        // A made-up id links to the notifications page, not to a path it does not check.
        let m = message(&view("payout.statement_paid", "../x", &p), Side::Portal);
        assert_eq!(m.link, Side::Portal.notifications_path());
    }

    #[test]
    fn mdf_decisions_name_the_activity_the_money_and_link_to_the_request() {
        let req = "mdr_0192d1a0b2c34d5e8f9a0b1c2d3e4f50";
        let p = json!({"title": "Roadshow", "approved": {"amount_minor": 600000, "currency": "USD"}, "reason": "booth size S"});
        let m = message(&view("mdf.request_approved", req, &p), Side::Portal);
        assert_eq!(m.title, "MDF request approved: Roadshow");
        assert!(
            m.body.contains("USD 6,000.00") && m.body.contains("booth size S"),
            "{}",
            m.body
        );
        assert_eq!(m.link, format!("/portal/mdf/requests/{req}"));
        // A claim's event is about the claim; it links to its request.
        let claim = json!({"request_id": req, "request_title": "Roadshow", "approved": {"amount_minor": 500000, "currency": "USD"}, "payment_reference": "AP-7"});
        let m = message(
            &view(
                "mdf.claim_paid",
                "mdc_0192d1a0b2c34d5e8f9a0b1c2d3e4f50",
                &claim,
            ),
            Side::Portal,
        );
        assert_eq!(m.title, "MDF claim paid: Roadshow");
        assert!(
            m.body.contains("USD 5,000.00, payment reference AP-7"),
            "{}",
            m.body
        );
        assert_eq!(m.link, format!("/portal/mdf/requests/{req}"));
        let m = message(&view("mdf.claim_rejected", "x", &json!({})), Side::Portal);
        assert_eq!(m.link, Side::Portal.notifications_path());
    }
}
