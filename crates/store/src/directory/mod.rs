//! The public directory: partners' listings written in the portal, published at once or
//! after review (the program's mode), verified or unpublished by the vendor; the public
//! search and pages. The rules (publication, ranking, typo correction) are
//! `core::directory`'s; here they meet the database.
//!
//! A partner sees and changes only its own listings, whatever their status. The public reads
//! (`directory_search`, `public_listing`, `public_slugs`) see published listings that are
//! not hidden, of partners that are not archived, and nothing else: the condition is
//! [`PUBLIC`], in one place.

mod curation;
mod lead;
mod moderation;
mod review;
mod usage;

pub use lead::EnquiryOutcome;
pub use moderation::ReportSubject;
pub use review::InviteView;

/// The directory's periodic work: retrying review invitations.
pub(crate) fn jobs() -> Vec<Box<dyn crate::jobs::Job>> {
    vec![Box::new(review::RetryInvites)]
}

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::directory::record::{
    DirectoryHit, DirectoryListing, DirectoryListingInput, DirectoryReviewInput,
    DirectorySearchResult, DirectorySetting, ListingFields,
};
use partnerops_core::directory::review::{RatingSummary, summary_of};
use partnerops_core::directory::signals::{self, UsageReport};
use partnerops_core::directory::{
    self, Candidate, Decision, DirectoryMode, ListingKind, ListingStatus, MODE_TREE, Refused,
    facet_key, kind_allowed, query_terms, rank, words,
};
use partnerops_core::ids::{DirectoryListingId, EntityId, FileId, PartnerId, ProgramId, parse_id};
use partnerops_core::partner::PartnerType;
use partnerops_core::partnership::record::TreeAnswers;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use crate::db::{Exec, Sql, Tx, dialect, row};
use crate::entity::{json_column, to_json};
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope};

row! {
    struct ListingRow {
        id: String,
        partner_id: String,
        partner_name: String,
        program_id: String,
        kind: String,
        status: String,
        slug: String,
        title: String,
        summary: String,
        description: String,
        categories: String,
        regions: String,
        industries: String,
        languages: String,
        website: Option<String>,
        screenshots: String,
        tier_name: String,
        verified_at: Option<DateTime<Utc>>,
        views: i64,
        status_reason: Option<String>,
        published_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        unpublished_at: Option<DateTime<Utc>>,
        hidden_at: Option<DateTime<Utc>>,
        removed_at: Option<DateTime<Utc>>,
        leads: i64,
        recent_leads: i64,
        rating_sum: i64,
        rating_count: i64,
        usage_period: Option<String>,
        usage_installs: Option<i64>,
        usage_customers: Option<i64>,
        usage_reported_at: Option<DateTime<Utc>>,
    }
}

/// The select of listings with their counts, the health score's inputs and the latest
/// usage report; `now` sets the window of recent enquiries. Ends in `WHERE 1 = 1`.
fn listing_select(now: DateTime<Utc>) -> Sql {
    let mut q = Sql::new(
        "SELECT l.id, l.partner_id, p.name AS partner_name, p.program_id, l.kind, l.status, l.slug, l.title, l.summary, l.description, l.categories, l.regions, l.industries, l.languages, l.website, l.screenshots, t.name AS tier_name, l.verified_at, l.views, l.status_reason, l.published_at, l.created_at, l.updated_at, l.unpublished_at, l.hidden_at, l.removed_at, (SELECT CAST(COUNT(*) AS BIGINT) FROM directory_leads dl WHERE dl.listing_id = l.id) AS leads, ",
    );
    recent_leads(&mut q, now);
    q.push(", (SELECT CAST(COALESCE(SUM(dr.rating), 0) AS BIGINT) FROM directory_reviews dr WHERE dr.listing_id = l.id AND dr.state = 'visible') AS rating_sum, (SELECT CAST(COUNT(*) AS BIGINT) FROM directory_reviews dr WHERE dr.listing_id = l.id AND dr.state = 'visible') AS rating_count, ");
    q.push(USAGE_COLUMNS)
        .push(" FROM directory_listings l JOIN partners p ON p.id = l.partner_id JOIN tiers t ON t.id = p.tier_id")
        .push(LATEST_USAGE)
        .push(" WHERE 1 = 1");
    q
}

/// The column `recent_leads`: enquiries of listing `l` in the health score's window.
fn recent_leads(q: &mut Sql, now: DateTime<Utc>) {
    q.push("(SELECT CAST(COUNT(*) AS BIGINT) FROM directory_leads dl WHERE dl.listing_id = l.id AND dl.created_at >= ")
        .bind(now - chrono::Duration::days(signals::ACTIVITY_DAYS))
        .push(") AS recent_leads");
}

/// The latest usage report of listing `l` as `u` (joined; absent without reports).
const LATEST_USAGE: &str = " LEFT JOIN directory_usage u ON u.listing_id = l.id AND u.period = (SELECT MAX(u2.period) FROM directory_usage u2 WHERE u2.listing_id = l.id)";
const USAGE_COLUMNS: &str = "u.period AS usage_period, u.installs AS usage_installs, u.customers AS usage_customers, u.reported_at AS usage_reported_at";

