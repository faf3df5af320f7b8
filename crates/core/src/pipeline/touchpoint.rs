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
