//! Entity tags for optimistic concurrency (`ETag` / `If-Match`): a record's tag is a hash
//! of its JSON as the API shows it, so any change to what a client saw changes the tag,
//! and a record that did not change keeps it. One function makes tags for every record
//! ([`of`]); updates that take a [`Precondition`] check it on the record as it stands
//! inside their own transaction, with the row held until commit
//! ([`crate::entity::fetch_for_change`]), so no other change can slip in between the check
//! and the write.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

/// The strong entity tag of `value`, quoted as it goes in the `ETag` header:
/// `"3f1c…"` (the first 128 bits of the SHA-256 of its JSON).
pub fn of<T: Serialize>(value: &T) -> Result<String> {
    let json = serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let digest = Sha256::digest(&json);
    Ok(format!("\"{}\"", hex::encode(&digest[..16])))
}

/// What an update requires of the record's current tag (from `If-Match`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Precondition {
    /// No requirement: the update goes ahead as always.
    #[default]
    None,
    /// `If-Match: *`: the record must exist.
    Any,
    /// The current tag must be one of these (strong comparison: weak tags never match).
    OneOf(Vec<String>),
}

impl Precondition {
    /// Parses the values of `If-Match` headers: `*`, or entity tags separated by commas.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Precondition {
        let mut tags = Vec::new();
        let mut seen = false;
        for v in values {
            seen = true;
            for t in v.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if t == "*" {
                    return Precondition::Any;
                }
                tags.push(t.to_owned());
            }
        }
        if seen {
            Precondition::OneOf(tags)
        } else {
            Precondition::None
        }
    }

    pub fn is_none(&self) -> bool {
        *self == Precondition::None
    }

    /// `PreconditionFailed` unless `current` (the record as read inside the update's
    /// transaction, after [`hold`]) meets it.
    pub fn check<T: Serialize>(&self, current: &T) -> Result<()> {
        if self.is_none() || self.admits(&of(current)?) {
            Ok(())
        } else {
            Err(StoreError::PreconditionFailed)
        }
    }

    /// Whether a record whose tag is `current` meets it.
    pub fn admits(&self, current: &str) -> bool {
        match self {
            Precondition::None | Precondition::Any => true,
            Precondition::OneOf(tags) => tags.iter().any(|t| t == current),
        }
    }
}

/// For updates that read their record with a fetch of their own: holds row `id` of
/// `table` until the transaction ends when there is a precondition, before the record is
/// read and [`Precondition::check`]ed (see `entity::fetch_for_change` for why).
pub(crate) async fn hold(
    tx: &mut crate::db::Tx,
    table: &str,
    id: &str,
    precondition: &Precondition,
) -> Result<()> {
    if !precondition.is_none() {
        tx.lock_row(table, id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_the_content() {
        let a = of(&serde_json::json!({"name": "A", "n": 1})).unwrap();
        assert_eq!(a, of(&serde_json::json!({"name": "A", "n": 1})).unwrap());
        assert_ne!(a, of(&serde_json::json!({"name": "A", "n": 2})).unwrap());
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
    }

    #[test]
    fn if_match_lists_star_and_weak_tags() {
        assert_eq!(Precondition::parse([]), Precondition::None);
        assert_eq!(Precondition::parse(["*"]), Precondition::Any);
        let p = Precondition::parse(["\"a\", \"b\"", "W/\"c\""]);
        assert!(p.admits("\"a\"") && p.admits("\"b\""));
        // Strong comparison: a weak tag never matches.
        assert!(!p.admits("\"c\""));
        assert!(!Precondition::parse([""]).admits("\"a\""));
        assert!(Precondition::None.admits("\"x\""));
    }
}
