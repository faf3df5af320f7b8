//! What-if for the economics: replays closed deals (and their renewals and expansions)
//! under the published `[incentives]` section and under a draft, and says per partner and in
//! total what the program would have paid instead. It never writes; the store loads the
//! deals of the last N months once and calls [`replay`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::accrual::{Deal, Standing, accrue_close, accrue_expansion, accrue_renewal};
use super::policy::IncentivePolicy;
use crate::ids::{EntityId, PartnerId};
use crate::money::{Currency, Money};

/// A closed deal to replay with what happened after it.
#[derive(Clone, Debug)]
pub struct ReplayDeal {
    pub partner_id: PartnerId,
    pub deal: Deal,
    pub standing: Standing,
    /// Renewal ARR in order (the first renewal first), in the deal's currency.
    pub renewals: Vec<Money>,
    /// ARR added by each expansion, in the deal's currency.
    pub expansions: Vec<Money>,
}

/// What one partner would have been paid, in the statement currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerCost {
    pub partner_id: String,
    /// Filled by the store.
    pub partner_name: String,
    pub deals: u64,
    pub current_minor: i64,
    pub draft_minor: i64,
    /// `draft - current`: positive when the draft pays more.
    pub delta_minor: i64,
}

/// The whole replay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EconomicsWhatIf {
    /// The statement (program) currency of every amount; filled by the store.
    pub currency: Option<Currency>,
    /// How many months of closed deals were replayed; filled by the store.
    pub months: u32,
    pub deals: u64,
    pub current_minor: i64,
    pub draft_minor: i64,
    pub delta_minor: i64,
    /// Deals that could not be replayed (an amount that overflows at its rate).
    pub skipped: u64,
    /// Every partner with a deal, largest change first.
    pub partners: Vec<PartnerCost>,
}

impl EconomicsWhatIf {
    /// An amount of the replay for people (`USD 1,250.00`); takes a reference too, as
    /// templates pass one.
    pub fn money(&self, minor: impl std::borrow::Borrow<i64>) -> String {
        let minor = *minor.borrow();
        self.currency
            .map_or_else(|| minor.to_string(), |c| Money::new(minor, c).to_string())
    }
}

/// What a deal pays under `policy`, in the statement currency.
fn paid(d: &ReplayDeal, policy: &IncentivePolicy) -> Option<i64> {
    let mut sum = 0_i64;
    for l in accrue_close(&d.deal, policy, 0, &d.standing).ok()? {
        sum += l.statement_amount.amount_minor;
    }
    for (i, arr) in d.renewals.iter().enumerate() {
        if let Some(l) = accrue_renewal(&d.deal, policy, 0, i as u32 + 1, *arr).ok()? {
            sum += l.statement_amount.amount_minor;
        }
    }
    for added in &d.expansions {
        if let Some(l) = accrue_expansion(&d.deal, policy, 0, *added).ok()? {
            sum += l.statement_amount.amount_minor;
        }
    }
    Some(sum)
}

/// Replays `deals` under both sections.
pub fn replay(
    deals: &[ReplayDeal],
    current: &IncentivePolicy,
    draft: &IncentivePolicy,
) -> EconomicsWhatIf {
    let mut out = EconomicsWhatIf::default();
    let mut by_partner: BTreeMap<&str, PartnerCost> = BTreeMap::new();
    for d in deals {
        let (Some(now), Some(then)) = (paid(d, current), paid(d, draft)) else {
            out.skipped += 1;
            continue;
        };
        out.deals += 1;
        out.current_minor += now;
        out.draft_minor += then;
        let p = by_partner
            .entry(d.partner_id.as_str())
            .or_insert_with(|| PartnerCost {
                partner_id: d.partner_id.to_string(),
                ..PartnerCost::default()
            });
        p.deals += 1;
        p.current_minor += now;
        p.draft_minor += then;
    }
    out.delta_minor = out.draft_minor - out.current_minor;
    out.partners = by_partner
        .into_values()
        .map(|mut p| {
            p.delta_minor = p.draft_minor - p.current_minor;
            p
        })
        .collect();
    out.partners.sort_by(|a, b| {
        b.delta_minor
            .abs()
            .cmp(&a.delta_minor.abs())
            .then(a.partner_id.cmp(&b.partner_id))
    });
    out
}
