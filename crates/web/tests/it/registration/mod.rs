//! Deal registration: registrations, conflict cases and engagement requests (API, UI, browser).

mod api;
mod browser;
mod concurrency;
mod conflict;
mod engagement;
mod regressions;
mod review;
mod review_ui;
mod ui;

use chrono::{DateTime, Duration, Utc};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::{Answer, Http};

// ---------------------------------------------------------------------------------------
// Helpers

/// A registration body describing the company.
fn described(name: &str, domain: Option<&str>, country: &str, arr: i64) -> Value {
    let mut account = json!({"name": name, "country": country});
    if let Some(d) = domain {
        account["web_domain"] = json!(d);
    }
    json!({"account": account, "title": format!("{name} rollout"), "estimated_arr_minor": arr})
}

/// The stored precision of a time: microseconds (the API echoes some times unrounded).
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    chrono::DurationRound::duration_trunc(t, Duration::microseconds(1)).unwrap()
}

fn ts(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("not RFC 3339 ({e}): {v}"))
        .with_timezone(&Utc)
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

async fn submit(http: &Http, token: &str, body: &Value) -> Answer {
    http.post("/api/v1/registrations", token, body).await
}

/// Submits and expects 201.
async fn registered(app: &TestApp, token: &str, body: &Value) -> Value {
    let r = submit(&app.http, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn get(app: &TestApp, token: &str, reg: &str) -> Value {
    let r = app
        .http
        .get(&format!("/api/v1/registrations/{reg}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn act(app: &TestApp, token: &str, reg: &str, what: &str, body: &Value) -> Answer {
    app.http
        .post(&format!("/api/v1/registrations/{reg}/{what}"), token, body)
        .await
}

async fn approve(app: &TestApp, w: &World, reg: &str) -> Value {
    let r = act(app, &w.channel, reg, "approve", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "approved");
    v
}

/// The decisions about a record, as (rule, outcome, policy_version).
async fn decisions(http: &Http, token: &str, path: &str) -> Vec<(String, String, i64)> {
    let r = http.get(&format!("{path}/decisions"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["outcome"].as_str().unwrap().to_owned(),
                d["policy_version"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn rules_of(http: &Http, token: &str, path: &str) -> Vec<String> {
    decisions(http, token, path)
        .await
        .into_iter()
        .map(|d| d.0)
        .collect()
}

async fn full_decisions(http: &Http, token: &str, path: &str) -> Vec<Value> {
    let r = http.get(&format!("{path}/decisions"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    r.json().as_array().unwrap().clone()
}

/// The outbox's event kinds about one record, oldest first.
async fn events_of(app: &TestApp, entity: &str) -> Vec<String> {
    app.store
        .pending_events(&partnerops_core::scope::Scope::Vendor, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity_id == entity)
        .map(|e| e.kind)
        .collect()
}

fn refused_rule(r: &Answer) -> String {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    r.json()["rule"].as_str().unwrap_or_default().to_owned()
}

async fn put_policy(app: &TestApp, token: &str, program: &str, policy: &Value) -> Answer {
    app.http
        .api(
            Method::PUT,
            &format!("/api/v1/programs/{program}/registration-policy"),
            Some(token),
            Some(policy),
        )
        .await
}

/// What a refused partner may read must not name the holder.
fn names_nobody(text: &str, w: &World, holder_registration: &str) {
    for secret in [
        "Alpha",
        "alpha.example",
        w.a.partner.id.to_string().as_str(),
        w.a.admin.id.to_string().as_str(),
        w.a.rep.id.to_string().as_str(),
        holder_registration,
    ] {
        assert!(!text.contains(secret), "leaks {secret}: {text}");
    }
}
