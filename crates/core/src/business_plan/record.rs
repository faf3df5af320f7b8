//! A plan's content as the partner and the vendor write it, checked, and the plan as shown.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::ids::{
    AccountId, BusinessPlanId, EntityId, PartnerId, PlanReviewId, PlanTaskId, ProgramId, UserId,
    parse_id,
};
use crate::kernel::invalid::text;
use crate::kernel::money::Currency;
use crate::partner::parse_date;
use crate::{FieldError, Invalid, text_enum};

/// Most target accounts a plan names.
pub const MAX_TARGET_ACCOUNTS: usize = 200;
/// Longest plan title and marketing title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most marketing commitments.
pub const MAX_MARKETING: usize = 100;
/// Days after a review its next steps are due unless it says otherwise.
pub const NEXT_STEPS_DUE_DAYS: i64 = 14;
/// Longest next step (a task's title), in characters.
pub const MAX_NEXT_STEP_CHARS: usize = 500;

text_enum!(
    /// Where a plan stands: a draft until both sides sign, then agreed; an amendment makes
    /// a new draft version that both sign again.
    PlanStatus {
        Draft = "draft" / "Draft",
        Agreed = "agreed" / "Agreed",
    }
);

text_enum!(
    /// Selling activities a partner commits to per quarter.
    PlanActivityKind {
        DiscoveryCall = "discovery_call" / "Discovery calls",
        Demo = "demo" / "Demos",
        Proposal = "proposal" / "Proposals",
    }
);

text_enum!(
    /// Marketing the two sides commit to.
    MarketingKind {
        Event = "event" / "Event",
        OutboundCampaign = "outbound_campaign" / "Outbound campaign",
        CoBrandedContent = "co_branded_content" / "Co-branded content",
    }
);

text_enum!(
    /// The reviews of the cadence.
    ReviewKind {
        MonthlyPipelineReview = "monthly_pipeline_review" / "Monthly pipeline review",
        QuarterlyBusinessReview = "quarterly_business_review" / "Quarterly business review",
    }
);

/// A quarter's sourced-ARR milestone, in the plan's currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// 1 to 4, from the plan's start.
    pub quarter: u8,
    pub sourced_arr_minor: i64,
}

/// How many of an activity the partner commits to in a quarter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityCommitment {
    pub quarter: u8,
    pub kind: PlanActivityKind,
    pub count: u32,
}

/// A dated marketing commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarketingCommitment {
    pub kind: MarketingKind,
    pub title: String,
    pub on: NaiveDate,
}

/// Which reviews the plan commits to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Cadence {
    pub monthly_pipeline_review: bool,
    pub quarterly_business_review: bool,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            monthly_pipeline_review: true,
            quarterly_business_review: true,
        }
    }
}

/// What a plan contains (seed 001, Step 3): named accounts, not a vertical or a territory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PlanContent {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub target_account_ids: Vec<AccountId>,
    pub milestones: Vec<Milestone>,
    pub activities: Vec<ActivityCommitment>,
    pub marketing: Vec<MarketingCommitment>,
    pub cadence: Cadence,
}

/// The first day of quarter `q` (1-based) of a plan starting on `start`.
pub fn quarter_start(start: NaiveDate, q: u8) -> NaiveDate {
    start + Months::new(3 * u32::from(q.saturating_sub(1)))
}

/// The last day of quarter `q`.
pub fn quarter_end(start: NaiveDate, q: u8) -> NaiveDate {
    quarter_start(start, q + 1)
        .pred_opt()
        .unwrap_or(NaiveDate::MAX)
}

/// The last day of a plan (four quarters).
pub fn period_end(start: NaiveDate) -> NaiveDate {
    quarter_end(start, 4)
}

