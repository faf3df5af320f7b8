//! Account mapping: which accounts the vendor and one partner have in common, without
//! either side learning anything of the other's accounts outside that overlap.
//!
//! - [`matching`]: normalised domains and names, and the matcher (domain first, then the
//!   name within the country, each match with its confidence and reason);
//! - [`overlap`]: the populations on each side, the overlap matrix, the sharing rules (what
//!   a cell's drill-down may show) and the co-sell cells;
//! - [`upload`]: the partner's CRM export as the import reader reads it, with the fields a
//!   mapping needs;
//! - [`record`]: the records of the API.
//!
//! A mapping partnership is dual opt-in: it is active only once both the vendor and the
//! partner accepted, and either may end it (the partner's uploaded data is then deleted).
//! No I/O here.

pub mod matching;
pub mod overlap;
pub mod record;
pub mod upload;

use serde::{Deserialize, Serialize};

use crate::text_enum;

text_enum!(
    /// Which accounts of a side a row belongs to.
    Population {
        Customer = "customer" / "Customers",
        OpenOpportunity = "open_opportunity" / "Open opportunities",
        Prospect = "prospect" / "Prospects",
    }
);

text_enum!(
    /// Where a mapping partnership stands.
    MappingStatus {
        /// One side accepted; the other has not yet.
        Proposed = "proposed" / "Awaiting opt-in",
        /// Both sides accepted.
        Active = "active" / "Active",
        /// One side ended it; the partner's uploaded data is gone.
        Ended = "ended" / "Ended",
    }
);

text_enum!(
    /// A side of a mapping partnership.
    Side {
        Vendor = "vendor" / "Vendor",
        Partner = "partner" / "Partner",
    }
);

text_enum!(
    /// A field of an account a side may choose to share for a population.
    SharedField {
        Name = "name" / "Company name",
        WebDomain = "web_domain" / "Web domain",
        Country = "country" / "Country",
    }
);

text_enum!(
    /// What became of a match.
    MatchState {
        /// Sure enough by itself (the domain, or a name at or above the threshold).
        Auto = "auto" / "Matched",
        /// A name between the floor and the threshold: a person decides.
        ToConfirm = "to_confirm" / "To confirm",
        Confirmed = "confirmed" / "Confirmed",
        Rejected = "rejected" / "Rejected",
    }
);

text_enum!(
    /// Where an introduction asked from a co-sell suggestion stands.
    IntroStatus {
        /// Asked; the other side has not answered.
        Requested = "requested" / "Requested",
        /// The other side made the introduction (a touchpoint on the vendor's opportunity,
        /// when the vendor's side is the opportunity).
        Made = "made" / "Introduction made",
        Declined = "declined" / "Declined",
    }
);

/// Who asks for the introduction of a co-sell cell: the side with the open opportunity
/// asks the side whose customer the account is. `None` outside the co-sell cells.
pub fn intro_asker(vendor: Population, partner: Population) -> Option<Side> {
    match (vendor, partner) {
        (Population::OpenOpportunity, Population::Customer) => Some(Side::Vendor),
        (Population::Customer, Population::OpenOpportunity) => Some(Side::Partner),
        _ => None,
    }
}

/// Whether `side` may answer an introduction asked by `asker` that is still `status`: the
/// other side, once.
pub fn may_answer_intro(side: Side, asker: Side, status: IntroStatus) -> Result<(), &'static str> {
    if side == asker {
        Err("the side that asked for the introduction cannot answer it; the other side does")
    } else if status != IntroStatus::Requested {
        Err("this introduction was already answered")
    } else {
        Ok(())
    }
}

impl MatchState {
    /// Whether the match counts in the overlap.
    pub fn counts(self) -> bool {
        matches!(self, MatchState::Auto | MatchState::Confirmed)
    }
}

/// What one side shares of each of its populations: no field means counts only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Sharing {
    #[serde(default)]
    pub customer: Vec<SharedField>,
    #[serde(default)]
    pub open_opportunity: Vec<SharedField>,
    #[serde(default)]
    pub prospect: Vec<SharedField>,
}

impl Sharing {
    /// The fields shared of `population` (empty: counts only).
    pub fn fields(&self, population: Population) -> &[SharedField] {
        match population {
            Population::Customer => &self.customer,
            Population::OpenOpportunity => &self.open_opportunity,
            Population::Prospect => &self.prospect,
        }
    }

    /// The same, with duplicate fields dropped (input may repeat a field).
    pub fn cleaned(mut self) -> Self {
        for list in [
            &mut self.customer,
            &mut self.open_opportunity,
            &mut self.prospect,
        ] {
            let mut seen = Vec::new();
            list.retain(|f| {
                let new = !seen.contains(f);
                seen.push(*f);
                new
            });
        }
        self
    }
}

/// The status after a side accepts: active when both have.
pub fn status_after_accept(vendor_accepted: bool, partner_accepted: bool) -> MappingStatus {
    if vendor_accepted && partner_accepted {
        MappingStatus::Active
    } else {
        MappingStatus::Proposed
    }
}

/// The vendor account's population: a customer is a customer; otherwise an account with an
/// open opportunity is in the pipeline; else a prospect.
pub fn vendor_population(is_customer: bool, has_open_opportunity: bool) -> Population {
    if is_customer {
        Population::Customer
    } else if has_open_opportunity {
        Population::OpenOpportunity
    } else {
        Population::Prospect
    }
}

