//! The measuring half of `bench/payouts.sh`: the store's payout accrual and economics what-if
//! on a pre-filled database, and the raw SQL baselines they are compared with, each printing
//! one machine-readable line on stdout.
//!
//! - `accrue`: `Store::accrue_payouts` once, over every close the outbox holds (what the
//!   `payouts.accrue` job does); progress (events handled) every 30 s on stderr.
//!   `RESULT accrue events=… deals=… lines=… nothing=… seconds=… rate=…`
//! - `baseline-insert`: one `INSERT … SELECT` writing a commission-line row for every won
//!   partner opportunity into a scratch table with `commission_lines`' columns and indexes
//!   (created, filled, dropped), through sqlx with the server's connection settings.
//!   `RESULT baseline-insert rows=… seconds=… rate=…`
//! - `whatif`: `Store::simulate_economics` for the program named by `--program` over
//!   `--months` months, with a draft raising every tier's resale margin by 5 points,
//!   `--runs` times. `RESULT whatif run=… deals=… current_minor=… draft_minor=… seconds=…`
//! - `baseline-select`: the what-if's deal rows (`payout_deals` of the program closed in the
//!   window) read into memory with sqlx, `--runs` times.
//!   `RESULT baseline-select run=… rows=… seconds=…`
//!
//! - `baseline-statement`: 20,000 point reads by primary key (`SELECT name FROM partners
//!   WHERE id = $1`), one after the other, through sqlx: what one statement costs the
//!   accrual, which runs several per close.
//!   `RESULT baseline-statement statements=… seconds=… us_per_statement=…`
//!
//! ```text
//! cargo build --release -p partnerops-store --example payout_bench
//! target/release/examples/payout_bench accrue --database-url sqlite:///tmp/x.sqlite
//! ```

use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{Months, Utc};
use partnerops_core::scope::Scope;
use partnerops_store::Store;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, PgPool, Row, SqlitePool};

const USAGE: &str = "usage: payout_bench accrue|baseline-insert|whatif|baseline-select|baseline-statement --database-url URL [--program NAME] [--months 12] [--runs 3]";

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Opts {
    command: String,
    url: String,
    program: String,
    months: u32,
    runs: usize,
}

fn parse_args() -> Result<Opts, Error> {
    let mut args = std::env::args().skip(1);
    let command = args.next().ok_or(USAGE)?;
    let mut url = None;
    let mut program = "Reseller Program".to_owned();
    let mut months = 12;
    let mut runs = 3;
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--database-url" => url = Some(value()?),
            "--program" => program = value()?,
            "--months" => months = value()?.parse()?,
            "--runs" => runs = value()?.parse()?,
            other => return Err(format!("unknown argument {other}\n{USAGE}").into()),
        }
    }
    Ok(Opts {
        command,
        url: url.ok_or(USAGE)?,
        program,
        months,
        runs: runs.max(1),
    })
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A pool with the server's settings (the store's `db::connect`).
async fn connect(url: &str) -> Result<Pool, Error> {
    if url.starts_with("sqlite:") {
        let opts = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        Ok(Pool::Sqlite(
            SqlitePoolOptions::new()
                .max_connections(2)
                .connect_with(opts)
                .await?,
        ))
    } else {
        Ok(Pool::Postgres(
            PgPoolOptions::new().max_connections(2).connect(url).await?,
        ))
    }
}

impl Pool {
    async fn execute(&self, sql: &str) -> Result<u64, Error> {
        Ok(match self {
            Pool::Sqlite(p) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(p)
                .await?
                .rows_affected(),
            Pool::Postgres(p) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(p)
                .await?
                .rows_affected(),
        })
    }

    async fn count(&self, sql: &str) -> Result<i64, Error> {
        Ok(match self {
            Pool::Sqlite(p) => {
                sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_one(p)
                    .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_one(p)
                    .await?
            }
        })
    }

