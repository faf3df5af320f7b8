//! When a delivery is tried again, and when a subscription gives up: the Standard Webhooks
//! retry schedule (after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h,
//! 24 h), `Retry-After` honoured on 429, 502 and 504, `410 Gone` disabling the subscription
//! at once, and a subscription failing for 5 days disabled.

use chrono::{DateTime, TimeDelta, Utc};

/// Seconds to wait before each retry; after the last, the delivery has failed.
pub const RETRY_AFTER_SECONDS: [i64; 9] = [
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
];
/// A subscription whose deliveries have failed this long is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 5;
/// The longest `Retry-After` honoured, so a receiver cannot park a delivery for ever.
pub const MAX_RETRY_AFTER_SECONDS: i64 = 24 * 3600;
/// How long one attempt may take.
pub const TIMEOUT_SECONDS: u64 = 15;

/// What an attempt's answer means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: delivered.
    Delivered,
    /// 410: the receiver is gone for good; disable the subscription.
    Gone,
    /// Try again at this time, or give up (`None`) after the last retry.
    Retry(Option<DateTime<Utc>>),
}

/// The verdict on attempt number `attempt` (1 = the first) that ended at `now` with HTTP
/// `status` (`None`: no answer, e.g. a timeout or a refused connection) and the answer's
/// `Retry-After` in seconds, if any.
pub fn verdict(
    attempt: u32,
    status: Option<u16>,
    retry_after: Option<i64>,
    now: DateTime<Utc>,
) -> Verdict {
    match status {
        Some(200..=299) => return Verdict::Delivered,
        Some(410) => return Verdict::Gone,
        _ => {}
    }
    let Some(&wait) = RETRY_AFTER_SECONDS.get(attempt.saturating_sub(1) as usize) else {
        return Verdict::Retry(None);
    };
    let honoured = match (status, retry_after) {
        (Some(429 | 502 | 504), Some(secs)) if secs > 0 => secs.min(MAX_RETRY_AFTER_SECONDS),
        _ => wait,
    };
    Verdict::Retry(Some(now + TimeDelta::seconds(honoured)))
}

/// Whether a subscription failing since `failing_since` is disabled at `now`.
pub fn give_up(failing_since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - failing_since >= TimeDelta::days(DISABLE_AFTER_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        "2026-12-02T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn retries_follow_the_spec_schedule_then_stop() {
        let now = t0();
        let waits: Vec<i64> = (1..=9)
            .map(|n| match verdict(n, Some(500), None, now) {
                Verdict::Retry(Some(at)) => (at - now).num_seconds(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(waits, RETRY_AFTER_SECONDS.to_vec());
        assert_eq!(verdict(10, Some(500), None, now), Verdict::Retry(None));
        // No answer at all (timeout) retries the same way.
        assert_eq!(
            verdict(1, None, None, now),
            Verdict::Retry(Some(now + TimeDelta::seconds(5)))
        );
    }

    #[test]
    fn success_gone_and_retry_after() {
        let now = t0();
        assert_eq!(verdict(1, Some(204), None, now), Verdict::Delivered);
        assert_eq!(verdict(3, Some(410), None, now), Verdict::Gone);
        for s in [429, 502, 504] {
            assert_eq!(
                verdict(1, Some(s), Some(120), now),
                Verdict::Retry(Some(now + TimeDelta::seconds(120)))
            );
        }
        // Retry-After on other statuses is the schedule's business, not the receiver's.
        assert_eq!(
            verdict(1, Some(503), Some(120), now),
            Verdict::Retry(Some(now + TimeDelta::seconds(5)))
        );
        // And it is bounded.
        assert_eq!(
            verdict(1, Some(429), Some(10 * 86_400), now),
            Verdict::Retry(Some(now + TimeDelta::seconds(MAX_RETRY_AFTER_SECONDS)))
        );
    }

    #[test]
    fn five_days_of_failure_disable() {
        let since = t0();
        assert!(!give_up(
            since,
            since + TimeDelta::days(5) - TimeDelta::seconds(1)
        ));
        assert!(give_up(since, since + TimeDelta::days(5)));
    }
}
