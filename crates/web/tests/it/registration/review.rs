//! Account identity and the duplicate review, through the front door on both databases: a
//! partner never receives the id of an account it has no registration on (registration
//! JSON, decisions, audit, conflict cases, the 409 problem, registering by id, the portal
//! pages); an exact normalised name in the same country is the same account, also under 50
//! concurrent submissions on two instances; "same company: merge" moves everything and
//! leaves a trail on both accounts, and is refused when both hold an active registration;
//! "different companies" stops the pair from being flagged again.

use hyper::{Method, StatusCode};
use partnerops_core::audit::EntityKind;
use partnerops_core::scope::Scope;
use partnerops_core::user::UserPatchInput;
use partnerops_store::Actor;
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::{Answer, Http};
use crate::on_both;

on_both!(
    a_partner_never_receives_another_partners_account_id,
    an_exact_name_in_the_same_country_is_the_same_account,
    fifty_concurrent_name_only_submissions_on_two_instances_make_one_account,
    merge_moves_everything_and_leaves_a_trail_on_both,
    different_companies_are_not_flagged_again,
);

fn described(name: &str, domain: Option<&str>, country: &str) -> Value {
    let mut account = json!({"name": name, "country": country});
    if let Some(d) = domain {
        account["web_domain"] = json!(d);
    }
    json!({"account": account, "title": format!("{name} deal"), "estimated_arr_minor": 10_000})
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

async fn submit(http: &Http, token: &str, body: &Value) -> Answer {
    http.post("/api/v1/registrations", token, body).await
}

async fn registered(app: &TestApp, token: &str, body: &Value) -> Value {
    let r = submit(&app.http, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn ok(app: &TestApp, token: &str, path: &str) -> Answer {
    let r = app.http.get(path, token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    r
}

async fn post_ok(app: &TestApp, token: &str, path: &str, body: &Value) -> Value {
    let r = app.http.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    r.json()
}

fn hides(text: &str, secret: &str, what: &str) {
    assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
}

async fn account_rules(app: &TestApp, account: &str) -> Vec<String> {
    app.store
        .decisions(&Scope::Vendor, EntityKind::Account, account)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.rule)
        .collect()
}

async fn audit_actions(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    ok(app, token, &format!("{path}/audit?limit=200"))
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

const PASSWORD: &str = "correct horse battery";

/// A browser session of `user` (signed in through the form), for plain HTTP page loads.
async fn session(app: &TestApp, user: &partnerops_core::user::User) -> String {
    let patch = UserPatchInput {
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    app.store
        .update_user(&Actor::system("test"), user.id.to_string().as_str(), &patch)
        .await
        .unwrap();
    let form = app
        .http
        .send(Method::GET, "/login", &[], Default::default())
        .await;
    let cookie = form
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_login_csrf="))
        .expect("login csrf cookie");
    let html = form.text();
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    let token = html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    let email = user.email.to_string();
    let r = app
        .http
        .form(
            "/login",
            &cookie,
            &[
                ("_csrf", &token),
                ("email", &email),
                ("password", PASSWORD),
                ("next", "/"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    r.cookies()
        .into_iter()
        .find(|c| c.starts_with("po_session=") && c.len() > "po_session=".len())
        .expect("session cookie")
}

/// A holds "Initech Systems" (US, no domain); B registers a near name of it. Returns
/// (A's account, B's registration).
async fn near_duplicate(app: &TestApp, w: &World) -> (String, Value) {
    let held = registered(
        app,
        &w.a.rep_token,
        &described("Initech Systems", None, "US"),
    )
    .await;
    let dup = registered(
        app,
        &w.b.rep_token,
        &described("Initech Sytems Inc.", None, "US"),
    )
    .await;
    (held["account_id"].as_str().unwrap().to_owned(), dup)
}

async fn a_partner_never_receives_another_partners_account_id(app: TestApp) {
    let w = app.world().await;
    let (secret, dup) = near_duplicate(&app, &w).await;
    let rid = id(&dup);
    hides(&dup.to_string(), &secret, "the registration answer");
    assert!(dup["possible_duplicate_of"].is_null(), "{dup}");
    assert_eq!(dup["in_duplicate_review"], true);
    assert_ne!(dup["account_id"], secret.as_str());

    // Everything B can read about its registration.
    let b = &w.b.rep_token;
    for path in [
        format!("/api/v1/registrations/{rid}"),
        "/api/v1/registrations?limit=200".to_owned(),
        format!("/api/v1/registrations/{rid}/decisions"),
        format!("/api/v1/registrations/{rid}/audit?limit=200"),
        format!("/api/v1/registrations/{rid}/activities"),
        "/api/v1/conflicts?limit=200".to_owned(),
    ] {
        hides(&ok(&app, b, &path).await.text(), &secret, &path);
    }
    let cases = ok(&app, b, "/api/v1/conflicts?limit=200").await.json();
    let cases = cases["items"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "B sees its duplicate case: {cases:?}");
    let cid = id(&cases[0]);
    for path in [
        format!("/api/v1/conflicts/{cid}"),
        format!("/api/v1/conflicts/{cid}/decisions"),
        format!("/api/v1/conflicts/{cid}/comments"),
    ] {
        hides(&ok(&app, b, &path).await.text(), &secret, &path);
    }
    // Vendor staff see which account it may duplicate.
    let vendor = ok(&app, &w.channel, &format!("/api/v1/registrations/{rid}"))
        .await
        .json();
    assert_eq!(vendor["possible_duplicate_of"], secret.as_str());

    // The exact name is A's account: refused, saying nothing about it.
    let refused = submit(&app.http, b, &described("Initech Systems", None, "US")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    assert_eq!(refused.json()["rule"], "registration.account_held");
    hides(&refused.text(), &secret, "the 409 problem");

    // Registering by the id of an account B never registered reads as an unknown id.
    let unknown = submit(
        &app.http,
        b,
        &json!({"account_id": "acc_0190f0f0f0f07000800000000000dead", "title": "x", "estimated_arr_minor": 10}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    for other in [secret.clone(), w.account.id.to_string()] {
        let probe = submit(
            &app.http,
            b,
            &json!({"account_id": other, "title": "x", "estimated_arr_minor": 10}),
        )
        .await;
        assert_eq!(probe.status, unknown.status, "{}", probe.text());
        assert_eq!(probe.problem_rules(), vec!["account_id:exists"]);
        assert_eq!(probe.json()["detail"], unknown.json()["detail"]);
        hides(&probe.text(), "until", "the probe");
    }
    // B may name its own account by id (it registered it): held by B, so refused as such.
    let own = submit(
        &app.http,
        b,
        &json!({"account_id": dup["account_id"], "title": "again", "estimated_arr_minor": 10}),
    )
    .await;
    assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.text());

    // The portal pages, as B's browser loads them.
    let cookie = session(&app, &w.b.rep).await;
    for path in [
        format!("/portal/registrations/{rid}"),
        "/portal/registrations".to_owned(),
    ] {
        let page = app.http.page(&path, &cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text());
        hides(&page.text(), &secret, &path);
    }
}

async fn an_exact_name_in_the_same_country_is_the_same_account(app: TestApp) {
    let w = app.world().await;
    let first = registered(
        &app,
        &w.a.rep_token,
        &described("Sequoia Seq Holdout GmbH", None, "DE"),
    )
    .await;
    let account = first["account_id"].as_str().unwrap().to_owned();
    assert_eq!(first["in_duplicate_review"], false);
    // The same partner again, spelled otherwise: the same account, which it already holds.
    let again = submit(
        &app.http,
        &w.a.admin_token,
        &described("SEQUOIA SEQ HOLDOUT", None, "de"),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    assert_eq!(again.json()["rule"], "registration.account_held");
    // Another partner: the one-holder rule, on the same account.
    let other = submit(
        &app.http,
        &w.b.rep_token,
        &described("Sequoia Seq Holdout", None, "DE"),
    )
    .await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.text());
    assert_eq!(other.json()["rule"], "registration.account_held");
    // Released, the account is reused, with another legal form.
    post_ok(
        &app,
        &w.a.rep_token,
        &format!("/api/v1/registrations/{}/withdraw", id(&first)),
        &json!({}),
    )
    .await;
    let later = registered(
        &app,
        &w.b.rep_token,
        &described("Sequoia-Seq Holdout AG", None, "DE"),
    )
    .await;
    assert_eq!(later["account_id"], account.as_str());
    assert_eq!(
        later["in_duplicate_review"], false,
        "an exact name is no question"
    );
    // The same name in another country is another company.
    let abroad = registered(
        &app,
        &w.a.rep_token,
        &described("Sequoia Seq Holdout GmbH", None, "AT"),
    )
    .await;
    assert_ne!(abroad["account_id"], account.as_str());
    let accounts = ok(&app, &w.admin, "/api/v1/accounts?q=Sequoia&archived=all")
        .await
        .json();
    assert_eq!(accounts["items"].as_array().unwrap().len(), 2, "{accounts}");
}

async fn fifty_concurrent_name_only_submissions_on_two_instances_make_one_account(app: TestApp) {
    let w = app.world().await;
    let second = app.second_instance().await;
    let servers = [app.http.clone(), second.http.clone()];
    let spellings = [
        "Sequoia Seq Holdout GmbH",
        "SEQUOIA SEQ HOLDOUT",
        "Sequoia-Seq Holdout AG",
        "sequoia seq holdout gmbh.",
    ];
    let mut tasks = Vec::new();
    for i in 0..50usize {
        let http = servers[i % 2].clone();
        let mut body = described(spellings[i % 4], None, "DE");
        let token = match i % 5 {
            0 => w.a.admin_token.clone(),
            1 => w.a.rep_token.clone(),
            2 => w.b.admin_token.clone(),
            3 => w.b.rep_token.clone(),
            _ => {
                let on_behalf = if i % 2 == 0 { &w.a } else { &w.b };
                body["partner_id"] = json!(on_behalf.partner.id.to_string());
                w.channel.clone()
            }
        };
        tasks.push(tokio::spawn(
            async move { submit(&http, &token, &body).await },
        ));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    let created: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "{statuses:?}");
    for a in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
        assert_eq!(
            a.json()["rule"],
            "registration.account_held",
            "{}",
            a.text()
        );
    }
    let accounts = ok(&app, &w.admin, "/api/v1/accounts?q=holdout&archived=all")
        .await
        .json();
    let accounts = accounts["items"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let holding = ok(
        &app,
        &w.admin,
        &format!(
            "/api/v1/registrations?account_id={}&limit=100",
            accounts[0]["id"].as_str().unwrap()
        ),
    )
    .await
    .json();
    let holding = holding["items"].as_array().unwrap();
    assert_eq!(holding.len(), 1, "{holding:?}");
    assert_eq!(holding[0]["status"], "pending");
}

async fn merge_moves_everything_and_leaves_a_trail_on_both(app: TestApp) {
    let w = app.world().await;
    let (into, dup) = near_duplicate(&app, &w).await;
    let from = dup["account_id"].as_str().unwrap().to_owned();
    let rid = id(&dup);
    let merge_path = format!("/api/v1/accounts/{from}/merge");
    let logged = app
        .http
        .post(
            &format!("/api/v1/registrations/{rid}/activities"),
            &w.b.rep_token,
            &json!({"kind": "call", "notes": "intro"}),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.text());
    let direct = app
        .http
        .post(
            &format!("/api/v1/accounts/{from}/direct-activities"),
            &w.sales,
            &json!({"kind": "meeting"}),
        )
        .await;
    assert_eq!(direct.status, StatusCode::CREATED, "{}", direct.text());

    // Partners cannot reach the review.
    let hidden = app
        .http
        .post(&merge_path, &w.b.admin_token, &json!({"into": into}))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.text());
    // Both accounts hold an active registration: refused, nothing moves.
    let refused = app
        .http
        .post(&merge_path, &w.channel, &json!({"into": into}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    assert_eq!(
        refused.problem_rules(),
        vec!["into:account.merge_both_held"]
    );
    let same = ok(&app, &w.channel, &format!("/api/v1/registrations/{rid}"))
        .await
        .json();
    assert_eq!(same["account_id"], from.as_str());
    assert!(account_rules(&app, &from).await.is_empty());
    // Into itself, or into nothing: named field and rule.
    let r = app
        .http
        .post(&merge_path, &w.channel, &json!({"into": from}))
        .await;
    assert_eq!(r.problem_rules(), vec!["into:different"]);
    let r = app.http.post(&merge_path, &w.channel, &json!({})).await;
    assert_eq!(r.problem_rules(), vec!["into:required"]);

    // The reviewer rejects B's registration, then merges.
    post_ok(
        &app,
        &w.channel,
        &format!("/api/v1/registrations/{rid}/reject"),
        &json!({"reason": "duplicate of a held account"}),
    )
    .await;
    let survivor = post_ok(
        &app,
        &w.channel,
        &merge_path,
        &json!({"into": into, "reason": "same register number"}),
    )
    .await;
    assert_eq!(survivor["id"], into.as_str());
    assert!(survivor["archived_at"].is_null());
    let merged = ok(&app, &w.admin, &format!("/api/v1/accounts/{from}"))
        .await
        .json();
    assert_eq!(merged["merged_into"], into.as_str());
    assert!(!merged["archived_at"].is_null());

    // Registrations (with their activities) and the conflict case moved.
    let regs = ok(
        &app,
        &w.admin,
        &format!("/api/v1/accounts/{into}/registrations?limit=100"),
    )
    .await
    .json();
    let reg_ids: Vec<&str> = regs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(reg_ids.contains(&rid.as_str()), "{regs}");
    assert_eq!(reg_ids.len(), 2, "{regs}");
    let moved = ok(&app, &w.channel, &format!("/api/v1/registrations/{rid}"))
        .await
        .json();
    assert_eq!(moved["account_id"], into.as_str());
    assert!(
        moved["possible_duplicate_of"].is_null(),
        "answered: {moved}"
    );
    let acts = ok(
        &app,
        &w.b.rep_token,
        &format!("/api/v1/registrations/{rid}/activities"),
    )
    .await
    .json();
    assert_eq!(acts.as_array().unwrap().len(), 1);
    let cases = ok(
        &app,
        &w.channel,
        &format!("/api/v1/conflicts?account_id={into}&limit=100"),
    )
    .await
    .json();
    assert!(
        cases["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["registration_id"] == rid.as_str()),
        "{cases}"
    );
    // Decisions and audit history: the merged account's history moved, and both carry
    // the merge.
    let into_rules = account_rules(&app, &into).await;
    let from_rules = account_rules(&app, &from).await;
    assert_eq!(from_rules, vec!["account.merged"]);
    assert_eq!(into_rules, vec!["account.merged"]);
    let decision = app
        .store
        .decisions(&Scope::Vendor, EntityKind::Account, &into)
        .await
        .unwrap()
        .remove(0);
    assert!(
        decision.reason.contains("1 direct activity"),
        "{}",
        decision.reason
    );
    assert!(decision.reason.contains("same register number"));
    assert!(decision.records.contains(&from) && decision.records.contains(&into));
    let into_audit = audit_actions(&app, &w.admin, &format!("/api/v1/accounts/{into}")).await;
    assert_eq!(
        into_audit.iter().filter(|a| *a == "created").count(),
        2,
        "the merged account's creation moved: {into_audit:?}"
    );
    assert!(into_audit.contains(&"decided".to_owned()), "{into_audit:?}");
    let from_audit = audit_actions(&app, &w.admin, &format!("/api/v1/accounts/{from}")).await;
    assert_eq!(from_audit, vec!["archived"]);
    // B's registration records the move in its own trail, still without A's account.
    let trail = ok(
        &app,
        &w.b.rep_token,
        &format!("/api/v1/registrations/{rid}/audit?limit=200"),
    )
    .await;
    assert!(
        trail.text().contains(&into),
        "B now has a registration on it"
    );
    // A merged account is not restored, nor merged again.
    let r = app
        .http
        .post(
            &format!("/api/v1/accounts/{from}/restore"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = app
        .http
        .post(&merge_path, &w.channel, &json!({"into": into}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
}

async fn different_companies_are_not_flagged_again(app: TestApp) {
    let w = app.world().await;
    let (held, dup) = near_duplicate(&app, &w).await;
    let mine = dup["account_id"].as_str().unwrap().to_owned();
    let rid = id(&dup);
    let path = format!("/api/v1/accounts/{mine}/distinct");
    let hidden = app
        .http
        .post(&path, &w.b.rep_token, &json!({"from": held}))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    post_ok(
        &app,
        &w.channel,
        &path,
        &json!({"from": held, "reason": "different register numbers"}),
    )
    .await;
    let answered = ok(&app, &w.channel, &format!("/api/v1/registrations/{rid}"))
        .await
        .json();
    assert!(answered["possible_duplicate_of"].is_null(), "{answered}");
    assert_eq!(answered["in_duplicate_review"], false);
    assert_eq!(account_rules(&app, &mine).await, vec!["account.distinct"]);
    assert_eq!(account_rules(&app, &held).await, vec!["account.distinct"]);
    // Asked again (either way round): nothing new.
    post_ok(
        &app,
        &w.channel,
        &format!("/api/v1/accounts/{held}/distinct"),
        &json!({"from": mine}),
    )
    .await;
    assert_eq!(account_rules(&app, &mine).await, vec!["account.distinct"]);

    // B's registration ends; B registers the same company again: the same account, and the
    // pair is not flagged again (no review, no new case).
    post_ok(
        &app,
        &w.b.rep_token,
        &format!("/api/v1/registrations/{rid}/withdraw"),
        &json!({}),
    )
    .await;
    let cases_before = ok(&app, &w.channel, "/api/v1/conflicts?limit=200")
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len();
    let again = registered(
        &app,
        &w.b.rep_token,
        &described("Initech Sytems", None, "US"),
    )
    .await;
    assert_eq!(again["account_id"], mine.as_str());
    assert_eq!(again["in_duplicate_review"], false, "{again}");
    let cases_after = ok(&app, &w.channel, "/api/v1/conflicts?limit=200")
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(cases_after, cases_before);
}
