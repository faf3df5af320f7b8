//! Account mapping: dual opt-in, uploads of a Salesforce report and a HubSpot export (with
//! the report's footer lines, and a broken row that refuses the whole file), matching by
//! domain and by name within the country, the overlap matrix, drill-down only where both
//! sides share, matches to confirm, co-sell suggestions, deletion; on both databases.

mod api;
mod browser;
mod ui;

use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use partnerops_core::account::AccountInput;
use serde_json::{Value, json};

use crate::harness::{Side, TestApp, World};
use crate::http::{Answer, enc};

pub const PARTNERSHIPS: &str = "/api/v1/mapping/partnerships";

/// A sample file's bytes.
pub fn sample(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/it/mapping/files/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `POST …/{id}/upload?query` with `csv` as a `text/csv` body.
pub async fn post_csv(app: &TestApp, token: &str, id: &str, query: &str, csv: &[u8]) -> Answer {
    let path = format!("{PARTNERSHIPS}/{id}/upload?{query}");
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

/// A mapping object as `field=Column,…`.
pub fn mapping_text(m: &Value) -> String {
    m.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Uploads sample `file`: a dry run for the suggested mapping, then the upload under it
/// (as a user confirming it would). Answers the upload.
pub async fn upload_sample(app: &TestApp, token: &str, id: &str, file: &str) -> Answer {
    let csv = sample(file);
    let dry = post_csv(
        app,
        token,
        id,
        &format!("dry_run=true&file_name={file}"),
        &csv,
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK, "{file}: {}", dry.text());
    let mapping = mapping_text(&dry.json()["mapping"]);
    post_csv(
        app,
        token,
        id,
        &format!("mapping={}&file_name={file}", enc(&mapping)),
        &csv,
    )
    .await
}

/// The vendor's accounts for the scenarios: customers, a prospect with an open
/// opportunity (the world's Globex), a prospect, and accounts no partner file names.
pub async fn vendor_accounts(app: &TestApp, w: &World) {
    for (name, domain, country, status) in [
        ("Initech Systems", Some("initech.example"), "DE", "customer"),
        ("Umbrella Corporation", None, "GB", "customer"),
        ("Hooli", Some("hooli.example"), "US", "prospect"),
        (
            "Vandelay Industries",
            Some("vandelay.example"),
            "US",
            "customer",
        ),
        ("Acme Store 1", None, "US", "customer"),
    ] {
        app.store
            .create_account(
                &partnerops_store::Actor::System("test".into()),
                &AccountInput {
                    name: Some(name.into()),
                    web_domain: domain.map(Into::into),
                    country: Some(country.into()),
                    status: Some(status.into()),
                    ..Default::default()
                },
            )
            .await
            .expect("account");
    }
    let r = app
        .http
        .post(
            "/api/v1/opportunities",
            &w.channel,
            &json!({"program_id": w.program.id.to_string(), "account_id": w.account.id.to_string(), "title": "Globex platform",
                    "amount_minor": 1_000_000, "currency": "USD", "expected_close_on": "2027-02-15", "source": "direct"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

/// `side` proposes a mapping partnership and the vendor's admin accepts it: its id.
pub async fn active(app: &TestApp, w: &World, side: &Side) -> String {
    let r = app
        .http
        .post(PARTNERSHIPS, &side.admin_token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(&format!("{PARTNERSHIPS}/{id}/accept"), &w.admin, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "active");
    id
}

/// B's active mapping partnership with an upload and shared fields everywhere, for the
/// isolation checks: its id.
pub async fn b_mapping(app: &TestApp, w: &World) -> String {
    let id = active(app, w, &w.b).await;
    let all = json!({"sharing": {"customer": ["name", "web_domain", "country"], "open_opportunity": ["name"], "prospect": ["name"]}});
    for token in [&w.b.admin_token, &w.admin] {
        let r = app
            .http
            .api(
                Method::PUT,
                &format!("{PARTNERSHIPS}/{id}/settings"),
                Some(token),
                Some(&all),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let r = upload_sample(app, &w.b.admin_token, &id, "hubspot_companies.csv").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id
}
