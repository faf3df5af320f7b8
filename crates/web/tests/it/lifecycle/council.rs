//! Policy drafts with the partner advisory council, and the program's first cohort.

use chrono::{Duration, Months, Utc};
use hyper::{Method, StatusCode};
use partnerops_core::policy::ProgramPolicy;
use serde_json::json;

use super::*;
use crate::harness::TestApp;
use crate::on_both;

on_both!(drafts_council_and_first_cohort,);

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
