//! Recorded rule decisions (which rule, what, why, under which policy version, about which
//! records) and domain events in the outbox. Both are written inside the transaction of the
//! change they describe.

use chrono::{DateTime, Utc};
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::{DecisionId, EntityId, OutboxId, PartnerId};
use partnerops_core::registration::Decision;
use partnerops_core::registration::record::DecisionRecord;
use partnerops_core::scope::Scope;

use crate::db::{Exec, Sql, Tx, row};
use crate::entity::{json_column, to_json};
use crate::{Actor, Result, Store, new_id, scope};

/// The columns of a held decision row, in the order of its values.
pub(crate) const DECISION_COLUMNS: &[&str] = &[
    "id",
    "at",
    "entity_kind",
    "entity_id",
    "partner_id",
    "rule",
    "outcome",
    "reason",
    "policy_version",
    "records",
    "actor_name",
];

/// Records `decision` about a record, citing `records` (ids of the records it concerns).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    tx: &mut Tx,
    at: DateTime<Utc>,
    actor: &Actor,
    kind: EntityKind,
    entity_id: &str,
    partner: Option<&PartnerId>,
    decision: &Decision,
    records: &[&str],
) -> Result<()> {
    let id: DecisionId = new_id();
    tx.hold_row(
        "decisions",
        DECISION_COLUMNS,
        vec![
            id.as_str().into(),
            at.into(),
            kind.as_str().into(),
            entity_id.into(),
            partner.map(|p| p.as_str()).into(),
            decision.rule.as_str().into(),
            decision.outcome.as_str().into(),
            decision.reason.as_str().into(),
            decision.policy_version.into(),
            to_json(&records)?.into(),
            actor.audit_name().into(),
        ],
    );
    Ok(())
}

/// The columns of a held outbox row, in the order of its values.
const OUTBOX_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "entity_id",
    "partner_id",
    "payload",
    "created_at",
];

/// Puts a domain event in the outbox, for delivery (webhooks) after the transaction commits.
pub(crate) async fn emit(
    tx: &mut Tx,
    at: DateTime<Utc>,
    kind: &str,
    entity_id: &str,
    partner: Option<&PartnerId>,
    payload: &impl serde::Serialize,
) -> Result<()> {
    let id: OutboxId = new_id();
    tx.hold_row(
        "outbox_events",
        OUTBOX_COLUMNS,
        vec![
            id.as_str().into(),
            kind.into(),
            entity_id.into(),
            partner.map(|p| p.as_str()).into(),
            to_json(payload)?.into(),
            at.into(),
        ],
    );
    Ok(())
}

row! {
    struct DecisionRow {
        id: String,
        at: DateTime<Utc>,
        entity_kind: String,
        entity_id: String,
        rule: String,
        outcome: String,
        reason: String,
        policy_version: i64,
        records: String,
        actor_name: String,
    }
}

/// An outbox event, as tests and the (future) webhook deliverer read it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutboxEvent {
    pub kind: String,
    pub entity_id: String,
    pub partner_id: Option<String>,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

row! {
    struct OutboxRow {
        kind: String,
        entity_id: String,
        partner_id: Option<String>,
        payload: String,
        created_at: DateTime<Utc>,
    }
}

impl Store {
    /// The decisions about one record, oldest first. A partner sees only decisions about
    /// its own records; the caller has already checked the record is visible.
    #[tracing::instrument(skip_all, fields(entity_id = %entity_id))]
    pub async fn decisions(
        &self,
        scope: &Scope,
        kind: EntityKind,
        entity_id: &str,
    ) -> Result<Vec<DecisionRecord>> {
        let mut q = Sql::new(
            "SELECT d.id, d.at, d.entity_kind, d.entity_id, d.rule, d.outcome, d.reason, d.policy_version, d.records, d.actor_name FROM decisions d WHERE d.entity_kind = ",
        );
        q.bind(kind.as_str())
            .push(" AND d.entity_id = ")
            .bind(entity_id);
        scope::restrict_audit(&mut q, scope, "d");
        q.push(" ORDER BY d.at, d.id");
        let rows: Vec<DecisionRow> = self.db.read().all(&q).await?;
        rows.into_iter()
            .map(|r| {
                Ok(DecisionRecord {
                    id: DecisionId::from_trusted(r.id),
                    at: r.at,
                    entity_kind: r.entity_kind,
                    entity_id: r.entity_id,
                    rule: r.rule,
                    outcome: r.outcome,
                    reason: r.reason,
                    policy_version: r.policy_version,
                    records: json_column("records", &r.records)?,
                    actor_name: r.actor_name,
                })
            })
            .collect()
    }

    /// Undelivered domain events, oldest first: every event for vendor scope (the
    /// deliverer, tests), only the partner's own events for a partner scope (its webhooks).
    #[tracing::instrument(skip_all)]
    pub async fn pending_events(&self, scope: &Scope, limit: i64) -> Result<Vec<OutboxEvent>> {
        let mut q = Sql::new(
            "SELECT o.kind, o.entity_id, o.partner_id, o.payload, o.created_at FROM outbox_events o WHERE o.delivered_at IS NULL",
        );
        scope::restrict_events(&mut q, scope, "o");
        q.push(" ORDER BY o.created_at, o.id LIMIT ").bind(limit);
        let rows: Vec<OutboxRow> = self.db.read().all(&q).await?;
        rows.into_iter()
            .map(|r| {
                Ok(OutboxEvent {
                    kind: r.kind,
                    entity_id: r.entity_id,
                    partner_id: r.partner_id,
                    payload: json_column("payload", &r.payload)?,
                    created_at: r.created_at,
                })
            })
            .collect()
    }
}
