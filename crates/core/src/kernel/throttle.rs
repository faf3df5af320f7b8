//! Login throttling against password guessing: after too many recent failures for one
//! e-mail address (or from one client address) further attempts are refused until the
//! oldest counted failure leaves the window. The store keeps the attempts; this decides.

use chrono::{DateTime, Duration, Utc};

/// How many failures within which window lock further attempts.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub max_failures: usize,
    pub window: Duration,
}

impl ThrottlePolicy {
    /// Per account: five wrong passwords in fifteen minutes.
    pub const PER_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        max_failures: 5,
        window: Duration::minutes(15),
    };
    /// Per client address: more generous, since offices share one address.
    pub const PER_CLIENT: ThrottlePolicy = ThrottlePolicy {
        max_failures: 30,
        window: Duration::minutes(15),
    };

    /// `Ok` when a login attempt may proceed, else the time it may be retried.
    /// `failures` are the failure times for the key, in any order; older ones are ignored.
    pub fn check(
        &self,
        failures: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Result<(), DateTime<Utc>> {
        let mut recent: Vec<DateTime<Utc>> = failures
            .iter()
            .copied()
            .filter(|t| *t > now - self.window && *t <= now)
            .collect();
        if recent.len() < self.max_failures {
            return Ok(());
        }
        recent.sort();
        // Attempts reopen when fewer than `max_failures` remain in the window, i.e. when
        // the failure that made the count reach the limit (counting from the newest) expires.
        let pivot = recent[recent.len() - self.max_failures];
        Err(pivot + self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn fifth_failure_locks_fourth_does_not() {
        let p = ThrottlePolicy::PER_ACCOUNT;
        let four = [t(0), t(1), t(2), t(3)];
        assert!(p.check(&four, t(4)).is_ok());
        let five = [t(0), t(1), t(2), t(3), t(4)];
        assert_eq!(p.check(&five, t(5)), Err(t(15)));
    }

    #[test]
    fn failures_age_out_at_the_window_edge() {
        let p = ThrottlePolicy::PER_ACCOUNT;
        let five = [t(0), t(1), t(2), t(3), t(4)];
        // At exactly 15 minutes the first failure is no longer inside the window.
        assert!(p.check(&five, t(15)).is_ok());
        assert!(p.check(&five, t(14)).is_err());
    }

    #[test]
    fn lock_follows_the_newest_failures() {
        let p = ThrottlePolicy::PER_ACCOUNT;
        let six = [t(0), t(5), t(6), t(7), t(8), t(9)];
        // Five failures remain inside the window until t(5) expires at t(20).
        assert_eq!(p.check(&six, t(10)), Err(t(20)));
    }
}
