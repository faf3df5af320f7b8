//! The directory through the API and the public pages, on both databases.

use hyper::{Method, StatusCode};
use serde_json::json;

use super::{draft, listing_body, search, submitted};
use crate::harness::TestApp;
use crate::on_both;

on_both!(
    open_directory_publishes_at_once_and_unpublishing_removes_it,
    curated_directory_reviews_before_publication,
    ranking_is_relevance_then_quality,
    filters_narrow_and_typos_are_forgiven,
    public_pages_are_crawlable_and_sanitised,
    listings_follow_the_rules_of_their_partner,
);

async fn open_directory_publishes_at_once_and_unpublishing_removes_it(app: TestApp) {
    let w = app.world().await;
    let l = draft(
        &app,
        &w.a,
        &listing_body(
            "Northwind Analytics",
            &["Analytics", "CRM"],
            json!({"regions": ["EMEA"], "languages": ["en", "de"]}),
        ),
    )
    .await;
    let id = l["id"].as_str().unwrap().to_owned();
    let slug = l["slug"].as_str().unwrap().to_owned();
    assert!(slug.starts_with("northwind-analytics-"), "{slug}");
    // A draft is nowhere public.
    assert!(search(&app, &w.admin, "q=northwind").await.0.is_empty());
    let page = app
        .http
        .page(&format!("/directory/listings/{slug}"), "")
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // Submitted in an open directory (the default): published at once, with its reason.
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/listings/{id}/submit"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "published");
    assert!(v["status_reason"].as_str().unwrap().contains("open"), "{v}");
    assert_eq!(
        search(&app, &w.admin, "q=northwind").await.0,
        vec!["Northwind Analytics"]
    );
    // The partner's own users find it too, and so does the public page.
    assert_eq!(
        search(&app, &w.b.rep_token, "q=analytics").await.0,
        vec!["Northwind Analytics"]
    );
    let page = app
        .http
        .page(&format!("/directory/listings/{slug}"), "")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // Submitting twice is a conflict naming the rule.
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/listings/{id}/submit"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.problem_rules(),
        vec!["status:directory.already_published"]
    );
    // Unpublishing needs a reason, and only staff may.
    let path = format!("/api/v1/directory/listings/{id}/unpublish");
    let r = app
        .http
        .post(&path, &w.a.admin_token, &json!({"reason": "mine"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app.http.post(&path, &w.channel, &json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["reason:required"]);
    let r = app
        .http
        .post(&path, &w.channel, &json!({"reason": "Misleading claims"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "unpublished");
    // Gone from search and the public page.
    assert!(search(&app, &w.admin, "q=northwind").await.0.is_empty());
    let page = app
        .http
        .page(&format!("/directory/listings/{slug}"), "")
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // The partner reads why; resubmitting goes through review although the directory is open.
    let mine = app
        .http
        .get(&format!("/api/v1/directory/listings/{id}"), &w.a.rep_token)
        .await
        .json();
    assert!(
        mine["status_reason"]
            .as_str()
            .unwrap()
            .contains("Misleading claims"),
        "{mine}"
    );
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/listings/{id}/submit"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.json()["status"], "in_review", "{}", r.text());
    assert!(search(&app, &w.admin, "q=northwind").await.0.is_empty());
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/listings/{id}/review"),
            &w.channel,
            &json!({"approve": true, "reason": "Claims fixed"}),
        )
        .await;
    assert_eq!(r.json()["status"], "published", "{}", r.text());
    assert_eq!(
        search(&app, &w.admin, "q=northwind").await.0,
        vec!["Northwind Analytics"]
    );
    // Every step is in the listing's audit trail, which its partner reads too.
    let trail = app
        .http
        .get(
            &format!("/api/v1/directory/listings/{id}/audit?limit=50"),
            &w.a.admin_token,
        )
        .await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.text());
    let actions: Vec<String> = trail.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions.len(), 5, "{actions:?}");
    assert_eq!(actions.last().unwrap(), "created");
}

async fn curated_directory_reviews_before_publication(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let mode = format!("/api/v1/directory/programs/{program}/mode");
    assert_eq!(app.http.get(&mode, &w.admin).await.json()["mode"], "open");
    // Half-answered: no outcome yet, and the next question is named.
    let r = app
        .http
        .api(
            Method::PUT,
            &mode,
            Some(&w.admin),
            Some(&json!({"answers": {"brand": false}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("review"), "{}", r.text());
    // High brand risk: curated.
    let r = app
        .http
        .api(
            Method::PUT,
            &mode,
            Some(&w.admin),
            Some(&json!({"answers": {"brand": true}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["mode"], "curated");
    // Partners never read the program's setting.
    let r = app.http.get(&mode, &w.a.admin_token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A partner rep may not write listings; its admin may.
    let body = listing_body("Contoso Security Services", &["Security"], json!({}));
    let r = app
        .http
        .post("/api/v1/directory/listings", &w.a.rep_token, &body)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let l = submitted(&app, &w.a, &body).await;
    assert_eq!(l["status"], "in_review");
    assert!(
        l["status_reason"].as_str().unwrap().contains("curated"),
        "{l}"
    );
    let id = l["id"].as_str().unwrap();
    assert!(search(&app, &w.admin, "q=contoso").await.0.is_empty());
    // The vendor's queue shows it first.
    let queue = app
        .http
        .get("/api/v1/directory/listings?status=in_review", &w.channel)
        .await
        .json();
    assert_eq!(queue[0]["id"], id);
    // Rejecting needs a reason; rejected, it is the partner's draft again.
    let review = format!("/api/v1/directory/listings/{id}/review");
    let r = app
        .http
        .post(&review, &w.channel, &json!({"approve": false}))
        .await;
    assert_eq!(r.problem_rules(), vec!["reason:required"]);
    let r = app
        .http
        .post(
            &review,
            &w.channel,
            &json!({"approve": false, "reason": "Add your certifications"}),
        )
        .await;
    assert_eq!(r.json()["status"], "draft", "{}", r.text());
    let r = app
        .http
        .post(&review, &w.channel, &json!({"approve": true}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.problem_rules(), vec!["status:directory.not_in_review"]);
    // Resubmitted and approved: public.
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/listings/{id}/submit"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.json()["status"], "in_review");
    let r = app
        .http
        .post(&review, &w.channel, &json!({"approve": true}))
        .await;
    assert_eq!(r.json()["status"], "published");
    assert_eq!(
        search(&app, &w.admin, "q=contoso").await.0,
        vec!["Contoso Security Services"]
    );
    // Partner B's program is still open: its listing is published at once.
    let b = submitted(
        &app,
        &w.b,
        &listing_body("Beta Cloud Services", &["Cloud"], json!({})),
    )
    .await;
    assert_eq!(b["status"], "published");
    // The withdrawn listing leaves the directory.
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/listings/{id}/withdraw"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.json()["status"], "draft");
    assert!(search(&app, &w.admin, "q=contoso").await.0.is_empty());
}

async fn ranking_is_relevance_then_quality(app: TestApp) {
    let w = app.world().await;
    let mut slugs = std::collections::HashMap::new();
    for (title, categories, description) in [
        (
            "Acme Data Platform",
            vec!["Analytics"],
            "Reporting for teams.",
        ),
        (
            "Analytics Bridge",
            vec!["Integration"],
            "Connects your data.",
        ),
        ("Beta Analytics", vec!["Data"], "Dashboards."),
        (
            "Gamma Systems",
            vec!["Consulting"],
            "We also do analytics projects.",
        ),
        (
            "Delta Works",
            vec!["Consulting"],
            "Nothing about that topic.",
        ),
    ] {
        let l = submitted(
            &app,
            &w.a,
            &listing_body(title, &categories, json!({"description": description})),
        )
        .await;
        slugs.insert(
            title,
            (
                l["id"].as_str().unwrap().to_owned(),
                l["slug"].as_str().unwrap().to_owned(),
            ),
        );
    }
    // Two title matches: the verified one ranks first, whatever the other's views.
    let (beta, _) = &slugs["Beta Analytics"];
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/listings/{beta}/verify"),
            &w.channel,
            &json!({"verified": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["verified_at"].is_string());
    let (_, bridge) = &slugs["Analytics Bridge"];
    for _ in 0..3 {
        let p = app
            .http
            .page(&format!("/directory/listings/{bridge}"), "")
            .await;
        assert_eq!(p.status, StatusCode::OK);
    }
    let (titles, _) = search(&app, &w.admin, "q=analytics").await;
    assert_eq!(
        titles,
        vec![
            "Beta Analytics",
            "Analytics Bridge",
            "Acme Data Platform",
            "Gamma Systems"
        ],
        "title matches, then category, then description; Delta matches nothing"
    );
    // Views break ties between equal matches: two category matches without verification.
    let (titles, _) = search(&app, &w.admin, "q=consulting").await;
    assert_eq!(
        titles,
        vec!["Delta Works", "Gamma Systems"],
        "same views: by title"
    );
    let (_, delta) = &slugs["Gamma Systems"];
    let p = app
        .http
        .page(&format!("/directory/listings/{delta}"), "")
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let (titles, _) = search(&app, &w.admin, "q=consulting").await;
    assert_eq!(
        titles,
        vec!["Gamma Systems", "Delta Works"],
        "more views first"
    );
    // More matched words beat quality.
    let (titles, _) = search(&app, &w.admin, "q=analytics+bridge").await;
    assert_eq!(titles[0], "Analytics Bridge");
    // Taking verification back takes the advantage back.
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/listings/{beta}/verify"),
            &w.channel,
            &json!({"verified": false}),
        )
        .await;
    assert!(r.json()["verified_at"].is_null());
    let (titles, _) = search(&app, &w.admin, "q=analytics").await;
    assert_eq!(&titles[..2], ["Analytics Bridge", "Beta Analytics"]);
    // Browsing without words: quality order (views), every public listing.
    let (titles, _) = search(&app, &w.admin, "").await;
    assert_eq!(titles.len(), 5);
    assert_eq!(titles[0], "Analytics Bridge");
}

async fn filters_narrow_and_typos_are_forgiven(app: TestApp) {
    let w = app.world().await;
    submitted(
        &app,
        &w.a,
        &listing_body(
            "Salesforce Integration Experts",
            &["CRM"],
            json!({"regions": ["EMEA"], "industries": ["Healthcare"], "languages": ["de"]}),
        ),
    )
    .await;
    let other = submitted(
        &app,
        &w.b,
        &listing_body(
            "Salesforce Health Check",
            &["CRM", "Consulting"],
            json!({"regions": ["North America"], "industries": ["Financial services"], "languages": ["en"]}),
        ),
    )
    .await;
    let both = |t: &Vec<String>| {
        let mut t = t.clone();
        t.sort();
        t
    };
    let (all, _) = search(&app, &w.admin, "q=salesforce").await;
    assert_eq!(
        both(&all),
        vec!["Salesforce Health Check", "Salesforce Integration Experts"]
    );
    for (filter, want) in [
        (
            "category=crm",
            vec!["Salesforce Health Check", "Salesforce Integration Experts"],
        ),
        ("category=Consulting", vec!["Salesforce Health Check"]),
        ("region=emea", vec!["Salesforce Integration Experts"]),
        (
            "industry=financial-services",
            vec!["Salesforce Health Check"],
        ),
        (
            "industry=Financial+Services",
            vec!["Salesforce Health Check"],
        ),
        ("language=de", vec!["Salesforce Integration Experts"]),
        ("kind=integration", vec![]),
    ] {
        let (t, _) = search(&app, &w.admin, &format!("q=salesforce&{filter}")).await;
        assert_eq!(both(&t), want, "{filter}");
    }
    let tier = other["tier_name"].as_str().unwrap();
    let (t, _) = search(&app, &w.admin, &format!("tier={}", tier.replace(' ', "+"))).await;
    assert!(t.contains(&"Salesforce Health Check".to_owned()), "{t:?}");
    // As you type: a prefix finds the word.
    let (t, v) = search(&app, &w.admin, "q=salesf").await;
    assert_eq!(t.len(), 2);
    assert!(v["corrected_query"].is_null());
    // A typo: no word matches, so the query is corrected against the directory's words.
    let (t, v) = search(&app, &w.admin, "q=salesfroce").await;
    assert_eq!(t.len(), 2, "{v}");
    assert_eq!(v["corrected_query"], "salesforce");
    let (t, v) = search(&app, &w.admin, "q=helth+chek").await;
    assert_eq!(t[0], "Salesforce Health Check", "{v}");
    // Nonsense stays nothing.
    let (t, v) = search(&app, &w.admin, "q=qqqqqqqq").await;
    assert!(t.is_empty() && v["corrected_query"].is_null(), "{v}");
    // A bad filter value is named.
    let r = app
        .http
        .get("/api/v1/directory/search?kind=app", &w.admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["kind:one_of"]);
}

async fn public_pages_are_crawlable_and_sanitised(app: TestApp) {
    let w = app.world().await;
    let l = submitted(
        &app,
        &w.a,
        &listing_body(
            "Fabrikam </script><b>Partners</b>",
            &["Data Migration"],
            json!({
                "description": "## Services\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(2)) and [site](https://fabrikam.example)",
                "website": "https://fabrikam.example",
            }),
        ),
    )
    .await;
    let slug = l["slug"].as_str().unwrap();
    let page = app
        .http
        .page(&format!("/directory/listings/{slug}"), "")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    // The Markdown is rendered, the executable parts gone.
    assert!(
        html.contains("<h3>Services</h3>") || html.contains("<h2>Services</h2>"),
        "{html}"
    );
    assert!(
        !html.contains("alert('x')") && !html.contains("onerror") && !html.contains("javascript:"),
        "{html}"
    );
    assert!(html.contains("href=\"https://fabrikam.example\""), "{html}");
    // The title is text everywhere, and cannot close the JSON-LD script.
    assert!(!html.contains("<b>Partners</b>"), "{html}");
    assert_eq!(
        html.matches("</script>").count(),
        1,
        "only the JSON-LD's own end: {html}"
    );
    // Crawlable: canonical address, OpenGraph, structured data, a phone's viewport.
    let canonical = format!("/directory/listings/{slug}\">");
    assert!(
        html.contains("<link rel=\"canonical\" href=\"http://") && html.contains(&canonical),
        "{html}"
    );
    assert!(html.contains("<meta property=\"og:title\""), "{html}");
    assert!(html.contains("<meta name=\"viewport\""), "{html}");
    let ld_start = html.find("application/ld+json\">").unwrap() + "application/ld+json\">".len();
    let ld_end = ld_start + html[ld_start..].find("</script>").unwrap();
    let ld: serde_json::Value = serde_json::from_str(&html[ld_start..ld_end]).unwrap();
    assert_eq!(ld["@type"], "Organization");
    assert_eq!(ld["name"], "Fabrikam </script><b>Partners</b>");
    assert_eq!(ld["knowsAbout"], json!(["Data Migration"]));
    // The category has its own page; the home page offers it; the sitemap lists all three.
    let cat = app
        .http
        .page("/directory/categories/data-migration", "")
        .await;
    assert_eq!(cat.status, StatusCode::OK);
    assert!(cat.text().contains(slug), "{}", cat.text());
    let home = app.http.page("/directory", "").await;
    assert!(
        home.text().contains("/directory/categories/data-migration"),
        "{}",
        home.text()
    );
    assert!(home.text().contains("role=\"search\""));
    let sitemap = app.http.page("/sitemap.xml", "").await;
    assert_eq!(sitemap.status, StatusCode::OK);
    assert!(
        sitemap
            .header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = sitemap.text();
    assert!(
        xml.contains(&format!("/directory/listings/{slug}</loc>")),
        "{xml}"
    );
    assert!(
        xml.contains("/directory/categories/data-migration</loc>"),
        "{xml}"
    );
    // A draft of another partner is in none of them.
    let d = draft(
        &app,
        &w.b,
        &listing_body("Hidden Draft Co", &["Secret"], json!({})),
    )
    .await;
    for path in [
        "/directory",
        "/sitemap.xml",
        "/directory/categories/secret",
        "/directory?q=hidden",
    ] {
        let t = app.http.page(path, "").await.text();
        assert!(
            !t.contains("Hidden Draft") && !t.contains(d["slug"].as_str().unwrap()),
            "{path}: {t}"
        );
    }
}

async fn listings_follow_the_rules_of_their_partner(app: TestApp) {
    let w = app.world().await;
    // Integrations are for technology partners.
    let body = listing_body(
        "Acme Connector",
        &["Integration"],
        json!({"kind": "integration"}),
    );
    let r = app
        .http
        .post("/api/v1/directory/listings", &w.a.admin_token, &body)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["kind:technology_partner"]);
    let r = app
        .http
        .patch(
            &format!("/api/v1/partners/{}", w.a.partner.id),
            &w.admin,
            &json!({"partner_type": "technology"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let l = draft(&app, &w.a, &body).await;
    assert_eq!(l["kind"], "integration");
    // A partner writes only its own listings; staff name the partner.
    let mut theirs = body.clone();
    theirs["partner_id"] = json!(w.b.partner.id.to_string());
    let r = app
        .http
        .post("/api/v1/directory/listings", &w.a.admin_token, &theirs)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut staff = listing_body("Beta by the vendor", &["Services"], json!({}));
    staff["partner_id"] = json!(w.b.partner.id.to_string());
    let r = app
        .http
        .post("/api/v1/directory/listings", &w.channel, &staff)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let b_listing = r.json()["id"].as_str().unwrap().to_owned();
    // Sales staff moderate nothing.
    let r = app
        .http
        .post(
            &format!("/api/v1/directory/listings/{b_listing}/verify"),
            &w.sales,
            &json!({"verified": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A's list is A's alone; B's draft is 404 to A.
    let mine = app
        .http
        .get("/api/v1/directory/listings", &w.a.rep_token)
        .await
        .json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let r = app
        .http
        .get(
            &format!("/api/v1/directory/listings/{b_listing}"),
            &w.a.admin_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Changing keeps what is not sent; bad fields are named.
    let id = l["id"].as_str().unwrap();
    let r = app
        .http
        .patch(
            &format!("/api/v1/directory/listings/{id}"),
            &w.a.admin_token,
            &json!({"summary": "Sync orders both ways", "website": "ftp://x", "languages": ["english"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut rules = r.problem_rules();
    rules.sort();
    assert_eq!(rules, vec!["languages:max_length", "website:url"]);
    let r = app
        .http
        .patch(
            &format!("/api/v1/directory/listings/{id}"),
            &w.a.admin_token,
            &json!({"summary": "Sync orders both ways"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["summary"], "Sync orders both ways");
    assert_eq!(r.json()["title"], "Acme Connector");
}
