//! Every difference between SQLite and PostgreSQL, named. The rest of the store writes one
//! portable statement and calls a function here where the two backends differ: how a
//! connection is opened, how a write transaction begins, how values are bound, how locks
//! are taken, how a unique violation names its rule, how a script runs, and the few SQL
//! functions whose spelling differs. Nothing outside `db/` matches on the backend.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use sqlx::postgres::{PgArguments, PgPoolOptions};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Arguments, AssertSqlSafe};

use super::exec::Exec;
use super::journal::Held;
use super::sql::{Arg, Sql};
use super::{Backend, Conn, Db, Tx, WriterQueue};

// --- Connections and transactions ---------------------------------------------------------

/// Opens a SQLite pool. The file is created when missing, with WAL journaling so readers do
/// not wait for writers.
pub(super) async fn connect_sqlite(url: &str) -> Result<Db, sqlx::Error> {
    let opts = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // sqlx hands rows from its SQLite thread over a channel; room for a whole page
        // (200 rows + 1) saves a thread hand-off per row beyond the buffer.
        .row_buffer_size(256);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .connect_with(opts)
        .await?;
    Ok(Db::Sqlite(pool, WriterQueue::default()))
}

/// Opens a PostgreSQL pool, refusing a connection pooler in transaction mode (see
/// [`refuse_transaction_pooling`]).
pub(super) async fn connect_postgres(url: &str) -> Result<Db, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    refuse_transaction_pooling(&pool).await?;
    Ok(Db::Postgres(pool))
}

/// What a pooler in transaction mode is told (see docs/scale-out.md, "Connection poolers").
const TRANSACTION_POOLING_REFUSED: &str = "the database is reached through a connection \
    pooler in transaction (or statement) pooling mode: two connections open at once were \
    served by one PostgreSQL server process. partnerops keeps named prepared statements on \
    each connection, which such a pooler hands to other clients, so it cannot run there. \
    Connect directly, or run the pooler in session mode (PgBouncer: pool_mode = session); \
    the setting database.pooler accepts only \"session\" (see docs/scale-out.md)";

/// Refuses a pooler that shares one server session among clients (PgBouncer's
/// `pool_mode = transaction` or `statement`). sqlx prepares a named statement per connection
/// (`sqlx_s_1`, `sqlx_s_2`, …) and sends its Parse and its Bind in two protocol round trips;
/// such a pooler may give the second to another server, or give another client's statement
/// of the same name, so queries fail at random or, worse, run another client's statement.
/// Making that work would take unnamed statements and a transaction around every read: no
/// plan reuse and two more round trips per statement. PgBouncer 1.21's
/// `max_prepared_statements` is not in Debian 12 (1.18) and untested here.
///
/// The probe: two pooled connections, open at once, ask for their server's process id one
/// after the other. Directly or through a session-mode pooler each has a server of its own;
/// a transaction-mode pooler gives the second the server the first just gave back (it
/// reuses the most recent one). It never refuses wrongly; on a busy pooler it may miss, so
/// it asks three times.
async fn refuse_transaction_pooling(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    // Simple-protocol queries: a named statement would itself trip over the pooler.
    async fn backend_pid(conn: &mut sqlx::PgConnection) -> Result<i32, sqlx::Error> {
        use sqlx::Row;
        sqlx::raw_sql("SELECT pg_backend_pid()")
            .fetch_one(conn)
            .await?
            .try_get(0)
    }
    let mut first = pool.acquire().await?;
    let mut second = pool.acquire().await?;
    for _ in 0..3 {
        if backend_pid(&mut first).await? == backend_pid(&mut second).await? {
            return Err(sqlx::Error::Configuration(
                TRANSACTION_POOLING_REFUSED.into(),
            ));
        }
    }
    Ok(())
}

