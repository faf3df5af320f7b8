//! Crawl, walk, run: phases in order, never in parallel, each ending in a go/no-go gate
//! (seed 003, framework 5). Percentages are basis points (2000 = 20.00%), so the 20% and
//! 70% boundaries are exact.

use serde::{Deserialize, Serialize};

use crate::text_enum;

text_enum!(
    /// The phases of a partnership, in order.
    Phase {
        Crawl = "crawl" / "Crawl",
        Walk = "walk" / "Walk",
        Run = "run" / "Run",
    }
);

text_enum!(
    /// A gate review's decision.
    GateDecision {
        Go = "go" / "Go to the next phase",
        RestartCrawl = "restart_crawl" / "Restart Crawl with changes",
        End = "end" / "End the partnership",
    }
);

/// The go/no-go thresholds (seed defaults: 20% improvement after Crawl, 70% adoption after Walk).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    pub crawl_improvement_bps: i64,
    pub walk_adoption_bps: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            crawl_improvement_bps: 2000,
            walk_adoption_bps: 7000,
        }
    }
}

/// What the Crawl pilot measured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct CrawlResult {
    /// Improvement on the stated metric, in basis points.
    pub improvement_bps: i64,
    /// The pilot customers, by name: a gate without named pilots proves nothing.
    pub pilot_customers: Vec<String>,
    pub would_recommend: bool,
    pub can_scale: bool,
}

/// What the Walk phase measured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct WalkResult {
    /// Share of invited customers who adopted, in basis points.
    pub adoption_bps: i64,
    pub partner_promoting: bool,
    pub support_manageable: bool,
}

/// Whether Run may start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct RunReadiness {
    pub vendor_committed: bool,
    pub partner_committed: bool,
    pub roi_validates: bool,
}

/// A gate's outcome: passed, and the criteria missed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GateOutcome {
    pub passed: bool,
    pub missed: Vec<String>,
}

fn pct(bps: i64) -> String {
    format!("{}.{:02}%", bps / 100, (bps % 100).abs())
}

fn outcome(missed: Vec<String>) -> GateOutcome {
    GateOutcome {
        passed: missed.is_empty(),
        missed,
    }
}

pub fn crawl_gate(r: &CrawlResult, t: &Thresholds) -> GateOutcome {
    let mut missed = Vec::new();
    if r.improvement_bps < t.crawl_improvement_bps {
        missed.push(format!(
            "improvement {} is below {}",
            pct(r.improvement_bps),
            pct(t.crawl_improvement_bps)
        ));
    }
    if r.pilot_customers.iter().all(|c| c.trim().is_empty()) {
        missed.push("no pilot customers are named".into());
    }
    if !r.would_recommend {
        missed.push("pilot customers would not recommend it to peers".into());
    }
    if !r.can_scale {
        missed.push("the integration cannot scale as built".into());
    }
    outcome(missed)
}

pub fn walk_gate(r: &WalkResult, t: &Thresholds) -> GateOutcome {
    let mut missed = Vec::new();
    if r.adoption_bps < t.walk_adoption_bps {
        missed.push(format!(
            "adoption {} is below {}",
            pct(r.adoption_bps),
            pct(t.walk_adoption_bps)
        ));
    }
    if !r.partner_promoting {
        missed.push("the partner is not actively promoting".into());
    }
    if !r.support_manageable {
        missed.push("the support burden is not manageable".into());
    }
    outcome(missed)
}

/// Run only when both gates passed, both sides commit to it and the ROI model validates.
pub fn run_gate(crawl_passed: bool, walk_passed: bool, r: &RunReadiness) -> GateOutcome {
    let mut missed = Vec::new();
    if !crawl_passed {
        missed.push("the Crawl gate has not passed".into());
    }
    if !walk_passed {
        missed.push("the Walk gate has not passed".into());
    }
    if !(r.vendor_committed && r.partner_committed) {
        missed.push("both sides must commit to the next phase".into());
    }
    if !r.roi_validates {
        missed.push("the ROI model does not validate at scale".into());
    }
    outcome(missed)
}

