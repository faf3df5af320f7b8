//! Tiers: an ordered ladder per program (rank 1 is the entry tier), each with structured
//! benefits. A new program gets the seed ladder Registered / Select / Premier.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ProgramKind;
use crate::kernel::ids::{ProgramId, TierId};
use crate::kernel::invalid::text;
use crate::{FieldError, Invalid, text_enum};

text_enum!(
    /// What kind of benefit a tier grants.
    BenefitKind {
        Margin = "margin" / "Resale margin",
        ReferralFee = "referral_fee" / "Referral fee",
        DealRegistration = "deal_registration" / "Deal registration",
        Mdf = "mdf" / "Market development funds",
        CoMarketing = "co_marketing" / "Co-marketing",
        PartnerManager = "partner_manager" / "Dedicated partner manager",
        Enablement = "enablement" / "Enablement and training",
        Support = "support" / "Technical support",
        LeadSharing = "lead_sharing" / "Lead sharing",
        ExecutiveAccess = "executive_access" / "Executive access",
        Other = "other" / "Other",
    }
);

/// One benefit of a tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Benefit {
    pub kind: BenefitKind,
    pub description: String,
    /// A rate in basis points where the benefit is one (margin, referral fee): 1500 = 15%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bps: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tier {
    pub id: TierId,
    pub program_id: ProgramId,
    /// Position on the ladder: 1 is the entry tier.
    pub rank: i32,
    pub name: String,
    pub description: Option<String>,
    pub benefits: Vec<Benefit>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// Raw tier input (create, or a change laid over the record; see [`TierInput::overlay`]).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TierInput {
    pub name: Option<String>,
    pub rank: Option<i64>,
    pub description: Option<String>,
    pub benefits: Option<Vec<BenefitInput>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BenefitInput {
    pub kind: Option<String>,
    pub description: Option<String>,
    pub rate_bps: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TierFields {
    pub name: String,
    pub rank: i32,
    pub description: Option<String>,
    pub benefits: Vec<Benefit>,
}

/// Highest rank a ladder may have; real programs use three to five.
pub const MAX_RANK: i64 = 20;

impl TierInput {
    pub fn overlay(self, patch: TierInput) -> TierInput {
        TierInput {
            name: patch.name.or(self.name),
            rank: patch.rank.or(self.rank),
            description: patch.description.or(self.description),
            benefits: patch.benefits.or(self.benefits),
        }
    }
}

impl TierFields {
    pub fn parse(input: &TierInput) -> Result<Self, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", input.name.as_deref(), 60));
        let rank = match input.rank {
            Some(r) if (1..=MAX_RANK).contains(&r) => Some(r as i32),
            Some(_) => inv.check(Err(FieldError::new(
                "rank",
                "range",
                format!("rank must be between 1 (entry tier) and {MAX_RANK}"),
            ))),
            None => inv.check(Err(FieldError::new("rank", "required", "rank is required"))),
        };
        let description = inv.check(text::optional(
            "description",
            input.description.as_deref(),
            2000,
        ));
        let raw_benefits = input.benefits.as_deref().unwrap_or_default();
        if raw_benefits.len() > 30 {
            inv.add(
                "benefits",
                "max_items",
                "benefits may list at most 30 items",
            );
        }
        let mut benefits = Vec::new();
        for (i, b) in raw_benefits.iter().enumerate() {
            let field = |name: &str| format!("benefits[{i}].{name}");
            let kind = match b.kind.as_deref() {
                Some(raw) => inv.check(BenefitKind::parse(&field("kind"), raw)),
                None => inv.check(Err(FieldError::new(
                    &field("kind"),
                    "required",
                    format!("{} is required", field("kind")),
                ))),
            };
            let description = inv.check(text::required(
                &field("description"),
                b.description.as_deref(),
                300,
            ));
            let rate_bps = match b.rate_bps {
                Some(r) if (0..=10_000).contains(&r) => Some(r as u32),
                Some(_) => {
                    inv.add(
                        &field("rate_bps"),
                        "range",
                        format!(
                            "{} must be between 0 and 10000 basis points (0–100%)",
                            field("rate_bps")
                        ),
                    );
                    None
                }
                None => None,
            };
            if let (Some(kind), Some(description)) = (kind, description) {
                benefits.push(Benefit {
                    kind,
                    description,
                    rate_bps,
                });
            }
        }
        inv.finish(|| {
            Some(TierFields {
                name: name?,
                rank: rank?,
                description: description?,
                benefits,
            })
        })
    }
}

