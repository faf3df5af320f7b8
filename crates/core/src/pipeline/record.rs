//! Opportunities: the source and route vocabularies, the parsing of a new opportunity and of
//! a change to one (every problem naming its field and rule), the record as the API shows
//! it, and its stage history. Nothing here reads data.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::Stage;
use super::fx::RateAtClose;
use super::policy::PipelinePolicy;
use crate::kernel::ids::{
    AccountId, OpportunityId, PartnerId, ProgramId, RegistrationId, StageChangeId, UserId, parse_id,
};
use crate::kernel::invalid::text;
use crate::kernel::money::{Currency, Money};
use crate::partner::parse_date;
use crate::{FieldError, Invalid, text_enum};

/// Longest opportunity title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest next step, in characters.
pub const MAX_NEXT_STEP_CHARS: usize = 500;
/// Longest name of an "other" marketplace, in characters.
pub const MAX_MARKETPLACE_NAME_CHARS: usize = 80;

text_enum!(
    /// Who brought the opportunity.
    OpportunitySource {
        Direct = "direct" / "Direct",
        PartnerSourced = "partner_sourced" / "Partner-sourced",
        PartnerInfluenced = "partner_influenced" / "Partner-influenced",
    }
);

text_enum!(
    /// The kind of route, without the marketplace (how the route is stored and filtered).
    RouteKind {
        Resale = "resale" / "Resale",
        Referral = "referral" / "Referral",
        CoSell = "co_sell" / "Co-sell",
        CloudMarketplace = "cloud_marketplace" / "Cloud marketplace",
    }
);

text_enum!(
    /// The cloud marketplace's kind, as stored and filtered (`other` carries a name apart).
    MarketplaceKind {
        Aws = "aws" / "AWS Marketplace",
        Azure = "azure" / "Microsoft Azure Marketplace",
        GoogleCloud = "google_cloud" / "Google Cloud Marketplace",
        Other = "other" / "Other marketplace",
    }
);

/// The cloud marketplace a deal transacts through. Wire: `"aws"`, `"azure"`,
/// `"google_cloud"`, or `{"other": "<name>"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Marketplace {
    Aws,
    Azure,
    GoogleCloud,
    Other(String),
}

impl Marketplace {
    /// The stored spelling of the kind (`other` for a named one; its name is stored apart).
    pub fn as_str(&self) -> &str {
        match self {
            Marketplace::Aws => "aws",
            Marketplace::Azure => "azure",
            Marketplace::GoogleCloud => "google_cloud",
            Marketplace::Other(_) => "other",
        }
    }

    pub fn kind(&self) -> MarketplaceKind {
        match self {
            Marketplace::Aws => MarketplaceKind::Aws,
            Marketplace::Azure => MarketplaceKind::Azure,
            Marketplace::GoogleCloud => MarketplaceKind::GoogleCloud,
            Marketplace::Other(_) => MarketplaceKind::Other,
        }
    }

    /// The name of an "other" marketplace.
    pub fn other_name(&self) -> Option<&str> {
        match self {
            Marketplace::Other(name) => Some(name),
            _ => None,
        }
    }

    /// A label for people.
    pub fn label(&self) -> &str {
        match self {
            Marketplace::Aws => "AWS Marketplace",
            Marketplace::Azure => "Microsoft Azure Marketplace",
            Marketplace::GoogleCloud => "Google Cloud Marketplace",
            Marketplace::Other(name) => name,
        }
    }
}

/// How the deal reaches the customer. Wire: `"resale"`, `"referral"`, `"co_sell"`, or
/// `{"cloud_marketplace": <marketplace>}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Resale,
    Referral,
    CoSell,
    CloudMarketplace(Marketplace),
}

impl Route {
    pub fn kind(&self) -> RouteKind {
        match self {
            Route::Resale => RouteKind::Resale,
            Route::Referral => RouteKind::Referral,
            Route::CoSell => RouteKind::CoSell,
            Route::CloudMarketplace(_) => RouteKind::CloudMarketplace,
        }
    }

