//! A large vendor's size on top of the demo program: after [`crate::seed`] has written every
//! capability's records for the demo's partners, [`grow`] adds partners, accounts and deal
//! registrations (with their decisions and follow-up activities) up to the totals of a
//! [`ScaleSpec`], through the store's bulk loader (`partnerops_store::bulk`): one
//! transaction per batch instead of one per record, so a million registrations take
//! minutes. Deterministic like the demo: the same spec draws the same names, domains,
//! countries, partners, amounts, outcomes and dates (relative to the store's clock); only
//! ids differ.
//!
//! [`grow_directory`] does the same for the public directory: published listings (services
//! and integrations, with facets) and customers' reviews in bulk (`bench/directory.sh`
//! seeds 10,000 and 100,000 over 10,000 partners).

use std::time::Instant;

use chrono::{Duration, Utc};
use partnerops_core::ids::EntityId;
use partnerops_store::bulk::{BulkAccount, BulkOutcome, BulkPartner, BulkRegistration};
use partnerops_store::{Store, StoreError};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::plan::{pick, weighted};
use crate::words::{ACCOUNT_STEMS, ACCOUNT_SUFFIXES, COUNTRIES, PARTNER_STEMS, VERTICALS};

/// Totals to reach (the demo's own records count towards them), and the generator's seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleSpec {
    pub seed: u64,
    pub partners: usize,
    pub accounts: usize,
    pub registrations: usize,
}

impl ScaleSpec {
    /// The size of issue #15: 10,000 partners, 1,000,000 accounts and 1,000,000
    /// registrations.
    pub fn large_vendor() -> ScaleSpec {
        ScaleSpec {
            seed: 42,
            partners: 10_000,
            accounts: 1_000_000,
            registrations: 1_000_000,
        }
    }
}

/// What [`grow`] added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScaleReport {
    pub partners: usize,
    pub accounts: usize,
    pub registrations: usize,
    pub activities: usize,
}

/// Rows per bulk transaction.
const BATCH: usize = 20_000;

/// Keeps the generator's draws apart from the demo seed's.
const SCALE_SALT: u64 = 0x5ca1_e000;

const PARTNER_SUFFIXES: &[&str] = &[
    "Partners",
    "Solutions",
    "Consulting",
    "Systems",
    "Group",
    "Digital",
    "Technologies",
    "Services",
];

const SYLLABLES_C: &[u8] = b"bcdfghklmnprstvz";
const SYLLABLES_V: &[u8] = b"aeiou";

/// A made-up word of `n` consonant-vowel syllables, capitalised, so names spread over many
/// name blocks as real company names do.
fn coined(rng: &mut StdRng, n: usize) -> String {
    let mut w = String::with_capacity(2 * n);
    for i in 0..n {
        let c = char::from(*pick(rng, SYLLABLES_C));
        w.push(if i == 0 { c.to_ascii_uppercase() } else { c });
        w.push(char::from(*pick(rng, SYLLABLES_V)));
    }
    w
}

