//! The charter forms: the edit form's fields (filled from a charter, parsed back into its
//! content, store errors renamed to the inputs that show them) and the gate review form.
//! Pure functions of posted fields; no store access and no rendering.

use crate::ui::form::{FormView, Posted, major_to_minor, minor_to_major};
use crate::ui::partnership::sentence;
use partnerops_core::Invalid;
use partnerops_core::partnership::charter::{Commitment, CommitmentKind, Side};
use partnerops_core::partnership::content::{CharterContent, PhasePlan, ScoreLine};
use partnerops_core::partnership::leverage::{Leverage, LeverageType};
use partnerops_core::partnership::phases::{
    CrawlResult, Phase, RunReadiness, Thresholds, WalkResult,
};
use partnerops_core::partnership::record::{Charter, GateInput};

/// The names of one phase's timeline inputs.
pub struct PhaseFields {
    pub phase: Phase,
    pub label: &'static str,
    /// Where an error about the phase itself (its order) is shown.
    pub phase_err: &'static str,
    pub starts_on: &'static str,
    pub ends_on: &'static str,
    pub deliverables: &'static str,
    pub metrics: &'static str,
}

pub(super) fn phase_fields(phase: Phase) -> PhaseFields {
    let (phase_err, starts_on, ends_on, deliverables, metrics) = match phase {
        Phase::Crawl => (
            "crawl_phase",
            "crawl_starts_on",
            "crawl_ends_on",
            "crawl_deliverables",
            "crawl_metrics",
        ),
        Phase::Walk => (
            "walk_phase",
            "walk_starts_on",
            "walk_ends_on",
            "walk_deliverables",
            "walk_metrics",
        ),
        Phase::Run => (
            "run_phase",
            "run_starts_on",
            "run_ends_on",
            "run_deliverables",
            "run_metrics",
        ),
    };
    PhaseFields {
        phase,
        label: phase.label(),
        phase_err,
        starts_on,
        ends_on,
        deliverables,
        metrics,
    }
}

pub(super) const THREE_SIDED_FIELDS: [&str; 3] = ["value_ours", "value_partner", "value_customers"];
pub(super) const MEASUREMENT_FIELDS: [&str; 3] =
    ["measurement_metrics", "tracking", "review_cadence"];
pub(super) const GOVERNANCE_FIELDS: [&str; 4] = [
    "our_owner",
    "partner_owner",
    "escalation_path",
    "exit_criteria",
];
pub(super) const OPERATING_PLAN_FIELDS: [&str; 7] = [
    "ideal_customer",
    "buyers",
    "users",
    "offer",
    "route",
    "scorecard",
    "cadence_30_days",
];
pub(super) const TIMELINE_FORM_FIELDS: [&str; 15] = [
    "crawl_phase",
    "crawl_starts_on",
    "crawl_ends_on",
    "crawl_deliverables",
    "crawl_metrics",
    "walk_phase",
    "walk_starts_on",
    "walk_ends_on",
    "walk_deliverables",
    "walk_metrics",
    "run_phase",
    "run_starts_on",
    "run_ends_on",
    "run_deliverables",
    "run_metrics",
];
pub(super) const THRESHOLD_FIELDS: [&str; 2] = ["crawl_improvement", "walk_adoption"];

/// The fields of the edit form that show their own errors.
const EDIT_FIELDS: [&str; 16] = [
    "title",
    "for_us",
    "for_partner",
    "for_customers",
    "commitments",
    "vendor_loses",
    "partner_loses",
    "who_buys",
    "conversation_owner",
    "packaged_offer",
    "partner_gets",
    "credibility",
    "after_launch",
    "leverage_kind",
    "leverage_evidence",
    "if_we_dont",
];

/// Every field of the edit form that shows its own errors.
pub(super) fn edit_fields() -> Vec<&'static str> {
    [
        &EDIT_FIELDS[..],
        &THREE_SIDED_FIELDS,
        &MEASUREMENT_FIELDS,
        &GOVERNANCE_FIELDS,
        &OPERATING_PLAN_FIELDS,
        &TIMELINE_FORM_FIELDS,
        &THRESHOLD_FIELDS,
    ]
    .concat()
}

