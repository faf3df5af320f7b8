//! CSV import (issue 13): each sample format (`files/`: Salesforce report exports with their
//! BOM and footer, Data Loader exports, HubSpot exports, our own export, currency rates) of
//! each kind (accounts, partners, contacts, opportunities, registrations, touchpoints),
//! the all-or-nothing refusal by row and column, dry runs, idempotent re-imports, remembered
//! mappings, and the role rule.

mod api;
mod kinds;
mod ui;

use hyper::Method;
use hyper::body::Bytes;
use serde_json::Value;

use crate::harness::TestApp;
use crate::http::{Answer, enc};

/// A sample file's bytes.
pub fn sample(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/it/import/files/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `POST /api/v1/imports?query` with `csv` as a `text/csv` body.
pub async fn post_csv(app: &TestApp, token: &str, query: &str, csv: &[u8]) -> Answer {
    let path = format!("/api/v1/imports?{query}");
    let auth = format!("Bearer {token}");
    let answer = app
        .http
        .send(
            Method::POST,
            &path,
            &[("authorization", &auth), ("content-type", "text/csv")],
            Bytes::copy_from_slice(csv),
        )
        .await;
    crate::openapi::api::assert_conforms(&Method::POST, &path, &answer);
    answer
}

/// Imports sample `file` as `kind`: a dry run for the suggested mapping, then the import
/// under that mapping (as a user confirming it would). Answers the run.
pub async fn import_sample(app: &TestApp, token: &str, kind: &str, file: &str) -> Value {
    let csv = sample(file);
    let dry = post_csv(
        app,
        token,
        &format!("kind={kind}&dry_run=true&file_name={file}"),
        &csv,
    )
    .await;
    assert_eq!(dry.status, 200, "{file}: {}", dry.text());
    let mapping = mapping_text(&dry.json()["mapping"]);
    let source = dry.json()["source"].as_str().unwrap().to_owned();
    let r = post_csv(
        app,
        token,
        &format!(
            "kind={kind}&source={source}&mapping={}&file_name={file}",
            enc(&mapping)
        ),
        &csv,
    )
    .await;
    assert_eq!(r.status, 200, "{file}: {}", r.text());
    r.json()
}

/// A mapping object as `field=Column,…`.
pub fn mapping_text(m: &Value) -> String {
    m.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
        .collect::<Vec<_>>()
        .join(",")
}

/// A done import run of the vendor's, for routes that name one.
pub async fn vendor_run(app: &TestApp, admin: &str) -> String {
    let run = import_sample(app, admin, "fx_rates", "fx_rates.csv").await;
    run["id"].as_str().unwrap().to_owned()
}