/// A partner row's population from its CRM's account type or lifecycle stage
/// (`Customer - Direct`, HubSpot's `customer`, `evangelist`, `opportunity`, …); blank or
/// anything else is a prospect.
pub fn partner_population(raw: &str) -> Population {
    let s: String = raw
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    if s.starts_with("customer") || s == "evangelist" || s == "client" {
        Population::Customer
    } else if s.starts_with("opportunity") || s.starts_with("openopportunit") || s == "pipeline" {
        Population::OpenOpportunity
    } else {
        Population::Prospect
    }
}

/// The default threshold (a name match at or above it counts by itself) and floor (below
/// it, no match), in percent.
pub const DEFAULT_THRESHOLD: u32 = 92;
pub const DEFAULT_FLOOR: u32 = 80;

/// The state of a new match: a domain match or a name at or above `threshold` counts; a
/// name below it waits for a person, unless a person already decided this pair.
pub fn match_state(
    method: matching::MatchMethod,
    confidence: u32,
    threshold: u32,
    remembered: Option<bool>,
) -> MatchState {
    match remembered {
        Some(true) => MatchState::Confirmed,
        Some(false) => MatchState::Rejected,
        None if method == matching::MatchMethod::Domain || confidence >= threshold => {
            MatchState::Auto
        }
        None => MatchState::ToConfirm,
    }
}

#[cfg(test)]
mod tests {
    use super::matching::MatchMethod;
    use super::*;

    #[test]
    fn both_sides_must_accept() {
        assert_eq!(status_after_accept(true, false), MappingStatus::Proposed);
        assert_eq!(status_after_accept(false, true), MappingStatus::Proposed);
        assert_eq!(status_after_accept(true, true), MappingStatus::Active);
    }

    #[test]
    fn populations_of_each_side() {
        assert_eq!(vendor_population(true, true), Population::Customer);
        assert_eq!(vendor_population(false, true), Population::OpenOpportunity);
        assert_eq!(vendor_population(false, false), Population::Prospect);
        assert_eq!(
            partner_population("Customer - Channel"),
            Population::Customer
        );
        assert_eq!(partner_population("evangelist"), Population::Customer);
        assert_eq!(
            partner_population("Opportunity"),
            Population::OpenOpportunity
        );
        assert_eq!(
            partner_population("open_opportunity"),
            Population::OpenOpportunity
        );
        assert_eq!(
            partner_population("salesqualifiedlead"),
            Population::Prospect
        );
        assert_eq!(partner_population(""), Population::Prospect);
    }

    #[test]
    fn match_states_follow_threshold_and_remembered_decisions() {
        assert_eq!(
            match_state(MatchMethod::Domain, 100, 92, None),
            MatchState::Auto
        );
        assert_eq!(
            match_state(MatchMethod::Name, 92, 92, None),
            MatchState::Auto
        );
        assert_eq!(
            match_state(MatchMethod::Name, 91, 92, None),
            MatchState::ToConfirm
        );
        assert_eq!(
            match_state(MatchMethod::Name, 85, 92, Some(true)),
            MatchState::Confirmed
        );
        assert_eq!(
            match_state(MatchMethod::Domain, 100, 92, Some(false)),
            MatchState::Rejected
        );
        assert!(MatchState::Confirmed.counts() && MatchState::Auto.counts());
        assert!(!MatchState::ToConfirm.counts() && !MatchState::Rejected.counts());
    }

    #[test]
    fn the_side_with_the_opportunity_asks_the_side_with_the_customer() {
        use Population::*;
        assert_eq!(intro_asker(OpenOpportunity, Customer), Some(Side::Vendor));
        assert_eq!(intro_asker(Customer, OpenOpportunity), Some(Side::Partner));
        for (v, p) in [
            (Customer, Customer),
            (Prospect, Customer),
            (OpenOpportunity, OpenOpportunity),
            (Customer, Prospect),
        ] {
            assert_eq!(intro_asker(v, p), None, "{v:?} x {p:?} is no co-sell cell");
        }
        // Every co-sell cell has an asker, and only they do.
        for v in Population::ALL {
            for p in Population::ALL {
                assert_eq!(
                    intro_asker(*v, *p).is_some(),
                    overlap::is_co_sell(*v, *p),
                    "{v:?} x {p:?}"
                );
            }
        }
    }

    #[test]
    fn only_the_other_side_answers_an_introduction_once() {
        assert!(may_answer_intro(Side::Partner, Side::Vendor, IntroStatus::Requested).is_ok());
        assert!(may_answer_intro(Side::Vendor, Side::Vendor, IntroStatus::Requested).is_err());
        assert!(may_answer_intro(Side::Partner, Side::Vendor, IntroStatus::Made).is_err());
        assert!(may_answer_intro(Side::Vendor, Side::Partner, IntroStatus::Declined).is_err());
    }

    #[test]
    fn sharing_defaults_to_counts_only_and_drops_repeats() {
        let s = Sharing::default();
        assert!(s.fields(Population::Customer).is_empty());
        let s = Sharing {
            customer: vec![SharedField::Name, SharedField::Name, SharedField::Country],
            ..Sharing::default()
        }
        .cleaned();
        assert_eq!(s.customer, [SharedField::Name, SharedField::Country]);
        let parsed: Result<Sharing, _> = serde_json::from_str(r#"{"customers":["name"]}"#);
        assert!(parsed.is_err(), "unknown populations are refused");
    }
}