/// Begins a transaction that will write. SQLite must take its write lock up front
/// (`BEGIN IMMEDIATE`): a transaction that reads first and upgrades later fails with
/// "database is locked" under concurrency instead of waiting. PostgreSQL rejects that
/// syntax and needs nothing special: conditional updates and constraints decide races.
pub(super) async fn begin_write(db: &Db) -> Result<Tx, sqlx::Error> {
    match db {
        Db::Sqlite(p, queue) => {
            let turn = queue.clone().lock_owned().await;
            Ok(Tx::new(Conn::Sqlite(
                p.begin_with("BEGIN IMMEDIATE").await?,
                Some(turn),
            )))
        }
        Db::Postgres(p) => Ok(Tx::new(Conn::Postgres(p.begin().await?))),
    }
}

/// Serialises transactions that use the same `key` until this one ends. PostgreSQL takes a
/// transaction-scoped advisory lock; SQLite needs nothing, since its write transactions
/// already run one at a time.
pub(super) async fn lock_key(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        let mut q = Sql::new("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended(");
        q.bind(key).push(", 0))) AS l");
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Holds the row `id` of `table` until the transaction ends, so a check made on it (an
/// `If-Match` precondition) still holds when the change is written. PostgreSQL locks the
/// row (`FOR UPDATE`; a waiting transaction then reads the committed new version);
/// SQLite's write lock, taken by [`begin_write`], already keeps every other writer out.
pub(super) async fn lock_row(tx: &mut Tx, table: &str, id: &str) -> Result<(), sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        let mut q = Sql::new(&format!("SELECT id FROM {table} WHERE id = "));
        q.bind(id).push(" FOR UPDATE");
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Prepares a transaction that writes a great many rows into tables it also reads (an
/// import: each batch looks up the keys and domains the batches before it wrote). On
/// PostgreSQL, a prepared statement switches to a generic plan after five runs, costed on
/// the table as it was then (empty, say), and keeps it while the transaction's own
/// uncommitted rows grow into the millions: a sequential scan per batch, quadratic in the
/// file. Planning each statement for its own parameters and the table's current size keeps
/// the lookups on their indexes. SQLite plans every statement afresh anyway.
pub(super) async fn for_bulk_writes(tx: &mut Tx) -> Result<(), sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        tx.execute(&Sql::new("SET LOCAL plan_cache_mode = force_custom_plan"))
            .await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics of `tables` from inside a transaction that is filling
/// them. PostgreSQL's statistics still describe the tables as they were before (empty, say),
/// so the planner takes the import's key lookup `(kind, source, external_id IN …)` for a
/// few rows and scans every row of the source through the index's first two columns: 0.26 s
/// a batch at 900,000 keys, against 1.3 ms once analysed. `ANALYZE` in the transaction
/// counts the transaction's own uncommitted rows. SQLite keeps no statistics unless asked,
/// and its planner prefers the unique index anyway.
pub(super) async fn refresh_statistics(tx: &mut Tx, tables: &[&str]) -> Result<(), sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        tx.execute(&Sql::new(&format!("ANALYZE {}", tables.join(", "))))
            .await?;
    }
    Ok(())
}

/// Most rows one SQLite INSERT carries: within SQLite's limit of 32,766 parameters for
/// tables of up to 65 columns, and the same statement text (so one cached prepared
/// statement) for every full chunk.
const SQLITE_INSERT_ROWS: usize = 500;

/// Rows from which [`insert_rows`] uses PostgreSQL's `COPY`: below, the one round trip of
/// a prepared `unnest` insert beats `COPY`'s two.
const POSTGRES_COPY_ROWS: usize = 100;

/// Bytes of `COPY` text [`insert_rows`] sends at a time.
const COPY_CHUNK_BYTES: usize = 64 * 1024;

/// Appends `rows` (one value per column each) to `table` by the fastest route each backend
/// has for many rows. PostgreSQL: `COPY … FROM STDIN` in text format from
/// [`POSTGRES_COPY_ROWS`] rows on, else one `INSERT … SELECT * FROM unnest($1::text[], …)`
/// with a typed array per column (one prepared statement for any number of rows). `COPY`
/// needs sqlx ≥ 0.9.1: 0.9.0 left `TCP_NODELAY` off, and Nagle's algorithm meeting the
/// server's delayed ACK held each `COPY`'s last packet 40 ms. SQLite: multi-row `INSERT`s
/// of [`SQLITE_INSERT_ROWS`] rows. Indexes and constraints apply as to any insert: a unique
/// violation fails the call with the usual error. Every row must have the same column
/// types, in the order of `columns`.
pub(super) async fn insert_rows(
    tx: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Arg>],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    match tx {
        Conn::Postgres(t) if rows.len() >= POSTGRES_COPY_ROWS => {
            if rows.iter().any(|row| row.len() != columns.len()) {
                return Err(sqlx::Error::Encode(
                    "insert_rows: every row needs one value per column".into(),
                ));
            }
            let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
            let mut copy = t.copy_in_raw(&statement).await?;
            // Sent a chunk at a time: the server inserts one while the next is written.
            let mut data = Vec::with_capacity(COPY_CHUNK_BYTES + 4096);
            for (i, row) in rows.iter().enumerate() {
                copy_text_row(&mut data, row);
                if data.len() >= COPY_CHUNK_BYTES || i + 1 == rows.len() {
                    if let Err(e) = copy.send(std::mem::take(&mut data)).await {
                        // The connection is most likely gone; the first error is the one
                        // to report.
                        let _ = copy.abort("insert_rows: sending failed").await;
                        return Err(e);
                    }
                    data.reserve(COPY_CHUNK_BYTES + 4096);
                }
            }
            copy.finish().await?;
        }
        Conn::Postgres(t) => {
            let mut args = PgArguments::default();
            let sql = postgres_unnest_insert(&mut args, table, columns, rows)?;
            sqlx::query_with::<sqlx::Postgres, _>(AssertSqlSafe(sql), args)
                .execute(&mut **t)
                .await?;
        }
        Conn::Sqlite(t, _) => {
            // Straight into sqlx's arguments rather than through `Sql`: one copy of each
            // value instead of three, and one statement text for every full chunk.
            let list = columns.join(", ");
            let placeholders = format!("({})", vec!["?"; columns.len()].join(", "));
            for chunk in rows.chunks(SQLITE_INSERT_ROWS) {
                let mut sql = format!("INSERT INTO {table} ({list}) VALUES ");
                let mut args = SqliteArguments::default();
                for (r, row) in chunk.iter().enumerate() {
                    if row.len() != columns.len() {
                        return Err(sqlx::Error::Encode(
                            "insert_rows: every row needs one value per column".into(),
                        ));
                    }
                    if r > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&placeholders);
                    for value in row {
                        add_sqlite_arg(&mut args, value)?;
                    }
                }
                sqlx::query_with::<sqlx::Sqlite, _>(AssertSqlSafe(sql), args)
                    .execute(&mut **t)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Appends one row in `COPY`'s text format: tab between values, `\N` for NULL, and the
/// backslash, tab, newline and carriage return of a text escaped.
fn copy_text_row(out: &mut Vec<u8>, row: &[Arg]) {
    use std::io::Write as _;
    for (i, value) in row.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        // Writing into a Vec cannot fail.
        let _ = match value {
            Arg::Text(Some(v)) => {
                // Most values have nothing to escape: copied whole, not byte by byte.
                let mut rest = v.as_bytes();
                while let Some(at) = rest
                    .iter()
                    .position(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
                {
                    out.extend_from_slice(&rest[..at]);
                    out.extend_from_slice(match rest[at] {
                        b'\\' => b"\\\\",
                        b'\t' => b"\\t",
                        b'\n' => b"\\n",
                        _ => b"\\r",
                    });
                    rest = &rest[at + 1..];
                }
                out.extend_from_slice(rest);
                Ok(())
            }
            Arg::Int(Some(v)) => write!(out, "{v}"),
            Arg::Date(Some(v)) => write!(out, "{}", v.format("%Y-%m-%d")),
            // Field by field: chrono's `format` parses its pattern again for every value and
            // `to_rfc3339_opts` allocates a string (a tenth of a bulk import's CPU).
            Arg::Time(Some(v)) => write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                v.year(),
                v.month(),
                v.day(),
                v.hour(),
                v.minute(),
                v.second(),
                v.timestamp_subsec_micros()
            ),
            Arg::Text(None) | Arg::Int(None) | Arg::Date(None) | Arg::Time(None) => {
                out.extend_from_slice(b"\\N");
                Ok(())
            }
        };
    }
    out.push(b'\n');
}

/// Writes a transaction's held bookkeeping rows (`journal`). PostgreSQL: one statement for
/// every table, the inserts after the first in data-modifying `WITH` clauses (they touch
/// different tables and read nothing, so the order PostgreSQL runs them in does not
/// matter): one round trip instead of one per table. SQLite: [`insert_rows`] per table
/// (its statements do not leave the process).
pub(super) async fn insert_held(tx: &mut Conn, held: &[Held]) -> Result<(), sqlx::Error> {
    match tx {
        Conn::Postgres(t) => {
            let mut args = PgArguments::default();
            let mut parts = Vec::with_capacity(held.len());
            for h in held.iter().filter(|h| !h.rows.is_empty()) {
                parts.push(postgres_unnest_insert(
                    &mut args, h.table, h.columns, &h.rows,
                )?);
            }
            let Some((last, first)) = parts.split_last() else {
                return Ok(());
            };
            let mut sql = String::new();
            for (i, part) in first.iter().enumerate() {
                sql.push_str(if i == 0 { "WITH " } else { ", " });
                sql.push_str(&format!("held_{i} AS ({part})"));
            }
            if !first.is_empty() {
                sql.push(' ');
            }
            sql.push_str(last);
            sqlx::query_with::<sqlx::Postgres, _>(AssertSqlSafe(sql), args)
                .execute(&mut **t)
                .await?;
        }
        Conn::Sqlite(..) => {
            for h in held {
                insert_rows(tx, h.table, h.columns, &h.rows).await?;
            }
        }
    }
    Ok(())
}

/// `INSERT INTO table (columns) SELECT * FROM unnest($n::type[], …)` for `rows` (at least
/// one), binding one typed array per column into `args` after what it already holds.
fn postgres_unnest_insert(
    args: &mut PgArguments,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Arg>],
) -> Result<String, sqlx::Error> {
    let Some(first) = rows.first() else {
        return Err(sqlx::Error::Encode("insert_rows: no rows".into()));
    };
    let mut arrays = Vec::with_capacity(first.len());
    for (i, kind) in first.iter().enumerate() {
        let column = rows.iter().map(|r| r.get(i));
        let cast = match kind {
            Arg::Text(_) => {
                args.add(typed_column(column, |a| match a {
                    Arg::Text(v) => Some(v.clone()),
                    _ => None,
                })?)
                .map_err(sqlx::Error::Encode)?;
                "text[]"
            }
            Arg::Int(_) => {
                args.add(typed_column(column, |a| match a {
                    Arg::Int(v) => Some(*v),
                    _ => None,
                })?)
                .map_err(sqlx::Error::Encode)?;
                "int8[]"
            }
            Arg::Date(_) => {
                args.add(typed_column(column, |a| match a {
                    Arg::Date(v) => Some(*v),
                    _ => None,
                })?)
                .map_err(sqlx::Error::Encode)?;
                "date[]"
            }
            Arg::Time(_) => {
                args.add(typed_column(column, |a| match a {
                    Arg::Time(v) => Some(*v),
                    _ => None,
                })?)
                .map_err(sqlx::Error::Encode)?;
                "timestamptz[]"
            }
        };
        arrays.push(format!("${}::{cast}", args.len()));
    }
    Ok(format!(
        "INSERT INTO {table} ({}) SELECT * FROM unnest({})",
        columns.join(", "),
        arrays.join(", ")
    ))
}

/// One column of [`insert_rows`] as a typed array: `pick` reads a value of the column's
/// type (`None` inside: NULL); a row without the column, or with a value of another type,
/// is a caller's mistake, refused rather than written as NULL.
fn typed_column<'a, T>(
    column: impl Iterator<Item = Option<&'a Arg>>,
    pick: impl Fn(&Arg) -> Option<Option<T>>,
) -> Result<Vec<Option<T>>, sqlx::Error> {
    column
        .map(|a| {
            a.and_then(&pick).ok_or_else(|| {
                sqlx::Error::Encode("insert_rows: every row needs the same column types".into())
            })
        })
        .collect()
}

