//! A program's policy: every rule of the program as one TOML document (tier ladder with
//! criteria, quotas and benefits; deal-registration rules; governance; cohort and council
//! sizes; fit-score settings; onboarding checklists; pipeline stages and lost reasons). The
//! seed values are the defaults.
//!
//! The store keeps published versions; decisions record the version they used. Parsing is
//! strict (unknown keys are errors) and [`ProgramPolicy::validate`] names the key, what is
//! wrong and what is allowed for every problem, so a bad draft never gets published.

pub mod diff;
pub mod record;
pub mod simulate;
mod validate;

use serde::{Deserialize, Serialize};

use crate::partner::PartnerType;
use crate::pipeline::policy::PipelinePolicy;
use crate::program::ProgramKind;
use crate::program::tier::{Benefit, BenefitKind, technology_ladder};
use crate::registration::policy::RegistrationPolicy;
use crate::{Invalid, text_enum};

/// One program's rules. `version` is not part of the document: the store assigns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProgramPolicy {
    /// The ladder, entry tier first. A partner holds the highest tier whose criteria it meets.
    pub tiers: Vec<TierRule>,
    #[serde(default)]
    pub registration: RegistrationPolicy,
    #[serde(default)]
    pub governance: Governance,
    #[serde(default)]
    pub cohort: CohortRule,
    #[serde(default)]
    pub council: CouncilRule,
    #[serde(default)]
    pub fit: FitPolicy,
    #[serde(default)]
    pub onboarding: OnboardingPolicy,
    /// Pipeline stages and lost reasons; documents written before the section existed get
    /// the seed's.
    #[serde(default)]
    pub pipeline: PipelinePolicy,
    /// Joint business plans: the drift threshold.
    #[serde(default)]
    pub business_plan: crate::business_plan::BusinessPlanPolicy,
    /// What partners earn: rates per tier and route, accelerators, renewals, clawback,
    /// minimum payout and period. Documents without the section pay nothing.
    #[serde(default)]
    pub incentives: crate::payout::IncentivePolicy,
    /// Market development funds: approval limits per staff role, the claim deadline.
    #[serde(default)]
    pub mdf: crate::mdf::MdfPolicy,
}

/// One rung of the ladder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Every criterion must be met to earn or keep the tier. The entry tier has none.
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    /// Sourced ARR (minor units of the program currency) a partner on this tier is expected
    /// to bring per year; the annual review downgrades partners that miss it badly. 0: none.
    #[serde(default)]
    pub annual_quota_minor: i64,
    #[serde(default)]
    pub benefits: Vec<Benefit>,
}

text_enum!(
    /// A measure of a partner that tier criteria compare against. Evaluated from live data;
    /// a metric the system does not record yet evaluates as zero, with that reason.
    Metric {
        SourcedArr = "sourced_arr" / "Sourced ARR, trailing 12 months",
        Registrations = "registrations" / "Deal registrations, trailing 12 months",
        CertifiedIndividuals = "certified_individuals" / "Certified individuals",
        JbpInPlace = "jbp_in_place" / "Joint business plan in place (1 = yes)",
        JbpAttainment = "jbp_attainment" / "Joint business plan attainment to date (%)",
        Psat = "psat" / "Partner satisfaction (PSAT, 0–100)",
    }
);

/// `metric >= at_least`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub metric: Metric,
    pub at_least: i64,
}

/// Annual review, downgrade threshold, sunset rule and automatic upgrades.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Governance {
    /// Day of the year (`MM-DD`, UTC) on which every partner re-qualifies.
    pub annual_review: String,
    /// At the annual review, a partner that missed its tier's quota by more than this
    /// percentage moves down one tier.
    pub downgrade_quota_miss_percent: f64,
    /// A partner with no registered deal in this many months moves to the entry tier.
    pub sunset_months: i64,
    /// Upgrade partners as soon as live data shows they earned a higher tier.
    pub auto_upgrade: bool,
}

impl Default for Governance {
    fn default() -> Self {
        Governance {
            annual_review: "01-15".into(),
            downgrade_quota_miss_percent: 30.0,
            sunset_months: 12,
            auto_upgrade: true,
        }
    }
}

/// The first cohort a program launches with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct CohortRule {
    pub min_partners: i64,
    pub max_partners: i64,
}

