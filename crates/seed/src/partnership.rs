//! The technology partnership track in the demo (issue 14): the Technology Alliance's
//! active partners placed with the "which tier?" tree (the decision cites the answers), and
//! charters with its strategic technology partners along crawl, walk and run, one of them
//! ended at its Crawl gate with the lessons learned.

use std::collections::HashMap;

use partnerops_core::partner::PartnerStatus;
use partnerops_core::partnership::content::CharterContent;
use partnerops_core::partnership::record::{
    CharterInput, EndInput, GateInput, PhaseInput, TreeAnswers,
};
use partnerops_core::user::Role;
use partnerops_store::{Store, StoreError};
use serde_json::json;

use crate::plan::{PartnerPlan, ProgramSlot};
use crate::room::Writer;

#[derive(Default)]
pub(crate) struct TrackWritten {
    pub placements: usize,
    pub charters: usize,
}

/// Where each charter gets to.
#[derive(Clone, Copy)]
enum Stage {
    Crawl,
    Walk,
    Run,
    /// Missed the Crawl gate: ended with its lessons.
    Ended,
}

const CHARTERS: [(Stage, &str); 4] = [
    (Stage::Run, "Warehouse sync connector"),
    (Stage::Walk, "Embedded analytics app"),
    (Stage::Crawl, "Identity provider integration"),
    (Stage::Ended, "Usage-based billing bridge"),
];

fn content(partner: &str, offer: &str) -> Result<CharterContent, StoreError> {
    serde_json::from_value(json!({
        "mutual_goals": {
            "for_us": "Customers who connect their stack renew more and expand sooner",
            "for_partner": format!("{partner} reaches our installed base through the marketplace listing"),
            "for_customers": "One setup instead of two, and data that agrees in both tools"
        },
        "value_exchange": {
            "commitments": [
                {"side": "vendor", "kind": "engineering_time", "description": "an integration engineer for two quarters"},
                {"side": "partner", "kind": "engineering_time", "description": "two engineers on the connector and its support"},
                {"side": "partner", "kind": "revenue_share", "description": "15% of marketplace revenue from our customers"}
            ],
            "vendor_loses": "an engineer's roadmap time for two quarters",
            "partner_loses": "two engineers and a share of marketplace revenue"
        },
        "story": {
            "who_buys": "Operations teams running both products",
            "conversation_owner": "Our customer success managers at renewal",
            "packaged_offer": offer,
            "partner_gets": "Listing on our marketplace with co-sell support",
            "credibility": "Five design-partner customers using the beta",
            "after_launch": "A monthly joint pipeline review and a quarterly roadmap sync"
        },
        "operating_plan": {
            "ideal_customer": "Mid-market companies using both products",
            "buyers": ["VP Operations"],
            "packaged_offer": offer,
            "route": "co_sell"
        }
    }))
    .map_err(|e| StoreError::Corrupt(format!("seed charter content: {e}")))
}

fn gate_crawl(improvement_bps: i64) -> Result<GateInput, StoreError> {
    serde_json::from_value(json!({
        "crawl": {"improvement_bps": improvement_bps, "pilot_customers": ["Globex", "Initech", "Umbrella"],
                  "would_recommend": improvement_bps >= 2000, "can_scale": improvement_bps >= 2000},
        "lessons": if improvement_bps >= 2000 { serde_json::Value::Null } else {
            json!("The pilots saved 12% of setup time, short of the 20% bar: customers kept their own \
                   scripts because the bridge did not cover credit notes. Next time, scope the pilot \
                   around the document types customers actually sync, and ask for their scripts first.")
        }
    }))
    .map_err(|e| StoreError::Corrupt(format!("seed gate: {e}")))
}

fn gate_walk() -> Result<GateInput, StoreError> {
    serde_json::from_value(json!({
        "walk": {"adoption_bps": 7400, "partner_promoting": true, "support_manageable": true},
        "run": {"vendor_committed": true, "partner_committed": true, "roi_validates": true}
    }))
    .map_err(|e| StoreError::Corrupt(format!("seed gate: {e}")))
}

/// Places the Technology Alliance's active partners on the track and writes the charters.
pub(crate) async fn create_technology_track(
    store: &Store,
    partners: &[PartnerPlan],
    partner_ids: &[String],
    writers: &HashMap<String, Writer>,
    channel: &Writer,
) -> Result<TrackWritten, StoreError> {
    let mut out = TrackWritten::default();
    let staff = channel.actor();
    let technology: Vec<(&PartnerPlan, &String)> = partners
        .iter()
        .zip(partner_ids)
        .filter(|(p, _)| p.program == ProgramSlot::Technology && p.status == PartnerStatus::Active)
        .collect();
    // The tree's answers that lead to each partner's rung (it stays where it is).
    for (p, id) in &technology {
        let answers: &[(&str, bool)] = match p.tier_rank {
            1 => &[("engineering", true)],
            2 => &[("engineering", false), ("marquee", false)],
            _ => &[("engineering", false), ("marquee", true)],
        };
        let input = TreeAnswers {
            answers: answers.iter().map(|(q, a)| ((*q).to_owned(), *a)).collect(),
            charter_id: None,
        };
        store.place_on_track(&staff, id, &input).await?;
        out.placements += 1;
    }
    // Charters with the highest-ranked partners that have an admin to sign.
    let mut ranked: Vec<&(&PartnerPlan, &String)> = technology.iter().collect();
    ranked.sort_by_key(|(p, _)| std::cmp::Reverse(p.tier_rank));
    let signers = ranked.into_iter().filter_map(|(p, id)| {
        p.users
            .iter()
            .find(|u| u.role == Role::PartnerAdmin)
            .and_then(|u| writers.get(&u.email))
            .map(|w| (*p, *id, w))
    });
    for ((stage, offer), (p, id, admin)) in CHARTERS.into_iter().zip(signers) {
        let charter = store
            .create_charter(
                &staff,
                &CharterInput {
                    partner_id: Some(id.clone()),
                    title: Some(format!("{} × Vendor: {}", p.name, offer.to_lowercase())),
                    content: Some(content(&p.name, offer)?),
                },
            )
            .await?;
        let cid = charter.id.to_string();
        store.sign_charter(&staff, &cid).await?;
        store.sign_charter(&admin.actor(), &cid).await?;
        let enter = |phase: &str| PhaseInput {
            phase: Some(phase.to_owned()),
        };
        store.enter_phase(&staff, &cid, &enter("crawl")).await?;
        match stage {
            Stage::Crawl => {}
            Stage::Ended => {
                store.review_gate(&staff, &cid, &gate_crawl(1200)?).await?;
                // A missed Crawl gate ends the partnership; make sure it did.
                if store
                    .charter(&partnerops_core::scope::Scope::Vendor, &cid)
                    .await?
                    .ended_at
                    .is_none()
                {
                    store
                        .end_charter(
                            &staff,
                            &cid,
                            &EndInput {
                                lessons: gate_crawl(1200)?.lessons,
                            },
                        )
                        .await?;
                }
            }
            Stage::Walk | Stage::Run => {
                store.review_gate(&staff, &cid, &gate_crawl(2600)?).await?;
                store.enter_phase(&staff, &cid, &enter("walk")).await?;
                if matches!(stage, Stage::Run) {
                    store.review_gate(&staff, &cid, &gate_walk()?).await?;
                    store.enter_phase(&staff, &cid, &enter("run")).await?;
                }
            }
        }
        out.charters += 1;
    }
    Ok(out)
}
