//! [`Exec`]: fetch and execute on a pool or a transaction of either backend, so repository
//! code reads the same way inside and outside a transaction. This only dispatches to the
//! backend's driver; what differs between the backends is in [`super::dialect`].

use sqlx::{AssertSqlSafe, Postgres, Sqlite};

use super::dialect;
use super::sql::{Record, Sql};
use super::{Conn, Db, Tx};

enum Target<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Fetch and execute on a pool or a transaction of either backend.
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
    ($ty:ty, $target:ident, $autocommits:expr) => {
        impl Exec for $ty {
            async fn all<T: Record>(&mut self, q: &Sql) -> Result<Vec<T>, sqlx::Error> {
                match $target!(self) {
                    Target::Sqlite(e) => {
                        sqlx::query_as_with::<Sqlite, T, _>(
                            AssertSqlSafe(q.anonymous_text().to_owned()),
                            dialect::sqlite_args(q)?,
                        )
                        .fetch_all(e)
                        .await
                    }
                    Target::Postgres(e) => {
                        sqlx::query_as_with::<Postgres, T, _>(
                            AssertSqlSafe(q.text().to_owned()),
                            dialect::postgres_args(q)?,
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
                            AssertSqlSafe(q.anonymous_text().to_owned()),
                            dialect::sqlite_args(q)?,
                        )
                        .fetch_optional(e)
                        .await
                    }
                    Target::Postgres(e) => {
                        sqlx::query_as_with::<Postgres, T, _>(
                            AssertSqlSafe(q.text().to_owned()),
                            dialect::postgres_args(q)?,
                        )
                        .fetch_optional(e)
                        .await
                    }
                }
            }

            async fn execute(&mut self, q: &Sql) -> Result<u64, sqlx::Error> {
                if $autocommits {
                    super::note_commit();
                }
                match $target!(self) {
                    Target::Sqlite(e) => Ok(sqlx::query_with::<Sqlite, _>(
                        AssertSqlSafe(q.anonymous_text().to_owned()),
                        dialect::sqlite_args(q)?,
                    )
                    .execute(e)
                    .await?
                    .rows_affected()),
                    Target::Postgres(e) => Ok(sqlx::query_with::<Postgres, _>(
                        AssertSqlSafe(q.text().to_owned()),
                        dialect::postgres_args(q)?,
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

macro_rules! conn_target {
    ($s:expr) => {
        match $s {
            Conn::Sqlite(t, _) => Target::Sqlite(&mut **t),
            Conn::Postgres(t) => Target::Postgres(&mut **t),
        }
    };
}

/// A read handle on the pool: `db.read().all(&q)`.
pub struct Read<'a>(pub(super) &'a Db);

// A statement on the pool commits by itself; one in a transaction commits with it.
impl_exec!(Read<'_>, pool_target, true);
impl_exec!(Conn, conn_target, false);

// In a transaction, rows it holds for a table a statement names are written first.
impl Exec for Tx {
    async fn all<T: Record>(&mut self, q: &Sql) -> Result<Vec<T>, sqlx::Error> {
        self.settle_for(q.text()).await?;
        self.conn.all(q).await
    }

    async fn optional<T: Record>(&mut self, q: &Sql) -> Result<Option<T>, sqlx::Error> {
        self.settle_for(q.text()).await?;
        self.conn.optional(q).await
    }

    async fn execute(&mut self, q: &Sql) -> Result<u64, sqlx::Error> {
        self.settle_for(q.text()).await?;
        self.conn.execute(q).await
    }
}
