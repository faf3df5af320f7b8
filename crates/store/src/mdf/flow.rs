//! The moves of MDF: a budget set, an allocation made from it, a request submitted,
//! decided or cancelled, a claim submitted, decided and paid, an opportunity linked. Each is
//! one write transaction: the conditional updates of the state and of the balances, the
//! decision, the audit event and the outbox event, so a refused or failed move leaves
//! nothing behind.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::business_plan::record::PlanContent;
use partnerops_core::ids::{
    EntityId, MdfAllocationId, MdfBudgetId, MdfClaimId, MdfRequestId, PartnerId,
};
use partnerops_core::mdf::record::{
    Allocation, AllocationInput, Budget, BudgetInput, Claim, ClaimInput, DecisionInput, LinkInput,
    MdfRequest, PayClaimInput, RequestDetail, RequestInput,
};
use partnerops_core::mdf::rules::{self, Moved, Refused};
use partnerops_core::money::Money;
use partnerops_core::pipeline::record::Opportunity;
use partnerops_core::registration::Decision;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{Invalid, user::Role};

use super::mdf_policy;
use crate::change::{self, Change};
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::entity::{self, json_column};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

row! { struct Remaining { remaining_minor: i64 } }

/// Takes `amount` from the balance of row `id` of `table` if it is there, in one
/// conditional update: true when taken. Never read-then-write: two instances racing for
/// the last funds cannot both pass the `WHERE`.
async fn debit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    table: &str,
    id: &str,
    amount: i64,
) -> Result<bool> {
    let mut q = Sql::new(&format!(
        "UPDATE {table} SET remaining_minor = remaining_minor - "
    ));
    q.bind(amount)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND remaining_minor >= ")
        .bind(amount);
    Ok(tx.execute(&q).await? == 1)
}

/// Gives `amount` back to allocation `id` (a rejection, a cancellation, a lower approval).
async fn release(tx: &mut Tx, now: DateTime<Utc>, allocation_id: &str, amount: i64) -> Result<()> {
    if amount <= 0 {
        return Ok(());
    }
    let mut q = Sql::new("UPDATE mdf_allocations SET remaining_minor = remaining_minor + ");
    q.bind(amount)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(allocation_id);
    tx.execute(&q).await?;
    Ok(())
}

async fn remaining(x: &mut impl Exec, table: &str, id: &str) -> Result<i64> {
    let mut q = Sql::new(&format!("SELECT remaining_minor FROM {table} WHERE id = "));
    q.bind(id);
    Ok(x.optional::<Remaining>(&q)
        .await?
        .map_or(0, |r| r.remaining_minor))
}

fn role_of(actor: &Actor) -> Role {
    match actor {
        Actor::User(p) => p.role,
        // The system (CLI, demo loader) approves as an administrator would.
        Actor::System(_) => Role::Admin,
    }
}

fn changed_meanwhile(what: &str) -> StoreError {
    StoreError::conflict(
        "state",
        "mdf.changed_meanwhile",
        format!("the {what} changed meanwhile; reload it and try again"),
    )
}

impl Store {
    /// Records a refused move as a decision about `kind`/`id` and returns the refusal.
    async fn mdf_refuse(
        &self,
        actor: &Actor,
        kind: EntityKind,
        id: &str,
        partner: Option<PartnerId>,
        refused: Refused,
        version: i64,
    ) -> StoreError {
        let decision = Decision::new(refused.rule, "refused", refused.reason, version);
        change::refuse(self, actor, (kind, id), partner, decision, &[id]).await
    }

