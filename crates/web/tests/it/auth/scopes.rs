//! Token scopes and expiry: a token reaches only what its scopes name (write includes
//! read), an expired token is 401, a partner admin makes tokens for its own partner's users
//! only, and tokens from before scopes existed keep working.

use chrono::{Duration, Utc};
use hyper::{Method, StatusCode};
use partnerops_core::user::NewTokenInput;
use partnerops_store::Actor;
use serde_json::{Value, json};

use crate::harness::TestApp;
use crate::http::Answer;
use crate::on_both;

on_both!(
    scopes_narrow_what_a_token_reaches,
    expired_tokens_are_refused,
    tokens_for_other_users,
    tokens_from_before_scopes_keep_everything
);

async fn token(app: &TestApp, caller: &str, body: Value) -> Answer {
    app.http.post("/api/v1/tokens", caller, &body).await
}

fn secret(a: &Answer) -> String {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    a.json()["secret"].as_str().unwrap().to_owned()
}

fn assert_scope_refused(r: &Answer, needed: &str) {
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let p = r.json();
    assert_eq!(p["rule"], "token.scope");
    assert_eq!(
        p["type"],
        "https://partnerops.dev/problems/insufficient-scope"
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("`{needed}`")),
        "{p}"
    );
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        format!("Bearer error=\"insufficient_scope\", scope=\"{needed}\"")
    );
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
}

