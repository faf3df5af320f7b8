//! The directory's curation and usage on both databases: collections the vendor curates
//! (only public listings shown, archive and restore, audit), usage a partner reports per
//! month (the health score's input, on the listing and the public page), and
//! recommendations from customers who reviewed more than one listing.

use hyper::{Method, StatusCode};
use partnerops_core::directory::review::ReviewInput;
use partnerops_store::Actor;
use serde_json::{Value, json};

use super::{draft, listing_body, submitted};
use crate::harness::{TestApp, World};
use crate::on_both;

on_both!(
    collections_show_public_listings_in_order,
    usage_reports_feed_the_listing_and_its_health,
    customers_who_reviewed_one_listing_recommend_another,
    screenshots_are_the_partners_public_files_in_order,
);

fn ok(r: &crate::http::Answer) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

async fn published(app: &TestApp, w: &World, title: &str, industries: &[&str]) -> Value {
    let l = submitted(
        app,
        &w.a,
        &listing_body(title, &["Analytics"], json!({"industries": industries})),
    )
    .await;
    assert_eq!(l["status"], "published", "{l}");
    l
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// For the isolation tests: a live collection holding `listing` (B's draft: never shown to
/// anyone but staff) and an archived one; returns the archived one's id and the live one's
/// slug.
pub(crate) async fn collections_with(app: &TestApp, w: &World, listing: &str) -> (String, String) {
    let live = ok(&app
        .http
        .post(
            "/api/v1/directory/collections",
            &w.admin,
            &json!({"title": "Isolation picks", "listing_ids": [listing]}),
        )
        .await);
    let archived = ok(&app
        .http
        .post(
            "/api/v1/directory/collections",
            &w.admin,
            &json!({"title": "Old picks", "listing_ids": [listing]}),
        )
        .await);
    let archived = id(&archived);
    ok(&app
        .http
        .post(
            &format!("/api/v1/directory/collections/{archived}/archive"),
            &w.admin,
            &json!({}),
        )
        .await);
    (archived, live["slug"].as_str().unwrap().to_owned())
}

async fn collections_show_public_listings_in_order(app: TestApp) {
    let w = app.world().await;
    let first = published(&app, &w, "Orion Health Analytics", &["Healthcare"]).await;
    let second = published(&app, &w, "Lyra Clinic Data", &["Healthcare"]).await;
    let hidden = draft(
        &app,
        &w.a,
        &listing_body("Vega Draft", &["Analytics"], json!({})),
    )
    .await;
    // Every wrong entry is named; a partner may not curate.
    let r = app
        .http
        .post(
            "/api/v1/directory/collections",
            &w.admin,
            &json!({"title": " ", "listing_ids": [id(&first), "nope"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.problem_rules(),
        vec!["title:required", "listing_ids[1]:id"]
    );
    let missing = "dls_00000000000000000000000000000000";
    let r = app
        .http
        .post(
            "/api/v1/directory/collections",
            &w.admin,
            &json!({"title": "Best for healthcare", "listing_ids": [id(&first), missing]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["listing_ids[1]:exists"]);
    let r = app
        .http
        .post(
            "/api/v1/directory/collections",
            &w.a.admin_token,
            &json!({"title": "Mine", "listing_ids": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let c = ok(&app
        .http
        .post(
            "/api/v1/directory/collections",
            &w.channel,
            &json!({
                "title": "Best for healthcare",
                "description": "Partners our **healthcare** customers rate highest",
                "listing_ids": [id(&second), id(&hidden), id(&first)]
            }),
        )
        .await);
    let cid = id(&c);
    let slug = c["slug"].as_str().unwrap().to_owned();
    assert!(slug.starts_with("best-for-healthcare-"), "{slug}");
    // Staff see every listing it holds; the public listings are the results, in order.
    assert_eq!(c["listing_ids"].as_array().unwrap().len(), 3);
    let titles = |v: &Value| -> Vec<String> {
        v["listings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles(&c), ["Lyra Clinic Data", "Orion Health Analytics"]);
    // A partner user sees the public listings only, not the ids.
    let theirs = ok(&app
        .http
        .get(
            &format!("/api/v1/directory/collections/{cid}"),
            &w.b.rep_token,
        )
        .await);
    assert_eq!(theirs["listing_ids"], json!([]));
    assert!(!theirs.to_string().contains("Vega Draft"));
    // The public pages: the home lists it, its page shows its listings.
    let home = app.http.page("/directory", "").await.text();
    assert!(home.contains("Best for healthcare"), "{home}");
    let page = app
        .http
        .page(&format!("/directory/collections/{slug}"), "")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.text();
    assert!(page.contains("<strong>healthcare</strong>"), "{page}");
    assert!(page.contains("Lyra Clinic Data") && !page.contains("Vega Draft"));
    assert!(page.find("Lyra Clinic Data").unwrap() < page.find("Orion Health Analytics").unwrap());
    assert!(page.contains("rel=\"canonical\""));
    // Reordered and renamed; what is not sent stays.
    let changed = ok(&app
        .http
        .api(
            Method::PATCH,
            &format!("/api/v1/directory/collections/{cid}"),
            Some(&w.channel),
            Some(&json!({"listing_ids": [id(&first), id(&second)], "position": 3})),
        )
        .await);
    assert_eq!(
        titles(&changed),
        ["Orion Health Analytics", "Lyra Clinic Data"]
    );
    assert_eq!(changed["title"], "Best for healthcare");
    assert_eq!(changed["position"], 3);
    // Archived: off the public pages and the partner's view; restored: back.
    ok(&app
        .http
        .post(
            &format!("/api/v1/directory/collections/{cid}/archive"),
            &w.admin,
            &json!({}),
        )
        .await);
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/collections/{cid}/archive"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        app.http
            .page(&format!("/directory/collections/{slug}"), "")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .http
        .get(
            &format!("/api/v1/directory/collections/{cid}"),
            &w.a.rep_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let listed = ok(&app
        .http
        .get("/api/v1/directory/collections", &w.admin)
        .await);
    assert!(listed.as_array().unwrap().is_empty());
    let listed = ok(&app
        .http
        .get("/api/v1/directory/collections?archived=true", &w.admin)
        .await);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    ok(&app
        .http
        .post(
            &format!("/api/v1/directory/collections/{cid}/restore"),
            &w.admin,
            &json!({}),
        )
        .await);
    // Unpublishing a listing drops it from the collection's public listings only.
    ok(&app
        .http
        .post(
            &format!("/api/v1/directory/listings/{}/unpublish", id(&first)),
            &w.admin,
            &json!({"reason": "Out of date"}),
        )
        .await);
    let after = ok(&app
        .http
        .get(&format!("/api/v1/directory/collections/{cid}"), &w.admin)
        .await);
    assert_eq!(titles(&after), ["Lyra Clinic Data"]);
    assert_eq!(after["listing_ids"].as_array().unwrap().len(), 2);
    // Every change is in the trail.
    let trail = ok(&app
        .http
        .get(
            &format!("/api/v1/directory/collections/{cid}/audit"),
            &w.admin,
        )
        .await);
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["restored", "archived", "updated", "created"]);
}

async fn usage_reports_feed_the_listing_and_its_health(app: TestApp) {
    let w = app.world().await;
    let l = published(&app, &w, "Polaris Connector", &[]).await;
    let lid = id(&l);
    assert_eq!(l["usage"], Value::Null);
    let health_before = l["health"]["score"].as_i64().unwrap();
    let path = format!("/api/v1/directory/listings/{lid}/usage");
    // The month must be one that has begun; counts in range; the rep may not report.
    let r = app
        .http
        .api(
            Method::PUT,
            &path,
            Some(&w.a.admin_token),
            Some(&json!({"period": "2999-01", "installs": -2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.problem_rules(),
        vec!["period:not_future", "installs:range"]
    );
    let r = app
        .http
        .api(
            Method::PUT,
            &path,
            Some(&w.a.rep_token),
            Some(&json!({"period": "2026-01", "customers": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .http
        .api(
            Method::PUT,
            &path,
            Some(&w.b.admin_token),
            Some(&json!({"period": "2026-01", "customers": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for (period, customers) in [("2026-01", 40), ("2026-02", 120), ("2026-02", 150)] {
        ok(&app
            .http
            .api(
                Method::PUT,
                &path,
                Some(&w.a.admin_token),
                Some(&json!({"period": period, "customers": customers, "installs": 90})),
            )
            .await);
    }
    // A second report of a month replaced the first.
    let reports = ok(&app.http.get(&path, &w.a.rep_token).await);
    let got: Vec<(String, i64)> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["period"].as_str().unwrap().to_owned(),
                r["customers"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("2026-02".to_owned(), 150), ("2026-01".to_owned(), 40)]
    );
    let after = ok(&app
        .http
        .get(&format!("/api/v1/directory/listings/{lid}"), &w.admin)
        .await);
    assert_eq!(after["usage"]["period"], "2026-02");
    assert_eq!(after["usage"]["customers"], 150);
    let usage_part = after["health"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["part"] == "usage")
        .unwrap()
        .clone();
    assert!(usage_part["value"].as_f64().unwrap() > 0.7, "{usage_part}");
    assert!(
        after["health"]["score"].as_i64().unwrap() > health_before,
        "{after}"
    );
    // The public page shows the figure and the score with its parts.
    let page = app
        .http
        .page(
            &format!("/directory/listings/{}", l["slug"].as_str().unwrap()),
            "",
        )
        .await
        .text();
    assert!(page.contains("150 customers"), "{page}");
    assert!(page.contains("id=\"listing-health\""), "{page}");
    // Search results carry the score.
    let (_, v) = super::search(&app, &w.admin, "q=polaris").await;
    assert_eq!(v["hits"][0]["health"], after["health"]["score"]);
    // The report is audited on the listing.
    let trail = ok(&app
        .http
        .get(
            &format!("/api/v1/directory/listings/{lid}/audit"),
            &w.a.admin_token,
        )
        .await);
    assert!(trail.to_string().contains("\"usage\""), "{trail}");
}

async fn customers_who_reviewed_one_listing_recommend_another(app: TestApp) {
    let w = app.world().await;
    let crm = published(&app, &w, "Atlas CRM Bridge", &["Healthcare", "Retail"]).await;
    let billing = published(&app, &w, "Comet Billing", &["Healthcare"]).await;
    let shop = published(&app, &w, "Draco Shop Sync", &["Retail"]).await;
    let lonely = published(&app, &w, "Eris Lonely", &["Healthcare"]).await;
    let system = Actor::system("test");
    let review = |rating| ReviewInput {
        rating: Some(rating),
        body: Some("Works well for us".into()),
        author_name: Some("A customer".into()),
    };
    // Two customers use the CRM bridge and billing; one of them the shop sync too.
    for (listing, email) in [
        (&crm, "ana@clinic.example"),
        (&billing, "ana@clinic.example"),
        (&crm, "ben@clinic.example"),
        (&billing, "ben@clinic.example"),
        (&shop, "ben@clinic.example"),
        (&lonely, "cy@elsewhere.example"),
    ] {
        app.store
            .import_customer_review(&system, &id(listing), email, &review(5))
            .await
            .unwrap();
    }
    let recs = |v: Value| -> Vec<(String, i64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["listing"]["title"].as_str().unwrap().to_owned(),
                    r["shared_customers"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let path = format!("/api/v1/directory/listings/{}/recommendations", id(&crm));
    let all = ok(&app.http.get(&path, &w.a.rep_token).await);
    assert_eq!(
        recs(all.clone()),
        [
            ("Comet Billing".to_owned(), 2),
            ("Draco Shop Sync".to_owned(), 1)
        ]
    );
    assert_eq!(
        all[0]["reason"],
        "2 customers who reviewed Atlas CRM Bridge also reviewed this"
    );
    // In one industry only.
    let retail = ok(&app
        .http
        .get(&format!("{path}?industry=Retail"), &w.admin)
        .await);
    assert_eq!(recs(retail), [("Draco Shop Sync".to_owned(), 1)]);
    // A listing nobody shares recommends nothing; B cannot ask about A's listing.
    let none = ok(&app
        .http
        .get(
            &format!("/api/v1/directory/listings/{}/recommendations", id(&lonely)),
            &w.admin,
        )
        .await);
    assert_eq!(none, json!([]));
    let r = app.http.get(&path, &w.b.rep_token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A hidden review no longer counts; an unpublished listing is never recommended.
    ok(&app
        .http
        .post(
            &format!("/api/v1/directory/listings/{}/unpublish", id(&shop)),
            &w.admin,
            &json!({"reason": "Paused"}),
        )
        .await);
    let after = ok(&app.http.get(&path, &w.admin).await);
    assert_eq!(recs(after), [("Comet Billing".to_owned(), 2)]);
    // The public page shows them, and narrows by the visitor's industry.
    let page = app
        .http
        .page(
            &format!("/directory/listings/{}", crm["slug"].as_str().unwrap()),
            "",
        )
        .await
        .text();
    assert!(page.contains("id=\"recommendations\""), "{page}");
    assert!(page.contains("Comet Billing"), "{page}");
    let page = app
        .http
        .page(
            &format!(
                "/directory/listings/{}?industry=Retail",
                crm["slug"].as_str().unwrap()
            ),
            "",
        )
        .await
        .text();
    assert!(!page.contains("Comet Billing"), "{page}");
}

async fn upload_screenshot(app: &TestApp, token: &str) -> String {
    let r = app
        .http
        .multipart(
            "/api/v1/files",
            ("authorization", &format!("Bearer {token}")),
            &[("purpose", "screenshot")],
            &[("file", "shot.png", crate::file::PNG)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    id(&r.json())
}

async fn screenshots_are_the_partners_public_files_in_order(app: TestApp) {
    let w = app.world().await;
    let l = published(&app, &w, "Sirius Dashboard", &[]).await;
    let lid = id(&l);
    assert_eq!(l["screenshot_ids"], json!([]));
    let (one, two) = (
        upload_screenshot(&app, &w.a.admin_token).await,
        upload_screenshot(&app, &w.a.admin_token).await,
    );
    let theirs = upload_screenshot(&app, &w.b.admin_token).await;
    let path = format!("/api/v1/directory/listings/{lid}");
    // Another partner's screenshot is refused by entry; so is a repeat.
    let r = app
        .http
        .api(
            Method::PATCH,
            &path,
            Some(&w.a.admin_token),
            Some(&json!({"screenshot_ids": [one, theirs]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["screenshot_ids[1]:exists"]);
    assert!(!r.text().contains("Beta"));
    let r = app
        .http
        .api(
            Method::PATCH,
            &path,
            Some(&w.a.admin_token),
            Some(&json!({"screenshot_ids": [one, one]})),
        )
        .await;
    assert_eq!(r.problem_rules(), vec!["screenshot_ids[1]:unique"]);
    let after = ok(&app
        .http
        .api(
            Method::PATCH,
            &path,
            Some(&w.a.admin_token),
            Some(&json!({"screenshot_ids": [two, one]})),
        )
        .await);
    assert_eq!(after["screenshot_ids"], json!([two, one]));
    assert_eq!(after["status"], "published", "a change keeps it published");
    // A change of other fields keeps them.
    let kept = ok(&app
        .http
        .api(
            Method::PATCH,
            &path,
            Some(&w.a.admin_token),
            Some(&json!({"summary": "Dashboards for your data"})),
        )
        .await);
    assert_eq!(kept["screenshot_ids"], json!([two, one]));
    // The public page shows them in order, served without sign-in, and names them in
    // its structured data.
    let page = app
        .http
        .page(
            &format!("/directory/listings/{}", l["slug"].as_str().unwrap()),
            "",
        )
        .await
        .text();
    assert!(
        page.find(&two).unwrap() < page.find(&one).unwrap(),
        "{page}"
    );
    assert!(page.contains("\"screenshot\""), "{page}");
    let r = app.http.page(&format!("/files/{two}"), "").await;
    assert_eq!(r.status, StatusCode::OK);
}