/// A percentage in basis points as typed in an input: 2000 → "20", 6990 → "69.9".
fn percent_text(bps: i64) -> String {
    let text = minor_to_major(bps, 2);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A percentage with up to two decimals ("20", "69.9", "12.25") in basis points; blank is
/// `default`.
fn percent_to_bps(field: &str, raw: &str, default: i64) -> Result<i64, Invalid> {
    let raw = raw.trim().trim_end_matches('%').trim();
    if raw.is_empty() {
        return Ok(default);
    }
    let bps = major_to_minor(field, raw, 2).map_err(|_| {
        Invalid::one(
            field,
            "percent",
            format!("{field} must be a percentage like 20 or 69.9, with at most two decimals"),
        )
    })?;
    if bps > 10_000 {
        return Err(Invalid::one(
            field,
            "range",
            format!("{field} must be between 0 and 100%"),
        ));
    }
    Ok(bps)
}

/// Parses the "metric | target" lines of the scorecard textarea.
fn scorecard(posted: &Posted) -> Result<Vec<ScoreLine>, Invalid> {
    let mut out = Vec::new();
    for (i, line) in posted.lines("scorecard").iter().enumerate() {
        let Some((metric, target)) = line.split_once('|') else {
            return Err(Invalid::one(
                "scorecard",
                "format",
                format!(
                    "scorecard line {}: write each line as metric | target",
                    i + 1
                ),
            ));
        };
        let (metric, target) = (metric.trim(), target.trim());
        if metric.is_empty() {
            return Err(Invalid::one(
                "scorecard",
                "format",
                format!("scorecard line {}: the metric is missing", i + 1),
            ));
        }
        out.push(ScoreLine {
            metric: metric.to_owned(),
            target: target.to_owned(),
        });
    }
    Ok(out)
}

/// The phases the posted timeline lists, in order: those with any field filled.
fn posted_phases(posted: &Posted) -> Vec<Phase> {
    Phase::ALL
        .iter()
        .copied()
        .filter(|p| {
            let f = phase_fields(*p);
            [f.starts_on, f.ends_on, f.deliverables, f.metrics]
                .iter()
                .any(|name| !posted.get(name).unwrap_or_default().trim().is_empty())
        })
        .collect()
}

/// The posted timeline, leaving out phases whose fields are all empty.
fn timeline(posted: &Posted) -> Result<Vec<PhasePlan>, Invalid> {
    let mut inv = Invalid::new();
    let mut out = Vec::new();
    for phase in posted_phases(posted) {
        let f = phase_fields(phase);
        let mut date = |name: &str| {
            let raw = posted.get(name).unwrap_or_default();
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    inv.add(name, "date", "must be a date like 2027-01-04");
                    None
                }
            }
        };
        let starts_on = date(f.starts_on);
        let ends_on = date(f.ends_on);
        out.push(PhasePlan {
            phase,
            starts_on,
            ends_on,
            deliverables: posted.lines(f.deliverables),
            metrics: posted.lines(f.metrics),
        });
    }
    inv.finish(|| Some(out))
}

/// The store's errors about the edit form's content, renamed to the inputs that show them:
/// `content.timeline[1].starts_on` is the start date of the second phase posted, and
/// `content.thresholds.crawl_improvement_bps` the Crawl improvement input.
pub(super) fn edit_errors(mut errors: Invalid, posted: &Posted) -> Invalid {
    let phases = posted_phases(posted);
    for e in &mut errors.errors {
        let field = e.field.strip_prefix("content.").unwrap_or(&e.field);
        let renamed = match field {
            "thresholds.crawl_improvement_bps" => Some("crawl_improvement"),
            "thresholds.walk_adoption_bps" => Some("walk_adoption"),
            _ => field
                .strip_prefix("timeline[")
                .and_then(|rest| rest.split_once("]."))
                .and_then(|(i, part)| {
                    let f = phase_fields(*phases.get(i.parse::<usize>().ok()?)?);
                    match part {
                        "phase" => Some(f.phase_err),
                        "starts_on" => Some(f.starts_on),
                        "ends_on" => Some(f.ends_on),
                        "deliverables" => Some(f.deliverables),
                        "metrics" => Some(f.metrics),
                        _ => None,
                    }
                }),
        };
        if let Some(name) = renamed {
            e.message = sentence(
                &e.message
                    .replace("ends_on", "the end date")
                    .replace("starts_on", "the start date")
                    .replace("thresholds.crawl_improvement_bps", "the threshold")
                    .replace("thresholds.walk_adoption_bps", "the threshold"),
            );
            e.field = name.to_owned();
        }
    }
    errors
}