    async fn program_id(&self, name: &str) -> Result<String, Error> {
        let sql = "SELECT id FROM programs WHERE name = $1 AND archived_at IS NULL";
        let id: Option<String> = match self {
            Pool::Sqlite(p) => sqlx::query_scalar(sql).bind(name).fetch_optional(p).await?,
            Pool::Postgres(p) => sqlx::query_scalar(sql).bind(name).fetch_optional(p).await?,
        };
        id.ok_or_else(|| format!("no program named {name}").into())
    }
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("payout_bench: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Error> {
    let o = parse_args()?;
    match o.command.as_str() {
        "accrue" => accrue(&o).await,
        "baseline-insert" => baseline_insert(&o).await,
        "whatif" => whatif(&o).await,
        "baseline-select" => baseline_select(&o).await,
        "baseline-statement" => baseline_statement(&o).await,
        other => Err(format!("unknown command {other}\n{USAGE}").into()),
    }
}

async fn accrue(o: &Opts) -> Result<(), Error> {
    let store = Store::open(&o.url).await?;
    let pool = connect(&o.url).await?;
    let started = Instant::now();
    let progress = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(30)).await;
            let n = pool
                .count("SELECT count(*) FROM outbox_consumed WHERE consumer = 'payouts'")
                .await
                .unwrap_or(-1);
            eprintln!(
                "payout_bench: {n} events handled after {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    });
    let report = store.accrue_payouts().await?;
    let seconds = started.elapsed().as_secs_f64();
    progress.abort();
    println!(
        "RESULT accrue events={} deals={} lines={} nothing={} seconds={seconds:.3} rate={:.1}",
        report.events,
        report.deals,
        report.lines,
        report.nothing,
        report.events as f64 / seconds
    );
    Ok(())
}

/// `commission_lines`' own DDL (table and indexes), renamed to `bench_baseline_lines`.
async fn scratch_ddl(pool: &Pool) -> Result<Vec<String>, Error> {
    Ok(match pool {
        Pool::Sqlite(p) => sqlx::query(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'commission_lines' AND sql IS NOT NULL ORDER BY type DESC",
        )
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| {
            r.get::<String, _>(0)
                .replace("commission_lines", "bench_baseline_lines")
        })
        .collect(),
        Pool::Postgres(_) => vec![
            "CREATE TABLE bench_baseline_lines (LIKE commission_lines INCLUDING ALL)".to_owned(),
        ],
    })
}

async fn baseline_insert(o: &Opts) -> Result<(), Error> {
    let pool = connect(&o.url).await?;
    pool.execute("DROP TABLE IF EXISTS bench_baseline_lines")
        .await?;
    for ddl in scratch_ddl(&pool).await? {
        pool.execute(&ddl).await?;
    }
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%S.000000Z").to_string();
    let created = match pool {
        Pool::Sqlite(_) => format!("'{now}'"),
        Pool::Postgres(_) => format!("TIMESTAMPTZ '{now}'"),
    };
    // One row per won partner deal, of the width the accrual writes (a key, ids, the rule,
    // the amounts, a sentence).
    let sql = format!(
        "INSERT INTO bench_baseline_lines (id, line_key, partner_id, program_id, payout_deal_id, opportunity_id, revenue_event_id, event, event_on, rule, policy_version, base_minor, rate_bp, amount_minor, currency, statement_minor, statement_currency, why, negates_line_id, statement_id, accrued_on, created_at) \
         SELECT 'cln_' || substr(o.id, 5), o.id || ':resale_margin', o.partner_id, o.program_id, NULL, o.id, NULL, 'close', o.closed_on, 'resale_margin', 2, o.amount_minor, 1000, o.amount_minor / 10, o.currency, o.amount_at_close_minor / 10, 'USD', \
                '10% of ' || o.currency || ' ' || o.amount_minor || ' ARR: Resale resale margin on the resale route (policy v2, tier Registered)', NULL, NULL, o.closed_on, {created} \
         FROM opportunities o WHERE o.stage = 'won' AND o.partner_id IS NOT NULL AND o.source <> 'direct'"
    );
    let started = Instant::now();
    let rows = pool.execute(&sql).await?;
    let seconds = started.elapsed().as_secs_f64();
    pool.execute("DROP TABLE bench_baseline_lines").await?;
    println!(
        "RESULT baseline-insert rows={rows} seconds={seconds:.3} rate={:.1}",
        rows as f64 / seconds
    );
    Ok(())
}

