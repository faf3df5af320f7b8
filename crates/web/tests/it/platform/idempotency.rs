//! `Idempotency-Key` on both databases: a retried create returns the first answer and
//! creates nothing twice, also when two instances get it at once; a key reused for another
//! request is refused; keys are per credential.

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::TestApp;
use crate::http::{Answer, Http};
use crate::on_both;

on_both!(a_retried_create_creates_once, two_instances_create_once);

async fn post(http: &Http, token: &str, key: &str, body: &Value) -> Answer {
    let auth = format!("Bearer {token}");
    http.send(
        Method::POST,
        "/api/v1/accounts",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
            ("idempotency-key", key),
        ],
        serde_json::to_vec(body).unwrap().into(),
    )
    .await
}

async fn accounts_named(app: &TestApp, token: &str, name: &str) -> usize {
    let r = app.http.get("/api/v1/accounts?limit=200", token).await;
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == name)
        .count()
}

async fn a_retried_create_creates_once(app: TestApp) {
    let w = app.world().await;
    let body = json!({"name": "Hooli XYZ", "web_domain": "hooli-xyz.example", "country": "US"});
    let first = post(&app.http, &w.admin, "3f2b1c9e-create-hooli", &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    assert!(first.header("idempotent-replayed").is_none());
    let retry = post(&app.http, &w.admin, "3f2b1c9e-create-hooli", &body).await;
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.text());
    assert_eq!(retry.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(retry.json()["id"], first.json()["id"]);
    assert_eq!(accounts_named(&app, &w.admin, "Hooli XYZ").await, 1);
    // The same key for another request is refused, naming the header.
    let other = json!({"name": "Other Co", "country": "US"});
    let r = post(&app.http, &w.admin, "3f2b1c9e-create-hooli", &other).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.problem_rules(),
        vec!["Idempotency-Key:idempotency.reused"]
    );
    // A malformed key is refused before anything runs.
    let r = post(&app.http, &w.admin, "has space", &other).await;
    assert_eq!(r.problem_rules(), vec!["Idempotency-Key:idempotency_key"]);
    assert_eq!(accounts_named(&app, &w.admin, "Other Co").await, 0);
    // A refusal is kept too: the retry of a create that failed validation fails the same.
    let bad = json!({"name": "", "country": "US"});
    let a = post(&app.http, &w.admin, "bad-once", &bad).await;
    let b = post(&app.http, &w.admin, "bad-once", &bad).await;
    assert_eq!(
        (a.status, b.status),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNPROCESSABLE_ENTITY
        )
    );
    assert_eq!(a.text(), b.text());
    // Keys belong to a credential: another user's same key is its own.
    let theirs = json!({"name": "Channel Co", "country": "US"});
    let r = post(&app.http, &w.channel, "3f2b1c9e-create-hooli", &theirs).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(r.header("idempotent-replayed").is_none());
}

async fn two_instances_create_once(app: TestApp) {
    let w = app.world().await;
    let second = app.second_instance().await;
    let body = json!({"name": "Raviga Capital", "web_domain": "raviga.example", "country": "US"});
    let mut tasks = Vec::new();
    for i in 0..8 {
        let http = if i % 2 == 0 {
            app.http.clone()
        } else {
            second.http.clone()
        };
        let (token, body) = (w.admin.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            post(&http, &token, "raviga-create-1", &body).await.status
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {} // the first was still running: retry later
            other => panic!("unexpected {other}"),
        }
    }
    assert!(created >= 1);
    assert_eq!(accounts_named(&app, &w.admin, "Raviga Capital").await, 1);
    // Once the first has answered, every retry gets its answer.
    let r = post(&second.http, &w.admin, "raviga-create-1", &body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.header("idempotent-replayed").as_deref(), Some("true"));
}
