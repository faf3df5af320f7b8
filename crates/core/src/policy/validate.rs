//! Policy validation: every rule a policy document breaks, each naming its TOML key path
//! (`tiers[2].criteria[0].at_least`), a stable rule name and a sentence that says what is
//! wrong and what is allowed. Warnings are advice (the seed's recommendations) that never
//! block publishing.

use chrono::NaiveDate;

use super::{
    AGREEMENT_SIGNED, Criterion, Metric, OnboardingItemRule, OnboardingTemplate, ProgramPolicy,
    TierRule,
};
use crate::Invalid;

/// Most rungs a ladder may have (the tier records allow ranks 1..=20).
pub const MAX_TIERS: usize = crate::program::tier::MAX_RANK as usize;
/// Longest tier name, in characters.
pub const MAX_TIER_NAME_CHARS: usize = 60;
/// Longest tier description, in characters (as for tier records).
pub const MAX_TIER_DESCRIPTION_CHARS: usize = 2000;
/// Most benefits per tier (as for tier records).
pub const MAX_BENEFITS: usize = 30;
/// Longest benefit description, in characters (as for tier records).
pub const MAX_BENEFIT_DESCRIPTION_CHARS: usize = 300;
/// Longest onboarding item label, in characters.
pub const MAX_ITEM_LABEL_CHARS: usize = 200;

pub(super) fn validate(policy: &ProgramPolicy) -> Result<(), Invalid> {
    let mut inv = Invalid::new();
    tiers(policy, &mut inv);
    registration(policy, &mut inv);
    governance(policy, &mut inv);
    cohort(policy, &mut inv);
    council(policy, &mut inv);
    fit(policy, &mut inv);
    onboarding(policy, &mut inv);
    if let Err(e) = policy.pipeline.validate() {
        inv.errors.extend(e.errors);
    }
    if let Err(e) = policy.business_plan.validate() {
        inv.errors.extend(e.errors);
    }
    let tier_names: Vec<&str> = policy.tiers.iter().map(|t| t.name.as_str()).collect();
    if let Err(e) = policy.incentives.validate(&tier_names) {
        inv.errors.extend(e.errors);
    }
    if let Err(e) = policy.mdf.validate() {
        inv.errors.extend(e.errors);
    }
    inv.finish(|| Some(()))
}

/// How a tier is named in messages: its name and key, e.g. `Premier (tiers[2])`.
fn tier_label(tier: &TierRule, i: usize) -> String {
    let name = tier.name.trim();
    if name.is_empty() {
        format!("tiers[{i}]")
    } else {
        format!("{name} (tiers[{i}])")
    }
}

fn tier_name(tier: &TierRule, i: usize) -> String {
    let name = tier.name.trim();
    if name.is_empty() {
        format!("tiers[{i}]")
    } else {
        name.to_owned()
    }
}

fn tiers(policy: &ProgramPolicy, inv: &mut Invalid) {
    let tiers = &policy.tiers;
    if tiers.is_empty() {
        inv.add(
            "tiers",
            "required",
            "tiers must list at least the entry tier (e.g. [[tiers]] name = \"Registered\"); \
             none is listed",
        );
        return;
    }
    if tiers.len() > MAX_TIERS {
        inv.add(
            "tiers",
            "max_items",
            format!(
                "tiers lists {} tiers; at most {MAX_TIERS} are allowed",
                tiers.len()
            ),
        );
    }
    for (i, tier) in tiers.iter().enumerate() {
        tier_fields(policy, i, tier, inv);
    }
}

fn tier_fields(policy: &ProgramPolicy, i: usize, tier: &TierRule, inv: &mut Invalid) {
    tier_name_rules(policy, i, tier, inv);
    tier_description(i, tier, inv);
    tier_criteria(policy, i, tier, inv);
    tier_quota(policy, i, tier, inv);
    tier_benefits(i, tier, inv);
}

/// Name: required, bounded, unique ignoring case.
fn tier_name_rules(policy: &ProgramPolicy, i: usize, tier: &TierRule, inv: &mut Invalid) {
    let at = |key: &str| format!("tiers[{i}].{key}");
    let name = tier.name.trim();
    if name.is_empty() {
        inv.add(
            &at("name"),
            "required",
            format!(
                "{} is required; give the tier a name of 1 to {MAX_TIER_NAME_CHARS} characters",
                at("name")
            ),
        );
    } else {
        let chars = name.chars().count();
        if chars > MAX_TIER_NAME_CHARS {
            inv.add(
                &at("name"),
                "max_length",
                format!(
                    "{} must be at most {MAX_TIER_NAME_CHARS} characters (got {chars})",
                    at("name")
                ),
            );
        }
        if name.chars().any(char::is_control) {
            inv.add(
                &at("name"),
                "no_control_chars",
                format!("{} must not contain control characters", at("name")),
            );
        }
        let lower = name.to_lowercase();
        if let Some(j) = policy.tiers[..i]
            .iter()
            .position(|t| t.name.trim().to_lowercase() == lower)
        {
            inv.add(
                &at("name"),
                "unique",
                format!(
                    "{} \"{name}\" repeats tiers[{j}].name \"{}\" (names are compared ignoring \
                     case); every tier needs its own name",
                    at("name"),
                    policy.tiers[j].name.trim()
                ),
            );
        }
    }
}

fn tier_description(i: usize, tier: &TierRule, inv: &mut Invalid) {
    let at = |key: &str| format!("tiers[{i}].{key}");
    if let Some(description) = &tier.description {
        let chars = description.trim().chars().count();
        if chars > MAX_TIER_DESCRIPTION_CHARS {
            inv.add(
                &at("description"),
                "max_length",
                format!(
                    "{} must be at most {MAX_TIER_DESCRIPTION_CHARS} characters (got {chars})",
                    at("description")
                ),
            );
        }
    }
}

