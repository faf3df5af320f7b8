//! The co-sell deal room of an opportunity: its members from both sides, notes (Markdown,
//! each either for everyone in the room or for the author's own side), tasks with an owner,
//! a due date and a status, shared custom fields, and a timeline of everything that happened.
//!
//! Who sees what: vendor staff see every room; a partner user sees a room only as a member,
//! and never another partner's notes written for its own side (an influencer next to the
//! reseller reads the shared notes, not the reseller's private ones). Here: the inputs and
//! their parsing, the records as shown, and the visibility, mention and due-date rules.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::ids::{OpportunityId, PartnerId, RoomNoteId, RoomTaskId, UserId, parse_id};
use crate::kernel::invalid::text;
use crate::kernel::scope::Scope;
use crate::partner::parse_date;
use crate::{FieldError, Invalid, text_enum};

/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;
/// Longest task title, in characters.
pub const MAX_TASK_TITLE_CHARS: usize = 200;
/// Longest custom field key and value, in characters.
pub const MAX_FIELD_KEY_CHARS: usize = 40;
pub const MAX_FIELD_VALUE_CHARS: usize = 500;
/// Most custom fields a room may have.
pub const MAX_FIELDS: usize = 30;

text_enum!(
    /// Who may read a note.
    NoteVisibility {
        Everyone = "everyone" / "Everyone in the room",
        OurSide = "our_side" / "Our side only",
    }
);

text_enum!(
    /// Where a task stands.
    TaskStatus {
        Open = "open" / "Open",
        Done = "done" / "Done",
        Cancelled = "cancelled" / "Cancelled",
    }
);

text_enum!(
    /// What a timeline entry is about.
    TimelineKind {
        Stage = "stage" / "Stage",
        Touchpoint = "touchpoint" / "Touchpoint",
        Note = "note" / "Note",
        Task = "task" / "Task",
        Registration = "registration" / "Registration",
    }
);

/// Whether a note by a user of `author_partner` (`None`: vendor staff) with `visibility`
/// may be read under `viewer`. Everyone-notes are for every room member; our-side notes
/// for the author's own organisation only, so neither the vendor reads a partner's
/// private notes nor a partner the vendor's or another partner's.
pub fn note_visible(
    author_partner: Option<&PartnerId>,
    visibility: NoteVisibility,
    viewer: &Scope,
) -> bool {
    match (visibility, viewer) {
        (NoteVisibility::Everyone, _) => true,
        (NoteVisibility::OurSide, Scope::Vendor) => author_partner.is_none(),
        (NoteVisibility::OurSide, Scope::Partner(p)) => author_partner == Some(p),
    }
}

/// The members a note mentions: `@` followed by a member's e-mail address, matched without
/// regard to case; each member once, in the order of first mention. A word that is not a
/// member's address mentions nobody (no one outside the room is ever notified).
pub fn mentions<'a>(body: &str, members: &'a [RoomMember]) -> Vec<&'a RoomMember> {
    let mut out: Vec<&RoomMember> = Vec::new();
    for word in body.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')')) {
        let Some(addr) = word.strip_prefix('@') else {
            continue;
        };
        let addr = addr.trim_end_matches(['.', ':', '!', '?']);
        if let Some(m) = members.iter().find(|m| m.email.eq_ignore_ascii_case(addr))
            && !out.iter().any(|o| o.user_id == m.user_id)
        {
            out.push(m);
        }
    }
    out
}

/// Whether an open task is overdue on `today` (a task due today is not yet overdue).
pub fn is_overdue(status: TaskStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    status == TaskStatus::Open && due_on.is_some_and(|d| d < today)
}

/// A room member as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomMember {
    pub user_id: UserId,
    pub display_name: String,
    pub email: String,
    /// Absent for vendor staff.
    pub partner_id: Option<PartnerId>,
    pub partner_name: Option<String>,
}

/// A note as shown (the body is the Markdown as written; pages render it sanitised).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomNote {
    pub id: RoomNoteId,
    pub opportunity_id: OpportunityId,
    pub author_id: Option<UserId>,
    pub author_name: String,
    /// The author's partner; absent when vendor staff wrote it.
    pub author_partner_id: Option<PartnerId>,
    pub visibility: NoteVisibility,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A task as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomTask {
    pub id: RoomTaskId,
    pub opportunity_id: OpportunityId,
    pub title: String,
    pub owner_id: UserId,
    pub owner_name: String,
    pub due_on: Option<NaiveDate>,
    pub status: TaskStatus,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

/// A shared custom field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomField {
    pub key: String,
    pub value: String,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}

