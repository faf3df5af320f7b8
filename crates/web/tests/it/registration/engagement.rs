//! The follow-up SLA and engagement requests: direct sales asking to join a partner's deal,
//! the partner's answer, and the grant when the SLA is missed.

use chrono::Duration;
use hyper::StatusCode;
use serde_json::json;

use super::*;
use crate::harness::TestApp;
use crate::on_both;

on_both!(follow_up_sla_and_engagement,);

// ---------------------------------------------------------------------------------------
// 2. Follow-up SLA and engagement requests.

async fn follow_up_sla_and_engagement(app: TestApp) {
    let w = app.world().await;
    let one = registered(
        &app,
        &w.a.rep_token,
        &described("Sla One", Some("sla-one.example"), "US", 1_000),
    )
    .await;
    let two = registered(
        &app,
        &w.a.rep_token,
        &described("Sla Two", Some("sla-two.example"), "US", 1_000),
    )
    .await;
    let (r1, r2) = (id(&one), id(&two));
    let t1 = ts(&approve(&app, &w, &r1).await["approved_at"]);
    approve(&app, &w, &r2).await;

    // Ten days later (a server whose clock runs ten days ahead), a call on the second one.
    let later = app.shifted_instance(Duration::days(10)).await;
    let call = later
        .http
        .post(
            &format!("/api/v1/registrations/{r2}/activities"),
            &w.a.rep_token,
            &json!({"kind": "call", "notes": "kick-off"}),
        )
        .await;
    assert_eq!(call.status, StatusCode::CREATED, "{}", call.text());
    let s = micros(ts(&call.json()["occurred_at"]));
    assert!(s > t1 + Duration::days(9), "logged ten days later: {s}");
    let two = get(&app, &w.a.rep_token, &r2).await;
    assert_eq!(ts(&two["last_activity_at"]), s);
    assert_eq!(ts(&two["sla_due_at"]), s + Duration::days(14));
    drop(later);

    // Before the SLA is missed, a direct rep must ask for consent.
    let no_reason = act(&app, &w.sales, &r1, "engagement-requests", &json!({})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.problem_rules(), vec!["reason:required"]);
    let by_partner = act(
        &app,
        &w.a.admin_token,
        &r1,
        "engagement-requests",
        &json!({"reason": "me"}),
    )
    .await;
    assert_eq!(by_partner.status, StatusCode::FORBIDDEN);
    assert_eq!(by_partner.json()["rule"], "role.engage_account");
    let ask = act(
        &app,
        &w.sales,
        &r1,
        "engagement-requests",
        &json!({"reason": "the CIO called us"}),
    )
    .await;
    assert_eq!(ask.status, StatusCode::CREATED, "{}", ask.text());
    let ask = ask.json();
    let e1 = id(&ask);
    assert_eq!(ask["status"], "pending");
    assert_eq!(ask["partner_id"], w.a.partner.id.to_string());
    assert_eq!(ask["requested_by"], w.sales_user.id.to_string());
    assert!(ask["decided_at"].is_null());
    // The vendor may not answer for the partner; only the holding partner may.
    for token in [&w.admin, &w.channel, &w.sales] {
        let r = app
            .http
            .post(
                &format!("/api/v1/engagement-requests/{e1}/grant"),
                token,
                &json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert_eq!(r.json()["rule"], "role.respond_to_engagement");
    }
    let other = app
        .http
        .post(
            &format!("/api/v1/engagement-requests/{e1}/grant"),
            &w.b.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "not B's to answer");
    // The partner sees it, and denying needs a reason.
    let mine = app
        .http
        .get("/api/v1/engagement-requests?status=pending", &w.a.rep_token)
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    let ids: Vec<String> = mine.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(ids, vec![e1.clone()]);
    let bare = app
        .http
        .post(
            &format!("/api/v1/engagement-requests/{e1}/deny"),
            &w.a.rep_token,
            &json!({}),
        )
        .await;
    assert_eq!(
        bare.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bare.text()
    );
    assert_eq!(bare.problem_rules(), vec!["reason:required"]);
    let denied = app
        .http
        .post(
            &format!("/api/v1/engagement-requests/{e1}/deny"),
            &w.a.rep_token,
            &json!({"reason": "we are in final negotiations"}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::OK, "{}", denied.text());
    let denied = denied.json();
    assert_eq!(denied["status"], "denied");
    assert_eq!(denied["decision_reason"], "we are in final negotiations");
    let late = app
        .http
        .post(
            &format!("/api/v1/engagement-requests/{e1}/grant"),
            &w.a.rep_token,
            &json!({}),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text());
    // A second request, granted.
    let ask2 = act(
        &app,
        &w.sales,
        &r1,
        "engagement-requests",
        &json!({"reason": "joint workshop"}),
    )
    .await;
    let e2 = id(&ask2.json());
    let granted = app
        .http
        .post(
            &format!("/api/v1/engagement-requests/{e2}/grant"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.text());
    assert_eq!(granted.json()["status"], "granted");

    // Day 14 after approval: on time. Day 15: missed (the other one had an activity).
    let r = app.run_due_as_of(t1 + Duration::days(14)).await;
    assert_eq!(r.count("registrations.sweep", "SLA missed"), 0, "{r:?}");
    assert!(get(&app, &w.a.rep_token, &r1).await["sla_missed_at"].is_null());
    let day15 = t1 + Duration::days(15);
    let r = app.run_due_as_of(day15).await;
    assert_eq!(r.count("registrations.sweep", "SLA missed"), 1, "{r:?}");
    let one = get(&app, &w.a.rep_token, &r1).await;
    assert_eq!(ts(&one["sla_missed_at"]), day15);
    assert_eq!(one["status"], "approved", "a missed SLA keeps the hold");
    assert!(get(&app, &w.a.rep_token, &r2).await["sla_missed_at"].is_null());
    let ds = full_decisions(
        &app.http,
        &w.a.rep_token,
        &format!("/api/v1/registrations/{r1}"),
    )
    .await;
    let last = ds.last().unwrap();
    assert_eq!(last["rule"], "registration.sla_missed");
    assert!(
        last["reason"].as_str().unwrap().contains("14 days"),
        "{last}"
    );
    assert!(
        events_of(&app, &r1)
            .await
            .contains(&"registration.sla_missed".to_owned())
    );

    // After a missed SLA the direct rep is let in at once, with the reason.
    let auto = act(
        &app,
        &w.sales,
        &r1,
        "engagement-requests",
        &json!({"reason": "no follow-up for weeks"}),
    )
    .await;
    assert_eq!(auto.status, StatusCode::CREATED, "{}", auto.text());
    let auto = auto.json();
    let e3 = id(&auto);
    assert_eq!(auto["status"], "auto_granted");
    assert!(!auto["decided_at"].is_null());
    assert!(
        auto["decision_reason"]
            .as_str()
            .unwrap()
            .contains("missed its 14-day follow-up SLA"),
        "{auto}"
    );
    let answer = app
        .http
        .post(
            &format!("/api/v1/engagement-requests/{e3}/deny"),
            &w.a.rep_token,
            &json!({"reason": "too late"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "already decided");

    // An activity restarts the clock and clears the mark.
    let meeting = act(
        &app,
        &w.a.rep_token,
        &r1,
        "activities",
        &json!({"kind": "meeting"}),
    )
    .await;
    assert_eq!(meeting.status, StatusCode::CREATED, "{}", meeting.text());
    let at = micros(ts(&meeting.json()["occurred_at"]));
    let one = get(&app, &w.a.rep_token, &r1).await;
    assert!(one["sla_missed_at"].is_null(), "{one}");
    assert_eq!(ts(&one["sla_due_at"]), at + Duration::days(14));
    let asked = act(
        &app,
        &w.sales,
        &r1,
        "engagement-requests",
        &json!({"reason": "once more"}),
    )
    .await;
    assert_eq!(
        asked.json()["status"],
        "pending",
        "back on time: consent needed"
    );

    // The second registration's clock started at its call, ten days in.
    app.run_due_as_of(s + Duration::days(14)).await;
    assert!(get(&app, &w.a.rep_token, &r2).await["sla_missed_at"].is_null());
    app.run_due_as_of(s + Duration::days(15)).await;
    assert!(!get(&app, &w.a.rep_token, &r2).await["sla_missed_at"].is_null());

    // The activities are listed.
    let acts = app
        .http
        .get(
            &format!("/api/v1/registrations/{r2}/activities"),
            &w.a.admin_token,
        )
        .await;
    assert_eq!(acts.status, StatusCode::OK);
    let acts = acts.json();
    assert_eq!(acts.as_array().unwrap().len(), 1);
    assert_eq!(acts[0]["kind"], "call");
    assert_eq!(acts[0]["notes"], "kick-off");

    assert_eq!(
        events_of(&app, &e1).await,
        vec!["engagement.requested", "engagement.denied"]
    );
    assert_eq!(
        events_of(&app, &e2).await,
        vec!["engagement.requested", "engagement.granted"]
    );
    assert_eq!(
        events_of(&app, &e3).await,
        vec!["engagement.requested", "engagement.granted"]
    );
}
