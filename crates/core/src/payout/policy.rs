//! The `[incentives]` section of a program policy: what partners earn per tier and route,
//! the accelerators, renewal and expansion shares, the clawback window, the minimum payout
//! and the payout period. Rates are basis points (1500 = 15%). Nothing here reads data.
//!
//! An absent section pays nothing: a program decides its economics explicitly. Because the
//! section lives in the versioned policy, a deal is always paid under the version in force
//! when it closed (the accrual records that version and reads it back for renewals).

use serde::{Deserialize, Serialize};

use crate::pipeline::record::RouteKind;
use crate::{Invalid, text_enum};

/// The highest rate a rule may set, in basis points (100%).
pub const MAX_RATE_BP: u32 = 10_000;
/// The longest clawback window, in days.
pub const MAX_CLAWBACK_DAYS: u32 = 730;
/// The most renewal years a rule may pay.
pub const MAX_RENEWAL_YEARS: u32 = 10;

text_enum!(
    /// How often statements are drawn up.
    PayoutPeriod {
        Monthly = "monthly" / "Monthly",
        Quarterly = "quarterly" / "Quarterly",
    }
);

text_enum!(
    /// What earns an accelerator.
    AcceleratorKind {
        JbpMilestone = "jbp_milestone" / "Above the joint business plan's quarterly milestone",
        Certified = "certified" / "Certified partner",
    }
);

/// The program's economics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct IncentivePolicy {
    pub payout_period: PayoutPeriod,
    /// A statement whose total is below this (minor units of the program currency) rolls
    /// over to the next period instead of being paid.
    pub minimum_payout_minor: i64,
    /// A customer cancelling within this many days of a close, renewal or expansion takes
    /// back what that event paid (day `clawback_days` still does, the day after not).
    pub clawback_days: u32,
    /// Rates per tier (by the tier's name on the ladder). A tier without a row earns nothing.
    pub tiers: Vec<TierRates>,
    pub accelerators: Vec<Accelerator>,
}

impl Default for IncentivePolicy {
    fn default() -> Self {
        IncentivePolicy {
            payout_period: PayoutPeriod::Quarterly,
            minimum_payout_minor: 0,
            clawback_days: 90,
            tiers: Vec::new(),
            accelerators: Vec::new(),
        }
    }
}

/// What one tier earns, per route, in basis points of the deal's ARR.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct TierRates {
    /// The tier's name, as on the ladder.
    pub tier: String,
    /// Route resale: the reseller's margin.
    pub resale_margin_bp: u32,
    /// Route referral: the referral fee.
    pub referral_fee_bp: u32,
    /// Route co-sell: the partner's split.
    pub co_sell_split_bp: u32,
    /// Route cloud marketplace: the partner's share of a marketplace deal.
    pub marketplace_bp: u32,
    /// Share of renewal ARR paid for each of the first `renewal_years` renewals.
    pub renewal_bp: u32,
    pub renewal_years: u32,
    /// Share of the ARR an expansion adds.
    pub expansion_bp: u32,
}

/// An extra rate on top of the route's, as its own line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Accelerator {
    pub kind: AcceleratorKind,
    pub extra_bp: u32,
    /// For `certified`: the certified individuals the partner needs (default 1).
    #[serde(default = "one")]
    pub at_least: i64,
}

fn one() -> i64 {
    1
}

/// The rule a route pays under, as recorded on a line.
pub fn route_rule(route: RouteKind) -> &'static str {
    match route {
        RouteKind::Resale => "resale_margin",
        RouteKind::Referral => "referral_fee",
        RouteKind::CoSell => "co_sell_split",
        RouteKind::CloudMarketplace => "marketplace",
    }
}

impl TierRates {
    /// The rate of a route.
    pub fn route_bp(&self, route: RouteKind) -> u32 {
        match route {
            RouteKind::Resale => self.resale_margin_bp,
            RouteKind::Referral => self.referral_fee_bp,
            RouteKind::CoSell => self.co_sell_split_bp,
            RouteKind::CloudMarketplace => self.marketplace_bp,
        }
    }

