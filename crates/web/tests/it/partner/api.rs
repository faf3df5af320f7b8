//! Partners through the API: creation on the entry tier, domain normalisation and
//! uniqueness, governed versus profile fields, status moves, paging, filters, and races.

use std::collections::HashSet;

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;
use crate::on_both;

on_both!(
    partner_lifecycle,
    partner_rules,
    partner_paging_and_filters,
    concurrent_creates_with_one_domain
);

fn new_partner(program: &str, name: &str, domain: &str) -> Value {
    json!({"name": name, "web_domain": domain, "partner_type": "msp", "program_id": program, "country": "fr", "regions": ["emea"], "verticals": ["Retail"]})
}

async fn partner_lifecycle(app: TestApp) {
    let w = app.world().await;
    let pid = w.program.id.to_string();
    let r = app
        .http
        .post(
            "/api/v1/partners",
            &w.channel,
            &new_partner(&pid, "Gamma Networks", "https://WWW.Gamma.example/about"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let p = r.json();
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(p["web_domain"], "gamma.example");
    assert_eq!(p["tier_name"], "Registered", "starts on the entry tier");
    assert_eq!(p["status"], "onboarding");
    assert_eq!(p["country"], "FR");

    let dup = app
        .http
        .post(
            "/api/v1/partners",
            &w.channel,
            &new_partner(&pid, "Gamma again", "gamma.example."),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.problem_rules(), vec!["web_domain:unique"]);

    // The vendor moves it up the ladder and activates it.
    let tiers = app
        .http
        .get(&format!("/api/v1/programs/{pid}/tiers"), &w.admin)
        .await
        .json();
    let premier = tiers["items"][2]["id"].as_str().unwrap().to_owned();
    let moved = app
        .http
        .patch(
            &format!("/api/v1/partners/{id}"),
            &w.channel,
            &json!({"tier_id": premier, "status": "active"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
    assert_eq!(moved.json()["tier_name"], "Premier");

    // A tier of another program is refused, naming the field.
    let other_tiers = app
        .http
        .get(
            &format!("/api/v1/programs/{}/tiers", w.other_program.id),
            &w.admin,
        )
        .await
        .json();
    let foreign = other_tiers["items"][0]["id"].as_str().unwrap().to_owned();
    let wrong = app
        .http
        .patch(
            &format!("/api/v1/partners/{id}"),
            &w.channel,
            &json!({"tier_id": foreign}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.problem_rules(), vec!["tier_id:tier_of_program"]);

    // Moving to another program without naming a tier lands on its entry tier.
    let switched = app
        .http
        .patch(
            &format!("/api/v1/partners/{id}"),
            &w.channel,
            &json!({"program_id": w.other_program.id.to_string()}),
        )
        .await;
    assert_eq!(switched.status, StatusCode::OK, "{}", switched.text());
    assert_eq!(switched.json()["tier_name"], "Registered");
    assert_eq!(
        switched.json()["program_id"],
        w.other_program.id.to_string()
    );

    let archived = app
        .http
        .post(
            &format!("/api/v1/partners/{id}/archive"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK);
    // Its domain is free again while it is archived; restoring then collides.
    let reuse = app
        .http
        .post(
            "/api/v1/partners",
            &w.channel,
            &new_partner(&pid, "Gamma Two", "gamma.example"),
        )
        .await;
    assert_eq!(reuse.status, StatusCode::CREATED, "{}", reuse.text());
    let restore = app
        .http
        .post(
            &format!("/api/v1/partners/{id}/restore"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(restore.status, StatusCode::CONFLICT, "{}", restore.text());
    assert_eq!(restore.problem_rules(), vec!["web_domain:unique"]);

    let trail = app
        .http
        .get(&format!("/api/v1/partners/{id}/audit"), &w.admin)
        .await
        .json();
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["archived", "updated", "updated", "created"],
        "the refused changes left no event"
    );
}

async fn partner_rules(app: TestApp) {
    let w = app.world().await;
    let a = w.a.partner.id.to_string();
    // Status moves follow the lifecycle.
    let bad_move = app
        .http
        .patch(
            &format!("/api/v1/partners/{a}"),
            &w.channel,
            &json!({"status": "applicant"}),
        )
        .await;
    assert_eq!(bad_move.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_move.problem_rules(), vec!["status:status_transition"]);
    assert!(
        bad_move
            .text()
            .contains("from active it can move to: suspended, sunset"),
        "{}",
        bad_move.text()
    );

    // The partner's admin keeps its profile ...
    let profile = app
        .http
        .patch(
            &format!("/api/v1/partners/{a}"),
            &w.a.admin_token,
            &json!({"verticals": ["Energy"], "regions": ["apac", "emea"]}),
        )
        .await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.text());
    assert_eq!(profile.json()["regions"], json!(["apac", "emea"]));
    // ... but cannot promote itself, nor can its rep edit anything.
    let promote = app
        .http
        .patch(
            &format!("/api/v1/partners/{a}"),
            &w.a.admin_token,
            &json!({"status": "suspended"}),
        )
        .await;
    assert_eq!(promote.status, StatusCode::FORBIDDEN);
    assert_eq!(promote.json()["rule"], "role.govern_partner");
    assert!(
        promote.json()["detail"]
            .as_str()
            .unwrap()
            .contains("status")
    );
    let rep = app
        .http
        .patch(
            &format!("/api/v1/partners/{a}"),
            &w.a.rep_token,
            &json!({"name": "Renamed"}),
        )
        .await;
    assert_eq!(rep.status, StatusCode::FORBIDDEN);
    // Sending a governed field with its current value is not a change.
    let same = app
        .http
        .patch(
            &format!("/api/v1/partners/{a}"),
            &w.a.admin_token,
            &json!({"status": "active", "name": "Alpha Systems GmbH"}),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text());
    // Direct sales may read partners but not create them.
    let create = app
        .http
        .post(
            "/api/v1/partners",
            &w.sales,
            &new_partner(&w.program.id.to_string(), "X", "x.example"),
        )
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    let unknown_program = app
        .http
        .post(
            "/api/v1/partners",
            &w.admin,
            &new_partner("prg_00000000000000000000000000000000", "X", "x.example"),
        )
        .await;
    assert_eq!(unknown_program.problem_rules(), vec!["program_id:exists"]);
}

async fn partner_paging_and_filters(app: TestApp) {
    let w = app.world().await;
    let pid = w.program.id.to_string();
    for i in 0..23 {
        let mut body = new_partner(
            &pid,
            &format!("Paging Partner {i:02}"),
            &format!("paging{i}.example"),
        );
        if i % 2 == 0 {
            body["country"] = json!("BR");
            body["partner_type"] = json!("referral");
        }
        let r = app.http.post("/api/v1/partners", &w.admin, &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    for sort in ["name", "-name", "created_at", "-joined_on"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/partners?limit=7&sort={sort}&cursor={c}"),
                None => format!("/api/v1/partners?limit=7&sort={sort}"),
            };
            let page = app.http.get(&path, &w.admin).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text());
            let page = page.json();
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 7);
            seen.extend(items.iter().map(|p| p["name"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(
            seen.len(),
            25,
            "every partner exactly once with sort {sort}"
        );
        assert_eq!(
            seen.iter().collect::<HashSet<_>>().len(),
            25,
            "no duplicates with sort {sort}"
        );
        if sort == "name" {
            let mut sorted = seen.clone();
            sorted.sort();
            assert_eq!(seen, sorted);
        }
        if sort == "-name" {
            let mut sorted = seen.clone();
            sorted.sort();
            sorted.reverse();
            assert_eq!(seen, sorted);
        }
    }
    let br = app
        .http
        .get(
            "/api/v1/partners?country=br&partner_type=referral&limit=200",
            &w.admin,
        )
        .await
        .json();
    assert_eq!(br["items"].as_array().unwrap().len(), 12);
    let q = app
        .http
        .get("/api/v1/partners?q=PARTNER%2007", &w.admin)
        .await
        .json();
    assert_eq!(
        q["items"].as_array().unwrap().len(),
        1,
        "search ignores case"
    );
    let by_domain = app
        .http
        .get("/api/v1/partners?q=beta.exa", &w.admin)
        .await
        .json();
    assert_eq!(by_domain["items"][0]["name"], "Beta Consulting");
    let wildcard = app
        .http
        .get("/api/v1/partners?q=%25", &w.admin)
        .await
        .json();
    assert_eq!(
        wildcard["items"].as_array().unwrap().len(),
        0,
        "LIKE wildcards are matched literally"
    );
    let by_program = app
        .http
        .get(
            &format!(
                "/api/v1/partners?program_id={}&limit=200",
                w.other_program.id
            ),
            &w.admin,
        )
        .await
        .json();
    assert_eq!(by_program["items"].as_array().unwrap().len(), 1);
    let region = app
        .http
        .get("/api/v1/partners?region=emea&limit=200", &w.admin)
        .await
        .json();
    assert_eq!(region["items"].as_array().unwrap().len(), 23);
    let bad = app
        .http
        .get("/api/v1/partners?region=mars&program_id=nope", &w.admin)
        .await;
    assert_eq!(bad.problem_rules(), vec!["program_id:id", "region:one_of"]);
    let foreign_cursor = app
        .http
        .get("/api/v1/partners?limit=2&sort=name", &w.admin)
        .await
        .json()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let mismatch = app
        .http
        .get(
            &format!("/api/v1/partners?sort=-name&cursor={foreign_cursor}"),
            &w.admin,
        )
        .await;
    assert_eq!(
        mismatch.problem_rules(),
        vec!["cursor:cursor_sort_mismatch"]
    );
}

/// Twenty requests race to register the same domain: the database lets exactly one win.
async fn concurrent_creates_with_one_domain(app: TestApp) {
    let w = app.world().await;
    let pid = w.program.id.to_string();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let http = app.http.clone();
        let token = w.admin.clone();
        let body = new_partner(
            &pid,
            &format!("Racer {i}"),
            if i % 2 == 0 {
                "race.example"
            } else {
                "https://www.race.example/"
            },
        );
        tasks.push(tokio::spawn(async move {
            http.post("/api/v1/partners", &token, &body).await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        19,
        "{statuses:?}"
    );
    let listed = app
        .http
        .get("/api/v1/partners?q=race.example", &w.admin)
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}
