//! The plan's content as a form rather than JSON: a milestone per quarter in the plan's
//! currency, activity commitments as a quarter-by-kind grid, the named target accounts as
//! checkboxes (the partner's registered accounts and those already named), dated marketing
//! commitments as rows (two empty ones to add), and the review cadence. Reading it back is
//! parsing only; what a plan must hold is checked by the store (`PlanContent::check`).

use chrono::NaiveDate;
use partnerops_core::Invalid;
use partnerops_core::business_plan::record::{
    ActivityCommitment, Cadence, MarketingCommitment, MarketingKind, Milestone, PlanActivityKind,
    PlanContent,
};
use partnerops_core::ids::{AccountId, EntityId};

use crate::ui::form::{FormView, Posted, major_to_minor, minor_to_major};

/// Empty marketing rows offered for new commitments.
pub const NEW_MARKETING_ROWS: usize = 2;

/// One quarter of the form: its milestone field and one count per activity kind.
pub struct QuarterFields {
    pub quarter: u8,
    pub milestone: String,
    pub activities: Vec<(String, &'static str)>,
}

/// Field names, shared by the template (through [`fill`]) and [`parse`].
fn milestone_field(q: u8) -> String {
    format!("milestone_q{q}")
}

fn activity_field(kind: PlanActivityKind, q: u8) -> String {
    format!("activity_{}_q{q}", kind.as_str())
}

/// The grid the template lays out: field names per quarter.
pub fn quarters() -> Vec<QuarterFields> {
    (1..=4)
        .map(|q| QuarterFields {
            quarter: q,
            milestone: milestone_field(q),
            activities: PlanActivityKind::ALL
                .iter()
                .map(|k| (activity_field(*k, q), k.label()))
                .collect(),
        })
        .collect()
}

/// The form's values for the plan's current content.
pub fn fill(content: &PlanContent, exponent: u32) -> FormView {
    let mut f = FormView::default();
    for m in &content.milestones {
        f.set(
            &milestone_field(m.quarter),
            minor_to_major(m.sourced_arr_minor, exponent),
        );
    }
    for a in &content.activities {
        f.set(&activity_field(a.kind, a.quarter), a.count.to_string());
    }
    for id in &content.target_account_ids {
        f.set(&format!("account_{}", id.as_str()), "on");
    }
    for (i, m) in content.marketing.iter().enumerate() {
        f.set(&format!("marketing_kind_{i}"), m.kind.as_str());
        f.set(&format!("marketing_title_{i}"), m.title.clone());
        f.set(&format!("marketing_on_{i}"), m.on.to_string());
    }
    if content.cadence.monthly_pipeline_review {
        f.set("monthly_pipeline_review", "on");
    }
    if content.cadence.quarterly_business_review {
        f.set("quarterly_business_review", "on");
    }
    f
}

/// The marketing rows the form shows: the plan's, then empty ones.
pub fn marketing_rows(content: &PlanContent) -> Vec<usize> {
    (0..content.marketing.len() + NEW_MARKETING_ROWS).collect()
}

/// The content posted, every error naming its field. `accounts` are the account ids the
/// form offered (a checkbox for anything else is ignored).
pub fn parse(p: &Posted, accounts: &[String], exponent: u32) -> Result<PlanContent, Invalid> {
    let mut inv = Invalid::new();
    let mut content = PlanContent {
        cadence: Cadence {
            monthly_pipeline_review: p.get("monthly_pipeline_review").is_some(),
            quarterly_business_review: p.get("quarterly_business_review").is_some(),
        },
        ..PlanContent::default()
    };
    let filled = |name: &str| {
        p.get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    for q in 1..=4u8 {
        let field = milestone_field(q);
        if let Some(raw) = filled(&field) {
            match major_to_minor(&field, &raw, exponent) {
                Ok(0) => {}
                Ok(minor) => content.milestones.push(Milestone {
                    quarter: q,
                    sourced_arr_minor: minor,
                }),
                Err(e) => inv.errors.extend(e.errors),
            }
        }
        for kind in PlanActivityKind::ALL {
            let field = activity_field(*kind, q);
            if let Some(raw) = filled(&field) {
                match raw.parse::<u32>() {
                    Ok(0) => {}
                    Ok(count) => content.activities.push(ActivityCommitment {
                        quarter: q,
                        kind: *kind,
                        count,
                    }),
                    Err(_) => inv.add(
                        &field,
                        "count",
                        format!(
                            "{field} must be a whole number of {}",
                            kind.label().to_lowercase()
                        ),
                    ),
                }
            }
        }
    }
    for id in accounts {
        if p.get(&format!("account_{id}")).is_some() {
            content
                .target_account_ids
                .push(AccountId::from_trusted(id.clone()));
        }
    }
    let mut i = 0;
    while p.get(&format!("marketing_title_{i}")).is_some() {
        let title = filled(&format!("marketing_title_{i}"));
        let on = filled(&format!("marketing_on_{i}"));
        if let Some(title) = title {
            let kind_field = format!("marketing_kind_{i}");
            let kind = inv.check(MarketingKind::parse(
                &kind_field,
                &p.get(&kind_field).unwrap_or_default(),
            ));
            let on_field = format!("marketing_on_{i}");
            let day = match on
                .as_deref()
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
            {
                Some(Ok(d)) => Some(d),
                _ => {
                    inv.add(
                        &on_field,
                        "date",
                        format!("{on_field} must be a date (YYYY-MM-DD) for \"{title}\""),
                    );
                    None
                }
            };
            if let (Some(kind), Some(on)) = (kind, day) {
                content
                    .marketing
                    .push(MarketingCommitment { kind, title, on });
            }
        } else if on.is_some() {
            let field = format!("marketing_title_{i}");
            inv.add(
                &field,
                "required",
                format!("{field}: a dated commitment needs a title"),
            );
        }
        i += 1;
    }
    if inv.is_empty() {
        Ok(content)
    } else {
        Err(inv)
    }
}
