//! Importing partners, contacts, opportunities, registrations and touchpoints on both
//! databases: each source shape, references by the source's record ids of earlier imports,
//! a broken row refusing the whole file with row and column, re-imports changing nothing,
//! dry runs writing nothing, and who may import which kind (partners: nothing).

use hyper::StatusCode;
use serde_json::{Value, json};

use super::{import_sample, mapping_text, post_csv, sample};
use crate::harness::{TestApp, World};
use crate::http::enc;
use crate::on_both;

/// Every item of `path` (a list answer) the admin sees.
async fn list(app: &TestApp, w: &World, path: &str) -> Vec<Value> {
    // Lists take a page size; an opportunity's history and touchpoints are one array.
    let whole = path.ends_with("/history") || path.ends_with("/touchpoints");
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = if whole {
        path.to_owned()
    } else {
        format!("{path}{sep}limit=200")
    };
    let r = app.http.get(&url, &w.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    let v = r.json();
    v.get("items")
        .cloned()
        .unwrap_or(v)
        .as_array()
        .unwrap()
        .clone()
}

fn named<'a>(items: &'a [Value], field: &str, value: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i[field] == value)
        .unwrap_or_else(|| panic!("no {field} = {value} in {items:?}"))
}

fn counts(run: &Value) -> (i64, i64, i64) {
    (
        run["created"].as_i64().unwrap(),
        run["updated"].as_i64().unwrap(),
        run["unchanged"].as_i64().unwrap(),
    )
}