impl PlanContent {
    /// Checks the content of a plan starting on `period_start`; errors name the item
    /// (`milestones[1].quarter`).
    pub fn check(&self, period_start: NaiveDate) -> Result<(), Invalid> {
        let mut inv = Invalid::new();
        if self.target_account_ids.len() > MAX_TARGET_ACCOUNTS {
            inv.add(
                "target_account_ids",
                "max_items",
                format!("a plan names at most {MAX_TARGET_ACCOUNTS} target accounts"),
            );
        }
        let unique: BTreeSet<&str> = self.target_account_ids.iter().map(|a| a.as_str()).collect();
        if unique.len() != self.target_account_ids.len() {
            inv.add(
                "target_account_ids",
                "unique",
                "target_account_ids names an account twice",
            );
        }
        let quarter = |inv: &mut Invalid, field: String, q: u8| {
            if !(1..=4).contains(&q) {
                inv.add(&field, "range", format!("{field} must be 1 to 4"));
            }
        };
        let mut seen = BTreeSet::new();
        for (i, m) in self.milestones.iter().enumerate() {
            quarter(&mut inv, format!("milestones[{i}].quarter"), m.quarter);
            if !seen.insert(m.quarter) {
                inv.add(
                    &format!("milestones[{i}].quarter"),
                    "unique",
                    format!("quarter {} has two milestones", m.quarter),
                );
            }
            if m.sourced_arr_minor < 0 {
                inv.add(
                    &format!("milestones[{i}].sourced_arr_minor"),
                    "non_negative",
                    "a milestone is 0 or more",
                );
            }
        }
        let mut seen = BTreeSet::new();
        for (i, a) in self.activities.iter().enumerate() {
            quarter(&mut inv, format!("activities[{i}].quarter"), a.quarter);
            if !seen.insert((a.quarter, a.kind.as_str())) {
                inv.add(
                    &format!("activities[{i}].kind"),
                    "unique",
                    format!("quarter {} commits to {} twice", a.quarter, a.kind),
                );
            }
        }
        if self.marketing.len() > MAX_MARKETING {
            inv.add(
                "marketing",
                "max_items",
                format!("a plan has at most {MAX_MARKETING} marketing commitments"),
            );
        }
        let end = period_end(period_start);
        for (i, m) in self.marketing.iter().enumerate() {
            if let Err(e) = text::required(
                &format!("marketing[{i}].title"),
                Some(&m.title),
                MAX_TITLE_CHARS,
            ) {
                inv.errors.push(e);
            }
            if m.on < period_start || m.on > end {
                inv.add(
                    &format!("marketing[{i}].on"),
                    "in_period",
                    format!(
                        "marketing[{i}].on must fall in the plan's period, {period_start} to {end}"
                    ),
                );
            }
        }
        inv.finish(|| Some(()))
    }

    /// The milestone of quarter `q`, 0 when none is set.
    pub fn milestone(&self, q: u8) -> i64 {
        self.milestones
            .iter()
            .find(|m| m.quarter == q)
            .map_or(0, |m| m.sourced_arr_minor)
    }
}

/// A plan as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusinessPlan {
    pub id: BusinessPlanId,
    pub program_id: ProgramId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub title: String,
    /// The first day of the plan's first quarter; the plan runs four quarters.
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Milestones are in this currency (the program's).
    pub currency: Currency,
    pub status: PlanStatus,
    pub version: i64,
    pub content: PlanContent,
    pub partner_signed_by: Option<UserId>,
    pub partner_signed_at: Option<DateTime<Utc>>,
    pub vendor_signed_by: Option<UserId>,
    pub vendor_signed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Raw input for a new plan.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub partner_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub title: Option<String>,
    /// `YYYY-MM-01`: plans start on the first day of a month.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub period_start: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub content: Option<PlanContent>,
}

/// A new plan, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanFields {
    pub partner_id: PartnerId,
    pub title: String,
    pub period_start: NaiveDate,
    pub content: PlanContent,
}

/// The first day of a month, as a plan's start.
pub fn parse_period_start(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    let d = parse_date(field, raw)?;
    if d.day() != 1 {
        return Err(FieldError::new(
            field,
            "first_of_month",
            format!("{field} must be the first day of a month (a plan runs whole quarters)"),
        ));
    }
    Ok(d)
}

