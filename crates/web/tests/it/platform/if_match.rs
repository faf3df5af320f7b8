//! `ETag` / `If-Match` on updates: the GET of a record carries its tag, an update with a
//! stale tag is 412 with nothing written, a fresh tag goes through and answers the new
//! tag, and without the header updates work as before. Also under concurrent updates: of
//! several writers holding the same tag, exactly one wins. Every record kind whose update
//! takes `If-Match` is here except charters and business plans, which use the same
//! function as programs and partners (`entity::fetch_for_change`).

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::on_both;

on_both!(
    stale_updates_are_refused,
    one_of_concurrent_updates_wins,
    updates_of_parts_answer_their_tag
);

async fn patch_if(
    app: &TestApp,
    path: &str,
    token: &str,
    tag: Option<&str>,
    body: &Value,
) -> Answer {
    send_if(app, Method::PATCH, path, token, tag, body).await
}

async fn send_if(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    tag: Option<&str>,
    body: &Value,
) -> Answer {
    let auth = format!("Bearer {token}");
    let mut headers = vec![
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    if let Some(t) = tag {
        headers.push(("if-match", t));
    }
    let r = app
        .http
        .send(
            method.clone(),
            path,
            &headers,
            serde_json::to_vec(body).unwrap().into(),
        )
        .await;
    crate::openapi::api::assert_conforms(&method, path, &r);
    r
}

fn etag(r: &Answer) -> String {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.header("etag").expect("ETag")
}

/// Each record kind whose updates take `If-Match`: its path, who may change it, and two
/// different changes.
async fn records(app: &TestApp, w: &World) -> Vec<(String, String, Value, Value)> {
    let opp = app
        .http
        .post(
            "/api/v1/opportunities",
            &w.channel,
            &json!({"program_id": w.program.id.to_string(), "account_id": w.account.id.to_string(),
                    "title": "Globex platform", "amount_minor": 1_000_000, "currency": "USD", "source": "direct",
                    "expected_close_on": "2027-02-15"}),
        )
        .await;
    assert_eq!(opp.status, StatusCode::CREATED, "{}", opp.text());
    let opp = opp.json()["id"].as_str().unwrap().to_owned();
    let tiers = app
        .http
        .get(
            &format!("/api/v1/programs/{}/tiers", w.program.id),
            &w.admin,
        )
        .await
        .json();
    let tier = tiers["items"][0]["id"].as_str().unwrap().to_owned();
    let created = |r: Answer| {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()["id"].as_str().unwrap().to_owned()
    };
    let curriculum = created(
        app.http
            .post(
                "/api/v1/curricula",
                &w.channel,
                &json!({"name": "Sales basics", "role": "sales"}),
            )
            .await,
    );
    let launch_template = created(
        app.http
            .post(
                "/api/v1/launch-templates",
                &w.finance,
                &json!({"program_id": w.program.id, "name": "Integration launch",
                        "tasks": [{"phase": "launch_week", "title": "Joint webinar", "offset_days": 3, "owner_side": "partner"}]}),
            )
            .await,
    );
    let start = chrono::Utc::now() + chrono::Duration::days(2);
    let event = created(
        app.http
            .post(
                "/api/v1/events",
                &w.finance,
                &crate::event::webinar(Some(&w.program.id.to_string()), "Roadmap", start, Some(10)),
            )
            .await,
    );
    let campaign_template =
        crate::campaign::published_template(app, w, &w.program.id.to_string()).await;
    vec![
        (
            format!("/api/v1/events/{event}"),
            w.finance.clone(),
            json!({"title": "Roadmap one"}),
            json!({"title": "Roadmap two"}),
        ),
        (
            format!("/api/v1/campaign-templates/{campaign_template}"),
            w.admin.clone(),
            json!({"name": "Webinar one"}),
            json!({"name": "Webinar two"}),
        ),
        (
            format!("/api/v1/curricula/{curriculum}"),
            w.channel.clone(),
            json!({"name": "Sales one"}),
            json!({"name": "Sales two"}),
        ),
        (
            format!("/api/v1/launch-templates/{launch_template}"),
            w.finance.clone(),
            json!({"name": "Launch one"}),
            json!({"name": "Launch two"}),
        ),
        (
            format!("/api/v1/programs/{}", w.program.id),
            w.admin.clone(),
            json!({"description": "first"}),
            json!({"description": "second"}),
        ),
        (
            format!("/api/v1/tiers/{tier}"),
            w.admin.clone(),
            json!({"description": "first"}),
            json!({"description": "second"}),
        ),
        (
            format!("/api/v1/partners/{}", w.a.partner.id),
            w.a.admin_token.clone(),
            json!({"name": "Alpha One"}),
            json!({"name": "Alpha Two"}),
        ),
        (
            format!("/api/v1/accounts/{}", w.account.id),
            w.admin.clone(),
            json!({"name": "Globex One"}),
            json!({"name": "Globex Two"}),
        ),
        (
            format!("/api/v1/users/{}", w.a.rep.id),
            w.a.rep_token.clone(),
            json!({"display_name": "Rep One"}),
            json!({"display_name": "Rep Two"}),
        ),
        (
            format!("/api/v1/opportunities/{opp}"),
            w.channel.clone(),
            json!({"title": "Globex one"}),
            json!({"title": "Globex two"}),
        ),
    ]
}

async fn stale_updates_are_refused(app: TestApp) {
    let w = app.world().await;
    for (path, token, first, second) in records(&app, &w).await {
        let read = app.http.get(&path, &token).await;
        let seen = etag(&read);
        // Reading again gives the same tag: nothing changed.
        assert_eq!(etag(&app.http.get(&path, &token).await), seen, "{path}");

        // Someone else changes the record (without If-Match, as before).
        let other = app.http.patch(&path, &token, &first).await;
        let newer = etag(&other);
        assert_ne!(newer, seen, "{path}: a change changes the tag");

        // The stale update is refused and writes nothing.
        let stale = patch_if(&app, &path, &token, Some(&seen), &second).await;
        assert_eq!(
            stale.status,
            StatusCode::PRECONDITION_FAILED,
            "{path}: {}",
            stale.text()
        );
        assert_eq!(
            stale.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        assert_eq!(stale.json()["rule"], "if_match");
        assert_eq!(
            stale.json()["type"],
            "https://partnerops.dev/problems/precondition-failed"
        );
        let now = app.http.get(&path, &token).await;
        assert_eq!(etag(&now), newer, "{path}: nothing was written");
        assert_eq!(now.json(), other.json(), "{path}");

        // With the current tag it goes through and answers the new tag, which the next
        // GET repeats.
        let fresh = patch_if(&app, &path, &token, Some(&newer), &second).await;
        let after = etag(&fresh);
        assert_ne!(after, newer);
        assert_eq!(etag(&app.http.get(&path, &token).await), after, "{path}");
        // One of several tags, and `*`, match.
        let listed = format!("\"nope\", {after}");
        let again = patch_if(&app, &path, &token, Some(&listed), &first).await;
        let latest = etag(&again);
        assert_eq!(
            patch_if(&app, &path, &token, Some("*"), &second)
                .await
                .status,
            StatusCode::OK
        );
        // A weak tag never matches (If-Match compares strongly).
        let weak = format!("W/{latest}");
        assert_eq!(
            patch_if(&app, &path, &token, Some(&weak), &first)
                .await
                .status,
            StatusCode::PRECONDITION_FAILED,
            "{path}"
        );
    }
    // A tag does not reveal a record the caller cannot see: still 404.
    let r = patch_if(
        &app,
        &format!("/api/v1/partners/{}", w.b.partner.id),
        &w.a.admin_token,
        Some("*"),
        &json!({"name": "Mine"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn one_of_concurrent_updates_wins(app: TestApp) {
    let w = app.world().await;
    let second = app.second_instance().await;
    let path = format!("/api/v1/accounts/{}", w.account.id);
    let tag = etag(&app.http.get(&path, &w.admin).await);
    let mut tasks = Vec::new();
    for n in 0..8 {
        let http = if n % 2 == 0 {
            app.http.clone()
        } else {
            second.http.clone()
        };
        let (path, token, tag) = (path.clone(), w.admin.clone(), tag.clone());
        tasks.push(tokio::spawn(async move {
            let auth = format!("Bearer {token}");
            let body = serde_json::to_vec(&json!({"name": format!("Globex {n}")})).unwrap();
            http.send(
                Method::PATCH,
                &path,
                &[
                    ("authorization", auth.as_str()),
                    ("content-type", "application/json"),
                    ("if-match", tag.as_str()),
                ],
                body.into(),
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!((won, refused), (1, 7), "{statuses:?}");
}

/// The updates of records without a GET of their own (tasks, questions), or whose GET shows
/// more than the record (a course with its modules), and the PUTs that publish a program's
/// next policy: each answers its tag, takes it back as `If-Match`, and refuses a stale one.
async fn updates_of_parts_answer_their_tag(app: TestApp) {
    let w = app.world().await;
    let deals = crate::isolation::api::deals(
        &app,
        &w,
        &w.a,
        json!({"name": "Initrode", "web_domain": "initrode.example", "country": "DE"}),
    )
    .await;
    let course = crate::enablement::authored(&app, &w, "Tagging", "Tagging certified").await;
    let (_, _, launch_task) =
        crate::launch::launch_records(&app, &w, &w.a, &w.program.id.to_string()).await;
    let hook = app
        .http
        .post(
            "/api/v1/webhook-subscriptions",
            &w.admin,
            &json!({"url": "http://127.0.0.1:9/hook", "event_kinds": ["registration.created"]}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text());
    let hook = hook.json()["subscription"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let program = w.program.id.to_string();
    let document = app
        .http
        .get(&format!("/api/v1/programs/{program}/policy"), &w.admin)
        .await
        .json()["document"]
        .clone();
    let done = || json!({"status": "done"});
    let open = || json!({"status": "open"});
    let policy = |note: &str| json!({"document": document, "change_note": note});
    // (method, path, token, first change, second change, the GET that repeats the tag)
    let cases: Vec<(Method, String, String, Value, Value, Option<String>)> = vec![
        (
            Method::PATCH,
            format!("/api/v1/plan-tasks/{}", deals.plan_task),
            w.channel.clone(),
            done(),
            open(),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/room-tasks/{}", deals.room_task),
            w.a.rep_token.clone(),
            done(),
            open(),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/launch-tasks/{launch_task}"),
            w.channel.clone(),
            done(),
            open(),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/courses/{}", course.course),
            w.channel.clone(),
            json!({"title": "Tagging one"}),
            json!({"title": "Tagging two"}),
            Some(format!("/api/v1/courses/{}", course.course)),
        ),
        (
            Method::PATCH,
            format!("/api/v1/course-modules/{}", course.modules[0]),
            w.channel.clone(),
            json!({"title": "Module one"}),
            json!({"title": "Module two"}),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/questions/{}", course.questions[0]),
            w.channel.clone(),
            json!({"prompt": "Which one?"}),
            json!({"prompt": "Which two?"}),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/webhook-subscriptions/{hook}"),
            w.admin.clone(),
            json!({"description": "one"}),
            json!({"description": "two"}),
            Some(format!("/api/v1/webhook-subscriptions/{hook}")),
        ),
        (
            Method::PUT,
            format!("/api/v1/programs/{program}/policy"),
            w.admin.clone(),
            policy("one"),
            policy("two"),
            Some(format!("/api/v1/programs/{program}/policy")),
        ),
        (
            Method::PUT,
            format!("/api/v1/programs/{program}/registration-policy"),
            w.admin.clone(),
            json!({"sla_days": 3}),
            json!({"sla_days": 4}),
            Some(format!("/api/v1/programs/{program}/registration-policy")),
        ),
    ];
    for (method, path, token, first, second, get) in cases {
        let tag = etag(&send_if(&app, method.clone(), &path, &token, None, &first).await);
        let newer = etag(&send_if(&app, method.clone(), &path, &token, Some(&tag), &second).await);
        assert_ne!(newer, tag, "{path}: a change changes the tag");
        let stale = send_if(&app, method.clone(), &path, &token, Some(&tag), &first).await;
        assert_eq!(
            stale.status,
            StatusCode::PRECONDITION_FAILED,
            "{path}: {}",
            stale.text()
        );
        assert_eq!(stale.json()["rule"], "if_match", "{path}");
        if let Some(get) = get {
            assert_eq!(
                etag(&app.http.get(&get, &token).await),
                newer,
                "{path}: nothing was written"
            );
        }
    }
}
