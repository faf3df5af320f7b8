//! The Rust client generated from the document (`partnerops-client`), as an integrator uses
//! it: its committed copy of the document is the one the server serves, and a few calls
//! over real HTTP come back typed (the Rust half of `scripts/api_client_check.py`).

use hyper::{Method, StatusCode};
use partnerops_client::{Client, Error, types};
use serde_json::Value;

use crate::harness::{Db, TestApp, spawn};
use crate::on_both;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../client/openapi.json");

/// The first JSON pointer where `a` and `b` differ.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x
            .keys()
            .chain(y.keys().filter(|k| !x.contains_key(*k)))
            .find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{at}/{k}")),
                _ => Some(format!("{at}/{k}")),
            }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}/{i}"))),
        _ => (a != b).then(|| at.to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_is_generated_from_the_served_document() {
    let app = spawn(Db::Sqlite).await;
    // Test servers run with generous rate limits, which the document states; the committed
    // copy is what a server with the default settings serves.
    let server = app
        .instance_with_rate_limits(partnerops_web::ApiRateLimits::default(), chrono::Utc::now())
        .await;
    let served = server
        .http
        .send(Method::GET, "/api/v1/openapi.json", &[], Default::default())
        .await;
    assert_eq!(served.status, StatusCode::OK);
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(COMMITTED).unwrap()).unwrap();
    if let Some(at) = first_difference(&served.json(), &committed, "") {
        panic!(
            "crates/client/openapi.json is not the document the server serves (first difference at {at}). Refresh it with `partnerops openapi > crates/client/openapi.json` (from a checkout: `cargo run -q -p partnerops -- openapi > crates/client/openapi.json`) and commit it with the change."
        );
    }
}

on_both!(the_generated_client_reads_what_the_api_answers);

async fn the_generated_client_reads_what_the_api_answers(app: TestApp) {
    let w = app.world().await;
    let base = app.http.base();
    let vendor = Client::with_token(base, &w.admin).unwrap();

    // Lists come back as typed pages, the cursor leading to the next one.
    let first = vendor
        .partners_list()
        .limit("1")
        .sort("name")
        .send()
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = first.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Alpha Systems"]);
    assert_eq!(
        first.items[0].id,
        types::PartnerId(w.a.partner.id.to_string())
    );
    let cursor = first.next_cursor.expect("a cursor to the second page");
    let second = vendor
        .partners_list()
        .limit("1")
        .sort("name")
        .cursor(cursor)
        .send()
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = second.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Beta Consulting"]);
    assert_eq!(second.next_cursor, None, "the last page");

    // A create with an idempotency key, read back by id; enums parse into their types.
    let domain = format!("client-{}.example", uuid::Uuid::now_v7().simple());
    let key = uuid::Uuid::now_v7().to_string();
    let created = vendor
        .accounts_create()
        .idempotency_key(key.as_str())
        .body(
            types::AccountInput::builder()
                .name(Some("Generated Client GmbH".to_owned()))
                .web_domain(Some(domain.clone()))
                .country(Some("DE".to_owned())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created = created.into_inner();
    assert!(created.id.starts_with("acc_"), "{created:?}");
    assert_eq!(created.status, types::AccountStatus::Prospect);
    assert_eq!(created.web_domain.as_deref(), Some(domain.as_str()));
    let again = vendor
        .accounts_get()
        .id(created.id.to_string())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            &again.id,
            &again.name,
            &again.web_domain,
            &again.country,
            again.status,
            again.created_at,
        ),
        (
            &created.id,
            &created.name,
            &created.web_domain,
            &created.country,
            created.status,
            created.created_at,
        )
    );

    // A refusal is a typed problem document naming the field and the rule.
    let refused = vendor
        .accounts_create()
        .body(
            types::AccountInput::builder()
                .name(Some("X".to_owned()))
                .country(Some("XX".to_owned())),
        )
        .send()
        .await;
    let Err(Error::ErrorResponse(problem)) = refused else {
        panic!("a bad country is refused with a problem document: {refused:?}");
    };
    assert_eq!(problem.status().as_u16(), 422);
    let problem = problem.into_inner();
    assert_eq!(problem.status, 422);
    assert!(
        problem.errors.iter().any(|e| e.field == "country"),
        "{problem:?}"
    );

    // A CSV body (declared text/plain to the generator) reaches the import.
    let run = vendor
        .imports_import()
        .kind("accounts")
        .dry_run(true)
        .body(crate::import::sample("salesforce_report_accounts.csv"))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((run.dry_run, run.created), (true, 5));

    // A partner user sees its own company only, and no accounts.
    let partner = Client::with_token(base, &w.a.admin_token).unwrap();
    let own = partner.partners_list().send().await.unwrap().into_inner();
    let ids: Vec<String> = own.items.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(ids, [w.a.partner.id.to_string()]);
    let accounts = partner.accounts_list().send().await.unwrap().into_inner();
    assert!(accounts.items.is_empty(), "{:?}", accounts.items);

    // A wrong token: 401 as a problem document.
    let stranger = Client::with_token(base, "not-a-token").unwrap();
    let refused = stranger.partners_list().send().await;
    let Err(Error::ErrorResponse(problem)) = refused else {
        panic!("a wrong token is refused with a problem document: {refused:?}");
    };
    assert_eq!(problem.status().as_u16(), 401);
    assert_eq!(problem.into_inner().status, 401);
}
