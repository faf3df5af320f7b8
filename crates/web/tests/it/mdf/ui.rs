//! MDF pages over plain HTTP: a request beyond the allocation refused on the portal form
//! with the remaining balance, a good one submitted; the console's queue, an approval above
//! the plan refused beside its form, then approved; a budget form with its errors named.

use hyper::StatusCode;

use super::{allocate, budget, today};
use crate::harness::TestApp;
use crate::on_both;
use crate::session::*;

on_both!(mdf_pages);

async fn mdf_pages(app: TestApp) {
    let w = app.world().await;
    let b = budget(&app, &w, &w.program.id.to_string(), 50_000_00).await;
    let alloc = allocate(&app, &w, &b, &w.a.partner.id.to_string(), 10_000_00).await;
    set_password(&app, &w.a.rep).await;
    let (rep, rep_csrf) = partner_session(&app, &w.a.rep).await;
    let portal = app.http.page("/portal/mdf", &rep).await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(portal.text().contains("USD 10,000.00"), "{}", portal.text());
    let starts = today().to_string();
    let request = |planned: &'static str| {
        let starts = starts.clone();
        let alloc = alloc.clone();
        let csrf = rep_csrf.clone();
        move || {
            vec![
                ("_csrf".to_owned(), csrf.clone()),
                ("allocation_id".to_owned(), alloc.clone()),
                ("activity_type".to_owned(), "campaign".to_owned()),
                ("title".to_owned(), "Spring e-mail campaign".to_owned()),
                ("planned_minor".to_owned(), planned.to_owned()),
                ("starts_on".to_owned(), starts.clone()),
                ("ends_on".to_owned(), starts.clone()),
                ("expected_leads".to_owned(), "25".to_owned()),
            ]
        }
    };
    let fields = request("12,000.00")();
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = app
        .http
        .form("/portal/mdf/requests", &rep, &refs, &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(
        r.text().contains("USD 10,000.00 remaining"),
        "the refusal names the balance: {}",
        r.text()
    );
    let fields = request("4,000.00")();
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = app
        .http
        .form("/portal/mdf/requests", &rep, &refs, &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let portal = app.http.page("/portal/mdf?done=submit", &rep).await.text();
    assert!(
        portal.contains("Spring e-mail campaign") && portal.contains("USD 6,000.00"),
        "{portal}"
    );

    // The console: the queue, an approval above the plan refused, then approved.
    let (staff, csrf) = vendor_session(&app, &w).await;
    let console = app.http.page("/console/mdf", &staff).await;
    assert_eq!(console.status, StatusCode::OK);
    let html = console.text();
    assert!(html.contains("Spring e-mail campaign"), "{html}");
    let id = html
        .split("/console/mdf/requests/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let path = format!("/console/mdf/requests/{id}/approve");
    let r = app
        .http
        .form(
            &path,
            &staff,
            &[
                ("_csrf", &csrf),
                ("approved_minor", "4,000.01"),
                ("reason", "x"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(
        r.text().contains("at most the planned cost"),
        "{}",
        r.text()
    );
    let r = app.http.form(&path, &staff, &[("_csrf", &csrf)], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app
        .http
        .page(&format!("/console/mdf/requests/{id}"), &staff)
        .await
        .text();
    assert!(page.contains("id=\"request-state\">Approved"), "{page}");
    // The partner reads the decision and the claim form on its side.
    let mine = app
        .http
        .page(&format!("/portal/mdf/requests/{id}"), &rep)
        .await
        .text();
    assert!(mine.contains("claim-form"), "{mine}");

    // A budget form with errors names them beside the fields.
    let r = app
        .http
        .form(
            "/console/mdf/budgets",
            &staff,
            &[
                ("_csrf", &csrf),
                ("program_id", &w.program.id.to_string()),
                ("name", ""),
                ("amount_minor", "lots"),
                ("period_start", "2026-12-31"),
                ("period_end", "2026-01-01"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("amount_minor-error"), "{}", r.text());
    let roi = app.http.page("/console/mdf/roi", &staff).await;
    assert_eq!(roi.status, StatusCode::OK);

    // An allocation funds a plan's marketing commitment chosen from a list, not typed ids.
    let month = format!("{}", today().format("%Y-%m-01"));
    let r = app
        .http
        .post(
            "/api/v1/business-plans",
            &w.channel,
            &serde_json::json!({"partner_id": w.a.partner.id.to_string(), "title": "Alpha FY plan", "period_start": month,
                    "content": {"marketing": [
                        {"kind": "event", "title": "Joint roadshow", "on": month},
                        {"kind": "co_branded_content", "title": "Migration guide", "on": month}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let plan = r.json()["id"].as_str().unwrap().to_owned();
    let page = app.http.page("/console/mdf", &staff).await.text();
    let choice = format!("{plan}:1");
    assert!(page.contains(&format!("value=\"{choice}\"")), "{page}");
    assert!(page.contains("Alpha FY plan — Migration guide"), "{page}");
    let r = app
        .http
        .form(
            "/console/mdf/allocations",
            &staff,
            &[
                ("_csrf", &csrf),
                ("budget_id", &b),
                ("partner_id", &w.a.partner.id.to_string()),
                ("amount_minor", "1000"),
                ("commitment", &choice),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let allocations = app
        .http
        .get("/api/v1/mdf-allocations", &w.channel)
        .await
        .json();
    let funded: Vec<&serde_json::Value> = allocations["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["business_plan_id"] == plan.as_str())
        .collect();
    assert_eq!(funded.len(), 1, "{allocations}");
    assert_eq!(funded[0]["marketing_index"], 1);
}
