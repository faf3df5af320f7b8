//! Account mapping through the API, on both databases.

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use super::{PARTNERSHIPS, active, post_csv, sample, upload_sample, vendor_accounts};
use crate::harness::TestApp;
use crate::on_both;

on_both!(
    dual_opt_in_upload_matrix_drill_down_and_delete,
    opt_in_rules_and_roles,
    added_rows_are_matched_alone_and_an_introduction_becomes_a_touchpoint,
);

fn cell_of(matrix: &Value, vendor: &str, partner: &str) -> Value {
    matrix["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["vendor"] == vendor && c["partner"] == partner)
        .unwrap()
        .clone()
}

async fn opt_in_rules_and_roles(app: TestApp) {
    let w = app.world().await;
    // Vendor staff name the partner; the partner's admin proposes for itself only.
    let r = app
        .http
        .post(
            PARTNERSHIPS,
            &w.a.admin_token,
            &json!({"partner_id": w.b.partner.id.to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["partner_id:own_partner"]);
    // A channel manager is not a vendor administrator; a rep is not the partner's admin.
    let r = app
        .http
        .post(
            PARTNERSHIPS,
            &w.channel,
            &json!({"partner_id": w.a.partner.id.to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app
        .http
        .post(PARTNERSHIPS, &w.a.rep_token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // The vendor proposes: proposed until the partner accepts.
    let r = app
        .http
        .post(
            PARTNERSHIPS,
            &w.admin,
            &json!({"partner_id": w.a.partner.id.to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let m = r.json();
    assert_eq!(m["status"], "proposed");
    assert!(m["vendor_accepted_at"].is_string() && m["partner_accepted_at"].is_null());
    let id = m["id"].as_str().unwrap().to_owned();
    // One live partnership per partner.
    let r = app
        .http
        .post(PARTNERSHIPS, &w.a.admin_token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.problem_rules(), vec!["partner_id:mapping.exists"]);
    // Nothing is uploaded before both sides accepted.
    let r = post_csv(
        &app,
        &w.a.admin_token,
        &id,
        "dry_run=true",
        &sample("hubspot_companies.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    // Accepting twice on the vendor's side changes nothing; the partner's admin makes it active.
    let r = app
        .http
        .post(&format!("{PARTNERSHIPS}/{id}/accept"), &w.admin, &json!({}))
        .await;
    assert_eq!(r.json()["status"], "proposed");
    let r = app
        .http
        .post(
            &format!("{PARTNERSHIPS}/{id}/accept"),
            &w.a.rep_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .http
        .post(
            &format!("{PARTNERSHIPS}/{id}/accept"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "active");
    // Thresholds are the vendor's, checked.
    let put = |token: String, body: Value| {
        let app = &app;
        let id = id.clone();
        async move {
            app.http
                .api(
                    Method::PUT,
                    &format!("{PARTNERSHIPS}/{id}/settings"),
                    Some(&token),
                    Some(&body),
                )
                .await
        }
    };
    let r = put(w.a.admin_token.clone(), json!({"threshold": 80})).await;
    assert_eq!(r.problem_rules(), vec!["threshold:vendor_only"]);
    let r = put(w.admin.clone(), json!({"threshold": 70, "floor": 90})).await;
    assert_eq!(r.problem_rules(), vec!["floor:not_above_threshold"]);
    let r = put(w.admin.clone(), json!({"sharing": {"customers": ["name"]}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = put(w.admin.clone(), json!({"threshold": 95, "floor": 85})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["threshold"].clone(), r.json()["floor"].clone()),
        (json!(95), json!(85))
    );
    // The partner ends it; it cannot be accepted again.
    let r = app
        .http
        .post(
            &format!("{PARTNERSHIPS}/{id}/end"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "ended");
    let r = app
        .http
        .post(&format!("{PARTNERSHIPS}/{id}/accept"), &w.admin, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A new one may be proposed after the end.
    let r = app
        .http
        .post(PARTNERSHIPS, &w.a.admin_token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

async fn dual_opt_in_upload_matrix_drill_down_and_delete(app: TestApp) {
    let w = app.world().await;
    vendor_accounts(&app, &w).await;
    let id = active(&app, &w, &w.a).await;
    let path = |what: &str| format!("{PARTNERSHIPS}/{id}/{what}");

    // A dry run suggests the mapping of a Salesforce report; an upload needs it confirmed.
    let csv = sample("salesforce_accounts.csv");
    let dry = post_csv(&app, &w.a.admin_token, &id, "dry_run=true", &csv).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text());
    let d = dry.json();
    assert_eq!(d["source"], "salesforce-report");
    assert_eq!(d["rows"], 6, "the footer lines are not rows: {d}");
    assert_eq!(d["mapping"]["name"], "Account Name");
    assert_eq!(d["mapping"]["population"], "Type");
    let r = post_csv(&app, &w.a.admin_token, &id, "", &csv).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["mapping:mapping.unconfirmed"]);

    let r = upload_sample(&app, &w.a.admin_token, &id, "salesforce_accounts.csv").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let u = r.json();
    // Globex by domain, Initech by name in Germany, Hooli by domain; Umbrela to confirm;
    // "Acme Store 2" is not "Acme Store 1"; Wayne is the partner's alone.
    assert_eq!(
        (
            u["rows"].clone(),
            u["matched"].clone(),
            u["to_confirm"].clone()
        ),
        (json!(6), json!(3), json!(1)),
        "{u}"
    );

    // The matrix, the same for both sides; counts only until both share.
    let m = app.http.get(&path("matrix"), &w.a.rep_token).await.json();
    assert_eq!(m["total"], 3, "{m}");
    let globex = cell_of(&m, "open_opportunity", "customer");
    assert_eq!(
        (
            globex["count"].clone(),
            globex["co_sell"].clone(),
            globex["drill_down"].clone()
        ),
        (json!(1), json!(true), json!(false))
    );
    assert_eq!(cell_of(&m, "customer", "customer")["count"], 1);
    assert_eq!(cell_of(&m, "prospect", "open_opportunity")["count"], 1);
    assert_eq!(app.http.get(&path("matrix"), &w.admin).await.json(), m);
    let r = app
        .http
        .get(&path("cells/open_opportunity/customer"), &w.a.admin_token)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["rule"], "mapping.not_shared");
    let r = app
        .http
        .get(&path("cells/customers/customer"), &w.admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Each side shares some populations with chosen fields.
    let r = app.http.api(Method::PUT, &path("settings"), Some(&w.admin), Some(&json!({"sharing": {"customer": ["name"], "open_opportunity": ["name", "country"]}}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .http
        .api(
            Method::PUT,
            &path("settings"),
            Some(&w.a.admin_token),
            Some(&json!({"sharing": {"customer": ["name", "web_domain"]}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = app.http.get(&path("matrix"), &w.a.rep_token).await.json();
    assert_eq!(
        cell_of(&m, "open_opportunity", "customer")["drill_down"],
        true
    );
    assert_eq!(
        cell_of(&m, "prospect", "open_opportunity")["drill_down"],
        false
    );

    // The partner sees the vendor's side with only what the vendor shares.
    let rows = app
        .http
        .get(&path("cells/open_opportunity/customer"), &w.a.rep_token)
        .await;
    assert_eq!(rows.status, StatusCode::OK, "{}", rows.text());
    let rows = rows.json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(
        rows[0]["vendor"],
        json!({"name": "Globex", "web_domain": null, "country": "US"})
    );
    assert!(
        rows[0]["account_id"].is_null(),
        "never the vendor's id: {rows}"
    );
    assert_eq!(rows[0]["partner_external_id"], "001A");
    assert_eq!(rows[0]["method"], "domain");
    // The vendor sees the partner's side with only what the partner shares.
    let rows = app
        .http
        .get(&path("cells/open_opportunity/customer"), &w.admin)
        .await
        .json();
    assert_eq!(
        rows[0]["partner"],
        json!({"name": "Globex Inc.", "web_domain": "globex.example", "country": null})
    );
    assert_eq!(rows[0]["account_id"], w.account.id.to_string());
    assert!(rows[0]["partner_external_id"].is_null());
    let rows = app
        .http
        .get(&path("cells/customer/customer"), &w.a.admin_token)
        .await
        .json();
    assert_eq!(rows[0]["vendor"]["name"], "Initech Systems");
    assert!(
        rows[0]["reason"]
            .as_str()
            .unwrap()
            .contains("similar company name in DE"),
        "{rows}"
    );
    assert_eq!(
        app.http
            .get(&path("cells/prospect/open_opportunity"), &w.a.admin_token)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Co-sell: the partner's customer where the vendor has an open opportunity.
    let s = app.http.get(&path("suggestions"), &w.a.rep_token).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text());
    let s = s.json();
    assert_eq!(s.as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s[0]["row"]["vendor"]["name"], "Globex");

    // Matches to confirm are the vendor's to decide; remembered across uploads.
    let r = app
        .http
        .get(&path("matches?state=to_confirm"), &w.a.admin_token)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let todo = app
        .http
        .get(&path("matches?state=to_confirm"), &w.admin)
        .await
        .json();
    assert_eq!(todo.as_array().unwrap().len(), 1, "{todo}");
    assert_eq!(todo[0]["vendor"]["name"], "Umbrella Corporation");
    assert_eq!(
        todo[0]["partner"]["name"], "Umbrela Corp",
        "the partner shares its customers' names"
    );
    let mid = todo[0]["id"].as_str().unwrap();
    let r = app
        .http
        .post(
            &path(&format!("matches/{mid}/decision")),
            &w.channel,
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "vendor administrators decide"
    );
    let r = app
        .http
        .post(
            &path(&format!("matches/{mid}/decision")),
            &w.admin,
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "confirmed");
    assert_eq!(
        app.http.get(&path("matrix"), &w.admin).await.json()["total"],
        4
    );
    let again = upload_sample(&app, &w.a.admin_token, &id, "salesforce_accounts.csv")
        .await
        .json();
    assert_eq!(
        (again["matched"].clone(), again["to_confirm"].clone()),
        (json!(4), json!(0)),
        "{again}"
    );

    // Nothing of a row without a match ever reaches the other side.
    let mut partner_saw = String::new();
    let mut vendor_saw = String::new();
    for what in [
        "",
        "matrix",
        "cells/customer/customer",
        "cells/open_opportunity/customer",
        "suggestions",
        "audit",
    ] {
        let p = if what.is_empty() {
            format!("{PARTNERSHIPS}/{id}")
        } else {
            path(what)
        };
        partner_saw.push_str(&app.http.get(&p, &w.a.admin_token).await.text());
        vendor_saw.push_str(&app.http.get(&p, &w.admin).await.text());
    }
    vendor_saw.push_str(&app.http.get(&path("matches"), &w.admin).await.text());
    for vendor_only in [
        "Vandelay",
        "vandelay.example",
        "Acme Store 1",
        "initech.example",
    ] {
        assert!(
            !partner_saw.contains(vendor_only),
            "the partner saw {vendor_only}"
        );
    }
    for partner_only in ["Wayne", "wayne.example", "Acme Store 2", "001E"] {
        assert!(
            !vendor_saw.contains(partner_only),
            "the vendor saw {partner_only}"
        );
    }

    // A broken row refuses the whole file, naming row and column; nothing changes.
    let csv = sample("salesforce_broken.csv");
    let dry = post_csv(&app, &w.a.admin_token, &id, "dry_run=true", &csv).await;
    assert_eq!(
        dry.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        dry.text()
    );
    let r = post_csv(&app, &w.a.admin_token, &id, &format!("mapping={}", crate::http::enc("name=Account Name,web_domain=Website,country=Billing Country,population=Type,external_id=Account ID")), &csv).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let fields: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, vec!["row 3: Billing Country"], "{}", r.text());
    assert_eq!(
        app.http.get(&path("matrix"), &w.admin).await.json()["total"],
        4
    );

    // A HubSpot export replaces the upload.
    let r = upload_sample(&app, &w.a.admin_token, &id, "hubspot_companies.csv").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["source"], "hubspot");
    assert_eq!(
        (r.json()["rows"].clone(), r.json()["matched"].clone()),
        (json!(3), json!(2))
    );
    let m = app.http.get(&path("matrix"), &w.admin).await.json();
    assert_eq!(cell_of(&m, "open_opportunity", "customer")["count"], 1);
    assert_eq!(cell_of(&m, "customer", "open_opportunity")["count"], 1);

    // The partner deletes its data: nothing of it is left.
    let r = app
        .http
        .api(
            Method::DELETE,
            &path("upload"),
            Some(&w.a.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["uploaded_rows"], 0);
    assert_eq!(
        app.http.get(&path("matrix"), &w.admin).await.json()["total"],
        0
    );
    // Ending deletes it too, and no upload is taken after.
    upload_sample(&app, &w.a.admin_token, &id, "hubspot_companies.csv").await;
    let r = app.http.post(&path("end"), &w.admin, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["uploaded_rows"], 0);
    assert_eq!(
        app.http.get(&path("matrix"), &w.a.admin_token).await.json()["total"],
        0
    );
    let r = post_csv(
        &app,
        &w.a.admin_token,
        &id,
        "dry_run=true",
        &sample("hubspot_companies.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

async fn added_rows_are_matched_alone_and_an_introduction_becomes_a_touchpoint(app: TestApp) {
    let w = app.world().await;
    vendor_accounts(&app, &w).await;
    let id = active(&app, &w, &w.a).await;
    let path = |what: &str| format!("{PARTNERSHIPS}/{id}/{what}");
    let r = upload_sample(&app, &w.a.admin_token, &id, "salesforce_accounts.csv").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["append"], false);
    assert_eq!(
        app.http.get(&path("matrix"), &w.admin).await.json()["total"],
        3
    );

    // Adding the HubSpot rows keeps the report's rows and matches the new ones only:
    // Globex by domain, Initech Systems by name in Germany; Stark is the partner's alone.
    let hubspot = sample("hubspot_companies.csv");
    let map = crate::http::enc(
        "external_id=Record ID,name=Company name,web_domain=Company Domain Name,country=Country/Region,population=Lifecycle Stage",
    );
    let r = post_csv(
        &app,
        &w.a.admin_token,
        &id,
        &format!("append=true&mapping={map}"),
        &hubspot,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let u = r.json();
    assert_eq!(
        (u["append"].clone(), u["rows"].clone(), u["matched"].clone()),
        (json!(true), json!(3), json!(2)),
        "{u}"
    );
    let one = format!("{PARTNERSHIPS}/{id}");
    let m = app.http.get(&one, &w.a.admin_token).await.json();
    assert_eq!(m["uploaded_rows"], 9, "{m}");
    assert_eq!(
        app.http.get(&path("matrix"), &w.admin).await.json()["total"],
        5
    );
    // Adding them again: their record ids are uploaded, so the file is refused whole.
    let r = post_csv(
        &app,
        &w.a.admin_token,
        &id,
        &format!("append=true&mapping={map}"),
        &hubspot,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let fields: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["field"].as_str().unwrap(),
                e["rule"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            "row 2: Record ID mapping.duplicate",
            "row 3: Record ID mapping.duplicate",
            "row 4: Record ID mapping.duplicate"
        ]
    );
    assert_eq!(
        app.http.get(&one, &w.a.admin_token).await.json()["uploaded_rows"],
        9
    );
    // A type the file lacks comes from `population`.
    let r = post_csv(
        &app,
        &w.a.admin_token,
        &id,
        "append=true&population=friends&dry_run=true",
        &hubspot,
    )
    .await;
    assert_eq!(r.problem_rules(), vec!["population:one_of"], "{}", r.text());

    // Co-sell: both sides share the cell of the vendor's open opportunity on Globex, a
    // customer of the partner (twice: one row of each file).
    for (token, sharing) in [
        (&w.admin, json!({"open_opportunity": ["name"]})),
        (&w.a.admin_token, json!({"customer": ["name"]})),
    ] {
        let r = app
            .http
            .api(
                Method::PUT,
                &path("settings"),
                Some(token),
                Some(&json!({ "sharing": sharing })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let s = app.http.get(&path("suggestions"), &w.admin).await.json();
    assert_eq!(s.as_array().unwrap().len(), 2, "{s}");
    assert_eq!(s[0]["asker"], "vendor");
    assert!(s[0]["open_intro"].is_null());
    let match_id = s[0]["match_id"].as_str().unwrap().to_owned();
    // The side with the customer does not ask; a rep is not the partner's admin.
    let r = app
        .http
        .post(
            &path("intros"),
            &w.a.admin_token,
            &json!({"match_id": match_id}),
        )
        .await;
    assert_eq!(r.problem_rules(), vec!["match_id:mapping.intro_side"]);
    let r = app
        .http
        .post(
            &path("intros"),
            &w.admin,
            &json!({"match_id": "amt_00000000000000000000000000000000"}),
        )
        .await;
    assert_eq!(r.problem_rules(), vec!["match_id:mapping.not_co_sell"]);
    // One click: the vendor asks; once only while it waits.
    let r = app
        .http
        .post(&path("intros"), &w.admin, &json!({"match_id": match_id}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let intro = r.json();
    assert_eq!(
        (intro["status"].clone(), intro["asked_by"].clone()),
        (json!("requested"), json!("vendor"))
    );
    let opportunity = intro["opportunity_id"].as_str().unwrap().to_owned();
    let intro_id = intro["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(&path("intros"), &w.admin, &json!({"match_id": match_id}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let s = app
        .http
        .get(&path("suggestions"), &w.a.admin_token)
        .await
        .json();
    assert_eq!(s[0]["open_intro"], intro_id.as_str(), "{s}");
    // The partner sees the request without the vendor's deal; the vendor cannot answer it.
    let mine = app.http.get(&path("intros"), &w.a.rep_token).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert!(mine[0]["opportunity_id"].is_null(), "{mine}");
    assert_eq!(mine[0]["vendor"]["name"], "Globex");
    let answer = format!("intros/{intro_id}/answer");
    let r = app
        .http
        .post(&path(&answer), &w.admin, &json!({"made": true}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // The partner's admin made the introduction: its touchpoint on the vendor's deal.
    let r = app
        .http
        .post(&path(&answer), &w.a.admin_token, &json!({"made": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let made = r.json();
    assert_eq!(made["status"], "made");
    assert_eq!(made["opportunity_id"], opportunity.as_str());
    assert!(made["touchpoint_id"].is_string(), "{made}");
    let r = app
        .http
        .post(&path(&answer), &w.a.admin_token, &json!({"made": false}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "answered once: {}",
        r.text()
    );
    let t = app
        .http
        .get(
            &format!("/api/v1/opportunities/{opportunity}/touchpoints"),
            &w.a.admin_token,
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    let t = t.json();
    let kinds: Vec<&str> = t
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["introduction"], "{t}");

    // Another partner knows nothing of it.
    let r = app.http.get(&path("intros"), &w.b.admin_token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The partner deletes its data: the requests go with it; the touchpoint stays.
    let r = app
        .http
        .api(
            Method::DELETE,
            &path("upload"),
            Some(&w.a.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let left = app.http.get(&path("intros"), &w.admin).await.json();
    assert_eq!(left, json!([]));
    let t = app
        .http
        .get(
            &format!("/api/v1/opportunities/{opportunity}/touchpoints"),
            &w.admin,
        )
        .await
        .json();
    assert_eq!(t.as_array().unwrap().len(), 1, "{t}");
}
