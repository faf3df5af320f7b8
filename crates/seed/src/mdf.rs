//! The demo's market development funds (issue #12): an MDF budget of the first program for
//! the current quarter, allocated to the partners with the most won deals, and requests and
//! claims in every state: submitted, approved, rejected, claimed, a claim approved for less,
//! a claim rejected and paid claims. The paid activities are linked to won opportunities
//! of their partner, so the ROI table has figures. Everything goes through the store as the
//! users who would have done it (the partner's admin requests and claims, the channel
//! manager and finance decide), on the real clock, with activities in the recent past.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate, Utc};
use partnerops_core::ids::{EntityId, ProgramId};
use partnerops_core::mdf::record::{
    AllocationInput, BudgetInput, ClaimInput, DecisionInput, LinkInput, PayClaimInput, RequestInput,
};
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::scope::Scope;
use partnerops_core::user::Role;
use partnerops_store::pipeline::OpportunityFilter;
use partnerops_store::{Actor, Store, StoreError};

use crate::room::Writer;

/// What the MDF demo wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MdfWritten {
    pub allocations: usize,
    pub requests: usize,
    pub claims: usize,
}

/// How far one demo request goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Goes {
    Submitted,
    Approved,
    Rejected,
    Claimed,
    ClaimApprovedLower,
    ClaimRejected,
    Paid,
}

/// (partner slot, activity type, title, planned major units, how far, days ago it ended)
const REQUESTS: &[(usize, &str, &str, i64, Goes, u64)] = &[
    (
        0,
        "event",
        "Customer breakfast roundtable",
        7_000,
        Goes::Paid,
        20,
    ),
    (
        0,
        "campaign",
        "Partner summit sponsorship",
        9_000,
        Goes::Claimed,
        6,
    ),
    (
        0,
        "content",
        "Quarter-end webinar",
        5_000,
        Goes::Submitted,
        0,
    ),
    (
        1,
        "paid_media",
        "Search ads for the migration offer",
        6_000,
        Goes::ClaimApprovedLower,
        12,
    ),
    (1, "event", "Regional roadshow", 8_000, Goes::Approved, 0),
    (2, "event", "Trade-show booth", 15_000, Goes::Rejected, 0),
    (
        2,
        "content",
        "Co-branded e-book",
        4_000,
        Goes::ClaimRejected,
        15,
    ),
    (3, "event", "Lunch & learn series", 3_000, Goes::Paid, 25),
];

fn page(sort: &str) -> Result<PageRequest, StoreError> {
    Ok(PageRequest::parse(
        &PageParams {
            sort: Some(sort.into()),
            limit: Some("200".into()),
            cursor: None,
        },
        &Store::opportunity_sorts(),
    )?)
}

fn quarter_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let q0 = (day.month0() / 3) * 3 + 1;
    let start = NaiveDate::from_ymd_opt(day.year(), q0, 1).unwrap_or(day);
    let end = start
        .checked_add_months(chrono::Months::new(3))
        .and_then(|d| d.pred_opt())
        .unwrap_or(day);
    (start, end)
}

