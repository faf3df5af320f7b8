//! Moving an opportunity along its stages, closing it won or lost (with the rate in force on
//! the close date, and its registration closed with it), and reopening it. Each change is a
//! conditional update on the stage (and amount, currency and dates) it was read at, so two
//! people moving one deal at once cannot both win and the kept sums move from the state the
//! row had; each writes a stage-history entry and a decision naming its rule.

use chrono::{DateTime, Utc};
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::EntityId;
use partnerops_core::money::{Currency, Money};
use partnerops_core::pipeline::Stage;
use partnerops_core::pipeline::forecast::weighted_minor;
use partnerops_core::pipeline::fx::RateAtClose;
use partnerops_core::pipeline::record::{
    CloseOpportunityInput, CloseOutcome, MoveInput, Opportunity, ReopenInput,
};
use partnerops_core::pipeline::rules;
use partnerops_core::policy::ProgramPolicy;
use partnerops_core::registration::Decision;
use partnerops_core::scope::Action;

use super::board::{self, Share};
use super::{as_read, program_policy, record_stage_change, work_action};
use crate::business_plan::facts::{self as plan_facts, DealPart};
use crate::db::{Exec, Sql, Tx, row};
use crate::entity;
use crate::{Actor, Result, Store, StoreError, change};

/// The refusal of a stage rule, recorded against the opportunity.
async fn refused(store: &Store, actor: &Actor, o: &Opportunity, d: Decision) -> StoreError {
    let id = o.id.as_str();
    change::refuse(
        store,
        actor,
        (EntityKind::Opportunity, id),
        o.partner_id.clone(),
        d,
        &[id],
    )
    .await
}

/// A close the stage rules allowed.
struct Closed {
    stage: Stage,
    close_on: chrono::NaiveDate,
    lost_reason: Option<String>,
    decision: Decision,
}

fn changed_meanwhile() -> StoreError {
    StoreError::conflict(
        "stage",
        "opportunity.changed",
        "the opportunity's stage changed meanwhile; reload it and try again",
    )
}

/// Sets the stage (and what follows from it) if the row is still as `o` was read
/// ([`as_read`]).
pub(crate) async fn set_stage(
    tx: &mut Tx,
    now: DateTime<Utc>,
    o: &Opportunity,
    to: &Stage,
    probability_bp: u32,
) -> Result<()> {
    let weighted = weighted_minor(o.amount.amount_minor, probability_bp);
    let mut q = Sql::new("UPDATE opportunities SET stage = ");
    q.bind(to.as_str())
        .push(", probability_bp = ")
        .bind(i64::from(probability_bp))
        .push(", weighted_minor = ")
        .bind(weighted)
        .push(", stage_entered_at = ")
        .bind(now)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(o.id.as_str());
    as_read(&mut q, o);
    if tx.execute(&q).await? == 0 {
        return Err(changed_meanwhile());
    }
    let after = Share {
        stage: to.as_str(),
        weighted_minor: weighted,
        ..Share::of(o)
    };
    board::move_share(tx, o.program_id.as_str(), Some(Share::of(o)), Some(after)).await
}

row! {
    struct ProgramCurrency {
        currency: String,
    }
}

row! {
    struct RateRow {
        rate_e8: i64,
        effective_on: chrono::NaiveDate,
    }
}

/// The rate in force on `close_on` from the opportunity's currency into its program's,
/// and the amount at that rate. No rate in the table is a conflict naming the pair: a
/// close must store its rate, so reports never convert at another day's.
async fn rate_at_close(
    tx: &mut Tx,
    o: &Opportunity,
    close_on: chrono::NaiveDate,
) -> Result<(RateAtClose, Money)> {
    let mut q = Sql::new("SELECT currency FROM programs WHERE id = ");
    q.bind(o.program_id.as_str());
    let program: ProgramCurrency = tx
        .optional(&q)
        .await?
        .ok_or(StoreError::NotFound(EntityKind::Program))?;
    let to = Currency::parse("currency", &program.currency)
        .map_err(|e| StoreError::Corrupt(e.message))?;
    let from = o.amount.currency;
    let rate = if from == to {
        RateAtClose {
            from,
            to,
            close_on,
            rate_e8: partnerops_core::pipeline::fx::RATE_SCALE,
            effective_on: None,
        }
    } else {
        let mut q = Sql::new("SELECT rate_e8, effective_on FROM fx_rates WHERE from_currency = ");
        q.bind(from.as_str())
            .push(" AND to_currency = ")
            .bind(to.as_str())
            .push(" AND effective_on <= ")
            .bind(close_on)
            .push(" ORDER BY effective_on DESC LIMIT 1");
        let row: Option<RateRow> = tx.optional(&q).await?;
        let Some(row) = row else {
            return Err(StoreError::conflict(
                "close_on",
                "fx.no_rate",
                format!(
                    "no {from}→{to} rate is effective on or before {close_on}: add one to the \
                     currency-rate table, then close again (a close stores the rate of its day)"
                ),
            ));
        };
        RateAtClose {
            from,
            to,
            close_on,
            rate_e8: row.rate_e8,
            effective_on: Some(row.effective_on),
        }
    };
    let amount = rate
        .convert(o.amount)
        .map_err(|e| StoreError::conflict("amount_minor", "fx.overflow", e.to_string()))?;
    Ok((rate, amount))
}

