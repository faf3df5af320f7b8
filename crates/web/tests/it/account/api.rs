//! Accounts through the API.

use hyper::StatusCode;
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both;

on_both!(account_lifecycle, account_rules);

async fn account_lifecycle(app: TestApp) {
    let w = app.world().await;
    let owner = w.sales_user.id.to_string();
    let r = app
        .http
        .post("/api/v1/accounts", &w.sales, &json!({"name": "Initech", "web_domain": "HTTPS://www.Initech.example/contact", "country": "us", "industry": "Software", "direct_owner_id": owner}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let a = r.json();
    let id = a["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (a["web_domain"].as_str(), a["status"].as_str()),
        (Some("initech.example"), Some("prospect"))
    );

    let same_company = app
        .http
        .post(
            "/api/v1/accounts",
            &w.sales,
            &json!({"name": "Initech Inc", "web_domain": "initech.example", "country": "US"}),
        )
        .await;
    assert_eq!(same_company.status, StatusCode::CONFLICT);
    assert_eq!(same_company.problem_rules(), vec!["web_domain:unique"]);
    // Accounts without a domain do not collide with each other.
    for _ in 0..2 {
        let r = app
            .http
            .post(
                "/api/v1/accounts",
                &w.sales,
                &json!({"name": "Corner Shop", "country": "GB"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }

    let won = app
        .http
        .patch(
            &format!("/api/v1/accounts/{id}"),
            &w.sales,
            &json!({"status": "customer", "direct_owner_id": ""}),
        )
        .await;
    assert_eq!(won.status, StatusCode::OK, "{}", won.text());
    assert_eq!(won.json()["status"], "customer");
    assert!(
        won.json()["direct_owner_id"].is_null(),
        "an empty owner clears it"
    );

    let customers = app
        .http
        .get("/api/v1/accounts?status=customer", &w.finance)
        .await
        .json();
    assert_eq!(customers["items"].as_array().unwrap().len(), 1);
    let by_q = app
        .http
        .get("/api/v1/accounts?q=corner&sort=-created_at", &w.finance)
        .await
        .json();
    assert_eq!(by_q["items"].as_array().unwrap().len(), 2);

    let arch = app
        .http
        .post(
            &format!("/api/v1/accounts/{id}/archive"),
            &w.sales,
            &json!({}),
        )
        .await;
    assert_eq!(arch.status, StatusCode::OK);
    let trail = app
        .http
        .get(&format!("/api/v1/accounts/{id}/audit"), &w.admin)
        .await
        .json();
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["archived", "updated", "created"]);
    assert_eq!(trail["items"][1]["before"]["status"], "prospect");
    assert_eq!(trail["items"][1]["after"]["status"], "customer");
}

async fn account_rules(app: TestApp) {
    let w = app.world().await;
    // The owner must be vendor staff: a partner user's id reads as invalid.
    let partner_owner = app
        .http
        .post("/api/v1/accounts", &w.admin, &json!({"name": "Umbrella", "country": "US", "direct_owner_id": w.a.admin.id.to_string()}))
        .await;
    assert_eq!(partner_owner.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        partner_owner.problem_rules(),
        vec!["direct_owner_id:staff_user"]
    );
    let bad = app
        .http
        .post(
            "/api/v1/accounts",
            &w.admin,
            &json!({"name": "", "country": "Germany", "web_domain": "localhost", "status": "lead"}),
        )
        .await;
    assert_eq!(
        bad.problem_rules(),
        vec![
            "name:required",
            "web_domain:web_domain",
            "country:iso_3166_alpha2",
            "status:one_of"
        ]
    );
    let finance = app
        .http
        .post(
            "/api/v1/accounts",
            &w.finance,
            &json!({"name": "Umbrella", "country": "US"}),
        )
        .await;
    assert_eq!(finance.status, StatusCode::FORBIDDEN);
    assert_eq!(finance.json()["rule"], "role.write_account");
}
