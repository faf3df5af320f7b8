//! Campaigns in the browser. The console: templates authored, previewed with a sample
//! partner, published and retired; every partner's campaigns with their results. The portal:
//! the program's published templates to launch, the partner's campaigns with their public
//! address, leads and results, a lead made a registration in one click. The public landing
//! page `/c/{slug}`: the template's content co-branded (partner text escaped) and the lead
//! form (a honeypot, limits per address and per campaign, no third-party captcha).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::campaign::record::{
    Campaign, CampaignLead, CampaignReport, CampaignTemplate, LaunchInput, LeadInput,
    TemplateInput, TemplateStatus,
};
use partnerops_core::campaign::{CoBrand, HONEYPOT_FIELD, PLACEHOLDERS, fill_html, fill_text};
use partnerops_core::ids::EntityId;
use partnerops_core::mdf::record::MdfRequest;
use partnerops_core::money::{Currency, Money};
use partnerops_core::scope::Scope;
use partnerops_store::StoreError;
use partnerops_store::campaign::LeadOutcome;

use super::Routes;
use crate::AppState;
use crate::auth::ClientAddr;
use crate::ui::form::{FormView, Posted, field_errors};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::markdown;
use crate::ui::session::{SignedForm, public_csrf, public_form_ok};
use crate::ui::{Chrome, UiError};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/c/{slug}", landing)
        .post("/c/{slug}", submit_lead)
        .get("/console/campaigns", console_list)
        .get("/console/campaigns/templates/new", new_template)
        .post("/console/campaigns/templates", create_template)
        .get("/console/campaigns/templates/{id}", edit_template)
        .post("/console/campaigns/templates/{id}", update_template)
        .post(
            "/console/campaigns/templates/{id}/{action}",
            template_status,
        )
        .get("/console/campaigns/{id}", console_campaign)
        .get("/portal/campaigns", portal_list)
        .post("/portal/campaigns", launch)
        .get("/portal/campaigns/{id}", portal_campaign)
        .post("/portal/campaigns/{id}/end", end)
        .post("/portal/campaign-leads/{id}/register", register_lead)
}

// ---- the public landing page ----

