//! Opportunities from a file, through the pipeline's rules: the account by the source's
//! record id from an earlier account import, the partner (optional) by its source record
//! id or name, the stage by key or label of the program's pipeline. A new one is created as
//! `create_opportunity` creates it (partner-sourced on the resale route when a partner is
//! named, else direct); a known open one is edited as `update_opportunity` edits it and
//! moved to the file's stage as `move_opportunity` moves it. Closed ones are left alone
//! when the file agrees with them and refused when it does not: a close has its own rule.

use partnerops_core::ids::EntityId;
use partnerops_core::import::ImportKind;
use partnerops_core::import::row::{ImportRecord, OpportunityRecord};
use partnerops_core::import::value::pipeline_stage;
use partnerops_core::pipeline::Stage;
use partnerops_core::pipeline::record::{Opportunity, OpportunityInput, OpportunityPatch};
use partnerops_core::pipeline::rules;
use partnerops_core::scope::{Action, Scope};

use super::keys::{Outcome, RowByRow};
use super::{RunCtx, refs};
use crate::change::{self, Change};
use crate::db::Tx;
use crate::pipeline::{program_policy, record_stage_change, stage::set_stage, work_action};
use crate::{Result, StoreError, entity};

const KIND: ImportKind = ImportKind::Opportunities;

const RENAMES: &[(&str, &str)] = &[
    ("account_id", "account_id"),
    ("partner_id", "partner"),
    ("program_id", "program"),
    ("amount_minor", "amount"),
];

/// How opportunity rows are written.
pub(super) const ROWS: RowByRow<OpportunityRecord> = RowByRow {
    kind: KIND,
    renames: RENAMES,
    pick: |r| match r {
        ImportRecord::Opportunity(x) => Some((x.row, x.external_id.clone(), x)),
        _ => None,
    },
    one: |tx, ctx, target, r| Box::pin(one(tx, ctx, target, r)),
};

async fn one(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    target: Option<&str>,
    r: &OpportunityRecord,
) -> Result<Outcome> {
    let account = refs::imported(
        tx,
        ctx,
        ImportKind::Accounts,
        "account_id",
        &r.account_external_id,
    )
    .await?;
    let partner = match &r.partner {
        Some(raw) => Some(refs::partner(tx, ctx, "partner", raw).await?),
        None => None,
    };
    let program = match (&r.program, &partner) {
        (Some(raw), _) => refs::program(tx, "program", Some(raw)).await?,
        (None, Some(p)) => p.program_id.clone(),
        (None, None) => refs::program(tx, "program", None).await?,
    };
    let policy = program_policy(tx, &program).await?;
    let stage = match &r.stage {
        Some(raw) => Some(
            pipeline_stage("stage", raw, &policy.pipeline)
                .map_err(|e| StoreError::conflict(&e.field, &e.rule, e.message))?,
        ),
        None => None,
    };
    let (amount_minor, currency) = match r.amount {
        Some(m) => (m.amount_minor, Some(m.currency.as_str().to_owned())),
        None => (0, None),
    };
    let close = r.expected_close_on.format("%Y-%m-%d").to_string();

    let Some(id) = target else {
        ctx.actor.authorize(&Action::WorkPipeline)?;
        let input = OpportunityInput {
            program_id: Some(program),
            account_id: Some(account),
            title: Some(r.title.clone()),
            amount_minor: Some(amount_minor),
            currency,
            expected_close_on: Some(close),
            stage,
            source: Some(
                if partner.is_some() {
                    "partner_sourced"
                } else {
                    "direct"
                }
                .to_owned(),
            ),
            // A CRM export does not say how the deal reaches the customer; resale is the
            // default motion, as for a deal opened from a registration.
            route: partner.as_ref().map(|_| "resale".to_owned()),
            partner_id: partner.map(|p| p.id),
            ..OpportunityInput::default()
        };
        let o = crate::pipeline::create_in(tx, ctx.now, ctx.actor, &input).await?;
        return Ok(Outcome::Created(o.id.as_str().to_owned()));
    };

    let before: Opportunity = entity::fetch(tx, &Scope::Vendor, id).await?;
    ctx.actor.authorize(&work_action(&before))?;
    if before.account_id.as_str() != account {
        return Err(StoreError::conflict(
            "account_id",
            "opportunity.account_changed",
            "the opportunity was imported on another account: an opportunity's account does not change",
        ));
    }
    if partner.as_ref().map(|p| p.id.as_str()) != before.partner_id.as_ref().map(|p| p.as_str()) {
        return Err(StoreError::conflict(
            "partner_id",
            "opportunity.partner_changed",
            "the opportunity was imported with another partner (or none): who brought a deal does not change",
        ));
    }
    let fields_change = before.title != r.title
        || before.amount.amount_minor != amount_minor
        || r.amount
            .is_some_and(|m| m.currency != before.amount.currency)
        || before.expected_close_on != r.expected_close_on;
    let stage_changes = stage.as_deref().is_some_and(|s| s != before.stage.as_str());
    if !fields_change && !stage_changes {
        return Ok(Outcome::Unchanged);
    }
    if before.stage.is_closed() {
        return Err(StoreError::conflict(
            "stage",
            "opportunity.closed",
            "the opportunity is closed in partnerops: a closed opportunity does not change; reopen it first",
        ));
    }
    let mut current = before;
    if fields_change {
        let patch = OpportunityPatch {
            title: Some(r.title.clone()),
            amount_minor: Some(amount_minor),
            currency,
            expected_close_on: Some(close),
            ..OpportunityPatch::default()
        };
        current = crate::pipeline::update_in(tx, ctx.now, ctx.actor, &current, &patch).await?;
    }
    if let Some(to) = stage.filter(|_| stage_changes) {
        move_to(tx, ctx, &current, &to, &policy).await?;
    }
    Ok(Outcome::Updated)
}

/// Moves `o` to the open stage `to` by the move rule, with its history entry, decision,
/// audit event and domain event.
async fn move_to(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    o: &Opportunity,
    to: &str,
    policy: &partnerops_core::policy::ProgramPolicy,
) -> Result<()> {
    let (stage, decision): (Stage, _) =
        rules::move_stage(&o.stage, to, policy).map_err(|decision| StoreError::Refused {
            decision,
            partner: o.partner_id.clone(),
        })?;
    let bp = stage.probability_bp(&policy.pipeline).unwrap_or(0);
    set_stage(tx, ctx.now, o, &stage, bp).await?;
    record_stage_change(
        tx,
        ctx.now,
        ctx.actor,
        o.id.as_str(),
        Some(&o.stage),
        &stage,
        &decision.reason,
    )
    .await?;
    let mut records = vec![o.id.as_str(), o.account_id.as_str()];
    if let Some(r) = &o.registration_id {
        records.push(r.as_str());
    }
    let done = Change::updated()
        .decided(&decision, &records)
        .event("opportunity.stage_moved");
    change::after_change(tx, ctx.now, ctx.actor, o, done).await?;
    Ok(())
}
