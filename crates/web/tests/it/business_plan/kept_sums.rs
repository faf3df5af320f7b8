//! The per-partner sums attainment reads (migration 0015), on both databases: every write
//! that changes a plan's facts moves them, so after each kind of write they equal what the
//! rows give (`Store::check_plan_sums`, which runs the migration's backfill), and the
//! attainment read from them is the one computed from the rows, for every plan and on days
//! before, in and after its period.

use chrono::{DateTime, Datelike, Duration, Months, Utc};
use hyper::StatusCode;
use partnerops_core::scope::Scope;
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::on_both;

on_both!(kept_sums_give_the_attainment_of_the_rows);

const OPPS: &str = "/api/v1/opportunities";

fn done(r: &Answer) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key}: {v}"))
        .to_owned()
}

/// The kept sums equal the rows', and every plan's attainment from them equals the one
/// from the rows on each of `days`.
async fn same(app: &TestApp, plans: &[String], days: &[DateTime<Utc>], phase: &str) {
    let drift = app
        .store
        .check_plan_sums()
        .await
        .expect("check the kept sums");
    assert!(
        drift.is_empty(),
        "{phase}: the kept sums differ from the rows:\n{}",
        drift.join("\n")
    );
    for at in days {
        let store = app.store_as_of(*at);
        for id in plans {
            let kept = store
                .business_plan_attainment(&Scope::Vendor, id)
                .await
                .expect("attainment");
            let rows = store
                .business_plan_attainment_from_rows(&Scope::Vendor, id)
                .await
                .expect("attainment from the rows");
            assert_eq!(kept, rows, "{phase}: plan {id} on {at}");
        }
    }
}

/// A registration of `token`'s partner for a new account; approved when `approve`.
async fn registration(
    app: &TestApp,
    w: &World,
    token: &str,
    account: Value,
    arr: i64,
    expected_close_on: Option<String>,
    approve: bool,
) -> Value {
    let mut body = json!({"account": account, "title": "Deal", "estimated_arr_minor": arr});
    if let Some(d) = expected_close_on {
        body["expected_close_on"] = json!(d);
    }
    let r = done(&app.http.post("/api/v1/registrations", token, &body).await);
    if !approve {
        return r;
    }
    done(
        &app.http
            .post(
                &format!("/api/v1/registrations/{}/approve", s(&r, "id")),
                &w.channel,
                &json!({}),
            )
            .await,
    )
}

