//! The duplicate review: what a channel manager may answer about two accounts a
//! registration's name brought together ("same company: merge" or "different companies"),
//! and the decisions those answers record. Pure rules; the store moves the records.

use serde::Deserialize;

use super::Decision;
use crate::ids::{AccountId, EntityId, parse_id};
use crate::invalid::text;
use crate::{FieldError, Invalid};

/// "Same company": merge the account in the path into `into`.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The surviving account (`acc_…`).
    pub into: Option<String>,
    /// Why they are the same company (kept in the decision).
    pub reason: Option<String>,
}

/// "Different companies": the account in the path and `from` are never flagged as
/// duplicates of each other again.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DistinctInput {
    /// The other account (`acc_…`).
    pub from: Option<String>,
    /// Why they are different companies (kept in the decision).
    pub reason: Option<String>,
}

/// Parses the other account of a review answer and its optional reason; the other account
/// must differ from `this` (the account in the path).
fn parse_other(
    field: &str,
    raw: Option<&str>,
    reason: Option<&str>,
    this: &str,
) -> Result<(AccountId, Option<String>), Invalid> {
    let mut inv = Invalid::new();
    let other = match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => inv.check::<AccountId>(Err(FieldError::new(
            field,
            "required",
            format!("{field} is required: the other account's id"),
        ))),
        Some(raw) => match parse_id::<AccountId>(field, raw) {
            Ok(id) if id.as_str() == this.trim() => inv.check::<AccountId>(Err(FieldError::new(
                field,
                "different",
                format!("{field} must name another account than the one in the path"),
            ))),
            r => inv.check(r),
        },
    };
    let reason = inv.check(text::optional("reason", reason, 2000));
    inv.finish(|| Some((other?, reason?)))
}

impl MergeInput {
    pub fn parse(&self, this: &str) -> Result<(AccountId, Option<String>), Invalid> {
        parse_other("into", self.into.as_deref(), self.reason.as_deref(), this)
    }
}

impl DistinctInput {
    pub fn parse(&self, this: &str) -> Result<(AccountId, Option<String>), Invalid> {
        parse_other("from", self.from.as_deref(), self.reason.as_deref(), this)
    }
}

/// Account decisions are not made under a program's registration policy; they carry this
/// version.
pub const NO_POLICY: i64 = 0;

/// Whether `from` may be merged into `into`, given whether each holds an active (pending
/// or approved) registration. Both holding one would leave the surviving account with two
/// holders, which the one-holder rule forbids: the reviewer must end one first.
pub fn merge_refusal(from_held: bool, into_held: bool) -> Option<Decision> {
    (from_held && into_held).then(|| {
        Decision::new(
            "account.merge_both_held",
            "refused",
            "both accounts hold an active registration; merging would give one account two \
             holders: reject, withdraw or close one registration first",
            NO_POLICY,
        )
    })
}

/// The decision recorded on both accounts of a merge.
pub fn merged(
    from: (&str, &str),
    into: (&str, &str),
    moved: &MergeCounts,
    note: Option<&str>,
) -> Decision {
    Decision::new(
        "account.merged",
        "merged",
        format!(
            "same company: {} ({}) merged into {} ({}); moved {} registration(s), {} direct \
             activity(ies), {} conflict case(s), {} decision(s) and {} audit event(s){}",
            from.1,
            from.0,
            into.1,
            into.0,
            moved.registrations,
            moved.direct_activities,
            moved.conflicts,
            moved.decisions,
            moved.audit_events,
            note.map(|n| format!("; {n}")).unwrap_or_default()
        ),
        NO_POLICY,
    )
}

/// What a merge moved to the surviving account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeCounts {
    pub registrations: u64,
    pub direct_activities: u64,
    pub conflicts: u64,
    pub decisions: u64,
    pub audit_events: u64,
}

/// The decision recorded on both accounts when a reviewer says they are different
/// companies; matching never pairs them again.
pub fn distinct(a: (&str, &str), b: (&str, &str), note: Option<&str>) -> Decision {
    Decision::new(
        "account.distinct",
        "distinct",
        format!(
            "different companies: {} ({}) and {} ({}) are not flagged as duplicates again{}",
            a.1,
            a.0,
            b.1,
            b.0,
            note.map(|n| format!("; {n}")).unwrap_or_default()
        ),
        NO_POLICY,
    )
}

/// A pair of accounts in a fixed order (the smaller id first), as the store keys it, so
/// (a, b) and (b, a) are one pair.
pub fn pair<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_is_refused_only_when_both_accounts_are_held() {
        assert!(merge_refusal(false, false).is_none());
        assert!(merge_refusal(true, false).is_none());
        assert!(merge_refusal(false, true).is_none());
        let d = merge_refusal(true, true).expect("refused");
        assert_eq!(d.rule, "account.merge_both_held");
        assert_eq!(d.outcome, "refused");
    }

    #[test]
    fn decisions_name_both_accounts_and_what_moved() {
        let counts = MergeCounts {
            registrations: 2,
            direct_activities: 1,
            conflicts: 1,
            decisions: 3,
            audit_events: 4,
        };
        let d = merged(
            ("acc_b", "Sequoia AG"),
            ("acc_a", "Sequoia GmbH"),
            &counts,
            Some("same VAT id"),
        );
        assert_eq!(d.rule, "account.merged");
        assert!(
            d.reason
                .contains("Sequoia AG (acc_b) merged into Sequoia GmbH (acc_a)"),
            "{}",
            d.reason
        );
        assert!(d.reason.contains("2 registration(s)"));
        assert!(d.reason.ends_with("; same VAT id"));
        let d = distinct(("acc_a", "Initech"), ("acc_b", "Initec"), None);
        assert_eq!(d.rule, "account.distinct");
        assert!(d.reason.contains("Initech (acc_a) and Initec (acc_b)"));
    }

    #[test]
    fn a_pair_has_one_order() {
        assert_eq!(pair("acc_2", "acc_1"), ("acc_1", "acc_2"));
        assert_eq!(pair("acc_1", "acc_2"), ("acc_1", "acc_2"));
    }
}
