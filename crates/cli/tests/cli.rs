//! The `partnerops` binary end to end (`policy …`, `cadence`) against a freshly seeded
//! SQLite file.

// A failed unwrap here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use partnerops_core::policy::ProgramPolicy;

/// A temporary directory, removed on drop.
struct Temp(PathBuf);

impl Temp {
    fn new() -> Temp {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "partnerops-cli-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Temp(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.join("cli.db").display())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the binary in `dir` with no `PARTNEROPS_*` settings from the environment.
fn run(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_partnerops"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("PARTNEROPS_DATABASE_URL")
        .env_remove("PARTNEROPS_CONFIG")
        .env_remove("PARTNEROPS_ADDR")
        .env("RUST_LOG", "warn");
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small demo program seeded into `t`'s database; its URL.
fn seeded(t: &Temp) -> String {
    let url = t.url();
    ok(
        &t.0,
        &[
            "demo",
            "--no-serve",
            "--partners",
            "8",
            "--accounts",
            "40",
            "--database-url",
            &url,
        ],
    );
    url
}

/// A run that must succeed; its standard output.
fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(
        o.status.success(),
        "partnerops {args:?} failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

#[test]
fn validate_names_every_problem_by_key() {
    let t = Temp::new();
    let good = t.write("good.toml", &ProgramPolicy::seed_default().to_toml());
    let out = ok(&t.0, &["policy", "validate", good.to_str().unwrap()]);
    assert_eq!(
        out.lines().next(),
        Some(format!("{}: valid", good.display()).as_str())
    );

    // Negative days and a ladder whose Select asks more than Premier.
    let mut policy = ProgramPolicy::seed_default();
    policy.registration.validity_days = -5;
    policy.tiers[1].criteria[0].at_least = 90_000_000;
    let bad = t.write("bad.toml", &policy.to_toml());
    let o = run(&t.0, &["policy", "validate", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    let prefix = format!("{}: ", bad.display());
    assert!(
        err.lines().all(|l| l.starts_with(&prefix)),
        "every line names the file:\n{err}"
    );
    assert!(
        err.contains(&format!("{prefix}registration.validity_days: ")),
        "{err}"
    );
    assert!(err.contains("tiers out of order"), "{err}");

    // An unknown metric: where it is, and what is allowed.
    let text = ProgramPolicy::seed_default().to_toml().replacen(
        "metric = \"registrations\"",
        "metric = \"nps\"",
        1,
    );
    let bad = t.write("metric.toml", &text);
    let o = run(&t.0, &["policy", "validate", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("{}: line ", bad.display())),
        "{err}"
    );
    assert!(err.contains("nps") && err.contains("sourced_arr"), "{err}");
}

#[test]
fn policies_are_shown_published_compared_and_simulated() {
    let t = Temp::new();
    let url = seeded(&t);
    let db = ["--database-url", url.as_str()];
    let program = ["--program", "reseller program"];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(&db)
            .chain(&program)
            .map(|s| (*s).to_owned())
            .collect()
    };
    let call = |args: &[&str]| {
        let args = with(args);
        ok(&t.0, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };

    let shown = call(&["policy", "show"]);
    assert!(shown.starts_with("# Reseller Program (prg_"), "{shown}");
    // The demo published its incentives as version 2 (version 1: the seed defaults).
    assert!(shown.contains("policy version 2 (in force)"), "{shown}");
    // The header is comments: what follows parses as the document in force.
    let current = ProgramPolicy::from_toml(&shown).unwrap();
    assert!(!current.incentives.tiers.is_empty(), "{shown}");
    assert_eq!(call(&["policy", "history"]).lines().count(), 3);

    // A draft raising the Select quota: simulated (nothing written), then published.
    let mut draft = current.clone();
    draft.tiers[1].annual_quota_minor *= 3;
    let file = t.write("draft.toml", &draft.to_toml());
    let file = file.to_str().unwrap();
    let sim = call(&["policy", "simulate", file]);
    assert!(sim.contains("Totals: "), "{sim}");
    assert!(sim.contains("nothing was written"), "{sim}");
    let json = call(&[
        "policy",
        "simulate",
        file,
        "--json",
        "--as-of",
        "2027-02-01T09:00:00Z",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["as_of"], "2027-02-01T09:00:00Z");
    assert!(report["totals"]["partners"].as_u64().unwrap() > 0, "{json}");
    assert_eq!(
        call(&["policy", "history"]).lines().count(),
        3,
        "simulating publishes nothing"
    );

    let published = call(&[
        "policy",
        "publish",
        file,
        "--note",
        "Raise the Select quota",
    ]);
    assert!(published.contains("policy version 3"), "{published}");
    assert!(
        published.contains("~ tiers[1].annual_quota_minor: "),
        "{published}"
    );
    let history = call(&["policy", "history"]);
    assert!(
        history.lines().nth(1).unwrap().starts_with("v3 "),
        "{history}"
    );
    assert!(history.contains("Raise the Select quota"), "{history}");
    let diff = call(&["policy", "diff"]);
    assert!(diff.contains("version 2 → 3"), "{diff}");
    let back = call(&["policy", "diff", "--from", "3", "--to", "2"]);
    assert!(back.contains("version 3 → 2"), "{back}");
    let v2 = call(&["policy", "show", "--version", "2"]);
    assert_eq!(ProgramPolicy::from_toml(&v2).unwrap(), current);

    // An invalid document is refused with its key, and nothing is published.
    let bad = t.write(
        "bad.toml",
        &draft.to_toml().replace("sla_days = 14", "sla_days = -1"),
    );
    let args = with(&[
        "policy",
        "publish",
        bad.to_str().unwrap(),
        "--note",
        "broken",
    ]);
    let o = run(&t.0, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("registration.sla_days: "),
        "{}",
        stderr(&o)
    );
    assert_eq!(call(&["policy", "history"]).lines().count(), 4);

    // The small seed has too few partners for a model: the rule-based score, said why.
    let fit = call(&["policy", "fit"]);
    assert!(fit.contains("method:        rules"), "{fit}");
    assert!(fit.contains("labelled:"), "{fit}");

    // An unknown program lists the ones there are.
    let args: Vec<&str> = vec!["policy", "fit", db[0], db[1], "--program", "Nope"];
    let o = run(&t.0, &args);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("Reseller Program (prg_"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn cadence_prints_a_users_list_and_feed() {
    let t = Temp::new();
    let url = seeded(&t);
    let db = ["--database-url", url.as_str()];
    let user = ["--user", "channel@vendor.example"];
    let text = ok(&t.0, &["cadence", user[0], user[1], db[0], db[1]]);
    let head = text.lines().next().unwrap();
    assert!(head.starts_with("due for "), "{text}");
    assert!(
        head.contains("overdue") && head.contains("upcoming"),
        "{text}"
    );
    // Every item line links to a console page.
    assert!(
        text.lines().skip(1).all(|l| l.contains(" /console/")),
        "{text}"
    );
    let ics = ok(
        &t.0,
        &[
            "cadence",
            user[0],
            user[1],
            "--ics",
            "--as-of",
            "2027-01-15T09:00:00Z",
            db[0],
            db[1],
        ],
    );
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.trim_end().ends_with("END:VCALENDAR"), "{ics}");
    // A user that does not exist is named in the error.
    let o = run(
        &t.0,
        &["cadence", "--user", "nobody@vendor.example", db[0], db[1]],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).to_lowercase().contains("user"), "{}", stderr(&o));
    let bad = run(
        &t.0,
        &[
            "cadence", user[0], user[1], "--as-of", "tomorrow", db[0], db[1],
        ],
    );
    assert!(stderr(&bad).contains("--as-of must be an RFC 3339 time"));
}

#[test]
fn payouts_accrue_draw_up_and_export() {
    let t = Temp::new();
    let url = seeded(&t);
    let db = ["--database-url", url.as_str()];
    let accrued = ok(&t.0, &["payouts", "accrue", db[0], db[1]]);
    assert!(accrued.starts_with("accrued: "), "{accrued}");
    // A second run finds nothing new.
    let again = ok(&t.0, &["payouts", "accrue", db[0], db[1]]);
    assert!(again.contains(" 0 lines"), "{again}");
    let later = (chrono::Utc::now() + chrono::Duration::days(100)).to_rfc3339();
    let drawn = ok(
        &t.0,
        &["payouts", "statements", "--as-of", &later, db[0], db[1]],
    );
    assert!(drawn.starts_with("periods "), "{drawn}");
    // A period that has not ended is refused, naming the field.
    let today = chrono::Utc::now().date_naive().to_string();
    let o = run(
        &t.0,
        &["payouts", "statements", "--period-of", &today, db[0], db[1]],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("period_of"), "{}", stderr(&o));
    let csv = ok(
        &t.0,
        &["payouts", "export", "--period", "2099-Q1", db[0], db[1]],
    );
    assert_eq!(
        csv.trim_end(),
        "statement_id,partner_id,partner,period,period_start,period_end,amount,currency,lines,approved_at"
    );
}

#[test]
fn a_backup_restores_to_the_same_answers() {
    let t = Temp::new();
    let url = seeded(&t);
    let db = ["--database-url", url.as_str()];
    let backup = t.0.join("backup.sqlite");
    let backup_arg = backup.to_str().unwrap();
    let out = ok(&t.0, &["backup", "--to", backup_arg, db[0], db[1]]);
    assert!(out.starts_with("backed up to "), "{out}");
    // A backup never overwrites a file.
    let again = run(&t.0, &["backup", "--to", backup_arg, db[0], db[1]]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );

    let restored = format!("sqlite://{}", t.0.join("restored.sqlite").display());
    let out = ok(
        &t.0,
        &["restore", "--from", backup_arg, "--database-url", &restored],
    );
    assert!(out.starts_with("restored "), "{out}");
    // The restored database answers as the original: the same 30-day list, the same policy.
    let as_of = "2027-01-15T09:00:00Z";
    let read = |url: &str, args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--database-url", url]);
        ok(&t.0, &all)
    };
    let cadence = [
        "cadence",
        "--user",
        "channel@vendor.example",
        "--as-of",
        as_of,
    ];
    assert_eq!(read(&url, &cadence), read(&restored, &cadence));
    let programs = read(&url, &["policy", "show", "--program", "reseller program"]);
    assert_eq!(
        programs,
        read(
            &restored,
            &["policy", "show", "--program", "reseller program"]
        )
    );
    // Not over an existing database without --force; and only a partnerops file.
    let o = run(
        &t.0,
        &["restore", "--from", backup_arg, "--database-url", &restored],
    );
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    let junk = t.write("junk.sqlite", "not a database");
    let o = run(
        &t.0,
        &[
            "restore",
            "--from",
            junk.to_str().unwrap(),
            "--database-url",
            &format!("sqlite://{}", t.0.join("other.sqlite").display()),
        ],
    );
    assert!(!o.status.success(), "{}", stdout(&o));
}

#[test]
fn export_writes_a_list_in_the_users_scope() {
    let t = Temp::new();
    let url = seeded(&t);
    let db = ["--database-url", url.as_str()];
    // Staff: every partner of the demo, with the filter applied.
    let all = ok(
        &t.0,
        &[
            "export",
            "partners",
            "--user",
            "admin@vendor.example",
            db[0],
            db[1],
        ],
    );
    let mut lines = all.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("id,name,"), "{header}");
    assert_eq!(lines.count(), 8, "{all}");
    // A partner admin: its own partner only, into a file.
    let logins = ok(
        &t.0,
        &[
            "demo",
            "--no-serve",
            "--partners",
            "8",
            "--accounts",
            "40",
            db[0],
            db[1],
        ],
    );
    let partner_admin = logins
        .lines()
        .find(|l| l.contains("Partner admin at "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    let file = t.0.join("mine.csv");
    ok(
        &t.0,
        &[
            "export",
            "partners",
            "--user",
            &partner_admin,
            "--output",
            file.to_str().unwrap(),
            db[0],
            db[1],
        ],
    );
    let mine = std::fs::read_to_string(&file).unwrap();
    assert_eq!(mine.lines().count(), 2, "{mine}");
    let domain = partner_admin.split('@').nth(1).unwrap();
    assert!(mine.contains(domain), "{mine}");
    // A bad filter names the field and the rule.
    let bad = run(
        &t.0,
        &[
            "export",
            "accounts",
            "--user",
            "admin@vendor.example",
            "--query",
            "country=XX",
            db[0],
            db[1],
        ],
    );
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("country") && stderr(&bad).contains("rule"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn tokens_are_created_with_scopes_and_an_expiry() {
    let t = Temp::new();
    let url = seeded(&t);
    let db = ["--database-url", url.as_str()];
    let o = run(
        &t.0,
        &[
            "token",
            "create",
            "--user",
            "channel@vendor.example",
            "--name",
            "BI",
            "--scope",
            "registration:read",
            "--scope",
            "*:read",
            "--expires",
            "30d",
            db[0],
            db[1],
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Standard output is the secret alone; what was made goes to standard error.
    let secret = stdout(&o);
    assert!(
        secret.starts_with("po_") && secret.trim_end().lines().count() == 1,
        "{secret}"
    );
    let said = stderr(&o);
    assert!(said.contains("scopes registration:read *:read"), "{said}");
    assert!(!said.contains("expires never"), "{said}");
    // An operator may make a token that never expires; the default scope is everything.
    let o = run(
        &t.0,
        &[
            "token",
            "create",
            "--user",
            "channel@vendor.example",
            "--expires",
            "never",
            db[0],
            db[1],
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("scopes *, expires never"),
        "{}",
        stderr(&o)
    );
    // A scope that is not one is named.
    let o = run(
        &t.0,
        &[
            "token",
            "create",
            "--user",
            "channel@vendor.example",
            "--scope",
            "deals:read",
            db[0],
            db[1],
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("scopes[0]"), "{}", stderr(&o));
}

/// A sample file of the web tests' import suite.
fn import_sample(name: &str) -> String {
    format!(
        "{}/../web/tests/it/import/files/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn import_shows_the_mapping_then_imports_once() {
    let t = Temp::new();
    let url = t.url();
    ok(&t.0, &["migrate", "--database-url", &url]);
    let file = import_sample("salesforce_report_accounts.csv");

    // Not confirmed: the suggestion is printed, nothing is imported.
    let o = run(&t.0, &["import", "accounts", &file, "--database-url", &url]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("suggested mapping for accounts from salesforce-report"),
        "{err}"
    );
    assert!(
        err.contains("country            <- Billing Country (required)"),
        "{err}"
    );
    assert!(err.contains("--mapping 'country=Billing Country,"), "{err}");

    let out = ok(
        &t.0,
        &["import", "accounts", &file, "--yes", "--database-url", &url],
    );
    assert!(
        out.contains("imported: created 5, updated 0, unchanged 0; 0 errors"),
        "{out}"
    );
    let out = ok(
        &t.0,
        &["import", "accounts", &file, "--yes", "--database-url", &url],
    );
    assert!(
        out.contains("imported: created 0, updated 0, unchanged 5"),
        "{out}"
    );

    // A bad file: every error by row and column, and a failed exit.
    let bad = import_sample("salesforce_report_accounts_errors.csv");
    let o = run(
        &t.0,
        &["import", "accounts", &bad, "--yes", "--database-url", &url],
    );
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("row 3, column \"Billing Country\": iso_3166_alpha2"),
        "{out}"
    );
    assert!(
        out.contains("row 5, column \"Account ID\": unique"),
        "{out}"
    );
    assert!(out.contains("refused, nothing written"), "{out}");

    // A dry run with a mapping of one's own.
    let dl = import_sample("salesforce_dataloader_accounts.csv");
    let out = ok(
        &t.0,
        &[
            "import",
            "accounts",
            &dl,
            "--dry-run",
            "--mapping",
            "external_id=ID,name=NAME,country=BILLINGCOUNTRY",
            "--database-url",
            &url,
        ],
    );
    assert!(
        out.contains("dry run: nothing written; would have created 3"),
        "{out}"
    );
}

#[test]
fn import_of_the_other_kinds_names_rows_and_columns() {
    let t = Temp::new();
    let url = t.url();
    ok(&t.0, &["migrate", "--database-url", &url]);
    let file = import_sample("salesforce_report_partners.csv");
    let o = run(&t.0, &["import", "partners", &file, "--database-url", &url]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("suggested mapping for partners from salesforce-report"),
        "{err}"
    );
    assert!(err.contains("tier               <- Partner Tier"), "{err}");
    // No programs yet: each row names the program it cannot find; nothing is written.
    let o = run(
        &t.0,
        &[
            "import",
            "--kind",
            "partners",
            &file,
            "--yes",
            "--database-url",
            &url,
        ],
    );
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("row 2, column \"Partner Program\": not_found"),
        "{out}"
    );
    assert!(
        out.contains("row 4, column \"Partner Program\": not_found"),
        "{out}"
    );
    assert!(out.contains("refused, nothing written"), "{out}");
    // The kind is given once.
    let o = run(&t.0, &["import", "--kind", "partners", "partners", &file]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("give the kind and the file"),
        "{}",
        stderr(&o)
    );
    // Opportunities name accounts by the record ids of an earlier account import.
    let deals = import_sample("salesforce_report_opportunities.csv");
    let o = run(
        &t.0,
        &[
            "import",
            "opportunities",
            &deals,
            "--dry-run",
            "--database-url",
            &url,
        ],
    );
    assert!(!o.status.success());
    assert!(
        stdout(&o).contains("row 2, column \"Account ID\": not_found"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn openapi_prints_the_document_the_client_is_generated_from() {
    let t = Temp::new();
    let printed = ok(&t.0, &["openapi"]);
    let doc: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(
        doc["paths"]["/api/v1/partners"]["get"]["tags"][0],
        "partners"
    );
    // The committed copy is this output byte for byte, so a refresh diffs only real changes
    // (tests/it/openapi/client.rs checks it against what the server serves).
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../client/openapi.json"
    ))
    .unwrap();
    assert!(
        printed == committed,
        "crates/client/openapi.json is not what `partnerops openapi` prints: refresh it with `partnerops openapi > crates/client/openapi.json`"
    );
}

/// A sample file of the web tests' account mapping suite.
fn mapping_sample(name: &str) -> String {
    format!(
        "{}/../web/tests/it/mapping/files/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn mapping_upload_shows_the_mapping_then_uploads_adds_and_refuses_whole() {
    let t = Temp::new();
    let url = seeded(&t);
    let file = mapping_sample("salesforce_accounts.csv");

    // An unknown partner: the partners with a live mapping partnership are listed.
    let o = run(
        &t.0,
        &[
            "mapping",
            "upload",
            "--partner",
            "Nobody Ltd",
            &file,
            "--database-url",
            &url,
        ],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("Nobody Ltd has no live mapping partnership"),
        "{err}"
    );
    // The demo's active mapping partnership: `  Name (ptr_…): Active`.
    let line = err
        .lines()
        .find(|l| l.ends_with("): Active"))
        .unwrap_or_else(|| panic!("no active partnership listed:\n{err}"));
    let partner = line
        .rsplit_once(" (")
        .map(|(_, rest)| rest.trim_end_matches("): Active"))
        .unwrap()
        .to_owned();
    assert!(partner.starts_with("ptr_"), "{line}");

    // Not confirmed: the suggestion is printed, nothing is uploaded.
    let o = run(
        &t.0,
        &[
            "mapping",
            "upload",
            "--partner",
            &partner,
            &file,
            "--database-url",
            &url,
        ],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("suggested mapping for an upload from salesforce-report"),
        "{err}"
    );
    assert!(
        err.contains("name         <- Account Name (required)"),
        "{err}"
    );
    assert!(err.contains("nothing uploaded"), "{err}");

    // Confirmed: the six rows replace the demo's upload and are matched.
    let out = ok(
        &t.0,
        &[
            "mapping",
            "upload",
            "--partner",
            &partner,
            &file,
            "--yes",
            "--database-url",
            &url,
        ],
    );
    assert!(
        out.contains("6 rows of salesforce_accounts.csv from salesforce-report"),
        "{out}"
    );
    assert!(out.contains("; 0 errors"), "{out}");

    // Adding the same file again: its record ids are uploaded already, so it is refused
    // whole, each row named by its row and the file's column.
    let o = run(
        &t.0,
        &[
            "mapping",
            "upload",
            "--partner",
            &partner,
            &file,
            "--yes",
            "--append",
            "--database-url",
            &url,
        ],
    );
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("row 2, column \"Account ID\": mapping.duplicate"),
        "{out}"
    );
    assert!(out.contains("refused, nothing written; 6 errors"), "{out}");

    // Adding new rows (HubSpot, a mapping of one's own, a default population): added.
    let hubspot = mapping_sample("hubspot_companies.csv");
    let out = ok(
        &t.0,
        &[
            "mapping",
            "upload",
            "--partner",
            &partner,
            &hubspot,
            "--append",
            "--population",
            "customer",
            "--mapping",
            "external_id=Record ID,name=Company name,web_domain=Company Domain Name,country=Country/Region",
            "--database-url",
            &url,
        ],
    );
    assert!(
        out.contains("3 rows of hubspot_companies.csv from hubspot"),
        "{out}"
    );
    assert!(out.contains(", added:"), "{out}");

    // A broken file: every error by row and column, nothing written, a failed exit.
    let bad = mapping_sample("salesforce_broken.csv");
    let o = run(
        &t.0,
        &[
            "mapping",
            "upload",
            "--partner",
            &partner,
            &bad,
            "--yes",
            "--database-url",
            &url,
        ],
    );
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(out.contains("row 3, column \"Billing Country\""), "{out}");
    assert!(out.contains("refused, nothing written"), "{out}");

    // The refused replacement left the nine rows: a dry run adding the HubSpot file again
    // finds its ids uploaded, and writes nothing.
    let o = run(
        &t.0,
        &[
            "mapping",
            "upload",
            "--partner",
            &partner,
            &hubspot,
            "--append",
            "--dry-run",
            "--database-url",
            &url,
        ],
    );
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("row 2, column \"Record ID\": mapping.duplicate"),
        "{out}"
    );
    assert!(out.contains("refused, nothing written; 3 errors"), "{out}");

    // A bad option names itself.
    let o = run(
        &t.0,
        &[
            "mapping",
            "upload",
            "--partner",
            &partner,
            &file,
            "--population",
            "friends",
            "--database-url",
            &url,
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--population:"), "{}", stderr(&o));
}
