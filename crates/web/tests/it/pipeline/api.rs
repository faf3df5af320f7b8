//! The pipeline through the API, on both databases: a registration becomes a
//! partner-sourced opportunity and closing it closes the registration; the stage rules with
//! their refusals; touchpoints and who sees them; the rate stored at close; the board and
//! the forecast; bad input named by field.

use std::collections::BTreeMap;

use chrono::Utc;
use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::on_both;

on_both!(
    a_registration_becomes_an_opportunity_and_closes_with_it,
    touchpoints_put_partners_on_the_deal_and_stay_their_own,
    the_rate_of_the_close_date_is_kept,
    board_forecast_and_filters,
    bad_input_is_named,
    closing_the_registration_closes_the_opportunity,
    the_deal_room_keeps_private_notes_on_their_side,
);

const OPPS: &str = "/api/v1/opportunities";

fn ok(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn created(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

fn rule(r: &Answer, status: StatusCode) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    r.json()["rule"].as_str().unwrap_or_default().to_owned()
}

fn invalid(r: &Answer) -> Vec<String> {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    r.problem_rules()
}

fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key}: {v}"))
        .to_owned()
}

fn today() -> String {
    Utc::now().date_naive().to_string()
}

fn opp(id: &str, what: &str) -> String {
    if what.is_empty() {
        format!("{OPPS}/{id}")
    } else {
        format!("{OPPS}/{id}/{what}")
    }
}

/// Partner A registers a deal and the channel manager approves it; returns the registration.
async fn approved_registration(app: &TestApp, w: &World, name: &str, arr: i64) -> Value {
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": name, "web_domain": format!("{}.example", name.to_lowercase()), "country": "US"},
                    "title": format!("{name} rollout"), "estimated_arr_minor": arr, "expected_close_on": "2027-03-31"}),
        )
        .await;
    let reg = created(&r);
    let id = s(&reg, "id");
    ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{id}/approve"),
            &w.channel,
            &json!({}),
        )
        .await)
}

/// A direct or partner opportunity created by vendor staff.
async fn new_opp(app: &TestApp, w: &World, body: Value) -> Value {
    let mut b = json!({"program_id": w.program.id.to_string(), "account_id": w.account.id.to_string(), "title": "Globex platform",
                       "amount_minor": 1_000_000, "currency": "USD", "expected_close_on": "2027-02-15"});
    for (k, v) in body.as_object().unwrap() {
        b[k] = v.clone();
    }
    created(&app.http.post(OPPS, &w.channel, &b).await)
}

