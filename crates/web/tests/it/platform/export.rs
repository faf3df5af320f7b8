//! CSV export of lists: every page, the same filters, the caller's scope; from the API
//! (`Accept: text/csv`), from a browser session (`/export/v1/…`) and from the CLI's entry
//! point in process.

use hyper::{Method, StatusCode};
use partnerops_core::account::AccountInput;
use partnerops_store::Actor;

use crate::harness::TestApp;
use crate::http::Answer;
use crate::on_both;
use crate::session::{PASSWORD, set_password, sign_in};

on_both!(
    lists_export_every_page_with_their_filters,
    a_partner_exports_only_its_own_rows,
    every_list_page_links_to_its_export
);

async fn csv(app: &TestApp, path: &str, token: &str) -> Answer {
    let auth = format!("Bearer {token}");
    let answer = app
        .http
        .send(
            Method::GET,
            path,
            &[("authorization", &auth), ("accept", "text/csv")],
            Default::default(),
        )
        .await;
    crate::openapi::api::assert_conforms(&Method::GET, path, &answer);
    answer
}

/// The CSV as rows of cells, header first.
fn rows(answer: &Answer) -> Vec<Vec<String>> {
    csv::Reader::from_reader(answer.body.as_ref())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn header(answer: &Answer) -> Vec<String> {
    csv::Reader::from_reader(answer.body.as_ref())
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect()
}

async fn lists_export_every_page_with_their_filters(app: TestApp) {
    let w = app.world().await;
    // 430 more accounts: the export crosses three pages of 200.
    for i in 0..430 {
        app.store
            .create_account(
                &Actor::system("test"),
                &AccountInput {
                    name: Some(format!("Customer {i:03}")),
                    web_domain: Some(format!("customer{i:03}.example")),
                    country: Some(if i % 2 == 0 { "FR" } else { "US" }.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let all = csv(&app, "/api/v1/accounts?limit=5", &w.admin).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text());
    assert_eq!(
        all.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        all.header("content-disposition").as_deref(),
        Some("attachment; filename=\"accounts.csv\"")
    );
    let h = header(&all);
    assert_eq!(&h[..2], ["id", "name"], "{h:?}");
    let all_rows = rows(&all);
    // Globex from the world and the 430: `limit` is for JSON pages, an export has all rows.
    assert_eq!(all_rows.len(), 431);
    let ids: std::collections::BTreeSet<&String> = all_rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), 431, "no row twice across pages");

    // The list's own filters apply: the US ones (215 of the 430, and Globex).
    let us = csv(&app, "/api/v1/accounts?country=US&sort=name", &w.admin).await;
    let us_rows = rows(&us);
    assert_eq!(us_rows.len(), 216);
    let country = header(&us).iter().position(|c| c == "country").unwrap();
    assert!(us_rows.iter().all(|r| r[country] == "US"));
    let name = header(&us).iter().position(|c| c == "name").unwrap();
    let names: Vec<&String> = us_rows.iter().map(|r| &r[name]).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "the sort is kept");

    // A bad filter is the list's own problem document, not a CSV.
    let bad = csv(&app, "/api/v1/accounts?country=XX", &w.admin).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.problem_rules(), ["country:iso_3166_alpha2"]);
    // One record is not a list.
    let one = csv(
        &app,
        &format!("/api/v1/accounts/{}", w.account.id),
        &w.admin,
    )
    .await;
    assert_eq!(one.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(
        one.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    // No token, no export.
    let anonymous = app
        .http
        .send(
            Method::GET,
            "/api/v1/accounts",
            &[("accept", "text/csv")],
            Default::default(),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // Accounts are the vendor's: a partner's export of them has no rows.
    let partner = csv(&app, "/api/v1/accounts", &w.a.admin_token).await;
    assert_eq!(partner.status, StatusCode::OK, "{}", partner.text());
    assert!(rows(&partner).is_empty(), "{}", partner.text());

    // The console list links to its export with the filters it shows.
    set_password(&app, &w.admin_user).await;
    let (_, cookie) = sign_in(&app, w.admin_user.email.as_str(), PASSWORD).await;
    let page = app.http.page("/console/accounts?country=US", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text()
            .contains("href=\"/export/v1/accounts?country=US\" download"),
        "{}",
        page.text()
    );
    let file = app
        .http
        .page("/export/v1/accounts?country=US", &cookie)
        .await;
    assert_eq!(rows(&file).len(), 216);

    // The CLI's entry point: in process, acting as a user.
    let admin = app
        .store
        .principal_of(&w.admin_user.id.to_string())
        .await
        .unwrap();
    let response = partnerops_web::export_csv(
        partnerops_web::app(app.store.clone(), Default::default()),
        admin,
        "/api/v1/accounts?country=FR",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(
        csv::Reader::from_reader(body.as_ref()).records().count(),
        215
    );
}

async fn a_partner_exports_only_its_own_rows(app: TestApp) {
    let w = app.world().await;
    // Partners: a partner's list holds its own company only.
    let mine = csv(&app, "/api/v1/partners", &w.a.admin_token).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text());
    let id = header(&mine).iter().position(|c| c == "id").unwrap();
    let ids: Vec<String> = rows(&mine).into_iter().map(|r| r[id].clone()).collect();
    assert_eq!(ids, [w.a.partner.id.to_string()]);
    let staff = csv(&app, "/api/v1/partners", &w.admin).await;
    assert_eq!(rows(&staff).len(), 2);
    // Users: A's admin sees A's two users, never B's.
    let users = csv(&app, "/api/v1/users", &w.a.admin_token).await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.text());
    let text = users.text();
    assert!(text.contains("admin@alpha.example") && text.contains("rep@alpha.example"));
    assert!(!text.contains("beta.example"), "{text}");
    assert!(!text.contains("vendor.example"), "{text}");

    // The browser route: the session is the caller.
    set_password(&app, &w.a.admin).await;
    let (_, cookie) = sign_in(&app, w.a.admin.email.as_str(), PASSWORD).await;
    let page = app.http.page("/export/v1/users", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(
        page.header("content-disposition").as_deref(),
        Some("attachment; filename=\"users.csv\"")
    );
    assert_eq!(rows(&page).len(), 2);
    assert!(!page.text().contains("beta.example"));
    // Without a session, sign in first.
    let anonymous = app
        .http
        .send(Method::GET, "/export/v1/users", &[], Default::default())
        .await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

/// The `/export/v1/…` links of a page.
fn export_links(page: &Answer) -> Vec<String> {
    let text = page.text();
    text.match_indices("href=\"/export/v1/")
        .map(|(at, _)| {
            let rest = &text[at + "href=\"".len()..];
            rest[..rest.find('"').unwrap()].replace("&amp;", "&")
        })
        .collect()
}

/// Every list page of the console and the portal links to the CSV of its rows, and each
/// link answers a CSV in the signed-in user's scope: partner A's exports never carry
/// partner B's records.
async fn every_list_page_links_to_its_export(app: TestApp) {
    let w = app.world().await;
    let company = |name: &str, domain: &str| serde_json::json!({"name": name, "web_domain": domain, "country": "US"});
    let theirs =
        crate::isolation::api::deals(&app, &w, &w.b, company("Globex", "globex.example")).await;
    crate::isolation::api::deals(&app, &w, &w.a, company("Initrode", "initrode.example")).await;
    set_password(&app, &w.admin_user).await;
    let (_, staff) = sign_in(&app, w.admin_user.email.as_str(), PASSWORD).await;
    set_password(&app, &w.a.admin).await;
    let (_, partner) = sign_in(&app, w.a.admin.email.as_str(), PASSWORD).await;
    let console = [
        "/console/registrations?status=approved",
        "/console/conflicts",
        "/console/pipeline?source=partner_sourced",
        "/console/fx-rates",
        "/console/business-plans",
        "/console/payouts",
        "/console/mdf",
        "/console/campaigns",
        "/console/events",
        "/console/launches",
        "/console/charters",
        "/console/applications",
        "/console/notifications",
        "/console/enablement/certifications?state=valid",
        "/console/webhooks",
        "/console/imports",
        "/console/accounts",
        "/console/partners",
        "/console/users",
    ];
    let portal = [
        "/portal/registrations",
        "/portal/opportunities",
        "/portal/business-plans",
        "/portal/payouts",
        "/portal/mdf",
        "/portal/campaigns",
        "/portal/events",
        "/portal/launches",
        "/portal/charters",
        "/portal/notifications",
        "/portal/webhooks",
        "/portal/users",
    ];
    for (pages, cookie, is_partner) in
        [(&console[..], &staff, false), (&portal[..], &partner, true)]
    {
        for path in pages {
            let page = app.http.page(path, cookie).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text());
            let links = export_links(&page);
            assert!(!links.is_empty(), "{path} links to no export");
            for link in links {
                let file = app.http.page(&link, cookie).await;
                assert_eq!(
                    file.status,
                    StatusCode::OK,
                    "{path} → {link}: {}",
                    file.text()
                );
                assert!(
                    file.header("content-type")
                        .unwrap_or_default()
                        .starts_with("text/csv"),
                    "{path} → {link}"
                );
                if is_partner {
                    let text = file.text();
                    for other in [
                        w.b.partner.id.to_string(),
                        theirs.registration.clone(),
                        theirs.opportunity.clone(),
                        "Globex".to_owned(),
                    ] {
                        assert!(!text.contains(&other), "{link} carries {other}: {text}");
                    }
                }
            }
        }
    }
    // The filters on screen go with the link, in the API's names.
    let page = app
        .http
        .page("/console/registrations?status=approved", &staff)
        .await;
    assert!(export_links(&page).contains(&"/export/v1/registrations?status=approved".to_owned()));
    let page = app
        .http
        .page("/console/pipeline?source=partner_sourced", &staff)
        .await;
    let links = export_links(&page);
    assert!(
        links
            .iter()
            .any(|l| l.starts_with("/export/v1/opportunities?")
                && l.contains("source=partner_sourced")),
        "{links:?}"
    );
}
