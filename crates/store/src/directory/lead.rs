//! The partner locator's lead form: enquiries on public listings, rate-limited per client
//! address and per listing, shown to the listing's partner and vendor staff, counted in the
//! listing's usage statistics, and made a deal registration by the partner in one step.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::campaign::is_bot;
use partnerops_core::directory::lead::{
    DirectoryLead, EnquiryInput, RegisterEnquiryInput, may_take,
};
use partnerops_core::ids::{
    DirectoryLeadId, DirectoryListingId, EntityId, PartnerId, RegistrationId,
};
use partnerops_core::registration::record::{AccountRefInput, Registration, RegistrationInput};
use partnerops_core::scope::Scope;

use crate::db::{Exec, Sql, row};
use crate::decision::emit;
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope};

row! {
    struct LeadRow {
        id: String,
        listing_id: String,
        listing_title: String,
        partner_id: String,
        partner_name: String,
        name: String,
        email: String,
        company: String,
        message: String,
        registration_id: Option<String>,
        created_at: DateTime<Utc>,
    }
}

const LEAD_SELECT: &str = "SELECT d.id, d.listing_id, l.title AS listing_title, d.partner_id, p.name AS partner_name, d.name, d.email, d.company, d.message, d.registration_id, d.created_at FROM directory_leads d JOIN directory_listings l ON l.id = d.listing_id JOIN partners p ON p.id = d.partner_id WHERE 1 = 1";

fn lead_from(r: LeadRow) -> DirectoryLead {
    DirectoryLead {
        id: DirectoryLeadId::from_trusted(r.id),
        listing_id: DirectoryListingId::from_trusted(r.listing_id),
        listing_title: r.listing_title,
        partner_id: PartnerId::from_trusted(r.partner_id),
        partner_name: r.partner_name,
        name: r.name,
        email: r.email,
        company: r.company,
        message: r.message,
        registration_id: r.registration_id.map(RegistrationId::from_trusted),
        created_at: r.created_at,
    }
}

