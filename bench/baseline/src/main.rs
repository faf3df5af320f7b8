//! The yardstick of `bench/load.sh`: `GET /api/v1/partners` written by hand.
//!
//! It does the work the product's endpoint does for a vendor token, with nothing in
//! between: the bearer token's SHA-256 looked up in `api_tokens` joined with `users` (live
//! user of a live partner, not revoked, not expired, a scope granting `partner:read`,
//! `last_used_at` refreshed when older than five minutes), then the first page of live
//! partners ordered by name and id (limit + 1 rows to know whether there is a next page),
//! joined with their tier's name, as the same JSON: the product's field names and order,
//! RFC 3339 timestamps as chrono writes them, the regions and verticals arrays, and the
//! same `next_cursor`. A partner user's token sees its own partner only, as in the product.
//!
//! Written directly on rusqlite (SQLite: 8 connections opened with the product's pragmas,
//! used on tokio's blocking pool, statements cached) and tokio-postgres (PostgreSQL: 16
//! connections, statements prepared once per connection). No rate limiting, tracing,
//! metrics, audit or middleware: those are what the ratio measures.
//!
//! ```text
//! partners-baseline --addr 127.0.0.1:8099 --database-url sqlite:///tmp/demo.sqlite
//! partners-baseline --addr 127.0.0.1:8099 --database-url postgres://postgres@127.0.0.1/db
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// The product's pool sizes (`crates/store/src/db/dialect.rs`).
const SQLITE_CONNECTIONS: usize = 8;
const POSTGRES_CONNECTIONS: usize = 16;
/// The product refreshes a token's `last_used_at` at most this often.
const LAST_USED_GRANULARITY_SECS: i64 = 300;
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

type Error = Box<dyn std::error::Error + Send + Sync>;

// ---------------------------------------------------------------------------
// the answer, in the product's shape (core `Page<Partner>`, `Cursor`)
// ---------------------------------------------------------------------------

#[derive(Serialize)]
struct PartnerOut {
    id: String,
    name: String,
    web_domain: String,
    partner_type: String,
    program_id: String,
    tier_id: String,
    tier_name: String,
    status: String,
    country: String,
    regions: Vec<String>,
    verticals: Vec<String>,
    joined_on: NaiveDate,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct PageOut {
    items: Vec<PartnerOut>,
    next_cursor: Option<String>,
}

/// The cursor's JSON, as the product encodes it: `{"f","d","k":{"t","v"},"i"}`.
#[derive(Serialize)]
struct CursorOut<'a> {
    f: &'a str,
    d: bool,
    k: SortKeyOut<'a>,
    i: &'a str,
}

#[derive(Serialize)]
struct SortKeyOut<'a> {
    t: &'a str,
    v: &'a str,
}

impl PageOut {
    /// Drops the look-ahead row and, if there was one, points the cursor after the last item.
    fn from_rows(mut items: Vec<PartnerOut>, limit: u32) -> Result<PageOut, Error> {
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = match items.last() {
            Some(last) if more => {
                let cursor = CursorOut {
                    f: "name",
                    d: false,
                    k: SortKeyOut {
                        t: "Text",
                        v: &last.name,
                    },
                    i: &last.id,
                };
                Some(URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor)?))
            }
            _ => None,
        };
        Ok(PageOut { items, next_cursor })
    }
}

/// What a token row says: when it was last used, its scopes, its expiry, its partner.
struct TokenRow {
    id: String,
    last_used_at: Option<DateTime<Utc>>,
    scopes: String,
    expires_at: Option<DateTime<Utc>>,
    partner_id: Option<String>,
}

/// Whether one of the token's scopes lets `GET /api/v1/partners` through.
fn grants_partner_read(scopes: &str) -> Result<bool, Error> {
    let scopes: Vec<String> = serde_json::from_str(scopes)?;
    Ok(scopes.iter().any(|s| {
        matches!(
            s.trim(),
            "*" | "*:read" | "*:write" | "partner:read" | "partner:write"
        )
    }))
}

fn needs_touch(last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|t| (now - t).num_seconds() > LAST_USED_GRANULARITY_SECS)
}

// ---------------------------------------------------------------------------
// the SQL (the product's statements, columns named instead of `partners.*`)
// ---------------------------------------------------------------------------

const TOKEN_SQL: &str = "SELECT t.id, t.last_used_at, t.scopes, t.expires_at, u.partner_id \
     FROM api_tokens t JOIN users u ON u.id = t.user_id \
     WHERE t.revoked_at IS NULL AND t.token_hash = $1 \
     AND u.archived_at IS NULL AND (u.partner_id IS NULL OR EXISTS \
     (SELECT 1 FROM partners ap WHERE ap.id = u.partner_id AND ap.archived_at IS NULL))";

const TOUCH_SQL: &str = "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2";

