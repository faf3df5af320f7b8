//! Bulk loading of partners, accounts and deal registrations, for a database at a large
//! vendor's size (the scale benchmark seeds a million of each through it); and of published
//! directory listings with their facets and reviews (the directory benchmark seeds 10,000
//! listings and 100,000 reviews through it).
//!
//! The normal write paths take one transaction per record (rules, audit event, outbox event,
//! decision); a million registrations that way take hours. Here each call writes a batch in
//! one transaction with [`Tx::insert_rows`], row for row what the normal path leaves behind:
//! accounts with their matching keys ([`crate::account::name_keys`]); registrations with the
//! status, expiry and follow-up dates the policy in force gives, the approval decision
//! ([`rules::approve`]) and the closing decision where they ended; their follow-up
//! activities, counted in the joint business plans' kept sums by [`Store::bulk_finish`].
//! Left out, as an import leaves them out: one audit event per record, outbox events (no
//! webhook should fire for history), and the opportunity an approval opens.
//!
//! Listings are written published, row for row what creating, submitting (to an open
//! directory) and verifying leave: the search text and facet rows the normal path derives
//! from the fields (`directory::search_text`, `core::directory::facet_key`), the open
//! directory's publication reason; the full-text index follows by itself (SQLite's triggers,
//! PostgreSQL's expression index). Reviews are customers' (`email:` author keys), visible or
//! hidden by a moderator with a reason.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use partnerops_core::directory::record::ListingFields;
use partnerops_core::directory::{DirectoryMode, ListingStatus, facet_key};
use partnerops_core::ids::{
    AccountId, DecisionId, DirectoryListingId, DirectoryReviewId, EntityId, PartnerId,
    RegistrationId,
};
use partnerops_core::registration::{RegistrationStatus, rules};
use partnerops_core::scope::Scope;

use crate::account::ACCOUNT_COLUMNS;
use crate::db::{Arg, Exec, Sql, row};
use crate::decision::DECISION_COLUMNS;
use crate::{Actor, Result, Store, new_id};

/// A program the bulk rows can join: its tiers (entry tier first), the partner types its
/// partners have, and the registration rules in force.
#[derive(Clone, Debug)]
pub struct BulkProgram {
    pub id: String,
    pub currency: String,
    pub tier_ids: Vec<String>,
    pub partner_types: Vec<String>,
    /// Its active partners.
    pub partner_ids: Vec<String>,
    pub policy_version: i64,
    pub validity_days: i64,
    pub sla_days: i64,
}

