//! Demo directory: listings for the active partners (services; integrations for the
//! technology partners), written by each partner's admin and submitted. The reseller and
//! referral programs stay open (published at once); the Technology Alliance answers the
//! "open or curated" tree as curated, so its listings were reviewed, one still waits. Every
//! third published listing is verified; a few have views, so ranking has something to do.

use chrono::Datelike;
use partnerops_core::directory::ListingKind;
use partnerops_core::directory::curation::CollectionInput;
use partnerops_core::directory::lead::EnquiryInput;
use partnerops_core::directory::moderation::{ModerateInput, ReportInput};
use partnerops_core::directory::record::{DirectoryListingInput, DirectoryReviewInput};
use partnerops_core::directory::review::{ReviewAnswerInput, ReviewInput};
use partnerops_core::directory::signals::UsageInput;
use partnerops_core::ids::EntityId;
use partnerops_core::partner::{PartnerStatus, PartnerType};
use partnerops_core::partnership::record::TreeAnswers;
use partnerops_core::user::Role;
use partnerops_store::directory::ReportSubject;
use partnerops_store::{Actor, Store, StoreError};

use crate::plan::{PartnerPlan, ProgramSlot};
use crate::room::Writer;

/// What the directory demo wrote.
#[derive(Debug, Default)]
pub(crate) struct ListingsWritten {
    pub listings: usize,
    pub published: usize,
    pub in_review: usize,
    pub reviews: usize,
    pub leads: usize,
    pub collections: usize,
}

/// How many active partners of the open programs get a listing (the first in the plan's
/// order), and how many of the curated Technology Alliance.
const LISTED: usize = 10;
const CURATED: usize = 4;

/// What a partner of a type offers: categories and a sentence for the description.
fn offer(t: PartnerType) -> (&'static [&'static str], &'static str, &'static str) {
    match t {
        PartnerType::Reseller => (
            &["Licensing", "Implementation"],
            "licences, rollout and first-line support",
            "We sell, deploy and support the platform for mid-market teams, from the first licence to the third renewal.",
        ),
        PartnerType::Referral => (
            &["Advisory"],
            "independent advice before you buy",
            "We help buyers choose: requirements, a shortlist, and an honest comparison.",
        ),
        PartnerType::Msp => (
            &["Managed services", "Security"],
            "run and secured for you, around the clock",
            "We operate the platform for you: monitoring, patching, backups and a 24/7 service desk.",
        ),
        PartnerType::SystemIntegrator => (
            &["Implementation", "Data migration"],
            "complex rollouts and data migrations",
            "We integrate the platform with your ERP and CRM and move your history across without downtime.",
        ),
        PartnerType::Technology => (
            &["Integration", "Analytics"],
            "a certified two-way integration",
            "Our connector syncs accounts, opportunities and usage both ways, in minutes, with field mapping you control.",
        ),
        PartnerType::Consultant => (
            &["Advisory", "Training"],
            "strategy, enablement and training",
            "We train your admins and power users and set up the processes that make adoption stick.",
        ),
        PartnerType::Marketplace => (
            &["Cloud marketplace"],
            "buy through your cloud commitment",
            "Buy the platform through your cloud marketplace account and draw down your committed spend.",
        ),
    }
}

/// Two-letter languages of a partner's home country (English everywhere besides).
fn languages(country: &str) -> Vec<String> {
    let home = match country {
        "DE" | "AT" | "CH" => Some("de"),
        "FR" | "BE" => Some("fr"),
        "ES" | "MX" | "AR" => Some("es"),
        "BR" | "PT" => Some("pt"),
        "IT" => Some("it"),
        "NL" => Some("nl"),
        "JP" => Some("ja"),
        "SE" => Some("sv"),
        _ => None,
    };
    let mut out = vec!["en".to_owned()];
    out.extend(home.map(str::to_owned));
    out
}