const LIST_SQL: &str = "SELECT p.id, p.name, p.web_domain, p.partner_type, p.program_id, \
     p.tier_id, t.name AS tier_name, p.status, p.country, p.regions, p.verticals, \
     p.joined_on, p.created_at, p.updated_at, p.archived_at \
     FROM partners p JOIN tiers t ON t.id = p.tier_id \
     WHERE p.archived_at IS NULL ORDER BY p.name ASC, p.id ASC LIMIT {limit}";

/// The list as a partner user sees it: its own company only.
const LIST_OWN_SQL: &str = "SELECT p.id, p.name, p.web_domain, p.partner_type, p.program_id, \
     p.tier_id, t.name AS tier_name, p.status, p.country, p.regions, p.verticals, \
     p.joined_on, p.created_at, p.updated_at, p.archived_at \
     FROM partners p JOIN tiers t ON t.id = p.tier_id \
     WHERE p.id = $1 AND p.archived_at IS NULL ORDER BY p.name ASC, p.id ASC LIMIT {limit}";

// ---------------------------------------------------------------------------
// a fixed-size pool: a semaphore counts the idle connections in the vector
// ---------------------------------------------------------------------------

struct Pool<T> {
    idle: Mutex<Vec<T>>,
    available: Semaphore,
}

impl<T> Pool<T> {
    fn new(conns: Vec<T>) -> Self {
        let n = conns.len();
        Pool {
            idle: Mutex::new(conns),
            available: Semaphore::new(n),
        }
    }

    async fn take(&self) -> Result<T, Error> {
        self.available.acquire().await?.forget();
        let conn = self.idle.lock().map_err(|_| "pool lock poisoned")?.pop();
        conn.ok_or_else(|| "pool empty despite a permit".into())
    }

    fn give(&self, conn: T) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
            self.available.add_permits(1);
        }
    }
}

// ---------------------------------------------------------------------------
// SQLite on rusqlite
// ---------------------------------------------------------------------------

fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

/// Opens a connection the way the product's pool does: WAL, synchronous NORMAL, foreign
/// keys on, a 10 s busy timeout; no mutex (one thread uses it at a time).
fn open_sqlite(path: &str) -> Result<rusqlite::Connection, Error> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // sqlx keeps up to 100 statements per connection.
    conn.set_prepared_statement_cache_capacity(100);
    Ok(conn)
}

/// A timestamp as sqlx writes it to SQLite (RFC 3339), or SQLite's own `YYYY-MM-DD HH:MM:SS`.
fn sqlite_time(raw: &str) -> Result<DateTime<Utc>, Error> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    Ok(NaiveDateTime::parse_from_str(raw, "%F %T%.f")?.and_utc())
}

fn sqlite_opt_time(raw: Option<String>) -> Result<Option<DateTime<Utc>>, Error> {
    raw.as_deref().map(sqlite_time).transpose()
}

/// The statements with SQLite's numbered `?N` placeholders: SQLite reads `$1` as a *named*
/// parameter, and finding a name costs a linear search per bind.
struct SqliteSql {
    token: String,
    touch: String,
    list: String,
    list_own: String,
}

static SQLITE_SQL: std::sync::LazyLock<SqliteSql> = std::sync::LazyLock::new(|| SqliteSql {
    token: TOKEN_SQL.replace('$', "?"),
    touch: TOUCH_SQL.replace('$', "?"),
    list: LIST_SQL.replace('$', "?"),
    list_own: LIST_OWN_SQL.replace('$', "?"),
});

fn sqlite_token(conn: &rusqlite::Connection, hash: &str) -> Result<Option<TokenRow>, Error> {
    let mut st = conn.prepare_cached(&SQLITE_SQL.token)?;
    let mut rows = st.query([hash])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(TokenRow {
        id: r.get(0)?,
        last_used_at: sqlite_opt_time(r.get(1)?)?,
        scopes: r.get(2)?,
        expires_at: sqlite_opt_time(r.get(3)?)?,
        partner_id: r.get(4)?,
    }))
}