async fn kept_sums_give_the_attainment_of_the_rows(app: TestApp) {
    let w = app.world().await;
    let gamma = app
        .partner("Gamma Cloud", "gamma.example", &w.program)
        .await;
    let (a, g) = (w.a.partner.id.to_string(), gamma.id.to_string());
    let now = Utc::now();
    let t = now.date_naive();
    let day = |n: i64| (t + Duration::days(n)).to_string();
    let first = t.with_day(1).unwrap();
    let months_back = |k: u32| (first - Months::new(k)).to_string();
    let days = [
        now,
        now - Duration::days(100),
        now + Duration::days(45),
        now + Duration::days(400),
    ];
    // Rates with many decimals, so converting each deal and rounding it differs from
    // converting a sum; the EUR rate changes a month ago.
    for (from, on, rate) in [
        ("EUR", "2020-01-01".to_owned(), "1.08371234"),
        ("EUR", day(-30), "1.09123457"),
        ("GBP", "2020-01-01".to_owned(), "1.27345678"),
    ] {
        done(
            &app.http
                .post(
                    "/api/v1/fx-rates",
                    &w.finance,
                    &json!({"from": from, "to": "USD", "effective_on": on, "rate": rate}),
                )
                .await,
        );
    }

    // Deals: two from approved registrations, the rest created by the vendor.
    let r1 = registration(
        &app,
        &w,
        &w.a.rep_token,
        json!({"name": "Initech", "web_domain": "initech.example", "country": "US"}),
        12_345_67,
        Some(day(20)),
        true,
    )
    .await;
    let r2 = registration(
        &app,
        &w,
        &w.a.rep_token,
        json!({"name": "Hooli", "web_domain": "hooli.example", "country": "US"}),
        9_999_99,
        Some(day(100)),
        true,
    )
    .await;
    let r3 = registration(
        &app,
        &w,
        &w.a.rep_token,
        json!({"name": "Umbrella", "web_domain": "umbrella.example", "country": "US"}),
        5_000_00,
        None,
        false,
    )
    .await;
    let (initech, hooli, umbrella) = (
        s(&r1, "account_id"),
        s(&r2, "account_id"),
        s(&r3, "account_id"),
    );
    let (o1, o2) = (s(&r1, "opportunity_id"), s(&r2, "opportunity_id"));
    let new_opp = |body: Value| {
        let (http, channel, program) = (&app.http, w.channel.clone(), w.program.id.to_string());
        let account = w.account.id.to_string();
        async move {
            let mut b = json!({"program_id": program, "account_id": account, "title": "Globex platform",
                               "amount_minor": 1_000_000, "currency": "USD", "expected_close_on": "2030-01-15"});
            for (k, v) in body.as_object().unwrap() {
                b[k] = v.clone();
            }
            s(&done(&http.post(OPPS, &channel, &b).await), "id")
        }
    };
    let sourced = |partner: &str, amount: i64, currency: &str, close: String| {
        json!({"source": "partner_sourced", "route": "resale", "partner_id": partner, "amount_minor": amount,
               "currency": currency, "expected_close_on": close})
    };
    // Two EUR deals of one amount in one month: each is converted and rounded on its own.
    let o3 = new_opp(sourced(&a, 1_000_001, "EUR", day(40))).await;
    let o4 = new_opp(sourced(&a, 1_000_001, "EUR", day(41))).await;
    let o5 = new_opp(sourced(&a, 777_777, "GBP", day(70))).await;
    let o6 = new_opp(
        json!({"source": "partner_influenced", "route": "co_sell", "partner_id": a, "amount_minor": 3_000_00,
                            "expected_close_on": day(30)}),
    )
    .await;
    let o7 =
        new_opp(json!({"source": "direct", "account_id": initech, "expected_close_on": day(15)}))
            .await;
    let o8 = new_opp(
        json!({"source": "partner_sourced", "route": "resale", "partner_id": g, "account_id": hooli,
                            "amount_minor": 4_444_44, "expected_close_on": day(25)}),
    )
    .await;
    let o9 = new_opp(sourced(&a, 2_500_00, "USD", day(-10))).await;

    // Plans: A's from six months ago and from this month, Gamma's from three months ago,
    // B's (another program) from six months ago, naming the accounts above.
    let plan = |partner: String, start: String, accounts: Vec<String>| {
        let (http, channel) = (&app.http, w.channel.clone());
        async move {
            let content = json!({"target_account_ids": accounts,
                "milestones": [{"quarter": 1, "sourced_arr_minor": 20_000_00}, {"quarter": 2, "sourced_arr_minor": 30_000_00},
                               {"quarter": 3, "sourced_arr_minor": 40_000_00}, {"quarter": 4, "sourced_arr_minor": 50_000_00}],
                "activities": [{"quarter": 1, "kind": "discovery_call", "count": 3}, {"quarter": 2, "kind": "demo", "count": 2},
                               {"quarter": 3, "kind": "proposal", "count": 1}, {"quarter": 3, "kind": "demo", "count": 4},
                               {"quarter": 2, "kind": "discovery_call", "count": 2}, {"quarter": 1, "kind": "demo", "count": 2}]});
            let p = done(
                &http
                    .post(
                        "/api/v1/business-plans",
                        &channel,
                        &json!({"partner_id": partner, "title": format!("Plan {start}"),
                                "period_start": start, "content": content}),
                    )
                    .await,
            );
            s(&p, "id")
        }
    };
    let everything = vec![
        initech.clone(),
        hooli.clone(),
        umbrella.clone(),
        w.account.id.to_string(),
    ];
    let mut plans = vec![
        plan(a.clone(), months_back(6), everything.clone()).await,
        plan(a.clone(), months_back(0), everything.clone()).await,
        plan(g.clone(), months_back(3), everything.clone()).await,
    ];
    same(&app, &plans, &days, "opened").await;

    // Edits: amount, currency, expected close (into another month and quarter); moves.
    let patch = |id: &str, body: Value| {
        let (http, channel, path) = (&app.http, w.channel.clone(), format!("{OPPS}/{id}"));
        async move { done(&http.patch(&path, &channel, &body).await) }
    };
    patch(&o1, json!({"amount_minor": 12_000_00})).await;
    patch(&o5, json!({"currency": "EUR", "amount_minor": 555_555})).await;
    patch(&o2, json!({"expected_close_on": day(200)})).await;
    patch(&o3, json!({"expected_close_on": day(-20)})).await;
    let post = |path: String, token: String, body: Value| {
        let http = &app.http;
        async move { done(&http.post(&path, &token, &body).await) }
    };
    for (id, stage) in [
        (&o1, "commercial_offer"),
        (&o2, "first_conversation"),
        (&o5, "handoff"),
    ] {
        post(
            format!("{OPPS}/{id}/stage"),
            w.channel.clone(),
            json!({"stage": stage}),
        )
        .await;
    }
    same(&app, &plans, &days, "edited and moved").await;

    // Closes: won today, 45, 60 and 120 days ago (EUR at that day's rate), one lost.
    let close =
        |id: String, body: Value| post(format!("{OPPS}/{id}/close"), w.channel.clone(), body);
    close(o1.clone(), json!({"outcome": "won", "close_on": day(0)})).await;
    close(o4.clone(), json!({"outcome": "won", "close_on": day(-45)})).await;
    close(o8.clone(), json!({"outcome": "won", "close_on": day(-60)})).await;
    close(o9.clone(), json!({"outcome": "won", "close_on": day(-120)})).await;
    close(
        o5.clone(),
        json!({"outcome": "lost", "close_on": day(-2), "lost_reason": "other"}),
    )
    .await;
    same(&app, &plans, &days, "closed").await;

    // Reopened: a won deal and a lost one; the won one is won again on another day.
    let reopen = |id: String, stage: &str| {
        post(
            format!("{OPPS}/{id}/reopen"),
            w.channel.clone(),
            json!({"stage": stage, "reason": "the customer came back"}),
        )
    };
    reopen(o9.clone(), "first_conversation").await;
    reopen(o5.clone(), "handoff").await;
    same(&app, &plans, &days, "reopened").await;
    close(o9.clone(), json!({"outcome": "won", "close_on": day(-5)})).await;
    patch(
        &o5,
        json!({"amount_minor": 600_000, "expected_close_on": day(10)}),
    )
    .await;
    same(&app, &plans, &days, "won again").await;

    // Touchpoints: A's own (one after a close, so late), the vendor's on behalf of A on a
    // direct deal (A becomes an influencer) and of Gamma on A's deal.
    let touch = |id: &str, token: String, body: Value| {
        post(format!("{OPPS}/{id}/touchpoints"), token, body)
    };
    let at = |n: i64| (now - Duration::days(n)).to_rfc3339();
    touch(
        &o2,
        w.a.rep_token.clone(),
        json!({"kind": "introduction", "occurred_at": at(3)}),
    )
    .await;
    touch(
        &o2,
        w.a.rep_token.clone(),
        json!({"kind": "introduction", "occurred_at": at(3)}),
    )
    .await;
    touch(
        &o3,
        w.a.rep_token.clone(),
        json!({"kind": "demo", "occurred_at": at(40)}),
    )
    .await;
    touch(
        &o6,
        w.a.rep_token.clone(),
        json!({"kind": "event", "occurred_at": at(50)}),
    )
    .await;
    let late = touch(
        &o1,
        w.a.rep_token.clone(),
        json!({"kind": "demo", "occurred_at": at(1)}),
    )
    .await;
    assert_eq!(late["late"], true, "{late}");
    touch(
        &o7,
        w.channel.clone(),
        json!({"kind": "technical_validation", "partner_id": a, "occurred_at": at(10)}),
    )
    .await;
    touch(
        &o3,
        w.channel.clone(),
        json!({"kind": "demo", "partner_id": g, "occurred_at": at(100)}),
    )
    .await;
    same(&app, &plans, &days, "touchpoints").await;

    // Registration activities of every kind, on an approved and a pending registration.
    let activity = |id: String, kind: &str, n: i64| {
        post(
            format!("/api/v1/registrations/{id}/activities"),
            w.a.rep_token.clone(),
            json!({"kind": kind, "occurred_at": at(n)}),
        )
    };
    let (r2, r3) = (s(&r2, "id"), s(&r3, "id"));
    for (kind, n) in [
        ("call", 2),
        ("meeting", 35),
        ("demo", 65),
        ("proposal", 95),
        ("note", 1),
    ] {
        activity(r2.clone(), kind, n).await;
    }
    activity(r3.clone(), "proposal", 20).await;
    activity(r3.clone(), "call", 150).await;
    same(&app, &plans, &days, "registration activities").await;

    // An account merge moves B's registration, and its activity, to the account A holds.
    let held = registration(
        &app,
        &w,
        &w.a.rep_token,
        json!({"name": "Initrode Systems", "country": "US"}),
        10_000,
        None,
        false,
    )
    .await;
    let dup = registration(
        &app,
        &w,
        &w.b.rep_token,
        json!({"name": "Initrode Sytems Inc.", "country": "US"}),
        10_000,
        None,
        false,
    )
    .await;
    let (into, from) = (s(&held, "account_id"), s(&dup, "account_id"));
    assert_ne!(into, from, "B's registration is on an account of its own");
    post(
        format!("/api/v1/registrations/{}/activities", s(&dup, "id")),
        w.b.rep_token.clone(),
        json!({"kind": "meeting", "occurred_at": at(4)}),
    )
    .await;
    let b_plan = plan(
        w.b.partner.id.to_string(),
        months_back(6),
        vec![into.clone(), from.clone()],
    )
    .await;
    plans.push(b_plan.clone());
    let touched = |a: &Value, account: &str| {
        a["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["account_id"] == account)
            .map(|c| c["touched"].as_bool().unwrap())
    };
    let b_attainment = || {
        let (http, token, path) = (
            &app.http,
            w.channel.clone(),
            format!("/api/v1/business-plans/{b_plan}/attainment"),
        );
        async move { done(&http.get(&path, &token).await) }
    };
    let before = b_attainment().await;
    assert_eq!(
        (touched(&before, &into), touched(&before, &from)),
        (Some(false), Some(true))
    );
    same(&app, &plans, &days, "before the merge").await;
    post(
        format!("/api/v1/registrations/{}/reject", s(&dup, "id")),
        w.channel.clone(),
        json!({"reason": "duplicate of a held account"}),
    )
    .await;
    post(
        format!("/api/v1/accounts/{from}/merge"),
        w.channel.clone(),
        json!({"into": into, "reason": "same register number"}),
    )
    .await;
    let after = b_attainment().await;
    assert_eq!(
        (touched(&after, &into), touched(&after, &from)),
        (Some(true), Some(false)),
        "the activity moved with the registration"
    );
    same(&app, &plans, &days, "merged").await;

    // Concurrent changes of one deal: the ones that read a state another changed meanwhile
    // are refused and move nothing.
    let mut tries = Vec::new();
    for i in 0..6_i64 {
        let (http, channel, path) = (app.http.clone(), w.channel.clone(), format!("{OPPS}/{o2}"));
        let body = json!({"amount_minor": 1_000_00 + i * 11_11, "expected_close_on": day(30 * i)});
        tries.push(tokio::spawn(async move {
            http.patch(&path, &channel, &body).await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.unwrap());
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    same(&app, &plans, &days, "concurrent edits").await;

    // Not vacuous: A's first plan has won deals, converted pipeline, counted activities
    // and covered accounts.
    let a_plan = done(
        &app.http
            .get(
                &format!("/api/v1/business-plans/{}/attainment", plans[0]),
                &w.channel,
            )
            .await,
    );
    let sum = |key: &str| -> i64 {
        a_plan["quarters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q[key].as_i64().unwrap())
            .sum()
    };
    assert!(
        sum("won_minor") > 0 && sum("pipeline_minor") > 0,
        "{a_plan}"
    );
    assert!(
        a_plan["activities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["done"].as_i64().unwrap() > 0),
        "{a_plan}"
    );
    assert_eq!(touched(&a_plan, &initech), Some(true), "{a_plan}");
    assert_eq!(touched(&a_plan, &umbrella), Some(true), "{a_plan}");
}
