//! Notifications: outbox events become in-app notifications and e-mails that arrive at a
//! real SMTP server (`crate::mailbox`), on both databases. `api.rs`: who is notified of
//! what, the caller's own list and choices; `mail.rs`: immediate e-mails, the daily
//! digest, two instances sending each e-mail once, retries after SMTP failures; `ui.rs`:
//! the console and portal pages; `browser.rs`: the portal page in Chromium.

mod api;
mod browser;
mod mail;
mod ui;

use chrono::{DateTime, Utc};
use hyper::StatusCode;
use partnerops_store::jobs::RunReport;
use partnerops_store::notification::mail::NotifySettings;
use serde_json::{Value, json};

use crate::harness::{Side, TestApp, World};

/// A registration `side`'s rep submits and the channel manager approves; its id.
async fn approved(app: &TestApp, w: &World, side: &Side, company: &str) -> String {
    let id = submitted(app, side, company).await;
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{id}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id
}

/// A registration `side`'s rep submits (pending); its id. Its title is "<company> rollout".
async fn submitted(app: &TestApp, side: &Side, company: &str) -> String {
    let domain = format!("{}.example", company.to_lowercase().replace(' ', "-"));
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &side.rep_token,
            &json!({
                "account": {"name": company, "web_domain": domain, "country": "US"},
                "title": format!("{company} rollout"),
                "estimated_arr_minor": 5_000_000
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

/// Runs the due jobs as of `at` with `settings`, as `partnerops jobs run-due --as-of`
/// does with an `[smtp]` section.
async fn jobs_at(app: &TestApp, at: DateTime<Utc>, settings: &NotifySettings) -> RunReport {
    app.store_as_of(at)
        .with_notify(settings.clone())
        .run_due()
        .await
        .expect("run due jobs")
}

/// The caller's notifications, newest first.
async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.http.get("/api/v1/notifications", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"].as_array().unwrap().clone()
}

/// Sets the caller's e-mail choices.
async fn choose(app: &TestApp, token: &str, changes: Value) -> Value {
    let r = app
        .http
        .api(
            hyper::Method::PUT,
            "/api/v1/notification-preferences",
            Some(token),
            Some(&changes),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}
