//! End-customer accounts: the companies partners and direct sales sell to. The web domain
//! is normalised so that deal registration can match accounts exactly.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::country::Country;
use crate::kernel::ids::{AccountId, UserId, parse_id};
use crate::kernel::invalid::text;
use crate::kernel::web_domain::WebDomain;
use crate::{FieldError, Invalid, text_enum};

text_enum!(
    /// Whether the vendor already sells to this account.
    AccountStatus {
        Prospect = "prospect" / "Prospect",
        Customer = "customer" / "Customer",
    }
);

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "globex.com"))]
    pub web_domain: Option<WebDomain>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "US"))]
    pub country: Country,
    pub industry: Option<String>,
    /// The vendor's direct sales owner, if any.
    pub direct_owner_id: Option<UserId>,
    pub status: AccountStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Set when a reviewer merged this account into another (same company): this one is
    /// archived and everything it had moved there.
    pub merged_into: Option<AccountId>,
}

/// Raw account input (create, or a change laid over the record).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    pub name: Option<String>,
    /// Any form (`https://www.globex.com/about`); stored normalised. Empty clears it.
    pub web_domain: Option<String>,
    pub country: Option<String>,
    pub industry: Option<String>,
    /// A vendor staff user id; empty clears it.
    pub direct_owner_id: Option<String>,
    /// Default: prospect.
    pub status: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccountFields {
    pub name: String,
    pub web_domain: Option<WebDomain>,
    pub country: Country,
    pub industry: Option<String>,
    pub direct_owner_id: Option<UserId>,
    pub status: AccountStatus,
}

impl AccountInput {
    pub fn overlay(self, patch: AccountInput) -> AccountInput {
        AccountInput {
            name: patch.name.or(self.name),
            web_domain: patch.web_domain.or(self.web_domain),
            country: patch.country.or(self.country),
            industry: patch.industry.or(self.industry),
            direct_owner_id: patch.direct_owner_id.or(self.direct_owner_id),
            status: patch.status.or(self.status),
        }
    }
}

impl AccountFields {
    pub fn parse(input: &AccountInput) -> Result<Self, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", input.name.as_deref(), 200));
        let web_domain = match input
            .web_domain
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(WebDomain::parse("web_domain", raw)).map(Some),
            None => Some(None),
        };
        let country = match input
            .country
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(Country::parse("country", raw)),
            None => inv.check(Err(FieldError::new(
                "country",
                "required",
                "country is required",
            ))),
        };
        let industry = inv.check(text::optional("industry", input.industry.as_deref(), 80));
        let direct_owner_id = match input
            .direct_owner_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv
                .check(parse_id::<UserId>("direct_owner_id", raw))
                .map(Some),
            None => Some(None),
        };
        let status = match input.status.as_deref() {
            Some(raw) => inv.check(AccountStatus::parse("status", raw)),
            None => Some(AccountStatus::Prospect),
        };
        inv.finish(|| {
            Some(AccountFields {
                name: name?,
                web_domain: web_domain?,
                country: country?,
                industry: industry?,
                direct_owner_id: direct_owner_id?,
                status: status?,
            })
        })
    }
}

impl Account {
    pub fn to_input(&self) -> AccountInput {
        AccountInput {
            name: Some(self.name.clone()),
            web_domain: self.web_domain.as_ref().map(|d| d.to_string()),
            country: Some(self.country.to_string()),
            industry: self.industry.clone(),
            direct_owner_id: self.direct_owner_id.as_ref().map(|u| u.to_string()),
            status: Some(self.status.as_str().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_is_optional_but_normalised() {
        let a = AccountFields::parse(&AccountInput {
            name: Some("Globex".into()),
            country: Some("us".into()),
            web_domain: Some("HTTP://WWW.GLOBEX.COM/".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(a.web_domain.unwrap().as_str(), "globex.com");
        assert_eq!(a.status, AccountStatus::Prospect);
        let b = AccountFields::parse(&AccountInput {
            name: Some("Globex".into()),
            country: Some("US".into()),
            web_domain: Some(" ".into()),
            ..Default::default()
        })
        .unwrap();
        assert!(b.web_domain.is_none());
    }

    #[test]
    fn a_patch_can_clear_the_owner() {
        let base = AccountInput {
            name: Some("G".into()),
            country: Some("US".into()),
            direct_owner_id: Some("usr_0192f0c4a1b27c3d8e9f001122334455".into()),
            ..Default::default()
        };
        let merged = base.overlay(AccountInput {
            direct_owner_id: Some(String::new()),
            ..Default::default()
        });
        assert_eq!(AccountFields::parse(&merged).unwrap().direct_owner_id, None);
    }
}
