//! Conflict cases: opening, commenting and resolving, escalation on the program calendar
//! (weekends and holidays), direct activity on an account and cases opened by the vendor.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use hyper::StatusCode;
use serde_json::json;

use super::*;
use crate::harness::TestApp;
use crate::on_both;

on_both!(
    conflict_escalates_across_a_weekend_and_a_holiday,
    direct_activity_and_vendor_cases,
);

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
    assert_eq!(r.count("registrations.sweep", "escalated"), 0);
    let path = format!("/api/v1/conflicts/{cid}");
    let before = app.http.get(&path, &w.channel).await.json();
    assert_eq!(before["level"], 0);
    let late = due + Duration::minutes(1);
    let r = app.run_due_as_of(late).await;
    assert_eq!(r.count("registrations.sweep", "escalated"), 1, "{r:?}");
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
            .count("registrations.sweep", "escalated"),
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
