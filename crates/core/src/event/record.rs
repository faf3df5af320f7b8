//! Event records, RSVPs, and the parsing of their input.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{offset_of, parse_offset, parse_time};
use crate::email::Email;
use crate::ids::{CampaignId, EventRegistrationId, PartnerId, ProgramEventId, ProgramId, UserId};
use crate::invalid::text;
use crate::{FieldError, Invalid, text_enum};

text_enum!(
    /// What kind of event it is.
    EventKind {
        Webinar = "webinar" / "Webinar",
        Workshop = "workshop" / "Workshop",
        Conference = "conference" / "Conference",
    }
);

text_enum!(
    /// Where an event is in its life.
    EventStatus {
        Draft = "draft" / "Draft",
        Published = "published" / "Published",
        Cancelled = "cancelled" / "Cancelled",
        Completed = "completed" / "Completed",
    }
);

text_enum!(
    /// Whom an event is for.
    Audience {
        Partners = "partners" / "Partners' people",
        Customers = "customers" / "Customers",
        Both = "both" / "Partners' people and customers",
    }
);

text_enum!(
    /// Who replied: a partner's user (from the portal) or a customer (on the public page).
    AttendeeKind {
        PartnerUser = "partner_user" / "Partner user",
        Customer = "customer" / "Customer",
    }
);

text_enum!(
    /// Where a reply stands.
    RsvpStatus {
        Going = "going" / "Going",
        Waitlisted = "waitlisted" / "Waitlisted",
        NotGoing = "not_going" / "Not going",
    }
);

/// An event: hosted by the vendor for a program, or by a partner (`host_partner_id`) for its
/// own people and customers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgramEvent {
    pub id: ProgramEventId,
    pub program_id: ProgramId,
    /// The partner hosting it; none for the vendor's own events.
    pub host_partner_id: Option<PartnerId>,
    pub host_name: Option<String>,
    /// The host partner's campaign this event belongs to, if any.
    pub campaign_id: Option<CampaignId>,
    pub kind: EventKind,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The event's time zone, as minutes east of UTC: times are shown in it.
    pub utc_offset_minutes: i32,
    pub location: Option<String>,
    pub join_url: Option<String>,
    /// Seats; none for no limit.
    pub capacity: Option<i64>,
    /// Replies holding a seat.
    pub going_count: i64,
    pub audience: Audience,
    pub rsvp_deadline: DateTime<Utc>,
    pub status: EventStatus,
    /// The random token of the public page `/events/{slug}`.
    pub slug: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

impl ProgramEvent {
    /// Seats left, if the event has a capacity.
    pub fn seats_left(&self) -> Option<i64> {
        self.capacity.map(|c| (c - self.going_count).max(0))
    }

    /// The event as input, for an edit that lays changes over it.
    pub fn as_input(&self) -> EventInput {
        EventInput {
            program_id: None,
            partner_id: None,
            campaign_id: self.campaign_id.as_ref().map(ToString::to_string),
            kind: Some(self.kind.as_str().to_owned()),
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            starts_at: Some(self.starts_at.to_rfc3339()),
            ends_at: Some(self.ends_at.to_rfc3339()),
            utc_offset: Some(super::offset_label(self.utc_offset_minutes).replace("UTC", "")),
            location: self.location.clone(),
            join_url: self.join_url.clone(),
            capacity: self.capacity,
            audience: Some(self.audience.as_str().to_owned()),
            rsvp_deadline: Some(self.rsvp_deadline.to_rfc3339()),
        }
    }
}

/// An event's fields as sent. Times are RFC 3339 (`2027-01-14T16:00:00+01:00`) or local
/// (`2027-01-14T16:00`) in `utc_offset`.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// The program of a vendor event (staff only); a partner's events are its program's.
    pub program_id: Option<String>,
    /// Staff only: host the event for this partner (a partner's users host their own).
    pub partner_id: Option<String>,
    /// A campaign of the host partner's that the event belongs to.
    pub campaign_id: Option<String>,
    /// `webinar`, `workshop` or `conference`.
    pub kind: Option<String>,
    pub title: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// The event's time zone as an offset (`+01:00`); default: the offset `starts_at`
    /// carries, else UTC.
    pub utc_offset: Option<String>,
    /// Where a workshop or conference happens.
    pub location: Option<String>,
    /// Where a webinar is joined (http or https).
    pub join_url: Option<String>,
    /// Seats (1 to 100,000); none for no limit.
    pub capacity: Option<i64>,
    /// `partners`, `customers` or `both`.
    pub audience: Option<String>,
    /// Replies taken until this time (inclusive); default: the start.
    pub rsvp_deadline: Option<String>,
}

