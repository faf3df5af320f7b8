//! Incentives and payouts: accrual from closes won (exactly once), renewals and clawbacks,
//! statements through dispute, approval and payment, CSV, and the economics what-if.

mod api;
mod browser;

use chrono::Utc;
use hyper::StatusCode;
use partnerops_core::payout::policy::{
    Accelerator, AcceleratorKind, IncentivePolicy, PayoutPeriod, TierRates,
};
use serde_json::{Value, json};

use crate::harness::{Side, TestApp, World};
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
    publish_incentives_on(app, w, &w.program.id.to_string(), minimum).await
}

/// The same economics on any program.
pub(crate) async fn publish_incentives_on(
    app: &TestApp,
    w: &World,
    program: &str,
    minimum: i64,
) -> Value {
    let program = program.to_owned();
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

/// One partner's payout records: a line of a won deal, the statement that gathered it (a
/// month later) and the partner admin's dispute of that line.
pub(crate) struct Payouts {
    pub opportunity: String,
    pub line: String,
    pub statement: String,
    pub dispute: String,
}

/// Creates `side`'s payout records in `program` (its own), through the API and the accrual.
pub(crate) async fn payouts(app: &TestApp, w: &World, side: &Side, program: &str) -> Payouts {
    publish_incentives_on(app, w, program, 0).await;
    let name = &side.partner.name;
    let domain = format!("payout-{}.example", &side.partner.id.to_string()[4..]);
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &side.rep_token,
            &json!({"account": {"name": format!("{name} payout customer"), "web_domain": domain, "country": "US"},
                    "title": "Won and paid", "estimated_arr_minor": 30_000_00}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let reg = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{reg}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let opportunity = r.json()["opportunity_id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/opportunities/{opportunity}/close"),
            &w.channel,
            &json!({"outcome": "won", "close_on": Utc::now().date_naive().to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    app.store.accrue_payouts().await.expect("accrue");
    let later = app.shifted_instance(chrono::Duration::days(40)).await;
    let r = later
        .http
        .post("/api/v1/payout-statements/run", &w.finance, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .http
        .get(
            &format!("/api/v1/payout-statements?partner_id={}", side.partner.id),
            &w.finance,
        )
        .await;
    let statement = r.json()["items"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .get(
            &format!("/api/v1/payout-statements/{statement}"),
            &w.finance,
        )
        .await;
    let line = r.json()["lines"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/payout-statements/{statement}/disputes"),
            &side.admin_token,
            &json!({"line_id": line, "comment": format!("{name}: the rate looks low")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let dispute = r.json()["disputes"][0]["id"].as_str().unwrap().to_owned();
    Payouts {
        opportunity,
        line,
        statement,
        dispute,
    }
}
