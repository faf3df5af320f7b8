//! The public directory in Chromium on a phone-sized window: a visitor searches (with a
//! typo), opens a listing, and follows its category. No sign-in anywhere.
//!
//! Screenshots go to `<target>/screenshots/directory-*.png` (see `browser`).

use partnerops_core::directory::record::DirectoryListingInput;
use partnerops_core::ids::EntityId;
use partnerops_core::scope::Scope;
use partnerops_store::Actor;

use partnerops_seed::DEMO_PASSWORD;

use crate::browser::{Browser, VENDOR_ADMIN, active_partner_admin, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_searches_the_directory_on_a_phone_and_opens_a_listing() {
    let (app, report) = seeded().await;
    let (login, partner) = active_partner_admin(&app.store, &report).await;
    let system = Actor::system("test");
    let l = app
        .store
        .create_directory_listing(
            &system,
            &DirectoryListingInput {
                partner_id: Some(partner.id.to_string()),
                title: Some("Kubernetes Cost Optimisation".into()),
                summary: Some("We cut your cluster bill in two weeks.".into()),
                description: Some("## How we work\n\n1. Measure\n2. Right-size\n3. Automate\n\n<script>document.title='pwned'</script>".into()),
                categories: Some(vec!["Cloud".into(), "FinOps".into()]),
                regions: Some(vec!["EMEA".into()]),
                languages: Some(vec!["en".into()]),
                website: Some("https://k8s-costs.example".into()),
                ..Default::default()
            },
        )
        .await
        .expect("listing");
    app.store
        .submit_directory_listing(&system, l.id.as_str())
        .await
        .expect("published");
    app.store
        .verify_directory_listing(&system, l.id.as_str(), Some(true))
        .await
        .expect("verified");

    let b = Browser::start(&app).await;
    // An iPhone-sized window.
    b.client
        .set_window_size(390, 844)
        .await
        .expect("phone size");
    b.goto("/directory").await;
    b.wait_css("#directory-search").await;
    b.shot("directory-01-phone-home").await;
    // A misspelt search still finds it, and says what it searched for.
    b.type_into("#directory-q", "kubernets").await;
    b.click("#directory-go").await;
    b.wait_css("#directory-corrected").await;
    let corrected = b.text("#directory-corrected").await;
    assert!(corrected.contains("kubernetes"), "{corrected}");
    let hits = b.texts("#directory-hits li h3").await;
    assert_eq!(
        hits.first().map(String::as_str),
        Some("Kubernetes Cost Optimisation"),
        "{hits:?}"
    );
    b.shot("directory-02-phone-results").await;
    b.click("#directory-hits li h3 a").await;
    b.wait_css("#listing-title").await;
    assert_eq!(
        b.text("#listing-title").await,
        "Kubernetes Cost Optimisation"
    );
    assert!(b.exists("#listing-verified").await, "the verified badge");
    let body = b.text("#listing-body").await;
    assert!(body.contains("Right-size"), "{body}");
    assert!(
        !b.source().await.contains("<title>pwned"),
        "a partner's script ran"
    );
    b.shot("directory-03-phone-listing").await;
    // Nothing wider than the phone: no sideways scrolling.
    let widths: Vec<u32> = serde_json::from_value(
        b.client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .expect("widths"),
    )
    .expect("numbers");
    assert!(
        widths[0] <= widths[1],
        "page {} wider than the window {}",
        widths[0],
        widths[1]
    );
    // The visitor sends the partner an enquiry from the listing page.
    b.type_into("#enquiry-form input[name=name]", "Ada Lovelace")
        .await;
    b.type_into("#enquiry-form input[name=email]", "ada@engines.example")
        .await;
    b.type_into("#enquiry-form input[name=company]", "Analytical Engines")
        .await;
    b.type_into(
        "#enquiry-form textarea[name=message]",
        "Can you look at our clusters next week?",
    )
    .await;
    b.click("#enquiry-submit").await;
    b.wait_css("#enquiry-thanks").await;
    b.shot("directory-03b-phone-enquiry-sent").await;
    let leads = app
        .store
        .directory_leads(&Scope::Vendor, Some(l.id.as_str()))
        .await
        .expect("leads");
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0].company, "Analytical Engines");
    // Its category page lists it.
    b.goto("/directory/categories/finops").await;
    b.wait_css("#directory-hits").await;
    let hits = b.texts("#directory-hits li h3").await;
    assert!(
        hits.contains(&"Kubernetes Cost Optimisation".to_owned()),
        "{hits:?}"
    );

    // The partner's admin sees its listings in the portal; the vendor its queue.
    b.client
        .set_window_size(1366, 900)
        .await
        .expect("desktop size");
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto("/portal/directory").await;
    b.wait_css("#listings").await;
    let rows = b.texts("#listings tbody tr").await.join("\n");
    assert!(rows.contains("Kubernetes Cost Optimisation"), "{rows}");
    b.shot("directory-04-portal").await;
    // The partner's admin reports this month's usage on the listing's page.
    b.goto(&format!("/portal/directory/{}", l.id)).await;
    b.wait_css("#usage-form").await;
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    b.type_into("#usage-form input[name=period]", &month).await;
    b.type_into("#usage-form input[name=customers]", "42").await;
    b.click("#usage-submit").await;
    b.wait_css("#usage-reports").await;
    let reports = b.texts("#usage-reports tbody tr").await.join("\n");
    assert!(
        reports.contains(&month) && reports.contains("42"),
        "{reports}"
    );
    b.shot("directory-04b-portal-usage").await;
    b.goto("/portal").await;
    b.click("#logout").await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto("/console/directory").await;
    b.wait_css("#listings").await;
    // The demo's curated program has one listing waiting: first in the queue.
    let first = b.texts("#listings tbody tr").await;
    assert!(first[0].contains("Awaiting review"), "{first:?}");
    b.shot("directory-05-console").await;
    // A moderator hides the review the demo's visitor reported, with a reason.
    b.goto("/console/directory/moderation").await;
    b.wait_css("#queue").await;
    b.type_into(
        "#queue .moderate-form input[name=reason]",
        "Could not verify the customer",
    )
    .await;
    b.click("#queue .moderate-form button").await;
    b.wait_css("#done").await;
    assert!(b.exists("#queue-empty").await, "the queue is empty");
    b.shot("directory-05b-console-moderation").await;
    // A curator makes a collection of the listing, by its public address.
    b.goto("/console/directory/collections").await;
    b.wait_css("#collections").await;
    b.type_into("#collection-form input[name=title]", "Best for FinOps")
        .await;
    b.type_into("#collection-form textarea[name=listings]", &l.slug)
        .await;
    b.click("#collection-create").await;
    b.wait_css("#public-link").await;
    b.shot("directory-05c-console-collection").await;
    b.click("#public-link").await;
    b.wait_css("#collection-listings").await;
    let listed = b.texts("#collection-listings li h3").await;
    assert_eq!(listed, ["Kubernetes Cost Optimisation"]);
    b.shot("directory-05d-public-collection").await;
    b.goto("/directory").await;
    b.wait_css("#directory-hits").await;
    b.shot("directory-06-desktop-home").await;
    b.close().await;
}
