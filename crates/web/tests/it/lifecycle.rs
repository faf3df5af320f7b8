//! The partner lifecycle and program policy through the API: the public application form
//! with its fit score, approval, the invitation and onboarding up to activation; tier
//! re-evaluation, the annual review and the sunset rule driven by `run_due` as of a time;
//! publishing, diffing and drafting the policy document with the advisory council; the first
//! cohort; and the what-if replay, which writes nothing.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, Utc};
use hyper::{Method, StatusCode};
use partnerops_core::policy::{Criterion, Metric, ProgramPolicy};
use partnerops_core::scope::Scope;
use partnerops_core::user::NewTokenInput;
use partnerops_store::Actor;
use partnerops_store::lifecycle::tiering::review_note;
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::{Answer, Http};
use crate::on_both;

on_both!(
    apply_score_approve_onboard_activate,
    tiers_follow_live_data_the_annual_review_and_the_sunset_rule,
    a_late_review_judges_only_partners_that_existed_on_its_day,
    policy_publish_diff_and_history,
    drafts_council_and_first_cohort,
    simulation_reports_changes_and_writes_nothing,
);

// ---------------------------------------------------------------------------------------
// Helpers

/// `day` at `hour`:00 UTC.
fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap())
        .and_utc()
}

/// A review day (`MM-DD`) `days` from today (never 29 February), and that date.
fn review_in(days: i64) -> (String, NaiveDate) {
    let mut day = Utc::now().date_naive() + Duration::days(days);
    if day.format("%m-%d").to_string() == "02-29" {
        day += Duration::days(1);
    }
    (day.format("%m-%d").to_string(), day)
}

