//! Touchpoints: a partner's recorded influence on an opportunity (the input of attribution):
//! the vocabulary, the input and its parsing, the record as shown, and the lateness rule.
//! Storing and listing them is the store's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::ids::{OpportunityId, PartnerId, TouchpointId, UserId, parse_id};
use crate::kernel::invalid::text;
use crate::{FieldError, Invalid, text_enum};

/// Longest touchpoint note, in characters.
pub const MAX_NOTES_CHARS: usize = 2000;

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

/// Raw input for a touchpoint.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TouchpointInput {
    /// The partner whose influence this is. Vendor staff must name it; a partner user logs
    /// its own partner's touchpoints (given or not).
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub partner_id: Option<String>,
    /// introduction, demo, technical_validation, referral, marketplace_listing, event or
    /// campaign_lead.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub kind: Option<String>,
    /// RFC 3339; default now; not in the future.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub occurred_at: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub notes: Option<String>,
}

/// A touchpoint, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct TouchpointFields {
    pub partner_id: Option<PartnerId>,
    pub kind: TouchpointKind,
    pub occurred_at: DateTime<Utc>,
    pub notes: Option<String>,
}

impl TouchpointInput {
    /// Parses the input; `now` is the default time and the latest allowed.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<TouchpointFields, Invalid> {
        let mut inv = Invalid::new();
        let present = |raw: &Option<String>| {
            raw.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let partner_id = match present(&self.partner_id) {
            Some(raw) => inv
                .check(parse_id::<PartnerId>("partner_id", &raw))
                .map(Some),
            None => Some(None),
        };
        let kind = match present(&self.kind) {
            Some(raw) => inv.check(TouchpointKind::parse("kind", &raw)),
            None => inv.check(Err(FieldError::new("kind", "required", "kind is required"))),
        };
        let occurred_at = match present(&self.occurred_at) {
            None => Some(now),
            Some(raw) => match DateTime::parse_from_rfc3339(&raw) {
                Ok(t) if t.with_timezone(&Utc) > now => inv.check(Err(FieldError::new(
                    "occurred_at",
                    "not_in_future",
                    "occurred_at must not be in the future",
                ))),
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => inv.check(Err(FieldError::new(
                    "occurred_at",
                    "datetime",
                    "occurred_at must be an RFC 3339 time, e.g. 2026-03-01T14:00:00Z",
                ))),
            },
        };
        let notes = inv.check(text::optional(
            "notes",
            self.notes.as_deref(),
            MAX_NOTES_CHARS,
        ));
        inv.finish(|| {
            Some(TouchpointFields {
                partner_id: partner_id?,
                kind: kind?,
                occurred_at: occurred_at?,
                notes: notes?,
            })
        })
    }
}

/// A touchpoint as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Touchpoint {
    pub id: TouchpointId,
    pub opportunity_id: OpportunityId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub kind: TouchpointKind,
    pub occurred_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub logged_by: Option<UserId>,
    pub logged_by_name: String,
    /// Logged after the opportunity closed (or dated after its close): kept, but not
    /// counted for attribution.
    pub late: bool,
    pub created_at: DateTime<Utc>,
}

/// Whether a touchpoint logged at `logged_at`, dated `occurred_at`, is late for an
/// opportunity closed at `closed_at` (`None`: open). After close no new touchpoint counts,
/// whatever date it carries, so a deal's influence cannot be rewritten once it is decided.
pub fn is_late_when_logged(
    occurred_at: DateTime<Utc>,
    logged_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
) -> bool {
    is_late(occurred_at, closed_at) || is_late(logged_at, closed_at)
}

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
    fn logging_after_close_is_late_even_with_an_earlier_date() {
        let closed = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
        let before = closed - Duration::days(2);
        assert!(!is_late_when_logged(before, closed, Some(closed)));
        assert!(is_late_when_logged(
            before,
            closed + Duration::seconds(1),
            Some(closed)
        ));
        assert!(!is_late_when_logged(
            before,
            closed + Duration::days(9),
            None
        ));
    }

    #[test]
    fn input_is_parsed_with_named_errors() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let ok = TouchpointInput {
            kind: Some("demo".into()),
            ..TouchpointInput::default()
        }
        .parse(now)
        .unwrap();
        assert_eq!(
            (ok.kind, ok.occurred_at, ok.partner_id),
            (TouchpointKind::Demo, now, None)
        );
        let bad = TouchpointInput {
            partner_id: Some("acc_x".into()),
            kind: None,
            occurred_at: Some("2026-03-01T12:00:01Z".into()),
            notes: Some("n".repeat(MAX_NOTES_CHARS + 1)),
        }
        .parse(now)
        .unwrap_err();
        let got: Vec<(&str, &str)> = bad
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("partner_id", "id"),
                ("kind", "required"),
                ("occurred_at", "not_in_future"),
                ("notes", "max_length")
            ]
        );
        let at_now = TouchpointInput {
            kind: Some("event".into()),
            occurred_at: Some("2026-03-01T13:00:00+01:00".into()),
            ..TouchpointInput::default()
        }
        .parse(now)
        .unwrap();
        assert_eq!(
            at_now.occurred_at, now,
            "an offset is converted, and now is allowed"
        );
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