    /// The marketplace, for a cloud-marketplace route.
    pub fn marketplace(&self) -> Option<&Marketplace> {
        match self {
            Route::CloudMarketplace(m) => Some(m),
            _ => None,
        }
    }
}

/// Raw input for a new opportunity.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpportunityInput {
    /// The program; taken from the partner when one is given, required for a direct deal
    /// when the vendor runs more than one program.
    pub program_id: Option<String>,
    pub account_id: Option<String>,
    pub title: Option<String>,
    /// Annual recurring revenue in minor units (0 or more).
    pub amount_minor: Option<i64>,
    /// ISO 4217.
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    pub expected_close_on: Option<String>,
    /// An open stage key of the program's policy; default: the first stage.
    pub stage: Option<String>,
    /// direct, partner_sourced or partner_influenced.
    pub source: Option<String>,
    /// resale, referral, co_sell or cloud_marketplace; required unless the source is direct.
    pub route: Option<String>,
    /// With route cloud_marketplace: aws, azure, google_cloud or other.
    pub marketplace: Option<String>,
    /// With marketplace other: its name.
    pub marketplace_name: Option<String>,
    /// Required unless the source is direct (and refused when it is).
    pub partner_id: Option<String>,
    pub vendor_owner_id: Option<String>,
    pub partner_owner_id: Option<String>,
    pub next_step: Option<String>,
}

/// A new opportunity, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct OpportunityFields {
    pub program_id: Option<ProgramId>,
    pub account_id: AccountId,
    pub title: String,
    pub amount: Money,
    pub expected_close_on: NaiveDate,
    /// Always an open stage of the policy it was parsed against.
    pub stage: Stage,
    pub source: OpportunitySource,
    pub route: Option<Route>,
    pub partner_id: Option<PartnerId>,
    pub vendor_owner_id: Option<UserId>,
    pub partner_owner_id: Option<UserId>,
    pub next_step: Option<String>,
}

/// An opportunity as the API and the pages show it. The route is flat (`route`,
/// `marketplace`, `marketplace_name`) so a list can be filtered by each part.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Opportunity {
    pub id: OpportunityId,
    pub program_id: ProgramId,
    pub account_id: AccountId,
    pub account_name: String,
    /// The partner that brought the deal (absent for direct deals). Partners that only
    /// influenced it are on its touchpoints.
    pub partner_id: Option<PartnerId>,
    pub partner_name: Option<String>,
    /// The registration this opportunity came from, if any (linked both ways).
    pub registration_id: Option<RegistrationId>,
    pub title: String,
    /// Annual recurring revenue.
    pub amount: Money,
    pub expected_close_on: NaiveDate,
    /// An open stage key of the program's policy, or `won` / `lost`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub stage: Stage,
    /// Win probability set when the opportunity entered its stage (the stage's default in
    /// the policy of that moment), in basis points.
    pub probability_bp: u32,
    /// `amount × probability`, rounded half to even to a minor unit.
    pub weighted_minor: i64,
    pub stage_entered_at: DateTime<Utc>,
    pub source: OpportunitySource,
    pub route: Option<RouteKind>,
    pub marketplace: Option<MarketplaceKind>,
    pub marketplace_name: Option<String>,
    pub vendor_owner_id: Option<UserId>,
    pub partner_owner_id: Option<UserId>,
    pub next_step: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub closed_at: Option<DateTime<Utc>>,
    pub lost_reason: Option<String>,
    /// The rate in force on the close date, into the program's currency; kept so reports
    /// never drift with later rates.
    pub rate_at_close: Option<RateAtClose>,
    /// The amount in the program's currency at that rate.
    pub amount_at_close: Option<Money>,
    pub policy_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Opportunity {
    /// The route as one value, rebuilt from its flat parts.
    pub fn full_route(&self) -> Option<Route> {
        let kind = self.route?;
        Some(match kind {
            RouteKind::Resale => Route::Resale,
            RouteKind::Referral => Route::Referral,
            RouteKind::CoSell => Route::CoSell,
            RouteKind::CloudMarketplace => Route::CloudMarketplace(match self.marketplace? {
                MarketplaceKind::Aws => Marketplace::Aws,
                MarketplaceKind::Azure => Marketplace::Azure,
                MarketplaceKind::GoogleCloud => Marketplace::GoogleCloud,
                MarketplaceKind::Other => {
                    Marketplace::Other(self.marketplace_name.clone().unwrap_or_default())
                }
            }),
        })
    }

    /// The input that would create this opportunity as it is now; a change is laid over it
    /// ([`OpportunityPatch::overlay`]) and parsed by the same rules as a create.
    pub fn as_input(&self) -> OpportunityInput {
        let route = self.full_route();
        let marketplace = route.as_ref().and_then(Route::marketplace);
        OpportunityInput {
            program_id: Some(self.program_id.to_string()),
            account_id: Some(self.account_id.to_string()),
            title: Some(self.title.clone()),
            amount_minor: Some(self.amount.amount_minor),
            currency: Some(self.amount.currency.as_str().to_owned()),
            expected_close_on: Some(self.expected_close_on.to_string()),
            stage: match &self.stage {
                Stage::Open(k) => Some(k.clone()),
                _ => None,
            },
            source: Some(self.source.as_str().to_owned()),
            route: self.route.map(|r| r.as_str().to_owned()),
            marketplace: marketplace.map(|m| m.as_str().to_owned()),
            marketplace_name: marketplace.and_then(|m| m.other_name().map(str::to_owned)),
            partner_id: self.partner_id.as_ref().map(ToString::to_string),
            vendor_owner_id: self.vendor_owner_id.as_ref().map(ToString::to_string),
            partner_owner_id: self.partner_owner_id.as_ref().map(ToString::to_string),
            next_step: self.next_step.clone(),
        }
    }
}

