//! Events: a vendor webinar and a partner's customer workshop through the API and the
//! public page (capacity, waitlist and its promotion order, the RSVP deadline, check-ins,
//! attendance figures and CSV, who sees which attendees), concurrent replies for the last
//! seat on two instances, and a partner user and a customer replying in Chromium.

mod api;
mod browser;

use chrono::{DateTime, Duration, Utc};
use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

/// An event's body: a webinar starting at `starts_at` for an hour, in UTC+01:00.
pub(crate) fn webinar(
    program: Option<&str>,
    title: &str,
    starts_at: DateTime<Utc>,
    capacity: Option<i64>,
) -> Value {
    let mut v = json!({
        "kind": "webinar", "title": title,
        "description": "## Agenda\n\n- Roadmap\n- **Q&A**",
        "starts_at": starts_at.to_rfc3339(),
        "ends_at": (starts_at + Duration::hours(1)).to_rfc3339(),
        "utc_offset": "+01:00",
        "join_url": "https://meet.example/webinar",
        "audience": "both",
    });
    if let Some(p) = program {
        v["program_id"] = json!(p);
    }
    if let Some(c) = capacity {
        v["capacity"] = json!(c);
    }
    v
}

/// `token` creates and publishes `body`; returns the published event.
pub(crate) async fn published(app: &TestApp, token: &str, body: &Value) -> Value {
    let r = app.http.post("/api/v1/events", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(&format!("/api/v1/events/{id}/publish"), token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// Posts the public page's reply form as a browser would (cookie and token from the page).
pub(crate) async fn public_reply(
    http: &crate::http::Http,
    slug: &str,
    fields: &[(&str, &str)],
) -> crate::http::Answer {
    let page = http.page(&format!("/events/{slug}"), "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let cookie = page
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_public_csrf="))
        .expect("the form's cookie");
    let token = crate::session::csrf_of(&page.text());
    let mut all = vec![("_csrf", token.as_str())];
    all.extend_from_slice(fields);
    http.form(&format!("/events/{slug}"), &cookie, &all, &[])
        .await
}

/// The personal code in a thank-you page.
pub(crate) fn personal_code(html: &str) -> String {
    let at = html.find("/rsvp/").expect("a personal link") + "/rsvp/".len();
    html[at..at + 32].to_owned()
}

/// B's records for the isolation suites: a workshop B hosts for its customers with one
/// customer's reply (attributed to B), and B's rep going to a vendor webinar of B's program.
/// Returns (B's event, the customer's RSVP).
pub(crate) async fn b_event_records(app: &TestApp, w: &crate::harness::World) -> (String, String) {
    let start = Utc::now() + Duration::days(7);
    let mut body = webinar(None, "Beta Consulting customer day", start, Some(30));
    body["kind"] = json!("workshop");
    body["join_url"] = Value::Null;
    body["location"] = json!("Beta Consulting office");
    body["audience"] = json!("customers");
    let e = published(app, &w.b.admin_token, &body).await;
    let slug = e["slug"].as_str().unwrap().to_owned();
    let r = public_reply(
        &app.http,
        &slug,
        &[
            ("name", "Globex buyer"),
            ("email", "buyer@globex.example"),
            ("company", "Globex"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let event = e["id"].as_str().unwrap().to_owned();
    let rsvps = app
        .http
        .get(&format!("/api/v1/events/{event}/rsvps"), &w.b.admin_token)
        .await
        .json();
    let rsvp = rsvps[0]["id"].as_str().unwrap().to_owned();
    let vendor = published(
        app,
        &w.admin,
        &webinar(
            Some(&w.other_program.id.to_string()),
            "Referral program kickoff",
            start,
            None,
        ),
    )
    .await;
    let r = app
        .http
        .post(
            &format!("/api/v1/events/{}/rsvps", vendor["id"].as_str().unwrap()),
            &w.b.rep_token,
            &json!({"response": "going"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    (event, rsvp)
}
