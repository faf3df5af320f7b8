//! Programs and their tier ladders. A vendor can run several programs (reseller,
//! referral, technology, ...); each says why it exists before any partner is recruited:
//! the coverage gaps partners fill, what partners get, and the sourced and influenced ARR
//! that justify the investment (seed 001, step 1). [`tier`] holds each program's ordered
//! ladder and its benefits.
//!
//! The records and their parsing live here; the rules that move partners between tiers
//! live in [`crate::lifecycle::tiering`] and the program's settings in [`crate::policy`].
//! No I/O, no async, no clock: timestamps come in from the caller.

pub mod tier;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::ids::ProgramId;
use crate::kernel::invalid::text;
use crate::kernel::money::{Currency, Money};
use crate::{FieldError, Invalid, text_enum};

text_enum!(
    /// The partner motion a program runs.
    ProgramKind {
        Reseller = "reseller" / "Reseller",
        Referral = "referral" / "Referral",
        Technology = "technology" / "Technology",
        Services = "services" / "Services",
        Marketplace = "marketplace" / "Cloud marketplace",
    }
);

/// Why the channel exists and what it must return.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelThesis {
    /// Geographies, verticals, deal sizes or use cases partners cover better than direct sales.
    pub coverage_gaps: Vec<String>,
    /// What partners earn: margin, referral fee, co-sell split.
    pub economic_model: Option<String>,
    /// Non-economic value for partners: leads, enablement, co-marketing, executive access.
    pub partner_value: Vec<String>,
    pub sourced_arr_target: Money,
    pub influenced_arr_target: Money,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Program {
    pub id: ProgramId,
    pub name: String,
    pub kind: ProgramKind,
    pub description: Option<String>,
    pub currency: Currency,
    pub thesis: ChannelThesis,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// Raw program input. For a create, absent fields take their defaults; for a change
/// (PATCH) it is laid over the current record with [`ProgramInput::overlay`], and the result
/// is parsed by the same rules, so create and update can never validate differently.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProgramInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub kind: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub description: Option<String>,
    /// ISO 4217 code the program's targets are in; default USD.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub thesis: Option<ThesisInput>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ThesisInput {
    pub coverage_gaps: Option<Vec<String>>,
    pub economic_model: Option<String>,
    pub partner_value: Option<Vec<String>>,
    /// In minor units of the program currency.
    pub sourced_arr_target_minor: Option<i64>,
    /// In minor units of the program currency.
    pub influenced_arr_target_minor: Option<i64>,
}

/// A validated program, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramFields {
    pub name: String,
    pub kind: ProgramKind,
    pub description: Option<String>,
    pub currency: Currency,
    pub thesis: ChannelThesis,
}

impl ProgramInput {
    pub fn overlay(self, patch: ProgramInput) -> ProgramInput {
        let thesis = match (self.thesis, patch.thesis) {
            (Some(base), Some(p)) => Some(ThesisInput {
                coverage_gaps: p.coverage_gaps.or(base.coverage_gaps),
                economic_model: p.economic_model.or(base.economic_model),
                partner_value: p.partner_value.or(base.partner_value),
                sourced_arr_target_minor: p
                    .sourced_arr_target_minor
                    .or(base.sourced_arr_target_minor),
                influenced_arr_target_minor: p
                    .influenced_arr_target_minor
                    .or(base.influenced_arr_target_minor),
            }),
            (base, p) => p.or(base),
        };
        ProgramInput {
            name: patch.name.or(self.name),
            kind: patch.kind.or(self.kind),
            description: patch.description.or(self.description),
            currency: patch.currency.or(self.currency),
            thesis,
        }
    }
}

