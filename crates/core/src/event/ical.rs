//! One event as an iCalendar file (RFC 5545) to add to one's calendar: built with the
//! `icalendar` crate as the cadence feed (`cadence::ical`) is, which does the escaping and
//! line folding; times in UTC, so every calendar shows them in its own zone.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

use super::record::{EventStatus, ProgramEvent};

/// The calendar file of `event`, stamped `now`; its link is the public page under
/// `public_url`. A cancelled event says so (`STATUS:CANCELLED`), so a calendar that has it
/// updates it.
pub fn event_file(event: &ProgramEvent, now: DateTime<Utc>, public_url: &str) -> String {
    let url = format!("{}/events/{}", public_url.trim_end_matches('/'), event.slug);
    let mut description = event.description.clone();
    if let Some(join) = &event.join_url {
        description = format!("Join: {join}\n\n{description}");
    }
    description = format!("{description}\n\n{url}");
    let mut e = Event::new();
    e.uid(&format!("{}@partnerops", event.id))
        .timestamp(now)
        .starts(event.starts_at)
        .ends(event.ends_at)
        .summary(&event.title)
        .description(description.trim())
        .url(&url);
    if let Some(place) = event.location.as_deref().or(event.join_url.as_deref()) {
        e.location(place);
    }
    if event.status == EventStatus::Cancelled {
        e.status(icalendar::EventStatus::Cancelled);
    }
    let mut cal = Calendar::new();
    cal.push(e.done());
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::event::record::{Audience, EventKind};
    use crate::ids::{EntityId, ProgramEventId, ProgramId};

    fn event() -> ProgramEvent {
        let at = Utc.with_ymd_and_hms(2027, 1, 14, 15, 0, 0).unwrap();
        ProgramEvent {
            id: ProgramEventId::from_parts(&"1".repeat(32)),
            program_id: ProgramId::from_parts(&"2".repeat(32)),
            host_partner_id: None,
            host_name: None,
            campaign_id: None,
            kind: EventKind::Webinar,
            title: "Zero-trust, in practice; live".into(),
            description: "Bring questions".into(),
            starts_at: at,
            ends_at: at + chrono::Duration::minutes(90),
            utc_offset_minutes: 60,
            location: None,
            join_url: Some("https://meet.example/zt".into()),
            capacity: None,
            going_count: 0,
            audience: Audience::Both,
            rsvp_deadline: at,
            status: EventStatus::Published,
            slug: "abc".into(),
            created_at: at,
            updated_at: at,
            published_at: Some(at),
        }
    }

    #[test]
    fn an_event_file_in_utc_with_escaped_text_and_a_link() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let ics = event_file(&event(), now, "https://prm.example/");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
        assert!(ics.contains("DTSTART:20270114T150000Z\r\n"), "{ics}");
        assert!(ics.contains("DTEND:20270114T163000Z\r\n"), "{ics}");
        assert!(
            ics.contains("SUMMARY:Zero-trust\\, in practice\\; live\r\n"),
            "{ics}"
        );
        assert!(
            ics.contains("URL:https://prm.example/events/abc\r\n"),
            "{ics}"
        );
        assert!(
            ics.contains("LOCATION:https://meet.example/zt\r\n"),
            "{ics}"
        );
        assert!(
            ics.contains(&format!("UID:{}@partnerops", event().id)),
            "{ics}"
        );
        assert!(!ics.contains("STATUS:CANCELLED"));
        let mut cancelled = event();
        cancelled.status = EventStatus::Cancelled;
        assert!(event_file(&cancelled, now, "https://prm.example").contains("STATUS:CANCELLED"));
    }
}