fn slug(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn batch_error(e: StoreError, what: &str, done: usize) -> StoreError {
    tracing::error!(what, done, "scale seed: a batch failed");
    e
}

/// Adds partners, accounts and registrations to a seeded store up to `spec`'s totals
/// (`existing_partners` and `existing_accounts` are what the demo seed wrote). Active
/// partners join the demo's programs on their entry tiers mostly; each registration is on
/// its own account, submitted over the last three years: about 20% won, 10% lost, half
/// expired, the rest approved (and still valid) or pending.
pub async fn grow(
    store: &Store,
    spec: &ScaleSpec,
    existing_partners: usize,
    existing_accounts: usize,
) -> Result<ScaleReport, StoreError> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(spec.seed ^ SCALE_SALT);
    let now = store.now();
    let programs = store.bulk_programs().await?;
    if programs.is_empty() {
        return Err(StoreError::Corrupt(
            "scale seed: no program with tiers and partners; seed the demo first".into(),
        ));
    }
    let mut report = ScaleReport::default();

    // Partners, by program in turn.
    let n_partners = spec.partners.saturating_sub(existing_partners);
    let mut partners: Vec<(usize, String)> = Vec::with_capacity(n_partners);
    let mut rows = Vec::with_capacity(BATCH.min(n_partners));
    for i in 0..n_partners {
        let program = i % programs.len();
        let p = &programs[program];
        let tier = weighted(&mut rng, [60u32, 30, 10].into_iter().take(p.tier_ids.len()));
        let country = &COUNTRIES[weighted(&mut rng, COUNTRIES.iter().map(|c| c.partner_weight))];
        let name = format!(
            "{} {} {}",
            pick(&mut rng, PARTNER_STEMS),
            coined(&mut rng, 2),
            pick(&mut rng, PARTNER_SUFFIXES)
        );
        let created_at = now - Duration::days(rng.random_range(30..1_100));
        rows.push(BulkPartner {
            web_domain: format!("{}-{i}.example", slug(&name)),
            name,
            partner_type: pick(&mut rng, &p.partner_types).clone(),
            program_id: p.id.clone(),
            tier_id: p.tier_ids[tier].clone(),
            country: country.code.to_owned(),
            joined_on: created_at.date_naive(),
            created_at,
        });
        if rows.len() == BATCH || i + 1 == n_partners {
            let ids = store
                .bulk_partners(&rows)
                .await
                .map_err(|e| batch_error(e, "partners", i))?;
            let first = i + 1 - rows.len();
            partners.extend(
                ids.iter()
                    .enumerate()
                    .map(|(k, id)| ((first + k) % programs.len(), id.as_str().to_owned())),
            );
            rows.clear();
        }
    }
    report.partners = partners.len();
    // The program's own active partners register too, so their users see a partner's
    // share of the registrations in the portal.
    for (k, p) in programs.iter().enumerate() {
        partners.extend(p.partner_ids.iter().map(|id| (k, id.clone())));
    }
    tracing::info!(
        partners = report.partners,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scale seed: partners written"
    );
    if partners.is_empty() {
        return Ok(report);
    }

    // Accounts, and registrations on the first of them as they are written: each account
    // is registered at most once, so no account has two holders.
    let n_accounts = spec.accounts.saturating_sub(existing_accounts);
    let n_regs = spec.registrations.min(n_accounts);
    let mut rows = Vec::with_capacity(BATCH.min(n_accounts));
    for i in 0..n_accounts {
        let industry =
            weighted(&mut rng, crate::words::INDUSTRY_WEIGHTS.iter().copied()) % VERTICALS.len();
        let country = &COUNTRIES[weighted(&mut rng, COUNTRIES.iter().map(|c| c.account_weight))];
        let syllables = 2 + rng.random_range(0..2);
        let name = format!(
            "{} {} {}",
            coined(&mut rng, syllables),
            pick(&mut rng, ACCOUNT_STEMS),
            pick(
                &mut rng,
                ACCOUNT_SUFFIXES[industry % ACCOUNT_SUFFIXES.len()]
            )
        );
        // Created over the last three years, oldest first.
        let created_at =
            now - Duration::seconds(94_608_000 - (94_608_000 * i as i64) / n_accounts as i64);
        rows.push(BulkAccount {
            web_domain: format!("{}-{i}.example", slug(&name)),
            name,
            country: country.code.to_owned(),
            industry: VERTICALS[industry].to_owned(),
            status: if rng.random_range(0..100) < 30 {
                "customer".into()
            } else {
                "prospect".into()
            },
            created_at,
        });
        if rows.len() == BATCH || i + 1 == n_accounts {
            let first = i + 1 - rows.len();
            let ids = store
                .bulk_accounts(&rows)
                .await
                .map_err(|e| batch_error(e, "accounts", i))?;
            report.accounts += ids.len();
            let mut regs = Vec::new();
            for (k, (account, id)) in rows.iter().zip(&ids).enumerate() {
                if first + k >= n_regs {
                    break;
                }
                let (program, partner) = &partners[rng.random_range(0..partners.len())];
                regs.push(registration(
                    &mut rng,
                    now,
                    *program,
                    partner,
                    id.as_str(),
                    account,
                    programs[*program].validity_days,
                ));
            }
            if !regs.is_empty() {
                report.activities += regs.iter().map(|r| r.activities.len()).sum::<usize>();
                report.registrations += store
                    .bulk_registrations(&programs, &regs)
                    .await
                    .map_err(|e| batch_error(e, "registrations", i))?;
            }
            rows.clear();
            if report.accounts % 100_000 < BATCH {
                tracing::info!(
                    accounts = report.accounts,
                    registrations = report.registrations,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "scale seed: progress"
                );
            }
        }
    }
    store.bulk_finish().await?;
    tracing::info!(
        ?report,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scale seed: done"
    );
    Ok(report)
}

