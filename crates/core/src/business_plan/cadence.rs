//! When a plan's reviews fall due: a monthly pipeline review by the last day of each month
//! of the plan, a quarterly business review by the last day of each quarter. A month (or
//! quarter) is covered by a review of its kind held in it. The next due review is the
//! earliest uncovered one that has begun by `today`: an earlier gap is overdue, so a missed
//! review is not silently skipped.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use super::record::{PlanContent, ReviewKind, period_end, quarter_end, quarter_start};

/// A review that is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewDue {
    pub kind: ReviewKind,
    /// The last day it may be held on.
    pub due_on: NaiveDate,
    pub overdue: bool,
}

/// The last day of the month of `d`.
fn month_end(d: NaiveDate) -> NaiveDate {
    let first = d.with_day(1).unwrap_or(d);
    (first + Months::new(1)).pred_opt().unwrap_or(d)
}

/// The next due review of each kind the plan commits to, on `today`; none once the plan's
/// period is over or before it begins.
pub fn reviews_due(
    content: &PlanContent,
    period_start: NaiveDate,
    held: &[(ReviewKind, NaiveDate)],
    today: NaiveDate,
) -> Vec<ReviewDue> {
    let end = period_end(period_start);
    if today < period_start {
        return Vec::new();
    }
    let covered = |kind: ReviewKind, from: NaiveDate, to: NaiveDate| {
        held.iter()
            .any(|(k, d)| *k == kind && *d >= from && *d <= to)
    };
    let mut out = Vec::new();
    if content.cadence.monthly_pipeline_review {
        let mut start = period_start;
        while start <= end && start <= today {
            let due = month_end(start);
            if !covered(ReviewKind::MonthlyPipelineReview, start, due) {
                out.push(ReviewDue {
                    kind: ReviewKind::MonthlyPipelineReview,
                    due_on: due,
                    overdue: due < today,
                });
                break;
            }
            start = due.succ_opt().unwrap_or(NaiveDate::MAX);
        }
    }
    if content.cadence.quarterly_business_review {
        for q in 1..=4 {
            let (start, due) = (quarter_start(period_start, q), quarter_end(period_start, q));
            if start > today {
                break;
            }
            if !covered(ReviewKind::QuarterlyBusinessReview, start, due) {
                out.push(ReviewDue {
                    kind: ReviewKind::QuarterlyBusinessReview,
                    due_on: due,
                    overdue: due < today,
                });
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_monthly_review_is_due_at_month_end_including_february() {
        let plan = PlanContent::default();
        let start = d(2028, 1, 1);
        let due = reviews_due(&plan, start, &[], d(2028, 1, 15));
        assert_eq!(due[0].due_on, d(2028, 1, 31));
        assert!(!due[0].overdue);
        assert_eq!(due[1].kind, ReviewKind::QuarterlyBusinessReview);
        assert_eq!(due[1].due_on, d(2028, 3, 31));
        // January held: February of a leap year ends on the 29th.
        let held = [(ReviewKind::MonthlyPipelineReview, d(2028, 1, 30))];
        let due = reviews_due(&plan, start, &held, d(2028, 2, 10));
        assert_eq!(due[0].due_on, d(2028, 2, 29));
        // January missed: it stays due, overdue, into February.
        let due = reviews_due(&plan, start, &[], d(2028, 2, 1));
        assert_eq!(due[0].due_on, d(2028, 1, 31));
        assert!(due[0].overdue);
        // Due on the day itself is not overdue.
        let due = reviews_due(&plan, start, &[], d(2028, 1, 31));
        assert!(!due[0].overdue);
    }

    #[test]
    fn nothing_is_due_outside_the_period_or_without_the_commitment() {
        let mut plan = PlanContent::default();
        let start = d(2027, 1, 1);
        assert!(reviews_due(&plan, start, &[], d(2026, 12, 31)).is_empty());
        plan.cadence.monthly_pipeline_review = false;
        let due = reviews_due(&plan, start, &[], d(2027, 1, 2));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].kind, ReviewKind::QuarterlyBusinessReview);
    }
}
