//! The pipeline part of a program's policy: the open stages of the seed's repeatable path
//! (target account → first conversation → commercial offer → handoff), each with its default
//! win probability, and the reasons a lost deal may give. Nothing here reads data; the rules
//! in [`super::rules`] and [`super::forecast`] read these settings.
//!
//! The closing stages are implicit: `won` (probability 10000 bp) and `lost` (0 bp) close every
//! pipeline and cannot be listed, renamed or given another probability, so reports can rely
//! on them. Open-stage probabilities must not decrease along the order: a later stage is
//! closer to a signature, and a forecast that drops when a deal advances would mislead.

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// Probability of a won deal, in basis points (100%).
pub const WON_PROBABILITY_BP: u32 = 10_000;
/// Probability of a lost deal, in basis points.
pub const LOST_PROBABILITY_BP: u32 = 0;
/// The reserved key of the won closing stage.
pub const WON: &str = "won";
/// The reserved key of the lost closing stage.
pub const LOST: &str = "lost";
/// Most open stages a pipeline may have.
pub const MAX_STAGES: usize = 20;
/// Longest stage label, in characters.
pub const MAX_STAGE_LABEL_CHARS: usize = 60;
/// Most lost reasons a program may list.
pub const MAX_LOST_REASONS: usize = 30;
/// Longest lost reason, in characters.
pub const MAX_LOST_REASON_CHARS: usize = 100;

/// Stages and lost reasons. An absent `[pipeline]` section is the seed's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PipelinePolicy {
    /// The open stages, first stage first; `won` and `lost` follow implicitly.
    pub stages: Vec<StageRule>,
    /// What a lost deal may give as its reason (one of these, exactly).
    pub lost_reasons: Vec<String>,
}

/// One open stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StageRule {
    /// Stable snake_case key, stored on opportunities and in their history.
    pub key: String,
    pub label: String,
    /// Default win probability in basis points (0..=10000), used by the forecast.
    pub probability_bp: u32,
}

fn stage(key: &str, label: &str, probability_bp: u32) -> StageRule {
    StageRule {
        key: key.into(),
        label: label.into(),
        probability_bp,
    }
}

