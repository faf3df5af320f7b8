//! Registrations, engagement requests and conflict cases as the API shows them, and the
//! parsing of their input.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{
    ActivityKind, ConflictOpener, ConflictOutcome, ConflictStatus, EngagementStatus,
    RegistrationStatus,
};
use crate::kernel::country::Country;
use crate::kernel::ids::{
    AccountId, ActivityId, ConflictId, DecisionId, EngagementId, OpportunityId, PartnerId,
    ProgramId, RegistrationId, UserId, parse_id,
};
use crate::kernel::invalid::text;
use crate::kernel::money::{Currency, Money};
use crate::kernel::scope::Scope;
use crate::kernel::web_domain::WebDomain;
use crate::partner::parse_date;
use crate::{FieldError, Invalid};

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registration {
    pub id: RegistrationId,
    pub program_id: ProgramId,
    pub partner_id: PartnerId,
    pub account_id: AccountId,
    pub account_name: String,
    pub account_domain: Option<String>,
    pub status: RegistrationStatus,
    pub title: String,
    pub product: Option<String>,
    pub estimated_arr: Money,
    pub expected_close_on: Option<NaiveDate>,
    pub submitted_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub renewals: i64,
    pub last_activity_at: Option<DateTime<Utc>>,
    /// When the next follow-up activity is due (approved registrations).
    pub sla_due_at: Option<DateTime<Utc>>,
    pub sla_missed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// A held account whose name is this close: the registration waits for review. Vendor
    /// staff only: it is another partner's account, so a partner always reads `null` here
    /// (see [`Registration::seen_by`]) and learns only `in_duplicate_review`.
    pub possible_duplicate_of: Option<AccountId>,
    /// Whether the registration waits for a duplicate review (its name is close to an
    /// account another partner holds); shown to the partner too, without naming the account.
    pub in_duplicate_review: bool,
    /// The opportunity the approval opened (linked both ways); closing it closes this.
    pub opportunity_id: Option<OpportunityId>,
    pub policy_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Registration {
    /// The registration as `scope` may read it: a partner never receives the id of an account
    /// it holds no registration on, so `possible_duplicate_of` is blanked for partners (the
    /// same field `EntityKind::vendor_only_fields` names for the audit trail).
    pub fn seen_by(mut self, scope: &Scope) -> Registration {
        if let Scope::Partner(_) = scope {
            self.possible_duplicate_of = None;
        }
        self
    }
}

/// A rule decision as stored: about which record, under which policy, which records it cites.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionRecord {
    pub id: DecisionId,
    pub at: DateTime<Utc>,
    pub entity_kind: String,
    pub entity_id: String,
    pub rule: String,
    pub outcome: String,
    pub reason: String,
    pub policy_version: i64,
    /// The records the decision is about, by id.
    pub records: Vec<String>,
    pub actor_name: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub user_id: Option<UserId>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngagementRequest {
    pub id: EngagementId,
    pub registration_id: RegistrationId,
    pub partner_id: PartnerId,
    pub requested_by: UserId,
    pub reason: String,
    pub status: EngagementStatus,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConflictCase {
    pub id: ConflictId,
    pub account_id: AccountId,
    pub registration_id: Option<RegistrationId>,
    pub partner_id: Option<PartnerId>,
    pub opened_by_kind: ConflictOpener,
    pub reason: String,
    /// Position on the escalation path (0 = first level).
    pub level: i64,
    pub level_name: String,
    pub due_at: DateTime<Utc>,
    pub status: ConflictStatus,
    pub outcome: Option<ConflictOutcome>,
    pub reasoning: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub policy_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConflictComment {
    pub id: crate::kernel::ids::CommentId,
    pub author_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// What answers "is this account free?" for a partner: held or not, and until when, never
/// by whom.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldCheck {
    /// The normalised domain checked, if any.
    pub web_domain: Option<String>,
    pub held: bool,
    /// Until when the holder's registration runs (absent while it awaits approval).
    pub held_until: Option<DateTime<Utc>>,
    /// Held by the asking partner itself.
    pub held_by_you: bool,
    /// Set when a held account's name is this close (a submission would go to review): the
    /// candidate's name for vendor staff, the name asked about for partners.
    pub possible_duplicate: Option<String>,
    pub message: String,
}

/// The account a registration is for: one the caller knows by id, or a company described
/// by name, web domain and country, matched against existing accounts.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountRefInput {
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub web_domain: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub country: Option<String>,
}

/// Raw input for a new registration.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    /// An existing account; or describe the company in `account`.
    pub account_id: Option<String>,
    pub account: Option<AccountRefInput>,
    /// Vendor staff registering on a partner's behalf name the partner.
    pub partner_id: Option<String>,
    pub title: Option<String>,
    pub product: Option<String>,
    /// Estimated ARR in minor units.
    pub estimated_arr_minor: Option<i64>,
    /// ISO 4217; default: the program's currency.
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    pub expected_close_on: Option<String>,
}

/// The account of a parsed registration.
#[derive(Clone, Debug, PartialEq)]
pub enum AccountTarget {
    Existing(AccountId),
    Described {
        name: String,
        web_domain: Option<WebDomain>,
        country: Country,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegistrationFields {
    pub account: AccountTarget,
    pub partner_id: Option<PartnerId>,
    pub title: String,
    pub product: Option<String>,
    pub estimated_arr_minor: i64,
    pub currency: Option<Currency>,
    pub expected_close_on: Option<NaiveDate>,
}

impl AccountRefInput {
    /// Parses a described company (used by registration and by the hold check).
    pub fn parse(
        &self,
        prefix: &str,
        inv: &mut Invalid,
    ) -> Option<(String, Option<WebDomain>, Country)> {
        let f = |name: &str| format!("{prefix}{name}");
        let name = inv.check(text::required(&f("name"), self.name.as_deref(), 200));
        let web_domain = match self
            .web_domain
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(WebDomain::parse(&f("web_domain"), raw)).map(Some),
            None => Some(None),
        };
        let country = match self
            .country
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(Country::parse(&f("country"), raw)),
            None => inv.check(Err(FieldError::new(
                &f("country"),
                "required",
                format!("{} is required", f("country")),
            ))),
        };
        Some((name?, web_domain?, country?))
    }
}

/// What a hold check asks about.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckTarget {
    pub name: Option<String>,
    pub web_domain: Option<WebDomain>,
    pub country: Option<Country>,
}

