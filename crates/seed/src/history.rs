//! The part of a program's past no store function writes: a partner's joining profile (kept
//! by an application's approval) and its tier moves (written by the daily tiering job as
//! they happen). Written here with the store's SQL builder, with the same columns and values
//! those would have written, so the fit model and the partner history read them as usual.

use partnerops_core::country::Country;
use partnerops_core::ids::{EntityId, TierChangeId};
use partnerops_core::lifecycle::application::Profile;
use partnerops_store::db::{Exec, Sql};
use partnerops_store::{Store, StoreError, new_id};

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
    let json = serde_json::to_string(&profile(p))
        .map_err(|e| StoreError::Corrupt(format!("profile of {}: {e}", p.name)))?;
    let mut tx = store.db().begin_write().await?;
    let mut q = Sql::new("UPDATE partners SET profile = ");
    q.bind(json).push(" WHERE id = ").bind(partner_id);
    tx.execute(&q).await?;
    for m in &p.tier_moves {
        let id: TierChangeId = new_id();
        let mut q = Sql::new(
            "INSERT INTO tier_changes (id, partner_id, at, from_rank, to_rank, rule, policy_version) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(partner_id)
            .push(", ")
            .bind(m.at)
            .push(", ")
            .bind(m.from_rank)
            .push(", ")
            .bind(m.to_rank)
            .push(", ")
            .bind(m.rule.as_str())
            .push(", ")
            .bind(1i64)
            .push(")");
        tx.execute(&q).await?;
    }
    tx.commit().await?;
    Ok(())
}