/// One thing that happened, for the room's timeline.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: TimelineKind,
    pub actor_name: String,
    pub text: String,
}

/// A room as one member sees it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Room {
    pub opportunity_id: OpportunityId,
    pub members: Vec<RoomMember>,
    pub notes: Vec<RoomNote>,
    pub tasks: Vec<RoomTask>,
    pub fields: Vec<RoomField>,
    /// Newest first.
    pub timeline: Vec<TimelineEntry>,
}

fn present(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Adding a member.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub user_id: Option<String>,
}

impl MemberInput {
    pub fn parse(&self) -> Result<UserId, Invalid> {
        match present(&self.user_id) {
            Some(raw) => Ok(parse_id::<UserId>("user_id", raw)?),
            None => Err(Invalid::one("user_id", "required", "user_id is required")),
        }
    }
}

/// A new note.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// Markdown; `@name@example.com` mentions a member.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub body: Option<String>,
    /// everyone (default) or our_side.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub visibility: Option<String>,
}

impl NoteInput {
    pub fn parse(&self) -> Result<(String, NoteVisibility), Invalid> {
        let mut inv = Invalid::new();
        let body = inv.check(text::multiline_required(
            "body",
            self.body.as_deref(),
            MAX_NOTE_CHARS,
        ));
        let visibility = match present(&self.visibility) {
            Some(raw) => inv.check(NoteVisibility::parse("visibility", raw)),
            None => Some(NoteVisibility::Everyone),
        };
        inv.finish(|| Some((body?, visibility?)))
    }
}

/// A new task.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub title: Option<String>,
    /// A member of the room; default: whoever creates the task.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub owner_id: Option<String>,
    /// `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub due_on: Option<String>,
}

/// A task, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskFields {
    pub title: String,
    pub owner_id: Option<UserId>,
    pub due_on: Option<NaiveDate>,
}

impl TaskInput {
    pub fn parse(&self) -> Result<TaskFields, Invalid> {
        let mut inv = Invalid::new();
        let title = inv.check(text::required(
            "title",
            self.title.as_deref(),
            MAX_TASK_TITLE_CHARS,
        ));
        let owner_id = match present(&self.owner_id) {
            Some(raw) => inv.check(parse_id::<UserId>("owner_id", raw)).map(Some),
            None => Some(None),
        };
        let due_on = match present(&self.due_on) {
            Some(raw) => inv.check(parse_date("due_on", raw)).map(Some),
            None => Some(None),
        };
        inv.finish(|| {
            Some(TaskFields {
                title: title?,
                owner_id: owner_id?,
                due_on: due_on?,
            })
        })
    }
}

/// A change to a task: its status, owner or due date.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    /// open, done or cancelled.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub status: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub owner_id: Option<String>,
    /// `YYYY-MM-DD`; an empty string clears it.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub due_on: Option<String>,
}

/// A task change, parsed: `None` leaves a part as it is; `Some(None)` clears the due date.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskChange {
    pub status: Option<TaskStatus>,
    pub owner_id: Option<UserId>,
    pub due_on: Option<Option<NaiveDate>>,
}

impl TaskPatch {
    pub fn parse(&self) -> Result<TaskChange, Invalid> {
        let mut inv = Invalid::new();
        let status = match present(&self.status) {
            Some(raw) => inv.check(TaskStatus::parse("status", raw)).map(Some),
            None => Some(None),
        };
        let owner_id = match present(&self.owner_id) {
            Some(raw) => inv.check(parse_id::<UserId>("owner_id", raw)).map(Some),
            None => Some(None),
        };
        let due_on = match self.due_on.as_deref().map(str::trim) {
            None => Some(None),
            Some("") => Some(Some(None)),
            Some(raw) => inv.check(parse_date("due_on", raw)).map(|d| Some(Some(d))),
        };
        inv.finish(|| {
            Some(TaskChange {
                status: status?,
                owner_id: owner_id?,
                due_on: due_on?,
            })
        })
    }
}

/// Setting a shared field: a blank value removes it.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub value: Option<String>,
}

