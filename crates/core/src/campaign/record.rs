//! Campaign records and the parsing of their input.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::email::Email;
use crate::ids::{
    CampaignId, CampaignLeadId, CampaignTemplateId, MdfRequestId, PartnerId, ProgramId,
    RegistrationId, UserId, parse_id,
};
use crate::invalid::text;
use crate::{Invalid, text_enum};

text_enum!(
    /// Where a template is in its life.
    TemplateStatus {
        Draft = "draft" / "Draft",
        Published = "published" / "Published",
        Retired = "retired" / "Retired",
    }
);

text_enum!(
    /// Whether a campaign's landing page takes leads.
    CampaignStatus {
        Live = "live" / "Live",
        Ended = "ended" / "Ended",
    }
);

/// A pre-approved campaign: the e-mail and the landing page partners launch, in Markdown
/// with co-brand placeholders. Editing a published template makes a new version; campaigns
/// already launched keep the content they were launched with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignTemplate {
    pub id: CampaignTemplateId,
    pub program_id: ProgramId,
    pub name: String,
    pub version: i64,
    pub status: TemplateStatus,
    pub email_subject: String,
    pub email_body: String,
    pub landing_title: String,
    pub landing_body: String,
    /// What the offer placeholder says unless the partner chooses another at launch.
    pub default_offer: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A template's fields as sent.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub program_id: Option<String>,
    pub name: Option<String>,
    pub email_subject: Option<String>,
    pub email_body: Option<String>,
    pub landing_title: Option<String>,
    pub landing_body: Option<String>,
    pub default_offer: Option<String>,
}

/// A template's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateFields {
    pub name: String,
    pub email_subject: String,
    pub email_body: String,
    pub landing_title: String,
    pub landing_body: String,
    pub default_offer: String,
}

impl TemplateInput {
    pub fn parse(&self) -> Result<TemplateFields, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", self.name.as_deref(), 120));
        let email_subject = inv.check(text::required(
            "email_subject",
            self.email_subject.as_deref(),
            200,
        ));
        let email_body = inv.check(text::multiline_required(
            "email_body",
            self.email_body.as_deref(),
            20_000,
        ));
        let landing_title = inv.check(text::required(
            "landing_title",
            self.landing_title.as_deref(),
            200,
        ));
        let landing_body = inv.check(text::multiline_required(
            "landing_body",
            self.landing_body.as_deref(),
            20_000,
        ));
        let default_offer = inv.check(text::required(
            "default_offer",
            self.default_offer.as_deref(),
            200,
        ));
        inv.finish(|| {
            Some(TemplateFields {
                name: name?,
                email_subject: email_subject?,
                email_body: email_body?,
                landing_title: landing_title?,
                landing_body: landing_body?,
                default_offer: default_offer?,
            })
        })
    }
}

/// A campaign a partner launched from a template: its own copy of the content, its
/// co-brand values, and the public address of its landing page (`/c/{slug}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: CampaignId,
    pub template_id: CampaignTemplateId,
    pub template_version: i64,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub name: String,
    /// The random token of the public address `/c/{slug}`.
    pub slug: String,
    pub status: CampaignStatus,
    pub email_subject: String,
    pub email_body: String,
    pub landing_title: String,
    pub landing_body: String,
    pub offer: String,
    pub contact_name: String,
    pub contact_email: String,
    pub views: i64,
    /// The MDF request that funds the campaign: its leads' deals count in that activity's
    /// ROI.
    pub mdf_request_id: Option<MdfRequestId>,
    pub launched_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A launch as sent: blank offer means the template's.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LaunchInput {
    pub template_id: Option<String>,
    pub name: Option<String>,
    pub offer: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    /// An approved MDF request of the partner's that funds the campaign (optional).
    pub mdf_request_id: Option<String>,
}

/// A launch, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchFields {
    pub name: String,
    pub offer: Option<String>,
    pub contact_name: String,
    pub contact_email: Email,
    pub mdf_request_id: Option<MdfRequestId>,
}

impl LaunchInput {
    pub fn parse(&self) -> Result<LaunchFields, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", self.name.as_deref(), 120));
        let offer = inv.check(text::optional("offer", self.offer.as_deref(), 200));
        let contact_name = inv.check(text::required(
            "contact_name",
            self.contact_name.as_deref(),
            120,
        ));
        let contact_email = inv.check(Email::parse(
            "contact_email",
            self.contact_email.as_deref().unwrap_or(""),
        ));
        let mdf_request_id = match self
            .mdf_request_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv
                .check(parse_id::<MdfRequestId>("mdf_request_id", raw))
                .map(Some),
            None => Some(None),
        };
        inv.finish(|| {
            Some(LaunchFields {
                mdf_request_id: mdf_request_id?,
                name: name?,
                offer: offer?,
                contact_name: contact_name?,
                contact_email: contact_email?,
            })
        })
    }
}