async fn whatif(o: &Opts) -> Result<(), Error> {
    let store = Store::open(&o.url).await?;
    let pool = connect(&o.url).await?;
    let program = pool.program_id(&o.program).await?;
    let mut draft = store.program_policy(&Scope::Vendor, &program).await?.policy;
    for t in &mut draft.incentives.tiers {
        t.resale_margin_bp = (t.resale_margin_bp + 500).min(10_000);
    }
    for run in 1..=o.runs {
        let started = Instant::now();
        let r = store
            .simulate_economics(&Scope::Vendor, &program, &draft, o.months)
            .await?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "RESULT whatif run={run} deals={} partners={} current_minor={} draft_minor={} skipped={} seconds={seconds:.3}",
            r.deals,
            r.partners.len(),
            r.current_minor,
            r.draft_minor,
            r.skipped
        );
    }
    Ok(())
}

async fn baseline_select(o: &Opts) -> Result<(), Error> {
    let pool = connect(&o.url).await?;
    let program = pool.program_id(&o.program).await?;
    let today = Utc::now().date_naive();
    let since = today
        .checked_sub_months(Months::new(o.months))
        .unwrap_or(today);
    let sql = "SELECT opportunity_id, partner_id, tier, route, closed_on, amount_minor, currency, rate_to, rate_e8, certified_individuals, jbp_milestone_minor, jbp_won_before_minor FROM payout_deals WHERE reversed_at IS NULL AND program_id = $1 AND closed_on >= $2";
    type Deal = (
        String,
        String,
        String,
        String,
        chrono::NaiveDate,
        i64,
        String,
        String,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
    );
    for run in 1..=o.runs {
        let started = Instant::now();
        let rows: Vec<Deal> = match &pool {
            // SQLite keeps dates as text; compare them as the store binds them.
            Pool::Sqlite(p) => {
                sqlx::query_as(sql)
                    .bind(&program)
                    .bind(since.to_string())
                    .fetch_all(p)
                    .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(sql)
                    .bind(&program)
                    .bind(since)
                    .fetch_all(p)
                    .await?
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "RESULT baseline-select run={run} rows={} seconds={seconds:.3}",
            rows.len()
        );
    }
    Ok(())
}

async fn baseline_statement(o: &Opts) -> Result<(), Error> {
    const STATEMENTS: usize = 20_000;
    let pool = connect(&o.url).await?;
    let ids: Vec<String> = match &pool {
        Pool::Sqlite(p) => {
            sqlx::query_scalar("SELECT id FROM partners ORDER BY id LIMIT 1000")
                .fetch_all(p)
                .await?
        }
        Pool::Postgres(p) => {
            sqlx::query_scalar("SELECT id FROM partners ORDER BY id LIMIT 1000")
                .fetch_all(p)
                .await?
        }
    };
    if ids.is_empty() {
        return Err("no partners".into());
    }
    let sql = "SELECT name FROM partners WHERE id = $1";
    let started = Instant::now();
    for k in 0..STATEMENTS {
        let id = &ids[k % ids.len()];
        let _: Option<String> = match &pool {
            Pool::Sqlite(p) => sqlx::query_scalar(sql).bind(id).fetch_optional(p).await?,
            Pool::Postgres(p) => sqlx::query_scalar(sql).bind(id).fetch_optional(p).await?,
        };
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "RESULT baseline-statement statements={STATEMENTS} seconds={seconds:.3} us_per_statement={:.1}",
        seconds * 1e6 / STATEMENTS as f64
    );
    Ok(())
}
