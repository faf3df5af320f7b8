//! Introductions asked from co-sell suggestions: in a shared co-sell cell, the side with
//! the open opportunity asks the side whose customer the account is, in one click; the
//! other side answers. When the vendor's side is the opportunity and the partner made the
//! introduction, it is logged as the partner's `introduction` touchpoint on that
//! opportunity (the pipeline's own record, which puts the partner on the deal and counts
//! in attribution). A request shows each side only what the overlap shows it, and is
//! deleted with the partner's uploaded data.

use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{
    EntityId, MappingIntroId, MappingPartnershipId, OpportunityId, TouchpointId,
};
use partnerops_core::mapping::overlap::{SharedAccount, drill_down_refusal};
use partnerops_core::mapping::record::{
    MappingIntro, MappingIntroAnswer, MappingIntroInput, MappingPartnership,
};
use partnerops_core::mapping::{IntroStatus, SharedField, Side, intro_asker, may_answer_intro};
use partnerops_core::pipeline::record::Opportunity;
use partnerops_core::pipeline::touchpoint::{
    TouchpointFields, TouchpointKind, is_late_when_logged,
};
use partnerops_core::scope::{Action, Scope};

use super::{
    IdRow, MATCH_SELECT, MatchRow, corrupt, must_be_active, partnership_in, population, refused,
    row_key, scope_side, side_of,
};
use crate::db::{Exec, Sql, row};
use crate::{Actor, Result, Store, StoreError, audit, entity, new_id};

row! {
    struct IntroRow {
        id: String,
        account_id: String,
        row_key: String,
        opportunity_id: Option<String>,
        requested_by_side: String,
        requested_by: String,
        status: String,
        touchpoint_id: Option<String>,
        answered_by: Option<String>,
        answered_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
    }
}

const INTRO_SELECT: &str = "SELECT id, account_id, row_key, opportunity_id, requested_by_side, requested_by, status, touchpoint_id, answered_by, answered_at, created_at FROM mapping_intro_requests WHERE partnership_id = ";

/// The partner row's key of a match, as decisions and introductions keep it.
fn key_of(r: &MatchRow) -> String {
    row_key(
        &r.partner_name,
        r.partner_country.as_deref(),
        r.partner_domain.as_deref(),
    )
}

/// The request as `side` may see it, with its current match (the pair as the overlap shows
/// it to that side).
fn intro_from(
    i: IntroRow,
    r: &MatchRow,
    m: &MappingPartnership,
    side: Side,
) -> Result<MappingIntro> {
    let vp = population(&r.vendor_population)?;
    let pp = population(&r.partner_population)?;
    let full = [
        SharedField::Name,
        SharedField::WebDomain,
        SharedField::Country,
    ];
    let (vendor_fields, partner_fields): (&[_], &[_]) = match side {
        Side::Vendor => (&full, m.partner_sharing.fields(pp)),
        Side::Partner => (m.vendor_sharing.fields(vp), &full),
    };
    let status = IntroStatus::parse("status", &i.status).map_err(corrupt)?;
    let touchpoint_id = i.touchpoint_id.map(TouchpointId::from_trusted);
    // The partner learns the deal only once the touchpoint put it on it.
    let opportunity_id = i
        .opportunity_id
        .filter(|_| side == Side::Vendor || touchpoint_id.is_some())
        .map(OpportunityId::from_trusted);
    Ok(MappingIntro {
        id: MappingIntroId::from_trusted(i.id),
        partnership_id: m.id.clone(),
        asked_by: Side::parse("requested_by_side", &i.requested_by_side).map_err(corrupt)?,
        status,
        vendor: SharedAccount::redact(
            vendor_fields,
            &r.vendor_name,
            r.vendor_domain.as_deref(),
            Some(&r.vendor_country),
        ),
        partner: SharedAccount::redact(
            partner_fields,
            &r.partner_name,
            r.partner_domain.as_deref(),
            r.partner_country.as_deref(),
        ),
        vendor_population: vp,
        partner_population: pp,
        opportunity_id,
        touchpoint_id,
        requested_by: i.requested_by,
        answered_by: i.answered_by,
        answered_at: i.answered_at,
        created_at: i.created_at,
    })
}

