//! Applications from prospective partners, and the profile the fit score reads: what an
//! applicant tells us about itself, kept on the partner after approval as its attributes at
//! joining, so later applicants are scored against how earlier partners turned out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::country::Country;
use crate::kernel::email::Email;
use crate::kernel::ids::{ApplicationId, PartnerId, ProgramId};
use crate::kernel::invalid::text;
use crate::kernel::web_domain::WebDomain;
use crate::partner::PartnerType;
use crate::{FieldError, Invalid, text_enum};

use super::fit::FitScore;

/// What the fit score knows about a company: its attributes when it applied (or joined).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub partner_type: PartnerType,
    /// Number of employees.
    pub employees: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub countries: Vec<Country>,
    pub verticals: Vec<String>,
    /// Other vendors the company already sells or builds for.
    pub vendor_relationships: Vec<String>,
    /// Customers the company has in the program's target segment.
    pub target_customers: i64,
    /// Staff holding a relevant certification.
    pub certified_staff: i64,
}

text_enum!(
    /// Where an application is.
    ApplicationStatus {
        Submitted = "submitted" / "Submitted",
        Approved = "approved" / "Approved",
        Declined = "declined" / "Declined",
    }
);

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub id: ApplicationId,
    pub program_id: ProgramId,
    pub company: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "acme.com"))]
    pub web_domain: WebDomain,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "DE"))]
    pub country: Country,
    pub contact_name: String,
    pub contact_email: String,
    pub profile: Profile,
    pub status: ApplicationStatus,
    /// The fit score when the application arrived (re-scored on demand).
    pub fit: FitScore,
    /// The partner created on approval.
    pub partner_id: Option<PartnerId>,
    pub decision_note: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Raw application input from the public form or the API.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub program_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub company: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub web_domain: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub partner_type: Option<String>,
    /// Headquarters country (ISO 3166 alpha-2).
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub country: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub employees: Option<i64>,
    /// Countries the company sells in (ISO 3166 alpha-2).
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub countries: Option<Vec<String>>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub verticals: Option<Vec<String>>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub vendor_relationships: Option<Vec<String>>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub target_customers: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub certified_staff: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub contact_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub contact_email: Option<String>,
}

/// A parsed application, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplicationFields {
    pub program_id: ProgramId,
    pub company: String,
    pub web_domain: WebDomain,
    pub country: Country,
    pub contact_name: String,
    pub contact_email: Email,
    pub profile: Profile,
}

fn count(inv: &mut Invalid, field: &str, raw: Option<i64>, max: i64) -> Option<i64> {
    match raw {
        None => inv.check(Err(FieldError::new(
            field,
            "required",
            format!("{field} is required"),
        ))),
        Some(n) if (0..=max).contains(&n) => Some(n),
        Some(n) => inv.check(Err(FieldError::new(
            field,
            "range",
            format!("{field} must be between 0 and {max} (got {n})"),
        ))),
    }
}

/// A required field parsed with `parse`; missing is a `required` error.
fn required<T>(
    inv: &mut Invalid,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
) -> Option<T> {
    match raw {
        Some(raw) => inv.check(parse(field, raw)),
        None => inv.check(Err(FieldError::new(
            field,
            "required",
            format!("{field} is required"),
        ))),
    }
}

/// The trimmed text, or `None` when it is missing or blank.
fn non_blank(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// The countries covered: blanks skipped, duplicates dropped, at most 250.
fn parse_countries(inv: &mut Invalid, raw: &[String]) -> Vec<Country> {
    let mut countries = Vec::new();
    for raw in raw {
        if raw.trim().is_empty() {
            continue;
        }
        if let Some(c) = inv.check(Country::parse("countries", raw))
            && !countries.contains(&c)
        {
            countries.push(c);
        }
    }
    if countries.len() > 250 {
        inv.add(
            "countries",
            "max_items",
            "countries may list at most 250 items",
        );
    }
    countries
}

impl ApplicationFields {
    pub fn parse(input: &ApplicationInput) -> Result<Self, Invalid> {
        use crate::kernel::ids::parse_id;
        let mut inv = Invalid::new();
        let program_id = required(
            &mut inv,
            "program_id",
            input.program_id.as_deref(),
            parse_id,
        );
        let company = inv.check(text::required("company", input.company.as_deref(), 160));
        let web_domain = required(
            &mut inv,
            "web_domain",
            non_blank(input.web_domain.as_deref()),
            WebDomain::parse,
        );
        let partner_type = required(
            &mut inv,
            "partner_type",
            input.partner_type.as_deref(),
            PartnerType::parse,
        );
        let country = required(
            &mut inv,
            "country",
            non_blank(input.country.as_deref()),
            Country::parse,
        );
        let employees = count(&mut inv, "employees", input.employees, 10_000_000);
        let countries = parse_countries(&mut inv, input.countries.as_deref().unwrap_or_default());
        let verticals = inv.check(text::labels(
            "verticals",
            input.verticals.as_deref().unwrap_or_default(),
            20,
            60,
        ));
        let vendor_relationships = inv.check(text::labels(
            "vendor_relationships",
            input.vendor_relationships.as_deref().unwrap_or_default(),
            50,
            80,
        ));
        let target_customers = count(
            &mut inv,
            "target_customers",
            input.target_customers,
            10_000_000,
        );
        let certified_staff = count(
            &mut inv,
            "certified_staff",
            input.certified_staff,
            1_000_000,
        );
        let contact_name = inv.check(text::required(
            "contact_name",
            input.contact_name.as_deref(),
            120,
        ));
        let contact_email = required(
            &mut inv,
            "contact_email",
            input.contact_email.as_deref(),
            Email::parse,
        );
        inv.finish(|| {
            let mut countries = countries;
            let country = country?;
            if countries.is_empty() {
                countries.push(country);
            }
            Some(ApplicationFields {
                program_id: program_id?,
                company: company?,
                web_domain: web_domain?,
                country,
                contact_name: contact_name?,
                contact_email: contact_email?,
                profile: Profile {
                    partner_type: partner_type?,
                    employees: employees?,
                    countries,
                    verticals: verticals?,
                    vendor_relationships: vendor_relationships?,
                    target_customers: target_customers?,
                    certified_staff: certified_staff?,
                },
            })
        })
    }
}
