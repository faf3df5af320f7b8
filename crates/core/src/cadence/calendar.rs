//! The agenda as a month calendar: weeks from Monday to Sunday covering the month, each day
//! with the items due on it.

use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use serde::Serialize;

use super::AgendaItem;

/// One day of the grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Day {
    pub date: NaiveDate,
    /// False for the days of the previous and next month that fill the first and last week.
    pub in_month: bool,
    pub is_today: bool,
    pub items: Vec<AgendaItem>,
}

/// A month of the calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Month {
    /// The first day of the month.
    pub first: NaiveDate,
    pub weeks: Vec<[Day; 7]>,
}

/// The first day of the month of `d`.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// Parses `YYYY-MM` into the first day of that month.
pub fn parse_month(field: &str, raw: &str) -> Result<NaiveDate, crate::FieldError> {
    NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d").map_err(|_| {
        crate::FieldError::new(
            field,
            "month",
            format!("{field} must be a month written YYYY-MM, e.g. 2027-01"),
        )
    })
}

/// The month after the month starting `first`, and the one before.
pub fn neighbours(first: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        first.checked_sub_months(Months::new(1)).unwrap_or(first),
        first.checked_add_months(Months::new(1)).unwrap_or(first),
    )
}

/// The grid of the month of `any_day`, with `items` placed on their due days (items outside
/// the grid's weeks are left out).
pub fn month(any_day: NaiveDate, today: NaiveDate, items: &[AgendaItem]) -> Month {
    let first = month_start(any_day);
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    let back = i64::from(first.weekday().num_days_from_monday());
    let mut day = first - TimeDelta::days(back);
    let mut weeks = Vec::new();
    while day < next {
        let week: [Day; 7] = std::array::from_fn(|i| {
            let date = day + TimeDelta::days(i as i64);
            Day {
                date,
                in_month: date >= first && date < next,
                is_today: date == today,
                items: items
                    .iter()
                    .filter(|i| i.item.due_on == date)
                    .cloned()
                    .collect(),
            }
        });
        weeks.push(week);
        day += TimeDelta::days(7);
    }
    Month { first, weeks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cadence::tests::{d, item};
    use crate::cadence::{DueKind, Side, agenda};

    #[test]
    fn a_month_is_whole_weeks_from_monday() {
        // February 2027 starts on a Monday and has exactly four weeks.
        let m = month(d(2027, 2, 14), d(2027, 2, 1), &[]);
        assert_eq!(m.first, d(2027, 2, 1));
        assert_eq!(m.weeks.len(), 4);
        assert!(m.weeks[0][0].is_today);
        // December 2026 starts on a Tuesday: the grid starts on Monday 30 November.
        let m = month(d(2026, 12, 1), d(2026, 12, 1), &[]);
        assert_eq!(m.weeks[0][0].date, d(2026, 11, 30));
        assert!(!m.weeks[0][0].in_month);
        assert_eq!(m.weeks.len(), 5);
        assert_eq!(m.weeks[4][6].date, d(2027, 1, 3));
    }

    #[test]
    fn items_land_on_their_due_day() {
        let today = d(2026, 12, 1);
        let a = agenda(
            vec![
                item(DueKind::Task, d(2026, 12, 31), "year end"),
                item(DueKind::Task, d(2026, 11, 30), "overdue"),
            ],
            today,
            Side::Console,
        );
        let all: Vec<AgendaItem> = a.overdue.iter().chain(&a.upcoming).cloned().collect();
        let m = month(today, today, &all);
        assert_eq!(m.weeks[0][0].items[0].item.title, "overdue");
        assert_eq!(m.weeks[4][3].items[0].item.title, "year end");
    }

    #[test]
    fn months_parse_and_step_over_year_ends() {
        assert_eq!(parse_month("month", "2027-01").unwrap(), d(2027, 1, 1));
        assert_eq!(parse_month("month", "2027-13").unwrap_err().rule, "month");
        assert_eq!(neighbours(d(2027, 1, 1)), (d(2026, 12, 1), d(2027, 2, 1)));
    }
}
