//! Signing in with Chromium: a wrong password is refused and the console stays closed.
//!
//! Screenshots go to `<target>/screenshots/login-*.png` (see `browser`).

use crate::browser::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_refused() {
    let (app, _report) = seeded().await;
    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, "not-the-password").await;
    b.wait_css("#login-error").await;
    assert_eq!(
        b.path().await,
        "/login",
        "a refused sign-in stays on the sign-in page"
    );
    let message = b.text("#login-error").await;
    assert!(
        message.contains("Wrong e-mail address or password"),
        "the error says why: {message:?}"
    );
    assert_eq!(
        b.value("input[name=email]").await,
        VENDOR_ADMIN,
        "the e-mail address is kept"
    );
    assert_eq!(
        b.value("input[name=password]").await,
        "",
        "the password is not echoed back"
    );
    b.shot("login-01-wrong-password").await;

    // And nothing was signed in: the console still asks to sign in.
    b.goto("/console/partners").await;
    b.wait_path("/login").await;
    b.close().await;
}
