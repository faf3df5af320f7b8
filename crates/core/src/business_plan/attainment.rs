//! Attainment of a plan from live data: sourced ARR won and in pipeline against each
//! quarter's milestone, activities logged against commitments, target accounts touched and
//! with an opportunity, and drift: a quarter behind pace by more than the policy's
//! threshold, with the reason in numbers.
//!
//! Pace is pro-rated by days: after `e` of a quarter's `t` days, the pace is the milestone
//! × e / t. A quarter drifts when its won sourced ARR is below `threshold` of that pace,
//! compared in integers (won × 10000 × t < threshold_bp × milestone × e), so the edge is
//! exact: exactly at the threshold is not drift. Quarters not yet started never drift.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use super::record::{PlanActivityKind, PlanContent, quarter_end, quarter_start};
use crate::kernel::ids::AccountId;
use crate::kernel::money::{Currency, Money};
use crate::pipeline::touchpoint::TouchpointKind;
use crate::registration::ActivityKind;
use crate::text_enum;

/// The live facts a plan is measured against, amounts in the plan's currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Won partner-sourced deals: close date and amount.
    pub won: Vec<(NaiveDate, i64)>,
    /// Open partner-sourced deals: expected close and amount.
    pub open: Vec<(NaiveDate, i64)>,
    /// Selling activities logged: day, kind and how many (one row per activity, or a
    /// month's count dated on its first day).
    pub activities: Vec<(NaiveDate, PlanActivityKind, u64)>,
    pub touched_accounts: BTreeSet<AccountId>,
    pub accounts_with_opportunity: BTreeSet<AccountId>,
}

text_enum!(
    /// How a quarter stands.
    QuarterState {
        NotStarted = "not_started" / "Not started",
        OnPace = "on_pace" / "On pace",
        Drifting = "drifting" / "Drifting",
        Met = "met" / "Milestone met",
        Missed = "missed" / "Milestone missed",
    }
);

/// One quarter against its milestone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuarterAttainment {
    pub quarter: u8,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub milestone_minor: i64,
    /// Won in the quarter (by close date).
    pub won_minor: i64,
    /// Open pipeline expected to close in the quarter.
    pub pipeline_minor: i64,
    /// The milestone pro-rated to the days gone (the whole milestone once it ended).
    pub pace_minor: i64,
    /// won / milestone in basis points; absent without a milestone.
    pub attainment_bp: Option<i64>,
    pub state: QuarterState,
    /// Why it drifts, in numbers.
    pub drift_reason: Option<String>,
}

/// Activities logged against a quarter's commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityAttainment {
    pub quarter: u8,
    pub kind: PlanActivityKind,
    pub committed: u32,
    pub done: u32,
}

/// A target account's coverage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountCoverage {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub account_id: AccountId,
    pub touched: bool,
    pub has_opportunity: bool,
}

/// A plan's attainment on a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attainment {
    pub as_of: NaiveDate,
    pub drift_threshold_bp: u32,
    pub quarters: Vec<QuarterAttainment>,
    pub activities: Vec<ActivityAttainment>,
    pub accounts: Vec<AccountCoverage>,
    /// Whether any quarter drifts.
    pub drifting: bool,
    /// Won over the whole plan against the sum of its milestones, basis points.
    pub total_attainment_bp: Option<i64>,
}

/// Sourced ARR won in the quarters begun against their milestones pro-rated to date
/// ([`QuarterAttainment::pace_minor`]), in whole percent rounded down: the tier metric
/// `jbp_attainment`. `None` while no milestone is due yet.
pub fn to_date_pct(a: &Attainment) -> Option<i64> {
    let (won, pace) = a
        .quarters
        .iter()
        .filter(|q| q.starts_on <= a.as_of)
        .fold((0_i128, 0_i128), |(w, p), q| {
            (w + i128::from(q.won_minor), p + i128::from(q.pace_minor))
        });
    (pace > 0).then(|| (won * 100 / pace) as i64)
}

