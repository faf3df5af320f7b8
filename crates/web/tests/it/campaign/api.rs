//! Campaigns through the API and the public page, on both databases.

use chrono::Utc;
use hyper::StatusCode;
use serde_json::{Value, json};

use super::{launched, published_template, submit_lead};
use crate::harness::TestApp;
use crate::on_both;

on_both!(
    template_to_launch_to_lead_to_registration_to_won,
    the_lead_form_resists_bots_floods_and_bad_input,
    templates_are_the_vendors_and_versions_leave_launches_alone,
    a_funded_campaigns_lead_is_a_touchpoint_and_counts_in_mdf_roi,
);

fn ok(r: &crate::http::Answer) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn template_to_launch_to_lead_to_registration_to_won(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let template = published_template(&app, &w, &program).await;

    // The partner sees the published template and launches it with its own offer; its
    // text carries markup, which the public page shows as text.
    let seen = ok(&app
        .http
        .get("/api/v1/campaign-templates", &w.a.rep_token)
        .await);
    assert_eq!(seen.as_array().unwrap().len(), 1, "{seen}");
    let c = launched(&app, &w.a, &template, "<script>alert('x')</script> 20% off").await;
    assert_eq!(c["status"], "live");
    assert_eq!(c["template_version"], 1);
    let slug = c["slug"].as_str().unwrap().to_owned();
    let id = c["id"].as_str().unwrap().to_owned();
    let page = app.http.page(&format!("/c/{slug}"), "").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("Zero-trust in practice, with Alpha"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 20% off"),
        "{html}"
    );
    assert!(
        !html.contains("<script>alert"),
        "partner text became markup: {html}"
    );
    assert!(html.contains("Grace Hopper"));

    // A visitor's lead.
    let r = submit_lead(
        &app,
        &slug,
        &[
            ("name", "Linus"),
            ("email", "linus@globex.example"),
            ("company", "Globex"),
            ("country", "fi"),
            ("message", "Call me"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(r.text().contains("Thank you"));
    let leads = ok(&app
        .http
        .get(&format!("/api/v1/campaigns/{id}/leads"), &w.a.rep_token)
        .await);
    let lead = leads[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(leads[0]["country"], "FI");
    assert_eq!(leads[0]["partner_id"], w.a.partner.id.to_string());

    // One step to a registration; a second is refused naming the rule.
    let r = app
        .http
        .post(
            &format!("/api/v1/campaign-leads/{lead}/registration"),
            &w.a.rep_token,
            &json!({}),
        )
        .await;
    assert_eq!(
        r.problem_rules(),
        ["estimated_arr_minor:required"],
        "{}",
        r.text()
    );
    let r = app
        .http
        .post(
            &format!("/api/v1/campaign-leads/{lead}/registration"),
            &w.a.rep_token,
            &json!({"estimated_arr_minor": 40_000_00}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let reg = r.json();
    assert_eq!(reg["account_name"], "Globex", "{reg}");
    let reg_id = reg["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/campaign-leads/{lead}/registration"),
            &w.a.rep_token,
            &json!({"estimated_arr_minor": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.problem_rules(), ["lead_id:lead.registered"]);

    // Approved, priced and won: the report follows.
    let approved = ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{reg_id}/approve"),
            &w.channel,
            &json!({}),
        )
        .await);
    let opp = approved["opportunity_id"].as_str().unwrap().to_owned();
    ok(&app
        .http
        .patch(
            &format!("/api/v1/opportunities/{opp}"),
            &w.channel,
            &json!({"amount_minor": 40_000_00, "currency": "USD"}),
        )
        .await);
    let report = ok(&app
        .http
        .get(&format!("/api/v1/campaigns/{id}/report"), &w.a.rep_token)
        .await);
    assert_eq!(
        (report["leads"].as_i64(), report["registrations"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["opportunities"], 1);
    assert_eq!(report["pipeline_minor"], 40_000_00);
    assert_eq!(report["won_minor"], 0);
    assert!(report["views"].as_i64().unwrap() >= 2, "{report}");
    ok(&app
        .http
        .post(
            &format!("/api/v1/opportunities/{opp}/close"),
            &w.channel,
            &json!({"outcome": "won", "close_on": Utc::now().date_naive().to_string()}),
        )
        .await);
    let report = ok(&app
        .http
        .get(&format!("/api/v1/campaigns/{id}/report"), &w.channel)
        .await);
    assert_eq!(
        (
            report["pipeline_minor"].as_i64(),
            report["won_minor"].as_i64()
        ),
        (Some(0), Some(40_000_00))
    );

    // The launch and the registration are A's engagement signals.
    let counts = app.store.engagement_counts(&w.a.partner.id).await.unwrap();
    assert_eq!(counts.get("campaign_launched"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("registration_submitted"), Some(&1), "{counts:?}");

    // Ended: the page says so and takes nothing more.
    let ended = ok(&app
        .http
        .post(
            &format!("/api/v1/campaigns/{id}/end"),
            &w.a.admin_token,
            &json!({}),
        )
        .await);
    assert_eq!(ended["status"], "ended");
    let page = app.http.page(&format!("/c/{slug}"), "").await.text();
    assert!(page.contains("This campaign has ended"), "{page}");
    assert!(!page.contains("lead-form"));
}

async fn the_lead_form_resists_bots_floods_and_bad_input(app: TestApp) {
    let w = app.world().await;
    let template = published_template(&app, &w, &w.program.id.to_string()).await;
    let c = launched(&app, &w.a, &template, "A free review").await;
    let slug = c["slug"].as_str().unwrap().to_owned();
    let id = c["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/campaigns/{id}/leads");
    let count = async |app: &TestApp| {
        app.http
            .get(&path, &w.a.rep_token)
            .await
            .json()
            .as_array()
            .unwrap()
            .len()
    };
    // Bad input: the page names each field, nothing is stored.
    let r = submit_lead(
        &app,
        &slug,
        &[
            ("name", ""),
            ("email", "nope"),
            ("company", "X"),
            ("country", "ZZ"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("id=\"name-error\">This field is required"),
        "{html}"
    );
    assert!(
        html.contains("id=\"email-error\">Must be an e-mail address"),
        "{html}"
    );
    assert!(html.contains("id=\"country-error\">"), "{html}");
    assert_eq!(count(&app).await, 0);
    // A bot fills the honeypot: it is thanked, and nothing is stored.
    let lead = [
        ("name", "Bot"),
        ("email", "bot@spam.example"),
        ("company", "Spam"),
        ("country", "US"),
    ];
    let mut with_honeypot = lead.to_vec();
    with_honeypot.push(("website", "http://spam.example"));
    let r = submit_lead(&app, &slug, &with_honeypot).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.text().contains("Thank you"));
    assert_eq!(count(&app).await, 0);
    // Without the page's token: refused.
    let r = app.http.form(&format!("/c/{slug}"), "", &lead, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Five from one address in ten minutes, then the sixth waits.
    for n in 0..5 {
        let r = submit_lead(&app, &slug, &lead).await;
        assert_eq!(r.status, StatusCode::CREATED, "lead {n}: {}", r.text());
    }
    let r = submit_lead(&app, &slug, &lead).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.text().contains("try again in"), "{}", r.text());
    assert_eq!(count(&app).await, 5);
    // An unknown page is a plain 404.
    let r = app.http.page("/c/0123456789abcdef01234567", "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn templates_are_the_vendors_and_versions_leave_launches_alone(app: TestApp) {
    let w = app.world().await;
    // Partners do not author templates; bad input names the fields.
    let r = app
        .http
        .post(
            "/api/v1/campaign-templates",
            &w.a.admin_token,
            &json!({"program_id": w.program.id, "name": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app
        .http
        .post(
            "/api/v1/campaign-templates",
            &w.admin,
            &json!({"program_id": w.program.id, "name": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.problem_rules(),
        [
            "email_subject:required",
            "email_body:required",
            "landing_title:required",
            "landing_body:required",
            "default_offer:required"
        ]
    );
    // A draft is invisible to partners and cannot be launched.
    let r = app
        .http
        .post(
            "/api/v1/campaign-templates",
            &w.admin,
            &json!({"program_id": w.program.id, "name": "Draft", "email_subject": "s", "email_body": "b",
                    "landing_title": "t", "landing_body": "b", "default_offer": "o"}),
        )
        .await;
    let draft = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .get(
            &format!("/api/v1/campaign-templates/{draft}"),
            &w.a.rep_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .http
        .post("/api/v1/campaigns", &w.a.rep_token, &json!({"template_id": draft, "name": "n", "contact_name": "c", "contact_email": "c@a.example"}))
        .await;
    assert_eq!(r.problem_rules(), ["template_id:exists"], "{}", r.text());

    // A new version of a published template leaves the launched campaign's page as it was.
    let template = published_template(&app, &w, &w.program.id.to_string()).await;
    let c = launched(&app, &w.a, &template, "A free review").await;
    let t2 = ok(&app
        .http
        .patch(
            &format!("/api/v1/campaign-templates/{template}"),
            &w.admin,
            &json!({"landing_title": "Brand new title for {{partner_name}}"}),
        )
        .await);
    assert_eq!(t2["version"], 2);
    let page = app
        .http
        .page(&format!("/c/{}", c["slug"].as_str().unwrap()), "")
        .await
        .text();
    assert!(
        page.contains("Zero-trust in practice, with Alpha"),
        "{page}"
    );
    assert!(!page.contains("Brand new title"));
    let c2 = launched(&app, &w.a, &template, "A free review").await;
    assert_eq!(c2["template_version"], 2);
    // Retired: no new launches.
    ok(&app
        .http
        .post(
            &format!("/api/v1/campaign-templates/{template}/retire"),
            &w.admin,
            &json!({}),
        )
        .await);
    let r = app
        .http
        .post("/api/v1/campaigns", &w.a.rep_token, &json!({"template_id": template, "name": "n", "contact_name": "c", "contact_email": "c@a.example"}))
        .await;
    assert_eq!(r.problem_rules(), ["template_id:exists"]);
    // Partner B (another program) never sees A's program's templates.
    let seen = ok(&app
        .http
        .get("/api/v1/campaign-templates", &w.b.rep_token)
        .await);
    assert_eq!(seen.as_array().unwrap().len(), 0, "{seen}");
}

/// A request of `side` against `allocation` of `kind`, optionally approved; returns its id.
async fn mdf_request(
    app: &TestApp,
    w: &crate::harness::World,
    side: &crate::harness::Side,
    allocation: &str,
    kind: &str,
    approve: bool,
) -> String {
    let mut body =
        crate::mdf::request_body(allocation, &format!("{kind} for the campaign"), 1_000_00);
    body["activity_type"] = json!(kind);
    let r = app
        .http
        .post("/api/v1/mdf-requests", &side.rep_token, &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["request"]["id"].as_str().unwrap().to_owned();
    if approve {
        ok(&app
            .http
            .post(
                &format!("/api/v1/mdf-requests/{id}/approve"),
                &w.channel,
                &json!({}),
            )
            .await);
    }
    id
}

async fn a_funded_campaigns_lead_is_a_touchpoint_and_counts_in_mdf_roi(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let template = published_template(&app, &w, &program).await;
    let budget = crate::mdf::budget(&app, &w, &program, 50_000_00).await;
    let mine =
        crate::mdf::allocate(&app, &w, &budget, &w.a.partner.id.to_string(), 10_000_00).await;
    let their_budget =
        crate::mdf::budget(&app, &w, &w.other_program.id.to_string(), 50_000_00).await;
    let theirs = crate::mdf::allocate(
        &app,
        &w,
        &their_budget,
        &w.b.partner.id.to_string(),
        10_000_00,
    )
    .await;
    let funding = mdf_request(&app, &w, &w.a, &mine, "paid_media", true).await;
    let event = mdf_request(&app, &w, &w.a, &mine, "event", true).await;
    let waiting = mdf_request(&app, &w, &w.a, &mine, "campaign", false).await;
    let other = mdf_request(&app, &w, &w.b, &theirs, "campaign", true).await;

    // Only the partner's own approved marketing request funds a campaign.
    let launch = |request: &str| {
        json!({"template_id": template, "name": "Funded webinar", "contact_name": "Grace Hopper",
               "contact_email": "grace@partner.example", "mdf_request_id": request})
    };
    for (request, rule) in [
        (&event, "mdf_request_id:mdf.not_a_campaign_activity"),
        (&waiting, "mdf_request_id:mdf.request_not_approved"),
        (&other, "mdf_request_id:exists"),
    ] {
        let r = app
            .http
            .post("/api/v1/campaigns", &w.a.admin_token, &launch(request))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.problem_rules(), [rule], "{}", r.text());
    }
    // The portal offers exactly the request that may fund a campaign.
    crate::session::set_password(&app, &w.a.admin).await;
    let (session, _) = crate::session::partner_session(&app, &w.a.admin).await;
    let page = app.http.page("/portal/campaigns", &session).await.text();
    assert!(page.contains(&format!("value=\"{funding}\"")), "{page}");
    assert!(!page.contains(&format!("value=\"{event}\"")), "{page}");
    assert!(!page.contains(&format!("value=\"{other}\"")), "{page}");

    let r = app
        .http
        .post("/api/v1/campaigns", &w.a.admin_token, &launch(&funding))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let c = r.json();
    assert_eq!(c["mdf_request_id"], funding.as_str());
    let id = c["id"].as_str().unwrap();
    let r = submit_lead(
        &app,
        c["slug"].as_str().unwrap(),
        &[
            ("name", "Margaret"),
            ("email", "margaret@initech.example"),
            ("company", "Initech"),
            ("country", "US"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let leads = ok(&app
        .http
        .get(&format!("/api/v1/campaigns/{id}/leads"), &w.a.rep_token)
        .await);
    let lead = leads[0]["id"].as_str().unwrap();
    let r = app
        .http
        .post(
            &format!("/api/v1/campaign-leads/{lead}/registration"),
            &w.a.rep_token,
            &json!({"estimated_arr_minor": 25_000_00}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let reg = r.json()["id"].as_str().unwrap().to_owned();

    // Until the registration opens a deal there is nothing to attribute.
    let roi = ok(&app.http.get("/api/v1/mdf-roi", &w.finance).await);
    assert_eq!(roi["activities"], json!([]), "{roi}");

    let approved = ok(&app
        .http
        .post(
            &format!("/api/v1/registrations/{reg}/approve"),
            &w.channel,
            &json!({}),
        )
        .await);
    let opp = approved["opportunity_id"].as_str().unwrap().to_owned();

    // The partner's campaign lead is its touchpoint, dated when the lead came in.
    let touchpoints = ok(&app
        .http
        .get(
            &format!("/api/v1/opportunities/{opp}/touchpoints"),
            &w.a.rep_token,
        )
        .await);
    let t = touchpoints.as_array().unwrap();
    assert_eq!(t.len(), 1, "{touchpoints}");
    assert_eq!(t[0]["kind"], "campaign_lead");
    assert_eq!(t[0]["partner_id"], w.a.partner.id.to_string());
    assert_eq!(t[0]["occurred_at"], leads[0]["created_at"], "{touchpoints}");
    assert_eq!(t[0]["late"], false);

    // The funding request has the deal; once won it counts in the activity's ROI, which
    // the partner reads too.
    let detail = ok(&app
        .http
        .get(&format!("/api/v1/mdf-requests/{funding}"), &w.a.rep_token)
        .await);
    assert_eq!(detail["opportunity_ids"], json!([opp]), "{detail}");
    ok(&app
        .http
        .patch(
            &format!("/api/v1/opportunities/{opp}"),
            &w.channel,
            &json!({"amount_minor": 25_000_00, "currency": "USD"}),
        )
        .await);
    ok(&app
        .http
        .post(
            &format!("/api/v1/opportunities/{opp}/close"),
            &w.channel,
            &json!({"outcome": "won", "close_on": Utc::now().date_naive().to_string()}),
        )
        .await);
    for token in [&w.finance, &w.a.admin_token] {
        let roi = ok(&app.http.get("/api/v1/mdf-roi", token).await);
        let rows = roi["activities"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{roi}");
        assert_eq!(rows[0]["key"], funding.as_str());
        assert_eq!(rows[0]["won_deals"], 1);
        assert_eq!(
            rows[0]["won_revenue"]["amount_minor"].as_i64().unwrap(),
            25_000_00,
            "{roi}"
        );
    }
    let roi = ok(&app.http.get("/api/v1/mdf-roi", &w.b.admin_token).await);
    assert_eq!(roi["activities"], json!([]), "{roi}");
}
