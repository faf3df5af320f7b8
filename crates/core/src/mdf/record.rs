//! MDF records as the API shows them, and the inputs that create and decide them. Inputs
//! are parsed here into validated values (every field error at once); the store checks what
//! needs data (the budget's currency, the partner's plan) and moves the money.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::rules::{ActivityType, ClaimState, MAX_REASON_CHARS, MAX_REFERENCE_CHARS, RequestState};
use crate::FieldError;
use crate::Invalid;
use crate::ids::{
    BusinessPlanId, MdfAllocationId, MdfBudgetId, MdfClaimId, MdfRequestId, OpportunityId,
    PartnerId, ProgramId, UserId, parse_id,
};
use crate::kernel::invalid::text;
use crate::money::{Currency, Money};
use crate::partner::parse_date;

/// Longest budget name and request title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest proof-of-performance summary, in characters.
pub const MAX_PROOF_CHARS: usize = 4000;

/// A program's MDF budget for a period.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Budget {
    pub id: MdfBudgetId,
    pub program_id: ProgramId,
    pub name: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub amount: Money,
    /// What is not yet allocated to partners.
    pub remaining: Money,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A partner's share of a budget.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allocation {
    pub id: MdfAllocationId,
    pub budget_id: MdfBudgetId,
    pub budget_name: String,
    /// The budget's program.
    pub program_id: ProgramId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub amount: Money,
    /// What is not committed to requests (submitted, approved or claimed).
    pub remaining: Money,
    /// The last day the allocation may fund a new request.
    pub expires_on: NaiveDate,
    /// The joint business plan whose marketing commitment it funds, if any.
    pub business_plan_id: Option<BusinessPlanId>,
    /// Index of that commitment in the plan's `marketing` list, and its title then.
    pub marketing_index: Option<i64>,
    pub marketing_title: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A partner's request for funds for one activity.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MdfRequest {
    pub id: MdfRequestId,
    pub allocation_id: MdfAllocationId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub activity_type: ActivityType,
    pub title: String,
    pub planned: Money,
    /// What the request holds of the allocation now: the planned cost while submitted, the
    /// approved amount once approved, the approved claim once a claim is approved, 0 when
    /// rejected or cancelled.
    pub committed: Money,
    pub approved: Option<Money>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub expected_leads: i64,
    pub expected_pipeline: Money,
    pub state: RequestState,
    /// The decision's reason (approval or rejection).
    pub reason: Option<String>,
    pub submitted_by: Option<UserId>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A claim on an approved request, with its proof of performance.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Claim {
    pub id: MdfClaimId,
    pub request_id: MdfRequestId,
    pub request_title: String,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub claimed: Money,
    pub approved: Option<Money>,
    /// What was done and what it produced, in the partner's words.
    pub proof_summary: String,
    /// Proof-of-performance files (ids in the file store); the `mdf_claim_proofs` relation.
    pub proof: Vec<String>,
    pub state: ClaimState,
    pub reason: Option<String>,
    pub payment_reference: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub submitted_by: Option<UserId>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A request with its claim and linked opportunities.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestDetail {
    pub request: MdfRequest,
    /// The last day a claim may be submitted.
    pub claim_deadline: NaiveDate,
    pub claim: Option<Claim>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub opportunity_ids: Vec<OpportunityId>,
}

fn required<T>(
    inv: &mut Invalid,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
) -> Option<T> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => inv.check(parse(field, s)),
        None => {
            inv.add(field, "required", format!("{field} is required"));
            None
        }
    }
}

fn positive(inv: &mut Invalid, field: &str, raw: Option<i64>) -> Option<i64> {
    match raw {
        Some(n) if n > 0 => Some(n),
        Some(_) => {
            inv.add(field, "positive", format!("{field} must be more than 0"));
            None
        }
        None => {
            inv.add(field, "required", format!("{field} is required"));
            None
        }
    }
}

fn dates_in_order(
    inv: &mut Invalid,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    field: &str,
    start_field: &str,
) {
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        inv.add(
            field,
            "after_start",
            format!("{field} must be on or after {start_field} ({s})"),
        );
    }
}

/// A new budget.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub program_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub amount_minor: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub period_start: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub period_end: Option<String>,
}