impl Default for CohortRule {
    fn default() -> Self {
        CohortRule {
            min_partners: 5,
            max_partners: 10,
        }
    }
}

/// The partner advisory council.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct CouncilRule {
    pub min_members: i64,
    pub max_members: i64,
    pub meetings_per_year: i64,
}

impl Default for CouncilRule {
    fn default() -> Self {
        CouncilRule {
            min_members: 3,
            max_members: 5,
            meetings_per_year: 4,
        }
    }
}

/// How applicants are scored against the Ideal Partner Profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct FitPolicy {
    /// A partner counts as productive when it reached this tier rank ...
    pub productive_tier_rank: i64,
    /// ... or brought this much sourced ARR (minor units) ...
    pub productive_sourced_arr_minor: i64,
    /// ... within this many months of joining.
    pub productive_within_months: i64,
    /// Below this many labelled partners the model is not trained and the documented
    /// rule-based score is used instead.
    pub min_labelled_partners: i64,
    /// Weights of the rule-based score, per feature (see `lifecycle::fit`).
    pub weights: FitWeights,
}

/// Points each applicant attribute adds to the rule-based score (their sum is the maximum).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct FitWeights {
    pub employees: f64,
    pub countries: f64,
    pub verticals: f64,
    pub vendor_relationships: f64,
    pub target_customers: f64,
    pub certified_staff: f64,
}

impl Default for FitWeights {
    fn default() -> Self {
        FitWeights {
            employees: 15.0,
            countries: 10.0,
            verticals: 10.0,
            vendor_relationships: 15.0,
            target_customers: 25.0,
            certified_staff: 25.0,
        }
    }
}

impl Default for FitPolicy {
    fn default() -> Self {
        FitPolicy {
            productive_tier_rank: 2,
            productive_sourced_arr_minor: 10_000_000,
            productive_within_months: 12,
            min_labelled_partners: 20,
            weights: FitWeights::default(),
        }
    }
}

text_enum!(
    /// Something the system sees happen that ticks an onboarding item by itself.
    Signal {
        UsersInvited = "users_invited" / "A portal user was invited",
        FirstRegistration = "first_registration" / "The first deal was registered",
        FirstClosedWon = "first_closed_won" / "The first deal was won",
        CharterSigned = "charter_signed" / "A partnership charter was signed by both sides",
    }
);

/// The onboarding checklists, one template per set of partner types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct OnboardingPolicy {
    pub templates: Vec<OnboardingTemplate>,
}

/// A checklist for the listed partner types; an empty list is the template for every type
/// no other template names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnboardingTemplate {
    #[serde(default)]
    pub partner_types: Vec<PartnerType>,
    pub items: Vec<OnboardingItemRule>,
}

/// One checklist item. With a `signal`, the system ticks it; without, a person does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnboardingItemRule {
    pub key: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
}

/// The item whose tick starts the activation clock (signed → first closed-won deal).
pub const AGREEMENT_SIGNED: &str = "agreement_signed";

fn item(key: &str, label: &str, signal: Option<Signal>) -> OnboardingItemRule {
    OnboardingItemRule {
        key: key.into(),
        label: label.into(),
        signal,
    }
}

impl Default for OnboardingPolicy {
    fn default() -> Self {
        let common = vec![
            item(AGREEMENT_SIGNED, "Partner agreement signed", None),
            item(
                "portal_users_invited",
                "Portal users invited",
                Some(Signal::UsersInvited),
            ),
            item(
                "onboarding_course_completed",
                "Onboarding course completed",
                None,
            ),
            item("first_jbp", "First joint business plan agreed", None),
            item(
                "first_registration",
                "First deal registered",
                Some(Signal::FirstRegistration),
            ),
        ];
        let mut technology = common.clone();
        technology.insert(
            1,
            item(
                "charter_signed",
                "Partnership charter signed by both sides",
                Some(Signal::CharterSigned),
            ),
        );
        OnboardingPolicy {
            templates: vec![
                OnboardingTemplate {
                    partner_types: vec![PartnerType::Technology],
                    items: technology,
                },
                OnboardingTemplate {
                    partner_types: Vec::new(),
                    items: common,
                },
            ],
        }
    }
}

