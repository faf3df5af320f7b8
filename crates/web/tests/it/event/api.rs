//! Events through the API and the public pages, on both databases.

use chrono::{Duration, DurationRound, Utc};
use hyper::StatusCode;
use serde_json::{Value, json};

use super::{personal_code, public_reply, published, webinar};
use crate::harness::TestApp;
use crate::on_both;

on_both!(
    a_vendor_webinar_fills_its_seats_then_its_waitlist_and_checks_people_in,
    deadlines_capacity_changes_and_time_zones,
    a_partner_hosts_a_workshop_for_its_customers_on_the_public_page,
    concurrent_replies_never_overbook_the_last_seat,
);

fn ok(r: &crate::http::Answer) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// The rule of a refusal (its first error's).
fn rule(r: &crate::http::Answer) -> String {
    let rules = r.problem_rules();
    match rules.first() {
        Some(first) => first
            .split_once(':')
            .map_or(first.as_str(), |(_, rule)| rule)
            .to_owned(),
        None => r.json()["rule"].as_str().unwrap_or_default().to_owned(),
    }
}

fn conflict(r: &crate::http::Answer) -> String {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    rule(r)
}

async fn reply(app: &TestApp, token: &str, event: &str, response: &str) -> crate::http::Answer {
    app.http
        .post(
            &format!("/api/v1/events/{event}/rsvps"),
            token,
            &json!({ "response": response }),
        )
        .await
}