impl PlanInput {
    pub fn parse(&self) -> Result<PlanFields, Invalid> {
        let mut inv = Invalid::new();
        let partner_id = match self
            .partner_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(parse_id::<PartnerId>("partner_id", raw)),
            None => inv.check(Err(FieldError::new(
                "partner_id",
                "required",
                "partner_id is required",
            ))),
        };
        let title = inv.check(text::required(
            "title",
            self.title.as_deref(),
            MAX_TITLE_CHARS,
        ));
        let period_start = match self
            .period_start
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(parse_period_start("period_start", raw)),
            None => inv.check(Err(FieldError::new(
                "period_start",
                "required",
                "period_start is required",
            ))),
        };
        let content = self.content.clone().unwrap_or_default();
        if let Some(start) = period_start
            && let Err(e) = content.check(start)
        {
            inv.errors.extend(e.errors);
        }
        inv.finish(|| {
            Some(PlanFields {
                partner_id: partner_id?,
                title: title?,
                period_start: period_start?,
                content,
            })
        })
    }
}

/// A change to a plan's title or content (a draft in place; an agreed plan as a new
/// version through an amendment, with a note).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanChange {
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub title: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub content: Option<PlanContent>,
    /// Why (required for an amendment).
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub change_note: Option<String>,
}

/// One version of a plan.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanVersion {
    pub version: i64,
    pub content: PlanContent,
    pub change_note: String,
    pub author_name: String,
    pub created_at: DateTime<Utc>,
}

/// What changed between two versions, one sentence per change.
pub fn diff(before: &PlanContent, after: &PlanContent) -> Vec<String> {
    let mut out = Vec::new();
    let b: BTreeSet<&str> = before
        .target_account_ids
        .iter()
        .map(|a| a.as_str())
        .collect();
    let a: BTreeSet<&str> = after
        .target_account_ids
        .iter()
        .map(|a| a.as_str())
        .collect();
    for added in a.difference(&b) {
        out.push(format!("target account {added} added"));
    }
    for removed in b.difference(&a) {
        out.push(format!("target account {removed} removed"));
    }
    for q in 1..=4u8 {
        let (x, y) = (before.milestone(q), after.milestone(q));
        if x != y {
            out.push(format!(
                "Q{q} sourced-ARR milestone {x} → {y} (minor units)"
            ));
        }
        for kind in PlanActivityKind::ALL {
            let count = |c: &PlanContent| {
                c.activities
                    .iter()
                    .find(|a| a.quarter == q && a.kind == *kind)
                    .map_or(0, |a| a.count)
            };
            let (x, y) = (count(before), count(after));
            if x != y {
                out.push(format!("Q{q} {} {x} → {y}", kind.label().to_lowercase()));
            }
        }
    }
    for m in &after.marketing {
        if !before.marketing.contains(m) {
            out.push(format!(
                "marketing added: {} \"{}\" on {}",
                m.kind.label(),
                m.title,
                m.on
            ));
        }
    }
    for m in &before.marketing {
        if !after.marketing.contains(m) {
            out.push(format!(
                "marketing removed: {} \"{}\" on {}",
                m.kind.label(),
                m.title,
                m.on
            ));
        }
    }
    if before.cadence != after.cadence {
        out.push(format!(
            "cadence: monthly pipeline review {} → {}, quarterly business review {} → {}",
            before.cadence.monthly_pipeline_review,
            after.cadence.monthly_pipeline_review,
            before.cadence.quarterly_business_review,
            after.cadence.quarterly_business_review
        ));
    }
    out
}

/// A recorded review.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanReview {
    pub id: crate::kernel::ids::PlanReviewId,
    pub plan_id: BusinessPlanId,
    pub kind: ReviewKind,
    pub held_on: NaiveDate,
    /// Who attended, from both sides.
    pub attendees: Vec<String>,
    pub notes: String,
    pub decisions: Vec<String>,
    pub next_steps: Vec<String>,
    pub recorded_by_name: String,
    pub created_at: DateTime<Utc>,
}

/// Raw input for a review.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub kind: Option<String>,
    /// `YYYY-MM-DD`, not after today.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub held_on: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub attendees: Option<Vec<String>>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub notes: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub decisions: Option<Vec<String>>,
    /// Each next step becomes a plan task.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub next_steps: Option<Vec<String>>,
    /// Who owns the next steps' tasks: a user of either side who may see the plan
    /// (default: the user recording the review).
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub next_step_owner_id: Option<String>,
    /// `YYYY-MM-DD`, not before `held_on` (default: `held_on` + 14 days).
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub next_steps_due_on: Option<String>,
}

