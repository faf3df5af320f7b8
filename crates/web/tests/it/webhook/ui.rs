//! Webhooks in the portal (a partner's administrator) and the console: subscribe and see
//! the secret once, refusals naming the field, pause, enable, rotate, replay, delete.

use hyper::StatusCode;

use super::Receiver;
use crate::harness::TestApp;
use crate::on_both;
use crate::session::{PASSWORD, csrf_of, set_password, sign_in};

on_both!(a_partner_admin_manages_its_webhooks_in_the_portal);

async fn a_partner_admin_manages_its_webhooks_in_the_portal(app: TestApp) {
    let w = app.world().await;
    let receiver = Receiver::start().await;
    set_password(&app, &w.a.admin).await;
    let (_, cookie) = sign_in(&app, w.a.admin.email.as_str(), PASSWORD).await;
    let page = app.http.page("/portal/webhooks", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("id=\"no-subscriptions\""));
    let csrf = csrf_of(&page.text());

    // A bad filter is named on the form; nothing is created.
    let bad = app
        .http
        .form(
            "/portal/webhooks",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("url", &receiver.url),
                ("event_kinds", "registration.*, nonsense"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert!(bad.text().contains("nonsense"), "{}", bad.text());
    assert!(bad.text().contains("id=\"no-subscriptions\""));

    let made = app
        .http
        .form(
            "/portal/webhooks",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("url", &receiver.url),
                ("event_kinds", "registration.*\nopportunity.*"),
                ("description", "CRM sync"),
            ],
            &[],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text());
    let text = made.text();
    assert!(
        text.contains("id=\"new-secret\"") && text.contains("whsec_"),
        "{text}"
    );
    let subs = app
        .http
        .get("/api/v1/webhook-subscriptions", &w.a.admin_token)
        .await
        .json();
    let sub = subs[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(subs[0]["partner_id"], w.a.partner.id.to_string());
    assert_eq!(
        subs[0]["event_kinds"],
        serde_json::json!(["registration.*", "opportunity.*"])
    );
    // The list no longer shows the secret.
    let list = app.http.page("/portal/webhooks", &cookie).await;
    assert!(list.text().contains(&format!("/portal/webhooks/{sub}")));
    assert!(!list.text().contains("whsec_"));

    let path = format!("/portal/webhooks/{sub}");
    let act = |action: &'static str, extra: Vec<(&'static str, String)>| {
        let (app, cookie, csrf, path) = (&app, cookie.clone(), csrf.clone(), path.clone());
        async move {
            let mut fields = vec![("_csrf", csrf), ("action", action.to_owned())];
            fields.extend(extra);
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.http.form(&path, &cookie, &fields, &[]).await
        }
    };
    let paused = act("pause", vec![]).await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.text());
    assert!(paused.text().contains("Paused"));
    let state = |app: &TestApp| {
        let (http, token, sub) = (app.http.clone(), w.a.admin_token.clone(), sub.clone());
        async move {
            http.get(&format!("/api/v1/webhook-subscriptions/{sub}"), &token)
                .await
                .json()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(state(&app).await, "disabled");
    let enabled = act("enable", vec![]).await;
    assert!(enabled.text().contains("Enabled"), "{}", enabled.text());
    assert_eq!(state(&app).await, "active");
    let rotated = act("rotate", vec![]).await;
    assert!(rotated.text().contains("whsec_"), "{}", rotated.text());
    let bad_replay = act(
        "replay",
        vec![
            ("from", "yesterday".into()),
            ("to", "2100-01-01T00:00:00Z".into()),
        ],
    )
    .await;
    assert_eq!(
        bad_replay.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_replay.text()
    );
    assert!(
        bad_replay.text().contains("aria-invalid"),
        "{}",
        bad_replay.text()
    );
    let replay = act(
        "replay",
        vec![
            ("from", "2000-01-01T00:00:00Z".into()),
            ("to", "2100-01-01T00:00:00Z".into()),
        ],
    )
    .await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.text());
    assert!(
        replay.text().contains("deliveries queued again"),
        "{}",
        replay.text()
    );
    let deleted = act("delete", vec![]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        deleted.header("location").as_deref(),
        Some("/portal/webhooks")
    );
    assert_eq!(
        app.http.page(&path, &cookie).await.status,
        StatusCode::NOT_FOUND
    );

    // A partner's rep may not manage webhooks; staff see the console page.
    set_password(&app, &w.a.rep).await;
    let (_, rep) = sign_in(&app, w.a.rep.email.as_str(), PASSWORD).await;
    let refused = app.http.page("/portal/webhooks", &rep).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    assert!(
        refused.text().contains("role.manage_webhooks"),
        "{}",
        refused.text()
    );
    set_password(&app, &w.admin_user).await;
    let (_, staff) = sign_in(&app, w.admin_user.email.as_str(), PASSWORD).await;
    let console = app.http.page("/console/webhooks", &staff).await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.text());
    assert!(console.text().contains("id=\"subscribe\""));
}
