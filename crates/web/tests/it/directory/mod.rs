//! The directory: listings written by partners, published at once (open) or after review
//! (curated), verified and unpublished by the vendor; the public search (ranking, typos,
//! filters) on both databases; the public pages (canonical address, OpenGraph, JSON-LD,
//! sitemap, sanitised Markdown); a visitor in Chromium on a phone-sized window.

mod api;
mod browser;
pub(crate) mod curation;
pub(crate) mod trust;
mod ui;

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Side, TestApp};

/// A listing body with `title`, `categories` and whatever `extra` adds.
pub(crate) fn listing_body(title: &str, categories: &[&str], extra: Value) -> Value {
    let mut body = json!({
        "title": title,
        "summary": format!("{title}: what we do for you"),
        "description": format!("## About {title}\n\nWe help customers succeed."),
        "categories": categories,
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

/// `side`'s admin writes a listing; returns it (a draft).
pub(crate) async fn draft(app: &TestApp, side: &Side, body: &Value) -> Value {
    let r = app
        .http
        .post("/api/v1/directory/listings", &side.admin_token, body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["status"], "draft");
    r.json()
}

/// `side`'s admin writes and submits a listing; returns it as submitted.
pub(crate) async fn submitted(app: &TestApp, side: &Side, body: &Value) -> Value {
    let l = draft(app, side, body).await;
    let r = app
        .http
        .post(
            &format!(
                "/api/v1/directory/listings/{}/submit",
                l["id"].as_str().unwrap()
            ),
            &side.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// The titles a search answers, in order.
pub(crate) async fn search(app: &TestApp, token: &str, query: &str) -> (Vec<String>, Value) {
    let r = app
        .http
        .get(&format!("/api/v1/directory/search?{query}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    let v = r.json();
    let titles = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_owned())
        .collect();
    (titles, v)
}
