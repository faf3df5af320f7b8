//! The store's error: what went wrong in terms a caller can answer with (not found,
//! invalid, conflict, forbidden, throttled), or a database failure to log.

use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::PartnerId;
use partnerops_core::registration::Decision;
use partnerops_core::scope::Denied;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or the caller's scope cannot see it: the two must look
    /// the same, so a partner cannot probe for other partners' ids.
    #[error("{} not found", .0.label())]
    NotFound(EntityKind),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The change collides with the current state (a taken domain, a used rank).
    #[error("conflict on {field}: {message}")]
    Conflict {
        field: String,
        rule: String,
        message: String,
    },
    #[error("forbidden: {}", .0.message)]
    Forbidden(Denied),
    /// `If-Match` named a version of the record that is no longer current: someone changed
    /// it since the client read it. Nothing was written.
    #[error("the record changed since it was read (If-Match)")]
    PreconditionFailed,
    /// A business rule refused the request; the decision names the rule and the reason.
    #[error("refused by {}: {}", .decision.rule, .decision.reason)]
    Refused {
        decision: Decision,
        /// The partner the refused record belongs to (none for a direct deal).
        partner: Option<PartnerId>,
    },
    /// Wrong e-mail or password; deliberately says not which.
    #[error("wrong e-mail address or password")]
    BadCredentials,
    #[error("too many failed logins; try again after {retry_at}")]
    Throttled { retry_at: DateTime<Utc> },
    /// Stored data failed to parse: a bug or a manual edit, never user input.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// The object store holding file bytes failed (a folder not writable, a bucket down).
    #[error("file store: {0}")]
    Files(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Migrate(#[from] crate::migrate::MigrateError),
    /// The database cannot be reached (a lost connection, a restarting server): not a bug,
    /// worth retrying shortly.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error(transparent)]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::connection_lost(&e) {
            StoreError::Unavailable(e)
        } else {
            StoreError::Db(e)
        }
    }
}

impl StoreError {
    /// Whether the database connection dropped under a request (rather than no connection
    /// being had in time): a second try on a fresh connection may well succeed.
    pub fn connection_dropped(&self) -> bool {
        matches!(self, StoreError::Unavailable(e) if !matches!(e, sqlx::Error::PoolTimedOut))
    }

    pub fn conflict(field: &str, rule: &str, message: impl Into<String>) -> Self {
        StoreError::Conflict {
            field: field.to_owned(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }
}

impl From<Denied> for StoreError {
    fn from(d: Denied) -> Self {
        StoreError::Forbidden(d)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
