//! Account mapping pages over plain HTTP: the partner admin proposes, the vendor accepts in
//! the console, the partner checks its file (the suggested mapping), confirms and uploads
//! it, sets its sharing and reads the matrix and a shared cell; the console confirms a
//! match; the demo data holds a mapping with its matrix.

use hyper::StatusCode;

use super::{sample, vendor_accounts};
use crate::harness::TestApp;
use crate::on_both;
use crate::session::{partner_session, set_password, vendor_session};

on_both!(
    a_partner_uploads_confirms_the_mapping_and_sees_the_matrix,
    the_demo_has_a_mapping
);

async fn a_partner_uploads_confirms_the_mapping_and_sees_the_matrix(app: TestApp) {
    let w = app.world().await;
    vendor_accounts(&app, &w).await;
    set_password(&app, &w.a.admin).await;
    let (ps, pcsrf) = partner_session(&app, &w.a.admin).await;
    let (vs, vcsrf) = vendor_session(&app, &w).await;
    let page = app.http.page("/portal/mapping", &ps).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("href=\"/portal/mapping\""),
        "the nav links the page"
    );
    let r = app
        .http
        .form("/portal/mapping", &ps, &[("_csrf", &pcsrf)], &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let at = r.header("location").unwrap();
    let id = at.trim_start_matches("/portal/mapping/").to_owned();
    let page = app.http.page(&at, &ps).await.text();
    assert!(page.contains("Awaiting opt-in"), "{page}");
    assert!(
        !page.contains("id=\"upload\""),
        "no upload before both accepted"
    );
    // The vendor accepts in the console.
    let r = app
        .http
        .form(
            &format!("/console/mapping/{id}/accept"),
            &vs,
            &[("_csrf", &vcsrf)],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // The partner checks its file: the suggested mapping is shown; then confirms it.
    let csv = sample("salesforce_accounts.csv");
    let check = app
        .http
        .multipart(
            &format!("/portal/mapping/{id}/upload"),
            ("cookie", &ps),
            &[("_csrf", &pcsrf), ("action", "check"), ("source", "")],
            &[("file", "salesforce_accounts.csv", &csv)],
        )
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.text());
    let text = check.text();
    assert!(
        text.contains("Checked salesforce_accounts.csv (Salesforce report): 6 rows, no errors."),
        "{text}"
    );
    assert!(
        text.contains("<option value=\"Account Name\" selected>"),
        "{text}"
    );
    let done = app
        .http
        .multipart(
            &format!("/portal/mapping/{id}/upload"),
            ("cookie", &ps),
            &[
                ("_csrf", &pcsrf),
                ("action", "upload"),
                ("source", "salesforce-report"),
                ("map.name", "Account Name"),
                ("map.web_domain", "Website"),
                ("map.country", "Billing Country"),
                ("map.population", "Type"),
                ("map.external_id", "Account ID"),
            ],
            &[("file", "salesforce_accounts.csv", &csv)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    // Both share customers by name: the customer × customer cell drills down.
    for (session, csrf, base) in [(&ps, &pcsrf, "/portal"), (&vs, &vcsrf, "/console")] {
        let r = app
            .http
            .form(
                &format!("{base}/mapping/{id}/sharing"),
                session,
                &[("_csrf", csrf), ("share.customer.name", "1")],
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    }
    let page = app
        .http
        .page(&format!("/portal/mapping/{id}"), &ps)
        .await
        .text();
    assert!(
        page.contains("matrix-total\">3</span> matched accounts"),
        "{page}"
    );
    assert!(
        page.contains(&format!("/portal/mapping/{id}/cells/customer/customer")),
        "{page}"
    );
    let cell = app
        .http
        .page(
            &format!("/portal/mapping/{id}/cells/customer/customer"),
            &ps,
        )
        .await;
    assert_eq!(cell.status, StatusCode::OK);
    assert!(cell.text().contains("Initech Systems"), "{}", cell.text());
    let cell = app
        .http
        .page(
            &format!("/portal/mapping/{id}/cells/open_opportunity/customer"),
            &ps,
        )
        .await;
    assert_eq!(cell.status, StatusCode::FORBIDDEN);
    assert!(!cell.text().contains("Globex"), "{}", cell.text());
    for vendor_only in ["Vandelay", "Acme Store 1", "Umbrella Corporation"] {
        assert!(
            !page.contains(vendor_only),
            "the portal shows {vendor_only}"
        );
    }
    // The console lists the match to confirm and confirms it.
    let page = app
        .http
        .page(&format!("/console/mapping/{id}"), &vs)
        .await
        .text();
    assert!(
        page.contains("Umbrella Corporation") && page.contains("Umbrela Corp"),
        "{page}"
    );
    let start =
        page.find("name=\"match_id\" value=\"").unwrap() + "name=\"match_id\" value=\"".len();
    let match_id = &page[start..start + 36];
    let r = app
        .http
        .form(
            &format!("/console/mapping/{id}/confirm"),
            &vs,
            &[("_csrf", &vcsrf), ("match_id", match_id)],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app
        .http
        .page(&format!("/console/mapping/{id}"), &vs)
        .await
        .text();
    assert!(
        page.contains("matrix-total\">4</span> matched accounts"),
        "{page}"
    );
}

async fn the_demo_has_a_mapping(app: TestApp) {
    partnerops_seed::seed(&app.store, &partnerops_seed::SeedSpec::small(3))
        .await
        .expect("seed");
    let all = app
        .store
        .mapping_partnerships(&partnerops_core::scope::Scope::Vendor)
        .await
        .unwrap();
    let active = all
        .iter()
        .find(|m| m.status.as_str() == "active")
        .expect("an active mapping");
    assert!(active.uploaded_rows > 3, "{active:?}");
    let matrix = app
        .store
        .mapping_matrix(
            &partnerops_core::scope::Scope::Vendor,
            &active.id.to_string(),
        )
        .await
        .unwrap();
    assert!(matrix.total > 0, "{matrix:?}");
}