/// Whether a partnership may enter `next` from `current` (None: not started). Phases run in
/// order and one at a time; an unsigned charter cannot move past Crawl; a phase is entered
/// only after the previous one's gate passed.
pub fn may_enter(
    current: Option<Phase>,
    next: Phase,
    charter_signed: bool,
    previous_gate_passed: bool,
) -> Result<(), String> {
    let expected = match current {
        None => Phase::Crawl,
        Some(Phase::Crawl) => Phase::Walk,
        Some(Phase::Walk) => Phase::Run,
        Some(Phase::Run) => return Err("the partnership is already in Run, the last phase".into()),
    };
    if next != expected {
        return Err(format!(
            "phases run in order, one at a time: the next phase is {}, not {}",
            expected.label(),
            next.label()
        ));
    }
    if next != Phase::Crawl && !charter_signed {
        return Err("an unsigned charter cannot move past Crawl: both sides sign first".into());
    }
    if next != Phase::Crawl && !previous_gate_passed {
        return Err(format!(
            "the {} gate has not passed",
            current.map_or("previous", |p| p.label())
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crawl(bps: i64) -> CrawlResult {
        CrawlResult {
            improvement_bps: bps,
            pilot_customers: vec!["Globex".into()],
            would_recommend: true,
            can_scale: true,
        }
    }

    #[test]
    fn crawl_gate_at_the_20_percent_boundary() {
        let t = Thresholds::default();
        let below = crawl_gate(&crawl(1990), &t);
        assert!(!below.passed);
        assert_eq!(below.missed, vec!["improvement 19.90% is below 20.00%"]);
        assert!(crawl_gate(&crawl(2000), &t).passed);
    }

    #[test]
    fn crawl_gate_needs_named_pilots() {
        let r = CrawlResult {
            pilot_customers: vec![" ".into()],
            ..crawl(3000)
        };
        assert_eq!(
            crawl_gate(&r, &Thresholds::default()).missed,
            vec!["no pilot customers are named"]
        );
    }

    #[test]
    fn walk_gate_at_the_70_percent_boundary() {
        let t = Thresholds::default();
        let r = |bps| WalkResult {
            adoption_bps: bps,
            partner_promoting: true,
            support_manageable: true,
        };
        assert_eq!(
            walk_gate(&r(6990), &t).missed,
            vec!["adoption 69.90% is below 70.00%"]
        );
        assert!(walk_gate(&r(7000), &t).passed);
        let quiet = WalkResult {
            partner_promoting: false,
            ..r(9000)
        };
        assert!(!walk_gate(&quiet, &t).passed);
    }

    #[test]
    fn run_needs_both_gates_both_commitments_and_roi() {
        let ready = RunReadiness {
            vendor_committed: true,
            partner_committed: true,
            roi_validates: true,
        };
        assert!(run_gate(true, true, &ready).passed);
        assert_eq!(
            run_gate(true, false, &ready).missed,
            vec!["the Walk gate has not passed"]
        );
        let one_side = RunReadiness {
            partner_committed: false,
            ..ready
        };
        assert_eq!(
            run_gate(true, true, &one_side).missed,
            vec!["both sides must commit to the next phase"]
        );
    }

    #[test]
    fn phases_run_in_order_and_signatures_gate_walk() {
        assert!(
            may_enter(None, Phase::Crawl, false, false).is_ok(),
            "Crawl may start unsigned"
        );
        assert!(
            may_enter(None, Phase::Walk, true, true)
                .unwrap_err()
                .contains("next phase is Crawl")
        );
        assert!(
            may_enter(Some(Phase::Crawl), Phase::Run, true, true).is_err(),
            "no skipping Walk"
        );
        assert!(
            may_enter(Some(Phase::Crawl), Phase::Walk, false, true)
                .unwrap_err()
                .contains("unsigned")
        );
        assert!(
            may_enter(Some(Phase::Crawl), Phase::Walk, true, false)
                .unwrap_err()
                .contains("Crawl gate")
        );
        assert!(may_enter(Some(Phase::Crawl), Phase::Walk, true, true).is_ok());
        assert!(may_enter(Some(Phase::Walk), Phase::Run, true, true).is_ok());
        assert!(may_enter(Some(Phase::Run), Phase::Run, true, true).is_err());
    }
}
