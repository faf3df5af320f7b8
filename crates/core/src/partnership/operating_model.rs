//! The operating-model document (seed 000): from a partnership's records, the structure a
//! team can run — joint ICP, buyer and user map, packaged offer, resale or referral path,
//! deal ownership rules, scorecard, 30-day cadence — plus the six answers, the value
//! exchange and the phase plan. Empty sections are called out, never hidden.

use std::fmt::Write;

use super::charter::Side;
use super::content::CharterContent;
use super::story::QUESTIONS;
use crate::registration::policy::RegistrationPolicy;

/// The deal-ownership rules a program's registration policy implies, as sentences.
pub fn deal_ownership_rules(p: &RegistrationPolicy) -> Vec<String> {
    let mut rules = vec![
        "One partner holds a registered account at a time; a second registration is refused, saying until when.".to_owned(),
        format!("An approved registration is valid {} days from approval.", p.validity_days),
        format!(
            "It can be renewed {} time(s), {} days each, with a logged call, meeting, demo or proposal in the current period.",
            p.max_renewals, p.renewal_days
        ),
        format!("The partner logs follow-up activity at least every {} days; missing it lets direct sales engage without consent.", p.sla_days),
        format!(
            "Conflicts are resolved within {} business days per level of the escalation path: {}.",
            p.conflict_sla_business_days,
            p.escalation_levels.join(" → ")
        ),
    ];
    if p.auto_approve.is_empty() {
        rules.push("Every registration is approved by the vendor.".to_owned());
    } else {
        for r in &p.auto_approve {
            rules.push(format!("Partners on tier rank {} or above are approved without review up to {} (minor units).", r.min_tier_rank, r.max_amount_minor));
        }
    }
    rules
}

const MISSING: &str = "_Missing: this section is empty. Fill it in before launch._";

fn list(out: &mut String, items: &[String]) {
    let items: Vec<&String> = items.iter().filter(|i| !i.trim().is_empty()).collect();
    if items.is_empty() {
        let _ = writeln!(out, "{MISSING}");
    }
    for i in items {
        let _ = writeln!(out, "- {}", i.trim());
    }
}

fn text(out: &mut String, s: &str) {
    let _ = writeln!(
        out,
        "{}",
        if s.trim().is_empty() {
            MISSING
        } else {
            s.trim()
        }
    );
}

/// Renders the document as Markdown.
pub fn render_markdown(
    title: &str,
    partner_name: &str,
    version: i64,
    c: &CharterContent,
    deal_rules: &[String],
) -> String {
    let mut out = String::new();
    verdicts_section(&mut out, title, partner_name, version, c);
    plan_sections(&mut out, c, deal_rules);
    story_section(&mut out, c);
    value_exchange_section(&mut out, c);
    phase_plan_section(&mut out, c);
    out
}

/// The title and the charter's verdicts (skin in the game, story, leverage).
fn verdicts_section(
    out: &mut String,
    title: &str,
    partner_name: &str,
    version: i64,
    c: &CharterContent,
) {
    let v = c.verdicts();
    let _ = writeln!(out, "# Operating model: {title}\n");
    let _ = writeln!(
        out,
        "Partner: **{partner_name}** · charter version {version}\n"
    );
    let _ = writeln!(out, "> Skin in the game: {}.", v.skin_in_the_game.verdict);
    for cause in &v.skin_in_the_game.causes {
        let _ = writeln!(out, "> - {cause}");
    }
    let _ = writeln!(out, "> Partner story: {}.", v.story.verdict);
    if let Some(l) = &v.leverage {
        let _ = writeln!(
            out,
            "> Leverage: {} ({}).",
            l.recommendation.label(),
            l.reason
        );
    }
}

/// The operating plan: customer profile, buyers and users, offer, route, deal ownership,
/// scorecard and cadence.
fn plan_sections(out: &mut String, c: &CharterContent, deal_rules: &[String]) {
    let p = &c.operating_plan;
    let _ = writeln!(out, "\n## Ideal customer profile of the joint motion\n");
    text(out, &p.ideal_customer);
    let _ = writeln!(out, "\n## Buyer and user map\n\n### Buyers\n");
    list(out, &p.buyers);
    let _ = writeln!(out, "\n### Users\n");
    list(out, &p.users);
    let _ = writeln!(out, "\n## Packaged offer\n");
    text(out, &p.packaged_offer);
    let _ = writeln!(out, "\n## Resale or referral path\n");
    text(out, &p.route);
    let _ = writeln!(out, "\n## Deal ownership rules\n");
    list(out, deal_rules);
    let _ = writeln!(out, "\n## Partner scorecard\n");
    if p.scorecard.is_empty() {
        let _ = writeln!(out, "{MISSING}");
    } else {
        let _ = writeln!(out, "| metric | target |\n|---|---|");
        for line in &p.scorecard {
            let _ = writeln!(out, "| {} | {} |", line.metric.trim(), line.target.trim());
        }
    }
    let _ = writeln!(out, "\n## 30-day operating cadence\n");
    list(out, &p.cadence_30_days);
}

