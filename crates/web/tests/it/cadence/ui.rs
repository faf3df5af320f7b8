//! Cadence pages over plain HTTP: the staff home page (the list and the plans at a
//! glance), the calendar with a bad month named, and a partner's page with its feed.

use hyper::StatusCode;
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both;
use crate::session::*;

on_both!(home_calendar_and_feed_pages);

async fn home_calendar_and_feed_pages(app: TestApp) {
    let w = app.world().await;
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Hooli", "web_domain": "hooli.example", "country": "US"},
                    "title": "Hooli rollout", "estimated_arr_minor": 5_000_000_00_i64}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let rid = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{rid}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let (session, csrf) = vendor_session(&app, &w).await;
    // Staff land on their home page.
    let root = app.http.page("/", &session).await;
    assert_eq!(root.header("location").as_deref(), Some("/console"));
    let home = app.http.page("/console", &session).await;
    assert_eq!(home.status, StatusCode::OK);
    let text = home.text();
    assert!(text.contains("Log a follow-up on Hooli rollout"), "{text}");
    assert!(text.contains(&format!("/console/registrations/{rid}")));
    assert!(text.contains("Pipeline at a glance") && text.contains("id=\"no-plans\""));

    assert!(
        !text.contains("id=\"reach\""),
        "the admin looks after nobody"
    );
    let cal = app.http.page("/console/cadence", &session).await;
    assert_eq!(cal.status, StatusCode::OK);
    assert!(cal.text().contains("id=\"month-grid\""));
    assert!(cal.text().contains("Log a follow-up on Hooli rollout"));
    let bad = app
        .http
        .page("/console/cadence?month=2027-13", &session)
        .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(
        bad.text().contains("month must be a month written YYYY-MM"),
        "{}",
        bad.text()
    );
    let made = app
        .http
        .form("/console/cadence/feed", &session, &[("_csrf", &csrf)], &[])
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text());
    assert!(made.text().contains("id=\"feed-url\""));
    assert!(made.text().contains("/calendar/cal_"));

    // The admin takes B on, through the partner page: the home page then holds B's items
    // only, and says so, until asked for everyone.
    let set = app
        .http
        .form(
            &format!("/console/partners/{}/channel-manager", w.b.partner.id),
            &session,
            &[("_csrf", &csrf), ("user_id", &w.admin_user.id.to_string())],
            &[],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.text());
    let partner_page = app
        .http
        .page(&format!("/console/partners/{}", w.b.partner.id), &session)
        .await
        .text();
    assert!(
        partner_page.contains("id=\"manager-name\""),
        "{partner_page}"
    );
    let mine = app.http.page("/console", &session).await.text();
    assert!(mine.contains("id=\"reach\""), "{mine}");
    assert!(
        !mine.contains("Log a follow-up on Hooli rollout"),
        "A is not the admin's"
    );
    let everyone = app.http.page("/console?everyone=1", &session).await.text();
    assert!(everyone.contains("Log a follow-up on Hooli rollout"));

    // The partner's rep: its own list on its own page; B's admin sees nothing of it.
    set_password(&app, &w.a.rep).await;
    let (rep, _) = partner_session(&app, &w.a.rep).await;
    let page = app.http.page("/portal/cadence", &rep).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Log a follow-up on Hooli rollout"));
    assert!(
        page.text()
            .contains(&format!("/portal/registrations/{rid}"))
    );
    assert!(!page.text().contains("/console/"), "portal links only");
    let home = app.http.page("/portal", &rep).await.text();
    assert!(
        home.contains("id=\"due-summary\"") && home.contains("due in the next 30 days for you"),
        "{home}"
    );
    set_password(&app, &w.b.admin).await;
    let (other, _) = partner_session(&app, &w.b.admin).await;
    let page = app.http.page("/portal/cadence", &other).await;
    assert!(
        page.text().contains("id=\"nothing-due\""),
        "{}",
        page.text()
    );
    assert!(!page.text().contains("Hooli"));
}