/// The health score of a listing from what the select read.
fn health_of(
    now: DateTime<Utc>,
    rating: RatingSummary,
    recent_leads: i64,
    usage: Option<&UsageReport>,
    updated_at: DateTime<Utc>,
) -> signals::HealthScore {
    signals::health(signals::HealthInputs {
        rating,
        recent_leads,
        reach: usage.and_then(|u| u.installs.max(u.customers)),
        days_since_update: (now - updated_at).num_days(),
    })
}

/// The usage report the select's `usage_*` columns hold.
fn usage_of(
    period: Option<String>,
    installs: Option<i64>,
    customers: Option<i64>,
    reported_at: Option<DateTime<Utc>>,
) -> Option<UsageReport> {
    Some(UsageReport {
        period: period?,
        installs,
        customers,
        reported_at: reported_at?,
    })
}

/// What the public may see: published, not hidden, of a partner that is not archived
/// (`core::directory::is_public`, plus the partner's own state).
const PUBLIC: &str =
    " AND l.status = 'published' AND l.hidden_at IS NULL AND p.archived_at IS NULL";

/// How many candidates the full-text index hands to the ranking at most.
const CANDIDATES: i64 = 500;

/// The facets a listing is filtered by, with the name of the input field each comes from.
pub const FACETS: [&str; 4] = ["category", "region", "industry", "language"];

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(e.message)
}

fn listing_from(r: ListingRow, now: DateTime<Utc>) -> Result<(DirectoryListing, bool)> {
    let was_unpublished = r.unpublished_at.is_some();
    let rating = summary_of(r.rating_sum, r.rating_count);
    let usage = usage_of(
        r.usage_period,
        r.usage_installs,
        r.usage_customers,
        r.usage_reported_at,
    );
    let health = health_of(now, rating, r.recent_leads, usage.as_ref(), r.updated_at);
    Ok((
        DirectoryListing {
            id: DirectoryListingId::from_trusted(r.id),
            partner_id: PartnerId::from_trusted(r.partner_id),
            partner_name: r.partner_name,
            program_id: ProgramId::from_trusted(r.program_id),
            kind: ListingKind::parse("kind", &r.kind).map_err(corrupt)?,
            status: ListingStatus::parse("status", &r.status).map_err(corrupt)?,
            slug: r.slug,
            title: r.title,
            summary: r.summary,
            description: r.description,
            categories: json_column("categories", &r.categories)?,
            regions: json_column("regions", &r.regions)?,
            industries: json_column("industries", &r.industries)?,
            languages: json_column("languages", &r.languages)?,
            website: r.website,
            screenshot_ids: json_column("screenshots", &r.screenshots)?,
            tier_name: r.tier_name,
            verified_at: r.verified_at,
            views: r.views,
            leads: r.leads,
            rating,
            usage,
            health,
            moderation: moderation::listing_state(r.hidden_at, r.removed_at),
            status_reason: r.status_reason,
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        },
        was_unpublished,
    ))
}