/// The co-branded page: the template's Markdown rendered and sanitised, then the
/// placeholders filled with the partner's values, escaped.
fn landing_html(c: &Campaign, logo: Option<&str>) -> (String, String) {
    let brand = CoBrand {
        partner_name: &c.partner_name,
        logo_url: logo,
        contact_name: &c.contact_name,
        contact_email: &c.contact_email,
        offer: &c.offer,
    };
    (
        fill_text(&c.landing_title, &brand),
        fill_html(&markdown::render(&c.landing_body), &brand),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign/landing.html")]
struct LandingPage {
    slug: String,
    title: String,
    body: String,
    live: bool,
    csrf: String,
    form: FormView,
    thanks: bool,
    honeypot: &'static str,
}

async fn landing_page(
    state: &AppState,
    slug: &str,
    count_view: bool,
    status: StatusCode,
    form: FormView,
    thanks: bool,
) -> Result<Response, UiError> {
    let c = state.store.campaign_page(slug, count_view).await?;
    let logo = state
        .store
        .partner_logo(&c.partner_id)
        .await?
        .map(|f| format!("/files/{}", f.id));
    let (title, body) = landing_html(&c, logo.as_deref());
    let (csrf, cookie) = public_csrf(state);
    let page = LandingPage {
        slug: slug.to_owned(),
        title,
        body,
        live: c.status == partnerops_core::campaign::record::CampaignStatus::Live,
        csrf,
        form,
        thanks,
        honeypot: HONEYPOT_FIELD,
    };
    Ok((status, [(SET_COOKIE, cookie)], page).into_response())
}

async fn landing(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    landing_page(
        &state,
        &slug,
        true,
        StatusCode::OK,
        FormView::default(),
        false,
    )
    .await
}

async fn submit_lead(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    let form = FormView::from_posted(&posted);
    if !public_form_ok(&headers, &posted) {
        let inv =
            partnerops_core::Invalid::one("_", "csrf", "The form expired. Please send it again.");
        return landing_page(
            &state,
            &slug,
            false,
            StatusCode::FORBIDDEN,
            form.with_errors(inv),
            false,
        )
        .await;
    }
    let input = LeadInput {
        name: posted.get("name"),
        email: posted.get("email"),
        company: posted.get("company"),
        country: posted.get("country"),
        message: posted.get("message"),
    };
    let honeypot = posted.get(HONEYPOT_FIELD);
    match state
        .store
        .take_lead(&slug, &addr.key(), &input, honeypot.as_deref())
        .await
    {
        Ok(LeadOutcome::Taken(_) | LeadOutcome::Ignored) => {
            landing_page(
                &state,
                &slug,
                false,
                StatusCode::CREATED,
                FormView::default(),
                true,
            )
            .await
        }
        Err(StoreError::Conflict { rule, message, .. }) if rule == "lead.rate_limited" => {
            let inv = partnerops_core::Invalid::one("_", &rule, message);
            landing_page(
                &state,
                &slug,
                false,
                StatusCode::TOO_MANY_REQUESTS,
                form.with_errors(inv),
                false,
            )
            .await
        }
        Err(e) => {
            let inv = field_errors(e)?;
            landing_page(
                &state,
                &slug,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
                form.with_errors(inv),
                false,
            )
            .await
        }
    }
}

// ---- shared rows ----

/// A campaign in a list, with its results.
pub struct CampaignRow {
    pub campaign: Campaign,
    pub report: CampaignReport,
    pub pipeline: String,
    pub won: String,
}

fn money(minor: i64, currency: &str) -> String {
    match Currency::parse("currency", currency) {
        Ok(c) => Money::new(minor, c).to_string(),
        Err(_) => minor.to_string(),
    }
}

async fn rows(
    state: &AppState,
    scope: &Scope,
    campaigns: Vec<Campaign>,
) -> Result<Vec<CampaignRow>, UiError> {
    let mut out = Vec::with_capacity(campaigns.len());
    for campaign in campaigns {
        let report = state
            .store
            .campaign_report(scope, campaign.id.as_str())
            .await?;
        out.push(CampaignRow {
            pipeline: money(report.pipeline_minor, &report.currency),
            won: money(report.won_minor, &report.currency),
            campaign,
            report,
        });
    }
    Ok(out)
}

// ---- the console ----

#[derive(Template, WebTemplate)]
#[template(path = "campaign/console_list.html")]
struct ConsoleList {
    chrome: Chrome,
    templates: Vec<CampaignTemplate>,
    campaigns: Vec<CampaignRow>,
}

async fn console_list(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    let templates = state.store.campaign_templates(user.scope(), None).await?;
    let campaigns = state.store.campaigns(user.scope(), None).await?;
    Ok(ConsoleList {
        chrome: Chrome::new(&user, "campaigns"),
        templates,
        campaigns: rows(&state, user.scope(), campaigns).await?,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign/template_form.html")]
struct TemplatePage {
    chrome: Chrome,
    template: Option<CampaignTemplate>,
    programs: Vec<(String, String)>,
    form: FormView,
    placeholders: &'static [(&'static str, &'static str)],
    /// The landing page with a sample partner's values, as partners' pages will show it.
    preview_title: String,
    preview_body: String,
    preview_subject: String,
    preview_email: String,
}

fn template_form(t: &CampaignTemplate) -> FormView {
    let mut f = FormView::default();
    f.set("program_id", t.program_id.to_string());
    f.set("name", t.name.clone());
    f.set("email_subject", t.email_subject.clone());
    f.set("email_body", t.email_body.clone());
    f.set("landing_title", t.landing_title.clone());
    f.set("landing_body", t.landing_body.clone());
    f.set("default_offer", t.default_offer.clone());
    f
}

async fn template_page(
    state: &AppState,
    user: &Staff,
    template: Option<CampaignTemplate>,
    form: FormView,
) -> Result<TemplatePage, UiError> {
    let programs = crate::ui::pipeline::console::programs(state, user)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let sample = CoBrand {
        partner_name: "Acme Consulting",
        logo_url: None,
        contact_name: "Ada Lovelace",
        contact_email: "ada@acme.example",
        offer: form.v("default_offer"),
    };
    Ok(TemplatePage {
        chrome: Chrome::new(user, "campaigns"),
        preview_title: fill_text(form.v("landing_title"), &sample),
        preview_body: fill_html(&markdown::render(form.v("landing_body")), &sample),
        preview_subject: fill_text(form.v("email_subject"), &sample),
        preview_email: fill_html(&markdown::render(form.v("email_body")), &sample),
        template,
        programs,
        form,
        placeholders: &PLACEHOLDERS,
    })
}

async fn new_template(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    Ok(template_page(&state, &user, None, FormView::default())
        .await?
        .into_response())
}

fn template_input(posted: &Posted) -> TemplateInput {
    TemplateInput {
        program_id: posted.get("program_id"),
        name: posted.get("name"),
        email_subject: posted.get("email_subject"),
        email_body: posted.get("email_body"),
        landing_title: posted.get("landing_title"),
        landing_body: posted.get("landing_body"),
        default_offer: posted.get("default_offer"),
    }
}

async fn create_template(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    match state
        .store
        .create_campaign_template(&form.user.actor(), &template_input(&form.posted))
        .await
    {
        Ok(t) => {
            Ok(Redirect::to(&format!("/console/campaigns/templates/{}", t.id)).into_response())
        }
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                template_page(&state, &form.user, None, view).await?,
            )
                .into_response())
        }
    }
}

async fn edit_template(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let t = state.store.campaign_template(user.scope(), &id).await?;
    let form = template_form(&t);
    Ok(template_page(&state, &user, Some(t), form)
        .await?
        .into_response())
}

async fn update_template(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let input = TemplateInput {
        program_id: None,
        ..template_input(&form.posted)
    };
    match state
        .store
        .update_campaign_template(&form.user.actor(), &id, &input)
        .await
    {
        Ok(t) => {
            Ok(Redirect::to(&format!("/console/campaigns/templates/{}", t.id)).into_response())
        }
        Err(e) => {
            let t = state
                .store
                .campaign_template(form.user.scope(), &id)
                .await?;
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                template_page(&state, &form.user, Some(t), view).await?,
            )
                .into_response())
        }
    }
}

