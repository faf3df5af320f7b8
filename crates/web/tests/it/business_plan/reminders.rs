//! The reminders of the operating cadence (`business_plans.reminders`), and the tasks a
//! review's next steps become, on both databases: `run_due` as of a day sends each drift,
//! review and task reminder to the right people once, as notifications and as e-mails that
//! arrive at the SMTP sink with links that open; running again sends nothing twice, also
//! with two instances at once.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use hyper::StatusCode;
use partnerops_core::scope::Scope;
use partnerops_store::business_plan::ReminderReport;
use partnerops_store::business_plan::reminder::REMINDERS;
use partnerops_store::jobs::RunReport;
use partnerops_store::notification::mail::NotifySettings;
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::mailbox::{Mail, Mailbox};
use crate::on_both;
use crate::session::*;

on_both!(
    reminders_arrive_once_with_links_that_work,
    next_steps_become_tasks_for_either_side,
    two_instances_send_each_reminder_once,
);

const PLANS: &str = "/api/v1/business-plans";

fn ok(r: &Answer) -> Value {
    assert!(r.status.is_success(), "{} {}", r.status, r.text());
    r.json()
}

fn at(day: &str) -> DateTime<Utc> {
    format!("{day}T09:00:00Z").parse().unwrap()
}

/// Runs the due jobs as of `at` with `settings`, as `partnerops jobs run-due --as-of` does.
async fn jobs_at(app: &TestApp, at: DateTime<Utc>, settings: &NotifySettings) -> RunReport {
    app.store_as_of(at)
        .with_notify(settings.clone())
        .run_due()
        .await
        .expect("run due jobs")
}

/// (drift, reviews due, deal-room tasks due, plan tasks due) of a run.
fn sent(r: &RunReport) -> (u64, u64, u64, u64) {
    (
        r.count(REMINDERS, "drift"),
        r.count(REMINDERS, "reviews due"),
        r.count(REMINDERS, "deal-room tasks due"),
        r.count(REMINDERS, "plan tasks due"),
    )
}

async fn choose(app: &TestApp, token: &str, changes: Value) {
    let r = app
        .http
        .api(
            hyper::Method::PUT,
            "/api/v1/notification-preferences",
            Some(token),
            Some(&changes),
        )
        .await;
    ok(&r);
}

/// A's plan for 2030 (a Q1 milestone nothing is won against, so Q1 drifts from its first
/// day), agreed by both sides; a review whose next step is A's rep's, due 2030-01-29; and
/// a deal-room task of A's rep due the same day. Returns the plan's and the opportunity's
/// ids.
async fn setup(app: &TestApp, w: &World) -> (String, String) {
    let plan = ok(&app
        .http
        .post(
            PLANS,
            &w.channel,
            &json!({"partner_id": w.a.partner.id.to_string(), "title": "Alpha FY30", "period_start": "2030-01-01",
                    "content": {"milestones": [{"quarter": 1, "sourced_arr_minor": 90_000_00}]}}),
        )
        .await);
    let pid = plan["id"].as_str().unwrap().to_owned();
    for token in [&w.a.admin_token, &w.channel] {
        ok(&app
            .http
            .post(&format!("{PLANS}/{pid}/sign"), token, &json!({}))
            .await);
    }
    ok(&app
        .http
        .post(
            &format!("{PLANS}/{pid}/reviews"),
            &w.a.admin_token,
            &json!({"kind": "quarterly_business_review", "held_on": Utc::now().date_naive().to_string(),
                    "attendees": ["Ana (Alpha)", "Cory (vendor)"], "next_steps": ["Send the QBR deck"],
                    "next_step_owner_id": w.a.rep.id.to_string(), "next_steps_due_on": "2030-01-29"}),
        )
        .await);
    let reg = ok(&app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Initech", "web_domain": "initech.example", "country": "US"},
                    "title": "Initech rollout", "estimated_arr_minor": 40_000_00}),
        )
        .await);
    let approved = ok(&app
        .http
        .post(
            &format!(
                "/api/v1/registrations/{}/approve",
                reg["id"].as_str().unwrap()
            ),
            &w.channel,
            &json!({}),
        )
        .await);
    let oid = approved["opportunity_id"].as_str().unwrap().to_owned();
    ok(&app
        .http
        .post(
            &format!("/api/v1/opportunities/{oid}/room/tasks"),
            &w.a.rep_token,
            &json!({"title": "Send the pricing", "due_on": "2030-01-29"}),
        )
        .await);
    (pid, oid)
}

/// The messages that are not daily digests (the vendor admin keeps the default, the digest,
/// which goes out at 07:00 of the days the test runs).
fn immediate(mailbox: &Mailbox) -> Vec<Mail> {
    mailbox
        .messages()
        .into_iter()
        .filter(|m| !m.subject.starts_with("[partnerops] Daily digest"))
        .collect()
}