impl AccountRefInput {
    /// Parses what a hold check needs: a web domain alone, or a name with its country (or
    /// all three). Name matching needs the country; a domain needs nothing else.
    pub fn parse_for_check(&self) -> Result<CheckTarget, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::optional("name", self.name.as_deref(), 200));
        let web_domain = match self
            .web_domain
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(WebDomain::parse("web_domain", raw)).map(Some),
            None => Some(None),
        };
        let country = match self
            .country
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(Country::parse("country", raw)).map(Some),
            None => Some(None),
        };
        if let (Some(None), Some(None) | None) = (&web_domain, &country) {
            inv.add(
                "web_domain",
                "required",
                "give a web_domain, or a name and a country",
            );
        } else if let (Some(None), Some(Some(_)), Some(None)) = (&web_domain, &country, &name) {
            inv.add("name", "required", "name is required to match by name");
        }
        inv.finish(|| {
            Some(CheckTarget {
                name: name?,
                web_domain: web_domain?,
                country: country?,
            })
        })
    }
}

impl RegistrationFields {
    pub fn parse(input: &RegistrationInput) -> Result<Self, Invalid> {
        let mut inv = Invalid::new();
        let account = match (
            input
                .account_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty()),
            &input.account,
        ) {
            (Some(raw), None) => inv
                .check(parse_id::<AccountId>("account_id", raw))
                .map(AccountTarget::Existing),
            (None, Some(described)) => {
                described
                    .parse("account.", &mut inv)
                    .map(|(name, web_domain, country)| AccountTarget::Described {
                        name,
                        web_domain,
                        country,
                    })
            }
            (Some(_), Some(_)) => inv.check(Err(FieldError::new(
                "account",
                "one_of_account",
                "give either account_id or account, not both",
            ))),
            (None, None) => inv.check(Err(FieldError::new(
                "account",
                "required",
                "name the account: account_id, or account with name, web_domain and country",
            ))),
        };
        let partner_id = match input
            .partner_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv
                .check(parse_id::<PartnerId>("partner_id", raw))
                .map(Some),
            None => Some(None),
        };
        let title = inv.check(text::required("title", input.title.as_deref(), 200));
        let product = inv.check(text::optional("product", input.product.as_deref(), 120));
        let estimated_arr_minor = match input.estimated_arr_minor {
            Some(v) if v > 0 => Some(v),
            Some(_) => inv.check(Err(FieldError::new(
                "estimated_arr_minor",
                "positive",
                "estimated_arr_minor must be more than zero",
            ))),
            None => inv.check(Err(FieldError::new(
                "estimated_arr_minor",
                "required",
                "estimated_arr_minor is required",
            ))),
        };
        let currency = match input
            .currency
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(Currency::parse("currency", raw)).map(Some),
            None => Some(None),
        };
        let expected_close_on = match input
            .expected_close_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(parse_date("expected_close_on", raw)).map(Some),
            None => Some(None),
        };
        inv.finish(|| {
            Some(RegistrationFields {
                account: account?,
                partner_id: partner_id?,
                title: title?,
                product: product?,
                estimated_arr_minor: estimated_arr_minor?,
                currency: currency?,
                expected_close_on: expected_close_on?,
            })
        })
    }
}

