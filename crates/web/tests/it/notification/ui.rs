//! The notification pages over plain HTTP: the portal's and the console's list with the
//! unread count in the navigation, opening one (marks it read, goes to the record), marking
//! all read, and the e-mail choices form with its errors beside the field.

use hyper::StatusCode;
use serde_json::json;

use super::{approved, inbox};
use crate::harness::TestApp;
use crate::on_both;
use crate::session::{PASSWORD, csrf_of, set_password, sign_in, vendor_session};

on_both!(the_portal_and_console_pages_list_mark_read_and_save_choices);

async fn the_portal_and_console_pages_list_mark_read_and_save_choices(app: TestApp) {
    let w = app.world().await;
    let rid = approved(&app, &w, &w.a, "Initrode").await;
    // A case the vendor must act on: the channel team is told.
    let r = app
        .http
        .post(
            "/api/v1/conflicts",
            &w.a.admin_token,
            &json!({"registration_id": rid, "reason": "direct sales approached our contact"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    approved(&app, &w, &w.b, "Umbrella").await;
    app.store.notify().await.unwrap();

    // The portal: the rep's own notification, counted in the navigation.
    set_password(&app, &w.a.rep).await;
    let (_, session) = sign_in(&app, "rep@alpha.example", PASSWORD).await;
    let page = app.http.page("/portal/notifications", &session).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(
        html.contains("Registration approved: Initrode rollout"),
        "{html}"
    );
    assert!(
        html.contains(r#"<mark class="unread-count">1</mark>"#),
        "{html}"
    );
    assert!(!html.contains("Umbrella") && !html.contains("Conflict case opened"));
    let home = app.http.page("/portal", &session).await.text();
    assert!(home.contains(r#"<mark class="unread-count">1</mark>"#));

    // Opening it marks it read and goes to the registration.
    let id = inbox(&app, &w.a.rep_token).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = csrf_of(&html);
    let open = app
        .http
        .form(
            &format!("/portal/notifications/{id}/read"),
            &session,
            &[("_csrf", &csrf), ("go", "1")],
            &[],
        )
        .await;
    assert_eq!(open.status, StatusCode::SEE_OTHER, "{}", open.text());
    assert_eq!(
        open.header("location").as_deref(),
        Some(format!("/portal/registrations/{rid}").as_str())
    );
    let after = app
        .http
        .page("/portal/notifications", &session)
        .await
        .text();
    assert!(!after.contains("unread-count"), "{after}");
    assert!(!inbox(&app, &w.a.rep_token).await[0]["read_at"].is_null());

    // The choices: a bad value is shown beside its field, a good one is saved.
    let bad = app
        .http
        .form(
            "/portal/notifications/preferences",
            &session,
            &[("_csrf", &csrf), ("registration_decision", "sometimes")],
            &[],
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert!(
        bad.text().contains(r#"id="registration_decision-error""#),
        "{}",
        bad.text()
    );
    let good = app
        .http
        .form(
            "/portal/notifications/preferences",
            &session,
            &[
                ("_csrf", &csrf),
                ("registration_decision", "off"),
                ("mention", "daily_digest"),
            ],
            &[],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.text());
    assert_eq!(
        good.header("location").as_deref(),
        Some("/portal/notifications?saved=1")
    );
    let saved = app
        .http
        .get("/api/v1/notification-preferences", &w.a.rep_token)
        .await
        .json();
    let delivery = |kind: &str| {
        saved
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == kind)
            .unwrap()["delivery"]
            .clone()
    };
    assert_eq!(delivery("registration_decision"), "off");
    assert_eq!(delivery("mention"), "daily_digest");
    let shown = app
        .http
        .page("/portal/notifications?saved=1", &session)
        .await
        .text();
    assert!(shown.contains(r#"id="saved""#));
    assert!(
        shown.contains(r#"<option value="off" selected>"#),
        "{shown}"
    );

    // Each side has its own page: the console is not the rep's, the portal not staff's.
    assert_eq!(
        app.http
            .page("/console/notifications", &session)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let (staff, staff_csrf) = vendor_session(&app, &w).await;
    assert_eq!(
        app.http.page("/portal/notifications", &staff).await.status,
        StatusCode::NOT_FOUND
    );
    let console = app.http.page("/console/notifications", &staff).await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.text());
    let html = console.text();
    assert!(html.contains("Conflict case opened"), "{html}");
    assert!(html.contains("/console/conflicts/cfl_"), "{html}");
    assert!(
        html.contains(r#"<mark class="unread-count">1</mark>"#),
        "{html}"
    );
    let all = app
        .http
        .form(
            "/console/notifications/read-all",
            &staff,
            &[("_csrf", &staff_csrf)],
            &[],
        )
        .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER, "{}", all.text());
    let html = app.http.page("/console/notifications", &staff).await.text();
    assert!(!html.contains("unread-count") && !html.contains("<mark>new</mark>"));
}
