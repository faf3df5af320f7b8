//! Authentication: bearer tokens (create, list, revoke, refused when wrong), what
//! archiving a partner does to its users' access, and how soon an instance that remembers
//! a token's grant (`store::auth::grants`) notices the end of that access.

use hyper::StatusCode;
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both;

on_both!(
    tokens,
    unauthenticated_requests,
    archived_partner_loses_access,
    ended_access_stops_within_a_second_on_every_instance
);

/// Creates a token named `name` with `token`'s credentials: (secret, id).
async fn create_token(app: &TestApp, token: &str, name: &str) -> (String, String) {
    let created = app
        .http
        .post("/api/v1/tokens", token, &json!({ "name": name }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let secret = created.json()["secret"].as_str().unwrap().to_owned();
    let id = created.json()["token"]["id"].as_str().unwrap().to_owned();
    (secret, id)
}

async fn tokens(app: TestApp) {
    let w = app.world().await;
    let (secret, id) = create_token(&app, &w.a.rep_token, "CRM sync").await;
    assert!(secret.starts_with("po_") && secret.len() > 60);
    assert_eq!(
        app.http.get("/api/v1/me", &secret).await.json()["id"],
        w.a.rep.id.to_string()
    );
    let listed = app.http.get("/api/v1/tokens", &w.a.rep_token).await.json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["CRM sync", "test"]);
    assert!(
        !listed.to_string().contains(&secret),
        "secrets are never listed"
    );
    let nameless = app
        .http
        .post("/api/v1/tokens", &w.a.rep_token, &json!({}))
        .await;
    assert_eq!(nameless.problem_rules(), vec!["name:required"]);

    let revoked = app
        .http
        .post(
            &format!("/api/v1/tokens/{id}/revoke"),
            &w.a.rep_token,
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.json()["revoked_at"].is_string());
    assert_eq!(
        app.http.get("/api/v1/me", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The token was used, so its last use is recorded.
    let listed = app.http.get("/api/v1/tokens", &w.a.rep_token).await.json();
    assert!(listed[0]["last_used_at"].is_string());
}

async fn unauthenticated_requests(app: TestApp) {
    let w = app.world().await;
    for header in [
        None,
        Some("Bearer"),
        Some("Bearer po_0000"),
        Some("Basic YWRtaW46YWRtaW4="),
        Some(format!("Bearer {}x", w.admin).leak() as &str),
    ] {
        let headers: Vec<(&str, &str)> = header
            .map(|h| vec![("authorization", h)])
            .unwrap_or_default();
        let r = app
            .http
            .send(
                hyper::Method::GET,
                "/api/v1/partners",
                &headers,
                Default::default(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
        assert_eq!(
            r.json()["type"],
            "https://partnerops.dev/problems/unauthenticated"
        );
    }
}

async fn archived_partner_loses_access(app: TestApp) {
    let w = app.world().await;
    assert_eq!(
        app.http.get("/api/v1/me", &w.a.admin_token).await.status,
        StatusCode::OK
    );
    let archived = app
        .http
        .post(
            &format!("/api/v1/partners/{}/archive", w.a.partner.id),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK);
    assert_eq!(
        app.http.get("/api/v1/me", &w.a.admin_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.http.get("/api/v1/me", &w.b.admin_token).await.status,
        StatusCode::OK,
        "other partners are unaffected"
    );
    app.http
        .post(
            &format!("/api/v1/partners/{}/restore", w.a.partner.id),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(
        app.http.get("/api/v1/me", &w.a.admin_token).await.status,
        StatusCode::OK
    );
}

/// Each instance remembers a live token's grant for up to a second. The instance that
/// revokes a token or archives a user forgets at once; another instance within a second.
async fn ended_access_stops_within_a_second_on_every_instance(app: TestApp) {
    let w = app.world().await;
    let second = app.second_instance().await;
    let freshness = partnerops_store::auth::GRANT_FRESHNESS + std::time::Duration::from_millis(100);
    let me = |http: &crate::http::Http, token: &str| {
        let (http, token) = (http.clone(), token.to_owned());
        async move { http.get("/api/v1/me", &token).await.status }
    };

    // A revoked token: both instances have just used it.
    let (secret, id) = create_token(&app, &w.a.rep_token, "sync").await;
    assert_eq!(me(&app.http, &secret).await, StatusCode::OK);
    assert_eq!(me(&second.http, &secret).await, StatusCode::OK);
    let revoked = app
        .http
        .post(
            &format!("/api/v1/tokens/{id}/revoke"),
            &w.a.rep_token,
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        me(&app.http, &secret).await,
        StatusCode::UNAUTHORIZED,
        "the revoking instance forgets at once"
    );
    tokio::time::sleep(freshness).await;
    assert_eq!(
        me(&second.http, &secret).await,
        StatusCode::UNAUTHORIZED,
        "the other instance stops within a second"
    );

    // An archived user, archived through the second instance.
    assert_eq!(me(&app.http, &w.b.rep_token).await, StatusCode::OK);
    let archived = second
        .http
        .post(
            &format!("/api/v1/users/{}/archive", w.b.rep.id),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.text());
    assert_eq!(
        me(&second.http, &w.b.rep_token).await,
        StatusCode::UNAUTHORIZED
    );
    tokio::time::sleep(freshness).await;
    assert_eq!(
        me(&app.http, &w.b.rep_token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me(&app.http, &w.b.admin_token).await,
        StatusCode::OK,
        "the partner's other users keep their access"
    );
}
