//! Enablement through the API on both databases: authoring, a course worked through,
//! attempts with their limit and cool-down, the answer key never sent, certification,
//! the tier criterion met, reminders and expiry.

use chrono::{Duration, Utc};
use hyper::StatusCode;
use partnerops_core::policy::{Criterion, Metric};
use serde_json::{Value, json};

use super::{answers, authored, ok, s};
use crate::harness::TestApp;
use crate::lifecycle::{in_force, partner, publish};
use crate::on_both;

on_both!(
    course_to_assessment_to_certification_to_tier,
    reminders_at_30_and_7_days_and_expiry,
    authoring_is_checked_and_staff_only,
);

/// The refusing rule of a problem answer: `rule`, else its first error's.
fn rule(r: &crate::http::Answer, status: StatusCode) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    let v = r.json();
    v["rule"]
        .as_str()
        .or_else(|| v["errors"][0]["rule"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Question ids in the order an attempt shows them, with their options' ids.
fn order(attempt: &Value) -> Vec<(String, Vec<String>)> {
    attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                s(q, "id"),
                q["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| s(o, "id"))
                    .collect(),
            )
        })
        .collect()
}

async fn course_to_assessment_to_certification_to_tier(app: TestApp) {
    let w = app.world().await;
    let rep = &w.a.rep_token;
    // A curriculum granting "Sales certified" (24 months) over one course granting
    // "Pitch certified" (12 months).
    let c = authored(&app, &w, "Pitch", "Pitch certified").await;
    ok(&app
        .http
        .patch(
            &format!("/api/v1/curricula/{}", c.curriculum),
            &w.channel,
            &json!({"certification_name": "Sales certified", "validity_months": 24}),
        )
        .await);
    // A draft course is the vendor's only.
    let draft = ok(&app
        .http
        .post(
            "/api/v1/courses",
            &w.channel,
            &json!({"curriculum_id": c.curriculum, "title": "Unfinished"}),
        )
        .await);
    let r = app
        .http
        .get(&format!("/api/v1/courses/{}", s(&draft, "id")), rep)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let listed = ok(&app.http.get("/api/v1/courses", rep).await);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    // The course as a partner sees it: modules in order, no questions.
    let detail = ok(&app
        .http
        .get(&format!("/api/v1/courses/{}", c.course), rep)
        .await);
    assert_eq!(detail["modules"][0]["title"], "Why customers buy");
    assert_eq!(detail["course"]["question_count"], 2);
    let r = app
        .http
        .get(&format!("/api/v1/courses/{}/questions", c.course), rep)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Enrol, open the second module (the player remembers it), complete both.
    let e = ok(&app
        .http
        .post(
            &format!("/api/v1/courses/{}/enrolment", c.course),
            rep,
            &json!({}),
        )
        .await);
    let enrolment = s(&e["enrolment"], "id");
    let again = ok(&app
        .http
        .post(
            &format!("/api/v1/courses/{}/enrolment", c.course),
            rep,
            &json!({}),
        )
        .await);
    assert_eq!(
        s(&again["enrolment"], "id"),
        enrolment,
        "enrolling twice is one enrolment"
    );
    let progress = |module: &str, complete: bool| {
        let path = format!("/api/v1/enrolments/{enrolment}/progress");
        let body = json!({"module_id": module, "complete": complete});
        let http = &app.http;
        async move { http.post(&path, rep, &body).await }
    };
    let p = ok(&progress(&c.modules[1], false).await);
    assert_eq!(p["enrolment"]["last_module_id"], c.modules[1].as_str());
    assert_eq!(p["enrolment"]["modules_done"], 0);
    // Only the learner moves their course on.
    let r = app
        .http
        .post(
            &format!("/api/v1/enrolments/{enrolment}/progress"),
            &w.a.admin_token,
            &json!({"module_id": c.modules[0], "complete": true}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "enablement.own_enrolment");
    let r = progress(&draft["id"].as_str().unwrap().replace("crs_", "cmd_"), true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    for m in &c.modules {
        ok(&progress(m, true).await);
    }
    let p = ok(&app
        .http
        .get(&format!("/api/v1/enrolments/{enrolment}"), rep)
        .await);
    assert_eq!(p["enrolment"]["modules_done"], 2);
    assert!(
        p["enrolment"]["completed_at"].is_null(),
        "the assessment is still to pass"
    );
    // A's admin sees the rep's progress; B sees nothing of it.
    let seen = ok(&app.http.get("/api/v1/enrolments", &w.a.admin_token).await);
    assert_eq!(seen.as_array().unwrap().len(), 1, "{seen}");
    let r = app
        .http
        .get(&format!("/api/v1/enrolments/{enrolment}"), &w.b.admin_token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Attempt 1: the questions without the answer key, the same order on a reload.
    let r = app
        .http
        .post(
            &format!("/api/v1/enrolments/{enrolment}/attempts"),
            rep,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(
        !r.text().contains("correct"),
        "the answer key leaked: {}",
        r.text()
    );
    let first = r.json();
    let attempt = s(&first, "id");
    let reload = ok(&app
        .http
        .get(&format!("/api/v1/attempts/{attempt}"), rep)
        .await);
    assert_eq!(order(&first), order(&reload));
    let resumed = ok(&app
        .http
        .post(
            &format!("/api/v1/enrolments/{enrolment}/attempts"),
            rep,
            &json!({}),
        )
        .await);
    assert_eq!(
        s(&resumed, "id"),
        attempt,
        "a second start resumes the open attempt"
    );
    // Wrong answers: failed, the questions named, not their right answers.
    let wrong = answers(&app, &w, &c.course, false).await;
    let r = app
        .http
        .post(&format!("/api/v1/attempts/{attempt}/submit"), rep, &wrong)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        !r.text().contains("correct\":true") && !r.text().contains("\"correct\":false"),
        "{}",
        r.text()
    );
    let result = &r.json()["result"];
    assert_eq!(result["passed"], false, "{result}");
    assert_eq!(result["score_pct"], 0);
    assert_eq!(result["wrong_question_ids"].as_array().unwrap().len(), 2);
    assert_eq!(result["attempts_left"], 1);
    let r = app
        .http
        .post(&format!("/api/v1/attempts/{attempt}/submit"), rep, &wrong)
        .await;
    assert_eq!(rule(&r, StatusCode::CONFLICT), "assessment.submitted");
    // Attempt 2, another order, wrong again: the round is used up.
    let second = app
        .http
        .post(
            &format!("/api/v1/enrolments/{enrolment}/attempts"),
            rep,
            &json!({}),
        )
        .await
        .json();
    let attempt2 = s(&second, "id");
    assert_ne!(attempt2, attempt);
    let done = ok(&app
        .http
        .post(&format!("/api/v1/attempts/{attempt2}/submit"), rep, &wrong)
        .await);
    assert!(done["result"]["attempts_left"].is_null(), "{done}");
    let retry_at = s(&done["result"], "retry_at");
    let r = app
        .http
        .post(
            &format!("/api/v1/enrolments/{enrolment}/attempts"),
            rep,
            &json!({}),
        )
        .await;
    assert_eq!(
        rule(&r, StatusCode::CONFLICT),
        "assessment.attempts_exhausted"
    );
    assert!(
        r.text().contains(&retry_at[..19]),
        "names the retry time {retry_at}: {}",
        r.text()
    );
    // A day later the next round opens; the right answers pass.
    let later = app
        .shifted_instance(Duration::hours(24) + Duration::minutes(1))
        .await;
    let third = later
        .http
        .post(
            &format!("/api/v1/enrolments/{enrolment}/attempts"),
            rep,
            &json!({}),
        )
        .await;
    assert_eq!(third.status, StatusCode::CREATED, "{}", third.text());
    let attempt3 = s(&third.json(), "id");
    let right = answers(&app, &w, &c.course, true).await;
    let passed = ok(&later
        .http
        .post(&format!("/api/v1/attempts/{attempt3}/submit"), rep, &right)
        .await);
    assert_eq!(passed["result"]["passed"], true, "{passed}");
    assert_eq!(passed["result"]["score_pct"], 100);
    assert_eq!(passed["number"], 3);

    // Completed; both certifications earned (that day), seen by the rep, A's admin and staff
    // only.
    let p = ok(&later
        .http
        .get(&format!("/api/v1/enrolments/{enrolment}"), rep)
        .await);
    assert!(!p["enrolment"]["completed_at"].is_null(), "{p}");
    let mine = ok(&later.http.get("/api/v1/certifications", rep).await);
    let mut names: Vec<String> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s(c, "name"))
        .collect();
    names.sort();
    assert_eq!(names, vec!["Pitch certified", "Sales certified"], "{mine}");
    assert!(mine.as_array().unwrap().iter().all(|c| c["valid"] == true));
    let theirs = ok(&later
        .http
        .get("/api/v1/certifications", &w.b.admin_token)
        .await);
    assert!(theirs.as_array().unwrap().is_empty(), "{theirs}");
    let staff = ok(&later
        .http
        .get(
            &format!(
                "/api/v1/certifications?partner_id={}&state=valid",
                w.a.partner.id
            ),
            &w.channel,
        )
        .await);
    assert_eq!(staff.as_array().unwrap().len(), 2);

    // The tier metric counts the rep once (two certifications, one person).
    let program = w.program.id.to_string();
    let mut policy = in_force(&app, &w.admin, &program).await;
    policy.tiers[1].criteria = vec![Criterion {
        metric: Metric::CertifiedIndividuals,
        at_least: 1,
    }];
    publish(
        &app,
        &w.admin,
        &program,
        &policy.to_toml(),
        "Select: one certified person",
    )
    .await;
    let standing = ok(&later
        .http
        .get(
            &format!("/api/v1/partners/{}/tier-standing", w.a.partner.id),
            &w.admin,
        )
        .await);
    let certified: Vec<&Value> = standing["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["criteria"].as_array().unwrap())
        .filter(|c| c["metric"] == "certified_individuals")
        .collect();
    assert!(!certified.is_empty(), "{standing}");
    for c in &certified {
        assert_eq!(c["actual"], 1, "{c}");
        assert!(c["note"].is_null(), "the count is real now: {c}");
    }
    // As of the day they were earned (the shifted instance's "tomorrow").
    app.run_due_as_of(Utc::now() + Duration::hours(25)).await;
    assert_eq!(
        partner(&app, &w.admin, &w.a.partner.id.to_string()).await["tier_name"],
        "Select"
    );
}

async fn reminders_at_30_and_7_days_and_expiry(app: TestApp) {
    let w = app.world().await;
    let l = super::learning(&app, &w, &w.a, "Renewals").await;
    let cert = ok(&app
        .http
        .get(
            &format!("/api/v1/certifications/{}", l.certification),
            &w.a.rep_token,
        )
        .await);
    let expires: chrono::NaiveDate = s(&cert, "expires_on").parse().unwrap();
    let at = |days_before: i64| crate::lifecycle::at(expires - Duration::days(days_before), 9);
    let store = app.store_as_of(at(31));
    assert_eq!(store.certification_daily().await.unwrap().reminded, 0);
    let store = app.store_as_of(at(30));
    assert_eq!(store.certification_daily().await.unwrap().reminded, 1);
    assert_eq!(
        store.certification_daily().await.unwrap().reminded,
        0,
        "once"
    );
    store.notify().await.unwrap();
    let inbox = ok(&app.http.get("/api/v1/notifications", &w.a.rep_token).await);
    let titles: Vec<String> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "certification")
        .map(|n| s(n, "title"))
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("expires on")),
        "the holder is reminded: {titles:?}"
    );
    let b_inbox = ok(&app
        .http
        .get("/api/v1/notifications", &w.b.admin_token)
        .await);
    assert!(
        b_inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] != "certification")
    );
    let store = app.store_as_of(at(7));
    assert_eq!(store.certification_daily().await.unwrap().reminded, 1);
    // Valid on its last day, expired the day after.
    let store = app.store_as_of(at(0));
    let r = store.certification_daily().await.unwrap();
    assert_eq!((r.reminded, r.expired), (0, 0));
    assert_eq!(
        store
            .certified_individuals(&w.a.partner.id.to_string())
            .await
            .unwrap(),
        1
    );
    let store = app.store_as_of(at(-1));
    assert_eq!(store.certification_daily().await.unwrap().expired, 1);
    assert_eq!(
        store.certification_daily().await.unwrap().expired,
        0,
        "once"
    );
    assert_eq!(
        store
            .certified_individuals(&w.a.partner.id.to_string())
            .await
            .unwrap(),
        0
    );
}

