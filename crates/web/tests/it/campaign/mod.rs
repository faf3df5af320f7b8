//! Through-partner campaigns: a template authored and published, a partner's launch, the
//! public landing page and its lead form (escaping, honeypot, flood limits), a lead made a
//! registration, and the campaign's results.

mod api;
mod browser;

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Side, TestApp, World};

/// A published template in the world's program (or `program`).
pub(crate) async fn published_template(app: &TestApp, w: &World, program: &str) -> String {
    let r = app
        .http
        .post(
            "/api/v1/campaign-templates",
            &w.admin,
            &json!({
                "program_id": program,
                "name": "Spring security webinar",
                "email_subject": "{{partner_name}} invites you: zero-trust in practice",
                "email_body": "Hello,\n\n**{{partner_name}}** and Vendor show zero-trust in practice. {{offer}}.\n\n{{contact_name}}, {{contact_email}}",
                "landing_title": "Zero-trust in practice, with {{partner_name}}",
                "landing_body": "{{partner_logo}}\n\n## What you get\n\n- A 45-minute live demo\n- **{{offer}}**\n\nAsk {{contact_name}} ({{contact_email}}).",
                "default_offer": "A free architecture review"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/campaign-templates/{id}/publish"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id
}

/// `side` launches a campaign from `template`; returns the campaign.
pub(crate) async fn launched(app: &TestApp, side: &Side, template: &str, offer: &str) -> Value {
    let r = app
        .http
        .post(
            "/api/v1/campaigns",
            &side.admin_token,
            &json!({"template_id": template, "name": format!("{} spring webinar", side.partner.name),
                    "offer": offer, "contact_name": "Grace Hopper", "contact_email": "grace@partner.example"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

/// Posts the landing page's lead form as a browser would (cookie and token from the page).
pub(crate) async fn submit_lead(
    app: &TestApp,
    slug: &str,
    fields: &[(&str, &str)],
) -> crate::http::Answer {
    let page = app.http.page(&format!("/c/{slug}"), "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let cookie = page
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_public_csrf="))
        .expect("the form's cookie");
    let token = crate::session::csrf_of(&page.text());
    let mut all = vec![("_csrf", token.as_str())];
    all.extend_from_slice(fields);
    app.http
        .form(&format!("/c/{slug}"), &cookie, &all, &[])
        .await
}

/// B's campaign with one lead, for the isolation suite: (campaign id, lead id).
pub(crate) async fn campaign_with_lead(
    app: &TestApp,
    w: &World,
    side: &Side,
    program: &str,
) -> (String, String) {
    let template = published_template(app, w, program).await;
    let c = launched(app, side, &template, "20% off the first year").await;
    let slug = c["slug"].as_str().unwrap();
    let r = submit_lead(
        app,
        slug,
        &[
            ("name", "Linus"),
            ("email", "linus@globex.example"),
            ("company", "Globex"),
            ("country", "FI"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = c["id"].as_str().unwrap().to_owned();
    let leads = app
        .http
        .get(&format!("/api/v1/campaigns/{id}/leads"), &side.admin_token)
        .await
        .json();
    (id, leads[0]["id"].as_str().unwrap().to_owned())
}
