//! The partner lifecycle: applications, invitations, onboarding, tiering, the council and the first cohort.

mod application;
mod browser;
mod council;
mod tiering;

// The helpers below are shared with `policy`, whose tests drive the same programs.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use hyper::{Method, StatusCode};
use partnerops_core::policy::{Criterion, Metric, ProgramPolicy};
use partnerops_core::scope::Scope;
use partnerops_core::user::NewTokenInput;
use partnerops_store::Actor;
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::{Answer, Http};

// ---------------------------------------------------------------------------------------
// Helpers

/// `day` at `hour`:00 UTC.
pub(crate) fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap())
        .and_utc()
}

/// A review day (`MM-DD`) `days` from today (never 29 February), and that date.
pub(crate) fn review_in(days: i64) -> (String, NaiveDate) {
    let mut day = Utc::now().date_naive() + Duration::days(days);
    if day.format("%m-%d").to_string() == "02-29" {
        day += Duration::days(1);
    }
    (day.format("%m-%d").to_string(), day)
}

/// The first `MM-DD` day after `after`.
pub(crate) fn next_on(month_day: &str, after: NaiveDate) -> NaiveDate {
    let (m, d) = month_day.split_once('-').unwrap();
    let on = |year| NaiveDate::from_ymd_opt(year, m.parse().unwrap(), d.parse().unwrap()).unwrap();
    let this_year = on(after.year());
    if this_year > after {
        this_year
    } else {
        on(after.year() + 1)
    }
}

pub(crate) fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

/// The fields of a problem document's errors.
pub(crate) fn fields(r: &Answer) -> Vec<String> {
    let mut f: Vec<String> = r
        .problem_rules()
        .iter()
        .map(|e| e.split(':').next().unwrap_or_default().to_owned())
        .collect();
    f.sort();
    f
}

/// A complete application from a company that looks like a good partner.
pub(crate) fn application(program: &str, company: &str, domain: &str, email: &str) -> Value {
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

pub(crate) async fn apply(app: &TestApp, body: &Value) -> Answer {
    app.http
        .api(Method::POST, "/api/v1/applications", None, Some(body))
        .await
}

/// The applications `token` sees, as ids.
pub(crate) async fn application_ids(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let r = app
        .http
        .get(&format!("/api/v1/applications{query}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().unwrap().iter().map(id).collect()
}

/// `base` with a low bar for Select: 1,000.00 sourced ARR and one registration, and a
/// Select quota of 1,000.00.
pub(crate) fn low_bar(base: ProgramPolicy) -> ProgramPolicy {
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
pub(crate) async fn in_force(app: &TestApp, token: &str, program: &str) -> ProgramPolicy {
    let v = policy_of(app, token, program).await;
    ProgramPolicy::from_toml(v["document"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("the document in force parses: {e:?}"))
}

pub(crate) async fn put_policy(app: &TestApp, token: &str, program: &str, body: &Value) -> Answer {
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
pub(crate) async fn publish(
    app: &TestApp,
    token: &str,
    program: &str,
    doc: &str,
    note: &str,
) -> Value {
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

pub(crate) async fn policy_of(app: &TestApp, token: &str, program: &str) -> Value {
    let r = app
        .http
        .get(&format!("/api/v1/programs/{program}/policy"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// A registration for `partner` on a described company, submitted by vendor staff on the
/// partner's behalf and approved, through `http` (whose clock dates it).
pub(crate) async fn approved_deal(
    http: &Http,
    w: &World,
    partner: &str,
    company: &str,
    arr: i64,
) -> String {
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
pub(crate) async fn won_deal(
    http: &Http,
    w: &World,
    partner: &str,
    company: &str,
    arr: i64,
) -> String {
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
pub(crate) async fn new_partner(app: &TestApp, w: &World, body: Value) -> Value {
    let r = app.http.post("/api/v1/partners", &w.admin, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

pub(crate) async fn partner(app: &TestApp, token: &str, partner: &str) -> Value {
    let r = app
        .http
        .get(&format!("/api/v1/partners/{partner}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// The decisions about a partner, oldest first.
pub(crate) async fn decisions(app: &TestApp, token: &str, partner: &str) -> Vec<Value> {
    let r = app
        .http
        .get(&format!("/api/v1/partners/{partner}/decisions"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().unwrap().clone()
}

pub(crate) fn rules(decisions: &[Value]) -> Vec<String> {
    decisions
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// The tier names of a program's ladder, by rank.
pub(crate) async fn ladder(app: &TestApp, w: &World, program: &str) -> Vec<(String, String)> {
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
pub(crate) fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"_csrf\" value=\"").expect("a CSRF field")
        + "name=\"_csrf\" value=\"".len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Signs in through the login form; the status and the session cookie (empty if none).
pub(crate) async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, String) {
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
pub(crate) async fn token_for(app: &TestApp, user_id: &str) -> String {
    let user = app.store.user(&Scope::Vendor, user_id).await.unwrap();
    let (_, secret) = app
        .store
        .create_token(
            &Actor::system("test"),
            &user.id,
            &NewTokenInput {
                name: Some("test".into()),
                expires_at: Some("never".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    secret
}

pub(crate) fn item<'a>(onboarding: &'a Value, key: &str) -> &'a Value {
    onboarding["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("no item {key}: {onboarding}"))
}

/// The ids of a program's live partners.
pub(crate) async fn ladder_partners(app: &TestApp, w: &World, program: &str) -> Vec<String> {
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
