//! Partner companies: who they are (the profile the partner keeps up to date) and how the
//! vendor governs them (type, program, tier, status, joined date).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::country::{Country, Region, parse_regions};
use crate::kernel::ids::{EntityId, ProgramId, TierId, parse_id};
use crate::kernel::invalid::text;
use crate::kernel::web_domain::WebDomain;
use crate::{FieldError, Invalid, text_enum};

text_enum!(
    /// The kind of company a partner is.
    PartnerType {
        Reseller = "reseller" / "Reseller",
        Referral = "referral" / "Referral",
        Msp = "msp" / "Managed service provider",
        SystemIntegrator = "system_integrator" / "System integrator",
        Technology = "technology" / "ISV / technology",
        Consultant = "consultant" / "Consultant / influencer",
        Marketplace = "marketplace" / "Cloud marketplace",
    }
);

text_enum!(
    /// Where a partner is in its lifecycle.
    PartnerStatus {
        Applicant = "applicant" / "Applicant",
        Onboarding = "onboarding" / "Onboarding",
        Active = "active" / "Active",
        Suspended = "suspended" / "Suspended",
        Sunset = "sunset" / "Sunset",
    }
);

impl PartnerStatus {
    /// The statuses a partner may move to from this one. A sunset partner that returns
    /// starts onboarding again rather than jumping straight back to active.
    pub fn next(self) -> &'static [PartnerStatus] {
        use PartnerStatus::*;
        match self {
            Applicant => &[Onboarding, Sunset],
            Onboarding => &[Active, Suspended, Sunset],
            Active => &[Suspended, Sunset],
            Suspended => &[Active, Sunset],
            Sunset => &[Onboarding],
        }
    }

    /// Checks a status change; staying put is always allowed.
    pub fn check_change(self, to: PartnerStatus) -> Result<(), FieldError> {
        if self == to || self.next().contains(&to) {
            return Ok(());
        }
        let allowed: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
        Err(FieldError::new(
            "status",
            "status_transition",
            format!(
                "a partner cannot move from {self} to {to}; from {self} it can move to: {}",
                allowed.join(", ")
            ),
        ))
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Partner {
    pub id: crate::kernel::ids::PartnerId,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "acme.com"))]
    pub web_domain: WebDomain,
    pub partner_type: PartnerType,
    pub program_id: ProgramId,
    pub tier_id: TierId,
    pub tier_name: String,
    pub status: PartnerStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "DE"))]
    pub country: Country,
    pub regions: Vec<Region>,
    pub verticals: Vec<String>,
    pub joined_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// Raw partner input (create, or a change laid over the record; see [`PartnerInput::overlay`]).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    pub name: Option<String>,
    pub web_domain: Option<String>,
    pub partner_type: Option<String>,
    pub program_id: Option<String>,
    /// Default: the program's entry tier.
    pub tier_id: Option<String>,
    /// Default: onboarding.
    pub status: Option<String>,
    pub country: Option<String>,
    pub regions: Option<Vec<String>>,
    pub verticals: Option<Vec<String>>,
    /// `YYYY-MM-DD`; default: today.
    pub joined_on: Option<String>,
}

/// The fields a partner keeps up to date itself; everything else is governed by the vendor.
pub const PROFILE_FIELDS: &[&str] = &["name", "web_domain", "country", "regions", "verticals"];

#[derive(Clone, Debug, PartialEq)]
pub struct PartnerFields {
    pub name: String,
    pub web_domain: WebDomain,
    pub partner_type: PartnerType,
    pub program_id: ProgramId,
    /// `None` means "the program's entry tier", resolved by the store.
    pub tier_id: Option<TierId>,
    pub status: PartnerStatus,
    pub country: Country,
    pub regions: Vec<Region>,
    pub verticals: Vec<String>,
    pub joined_on: NaiveDate,
}

impl PartnerInput {
    pub fn overlay(self, patch: PartnerInput) -> PartnerInput {
        PartnerInput {
            name: patch.name.or(self.name),
            web_domain: patch.web_domain.or(self.web_domain),
            partner_type: patch.partner_type.or(self.partner_type),
            program_id: patch.program_id.or(self.program_id),
            tier_id: patch.tier_id.or(self.tier_id),
            status: patch.status.or(self.status),
            country: patch.country.or(self.country),
            regions: patch.regions.or(self.regions),
            verticals: patch.verticals.or(self.verticals),
            joined_on: patch.joined_on.or(self.joined_on),
        }
    }

    /// Names of the vendor-governed fields this patch sets.
    pub fn governed_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let set = [
            ("partner_type", self.partner_type.is_some()),
            ("program_id", self.program_id.is_some()),
            ("tier_id", self.tier_id.is_some()),
            ("status", self.status.is_some()),
            ("joined_on", self.joined_on.is_some()),
        ];
        for (name, present) in set {
            if present {
                out.push(name);
            }
        }
        out
    }
}

fn required<T>(
    inv: &mut Invalid,
    field: &str,
    raw: Option<&str>,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Option<T> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => inv.check(parse(field, raw)),
        None => inv.check(Err(FieldError::new(
            field,
            "required",
            format!("{field} is required"),
        ))),
    }
}

/// Parses a calendar date in ISO form.
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            "date",
            format!("{field} must be a date as YYYY-MM-DD"),
        )
    })
}