impl Store {
    /// Moves an open opportunity to another open stage.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn move_opportunity(
        &self,
        actor: &Actor,
        id: &str,
        input: &MoveInput,
    ) -> Result<Opportunity> {
        let to = input
            .stage
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                partnerops_core::Invalid::one("stage", "required", "stage is required")
            })?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Opportunity = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&work_action(&before))?;
        let policy = program_policy(&mut tx, before.program_id.as_str()).await?;
        let (stage, decision) = match rules::move_stage(&before.stage, to, &policy) {
            Ok(moved) => moved,
            Err(d) => {
                drop(tx);
                return Err(refused(self, actor, &before, d).await);
            }
        };
        let bp = stage.probability_bp(&policy.pipeline).unwrap_or(0);
        set_stage(&mut tx, now, &before, &stage, bp).await?;
        record_stage_change(
            &mut tx,
            now,
            actor,
            id,
            Some(&before.stage),
            &stage,
            &decision.reason,
        )
        .await?;
        let after = self
            .finish_opportunity(
                &mut tx,
                now,
                actor,
                &before,
                &decision,
                "opportunity.stage_moved",
            )
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Closes an open opportunity won or lost, storing the rate in force on the close date,
    /// and closes its registration with the same outcome when that still holds the account.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn close_opportunity(
        &self,
        actor: &Actor,
        id: &str,
        input: &CloseOpportunityInput,
    ) -> Result<Opportunity> {
        let (outcome, close_on) = input.parse()?;
        let now = self.now();
        let today = now.date_naive();
        let mut tx = self.db.begin_write().await?;
        let before: Opportunity = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&work_action(&before))?;
        let policy = program_policy(&mut tx, before.program_id.as_str()).await?;
        let ruled = match outcome {
            CloseOutcome::Won => rules::close_won(&before.stage, close_on, today, &policy)
                .map(|(s, d, decision)| (s, d, None, decision)),
            CloseOutcome::Lost => rules::close_lost(
                &before.stage,
                close_on,
                input.lost_reason.as_deref(),
                today,
                &policy,
            )
            .map(|(s, d, reason, decision)| (s, d, Some(reason), decision)),
        };
        let (stage, close_on, lost_reason, decision) = match ruled {
            Ok(closed) => closed,
            Err(d) => {
                drop(tx);
                return Err(refused(self, actor, &before, d).await);
            }
        };
        let closed = Closed {
            stage,
            close_on,
            lost_reason,
            decision,
        };
        let after = self
            .apply_close(&mut tx, now, actor, &before, closed, &policy)
            .await?;
        if let Some(registration_id) = &before.registration_id {
            let won = outcome == CloseOutcome::Won;
            let why = after.lost_reason.as_deref().map_or_else(
                || format!("its opportunity {} closed won", before.id),
                |r| format!("its opportunity {} closed lost: {r}", before.id),
            );
            self.close_linked_registration(
                &mut tx,
                now,
                actor,
                registration_id.as_str(),
                won,
                &why,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Closes the open opportunity of a registration that was just closed, today, in its
    /// transaction: won, or lost with the registration's reason when the program lists it
    /// (else the program's `other`, else its first reason; the registration's own words
    /// stay in its decision). A closed opportunity stays as it is.
    pub(crate) async fn close_for_registration(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        actor: &Actor,
        id: &str,
        won: bool,
        reason: Option<&str>,
    ) -> Result<()> {
        let before: Opportunity =
            entity::fetch(tx, &partnerops_core::scope::Scope::Vendor, id).await?;
        if before.stage.is_closed() {
            return Ok(());
        }
        let policy = program_policy(tx, before.program_id.as_str()).await?;
        let today = now.date_naive();
        let ruled = if won {
            rules::close_won(&before.stage, Some(today), today, &policy)
                .map(|(stage, close_on, decision)| (stage, close_on, None, decision))
        } else {
            let lists = &policy.pipeline;
            let listed = reason
                .and_then(|r| lists.lost_reason(r))
                .or_else(|| lists.lost_reason("other"))
                .or(lists.lost_reasons.first().map(String::as_str))
                .map(str::to_owned);
            rules::close_lost(
                &before.stage,
                Some(today),
                listed.as_deref(),
                today,
                &policy,
            )
            .map(|(stage, close_on, r, decision)| (stage, close_on, Some(r), decision))
        };
        let (stage, close_on, lost_reason, mut decision) =
            ruled.map_err(|d| StoreError::conflict("stage", &d.rule, d.reason))?;
        decision.reason = format!(
            "{} (its registration {} was closed)",
            decision.reason,
            before.registration_id.as_ref().map_or("", |r| r.as_str())
        );
        let closed = Closed {
            stage,
            close_on,
            lost_reason,
            decision,
        };
        self.apply_close(tx, now, actor, &before, closed, &policy)
            .await?;
        Ok(())
    }

    /// Writes a close the rules allowed: stage, close date, reason, the rate in force on the
    /// close date, the history entry, the decision and events.
    async fn apply_close(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        actor: &Actor,
        before: &Opportunity,
        c: Closed,
        policy: &ProgramPolicy,
    ) -> Result<Opportunity> {
        let id = before.id.as_str();
        let (rate, amount_at_close) = rate_at_close(tx, before, c.close_on).await?;
        let bp = c.stage.probability_bp(&policy.pipeline).unwrap_or(0);
        set_stage(tx, now, before, &c.stage, bp).await?;
        let mut q = Sql::new("UPDATE opportunities SET closed_on = ");
        q.bind(c.close_on)
            .push(", closed_at = ")
            .bind(now)
            .push(", lost_reason = ")
            .bind(c.lost_reason.as_deref())
            .push(", close_rate_to = ")
            .bind(rate.to.as_str())
            .push(", close_rate_e8 = ")
            .bind(rate.rate_e8)
            .push(", close_rate_effective_on = ")
            .bind(rate.effective_on)
            .push(", amount_at_close_minor = ")
            .bind(amount_at_close.amount_minor)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        record_stage_change(
            tx,
            now,
            actor,
            id,
            Some(&before.stage),
            &c.stage,
            &c.decision.reason,
        )
        .await?;
        let event = if c.stage == Stage::Won {
            "opportunity.closed_won"
        } else {
            "opportunity.closed_lost"
        };
        let after = self
            .finish_opportunity(tx, now, actor, before, &c.decision, event)
            .await?;
        plan_facts::move_deal(tx, DealPart::of(before), DealPart::of(&after)).await?;
        Ok(after)
    }

    /// Reopens a closed opportunity into an open stage, with a reason (vendor staff who
    /// sell). Its rate at close is cleared; a closed registration stays closed.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn reopen_opportunity(
        &self,
        actor: &Actor,
        id: &str,
        input: &ReopenInput,
    ) -> Result<Opportunity> {
        let to = input.stage.as_deref().unwrap_or("");
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Opportunity = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WorkPipeline)?;
        let policy = program_policy(&mut tx, before.program_id.as_str()).await?;
        let (stage, decision) =
            match rules::reopen(&before.stage, to, input.reason.as_deref(), &policy) {
                Ok(reopened) => reopened,
                Err(d) => {
                    drop(tx);
                    return Err(refused(self, actor, &before, d).await);
                }
            };
        let bp = stage.probability_bp(&policy.pipeline).unwrap_or(0);
        set_stage(&mut tx, now, &before, &stage, bp).await?;
        let mut q = Sql::new(
            "UPDATE opportunities SET closed_on = NULL, closed_at = NULL, lost_reason = NULL, close_rate_to = NULL, close_rate_e8 = NULL, close_rate_effective_on = NULL, amount_at_close_minor = NULL WHERE id = ",
        );
        q.bind(id);
        tx.execute(&q).await?;
        record_stage_change(
            &mut tx,
            now,
            actor,
            id,
            Some(&before.stage),
            &stage,
            &decision.reason,
        )
        .await?;
        let after = self
            .finish_opportunity(
                &mut tx,
                now,
                actor,
                &before,
                &decision,
                "opportunity.reopened",
            )
            .await?;
        plan_facts::move_deal(&mut tx, DealPart::of(&before), DealPart::of(&after)).await?;
        tx.commit().await?;
        Ok(after)
    }
}