/// The partnership's counting matches of a co-sell cell both sides share.
async fn co_sell_matches(x: &mut impl Exec, m: &MappingPartnership) -> Result<Vec<MatchRow>> {
    let mut q = Sql::new(MATCH_SELECT);
    q.bind(m.id.as_str())
        .push(" AND mm.state IN ('auto', 'confirmed') ORDER BY a.name, mm.id");
    let mut out = Vec::new();
    for r in x.all::<MatchRow>(&q).await? {
        let (vp, pp) = (
            population(&r.vendor_population)?,
            population(&r.partner_population)?,
        );
        if intro_asker(vp, pp).is_some()
            && drill_down_refusal(&m.vendor_sharing, &m.partner_sharing, vp, pp).is_none()
        {
            out.push(r);
        }
    }
    Ok(out)
}

/// The open requests of a partnership, by (account, row key): what a suggestion shows as
/// already asked.
pub(super) async fn open_intros(
    x: &mut impl Exec,
    id: &MappingPartnershipId,
) -> Result<Vec<(String, String, MappingIntroId)>> {
    let mut q = Sql::new(INTRO_SELECT);
    q.bind(id.as_str()).push(" AND status = 'requested'");
    Ok(x.all::<IntroRow>(&q)
        .await?
        .into_iter()
        .map(|i| (i.account_id, i.row_key, MappingIntroId::from_trusted(i.id)))
        .collect())
}

fn not_found() -> StoreError {
    StoreError::NotFound(EntityKind::MappingPartnership)
}

