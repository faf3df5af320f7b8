//! Demo campaigns: two published templates on the first program (and a draft), campaigns
//! three partners launched from them with views and leads (left for the partner to register:
//! registering them here would add accounts and registrations the rest of the demo counts),
//! one campaign ended.

use std::collections::HashMap;

use partnerops_core::campaign::record::{LaunchInput, LeadInput, TemplateInput, TemplateStatus};
use partnerops_core::ids::EntityId;
use partnerops_core::user::Role;
use partnerops_store::{Actor, Store, StoreError};

use crate::room::Writer;

/// What the campaign demo wrote.
#[derive(Debug, Default)]
pub(crate) struct CampaignsWritten {
    pub templates: usize,
    pub campaigns: usize,
    pub leads: usize,
}

const TEMPLATES: [(&str, &str, &str, &str, &str); 2] = [
    (
        "Zero-trust webinar",
        "{{partner_name}} invites you: zero-trust in practice",
        "Zero-trust in practice, with {{partner_name}}",
        "{{partner_logo}}\n\nAttackers no longer knock at the perimeter. In 45 minutes, {{partner_name}} shows how teams like yours move to zero-trust access without slowing anyone down.\n\n## What you will see\n\n- A live rollout, from inventory to the first protected app\n- The three policies that stop most lateral movement\n- **{{offer}}**\n\nQuestions before the session? Write to {{contact_name}} at {{contact_email}}.",
        "A free zero-trust readiness assessment",
    ),
    (
        "Cloud cost review",
        "{{partner_name}}: cut your cloud bill this quarter",
        "Cut your cloud bill with {{partner_name}}",
        "{{partner_logo}}\n\nMost teams overspend on cloud by a quarter. {{partner_name}} finds where, in two weeks, at a fixed price.\n\n## The review\n\n1. Read-only access to your billing data\n2. A ranked list of savings with the effort each takes\n3. **{{offer}}**\n\nBook a call with {{contact_name}} ({{contact_email}}).",
        "The first week free",
    ),
];

const LEADS: [(&str, &str, &str, &str); 8] = [
    (
        "Maya Lindqvist",
        "Nordlicht Logistics",
        "nordlicht-logistics.example",
        "SE",
    ),
    (
        "Tomás Ferreira",
        "Atlântico Seguros",
        "atlantico-seguros.example",
        "PT",
    ),
    (
        "Priya Raman",
        "Kaveri Health",
        "kaveri-health.example",
        "IN",
    ),
    (
        "Jonas Weber",
        "Rheinwerk Maschinenbau",
        "rheinwerk-mb.example",
        "DE",
    ),
    (
        "Chloé Martin",
        "Maison Verte Retail",
        "maison-verte.example",
        "FR",
    ),
    (
        "Daniel Okafor",
        "Lagos Fintech Hub",
        "lagos-fintech.example",
        "NG",
    ),
    (
        "Emily Carter",
        "Harbor Freight Lines",
        "harbor-freight-lines.example",
        "US",
    ),
    (
        "Kenji Sato",
        "Sakura Components",
        "sakura-components.example",
        "JP",
    ),
];

/// Writes the campaign demo on `program`, launched by up to three partners' admins.
pub(crate) async fn create_campaigns(
    store: &Store,
    program: &str,
    writers: &HashMap<String, Writer>,
    marketing: &Writer,
) -> Result<CampaignsWritten, StoreError> {
    let mut written = CampaignsWritten::default();
    let author = marketing.actor();
    let mut templates = Vec::new();
    for (name, subject, title, body, offer) in TEMPLATES {
        let t = store
            .create_campaign_template(
                &author,
                &TemplateInput {
                    program_id: Some(program.to_owned()),
                    name: Some(name.into()),
                    email_subject: Some(subject.into()),
                    email_body: Some(format!("Hello,\n\n{body}")),
                    landing_title: Some(title.into()),
                    landing_body: Some(body.into()),
                    default_offer: Some(offer.into()),
                },
            )
            .await?;
        store
            .set_campaign_template_status(&author, t.id.as_str(), TemplateStatus::Published)
            .await?;
        templates.push(t);
        written.templates += 1;
    }
    store
        .create_campaign_template(
            &author,
            &TemplateInput {
                program_id: Some(program.to_owned()),
                name: Some("Partner summit follow-up (draft)".into()),
                email_subject: Some("Thank you for meeting {{partner_name}} at the summit".into()),
                email_body: Some("Hello,\n\nThank you for stopping by. {{offer}}.".into()),
                landing_title: Some("Let's continue the conversation".into()),
                landing_body: Some("{{partner_name}} follows up on the summit. {{offer}}.".into()),
                default_offer: Some("A one-hour design session".into()),
            },
        )
        .await?;
    written.templates += 1;

    // The admins of three partners in the program, in a stable order.
    let mut admins: Vec<&Writer> = writers
        .values()
        .filter(|w| w.role == Role::PartnerAdmin && w.partner_id.is_some())
        .collect();
    admins.sort_by(|a, b| a.id.cmp(&b.id));
    let mut lead_no = 0usize;
    for (i, admin) in admins.iter().enumerate() {
        if written.campaigns == 3 {
            break;
        }
        let actor: Actor = admin.actor();
        let template = &templates[i % templates.len()];
        // A partner with an approved marketing MDF request funds its campaign with it, so the
        // deals its leads open count in that activity's ROI.
        let funding = store
            .campaign_funding_options(&actor.scope())
            .await?
            .first()
            .map(|r| r.id.to_string());
        let launched = match store
            .launch_campaign(
                &actor,
                &LaunchInput {
                    template_id: Some(template.id.to_string()),
                    name: Some(format!("{} — spring", template.name)),
                    offer: (i == 0).then(|| "Two assessment days at no cost".to_owned()),
                    contact_name: Some(admin.name.clone()),
                    contact_email: Some(format!("campaigns+{}@partner.example", i + 1)),
                    mdf_request_id: funding,
                },
            )
            .await
        {
            Ok(c) => c,
            // An admin of another program's partner cannot launch this program's template.
            Err(StoreError::Invalid(_)) => continue,
            Err(e) => return Err(e),
        };
        written.campaigns += 1;
        for _ in 0..(40 + 17 * i) {
            store.campaign_page(&launched.slug, true).await?;
        }
        let per_campaign = 3 - written.campaigns.min(2) + 1;
        for _ in 0..per_campaign {
            let Some((name, company, domain, country)) = LEADS.get(lead_no) else {
                break;
            };
            lead_no += 1;
            let first = name.split(' ').next().unwrap_or(name).to_lowercase();
            let taken = store
                .take_lead(
                    &launched.slug,
                    &format!("seed-visitor-{lead_no}"),
                    &LeadInput {
                        name: Some((*name).into()),
                        email: Some(format!("{first}@{domain}")),
                        company: Some((*company).into()),
                        country: Some((*country).into()),
                        message: Some(
                            "We would like to hear more; what does a first step look like?".into(),
                        ),
                    },
                    None,
                )
                .await?;
            if let partnerops_store::campaign::LeadOutcome::Taken(_) = taken {
                written.leads += 1;
            }
        }
        if written.campaigns == 3 {
            store.end_campaign(&actor, launched.id.as_str()).await?;
        }
    }
    Ok(written)
}