/// A listing in `scope`, with whether the vendor has unpublished it since its last review.
async fn listing_in(
    x: &mut impl Exec,
    now: DateTime<Utc>,
    scope: &Scope,
    id: &str,
) -> Result<(DirectoryListing, bool)> {
    let not_found = StoreError::NotFound(EntityKind::DirectoryListing);
    if DirectoryListingId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = listing_select(now);
    q.push(" AND l.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::DirectoryListing, "l");
    listing_from(x.optional::<ListingRow>(&q).await?.ok_or(not_found)?, now)
}

/// The text the full-text index reads: normalised words, the same for both backends.
pub(crate) fn search_text(f: &ListingFields) -> String {
    let mut parts = vec![f.title.clone(), f.summary.clone()];
    parts.extend(f.categories.iter().cloned());
    parts.extend(f.regions.iter().cloned());
    parts.extend(f.industries.iter().cloned());
    parts.push(f.description.clone());
    words(&parts.join(" ")).join(" ")
}

/// Refuses screenshot ids that are not screenshots uploaded for `partner`, naming the entry.
async fn check_screenshots(tx: &mut Tx, partner: &PartnerId, ids: &[FileId]) -> Result<()> {
    let mut q =
        Sql::new("SELECT id FROM stored_files WHERE purpose = 'screenshot' AND partner_id = ");
    q.bind(partner.as_str()).push(" AND id IN ");
    ids_found(
        tx,
        q,
        "screenshot_ids",
        ids,
        "is not a screenshot uploaded for this partner (POST /api/v1/files with purpose screenshot)",
    )
    .await
}

/// Refuses the entries of `ids` that `q` (a `SELECT id …` of what may be named, ending in
/// `id IN `) does not find, each by its place: `field[i]: <id> <why>`.
async fn ids_found<T: EntityId>(
    x: &mut impl Exec,
    mut q: Sql,
    field: &str,
    ids: &[T],
    why: &str,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    row! { struct IdRow { id: String } }
    q.bind_in(ids.iter().map(EntityId::as_str));
    let found: Vec<String> = x
        .all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut inv = Invalid::new();
    for (i, id) in ids.iter().enumerate() {
        if !found.iter().any(|f| f == id.as_str()) {
            let entry = format!("{field}[{i}]");
            inv.add(&entry, "exists", format!("{entry}: {} {why}", id.as_str()));
        }
    }
    if inv.is_empty() {
        Ok(())
    } else {
        Err(inv.into())
    }
}

/// Rewrites a listing's facet rows from its fields.
async fn write_facets(tx: &mut Tx, id: &str, f: &ListingFields) -> Result<()> {
    let mut q = Sql::new("DELETE FROM directory_listing_facets WHERE listing_id = ");
    q.bind(id);
    tx.execute(&q).await?;
    let lists: [(&str, &Vec<String>); 4] = [
        ("category", &f.categories),
        ("region", &f.regions),
        ("industry", &f.industries),
        ("language", &f.languages),
    ];
    for (facet, values) in lists {
        for label in values {
            let mut q = Sql::new(
                "INSERT INTO directory_listing_facets (listing_id, facet, value_key, label) VALUES (",
            );
            q.bind(id)
                .push(", ")
                .bind(facet)
                .push(", ")
                .bind(facet_key(label))
                .push(", ")
                .bind(label.as_str())
                .push(") ON CONFLICT DO NOTHING");
            tx.execute(&q).await?;
        }
    }
    Ok(())
}

row! {
    struct PartnerFacts {
        program_id: String,
        partner_type: String,
    }
}

async fn partner_facts(x: &mut impl Exec, partner: &PartnerId) -> Result<(ProgramId, PartnerType)> {
    let mut q = Sql::new(
        "SELECT program_id, partner_type FROM partners WHERE archived_at IS NULL AND id = ",
    );
    q.bind(partner.as_str());
    let row = x
        .optional::<PartnerFacts>(&q)
        .await?
        .ok_or_else(|| Invalid::one("partner_id", "exists", "partner_id names no live partner"))?;
    Ok((
        ProgramId::from_trusted(row.program_id),
        PartnerType::parse("partner_type", &row.partner_type).map_err(corrupt)?,
    ))
}

row! {
    struct SettingRow {
        mode: String,
        decided_by: Option<String>,
        updated_at: DateTime<Utc>,
    }
}

/// A program's directory mode; open when never set (seed 003 §2: the team went open).
async fn setting_of(x: &mut impl Exec, program: &ProgramId) -> Result<DirectorySetting> {
    let mut q =
        Sql::new("SELECT mode, decided_by, updated_at FROM directory_settings WHERE program_id = ");
    q.bind(program.as_str());
    Ok(match x.optional::<SettingRow>(&q).await? {
        Some(r) => DirectorySetting {
            program_id: program.clone(),
            mode: DirectoryMode::parse("mode", &r.mode).map_err(corrupt)?,
            decided_by: r.decided_by,
            updated_at: Some(r.updated_at),
        },
        None => DirectorySetting {
            program_id: program.clone(),
            mode: DirectoryMode::Open,
            decided_by: None,
            updated_at: None,
        },
    })
}

fn refusal(r: Refused) -> StoreError {
    StoreError::conflict("status", r.rule, r.message)
}

/// A search of the public directory: words and filters (facet keys, a tier name).
#[derive(Clone, Debug, Default)]
pub struct DirectoryQuery {
    pub q: String,
    pub category: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub language: Option<String>,
    pub tier: Option<String>,
    pub kind: Option<ListingKind>,
    pub limit: usize,
}

row! {
    struct CandidateRow {
        id: String,
        slug: String,
        kind: String,
        title: String,
        summary: String,
        description: String,
        categories: String,
        regions: String,
        industries: String,
        partner_name: String,
        tier_name: String,
        verified_at: Option<DateTime<Utc>>,
        views: i64,
        updated_at: DateTime<Utc>,
        recent_leads: i64,
        rating_sum: i64,
        rating_count: i64,
        usage_period: Option<String>,
        usage_installs: Option<i64>,
        usage_customers: Option<i64>,
        usage_reported_at: Option<DateTime<Utc>>,
    }
}

/// A facet value that public listings carry, with how many carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacetCount {
    pub facet: String,
    pub key: String,
    pub label: String,
    pub listings: i64,
}

row! {
    struct FacetRow {
        facet: String,
        value_key: String,
        label: String,
        listings: i64,
    }
}

row! {
    struct SlugRow {
        slug: String,
        updated_at: DateTime<Utc>,
    }
}

row! {
    struct WordsRow {
        title: String,
        categories: String,
    }
}

/// The select of public listings as candidates of a search (or of a collection, or of
/// recommendations): what ranking and a result need. Ends in the public condition.
fn candidate_select(now: DateTime<Utc>) -> Sql {
    let mut q = candidate_columns(now);
    q.push(" FROM directory_listings l JOIN partners p ON p.id = l.partner_id JOIN tiers t ON t.id = p.tier_id")
        .push(LATEST_USAGE)
        .push(" WHERE 1 = 1")
        .push(PUBLIC);
    q
}

/// A candidate's columns, over the listing `l`, its partner `p`, tier `t` and latest usage
/// report `u`: from `SELECT` up to `FROM`.
fn candidate_columns(now: DateTime<Utc>) -> Sql {
    let mut q = Sql::new(
        "SELECT l.id, l.slug, l.kind, l.title, l.summary, l.description, l.categories, l.regions, l.industries, p.name AS partner_name, t.name AS tier_name, l.verified_at, l.views, l.updated_at, ",
    );
    recent_leads(&mut q, now);
    q.push(", (SELECT CAST(COALESCE(SUM(dr.rating), 0) AS BIGINT) FROM directory_reviews dr WHERE dr.listing_id = l.id AND dr.state = 'visible') AS rating_sum, (SELECT CAST(COUNT(*) AS BIGINT) FROM directory_reviews dr WHERE dr.listing_id = l.id AND dr.state = 'visible') AS rating_count, ")
        .push(USAGE_COLUMNS);
    q
}