/// A reason given with a decision (approve, reject, deny, resolve): required, bounded.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: Option<String>,
}

impl ReasonInput {
    pub fn parse(&self, required: bool) -> Result<Option<String>, Invalid> {
        let r = if required {
            text::required("reason", self.reason.as_deref(), 2000).map(Some)
        } else {
            text::optional("reason", self.reason.as_deref(), 2000)
        };
        r.map_err(|e| Invalid { errors: vec![e] })
    }
}

/// A logged follow-up activity.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// call, meeting, demo, proposal or note.
    pub kind: Option<String>,
    /// When it happened (RFC 3339); default: now. Not in the future.
    pub occurred_at: Option<String>,
    pub notes: Option<String>,
}

impl ActivityInput {
    pub fn parse(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(ActivityKind, DateTime<Utc>, Option<String>), Invalid> {
        let mut inv = Invalid::new();
        let kind = match self.kind.as_deref() {
            Some(raw) => inv.check(ActivityKind::parse("kind", raw)),
            None => inv.check(Err(FieldError::new("kind", "required", "kind is required"))),
        };
        let occurred_at = match self
            .occurred_at
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(now),
            Some(raw) => match DateTime::parse_from_rfc3339(raw) {
                Ok(t) if t.with_timezone(&Utc) <= now => Some(t.with_timezone(&Utc)),
                Ok(_) => inv.check(Err(FieldError::new(
                    "occurred_at",
                    "not_future",
                    "occurred_at must not be in the future",
                ))),
                Err(_) => inv.check(Err(FieldError::new(
                    "occurred_at",
                    "rfc3339",
                    "occurred_at must be a time like 2026-11-21T09:30:00Z",
                ))),
            },
        };
        let notes = inv.check(text::optional("notes", self.notes.as_deref(), 4000));
        inv.finish(|| Some((kind?, occurred_at?, notes?)))
    }
}

/// Closing a registration.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// won or lost.
    pub outcome: Option<String>,
    pub reason: Option<String>,
}

