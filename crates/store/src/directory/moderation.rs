//! Moderation after publication: reports (by anyone, rate-limited per client address), the
//! queue moderators work through, their decisions (hide, restore, remove, with a reason),
//! and the owner's appeal. The rules are `core::directory::moderation`'s.
//!
//! The queue is the moderators' alone (partners never read it, whoever's listing it is
//! about); the decisions are shown to the listing's owner, and each is audited on the
//! listing (so its audit trail tells the whole story) and sent to the outbox as
//! `directory.moderated` for the owner's webhooks.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::directory::moderation::{
    self, AppealInput, DirectoryDecision, DirectoryReport, ModerateInput, ModerationAction,
    ModerationState, REPORTS_PER_ADDRESS, ReportInput, ReportSource, ReportStatus, ReportTarget,
};
use partnerops_core::ids::{
    DirectoryDecisionId, DirectoryListingId, DirectoryReportId, DirectoryReviewId, EntityId,
    PartnerId,
};
use partnerops_core::scope::{Action, Scope};

use super::corrupt;
use super::review::review_in;
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope};

/// A report to insert.
pub(crate) struct NewReport<'a> {
    pub listing: &'a DirectoryListingId,
    pub partner: &'a PartnerId,
    pub review: Option<&'a DirectoryReviewId>,
    pub source: ReportSource,
    pub reason: &'a str,
    pub detail: Option<&'a str>,
    pub client_key: Option<&'a str>,
}