/// A validated new budget.
#[derive(Clone, Debug)]
pub struct NewBudget {
    pub program_id: ProgramId,
    pub name: String,
    pub amount: Money,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

impl BudgetInput {
    pub fn parse(&self) -> Result<NewBudget, Invalid> {
        let mut inv = Invalid::new();
        let program_id = required(&mut inv, "program_id", self.program_id.as_deref(), parse_id);
        let name = inv.check(text::required(
            "name",
            self.name.as_deref(),
            MAX_TITLE_CHARS,
        ));
        let amount = positive(&mut inv, "amount_minor", self.amount_minor);
        let currency = required(
            &mut inv,
            "currency",
            self.currency.as_deref(),
            Currency::parse,
        );
        let start = required(
            &mut inv,
            "period_start",
            self.period_start.as_deref(),
            parse_date,
        );
        let end = required(
            &mut inv,
            "period_end",
            self.period_end.as_deref(),
            parse_date,
        );
        dates_in_order(&mut inv, start, end, "period_end", "period_start");
        inv.finish(|| {
            Some(NewBudget {
                program_id: program_id?,
                name: name?,
                amount: Money::new(amount?, currency?),
                period_start: start?,
                period_end: end?,
            })
        })
    }
}

/// A new allocation from a budget to a partner.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub budget_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub partner_id: Option<String>,
    /// In the budget's currency.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub amount_minor: Option<i64>,
    /// The last day it may fund a request (default: the budget's period end).
    pub expires_on: Option<String>,
    /// The partner's joint business plan whose marketing commitment this funds.
    pub business_plan_id: Option<String>,
    /// Which of that plan's marketing commitments (0-based, as listed).
    pub marketing_index: Option<i64>,
}

/// A validated new allocation.
#[derive(Clone, Debug)]
pub struct NewAllocation {
    pub budget_id: MdfBudgetId,
    pub partner_id: PartnerId,
    pub amount_minor: i64,
    pub expires_on: Option<NaiveDate>,
    pub business_plan_id: Option<BusinessPlanId>,
    pub marketing_index: Option<i64>,
}

impl AllocationInput {
    pub fn parse(&self) -> Result<NewAllocation, Invalid> {
        let mut inv = Invalid::new();
        let budget_id = required(&mut inv, "budget_id", self.budget_id.as_deref(), parse_id);
        let partner_id = required(&mut inv, "partner_id", self.partner_id.as_deref(), parse_id);
        let amount = positive(&mut inv, "amount_minor", self.amount_minor);
        let expires_on = self
            .expires_on
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| inv.check(parse_date("expires_on", s)));
        let plan = self
            .business_plan_id
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| inv.check(parse_id("business_plan_id", s)));
        if self.marketing_index.is_some() && self.business_plan_id.is_none() {
            inv.add(
                "marketing_index",
                "needs_plan",
                "marketing_index names a commitment of a plan: give business_plan_id too",
            );
        }
        if let Some(i) = self.marketing_index
            && i < 0
        {
            inv.add(
                "marketing_index",
                "non_negative",
                "marketing_index must be 0 or more",
            );
        }
        inv.finish(|| {
            Some(NewAllocation {
                budget_id: budget_id?,
                partner_id: partner_id?,
                amount_minor: amount?,
                expires_on,
                business_plan_id: plan,
                marketing_index: self.marketing_index,
            })
        })
    }
}

/// A partner's new request.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub allocation_id: Option<String>,
    /// event, campaign, content or paid_media.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub activity_type: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub title: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub planned_minor: Option<i64>,
    /// The allocation's currency.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub starts_on: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub ends_on: Option<String>,
    pub expected_leads: Option<i64>,
    /// Pipeline the activity should create, in the same currency.
    pub expected_pipeline_minor: Option<i64>,
}

/// A validated new request.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub allocation_id: MdfAllocationId,
    pub activity_type: ActivityType,
    pub title: String,
    pub planned: Money,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub expected_leads: i64,
    pub expected_pipeline_minor: i64,
}

