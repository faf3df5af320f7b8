//! The web UI over plain HTTP: sign-in with its CSRF cookie, login throttling, CSRF and
//! origin checks on forms, and partner users kept out of the console and of other
//! partners' records. (Chromium-driven tests are in `browser`.)

use hyper::StatusCode;
use partnerops_core::user::UserPatchInput;
use partnerops_store::Actor;

use crate::harness::{TestApp, World};
use crate::on_both;

on_both!(
    sign_in_and_forms,
    login_is_throttled,
    partner_users_get_404_in_the_console,
    engagement_requests_are_listed_for_staff
);

const PASSWORD: &str = "correct horse battery";

/// The hidden CSRF field of the first form on a page.
fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"_csrf\" value=\"").expect("a CSRF field")
        + "name=\"_csrf\" value=\"".len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn set_password(app: &TestApp, user: &partnerops_core::user::User) {
    let patch = UserPatchInput {
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    app.store
        .update_user(&Actor::system("test"), user.id.to_string().as_str(), &patch)
        .await
        .unwrap();
}

/// Signs in through the form and returns the session cookie and the page's CSRF token.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, String) {
    let form = app
        .http
        .send(hyper::Method::GET, "/login", &[], Default::default())
        .await;
    let cookie = form
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_login_csrf="))
        .expect("login csrf cookie");
    let token = csrf_of(&form.text());
    let r = app
        .http
        .form(
            "/login",
            &cookie,
            &[
                ("_csrf", &token),
                ("email", email),
                ("password", password),
                ("next", "/"),
            ],
            &[],
        )
        .await;
    let session = r
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_session=") && c.len() > "po_session=".len())
        .unwrap_or_default();
    (r.status, session)
}

async fn vendor_session(app: &TestApp, w: &World) -> (String, String) {
    set_password(app, &w.admin_user).await;
    let (status, session) = sign_in(app, "admin@vendor.example", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = app.http.page("/console/partners", &session).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    (session, csrf_of(&page.text()))
}

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

async fn partner_users_get_404_in_the_console(app: TestApp) {
    let w = app.world().await;
    set_password(&app, &w.a.admin).await;
    let (status, session) = sign_in(&app, "admin@alpha.example", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let portal = app.http.page("/portal", &session).await;
    assert_eq!(portal.status, StatusCode::OK);
    let html = portal.text();
    assert!(html.contains("Alpha Systems") && !html.contains("Beta Consulting"));
    let csrf = csrf_of(&html);
    let users = app.http.page("/portal/users", &session).await.text();
    assert!(users.contains("rep@alpha.example") && !users.contains("beta.example"));

    let b = w.b.partner.id.to_string();
    for path in [
        "/console/partners".to_owned(),
        format!("/console/partners/{b}"),
        "/console/partners/new".to_owned(),
        "/console/programs".to_owned(),
        format!("/console/programs/{}", w.other_program.id),
        "/console/accounts".to_owned(),
        format!("/console/accounts/{}", w.account.id),
        "/console/users".to_owned(),
        format!("/console/audit/partners/{b}"),
    ] {
        let r = app.http.page(&path, &session).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {path}");
        assert!(!r.text().contains("Beta Consulting"), "GET {path} leaks");
    }
    for path in [
        format!("/console/partners/{b}"),
        format!("/console/partners/{b}/archive"),
        format!("/console/users/{}/archive", w.b.admin.id),
        format!("/portal/users/{}/archive", w.b.admin.id),
        format!("/console/programs/{}/tiers", w.other_program.id),
    ] {
        let r = app
            .http
            .form(
                &path,
                &session,
                &[("_csrf", &csrf), ("name", "Hijacked")],
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {path}: {}", r.text());
    }
    let b_now = app
        .store
        .partner(&partnerops_core::scope::Scope::Vendor, &b)
        .await
        .unwrap();
    assert_eq!(b_now.name, "Beta Consulting");
    assert!(b_now.archived_at.is_none());
    let b_admin = app
        .store
        .user(
            &partnerops_core::scope::Scope::Vendor,
            w.b.admin.id.to_string().as_str(),
        )
        .await
        .unwrap();
    assert!(b_admin.archived_at.is_none());
}

async fn engagement_requests_are_listed_for_staff(app: TestApp) {
    use partnerops_core::registration::record::{AccountRefInput, ReasonInput, RegistrationInput};
    use partnerops_core::scope::Principal;
    use partnerops_core::user::Role;

    let w = app.world().await;
    let input = RegistrationInput {
        partner_id: Some(w.a.partner.id.to_string()),
        account: Some(AccountRefInput {
            name: Some("Umbrella Corp".into()),
            web_domain: Some("umbrella.example".into()),
            country: Some("US".into()),
        }),
        title: Some("Vaccine logistics".into()),
        estimated_arr_minor: Some(1_000_000),
        ..Default::default()
    };
    let reg = app
        .store
        .submit_registration(&Actor::system("test"), &input)
        .await
        .unwrap();
    let rep = Principal::new(
        w.sales_user.id.clone(),
        "Sam Sales".into(),
        Role::DirectSales,
        None,
    )
    .unwrap();
    let ask = ReasonInput {
        reason: Some("Customer asked for a direct quote".into()),
    };
    app.store
        .request_engagement(&Actor::User(rep), reg.id.to_string().as_str(), &ask)
        .await
        .unwrap();

    let (session, _) = vendor_session(&app, &w).await;
    let page = app.http.page("/console/engagement", &session).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("Umbrella Corp") && html.contains("Customer asked for a direct quote"),
        "{html}"
    );
    assert!(
        html.contains("held by Alpha Systems") && html.contains("sales"),
        "names the holder and the requester"
    );

    set_password(&app, &w.a.admin).await;
    let (_, partner_session) = sign_in(&app, "admin@alpha.example", PASSWORD).await;
    assert_eq!(
        app.http
            .page("/console/engagement", &partner_session)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
