//! The technology partnership track (seed 003 §4): Integration (self-serve), Partnership
//! (joint development), Strategic (co-development). Where a new technology partner starts
//! is the answer of the `partner_tier` tree ("which tier?"); a partner that started
//! self-serve is put up for evaluation for Partnership six months after it started, or
//! after its last evaluation, and the evaluation ends in a decision with its reason.
//!
//! The ladder itself is [`crate::tier::technology_ladder`]; here are the rules that move a
//! partner along it.

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::tree::Evaluation;
use crate::kernel::invalid::text;
use crate::{FieldError, Invalid};

/// The decision tree that places a new technology partner.
pub const TREE: &str = "partner_tier";

/// Months a self-serve partner works on its own before it is evaluated for Partnership.
pub const EVALUATION_MONTHS: u32 = 6;

/// The rank on the track an outcome of the [`TREE`] stands for, by the outcome's id
/// (a program may reword the questions and outcomes; the ids say which tier).
pub fn starting_rank(outcome_id: &str) -> Option<i32> {
    match outcome_id {
        "integration" => Some(1),
        "partnership" => Some(2),
        "strategic" => Some(3),
        _ => None,
    }
}

/// When a partner on the track's first rung since `since` is due for evaluation. Counted
/// in calendar months; a start on the 31st falls due on the month's last day (31 August →
/// 28 or 29 February).
pub fn evaluation_due(since: NaiveDate) -> NaiveDate {
    since
        .checked_add_months(Months::new(EVALUATION_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// The latest joining date of a partner that can be due for evaluation by `until`: it has
/// been on its rung since it joined at the earliest, so one that joined later is not due yet
/// whatever its moves. Three days of slack cover months of different lengths (31 August and
/// 28 August are both due on 28 February).
pub fn joined_by_to_be_due(until: NaiveDate) -> NaiveDate {
    until
        .checked_sub_months(Months::new(EVALUATION_MONTHS))
        .and_then(|d| d.checked_add_days(Days::new(3)))
        .unwrap_or(NaiveDate::MIN)
}

/// Raw input of an evaluation for the next tier.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    /// `true`: move the partner to Partnership; `false`: it stays self-serve until the next
    /// evaluation, six months on.
    pub promote: Option<bool>,
    /// Why: shown with the decision to the partner and in the audit trail.
    pub reason: Option<String>,
}

/// A validated evaluation: the verdict and its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub promote: bool,
    pub reason: String,
}

impl EvaluationInput {
    pub fn parse(&self) -> Result<Verdict, Invalid> {
        let mut inv = Invalid::new();
        let promote = self.promote.or_else(|| {
            inv.add(
                "promote",
                "required",
                "promote is required: true to move the partner to Partnership, false to keep it self-serve",
            );
            None
        });
        let reason = inv.check(text::multiline_required(
            "reason",
            self.reason.as_deref(),
            2000,
        ));
        inv.finish(|| {
            Some(Verdict {
                promote: promote?,
                reason: reason?,
            })
        })
    }
}

/// Where a technology partner stands on the track.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackStanding {
    pub partner_id: String,
    pub tier_name: String,
    pub rank: i32,
    /// Since when the partner has been on its current rung (the start, or its last
    /// evaluation while self-serve).
    pub since: NaiveDate,
    /// When the next evaluation for Partnership is due; none above the first rung.
    pub evaluation_due: Option<NaiveDate>,
}

impl TrackStanding {
    pub fn new(partner_id: String, tier_name: String, rank: i32, since: NaiveDate) -> Self {
        TrackStanding {
            partner_id,
            tier_name,
            rank,
            since,
            evaluation_due: (rank == 1).then(|| evaluation_due(since)),
        }
    }
}

/// A placement: the tree's path and outcome, and where the partner now stands.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackPlacement {
    pub evaluation: Evaluation,
    pub standing: TrackStanding,
}

/// The rule name of decisions about the track, as recorded.
pub const RULE_START: &str = "technology_track.start";
pub const RULE_EVALUATION: &str = "technology_track.evaluation";

/// Refuses a move on the track for a program that is not a technology program.
pub fn require_technology(is_technology: bool) -> Result<(), FieldError> {
    if is_technology {
        Ok(())
    } else {
        Err(FieldError::new(
            "partner_id",
            "technology_program",
            "the technology track applies to partners of a technology program only",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_partner_due_by_a_date_joined_after_its_bound() {
        // Every joining day and every day it could be asked about, over two years that hold
        // a leap day and every month length.
        let start = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        for j in 0..730 {
            let joined = start + Days::new(j);
            for u in 150..400 {
                let until = joined + Days::new(u);
                if evaluation_due(joined) <= until {
                    assert!(
                        joined <= joined_by_to_be_due(until),
                        "{joined} due by {until}"
                    );
                }
            }
        }
        // The bound is tight to within the slack: six months and three days.
        let until = NaiveDate::from_ymd_opt(2027, 2, 28).unwrap();
        assert_eq!(
            joined_by_to_be_due(until),
            NaiveDate::from_ymd_opt(2026, 8, 31).unwrap()
        );
        assert_eq!(
            evaluation_due(NaiveDate::from_ymd_opt(2026, 8, 31).unwrap()),
            until
        );
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_trees_outcomes_name_the_tiers() {
        assert_eq!(starting_rank("integration"), Some(1));
        assert_eq!(starting_rank("partnership"), Some(2));
        assert_eq!(starting_rank("strategic"), Some(3));
        assert_eq!(starting_rank("build"), None);
    }

    #[test]
    fn evaluation_falls_due_six_calendar_months_on() {
        assert_eq!(evaluation_due(day(2026, 1, 15)), day(2026, 7, 15));
        // The last day of a shorter month.
        assert_eq!(evaluation_due(day(2026, 8, 31)), day(2027, 2, 28));
        assert_eq!(evaluation_due(day(2027, 8, 31)), day(2028, 2, 29));
        // Across the year end.
        assert_eq!(evaluation_due(day(2026, 12, 1)), day(2027, 6, 1));
    }

    #[test]
    fn only_the_first_rung_waits_for_an_evaluation() {
        let s = TrackStanding::new("ptn_1".into(), "Integration".into(), 1, day(2026, 6, 3));
        assert_eq!(s.evaluation_due, Some(day(2026, 12, 3)));
        let s = TrackStanding::new("ptn_1".into(), "Partnership".into(), 2, day(2026, 6, 3));
        assert_eq!(s.evaluation_due, None);
    }

    #[test]
    fn an_evaluation_needs_a_verdict_and_its_reason() {
        let e = EvaluationInput::default().parse().unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["promote", "reason"]);
        let e = EvaluationInput {
            promote: Some(true),
            reason: Some("   ".into()),
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.errors[0].rule, "required");
        let ok = EvaluationInput {
            promote: Some(false),
            reason: Some(
                " Integration live, 3 joint customers; no co-development asked yet ".into(),
            ),
        }
        .parse()
        .unwrap();
        assert!(!ok.promote);
        assert!(ok.reason.starts_with("Integration live"));
        assert!(require_technology(false).is_err());
    }
}
