//! Co-marketing launch checklists: a template authored, launches started for a charter and
//! for a campaign, task updates by both sides, rescheduling, the cadence's overdue tasks,
//! and what a partner may not see or do.

mod api;
mod browser;

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Side, TestApp, World};

/// A charter of `side`'s, opened by channel staff; returns its id.
pub(crate) async fn charter_of(app: &TestApp, w: &World, side: &Side) -> String {
    let r = app
        .http
        .post(
            "/api/v1/charters",
            &w.channel,
            &json!({"partner_id": side.partner.id.to_string(), "title": format!("{} integration alliance", side.partner.name),
                    "content": {"story": {"who_buys": "IT operations"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

/// A launch of `side`'s charter from the seed checklist on `launch_on`, started by staff.
pub(crate) async fn charter_launch(
    app: &TestApp,
    w: &World,
    side: &Side,
    launch_on: &str,
) -> Value {
    let charter = charter_of(app, w, side).await;
    let r = app
        .http
        .post(
            "/api/v1/launches",
            &w.channel,
            &json!({"charter_id": charter, "launch_on": launch_on}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

/// B's launch (of its charter), a template of B's program, and one of its tasks, for the
/// isolation suites: (template, launch, task).
pub(crate) async fn launch_records(
    app: &TestApp,
    w: &World,
    side: &Side,
    program: &str,
) -> (String, String, String) {
    let r = app
        .http
        .post(
            "/api/v1/launch-templates/seed",
            &w.admin,
            &json!({"program_id": program}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let template = r.json()["id"].as_str().unwrap().to_owned();
    let launch = charter_launch(app, w, side, "2027-03-10").await;
    let task = launch["tasks"][0]["id"].as_str().unwrap().to_owned();
    (template, launch["id"].as_str().unwrap().to_owned(), task)
}
