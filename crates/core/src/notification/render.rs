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

use crate::kernel::ids::{ConflictId, EntityId, RegistrationId};
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
        "room.task_assigned" | "room.task_due" => {
            let task = field(p, "title").unwrap_or_else(|| "a task".to_owned());
            let due = field(p, "due_on")
                .map(|d| format!(", due on {d}"))
                .unwrap_or_default();
            if event.kind == "room.task_assigned" {
                (
                    format!("Task assigned to you: {task}"),
                    format!("A deal-room task is yours{due}."),
                )
            } else {
                (
                    format!("Task due: {task}"),
                    format!("Your deal-room task \"{task}\" is due{due}."),
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
        assert_eq!(d.title, "Joint business plan drift");
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
}
