//! Races: 50 submissions for one account on one and on two instances, concurrent decisions
//! on one record, and due-job sweeps on two instances: each has exactly one winner.

use chrono::{Duration, Utc};
use hyper::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::harness::{TestApp, World};
use crate::http::{Answer, Http};
use crate::on_both;

on_both!(
    fifty_concurrent_submissions_for_one_account,
    fifty_concurrent_submissions_on_two_instances,
    concurrent_decisions_have_one_winner,
    sweeps_on_two_instances_change_each_record_once,
);

// ---------------------------------------------------------------------------------------
// 6. Races.

/// 50 submissions for one new account from partner A, partner B and vendor staff on their
/// behalf, spread over `servers`.
async fn race(app: &TestApp, w: &World, servers: &[Http]) {
    let domains = ["race.example", "https://www.race.example/", "RACE.example."];
    let mut tasks = Vec::new();
    for i in 0..50usize {
        let http = servers[i % servers.len()].clone();
        let mut body = described(
            &format!("Race Corp {i}"),
            Some(domains[i % 3]),
            "US",
            1_000 + i as i64,
        );
        let token = match i % 5 {
            0 => w.a.admin_token.clone(),
            1 => w.a.rep_token.clone(),
            2 => w.b.admin_token.clone(),
            3 => w.b.rep_token.clone(),
            _ => {
                let on_behalf = if i % 2 == 0 { &w.a } else { &w.b };
                body["partner_id"] = json!(on_behalf.partner.id.to_string());
                w.channel.clone()
            }
        };
        tasks.push(tokio::spawn(
            async move { submit(&http, &token, &body).await },
        ));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let created: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(created.len(), 1, "{statuses:?}");
    let refused: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CONFLICT)
        .collect();
    assert_eq!(refused.len(), 49, "{statuses:?}");
    for r in &refused {
        assert_eq!(
            r.json()["rule"],
            "registration.account_held",
            "{}",
            r.text()
        );
    }
    let winner = created[0].json();
    let account = winner["account_id"].as_str().unwrap().to_owned();
    // One account, one holding registration.
    let accounts = app
        .http
        .get("/api/v1/accounts?q=race.example&archived=all", &w.admin)
        .await
        .json();
    assert_eq!(accounts["items"].as_array().unwrap().len(), 1, "{accounts}");
    let all = app
        .http
        .get(
            &format!("/api/v1/registrations?account_id={account}&limit=100"),
            &w.admin,
        )
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text());
    let all = all.json()["items"].as_array().unwrap().clone();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["id"], winner["id"]);
    let holding = app
        .http
        .get("/api/v1/registrations?status=pending&limit=100", &w.admin)
        .await
        .json();
    assert_eq!(holding["items"].as_array().unwrap().len(), 1);
}

async fn fifty_concurrent_submissions_for_one_account(app: TestApp) {
    let w = app.world().await;
    race(&app, &w, std::slice::from_ref(&app.http)).await;
}

