//! Through-partner campaigns: templates (vendor marketing), campaigns partners launch from
//! them, the leads their landing pages take, a lead made a registration, and each campaign's
//! results. The landing page itself is public HTML (`/c/{slug}`), not part of the API.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::campaign::record::{
    Campaign, CampaignLead, CampaignReport, CampaignTemplate, LaunchInput, RegisterLeadInput,
    TemplateInput, TemplateStatus,
};
use partnerops_core::ids::parse_id;
use partnerops_core::registration::record::Registration;
use serde::Deserialize;

use super::{Tagged, TaggedAnswer, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filter of the template list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    pub program_id: Option<String>,
}

/// Campaign templates (a partner: the published ones of its program).
#[utoipa::path(get, path = "/api/v1/campaign-templates", tag = "campaigns", params(TemplateQuery),
    responses((status = 200, body = Vec<CampaignTemplate>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn templates(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<TemplateQuery>,
) -> Answer<Vec<CampaignTemplate>> {
    let mut inv = Invalid::new();
    let program = filter(&mut inv, "program_id", q.program_id.as_deref(), parse_id);
    if !inv.is_empty() {
        return Err(inv.into());
    }
    Ok(axum::Json(
        s.store
            .campaign_templates(who.scope(), program.as_ref())
            .await?,
    ))
}

/// Author a template (a draft until published). Bodies are Markdown with the placeholders
/// `{{partner_name}}`, `{{partner_logo}}`, `{{contact_name}}`, `{{contact_email}}`, `{{offer}}`.
#[utoipa::path(post, path = "/api/v1/campaign-templates", tag = "campaigns", request_body = TemplateInput,
    responses((status = 201, body = CampaignTemplate), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_template(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<TemplateInput>,
) -> Result<(StatusCode, axum::Json<CampaignTemplate>), ApiError> {
    let t = s
        .store
        .create_campaign_template(&who.actor(), &input)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(t)))
}

/// One template.
#[utoipa::path(get, path = "/api/v1/campaign-templates/{id}", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = CampaignTemplate), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn template(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<CampaignTemplate> {
    Ok(Tagged(s.store.campaign_template(who.scope(), &id).await?))
}

/// Change a template; a published one becomes a new version (launched campaigns keep theirs).
#[utoipa::path(patch, path = "/api/v1/campaign-templates/{id}", tag = "campaigns", params(("id" = String, Path), IfMatch), request_body = TemplateInput,
    responses((status = 200, body = CampaignTemplate), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_template(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<TemplateInput>,
) -> TaggedAnswer<CampaignTemplate> {
    Ok(Tagged(
        s.store
            .update_campaign_template_if(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}

/// Publish a template: partners of its program may launch it.
#[utoipa::path(post, path = "/api/v1/campaign-templates/{id}/publish", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = CampaignTemplate), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn publish_template(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<CampaignTemplate> {
    Ok(axum::Json(
        s.store
            .set_campaign_template_status(&who.actor(), &id, TemplateStatus::Published)
            .await?,
    ))
}

/// Retire a template: no new launches; launched campaigns run on.
#[utoipa::path(post, path = "/api/v1/campaign-templates/{id}/retire", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = CampaignTemplate), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn retire_template(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<CampaignTemplate> {
    Ok(axum::Json(
        s.store
            .set_campaign_template_status(&who.actor(), &id, TemplateStatus::Retired)
            .await?,
    ))
}

/// Filter of the campaign list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    pub partner_id: Option<String>,
}

/// Campaigns, newest first (a partner: its own).
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(CampaignQuery),
    responses((status = 200, body = Vec<Campaign>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn campaigns(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<CampaignQuery>,
) -> Answer<Vec<Campaign>> {
    let mut inv = Invalid::new();
    let partner = filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id);
    if !inv.is_empty() {
        return Err(inv.into());
    }
    Ok(axum::Json(
        s.store.campaigns(who.scope(), partner.as_ref()).await?,
    ))
}

/// Launch a campaign from a published template (the partner's own users): a co-branded
/// landing page at `/c/{slug}` with a lead form.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = LaunchInput,
    responses((status = 201, body = Campaign), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn launch(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<LaunchInput>,
) -> Result<(StatusCode, axum::Json<Campaign>), ApiError> {
    let c = s.store.launch_campaign(&who.actor(), &input).await?;
    Ok((StatusCode::CREATED, axum::Json(c)))
}

/// One campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = Campaign), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn campaign(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Campaign> {
    Ok(axum::Json(s.store.campaign(who.scope(), &id).await?))
}

/// End a campaign: its page says so and takes no more leads.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/end", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = Campaign), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn end(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Campaign> {
    Ok(axum::Json(s.store.end_campaign(&who.actor(), &id).await?))
}

/// A campaign's leads, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/leads", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = Vec<CampaignLead>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn leads(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<CampaignLead>> {
    Ok(axum::Json(s.store.campaign_leads(who.scope(), &id).await?))
}

/// A campaign's results: views, leads, registrations, pipeline and won revenue.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/report", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = CampaignReport), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn report(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<CampaignReport> {
    Ok(axum::Json(s.store.campaign_report(who.scope(), &id).await?))
}

/// Make a lead a registration of the partner's, in one step (the registration rules apply):
/// the account is the lead's company, the partner adds the deal's estimated ARR.
#[utoipa::path(post, path = "/api/v1/campaign-leads/{id}/registration", tag = "campaigns", params(("id" = String, Path)), request_body = RegisterLeadInput,
    responses((status = 201, body = Registration), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn register_lead(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<RegisterLeadInput>,
) -> Result<(StatusCode, axum::Json<Registration>), ApiError> {
    let r = s.store.register_lead(&who.actor(), &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(r)))
}