impl ProgramFields {
    pub fn parse(input: &ProgramInput) -> Result<Self, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", input.name.as_deref(), 120));
        let kind = match input.kind.as_deref() {
            Some(raw) => inv.check(ProgramKind::parse("kind", raw)),
            None => inv.check(Err(FieldError::new("kind", "required", "kind is required"))),
        };
        let description = inv.check(text::optional(
            "description",
            input.description.as_deref(),
            2000,
        ));
        let currency = inv.check(Currency::parse(
            "currency",
            input.currency.as_deref().unwrap_or("USD"),
        ));
        let t = input.thesis.clone().unwrap_or_default();
        let coverage_gaps = inv.check(text::labels(
            "thesis.coverage_gaps",
            t.coverage_gaps.as_deref().unwrap_or_default(),
            20,
            200,
        ));
        let economic_model = inv.check(text::optional(
            "thesis.economic_model",
            t.economic_model.as_deref(),
            2000,
        ));
        let partner_value = inv.check(text::labels(
            "thesis.partner_value",
            t.partner_value.as_deref().unwrap_or_default(),
            20,
            200,
        ));
        let target = |inv: &mut Invalid, field: &str, v: Option<i64>| {
            let v = v.unwrap_or(0);
            if v < 0 {
                inv.add(
                    field,
                    "non_negative",
                    format!("{field} must not be negative"),
                );
            }
            v
        };
        let sourced = target(
            &mut inv,
            "thesis.sourced_arr_target_minor",
            t.sourced_arr_target_minor,
        );
        let influenced = target(
            &mut inv,
            "thesis.influenced_arr_target_minor",
            t.influenced_arr_target_minor,
        );
        inv.finish(|| {
            let currency = currency?;
            Some(ProgramFields {
                name: name?,
                kind: kind?,
                description: description?,
                currency,
                thesis: ChannelThesis {
                    coverage_gaps: coverage_gaps?,
                    economic_model: economic_model?,
                    partner_value: partner_value?,
                    sourced_arr_target: Money::new(sourced, currency),
                    influenced_arr_target: Money::new(influenced, currency),
                },
            })
        })
    }
}

impl Program {
    /// The record as input, for laying a change over it.
    pub fn to_input(&self) -> ProgramInput {
        ProgramInput {
            name: Some(self.name.clone()),
            kind: Some(self.kind.as_str().to_owned()),
            description: self.description.clone(),
            currency: Some(self.currency.as_str().to_owned()),
            thesis: Some(ThesisInput {
                coverage_gaps: Some(self.thesis.coverage_gaps.clone()),
                economic_model: self.thesis.economic_model.clone(),
                partner_value: Some(self.thesis.partner_value.clone()),
                sourced_arr_target_minor: Some(self.thesis.sourced_arr_target.amount_minor),
                influenced_arr_target_minor: Some(self.thesis.influenced_arr_target.amount_minor),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_required_fields() {
        let p = ProgramFields::parse(&ProgramInput {
            name: Some("Resell".into()),
            kind: Some("reseller".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.currency.as_str(), "USD");
        assert_eq!(p.thesis.sourced_arr_target.amount_minor, 0);
        let err = ProgramFields::parse(&ProgramInput::default()).unwrap_err();
        let rules: Vec<(&str, &str)> = err
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(rules, vec![("name", "required"), ("kind", "required")]);
    }

    #[test]
    fn negative_targets_name_the_nested_field() {
        let input = ProgramInput {
            name: Some("R".into()),
            kind: Some("referral".into()),
            thesis: Some(ThesisInput {
                influenced_arr_target_minor: Some(-5),
                ..Default::default()
            }),
            ..Default::default()
        };
        let err = ProgramFields::parse(&input).unwrap_err();
        assert_eq!(err.errors[0].field, "thesis.influenced_arr_target_minor");
    }

    #[test]
    fn overlay_changes_only_what_the_patch_names() {
        let base = ProgramInput {
            name: Some("A".into()),
            kind: Some("reseller".into()),
            thesis: Some(ThesisInput {
                coverage_gaps: Some(vec!["DACH".into()]),
                sourced_arr_target_minor: Some(10),
                ..Default::default()
            }),
            ..Default::default()
        };
        let merged = base.overlay(ProgramInput {
            thesis: Some(ThesisInput {
                sourced_arr_target_minor: Some(20),
                ..Default::default()
            }),
            ..Default::default()
        });
        let p = ProgramFields::parse(&merged).unwrap();
        assert_eq!(p.name, "A");
        assert_eq!(p.thesis.coverage_gaps, vec!["DACH"]);
        assert_eq!(p.thesis.sourced_arr_target.amount_minor, 20);
    }
}
