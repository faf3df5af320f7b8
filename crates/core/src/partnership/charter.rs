//! The partnership charter and its skin-in-the-game test, signatures and amendments.

use serde::{Deserialize, Serialize};

use crate::text_enum;

text_enum!(
    /// What a side puts into the partnership (seed 003, "value exchange").
    CommitmentKind {
        EngineeringTime = "engineering_time" / "Engineering time",
        SpendCommitment = "spend_commitment" / "Spend commitment",
        RevenueShare = "revenue_share" / "Revenue share",
        CoInvestment = "co_investment" / "Co-investment",
        ExecutiveSponsorship = "executive_sponsorship" / "Executive sponsorship",
        Distribution = "distribution" / "Distribution",
        Credibility = "credibility" / "Credibility",
    }
);

impl CommitmentKind {
    /// Whether the commitment costs the side something economic: people, money or a share
    /// of revenue. Sponsorship, distribution and credibility matter, but cost nothing if the
    /// partnership fails, so on their own they make a handshake.
    pub fn is_economic(self) -> bool {
        matches!(
            self,
            Self::EngineeringTime | Self::SpendCommitment | Self::RevenueShare | Self::CoInvestment
        )
    }
}

text_enum!(
    /// The two sides of a partnership.
    Side {
        Vendor = "vendor" / "We",
        Partner = "partner" / "The partner",
    }
);

/// One thing a side gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub side: Side,
    pub kind: CommitmentKind,
    pub description: String,
}

/// What each side gives, and what each loses if the partnership fails.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ValueExchange {
    pub commitments: Vec<Commitment>,
    /// What we lose if it fails; blank means nothing.
    pub vendor_loses: String,
    /// What the partner loses if it fails; blank means nothing.
    pub partner_loses: String,
}

/// The outcome of the skin-in-the-game test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkinInTheGame {
    /// True when both sides commit something economic and both would lose something.
    pub real: bool,
    /// "a real partnership" or "a handshake, not a partnership".
    pub verdict: String,
    /// The answers that made it a handshake.
    pub causes: Vec<String>,
}

/// "If this partnership fails, what does each side lose? If the answer is nothing, it's not
/// a partnership. It's a handshake." (seed 003)
pub fn skin_in_the_game(exchange: &ValueExchange) -> SkinInTheGame {
    let mut causes = Vec::new();
    for side in Side::ALL {
        let (who, commits) = match side {
            Side::Vendor => ("we", "commit"),
            Side::Partner => ("the partner", "commits"),
        };
        let economic = exchange
            .commitments
            .iter()
            .any(|c| c.side == *side && c.kind.is_economic());
        if !economic {
            causes.push(format!("{who} {commits} nothing economic (no engineering time, spend, revenue share or co-investment)"));
        }
        let loses = match side {
            Side::Vendor => &exchange.vendor_loses,
            Side::Partner => &exchange.partner_loses,
        };
        if loses_nothing(loses) {
            causes.push(format!("{who} would lose nothing if it failed"));
        }
    }
    let real = causes.is_empty();
    SkinInTheGame {
        real,
        verdict: if real {
            "a real partnership".into()
        } else {
            "a handshake, not a partnership".into()
        },
        causes,
    }
}

/// Blank, or an answer that says nothing is at stake.
fn loses_nothing(answer: &str) -> bool {
    let a = answer.trim().trim_end_matches('.').to_lowercase();
    a.is_empty()
        || matches!(
            a.as_str(),
            "nothing" | "none" | "n/a" | "na" | "nothing really" | "nothing really changes" | "-"
        )
}

text_enum!(
    /// Where a charter version is in signing.
    SignatureState {
        Draft = "draft" / "Draft",
        SignedByOneSide = "signed_by_one_side" / "Signed by one side",
        Signed = "signed" / "Signed by both sides",
    }
);

/// Who has signed the current version of a charter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signatures {
    pub vendor_signed: bool,
    pub partner_signed: bool,
}