/// A partner to write (status active; no users: the program's own partners have them).
#[derive(Clone, Debug)]
pub struct BulkPartner {
    pub name: String,
    pub web_domain: String,
    pub partner_type: String,
    pub program_id: String,
    pub tier_id: String,
    pub country: String,
    pub joined_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// An end-customer account to write (with a domain, so it has no exact-name key).
#[derive(Clone, Debug)]
pub struct BulkAccount {
    pub name: String,
    pub web_domain: String,
    pub country: String,
    pub industry: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// How a bulk registration ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkOutcome {
    Pending,
    Approved,
    Won,
    Lost,
    Expired,
}

/// A deal registration to write, submitted at `submitted_at` and (unless pending) approved
/// `approval_delay` later, with follow-up activities (kind, when) after the approval.
#[derive(Clone, Debug)]
pub struct BulkRegistration {
    pub program: usize,
    pub partner_id: String,
    pub account_id: String,
    pub title: String,
    pub est_arr_minor: i64,
    pub submitted_at: DateTime<Utc>,
    pub approval_delay: Duration,
    pub outcome: BulkOutcome,
    /// When a won or lost registration closed.
    pub closed_at: Option<DateTime<Utc>>,
    pub activities: Vec<(&'static str, DateTime<Utc>)>,
}

const PARTNER_COLUMNS: &[&str] = &[
    "id",
    "name",
    "web_domain",
    "partner_type",
    "program_id",
    "tier_id",
    "status",
    "country",
    "regions",
    "verticals",
    "joined_on",
    "created_at",
    "updated_at",
];

const REGISTRATION_COLUMNS: &[&str] = &[
    "id",
    "program_id",
    "partner_id",
    "account_id",
    "status",
    "title",
    "est_arr_minor",
    "currency",
    "submitted_at",
    "approved_at",
    "expires_at",
    "renewals",
    "last_activity_at",
    "sla_due_at",
    "sla_missed_at",
    "closed_at",
    "policy_version",
    "created_at",
    "updated_at",
];

/// A live active partner a bulk listing can belong to.
#[derive(Clone, Debug)]
pub struct BulkListingPartner {
    pub id: String,
    pub name: String,
    pub partner_type: String,
    pub country: String,
}

/// A published listing to write: its fields (parsed as the normal path parses them), the
/// vendor's verification, its views and when it was published.
#[derive(Clone, Debug)]
pub struct BulkListing {
    pub partner_id: String,
    pub fields: ListingFields,
    pub verified_at: Option<DateTime<Utc>>,
    pub views: i64,
    pub published_at: DateTime<Utc>,
}

/// A customer's review of a listing (visible, or hidden by a moderator for `hidden`'s
/// reason), optionally answered by the partner.
#[derive(Clone, Debug)]
pub struct BulkReview {
    pub listing_id: String,
    pub partner_id: String,
    pub email: String,
    pub author_name: String,
    pub rating: i64,
    pub body: String,
    pub hidden: Option<String>,
    pub answer: Option<String>,
    pub created_at: DateTime<Utc>,
}

const LISTING_COLUMNS: &[&str] = &[
    "id",
    "partner_id",
    "kind",
    "status",
    "slug",
    "title",
    "summary",
    "description",
    "categories",
    "regions",
    "industries",
    "languages",
    "website",
    "search_text",
    "verified_at",
    "views",
    "status_reason",
    "published_at",
    "created_at",
    "updated_at",
];

const FACET_COLUMNS: &[&str] = &["listing_id", "facet", "value_key", "label"];

const REVIEW_COLUMNS: &[&str] = &[
    "id",
    "listing_id",
    "partner_id",
    "author_kind",
    "author_key",
    "author_name",
    "rating",
    "body",
    "state",
    "state_reason",
    "answer",
    "answered_at",
    "created_at",
    "updated_at",
];

const ACTIVITY_COLUMNS: &[&str] = &["id", "registration_id", "kind", "occurred_at", "created_at"];

impl Store {
    /// The live programs bulk rows can join (see [`BulkProgram`]), by name.
    pub async fn bulk_programs(&self) -> Result<Vec<BulkProgram>> {
        row! {
            struct ProgramRow { id: String, currency: String }
        }
        row! {
            struct IdRow { id: String }
        }
        let mut read = self.db.read();
        let programs: Vec<ProgramRow> = read
            .all(&Sql::new(
                "SELECT id, currency FROM programs WHERE archived_at IS NULL ORDER BY name, id",
            ))
            .await?;
        let mut out = Vec::with_capacity(programs.len());
        for p in programs {
            let tiers: Vec<IdRow> = read
                .all(
                    Sql::new("SELECT id FROM tiers WHERE archived_at IS NULL AND program_id = ")
                        .bind(p.id.as_str())
                        .push(" ORDER BY rank, id"),
                )
                .await?;
            let types: Vec<IdRow> = read
                .all(
                    Sql::new(
                        "SELECT DISTINCT partner_type AS id FROM partners WHERE program_id = ",
                    )
                    .bind(p.id.as_str())
                    .push(" ORDER BY partner_type"),
                )
                .await?;
            if tiers.is_empty() || types.is_empty() {
                continue;
            }
            let active: Vec<IdRow> = read
                .all(
                    Sql::new("SELECT id FROM partners WHERE status = 'active' AND archived_at IS NULL AND program_id = ")
                        .bind(p.id.as_str())
                        .push(" ORDER BY name, id"),
                )
                .await?;
            let policy = self.registration_policy(&Scope::Vendor, &p.id).await?;
            out.push(BulkProgram {
                id: p.id,
                currency: p.currency,
                tier_ids: tiers.into_iter().map(|t| t.id).collect(),
                partner_types: types.into_iter().map(|t| t.id).collect(),
                partner_ids: active.into_iter().map(|t| t.id).collect(),
                policy_version: policy.version,
                validity_days: policy.validity_days,
                sla_days: policy.sla_days,
            });
        }
        Ok(out)
    }

