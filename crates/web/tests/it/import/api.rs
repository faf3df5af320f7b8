//! The import API on both databases.

use hyper::StatusCode;
use serde_json::Value;

use super::{import_sample, post_csv, sample};
use crate::harness::{TestApp, World};
use crate::http::enc;
use crate::on_both;

/// Live accounts whose name or domain contains `q`, as the vendor sees them.
async fn accounts(app: &TestApp, w: &World, q: &str) -> Vec<Value> {
    let r = app
        .http
        .get(
            &format!("/api/v1/accounts?limit=200&q={}", enc(q)),
            &w.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"].as_array().unwrap().clone()
}

async fn account_count(app: &TestApp, w: &World) -> usize {
    let r = app
        .http
        .get("/api/v1/accounts?limit=200&archived=all", &w.admin)
        .await;
    r.json()["items"].as_array().unwrap().len()
}

async fn runs(app: &TestApp, w: &World) -> Vec<Value> {
    let r = app.http.get("/api/v1/imports", &w.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().unwrap().clone()
}

async fn audit_len(app: &TestApp, w: &World, account: &str) -> usize {
    let r = app
        .http
        .get(
            &format!("/api/v1/accounts/{account}/audit?limit=200"),
            &w.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"].as_array().unwrap().len()
}

async fn each_sample_format_is_imported(app: TestApp) {
    let w = app.world().await;
    let cases = [
        (
            "salesforce_report_accounts.csv",
            "salesforce-report",
            5,
            "Northwind Traders",
        ),
        (
            "salesforce_dataloader_accounts.csv",
            "salesforce-dataloader",
            3,
            "Blue Yonder Airlines",
        ),
        ("hubspot_companies.csv", "hubspot", 3, "Litware Inc."),
        (
            "partnerops_accounts.csv",
            "partnerops",
            2,
            "Alpine Ski House",
        ),
    ];
    for (file, source, created, name) in cases {
        let run = import_sample(&app, &w.admin, "accounts", file).await;
        assert_eq!(run["status"], "done", "{file}: {run}");
        assert_eq!(
            run["source"], source,
            "{file}: the source is told from the header"
        );
        assert_eq!(run["created"], created, "{file}: {run}");
        assert_eq!(run["rows"], created, "{file}: footer lines are not rows");
        assert!(run["id"].as_str().unwrap().starts_with("imp_"));
        let found = accounts(&app, &w, name).await;
        assert_eq!(found.len(), 1, "{file}: {name}");
    }
    // Values as CRM files spell them, stored as ours.
    let nw = &accounts(&app, &w, "Northwind").await[0];
    assert_eq!(nw["web_domain"], "northwind-traders.example");
    assert_eq!(nw["country"], "US");
    assert_eq!(nw["status"], "customer");
    let fab = &accounts(&app, &w, "Fabrikam").await[0];
    assert_eq!(
        (fab["country"].as_str(), fab["status"].as_str()),
        (Some("GB"), Some("customer"))
    );
    let tailspin = &accounts(&app, &w, "Tailspin").await[0];
    assert!(tailspin["web_domain"].is_null());
    let trey = &accounts(&app, &w, "Trey Research").await[0];
    assert_eq!(
        (trey["country"].as_str(), trey["status"].as_str()),
        (Some("BR"), Some("prospect"))
    );

    let fx = import_sample(&app, &w.admin, "fx_rates", "fx_rates.csv").await;
    assert_eq!(fx["created"], 3, "{fx}");
    let rates = app.http.get("/api/v1/fx-rates", &w.admin).await.json();
    assert!(
        rates
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["from"] == "GBP" && r["rate"] == "1.271"),
        "{rates}"
    );
    assert_eq!(runs(&app, &w).await.len(), 5);
}
on_both!(each_sample_format_is_imported);

async fn a_bad_file_is_refused_whole_naming_rows_and_columns(app: TestApp) {
    let w = app.world().await;
    let before = account_count(&app, &w).await;
    let mapping = "external_id=Account ID,name=Account Name,web_domain=Website,country=Billing Country,industry=Industry,status=Type";
    let r = post_csv(
        &app,
        &w.admin,
        &format!(
            "kind=accounts&source=salesforce-report&mapping={}&file_name=bad.csv",
            enc(mapping)
        ),
        &sample("salesforce_report_accounts_errors.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let rules = r.problem_rules();
    for expected in [
        "row 3: Account Name:required",
        "row 3: Website:web_domain",
        "row 3: Billing Country:iso_3166_alpha2",
        "row 4: Website:unique",
        "row 5: Account ID:unique",
    ] {
        assert!(
            rules.contains(&expected.to_owned()),
            "{expected} in {rules:?}"
        );
    }
    assert_eq!(rules.len(), 5, "{rules:?}");
    // Nothing of the file was written, not even its good first row.
    assert_eq!(account_count(&app, &w).await, before);
    assert!(accounts(&app, &w, "Good Company").await.is_empty());
    // The refusal is on record with its errors.
    let list = runs(&app, &w).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "refused");
    assert_eq!(list[0]["error_count"], 5);
    assert_eq!(list[0]["errors"][0]["row"], 3);
    let id = list[0]["id"].as_str().unwrap();
    let one = app
        .http
        .get(&format!("/api/v1/imports/{id}"), &w.admin)
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["file_name"], "bad.csv");
    // A real import without a confirmed mapping is refused, naming the suggestion.
    let r = post_csv(
        &app,
        &w.admin,
        "kind=accounts",
        &sample("hubspot_companies.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), ["mapping:mapping.unconfirmed"]);
    assert!(r.text().contains("Company Domain Name"), "{}", r.text());
    // A mapping naming a column the file lacks.
    let r = post_csv(
        &app,
        &w.admin,
        &format!(
            "kind=accounts&source=hubspot&mapping={}",
            enc("external_id=Record ID,name=Company,country=Country/Region")
        ),
        &sample("hubspot_companies.csv"),
    )
    .await;
    assert_eq!(r.problem_rules(), ["Company:mapping.column"]);
    // Bad parameters are named.
    let r = post_csv(&app, &w.admin, "kind=leads&source=zoho", b"a\n1\n").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), ["kind:one_of", "source:one_of"]);
    assert_eq!(account_count(&app, &w).await, before);
}
on_both!(a_bad_file_is_refused_whole_naming_rows_and_columns);

async fn a_dry_run_writes_nothing(app: TestApp) {
    let w = app.world().await;
    let before = account_count(&app, &w).await;
    let r = post_csv(
        &app,
        &w.admin,
        "kind=accounts&dry_run=true",
        &sample("salesforce_report_accounts.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let run = r.json();
    assert_eq!(
        (run["dry_run"].as_bool(), run["created"].as_i64()),
        (Some(true), Some(5))
    );
    assert!(run["id"].is_null());
    assert_eq!(
        run["header"][0], "Account Name",
        "the BOM is not part of the header"
    );
    assert_eq!(run["mapping"]["country"], "Billing Country");
    assert_eq!(account_count(&app, &w).await, before);
    assert!(runs(&app, &w).await.is_empty(), "a dry run is not recorded");
    // A dry run of a bad file lists every error and writes nothing either.
    let r = post_csv(
        &app,
        &w.admin,
        "kind=accounts&dry_run=true",
        &sample("salesforce_report_accounts_errors.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules().len(), 5);
    assert!(runs(&app, &w).await.is_empty());
}
on_both!(a_dry_run_writes_nothing);

async fn importing_again_changes_nothing(app: TestApp) {
    let w = app.world().await;
    let first = import_sample(&app, &w.admin, "accounts", "salesforce_report_accounts.csv").await;
    assert_eq!(first["created"], 5);
    let count = account_count(&app, &w).await;
    let contoso = accounts(&app, &w, "Contoso").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let audits = audit_len(&app, &w, &contoso).await;

    let again = import_sample(&app, &w.admin, "accounts", "salesforce_report_accounts.csv").await;
    assert_eq!(
        (
            again["created"].as_i64(),
            again["updated"].as_i64(),
            again["unchanged"].as_i64()
        ),
        (Some(0), Some(0), Some(5)),
        "{again}"
    );
    assert_eq!(account_count(&app, &w).await, count, "no new rows");
    assert_eq!(
        audit_len(&app, &w, &contoso).await,
        audits,
        "no audit for unchanged records"
    );

    // One changed row: one update, audited with before and after.
    let changed = String::from_utf8(sample("salesforce_report_accounts.csv"))
        .unwrap()
        .replace(
            "\"Healthcare\",\"Prospect\"",
            "\"Biotechnology\",\"Customer - Direct\"",
        );
    let mapping = super::mapping_text(&first["mapping"]);
    let q = format!(
        "kind=accounts&source=salesforce-report&mapping={}",
        enc(&mapping)
    );
    let r = post_csv(&app, &w.admin, &q, changed.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["updated"].as_i64(), r.json()["unchanged"].as_i64()),
        (Some(1), Some(4))
    );
    let c = &accounts(&app, &w, "Contoso").await[0];
    assert_eq!(
        (c["industry"].as_str(), c["status"].as_str()),
        (Some("Biotechnology"), Some("customer"))
    );
    assert_eq!(audit_len(&app, &w, &contoso).await, audits + 1);
    let r = post_csv(&app, &w.admin, &q, changed.as_bytes()).await;
    assert_eq!(r.json()["unchanged"], 5);
    assert_eq!(audit_len(&app, &w, &contoso).await, audits + 1);
    assert_eq!(account_count(&app, &w).await, count);

    // The confirmed mapping is remembered for the source and suggested next time, also
    // when it is not the one the names would suggest.
    let custom = "external_id=Account ID,name=Account Name,country=Billing Country,industry=Type";
    let r = post_csv(
        &app,
        &w.admin,
        &format!(
            "kind=accounts&source=salesforce-report&mapping={}",
            enc(custom)
        ),
        &sample("salesforce_report_accounts.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let saved = app
        .http
        .get("/api/v1/import-mappings", &w.admin)
        .await
        .json();
    let sf = saved
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["source"] == "salesforce-report" && m["kind"] == "accounts")
        .unwrap();
    assert_eq!(sf["mapping"]["industry"], "Type", "{saved}");
    let dry = post_csv(
        &app,
        &w.admin,
        "kind=accounts&source=salesforce-report&dry_run=true",
        &sample("salesforce_report_accounts.csv"),
    )
    .await;
    assert_eq!(dry.json()["mapping"]["industry"], "Type");
}
on_both!(importing_again_changes_nothing);

async fn a_known_domain_links_to_its_account(app: TestApp) {
    let w = app.world().await;
    let r = app
        .http
        .post(
            "/api/v1/accounts",
            &w.admin,
            &serde_json::json!({"name": "Litware", "web_domain": "https://litware.example", "country": "US"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let run = import_sample(&app, &w.admin, "accounts", "hubspot_companies.csv").await;
    assert_eq!(
        (run["created"].as_i64(), run["updated"].as_i64()),
        (Some(2), Some(1)),
        "{run}"
    );
    let found = accounts(&app, &w, "litware.example").await;
    assert_eq!(found.len(), 1, "the same company, not a second account");
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["name"], "Litware Inc.");
}
on_both!(a_known_domain_links_to_its_account);

async fn partners_are_refused_by_role(app: TestApp) {
    let w = app.world().await;
    for token in [&w.a.admin_token, &w.a.rep_token] {
        let r = post_csv(
            &app,
            token,
            "kind=accounts&dry_run=true",
            &sample("partnerops_accounts.csv"),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert_eq!(r.json()["rule"], "role.import");
        for path in ["/api/v1/imports", "/api/v1/import-mappings"] {
            let r = app.http.get(path, token).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
            assert_eq!(r.json()["rule"], "role.import");
        }
    }
    // Finance may import currency rates, not accounts.
    let r = post_csv(
        &app,
        &w.finance,
        "kind=accounts&dry_run=true",
        &sample("partnerops_accounts.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["rule"], "role.write_account");
    let r = post_csv(
        &app,
        &w.finance,
        "kind=fx_rates&dry_run=true",
        &sample("fx_rates.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}
on_both!(partners_are_refused_by_role);

/// A file past the size from which PostgreSQL writes by `COPY` (100 rows): every character
/// a name may hold comes back as it went in (backslashes, `COPY`'s own `\N`, quotes,
/// non-ASCII letters), an empty field comes back empty, and the rows are all there. (Names
/// refuse control characters, so tabs and line breaks are left to the dialect's unit test.)
async fn a_large_file_keeps_every_character(app: TestApp) {
    let w = app.world().await;
    let tricky = [
        "Back\\slash \\N Holdings",
        "\\N",
        "Trailing Backslash\\",
        "Comma, Semicolon; and Pipe | Ltd",
        "\"Quoted\" Zürich Sàrl",
        "Ünïcödé 株式会社",
    ];
    let mut csv = String::from("Id,Name,Website,BillingCountry,Industry,Type\n");
    for i in 0..150 {
        let name = tricky
            .get(i)
            .map_or_else(|| format!("Bulk Company {i:03}"), |t| (*t).to_owned());
        let industry = if i % 2 == 0 { "Software" } else { "" };
        csv.push_str(&format!(
            "0015g{i:010}AAA,\"{}\",https://bulk{i}.example/,CH,{industry},Prospect\n",
            name.replace('"', "\"\"")
        ));
    }
    let dry = post_csv(
        &app,
        &w.admin,
        "kind=accounts&source=salesforce-dataloader&dry_run=true",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text());
    let mapping = super::mapping_text(&dry.json()["mapping"]);
    let confirmed = format!(
        "kind=accounts&source=salesforce-dataloader&mapping={}",
        enc(&mapping)
    );
    let before = account_count(&app, &w).await;
    let r = post_csv(&app, &w.admin, &confirmed, csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 150, "{}", r.text());
    assert_eq!(account_count(&app, &w).await, (before + 150).min(200));

    for (i, name) in tricky.iter().enumerate() {
        let found = accounts(&app, &w, &format!("bulk{i}.example")).await;
        assert_eq!(found.len(), 1, "bulk{i}.example: {found:?}");
        let a = &found[0];
        assert_eq!(a["name"], name.trim(), "row {i}");
        assert_eq!(a["web_domain"], format!("bulk{i}.example"));
        assert_eq!(a["country"], "CH");
        if i % 2 == 0 {
            assert_eq!(a["industry"], "Software");
        } else {
            assert!(
                a["industry"].is_null(),
                "an empty field is no industry: {a}"
            );
        }
        assert_eq!(a["status"], "prospect");
    }
    let bulk = accounts(&app, &w, "Bulk Company").await;
    assert_eq!(bulk.len(), 150 - tricky.len());

    // The same file again changes nothing: the keys went in with the accounts.
    let again = post_csv(&app, &w.admin, &confirmed, csv.as_bytes()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(
        (
            again.json()["created"].as_i64(),
            again.json()["unchanged"].as_i64()
        ),
        (Some(0), Some(150))
    );
}
on_both!(a_large_file_keeps_every_character);

/// A first import (a source with no keys yet, no live account with a web domain) skips the
/// lookups that cannot find anything, and still finds, past the first batch of 5,000 rows, a
/// record id or a web domain an earlier batch wrote. An archived account's domain is free.
async fn a_first_import_finds_repeats_across_batches(app: TestApp) {
    let w = app.world().await;
    let archived = app
        .http
        .post(
            &format!(
                "/api/v1/accounts/{}/archive",
                partnerops_core::ids::EntityId::as_str(&w.account.id)
            ),
            &w.admin,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.text());
    let row = |i: usize, id: usize, domain: &str| {
        format!("0015g{id:010}AAA,First Company {i},https://{domain}/,NL,,Prospect\n")
    };
    let file = |bad: bool| {
        let mut csv = String::from("Id,Name,Website,BillingCountry,Industry,Type\n");
        for i in 0..5_010 {
            csv.push_str(&match i {
                5_005 if bad => row(i, 3, "repeat.example"),
                5_006 if bad => row(i, 5_006, "first7.example"),
                5_007 => row(i, i, "globex.example"),
                _ => row(i, i, &format!("first{i}.example")),
            });
        }
        csv
    };
    let mapping = "external_id=Id,name=Name,web_domain=Website,country=BillingCountry,industry=Industry,status=Type";
    let query = format!(
        "kind=accounts&source=salesforce-dataloader&mapping={}",
        enc(mapping)
    );
    let before = account_count(&app, &w).await;
    let refused = post_csv(&app, &w.admin, &query, file(true).as_bytes()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.problem_rules(),
        ["row 5007: Id:unique", "row 5008: Website:unique"],
        "{}",
        refused.text()
    );
    assert!(
        refused.text().contains("0015g0000000003AAA"),
        "{}",
        refused.text()
    );
    assert_eq!(account_count(&app, &w).await, before);

    let done = post_csv(&app, &w.admin, &query, file(false).as_bytes()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(done.json()["created"], 5_010, "{}", done.text());
    let globex = accounts(&app, &w, "globex.example").await;
    assert_eq!(globex.len(), 1, "{globex:?}");
    assert_eq!(globex[0]["name"], "First Company 5007");
    // The second run of the source looks every key up: all there, nothing changed.
    let again = post_csv(&app, &w.admin, &query, file(false).as_bytes()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(
        (
            again.json()["created"].as_i64(),
            again.json()["unchanged"].as_i64()
        ),
        (Some(0), Some(5_010))
    );
}
on_both!(a_first_import_finds_repeats_across_batches);
