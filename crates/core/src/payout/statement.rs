//! Statements: the payout periods, the states of a statement and the moves between them,
//! each allowed or refused with a rule and a reason.
//!
//! A statement gathers a partner's open lines accrued up to the end of a period. It is
//! issued for review when its total reaches the program's minimum (and is more than zero);
//! otherwise it is recorded as rolled over and its lines stay open for the next period. An
//! issued statement may be disputed line by line by the partner; once every dispute is
//! resolved it can be approved, then marked paid with a payment reference.

use chrono::{Datelike, NaiveDate};

use super::policy::PayoutPeriod;
use crate::money::{Currency, Money};
use crate::registration::Decision;
use crate::text_enum;

text_enum!(
    /// Where a statement is.
    StatementState {
        Issued = "issued" / "Issued for review",
        Disputed = "disputed" / "Disputed",
        Approved = "approved" / "Approved",
        Paid = "paid" / "Paid",
        RolledOver = "rolled_over" / "Rolled over (below the minimum)",
    }
);

text_enum!(
    /// Where a dispute of a line is.
    DisputeState {
        Open = "open" / "Open",
        Upheld = "upheld" / "Upheld (the line was corrected)",
        Rejected = "rejected" / "Rejected (the line stands)",
    }
);

/// Longest payment reference, in characters.
pub const MAX_REFERENCE_CHARS: usize = 100;
/// Longest dispute comment or resolution, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// A payout period: its first and last day and its label (`2026-Q4`, `2026-11`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub label: String,
}

/// The period a day falls in.
pub fn period_of(day: NaiveDate, every: PayoutPeriod) -> Period {
    let (year, month) = (day.year(), day.month());
    let (first_month, months, label) = match every {
        PayoutPeriod::Monthly => (month, 1, format!("{year}-{month:02}")),
        PayoutPeriod::Quarterly => {
            let q = (month - 1) / 3;
            (q * 3 + 1, 3, format!("{year}-Q{}", q + 1))
        }
    };
    let start = NaiveDate::from_ymd_opt(year, first_month, 1).unwrap_or(day);
    let end = start
        .checked_add_months(chrono::Months::new(months))
        .and_then(|d| d.pred_opt())
        .unwrap_or(day);
    Period { start, end, label }
}

/// The last period that ended before `today`: what a run on `today` draws statements for.
pub fn last_closed_period(today: NaiveDate, every: PayoutPeriod) -> Period {
    let current = period_of(today, every);
    period_of(current.start.pred_opt().unwrap_or(current.start), every)
}

/// Whether gathered lines totalling `total_minor` (of `currency`) are issued or roll over.
pub fn draw_up(
    total_minor: i64,
    minimum_minor: i64,
    currency: Currency,
    version: i64,
) -> (StatementState, Decision) {
    let (total, minimum) = (
        Money::new(total_minor, currency),
        Money::new(minimum_minor, currency),
    );
    if total_minor > 0 && total_minor >= minimum_minor {
        (
            StatementState::Issued,
            Decision::new(
                "payout.statement_issued",
                "issued",
                format!("the total {total} reaches the minimum payout of {minimum}"),
                version,
            ),
        )
    } else {
        (
            StatementState::RolledOver,
            Decision::new(
                "payout.below_minimum",
                "rolled_over",
                format!(
                    "the total {total} is below the minimum payout of {minimum} (and a payout \
                     must be more than 0): its lines roll over to the next period"
                ),
                version,
            ),
        )
    }
}

/// A refused move: the rule and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub rule: &'static str,
    pub reason: String,
}

fn refused(rule: &'static str, reason: String) -> Refused {
    Refused { rule, reason }
}

/// A partner disputes a line of a statement: only while it is under review.
pub fn dispute(state: StatementState) -> Result<StatementState, Refused> {
    match state {
        StatementState::Issued | StatementState::Disputed => Ok(StatementState::Disputed),
        other => Err(refused(
            "payout.not_under_review",
            format!(
                "the statement is {}: lines can be disputed only while it is issued for review",
                other.label().to_lowercase()
            ),
        )),
    }
}

/// Resolving a dispute: the statement is back under review when none is left open.
pub fn resolve(state: StatementState, still_open: usize) -> Result<StatementState, Refused> {
    if state != StatementState::Disputed {
        return Err(refused(
            "payout.not_disputed",
            format!(
                "the statement is {}, not disputed",
                state.label().to_lowercase()
            ),
        ));
    }
    Ok(if still_open == 0 {
        StatementState::Issued
    } else {
        StatementState::Disputed
    })
}

/// Approving: only an issued statement without an open dispute.
pub fn approve(state: StatementState, open_disputes: usize) -> Result<StatementState, Refused> {
    match state {
        StatementState::Issued if open_disputes == 0 => Ok(StatementState::Approved),
        StatementState::Issued | StatementState::Disputed => Err(refused(
            "payout.open_disputes",
            format!(
                "{open_disputes} disputed line(s) are still open: uphold or reject each before approving"
            ),
        )),
        other => Err(refused(
            "payout.not_under_review",
            format!(
                "the statement is {}: only an issued statement can be approved",
                other.label().to_lowercase()
            ),
        )),
    }
}