impl OnboardingPolicy {
    /// The checklist for a partner type: the template naming it, else the catch-all.
    pub fn template_for(&self, partner_type: PartnerType) -> &[OnboardingItemRule] {
        self.templates
            .iter()
            .find(|t| t.partner_types.contains(&partner_type))
            .or_else(|| self.templates.iter().find(|t| t.partner_types.is_empty()))
            .map(|t| t.items.as_slice())
            .unwrap_or_default()
    }
}

fn benefit(kind: BenefitKind, description: &str, rate_bps: Option<u32>) -> Benefit {
    Benefit {
        kind,
        description: description.into(),
        rate_bps,
    }
}

fn criterion(metric: Metric, at_least: i64) -> Criterion {
    Criterion { metric, at_least }
}

impl ProgramPolicy {
    /// The seed ladder (Registered, Select, Premier) with the seed's rules.
    pub fn seed_default() -> Self {
        use BenefitKind::*;
        use Metric::*;
        ProgramPolicy {
            tiers: vec![
                TierRule {
                    name: "Registered".into(),
                    description: Some("Entry tier: signed agreement and portal access.".into()),
                    criteria: Vec::new(),
                    annual_quota_minor: 0,
                    benefits: vec![
                        benefit(DealRegistration, "Register deals", None),
                        benefit(Enablement, "Self-paced training", None),
                    ],
                },
                TierRule {
                    name: "Select".into(),
                    description: Some("Proven sellers with certified staff.".into()),
                    criteria: vec![
                        criterion(SourcedArr, 10_000_000),
                        criterion(Registrations, 4),
                    ],
                    annual_quota_minor: 10_000_000,
                    benefits: vec![
                        benefit(Margin, "Resale margin", Some(2000)),
                        benefit(Mdf, "Market development funds", None),
                    ],
                },
                TierRule {
                    name: "Premier".into(),
                    description: Some("Strategic partners with a joint business plan.".into()),
                    criteria: vec![
                        criterion(SourcedArr, 50_000_000),
                        criterion(Registrations, 12),
                        criterion(CertifiedIndividuals, 4),
                        criterion(JbpInPlace, 1),
                    ],
                    annual_quota_minor: 50_000_000,
                    benefits: vec![
                        benefit(Margin, "Resale margin", Some(3000)),
                        benefit(PartnerManager, "Dedicated partner manager", None),
                        benefit(LeadSharing, "Priority co-sell leads", None),
                    ],
                },
            ],
            registration: RegistrationPolicy::default(),
            governance: Governance::default(),
            cohort: CohortRule::default(),
            council: CouncilRule::default(),
            fit: FitPolicy::default(),
            onboarding: OnboardingPolicy::default(),
            pipeline: PipelinePolicy::default(),
            business_plan: Default::default(),
            incentives: Default::default(),
            mdf: Default::default(),
        }
    }

    /// The seed rules for a program of `kind`: a technology program's tiers are the
    /// technology partnership track, whose criteria are about capability and commitment
    /// (certified engineers, a joint plan) more than resale revenue; other kinds get
    /// [`ProgramPolicy::seed_default`].
    pub fn seed_for(kind: ProgramKind) -> Self {
        use Metric::*;
        let mut policy = Self::seed_default();
        if kind != ProgramKind::Technology {
            return policy;
        }
        let criteria: [Vec<Criterion>; 3] = [
            Vec::new(),
            vec![
                criterion(CertifiedIndividuals, 2),
                criterion(Registrations, 2),
            ],
            vec![
                criterion(SourcedArr, 25_000_000),
                criterion(Registrations, 6),
                criterion(CertifiedIndividuals, 4),
                criterion(JbpInPlace, 1),
            ],
        ];
        policy.tiers = technology_ladder()
            .into_iter()
            .zip(criteria)
            .map(|(tier, criteria)| TierRule {
                annual_quota_minor: criteria
                    .iter()
                    .find(|c| c.metric == SourcedArr)
                    .map_or(0, |c| c.at_least),
                name: tier.name,
                description: tier.description,
                criteria,
                benefits: tier.benefits,
            })
            .collect();
        policy
    }