/// An arbitrary constant naming the migrations' advisory lock.
const PG_MIGRATION_LOCK: i64 = 0x0070_6172_746e_6572;

/// Makes instances that migrate at once take turns: PostgreSQL takes an advisory lock for
/// the transaction; SQLite's write lock (taken by [`begin_write`]) already does it.
pub async fn lock_migrations(tx: &mut Tx) -> Result<(), sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        tx.execute(
            Sql::new("SELECT 1 FROM (SELECT pg_advisory_xact_lock(")
                .bind(PG_MIGRATION_LOCK)
                .push(")) AS l"),
        )
        .await?;
    }
    Ok(())
}

/// Runs a multi-statement script without parameters (a migration).
/// Writes a consistent copy of a SQLite database to `path` while it keeps serving (`VACUUM
/// INTO` reads one snapshot; writers go on meanwhile). `None` on PostgreSQL, whose route is
/// `pg_dump` (README).
pub async fn backup_into(db: &super::Db, path: &str) -> Option<Result<(), sqlx::Error>> {
    match db {
        super::Db::Sqlite(pool, _) => Some(
            sqlx::query("VACUUM INTO $1")
                .bind(path)
                .execute(pool)
                .await
                .map(|_| ()),
        ),
        super::Db::Postgres(_) => None,
    }
}