async fn lead_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<DirectoryLead> {
    let not_found = StoreError::NotFound(EntityKind::DirectoryLead);
    if DirectoryLeadId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(LEAD_SELECT);
    q.push(" AND d.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::DirectoryLead, "d");
    Ok(lead_from(
        x.optional::<LeadRow>(&q).await?.ok_or(not_found)?,
    ))
}

/// What taking an enquiry did.
#[derive(Clone, Debug)]
pub enum EnquiryOutcome {
    Taken(Box<DirectoryLead>),
    /// A bot filled the honeypot: nothing stored, answered like a success.
    Ignored,
}

impl Store {
    /// A visitor's enquiry on the public listing `slug` becomes a lead of its partner.
    #[tracing::instrument(skip_all)]
    pub async fn take_directory_lead(
        &self,
        slug: &str,
        client_key: &str,
        input: &EnquiryInput,
        honeypot: Option<&str>,
    ) -> Result<EnquiryOutcome> {
        if is_bot(honeypot) {
            // Still a 404 for a listing that is not public, like any other visitor gets.
            super::review::public_listing_row(&mut self.db.read(), slug).await?;
            return Ok(EnquiryOutcome::Ignored);
        }
        let f = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (listing, partner, _, _) = super::review::public_listing_row(&mut tx, slug).await?;
        row! { struct At { created_at: DateTime<Utc> } }
        let mut q = Sql::new("SELECT created_at FROM directory_leads WHERE client_key = ");
        q.bind(client_key)
            .push(" AND created_at > ")
            .bind(now - partnerops_core::directory::lead::PER_ADDRESS.window);
        let from_address: Vec<DateTime<Utc>> = tx
            .all::<At>(&q)
            .await?
            .into_iter()
            .map(|a| a.created_at)
            .collect();
        let mut q = Sql::new("SELECT created_at FROM directory_leads WHERE listing_id = ");
        q.bind(listing.as_str())
            .push(" AND created_at > ")
            .bind(now - partnerops_core::directory::lead::PER_LISTING.window);
        let to_listing: Vec<DateTime<Utc>> = tx
            .all::<At>(&q)
            .await?
            .into_iter()
            .map(|a| a.created_at)
            .collect();
        if let Err(at) = may_take(&from_address, &to_listing, now) {
            let minutes = (at - now).num_minutes().max(1);
            return Err(StoreError::conflict(
                "_",
                "enquiry.rate_limited",
                format!(
                    "too many enquiries from here just now: please try again in {minutes} minutes"
                ),
            ));
        }
        let id: DirectoryLeadId = new_id();
        let mut q = Sql::new(
            "INSERT INTO directory_leads (id, listing_id, partner_id, name, email, company, message, client_key, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(listing.as_str())
            .push(", ")
            .bind(partner.as_str())
            .push(", ")
            .bind(f.name.as_str())
            .push(", ")
            .bind(f.email.as_str())
            .push(", ")
            .bind(f.company.as_str())
            .push(", ")
            .bind(f.message.as_str())
            .push(", ")
            .bind(client_key)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let lead = lead_in(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            &Actor::system("directory lead form"),
            EntityKind::DirectoryLead,
            id.as_str(),
            AuditAction::Created,
            Some(&partner),
            None::<&()>,
            Some(&lead),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "directory.lead",
            id.as_str(),
            Some(&partner),
            &lead,
        )
        .await?;
        tx.commit().await?;
        Ok(EnquiryOutcome::Taken(Box::new(lead)))
    }

    /// Enquiries in `scope` (a partner: its own), newest first; of one listing when named.
    pub async fn directory_leads(
        &self,
        scope: &Scope,
        listing: Option<&str>,
    ) -> Result<Vec<DirectoryLead>> {
        let mut q = Sql::new(LEAD_SELECT);
        if let Some(l) = listing {
            q.push(" AND d.listing_id = ").bind(l);
        }
        scope::restrict(&mut q, scope, EntityKind::DirectoryLead, "d");
        q.push(" ORDER BY d.created_at DESC, d.id DESC LIMIT 1000");
        Ok(self
            .db
            .read()
            .all::<LeadRow>(&q)
            .await?
            .into_iter()
            .map(lead_from)
            .collect())
    }

    pub async fn directory_lead(&self, scope: &Scope, id: &str) -> Result<DirectoryLead> {
        lead_in(&mut self.db.read(), scope, id).await
    }

    /// Makes an enquiry a deal registration of the listing's partner (the way a
    /// partner-sourced deal enters the pipeline): the account is the enquirer's company
    /// (matched by the e-mail's domain, then by name), the registration rules apply as to
    /// any other. An enquiry becomes one registration at most.
    #[tracing::instrument(skip_all, fields(lead_id = %lead_id))]
    pub async fn register_directory_lead(
        &self,
        actor: &Actor,
        lead_id: &str,
        input: &RegisterEnquiryInput,
    ) -> Result<Registration> {
        let lead = lead_in(&mut self.db.read(), &actor.scope(), lead_id).await?;
        if let Some(r) = &lead.registration_id {
            return Err(StoreError::conflict(
                "lead_id",
                "enquiry.registered",
                format!("this enquiry is registration {r} already"),
            ));
        }
        let domain = lead.email.rsplit_once('@').map(|(_, d)| d.to_owned());
        let registration_input = RegistrationInput {
            account: Some(AccountRefInput {
                name: Some(lead.company.clone()),
                web_domain: domain,
                country: input.country.clone(),
            }),
            partner_id: matches!(actor.scope(), Scope::Vendor).then(|| lead.partner_id.to_string()),
            title: input
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .or_else(|| Some(format!("{} (directory enquiry)", lead.company))),
            estimated_arr_minor: input.estimated_arr_minor,
            expected_close_on: input.expected_close_on.clone(),
            ..Default::default()
        };
        let registration = self.submit_registration(actor, &registration_input).await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new("UPDATE directory_leads SET registration_id = ");
        q.bind(registration.id.as_str())
            .push(" WHERE registration_id IS NULL AND id = ")
            .bind(lead_id);
        if tx.execute(&q).await? == 1 {
            let after = lead_in(&mut tx, &Scope::Vendor, lead_id).await?;
            audit::record(
                &mut tx,
                now,
                actor,
                EntityKind::DirectoryLead,
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
            "enquiry.registered",
            "this enquiry was made a registration by another request just now",
        ))
    }
}
