//! Account mapping in Chromium: the demo's partner admin checks its CRM export in the
//! portal (the upload's progress line, the suggested column mapping), confirms the mapping
//! and uploads the file again, and sees the matrix with its matches; then adds rows to it.
//!
//! Screenshots go to `<target>/screenshots/mapping-*.png` (see `browser`).

use partnerops_core::ids::EntityId;
use partnerops_core::scope::Scope;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::account::AccountFilter;

use crate::browser::{Browser, eventually, first_page, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_admin_uploads_confirms_the_mapping_and_sees_the_matrix() {
    let (app, report) = seeded().await;
    let m = app
        .store
        .mapping_partnerships(&Scope::Vendor)
        .await
        .expect("partnerships")
        .into_iter()
        .find(|m| m.status.as_str() == "active")
        .expect("the demo's active mapping");
    let login = report
        .logins
        .iter()
        .find(|l| {
            l.role == partnerops_core::user::Role::PartnerAdmin
                && l.partner_name.as_deref() == Some(m.partner_name.as_str())
        })
        .expect("the mapping partner's admin");
    // The partner's export: twelve of the vendor's accounts as a HubSpot export spells
    // them (every other one without its domain, so its name is matched), and three
    // companies of its own.
    let accounts = app
        .store
        .accounts(
            &Scope::Vendor,
            &AccountFilter::default(),
            &first_page(12, &partnerops_store::Store::account_sorts()),
        )
        .await
        .expect("accounts")
        .items;
    assert_eq!(accounts.len(), 12);
    let mut csv =
        String::from("Record ID,Company name,Company Domain Name,Country/Region,Lifecycle Stage\n");
    for (i, a) in accounts.iter().enumerate() {
        let domain = match (&a.web_domain, i % 2) {
            (Some(d), 0) => d.as_str().to_owned(),
            _ => String::new(),
        };
        let stage = ["customer", "opportunity", "lead"][i % 3];
        csv.push_str(&format!(
            "{},\"{} Inc.\",{domain},{},{stage}\n",
            900 + i,
            a.name,
            a.country.as_str()
        ));
    }
    for (i, name) in [
        "Kramerica Industries",
        "Vandelay Imports",
        "Pendant Publishing",
    ]
    .iter()
    .enumerate()
    {
        csv.push_str(&format!("{},{name},,US,customer\n", 950 + i));
    }
    let dir = std::env::temp_dir().join(format!("partnerops-mapping-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hubspot-companies.csv");
    std::fs::write(&file, &csv).unwrap();

    let b = Browser::start(&app).await;
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto("/portal/mapping").await;
    b.click(&format!("a[href='/portal/mapping/{}']", m.id.as_str()))
        .await;
    b.wait_css("#upload").await;
    b.shot("mapping-01-portal-before").await;

    // Check the file: the suggested mapping of a HubSpot export.
    b.attach("#upload-file", &file).await;
    b.click("#check-upload").await;
    let check = eventually("the check's answer", async || {
        if b.exists("#upload-check").await {
            Ok(b.text("#upload-check").await)
        } else {
            Err(b.text("#upload-section").await)
        }
    })
    .await;
    assert!(
        check.contains("Checked hubspot-companies.csv (HubSpot): 15 rows, no errors"),
        "{check}"
    );
    assert_eq!(
        b.value("#column-mapping select[name='map.name']").await,
        "Company name"
    );
    assert_eq!(
        b.value("#column-mapping select[name='map.web_domain']")
            .await,
        "Company Domain Name"
    );
    scroll_to(&b, "#upload-section").await;
    b.shot("mapping-02-portal-checked").await;

    // Confirm the mapping with the same file: the page reloads with the upload done.
    b.attach("#upload-file", &file).await;
    b.click("#confirm-upload").await;
    eventually("the upload to be done", async || {
        if b.exists("#done").await {
            Ok(b.text("#done").await)
        } else {
            Err(b.path().await)
        }
    })
    .await;
    let status = b.text("#upload-section").await;
    assert!(status.contains("15 rows uploaded now"), "{status}");
    let total: u64 = b
        .text("#matrix-total")
        .await
        .parse()
        .expect("the matrix total");
    assert!(
        total >= 10,
        "most of the twelve vendor accounts match: {total}"
    );
    let cells = b.texts("#matrix tbody td").await;
    assert_eq!(cells.len(), 9, "{cells:?}");
    b.shot("mapping-03-portal-matrix").await;

    // Add three more rows: only they are matched, the rest stays.
    let more = dir.join("more.csv");
    std::fs::write(
        &more,
        "Record ID,Company name,Company Domain Name,Country/Region,Lifecycle Stage\n\
         990,Bania Comedy,,US,customer\n991,Peterman Catalog,,US,lead\n992,Pendant Books,,US,customer\n",
    )
    .unwrap();
    b.click("#upload-append").await;
    b.attach("#upload-file", &more).await;
    b.click("#check-upload").await;
    b.wait_css("#confirm-upload").await;
    assert!(b.text("#upload-check").await.contains("3 rows"));
    b.attach("#upload-file", &more).await;
    b.click("#confirm-upload").await;
    eventually("the rows to be added", async || {
        let s = b.text("#upload-section").await;
        if s.contains("18 rows uploaded now") {
            Ok(s)
        } else {
            Err(s)
        }
    })
    .await;
    scroll_to(&b, "#upload-section").await;
    b.shot("mapping-04-portal-added").await;

    // A co-sell suggestion where the partner has the open opportunity: one click asks the
    // vendor for the introduction.
    scroll_to(&b, "#co-sell").await;
    b.shot("mapping-05-portal-co-sell").await;
    if b.exists("#suggestions form button").await {
        b.click("#suggestions form button").await;
        b.wait_css("#intros").await;
        let intros = b.texts("#intros tbody tr").await.join(" ");
        assert!(
            intros.contains("Partner") && intros.contains("Requested"),
            "{intros}"
        );
        scroll_to(&b, "#co-sell").await;
        b.shot("mapping-06-portal-intro-asked").await;
    }
    b.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Scrolls the page so that `css` is at the top of the window (for the screenshots).
async fn scroll_to(b: &Browser, css: &str) {
    b.client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView()",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("cannot scroll to `{css}`: {e}"));
}
