//! When a reminder is due, and the key that makes it go out once. The store's reminder
//! job asks these rules each day which reminder applies to a review, a task or a drifting
//! quarter, and records the answer's key in `reminders_sent` (unique per kind, record and
//! key) in the transaction that emits the event: a second run, or a second instance, finds
//! the key taken and emits nothing.
//!
//! A review is reminded twice: once when it comes within [`REVIEW_WARNING_DAYS`] of its
//! due date (due day included) and once when it is overdue. A task is reminded once when
//! it falls due (the day before or the day itself) and once when it is overdue. Keys name
//! the due date, so a task moved to a new date is reminded again for it.

use chrono::{NaiveDate, TimeDelta};

use crate::business_plan::record::ReviewKind;
use crate::text_enum;

/// How many days before its due date a review is announced.
pub const REVIEW_WARNING_DAYS: i64 = 3;

/// How many days before its due date a task is announced (0: only on the day).
pub const TASK_WARNING_DAYS: i64 = 1;

text_enum!(
    /// Which of its reminders a dated item is at.
    Stage {
        DueSoon = "due_soon" / "Due soon",
        Overdue = "overdue" / "Overdue",
    }
);

/// The stage of an item due on `due_on` on `today`, when it is announced `warning_days`
/// ahead: due soon from `due_on - warning_days` through `due_on`, overdue after it, nothing
/// before.
fn stage(due_on: NaiveDate, today: NaiveDate, warning_days: i64) -> Option<Stage> {
    if today > due_on {
        Some(Stage::Overdue)
    } else if today >= due_on - TimeDelta::days(warning_days) {
        Some(Stage::DueSoon)
    } else {
        None
    }
}

/// The reminder of a review due on `due_on`, on `today`, if one applies.
pub fn review_stage(due_on: NaiveDate, today: NaiveDate) -> Option<Stage> {
    stage(due_on, today, REVIEW_WARNING_DAYS)
}

/// The reminder of an open task due on `due_on`, on `today`, if one applies.
pub fn task_stage(due_on: NaiveDate, today: NaiveDate) -> Option<Stage> {
    stage(due_on, today, TASK_WARNING_DAYS)
}

/// The key of a review reminder of a plan: one per review kind, due date and stage.
pub fn review_key(kind: ReviewKind, due_on: NaiveDate, stage: Stage) -> String {
    format!("{}:{due_on}:{}", kind.as_str(), stage.as_str())
}

/// The key of a task reminder: one per due date and stage.
pub fn task_key(due_on: NaiveDate, stage: Stage) -> String {
    format!("{due_on}:{}", stage.as_str())
}

/// The key of a drift reminder of a plan: one per quarter and plan version, so an
/// amended plan that still drifts is announced again.
pub fn drift_key(quarter: u8, version: i64) -> String {
    format!("q{quarter}:v{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_review_is_announced_three_days_ahead_and_when_overdue() {
        let due = d(2027, 3, 31);
        let on = |offset: i64| review_stage(due, due + TimeDelta::days(offset));
        assert_eq!(on(-4), None);
        assert_eq!(on(-3), Some(Stage::DueSoon));
        assert_eq!(on(-1), Some(Stage::DueSoon));
        assert_eq!(on(0), Some(Stage::DueSoon), "the due day is not overdue");
        assert_eq!(on(1), Some(Stage::Overdue));
        assert_eq!(on(40), Some(Stage::Overdue));
    }

    #[test]
    fn a_task_is_announced_the_day_before_and_when_overdue() {
        let due = d(2028, 2, 29);
        let on = |offset: i64| task_stage(due, due + TimeDelta::days(offset));
        assert_eq!(on(-2), None);
        assert_eq!(on(-1), Some(Stage::DueSoon));
        assert_eq!(on(0), Some(Stage::DueSoon));
        assert_eq!(on(1), Some(Stage::Overdue));
    }

    /// The due-soon days share one key, so a task is announced once before it is due, and
    /// once more when overdue; a new due date is a new key.
    #[test]
    fn keys_name_what_makes_a_reminder_once() {
        let due = d(2028, 2, 29);
        let before = task_stage(due, d(2028, 2, 28)).unwrap();
        let on_the_day = task_stage(due, due).unwrap();
        assert_eq!(task_key(due, before), task_key(due, on_the_day));
        assert_eq!(task_key(due, Stage::DueSoon), "2028-02-29:due_soon");
        assert_ne!(task_key(due, Stage::Overdue), task_key(due, Stage::DueSoon));
        assert_ne!(
            task_key(d(2028, 3, 7), Stage::DueSoon),
            task_key(due, Stage::DueSoon)
        );
        assert_eq!(
            review_key(ReviewKind::QuarterlyBusinessReview, due, Stage::Overdue),
            "quarterly_business_review:2028-02-29:overdue"
        );
        assert_eq!(drift_key(2, 3), "q2:v3");
        assert_ne!(drift_key(2, 3), drift_key(2, 4));
    }
}
