//! MDF in Chromium: a partner admin requests funds in the portal, the vendor approves the
//! request in the console, and the partner claims it with a proof summary.
//!
//! Screenshots go to `<target>/screenshots/mdf-*.png` (see `browser`).

use chrono::{Days, Utc};
use partnerops_core::mdf::record::{AllocationInput, BudgetInput};
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Actor;

use crate::browser::{Browser, VENDOR_ADMIN, active_partner_admin, eventually, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_requests_staff_approve_and_the_partner_claims() {
    let (app, report) = seeded().await;
    let (login, partner) = active_partner_admin(&app.store, &report).await;
    let system = Actor::system("test");
    let today = Utc::now().date_naive();
    let budget = app
        .store
        .create_mdf_budget(
            &system,
            &BudgetInput {
                program_id: Some(partner.program_id.to_string()),
                name: Some("Browser test MDF".into()),
                amount_minor: Some(100_000_00),
                currency: Some("USD".into()),
                period_start: Some((today - Days::new(30)).to_string()),
                period_end: Some((today + Days::new(60)).to_string()),
            },
        )
        .await
        .expect("budget");
    let allocation = app
        .store
        .create_mdf_allocation(
            &system,
            &AllocationInput {
                budget_id: Some(budget.id.to_string()),
                partner_id: Some(partner.id.to_string()),
                amount_minor: Some(20_000_00),
                ..AllocationInput::default()
            },
        )
        .await
        .expect("allocation");

    // The partner admin requests funds for a trade show.
    let b = Browser::start(&app).await;
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto("/portal/mdf").await;
    b.wait_css("#request-form").await;
    b.shot("mdf-01-portal").await;
    b.select(
        "#request-form select[name=allocation_id]",
        &allocation.id.to_string(),
    )
    .await;
    b.select("#request-form select[name=activity_type]", "event")
        .await;
    b.type_into("#request-form input[name=title]", "Kramerica trade show")
        .await;
    b.type_into("#request-form input[name=planned_minor]", "6,000.00")
        .await;
    b.set_value(
        "#request-form input[name=starts_on]",
        &(today - Days::new(3)).to_string(),
    )
    .await;
    b.set_value(
        "#request-form input[name=ends_on]",
        &(today - Days::new(2)).to_string(),
    )
    .await;
    b.type_into("#request-form input[name=expected_leads]", "40")
        .await;
    b.click("#request-form button[type=submit]").await;
    eventually("the request in the list", async || {
        let rows = b.texts("#requests tbody tr").await.join(" ");
        if rows.contains("Kramerica trade show") && rows.contains("Submitted") {
            Ok(rows)
        } else {
            Err(rows)
        }
    })
    .await;
    let balances = b.texts("#allocations tbody tr").await.join(" ");
    assert!(balances.contains("USD 14,000.00"), "{balances}");
    b.shot("mdf-02-portal-submitted").await;
    b.click("#logout").await;

    // The vendor approves it from the queue.
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto("/console/mdf").await;
    b.wait_css("#request-queue").await;
    b.shot("mdf-03-console-queue").await;
    let queue = b.texts("#request-queue tbody tr").await.join(" ");
    assert!(queue.contains("Kramerica trade show"), "{queue}");
    b.click("#request-queue tbody tr:last-child a").await;
    b.wait_css("#approve-form").await;
    assert!(b.text("h1").await.contains("Kramerica trade show"));
    b.click("#approve-form button[type=submit]").await;
    eventually("the request to be approved", async || {
        let s = b.text("#request-state").await;
        if s == "Approved" { Ok(s) } else { Err(s) }
    })
    .await;
    let request = b.path().await.rsplit('/').next().unwrap().to_owned();
    b.shot("mdf-04-console-approved").await;
    b.goto("/console").await;
    b.click("#logout").await;

    // The partner claims it.
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto(&format!("/portal/mdf/requests/{request}")).await;
    b.wait_css("#claim-form").await;
    b.click("#claim-form button[type=submit]").await;
    eventually("the missing proof named", async || {
        let e = b.texts("#claim-form #proof_summary-error").await.join(" ");
        let f = b.texts("#claim-form #proof-error").await.join(" ");
        if e.contains("required") && f.contains("at least one") {
            Ok(e)
        } else {
            Err(format!("{e} / {f}"))
        }
    })
    .await;
    // The proof: a PDF from disk, through the form's file input.
    let pdf = std::env::temp_dir().join(format!(
        "partnerops-booth-{}.pdf",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::write(&pdf, crate::file::PDF).unwrap();
    b.attach("#claim-form input[name=proof]", &pdf).await;
    b.type_into("#claim-form input[name=claimed_minor]", "5,800.00")
        .await;
    b.type_into(
        "#claim-form textarea[name=proof_summary]",
        "Booth 14: 212 badge scans, 31 meetings booked; invoices attached by e-mail.",
    )
    .await;
    b.click("#claim-form button[type=submit]").await;
    eventually("the claim to be submitted", async || {
        let s = b.text("#claim-state").await;
        if s == "Submitted" { Ok(s) } else { Err(s) }
    })
    .await;
    assert_eq!(b.text("#request-state").await, "Claimed");
    // The proof is listed and served to the partner, as the PDF it is.
    let href = b
        .find("#claim-proofs a")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let (status, kind, _) = b.fetch_text(&href).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    let _ = std::fs::remove_file(&pdf);
    b.shot("mdf-05-portal-claimed").await;
    b.close().await;
}