async fn template_status(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let status = match action.as_str() {
        "publish" => TemplateStatus::Published,
        "retire" => TemplateStatus::Retired,
        _ => return Err(UiError::NotFound),
    };
    state
        .store
        .set_campaign_template_status(&form.user.actor(), &id, status)
        .await?;
    Ok(Redirect::to(&format!("/console/campaigns/templates/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign/campaign.html")]
struct CampaignPage {
    chrome: Chrome,
    row: CampaignRow,
    leads: Vec<CampaignLead>,
    public_url: String,
    error: Option<String>,
}

async fn campaign_page(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    id: &str,
    error: Option<String>,
) -> Result<CampaignPage, UiError> {
    let c = state.store.campaign(scope, id).await?;
    let leads = state.store.campaign_leads(scope, id).await?;
    let public_url = format!(
        "{}/c/{}",
        state
            .store
            .notify_settings()
            .public_url
            .trim_end_matches('/'),
        c.slug
    );
    let row = rows(state, scope, vec![c])
        .await?
        .pop()
        .ok_or(UiError::NotFound)?;
    Ok(CampaignPage {
        chrome,
        row,
        leads,
        public_url,
        error,
    })
}

async fn console_campaign(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&user, "campaigns");
    Ok(campaign_page(&state, chrome, user.scope(), &id, None)
        .await?
        .into_response())
}

// ---- the portal ----

#[derive(Template, WebTemplate)]
#[template(path = "campaign/portal_list.html")]
struct PortalList {
    chrome: Chrome,
    templates: Vec<CampaignTemplate>,
    campaigns: Vec<CampaignRow>,
    /// The partner's approved MDF requests a campaign may be funded by.
    funding: Vec<MdfRequest>,
    form: FormView,
}

async fn portal_page(
    state: &AppState,
    user: &PartnerUser,
    form: FormView,
) -> Result<PortalList, UiError> {
    let templates = state.store.campaign_templates(user.scope(), None).await?;
    let campaigns = state.store.campaigns(user.scope(), None).await?;
    let funding = state.store.campaign_funding_options(user.scope()).await?;
    Ok(PortalList {
        chrome: Chrome::new(user, "campaigns"),
        templates,
        funding,
        campaigns: rows(state, user.scope(), campaigns).await?,
        form,
    })
}

async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<Response, UiError> {
    let mut form = FormView::default();
    form.set("contact_name", user.principal.display_name.clone());
    Ok(portal_page(&state, &user, form).await?.into_response())
}

async fn launch(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let input = LaunchInput {
        template_id: form.posted.get("template_id"),
        name: form.posted.get("name"),
        offer: form.posted.get("offer"),
        contact_name: form.posted.get("contact_name"),
        contact_email: form.posted.get("contact_email"),
        mdf_request_id: form.posted.get("mdf_request_id"),
    };
    match state
        .store
        .launch_campaign(&form.user.actor(), &input)
        .await
    {
        Ok(c) => Ok(Redirect::to(&format!("/portal/campaigns/{}", c.id)).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                portal_page(&state, &form.user, view).await?,
            )
                .into_response())
        }
    }
}

async fn portal_campaign(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&user, "campaigns");
    Ok(campaign_page(&state, chrome, user.scope(), &id, None)
        .await?
        .into_response())
}

async fn end(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    state.store.end_campaign(&form.user.actor(), &id).await?;
    Ok(Redirect::to(&format!("/portal/campaigns/{id}")).into_response())
}

async fn register_lead(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let scope = form.user.scope().clone();
    let lead = state.store.campaign_lead(&scope, &id).await?;
    // The estimated ARR is typed in the program's currency.
    let exponent = state.store.program_currency_for(&scope).await?.exponent();
    let arr = form.posted.get("estimated_arr").unwrap_or_default();
    let estimated_arr_minor =
        match crate::ui::form::major_to_minor("estimated_arr", arr.trim(), exponent) {
            Ok(minor) => Some(minor),
            Err(inv) => {
                let chrome = Chrome::new(&form.user, "campaigns");
                let why = inv.summary();
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    campaign_page(&state, chrome, &scope, lead.campaign_id.as_str(), Some(why))
                        .await?,
                )
                    .into_response());
            }
        };
    let input = partnerops_core::campaign::record::RegisterLeadInput {
        estimated_arr_minor,
        ..Default::default()
    };
    match state
        .store
        .register_lead(&form.user.actor(), &id, &input)
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/portal/registrations/{}", r.id)).into_response()),
        Err(e) => {
            let why = field_errors(e)?.summary();
            let chrome = Chrome::new(&form.user, "campaigns");
            Ok((
                StatusCode::CONFLICT,
                campaign_page(&state, chrome, &scope, lead.campaign_id.as_str(), Some(why)).await?,
            )
                .into_response())
        }
    }
}
