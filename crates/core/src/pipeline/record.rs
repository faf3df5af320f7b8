//! Opportunities as input arrives: the source and route vocabularies and the parsing of a new
//! opportunity, with every problem naming its field and rule. Stored records and their views
//! come with the store slice; nothing here reads data.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Stage;
use super::policy::PipelinePolicy;
use crate::kernel::ids::{AccountId, PartnerId, UserId, parse_id};
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
}
