//! The two backends behind one query path.
//!
//! Statements are written once as portable SQL with `$1, $2, …` placeholders (both SQLite and
//! PostgreSQL accept them) and built with [`Sql`] ([`sql`]); [`Db`] and [`Tx`] run them on
//! whichever native pool was chosen at start-up, through [`Exec`] ([`exec`]). Every place
//! where the backends differ is a named function in [`dialect`]; code outside this folder
//! never matches on the backend. Repository code (what is stored, who may see it) does not
//! live here.

pub mod dialect;
mod exec;
mod journal;
mod sql;

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use dialect::{UniqueRule, connection_lost, unique_violation};
pub use exec::{Exec, Read};
pub(crate) use sql::row;
pub use sql::{Arg, Record, Sql};

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
/// so an error half-way through a change leaves nothing behind. Bookkeeping rows recorded
/// with [`Tx::hold_row`] are written when it commits ([`journal`]).
pub struct Tx {
    conn: Conn,
    journal: journal::Journal,
}

/// The open transaction on its backend.
pub(super) enum Conn {
    /// Holds its turn in the writer queue until it ends.
    Sqlite(
        Transaction<'static, Sqlite>,
        Option<tokio::sync::OwnedMutexGuard<()>>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

tokio::task_local! {
    /// How many commits the current request attempted (see [`watching_commits`]).
    static COMMITS: std::cell::Cell<u32>;
}

/// Counts a commit, or a statement that commits by itself, in the watched request.
pub(crate) fn note_commit() {
    let _ = COMMITS.try_with(|c| c.set(c.get() + 1));
}

/// Runs `work` and tells whether it attempted to commit anything. A request that failed
/// on a lost connection without attempting a commit changed nothing (its transaction rolled
/// back with the connection), so it is safe to run again; one that attempted a commit may
/// have changed something even if the commit's answer was lost.
pub async fn watching_commits<F: Future>(work: F) -> (F::Output, bool) {
    COMMITS
        .scope(std::cell::Cell::new(0), async {
            let out = work.await;
            (out, COMMITS.with(std::cell::Cell::get) > 0)
        })
        .await
}

impl Tx {
    pub(super) fn new(conn: Conn) -> Tx {
        Tx {
            conn,
            journal: journal::Journal::default(),
        }
    }

    /// Writes the held bookkeeping rows, then commits.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.write_held().await?;
        note_commit();
        match self.conn {
            Conn::Sqlite(t, _turn) => t.commit().await,
            Conn::Postgres(t) => t.commit().await,
        }
    }

    /// Records a row of a bookkeeping table (`columns` in a fixed order per table) to be
    /// written with the others of its table when the transaction commits, or earlier when
    /// a statement of this transaction names the table ([`journal`]).
    pub(crate) fn hold_row(
        &mut self,
        table: &'static str,
        columns: &'static [&'static str],
        row: Vec<Arg>,
    ) {
        self.journal.hold(table, columns, row);
    }

    /// Writes the held rows first when `sql` names one of their tables.
    async fn settle_for(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        if self.journal.is_named_in(sql) {
            self.write_held().await?;
        }
        Ok(())
    }

    /// Writes every held row (see [`dialect::insert_held`]).
    async fn write_held(&mut self) -> Result<(), sqlx::Error> {
        let held = self.journal.take();
        dialect::insert_held(&mut self.conn, &held).await
    }

    /// Serialises transactions that use the same `key` until this one ends (see
    /// [`dialect`] for how each backend does it).
    pub async fn lock_key(&mut self, key: &str) -> Result<(), sqlx::Error> {
        dialect::lock_key(self, key).await
    }

    /// Readies this transaction for writing many rows it also reads back (see
    /// [`dialect::for_bulk_writes`]).
    pub async fn for_bulk_writes(&mut self) -> Result<(), sqlx::Error> {
        dialect::for_bulk_writes(self).await
    }

    /// Brings the planner's statistics of `tables` up to this transaction's own writes (see
    /// [`dialect::refresh_statistics`]).
    pub async fn refresh_statistics(&mut self, tables: &[&str]) -> Result<(), sqlx::Error> {
        dialect::refresh_statistics(self, tables).await
    }

    /// Appends many rows to `table` by the backend's fastest route (see
    /// [`dialect::insert_rows`]).
    pub async fn insert_rows(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Arg>],
    ) -> Result<(), sqlx::Error> {
        self.settle_for(table).await?;
        dialect::insert_rows(&mut self.conn, table, columns, rows).await
    }

    /// Holds row `id` of `table` until this transaction ends (see [`dialect`]).
    pub async fn lock_row(&mut self, table: &str, id: &str) -> Result<(), sqlx::Error> {
        dialect::lock_row(self, table, id).await
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(..) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Db {
    /// Opens a pool for `url` (`sqlite://path` or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        match Backend::of_url(url) {
            Some(Backend::Sqlite) => dialect::connect_sqlite(url).await,
            Some(Backend::Postgres) => dialect::connect_postgres(url).await,
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

    /// Runs a single write that commits by itself: one round trip where `BEGIN`, the
    /// statement and `COMMIT` take three. Only for a write that needs no other in its
    /// transaction; on SQLite it also skips the writer queue, so writers there use
    /// [`Db::begin_write`].
    pub fn autocommit(&self) -> Read<'_> {
        Read(self)
    }

    /// Begins a transaction that will write (see [`dialect`] for what differs).
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        dialect::begin_write(self).await
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, _) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}
