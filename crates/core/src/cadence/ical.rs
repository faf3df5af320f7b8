//! The agenda as an iCalendar feed (RFC 5545), so what is due shows in the calendar people
//! already use: one all-day event per item on its due day, with a UID stable across
//! fetches (so a calendar updates an item rather than duplicating it) and a link to the
//! item's page. Built with the `icalendar` crate, which does the escaping and line folding.

use chrono::{DateTime, TimeDelta, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

use super::AgendaItem;

/// The feed of `items` for `owner` (a display name), stamped `now`; links are `public_url`
/// plus the item's path.
pub fn feed(owner: &str, items: &[AgendaItem], now: DateTime<Utc>, public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let mut cal = Calendar::new();
    cal.name(&format!("partnerops: due for {owner}"));
    for i in items {
        let url = format!("{base}{}", i.link);
        let mut description = format!("{}\n{url}", i.item.kind.label());
        if let Some(partner) = &i.item.partner_name {
            description = format!("{} · {partner}\n{url}", i.item.kind.label());
        }
        let event = Event::new()
            .uid(&uid(i))
            .timestamp(now)
            .starts(i.item.due_on)
            .ends(i.item.due_on + TimeDelta::days(1))
            .summary(&i.item.title)
            .description(&description)
            .url(&url)
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}

/// The UID of an item: its kind, record and key, so the same item keeps its UID.
fn uid(i: &AgendaItem) -> String {
    let key = if i.item.key.is_empty() {
        String::new()
    } else {
        format!("-{}", i.item.key)
    };
    format!(
        "{}-{}{key}@partnerops",
        i.item.kind.as_str(),
        i.item.subject.id()
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::cadence::tests::{d, item};
    use crate::cadence::{DueKind, Side, agenda};

    #[test]
    fn one_all_day_event_per_item_with_a_stable_uid_and_a_link() {
        let today = d(2026, 12, 1);
        let mut long = item(
            DueKind::Review,
            d(2026, 12, 31),
            "Quarterly business review: Acme, Inc.; the plan for 2027 with a very long name that must be folded",
        );
        long.partner_name = Some("Acme".into());
        let a = agenda(vec![long], today, Side::Portal);
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let ics = feed("Ada", &a.upcoming, now, "https://prm.example.com/");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART;VALUE=DATE:20261231\r\n"));
        assert!(ics.contains("DTEND;VALUE=DATE:20270101\r\n"));
        assert!(ics.contains("UID:review-reg_Quarterly"));
        // Commas and semicolons in text are escaped; long lines are folded at 75 octets.
        assert!(ics.contains("Acme\\, Inc.\\;"));
        assert!(ics.lines().all(|l| l.len() <= 75));
        assert!(ics.contains("URL:https://prm.example.com/portal/registrations/reg_"));
        // Fetched twice, the same item has the same UID.
        assert_eq!(
            ics.lines().find(|l| l.starts_with("UID:")),
            feed(
                "Ada",
                &a.upcoming,
                now + TimeDelta::hours(1),
                "https://prm.example.com"
            )
            .lines()
            .find(|l| l.starts_with("UID:"))
        );
    }
}