    fn rates(&self) -> [(&'static str, u32); 6] {
        [
            ("resale_margin_bp", self.resale_margin_bp),
            ("referral_fee_bp", self.referral_fee_bp),
            ("co_sell_split_bp", self.co_sell_split_bp),
            ("marketplace_bp", self.marketplace_bp),
            ("renewal_bp", self.renewal_bp),
            ("expansion_bp", self.expansion_bp),
        ]
    }
}

impl IncentivePolicy {
    /// The rates of the tier with this name (trimmed, ignoring case).
    pub fn rates_of(&self, tier: &str) -> Option<&TierRates> {
        let tier = tier.trim();
        self.tiers
            .iter()
            .find(|t| t.tier.trim().eq_ignore_ascii_case(tier))
    }

    /// Every rule the section breaks, keys prefixed with `incentives.`; `tier_names` are the
    /// ladder's, which the rows must name.
    pub fn validate(&self, tier_names: &[&str]) -> Result<(), Invalid> {
        let mut inv = Invalid::new();
        if self.minimum_payout_minor < 0 {
            inv.add(
                "incentives.minimum_payout_minor",
                "non_negative",
                format!(
                    "incentives.minimum_payout_minor must be 0 or more (got {})",
                    self.minimum_payout_minor
                ),
            );
        }
        if self.clawback_days > MAX_CLAWBACK_DAYS {
            inv.add(
                "incentives.clawback_days",
                "range",
                format!(
                    "incentives.clawback_days must be 0 to {MAX_CLAWBACK_DAYS} days (got {})",
                    self.clawback_days
                ),
            );
        }
        for (i, t) in self.tiers.iter().enumerate() {
            let key = format!("incentives.tiers[{i}]");
            let name = t.tier.trim();
            if !tier_names
                .iter()
                .any(|n| n.trim().eq_ignore_ascii_case(name))
            {
                inv.add(
                    &format!("{key}.tier"),
                    "one_of",
                    format!(
                        "{key}.tier must name a tier of the ladder ({}); got \"{name}\"",
                        tier_names.join(", ")
                    ),
                );
            } else if self.tiers[..i]
                .iter()
                .any(|p| p.tier.trim().eq_ignore_ascii_case(name))
            {
                inv.add(
                    &format!("{key}.tier"),
                    "unique",
                    format!("{key}.tier: \"{name}\" has rates already; give each tier one row"),
                );
            }
            for (field, bp) in t.rates() {
                rate(&mut inv, &format!("{key}.{field}"), bp);
            }
            if t.renewal_years > MAX_RENEWAL_YEARS {
                inv.add(
                    &format!("{key}.renewal_years"),
                    "range",
                    format!(
                        "{key}.renewal_years must be 0 to {MAX_RENEWAL_YEARS} (got {})",
                        t.renewal_years
                    ),
                );
            }
            if t.renewal_bp > 0 && t.renewal_years == 0 {
                inv.add(
                    &format!("{key}.renewal_years"),
                    "required",
                    format!(
                        "{key}.renewal_years must be 1 or more when renewal_bp is set \
                         (how many renewals pay)"
                    ),
                );
            }
        }
        for (i, a) in self.accelerators.iter().enumerate() {
            let key = format!("incentives.accelerators[{i}]");
            rate(&mut inv, &format!("{key}.extra_bp"), a.extra_bp);
            if a.extra_bp == 0 {
                inv.add(
                    &format!("{key}.extra_bp"),
                    "positive",
                    format!("{key}.extra_bp must be more than 0 basis points"),
                );
            }
            if a.kind == AcceleratorKind::Certified && a.at_least < 1 {
                inv.add(
                    &format!("{key}.at_least"),
                    "positive",
                    format!("{key}.at_least must be 1 or more certified individuals"),
                );
            }
            if self.accelerators[..i].iter().any(|p| p.kind == a.kind) {
                inv.add(
                    &format!("{key}.kind"),
                    "unique",
                    format!(
                        "{key}.kind: one {} accelerator per program",
                        a.kind.as_str()
                    ),
                );
            }
        }
        inv.finish(|| Some(()))
    }
}

fn rate(inv: &mut Invalid, key: &str, bp: u32) {
    if bp > MAX_RATE_BP {
        inv.add(
            key,
            "range",
            format!("{key} must be 0 to {MAX_RATE_BP} basis points (0–100%) (got {bp})"),
        );
    }
}

#[cfg(test)]
// Amounts are written major_minor (48_000_00 is 48,000.00), as people read money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn rated(tier: &str) -> TierRates {
        TierRates {
            tier: tier.into(),
            resale_margin_bp: 2000,
            referral_fee_bp: 1000,
            co_sell_split_bp: 500,
            marketplace_bp: 300,
            renewal_bp: 500,
            renewal_years: 2,
            expansion_bp: 800,
        }
    }

    fn fields(r: Result<(), Invalid>) -> Vec<(String, String)> {
        r.err()
            .map(|e| e.errors.into_iter().map(|e| (e.field, e.rule)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_default_pays_nothing_and_is_valid() {
        let p = IncentivePolicy::default();
        assert!(p.validate(&["Registered"]).is_ok());
        assert!(p.rates_of("Registered").is_none());
        assert_eq!(p.clawback_days, 90);
    }

    #[test]
    fn each_route_has_its_rate_and_rule() {
        let r = rated("Gold");
        assert_eq!(r.route_bp(RouteKind::Resale), 2000);
        assert_eq!(r.route_bp(RouteKind::Referral), 1000);
        assert_eq!(r.route_bp(RouteKind::CoSell), 500);
        assert_eq!(r.route_bp(RouteKind::CloudMarketplace), 300);
        assert_eq!(route_rule(RouteKind::CoSell), "co_sell_split");
    }

    #[test]
    fn errors_name_the_key_and_the_rule() {
        let mut p = IncentivePolicy {
            minimum_payout_minor: -1,
            clawback_days: 731,
            tiers: vec![rated("Gold"), rated("gold"), rated("Platinum")],
            accelerators: vec![
                Accelerator {
                    kind: AcceleratorKind::Certified,
                    extra_bp: 0,
                    at_least: 0,
                },
                Accelerator {
                    kind: AcceleratorKind::Certified,
                    extra_bp: 10_001,
                    at_least: 1,
                },
            ],
            ..IncentivePolicy::default()
        };
        p.tiers[0].referral_fee_bp = 10_001;
        p.tiers[0].renewal_years = 0;
        let got = fields(p.validate(&["Registered", "Gold"]));
        for want in [
            ("incentives.minimum_payout_minor", "non_negative"),
            ("incentives.clawback_days", "range"),
            ("incentives.tiers[0].referral_fee_bp", "range"),
            ("incentives.tiers[0].renewal_years", "required"),
            ("incentives.tiers[1].tier", "unique"),
            ("incentives.tiers[2].tier", "one_of"),
            ("incentives.accelerators[0].extra_bp", "positive"),
            ("incentives.accelerators[0].at_least", "positive"),
            ("incentives.accelerators[1].extra_bp", "range"),
            ("incentives.accelerators[1].kind", "unique"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} missing from {got:?}"
            );
        }
    }

    #[test]
    fn the_edges_of_the_ranges_are_allowed() {
        let mut r = rated("Gold");
        r.resale_margin_bp = MAX_RATE_BP;
        r.renewal_years = MAX_RENEWAL_YEARS;
        let p = IncentivePolicy {
            clawback_days: MAX_CLAWBACK_DAYS,
            tiers: vec![r],
            ..IncentivePolicy::default()
        };
        assert!(p.validate(&["Gold"]).is_ok());
    }
}