impl Default for PipelinePolicy {
    fn default() -> Self {
        PipelinePolicy {
            stages: vec![
                stage("target_account", "Target account", 500),
                stage("first_conversation", "First conversation", 1500),
                stage("commercial_offer", "Commercial offer", 4000),
                stage("handoff", "Handoff", 7000),
            ],
            lost_reasons: [
                "no budget",
                "lost to competitor",
                "no decision",
                "timing",
                "other",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl PipelinePolicy {
    /// The open stage with this key.
    pub fn stage(&self, key: &str) -> Option<&StageRule> {
        self.stages.iter().find(|s| s.key == key)
    }

    /// Position of an open stage on the path (0 = first).
    pub fn position(&self, key: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.key == key)
    }

    /// The first open stage, where new opportunities start by default.
    pub fn first_stage(&self) -> Option<&StageRule> {
        self.stages.first()
    }

    /// The listed lost reason matching `raw` (trimmed, ignoring case), in its listed spelling.
    pub fn lost_reason(&self, raw: &str) -> Option<&str> {
        let raw = raw.trim();
        self.lost_reasons
            .iter()
            .find(|r| r.trim().eq_ignore_ascii_case(raw))
            .map(String::as_str)
    }

    /// Every rule the section breaks, keys prefixed with `pipeline.`.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut inv = Invalid::new();
        self.validate_stages(&mut inv);
        self.validate_lost_reasons(&mut inv);
        inv.finish(|| Some(()))
    }

    fn validate_stages(&self, inv: &mut Invalid) {
        if self.stages.is_empty() {
            inv.add(
                "pipeline.stages",
                "required",
                "pipeline.stages must list at least one open stage; won and lost are implicit",
            );
            return;
        }
        if self.stages.len() > MAX_STAGES {
            inv.add(
                "pipeline.stages",
                "max_items",
                format!(
                    "pipeline.stages may list at most {MAX_STAGES} open stages (got {})",
                    self.stages.len()
                ),
            );
        }
        for (i, s) in self.stages.iter().enumerate() {
            let key = format!("pipeline.stages[{i}]");
            stage_key(&self.stages, i, s, &key, inv);
            let label = s.label.trim();
            if label.is_empty() {
                inv.add(
                    &format!("{key}.label"),
                    "required",
                    format!(
                        "{key}.label is required; name the stage in 1 to \
                         {MAX_STAGE_LABEL_CHARS} characters"
                    ),
                );
            } else if label.chars().count() > MAX_STAGE_LABEL_CHARS {
                inv.add(
                    &format!("{key}.label"),
                    "max_length",
                    format!(
                        "{key}.label must be at most {MAX_STAGE_LABEL_CHARS} characters (got {})",
                        label.chars().count()
                    ),
                );
            }
            if s.probability_bp > WON_PROBABILITY_BP {
                inv.add(
                    &format!("{key}.probability_bp"),
                    "range",
                    format!(
                        "{key}.probability_bp must be between 0 and 10000 basis points \
                         (0–100%) (got {})",
                        s.probability_bp
                    ),
                );
            } else if let Some(prev) = i.checked_sub(1).map(|p| &self.stages[p])
                // An out-of-range neighbour has its own error; comparing with it would repeat it.
                && prev.probability_bp <= WON_PROBABILITY_BP
                && s.probability_bp < prev.probability_bp
            {
                inv.add(
                    &format!("{key}.probability_bp"),
                    "non_decreasing",
                    format!(
                        "{key}.probability_bp ({}) is below pipeline.stages[{}].probability_bp \
                         ({}); a later stage must be at least as likely to close won",
                        s.probability_bp,
                        i - 1,
                        prev.probability_bp
                    ),
                );
            }
        }
    }

    fn validate_lost_reasons(&self, inv: &mut Invalid) {
        if self.lost_reasons.is_empty() {
            inv.add(
                "pipeline.lost_reasons",
                "required",
                "pipeline.lost_reasons must list at least one reason (e.g. \"other\")",
            );
            return;
        }
        if self.lost_reasons.len() > MAX_LOST_REASONS {
            inv.add(
                "pipeline.lost_reasons",
                "max_items",
                format!(
                    "pipeline.lost_reasons may list at most {MAX_LOST_REASONS} reasons (got {})",
                    self.lost_reasons.len()
                ),
            );
        }
        for (i, r) in self.lost_reasons.iter().enumerate() {
            let key = format!("pipeline.lost_reasons[{i}]");
            let r = r.trim();
            if r.is_empty() {
                inv.add(&key, "required", format!("{key} must not be blank"));
            } else if r.chars().count() > MAX_LOST_REASON_CHARS {
                inv.add(
                    &key,
                    "max_length",
                    format!(
                        "{key} must be at most {MAX_LOST_REASON_CHARS} characters (got {})",
                        r.chars().count()
                    ),
                );
            } else if let Some(o) = self.lost_reasons[..i]
                .iter()
                .position(|o| o.trim().eq_ignore_ascii_case(r))
            {
                inv.add(
                    &key,
                    "unique",
                    format!(
                        "{key} \"{r}\" repeats pipeline.lost_reasons[{o}] (ignoring case); list \
                         each reason once"
                    ),
                );
            }
        }
    }

    /// Advice that does not block publishing.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.lost_reasons.is_empty() && self.lost_reason("other").is_none() {
            out.push(
                "pipeline.lost_reasons has no \"other\": a deal lost for an unlisted reason \
                 must then pick one that is not true"
                    .to_owned(),
            );
        }
        out
    }
}

