//! Renewals, expansions and cancellations recorded on won deals. Recording one is an
//! audited change that puts `payout.revenue_recorded` in the outbox; the accrual pays (or
//! claws back) from there. Direct deals' events are kept too, for measurement.

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, OpportunityId, PartnerId, RevenueEventId, UserId};
use partnerops_core::money::Money;
use partnerops_core::payout::record::{RevenueEventInput, RevenueEventKind, RevenueEventRecord};
use partnerops_core::pipeline::Stage;
use partnerops_core::pipeline::record::Opportunity;
use partnerops_core::scope::{Action, Scope};

use super::accrue::REVENUE_RECORDED;
use super::{corrupt, currency};
use crate::db::{Exec, Sql, row};
use crate::decision::emit;
use crate::{Actor, Result, Store, StoreError, audit, entity, new_id, scope};

row! {
    struct RevenueRow {
        id: String,
        opportunity_id: String,
        kind: String,
        occurred_on: NaiveDate,
        arr_minor: Option<i64>,
        currency: String,
        note: Option<String>,
        recorded_by: String,
        created_at: DateTime<Utc>,
    }
}

fn from_row(r: RevenueRow) -> Result<RevenueEventRecord> {
    let c = currency(&r.currency)?;
    Ok(RevenueEventRecord {
        id: RevenueEventId::from_trusted(r.id),
        opportunity_id: OpportunityId::from_trusted(r.opportunity_id),
        kind: RevenueEventKind::parse("kind", &r.kind).map_err(corrupt)?,
        occurred_on: r.occurred_on,
        arr: r.arr_minor.map(|a| Money::new(a, c)),
        note: r.note,
        recorded_by: UserId::from_trusted(r.recorded_by),
        created_at: r.created_at,
    })
}

const SELECT: &str = "SELECT e.id, e.opportunity_id, e.kind, e.occurred_on, e.arr_minor, e.currency, e.note, e.recorded_by, e.created_at FROM revenue_events e WHERE 1 = 1";

impl Store {
    /// Records a renewal, an expansion or a cancellation on a won deal.
    #[tracing::instrument(skip_all, fields(opportunity_id = %opportunity_id))]
    pub async fn record_revenue_event(
        &self,
        actor: &Actor,
        opportunity_id: &str,
        input: &RevenueEventInput,
    ) -> Result<RevenueEventRecord> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let opp: Opportunity = entity::fetch(&mut tx, &actor.scope(), opportunity_id).await?;
        actor.authorize(&Action::RecordRevenue)?;
        let Some(closed_on) = opp.closed_on.filter(|_| opp.stage == Stage::Won) else {
            return Err(StoreError::conflict(
                "opportunity_id",
                "payout.not_won",
                "renewals, expansions and cancellations are recorded on won deals only",
            ));
        };
        let f = input.parse(closed_on)?;
        row! { struct Cancelled { occurred_on: NaiveDate } }
        let mut q = Sql::new(
            "SELECT occurred_on FROM revenue_events WHERE kind = 'cancellation' AND opportunity_id = ",
        );
        q.bind(opportunity_id);
        if let Some(c) = tx.optional::<Cancelled>(&q).await? {
            return Err(StoreError::conflict(
                "kind",
                "payout.cancelled",
                format!(
                    "the customer cancelled on {}: nothing more is recorded on this deal",
                    c.occurred_on
                ),
            ));
        }
        let Some(user) = actor.user_id() else {
            return Err(StoreError::conflict(
                "recorded_by",
                "payout.user_required",
                "a revenue event is recorded by a user",
            ));
        };
        let id: RevenueEventId = new_id();
        let mut q = Sql::new(
            "INSERT INTO revenue_events (id, opportunity_id, partner_id, kind, occurred_on, arr_minor, currency, note, recorded_by, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(opportunity_id)
            .push(", ")
            .bind(opp.partner_id.as_ref().map(PartnerId::as_str))
            .push(", ")
            .bind(f.kind.as_str())
            .push(", ")
            .bind(f.occurred_on)
            .push(", ")
            .bind(f.arr_minor)
            .push(", ")
            .bind(opp.amount.currency.as_str())
            .push(", ")
            .bind(f.note.as_deref())
            .push(", ")
            .bind(user.as_str())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let mut q = Sql::new(SELECT);
        q.push(" AND e.id = ").bind(id.as_str());
        let record = from_row(
            tx.optional::<RevenueRow>(&q)
                .await?
                .ok_or(StoreError::NotFound(EntityKind::RevenueEvent))?,
        )?;
        let owner = opp.partner_id.as_ref();
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::RevenueEvent,
            id.as_str(),
            AuditAction::Created,
            owner,
            None::<&()>,
            Some(&record),
        )
        .await?;
        emit(&mut tx, now, REVENUE_RECORDED, id.as_str(), owner, &record).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The revenue events of a deal the caller may see, oldest first.
    pub async fn revenue_events(
        &self,
        scope: &Scope,
        opportunity_id: &str,
    ) -> Result<Vec<RevenueEventRecord>> {
        let mut read = self.db.read();
        let _: Opportunity = entity::fetch(&mut read, scope, opportunity_id).await?;
        let mut q = Sql::new(SELECT);
        q.push(" AND e.opportunity_id = ").bind(opportunity_id);
        scope::restrict(&mut q, scope, EntityKind::RevenueEvent, "e");
        q.push(" ORDER BY e.occurred_on, e.id");
        read.all::<RevenueRow>(&q)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }
}
