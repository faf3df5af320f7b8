//! Incentives and payouts: accrual from closes won (exactly once), renewals and clawbacks,
//! statements through dispute, approval and payment, CSV, and the economics what-if.

mod api;

use partnerops_core::payout::policy::{
    Accelerator, AcceleratorKind, IncentivePolicy, PayoutPeriod, TierRates,
};
use serde_json::Value;

use crate::harness::{TestApp, World};
use crate::lifecycle::{in_force, publish};

/// Rates every tier of `program`'s ladder earns in these tests.
pub(crate) fn rates(tier: &str) -> TierRates {
    TierRates {
        tier: tier.into(),
        resale_margin_bp: 1500,
        referral_fee_bp: 1000,
        co_sell_split_bp: 500,
        marketplace_bp: 300,
        renewal_bp: 500,
        renewal_years: 1,
        expansion_bp: 1000,
    }
}

/// Publishes monthly economics (minimum `minimum`, 90-day clawback) on the world's program.
pub(crate) async fn publish_incentives(app: &TestApp, w: &World, minimum: i64) -> Value {
    let program = w.program.id.to_string();
    let mut p = in_force(app, &w.admin, &program).await;
    p.incentives = IncentivePolicy {
        payout_period: PayoutPeriod::Monthly,
        minimum_payout_minor: minimum,
        clawback_days: 90,
        tiers: p.tiers.iter().map(|t| rates(&t.name)).collect(),
        accelerators: vec![Accelerator {
            kind: AcceleratorKind::JbpMilestone,
            extra_bp: 200,
            at_least: 1,
        }],
    };
    publish(app, &w.admin, &program, &p.to_toml(), "economics").await
}