pub(crate) async fn create_listings(
    store: &Store,
    partners: &[PartnerPlan],
    partner_ids: &[String],
    technology_program: Option<&str>,
    writers: &std::collections::HashMap<String, Writer>,
    vendor: &Writer,
) -> Result<ListingsWritten, StoreError> {
    let mut out = ListingsWritten::default();
    let staff = vendor.actor();
    if let Some(program) = technology_program {
        // Brand risk is high for integrations that touch customer data: curated.
        let answers = TreeAnswers {
            answers: [("brand".to_owned(), true)].into_iter().collect(),
            charter_id: None,
        };
        store.set_directory_mode(&staff, program, &answers).await?;
    }
    // Active partners of the open programs, then a few of the curated one.
    let active = || {
        partners
            .iter()
            .zip(partner_ids)
            .filter(|(p, _)| p.status == PartnerStatus::Active)
    };
    let listed: Vec<(&PartnerPlan, &String)> = active()
        .filter(|(p, _)| p.program != ProgramSlot::Technology)
        .take(LISTED)
        .chain(
            active()
                .filter(|(p, _)| p.program == ProgramSlot::Technology)
                .take(CURATED),
        )
        .collect();
    let mut waiting_left = true;
    let mut public: Vec<(String, String, Actor)> = Vec::new();
    for (i, (p, id)) in listed.iter().enumerate() {
        let admin = p
            .users
            .iter()
            .find(|u| u.role == Role::PartnerAdmin)
            .and_then(|u| writers.get(&u.email));
        let actor = admin.map_or_else(|| Actor::system("seed"), Writer::actor);
        let (categories, tagline, about) = offer(p.partner_type);
        let integration = p.partner_type == PartnerType::Technology;
        let title = if integration {
            format!("{} connector", p.name)
        } else {
            format!("{}: {tagline}", p.name)
        };
        let mut cats: Vec<String> = categories.iter().map(|c| (*c).to_owned()).collect();
        if i % 4 == 0 {
            cats.push("CRM".to_owned());
        }
        let input = DirectoryListingInput {
            partner_id: admin.is_none().then(|| (*id).clone()),
            kind: Some(
                if integration {
                    "integration"
                } else {
                    "services"
                }
                .to_owned(),
            ),
            summary: Some(format!("{}{}", tagline[..1].to_uppercase(), &tagline[1..])),
            description: Some(format!(
                "## What we do\n\n{about}\n\n## Why {name}\n\n- Customers in {regions}\n- Focus on {verticals}\n- Certified on the current release\n\n[Talk to us](https://{domain})",
                name = p.name,
                regions = p
                    .regions
                    .iter()
                    .map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join(", "),
                verticals = if p.verticals.is_empty() {
                    "every industry".to_owned()
                } else {
                    p.verticals.join(", ")
                },
                domain = p.web_domain,
            )),
            title: Some(title),
            categories: Some(cats),
            regions: Some(p.regions.iter().map(|r| r.label().to_owned()).collect()),
            industries: Some(p.verticals.iter().take(5).cloned().collect()),
            languages: Some(languages(p.country)),
            website: Some(format!("https://{}", p.web_domain)),
            screenshot_ids: None,
        };
        let listing = store.create_directory_listing(&actor, &input).await?;
        out.listings += 1;
        let submitted = store
            .submit_directory_listing(&actor, listing.id.as_str())
            .await?;
        let curated = p.program == ProgramSlot::Technology && technology_program.is_some();
        let published = if curated && waiting_left {
            // The first integration in the curated program waits for its review.
            waiting_left = false;
            out.in_review += 1;
            false
        } else if curated {
            store
                .review_directory_listing(
                    &staff,
                    submitted.id.as_str(),
                    &DirectoryReviewInput {
                        approve: Some(true),
                        reason: Some("Integration tested by our team".into()),
                    },
                )
                .await?;
            true
        } else {
            true
        };
        if published {
            out.published += 1;
            if i % 3 == 0 {
                store
                    .verify_directory_listing(&staff, listing.id.as_str(), Some(true))
                    .await?;
            }
            // A few visits so the ranking has usage to weigh.
            for _ in 0..(i % 5) {
                store.public_listing(&listing.slug, true).await?;
            }
            public.push((listing.id.to_string(), listing.slug.clone(), actor.clone()));
        }
    }
    let (reviews, leads) = create_trust(store, &public, &staff).await?;
    out.reviews = reviews;
    out.leads = leads;
    let (collections, co_reviews) = create_curation(store, &public, &staff).await?;
    out.collections = collections;
    out.reviews += co_reviews;
    Ok(out)
}

/// Customers who reviewed one listing and then others (what "customers who use this also
/// use" reads): (listing index, e-mail, name, rating, text). The e-mails are those of
/// [`REVIEWS`], so each customer's listings are connected.
const CO_REVIEWS: &[(usize, &str, &str, i64, &str)] = &[
    (
        1,
        "maria.lopez@northbank.example",
        "Maria L.",
        4,
        "We use them beside our main implementer; they fill the gaps well.",
    ),
    (
        3,
        "maria.lopez@northbank.example",
        "Maria L.",
        5,
        "The connector our implementer recommended: set up in an afternoon.",
    ),
    (
        3,
        "j.okafor@brightlabs.example",
        "James O.",
        4,
        "Does what it says; custom fields came in the second release.",
    ),
    (
        2,
        "petra@alpenhof.example",
        "Petra K.",
        5,
        "Second project with them, as good as the first partner we used.",
    ),
    (
        0,
        "ana@vistamed.example",
        "Ana R.",
        4,
        "Our first partner for the rollout; we came back for training.",
    ),
    (
        4,
        "li.wei@harbor.example",
        "Li W.",
        4,
        "Quick answers, which our other partner lacked.",
    ),
    (
        1,
        "eva@solaris.example",
        "Eva",
        5,
        "They configured the connector we had bought for us.",
    ),
];

