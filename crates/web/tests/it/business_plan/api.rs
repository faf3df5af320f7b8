//! Joint business plans through the API, on both databases.

use chrono::{Datelike, Utc};
use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::on_both;

on_both!(
    both_sides_sign_and_amendments_are_versions,
    attainment_and_drift_come_from_live_data,
    reviews_and_the_tier_metric,
    attainment_to_date_is_a_tier_metric,
);

const PLANS: &str = "/api/v1/business-plans";

fn ok(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn created(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

fn invalid(r: &Answer) -> Vec<String> {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    r.problem_rules()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// The first day of this month: a plan whose first quarter is running now.
fn this_month() -> String {
    let t = Utc::now().date_naive();
    format!("{:04}-{:02}-01", t.year(), t.month())
}

async fn plan(app: &TestApp, w: &World, content: Value) -> Value {
    created(
        &app.http
            .post(
                PLANS,
                &w.channel,
                &json!({"partner_id": w.a.partner.id.to_string(), "title": "Alpha FY plan",
                        "period_start": this_month(), "content": content}),
            )
            .await,
    )
}

async fn both_sides_sign_and_amendments_are_versions(app: TestApp) {
    let w = app.world().await;
    let p = plan(
        &app,
        &w,
        json!({"target_account_ids": [w.account.id.to_string()],
               "milestones": [{"quarter": 1, "sourced_arr_minor": 100_000_00}],
               "activities": [{"quarter": 1, "kind": "demo", "count": 4}],
               "marketing": [{"kind": "event", "title": "Joint roadshow", "on": this_month()}]}),
    )
    .await;
    let pid = id(&p);
    assert_eq!(
        (p["status"].as_str(), p["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    // B cannot see it; A's rep may write but not sign.
    assert_eq!(
        app.http
            .get(&format!("{PLANS}/{pid}"), &w.b.admin_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let rep_sign = app
        .http
        .post(&format!("{PLANS}/{pid}/sign"), &w.a.rep_token, &json!({}))
        .await;
    assert_eq!(rep_sign.status, StatusCode::FORBIDDEN);
    let signed = ok(&app
        .http
        .post(&format!("{PLANS}/{pid}/sign"), &w.a.admin_token, &json!({}))
        .await);
    assert_eq!(signed["status"], "draft");
    assert!(!signed["partner_signed_at"].is_null());
    let agreed = ok(&app
        .http
        .post(&format!("{PLANS}/{pid}/sign"), &w.channel, &json!({}))
        .await);
    assert_eq!(agreed["status"], "agreed");
    // Agreed: no edit in place; an amendment needs a note and makes version 2.
    let edit = app
        .http
        .patch(
            &format!("{PLANS}/{pid}"),
            &w.channel,
            &json!({"title": "x"}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::CONFLICT);
    let no_note = app
        .http
        .post(
            &format!("{PLANS}/{pid}/amend"),
            &w.channel,
            &json!({"title": "x"}),
        )
        .await;
    assert_eq!(invalid(&no_note), ["change_note:required"]);
    let amended = ok(&app
        .http
        .post(
            &format!("{PLANS}/{pid}/amend"),
            &w.a.admin_token,
            &json!({"change_note": "Bigger Q1 after the roadshow",
                    "content": {"target_account_ids": [],
                                "milestones": [{"quarter": 1, "sourced_arr_minor": 150_000_00}],
                                "activities": [{"quarter": 1, "kind": "demo", "count": 6}]}}),
        )
        .await);
    assert_eq!(
        (amended["status"].as_str(), amended["version"].as_i64()),
        (Some("draft"), Some(2))
    );
    assert!(
        amended["vendor_signed_at"].is_null(),
        "an amendment is signed again"
    );
    let versions = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/versions"), &w.a.rep_token)
        .await);
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["change_note"], "Bigger Q1 after the roadshow");
    let diff = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/diff?from=1&to=2"), &w.a.rep_token)
        .await);
    let text = diff.to_string();
    assert!(
        text.contains("removed")
            && text.contains("10000000 → 15000000")
            && text.contains("demos 4 → 6"),
        "{text}"
    );
    let bad = app
        .http
        .get(&format!("{PLANS}/{pid}/diff?from=0&to=9"), &w.channel)
        .await;
    assert_eq!(invalid(&bad), ["from:version"]);
    let missing = app
        .http
        .get(&format!("{PLANS}/{pid}/diff?from=1&to=9"), &w.channel)
        .await;
    assert_eq!(invalid(&missing), ["to:version"]);
    // One plan per partner and period; bad content is named by item.
    let twice = app
        .http
        .post(PLANS, &w.channel, &json!({"partner_id": w.a.partner.id.to_string(), "title": "again", "period_start": this_month()}))
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text());
    let bad = app
        .http
        .post(
            PLANS,
            &w.channel,
            &json!({"partner_id": w.a.partner.id.to_string(), "title": "bad", "period_start": "2030-01-15",
                    "content": {"milestones": [{"quarter": 7, "sourced_arr_minor": 1}]}}),
        )
        .await;
    assert_eq!(invalid(&bad), ["period_start:first_of_month"]);
    // A partner names only accounts it registered.
    let by_partner = app
        .http
        .post(
            PLANS,
            &w.a.admin_token,
            &json!({"partner_id": w.a.partner.id.to_string(), "title": "ours", "period_start": "2031-01-01",
                    "content": {"target_account_ids": [w.account.id.to_string()]}}),
        )
        .await;
    assert_eq!(invalid(&by_partner), ["target_account_ids[0]:not_found"]);
    let audit = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/audit"), &w.a.rep_token)
        .await);
    assert!(audit["items"].as_array().unwrap().len() >= 4);
}

async fn attainment_and_drift_come_from_live_data(app: TestApp) {
    let w = app.world().await;
    // A's registered deal, approved (an opportunity), then won today for 40,000.00.
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Initech", "web_domain": "initech.example", "country": "US"},
                    "title": "Initech rollout", "estimated_arr_minor": 40_000_00}),
        )
        .await;
    let rid = id(&created(&r));
    let reg = ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{rid}/approve"),
            &w.channel,
            &json!({}),
        )
        .await);
    let oid = reg["opportunity_id"].as_str().unwrap().to_owned();
    let account = reg["account_id"].as_str().unwrap().to_owned();
    created(
        &app.http
            .post(
                &format!("/api/v1/opportunities/{oid}/touchpoints"),
                &w.a.rep_token,
                &json!({"kind": "demo"}),
            )
            .await,
    );
    let today = Utc::now().date_naive().to_string();
    ok(&app
        .http
        .post(
            &format!("/api/v1/opportunities/{oid}/close"),
            &w.a.rep_token,
            &json!({"outcome": "won", "close_on": today}),
        )
        .await);
    // A second, open deal in pipeline.
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Hooli", "web_domain": "hooli.example", "country": "US"},
                    "title": "Hooli pilot", "estimated_arr_minor": 25_000_00,
                    "expected_close_on": today}),
        )
        .await;
    let rid2 = id(&created(&r));
    ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{rid2}/approve"),
            &w.channel,
            &json!({}),
        )
        .await);
    let p = plan(
        &app,
        &w,
        json!({"target_account_ids": [account, w.account.id.to_string()],
               "milestones": [{"quarter": 1, "sourced_arr_minor": 30_000_00}],
               "activities": [{"quarter": 1, "kind": "demo", "count": 2}]}),
    )
    .await;
    let a = ok(&app
        .http
        .get(&format!("{PLANS}/{}/attainment", id(&p)), &w.a.rep_token)
        .await);
    let q1 = &a["quarters"][0];
    assert_eq!(q1["won_minor"], 40_000_00);
    assert_eq!(q1["pipeline_minor"], 25_000_00);
    assert_eq!(q1["state"], "met");
    assert_eq!(a["activities"][0]["done"], 1);
    assert_eq!(
        a["accounts"][0],
        json!({"account_id": account, "touched": true, "has_opportunity": true})
    );
    assert_eq!(a["accounts"][1]["touched"], false);
    assert_eq!(a["drifting"], false);
    // A far bigger milestone: the quarter drifts, with the numbers behind it.
    // Another period is another plan.
    plan_for(&app, &w, "2020-01-01").await;
    let pid = id(&p);
    ok(&app.http.patch(
        &format!("{PLANS}/{pid}"),
        &w.channel,
        &json!({"content": {"target_account_ids": [], "milestones": [{"quarter": 1, "sourced_arr_minor": 10_000_000_000_i64}]}}),
    ).await);
    let a = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/attainment"), &w.channel)
        .await);
    assert_eq!(a["quarters"][0]["state"], "drifting");
    assert_eq!(a["drifting"], true);
    assert!(
        a["quarters"][0]["drift_reason"]
            .as_str()
            .unwrap()
            .contains("below 70%")
    );
}

