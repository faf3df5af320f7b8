//! Events: webinars, workshops and conferences the vendor hosts for a program, or a partner
//! hosts for its own people and customers; the RSVPs they take (partner users from the
//! portal, customers on a public page) and the check-ins on the day.
//!
//! What is decided here: when an event takes replies (published, before its RSVP deadline,
//! for the audience it is meant for), who gets a seat and who waits (first come, first
//! seated; the waitlist is promoted in the order people joined it when seats free up), when
//! an attendee can be checked in (a going RSVP, once, from two hours before the start), the
//! attendance figures, and how times show in the event's own time zone. The store applies
//! these with conditional updates so concurrent replies never overbook.

pub mod ical;
pub mod record;

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, Offset, Utc};

use crate::FieldError;
use record::{AttendeeKind, Audience, EventStatus, RsvpStatus};

/// Why an RSVP, a check-in or a status change was refused: the rule and a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub rule: &'static str,
    pub message: String,
}

fn refuse(rule: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        rule,
        message: message.into(),
    }
}

/// Whether an event takes replies at `now`: published (not a draft, not cancelled, not
/// over) and not past its RSVP deadline. The deadline itself is still in time: a deadline of
/// 12:00 takes a reply sent at 12:00:00 and refuses one at 12:00:01.
pub fn rsvp_open(
    status: EventStatus,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    match status {
        EventStatus::Draft => Err(refuse(
            "event.not_published",
            "this event is not published yet",
        )),
        EventStatus::Cancelled => Err(refuse(
            "event.cancelled",
            "this event was cancelled and takes no replies",
        )),
        EventStatus::Completed => Err(refuse(
            "event.completed",
            "this event is over and takes no replies",
        )),
        EventStatus::Published if now > deadline => Err(refuse(
            "event.rsvp_closed",
            format!(
                "replies closed at the RSVP deadline ({} UTC)",
                deadline.format("%Y-%m-%d %H:%M")
            ),
        )),
        EventStatus::Published => Ok(()),
    }
}

/// Whether the event is meant for this kind of attendee.
pub fn audience_admits(audience: Audience, who: AttendeeKind) -> Result<(), Refusal> {
    let ok = matches!(
        (audience, who),
        (Audience::Both, _)
            | (Audience::Partners, AttendeeKind::PartnerUser)
            | (Audience::Customers, AttendeeKind::Customer)
    );
    if ok {
        Ok(())
    } else {
        Err(refuse(
            "event.audience",
            match who {
                AttendeeKind::PartnerUser => "this event is for customers, not partners' people",
                AttendeeKind::Customer => "this event is for partners' people only",
            },
        ))
    }
}

/// Where a new "going" reply lands: a seat while the event has one, else the waitlist.
/// (The store makes the same choice with a conditional update, so two replies for the last
/// seat cannot both get it.)
pub fn place(capacity: Option<i64>, going: i64) -> RsvpStatus {
    match capacity {
        Some(c) if going >= c => RsvpStatus::Waitlisted,
        _ => RsvpStatus::Going,
    }
}

/// Seats free for the waitlist: capacity minus those going (everyone, without a capacity).
pub fn free_seats(capacity: Option<i64>, going: i64, waiting: usize) -> usize {
    match capacity {
        None => waiting,
        Some(c) => usize::try_from((c - going).max(0))
            .unwrap_or(0)
            .min(waiting),
    }
}

/// Whom to promote from the waitlist when seats free up: the earliest to join it first
/// (ties broken by id, which grows with time), as many as there are free seats.
pub fn promotions<T: Ord>(
    capacity: Option<i64>,
    going: i64,
    waitlist: &[(DateTime<Utc>, T)],
) -> Vec<&T> {
    let mut queue: Vec<&(DateTime<Utc>, T)> = waitlist.iter().collect();
    queue.sort();
    let n = free_seats(capacity, going, queue.len());
    queue.into_iter().take(n).map(|(_, id)| id).collect()
}

