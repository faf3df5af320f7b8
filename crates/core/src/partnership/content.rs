//! What a charter says: the whole partnership on one page, as one JSON document per charter
//! version. Every section may be partly filled while the charter is a draft; the verdicts
//! and the operating model call out what is missing rather than refusing it.

use serde::{Deserialize, Serialize};

use super::charter::{SkinInTheGame, ValueExchange, skin_in_the_game};
use super::leverage::{Leverage, LeverageVerdict, recommend};
use super::phases::{Phase, Thresholds};
use super::story::{PartnerStory, StoryVerdict};
use crate::{FieldError, Invalid};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct MutualGoals {
    pub for_us: String,
    pub for_partner: String,
    pub for_customers: String,
}

/// The three-sided value proposition (seed 003): what each party gets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ThreeSidedValue {
    pub our_company: Vec<String>,
    pub partner: Vec<String>,
    pub shared_customers: Vec<String>,
}

/// One phase of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PhasePlan {
    pub phase: Phase,
    #[serde(default)]
    pub starts_on: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub ends_on: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub deliverables: Vec<String>,
    #[serde(default)]
    pub metrics: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Measurement {
    pub metrics: Vec<String>,
    /// How it is tracked: dashboard, reports, reviews.
    pub tracking: String,
    /// Monthly, quarterly, ...
    pub review_cadence: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Governance {
    pub our_owner: String,
    pub partner_owner: String,
    pub escalation_path: Vec<String>,
    pub exit_criteria: Vec<String>,
}

/// One line of the partner scorecard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScoreLine {
    pub metric: String,
    pub target: String,
}

/// The commercial structure the partnership needs to function as a channel (seed 000).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct OperatingPlan {
    /// Ideal customer profile of the joint motion.
    pub ideal_customer: String,
    pub buyers: Vec<String>,
    pub users: Vec<String>,
    pub packaged_offer: String,
    /// resale, referral, co_sell or marketplace, and how the hand-off works.
    pub route: String,
    pub scorecard: Vec<ScoreLine>,
    /// What happens in the first 30 days, week by week.
    pub cadence_30_days: Vec<String>,
}

/// A charter version's content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct CharterContent {
    pub mutual_goals: MutualGoals,
    pub value_exchange: ValueExchange,
    pub three_sided_value: ThreeSidedValue,
    pub timeline: Vec<PhasePlan>,
    pub measurement: Measurement,
    pub governance: Governance,
    pub story: PartnerStory,
    pub leverage: Option<Leverage>,
    pub operating_plan: OperatingPlan,
    pub thresholds: Thresholds,
}

/// Every verdict on a charter, for people to read before time goes in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdicts {
    pub skin_in_the_game: SkinInTheGame,
    pub story: StoryVerdict,
    pub leverage: Option<LeverageVerdict>,
}

impl CharterContent {
    pub fn verdicts(&self) -> Verdicts {
        Verdicts {
            skin_in_the_game: skin_in_the_game(&self.value_exchange),
            story: self.story.verdict(),
            leverage: self.leverage.as_ref().map(recommend),
        }
    }

    /// Structural checks (drafts may be incomplete, but not inconsistent): the timeline
    /// lists each phase at most once, in order, with dates that do not run backwards, and
    /// thresholds are percentages.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut inv = Invalid::new();
        let order = |p: Phase| Phase::ALL.iter().position(|x| *x == p).unwrap_or(0);
        for (i, w) in self.timeline.windows(2).enumerate() {
            if order(w[1].phase) <= order(w[0].phase) {
                inv.errors.push(FieldError::new(
                    &format!("timeline[{}].phase", i + 1),
                    "phase_order",
                    "phases are listed once each, in order: crawl, walk, run",
                ));
            }
        }
        for (i, p) in self.timeline.iter().enumerate() {
            if let (Some(s), Some(e)) = (p.starts_on, p.ends_on)
                && e < s
            {
                inv.add(
                    &format!("timeline[{i}].ends_on"),
                    "after_start",
                    "ends_on must not be before starts_on",
                );
            }
        }
        for (i, (a, b)) in self
            .timeline
            .iter()
            .zip(self.timeline.iter().skip(1))
            .enumerate()
        {
            if let (Some(end), Some(next)) = (a.ends_on, b.starts_on)
                && next < end
            {
                inv.add(&format!("timeline[{}].starts_on", i + 1), "sequential", "phases run one after another, never in parallel: a phase starts after the previous one ends");
            }
        }
        for (field, v) in [
            (
                "thresholds.crawl_improvement_bps",
                self.thresholds.crawl_improvement_bps,
            ),
            (
                "thresholds.walk_adoption_bps",
                self.thresholds.walk_adoption_bps,
            ),
        ] {
            if !(0..=10_000).contains(&v) {
                inv.add(
                    field,
                    "range",
                    format!("{field} must be between 0 and 10000 basis points (0–100%)"),
                );
            }
        }
        inv.finish(|| Some(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(phase: Phase, start: &str, end: &str) -> PhasePlan {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        PhasePlan {
            phase,
            starts_on: d(start),
            ends_on: d(end),
            deliverables: vec![],
            metrics: vec![],
        }
    }

    #[test]
    fn an_empty_draft_is_valid_and_judged() {
        let c = CharterContent::default();
        assert!(c.validate().is_ok());
        let v = c.verdicts();
        assert!(!v.skin_in_the_game.real);
        assert!(!v.story.complete);
        assert!(v.leverage.is_none());
    }

    #[test]
    fn phases_in_order_and_never_in_parallel() {
        let ok = CharterContent {
            timeline: vec![
                plan(Phase::Crawl, "2027-01-04", "2027-02-26"),
                plan(Phase::Walk, "2027-03-01", "2027-05-21"),
            ],
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
        let reversed = CharterContent {
            timeline: vec![
                plan(Phase::Walk, "2027-01-04", "2027-02-26"),
                plan(Phase::Crawl, "2027-03-01", "2027-05-21"),
            ],
            ..Default::default()
        };
        assert_eq!(
            reversed.validate().unwrap_err().errors[0].rule,
            "phase_order"
        );
        let overlapping = CharterContent {
            timeline: vec![
                plan(Phase::Crawl, "2027-01-04", "2027-02-26"),
                plan(Phase::Walk, "2027-02-01", "2027-05-21"),
            ],
            ..Default::default()
        };
        assert_eq!(
            overlapping.validate().unwrap_err().errors[0].rule,
            "sequential"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(
            serde_json::from_str::<CharterContent>(r#"{"mutual_goals": {"for_uss": "x"}}"#)
                .is_err()
        );
        let c: CharterContent = serde_json::from_str(r#"{"story": {"who_buys": "CFOs"}}"#).unwrap();
        assert_eq!(c.story.who_buys, "CFOs");
    }
}