pub async fn run_script(tx: &mut Tx, sql: &str) -> Result<(), sqlx::Error> {
    match &mut tx.conn {
        Conn::Sqlite(t, _) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut **t)
            .await
            .map(|_| ()),
        Conn::Postgres(t) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut **t)
            .await
            .map(|_| ()),
    }
}

/// The one of two texts written per backend (a migration) that `backend` runs.
pub fn per_backend<'a>(backend: Backend, sqlite: &'a str, postgres: &'a str) -> &'a str {
    match backend {
        Backend::Sqlite => sqlite,
        Backend::Postgres => postgres,
    }
}

// --- Binding values -----------------------------------------------------------------------

/// The text form of a timestamp in SQLite.
pub fn sqlite_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The values of `q` for SQLite.
pub(super) fn sqlite_args(q: &Sql) -> Result<SqliteArguments, sqlx::Error> {
    let mut out = SqliteArguments::default();
    for a in q.args() {
        add_sqlite_arg(&mut out, a)?;
    }
    Ok(out)
}

fn add_sqlite_arg(out: &mut SqliteArguments, a: &Arg) -> Result<(), sqlx::Error> {
    match a {
        Arg::Text(v) => out.add(v.clone()),
        Arg::Int(v) => out.add(*v),
        Arg::Date(v) => out.add(*v),
        // SQLite keeps timestamps as text; one fixed-width UTC format keeps them
        // comparable as strings (`ORDER BY`, `<`, cursors).
        Arg::Time(v) => out.add(v.map(|t| sqlite_time(&t))),
    }
    .map_err(sqlx::Error::Encode)
}

