//! The agenda and the calendar feed through the API, on both databases.

use chrono::{Datelike, TimeDelta, Utc};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::on_both;

on_both!(
    each_user_sees_what_is_due_for_them,
    the_calendar_feed_is_private_and_revocable,
    a_channel_manager_sees_the_partners_they_look_after,
);

fn ok(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn created(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + TimeDelta::days(offset)).to_string()
}

/// Every item of an agenda answer, overdue then upcoming.
fn items(agenda: &Value) -> Vec<Value> {
    agenda["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .chain(agenda["upcoming"].as_array().unwrap())
        .cloned()
        .collect()
}

fn kinds_and_links(agenda: &Value) -> Vec<(String, String)> {
    items(agenda)
        .iter()
        .map(|i| (s(i, "kind"), s(i, "link")))
        .collect()
}

/// A's rep registers a deal and the channel manager approves it; returns it.
async fn approved(app: &TestApp, w: &World, name: &str) -> Value {
    let reg = created(
        &app.http
            .post(
                "/api/v1/registrations",
                &w.a.rep_token,
                &json!({"account": {"name": name, "web_domain": format!("{}.example", name.to_lowercase()), "country": "US"},
                        "title": format!("{name} rollout"), "estimated_arr_minor": 5_000_000_00_i64}),
            )
            .await,
    );
    ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{}/approve", s(&reg, "id")),
            &w.channel,
            &json!({}),
        )
        .await)
}

/// An agreed plan for A starting this month: a monthly review is due by its end.
async fn agreed_plan(app: &TestApp, w: &World) -> String {
    let t = Utc::now().date_naive();
    let start = format!("{:04}-{:02}-01", t.year(), t.month());
    let plan = created(
        &app.http
            .post(
                "/api/v1/business-plans",
                &w.channel,
                &json!({"partner_id": w.a.partner.id.to_string(), "title": "Alpha FY plan", "period_start": start,
                        "content": {"milestones": [{"quarter": 1, "sourced_arr_minor": 200_000_00}],
                                    "marketing": [{"kind": "event", "title": "Joint roadshow", "on": day(5)}]}}),
            )
            .await,
    );
    let id = s(&plan, "id");
    for token in [&w.a.admin_token, &w.channel] {
        ok(&app
            .http
            .post(
                &format!("/api/v1/business-plans/{id}/sign"),
                token,
                &json!({}),
            )
            .await);
    }
    id
}

