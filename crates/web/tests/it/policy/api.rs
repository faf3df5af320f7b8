//! Program policy through the API: publishing, diffing and the version history of the policy
//! document, and the what-if replay, which writes nothing.

use chrono::{DateTime, Duration, Utc};
use hyper::{Method, StatusCode};
use partnerops_core::policy::ProgramPolicy;
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::lifecycle::*;
use crate::on_both;

on_both!(
    policy_publish_diff_and_history,
    simulation_reports_changes_and_writes_nothing,
);

// ---------------------------------------------------------------------------------------
// 3. Publishing, validation, history and differences

async fn policy_publish_diff_and_history(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();

    let v1 = policy_of(&app, &w.channel, &program).await;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["author_name"], "seed defaults");
    assert!(v1["published_at"].is_null());
    // The seed's rules over the program's own ladder.
    let v1_policy = ProgramPolicy::from_toml(v1["document"].as_str().unwrap()).expect("valid TOML");
    let seed = ProgramPolicy::seed_default();
    let names: Vec<&str> = v1_policy.tiers.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["Registered", "Select", "Premier"]);
    for (mine, seeded) in v1_policy.tiers.iter().zip(&seed.tiers) {
        assert_eq!(mine.criteria, seeded.criteria);
        assert_eq!(mine.annual_quota_minor, seeded.annual_quota_minor);
    }
    assert_eq!(v1_policy.governance, seed.governance);
    assert_eq!(v1_policy.registration.validity_days, 90);
    // Programs are the vendor's: a partner gets 404 for its own program's policy.
    assert_eq!(
        app.http
            .get(
                &format!("/api/v1/programs/{program}/policy"),
                &w.a.admin_token
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A registration under version 1 records it.
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Umbrella", "web_domain": "umbrella.example", "country": "DE"},
                    "title": "Umbrella rollout", "estimated_arr_minor": 1000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["policy_version"], 1);

    // Invalid documents: every wrong key is named, nothing is published.
    let mut bad = ProgramPolicy::seed_default();
    bad.registration.validity_days = -5;
    bad.tiers[2].criteria[1].at_least = 2; // Premier asks fewer registrations than Select
    let r = put_policy(
        &app,
        &w.admin,
        &program,
        &json!({"document": bad.to_toml(), "change_note": "broken"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let rules = r.problem_rules();
    assert!(
        rules
            .iter()
            .any(|e| e.starts_with("registration.validity_days:")),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"tiers[2].criteria[1].at_least:tier_order".to_owned()),
        "{rules:?}"
    );
    assert!(r.text().contains("tiers out of order"), "{}", r.text());
    let unknown_metric = ProgramPolicy::seed_default().to_toml().replacen(
        "metric = \"registrations\"",
        "metric = \"revenue\"",
        1,
    );
    assert!(unknown_metric.contains("revenue"));
    let r = put_policy(
        &app,
        &w.admin,
        &program,
        &json!({"document": unknown_metric, "change_note": "typo"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let errors = r.json()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["rule"], "toml");
    assert!(
        errors[0]["field"].as_str().unwrap().starts_with("line "),
        "{errors:?}"
    );
    assert!(
        errors[0]["message"].as_str().unwrap().contains("revenue"),
        "{errors:?}"
    );
    let r = put_policy(&app, &w.admin, &program, &json!({"change_note": "empty"})).await;
    assert_eq!(r.problem_rules(), vec!["document:required"]);

    // A valid document needs a change note.
    let mut next = v1_policy.clone();
    next.registration.validity_days = 60;
    next.tiers[1].name = "Gold".into();
    let r = put_policy(
        &app,
        &w.admin,
        &program,
        &json!({"document": next.to_toml()}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["change_note:required"]);
    // Only staff who may change programs publish.
    let r = put_policy(
        &app,
        &w.sales,
        &program,
        &json!({"document": next.to_toml(), "change_note": "sales wants it"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = put_policy(
        &app,
        &w.a.admin_token,
        &program,
        &json!({"document": next.to_toml(), "change_note": "partner wants it"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(policy_of(&app, &w.admin, &program).await["version"], 1);

    let v2 = publish(
        &app,
        &w.admin,
        &program,
        &next.to_toml(),
        "Shorter validity; Select is Gold now",
    )
    .await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["author_name"], w.admin_user.display_name.as_str());
    assert_eq!(v2["change_note"], "Shorter validity; Select is Gold now");
    assert!(v2["published_at"].is_string());
    assert_eq!(
        ProgramPolicy::from_toml(v2["document"].as_str().unwrap()).unwrap(),
        next
    );
    assert_eq!(policy_of(&app, &w.channel, &program).await["version"], 2);
    // The other program is untouched.
    assert_eq!(
        policy_of(&app, &w.channel, &w.other_program.id.to_string()).await["version"],
        1
    );

    // History, newest first, and each version on its own.
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let versions: Vec<i64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 1]);
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions/1"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        ProgramPolicy::from_toml(r.json()["document"].as_str().unwrap()).unwrap(),
        v1_policy
    );
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions/7"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The difference, key by key.
    for query in ["?from=1&to=2", ""] {
        let r = app
            .http
            .get(
                &format!("/api/v1/programs/{program}/policy/diff{query}"),
                &w.channel,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let diff = r.json();
        assert_eq!(
            (diff["from_version"].as_i64(), diff["to_version"].as_i64()),
            (Some(1), Some(2))
        );
        let keys: Vec<&str> = diff["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, vec!["tiers[1].name", "registration.validity_days"]);
        let text = diff["text"].as_str().unwrap();
        assert!(
            text.lines()
                .any(|l| l == "~ registration.validity_days: 90 → 60"),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l == "~ tiers[1].name: \"Select\" → \"Gold\""),
            "{text}"
        );
    }
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/diff?from=1&to=9"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The tier records follow the published ladder: Select is Gold now, same record.
    let before = ladder(&app, &w, &w.other_program.id.to_string()).await;
    let names: Vec<String> = ladder(&app, &w, &program)
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["Registered", "Gold", "Premier"]);
    assert_eq!(
        ladder(&app, &w, &w.other_program.id.to_string()).await,
        before
    );

    // Registrations submitted now record version 2, and its validity.
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Soylent", "web_domain": "soylent.example", "country": "DE"},
                    "title": "Soylent rollout", "estimated_arr_minor": 1000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["policy_version"], 2);
    let reg = id(&r.json());
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{reg}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let approved = r.json();
    let ts = |v: &Value| {
        DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(
        (ts(&approved["expires_at"]) - ts(&approved["approved_at"])).num_days(),
        60
    );

    // Checking a document without publishing: warnings for a small cohort.
    let mut small = ProgramPolicy::seed_default();
    small.cohort.min_partners = 3;
    let r = app
        .http
        .post(
            "/api/v1/policy/validate",
            &w.channel,
            &json!({"document": small.to_toml()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["valid"], true);
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("cohort.min_partners") && warnings[0].contains("3 to 10"),
        "{warnings:?}"
    );
    let r = app
        .http
        .post(
            "/api/v1/policy/validate",
            &w.channel,
            &json!({"document": ProgramPolicy::seed_default().to_toml()}),
        )
        .await;
    assert_eq!(r.json()["warnings"], json!([]));
    let r = app
        .http
        .post(
            "/api/v1/policy/validate",
            &w.channel,
            &json!({"document": bad.to_toml()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        fields(&r).contains(&"registration.validity_days".to_owned()),
        "{}",
        r.text()
    );
    assert_eq!(policy_of(&app, &w.admin, &program).await["version"], 2);

    // The registration-policy route publishes into the same document: what the whole
    // document forbids (auto-approval for a rank the ladder does not have) is refused there
    // too, named as that route's body names it, and the policy stays readable.
    let r = app
        .http
        .api(
            Method::PUT,
            &format!("/api/v1/programs/{program}/registration-policy"),
            Some(&w.channel),
            Some(&json!({"auto_approve": [{"min_tier_rank": 9, "max_amount_minor": 100}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.problem_rules(),
        vec!["auto_approve[0].min_tier_rank:range"]
    );
    assert_eq!(policy_of(&app, &w.admin, &program).await["version"], 2);
    let r = app
        .http
        .api(
            Method::PUT,
            &format!("/api/v1/programs/{program}/registration-policy"),
            Some(&w.channel),
            Some(&json!({"validity_days": 45, "auto_approve": [{"min_tier_rank": 2, "max_amount_minor": 100}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["version"], 3);
    let v3 = in_force(&app, &w.admin, &program).await;
    assert_eq!(v3.registration.validity_days, 45);
    assert_eq!(v3.tiers[1].name, "Gold", "the rest of the document is kept");
}

// ---------------------------------------------------------------------------------------
// 5. What-if replay

async fn simulation_reports_changes_and_writes_nothing(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let a = w.a.partner.id.to_string();
    let mut policy = low_bar(in_force(&app, &w.admin, &program).await);
    let (month_day, review_on) = review_in(30);
    policy.governance.annual_review = month_day;
    publish(
        &app,
        &w.admin,
        &program,
        &policy.to_toml(),
        "Select within reach",
    )
    .await;
    // Alpha wins 1,500.00 today and has one approved deal still open; the job upgrades it.
    let won = won_deal(&app.http, &w, &a, "Won Corp", 150_000).await;
    let open = approved_deal(&app.http, &w, &a, "Open Corp", 40_000).await;
    let report = app.run_due_as_of(Utc::now()).await;
    assert_eq!(
        report.count("partners.tiering", "upgraded"),
        1,
        "{report:?}"
    );
    assert_eq!(partner(&app, &w.admin, &a).await["tier_name"], "Select");

    // The replay, as of five days after the review day (30 days from now).
    let when = at(review_on + Duration::days(5), 12);
    let later = app.shifted_instance(when - Utc::now()).await;
    let simulate = |token: String, doc: String| {
        let http = later.http.clone();
        let program = program.clone();
        async move {
            http.post(
                &format!("/api/v1/programs/{program}/policy/simulate"),
                &token,
                &json!({"document": doc}),
            )
            .await
        }
    };
    let before = sim_snapshot(&app, &w, &program, &open).await;
    assert_eq!(before.0, 2);

    // The document in force changes nothing.
    let r = simulate(w.admin.clone(), policy.to_toml()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let same = r.json();
    assert_eq!(same["changes"], json!([]), "{same}");
    assert_eq!(same["totals"]["partners"], 1);
    assert_eq!(same["totals"]["registrations"], 2);

    // A Select quota of 10,000.00 and 30-day validity.
    let mut draft = policy.clone();
    draft.tiers[1].annual_quota_minor = 1_000_000;
    draft.registration.validity_days = 30;
    let r = simulate(w.channel.clone(), draft.to_toml()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let sim = r.json();
    assert!(
        sim["as_of"]
            .as_str()
            .unwrap()
            .starts_with(&(review_on + Duration::days(5)).to_string()),
        "{sim}"
    );
    let totals = &sim["totals"];
    assert_eq!(totals["partners"], 1, "{sim}");
    assert_eq!(totals["registrations"], 2, "{sim}");
    assert_eq!(totals["partners_changed"], 1, "{sim}");
    assert_eq!(totals["downgrades"], 1, "{sim}");
    assert_eq!(totals["expiries"], 1, "{sim}");
    assert_eq!(
        (
            totals["upgrades"].as_i64(),
            totals["tier_downs"].as_i64(),
            totals["sunsets"].as_i64(),
            totals["sla_marks"].as_i64()
        ),
        (Some(0), Some(0), Some(0), Some(0)),
        "{sim}"
    );
    let changes = sim["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["partner_id"], a);
    assert_eq!(changes[0]["partner_name"], "Alpha Systems");
    let list = changes[0]["changes"].as_array().unwrap();
    let kinds: Vec<&str> = list.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2, "{list:?}");
    assert!(
        kinds.contains(&"downgrade") && kinds.contains(&"expiry"),
        "{list:?}"
    );
    let downgrade = list.iter().find(|c| c["kind"] == "downgrade").unwrap();
    assert!(downgrade["registration_id"].is_null());
    assert!(
        downgrade["reason"].as_str().unwrap().contains("10,000.00"),
        "{downgrade}"
    );
    let expiry = list.iter().find(|c| c["kind"] == "expiry").unwrap();
    assert_eq!(expiry["registration_id"], open, "{expiry}");
    assert_ne!(expiry["registration_id"], won);

    // Shortening validity alone: only the open deal changes.
    let mut shorter = policy.clone();
    shorter.registration.validity_days = 30;
    let sim = simulate(w.admin.clone(), shorter.to_toml()).await.json();
    assert_eq!(sim["totals"]["expiries"], 1, "{sim}");
    assert_eq!(sim["totals"]["downgrades"], 0, "{sim}");

    // Partners cannot run it (not even for their own program); a bad draft is named.
    let r = simulate(w.a.admin_token.clone(), draft.to_toml()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let mut broken = draft.clone();
    broken.registration.validity_days = 0;
    let r = simulate(w.admin.clone(), broken.to_toml()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        fields(&r).contains(&"registration.validity_days".to_owned()),
        "{}",
        r.text()
    );

    // Nothing was written.
    assert_eq!(sim_snapshot(&app, &w, &program, &open).await, before);
}

/// What a simulation must leave alone: the policy version and history, Alpha's decisions
/// and tier, and its open registration.
async fn sim_snapshot(
    app: &TestApp,
    w: &World,
    program: &str,
    open: &str,
) -> (Value, usize, Vec<Value>, Value, Value, Value) {
    let a = w.a.partner.id.to_string();
    let v = policy_of(app, &w.admin, program).await;
    let versions = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions"),
            &w.admin,
        )
        .await
        .json()
        .as_array()
        .unwrap()
        .len();
    let open_reg = app
        .http
        .get(&format!("/api/v1/registrations/{open}"), &w.admin)
        .await
        .json();
    (
        v["version"].clone(),
        versions,
        decisions(app, &w.admin, &a).await,
        partner(app, &w.admin, &a).await["tier_id"].clone(),
        open_reg["status"].clone(),
        open_reg["updated_at"].clone(),
    )
}