/// Criteria: none on the entry tier; each metric once, in range, and no lower than the
/// nearest lower tier asking the same metric.
fn tier_criteria(policy: &ProgramPolicy, i: usize, tier: &TierRule, inv: &mut Invalid) {
    let at = |key: &str| format!("tiers[{i}].{key}");
    if i == 0 && !tier.criteria.is_empty() {
        inv.add(
            &at("criteria"),
            "entry_tier",
            format!(
                "{} must be empty: the entry tier {} is where sunset partners go, so it cannot \
                 ask anything (got {} criteria); move them to a higher tier",
                at("criteria"),
                tier_name(tier, i),
                tier.criteria.len()
            ),
        );
    }
    for (j, c) in tier.criteria.iter().enumerate() {
        criterion(policy, i, tier, j, c, inv);
    }
}

fn criterion(
    policy: &ProgramPolicy,
    i: usize,
    tier: &TierRule,
    j: usize,
    c: &Criterion,
    inv: &mut Invalid,
) {
    let key = format!("tiers[{i}].criteria[{j}]");
    if tier.criteria[..j].iter().any(|o| o.metric == c.metric) {
        inv.add(
            &format!("{key}.metric"),
            "unique",
            format!(
                "{key}.metric {} appears more than once in {}; each metric may appear once \
                 per tier",
                c.metric,
                tier_label(tier, i)
            ),
        );
    }
    if c.at_least < 0 {
        inv.add(
            &format!("{key}.at_least"),
            "non_negative",
            format!(
                "{key}.at_least must not be negative (got {}); use 0 or more",
                c.at_least
            ),
        );
        return;
    }
    match c.metric {
        Metric::JbpInPlace if c.at_least > 1 => inv.add(
            &format!("{key}.at_least"),
            "range",
            format!(
                "{key}.at_least for jbp_in_place must be 0 or 1 (got {}); use 1 to require \
                 a joint business plan",
                c.at_least
            ),
        ),
        Metric::JbpAttainment if c.at_least > 1_000 => inv.add(
            &format!("{key}.at_least"),
            "range",
            format!(
                "{key}.at_least for jbp_attainment is a percentage between 0 and 1000 (got {})",
                c.at_least
            ),
        ),
        Metric::Psat if c.at_least > 100 => inv.add(
            &format!("{key}.at_least"),
            "range",
            format!(
                "{key}.at_least for psat must be between 0 and 100 (got {})",
                c.at_least
            ),
        ),
        _ => {}
    }
    // Order: the nearest lower tier (above the entry tier) asking the same metric must
    // not ask more.
    if i >= 2 {
        let below = (1..i).rev().find_map(|k| {
            policy.tiers[k]
                .criteria
                .iter()
                .find(|o| o.metric == c.metric)
                .map(|o| (k, o.at_least))
        });
        if let Some((k, lower)) = below
            && c.at_least < lower
        {
            inv.add(
                &format!("{key}.at_least"),
                "tier_order",
                format!(
                    "tiers out of order: {} asks {} ≥ {} but {} below it asks ≥ {lower}; \
                     a higher tier must ask at least as much as the tiers below it",
                    tier_label(tier, i),
                    c.metric,
                    c.at_least,
                    tier_name(&policy.tiers[k], k),
                ),
            );
        }
    }
}

/// Quota: not negative, and at least the quota of the tier below.
fn tier_quota(policy: &ProgramPolicy, i: usize, tier: &TierRule, inv: &mut Invalid) {
    let at = |key: &str| format!("tiers[{i}].{key}");
    if tier.annual_quota_minor < 0 {
        inv.add(
            &at("annual_quota_minor"),
            "non_negative",
            format!(
                "{} must not be negative (got {}); use 0 for no quota or a positive amount in \
                 minor units",
                at("annual_quota_minor"),
                tier.annual_quota_minor
            ),
        );
    } else if i >= 1 {
        let lower = &policy.tiers[i - 1];
        if tier.annual_quota_minor < lower.annual_quota_minor {
            inv.add(
                &at("annual_quota_minor"),
                "tier_order",
                format!(
                    "tiers out of order: {} has annual_quota_minor {} but {} below it has {}; \
                     a higher tier's quota must be at least the quota of the tier below",
                    tier_label(tier, i),
                    tier.annual_quota_minor,
                    tier_name(lower, i - 1),
                    lower.annual_quota_minor
                ),
            );
        }
    }
}

/// Benefits: bounded in number, each described, rates within 0–100%.
fn tier_benefits(i: usize, tier: &TierRule, inv: &mut Invalid) {
    let at = |key: &str| format!("tiers[{i}].{key}");
    if tier.benefits.len() > MAX_BENEFITS {
        inv.add(
            &at("benefits"),
            "max_items",
            format!(
                "{} lists {} benefits; at most {MAX_BENEFITS} are allowed",
                at("benefits"),
                tier.benefits.len()
            ),
        );
    }
    for (k, b) in tier.benefits.iter().enumerate() {
        let key = format!("tiers[{i}].benefits[{k}]");
        let description = b.description.trim();
        if description.is_empty() {
            inv.add(
                &format!("{key}.description"),
                "required",
                format!(
                    "{key}.description is required; describe the benefit in 1 to \
                     {MAX_BENEFIT_DESCRIPTION_CHARS} characters"
                ),
            );
        } else if description.chars().count() > MAX_BENEFIT_DESCRIPTION_CHARS {
            inv.add(
                &format!("{key}.description"),
                "max_length",
                format!(
                    "{key}.description must be at most {MAX_BENEFIT_DESCRIPTION_CHARS} \
                     characters (got {})",
                    description.chars().count()
                ),
            );
        }
        if let Some(rate) = b.rate_bps
            && rate > 10_000
        {
            inv.add(
                &format!("{key}.rate_bps"),
                "range",
                format!(
                    "{key}.rate_bps must be between 0 and 10000 basis points (0–100%) (got \
                     {rate})"
                ),
            );
        }
    }
}

