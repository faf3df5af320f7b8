//! Touchpoints: a partner's recorded influence on an opportunity (the input of attribution).
//! Only the vocabulary and the lateness rule live here; storing and listing them is the
//! store's.

use chrono::{DateTime, Utc};

use crate::text_enum;

text_enum!(
    /// What the partner did.
    TouchpointKind {
        Introduction = "introduction" / "Introduction",
        Demo = "demo" / "Demo",
        TechnicalValidation = "technical_validation" / "Technical validation",
        Referral = "referral" / "Referral",
        MarketplaceListing = "marketplace_listing" / "Marketplace listing",
        Event = "event" / "Event",
        CampaignLead = "campaign_lead" / "Campaign lead",
    }
);

/// Whether a touchpoint at `touch_at` came after the opportunity closed at `closed_at`: it
/// is still logged, but marked late and not counted for attribution. A touchpoint at the
/// very moment of close counts; an open opportunity (`None`) has no late touchpoints.
pub fn is_late(touch_at: DateTime<Utc>, closed_at: Option<DateTime<Utc>>) -> bool {
    closed_at.is_some_and(|closed| touch_at > closed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn touchpoints_after_close_are_late_at_close_are_not() {
        let closed = Utc.with_ymd_and_hms(2026, 1, 31, 23, 59, 59).unwrap();
        assert!(!is_late(closed, Some(closed)));
        assert!(!is_late(closed - Duration::days(3), Some(closed)));
        assert!(is_late(closed + Duration::seconds(1), Some(closed)));
        assert!(!is_late(closed + Duration::days(400), None));
    }

    #[test]
    fn kinds_use_snake_case_on_the_wire() {
        assert_eq!(
            TouchpointKind::parse("kind", "technical_validation"),
            Ok(TouchpointKind::TechnicalValidation)
        );
        assert_eq!(TouchpointKind::ALL.len(), 7);
        let e = TouchpointKind::parse("kind", "webinar").unwrap_err();
        assert_eq!((e.field.as_str(), e.rule.as_str()), ("kind", "one_of"));
        assert!(e.message.contains("campaign_lead"), "{}", e.message);
    }
}
