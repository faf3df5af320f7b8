//! Market development funds: budgets, allocations, requests, claims and the opportunities
//! linked to funded activities (migration 0020). The rules are the core's
//! (`partnerops_core::mdf`); here they are read, written and scoped. Moves are in [`flow`],
//! the ROI read in [`roi`].
//!
//! Never overspent: each debit of a budget or an allocation is one conditional
//! `UPDATE … SET remaining_minor = remaining_minor - $x WHERE id = $id AND remaining_minor
//! >= $x` in the transaction of the change it pays for, checked by the rows it changed, and
//! the tables' `CHECK (remaining_minor >= 0)` stop any other path. A partner reads only its
//! own allocations, requests and claims (`scope::restrict`); budgets are the vendor's.

pub mod flow;
pub mod roi;

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::FieldError;
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::{
    BusinessPlanId, EntityId, MdfAllocationId, MdfBudgetId, MdfClaimId, MdfRequestId,
    OpportunityId, PartnerId, ProgramId, UserId,
};
use partnerops_core::mdf::MdfPolicy;
use partnerops_core::mdf::record::{Allocation, Budget, Claim, MdfRequest, RequestDetail};
use partnerops_core::mdf::rules::{ActivityType, ClaimState, RequestState, claim_deadline};
use partnerops_core::money::{Currency, Money};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::scope::{Action, Scope};

use crate::db::{Exec, Sql, row};
use crate::entity::{self, Archived, Entity};
use crate::{Result, Store, StoreError, policy};

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(format!("{}: {}", e.field, e.message))
}

fn currency(raw: &str) -> Result<Currency> {
    Currency::parse("currency", raw).map_err(corrupt)
}

