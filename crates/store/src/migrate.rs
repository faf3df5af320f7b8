//! Schema migrations, embedded in the binary and applied on start and by
//! `partnerops migrate`. Each migration exists once per backend (`migrations/sqlite`,
//! `migrations/postgres`) with the same tables, columns and index names.
//!
//! Applied migrations are recorded with a checksum; a migration edited after it was applied
//! is refused rather than silently skipped. Several instances starting at once are safe:
//! PostgreSQL takes an advisory lock, SQLite its write lock.

use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

use crate::db::{Db, Exec, Sql, Tx, row};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "registrations",
        sqlite: include_str!("../migrations/sqlite/0002_registrations.sql"),
        postgres: include_str!("../migrations/postgres/0002_registrations.sql"),
    },
    Migration {
        version: 3,
        name: "partnerships",
        sqlite: include_str!("../migrations/sqlite/0003_partnerships.sql"),
        postgres: include_str!("../migrations/postgres/0003_partnerships.sql"),
    },
    Migration {
        version: 4,
        name: "lifecycle",
        sqlite: include_str!("../migrations/sqlite/0004_lifecycle.sql"),
        postgres: include_str!("../migrations/postgres/0004_lifecycle.sql"),
    },
    Migration {
        version: 6,
        name: "account_merge",
        sqlite: include_str!("../migrations/sqlite/0006_account_merge.sql"),
        postgres: include_str!("../migrations/postgres/0006_account_merge.sql"),
    },
];

/// An arbitrary constant naming our advisory lock.
const PG_MIGRATION_LOCK: i64 = 0x0070_6172_746e_6572;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "migration {version} ({name}) was changed after it was applied; restore it and add a new migration instead"
    )]
    Changed { version: i64, name: String },
    #[error("the database has migration {0}, which this build does not know; upgrade partnerops")]
    Newer(i64),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

row! {
    struct Applied {
        version: i64,
        checksum: String,
    }
}

/// Applies pending migrations; returns the versions applied now.
pub async fn migrate(db: &Db) -> Result<Vec<i64>, MigrateError> {
    let mut tx = db.begin_write().await?;
    script(&mut tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)").await?;
    if let Tx::Postgres(_) = tx {
        tx.execute(
            Sql::new("SELECT 1 FROM (SELECT pg_advisory_xact_lock(")
                .bind(PG_MIGRATION_LOCK)
                .push(")) AS l"),
        )
        .await?;
    }
    let applied: Vec<Applied> = tx
        .all(&Sql::new(
            "SELECT version, checksum FROM schema_migrations ORDER BY version",
        ))
        .await?;
    if let Some(newest) = applied.last()
        && !MIGRATIONS.iter().any(|m| m.version == newest.version)
    {
        return Err(MigrateError::Newer(newest.version));
    }
    let mut now_applied = Vec::new();
    for m in MIGRATIONS {
        let sql = match tx {
            Tx::Sqlite(..) => m.sqlite,
            Tx::Postgres(_) => m.postgres,
        };
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        match applied.iter().find(|a| a.version == m.version) {
            Some(a) if a.checksum == checksum => continue,
            Some(_) => {
                return Err(MigrateError::Changed {
                    version: m.version,
                    name: m.name.to_owned(),
                });
            }
            None => {}
        }
        script(&mut tx, sql).await?;
        tx.execute(
            Sql::new(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (",
            )
            .bind(m.version)
            .push(", ")
            .bind(m.name)
            .push(", ")
            .bind(checksum)
            .push(", ")
            .bind(chrono::Utc::now().to_rfc3339())
            .push(")"),
        )
        .await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        now_applied.push(m.version);
    }
    tx.commit().await?;
    Ok(now_applied)
}

/// Runs a multi-statement script without parameters.
async fn script(tx: &mut Tx, sql: &str) -> Result<(), sqlx::Error> {
    match tx {
        Tx::Sqlite(t, _) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut **t)
            .await
            .map(|_| ()),
        Tx::Postgres(t) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut **t)
            .await
            .map(|_| ()),
    }
}
