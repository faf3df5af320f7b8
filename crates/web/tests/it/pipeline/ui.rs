//! The pipeline pages over plain HTTP: the console's list, board, forecast, opportunity page
//! and rate table, a refusal shown beside its form, and the partner's own pages.

use hyper::StatusCode;
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both;
use crate::session::*;

on_both!(console_and_portal_pages);

async fn console_and_portal_pages(app: TestApp) {
    let w = app.world().await;
    // A's deal, approved: a partner-sourced opportunity.
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Initech", "web_domain": "initech.example", "country": "US"},
                    "title": "Initech TPS rollout", "estimated_arr_minor": 48_000_00}),
        )
        .await;
    let rid = r.json()["id"].as_str().unwrap().to_owned();
    let approved = app
        .http
        .post(
            &format!("/api/v1/registrations/{rid}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    let oid = approved.json()["opportunity_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (session, csrf) = vendor_session(&app, &w).await;
    let program = format!("program_id={}", w.program.id);
    let list = app
        .http
        .page(&format!("/console/pipeline?{program}"), &session)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.text().contains("Initech TPS rollout"),
        "{}",
        list.text()
    );
    let board = app
        .http
        .page(&format!("/console/pipeline/board?{program}"), &session)
        .await;
    assert_eq!(board.status, StatusCode::OK);
    let html = board.text();
    assert!(
        html.contains("Target account") && html.contains("USD 48,000.00"),
        "{html}"
    );
    let forecast = app
        .http
        .page(&format!("/console/pipeline/forecast?{program}"), &session)
        .await;
    assert_eq!(forecast.status, StatusCode::OK);
    assert!(
        forecast.text().contains("USD 2,400.00"),
        "5% of 48,000: {}",
        forecast.text()
    );
    let bad = app
        .http
        .page("/console/pipeline?close_month=someday", &session)
        .await;
    assert!(bad.text().contains("close_month"), "{}", bad.text());

    // Moving and a refusal beside the close form.
    let page = format!("/console/opportunities/{oid}");
    let moved = app
        .http
        .form(
            &format!("{page}/stage"),
            &session,
            &[("_csrf", &csrf), ("stage", "handoff")],
            &[],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.text());
    let shown = app.http.page(&format!("{page}?done=stage"), &session).await;
    assert!(shown.text().contains("Stage changed.") && shown.text().contains("Handoff"));
    let refused = app
        .http
        .form(
            &format!("{page}/close"),
            &session,
            &[
                ("_csrf", &csrf),
                ("outcome", "lost"),
                ("close_on", "2026-01-01"),
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.text().contains("closing lost needs a reason"),
        "{}",
        refused.text()
    );
    // A rate through the form, and a CSV with a bad row.
    let saved = app
        .http
        .form(
            "/console/fx-rates",
            &session,
            &[
                ("_csrf", &csrf),
                ("from", "EUR"),
                ("to", "USD"),
                ("effective_on", "2026-01-01"),
                ("rate", "1.0850"),
            ],
            &[],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let rates = app.http.page("/console/fx-rates", &session).await;
    assert!(rates.text().contains("1.085"), "{}", rates.text());
    let import = app
        .http
        .form(
            "/console/fx-rates/import",
            &session,
            &[
                ("_csrf", &csrf),
                ("csv", "from,to,effective_on,rate\nGBP,USD,2026-01-01,x\n"),
            ],
            &[],
        )
        .await;
    assert_eq!(import.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(import.text().contains("rows[1].rate"), "{}", import.text());

    // The partner's side: its list and page, a touchpoint, no reopen.
    set_password(&app, &w.a.rep).await;
    let (psession, pcsrf) = partner_session(&app, &w.a.rep).await;
    let plist = app.http.page("/portal/opportunities", &psession).await;
    assert_eq!(plist.status, StatusCode::OK);
    assert!(plist.text().contains("Initech TPS rollout"));
    let ppage = format!("/portal/opportunities/{oid}");
    let logged = app
        .http
        .form(
            &format!("{ppage}/touchpoints"),
            &psession,
            &[
                ("_csrf", &pcsrf),
                ("kind", "demo"),
                ("notes", "Demo for the CFO"),
            ],
            &[],
        )
        .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.text());
    let shown = app.http.page(&ppage, &psession).await;
    assert!(shown.text().contains("Demo for the CFO"));
    assert!(!shown.text().contains("reopen-form"));
    let unknown = app
        .http
        .form(
            &format!("{ppage}/explode"),
            &psession,
            &[("_csrf", &pcsrf)],
            &[],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
