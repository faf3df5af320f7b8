//! The `partnerops` command: serve the product, migrate, load the demo, manage users and
//! API tokens. Each command resolves its settings (see [`config`]), opens the store, and
//! calls the same store functions the API uses.

mod backup;
mod config;
mod export;
mod import;
mod mapping;
mod payouts;
mod policy;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use partnerops_core::user::{NewTokenInput, NewUserInput};
use partnerops_seed::SeedSpec;
use partnerops_seed::scale::ScaleSpec;
use partnerops_store::file::FileStore;
use partnerops_store::{Actor, Store};
use partnerops_web::WebOptions;

use crate::config::{
    DEFAULT_DATABASE_URL, DEFAULT_DEMO_DATABASE_URL, FileConfig, Overrides, Settings,
};

#[derive(Parser)]
#[command(
    name = "partnerops",
    version,
    about = "Self-hosted partner relationship management"
)]
struct Cli {
    /// A TOML config file (default: ./partnerops.toml if present).
    #[arg(long, global = true, env = "PARTNEROPS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Db {
    /// sqlite://path or postgres://user@host/db
    #[arg(long, env = "PARTNEROPS_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args, Clone)]
struct Listen {
    /// Address to listen on, HOST:PORT.
    #[arg(long, env = "PARTNEROPS_ADDR")]
    addr: Option<String>,
    /// Serve Prometheus /metrics on this separate address, HOST:PORT (off unless set).
    #[arg(long, env = "PARTNEROPS_METRICS_ADDR")]
    metrics_addr: Option<String>,
    /// Reverse proxies whose X-Forwarded-For names the client: IPs or CIDRs, comma-separated.
    #[arg(long, env = "PARTNEROPS_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Option<Vec<String>>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and web UI (migrating the database first).
    Serve {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        listen: Listen,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: Db,
    },
    /// Seed a demo program (or reuse an already seeded database) and serve it.
    Demo {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        listen: Listen,
        /// Seed of the deterministic data generator.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of partners to generate.
        #[arg(long, default_value_t = 60)]
        partners: usize,
        /// Number of end-customer accounts to generate.
        #[arg(long, default_value_t = 5000)]
        accounts: usize,
        /// Seed and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// A large vendor's size: the demo program (60 partners, 5,000 accounts, every
        /// capability's records), then partners, accounts and registrations added in bulk
        /// up to --partners, --accounts and --registrations in total (bench/scale.sh).
        #[arg(long)]
        scale: bool,
        /// With --scale: deal registrations to add, each on its own account.
        #[arg(long, default_value_t = 1_000_000, requires = "scale")]
        registrations: usize,
        /// With --scale: published directory listings to add in bulk, to the active
        /// partners in turn, with their facets (bench/directory.sh).
        #[arg(long, default_value_t = 0, requires = "scale")]
        listings: usize,
        /// With --scale: customers' reviews to add in bulk to those listings.
        #[arg(long, default_value_t = 0, requires = "scale")]
        reviews: usize,
    },
    /// Write any list of the API as CSV (every row, the list's filters, the user's scope),
    /// e.g. `partnerops export accounts --user admin@vendor.example --query country=US`.
    Export {
        #[command(flatten)]
        db: Db,
        /// The list: its path under /api/v1/ (accounts, partners, registrations,
        /// opportunities, partners/ptr_…/users, …).
        list: String,
        /// The e-mail address of the user whose view of the list is exported (a partner
        /// user exports only its partner's rows).
        #[arg(long)]
        user: String,
        /// The list's filters and sort as a query string, e.g. "status=approved&sort=-created_at".
        #[arg(long)]
        query: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Scheduled work (expiry, follow-up SLA, conflict escalation, notifications and e-mail).
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// What is due for one user in the next 30 days, overdue first (the list of their home
    /// page), as text or as the iCalendar of their feed.
    Cadence {
        #[command(flatten)]
        db: Db,
        /// The user's e-mail address.
        #[arg(long)]
        user: String,
        /// An RFC 3339 time to read the list as of, e.g. 2027-03-01T09:00:00Z.
        #[arg(long)]
        as_of: Option<String>,
        /// Print iCalendar (RFC 5545) instead of text.
        #[arg(long)]
        ics: bool,
        /// Every partner's items, also for a channel manager who looks after some.
        #[arg(long)]
        everyone: bool,
    },
    /// Program policy documents: validate, show, compare, publish, simulate; the fit model.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Write a consistent copy of a SQLite database while it serves (PostgreSQL: pg_dump).
    Backup {
        #[command(flatten)]
        db: Db,
        /// The new file to write (never overwritten).
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup in place of a SQLite database; stop the server first.
    Restore {
        #[command(flatten)]
        db: Db,
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database file.
        #[arg(long)]
        force: bool,
    },
    /// Print the effective configuration (file, environment and flags over the defaults),
    /// secrets redacted, each key with its default.
    Config {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        listen: Listen,
    },
    /// Import a CSV file (accounts, partners, contacts, opportunities, registrations,
    /// touchpoints, fx_rates) from a Salesforce report or Data
    /// Loader export, a HubSpot export or our own export: all or nothing, idempotent by the
    /// source's record ids. Prints the suggested column mapping unless confirmed.
    Import {
        #[command(flatten)]
        db: Db,
        /// `KIND FILE`, or `FILE` with `--kind`: the kind is accounts, partners, contacts,
        /// opportunities, registrations, touchpoints or fx_rates.
        #[arg(required = true, num_args = 1..=2, value_names = ["KIND", "FILE"])]
        args: Vec<String>,
        /// What the file holds (instead of the first argument).
        #[arg(long)]
        kind: Option<String>,
        /// salesforce-report, salesforce-dataloader, hubspot or partnerops (default: guessed
        /// from the header).
        #[arg(long)]
        source: Option<String>,
        /// The column mapping, `field=Column,field=Column` (default: the suggested one,
        /// with --yes).
        #[arg(long)]
        mapping: Option<String>,
        /// Check every row and report every error; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Confirm the suggested mapping.
        #[arg(long)]
        yes: bool,
        /// Act as this user (an e-mail address; default: the system, as an administrator).
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Account mapping: upload a partner's CRM export into its mapping partnership.
    Mapping {
        #[command(subcommand)]
        command: MappingCommand,
    },
    /// Commission lines and statements: accrue, draw up, export for accounts payable.
    Payouts {
        #[command(subcommand)]
        command: PayoutsCommand,
    },
    /// Print the API's OpenAPI document (JSON), as a server with the default rate limits
    /// serves it at /api/v1/openapi.json; refreshes `crates/client/openapi.json`.
    Openapi,
}

#[derive(Subcommand)]
enum MappingCommand {
    /// Upload a partner's accounts (a Salesforce report, a HubSpot export or our own) into
    /// its live mapping partnership and match them: all rows or none, every error by row
    /// and column; a progress bar over the file. Prints the suggested column mapping
    /// unless confirmed.
    Upload {
        #[command(flatten)]
        db: Db,
        /// The partner: its id (ptr_…) or its exact name, ignoring case.
        #[arg(long)]
        partner: String,
        /// The CSV file.
        file: PathBuf,
        /// salesforce-report, salesforce-dataloader, hubspot or partnerops (default: guessed
        /// from the header).
        #[arg(long)]
        source: Option<String>,
        /// The column mapping, `field=Column,field=Column` (fields: external_id, name,
        /// web_domain, country, population; default: the suggested one, with --yes).
        #[arg(long)]
        mapping: Option<String>,
        /// customer, open_opportunity or prospect: the population of rows without a type
        /// (default: prospect).
        #[arg(long)]
        population: Option<String>,
        /// Add the rows to the current upload (only they are matched) instead of replacing it.
        #[arg(long)]
        append: bool,
        /// Check every row and report every error; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Confirm the suggested mapping.
        #[arg(long)]
        yes: bool,
        /// Act as this user (an e-mail address; default: the system, as an administrator).
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

#[derive(Subcommand)]
enum PayoutsCommand {
    /// Accrue the commission lines of every close, reopen, renewal, expansion and
    /// cancellation not yet handled (the `payouts.accrue` job does this each minute).
    Accrue {
        #[command(flatten)]
        db: Db,
    },
    /// Draw up the statements of a period for every partner with open lines (the
    /// `payouts.statements` job does this daily for the last period that ended).
    Statements {
        #[command(flatten)]
        db: Db,
        /// Any day of the period, YYYY-MM-DD (default: the last period that ended).
        #[arg(long)]
        period_of: Option<String>,
        /// An RFC 3339 time to run as of.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Print a period's approved statements as CSV for the accounts-payable system.
    Export {
        #[command(flatten)]
        db: Db,
        /// The period, e.g. 2026-Q4 or 2026-11.
        #[arg(long)]
        period: String,
    },
}

/// A program, by id or by exact name.
#[derive(Args, Clone)]
struct ProgramArg {
    /// The program: its id (prg_…) or its exact name, ignoring case.
    #[arg(long)]
    program: String,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Check a policy document without a database: prints `FILE: valid` and any warnings,
    /// or every problem as `FILE: KEY: message` and exits non-zero.
    Validate {
        /// The TOML document.
        file: PathBuf,
    },
    /// Print the document of the version in force (or of --version) with a header comment.
    Show {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        program: ProgramArg,
        /// A published version number.
        #[arg(long)]
        version: Option<i64>,
    },
    /// List the published versions, newest first.
    History {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        program: ProgramArg,
    },
    /// What changed between two versions (default: the one before the version in force,
    /// and the version in force).
    Diff {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        program: ProgramArg,
        #[arg(long)]
        from: Option<i64>,
        #[arg(long)]
        to: Option<i64>,
    },
    /// Publish a document as the program's next version.
    Publish {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        program: ProgramArg,
        /// The TOML document.
        file: PathBuf,
        /// Why the policy changes (kept with the version).
        #[arg(long)]
        note: String,
    },
    /// Replay the program's recorded history under a draft and list every outcome that
    /// would change against the policy in force. Writes nothing.
    Simulate {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        program: ProgramArg,
        /// The draft TOML document.
        file: PathBuf,
        /// Replay as of this RFC 3339 time, e.g. 2027-03-01T09:00:00Z (default: now).
        #[arg(long)]
        as_of: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the fit model applications to the program are scored with: method, reason,
    /// labelled partners and held-out AUC.
    Fit {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        program: ProgramArg,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run every job due at a time (default: now) and print what changed. With --as-of the
    /// rules are applied as of that time, so time-driven rules can be exercised at once.
    RunDue {
        #[command(flatten)]
        db: Db,
        /// An RFC 3339 time, e.g. 2027-03-01T09:00:00Z.
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password, if any, is read from standard input.
    Create {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        new: NewUserArgs,
        /// Read a password (one line) from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// The new user's fields.
#[derive(Args)]
struct NewUserArgs {
    #[arg(long)]
    email: String,
    /// Display name.
    #[arg(long)]
    name: String,
    /// admin, channel_manager, direct_sales, marketing_finance, partner_admin or partner_rep.
    #[arg(long)]
    role: String,
    /// The partner of a partner user.
    #[arg(long)]
    partner_id: Option<String>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print its secret (only the secret, on stdout).
    Create {
        #[command(flatten)]
        db: Db,
        /// The user's e-mail address.
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
        /// What it may reach, repeatable: `registration:read`, `pipeline:write`, `*:read`,
        /// `*` (default: `*`, everything the user's role allows).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// When it expires: an RFC 3339 time, a date (YYYY-MM-DD), a number of days (30d),
        /// or `never` (operators only); default 90 days, at most 365.
        #[arg(long)]
        expires: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        #[command(flatten)]
        db: Db,
        /// The token id (tok_…).
        id: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        // The command printed what was wrong already.
        Err(e) if e.is::<policy::Reported>() => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("Error: {e:?}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let cli = Cli::parse();
    let file = FileConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { db, listen } => cmd_serve(&file, &db, &listen).await,
        Command::Migrate { db } => cmd_migrate(&file, &db).await,
        Command::Demo {
            db,
            listen,
            seed,
            partners,
            accounts,
            no_serve,
            scale,
            registrations,
            listings,
            reviews,
        } => {
            let scale = scale.then_some(ScaleSpec {
                seed,
                partners,
                accounts,
                registrations,
            });
            // At scale the demo program keeps its own size; the bulk rows add the rest.
            let spec = if scale.is_some() {
                SeedSpec {
                    seed,
                    ..SeedSpec::demo()
                }
            } else {
                SeedSpec {
                    seed,
                    partners,
                    accounts,
                }
            };
            let directory = (listings, reviews);
            cmd_demo(
                &file,
                &db,
                &listen,
                &spec,
                scale.as_ref(),
                directory,
                no_serve,
            )
            .await
        }
        Command::User {
            command:
                UserCommand::Create {
                    db,
                    new,
                    password_stdin,
                },
        } => cmd_user_create(&file, &db, new, password_stdin).await,
        Command::Token {
            command:
                TokenCommand::Create {
                    db,
                    user,
                    name,
                    scopes,
                    expires,
                },
        } => {
            let input = NewTokenInput {
                name: Some(name),
                scopes: (!scopes.is_empty()).then_some(scopes),
                expires_at: expires,
                user_id: None,
            };
            cmd_token_create(&file, &db, &user, input).await
        }
        Command::Token {
            command: TokenCommand::Revoke { db, id },
        } => cmd_token_revoke(&file, &db, &id).await,
        Command::Jobs {
            command: JobsCommand::RunDue { db, as_of },
        } => cmd_run_due(&file, &db, as_of).await,
        Command::Cadence {
            db,
            user,
            as_of,
            ics,
            everyone,
        } => cmd_cadence(&file, &db, &user, as_of, ics, everyone).await,
        Command::Export {
            db,
            list,
            user,
            query,
            output,
        } => {
            export::export(
                open_quietly(&file, &db).await?,
                &user,
                &list,
                query.as_deref(),
                output.as_deref(),
            )
            .await
        }
        Command::Policy { command } => run_policy(&file, command).await,
        Command::Payouts { command } => run_payouts(&file, command).await,
        Command::Mapping {
            command:
                MappingCommand::Upload {
                    db,
                    partner,
                    file: path,
                    source,
                    mapping,
                    population,
                    append,
                    dry_run,
                    yes,
                    as_user,
                },
        } => {
            let store = open_quietly(&file, &db).await?;
            let actor = actor_as(&store, as_user, "partnerops mapping upload").await?;
            let args = mapping::UploadArgs {
                partner: &partner,
                file: &path,
                source: source.as_deref(),
                mapping: mapping.as_deref(),
                population: population.as_deref(),
                append,
                dry_run,
                yes,
            };
            mapping::upload(&store, &actor, args).await.map_err(|e| {
                match e.downcast::<partnerops_store::StoreError>() {
                    Ok(store) => explain(store),
                    Err(other) => other,
                }
            })
        }
        Command::Import {
            db,
            args: words,
            kind,
            source,
            mapping,
            dry_run,
            yes,
            as_user,
        } => {
            let (kind, path) = match (kind, words.as_slice()) {
                (Some(kind), [file]) => (kind, PathBuf::from(file)),
                (None, [kind, file]) => (kind.clone(), PathBuf::from(file)),
                _ => anyhow::bail!(
                    "give the kind and the file: `partnerops import <kind> <file>` or `partnerops import --kind <kind> <file>`"
                ),
            };
            let store = open_quietly(&file, &db).await?;
            let actor = actor_as(&store, as_user, "partnerops import").await?;
            let args = import::ImportArgs {
                kind: &kind,
                file: &path,
                source: source.as_deref(),
                mapping: mapping.as_deref(),
                dry_run,
                yes,
            };
            import::run(&store, &actor, args).await.map_err(|e| match e
                .downcast::<partnerops_store::StoreError>()
            {
                Ok(store) => explain(store),
                Err(other) => other,
            })
        }
        Command::Backup { db, to } => backup::backup(&open_quietly(&file, &db).await?, &to)
            .await
            .map_err(|e| match e.downcast::<partnerops_store::StoreError>() {
                Ok(store) => explain(store),
                Err(other) => other,
            }),
        Command::Restore { db, from, force } => {
            let overrides = Overrides {
                database_url: db.database_url.as_deref(),
                ..Overrides::default()
            };
            let settings = Settings::resolve(&file, &overrides, DEFAULT_DATABASE_URL)?;
            backup::restore(&from, settings.database_url.expose(), force).await
        }
        Command::Openapi => print_out(&openapi_text()?),
        Command::Config { db, listen } => {
            let settings = serving_settings(&file, &db, &listen, DEFAULT_DATABASE_URL)?;
            print_out(&settings.describe())
        }
    }
}

/// The settings of a command that serves: database, listeners and proxies.
fn serving_settings(
    file: &FileConfig,
    db: &Db,
    listen: &Listen,
    default_db: &str,
) -> Result<Settings> {
    Settings::resolve(
        file,
        &Overrides {
            database_url: db.database_url.as_deref(),
            addr: listen.addr.as_deref(),
            metrics_addr: listen.metrics_addr.as_deref(),
            trusted_proxies: listen.trusted_proxies.as_deref(),
        },
        default_db,
    )
}

async fn cmd_serve(file: &FileConfig, db: &Db, listen: &Listen) -> Result<()> {
    let settings = serving_settings(file, db, listen, DEFAULT_DATABASE_URL)?;
    init_logging(&settings.log);
    let store = open(&settings).await?;
    serve(store, &settings).await
}

async fn cmd_migrate(file: &FileConfig, db: &Db) -> Result<()> {
    let overrides = Overrides {
        database_url: db.database_url.as_deref(),
        ..Overrides::default()
    };
    let settings = Settings::resolve(file, &overrides, DEFAULT_DATABASE_URL)?;
    init_logging(&settings.log);
    let store = Store::connect(settings.database_url.expose())
        .await
        .with_context(|| format!("connecting to {}", settings.database_url))?;
    let applied = store.migrate().await?;
    println!(
        "{} migration(s) applied to {}",
        applied.len(),
        settings.database_url
    );
    Ok(())
}

async fn cmd_demo(
    file: &FileConfig,
    db: &Db,
    listen: &Listen,
    spec: &SeedSpec,
    scale: Option<&ScaleSpec>,
    (listings, reviews): (usize, usize),
    no_serve: bool,
) -> Result<()> {
    let settings = serving_settings(file, db, listen, DEFAULT_DEMO_DATABASE_URL)?;
    init_logging(&settings.log);
    let store = open(&settings).await?;
    if partnerops_seed::is_seeded(&store).await? {
        println!("Reusing the demo data already in {}", settings.database_url);
    } else {
        println!(
            "Seeding {} partners and {} accounts into {} …",
            spec.partners, spec.accounts, settings.database_url
        );
        let report = partnerops_seed::seed(&store, spec).await?;
        println!(
            "Seeded {} programs, {} partners, {} accounts, {} registrations, {} opportunities \
             with {} touchpoints, {} currency rates, {} users, {} deal rooms, {} joint \
             business plans, {} commission lines on {} payout statements.",
            report.programs,
            report.partners,
            report.accounts,
            report.registrations,
            report.opportunities,
            report.touchpoints,
            report.fx_rates,
            report.users,
            report.rooms,
            report.business_plans,
            report.commission_lines,
            report.statements
        );
        if let Some(scale) = scale {
            println!(
                "Adding partners, accounts and registrations in bulk up to {} partners, {} \
                 accounts and {} registrations …",
                scale.partners, scale.accounts, scale.registrations
            );
            let started = std::time::Instant::now();
            let grown =
                partnerops_seed::scale::grow(&store, scale, report.partners, report.accounts)
                    .await?;
            println!(
                "Added {} partners, {} accounts, {} registrations with {} activities in {:.1} s.",
                grown.partners,
                grown.accounts,
                grown.registrations,
                grown.activities,
                started.elapsed().as_secs_f64()
            );
            if listings > 0 {
                let started = std::time::Instant::now();
                let dir =
                    partnerops_seed::scale::grow_directory(&store, scale.seed, listings, reviews)
                        .await?;
                println!(
                    "Added {} directory listings ({} integrations, {} verified) and {} reviews \
                     ({} hidden) in {:.1} s.",
                    dir.listings,
                    dir.integrations,
                    dir.verified,
                    dir.reviews,
                    dir.hidden_reviews,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    print_demo_logins(spec);
    if no_serve {
        return Ok(());
    }
    serve(store, &settings).await
}

fn print_demo_logins(spec: &SeedSpec) {
    println!(
        "\nDemo logins (password for all: {}):",
        partnerops_seed::DEMO_PASSWORD
    );
    for login in partnerops_seed::demo_logins(spec) {
        let whose = login
            .partner_name
            .map(|p| format!(" at {p}"))
            .unwrap_or_default();
        println!("  {:<40} {}{}", login.email, login.role.label(), whose);
    }
}

async fn cmd_user_create(
    file: &FileConfig,
    db: &Db,
    new: NewUserArgs,
    password_stdin: bool,
) -> Result<()> {
    let store = open_quietly(file, db).await?;
    let password = if password_stdin {
        Some(read_line_stdin()?)
    } else {
        None
    };
    let input = NewUserInput {
        email: Some(new.email),
        display_name: Some(new.name),
        role: Some(new.role),
        partner_id: new.partner_id,
        password,
    };
    let user = store
        .create_user(&Actor::system("cli"), &input)
        .await
        .map_err(explain)?;
    println!(
        "created user {} ({}, {})",
        user.id,
        user.email,
        user.role.label()
    );
    Ok(())
}

async fn cmd_token_create(
    file: &FileConfig,
    db: &Db,
    user: &str,
    input: NewTokenInput,
) -> Result<()> {
    let store = open_quietly(file, db).await?;
    let owner = store
        .user_by_email(&partnerops_core::scope::Scope::Vendor, user)
        .await
        .map_err(explain)?;
    let (token, secret) = store
        .create_token(&Actor::system("cli"), &owner.id, &input)
        .await
        .map_err(explain)?;
    let scopes: Vec<String> = token.scopes.iter().map(ToString::to_string).collect();
    // On stderr, so stdout stays the secret alone.
    eprintln!(
        "token {} for {user}: scopes {}, expires {}",
        token.id,
        scopes.join(" "),
        token
            .expires_at
            .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339())
    );
    println!("{secret}");
    Ok(())
}

async fn cmd_token_revoke(file: &FileConfig, db: &Db, id: &str) -> Result<()> {
    let store = open_quietly(file, db).await?;
    let token = store
        .revoke_token(&Actor::system("cli"), id)
        .await
        .map_err(explain)?;
    println!("revoked token {} ({})", token.id, token.name);
    Ok(())
}

async fn cmd_run_due(file: &FileConfig, db: &Db, as_of: Option<String>) -> Result<()> {
    let store = with_as_of(open_quietly(file, db).await?, as_of)?;
    let report = store.run_due().await.map_err(explain)?;
    println!("as of {}:", store.now().to_rfc3339());
    for line in report.to_string().lines() {
        println!("  {line}");
    }
    Ok(())
}

async fn cmd_cadence(
    file: &FileConfig,
    db: &Db,
    user: &str,
    as_of: Option<String>,
    ics: bool,
    everyone: bool,
) -> Result<()> {
    let store = with_as_of(open_quietly(file, db).await?, as_of)?;
    let owner = store
        .user_by_email(&partnerops_core::scope::Scope::Vendor, user)
        .await
        .map_err(explain)?;
    let principal = store
        .principal_of(&owner.id.to_string())
        .await
        .map_err(explain)?;
    let agenda = store.cadence(&principal, everyone).await.map_err(explain)?;
    let items: Vec<_> = agenda.overdue.iter().chain(&agenda.upcoming).collect();
    let text = if ics {
        let owned: Vec<_> = items.into_iter().cloned().collect();
        partnerops_core::cadence::ical::feed(
            &principal.display_name,
            &owned,
            store.now(),
            &store.notify_settings().public_url,
        )
    } else {
        let mut out = format!(
            "due for {} from {} to {}: {} overdue, {} upcoming{}\n",
            principal.display_name,
            agenda.today,
            agenda.until,
            agenda.overdue.len(),
            agenda.upcoming.len(),
            if agenda.my_partners_only {
                " (the partners they look after; --everyone for all)"
            } else {
                ""
            }
        );
        for i in items {
            let when = if i.overdue {
                format!("{} overdue {}d", i.item.due_on, -i.days_left)
            } else {
                i.item.due_on.to_string()
            };
            let partner = i
                .item
                .partner_name
                .as_deref()
                .map(|p| format!(" [{p}]"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {when:<22} {:<20} {}{partner}  {}\n",
                i.item.kind.as_str(),
                i.item.title,
                i.link
            ));
        }
        out
    };
    print_out(&text)
}

/// The OpenAPI document pretty-printed, with a final newline: the text of the committed
/// copy the Rust client is generated from, so a refresh shows only real changes in a diff.
fn openapi_text() -> Result<String> {
    let mut text = serde_json::to_string_pretty(&partnerops_web::openapi())?;
    text.push('\n');
    Ok(text)
}

/// Writes to standard output; a reader that stopped reading (`| head`) is not an error.
fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

async fn run_payouts(file: &FileConfig, command: PayoutsCommand) -> Result<()> {
    match command {
        PayoutsCommand::Accrue { db } => payouts::accrue(&open_quietly(file, &db).await?).await,
        PayoutsCommand::Statements {
            db,
            period_of,
            as_of,
        } => {
            let store = with_as_of(open_quietly(file, &db).await?, as_of)?;
            payouts::statements(&store, period_of).await
        }
        PayoutsCommand::Export { db, period } => {
            payouts::export(&open_quietly(file, &db).await?, &period).await
        }
    }
    .map_err(|e| match e.downcast::<partnerops_store::StoreError>() {
        Ok(store) => explain(store),
        Err(other) => other,
    })
}

async fn run_policy(file: &FileConfig, command: PolicyCommand) -> Result<()> {
    match command {
        PolicyCommand::Validate { file } => policy::validate(&file),
        PolicyCommand::Show {
            db,
            program,
            version,
        } => {
            let store = open_quietly(file, &db).await?;
            let program = policy::resolve_program(&store, &program.program).await?;
            policy::show(&store, &program, version).await
        }
        PolicyCommand::History { db, program } => {
            let store = open_quietly(file, &db).await?;
            let program = policy::resolve_program(&store, &program.program).await?;
            policy::history(&store, &program).await
        }
        PolicyCommand::Diff {
            db,
            program,
            from,
            to,
        } => {
            let store = open_quietly(file, &db).await?;
            let program = policy::resolve_program(&store, &program.program).await?;
            policy::diff(&store, &program, from, to).await
        }
        PolicyCommand::Publish {
            db,
            program,
            file: document,
            note,
        } => {
            let store = open_quietly(file, &db).await?;
            let program = policy::resolve_program(&store, &program.program).await?;
            policy::publish(&store, &program, &document, &note).await
        }
        PolicyCommand::Simulate {
            db,
            program,
            file: document,
            as_of,
            json,
        } => {
            let store = with_as_of(open_quietly(file, &db).await?, as_of)?;
            let program = policy::resolve_program(&store, &program.program).await?;
            policy::simulate(&store, &program, &document, json).await
        }
        PolicyCommand::Fit { db, program } => {
            let store = open_quietly(file, &db).await?;
            let program = policy::resolve_program(&store, &program.program).await?;
            policy::fit(&store, &program).await
        }
    }
}

/// The store with its clock fixed at `--as-of`, if given, so time-driven rules are applied
/// as of that time.
fn with_as_of(store: Store, as_of: Option<String>) -> Result<Store> {
    let Some(raw) = as_of else {
        return Ok(store);
    };
    let at = chrono::DateTime::parse_from_rfc3339(&raw)
        .with_context(|| {
            format!("--as-of must be an RFC 3339 time like 2027-03-01T09:00:00Z (got {raw})")
        })?
        .with_timezone(&chrono::Utc);
    Ok(store.with_clock(std::sync::Arc::new(move || at)))
}

/// For one-shot commands: the store at the configured database, with only warnings logged
/// so that stdout stays clean for scripts (`token create` prints only the secret).
async fn open_quietly(file: &FileConfig, db: &Db) -> Result<Store> {
    let overrides = Overrides {
        database_url: db.database_url.as_deref(),
        ..Overrides::default()
    };
    let settings = Settings::resolve(file, &overrides, DEFAULT_DATABASE_URL)?;
    init_logging("warn");
    open(&settings).await
}

/// Connects and migrates; notifications use the configured SMTP server and public address.
async fn open(settings: &Settings) -> Result<Store> {
    let store = Store::open(settings.database_url.expose())
        .await
        .with_context(|| format!("opening database {}", settings.database_url))?;
    let files = FileStore::open(&settings.files)
        .with_context(|| format!("opening the file store ({:?})", settings.files))?;
    tracing::info!(files = files.describe(), "file store");
    Ok(store
        .with_notify(settings.notify.clone())
        .with_files(files)
        .with_webhooks(settings.webhooks.clone()))
}

async fn serve(store: Store, settings: &Settings) -> Result<()> {
    let app = partnerops_web::app(
        store.clone(),
        WebOptions {
            secure_cookies: settings.secure_cookies,
            trusted_proxies: settings.trusted_proxies.clone(),
            rate_limits: settings.rate_limits,
        },
    );
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("listening on {}", settings.addr))?;
    let local = listener.local_addr()?;
    let metrics = match settings.metrics_addr {
        Some(addr) => Some(serve_metrics(addr).await?),
        None => None,
    };
    tokio::spawn(scheduler(store.clone()));
    tokio::spawn(webhook_worker(store.clone()));
    tracing::info!(addr = %local, database = %settings.database_url, backend = ?store.backend(), "serving");
    println!("\npartnerops is serving on http://{local}/  (Ctrl-C to stop)");
    partnerops_web::serve(listener, app, shutdown_signal()).await?;
    // Scrapes need no graceful finish: the metrics listener stops with the application.
    if let Some(task) = metrics {
        task.abort();
    }
    store.close().await;
    Ok(())
}

/// Binds the metrics listener, which serves only `/metrics`, and serves it in the background.
async fn serve_metrics(addr: std::net::SocketAddr) -> Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening for metrics on {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!(addr = %local, "serving metrics");
    Ok(tokio::spawn(async move {
        let app = partnerops_web::metrics_app();
        if let Err(e) = partnerops_web::serve(listener, app, std::future::pending()).await {
            tracing::error!(error = %e, "metrics listener failed");
        }
    }))
}

/// Runs due jobs every minute. Every instance runs this; the job table makes each due job
/// run once across them.
async fn scheduler(store: Store) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        match store.run_scheduled().await {
            Ok(report) if !report.is_empty() => {
                for run in &report.runs {
                    tracing::info!("due job {}: {}", run.kind, run.report);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "running due jobs failed"),
        }
    }
}

/// Fans new events out to webhook subscriptions and sends what is due, every 2 seconds
/// (the first retry comes 5 seconds after a failure). Every instance runs it; leases make
/// each delivery go out from one instance at a time.
async fn webhook_worker(store: Store) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match store.deliver_webhooks().await {
            Ok(r) if r.delivered + r.retrying + r.failed > 0 => {
                tracing::info!(
                    delivered = r.delivered,
                    retrying = r.retrying,
                    failed = r.failed,
                    disabled = r.disabled,
                    "webhooks"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "delivering webhooks failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// Logs go to standard error, coloured only when that is a terminal (and `NO_COLOR` is not
/// set), so `partnerops demo > log 2>&1` writes plain text without escape codes.
fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}

fn read_line_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let line = line.trim_end_matches(['\n', '\r']).to_owned();
    if line.is_empty() {
        bail!("--password-stdin was given but standard input was empty");
    }
    Ok(line)
}

/// Store errors as a readable message for the terminal.
/// The user named by `--as` (an e-mail address), or the system as `label`.
async fn actor_as(store: &Store, as_user: Option<String>, label: &str) -> Result<Actor> {
    Ok(match as_user {
        Some(email) => {
            let user = store
                .user_by_email(&partnerops_core::scope::Scope::Vendor, &email)
                .await
                .map_err(explain)?;
            Actor::User(
                store
                    .principal_of(&user.id.to_string())
                    .await
                    .map_err(explain)?,
            )
        }
        None => Actor::system(label),
    })
}

fn explain(e: partnerops_store::StoreError) -> anyhow::Error {
    match e {
        partnerops_store::StoreError::Invalid(inv) => {
            let lines: Vec<String> = inv
                .errors
                .iter()
                .map(|e| format!("  {}: {} (rule {})", e.field, e.message, e.rule))
                .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!(other),
    }
}
