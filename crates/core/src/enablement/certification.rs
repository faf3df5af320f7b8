//! Certifications: valid from the day earned through the day `validity_months` later (that
//! last day included), reminded 30 and 7 days before they lapse, expired the day after.

use chrono::{Months, NaiveDate};

/// The days before expiry on which a holder is reminded, furthest first.
pub const REMINDER_DAYS: [i64; 2] = [30, 7];

/// The last day a certification earned on `earned_on` is valid.
pub fn expires_on(earned_on: NaiveDate, validity_months: u32) -> NaiveDate {
    earned_on
        .checked_add_months(Months::new(validity_months))
        .unwrap_or(NaiveDate::MAX)
}

/// Whether a certification earned on `earned_on` and lapsing after `expires_on` is valid on
/// `day`.
pub fn valid_on(earned_on: NaiveDate, expires_on: NaiveDate, day: NaiveDate) -> bool {
    earned_on <= day && day <= expires_on
}

/// The reminder due on `today` for a certification valid through `expires_on`: 30 while 30
/// to 8 days are left, 7 in the last 7 days (the last day included), none otherwise. A
/// missed day is caught up the next day, since the reminder is "within", not "exactly".
pub fn reminder(expires_on: NaiveDate, today: NaiveDate) -> Option<i64> {
    let left = (expires_on - today).num_days();
    if left < 0 {
        None
    } else if left <= REMINDER_DAYS[1] {
        Some(REMINDER_DAYS[1])
    } else if left <= REMINDER_DAYS[0] {
        Some(REMINDER_DAYS[0])
    } else {
        None
    }
}

/// The key that makes a reminder go out once per certification, expiry day and stage.
pub fn reminder_key(expires_on: NaiveDate, days: i64) -> String {
    format!("{expires_on}:{days}d")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn valid_on_its_last_day_and_expired_the_day_after() {
        let earned = d(2026, 1, 31);
        let last = expires_on(earned, 12);
        assert_eq!(last, d(2027, 1, 31));
        assert!(valid_on(earned, last, earned));
        assert!(valid_on(earned, last, last));
        assert!(!valid_on(earned, last, d(2027, 2, 1)));
        assert!(!valid_on(earned, last, d(2026, 1, 30)), "not before earned");
        // Month ends clamp: earned on 31 January, valid 1 month: through 28 February.
        assert_eq!(expires_on(d(2027, 1, 31), 1), d(2027, 2, 28));
    }

    #[test]
    fn reminders_at_30_and_7_days() {
        let last = d(2027, 6, 30);
        assert_eq!(reminder(last, d(2027, 5, 30)), None, "31 days left");
        assert_eq!(reminder(last, d(2027, 5, 31)), Some(30), "30 days left");
        assert_eq!(reminder(last, d(2027, 6, 22)), Some(30), "8 days left");
        assert_eq!(reminder(last, d(2027, 6, 23)), Some(7), "7 days left");
        assert_eq!(reminder(last, last), Some(7), "the last day");
        assert_eq!(reminder(last, d(2027, 7, 1)), None, "expired");
        assert_ne!(reminder_key(last, 30), reminder_key(last, 7));
    }
}