/// The commitment a partner touchpoint counts towards: an introduction opens a discovery
/// conversation; a demo or technical validation is a demo; the rest are influence, not
/// selling activity the plan counts. The store keeps each partner's monthly counts by this
/// mapping (`partner_plan_sums`, migration 0015): changing it needs a migration that
/// recomputes them.
pub fn commitment_of_touchpoint(kind: TouchpointKind) -> Option<PlanActivityKind> {
    match kind {
        TouchpointKind::Introduction => Some(PlanActivityKind::DiscoveryCall),
        TouchpointKind::Demo | TouchpointKind::TechnicalValidation => Some(PlanActivityKind::Demo),
        _ => None,
    }
}

/// The commitment a registration's follow-up activity counts towards (a note counts for
/// none). Kept in monthly counts like [`commitment_of_touchpoint`].
pub fn commitment_of_activity(kind: ActivityKind) -> Option<PlanActivityKind> {
    match kind {
        ActivityKind::Call | ActivityKind::Meeting => Some(PlanActivityKind::DiscoveryCall),
        ActivityKind::Demo => Some(PlanActivityKind::Demo),
        ActivityKind::Proposal => Some(PlanActivityKind::Proposal),
        ActivityKind::Note => None,
    }
}

fn in_quarter(d: NaiveDate, start: NaiveDate, end: NaiveDate) -> bool {
    d >= start && d <= end
}

/// One quarter's attainment on `today`.
fn quarter(
    content: &PlanContent,
    period_start: NaiveDate,
    currency: Currency,
    q: u8,
    today: NaiveDate,
    threshold_bp: u32,
    facts: &Facts,
) -> QuarterAttainment {
    let (start, end) = (quarter_start(period_start, q), quarter_end(period_start, q));
    let milestone = content.milestone(q);
    let sum = |rows: &[(NaiveDate, i64)]| -> i64 {
        rows.iter()
            .filter(|(d, _)| in_quarter(*d, start, end))
            .map(|(_, a)| *a)
            .fold(0_i64, i64::saturating_add)
    };
    let (won, pipeline) = (sum(&facts.won), sum(&facts.open));
    let total_days = (end - start).num_days() + 1;
    let elapsed = if today < start {
        0
    } else {
        ((today.min(end) - start).num_days() + 1).min(total_days)
    };
    let pace = (i128::from(milestone) * i128::from(elapsed) / i128::from(total_days)) as i64;
    let attainment_bp =
        (milestone > 0).then(|| (i128::from(won) * 10_000 / i128::from(milestone)) as i64);
    let behind = milestone > 0
        && elapsed > 0
        && i128::from(won) * 10_000 * i128::from(total_days)
            < i128::from(threshold_bp) * i128::from(milestone) * i128::from(elapsed);
    let state = if today < start {
        QuarterState::NotStarted
    } else if milestone > 0 && won >= milestone {
        QuarterState::Met
    } else if today > end {
        if milestone > 0 {
            QuarterState::Missed
        } else {
            QuarterState::Met
        }
    } else if behind {
        QuarterState::Drifting
    } else {
        QuarterState::OnPace
    };
    let drift_reason = (state == QuarterState::Drifting || (state == QuarterState::Missed && behind)).then(|| {
        format!(
            "Q{q}: {} won against a milestone of {}; {elapsed} of {total_days} days gone, so the pace is {}, and the won amount is below {}% of it",
            Money::new(won, currency),
            Money::new(milestone, currency),
            Money::new(pace, currency),
            threshold_bp / 100
        )
    });
    QuarterAttainment {
        quarter: q,
        starts_on: start,
        ends_on: end,
        milestone_minor: milestone,
        won_minor: won,
        pipeline_minor: pipeline,
        pace_minor: pace,
        attainment_bp,
        state,
        drift_reason,
    }
}

