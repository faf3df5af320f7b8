//! When things happen: retrying an e-mail the SMTP server did not take, the day a
//! notification joins a daily digest, and how old an event may be and still be announced.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

/// Waits after the 1st, 2nd, ... failed attempt. After the last, the delivery has failed.
pub const RETRY_DELAYS: [TimeDelta; 5] = [
    TimeDelta::minutes(1),
    TimeDelta::minutes(5),
    TimeDelta::minutes(30),
    TimeDelta::hours(2),
    TimeDelta::hours(6),
];

/// The most attempts a delivery gets: the first and one per retry delay.
pub const MAX_ATTEMPTS: i64 = RETRY_DELAYS.len() as i64 + 1;

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Stop: the delivery has failed.
    GiveUp,
}

/// After `attempts` attempts (this failure included) ending at `now`: retry on the
/// schedule, or give up once the schedule is used up or the server refused for good
/// (`permanent`: an SMTP 5xx answer, which the same message will get again).
pub fn after_failure(attempts: i64, now: DateTime<Utc>, permanent: bool) -> AfterFailure {
    if permanent {
        return AfterFailure::GiveUp;
    }
    let delay = usize::try_from(attempts - 1)
        .ok()
        .and_then(|i| RETRY_DELAYS.get(i));
    match delay {
        Some(d) => AfterFailure::RetryAt(now + *d),
        None => AfterFailure::GiveUp,
    }
}

/// The time of day (UTC) the daily digest goes out.
pub const DIGEST_TIME: NaiveTime = match NaiveTime::from_hms_opt(7, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// The digest a notification created at `at` goes into: that day's if created before the
/// digest time, else the next day's.
pub fn digest_day(at: DateTime<Utc>) -> NaiveDate {
    let day = at.date_naive();
    if at.time() < DIGEST_TIME {
        day
    } else {
        day.succ_opt().unwrap_or(day)
    }
}

/// The latest digest day whose digest is due at `now`: today once the digest time has
/// come, else yesterday.
pub fn latest_due_digest_day(now: DateTime<Utc>) -> NaiveDate {
    let day = now.date_naive();
    if now.time() >= DIGEST_TIME {
        day
    } else {
        day.pred_opt().unwrap_or(day)
    }
}

/// How old an event may be and still be announced. Older events (history written by the
/// demo loader, a backlog after a long outage) are passed over: news of last month helps
/// nobody, and a flood of it hides today's.
pub const STALE_AFTER: TimeDelta = TimeDelta::days(7);

/// Whether an event that happened at `event_at` is too old to announce at `now`.
pub fn is_stale(event_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - event_at > STALE_AFTER
}

/// Groups items by (user, digest day), keeping each group's items in the order given:
/// one digest e-mail per user and day.
pub fn digest_groups<U: Ord + Clone, T>(
    items: impl IntoIterator<Item = (U, NaiveDate, T)>,
) -> Vec<((U, NaiveDate), Vec<T>)> {
    let mut groups: std::collections::BTreeMap<(U, NaiveDate), Vec<T>> =
        std::collections::BTreeMap::new();
    for (user, day, item) in items {
        groups.entry((user, day)).or_default().push(item);
    }
    groups.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
    }

    #[test]
    fn retries_follow_the_schedule_then_give_up() {
        let now = t(2026, 12, 2, 10, 0, 0);
        assert_eq!(
            after_failure(1, now, false),
            AfterFailure::RetryAt(now + TimeDelta::minutes(1))
        );
        assert_eq!(
            after_failure(2, now, false),
            AfterFailure::RetryAt(now + TimeDelta::minutes(5))
        );
        assert_eq!(
            after_failure(3, now, false),
            AfterFailure::RetryAt(now + TimeDelta::minutes(30))
        );
        assert_eq!(
            after_failure(4, now, false),
            AfterFailure::RetryAt(now + TimeDelta::hours(2))
        );
        // The last retry, then no more.
        assert_eq!(
            after_failure(MAX_ATTEMPTS - 1, now, false),
            AfterFailure::RetryAt(now + TimeDelta::hours(6))
        );
        assert_eq!(
            after_failure(MAX_ATTEMPTS, now, false),
            AfterFailure::GiveUp
        );
        assert_eq!(
            after_failure(MAX_ATTEMPTS + 3, now, false),
            AfterFailure::GiveUp
        );
        assert_eq!(MAX_ATTEMPTS, 6);
    }

    #[test]
    fn a_permanent_refusal_is_not_retried() {
        let now = t(2026, 12, 2, 10, 0, 0);
        assert_eq!(after_failure(1, now, true), AfterFailure::GiveUp);
    }

    #[test]
    fn nonsense_attempt_counts_give_up_rather_than_panic() {
        let now = t(2026, 12, 2, 10, 0, 0);
        assert_eq!(after_failure(0, now, false), AfterFailure::GiveUp);
        assert_eq!(after_failure(-4, now, false), AfterFailure::GiveUp);
    }

    #[test]
    fn digest_day_turns_at_the_digest_time() {
        assert_eq!(
            digest_day(t(2026, 12, 2, 6, 59, 59)),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
        assert_eq!(
            digest_day(t(2026, 12, 2, 7, 0, 0)),
            NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
        );
        assert_eq!(
            digest_day(t(2026, 12, 31, 23, 59, 59)),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            "across the year end"
        );
        assert_eq!(
            digest_day(t(2026, 12, 2, 0, 0, 0)),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
    }

    #[test]
    fn a_digest_is_due_from_its_digest_time() {
        assert_eq!(
            latest_due_digest_day(t(2026, 12, 3, 6, 59, 59)),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
        assert_eq!(
            latest_due_digest_day(t(2026, 12, 3, 7, 0, 0)),
            NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
        );
        assert_eq!(
            latest_due_digest_day(t(2027, 1, 1, 0, 0, 0)),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        // A notification created at any time is in a digest due within a day.
        for hour in 0..24 {
            let at = t(2026, 12, 2, hour, 30, 0);
            let day = digest_day(at);
            assert!(latest_due_digest_day(at) < day, "not due at once ({at})");
            assert!(
                latest_due_digest_day(at + TimeDelta::hours(24)) >= day,
                "due within a day ({at})"
            );
        }
    }

    #[test]
    fn events_older_than_a_week_are_stale() {
        let event = t(2026, 12, 2, 10, 0, 0);
        assert!(!is_stale(event, event));
        assert!(!is_stale(event, event + STALE_AFTER));
        assert!(is_stale(event, event + STALE_AFTER + TimeDelta::seconds(1)));
        // An event "from the future" (a clock set back) is not stale.
        assert!(!is_stale(event, event - TimeDelta::days(30)));
    }

    #[test]
    fn digests_group_by_user_and_day_in_order() {
        let d1 = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let d2 = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let groups = digest_groups(vec![
            ("bob", d1, 1),
            ("amy", d1, 2),
            ("bob", d2, 3),
            ("bob", d1, 4),
            ("amy", d1, 5),
        ]);
        assert_eq!(
            groups,
            vec![
                (("amy", d1), vec![2, 5]),
                (("bob", d1), vec![1, 4]),
                (("bob", d2), vec![3]),
            ]
        );
        assert!(digest_groups(Vec::<(&str, NaiveDate, i32)>::new()).is_empty());
    }
}
