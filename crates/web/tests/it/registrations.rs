//! Deal registration through the API: the one-holder rule and what a refused partner learns,
//! approval and expiry driven by the clock (`run_due` as of a time, as `partnerops jobs
//! run-due --as-of` does), the follow-up SLA and engagement requests, renewal, conflict cases
//! and their escalation on the program calendar, fuzzy account matching, races of 50
//! submissions on one and on two instances, auto-approval and input validation.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::{Answer, Http};
use crate::on_both;

on_both!(
    lifecycle_driven_by_time,
    follow_up_sla_and_engagement,
    renewal_once_with_documented_activity,
    conflict_escalates_across_a_weekend_and_a_holiday,
    direct_activity_and_vendor_cases,
    near_duplicate_names_go_to_review,
    fifty_concurrent_submissions_for_one_account,
    fifty_concurrent_submissions_on_two_instances,
    auto_approval_by_tier_and_amount,
    invalid_input_names_its_fields,
    as_of_runs_apply_the_rules_as_of_that_time,
    concurrent_decisions_have_one_winner,
    sweeps_on_two_instances_change_each_record_once,
    a_partners_own_near_duplicate_is_not_a_conflict,
    an_activity_reads_back_as_it_was_answered,
);

// ---------------------------------------------------------------------------------------
// Helpers

/// A registration body describing the company.
fn described(name: &str, domain: Option<&str>, country: &str, arr: i64) -> Value {
    let mut account = json!({"name": name, "country": country});
    if let Some(d) = domain {
        account["web_domain"] = json!(d);
    }
    json!({"account": account, "title": format!("{name} rollout"), "estimated_arr_minor": arr})
}

/// The stored precision of a time: microseconds (the API echoes some times unrounded).
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    chrono::DurationRound::duration_trunc(t, Duration::microseconds(1)).unwrap()
}

fn ts(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("not RFC 3339 ({e}): {v}"))
        .with_timezone(&Utc)
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

async fn submit(http: &Http, token: &str, body: &Value) -> Answer {
    http.post("/api/v1/registrations", token, body).await
}