/// The values of `q` for PostgreSQL.
pub(super) fn postgres_args(q: &Sql) -> Result<PgArguments, sqlx::Error> {
    let mut out = PgArguments::default();
    for a in q.args() {
        let r = match a {
            Arg::Text(v) => out.add(v.clone()),
            Arg::Int(v) => out.add(*v),
            Arg::Date(v) => out.add(*v),
            Arg::Time(v) => out.add(*v),
        };
        r.map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

// --- SQL spelled differently --------------------------------------------------------------

/// A timestamp column as RFC 3339 text, `''` when NULL (SQLite already stores it so).
pub fn format_timestamp(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("COALESCE({column}, '')"),
        Backend::Postgres => format!(
            "COALESCE(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '')"
        ),
    }
}

/// A date column's month as `YYYY-MM` text (SQLite stores dates as `YYYY-MM-DD` text).
pub fn month_of(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("substr({column}, 1, 7)"),
        Backend::Postgres => format!("to_char({column}, 'YYYY-MM')"),
    }
}

/// The aggregate concatenating `expr` with `sep` (a SQL string literal, quotes included).
pub fn string_agg(backend: Backend, expr: &str, sep: &str) -> String {
    match backend {
        Backend::Sqlite => format!("group_concat({expr}, {sep})"),
        Backend::Postgres => format!("string_agg({expr}, {sep})"),
    }
}