/// A public listing as ranking sees it and as a result shows it.
struct Parsed {
    id: String,
    candidate: Candidate,
    hit: DirectoryHit,
}

fn candidates_from(rows: Vec<CandidateRow>, now: DateTime<Utc>) -> Result<Vec<Parsed>> {
    let mut parsed = Vec::with_capacity(rows.len());
    for r in rows {
        let categories: Vec<String> = json_column("categories", &r.categories)?;
        let regions: Vec<String> = json_column("regions", &r.regions)?;
        let industries: Vec<String> = json_column("industries", &r.industries)?;
        let facets = [
            categories.join(" "),
            regions.join(" "),
            industries.join(" "),
        ]
        .join(" ");
        let rating = summary_of(r.rating_sum, r.rating_count);
        let usage = usage_of(
            r.usage_period,
            r.usage_installs,
            r.usage_customers,
            r.usage_reported_at,
        );
        let health = health_of(now, rating, r.recent_leads, usage.as_ref(), r.updated_at);
        parsed.push(Parsed {
            id: r.id,
            candidate: Candidate {
                title: r.title.clone(),
                facets,
                description: format!("{} {}", r.summary, r.description),
                verified: r.verified_at.is_some(),
                views: r.views,
                rating,
                health: health.fraction(),
            },
            hit: DirectoryHit {
                slug: r.slug,
                kind: ListingKind::parse("kind", &r.kind).map_err(corrupt)?,
                title: r.title,
                summary: r.summary,
                partner_name: r.partner_name,
                tier_name: r.tier_name,
                verified: r.verified_at.is_some(),
                categories,
                regions,
                rating,
                health: health.score,
            },
        });
    }
    Ok(parsed)
}

impl Store {
    /// Listings: staff see all (of one status, if named); a partner its own, drafts
    /// included. Waiting for review first, then by title.
    pub async fn directory_listings(
        &self,
        scope: &Scope,
        status: Option<ListingStatus>,
        partner: Option<&PartnerId>,
    ) -> Result<Vec<DirectoryListing>> {
        let now = self.now();
        let mut q = listing_select(now);
        if let Some(s) = status {
            q.push(" AND l.status = ").bind(s.as_str());
        }
        if let Some(p) = partner {
            q.push(" AND l.partner_id = ").bind(p.as_str());
        }
        scope::restrict(&mut q, scope, EntityKind::DirectoryListing, "l");
        q.push(" ORDER BY CASE WHEN l.status = 'in_review' THEN 0 ELSE 1 END, l.title, l.id");
        self.db
            .read()
            .all::<ListingRow>(&q)
            .await?
            .into_iter()
            .map(|r| listing_from(r, now).map(|(l, _)| l))
            .collect()
    }

    pub async fn directory_listing(&self, scope: &Scope, id: &str) -> Result<DirectoryListing> {
        Ok(listing_in(&mut self.db.read(), self.now(), scope, id)
            .await?
            .0)
    }

