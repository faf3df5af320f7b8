//! The program policy in Chromium: the channel team edits the document, checks it, simulates
//! it and publishes it.
//!
//! Screenshots go to `<target>/screenshots/lifecycle-*.png` (see `browser`).

use partnerops_core::scope::Scope;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Store;
use partnerops_store::program::ProgramFilter;

use crate::browser::{Browser, VENDOR_ADMIN, first_page, seeded};

/// Replaces the policy editor's text (typing a whole document key by key would be slow).
async fn set_document(b: &Browser, text: &str) {
    b.client
        .execute(
            "document.querySelector('#policy-form textarea[name=document]').value = arguments[0];",
            vec![serde_json::json!(text)],
        )
        .await
        .expect("set the document");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_team_edits_checks_simulates_and_publishes_the_policy() {
    let (app, _report) = seeded().await;
    let program = app
        .store
        .programs(
            &Scope::Vendor,
            &ProgramFilter::default(),
            &first_page(50, &Store::program_sorts()),
        )
        .await
        .expect("programs")
        .items
        .into_iter()
        .next()
        .expect("the seed has a program");
    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto(&format!("/console/programs/{}", program.id)).await;
    let cohorts = b.texts("#activation-cohorts tbody tr").await;
    assert!(!cohorts.is_empty(), "activation by joining cohort is shown");
    assert!(b.exists("#council").await, "the advisory council is shown");
    b.shot("lifecycle-10-program-governance").await;
    b.click("#policy-link").await;
    b.wait_css("#policy-form").await;
    // The demo publishes its economics as version 2 of each program.
    assert_eq!(b.text("#policy-version").await.trim(), "version 2");
    let original = b.value("#policy-form textarea[name=document]").await;
    assert!(
        original.contains("sunset_months = 12"),
        "the seed defaults: {original}"
    );

    // A broken document is refused with the key and the rule, and nothing is published.
    set_document(
        &b,
        &original.replace("sunset_months = 12", "sunset_months = -3"),
    )
    .await;
    b.click("#policy-form button[value=check]").await;
    let errors = b.text("#policy-errors").await;
    assert!(
        errors.contains("governance.sunset_months"),
        "the key is named: {errors:?}"
    );
    b.shot("lifecycle-07-policy-invalid").await;

    // What if the sunset window were six months and registrations valid 30 days?
    let draft = original
        .replace("sunset_months = 12", "sunset_months = 6")
        .replace("validity_days = 90", "validity_days = 30");
    set_document(&b, &draft).await;
    b.click("#simulate").await;
    let simulation = b.text("#simulation").await;
    assert!(
        simulation.contains("nothing was written"),
        "a replay: {simulation:?}"
    );
    assert!(
        simulation.contains("What partners would be paid"),
        "the economics of the draft: {simulation:?}"
    );
    assert_eq!(
        b.text("#policy-version").await.trim(),
        "version 2",
        "simulating publishes nothing"
    );
    b.shot("lifecycle-08-policy-simulation").await;

    // Publish it with a note: version 3, and the difference is shown key by key.
    b.type_into(
        "#policy-form input[name=change_note]",
        "Shorter sunset window",
    )
    .await;
    b.click("#publish").await;
    let notice = b.text("#policy-notice").await;
    assert!(notice.contains("Published version 3"), "notice: {notice:?}");
    assert_eq!(b.text("#policy-version").await.trim(), "version 3");
    let diff = b.text("#policy-diff").await;
    assert!(
        diff.contains("governance.sunset_months: 12 → 6"),
        "diff: {diff:?}"
    );
    assert!(
        diff.contains("registration.validity_days: 90 → 30"),
        "diff: {diff:?}"
    );
    let history = b.texts("#policy-history tbody tr").await;
    assert!(
        history[0].contains("Shorter sunset window"),
        "history: {history:?}"
    );
    b.shot("lifecycle-09-policy-published").await;
    b.close().await;
}