fn story_section(out: &mut String, c: &CharterContent) {
    let _ = writeln!(out, "\n## The six answers of the partner story\n");
    for (field, question) in QUESTIONS {
        let answer = match *field {
            "who_buys" => &c.story.who_buys,
            "conversation_owner" => &c.story.conversation_owner,
            "packaged_offer" => &c.story.packaged_offer,
            "partner_gets" => &c.story.partner_gets,
            "credibility" => &c.story.credibility,
            _ => &c.story.after_launch,
        };
        let _ = writeln!(out, "**{question}**  ");
        text(out, answer);
        let _ = writeln!(out);
    }
}

/// What each side gives, and what each loses if the partnership fails.
fn value_exchange_section(out: &mut String, c: &CharterContent) {
    let _ = writeln!(out, "## Value exchange\n");
    for side in Side::ALL {
        let _ = writeln!(out, "### {} give\n", side.label());
        let gives: Vec<String> = c
            .value_exchange
            .commitments
            .iter()
            .filter(|x| x.side == *side)
            .map(|x| format!("{}: {}", x.kind.label(), x.description))
            .collect();
        list(out, &gives);
        let loses = if *side == Side::Vendor {
            &c.value_exchange.vendor_loses
        } else {
            &c.value_exchange.partner_loses
        };
        let _ = writeln!(
            out,
            "\nIf it fails, {} lose: {}\n",
            side.label().to_lowercase(),
            if loses.trim().is_empty() {
                "_nothing stated_"
            } else {
                loses.trim()
            }
        );
    }
}

/// The phases with their deliverables and metrics, then the go/no-go gates.
fn phase_plan_section(out: &mut String, c: &CharterContent) {
    let _ = writeln!(out, "## Phase plan\n");
    if c.timeline.is_empty() {
        let _ = writeln!(out, "{MISSING}");
    }
    for ph in &c.timeline {
        let dates = match (ph.starts_on, ph.ends_on) {
            (Some(s), Some(e)) => format!("{s} to {e}"),
            (Some(s), None) => format!("from {s}"),
            _ => "dates not set".to_owned(),
        };
        let _ = writeln!(out, "### {} ({dates})\n\nDeliverables:\n", ph.phase.label());
        list(out, &ph.deliverables);
        let _ = writeln!(out, "\nMetrics:\n");
        list(out, &ph.metrics);
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "Go/no-go: after Crawl, at least {}.{:02}% improvement on the stated metric with named pilot customers; after Walk, at least {}.{:02}% adoption of invited customers, the partner promoting and support manageable; Run only when both gates passed, both sides commit and the ROI model validates.",
        c.thresholds.crawl_improvement_bps / 100,
        c.thresholds.crawl_improvement_bps % 100,
        c.thresholds.walk_adoption_bps / 100,
        c.thresholds.walk_adoption_bps % 100
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partnership::content::{OperatingPlan, ScoreLine};

    #[test]
    fn empty_sections_are_called_out_and_rules_come_from_the_policy() {
        let c = CharterContent::default();
        let rules = deal_ownership_rules(&RegistrationPolicy::default());
        let md = render_markdown("Acme × Globex", "Globex", 1, &c, &rules);
        assert!(md.contains("# Operating model: Acme × Globex"));
        assert!(md.matches("_Missing:").count() >= 8, "{md}");
        assert!(md.contains("valid 90 days from approval"));
        assert!(md.contains("a handshake, not a partnership"));
        assert!(md.contains("a product feature with a press release attached"));
    }

    #[test]
    fn filled_sections_are_rendered() {
        let c = CharterContent {
            operating_plan: OperatingPlan {
                ideal_customer: "Mid-market manufacturers on the partner's ERP".into(),
                scorecard: vec![ScoreLine {
                    metric: "Sourced ARR".into(),
                    target: "USD 1.2M in year one".into(),
                }],
                ..Default::default()
            },
            ..Default::default()
        };
        let md = render_markdown("T", "P", 2, &c, &[]);
        assert!(md.contains("Mid-market manufacturers"));
        assert!(md.contains("| Sourced ARR | USD 1.2M in year one |"));
    }
}
