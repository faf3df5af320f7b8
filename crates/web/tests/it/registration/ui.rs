//! Deal registration in the web UI over plain HTTP: the engagement requests page for staff,
//! and countdowns that read the store's clock, not the wall clock.

use hyper::StatusCode;
use partnerops_store::Actor;
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both;
use crate::session::*;

on_both!(engagement_requests_are_listed_for_staff);

on_both!(countdowns_follow_the_store_clock);

async fn engagement_requests_are_listed_for_staff(app: TestApp) {
    use partnerops_core::registration::record::{AccountRefInput, ReasonInput, RegistrationInput};
    use partnerops_core::scope::Principal;
    use partnerops_core::user::Role;

    let w = app.world().await;
    let input = RegistrationInput {
        partner_id: Some(w.a.partner.id.to_string()),
        account: Some(AccountRefInput {
            name: Some("Umbrella Corp".into()),
            web_domain: Some("umbrella.example".into()),
            country: Some("US".into()),
        }),
        title: Some("Vaccine logistics".into()),
        estimated_arr_minor: Some(1_000_000),
        ..Default::default()
    };
    let reg = app
        .store
        .submit_registration(&Actor::system("test"), &input)
        .await
        .unwrap();
    let rep = Principal::new(
        w.sales_user.id.clone(),
        "Sam Sales".into(),
        Role::DirectSales,
        None,
    )
    .unwrap();
    let ask = ReasonInput {
        reason: Some("Customer asked for a direct quote".into()),
    };
    app.store
        .request_engagement(&Actor::User(rep), reg.id.to_string().as_str(), &ask)
        .await
        .unwrap();

    let (session, _) = vendor_session(&app, &w).await;
    let page = app.http.page("/console/engagement", &session).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("Umbrella Corp") && html.contains("Customer asked for a direct quote"),
        "{html}"
    );
    assert!(
        html.contains("held by Alpha Systems") && html.contains("sales"),
        "names the holder and the requester"
    );

    set_password(&app, &w.a.admin).await;
    let (_, partner_session) = sign_in(&app, "admin@alpha.example", PASSWORD).await;
    assert_eq!(
        app.http
            .page("/console/engagement", &partner_session)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A registration approved now, seen through a server whose store clock reads 30 days later:
/// the console and the portal count the days left from the store's clock.
async fn countdowns_follow_the_store_clock(app: TestApp) {
    let w = app.world().await;
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Umbrella Corp", "web_domain": "umbrella.example", "country": "US"},
                    "title": "Vaccine logistics", "estimated_arr_minor": 1_000_000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let reg = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{reg}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let approved = r.json();
    let at = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(approved[field].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let validity = (at("expires_at") - at("approved_at")).num_days();
    assert!(
        validity > 31,
        "the default validity is longer than the shift"
    );
    // Approved a moment ago: on the wall clock `validity - 1` whole days are left; on a
    // store clock 30 days ahead, `validity - 31`.
    let store_clock = format!("{} days", validity - 31);
    let wall_clock = format!("{} days", validity - 1);

    let later = app.shifted_instance(chrono::Duration::days(30)).await;
    set_password(&app, &w.admin_user).await;
    set_password(&app, &w.a.admin).await;
    // Sessions are signed in on the shifted server, so they are fresh on its clock.
    for (email, path) in [
        (
            "admin@vendor.example",
            format!("/console/registrations/{reg}"),
        ),
        ("admin@vendor.example", "/console/registrations".to_owned()),
        ("admin@alpha.example", "/portal/registrations".to_owned()),
    ] {
        let (status, session) = sign_in_at(&later.http, email, PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "sign in as {email}");
        let page = later.http.page(&path, &session).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text());
        let html = page.text();
        assert!(
            html.contains("Umbrella Corp"),
            "{path} lists the registration"
        );
        if path == "/console/registrations" {
            // The page reads its rows' partners in one go (`Names::learn_partners`).
            assert!(
                html.contains(&w.a.partner.name),
                "{path} names the registering partner: {html}"
            );
        }
        assert!(
            html.contains(&store_clock) && !html.contains(&wall_clock),
            "{path} as {email}: the countdown must read {store_clock:?} (store clock), not {wall_clock:?} (wall clock): {html}"
        );
    }
}
