//! Partnership leverage (seed 003, framework 3): which kind of leverage we have, and what to
//! do about it.

use serde::{Deserialize, Serialize};

use crate::text_enum;

text_enum!(
    /// Kinds of leverage, strongest first.
    LeverageType {
        Requirement = "requirement" / "Requirement (they need us for certification or compliance)",
        Economic = "economic" / "Economic (we make or save them money)",
        Competitive = "competitive" / "Competitive (we differentiate them)",
        Customer = "customer" / "Customer (their customers ask for it)",
        CoMarketing = "co_marketing" / "Co-marketing only",
    }
);

text_enum!(
    /// What to do with a partnership given its leverage.
    Recommendation {
        FullInvestment = "full_investment" / "Full partnership investment",
        TestFirst = "test_first" / "Light partnership: test first",
        WalkAway = "walk_away" / "Walk away: you will waste time",
    }
);

/// The leverage of a partnership as recorded: the type, its evidence, and the partner's
/// answer to "If we don't do this partnership, what happens to you?"
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Leverage {
    pub kind: LeverageType,
    pub evidence: String,
    pub if_we_dont: String,
}

/// The recommendation, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverageVerdict {
    pub recommendation: Recommendation,
    pub reason: String,
}

/// High leverage (requirement, economic): full investment; moderate (competitive,
/// customer): light partnership, test first; co-marketing only: walk away. Leverage
/// without evidence is not leverage: a strong type with no evidence is tested first.
pub fn recommend(l: &Leverage) -> LeverageVerdict {
    let evidenced = !l.evidence.trim().is_empty();
    let (recommendation, reason) = match l.kind {
        LeverageType::Requirement | LeverageType::Economic if evidenced => (
            Recommendation::FullInvestment,
            "high leverage with evidence".to_owned(),
        ),
        LeverageType::Requirement | LeverageType::Economic => (
            Recommendation::TestFirst,
            "high leverage claimed without evidence: test it before investing".to_owned(),
        ),
        LeverageType::Competitive | LeverageType::Customer => (
            Recommendation::TestFirst,
            "moderate leverage: run a light partnership and test first".to_owned(),
        ),
        LeverageType::CoMarketing => (
            Recommendation::WalkAway,
            "co-marketing only: nice to have, rarely closes deals".to_owned(),
        ),
    };
    LeverageVerdict {
        recommendation,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(kind: LeverageType, evidence: &str) -> Leverage {
        Leverage {
            kind,
            evidence: evidence.into(),
            if_we_dont: "x".into(),
        }
    }

    #[test]
    fn recommendations_follow_the_seed() {
        assert_eq!(
            recommend(&l(
                LeverageType::Requirement,
                "cloud certification requires our category"
            ))
            .recommendation,
            Recommendation::FullInvestment
        );
        assert_eq!(
            recommend(&l(LeverageType::Economic, "cuts their support cost 30%")).recommendation,
            Recommendation::FullInvestment
        );
        assert_eq!(
            recommend(&l(LeverageType::Competitive, "6-month exclusive")).recommendation,
            Recommendation::TestFirst
        );
        assert_eq!(
            recommend(&l(LeverageType::Customer, "50 tickets")).recommendation,
            Recommendation::TestFirst
        );
        assert_eq!(
            recommend(&l(LeverageType::CoMarketing, "joint webinar")).recommendation,
            Recommendation::WalkAway
        );
    }

    #[test]
    fn strong_leverage_without_evidence_is_tested_first() {
        let v = recommend(&l(LeverageType::Requirement, " "));
        assert_eq!(v.recommendation, Recommendation::TestFirst);
        assert!(v.reason.contains("without evidence"));
    }
}