impl Store {
    /// Asks the other side for an introduction from a co-sell suggestion (the side with the
    /// open opportunity asks); one open request per pair.
    #[tracing::instrument(skip_all, fields(mapping_id = %id))]
    pub async fn request_mapping_intro(
        &self,
        actor: &Actor,
        id: &str,
        input: &MappingIntroInput,
    ) -> Result<MappingIntro> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let m = partnership_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMapping(&m.partner_id))?;
        must_be_active(&m)?;
        let match_id = input.match_id.trim();
        let Some(r) = co_sell_matches(&mut tx, &m)
            .await?
            .into_iter()
            .find(|r| r.id == match_id)
        else {
            return Err(Invalid::one(
                "match_id",
                "mapping.not_co_sell",
                "match_id must name a co-sell suggestion of this mapping (a customer of one side where the other has an open opportunity, in a cell both sides share)",
            )
            .into());
        };
        let (vp, pp) = (
            population(&r.vendor_population)?,
            population(&r.partner_population)?,
        );
        let side = side_of(actor);
        if intro_asker(vp, pp) != Some(side) {
            return Err(Invalid::one(
                "match_id",
                "mapping.intro_side",
                "the side with the open opportunity asks for the introduction; the side with the customer answers",
            )
            .into());
        }
        let key = key_of(&r);
        if open_intros(&mut tx, &m.id)
            .await?
            .iter()
            .any(|(a, k, _)| *a == r.account_id && *k == key)
        {
            return Err(StoreError::conflict(
                "match_id",
                "mapping.intro_open",
                "an introduction is already asked for this account and waits for an answer",
            ));
        }
        // The vendor's open opportunity on the account in the partner's program, where the
        // introduction will be logged as the partner's touchpoint.
        let opportunity = if side == Side::Vendor {
            let mut q = Sql::new(
                "SELECT o.id FROM opportunities o JOIN partners p ON p.program_id = o.program_id WHERE o.closed_at IS NULL AND o.account_id = ",
            );
            q.bind(r.account_id.as_str())
                .push(" AND p.id = ")
                .bind(m.partner_id.as_str())
                .push(" ORDER BY o.created_at, o.id LIMIT 1");
            tx.optional::<IdRow>(&q).await?.map(|o| o.id)
        } else {
            None
        };
        let intro: MappingIntroId = new_id();
        let mut q = Sql::new(
            "INSERT INTO mapping_intro_requests (id, partnership_id, partner_id, account_id, row_key, opportunity_id, requested_by_side, requested_by, status, created_at) VALUES (",
        );
        q.bind(intro.as_str())
            .push(", ")
            .bind(m.id.as_str())
            .push(", ")
            .bind(m.partner_id.as_str())
            .push(", ")
            .bind(r.account_id.as_str())
            .push(", ")
            .bind(key.as_str())
            .push(", ")
            .bind(opportunity.as_deref())
            .push(", ")
            .bind(side.as_str())
            .push(", ")
            .bind(actor.audit_name())
            .push(", 'requested', ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let mut q = Sql::new(INTRO_SELECT);
        q.bind(m.id.as_str())
            .push(" AND id = ")
            .bind(intro.as_str());
        let row = tx.optional::<IntroRow>(&q).await?.ok_or_else(not_found)?;
        let out = intro_from(row, &r, &m, side)?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::MappingPartnership,
            m.id.as_str(),
            AuditAction::Created,
            Some(&m.partner_id),
            None::<&()>,
            Some(&serde_json::json!({"intro_id": intro.as_str(), "match_id": r.id, "status": "requested"})),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The introductions asked in a partnership whose pair still overlaps, newest first,
    /// as `scope`'s side may see them.
    pub async fn mapping_intros(&self, scope: &Scope, id: &str) -> Result<Vec<MappingIntro>> {
        let mut read = self.db.read();
        let m = partnership_in(&mut read, scope, id).await?;
        let matches = co_sell_matches(&mut read, &m).await?;
        let mut q = Sql::new(INTRO_SELECT);
        q.bind(m.id.as_str()).push(" ORDER BY created_at DESC, id");
        let side = scope_side(scope);
        let mut out = Vec::new();
        for i in read.all::<IntroRow>(&q).await? {
            if let Some(r) = matches
                .iter()
                .find(|r| r.account_id == i.account_id && key_of(r) == i.row_key)
            {
                out.push(intro_from(i, r, &m, side)?);
            }
        }
        Ok(out)
    }

    /// The other side answers an introduction: made (logged as the partner's introduction
    /// touchpoint on the vendor's open opportunity, when there is one) or declined.
    #[tracing::instrument(skip_all, fields(mapping_id = %id))]
    pub async fn answer_mapping_intro(
        &self,
        actor: &Actor,
        id: &str,
        intro_id: &str,
        answer: &MappingIntroAnswer,
    ) -> Result<MappingIntro> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let m = partnership_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMapping(&m.partner_id))?;
        must_be_active(&m)?;
        let mut q = Sql::new(INTRO_SELECT);
        q.bind(m.id.as_str()).push(" AND id = ").bind(intro_id);
        let i = tx.optional::<IntroRow>(&q).await?.ok_or_else(not_found)?;
        let matches = co_sell_matches(&mut tx, &m).await?;
        let Some(r) = matches
            .iter()
            .find(|r| r.account_id == i.account_id && key_of(r) == i.row_key)
        else {
            return Err(not_found());
        };
        let side = side_of(actor);
        let asker = Side::parse("requested_by_side", &i.requested_by_side).map_err(corrupt)?;
        let status = IntroStatus::parse("status", &i.status).map_err(corrupt)?;
        if let Err(why) = may_answer_intro(side, asker, status) {
            return Err(if side == asker {
                refused("mapping.intro_side", why)
            } else {
                StoreError::conflict("status", "mapping.intro_answered", why)
            });
        }
        let mut touchpoint = None;
        if answer.made
            && let Some(opportunity) = i.opportunity_id.as_deref()
        {
            let o: Opportunity = entity::fetch(&mut tx, &Scope::Vendor, opportunity).await?;
            let f = TouchpointFields {
                partner_id: Some(m.partner_id.clone()),
                kind: TouchpointKind::Introduction,
                occurred_at: now,
                notes: Some(format!(
                    "Introduction asked from account mapping by {} (co-sell suggestion)",
                    i.requested_by
                )),
            };
            let late = is_late_when_logged(f.occurred_at, now, o.closed_at);
            let t = crate::pipeline::touchpoint::write(
                &mut tx,
                now,
                actor,
                &o,
                &m.partner_id,
                &f,
                late,
            )
            .await?;
            touchpoint = Some(t.id);
        }
        let status = if answer.made {
            IntroStatus::Made
        } else {
            IntroStatus::Declined
        };
        let mut q = Sql::new("UPDATE mapping_intro_requests SET status = ");
        q.bind(status.as_str())
            .push(", touchpoint_id = ")
            .bind(touchpoint.as_ref().map(|t| t.as_str()))
            .push(", answered_by = ")
            .bind(actor.audit_name())
            .push(", answered_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(intro_id);
        tx.execute(&q).await?;
        let mut q = Sql::new(INTRO_SELECT);
        q.bind(m.id.as_str()).push(" AND id = ").bind(intro_id);
        let row = tx.optional::<IntroRow>(&q).await?.ok_or_else(not_found)?;
        let out = intro_from(row, r, &m, side)?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::MappingPartnership,
            m.id.as_str(),
            AuditAction::Decided,
            Some(&m.partner_id),
            None::<&()>,
            Some(&serde_json::json!({"intro_id": intro_id, "status": status.as_str(), "touchpoint_id": touchpoint.as_ref().map(|t| t.as_str())})),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}