/// Writes the MDF demo on `program` (its partners with the most won deals).
pub(crate) async fn create_mdf(
    store: &Store,
    program: &str,
    writers: &HashMap<String, Writer>,
    channel: &Writer,
    finance: &Writer,
) -> Result<MdfWritten, StoreError> {
    let mut written = MdfWritten::default();
    let program_id = ProgramId::from_trusted(program.to_owned());
    let won = store
        .opportunities(
            &Scope::Vendor,
            &OpportunityFilter {
                program_id: Some(program_id.clone()),
                stage: Some("won".into()),
                ..OpportunityFilter::default()
            },
            &page("-updated_at")?,
        )
        .await?
        .items;
    // Partners by their won deals, most first (ties by id, so the choice is stable).
    let mut by_partner: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in &won {
        if let Some(p) = &o.partner_id {
            by_partner
                .entry(p.to_string())
                .or_default()
                .push(o.id.to_string());
        }
    }
    let mut partners: Vec<(String, Vec<String>)> = by_partner.into_iter().collect();
    partners.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    partners.truncate(4);
    if partners.is_empty() {
        return Ok(written);
    }
    let currency = store
        .program(&Scope::Vendor, program)
        .await?
        .currency
        .as_str()
        .to_owned();
    let exp = 10_i64.pow(
        partnerops_core::money::Currency::parse("currency", &currency)
            .map(|c| c.exponent())
            .unwrap_or(2),
    );
    let today = Utc::now().date_naive();
    let (start, end) = quarter_of(today);
    let finance_actor = finance.actor();
    let channel_actor = channel.actor();
    let budget = store
        .create_mdf_budget(
            &finance_actor,
            &BudgetInput {
                program_id: Some(program.to_owned()),
                name: Some(format!("MDF Q{} {}", start.month0() / 3 + 1, start.year())),
                amount_minor: Some(200_000 * exp),
                currency: Some(currency.clone()),
                period_start: Some(start.to_string()),
                period_end: Some(end.to_string()),
            },
        )
        .await?;
    let mut allocations = Vec::new();
    for (partner, _) in &partners {
        let a = store
            .create_mdf_allocation(
                &channel_actor,
                &AllocationInput {
                    budget_id: Some(budget.id.to_string()),
                    partner_id: Some(partner.clone()),
                    amount_minor: Some(40_000 * exp),
                    expires_on: Some(end.to_string()),
                    ..AllocationInput::default()
                },
            )
            .await?;
        allocations.push(a.id.to_string());
        written.allocations += 1;
    }
    for &(slot, kind, title, planned, goes, ended) in REQUESTS {
        let (Some((partner, deals)), Some(allocation)) =
            (partners.get(slot), allocations.get(slot))
        else {
            continue;
        };
        // The partner's admin asks and claims; the system if the partner has none.
        let requester = writers
            .values()
            .filter(|w| w.partner_id.as_deref() == Some(partner) && w.role == Role::PartnerAdmin)
            .min_by(|a, b| a.id.cmp(&b.id))
            .map_or_else(|| Actor::system("seed"), Writer::actor);
        let ends = today - Days::new(ended);
        let starts = if goes == Goes::Submitted || goes == Goes::Approved || goes == Goes::Rejected
        {
            today + Days::new(14)
        } else {
            ends - Days::new(1)
        };
        let ends = ends.max(starts);
        let d = store
            .submit_mdf_request(
                &requester,
                &RequestInput {
                    allocation_id: Some(allocation.clone()),
                    activity_type: Some(kind.into()),
                    title: Some(title.into()),
                    planned_minor: Some(planned * exp),
                    currency: Some(currency.clone()),
                    starts_on: Some(starts.to_string()),
                    ends_on: Some(ends.to_string()),
                    expected_leads: Some(planned / 200),
                    expected_pipeline_minor: Some(planned * 8 * exp),
                },
            )
            .await?;
        written.requests += 1;
        let id = d.request.id.to_string();
        if goes == Goes::Submitted {
            continue;
        }
        if goes == Goes::Rejected {
            store
                .reject_mdf_request(
                    &channel_actor,
                    &id,
                    &DecisionInput {
                        approved_minor: None,
                        reason: Some("Outside this quarter's focus: the plan funds regional events, not national trade shows.".into()),
                    },
                )
                .await?;
            continue;
        }
        store
            .approve_mdf_request(&channel_actor, &id, &DecisionInput::default())
            .await?;
        if goes == Goes::Approved {
            continue;
        }
        // The proof: the activity's attendee list, as the partner would export it.
        let attendees: String = std::iter::once("name,company,email,role\n".to_owned())
            .chain((1..=12).map(|n| {
                format!("Attendee {n},Customer {n} GmbH,attendee{n}@customer{n}.example,IT lead\n")
            }))
            .collect();
        let proof = store
            .upload_file(
                &requester,
                partnerops_store::file::Upload {
                    purpose: partnerops_core::file::FilePurpose::Proof,
                    partner_id: Some(partnerops_core::ids::PartnerId::from_trusted(
                        partner.clone(),
                    )),
                    name: &format!("{title} attendees.csv"),
                    bytes: attendees.as_bytes(),
                },
            )
            .await?;
        let claimed = store
            .submit_mdf_claim(
                &requester,
                &id,
                &ClaimInput {
                    claimed_minor: Some(planned * exp),
                    proof_summary: Some(format!(
                        "{title}: held as planned; attendee list attached, invoices and photos sent to the channel team."
                    )),
                    proof_file_ids: Some(vec![proof.id.to_string()]),
                },
            )
            .await?;
        written.claims += 1;
        let Some(claim) = claimed.claim.map(|c| c.id.to_string()) else {
            continue;
        };
        match goes {
            Goes::Claimed => continue,
            Goes::ClaimRejected => {
                store
                    .decide_mdf_claim(
                        &finance_actor,
                        &claim,
                        false,
                        &DecisionInput {
                            approved_minor: None,
                            reason: Some("No proof of distribution: send the download report and claim again next quarter.".into()),
                        },
                    )
                    .await?;
                continue;
            }
            Goes::ClaimApprovedLower => {
                store
                    .decide_mdf_claim(
                        &finance_actor,
                        &claim,
                        true,
                        &DecisionInput {
                            approved_minor: Some(planned * exp * 87 / 100),
                            reason: Some("Two invoices fall outside the activity's dates.".into()),
                        },
                    )
                    .await?;
                continue;
            }
            _ => {}
        }
        store
            .decide_mdf_claim(&finance_actor, &claim, true, &DecisionInput::default())
            .await?;
        store
            .pay_mdf_claim(
                &finance_actor,
                &claim,
                &PayClaimInput {
                    reference: Some(format!("AP-MDF-{}", &claim[claim.len() - 6..])),
                    paid_on: None,
                },
            )
            .await?;
        // What the activity brought: one or two of the partner's won deals.
        for deal in deals.iter().take(if slot == 0 { 2 } else { 1 }) {
            store
                .link_mdf_opportunity(
                    &channel_actor,
                    &id,
                    &LinkInput {
                        opportunity_id: Some(deal.clone()),
                    },
                )
                .await?;
        }
    }
    Ok(written)
}
