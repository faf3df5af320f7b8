//! Policy validation. SKELETON: bodies to be written.

use super::ProgramPolicy;
use crate::Invalid;

pub(super) fn validate(policy: &ProgramPolicy) -> Result<(), Invalid> {
    let mut inv = Invalid::new();
    if policy.tiers.is_empty() {
        inv.add(
            "tiers",
            "required",
            "tiers must list at least the entry tier",
        );
    }
    inv.finish(|| Some(()))
}

pub(super) fn warnings(policy: &ProgramPolicy) -> Vec<String> {
    let _ = policy;
    Vec::new()
}
