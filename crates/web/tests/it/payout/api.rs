//! Payouts through the API on both databases: close won → lines → statement → dispute →
//! approve → paid; renewals and the clawback window; a close accrued exactly once however
//! often and by however many instances it is handled; reopen reverses; the what-if.

use chrono::{Days, Utc};
use hyper::StatusCode;
use serde_json::{Value, json};

use super::publish_incentives;
use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::lifecycle::approved_deal;
use crate::on_both;

on_both!(
    close_won_to_paid,
    renewals_and_the_clawback_window,
    a_close_accrues_exactly_once,
    reopening_reverses_and_the_whatif_prices_a_draft,
    below_the_minimum_a_statement_rolls_over,
);

fn ok(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// The refusing rule: a forbidden answer's `rule`, a conflict's first error's.
fn rule(r: &Answer, status: StatusCode) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    let v = r.json();
    v["rule"]
        .as_str()
        .or_else(|| v["errors"][0]["rule"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key}: {v}"))
        .to_owned()
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

/// Partner A's deal with `company`, approved and closed won today; returns the opportunity id.
async fn won(app: &TestApp, w: &World, company: &str, arr: i64) -> String {
    let reg = approved_deal(&app.http, w, &w.a.partner.id.to_string(), company, arr).await;
    let r = ok(&app
        .http
        .get(&format!("/api/v1/registrations/{reg}"), &w.channel)
        .await);
    let opp = s(&r, "opportunity_id");
    ok(&app
        .http
        .post(
            &format!("/api/v1/opportunities/{opp}/close"),
            &w.channel,
            &json!({"outcome": "won", "close_on": today().to_string()}),
        )
        .await);
    opp
}

async fn lines_of(app: &TestApp, token: &str, opp: &str) -> Vec<Value> {
    ok(&app
        .http
        .get(
            &format!("/api/v1/commission-lines?opportunity_id={opp}&limit=100"),
            token,
        )
        .await)["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn amounts(lines: &[Value]) -> Vec<(String, i64)> {
    lines
        .iter()
        .map(|l| {
            (
                s(l, "rule"),
                l["statement_amount"]["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn close_won_to_paid(app: TestApp) {
    let w = app.world().await;
    let published = publish_incentives(&app, &w, 0).await;
    let version = published["version"].as_i64().unwrap();
    let opp = won(&app, &w, "Initech", 48_000_00).await;
    let opp2 = won(&app, &w, "Hooli", 10_000_00).await;
    // Nothing is paid until the accrual has read the close.
    assert!(lines_of(&app, &w.a.admin_token, &opp).await.is_empty());
    let report = app.store.accrue_payouts().await.unwrap();
    assert_eq!((report.deals, report.lines), (2, 2), "{report:?}");

    let lines = lines_of(&app, &w.a.admin_token, &opp).await;
    assert_eq!(
        amounts(&lines),
        vec![("resale_margin".to_string(), 7_200_00)]
    );
    let line = &lines[0];
    assert_eq!(line["rate_bp"], 1500);
    assert_eq!(line["policy_version"], version);
    assert_eq!(line["base"]["amount_minor"], 48_000_00);
    assert!(
        s(line, "why").contains(&format!("policy v{version}")),
        "{line}"
    );
    // Another partner sees none of it, not even by id.
    assert!(lines_of(&app, &w.b.admin_token, &opp).await.is_empty());
    let line_id = s(line, "id");
    assert_eq!(
        app.http
            .get(
                &format!("/api/v1/commission-lines/{line_id}"),
                &w.b.admin_token
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Statements are drawn up once the month has ended.
    let r = app
        .http
        .post(
            "/api/v1/payout-statements/run",
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "role.manage_payouts");
    let r = app
        .http
        .post(
            "/api/v1/payout-statements/run",
            &w.finance,
            &json!({"period_of": today().to_string()}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "payout.period_not_ended");
    let later = app.shifted_instance(chrono::Duration::days(40)).await;
    let report = ok(&later
        .http
        .post("/api/v1/payout-statements/run", &w.finance, &json!({}))
        .await);
    assert_eq!(report["issued"], 1, "{report}");
    // A second run of the same period changes nothing.
    let again = ok(&later
        .http
        .post("/api/v1/payout-statements/run", &w.finance, &json!({}))
        .await);
    assert_eq!(
        (again["issued"].as_i64(), again["rolled_over"].as_i64()),
        (Some(0), Some(0)),
        "{again}"
    );

    let list = ok(&app
        .http
        .get("/api/v1/payout-statements", &w.a.admin_token)
        .await);
    let st = &list["items"][0];
    let sid = s(st, "id");
    assert_eq!(st["state"], "issued");
    assert_eq!(st["total"]["amount_minor"], 8_700_00);
    assert_eq!(st["line_count"], 2);
    assert!(
        ok(&app
            .http
            .get("/api/v1/payout-statements", &w.b.admin_token)
            .await)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let path = format!("/api/v1/payout-statements/{sid}");
    assert_eq!(
        app.http.get(&path, &w.b.admin_token).await.status,
        StatusCode::NOT_FOUND
    );
    let detail = ok(&app.http.get(&path, &w.a.admin_token).await);
    let sum: i64 = detail["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["statement_amount"]["amount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 8_700_00);

    // The CSV: one row per line and the total, the partner's own only.
    let csv = app
        .http
        .get(&format!("{path}/lines.csv"), &w.a.admin_token)
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.contains("resale_margin") && text.contains("7200.00") && text.contains("8700.00"),
        "{text}"
    );
    assert_eq!(
        app.http
            .get(&format!("{path}/lines.csv"), &w.b.admin_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The rep may not dispute; the admin disputes the Hooli line; approval waits for it.
    let hooli = s(&lines_of(&app, &w.a.admin_token, &opp2).await[0], "id");
    let dispute = json!({"line_id": hooli, "comment": "We agreed 20% on Hooli"});
    let r = app
        .http
        .post(&format!("{path}/disputes"), &w.a.rep_token, &dispute)
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "role.dispute_payout");
    let r = app
        .http
        .post(
            &format!("{path}/disputes"),
            &w.a.admin_token,
            &json!({"line_id": line_id, "comment": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["comment:required".to_string()]);
    let d = ok(&app
        .http
        .post(&format!("{path}/disputes"), &w.a.admin_token, &dispute)
        .await);
    assert_eq!(d["statement"]["state"], "disputed");
    let r = app
        .http
        .post(&format!("{path}/disputes"), &w.a.admin_token, &dispute)
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "payout.already_disputed");
    let r = app
        .http
        .post(&format!("{path}/approve"), &w.finance, &json!({}))
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "payout.open_disputes");

    // Finance upholds it: the line is reversed and the agreed amount posted on the statement.
    let dispute_id = s(&d["disputes"][0], "id");
    let r = app
        .http
        .post(
            &format!("/api/v1/line-disputes/{dispute_id}/resolve"),
            &w.a.admin_token,
            &json!({"outcome": "upheld", "resolution": "x"}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "role.manage_payouts");
    let resolved = ok(&app
        .http
        .post(
            &format!("/api/v1/line-disputes/{dispute_id}/resolve"),
            &w.finance,
            &json!({"outcome": "upheld", "resolution": "20% as agreed in the JBP", "corrected_minor": 2_000_00}),
        )
        .await);
    assert_eq!(resolved["statement"]["state"], "issued");
    // 7,200 + 1,500 − 1,500 + 2,000.
    assert_eq!(resolved["statement"]["total"]["amount_minor"], 9_200_00);
    assert_eq!(resolved["statement"]["line_count"], 4);
    assert_eq!(resolved["disputes"][0]["state"], "upheld");

    // Approve, then pay with a reference.
    let r = app
        .http
        .post(
            &format!("{path}/pay"),
            &w.finance,
            &json!({"reference": "ACH-1"}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "payout.not_approved");
    let approved = ok(&app
        .http
        .post(&format!("{path}/approve"), &w.finance, &json!({}))
        .await);
    assert_eq!(approved["state"], "approved");
    let export = app
        .http
        .get(
            "/api/v1/payout-statements/export.csv?period="
                .to_owned()
                .as_str(),
            &w.finance,
        )
        .await;
    assert_eq!(export.status, StatusCode::UNPROCESSABLE_ENTITY);
    let period = s(st, "period");
    let export = app
        .http
        .get(
            &format!("/api/v1/payout-statements/export.csv?period={period}"),
            &w.finance,
        )
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export.text().contains(&sid) && export.text().contains("9200.00"),
        "{}",
        export.text()
    );
    assert_eq!(
        app.http
            .get(
                &format!("/api/v1/payout-statements/export.csv?period={period}"),
                &w.a.admin_token
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .http
        .post(
            &format!("{path}/pay"),
            &w.finance,
            &json!({"reference": " "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let paid = ok(&app
        .http
        .post(
            &format!("{path}/pay"),
            &w.finance,
            &json!({"reference": "ACH-2027-01-0042"}),
        )
        .await);
    assert_eq!(
        (paid["state"].as_str(), paid["payment_reference"].as_str()),
        (Some("paid"), Some("ACH-2027-01-0042"))
    );
    // Every step is in the statement's audit trail.
    let trail = ok(&app
        .http
        .get(&format!("{path}/audit"), &w.a.admin_token)
        .await);
    assert_eq!(trail["items"].as_array().unwrap().len(), 5, "{trail}");
}

async fn renewals_and_the_clawback_window(app: TestApp) {
    let w = app.world().await;
    publish_incentives(&app, &w, 0).await;
    let kept = won(&app, &w, "Globex", 100_000_00).await;
    let clawed = won(&app, &w, "Umbrella", 50_000_00).await;
    app.store.accrue_payouts().await.unwrap();
    let events = |opp: &str| format!("/api/v1/opportunities/{opp}/revenue-events");
    let day = |n: u64| (today() + Days::new(n)).to_string();

    // Bad input is named; a partner may not record revenue.
    let r = app
        .http
        .post(
            &events(&kept),
            &w.finance,
            &json!({"kind": "renewal", "occurred_on": "2001-01-01", "arr_minor": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.problem_rules(),
        vec![
            "occurred_on:not_before_close".to_string(),
            "arr_minor:positive".to_string()
        ]
    );
    let r = app
        .http
        .post(
            &events(&kept),
            &w.a.admin_token,
            &json!({"kind": "renewal", "occurred_on": day(365), "arr_minor": 1}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "role.record_revenue");

    // The first renewal pays 5% (the tier pays one year); the second pays nothing.
    for n in [365, 730] {
        let r = app
            .http
            .post(
                &events(&kept),
                &w.finance,
                &json!({"kind": "renewal", "occurred_on": day(n), "arr_minor": 110_000_00}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    // Cancelled on day 91: outside the window, nothing is taken back.
    let r = app
        .http
        .post(
            &events(&kept),
            &w.finance,
            &json!({"kind": "cancellation", "occurred_on": day(91)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Cancelled on day 90: inside, the close's line is clawed back exactly.
    let r = app
        .http
        .post(&events(&clawed), &w.finance, &json!({"kind": "cancellation", "occurred_on": day(90), "note": "churned in onboarding"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .http
        .post(
            &events(&clawed),
            &w.finance,
            &json!({"kind": "renewal", "occurred_on": day(100), "arr_minor": 5}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "payout.cancelled");
    app.store.accrue_payouts().await.unwrap();

    let kept_lines = lines_of(&app, &w.a.admin_token, &kept).await;
    assert_eq!(
        amounts(&kept_lines),
        vec![
            ("resale_margin".to_string(), 15_000_00),
            ("renewal".to_string(), 5_500_00)
        ]
    );
    let clawed_lines = lines_of(&app, &w.a.admin_token, &clawed).await;
    assert_eq!(
        amounts(&clawed_lines),
        vec![
            ("resale_margin".to_string(), 7_500_00),
            ("clawback".to_string(), -7_500_00)
        ]
    );
    assert_eq!(clawed_lines[1]["negates_line_id"], clawed_lines[0]["id"]);
    assert!(
        s(&clawed_lines[1], "why").contains("90 days"),
        "{}",
        clawed_lines[1]
    );
    // The partner reads its deal's events; another partner gets 404.
    let seen = ok(&app.http.get(&events(&clawed), &w.a.admin_token).await);
    assert_eq!(seen.as_array().unwrap().len(), 1);
    assert_eq!(
        app.http
            .get(&events(&clawed), &w.b.admin_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A second accrual run finds nothing new.
    assert_eq!(app.store.accrue_payouts().await.unwrap().lines, 0);
}

async fn a_close_accrues_exactly_once(app: TestApp) {
    let w = app.world().await;
    publish_incentives(&app, &w, 0).await;
    let mut opps = Vec::new();
    for company in ["Acme", "Wayne", "Stark", "Tyrell", "Cyberdyne"] {
        opps.push(won(&app, &w, company, 20_000_00).await);
    }
    // Two instances handle the same events at the same moment.
    let second = app.second_instance().await;
    let (one, two) = tokio::join!(app.store.accrue_payouts(), second.store.accrue_payouts());
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.lines + two.lines, 5, "{one:?} {two:?}");
    assert_eq!(one.events + two.events, 5, "{one:?} {two:?}");
    // The claims are lost (as after a restore) and every event is delivered again: the
    // lines' unique keys keep each close paid once.
    app.raw_sql("DELETE FROM outbox_consumed").await;
    let replay = app.store.accrue_payouts().await.unwrap();
    assert_eq!((replay.events, replay.lines), (5, 0), "{replay:?}");
    for opp in &opps {
        assert_eq!(lines_of(&app, &w.channel, opp).await.len(), 1);
    }
    // Closing again is refused by the pipeline: a closed deal does not close twice.
    let r = app
        .http
        .post(
            &format!("/api/v1/opportunities/{}/close", opps[0]),
            &w.channel,
            &json!({"outcome": "won", "close_on": today().to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
}

async fn reopening_reverses_and_the_whatif_prices_a_draft(app: TestApp) {
    let w = app.world().await;
    publish_incentives(&app, &w, 0).await;
    let opp = won(&app, &w, "Soylent", 40_000_00).await;
    let other = won(&app, &w, "Massive Dynamic", 60_000_00).await;
    app.store.accrue_payouts().await.unwrap();
    ok(&app
        .http
        .post(
            &format!("/api/v1/opportunities/{opp}/reopen"),
            &w.channel,
            &json!({"stage": "handoff", "reason": "signature was on the wrong entity"}),
        )
        .await);
    app.store.accrue_payouts().await.unwrap();
    let lines = lines_of(&app, &w.channel, &opp).await;
    assert_eq!(
        amounts(&lines),
        vec![
            ("resale_margin".to_string(), 6_000_00),
            ("reversal".to_string(), -6_000_00)
        ]
    );

    // The what-if: the same deals under a draft paying 20% resale, 12 months back.
    let program = w.program.id.to_string();
    let mut draft = crate::lifecycle::in_force(&app, &w.admin, &program).await;
    for t in &mut draft.incentives.tiers {
        t.resale_margin_bp = 2000;
    }
    let r = ok(&app
        .http
        .post(
            &format!("/api/v1/programs/{program}/policy/simulate?months=12"),
            &w.admin,
            &json!({"document": draft.to_toml()}),
        )
        .await);
    let e = &r["economics"];
    // Only the deal still won counts: 60,000 × 15% now, × 20% under the draft.
    assert_eq!(e["deals"], 1, "{e}");
    assert_eq!(e["current_minor"], 9_000_00);
    assert_eq!(e["draft_minor"], 12_000_00);
    assert_eq!(e["delta_minor"], 3_000_00);
    assert_eq!(e["partners"][0]["partner_id"], w.a.partner.id.to_string());
    assert_eq!(e["partners"][0]["partner_name"], w.a.partner.name.as_str());
    assert_eq!(
        (e["currency"].as_str(), e["months"].as_i64()),
        (Some("USD"), Some(12))
    );
    let r = app
        .http
        .post(
            &format!("/api/v1/programs/{program}/policy/simulate?months=0"),
            &w.admin,
            &json!({"document": draft.to_toml()}),
        )
        .await;
    assert_eq!(r.problem_rules(), vec!["months:range".to_string()]);
    let _ = other;
}

async fn below_the_minimum_a_statement_rolls_over(app: TestApp) {
    let w = app.world().await;
    // A minimum of 2,000.00: a deal paying 1,500.00 is not paid on its own.
    publish_incentives(&app, &w, 2_000_00).await;
    won(&app, &w, "Pied Piper", 10_000_00).await;
    app.store.accrue_payouts().await.unwrap();
    let next_month = app.shifted_instance(chrono::Duration::days(40)).await;
    let r = ok(&next_month
        .http
        .post("/api/v1/payout-statements/run", &w.finance, &json!({}))
        .await);
    assert_eq!(
        (r["issued"].as_i64(), r["rolled_over"].as_i64()),
        (Some(0), Some(1)),
        "{r}"
    );
    let rolled = ok(&app
        .http
        .get(
            "/api/v1/payout-statements?state=rolled_over",
            &w.a.admin_token,
        )
        .await);
    let first = &rolled["items"][0];
    assert_eq!(first["total"]["amount_minor"], 1_500_00);
    assert_eq!(first["line_count"], 0, "its line stays open: {first}");
    assert!(
        s(first, "reason").contains("below the minimum payout of USD 2,000.00"),
        "{first}"
    );
    let open = ok(&app
        .http
        .get("/api/v1/commission-lines?open=true", &w.a.admin_token)
        .await);
    assert_eq!(open["items"].as_array().unwrap().len(), 1);

    // Next month another deal closes; together they pass the minimum and are paid.
    let reg = approved_deal(
        &next_month.http,
        &w,
        &w.a.partner.id.to_string(),
        "Raviga",
        20_000_00,
    )
    .await;
    let r = ok(&next_month
        .http
        .get(&format!("/api/v1/registrations/{reg}"), &w.channel)
        .await);
    let opp = s(&r, "opportunity_id");
    let close_on = (today() + Days::new(40)).to_string();
    ok(&next_month
        .http
        .post(
            &format!("/api/v1/opportunities/{opp}/close"),
            &w.channel,
            &json!({"outcome": "won", "close_on": close_on}),
        )
        .await);
    next_month.store.accrue_payouts().await.unwrap();
    let two_months = app.shifted_instance(chrono::Duration::days(75)).await;
    let r = ok(&two_months
        .http
        .post("/api/v1/payout-statements/run", &w.finance, &json!({}))
        .await);
    assert_eq!(r["issued"], 1, "{r}");
    let issued = ok(&app
        .http
        .get("/api/v1/payout-statements?state=issued", &w.a.admin_token)
        .await);
    let st = &issued["items"][0];
    assert_eq!(st["total"]["amount_minor"], 4_500_00);
    assert_eq!(st["line_count"], 2);
    assert!(
        ok(&app
            .http
            .get("/api/v1/commission-lines?open=true", &w.a.admin_token)
            .await)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
