//! Through-partner campaigns: templates, launches, the public landing page's leads, making a
//! lead a registration, and each campaign's results. The rules (placeholders, throttles,
//! the honeypot) are `core::campaign`'s; here they meet the database.
//!
//! A partner sees the published templates of its own program and only its own campaigns and
//! leads. The landing page is public and reads a campaign by its random slug alone.

use chrono::{DateTime, Duration, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::campaign::record::{
    Campaign, CampaignLead, CampaignReport, CampaignStatus, CampaignTemplate, LaunchInput,
    LeadInput, RegisterLeadInput, TemplateInput, TemplateStatus,
};
use partnerops_core::campaign::{PER_ADDRESS, PER_CAMPAIGN, may_take_lead};
use partnerops_core::ids::{
    CampaignId, CampaignLeadId, CampaignTemplateId, EntityId, MdfRequestId, PartnerId, ProgramId,
    RegistrationId, parse_id,
};
use partnerops_core::registration::record::Registration;
use partnerops_core::registration::record::{AccountRefInput, RegistrationInput};
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

mod outcome;

pub(crate) use outcome::lead_opened;

use crate::db::{Exec, Sql, row};
use crate::decision::emit;
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope, secret};

row! {
    struct TemplateRow {
        id: String,
        program_id: String,
        name: String,
        version: i64,
        status: String,
        email_subject: String,
        email_body: String,
        landing_title: String,
        landing_body: String,
        default_offer: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        published_at: Option<DateTime<Utc>>,
    }
}

const TEMPLATE_SELECT: &str = "SELECT t.id, t.program_id, t.name, t.version, t.status, t.email_subject, t.email_body, t.landing_title, t.landing_body, t.default_offer, t.created_at, t.updated_at, t.published_at FROM campaign_templates t WHERE 1 = 1";

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(e.message)
}

fn template_from(r: TemplateRow) -> Result<CampaignTemplate> {
    Ok(CampaignTemplate {
        id: CampaignTemplateId::from_trusted(r.id),
        program_id: ProgramId::from_trusted(r.program_id),
        name: r.name,
        version: r.version,
        status: TemplateStatus::parse("status", &r.status).map_err(corrupt)?,
        email_subject: r.email_subject,
        email_body: r.email_body,
        landing_title: r.landing_title,
        landing_body: r.landing_body,
        default_offer: r.default_offer,
        created_at: r.created_at,
        updated_at: r.updated_at,
        published_at: r.published_at,
    })
}

row! {
    struct CampaignRow {
        id: String,
        template_id: String,
        template_version: i64,
        partner_id: String,
        partner_name: String,
        name: String,
        slug: String,
        status: String,
        email_subject: String,
        email_body: String,
        landing_title: String,
        landing_body: String,
        offer: String,
        contact_name: String,
        contact_email: String,
        views: i64,
        mdf_request_id: Option<String>,
        launched_at: DateTime<Utc>,
        ended_at: Option<DateTime<Utc>>,
    }
}

const CAMPAIGN_SELECT: &str = "SELECT c.id, c.template_id, c.template_version, c.partner_id, p.name AS partner_name, c.name, c.slug, c.status, c.email_subject, c.email_body, c.landing_title, c.landing_body, c.offer, c.contact_name, c.contact_email, c.views, c.mdf_request_id, c.launched_at, c.ended_at FROM campaigns c JOIN partners p ON p.id = c.partner_id WHERE 1 = 1";

fn campaign_from(r: CampaignRow) -> Result<Campaign> {
    Ok(Campaign {
        id: CampaignId::from_trusted(r.id),
        template_id: CampaignTemplateId::from_trusted(r.template_id),
        template_version: r.template_version,
        partner_id: PartnerId::from_trusted(r.partner_id),
        partner_name: r.partner_name,
        name: r.name,
        slug: r.slug,
        status: CampaignStatus::parse("status", &r.status).map_err(corrupt)?,
        email_subject: r.email_subject,
        email_body: r.email_body,
        landing_title: r.landing_title,
        landing_body: r.landing_body,
        offer: r.offer,
        contact_name: r.contact_name,
        contact_email: r.contact_email,
        views: r.views,
        mdf_request_id: r.mdf_request_id.map(MdfRequestId::from_trusted),
        launched_at: r.launched_at,
        ended_at: r.ended_at,
    })
}