impl RequestInput {
    pub fn parse(&self) -> Result<NewRequest, Invalid> {
        let mut inv = Invalid::new();
        let allocation_id = required(
            &mut inv,
            "allocation_id",
            self.allocation_id.as_deref(),
            parse_id,
        );
        let activity_type = required(
            &mut inv,
            "activity_type",
            self.activity_type.as_deref(),
            ActivityType::parse,
        );
        let title = inv.check(text::required(
            "title",
            self.title.as_deref(),
            MAX_TITLE_CHARS,
        ));
        let planned = positive(&mut inv, "planned_minor", self.planned_minor);
        let currency = required(
            &mut inv,
            "currency",
            self.currency.as_deref(),
            Currency::parse,
        );
        let starts_on = required(&mut inv, "starts_on", self.starts_on.as_deref(), parse_date);
        let ends_on = required(&mut inv, "ends_on", self.ends_on.as_deref(), parse_date);
        dates_in_order(&mut inv, starts_on, ends_on, "ends_on", "starts_on");
        let leads = self.expected_leads.unwrap_or(0);
        if leads < 0 {
            inv.add(
                "expected_leads",
                "non_negative",
                "expected_leads must be 0 or more",
            );
        }
        let pipeline = self.expected_pipeline_minor.unwrap_or(0);
        if pipeline < 0 {
            inv.add(
                "expected_pipeline_minor",
                "non_negative",
                "expected_pipeline_minor must be 0 or more",
            );
        }
        inv.finish(|| {
            Some(NewRequest {
                allocation_id: allocation_id?,
                activity_type: activity_type?,
                title: title?,
                planned: Money::new(planned?, currency?),
                starts_on: starts_on?,
                ends_on: ends_on?,
                expected_leads: leads,
                expected_pipeline_minor: pipeline,
            })
        })
    }
}

/// Staff decide a request: approve (all of it, or `approved_minor`) or reject, with a reason.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// Approvals only: the amount approved (default: the planned cost).
    pub approved_minor: Option<i64>,
    /// Required when rejecting, or when approving less than asked.
    pub reason: Option<String>,
}

impl DecisionInput {
    /// The reason, required when `needed`.
    pub fn reason(&self, needed: bool) -> Result<Option<String>, Invalid> {
        let reason = text::optional("reason", self.reason.as_deref(), MAX_REASON_CHARS)?;
        if needed && reason.is_none() {
            return Err(Invalid::one(
                "reason",
                "required",
                "reason is required when rejecting or approving less than asked",
            ));
        }
        Ok(reason)
    }
}

/// The partner's claim on an approved request.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    /// At most the approved amount, in the request's currency.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub claimed_minor: Option<i64>,
    /// What was done and what it produced.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub proof_summary: Option<String>,
    /// Proof-of-performance files, uploaded first (`POST /api/v1/files`, purpose `proof`):
    /// at least one, the partner's own.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub proof_file_ids: Option<Vec<String>>,
}

/// Most proof files on one claim.
pub const MAX_PROOF_FILES: usize = 20;

/// A claim, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimFields {
    pub claimed_minor: i64,
    pub proof_summary: String,
    pub proof_files: Vec<crate::ids::FileId>,
}

impl ClaimInput {
    pub fn parse(&self) -> Result<ClaimFields, Invalid> {
        let mut inv = Invalid::new();
        let claimed = positive(&mut inv, "claimed_minor", self.claimed_minor);
        let proof = inv.check(text::required(
            "proof_summary",
            self.proof_summary.as_deref(),
            MAX_PROOF_CHARS,
        ));
        let ids = self.proof_file_ids.as_deref().unwrap_or_default();
        let mut files = Vec::new();
        if ids.is_empty() {
            inv.add(
                "proof_file_ids",
                "required",
                "attach at least one proof-of-performance file (photos, attendee lists, invoices)",
            );
        } else if ids.len() > MAX_PROOF_FILES {
            inv.add(
                "proof_file_ids",
                "max_items",
                format!("attach at most {MAX_PROOF_FILES} files to one claim"),
            );
        }
        for (i, raw) in ids.iter().take(MAX_PROOF_FILES).enumerate() {
            if let Some(id) = inv.check(crate::ids::parse_id(&format!("proof_file_ids[{i}]"), raw))
                && !files.contains(&id)
            {
                files.push(id);
            }
        }
        inv.finish(|| {
            Some(ClaimFields {
                claimed_minor: claimed?,
                proof_summary: proof?,
                proof_files: files,
            })
        })
    }
}

/// Finance marks an approved claim paid.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PayClaimInput {
    /// The payment's reference in the accounts-payable system.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub reference: Option<String>,
    /// The payment date (default: today).
    pub paid_on: Option<String>,
}

impl PayClaimInput {
    pub fn parse(&self, today: NaiveDate) -> Result<(String, NaiveDate), Invalid> {
        let mut inv = Invalid::new();
        let reference = inv.check(text::required(
            "reference",
            self.reference.as_deref(),
            MAX_REFERENCE_CHARS,
        ));
        let paid_on = match self.paid_on.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => inv.check(parse_date("paid_on", s)),
            None => Some(today),
        };
        inv.finish(|| Some((reference?, paid_on?)))
    }
}

/// Links an opportunity to a funded activity.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub opportunity_id: Option<String>,
}

