//! The partner lifecycle in Chromium: an applicant applies on the public form, a channel
//! manager reads the fit score with its reasons and approves, and the new partner's admin
//! sets a password from the invitation link, signs in and sees the onboarding checklist and
//! what the next tier needs.
//!
//! Screenshots go to `<target>/screenshots/lifecycle-*.png` (see `browser`).

use partnerops_core::ids::EntityId;
use partnerops_core::lifecycle::application::ApplicationStatus;
use partnerops_core::scope::Scope;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Store;
use partnerops_store::applications::ApplicationFilter;
use partnerops_store::programs::ProgramFilter;

use crate::browser::{Browser, VENDOR_ADMIN, first_page, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applicant_applies_manager_approves_admin_onboards() {
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

    // ---------------------------------------------------------------- the applicant
    let b = Browser::start(&app).await;
    b.goto("/apply").await;
    b.wait_css("#apply-form").await;
    b.select("#apply-form select[name=program_id]", program.id.as_str())
        .await;
    b.type_into("#apply-form input[name=company]", "Northwind Integrations")
        .await;
    b.type_into(
        "#apply-form input[name=web_domain]",
        "northwind-integrations.example",
    )
    .await;
    b.select("#apply-form select[name=partner_type]", "system_integrator")
        .await;
    b.type_into("#apply-form input[name=country]", "DE").await;
    b.type_into("#apply-form input[name=employees]", "-5").await;
    b.type_into("#apply-form input[name=contact_name]", "Nina Berger")
        .await;
    b.type_into(
        "#apply-form input[name=contact_email]",
        "nina@northwind-integrations.example",
    )
    .await;
    b.click("#apply-form button[type=submit]").await;
    // Wrong input is named beside its field and the typed values stay.
    let error = b.text("#employees-error").await;
    assert!(
        error.contains("between 0 and"),
        "employees error: {error:?}"
    );
    assert!(
        b.exists("#target_customers-error").await,
        "every missing count is named"
    );
    assert_eq!(
        b.value("#apply-form input[name=company]").await,
        "Northwind Integrations"
    );
    b.shot("lifecycle-01-apply-error").await;
    b.type_into("#apply-form input[name=employees]", "120")
        .await;
    b.type_into("#apply-form input[name=countries]", "DE, AT, CH")
        .await;
    b.type_into(
        "#apply-form input[name=verticals]",
        "Manufacturing, Logistics",
    )
    .await;
    b.type_into(
        "#apply-form input[name=vendor_relationships]",
        "SAP, Microsoft",
    )
    .await;
    b.type_into("#apply-form input[name=target_customers]", "40")
        .await;
    b.type_into("#apply-form input[name=certified_staff]", "6")
        .await;
    b.click("#apply-form button[type=submit]").await;
    let received = b.text("#application-received").await;
    assert!(
        received.contains("Northwind Integrations"),
        "confirmation: {received:?}"
    );
    b.shot("lifecycle-02-applied").await;
    let waiting = app
        .store
        .applications(
            &Scope::Vendor,
            &ApplicationFilter {
                program_id: None,
                status: Some(ApplicationStatus::Submitted),
            },
        )
        .await
        .expect("queue");
    let application = waiting
        .iter()
        .find(|a| a.company == "Northwind Integrations")
        .expect("the application is in the queue")
        .clone();

    // ---------------------------------------------------------------- the channel manager
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console/partners").await;
    b.click(".topbar a[href='/console/applications']").await;
    b.wait_path("/console/applications").await;
    b.click(&format!(
        "#applications a[href='/console/applications/{}']",
        application.id
    ))
    .await;
    b.wait_css("#fit-score").await;
    let score: u8 = b
        .text("#fit-score")
        .await
        .trim()
        .parse()
        .expect("a numeric score");
    assert_eq!(
        score, application.fit.score,
        "the page shows the stored score"
    );
    assert!(score <= 100);
    let reason = b.text("#fit-reason").await;
    assert_eq!(
        reason.trim(),
        application.fit.reason,
        "the page says how the score was computed"
    );
    let factors = b.texts("#fit-factors tbody tr").await;
    assert!(
        factors.len() >= 3,
        "the features that drove the score: {factors:?}"
    );
    assert!(
        factors.iter().any(|f| f.contains("Certified staff")),
        "factors: {factors:?}"
    );
    b.shot("lifecycle-03-fit-score").await;
    b.click("#approve").await;
    let link = b.text("#invitation-link").await;
    assert!(
        link.starts_with("/invite/"),
        "a one-time invitation link: {link:?}"
    );
    assert_eq!(b.text("#application-status").await.trim(), "Approved");
    b.shot("lifecycle-04-approved").await;
    b.click("#logout").await;
    b.wait_path("/login").await;

    // ---------------------------------------------------------------- the new partner admin
    b.goto(link.trim()).await;
    b.wait_css("#invite-form").await;
    b.type_into("#invite-form input[name=password]", "short")
        .await;
    b.type_into("#invite-form input[name=confirm]", "short")
        .await;
    b.click("#invite-form button[type=submit]").await;
    let error = b.text("#invite-error").await;
    assert!(
        error.contains("12"),
        "a short password is refused with the rule: {error:?}"
    );
    let password = "northwind-onboarding-2026";
    b.type_into("#invite-form input[name=password]", password)
        .await;
    b.type_into("#invite-form input[name=confirm]", password)
        .await;
    b.click("#invite-form button[type=submit]").await;
    b.wait_path("/login").await;
    b.sign_in("nina@northwind-integrations.example", password)
        .await;
    b.wait_path("/portal").await;
    b.click(".topbar a[href='/portal/onboarding']").await;
    b.wait_path("/portal/onboarding").await;
    let checklist = b.texts("#checklist li").await;
    assert!(
        checklist.len() >= 5,
        "the checklist of the template: {checklist:?}"
    );
    let invited = checklist
        .iter()
        .find(|i| i.contains("Portal users invited"))
        .expect("the users-invited item");
    assert!(
        invited.contains("done"),
        "inviting the admin ticked it: {invited:?}"
    );
    assert!(
        b.exists("#checklist li.open[data-key=agreement_signed] button")
            .await,
        "the admin can tick the agreement"
    );
    b.shot("lifecycle-05-checklist").await;
    b.click("#checklist li[data-key=agreement_signed] button")
        .await;
    b.wait_css("#checklist li.done[data-key=agreement_signed]")
        .await;
    let next = b.text("#next-tier").await;
    assert!(next.contains("Select"), "the next tier is named: {next:?}");
    assert!(
        next.contains("missing"),
        "with what is still missing: {next:?}"
    );
    assert!(
        next.contains("Sourced ARR"),
        "criteria are listed: {next:?}"
    );
    b.shot("lifecycle-06-next-tier").await;
    b.close().await;
}

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
    b.wait_path("/console/partners").await;
    b.goto(&format!("/console/programs/{}", program.id)).await;
    let cohorts = b.texts("#activation-cohorts tbody tr").await;
    assert!(!cohorts.is_empty(), "activation by joining cohort is shown");
    assert!(b.exists("#council").await, "the advisory council is shown");
    b.shot("lifecycle-10-program-governance").await;
    b.click("#policy-link").await;
    b.wait_css("#policy-form").await;
    assert_eq!(b.text("#policy-version").await.trim(), "version 1");
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
    assert_eq!(
        b.text("#policy-version").await.trim(),
        "version 1",
        "simulating publishes nothing"
    );
    b.shot("lifecycle-08-policy-simulation").await;

    // Publish it with a note: version 2, and the difference is shown key by key.
    b.type_into(
        "#policy-form input[name=change_note]",
        "Shorter sunset window",
    )
    .await;
    b.click("#publish").await;
    let notice = b.text("#policy-notice").await;
    assert!(notice.contains("Published version 2"), "notice: {notice:?}");
    assert_eq!(b.text("#policy-version").await.trim(), "version 2");
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