/// A change to an open opportunity: only the fields given change; an empty string clears an
/// optional one. The stage moves with its own action, and the source and the partner are
/// fixed at creation (a partner that helped later is recorded with a touchpoint).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpportunityPatch {
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub title: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub amount_minor: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub expected_close_on: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub route: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub marketplace: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub marketplace_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub vendor_owner_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub partner_owner_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub next_step: Option<String>,
}

impl OpportunityPatch {
    /// `current` with the given fields replaced. Changing the route drops a marketplace that
    /// the new route does not take, unless the patch gives one.
    pub fn overlay(&self, mut current: OpportunityInput) -> OpportunityInput {
        fn set(slot: &mut Option<String>, new: &Option<String>) {
            if let Some(v) = new {
                *slot = Some(v.clone());
            }
        }
        set(&mut current.title, &self.title);
        if let Some(a) = self.amount_minor {
            current.amount_minor = Some(a);
        }
        set(&mut current.currency, &self.currency);
        set(&mut current.expected_close_on, &self.expected_close_on);
        if self.route.is_some() {
            current.marketplace = None;
            current.marketplace_name = None;
        }
        set(&mut current.route, &self.route);
        if self.marketplace.is_some() {
            current.marketplace_name = None;
        }
        set(&mut current.marketplace, &self.marketplace);
        set(&mut current.marketplace_name, &self.marketplace_name);
        set(&mut current.vendor_owner_id, &self.vendor_owner_id);
        set(&mut current.partner_owner_id, &self.partner_owner_id);
        set(&mut current.next_step, &self.next_step);
        current
    }
}

/// Moving to another open stage.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// An open stage key of the program's policy.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub stage: Option<String>,
}

/// Closing won or lost.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CloseOpportunityInput {
    /// `won` or `lost`.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub outcome: Option<String>,
    /// The day the deal was won or lost, `YYYY-MM-DD`, not after today.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub close_on: Option<String>,
    /// With `lost`: one of the program's lost reasons.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub lost_reason: Option<String>,
}

text_enum!(
    /// How an opportunity closes.
    CloseOutcome {
        Won = "won" / "Won",
        Lost = "lost" / "Lost",
    }
);

