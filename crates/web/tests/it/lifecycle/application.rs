//! From application to active partner through the API: the public application form with its
//! fit score, approval, the invitation and onboarding up to activation.

use chrono::{Duration, Utc};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::harness::TestApp;
use crate::on_both;

on_both!(apply_score_approve_onboard_activate,);

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
