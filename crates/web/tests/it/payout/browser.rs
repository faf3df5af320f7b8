//! Payouts in Chromium: a partner admin opens its statement, reads why each amount is what
//! it is and downloads the CSV; the vendor approves the statement and marks it paid.
//!
//! Screenshots go to `<target>/screenshots/payout-*.png` (see `browser`).

use chrono::{Duration, Utc};
use partnerops_core::ids::EntityId;
use partnerops_core::payout::record::RunStatementsInput;
use partnerops_core::pipeline::record::CloseOpportunityInput;
use partnerops_core::policy::ProgramPolicy;

use partnerops_core::scope::Scope;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Actor;

use super::rates;
use crate::browser::{
    Browser, VENDOR_ADMIN, active_partner_admin, approved_deal, eventually, seeded,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_reads_its_statement_and_finance_pays_it() {
    let (app, report) = seeded().await;
    let (login, partner) = active_partner_admin(&app.store, &report).await;
    let system = Actor::system("test");
    // Monthly economics on the partner's program, then a deal won today.
    let program = partner.program_id.to_string();
    let current = app
        .store
        .program_policy(&Scope::Vendor, &program)
        .await
        .unwrap();
    let mut policy: ProgramPolicy = current.policy;
    policy.incentives.payout_period = partnerops_core::payout::policy::PayoutPeriod::Monthly;
    policy.incentives.minimum_payout_minor = 0;
    policy.incentives.tiers = policy.tiers.iter().map(|t| rates(&t.name)).collect();
    app.store
        .publish_policy(
            &system,
            &program,
            &policy.to_toml(),
            "monthly economics",
            &partnerops_store::etag::Precondition::None,
        )
        .await
        .expect("published");
    let opp = approved_deal(
        &app.store,
        &partner,
        "Kramerica Industries",
        "Kramerica oil bladder rollout",
        84_000_00,
    )
    .await;
    app.store
        .close_opportunity(
            &system,
            opp.as_str(),
            &CloseOpportunityInput {
                outcome: Some("won".into()),
                close_on: Some(Utc::now().date_naive().to_string()),
                lost_reason: None,
            },
        )
        .await
        .expect("closed won");
    app.store.accrue_payouts().await.expect("accrued");
    app.store_as_of(Utc::now() + Duration::days(40))
        .draw_up_statements(&system, &RunStatementsInput::default())
        .await
        .expect("statements");

    // The partner admin reads its statement.
    let b = Browser::start(&app).await;
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto("/portal/payouts").await;
    b.wait_css("#statement-table").await;
    b.shot("payout-01-portal-list").await;
    let row = b.texts("#statement-table tbody tr").await.join(" ");
    assert!(row.contains("Issued"), "{row}");
    b.click("#statement-table tbody tr:first-child a").await;
    b.wait_css("#line-table").await;
    let lines = b.texts("#line-table tbody tr").await.join("\n");
    assert!(lines.contains("Kramerica oil bladder rollout"), "{lines}");
    assert!(
        lines.contains("Resale margin") && lines.contains("15%"),
        "{lines}"
    );
    assert!(
        lines.contains("15% of USD 84,000.00 ARR: the") && lines.contains("tier's resale margin"),
        "the why of the amount: {lines}"
    );
    assert!(
        lines.contains(&format!("policy v{}", current.version + 1)),
        "{lines}"
    );
    let total = b.text("#statement-total").await;
    b.shot("payout-02-portal-statement").await;
    // The CSV the download link points at: one row per line, then the total.
    let href = b
        .find("#csv-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let (status, kind, csv) = b.fetch_text(&href).await;
    assert_eq!(status, 200, "{csv}");
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert!(
        csv.starts_with("statement_id,period,partner,line_id"),
        "{csv}"
    );
    assert!(
        csv.contains("Kramerica oil bladder rollout") && csv.contains("12600.00"),
        "{csv}"
    );
    let amount = total.trim_start_matches("USD ").replace(',', "");
    assert!(
        csv.lines().last().unwrap().contains(&amount),
        "the total row {amount}: {csv}"
    );
    let statement = b.path().await.rsplit('/').next().unwrap().to_owned();
    b.click("#print-link").await;
    b.wait_css("body.print-statement").await;
    b.shot("payout-03-printable").await;
    b.goto("/portal").await;
    b.click("#logout").await;

    // Finance (the vendor admin) approves and pays.
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto(&format!("/console/payouts/{statement}")).await;
    b.wait_css("#approve-form").await;
    b.click("#approve-form button[type=submit]").await;
    eventually("the statement to be approved", async || {
        let s = b.text("#statement-state").await;
        if s == "Approved" { Ok(s) } else { Err(s) }
    })
    .await;
    b.click("#pay-form button[type=submit]").await;
    eventually("the missing reference named", async || {
        let e = b.texts("#pay-form .field-error").await.join(" ");
        if e.contains("reference") {
            Ok(e)
        } else {
            Err(e)
        }
    })
    .await;
    b.type_into("#pay-form input[name=reference]", "ACH-2027-01-0042")
        .await;
    b.click("#pay-form button[type=submit]").await;
    eventually("the statement to be paid", async || {
        let s = b.text("#statement-state").await;
        if s == "Paid" { Ok(s) } else { Err(s) }
    })
    .await;
    assert_eq!(b.text("#payment-reference").await, "ACH-2027-01-0042");
    b.shot("payout-04-console-paid").await;
    b.goto("/console/payouts").await;
    b.wait_css("#statement-table").await;
    b.shot("payout-05-console-list").await;

    // A year later the customer renews: recorded on the deal, paid at the renewal share.
    b.goto(&format!("/console/opportunities/{opp}")).await;
    b.wait_css("#revenue-form").await;
    let renewed_on = (Utc::now() + Duration::days(365)).date_naive().to_string();
    b.select("#revenue-form select[name=kind]", "renewal").await;
    b.set_value("#revenue-form input[name=occurred_on]", &renewed_on)
        .await;
    b.click("#revenue-form button[type=submit]").await;
    eventually("the missing ARR named", async || {
        let e = b.texts("#revenue-form .field-error").await.join(" ");
        if e.contains("renewed ARR") {
            Ok(e)
        } else {
            Err(e)
        }
    })
    .await;
    b.type_into("#revenue-form input[name=arr]", "90,000").await;
    b.click("#revenue-form button[type=submit]").await;
    eventually("the renewal in the table", async || {
        let rows = b.texts("#revenue-table tbody tr").await.join(" ");
        if rows.contains("Renewal") && rows.contains("USD 90,000.00") {
            Ok(rows)
        } else {
            Err(rows)
        }
    })
    .await;
    app.store.accrue_payouts().await.expect("accrued");
    b.goto(&format!("/console/opportunities/{opp}")).await;
    let lines = b.texts("#commission-table tbody tr").await.join("\n");
    assert!(
        lines.contains("renewal") && lines.contains("USD 4,500.00"),
        "{lines}"
    );
    b.shot("payout-06-deal-after-close").await;
    b.close().await;
}