/// The plan's attainment on `today` from `facts`.
pub fn attainment(
    content: &PlanContent,
    period_start: NaiveDate,
    currency: Currency,
    today: NaiveDate,
    threshold_bp: u32,
    facts: &Facts,
) -> Attainment {
    let quarters: Vec<QuarterAttainment> = (1..=4)
        .map(|q| {
            quarter(
                content,
                period_start,
                currency,
                q,
                today,
                threshold_bp,
                facts,
            )
        })
        .collect();
    let activities = content
        .activities
        .iter()
        .map(|c| {
            let (start, end) = (
                quarter_start(period_start, c.quarter),
                quarter_end(period_start, c.quarter),
            );
            let done = facts
                .activities
                .iter()
                .filter(|(d, k, _)| *k == c.kind && in_quarter(*d, start, end))
                .fold(0_u64, |n, (_, _, count)| n.saturating_add(*count));
            ActivityAttainment {
                quarter: c.quarter,
                kind: c.kind,
                committed: c.count,
                done: u32::try_from(done).unwrap_or(u32::MAX),
            }
        })
        .collect();
    let accounts = content
        .target_account_ids
        .iter()
        .map(|a| AccountCoverage {
            account_id: a.clone(),
            touched: facts.touched_accounts.contains(a),
            has_opportunity: facts.accounts_with_opportunity.contains(a),
        })
        .collect();
    let milestones: i64 = quarters.iter().map(|q| q.milestone_minor).sum();
    let won: i64 = quarters.iter().map(|q| q.won_minor).sum();
    Attainment {
        as_of: today,
        drift_threshold_bp: threshold_bp,
        drifting: quarters.iter().any(|q| q.state == QuarterState::Drifting),
        total_attainment_bp: (milestones > 0)
            .then(|| (i128::from(won) * 10_000 / i128::from(milestones)) as i64),
        quarters,
        activities,
        accounts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_plan::record::{ActivityCommitment, Milestone};
    use crate::kernel::ids::EntityId;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn plan(q1: i64) -> PlanContent {
        PlanContent {
            milestones: vec![Milestone {
                quarter: 1,
                sourced_arr_minor: q1,
            }],
            activities: vec![ActivityCommitment {
                quarter: 1,
                kind: PlanActivityKind::Demo,
                count: 3,
            }],
            ..PlanContent::default()
        }
    }

    /// Q1 of a plan starting 2027-01-01 has 90 days (Jan 31 + Feb 28 + Mar 31).
    #[test]
    fn drift_starts_just_below_the_threshold_of_the_pro_rated_milestone() {
        let start = d(2027, 1, 1);
        let facts = |won: i64| Facts {
            won: vec![(d(2027, 1, 20), won)],
            ..Facts::default()
        };
        // After 45 of 90 days, the pace is 45,000 of 90,000; 70% of it is 31,500.
        let today = d(2027, 2, 14);
        let at = |won: i64| {
            attainment(
                &plan(90_000),
                start,
                Currency::USD,
                today,
                7_000,
                &facts(won),
            )
        };
        let edge = at(31_500);
        assert_eq!(edge.quarters[0].pace_minor, 45_000);
        assert_eq!(
            edge.quarters[0].state,
            QuarterState::OnPace,
            "exactly 70% is not drift"
        );
        let below = at(31_499);
        assert_eq!(below.quarters[0].state, QuarterState::Drifting);
        assert!(below.drifting);
        let why = below.quarters[0].drift_reason.clone().unwrap();
        assert!(
            why.contains("45 of 90 days") && why.contains("below 70%"),
            "{why}"
        );
        assert!(
            why.contains("USD 314.99 won against a milestone of USD 900.00"),
            "{why}"
        );
        // The first day of a quarter asks for 1/90 of the milestone already.
        let first = attainment(
            &plan(90_000),
            start,
            Currency::USD,
            start,
            7_000,
            &Facts::default(),
        );
        assert_eq!(first.quarters[0].pace_minor, 1_000);
        assert_eq!(first.quarters[0].state, QuarterState::Drifting);
        // Quarters not started never drift; the day before the plan nothing does.
        let before = attainment(
            &plan(90_000),
            start,
            Currency::USD,
            d(2026, 12, 31),
            7_000,
            &Facts::default(),
        );
        assert!(
            before
                .quarters
                .iter()
                .all(|q| q.state == QuarterState::NotStarted)
        );
    }

    #[test]
    fn a_won_deal_counts_in_the_quarter_of_its_close_date() {
        let start = d(2027, 1, 1);
        let facts = Facts {
            won: vec![(d(2027, 3, 31), 50_000), (d(2027, 4, 1), 7_000)],
            open: vec![(d(2027, 2, 1), 30_000)],
            activities: vec![
                (d(2027, 1, 5), PlanActivityKind::Demo, 2),
                (d(2027, 4, 5), PlanActivityKind::Demo, 1),
                (d(2027, 1, 6), PlanActivityKind::Proposal, 1),
            ],
            ..Facts::default()
        };
        let a = attainment(
            &plan(100_000),
            start,
            Currency::USD,
            d(2027, 5, 1),
            7_000,
            &facts,
        );
        assert_eq!(a.quarters[0].won_minor, 50_000);
        assert_eq!(a.quarters[1].won_minor, 7_000);
        assert_eq!(a.quarters[0].pipeline_minor, 30_000);
        assert_eq!(a.quarters[0].attainment_bp, Some(5_000));
        assert_eq!(a.quarters[0].state, QuarterState::Missed);
        assert_eq!(
            a.quarters[1].state,
            QuarterState::OnPace,
            "no milestone: nothing to fall behind"
        );
        assert_eq!(a.activities[0].done, 2, "a month's count counts whole");
        assert_eq!(a.total_attainment_bp, Some(5_700));
    }

    #[test]
    fn selling_activity_counts_towards_its_commitment() {
        assert_eq!(
            commitment_of_touchpoint(TouchpointKind::TechnicalValidation),
            Some(PlanActivityKind::Demo)
        );
        assert_eq!(commitment_of_touchpoint(TouchpointKind::Event), None);
        assert_eq!(
            commitment_of_activity(ActivityKind::Meeting),
            Some(PlanActivityKind::DiscoveryCall)
        );
        assert_eq!(commitment_of_activity(ActivityKind::Note), None);
    }

    #[test]
    fn target_accounts_report_touch_and_opportunity() {
        let (x, y) = (
            AccountId::from_parts(&"1".repeat(32)),
            AccountId::from_parts(&"2".repeat(32)),
        );
        let content = PlanContent {
            target_account_ids: vec![x.clone(), y.clone()],
            ..PlanContent::default()
        };
        let facts = Facts {
            touched_accounts: [x.clone()].into(),
            accounts_with_opportunity: [x.clone()].into(),
            ..Facts::default()
        };
        let a = attainment(
            &content,
            d(2027, 1, 1),
            Currency::USD,
            d(2027, 1, 2),
            7_000,
            &facts,
        );
        assert!(a.accounts[0].touched && a.accounts[0].has_opportunity);
        assert!(!a.accounts[1].touched && !a.accounts[1].has_opportunity);
        assert_eq!(a.total_attainment_bp, None);
    }

    #[test]
    fn attainment_to_date_counts_the_quarters_begun_against_their_pace() {
        let start = d(2027, 1, 1);
        let two = PlanContent {
            milestones: vec![
                Milestone {
                    quarter: 1,
                    sourced_arr_minor: 90_000,
                },
                Milestone {
                    quarter: 2,
                    sourced_arr_minor: 91_000,
                },
            ],
            ..PlanContent::default()
        };
        let at = |today: NaiveDate, won: Vec<(NaiveDate, i64)>| {
            let facts = Facts {
                won,
                ..Facts::default()
            };
            to_date_pct(&attainment(
                &two,
                start,
                Currency::USD,
                today,
                7_000,
                &facts,
            ))
        };
        // Day 45 of Q1: the pace is 45,000; 45,000 won is 100%, 44,999 is 99% (rounded down).
        assert_eq!(at(d(2027, 2, 14), vec![(d(2027, 1, 5), 45_000)]), Some(100));
        assert_eq!(at(d(2027, 2, 14), vec![(d(2027, 1, 5), 44_999)]), Some(99));
        // Q1 over (pace 90,000) and day 1 of Q2's 91 days (pace 1,000): 91,000 is 100%.
        assert_eq!(at(d(2027, 4, 1), vec![(d(2027, 3, 31), 91_000)]), Some(100));
        // Nothing due before the plan begins; Q3 and Q4 have no milestone and add nothing.
        assert_eq!(at(d(2026, 12, 31), vec![]), None);
        assert_eq!(at(d(2027, 9, 1), vec![(d(2027, 5, 1), 181_000)]), Some(100));
    }
}
