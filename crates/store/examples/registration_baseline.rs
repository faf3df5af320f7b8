//! The raw baseline of `bench/registrations.sh`: deal registrations written straight to the
//! database with sqlx, without HTTP and without any partnerops code, so the benchmark can
//! say how much of the database's own rate the product keeps.
//!
//! Each of `--workers` tasks (default 8) loops over one transaction of the same shape as a
//! registration for a new company: a fresh account row and a registration row for it.
//!
//! - SQLite: `BEGIN IMMEDIATE`; `INSERT` the account; `SELECT` the account's holding
//!   registration (`status IN ('pending', 'approved')`, the partial unique index
//!   `registrations_one_holder`); `INSERT` the registration; `COMMIT`. The connection
//!   options are the server's (the store's `db::connect`): WAL, `synchronous=NORMAL`, foreign
//!   keys on, a 10 s busy timeout, a pool of 8, so both sides get the same durability.
//! - PostgreSQL: `BEGIN`; `INSERT` the account; `INSERT` the registration
//!   `ON CONFLICT (account_id) WHERE status IN ('pending', 'approved') DO NOTHING`; `COMMIT`
//!   (the server's settings: `synchronous_commit` as configured on the server).
//!
//! It runs `--warmup` seconds unmeasured, then `--duration` seconds measured, and prints one
//! machine-readable line on stdout:
//!
//! ```text
//! RAWRESULT backend=sqlite workers=8 tx=12345 seconds=20.000 rate=617.2 p50_us=... p99_us=... max_us=... conflicts=0 errors=0
//! ```
//!
//! `--one-writer` adds an in-process lock around each transaction, so one writer at a time
//! reaches the database: not part of the baseline, an experiment showing what queueing
//! writers in the process (instead of in SQLite's busy handler) does to the tail latency.
//!
//! `tx` counts committed transactions started within the measured window; latencies are per
//! transaction, from `BEGIN` to the end of `COMMIT`. The rows it writes stay in the
//! database (the benchmark runs on a throw-away copy).
//!
//! ```text
//! cargo build --release -p partnerops-store --example registration_baseline
//! target/release/examples/registration_baseline --database-url sqlite:///tmp/x.sqlite \
//!     --workers 8 --duration 20 --warmup 3
//! ```

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};

const USAGE: &str = "usage: registration_baseline --database-url URL [--workers 8] [--duration SECS] [--warmup SECS] [--tag TEXT] [--one-writer]";

/// Stop a worker after this many failed transactions: something is wrong, not slow.
const MAX_ERRORS: u64 = 100;

const ACCOUNT_INSERT: &str = "INSERT INTO accounts (id, name, web_domain, country, industry, direct_owner_id, status, name_key, name_block, created_at, updated_at) VALUES ($1, $2, $3, 'US', NULL, NULL, 'prospect', $4, $5, $6, $6)";
const HOLDER_CHECK: &str =
    "SELECT id FROM registrations WHERE account_id = $1 AND status IN ('pending', 'approved')";
const REGISTRATION_INSERT: &str = "INSERT INTO registrations (id, program_id, partner_id, account_id, status, title, est_arr_minor, currency, submitted_by, submitted_at, renewals, sla_due_at, policy_version, created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', 'Bench deal', 1500000, 'USD', $5, $6, 0, $7, 1, $6, $6)";
const REGISTRATION_INSERT_PG: &str = "INSERT INTO registrations (id, program_id, partner_id, account_id, status, title, est_arr_minor, currency, submitted_by, submitted_at, renewals, sla_due_at, policy_version, created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', 'Bench deal', 1500000, 'USD', $5, $6, 0, $7, 1, $6, $6) ON CONFLICT (account_id) WHERE status IN ('pending', 'approved') DO NOTHING";
/// The partners that register: active, each with its partner admin as the submitter.
const PARTNERS: &str = "SELECT p.id AS partner_id, p.program_id AS program_id, u.id AS user_id FROM partners p JOIN users u ON u.partner_id = p.id AND u.role = 'partner_admin' AND u.archived_at IS NULL WHERE p.status = 'active' AND p.archived_at IS NULL ORDER BY p.id";

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Opts {
    url: String,
    workers: usize,
    duration: Duration,
    warmup: Duration,
    tag: String,
    /// Take an in-process lock around each transaction, so one writer at a time reaches
    /// SQLite (an experiment: what the server would gain by queueing its writers itself).
    one_writer: bool,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    fn name(&self) -> &'static str {
        match self {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }
}

#[derive(Clone)]
struct PartnerRef {
    partner_id: String,
    program_id: String,
    user_id: String,
}

#[derive(Default)]
struct Stats {
    /// Per-transaction latencies in microseconds, measured window only.
    latencies_us: Vec<u32>,
    conflicts: u64,
    errors: u64,
    first_error: Option<String>,
}

/// Outcome of one transaction.
enum Outcome {
    Registered,
    /// The account was already held (cannot happen with fresh accounts; counted to be sure).
    Held,
}