async fn a_registration_becomes_an_opportunity_and_closes_with_it(app: TestApp) {
    let w = app.world().await;
    let reg = approved_registration(&app, &w, "Initech", 4_800_000).await;
    let oid = s(&reg, "opportunity_id");
    let o = ok(&app.http.get(&opp(&oid, ""), &w.a.rep_token).await);
    assert_eq!(o["source"], "partner_sourced");
    assert_eq!(o["route"], "resale");
    assert_eq!(o["stage"], "target_account");
    assert_eq!(o["registration_id"], reg["id"]);
    assert_eq!(o["partner_id"], w.a.partner.id.to_string());
    assert_eq!(o["partner_owner_id"], w.a.rep.id.to_string());
    assert_eq!(o["amount"]["amount_minor"], 4_800_000);
    assert_eq!(o["expected_close_on"], "2027-03-31");
    assert_eq!(o["probability_bp"], 500);
    assert_eq!(o["weighted_minor"], 240_000);
    // Another partner cannot see it: the same 404 as an id that does not exist.
    assert_eq!(
        app.http.get(&opp(&oid, ""), &w.b.admin_token).await.status,
        StatusCode::NOT_FOUND
    );

    // The partner works its deal: a move forward, then closing needs a date.
    let moved = ok(&app
        .http
        .post(
            &opp(&oid, "stage"),
            &w.a.rep_token,
            &json!({"stage": "commercial_offer"}),
        )
        .await);
    assert_eq!(moved["stage"], "commercial_offer");
    assert_eq!(moved["weighted_minor"], 1_920_000);
    let same = app
        .http
        .post(
            &opp(&oid, "stage"),
            &w.a.rep_token,
            &json!({"stage": "commercial_offer"}),
        )
        .await;
    assert_eq!(rule(&same, StatusCode::CONFLICT), "opportunity.same_stage");
    let won_as_move = app
        .http
        .post(
            &opp(&oid, "stage"),
            &w.a.rep_token,
            &json!({"stage": "won"}),
        )
        .await;
    assert_eq!(
        rule(&won_as_move, StatusCode::CONFLICT),
        "opportunity.close_not_a_move"
    );
    let no_date = app
        .http
        .post(
            &opp(&oid, "close"),
            &w.a.rep_token,
            &json!({"outcome": "won"}),
        )
        .await;
    assert_eq!(
        rule(&no_date, StatusCode::CONFLICT),
        "opportunity.close_date_required"
    );
    let tomorrow = (Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
    let future = app
        .http
        .post(
            &opp(&oid, "close"),
            &w.a.rep_token,
            &json!({"outcome": "won", "close_on": tomorrow}),
        )
        .await;
    assert_eq!(
        rule(&future, StatusCode::CONFLICT),
        "opportunity.close_date_future"
    );
    let won = ok(&app
        .http
        .post(
            &opp(&oid, "close"),
            &w.a.rep_token,
            &json!({"outcome": "won", "close_on": today()}),
        )
        .await);
    assert_eq!(won["stage"], "won");
    assert_eq!(won["closed_on"], today());
    assert_eq!(won["weighted_minor"], 4_800_000);
    assert_eq!(won["rate_at_close"]["rate_e8"], 100_000_000);
    assert_eq!(won["amount_at_close"]["amount_minor"], 4_800_000);
    let reg_after = ok(&app
        .http
        .get(
            &format!("/api/v1/registrations/{}", s(&reg, "id")),
            &w.a.rep_token,
        )
        .await);
    assert_eq!(reg_after["status"], "won");

    // Closed means closed: no move, no edit; reopening is the vendor's, with a reason.
    let moved_after = app
        .http
        .post(
            &opp(&oid, "stage"),
            &w.a.rep_token,
            &json!({"stage": "handoff"}),
        )
        .await;
    assert_eq!(
        rule(&moved_after, StatusCode::CONFLICT),
        "opportunity.closed"
    );
    let edit = app
        .http
        .patch(&opp(&oid, ""), &w.a.rep_token, &json!({"next_step": "x"}))
        .await;
    assert_eq!(edit.status, StatusCode::CONFLICT, "{}", edit.text());
    let by_partner = app
        .http
        .post(
            &opp(&oid, "reopen"),
            &w.a.admin_token,
            &json!({"stage": "handoff", "reason": "customer came back"}),
        )
        .await;
    assert_eq!(
        rule(&by_partner, StatusCode::FORBIDDEN),
        "role.work_pipeline"
    );
    let no_reason = app
        .http
        .post(
            &opp(&oid, "reopen"),
            &w.channel,
            &json!({"stage": "handoff"}),
        )
        .await;
    assert_eq!(
        rule(&no_reason, StatusCode::CONFLICT),
        "opportunity.reopen_reason_required"
    );
    let reopened = ok(&app
        .http
        .post(
            &opp(&oid, "reopen"),
            &w.channel,
            &json!({"stage": "handoff", "reason": "the signature bounced"}),
        )
        .await);
    assert_eq!(reopened["stage"], "handoff");
    assert!(reopened["closed_on"].is_null() && reopened["rate_at_close"].is_null());
    let unknown_reason = app
        .http
        .post(
            &opp(&oid, "close"),
            &w.a.rep_token,
            &json!({"outcome": "lost", "close_on": today(), "lost_reason": "bad weather"}),
        )
        .await;
    assert_eq!(
        rule(&unknown_reason, StatusCode::CONFLICT),
        "opportunity.lost_reason_unknown"
    );
    let lost = ok(&app
        .http
        .post(
            &opp(&oid, "close"),
            &w.a.rep_token,
            &json!({"outcome": "lost", "close_on": today(), "lost_reason": "No Budget"}),
        )
        .await);
    assert_eq!(
        lost["lost_reason"], "no budget",
        "the listed spelling is kept"
    );
    assert_eq!(lost["weighted_minor"], 0);

    // Every change is in the history with its actor, and in the audit trail.
    let history = ok(&app.http.get(&opp(&oid, "history"), &w.a.rep_token).await);
    let stages: Vec<(&str, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["from_stage"].as_str().unwrap_or("-"),
                h["to_stage"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("-", "target_account"),
            ("target_account", "commercial_offer"),
            ("commercial_offer", "won"),
            ("won", "handoff"),
            ("handoff", "lost"),
        ]
    );
    assert_eq!(history[1]["actor_name"], "rep");
    assert!(s(&history[3], "reason").contains("the signature bounced"));
    let audit = ok(&app.http.get(&opp(&oid, "audit"), &w.channel).await);
    assert!(audit["items"].as_array().unwrap().len() >= 5, "{audit}");
}

async fn touchpoints_put_partners_on_the_deal_and_stay_their_own(app: TestApp) {
    let w = app.world().await;
    let gamma = app
        .partner("Gamma Services", "gamma.example", &w.program)
        .await;
    let (_, gamma_token) = app
        .user_with_token("rep@gamma.example", "partner_rep", Some(&gamma))
        .await;
    let o = new_opp(
        &app,
        &w,
        json!({"source": "partner_sourced", "route": "co_sell", "partner_id": w.a.partner.id.to_string()}),
    )
    .await;
    let oid = s(&o, "id");
    assert_eq!(
        app.http.get(&opp(&oid, ""), &gamma_token).await.status,
        StatusCode::NOT_FOUND
    );
    // Vendor staff log Gamma's influence: Gamma is now on the deal.
    let t = created(
        &app.http
            .post(
                &opp(&oid, "touchpoints"),
                &w.channel,
                &json!({"partner_id": gamma.id.to_string(), "kind": "technical_validation", "notes": "ran the PoC"}),
            )
            .await,
    );
    assert_eq!(t["late"], false);
    assert_eq!(t["logged_by_name"], "channel");
    ok(&app.http.get(&opp(&oid, ""), &gamma_token).await);
    // Partner A logs its own; naming another partner is refused.
    created(
        &app.http
            .post(
                &opp(&oid, "touchpoints"),
                &w.a.rep_token,
                &json!({"kind": "demo"}),
            )
            .await,
    );
    let other = app
        .http
        .post(
            &opp(&oid, "touchpoints"),
            &w.a.rep_token,
            &json!({"kind": "demo", "partner_id": gamma.id.to_string()}),
        )
        .await;
    assert_eq!(invalid(&other), ["partner_id:own_partner"]);
    // Each partner sees its own touchpoints only; the vendor sees both.
    let kinds =
        |v: Value| -> Vec<String> { v.as_array().unwrap().iter().map(|t| s(t, "kind")).collect() };
    assert_eq!(
        kinds(ok(&app
            .http
            .get(&opp(&oid, "touchpoints"), &gamma_token)
            .await)),
        ["technical_validation"]
    );
    assert_eq!(
        kinds(ok(&app
            .http
            .get(&opp(&oid, "touchpoints"), &w.a.rep_token)
            .await)),
        ["demo"]
    );
    assert_eq!(
        ok(&app.http.get(&opp(&oid, "touchpoints"), &w.channel).await)
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Gamma sees the deal but may not work it: it did not bring it.
    let gamma_move = app
        .http
        .post(
            &opp(&oid, "stage"),
            &gamma_token,
            &json!({"stage": "handoff"}),
        )
        .await;
    assert_eq!(
        rule(&gamma_move, StatusCode::FORBIDDEN),
        "role.work_opportunity"
    );
    // A partner of another program cannot be put on the deal.
    let b = app
        .http
        .post(
            &opp(&oid, "touchpoints"),
            &w.channel,
            &json!({"partner_id": w.b.partner.id.to_string(), "kind": "event"}),
        )
        .await;
    assert_eq!(invalid(&b), ["partner_id:other_program"]);
    // After the close a touchpoint is kept but late, even when dated before.
    ok(&app
        .http
        .post(
            &opp(&oid, "close"),
            &w.channel,
            &json!({"outcome": "won", "close_on": today()}),
        )
        .await);
    let late = created(
        &app.http
            .post(
                &opp(&oid, "touchpoints"),
                &gamma_token,
                &json!({"kind": "referral", "occurred_at": "2026-01-05T10:00:00Z"}),
            )
            .await,
    );
    assert_eq!(late["late"], true);
}

async fn the_rate_of_the_close_date_is_kept(app: TestApp) {
    let w = app.world().await;
    let o = new_opp(
        &app,
        &w,
        json!({"source": "direct", "currency": "EUR", "amount_minor": 100_000}),
    )
    .await;
    let oid = s(&o, "id");
    let close = json!({"outcome": "won", "close_on": "2026-06-15"});
    let no_rate = app.http.post(&opp(&oid, "close"), &w.sales, &close).await;
    assert_eq!(no_rate.status, StatusCode::CONFLICT, "{}", no_rate.text());
    assert_eq!(no_rate.problem_rules(), ["close_on:fx.no_rate"]);
    // Rates come from a CSV file; a bad row refuses the whole file.
    let bad = app
        .http
        .send(
            hyper::Method::POST,
            "/api/v1/fx-rates/import",
            &[
                ("authorization", &format!("Bearer {}", w.finance)),
                ("content-type", "text/csv"),
            ],
            "from,to,effective_on,rate\nEUR,USD,2026-06-01,1.10\nEUR,USD,2026-07-01,abc\n".into(),
        )
        .await;
    assert_eq!(invalid(&bad), ["rows[2].rate:decimal_rate"]);
    assert_eq!(
        ok(&app.http.get("/api/v1/fx-rates", &w.admin).await),
        json!([])
    );
    let import = |token: String, body: &'static str| {
        let http = &app.http;
        async move {
            http.send(
                hyper::Method::POST,
                "/api/v1/fx-rates/import",
                &[
                    ("authorization", &format!("Bearer {token}")),
                    ("content-type", "text/csv"),
                ],
                body.into(),
            )
            .await
        }
    };
    let csv = "from,to,effective_on,rate\nEUR,USD,2026-06-01,1.10\nEUR,USD,2026-07-01,1.20\n";
    let by_partner = import(w.a.admin_token.clone(), csv).await;
    assert_eq!(by_partner.status, StatusCode::FORBIDDEN);
    let done = ok(&import(w.finance.clone(), csv).await);
    assert_eq!(done, json!({"added": 2, "replaced": 0, "unchanged": 0}));
    let won = ok(&app.http.post(&opp(&oid, "close"), &w.sales, &close).await);
    assert_eq!(won["rate_at_close"]["rate_e8"], 110_000_000);
    assert_eq!(won["rate_at_close"]["effective_on"], "2026-06-01");
    assert_eq!(
        won["amount_at_close"],
        json!({"amount_minor": 110_000, "currency": "USD"})
    );
    // A later correction of the table does not change the closed deal.
    ok(&app
        .http
        .post(
            "/api/v1/fx-rates",
            &w.finance,
            &json!({"from": "EUR", "to": "USD", "effective_on": "2026-06-01", "rate": "1.5"}),
        )
        .await);
    let again = ok(&app.http.get(&opp(&oid, ""), &w.channel).await);
    assert_eq!(again["amount_at_close"]["amount_minor"], 110_000);
    let rates = ok(&app.http.get("/api/v1/fx-rates", &w.admin).await);
    assert_eq!(rates[0]["effective_on"], "2026-07-01", "newest first");
    assert_eq!(rates[1]["rate"], "1.5");
    assert_eq!(
        ok(&app.http.get("/api/v1/fx-rates", &w.a.rep_token).await),
        json!([])
    );
}

async fn board_forecast_and_filters(app: TestApp) {
    let w = app.world().await;
    ok(&app
        .http
        .post(
            "/api/v1/fx-rates",
            &w.finance,
            &json!({"from": "EUR", "to": "USD", "effective_on": "2026-01-01", "rate": "1.1"}),
        )
        .await);
    let a = w.a.partner.id.to_string();
    let direct =
        json!({"source": "direct", "expected_close_on": "2027-01-20", "amount_minor": 10_000});
    new_opp(&app, &w, direct).await;
    let handoff = new_opp(
        &app,
        &w,
        json!({"source": "partner_sourced", "route": "resale", "partner_id": a, "stage": "handoff",
               "currency": "EUR", "amount_minor": 20_000, "expected_close_on": "2027-01-05"}),
    )
    .await;
    new_opp(
        &app,
        &w,
        json!({"source": "partner_influenced", "route": "cloud_marketplace", "marketplace": "aws",
               "partner_id": a, "stage": "handoff", "amount_minor": 30_000, "expected_close_on": "2027-02-01"}),
    )
    .await;
    let q = format!("?program_id={}", w.program.id);
    let board = ok(&app
        .http
        .get(&format!("/api/v1/pipeline/board{q}"), &w.channel)
        .await);
    assert_eq!(board["currency"], "USD");
    let cols = board["columns"].as_array().unwrap();
    let col = |key: &str| cols.iter().find(|c| c["stage"] == key).unwrap().clone();
    assert_eq!(cols.len(), 6);
    assert_eq!(col("handoff")["totals"]["count"], 2);
    // 200.00 EUR at 1.1 = 220.00 USD, plus 300.00 USD.
    assert_eq!(col("handoff")["totals"]["amount"]["amount_minor"], 52_000);
    assert_eq!(col("handoff")["totals"]["weighted"]["amount_minor"], 36_400);
    assert_eq!(
        col("handoff")["cards"][0]["id"],
        handoff["id"],
        "soonest close first"
    );
    assert_eq!(col("target_account")["totals"]["count"], 1);
    assert_eq!(col("won")["totals"]["count"], 0);
    // The partner's board shows what it is on.
    let pboard = ok(&app.http.get("/api/v1/pipeline/board", &w.a.rep_token).await);
    let pcount: i64 = pboard["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["totals"]["count"].as_i64().unwrap())
        .sum();
    assert_eq!(pcount, 2);
    let forecast = ok(&app
        .http
        .get(&format!("/api/v1/pipeline/forecast{q}"), &w.channel)
        .await);
    let months: Vec<(String, i64)> = forecast["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                s(m, "month"),
                m["totals"]["weighted"]["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    // January: 5% of 100.00 + 70% of 220.00; February: 70% of 300.00.
    assert_eq!(
        months,
        [
            ("2027-01".to_owned(), 15_900),
            ("2027-02".to_owned(), 21_000)
        ]
    );
    // Filters.
    let count = |path: String, token: String| {
        let http = &app.http;
        async move {
            ok(&http.get(&path, &token).await)["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(
        count(format!("{OPPS}?route=cloud_marketplace"), w.channel.clone()).await,
        1
    );
    assert_eq!(
        count(format!("{OPPS}?source=direct"), w.channel.clone()).await,
        1
    );
    assert_eq!(
        count(format!("{OPPS}?close_month=2027-01"), w.channel.clone()).await,
        2
    );
    assert_eq!(
        count(
            format!("{OPPS}?stage=handoff&partner_id={a}"),
            w.channel.clone()
        )
        .await,
        2
    );
    assert_eq!(
        count(
            format!("{OPPS}?q=globex&sort=-amount_minor"),
            w.channel.clone()
        )
        .await,
        3
    );
    assert_eq!(count(OPPS.to_owned(), w.a.rep_token.clone()).await, 2);
    assert_eq!(count(OPPS.to_owned(), w.b.rep_token.clone()).await, 0);
    let bad = app
        .http
        .get(
            &format!("{OPPS}?close_month=2027-13&route=barter"),
            &w.channel,
        )
        .await;
    assert_eq!(invalid(&bad), ["route:one_of", "close_month:month"]);
    // With two programs, the vendor's board must name one.
    let unnamed = app.http.get("/api/v1/pipeline/board", &w.channel).await;
    assert_eq!(invalid(&unnamed), ["program_id:required"]);
    // A whole program's board reads the totals the store keeps: they follow moves, edits,
    // closes and reopens exactly (compared with the rows listed).
    let hid = s(&handoff, "id");
    let path = |what: &str| format!("{OPPS}/{hid}{what}");
    ok(&app
        .http
        .post(
            &path("/stage"),
            &w.channel,
            &json!({"stage": "commercial_offer"}),
        )
        .await);
    ok(&app
        .http
        .patch(
            &path(""),
            &w.channel,
            &json!({"amount_minor": 25_000, "currency": "USD"}),
        )
        .await);
    let lost = json!({"outcome": "lost", "close_on": "2026-06-01", "lost_reason": "timing"});
    ok(&app.http.post(&path("/close"), &w.channel, &lost).await);
    let back = json!({"stage": "handoff", "reason": "the customer came back"});
    ok(&app.http.post(&path("/reopen"), &w.channel, &back).await);
    ok(&app
        .http
        .post(
            &path("/close"),
            &w.channel,
            &json!({"outcome": "won", "close_on": "2026-07-01"}),
        )
        .await);
    let board = ok(&app
        .http
        .get(&format!("/api/v1/pipeline/board{q}"), &w.channel)
        .await);
    let listed = ok(&app
        .http
        .get(&format!("{OPPS}{q}&limit=200"), &w.channel)
        .await);
    let mut expected: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for o in listed["items"].as_array().unwrap() {
        let e = expected
            .entry((s(o, "stage"), s(&o["amount"], "currency")))
            .or_default();
        e.0 += 1;
        e.1 += o["amount"]["amount_minor"].as_i64().unwrap();
    }
    let mut kept: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for c in board["columns"].as_array().unwrap() {
        let per_currency = c["totals"]["by_currency"].as_array().unwrap();
        let n = c["totals"]["count"].as_i64().unwrap();
        let listed_n: i64 = expected
            .iter()
            .filter(|((stage, _), _)| *stage == s(c, "stage"))
            .map(|(_, (n, _))| n)
            .sum();
        assert_eq!(n, listed_n, "{c}");
        for m in per_currency {
            let n = expected
                .get(&(s(c, "stage"), s(m, "currency")))
                .map_or(0, |e| e.0);
            kept.insert(
                (s(c, "stage"), s(m, "currency")),
                (n, m["amount_minor"].as_i64().unwrap()),
            );
        }
    }
    assert_eq!(kept, expected);
    assert_eq!(
        kept.get(&("won".to_owned(), "USD".to_owned())),
        Some(&(1, 25_000))
    );
}

async fn bad_input_is_named(app: TestApp) {
    let w = app.world().await;
    let r = app
        .http
        .post(OPPS, &w.channel, &json!({"stage": "won"}))
        .await;
    assert_eq!(invalid(&r), ["program_id:required",]);
    let r = app
        .http
        .post(
            OPPS,
            &w.channel,
            &json!({"program_id": w.program.id.to_string(), "stage": "won", "amount_minor": -1}),
        )
        .await;
    assert_eq!(
        invalid(&r),
        [
            "account_id:required",
            "title:required",
            "amount_minor:non_negative",
            "currency:required",
            "expected_close_on:required",
            "stage:open_stage",
            "source:required",
        ]
    );
    let r = app
        .http
        .post(
            OPPS,
            &w.channel,
            &json!({"account_id": w.account.id.to_string(), "title": "x", "amount_minor": 1, "currency": "USD",
                    "expected_close_on": "2027-01-01", "source": "partner_sourced", "route": "resale",
                    "partner_id": w.a.partner.id.to_string(), "partner_owner_id": w.b.rep.id.to_string(),
                    "vendor_owner_id": w.a.rep.id.to_string()}),
        )
        .await;
    assert_eq!(
        invalid(&r),
        ["vendor_owner_id:not_found", "partner_owner_id:not_found"]
    );
    let by_partner = app
        .http
        .post(OPPS, &w.a.admin_token, &json!({"title": "x"}))
        .await;
    assert_eq!(
        rule(&by_partner, StatusCode::FORBIDDEN),
        "role.work_pipeline"
    );
    let o = new_opp(
        &app,
        &w,
        json!({"source": "direct", "vendor_owner_id": w.sales_user.id.to_string()}),
    )
    .await;
    let oid = s(&o, "id");
    let patched = ok(&app
        .http
        .patch(
            &opp(&oid, ""),
            &w.sales,
            &json!({"amount_minor": 2_000_000, "next_step": "Send the order form"}),
        )
        .await);
    assert_eq!(patched["amount"]["amount_minor"], 2_000_000);
    assert_eq!(patched["weighted_minor"], 100_000);
    assert_eq!(patched["vendor_owner_id"], w.sales_user.id.to_string());
    let bad_patch = app
        .http
        .patch(
            &opp(&oid, ""),
            &w.sales,
            &json!({"expected_close_on": "soon", "route": "barter"}),
        )
        .await;
    assert_eq!(
        invalid(&bad_patch),
        ["expected_close_on:date", "route:one_of"]
    );
    let unknown = app
        .http
        .patch(&opp(&oid, ""), &w.sales, &json!({"stage": "handoff"}))
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text()
    );
}

/// Closing the registration closes its opportunity too (linked both ways): lost, with the
/// program's listed reason when the words match, else `other`.
async fn closing_the_registration_closes_the_opportunity(app: TestApp) {
    let w = app.world().await;
    let reg = approved_registration(&app, &w, "Umbrella", 1_200_000).await;
    let rid = s(&reg, "id");
    let oid = s(&reg, "opportunity_id");
    ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{rid}/close"),
            &w.a.rep_token,
            &json!({"outcome": "lost", "reason": "they froze all spending"}),
        )
        .await);
    let o = ok(&app.http.get(&opp(&oid, ""), &w.a.rep_token).await);
    assert_eq!(o["stage"], "lost");
    assert_eq!(o["lost_reason"], "other");
    assert_eq!(o["closed_on"], today());
    let history = ok(&app.http.get(&opp(&oid, "history"), &w.channel).await);
    assert!(s(&history[1], "reason").contains(&rid), "{history}");
    let reg2 = approved_registration(&app, &w, "Soylent", 500_000).await;
    ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{}/close", s(&reg2, "id")),
            &w.a.rep_token,
            &json!({"outcome": "won"}),
        )
        .await);
    let o2 = ok(&app
        .http
        .get(&opp(&s(&reg2, "opportunity_id"), ""), &w.a.rep_token)
        .await);
    assert_eq!(o2["stage"], "won");
    assert_eq!(o2["amount_at_close"]["amount_minor"], 500_000);
}

/// The deal room: who is in, who reads which note, tasks and fields.
async fn the_deal_room_keeps_private_notes_on_their_side(app: TestApp) {
    let w = app.world().await;
    let gamma = app
        .partner("Gamma Services", "gamma.example", &w.program)
        .await;
    let (gamma_rep, gamma_token) = app
        .user_with_token("rep@gamma.example", "partner_rep", Some(&gamma))
        .await;
    let channel_user = app
        .store
        .user_by_email(
            &partnerops_core::scope::Scope::Vendor,
            "channel@vendor.example",
        )
        .await
        .unwrap();
    let reg = approved_registration(&app, &w, "Hooli", 9_000_000).await;
    let oid = s(&reg, "opportunity_id");
    let room = |token: String| {
        let http = &app.http;
        let path = opp(&oid, "room");
        async move { http.get(&path, &token).await }
    };
    // The rep who registered the deal is in its room; its admin is not (yet).
    let r = ok(&room(w.a.rep_token.clone()).await);
    let emails: Vec<String> = r["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| s(m, "email"))
        .collect();
    assert_eq!(emails, ["rep@alpha.example"]);
    assert_eq!(
        room(w.a.admin_token.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        room(w.b.rep_token.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    // Gamma influences the deal: it sees the opportunity, not the room, until added.
    created(
        &app.http
            .post(
                &opp(&oid, "touchpoints"),
                &w.channel,
                &json!({"partner_id": gamma.id.to_string(), "kind": "introduction"}),
            )
            .await,
    );
    ok(&app.http.get(&opp(&oid, ""), &gamma_token).await);
    assert_eq!(
        room(gamma_token.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let members = format!("{}/members", opp(&oid, "room"));
    // A partner adds only its own colleagues; the vendor adds anyone on the deal.
    let bad = app
        .http
        .post(
            &members,
            &w.a.rep_token,
            &json!({"user_id": gamma_rep.id.to_string()}),
        )
        .await;
    assert_eq!(invalid(&bad), ["user_id:not_eligible"]);
    let b_user = app
        .http
        .post(
            &members,
            &w.channel,
            &json!({"user_id": w.b.rep.id.to_string()}),
        )
        .await;
    assert_eq!(
        invalid(&b_user),
        ["user_id:not_eligible"],
        "B is not on the deal"
    );
    ok(&app
        .http
        .post(
            &members,
            &w.a.rep_token,
            &json!({"user_id": w.a.admin.id.to_string()}),
        )
        .await);
    ok(&app
        .http
        .post(
            &members,
            &w.channel,
            &json!({"user_id": gamma_rep.id.to_string()}),
        )
        .await);
    ok(&app
        .http
        .post(
            &members,
            &w.channel,
            &json!({"user_id": channel_user.id.to_string()}),
        )
        .await);
    ok(&room(gamma_token.clone()).await);

    // Notes: shared, A's side only, the vendor's side only.
    let notes = format!("{}/notes", opp(&oid, "room"));
    let shared = created(
        &app.http
            .post(
                &notes,
                &w.a.rep_token,
                &json!({"body": "Kick-off on **Monday**, @channel@vendor.example please join"}),
            )
            .await,
    );
    assert_eq!(shared["visibility"], "everyone");
    created(
        &app.http
            .post(
                &notes,
                &w.a.rep_token,
                &json!({"body": "Our margin floor is 18%", "visibility": "our_side"}),
            )
            .await,
    );
    created(
        &app.http
            .post(
                &notes,
                &w.channel,
                &json!({"body": "Vendor-only: discount approved to 22%", "visibility": "our_side"}),
            )
            .await,
    );
    let bodies = |v: Value| -> Vec<String> {
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| s(n, "body"))
            .collect()
    };
    let a_sees = bodies(ok(&room(w.a.admin_token.clone()).await));
    assert_eq!(a_sees.len(), 2);
    assert!(a_sees.iter().any(|b| b.contains("margin floor")));
    let gamma_sees = bodies(ok(&room(gamma_token.clone()).await));
    assert_eq!(
        gamma_sees,
        ["Kick-off on **Monday**, @channel@vendor.example please join"]
    );
    let vendor_sees = bodies(ok(&app.http.get(&opp(&oid, "room"), &w.admin).await));
    assert_eq!(vendor_sees.len(), 2);
    assert!(!vendor_sees.iter().any(|b| b.contains("margin floor")));
    let bad_note = app
        .http
        .post(
            &notes,
            &w.a.rep_token,
            &json!({"body": " ", "visibility": "public"}),
        )
        .await;
    assert_eq!(invalid(&bad_note), ["body:required", "visibility:one_of"]);

    // Tasks for members only; done and reassigned.
    let tasks = format!("{}/tasks", opp(&oid, "room"));
    let outsider = app
        .http
        .post(
            &tasks,
            &w.channel,
            &json!({"title": "Security review", "owner_id": w.b.rep.id.to_string()}),
        )
        .await;
    assert_eq!(invalid(&outsider), ["owner_id:member"]);
    let task = created(
        &app.http
            .post(
                &tasks,
                &w.channel,
                &json!({"title": "Send the security questionnaire", "owner_id": w.a.rep.id.to_string(), "due_on": "2027-01-15"}),
            )
            .await,
    );
    assert_eq!(task["owner_name"], "rep");
    let tid = s(&task, "id");
    let done = ok(&app
        .http
        .patch(
            &format!("/api/v1/room-tasks/{tid}"),
            &w.a.rep_token,
            &json!({"status": "done"}),
        )
        .await);
    assert_eq!(done["status"], "done");
    assert!(!done["done_at"].is_null());
    assert_eq!(
        app.http
            .patch(
                &format!("/api/v1/room-tasks/{tid}"),
                &w.b.rep_token,
                &json!({"status": "open"})
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Shared fields; a blank value removes one.
    let field = |key: &str| format!("{}/fields/{key}", opp(&oid, "room"));
    let fields = ok(&app
        .http
        .api(
            hyper::Method::PUT,
            &field("budget_owner"),
            Some(&gamma_token),
            Some(&json!({"value": "CFO"})),
        )
        .await);
    assert_eq!(fields[0]["value"], "CFO");
    let bad_key = app
        .http
        .api(
            hyper::Method::PUT,
            &field("Budget%20Owner"),
            Some(&w.channel),
            Some(&json!({"value": "x"})),
        )
        .await;
    assert_eq!(invalid(&bad_key), ["key:field_key"]);
    let cleared = ok(&app
        .http
        .api(
            hyper::Method::PUT,
            &field("budget_owner"),
            Some(&w.channel),
            Some(&json!({"value": ""})),
        )
        .await);
    assert_eq!(cleared, json!([]));
    // The timeline tells the story, newest first, without the notes' private content.
    let timeline = ok(&room(gamma_token.clone()).await)["timeline"].clone();
    let kinds: Vec<String> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|t| s(t, "kind"))
        .collect();
    assert!(
        kinds.contains(&"stage".to_owned()) && kinds.contains(&"task".to_owned()),
        "{kinds:?}"
    );
    assert!(!timeline.to_string().contains("margin floor"));
    // Finance reads the room but does not write in it.
    let fin = app
        .http
        .post(&notes, &w.finance, &json!({"body": "hello"}))
        .await;
    assert_eq!(rule(&fin, StatusCode::FORBIDDEN), "role.work_pipeline");
    // Removing a member closes the room to them.
    let r = app
        .http
        .api(
            hyper::Method::DELETE,
            &format!("{members}/{}", gamma_rep.id),
            Some(&w.channel),
            None,
        )
        .await;
    ok(&r);
    assert_eq!(room(gamma_token).await.status, StatusCode::NOT_FOUND);
}
