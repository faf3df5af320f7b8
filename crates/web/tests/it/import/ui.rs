//! The console's import page over plain HTTP: check a file (the suggested mapping and what
//! a dry run finds), import it under the mapping the form shows, see the run list.

use hyper::StatusCode;

use super::sample;
use crate::harness::TestApp;
use crate::on_both;
use crate::session::vendor_session;

async fn a_file_is_checked_then_imported_from_the_console(app: TestApp) {
    let w = app.world().await;
    let (session, csrf) = vendor_session(&app, &w).await;
    let page = app.http.page("/console/imports", &session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("No imports yet."), "{}", page.text());
    assert!(
        page.text().contains("href=\"/console/imports\""),
        "the nav links the page"
    );
    for kind in [
        "<option value=\"partners\">Partners</option>",
        "<option value=\"contacts\">Contacts (partner users)</option>",
        "<option value=\"registrations\">Deal registrations</option>",
        "<option value=\"touchpoints\">Touchpoints</option>",
    ] {
        assert!(page.text().contains(kind), "{kind}");
    }

    let csv = sample("hubspot_companies.csv");
    let check = app
        .http
        .multipart(
            "/console/imports",
            ("cookie", &session),
            &[
                ("_csrf", &csrf),
                ("kind", "accounts"),
                ("source", ""),
                ("action", "check"),
            ],
            &[("file", "hubspot_companies.csv", &csv)],
        )
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.text());
    let text = check.text();
    assert!(
        text.contains("Checked hubspot_companies.csv (HubSpot): 3 rows"),
        "{text}"
    );
    assert!(text.contains("name=\"map.web_domain\""), "{text}");
    assert!(
        text.contains("<option value=\"Company Domain Name\" selected>"),
        "{text}"
    );
    assert!(text.contains("No imports yet."), "a check writes nothing");

    let done = app
        .http
        .multipart(
            "/console/imports",
            ("cookie", &session),
            &[
                ("_csrf", &csrf),
                ("kind", "accounts"),
                ("source", "hubspot"),
                ("action", "import"),
                ("map.external_id", "Record ID"),
                ("map.name", "Company name"),
                ("map.web_domain", "Company Domain Name"),
                ("map.country", "Country/Region"),
            ],
            &[("file", "hubspot_companies.csv", &csv)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let text = done.text();
    assert!(
        text.contains("Imported hubspot_companies.csv (HubSpot): 3 rows;"),
        "{text}"
    );
    assert!(text.contains("3 created, 0 updated, 0 unchanged"), "{text}");
    assert!(text.contains("class=\"import-run\""), "{text}");

    // A bad file: refused with its errors by row and column, in the page and the run list.
    let bad = app
        .http
        .multipart(
            "/console/imports",
            ("cookie", &session),
            &[
                ("_csrf", &csrf),
                ("kind", "accounts"),
                ("source", ""),
                ("action", "check"),
            ],
            &[(
                "file",
                "bad.csv",
                &sample("salesforce_report_accounts_errors.csv"),
            )],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("iso_3166_alpha2"), "{}", bad.text());
    assert!(
        bad.text().contains("Nothing was written."),
        "{}",
        bad.text()
    );

    // Another kind from the selector: partners, mapped by their own names.
    let partners = app
        .http
        .multipart(
            "/console/imports",
            ("cookie", &session),
            &[
                ("_csrf", &csrf),
                ("kind", "partners"),
                ("source", ""),
                ("action", "check"),
            ],
            &[(
                "file",
                "partners.csv",
                &sample("salesforce_report_partners.csv"),
            )],
        )
        .await;
    assert_eq!(partners.status, StatusCode::OK, "{}", partners.text());
    let text = partners.text();
    assert!(
        text.contains("Checked partners.csv (Salesforce report): 3 rows"),
        "{text}"
    );
    assert!(text.contains("name=\"map.tier\""), "{text}");
    assert!(
        text.contains("<option value=\"Partner Tier\" selected>"),
        "{text}"
    );
}
on_both!(a_file_is_checked_then_imported_from_the_console);
