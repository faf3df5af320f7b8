//! Users through the API: who may create whom, self-service, uniqueness, archiving.

use hyper::StatusCode;
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both;

on_both!(staff_and_partner_users, self_service_and_archiving);

async fn staff_and_partner_users(app: TestApp) {
    let w = app.world().await;
    let created = app
        .http
        .post("/api/v1/users", &w.admin, &json!({"email": "New.Admin@Vendor.example", "display_name": "Nia", "role": "admin", "password": "long enough password"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["email"], "new.admin@vendor.example");
    assert!(
        created.json().get("password_hash").is_none(),
        "the hash never leaves the server"
    );

    let dup = app
        .http
        .post(
            "/api/v1/users",
            &w.admin,
            &json!({"email": "new.admin@vendor.example", "display_name": "N", "role": "admin"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.problem_rules(), vec!["email:unique"]);
    let short = app.http.post("/api/v1/users", &w.admin, &json!({"email": "x@vendor.example", "display_name": "X", "role": "admin", "password": "short"})).await;
    assert_eq!(short.problem_rules(), vec!["password:min_length"]);
    let no_partner = app
        .http
        .post(
            "/api/v1/users",
            &w.admin,
            &json!({"email": "p@vendor.example", "display_name": "P", "role": "partner_rep"}),
        )
        .await;
    assert_eq!(no_partner.problem_rules(), vec!["partner_id:required"]);

    // A channel manager adds partner users but not staff admins.
    let cm_admin = app
        .http
        .post(
            "/api/v1/users",
            &w.channel,
            &json!({"email": "boss@vendor.example", "display_name": "B", "role": "admin"}),
        )
        .await;
    assert_eq!(cm_admin.status, StatusCode::FORBIDDEN);
    assert_eq!(cm_admin.json()["rule"], "role.write_staff_user");
    let cm_rep = app
        .http
        .post("/api/v1/users", &w.channel, &json!({"email": "rep2@alpha.example", "display_name": "R2", "role": "partner_rep", "partner_id": w.a.partner.id.to_string()}))
        .await;
    assert_eq!(cm_rep.status, StatusCode::CREATED, "{}", cm_rep.text());

    // A partner admin adds reps to its own partner (partner_id may be left out).
    let own = app
        .http
        .post(
            "/api/v1/users",
            &w.a.admin_token,
            &json!({"email": "rep3@alpha.example", "display_name": "R3", "role": "partner_rep"}),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text());
    assert_eq!(own.json()["partner_id"], w.a.partner.id.to_string());
    let staff = app
        .http
        .post(
            "/api/v1/users",
            &w.a.admin_token,
            &json!({"email": "evil@alpha.example", "display_name": "E", "role": "admin"}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN);
    let rep_creates = app
        .http
        .post(
            "/api/v1/users",
            &w.a.rep_token,
            &json!({"email": "r9@alpha.example", "display_name": "R", "role": "partner_rep"}),
        )
        .await;
    assert_eq!(rep_creates.status, StatusCode::FORBIDDEN);

    let staff_only = app
        .http
        .get("/api/v1/users?staff=true&limit=200", &w.admin)
        .await
        .json();
    assert!(
        staff_only["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["partner_id"].is_null())
    );
    let of_a = app
        .http
        .get(
            &format!("/api/v1/users?partner_id={}", w.a.partner.id),
            &w.admin,
        )
        .await
        .json();
    assert_eq!(of_a["items"].as_array().unwrap().len(), 4);
}

async fn self_service_and_archiving(app: TestApp) {
    let w = app.world().await;
    let me = app.http.get("/api/v1/me", &w.a.rep_token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["role"], "partner_rep");
    let rep_id = w.a.rep.id.to_string();
    let renamed = app
        .http
        .patch(
            &format!("/api/v1/users/{rep_id}"),
            &w.a.rep_token,
            &json!({"display_name": "Rey", "password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text());
    let promote = app
        .http
        .patch(
            &format!("/api/v1/users/{rep_id}"),
            &w.a.rep_token,
            &json!({"role": "partner_admin"}),
        )
        .await;
    assert_eq!(promote.status, StatusCode::FORBIDDEN);
    let to_staff = app
        .http
        .patch(
            &format!("/api/v1/users/{rep_id}"),
            &w.admin,
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(to_staff.problem_rules(), vec!["role:same_kind"]);
    // The new password works for signing in.
    assert!(
        app.store
            .login("rep@alpha.example", "a brand new passphrase", "test")
            .await
            .is_ok()
    );

    let own_archive = app
        .http
        .post(
            &format!("/api/v1/users/{}/archive", w.admin_user.id),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(own_archive.status, StatusCode::CONFLICT);
    assert_eq!(own_archive.problem_rules(), vec!["id:not_self"]);
    let archived = app
        .http
        .post(
            &format!("/api/v1/users/{rep_id}/archive"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.text());
    // An archived user's token stops working at once.
    let after = app.http.get("/api/v1/me", &w.a.rep_token).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let trail = app
        .http
        .get(&format!("/api/v1/users/{rep_id}/audit"), &w.a.admin_token)
        .await
        .json();
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["archived", "updated", "created"]);
    let restored = app
        .http
        .post(
            &format!("/api/v1/users/{rep_id}/restore"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(restored.status, StatusCode::OK);
    assert_eq!(
        app.http.get("/api/v1/me", &w.a.rep_token).await.status,
        StatusCode::OK
    );
}