/// A review, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewFields {
    pub kind: ReviewKind,
    pub held_on: NaiveDate,
    pub attendees: Vec<String>,
    pub notes: String,
    pub decisions: Vec<String>,
    pub next_steps: Vec<String>,
    /// The tasks' owner when named; the store checks they may see the plan.
    pub next_step_owner_id: Option<UserId>,
    pub next_steps_due_on: NaiveDate,
}

impl ReviewInput {
    pub fn parse(&self, today: NaiveDate) -> Result<ReviewFields, Invalid> {
        let mut inv = Invalid::new();
        let kind = match self
            .kind
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(ReviewKind::parse("kind", raw)),
            None => inv.check(Err(FieldError::new("kind", "required", "kind is required"))),
        };
        let held_on = match self
            .held_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => match inv.check(parse_date("held_on", raw)) {
                Some(d) if d > today => inv.check(Err(FieldError::new(
                    "held_on",
                    "not_in_future",
                    format!("held_on must not be after today ({today})"),
                ))),
                other => other,
            },
            None => inv.check(Err(FieldError::new(
                "held_on",
                "required",
                "held_on is required",
            ))),
        };
        let lines = |v: &Option<Vec<String>>| -> Vec<String> {
            v.iter()
                .flatten()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let attendees = lines(&self.attendees);
        if attendees.is_empty() {
            inv.add(
                "attendees",
                "required",
                "a review has attendees from both sides",
            );
        }
        let notes = inv
            .check(text::multiline_optional(
                "notes",
                self.notes.as_deref(),
                10_000,
            ))
            .flatten()
            .unwrap_or_default();
        let next_steps = lines(&self.next_steps);
        for (i, step) in next_steps.iter().enumerate() {
            if step.chars().count() > MAX_NEXT_STEP_CHARS {
                inv.add(
                    &format!("next_steps[{i}]"),
                    "max_length",
                    format!("a next step is at most {MAX_NEXT_STEP_CHARS} characters"),
                );
            }
        }
        let owner = match self
            .next_step_owner_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(parse_id::<UserId>("next_step_owner_id", raw)),
            None => None,
        };
        let due_on = match self
            .next_steps_due_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => match (inv.check(parse_date("next_steps_due_on", raw)), held_on) {
                (Some(d), Some(held)) if d < held => inv.check(Err(FieldError::new(
                    "next_steps_due_on",
                    "not_before_held_on",
                    format!("next_steps_due_on must not be before the review ({held})"),
                ))),
                (other, _) => other,
            },
            None => held_on.map(|h| h + chrono::TimeDelta::days(NEXT_STEPS_DUE_DAYS)),
        };
        inv.finish(|| {
            Some(ReviewFields {
                kind: kind?,
                held_on: held_on?,
                attendees,
                notes,
                decisions: lines(&self.decisions),
                next_steps,
                next_step_owner_id: owner,
                next_steps_due_on: due_on?,
            })
        })
    }
}

text_enum!(
    /// Where a plan task stands.
    PlanTaskStatus {
        Open = "open" / "Open",
        Done = "done" / "Done",
    }
);

/// A task of a plan: one next step of a review, owned by one user of either side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanTask {
    pub id: PlanTaskId,
    pub plan_id: BusinessPlanId,
    /// The review whose next step it is.
    pub review_id: PlanReviewId,
    pub title: String,
    pub owner_id: UserId,
    pub owner_name: String,
    pub due_on: NaiveDate,
    pub status: PlanTaskStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

/// A change to a plan task: its status.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanTaskPatch {
    /// `open` or `done`.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub status: Option<String>,
}