/// An event's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFields {
    pub kind: EventKind,
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub utc_offset_minutes: i32,
    pub location: Option<String>,
    pub join_url: Option<String>,
    pub capacity: Option<i64>,
    pub audience: Audience,
    pub rsvp_deadline: DateTime<Utc>,
}

/// The longest event: two weeks.
pub const MAX_LENGTH: Duration = Duration::days(14);

fn url(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(u) = text::optional(field, raw, 500)? else {
        return Ok(None);
    };
    let lower = u.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !u.chars().any(char::is_whitespace)
        && u.len() > "https://x".len();
    if ok {
        Ok(Some(u))
    } else {
        Err(FieldError::new(
            field,
            "url",
            format!("{field} must be a web address starting with https://"),
        ))
    }
}

impl EventInput {
    pub fn parse(&self) -> Result<EventFields, Invalid> {
        let mut inv = Invalid::new();
        let kind = inv.check(EventKind::parse("kind", self.kind.as_deref().unwrap_or("")));
        let title = inv.check(text::required("title", self.title.as_deref(), 200));
        let description = inv.check(text::multiline_optional(
            "description",
            self.description.as_deref(),
            20_000,
        ));
        let offset = match self.utc_offset.as_deref().map(str::trim) {
            Some(o) if !o.is_empty() => inv.check(parse_offset("utc_offset", o)),
            _ => Some(
                self.starts_at
                    .as_deref()
                    .and_then(offset_of)
                    .unwrap_or_default(),
            ),
        };
        let zone = offset.unwrap_or_default();
        let time = |inv: &mut Invalid, field: &str, raw: Option<&str>| match raw
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => inv.check(parse_time(field, s, zone)),
            None => {
                inv.add(field, "required", format!("{field} is required"));
                None
            }
        };
        let starts_at = time(&mut inv, "starts_at", self.starts_at.as_deref());
        let ends_at = time(&mut inv, "ends_at", self.ends_at.as_deref());
        let deadline = match self
            .rsvp_deadline
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => inv.check(parse_time("rsvp_deadline", s, zone)).map(Some),
            None => Some(None),
        };
        if let (Some(s), Some(e)) = (starts_at, ends_at) {
            if e <= s {
                inv.add("ends_at", "after_start", "ends_at must be after starts_at");
            } else if e - s > MAX_LENGTH {
                inv.add("ends_at", "max_length", "an event lasts at most 14 days");
            }
        }
        if let (Some(s), Some(Some(d))) = (starts_at, deadline)
            && d > s
        {
            inv.add(
                "rsvp_deadline",
                "before_start",
                "rsvp_deadline must be no later than starts_at",
            );
        }
        let location = inv.check(text::optional("location", self.location.as_deref(), 300));
        let join_url = inv.check(url("join_url", self.join_url.as_deref()));
        match (kind, &location, &join_url) {
            (Some(EventKind::Webinar), _, Some(None)) => inv.add(
                "join_url",
                "required",
                "join_url is required for a webinar: where people join it",
            ),
            (Some(EventKind::Workshop | EventKind::Conference), Some(None), _) => inv.add(
                "location",
                "required",
                "location is required for a workshop or conference: where it happens",
            ),
            _ => {}
        }
        if let Some(c) = self.capacity
            && !(1..=100_000).contains(&c)
        {
            inv.add(
                "capacity",
                "range",
                "capacity must be between 1 and 100,000 seats, or left out for no limit",
            );
        }
        let audience = inv.check(Audience::parse(
            "audience",
            self.audience.as_deref().unwrap_or(""),
        ));
        inv.finish(|| {
            let starts_at = starts_at?;
            Some(EventFields {
                kind: kind?,
                title: title?,
                description: description?.unwrap_or_default(),
                starts_at,
                ends_at: ends_at?,
                utc_offset_minutes: offset?,
                location: location?,
                join_url: join_url?,
                capacity: self.capacity,
                audience: audience?,
                rsvp_deadline: deadline?.unwrap_or(starts_at),
            })
        })
    }
}