impl Signatures {
    pub fn state(&self) -> SignatureState {
        match (self.vendor_signed, self.partner_signed) {
            (true, true) => SignatureState::Signed,
            (false, false) => SignatureState::Draft,
            _ => SignatureState::SignedByOneSide,
        }
    }

    /// A version signed by both sides is locked: changes become a new amendment.
    pub fn locked(&self) -> bool {
        self.state() == SignatureState::Signed
    }

    /// A side signs; signing twice is refused with the reason.
    pub fn sign(&mut self, side: Side) -> Result<(), String> {
        let already = match side {
            Side::Vendor => &mut self.vendor_signed,
            Side::Partner => &mut self.partner_signed,
        };
        if *already {
            return Err(format!(
                "{} already signed this version",
                side.label().to_lowercase()
            ));
        }
        *already = true;
        Ok(())
    }
}

/// Editing a charter version: allowed while unsigned by both; a signed version is changed
/// only by an amendment, which starts unsigned.
pub fn edit_allowed(signatures: &Signatures) -> Result<(), String> {
    if signatures.locked() {
        Err("the charter is signed by both sides and locked; propose an amendment, which both sides sign again".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(side: Side, kind: CommitmentKind) -> Commitment {
        Commitment {
            side,
            kind,
            description: "x".into(),
        }
    }

    #[test]
    fn both_sides_economic_and_at_risk_is_real() {
        let x = ValueExchange {
            commitments: vec![
                c(Side::Vendor, CommitmentKind::EngineeringTime),
                c(Side::Partner, CommitmentKind::SpendCommitment),
            ],
            vendor_loses: "six engineer-months".into(),
            partner_loses: "a two-year spend commitment".into(),
        };
        let v = skin_in_the_game(&x);
        assert!(v.real, "{v:?}");
        assert!(v.causes.is_empty());
    }

    #[test]
    fn logo_swaps_are_a_handshake_and_the_causes_are_named() {
        let x = ValueExchange {
            commitments: vec![
                c(Side::Vendor, CommitmentKind::Credibility),
                c(Side::Partner, CommitmentKind::Distribution),
            ],
            vendor_loses: "Nothing.".into(),
            partner_loses: "".into(),
        };
        let v = skin_in_the_game(&x);
        assert!(!v.real);
        assert_eq!(v.verdict, "a handshake, not a partnership");
        assert_eq!(v.causes.len(), 4, "{:?}", v.causes);
        assert!(v.causes[0].starts_with("we commit nothing economic"));
        assert!(v.causes[3].starts_with("the partner would lose nothing"));
    }

    #[test]
    fn one_sided_commitment_is_still_a_handshake() {
        let x = ValueExchange {
            commitments: vec![
                c(Side::Vendor, CommitmentKind::RevenueShare),
                c(Side::Partner, CommitmentKind::ExecutiveSponsorship),
            ],
            vendor_loses: "revenue share paid out".into(),
            partner_loses: "executive time".into(),
        };
        let v = skin_in_the_game(&x);
        assert!(!v.real);
        assert_eq!(
            v.causes,
            vec![
                "the partner commits nothing economic (no engineering time, spend, revenue share or co-investment)"
            ]
        );
    }

    #[test]
    fn signatures_lock_and_amendments_start_over() {
        let mut s = Signatures::default();
        assert_eq!(s.state(), SignatureState::Draft);
        assert!(edit_allowed(&s).is_ok());
        s.sign(Side::Vendor).unwrap();
        assert_eq!(s.state(), SignatureState::SignedByOneSide);
        assert!(s.sign(Side::Vendor).is_err(), "no double signing");
        assert!(edit_allowed(&s).is_ok(), "one signature does not lock");
        s.sign(Side::Partner).unwrap();
        assert!(s.locked());
        assert!(edit_allowed(&s).unwrap_err().contains("amendment"));
        let amendment = Signatures::default();
        assert_eq!(amendment.state(), SignatureState::Draft);
    }
}