fn subjects(mails: &[Mail]) -> Vec<String> {
    let mut out: Vec<String> = mails.iter().map(|m| m.subject.clone()).collect();
    out.sort();
    out
}

/// The path of the mail's link ("Open: <public url><path>").
fn link(mail: &Mail, base: &str) -> String {
    let line = mail
        .body
        .lines()
        .find_map(|l| l.strip_prefix("Open: "))
        .unwrap_or_else(|| panic!("no link in {}", mail.body));
    line.trim()
        .strip_prefix(base)
        .unwrap_or_else(|| panic!("{line} is not under {base}"))
        .to_owned()
}

async fn reminders_arrive_once_with_links_that_work(app: TestApp) {
    let w = app.world().await;
    let (pid, oid) = setup(&app, &w).await;
    let mailbox = Mailbox::new();
    let settings = mailbox.settings(app.http.base());
    let base = app.http.base().to_owned();
    let now = json!({"jbp_drift": "immediately", "review_due": "immediately"});
    choose(&app, &w.a.admin_token, now.clone()).await;
    choose(&app, &w.channel, now).await;
    choose(&app, &w.a.rep_token, json!({"task_due": "immediately"})).await;

    // Three days before the monthly review is due; the tasks are due tomorrow.
    let first = jobs_at(&app, at("2030-01-28"), &settings).await;
    assert_eq!(sent(&first), (1, 1, 1, 1), "{first}");
    let plan_page = format!("/portal/business-plans/{pid}");
    let admin = mailbox.to("admin@alpha.example");
    assert_eq!(
        subjects(&admin),
        [
            "[partnerops] Business plan drifting in Q1: Alpha FY30",
            "[partnerops] Monthly pipeline review due by 2030-01-31: Alpha FY30",
        ]
    );
    let drift = admin
        .iter()
        .find(|m| m.subject.contains("drifting"))
        .unwrap();
    assert!(
        drift
            .body
            .contains("USD 0.00 won against a milestone of USD 90,000.00"),
        "the drift reason: {}",
        drift.body
    );
    for m in &admin {
        assert_eq!(link(m, &base), plan_page);
    }
    let channel = mailbox.to("channel@vendor.example");
    assert_eq!(subjects(&channel), subjects(&admin));
    for m in &channel {
        assert_eq!(link(m, &base), format!("/console/business-plans/{pid}"));
    }
    let rep = mailbox.to("rep@alpha.example");
    assert_eq!(
        subjects(&rep),
        [
            "[partnerops] Task due: Send the QBR deck",
            "[partnerops] Task due: Send the pricing",
        ]
    );
    let links: Vec<String> = rep.iter().map(|m| link(m, &base)).collect();
    assert!(links.contains(&plan_page), "{links:?}");
    assert!(
        links.contains(&format!("/portal/opportunities/{oid}/room")),
        "{links:?}"
    );
    // The vendor admin keeps the default (the digest); nobody of B hears of it.
    assert!(mailbox.to("admin@vendor.example").is_empty());
    assert_eq!(
        immediate(&mailbox).len(),
        6,
        "{:?}",
        subjects(&immediate(&mailbox))
    );
    for m in mailbox.messages() {
        assert!(
            m.to.iter().all(|t| !t.ends_with("@beta.example")),
            "{:?}",
            m.to
        );
        assert!(!m.raw.contains("Beta Consulting"), "{}", m.raw);
    }
    // The links open, each on its recipient's side.
    set_password(&app, &w.a.admin).await;
    let (psession, _) = partner_session(&app, &w.a.admin).await;
    let page = app.http.page(&link(drift, &base), &psession).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Alpha FY30"));
    let (vsession, _) = vendor_session(&app, &w).await;
    let page = app.http.page(&link(&channel[0], &base), &vsession).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    // In the app too, for the same people only.
    let kinds = |token: String| {
        let http = &app.http;
        async move {
            let list = ok(&http.get("/api/v1/notifications", &token).await);
            let mut kinds: Vec<String> = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["kind"].as_str().unwrap().to_owned())
                .collect();
            kinds.sort();
            kinds
        }
    };
    assert_eq!(
        kinds(w.a.admin_token.clone()).await,
        ["jbp_drift", "review_due"]
    );
    assert_eq!(kinds(w.a.rep_token.clone()).await, ["task_due", "task_due"]);
    assert!(kinds(w.b.admin_token.clone()).await.is_empty());
    assert!(kinds(w.b.rep_token.clone()).await.is_empty());

    // Again at once, and the next day: nothing is sent twice.
    let again = app
        .store_as_of(at("2030-01-28"))
        .send_reminders()
        .await
        .unwrap();
    assert_eq!(again, ReminderReport::default());
    let next_day = jobs_at(&app, at("2030-01-29"), &settings).await;
    assert_eq!(sent(&next_day), (0, 0, 0, 0), "{next_day}");
    assert_eq!(immediate(&mailbox).len(), 6);
    // The vendor admin's digest of the day lists what the reminders said.
    let digest = mailbox.to("admin@vendor.example");
    assert_eq!(digest.len(), 1, "{:?}", subjects(&digest));
    assert!(
        digest[0]
            .body
            .contains("Business plan drifting in Q1: Alpha FY30")
            && digest[0]
                .body
                .contains(&format!("{base}/console/business-plans/{pid}")),
        "{}",
        digest[0].body
    );
    // Overdue: the tasks once more, then the review.
    let late = jobs_at(&app, at("2030-01-30"), &settings).await;
    assert_eq!(sent(&late), (0, 0, 1, 1), "{late}");
    assert_eq!(
        subjects(&mailbox.to("rep@alpha.example"))[..2],
        [
            "[partnerops] Task due: Send the QBR deck",
            "[partnerops] Task due: Send the pricing",
        ]
    );
    assert!(
        mailbox
            .to("rep@alpha.example")
            .iter()
            .any(|m| m.subject == "[partnerops] Task overdue: Send the QBR deck"),
        "{:?}",
        subjects(&mailbox.to("rep@alpha.example"))
    );
    let review_late = jobs_at(&app, at("2030-02-01"), &settings).await;
    assert_eq!(sent(&review_late), (0, 1, 0, 0), "{review_late}");
    assert!(
        mailbox
            .to("admin@alpha.example")
            .iter()
            .any(|m| m.subject == "[partnerops] Monthly pipeline review overdue: Alpha FY30")
    );
    assert_eq!(immediate(&mailbox).len(), 6 + 2 + 2);
}

