//! Behind a reverse proxy: login throttling keys on the client the proxy names in
//! `X-Forwarded-For` only when the proxy is trusted (so users behind one proxy do not lock
//! each other out, and nobody escapes the lock by forging the header), and request ids set
//! by a proxy are kept when sane and echoed.

use hyper::StatusCode;
use partnerops_core::client_addr::TrustedProxies;
use partnerops_store::Store;

use crate::harness::TestApp;
use crate::http::Http;
use crate::on_both;

on_both!(
    throttling_follows_forwarded_for_only_from_trusted_proxies,
    request_ids_are_kept_when_sane_and_echoed
);

/// Per-client failures allowed before the lock (`ThrottlePolicy::PER_CLIENT`).
const PER_CLIENT: usize = 30;

/// A second server over the test's store that trusts 127.0.0.1 as a reverse proxy.
async fn behind_proxy(store: Store) -> Http {
    let options = partnerops_web::WebOptions {
        trusted_proxies: TrustedProxies::parse("trusted_proxies", ["127.0.0.1"]).unwrap(),
        rate_limits: crate::harness::generous_rate_limits(),
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(partnerops_web::serve(
        listener,
        partnerops_web::app(store, options),
        std::future::pending(),
    ));
    Http::new(&base)
}

/// One sign-in with a wrong password for an unknown address, as sent from `forwarded_for`.
async fn failed_sign_in(http: &Http, i: usize, forwarded_for: &str) -> StatusCode {
    let form = http
        .send(hyper::Method::GET, "/login", &[], Default::default())
        .await;
    let cookie = form
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_login_csrf="))
        .expect("login csrf cookie");
    let token = cookie.trim_start_matches("po_login_csrf=").to_owned();
    let email = format!("nobody{i}@proxy.example");
    http.form(
        "/login",
        &cookie,
        &[
            ("_csrf", &token),
            ("email", &email),
            ("password", "wrong password!"),
            ("next", "/"),
        ],
        &[("x-forwarded-for", forwarded_for)],
    )
    .await
    .status
}

async fn throttling_follows_forwarded_for_only_from_trusted_proxies(app: TestApp) {
    let proxied = behind_proxy(app.store.clone()).await;
    for i in 0..PER_CLIENT {
        let status = failed_sign_in(&proxied, i, "203.0.113.9, 198.51.100.7").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // The client the proxy named is locked out; what it forged to the left does not matter.
    let locked = failed_sign_in(&proxied, 100, "6.6.6.6, 198.51.100.7").await;
    assert_eq!(locked, StatusCode::TOO_MANY_REQUESTS);
    // Another user behind the same proxy is not.
    let other = failed_sign_in(&proxied, 101, "198.51.100.8").await;
    assert_eq!(other, StatusCode::UNAUTHORIZED);

    // Talking to the server directly (no trusted proxy), a forged header changes nothing:
    // every attempt counts against the peer address.
    for i in 0..PER_CLIENT {
        let forged = format!("198.51.100.{}", 10 + i);
        let status = failed_sign_in(&app.http, 200 + i, &forged).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "direct attempt {i}");
    }
    let locked = failed_sign_in(&app.http, 300, "198.51.100.250").await;
    assert_eq!(locked, StatusCode::TOO_MANY_REQUESTS);
}

async fn request_ids_are_kept_when_sane_and_echoed(app: TestApp) {
    let get = |headers: &'static [(&'static str, &'static str)]| {
        let http = app.http.clone();
        async move {
            http.send(hyper::Method::GET, "/healthz", headers, Default::default())
                .await
        }
    };
    let kept = get(&[("x-request-id", "edge-7f3a.1")]).await;
    assert_eq!(kept.header("x-request-id").as_deref(), Some("edge-7f3a.1"));

    let generated = get(&[]).await.header("x-request-id").expect("an id");
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let again = get(&[]).await.header("x-request-id").expect("an id");
    assert_ne!(generated, again, "each request gets its own id");

    let replaced = get(&[("x-request-id", "bad id <script>")]).await;
    let id = replaced.header("x-request-id").expect("an id");
    assert_ne!(id, "bad id <script>");
    assert_eq!(id.len(), 36);
}