/// Check-in opens this long before the start.
pub const CHECK_IN_OPENS: Duration = Duration::hours(2);

/// Who checks an attendee in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckInBy {
    /// The host's staff on the attendance list: also after the event, to record it.
    Host,
    /// The attendee with their personal code: only while the event runs.
    Attendee,
}

/// Whether an RSVP can be checked in at `now`: the event is published (or just completed,
/// for the host recording attendance), the reply is "going", it is not checked in yet, and
/// check-in has opened.
#[allow(clippy::too_many_arguments)]
pub fn may_check_in(
    event: EventStatus,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    rsvp: RsvpStatus,
    checked_in: bool,
    by: CheckInBy,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    match event {
        EventStatus::Draft => {
            return Err(refuse("event.not_published", "this event is not published"));
        }
        EventStatus::Cancelled => {
            return Err(refuse("event.cancelled", "this event was cancelled"));
        }
        EventStatus::Completed if by == CheckInBy::Attendee => {
            return Err(refuse("check_in.closed", "this event is over"));
        }
        _ => {}
    }
    if checked_in {
        return Err(refuse(
            "rsvp.checked_in",
            "this attendee is checked in already",
        ));
    }
    if rsvp != RsvpStatus::Going {
        return Err(refuse(
            "rsvp.not_going",
            format!(
                "only attendees who are going can be checked in; this reply is {}",
                rsvp.label().to_lowercase()
            ),
        ));
    }
    if now < starts_at - CHECK_IN_OPENS {
        return Err(refuse(
            "check_in.too_early",
            format!(
                "check-in opens two hours before the start ({} UTC)",
                (starts_at - CHECK_IN_OPENS).format("%Y-%m-%d %H:%M")
            ),
        ));
    }
    if by == CheckInBy::Attendee && now > ends_at {
        return Err(refuse("check_in.closed", "this event is over"));
    }
    Ok(())
}

/// Publishing: only a draft, and only before it starts.
pub fn may_publish(
    status: EventStatus,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if status != EventStatus::Draft {
        return Err(refuse(
            "event.status",
            format!("the event is {} already", status.label().to_lowercase()),
        ));
    }
    if starts_at <= now {
        return Err(refuse(
            "event.started",
            "an event that has started cannot be published",
        ));
    }
    Ok(())
}

/// Cancelling: a draft or a published event that is not over.
pub fn may_cancel(status: EventStatus) -> Result<(), Refusal> {
    match status {
        EventStatus::Draft | EventStatus::Published => Ok(()),
        s => Err(refuse(
            "event.status",
            format!("the event is {} already", s.label().to_lowercase()),
        )),
    }
}

/// Completing: a published event once it has started.
pub fn may_complete(
    status: EventStatus,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if status != EventStatus::Published {
        return Err(refuse(
            "event.status",
            format!(
                "only a published event can be completed; this one is {}",
                status.label().to_lowercase()
            ),
        ));
    }
    if now < starts_at {
        return Err(refuse(
            "event.not_started",
            "an event can be completed once it has started",
        ));
    }
    Ok(())
}

/// Attendance figures over a set of RSVPs.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// Replies "going" (with a seat).
    pub going: i64,
    pub waitlisted: i64,
    pub not_going: i64,
    pub checked_in: i64,
    /// Checked in out of going, in whole percent; none while nobody is going.
    pub show_rate_pct: Option<i64>,
}

impl Figures {
    /// The figures of RSVPs given as (status, checked in).
    pub fn of(rsvps: impl IntoIterator<Item = (RsvpStatus, bool)>) -> Figures {
        let mut f = Figures::default();
        for (status, checked_in) in rsvps {
            match status {
                RsvpStatus::Going => f.going += 1,
                RsvpStatus::Waitlisted => f.waitlisted += 1,
                RsvpStatus::NotGoing => f.not_going += 1,
            }
            if checked_in && status == RsvpStatus::Going {
                f.checked_in += 1;
            }
        }
        f.show_rate_pct = show_rate(f.checked_in, f.going);
        f
    }
}

