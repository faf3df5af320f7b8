//! Programs and tiers through the API: create with the default ladder, change, list,
//! archive, conflicts, validation and audit.

use hyper::StatusCode;
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both;

on_both!(
    program_lifecycle,
    program_validation_and_conflicts,
    tier_rules,
    roles_that_may_not_change_programs
);

async fn program_lifecycle(app: TestApp) {
    let w = app.world().await;
    let created = app
        .http
        .post(
            "/api/v1/programs",
            &w.admin,
            &json!({"name": "Technology Alliance", "kind": "technology", "currency": "eur",
                    "thesis": {"coverage_gaps": ["DACH mid-market", "dach MID-market", "Healthcare"], "sourced_arr_target_minor": 500_000_000}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let p = created.json();
    let id = p["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("prg_"));
    assert_eq!(p["currency"], "EUR");
    assert_eq!(
        p["thesis"]["coverage_gaps"],
        json!(["DACH mid-market", "Healthcare"]),
        "duplicates ignoring case are dropped"
    );
    assert_eq!(
        p["thesis"]["sourced_arr_target"],
        json!({"amount_minor": 500_000_000, "currency": "EUR"})
    );

    let tiers = app
        .http
        .get(&format!("/api/v1/programs/{id}/tiers"), &w.admin)
        .await
        .json();
    let names: Vec<&str> = tiers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["Integration", "Partnership", "Strategic"],
        "a new technology program gets the technology track"
    );

    let changed = app
        .http
        .patch(
            &format!("/api/v1/programs/{id}"),
            &w.channel,
            &json!({"thesis": {"influenced_arr_target_minor": 90}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    let c = changed.json();
    assert_eq!(c["thesis"]["influenced_arr_target"]["amount_minor"], 90);
    assert_eq!(
        c["thesis"]["sourced_arr_target"]["amount_minor"], 500_000_000,
        "fields not named keep their value"
    );
    assert_eq!(c["name"], "Technology Alliance");

    let archived = app
        .http
        .post(
            &format!("/api/v1/programs/{id}/archive"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK);
    assert!(archived.json()["archived_at"].is_string());
    let live = app.http.get("/api/v1/programs", &w.admin).await.json();
    assert!(
        live["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != id.as_str()),
        "archived programs leave the default list"
    );
    let only = app
        .http
        .get("/api/v1/programs?archived=true", &w.admin)
        .await
        .json();
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    let restored = app
        .http
        .post(
            &format!("/api/v1/programs/{id}/restore"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert!(restored.json()["archived_at"].is_null());

    let audit = app
        .http
        .get(&format!("/api/v1/programs/{id}/audit"), &w.admin)
        .await;
    assert_eq!(audit.status, StatusCode::OK);
    let events = audit.json();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["restored", "archived", "updated", "created"],
        "newest first"
    );
    let update = &events["items"][2];
    assert_eq!(
        update["before"]["thesis"]["influenced_arr_target"]["amount_minor"],
        0
    );
    assert_eq!(
        update["after"]["thesis"]["influenced_arr_target"]["amount_minor"],
        90
    );
    assert_eq!(update["actor_name"], "channel");
    assert!(update["actor_id"].as_str().unwrap().starts_with("usr_"));
    let oldest_first = app
        .http
        .get(&format!("/api/v1/programs/{id}/audit?sort=at"), &w.admin)
        .await
        .json();
    assert_eq!(oldest_first["items"][0]["action"], "created");
}

async fn program_validation_and_conflicts(app: TestApp) {
    let w = app.world().await;
    let bad = app
        .http
        .post("/api/v1/programs", &w.admin, &json!({"name": " ", "kind": "franchise", "currency": "XXX", "thesis": {"sourced_arr_target_minor": -1}}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(
        bad.problem_rules(),
        vec![
            "name:required",
            "kind:one_of",
            "currency:iso_4217",
            "thesis.sourced_arr_target_minor:non_negative"
        ]
    );
    assert_eq!(bad.json()["status"], 422);

    let wrong_type = app
        .http
        .post(
            "/api/v1/programs",
            &w.admin,
            &json!({"name": "X", "kind": "referral", "thesis": {"coverage_gaps": "EMEA"}}),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong_type.json()["errors"][0]["field"],
        "thesis.coverage_gaps",
        "type errors name the path: {}",
        wrong_type.text()
    );

    let not_json = app
        .http
        .send(
            hyper::Method::POST,
            "/api/v1/programs",
            &[("authorization", &format!("Bearer {}", w.admin))],
            "name=x".into(),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_json.problem_rules(), vec!["body:content_type"]);

    let dup = app
        .http
        .post(
            "/api/v1/programs",
            &w.admin,
            &json!({"name": "reseller program", "kind": "reseller"}),
        )
        .await;
    assert_eq!(
        dup.status,
        StatusCode::CONFLICT,
        "names are unique ignoring case: {}",
        dup.text()
    );
    assert_eq!(dup.problem_rules(), vec!["name:unique"]);

    let missing = app
        .http
        .get(
            "/api/v1/programs/prg_00000000000000000000000000000000",
            &w.admin,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.json()["type"],
        "https://partnerops.dev/problems/not-found"
    );
    let garbage = app
        .http
        .patch("/api/v1/programs/whatever", &w.admin, &json!({"name": "x"}))
        .await;
    assert_eq!(garbage.status, StatusCode::NOT_FOUND);

    // Nothing half-written: the refused creates left no program and no audit event behind.
    let list = app
        .http
        .get("/api/v1/programs?archived=all", &w.admin)
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

async fn tier_rules(app: TestApp) {
    let w = app.world().await;
    let pid = w.program.id.to_string();
    let taken = app
        .http
        .post(
            &format!("/api/v1/programs/{pid}/tiers"),
            &w.admin,
            &json!({"name": "Elite", "rank": 3}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.problem_rules(), vec!["rank:unique"]);
    let out_of_range = app
        .http
        .post(
            &format!("/api/v1/programs/{pid}/tiers"),
            &w.admin,
            &json!({"name": "Elite", "rank": 0}),
        )
        .await;
    assert_eq!(out_of_range.problem_rules(), vec!["rank:range"]);
    let bad_benefit = app
        .http
        .post(&format!("/api/v1/programs/{pid}/tiers"), &w.admin, &json!({"name": "Elite", "rank": 4, "benefits": [{"kind": "margin", "description": "m", "rate_bps": 20000}]}))
        .await;
    assert_eq!(
        bad_benefit.problem_rules(),
        vec!["benefits[0].rate_bps:range"]
    );
    let elite = app
        .http
        .post(&format!("/api/v1/programs/{pid}/tiers"), &w.admin, &json!({"name": "Elite", "rank": 4, "benefits": [{"kind": "margin", "description": "Top margin", "rate_bps": 3500}]}))
        .await;
    assert_eq!(elite.status, StatusCode::CREATED, "{}", elite.text());
    let elite_id = elite.json()["id"].as_str().unwrap().to_owned();
    let renamed = app
        .http
        .patch(
            &format!("/api/v1/tiers/{elite_id}"),
            &w.admin,
            &json!({"name": "Select"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::CONFLICT);
    assert_eq!(renamed.problem_rules(), vec!["name:unique"]);

    // Partner A is on the entry tier: that tier cannot be archived while A is on it.
    let entry = w.a.partner.tier_id.to_string();
    let in_use = app
        .http
        .post(
            &format!("/api/v1/tiers/{entry}/archive"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    assert_eq!(in_use.problem_rules(), vec!["id:tier_in_use"]);
    let archived = app
        .http
        .post(
            &format!("/api/v1/tiers/{elite_id}/archive"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK);
    let ladder = app
        .http
        .get(
            &format!("/api/v1/programs/{pid}/tiers?sort=-rank"),
            &w.admin,
        )
        .await
        .json();
    let ranks: Vec<i64> = ladder["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["rank"].as_i64().unwrap())
        .collect();
    assert_eq!(ranks, vec![3, 2, 1]);
    // The freed rank can be reused by a new tier.
    let again = app
        .http
        .post(
            &format!("/api/v1/programs/{pid}/tiers"),
            &w.admin,
            &json!({"name": "Elite", "rank": 4}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());
    let trail = app
        .http
        .get(&format!("/api/v1/tiers/{elite_id}/audit"), &w.admin)
        .await
        .json();
    assert_eq!(trail["items"][0]["action"], "archived");
}

async fn roles_that_may_not_change_programs(app: TestApp) {
    let w = app.world().await;
    for token in [&w.sales, &w.finance] {
        let r = app
            .http
            .post(
                "/api/v1/programs",
                token,
                &json!({"name": "Nope", "kind": "referral"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert_eq!(r.json()["rule"], "role.write_program");
    }
    // Read access for every staff role.
    assert_eq!(
        app.http.get("/api/v1/programs", &w.finance).await.status,
        StatusCode::OK
    );
}