impl PlanTaskPatch {
    pub fn parse(&self) -> Result<PlanTaskStatus, Invalid> {
        match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => Ok(PlanTaskStatus::parse("status", raw)?),
            None => Err(Invalid::one("status", "required", "status is required")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn next_steps_are_due_two_weeks_after_the_review_unless_said() {
        let today = d(2027, 3, 1);
        let input = |due: Option<&str>, owner: Option<&str>| ReviewInput {
            kind: Some("monthly_pipeline_review".into()),
            held_on: Some("2027-02-20".into()),
            attendees: Some(vec!["Ana".into()]),
            next_steps: Some(vec![" Send the deck ".into(), "".into()]),
            next_step_owner_id: owner.map(str::to_owned),
            next_steps_due_on: due.map(str::to_owned),
            ..ReviewInput::default()
        };
        let f = input(None, None).parse(today).unwrap();
        assert_eq!(f.next_steps, ["Send the deck"]);
        assert_eq!(f.next_steps_due_on, d(2027, 3, 6));
        assert_eq!(f.next_step_owner_id, None);
        let f = input(
            Some("2027-04-01"),
            Some("usr_0192f0c4a1b27c3d8e9f001122334455"),
        )
        .parse(today)
        .unwrap();
        assert_eq!(f.next_steps_due_on, d(2027, 4, 1));
        assert!(f.next_step_owner_id.is_some());
        let e = input(Some("2027-02-19"), Some("ptr_x"))
            .parse(today)
            .unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("next_step_owner_id", "id"),
                ("next_steps_due_on", "not_before_held_on")
            ]
        );
        assert!(
            PlanTaskPatch {
                status: Some("cancelled".into())
            }
            .parse()
            .is_err()
        );
        assert_eq!(
            PlanTaskPatch {
                status: Some("done".into())
            }
            .parse()
            .unwrap(),
            PlanTaskStatus::Done
        );
    }

    fn acc(n: u8) -> AccountId {
        AccountId::from_parts(&format!("{n:032x}"))
    }

    #[test]
    fn quarters_run_from_the_start_month_across_years() {
        let start = d(2026, 11, 1);
        assert_eq!(quarter_start(start, 2), d(2027, 2, 1));
        assert_eq!(quarter_end(start, 1), d(2027, 1, 31));
        assert_eq!(quarter_end(start, 2), d(2027, 4, 30));
        assert_eq!(period_end(start), d(2027, 10, 31));
    }

    #[test]
    fn content_checks_name_the_item() {
        let c = PlanContent {
            target_account_ids: vec![acc(1), acc(1)],
            milestones: vec![
                Milestone {
                    quarter: 1,
                    sourced_arr_minor: 10,
                },
                Milestone {
                    quarter: 1,
                    sourced_arr_minor: 20,
                },
                Milestone {
                    quarter: 5,
                    sourced_arr_minor: -1,
                },
            ],
            activities: vec![],
            marketing: vec![MarketingCommitment {
                kind: MarketingKind::Event,
                title: " ".into(),
                on: d(2028, 1, 1),
            }],
            cadence: Cadence::default(),
        };
        let e = c.check(d(2027, 1, 1)).unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("target_account_ids", "unique"),
                ("milestones[1].quarter", "unique"),
                ("milestones[2].quarter", "range"),
                ("milestones[2].sourced_arr_minor", "non_negative"),
                ("marketing[0].title", "required"),
                ("marketing[0].on", "in_period"),
            ]
        );
    }

    #[test]
    fn a_plan_starts_on_the_first_of_a_month() {
        let e = PlanInput {
            partner_id: None,
            title: Some("FY27".into()),
            period_start: Some("2027-01-15".into()),
            content: None,
        }
        .parse()
        .unwrap_err();
        let got: Vec<&str> = e.errors.iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(got, ["required", "first_of_month"]);
    }

    #[test]
    fn the_diff_says_what_changed() {
        let before = PlanContent {
            target_account_ids: vec![acc(1)],
            milestones: vec![Milestone {
                quarter: 1,
                sourced_arr_minor: 100,
            }],
            ..PlanContent::default()
        };
        let mut after = before.clone();
        after.target_account_ids.push(acc(2));
        after.milestones[0].sourced_arr_minor = 150;
        after.activities.push(ActivityCommitment {
            quarter: 2,
            kind: PlanActivityKind::Demo,
            count: 6,
        });
        let changes = diff(&before, &after);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert!(changes[0].contains("added"));
        assert!(changes[1].contains("Q1 sourced-ARR milestone 100 → 150"));
        assert!(changes[2].contains("Q2 demos 0 → 6"));
        assert!(diff(&after, &after).is_empty());
    }

    #[test]
    fn reviews_need_attendees_and_a_past_day() {
        let today = d(2027, 3, 1);
        let e = ReviewInput {
            kind: Some("quarterly_business_review".into()),
            held_on: Some("2027-03-02".into()),
            ..ReviewInput::default()
        }
        .parse(today)
        .unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            [("held_on", "not_in_future"), ("attendees", "required")]
        );
    }
}
