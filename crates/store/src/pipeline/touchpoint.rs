//! Touchpoints: a partner's influence on an opportunity, logged by the partner itself or by
//! vendor staff on its behalf. Logging one puts the partner on the opportunity (so it sees
//! the deal); one logged after the close is kept and marked late. A partner reads only its
//! own touchpoints, never another partner's influence on the same deal.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, OpportunityId, PartnerId, TouchpointId, UserId};
use partnerops_core::pipeline::record::Opportunity;
use partnerops_core::pipeline::touchpoint::{
    Touchpoint, TouchpointFields, TouchpointInput, TouchpointKind, is_late_when_logged,
};
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use super::add_partner;
use crate::business_plan::facts as plan_facts;
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::{Actor, Result, Store, StoreError, audit, entity, new_id, scope};

row! {
    struct TouchpointRow {
        id: String,
        opportunity_id: String,
        partner_id: String,
        partner_name: String,
        kind: String,
        occurred_at: DateTime<Utc>,
        notes: Option<String>,
        logged_by: Option<String>,
        logged_by_name: String,
        late: i64,
        created_at: DateTime<Utc>,
    }
}

const SELECT: &str = "SELECT t.id, t.opportunity_id, t.partner_id, p.name AS partner_name, t.kind, t.occurred_at, t.notes, t.logged_by, t.logged_by_name, t.late, t.created_at FROM touchpoints t JOIN partners p ON p.id = t.partner_id WHERE 1 = 1";

fn from_row(r: TouchpointRow) -> Result<Touchpoint> {
    let corrupt = |e: FieldError| StoreError::Corrupt(format!("{}: {}", e.field, e.message));
    Ok(Touchpoint {
        id: TouchpointId::from_trusted(r.id),
        opportunity_id: OpportunityId::from_trusted(r.opportunity_id),
        partner_id: PartnerId::from_trusted(r.partner_id),
        partner_name: r.partner_name,
        kind: TouchpointKind::parse("kind", &r.kind).map_err(corrupt)?,
        occurred_at: r.occurred_at,
        notes: r.notes,
        logged_by: r.logged_by.map(UserId::from_trusted),
        logged_by_name: r.logged_by_name,
        late: r.late != 0,
        created_at: r.created_at,
    })
}

row! {
    struct PartnerProgram {
        program_id: String,
    }
}

impl Store {
    /// Logs a touchpoint on an opportunity the caller can see: a partner user logs its own
    /// partner's; vendor staff who sell log any partner's of the opportunity's program.
    #[tracing::instrument(skip_all, fields(id = %opportunity_id))]
    pub async fn log_touchpoint(
        &self,
        actor: &Actor,
        opportunity_id: &str,
        input: &TouchpointInput,
    ) -> Result<Touchpoint> {
        let now = self.now();
        let f = input.parse(now)?;
        let mut tx = self.db.begin_write().await?;
        let o: Opportunity = entity::fetch(&mut tx, &actor.scope(), opportunity_id).await?;
        let partner = match (actor.partner_id(), f.partner_id.clone()) {
            (Some(own), Some(given)) if &given != own => {
                return Err(Invalid::one(
                    "partner_id",
                    "own_partner",
                    "a partner user logs its own partner's touchpoints; leave partner_id out",
                )
                .into());
            }
            (Some(own), _) => own.clone(),
            (None, Some(given)) => given,
            (None, None) => {
                return Err(Invalid::one(
                    "partner_id",
                    "required",
                    "partner_id is required: whose influence is this?",
                )
                .into());
            }
        };
        match actor.partner_id() {
            Some(own) => actor.authorize(&Action::WorkOpportunity(own))?,
            None => actor.authorize(&Action::WorkPipeline)?,
        }
        let mut q = Sql::new("SELECT program_id FROM partners WHERE archived_at IS NULL AND id = ");
        q.bind(partner.as_str());
        let program: Option<PartnerProgram> = tx.optional(&q).await?;
        match program {
            Some(p) if p.program_id == o.program_id.as_str() => {}
            Some(_) => {
                return Err(Invalid::one(
                    "partner_id",
                    "other_program",
                    "the partner is in another program than the opportunity",
                )
                .into());
            }
            None => {
                return Err(Invalid::one(
                    "partner_id",
                    "not_found",
                    "partner_id names no live partner",
                )
                .into());
            }
        }
        let late = is_late_when_logged(f.occurred_at, now, o.closed_at);
        let t = write(&mut tx, now, actor, &o, &partner, &f, late).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// The touchpoints of an opportunity as `scope` sees them (a partner: its own), in the
    /// order they happened.
    #[tracing::instrument(skip_all, fields(id = %opportunity_id))]
    pub async fn touchpoints(
        &self,
        scope: &Scope,
        opportunity_id: &str,
    ) -> Result<Vec<Touchpoint>> {
        let mut read = self.db.read();
        let _: Opportunity = entity::fetch(&mut read, scope, opportunity_id).await?;
        let mut q = Sql::new(SELECT);
        q.push(" AND t.opportunity_id = ").bind(opportunity_id);
        scope::restrict(&mut q, scope, EntityKind::Touchpoint, "t");
        q.push(" ORDER BY t.occurred_at, t.id");
        let rows: Vec<TouchpointRow> = read.all(&q).await?;
        rows.into_iter().map(from_row).collect()
    }
}

/// Writes a parsed touchpoint of `partner` on `o` in the caller's transaction: the row, the
/// partner on the deal, the plan facts, the audit trail and the outbox event. Callers have
/// checked who may log it; a lead of a partner's campaign logs one when its registration
/// opens the deal.
pub(crate) async fn write(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    o: &Opportunity,
    partner: &PartnerId,
    f: &TouchpointFields,
    late: bool,
) -> Result<Touchpoint> {
    let id: TouchpointId = new_id();
    let mut q = Sql::new(
        "INSERT INTO touchpoints (id, opportunity_id, partner_id, kind, occurred_at, notes, logged_by, logged_by_name, late, created_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(o.id.as_str())
        .push(", ")
        .bind(partner.as_str())
        .push(", ")
        .bind(f.kind.as_str())
        .push(", ")
        .bind(f.occurred_at)
        .push(", ")
        .bind(f.notes.as_deref())
        .push(", ")
        .bind(actor.user_id().map(|u| u.as_str()))
        .push(", ")
        .bind(actor.audit_name())
        .push(", ")
        .bind(i64::from(late))
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await?;
    let role = if o.partner_id.as_ref() == Some(partner) {
        "sourced"
    } else {
        "influencer"
    };
    let linked = add_partner(tx, now, &o.id, partner, role).await?;
    plan_facts::touchpoint_logged(
        tx,
        partner,
        &o.account_id,
        f.kind,
        f.occurred_at.date_naive(),
        late,
        linked,
    )
    .await?;
    let mut q = Sql::new(SELECT);
    q.push(" AND t.id = ").bind(id.as_str());
    let row: TouchpointRow = tx
        .optional(&q)
        .await?
        .ok_or(StoreError::NotFound(EntityKind::Touchpoint))?;
    let t = from_row(row)?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Touchpoint,
        id.as_str(),
        AuditAction::Created,
        Some(partner),
        None::<&()>,
        Some(&t),
    )
    .await?;
    emit(tx, now, "touchpoint.logged", id.as_str(), Some(partner), &t).await?;
    Ok(t)
}
