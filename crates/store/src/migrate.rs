//! Schema migrations, embedded in the binary and applied on start and by
//! `partnerops migrate`. Each migration exists once per backend (`migrations/sqlite`,
//! `migrations/postgres`) with the same tables, columns and index names.
//!
//! Applied migrations are recorded with a checksum; a migration edited after it was applied
//! is refused rather than silently skipped. Several instances starting at once are safe:
//! PostgreSQL takes an advisory lock, SQLite its write lock.

use sha2::{Digest, Sha256};

use crate::db::{Db, Exec, Sql, dialect, row};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Every migration, in order. A migration is identified by its version and the checksum of
/// its text; the name is informational (recorded when applied, never compared), so files
/// and names follow the capability they serve and can be renamed without touching
/// databases that applied them. The text of an applied migration is frozen, comments
/// included: the headers of 0002 and 0003 still name the files as they were first called.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "registration",
        sqlite: include_str!("../migrations/sqlite/0002_registration.sql"),
        postgres: include_str!("../migrations/postgres/0002_registration.sql"),
    },
    Migration {
        version: 3,
        name: "partnership",
        sqlite: include_str!("../migrations/sqlite/0003_partnership.sql"),
        postgres: include_str!("../migrations/postgres/0003_partnership.sql"),
    },
    Migration {
        version: 4,
        name: "lifecycle",
        sqlite: include_str!("../migrations/sqlite/0004_lifecycle.sql"),
        postgres: include_str!("../migrations/postgres/0004_lifecycle.sql"),
    },
    Migration {
        version: 5,
        name: "indexes",
        sqlite: include_str!("../migrations/sqlite/0005_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0005_indexes.sql"),
    },
    Migration {
        version: 6,
        name: "account_merge",
        sqlite: include_str!("../migrations/sqlite/0006_account_merge.sql"),
        postgres: include_str!("../migrations/postgres/0006_account_merge.sql"),
    },
    Migration {
        version: 7,
        name: "pipeline",
        sqlite: include_str!("../migrations/sqlite/0007_pipeline.sql"),
        postgres: include_str!("../migrations/postgres/0007_pipeline.sql"),
    },
    Migration {
        version: 8,
        name: "notification",
        sqlite: include_str!("../migrations/sqlite/0008_notification.sql"),
        postgres: include_str!("../migrations/postgres/0008_notification.sql"),
    },
    Migration {
        version: 9,
        name: "deal_rooms",
        sqlite: include_str!("../migrations/sqlite/0009_deal_rooms.sql"),
        postgres: include_str!("../migrations/postgres/0009_deal_rooms.sql"),
    },
    Migration {
        version: 10,
        name: "business_plans",
        sqlite: include_str!("../migrations/sqlite/0010_business_plans.sql"),
        postgres: include_str!("../migrations/postgres/0010_business_plans.sql"),
    },
    Migration {
        version: 11,
        name: "cadence",
        sqlite: include_str!("../migrations/sqlite/0011_cadence.sql"),
        postgres: include_str!("../migrations/postgres/0011_cadence.sql"),
    },
    Migration {
        version: 12,
        name: "reminders",
        sqlite: include_str!("../migrations/sqlite/0012_reminders.sql"),
        postgres: include_str!("../migrations/postgres/0012_reminders.sql"),
    },
    Migration {
        version: 13,
        name: "bench_indexes",
        sqlite: include_str!("../migrations/sqlite/0013_bench_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0013_bench_indexes.sql"),
    },
    Migration {
        version: 14,
        name: "partner_managers",
        sqlite: include_str!("../migrations/sqlite/0014_partner_managers.sql"),
        postgres: include_str!("../migrations/postgres/0014_partner_managers.sql"),
    },
    Migration {
        version: 15,
        name: "plan_sums",
        sqlite: include_str!("../migrations/sqlite/0015_plan_sums.sql"),
        postgres: include_str!("../migrations/postgres/0015_plan_sums.sql"),
    },
    Migration {
        version: 16,
        name: "payouts",
        sqlite: include_str!("../migrations/sqlite/0016_payouts.sql"),
        postgres: include_str!("../migrations/postgres/0016_payouts.sql"),
    },
    Migration {
        version: 17,
        name: "pipeline_list_order",
        sqlite: include_str!("../migrations/sqlite/0017_pipeline_list_order.sql"),
        postgres: include_str!("../migrations/postgres/0017_pipeline_list_order.sql"),
    },
    Migration {
        version: 18,
        name: "idempotency",
        sqlite: include_str!("../migrations/sqlite/0018_idempotency.sql"),
        postgres: include_str!("../migrations/postgres/0018_idempotency.sql"),
    },
    Migration {
        version: 19,
        name: "enablement",
        sqlite: include_str!("../migrations/sqlite/0019_enablement.sql"),
        postgres: include_str!("../migrations/postgres/0019_enablement.sql"),
    },
    Migration {
        version: 20,
        name: "files",
        sqlite: include_str!("../migrations/sqlite/0020_files.sql"),
        postgres: include_str!("../migrations/postgres/0020_files.sql"),
    },
    Migration {
        version: 21,
        name: "mdf",
        sqlite: include_str!("../migrations/sqlite/0021_mdf.sql"),
        postgres: include_str!("../migrations/postgres/0021_mdf.sql"),
    },
    Migration {
        version: 22,
        name: "campaigns",
        sqlite: include_str!("../migrations/sqlite/0022_campaigns.sql"),
        postgres: include_str!("../migrations/postgres/0022_campaigns.sql"),
    },
    // Co-marketing launch checklists.
    Migration {
        version: 23,
        name: "launch",
        sqlite: include_str!("../migrations/sqlite/0023_launch.sql"),
        postgres: include_str!("../migrations/postgres/0023_launch.sql"),
    },
    // Events (0023 is the launch checklists').
    Migration {
        version: 24,
        name: "events",
        sqlite: include_str!("../migrations/sqlite/0024_events.sql"),
        postgres: include_str!("../migrations/postgres/0024_events.sql"),
    },
    Migration {
        version: 25,
        name: "campaign_outcomes",
        sqlite: include_str!("../migrations/sqlite/0025_campaign_outcomes.sql"),
        postgres: include_str!("../migrations/postgres/0025_campaign_outcomes.sql"),
    },
    Migration {
        version: 26,
        name: "webhooks",
        sqlite: include_str!("../migrations/sqlite/0026_webhooks.sql"),
        postgres: include_str!("../migrations/postgres/0026_webhooks.sql"),
    },
    Migration {
        version: 27,
        name: "import",
        sqlite: include_str!("../migrations/sqlite/0027_import.sql"),
        postgres: include_str!("../migrations/postgres/0027_import.sql"),
    },
    // API hygiene: token scopes and expiry, rate-limit counters (0027 is the imports').
    Migration {
        version: 28,
        name: "api_hygiene",
        sqlite: include_str!("../migrations/sqlite/0028_api_hygiene.sql"),
        postgres: include_str!("../migrations/postgres/0028_api_hygiene.sql"),
    },
    // The public directory: listings, their facets, each program's mode, the full-text
    // index (0029 is another capability's).
    Migration {
        version: 30,
        name: "directory",
        sqlite: include_str!("../migrations/sqlite/0030_directory.sql"),
        postgres: include_str!("../migrations/postgres/0030_directory.sql"),
    },
    // The directory's trust layer: reviews and invitations, the moderation queue and
    // decisions, enquiries from the lead form.
    Migration {
        version: 31,
        name: "directory_trust",
        sqlite: include_str!("../migrations/sqlite/0031_directory_trust.sql"),
        postgres: include_str!("../migrations/postgres/0031_directory_trust.sql"),
    },
    Migration {
        version: 32,
        name: "account_mapping",
        sqlite: include_str!("../migrations/sqlite/0032_account_mapping.sql"),
        postgres: include_str!("../migrations/postgres/0032_account_mapping.sql"),
    },
    Migration {
        version: 33,
        name: "hot_paths",
        sqlite: include_str!("../migrations/sqlite/0033_hot_paths.sql"),
        postgres: include_str!("../migrations/postgres/0033_hot_paths.sql"),
    },
    Migration {
        version: 34,
        name: "scale_indexes",
        sqlite: include_str!("../migrations/sqlite/0034_scale_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0034_scale_indexes.sql"),
    },
    Migration {
        version: 35,
        name: "first_won",
        sqlite: include_str!("../migrations/sqlite/0035_first_won.sql"),
        postgres: include_str!("../migrations/postgres/0035_first_won.sql"),
    },
    Migration {
        version: 36,
        name: "directory_curation",
        sqlite: include_str!("../migrations/sqlite/0036_directory_curation.sql"),
        postgres: include_str!("../migrations/postgres/0036_directory_curation.sql"),
    },
    Migration {
        version: 37,
        name: "mapping_incremental",
        sqlite: include_str!("../migrations/sqlite/0037_mapping_incremental.sql"),
        postgres: include_str!("../migrations/postgres/0037_mapping_incremental.sql"),
    },
    Migration {
        version: 38,
        name: "directory_search",
        sqlite: include_str!("../migrations/sqlite/0038_directory_search.sql"),
        postgres: include_str!("../migrations/postgres/0038_directory_search.sql"),
    },
];

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

/// Applies pending migrations; returns the versions applied now. Outside the store, call
/// [`crate::Store::migrate`].
/// The newest migration this build knows.
pub fn latest_known() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

pub(crate) async fn migrate(db: &Db) -> Result<Vec<i64>, MigrateError> {
    let mut tx = db.begin_write().await?;
    dialect::run_script(&mut tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)").await?;
    dialect::lock_migrations(&mut tx).await?;
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
        let sql = dialect::per_backend(tx.backend(), m.sqlite, m.postgres);
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
        dialect::run_script(&mut tx, sql).await?;
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