/// Checked in out of going, rounded to whole percent (half up).
pub fn show_rate(checked_in: i64, going: i64) -> Option<i64> {
    (going > 0).then(|| (checked_in * 200 + going) / (going * 2))
}

/// Parses a UTC offset (`+01:00`, `-05:30`, `Z`, `UTC`) into minutes east of UTC.
pub fn parse_offset(field: &str, raw: &str) -> Result<i32, FieldError> {
    let s = raw.trim();
    let bad = || {
        FieldError::new(
            field,
            "utc_offset",
            format!(
                "{field} must be an offset from UTC like +01:00 or -05:30, between -12:00 and +14:00"
            ),
        )
    };
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") {
        return Ok(0);
    }
    let s = s.strip_prefix("UTC").unwrap_or(s);
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if m >= 60 {
        return Err(bad());
    }
    let minutes = sign * (h * 60 + m);
    if !(-12 * 60..=14 * 60).contains(&minutes) {
        return Err(bad());
    }
    Ok(minutes)
}

/// An offset in minutes as people write it: `UTC+01:00`, `UTC−05:30`, `UTC`.
pub fn offset_label(minutes: i32) -> String {
    if minutes == 0 {
        return "UTC".to_owned();
    }
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// The fixed offset of `minutes` east of UTC (UTC itself if out of range, which parsing
/// never lets through).
fn fixed(minutes: i32) -> FixedOffset {
    FixedOffset::east_opt(minutes * 60).unwrap_or_else(|| Utc.fix())
}

/// Parses a point in time: RFC 3339 with its own offset (`2027-01-14T16:00:00+01:00`), or a
/// local time without one (`2027-01-14T16:00`, as a browser's date-time field sends it) in
/// the event's offset `default_offset` (minutes east of UTC).
pub fn parse_time(
    field: &str,
    raw: &str,
    default_offset: i32,
) -> Result<DateTime<Utc>, FieldError> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(s, format)
            && let Some(t) = local.and_local_timezone(fixed(default_offset)).single()
        {
            return Ok(t.with_timezone(&Utc));
        }
    }
    Err(FieldError::new(
        field,
        "date_time",
        format!(
            "{field} must be a date and time like 2027-01-14T16:00 or 2027-01-14T16:00:00+01:00"
        ),
    ))
}

/// The offset a raw RFC 3339 time carries, if it carries one.
pub fn offset_of(raw: &str) -> Option<i32> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|t| t.offset().local_minus_utc() / 60)
}

