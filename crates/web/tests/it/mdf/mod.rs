//! Market development funds: budget → allocation → request → approval → claim → paid on
//! both databases, the balance never overspent under concurrent requests from two
//! instances, the portal and console in Chromium.

mod api;
mod browser;
mod ui;

use chrono::Utc;
use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Side, TestApp, World};

pub(crate) fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

/// Asserts `status` and returns the body.
pub(crate) fn expect(r: &crate::http::Answer, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    r.json()
}

/// A budget of `amount` USD on `program`, for the current quarter-ish (today ± 60 days).
pub(crate) async fn budget(app: &TestApp, w: &World, program: &str, amount: i64) -> String {
    let r = app
        .http
        .post(
            "/api/v1/mdf-budgets",
            &w.finance,
            &json!({"program_id": program, "name": "MDF this period", "amount_minor": amount,
                    "currency": "USD",
                    "period_start": (today() - chrono::Days::new(60)).to_string(),
                    "period_end": (today() + chrono::Days::new(60)).to_string()}),
        )
        .await;
    expect(&r, StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Allocates `amount` of `budget` to `partner`.
pub(crate) async fn allocate(
    app: &TestApp,
    w: &World,
    budget: &str,
    partner: &str,
    amount: i64,
) -> String {
    let r = app
        .http
        .post(
            "/api/v1/mdf-allocations",
            &w.channel,
            &json!({"budget_id": budget, "partner_id": partner, "amount_minor": amount}),
        )
        .await;
    expect(&r, StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A request body for `allocation`.
pub(crate) fn request_body(allocation: &str, title: &str, planned: i64) -> Value {
    json!({"allocation_id": allocation, "activity_type": "event", "title": title,
           "planned_minor": planned, "currency": "USD",
           "starts_on": (today() - chrono::Days::new(10)).to_string(),
           "ends_on": (today() - chrono::Days::new(9)).to_string(),
           "expected_leads": 40, "expected_pipeline_minor": 200_000_00})
}

/// One partner's MDF records: a budget of its program, an allocation, a request approved
/// and claimed, and the claim.
pub(crate) struct Mdf {
    pub budget: String,
    pub allocation: String,
    pub request: String,
    pub claim: String,
}

/// Creates `side`'s MDF records in `program` (its own) through the API.
pub(crate) async fn mdf_records(app: &TestApp, w: &World, side: &Side, program: &str) -> Mdf {
    let budget = budget(app, w, program, 50_000_00).await;
    let allocation = allocate(app, w, &budget, &side.partner.id.to_string(), 20_000_00).await;
    let title = format!("{} roadshow", side.partner.name);
    let r = app
        .http
        .post(
            "/api/v1/mdf-requests",
            &side.rep_token,
            &request_body(&allocation, &title, 5_000_00),
        )
        .await;
    let request = expect(&r, StatusCode::CREATED)["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{request}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    expect(&r, StatusCode::OK);
    let proof = crate::file::proof_of(app, side).await;
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{request}/claim"),
            &side.admin_token,
            &json!({"claimed_minor": 4_000_00, "proof_summary": format!("{}: 120 attendees", side.partner.name), "proof_file_ids": [proof]}),
        )
        .await;
    let claim = expect(&r, StatusCode::CREATED)["claim"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Mdf {
        budget,
        allocation,
        request,
        claim,
    }
}