row! {
    pub(crate) struct BudgetRow {
        id: String,
        program_id: String,
        name: String,
        period_start: NaiveDate,
        period_end: NaiveDate,
        amount_minor: i64,
        currency: String,
        remaining_minor: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

impl Entity for Budget {
    const KIND: EntityKind = EntityKind::MdfBudget;
    const TABLE: &'static str = "mdf_budgets";
    const SELECT: &'static str = "SELECT mdf_budgets.id, mdf_budgets.program_id, mdf_budgets.name, mdf_budgets.period_start, mdf_budgets.period_end, mdf_budgets.amount_minor, mdf_budgets.currency, mdf_budgets.remaining_minor, mdf_budgets.created_at, mdf_budgets.updated_at FROM mdf_budgets mdf_budgets WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("period_start", "mdf_budgets.period_start"),
        ("created_at", "mdf_budgets.created_at"),
    ];
    type Row = BudgetRow;

    fn from_row(r: BudgetRow) -> Result<Budget> {
        let c = currency(&r.currency)?;
        Ok(Budget {
            id: MdfBudgetId::from_trusted(r.id),
            program_id: ProgramId::from_trusted(r.program_id),
            name: r.name,
            period_start: r.period_start,
            period_end: r.period_end,
            amount: Money::new(r.amount_minor, c),
            remaining: Money::new(r.remaining_minor, c),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        None
    }

    fn archive_action(&self) -> Action<'_> {
        Action::ManageMdf
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "created_at" => SortKey::Time(self.created_at),
            _ => SortKey::Date(self.period_start),
        }
    }
}

row! {
    pub(crate) struct AllocationRow {
        id: String,
        budget_id: String,
        budget_name: String,
        program_id: String,
        partner_id: String,
        partner_name: String,
        amount_minor: i64,
        currency: String,
        remaining_minor: i64,
        expires_on: NaiveDate,
        business_plan_id: Option<String>,
        marketing_index: Option<i64>,
        marketing_title: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

impl Entity for Allocation {
    const KIND: EntityKind = EntityKind::MdfAllocation;
    const TABLE: &'static str = "mdf_allocations";
    const SELECT: &'static str = "SELECT mdf_allocations.id, mdf_allocations.budget_id, b.name AS budget_name, b.program_id, mdf_allocations.partner_id, p.name AS partner_name, mdf_allocations.amount_minor, mdf_allocations.currency, mdf_allocations.remaining_minor, mdf_allocations.expires_on, mdf_allocations.business_plan_id, mdf_allocations.marketing_index, mdf_allocations.marketing_title, mdf_allocations.created_at, mdf_allocations.updated_at FROM mdf_allocations mdf_allocations JOIN mdf_budgets b ON b.id = mdf_allocations.budget_id JOIN partners p ON p.id = mdf_allocations.partner_id WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("created_at", "mdf_allocations.created_at"),
        ("expires_on", "mdf_allocations.expires_on"),
    ];
    type Row = AllocationRow;

    fn from_row(r: AllocationRow) -> Result<Allocation> {
        let c = currency(&r.currency)?;
        Ok(Allocation {
            id: MdfAllocationId::from_trusted(r.id),
            budget_id: MdfBudgetId::from_trusted(r.budget_id),
            budget_name: r.budget_name,
            program_id: ProgramId::from_trusted(r.program_id),
            partner_id: PartnerId::from_trusted(r.partner_id),
            partner_name: r.partner_name,
            amount: Money::new(r.amount_minor, c),
            remaining: Money::new(r.remaining_minor, c),
            expires_on: r.expires_on,
            business_plan_id: r.business_plan_id.map(BusinessPlanId::from_trusted),
            marketing_index: r.marketing_index,
            marketing_title: r.marketing_title,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.partner_id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        Action::ManageMdf
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "expires_on" => SortKey::Date(self.expires_on),
            _ => SortKey::Time(self.created_at),
        }
    }
}

row! {
    pub(crate) struct RequestRow {
        id: String,
        allocation_id: String,
        partner_id: String,
        partner_name: String,
        activity_type: String,
        title: String,
        planned_minor: i64,
        currency: String,
        committed_minor: i64,
        approved_minor: Option<i64>,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        expected_leads: i64,
        expected_pipeline_minor: i64,
        state: String,
        reason: Option<String>,
        submitted_by: Option<String>,
        decided_by: Option<String>,
        decided_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

impl Entity for MdfRequest {
    const KIND: EntityKind = EntityKind::MdfRequest;
    const TABLE: &'static str = "mdf_requests";
    const SELECT: &'static str = "SELECT mdf_requests.id, mdf_requests.allocation_id, mdf_requests.partner_id, p.name AS partner_name, mdf_requests.activity_type, mdf_requests.title, mdf_requests.planned_minor, mdf_requests.currency, mdf_requests.committed_minor, mdf_requests.approved_minor, mdf_requests.starts_on, mdf_requests.ends_on, mdf_requests.expected_leads, mdf_requests.expected_pipeline_minor, mdf_requests.state, mdf_requests.reason, mdf_requests.submitted_by, mdf_requests.decided_by, mdf_requests.decided_at, mdf_requests.created_at, mdf_requests.updated_at FROM mdf_requests mdf_requests JOIN partners p ON p.id = mdf_requests.partner_id WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("created_at", "mdf_requests.created_at"),
        ("starts_on", "mdf_requests.starts_on"),
    ];
    type Row = RequestRow;

    fn from_row(r: RequestRow) -> Result<MdfRequest> {
        let c = currency(&r.currency)?;
        Ok(MdfRequest {
            id: MdfRequestId::from_trusted(r.id),
            allocation_id: MdfAllocationId::from_trusted(r.allocation_id),
            partner_id: PartnerId::from_trusted(r.partner_id),
            partner_name: r.partner_name,
            activity_type: ActivityType::parse("activity_type", &r.activity_type)
                .map_err(corrupt)?,
            title: r.title,
            planned: Money::new(r.planned_minor, c),
            committed: Money::new(r.committed_minor, c),
            approved: r.approved_minor.map(|a| Money::new(a, c)),
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            expected_leads: r.expected_leads,
            expected_pipeline: Money::new(r.expected_pipeline_minor, c),
            state: RequestState::parse("state", &r.state).map_err(corrupt)?,
            reason: r.reason,
            submitted_by: r.submitted_by.map(UserId::from_trusted),
            decided_by: r.decided_by.map(UserId::from_trusted),
            decided_at: r.decided_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.partner_id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        Action::ManageMdf
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "starts_on" => SortKey::Date(self.starts_on),
            _ => SortKey::Time(self.created_at),
        }
    }
}

row! {
    pub(crate) struct ClaimRow {
        id: String,
        request_id: String,
        request_title: String,
        partner_id: String,
        partner_name: String,
        claimed_minor: i64,
        currency: String,
        approved_minor: Option<i64>,
        proof_summary: String,
        state: String,
        reason: Option<String>,
        payment_reference: Option<String>,
        paid_on: Option<NaiveDate>,
        submitted_by: Option<String>,
        decided_by: Option<String>,
        decided_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

impl Entity for Claim {
    const KIND: EntityKind = EntityKind::MdfClaim;
    const TABLE: &'static str = "mdf_claims";
    const SELECT: &'static str = "SELECT mdf_claims.id, mdf_claims.request_id, r.title AS request_title, mdf_claims.partner_id, p.name AS partner_name, mdf_claims.claimed_minor, mdf_claims.currency, mdf_claims.approved_minor, mdf_claims.proof_summary, mdf_claims.state, mdf_claims.reason, mdf_claims.payment_reference, mdf_claims.paid_on, mdf_claims.submitted_by, mdf_claims.decided_by, mdf_claims.decided_at, mdf_claims.created_at, mdf_claims.updated_at FROM mdf_claims mdf_claims JOIN mdf_requests r ON r.id = mdf_claims.request_id JOIN partners p ON p.id = mdf_claims.partner_id WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] =
        &[("created_at", "mdf_claims.created_at")];
    type Row = ClaimRow;

    fn from_row(r: ClaimRow) -> Result<Claim> {
        let c = currency(&r.currency)?;
        Ok(Claim {
            id: MdfClaimId::from_trusted(r.id),
            request_id: MdfRequestId::from_trusted(r.request_id),
            request_title: r.request_title,
            partner_id: PartnerId::from_trusted(r.partner_id),
            partner_name: r.partner_name,
            claimed: Money::new(r.claimed_minor, c),
            approved: r.approved_minor.map(|a| Money::new(a, c)),
            proof_summary: r.proof_summary,
            proof: Vec::new(),
            state: ClaimState::parse("state", &r.state).map_err(corrupt)?,
            reason: r.reason,
            payment_reference: r.payment_reference,
            paid_on: r.paid_on,
            submitted_by: r.submitted_by.map(UserId::from_trusted),
            decided_by: r.decided_by.map(UserId::from_trusted),
            decided_at: r.decided_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.partner_id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        Action::ManageMdf
    }

    fn sort_key(&self, _field: &str) -> SortKey {
        SortKey::Time(self.created_at)
    }
}

/// Fills each claim's proof-of-performance file ids (one query for the page).
pub(crate) async fn with_proofs(x: &mut impl Exec, claims: &mut [Claim]) -> Result<()> {
    if claims.is_empty() {
        return Ok(());
    }
    row! { struct ProofRow { claim_id: String, file_id: String } }
    let mut q = Sql::new("SELECT claim_id, file_id FROM mdf_claim_proofs WHERE claim_id IN ");
    q.bind_in(claims.iter().map(|c| c.id.as_str()))
        .push(" ORDER BY added_at, file_id");
    for p in x.all::<ProofRow>(&q).await? {
        if let Some(c) = claims.iter_mut().find(|c| c.id.as_str() == p.claim_id) {
            c.proof.push(p.file_id);
        }
    }
    Ok(())
}

/// Filters for the allocation list.
#[derive(Clone, Debug, Default)]
pub struct AllocationFilter {
    pub budget_id: Option<MdfBudgetId>,
    pub partner_id: Option<PartnerId>,
}

/// Filters for the request list.
#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    pub allocation_id: Option<MdfAllocationId>,
    pub partner_id: Option<PartnerId>,
    pub state: Option<RequestState>,
}

/// Filters for the claim list.
#[derive(Clone, Debug, Default)]
pub struct ClaimFilter {
    pub partner_id: Option<PartnerId>,
    pub state: Option<ClaimState>,
}

/// The program's MDF section in force, with its version number.
pub(crate) async fn mdf_policy(x: &mut impl Exec, program_id: &str) -> Result<(MdfPolicy, i64)> {
    let v = policy::current_version(x, program_id).await?;
    Ok((v.policy.mdf, v.version))
}

impl Store {
    pub fn mdf_budget_sorts() -> Vec<&'static str> {
        entity::sort_names::<Budget>()
    }

    pub fn mdf_allocation_sorts() -> Vec<&'static str> {
        entity::sort_names::<Allocation>()
    }

    pub fn mdf_request_sorts() -> Vec<&'static str> {
        entity::sort_names::<MdfRequest>()
    }

    pub fn mdf_claim_sorts() -> Vec<&'static str> {
        entity::sort_names::<Claim>()
    }

    /// MDF budgets (vendor staff; a partner sees none).
    pub async fn mdf_budgets(
        &self,
        scope: &Scope,
        program_id: Option<&ProgramId>,
        page: &PageRequest,
    ) -> Result<Page<Budget>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(p) = program_id {
                q.push(" AND mdf_budgets.program_id = ").bind(p.as_str());
            }
        })
        .await
    }

    /// One budget.
    pub async fn mdf_budget(&self, scope: &Scope, id: &str) -> Result<Budget> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    /// Allocations (a partner: its own).
    pub async fn mdf_allocations(
        &self,
        scope: &Scope,
        filter: &AllocationFilter,
        page: &PageRequest,
    ) -> Result<Page<Allocation>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(b) = &filter.budget_id {
                q.push(" AND mdf_allocations.budget_id = ").bind(b.as_str());
            }
            if let Some(p) = &filter.partner_id {
                q.push(" AND mdf_allocations.partner_id = ")
                    .bind(p.as_str());
            }
        })
        .await
    }

    /// One allocation.
    pub async fn mdf_allocation(&self, scope: &Scope, id: &str) -> Result<Allocation> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    /// Requests (a partner: its own).
    pub async fn mdf_requests(
        &self,
        scope: &Scope,
        filter: &RequestFilter,
        page: &PageRequest,
    ) -> Result<Page<MdfRequest>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(a) = &filter.allocation_id {
                q.push(" AND mdf_requests.allocation_id = ")
                    .bind(a.as_str());
            }
            if let Some(p) = &filter.partner_id {
                q.push(" AND mdf_requests.partner_id = ").bind(p.as_str());
            }
            if let Some(s) = filter.state {
                q.push(" AND mdf_requests.state = ").bind(s.as_str());
            }
        })
        .await
    }

    /// One request with its claim deadline, claim and linked opportunities.
    pub async fn mdf_request(&self, scope: &Scope, id: &str) -> Result<RequestDetail> {
        let mut read = self.db.read();
        let request: MdfRequest = entity::fetch(&mut read, scope, id).await?;
        let allocation: Allocation =
            entity::fetch(&mut read, &Scope::Vendor, request.allocation_id.as_str()).await?;
        let (policy, _) = mdf_policy(&mut read, allocation.program_id.as_str()).await?;
        let mut q = Sql::new(Claim::SELECT);
        q.push(" AND mdf_claims.request_id = ").bind(id);
        let mut claims = read
            .all::<ClaimRow>(&q)
            .await?
            .into_iter()
            .map(Claim::from_row)
            .collect::<Result<Vec<_>>>()?;
        with_proofs(&mut read, &mut claims).await?;
        row! { struct LinkRow { opportunity_id: String } }
        let mut q =
            Sql::new("SELECT opportunity_id FROM mdf_request_opportunities WHERE request_id = ");
        q.bind(id).push(" ORDER BY linked_at, opportunity_id");
        let opportunity_ids = read
            .all::<LinkRow>(&q)
            .await?
            .into_iter()
            .map(|l| OpportunityId::from_trusted(l.opportunity_id))
            .collect();
        Ok(RequestDetail {
            claim_deadline: claim_deadline(request.ends_on, &policy),
            request,
            claim: claims.pop(),
            opportunity_ids,
        })
    }

    /// Claims (a partner: its own).
    pub async fn mdf_claims(
        &self,
        scope: &Scope,
        filter: &ClaimFilter,
        page: &PageRequest,
    ) -> Result<Page<Claim>> {
        let mut page_of: Page<Claim> = entity::list(self, scope, Archived::All, page, |q| {
            if let Some(p) = &filter.partner_id {
                q.push(" AND mdf_claims.partner_id = ").bind(p.as_str());
            }
            if let Some(s) = filter.state {
                q.push(" AND mdf_claims.state = ").bind(s.as_str());
            }
        })
        .await?;
        with_proofs(&mut self.db.read(), &mut page_of.items).await?;
        Ok(page_of)
    }

    /// One claim.
    pub async fn mdf_claim(&self, scope: &Scope, id: &str) -> Result<Claim> {
        let mut read = self.db.read();
        let mut claim: Claim = entity::fetch(&mut read, scope, id).await?;
        with_proofs(&mut read, std::slice::from_mut(&mut claim)).await?;
        Ok(claim)
    }
}
