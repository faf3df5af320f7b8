//! Collections the vendor curates and recommendations beside a listing
//! (`core::directory::curation` has the rules). A collection's public listings are read
//! through the same public condition as the search, so a hidden or unpublished listing
//! drops out of every collection without the collection changing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::directory::curation::{
    self, CoUsed, CollectionFields, CollectionInput, DirectoryCollection, DirectoryRecommendation,
};
use partnerops_core::directory::{facet_key, quality, slugify};
use partnerops_core::ids::{DirectoryCollectionId, DirectoryListingId, EntityId};
use partnerops_core::scope::{Action, Scope};

use super::{CandidateRow, Parsed, candidate_select, candidates_from};
use crate::db::{Exec, Sql, Tx, row};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

row! {
    struct CollectionRow {
        id: String,
        slug: String,
        title: String,
        description: String,
        position: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        archived_at: Option<DateTime<Utc>>,
    }
}

row! {
    struct ItemRow {
        collection_id: String,
        listing_id: String,
    }
}

row! {
    struct SharedRow {
        listing_id: String,
        shared: i64,
    }
}

const COLLECTION_SELECT: &str = "SELECT c.id, c.slug, c.title, c.description, c.position, c.created_at, c.updated_at, c.archived_at FROM directory_collections c WHERE 1 = 1";

/// The listing ids of `collections`, in each one's order.
async fn items_of(x: &mut impl Exec, collections: &[&str]) -> Result<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if collections.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new(
        "SELECT collection_id, listing_id FROM directory_collection_listings WHERE collection_id IN ",
    );
    q.bind_in(collections.iter().copied())
        .push(" ORDER BY collection_id, position");
    for r in x.all::<ItemRow>(&q).await? {
        out.entry(r.collection_id).or_default().push(r.listing_id);
    }
    Ok(out)
}

/// The public listings among `ids`, as results, keyed by listing id.
async fn public_hits(
    x: &mut impl Exec,
    now: DateTime<Utc>,
    ids: &[&str],
) -> Result<HashMap<String, Parsed>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = candidate_select(now);
    q.push(" AND l.id IN ").bind_in(ids.iter().copied());
    let rows: Vec<CandidateRow> = x.all(&q).await?;
    Ok(candidates_from(rows, now)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect())
}

/// Collections with their listings: every id for vendor staff (`staff`), the public ones
/// as results for everyone.
async fn assemble(
    x: &mut impl Exec,
    now: DateTime<Utc>,
    rows: Vec<CollectionRow>,
    staff: bool,
) -> Result<Vec<DirectoryCollection>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let items = items_of(x, &ids).await?;
    let all: Vec<&str> = items.values().flatten().map(String::as_str).collect();
    let hits = public_hits(x, now, &all).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let listing_ids = items.get(&r.id).cloned().unwrap_or_default();
            let listings = listing_ids
                .iter()
                .filter_map(|id| hits.get(id).map(|p| p.hit.clone()))
                .collect();
            DirectoryCollection {
                id: DirectoryCollectionId::from_trusted(r.id),
                slug: r.slug,
                title: r.title,
                description: r.description,
                position: r.position,
                listing_ids: if staff {
                    listing_ids
                        .into_iter()
                        .map(DirectoryListingId::from_trusted)
                        .collect()
                } else {
                    Vec::new()
                },
                listings,
                created_at: r.created_at,
                updated_at: r.updated_at,
                archived_at: r.archived_at,
            }
        })
        .collect())
}

fn fields_of(c: &DirectoryCollection) -> CollectionFields {
    CollectionFields {
        title: c.title.clone(),
        description: c.description.clone(),
        position: c.position,
        listing_ids: c.listing_ids.clone(),
    }
}

/// Refuses listing ids that name no listing (a removed listing cannot be collected),
/// naming the entry.
async fn check_listings(x: &mut impl Exec, ids: &[DirectoryListingId]) -> Result<()> {
    let q = Sql::new("SELECT id FROM directory_listings WHERE removed_at IS NULL AND id IN ");
    super::ids_found(
        x,
        q,
        "listing_ids",
        ids,
        "names no listing (or one a moderator removed)",
    )
    .await
}

async fn write_items(tx: &mut Tx, id: &str, listings: &[DirectoryListingId]) -> Result<()> {
    let mut q = Sql::new("DELETE FROM directory_collection_listings WHERE collection_id = ");
    q.bind(id);
    tx.execute(&q).await?;
    let rows: Vec<Vec<crate::db::Arg>> = listings
        .iter()
        .enumerate()
        .map(|(i, l)| vec![id.into(), l.as_str().into(), (i as i64).into()])
        .collect();
    if !rows.is_empty() {
        tx.insert_rows(
            "directory_collection_listings",
            &["collection_id", "listing_id", "position"],
            &rows,
        )
        .await?;
    }
    Ok(())
}