    /// A new listing, as a draft. A partner writes its own (naming another partner reads
    /// like naming none); staff name the partner.
    #[tracing::instrument(skip_all)]
    pub async fn create_directory_listing(
        &self,
        actor: &Actor,
        input: &DirectoryListingInput,
    ) -> Result<DirectoryListing> {
        let partner: PartnerId = match (actor.partner_id(), input.partner_id.as_deref()) {
            (Some(own), None) => own.clone(),
            (Some(own), Some(raw)) if raw.trim() == own.as_str() => own.clone(),
            (Some(_), Some(_)) => {
                return Err(Invalid::one(
                    "partner_id",
                    "own_partner",
                    "a partner writes its own listings",
                )
                .into());
            }
            (None, raw) => parse_id("partner_id", raw.unwrap_or(""))
                .map_err(|e| StoreError::Invalid(Invalid { errors: vec![e] }))?,
        };
        actor.authorize(&Action::WriteListing(&partner))?;
        let f = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (_, partner_type) = partner_facts(&mut tx, &partner).await?;
        check_screenshots(&mut tx, &partner, &f.screenshots).await?;
        if !kind_allowed(partner_type, f.kind) {
            return Err(Invalid::one(
                "kind",
                "technology_partner",
                "integration listings are for technology partners; list services instead",
            )
            .into());
        }
        let id: DirectoryListingId = new_id();
        // The id's last characters make the slug unique whatever the title.
        let suffix = &id.as_str()[id.as_str().len() - 6..];
        let slug = format!("{}-{suffix}", directory::slugify(&f.title));
        let mut q = Sql::new(
            "INSERT INTO directory_listings (id, partner_id, kind, status, slug, title, summary, description, categories, regions, industries, languages, website, screenshots, search_text, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(partner.as_str())
            .push(", ")
            .bind(f.kind.as_str())
            .push(", 'draft', ")
            .bind(slug)
            .push(", ")
            .bind(f.title.as_str())
            .push(", ")
            .bind(f.summary.as_str())
            .push(", ")
            .bind(f.description.as_str())
            .push(", ")
            .bind(to_json(&f.categories)?)
            .push(", ")
            .bind(to_json(&f.regions)?)
            .push(", ")
            .bind(to_json(&f.industries)?)
            .push(", ")
            .bind(to_json(&f.languages)?)
            .push(", ")
            .bind(f.website.clone())
            .push(", ")
            .bind(to_json(&f.screenshots)?)
            .push(", ")
            .bind(search_text(&f))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        write_facets(&mut tx, id.as_str(), &f).await?;
        let (l, _) = listing_in(&mut tx, self.now(), &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryListing,
            id.as_str(),
            AuditAction::Created,
            Some(&partner),
            None::<&()>,
            Some(&l),
        )
        .await?;
        tx.commit().await?;
        Ok(l)
    }

    /// Changes a listing's content. A published listing stays published (moderation comes
    /// after publication); its slug stays, so links keep working.
    #[tracing::instrument(skip_all, fields(listing_id = %id))]
    pub async fn update_directory_listing(
        &self,
        actor: &Actor,
        id: &str,
        input: &DirectoryListingInput,
    ) -> Result<DirectoryListing> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (before, _) = listing_in(&mut tx, self.now(), &actor.scope(), id).await?;
        actor.authorize(&Action::WriteListing(&before.partner_id))?;
        if input
            .partner_id
            .as_deref()
            .is_some_and(|p| p.trim() != before.partner_id.as_str())
        {
            return Err(Invalid::one(
                "partner_id",
                "immutable",
                "a listing stays with its partner",
            )
            .into());
        }
        let merged = DirectoryListingInput {
            partner_id: None,
            kind: input.kind.clone().or(Some(before.kind.as_str().to_owned())),
            title: input.title.clone().or(Some(before.title.clone())),
            summary: input.summary.clone().or(Some(before.summary.clone())),
            description: input
                .description
                .clone()
                .or(Some(before.description.clone())),
            categories: input.categories.clone().or(Some(before.categories.clone())),
            regions: input.regions.clone().or(Some(before.regions.clone())),
            industries: input.industries.clone().or(Some(before.industries.clone())),
            languages: input.languages.clone().or(Some(before.languages.clone())),
            website: input.website.clone().or(before.website.clone()),
            screenshot_ids: input.screenshot_ids.clone().or(Some(
                before
                    .screenshot_ids
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            )),
        };
        let f = merged.parse()?;
        let (_, partner_type) = partner_facts(&mut tx, &before.partner_id).await?;
        check_screenshots(&mut tx, &before.partner_id, &f.screenshots).await?;
        if !kind_allowed(partner_type, f.kind) {
            return Err(Invalid::one(
                "kind",
                "technology_partner",
                "integration listings are for technology partners; list services instead",
            )
            .into());
        }
        let mut q = Sql::new("UPDATE directory_listings SET kind = ");
        q.bind(f.kind.as_str())
            .push(", title = ")
            .bind(f.title.as_str())
            .push(", summary = ")
            .bind(f.summary.as_str())
            .push(", description = ")
            .bind(f.description.as_str())
            .push(", categories = ")
            .bind(to_json(&f.categories)?)
            .push(", regions = ")
            .bind(to_json(&f.regions)?)
            .push(", industries = ")
            .bind(to_json(&f.industries)?)
            .push(", languages = ")
            .bind(to_json(&f.languages)?)
            .push(", website = ")
            .bind(f.website.clone())
            .push(", screenshots = ")
            .bind(to_json(&f.screenshots)?)
            .push(", search_text = ")
            .bind(search_text(&f))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        write_facets(&mut tx, id, &f).await?;
        let (after, _) = listing_in(&mut tx, self.now(), &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryListing,
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

    /// Applies a decision to a listing: the status, its reason, and the dates that go with
    /// it, in one conditional update (a concurrent change of status makes it a conflict).
    async fn decide_listing(
        &self,
        mut tx: Tx,
        actor: &Actor,
        before: DirectoryListing,
        d: Decision,
        // `Some(Some(t))` marks the listing unpublished by the vendor, `Some(None)` clears
        // the mark (an approving review), `None` leaves it.
        unpublished: Option<Option<DateTime<Utc>>>,
    ) -> Result<DirectoryListing> {
        let now = self.now();
        let mut q = Sql::new("UPDATE directory_listings SET status = ");
        q.bind(d.status.as_str())
            .push(", status_reason = ")
            .bind(d.reason.as_str())
            .push(", updated_at = ")
            .bind(now);
        if d.status == ListingStatus::Published {
            q.push(", published_at = ").bind(now);
        }
        if let Some(mark) = unpublished {
            q.push(", unpublished_at = ").bind(mark);
        }
        q.push(" WHERE id = ")
            .bind(before.id.as_str())
            .push(" AND status = ")
            .bind(before.status.as_str());
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "status",
                "directory.changed",
                "the listing changed meanwhile; reload it",
            ));
        }
        let (after, _) =
            listing_in(&mut tx, self.now(), &Scope::Vendor, before.id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryListing,
            before.id.as_str(),
            AuditAction::Decided,
            Some(&before.partner_id),
            Some(&before),
            Some(&serde_json::json!({ "listing": after, "rule": d.rule, "reason": d.reason })),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The partner submits its listing: published at once in an open directory, held for
    /// review in a curated one (or after the vendor unpublished it).
    #[tracing::instrument(skip_all, fields(listing_id = %id))]
    pub async fn submit_directory_listing(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<DirectoryListing> {
        let mut tx = self.db.begin_write().await?;
        let (before, was_unpublished) = listing_in(&mut tx, self.now(), &actor.scope(), id).await?;
        actor.authorize(&Action::WriteListing(&before.partner_id))?;
        let setting = setting_of(&mut tx, &before.program_id).await?;
        let d = directory::submit(setting.mode, before.status, was_unpublished).map_err(refusal)?;
        self.decide_listing(tx, actor, before, d, None).await
    }

    /// The partner takes its listing back to a draft.
    #[tracing::instrument(skip_all, fields(listing_id = %id))]
    pub async fn withdraw_directory_listing(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<DirectoryListing> {
        let mut tx = self.db.begin_write().await?;
        let (before, _) = listing_in(&mut tx, self.now(), &actor.scope(), id).await?;
        actor.authorize(&Action::WriteListing(&before.partner_id))?;
        let d = directory::withdraw(before.status).map_err(refusal)?;
        self.decide_listing(tx, actor, before, d, None).await
    }

    /// The vendor's review of a listing awaiting it. An approval also clears the mark the
    /// vendor's unpublishing left.
    #[tracing::instrument(skip_all, fields(listing_id = %id))]
    pub async fn review_directory_listing(
        &self,
        actor: &Actor,
        id: &str,
        input: &DirectoryReviewInput,
    ) -> Result<DirectoryListing> {
        let mut tx = self.db.begin_write().await?;
        let (before, _) = listing_in(&mut tx, self.now(), &actor.scope(), id).await?;
        actor.authorize(&Action::ModerateDirectory)?;
        let mut inv = Invalid::new();
        let approve = input.approve;
        if approve.is_none() {
            inv.add(
                "approve",
                "required",
                "approve is required: true publishes, false rejects",
            );
        }
        let reason = inv
            .check(partnerops_core::invalid::text::optional(
                "reason",
                input.reason.as_deref(),
                500,
            ))
            .flatten();
        if approve == Some(false) && reason.is_none() {
            inv.add(
                "reason",
                "required",
                "reason is required when rejecting: the partner reads it",
            );
        }
        if !inv.is_empty() {
            return Err(inv.into());
        }
        let approve = approve.unwrap_or(false);
        let d = directory::review(before.status, approve, reason.as_deref().unwrap_or(""))
            .map_err(refusal)?;
        let mark = approve.then_some(None);
        self.decide_listing(tx, actor, before, d, mark).await
    }

    /// The vendor takes a listing out of the directory, with a reason the partner reads.
    #[tracing::instrument(skip_all, fields(listing_id = %id))]
    pub async fn unpublish_directory_listing(
        &self,
        actor: &Actor,
        id: &str,
        reason: Option<&str>,
    ) -> Result<DirectoryListing> {
        let reason = partnerops_core::invalid::text::required("reason", reason, 500)
            .map_err(|e| Invalid { errors: vec![e] })?;
        let mut tx = self.db.begin_write().await?;
        let (before, _) = listing_in(&mut tx, self.now(), &actor.scope(), id).await?;
        actor.authorize(&Action::ModerateDirectory)?;
        let d = directory::unpublish(before.status, &reason).map_err(refusal)?;
        // The mark sends the listing through review again, whatever the program's mode.
        let now = self.now();
        self.decide_listing(tx, actor, before, d, Some(Some(now)))
            .await
    }

    /// The vendor verifies the partner behind a listing (the verified badge), or takes the
    /// verification back.
    #[tracing::instrument(skip_all, fields(listing_id = %id))]
    pub async fn verify_directory_listing(
        &self,
        actor: &Actor,
        id: &str,
        verified: Option<bool>,
    ) -> Result<DirectoryListing> {
        let Some(verified) = verified else {
            return Err(Invalid::one(
                "verified",
                "required",
                "verified is required (true or false)",
            )
            .into());
        };
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (before, _) = listing_in(&mut tx, self.now(), &actor.scope(), id).await?;
        actor.authorize(&Action::ModerateDirectory)?;
        let mut q = Sql::new("UPDATE directory_listings SET verified_at = ");
        if verified {
            q.bind(before.verified_at.or(Some(now)))
                .push(", verified_by = ")
                .bind(actor.user_id().map(EntityId::as_str));
        } else {
            q.bind(None::<DateTime<Utc>>).push(", verified_by = NULL");
        }
        q.push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let (after, _) = listing_in(&mut tx, self.now(), &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryListing,
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

    /// A program's directory mode (vendor staff).
    pub async fn directory_setting(
        &self,
        scope: &Scope,
        program_id: &str,
    ) -> Result<DirectorySetting> {
        let program = self.live_program(scope, program_id).await?;
        setting_of(&mut self.db.read(), &program).await
    }

    async fn live_program(&self, scope: &Scope, program_id: &str) -> Result<ProgramId> {
        let not_found = StoreError::NotFound(EntityKind::Program);
        if *scope != Scope::Vendor {
            return Err(not_found);
        }
        let program =
            ProgramId::parse(program_id).ok_or(StoreError::NotFound(EntityKind::Program))?;
        row! { struct Exists { #[allow(dead_code)] id: String } }
        let mut q = Sql::new("SELECT id FROM programs WHERE archived_at IS NULL AND id = ");
        q.bind(program.as_str());
        self.db
            .read()
            .optional::<Exists>(&q)
            .await?
            .ok_or(not_found)?;
        Ok(program)
    }

    /// Sets a program's directory mode from its answers to the "open or curated" tree. The
    /// evaluation is recorded like every tree evaluation; the change is audited on the
    /// program.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn set_directory_mode(
        &self,
        actor: &Actor,
        program_id: &str,
        answers: &TreeAnswers,
    ) -> Result<DirectorySetting> {
        let program = self.live_program(&actor.scope(), program_id).await?;
        actor.authorize(&Action::ModerateDirectory)?;
        let evaluation = self.evaluate_tree(actor, MODE_TREE, answers).await?;
        let Some(outcome) = evaluation.outcome_id.as_deref() else {
            let next = evaluation
                .next_question
                .map(|n| format!("answer {}: {}", n.id, n.text))
                .unwrap_or_default();
            return Err(Invalid::one(
                "answers",
                "complete",
                format!("the answers reach no outcome yet; {next}"),
            )
            .into());
        };
        let mode = DirectoryMode::from_outcome(outcome).ok_or_else(|| {
            Invalid::one(
                "answers",
                "outcome",
                format!("the tree's outcome {outcome} is neither open nor curated"),
            )
        })?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = setting_of(&mut tx, &program).await?;
        let mut q = Sql::new(
            "INSERT INTO directory_settings (program_id, mode, decided_by, updated_at) VALUES (",
        );
        q.bind(program.as_str())
            .push(", ")
            .bind(mode.as_str())
            .push(", ")
            .bind(evaluation.outcome.clone())
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (program_id) DO UPDATE SET mode = excluded.mode, decided_by = excluded.decided_by, updated_at = excluded.updated_at");
        tx.execute(&q).await?;
        let after = setting_of(&mut tx, &program).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Program,
            program.as_str(),
            AuditAction::Updated,
            None,
            Some(&serde_json::json!({ "directory": before })),
            Some(&serde_json::json!({ "directory": after })),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    // ---- public reads ----

    /// Searches the public directory: the full-text index finds candidates (any term as a
    /// word prefix), the filters narrow them, the core ranks them. When the words match
    /// nothing, each is corrected against the directory's own vocabulary and the search
    /// runs once more (`corrected_query` says so).
    #[tracing::instrument(skip_all)]
    pub async fn directory_search(&self, query: &DirectoryQuery) -> Result<DirectorySearchResult> {
        let terms = query_terms(&query.q);
        let hits = self.search_with(query, &terms).await?;
        if !hits.is_empty() || terms.is_empty() {
            return Ok(DirectorySearchResult {
                hits,
                corrected_query: None,
            });
        }
        let vocabulary = self.directory_vocabulary().await?;
        match directory::correct(&terms, &vocabulary) {
            Some(corrected) => Ok(DirectorySearchResult {
                hits: self.search_with(query, &corrected).await?,
                corrected_query: Some(corrected.join(" ")),
            }),
            None => Ok(DirectorySearchResult {
                hits,
                corrected_query: None,
            }),
        }
    }

    async fn search_with(
        &self,
        query: &DirectoryQuery,
        terms: &[String],
    ) -> Result<Vec<DirectoryHit>> {
        let now = self.now();
        // The candidates' ids first (the public listings in views order are an index's,
        // `directory_listings_public_rank`, so the cut reads no listing row), then their
        // columns, ratings and health inputs: only the cut's rows are read.
        let mut q = candidate_columns(now);
        q.push(" FROM (SELECT l.id FROM directory_listings l JOIN partners p ON p.id = l.partner_id JOIN tiers t ON t.id = p.tier_id WHERE 1 = 1")
            .push(PUBLIC);
        if !terms.is_empty() {
            dialect::full_text_match(self.backend(), &mut q, "l", terms);
        }
        for (facet, value) in [
            ("category", &query.category),
            ("region", &query.region),
            ("industry", &query.industry),
            ("language", &query.language),
        ] {
            if let Some(v) = value.as_deref().map(facet_key).filter(|v| !v.is_empty()) {
                q.push(" AND l.id IN (SELECT lf.listing_id FROM directory_listing_facets lf WHERE lf.facet = ")
                    .bind(facet)
                    .push(" AND lf.value_key = ")
                    .bind(v)
                    .push(")");
            }
        }
        if let Some(tier) = query
            .tier
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            q.push(" AND t.name = ").bind(tier);
        }
        if let Some(kind) = query.kind {
            q.push(" AND l.kind = ").bind(kind.as_str());
        }
        // Candidates beyond the limit are the least used: the index's order is arbitrary,
        // so the cut keeps the most viewed.
        q.push(" ORDER BY l.views DESC, l.id LIMIT ")
            .bind(CANDIDATES)
            .push(") c JOIN directory_listings l ON l.id = c.id JOIN partners p ON p.id = l.partner_id JOIN tiers t ON t.id = p.tier_id")
            .push(LATEST_USAGE)
            .push(" ORDER BY l.views DESC, l.id");
        let rows: Vec<CandidateRow> = self.db.read().all(&q).await?;
        let parsed = candidates_from(rows, now)?;
        let candidates: Vec<Candidate> = parsed.iter().map(|p| p.candidate.clone()).collect();
        let limit = if query.limit == 0 { 50 } else { query.limit };
        Ok(rank(terms, &candidates)
            .into_iter()
            .take(limit)
            .map(|i| parsed[i].hit.clone())
            .collect())
    }

    /// The words of public listings' titles and categories, with how often each occurs:
    /// what a misspelt query is corrected against.
    async fn directory_vocabulary(&self) -> Result<Vec<(String, i64)>> {
        // PUBLIC without the join: the archived partners are few (an index's), so every
        // public listing's title and categories come from one index
        // (`directory_listings_public_words`) without a row or a partner read each (the
        // join read 10,000 rows and partners in 165-520 ms on SQLite, bench/directory.sh).
        let q = Sql::new(
            "SELECT l.title, l.categories FROM directory_listings l WHERE l.status = 'published' AND l.hidden_at IS NULL AND l.partner_id NOT IN (SELECT p.id FROM partners p WHERE p.archived_at IS NOT NULL)",
        );
        let rows: Vec<WordsRow> = self.db.read().all(&q).await?;
        let mut counts: HashMap<String, i64> = HashMap::new();
        for r in rows {
            let categories: Vec<String> = json_column("categories", &r.categories)?;
            for w in words(&format!("{} {}", r.title, categories.join(" "))) {
                if w.len() >= 3 {
                    *counts.entry(w).or_default() += 1;
                }
            }
        }
        let mut out: Vec<(String, i64)> = counts.into_iter().collect();
        out.sort();
        Ok(out)
    }

    /// A public listing by its slug; `count_view` counts the visit.
    pub async fn public_listing(&self, slug: &str, count_view: bool) -> Result<DirectoryListing> {
        let not_found = StoreError::NotFound(EntityKind::DirectoryListing);
        if slug.is_empty()
            || slug.len() > 80
            || !slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(not_found);
        }
        let now = self.now();
        let mut q = listing_select(now);
        q.push(" AND l.slug = ").bind(slug).push(PUBLIC);
        let (listing, _) = listing_from(
            self.db
                .read()
                .optional::<ListingRow>(&q)
                .await?
                .ok_or(not_found)?,
            now,
        )?;
        if count_view {
            let mut tx = self.db.begin_write().await?;
            let mut q = Sql::new("UPDATE directory_listings SET views = views + 1 WHERE id = ");
            q.bind(listing.id.as_str());
            tx.execute(&q).await?;
            tx.commit().await?;
        }
        Ok(listing)
    }

    /// The slugs of every public listing with when each last changed (the sitemap).
    pub async fn public_slugs(&self) -> Result<Vec<(String, DateTime<Utc>)>> {
        let mut q = Sql::new(
            "SELECT l.slug, l.updated_at FROM directory_listings l JOIN partners p ON p.id = l.partner_id WHERE 1 = 1",
        );
        q.push(PUBLIC).push(" ORDER BY l.slug");
        Ok(self
            .db
            .read()
            .all::<SlugRow>(&q)
            .await?
            .into_iter()
            .map(|r| (r.slug, r.updated_at))
            .collect())
    }

    /// The facet values public listings carry, with counts: the filters the public pages
    /// offer, most used first.
    ///
    /// Every search page shows them, so they are counted cheaply: over every listing's facet
    /// rows (one pass over an index in (facet, value) order, `directory_listing_facets_by_value`),
    /// less the rows of the listings the public may not see, which are few and found by
    /// indexes. Joining each facet row with its listing and partner instead took 65 ms of
    /// SQLite's time at 10,000 listings (bench/directory.sh).
    pub async fn public_facets(&self) -> Result<Vec<FacetCount>> {
        const COUNT: &str = "SELECT lf.facet, lf.value_key, MIN(lf.label) AS label, COUNT(*) AS listings FROM directory_listing_facets lf";
        const GROUP: &str = " GROUP BY lf.facet, lf.value_key";
        let not_published: Vec<&str> = ListingStatus::ALL
            .iter()
            .filter(|s| **s != ListingStatus::Published)
            .map(|s| s.as_str())
            .collect();
        let mut q = Sql::new(COUNT);
        q.push(GROUP);
        let all: Vec<FacetRow> = self.db.read().all(&q).await?;
        // Not public: not published; published but hidden; published and shown, but of an
        // archived partner (the complement of PUBLIC, in parts an index can find).
        let mut q = Sql::new(COUNT);
        q.push(" WHERE lf.listing_id IN (SELECT l.id FROM directory_listings l WHERE l.status IN ")
            .bind_in(not_published.iter().copied())
            .push(" UNION SELECT l.id FROM directory_listings l WHERE l.status = 'published' AND l.hidden_at IS NOT NULL UNION SELECT l.id FROM directory_listings l WHERE l.partner_id IN (SELECT p.id FROM partners p WHERE p.archived_at IS NOT NULL))")
            .push(GROUP);
        let hidden: HashMap<(String, String), i64> = self
            .db
            .read()
            .all::<FacetRow>(&q)
            .await?
            .into_iter()
            .map(|r| ((r.facet, r.value_key), r.listings))
            .collect();
        let mut out: Vec<FacetCount> = all
            .into_iter()
            .filter_map(|r| {
                let listings = r.listings
                    - hidden
                        .get(&(r.facet.clone(), r.value_key.clone()))
                        .copied()
                        .unwrap_or(0);
                (listings > 0).then_some(FacetCount {
                    facet: r.facet,
                    key: r.value_key,
                    label: r.label,
                    listings,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (a.facet.as_str(), -a.listings, a.key.as_str()).cmp(&(
                b.facet.as_str(),
                -b.listings,
                b.key.as_str(),
            ))
        });
        Ok(out)
    }
}
