//! What a campaign leads to: the MDF request that funds it (checked at launch), and, when a
//! lead's registration opens a deal, the partner's `campaign_lead` touchpoint on it and the
//! deal's link to the funding request, so its won revenue counts in that activity's ROI.

use chrono::{DateTime, Utc};
use partnerops_core::ids::{EntityId, MdfRequestId, PartnerId};
use partnerops_core::mdf::record::MdfRequest;
use partnerops_core::mdf::rules::{ActivityType, RequestState, may_fund_campaign};
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::pipeline::record::Opportunity;
use partnerops_core::pipeline::touchpoint::{
    TouchpointFields, TouchpointKind, is_late_when_logged,
};
use partnerops_core::scope::Scope;
use partnerops_core::{FieldError, Invalid};

use crate::db::{Exec, Sql, Tx, row};
use crate::mdf::RequestFilter;
use crate::{Actor, Result, Store, StoreError};

row! {
    struct Funding {
        state: String,
        activity_type: String,
    }
}

/// Refuses `request` as the funding of a campaign of `partner` unless it is one of the
/// partner's approved marketing requests. Another partner's request reads as no request.
pub(super) async fn check_funding(
    tx: &mut Tx,
    partner: &PartnerId,
    request: &MdfRequestId,
) -> Result<()> {
    let mut q = Sql::new("SELECT r.state, r.activity_type FROM mdf_requests r WHERE r.id = ");
    q.bind(request.as_str());
    crate::scope::restrict(
        &mut q,
        &Scope::Partner(partner.clone()),
        partnerops_core::audit::EntityKind::MdfRequest,
        "r",
    );
    let Some(f) = tx.optional::<Funding>(&q).await? else {
        return Err(Invalid::one(
            "mdf_request_id",
            "exists",
            "mdf_request_id names no MDF request of your partner",
        )
        .into());
    };
    let corrupt = |e: FieldError| StoreError::Corrupt(e.message);
    let state = RequestState::parse("state", &f.state).map_err(corrupt)?;
    let activity = ActivityType::parse("activity_type", &f.activity_type).map_err(corrupt)?;
    may_fund_campaign(state, activity)
        .map_err(|r| Invalid::one("mdf_request_id", r.rule, r.reason).into())
}

row! {
    struct LeadOrigin {
        partner_id: String,
        created_at: DateTime<Utc>,
        campaign_name: String,
        mdf_request_id: Option<String>,
    }
}

/// `o` was just opened from a registration: if a campaign lead became that registration,
/// the partner's campaign gets the credit (a `campaign_lead` touchpoint dated when the lead
/// came in) and a funding MDF request gets the deal. Runs in the opening transaction.
pub(crate) async fn lead_opened(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    o: &Opportunity,
) -> Result<()> {
    let Some(registration) = &o.registration_id else {
        return Ok(());
    };
    let mut q = Sql::new(
        "SELECT l.partner_id, l.created_at, c.name AS campaign_name, c.mdf_request_id FROM campaign_leads l JOIN campaigns c ON c.id = l.campaign_id WHERE l.registration_id = ",
    );
    q.bind(registration.as_str());
    let Some(lead) = tx.optional::<LeadOrigin>(&q).await? else {
        return Ok(());
    };
    let partner = PartnerId::from_trusted(lead.partner_id);
    let fields = TouchpointFields {
        partner_id: Some(partner.clone()),
        kind: TouchpointKind::CampaignLead,
        occurred_at: lead.created_at,
        notes: Some(format!("Lead from the campaign “{}”", lead.campaign_name)),
    };
    let late = is_late_when_logged(lead.created_at, now, o.closed_at);
    crate::pipeline::touchpoint::write(tx, now, actor, o, &partner, &fields, late).await?;
    if let Some(request) = lead.mdf_request_id {
        let mut q = Sql::new(
            "INSERT INTO mdf_request_opportunities (request_id, opportunity_id, linked_by, linked_at) VALUES (",
        );
        q.bind(request.as_str())
            .push(", ")
            .bind(o.id.as_str())
            .push(", ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (request_id, opportunity_id) DO NOTHING");
        tx.execute(&q).await?;
    }
    Ok(())
}

impl Store {
    /// The MDF requests that may fund a new campaign of the caller's partner, newest first.
    pub async fn campaign_funding_options(&self, scope: &Scope) -> Result<Vec<MdfRequest>> {
        let page = PageRequest::parse(
            &PageParams {
                sort: Some("-created_at".into()),
                limit: Some("200".into()),
                cursor: None,
            },
            &Store::mdf_request_sorts(),
        )?;
        let requests = self
            .mdf_requests(scope, &RequestFilter::default(), &page)
            .await?
            .items;
        Ok(requests
            .into_iter()
            .filter(|r| may_fund_campaign(r.state, r.activity_type).is_ok())
            .collect())
    }
}