/// Appends ` AND <condition>` keeping the rows of `alias` (a `directory_listings` row)
/// whose `search_text` contains any of `terms`, each as a word prefix ("integ" finds
/// "integration"). SQLite asks its FTS5 table (`"term"*` joined by `OR`); PostgreSQL its GIN
/// index over `to_tsvector('simple', search_text)` (`term:*` joined by `|`). Both index the
/// same normalised words (see `core::directory::words`), so both find the same rows; the
/// ranking is the core's. `terms` are letters and digits only (`core::directory::query_terms`).
pub fn full_text_match(backend: Backend, q: &mut Sql, alias: &str, terms: &[String]) {
    match backend {
        Backend::Sqlite => {
            let expr = terms
                .iter()
                .map(|t| format!("\"{t}\"*"))
                .collect::<Vec<_>>()
                .join(" OR ");
            q.push(&format!(
                " AND {alias}.id IN (SELECT listing_id FROM directory_listings_fts WHERE directory_listings_fts MATCH "
            ))
            .bind(expr)
            .push(")");
        }
        Backend::Postgres => {
            let expr = terms
                .iter()
                .map(|t| format!("{t}:*"))
                .collect::<Vec<_>>()
                .join(" | ");
            q.push(&format!(
                " AND to_tsvector('simple', {alias}.search_text) @@ to_tsquery('simple', "
            ))
            .bind(expr)
            .push(")");
        }
    }
}

/// A key grouping rows of `alias` into chunks of a few hundred, cheaply: consecutive rows
/// on SQLite (its `rowid`, no sort needed), a hash bucket of the `id` column on PostgreSQL
/// (a hash aggregate).
pub fn chunk_key(backend: Backend, alias: &str, id: &str) -> String {
    match backend {
        Backend::Sqlite => format!("{alias}.rowid / 256"),
        Backend::Postgres => format!("abs(hashtext({alias}.{id})) % 4096"),
    }
}

/// The end of a `SELECT` that picks a row to claim: PostgreSQL lets other instances skip
/// the row this one locks (`FOR UPDATE SKIP LOCKED`); SQLite's write lock already
/// serialises claims.
fn skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    }
}

/// The statement claiming the oldest pending job due at `now`, returning its `id` and
/// `kind`. Jobs of one slot (an on-demand run schedules them all at one instant) run in
/// the order they were scheduled, the registry's: their ids are UUIDv7s made in that order.
pub fn claim_due_job(backend: Backend, now: DateTime<Utc>) -> Sql {
    let lock = skip_locked(backend);
    let mut q = Sql::new("UPDATE jobs SET status = 'running', started_at = ");
    q.bind(now)
        .push(" WHERE id = (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= ")
        .bind(now)
        .push(&format!(
            " ORDER BY run_at, id LIMIT 1{lock}) RETURNING id, kind"
        ));
    q
}