fn sqlite_list(
    conn: &rusqlite::Connection,
    limit: u32,
    own: Option<&str>,
) -> Result<Vec<PartnerOut>, Error> {
    let fetch = i64::from(limit) + 1;
    // The limit is written into the text, as the product does (a bound `LIMIT` makes
    // SQLite re-prepare the statement on every bind).
    let sql = if own.is_some() {
        &SQLITE_SQL.list_own
    } else {
        &SQLITE_SQL.list
    }
    .replace("{limit}", &fetch.to_string());
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = match own {
        Some(p) => st.query([p])?,
        None => st.query([])?,
    };
    let mut items = Vec::with_capacity(fetch as usize);
    while let Some(r) = rows.next()? {
        let regions: String = r.get(9)?;
        let verticals: String = r.get(10)?;
        let joined_on: String = r.get(11)?;
        let created_at: String = r.get(12)?;
        let updated_at: String = r.get(13)?;
        items.push(PartnerOut {
            id: r.get(0)?,
            name: r.get(1)?,
            web_domain: r.get(2)?,
            partner_type: r.get(3)?,
            program_id: r.get(4)?,
            tier_id: r.get(5)?,
            tier_name: r.get(6)?,
            status: r.get(7)?,
            country: r.get(8)?,
            regions: serde_json::from_str(&regions)?,
            verticals: serde_json::from_str(&verticals)?,
            joined_on: NaiveDate::parse_from_str(&joined_on, "%F")?,
            created_at: sqlite_time(&created_at)?,
            updated_at: sqlite_time(&updated_at)?,
            archived_at: sqlite_opt_time(r.get(14)?)?,
        });
    }
    Ok(items)
}

/// One request's database work on one SQLite connection (run on a blocking thread).
fn sqlite_request(
    conn: &rusqlite::Connection,
    hash: &str,
    limit: u32,
) -> Result<Result<Vec<PartnerOut>, Refusal>, Error> {
    let Some(token) = sqlite_token(conn, hash)? else {
        return Ok(Err(Refusal::Unauthenticated));
    };
    let now = Utc::now();
    if let Some(refusal) = token.refusal(now)? {
        return Ok(Err(refusal));
    }
    if needs_touch(token.last_used_at, now) {
        let mut st = conn.prepare_cached(&SQLITE_SQL.touch)?;
        st.execute(rusqlite::params![
            now.to_rfc3339_opts(SecondsFormat::AutoSi, false),
            token.id
        ])?;
    }
    Ok(Ok(sqlite_list(conn, limit, token.partner_id.as_deref())?))
}

// ---------------------------------------------------------------------------
// PostgreSQL on tokio-postgres
// ---------------------------------------------------------------------------

struct PgConn {
    client: tokio_postgres::Client,
    token: tokio_postgres::Statement,
    touch: tokio_postgres::Statement,
    /// The list statements by text (the limit is in the text), prepared on first use.
    lists: std::sync::Mutex<std::collections::HashMap<String, tokio_postgres::Statement>>,
}

impl PgConn {
    async fn list_statement(&self, sql: String) -> Result<tokio_postgres::Statement, Error> {
        if let Some(st) = self.lists.lock().map_err(|_| "poisoned")?.get(&sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(&sql).await?;
        self.lists
            .lock()
            .map_err(|_| "poisoned")?
            .insert(sql, st.clone());
        Ok(st)
    }
}

async fn open_postgres(url: &str) -> Result<PgConn, Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("partners-baseline: postgres connection: {e}");
        }
    });
    Ok(PgConn {
        token: client.prepare(TOKEN_SQL).await?,
        touch: client.prepare(TOUCH_SQL).await?,
        lists: Default::default(),
        client,
    })
}

async fn pg_request(
    c: &PgConn,
    hash: &str,
    limit: u32,
) -> Result<Result<Vec<PartnerOut>, Refusal>, Error> {
    let Some(r) = c.client.query_opt(&c.token, &[&hash]).await? else {
        return Ok(Err(Refusal::Unauthenticated));
    };
    let token = TokenRow {
        id: r.try_get(0)?,
        last_used_at: r.try_get(1)?,
        scopes: r.try_get(2)?,
        expires_at: r.try_get(3)?,
        partner_id: r.try_get(4)?,
    };
    let now = Utc::now();
    if let Some(refusal) = token.refusal(now)? {
        return Ok(Err(refusal));
    }
    if needs_touch(token.last_used_at, now) {
        c.client.execute(&c.touch, &[&now, &token.id]).await?;
    }
    let fetch = i64::from(limit) + 1;
    let limit_text = fetch.to_string();
    let rows = match token.partner_id.as_deref() {
        Some(p) => {
            let st = c.list_statement(LIST_OWN_SQL.replace("{limit}", &limit_text)).await?;
            c.client.query(&st, &[&p]).await?
        }
        None => {
            let st = c.list_statement(LIST_SQL.replace("{limit}", &limit_text)).await?;
            c.client.query(&st, &[]).await?
        }
    };
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let regions: &str = r.try_get(9)?;
        let verticals: &str = r.try_get(10)?;
        items.push(PartnerOut {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            web_domain: r.try_get(2)?,
            partner_type: r.try_get(3)?,
            program_id: r.try_get(4)?,
            tier_id: r.try_get(5)?,
            tier_name: r.try_get(6)?,
            status: r.try_get(7)?,
            country: r.try_get(8)?,
            regions: serde_json::from_str(regions)?,
            verticals: serde_json::from_str(verticals)?,
            joined_on: r.try_get(11)?,
            created_at: r.try_get(12)?,
            updated_at: r.try_get(13)?,
            archived_at: r.try_get(14)?,
        });
    }
    Ok(Ok(items))
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

