//! Tiering through the API: re-evaluation on live data, the annual review and the sunset rule,
//! driven by `run_due` as of a time.

use chrono::{Duration, Months, Utc};
use hyper::StatusCode;
use partnerops_core::scope::Scope;
use serde_json::{Value, json};

use super::*;
use crate::harness::TestApp;
use crate::on_both;

on_both!(
    tiers_follow_live_data_the_annual_review_and_the_sunset_rule,
    a_late_review_judges_only_partners_that_existed_on_its_day,
);

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
    // Counted from certifications now (none yet): a real 0, without a note.
    assert_eq!(certified["actual"], 0);
    assert!(certified["note"].is_null(), "{certified}");

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
        report.notes("partners.tiering").contains(
            &partnerops_store::lifecycle::tiering::review_note(&program, review_on).as_str()
        ),
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
        report.notes("partners.tiering").contains(
            &partnerops_store::lifecycle::tiering::review_note(&program, review_on).as_str()
        ),
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