impl CloseOpportunityInput {
    /// The outcome and close date; the lost reason and the date's rules are the stage
    /// rules' (they answer with a decision).
    pub fn parse(&self) -> Result<(CloseOutcome, Option<NaiveDate>), Invalid> {
        let mut inv = Invalid::new();
        let outcome = match present(self.outcome.as_deref()) {
            Some(raw) => inv.check(CloseOutcome::parse("outcome", raw)),
            None => inv.check(Err(required("outcome"))),
        };
        let close_on = match present(self.close_on.as_deref()) {
            Some(raw) => inv.check(parse_date("close_on", raw)).map(Some),
            None => Some(None),
        };
        inv.finish(|| Some((outcome?, close_on?)))
    }
}

/// Reopening a closed opportunity.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReopenInput {
    /// The open stage it goes back to.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub stage: Option<String>,
    /// Why; kept in the audit trail.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub reason: Option<String>,
}

/// One entry of an opportunity's stage history, as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageHistoryEntry {
    pub id: StageChangeId,
    /// Absent for the entry that created the opportunity.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub from_stage: Option<Stage>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub to_stage: Stage,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    /// The decision's sentence (`moved forward from …`).
    pub reason: String,
}

fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

fn required(field: &str) -> FieldError {
    FieldError::new(field, "required", format!("{field} is required"))
}

fn optional_id<T: crate::kernel::ids::EntityId>(
    inv: &mut Invalid,
    field: &str,
    raw: Option<&str>,
) -> Option<Option<T>> {
    match present(raw) {
        Some(raw) => inv.check(parse_id::<T>(field, raw)).map(Some),
        None => Some(None),
    }
}

impl OpportunityFields {
    /// Parses input against the program's pipeline policy (for the stage).
    pub fn parse(input: &OpportunityInput, policy: &PipelinePolicy) -> Result<Self, Invalid> {
        let mut inv = Invalid::new();
        let program_id =
            optional_id::<ProgramId>(&mut inv, "program_id", input.program_id.as_deref());
        let account_id = match present(input.account_id.as_deref()) {
            Some(raw) => inv.check(parse_id::<AccountId>("account_id", raw)),
            None => inv.check(Err(required("account_id"))),
        };
        let title = inv.check(text::required(
            "title",
            input.title.as_deref(),
            MAX_TITLE_CHARS,
        ));
        let amount_minor = match input.amount_minor {
            Some(v) if v >= 0 => Some(v),
            Some(v) => inv.check(Err(FieldError::new(
                "amount_minor",
                "non_negative",
                format!("amount_minor must be 0 or more (got {v})"),
            ))),
            None => inv.check(Err(required("amount_minor"))),
        };
        let currency = match present(input.currency.as_deref()) {
            Some(raw) => inv.check(Currency::parse("currency", raw)),
            None => inv.check(Err(required("currency"))),
        };
        let expected_close_on = match present(input.expected_close_on.as_deref()) {
            Some(raw) => inv.check(parse_date("expected_close_on", raw)),
            None => inv.check(Err(required("expected_close_on"))),
        };
        let stage = inv.check(parse_open_stage(input.stage.as_deref(), policy));
        let source = match present(input.source.as_deref()) {
            Some(raw) => inv.check(OpportunitySource::parse("source", raw)),
            None => inv.check(Err(required("source"))),
        };
        let route = parse_route(input, source, &mut inv);
        let partner_id =
            optional_id::<PartnerId>(&mut inv, "partner_id", input.partner_id.as_deref());
        match (source, &partner_id) {
            (Some(OpportunitySource::Direct), Some(Some(_))) => inv.add(
                "partner_id",
                "not_with_direct",
                "partner_id must be empty when source is direct; a partner that helped is \
                 partner_influenced",
            ),
            (Some(s), Some(None)) if s != OpportunitySource::Direct => inv.add(
                "partner_id",
                "required",
                format!("partner_id is required when source is {s}"),
            ),
            _ => {}
        }
        let vendor_owner_id = optional_id::<UserId>(
            &mut inv,
            "vendor_owner_id",
            input.vendor_owner_id.as_deref(),
        );
        let partner_owner_id = optional_id::<UserId>(
            &mut inv,
            "partner_owner_id",
            input.partner_owner_id.as_deref(),
        );
        let next_step = inv.check(text::optional(
            "next_step",
            input.next_step.as_deref(),
            MAX_NEXT_STEP_CHARS,
        ));
        inv.finish(|| {
            Some(OpportunityFields {
                program_id: program_id?,
                account_id: account_id?,
                title: title?,
                amount: Money::new(amount_minor?, currency?),
                expected_close_on: expected_close_on?,
                stage: stage?,
                source: source?,
                route: route?,
                partner_id: partner_id?,
                vendor_owner_id: vendor_owner_id?,
                partner_owner_id: partner_owner_id?,
                next_step: next_step?,
            })
        })
    }
}

