//! Private calendar feeds: a URL with a random token (kept only as its hash) that serves a
//! user's agenda as iCalendar, so it shows in the calendar they already use. One live feed
//! per user (a unique index); a new one revokes the old, and a revoked or unknown token, or
//! a user who may no longer sign in, gets nothing.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::cadence::{CalendarFeed, ical};
use partnerops_core::ids::{CalendarFeedId, EntityId};
use partnerops_core::scope::Principal;

use crate::db::{Exec, Sql, Tx, row};
use crate::{Actor, Result, Store, StoreError, audit, new_id, secret};

/// The prefix of feed tokens, so a leaked one is recognisable.
const TOKEN_PREFIX: &str = "cal_";

/// A live feed row; the caller appends the condition that picks it.
const LIVE_FEED: &str = "SELECT id, user_id, created_at, last_used_at FROM calendar_feeds WHERE revoked_at IS NULL AND ";

row! {
    struct FeedRow {
        id: String,
        user_id: String,
        created_at: DateTime<Utc>,
        last_used_at: Option<DateTime<Utc>>,
    }
}

impl From<FeedRow> for CalendarFeed {
    fn from(r: FeedRow) -> CalendarFeed {
        CalendarFeed {
            id: CalendarFeedId::from_trusted(r.id),
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

/// Revokes the live feed of the acting user, if any, and audits it; returns it as it was.
async fn revoke_live(
    tx: &mut Tx,
    actor: &Actor,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<Option<CalendarFeed>> {
    let mut q = Sql::new(&format!("{LIVE_FEED}user_id = "));
    q.bind(principal.user_id.as_str());
    let Some(live) = tx.optional::<FeedRow>(&q).await? else {
        return Ok(None);
    };
    let mut u = Sql::new("UPDATE calendar_feeds SET revoked_at = ");
    u.bind(now).push(" WHERE id = ").bind(live.id.as_str());
    tx.execute(&u).await?;
    let old: CalendarFeed = live.into();
    audit::record(
        tx,
        now,
        actor,
        EntityKind::CalendarFeed,
        old.id.as_str(),
        AuditAction::Revoked,
        principal.partner_id(),
        Some(&old),
        None::<&()>,
    )
    .await?;
    Ok(Some(old))
}

impl Store {
    /// The caller's live feed, if they have one.
    pub async fn calendar_feed(&self, actor: &Actor) -> Result<Option<CalendarFeed>> {
        let user = actor
            .user_id()
            .ok_or(StoreError::NotFound(EntityKind::CalendarFeed))?;
        let mut q = Sql::new(&format!("{LIVE_FEED}user_id = "));
        q.bind(user.as_str());
        Ok(self
            .db
            .read()
            .optional::<FeedRow>(&q)
            .await?
            .map(|r| CalendarFeed {
                id: CalendarFeedId::from_trusted(r.id),
                created_at: r.created_at,
                last_used_at: r.last_used_at,
            }))
    }

    /// A new feed for the caller, revoking the one they had; returns it with its token,
    /// which is shown this once.
    #[tracing::instrument(skip_all)]
    pub async fn create_calendar_feed(&self, actor: &Actor) -> Result<(CalendarFeed, String)> {
        let Actor::User(principal) = actor else {
            return Err(StoreError::NotFound(EntityKind::CalendarFeed));
        };
        let now = self.now();
        let token = secret::random_token(TOKEN_PREFIX);
        let id: CalendarFeedId = new_id();
        let mut tx = self.db.begin_write().await?;
        let user = principal.user_id.as_str();
        revoke_live(&mut tx, actor, principal, now).await?;
        let mut q =
            Sql::new("INSERT INTO calendar_feeds (id, user_id, token_hash, created_at) VALUES (");
        q.bind(id.as_str())
            .push(", ")
            .bind(user)
            .push(", ")
            .bind(secret::token_hash(&token))
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let feed = CalendarFeed {
            id,
            created_at: now,
            last_used_at: None,
        };
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::CalendarFeed,
            feed.id.as_str(),
            AuditAction::Created,
            principal.partner_id(),
            None::<&()>,
            Some(&feed),
        )
        .await?;
        tx.commit().await?;
        Ok((feed, token))
    }

    /// Revokes the caller's live feed; not found when there is none.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_calendar_feed(&self, actor: &Actor) -> Result<CalendarFeed> {
        let Actor::User(principal) = actor else {
            return Err(StoreError::NotFound(EntityKind::CalendarFeed));
        };
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let old = revoke_live(&mut tx, actor, principal, now)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::CalendarFeed))?;
        tx.commit().await?;
        Ok(old)
    }

    /// The iCalendar text of the feed behind `token`, or `None` for a revoked or unknown
    /// token (or a user who may no longer sign in). Links use the configured public URL.
    #[tracing::instrument(skip_all)]
    pub async fn calendar_feed_ics(&self, token: &str) -> Result<Option<String>> {
        let mut q = Sql::new(&format!("{LIVE_FEED}token_hash = "));
        q.bind(secret::token_hash(token));
        let Some(feed) = self.db.read().optional::<FeedRow>(&q).await? else {
            return Ok(None);
        };
        let principal = match self.principal_of(&feed.user_id).await {
            Ok(p) => p,
            Err(StoreError::BadCredentials) => return Ok(None),
            Err(e) => return Err(e),
        };
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut u = Sql::new("UPDATE calendar_feeds SET last_used_at = ");
        u.bind(now).push(" WHERE id = ").bind(feed.id.as_str());
        tx.execute(&u).await?;
        tx.commit().await?;
        let agenda = self.cadence(&principal, false).await?;
        let items: Vec<_> = agenda.overdue.into_iter().chain(agenda.upcoming).collect();
        Ok(Some(ical::feed(
            &principal.display_name,
            &items,
            now,
            &self.notify_settings().public_url,
        )))
    }
}