/// One reply to an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRegistration {
    pub id: EventRegistrationId,
    pub event_id: ProgramEventId,
    /// The partner the reply counts for: a partner user's own, or the host of a
    /// partner-hosted event for its customers; none for a customer of a vendor event.
    pub partner_id: Option<PartnerId>,
    pub partner_name: Option<String>,
    /// The partner user who replied (none for a customer).
    pub user_id: Option<UserId>,
    pub attendee_kind: AttendeeKind,
    pub name: String,
    pub email: String,
    pub company: String,
    pub status: RsvpStatus,
    /// When the reply took its place (the waitlist's order).
    pub placed_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A partner user's reply from the portal or the API.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RsvpInput {
    /// `going` or `not_going`.
    pub response: Option<String>,
}

/// Whether a partner user is coming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    Going,
    NotGoing,
}

impl RsvpInput {
    pub fn parse(&self) -> Result<Response, Invalid> {
        match self.response.as_deref().map(str::trim) {
            Some("going") => Ok(Response::Going),
            Some("not_going") => Ok(Response::NotGoing),
            _ => Err(Invalid::one(
                "response",
                "one_of",
                "response must be one of: going, not_going",
            )),
        }
    }
}

/// A customer's reply on the public page.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PublicRsvpInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
}

/// A customer's reply, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicRsvpFields {
    pub name: String,
    pub email: Email,
    pub company: String,
}

impl PublicRsvpInput {
    pub fn parse(&self) -> Result<PublicRsvpFields, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", self.name.as_deref(), 120));
        let email = inv.check(Email::parse("email", self.email.as_deref().unwrap_or("")));
        let company = inv.check(text::required("company", self.company.as_deref(), 200));
        inv.finish(|| {
            Some(PublicRsvpFields {
                name: name?,
                email: email?,
                company: company?,
            })
        })
    }
}

/// One partner's part of an event's attendance: its own people and its customers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerAttendance {
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub people_going: i64,
    pub people_checked_in: i64,
    pub customers_going: i64,
    pub customers_checked_in: i64,
}

/// An event's attendance as the caller may see it: the figures over the RSVPs in its
/// scope, the seats left, and each partner's part.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attendance {
    pub figures: super::Figures,
    pub capacity: Option<i64>,
    pub seats_left: Option<i64>,
    pub by_partner: Vec<PartnerAttendance>,
}