impl Tier {
    pub fn to_input(&self) -> TierInput {
        TierInput {
            name: Some(self.name.clone()),
            rank: Some(i64::from(self.rank)),
            description: self.description.clone(),
            benefits: Some(
                self.benefits
                    .iter()
                    .map(|b| BenefitInput {
                        kind: Some(b.kind.as_str().to_owned()),
                        description: Some(b.description.clone()),
                        rate_bps: b.rate_bps.map(i64::from),
                    })
                    .collect(),
            ),
        }
    }
}

/// The ladder a new program of `kind` starts with: technology programs get the technology
/// partnership track ([`technology_ladder`]), every other kind the seed ladder.
pub fn ladder_for(kind: ProgramKind) -> Vec<TierFields> {
    match kind {
        ProgramKind::Technology => technology_ladder(),
        _ => default_ladder(),
    }
}

/// The technology partnership track (seed 003 §4): three tiers by commitment and
/// capability, each saying what the partner does, what the vendor gives and how long the
/// tier usually lasts. Graduation: a self-serve partner is evaluated for Partnership after
/// six months (`partnership::track`).
pub fn technology_ladder() -> Vec<TierFields> {
    let b = |kind, description: &str| Benefit {
        kind,
        description: description.to_owned(),
        rate_bps: None,
    };
    vec![
        TierFields {
            name: "Integration".into(),
            rank: 1,
            description: Some(
                "Self-serve: the partner builds on the public API and docs and drives its own \
                 promotion. Typically 2–6 months; evaluated for Partnership after 6 months. \
                 Best for ambitious partners with engineering resources."
                    .into(),
            ),
            benefits: vec![
                b(
                    BenefitKind::Support,
                    "API documentation, a Slack channel and office hours",
                ),
                b(BenefitKind::Enablement, "Self-paced technical courses"),
            ],
        },
        TierFields {
            name: "Partnership".into(),
            rank: 2,
            description: Some(
                "Joint development: a co-developed integration with a dedicated channel, \
                 regular syncs and product input. Typically 6–12 months. Best for strategic-fit \
                 partners, to accelerate integration quality."
                    .into(),
            ),
            benefits: vec![
                b(
                    BenefitKind::Support,
                    "A dedicated channel and regular engineering syncs",
                ),
                b(BenefitKind::Other, "Input into the product roadmap"),
                b(
                    BenefitKind::CoMarketing,
                    "Co-marketing support from the platform",
                ),
            ],
        },
        TierFields {
            name: "Strategic".into(),
            rank: 3,
            description: Some(
                "Co-development: deep product roadmap integration, customised co-marketing and \
                 revenue objectives. Ongoing. Best for marquee partnerships that shift \
                 positioning."
                    .into(),
            ),
            benefits: vec![
                b(BenefitKind::PartnerManager, "A dedicated partner manager"),
                b(BenefitKind::ExecutiveAccess, "An executive relationship"),
                b(
                    BenefitKind::CoMarketing,
                    "Customised co-marketing with revenue objectives",
                ),
            ],
        },
    ]
}