/// Submits and expects 201.
async fn registered(app: &TestApp, token: &str, body: &Value) -> Value {
    let r = submit(&app.http, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn get(app: &TestApp, token: &str, reg: &str) -> Value {
    let r = app
        .http
        .get(&format!("/api/v1/registrations/{reg}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn act(app: &TestApp, token: &str, reg: &str, what: &str, body: &Value) -> Answer {
    app.http
        .post(&format!("/api/v1/registrations/{reg}/{what}"), token, body)
        .await
}

async fn approve(app: &TestApp, w: &World, reg: &str) -> Value {
    let r = act(app, &w.channel, reg, "approve", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "approved");
    v
}

/// The decisions about a record, as (rule, outcome, policy_version).
async fn decisions(http: &Http, token: &str, path: &str) -> Vec<(String, String, i64)> {
    let r = http.get(&format!("{path}/decisions"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["outcome"].as_str().unwrap().to_owned(),
                d["policy_version"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn rules_of(http: &Http, token: &str, path: &str) -> Vec<String> {
    decisions(http, token, path)
        .await
        .into_iter()
        .map(|d| d.0)
        .collect()
}

async fn full_decisions(http: &Http, token: &str, path: &str) -> Vec<Value> {
    let r = http.get(&format!("{path}/decisions"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    r.json().as_array().unwrap().clone()
}

/// The outbox's event kinds about one record, oldest first.
async fn events_of(app: &TestApp, entity: &str) -> Vec<String> {
    app.store
        .pending_events(10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity_id == entity)
        .map(|e| e.kind)
        .collect()
}

fn refused_rule(r: &Answer) -> String {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    r.json()["rule"].as_str().unwrap_or_default().to_owned()
}

async fn put_policy(app: &TestApp, token: &str, program: &str, policy: &Value) -> Answer {
    app.http
        .api(
            Method::PUT,
            &format!("/api/v1/programs/{program}/registration-policy"),
            Some(token),
            Some(policy),
        )
        .await
}

/// What a refused partner may read must not name the holder.
fn names_nobody(text: &str, w: &World, holder_registration: &str) {
    for secret in [
        "Alpha",
        "alpha.example",
        w.a.partner.id.to_string().as_str(),
        w.a.admin.id.to_string().as_str(),
        w.a.rep.id.to_string().as_str(),
        holder_registration,
    ] {
        assert!(!text.contains(secret), "leaks {secret}: {text}");
    }
}

// ---------------------------------------------------------------------------------------
// 1. The whole lifecycle, driven by time.

async fn lifecycle_driven_by_time(app: TestApp) {
    let w = app.world().await;
    let body = described("Hooli", Some("https://www.Hooli.example/"), "us", 2_500_000);
    let reg = registered(&app, &w.a.rep_token, &body).await;
    let rid = id(&reg);
    assert_eq!(reg["status"], "pending");
    assert_eq!(reg["partner_id"], w.a.partner.id.to_string());
    assert_eq!(reg["account_domain"], "hooli.example");
    assert_eq!(reg["account_name"], "Hooli");
    assert_eq!(reg["estimated_arr"]["amount_minor"], 2_500_000);
    assert!(reg["possible_duplicate_of"].is_null());
    assert!(reg["approved_at"].is_null() && reg["expires_at"].is_null());
    let account = reg["account_id"].as_str().unwrap().to_owned();

    // The check: held by the asker itself, and held (not by whom) for another partner.
    let probe = json!({"name": "Hooli Inc.", "web_domain": "hooli.example", "country": "US"});
    let mine = app
        .http
        .post("/api/v1/registrations/check", &w.a.admin_token, &probe)
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text());
    let mine = mine.json();
    assert_eq!(
        (mine["held"].clone(), mine["held_by_you"].clone()),
        (json!(true), json!(true))
    );
    let theirs = app
        .http
        .post("/api/v1/registrations/check", &w.b.rep_token, &probe)
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    names_nobody(&theirs.text(), &w, &rid);
    let theirs = theirs.json();
    assert_eq!(theirs["held"], true);
    assert_eq!(theirs["held_by_you"], false);
    assert!(theirs["held_until"].is_null(), "pending: no end yet");
    assert_eq!(theirs["web_domain"], "hooli.example");

    // The second partner is refused, told why, and not told by whom.
    let refused = submit(
        &app.http,
        &w.b.admin_token,
        &described("Hooli", Some("hooli.example"), "US", 900_000),
    )
    .await;
    assert_eq!(refused_rule(&refused), "registration.account_held");
    names_nobody(&refused.text(), &w, &rid);
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("pending the vendor's approval"),
        "{}",
        refused.text()
    );
    // The partner that holds it is told so (and it is still one holder).
    let again = submit(&app.http, &w.a.admin_token, &body).await;
    assert_eq!(refused_rule(&again), "registration.account_held");
    assert!(
        again.text().contains("you already hold"),
        "{}",
        again.text()
    );

    // Partner B cannot see A's registration at all.
    let peek = app
        .http
        .get(&format!("/api/v1/registrations/{rid}"), &w.b.rep_token)
        .await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);

    // Approval is the vendor's: not sales, not the partner.
    for token in [&w.sales, &w.finance, &w.a.admin_token] {
        let r = act(&app, token, &rid, "approve", &json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert_eq!(r.json()["rule"], "role.decide_registration");
    }
    let approved = approve(&app, &w, &rid).await;
    let approved_at = ts(&approved["approved_at"]);
    let expires_at = ts(&approved["expires_at"]);
    assert_eq!(expires_at, approved_at + Duration::days(90));
    assert_eq!(
        ts(&approved["sla_due_at"]),
        approved_at + Duration::days(14)
    );
    let twice = act(&app, &w.channel, &rid, "approve", &json!({})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text());
    assert_eq!(twice.problem_rules(), vec!["status:registration.status"]);

    // Now the refusal says until when.
    let until = app
        .http
        .post("/api/v1/registrations/check", &w.b.rep_token, &probe)
        .await
        .json();
    assert_eq!(ts(&until["held_until"]), expires_at);
    let refused = submit(
        &app.http,
        &w.b.rep_token,
        &described("Hooli", Some("hooli.example"), "US", 900_000),
    )
    .await;
    assert_eq!(refused_rule(&refused), "registration.account_held");
    names_nobody(&refused.text(), &w, &rid);
    let detail = refused.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains(&format!("until {}", expires_at.format("%Y-%m-%d"))),
        "{detail}"
    );

    // Every decision names its rule and policy version.
    let path = format!("/api/v1/registrations/{rid}");
    assert_eq!(
        decisions(&app.http, &w.a.rep_token, &path).await,
        vec![
            ("registration.submitted".into(), "pending".into(), 1),
            ("registration.approved".into(), "approved".into(), 1),
        ]
    );

    // The day before the 90th day ends it is still approved...
    let r = app.run_due_as_of(expires_at - Duration::seconds(1)).await;
    assert_eq!(r.sweep.expired, 0);
    assert_eq!(get(&app, &w.admin, &rid).await["status"], "approved");
    // ...and at the end of it, expired, and the account is free.
    let r = app.run_due_as_of(expires_at).await;
    assert_eq!(r.sweep.expired, 1, "{r:?}");
    let expired = get(&app, &w.a.rep_token, &rid).await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(ts(&expired["closed_at"]), expires_at);
    let ds = full_decisions(&app.http, &w.a.rep_token, &path).await;
    let last = ds.last().unwrap();
    assert_eq!(last["rule"], "registration.expired");
    assert_eq!(last["policy_version"], 1);
    assert!(
        last["reason"].as_str().unwrap().contains("released"),
        "{last}"
    );
    // A second sweep at the same moment changes nothing.
    assert_eq!(app.run_due_as_of(expires_at).await.sweep.expired, 0);

    let free = app
        .http
        .post("/api/v1/registrations/check", &w.b.rep_token, &probe)
        .await
        .json();
    assert_eq!(free["held"], false, "{free}");
    let taken = registered(
        &app,
        &w.b.rep_token,
        &described("Hooli", Some("hooli.example"), "US", 900_000),
    )
    .await;
    assert_eq!(taken["account_id"], account.as_str(), "the same account");
    assert_eq!(taken["partner_id"], w.b.partner.id.to_string());
    let bid = id(&taken);

    // The account's history (vendor only) shows both.
    let history = app
        .http
        .get(
            &format!("/api/v1/accounts/{account}/registrations"),
            &w.sales,
        )
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text());
    let statuses: Vec<Value> = history.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("pending"), json!("expired")]);

    // B's registration: rejected needs a reason, then withdraw / close paths.
    let no_reason = act(&app, &w.channel, &bid, "reject", &json!({})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.problem_rules(), vec!["reason:required"]);
    let rejected = act(
        &app,
        &w.admin,
        &bid,
        "reject",
        &json!({"reason": "no budget confirmed"}),
    )
    .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text());
    assert_eq!(rejected.json()["status"], "rejected");
    let closed_rejected = act(
        &app,
        &w.b.rep_token,
        &bid,
        "close",
        &json!({"outcome": "won"}),
    )
    .await;
    assert_eq!(closed_rejected.status, StatusCode::CONFLICT);

    // Registered again, approved, closed won: released again.
    let third = registered(
        &app,
        &w.b.rep_token,
        &described("Hooli", Some("hooli.example"), "US", 900_000),
    )
    .await;
    let tid = id(&third);
    let early = act(
        &app,
        &w.b.rep_token,
        &tid,
        "close",
        &json!({"outcome": "won"}),
    )
    .await;
    assert_eq!(
        early.status,
        StatusCode::CONFLICT,
        "only approved ones close"
    );
    approve(&app, &w, &tid).await;
    let bad_outcome = act(
        &app,
        &w.b.rep_token,
        &tid,
        "close",
        &json!({"outcome": "maybe"}),
    )
    .await;
    assert_eq!(bad_outcome.problem_rules(), vec!["outcome:one_of"]);
    let won = act(
        &app,
        &w.b.rep_token,
        &tid,
        "close",
        &json!({"outcome": "won", "reason": "signed"}),
    )
    .await;
    assert_eq!(won.status, StatusCode::OK, "{}", won.text());
    assert_eq!(won.json()["status"], "won");
    let fourth = registered(
        &app,
        &w.a.rep_token,
        &described("Hooli", Some("hooli.example"), "US", 100),
    )
    .await;
    let fid = id(&fourth);
    let withdrawn = act(&app, &w.a.rep_token, &fid, "withdraw", &json!({})).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
    assert_eq!(withdrawn.json()["status"], "withdrawn");
    let again = act(&app, &w.a.rep_token, &fid, "withdraw", &json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // The outbox has every change.
    assert_eq!(
        events_of(&app, &rid).await,
        vec![
            "registration.submitted",
            "registration.approved",
            "registration.sla_missed",
            "registration.expired"
        ]
    );
    assert_eq!(
        events_of(&app, &bid).await,
        vec!["registration.submitted", "registration.rejected"]
    );
    assert_eq!(
        events_of(&app, &tid).await,
        vec![
            "registration.submitted",
            "registration.approved",
            "registration.closed_won"
        ]
    );
    assert_eq!(
        events_of(&app, &fid).await,
        vec!["registration.submitted", "registration.withdrawn"]
    );
    // The registration's audit trail records its changes.
    let audit = app
        .http
        .get(
            &format!("/api/v1/registrations/{rid}/audit"),
            &w.a.rep_token,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text());
    assert!(audit.json()["items"].as_array().unwrap().len() >= 3);
    // A partner lists its own registrations only.
    let listed = app.http.get("/api/v1/registrations", &w.b.rep_token).await;
    assert_eq!(listed.status, StatusCode::OK);
    let partners: HashSet<String> = listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partner_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(partners, HashSet::from([w.b.partner.id.to_string()]));
}

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
    assert_eq!(r.sweep.sla_missed, 0, "{r:?}");
    assert!(get(&app, &w.a.rep_token, &r1).await["sla_missed_at"].is_null());
    let day15 = t1 + Duration::days(15);
    let r = app.run_due_as_of(day15).await;
    assert_eq!(r.sweep.sla_missed, 1, "{r:?}");
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

// ---------------------------------------------------------------------------------------
// 3. Renewal.

async fn renewal_once_with_documented_activity(app: TestApp) {
    let w = app.world().await;
    let reg = registered(
        &app,
        &w.a.rep_token,
        &described("Renewco", Some("renew.example"), "GB", 40_000),
    )
    .await;
    let rid = id(&reg);
    let pending = act(&app, &w.a.rep_token, &rid, "renew", &json!({})).await;
    assert_eq!(refused_rule(&pending), "registration.renew_not_active");

    let approved = approve(&app, &w, &rid).await;
    let expires_at = ts(&approved["expires_at"]);
    let bare = act(&app, &w.a.rep_token, &rid, "renew", &json!({})).await;
    assert_eq!(refused_rule(&bare), "registration.renewal_needs_activity");
    assert!(bare.json()["detail"].as_str().unwrap().contains("since"));
    // A note documents no selling work.
    let note = act(
        &app,
        &w.a.rep_token,
        &rid,
        "activities",
        &json!({"kind": "note", "notes": "sent a card"}),
    )
    .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text());
    let still = act(&app, &w.a.rep_token, &rid, "renew", &json!({})).await;
    assert_eq!(refused_rule(&still), "registration.renewal_needs_activity");
    assert_eq!(get(&app, &w.a.rep_token, &rid).await["renewals"], 0);
    // Activity input is checked.
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let bad = act(
        &app,
        &w.a.rep_token,
        &rid,
        "activities",
        &json!({"kind": "lunch", "occurred_at": future}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.problem_rules(),
        vec!["kind:one_of", "occurred_at:not_future"]
    );
    let garbled = act(
        &app,
        &w.a.rep_token,
        &rid,
        "activities",
        &json!({"kind": "demo", "occurred_at": "yesterday"}),
    )
    .await;
    assert_eq!(garbled.problem_rules(), vec!["occurred_at:rfc3339"]);
    // Only the holding partner (or the vendor) works the registration.
    let other = act(
        &app,
        &w.b.rep_token,
        &rid,
        "activities",
        &json!({"kind": "demo"}),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    let demo = act(
        &app,
        &w.a.rep_token,
        &rid,
        "activities",
        &json!({"kind": "demo"}),
    )
    .await;
    assert_eq!(demo.status, StatusCode::CREATED, "{}", demo.text());
    let renewed = act(&app, &w.a.admin_token, &rid, "renew", &json!({})).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text());
    let renewed = renewed.json();
    assert_eq!(renewed["renewals"], 1);
    assert_eq!(ts(&renewed["expires_at"]), expires_at + Duration::days(90));
    assert_eq!(renewed["status"], "approved");

    let second = act(&app, &w.a.admin_token, &rid, "renew", &json!({})).await;
    assert_eq!(refused_rule(&second), "registration.renewal_limit");
    assert!(
        second.json()["detail"]
            .as_str()
            .unwrap()
            .contains("1 time(s)")
    );
    let after = get(&app, &w.a.rep_token, &rid).await;
    assert_eq!(after["renewals"], 1);
    assert_eq!(ts(&after["expires_at"]), expires_at + Duration::days(90));

    // The refusals are decisions too, in order.
    assert_eq!(
        rules_of(
            &app.http,
            &w.a.rep_token,
            &format!("/api/v1/registrations/{rid}")
        )
        .await,
        vec![
            "registration.submitted",
            "registration.renew_not_active",
            "registration.approved",
            "registration.renewal_needs_activity",
            "registration.renewal_needs_activity",
            "registration.renewed",
            "registration.renewal_limit",
        ]
    );
    assert_eq!(
        events_of(&app, &rid).await,
        vec![
            "registration.submitted",
            "registration.approved",
            "registration.renewed"
        ]
    );

    // The renewed registration now runs 180 days: not expired at day 90.
    assert_eq!(
        app.run_due_as_of(expires_at + Duration::minutes(1))
            .await
            .sweep
            .expired,
        0
    );
    assert_eq!(get(&app, &w.admin, &rid).await["status"], "approved");

    // Past its expiry time (even before the sweep has run) it cannot be renewed.
    let other = registered(
        &app,
        &w.a.rep_token,
        &described("Lapsed", Some("lapsed.example"), "GB", 40_000),
    )
    .await;
    let oid = id(&other);
    approve(&app, &w, &oid).await;
    let call = act(
        &app,
        &w.a.rep_token,
        &oid,
        "activities",
        &json!({"kind": "call"}),
    )
    .await;
    assert_eq!(call.status, StatusCode::CREATED);
    let later = app.shifted_instance(Duration::days(91)).await;
    let r = later
        .http
        .post(
            &format!("/api/v1/registrations/{oid}/renew"),
            &w.a.rep_token,
            &json!({}),
        )
        .await;
    assert_eq!(refused_rule(&r), "registration.renew_not_active");
}

// ---------------------------------------------------------------------------------------
// 4. Conflict escalation on the program calendar.

/// `days` business days after `from` (same time of day), skipping Saturdays, Sundays and
/// `holidays`: computed here independently of the product.
fn business_days_after(from: DateTime<Utc>, days: u32, holidays: &[NaiveDate]) -> DateTime<Utc> {
    let mut at = from;
    let mut counted = 0;
    while counted < days {
        at += Duration::days(1);
        let d = at.date_naive();
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&d) {
            counted += 1;
        }
    }
    at
}

async fn conflict_escalates_across_a_weekend_and_a_holiday(app: TestApp) {
    let w = app.world().await;
    let pid = w.program.id.to_string();
    // A holiday on the first weekday after today, so it falls inside the five days.
    let mut holiday = Utc::now().date_naive() + Duration::days(1);
    while matches!(holiday.weekday(), Weekday::Sat | Weekday::Sun) {
        holiday += Duration::days(1);
    }
    let set = put_policy(
        &app,
        &w.channel,
        &pid,
        &json!({"calendar": {"holidays": [holiday.to_string()]}}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text());
    assert_eq!(set.json()["version"], 2);
    assert_eq!(set.json()["conflict_sla_business_days"], 5, "defaults kept");

    let reg = registered(
        &app,
        &w.a.rep_token,
        &described(
            "Vandelay Industries",
            Some("vandelay.example"),
            "US",
            70_000,
        ),
    )
    .await;
    let rid = id(&reg);
    let no_reason = app
        .http
        .post(
            "/api/v1/conflicts",
            &w.a.rep_token,
            &json!({"registration_id": rid}),
        )
        .await;
    assert_eq!(no_reason.problem_rules(), vec!["reason:required"]);
    let opened = app
        .http
        .post(
            "/api/v1/conflicts",
            &w.a.rep_token,
            &json!({"registration_id": rid, "reason": "a direct rep is calling our contact"}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let case = opened.json();
    let cid = id(&case);
    assert_eq!(case["opened_by_kind"], "partner");
    assert_eq!(case["partner_id"], w.a.partner.id.to_string());
    assert_eq!(case["registration_id"], rid.as_str());
    assert_eq!(case["account_id"], reg["account_id"]);
    assert_eq!(case["status"], "open");
    assert_eq!(case["level"], 0);
    assert_eq!(case["level_name"], "Channel manager");
    assert_eq!(case["policy_version"], 2);
    let created = ts(&case["created_at"]);
    let due = business_days_after(created, 5, &[holiday]);
    assert_eq!(
        ts(&case["due_at"]),
        due,
        "five business days, weekend and holiday skipped"
    );
    assert_ne!(
        due,
        business_days_after(created, 5, &[]),
        "the holiday moved the deadline"
    );
    assert!(
        due - created >= Duration::days(8),
        "a weekend and a holiday lie in between"
    );

    // Not late a minute before the deadline; a level up a minute after it.
    let r = app.run_due_as_of(due - Duration::minutes(1)).await;
    assert_eq!(r.sweep.escalated, 0);
    let path = format!("/api/v1/conflicts/{cid}");
    let before = app.http.get(&path, &w.channel).await.json();
    assert_eq!(before["level"], 0);
    let late = due + Duration::minutes(1);
    let r = app.run_due_as_of(late).await;
    assert_eq!(r.sweep.escalated, 1, "{r:?}");
    let after = app.http.get(&path, &w.a.admin_token).await;
    assert_eq!(after.status, StatusCode::OK);
    let after = after.json();
    assert_eq!(after["level"], 1);
    assert_eq!(after["level_name"], "Head of channel");
    assert_eq!(
        ts(&after["due_at"]),
        business_days_after(late, 5, &[holiday])
    );
    let ds = full_decisions(&app.http, &w.channel, &path).await;
    assert_eq!(ds.last().unwrap()["rule"], "conflict.escalated");
    assert!(
        ds.last().unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("Channel manager to Head of channel"),
        "{ds:?}"
    );

    // Comments from both sides.
    for (token, body) in [
        (&w.a.rep_token, "our contact confirms"),
        (&w.channel, "looking into it"),
    ] {
        let c = app
            .http
            .post(&format!("{path}/comments"), token, &json!({"body": body}))
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.text());
    }
    let empty = app
        .http
        .post(
            &format!("{path}/comments"),
            &w.channel,
            &json!({"body": " "}),
        )
        .await;
    assert_eq!(empty.problem_rules(), vec!["body:required"]);
    let comments = app
        .http
        .get(&format!("{path}/comments"), &w.a.admin_token)
        .await
        .json();
    let bodies: Vec<&str> = comments
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["our contact confirms", "looking into it"]);
    let hidden = app
        .http
        .get(&format!("{path}/comments"), &w.b.admin_token)
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    // Resolution is the vendor's decision-makers', with reasoning.
    for token in [&w.sales, &w.a.admin_token] {
        let r = app
            .http
            .post(
                &format!("{path}/resolve"),
                token,
                &json!({"outcome": "partner_keeps", "reasoning": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert_eq!(r.json()["rule"], "role.decide_registration");
    }
    let bare = app
        .http
        .post(
            &format!("{path}/resolve"),
            &w.channel,
            &json!({"outcome": "nobody"}),
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bare.problem_rules(),
        vec!["outcome:one_of", "reasoning:required"]
    );
    let resolved = app
        .http
        .post(
            &format!("{path}/resolve"),
            &w.channel,
            &json!({"outcome": "partner_keeps", "reasoning": "the partner sourced the deal in March"}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text());
    let resolved = resolved.json();
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["outcome"], "partner_keeps");
    assert_eq!(
        resolved["reasoning"],
        "the partner sourced the deal in March"
    );
    assert!(!resolved["resolved_at"].is_null());
    let again = app
        .http
        .post(
            &format!("{path}/resolve"),
            &w.admin,
            &json!({"outcome": "shared", "reasoning": "again"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    assert_eq!(again.problem_rules(), vec!["status:conflict.status"]);
    // (Listed by time: the escalation, decided "as of" a future moment, sorts last.)
    let mut ds = decisions(&app.http, &w.a.rep_token, &path).await;
    ds.sort();
    assert_eq!(
        ds,
        vec![
            ("conflict.escalated".into(), "escalated".into(), 2),
            ("conflict.opened".into(), "open".into(), 2),
            ("conflict.resolved".into(), "partner_keeps".into(), 2),
        ]
    );
    // A resolved case escalates no more.
    assert_eq!(
        app.run_due_as_of(late + Duration::days(30))
            .await
            .sweep
            .escalated,
        0
    );
    let mut events = events_of(&app, &cid).await;
    events.sort();
    assert_eq!(
        events,
        vec!["conflict.escalated", "conflict.opened", "conflict.resolved"]
    );
    // The partner lists the case; the other partner does not.
    let listed = app
        .http
        .get("/api/v1/conflicts", &w.a.rep_token)
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let listed = app
        .http
        .get("/api/v1/conflicts", &w.b.rep_token)
        .await
        .json();
    assert!(listed["items"].as_array().unwrap().is_empty());
}

async fn direct_activity_and_vendor_cases(app: TestApp) {
    let w = app.world().await;
    let account = w.account.id.to_string();
    // Partners cannot log direct activity (accounts are the vendor's).
    let hidden = app
        .http
        .post(
            &format!("/api/v1/accounts/{account}/direct-activities"),
            &w.a.admin_token,
            &json!({"kind": "call"}),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let finance = app
        .http
        .post(
            &format!("/api/v1/accounts/{account}/direct-activities"),
            &w.finance,
            &json!({"kind": "call"}),
        )
        .await;
    assert_eq!(finance.status, StatusCode::FORBIDDEN);
    let logged = app
        .http
        .post(
            &format!("/api/v1/accounts/{account}/direct-activities"),
            &w.sales,
            &json!({"kind": "meeting", "notes": "renewal talk"}),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.text());
    assert_eq!(logged.json()["user_id"], w.sales_user.id.to_string());

    // A partner registering it within the look-back opens a system case.
    let reg = registered(
        &app,
        &w.a.rep_token,
        // Described by its domain: a partner names by id only accounts it registered.
        &described("Globex", Some("globex.example"), "US", 10_000),
    )
    .await;
    let rid = id(&reg);
    assert_eq!(reg["account_id"], account.as_str());
    assert_eq!(reg["status"], "pending");
    let cases = app
        .http
        .get(
            &format!("/api/v1/conflicts?account_id={account}"),
            &w.channel,
        )
        .await;
    assert_eq!(cases.status, StatusCode::OK, "{}", cases.text());
    let items = cases.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["opened_by_kind"], "system");
    assert_eq!(items[0]["registration_id"], rid.as_str());
    assert!(
        items[0]["reason"].as_str().unwrap().contains("direct rep"),
        "{}",
        items[0]
    );
    let cid = id(&items[0]);
    assert_eq!(
        rules_of(
            &app.http,
            &w.a.rep_token,
            &format!("/api/v1/conflicts/{cid}")
        )
        .await,
        vec!["conflict.direct_engaged"]
    );
    // The partner sees the case it is part of.
    let mine = app
        .http
        .get("/api/v1/conflicts", &w.a.rep_token)
        .await
        .json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);

    // Vendor staff open a case about an account; the partner is not part of it.
    let direct = app
        .http
        .post(
            "/api/v1/conflicts",
            &w.sales,
            &json!({"account_id": account, "reason": "we own this account"}),
        )
        .await;
    assert_eq!(direct.status, StatusCode::CREATED, "{}", direct.text());
    let direct = direct.json();
    assert_eq!(direct["opened_by_kind"], "direct");
    assert!(direct["partner_id"].is_null());
    assert!(direct["registration_id"].is_null());
    assert_eq!(direct["level_name"], "Channel manager");
    let mine = app
        .http
        .get("/api/v1/conflicts", &w.a.rep_token)
        .await
        .json();
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        1,
        "only its own case"
    );
    let hidden = app
        .http
        .get(
            &format!("/api/v1/conflicts/{}", id(&direct)),
            &w.a.rep_token,
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    // Partners open cases only about their registrations.
    let partner_on_account = app
        .http
        .post(
            "/api/v1/conflicts",
            &w.a.rep_token,
            &json!({"account_id": account, "reason": "mine"}),
        )
        .await;
    assert_eq!(partner_on_account.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        partner_on_account.problem_rules(),
        vec!["registration_id:required"]
    );
    let finance_case = app
        .http
        .post(
            "/api/v1/conflicts",
            &w.finance,
            &json!({"account_id": account, "reason": "numbers"}),
        )
        .await;
    assert_eq!(finance_case.status, StatusCode::FORBIDDEN);
    // A direct rep may open one about a registration.
    let about = app
        .http
        .post(
            "/api/v1/conflicts",
            &w.sales,
            &json!({"registration_id": rid, "reason": "overlap"}),
        )
        .await;
    assert_eq!(about.status, StatusCode::CREATED, "{}", about.text());
    assert_eq!(about.json()["opened_by_kind"], "direct");
    assert_eq!(about.json()["partner_id"], w.a.partner.id.to_string());

    // Long after the look-back, a new registration is no conflict.
    let withdrawn = act(&app, &w.a.rep_token, &rid, "withdraw", &json!({})).await;
    assert_eq!(withdrawn.status, StatusCode::OK);
    let later = app.shifted_instance(Duration::days(61)).await;
    let r = later
        .http
        .post(
            "/api/v1/registrations",
            &w.b.rep_token,
            &described("Globex", Some("globex.example"), "US", 10_000),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let cases = app
        .http
        .get(
            &format!("/api/v1/conflicts?account_id={account}"),
            &w.channel,
        )
        .await
        .json();
    assert_eq!(cases["items"].as_array().unwrap().len(), 3, "no new case");
}

// ---------------------------------------------------------------------------------------
// 5. Fuzzy duplicates.

async fn near_duplicate_names_go_to_review(app: TestApp) {
    let w = app.world().await;
    // B's program would approve B's registrations at once.
    let set = put_policy(
        &app,
        &w.admin,
        &w.other_program.id.to_string(),
        &json!({"auto_approve": [{"min_tier_rank": 1, "max_amount_minor": 100_000_000}]}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text());

    let held = registered(
        &app,
        &w.a.rep_token,
        &described("Initech Systems", None, "US", 50_000),
    )
    .await;
    let held_account = held["account_id"].as_str().unwrap().to_owned();
    assert_eq!(held["status"], "pending");

    let check = app
        .http
        .post(
            "/api/v1/registrations/check",
            &w.b.rep_token,
            &json!({"name": "Initech Sytems Inc.", "country": "US"}),
        )
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.text());
    let check_v = check.json();
    assert_eq!(check_v["held"], false);
    // A partner learns that a similar company is registered, not which one.
    assert_eq!(check_v["possible_duplicate"], "Initech Sytems Inc.");
    names_nobody(&check.text(), &w, &id(&held));
    // Vendor staff see the candidate.
    let vendor = app
        .http
        .post(
            "/api/v1/registrations/check",
            &w.channel,
            &json!({"name": "Initech Sytems Inc.", "country": "US"}),
        )
        .await
        .json();
    assert_eq!(vendor["possible_duplicate"], "Initech Systems");
    assert!(
        vendor["message"]
            .as_str()
            .unwrap()
            .contains("Initech Systems")
    );

    let dup = submit(
        &app.http,
        &w.b.rep_token,
        &described("Initech Sytems Inc.", None, "us", 50_000),
    )
    .await;
    assert_eq!(dup.status, StatusCode::CREATED, "{}", dup.text());
    names_nobody(&dup.text(), &w, &id(&held));
    let dup = dup.json();
    let did = id(&dup);
    // The partner never receives the other partner's account id; vendor staff see it.
    assert!(dup["possible_duplicate_of"].is_null(), "{dup}");
    assert_eq!(dup["in_duplicate_review"], true);
    assert_eq!(
        get(&app, &w.channel, &id(&dup)).await["possible_duplicate_of"],
        held_account.as_str()
    );
    assert_ne!(dup["account_id"], held_account.as_str(), "a new account");
    assert_eq!(
        dup["status"], "pending",
        "review, although auto-approval would apply"
    );
    let rules = rules_of(
        &app.http,
        &w.b.rep_token,
        &format!("/api/v1/registrations/{did}"),
    )
    .await;
    assert_eq!(rules, vec!["registration.submitted"]);
    // A system case about B's registration.
    let cases = app.http.get("/api/v1/conflicts", &w.channel).await.json();
    let case: Vec<&Value> = cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["registration_id"] == did.as_str())
        .collect();
    assert_eq!(case.len(), 1, "{cases}");
    assert_eq!(case[0]["opened_by_kind"], "system");
    assert_eq!(case[0]["partner_id"], w.b.partner.id.to_string());
    assert_eq!(case[0]["account_id"], dup["account_id"]);
    let cid = id(case[0]);
    assert_eq!(
        rules_of(&app.http, &w.channel, &format!("/api/v1/conflicts/{cid}")).await,
        vec!["conflict.possible_duplicate"]
    );
    assert_eq!(events_of(&app, &cid).await, vec!["conflict.opened"]);
    let theirs = app
        .http
        .get(&format!("/api/v1/conflicts/{cid}"), &w.b.rep_token)
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    names_nobody(&theirs.text(), &w, &id(&held));
    let not_a = app
        .http
        .get(&format!("/api/v1/conflicts/{cid}"), &w.a.rep_token)
        .await;
    assert_eq!(not_a.status, StatusCode::NOT_FOUND);

    // A near miss is a different company: auto-approved, not flagged.
    let other = registered(
        &app,
        &w.b.rep_token,
        &described("Initech Logistics", None, "US", 50_000),
    )
    .await;
    assert!(other["possible_duplicate_of"].is_null(), "{other}");
    assert_eq!(other["status"], "approved");
    assert_eq!(
        rules_of(
            &app.http,
            &w.b.rep_token,
            &format!("/api/v1/registrations/{}", id(&other))
        )
        .await,
        vec!["registration.submitted", "registration.auto_approved"]
    );
    // The same name in another country is another company too.
    let abroad = registered(
        &app,
        &w.b.rep_token,
        &described("Initech Systems GmbH", None, "DE", 50_000),
    )
    .await;
    assert!(abroad["possible_duplicate_of"].is_null());
    assert_eq!(abroad["status"], "approved");
    // Exactly one case was opened.
    let cases = app.http.get("/api/v1/conflicts", &w.channel).await.json();
    assert_eq!(cases["items"].as_array().unwrap().len(), 1, "{cases}");
}

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

// ---------------------------------------------------------------------------------------
// 7. Auto-approval and validation.

async fn auto_approval_by_tier_and_amount(app: TestApp) {
    let w = app.world().await;
    let pid = w.program.id.to_string();
    let path = format!("/api/v1/programs/{pid}/registration-policy");
    let current = app.http.get(&path, &w.channel).await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.text());
    let current = current.json();
    assert_eq!(current["version"], 1);
    assert_eq!(current["validity_days"], 90);
    assert_eq!(current["sla_days"], 14);
    assert_eq!(current["max_renewals"], 1);
    assert_eq!(
        current["escalation_levels"],
        json!(["Channel manager", "Head of channel", "VP sales"])
    );
    assert_eq!(current["auto_approve"], json!([]));

    let rule = json!({"auto_approve": [{"min_tier_rank": 2, "max_amount_minor": 5_000_000}]});
    // Who may set it.
    let sales = put_policy(&app, &w.sales, &pid, &rule).await;
    assert_eq!(sales.status, StatusCode::FORBIDDEN);
    assert_eq!(sales.json()["rule"], "role.decide_registration");
    let partner = put_policy(&app, &w.a.admin_token, &pid, &rule).await;
    assert_eq!(partner.status, StatusCode::NOT_FOUND);
    let partner_read = app.http.get(&path, &w.a.admin_token).await;
    assert_eq!(partner_read.status, StatusCode::NOT_FOUND);
    // What it may say.
    let unknown = put_policy(&app, &w.channel, &pid, &json!({"sla_dayz": 3})).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text()
    );
    let bad = put_policy(
        &app,
        &w.channel,
        &pid,
        &json!({"validity_days": 0, "escalation_levels": []}),
    )
    .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert_eq!(
        bad.problem_rules(),
        vec!["validity_days:positive", "escalation_levels:required"]
    );
    let set = put_policy(&app, &w.channel, &pid, &rule).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text());
    assert_eq!(set.json()["version"], 2);
    let read = app.http.get(&path, &w.admin).await.json();
    assert_eq!(read["version"], 2);
    assert_eq!(read["auto_approve"], rule["auto_approve"]);
    // What GET answers can be PUT back (the version is the server's to give).
    let mut edited = read.clone();
    edited["calendar"]["weekend"] = json!(["fri", "sat"]);
    edited["calendar"]["holidays"] = json!(["2030-01-01"]);
    let back = put_policy(&app, &w.channel, &pid, &edited).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text());
    let back = back.json();
    assert_eq!(back["version"], 3);
    assert_eq!(back["auto_approve"], rule["auto_approve"]);
    assert_eq!(back["calendar"]["holidays"], json!(["2030-01-01"]));
    let round = put_policy(&app, &w.channel, &pid, &back).await;
    assert_eq!(round.status, StatusCode::OK, "{}", round.text());
    assert_eq!(round.json()["calendar"], back["calendar"]);
    assert_eq!(round.json()["version"], 4);

    // Rank 1 (the entry tier): reviewed.
    let low = registered(
        &app,
        &w.a.rep_token,
        &described("Tier One Co", Some("t1.example"), "FR", 1_000_000),
    )
    .await;
    assert_eq!(low["status"], "pending");
    assert_eq!(low["policy_version"], 4);
    // Up to Select (rank 2).
    let tiers = app
        .http
        .get(&format!("/api/v1/programs/{pid}/tiers"), &w.admin)
        .await
        .json();
    let select = tiers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["rank"] == 2)
        .map(id)
        .unwrap();
    let moved = app
        .http
        .patch(
            &format!("/api/v1/partners/{}", w.a.partner.id),
            &w.channel,
            &json!({"tier_id": select}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
    let fast = registered(
        &app,
        &w.a.rep_token,
        &described("Fast Co", Some("fast.example"), "FR", 5_000_000),
    )
    .await;
    assert_eq!(fast["status"], "approved", "{fast}");
    let approved_at = ts(&fast["approved_at"]);
    assert_eq!(ts(&fast["expires_at"]), approved_at + Duration::days(90));
    let fid = id(&fast);
    assert_eq!(
        decisions(
            &app.http,
            &w.a.rep_token,
            &format!("/api/v1/registrations/{fid}")
        )
        .await,
        vec![
            ("registration.submitted".into(), "pending".into(), 4),
            ("registration.auto_approved".into(), "approved".into(), 4),
        ]
    );
    assert_eq!(
        events_of(&app, &fid).await,
        vec!["registration.submitted", "registration.approved"]
    );
    // Over the amount: reviewed.
    let big = registered(
        &app,
        &w.a.rep_token,
        &described("Big Co", Some("big.example"), "FR", 5_000_001),
    )
    .await;
    assert_eq!(big["status"], "pending");
    // The other program's policy is untouched.
    let other = registered(
        &app,
        &w.b.rep_token,
        &described("Small Co", Some("small.example"), "FR", 1),
    )
    .await;
    assert_eq!(other["status"], "pending");
    assert_eq!(other["policy_version"], 1);
    // The currency defaults to the program's; one may be given.
    assert_eq!(fast["estimated_arr"]["currency"], "USD");
    let mut eur = described("Euro Co", Some("euro.example"), "FR", 7);
    eur["currency"] = json!("eur");
    let eur = registered(&app, &w.a.rep_token, &eur).await;
    assert_eq!(eur["estimated_arr"]["currency"], "EUR");
}

async fn invalid_input_names_its_fields(app: TestApp) {
    let w = app.world().await;
    let post = |token: &str, body: Value| {
        let http = app.http.clone();
        let token = token.to_owned();
        async move { submit(&http, &token, &body).await }
    };
    let r = post(
        &w.a.rep_token,
        json!({"account": {"name": "Bad Domain Co", "web_domain": "not a domain", "country": "US"}, "title": "x", "estimated_arr_minor": 0}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.problem_rules(),
        vec![
            "account.web_domain:web_domain",
            "estimated_arr_minor:positive"
        ]
    );
    let r = post(
        &w.a.rep_token,
        json!({"title": "x", "estimated_arr_minor": 10}),
    )
    .await;
    assert_eq!(r.problem_rules(), vec!["account:required"]);
    let r = post(&w.a.rep_token, json!({"account": {}})).await;
    assert_eq!(
        r.problem_rules(),
        vec![
            "account.name:required",
            "account.country:required",
            "title:required",
            "estimated_arr_minor:required"
        ]
    );
    let r = post(
        &w.a.rep_token,
        json!({"account_id": w.account.id.to_string(), "account": {"name": "X", "country": "US"}, "title": "x", "estimated_arr_minor": 10}),
    )
    .await;
    assert_eq!(r.problem_rules(), vec!["account:one_of_account"]);
    let r = post(
        &w.a.rep_token,
        json!({"account_id": "acc_0190f0f0f0f07000800000000000dead", "title": "x", "estimated_arr_minor": 10}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["account_id:exists"]);
    let r = post(
        &w.a.rep_token,
        json!({"account_id": w.a.partner.id.to_string(), "title": "x", "estimated_arr_minor": 10}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a partner id is no account id"
    );
    let r = post(
        &w.a.rep_token,
        json!({"account": {"name": "X Co", "country": "US"}, "title": "x", "estimated_arr_minor": 10, "bogus": 1}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown keys: {}",
        r.text()
    );
    let r = post(
        &w.a.rep_token,
        json!({"account": {"name": "X Co", "country": "US"}, "title": "x", "estimated_arr_minor": 10, "currency": "EURO", "expected_close_on": "soon"}),
    )
    .await;
    assert_eq!(
        r.problem_rules()
            .iter()
            .map(|s| s.split(':').next().unwrap().to_owned())
            .collect::<Vec<_>>(),
        vec!["currency", "expected_close_on"]
    );

    let fine = described("Valid Co", Some("valid.example"), "US", 10);
    // Vendor staff must name the partner.
    let r = post(&w.channel, fine.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["partner_id:required"]);
    // A partner cannot register for another partner: refused without naming it.
    let mut theirs = fine.clone();
    theirs["partner_id"] = json!(w.b.partner.id.to_string());
    let r = post(&w.a.rep_token, theirs.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["partner_id:own_partner"]);
    assert!(!r.text().contains("Beta"), "{}", r.text());
    // Naming itself is fine.
    let mut own = fine.clone();
    own["partner_id"] = json!(w.a.partner.id.to_string());
    let r = post(&w.a.rep_token, own).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["estimated_arr"]["amount_minor"], 10);
    // Vendor staff on a partner's behalf; finance may not; unknown partner is a field error.
    let mut behalf = described("Behalf Co", Some("behalf.example"), "US", 10);
    behalf["partner_id"] = json!(w.b.partner.id.to_string());
    let r = post(&w.finance, behalf.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["rule"], "role.work_registration");
    let r = post(&w.sales, behalf.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let mut nobody = behalf.clone();
    nobody["partner_id"] = json!("ptr_0190f0f0f0f07000800000000000dead");
    let r = post(&w.channel, nobody).await;
    assert_eq!(r.problem_rules(), vec!["partner_id:exists"]);
    let r = post(&w.channel, behalf).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["partner_id"], w.b.partner.id.to_string());
    // A suspended partner cannot register.
    let suspended = app
        .http
        .patch(
            &format!("/api/v1/partners/{}", w.b.partner.id),
            &w.channel,
            &json!({"status": "suspended"}),
        )
        .await;
    if suspended.status == StatusCode::OK {
        let r = post(
            &w.b.rep_token,
            described("Late Co", Some("late.example"), "US", 10),
        )
        .await;
        assert_eq!(refused_rule(&r), "registration.partner_not_active");
    }
    // Bad filters on the list.
    let r = app
        .http
        .get(
            "/api/v1/registrations?status=lost-ish&expiring_before=tomorrow",
            &w.admin,
        )
        .await;
    let mut rules = r.problem_rules();
    rules.sort();
    assert_eq!(rules, vec!["expiring_before:rfc3339", "status:one_of"]);
    // The check validates its input too.
    let r = app
        .http
        .post(
            "/api/v1/registrations/check",
            &w.a.rep_token,
            &json!({"web_domain": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["web_domain:web_domain"]);
    let r = app
        .http
        .post("/api/v1/registrations/check", &w.a.rep_token, &json!({}))
        .await;
    assert_eq!(r.problem_rules(), vec!["web_domain:required"]);
    let r = app
        .http
        .post(
            "/api/v1/registrations/check",
            &w.a.rep_token,
            &json!({"country": "US"}),
        )
        .await;
    assert_eq!(r.problem_rules(), vec!["name:required"]);
    // A domain alone is enough to check.
    let r = app
        .http
        .post(
            "/api/v1/registrations/check",
            &w.a.rep_token,
            &json!({"web_domain": "https://www.nobody-holds-this.example/"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["held"].as_bool(), r.json()["web_domain"].as_str()),
        (Some(false), Some("nobody-holds-this.example"))
    );
    // Unknown records are 404s, whatever their id looks like.
    for path in [
        "/api/v1/registrations/reg_0190f0f0f0f07000800000000000dead",
        "/api/v1/registrations/nonsense",
        "/api/v1/engagement-requests/nonsense",
        "/api/v1/conflicts/nonsense",
    ] {
        assert_eq!(
            app.http.get(path, &w.admin).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

/// `run_due` with a clock fixed at T applies the rules as of T, also when an earlier
/// `run_due` already ran in the same 15-minute job slot (as `partnerops jobs run-due
/// --as-of` promises).
async fn as_of_runs_apply_the_rules_as_of_that_time(app: TestApp) {
    let w = app.world().await;
    let reg = registered(
        &app,
        &w.a.rep_token,
        &described("Slot Co", Some("slot.example"), "US", 10),
    )
    .await;
    let rid = id(&reg);
    let expires_at = ts(&approve(&app, &w, &rid).await["expires_at"]);
    // The start of the 15-minute slot the expiry falls in (or a minute before the expiry
    // in the unlikely case it falls on a slot's first instant).
    let slot = chrono::DurationRound::duration_trunc(expires_at, Duration::minutes(15)).unwrap();
    let before = if slot < expires_at {
        slot
    } else {
        expires_at - Duration::minutes(1)
    };
    let r = app.run_due_as_of(before).await;
    assert_eq!(r.sweep.expired, 0);
    assert_eq!(get(&app, &w.admin, &rid).await["status"], "approved");
    let r = app.run_due_as_of(expires_at).await;
    assert_eq!(
        (
            r.sweep.expired,
            get(&app, &w.admin, &rid).await["status"].clone()
        ),
        (1, json!("expired")),
        "run-due as of the expiry time did not apply expiry: {r:?}"
    );
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
            a.sweep.sla_missed + b.sweep.sla_missed,
            a.sweep.escalated + b.sweep.escalated,
            a.sweep.expired + b.sweep.expired,
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

/// A near match to an account the same partner holds is no conflict between partners: the
/// design sends a submission to review only when ANOTHER partner holds the similar account.
async fn a_partners_own_near_duplicate_is_not_a_conflict(app: TestApp) {
    let w = app.world().await;
    let first = registered(
        &app,
        &w.a.rep_token,
        &described("Initech Systems", None, "US", 10),
    )
    .await;
    let second = registered(
        &app,
        &w.a.admin_token,
        &described("Initech Sytems Inc.", None, "US", 10),
    )
    .await;
    assert_ne!(first["account_id"], second["account_id"]);
    let cases = app.http.get("/api/v1/conflicts", &w.channel).await.json();
    assert!(
        second["possible_duplicate_of"].is_null() && cases["items"].as_array().unwrap().is_empty(),
        "partner A was sent to review (and a conflict case opened) against its own registration: \
         possible_duplicate_of = {}, cases = {}",
        second["possible_duplicate_of"],
        cases["items"]
    );
}

/// What a POST answers is what is stored and later listed: an activity's time, a direct
/// activity's time, a comment's time, to the stored precision.
async fn an_activity_reads_back_as_it_was_answered(app: TestApp) {
    let w = app.world().await;
    let reg = registered(
        &app,
        &w.a.rep_token,
        &described("Echo Co", Some("echo.example"), "US", 10),
    )
    .await;
    let rid = id(&reg);
    let mut mismatches = Vec::new();
    let logged = act(
        &app,
        &w.a.rep_token,
        &rid,
        "activities",
        &json!({"kind": "call"}),
    )
    .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.text());
    let listed = app
        .http
        .get(
            &format!("/api/v1/registrations/{rid}/activities"),
            &w.a.rep_token,
        )
        .await
        .json();
    let stored = get(&app, &w.a.rep_token, &rid).await;
    assert_eq!(stored["last_activity_at"], listed[0]["occurred_at"]);
    if logged.json()["occurred_at"] != listed[0]["occurred_at"] {
        mismatches.push(format!(
            "activity: answered {} but stored {}",
            logged.json()["occurred_at"],
            listed[0]["occurred_at"]
        ));
    }
    let case = app
        .http
        .post(
            "/api/v1/conflicts",
            &w.a.rep_token,
            &json!({"registration_id": rid, "reason": "overlap"}),
        )
        .await;
    let cid = id(&case.json());
    let comment = app
        .http
        .post(
            &format!("/api/v1/conflicts/{cid}/comments"),
            &w.a.rep_token,
            &json!({"body": "hello"}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text());
    let comments = app
        .http
        .get(&format!("/api/v1/conflicts/{cid}/comments"), &w.a.rep_token)
        .await
        .json();
    if comment.json()["created_at"] != comments[0]["created_at"] {
        mismatches.push(format!(
            "comment: answered {} but stored {}",
            comment.json()["created_at"],
            comments[0]["created_at"]
        ));
    }
    assert!(
        mismatches.is_empty(),
        "POST answered other times than the ones stored and listed: {mismatches:#?}"
    );
}