/// The statement claiming the e-mail delivery due first at `now` for this instance until
/// `lease_until`: a pending delivery whose time has come, or one left `sending` by an
/// instance whose lease ran out (it stopped mid-send). Counts the attempt and returns the
/// delivery's `id`, `recipient`, `subject`, `body` and `attempts`. The outer condition
/// repeats the inner one, so a row another instance claimed meanwhile is never taken.
pub fn claim_due_delivery(backend: Backend, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Sql {
    let due = |q: &mut Sql| {
        q.push("((status = 'pending' AND next_attempt_at <= ")
            .bind(now)
            .push(") OR (status = 'sending' AND claimed_until < ")
            .bind(now)
            .push("))");
    };
    let mut q = Sql::new(
        "UPDATE email_deliveries SET status = 'sending', attempts = attempts + 1, claimed_until = ",
    );
    q.bind(lease_until)
        .push(" WHERE id = (SELECT id FROM email_deliveries WHERE ");
    due(&mut q);
    q.push(&format!(
        " ORDER BY next_attempt_at, id LIMIT 1{}) AND ",
        skip_locked(backend)
    ));
    due(&mut q);
    q.push(" RETURNING id, recipient, subject, body, attempts");
    q
}

// --- Errors -------------------------------------------------------------------------------

/// A uniqueness rule as each backend reports its violation: PostgreSQL names the index,
/// SQLite names the indexed columns (or the index, for expression indexes).
pub struct UniqueRule {
    pub index: &'static str,
    pub sqlite_columns: &'static str,
}

/// Whether `err` is a violation of `rule`.
pub fn unique_violation(err: &sqlx::Error, rule: &UniqueRule) -> bool {
    let Some(db) = err.as_database_error() else {
        return false;
    };
    if !db.is_unique_violation() {
        return false;
    }
    match db.constraint() {
        Some(name) => name == rule.index,
        None => {
            let msg = db.message();
            msg.contains(&format!("index '{}'", rule.index)) || msg.ends_with(rule.sqlite_columns)
        }
    }
}

/// Whether `err` means the connection to the database was lost or the server is not
/// taking connections (restarting, shutting down), as opposed to a fault in the statement.
/// PostgreSQL says so with SQLSTATE class 08 (connection exception) and 57P01–57P03
/// (shut down by an administrator, crashed, cannot connect now); the driver with an I/O
/// error or a pool that could not hand out a connection in time.
pub fn connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Whether counters every instance must see (API rate limits) have to live in the
/// database. PostgreSQL serves several instances; a SQLite file serves one, where a count
/// in the process is exact and spares every request a write through the one writer.
pub fn counters_shared_in_database(backend: Backend) -> bool {
    backend == Backend::Postgres
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    #[test]
    fn copy_text_escapes_what_separates_values_and_rows() {
        let mut out = Vec::new();
        copy_text_row(
            &mut out,
            &[
                Arg::Text(Some("tab\there\nnew\rline \\N back\\".into())),
                Arg::Text(None),
                Arg::Int(Some(-42)),
                Arg::Date(NaiveDate::from_ymd_opt(2026, 2, 28)),
                Arg::Time(Some(Utc.with_ymd_and_hms(2026, 12, 5, 21, 0, 1).unwrap())),
                Arg::Time(Some(
                    Utc.with_ymd_and_hms(2027, 1, 2, 3, 4, 5).unwrap()
                        + chrono::TimeDelta::microseconds(123_456),
                )),
                Arg::Time(None),
                Arg::Text(Some("Zürich 株式会社".into())),
            ],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "tab\\there\\nnew\\rline \\\\N back\\\\\t\\N\t-42\t2026-02-28\t\
             2026-12-05T21:00:01.000000Z\t2027-01-02T03:04:05.123456Z\t\\N\tZürich 株式会社\n"
        );
    }
}