async fn next_steps_become_tasks_for_either_side(app: TestApp) {
    let w = app.world().await;
    let plan = ok(&app
        .http
        .post(
            PLANS,
            &w.channel,
            &json!({"partner_id": w.a.partner.id.to_string(), "title": "Alpha FY27", "period_start": "2027-01-01"}),
        )
        .await);
    let pid = plan["id"].as_str().unwrap().to_owned();
    let today = Utc::now().date_naive();
    let review = |token: &str, extra: Value| {
        let mut body = json!({"kind": "monthly_pipeline_review", "held_on": today.to_string(),
                              "attendees": ["Ana (Alpha)", "Cory (vendor)"]});
        if let (Some(b), Value::Object(x)) = (body.as_object_mut(), extra) {
            b.extend(x);
        }
        let http = &app.http;
        let (path, token) = (format!("{PLANS}/{pid}/reviews"), token.to_owned());
        async move { http.post(&path, &token, &body).await }
    };
    // Refused owners and dates leave nothing behind.
    let r = review(
        &w.channel,
        json!({"next_steps": ["x"], "next_step_owner_id": w.b.rep.id.to_string()}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), ["next_step_owner_id:not_eligible"]);
    let r = review(
        &w.channel,
        json!({"next_steps": ["x"], "next_steps_due_on": (today - TimeDelta::days(1)).to_string()}),
    )
    .await;
    assert_eq!(r.problem_rules(), ["next_steps_due_on:not_before_held_on"]);
    let reviews = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/reviews"), &w.channel)
        .await);
    assert!(reviews.as_array().unwrap().is_empty());

    // The channel manager hands two next steps to A's rep; A's admin records one of its own.
    ok(&review(
        &w.channel,
        json!({"next_steps": ["Intro to Globex", "Send the case study"], "next_step_owner_id": w.a.rep.id.to_string()}),
    )
    .await);
    ok(&review(
        &w.a.admin_token,
        json!({"next_steps": ["Book the QBR room"]}),
    )
    .await);
    let tasks = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/tasks"), &w.a.rep_token)
        .await);
    let tasks = tasks.as_array().unwrap().clone();
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    let due = (today + TimeDelta::days(14)).to_string();
    assert!(
        tasks
            .iter()
            .all(|t| t["due_on"] == due && t["status"] == "open")
    );
    let of = |title: &str| tasks.iter().find(|t| t["title"] == title).unwrap().clone();
    assert_eq!(of("Intro to Globex")["owner_id"], w.a.rep.id.to_string());
    assert_eq!(
        of("Book the QBR room")["owner_id"],
        w.a.admin.id.to_string(),
        "default: whoever records the review"
    );
    // B reads and changes none of it.
    let tid = of("Intro to Globex")["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/plan-tasks/{tid}");
    assert_eq!(
        app.http
            .get(&format!("{PLANS}/{pid}/tasks"), &w.b.admin_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .http
        .patch(&path, &w.b.rep_token, &json!({"status": "done"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .http
        .patch(&path, &w.a.rep_token, &json!({"status": "cancelled"}))
        .await;
    assert_eq!(r.problem_rules(), ["status:one_of"]);
    let done = ok(&app
        .http
        .patch(&path, &w.a.rep_token, &json!({"status": "done"}))
        .await);
    assert_eq!(done["status"], "done");
    assert!(!done["done_at"].is_null());

    // Each owner hears of their tasks at once, with a link to the plan on their side.
    let mailbox = Mailbox::new();
    let settings = mailbox.settings(app.http.base());
    jobs_at(&app, Utc::now(), &settings).await;
    let rep = mailbox.to("rep@alpha.example");
    let assigned: Vec<&Mail> = rep
        .iter()
        .filter(|m| m.subject.starts_with("[partnerops] Task assigned to you"))
        .collect();
    assert_eq!(assigned.len(), 2, "{:?}", subjects(&rep));
    assert_eq!(
        link(assigned[0], app.http.base()),
        format!("/portal/business-plans/{pid}")
    );
    assert!(
        mailbox
            .to("admin@alpha.example")
            .iter()
            .any(|m| m.subject == "[partnerops] Task assigned to you: Book the QBR room")
    );
    assert!(mailbox.to("rep@beta.example").is_empty());

    // The portal shows the tasks with a button that marks one done.
    set_password(&app, &w.a.rep).await;
    let (session, csrf) = partner_session(&app, &w.a.rep).await;
    let page = app
        .http
        .page(&format!("/portal/business-plans/{pid}"), &session)
        .await;
    let html = page.text();
    assert!(html.contains("Send the case study") && html.contains("id=\"tasks\""));
    let open = of("Send the case study")["id"].as_str().unwrap().to_owned();
    assert!(html.contains(&format!("id=\"done-{open}\"")), "{html}");
    let r = app
        .http
        .form(
            &format!("/portal/business-plans/{pid}/task"),
            &session,
            &[("_csrf", &csrf), ("task_id", &open), ("status", "done")],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // B's task cannot be reached through A's own plan page either.
    let theirs = ok(&app
        .http
        .post(
            PLANS,
            &w.channel,
            &json!({"partner_id": w.b.partner.id.to_string(), "title": "Beta FY27", "period_start": "2027-01-01"}),
        )
        .await);
    let bid = theirs["id"].as_str().unwrap().to_owned();
    ok(&app
        .http
        .post(
            &format!("{PLANS}/{bid}/reviews"),
            &w.b.admin_token,
            &json!({"kind": "monthly_pipeline_review", "held_on": today.to_string(),
                    "attendees": ["Beta"], "next_steps": ["Beta's own step"]}),
        )
        .await);
    let their_task = ok(&app
        .http
        .get(&format!("{PLANS}/{bid}/tasks"), &w.channel)
        .await)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .http
        .form(
            &format!("/portal/business-plans/{pid}/task"),
            &session,
            &[
                ("_csrf", &csrf),
                ("task_id", &their_task),
                ("status", "done"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert!(!r.text().contains("Beta"), "{}", r.text());
    let still = ok(&app
        .http
        .get(&format!("{PLANS}/{bid}/tasks"), &w.channel)
        .await);
    assert_eq!(still[0]["status"], "open");
    let tasks = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/tasks"), &w.channel)
        .await);
    let open_left: Vec<&Value> = tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "open")
        .collect();
    assert_eq!(open_left.len(), 1, "{tasks}");
}

async fn two_instances_send_each_reminder_once(app: TestApp) {
    let w = app.world().await;
    setup(&app, &w).await;
    let second = app.second_instance().await;
    let when = at("2030-01-28");
    let one = app.store_as_of(when);
    let two = second.store.clone().with_clock(Arc::new(move || when));
    let (a, b) = tokio::join!(
        tokio::spawn(async move { one.send_reminders().await.unwrap() }),
        tokio::spawn(async move { two.send_reminders().await.unwrap() })
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        (
            a.drift + b.drift,
            a.reviews_due + b.reviews_due,
            a.room_tasks_due + b.room_tasks_due,
            a.plan_tasks_due + b.plan_tasks_due
        ),
        (1, 1, 1, 1),
        "{a:?} {b:?}"
    );
    let events = app
        .store
        .pending_events(&Scope::Vendor, 10_000)
        .await
        .unwrap();
    for kind in [
        "jbp.drift",
        "jbp.review_due",
        "room.task_due",
        "jbp.task_due",
    ] {
        assert_eq!(
            events.iter().filter(|e| e.kind == kind).count(),
            1,
            "{kind}"
        );
    }
}
