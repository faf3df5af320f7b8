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
use partnerops_store::lifecycle::application::ApplicationFilter;
use partnerops_store::program::ProgramFilter;

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
    b.wait_path("/console").await;
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