row! {
    struct LeadRow {
        id: String,
        campaign_id: String,
        partner_id: String,
        name: String,
        email: String,
        company: String,
        country: String,
        message: Option<String>,
        registration_id: Option<String>,
        created_at: DateTime<Utc>,
    }
}

const LEAD_SELECT: &str = "SELECT l.id, l.campaign_id, l.partner_id, l.name, l.email, l.company, l.country, l.message, l.registration_id, l.created_at FROM campaign_leads l WHERE 1 = 1";

fn lead_from(r: LeadRow) -> CampaignLead {
    CampaignLead {
        id: CampaignLeadId::from_trusted(r.id),
        campaign_id: CampaignId::from_trusted(r.campaign_id),
        partner_id: PartnerId::from_trusted(r.partner_id),
        name: r.name,
        email: r.email,
        company: r.company,
        country: r.country,
        message: r.message,
        registration_id: r.registration_id.map(RegistrationId::from_trusted),
        created_at: r.created_at,
    }
}

async fn template_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<CampaignTemplate> {
    let not_found = StoreError::NotFound(EntityKind::CampaignTemplate);
    if CampaignTemplateId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(TEMPLATE_SELECT);
    q.push(" AND t.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::CampaignTemplate, "t");
    template_from(x.optional::<TemplateRow>(&q).await?.ok_or(not_found)?)
}

async fn campaign_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<Campaign> {
    let not_found = StoreError::NotFound(EntityKind::Campaign);
    if CampaignId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(CAMPAIGN_SELECT);
    q.push(" AND c.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::Campaign, "c");
    campaign_from(x.optional::<CampaignRow>(&q).await?.ok_or(not_found)?)
}

async fn lead_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<CampaignLead> {
    let not_found = StoreError::NotFound(EntityKind::CampaignLead);
    if CampaignLeadId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(LEAD_SELECT);
    q.push(" AND l.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::CampaignLead, "l");
    Ok(lead_from(
        x.optional::<LeadRow>(&q).await?.ok_or(not_found)?,
    ))
}

/// A lead the landing page took, or did not.
#[derive(Debug)]
pub enum LeadOutcome {
    Taken(Box<CampaignLead>),
    /// The honeypot was filled: answered like a success, nothing stored.
    Ignored,
}

impl Store {
    /// Templates: staff see all (of a program, if named); a partner the published ones of
    /// its program.
    pub async fn campaign_templates(
        &self,
        scope: &Scope,
        program_id: Option<&ProgramId>,
    ) -> Result<Vec<CampaignTemplate>> {
        let mut q = Sql::new(TEMPLATE_SELECT);
        if let Some(p) = program_id {
            q.push(" AND t.program_id = ").bind(p.as_str());
        }
        scope::restrict(&mut q, scope, EntityKind::CampaignTemplate, "t");
        q.push(" ORDER BY t.name, t.id");
        self.db
            .read()
            .all::<TemplateRow>(&q)
            .await?
            .into_iter()
            .map(template_from)
            .collect()
    }

    pub async fn campaign_template(&self, scope: &Scope, id: &str) -> Result<CampaignTemplate> {
        template_in(&mut self.db.read(), scope, id).await
    }

    /// A new template, as a draft.
    #[tracing::instrument(skip_all)]
    pub async fn create_campaign_template(
        &self,
        actor: &Actor,
        input: &TemplateInput,
    ) -> Result<CampaignTemplate> {
        actor.authorize(&Action::WriteCampaignTemplate)?;
        let mut inv = Invalid::new();
        let program: Option<ProgramId> = inv.check(parse_id(
            "program_id",
            input.program_id.as_deref().unwrap_or(""),
        ));
        let fields = input.parse();
        let (program, f) = match (program, fields) {
            (Some(p), Ok(f)) if inv.is_empty() => (p, f),
            (_, fields) => {
                inv.errors
                    .extend(fields.err().map(|e| e.errors).unwrap_or_default());
                return Err(inv.into());
            }
        };
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        row! { struct Exists { #[allow(dead_code)] id: String } }
        let mut q = Sql::new("SELECT id FROM programs WHERE archived_at IS NULL AND id = ");
        q.bind(program.as_str());
        if tx.optional::<Exists>(&q).await?.is_none() {
            return Err(
                Invalid::one("program_id", "exists", "program_id names no live program").into(),
            );
        }
        let id: CampaignTemplateId = new_id();
        let mut q = Sql::new(
            "INSERT INTO campaign_templates (id, program_id, name, version, status, email_subject, email_body, landing_title, landing_body, default_offer, created_by, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(program.as_str())
            .push(", ")
            .bind(f.name.as_str())
            .push(", 1, 'draft', ")
            .bind(f.email_subject.as_str())
            .push(", ")
            .bind(f.email_body.as_str())
            .push(", ")
            .bind(f.landing_title.as_str())
            .push(", ")
            .bind(f.landing_body.as_str())
            .push(", ")
            .bind(f.default_offer.as_str())
            .push(", ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let t = template_in(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::CampaignTemplate,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&t),
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Changes a template. A published template's change is a new version: campaigns
    /// launched from it keep their own copy of the earlier content.
    /// [`Store::update_campaign_template_if`] without a precondition.
    pub async fn update_campaign_template(
        &self,
        actor: &Actor,
        id: &str,
        input: &TemplateInput,
    ) -> Result<CampaignTemplate> {
        self.update_campaign_template_if(actor, id, input, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(template_id = %id))]
    pub async fn update_campaign_template_if(
        &self,
        actor: &Actor,
        id: &str,
        input: &TemplateInput,
        precondition: &crate::etag::Precondition,
    ) -> Result<CampaignTemplate> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        crate::etag::hold(&mut tx, "campaign_templates", id, precondition).await?;
        let before = template_in(&mut tx, &actor.scope(), id).await?;
        precondition.check(&before)?;
        actor.authorize(&Action::WriteCampaignTemplate)?;
        let merged = TemplateInput {
            program_id: None,
            name: input.name.clone().or(Some(before.name.clone())),
            email_subject: input
                .email_subject
                .clone()
                .or(Some(before.email_subject.clone())),
            email_body: input.email_body.clone().or(Some(before.email_body.clone())),
            landing_title: input
                .landing_title
                .clone()
                .or(Some(before.landing_title.clone())),
            landing_body: input
                .landing_body
                .clone()
                .or(Some(before.landing_body.clone())),
            default_offer: input
                .default_offer
                .clone()
                .or(Some(before.default_offer.clone())),
        };
        if input.program_id.is_some() {
            return Err(
                Invalid::one("program_id", "immutable", "a template stays in its program").into(),
            );
        }
        let f = merged.parse()?;
        let bump = i64::from(before.status == TemplateStatus::Published);
        let mut q = Sql::new("UPDATE campaign_templates SET name = ");
        q.bind(f.name.as_str())
            .push(", email_subject = ")
            .bind(f.email_subject.as_str())
            .push(", email_body = ")
            .bind(f.email_body.as_str())
            .push(", landing_title = ")
            .bind(f.landing_title.as_str())
            .push(", landing_body = ")
            .bind(f.landing_body.as_str())
            .push(", default_offer = ")
            .bind(f.default_offer.as_str())
            .push(", version = version + ")
            .bind(bump)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = template_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::CampaignTemplate,
            id,
            AuditAction::Updated,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Publishes (partners may launch it) or retires (no new launches) a template.
    #[tracing::instrument(skip_all, fields(template_id = %id))]
    pub async fn set_campaign_template_status(
        &self,
        actor: &Actor,
        id: &str,
        status: TemplateStatus,
    ) -> Result<CampaignTemplate> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = template_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WriteCampaignTemplate)?;
        if status == TemplateStatus::Draft || before.status == status {
            return Err(StoreError::conflict(
                "status",
                "campaign_template.status",
                format!(
                    "the template is {} already; it can be published or retired",
                    before.status.label().to_lowercase()
                ),
            ));
        }
        let mut q = Sql::new("UPDATE campaign_templates SET status = ");
        q.bind(status.as_str()).push(", updated_at = ").bind(now);
        if status == TemplateStatus::Published {
            q.push(", published_at = ").bind(now);
        }
        q.push(" WHERE id = ").bind(id);
        tx.execute(&q).await?;
        let after = template_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::CampaignTemplate,
            id,
            AuditAction::Updated,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A partner launches a campaign from a published template of its program: the
    /// campaign keeps a copy of the template's current content and gets a random public
    /// address.
    #[tracing::instrument(skip_all)]
    pub async fn launch_campaign(&self, actor: &Actor, input: &LaunchInput) -> Result<Campaign> {
        let Scope::Partner(partner) = actor.scope() else {
            return Err(Invalid::one(
                "partner_id",
                "partner_only",
                "campaigns are launched by the partner's own users, from the portal",
            )
            .into());
        };
        actor.authorize(&Action::RunCampaign(&partner))?;
        let f = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let template_id = input.template_id.as_deref().unwrap_or("");
        let t = template_in(&mut tx, &actor.scope(), template_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => Invalid::one(
                    "template_id",
                    "exists",
                    "template_id names no published template of your program",
                )
                .into(),
                e => e,
            })?;
        if let Some(request) = &f.mdf_request_id {
            outcome::check_funding(&mut tx, &partner, request).await?;
        }
        let id: CampaignId = new_id();
        let slug = secret::random_token("")[..24].to_owned();
        let offer = f.offer.clone().unwrap_or_else(|| t.default_offer.clone());
        let mut q = Sql::new(
            "INSERT INTO campaigns (id, template_id, template_version, partner_id, name, slug, status, email_subject, email_body, landing_title, landing_body, offer, contact_name, contact_email, views, mdf_request_id, launched_by, launched_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(t.id.as_str())
            .push(", ")
            .bind(t.version)
            .push(", ")
            .bind(partner.as_str())
            .push(", ")
            .bind(f.name.as_str())
            .push(", ")
            .bind(slug.as_str())
            .push(", 'live', ")
            .bind(t.email_subject.as_str())
            .push(", ")
            .bind(t.email_body.as_str())
            .push(", ")
            .bind(t.landing_title.as_str())
            .push(", ")
            .bind(t.landing_body.as_str())
            .push(", ")
            .bind(offer.as_str())
            .push(", ")
            .bind(f.contact_name.as_str())
            .push(", ")
            .bind(f.contact_email.as_str())
            .push(", 0, ")
            .bind(f.mdf_request_id.as_ref().map(EntityId::as_str))
            .push(", ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let c = campaign_in(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Campaign,
            id.as_str(),
            AuditAction::Created,
            Some(&partner),
            None::<&()>,
            Some(&c),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "campaign.launched",
            id.as_str(),
            Some(&partner),
            &c,
        )
        .await?;
        if let Some(user) = actor.user_id() {
            crate::engagement::record(
                &mut tx,
                now,
                &partner,
                user,
                partnerops_core::engagement::EngagementKind::CampaignLaunched,
                id.as_str(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(c)
    }

    /// Ends a campaign: its page stays up, saying so, and takes no more leads.
    #[tracing::instrument(skip_all, fields(campaign_id = %id))]
    pub async fn end_campaign(&self, actor: &Actor, id: &str) -> Result<Campaign> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = campaign_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::RunCampaign(&before.partner_id))?;
        if before.status == CampaignStatus::Ended {
            return Err(StoreError::conflict(
                "status",
                "campaign.ended",
                "the campaign has ended already",
            ));
        }
        let mut q = Sql::new("UPDATE campaigns SET status = 'ended', ended_at = ");
        q.bind(now).push(" WHERE id = ").bind(id);
        tx.execute(&q).await?;
        let after = campaign_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Campaign,
            id,
            AuditAction::Updated,
            Some(&after.partner_id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Campaigns as `scope` sees them, newest first (staff: of one partner, if named).
    pub async fn campaigns(
        &self,
        scope: &Scope,
        partner_id: Option<&PartnerId>,
    ) -> Result<Vec<Campaign>> {
        let mut q = Sql::new(CAMPAIGN_SELECT);
        scope::restrict(&mut q, scope, EntityKind::Campaign, "c");
        if let Some(p) = partner_id {
            q.push(" AND c.partner_id = ").bind(p.as_str());
        }
        q.push(" ORDER BY c.launched_at DESC, c.id DESC LIMIT 500");
        self.db
            .read()
            .all::<CampaignRow>(&q)
            .await?
            .into_iter()
            .map(campaign_from)
            .collect()
    }

    pub async fn campaign(&self, scope: &Scope, id: &str) -> Result<Campaign> {
        campaign_in(&mut self.db.read(), scope, id).await
    }

    /// The campaign behind a public address, and its partner's logo; counts the view.
    pub async fn campaign_page(&self, slug: &str, count_view: bool) -> Result<Campaign> {
        let not_found = StoreError::NotFound(EntityKind::Campaign);
        if slug.len() != 24 || !slug.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found);
        }
        if count_view {
            let mut tx = self.db.begin_write().await?;
            let mut q = Sql::new("UPDATE campaigns SET views = views + 1 WHERE slug = ");
            q.bind(slug);
            tx.execute(&q).await?;
            tx.commit().await?;
        }
        let mut q = Sql::new(CAMPAIGN_SELECT);
        q.push(" AND c.slug = ").bind(slug);
        campaign_from(
            self.db
                .read()
                .optional::<CampaignRow>(&q)
                .await?
                .ok_or(not_found)?,
        )
    }

    /// Takes a lead from a landing page: the campaign must be live, the visitor's address
    /// (`client_key`, a hash of it) and the campaign within their limits, the fields valid.
    /// A filled honeypot stores nothing and says so only to the caller.
    #[tracing::instrument(skip_all)]
    pub async fn take_lead(
        &self,
        slug: &str,
        client_key: &str,
        input: &LeadInput,
        honeypot: Option<&str>,
    ) -> Result<LeadOutcome> {
        let campaign = self.campaign_page(slug, false).await?;
        if campaign.status != CampaignStatus::Live {
            return Err(StoreError::conflict(
                "_",
                "campaign.ended",
                "this campaign has ended and takes no more requests",
            ));
        }
        if partnerops_core::campaign::is_bot(honeypot) {
            return Ok(LeadOutcome::Ignored);
        }
        let f = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        row! { struct At { created_at: DateTime<Utc> } }
        let mut q = Sql::new("SELECT created_at FROM campaign_leads WHERE client_key = ");
        q.bind(client_key)
            .push(" AND created_at > ")
            .bind(now - PER_ADDRESS.window);
        let from_address: Vec<DateTime<Utc>> = tx
            .all::<At>(&q)
            .await?
            .into_iter()
            .map(|a| a.created_at)
            .collect();
        let mut q = Sql::new("SELECT created_at FROM campaign_leads WHERE campaign_id = ");
        q.bind(campaign.id.as_str())
            .push(" AND created_at > ")
            .bind(now - PER_CAMPAIGN.window);
        let to_campaign: Vec<DateTime<Utc>> = tx
            .all::<At>(&q)
            .await?
            .into_iter()
            .map(|a| a.created_at)
            .collect();
        if let Err(retry_at) = may_take_lead(&from_address, &to_campaign, now) {
            let wait = (retry_at - now).max(Duration::minutes(1));
            return Err(StoreError::conflict(
                "_",
                "lead.rate_limited",
                format!(
                    "too many requests from here just now: please try again in {} minutes",
                    wait.num_minutes().max(1)
                ),
            ));
        }
        let id: CampaignLeadId = new_id();
        let mut q = Sql::new(
            "INSERT INTO campaign_leads (id, campaign_id, partner_id, name, email, company, country, message, client_key, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(campaign.id.as_str())
            .push(", ")
            .bind(campaign.partner_id.as_str())
            .push(", ")
            .bind(f.name.as_str())
            .push(", ")
            .bind(f.email.as_str())
            .push(", ")
            .bind(f.company.as_str())
            .push(", ")
            .bind(f.country.as_str())
            .push(", ")
            .bind(f.message.as_deref())
            .push(", ")
            .bind(client_key)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let lead = lead_in(&mut tx, &Scope::Vendor, id.as_str()).await?;
        let actor = Actor::system("landing page");
        audit::record(
            &mut tx,
            now,
            &actor,
            EntityKind::CampaignLead,
            id.as_str(),
            AuditAction::Created,
            Some(&campaign.partner_id),
            None::<&()>,
            Some(&lead),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "campaign.lead",
            id.as_str(),
            Some(&campaign.partner_id),
            &lead,
        )
        .await?;
        tx.commit().await?;
        Ok(LeadOutcome::Taken(Box::new(lead)))
    }

    /// One lead.
    pub async fn campaign_lead(&self, scope: &Scope, id: &str) -> Result<CampaignLead> {
        lead_in(&mut self.db.read(), scope, id).await
    }

    /// A campaign's leads, newest first.
    pub async fn campaign_leads(
        &self,
        scope: &Scope,
        campaign_id: &str,
    ) -> Result<Vec<CampaignLead>> {
        let mut read = self.db.read();
        let c = campaign_in(&mut read, scope, campaign_id).await?;
        let mut q = Sql::new(LEAD_SELECT);
        q.push(" AND l.campaign_id = ").bind(c.id.as_str());
        q.push(" ORDER BY l.created_at DESC, l.id DESC LIMIT 1000");
        Ok(read
            .all::<LeadRow>(&q)
            .await?
            .into_iter()
            .map(lead_from)
            .collect())
    }

    /// Makes a lead a registration of the partner's, in one step: the account is the lead's
    /// company (matched by the e-mail's domain, then by name), the registration's rules apply
    /// as to any other. A lead becomes one registration at most: if another request made it
    /// one meanwhile, this one's registration is withdrawn again and the answer says so.
    #[tracing::instrument(skip_all, fields(lead_id = %lead_id))]
    pub async fn register_lead(
        &self,
        actor: &Actor,
        lead_id: &str,
        input: &RegisterLeadInput,
    ) -> Result<Registration> {
        let lead = lead_in(&mut self.db.read(), &actor.scope(), lead_id).await?;
        actor.authorize(&Action::RunCampaign(&lead.partner_id))?;
        if let Some(r) = &lead.registration_id {
            return Err(StoreError::conflict(
                "lead_id",
                "lead.registered",
                format!("this lead is registration {r} already"),
            ));
        }
        let campaign = campaign_in(
            &mut self.db.read(),
            &Scope::Vendor,
            lead.campaign_id.as_str(),
        )
        .await?;
        let domain = lead.email.rsplit_once('@').map(|(_, d)| d.to_owned());
        let input = RegistrationInput {
            account: Some(AccountRefInput {
                name: Some(lead.company.clone()),
                web_domain: domain,
                country: Some(lead.country.clone()),
            }),
            partner_id: matches!(actor.scope(), Scope::Vendor).then(|| lead.partner_id.to_string()),
            title: input
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .or_else(|| Some(format!("{} (lead from {})", lead.company, campaign.name))),
            estimated_arr_minor: input.estimated_arr_minor,
            expected_close_on: input.expected_close_on.clone(),
            ..Default::default()
        };
        let registration = self.submit_registration(actor, &input).await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new("UPDATE campaign_leads SET registration_id = ");
        q.bind(registration.id.as_str())
            .push(" WHERE registration_id IS NULL AND id = ")
            .bind(lead_id);
        let claimed = tx.execute(&q).await? == 1;
        if claimed {
            let after = lead_in(&mut tx, &Scope::Vendor, lead_id).await?;
            audit::record(
                &mut tx,
                now,
                actor,
                EntityKind::CampaignLead,
                lead_id,
                AuditAction::Updated,
                Some(&lead.partner_id),
                Some(&lead),
                Some(&after),
            )
            .await?;
            tx.commit().await?;
            return Ok(registration);
        }
        drop(tx);
        self.withdraw_registration(actor, registration.id.as_str())
            .await?;
        Err(StoreError::conflict(
            "lead_id",
            "lead.registered",
            "this lead was made a registration by another request just now",
        ))
    }

    /// What a campaign brought: views, leads, registrations made of them, and their
    /// opportunities' open pipeline and won ARR in the program's currency at each deal's
    /// stored rate (deals without a rate to it are left out of the sums).
    pub async fn campaign_report(
        &self,
        scope: &Scope,
        campaign_id: &str,
    ) -> Result<CampaignReport> {
        let mut read = self.db.read();
        let c = campaign_in(&mut read, scope, campaign_id).await?;
        row! { struct Counts { leads: i64, registrations: i64 } }
        let mut q = Sql::new(
            "SELECT CAST(COUNT(*) AS BIGINT) AS leads, CAST(COUNT(registration_id) AS BIGINT) AS registrations FROM campaign_leads WHERE campaign_id = ",
        );
        q.bind(c.id.as_str());
        let counts = read.optional::<Counts>(&q).await?.unwrap_or(Counts {
            leads: 0,
            registrations: 0,
        });
        row! { struct Deal { stage: String, amount_minor: i64, currency: String, close_rate_to: Option<String>, amount_at_close_minor: Option<i64> } }
        let mut q = Sql::new(
            "SELECT o.stage, o.amount_minor, o.currency, o.close_rate_to, o.amount_at_close_minor FROM campaign_leads l JOIN opportunities o ON o.registration_id = l.registration_id WHERE l.campaign_id = ",
        );
        q.bind(c.id.as_str());
        let deals: Vec<Deal> = read.all(&q).await?;
        let currency = self
            .program_currency_for(&Scope::Partner(c.partner_id.clone()))
            .await?;
        let rates = crate::pipeline::fx::all_rates(&mut read).await?;
        let today = self.now().date_naive();
        let mut report = CampaignReport {
            views: c.views,
            leads: counts.leads,
            registrations: counts.registrations,
            opportunities: deals.len() as i64,
            currency: currency.to_string(),
            ..CampaignReport::default()
        };
        for d in deals {
            let Ok(from) = partnerops_core::money::Currency::parse("currency", &d.currency) else {
                continue;
            };
            // A won deal counts at its rate at close, an open one at today's.
            let converted = match (
                d.stage.as_str(),
                d.close_rate_to.as_deref(),
                d.amount_at_close_minor,
            ) {
                ("won", Some(to), Some(minor)) if to == currency.as_str() => Some(minor),
                _ => rates
                    .convert(
                        partnerops_core::money::Money::new(d.amount_minor, from),
                        currency,
                        today,
                    )
                    .ok()
                    .map(|m| m.amount_minor),
            };
            let Some(amount) = converted else { continue };
            match d.stage.as_str() {
                "won" => report.won_minor += amount,
                "lost" => {}
                _ => report.pipeline_minor += amount,
            }
        }
        Ok(report)
    }
}