fn registration(policy: &ProgramPolicy, inv: &mut Invalid) {
    let reg = &policy.registration;
    if let Err(e) = reg.validate() {
        for err in e.errors {
            let field = format!("registration.{}", err.field);
            let message = if err.message.starts_with(&err.field) {
                format!("registration.{}", err.message)
            } else {
                err.message
            };
            inv.add(&field, &err.rule, message);
        }
    }
    let ranks = policy.tiers.len();
    for (i, a) in reg.auto_approve.iter().enumerate() {
        let key = format!("registration.auto_approve[{i}]");
        if ranks > 0 && !(1..=ranks as i64).contains(&a.min_tier_rank) {
            inv.add(
                &format!("{key}.min_tier_rank"),
                "range",
                format!(
                    "{key}.min_tier_rank must be a tier rank between 1 (entry tier) and {ranks} \
                     (got {})",
                    a.min_tier_rank
                ),
            );
        }
        if a.max_amount_minor < 0 {
            inv.add(
                &format!("{key}.max_amount_minor"),
                "non_negative",
                format!(
                    "{key}.max_amount_minor must not be negative (got {}); use 0 or more",
                    a.max_amount_minor
                ),
            );
        }
    }
}

/// Parses `MM-DD` as a real day of the year; 02-29 is allowed (in other years the review
/// falls on 02-28, the caller's concern).
pub fn parse_month_day(raw: &str) -> Option<(u32, u32)> {
    let bytes = raw.as_bytes();
    if bytes.len() != 5
        || bytes[2] != b'-'
        || ![0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit())
    {
        return None;
    }
    let month: u32 = raw[..2].parse().ok()?;
    let day: u32 = raw[3..].parse().ok()?;
    // 2000 is a leap year, so every day that exists in some year exists in it.
    NaiveDate::from_ymd_opt(2000, month, day).map(|_| (month, day))
}

fn governance(policy: &ProgramPolicy, inv: &mut Invalid) {
    let g = &policy.governance;
    if parse_month_day(&g.annual_review).is_none() {
        inv.add(
            "governance.annual_review",
            "month_day",
            format!(
                "governance.annual_review must be a real day of the year written MM-DD, e.g. \
                 \"01-15\" (got \"{}\")",
                g.annual_review
            ),
        );
    }
    let pct = g.downgrade_quota_miss_percent;
    if !(0.0..=100.0).contains(&pct) {
        inv.add(
            "governance.downgrade_quota_miss_percent",
            "range",
            format!(
                "governance.downgrade_quota_miss_percent must be a percentage between 0 and 100 \
                 (got {pct})"
            ),
        );
    }
    if !(1..=120).contains(&g.sunset_months) {
        inv.add(
            "governance.sunset_months",
            "range",
            format!(
                "governance.sunset_months must be between 1 and 120 months (got {})",
                g.sunset_months
            ),
        );
    }
}

/// `min ≥ 1` and `min ≤ max` for a `section.min_x` / `section.max_x` pair.
fn min_max(inv: &mut Invalid, min_key: &str, min: i64, max_key: &str, max: i64) {
    if min < 1 {
        inv.add(
            min_key,
            "positive",
            format!("{min_key} must be at least 1 (got {min})"),
        );
    }
    if max < min {
        inv.add(
            max_key,
            "min_max",
            format!("{max_key} ({max}) must be at least {min_key} ({min})"),
        );
    }
}

fn cohort(policy: &ProgramPolicy, inv: &mut Invalid) {
    let c = &policy.cohort;
    min_max(
        inv,
        "cohort.min_partners",
        c.min_partners,
        "cohort.max_partners",
        c.max_partners,
    );
}

fn council(policy: &ProgramPolicy, inv: &mut Invalid) {
    let c = &policy.council;
    min_max(
        inv,
        "council.min_members",
        c.min_members,
        "council.max_members",
        c.max_members,
    );
    if !(1..=52).contains(&c.meetings_per_year) {
        inv.add(
            "council.meetings_per_year",
            "range",
            format!(
                "council.meetings_per_year must be between 1 and 52 (got {})",
                c.meetings_per_year
            ),
        );
    }
}

fn fit(policy: &ProgramPolicy, inv: &mut Invalid) {
    let f = &policy.fit;
    let ranks = policy.tiers.len();
    if ranks > 0 && !(1..=ranks as i64).contains(&f.productive_tier_rank) {
        inv.add(
            "fit.productive_tier_rank",
            "range",
            format!(
                "fit.productive_tier_rank must be a tier rank between 1 (entry tier) and {ranks} \
                 (got {})",
                f.productive_tier_rank
            ),
        );
    }
    if f.productive_sourced_arr_minor < 0 {
        inv.add(
            "fit.productive_sourced_arr_minor",
            "non_negative",
            format!(
                "fit.productive_sourced_arr_minor must not be negative (got {}); use 0 or more",
                f.productive_sourced_arr_minor
            ),
        );
    }
    if !(1..=60).contains(&f.productive_within_months) {
        inv.add(
            "fit.productive_within_months",
            "range",
            format!(
                "fit.productive_within_months must be between 1 and 60 months (got {})",
                f.productive_within_months
            ),
        );
    }
    if !(2..=100_000).contains(&f.min_labelled_partners) {
        inv.add(
            "fit.min_labelled_partners",
            "range",
            format!(
                "fit.min_labelled_partners must be between 2 and 100000 (got {})",
                f.min_labelled_partners
            ),
        );
    }
    let w = &f.weights;
    let weights = [
        ("employees", w.employees),
        ("countries", w.countries),
        ("verticals", w.verticals),
        ("vendor_relationships", w.vendor_relationships),
        ("target_customers", w.target_customers),
        ("certified_staff", w.certified_staff),
    ];
    for (name, v) in weights {
        let key = format!("fit.weights.{name}");
        if !v.is_finite() {
            inv.add(
                &key,
                "finite",
                format!("{key} must be a finite number of 0 or more (got {v})"),
            );
        } else if v < 0.0 {
            inv.add(
                &key,
                "non_negative",
                format!("{key} must not be negative (got {v}); use 0 or more"),
            );
        }
    }
    if weights.iter().all(|(_, v)| *v == 0.0) {
        inv.add(
            "fit.weights",
            "not_all_zero",
            "fit.weights are all 0, so every applicant would score 0; give at least one \
             weight a positive value",
        );
    }
}