/// Opening a conflict case.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConflictInput {
    /// The registration in dispute (its account is the case's account).
    pub registration_id: Option<String>,
    /// Or the account, when no registration is involved (vendor staff).
    pub account_id: Option<String>,
    pub reason: Option<String>,
}

/// Resolving a conflict case.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// partner_keeps, direct_keeps or shared.
    pub outcome: Option<String>,
    pub reasoning: Option<String>,
}

impl ResolveInput {
    pub fn parse(&self) -> Result<(ConflictOutcome, String), Invalid> {
        let mut inv = Invalid::new();
        let outcome = match self.outcome.as_deref() {
            Some(raw) => inv.check(ConflictOutcome::parse("outcome", raw)),
            None => inv.check(Err(FieldError::new(
                "outcome",
                "required",
                "outcome is required",
            ))),
        };
        let reasoning = inv.check(text::required("reasoning", self.reasoning.as_deref(), 4000));
        inv.finish(|| Some((outcome?, reasoning?)))
    }
}

/// A comment on a conflict case.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_described_account_is_parsed_and_errors_name_nested_fields() {
        let input = RegistrationInput {
            account: Some(AccountRefInput {
                name: Some("Globex".into()),
                web_domain: Some("https://www.globex.example/".into()),
                country: Some("us".into()),
            }),
            title: Some("Platform rollout".into()),
            estimated_arr_minor: Some(1_200_000),
            ..Default::default()
        };
        let f = RegistrationFields::parse(&input).unwrap();
        match f.account {
            AccountTarget::Described {
                web_domain,
                country,
                ..
            } => {
                assert_eq!(web_domain.unwrap().as_str(), "globex.example");
                assert_eq!(country.as_str(), "US");
            }
            other => panic!("{other:?}"),
        }
        let bad = RegistrationInput {
            account: Some(AccountRefInput {
                name: None,
                web_domain: Some("x".into()),
                country: None,
            }),
            estimated_arr_minor: Some(0),
            ..Default::default()
        };
        let fields: Vec<String> = RegistrationFields::parse(&bad)
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| format!("{}:{}", e.field, e.rule))
            .collect();
        assert_eq!(
            fields,
            vec![
                "account.name:required",
                "account.web_domain:web_domain",
                "account.country:required",
                "title:required",
                "estimated_arr_minor:positive"
            ]
        );
    }

    #[test]
    fn a_hold_check_takes_a_domain_alone_or_a_name_with_its_country() {
        let domain_only = AccountRefInput {
            web_domain: Some("www.Globex.example".into()),
            ..Default::default()
        };
        let CheckTarget {
            name,
            web_domain: domain,
            country,
        } = domain_only.parse_for_check().unwrap();
        assert_eq!(
            (name, domain.unwrap().as_str().to_owned(), country),
            (None, "globex.example".to_owned(), None)
        );
        let by_name = AccountRefInput {
            name: Some("Globex".into()),
            country: Some("US".into()),
            ..Default::default()
        };
        assert!(by_name.parse_for_check().is_ok());
        assert_eq!(
            AccountRefInput::default()
                .parse_for_check()
                .unwrap_err()
                .errors[0]
                .rule,
            "required"
        );
        let no_name = AccountRefInput {
            country: Some("US".into()),
            ..Default::default()
        };
        assert_eq!(
            no_name.parse_for_check().unwrap_err().errors[0].field,
            "name"
        );
    }

    #[test]
    fn activities_cannot_be_in_the_future() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let future = ActivityInput {
            kind: Some("call".into()),
            occurred_at: Some("2026-11-21T10:00:01Z".into()),
            notes: None,
        };
        assert_eq!(future.parse(now).unwrap_err().errors[0].rule, "not_future");
        let ok = ActivityInput {
            kind: Some("demo".into()),
            occurred_at: None,
            notes: None,
        };
        assert_eq!(ok.parse(now).unwrap().1, now);
    }
}
