//! The vendor console in Chromium: the partner list with its live search, a partner, the
//! programs, accounts and users pages, and a partner form whose errors show inline.
//!
//! Screenshots go to `<target>/screenshots/vendor-*.png` and `form-*.png` (see `browser`).

use fantoccini::Locator;
use partnerops_core::ids::EntityId;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::partner::PartnerFilter;

use crate::browser::*;

// ------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_walks_the_console() {
    let (app, _report) = seeded().await;
    let partners = all_partners(&app.store).await;
    assert!(
        partners.len() >= 4,
        "the seed should create several partners, got {}",
        partners.len()
    );

    // A search term that matches some partners but not all: the first word of a name.
    let (needle, expected) = {
        let mut found = None;
        for p in &partners {
            let word = p
                .name
                .split_whitespace()
                .next()
                .unwrap_or(&p.name)
                .to_owned();
            let filter = PartnerFilter {
                q: Some(word.clone()),
                ..Default::default()
            };
            let hits = partners_matching(&app.store, &filter).await;
            if !hits.is_empty() && hits.len() < partners.len() {
                found = Some((word, sorted(hits.into_iter().map(|p| p.name))));
                break;
            }
        }
        found.expect("some partner name word should match only part of the partners")
    };

    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto("/console/partners").await;
    b.wait_css("#partner-table").await;
    let rows = b.texts("#partner-table tbody tr td:first-child a").await;
    assert_eq!(
        sorted(rows.clone()),
        sorted(partners.iter().map(|p| p.name.clone())),
        "the partner list should show every seeded partner"
    );
    assert!(
        b.exists("#new-partner").await,
        "the partners page should offer a #new-partner link"
    );
    assert!(
        b.text(".topbar").await.contains("Avery Admin"),
        "the top bar should name the signed-in user"
    );
    b.shot("vendor-01-partners").await;

    // Typing in the search box refreshes #results through htmx, without a page load.
    b.find("#filters input[name=q]")
        .await
        .send_keys(&needle)
        .await
        .expect("type the search");
    eventually(
        &format!("htmx to narrow the partner table to {expected:?} for {needle:?}"),
        async || {
            let rows = sorted(b.texts("#partner-table tbody tr td:first-child a").await);
            if rows == expected {
                Ok(())
            } else {
                Err(format!("rows {rows:?}"))
            }
        },
    )
    .await;
    eventually("the search to be pushed into the URL", async || {
        let url = b.url().await;
        if url.contains(&format!("q={}", crate::http::enc(&needle)))
            || url.contains(&format!("q={needle}"))
        {
            Ok(())
        } else {
            Err(url)
        }
    })
    .await;
    b.shot("vendor-02-partners-search").await;

    // Open the first match.
    let name = expected[0].clone();
    let partner = partners
        .iter()
        .find(|p| p.name == name)
        .expect("the matching partner");
    b.client
        .find(Locator::LinkText(&name))
        .await
        .expect("a link to the partner")
        .click()
        .await
        .expect("open the partner");
    b.wait_path(&format!("/console/partners/{}", partner.id))
        .await;
    b.wait_css("#partner-form").await;
    assert!(
        b.text("h1").await.contains(&name),
        "the partner page's h1 should name {name}"
    );
    assert_eq!(
        b.value("#partner-form input[name=web_domain]").await,
        partner.web_domain.to_string(),
        "the form shows the domain"
    );
    b.shot("vendor-03-partner").await;

    // Programs, then one program's tier ladder.
    b.click(".topbar a[href='/console/programs']").await;
    b.wait_path("/console/programs").await;
    b.wait_css("main table tbody tr td a").await;
    let programs = b.texts("main table tbody tr td:first-child a").await;
    let expected_programs = sorted(all_programs(&app.store).await.into_iter().map(|p| p.name));
    assert_eq!(
        sorted(programs),
        expected_programs,
        "the programs page should list every program"
    );
    b.shot("vendor-04-programs").await;

    let program = all_programs(&app.store)
        .await
        .into_iter()
        .find(|p| p.name == "Reseller Program")
        .expect("the seeded Reseller Program");
    b.client
        .find(Locator::LinkText("Reseller Program"))
        .await
        .expect("a link to the program")
        .click()
        .await
        .expect("open the program");
    b.wait_path(&format!("/console/programs/{}", program.id))
        .await;
    b.wait_css("#tiers .ladder .tier-card").await;
    let tiers = b.texts("#tiers .tier-card header strong").await;
    assert_eq!(
        tiers,
        ["Registered", "Select", "Premier"],
        "the tier ladder in rank order"
    );
    assert!(
        b.text("h1").await.contains("Reseller Program"),
        "the program page's h1"
    );
    b.shot("vendor-05-program").await;

    b.click(".topbar a[href='/console/accounts']").await;
    b.wait_path("/console/accounts").await;
    b.wait_css("#account-table").await;
    let accounts = b.texts("#account-table tbody tr td:first-child a").await;
    assert!(
        !accounts.is_empty(),
        "the accounts page should list seeded accounts"
    );
    b.shot("vendor-06-accounts").await;

    b.click(".topbar a[href='/console/users']").await;
    b.wait_path("/console/users").await;
    b.wait_css("#user-table").await;
    let emails = b.texts("#user-table tbody tr td:nth-child(2)").await;
    assert!(
        emails.iter().any(|e| e == VENDOR_ADMIN),
        "the users page should list {VENDOR_ADMIN}, got {emails:?}"
    );
    b.shot("vendor-07-users").await;

    // Sign out: back on the sign-in page, and the console is closed again.
    b.click("#logout").await;
    b.wait_path("/login").await;
    b.wait_css("input[name=email]").await;
    b.shot("vendor-08-signed-out").await;
    b.goto("/console/partners").await;
    b.wait_path("/login").await;
    assert!(
        b.url().await.contains("next="),
        "after sign-out the console should send back to the sign-in page"
    );

    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_errors_show_inline() {
    let (app, _report) = seeded().await;
    let program = all_programs(&app.store)
        .await
        .into_iter()
        .next()
        .expect("a seeded program");
    let before = all_partners(&app.store).await.len();

    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto("/console/partners/new").await;
    b.wait_css("#partner-form").await;

    b.select("#partner-form select[name=program_id]", program.id.as_str())
        .await;
    b.select("#partner-form select[name=partner_type]", "reseller")
        .await;
    b.type_into("#partner-form input[name=name]", "").await;
    b.type_into("#partner-form input[name=web_domain]", "not a domain")
        .await;
    b.type_into("#partner-form input[name=country]", "XX").await;
    b.click("#partner-form button[type=submit]").await;

    // The form comes back (from POST /console/partners) with the errors next to the fields.
    b.wait_path("/console/partners").await;
    b.wait_css("#partner-form input[name=name][aria-invalid=true]")
        .await;
    for field in ["name", "web_domain", "country"] {
        let input = format!("#partner-form input[name={field}]");
        assert_eq!(
            b.find(&input)
                .await
                .attr("aria-invalid")
                .await
                .expect("attr")
                .as_deref(),
            Some("true"),
            "{field} should be marked aria-invalid"
        );
        let error = format!("#partner-form label:has(> input[name={field}]) > small.field-error");
        assert!(
            b.exists(&error).await,
            "{field} should have a .field-error in its label"
        );
        let message = b.text(&error).await;
        assert!(
            !message.is_empty(),
            "the error message of {field} should not be empty"
        );
        assert!(
            b.exists(&format!("#partner-form small.field-error#{field}-error"))
                .await,
            "the error of {field} should carry the id its input's aria-describedby names"
        );
    }
    let errors = b.texts("#partner-form .field-error").await;
    assert_eq!(
        errors.len(),
        3,
        "only name, web domain and country are wrong: {errors:?}"
    );
    assert_eq!(
        b.value("#partner-form input[name=web_domain]").await,
        "not a domain",
        "the typed domain is kept"
    );
    assert_eq!(
        b.value("#partner-form input[name=country]").await,
        "XX",
        "the typed country is kept"
    );
    assert_eq!(
        b.value("#partner-form select[name=program_id]").await,
        program.id.as_str(),
        "the chosen program is kept"
    );
    assert_eq!(
        b.value("#partner-form select[name=partner_type]").await,
        "reseller",
        "the chosen type is kept"
    );
    assert_eq!(
        all_partners(&app.store).await.len(),
        before,
        "an invalid form must not create a partner"
    );
    b.shot("form-01-invalid").await;

    // Fix the fields and submit again: the new partner's page.
    let name = "Browserline Partners";
    b.type_into("#partner-form input[name=name]", name).await;
    b.type_into(
        "#partner-form input[name=web_domain]",
        "browserline.example",
    )
    .await;
    b.type_into("#partner-form input[name=country]", "DE").await;
    b.click("#partner-form button[type=submit]").await;
    let created = eventually("the new partner to be stored", async || {
        let all = all_partners(&app.store).await;
        all.iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| format!("{} partners, none named {name}", all.len()))
    })
    .await;
    b.wait_path(&format!("/console/partners/{}", created.id))
        .await;
    b.wait_css("h1").await;
    assert!(
        b.text("h1").await.contains(name),
        "the new partner's page should have its name in the h1"
    );
    assert!(
        !b.exists(".field-error").await,
        "no errors on the new partner's page"
    );
    assert_eq!(
        all_partners(&app.store).await.len(),
        before + 1,
        "exactly one partner was created"
    );
    assert_eq!(
        created.program_id, program.id,
        "the partner joined the chosen program"
    );
    b.shot("form-02-created").await;

    b.close().await;
}
