//! Engagement requests: a direct rep asks the partner holding an account for consent to
//! engage it. The partner grants or denies; a partner that missed its follow-up SLA is
//! overruled at once.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EngagementId, EntityId, PartnerId, RegistrationId, UserId};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::registration::record::{EngagementRequest, ReasonInput, Registration};
use partnerops_core::registration::{Decision, EngagementStatus, rules};
use partnerops_core::scope::{Action, Scope};

use crate::change::{self, Change};
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::{emit, record as decide};
use crate::entity::{self, Archived, Entity};
use crate::registration::facts;
use crate::{Actor, Result, Store, StoreError, audit, new_id, policy};

row! {
    pub(crate) struct EngagementRow {
        id: String,
        registration_id: String,
        partner_id: String,
        requested_by: String,
        reason: String,
        status: String,
        decided_at: Option<DateTime<Utc>>,
        decision_reason: Option<String>,
        created_at: DateTime<Utc>,
    }
}

impl Entity for EngagementRequest {
    const KIND: EntityKind = EntityKind::Engagement;
    const TABLE: &'static str = "engagement_requests";
    const SELECT: &'static str = "SELECT engagement_requests.id, engagement_requests.registration_id, engagement_requests.partner_id, engagement_requests.requested_by, engagement_requests.reason, engagement_requests.status, engagement_requests.decided_at, engagement_requests.decision_reason, engagement_requests.created_at FROM engagement_requests engagement_requests WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] =
        &[("created_at", "engagement_requests.created_at")];
    type Row = EngagementRow;

    fn from_row(r: EngagementRow) -> Result<EngagementRequest> {
        Ok(EngagementRequest {
            id: EngagementId::from_trusted(r.id),
            registration_id: RegistrationId::from_trusted(r.registration_id),
            partner_id: PartnerId::from_trusted(r.partner_id),
            requested_by: UserId::from_trusted(r.requested_by),
            reason: r.reason,
            status: EngagementStatus::parse("status", &r.status)
                .map_err(|e| StoreError::Corrupt(e.message))?,
            decided_at: r.decided_at,
            decision_reason: r.decision_reason,
            created_at: r.created_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.partner_id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        Action::DecideRegistration
    }

    fn sort_key(&self, _field: &str) -> SortKey {
        SortKey::Time(self.created_at)
    }
}

/// Filters for an engagement-request list.
#[derive(Clone, Debug, Default)]
pub struct EngagementFilter {
    pub status: Option<EngagementStatus>,
    pub registration_id: Option<RegistrationId>,
}

/// Inserts an engagement request on `reg`; an auto-granted one is decided at once.
async fn insert_request(
    tx: &mut Tx,
    now: DateTime<Utc>,
    reg: &Registration,
    requester: &str,
    reason: &str,
    status: EngagementStatus,
    decision: &Decision,
) -> Result<EngagementId> {
    let id: EngagementId = new_id();
    let granted = status == EngagementStatus::AutoGranted;
    let mut q = Sql::new(
        "INSERT INTO engagement_requests (id, registration_id, partner_id, requested_by, reason, status, decided_at, decision_reason, created_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(reg.id.as_str())
        .push(", ")
        .bind(reg.partner_id.as_str())
        .push(", ")
        .bind(requester)
        .push(", ")
        .bind(reason)
        .push(", ")
        .bind(status.as_str())
        .push(", ")
        .bind(granted.then_some(now))
        .push(", ")
        .bind(granted.then(|| decision.reason.clone()))
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await?;
    Ok(id)
}

impl Store {
    pub fn engagement_sorts() -> Vec<&'static str> {
        entity::sort_names::<EngagementRequest>()
    }

    /// A direct rep asks to engage a registered account.
    #[tracing::instrument(skip_all, fields(registration_id = %registration_id))]
    pub async fn request_engagement(
        &self,
        actor: &Actor,
        registration_id: &str,
        input: &ReasonInput,
    ) -> Result<EngagementRequest> {
        let reason = input.parse(true)?.unwrap_or_default();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let reg: Registration = entity::fetch(&mut tx, &actor.scope(), registration_id).await?;
        actor.authorize(&Action::EngageAccount)?;
        let requester = actor.user_id().ok_or_else(|| {
            StoreError::conflict(
                "requested_by",
                "user",
                "an engagement request is made by a user",
            )
        })?;
        if !reg.status.holds_account() {
            return Err(StoreError::conflict(
                "registration_id",
                "registration.status",
                "the registration no longer holds its account: no consent is needed",
            ));
        }
        let policy = policy::current(&mut tx, reg.program_id.as_str()).await?;
        let decision = rules::engagement(&facts(&reg), now, &policy);
        let status = if decision.outcome == "auto_granted" {
            EngagementStatus::AutoGranted
        } else {
            EngagementStatus::Pending
        };
        let id = insert_request(
            &mut tx,
            now,
            &reg,
            requester.as_str(),
            &reason,
            status,
            &decision,
        )
        .await?;
        let request: EngagementRequest =
            entity::fetch(&mut tx, &Scope::Vendor, id.as_str()).await?;
        decide(
            &mut tx,
            now,
            actor,
            EntityKind::Engagement,
            id.as_str(),
            Some(&reg.partner_id),
            &decision,
            &[id.as_str(), reg.id.as_str(), reg.account_id.as_str()],
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Engagement,
            id.as_str(),
            AuditAction::Created,
            Some(&reg.partner_id),
            None::<&()>,
            Some(&request),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "engagement.requested",
            id.as_str(),
            Some(&reg.partner_id),
            &request,
        )
        .await?;
        if status == EngagementStatus::AutoGranted {
            emit(
                &mut tx,
                now,
                "engagement.granted",
                id.as_str(),
                Some(&reg.partner_id),
                &request,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(request)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn engagement_request(&self, scope: &Scope, id: &str) -> Result<EngagementRequest> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn engagement_requests(
        &self,
        scope: &Scope,
        filter: &EngagementFilter,
        page: &PageRequest,
    ) -> Result<Page<EngagementRequest>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(s) = filter.status {
                q.push(" AND engagement_requests.status = ")
                    .bind(s.as_str());
            }
            if let Some(r) = &filter.registration_id {
                q.push(" AND engagement_requests.registration_id = ")
                    .bind(r.as_str());
            }
        })
        .await
    }

    /// The holding partner grants (`grant = true`) or denies a pending request.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn answer_engagement(
        &self,
        actor: &Actor,
        id: &str,
        grant: bool,
        input: &ReasonInput,
    ) -> Result<EngagementRequest> {
        let reason = input.parse(!grant)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: EngagementRequest = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::RespondToEngagement(&before.partner_id))?;
        let registration: Registration =
            entity::fetch(&mut tx, &Scope::Vendor, before.registration_id.as_str()).await?;
        let policy = policy::current(&mut tx, registration.program_id.as_str()).await?;
        if !registration.status.holds_account() {
            return Err(StoreError::conflict(
                "registration_id",
                "registration.status",
                "the registration no longer holds the account: there is nothing to consent to",
            ));
        }
        // A partner that has missed its follow-up SLA no longer decides: the request is
        // granted now, whatever was answered, with that reason.
        if before.status == EngagementStatus::Pending
            && rules::engagement(&facts(&registration), now, &policy).outcome == "auto_granted"
        {
            auto_grant_pending(&mut tx, now, actor, &registration, &policy).await?;
            let after: EngagementRequest = entity::fetch(&mut tx, &Scope::Vendor, id).await?;
            tx.commit().await?;
            return Ok(after);
        }
        let status = if grant {
            EngagementStatus::Granted
        } else {
            EngagementStatus::Denied
        };
        let why = reason.clone().unwrap_or_else(|| "consent given".into());
        let mut q = Sql::new("UPDATE engagement_requests SET status = ");
        q.bind(status.as_str())
            .push(", decided_at = ")
            .bind(now)
            .push(", decided_by = ")
            .bind(actor.user_id().map(|u| u.as_str()))
            .push(", decision_reason = ")
            .bind(why.as_str())
            .push(" WHERE status = 'pending' AND id = ")
            .bind(id);
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "status",
                "engagement.status",
                format!(
                    "the request is already {}",
                    before.status.label().to_lowercase()
                ),
            ));
        }
        let rule = if grant {
            "engagement.granted"
        } else {
            "engagement.denied"
        };
        let d = Decision::new(
            rule,
            status.as_str(),
            format!(
                "{} by the partner: {why}",
                if grant { "granted" } else { "denied" }
            ),
            policy.version,
        );
        let records = [id, before.registration_id.as_str()];
        let done = Change::updated()
            .audited_as(AuditAction::Decided)
            .decided(&d, &records)
            .event(rule);
        let after: EngagementRequest =
            change::after_change(&mut tx, now, actor, &before, done).await?;
        tx.commit().await?;
        Ok(after)
    }
}