    /// Sets a program's MDF budget for a period (administrators, channel managers, finance).
    #[tracing::instrument(skip_all)]
    pub async fn create_mdf_budget(&self, actor: &Actor, input: &BudgetInput) -> Result<Budget> {
        actor.authorize(&Action::ManageMdf)?;
        let b = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        row! { struct Found { #[allow(dead_code)] id: String } }
        let mut q = Sql::new("SELECT id FROM programs WHERE archived_at IS NULL AND id = ");
        q.bind(b.program_id.as_str());
        if tx.optional::<Found>(&q).await?.is_none() {
            return Err(
                Invalid::one("program_id", "exists", "program_id names no program in use").into(),
            );
        }
        let id: MdfBudgetId = new_id();
        let mut q = Sql::new(
            "INSERT INTO mdf_budgets (id, program_id, name, period_start, period_end, amount_minor, currency, remaining_minor, created_by, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(b.program_id.as_str())
            .push(", ")
            .bind(b.name.as_str())
            .push(", ")
            .bind(b.period_start)
            .push(", ")
            .bind(b.period_end)
            .push(", ")
            .bind(b.amount.amount_minor)
            .push(", ")
            .bind(b.amount.currency.as_str())
            .push(", ")
            .bind(b.amount.amount_minor)
            .push(", ")
            .bind(actor.user_id().map(|u| u.as_str().to_owned()))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let budget: Budget = entity::fetch(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::MdfBudget,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&budget),
        )
        .await?;
        tx.commit().await?;
        Ok(budget)
    }

    /// Allocates part of a budget to a partner of its program, optionally for a marketing
    /// commitment of the partner's joint business plan. The budget's remaining balance is
    /// debited in the same transaction, or the allocation is refused (`mdf.budget_exceeded`).
    #[tracing::instrument(skip_all)]
    pub async fn create_mdf_allocation(
        &self,
        actor: &Actor,
        input: &AllocationInput,
    ) -> Result<Allocation> {
        actor.authorize(&Action::ManageMdf)?;
        let a = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let budget: Budget = entity::fetch(&mut tx, &Scope::Vendor, a.budget_id.as_str())
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => {
                    Invalid::one("budget_id", "exists", "budget_id names no MDF budget").into()
                }
                e => e,
            })?;
        row! { struct PartnerRow { program_id: String } }
        let mut q = Sql::new("SELECT program_id FROM partners WHERE archived_at IS NULL AND id = ");
        q.bind(a.partner_id.as_str());
        match tx.optional::<PartnerRow>(&q).await? {
            None => {
                return Err(Invalid::one(
                    "partner_id",
                    "exists",
                    "partner_id names no partner in use",
                )
                .into());
            }
            Some(p) if p.program_id != budget.program_id.as_str() => {
                return Err(Invalid::one(
                    "partner_id",
                    "in_program",
                    "the partner is not in the budget's program",
                )
                .into());
            }
            Some(_) => {}
        }
        let mut marketing_title = None;
        if let Some(plan) = &a.business_plan_id {
            row! { struct PlanRow { partner_id: String, content: String } }
            let mut q = Sql::new("SELECT partner_id, content FROM business_plans WHERE id = ");
            q.bind(plan.as_str());
            let row = tx
                .optional::<PlanRow>(&q)
                .await?
                .filter(|p| p.partner_id == a.partner_id.as_str())
                .ok_or_else(|| {
                    Invalid::one(
                        "business_plan_id",
                        "exists",
                        "business_plan_id names no joint business plan of this partner",
                    )
                })?;
            let content: PlanContent = json_column("content", &row.content)?;
            if let Some(i) = a.marketing_index {
                let m = usize::try_from(i)
                    .ok()
                    .and_then(|i| content.marketing.get(i))
                    .ok_or_else(|| {
                        Invalid::one(
                            "marketing_index",
                            "exists",
                            format!(
                                "marketing_index must name one of the plan's {} marketing commitments (0 to {})",
                                content.marketing.len(),
                                content.marketing.len().saturating_sub(1)
                            ),
                        )
                    })?;
                marketing_title = Some(format!("{}: {} ({})", m.kind.label(), m.title, m.on));
            }
        }
        let (_, version) = mdf_policy(&mut tx, budget.program_id.as_str()).await?;
        if !debit(
            &mut tx,
            now,
            "mdf_budgets",
            budget.id.as_str(),
            a.amount_minor,
        )
        .await?
        {
            let left = remaining(&mut tx, "mdf_budgets", budget.id.as_str()).await?;
            drop(tx);
            let refused = rules::exceeded(
                "mdf.budget_exceeded",
                left,
                a.amount_minor,
                budget.amount.currency,
            );
            return Err(self
                .mdf_refuse(
                    actor,
                    EntityKind::MdfBudget,
                    budget.id.as_str(),
                    None,
                    refused,
                    version,
                )
                .await);
        }
        let id: MdfAllocationId = new_id();
        let expires_on = a.expires_on.unwrap_or(budget.period_end);
        let mut q = Sql::new(
            "INSERT INTO mdf_allocations (id, budget_id, partner_id, amount_minor, currency, remaining_minor, expires_on, business_plan_id, marketing_index, marketing_title, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(budget.id.as_str())
            .push(", ")
            .bind(a.partner_id.as_str())
            .push(", ")
            .bind(a.amount_minor)
            .push(", ")
            .bind(budget.amount.currency.as_str())
            .push(", ")
            .bind(a.amount_minor)
            .push(", ")
            .bind(expires_on)
            .push(", ")
            .bind(a.business_plan_id.as_ref().map(|p| p.as_str().to_owned()))
            .push(", ")
            .bind(a.marketing_index)
            .push(", ")
            .bind(marketing_title)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let allocation: Allocation = entity::fetch(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::MdfAllocation,
            id.as_str(),
            AuditAction::Created,
            Some(&a.partner_id),
            None::<&()>,
            Some(&allocation),
        )
        .await?;
        change::after_change(&mut tx, now, actor, &budget, Change::updated()).await?;
        emit(
            &mut tx,
            now,
            "mdf.allocated",
            id.as_str(),
            Some(&a.partner_id),
            &allocation,
        )
        .await?;
        tx.commit().await?;
        Ok(allocation)
    }

    /// A partner's user requests funds from one of its allocations. The planned cost is
    /// committed now: taken from the allocation's remaining balance by a conditional update,
    /// or the request is refused (`mdf.allocation_exceeded`, naming what remains).
    #[tracing::instrument(skip_all)]
    pub async fn submit_mdf_request(
        &self,
        actor: &Actor,
        input: &RequestInput,
    ) -> Result<RequestDetail> {
        let r = input.parse()?;
        let now = self.now();
        let today = now.date_naive();
        let mut tx = self.db.begin_write().await?;
        let allocation: Allocation =
            entity::fetch(&mut tx, &actor.scope(), r.allocation_id.as_str())
                .await
                .map_err(|e| match e {
                    // Another partner's allocation reads as no allocation at all.
                    StoreError::NotFound(_) => Invalid::one(
                        "allocation_id",
                        "exists",
                        "allocation_id names no MDF allocation of yours",
                    )
                    .into(),
                    e => e,
                })?;
        actor.authorize(&Action::RequestMdf(&allocation.partner_id))?;
        if r.planned.currency != allocation.amount.currency {
            return Err(Invalid::one(
                "currency",
                "allocation_currency",
                format!(
                    "currency must be the allocation's, {}",
                    allocation.amount.currency
                ),
            )
            .into());
        }
        let (_, version) = mdf_policy(&mut tx, allocation.program_id.as_str()).await?;
        let refusal = match rules::may_fund(allocation.expires_on, today) {
            Err(refused) => Some(refused),
            Ok(()) => {
                if debit(
                    &mut tx,
                    now,
                    "mdf_allocations",
                    allocation.id.as_str(),
                    r.planned.amount_minor,
                )
                .await?
                {
                    None
                } else {
                    let left =
                        remaining(&mut tx, "mdf_allocations", allocation.id.as_str()).await?;
                    Some(rules::exceeded(
                        "mdf.allocation_exceeded",
                        left,
                        r.planned.amount_minor,
                        allocation.amount.currency,
                    ))
                }
            }
        };
        if let Some(refused) = refusal {
            drop(tx);
            return Err(self
                .mdf_refuse(
                    actor,
                    EntityKind::MdfAllocation,
                    allocation.id.as_str(),
                    Some(allocation.partner_id.clone()),
                    refused,
                    version,
                )
                .await);
        }
        let id: MdfRequestId = new_id();
        let mut q = Sql::new(
            "INSERT INTO mdf_requests (id, allocation_id, partner_id, activity_type, title, planned_minor, currency, committed_minor, approved_minor, starts_on, ends_on, expected_leads, expected_pipeline_minor, state, reason, submitted_by, decided_by, decided_at, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(allocation.id.as_str())
            .push(", ")
            .bind(allocation.partner_id.as_str())
            .push(", ")
            .bind(r.activity_type.as_str())
            .push(", ")
            .bind(r.title.as_str())
            .push(", ")
            .bind(r.planned.amount_minor)
            .push(", ")
            .bind(r.planned.currency.as_str())
            .push(", ")
            .bind(r.planned.amount_minor)
            .push(", NULL, ")
            .bind(r.starts_on)
            .push(", ")
            .bind(r.ends_on)
            .push(", ")
            .bind(r.expected_leads)
            .push(", ")
            .bind(r.expected_pipeline_minor)
            .push(", 'submitted', NULL, ")
            .bind(actor.user_id().map(|u| u.as_str().to_owned()))
            .push(", NULL, NULL, ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let request: MdfRequest = entity::fetch(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::MdfRequest,
            id.as_str(),
            AuditAction::Created,
            Some(&allocation.partner_id),
            None::<&()>,
            Some(&request),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "mdf.request_submitted",
            id.as_str(),
            Some(&allocation.partner_id),
            &request,
        )
        .await?;
        tx.commit().await?;
        self.mdf_request(&actor.scope(), id.as_str()).await
    }

    /// Applies a request move read at `before`: its state and commitment (conditional on
    /// both being as read), the release to the allocation, decision, audit and event.
    #[allow(clippy::too_many_arguments)]
    async fn move_request(
        &self,
        mut tx: Tx,
        actor: &Actor,
        before: &MdfRequest,
        moved: Moved<partnerops_core::mdf::rules::RequestState>,
        reason: Option<String>,
        decided: bool,
        decision: Option<(&Decision, &str)>,
    ) -> Result<RequestDetail> {
        let now = self.now();
        let id = before.id.as_str();
        let mut q = Sql::new("UPDATE mdf_requests SET state = ");
        q.bind(moved.to.as_str())
            .push(", committed_minor = ")
            .bind(moved.committed_minor)
            .push(", updated_at = ")
            .bind(now);
        if decided {
            q.push(", reason = ")
                .bind(reason)
                .push(", decided_by = ")
                .bind(actor.user_id().map(|u| u.as_str().to_owned()))
                .push(", decided_at = ")
                .bind(now);
            if moved.to == partnerops_core::mdf::rules::RequestState::Approved {
                q.push(", approved_minor = ").bind(moved.committed_minor);
            }
        }
        q.push(" WHERE id = ")
            .bind(id)
            .push(" AND state = ")
            .bind(before.state.as_str())
            .push(" AND committed_minor = ")
            .bind(before.committed.amount_minor);
        if tx.execute(&q).await? == 0 {
            return Err(changed_meanwhile("request"));
        }
        release(
            &mut tx,
            now,
            before.allocation_id.as_str(),
            moved.release_minor,
        )
        .await?;
        let mut change = Change::updated();
        if let Some((d, event)) = decision {
            change = change.decided(d, &[]).event(event);
        }
        change::after_change(&mut tx, now, actor, before, change).await?;
        tx.commit().await?;
        self.mdf_request(&actor.scope(), id).await
    }

    /// Staff approve a submitted request (all of it, or `approved_minor` of it, with a
    /// reason when less), within their role's approval limit in the program policy.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn approve_mdf_request(
        &self,
        actor: &Actor,
        id: &str,
        input: &DecisionInput,
    ) -> Result<RequestDetail> {
        let mut tx = self.db.begin_write().await?;
        let before: MdfRequest = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMdf)?;
        let amount = input
            .approved_minor
            .unwrap_or(before.committed.amount_minor);
        let reason = input.reason(amount < before.committed.amount_minor)?;
        let allocation: Allocation =
            entity::fetch(&mut tx, &Scope::Vendor, before.allocation_id.as_str()).await?;
        let (policy, version) = mdf_policy(&mut tx, allocation.program_id.as_str()).await?;
        let moved = match rules::approve_request(
            before.state,
            before.committed.amount_minor,
            amount,
            role_of(actor),
            &policy,
            before.planned.currency,
        ) {
            Ok(m) => m,
            Err(refused) => {
                drop(tx);
                return Err(self
                    .mdf_refuse(
                        actor,
                        EntityKind::MdfRequest,
                        id,
                        Some(before.partner_id.clone()),
                        refused,
                        version,
                    )
                    .await);
            }
        };
        let decision = Decision::new(
            "mdf.request_approved",
            "approved",
            format!(
                "approved {} of the planned {}{}",
                Money::new(amount, before.planned.currency),
                before.planned,
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            version,
        );
        self.move_request(
            tx,
            actor,
            &before,
            moved,
            reason,
            true,
            Some((&decision, "mdf.request_approved")),
        )
        .await
    }

    /// Staff reject a submitted request with a reason; its funds go back to the allocation.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn reject_mdf_request(
        &self,
        actor: &Actor,
        id: &str,
        input: &DecisionInput,
    ) -> Result<RequestDetail> {
        let mut tx = self.db.begin_write().await?;
        let before: MdfRequest = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMdf)?;
        let reason = input.reason(true)?;
        let allocation: Allocation =
            entity::fetch(&mut tx, &Scope::Vendor, before.allocation_id.as_str()).await?;
        let (_, version) = mdf_policy(&mut tx, allocation.program_id.as_str()).await?;
        let moved = rules::reject_request(before.state, before.committed.amount_minor)
            .map_err(|r| StoreError::conflict("state", r.rule, r.reason))?;
        let decision = Decision::new(
            "mdf.request_rejected",
            "rejected",
            reason.clone().unwrap_or_default(),
            version,
        );
        self.move_request(
            tx,
            actor,
            &before,
            moved,
            reason,
            true,
            Some((&decision, "mdf.request_rejected")),
        )
        .await
    }

    /// The partner cancels a request before it is claimed; its funds go back.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn cancel_mdf_request(&self, actor: &Actor, id: &str) -> Result<RequestDetail> {
        let mut tx = self.db.begin_write().await?;
        let before: MdfRequest = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::RequestMdf(&before.partner_id))?;
        let moved = rules::cancel_request(before.state, before.committed.amount_minor)
            .map_err(|r| StoreError::conflict("state", r.rule, r.reason))?;
        self.move_request(tx, actor, &before, moved, None, false, None)
            .await
    }

    /// The partner claims an approved request: at most the approved amount, by the claim
    /// deadline (the policy's `claim_deadline_days` after the activity's end, that day
    /// included), with a proof-of-performance summary.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn submit_mdf_claim(
        &self,
        actor: &Actor,
        id: &str,
        input: &ClaimInput,
    ) -> Result<RequestDetail> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: MdfRequest = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::RequestMdf(&before.partner_id))?;
        let fields = input.parse()?;
        let (claimed, proof) = (fields.claimed_minor, &fields.proof_summary);
        let allocation: Allocation =
            entity::fetch(&mut tx, &Scope::Vendor, before.allocation_id.as_str()).await?;
        let (policy, version) = mdf_policy(&mut tx, allocation.program_id.as_str()).await?;
        let approved = before.approved.map_or(0, |a| a.amount_minor);
        let moved = match rules::submit_claim(
            before.state,
            approved,
            claimed,
            before.ends_on,
            now.date_naive(),
            &policy,
            before.planned.currency,
        ) {
            Ok(m) => m,
            Err(refused) => {
                drop(tx);
                return Err(self
                    .mdf_refuse(
                        actor,
                        EntityKind::MdfRequest,
                        id,
                        Some(before.partner_id.clone()),
                        refused,
                        version,
                    )
                    .await);
            }
        };
        let mut q = Sql::new("UPDATE mdf_requests SET state = ");
        q.bind(moved.to.as_str())
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND state = ")
            .bind(before.state.as_str());
        if tx.execute(&q).await? == 0 {
            return Err(changed_meanwhile("request"));
        }
        let claim_id: MdfClaimId = new_id();
        let mut q = Sql::new(
            "INSERT INTO mdf_claims (id, request_id, partner_id, claimed_minor, currency, approved_minor, proof_summary, state, reason, payment_reference, paid_on, submitted_by, decided_by, decided_at, created_at, updated_at) VALUES (",
        );
        q.bind(claim_id.as_str())
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(before.partner_id.as_str())
            .push(", ")
            .bind(claimed)
            .push(", ")
            .bind(before.planned.currency.as_str())
            .push(", NULL, ")
            .bind(proof.as_str())
            .push(", 'submitted', NULL, NULL, NULL, ")
            .bind(actor.user_id().map(|u| u.as_str().to_owned()))
            .push(", NULL, NULL, ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        attach_proofs(
            &mut tx,
            now,
            &claim_id,
            &before.partner_id,
            &fields.proof_files,
        )
        .await?;
        let mut claim: Claim = entity::fetch(&mut tx, &Scope::Vendor, claim_id.as_str()).await?;
        super::with_proofs(&mut tx, std::slice::from_mut(&mut claim)).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::MdfClaim,
            claim_id.as_str(),
            AuditAction::Created,
            Some(&before.partner_id),
            None::<&()>,
            Some(&claim),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "mdf.claim_submitted",
            claim_id.as_str(),
            Some(&before.partner_id),
            &claim,
        )
        .await?;
        change::after_change(&mut tx, now, actor, &before, Change::updated()).await?;
        tx.commit().await?;
        self.mdf_request(&actor.scope(), id).await
    }

    /// Staff approve (all, or `approved_minor` with a reason) or reject (with a reason) a
    /// submitted claim; what the request no longer needs goes back to the allocation.
    #[tracing::instrument(skip_all, fields(id = %id, approve))]
    pub async fn decide_mdf_claim(
        &self,
        actor: &Actor,
        id: &str,
        approve: bool,
        input: &DecisionInput,
    ) -> Result<Claim> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Claim = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMdf)?;
        let request: MdfRequest =
            entity::fetch(&mut tx, &Scope::Vendor, before.request_id.as_str()).await?;
        let allocation: Allocation =
            entity::fetch(&mut tx, &Scope::Vendor, request.allocation_id.as_str()).await?;
        let (_, version) = mdf_policy(&mut tx, allocation.program_id.as_str()).await?;
        let committed = request.committed.amount_minor;
        let claimed = before.claimed.amount_minor;
        let amount = if approve {
            input.approved_minor.unwrap_or(claimed)
        } else {
            0
        };
        let reason = input.reason(!approve || amount < claimed)?;
        let result = if approve {
            rules::approve_claim(
                before.state,
                committed,
                claimed,
                amount,
                before.claimed.currency,
            )
        } else {
            rules::reject_claim(before.state, committed)
        };
        let moved = match result {
            Ok(m) => m,
            Err(refused) => {
                drop(tx);
                return Err(self
                    .mdf_refuse(
                        actor,
                        EntityKind::MdfClaim,
                        id,
                        Some(before.partner_id.clone()),
                        refused,
                        version,
                    )
                    .await);
            }
        };
        let mut q = Sql::new("UPDATE mdf_claims SET state = ");
        q.bind(moved.to.as_str())
            .push(", approved_minor = ")
            .bind(approve.then_some(amount))
            .push(", reason = ")
            .bind(reason.clone())
            .push(", decided_by = ")
            .bind(actor.user_id().map(|u| u.as_str().to_owned()))
            .push(", decided_at = ")
            .bind(now)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND state = ")
            .bind(before.state.as_str());
        if tx.execute(&q).await? == 0 {
            return Err(changed_meanwhile("claim"));
        }
        let mut q = Sql::new("UPDATE mdf_requests SET committed_minor = ");
        q.bind(moved.committed_minor)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(request.id.as_str())
            .push(" AND committed_minor = ")
            .bind(committed);
        if tx.execute(&q).await? == 0 {
            return Err(changed_meanwhile("request"));
        }
        release(&mut tx, now, allocation.id.as_str(), moved.release_minor).await?;
        let (rule, outcome, why) = if approve {
            (
                "mdf.claim_approved",
                "approved",
                format!(
                    "approved {} of the claimed {}{}",
                    Money::new(amount, before.claimed.currency),
                    before.claimed,
                    reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            )
        } else {
            (
                "mdf.claim_rejected",
                "rejected",
                reason.clone().unwrap_or_default(),
            )
        };
        let decision = Decision::new(rule, outcome, why, version);
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated()
                .decided(&decision, &[request.id.as_str()])
                .event(rule),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Finance marks an approved claim paid, with the payment's reference and date.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn pay_mdf_claim(
        &self,
        actor: &Actor,
        id: &str,
        input: &PayClaimInput,
    ) -> Result<Claim> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Claim = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMdf)?;
        let (reference, paid_on) = input.parse(now.date_naive())?;
        let approved = before.approved.map_or(0, |a| a.amount_minor);
        let moved = rules::pay_claim(before.state, approved)
            .map_err(|r| StoreError::conflict("state", r.rule, r.reason))?;
        let mut q = Sql::new("UPDATE mdf_claims SET state = ");
        q.bind(moved.to.as_str())
            .push(", payment_reference = ")
            .bind(reference.as_str())
            .push(", paid_on = ")
            .bind(paid_on)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND state = ")
            .bind(before.state.as_str());
        if tx.execute(&q).await? == 0 {
            return Err(changed_meanwhile("claim"));
        }
        let request: MdfRequest =
            entity::fetch(&mut tx, &Scope::Vendor, before.request_id.as_str()).await?;
        let allocation: Allocation =
            entity::fetch(&mut tx, &Scope::Vendor, request.allocation_id.as_str()).await?;
        let (_, version) = mdf_policy(&mut tx, allocation.program_id.as_str()).await?;
        let decision = Decision::new(
            "mdf.claim_paid",
            "paid",
            format!(
                "{} paid on {paid_on}, reference {reference}",
                Money::new(approved, before.claimed.currency)
            ),
            version,
        );
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated()
                .decided(&decision, &[request.id.as_str()])
                .event("mdf.claim_paid"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Links an opportunity the caller can see to a funded activity (the partner's users,
    /// or MDF staff): its won revenue then counts in the activity's ROI. Linking twice
    /// changes nothing.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn link_mdf_opportunity(
        &self,
        actor: &Actor,
        id: &str,
        input: &LinkInput,
    ) -> Result<RequestDetail> {
        let now = self.now();
        let opportunity_id = input.parse()?;
        let mut tx = self.db.begin_write().await?;
        let request: MdfRequest = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor
            .authorize(&Action::RequestMdf(&request.partner_id))
            .or_else(|_| actor.authorize(&Action::ManageMdf))?;
        let _: Opportunity = entity::fetch(&mut tx, &actor.scope(), opportunity_id.as_str())
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => Invalid::one(
                    "opportunity_id",
                    "exists",
                    "opportunity_id names no opportunity you can see",
                )
                .into(),
                e => e,
            })?;
        let mut q = Sql::new(
            "INSERT INTO mdf_request_opportunities (request_id, opportunity_id, linked_by, linked_at) VALUES (",
        );
        q.bind(id)
            .push(", ")
            .bind(opportunity_id.as_str())
            .push(", ")
            .bind(actor.user_id().map(|u| u.as_str().to_owned()))
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (request_id, opportunity_id) DO NOTHING");
        if tx.execute(&q).await? == 1 {
            audit::record(
                &mut tx,
                now,
                actor,
                EntityKind::MdfRequest,
                id,
                AuditAction::Updated,
                Some(&request.partner_id),
                None::<&()>,
                Some(&serde_json::json!({ "linked_opportunity_id": opportunity_id })),
            )
            .await?;
        }
        tx.commit().await?;
        self.mdf_request(&actor.scope(), id).await
    }
}

/// Attaches proof files to a new claim: each must be a proof of performance uploaded for
/// the claim's partner (anything else names the file as not found, the same as a made-up id).
async fn attach_proofs(
    tx: &mut crate::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    claim: &MdfClaimId,
    partner: &partnerops_core::ids::PartnerId,
    files: &[partnerops_core::ids::FileId],
) -> Result<()> {
    crate::db::row! { struct Found { #[allow(dead_code)] id: String } }
    for (i, file) in files.iter().enumerate() {
        let mut q = Sql::new("SELECT id FROM stored_files WHERE purpose = 'proof' AND id = ");
        q.bind(file.as_str())
            .push(" AND partner_id = ")
            .bind(partner.as_str());
        if tx.optional::<Found>(&q).await?.is_none() {
            return Err(partnerops_core::Invalid::one(
                &format!("proof_file_ids[{i}]"),
                "exists",
                "names no proof-of-performance file of this partner",
            )
            .into());
        }
        let mut q = Sql::new("INSERT INTO mdf_claim_proofs (claim_id, file_id, added_at) VALUES (");
        q.bind(claim.as_str())
            .push(", ")
            .bind(file.as_str())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
    }
    Ok(())
}
