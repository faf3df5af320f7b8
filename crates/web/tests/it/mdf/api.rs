//! MDF through the API on both databases: budget → allocation → request → approval →
//! claim → paid with every refusal on the way; 20 concurrent requests over two instances
//! that together exceed an allocation; the claim deadline; outcomes and ROI.

use chrono::Days;
use hyper::StatusCode;
use serde_json::{Value, json};

use super::{allocate, budget, expect, request_body, today};
use crate::harness::TestApp;
use crate::http::Answer;
use crate::lifecycle::approved_deal;
use crate::on_both;

on_both!(
    budget_to_paid_claim,
    concurrent_requests_never_overspend_an_allocation,
    claims_close_at_the_deadline_and_outcomes_give_the_roi,
    allocations_fund_plan_commitments_and_expire,
);

/// The refusing rule: a refusal's `rule`, else the first field error's.
fn rule(r: &Answer, status: StatusCode) -> String {
    let v = expect(r, status);
    v["rule"]
        .as_str()
        .or_else(|| v["errors"][0]["rule"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn minor(v: &Value) -> i64 {
    v["amount_minor"]
        .as_i64()
        .unwrap_or_else(|| panic!("no amount: {v}"))
}

async fn remaining(app: &TestApp, token: &str, allocation: &str) -> i64 {
    let r = app
        .http
        .get(&format!("/api/v1/mdf-allocations/{allocation}"), token)
        .await;
    minor(&expect(&r, StatusCode::OK)["remaining"])
}

async fn budget_to_paid_claim(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let a = w.a.partner.id.to_string();
    // Budgets are set by MDF staff only.
    let r = app
        .http
        .post(
            "/api/v1/mdf-budgets",
            &w.a.admin_token,
            &json!({"program_id": program, "name": "Mine", "amount_minor": 1, "currency": "USD",
                    "period_start": "2026-01-01", "period_end": "2026-12-31"}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "role.manage_mdf");
    let b = budget(&app, &w, &program, 50_000_00).await;
    let alloc = allocate(&app, &w, &b, &a, 20_000_00).await;
    // A partner of another program gets nothing from this budget.
    let r = app
        .http
        .post(
            "/api/v1/mdf-allocations",
            &w.channel,
            &json!({"budget_id": b, "partner_id": w.b.partner.id.to_string(), "amount_minor": 1}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::UNPROCESSABLE_ENTITY), "in_program");
    // Beyond what remains of the budget: refused, naming the remainder.
    let r = app
        .http
        .post(
            "/api/v1/mdf-allocations",
            &w.channel,
            &json!({"budget_id": b, "partner_id": a, "amount_minor": 30_000_01}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.budget_exceeded");
    assert!(r.text().contains("USD 30,000.00 remaining"), "{}", r.text());
    let bud = expect(
        &app.http
            .get(&format!("/api/v1/mdf-budgets/{b}"), &w.finance)
            .await,
        StatusCode::OK,
    );
    assert_eq!(minor(&bud["remaining"]), 30_000_00);
    // Budgets are the vendor's; the partner sees its own allocation only.
    assert_eq!(
        app.http
            .get(&format!("/api/v1/mdf-budgets/{b}"), &w.a.admin_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(remaining(&app, &w.a.rep_token, &alloc).await, 20_000_00);
    assert_eq!(
        app.http
            .get(
                &format!("/api/v1/mdf-allocations/{alloc}"),
                &w.b.admin_token
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The request commits its planned cost at once.
    let r = app
        .http
        .post(
            "/api/v1/mdf-requests",
            &w.a.rep_token,
            &request_body(&alloc, "Partner summit booth", 12_000_00),
        )
        .await;
    let detail = expect(&r, StatusCode::CREATED);
    let req = detail["request"]["id"].as_str().unwrap().to_owned();
    assert_eq!(detail["request"]["state"], "submitted");
    assert_eq!(remaining(&app, &w.a.rep_token, &alloc).await, 8_000_00);
    // Another partner cannot use A's allocation: it reads as none.
    let r = app
        .http
        .post(
            "/api/v1/mdf-requests",
            &w.b.rep_token,
            &request_body(&alloc, "Hijack", 1_00),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::UNPROCESSABLE_ENTITY), "exists");
    // Beyond the allocation's remaining balance: refused with the rule and the balance.
    let r = app
        .http
        .post(
            "/api/v1/mdf-requests",
            &w.a.rep_token,
            &request_body(&alloc, "Too much", 8_000_01),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.allocation_exceeded");
    assert!(r.text().contains("USD 8,000.00 remaining"), "{}", r.text());

    // A channel manager may approve up to 10,000.00; one unit more is refused.
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{req}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.approval_limit");
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{req}/approve"),
            &w.channel,
            &json!({"approved_minor": 10_000_01, "reason": "trimmed"}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.approval_limit");
    // Less than asked needs a reason.
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{req}/approve"),
            &w.channel,
            &json!({"approved_minor": 10_000_00}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::UNPROCESSABLE_ENTITY), "required");
    // The partner cannot approve its own request.
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{req}/approve"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "role.manage_mdf");
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{req}/approve"),
            &w.channel,
            &json!({"approved_minor": 10_000_00, "reason": "booth size S instead of M"}),
        )
        .await;
    let d = expect(&r, StatusCode::OK);
    assert_eq!(d["request"]["state"], "approved");
    assert_eq!(minor(&d["request"]["approved"]), 10_000_00);
    assert_eq!(remaining(&app, &w.a.rep_token, &alloc).await, 10_000_00);
    // Deciding twice is refused.
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{req}/reject"),
            &w.channel,
            &json!({"reason": "late"}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.state");

    // A rejected request gives its funds back; so does a cancelled one.
    let r = app
        .http
        .post(
            "/api/v1/mdf-requests",
            &w.a.admin_token,
            &request_body(&alloc, "Webinar series", 3_000_00),
        )
        .await;
    let rejected = expect(&r, StatusCode::CREATED)["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(remaining(&app, &w.a.rep_token, &alloc).await, 7_000_00);
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{rejected}/reject"),
            &w.finance,
            &json!({}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::UNPROCESSABLE_ENTITY), "required");
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{rejected}/reject"),
            &w.finance,
            &json!({"reason": "no webinars this quarter"}),
        )
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["request"]["state"], "rejected");
    assert_eq!(remaining(&app, &w.a.rep_token, &alloc).await, 10_000_00);
    let r = app
        .http
        .post(
            "/api/v1/mdf-requests",
            &w.a.rep_token,
            &request_body(&alloc, "Cancelled ads", 1_000_00),
        )
        .await;
    let cancelled = expect(&r, StatusCode::CREATED)["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{cancelled}/cancel"),
            &w.a.rep_token,
            &json!({}),
        )
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["request"]["state"], "cancelled");
    assert_eq!(remaining(&app, &w.a.rep_token, &alloc).await, 10_000_00);

    // The claim: at most the approved amount, with a proof summary and proof files (the
    // partner's own: B's file, or an id made up, is refused alike).
    let path = format!("/api/v1/mdf-requests/{req}/claim");
    let proof = crate::file::proof_of(&app, &w.a).await;
    let theirs = crate::file::proof_of(&app, &w.b).await;
    let r = app
        .http
        .post(
            &path,
            &w.a.rep_token,
            &json!({"claimed_minor": 10_000_01, "proof_summary": "booth photos", "proof_file_ids": [proof]}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.claim_above_approved");
    let r = app
        .http
        .post(&path, &w.a.rep_token, &json!({"claimed_minor": 9_500_00}))
        .await;
    assert_eq!(
        r.problem_rules(),
        ["proof_summary:required", "proof_file_ids:required"],
        "{}",
        r.text()
    );
    for other in [theirs.as_str(), "fil_0192aaaaaaaaaaaaaaaaaaaaaaaaaaaa"] {
        let r = app
            .http
            .post(
                &path,
                &w.a.rep_token,
                &json!({"claimed_minor": 9_500_00, "proof_summary": "x", "proof_file_ids": [proof, other]}),
            )
            .await;
        assert_eq!(
            r.problem_rules(),
            ["proof_file_ids[1]:exists"],
            "{}",
            r.text()
        );
    }
    let r = app
        .http
        .post(
            &path,
            &w.a.rep_token,
            &json!({"claimed_minor": 9_500_00, "proof_summary": "Booth at the summit: 212 scans, 31 meetings", "proof_file_ids": [proof]}),
        )
        .await;
    let d = expect(&r, StatusCode::CREATED);
    assert_eq!(d["request"]["state"], "claimed");
    let claim = d["claim"]["id"].as_str().unwrap().to_owned();
    assert_eq!(d["claim"]["state"], "submitted");
    assert_eq!(d["claim"]["proof"], json!([proof]));
    // One claim per request.
    let r = app
        .http
        .post(
            &path,
            &w.a.rep_token,
            &json!({"claimed_minor": 1_00, "proof_summary": "again", "proof_file_ids": [proof]}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.state");
    // B sees nothing of it.
    for p in [
        format!("/api/v1/mdf-claims/{claim}"),
        format!("/api/v1/mdf-requests/{req}"),
    ] {
        assert_eq!(
            app.http.get(&p, &w.b.admin_token).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        expect(
            &app.http.get("/api/v1/mdf-claims", &w.b.admin_token).await,
            StatusCode::OK
        )["items"],
        json!([])
    );

    // Approved lower, with a reason: the rest goes back to the allocation.
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-claims/{claim}/approve"),
            &w.finance,
            &json!({"approved_minor": 9_000_00}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::UNPROCESSABLE_ENTITY), "required");
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-claims/{claim}/approve"),
            &w.finance,
            &json!({"approved_minor": 9_000_00, "reason": "catering receipt missing"}),
        )
        .await;
    let c = expect(&r, StatusCode::OK);
    assert_eq!(c["state"], "approved");
    assert_eq!(minor(&c["approved"]), 9_000_00);
    assert_eq!(remaining(&app, &w.a.rep_token, &alloc).await, 11_000_00);

    // Paid by finance with a reference; the partner cannot mark it paid.
    let pay = format!("/api/v1/mdf-claims/{claim}/pay");
    let r = app
        .http
        .post(&pay, &w.a.admin_token, &json!({"reference": "X"}))
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "role.manage_mdf");
    let r = app.http.post(&pay, &w.finance, &json!({})).await;
    assert_eq!(rule(&r, StatusCode::UNPROCESSABLE_ENTITY), "required");
    let r = app
        .http
        .post(
            &pay,
            &w.finance,
            &json!({"reference": "AP-2026-0042", "paid_on": today().to_string()}),
        )
        .await;
    let c = expect(&r, StatusCode::OK);
    assert_eq!(c["state"], "paid");
    assert_eq!(c["payment_reference"], "AP-2026-0042");
    let r = app
        .http
        .post(&pay, &w.finance, &json!({"reference": "again"}))
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.state");
    // Balances: budget 50,000 − 20,000 allocated; allocation 20,000 − 9,000 paid.
    let bud = expect(
        &app.http
            .get(&format!("/api/v1/mdf-budgets/{b}"), &w.finance)
            .await,
        StatusCode::OK,
    );
    assert_eq!(minor(&bud["remaining"]), 30_000_00);
    assert_eq!(remaining(&app, &w.a.rep_token, &alloc).await, 11_000_00);

    // Every change is in the audit trail, readable by the partner for its own request.
    let audit = expect(
        &app.http
            .get(&format!("/api/v1/mdf-requests/{req}/audit"), &w.a.rep_token)
            .await,
        StatusCode::OK,
    );
    assert!(audit["items"].as_array().unwrap().len() >= 3, "{audit}");
    // The partner hears of each decision, linked to its request in the portal.
    app.store.notify().await.expect("notify");
    let inbox = expect(
        &app.http.get("/api/v1/notifications", &w.a.rep_token).await,
        StatusCode::OK,
    );
    let items = inbox["items"].as_array().unwrap();
    let titles: Vec<&str> = items.iter().map(|n| n["title"].as_str().unwrap()).collect();
    for want in [
        "MDF request approved: Partner summit booth",
        "MDF request rejected: Webinar series",
        "MDF claim approved: Partner summit booth",
        "MDF claim paid: Partner summit booth",
    ] {
        assert!(titles.contains(&want), "{want} missing from {titles:?}");
    }
    assert!(
        items
            .iter()
            .any(|n| n["link"] == format!("/portal/mdf/requests/{req}")),
        "{inbox}"
    );
    let b_inbox = expect(
        &app.http
            .get("/api/v1/notifications", &w.b.admin_token)
            .await,
        StatusCode::OK,
    );
    assert_eq!(b_inbox["items"], json!([]));
}

async fn concurrent_requests_never_overspend_an_allocation(app: TestApp) {
    let w = app.world().await;
    let b = budget(&app, &w, &w.program.id.to_string(), 50_000_00).await;
    let alloc = allocate(&app, &w, &b, &w.a.partner.id.to_string(), 10_000_00).await;
    let second = app.second_instance().await;
    // 20 requests of 700.00 (14,000.00 together) against 10,000.00: 14 fit.
    let mut calls = Vec::new();
    for i in 0..20 {
        let http = if i % 2 == 0 {
            app.http.clone()
        } else {
            second.http.clone()
        };
        let token = if i % 3 == 0 {
            w.a.admin_token.clone()
        } else {
            w.a.rep_token.clone()
        };
        let body = request_body(&alloc, &format!("Race {i}"), 700_00);
        calls.push(tokio::spawn(async move {
            http.post("/api/v1/mdf-requests", &token, &body).await
        }));
    }
    let mut accepted = 0;
    let mut refused = 0;
    for c in calls {
        let r = c.await.unwrap();
        match r.status {
            StatusCode::CREATED => accepted += 1,
            StatusCode::CONFLICT => {
                assert_eq!(r.json()["rule"], "mdf.allocation_exceeded", "{}", r.text());
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!((accepted, refused), (14, 6));
    assert_eq!(remaining(&app, &w.a.rep_token, &alloc).await, 200_00);
    let list = expect(
        &app.http
            .get(
                &format!("/api/v1/mdf-requests?allocation_id={alloc}&limit=100"),
                &w.channel,
            )
            .await,
        StatusCode::OK,
    );
    let committed: i64 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| minor(&r["committed"]))
        .sum();
    assert_eq!(committed, 9_800_00);
}

async fn claims_close_at_the_deadline_and_outcomes_give_the_roi(app: TestApp) {
    let w = app.world().await;
    let b = budget(&app, &w, &w.program.id.to_string(), 50_000_00).await;
    let alloc = allocate(&app, &w, &b, &w.a.partner.id.to_string(), 20_000_00).await;
    // Activities that ended exactly 30 and 31 days ago (the default deadline is 30 days).
    let mut ids = Vec::new();
    for (title, ended) in [("On the day", 30), ("A day late", 31)] {
        let mut body = request_body(&alloc, title, 2_000_00);
        body["starts_on"] = json!((today() - Days::new(ended + 1)).to_string());
        body["ends_on"] = json!((today() - Days::new(ended)).to_string());
        let r = app
            .http
            .post("/api/v1/mdf-requests", &w.a.rep_token, &body)
            .await;
        let id = expect(&r, StatusCode::CREATED)["request"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = app
            .http
            .post(
                &format!("/api/v1/mdf-requests/{id}/approve"),
                &w.admin,
                &json!({}),
            )
            .await;
        let d = expect(&r, StatusCode::OK);
        assert_eq!(
            d["claim_deadline"],
            (today() - Days::new(ended) + Days::new(30)).to_string()
        );
        ids.push(id);
    }
    let proof = crate::file::proof_of(&app, &w.a).await;
    let claim =
        json!({"claimed_minor": 2_000_00, "proof_summary": "done", "proof_file_ids": [proof]});
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{}/claim", ids[0]),
            &w.a.rep_token,
            &claim,
        )
        .await;
    let claim_id = expect(&r, StatusCode::CREATED)["claim"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/mdf-requests/{}/claim", ids[1]),
            &w.a.rep_token,
            &claim,
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.claim_deadline_passed");

    // Nothing paid yet: the activity shows no ROI rather than dividing by zero.
    let reg = approved_deal(
        &app.http,
        &w,
        &w.a.partner.id.to_string(),
        "Umbrella",
        30_000_00,
    )
    .await;
    let opp = expect(
        &app.http
            .get(&format!("/api/v1/registrations/{reg}"), &w.channel)
            .await,
        StatusCode::OK,
    )["opportunity_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = format!("/api/v1/mdf-requests/{}/opportunities", ids[0]);
    let r = app
        .http
        .post(&link, &w.b.rep_token, &json!({"opportunity_id": opp}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = app
        .http
        .post(&link, &w.a.rep_token, &json!({"opportunity_id": opp}))
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["opportunity_ids"], json!([opp]));
    let r = app
        .http
        .post(
            &format!("/api/v1/opportunities/{opp}/close"),
            &w.channel,
            &json!({"outcome": "won", "close_on": today().to_string()}),
        )
        .await;
    expect(&r, StatusCode::OK);
    let roi = expect(
        &app.http.get("/api/v1/mdf-roi", &w.finance).await,
        StatusCode::OK,
    );
    assert_eq!(roi["activities"][0]["roi"], "—", "{roi}");
    assert_eq!(minor(&roi["activities"][0]["won_revenue"]), 30_000_00);
    // Paid: 30,000.00 won on 2,000.00 paid is 15×.
    expect(
        &app.http
            .post(
                &format!("/api/v1/mdf-claims/{claim_id}/approve"),
                &w.finance,
                &json!({}),
            )
            .await,
        StatusCode::OK,
    );
    expect(
        &app.http
            .post(
                &format!("/api/v1/mdf-claims/{claim_id}/pay"),
                &w.finance,
                &json!({"reference": "AP-1"}),
            )
            .await,
        StatusCode::OK,
    );
    let roi = expect(
        &app.http
            .get(
                &format!("/api/v1/mdf-roi?program_id={}", w.program.id),
                &w.finance,
            )
            .await,
        StatusCode::OK,
    );
    assert_eq!(roi["activities"][0]["roi"], "15.00×", "{roi}");
    assert_eq!(roi["partners"][0]["roi"], "15.00×", "{roi}");
    assert_eq!(roi["periods"][0]["roi"], "15.00×", "{roi}");
    // A partner reads its own ROI, and another partner has none of it.
    let own = expect(
        &app.http.get("/api/v1/mdf-roi", &w.a.admin_token).await,
        StatusCode::OK,
    );
    assert_eq!(own["activities"][0]["roi"], "15.00×", "{own}");
    assert_eq!(own["partners"].as_array().unwrap().len(), 1, "{own}");
    let other = expect(
        &app.http.get("/api/v1/mdf-roi", &w.b.admin_token).await,
        StatusCode::OK,
    );
    assert_eq!(other["activities"], json!([]), "{other}");
}

async fn allocations_fund_plan_commitments_and_expire(app: TestApp) {
    let w = app.world().await;
    let b = budget(&app, &w, &w.program.id.to_string(), 50_000_00).await;
    let a = w.a.partner.id.to_string();
    let month = format!("{}", today().format("%Y-%m-01"));
    let plan = expect(
        &app.http
            .post(
                "/api/v1/business-plans",
                &w.channel,
                &json!({"partner_id": a, "title": "Alpha FY plan", "period_start": month,
                        "content": {"marketing": [
                            {"kind": "event", "title": "Joint roadshow", "on": month},
                            {"kind": "co_branded_content", "title": "Migration guide", "on": month}]}}),
            )
            .await,
        StatusCode::CREATED,
    );
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    // Tied to the plan's second marketing commitment, named as it was when allocated.
    let r = app
        .http
        .post(
            "/api/v1/mdf-allocations",
            &w.channel,
            &json!({"budget_id": b, "partner_id": a, "amount_minor": 5_000_00,
                    "business_plan_id": plan_id, "marketing_index": 1}),
        )
        .await;
    let alloc = expect(&r, StatusCode::CREATED);
    assert_eq!(alloc["business_plan_id"], plan_id.as_str());
    assert_eq!(
        alloc["marketing_title"],
        format!("Co-branded content: Migration guide ({month})")
    );
    for (body, field, why) in [
        (
            json!({"budget_id": b, "partner_id": a, "amount_minor": 1, "business_plan_id": plan_id, "marketing_index": 2}),
            "marketing_index",
            "exists",
        ),
        (
            json!({"budget_id": b, "partner_id": a, "amount_minor": 1, "marketing_index": 0}),
            "marketing_index",
            "needs_plan",
        ),
        (
            json!({"budget_id": b, "partner_id": a, "amount_minor": 1, "business_plan_id": "jbp_00000000000000000000000000000000"}),
            "business_plan_id",
            "exists",
        ),
    ] {
        let r = app
            .http
            .post("/api/v1/mdf-allocations", &w.channel, &body)
            .await;
        let v = expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["errors"][0]["field"], field, "{v}");
        assert_eq!(v["errors"][0]["rule"], why, "{v}");
    }
    // An allocation funds requests through its expiry day, not after.
    let yesterday = (today() - Days::new(1)).to_string();
    let r = app
        .http
        .post(
            "/api/v1/mdf-allocations",
            &w.channel,
            &json!({"budget_id": b, "partner_id": a, "amount_minor": 5_000_00, "expires_on": yesterday}),
        )
        .await;
    let expired = expect(&r, StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .http
        .post(
            "/api/v1/mdf-requests",
            &w.a.rep_token,
            &request_body(&expired, "Too late", 1_00),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "mdf.allocation_expired");
    assert_eq!(remaining(&app, &w.a.rep_token, &expired).await, 5_000_00);
    let r = app
        .http
        .post(
            "/api/v1/mdf-requests",
            &w.a.rep_token,
            &request_body(alloc["id"].as_str().unwrap(), "On time", 1_00),
        )
        .await;
    expect(&r, StatusCode::CREATED);
    // A request in another currency than its allocation's is refused, naming the field.
    let mut body = request_body(alloc["id"].as_str().unwrap(), "Euros", 1_00);
    body["currency"] = json!("EUR");
    let r = app
        .http
        .post("/api/v1/mdf-requests", &w.a.rep_token, &body)
        .await;
    assert_eq!(
        rule(&r, StatusCode::UNPROCESSABLE_ENTITY),
        "allocation_currency"
    );
}