/// One registration on `account`, with its outcome and activities drawn.
fn registration(
    rng: &mut StdRng,
    now: chrono::DateTime<Utc>,
    program: usize,
    partner: &str,
    account_id: &str,
    account: &BulkAccount,
    validity_days: i64,
) -> BulkRegistration {
    let submitted_at = now
        - Duration::days(rng.random_range(1..1_095))
        - Duration::minutes(rng.random_range(0..1_440));
    let approval_delay = Duration::hours(rng.random_range(1..72));
    let approved_at = submitted_at + approval_delay;
    let expires_at = approved_at + Duration::days(validity_days);
    let roll = rng.random_range(0..100);
    let recent = now - submitted_at < Duration::days(5);
    let closed_at = approved_at + Duration::days(rng.random_range(10..120));
    let mut outcome = match roll {
        0..20 => BulkOutcome::Won,
        20..30 => BulkOutcome::Lost,
        30..80 if recent => BulkOutcome::Pending,
        _ => BulkOutcome::Approved,
    };
    if matches!(outcome, BulkOutcome::Won | BulkOutcome::Lost)
        && (closed_at > now || closed_at > expires_at)
    {
        outcome = BulkOutcome::Approved;
    }
    if outcome == BulkOutcome::Approved && expires_at <= now {
        outcome = BulkOutcome::Expired;
    }
    let mut activities = Vec::new();
    if outcome != BulkOutcome::Pending {
        let end = match outcome {
            BulkOutcome::Won | BulkOutcome::Lost => closed_at,
            BulkOutcome::Expired => expires_at,
            _ => now,
        };
        let mut t = approved_at;
        for _ in 0..rng.random_range(1..4) {
            t += Duration::days(rng.random_range(3..20));
            if t >= end {
                break;
            }
            activities.push((*pick(rng, &["call", "meeting", "demo", "proposal"]), t));
        }
    }
    BulkRegistration {
        program,
        partner_id: partner.to_owned(),
        account_id: account_id.to_owned(),
        title: format!("{} rollout", account.name),
        est_arr_minor: rng.random_range(5..200) * 100_000,
        submitted_at,
        approval_delay,
        outcome,
        closed_at: matches!(outcome, BulkOutcome::Won | BulkOutcome::Lost).then_some(closed_at),
        activities,
    }
}

// ---- the public directory at size ----

/// What [`grow_directory`] added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryScaleReport {
    pub listings: usize,
    pub integrations: usize,
    pub verified: usize,
    pub reviews: usize,
    pub hidden_reviews: usize,
}

/// Listings per bulk transaction (each with about ten facet rows).
const LISTING_BATCH: usize = 5_000;

/// Keeps the directory's draws apart from the partners' and accounts'.
const DIRECTORY_SALT: u64 = 0xd1_2ec7;

/// What services partners offer: a category, and the tagline a title ends with.
const SERVICE_OFFERS: &[(&str, &str)] = &[
    ("Implementation", "rollout in weeks, not months"),
    ("Implementation", "implementation for mid-market teams"),
    ("Data migration", "CRM data migration without downtime"),
    ("Data migration", "history moved across, field by field"),
    ("Managed services", "run and monitored around the clock"),
    ("Security", "security reviews and hardening"),
    ("Advisory", "independent advice before you buy"),
    ("Training", "admin and end-user training"),
    ("Licensing", "licences, renewals and first-line support"),
    ("Support", "a 24/7 service desk in your language"),
    ("Custom development", "custom objects, workflows and apps"),
    ("Change management", "adoption programmes that stick"),
    ("Cloud marketplace", "buy through your cloud commitment"),
    ("Analytics", "dashboards and forecasting set up for you"),
];

/// What integrations connect to: a category and the system named in the title.
const INTEGRATION_TARGETS: &[(&str, &str)] = &[
    ("ERP", "ERP"),
    ("Accounting", "ledger"),
    ("Marketing automation", "campaigns"),
    ("E-commerce", "storefront"),
    ("Customer support", "helpdesk"),
    ("Billing", "billing"),
    ("Identity", "single sign-on"),
    ("Data warehouse", "warehouse"),
    ("Collaboration", "chat"),
    ("HR", "HR"),
    ("Analytics", "BI"),
    ("CRM", "CRM"),
];