/// The first `MM-DD` day after `after`.
fn next_on(month_day: &str, after: NaiveDate) -> NaiveDate {
    let (m, d) = month_day.split_once('-').unwrap();
    let on = |year| NaiveDate::from_ymd_opt(year, m.parse().unwrap(), d.parse().unwrap()).unwrap();
    let this_year = on(after.year());
    if this_year > after {
        this_year
    } else {
        on(after.year() + 1)
    }
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

/// The fields of a problem document's errors.
fn fields(r: &Answer) -> Vec<String> {
    let mut f: Vec<String> = r
        .problem_rules()
        .iter()
        .map(|e| e.split(':').next().unwrap_or_default().to_owned())
        .collect();
    f.sort();
    f
}

/// A complete application from a company that looks like a good partner.
fn application(program: &str, company: &str, domain: &str, email: &str) -> Value {
    json!({
        "program_id": program,
        "company": company,
        "web_domain": domain,
        "partner_type": "reseller",
        "country": "DE",
        "employees": 180,
        "countries": ["DE", "AT", "CH", "NL"],
        "verticals": ["manufacturing", "retail"],
        "vendor_relationships": ["Microsoft", "Salesforce", "SAP"],
        "target_customers": 60,
        "certified_staff": 12,
        "contact_name": "Ada Lovelace",
        "contact_email": email,
    })
}

async fn apply(app: &TestApp, body: &Value) -> Answer {
    app.http
        .api(Method::POST, "/api/v1/applications", None, Some(body))
        .await
}

/// The applications `token` sees, as ids.
async fn application_ids(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let r = app
        .http
        .get(&format!("/api/v1/applications{query}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().unwrap().iter().map(id).collect()
}

/// `base` with a low bar for Select: 1,000.00 sourced ARR and one registration, and a
/// Select quota of 1,000.00.
fn low_bar(base: ProgramPolicy) -> ProgramPolicy {
    let mut p = base;
    p.tiers[1].criteria = vec![
        Criterion {
            metric: Metric::SourcedArr,
            at_least: 100_000,
        },
        Criterion {
            metric: Metric::Registrations,
            at_least: 1,
        },
    ];
    p.tiers[1].annual_quota_minor = 100_000;
    p
}

/// The policy in force for a program, parsed from its document.
async fn in_force(app: &TestApp, token: &str, program: &str) -> ProgramPolicy {
    let v = policy_of(app, token, program).await;
    ProgramPolicy::from_toml(v["document"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("the document in force parses: {e:?}"))
}

async fn put_policy(app: &TestApp, token: &str, program: &str, body: &Value) -> Answer {
    app.http
        .api(
            Method::PUT,
            &format!("/api/v1/programs/{program}/policy"),
            Some(token),
            Some(body),
        )
        .await
}

/// Publishes a document and expects it in force.
async fn publish(app: &TestApp, token: &str, program: &str, doc: &str, note: &str) -> Value {
    let r = put_policy(
        app,
        token,
        program,
        &json!({"document": doc, "change_note": note}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn policy_of(app: &TestApp, token: &str, program: &str) -> Value {
    let r = app
        .http
        .get(&format!("/api/v1/programs/{program}/policy"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// A registration for `partner` on a described company, submitted by vendor staff on the
/// partner's behalf and approved, through `http` (whose clock dates it).
async fn approved_deal(http: &Http, w: &World, partner: &str, company: &str, arr: i64) -> String {
    let domain = format!("{}.example", company.to_lowercase().replace(' ', "-"));
    let r = http
        .post(
            "/api/v1/registrations",
            &w.channel,
            &json!({
                "account": {"name": company, "web_domain": domain, "country": "DE"},
                "title": format!("{company} rollout"),
                "estimated_arr_minor": arr,
                "partner_id": partner,
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let reg = id(&r.json());
    let r = http
        .post(
            &format!("/api/v1/registrations/{reg}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    reg
}

/// As [`approved_deal`], then closed won.
async fn won_deal(http: &Http, w: &World, partner: &str, company: &str, arr: i64) -> String {
    let reg = approved_deal(http, w, partner, company, arr).await;
    let r = http
        .post(
            &format!("/api/v1/registrations/{reg}/close"),
            &w.channel,
            &json!({"outcome": "won"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "won");
    reg
}

/// Creates a partner of `program` through the API (as the vendor admin).
async fn new_partner(app: &TestApp, w: &World, body: Value) -> Value {
    let r = app.http.post("/api/v1/partners", &w.admin, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn partner(app: &TestApp, token: &str, partner: &str) -> Value {
    let r = app
        .http
        .get(&format!("/api/v1/partners/{partner}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// The decisions about a partner, oldest first.
async fn decisions(app: &TestApp, token: &str, partner: &str) -> Vec<Value> {
    let r = app
        .http
        .get(&format!("/api/v1/partners/{partner}/decisions"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().unwrap().clone()
}

fn rules(decisions: &[Value]) -> Vec<String> {
    decisions
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// The tier names of a program's ladder, by rank.
async fn ladder(app: &TestApp, w: &World, program: &str) -> Vec<(String, String)> {
    let r = app
        .http
        .get(&format!("/api/v1/programs/{program}/tiers"), &w.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mut tiers: Vec<(i64, String, String)> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["rank"].as_i64().unwrap(),
                t["name"].as_str().unwrap().to_owned(),
                id(t),
            )
        })
        .collect();
    tiers.sort();
    tiers.into_iter().map(|(_, name, id)| (name, id)).collect()
}

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

/// Signs in through the login form; the status and the session cookie (empty if none).
async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, String) {
    let form = app
        .http
        .send(Method::GET, "/login", &[], Default::default())
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

/// An API token for an existing user (as `partnerops tokens create` makes one).
async fn token_for(app: &TestApp, user_id: &str) -> String {
    let user = app.store.user(&Scope::Vendor, user_id).await.unwrap();
    let (_, secret) = app
        .store
        .create_token(
            &Actor::system("test"),
            &user.id,
            &NewTokenInput {
                name: Some("test".into()),
            },
        )
        .await
        .unwrap();
    secret
}

fn item<'a>(onboarding: &'a Value, key: &str) -> &'a Value {
    onboarding["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("no item {key}: {onboarding}"))
}

// ---------------------------------------------------------------------------------------
// 1. Apply → score → approve → invitation → onboarding → activation

async fn apply_score_approve_onboard_activate(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let today = Utc::now().date_naive();

    // Invalid input: every wrong field is named, and nothing is stored.
    let mut bad = application(
        &program,
        "Apex Solutions",
        "apex.example",
        "ada@apex.example",
    );
    bad.as_object_mut().unwrap().remove("company");
    bad["employees"] = json!(-1);
    bad["contact_email"] = json!("not an address");
    let r = apply(&app, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(
        fields(&r),
        vec!["company", "contact_email", "employees"],
        "{}",
        r.text()
    );
    assert!(r.problem_rules().contains(&"company:required".to_owned()));
    assert!(r.problem_rules().contains(&"employees:range".to_owned()));
    let unknown_program = application(
        &format!("prg_{}", uuid::Uuid::now_v7().simple()),
        "Apex Solutions",
        "apex.example",
        "ada@apex.example",
    );
    let r = apply(&app, &unknown_program).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(fields(&r), vec!["program_id"], "{}", r.text());
    assert!(
        application_ids(&app, &w.admin, "").await.is_empty(),
        "a refused application stores nothing"
    );

    // A complete application, without signing in: scored on arrival by the documented rules
    // (the program has no labelled partners yet, fewer than the policy's 20).
    let r = apply(
        &app,
        &application(
            &program,
            "Apex Solutions",
            "apex.example",
            "ada@apex.example",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let applied = r.json();
    let application_id = id(&applied);
    assert_eq!(applied["status"], "submitted");
    assert_eq!(applied["program_id"], program);
    assert_eq!(applied["web_domain"], "apex.example");
    let fit = &applied["fit"];
    let score = fit["score"].as_u64().unwrap();
    assert!(score <= 100, "{fit}");
    assert_eq!(fit["method"], "rules", "{fit}");
    let reason = fit["reason"].as_str().unwrap();
    assert!(
        reason.contains("the 20 the policy requires"),
        "the reason names the policy's minimum: {reason}"
    );
    assert_eq!(fit["labelled"], 0);
    assert!(fit["auc"].is_null());
    let factors = fit["factors"].as_array().unwrap();
    assert!(!factors.is_empty(), "{fit}");
    assert!(
        factors.iter().any(|f| f["feature"] == "certified_staff"),
        "{fit}"
    );

    // A weaker applicant scores lower under the same rules.
    let mut weak = application(
        &program,
        "Tiny Shop",
        "tiny-shop.example",
        "bo@tiny-shop.example",
    );
    for (k, v) in [
        ("employees", json!(2)),
        ("countries", json!([])),
        ("verticals", json!([])),
        ("vendor_relationships", json!([])),
        ("target_customers", json!(0)),
        ("certified_staff", json!(0)),
    ] {
        weak[k] = v;
    }
    let r = apply(&app, &weak).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let weak = r.json();
    assert!(
        weak["fit"]["score"].as_u64().unwrap() < score,
        "weak {} vs strong {score}",
        weak["fit"]["score"]
    );

    // The same domain again (however it is written) while the first waits: 409.
    let r = apply(
        &app,
        &application(
            &program,
            "Apex Solutions GmbH",
            "https://www.APEX.example/partners",
            "other@apex.example",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["web_domain:unique"]);

    // The staff queue.
    let submitted = application_ids(&app, &w.channel, "?status=submitted").await;
    assert_eq!(submitted.len(), 2);
    assert!(submitted.contains(&application_id));
    let r = app
        .http
        .get("/api/v1/applications?status=maybe", &w.channel)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&r), vec!["status"]);
    assert_eq!(
        application_ids(
            &app,
            &w.channel,
            &format!("?program_id={}", w.other_program.id)
        )
        .await,
        Vec::<String>::new()
    );
    // Partners see none of it (neither joined through an application).
    assert!(application_ids(&app, &w.a.admin_token, "").await.is_empty());
    let r = app
        .http
        .get(
            &format!("/api/v1/applications/{application_id}"),
            &w.a.admin_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Rescoring gives the same score while nothing changed.
    let r = app
        .http
        .post(
            &format!("/api/v1/applications/{application_id}/rescore"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["fit"]["score"].as_u64().unwrap(), score);

    // Declining needs a note; a declined application cannot be approved.
    let weak_id = id(&weak);
    let r = app
        .http
        .post(
            &format!("/api/v1/applications/{weak_id}/decline"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["note:required"]);
    let r = app
        .http
        .post(
            &format!("/api/v1/applications/{weak_id}/decline"),
            &w.channel,
            &json!({"note": "no certified staff yet"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "declined");
    let r = app
        .http
        .post(
            &format!("/api/v1/applications/{weak_id}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());

    // Direct sales may not approve; the channel manager does.
    let r = app
        .http
        .post(
            &format!("/api/v1/applications/{application_id}/approve"),
            &w.sales,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app
        .http
        .post(
            &format!("/api/v1/applications/{application_id}/approve"),
            &w.channel,
            &json!({"note": "strong fit in DACH"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let approval = r.json();
    let new_partner = &approval["partner"];
    let partner_id = id(new_partner);
    assert_eq!(new_partner["name"], "Apex Solutions");
    assert_eq!(new_partner["status"], "onboarding");
    assert_eq!(new_partner["tier_name"], "Registered", "the entry tier");
    assert_eq!(new_partner["program_id"], program);
    assert_eq!(new_partner["joined_on"], today.to_string());
    assert_eq!(approval["application"]["status"], "approved");
    assert_eq!(approval["application"]["partner_id"], partner_id);
    assert_eq!(
        approval["application"]["decision_note"],
        "strong fit in DACH"
    );
    let invitation = approval["invitation_token"].as_str().unwrap().to_owned();
    assert!(invitation.starts_with("inv_") && invitation.len() > 20);
    let admin_id = approval["admin_user_id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/applications/{application_id}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["status:decided"]);
    assert_eq!(
        application_ids(&app, &w.channel, "?status=submitted").await,
        Vec::<String>::new()
    );
    assert_eq!(
        application_ids(&app, &w.channel, "?status=approved").await,
        vec![application_id.clone()]
    );

    // The invitation: a short password is refused, the right one is set, the link is used up.
    let accept = |body: Value| {
        let http = app.http.clone();
        async move {
            http.api(
                Method::POST,
                "/api/v1/invitations/accept",
                None,
                Some(&body),
            )
            .await
        }
    };
    let password = "a long enough passphrase";
    let r = accept(json!({"token": invitation, "password": "short"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(fields(&r), vec!["password"]);
    let r = accept(json!({"token": "inv_madeup", "password": password})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["token:invitation"]);
    let (status, _) = sign_in(&app, "ada@apex.example", password).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "no sign-in before the invitation is accepted"
    );
    let r = accept(json!({"token": invitation, "password": password})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let user = r.json();
    assert_eq!(id(&user), admin_id);
    assert_eq!(user["role"], "partner_admin");
    assert_eq!(user["partner_id"], partner_id);
    assert!(!r.text().contains("password_hash"), "{}", r.text());
    let r = accept(json!({"token": invitation, "password": "another long passphrase"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["token:invitation_used"]);
    let (status, session) = sign_in(&app, "ada@apex.example", password).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the invited admin signs in");
    assert!(!session.is_empty());
    let (status, _) = sign_in(&app, "ada@apex.example", "another long passphrase").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the reused link set nothing"
    );
    let apex = token_for(&app, &admin_id).await;

    // A declined company may apply again; an invitation left for 15 days has expired.
    let r = apply(
        &app,
        &application(
            &program,
            "Tiny Shop",
            "tiny-shop.example",
            "bo@tiny-shop.example",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .http
        .post(
            &format!("/api/v1/applications/{}/approve", id(&r.json())),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let late_token = r.json()["invitation_token"].as_str().unwrap().to_owned();
    let fortnight_later = app.shifted_instance(Duration::days(15)).await;
    let r = fortnight_later
        .http
        .api(
            Method::POST,
            "/api/v1/invitations/accept",
            None,
            Some(&json!({"token": late_token, "password": password})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["token:invitation_expired"]);

    // The partner sees the application it joined through, and only that.
    assert_eq!(
        application_ids(&app, &apex, "").await,
        vec![application_id.clone()]
    );

    // Onboarding: the invitation ticked itself; the agreement is the admin's to tick.
    let path = format!("/api/v1/partners/{partner_id}/onboarding");
    let r = app.http.get(&path, &apex).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let onboarding = r.json();
    let keys: Vec<&str> = onboarding["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        vec![
            "agreement_signed",
            "portal_users_invited",
            "onboarding_course_completed",
            "first_jbp",
            "first_registration"
        ]
    );
    assert!(item(&onboarding, "portal_users_invited")["done_at"].is_string());
    assert_eq!(
        item(&onboarding, "portal_users_invited")["signal"],
        "users_invited"
    );
    assert!(item(&onboarding, "agreement_signed")["done_at"].is_null());
    assert!(item(&onboarding, "first_registration")["done_at"].is_null());
    assert_eq!(
        (onboarding["done"].as_u64(), onboarding["total"].as_u64()),
        (Some(1), Some(5))
    );
    assert!(onboarding["activation"]["days"].is_null());
    // Another partner cannot read or tick it.
    assert_eq!(
        app.http.get(&path, &w.a.admin_token).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .http
        .post(
            &format!("{path}/agreement_signed"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());

    let r = app
        .http
        .post(&format!("{path}/agreement_signed"), &apex, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let onboarding = r.json();
    let signed = item(&onboarding, "agreement_signed");
    assert!(signed["done_at"].is_string(), "{onboarding}");
    assert_eq!(signed["done_by"], "Ada Lovelace");
    assert_eq!(onboarding["done"], 2);
    assert_eq!(onboarding["activation"]["signed_on"], today.to_string());
    let r = app
        .http
        .post(&format!("{path}/first_registration"), &apex, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["key:automatic"]);
    let r = app
        .http
        .post(&format!("{path}/world_domination"), &apex, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["key:one_of"]);
    // Unticking and ticking again (staff may tick too).
    let r = app
        .http
        .post(
            &format!("{path}/onboarding_course_completed"),
            &w.channel,
            &json!({"done": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["done"], 3);
    let r = app
        .http
        .post(
            &format!("{path}/onboarding_course_completed"),
            &apex,
            &json!({"done": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["done"], 2);
    assert!(item(&r.json(), "onboarding_course_completed")["done_at"].is_null());

    // The first deal: registered by the partner, approved, won three days later.
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &apex,
            &json!({
                "account": {"name": "Initech", "web_domain": "initech.example", "country": "DE"},
                "title": "Initech rollout",
                "estimated_arr_minor": 500_000,
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let reg = id(&r.json());
    assert_eq!(r.json()["partner_id"], partner_id);
    let onboarding = app.http.get(&path, &apex).await.json();
    assert!(item(&onboarding, "first_registration")["done_at"].is_string());
    assert_eq!(onboarding["done"], 3);
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{reg}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let later = app.shifted_instance(Duration::days(3)).await;
    let r = later
        .http
        .post(
            &format!("/api/v1/registrations/{reg}/close"),
            &apex,
            &json!({"outcome": "won"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let won_on = (Utc::now() + Duration::days(3)).date_naive();

    let onboarding = app.http.get(&path, &apex).await.json();
    assert_eq!(onboarding["activation"]["days"], 3, "{onboarding}");
    assert_eq!(onboarding["activation"]["first_won_on"], won_on.to_string());
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/activation"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report = r.json();
    let rows = report["partners"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|p| p["partner_id"] == partner_id)
        .unwrap_or_else(|| panic!("Apex is in the report: {report}"));
    assert_eq!(row["partner_name"], "Apex Solutions");
    assert_eq!(row["activation"]["signed_on"], today.to_string());
    assert_eq!(row["activation"]["days"], 3);
    let alpha = rows
        .iter()
        .find(|p| p["partner_id"] == w.a.partner.id.to_string())
        .unwrap();
    assert!(alpha["activation"]["days"].is_null(), "Alpha won nothing");
    assert_eq!(rows.len(), 3, "only this program's partners: {report}");
    let cohorts = report["cohorts"].as_array().unwrap();
    assert_eq!(cohorts.len(), 1, "{report}");
    assert_eq!(cohorts[0]["partners"], 3);
    assert_eq!(cohorts[0]["activated"], 1);
    assert_eq!(cohorts[0]["median_days"], 3);
    // The report is the vendor's.
    let r = app
        .http
        .get(&format!("/api/v1/programs/{program}/activation"), &apex)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------
// 2. Tiering driven by the clock: upgrade, annual review, sunset

async fn tiers_follow_live_data_the_annual_review_and_the_sunset_rule(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let tiers = ladder(&app, &w, &program).await;
    let names: Vec<&str> = tiers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["Registered", "Select", "Premier"]);
    let select_id = tiers[1].1.clone();
    let now = Utc::now();
    let today = now.date_naive();
    let mut policy = low_bar(in_force(&app, &w.admin, &program).await);
    assert_eq!(policy.governance.annual_review, "01-15");
    if today.format("%m-%d").to_string() == "01-15" {
        // Run on the review day itself, no review may fall due when the test starts.
        policy.governance.annual_review = "01-16".into();
    }
    let review_on = next_on(&policy.governance.annual_review, today);
    let published = publish(
        &app,
        &w.admin,
        &program,
        &policy.to_toml(),
        "Select within reach of new partners",
    )
    .await;
    assert_eq!(published["version"], 2);

    // Gamma joined a year ago and won a deal then; it has one open registration now.
    let then = now.checked_sub_months(Months::new(12)).unwrap() + Duration::hours(6);
    let gamma = new_partner(
        &app,
        &w,
        json!({"name": "Gamma Reseller", "web_domain": "gamma.example", "partner_type": "reseller",
               "program_id": program, "country": "DE", "status": "active",
               "joined_on": then.date_naive().to_string()}),
    )
    .await;
    let gamma_id = id(&gamma);
    assert_eq!(gamma["tier_name"], "Registered");
    let past = app.shifted_instance(then - Utc::now()).await;
    let old_win = won_deal(&past.http, &w, &gamma_id, "Past Works", 150_000).await;
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.channel,
            &json!({"account": {"name": "Open Deal Co", "web_domain": "open-deal.example", "country": "DE"},
                    "title": "Open deal", "estimated_arr_minor": 10_000, "partner_id": gamma_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Delta: on Select for a year and a half and never registered a deal.
    let delta_joined = today.checked_sub_months(Months::new(18)).unwrap();
    let delta = new_partner(
        &app,
        &w,
        json!({"name": "Delta Partners", "web_domain": "delta.example", "partner_type": "msp",
               "program_id": program, "country": "NL", "status": "active",
               "joined_on": delta_joined.to_string(), "tier_id": select_id}),
    )
    .await;
    let delta_id = id(&delta);
    assert_eq!(delta["tier_name"], "Select");
    // Nothing moves until the job runs.
    assert_eq!(
        partner(&app, &w.admin, &gamma_id).await["tier_name"],
        "Registered"
    );

    let report = app.run_due_as_of(Utc::now()).await;
    assert!(report.ran("partners.tiering"), "{report:?}");
    assert_eq!(
        report.count("partners.tiering", "upgraded"),
        1,
        "{report:?}"
    );
    assert_eq!(report.count("partners.tiering", "sunset"), 1, "{report:?}");
    assert_eq!(
        report.count("partners.tiering", "downgraded"),
        0,
        "{report:?}"
    );
    assert!(
        report.notes("partners.tiering").is_empty(),
        "no review day since the program started: {report:?}"
    );

    // Gamma: upgraded, with the criteria it met named.
    let g = partner(&app, &w.admin, &gamma_id).await;
    assert_eq!(g["tier_name"], "Select");
    assert_eq!(g["tier_id"], select_id);
    let d = decisions(&app, &w.admin, &gamma_id).await;
    assert_eq!(rules(&d), vec!["tiering.upgrade"], "{d:?}");
    let up = &d[0];
    assert_eq!(up["outcome"], "Registered → Select");
    assert_eq!(up["policy_version"], 2);
    let reason = up["reason"].as_str().unwrap();
    assert!(
        reason.contains("sourced_arr 150000 of ≥ 100000 (met)")
            && reason.contains("registrations 2 of ≥ 1 (met)"),
        "{reason}"
    );
    assert!(
        up["records"]
            .as_array()
            .unwrap()
            .contains(&json!(select_id))
    );
    // Its own users see the decision too (a partner reads its own decisions).
    let (_, gamma_rep) = app
        .user_with_token(
            "rep@gamma.example",
            "partner_rep",
            Some(&app.store.partner(&Scope::Vendor, &gamma_id).await.unwrap()),
        )
        .await;
    assert_eq!(decisions(&app, &gamma_rep, &gamma_id).await.len(), 1);
    assert_eq!(
        app.http
            .get(
                &format!("/api/v1/partners/{gamma_id}/decisions"),
                &w.a.rep_token
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Where it stands: Select, and what Premier still needs.
    let r = app
        .http
        .get(
            &format!("/api/v1/partners/{gamma_id}/tier-standing"),
            &gamma_rep,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let standing = r.json();
    assert_eq!(standing["tier_rank"], 2);
    assert_eq!(standing["tier_name"], "Select");
    assert_eq!(standing["policy_version"], 2);
    assert_eq!(standing["metrics"]["sourced_arr_minor"], 150_000);
    assert_eq!(standing["metrics"]["registrations"], 2);
    let next = &standing["next_tier"];
    assert_eq!(next["name"], "Premier");
    assert_eq!(next["rank"], 3);
    assert_eq!(next["met"], false);
    let missed: Vec<&str> = next["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["met"] == false)
        .map(|c| c["metric"].as_str().unwrap())
        .collect();
    assert_eq!(
        missed,
        vec![
            "sourced_arr",
            "registrations",
            "certified_individuals",
            "jbp_in_place"
        ]
    );
    let certified = next["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "certified_individuals")
        .unwrap();
    assert_eq!(certified["note"], "not recorded yet; evaluated as 0");

    // Delta: sunset back to the entry tier.
    assert_eq!(
        partner(&app, &w.admin, &delta_id).await["tier_name"],
        "Registered"
    );
    let d = decisions(&app, &w.admin, &delta_id).await;
    assert_eq!(rules(&d), vec!["tiering.sunset"], "{d:?}");
    assert_eq!(d[0]["outcome"], "Select → Registered");
    let reason = d[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("none ever") && reason.contains(&format!("joined {delta_joined}")),
        "{reason}"
    );
    // Alpha (no deals, joined today) stays where it is.
    assert_eq!(
        partner(&app, &w.admin, &w.a.partner.id.to_string()).await["tier_name"],
        "Registered"
    );

    // The next annual review (15 January): Gamma's win is older than 12 months by then, so
    // it missed its 1,000.00 quota by 100% and moves down one tier.
    let review_day = at(review_on, 9);
    let report = app.run_due_as_of(review_day).await;
    assert!(
        report
            .notes("partners.tiering")
            .contains(&review_note(&program, review_on).as_str()),
        "{report:?}"
    );
    assert_eq!(
        report.count("partners.tiering", "downgraded"),
        1,
        "{report:?}"
    );
    assert_eq!(
        partner(&app, &w.admin, &gamma_id).await["tier_name"],
        "Registered"
    );
    let d = decisions(&app, &w.admin, &gamma_id).await;
    assert_eq!(
        rules(&d),
        vec!["tiering.upgrade", "tiering.annual_review.downgrade"],
        "{d:?}"
    );
    let down = &d[1];
    assert_eq!(down["outcome"], "Select → Registered");
    let reason = down["reason"].as_str().unwrap();
    assert!(
        reason.contains("against a quota of 1,000.00")
            && reason.contains("100.0%")
            && reason.contains("30%"),
        "{reason}"
    );
    let stamp = |d: &Value| d["at"].as_str().unwrap().to_owned();
    assert!(stamp(down).starts_with(&review_on.to_string()), "{down}");

    // The same day again: the day's job already ran, and a second evaluation does not review
    // (nor downgrade) again.
    let report = app.run_due_as_of(review_day + Duration::hours(6)).await;
    assert!(!report.ran("partners.tiering"), "{report:?}");
    let again = app
        .store_as_of(review_day + Duration::hours(7))
        .evaluate_tiers()
        .await
        .unwrap();
    assert!(again.reviews.is_empty(), "{again:?}");
    assert_eq!((again.downgraded, again.upgraded, again.sunset), (0, 0, 0));
    let d = decisions(&app, &w.admin, &gamma_id).await;
    assert_eq!(
        rules(&d)
            .iter()
            .filter(|r| r.as_str() == "tiering.annual_review.downgrade")
            .count(),
        1,
        "{d:?}"
    );
    assert_eq!(
        partner(&app, &w.admin, &gamma_id).await["tier_name"],
        "Registered"
    );
    // The old win still counts as a won registration of Gamma's.
    let r = app
        .http
        .get(&format!("/api/v1/registrations/{old_win}"), &w.admin)
        .await;
    assert_eq!(r.json()["status"], "won");
}

/// The job did not run on the review day: the review runs with the next run, and judges the
/// partners that existed on its day (as the what-if replay does), not one that joined since.
async fn a_late_review_judges_only_partners_that_existed_on_its_day(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let select_id = ladder(&app, &w, &program).await[1].1.clone();
    let mut policy = low_bar(in_force(&app, &w.admin, &program).await);
    let (month_day, review_on) = review_in(30);
    policy.governance.annual_review = month_day;
    publish(
        &app,
        &w.admin,
        &program,
        &policy.to_toml(),
        "Quota for Select",
    )
    .await;
    let early_joined = Utc::now().date_naive() - Duration::days(20);
    let late_joined = review_on + Duration::days(3);
    let on_select = |name: &str, domain: &str, joined: &str| {
        json!({"name": name, "web_domain": domain, "partner_type": "reseller", "program_id": program,
               "country": "DE", "status": "active", "joined_on": joined, "tier_id": select_id})
    };
    let early = id(&new_partner(
        &app,
        &w,
        on_select("Early Bird", "early.example", &early_joined.to_string()),
    )
    .await);
    let late = id(&new_partner(
        &app,
        &w,
        on_select("Late Comer", "late.example", &late_joined.to_string()),
    )
    .await);

    let report = app
        .run_due_as_of(at(review_on + Duration::days(5), 8))
        .await;
    assert!(
        report
            .notes("partners.tiering")
            .contains(&review_note(&program, review_on).as_str()),
        "{report:?}"
    );
    assert_eq!(
        report.count("partners.tiering", "downgraded"),
        1,
        "{report:?}"
    );
    assert_eq!(
        partner(&app, &w.admin, &early).await["tier_name"],
        "Registered"
    );
    assert_eq!(
        rules(&decisions(&app, &w.admin, &early).await),
        vec!["tiering.annual_review.downgrade"]
    );
    assert_eq!(partner(&app, &w.admin, &late).await["tier_name"], "Select");
    let d = decisions(&app, &w.admin, &late).await;
    assert_eq!(rules(&d), vec!["tiering.keep"], "{d:?}");
    assert_eq!(d[0]["outcome"], "stays Select");
    // The replay agrees: the policy in force changes nothing for either.
    let later = app
        .shifted_instance(at(review_on + Duration::days(5), 9) - Utc::now())
        .await;
    let r = later
        .http
        .post(
            &format!("/api/v1/programs/{program}/policy/simulate"),
            &w.admin,
            &json!({"document": policy.to_toml()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["changes"], json!([]));
}

// ---------------------------------------------------------------------------------------
// 3. Publishing, validation, history and differences

async fn policy_publish_diff_and_history(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();

    let v1 = policy_of(&app, &w.channel, &program).await;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["author_name"], "seed defaults");
    assert!(v1["published_at"].is_null());
    // The seed's rules over the program's own ladder.
    let v1_policy = ProgramPolicy::from_toml(v1["document"].as_str().unwrap()).expect("valid TOML");
    let seed = ProgramPolicy::seed_default();
    let names: Vec<&str> = v1_policy.tiers.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["Registered", "Select", "Premier"]);
    for (mine, seeded) in v1_policy.tiers.iter().zip(&seed.tiers) {
        assert_eq!(mine.criteria, seeded.criteria);
        assert_eq!(mine.annual_quota_minor, seeded.annual_quota_minor);
    }
    assert_eq!(v1_policy.governance, seed.governance);
    assert_eq!(v1_policy.registration.validity_days, 90);
    // Programs are the vendor's: a partner gets 404 for its own program's policy.
    assert_eq!(
        app.http
            .get(
                &format!("/api/v1/programs/{program}/policy"),
                &w.a.admin_token
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A registration under version 1 records it.
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Umbrella", "web_domain": "umbrella.example", "country": "DE"},
                    "title": "Umbrella rollout", "estimated_arr_minor": 1000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["policy_version"], 1);

    // Invalid documents: every wrong key is named, nothing is published.
    let mut bad = ProgramPolicy::seed_default();
    bad.registration.validity_days = -5;
    bad.tiers[2].criteria[1].at_least = 2; // Premier asks fewer registrations than Select
    let r = put_policy(
        &app,
        &w.admin,
        &program,
        &json!({"document": bad.to_toml(), "change_note": "broken"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let rules = r.problem_rules();
    assert!(
        rules
            .iter()
            .any(|e| e.starts_with("registration.validity_days:")),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"tiers[2].criteria[1].at_least:tier_order".to_owned()),
        "{rules:?}"
    );
    assert!(r.text().contains("tiers out of order"), "{}", r.text());
    let unknown_metric = ProgramPolicy::seed_default().to_toml().replacen(
        "metric = \"registrations\"",
        "metric = \"revenue\"",
        1,
    );
    assert!(unknown_metric.contains("revenue"));
    let r = put_policy(
        &app,
        &w.admin,
        &program,
        &json!({"document": unknown_metric, "change_note": "typo"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let errors = r.json()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["rule"], "toml");
    assert!(
        errors[0]["field"].as_str().unwrap().starts_with("line "),
        "{errors:?}"
    );
    assert!(
        errors[0]["message"].as_str().unwrap().contains("revenue"),
        "{errors:?}"
    );
    let r = put_policy(&app, &w.admin, &program, &json!({"change_note": "empty"})).await;
    assert_eq!(r.problem_rules(), vec!["document:required"]);

    // A valid document needs a change note.
    let mut next = v1_policy.clone();
    next.registration.validity_days = 60;
    next.tiers[1].name = "Gold".into();
    let r = put_policy(
        &app,
        &w.admin,
        &program,
        &json!({"document": next.to_toml()}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["change_note:required"]);
    // Only staff who may change programs publish.
    let r = put_policy(
        &app,
        &w.sales,
        &program,
        &json!({"document": next.to_toml(), "change_note": "sales wants it"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = put_policy(
        &app,
        &w.a.admin_token,
        &program,
        &json!({"document": next.to_toml(), "change_note": "partner wants it"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(policy_of(&app, &w.admin, &program).await["version"], 1);

    let v2 = publish(
        &app,
        &w.admin,
        &program,
        &next.to_toml(),
        "Shorter validity; Select is Gold now",
    )
    .await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["author_name"], w.admin_user.display_name.as_str());
    assert_eq!(v2["change_note"], "Shorter validity; Select is Gold now");
    assert!(v2["published_at"].is_string());
    assert_eq!(
        ProgramPolicy::from_toml(v2["document"].as_str().unwrap()).unwrap(),
        next
    );
    assert_eq!(policy_of(&app, &w.channel, &program).await["version"], 2);
    // The other program is untouched.
    assert_eq!(
        policy_of(&app, &w.channel, &w.other_program.id.to_string()).await["version"],
        1
    );

    // History, newest first, and each version on its own.
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let versions: Vec<i64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 1]);
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions/1"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        ProgramPolicy::from_toml(r.json()["document"].as_str().unwrap()).unwrap(),
        v1_policy
    );
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions/7"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The difference, key by key.
    for query in ["?from=1&to=2", ""] {
        let r = app
            .http
            .get(
                &format!("/api/v1/programs/{program}/policy/diff{query}"),
                &w.channel,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let diff = r.json();
        assert_eq!(
            (diff["from_version"].as_i64(), diff["to_version"].as_i64()),
            (Some(1), Some(2))
        );
        let keys: Vec<&str> = diff["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, vec!["tiers[1].name", "registration.validity_days"]);
        let text = diff["text"].as_str().unwrap();
        assert!(
            text.lines()
                .any(|l| l == "~ registration.validity_days: 90 → 60"),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l == "~ tiers[1].name: \"Select\" → \"Gold\""),
            "{text}"
        );
    }
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/diff?from=1&to=9"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The tier records follow the published ladder: Select is Gold now, same record.
    let before = ladder(&app, &w, &w.other_program.id.to_string()).await;
    let names: Vec<String> = ladder(&app, &w, &program)
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["Registered", "Gold", "Premier"]);
    assert_eq!(
        ladder(&app, &w, &w.other_program.id.to_string()).await,
        before
    );

    // Registrations submitted now record version 2, and its validity.
    let r = app
        .http
        .post(
            "/api/v1/registrations",
            &w.a.rep_token,
            &json!({"account": {"name": "Soylent", "web_domain": "soylent.example", "country": "DE"},
                    "title": "Soylent rollout", "estimated_arr_minor": 1000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["policy_version"], 2);
    let reg = id(&r.json());
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{reg}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let approved = r.json();
    let ts = |v: &Value| {
        DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(
        (ts(&approved["expires_at"]) - ts(&approved["approved_at"])).num_days(),
        60
    );

    // Checking a document without publishing: warnings for a small cohort.
    let mut small = ProgramPolicy::seed_default();
    small.cohort.min_partners = 3;
    let r = app
        .http
        .post(
            "/api/v1/policy/validate",
            &w.channel,
            &json!({"document": small.to_toml()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["valid"], true);
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("cohort.min_partners") && warnings[0].contains("3 to 10"),
        "{warnings:?}"
    );
    let r = app
        .http
        .post(
            "/api/v1/policy/validate",
            &w.channel,
            &json!({"document": ProgramPolicy::seed_default().to_toml()}),
        )
        .await;
    assert_eq!(r.json()["warnings"], json!([]));
    let r = app
        .http
        .post(
            "/api/v1/policy/validate",
            &w.channel,
            &json!({"document": bad.to_toml()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        fields(&r).contains(&"registration.validity_days".to_owned()),
        "{}",
        r.text()
    );
    assert_eq!(policy_of(&app, &w.admin, &program).await["version"], 2);

    // The registration-policy route publishes into the same document: what the whole
    // document forbids (auto-approval for a rank the ladder does not have) is refused there
    // too, named as that route's body names it, and the policy stays readable.
    let r = app
        .http
        .api(
            Method::PUT,
            &format!("/api/v1/programs/{program}/registration-policy"),
            Some(&w.channel),
            Some(&json!({"auto_approve": [{"min_tier_rank": 9, "max_amount_minor": 100}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.problem_rules(),
        vec!["auto_approve[0].min_tier_rank:range"]
    );
    assert_eq!(policy_of(&app, &w.admin, &program).await["version"], 2);
    let r = app
        .http
        .api(
            Method::PUT,
            &format!("/api/v1/programs/{program}/registration-policy"),
            Some(&w.channel),
            Some(&json!({"validity_days": 45, "auto_approve": [{"min_tier_rank": 2, "max_amount_minor": 100}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["version"], 3);
    let v3 = in_force(&app, &w.admin, &program).await;
    assert_eq!(v3.registration.validity_days, 45);
    assert_eq!(v3.tiers[1].name, "Gold", "the rest of the document is kept");
}

// ---------------------------------------------------------------------------------------
// 4. Drafts shared with the advisory council, meetings, the first cohort

async fn drafts_council_and_first_cohort(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let a = w.a.partner.id.to_string();
    // A second partner of the program, not on the council.
    let epsilon = app
        .partner("Epsilon IT", "epsilon.example", &w.program)
        .await;
    let (_, epsilon_admin) = app
        .user_with_token("admin@epsilon.example", "partner_admin", Some(&epsilon))
        .await;
    let drafts_path = format!("/api/v1/programs/{program}/policy/drafts");
    let list = |token: String| {
        let http = app.http.clone();
        let path = drafts_path.clone();
        async move {
            let r = http.get(&path, &token).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()
                .as_array()
                .unwrap()
                .iter()
                .map(id)
                .collect::<Vec<String>>()
        }
    };

    let mut doc = in_force(&app, &w.channel, &program).await;
    doc.tiers[1].criteria[1].at_least = 3;
    let r = app
        .http
        .post(
            &drafts_path,
            &w.channel,
            &json!({"document": doc.to_toml()}),
        )
        .await;
    assert_eq!(r.problem_rules(), vec!["change_note:required"]);
    let r = app
        .http
        .post(
            &drafts_path,
            &w.channel,
            &json!({"document": doc.to_toml(), "change_note": "Three registrations for Select"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let draft = r.json();
    let draft_id = id(&draft);
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["base_version"], 1);
    assert_eq!(draft["changes"][0]["key"], "tiers[1].criteria[1].at_least");
    assert_eq!(draft["changes"].as_array().unwrap().len(), 1);
    let draft_path = format!("/api/v1/policy-drafts/{draft_id}");
    assert_eq!(list(w.admin.clone()).await, vec![draft_id.clone()]);
    // Staff naming no program get 404, not an empty list.
    let r = app
        .http
        .get(
            &format!(
                "/api/v1/programs/prg_{}/policy/drafts",
                uuid::Uuid::now_v7().simple()
            ),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // Partners cannot write drafts.
    let r = app
        .http
        .post(
            &drafts_path,
            &w.a.admin_token,
            &json!({"document": doc.to_toml(), "change_note": "mine"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());

    // The council: Alpha is seated; one member is outside the policy's three to five.
    let r = app
        .http
        .api(
            Method::PUT,
            &format!("/api/v1/programs/{program}/council/members/{a}"),
            Some(&w.channel),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let council = r.json();
    assert_eq!(council["members"].as_array().unwrap().len(), 1);
    assert_eq!(council["members"][0]["partner_id"], a);
    assert_eq!(council["members"][0]["partner_name"], "Alpha Systems");
    let warnings = council["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{council}");
    assert!(
        warnings[0].as_str().unwrap().contains("3 to 5"),
        "{warnings:?}"
    );
    // Only partners of the program sit on its council.
    let r = app
        .http
        .api(
            Method::PUT,
            &format!(
                "/api/v1/programs/{program}/council/members/{}",
                w.b.partner.id
            ),
            Some(&w.channel),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["partner_id:program_partner"]);
    // The council is the vendor's page.
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/council"),
            &w.a.admin_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Not shared yet: even a member sees nothing.
    assert!(list(w.a.admin_token.clone()).await.is_empty());
    assert_eq!(
        app.http.get(&draft_path, &w.a.admin_token).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .http
        .post(&format!("{draft_path}/share"), &w.channel, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "shared");
    let r = app
        .http
        .post(&format!("{draft_path}/share"), &w.channel, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    // A partner cannot share, publish or discard it.
    for step in ["share", "publish", "discard"] {
        let r = app
            .http
            .post(
                &format!("{draft_path}/{step}"),
                &w.a.admin_token,
                &json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{step}: {}", r.text());
    }

    // The member's admin reads and comments; its rep may read but not comment.
    assert_eq!(list(w.a.admin_token.clone()).await, vec![draft_id.clone()]);
    let r = app.http.get(&draft_path, &w.a.admin_token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["note"], "Three registrations for Select");
    let r = app
        .http
        .post(
            &format!("{draft_path}/comments"),
            &w.a.admin_token,
            &json!({"body": "Three is fair for our size."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let comments = r.json()["comments"].as_array().unwrap().clone();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["partner_id"], a);
    assert_eq!(comments[0]["body"], "Three is fair for our size.");
    let r = app
        .http
        .post(
            &format!("{draft_path}/comments"),
            &w.a.admin_token,
            &json!({"body": "  "}),
        )
        .await;
    assert_eq!(r.problem_rules(), vec!["body:required"]);
    let r = app
        .http
        .post(
            &format!("{draft_path}/comments"),
            &w.a.rep_token,
            &json!({"body": "me too"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // A partner of the program off the council, and a partner of another program: nothing.
    for token in [&epsilon_admin, &w.b.admin_token] {
        assert!(list(token.clone()).await.is_empty());
        assert_eq!(
            app.http.get(&draft_path, token).await.status,
            StatusCode::NOT_FOUND
        );
        let r = app
            .http
            .post(
                &format!("{draft_path}/comments"),
                token,
                &json!({"body": "let me in"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    }
    // Staff see the comment.
    let staff_view = app.http.get(&draft_path, &w.channel).await.json();
    assert_eq!(staff_view["comments"].as_array().unwrap().len(), 1);

    // Publishing the draft makes it the next version.
    let r = app
        .http
        .post(&format!("{draft_path}/publish"), &w.admin, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "published");
    assert_eq!(r.json()["published_version"], 2);
    let v2 = policy_of(&app, &w.channel, &program).await;
    assert_eq!(v2["version"], 2);
    assert!(
        v2["change_note"]
            .as_str()
            .unwrap()
            .starts_with("Three registrations for Select"),
        "{v2}"
    );
    assert_eq!(
        ProgramPolicy::from_toml(v2["document"].as_str().unwrap()).unwrap(),
        doc
    );
    let r = app
        .http
        .post(
            &format!("{draft_path}/comments"),
            &w.channel,
            &json!({"body": "too late"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(
        list(w.a.admin_token.clone()).await.is_empty(),
        "the member no longer sees a published draft"
    );

    // A draft written against version 2 is stale once version 3 is in force.
    let r = app
        .http
        .post(
            &drafts_path,
            &w.channel,
            &json!({"document": ProgramPolicy::seed_default().to_toml(), "change_note": "back to the seed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let stale = id(&r.json());
    assert_eq!(r.json()["base_version"], 2);
    let mut v3 = doc.clone();
    v3.registration.sla_days = 10;
    publish(&app, &w.admin, &program, &v3.to_toml(), "Faster follow-up").await;
    let r = app
        .http
        .post(
            &format!("/api/v1/policy-drafts/{stale}/publish"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["base_version:stale_draft"]);
    assert_eq!(policy_of(&app, &w.channel, &program).await["version"], 3);
    let r = app
        .http
        .post(
            &format!("/api/v1/policy-drafts/{stale}/discard"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "discarded");

    // Meetings: never in the future; the next is due a quarter after the last.
    let meetings = format!("/api/v1/programs/{program}/council/meetings");
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    let held_on = Utc::now().date_naive() - Duration::days(30);
    let r = app
        .http
        .post(
            &meetings,
            &w.channel,
            &json!({"held_on": tomorrow.to_string(), "notes": "Planned agenda"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["held_on:not_future"]);
    let r = app
        .http
        .post(
            &meetings,
            &w.channel,
            &json!({"held_on": "2026-02-30", "notes": ""}),
        )
        .await;
    assert_eq!(fields(&r), vec!["held_on", "notes"], "{}", r.text());
    let r = app
        .http
        .post(
            &meetings,
            &w.channel,
            &json!({"held_on": held_on.to_string(), "notes": "Reviewed the Select bar."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let council = r.json();
    assert_eq!(council["meetings"][0]["held_on"], held_on.to_string());
    assert_eq!(
        council["next_meeting_due"],
        held_on
            .checked_add_months(Months::new(3))
            .unwrap()
            .to_string(),
        "a quarter after the last"
    );
    // Seating two more brings the council into range; removing one takes it out again.
    let zeta = app.partner("Zeta Group", "zeta.example", &w.program).await;
    for p in [epsilon.id.to_string(), zeta.id.to_string()] {
        let r = app
            .http
            .api(
                Method::PUT,
                &format!("/api/v1/programs/{program}/council/members/{p}"),
                Some(&w.channel),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let council = app
        .http
        .get(&format!("/api/v1/programs/{program}/council"), &w.channel)
        .await
        .json();
    assert_eq!(council["members"].as_array().unwrap().len(), 3);
    assert_eq!(council["warnings"], json!([]));
    let r = app
        .http
        .api(
            Method::DELETE,
            &format!("/api/v1/programs/{program}/council/members/{a}"),
            Some(&w.channel),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["members"].as_array().unwrap().len(), 2);
    assert_eq!(r.json()["warnings"].as_array().unwrap().len(), 1);

    // The first cohort: three partners is fewer than the policy's five to ten.
    let cohort_path = format!("/api/v1/programs/{program}/cohort");
    let r = app.http.get(&cohort_path, &w.channel).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["launched_on"].is_null());
    let launch = format!("/api/v1/programs/{program}/launch");
    let r = app
        .http
        .post(
            &launch,
            &w.channel,
            &json!({"partner_ids": [a, w.b.partner.id.to_string()]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["partner_ids[1]:program_partner"]);
    let partners = ladder_partners(&app, &w, &program).await;
    assert_eq!(partners.len(), 3);
    let r = app
        .http
        .post(&launch, &w.channel, &json!({"partner_ids": partners}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cohort = r.json();
    assert_eq!(cohort["launched_on"], Utc::now().date_naive().to_string());
    assert_eq!(cohort["partners"].as_array().unwrap().len(), 3);
    let warnings = cohort["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{cohort}");
    assert!(
        warnings[0].as_str().unwrap().contains("5 to 10"),
        "{warnings:?}"
    );
    let r = app
        .http
        .post(&launch, &w.channel, &json!({"partner_ids": [a]}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.problem_rules(), vec!["program_id:launched"]);
    let again = app.http.get(&cohort_path, &w.channel).await.json();
    assert_eq!(again["partners"], cohort["partners"]);
    let activation = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/activation"),
            &w.channel,
        )
        .await
        .json();
    assert!(
        activation["partners"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["first_cohort"] == true),
        "{activation}"
    );
    // The other program was not launched.
    let other = app
        .http
        .get(
            &format!("/api/v1/programs/{}/cohort", w.other_program.id),
            &w.channel,
        )
        .await
        .json();
    assert!(other["launched_on"].is_null());
}

/// The ids of a program's live partners.
async fn ladder_partners(app: &TestApp, w: &World, program: &str) -> Vec<String> {
    let r = app
        .http
        .get(
            &format!("/api/v1/partners?program_id={program}&limit=200"),
            &w.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

// ---------------------------------------------------------------------------------------
// 5. What-if replay

async fn simulation_reports_changes_and_writes_nothing(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    let a = w.a.partner.id.to_string();
    let mut policy = low_bar(in_force(&app, &w.admin, &program).await);
    let (month_day, review_on) = review_in(30);
    policy.governance.annual_review = month_day;
    publish(
        &app,
        &w.admin,
        &program,
        &policy.to_toml(),
        "Select within reach",
    )
    .await;
    // Alpha wins 1,500.00 today and has one approved deal still open; the job upgrades it.
    let won = won_deal(&app.http, &w, &a, "Won Corp", 150_000).await;
    let open = approved_deal(&app.http, &w, &a, "Open Corp", 40_000).await;
    let report = app.run_due_as_of(Utc::now()).await;
    assert_eq!(
        report.count("partners.tiering", "upgraded"),
        1,
        "{report:?}"
    );
    assert_eq!(partner(&app, &w.admin, &a).await["tier_name"], "Select");

    // The replay, as of five days after the review day (30 days from now).
    let when = at(review_on + Duration::days(5), 12);
    let later = app.shifted_instance(when - Utc::now()).await;
    let simulate = |token: String, doc: String| {
        let http = later.http.clone();
        let program = program.clone();
        async move {
            http.post(
                &format!("/api/v1/programs/{program}/policy/simulate"),
                &token,
                &json!({"document": doc}),
            )
            .await
        }
    };
    let before = sim_snapshot(&app, &w, &program, &open).await;
    assert_eq!(before.0, 2);

    // The document in force changes nothing.
    let r = simulate(w.admin.clone(), policy.to_toml()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let same = r.json();
    assert_eq!(same["changes"], json!([]), "{same}");
    assert_eq!(same["totals"]["partners"], 1);
    assert_eq!(same["totals"]["registrations"], 2);

    // A Select quota of 10,000.00 and 30-day validity.
    let mut draft = policy.clone();
    draft.tiers[1].annual_quota_minor = 1_000_000;
    draft.registration.validity_days = 30;
    let r = simulate(w.channel.clone(), draft.to_toml()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let sim = r.json();
    assert!(
        sim["as_of"]
            .as_str()
            .unwrap()
            .starts_with(&(review_on + Duration::days(5)).to_string()),
        "{sim}"
    );
    let totals = &sim["totals"];
    assert_eq!(totals["partners"], 1, "{sim}");
    assert_eq!(totals["registrations"], 2, "{sim}");
    assert_eq!(totals["partners_changed"], 1, "{sim}");
    assert_eq!(totals["downgrades"], 1, "{sim}");
    assert_eq!(totals["expiries"], 1, "{sim}");
    assert_eq!(
        (
            totals["upgrades"].as_i64(),
            totals["tier_downs"].as_i64(),
            totals["sunsets"].as_i64(),
            totals["sla_marks"].as_i64()
        ),
        (Some(0), Some(0), Some(0), Some(0)),
        "{sim}"
    );
    let changes = sim["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["partner_id"], a);
    assert_eq!(changes[0]["partner_name"], "Alpha Systems");
    let list = changes[0]["changes"].as_array().unwrap();
    let kinds: Vec<&str> = list.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2, "{list:?}");
    assert!(
        kinds.contains(&"downgrade") && kinds.contains(&"expiry"),
        "{list:?}"
    );
    let downgrade = list.iter().find(|c| c["kind"] == "downgrade").unwrap();
    assert!(downgrade["registration_id"].is_null());
    assert!(
        downgrade["reason"].as_str().unwrap().contains("10,000.00"),
        "{downgrade}"
    );
    let expiry = list.iter().find(|c| c["kind"] == "expiry").unwrap();
    assert_eq!(expiry["registration_id"], open, "{expiry}");
    assert_ne!(expiry["registration_id"], won);

    // Shortening validity alone: only the open deal changes.
    let mut shorter = policy.clone();
    shorter.registration.validity_days = 30;
    let sim = simulate(w.admin.clone(), shorter.to_toml()).await.json();
    assert_eq!(sim["totals"]["expiries"], 1, "{sim}");
    assert_eq!(sim["totals"]["downgrades"], 0, "{sim}");

    // Partners cannot run it (not even for their own program); a bad draft is named.
    let r = simulate(w.a.admin_token.clone(), draft.to_toml()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let mut broken = draft.clone();
    broken.registration.validity_days = 0;
    let r = simulate(w.admin.clone(), broken.to_toml()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        fields(&r).contains(&"registration.validity_days".to_owned()),
        "{}",
        r.text()
    );

    // Nothing was written.
    assert_eq!(sim_snapshot(&app, &w, &program, &open).await, before);
}

/// What a simulation must leave alone: the policy version and history, Alpha's decisions
/// and tier, and its open registration.
async fn sim_snapshot(
    app: &TestApp,
    w: &World,
    program: &str,
    open: &str,
) -> (Value, usize, Vec<Value>, Value, Value, Value) {
    let a = w.a.partner.id.to_string();
    let v = policy_of(app, &w.admin, program).await;
    let versions = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions"),
            &w.admin,
        )
        .await
        .json()
        .as_array()
        .unwrap()
        .len();
    let open_reg = app
        .http
        .get(&format!("/api/v1/registrations/{open}"), &w.admin)
        .await
        .json();
    (
        v["version"].clone(),
        versions,
        decisions(app, &w.admin, &a).await,
        partner(app, &w.admin, &a).await["tier_id"].clone(),
        open_reg["status"].clone(),
        open_reg["updated_at"].clone(),
    )
}