async fn scopes_narrow_what_a_token_reaches(app: TestApp) {
    let w = app.world().await;
    let before = Utc::now();
    let created = token(
        &app,
        &w.a.rep_token,
        json!({"name": "reader", "scopes": ["registration:read"]}),
    )
    .await;
    let reader = secret(&created);
    let t = &created.json()["token"];
    assert_eq!(t["scopes"], json!(["registration:read"]));
    // No expiry given: 90 days.
    let expires: chrono::DateTime<Utc> = t["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires >= before + Duration::days(90) && expires <= Utc::now() + Duration::days(90));

    assert_eq!(
        app.http.get("/api/v1/registrations", &reader).await.status,
        StatusCode::OK
    );
    let submit = app
        .http
        .post("/api/v1/registrations", &reader, &json!({}))
        .await;
    assert_scope_refused(&submit, "registration:write");
    assert_scope_refused(
        &app.http.get("/api/v1/partners", &reader).await,
        "partner:read",
    );
    // Nested parts of a record belong to their own capability.
    assert_scope_refused(
        &app.http
            .get(
                &format!("/api/v1/programs/{}/policy", w.program.id),
                &reader,
            )
            .await,
        "policy:read",
    );
    // The token's own capability needs its scope too; the document needs none.
    assert_scope_refused(&app.http.get("/api/v1/tokens", &reader).await, "token:read");
    let doc = app
        .http
        .send(
            Method::GET,
            "/api/v1/openapi.json",
            &[("authorization", &format!("Bearer {reader}"))],
            Default::default(),
        )
        .await;
    assert_eq!(doc.status, StatusCode::OK);

    // Write includes read.
    let writer = secret(
        &token(
            &app,
            &w.a.rep_token,
            json!({"name": "pipeline", "scopes": ["pipeline:write"]}),
        )
        .await,
    );
    assert_eq!(
        app.http.get("/api/v1/opportunities", &writer).await.status,
        StatusCode::OK
    );
    assert_scope_refused(
        &app.http.get("/api/v1/registrations", &writer).await,
        "registration:read",
    );

    // `*:read` reads everything and writes nothing.
    let all_read = secret(
        &token(
            &app,
            &w.admin,
            json!({"name": "dashboard", "scopes": ["*:read"], "expires_at": "30d"}),
        )
        .await,
    );
    assert_eq!(
        app.http.get("/api/v1/partners", &all_read).await.status,
        StatusCode::OK
    );
    let write = app
        .http
        .patch(
            &format!("/api/v1/partners/{}", w.a.partner.id),
            &all_read,
            &json!({"name": "Renamed"}),
        )
        .await;
    assert_scope_refused(&write, "partner:write");
    let unchanged = app
        .http
        .get(&format!("/api/v1/partners/{}", w.a.partner.id), &w.admin)
        .await
        .json();
    assert_eq!(unchanged["name"], "Alpha Systems");

    // A scope never widens the role: a rep's `*` token still cannot govern partners.
    let everything = secret(&token(&app, &w.a.rep_token, json!({"name": "all"})).await);
    let r = app
        .http
        .post("/api/v1/programs", &everything, &json!({"name": "Mine"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["rule"], "role.write_program");

    // Bad scopes and expiries name the field and the rule.
    let bad = token(
        &app,
        &w.a.rep_token,
        json!({"name": "x", "scopes": ["registration:read", "deals:write"], "expires_at": "400d"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.problem_rules(),
        vec!["scopes[1]:token_scope", "expires_at:token.max_lifetime"]
    );
    let forever = token(&app, &w.admin, json!({"name": "x", "expires_at": "never"})).await;
    assert_eq!(
        forever.problem_rules(),
        vec!["expires_at:token.max_lifetime"]
    );
    let none = token(&app, &w.admin, json!({"name": "x", "scopes": []})).await;
    assert_eq!(none.problem_rules(), vec!["scopes:min_items"]);
}

async fn expired_tokens_are_refused(app: TestApp) {
    let w = app.world().await;
    // Made 91 days ago with the default lifetime (90 days): expired a day ago.
    let (_, old) = app
        .store_as_of(Utc::now() - Duration::days(91))
        .create_token(
            &Actor::system("test"),
            &w.a.rep.id,
            &NewTokenInput {
                name: Some("old".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let r = app.http.get("/api/v1/me", &old).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    assert_eq!(
        r.json()["type"],
        "https://partnerops.dev/problems/token-expired"
    );
    assert_eq!(r.json()["rule"], "token.expired");
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );

    // A fresh token works today and stops once its 30 days have passed (an instance whose
    // clock is 31 days ahead).
    let fresh = secret(
        &token(
            &app,
            &w.a.rep_token,
            json!({"name": "month", "expires_at": "30d"}),
        )
        .await,
    );
    assert_eq!(
        app.http.get("/api/v1/me", &fresh).await.status,
        StatusCode::OK
    );
    let later = app.shifted_instance(Duration::days(31)).await;
    let r = later.http.get("/api/v1/me", &fresh).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["rule"], "token.expired");
    // A public route does not care about the token.
    let doc = later
        .http
        .send(
            Method::GET,
            "/api/v1/openapi.json",
            &[("authorization", &format!("Bearer {fresh}"))],
            Default::default(),
        )
        .await;
    assert_eq!(doc.status, StatusCode::OK);
}

async fn tokens_for_other_users(app: TestApp) {
    let w = app.world().await;
    // A partner admin makes a token for its own rep.
    let created = token(
        &app,
        &w.a.admin_token,
        json!({"name": "rep's CRM sync", "user_id": w.a.rep.id, "scopes": ["registration:write"]}),
    )
    .await;
    let rep_token = secret(&created);
    let id = created.json()["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json()["token"]["user_id"], w.a.rep.id.to_string());
    assert_eq!(
        app.http
            .get("/api/v1/registrations", &rep_token)
            .await
            .status,
        StatusCode::OK
    );
    // ... but not for another partner's user: that user is not found.
    let other = token(
        &app,
        &w.a.admin_token,
        json!({"name": "x", "user_id": w.b.rep.id}),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.text());
    // Nor for vendor staff.
    let staff = token(
        &app,
        &w.a.admin_token,
        json!({"name": "x", "user_id": w.admin_user.id}),
    )
    .await;
    assert_eq!(staff.status, StatusCode::NOT_FOUND, "{}", staff.text());
    // A rep makes tokens only for itself.
    let rep = token(
        &app,
        &w.a.rep_token,
        json!({"name": "x", "user_id": w.a.admin.id}),
    )
    .await;
    assert_eq!(rep.status, StatusCode::FORBIDDEN, "{}", rep.text());
    assert_eq!(rep.json()["rule"], "role.write_partner_user");
    let own = token(
        &app,
        &w.a.rep_token,
        json!({"name": "x", "user_id": w.a.rep.id}),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED);
    // An administrator may make one for anyone.
    let by_admin = token(&app, &w.admin, json!({"name": "x", "user_id": w.b.rep.id})).await;
    assert_eq!(by_admin.status, StatusCode::CREATED);

    // The other partner's admin cannot revoke it (not found); A's admin can.
    let path = format!("/api/v1/tokens/{id}/revoke");
    let r = app.http.post(&path, &w.b.admin_token, &json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.http.post(&path, &w.a.admin_token, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        app.http.get("/api/v1/me", &rep_token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn tokens_from_before_scopes_keep_everything(app: TestApp) {
    let w = app.world().await;
    // A token row as version 0027 wrote it: no scopes, no expiry.
    let secret = "po_made_before_scopes_existed_0123456789abcdef0123456789abcdef";
    app.raw_sql(&format!(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ('tok_0192f0c4a1b27c3d8e9f001122334455', '{}', 'legacy', '{}', '2025-01-01T00:00:00.000000Z')",
        w.admin_user.id,
        partnerops_store::secret::token_hash(secret)
    ))
    .await;
    assert_eq!(
        app.http.get("/api/v1/partners", secret).await.status,
        StatusCode::OK
    );
    let listed = app.http.get("/api/v1/tokens", secret).await.json();
    let legacy = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "legacy")
        .unwrap();
    assert_eq!(legacy["scopes"], json!(["*"]));
    assert!(legacy["expires_at"].is_null());
}

/// Every documented route belongs to a capability a scope can name (only the document
/// itself needs none), so no route is reachable by any scoped token by accident.
#[test]
fn every_route_has_a_capability() {
    let doc = partnerops_web::openapi();
    let missing: Vec<&String> = doc
        .paths
        .paths
        .keys()
        .filter(|p| *p != "/api/v1/openapi.json")
        .filter(|p| partnerops_web::capability_of(p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "paths without a capability: {missing:?}"
    );
    use partnerops_core::token::TokenCapability::*;
    for (path, cap) in [
        ("/api/v1/programs/{id}/policy/versions", Policy),
        ("/api/v1/programs/{id}", Program),
        ("/api/v1/programs/{id}/tiers", Program),
        ("/api/v1/partners/{id}/onboarding/{key}", Lifecycle),
        ("/api/v1/opportunities/{id}/revenue-events", Payout),
        ("/api/v1/opportunities/{id}/room/tasks", Pipeline),
        ("/api/v1/mdf-roi", Mdf),
    ] {
        assert_eq!(partnerops_web::capability_of(path), Some(cap), "{path}");
    }
}
