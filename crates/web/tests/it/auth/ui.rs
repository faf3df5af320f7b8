//! The web UI's sign-in over plain HTTP: the CSRF cookie, login throttling, and CSRF and
//! origin checks on forms. (Chromium-driven tests are in `browser.rs`.)

use hyper::StatusCode;

use crate::harness::TestApp;
use crate::on_both;
use crate::session::*;

on_both!(sign_in_and_forms, login_is_throttled,);

async fn sign_in_and_forms(app: TestApp) {
    let w = app.world().await;
    let (session, csrf) = vendor_session(&app, &w).await;
    let page = app.http.page("/console/partners", &session).await.text();
    assert!(
        page.contains("Alpha Systems") && page.contains("Beta Consulting"),
        "the console lists partners"
    );
    let htmx = app
        .http
        .send(
            hyper::Method::GET,
            "/console/partners?q=alpha",
            &[("cookie", &session), ("hx-request", "true")],
            Default::default(),
        )
        .await
        .text();
    assert!(
        htmx.contains("Alpha Systems")
            && !htmx.contains("Beta Consulting")
            && !htmx.contains("<html"),
        "htmx gets the filtered rows only"
    );

    let fields = [
        ("name", "Delta Partners"),
        ("web_domain", "delta.example"),
        ("partner_type", "msp"),
        ("country", "NL"),
        ("status", "onboarding"),
    ];
    let program = w.program.id.to_string();
    let mut with_program: Vec<(&str, &str)> = fields.to_vec();
    with_program.push(("program_id", &program));
    // No token, a wrong token, a foreign origin: all refused, nothing created.
    let no_token = app
        .http
        .form("/console/partners", &session, &with_program, &[])
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let mut bad = with_program.clone();
    bad.push(("_csrf", "forged"));
    assert_eq!(
        app.http
            .form("/console/partners", &session, &bad, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut good = with_program.clone();
    good.push(("_csrf", &csrf));
    let foreign = app
        .http
        .form(
            "/console/partners",
            &session,
            &good,
            &[("origin", "http://evil.example"), ("host", "127.0.0.1")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert!(
        !app.http
            .page("/console/partners", &session)
            .await
            .text()
            .contains("Delta Partners")
    );

    // A form with errors comes back with the messages beside the fields and the values kept.
    let mut invalid = good.clone();
    invalid.retain(|(k, _)| *k != "web_domain");
    invalid.push(("web_domain", "not a domain"));
    let r = app
        .http
        .form("/console/partners", &session, &invalid, &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("field-error") && html.contains("Must be a web domain"),
        "{html}"
    );
    assert!(
        html.contains("value=\"Delta Partners\""),
        "typed values are kept"
    );

    let created = app
        .http
        .form("/console/partners", &session, &good, &[])
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let location = created.header("location").unwrap();
    assert!(location.starts_with("/console/partners/ptr_"));
    assert!(
        app.http
            .page(&location, &session)
            .await
            .text()
            .contains("Delta Partners")
    );

    // Signing out ends the session.
    let out = app
        .http
        .form("/logout", &session, &[("_csrf", &csrf)], &[])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = app.http.page("/console/partners", &session).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(
        after
            .header("location")
            .unwrap()
            .starts_with("/login?next=")
    );
}

async fn login_is_throttled(app: TestApp) {
    let w = app.world().await;
    set_password(&app, &w.a.admin).await;
    let (ok, _) = sign_in(&app, "admin@alpha.example", PASSWORD).await;
    assert_eq!(ok, StatusCode::SEE_OTHER);
    for i in 0..5 {
        let (status, session) = sign_in(&app, "admin@alpha.example", "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert!(session.is_empty());
    }
    // The sixth attempt is refused even with the right password.
    let (status, session) = sign_in(&app, "Admin@Alpha.example", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(session.is_empty());
    // An unknown address is answered like a wrong password.
    let (status, _) = sign_in(&app, "nobody@alpha.example", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A sign-in form posted without its CSRF cookie is refused.
    let r = app
        .http
        .form(
            "/login",
            "",
            &[
                ("_csrf", "x"),
                ("email", "admin@alpha.example"),
                ("password", PASSWORD),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
