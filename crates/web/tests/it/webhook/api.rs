//! Webhooks through the API, on both databases.

use chrono::{Duration, Utc};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Received, Receiver};
use crate::harness::{Side, TestApp, World};
use crate::on_both;

on_both!(
    subscriptions_sign_deliver_and_keep_partners_apart,
    retries_follow_the_schedule_in_order_and_410_disables,
    five_days_of_failure_disable_and_notify_the_owner,
    replays_and_rotation_keep_the_webhook_id_and_sign_twice,
    private_targets_are_refused_by_default,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_deliver_each_event_once_and_in_order() {
    let app = crate::harness::spawn(crate::harness::Db::Postgres).await;
    two_instances_deliver_each_event_once(app).await;
}

fn ok(r: &crate::http::Answer, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    r.json()
}

/// Subscribes `url` to `kinds` with `token`; returns (subscription id, secret).
async fn subscribe(app: &TestApp, token: &str, url: &str, kinds: &[&str]) -> (String, String) {
    let r = app
        .http
        .post(
            "/api/v1/webhook-subscriptions",
            token,
            &json!({"url": url, "event_kinds": kinds, "description": "CRM sync"}),
        )
        .await;
    let v = ok(&r, StatusCode::CREATED);
    (
        v["subscription"]["id"].as_str().unwrap().to_owned(),
        v["secret"].as_str().unwrap().to_owned(),
    )
}

/// `side` registers a deal (an outbox event of its partner's); returns its id.
async fn register(app: &TestApp, side: &Side, name: &str) -> String {
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &side.rep_token,
            &json!({"account": {"name": name, "country": "DE", "web_domain": format!("{}.example", name.to_lowercase().replace(' ', "-"))},
                    "title": format!("{name} rollout"), "estimated_arr_minor": 10_000_00}),
        )
        .await;
    ok(&r, StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Verifies a delivery with the Standard Webhooks reference implementation. A delivery
/// sent on an injected clock carries that clock's timestamp, which `verify` rightly finds
/// too far from now; its signature is then compared with the one the reference signs.
fn verify(secret: &str, r: &Received) {
    let wh = standardwebhooks::Webhook::new(secret).expect("a whsec_ secret");
    let timestamp: i64 = header(r, "webhook-timestamp").parse().unwrap();
    if (timestamp - Utc::now().timestamp()).abs() < 60 {
        wh.verify(&r.body, &r.headers)
            .unwrap_or_else(|e| panic!("signature does not verify: {e:?} {:?}", r.headers));
        return;
    }
    let expected = wh
        .sign(&header(r, "webhook-id"), timestamp, &r.body)
        .unwrap();
    let sent = header(r, "webhook-signature");
    assert!(
        sent.split(' ').any(|s| s == expected),
        "{expected} not among {sent}"
    );
}

fn header(r: &Received, name: &str) -> String {
    r.headers[name].to_str().unwrap().to_owned()
}

/// The store as of `now + shift` (the injected clock), delivering.
async fn deliver_at(
    app: &TestApp,
    shift: Duration,
) -> partnerops_store::webhook::deliver::DeliverReport {
    let at = Utc::now() + shift;
    app.store
        .clone()
        .with_clock(std::sync::Arc::new(move || at))
        .deliver_webhooks()
        .await
        .unwrap()
}

async fn subscriptions_sign_deliver_and_keep_partners_apart(app: TestApp) {
    let w: World = app.world().await;
    let vendor_rx = Receiver::start().await;
    let a_rx = Receiver::start().await;

    // Who may subscribe: vendor administrators; a partner's admin for its own partner.
    let body = json!({"url": vendor_rx.url, "event_kinds": ["*"]});
    for token in [&w.channel, &w.a.rep_token] {
        let r = app
            .http
            .post("/api/v1/webhook-subscriptions", token, &body)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert_eq!(r.json()["rule"], "role.manage_webhooks", "{}", r.text());
    }
    let r = app
        .http
        .post(
            "/api/v1/webhook-subscriptions",
            &w.a.admin_token,
            &json!({"url": a_rx.url, "event_kinds": ["*"], "partner_id": w.b.partner.id.to_string()}),
        )
        .await;
    assert_eq!(
        r.problem_rules(),
        ["partner_id:own_partner"],
        "{}",
        r.text()
    );
    let r = app
        .http
        .post(
            "/api/v1/webhook-subscriptions",
            &w.admin,
            &json!({"url": vendor_rx.url, "event_kinds": ["registration.*", "Nope"]}),
        )
        .await;
    assert_eq!(
        r.problem_rules(),
        ["event_kinds[1]:webhook_kind"],
        "{}",
        r.text()
    );

    let (vendor_sub, vendor_secret) =
        subscribe(&app, &w.admin, &vendor_rx.url, &["registration.*"]).await;
    assert!(vendor_secret.starts_with("whsec_"));
    let (a_sub, a_secret) = subscribe(&app, &w.a.admin_token, &a_rx.url, &["*"]).await;
    let listed = ok(
        &app.http
            .get("/api/v1/webhook-subscriptions", &w.a.admin_token)
            .await,
        StatusCode::OK,
    );
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [a_sub.as_str()],
        "a partner admin sees its own subscriptions only"
    );
    assert!(listed[0].get("secret").is_none(), "{listed}");

    let theirs = register(&app, &w.b, "Globex").await;
    let mine = register(&app, &w.a, "Initech").await;
    let report = app.store.deliver_webhooks().await.unwrap();
    assert!(report.delivered >= 3, "{report:?}");

    // The vendor's subscription gets both partners' registrations, with the record.
    let got = vendor_rx.received();
    let kinds: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            let v = r.json();
            (
                v["type"].as_str().unwrap().to_owned(),
                v["data"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("registration.submitted".to_owned(), theirs.clone()),
            ("registration.submitted".to_owned(), mine.clone())
        ]
    );
    for r in &got {
        verify(&vendor_secret, r);
        assert_eq!(header(r, "content-type"), "application/json");
        assert!(header(r, "webhook-id").starts_with("msg_"));
    }
    assert_eq!(got[1].json()["data"]["object"]["title"], "Initech rollout");

    // A's subscription: A's events only, and ids only (A reads the records through the API).
    let got = a_rx.received();
    assert!(!got.is_empty());
    for r in &got {
        verify(&a_secret, r);
        let v = r.json();
        assert!(v["data"].get("object").is_none(), "{v}");
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains(&theirs), "B's event reached A: {text}");
        assert!(!text.contains("Globex"), "B's account reached A: {text}");
    }
    assert!(
        got.iter().any(|r| r.json()["data"]["id"] == mine.as_str()),
        "A's own registration is delivered"
    );

    // The delivery log: each delivery with its attempt (request headers, answer, latency).
    let log = ok(
        &app.http
            .get(
                &format!("/api/v1/webhook-subscriptions/{vendor_sub}/deliveries"),
                &w.admin,
            )
            .await,
        StatusCode::OK,
    );
    assert_eq!(log.as_array().unwrap().len(), 2, "{log}");
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 1);
    let delivery = log[0]["id"].as_str().unwrap();
    let detail = ok(
        &app.http
            .get(&format!("/api/v1/webhook-deliveries/{delivery}"), &w.admin)
            .await,
        StatusCode::OK,
    );
    assert_eq!(detail["attempts"][0]["status"], 200);
    assert_eq!(
        detail["attempts"][0]["request_headers"]["webhook-id"],
        delivery
    );
    assert_eq!(detail["attempts"][0]["response_body"], "ok");

    // B's admin reaches none of it.
    for path in [
        format!("/api/v1/webhook-subscriptions/{a_sub}"),
        format!("/api/v1/webhook-subscriptions/{vendor_sub}"),
        format!("/api/v1/webhook-subscriptions/{a_sub}/deliveries"),
        format!("/api/v1/webhook-deliveries/{delivery}"),
    ] {
        let r = app.http.get(&path, &w.b.admin_token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
    }
    // Deleting takes the log with it.
    let r = app
        .http
        .api(
            Method::DELETE,
            &format!("/api/v1/webhook-subscriptions/{a_sub}"),
            Some(&w.a.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app
        .http
        .get(
            &format!("/api/v1/webhook-subscriptions/{a_sub}"),
            &w.a.admin_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn retries_follow_the_schedule_in_order_and_410_disables(app: TestApp) {
    let w = app.world().await;
    let rx = Receiver::start().await;
    let (sub, secret) = subscribe(&app, &w.admin, &rx.url, &["registration.submitted"]).await;
    rx.answer(&[(500, None), (503, None), (429, Some("120"))]);
    let first = register(&app, &w.a, "Initech").await;
    let second = register(&app, &w.a, "Hooli").await;

    // Attempt 1 fails; nothing more until 5 s later, and the second event waits its turn.
    let r = deliver_at(&app, Duration::zero()).await;
    assert_eq!((r.retrying, r.delivered), (1, 0), "{r:?}");
    assert_eq!(deliver_at(&app, Duration::seconds(3)).await.retrying, 0);
    assert_eq!(rx.received().len(), 1);
    // Attempt 2 at +6 s fails (503); attempt 3 waits 5 minutes.
    deliver_at(&app, Duration::seconds(6)).await;
    assert_eq!(rx.received().len(), 2);
    deliver_at(&app, Duration::seconds(6 + 290)).await;
    assert_eq!(rx.received().len(), 2, "not before 5 minutes");
    // Attempt 3 answers 429 with Retry-After: 120, which is honoured over the schedule.
    deliver_at(&app, Duration::seconds(6 + 301)).await;
    assert_eq!(rx.received().len(), 3);
    deliver_at(&app, Duration::seconds(6 + 301 + 100)).await;
    assert_eq!(rx.received().len(), 3, "Retry-After is honoured");
    let r = deliver_at(&app, Duration::seconds(6 + 301 + 125)).await;
    assert_eq!(
        r.delivered, 2,
        "the first, then the second behind it: {r:?}"
    );
    let got = rx.received();
    let order: Vec<String> = got
        .iter()
        .map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        order,
        [&first, &first, &first, &first, &second].map(String::clone)
    );
    let ids: Vec<String> = got.iter().map(|r| header(r, "webhook-id")).collect();
    assert!(
        ids[..4].iter().all(|i| *i == ids[0]),
        "one webhook-id per event: {ids:?}"
    );
    for r in &got {
        verify(&secret, r);
    }
    let log = ok(
        &app.http
            .get(
                &format!("/api/v1/webhook-subscriptions/{sub}/deliveries?status=delivered"),
                &w.admin,
            )
            .await,
        StatusCode::OK,
    );
    let attempts: Vec<i64> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attempts"].as_i64().unwrap())
        .collect();
    assert_eq!(attempts, [1, 4], "newest first: {log}");
    let r = app
        .http
        .get(
            &format!("/api/v1/webhook-subscriptions/{sub}/deliveries?status=lost&limit=0"),
            &w.admin,
        )
        .await;
    assert_eq!(
        r.problem_rules(),
        ["status:one_of", "limit:range"],
        "{}",
        r.text()
    );

    // 410 Gone disables the subscription at once.
    rx.answer(&[(410, None)]);
    register(&app, &w.a, "Pied Piper").await;
    let r = deliver_at(&app, Duration::seconds(1000)).await;
    assert_eq!(r.disabled, 1, "{r:?}");
    let s = ok(
        &app.http
            .get(&format!("/api/v1/webhook-subscriptions/{sub}"), &w.admin)
            .await,
        StatusCode::OK,
    );
    assert_eq!(s["status"], "disabled");
    assert_eq!(s["disabled_reason"], "the receiver answered 410 Gone");
    register(&app, &w.a, "Aviato").await;
    let before = rx.received().len();
    deliver_at(&app, Duration::seconds(2000)).await;
    assert_eq!(
        rx.received().len(),
        before,
        "a disabled subscription gets nothing"
    );
    // Enabled again, it takes new events.
    let s = ok(
        &app.http
            .patch(
                &format!("/api/v1/webhook-subscriptions/{sub}"),
                &w.admin,
                &json!({"status": "active"}),
            )
            .await,
        StatusCode::OK,
    );
    assert_eq!(s["status"], "active");
    assert!(s["failing_since"].is_null());
}

async fn five_days_of_failure_disable_and_notify_the_owner(app: TestApp) {
    let w = app.world().await;
    let rx = Receiver::start().await;
    let (sub, _) = subscribe(&app, &w.admin, &rx.url, &["registration.*"]).await;
    rx.answer(&[(500, None), (500, None), (500, None)]);
    register(&app, &w.a, "Initech").await;
    deliver_at(&app, Duration::zero()).await;
    // Four days later it still tries; past five days of failure it gives up.
    let r = deliver_at(&app, Duration::days(4)).await;
    assert_eq!((r.retrying, r.disabled), (1, 0), "{r:?}");
    let r = deliver_at(&app, Duration::days(5) + Duration::seconds(1)).await;
    assert_eq!(r.disabled, 1, "{r:?}");
    let s = ok(
        &app.http
            .get(&format!("/api/v1/webhook-subscriptions/{sub}"), &w.admin)
            .await,
        StatusCode::OK,
    );
    assert_eq!(s["status"], "disabled");
    assert_eq!(s["disabled_reason"], "every attempt failed for 5 days");
    // Its creator is told.
    app.store.notify().await.unwrap();
    let n = ok(
        &app.http.get("/api/v1/notifications", &w.admin).await,
        StatusCode::OK,
    );
    let titles: Vec<&str> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Webhook subscription disabled"), "{n}");
}

async fn replays_and_rotation_keep_the_webhook_id_and_sign_twice(app: TestApp) {
    let w = app.world().await;
    let rx = Receiver::start().await;
    let (sub, old_secret) =
        subscribe(&app, &w.a.admin_token, &rx.url, &["registration.submitted"]).await;
    let started = Utc::now() - Duration::seconds(1);
    register(&app, &w.a, "Initech").await;
    app.store.deliver_webhooks().await.unwrap();
    let first = rx.received();
    assert_eq!(first.len(), 1);
    let log = ok(
        &app.http
            .get(
                &format!("/api/v1/webhook-subscriptions/{sub}/deliveries"),
                &w.a.admin_token,
            )
            .await,
        StatusCode::OK,
    );
    let event = log[0]["event_id"].as_str().unwrap().to_owned();

    // One event again: the same webhook-id, so the receiver can tell it is a replay.
    let r = app
        .http
        .post(
            &format!("/api/v1/webhook-subscriptions/{sub}/replay"),
            &w.a.admin_token,
            &json!({"event_id": event}),
        )
        .await;
    assert_eq!(ok(&r, StatusCode::OK)["queued"], 1);
    app.store.deliver_webhooks().await.unwrap();
    let got = rx.received();
    assert_eq!(got.len(), 2);
    assert_eq!(header(&got[1], "webhook-id"), header(&got[0], "webhook-id"));

    // Rotation: for a day both secrets sign, and either verifies.
    let rotated = ok(
        &app.http
            .post(
                &format!("/api/v1/webhook-subscriptions/{sub}/rotate-secret"),
                &w.a.admin_token,
                &json!({}),
            )
            .await,
        StatusCode::OK,
    );
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    // A time range, after the rotation.
    let r = app
        .http
        .post(
            &format!("/api/v1/webhook-subscriptions/{sub}/replay"),
            &w.a.admin_token,
            &json!({"from": started.to_rfc3339(), "to": (Utc::now() + Duration::seconds(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(ok(&r, StatusCode::OK)["queued"], 1);
    app.store.deliver_webhooks().await.unwrap();
    let got = rx.received();
    assert_eq!(got.len(), 3);
    let sig = header(&got[2], "webhook-signature");
    assert_eq!(sig.split(' ').count(), 2, "{sig}");
    verify(&new_secret, &got[2]);
    verify(&old_secret, &got[2]);
    // A day later the old secret no longer signs.
    let r = app
        .http
        .post(
            &format!("/api/v1/webhook-subscriptions/{sub}/replay"),
            &w.a.admin_token,
            &json!({"event_id": event}),
        )
        .await;
    ok(&r, StatusCode::OK);
    deliver_at(&app, Duration::hours(25)).await;
    let got = rx.received();
    assert_eq!(header(&got[3], "webhook-signature").split(' ').count(), 1);
    verify(&new_secret, &got[3]);

    // Wrong replays name the rule; another partner's event is no event of this one.
    for (body, rule) in [
        (json!({}), "event_id:one_of"),
        (json!({"event_id": "evt_nope"}), "event_id:exists"),
        (
            json!({"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}),
            "to:after_from",
        ),
    ] {
        let r = app
            .http
            .post(
                &format!("/api/v1/webhook-subscriptions/{sub}/replay"),
                &w.a.admin_token,
                &body,
            )
            .await;
        assert_eq!(r.problem_rules(), [rule], "{}", r.text());
    }
    register(&app, &w.b, "Globex").await;
    let r = app
        .http
        .post(
            &format!("/api/v1/webhook-subscriptions/{sub}/replay"),
            &w.a.admin_token,
            &json!({"from": started.to_rfc3339(), "to": (Utc::now() + Duration::seconds(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(
        ok(&r, StatusCode::OK)["queued"],
        1,
        "B's registration is not A's to replay"
    );
}

async fn private_targets_are_refused_by_default(app: TestApp) {
    let w = app.world().await;
    let strict = app.strict_instance().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
    ] {
        let r = strict
            .http
            .post(
                "/api/v1/webhook-subscriptions",
                &w.admin,
                &json!({"url": url, "event_kinds": ["*"]}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            r.text()
        );
        assert_eq!(
            r.problem_rules(),
            ["url:webhook_target"],
            "{url}: {}",
            r.text()
        );
    }
    let r = strict
        .http
        .post(
            "/api/v1/webhook-subscriptions",
            &w.admin,
            &json!({"url": "ftp://example.com/", "event_kinds": []}),
        )
        .await;
    assert_eq!(
        r.problem_rules(),
        ["url:webhook_url", "event_kinds:required"],
        "{}",
        r.text()
    );
    // A subscription made while private targets were allowed is not sent to once they
    // are not: each delivery checks its target again.
    let rx = Receiver::start().await;
    let (sub, _) = subscribe(&app, &w.admin, &rx.url, &["registration.*"]).await;
    register(&app, &w.a, "Initech").await;
    strict.store.deliver_webhooks().await.unwrap();
    assert!(rx.received().is_empty());
    let log = ok(
        &app.http
            .get(
                &format!("/api/v1/webhook-subscriptions/{sub}/deliveries"),
                &w.admin,
            )
            .await,
        StatusCode::OK,
    );
    let delivery = log[0]["id"].as_str().unwrap();
    let detail = ok(
        &app.http
            .get(&format!("/api/v1/webhook-deliveries/{delivery}"), &w.admin)
            .await,
        StatusCode::OK,
    );
    assert!(
        detail["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("loopback"),
        "{detail}"
    );
}

/// Two instances over one PostgreSQL database run the webhook worker at the same time,
/// several rounds over: every event reaches the subscription exactly once, in order.
async fn two_instances_deliver_each_event_once(app: TestApp) {
    let w = app.world().await;
    let receiver = Receiver::start().await;
    let (_, secret) = subscribe(&app, &w.admin, &receiver.url, &["registration.*"]).await;
    let mut ids = Vec::new();
    for name in [
        "Initech",
        "Hooli",
        "Vandelay",
        "Soylent",
        "Wonka",
        "Stark",
        "Wayne",
        "Tyrell",
        "Cyberdyne",
        "Oscorp",
    ] {
        ids.push(register(&app, &w.a, name).await);
    }
    let second = app.second_instance().await;
    let (one, two) = (app.store.clone(), second.store.clone());
    let mut delivered = 0;
    for _ in 0..6 {
        let (a, b) = tokio::join!(
            tokio::spawn({
                let one = one.clone();
                async move { one.deliver_webhooks().await.unwrap() }
            }),
            tokio::spawn({
                let two = two.clone();
                async move { two.deliver_webhooks().await.unwrap() }
            })
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.failed + b.failed, 0, "{a:?} {b:?}");
        delivered += a.delivered + b.delivered;
    }
    let received = receiver.received();
    assert_eq!(
        received.len() as u64,
        delivered,
        "the report counts what arrived"
    );
    let mut webhook_ids: Vec<String> = received.iter().map(|r| header(r, "webhook-id")).collect();
    let in_order = webhook_ids.clone();
    webhook_ids.sort();
    webhook_ids.dedup();
    assert_eq!(webhook_ids.len(), received.len(), "no event arrived twice");
    // Each registration's submission arrived, in the order the events were written.
    let submitted: Vec<String> = received
        .iter()
        .filter(|r| r.json()["type"] == "registration.submitted")
        .map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(submitted, ids, "{in_order:?}");
    for r in &received {
        verify(&secret, r);
    }
}