async fn fifty_concurrent_submissions_on_two_instances(app: TestApp) {
    let w = app.world().await;
    let second = app.second_instance().await;
    // The second instance serves the same data.
    let me = second.http.get("/api/v1/me", &w.a.rep_token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    race(&app, &w, &[app.http.clone(), second.http.clone()]).await;
}

/// Spawns `n` copies of one POST and returns their statuses and answers.
async fn at_once(http: &Http, n: usize, path: &str, tokens: &[&str], body: &Value) -> Vec<Answer> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let (http, path, token, body) = (
            http.clone(),
            path.to_owned(),
            tokens[i % tokens.len()].to_owned(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            http.post(&path, &token, &body).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn one_winner(answers: &[Answer], what: &str) {
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{what}: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{what}: {statuses:?}"
    );
}

/// Two approvers, two renewals, two answers to one request, two resolutions: one wins.
async fn concurrent_decisions_have_one_winner(app: TestApp) {
    let w = app.world().await;
    let reg = registered(
        &app,
        &w.a.rep_token,
        &described("Contested", Some("contested.example"), "US", 10),
    )
    .await;
    let rid = id(&reg);
    let path = format!("/api/v1/registrations/{rid}");
    let approvals = at_once(
        &app.http,
        10,
        &format!("{path}/approve"),
        &[&w.admin, &w.channel],
        &json!({}),
    )
    .await;
    one_winner(&approvals, "approve");
    let rejections = at_once(
        &app.http,
        4,
        &format!("{path}/reject"),
        &[&w.channel],
        &json!({"reason": "late"}),
    )
    .await;
    assert!(
        rejections.iter().all(|a| a.status == StatusCode::CONFLICT),
        "approved already"
    );
    let demo = act(
        &app,
        &w.a.rep_token,
        &rid,
        "activities",
        &json!({"kind": "demo"}),
    )
    .await;
    assert_eq!(demo.status, StatusCode::CREATED);
    let renewals = at_once(
        &app.http,
        10,
        &format!("{path}/renew"),
        &[&w.a.rep_token, &w.a.admin_token],
        &json!({}),
    )
    .await;
    one_winner(&renewals, "renew");
    let after = get(&app, &w.admin, &rid).await;
    assert_eq!(after["renewals"], 1);
    assert_eq!(
        events_of(&app, &rid).await,
        vec![
            "registration.submitted",
            "registration.approved",
            "registration.renewed"
        ]
    );

    let ask = act(
        &app,
        &w.sales,
        &rid,
        "engagement-requests",
        &json!({"reason": "joint call"}),
    )
    .await;
    let eid = id(&ask.json());
    let grants = at_once(
        &app.http,
        8,
        &format!("/api/v1/engagement-requests/{eid}/grant"),
        &[&w.a.rep_token, &w.a.admin_token],
        &json!({}),
    )
    .await;
    one_winner(&grants, "grant");
    assert_eq!(
        events_of(&app, &eid).await,
        vec!["engagement.requested", "engagement.granted"]
    );

    let case = app
        .http
        .post(
            "/api/v1/conflicts",
            &w.a.admin_token,
            &json!({"registration_id": rid, "reason": "overlap"}),
        )
        .await;
    let cid = id(&case.json());
    let resolutions = at_once(
        &app.http,
        8,
        &format!("/api/v1/conflicts/{cid}/resolve"),
        &[&w.admin, &w.channel],
        &json!({"outcome": "shared", "reasoning": "co-sell"}),
    )
    .await;
    one_winner(&resolutions, "resolve");
    assert_eq!(
        rules_of(&app.http, &w.admin, &format!("/api/v1/conflicts/{cid}")).await,
        vec!["conflict.opened", "conflict.resolved"]
    );

    // Withdrawals race closes: one of them ends it.
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (http, token) = (app.http.clone(), w.a.rep_token.clone());
        let (what, body) = if i % 2 == 0 {
            ("withdraw", json!({}))
        } else {
            ("close", json!({"outcome": "lost"}))
        };
        let path = format!("{path}/{what}");
        tasks.push(tokio::spawn(async move {
            http.post(&path, &token, &body).await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    one_winner(&answers, "withdraw or close");
    let ended = events_of(&app, &rid).await;
    assert_eq!(
        ended
            .iter()
            .filter(|e| *e == "registration.withdrawn" || *e == "registration.closed_lost")
            .count(),
        1,
        "{ended:?}"
    );
}

/// Two instances run the due jobs as of the same moment at once: every expiry, SLA mark and
/// escalation happens once.
async fn sweeps_on_two_instances_change_each_record_once(app: TestApp) {
    let w = app.world().await;
    let mut regs = Vec::new();
    // Names far apart ("Sweep 1" and "Sweep 2" would be near duplicates of each other).
    let names = [
        "Acme Rockets",
        "Bluth Company",
        "Cyberdyne",
        "Dunder Mifflin",
        "Encom",
        "Soylent",
    ];
    for (i, name) in names.iter().enumerate() {
        let reg = registered(
            &app,
            &w.a.rep_token,
            &described(name, Some(&format!("sweep{i}.example")), "US", 10),
        )
        .await;
        assert!(reg["possible_duplicate_of"].is_null(), "{reg}");
        let rid = id(&reg);
        approve(&app, &w, &rid).await;
        let case = app
            .http
            .post(
                "/api/v1/conflicts",
                &w.a.rep_token,
                &json!({"registration_id": rid, "reason": "overlap"}),
            )
            .await;
        assert_eq!(case.status, StatusCode::CREATED);
        regs.push(rid);
    }
    let second = app.second_instance().await;
    // Twenty days on: SLA missed and conflicts overdue; then a hundred days: expired.
    for (days, field) in [(20, "sla"), (100, "expiry")] {
        let at = Utc::now() + Duration::days(days);
        let one = app.store_as_of(at);
        let two = second
            .store
            .clone()
            .with_clock(std::sync::Arc::new(move || at));
        let (a, b) = tokio::join!(
            tokio::spawn(async move { one.run_due().await.unwrap() }),
            tokio::spawn(async move { two.run_due().await.unwrap() })
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let (sla, escalated, expired) = (
            a.count("registrations.sweep", "SLA missed")
                + b.count("registrations.sweep", "SLA missed"),
            a.count("registrations.sweep", "escalated")
                + b.count("registrations.sweep", "escalated"),
            a.count("registrations.sweep", "expired") + b.count("registrations.sweep", "expired"),
        );
        match field {
            "sla" => assert_eq!((sla, escalated, expired), (6, 6, 0), "{a:?} {b:?}"),
            _ => assert_eq!(expired, 6, "{a:?} {b:?}"),
        }
    }
    for rid in &regs {
        let rules = rules_of(&app.http, &w.admin, &format!("/api/v1/registrations/{rid}")).await;
        assert_eq!(
            rules,
            vec![
                "registration.submitted",
                "registration.approved",
                "registration.sla_missed",
                "registration.expired"
            ]
        );
        assert_eq!(
            events_of(&app, rid).await,
            vec![
                "registration.submitted",
                "registration.approved",
                "registration.sla_missed",
                "registration.expired"
            ]
        );
    }
}