impl Store {
    /// Live collections in their order on the home page; with `archived`, the archived ones
    /// too (vendor staff). Staff see every listing id of each; everyone sees its public
    /// listings.
    pub async fn directory_collections(
        &self,
        scope: &Scope,
        archived: bool,
    ) -> Result<Vec<DirectoryCollection>> {
        self.collections(*scope == Scope::Vendor, archived).await
    }

    /// Live collections as the public pages show them (their public listings only).
    pub async fn public_collections(&self) -> Result<Vec<DirectoryCollection>> {
        self.collections(false, false).await
    }

    async fn collections(&self, staff: bool, archived: bool) -> Result<Vec<DirectoryCollection>> {
        let mut q = Sql::new(COLLECTION_SELECT);
        if !(archived && staff) {
            q.push(" AND c.archived_at IS NULL");
        }
        q.push(" ORDER BY c.position, c.title, c.id");
        let mut x = self.db.read();
        let rows = x.all::<CollectionRow>(&q).await?;
        assemble(&mut x, self.now(), rows, staff).await
    }

    /// A collection by id. Everyone but staff sees only live ones.
    pub async fn directory_collection(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<DirectoryCollection> {
        collection_in(&mut self.db.read(), self.now(), scope, id).await
    }

    /// A live collection by its slug, as the public page shows it.
    pub async fn public_collection(&self, slug: &str) -> Result<DirectoryCollection> {
        let not_found = StoreError::NotFound(EntityKind::DirectoryCollection);
        if slug.is_empty() || slug.len() > 80 {
            return Err(not_found);
        }
        let mut q = Sql::new(COLLECTION_SELECT);
        q.push(" AND c.archived_at IS NULL AND c.slug = ")
            .bind(slug);
        let mut x = self.db.read();
        let row = x.optional::<CollectionRow>(&q).await?.ok_or(not_found)?;
        Ok(assemble(&mut x, self.now(), vec![row], false)
            .await?
            .remove(0))
    }

    /// A new collection (moderators curate: administrators, channel managers, marketing).
    #[tracing::instrument(skip_all)]
    pub async fn create_directory_collection(
        &self,
        actor: &Actor,
        input: &CollectionInput,
    ) -> Result<DirectoryCollection> {
        actor.authorize(&Action::ModerateDirectory)?;
        let f = input.parse(None)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        check_listings(&mut tx, &f.listing_ids).await?;
        let id: DirectoryCollectionId = new_id();
        let suffix = &id.as_str()[id.as_str().len() - 6..];
        let mut q = Sql::new(
            "INSERT INTO directory_collections (id, slug, title, description, position, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(format!("{}-{suffix}", slugify(&f.title)))
            .push(", ")
            .bind(f.title.as_str())
            .push(", ")
            .bind(f.description.as_str())
            .push(", ")
            .bind(f.position)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        write_items(&mut tx, id.as_str(), &f.listing_ids).await?;
        let after = collection_in(&mut tx, now, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryCollection,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Changes a collection: what is sent replaces what was (`listing_ids` the whole list,
    /// in order). Its slug stays, so links keep working.
    #[tracing::instrument(skip_all, fields(collection_id = %id))]
    pub async fn update_directory_collection(
        &self,
        actor: &Actor,
        id: &str,
        input: &CollectionInput,
    ) -> Result<DirectoryCollection> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = collection_in(&mut tx, now, &actor.scope(), id).await?;
        actor.authorize(&Action::ModerateDirectory)?;
        let f = input.parse(Some(&fields_of(&before)))?;
        check_listings(&mut tx, &f.listing_ids).await?;
        let mut q = Sql::new("UPDATE directory_collections SET title = ");
        q.bind(f.title.as_str())
            .push(", description = ")
            .bind(f.description.as_str())
            .push(", position = ")
            .bind(f.position)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        if f.listing_ids != before.listing_ids {
            write_items(&mut tx, id, &f.listing_ids).await?;
        }
        let after = collection_in(&mut tx, now, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryCollection,
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

    /// Archives a collection (off the public pages; kept with its trail) or restores it.
    #[tracing::instrument(skip_all, fields(collection_id = %id))]
    pub async fn archive_directory_collection(
        &self,
        actor: &Actor,
        id: &str,
        archive: bool,
    ) -> Result<DirectoryCollection> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = collection_in(&mut tx, now, &actor.scope(), id).await?;
        actor.authorize(&Action::ModerateDirectory)?;
        if before.archived_at.is_some() == archive {
            return Err(StoreError::conflict(
                "archived_at",
                if archive {
                    "collection.archived"
                } else {
                    "collection.live"
                },
                if archive {
                    "the collection is already archived"
                } else {
                    "the collection is not archived"
                },
            ));
        }
        let mut q = Sql::new("UPDATE directory_collections SET archived_at = ");
        q.bind(archive.then_some(now))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = collection_in(&mut tx, now, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryCollection,
            id,
            if archive {
                AuditAction::Archived
            } else {
                AuditAction::Restored
            },
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// "Customers who use this also use": public listings reviewed by customers who also
    /// reviewed `listing` (visible reviews of both), optionally only those serving
    /// `industry` (a facet key or label). Ranked by `core::directory::curation::recommend`.
    pub async fn directory_recommendations(
        &self,
        listing: &DirectoryListingId,
        listing_title: &str,
        industry: Option<&str>,
    ) -> Result<Vec<DirectoryRecommendation>> {
        let industry_key = industry.map(facet_key).filter(|k| !k.is_empty());
        let mut q = Sql::new(
            "SELECT r2.listing_id, CAST(COUNT(DISTINCT r2.author_key) AS BIGINT) AS shared FROM directory_reviews r1 JOIN directory_reviews r2 ON r2.author_key = r1.author_key AND r2.state = 'visible' AND r2.author_kind = 'customer' AND r2.listing_id <> r1.listing_id WHERE r1.state = 'visible' AND r1.author_kind = 'customer' AND r1.listing_id = ",
        );
        q.bind(listing.as_str());
        if let Some(k) = &industry_key {
            q.push(" AND r2.listing_id IN (SELECT lf.listing_id FROM directory_listing_facets lf WHERE lf.facet = 'industry' AND lf.value_key = ")
                .bind(k.as_str())
                .push(")");
        }
        // The most shared first; the ranking needs no more than a page of them.
        q.push(" GROUP BY r2.listing_id ORDER BY shared DESC, r2.listing_id LIMIT 50");
        let mut x = self.db.read();
        let shared: Vec<SharedRow> = x.all(&q).await?;
        let ids: Vec<&str> = shared.iter().map(|r| r.listing_id.as_str()).collect();
        let hits = public_hits(&mut x, self.now(), &ids).await?;
        let found: Vec<(&Parsed, i64)> = shared
            .iter()
            .filter_map(|r| hits.get(&r.listing_id).map(|p| (p, r.shared)))
            .collect();
        let co: Vec<CoUsed> = found
            .iter()
            .map(|(p, n)| CoUsed {
                shared_customers: *n,
                quality: quality(&p.candidate),
                title: p.hit.title.clone(),
            })
            .collect();
        // The label as the listing spells it, for the sentence.
        let label = industry.map(str::trim).filter(|s| !s.is_empty());
        Ok(curation::recommend(&co)
            .into_iter()
            .map(|i| {
                let (p, n) = found[i];
                DirectoryRecommendation {
                    listing: p.hit.clone(),
                    shared_customers: n,
                    reason: curation::reason(n, listing_title, label),
                }
            })
            .collect())
    }
}

async fn collection_in(
    x: &mut impl Exec,
    now: DateTime<Utc>,
    scope: &Scope,
    id: &str,
) -> Result<DirectoryCollection> {
    let not_found = StoreError::NotFound(EntityKind::DirectoryCollection);
    if DirectoryCollectionId::parse(id).is_none() {
        return Err(not_found);
    }
    let staff = *scope == Scope::Vendor;
    let mut q = Sql::new(COLLECTION_SELECT);
    q.push(" AND c.id = ").bind(id);
    if !staff {
        q.push(" AND c.archived_at IS NULL");
    }
    let row = x.optional::<CollectionRow>(&q).await?.ok_or(not_found)?;
    Ok(assemble(x, now, vec![row], staff).await?.remove(0))
}

row! {
    struct SlugIdRow {
        id: String,
        slug: String,
    }
}

impl Store {
    /// The (id, slug) pairs of the listings named by id or slug among `keys` (vendor
    /// staff: what a curator types into a collection's form, and shows back).
    pub async fn directory_listing_slugs(
        &self,
        scope: &Scope,
        keys: &[&str],
    ) -> Result<Vec<(String, String)>> {
        if *scope != Scope::Vendor || keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new("SELECT id, slug FROM directory_listings WHERE id IN ");
        q.bind_in(keys.iter().copied())
            .push(" OR slug IN ")
            .bind_in(keys.iter().copied());
        Ok(self
            .db
            .read()
            .all::<SlugIdRow>(&q)
            .await?
            .into_iter()
            .map(|r| (r.id, r.slug))
            .collect())
    }
}
