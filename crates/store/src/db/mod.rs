//! The two backends behind one query path.
//!
//! Statements are written once as portable SQL with `$1, $2, …` placeholders (both SQLite and
//! PostgreSQL accept them) and built with [`Sql`]; [`Db`] and [`Tx`] run them on whichever
//! native pool was chosen at start-up. The only places where the backends differ are named
//! here: how a write transaction begins ([`Db::begin_write`]), how timestamps are bound
//! ([`Arg`]), and how a unique violation names its index ([`unique_violation`]).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::postgres::{PgArguments, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Arguments, AssertSqlSafe, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// A pool on one of the two backends.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, WriterQueue),
    Postgres(PgPool),
}

/// SQLite takes one writer at a time. Writers of this process wait for their turn here, in
/// order, instead of in SQLite's busy handler, which sleeps in growing steps and gives the
/// lock to whoever retries first (a long tail of latency under load). The busy timeout
/// still covers writers in other processes (the CLI beside a running server).
pub type WriterQueue = std::sync::Arc<tokio::sync::Mutex<()>>;

/// A transaction on one of the two backends. Dropped without [`Tx::commit`], it rolls back,
/// so an error half-way through a change leaves nothing behind.
pub enum Tx {
    /// Holds its turn in the writer queue until it ends.
    Sqlite(
        Transaction<'static, Sqlite>,
        Option<tokio::sync::OwnedMutexGuard<()>>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

/// A value bound to a placeholder.
#[derive(Clone, Debug)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Date(Option<NaiveDate>),
    Time(Option<DateTime<Utc>>),
}

macro_rules! arg_from {
    ($($t:ty => $variant:ident $(via $conv:expr)?),* $(,)?) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg { Arg::$variant(Some(v $(.pipe($conv))?)) }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg { Arg::$variant(v $(.map($conv))?) }
        }
    )*};
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}

arg_from!(
    String => Text,
    &str => Text via str::to_owned,
    &String => Text via String::clone,
    i64 => Int,
    i32 => Int via i64::from,
    NaiveDate => Date,
    DateTime<Utc> => Time,
);