    /// The default policy for an existing ladder of a program of `kind`: the seed rules for
    /// the kind, with the ladder's names, descriptions and benefits (rank order). Rungs
    /// above the seed's three copy the top rung's criteria.
    pub fn default_for_ladder(
        kind: ProgramKind,
        ladder: &[(String, Option<String>, Vec<Benefit>)],
    ) -> Self {
        let mut policy = Self::seed_for(kind);
        if ladder.is_empty() {
            return policy;
        }
        let seed = policy.tiers.clone();
        policy.tiers = ladder
            .iter()
            .enumerate()
            .map(|(i, (name, description, benefits))| {
                let rule = &seed[i.min(seed.len() - 1)];
                TierRule {
                    name: name.clone(),
                    description: description.clone(),
                    criteria: rule.criteria.clone(),
                    annual_quota_minor: rule.annual_quota_minor,
                    benefits: benefits.clone(),
                }
            })
            .collect();
        let rungs = policy.tiers.len() as i64;
        policy.fit.productive_tier_rank = policy.fit.productive_tier_rank.min(rungs);
        policy
    }

    /// Parses a TOML document strictly and validates it. Syntax and type errors name the
    /// line, column and key; rule errors name the key, what is wrong and what is allowed.
    pub fn from_toml(text: &str) -> Result<Self, Invalid> {
        let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        if table
            .get("registration")
            .and_then(|r| r.get("version"))
            .is_some()
        {
            return Err(Invalid::one(
                "registration.version",
                "assigned",
                "registration.version is assigned when a policy is published; remove the key",
            ));
        }
        let policy: ProgramPolicy = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        policy.validate()?;
        Ok(policy)
    }

    /// The canonical TOML text of the policy (what is stored and diffed).
    pub fn to_toml(&self) -> String {
        // Serialising plain data cannot fail; an empty text would surface as a validation
        // error on the next load rather than a panic here.
        let Ok(toml::Value::Table(mut table)) = toml::Value::try_from(self) else {
            return String::new();
        };
        if let Some(toml::Value::Table(r)) = table.get_mut("registration") {
            r.remove("version");
        }
        toml::to_string_pretty(&table).unwrap_or_default()
    }

    /// Advice that does not block publishing (e.g. a cohort size outside 5–10).
    pub fn warnings(&self) -> Vec<String> {
        validate::warnings(self)
    }

    /// Every rule the document breaks, each naming its key.
    pub fn validate(&self) -> Result<(), Invalid> {
        validate::validate(self)
    }

    /// The published version of this policy, which decisions record. The store stamps it on
    /// the registration section (the only place the document carries it).
    pub fn version(&self) -> i64 {
        self.registration.version
    }

    /// The entry tier (validation guarantees the ladder is not empty).
    pub fn entry_tier(&self) -> &TierRule {
        &self.tiers[0]
    }
}

fn toml_error(text: &str, e: &toml::de::Error) -> Invalid {
    let at = e.span().map(|span| line_col(text, span.start));
    Invalid::one(
        at.as_deref().unwrap_or("document"),
        "toml",
        e.message().trim().to_owned(),
    )
}

/// `line L, column C` of a byte offset, 1-based.
fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    format!("line {line}, column {col}")
}

#[cfg(test)]
mod seed_tests {
    use super::*;

    #[test]
    fn a_technology_program_seeds_the_track_with_rising_criteria() {
        let policy = ProgramPolicy::seed_for(ProgramKind::Technology);
        let names: Vec<&str> = policy.tiers.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Integration", "Partnership", "Strategic"]);
        assert!(policy.tiers[0].criteria.is_empty(), "self-serve: no bar");
        // The document is valid as published: it parses back to itself.
        let back = ProgramPolicy::from_toml(&policy.to_toml()).expect("valid");
        assert_eq!(back.tiers, policy.tiers);
        assert_eq!(
            ProgramPolicy::seed_for(ProgramKind::Reseller).tiers,
            ProgramPolicy::seed_default().tiers
        );
    }

    #[test]
    fn an_existing_ladder_keeps_its_names_under_its_kinds_criteria() {
        let ladder = vec![
            ("Builder".to_owned(), None, Vec::new()),
            ("Co-builder".to_owned(), None, Vec::new()),
        ];
        let policy = ProgramPolicy::default_for_ladder(ProgramKind::Technology, &ladder);
        assert_eq!(policy.tiers[0].name, "Builder");
        assert_eq!(
            policy.tiers[1].criteria,
            ProgramPolicy::seed_for(ProgramKind::Technology).tiers[1].criteria
        );
    }
}
