//! Business plan pages over plain HTTP: the console's list and plan, a bad JSON edit named
//! beside its form, and the partner's admin signing in the portal.

use hyper::StatusCode;
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both;
use crate::session::*;

on_both!(plan_pages);

async fn plan_pages(app: TestApp) {
    let w = app.world().await;
    let r = app
        .http
        .post(
            "/api/v1/business-plans",
            &w.channel,
            &json!({"partner_id": w.a.partner.id.to_string(), "title": "Alpha FY27", "period_start": "2027-01-01",
                    "content": {"milestones": [{"quarter": 1, "sourced_arr_minor": 50_000_00}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let pid = r.json()["id"].as_str().unwrap().to_owned();
    let (session, csrf) = vendor_session(&app, &w).await;
    let list = app.http.page("/console/business-plans", &session).await;
    assert!(list.text().contains("Alpha FY27"));
    let page = app
        .http
        .page(&format!("/console/business-plans/{pid}"), &session)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("USD 50,000.00") && page.text().contains("Not started"),
        "{}",
        page.text()
    );
    // The content form: a bad amount and a commitment without a date are named beside
    // their fields, and what was typed comes back.
    let page_text = page.text();
    assert!(
        page_text.contains("name=\"milestone_q1\" id=\"milestone_q1\" value=\"50000.00\""),
        "{page_text}"
    );
    let bad = app
        .http
        .form(
            &format!("/console/business-plans/{pid}/content"),
            &session,
            &[
                ("_csrf", &csrf),
                ("milestone_q1", "lots"),
                ("activity_demo_q2", "-1"),
                ("marketing_kind_0", "event"),
                ("marketing_title_0", "Joint roadshow"),
                ("marketing_on_0", ""),
                ("monthly_pipeline_review", "on"),
            ],
            &[],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text();
    assert!(text.contains("milestone_q1 must be an amount"), "{text}");
    assert!(
        text.contains("activity_demo_q2 must be a whole number of demos"),
        "{text}"
    );
    assert!(
        text.contains("marketing_on_0 must be a date (YYYY-MM-DD) for &quot;Joint roadshow&quot;")
            || text.contains(
                "marketing_on_0 must be a date (YYYY-MM-DD) for &#34;Joint roadshow&#34;"
            ),
        "{text}"
    );
    assert!(
        text.contains("value=\"lots\""),
        "the typed value comes back"
    );
    // A good one: Q1 and Q2 milestones, demos, one commitment, the monthly review only.
    let good = app
        .http
        .form(
            &format!("/console/business-plans/{pid}/content"),
            &session,
            &[
                ("_csrf", &csrf),
                ("milestone_q1", "60,000.00"),
                ("milestone_q2", "75000"),
                ("activity_demo_q1", "4"),
                ("marketing_kind_0", "outbound_campaign"),
                ("marketing_title_0", "Spring outbound"),
                ("marketing_on_0", "2027-02-10"),
                ("marketing_title_1", ""),
                ("marketing_on_1", ""),
                ("monthly_pipeline_review", "on"),
            ],
            &[],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.text());
    let saved = app
        .http
        .get(&format!("/api/v1/business-plans/{pid}"), &w.channel)
        .await
        .json();
    let c = &saved["content"];
    assert_eq!(c["milestones"][0]["sourced_arr_minor"], 60_000_00);
    assert_eq!(c["milestones"][1]["sourced_arr_minor"], 75_000_00);
    assert_eq!(c["activities"][0]["kind"], "demo");
    assert_eq!(c["activities"][0]["count"], 4);
    assert_eq!(c["marketing"][0]["title"], "Spring outbound");
    assert_eq!(c["cadence"]["monthly_pipeline_review"], true);
    assert_eq!(c["cadence"]["quarterly_business_review"], false);
    // A review whose next step the channel manager gives to A's rep.
    let page = app
        .http
        .page(&format!("/console/business-plans/{pid}"), &session)
        .await
        .text();
    assert!(
        page.contains(&format!("<option value=\"{}\">", w.a.rep.id)),
        "the rep may own next steps: {page}"
    );
    let recorded = app
        .http
        .form(
            &format!("/console/business-plans/{pid}/review"),
            &session,
            &[
                ("_csrf", &csrf),
                ("kind", "monthly_pipeline_review"),
                ("held_on", &chrono::Utc::now().date_naive().to_string()),
                ("attendees", "Ana (Alpha)\nCory (vendor)"),
                ("next_steps", "Send the target list"),
                ("next_step_owner_id", &w.a.rep.id.to_string()),
            ],
            &[],
        )
        .await;
    assert_eq!(
        recorded.status,
        StatusCode::SEE_OTHER,
        "{}",
        recorded.text()
    );
    let tasks = app
        .http
        .get(&format!("/api/v1/business-plans/{pid}/tasks"), &w.channel)
        .await
        .json();
    assert_eq!(tasks[0]["title"], "Send the target list");
    assert_eq!(tasks[0]["owner_id"], w.a.rep.id.to_string());
    set_password(&app, &w.a.admin).await;
    let (psession, pcsrf) = partner_session(&app, &w.a.admin).await;
    let plist = app.http.page("/portal/business-plans", &psession).await;
    assert!(plist.text().contains("Alpha FY27"));
    let signed = app
        .http
        .form(
            &format!("/portal/business-plans/{pid}/sign"),
            &psession,
            &[("_csrf", &pcsrf)],
            &[],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text());
    let shown = app
        .http
        .page(
            &format!("/portal/business-plans/{pid}?done=sign"),
            &psession,
        )
        .await;
    assert!(shown.text().contains("Signed."));
}
