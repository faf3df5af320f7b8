//! Deal registration through the API: the one-holder rule and what a refused partner learns,
//! approval and expiry driven by the clock (`run_due` as of a time, as `partnerops jobs
//! run-due --as-of` does), renewal, fuzzy account matching, auto-approval and input
//! validation.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use hyper::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::harness::TestApp;
use crate::on_both;

on_both!(
    lifecycle_driven_by_time,
    renewal_once_with_documented_activity,
    near_duplicate_names_go_to_review,
    auto_approval_by_tier_and_amount,
    invalid_input_names_its_fields,
    as_of_runs_apply_the_rules_as_of_that_time,
    a_partners_own_near_duplicate_is_not_a_conflict,
    an_activity_reads_back_as_it_was_answered,
);

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
    assert_eq!(r.count("registrations.sweep", "expired"), 0);
    assert_eq!(get(&app, &w.admin, &rid).await["status"], "approved");
    // ...and at the end of it, expired, and the account is free.
    let r = app.run_due_as_of(expires_at).await;
    assert_eq!(r.count("registrations.sweep", "expired"), 1, "{r:?}");
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
    assert_eq!(
        app.run_due_as_of(expires_at)
            .await
            .count("registrations.sweep", "expired"),
        0
    );

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
            .count("registrations.sweep", "expired"),
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
    assert_eq!(r.count("registrations.sweep", "expired"), 0);
    assert_eq!(get(&app, &w.admin, &rid).await["status"], "approved");
    let r = app.run_due_as_of(expires_at).await;
    assert_eq!(
        (
            r.count("registrations.sweep", "expired"),
            get(&app, &w.admin, &rid).await["status"].clone()
        ),
        (1, json!("expired")),
        "run-due as of the expiry time did not apply expiry: {r:?}"
    );
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