impl PartnerFields {
    /// Parses input; `today` fills a missing joined date.
    pub fn parse(input: &PartnerInput, today: NaiveDate) -> Result<Self, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", input.name.as_deref(), 160));
        let web_domain = required(
            &mut inv,
            "web_domain",
            input.web_domain.as_deref(),
            WebDomain::parse,
        );
        let partner_type = required(
            &mut inv,
            "partner_type",
            input.partner_type.as_deref(),
            PartnerType::parse,
        );
        let program_id = required(
            &mut inv,
            "program_id",
            input.program_id.as_deref(),
            parse_id::<ProgramId>,
        );
        let tier_id = match input
            .tier_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(parse_id::<TierId>("tier_id", raw)).map(Some),
            None => Some(None),
        };
        let status = match input.status.as_deref() {
            Some(raw) => inv.check(PartnerStatus::parse("status", raw)),
            None => Some(PartnerStatus::Onboarding),
        };
        let country = required(
            &mut inv,
            "country",
            input.country.as_deref(),
            Country::parse,
        );
        let regions = inv.check(parse_regions(
            "regions",
            input.regions.as_deref().unwrap_or_default(),
        ));
        let verticals = inv.check(text::labels(
            "verticals",
            input.verticals.as_deref().unwrap_or_default(),
            12,
            60,
        ));
        let joined_on = match input
            .joined_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(parse_date("joined_on", raw)),
            None => Some(today),
        };
        inv.finish(|| {
            Some(PartnerFields {
                name: name?,
                web_domain: web_domain?,
                partner_type: partner_type?,
                program_id: program_id?,
                tier_id: tier_id?,
                status: status?,
                country: country?,
                regions: regions?,
                verticals: verticals?,
                joined_on: joined_on?,
            })
        })
    }
}

impl Partner {
    pub fn to_input(&self) -> PartnerInput {
        PartnerInput {
            name: Some(self.name.clone()),
            web_domain: Some(self.web_domain.to_string()),
            partner_type: Some(self.partner_type.as_str().to_owned()),
            program_id: Some(self.program_id.as_str().to_owned()),
            tier_id: Some(self.tier_id.as_str().to_owned()),
            status: Some(self.status.as_str().to_owned()),
            country: Some(self.country.to_string()),
            regions: Some(self.regions.iter().map(|r| r.as_str().to_owned()).collect()),
            verticals: Some(self.verticals.clone()),
            joined_on: Some(self.joined_on.format("%Y-%m-%d").to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn valid() -> PartnerInput {
        PartnerInput {
            name: Some("Northwind Systems".into()),
            web_domain: Some("https://www.Northwind.example/".into()),
            partner_type: Some("msp".into()),
            program_id: Some("prg_0192f0c4a1b27c3d8e9f001122334455".into()),
            country: Some("de".into()),
            regions: Some(vec!["emea".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn parses_with_defaults() {
        let p = PartnerFields::parse(&valid(), today()).unwrap();
        assert_eq!(p.web_domain.as_str(), "northwind.example");
        assert_eq!(p.status, PartnerStatus::Onboarding);
        assert_eq!(p.joined_on, today());
        assert_eq!(p.tier_id, None);
        assert_eq!(p.country.as_str(), "DE");
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = PartnerInput {
            web_domain: Some("not a domain".into()),
            partner_type: Some("distributor".into()),
            program_id: Some("acc_0192f0c4a1b27c3d8e9f001122334455".into()),
            country: Some("XX".into()),
            joined_on: Some("2026-02-30".into()),
            ..Default::default()
        };
        let err = PartnerFields::parse(&input, today()).unwrap_err();
        let got: Vec<(&str, &str)> = err
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("name", "required"),
                ("web_domain", "web_domain"),
                ("partner_type", "one_of"),
                ("program_id", "id"),
                ("country", "iso_3166_alpha2"),
                ("joined_on", "date"),
            ]
        );
    }

    #[test]
    fn status_transitions() {
        use PartnerStatus::*;
        assert!(Applicant.check_change(Onboarding).is_ok());
        assert!(Active.check_change(Active).is_ok());
        assert!(Suspended.check_change(Active).is_ok());
        let err = Applicant.check_change(Active).unwrap_err();
        assert_eq!(err.rule, "status_transition");
        assert!(err.message.contains("onboarding, sunset"));
        assert!(Sunset.check_change(Active).is_err());
        assert!(Sunset.check_change(Onboarding).is_ok());
    }

    #[test]
    fn governed_fields_of_a_patch() {
        let patch = PartnerInput {
            name: Some("x".into()),
            tier_id: Some("t".into()),
            status: Some("active".into()),
            ..Default::default()
        };
        assert_eq!(patch.governed_fields(), vec!["tier_id", "status"]);
        assert!(
            PartnerInput {
                verticals: Some(vec![]),
                ..Default::default()
            }
            .governed_fields()
            .is_empty()
        );
    }
}

/// The channel manager who looks after a partner: the vendor's person for it, whose 30-day
/// list is the partner's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerManager {
    pub partner_id: crate::kernel::ids::PartnerId,
    pub user_id: crate::kernel::ids::UserId,
    pub display_name: String,
    pub assigned_by_name: String,
    pub assigned_at: DateTime<Utc>,
}

/// Who looks after a partner: a channel manager's or an administrator's user id, or null
/// to leave the partner without one.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ManagerInput {
    pub user_id: Option<String>,
}
