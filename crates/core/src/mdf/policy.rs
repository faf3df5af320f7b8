//! The `[mdf]` section of a program policy: how much each vendor staff role may approve on
//! one MDF request, and how long after an activity ends its claim may be submitted.
//!
//! ```toml
//! [mdf]
//! claim_deadline_days = 30
//! [[mdf.approval_limits]]
//! role = "channel_manager"
//! up_to_minor = 1000000     # 10,000.00 in the budget's currency
//! [[mdf.approval_limits]]
//! role = "admin"            # no up_to_minor: unlimited
//! ```
//!
//! A staff role without a row may not approve requests at all. Limits are minor units of
//! the currency of the budget the request draws on (requests are always in that currency).

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::user::Role;

/// The longest claim deadline, in days after the activity ends.
pub const MAX_CLAIM_DEADLINE_DAYS: u32 = 365;

/// The program's MDF rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct MdfPolicy {
    /// A claim must be submitted at the latest this many days after the activity's end
    /// (that last day included).
    pub claim_deadline_days: u32,
    /// What each staff role may approve on one request.
    pub approval_limits: Vec<ApprovalLimit>,
}

/// How much one staff role may approve on one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApprovalLimit {
    pub role: Role,
    /// The most (minor units) this role may approve on one request; absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to_minor: Option<i64>,
}

impl Default for MdfPolicy {
    /// Channel managers up to 10,000.00, finance up to 25,000.00, administrators (the
    /// channel director's seat) without limit; claims within 30 days of the activity's end.
    fn default() -> Self {
        MdfPolicy {
            claim_deadline_days: 30,
            approval_limits: vec![
                ApprovalLimit {
                    role: Role::ChannelManager,
                    up_to_minor: Some(1_000_000),
                },
                ApprovalLimit {
                    role: Role::MarketingFinance,
                    up_to_minor: Some(2_500_000),
                },
                ApprovalLimit {
                    role: Role::Admin,
                    up_to_minor: None,
                },
            ],
        }
    }
}

/// What a role may approve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authority {
    /// The role has no row: it may not approve requests.
    None,
    /// Up to this many minor units.
    UpTo(i64),
    Unlimited,
}

impl MdfPolicy {
    /// What `role` may approve on one request.
    pub fn authority(&self, role: Role) -> Authority {
        match self.approval_limits.iter().find(|l| l.role == role) {
            None => Authority::None,
            Some(ApprovalLimit {
                up_to_minor: Some(n),
                ..
            }) => Authority::UpTo(*n),
            Some(_) => Authority::Unlimited,
        }
    }

    /// Every rule the section breaks, keys prefixed with `mdf.`.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut inv = Invalid::new();
        if self.claim_deadline_days > MAX_CLAIM_DEADLINE_DAYS {
            inv.add(
                "mdf.claim_deadline_days",
                "range",
                format!(
                    "mdf.claim_deadline_days must be 0 to {MAX_CLAIM_DEADLINE_DAYS} days (got {})",
                    self.claim_deadline_days
                ),
            );
        }
        for (i, l) in self.approval_limits.iter().enumerate() {
            let key = format!("mdf.approval_limits[{i}]");
            if l.role.is_partner_role() {
                inv.add(
                    &format!("{key}.role"),
                    "staff_role",
                    format!(
                        "{key}.role must be a vendor staff role (admin, channel_manager, direct_sales, marketing_finance); got {}",
                        l.role.as_str()
                    ),
                );
            }
            if self.approval_limits[..i].iter().any(|p| p.role == l.role) {
                inv.add(
                    &format!("{key}.role"),
                    "unique",
                    format!(
                        "{key}.role: {} has a limit already; give each role one row",
                        l.role.as_str()
                    ),
                );
            }
            if let Some(n) = l.up_to_minor
                && n < 0
            {
                inv.add(
                    &format!("{key}.up_to_minor"),
                    "non_negative",
                    format!(
                        "{key}.up_to_minor must be 0 or more, or absent for no limit (got {n})"
                    ),
                );
            }
        }
        inv.finish(|| Some(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<(), Invalid>) -> Vec<(String, String)> {
        r.err()
            .map(|e| e.errors.into_iter().map(|e| (e.field, e.rule)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_default_is_valid_and_names_the_seed_limits() {
        let p = MdfPolicy::default();
        assert!(p.validate().is_ok());
        assert_eq!(p.claim_deadline_days, 30);
        assert_eq!(
            p.authority(Role::ChannelManager),
            Authority::UpTo(1_000_000)
        );
        assert_eq!(p.authority(Role::Admin), Authority::Unlimited);
        assert_eq!(p.authority(Role::DirectSales), Authority::None);
    }

    #[test]
    fn errors_name_the_key_and_the_rule() {
        let p = MdfPolicy {
            claim_deadline_days: 366,
            approval_limits: vec![
                ApprovalLimit {
                    role: Role::PartnerAdmin,
                    up_to_minor: Some(1),
                },
                ApprovalLimit {
                    role: Role::Admin,
                    up_to_minor: Some(-1),
                },
                ApprovalLimit {
                    role: Role::Admin,
                    up_to_minor: None,
                },
            ],
        };
        let got = fields(p.validate());
        for want in [
            ("mdf.claim_deadline_days", "range"),
            ("mdf.approval_limits[0].role", "staff_role"),
            ("mdf.approval_limits[1].up_to_minor", "non_negative"),
            ("mdf.approval_limits[2].role", "unique"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} missing from {got:?}"
            );
        }
    }

    #[test]
    fn the_section_reads_from_toml_with_unlimited_rows() {
        let p: MdfPolicy = toml::from_str(
            "claim_deadline_days = 45\n[[approval_limits]]\nrole = \"channel_manager\"\nup_to_minor = 500\n[[approval_limits]]\nrole = \"admin\"\n",
        )
        .unwrap();
        assert_eq!(p.claim_deadline_days, 45);
        assert_eq!(p.authority(Role::ChannelManager), Authority::UpTo(500));
        assert_eq!(p.authority(Role::Admin), Authority::Unlimited);
        let back: MdfPolicy = toml::from_str(&toml::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
