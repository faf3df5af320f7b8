//! Business-day arithmetic on a program calendar.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::policy::Calendar;

impl Calendar {
    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        !self.weekend.contains(&day.weekday()) && !self.holidays.contains(&day)
    }

    /// The moment `days` business days after `start`: the same time of day on the
    /// `days`-th business day after `start`'s date. Weekends and holidays do not count, so
    /// a case opened on Friday with five business days is due the next Friday, or later when
    /// a holiday falls in between.
    pub fn add_business_days(&self, start: DateTime<Utc>, days: i64) -> DateTime<Utc> {
        let mut at = start;
        let mut counted = 0;
        // A calendar with no business day at all is refused by policy validation; the bound
        // keeps a bad calendar from looping forever.
        let mut guard = 0;
        while counted < days && guard < 3660 {
            at += Duration::days(1);
            guard += 1;
            if self.is_business_day(at.date_naive()) {
                counted += 1;
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Weekday};

    use super::*;

    fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
    }

    #[test]
    fn five_business_days_from_a_monday_is_the_next_monday() {
        let cal = Calendar::default();
        // 2026-11-16 is a Monday.
        assert_eq!(cal.add_business_days(t(2026, 11, 16), 5), t(2026, 11, 23));
    }

    #[test]
    fn a_deadline_crossing_a_weekend_and_a_holiday() {
        let cal = Calendar {
            holidays: vec![NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()],
            ..Default::default()
        };
        // Opened Friday 2026-11-20: Mon 23, Tue 24, Wed 25, (Thu 26 holiday), Fri 27, Mon 30.
        assert_eq!(cal.add_business_days(t(2026, 11, 20), 5), t(2026, 11, 30));
        // Without the holiday it would have been Friday 27.
        assert_eq!(
            Calendar::default().add_business_days(t(2026, 11, 20), 5),
            t(2026, 11, 27)
        );
    }

    #[test]
    fn opened_on_a_weekend_counts_from_the_next_business_day() {
        let cal = Calendar::default();
        // Saturday 2026-11-21 + 1 business day = Monday 23.
        assert_eq!(cal.add_business_days(t(2026, 11, 21), 1), t(2026, 11, 23));
    }

    #[test]
    fn another_weekend() {
        let cal = Calendar {
            weekend: vec![Weekday::Fri, Weekday::Sat],
            holidays: vec![],
        };
        // Thursday 2026-11-19 + 1 = Sunday 22 where the weekend is Friday and Saturday.
        assert_eq!(cal.add_business_days(t(2026, 11, 19), 1), t(2026, 11, 22));
    }
}
