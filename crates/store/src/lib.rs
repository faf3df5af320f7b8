//! The partnerops store: migrations and the repository functions over SQLite and
//! PostgreSQL, through one query path (see [`db`]).
//!
//! Every function a partner user can reach takes the caller's scope or [`Actor`] and applies
//! it inside its SQL ([`scope`]), so no caller can forget it; every change writes its audit
//! event in the same transaction. Business rules are not decided here: they come from
//! `partnerops-core`, which this crate calls with data it has read. No HTTP, no HTML.

mod change;
pub(crate) mod db;
mod entity;
pub mod error;
pub mod etag;
pub mod idempotency;
pub mod migrate;
pub mod rate_limit;
pub mod schema;
mod scope;
pub mod secret;

// Shared bookkeeping every capability writes through.
pub mod audit;
pub mod decision;
mod engagement;
pub mod jobs;

// Foundation records.
pub mod account;
pub mod auth;
pub mod bulk;
pub mod business_plan;
pub mod partner;
pub mod user;

// Capabilities, one folder each, named as in `partnerops-core`.
pub mod cadence;
pub mod campaign;
pub mod directory;
pub mod enablement;
pub mod event;
pub mod file;
pub mod import;
pub mod launch;
pub mod lifecycle;
pub mod mapping;
pub mod mdf;
pub mod notification;
pub mod partnership;
pub mod payout;
pub mod pipeline;
pub mod policy;
pub mod program;
pub mod registration;
pub mod webhook;

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use partnerops_core::ids::{EntityId, PartnerId, UserId};
use partnerops_core::scope::{Action, Principal, Scope, authorize};

pub use db::Backend;
use db::Db;
pub use db::watching_commits;
pub use entity::Archived;
pub use error::{Result, StoreError};

/// Where "now" comes from. Injectable so that time-driven rules can be exercised at any
/// instant (`--as-of`) and tests need not wait.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The store: a pool on one backend, a clock, and where notifications go (the SMTP server
/// and the public address their links use).
#[derive(Clone)]
pub struct Store {
    db: Db,
    clock: Clock,
    notify: Arc<notification::mail::NotifySettings>,
    files: file::FileStore,
    webhooks: Arc<webhook::WebhookSettings>,
    /// Rate-limit counts kept in this process where the database need not share them
    /// (see `rate_limit`).
    local_counts: rate_limit::LocalCounts,
    /// Live API token grants read in the last second (see `auth::grants`).
    grants: auth::grants::Grants,
    /// The account matcher kept between mapping uploads (see `mapping::matcher`).
    mapping_matchers: mapping::MatcherCache,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.db.backend())
            .finish()
    }
}

impl Store {
    /// Connects to `url` and applies pending migrations.
    #[tracing::instrument(skip_all)]
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        account::backfill_name_keys(&store.db).await?;
        Ok(store)
    }

    /// Applies pending migrations (`partnerops migrate`); returns the versions applied now,
    /// none when the schema is current. Safe when several instances start at once.
    #[tracing::instrument(skip_all)]
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        Ok(migrate::migrate(&self.db).await?)
    }

    /// The newest migration applied to the database (0 before any), for readiness: a
    /// database behind this build is not ready to serve it.
    pub async fn applied_migration(&self) -> Result<i64> {
        db::row! { struct Latest { version: Option<i64> } }
        let latest: Option<Latest> = db::Exec::optional(
            &mut self.db.read(),
            &db::Sql::new("SELECT MAX(version) AS version FROM schema_migrations"),
        )
        .await?;
        Ok(latest.and_then(|l| l.version).unwrap_or(0))
    }

    /// Writes a consistent copy of this SQLite database to `path` (a new file) while it
    /// keeps serving. PostgreSQL is backed up with `pg_dump` instead (refused here, saying so).
    pub async fn backup_to(&self, path: &str) -> Result<()> {
        if std::path::Path::new(path).exists() {
            return Err(StoreError::conflict(
                "to",
                "backup.exists",
                format!("{path} exists already: a backup never overwrites a file"),
            ));
        }
        match db::dialect::backup_into(&self.db, path).await {
            Some(done) => Ok(done?),
            None => Err(StoreError::conflict(
                "database_url",
                "backup.postgres",
                "back up PostgreSQL with pg_dump (see the README): partnerops backup copies SQLite files",
            )),
        }
    }

    /// Connects without migrating.
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str) -> Result<Store> {
        let db = Db::connect(url).await?;
        Ok(Store {
            db,
            clock: Arc::new(Utc::now),
            local_counts: rate_limit::LocalCounts::default(),
            grants: auth::grants::Grants::default(),
            mapping_matchers: Default::default(),
            notify: Arc::default(),
            files: file::FileStore::default_for(url)?,
            webhooks: Arc::default(),
        })
    }

    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// Where notification e-mails go and which address their links use (default: no SMTP
    /// server, so e-mails are recorded as skipped).
    pub fn with_notify(mut self, settings: notification::mail::NotifySettings) -> Store {
        self.notify = Arc::new(settings);
        self
    }

    /// Where webhooks may be sent (default: public addresses only).
    pub fn with_webhooks(mut self, settings: webhook::WebhookSettings) -> Store {
        self.webhooks = Arc::new(settings);
        self
    }

    /// Where notification e-mails go and which address their links use.
    pub fn notify_settings(&self) -> &notification::mail::NotifySettings {
        &self.notify
    }

    /// The current time, to the microsecond: both databases keep microseconds, so a time
    /// handed back to a caller reads back the same.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)().trunc_subsecs(6)
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    #[tracing::instrument(skip_all)]
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// A cheap round trip, for health checks.
    #[tracing::instrument(skip_all)]
    pub async fn ping(&self) -> Result<()> {
        db::row! {
            struct One {
                #[allow(dead_code)]
                one: i64,
            }
        }
        let _: Vec<One> = db::Exec::all(
            &mut self.db.read(),
            &db::Sql::new("SELECT CAST(1 AS BIGINT) AS one"),
        )
        .await?;
        Ok(())
    }
}

/// The first instant of `day` (UTC): a day's range of timestamps is `[midnight(day),
/// midnight(day + 1))`.
pub(crate) fn midnight(day: chrono::NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// A fresh id: a UUIDv7 (time-ordered, so ids sort roughly by creation) with the kind's prefix.
pub fn new_id<T: EntityId>() -> T {
    T::from_parts(&uuid::Uuid::now_v7().simple().to_string())
}

/// Who makes a change: a signed-in user, or the system itself (the CLI, the demo loader,
/// scheduled jobs), which acts with vendor scope.
#[derive(Clone, Debug)]
pub enum Actor {
    User(Principal),
    System(String),
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor::System(label.to_owned())
    }

    pub fn scope(&self) -> Scope {
        match self {
            Actor::User(p) => p.scope.clone(),
            Actor::System(_) => Scope::Vendor,
        }
    }

    pub fn partner_id(&self) -> Option<&PartnerId> {
        match self {
            Actor::User(p) => p.partner_id(),
            Actor::System(_) => None,
        }
    }

    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Actor::User(p) => Some(&p.user_id),
            Actor::System(_) => None,
        }
    }

    /// Checks the role rule for `action`; the system may do anything.
    pub fn authorize(&self, action: &Action<'_>) -> Result<()> {
        match self {
            Actor::User(p) => Ok(authorize(p, action)?),
            Actor::System(_) => Ok(()),
        }
    }

    pub(crate) fn audit_name(&self) -> String {
        match self {
            Actor::User(p) => p.display_name.clone(),
            Actor::System(label) => format!("system ({label})"),
        }
    }
}
