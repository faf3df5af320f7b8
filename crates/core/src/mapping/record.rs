//! Account mapping records of the API, and the parsing of their input.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::overlap::SharedAccount;
use super::{IntroStatus, MappingStatus, MatchState, Population, Sharing, Side};
use crate::Invalid;
use crate::ids::{
    AccountId, MappingIntroId, MappingMatchId, MappingPartnershipId, OpportunityId, PartnerId,
    TouchpointId,
};
use crate::import::{ImportError, ImportMapping, ImportSource};

/// An account mapping partnership between the vendor and one partner.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingPartnership {
    pub id: MappingPartnershipId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub status: MappingStatus,
    pub vendor_accepted_at: Option<DateTime<Utc>>,
    pub partner_accepted_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// A name match at or above it (percent) counts by itself.
    pub threshold: u32,
    /// Below it (percent), no match; between it and the threshold, a person decides.
    pub floor: u32,
    pub vendor_sharing: Sharing,
    pub partner_sharing: Sharing,
    /// Rows of the partner's current upload.
    pub uploaded_rows: i64,
    pub uploaded_at: Option<DateTime<Utc>>,
    /// Matches waiting for a person.
    pub to_confirm: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Proposing a mapping partnership (the proposer's side accepts at once).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MappingProposalInput {
    /// Vendor staff name the partner; a partner's admin proposes for its own partner.
    pub partner_id: Option<String>,
}

/// A side's settings: its own sharing, and (vendor staff) the thresholds.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MappingSettingsInput {
    /// What the caller's side shares per population.
    pub sharing: Option<Sharing>,
    /// Percent, 50–100, at least the floor (vendor staff only).
    pub threshold: Option<u32>,
    /// Percent, 50–100 (vendor staff only).
    pub floor: Option<u32>,
}

/// Checks a threshold and floor: both 50–100, the floor not above the threshold.
pub fn check_thresholds(threshold: u32, floor: u32) -> Result<(), Invalid> {
    let mut inv = Invalid::new();
    for (field, v) in [("threshold", threshold), ("floor", floor)] {
        if !(50..=100).contains(&v) {
            inv.add(
                field,
                "range",
                format!("{field} must be from 50 to 100 (percent)"),
            );
        }
    }
    if inv.is_empty() && floor > threshold {
        inv.add(
            "floor",
            "not_above_threshold",
            "floor must not be above threshold",
        );
    }
    if inv.is_empty() { Ok(()) } else { Err(inv) }
}

/// What an upload did: rows read, matches found, or (refused) every error by row and
/// column, with the mapping used or suggested.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingUploadResult {
    pub source: ImportSource,
    pub file_name: String,
    pub header: Vec<String>,
    pub mapping: ImportMapping,
    /// The rows were added to the current upload (else they replaced it).
    pub append: bool,
    pub rows: u64,
    /// Matches that count (domain, or a name at or above the threshold, or confirmed).
    pub matched: u64,
    pub to_confirm: u64,
    pub errors: Vec<ImportError>,
    pub error_count: u64,
}

/// A matched pair in a cell's drill-down: each side with only what it shares (the caller's
/// own side in full).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverlapRow {
    pub vendor_population: Population,
    pub partner_population: Population,
    pub vendor: SharedAccount,
    pub partner: SharedAccount,
    /// The vendor's account id (vendor staff only).
    pub account_id: Option<AccountId>,
    /// The partner's record id from its file (the partner only).
    pub partner_external_id: Option<String>,
    pub method: String,
    pub confidence: u32,
    pub reason: String,
}

/// A match waiting for (or given) a person's decision, as vendor staff see it: their own
/// account, and the partner's row with the fields the partner shares of its population.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingMatch {
    pub id: MappingMatchId,
    pub state: MatchState,
    pub account_id: Option<AccountId>,
    pub vendor: SharedAccount,
    pub partner: SharedAccount,
    pub vendor_population: Population,
    pub partner_population: Population,
    pub confidence: u32,
    pub reason: String,
}

/// A decision on a match.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MappingDecisionInput {
    /// `true`: the same company; `false`: different companies. Remembered for later uploads.
    pub confirmed: bool,
}

/// A co-sell opening: a customer of one side where the other has an open opportunity.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoSellSuggestion {
    /// The match: what an introduction request names.
    pub match_id: MappingMatchId,
    pub row: OverlapRow,
    /// Who would introduce whom, in a sentence.
    pub suggestion: String,
    /// The side that asks for the introduction (the one with the open opportunity).
    pub asker: Side,
    /// The introduction asked for this pair and not yet answered, if any.
    pub open_intro: Option<MappingIntroId>,
}

/// Asking the other side for an introduction from a co-sell suggestion.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MappingIntroInput {
    /// The suggestion's `match_id`.
    pub match_id: String,
}

/// Answering an introduction asked of the caller's side.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MappingIntroAnswer {
    /// `true`: the introduction was made (the partner's introduction is logged as a
    /// touchpoint on the vendor's open opportunity); `false`: declined.
    pub made: bool,
}

/// An introduction asked from a co-sell suggestion, as the caller's side may see it: the
/// matched pair with what each side shares (the caller's own side in full).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingIntro {
    pub id: MappingIntroId,
    pub partnership_id: MappingPartnershipId,
    pub asked_by: Side,
    pub status: IntroStatus,
    pub vendor: SharedAccount,
    pub partner: SharedAccount,
    pub vendor_population: Population,
    pub partner_population: Population,
    /// The vendor's open opportunity on the account (vendor staff, or the partner once the
    /// touchpoint put it on the deal).
    pub opportunity_id: Option<OpportunityId>,
    /// The touchpoint the introduction logged.
    pub touchpoint_id: Option<TouchpointId>,
    pub requested_by: String,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_must_be_sane() {
        assert!(check_thresholds(92, 80).is_ok());
        assert!(check_thresholds(80, 80).is_ok());
        let e = check_thresholds(80, 90).unwrap_err();
        assert_eq!(e.errors[0].rule, "not_above_threshold");
        let e = check_thresholds(101, 40).unwrap_err();
        assert_eq!(e.errors.len(), 2);
    }
}
