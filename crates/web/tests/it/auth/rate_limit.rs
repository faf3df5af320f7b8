//! API rate limits: `RateLimit-*` headers on every answer, 429 with `Retry-After` and a
//! problem document when a token or an address has used its window up, and one count for
//! all instances over one database.

use chrono::{DateTime, TimeZone, Utc};
use hyper::{Method, StatusCode};
use partnerops_core::rate_limit::RateLimit;
use partnerops_web::ApiRateLimits;

use crate::harness::{Instance, TestApp};
use crate::http::Answer;
use crate::on_both;

on_both!(
    headers_count_down_then_429,
    addresses_without_a_token_have_their_own_limit
);

/// 20 seconds into a minute: the window resets in 40 s.
fn frozen() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 9, 15, 20).unwrap()
}

fn limits(per_token: u32, per_address: u32) -> ApiRateLimits {
    ApiRateLimits {
        per_token: RateLimit::per_minute(per_token),
        per_address: RateLimit::per_minute(per_address),
    }
}

fn counted(r: &Answer) -> (u32, u32, u32, String) {
    let h = |n: &str| {
        r.header(n)
            .unwrap_or_else(|| panic!("{n} missing: {:?}", r.headers))
    };
    (
        h("ratelimit-limit").parse().unwrap(),
        h("ratelimit-remaining").parse().unwrap(),
        h("ratelimit-reset").parse().unwrap(),
        h("ratelimit-policy"),
    )
}

fn assert_limited(r: &Answer) {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let p = r.json();
    assert_eq!(p["type"], "https://partnerops.dev/problems/rate-limited");
    assert_eq!(p["status"], 429);
    assert_eq!(r.header("retry-after").as_deref(), Some("40"));
    assert_eq!(r.header("ratelimit-remaining").as_deref(), Some("0"));
}

async fn anonymous(i: &Instance, path: &str, auth: Option<&str>) -> Answer {
    let header = auth.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = header
        .as_deref()
        .map(|h| vec![("authorization", h)])
        .unwrap_or_default();
    let r = i
        .http
        .send(Method::GET, path, &headers, Default::default())
        .await;
    crate::openapi::api::assert_conforms(&Method::GET, path, &r);
    r
}

async fn headers_count_down_then_429(app: TestApp) {
    let w = app.world().await;
    let i = app
        .instance_with_rate_limits(limits(3, 100), frozen())
        .await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = i.http.get("/api/v1/me", &w.a.rep_token).await;
        assert_eq!(r.status, StatusCode::OK);
        let (limit, left, reset, policy) = counted(&r);
        assert_eq!((limit, reset, policy.as_str()), (3, 40, "3;w=60"));
        remaining.push(left);
    }
    assert_eq!(remaining, vec![2, 1, 0]);
    let r = i.http.get("/api/v1/partners", &w.a.rep_token).await;
    assert_limited(&r);
    // Refusals also count, and say so: still 429, still nothing left.
    assert_limited(&i.http.get("/api/v1/me", &w.a.rep_token).await);
    // Another token has its own count, with the headers on error answers too.
    let r = i.http.get("/api/v1/partners/nope", &w.b.rep_token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(counted(&r).1, 2);
    // The main instance has generous limits, but its answers carry headers as well.
    let r = app.http.get("/api/v1/me", &w.a.admin_token).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("ratelimit-limit").is_some());
}

async fn addresses_without_a_token_have_their_own_limit(app: TestApp) {
    let w = app.world().await;
    let i = app
        .instance_with_rate_limits(limits(100, 2), frozen())
        .await;
    let doc = anonymous(&i, "/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(counted(&doc).1, 1);
    // A wrong token counts against the address as well.
    let wrong = anonymous(&i, "/api/v1/me", Some("po_wrong")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(counted(&wrong).1, 0);
    assert_limited(&anonymous(&i, "/api/v1/openapi.json", None).await);
    // A valid token is counted on its own.
    let me = i.http.get("/api/v1/me", &w.admin).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(counted(&me).0, 100);
    // The document states this server's limits.
    let text = doc.json()["info"]["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains("100 requests per minute per token, 2 per client address"),
        "{text}"
    );
}

/// Instances share a count on PostgreSQL; a SQLite file serves one instance, which counts
/// in its process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_share_one_count_on_postgres() {
    instances_share_one_count(crate::harness::spawn(crate::harness::Db::Postgres).await).await;
}

async fn instances_share_one_count(app: TestApp) {
    let w = app.world().await;
    let one = app
        .instance_with_rate_limits(limits(4, 100), frozen())
        .await;
    let two = app
        .instance_with_rate_limits(limits(4, 100), frozen())
        .await;
    let mut left = Vec::new();
    for i in [&one, &two, &one, &two] {
        let r = i.http.get("/api/v1/me", &w.a.rep_token).await;
        assert_eq!(r.status, StatusCode::OK);
        left.push(counted(&r).1);
    }
    assert_eq!(left, vec![3, 2, 1, 0]);
    assert_limited(&two.http.get("/api/v1/me", &w.a.rep_token).await);
    assert_limited(&one.http.get("/api/v1/me", &w.a.rep_token).await);

    // Concurrent requests on both instances are each counted once: 10 of them against a
    // fresh limit of 4 let exactly 4 through.
    let token = w.b.admin_token.clone();
    let mut tasks = Vec::new();
    for n in 0..10 {
        let http = if n % 2 == 0 {
            one.http.clone()
        } else {
            two.http.clone()
        };
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            http.get("/api/v1/me", &token).await.status
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, 4);

    // The hourly sweep keeps the counters of recent windows and deletes the rest (the two
    // tokens counted here, at least); a swept bucket counts afresh.
    let kept = app
        .store
        .sweep_rate_counters(frozen() + chrono::Duration::minutes(90))
        .await
        .unwrap();
    assert_eq!(kept, 0, "windows of the last two hours stay");
    assert_limited(&one.http.get("/api/v1/me", &w.a.rep_token).await);
    let removed = app
        .store
        .sweep_rate_counters(frozen() + chrono::Duration::hours(3))
        .await
        .unwrap();
    assert!(removed >= 2, "{removed}");
    assert_eq!(
        app.store
            .sweep_rate_counters(frozen() + chrono::Duration::hours(3))
            .await
            .unwrap(),
        0
    );
    let r = one.http.get("/api/v1/me", &w.a.rep_token).await;
    assert_eq!(counted(&r).1, 3, "a fresh count after the sweep");
}