async fn authoring_is_checked_and_staff_only(app: TestApp) {
    let w = app.world().await;
    let r = app
        .http
        .post(
            "/api/v1/curricula",
            &w.a.admin_token,
            &json!({"name": "Ours", "role": "sales"}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "role.author_enablement");
    let r = app
        .http
        .post("/api/v1/curricula", &w.channel, &json!({"role": "chef"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut rules = r.problem_rules();
    rules.sort();
    assert_eq!(rules, vec!["name:required", "role:one_of"]);
    let c = authored(&app, &w, "Checks", "Checks certified").await;
    let r = app
        .http
        .post(
            &format!("/api/v1/courses/{}/questions", c.course),
            &w.channel,
            &json!({"prompt": "Two right?", "kind": "single", "options": [
                {"text": "a", "correct": true}, {"text": "b", "correct": true}]}),
        )
        .await;
    assert_eq!(r.problem_rules(), vec!["options:question.one_correct"]);
    let r = app
        .http
        .patch(
            &format!("/api/v1/courses/{}", c.course),
            &w.channel,
            &json!({"pass_mark_pct": 101}),
        )
        .await;
    assert_eq!(r.problem_rules(), vec!["pass_mark_pct:range"]);
    // Staff do not take courses.
    let r = app
        .http
        .post(
            &format!("/api/v1/courses/{}/enrolment", c.course),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(rule(&r, StatusCode::FORBIDDEN), "role.take_course");
    // A staff member sees the answer key; the question list names each option's flag.
    let qs = ok(&app
        .http
        .get(
            &format!("/api/v1/courses/{}/questions", c.course),
            &w.channel,
        )
        .await);
    assert_eq!(qs.as_array().unwrap().len(), 2);
    assert!(qs[0]["options"][0]["correct"].is_boolean());
    let m = ok(&app
        .http
        .patch(
            &format!("/api/v1/course-modules/{}", c.modules[0]),
            &w.channel,
            &json!({"title": "Why customers buy now"}),
        )
        .await);
    assert_eq!(m["title"], "Why customers buy now");
    assert!(s(&m, "body").contains("Finance teams"));
    let q = ok(&app
        .http
        .patch(
            &format!("/api/v1/questions/{}", c.questions[0]),
            &w.channel,
            &json!({"prompt": "Who signs first?"}),
        )
        .await);
    assert_eq!(q["options"].as_array().unwrap().len(), 3, "options kept");
}