fn parse_args() -> Result<Opts, Error> {
    let mut url = None;
    let mut workers = 8usize;
    let mut duration = 20.0f64;
    let mut warmup = 3.0f64;
    let mut tag = None;
    let mut one_writer = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--database-url" => url = Some(value()?),
            "--workers" => workers = value()?.parse()?,
            "--duration" => duration = value()?.trim_end_matches('s').parse()?,
            "--warmup" => warmup = value()?.trim_end_matches('s').parse()?,
            "--tag" => tag = Some(value()?),
            "--one-writer" => one_writer = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}").into()),
        }
    }
    let url = url.ok_or(USAGE)?;
    if workers == 0 || duration <= 0.0 || warmup < 0.0 {
        return Err(format!("workers and duration must be positive\n{USAGE}").into());
    }
    // Unique per run, so domains never collide with an earlier run on the same database.
    let tag = tag.unwrap_or_else(|| format!("{:x}", now_nanos() & 0xff_ffff_ffff));
    Ok(Opts {
        url,
        workers,
        duration: Duration::from_secs_f64(duration),
        warmup: Duration::from_secs_f64(warmup),
        tag,
        one_writer,
    })
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// The same pool the server opens (the store's `db::connect`), sized to the workers.
async fn connect(url: &str, workers: usize) -> Result<Pool, Error> {
    let size = u32::try_from(workers)?;
    if url.starts_with("sqlite:") {
        let opts = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(size)
            .min_connections(size)
            .connect_with(opts)
            .await?;
        Ok(Pool::Sqlite(pool))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool = PgPoolOptions::new()
            .max_connections(size)
            .min_connections(size)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(Pool::Postgres(pool))
    } else {
        Err("database URL must start with sqlite:// or postgres://".into())
    }
}

async fn partners(pool: &Pool) -> Result<Vec<PartnerRef>, Error> {
    let rows: Vec<(String, String, String)> = match pool {
        Pool::Sqlite(p) => sqlx::query(PARTNERS)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<_, sqlx::Error>>()?,
        Pool::Postgres(p) => sqlx::query(PARTNERS)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<_, sqlx::Error>>()?,
    };
    Ok(rows
        .into_iter()
        .map(|(partner_id, program_id, user_id)| PartnerRef {
            partner_id,
            program_id,
            user_id,
        })
        .collect())
}

/// xorshift64*: company names only need to be different, not unpredictable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        // n is tiny; the modulo bias is irrelevant here.
        (self.next() % n as u64) as usize
    }
}

const CONSONANTS: &[u8] = b"bcdfghjklmnprstvz";
const VOWELS: &[u8] = b"aeiou";

/// A made-up company name like the pre-fill's ("Kavoru Dime 3f9a2c11"): two pseudo-words
/// whose first two syllables are the name block, and a hex word that keeps it unlike any
/// other name (no near-name match).
fn company_name(rng: &mut Rng) -> String {
    let mut word = |syllables: usize| {
        let mut w = String::new();
        for i in 0..syllables {
            let c = CONSONANTS[rng.below(CONSONANTS.len())] as char;
            w.push(if i == 0 { c.to_ascii_uppercase() } else { c });
            w.push(VOWELS[rng.below(VOWELS.len())] as char);
        }
        w
    };
    let first = word(3);
    let second = word(2);
    format!("{first} {second} {:08x}", rng.next() as u32)
}

/// The server's SQLite timestamp text: fixed-width UTC with microseconds.
fn sqlite_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

struct Work {
    account_id: String,
    name: String,
    name_key: String,
    name_block: String,
    domain: String,
    registration_id: String,
    now: DateTime<Utc>,
}

impl Work {
    fn new(rng: &mut Rng, tag: &str, worker: usize, n: u64) -> Work {
        let name = company_name(rng);
        let name_key = name.to_lowercase();
        let name_block: String = name_key.chars().filter(|c| *c != ' ').take(4).collect();
        Work {
            account_id: new_id("acc"),
            domain: format!("raw-{tag}-{worker}-{n}.example"),
            name,
            name_key,
            name_block,
            registration_id: new_id("reg"),
            now: Utc::now(),
        }
    }
}

async fn one_sqlite(pool: &SqlitePool, p: &PartnerRef, w: &Work) -> Result<Outcome, sqlx::Error> {
    let now = sqlite_time(&w.now);
    let sla_due = sqlite_time(&(w.now + chrono::Duration::days(14)));
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query(ACCOUNT_INSERT)
        .bind(&w.account_id)
        .bind(&w.name)
        .bind(&w.domain)
        .bind(&w.name_key)
        .bind(&w.name_block)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    let held = sqlx::query(HOLDER_CHECK)
        .bind(&w.account_id)
        .fetch_optional(&mut *tx)
        .await?;
    if held.is_some() {
        tx.rollback().await?;
        return Ok(Outcome::Held);
    }
    sqlx::query(REGISTRATION_INSERT)
        .bind(&w.registration_id)
        .bind(&p.program_id)
        .bind(&p.partner_id)
        .bind(&w.account_id)
        .bind(&p.user_id)
        .bind(&now)
        .bind(&sla_due)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Outcome::Registered)
}