/// Puts an item in the moderation queue.
pub(crate) async fn insert_report(
    tx: &mut Tx,
    now: DateTime<Utc>,
    r: NewReport<'_>,
) -> Result<DirectoryReportId> {
    let id: DirectoryReportId = new_id();
    let target = if r.review.is_some() {
        ReportTarget::Review
    } else {
        ReportTarget::Listing
    };
    let mut q = Sql::new(
        "INSERT INTO directory_reports (id, listing_id, partner_id, review_id, target, source, reason, detail, client_key, status, created_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(r.listing.as_str())
        .push(", ")
        .bind(r.partner.as_str())
        .push(", ")
        .bind(r.review.map(|v| v.as_str()))
        .push(", ")
        .bind(target.as_str())
        .push(", ")
        .bind(r.source.as_str())
        .push(", ")
        .bind(r.reason)
        .push(", ")
        .bind(r.detail)
        .push(", ")
        .bind(r.client_key)
        .push(", 'open', ")
        .bind(now)
        .push(")");
    tx.execute(&q).await?;
    Ok(id)
}

row! {
    struct ReportRow {
        id: String,
        listing_id: String,
        listing_title: String,
        listing_slug: String,
        partner_id: String,
        partner_name: String,
        review_id: Option<String>,
        target: String,
        source: String,
        reason: String,
        detail: Option<String>,
        listing_hidden: Option<DateTime<Utc>>,
        listing_removed: Option<DateTime<Utc>>,
        review_state: Option<String>,
        status: String,
        created_at: DateTime<Utc>,
        closed_at: Option<DateTime<Utc>>,
    }
}

const REPORT_SELECT: &str = "SELECT rp.id, rp.listing_id, l.title AS listing_title, l.slug AS listing_slug, rp.partner_id, p.name AS partner_name, rp.review_id, rp.target, rp.source, rp.reason, rp.detail, l.hidden_at AS listing_hidden, l.removed_at AS listing_removed, r.state AS review_state, rp.status, rp.created_at, rp.closed_at FROM directory_reports rp JOIN directory_listings l ON l.id = rp.listing_id JOIN partners p ON p.id = rp.partner_id LEFT JOIN directory_reviews r ON r.id = rp.review_id WHERE 1 = 1";

/// A listing's moderation state from its columns.
pub(crate) fn listing_state(
    hidden: Option<DateTime<Utc>>,
    removed: Option<DateTime<Utc>>,
) -> ModerationState {
    match (hidden, removed) {
        (_, Some(_)) => ModerationState::Removed,
        (Some(_), None) => ModerationState::Hidden,
        (None, None) => ModerationState::Visible,
    }
}

fn report_from(r: ReportRow) -> Result<DirectoryReport> {
    let state = match &r.review_state {
        Some(s) => ModerationState::parse("state", s).map_err(corrupt)?,
        None => listing_state(r.listing_hidden, r.listing_removed),
    };
    Ok(DirectoryReport {
        id: DirectoryReportId::from_trusted(r.id),
        listing_id: DirectoryListingId::from_trusted(r.listing_id),
        listing_title: r.listing_title,
        listing_slug: r.listing_slug,
        partner_id: PartnerId::from_trusted(r.partner_id),
        partner_name: r.partner_name,
        review_id: r.review_id.map(DirectoryReviewId::from_trusted),
        target: ReportTarget::parse("target", &r.target).map_err(corrupt)?,
        source: ReportSource::parse("source", &r.source).map_err(corrupt)?,
        reason: r.reason,
        detail: r.detail,
        state,
        status: ReportStatus::parse("status", &r.status).map_err(corrupt)?,
        created_at: r.created_at,
        closed_at: r.closed_at,
    })
}

row! {
    struct DecisionRow {
        id: String,
        listing_id: String,
        listing_title: String,
        partner_id: String,
        review_id: Option<String>,
        target: String,
        action: String,
        state: String,
        rule: String,
        reason: String,
        appeal: Option<String>,
        appealed_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
    }
}

const DECISION_SELECT: &str = "SELECT d.id, d.listing_id, l.title AS listing_title, d.partner_id, d.review_id, d.target, d.action, d.state, d.rule, d.reason, d.appeal, d.appealed_at, d.created_at FROM directory_decisions d JOIN directory_listings l ON l.id = d.listing_id WHERE 1 = 1";

fn decision_from(r: DecisionRow) -> Result<DirectoryDecision> {
    Ok(DirectoryDecision {
        id: DirectoryDecisionId::from_trusted(r.id),
        listing_id: DirectoryListingId::from_trusted(r.listing_id),
        listing_title: r.listing_title,
        partner_id: PartnerId::from_trusted(r.partner_id),
        review_id: r.review_id.map(DirectoryReviewId::from_trusted),
        target: ReportTarget::parse("target", &r.target).map_err(corrupt)?,
        action: ModerationAction::parse("action", &r.action).map_err(corrupt)?,
        state: ModerationState::parse("state", &r.state).map_err(corrupt)?,
        rule: r.rule,
        reason: r.reason,
        appeal: r.appeal,
        appealed_at: r.appealed_at,
        created_at: r.created_at,
    })
}

async fn decision_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<DirectoryDecision> {
    let not_found = StoreError::NotFound(EntityKind::DirectoryDecision);
    if DirectoryDecisionId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(DECISION_SELECT);
    q.push(" AND d.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::DirectoryDecision, "d");
    decision_from(x.optional::<DecisionRow>(&q).await?.ok_or(not_found)?)
}

/// What a report is about, as the public addresses it.
pub enum ReportSubject<'a> {
    /// A public listing by its slug.
    Listing(&'a str),
    /// A public listing by its id.
    ListingId(&'a str),
    /// A visible review of a public listing.
    Review(&'a str),
}

impl Store {
    /// Anyone reports a public listing or a visible review with a reason. Rate-limited per
    /// client address (`client_key`, a hash of it).
    #[tracing::instrument(skip_all)]
    pub async fn report_directory(
        &self,
        subject: ReportSubject<'_>,
        client_key: &str,
        input: &ReportInput,
    ) -> Result<DirectoryReportId> {
        let f = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (listing, partner, review) = match subject {
            ReportSubject::Listing(slug) => {
                let (l, p, _, _) = super::review::public_listing_row(&mut tx, slug).await?;
                (l, p, None)
            }
            ReportSubject::ListingId(id) => {
                let mut q = Sql::new(
                    "SELECT l.slug FROM directory_listings l JOIN partners p ON p.id = l.partner_id WHERE l.id = ",
                );
                q.bind(id).push(super::PUBLIC);
                row! { struct S { slug: String } }
                let slug = tx
                    .optional::<S>(&q)
                    .await?
                    .ok_or(StoreError::NotFound(EntityKind::DirectoryListing))?
                    .slug;
                let (l, p, _, _) = super::review::public_listing_row(&mut tx, &slug).await?;
                (l, p, None)
            }
            ReportSubject::Review(id) => {
                let r = review_in(&mut tx, &Scope::Vendor, id).await?;
                let mut q = Sql::new(
                    "SELECT l.slug FROM directory_listings l JOIN partners p ON p.id = l.partner_id WHERE l.id = ",
                );
                q.bind(r.listing_id.as_str()).push(super::PUBLIC);
                row! { struct S { #[allow(dead_code)] slug: String } }
                if r.state != ModerationState::Visible || tx.optional::<S>(&q).await?.is_none() {
                    return Err(StoreError::NotFound(EntityKind::DirectoryReview));
                }
                (r.listing_id, r.partner_id, Some(r.id))
            }
        };
        row! { struct At { created_at: DateTime<Utc> } }
        let mut q = Sql::new("SELECT created_at FROM directory_reports WHERE client_key = ");
        q.bind(client_key)
            .push(" AND created_at > ")
            .bind(now - REPORTS_PER_ADDRESS.window);
        let recent: Vec<DateTime<Utc>> = tx
            .all::<At>(&q)
            .await?
            .into_iter()
            .map(|a| a.created_at)
            .collect();
        if let Err(at) = REPORTS_PER_ADDRESS.check(&recent, now) {
            let minutes = (at - now).num_minutes().max(1);
            return Err(StoreError::conflict(
                "_",
                "report.rate_limited",
                format!(
                    "too many reports from here just now: please try again in {minutes} minutes"
                ),
            ));
        }
        let id = insert_report(
            &mut tx,
            now,
            NewReport {
                listing: &listing,
                partner: &partner,
                review: review.as_ref(),
                source: ReportSource::Visitor,
                reason: f.reason.as_str(),
                detail: f.detail.as_deref(),
                client_key: Some(client_key),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The moderation queue (moderators only): open items first, oldest first; closed ones
    /// after, newest first.
    pub async fn moderation_queue(
        &self,
        actor: &Actor,
        status: Option<ReportStatus>,
    ) -> Result<Vec<DirectoryReport>> {
        actor.authorize(&Action::ModerateDirectory)?;
        let mut q = Sql::new(REPORT_SELECT);
        if let Some(s) = status {
            q.push(" AND rp.status = ").bind(s.as_str());
        }
        scope::restrict(&mut q, &actor.scope(), EntityKind::DirectoryReport, "rp");
        q.push(" ORDER BY CASE WHEN rp.status = 'open' THEN 0 ELSE 1 END, CASE WHEN rp.status = 'open' THEN rp.created_at END, rp.created_at DESC, rp.id LIMIT 1000");
        self.db
            .read()
            .all::<ReportRow>(&q)
            .await?
            .into_iter()
            .map(report_from)
            .collect()
    }

    /// A moderator hides, restores or removes a listing, with a reason the owner reads.
    #[tracing::instrument(skip_all, fields(listing_id = %id))]
    pub async fn moderate_listing(
        &self,
        actor: &Actor,
        id: &str,
        input: &ModerateInput,
    ) -> Result<DirectoryDecision> {
        let mut tx = self.db.begin_write().await?;
        let (listing, _) = super::listing_in(&mut tx, self.now(), &actor.scope(), id).await?;
        actor.authorize(&Action::ModerateDirectory)?;
        let (action, reason) = input.parse()?;
        row! { struct M { hidden_at: Option<DateTime<Utc>>, removed_at: Option<DateTime<Utc>> } }
        let mut q = Sql::new("SELECT hidden_at, removed_at FROM directory_listings WHERE id = ");
        q.bind(id);
        let m = tx
            .optional::<M>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::DirectoryListing))?;
        let before = listing_state(m.hidden_at, m.removed_at);
        let d = moderation::decide(before, action, &reason).map_err(super::refusal)?;
        let now = self.now();
        let mut q = Sql::new("UPDATE directory_listings SET ");
        match d.state {
            ModerationState::Visible => q.push("hidden_at = NULL"),
            ModerationState::Hidden => q.push("hidden_at = ").bind(now),
            ModerationState::Removed => q
                .push("hidden_at = ")
                .bind(m.hidden_at.unwrap_or(now))
                .push(", removed_at = ")
                .bind(now),
        };
        q.push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        // The state read above must still hold (a concurrent moderator makes it a conflict).
        match m.hidden_at {
            Some(_) => q.push(" AND hidden_at IS NOT NULL"),
            None => q.push(" AND hidden_at IS NULL"),
        };
        q.push(" AND removed_at IS NULL");
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "action",
                "moderation.changed",
                "the listing was moderated meanwhile; reload it",
            ));
        }
        self.record_decision(
            tx,
            actor,
            (&listing.id, &listing.partner_id, None),
            action,
            before,
            d,
        )
        .await
    }

    /// A moderator hides, restores or removes a review, with a reason.
    #[tracing::instrument(skip_all, fields(review_id = %id))]
    pub async fn moderate_review(
        &self,
        actor: &Actor,
        id: &str,
        input: &ModerateInput,
    ) -> Result<DirectoryDecision> {
        let mut tx = self.db.begin_write().await?;
        let review = review_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ModerateDirectory)?;
        let (action, reason) = input.parse()?;
        let d = moderation::decide(review.state, action, &reason).map_err(super::refusal)?;
        let now = self.now();
        let mut q = Sql::new("UPDATE directory_reviews SET state = ");
        q.bind(d.state.as_str())
            .push(", state_reason = ")
            .bind(d.reason.as_str())
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND state = ")
            .bind(review.state.as_str());
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "action",
                "moderation.changed",
                "the review was moderated meanwhile; reload it",
            ));
        }
        self.record_decision(
            tx,
            actor,
            (&review.listing_id, &review.partner_id, Some(&review.id)),
            action,
            review.state,
            d,
        )
        .await
    }

    /// Records a decision: its row (what the owner sees and may appeal), the open queue
    /// items about the same thing closed, the audit event on the listing, the outbox event.
    async fn record_decision(
        &self,
        mut tx: Tx,
        actor: &Actor,
        (listing, partner, review): (&DirectoryListingId, &PartnerId, Option<&DirectoryReviewId>),
        action: ModerationAction,
        before: ModerationState,
        d: moderation::Decision,
    ) -> Result<DirectoryDecision> {
        let now = self.now();
        let id: DirectoryDecisionId = new_id();
        let target = if review.is_some() {
            ReportTarget::Review
        } else {
            ReportTarget::Listing
        };
        let mut q = Sql::new(
            "INSERT INTO directory_decisions (id, listing_id, partner_id, review_id, target, action, state, rule, reason, moderator_id, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(listing.as_str())
            .push(", ")
            .bind(partner.as_str())
            .push(", ")
            .bind(review.map(|r| r.as_str()))
            .push(", ")
            .bind(target.as_str())
            .push(", ")
            .bind(action.as_str())
            .push(", ")
            .bind(d.state.as_str())
            .push(", ")
            .bind(d.rule)
            .push(", ")
            .bind(d.reason.as_str())
            .push(", ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let mut q = Sql::new("UPDATE directory_reports SET status = 'closed', closed_at = ");
        q.bind(now)
            .push(", decision_id = ")
            .bind(id.as_str())
            .push(" WHERE status = 'open' AND listing_id = ")
            .bind(listing.as_str());
        match review {
            Some(r) => q.push(" AND review_id = ").bind(r.as_str()),
            None => q.push(" AND review_id IS NULL"),
        };
        tx.execute(&q).await?;
        let decision = decision_in(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryListing,
            listing.as_str(),
            AuditAction::Decided,
            Some(partner),
            Some(&serde_json::json!({ "target": target, "review_id": review, "state": before })),
            Some(&serde_json::json!({ "decision": decision, "rule": d.rule, "reason": d.reason })),
        )
        .await?;
        emit(
            &mut tx,
            now,
            "directory.moderated",
            id.as_str(),
            Some(partner),
            &decision,
        )
        .await?;
        tx.commit().await?;
        Ok(decision)
    }

    /// Moderators' decisions in `scope` (a partner: about its own listings), newest first.
    pub async fn directory_decisions(
        &self,
        scope: &Scope,
        listing: Option<&str>,
    ) -> Result<Vec<DirectoryDecision>> {
        let mut q = Sql::new(DECISION_SELECT);
        if let Some(l) = listing {
            q.push(" AND d.listing_id = ").bind(l);
        }
        scope::restrict(&mut q, scope, EntityKind::DirectoryDecision, "d");
        q.push(" ORDER BY d.created_at DESC, d.id DESC LIMIT 1000");
        self.db
            .read()
            .all::<DecisionRow>(&q)
            .await?
            .into_iter()
            .map(decision_from)
            .collect()
    }

    pub async fn directory_decision(&self, scope: &Scope, id: &str) -> Result<DirectoryDecision> {
        decision_in(&mut self.db.read(), scope, id).await
    }

    /// The listing's owner appeals a decision, once, with a text: the appeal goes back to
    /// the moderation queue. Only the latest decision on an item can be appealed (an older
    /// one has been decided again since), and only while it still hides or removes it.
    #[tracing::instrument(skip_all, fields(decision_id = %id))]
    pub async fn appeal_decision(
        &self,
        actor: &Actor,
        id: &str,
        input: &AppealInput,
    ) -> Result<DirectoryDecision> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = decision_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WriteListing(&before.partner_id))?;
        let text = input.parse()?;
        let mut q = Sql::new("SELECT id FROM directory_decisions WHERE listing_id = ");
        q.bind(before.listing_id.as_str());
        match &before.review_id {
            Some(r) => q.push(" AND review_id = ").bind(r.as_str()),
            None => q.push(" AND review_id IS NULL"),
        };
        q.push(" ORDER BY created_at DESC, id DESC LIMIT 1");
        row! { struct L { id: String } }
        let latest = tx.optional::<L>(&q).await?.map(|l| l.id);
        if latest.as_deref() != Some(before.id.as_str()) {
            return Err(StoreError::conflict(
                "decision_id",
                "appeal.superseded",
                "a later decision replaced this one; appeal that one instead",
            ));
        }
        moderation::may_appeal(before.state, before.appeal.is_some()).map_err(super::refusal)?;
        let mut q = Sql::new("UPDATE directory_decisions SET appeal = ");
        q.bind(text.as_str())
            .push(", appealed_at = ")
            .bind(now)
            .push(" WHERE appeal IS NULL AND id = ")
            .bind(id);
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "decision_id",
                "appeal.once",
                "this decision has been appealed already; each decision can be appealed once",
            ));
        }
        insert_report(
            &mut tx,
            now,
            NewReport {
                listing: &before.listing_id,
                partner: &before.partner_id,
                review: before.review_id.as_ref(),
                source: ReportSource::Appeal,
                reason: "appeal",
                detail: Some(&text),
                client_key: None,
            },
        )
        .await?;
        let after = decision_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryListing,
            before.listing_id.as_str(),
            AuditAction::Updated,
            Some(&before.partner_id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
