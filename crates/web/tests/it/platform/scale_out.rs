//! Two instances over one PostgreSQL database run what `partnerops serve` runs in the
//! background (the scheduler's tick and the webhook worker) at the same time, round after
//! round: every due job runs once per slot, every e-mail arrives once and every event
//! reaches a webhook subscription once. Each capability's own suite races one of these;
//! this test races them together, as two real instances do.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use hyper::StatusCode;
use partnerops_store::jobs::{RunReport, registry};
use serde_json::json;

use crate::harness::{Db, spawn};
use crate::mailbox::Mailbox;
use crate::webhook::Receiver;

const COMPANIES: [&str; 6] = [
    "Acme Rockets",
    "Bluth Company",
    "Cyberdyne",
    "Dunder Mifflin",
    "Encom",
    "Soylent",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_run_each_job_mail_and_delivery_once() {
    let app = spawn(Db::Postgres).await;
    let w = app.world().await;
    let mailbox = Mailbox::new();
    let settings = mailbox.settings(app.http.base());
    let receiver = Receiver::start().await;
    let r = app
        .http
        .post(
            "/api/v1/webhook-subscriptions",
            &w.admin,
            &json!({"url": receiver.url, "event_kinds": ["registration.*"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // Approved registrations, which the sweep expires once their 90 days are over.
    let mut registrations = Vec::new();
    for (i, company) in COMPANIES.iter().enumerate() {
        let r = app
            .http
            .post(
                "/api/v1/registrations",
                &w.a.rep_token,
                &json!({"title": format!("{company} rollout"), "estimated_arr_minor": 1_000_000,
                        "account": {"name": company, "web_domain": format!("scale{i}.example"), "country": "US"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_owned();
        let r = app
            .http
            .post(
                &format!("/api/v1/registrations/{id}/approve"),
                &w.channel,
                &json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        registrations.push(id);
    }

    // Both instances tick and deliver at once, on the same clock: today (the approvals are
    // announced and mailed), tomorrow, then 100 days on (the registrations expire) and the
    // days after. Each round is on a later day, so every job has a new slot in every round.
    let second = app.second_instance().await;
    let today = Utc::now();
    let kinds: Vec<&str> = registry().iter().map(|j| j.kind()).collect();
    let mut sent = 0;
    let mut delivered = 0;
    for (round, days) in [0, 1, 100, 101, 102].into_iter().enumerate() {
        let at = today + Duration::days(days);
        let one = app.store_as_of(at).with_notify(settings.clone());
        let two = second
            .store
            .clone()
            .with_clock(std::sync::Arc::new(move || at))
            .with_notify(settings.clone());
        let tick = |store: partnerops_store::Store| {
            tokio::spawn(async move {
                let jobs = store.run_scheduled().await.unwrap();
                let hooks = store.deliver_webhooks().await.unwrap();
                (jobs, hooks)
            })
        };
        let (a, b) = tokio::join!(tick(one), tick(two));
        let ((jobs_a, hooks_a), (jobs_b, hooks_b)) = (a.unwrap(), b.unwrap());
        let runs = ran(&[&jobs_a, &jobs_b]);
        for kind in &kinds {
            assert_eq!(
                runs.get(kind).copied(),
                Some(1),
                "round {round}: {kind} runs once in its slot: {jobs_a} / {jobs_b}"
            );
        }
        sent += jobs_a.count("notifications.send_mail", "sent")
            + jobs_b.count("notifications.send_mail", "sent");
        assert_eq!(hooks_a.failed + hooks_b.failed, 0);
        delivered += hooks_a.delivered + hooks_b.delivered;
    }

    // The sweep expired each registration once, on one of the instances.
    let expired: Vec<String> = registrations
        .iter()
        .filter(|id| {
            receiver.received().iter().any(|r| {
                let v = r.json();
                v["type"] == "registration.expired" && v["data"]["id"] == id.as_str()
            })
        })
        .cloned()
        .collect();
    assert_eq!(
        expired, registrations,
        "every expiry reached the subscription"
    );

    // Each event reached the subscription once: no webhook-id and no (type, record) twice.
    let received = receiver.received();
    assert_eq!(
        received.len() as u64,
        delivered,
        "the reports count what arrived"
    );
    let mut ids: Vec<String> = received
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), received.len(), "no event arrived twice");
    let mut events: Vec<(String, String)> = received
        .iter()
        .map(|r| {
            let v = r.json();
            (v["type"].to_string(), v["data"]["id"].to_string())
        })
        .collect();
    events.sort();
    let all = events.len();
    events.dedup();
    assert_eq!(events.len(), all, "no record's event was sent twice");

    // Each e-mail arrived once, and every delivery was sent on its first attempt.
    let mails = mailbox.messages();
    assert!(sent > 0, "the approvals were mailed");
    assert_eq!(mails.len() as u64, sent, "the reports count what arrived");
    let mut seen: Vec<(String, String, String)> = mails
        .iter()
        .map(|m| (m.to.join(","), m.subject.clone(), m.body.clone()))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), mails.len(), "no message arrived twice");
    for user in [&w.a.admin, &w.a.rep] {
        let deliveries = app.store.email_deliveries(&user.id).await.unwrap();
        assert!(!deliveries.is_empty());
        assert!(
            deliveries
                .iter()
                .all(|d| d.status == "sent" && d.attempts == 1),
            "{deliveries:?}"
        );
    }
}

/// How often each job kind ran across the instances' reports.
fn ran<'a>(reports: &[&'a RunReport]) -> HashMap<&'a str, u64> {
    let mut runs = HashMap::new();
    for report in reports {
        for run in &report.runs {
            *runs.entry(run.kind.as_str()).or_default() += 1;
        }
    }
    runs
}