    /// Writes `rows` as active partners in one transaction; answers their ids in order.
    pub async fn bulk_partners(&self, rows: &[BulkPartner]) -> Result<Vec<PartnerId>> {
        let ids: Vec<PartnerId> = rows.iter().map(|_| new_id()).collect();
        let values: Vec<Vec<Arg>> = rows
            .iter()
            .zip(&ids)
            .map(|(p, id)| {
                vec![
                    id.as_str().into(),
                    p.name.as_str().into(),
                    p.web_domain.as_str().into(),
                    p.partner_type.as_str().into(),
                    p.program_id.as_str().into(),
                    p.tier_id.as_str().into(),
                    "active".into(),
                    p.country.as_str().into(),
                    "[]".into(),
                    "[]".into(),
                    p.joined_on.into(),
                    p.created_at.into(),
                    p.created_at.into(),
                ]
            })
            .collect();
        let mut tx = self.db.begin_write().await?;
        tx.insert_rows("partners", PARTNER_COLUMNS, &values).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Writes `rows` as accounts in one transaction, with the matching keys the normal path
    /// writes; answers their ids in order.
    pub async fn bulk_accounts(&self, rows: &[BulkAccount]) -> Result<Vec<AccountId>> {
        let ids: Vec<AccountId> = rows.iter().map(|_| new_id()).collect();
        let values: Vec<Vec<Arg>> = rows
            .iter()
            .zip(&ids)
            .map(|(a, id)| {
                let (key, block) = crate::account::name_keys(&a.name);
                vec![
                    id.as_str().into(),
                    a.name.as_str().into(),
                    a.web_domain.as_str().into(),
                    a.country.as_str().into(),
                    a.industry.as_str().into(),
                    a.status.as_str().into(),
                    key.into(),
                    block.into(),
                    a.created_at.into(),
                    a.created_at.into(),
                ]
            })
            .collect();
        let mut tx = self.db.begin_write().await?;
        tx.insert_rows("accounts", ACCOUNT_COLUMNS, &values).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Writes `rows` as registrations of `programs` (by index), with their decisions and
    /// activities, in one transaction. At most one pending or approved registration per
    /// account, as the normal path keeps it: a second one fails the batch on the unique
    /// index.
    pub async fn bulk_registrations(
        &self,
        programs: &[BulkProgram],
        rows: &[BulkRegistration],
    ) -> Result<usize> {
        let actor = Actor::system("seed").audit_name();
        let now = self.now();
        let mut regs = Vec::with_capacity(rows.len());
        let mut decisions = Vec::with_capacity(rows.len() * 2);
        let mut activities = Vec::new();
        for r in rows {
            let Some(p) = programs.get(r.program) else {
                return Err(crate::StoreError::Corrupt(format!(
                    "bulk registration of program #{} of {}",
                    r.program,
                    programs.len()
                )));
            };
            let id: RegistrationId = new_id();
            let policy = partnerops_core::registration::policy::RegistrationPolicy {
                version: p.policy_version,
                validity_days: p.validity_days,
                sla_days: p.sla_days,
                ..Default::default()
            };
            let decided = |d: partnerops_core::registration::Decision, at: DateTime<Utc>| {
                let decision_id: DecisionId = new_id();
                vec![
                    Arg::from(decision_id.as_str()),
                    at.into(),
                    "registration".into(),
                    id.as_str().into(),
                    r.partner_id.as_str().into(),
                    d.rule.as_str().into(),
                    d.outcome.as_str().into(),
                    d.reason.as_str().into(),
                    d.policy_version.into(),
                    serde_json::json!([id.as_str(), r.account_id.as_str()])
                        .to_string()
                        .into(),
                    actor.as_str().into(),
                ]
            };
            let (status, approved_at, expires_at) = if r.outcome == BulkOutcome::Pending {
                ("pending", None, None)
            } else {
                let at = r.submitted_at + r.approval_delay;
                let (expires_at, decision) = rules::approve(at, &policy, "reviewed");
                decisions.push(decided(decision, at));
                let status = match r.outcome {
                    BulkOutcome::Won => "won",
                    BulkOutcome::Lost => "lost",
                    BulkOutcome::Expired => {
                        let facts = rules::Facts {
                            status: RegistrationStatus::Approved,
                            approved_at: Some(at),
                            expires_at: Some(expires_at),
                            renewals: 0,
                            last_activity_at: None,
                            sla_missed_at: None,
                        };
                        if let Some(d) = rules::check_expiry(&facts, expires_at, &policy) {
                            decisions.push(decided(d, expires_at));
                        }
                        "expired"
                    }
                    _ => "approved",
                };
                (status, Some(at), Some(expires_at))
            };
            let mut last_activity = None;
            for (kind, at) in &r.activities {
                let activity_id: partnerops_core::ids::ActivityId = new_id();
                activities.push(vec![
                    Arg::from(activity_id.as_str()),
                    id.as_str().into(),
                    (*kind).into(),
                    (*at).into(),
                    (*at).into(),
                ]);
                last_activity = last_activity.max(Some(*at));
            }
            // The follow-up SLA of a live registration, marked missed (with its decision)
            // where the hourly sweep would have marked it by now.
            let (mut sla_due_at, mut sla_missed_at) = (None, None);
            if status == "approved" {
                let facts = rules::Facts {
                    status: RegistrationStatus::Approved,
                    approved_at,
                    expires_at,
                    renewals: 0,
                    last_activity_at: last_activity,
                    sla_missed_at: None,
                };
                sla_due_at = rules::sla_due(&facts, &policy);
                if let Some(due) = sla_due_at.filter(|due| *due < now) {
                    let at = due + Duration::seconds(1);
                    if let Some(d) = rules::check_sla(&facts, at, &policy) {
                        decisions.push(decided(d, at));
                        sla_missed_at = Some(at);
                    }
                }
            }
            let updated_at = r.closed_at.or(expires_at.filter(|_| status == "expired"));
            regs.push(vec![
                id.as_str().into(),
                p.id.as_str().into(),
                r.partner_id.as_str().into(),
                r.account_id.as_str().into(),
                status.into(),
                r.title.as_str().into(),
                r.est_arr_minor.into(),
                p.currency.as_str().into(),
                r.submitted_at.into(),
                approved_at.into(),
                expires_at.into(),
                0i64.into(),
                last_activity.into(),
                sla_due_at.into(),
                sla_missed_at.into(),
                r.closed_at.into(),
                p.policy_version.into(),
                r.submitted_at.into(),
                sla_missed_at
                    .or(updated_at)
                    .or(approved_at)
                    .unwrap_or(r.submitted_at)
                    .min(now)
                    .into(),
            ]);
        }
        let mut tx = self.db.begin_write().await?;
        tx.insert_rows("registrations", REGISTRATION_COLUMNS, &regs)
            .await?;
        tx.insert_rows("registration_activities", ACTIVITY_COLUMNS, &activities)
            .await?;
        tx.insert_rows("decisions", DECISION_COLUMNS, &decisions)
            .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// The live active partners bulk listings can belong to, by name.
    pub async fn bulk_listing_partners(&self) -> Result<Vec<BulkListingPartner>> {
        row! {
            struct PartnerRow { id: String, name: String, partner_type: String, country: String }
        }
        let rows: Vec<PartnerRow> = self
            .db
            .read()
            .all(&Sql::new(
                "SELECT id, name, partner_type, country FROM partners WHERE status = 'active' AND archived_at IS NULL ORDER BY name, id",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| BulkListingPartner {
                id: r.id,
                name: r.name,
                partner_type: r.partner_type,
                country: r.country,
            })
            .collect())
    }

    /// Writes `rows` as published listings with their facet rows, in one transaction;
    /// answers their ids in order.
    pub async fn bulk_listings(&self, rows: &[BulkListing]) -> Result<Vec<DirectoryListingId>> {
        // What submitting a draft to an open directory decides.
        let published =
            partnerops_core::directory::submit(DirectoryMode::Open, ListingStatus::Draft, false)
                .map(|d| d.reason)
                .unwrap_or_default();
        let ids: Vec<DirectoryListingId> = rows.iter().map(|_| new_id()).collect();
        let mut listings = Vec::with_capacity(rows.len());
        let mut facets = Vec::new();
        for (l, id) in rows.iter().zip(&ids) {
            let f = &l.fields;
            let suffix = &id.as_str()[id.as_str().len() - 6..];
            let slug = format!("{}-{suffix}", partnerops_core::directory::slugify(&f.title));
            let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
            listings.push(vec![
                id.as_str().into(),
                l.partner_id.as_str().into(),
                f.kind.as_str().into(),
                ListingStatus::Published.as_str().into(),
                slug.into(),
                f.title.as_str().into(),
                f.summary.as_str().into(),
                f.description.as_str().into(),
                json(&f.categories).into(),
                json(&f.regions).into(),
                json(&f.industries).into(),
                json(&f.languages).into(),
                f.website.clone().into(),
                crate::directory::search_text(f).into(),
                l.verified_at.into(),
                l.views.into(),
                published.as_str().into(),
                l.published_at.into(),
                l.published_at.into(),
                l.verified_at
                    .unwrap_or(l.published_at)
                    .max(l.published_at)
                    .into(),
            ]);
            let lists: [(&str, &Vec<String>); 4] = [
                ("category", &f.categories),
                ("region", &f.regions),
                ("industry", &f.industries),
                ("language", &f.languages),
            ];
            for (facet, values) in lists {
                let mut seen: Vec<String> = Vec::new();
                for label in values {
                    let key = facet_key(label);
                    if seen.contains(&key) {
                        continue;
                    }
                    facets.push(vec![
                        Arg::from(id.as_str()),
                        facet.into(),
                        key.as_str().into(),
                        label.as_str().into(),
                    ]);
                    seen.push(key);
                }
            }
        }
        let mut tx = self.db.begin_write().await?;
        tx.insert_rows("directory_listings", LISTING_COLUMNS, &listings)
            .await?;
        tx.insert_rows("directory_listing_facets", FACET_COLUMNS, &facets)
            .await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Writes `rows` as customers' reviews in one transaction (one per e-mail and listing,
    /// as the normal path keeps it: a second one fails the batch on the unique index).
    pub async fn bulk_reviews(&self, rows: &[BulkReview]) -> Result<usize> {
        let values: Vec<Vec<Arg>> = rows
            .iter()
            .map(|r| {
                let id: DirectoryReviewId = new_id();
                let answered_at = r.answer.as_ref().map(|_| r.created_at + Duration::days(2));
                vec![
                    id.as_str().into(),
                    r.listing_id.as_str().into(),
                    r.partner_id.as_str().into(),
                    "customer".into(),
                    format!("email:{}", r.email).into(),
                    r.author_name.as_str().into(),
                    r.rating.into(),
                    r.body.as_str().into(),
                    if r.hidden.is_some() {
                        "hidden"
                    } else {
                        "visible"
                    }
                    .into(),
                    r.hidden.clone().into(),
                    r.answer.clone().into(),
                    answered_at.into(),
                    r.created_at.into(),
                    answered_at.unwrap_or(r.created_at).into(),
                ]
            })
            .collect();
        let mut tx = self.db.begin_write().await?;
        tx.insert_rows("directory_reviews", REVIEW_COLUMNS, &values)
            .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Brings what the bulk rows change but the normal path keeps as it writes up to date:
    /// the joint business plans' kept sums (rebuilt from the rows). PostgreSQL's planner
    /// statistics follow by themselves (autovacuum); SQLite keeps none unless asked, and a
    /// deployed database has none, so none are made here either.
    pub async fn bulk_finish(&self) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        crate::business_plan::facts::rebuild_plan_sums(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
