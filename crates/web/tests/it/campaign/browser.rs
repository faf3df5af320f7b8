//! Campaigns in Chromium: a partner admin launches a published template with an offer that
//! carries a `<script>`, a visitor opens the public page (the script is text, nothing runs)
//! and sends the lead form, and the partner makes the lead a registration.
//!
//! Screenshots go to `<target>/screenshots/campaign-*.png` (see `browser`).

use partnerops_core::campaign::record::{TemplateInput, TemplateStatus};
use partnerops_core::ids::EntityId;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Actor;

use crate::browser::{Browser, VENDOR_ADMIN, active_partner_admin, eventually, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_launches_a_campaign_and_a_visitor_leaves_a_lead() {
    let (app, report) = seeded().await;
    let (login, partner) = active_partner_admin(&app.store, &report).await;
    let system = Actor::system("test");
    let t = app
        .store
        .create_campaign_template(
            &system,
            &TemplateInput {
                program_id: Some(partner.program_id.to_string()),
                name: Some("Cloud cost review".into()),
                email_subject: Some("{{partner_name}}: cut your cloud bill".into()),
                email_body: Some("Hello,\n\n{{partner_name}} reviews your cloud costs. {{offer}}.".into()),
                landing_title: Some("Cut your cloud bill with {{partner_name}}".into()),
                landing_body: Some("{{partner_logo}}\n\n## The review\n\n- Two weeks, fixed price\n- **{{offer}}**\n\nQuestions? {{contact_name}}, {{contact_email}}".into()),
                default_offer: Some("The first week free".into()),
            },
        )
        .await
        .expect("template");
    app.store
        .set_campaign_template_status(&system, t.id.as_str(), TemplateStatus::Published)
        .await
        .expect("published");

    let b = Browser::start(&app).await;
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto("/portal/campaigns").await;
    b.wait_css("#launch-form").await;
    b.type_into("#launch-form input[name=name]", "Spring cloud review")
        .await;
    b.type_into(
        "#launch-form input[name=offer]",
        "<script>document.title='pwned'</script>Free audit",
    )
    .await;
    b.type_into(
        "#launch-form input[name=contact_email]",
        "sales@partner.example",
    )
    .await;
    b.click("#launch").await;
    b.wait_css("#public-url").await;
    b.shot("campaign-01-launched").await;
    let public = b
        .find("#public-url")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let campaign_page = b.path().await;

    // The visitor's view: co-branded, the partner's script shown as text, never run.
    b.goto(&public).await;
    b.wait_css("#lead-form").await;
    let title = b.text("#landing-title").await;
    assert_eq!(title, format!("Cut your cloud bill with {}", partner.name));
    let body = b.text("#landing-body").await;
    assert!(
        body.contains("<script>document.title='pwned'</script>Free audit"),
        "{body}"
    );
    assert!(
        !b.source().await.contains("<script>document.title"),
        "the script became markup"
    );
    b.type_into("#lead-form input[name=name]", "Elaine Benes")
        .await;
    b.type_into("#lead-form input[name=email]", "elaine@pendant.example")
        .await;
    b.type_into("#lead-form input[name=company]", "Pendant Publishing")
        .await;
    b.type_into("#lead-form input[name=country]", "US").await;
    b.type_into(
        "#lead-form textarea[name=message]",
        "We spend too much on storage.",
    )
    .await;
    b.shot("campaign-02-landing").await;
    b.click("#lead-submit").await;
    b.wait_css("#lead-thanks").await;
    b.shot("campaign-03-thanks").await;
    let page_title = b.source().await;
    assert!(!page_title.contains("<title>pwned"), "a script ran");

    // The partner sees the lead and makes it a registration in one click.
    b.goto(&campaign_page).await;
    b.wait_css("#leads").await;
    let leads = b.texts("#leads tbody tr").await.join("\n");
    assert!(leads.contains("Pendant Publishing"), "{leads}");
    let report = b.text("#campaign-report").await;
    assert!(
        report.contains("Leads\n1") || report.contains("Leads 1"),
        "{report}"
    );
    b.shot("campaign-04-leads").await;
    b.type_into("#leads input[name=estimated_arr]", "36,000")
        .await;
    b.click("#leads .register-lead").await;
    eventually("the registration page", async || {
        let p = b.path().await;
        if p.starts_with("/portal/registrations/reg_") {
            Ok(p)
        } else {
            Err(p)
        }
    })
    .await;
    let text = b.text("main").await;
    assert!(text.contains("Pendant Publishing"), "{text}");
    b.goto("/portal/campaigns").await;
    b.wait_css("#campaigns").await;
    b.shot("campaign-05-portal-list").await;
    b.goto("/portal").await;
    b.click("#logout").await;

    // Marketing's view: the template with its preview, and every partner's campaigns.
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto(&format!("/console/campaigns/templates/{}", t.id))
        .await;
    b.wait_css("#preview").await;
    b.shot("campaign-06-console-template").await;
    b.goto("/console/campaigns").await;
    b.wait_css("#campaigns").await;
    b.shot("campaign-07-console-list").await;
    b.close().await;
}