/// Imports `file` as `kind` under the mapping suggested for it, expecting a refusal;
/// answers its `row N: Column:rule` list.
async fn refused(app: &TestApp, w: &World, kind: &str, file: &str) -> Vec<String> {
    let csv = sample(file);
    let dry = post_csv(app, &w.admin, &format!("kind={kind}&dry_run=true"), &csv).await;
    assert_eq!(
        dry.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a dry run finds them too: {}",
        dry.text()
    );
    let dry_rules = dry.problem_rules();
    // The suggested mapping, as a user would confirm it.
    let header_run = post_csv(
        app,
        &w.admin,
        &format!("kind={kind}&dry_run=true"),
        csv.split(|b| *b == b'\n').next().unwrap(),
    )
    .await;
    let mapping = mapping_text(&header_run.json()["mapping"]);
    let r = post_csv(
        app,
        &w.admin,
        &format!("kind={kind}&mapping={}&file_name={file}", enc(&mapping)),
        &csv,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let rules = r.problem_rules();
    assert_eq!(rules, dry_rules, "the dry run lists the same errors");
    rules
}

fn assert_rules(rules: &[String], expected: &[&str]) {
    for e in expected {
        assert!(rules.contains(&(*e).to_owned()), "{e} in {rules:?}");
    }
    assert_eq!(rules.len(), expected.len(), "{rules:?}");
}

/// The Salesforce side of the vendor's CRM: accounts and partners, from report exports.
async fn salesforce_basics(app: &TestApp, w: &World) {
    let accounts = import_sample(app, &w.admin, "accounts", "salesforce_report_accounts.csv").await;
    assert_eq!(accounts["created"], 5, "{accounts}");
    let partners = import_sample(app, &w.admin, "partners", "salesforce_report_partners.csv").await;
    assert_eq!(counts(&partners), (3, 0, 0), "{partners}");
}

async fn partners_from_each_source(app: TestApp) {
    let w = app.world().await;
    let run = import_sample(&app, &w.admin, "partners", "salesforce_report_partners.csv").await;
    assert_eq!(run["source"], "salesforce-report");
    assert_eq!((run["rows"].as_i64(), counts(&run)), (Some(3), (3, 0, 0)));
    let partners = list(&app, &w, "/api/v1/partners").await;
    let contoso = named(&partners, "name", "Contoso Channel");
    assert_eq!(contoso["web_domain"], "contoso-channel.example");
    assert_eq!(contoso["country"], "DE");
    assert_eq!(contoso["partner_type"], "reseller", "Value Added Reseller");
    assert_eq!(contoso["tier_name"], "Select");
    assert_eq!(contoso["status"], "active");
    assert_eq!(contoso["program_id"], w.program.id.to_string());
    let fourth = named(&partners, "name", "Fourth Coffee Partners");
    assert_eq!(
        (fourth["partner_type"].as_str(), fourth["status"].as_str()),
        (Some("system_integrator"), Some("onboarding"))
    );
    let northwind = named(&partners, "name", "Northwind Consulting");
    assert_eq!(northwind["program_id"], w.other_program.id.to_string());
    assert_eq!(northwind["tier_name"], "Registered", "the entry tier");

    let hs = import_sample(&app, &w.admin, "partners", "hubspot_partners.csv").await;
    assert_eq!(
        (hs["source"].as_str(), counts(&hs)),
        (Some("hubspot"), (2, 0, 0))
    );
    let dl = import_sample(
        &app,
        &w.admin,
        "partners",
        "salesforce_dataloader_partners.csv",
    )
    .await;
    assert_eq!(
        (dl["source"].as_str(), counts(&dl)),
        (Some("salesforce-dataloader"), (2, 0, 0))
    );
    let partners = list(&app, &w, "/api/v1/partners").await;
    assert_eq!(
        named(&partners, "name", "Lucerne Publishing")["tier_name"],
        "Premier"
    );
    assert_eq!(
        named(&partners, "name", "A. Datum Integration")["partner_type"],
        "technology"
    );
    assert_eq!(partners.len(), 2 + 7);

    // Again: nothing changes, not even the audit trail.
    let audit = |id: String| {
        let app = &app;
        let w = &w;
        async move {
            list(app, w, &format!("/api/v1/partners/{id}/audit"))
                .await
                .len()
        }
    };
    let contoso_id = contoso["id"].as_str().unwrap().to_owned();
    let audits = audit(contoso_id.clone()).await;
    let again = import_sample(&app, &w.admin, "partners", "salesforce_report_partners.csv").await;
    assert_eq!(counts(&again), (0, 0, 3), "{again}");
    assert_eq!(audit(contoso_id.clone()).await, audits);
    assert_eq!(list(&app, &w, "/api/v1/partners").await.len(), 9);

    // A changed row is one update through the partner rules (onboarding → active).
    let changed = String::from_utf8(sample("salesforce_report_partners.csv"))
        .unwrap()
        .replace("\"Registered\",\"Onboarding\"", "\"Premier\",\"Active\"");
    let q = format!(
        "kind=partners&source=salesforce-report&mapping={}",
        enc(&mapping_text(&again["mapping"]))
    );
    let r = post_csv(&app, &w.admin, &q, changed.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(counts(&r.json()), (0, 1, 2));
    let fourth = named(
        &list(&app, &w, "/api/v1/partners").await,
        "name",
        "Fourth Coffee Partners",
    )
    .clone();
    assert_eq!(
        (fourth["status"].as_str(), fourth["tier_name"].as_str()),
        (Some("active"), Some("Premier"))
    );
    // A status the lifecycle does not allow is that row's error.
    let back = changed.replace("\"Premier\",\"Active\"", "\"Premier\",\"Applicant\"");
    let r = post_csv(&app, &w.admin, &q, back.as_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.problem_rules(),
        ["row 3: Partner Status:status_transition"]
    );
    // A web domain another partner has fails in the database; the row is undone to its
    // savepoint and the rows after it are still checked (PostgreSQL would otherwise refuse
    // every later statement of the aborted transaction).
    let taken = changed
        .replace("fourthcoffee.example", "beta.example")
        .replace("\"Consultant\",\"\"", "\"Consultant\",\"Gold\"");
    let r = post_csv(&app, &w.admin, &q, taken.as_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.problem_rules(),
        [
            "row 3: Website:unique",
            "row 4: Partner Tier:tier_of_program"
        ]
    );

    // A partner already there under its domain is that partner, not a second one.
    let alpha = changed
        .replace("contoso-channel.example", "alpha.example")
        .replace("Contoso Channel", "Alpha Systems")
        .replace("0015g00000PaCo1AAB", "0015g00000PaAl9AAB");
    let r = post_csv(&app, &w.admin, &q, alpha.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        counts(&r.json()),
        (0, 1, 2),
        "Alpha linked and retiered: {}",
        r.text()
    );
    let partners = list(&app, &w, "/api/v1/partners").await;
    assert_eq!(partners.len(), 9);
    assert_eq!(
        named(&partners, "name", "Alpha Systems")["tier_name"],
        "Select"
    );
}
on_both!(partners_from_each_source);

async fn a_bad_partner_file_writes_nothing(app: TestApp) {
    let w = app.world().await;
    let rules = refused(
        &app,
        &w,
        "partners",
        "salesforce_report_partners_errors.csv",
    )
    .await;
    assert_rules(
        &rules,
        &[
            "row 3: Partner Tier:tier_of_program",
            "row 4: Partner Type:one_of",
            "row 5: Partner Program:not_found",
            "row 6: Website:unique",
        ],
    );
    let partners = list(&app, &w, "/api/v1/partners").await;
    assert_eq!(partners.len(), 2, "not even the good row: {partners:?}");
}
on_both!(a_bad_partner_file_writes_nothing);

async fn contacts_become_partner_users(app: TestApp) {
    let w = app.world().await;
    salesforce_basics(&app, &w).await;
    let run = import_sample(&app, &w.admin, "contacts", "salesforce_report_contacts.csv").await;
    // Two new people; the third is the partner user already there (matched by e-mail,
    // its name taken from the file).
    assert_eq!(counts(&run), (2, 1, 0), "{run}");
    let users = list(&app, &w, "/api/v1/users").await;
    let mia = named(&users, "email", "mia.schneider@contoso-channel.example");
    assert_eq!(mia["display_name"], "Mia Schneider");
    assert_eq!(mia["role"], "partner_rep");
    let contoso = named(
        &list(&app, &w, "/api/v1/partners").await,
        "name",
        "Contoso Channel",
    )
    .clone();
    assert_eq!(mia["partner_id"], contoso["id"]);
    let rae = named(&users, "email", "rep@alpha.example");
    assert_eq!(rae["display_name"], "Rae Partner");
    assert_eq!(rae["id"], w.a.rep.id.to_string(), "the same user");
    let again = import_sample(&app, &w.admin, "contacts", "salesforce_report_contacts.csv").await;
    assert_eq!(counts(&again), (0, 0, 3), "{again}");

    // HubSpot contacts name their company by its HubSpot record id (the first of a list);
    // Data Loader ones by the partner's Salesforce Id.
    import_sample(&app, &w.admin, "partners", "hubspot_partners.csv").await;
    import_sample(
        &app,
        &w.admin,
        "partners",
        "salesforce_dataloader_partners.csv",
    )
    .await;
    let hs = import_sample(&app, &w.admin, "contacts", "hubspot_contacts.csv").await;
    assert_eq!(counts(&hs), (2, 0, 0), "{hs}");
    let dl = import_sample(
        &app,
        &w.admin,
        "contacts",
        "salesforce_dataloader_contacts.csv",
    )
    .await;
    assert_eq!(counts(&dl), (1, 0, 0), "{dl}");
    let users = list(&app, &w, "/api/v1/users").await;
    let partners = list(&app, &w, "/api/v1/partners").await;
    let gdi = named(&partners, "name", "Graphic Design Institute");
    let tomas = named(
        &users,
        "email",
        "tomas.garcia@graphicdesigninstitute.example",
    );
    assert_eq!(tomas["display_name"], "Tomás García");
    assert_eq!(tomas["partner_id"], gdi["id"]);
    let wen = named(&users, "email", "wen.li@wingtiptoys.example");
    assert_eq!(
        wen["partner_id"],
        named(&partners, "name", "Wingtip Toys Channel")["id"]
    );
}
on_both!(contacts_become_partner_users);

async fn a_bad_contact_file_writes_nothing(app: TestApp) {
    let w = app.world().await;
    salesforce_basics(&app, &w).await;
    let before = list(&app, &w, "/api/v1/users").await.len();
    let rules = refused(
        &app,
        &w,
        "contacts",
        "salesforce_report_contacts_errors.csv",
    )
    .await;
    assert_rules(
        &rules,
        &[
            "row 3: Email:contact.vendor_user",
            "row 4: Account Name:not_found",
            "row 5: Account Name:contact.other_partner",
            "row 6: Email:email",
            "row 7: Email:unique",
        ],
    );
    assert_eq!(list(&app, &w, "/api/v1/users").await.len(), before);
    let admin = named(
        &list(&app, &w, "/api/v1/users").await,
        "email",
        "admin@vendor.example",
    )
    .clone();
    assert_eq!(admin["role"], "admin", "a vendor user is never changed");
}
on_both!(a_bad_contact_file_writes_nothing);

async fn opportunities_from_each_source(app: TestApp) {
    let w = app.world().await;
    salesforce_basics(&app, &w).await;
    let run = import_sample(
        &app,
        &w.admin,
        "opportunities",
        "salesforce_report_opportunities.csv",
    )
    .await;
    assert_eq!(
        (run["rows"].as_i64(), counts(&run)),
        (Some(3), (3, 0, 0)),
        "{run}"
    );
    let opps = list(&app, &w, "/api/v1/opportunities").await;
    let nw = named(&opps, "title", "Northwind renewal").clone();
    let partners = list(&app, &w, "/api/v1/partners").await;
    let contoso = named(&partners, "name", "Contoso Channel");
    assert_eq!(nw["partner_id"], contoso["id"]);
    assert_eq!(nw["source"], "partner_sourced");
    assert_eq!(nw["route"], "resale");
    assert_eq!(nw["stage"], "first_conversation");
    assert_eq!(nw["expected_close_on"], "2027-03-31");
    assert_eq!(nw["amount"]["amount_minor"], 12_500_000);
    assert_eq!(nw["program_id"], w.program.id.to_string());
    let accounts = list(&app, &w, "/api/v1/accounts?q=Northwind").await;
    assert_eq!(
        nw["account_id"], accounts[0]["id"],
        "by the account's Salesforce id"
    );
    let co = named(&opps, "title", "Contoso expansion");
    assert_eq!(
        (co["stage"].as_str(), co["amount"]["currency"].as_str()),
        (Some("commercial_offer"), Some("EUR"))
    );

    let again = import_sample(
        &app,
        &w.admin,
        "opportunities",
        "salesforce_report_opportunities.csv",
    )
    .await;
    assert_eq!(counts(&again), (0, 0, 3), "{again}");
    let history = list(
        &app,
        &w,
        &format!(
            "/api/v1/opportunities/{}/history",
            nw["id"].as_str().unwrap()
        ),
    )
    .await;

    // A new stage and amount in the CRM: one update, moved along the pipeline's rule.
    let changed = String::from_utf8(sample("salesforce_report_opportunities.csv"))
        .unwrap()
        .replace(
            "\"125,000.00\",\"3/31/2027\",\"First conversation\"",
            "\"130,000.00\",\"3/31/2027\",\"Handoff\"",
        );
    let q = format!(
        "kind=opportunities&source=salesforce-report&mapping={}",
        enc(&mapping_text(&again["mapping"]))
    );
    let r = post_csv(&app, &w.admin, &q, changed.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(counts(&r.json()), (0, 1, 2));
    let nw = named(
        &list(&app, &w, "/api/v1/opportunities").await,
        "title",
        "Northwind renewal",
    )
    .clone();
    assert_eq!(
        (nw["stage"].as_str(), nw["amount"]["amount_minor"].as_i64()),
        (Some("handoff"), Some(13_000_000))
    );
    let later = list(
        &app,
        &w,
        &format!(
            "/api/v1/opportunities/{}/history",
            nw["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(later.len(), history.len() + 1, "{later:?}");
    let r = post_csv(&app, &w.admin, &q, changed.as_bytes()).await;
    assert_eq!(counts(&r.json()), (0, 0, 3));

    // HubSpot deals: companies by their HubSpot ids, the pipeline naming the program.
    import_sample(&app, &w.admin, "accounts", "hubspot_companies.csv").await;
    let hs = import_sample(&app, &w.admin, "opportunities", "hubspot_deals.csv").await;
    assert_eq!(
        (hs["source"].as_str(), counts(&hs)),
        (Some("hubspot"), (2, 0, 0)),
        "{hs}"
    );
    let opps = list(&app, &w, "/api/v1/opportunities").await;
    let pilot = named(&opps, "title", "Proseware pilot");
    assert_eq!(pilot["source"], "direct");
    assert_eq!(pilot["stage"], "target_account");
    assert_eq!(pilot["amount"]["amount_minor"], 1_200_050);
    // Data Loader: API names, a partner by its Salesforce Id.
    import_sample(
        &app,
        &w.admin,
        "accounts",
        "salesforce_dataloader_accounts.csv",
    )
    .await;
    import_sample(
        &app,
        &w.admin,
        "partners",
        "salesforce_dataloader_partners.csv",
    )
    .await;
    let dl = import_sample(
        &app,
        &w.admin,
        "opportunities",
        "salesforce_dataloader_opportunities.csv",
    )
    .await;
    assert_eq!(counts(&dl), (1, 0, 0), "{dl}");
    assert_eq!(list(&app, &w, "/api/v1/opportunities").await.len(), 6);
}
on_both!(opportunities_from_each_source);

async fn a_bad_opportunity_file_writes_nothing(app: TestApp) {
    let w = app.world().await;
    salesforce_basics(&app, &w).await;
    let rules = refused(
        &app,
        &w,
        "opportunities",
        "salesforce_report_opportunities_errors.csv",
    )
    .await;
    assert_rules(
        &rules,
        &[
            "row 3: Stage:stage.unknown",
            "row 4: Stage:stage.closed",
            "row 5: Account ID:not_found",
            "row 6: Partner Account ID:not_found",
        ],
    );
    let r = post_csv(
        &app,
        &w.admin,
        "kind=opportunities&dry_run=true",
        &sample("salesforce_report_opportunities_errors.csv"),
    )
    .await;
    assert!(
        r.text().contains("\\\"Prospecting\\\" is not a stage"),
        "{}",
        r.text()
    );
    assert!(list(&app, &w, "/api/v1/opportunities").await.is_empty());
}
on_both!(a_bad_opportunity_file_writes_nothing);

async fn registrations_through_the_registration_rules(app: TestApp) {
    let w = app.world().await;
    salesforce_basics(&app, &w).await;
    let run = import_sample(
        &app,
        &w.admin,
        "registrations",
        "salesforce_report_registrations.csv",
    )
    .await;
    assert_eq!(counts(&run), (3, 0, 0), "{run}");
    let regs = list(&app, &w, "/api/v1/registrations").await;
    let tailspin = named(&regs, "title", "Tailspin POS rollout");
    assert_eq!(tailspin["status"], "pending");
    let accounts = list(&app, &w, "/api/v1/accounts?q=Tailspin").await;
    assert_eq!(tailspin["account_id"], accounts[0]["id"]);
    let ww = named(&regs, "title", "Wide World analytics");
    assert_eq!(
        ww["status"], "approved",
        "approved as a channel manager approves"
    );
    assert!(ww["opportunity_id"].is_string(), "{ww}");
    let woodgrove = named(&regs, "title", "Woodgrove Bank core");
    assert_eq!(woodgrove["status"], "pending");
    let wg = list(&app, &w, "/api/v1/accounts?q=woodgrove").await;
    assert_eq!(wg.len(), 1, "the described company became an account");
    assert_eq!(woodgrove["account_id"], wg[0]["id"]);

    let again = import_sample(
        &app,
        &w.admin,
        "registrations",
        "salesforce_report_registrations.csv",
    )
    .await;
    assert_eq!(counts(&again), (0, 0, 3), "{again}");
    assert_eq!(list(&app, &w, "/api/v1/registrations").await.len(), 3);

    // HubSpot: the partner by its HubSpot record id, the company described.
    import_sample(&app, &w.admin, "partners", "hubspot_partners.csv").await;
    let hs = import_sample(&app, &w.admin, "registrations", "hubspot_registrations.csv").await;
    assert_eq!(counts(&hs), (1, 0, 0), "{hs}");
}
on_both!(registrations_through_the_registration_rules);

async fn a_bad_registration_file_writes_nothing(app: TestApp) {
    let w = app.world().await;
    salesforce_basics(&app, &w).await;
    let accounts = list(&app, &w, "/api/v1/accounts").await.len();
    let rules = refused(
        &app,
        &w,
        "registrations",
        "salesforce_report_registrations_errors.csv",
    )
    .await;
    assert_rules(
        &rules,
        &[
            "row 3:registration.account_held",
            "row 4: Registration Status:registration.import_status",
            "row 5: Company:required",
            "row 5: Country:required",
        ],
    );
    assert!(list(&app, &w, "/api/v1/registrations").await.is_empty());
    assert_eq!(list(&app, &w, "/api/v1/accounts").await.len(), accounts);
}
on_both!(a_bad_registration_file_writes_nothing);

async fn touchpoints_on_imported_opportunities(app: TestApp) {
    let w = app.world().await;
    salesforce_basics(&app, &w).await;
    import_sample(
        &app,
        &w.admin,
        "opportunities",
        "salesforce_report_opportunities.csv",
    )
    .await;
    let run = import_sample(
        &app,
        &w.admin,
        "touchpoints",
        "salesforce_report_touchpoints.csv",
    )
    .await;
    assert_eq!(counts(&run), (3, 0, 0), "{run}");
    let opps = list(&app, &w, "/api/v1/opportunities").await;
    let nw = named(&opps, "title", "Northwind renewal");
    let tps = list(
        &app,
        &w,
        &format!(
            "/api/v1/opportunities/{}/touchpoints",
            nw["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(tps.len(), 2, "{tps:?}");
    let demo = named(&tps, "kind", "demo");
    assert_eq!(demo["partner_name"], "Fourth Coffee Partners");
    assert_eq!(demo["occurred_at"], "2026-10-15T00:00:00Z");
    assert_eq!(demo["notes"], "Product demo");
    let co = named(&opps, "title", "Contoso expansion");
    let tps = list(
        &app,
        &w,
        &format!(
            "/api/v1/opportunities/{}/touchpoints",
            co["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(tps[0]["kind"], "technical_validation", "POC");

    let again = import_sample(
        &app,
        &w.admin,
        "touchpoints",
        "salesforce_report_touchpoints.csv",
    )
    .await;
    assert_eq!(counts(&again), (0, 0, 3), "{again}");

    // Our own export names the opportunity by our id and the partner by name.
    let own = format!(
        "id,opportunity_id,partner_id,kind,occurred_at,notes\nt-1,{},Contoso Channel,event,2026-11-02T14:00:00Z,Roadshow\n",
        co["id"].as_str().unwrap()
    );
    let r = post_csv(
        &app,
        &w.admin,
        &format!(
            "kind=touchpoints&source=partnerops&mapping={}",
            enc("external_id=id,opportunity=opportunity_id,partner=partner_id,kind=kind,occurred_at=occurred_at,notes=notes")
        ),
        own.as_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(counts(&r.json()), (1, 0, 0));
}
on_both!(touchpoints_on_imported_opportunities);

async fn a_bad_touchpoint_file_writes_nothing(app: TestApp) {
    let w = app.world().await;
    salesforce_basics(&app, &w).await;
    import_sample(
        &app,
        &w.admin,
        "opportunities",
        "salesforce_report_opportunities.csv",
    )
    .await;
    let rules = refused(
        &app,
        &w,
        "touchpoints",
        "salesforce_report_touchpoints_errors.csv",
    )
    .await;
    assert_rules(
        &rules,
        &[
            "row 3: Touchpoint Type:one_of",
            "row 4: Partner Account ID:other_program",
            "row 5: Date:not_in_future",
            "row 6: Opportunity ID:not_found",
        ],
    );
    let opps = list(&app, &w, "/api/v1/opportunities").await;
    let nw = named(&opps, "title", "Northwind renewal");
    let tps = list(
        &app,
        &w,
        &format!(
            "/api/v1/opportunities/{}/touchpoints",
            nw["id"].as_str().unwrap()
        ),
    )
    .await;
    assert!(tps.is_empty(), "not even the good row: {tps:?}");
}
on_both!(a_bad_touchpoint_file_writes_nothing);

async fn a_dry_run_of_each_kind_writes_nothing(app: TestApp) {
    let w = app.world().await;
    salesforce_basics(&app, &w).await;
    for (kind, file, path) in [
        ("partners", "hubspot_partners.csv", "/api/v1/partners"),
        (
            "contacts",
            "salesforce_report_contacts.csv",
            "/api/v1/users",
        ),
        (
            "opportunities",
            "salesforce_report_opportunities.csv",
            "/api/v1/opportunities",
        ),
        (
            "registrations",
            "salesforce_report_registrations.csv",
            "/api/v1/registrations",
        ),
    ] {
        let before = list(&app, &w, path).await.len();
        let r = post_csv(
            &app,
            &w.admin,
            &format!("kind={kind}&dry_run=true"),
            &sample(file),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.text());
        assert!(
            r.json()["created"].as_i64().unwrap() > 0,
            "{kind}: {}",
            r.text()
        );
        assert_eq!(list(&app, &w, path).await.len(), before, "{kind}");
    }
    let runs = app.http.get("/api/v1/imports", &w.admin).await.json();
    assert_eq!(
        runs.as_array().unwrap().len(),
        2,
        "only the two real imports"
    );
}
on_both!(a_dry_run_of_each_kind_writes_nothing);

async fn who_may_import_which_kind(app: TestApp) {
    let w = app.world().await;
    let kinds = [
        ("partners", "hubspot_partners.csv"),
        ("contacts", "salesforce_report_contacts.csv"),
        ("opportunities", "salesforce_report_opportunities.csv"),
        ("registrations", "salesforce_report_registrations.csv"),
        ("touchpoints", "salesforce_report_touchpoints.csv"),
    ];
    // Partners import nothing, not even for their own company: a file names other
    // records by ids only the vendor's CRM knows.
    for (kind, file) in kinds {
        for token in [&w.a.admin_token, &w.a.rep_token] {
            let r = post_csv(
                &app,
                token,
                &format!("kind={kind}&dry_run=true"),
                &sample(file),
            )
            .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{kind}: {}", r.text());
            assert_eq!(r.json()["rule"], "role.import", "{kind}");
        }
    }
    // Direct sales work the pipeline, not partners, their users or registrations.
    for (kind, rule) in [
        ("partners", "role.govern_partner"),
        ("contacts", "role.write_partner_user"),
        ("registrations", "role.decide_registration"),
    ] {
        let file = kinds.iter().find(|(k, _)| *k == kind).unwrap().1;
        let r = post_csv(
            &app,
            &w.sales,
            &format!("kind={kind}&dry_run=true"),
            &sample(file),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{kind}: {}", r.text());
        assert_eq!(r.json()["rule"], rule, "{kind}");
    }
    let r = post_csv(
        &app,
        &w.channel,
        "kind=partners&dry_run=true",
        &sample("hubspot_partners.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // A token needs the kind's own write scope besides import:write.
    let token = |scopes: Value| {
        let app = &app;
        let admin = w.admin.clone();
        async move {
            let r = app
                .http
                .post(
                    "/api/v1/tokens",
                    &admin,
                    &json!({"name": "importer", "scopes": scopes}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
            r.json()["secret"].as_str().unwrap().to_owned()
        }
    };
    let import_only = token(json!(["import:write"])).await;
    let r = post_csv(
        &app,
        &import_only,
        "kind=partners&dry_run=true",
        &sample("hubspot_partners.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["rule"], "token.scope");
    assert!(r.text().contains("partner:write"), "{}", r.text());
    let with_partner = token(json!(["import:write", "partner:write"])).await;
    let r = post_csv(
        &app,
        &with_partner,
        "kind=partners&dry_run=true",
        &sample("hubspot_partners.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = post_csv(
        &app,
        &with_partner,
        "kind=contacts&dry_run=true",
        &sample("salesforce_report_contacts.csv"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("user:write"), "{}", r.text());
}
on_both!(who_may_import_which_kind);