/// An open stage of the policy (default: the first); `won`/`lost` are refused, since a new
/// opportunity cannot start closed.
pub fn parse_open_stage(raw: Option<&str>, policy: &PipelinePolicy) -> Result<Stage, FieldError> {
    let allowed = || {
        policy
            .stages
            .iter()
            .map(|s| s.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match present(raw) {
        None => policy
            .first_stage()
            .map(|s| Stage::Open(s.key.clone()))
            .ok_or_else(|| required("stage")),
        Some(raw) => match policy.stage(raw) {
            Some(s) => Ok(Stage::Open(s.key.clone())),
            None => Err(FieldError::new(
                "stage",
                "open_stage",
                format!("stage must be an open stage of the program: {}", allowed()),
            )),
        },
    }
}

/// The route with its marketplace: `None` inside means no route (allowed for direct deals);
/// an outer `None` means an error was recorded.
fn parse_route(
    input: &OpportunityInput,
    source: Option<OpportunitySource>,
    inv: &mut Invalid,
) -> Option<Option<Route>> {
    let kind = match present(input.route.as_deref()) {
        Some(raw) => Some(inv.check(RouteKind::parse("route", raw))?),
        None => None,
    };
    let marketplace_raw = present(input.marketplace.as_deref());
    let name_raw = present(input.marketplace_name.as_deref());
    // A route other than a cloud marketplace takes no marketplace.
    let mut plain = |route: Route| {
        if marketplace_raw.is_some() || name_raw.is_some() {
            inv.add(
                "marketplace",
                "only_with_cloud_marketplace",
                format!(
                    "marketplace is only given with route cloud_marketplace (route is {})",
                    route.kind()
                ),
            );
            return None;
        }
        Some(Some(route))
    };
    match kind {
        None => {
            if let Some(s) = source.filter(|s| *s != OpportunitySource::Direct) {
                inv.add(
                    "route",
                    "required",
                    format!("route is required when source is {s}: resale, referral, co_sell or cloud_marketplace"),
                );
                return None;
            }
            if marketplace_raw.is_some() {
                inv.add(
                    "marketplace",
                    "only_with_cloud_marketplace",
                    "marketplace is only given with route cloud_marketplace",
                );
                return None;
            }
            Some(None)
        }
        Some(RouteKind::CloudMarketplace) => {
            let marketplace = match marketplace_raw {
                Some("aws") => Marketplace::Aws,
                Some("azure") => Marketplace::Azure,
                Some("google_cloud") => Marketplace::GoogleCloud,
                Some("other") => {
                    let name = inv.check(text::required(
                        "marketplace_name",
                        name_raw,
                        MAX_MARKETPLACE_NAME_CHARS,
                    ))?;
                    return Some(Some(Route::CloudMarketplace(Marketplace::Other(name))));
                }
                Some(_) => {
                    inv.add(
                        "marketplace",
                        "one_of",
                        "marketplace must be one of: aws, azure, google_cloud, other",
                    );
                    return None;
                }
                None => {
                    inv.add(
                        "marketplace",
                        "required",
                        "marketplace is required with route cloud_marketplace: aws, azure, \
                         google_cloud or other",
                    );
                    return None;
                }
            };
            if name_raw.is_some() {
                inv.add(
                    "marketplace_name",
                    "only_with_other",
                    "marketplace_name is only given with marketplace other",
                );
                return None;
            }
            Some(Some(Route::CloudMarketplace(marketplace)))
        }
        Some(RouteKind::Resale) => plain(Route::Resale),
        Some(RouteKind::Referral) => plain(Route::Referral),
        Some(RouteKind::CoSell) => plain(Route::CoSell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OpportunityInput {
        OpportunityInput {
            account_id: Some(format!("acc_{}", "a".repeat(32))),
            title: Some(" Platform rollout ".into()),
            amount_minor: Some(12_000_000),
            currency: Some("usd".into()),
            expected_close_on: Some("2026-06-30".into()),
            stage: None,
            source: Some("partner_sourced".into()),
            route: Some("resale".into()),
            partner_id: Some(format!("ptr_{}", "b".repeat(32))),
            ..OpportunityInput::default()
        }
    }

    fn parse(i: &OpportunityInput) -> Result<OpportunityFields, Invalid> {
        OpportunityFields::parse(i, &PipelinePolicy::default())
    }

    fn errors(i: &OpportunityInput) -> Vec<(String, String)> {
        parse(i)
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| (e.field, e.rule))
            .collect()
    }

    fn pair(field: &str, rule: &str) -> (String, String) {
        (field.to_owned(), rule.to_owned())
    }

    #[test]
    fn a_partner_sourced_resale_parses_and_starts_at_the_first_stage() {
        let f = parse(&input()).unwrap();
        assert_eq!(f.title, "Platform rollout");
        assert_eq!(f.amount, Money::new(12_000_000, Currency::USD));
        assert_eq!(f.stage, Stage::Open("target_account".into()));
        assert_eq!(f.source, OpportunitySource::PartnerSourced);
        assert_eq!(f.route, Some(Route::Resale));
        assert_eq!(f.next_step, None);
    }

    #[test]
    fn every_missing_field_is_named() {
        let i = OpportunityInput {
            stage: Some("won".into()),
            ..OpportunityInput::default()
        };
        assert_eq!(
            errors(&i),
            [
                pair("account_id", "required"),
                pair("title", "required"),
                pair("amount_minor", "required"),
                pair("currency", "required"),
                pair("expected_close_on", "required"),
                pair("stage", "open_stage"),
                pair("source", "required"),
            ]
        );
    }

    #[test]
    fn amount_may_be_zero_but_not_negative() {
        let mut i = input();
        i.amount_minor = Some(0);
        assert!(parse(&i).is_ok());
        i.amount_minor = Some(-1);
        assert_eq!(errors(&i), [pair("amount_minor", "non_negative")]);
    }

    #[test]
    fn the_stage_must_be_an_open_stage_of_the_policy() {
        let mut i = input();
        i.stage = Some("handoff".into());
        assert_eq!(parse(&i).unwrap().stage, Stage::Open("handoff".into()));
        i.stage = Some("lost".into());
        let e = parse(&i).unwrap_err();
        assert_eq!(e.errors[0].rule, "open_stage");
        assert!(
            e.errors[0]
                .message
                .contains("target_account, first_conversation"),
            "{e:?}"
        );
    }

    #[test]
    fn a_partner_is_required_unless_direct_and_refused_when_direct() {
        let mut i = input();
        i.partner_id = None;
        assert_eq!(errors(&i), [pair("partner_id", "required")]);
        i.source = Some("partner_influenced".into());
        assert_eq!(errors(&i), [pair("partner_id", "required")]);
        let mut i = input();
        i.source = Some("direct".into());
        assert_eq!(errors(&i), [pair("partner_id", "not_with_direct")]);
        i.partner_id = None;
        i.route = None;
        let f = parse(&i).unwrap();
        assert_eq!((f.source, f.route), (OpportunitySource::Direct, None));
    }

    #[test]
    fn routes_and_marketplaces() {
        let mut i = input();
        i.route = None;
        assert_eq!(errors(&i), [pair("route", "required")]);
        i.route = Some("cloud_marketplace".into());
        assert_eq!(errors(&i), [pair("marketplace", "required")]);
        i.marketplace = Some("google_cloud".into());
        assert_eq!(
            parse(&i).unwrap().route,
            Some(Route::CloudMarketplace(Marketplace::GoogleCloud))
        );
        i.marketplace = Some("other".into());
        assert_eq!(errors(&i), [pair("marketplace_name", "required")]);
        i.marketplace_name = Some("Oracle Cloud Marketplace".into());
        let route = parse(&i).unwrap().route.unwrap();
        assert_eq!(route.kind(), RouteKind::CloudMarketplace);
        assert_eq!(
            serde_json::to_value(&route).unwrap(),
            serde_json::json!({"cloud_marketplace": {"other": "Oracle Cloud Marketplace"}})
        );
        i.marketplace = Some("ibm".into());
        assert_eq!(errors(&i), [pair("marketplace", "one_of")]);
        i.marketplace = Some("aws".into());
        assert_eq!(errors(&i), [pair("marketplace_name", "only_with_other")]);
        let mut i = input();
        i.route = Some("co_sell".into());
        i.marketplace = Some("aws".into());
        assert_eq!(
            errors(&i),
            [pair("marketplace", "only_with_cloud_marketplace")]
        );
        i.route = Some("distribution".into());
        assert_eq!(errors(&i), [pair("route", "one_of")]);
        assert_eq!(
            serde_json::to_value(Route::CoSell).unwrap(),
            serde_json::json!("co_sell")
        );
    }

    #[test]
    fn next_step_is_bounded_and_ids_are_checked() {
        let mut i = input();
        i.next_step = Some("x".repeat(MAX_NEXT_STEP_CHARS + 1));
        i.vendor_owner_id = Some(format!("ptr_{}", "b".repeat(32)));
        i.expected_close_on = Some("2026-02-30".into());
        assert_eq!(
            errors(&i),
            [
                pair("expected_close_on", "date"),
                pair("vendor_owner_id", "id"),
                pair("next_step", "max_length"),
            ]
        );
    }

    #[test]
    fn a_patch_changes_only_what_it_gives_and_drops_a_stale_marketplace() {
        let mut current = input();
        current.route = Some("cloud_marketplace".into());
        current.marketplace = Some("other".into());
        current.marketplace_name = Some("Oracle".into());
        current.next_step = Some("call".into());
        let patch = OpportunityPatch {
            route: Some("co_sell".into()),
            amount_minor: Some(5),
            ..OpportunityPatch::default()
        };
        let f = parse(&patch.overlay(current.clone())).unwrap();
        assert_eq!(f.route, Some(Route::CoSell));
        assert_eq!(f.amount.amount_minor, 5);
        assert_eq!(f.next_step.as_deref(), Some("call"));
        let patch = OpportunityPatch {
            marketplace: Some("aws".into()),
            ..OpportunityPatch::default()
        };
        let f = parse(&patch.overlay(current.clone())).unwrap();
        assert_eq!(f.route, Some(Route::CloudMarketplace(Marketplace::Aws)));
        let clear = OpportunityPatch {
            next_step: Some(String::new()),
            ..OpportunityPatch::default()
        };
        assert_eq!(parse(&clear.overlay(current)).unwrap().next_step, None);
    }

    #[test]
    fn close_input_names_outcome_and_date() {
        let ok = CloseOpportunityInput {
            outcome: Some("won".into()),
            close_on: Some("2026-02-28".into()),
            lost_reason: None,
        }
        .parse()
        .unwrap();
        assert_eq!(ok.0, CloseOutcome::Won);
        assert_eq!(ok.1, NaiveDate::from_ymd_opt(2026, 2, 28));
        let e = CloseOpportunityInput {
            outcome: Some("tie".into()),
            close_on: Some("2026-02-29".into()),
            lost_reason: None,
        }
        .parse()
        .unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(got, [("outcome", "one_of"), ("close_on", "date")]);
        // No date is the stage rule's refusal (it answers with a decision), not a parse error.
        let none = CloseOpportunityInput {
            outcome: Some("lost".into()),
            ..CloseOpportunityInput::default()
        }
        .parse()
        .unwrap();
        assert_eq!(none, (CloseOutcome::Lost, None));
    }
}