/// A field key: lower-case letters, digits and `_`, starting with a letter.
pub fn parse_field_key(raw: &str) -> Result<String, FieldError> {
    let key = raw.trim();
    let ok = !key.is_empty()
        && key.chars().count() <= MAX_FIELD_KEY_CHARS
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(key.to_owned())
    } else {
        Err(FieldError::new(
            "key",
            "field_key",
            format!(
                "key must be 1 to {MAX_FIELD_KEY_CHARS} lower-case letters, digits or _, starting with a letter (e.g. budget_owner)"
            ),
        ))
    }
}

impl FieldInput {
    /// The value; `None` removes the field.
    pub fn parse(&self) -> Result<Option<String>, Invalid> {
        Ok(text::optional(
            "value",
            self.value.as_deref(),
            MAX_FIELD_VALUE_CHARS,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::EntityId;

    fn member(n: u8, email: &str, partner: Option<&PartnerId>) -> RoomMember {
        RoomMember {
            user_id: UserId::from_parts(&format!("{n:032x}")),
            display_name: format!("user {n}"),
            email: email.into(),
            partner_id: partner.cloned(),
            partner_name: None,
        }
    }

    fn pid(n: u8) -> PartnerId {
        PartnerId::from_parts(&format!("{n:032x}"))
    }

    #[test]
    fn our_side_notes_stay_on_their_side() {
        let (a, b) = (pid(1), pid(2));
        let vendor = Scope::Vendor;
        let (pa, pb) = (Scope::Partner(a.clone()), Scope::Partner(b.clone()));
        // A's private note: A only; not B, not the vendor.
        assert!(note_visible(Some(&a), NoteVisibility::OurSide, &pa));
        assert!(!note_visible(Some(&a), NoteVisibility::OurSide, &pb));
        assert!(!note_visible(Some(&a), NoteVisibility::OurSide, &vendor));
        // The vendor's internal note: the vendor only.
        assert!(note_visible(None, NoteVisibility::OurSide, &vendor));
        assert!(!note_visible(None, NoteVisibility::OurSide, &pa));
        // Shared notes: everyone in the room.
        for viewer in [&vendor, &pa, &pb] {
            assert!(note_visible(Some(&a), NoteVisibility::Everyone, viewer));
        }
    }

    #[test]
    fn mentions_are_members_addresses_once_each() {
        let a = pid(1);
        let members = [
            member(1, "ana@alpha.example", Some(&a)),
            member(2, "Vic@Vendor.example", None),
        ];
        let found = mentions(
            "@vic@vendor.example, can you check with @ana@alpha.example? cc @VIC@vendor.example \
             and @stranger@else.example; email ana@alpha.example is not a mention",
            &members,
        );
        let names: Vec<&str> = found.iter().map(|m| m.display_name.as_str()).collect();
        assert_eq!(names, ["user 2", "user 1"]);
        assert!(mentions("no one here @", &members).is_empty());
    }

    #[test]
    fn a_task_due_today_is_not_yet_overdue() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let yesterday = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert!(!is_overdue(TaskStatus::Open, Some(today), today));
        assert!(is_overdue(TaskStatus::Open, Some(yesterday), today));
        assert!(!is_overdue(TaskStatus::Done, Some(yesterday), today));
        assert!(!is_overdue(TaskStatus::Open, None, today));
    }

    #[test]
    fn inputs_name_their_fields() {
        let e = NoteInput {
            body: Some("  ".into()),
            visibility: Some("public".into()),
        }
        .parse()
        .unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(got, [("body", "required"), ("visibility", "one_of")]);
        let t = TaskInput {
            title: Some("Send the security questionnaire".into()),
            owner_id: None,
            due_on: Some("2026-02-30".into()),
        }
        .parse()
        .unwrap_err();
        assert_eq!(t.errors[0].field, "due_on");
        let clear = TaskPatch {
            due_on: Some(String::new()),
            ..TaskPatch::default()
        }
        .parse()
        .unwrap();
        assert_eq!(clear.due_on, Some(None));
        assert_eq!(parse_field_key("budget_owner").unwrap(), "budget_owner");
        assert!(parse_field_key("Budget Owner").is_err());
        assert!(parse_field_key("9lives").is_err());
        assert_eq!(
            FieldInput {
                value: Some(" ".into())
            }
            .parse()
            .unwrap(),
            None
        );
    }
}