/// `at` in the event's time zone, for a form's date-time field (`2027-01-14T16:00`).
pub fn local_input(at: DateTime<Utc>, offset_minutes: i32) -> String {
    at.with_timezone(&fixed(offset_minutes))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// `at` in the event's time zone, with the zone: `Thu 14 Jan 2027, 16:00 UTC+01:00`.
pub fn local_display(at: DateTime<Utc>, offset_minutes: i32) -> String {
    format!(
        "{} {}",
        at.with_timezone(&fixed(offset_minutes))
            .format("%a %-d %b %Y, %H:%M"),
        offset_label(offset_minutes)
    )
}

/// When an event runs, in its time zone: `Thu 14 Jan 2027, 16:00–17:30 UTC+01:00`, or both
/// dates when it spans days.
pub fn when_display(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    offset_minutes: i32,
) -> String {
    let tz = fixed(offset_minutes);
    let (s, e) = (starts_at.with_timezone(&tz), ends_at.with_timezone(&tz));
    if s.date_naive() == e.date_naive() {
        format!(
            "{}–{} {}",
            s.format("%a %-d %b %Y, %H:%M"),
            e.format("%H:%M"),
            offset_label(offset_minutes)
        )
    } else {
        format!(
            "{} – {} {}",
            s.format("%a %-d %b %Y, %H:%M"),
            e.format("%a %-d %b %Y, %H:%M"),
            offset_label(offset_minutes)
        )
    }
}

/// The throttles of the public RSVP form are the campaign landing page's: five replies per
/// visitor address in ten minutes, two hundred per event an hour. `Err(retry_at)` when either
/// is reached.
pub fn may_take_rsvp(
    from_address: &[DateTime<Utc>],
    to_event: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), DateTime<Utc>> {
    crate::campaign::may_take_lead(from_address, to_event, now)
}

/// The windows of those throttles, for the store's look-back.
pub const PER_ADDRESS_WINDOW: Duration = crate::campaign::PER_ADDRESS.window;
pub const PER_EVENT_WINDOW: Duration = crate::campaign::PER_CAMPAIGN.window;

pub use crate::campaign::{HONEYPOT_FIELD, is_bot};

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 14, h, m, s).unwrap()
    }

    #[test]
    fn the_deadline_minute_is_still_in_time() {
        let deadline = t(12, 0, 0);
        assert!(rsvp_open(EventStatus::Published, deadline, t(11, 59, 59)).is_ok());
        assert!(rsvp_open(EventStatus::Published, deadline, t(12, 0, 0)).is_ok());
        let late = rsvp_open(EventStatus::Published, deadline, t(12, 0, 1)).unwrap_err();
        assert_eq!(late.rule, "event.rsvp_closed");
        assert!(
            late.message.contains("2027-01-14 12:00"),
            "{}",
            late.message
        );
    }

    #[test]
    fn drafts_cancelled_and_completed_events_take_no_replies() {
        let deadline = t(12, 0, 0);
        let now = t(9, 0, 0);
        for (status, rule) in [
            (EventStatus::Draft, "event.not_published"),
            (EventStatus::Cancelled, "event.cancelled"),
            (EventStatus::Completed, "event.completed"),
        ] {
            assert_eq!(rsvp_open(status, deadline, now).unwrap_err().rule, rule);
        }
    }

    #[test]
    fn the_audience_decides_who_may_reply() {
        use AttendeeKind::*;
        assert!(audience_admits(Audience::Both, PartnerUser).is_ok());
        assert!(audience_admits(Audience::Both, Customer).is_ok());
        assert!(audience_admits(Audience::Partners, PartnerUser).is_ok());
        assert!(audience_admits(Audience::Customers, Customer).is_ok());
        assert_eq!(
            audience_admits(Audience::Partners, Customer)
                .unwrap_err()
                .rule,
            "event.audience"
        );
        assert_eq!(
            audience_admits(Audience::Customers, PartnerUser)
                .unwrap_err()
                .rule,
            "event.audience"
        );
    }

    #[test]
    fn seats_until_capacity_then_the_waitlist() {
        assert_eq!(place(None, 10_000), RsvpStatus::Going);
        assert_eq!(place(Some(3), 2), RsvpStatus::Going);
        assert_eq!(place(Some(3), 3), RsvpStatus::Waitlisted);
        assert_eq!(place(Some(0), 0), RsvpStatus::Waitlisted);
        assert_eq!(free_seats(Some(3), 1, 5), 2);
        assert_eq!(free_seats(Some(3), 4, 5), 0);
        assert_eq!(free_seats(None, 4, 5), 5);
        assert_eq!(free_seats(Some(10), 1, 2), 2);
    }

    #[test]
    fn the_waitlist_is_promoted_in_the_order_people_joined() {
        let list = vec![
            (t(10, 5, 0), "c"),
            (t(10, 1, 0), "b"),
            (t(10, 1, 0), "a"),
            (t(10, 9, 0), "d"),
        ];
        // One seat free: the earliest (ties by id).
        assert_eq!(promotions(Some(5), 4, &list), vec![&"a"]);
        // Three seats: a, b, then c.
        assert_eq!(promotions(Some(5), 2, &list), vec![&"a", &"b", &"c"]);
        // None free: nobody; no capacity: everyone.
        assert!(promotions(Some(5), 5, &list).is_empty());
        assert_eq!(promotions(None, 5, &list).len(), 4);
    }

    #[test]
    fn check_in_only_once_and_only_when_going() {
        use CheckInBy::*;
        let (start, end) = (t(16, 0, 0), t(17, 0, 0));
        let ok = |rsvp, checked, by, now| {
            may_check_in(EventStatus::Published, start, end, rsvp, checked, by, now)
        };
        assert!(ok(RsvpStatus::Going, false, Host, t(16, 5, 0)).is_ok());
        assert_eq!(
            ok(RsvpStatus::Going, true, Host, t(16, 5, 0))
                .unwrap_err()
                .rule,
            "rsvp.checked_in"
        );
        for s in [RsvpStatus::Waitlisted, RsvpStatus::NotGoing] {
            assert_eq!(
                ok(s, false, Host, t(16, 5, 0)).unwrap_err().rule,
                "rsvp.not_going"
            );
        }
        // Two hours before the start, not a second earlier.
        assert!(ok(RsvpStatus::Going, false, Attendee, t(14, 0, 0)).is_ok());
        assert_eq!(
            ok(RsvpStatus::Going, false, Attendee, t(13, 59, 59))
                .unwrap_err()
                .rule,
            "check_in.too_early"
        );
        // After the end the host may still record attendance; the attendee may not.
        assert!(ok(RsvpStatus::Going, false, Host, t(20, 0, 0)).is_ok());
        assert_eq!(
            ok(RsvpStatus::Going, false, Attendee, t(17, 0, 1))
                .unwrap_err()
                .rule,
            "check_in.closed"
        );
    }

    #[test]
    fn no_check_in_at_cancelled_or_draft_events_and_hosts_may_after_completion() {
        let (start, end) = (t(16, 0, 0), t(17, 0, 0));
        let now = t(16, 30, 0);
        for (status, rule) in [
            (EventStatus::Cancelled, "event.cancelled"),
            (EventStatus::Draft, "event.not_published"),
        ] {
            let r = may_check_in(
                status,
                start,
                end,
                RsvpStatus::Going,
                false,
                CheckInBy::Host,
                now,
            );
            assert_eq!(r.unwrap_err().rule, rule);
        }
        let after = t(18, 0, 0);
        assert!(
            may_check_in(
                EventStatus::Completed,
                start,
                end,
                RsvpStatus::Going,
                false,
                CheckInBy::Host,
                after
            )
            .is_ok()
        );
        assert_eq!(
            may_check_in(
                EventStatus::Completed,
                start,
                end,
                RsvpStatus::Going,
                false,
                CheckInBy::Attendee,
                now
            )
            .unwrap_err()
            .rule,
            "check_in.closed"
        );
    }

    #[test]
    fn status_changes() {
        let start = t(16, 0, 0);
        assert!(may_publish(EventStatus::Draft, start, t(9, 0, 0)).is_ok());
        assert_eq!(
            may_publish(EventStatus::Draft, start, t(16, 0, 0))
                .unwrap_err()
                .rule,
            "event.started"
        );
        assert_eq!(
            may_publish(EventStatus::Published, start, t(9, 0, 0))
                .unwrap_err()
                .rule,
            "event.status"
        );
        assert!(may_cancel(EventStatus::Draft).is_ok());
        assert!(may_cancel(EventStatus::Published).is_ok());
        assert!(may_cancel(EventStatus::Cancelled).is_err());
        assert!(may_cancel(EventStatus::Completed).is_err());
        assert_eq!(
            may_complete(EventStatus::Published, start, t(15, 59, 59))
                .unwrap_err()
                .rule,
            "event.not_started"
        );
        assert!(may_complete(EventStatus::Published, start, start).is_ok());
        assert!(may_complete(EventStatus::Draft, start, t(17, 0, 0)).is_err());
    }

    #[test]
    fn figures_and_show_rate() {
        use RsvpStatus::*;
        let f = Figures::of([
            (Going, true),
            (Going, true),
            (Going, false),
            (Waitlisted, false),
            (NotGoing, false),
            // A check-in never counts unless going (it cannot happen, but a figure must not lie).
            (NotGoing, true),
        ]);
        assert_eq!(
            f,
            Figures {
                going: 3,
                waitlisted: 1,
                not_going: 2,
                checked_in: 2,
                show_rate_pct: Some(67),
            }
        );
        assert_eq!(Figures::of([]).show_rate_pct, None);
        assert_eq!(show_rate(1, 2), Some(50));
        assert_eq!(show_rate(1, 8), Some(13));
        assert_eq!(show_rate(0, 5), Some(0));
    }

    #[test]
    fn offsets_parse_and_show() {
        assert_eq!(parse_offset("o", "+01:00"), Ok(60));
        assert_eq!(parse_offset("o", "-05:30"), Ok(-330));
        assert_eq!(parse_offset("o", "UTC+05:45"), Ok(345));
        assert_eq!(parse_offset("o", "Z"), Ok(0));
        assert_eq!(parse_offset("o", "UTC"), Ok(0));
        for bad in ["+1", "+15:00", "-12:30", "01:00", "+01:60", ""] {
            assert_eq!(
                parse_offset("o", bad).unwrap_err().rule,
                "utc_offset",
                "{bad}"
            );
        }
        assert_eq!(offset_label(60), "UTC+01:00");
        assert_eq!(offset_label(-330), "UTC-05:30");
        assert_eq!(offset_label(0), "UTC");
    }

    #[test]
    fn times_are_stored_in_utc_and_shown_in_the_events_zone() {
        // A local time from a browser's field, in the event's zone (UTC+01:00).
        let at = parse_time("starts_at", "2027-01-14T16:00", 60).unwrap();
        assert_eq!(at, t(15, 0, 0));
        // An RFC 3339 time keeps its own offset.
        let at2 = parse_time("starts_at", "2027-01-14T10:00:00-05:00", 60).unwrap();
        assert_eq!(at2, t(15, 0, 0));
        assert_eq!(offset_of("2027-01-14T10:00:00-05:00"), Some(-300));
        assert_eq!(offset_of("2027-01-14T10:00"), None);
        assert_eq!(
            parse_time("starts_at", "tomorrow", 0).unwrap_err().rule,
            "date_time"
        );
        assert_eq!(local_input(t(15, 0, 0), 60), "2027-01-14T16:00");
        assert_eq!(
            local_display(t(15, 0, 0), 60),
            "Thu 14 Jan 2027, 16:00 UTC+01:00"
        );
        assert_eq!(
            when_display(t(15, 0, 0), t(16, 30, 0), 60),
            "Thu 14 Jan 2027, 16:00–17:30 UTC+01:00"
        );
        // New York sees the same instant five hours earlier, and a late start crosses midnight.
        assert_eq!(
            when_display(t(15, 0, 0), t(16, 0, 0), -300),
            "Thu 14 Jan 2027, 10:00–11:00 UTC-05:00"
        );
        assert_eq!(
            when_display(t(22, 0, 0), t(23, 30, 0), 120),
            "Fri 15 Jan 2027, 00:00–01:30 UTC+02:00"
        );
        assert_eq!(
            when_display(t(20, 0, 0), t(23, 30, 0), 180),
            "Thu 14 Jan 2027, 23:00 – Fri 15 Jan 2027, 02:30 UTC+03:00"
        );
    }

    #[test]
    fn the_public_form_has_the_landing_pages_throttles() {
        let now = t(12, 0, 0);
        let five: Vec<_> = (1..=5).map(|m| now - Duration::minutes(m)).collect();
        assert!(may_take_rsvp(&five[..4], &[], now).is_ok());
        assert!(may_take_rsvp(&five, &[], now).is_err());
        assert!(is_bot(Some("x")));
        assert_eq!(HONEYPOT_FIELD, "website");
    }
}
