//! Authentication: bearer tokens (create, list, revoke, refused when wrong), and what
//! archiving a partner does to its users' access.

use hyper::StatusCode;
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both;

on_both!(
    tokens,
    unauthenticated_requests,
    archived_partner_loses_access
);

async fn tokens(app: TestApp) {
    let w = app.world().await;
    let created = app
        .http
        .post(
            "/api/v1/tokens",
            &w.a.rep_token,
            &json!({"name": "CRM sync"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let secret = created.json()["secret"].as_str().unwrap().to_owned();
    let id = created.json()["token"]["id"].as_str().unwrap().to_owned();
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
