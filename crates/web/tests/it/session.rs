//! Signing in to the web UI over plain HTTP (no browser): the session cookie and the CSRF
//! token of a page, for the UI tests of every capability.

use hyper::StatusCode;
use partnerops_core::user::UserPatchInput;
use partnerops_store::Actor;

use crate::harness::{TestApp, World};
use crate::http::Http;

pub(crate) const PASSWORD: &str = "correct horse battery";

/// The hidden CSRF field of the first form on a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"_csrf\" value=\"").expect("a CSRF field")
        + "name=\"_csrf\" value=\"".len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) async fn set_password(app: &TestApp, user: &partnerops_core::user::User) {
    let patch = UserPatchInput {
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    app.store
        .update_user(&Actor::system("test"), user.id.to_string().as_str(), &patch)
        .await
        .unwrap();
}

/// Signs in through the form and returns the answer's status and the session cookie.
pub(crate) async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, String) {
    sign_in_at(&app.http, email, password).await
}

/// [`sign_in`] on any server (e.g. an instance with a clock of its own).
pub(crate) async fn sign_in_at(http: &Http, email: &str, password: &str) -> (StatusCode, String) {
    let form = http
        .send(hyper::Method::GET, "/login", &[], Default::default())
        .await;
    let cookie = form
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_login_csrf="))
        .expect("login csrf cookie");
    let token = csrf_of(&form.text());
    let r = http
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

pub(crate) async fn vendor_session(app: &TestApp, w: &World) -> (String, String) {
    set_password(app, &w.admin_user).await;
    let (status, session) = sign_in(app, "admin@vendor.example", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = app.http.page("/console/partners", &session).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    (session, csrf_of(&page.text()))
}

/// A signed-in partner user's session and CSRF token (its password must be set first).
pub(crate) async fn partner_session(
    app: &TestApp,
    user: &partnerops_core::user::User,
) -> (String, String) {
    let (status, session) = sign_in(app, user.email.as_str(), PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "sign in as {}", user.email);
    let portal = app.http.page("/portal", &session).await;
    assert_eq!(portal.status, StatusCode::OK, "{}", portal.text());
    (session, csrf_of(&portal.text()))
}
