//! The partner locator's lead form: a visitor's enquiry on a public listing becomes a lead
//! of the listing's partner, visible to the partner's users and vendor staff and counted in
//! the listing's usage statistics. A partner may make a lead a deal registration (the path
//! every partner-sourced deal takes into the pipeline).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::email::Email;
use crate::ids::{DirectoryLeadId, DirectoryListingId, PartnerId, RegistrationId};
use crate::invalid::text;
use crate::throttle::ThrottlePolicy;

/// An enquiry as the form sends it.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnquiryInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub message: Option<String>,
}

/// An enquiry, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnquiryFields {
    pub name: String,
    pub email: Email,
    pub company: String,
    pub message: String,
}

impl EnquiryInput {
    pub fn parse(&self) -> Result<EnquiryFields, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", self.name.as_deref(), 120));
        let email = inv.check(Email::parse("email", self.email.as_deref().unwrap_or("")));
        let company = inv.check(text::required("company", self.company.as_deref(), 200));
        let message = inv.check(text::multiline_required(
            "message",
            self.message.as_deref(),
            2_000,
        ));
        inv.finish(|| {
            Some(EnquiryFields {
                name: name?,
                email: email?,
                company: company?,
                message: message?,
            })
        })
    }
}

/// An enquiry, as the partner and vendor staff see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryLead {
    pub id: DirectoryLeadId,
    pub listing_id: DirectoryListingId,
    pub listing_title: String,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub name: String,
    pub email: String,
    pub company: String,
    pub message: String,
    /// The registration the partner made of it, once made.
    pub registration_id: Option<RegistrationId>,
    pub created_at: DateTime<Utc>,
}

/// What a partner adds to an enquiry to make it a deal registration (the enquiry form does
/// not ask visitors for the country or the deal's size).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterEnquiryInput {
    /// ISO 3166-1 alpha-2 country of the enquirer's company.
    pub country: Option<String>,
    /// Estimated ARR in minor units of the program's currency.
    pub estimated_arr_minor: Option<i64>,
    /// `YYYY-MM-DD`.
    pub expected_close_on: Option<String>,
    /// Default: "<company> (directory enquiry)".
    pub title: Option<String>,
}

/// How many enquiries one visitor's address may send in a window.
pub const PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
    max_failures: 5,
    window: Duration::minutes(10),
};

/// How many enquiries one listing takes in a window, whoever sends them.
pub const PER_LISTING: ThrottlePolicy = ThrottlePolicy {
    max_failures: 100,
    window: Duration::hours(1),
};

/// Whether an enquiry may be taken now: `Err(retry_at)` when the address or the listing
/// has had too many recently.
pub fn may_take(
    from_address: &[DateTime<Utc>],
    to_listing: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), DateTime<Utc>> {
    PER_ADDRESS.check(from_address, now)?;
    PER_LISTING.check(to_listing, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_checked() {
        let e = EnquiryInput {
            name: Some(" ".into()),
            email: Some("not-an-address".into()),
            company: None,
            message: None,
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "email", "company", "message"]);
        let ok = EnquiryInput {
            name: Some("Ada".into()),
            email: Some("ada@example.com".into()),
            company: Some("Acme".into()),
            message: Some("We need help\r\nwith our CRM".into()),
        }
        .parse()
        .unwrap();
        assert_eq!(ok.message, "We need help\nwith our CRM");
    }

    #[test]
    fn the_sixth_enquiry_in_ten_minutes_waits() {
        let now = Utc::now();
        let five: Vec<_> = (1..=5).map(|m| now - Duration::minutes(m)).collect();
        let retry = may_take(&five, &[], now).unwrap_err();
        // The oldest of the five leaves the window first.
        assert_eq!(retry, now - Duration::minutes(5) + PER_ADDRESS.window);
        assert!(may_take(&five[..4], &[], now).is_ok());
        let old: Vec<_> = (11..=20).map(|m| now - Duration::minutes(m)).collect();
        assert!(may_take(&old, &[], now).is_ok());
        let flood: Vec<_> = (0..100).map(|s| now - Duration::seconds(s)).collect();
        assert!(may_take(&[], &flood, now).is_err());
    }
}
