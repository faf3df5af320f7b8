//! The one path every change to a stored record ends with, and the one path a refusal is
//! recorded by. After a change, [`after_change`] re-reads the record and writes, in the
//! change's own transaction, the rule decision (when the change was decided by a rule), the
//! audit event and the domain event (outbox), so none is ever recorded without the others.
//! A refusal rolls its change back, so [`refuse`] records its decision in a fresh
//! transaction. What a change does to its rows is not here: each capability writes those.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::PartnerId;
use partnerops_core::registration::Decision;
use partnerops_core::scope::Scope;

use crate::db::Tx;
use crate::decision::{emit, record as decide};
use crate::entity::{self, Entity};
use crate::{Actor, Result, Store, StoreError, audit};

/// What to record about a change besides its audit event.
#[derive(Clone, Copy)]
pub(crate) struct Change<'a> {
    /// The audit action (usually [`AuditAction::Updated`]).
    pub audit: AuditAction,
    /// The rule decision, with the ids of the records it concerns.
    pub decision: Option<(&'a Decision, &'a [&'a str])>,
    /// The domain event's kind, for the outbox.
    pub event: Option<&'a str>,
}

impl<'a> Change<'a> {
    /// An update recorded in the audit trail only.
    pub(crate) fn updated() -> Self {
        Change {
            audit: AuditAction::Updated,
            decision: None,
            event: None,
        }
    }

    /// Also records `decision`, citing `records`.
    pub(crate) fn decided(mut self, decision: &'a Decision, records: &'a [&'a str]) -> Self {
        self.decision = Some((decision, records));
        self
    }

    /// Also puts domain event `kind` in the outbox, with the new state as its payload.
    pub(crate) fn event(mut self, kind: &'a str) -> Self {
        self.event = Some(kind);
        self
    }

    /// Records the audit event as `action` instead of an update.
    pub(crate) fn audited_as(mut self, action: AuditAction) -> Self {
        self.audit = action;
        self
    }
}

/// Re-reads the changed record (vendor scope: the caller checked the actor's scope before
/// changing it) and records `change` about it in `tx`. Returns the new state.
pub(crate) async fn after_change<E: Entity>(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    before: &E,
    change: Change<'_>,
) -> Result<E> {
    let id = before.id_str();
    let after: E = entity::fetch(tx, &Scope::Vendor, id).await?;
    let owner = after.owner();
    if let Some((decision, records)) = change.decision {
        decide(
            tx,
            now,
            actor,
            E::KIND,
            id,
            owner.as_ref(),
            decision,
            records,
        )
        .await?;
    }
    audit::record(
        tx,
        now,
        actor,
        E::KIND,
        id,
        change.audit,
        owner.as_ref(),
        Some(before),
        Some(&after),
    )
    .await?;
    if let Some(kind) = change.event {
        emit(tx, now, kind, id, owner.as_ref(), &after).await?;
    }
    Ok(after)
}

/// Records a refused change's decision about record `kind`/`id` of `partner`, in its own
/// transaction (the change's was rolled back), and returns the refusal to hand back. When
/// the decision cannot be recorded, that error is returned instead.
pub(crate) async fn refuse(
    store: &Store,
    actor: &Actor,
    (kind, id): (EntityKind, &str),
    partner: Option<PartnerId>,
    decision: Decision,
    records: &[&str],
) -> StoreError {
    let recorded = async {
        let mut tx = store.db.begin_write().await?;
        decide(
            &mut tx,
            store.now(),
            actor,
            kind,
            id,
            partner.as_ref(),
            &decision,
            records,
        )
        .await?;
        tx.commit().await?;
        Ok::<(), StoreError>(())
    }
    .await;
    match recorded {
        Ok(()) => StoreError::Refused { decision, partner },
        Err(e) => e,
    }
}
