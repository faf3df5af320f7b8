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
    let bad = app
        .http
        .form(
            &format!("/console/business-plans/{pid}/content"),
            &session,
            &[("_csrf", &csrf), ("content", "{\"milestones\": 3}")],
            &[],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text().contains("content is not a plan in JSON"),
        "{}",
        bad.text()
    );
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