/// A stage key: snake_case, not a closing stage, unique.
fn stage_key(stages: &[StageRule], i: usize, s: &StageRule, key: &str, inv: &mut Invalid) {
    let field = format!("{key}.key");
    if s.key.is_empty() {
        inv.add(
            &field,
            "required",
            format!("{field} is required; use snake_case (e.g. \"commercial_offer\")"),
        );
    } else if !s
        .key
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        inv.add(
            &field,
            "snake_case",
            format!(
                "{field} must be snake_case: lowercase letters a-z, digits 0-9 and _ only \
                 (got \"{}\")",
                s.key
            ),
        );
    } else if s.key == WON || s.key == LOST {
        inv.add(
            &field,
            "reserved",
            format!(
                "{field} \"{}\" is a closing stage; won and lost close every pipeline \
                 implicitly, list only the open stages",
                s.key
            ),
        );
    } else if let Some(o) = stages[..i].iter().position(|o| o.key == s.key) {
        inv.add(
            &field,
            "unique",
            format!(
                "{field} \"{}\" repeats pipeline.stages[{o}].key; each stage needs its own key",
                s.key
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ProgramPolicy;

    fn errors(p: &PipelinePolicy) -> Vec<(String, String)> {
        match p.validate() {
            Ok(()) => Vec::new(),
            Err(e) => e.errors.into_iter().map(|e| (e.field, e.rule)).collect(),
        }
    }

    fn pair(field: &str, rule: &str) -> (String, String) {
        (field.to_owned(), rule.to_owned())
    }

    #[test]
    fn seed_stages_are_the_repeatable_path_in_order() {
        let p = PipelinePolicy::default();
        let stages: Vec<(&str, u32)> = p
            .stages
            .iter()
            .map(|s| (s.key.as_str(), s.probability_bp))
            .collect();
        assert_eq!(
            stages,
            [
                ("target_account", 500),
                ("first_conversation", 1500),
                ("commercial_offer", 4000),
                ("handoff", 7000)
            ]
        );
        assert_eq!(p.validate(), Ok(()));
        assert!(p.warnings().is_empty());
        assert_eq!(p.lost_reason(" No Budget "), Some("no budget"));
        assert_eq!(p.lost_reason("bad luck"), None);
    }

    #[test]
    fn documents_without_the_section_get_the_seed_pipeline() {
        let text = "[[tiers]]\nname = \"Registered\"\n\n[fit]\nproductive_tier_rank = 1\n";
        let p = ProgramPolicy::from_toml(text).unwrap();
        assert_eq!(p.pipeline, PipelinePolicy::default());
        // An empty section is the seed's too (every key defaults).
        let p = ProgramPolicy::from_toml(&format!("{text}\n[pipeline]\n")).unwrap();
        assert_eq!(p.pipeline, PipelinePolicy::default());
    }

    #[test]
    fn the_section_round_trips_and_unknown_keys_are_refused() {
        let mut p = ProgramPolicy::seed_default();
        p.pipeline.stages.insert(
            2,
            StageRule {
                key: "proof_of_value".into(),
                label: "Proof of value".into(),
                probability_bp: 2500,
            },
        );
        let text = p.to_toml();
        assert!(text.contains("[pipeline]"), "{text}");
        assert_eq!(ProgramPolicy::from_toml(&text).unwrap(), p);
        let bad = text.replacen("probability_bp = 500", "probability = 500", 1);
        let e = ProgramPolicy::from_toml(&bad).unwrap_err();
        assert_eq!(e.errors[0].rule, "toml");
        assert!(e.errors[0].message.contains("probability"), "{e:?}");
    }

    #[test]
    fn at_least_one_open_stage_and_one_lost_reason() {
        let p = PipelinePolicy {
            stages: Vec::new(),
            lost_reasons: Vec::new(),
        };
        assert_eq!(
            errors(&p),
            [
                pair("pipeline.stages", "required"),
                pair("pipeline.lost_reasons", "required")
            ]
        );
    }

    #[test]
    fn stage_keys_are_snake_case_unique_and_not_closing_stages() {
        let mut p = PipelinePolicy::default();
        p.stages[0].key = "Target Account".into();
        p.stages[1].key = "won".into();
        p.stages[2].key = "handoff".into();
        p.stages[3].label = " ".into();
        assert_eq!(
            errors(&p),
            [
                pair("pipeline.stages[0].key", "snake_case"),
                pair("pipeline.stages[1].key", "reserved"),
                pair("pipeline.stages[3].key", "unique"),
                pair("pipeline.stages[3].label", "required"),
            ]
        );
    }

    #[test]
    fn probability_bounds_are_inclusive() {
        let mut p = PipelinePolicy::default();
        p.stages[0].probability_bp = 0;
        p.stages[3].probability_bp = 10_000;
        assert_eq!(errors(&p), []);
        p.stages[3].probability_bp = 10_001;
        let e = p.validate().unwrap_err();
        assert_eq!(
            (e.errors[0].field.as_str(), e.errors[0].rule.as_str()),
            ("pipeline.stages[3].probability_bp", "range")
        );
        assert!(e.errors[0].message.contains("10001"), "{e:?}");
    }

    #[test]
    fn probabilities_must_not_decrease_along_the_path() {
        let mut p = PipelinePolicy::default();
        // Equal neighbours are allowed.
        p.stages[2].probability_bp = 1500;
        assert_eq!(errors(&p), []);
        p.stages[2].probability_bp = 1499;
        let e = p.validate().unwrap_err();
        assert_eq!(
            (e.errors[0].field.as_str(), e.errors[0].rule.as_str()),
            ("pipeline.stages[2].probability_bp", "non_decreasing")
        );
        assert!(
            e.errors[0]
                .message
                .contains("pipeline.stages[1].probability_bp (1500)"),
            "{}",
            e.errors[0].message
        );
    }

    #[test]
    fn lost_reasons_are_unique_ignoring_case_and_bounded() {
        let mut p = PipelinePolicy::default();
        p.lost_reasons.push("No Budget".into());
        p.lost_reasons.push("".into());
        p.lost_reasons.push("x".repeat(MAX_LOST_REASON_CHARS + 1));
        assert_eq!(
            errors(&p),
            [
                pair("pipeline.lost_reasons[5]", "unique"),
                pair("pipeline.lost_reasons[6]", "required"),
                pair("pipeline.lost_reasons[7]", "max_length"),
            ]
        );
    }

    #[test]
    fn program_validation_and_warnings_include_the_section() {
        let mut p = ProgramPolicy::seed_default();
        p.pipeline.stages[1].probability_bp = 20_000;
        let e = p.validate().unwrap_err();
        assert_eq!(e.errors.len(), 1, "{e:?}");
        assert_eq!(e.errors[0].field, "pipeline.stages[1].probability_bp");
        let mut p = ProgramPolicy::seed_default();
        p.pipeline.lost_reasons.retain(|r| r != "other");
        assert_eq!(p.validate(), Ok(()));
        assert!(
            p.warnings()
                .iter()
                .any(|w| w.starts_with("pipeline.lost_reasons")),
            "{:?}",
            p.warnings()
        );
    }

    #[test]
    fn diff_names_pipeline_keys() {
        let before = ProgramPolicy::seed_default();
        let mut after = before.clone();
        after.pipeline.stages[2].probability_bp = 4500;
        after.pipeline.lost_reasons.push("price".into());
        let changes = crate::policy::diff::diff(&before, &after);
        let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "pipeline.stages[2].probability_bp",
                "pipeline.lost_reasons[5]"
            ]
        );
        assert_eq!(changes[0].before.as_deref(), Some("4000"));
        assert_eq!(changes[0].after.as_deref(), Some("4500"));
    }
}