async fn one_postgres(pool: &PgPool, p: &PartnerRef, w: &Work) -> Result<Outcome, sqlx::Error> {
    let sla_due = w.now + chrono::Duration::days(14);
    let mut tx = pool.begin().await?;
    sqlx::query(ACCOUNT_INSERT)
        .bind(&w.account_id)
        .bind(&w.name)
        .bind(&w.domain)
        .bind(&w.name_key)
        .bind(&w.name_block)
        .bind(w.now)
        .execute(&mut *tx)
        .await?;
    let inserted = sqlx::query(REGISTRATION_INSERT_PG)
        .bind(&w.registration_id)
        .bind(&p.program_id)
        .bind(&p.partner_id)
        .bind(&w.account_id)
        .bind(&p.user_id)
        .bind(w.now)
        .bind(sla_due)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if inserted == 0 {
        tx.rollback().await?;
        return Ok(Outcome::Held);
    }
    tx.commit().await?;
    Ok(Outcome::Registered)
}

async fn worker(
    pool: Pool,
    partner: PartnerRef,
    tag: Arc<str>,
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
    index: usize,
    measure_from: Instant,
    until: Instant,
) -> Stats {
    let mut stats = Stats::default();
    let mut rng = Rng((now_nanos() as u64) ^ ((index as u64 + 1) << 40) | 1);
    let mut n = 0u64;
    loop {
        let started = Instant::now();
        if started >= until {
            break;
        }
        n += 1;
        let work = Work::new(&mut rng, &tag, index, n);
        let turn = match &writer {
            Some(m) => Some(m.lock().await),
            None => None,
        };
        let result = match &pool {
            Pool::Sqlite(p) => one_sqlite(p, &partner, &work).await,
            Pool::Postgres(p) => one_postgres(p, &partner, &work).await,
        };
        let elapsed = started.elapsed();
        drop(turn);
        match result {
            Ok(Outcome::Registered) => {
                if started >= measure_from {
                    let us = u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX);
                    stats.latencies_us.push(us);
                }
            }
            Ok(Outcome::Held) => stats.conflicts += 1,
            Err(e) => {
                stats.errors += 1;
                stats.first_error.get_or_insert_with(|| e.to_string());
                if stats.errors >= MAX_ERRORS {
                    break;
                }
            }
        }
    }
    stats
}

/// The value at percentile `p` (0–100) of sorted `v` (nearest rank).
fn percentile(v: &[u32], p: f64) -> u32 {
    if v.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

async fn run() -> Result<(), Error> {
    let opts = parse_args()?;
    let pool = connect(&opts.url, opts.workers).await?;
    let partners = partners(&pool).await?;
    if partners.is_empty() {
        return Err("no active partner with a partner admin: seed the database first".into());
    }
    eprintln!(
        "registration_baseline: {} on {}, {} workers{}, {:.0}s warm-up, {:.0}s measured, {} active partners",
        pool.name(),
        opts.url,
        opts.workers,
        if opts.one_writer {
            " (one writer at a time)"
        } else {
            ""
        },
        opts.warmup.as_secs_f64(),
        opts.duration.as_secs_f64(),
        partners.len()
    );
    let tag: Arc<str> = Arc::from(opts.tag.as_str());
    let measure_from = Instant::now() + opts.warmup;
    let until = measure_from + opts.duration;
    let writer = opts
        .one_writer
        .then(|| Arc::new(tokio::sync::Mutex::new(())));
    let mut handles = Vec::with_capacity(opts.workers);
    for i in 0..opts.workers {
        let partner = partners[i % partners.len()].clone();
        handles.push(tokio::spawn(worker(
            pool.clone(),
            partner,
            tag.clone(),
            writer.clone(),
            i,
            measure_from,
            until,
        )));
    }
    let mut all = Stats::default();
    for h in handles {
        let s = h.await?;
        all.latencies_us.extend(s.latencies_us);
        all.conflicts += s.conflicts;
        all.errors += s.errors;
        if all.first_error.is_none() {
            all.first_error = s.first_error;
        }
    }
    // Measured wall time: from the start of the window to the last worker's end, which
    // includes the transactions that were in flight when the window closed.
    let seconds = measure_from.elapsed().as_secs_f64();
    match &pool {
        Pool::Sqlite(p) => p.close().await,
        Pool::Postgres(p) => p.close().await,
    }
    if let Some(e) = &all.first_error {
        eprintln!("registration_baseline: {} errors; first: {e}", all.errors);
    }
    all.latencies_us.sort_unstable();
    let tx = all.latencies_us.len();
    println!(
        "RAWRESULT backend={} workers={} one_writer={} tx={} seconds={:.3} rate={:.1} p50_us={} p99_us={} max_us={} conflicts={} errors={}",
        pool.name(),
        opts.workers,
        opts.one_writer,
        tx,
        seconds,
        tx as f64 / seconds,
        percentile(&all.latencies_us, 50.0),
        percentile(&all.latencies_us, 99.0),
        all.latencies_us.last().copied().unwrap_or(0),
        all.conflicts,
        all.errors
    );
    if all.errors > 0 || tx == 0 {
        return Err("the baseline run had errors or no transactions".into());
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("registration_baseline: {e}");
        std::process::exit(1);
    }
}