/// Demo curation and usage: customers' reviews across listings (recommendations), usage
/// each public listing's partner reported for the last three months, and two collections
/// (one by the most common industry, one of integrations). Returns the collections and
/// reviews written.
async fn create_curation(
    store: &Store,
    public: &[(String, String, Actor)],
    staff: &Actor,
) -> Result<(usize, usize), StoreError> {
    let system = Actor::system("demo reviews");
    let mut reviews = 0;
    for (i, email, name, rating, body) in CO_REVIEWS {
        let Some((id, _, _)) = public.get(*i) else {
            continue;
        };
        customer_review(store, &system, id, (email, name, *rating, body)).await?;
        reviews += 1;
    }
    // The listings as written, read once for their kinds and industries.
    let mut listings = Vec::with_capacity(public.len());
    for (id, _, _) in public {
        listings.push(
            store
                .directory_listing(&partnerops_core::scope::Scope::Vendor, id)
                .await?,
        );
    }
    // Usage: three months up to this one, growing, different per listing.
    let today = store.now().date_naive();
    for (i, ((id, _, owner), listing)) in public.iter().zip(&listings).enumerate() {
        let integration = listing.kind == ListingKind::Integration;
        for back in (0..3u32).rev() {
            let month = today
                .with_day(1)
                .and_then(|d| d.checked_sub_months(chrono::Months::new(back)))
                .unwrap_or(today);
            let base = 20 + (i as i64 * 37) % 400;
            let grown = base + i64::from(3 - back) * (5 + i as i64 % 7);
            store
                .report_directory_usage(
                    owner,
                    id,
                    &UsageInput {
                        period: Some(month.format("%Y-%m").to_string()),
                        installs: integration.then_some(grown * 3),
                        customers: Some(grown),
                    },
                )
                .await?;
        }
    }
    // Collections: the industry most listings serve, and the integrations.
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for l in &listings {
        for i in &l.industries {
            *counts.entry(i.as_str()).or_default() += 1;
        }
    }
    let mut collections = 0;
    if let Some((industry, _)) = counts
        .iter()
        .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
    {
        let ids: Vec<String> = listings
            .iter()
            .filter(|l| l.industries.iter().any(|i| i == industry))
            .take(6)
            .map(|l| l.id.to_string())
            .collect();
        store
            .create_directory_collection(
                staff,
                &CollectionInput {
                    title: Some(format!("Best for {}", industry.to_lowercase())),
                    description: Some(format!(
                        "Partners with customers in **{}**, chosen by our channel team for their references and certified staff.",
                        industry.to_lowercase()
                    )),
                    position: Some(1),
                    listing_ids: Some(ids),
                },
            )
            .await?;
        collections += 1;
    }
    let integrations: Vec<String> = listings
        .iter()
        .filter(|l| l.kind == ListingKind::Integration)
        .take(6)
        .map(|l| l.id.to_string())
        .collect();
    if !integrations.is_empty() {
        store
            .create_directory_collection(
                staff,
                &CollectionInput {
                    title: Some("Integrations our customers use most".into()),
                    description: Some(
                        "Connectors built by our technology partners and tested by our team."
                            .into(),
                    ),
                    position: Some(2),
                    listing_ids: Some(integrations),
                },
            )
            .await?;
        collections += 1;
    }
    Ok((collections, reviews))
}

/// Customers' reviews (what they wrote, with the rating), by listing in order.
const REVIEWS: &[&[(&str, &str, i64, &str)]] = &[
    &[
        (
            "maria.lopez@northbank.example",
            "Maria L.",
            5,
            "Rolled out to 300 seats in six weeks; the **training** was excellent.",
        ),
        (
            "j.okafor@brightlabs.example",
            "James O.",
            4,
            "Good project management, a little slow on change requests.",
        ),
        (
            "petra@alpenhof.example",
            "Petra K.",
            5,
            "They knew our industry and it showed.",
        ),
    ],
    &[
        (
            "li.wei@harbor.example",
            "Li W.",
            3,
            "Solid technically, but support answers took days.",
        ),
        (
            "sam@fernco.example",
            "Sam",
            4,
            "Helpful and honest about what we did not need.",
        ),
    ],
    &[(
        "ana@vistamed.example",
        "Ana R.",
        5,
        "The migration went through over a weekend with no data lost.",
    )],
    &[
        (
            "tom@gridline.example",
            "Tom H.",
            2,
            "The connector dropped custom fields until the second release.",
        ),
        (
            "eva@solaris.example",
            "Eva",
            4,
            "Works well since the fix; mapping is flexible.",
        ),
    ],
    &[(
        "noah@kettle.example",
        "Noah",
        4,
        "Quick, friendly, fair prices.",
    )],
];

