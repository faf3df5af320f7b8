//! The deal-registration part of a program's policy. Every number is a setting; the
//! defaults are the seed's (90-day validity, one renewal, 14-day follow-up SLA, 5-business-day
//! conflict resolution, 60-day direct-engagement look-back).

use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::{FieldError, Invalid};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationPolicy {
    /// Version of the policy these settings belong to; decisions record it.
    pub version: i64,
    /// Days an approved registration is valid, counted from approval.
    pub validity_days: i64,
    /// How many times a registration may be renewed.
    pub max_renewals: i64,
    /// Days each renewal adds.
    pub renewal_days: i64,
    /// Days between follow-up activities before the SLA is missed.
    pub sla_days: i64,
    /// Business days to resolve a conflict case at each escalation level.
    pub conflict_sla_business_days: i64,
    /// The written escalation path, lowest level first.
    pub escalation_levels: Vec<String>,
    /// How far back a direct rep's activity on an account makes a new registration a conflict.
    pub direct_lookback_days: i64,
    /// Registrations approved without review: by tier rank and amount.
    pub auto_approve: Vec<AutoApprove>,
    pub calendar: Calendar,
}

/// Auto-approval: a partner on this tier rank or above, registering at most this amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AutoApprove {
    pub min_tier_rank: i64,
    /// In minor units of the registration's currency.
    pub max_amount_minor: i64,
}

/// The program's working calendar for business-day deadlines (dates are UTC dates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Calendar {
    /// Days that are not business days, as `sat`, `sun`, ...
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub weekend: Vec<Weekday>,
    pub holidays: Vec<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            weekend: vec![Weekday::Sat, Weekday::Sun],
            holidays: Vec::new(),
        }
    }
}

impl Default for RegistrationPolicy {
    fn default() -> Self {
        RegistrationPolicy {
            version: 1,
            validity_days: 90,
            max_renewals: 1,
            renewal_days: 90,
            sla_days: 14,
            conflict_sla_business_days: 5,
            escalation_levels: vec![
                "Channel manager".into(),
                "Head of channel".into(),
                "VP sales".into(),
            ],
            direct_lookback_days: 60,
            auto_approve: Vec::new(),
            calendar: Calendar::default(),
        }
    }
}

impl RegistrationPolicy {
    /// Checks the settings; every problem names its key.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut inv = Invalid::new();
        let positive = |inv: &mut Invalid, key: &str, v: i64| {
            if v < 1 {
                inv.errors.push(FieldError::new(
                    key,
                    "positive",
                    format!("{key} must be at least 1 (got {v})"),
                ));
            }
        };
        positive(&mut inv, "validity_days", self.validity_days);
        positive(&mut inv, "renewal_days", self.renewal_days);
        positive(&mut inv, "sla_days", self.sla_days);
        positive(
            &mut inv,
            "conflict_sla_business_days",
            self.conflict_sla_business_days,
        );
        positive(&mut inv, "direct_lookback_days", self.direct_lookback_days);
        if self.max_renewals < 0 {
            inv.add(
                "max_renewals",
                "non_negative",
                format!(
                    "max_renewals must not be negative (got {})",
                    self.max_renewals
                ),
            );
        }
        if self.escalation_levels.is_empty() {
            inv.add(
                "escalation_levels",
                "required",
                "escalation_levels must name at least one level",
            );
        }
        if self.calendar.weekend.len() >= 7 {
            inv.add(
                "calendar.weekend",
                "business_days",
                "calendar.weekend must leave at least one business day",
            );
        }
        inv.finish(|| Some(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_seed_values_and_valid() {
        let p = RegistrationPolicy::default();
        assert_eq!(
            (
                p.validity_days,
                p.max_renewals,
                p.sla_days,
                p.conflict_sla_business_days
            ),
            (90, 1, 14, 5)
        );
        assert!(p.validate().is_ok());
    }

    #[test]
    fn invalid_settings_name_their_keys() {
        let p = RegistrationPolicy {
            validity_days: 0,
            sla_days: -3,
            escalation_levels: vec![],
            ..Default::default()
        };
        let keys: Vec<String> = p
            .validate()
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(keys, vec!["validity_days", "sla_days", "escalation_levels"]);
    }

    #[test]
    fn reads_partial_json_with_defaults() {
        let p: RegistrationPolicy =
            serde_json::from_str(r#"{"sla_days": 10, "calendar": {"holidays": ["2026-12-25"]}}"#)
                .unwrap();
        assert_eq!((p.sla_days, p.validity_days), (10, 90));
        assert_eq!(p.calendar.weekend, vec![Weekday::Sat, Weekday::Sun]);
        assert!(serde_json::from_str::<RegistrationPolicy>(r#"{"sla_dayz": 10}"#).is_err());
    }
}