/// A plan of A's for another period (no content).
async fn plan_for(app: &TestApp, w: &World, start: &str) -> Value {
    created(
        &app.http
            .post(PLANS, &w.channel, &json!({"partner_id": w.a.partner.id.to_string(), "title": format!("Plan {start}"), "period_start": start}))
            .await,
    )
}

async fn reviews_and_the_tier_metric(app: TestApp) {
    let w = app.world().await;
    let standing = |token: String| {
        let http = &app.http;
        let path = format!("/api/v1/partners/{}/tier-standing", w.a.partner.id);
        async move { ok(&http.get(&path, &token).await) }
    };
    // Every jbp_in_place criterion of the ladder as (actual, has a "not recorded" note).
    let jbp = |v: &Value| -> Vec<(i64, bool)> {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["criteria"].as_array().unwrap().clone())
            .filter(|c| c["metric"] == "jbp_in_place")
            .map(|c| (c["actual"].as_i64().unwrap(), !c["note"].is_null()))
            .collect()
    };
    let before = jbp(&standing(w.a.admin_token.clone()).await);
    assert!(
        !before.is_empty() && before.iter().all(|(a, noted)| *a == 0 && !noted),
        "{before:?}"
    );
    let p = plan(&app, &w, json!({})).await;
    let pid = id(&p);
    ok(&app
        .http
        .post(&format!("{PLANS}/{pid}/sign"), &w.a.admin_token, &json!({}))
        .await);
    ok(&app
        .http
        .post(&format!("{PLANS}/{pid}/sign"), &w.admin, &json!({}))
        .await);
    let now = standing(w.a.admin_token.clone()).await;
    let after = jbp(&now);
    assert!(
        !after.is_empty() && after.iter().all(|(a, _)| *a == 1),
        "{after:?} {now}"
    );
    // Reviews: named errors, then one recorded; the cadence's next review moves on.
    let due = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/reviews-due"), &w.a.rep_token)
        .await);
    assert_eq!(due[0]["kind"], "monthly_pipeline_review");
    let bad = app
        .http
        .post(
            &format!("{PLANS}/{pid}/reviews"),
            &w.a.rep_token,
            &json!({"kind": "weekly", "held_on": "2999-01-01"}),
        )
        .await;
    assert_eq!(
        invalid(&bad),
        ["kind:one_of", "held_on:not_in_future", "attendees:required"]
    );
    let review = created(
        &app.http
            .post(
                &format!("{PLANS}/{pid}/reviews"),
                &w.a.rep_token,
                &json!({"kind": "monthly_pipeline_review", "held_on": Utc::now().date_naive().to_string(),
                        "attendees": ["Ana (Alpha)", "Cory (vendor)"], "notes": "Pipeline on track",
                        "decisions": ["Add two target accounts"], "next_steps": ["Cory: intro to Globex"]}),
            )
            .await,
    );
    assert_eq!(review["next_steps"][0], "Cory: intro to Globex");
    let due = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/reviews-due"), &w.a.rep_token)
        .await);
    assert!(
        due.as_array()
            .unwrap()
            .iter()
            .all(|d| d["kind"] != "monthly_pipeline_review"),
        "{due}"
    );
    assert_eq!(
        app.http
            .get(&format!("{PLANS}/{pid}/reviews"), &w.b.rep_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A program whose Premier tier also asks `jbp_attainment >= 100` reads the agreed plan's
/// attainment to date: 0 before a deal is won, then won against the pro-rated milestone.
async fn attainment_to_date_is_a_tier_metric(app: TestApp) {
    let w = app.world().await;
    let mut policy = partnerops_core::policy::ProgramPolicy::seed_default();
    let premier = policy.tiers.len() - 1;
    policy.tiers[premier]
        .criteria
        .push(partnerops_core::policy::Criterion {
            metric: partnerops_core::policy::Metric::JbpAttainment,
            at_least: 100,
        });
    let published = app
        .http
        .api(
            hyper::Method::PUT,
            &format!("/api/v1/programs/{}/policy", w.program.id),
            Some(&w.admin),
            Some(
                &json!({"document": policy.to_toml(), "change_note": "Premier asks the plan kept"}),
            ),
        )
        .await;
    assert!(published.status.is_success(), "{}", published.text());
    let attained = |v: &Value| -> Vec<(i64, bool)> {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["criteria"].as_array().unwrap().clone())
            .filter(|c| c["metric"] == "jbp_attainment")
            .map(|c| (c["actual"].as_i64().unwrap(), c["met"].as_bool().unwrap()))
            .collect()
    };
    let standing = format!("/api/v1/partners/{}/tier-standing", w.a.partner.id);
    let before = ok(&app.http.get(&standing, &w.a.admin_token).await);
    assert_eq!(attained(&before), [(0, false)], "{before}");

    let p = plan(
        &app,
        &w,
        json!({"milestones": [{"quarter": 1, "sourced_arr_minor": 90_000_00}]}),
    )
    .await;
    let pid = id(&p);
    for token in [&w.a.admin_token, &w.channel] {
        ok(&app
            .http
            .post(&format!("{PLANS}/{pid}/sign"), token, &json!({}))
            .await);
    }
    // A partner-sourced deal of the whole quarter's milestone, won today.
    let reg = created(
        &app.http
            .post(
                "/api/v1/registrations",
                &w.a.rep_token,
                &json!({"account": {"name": "Hooli", "web_domain": "hooli.example", "country": "US"},
                        "title": "Hooli rollout", "estimated_arr_minor": 90_000_00}),
            )
            .await,
    );
    let approved = ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{}/approve", id(&reg)),
            &w.channel,
            &json!({}),
        )
        .await);
    let oid = approved["opportunity_id"].as_str().unwrap();
    ok(&app
        .http
        .post(
            &format!("/api/v1/opportunities/{oid}/close"),
            &w.a.rep_token,
            &json!({"outcome": "won", "close_on": Utc::now().date_naive().to_string()}),
        )
        .await);
    let after = ok(&app.http.get(&standing, &w.a.admin_token).await);
    let got = attained(&after);
    assert_eq!(got.len(), 1, "{after}");
    // The whole milestone won on day one of 90 or more: far above the pace.
    assert!(got[0].0 >= 100 && got[0].1, "{got:?}");
    let page = ok(&app
        .http
        .get(&format!("{PLANS}/{pid}/attainment"), &w.channel)
        .await);
    let q1 = &page["quarters"][0];
    assert_eq!(
        got[0].0,
        q1["won_minor"].as_i64().unwrap() * 100 / q1["pace_minor"].as_i64().unwrap(),
        "the tier reads what the plan page shows: {page}"
    );
}