/// An event's attendance list as CSV: one row per reply the caller may see.
pub fn attendance_csv(event: &ProgramEvent, rsvps: &[EventRegistration]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut write = || -> Result<(), csv::Error> {
        w.write_record([
            "event_id",
            "event",
            "starts_at_utc",
            "rsvp_id",
            "attendee",
            "name",
            "email",
            "company",
            "partner",
            "status",
            "placed_at_utc",
            "checked_in_at_utc",
        ])?;
        for r in rsvps {
            w.write_record([
                event.id.to_string(),
                event.title.clone(),
                event.starts_at.to_rfc3339(),
                r.id.to_string(),
                r.attendee_kind.as_str().to_owned(),
                r.name.clone(),
                r.email.clone(),
                r.company.clone(),
                r.partner_name.clone().unwrap_or_default(),
                r.status.as_str().to_owned(),
                r.placed_at.to_rfc3339(),
                r.checked_in_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ])?;
        }
        Ok(())
    };
    write().map_err(|e| e.to_string())?;
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn webinar() -> EventInput {
        EventInput {
            kind: Some("webinar".into()),
            title: Some("Zero-trust in practice".into()),
            description: Some("## Agenda\r\n\r\n- Demo".into()),
            starts_at: Some("2027-01-14T16:00".into()),
            ends_at: Some("2027-01-14T17:00".into()),
            utc_offset: Some("+01:00".into()),
            join_url: Some("https://meet.example/zt".into()),
            audience: Some("both".into()),
            capacity: Some(100),
            ..Default::default()
        }
    }

    #[test]
    fn a_webinar_parses_in_its_zone_with_the_deadline_at_the_start() {
        let f = webinar().parse().unwrap();
        let start = Utc.with_ymd_and_hms(2027, 1, 14, 15, 0, 0).unwrap();
        assert_eq!(f.starts_at, start);
        assert_eq!(f.rsvp_deadline, start);
        assert_eq!(f.utc_offset_minutes, 60);
        assert_eq!(f.description, "## Agenda\n\n- Demo");
        assert_eq!(f.kind, EventKind::Webinar);
    }

    #[test]
    fn every_missing_field_is_named() {
        let err = EventInput::default().parse().unwrap_err();
        let rules: Vec<String> = err
            .errors
            .iter()
            .map(|e| format!("{}:{}", e.field, e.rule))
            .collect();
        assert_eq!(
            rules,
            [
                "kind:one_of",
                "title:required",
                "starts_at:required",
                "ends_at:required",
                "audience:one_of"
            ]
        );
    }

    #[test]
    fn times_must_make_sense() {
        let mut i = webinar();
        i.ends_at = Some("2027-01-14T16:00".into());
        assert_eq!(i.parse().unwrap_err().errors[0].rule, "after_start");
        let mut i = webinar();
        i.ends_at = Some("2027-01-30T16:00".into());
        assert_eq!(i.parse().unwrap_err().errors[0].rule, "max_length");
        let mut i = webinar();
        i.rsvp_deadline = Some("2027-01-14T16:01".into());
        let e = i.parse().unwrap_err();
        assert_eq!(
            (e.errors[0].field.as_str(), e.errors[0].rule.as_str()),
            ("rsvp_deadline", "before_start")
        );
        // The deadline may be the start itself.
        let mut i = webinar();
        i.rsvp_deadline = Some("2027-01-14T16:00".into());
        assert!(i.parse().is_ok());
        // Without an offset field, the start's own offset is the zone.
        let mut i = webinar();
        i.utc_offset = None;
        i.starts_at = Some("2027-01-14T10:00:00-05:00".into());
        i.ends_at = Some("2027-01-14T11:00".into());
        let f = i.parse().unwrap();
        assert_eq!(f.utc_offset_minutes, -300);
        assert_eq!(
            f.ends_at,
            Utc.with_ymd_and_hms(2027, 1, 14, 16, 0, 0).unwrap()
        );
        let mut i = webinar();
        i.utc_offset = Some("+25:00".into());
        assert_eq!(i.parse().unwrap_err().errors[0].field, "utc_offset");
    }

    #[test]
    fn webinars_need_a_join_url_and_workshops_a_place() {
        let mut i = webinar();
        i.join_url = None;
        assert_eq!(i.parse().unwrap_err().errors[0].field.as_str(), "join_url");
        let mut i = webinar();
        i.join_url = Some("javascript:alert(1)".into());
        assert_eq!(i.parse().unwrap_err().errors[0].rule, "url");
        let mut i = webinar();
        i.kind = Some("workshop".into());
        i.join_url = None;
        let e = i.parse().unwrap_err();
        assert_eq!(
            (e.errors[0].field.as_str(), e.errors[0].rule.as_str()),
            ("location", "required")
        );
        i.location = Some("Acme HQ, Room 4".into());
        assert!(i.parse().is_ok());
    }

    #[test]
    fn capacity_is_positive_or_absent() {
        for (c, ok) in [
            (Some(0), false),
            (Some(1), true),
            (None, true),
            (Some(100_001), false),
        ] {
            let mut i = webinar();
            i.capacity = c;
            assert_eq!(i.parse().is_ok(), ok, "{c:?}");
        }
    }

    #[test]
    fn replies() {
        assert_eq!(
            RsvpInput {
                response: Some("going".into())
            }
            .parse(),
            Ok(Response::Going)
        );
        assert_eq!(
            RsvpInput::default().parse().unwrap_err().errors[0].rule,
            "one_of"
        );
        let err = PublicRsvpInput::default().parse().unwrap_err();
        assert_eq!(err.errors.len(), 3);
        let ok = PublicRsvpInput {
            name: Some("<script>alert(1)</script>".into()),
            email: Some(" Grace@Initech.example ".into()),
            company: Some("Initech".into()),
        }
        .parse()
        .unwrap();
        // Kept as typed: escaping is the page's job, every time it shows it.
        assert_eq!(ok.name, "<script>alert(1)</script>");
        assert_eq!(ok.email.as_str(), "grace@initech.example");
    }
}
