//! Directory pages over plain HTTP: a partner's admin writes a listing in the portal (bad
//! fields named beside their inputs, the Markdown previewed sanitised) and submits it into
//! a curated program's queue; the vendor decides the program's mode from the tree's
//! questions, approves and verifies in the console; the public page then shows the badge.

use hyper::StatusCode;

use crate::harness::TestApp;
use crate::on_both;
use crate::session::*;

on_both!(directory_pages);

fn location(r: &crate::http::Answer) -> String {
    r.header("location").unwrap_or_default()
}

async fn directory_pages(app: TestApp) {
    let w = app.world().await;
    let (staff, staff_csrf) = vendor_session(&app, &w).await;
    // The console offers each program's mode with the tree's questions; curated it is.
    let console = app.http.page("/console/directory", &staff).await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.text());
    assert!(
        console.text().contains("name=\"answer_brand\""),
        "{}",
        console.text()
    );
    let program = w.program.id.to_string();
    let r = app
        .http
        .form(
            &format!("/console/directory/programs/{program}/mode"),
            &staff,
            &[("_csrf", &staff_csrf), ("answer_brand", "no")],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "half an answer");
    assert!(r.text().contains("id=\"mode-error\""), "{}", r.text());
    let r = app
        .http
        .form(
            &format!("/console/directory/programs/{program}/mode"),
            &staff,
            &[
                ("_csrf", &staff_csrf),
                ("answer_brand", "no"),
                ("answer_review", "yes"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let console = app.http.page("/console/directory", &staff).await.text();
    assert!(
        console.contains("Curated: reviewed before publication"),
        "{console}"
    );

    // The partner's admin writes a listing; the portal names the bad fields.
    set_password(&app, &w.a.admin).await;
    let (me, csrf) = partner_session(&app, &w.a.admin).await;
    let page = app.http.page("/portal/directory", &me).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("id=\"no-listings\""));
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("kind", "services"),
        ("title", "Alpha Onboarding Services"),
        ("summary", "Live in thirty days"),
        (
            "description",
            "## Plan\n\n- Discovery\n- Rollout\n\n<script>alert(1)</script>",
        ),
        ("categories", ""),
        ("languages", "en, de"),
        ("website", "javascript:alert(1)"),
    ];
    let r = app.http.form("/portal/directory", &me, &fields, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let t = r.text();
    assert!(
        t.contains("id=\"categories-error\"") && t.contains("id=\"website-error\""),
        "{t}"
    );
    fields[5] = ("categories", "Onboarding, Training");
    fields[7] = ("website", "https://alpha.example");
    let r = app.http.form("/portal/directory", &me, &fields, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let listing = location(&r);
    assert!(listing.starts_with("/portal/directory/dls_"), "{listing}");
    let id = listing.trim_start_matches("/portal/directory/").to_owned();
    let page = app.http.page(&listing, &me).await.text();
    assert!(
        page.contains("<h3>Plan</h3>") && !page.contains("<script>alert"),
        "{page}"
    );
    let r = app
        .http
        .form(&format!("{listing}/submit"), &me, &[("_csrf", &csrf)], &[])
        .await;
    assert_eq!(location(&r), format!("{listing}?done=submitted"));
    let page = app.http.page(&location(&r), &me).await.text();
    assert!(
        page.contains("Awaiting review") && page.contains("curated"),
        "{page}"
    );

    // The console's queue: approve, verify; the public page carries the badge.
    let queue = app
        .http
        .page("/console/directory?status=in_review", &staff)
        .await
        .text();
    assert!(queue.contains("Alpha Onboarding Services"), "{queue}");
    // A status that is none: said with the field and what is allowed, not silently ignored.
    let bad = app
        .http
        .page("/console/directory?status=bogus", &staff)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text();
    assert!(
        bad.contains("id=\"filter-error\"") && bad.contains("status"),
        "{bad}"
    );
    for action in ["approve", "verify"] {
        let r = app
            .http
            .form(
                &format!("/console/directory/{id}/{action}"),
                &staff,
                &[("_csrf", &staff_csrf)],
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.text());
    }
    let page = app
        .http
        .page(&format!("/console/directory/{id}"), &staff)
        .await
        .text();
    assert!(
        page.contains("id=\"public-link\"") && page.contains("id=\"verified\""),
        "{page}"
    );
    let public = page
        .split("id=\"public-link\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    let p = app.http.page(&public, "").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text().contains("id=\"listing-verified\""), "{}", p.text());
    // Unpublishing needs its reason beside the form.
    let r = app
        .http
        .form(
            &format!("/console/directory/{id}/unpublish"),
            &staff,
            &[("_csrf", &staff_csrf), ("reason", "")],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("id=\"reason-error\""), "{}", r.text());
}