/// Marking paid: only an approved statement, with a payment reference.
pub fn pay(state: StatementState, reference: &str) -> Result<StatementState, Refused> {
    if state != StatementState::Approved {
        return Err(refused(
            "payout.not_approved",
            format!(
                "the statement is {}: only an approved statement can be marked paid",
                state.label().to_lowercase()
            ),
        ));
    }
    let reference = reference.trim();
    if reference.is_empty() || reference.chars().count() > MAX_REFERENCE_CHARS {
        return Err(refused(
            "payout.reference_required",
            format!("a payment reference of 1 to {MAX_REFERENCE_CHARS} characters is required"),
        ));
    }
    Ok(StatementState::Paid)
}

/// An open line, as gathering sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenLine {
    pub id: String,
    pub accrued_on: NaiveDate,
    pub statement_minor: i64,
}

/// What a statement run for one partner and period makes of its open lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gathered {
    /// The lines the statement takes: every open line accrued on or before the period's end.
    pub line_ids: Vec<String>,
    pub total_minor: i64,
    pub state: StatementState,
    pub decision: Decision,
}

/// Gathers the open lines accrued up to `period.end`; `None` when there are none. A
/// rolled-over statement records its total, but its lines stay open for the next run.
pub fn gather(
    open: &[OpenLine],
    period: &Period,
    minimum_minor: i64,
    currency: Currency,
    version: i64,
) -> Option<Gathered> {
    let taken: Vec<&OpenLine> = open.iter().filter(|l| l.accrued_on <= period.end).collect();
    if taken.is_empty() {
        return None;
    }
    let total_minor = taken.iter().map(|l| l.statement_minor).sum();
    let (state, decision) = draw_up(total_minor, minimum_minor, currency, version);
    Some(Gathered {
        line_ids: if state == StatementState::RolledOver {
            Vec::new()
        } else {
            taken.iter().map(|l| l.id.clone()).collect()
        },
        total_minor,
        state,
        decision,
    })
}

#[cfg(test)]
// Amounts are written major_minor (48_000_00 is 48,000.00), as people read money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_cover_months_and_quarters() {
        let q = period_of(day("2026-11-15"), PayoutPeriod::Quarterly);
        assert_eq!(
            (q.start, q.end, q.label.as_str()),
            (day("2026-10-01"), day("2026-12-31"), "2026-Q4")
        );
        let m = period_of(day("2028-02-29"), PayoutPeriod::Monthly);
        assert_eq!(
            (m.start, m.end, m.label.as_str()),
            (day("2028-02-01"), day("2028-02-29"), "2028-02")
        );
        let q1 = period_of(day("2027-03-31"), PayoutPeriod::Quarterly);
        assert_eq!(q1.end, day("2027-03-31"));
        assert_eq!(
            last_closed_period(day("2027-01-01"), PayoutPeriod::Quarterly).label,
            "2026-Q4"
        );
        assert_eq!(
            last_closed_period(day("2026-12-31"), PayoutPeriod::Quarterly).label,
            "2026-Q3"
        );
        assert_eq!(
            last_closed_period(day("2026-03-01"), PayoutPeriod::Monthly).label,
            "2026-02"
        );
    }

    #[test]
    fn below_the_minimum_rolls_over_and_the_minimum_itself_is_paid() {
        let usd = Currency::parse("c", "USD").unwrap();
        let (state, d) = draw_up(499_99, 500_00, usd, 1);
        assert_eq!(state, StatementState::RolledOver);
        assert!(
            d.reason
                .contains("USD 499.99 is below the minimum payout of USD 500.00"),
            "{}",
            d.reason
        );
        assert_eq!(draw_up(500_00, 500_00, usd, 1).0, StatementState::Issued);
        // Nothing or a net clawback is never paid out, whatever the minimum.
        assert_eq!(draw_up(0, 0, usd, 1).0, StatementState::RolledOver);
        assert_eq!(draw_up(-10, 0, usd, 1).0, StatementState::RolledOver);
        assert_eq!(draw_up(1, 0, usd, 1).1.rule, "payout.statement_issued");
    }

    #[test]
    fn disputes_hold_the_approval_until_resolved() {
        use StatementState::*;
        assert_eq!(dispute(Issued), Ok(Disputed));
        assert_eq!(dispute(Disputed), Ok(Disputed));
        assert_eq!(
            dispute(Approved).unwrap_err().rule,
            "payout.not_under_review"
        );
        assert_eq!(
            approve(Disputed, 1).unwrap_err().rule,
            "payout.open_disputes"
        );
        assert_eq!(resolve(Disputed, 1), Ok(Disputed));
        assert_eq!(resolve(Disputed, 0), Ok(Issued));
        assert_eq!(resolve(Issued, 0).unwrap_err().rule, "payout.not_disputed");
        assert_eq!(approve(Issued, 0), Ok(Approved));
        assert_eq!(
            approve(Paid, 0).unwrap_err().rule,
            "payout.not_under_review"
        );
    }

    #[test]
    fn only_an_approved_statement_is_paid_and_it_needs_a_reference() {
        use StatementState::*;
        assert_eq!(
            pay(Issued, "ACH-1").unwrap_err().rule,
            "payout.not_approved"
        );
        assert_eq!(
            pay(Approved, "  ").unwrap_err().rule,
            "payout.reference_required"
        );
        assert_eq!(
            pay(Approved, &"x".repeat(101)).unwrap_err().rule,
            "payout.reference_required"
        );
        assert_eq!(pay(Approved, "ACH-2026-11-0042"), Ok(Paid));
        assert_eq!(pay(Paid, "again").unwrap_err().rule, "payout.not_approved");
    }
}