/// A statement under construction: SQL text plus the values for its placeholders.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text. Only ever pass fixed text here; values go through [`Sql::bind`].
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn sqlite_args(&self) -> Result<SqliteArguments, sqlx::Error> {
        let mut out = SqliteArguments::default();
        for a in &self.args {
            let r = match a {
                Arg::Text(v) => out.add(v.clone()),
                Arg::Int(v) => out.add(*v),
                Arg::Date(v) => out.add(*v),
                // SQLite keeps timestamps as text; one fixed-width UTC format keeps them
                // comparable as strings (`ORDER BY`, `<`, cursors).
                Arg::Time(v) => out.add(v.map(|t| sqlite_time(&t))),
            };
            r.map_err(sqlx::Error::Encode)?;
        }
        Ok(out)
    }

    fn pg_args(&self) -> Result<PgArguments, sqlx::Error> {
        let mut out = PgArguments::default();
        for a in &self.args {
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
}

/// The text form of a timestamp in SQLite.
pub fn sqlite_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Declares a row struct and how either backend decodes it, by column name. A declarative
/// macro rather than sqlx's derive: the derive would compile a second copy of the sqlx
/// drivers (SQLite's C code included) for the proc macro. Use only portable field types:
/// `String`, `i64`, `NaiveDate`, `DateTime<Utc>` and their options.
macro_rules! row {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        $vis struct $name { $($(#[$fmeta])* $fvis $field: $ty),* }

        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $name
        where
            &'static str: sqlx::ColumnIndex<R>,
            $($ty: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,)*
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok($name { $($field: row.try_get(stringify!($field))?),* })
            }
        }
    };
}
pub(crate) use row;

/// A row type both backends can decode (declare it with [`row!`]).
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

enum Target<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Fetch and execute on a pool or a transaction of either backend, so repository code can
/// read the same way inside and outside a transaction.
pub trait Exec: Send {
    /// All rows.
    fn all<T: Record>(
        &mut self,
        q: &Sql,
    ) -> impl Future<Output = Result<Vec<T>, sqlx::Error>> + Send;
    /// At most one row.
    fn optional<T: Record>(
        &mut self,
        q: &Sql,
    ) -> impl Future<Output = Result<Option<T>, sqlx::Error>> + Send;
    /// Runs a statement and returns the number of rows it changed.
    fn execute(&mut self, q: &Sql) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
}

macro_rules! impl_exec {
    ($ty:ty, $target:ident) => {
        impl Exec for $ty {
            async fn all<T: Record>(&mut self, q: &Sql) -> Result<Vec<T>, sqlx::Error> {
                match $target!(self) {
                    Target::Sqlite(e) => {
                        sqlx::query_as_with::<Sqlite, T, _>(
                            AssertSqlSafe(q.text.clone()),
                            q.sqlite_args()?,
                        )
                        .fetch_all(e)
                        .await
                    }
                    Target::Postgres(e) => {
                        sqlx::query_as_with::<Postgres, T, _>(
                            AssertSqlSafe(q.text.clone()),
                            q.pg_args()?,
                        )
                        .fetch_all(e)
                        .await
                    }
                }
            }

            async fn optional<T: Record>(&mut self, q: &Sql) -> Result<Option<T>, sqlx::Error> {
                match $target!(self) {
                    Target::Sqlite(e) => {
                        sqlx::query_as_with::<Sqlite, T, _>(
                            AssertSqlSafe(q.text.clone()),
                            q.sqlite_args()?,
                        )
                        .fetch_optional(e)
                        .await
                    }
                    Target::Postgres(e) => {
                        sqlx::query_as_with::<Postgres, T, _>(
                            AssertSqlSafe(q.text.clone()),
                            q.pg_args()?,
                        )
                        .fetch_optional(e)
                        .await
                    }
                }
            }

            async fn execute(&mut self, q: &Sql) -> Result<u64, sqlx::Error> {
                match $target!(self) {
                    Target::Sqlite(e) => Ok(sqlx::query_with::<Sqlite, _>(
                        AssertSqlSafe(q.text.clone()),
                        q.sqlite_args()?,
                    )
                    .execute(e)
                    .await?
                    .rows_affected()),
                    Target::Postgres(e) => Ok(sqlx::query_with::<Postgres, _>(
                        AssertSqlSafe(q.text.clone()),
                        q.pg_args()?,
                    )
                    .execute(e)
                    .await?
                    .rows_affected()),
                }
            }
        }
    };
}

macro_rules! pool_target {
    ($s:expr) => {
        match $s.0 {
            Db::Sqlite(p, _) => Target::Sqlite(p),
            Db::Postgres(p) => Target::Postgres(p),
        }
    };
}

macro_rules! tx_target {
    ($s:expr) => {
        match $s {
            Tx::Sqlite(t, _) => Target::Sqlite(&mut **t),
            Tx::Postgres(t) => Target::Postgres(&mut **t),
        }
    };
}

/// A read handle on the pool: `db.read().all(&q)`.
pub struct Read<'a>(&'a Db);

impl_exec!(Read<'_>, pool_target);
impl_exec!(Tx, tx_target);

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    /// Serialises transactions that use the same `key` until this one ends. PostgreSQL
    /// takes a transaction-scoped advisory lock; SQLite needs nothing, since its write
    /// transactions already run one at a time.
    pub async fn lock_key(&mut self, key: &str) -> Result<(), sqlx::Error> {
        if let Tx::Postgres(_) = self {
            let mut q = Sql::new("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended(");
            q.bind(key).push(", 0))) AS l");
            self.execute(&q).await?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Db {
    /// Opens a pool for `url` (`sqlite://path` or `postgres://…`). A SQLite file is created
    /// when missing, with WAL journaling so readers do not wait for writers.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        match Backend::of_url(url) {
            Some(Backend::Sqlite) => {
                let opts = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // sqlx hands rows from its SQLite thread over a channel; room for a whole
                    // page (200 rows + 1) saves a thread hand-off per row beyond the buffer.
                    .row_buffer_size(256);
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .min_connections(1)
                    .connect_with(opts)
                    .await?;
                Ok(Db::Sqlite(pool, WriterQueue::default()))
            }
            Some(Backend::Postgres) => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok(Db::Postgres(pool))
            }
            None => Err(sqlx::Error::Configuration(
                "database URL must start with sqlite:// or postgres://".into(),
            )),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Reads outside a transaction.
    pub fn read(&self) -> Read<'_> {
        Read(self)
    }

    /// Begins a transaction that will write. SQLite must take its write lock up front
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and upgrades later fails with
    /// "database is locked" under concurrency instead of waiting. PostgreSQL rejects that
    /// syntax and needs nothing special: conditional updates and constraints decide races.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Db::Sqlite(p, queue) => {
                let turn = queue.clone().lock_owned().await;
                Ok(Tx::Sqlite(
                    p.begin_with("BEGIN IMMEDIATE").await?,
                    Some(turn),
                ))
            }
            Db::Postgres(p) => Ok(Tx::Postgres(p.begin().await?)),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, _) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

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
