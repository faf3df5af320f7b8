//! The part of a program's past no product path writes: a partner's joining profile (kept
//! by an application's approval) and its tier moves (written by the daily tiering job as
//! they happen), handed to the store's demo-data loader (`Store::load_partner_past`).

use partnerops_core::country::Country;
use partnerops_core::lifecycle::application::Profile;
use partnerops_store::lifecycle::past::PastTierMove;
use partnerops_store::{Store, StoreError};

use crate::plan::PartnerPlan;

/// The profile the fit model reads, from a partner's plan.
pub(crate) fn profile(p: &PartnerPlan) -> Profile {
    Profile {
        partner_type: p.partner_type,
        employees: p.profile.employees,
        countries: p
            .profile
            .countries
            .iter()
            .filter_map(|c| Country::parse("countries", c).ok())
            .collect(),
        verticals: p.verticals.clone(),
        vendor_relationships: p.profile.vendor_relationships.clone(),
        target_customers: p.profile.target_customers,
        certified_staff: p.profile.certified_staff,
    }
}

/// Stores a just-created partner's joining profile and its past tier moves, in one
/// transaction. The moves were decided under the program's first policy version.
pub(crate) async fn record_joining(
    store: &Store,
    partner_id: &str,
    p: &PartnerPlan,
) -> Result<(), StoreError> {
    let moves: Vec<PastTierMove> = p
        .tier_moves
        .iter()
        .map(|m| PastTierMove {
            at: m.at,
            from_rank: i64::from(m.from_rank),
            to_rank: i64::from(m.to_rank),
            rule: m.rule,
        })
        .collect();
    store
        .load_partner_past(partner_id, &profile(p), &moves)
        .await
}