const INTEGRATION_NOUNS: &[&str] = &["connector", "sync", "bridge", "app", "gateway", "exporter"];

/// Sentences a description is written from (a few per listing).
const ABOUT: &[&str] = &[
    "We sell, deploy and support the platform for mid-market teams, from the first licence to the third renewal.",
    "Our consultants have run more than two hundred rollouts, most of them in regulated industries.",
    "We integrate the platform with your ERP and CRM and move your history across without downtime.",
    "We operate the platform for you: monitoring, patching, backups and a service desk that answers at night.",
    "We train your admins and power users and set up the processes that make adoption stick.",
    "Our connector syncs accounts, opportunities and usage both ways, in minutes, with field mapping you control.",
    "Every change is logged, so auditors see who changed what and when.",
    "Dashboards for pipeline, forecast and partner performance are ready on the first day.",
    "We hold ISO 27001 and SOC 2 Type II reports and sign your data processing agreement.",
    "Onboarding takes a week: a kickoff, a data review, a pilot team and a go-live checklist.",
    "Pricing is per seat and month, with no setup fee for teams under fifty users.",
    "Our support team answers in under an hour on business days, in English and the local language.",
    "Webhooks and a documented REST API let your developers extend every workflow.",
    "Duplicate accounts are merged by domain and name before anything is imported.",
    "We migrate custom objects, attachments and activity history, and reconcile the counts with you.",
    "Single sign-on with SAML or OpenID Connect, and provisioning with SCIM.",
    "Invoices, payments and subscriptions flow back to the account record in real time.",
    "Forecasting uses your own win rates by stage, region and product line.",
    "We run a quarterly health check and a roadmap session with your team.",
    "Templates for healthcare, financial services and the public sector come included.",
];

/// Proof points a description lists.
const PROOF: &[&str] = &[
    "Certified on the current release",
    "Two hundred customers live",
    "Rated 4.7 by customers on average",
    "Data hosted in the EU or the US, your choice",
    "Go-live guarantee in writing",
    "A named consultant for every project",
    "Open API and webhooks",
    "HIPAA and GDPR ready",
];

/// Customers' review sentences by how they rated (1-2, 3, 4-5).
const REVIEW_BAD: &[&str] = &[
    "The project ran two months late and the handover was thin.",
    "Support answers took days; we escalated twice.",
    "The connector dropped custom fields until the second release.",
    "Expensive for what we got; the training was generic.",
];
const REVIEW_MIXED: &[&str] = &[
    "Solid technically, but change requests were slow.",
    "Good people, a little stretched during our go-live week.",
    "Does what it says; the setup needed more of our time than promised.",
    "Fine for the basics, thin on reporting.",
];
const REVIEW_GOOD: &[&str] = &[
    "Rolled out to 300 seats in six weeks; the **training** was excellent.",
    "They knew our industry and it showed.",
    "The migration went through over a weekend with no data lost.",
    "Quick, friendly, fair prices.",
    "Sync has run for a year without a single failed job.",
    "Our admins were confident after two sessions.",
    "Helpful and honest about what we did not need.",
    "Setup took an afternoon and the field mapping is flexible.",
];

/// Two-letter languages of a country (English everywhere besides).
fn listing_languages(country: &str) -> Vec<String> {
    let home = match country {
        "DE" | "AT" | "CH" => Some("de"),
        "FR" | "BE" => Some("fr"),
        "ES" | "MX" | "AR" | "CL" | "CO" => Some("es"),
        "BR" | "PT" => Some("pt"),
        "IT" => Some("it"),
        "NL" => Some("nl"),
        "JP" => Some("ja"),
        "SE" => Some("sv"),
        "PL" => Some("pl"),
        _ => None,
    };
    let mut out = vec!["en".to_owned()];
    out.extend(home.map(str::to_owned));
    out
}

fn unit(rng: &mut StdRng) -> f64 {
    rng.random_range(0..1_000_000) as f64 / 1_000_000.0
}