fn is_snake_case(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn onboarding(policy: &ProgramPolicy, inv: &mut Invalid) {
    let templates = &policy.onboarding.templates;
    if templates.is_empty() {
        inv.add(
            "onboarding.templates",
            "required",
            "onboarding.templates must list at least one template: a catch-all with empty \
             partner_types",
        );
        return;
    }
    onboarding_catch_all(templates, inv);
    for (i, t) in templates.iter().enumerate() {
        onboarding_template(templates, i, t, inv);
    }
}

/// Exactly one template leaves `partner_types` empty.
fn onboarding_catch_all(templates: &[OnboardingTemplate], inv: &mut Invalid) {
    let catch_alls: Vec<usize> = templates
        .iter()
        .enumerate()
        .filter(|(_, t)| t.partner_types.is_empty())
        .map(|(i, _)| i)
        .collect();
    match catch_alls.as_slice() {
        [] => inv.add(
            "onboarding.templates",
            "catch_all",
            "onboarding.templates needs exactly one catch-all template (partner_types = []) \
             for partner types no other template names; none has empty partner_types",
        ),
        [_] => {}
        [first, rest @ ..] => {
            for i in rest {
                inv.add(
                    &format!("onboarding.templates[{i}].partner_types"),
                    "catch_all",
                    format!(
                        "onboarding.templates[{i}].partner_types is empty, but \
                         onboarding.templates[{first}] is already the catch-all template; \
                         exactly one template may leave partner_types empty"
                    ),
                );
            }
        }
    }
}

/// One template: each partner type in one template only, and at least one item.
fn onboarding_template(
    templates: &[OnboardingTemplate],
    i: usize,
    t: &OnboardingTemplate,
    inv: &mut Invalid,
) {
    let tkey = format!("onboarding.templates[{i}]");
    for (j, pt) in t.partner_types.iter().enumerate() {
        let earlier = templates[..i]
            .iter()
            .position(|o| o.partner_types.contains(pt))
            .map(|o| format!("onboarding.templates[{o}]"))
            .or_else(|| t.partner_types[..j].contains(pt).then(|| tkey.clone()));
        if let Some(earlier) = earlier {
            inv.add(
                &format!("{tkey}.partner_types[{j}]"),
                "unique",
                format!(
                    "{tkey}.partner_types[{j}] {pt} is already listed in {earlier}; each \
                     partner type may appear in one template only"
                ),
            );
        }
    }
    if t.items.is_empty() {
        inv.add(
            &format!("{tkey}.items"),
            "required",
            format!("{tkey}.items must list at least one checklist item"),
        );
    }
    for (k, item) in t.items.iter().enumerate() {
        onboarding_item(&tkey, t, k, item, inv);
    }
}

/// One checklist item: a unique snake_case key and a bounded label.
fn onboarding_item(
    tkey: &str,
    t: &OnboardingTemplate,
    k: usize,
    item: &OnboardingItemRule,
    inv: &mut Invalid,
) {
    let ikey = format!("{tkey}.items[{k}]");
    if item.key.is_empty() {
        inv.add(
            &format!("{ikey}.key"),
            "required",
            format!(
                "{ikey}.key is required; use snake_case letters, digits and _ (e.g. \
                 \"{AGREEMENT_SIGNED}\")"
            ),
        );
    } else if !is_snake_case(&item.key) {
        inv.add(
            &format!("{ikey}.key"),
            "snake_case",
            format!(
                "{ikey}.key must be snake_case: lowercase letters a-z, digits 0-9 and \
                 _ only (got \"{}\")",
                item.key
            ),
        );
    } else if let Some(o) = t.items[..k].iter().position(|o| o.key == item.key) {
        inv.add(
            &format!("{ikey}.key"),
            "unique",
            format!(
                "{ikey}.key \"{}\" repeats {tkey}.items[{o}].key; each item in a \
                 template needs its own key",
                item.key
            ),
        );
    }
    let label = item.label.trim();
    if label.is_empty() {
        inv.add(
            &format!("{ikey}.label"),
            "required",
            format!(
                "{ikey}.label is required; say what must be done in 1 to \
                 {MAX_ITEM_LABEL_CHARS} characters"
            ),
        );
    } else if label.chars().count() > MAX_ITEM_LABEL_CHARS {
        inv.add(
            &format!("{ikey}.label"),
            "max_length",
            format!(
                "{ikey}.label must be at most {MAX_ITEM_LABEL_CHARS} characters (got {})",
                label.chars().count()
            ),
        );
    }
}

pub(super) fn warnings(policy: &ProgramPolicy) -> Vec<String> {
    let mut out = Vec::new();
    for (i, tier) in policy.tiers.iter().enumerate().skip(1) {
        if tier.criteria.is_empty() {
            out.push(format!(
                "tiers[{i}] ({}) has no criteria, so it cannot be earned automatically; \
                 partners reach it only when someone moves them",
                tier_name(tier, i)
            ));
        }
    }
    let g = &policy.governance;
    // A partner downgraded at the review keeps at most (1 - threshold) of the quota of the
    // tier it left; if that still meets the tier's sourced-ARR criterion, the next daily
    // evaluation would upgrade it straight back.
    let kept = 1.0 - g.downgrade_quota_miss_percent / 100.0;
    for (i, tier) in policy.tiers.iter().enumerate().skip(1) {
        let floor = (tier.annual_quota_minor as f64 * kept).floor() as i64;
        if let Some(c) = tier
            .criteria
            .iter()
            .find(|c| c.metric == super::Metric::SourcedArr && tier.annual_quota_minor > 0)
            && c.at_least < floor
        {
            out.push(format!(
                "tiers[{i}] ({}): its sourced_arr criterion ({}) is below what a partner                  downgraded at the annual review may still bring ({floor}), so such a partner                  would be upgraded again the next day; raise the criterion or lower the quota",
                tier_name(tier, i),
                c.at_least
            ));
        }
    }
    if g.downgrade_quota_miss_percent != 30.0 {
        out.push(format!(
            "governance.downgrade_quota_miss_percent: the seed moves a partner down one tier \
             when it misses its quota by more than 30%; this policy uses {}%",
            g.downgrade_quota_miss_percent
        ));
    }
    if g.sunset_months != 12 {
        out.push(format!(
            "governance.sunset_months: the seed moves a partner with no registered deal in 12 \
             months to the entry tier; this policy uses {} months",
            g.sunset_months
        ));
    }
    let c = &policy.cohort;
    if c.min_partners < 5 || c.max_partners > 10 {
        out.push(format!(
            "cohort.min_partners/max_partners: the seed recommends launching with 5 to 10 \
             partners; this policy allows {} to {}",
            c.min_partners, c.max_partners
        ));
    }
    let c = &policy.council;
    if c.min_members < 3 || c.max_members > 5 {
        out.push(format!(
            "council.min_members/max_members: the seed recommends a council of three to five \
             top partners; this policy allows {} to {}",
            c.min_members, c.max_members
        ));
    }
    for (i, t) in policy.onboarding.templates.iter().enumerate() {
        if !t.items.iter().any(|item| item.key == AGREEMENT_SIGNED) {
            out.push(format!(
                "onboarding.templates[{i}] has no {AGREEMENT_SIGNED} item, so activation time \
                 for its partners falls back to the joining date"
            ));
        }
    }
    out.extend(policy.pipeline.warnings());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner::PartnerType;
    use crate::policy::{Criterion, OnboardingItemRule, OnboardingTemplate};
    use crate::program::tier::{Benefit, BenefitKind};

    fn seed() -> ProgramPolicy {
        ProgramPolicy::seed_default()
    }

    fn errors(policy: &ProgramPolicy) -> Vec<(String, String)> {
        match policy.validate() {
            Ok(()) => Vec::new(),
            Err(e) => e.errors.into_iter().map(|e| (e.field, e.rule)).collect(),
        }
    }

    fn one_error(policy: &ProgramPolicy) -> crate::FieldError {
        let e = policy.validate().unwrap_err();
        assert_eq!(e.errors.len(), 1, "{:?}", e.errors);
        e.errors.into_iter().next().unwrap()
    }

    fn pair(field: &str, rule: &str) -> (String, String) {
        (field.to_owned(), rule.to_owned())
    }

    fn from_toml_err(text: &str) -> crate::FieldError {
        let e = ProgramPolicy::from_toml(text).unwrap_err();
        assert_eq!(e.errors.len(), 1, "{:?}", e.errors);
        e.errors.into_iter().next().unwrap()
    }

    /// The seed document with one line replaced.
    fn seed_text_with(find: &str, replace: &str) -> String {
        let text = seed().to_toml();
        assert!(text.contains(find), "{find} not in\n{text}");
        text.replacen(find, replace, 1)
    }

    #[test]
    fn seed_default_is_valid_without_warnings() {
        let p = seed();
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.warnings(), Vec::<String>::new());
    }

    #[test]
    fn seed_default_round_trips_through_toml() {
        let p = seed();
        let text = p.to_toml();
        assert!(!text.contains("version"), "{text}");
        assert_eq!(ProgramPolicy::from_toml(&text).unwrap(), p);
    }

    #[test]
    fn a_minimal_document_gets_the_defaults() {
        let text = "[[tiers]]\nname = \"Registered\"\n\n[fit]\nproductive_tier_rank = 1\n";
        let p = ProgramPolicy::from_toml(text).unwrap();
        assert_eq!(p.tiers.len(), 1);
        assert_eq!(p.governance, crate::policy::Governance::default());
        assert_eq!(p.onboarding, crate::policy::OnboardingPolicy::default());
        assert_eq!(p.entry_tier().name, "Registered");
        // The default productive rank (2) needs a second tier.
        let e = from_toml_err("[[tiers]]\nname = \"Registered\"\n");
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("fit.productive_tier_rank", "range")
        );
        assert!(
            e.message.contains("between 1 (entry tier) and 1"),
            "{}",
            e.message
        );
    }

    #[test]
    fn no_tiers() {
        let mut p = seed();
        p.tiers.clear();
        let e = one_error(&p);
        assert_eq!((e.field.as_str(), e.rule.as_str()), ("tiers", "required"));
        let e = from_toml_err("tiers = []\n");
        assert_eq!(e.field, "tiers");
    }

    #[test]
    fn at_most_twenty_tiers() {
        let mut p = seed();
        let top = p.tiers[2].clone();
        for n in 3..21 {
            p.tiers.push(TierRule {
                name: format!("Tier {n}"),
                ..top.clone()
            });
        }
        assert_eq!(p.tiers.len(), 21);
        assert_eq!(errors(&p), vec![pair("tiers", "max_items")]);
        p.tiers.pop();
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn entry_tier_has_no_criteria() {
        let mut p = seed();
        p.tiers[0].criteria.push(Criterion {
            metric: Metric::Registrations,
            at_least: 1,
        });
        let e = one_error(&p);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("tiers[0].criteria", "entry_tier")
        );
        assert!(e.message.contains("Registered"), "{}", e.message);
    }

    #[test]
    fn tier_names_are_required_bounded_and_unique_ignoring_case() {
        let mut p = seed();
        p.tiers[0].name = "  ".into();
        p.tiers[1].name = "x".repeat(61);
        p.tiers[2].name = "x".repeat(60);
        assert_eq!(
            errors(&p),
            vec![
                pair("tiers[0].name", "required"),
                pair("tiers[1].name", "max_length"),
            ]
        );
        let mut p = seed();
        p.tiers[2].name = " select ".into();
        let e = one_error(&p);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("tiers[2].name", "unique")
        );
        assert!(
            e.message.contains("tiers[1].name \"Select\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn tiers_out_of_order_by_criterion() {
        let mut p = seed();
        p.tiers[1].criteria[0].at_least = 500;
        p.tiers[2].criteria[0].at_least = 100;
        let e = one_error(&p);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("tiers[2].criteria[0].at_least", "tier_order")
        );
        assert!(
            e.message.starts_with(
                "tiers out of order: Premier (tiers[2]) asks sourced_arr ≥ 100 but Select \
                 below it asks ≥ 500"
            ),
            "{}",
            e.message
        );
        // Equal thresholds are fine.
        p.tiers[2].criteria[0].at_least = 500;
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn tier_order_skips_tiers_without_the_metric() {
        let mut p = seed();
        let mut middle = p.tiers[1].clone();
        middle.name = "Gold".into();
        middle.criteria = vec![Criterion {
            metric: Metric::Psat,
            at_least: 50,
        }];
        p.tiers.insert(2, middle);
        // Premier (now tiers[3]) asks less ARR than Select (tiers[1]), two rungs below.
        p.tiers[3].criteria[0].at_least = 1;
        let e = one_error(&p);
        assert_eq!(e.field, "tiers[3].criteria[0].at_least");
        assert!(e.message.contains("but Select below it"), "{}", e.message);
    }

    #[test]
    fn tiers_out_of_order_by_quota() {
        let mut p = seed();
        p.tiers[2].annual_quota_minor = 5;
        let e = one_error(&p);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("tiers[2].annual_quota_minor", "tier_order")
        );
        assert!(e.message.contains("Premier (tiers[2])"), "{}", e.message);
        assert!(e.message.contains("Select below it"), "{}", e.message);
    }

    #[test]
    fn criterion_values() {
        let mut p = seed();
        p.tiers[1].criteria[1].at_least = -5;
        p.tiers[2].criteria[3].at_least = 2; // jbp_in_place
        p.tiers[2].criteria.push(Criterion {
            metric: Metric::Psat,
            at_least: 101,
        });
        p.tiers[2].criteria.push(Criterion {
            metric: Metric::Registrations,
            at_least: 20,
        });
        assert_eq!(
            errors(&p),
            vec![
                pair("tiers[1].criteria[1].at_least", "non_negative"),
                pair("tiers[2].criteria[3].at_least", "range"),
                pair("tiers[2].criteria[4].at_least", "range"),
                pair("tiers[2].criteria[5].metric", "unique"),
            ]
        );
        let e = p.validate().unwrap_err();
        assert_eq!(
            e.errors[0].message,
            "tiers[1].criteria[1].at_least must not be negative (got -5); use 0 or more"
        );
    }

    #[test]
    fn jbp_and_psat_bounds_are_inclusive() {
        let mut p = seed();
        p.tiers[2].criteria.push(Criterion {
            metric: Metric::Psat,
            at_least: 100,
        });
        p.tiers[1].criteria.push(Criterion {
            metric: Metric::JbpInPlace,
            at_least: 0,
        });
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn quota_and_benefits() {
        let mut p = seed();
        p.tiers[0].annual_quota_minor = -1;
        p.tiers[1].benefits[0].description = " ".into();
        p.tiers[2].benefits[0].rate_bps = Some(10_001);
        assert_eq!(
            errors(&p),
            vec![
                pair("tiers[0].annual_quota_minor", "non_negative"),
                pair("tiers[1].benefits[0].description", "required"),
                pair("tiers[2].benefits[0].rate_bps", "range"),
            ]
        );
        let mut p = seed();
        p.tiers[2].benefits[0].rate_bps = Some(10_000);
        assert_eq!(p.validate(), Ok(()));
        p.tiers[2].benefits = (0..31)
            .map(|n| Benefit {
                kind: BenefitKind::Other,
                description: format!("Benefit {n}"),
                rate_bps: None,
            })
            .collect();
        assert_eq!(errors(&p), vec![pair("tiers[2].benefits", "max_items")]);
    }

    #[test]
    fn registration_errors_are_prefixed() {
        let mut p = seed();
        p.registration.validity_days = 0;
        p.registration.escalation_levels.clear();
        let e = p.validate().unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("registration.validity_days", "positive"),
                ("registration.escalation_levels", "required"),
            ]
        );
        assert!(
            e.errors[0]
                .message
                .starts_with("registration.validity_days must be at least 1"),
            "{}",
            e.errors[0].message
        );
    }

    #[test]
    fn registration_auto_approve_names_a_tier() {
        let mut p = seed();
        p.registration.auto_approve = vec![
            crate::registration::policy::AutoApprove {
                min_tier_rank: 3,
                max_amount_minor: 0,
            },
            crate::registration::policy::AutoApprove {
                min_tier_rank: 4,
                max_amount_minor: -1,
            },
        ];
        assert_eq!(
            errors(&p),
            vec![
                pair("registration.auto_approve[1].min_tier_rank", "range"),
                pair(
                    "registration.auto_approve[1].max_amount_minor",
                    "non_negative"
                ),
            ]
        );
    }

    #[test]
    fn negative_days_from_toml() {
        let text = seed_text_with("validity_days = 90", "validity_days = -1");
        let e = from_toml_err(&text);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("registration.validity_days", "positive")
        );
        assert!(e.message.contains("(got -1)"), "{}", e.message);
    }

    #[test]
    fn registration_version_is_refused() {
        let text = seed_text_with("[registration]\n", "[registration]\nversion = 3\n");
        let e = from_toml_err(&text);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("registration.version", "assigned")
        );
    }

    #[test]
    fn unknown_key_is_a_toml_error_with_its_position() {
        let text = seed_text_with("sunset_months = 12", "sunset_months = 12\nsunset_month = 6");
        let e = from_toml_err(&text);
        assert_eq!(e.rule, "toml");
        assert!(e.field.starts_with("line "), "{}", e.field);
        assert!(e.message.contains("sunset_month"), "{}", e.message);
    }

    #[test]
    fn unknown_metric_lists_the_allowed_metrics() {
        let text = seed_text_with("metric = \"registrations\"", "metric = \"revenue\"");
        let e = from_toml_err(&text);
        assert_eq!(e.rule, "toml");
        assert!(e.field.starts_with("line "), "{}", e.field);
        for m in Metric::ALL {
            assert!(e.message.contains(m.as_str()), "{m} not in {}", e.message);
        }
        assert!(e.message.contains("revenue"), "{}", e.message);
    }

    #[test]
    fn annual_review_must_be_a_real_day() {
        for ok in ["01-01", "02-29", "12-31", "01-15"] {
            assert!(parse_month_day(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "1-15",
            "01-1",
            "13-01",
            "00-10",
            "02-30",
            "04-31",
            "01/15",
            "+1-15",
            "01-+1",
            "2026-01-15",
            "aa-bb",
        ] {
            assert!(parse_month_day(bad).is_none(), "{bad}");
        }
        let text = seed_text_with("annual_review = \"01-15\"", "annual_review = \"02-30\"");
        let e = from_toml_err(&text);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("governance.annual_review", "month_day")
        );
        assert!(e.message.contains("MM-DD"), "{}", e.message);
    }

    #[test]
    fn governance_ranges() {
        let mut p = seed();
        p.governance.downgrade_quota_miss_percent = f64::NAN;
        p.governance.sunset_months = 0;
        assert_eq!(
            errors(&p),
            vec![
                pair("governance.downgrade_quota_miss_percent", "range"),
                pair("governance.sunset_months", "range"),
            ]
        );
        p.governance.downgrade_quota_miss_percent = 100.5;
        p.governance.sunset_months = 121;
        assert_eq!(errors(&p).len(), 2);
        p.governance.downgrade_quota_miss_percent = 0.0;
        p.governance.sunset_months = 120;
        assert_eq!(p.validate(), Ok(()));
        p.governance.downgrade_quota_miss_percent = 100.0;
        p.governance.sunset_months = 1;
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn cohort_and_council_sizes() {
        let mut p = seed();
        p.cohort.min_partners = 0;
        p.council.min_members = 6;
        p.council.meetings_per_year = 53;
        assert_eq!(
            errors(&p),
            vec![
                pair("cohort.min_partners", "positive"),
                pair("council.max_members", "min_max"),
                pair("council.meetings_per_year", "range"),
            ]
        );
        let mut p = seed();
        p.cohort.max_partners = 4;
        p.council.meetings_per_year = 0;
        assert_eq!(
            errors(&p),
            vec![
                pair("cohort.max_partners", "min_max"),
                pair("council.meetings_per_year", "range"),
            ]
        );
    }

    #[test]
    fn fit_settings() {
        let mut p = seed();
        p.fit.productive_tier_rank = 4;
        p.fit.productive_sourced_arr_minor = -1;
        p.fit.productive_within_months = 61;
        p.fit.min_labelled_partners = 1;
        p.fit.weights.countries = -1.0;
        p.fit.weights.verticals = f64::INFINITY;
        assert_eq!(
            errors(&p),
            vec![
                pair("fit.productive_tier_rank", "range"),
                pair("fit.productive_sourced_arr_minor", "non_negative"),
                pair("fit.productive_within_months", "range"),
                pair("fit.min_labelled_partners", "range"),
                pair("fit.weights.countries", "non_negative"),
                pair("fit.weights.verticals", "finite"),
            ]
        );
        let mut p = seed();
        p.fit.productive_tier_rank = 0;
        p.fit.min_labelled_partners = 100_001;
        p.fit.weights = crate::policy::FitWeights {
            employees: 0.0,
            countries: 0.0,
            verticals: 0.0,
            vendor_relationships: 0.0,
            target_customers: 0.0,
            certified_staff: 0.0,
        };
        assert_eq!(
            errors(&p),
            vec![
                pair("fit.productive_tier_rank", "range"),
                pair("fit.min_labelled_partners", "range"),
                pair("fit.weights", "not_all_zero"),
            ]
        );
        let mut p = seed();
        p.fit.productive_tier_rank = 3;
        p.fit.productive_within_months = 60;
        p.fit.min_labelled_partners = 2;
        p.fit.weights.employees = 0.0;
        assert_eq!(p.validate(), Ok(()));
    }

    fn rule(key: &str, label: &str) -> OnboardingItemRule {
        OnboardingItemRule {
            key: key.into(),
            label: label.into(),
            signal: None,
        }
    }

    #[test]
    fn onboarding_templates() {
        let mut p = seed();
        p.onboarding.templates.clear();
        assert_eq!(errors(&p), vec![pair("onboarding.templates", "required")]);

        let mut p = seed();
        p.onboarding.templates[1].partner_types = vec![PartnerType::Reseller];
        assert_eq!(errors(&p), vec![pair("onboarding.templates", "catch_all")]);

        let mut p = seed();
        p.onboarding.templates[0].partner_types.clear();
        assert_eq!(
            errors(&p),
            vec![pair("onboarding.templates[1].partner_types", "catch_all")]
        );

        let mut p = seed();
        p.onboarding.templates.insert(
            1,
            OnboardingTemplate {
                partner_types: vec![PartnerType::Msp, PartnerType::Technology, PartnerType::Msp],
                items: vec![
                    rule(AGREEMENT_SIGNED, "Signed"),
                    rule("Bad Key", "Bad"),
                    rule("", "Empty"),
                    rule(AGREEMENT_SIGNED, "Again"),
                    rule("ok_1", "  "),
                ],
            },
        );
        assert_eq!(
            errors(&p),
            vec![
                pair("onboarding.templates[1].partner_types[1]", "unique"),
                pair("onboarding.templates[1].partner_types[2]", "unique"),
                pair("onboarding.templates[1].items[1].key", "snake_case"),
                pair("onboarding.templates[1].items[2].key", "required"),
                pair("onboarding.templates[1].items[3].key", "unique"),
                pair("onboarding.templates[1].items[4].label", "required"),
            ]
        );
        let e = p.validate().unwrap_err();
        assert!(
            e.errors[0].message.contains("onboarding.templates[0]"),
            "{}",
            e.errors[0].message
        );

        let mut p = seed();
        p.onboarding.templates[0].items.clear();
        assert_eq!(
            errors(&p),
            vec![pair("onboarding.templates[0].items", "required")]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = seed_text_with("sunset_months = 12", "sunset_months = 0")
            .replacen("validity_days = 90", "validity_days = -1", 1)
            .replacen("annual_review = \"01-15\"", "annual_review = \"1/15\"", 1)
            .replacen("max_partners = 10", "max_partners = 2", 1)
            .replacen("at_least = 4\n", "at_least = -4\n", 1);
        let e = ProgramPolicy::from_toml(&text).unwrap_err();
        let got: Vec<(String, String)> = e.errors.into_iter().map(|e| (e.field, e.rule)).collect();
        assert_eq!(
            got,
            vec![
                pair("tiers[1].criteria[1].at_least", "non_negative"),
                pair("registration.validity_days", "positive"),
                pair("governance.annual_review", "month_day"),
                pair("governance.sunset_months", "range"),
                pair("cohort.max_partners", "min_max"),
            ]
        );
    }

    #[test]
    fn messages_name_the_key_and_what_is_allowed() {
        let mut p = seed();
        p.governance.sunset_months = 0;
        p.council.meetings_per_year = 0;
        p.fit.productive_within_months = 0;
        for e in p.validate().unwrap_err().errors {
            assert!(e.message.starts_with(&e.field), "{}", e.message);
            assert!(e.message.contains("between"), "{}", e.message);
        }
    }

    #[test]
    fn warns_when_a_review_downgrade_would_be_undone_the_next_day() {
        let mut p = ProgramPolicy::seed_default();
        assert!(p.warnings().is_empty());
        // Select: quota 100,000.00; a partner downgraded keeps up to 70,000.00.
        p.tiers[1].criteria[0].at_least = 6_000_000;
        let w = p.warnings();
        assert!(
            w.iter()
                .any(|w| w.contains("tiers[1]") && w.contains("upgraded again")),
            "{w:?}"
        );
        p.tiers[1].criteria[0].at_least = 7_000_000;
        assert!(p.warnings().is_empty(), "at the floor no warning");
    }

    #[test]
    fn warnings_for_cohort_and_council_sizes() {
        let mut p = seed();
        p.cohort.min_partners = 3;
        p.cohort.max_partners = 12;
        p.council.max_members = 7;
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(
            p.warnings(),
            vec![
                "cohort.min_partners/max_partners: the seed recommends launching with 5 to 10 \
                 partners; this policy allows 3 to 12"
                    .to_owned(),
                "council.min_members/max_members: the seed recommends a council of three to five \
                 top partners; this policy allows 3 to 7"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn warnings_for_governance_tiers_and_onboarding() {
        let mut p = seed();
        p.governance.downgrade_quota_miss_percent = 25.0;
        p.governance.sunset_months = 9;
        p.tiers[2].criteria.clear();
        p.onboarding.templates[1].items.remove(0);
        assert_eq!(p.validate(), Ok(()));
        let w = p.warnings();
        assert_eq!(w.len(), 4, "{w:?}");
        assert!(
            w[0].starts_with("tiers[2] (Premier) has no criteria"),
            "{}",
            w[0]
        );
        assert!(w[0].contains("cannot be earned automatically"), "{}", w[0]);
        assert!(w[1].contains("25%"), "{}", w[1]);
        assert!(w[2].contains("9 months"), "{}", w[2]);
        assert!(
            w[3].starts_with("onboarding.templates[1] has no agreement_signed item"),
            "{}",
            w[3]
        );
        assert!(w[3].contains("joining date"), "{}", w[3]);
    }
}