row! {
    struct PendingRow {
        id: String,
    }
}

/// Grants every pending request on a registration whose partner missed its follow-up SLA,
/// each with its decision and events (the sweep calls this when it marks the SLA missed).
pub(crate) async fn auto_grant_pending(
    tx: &mut crate::db::Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    reg: &Registration,
    policy: &partnerops_core::registration::policy::RegistrationPolicy,
) -> Result<()> {
    let decision = rules::engagement(&facts(reg), now, policy);
    let mut q = Sql::new(
        "SELECT id FROM engagement_requests WHERE status = 'pending' AND registration_id = ",
    );
    q.bind(reg.id.as_str());
    let pending: Vec<PendingRow> = tx.all(&q).await?;
    for p in pending {
        let mut u =
            Sql::new("UPDATE engagement_requests SET status = 'auto_granted', decided_at = ");
        u.bind(now)
            .push(", decision_reason = ")
            .bind(decision.reason.as_str())
            .push(" WHERE status = 'pending' AND id = ")
            .bind(p.id.as_str());
        if tx.execute(&u).await? == 1 {
            let after: EngagementRequest = entity::fetch(tx, &Scope::Vendor, &p.id).await?;
            decide(
                tx,
                now,
                actor,
                EntityKind::Engagement,
                &p.id,
                Some(&reg.partner_id),
                &decision,
                &[p.id.as_str(), reg.id.as_str()],
            )
            .await?;
            audit::record(
                tx,
                now,
                actor,
                EntityKind::Engagement,
                &p.id,
                AuditAction::Decided,
                Some(&reg.partner_id),
                None::<&()>,
                Some(&after),
            )
            .await?;
            emit(
                tx,
                now,
                "engagement.granted",
                &p.id,
                Some(&reg.partner_id),
                &after,
            )
            .await?;
        }
    }
    Ok(())
}