/// A lead a landing page took.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignLead {
    pub id: CampaignLeadId,
    pub campaign_id: CampaignId,
    pub partner_id: PartnerId,
    pub name: String,
    pub email: String,
    pub company: String,
    pub country: String,
    pub message: Option<String>,
    /// The registration the partner made of it, once made.
    pub registration_id: Option<RegistrationId>,
    pub created_at: DateTime<Utc>,
}

/// A lead as the landing page's form sends it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LeadInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub country: Option<String>,
    pub message: Option<String>,
}

/// A lead, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadFields {
    pub name: String,
    pub email: Email,
    pub company: String,
    pub country: crate::country::Country,
    pub message: Option<String>,
}

impl LeadInput {
    pub fn parse(&self) -> Result<LeadFields, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", self.name.as_deref(), 120));
        let email = inv.check(Email::parse("email", self.email.as_deref().unwrap_or("")));
        let company = inv.check(text::required("company", self.company.as_deref(), 200));
        let country = inv.check(crate::country::Country::parse(
            "country",
            self.country.as_deref().unwrap_or(""),
        ));
        let message = inv.check(text::multiline_optional(
            "message",
            self.message.as_deref(),
            2_000,
        ));
        inv.finish(|| {
            Some(LeadFields {
                name: name?,
                email: email?,
                company: company?,
                country: country?,
                message: message?,
            })
        })
    }
}

/// What a partner adds to a lead to register it: the deal's size (and optionally its title
/// and expected close), which the lead form does not ask visitors.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterLeadInput {
    /// Estimated ARR in minor units of the program's currency.
    pub estimated_arr_minor: Option<i64>,
    /// `YYYY-MM-DD`.
    pub expected_close_on: Option<String>,
    /// Default: "<company> (lead from <campaign>)".
    pub title: Option<String>,
}

/// A campaign's results: views, leads, registrations made of them, and the pipeline and
/// won revenue of those registrations' opportunities, in the program's currency at each
/// deal's own rate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignReport {
    pub views: i64,
    pub leads: i64,
    pub registrations: i64,
    pub opportunities: i64,
    /// Open opportunities' ARR, minor units of `currency`.
    pub pipeline_minor: i64,
    /// Won opportunities' ARR, minor units of `currency`.
    pub won_minor: i64,
    pub currency: String,
}

/// Who made a lead into a registration, for the audit trail.
#[derive(Clone, Debug, Serialize)]
pub struct LeadRegistered {
    pub lead_id: CampaignLeadId,
    pub registration_id: RegistrationId,
    pub by: UserId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_names_every_missing_field() {
        let err = TemplateInput::default().parse().unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "email_subject",
                "email_body",
                "landing_title",
                "landing_body",
                "default_offer"
            ]
        );
    }

    #[test]
    fn a_launch_needs_a_contact_address() {
        let input = LaunchInput {
            name: Some("Spring webinar".into()),
            contact_name: Some("Ada".into()),
            contact_email: Some("not an address".into()),
            ..Default::default()
        };
        let err = input.parse().unwrap_err();
        assert_eq!(err.errors[0].field, "contact_email");
        let ok = LaunchInput {
            contact_email: Some(" Ada@Acme.example ".into()),
            ..input
        }
        .parse()
        .unwrap();
        assert_eq!(ok.contact_email.as_str(), "ada@acme.example");
        assert_eq!(ok.offer, None);
    }

    #[test]
    fn a_lead_gives_name_email_company_and_country() {
        let err = LeadInput::default().parse().unwrap_err();
        let rules: Vec<String> = err
            .errors
            .iter()
            .map(|e| format!("{}:{}", e.field, e.rule))
            .collect();
        assert_eq!(rules.len(), 4, "{rules:?}");
        let lead = LeadInput {
            name: Some("Grace".into()),
            email: Some("grace@initech.example".into()),
            company: Some("Initech".into()),
            country: Some("de".into()),
            message: Some("  call me\r\nplease ".into()),
        }
        .parse()
        .unwrap();
        assert_eq!(lead.country.as_str(), "DE");
        assert_eq!(lead.message.as_deref(), Some("call me\nplease"));
    }
}
