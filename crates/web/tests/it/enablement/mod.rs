//! Enablement: curricula and courses authored by staff, a partner user's enrolment,
//! progress, assessment attempts (shuffled per attempt, scored on the server, the answer key
//! never sent), certifications, their reminders and expiry, and the tier metric
//! `certified_individuals` they feed.

mod api;
mod browser;
mod ui;

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Side, TestApp, World};

pub(crate) fn ok(r: &crate::http::Answer) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

pub(crate) fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key}: {v}"))
        .to_owned()
}

/// A published course of a new curriculum: two modules, two questions (one multiple
/// choice, one multiple answer), pass mark 50%, granting `certification` for 12 months.
pub(crate) struct Authored {
    pub curriculum: String,
    pub course: String,
    pub modules: Vec<String>,
    pub questions: Vec<String>,
}

pub(crate) async fn authored(
    app: &TestApp,
    w: &World,
    title: &str,
    certification: &str,
) -> Authored {
    let c = ok(&app
        .http
        .post(
            "/api/v1/curricula",
            &w.channel,
            &json!({"name": format!("{title} curriculum"), "role": "sales"}),
        )
        .await);
    let curriculum = s(&c, "id");
    let course = ok(&app
        .http
        .post(
            "/api/v1/courses",
            &w.channel,
            &json!({"curriculum_id": curriculum, "title": title, "pass_mark_pct": 50,
                    "max_attempts": 2, "cooldown_hours": 24,
                    "certification_name": certification, "validity_months": 12}),
        )
        .await);
    let course = s(&course, "id");
    let mut modules = Vec::new();
    for (t, body) in [
        (
            "Why customers buy",
            "## The pain\n\nFinance teams close the books **late**. [Read the study](https://example.com/study).",
        ),
        (
            "The demo",
            "1. Connect the ledger\n2. Show the close dashboard\n\n![Dashboard](https://example.com/dash.png)",
        ),
    ] {
        let m = ok(&app
            .http
            .post(
                &format!("/api/v1/courses/{course}/modules"),
                &w.channel,
                &json!({"title": t, "body": body}),
            )
            .await);
        modules.push(s(&m, "id"));
    }
    let mut questions = Vec::new();
    for q in [
        json!({"prompt": "Who buys first?", "kind": "single", "options": [
            {"text": "The CFO", "correct": true}, {"text": "The intern"}, {"text": "Nobody"}]}),
        json!({"prompt": "Which steps are in the demo?", "kind": "multiple", "options": [
            {"text": "Connect the ledger", "correct": true}, {"text": "Show the close dashboard", "correct": true},
            {"text": "Print invoices"}]}),
    ] {
        let r = ok(&app
            .http
            .post(
                &format!("/api/v1/courses/{course}/questions"),
                &w.channel,
                &q,
            )
            .await);
        questions.push(s(&r, "id"));
    }
    ok(&app
        .http
        .patch(
            &format!("/api/v1/courses/{course}"),
            &w.channel,
            &json!({"status": "published"}),
        )
        .await);
    Authored {
        curriculum,
        course,
        modules,
        questions,
    }
}

/// The answers a staff member would give: for each question, its right options (or, with
/// `right = false`, its wrong ones).
pub(crate) async fn answers(app: &TestApp, w: &World, course: &str, right: bool) -> Value {
    let qs = ok(&app
        .http
        .get(&format!("/api/v1/courses/{course}/questions"), &w.channel)
        .await);
    let list: Vec<Value> = qs
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let ids: Vec<Value> = q["options"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["correct"].as_bool() == Some(right))
                .map(|o| o["id"].clone())
                .take(if q["kind"] == "single" { 1 } else { 8 })
                .collect();
            json!({"question_id": q["id"], "option_ids": ids})
        })
        .collect();
    json!({ "answers": list })
}

/// One partner user's learning records: enrolled, every module done, the assessment passed,
/// the course's certification earned.
pub(crate) struct Learning {
    pub course: Authored,
    pub enrolment: String,
    pub attempt: String,
    pub certification: String,
}

pub(crate) async fn learning(app: &TestApp, w: &World, side: &Side, title: &str) -> Learning {
    let course = authored(app, w, title, &format!("{title} certified")).await;
    let token = &side.rep_token;
    let e = ok(&app
        .http
        .post(
            &format!("/api/v1/courses/{}/enrolment", course.course),
            token,
            &json!({}),
        )
        .await);
    let enrolment = s(&e["enrolment"], "id");
    for m in &course.modules {
        ok(&app
            .http
            .post(
                &format!("/api/v1/enrolments/{enrolment}/progress"),
                token,
                &json!({"module_id": m, "complete": true}),
            )
            .await);
    }
    let r = app
        .http
        .post(
            &format!("/api/v1/enrolments/{enrolment}/attempts"),
            token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let attempt = s(&r.json(), "id");
    let body = answers(app, w, &course.course, true).await;
    let done = ok(&app
        .http
        .post(&format!("/api/v1/attempts/{attempt}/submit"), token, &body)
        .await);
    assert_eq!(done["result"]["passed"], true, "{done}");
    let certs = ok(&app
        .http
        .get(
            &format!("/api/v1/certifications?user_id={}", side.rep.id),
            &w.channel,
        )
        .await);
    let certification = certs
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source_id"] == course.course.as_str())
        .map(|c| s(c, "id"))
        .unwrap_or_else(|| panic!("a certification for the course: {certs}"));
    Learning {
        course,
        enrolment,
        attempt,
        certification,
    }
}