/// Adds `listings` published listings and `reviews` customers' reviews to a seeded store
/// (after [`crate::seed`], usually after [`grow`] brought the partners to 10,000), through
/// the store's bulk loader. Listings go to the live active partners in turn (by name; a
/// partner gets a second listing when there are more listings than partners): a technology
/// partner mostly lists an integration, every other partner services. Their titles,
/// summaries, Markdown descriptions and facets (categories, regions, industries, languages)
/// are drawn from the word lists above and the seed's; a fifth are verified; views are
/// heavy-tailed (most listings have a few dozen, a few thousands). Reviews go to listings in
/// proportion to their views plus a floor, rated mostly 4 and 5; 3% are hidden by a
/// moderator and 15% answered by the partner. Deterministic like [`grow`]: only ids (and so
/// slugs) differ between runs.
pub async fn grow_directory(
    store: &Store,
    seed: u64,
    listings: usize,
    reviews: usize,
) -> Result<DirectoryScaleReport, StoreError> {
    use partnerops_core::directory::record::DirectoryListingInput;
    use partnerops_store::bulk::{BulkListing, BulkReview};

    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed ^ DIRECTORY_SALT);
    let now = store.now();
    let mut partners = store.bulk_listing_partners().await?;
    // By name as Rust orders it, whatever the database's collation.
    partners.sort_by(|a, b| a.name.cmp(&b.name));
    let mut report = DirectoryScaleReport::default();
    if partners.is_empty() || listings == 0 {
        return Ok(report);
    }
    let region_of = |code: &str| {
        COUNTRIES
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.region)
            .unwrap_or(partnerops_core::country::Region::NorthAmerica)
    };
    let regions = [
        partnerops_core::country::Region::NorthAmerica,
        partnerops_core::country::Region::LatinAmerica,
        partnerops_core::country::Region::Emea,
        partnerops_core::country::Region::Apac,
    ];

    // (id, partner id, views, published at) of every listing written, for the reviews.
    let mut written: Vec<(String, String, i64, chrono::DateTime<Utc>)> =
        Vec::with_capacity(listings);
    let mut rows = Vec::with_capacity(LISTING_BATCH.min(listings));
    for i in 0..listings {
        let p = &partners[i % partners.len()];
        let technology = p.partner_type == "technology";
        let integration = technology && rng.random_range(0..100) < 85;
        let industries: Vec<String> = {
            let mut v: Vec<String> = Vec::new();
            for _ in 0..rng.random_range(1..4) {
                let w = weighted(&mut rng, crate::words::INDUSTRY_WEIGHTS.iter().copied())
                    % VERTICALS.len();
                if !v.iter().any(|x| x == VERTICALS[w]) {
                    v.push(VERTICALS[w].to_owned());
                }
            }
            v
        };
        let home = region_of(&p.country);
        let mut listing_regions = vec![home.label().to_owned()];
        if rng.random_range(0..100) < 30 {
            let other = pick(&mut rng, &regions).label().to_owned();
            if !listing_regions.contains(&other) {
                listing_regions.push(other);
            }
        }
        let (title, summary, mut categories) = if integration {
            let (category, system) = *pick(&mut rng, INTEGRATION_TARGETS);
            let product = format!(
                "{} {}",
                p.name.split(' ').next().unwrap_or("Acme"),
                coined(&mut rng, 2)
            );
            let noun = pick(&mut rng, INTEGRATION_NOUNS);
            (
                format!("{product} {system} {noun}"),
                format!(
                    "Two-way {system} integration: accounts, orders and usage in sync within minutes"
                ),
                vec!["Integration".to_owned(), category.to_owned()],
            )
        } else {
            let (category, tagline) = *pick(&mut rng, SERVICE_OFFERS);
            let mut summary = format!("{}{}", tagline[..1].to_uppercase(), &tagline[1..]);
            summary.push_str(&format!(" for {} teams", industries[0].to_lowercase()));
            (
                format!("{}: {tagline}", p.name),
                summary,
                vec![category.to_owned()],
            )
        };
        if rng.random_range(0..100) < 35 {
            let extra = if integration {
                pick(&mut rng, INTEGRATION_TARGETS).0
            } else {
                pick(&mut rng, SERVICE_OFFERS).0
            };
            if !categories.iter().any(|c| c == extra) {
                categories.push(extra.to_owned());
            }
        }
        let mut about = Vec::new();
        for _ in 0..rng.random_range(2..5) {
            let s = *pick(&mut rng, ABOUT);
            if !about.contains(&s) {
                about.push(s);
            }
        }
        let description = format!(
            "## What we do\n\n{}\n\n## Why {}\n\n- Customers in {}\n- Focus on {}\n- {}\n- {}\n\n[Talk to us](https://{}.example)",
            about.join(" "),
            p.name,
            listing_regions.join(", "),
            industries.join(", "),
            pick(&mut rng, PROOF),
            pick(&mut rng, PROOF),
            slug(&p.name),
        );
        let input = DirectoryListingInput {
            partner_id: None,
            kind: Some(
                if integration {
                    "integration"
                } else {
                    "services"
                }
                .to_owned(),
            ),
            title: Some(title),
            summary: Some(summary),
            description: Some(description),
            categories: Some(categories),
            regions: Some(listing_regions),
            industries: Some(industries),
            languages: Some(listing_languages(&p.country)),
            website: Some(format!("https://{}.example", slug(&p.name))),
            screenshot_ids: None,
        };
        let fields = input.parse().map_err(StoreError::Invalid)?;
        let published_at = now
            - Duration::days(rng.random_range(1..700))
            - Duration::minutes(rng.random_range(0..1_440));
        let verified = rng.random_range(0..100) < 20;
        // Heavy-tailed: u^4 puts most listings near the floor and a few in the thousands.
        let views = 3 + (unit(&mut rng).powi(4) * 20_000.0) as i64;
        report.integrations += usize::from(integration);
        report.verified += usize::from(verified);
        rows.push(BulkListing {
            partner_id: p.id.clone(),
            fields,
            verified_at: verified.then(|| {
                published_at + Duration::days(rng.random_range(1..30)).min(now - published_at)
            }),
            views,
            published_at,
        });
        if rows.len() == LISTING_BATCH || i + 1 == listings {
            let ids = store
                .bulk_listings(&rows)
                .await
                .map_err(|e| batch_error(e, "listings", i))?;
            for (id, l) in ids.iter().zip(&rows) {
                written.push((
                    id.as_str().to_owned(),
                    l.partner_id.clone(),
                    l.views,
                    l.published_at,
                ));
            }
            rows.clear();
        }
    }
    report.listings = written.len();
    tracing::info!(
        listings = report.listings,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scale seed: directory listings written"
    );

    // Reviews: a listing is drawn in proportion to its views plus a floor of 50.
    let mut cumulative = Vec::with_capacity(written.len());
    let mut total = 0i64;
    for (_, _, views, _) in &written {
        total += 50 + views;
        cumulative.push(total);
    }
    let mut rows = Vec::with_capacity(BATCH.min(reviews));
    for i in 0..reviews {
        let x = rng.random_range(0..total);
        let k = cumulative.partition_point(|c| *c <= x);
        let (listing_id, partner_id, _, published_at) = &written[k];
        let rating = 1 + weighted(&mut rng, [4u32, 5, 12, 34, 45].into_iter()) as i64;
        let bank = match rating {
            1 | 2 => REVIEW_BAD,
            3 => REVIEW_MIXED,
            _ => REVIEW_GOOD,
        };
        let mut body = (*pick(&mut rng, bank)).to_owned();
        if rng.random_range(0..2) == 0 {
            let second = *pick(&mut rng, bank);
            if !body.contains(second) {
                body.push(' ');
                body.push_str(second);
            }
        }
        let first = pick(&mut rng, crate::words::FIRST_NAMES);
        let last = pick(&mut rng, crate::words::LAST_NAMES);
        let hidden = rng.random_range(0..100) < 3;
        let answer = (rng.random_range(0..100) < 15)
            .then(|| format!("Thank you, {first}: we passed it on to the team."));
        report.hidden_reviews += usize::from(hidden);
        rows.push(BulkReview {
            listing_id: listing_id.clone(),
            partner_id: partner_id.clone(),
            // The running number keeps one review per e-mail and listing.
            email: format!(
                "{}.{}{i}@customer.example",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            author_name: format!("{first} {}.", &last[..1]),
            rating,
            body,
            hidden: hidden.then(|| "Hidden by a moderator: off-topic or unverifiable".to_owned()),
            answer,
            // Some time between the listing's publication and now.
            created_at: *published_at
                + Duration::seconds(
                    ((now - *published_at).num_seconds() as f64 * unit(&mut rng)) as i64,
                ),
        });
        if rows.len() == BATCH || i + 1 == reviews {
            report.reviews += store
                .bulk_reviews(&rows)
                .await
                .map_err(|e| batch_error(e, "reviews", i))?;
            rows.clear();
        }
    }
    tracing::info!(
        ?report,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scale seed: directory done"
    );
    Ok(report)
}