async fn audit_count(app: &TestApp, kind: partnerops_core::audit::EntityKind, id: &str) -> usize {
    app.store
        .audit_trail(
            &partnerops_core::scope::Scope::Vendor,
            kind,
            id,
            &partnerops_core::page::PageRequest::parse(
                &Default::default(),
                partnerops_store::audit::SORTS,
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .items
        .len()
}

async fn a_vendor_webinar_fills_its_seats_then_its_waitlist_and_checks_people_in(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    // Bad input names every field; partners and direct sales do not host vendor events.
    let r = app
        .http
        .post(
            "/api/v1/events",
            &w.finance,
            &json!({"program_id": program}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.problem_rules(),
        [
            "kind:one_of",
            "title:required",
            "starts_at:required",
            "ends_at:required",
            "audience:one_of"
        ]
    );
    let start = Utc::now().duration_trunc(Duration::minutes(1)).unwrap() + Duration::hours(1);
    let body = webinar(Some(&program), "Roadmap webinar", start, Some(2));
    let r = app.http.post("/api/v1/events", &w.sales, &body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(rule(&r), "role.manage_events", "{}", r.text());
    let r = app.http.post("/api/v1/events", &w.a.rep_token, &body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // A draft: partners do not see it, nor reply to it.
    let r = app.http.post("/api/v1/events", &w.finance, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let e = r.json();
    let id = e["id"].as_str().unwrap().to_owned();
    assert_eq!(e["status"], "draft");
    assert_eq!(e["utc_offset_minutes"], 60);
    let path = format!("/api/v1/events/{id}");
    assert_eq!(
        app.http.get(&path, &w.a.rep_token).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        reply(&app, &w.a.rep_token, &id, "going").await.status,
        StatusCode::NOT_FOUND
    );
    ok(&app
        .http
        .post(&format!("{path}/publish"), &w.finance, &json!({}))
        .await);
    assert_eq!(
        conflict(
            &app.http
                .post(&format!("{path}/publish"), &w.finance, &json!({}))
                .await
        ),
        "event.status"
    );
    // B (another program) never sees it.
    assert_eq!(
        app.http.get(&path, &w.b.rep_token).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = ok(&app
        .http
        .get("/api/v1/events?when=upcoming", &w.a.rep_token)
        .await);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(
        ok(&app.http.get("/api/v1/events", &w.b.rep_token).await)
            .as_array()
            .unwrap()
            .is_empty()
    );
    let r = app
        .http
        .get("/api/v1/events?when=someday", &w.a.rep_token)
        .await;
    assert_eq!(r.problem_rules(), ["when:one_of"]);

    // Two seats: A's admin and rep get them, the next two wait in the order they replied.
    let (third, third_token) = app
        .user_with_token("third@alpha.example", "partner_rep", Some(&w.a.partner))
        .await;
    let (_, fourth_token) = app
        .user_with_token("fourth@alpha.example", "partner_rep", Some(&w.a.partner))
        .await;
    let r = reply(&app, &w.a.admin_token, &id, "going").await;
    let admin_rsvp = ok(&r);
    assert_eq!(admin_rsvp["status"], "going");
    assert_eq!(admin_rsvp["partner_id"], w.a.partner.id.to_string());
    assert_eq!(admin_rsvp["attendee_kind"], "partner_user");
    assert_eq!(
        ok(&reply(&app, &w.a.rep_token, &id, "going").await)["status"],
        "going"
    );
    let third_rsvp = ok(&reply(&app, &third_token, &id, "going").await);
    assert_eq!(third_rsvp["status"], "waitlisted");
    let fourth_rsvp = ok(&reply(&app, &fourth_token, &id, "going").await);
    assert_eq!(fourth_rsvp["status"], "waitlisted");
    // Replying again changes nothing; a bad response names the field.
    assert_eq!(
        ok(&reply(&app, &third_token, &id, "going").await)["id"],
        third_rsvp["id"]
    );
    assert_eq!(
        reply(&app, &third_token, &id, "maybe")
            .await
            .problem_rules(),
        ["response:one_of"]
    );
    // Staff have no reply of their own to give.
    assert_eq!(
        reply(&app, &w.admin, &id, "going").await.problem_rules(),
        ["response:partner_only"]
    );
    assert_eq!(ok(&app.http.get(&path, &w.admin).await)["going_count"], 2);

    // The rep cannot come: the first on the waitlist moves up, the second still waits.
    assert_eq!(
        ok(&reply(&app, &w.a.rep_token, &id, "not_going").await)["status"],
        "not_going"
    );
    let third_now = ok(&app
        .http
        .get(
            &format!("/api/v1/event-rsvps/{}", third_rsvp["id"].as_str().unwrap()),
            &w.a.admin_token,
        )
        .await);
    assert_eq!(third_now["status"], "going", "{third_now}");
    let fourth_now = ok(&app
        .http
        .get(
            &format!(
                "/api/v1/event-rsvps/{}",
                fourth_rsvp["id"].as_str().unwrap()
            ),
            &w.a.admin_token,
        )
        .await);
    assert_eq!(fourth_now["status"], "waitlisted");
    assert_eq!(
        third_now["email"],
        third.email.to_string(),
        "the user replied as themself"
    );

    // Check-ins: a going reply, once; never a waitlisted one; never by a partner at a
    // vendor event.
    let admin_id = admin_rsvp["id"].as_str().unwrap().to_owned();
    let check = |rsvp: &str| format!("/api/v1/event-rsvps/{rsvp}/check-in");
    let r = app
        .http
        .post(&check(&admin_id), &w.a.admin_token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let done = ok(&app
        .http
        .post(&check(&admin_id), &w.finance, &json!({}))
        .await);
    assert!(done["checked_in_at"].is_string(), "{done}");
    assert_eq!(
        conflict(
            &app.http
                .post(&check(&admin_id), &w.finance, &json!({}))
                .await
        ),
        "rsvp.checked_in"
    );
    assert_eq!(
        conflict(
            &app.http
                .post(
                    &check(fourth_rsvp["id"].as_str().unwrap()),
                    &w.finance,
                    &json!({})
                )
                .await
        ),
        "rsvp.not_going"
    );
    // A checked-in attendee cannot withdraw afterwards.
    assert_eq!(
        conflict(&reply(&app, &w.a.admin_token, &id, "not_going").await),
        "rsvp.checked_in"
    );
    // The check-in is A's engagement signal.
    let counts = app.store.engagement_counts(&w.a.partner.id).await.unwrap();
    assert_eq!(counts.get("event_attended"), Some(&1), "{counts:?}");

    // A partner of the same program replies too: A never sees C's attendee.
    let c = app
        .partner("Gamma Partners", "gamma.example", &w.program)
        .await;
    let (_, c_token) = app
        .user_with_token("rep@gamma.example", "partner_rep", Some(&c))
        .await;
    assert_eq!(
        ok(&reply(&app, &c_token, &id, "going").await)["status"],
        "waitlisted"
    );
    let seen_by_a = ok(&app.http.get(&format!("{path}/rsvps"), &w.a.rep_token).await);
    assert_eq!(seen_by_a.as_array().unwrap().len(), 4, "{seen_by_a}");
    assert!(
        !seen_by_a.to_string().contains("gamma"),
        "A sees C's attendee: {seen_by_a}"
    );
    let all = ok(&app.http.get(&format!("{path}/rsvps"), &w.admin).await);
    assert_eq!(all.as_array().unwrap().len(), 5);
    let c_rsvp = all
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == "rep@gamma.example")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.http
            .get(&format!("/api/v1/event-rsvps/{c_rsvp}"), &w.a.admin_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Figures: over the replies each side may see.
    let a_view = ok(&app
        .http
        .get(&format!("{path}/attendance"), &w.a.admin_token)
        .await);
    assert_eq!(
        a_view["figures"],
        json!({"going": 2, "waitlisted": 1, "not_going": 1, "checked_in": 1, "show_rate_pct": 50})
    );
    assert_eq!(a_view["seats_left"], 0);
    assert_eq!(
        a_view["by_partner"].as_array().unwrap().len(),
        1,
        "{a_view}"
    );
    assert_eq!(a_view["by_partner"][0]["people_going"], 2);
    assert_eq!(a_view["by_partner"][0]["people_checked_in"], 1);
    let vendor_view = ok(&app.http.get(&format!("{path}/attendance"), &w.admin).await);
    assert_eq!(vendor_view["figures"]["waitlisted"], 2);

    // The attendance list as CSV: A's own rows only.
    let csv = app
        .http
        .get(&format!("{path}/attendance.csv"), &w.a.admin_token)
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let text = csv.text();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(
        text.starts_with("event_id,event,starts_at_utc,rsvp_id,attendee,"),
        "{text}"
    );
    assert!(!text.contains("gamma"), "{text}");
    assert_eq!(
        app.http
            .get(&format!("{path}/attendance.csv"), &w.admin)
            .await
            .text()
            .lines()
            .count(),
        6
    );

    // Partner users check themselves in while the event runs: once, and only when going.
    let me = ok(&app
        .http
        .post(&format!("{path}/check-in"), &third_token, &json!({}))
        .await);
    assert!(me["checked_in_at"].is_string(), "{me}");
    assert_eq!(
        conflict(
            &app.http
                .post(&format!("{path}/check-in"), &third_token, &json!({}))
                .await
        ),
        "rsvp.checked_in"
    );
    assert_eq!(
        conflict(
            &app.http
                .post(&format!("{path}/check-in"), &fourth_token, &json!({}))
                .await
        ),
        "rsvp.not_going"
    );
    let (_, stranger) = app
        .user_with_token("fifth@alpha.example", "partner_rep", Some(&w.a.partner))
        .await;
    assert_eq!(
        conflict(
            &app.http
                .post(&format!("{path}/check-in"), &stranger, &json!({}))
                .await
        ),
        "rsvp.none"
    );
    let counts = app.store.engagement_counts(&w.a.partner.id).await.unwrap();
    assert_eq!(counts.get("event_attended"), Some(&2), "{counts:?}");

    // Cancelled: no more replies, no more check-ins; every change was audited.
    let cancelled = ok(&app
        .http
        .post(&format!("{path}/cancel"), &w.finance, &json!({}))
        .await);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        conflict(&reply(&app, &fourth_token, &id, "not_going").await),
        "event.cancelled"
    );
    let third_id = third_rsvp["id"].as_str().unwrap();
    assert_eq!(
        conflict(
            &app.http
                .post(&check(third_id), &w.finance, &json!({}))
                .await
        ),
        "event.cancelled"
    );
    assert_eq!(
        conflict(
            &app.http
                .post(&format!("{path}/cancel"), &w.finance, &json!({}))
                .await
        ),
        "event.status"
    );
    // Created, published, cancelled.
    assert_eq!(
        audit_count(&app, partnerops_core::audit::EntityKind::ProgramEvent, &id).await,
        3
    );
    // Created waitlisted, promoted, checked in.
    assert_eq!(
        audit_count(
            &app,
            partnerops_core::audit::EntityKind::EventRegistration,
            third_id
        )
        .await,
        3
    );
    assert_eq!(
        audit_count(
            &app,
            partnerops_core::audit::EntityKind::EventRegistration,
            &admin_id
        )
        .await,
        2
    );
}

async fn deadlines_capacity_changes_and_time_zones(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    // In three days at 16:00 in UTC+01:00 (local time, as a browser's field sends it);
    // replies close tomorrow at the same minute.
    let day = (Utc::now() + Duration::days(3)).date_naive();
    let deadline_day = (Utc::now() + Duration::days(1)).date_naive();
    let mut body = webinar(Some(&program), "Deadline webinar", Utc::now(), Some(1));
    body["starts_at"] = json!(format!("{day}T16:00"));
    body["ends_at"] = json!(format!("{day}T17:30"));
    body["rsvp_deadline"] = json!(format!("{deadline_day}T16:00"));
    let e = published(&app, &w.admin, &body).await;
    let id = e["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/events/{id}");
    assert_eq!(
        e["starts_at"],
        format!("{day}T15:00:00Z"),
        "stored in UTC: {e}"
    );
    assert_eq!(e["rsvp_deadline"], format!("{deadline_day}T15:00:00Z"));
    assert_eq!(e["utc_offset_minutes"], 60);
    // A deadline after the start is refused, naming the field and the rule.
    let r = app
        .http
        .patch(
            &path,
            &w.admin,
            &json!({"rsvp_deadline": format!("{day}T16:01")}),
        )
        .await;
    assert_eq!(
        r.problem_rules(),
        ["rsvp_deadline:before_start"],
        "{}",
        r.text()
    );
    let r = app
        .http
        .patch(&path, &w.admin, &json!({"kind": "workshop"}))
        .await;
    assert_eq!(r.problem_rules(), ["location:required"], "{}", r.text());

    // One seat, two replies: then a bigger room promotes the waiting one; a smaller one
    // than the seats taken is refused.
    assert_eq!(
        ok(&reply(&app, &w.a.admin_token, &id, "going").await)["status"],
        "going"
    );
    let rep = ok(&reply(&app, &w.a.rep_token, &id, "going").await);
    assert_eq!(rep["status"], "waitlisted");
    let bigger = ok(&app
        .http
        .patch(&path, &w.admin, &json!({"capacity": 2}))
        .await);
    assert_eq!(bigger["going_count"], 2);
    let rep_now = ok(&app
        .http
        .get(
            &format!("/api/v1/event-rsvps/{}", rep["id"].as_str().unwrap()),
            &w.a.rep_token,
        )
        .await);
    assert_eq!(rep_now["status"], "going");
    let r = app
        .http
        .patch(&path, &w.admin, &json!({"capacity": 1}))
        .await;
    assert_eq!(conflict(&r), "event.capacity_below_going");
    // Partners do not edit vendor events.
    let r = app
        .http
        .patch(&path, &w.a.admin_token, &json!({"title": "Mine"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Too early to check in, or to complete.
    let rsvp = rep["id"].as_str().unwrap();
    let r = app
        .http
        .post(
            &format!("/api/v1/event-rsvps/{rsvp}/check-in"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(conflict(&r), "check_in.too_early");
    assert_eq!(
        conflict(
            &app.http
                .post(&format!("{path}/complete"), &w.admin, &json!({}))
                .await
        ),
        "event.not_started"
    );

    // Two days on, replies are closed; on the day, people check in.
    let later = app.shifted_instance(Duration::days(2)).await;
    let (_, late_token) = app
        .user_with_token("late@alpha.example", "partner_rep", Some(&w.a.partner))
        .await;
    let r = later
        .http
        .post(
            &format!("{path}/rsvps"),
            &late_token,
            &json!({"response": "going"}),
        )
        .await;
    assert_eq!(conflict(&r), "event.rsvp_closed");
    let start = chrono::DateTime::parse_from_rfc3339(e["starts_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let on_the_day = app
        .shifted_instance(start - Utc::now() + Duration::minutes(30))
        .await;
    let r = on_the_day
        .http
        .post(
            &format!("/api/v1/event-rsvps/{rsvp}/check-in"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = on_the_day
        .http
        .post(&format!("{path}/complete"), &w.admin, &json!({}))
        .await;
    assert_eq!(ok(&r)["status"], "completed");
    // Completed: the host may still record attendance; nobody may reply.
    let admin_rsvp = ok(&app.http.get(&format!("{path}/rsvps"), &w.admin).await)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = on_the_day
        .http
        .post(
            &format!("/api/v1/event-rsvps/{admin_rsvp}/check-in"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = on_the_day
        .http
        .post(
            &format!("{path}/rsvps"),
            &late_token,
            &json!({"response": "going"}),
        )
        .await;
    assert_eq!(conflict(&r), "event.completed");
    let figures =
        ok(&app.http.get(&format!("{path}/attendance"), &w.admin).await)["figures"].clone();
    assert_eq!(figures["show_rate_pct"], 100, "{figures}");
}

async fn a_partner_hosts_a_workshop_for_its_customers_on_the_public_page(app: TestApp) {
    let w = app.world().await;
    let start = Utc::now().duration_trunc(Duration::minutes(1)).unwrap() + Duration::hours(1);
    let mut body = webinar(None, "Alpha cloud cost workshop", start, Some(2));
    body["kind"] = json!("workshop");
    body["join_url"] = Value::Null;
    body["location"] = json!("Alpha Systems, room Atlas");
    body["audience"] = json!("customers");
    // Its admin hosts; its reps do not; nobody hosts for another partner.
    let r = app.http.post("/api/v1/events", &w.a.rep_token, &body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(rule(&r), "role.host_event", "{}", r.text());
    let mut for_b = body.clone();
    for_b["partner_id"] = json!(w.b.partner.id.to_string());
    let r = app
        .http
        .post("/api/v1/events", &w.a.admin_token, &for_b)
        .await;
    assert_eq!(r.problem_rules(), ["partner_id:own_partner"]);
    assert!(!r.text().contains("Beta"));
    let mut with_program = body.clone();
    with_program["program_id"] = json!(w.other_program.id.to_string());
    let r = app
        .http
        .post("/api/v1/events", &w.a.admin_token, &with_program)
        .await;
    assert_eq!(r.problem_rules(), ["program_id:partner_program"]);
    let mut vendor_campaign = webinar(Some(&w.program.id.to_string()), "x", start, None);
    vendor_campaign["campaign_id"] = json!("cmp_00000000000000000000000000000000");
    let r = app
        .http
        .post("/api/v1/events", &w.admin, &vendor_campaign)
        .await;
    assert_eq!(r.problem_rules(), ["campaign_id:partner_events_only"]);

    let e = published(&app, &w.a.admin_token, &body).await;
    assert_eq!(e["host_partner_id"], w.a.partner.id.to_string());
    assert_eq!(e["program_id"], w.program.id.to_string());
    let id = e["id"].as_str().unwrap().to_owned();
    let slug = e["slug"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/events/{id}");
    // For customers only: A's own people cannot reply.
    assert_eq!(
        conflict(&reply(&app, &w.a.rep_token, &id, "going").await),
        "event.audience"
    );
    // B never sees A's event.
    assert_eq!(
        app.http.get(&path, &w.b.admin_token).await.status,
        StatusCode::NOT_FOUND
    );

    // The public page: in the event's zone, with its calendar file.
    let page = app.http.page(&format!("/events/{slug}"), "").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Alpha cloud cost workshop"), "{html}");
    assert!(html.contains("UTC+01:00"), "{html}");
    let ics = app
        .http
        .page(&format!("/events/{slug}/calendar.ics"), "")
        .await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(
        ics.text().contains("SUMMARY:Alpha cloud cost workshop"),
        "{}",
        ics.text()
    );

    // Customers reply: a name with markup is kept as typed and never becomes markup.
    let r = public_reply(
        &app.http,
        &slug,
        &[
            ("name", "<script>alert('x')</script> Ann"),
            ("email", "ann@initech.example"),
            ("company", "Initech"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let thanks = r.text();
    assert!(thanks.contains("You are registered"), "{thanks}");
    assert!(!thanks.contains("<script>alert"), "{thanks}");
    let ann = personal_code(&thanks);
    // The same address again: refused, naming the rule.
    let r = public_reply(
        &app.http,
        &slug,
        &[
            ("name", "Ann"),
            ("email", "ANN@initech.example"),
            ("company", "Initech"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("replied to this event already"));
    // A bot fills the honeypot: thanked, nothing stored. Bad input names the fields.
    let r = public_reply(
        &app.http,
        &slug,
        &[
            ("name", "Bot"),
            ("email", "bot@spam.example"),
            ("company", "Spam"),
            ("website", "http://spam.example"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = public_reply(
        &app.http,
        &slug,
        &[("name", ""), ("email", "nope"), ("company", "")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("id=\"email-error\""), "{}", r.text());
    let r = app
        .http
        .form(&format!("/events/{slug}"), "", &[("name", "x")], &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = public_reply(
        &app.http,
        &slug,
        &[
            ("name", "Bob"),
            ("email", "bob@initech.example"),
            ("company", "Initech"),
        ],
    )
    .await;
    let bob = personal_code(&r.text());
    let r = public_reply(
        &app.http,
        &slug,
        &[
            ("name", "Cy"),
            ("email", "cy@initech.example"),
            ("company", "Initech"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.text().contains("you are on the waitlist"), "{}", r.text());
    // Five replies from one address in ten minutes (the bot's and the bad ones did not
    // count): the sixth waits.
    let r = public_reply(
        &app.http,
        &slug,
        &[
            ("name", "Di"),
            ("email", "di@initech.example"),
            ("company", "Initech"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = public_reply(
        &app.http,
        &slug,
        &[
            ("name", "Ed"),
            ("email", "ed@initech.example"),
            ("company", "Initech"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = public_reply(
        &app.http,
        &slug,
        &[
            ("name", "Flo"),
            ("email", "flo@initech.example"),
            ("company", "Initech"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());

    // The replies count for A, which sees them; the vendor sees them too; B does not.
    let list = ok(&app.http.get(&format!("{path}/rsvps"), &w.a.rep_token).await);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 5);
    assert!(
        list.iter()
            .all(|r| r["partner_id"] == w.a.partner.id.to_string()
                && r["attendee_kind"] == "customer")
    );
    assert_eq!(list[0]["name"], "<script>alert('x')</script> Ann");
    let statuses: Vec<&str> = list.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        ["going", "going", "waitlisted", "waitlisted", "waitlisted"]
    );
    assert_eq!(
        ok(&app.http.get(&format!("{path}/rsvps"), &w.admin).await)
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(
        app.http
            .get(&format!("{path}/rsvps"), &w.b.admin_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Bob cancels on his personal page: Cy, first on the waitlist, gets the seat.
    let personal = app.http.page(&format!("/rsvp/{bob}"), "").await;
    assert_eq!(personal.status, StatusCode::OK);
    let cookie = personal
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_public_csrf="))
        .unwrap();
    let token = crate::session::csrf_of(&personal.text());
    let r = app
        .http
        .form(
            &format!("/rsvp/{bob}/cancel"),
            &cookie,
            &[("_csrf", token.as_str())],
            &[],
        )
        .await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    let list = ok(&app.http.get(&format!("{path}/rsvps"), &w.a.rep_token).await);
    let by_name = |n: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(
        (by_name("Bob"), by_name("Cy"), by_name("Di")),
        (json!("not_going"), json!("going"), json!("waitlisted"))
    );

    // Ann checks herself in (the workshop starts within two hours); A's rep checks Cy in.
    let personal = app.http.page(&format!("/rsvp/{ann}"), "").await;
    assert!(
        personal.text().contains("id=\"self-check-in\""),
        "{}",
        personal.text()
    );
    assert!(
        !personal.text().contains("<script>alert"),
        "{}",
        personal.text()
    );
    let cookie = personal
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_public_csrf="))
        .unwrap();
    let token = crate::session::csrf_of(&personal.text());
    let r = app
        .http
        .form(
            &format!("/rsvp/{ann}/check-in"),
            &cookie,
            &[("_csrf", token.as_str())],
            &[],
        )
        .await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    let cy = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Cy")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(&app
        .http
        .post(
            &format!("/api/v1/event-rsvps/{cy}/check-in"),
            &w.a.rep_token,
            &json!({}),
        )
        .await);
    // B's users never check in A's attendees.
    assert_eq!(
        app.http
            .post(
                &format!("/api/v1/event-rsvps/{cy}/check-in"),
                &w.b.admin_token,
                &json!({})
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let a = ok(&app
        .http
        .get(&format!("{path}/attendance"), &w.a.admin_token)
        .await);
    assert_eq!(a["figures"]["checked_in"], 2);
    assert_eq!(a["by_partner"][0]["customers_checked_in"], 2, "{a}");
    // Customers' check-ins are not partner engagement.
    let counts = app.store.engagement_counts(&w.a.partner.id).await.unwrap();
    assert_eq!(counts.get("event_attended"), None);
    // Unknown codes and pages are plain 404s.
    assert_eq!(
        app.http
            .page("/rsvp/0123456789abcdef0123456789abcdef", "")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.http
            .page("/events/0123456789abcdef01234567", "")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Cancelled: the page says so and takes nothing.
    ok(&app
        .http
        .post(&format!("{path}/cancel"), &w.a.admin_token, &json!({}))
        .await);
    let page = app.http.page(&format!("/events/{slug}"), "").await.text();
    assert!(page.contains("This event was cancelled"), "{page}");
    assert!(!page.contains("rsvp-form"));
}

async fn concurrent_replies_never_overbook_the_last_seat(app: TestApp) {
    let w = app.world().await;
    let start = Utc::now() + Duration::days(2);
    let e = published(
        &app,
        &w.admin,
        &webinar(
            Some(&w.program.id.to_string()),
            "Three seats",
            start,
            Some(3),
        ),
    )
    .await;
    let id = e["id"].as_str().unwrap().to_owned();
    let mut tokens = Vec::new();
    for i in 0..12 {
        let (_, t) = app
            .user_with_token(
                &format!("racer{i}@alpha.example"),
                "partner_rep",
                Some(&w.a.partner),
            )
            .await;
        tokens.push(t);
    }
    let second = app.second_instance().await;
    let mut calls = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let http = if i % 2 == 0 {
            app.http.clone()
        } else {
            second.http.clone()
        };
        let (token, path) = (token.clone(), format!("/api/v1/events/{id}/rsvps"));
        calls.push(tokio::spawn(async move {
            http.post(&path, &token, &json!({"response": "going"}))
                .await
        }));
    }
    let mut going = 0;
    let mut waiting = 0;
    for c in calls {
        let r = c.await.unwrap();
        match ok(&r)["status"].as_str() {
            Some("going") => going += 1,
            Some("waitlisted") => waiting += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((going, waiting), (3, 9));
    assert_eq!(
        ok(&app
            .http
            .get(&format!("/api/v1/events/{id}"), &w.admin)
            .await)["going_count"],
        3
    );

    // Two of the seated cancel at once, on both instances: exactly the first two of the
    // waitlist move up, never a fourth seat.
    let list = ok(&app
        .http
        .get(&format!("/api/v1/events/{id}/rsvps"), &w.admin)
        .await);
    let list = list.as_array().unwrap().clone();
    let seated: Vec<String> = list
        .iter()
        .filter(|r| r["status"] == "going")
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    let mut queue: Vec<(chrono::DateTime<chrono::FixedOffset>, String, String)> = list
        .iter()
        .filter(|r| r["status"] == "waitlisted")
        .map(|r| {
            (
                chrono::DateTime::parse_from_rfc3339(r["placed_at"].as_str().unwrap()).unwrap(),
                r["id"].as_str().unwrap().to_owned(),
                r["email"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    queue.sort();
    let mut calls = Vec::new();
    for (i, email) in seated.iter().take(2).enumerate() {
        let n: usize = email
            .trim_start_matches("racer")
            .split('@')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let http = if i == 0 {
            app.http.clone()
        } else {
            second.http.clone()
        };
        let (token, path) = (tokens[n].clone(), format!("/api/v1/events/{id}/rsvps"));
        calls.push(tokio::spawn(async move {
            http.post(&path, &token, &json!({"response": "not_going"}))
                .await
        }));
    }
    for c in calls {
        assert_eq!(ok(&c.await.unwrap())["status"], "not_going");
    }
    let after = ok(&app
        .http
        .get(&format!("/api/v1/events/{id}/rsvps"), &w.admin)
        .await);
    let now_going: Vec<String> = after
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "going")
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(now_going.len(), 3, "{after}");
    for (_, _, email) in &queue[..2] {
        assert!(
            now_going.contains(email),
            "{email} was first in line: {after}"
        );
    }
    assert_eq!(
        ok(&app
            .http
            .get(&format!("/api/v1/events/{id}"), &w.admin)
            .await)["going_count"],
        3
    );
}