enum Db {
    Sqlite(Arc<Pool<rusqlite::Connection>>),
    Postgres(Pool<PgConn>),
}

/// Why a request gets no list.
enum Refusal {
    Unauthenticated,
    Expired,
    Scope,
    BadLimit,
}

impl TokenRow {
    fn refusal(&self, now: DateTime<Utc>) -> Result<Option<Refusal>, Error> {
        if self.expires_at.is_some_and(|t| t <= now) {
            return Ok(Some(Refusal::Expired));
        }
        if !grants_partner_read(&self.scopes)? {
            return Ok(Some(Refusal::Scope));
        }
        Ok(None)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, title) = match self {
            Refusal::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Refusal::Expired => (StatusCode::UNAUTHORIZED, "token expired"),
            Refusal::Scope => (StatusCode::FORBIDDEN, "token scope"),
            Refusal::BadLimit => (StatusCode::UNPROCESSABLE_ENTITY, "limit out of range"),
        };
        (status, title).into_response()
    }
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
}

fn parse_limit(raw: Option<&str>) -> Option<u32> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(DEFAULT_LIMIT),
        Some(s) => s.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn internal(e: Error) -> Response {
    eprintln!("partners-baseline: {e}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

async fn list(State(db): State<Arc<Db>>, headers: HeaderMap, q: Query<ListQuery>) -> Response {
    let Some(secret) = bearer(&headers) else {
        return Refusal::Unauthenticated.into_response();
    };
    let Some(limit) = parse_limit(q.limit.as_deref()) else {
        return Refusal::BadLimit.into_response();
    };
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    let answer = match &*db {
        Db::Sqlite(pool) => {
            let conn = match pool.take().await {
                Ok(c) => c,
                Err(e) => return internal(e),
            };
            let pool = Arc::clone(pool);
            tokio::task::spawn_blocking(move || {
                let answer = sqlite_request(&conn, &hash, limit);
                pool.give(conn);
                answer
            })
            .await
            .map_err(Error::from)
            .and_then(|a| a)
        }
        Db::Postgres(pool) => match pool.take().await {
            Ok(conn) => {
                let answer = pg_request(&conn, &hash, limit).await;
                pool.give(conn);
                answer
            }
            Err(e) => Err(e),
        },
    };
    let items = match answer {
        Ok(Ok(items)) => items,
        Ok(Err(refusal)) => return refusal.into_response(),
        Err(e) => return internal(e),
    };
    match PageOut::from_rows(items, limit).and_then(|p| Ok(serde_json::to_vec(&p)?)) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => internal(e),
    }
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = terminate => {},
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let addr: SocketAddr = arg(&args, "--addr")
        .unwrap_or_else(|| "127.0.0.1:8099".to_owned())
        .parse()?;
    let url = arg(&args, "--database-url")
        .or_else(|| std::env::var("PARTNEROPS_DATABASE_URL").ok())
        .ok_or("--database-url is required (sqlite://FILE or postgres://...)")?;

    let db = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let mut conns = Vec::with_capacity(POSTGRES_CONNECTIONS);
        for _ in 0..POSTGRES_CONNECTIONS {
            conns.push(open_postgres(&url).await?);
        }
        Db::Postgres(Pool::new(conns))
    } else {
        let path = sqlite_path(&url);
        let mut conns = Vec::with_capacity(SQLITE_CONNECTIONS);
        for _ in 0..SQLITE_CONNECTIONS {
            conns.push(open_sqlite(path)?);
        }
        Db::Sqlite(Arc::new(Pool::new(conns)))
    };

    let app = Router::new()
        .route("/api/v1/partners", get(list))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(Arc::new(db));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "partners-baseline listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_parsed_like_the_product() {
        assert_eq!(parse_limit(None), Some(50));
        assert_eq!(parse_limit(Some("50")), Some(50));
        assert_eq!(parse_limit(Some("0")), None);
        assert_eq!(parse_limit(Some("201")), None);
        assert_eq!(parse_limit(Some("ten")), None);
    }

    #[test]
    fn sqlite_times_read_both_formats() {
        let a = sqlite_time("2026-12-04T10:00:00.5+00:00").ok();
        let b = sqlite_time("2026-12-04 10:00:00.5").ok();
        assert!(a.is_some() && a == b);
    }

    #[test]
    fn scopes_that_grant_the_partner_list() {
        assert!(grants_partner_read(r#"["*"]"#).unwrap_or(false));
        assert!(grants_partner_read(r#"["registration:read","partner:read"]"#).unwrap_or(false));
        assert!(!grants_partner_read(r#"["registration:write"]"#).unwrap_or(true));
    }
}