/// The edit form's values, from a charter's content.
pub(super) fn edit_form(c: &Charter) -> FormView {
    let mut f = FormView::default();
    let k = &c.content;
    f.set("title", c.title.clone());
    f.set("for_us", k.mutual_goals.for_us.clone());
    f.set("for_partner", k.mutual_goals.for_partner.clone());
    f.set("for_customers", k.mutual_goals.for_customers.clone());
    f.set(
        "commitments",
        k.value_exchange
            .commitments
            .iter()
            .map(|m| {
                format!(
                    "{} | {} | {}",
                    m.side.as_str(),
                    m.kind.as_str(),
                    m.description
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    f.set("vendor_loses", k.value_exchange.vendor_loses.clone());
    f.set("partner_loses", k.value_exchange.partner_loses.clone());
    let s = &k.story;
    for (name, value) in [
        ("who_buys", &s.who_buys),
        ("conversation_owner", &s.conversation_owner),
        ("packaged_offer", &s.packaged_offer),
        ("partner_gets", &s.partner_gets),
        ("credibility", &s.credibility),
        ("after_launch", &s.after_launch),
    ] {
        f.set(name, value.clone());
    }
    if let Some(l) = &k.leverage {
        f.set("leverage_kind", l.kind.as_str());
        f.set("leverage_evidence", l.evidence.clone());
        f.set("if_we_dont", l.if_we_dont.clone());
    }
    let lines = |v: &[String]| v.join("\n");
    let t = &k.three_sided_value;
    f.set("value_ours", lines(&t.our_company));
    f.set("value_partner", lines(&t.partner));
    f.set("value_customers", lines(&t.shared_customers));
    let m = &k.measurement;
    f.set("measurement_metrics", lines(&m.metrics));
    f.set("tracking", m.tracking.clone());
    f.set("review_cadence", m.review_cadence.clone());
    let g = &k.governance;
    f.set("our_owner", g.our_owner.clone());
    f.set("partner_owner", g.partner_owner.clone());
    f.set("escalation_path", lines(&g.escalation_path));
    f.set("exit_criteria", lines(&g.exit_criteria));
    let o = &k.operating_plan;
    f.set("ideal_customer", o.ideal_customer.clone());
    f.set("buyers", lines(&o.buyers));
    f.set("users", lines(&o.users));
    f.set("offer", o.packaged_offer.clone());
    f.set("route", o.route.clone());
    f.set(
        "scorecard",
        o.scorecard
            .iter()
            .map(|l| format!("{} | {}", l.metric, l.target))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    f.set("cadence_30_days", lines(&o.cadence_30_days));
    for p in &k.timeline {
        let names = phase_fields(p.phase);
        let date = |d: Option<chrono::NaiveDate>| {
            d.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        f.set(names.starts_on, date(p.starts_on));
        f.set(names.ends_on, date(p.ends_on));
        f.set(names.deliverables, lines(&p.deliverables));
        f.set(names.metrics, lines(&p.metrics));
    }
    f.set(
        "crawl_improvement",
        percent_text(k.thresholds.crawl_improvement_bps),
    );
    f.set(
        "walk_adoption",
        percent_text(k.thresholds.walk_adoption_bps),
    );
    f
}

pub(super) fn gate_form(c: &Charter) -> FormView {
    let mut f = FormView::default();
    f.set(
        "improvement",
        minor_to_major(c.content.thresholds.crawl_improvement_bps, 2),
    );
    f.set(
        "adoption",
        minor_to_major(c.content.thresholds.walk_adoption_bps, 2),
    );
    f.set("if_walk_fails", "restart_crawl");
    f
}

pub(super) fn next_phase(c: &Charter) -> Option<Phase> {
    match c.phase {
        None => Some(Phase::Crawl),
        Some(Phase::Crawl) => Some(Phase::Walk),
        Some(Phase::Walk) => Some(Phase::Run),
        Some(Phase::Run) => None,
    }
}

/// Parses the "side | kind | description" lines of the commitments textarea.
fn commitments(posted: &Posted) -> Result<Vec<Commitment>, Invalid> {
    let mut out = Vec::new();
    for (i, line) in posted.lines("commitments").iter().enumerate() {
        let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
        let bad = |why: String| {
            Invalid::one(
                "commitments",
                "format",
                format!("commitments line {}: {why}", i + 1),
            )
        };
        let [side, kind, description] = parts[..] else {
            return Err(bad(
                "write each commitment as side | kind | description".to_owned()
            ));
        };
        let side = Side::parse("side", side).map_err(|e| bad(e.message))?;
        let kind = CommitmentKind::parse("kind", kind).map_err(|e| bad(e.message))?;
        out.push(Commitment {
            side,
            kind,
            description: description.to_owned(),
        });
    }
    Ok(out)
}

/// The charter content with the sections of the edit form overwritten.
pub(super) fn edited_content(
    before: &CharterContent,
    posted: &Posted,
) -> Result<CharterContent, Invalid> {
    let mut c = before.clone();
    let mut inv = Invalid::new();
    let v = |name: &str| posted.get(name).unwrap_or_default().trim().to_owned();
    let lines = |name: &str| posted.lines(name);
    c.mutual_goals.for_us = v("for_us");
    c.mutual_goals.for_partner = v("for_partner");
    c.mutual_goals.for_customers = v("for_customers");
    match commitments(posted) {
        Ok(list) => c.value_exchange.commitments = list,
        Err(e) => inv.errors.extend(e.errors),
    }
    c.value_exchange.vendor_loses = v("vendor_loses");
    c.value_exchange.partner_loses = v("partner_loses");
    c.story.who_buys = v("who_buys");
    c.story.conversation_owner = v("conversation_owner");
    c.story.packaged_offer = v("packaged_offer");
    c.story.partner_gets = v("partner_gets");
    c.story.credibility = v("credibility");
    c.story.after_launch = v("after_launch");
    let kind = v("leverage_kind");
    c.leverage = if kind.is_empty() {
        None
    } else {
        match LeverageType::parse("leverage_kind", &kind) {
            Ok(kind) => Some(Leverage {
                kind,
                evidence: v("leverage_evidence"),
                if_we_dont: v("if_we_dont"),
            }),
            Err(e) => {
                inv.add("leverage_kind", &e.rule, e.message);
                None
            }
        }
    };
    c.three_sided_value.our_company = lines("value_ours");
    c.three_sided_value.partner = lines("value_partner");
    c.three_sided_value.shared_customers = lines("value_customers");
    c.measurement.metrics = lines("measurement_metrics");
    c.measurement.tracking = v("tracking");
    c.measurement.review_cadence = v("review_cadence");
    c.governance.our_owner = v("our_owner");
    c.governance.partner_owner = v("partner_owner");
    c.governance.escalation_path = lines("escalation_path");
    c.governance.exit_criteria = lines("exit_criteria");
    let o = &mut c.operating_plan;
    o.ideal_customer = v("ideal_customer");
    o.buyers = lines("buyers");
    o.users = lines("users");
    o.packaged_offer = v("offer");
    o.route = v("route");
    match scorecard(posted) {
        Ok(list) => o.scorecard = list,
        Err(e) => inv.errors.extend(e.errors),
    }
    o.cadence_30_days = lines("cadence_30_days");
    match timeline(posted) {
        Ok(plan) => c.timeline = plan,
        Err(e) => inv.errors.extend(e.errors),
    }
    let defaults = Thresholds::default();
    match percent_to_bps(
        "crawl_improvement",
        &v("crawl_improvement"),
        defaults.crawl_improvement_bps,
    ) {
        Ok(bps) => c.thresholds.crawl_improvement_bps = bps,
        Err(e) => inv.errors.extend(e.errors),
    }
    match percent_to_bps(
        "walk_adoption",
        &v("walk_adoption"),
        defaults.walk_adoption_bps,
    ) {
        Ok(bps) => c.thresholds.walk_adoption_bps = bps,
        Err(e) => inv.errors.extend(e.errors),
    }
    inv.finish(|| Some(c))
}

fn checked(posted: &Posted, name: &str) -> bool {
    posted.get(name).is_some_and(|v| !v.is_empty())
}

pub(super) fn gate_input(c: &Charter, posted: &Posted) -> Result<GateInput, Invalid> {
    let lessons = posted.get("lessons").filter(|l| !l.trim().is_empty());
    let mut input = GateInput {
        lessons,
        ..Default::default()
    };
    match c.phase {
        Some(Phase::Crawl) => {
            input.crawl = Some(CrawlResult {
                improvement_bps: major_to_minor(
                    "improvement",
                    &posted.get("improvement").unwrap_or_default(),
                    2,
                )?,
                pilot_customers: posted.lines("pilot_customers"),
                would_recommend: checked(posted, "would_recommend"),
                can_scale: checked(posted, "can_scale"),
            });
        }
        Some(Phase::Walk) => {
            input.walk = Some(WalkResult {
                adoption_bps: major_to_minor(
                    "adoption",
                    &posted.get("adoption").unwrap_or_default(),
                    2,
                )?,
                partner_promoting: checked(posted, "partner_promoting"),
                support_manageable: checked(posted, "support_manageable"),
            });
            input.run = Some(RunReadiness {
                vendor_committed: checked(posted, "vendor_committed"),
                partner_committed: checked(posted, "partner_committed"),
                roi_validates: checked(posted, "roi_validates"),
            });
            input.if_walk_fails = posted.get("if_walk_fails");
        }
        _ => {}
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitments_parse_from_lines() {
        let posted = Posted(vec![(
            "commitments".to_owned(),
            "vendor | engineering_time | two engineers\npartner|revenue_share|20%".to_owned(),
        )]);
        let c = commitments(&posted).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].kind, CommitmentKind::RevenueShare);
        let bad = Posted(vec![("commitments".to_owned(), "vendor only".to_owned())]);
        assert!(commitments(&bad).is_err());
    }

    #[test]
    fn percentages_become_basis_points() {
        assert_eq!(percent_to_bps("t", "20", 0).unwrap(), 2000);
        assert_eq!(percent_to_bps("t", "69.9", 0).unwrap(), 6990);
        assert_eq!(percent_to_bps("t", "12.25", 0).unwrap(), 1225);
        assert_eq!(percent_to_bps("t", " 70 % ", 0).unwrap(), 7000);
        assert_eq!(percent_to_bps("t", "0", 5).unwrap(), 0);
        assert_eq!(percent_to_bps("t", "", 2000).unwrap(), 2000);
        assert!(percent_to_bps("t", "12.345", 0).is_err());
        assert!(percent_to_bps("t", "-5", 0).is_err());
        assert!(percent_to_bps("t", "abc", 0).is_err());
        assert_eq!(
            percent_to_bps("t", "100.01", 0).unwrap_err().errors[0].rule,
            "range"
        );
        assert_eq!(percent_text(2000), "20");
        assert_eq!(percent_text(6990), "69.9");
        assert_eq!(percent_text(1225), "12.25");
        assert_eq!(percent_text(0), "0");
    }

    #[test]
    fn scorecard_parses_from_lines() {
        let posted = Posted(vec![(
            "scorecard".to_owned(),
            "Sourced pipeline | $2M a quarter\n\n  Win rate|30%  \nOpen|".to_owned(),
        )]);
        let lines = scorecard(&posted).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].metric, "Sourced pipeline");
        assert_eq!(lines[0].target, "$2M a quarter");
        assert_eq!(lines[1].metric, "Win rate");
        assert_eq!(lines[1].target, "30%");
        assert_eq!(lines[2].target, "");
        let no_bar = Posted(vec![("scorecard".to_owned(), "just a metric".to_owned())]);
        assert_eq!(scorecard(&no_bar).unwrap_err().errors[0].field, "scorecard");
        let no_metric = Posted(vec![("scorecard".to_owned(), " | 10".to_owned())]);
        assert!(scorecard(&no_metric).is_err());
    }

    #[test]
    fn the_edit_form_round_trips_the_new_sections() {
        let mut before = CharterContent::default();
        before.timeline.push(PhasePlan {
            phase: Phase::Run,
            starts_on: None,
            ends_on: None,
            deliverables: vec!["old".to_owned()],
            metrics: vec![],
        });
        let posted = Posted(
            [
                ("value_ours", "More pipeline\nReferences"),
                ("scorecard", "Pipeline | 2M"),
                ("walk_starts_on", "2027-03-01"),
                ("walk_metrics", "Adoption"),
                ("crawl_improvement", "25"),
                ("walk_adoption", "69.9"),
                ("our_owner", "Dana"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        );
        let c = edited_content(&before, &posted).unwrap();
        assert_eq!(c.three_sided_value.our_company.len(), 2);
        assert_eq!(c.operating_plan.scorecard[0].target, "2M");
        assert_eq!(c.timeline.len(), 1, "empty phases are left out");
        assert_eq!(c.timeline[0].phase, Phase::Walk);
        assert_eq!(c.thresholds.crawl_improvement_bps, 2500);
        assert_eq!(c.thresholds.walk_adoption_bps, 6990);
        assert_eq!(c.governance.our_owner, "Dana");
        // The store's error about timeline[0] lands on the Walk inputs.
        let renamed = edit_errors(
            Invalid::one("content.timeline[0].starts_on", "sequential", "x"),
            &posted,
        );
        assert_eq!(renamed.errors[0].field, "walk_starts_on");
        let renamed = edit_errors(
            Invalid::one(
                "content.thresholds.walk_adoption_bps",
                "range",
                "thresholds.walk_adoption_bps must be between 0 and 10000",
            ),
            &posted,
        );
        assert_eq!(renamed.errors[0].field, "walk_adoption");
        let bad_date = Posted(vec![("run_ends_on".to_owned(), "soon".to_owned())]);
        assert_eq!(
            edited_content(&before, &bad_date).unwrap_err().errors[0].field,
            "run_ends_on"
        );
    }
}