/// The seed ladder every new program starts with (seed 001, step 2).
pub fn default_ladder() -> Vec<TierFields> {
    let b = |kind, description: &str, rate_bps| Benefit {
        kind,
        description: description.to_owned(),
        rate_bps,
    };
    vec![
        TierFields {
            name: "Registered".into(),
            rank: 1,
            description: Some(
                "Entry tier: signed agreement, portal access, deal registration.".into(),
            ),
            benefits: vec![
                b(BenefitKind::Margin, "Standard resale margin", Some(1000)),
                b(
                    BenefitKind::DealRegistration,
                    "Deal registration with 90-day protection",
                    None,
                ),
                b(
                    BenefitKind::Enablement,
                    "Self-paced sales and technical courses",
                    None,
                ),
            ],
        },
        TierFields {
            name: "Select".into(),
            rank: 2,
            description: Some(
                "Proven partners with certified staff and a joint business plan.".into(),
            ),
            benefits: vec![
                b(BenefitKind::Margin, "Improved resale margin", Some(2000)),
                b(
                    BenefitKind::DealRegistration,
                    "Deal registration with 90-day protection",
                    None,
                ),
                b(
                    BenefitKind::Mdf,
                    "Eligible for market development funds",
                    None,
                ),
                b(
                    BenefitKind::CoMarketing,
                    "Co-branded campaign templates",
                    None,
                ),
                b(
                    BenefitKind::LeadSharing,
                    "Shared leads in covered regions",
                    None,
                ),
            ],
        },
        TierFields {
            name: "Premier".into(),
            rank: 3,
            description: Some("Strategic partners carrying a sourced-ARR commitment.".into()),
            benefits: vec![
                b(BenefitKind::Margin, "Top resale margin", Some(3000)),
                b(
                    BenefitKind::DealRegistration,
                    "Deal registration with 90-day protection",
                    None,
                ),
                b(BenefitKind::Mdf, "Priority market development funds", None),
                b(
                    BenefitKind::PartnerManager,
                    "Dedicated partner manager",
                    None,
                ),
                b(
                    BenefitKind::ExecutiveAccess,
                    "Executive sponsor and quarterly business reviews",
                    None,
                ),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ladder_is_ordered_and_valid() {
        let ladder = default_ladder();
        let names: Vec<&str> = ladder.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["Registered", "Select", "Premier"]);
        assert!(ladder.windows(2).all(|w| w[0].rank < w[1].rank));
    }

    #[test]
    fn technology_programs_start_on_the_technology_track() {
        let names = |kind| {
            ladder_for(kind)
                .into_iter()
                .map(|t| (t.rank, t.name))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(ProgramKind::Technology),
            vec![
                (1, "Integration".to_owned()),
                (2, "Partnership".to_owned()),
                (3, "Strategic".to_owned())
            ]
        );
        for kind in [
            ProgramKind::Reseller,
            ProgramKind::Referral,
            ProgramKind::Services,
        ] {
            assert_eq!(names(kind)[0].1, "Registered");
        }
        // Every tier says how long it usually lasts and what the vendor gives.
        for t in technology_ladder() {
            assert!(t.description.as_deref().unwrap().contains("months") || t.rank == 3);
            assert!(!t.benefits.is_empty());
        }
    }

    #[test]
    fn rank_boundaries() {
        let t = |rank| {
            TierFields::parse(&TierInput {
                name: Some("T".into()),
                rank: Some(rank),
                ..Default::default()
            })
        };
        assert!(t(0).is_err());
        assert!(t(1).is_ok());
        assert!(t(MAX_RANK).is_ok());
        assert_eq!(t(MAX_RANK + 1).unwrap_err().errors[0].rule, "range");
    }

    #[test]
    fn benefit_errors_name_the_index() {
        let input = TierInput {
            name: Some("T".into()),
            rank: Some(1),
            benefits: Some(vec![
                BenefitInput {
                    kind: Some("margin".into()),
                    description: Some("m".into()),
                    rate_bps: Some(10_000),
                },
                BenefitInput {
                    kind: Some("cash".into()),
                    description: Some("x".into()),
                    rate_bps: Some(10_001),
                },
            ]),
            ..Default::default()
        };
        let err = TierFields::parse(&input).unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["benefits[1].kind", "benefits[1].rate_bps"]);
    }
}