impl LinkInput {
    pub fn parse(&self) -> Result<OpportunityId, Invalid> {
        let mut inv = Invalid::new();
        let id = required(
            &mut inv,
            "opportunity_id",
            self.opportunity_id.as_deref(),
            parse_id,
        );
        inv.finish(|| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(e: Invalid) -> Vec<(String, String)> {
        e.errors.into_iter().map(|e| (e.field, e.rule)).collect()
    }

    #[test]
    fn a_request_names_every_broken_field() {
        let e = RequestInput {
            allocation_id: Some("ptr_x".into()),
            activity_type: Some("party".into()),
            title: None,
            planned_minor: Some(0),
            currency: Some("XYZ".into()),
            starts_on: Some("2026-10-10".into()),
            ends_on: Some("2026-10-01".into()),
            expected_leads: Some(-1),
            expected_pipeline_minor: Some(-1),
        }
        .parse()
        .unwrap_err();
        let got = rules(e);
        for want in [
            ("allocation_id", "id"),
            ("activity_type", "one_of"),
            ("title", "required"),
            ("planned_minor", "positive"),
            ("currency", "iso_4217"),
            ("ends_on", "after_start"),
            ("expected_leads", "non_negative"),
            ("expected_pipeline_minor", "non_negative"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} missing from {got:?}"
            );
        }
    }

    #[test]
    fn a_one_day_activity_and_a_budget_of_one_day_are_fine() {
        let r = RequestInput {
            allocation_id: Some("mda_0192f0c4a1b27c3d8e9f001122334455".into()),
            activity_type: Some("paid_media".into()),
            title: Some("Search ads".into()),
            planned_minor: Some(1),
            currency: Some("usd".into()),
            starts_on: Some("2026-10-01".into()),
            ends_on: Some("2026-10-01".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(r.activity_type, ActivityType::PaidMedia);
        assert_eq!(r.expected_leads, 0);
        let b = BudgetInput {
            program_id: Some("prg_0192f0c4a1b27c3d8e9f001122334455".into()),
            name: Some("Q4".into()),
            amount_minor: Some(100),
            currency: Some("EUR".into()),
            period_start: Some("2026-10-01".into()),
            period_end: Some("2026-10-01".into()),
        }
        .parse()
        .unwrap();
        assert_eq!(b.amount.currency.as_str(), "EUR");
    }

    #[test]
    fn a_rejection_needs_a_reason_and_a_claim_a_proof_summary() {
        let d = DecisionInput::default();
        assert_eq!(rules(d.reason(true).unwrap_err())[0].1, "required");
        assert_eq!(d.reason(false).unwrap(), None);
        let e = ClaimInput {
            claimed_minor: Some(5),
            proof_summary: Some("  ".into()),
            proof_file_ids: Some(vec!["fil_0192f0c4a1b27c3d8e9f001122334455".into()]),
        }
        .parse()
        .unwrap_err();
        assert_eq!(rules(e), vec![("proof_summary".into(), "required".into())]);
    }

    #[test]
    fn a_claim_needs_proof_files_by_id() {
        let claim = |ids: Option<Vec<String>>| ClaimInput {
            claimed_minor: Some(5),
            proof_summary: Some("120 attendees".into()),
            proof_file_ids: ids,
        };
        assert_eq!(
            rules(claim(None).parse().unwrap_err()),
            vec![("proof_file_ids".into(), "required".into())]
        );
        assert_eq!(
            rules(claim(Some(vec!["photo.jpg".into()])).parse().unwrap_err()),
            vec![("proof_file_ids[0]".into(), "id".into())]
        );
        let many = vec!["fil_0192f0c4a1b27c3d8e9f001122334455".to_owned(); MAX_PROOF_FILES + 1];
        assert_eq!(
            rules(claim(Some(many)).parse().unwrap_err()),
            vec![("proof_file_ids".into(), "max_items".into())]
        );
        let twice = vec!["fil_0192f0c4a1b27c3d8e9f001122334455".to_owned(); 2];
        assert_eq!(claim(Some(twice)).parse().unwrap().proof_files.len(), 1);
        let e = PayClaimInput::default().parse(NaiveDate::MIN).unwrap_err();
        assert_eq!(rules(e), vec![("reference".into(), "required".into())]);
    }

    #[test]
    fn a_commitment_index_needs_its_plan() {
        let e = AllocationInput {
            budget_id: Some("mdb_0192f0c4a1b27c3d8e9f001122334455".into()),
            partner_id: Some("ptr_0192f0c4a1b27c3d8e9f001122334455".into()),
            amount_minor: Some(10),
            marketing_index: Some(0),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(
            rules(e),
            vec![("marketing_index".into(), "needs_plan".into())]
        );
    }
}