/// A customer's review of listing `id`: (e-mail, name, rating, text).
async fn customer_review(
    store: &Store,
    system: &Actor,
    id: &str,
    (email, name, rating, body): (&str, &str, i64, &str),
) -> Result<partnerops_core::directory::review::DirectoryReview, StoreError> {
    store
        .import_customer_review(
            system,
            id,
            email,
            &ReviewInput {
                rating: Some(rating),
                body: Some(body.to_owned()),
                author_name: Some(name.to_owned()),
            },
        )
        .await
}

/// Demo trust data over the public listings: customers' reviews (some answered by the
/// partner), a review by the vendor's channel team, one review hidden by a moderator with
/// its reason, an open report from a visitor, and a few enquiries through the lead form.
async fn create_trust(
    store: &Store,
    public: &[(String, String, Actor)],
    staff: &Actor,
) -> Result<(usize, usize), StoreError> {
    let system = Actor::system("demo reviews");
    let mut reviews = 0;
    let mut to_hide = None;
    let mut to_report = None;
    for (i, ((id, _, owner), written)) in public.iter().zip(REVIEWS).enumerate() {
        for (n, (email, name, rating, body)) in written.iter().enumerate() {
            let r = customer_review(store, &system, id, (email, name, *rating, body)).await?;
            reviews += 1;
            if n == 0 && i % 2 == 0 {
                store
                    .answer_review(
                        owner,
                        r.id.as_str(),
                        &ReviewAnswerInput {
                            answer: Some(format!(
                                "Thank you, {name}: we passed it on to the team."
                            )),
                        },
                    )
                    .await?;
            }
            if *rating <= 2 && to_hide.is_none() {
                to_hide = Some(r.id.to_string());
            } else if n == 1 && to_report.is_none() {
                to_report = Some(r.id.to_string());
            }
        }
        if i == 0 {
            store
                .write_staff_review(
                    staff,
                    id,
                    &ReviewInput {
                        rating: Some(5),
                        body: Some("Our channel team ran three joint deals with them this year; every one closed on time.".into()),
                        author_name: None,
                    },
                )
                .await
                .map(|_| reviews += 1)
                .or_else(|e| match e {
                    // A seed without a signed-in staff member writes none.
                    StoreError::Forbidden(_) => Ok(()),
                    other => Err(other),
                })?;
        }
    }
    if let Some(review) = to_hide {
        store
            .moderate_review(
                staff,
                &review,
                &ModerateInput {
                    action: Some("hide".into()),
                    reason: Some("Names a competitor's product by mistake; the customer was asked to correct it".into()),
                },
            )
            .await?;
    }
    if let Some(review) = to_report {
        store
            .report_directory(
                ReportSubject::Review(&review),
                "demo-visitor",
                &ReportInput {
                    reason: Some("misleading".into()),
                    detail: Some("I do not think this customer exists".into()),
                },
            )
            .await?;
    }
    let enquiries = [
        (
            "Olivia Grant",
            "olivia.grant@meridian.example",
            "Meridian Health",
            "We are looking for a partner to migrate 12 years of CRM history. Could we talk next week?",
        ),
        (
            "Hiro Tanaka",
            "hiro@tanaka-logistics.example",
            "Tanaka Logistics",
            "Do you support deployments in Japan, with Japanese-speaking support?",
        ),
        (
            "Fatima Zahra",
            "fatima@atlasretail.example",
            "Atlas Retail",
            "Please send a quote for 80 seats including admin training.",
        ),
    ];
    let mut leads = 0;
    for (n, (name, email, company, message)) in enquiries.iter().enumerate() {
        let Some((_, slug, _)) = public.get(n) else {
            break;
        };
        store
            .take_directory_lead(
                slug,
                &format!("demo-visitor-{n}"),
                &EnquiryInput {
                    name: Some((*name).to_owned()),
                    email: Some((*email).to_owned()),
                    company: Some((*company).to_owned()),
                    message: Some((*message).to_owned()),
                },
                None,
            )
            .await?;
        leads += 1;
    }
    Ok((reviews, leads))
}
