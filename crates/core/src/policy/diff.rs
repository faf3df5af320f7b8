//! Readable differences between two policy versions. SKELETON: bodies to be written.

use serde::Serialize;

use super::ProgramPolicy;

/// One changed setting, by its key path (e.g. `tiers[1].criteria[0].at_least`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub key: String,
    /// TOML text of the old value; None when the key is new.
    pub before: Option<String>,
    /// TOML text of the new value; None when the key was removed.
    pub after: Option<String>,
}

/// Every setting that differs, in document order.
pub fn diff(before: &ProgramPolicy, after: &ProgramPolicy) -> Vec<Change> {
    let _ = (before, after);
    Vec::new()
}