async fn each_user_sees_what_is_due_for_them(app: TestApp) {
    let w = app.world().await;
    let reg = approved(&app, &w, "Hooli").await;
    let rid = s(&reg, "id");
    let oid = s(&reg, "opportunity_id");
    // Direct sales asks A for consent: A must answer.
    created(
        &app.http
            .post(
                &format!("/api/v1/registrations/{rid}/engagement-requests"),
                &w.sales,
                &json!({"reason": "the customer asked for us"}),
            )
            .await,
    );
    // Two tasks in the deal room for A's rep: one overdue, one in three days; one for A's
    // admin is not the rep's.
    let tasks = format!("/api/v1/opportunities/{oid}/room/tasks");
    for (title, due) in [
        ("Send the questionnaire", day(-2)),
        ("Book the demo", day(3)),
    ] {
        created(
            &app.http
                .post(
                    &tasks,
                    &w.channel,
                    &json!({"title": title, "owner_id": w.a.rep.id.to_string(), "due_on": due}),
                )
                .await,
        );
    }
    let plan = agreed_plan(&app, &w).await;

    let rep = ok(&app.http.get("/api/v1/cadence", &w.a.rep_token).await);
    assert_eq!(rep["today"], day(0));
    assert_eq!(rep["until"], day(30));
    let overdue = rep["overdue"].as_array().unwrap();
    assert_eq!(overdue.len(), 1, "{rep}");
    assert_eq!(overdue[0]["kind"], "task");
    assert_eq!(overdue[0]["days_left"], -2);
    assert_eq!(
        overdue[0]["link"],
        format!("/portal/opportunities/{oid}/room")
    );
    let mine = kinds_and_links(&rep);
    let reg_link = format!("/portal/registrations/{rid}");
    let plan_link = format!("/portal/business-plans/{plan}");
    for expected in [
        ("follow_up_sla", reg_link.as_str()),
        ("engagement_request", reg_link.as_str()),
        ("review", plan_link.as_str()),
        ("commitment", plan_link.as_str()),
    ] {
        assert!(
            mine.iter().any(|(k, l)| k == expected.0 && l == expected.1),
            "{expected:?} in {rep}"
        );
    }
    // Upcoming items are in due order.
    let upcoming: Vec<String> = rep["upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(i, "due_on"))
        .collect();
    let mut sorted = upcoming.clone();
    sorted.sort();
    assert_eq!(upcoming, sorted);

    // A's admin shares the partner's items but not the rep's tasks.
    let admin = ok(&app.http.get("/api/v1/cadence", &w.a.admin_token).await);
    assert!(
        !kinds_and_links(&admin).iter().any(|(k, _)| k == "task"),
        "{admin}"
    );
    assert!(
        kinds_and_links(&admin)
            .iter()
            .any(|(k, _)| k == "follow_up_sla")
    );

    // B sees none of it, and nothing names A.
    let b = app.http.get("/api/v1/cadence", &w.b.admin_token).await;
    let b_items = items(&ok(&b));
    assert!(b_items.is_empty(), "{}", b.text());
    assert!(!b.text().contains(&rid) && !b.text().contains("Alpha"));

    // Staff see every partner's items with the partner named, on console links.
    let staff = ok(&app.http.get("/api/v1/cadence", &w.channel).await);
    let sla = items(&staff)
        .into_iter()
        .find(|i| i["kind"] == "follow_up_sla" && i["subject"]["id"] == rid.as_str())
        .unwrap_or_else(|| panic!("the SLA item in {staff}"));
    assert_eq!(sla["link"], format!("/console/registrations/{rid}"));
    assert_eq!(sla["partner_name"], w.a.partner.name.as_str());

    // The plans at a glance: A's plan this quarter for staff and A, nothing for B.
    let glance = ok(&app.http.get("/api/v1/cadence/plans", &w.channel).await);
    assert_eq!(glance.as_array().unwrap().len(), 1, "{glance}");
    assert_eq!(glance[0]["plan_id"], plan.as_str());
    assert_eq!(glance[0]["quarter"]["quarter"], 1);
    assert_eq!(glance[0]["quarter"]["milestone_minor"], 200_000_00);
    let own = ok(&app.http.get("/api/v1/cadence/plans", &w.a.rep_token).await);
    assert_eq!(own.as_array().unwrap().len(), 1);
    let none = ok(&app.http.get("/api/v1/cadence/plans", &w.b.rep_token).await);
    assert!(none.as_array().unwrap().is_empty());

    // A task done leaves the list.
    let task_id = ok(&app
        .http
        .get(&format!("/api/v1/opportunities/{oid}/room"), &w.a.rep_token)
        .await)["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == "Send the questionnaire")
        .map(|t| s(t, "id"))
        .unwrap();
    ok(&app
        .http
        .patch(
            &format!("/api/v1/room-tasks/{task_id}"),
            &w.a.rep_token,
            &json!({"status": "done"}),
        )
        .await);
    let rep = ok(&app.http.get("/api/v1/cadence", &w.a.rep_token).await);
    assert!(rep["overdue"].as_array().unwrap().is_empty(), "{rep}");

    // The monthly review is held: it leaves the list, and its next step is the rep's task.
    created(&app
        .http
        .post(
            &format!("/api/v1/business-plans/{plan}/reviews"),
            &w.channel,
            &json!({"kind": "monthly_pipeline_review", "held_on": day(0),
                    "attendees": ["Ana (Alpha)", "Cory (vendor)"], "next_steps": ["Send the target list"],
                    "next_step_owner_id": w.a.rep.id.to_string(), "next_steps_due_on": day(7)}),
        )
        .await);
    let rep = ok(&app.http.get("/api/v1/cadence", &w.a.rep_token).await);
    let task = items(&rep)
        .into_iter()
        .find(|i| i["kind"] == "plan_task")
        .unwrap_or_else(|| panic!("the plan task in {rep}"));
    assert_eq!(task["title"], "Send the target list (Alpha FY plan)");
    assert_eq!(task["due_on"], day(7));
    assert_eq!(task["link"], plan_link);
    assert!(
        !kinds_and_links(&rep).iter().any(|(k, _)| k == "review"),
        "the month's review was held: {rep}"
    );
}

/// The path of a feed URL (the server's public URL is not this test server's).
fn feed_path(url: &str) -> String {
    let at = url.find("/calendar/").expect("a calendar URL");
    url[at..].to_owned()
}

async fn the_calendar_feed_is_private_and_revocable(app: TestApp) {
    let w = app.world().await;
    let reg = approved(&app, &w, "Initech").await;
    approved_b(&app, &w).await;
    assert_eq!(
        app.http
            .get("/api/v1/calendar-feed", &w.a.rep_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let first = created(
        &app.http
            .post("/api/v1/calendar-feed", &w.a.rep_token, &json!({}))
            .await,
    );
    let url = feed_path(&s(&first, "url"));
    assert!(url.ends_with(".ics"));
    let ics = app
        .http
        .send(Method::GET, &url, &[], Default::default())
        .await;
    assert_eq!(ics.status, StatusCode::OK, "{}", ics.text());
    assert_eq!(
        ics.header("content-type").as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    // Long lines are folded (RFC 5545 3.1): unfold before reading.
    let text = ics.text().replace("\r\n ", "");
    assert!(text.starts_with("BEGIN:VCALENDAR"));
    assert!(
        text.contains("SUMMARY:Log a follow-up on Initech rollout"),
        "{text}"
    );
    assert!(text.contains(&format!("/portal/registrations/{}", s(&reg, "id"))));
    assert!(
        !text.contains("Beta") && !text.contains("Umbrella"),
        "B's deal: {text}"
    );
    let live = ok(&app.http.get("/api/v1/calendar-feed", &w.a.rep_token).await);
    assert!(
        !live["last_used_at"].is_null(),
        "reading the feed is recorded"
    );
    assert!(live.get("url").is_none(), "the URL is shown once");

    // A new address revokes the old one; revoking leaves none.
    let second = created(
        &app.http
            .post("/api/v1/calendar-feed", &w.a.rep_token, &json!({}))
            .await,
    );
    let url2 = feed_path(&s(&second, "url"));
    assert_ne!(url, url2);
    let get = |path: String| {
        let http = &app.http;
        async move {
            http.send(Method::GET, &path, &[], Default::default())
                .await
                .status
        }
    };
    assert_eq!(get(url.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(get(url2.clone()).await, StatusCode::OK);
    let revoked = app
        .http
        .api(
            Method::DELETE,
            "/api/v1/calendar-feed",
            Some(&w.a.rep_token),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    assert_eq!(get(url2).await, StatusCode::NOT_FOUND);
    let again = app
        .http
        .api(
            Method::DELETE,
            "/api/v1/calendar-feed",
            Some(&w.a.rep_token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    // A made-up token, or one without the suffix, is a plain 404.
    assert_eq!(
        get("/calendar/cal_0000.ics".into()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/calendar/whatever".into()).await,
        StatusCode::NOT_FOUND
    );
    // Creating and revoking are audited: each feed was created, then revoked.
    for feed in [&first, &second] {
        let id = feed["feed"]["id"].as_str().unwrap();
        let trail = app
            .store
            .audit_trail(
                &partnerops_core::scope::Scope::Vendor,
                partnerops_core::audit::EntityKind::CalendarFeed,
                id,
                &partnerops_core::page::PageRequest::parse(
                    &Default::default(),
                    partnerops_store::audit::SORTS,
                )
                .unwrap(),
            )
            .await
            .unwrap();
        let actions: Vec<&str> = trail.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["created", "revoked"], "{id}");
    }
}

/// B's rep registers a deal of its own, so there is something of B's to leak.
async fn approved_b(app: &TestApp, w: &World) {
    let reg = created(
        &app.http
            .post(
                "/api/v1/registrations",
                &w.b.rep_token,
                &json!({"account": {"name": "Umbrella", "web_domain": "umbrella.example", "country": "US"},
                        "title": "Umbrella rollout", "estimated_arr_minor": 1_000_00}),
            )
            .await,
    );
    ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{}/approve", s(&reg, "id")),
            &w.channel,
            &json!({}),
        )
        .await);
}

async fn a_channel_manager_sees_the_partners_they_look_after(app: TestApp) {
    let w = app.world().await;
    let mine = approved(&app, &w, "Hooli").await;
    approved_b(&app, &w).await;
    let channel = app
        .store
        .user_by_email(
            &partnerops_core::scope::Scope::Vendor,
            "channel@vendor.example",
        )
        .await
        .unwrap();
    let slas = |v: &Value| -> Vec<String> {
        items(v)
            .iter()
            .filter(|i| i["kind"] == "follow_up_sla")
            .map(|i| s(i, "title"))
            .collect()
    };
    let before = ok(&app.http.get("/api/v1/cadence", &w.channel).await);
    assert_eq!(before["my_partners_only"], false);
    assert_eq!(slas(&before).len(), 2, "{before}");

    let path = format!("/api/v1/partners/{}/channel-manager", w.a.partner.id);
    let put = |token: String, body: Value| {
        let (http, path) = (&app.http, path.clone());
        async move {
            http.api(Method::PUT, &path, Some(&token), Some(&body))
                .await
        }
    };
    let not_staff = put(w.admin.clone(), json!({"user_id": w.a.rep.id.to_string()})).await;
    assert_eq!(not_staff.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_staff.problem_rules(), ["user_id:channel_manager"]);
    let by_partner = put(
        w.a.admin_token.clone(),
        json!({"user_id": channel.id.to_string()}),
    )
    .await;
    assert_eq!(
        by_partner.status,
        StatusCode::FORBIDDEN,
        "{}",
        by_partner.text()
    );
    let set = ok(&put(w.admin.clone(), json!({"user_id": channel.id.to_string()})).await);
    assert_eq!(set["display_name"], channel.display_name.as_str());
    // The partner sees who looks after it; another partner does not even see the partner.
    assert_eq!(
        ok(&app.http.get(&path, &w.a.admin_token).await)["user_id"],
        channel.id.to_string()
    );
    assert_eq!(
        app.http.get(&path, &w.b.admin_token).await.status,
        StatusCode::NOT_FOUND
    );

    // The channel manager's list now holds A's items only; everyone=true shows B's too.
    let after = ok(&app.http.get("/api/v1/cadence", &w.channel).await);
    assert_eq!(after["my_partners_only"], true);
    assert_eq!(
        slas(&after),
        [format!("Log a follow-up on {}", s(&mine, "title"))]
    );
    let all = ok(&app
        .http
        .get("/api/v1/cadence?everyone=true", &w.channel)
        .await);
    assert_eq!(slas(&all).len(), 2);
    let bad = app
        .http
        .get("/api/v1/cadence?everyone=maybe", &w.channel)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.problem_rules(), ["everyone:one_of"]);
    // The administrator looks after nobody: every partner's items.
    assert_eq!(
        slas(&ok(&app.http.get("/api/v1/cadence", &w.admin).await)).len(),
        2
    );

    // Cleared: the whole list again.
    let cleared = put(w.admin.clone(), json!({"user_id": null})).await;
    assert!(ok(&cleared).is_null());
    let again = ok(&app.http.get("/api/v1/cadence", &w.channel).await);
    assert_eq!(
        (again["my_partners_only"].clone(), slas(&again).len()),
        (json!(false), 2)
    );
}
