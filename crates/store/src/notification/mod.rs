//! Notifications: outbox events become notifications for the users they concern
//! ([`notify`]), and those become e-mails, sent at once or in a daily digest and retried
//! when the SMTP server does not take them ([`delivery`], over [`mail`]). Here: the jobs,
//! and what a user reads and sets (their notifications, marking one read, their e-mail
//! choices per kind).
//!
//! Every read and write here is the caller's own: a notification belongs to one user, and
//! the functions take that user from the caller's [`Principal`], so no user can reach
//! another's. Which event concerns whom, and what a notification says, are rules of
//! `partnerops_core::notification`.

pub mod delivery;
pub mod mail;
mod notify;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, NotificationId, UserId};
use partnerops_core::notification::{
    Delivery, Notification, NotificationKind, Preference, Preferences, parse_changes,
};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::scope::Principal;

use crate::db::{Exec, Sql, Tx, row};
use crate::entity::push_page;
use crate::jobs::Job;
use crate::{Actor, Result, Store, StoreError, audit};

pub use delivery::{DeliveryReport, DigestReport, EmailDelivery};
pub use notify::NotifyReport;

/// The jobs of this capability, in the order one run should take them: events become
/// notifications, then the digests that are due are written, then every e-mail due is sent.
pub(crate) fn jobs() -> Vec<Box<dyn Job>> {
    vec![
        Box::new(notify::Notify),
        Box::new(delivery::Digest),
        Box::new(delivery::SendMail),
    ]
}

/// Sort fields of a user's notifications (newest first unless asked).
pub const SORTS: &[&str] = &["created_at"];

row! {
    struct NotificationRow {
        id: String,
        kind: String,
        title: String,
        body: String,
        link: String,
        created_at: DateTime<Utc>,
        read_at: Option<DateTime<Utc>>,
    }
}

impl NotificationRow {
    fn into_notification(self) -> Result<Notification> {
        Ok(Notification {
            id: NotificationId::from_trusted(self.id),
            kind: NotificationKind::parse("kind", &self.kind)
                .map_err(|e| StoreError::Corrupt(e.message))?,
            title: self.title,
            body: self.body,
            link: self.link,
            created_at: self.created_at,
            read_at: self.read_at,
        })
    }
}

const SELECT: &str = "SELECT n.id, n.kind, n.title, n.body, n.link, n.created_at, n.read_at FROM notifications n WHERE n.user_id = ";

row! {
    struct PreferenceRow {
        kind: String,
        delivery: String,
    }
}

row! {
    struct Count {
        n: i64,
    }
}

/// The stored choices of `user` (kinds never chosen use their default).
pub(crate) async fn preferences_of(x: &mut impl Exec, user: &UserId) -> Result<Preferences> {
    let mut q = Sql::new("SELECT kind, delivery FROM notification_preferences WHERE user_id = ");
    q.bind(user.as_str());
    let rows: Vec<PreferenceRow> = x.all(&q).await?;
    let mut chosen = Vec::new();
    for r in &rows {
        let delivery =
            Delivery::parse("delivery", &r.delivery).map_err(|e| StoreError::Corrupt(e.message))?;
        chosen.push((r.kind.as_str(), delivery));
    }
    Ok(Preferences::from_chosen(chosen))
}

/// The preferences as they appear in an audit event: every kind with its delivery.
fn audit_view(p: &Preferences) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = p
        .all()
        .into_iter()
        .map(|x| (x.kind.as_str().to_owned(), x.delivery.as_str().into()))
        .collect();
    serde_json::json!({ "notification_preferences": map })
}

impl Store {
    /// The caller's notifications, newest first unless `page` sorts otherwise; only unread
    /// ones with `unread_only`.
    #[tracing::instrument(skip_all, fields(user_id = %who.user_id))]
    pub async fn notifications(
        &self,
        who: &Principal,
        unread_only: bool,
        page: &PageRequest,
    ) -> Result<Page<Notification>> {
        let mut q = Sql::new(SELECT);
        q.bind(who.user_id.as_str());
        if unread_only {
            q.push(" AND n.read_at IS NULL");
        }
        push_page(&mut q, page, "n.created_at", "n.id");
        let rows: Vec<NotificationRow> = self.db.read().all(&q).await?;
        let items = rows
            .into_iter()
            .map(NotificationRow::into_notification)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page, |n, _| {
            (SortKey::Time(n.created_at), n.id.to_string())
        }))
    }

    /// How many of the caller's notifications are unread (the count in the navigation).
    #[tracing::instrument(skip_all, fields(user_id = %who.user_id))]
    pub async fn unread_notifications(&self, who: &Principal) -> Result<i64> {
        let mut q = Sql::new(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM notifications WHERE read_at IS NULL AND user_id = ",
        );
        q.bind(who.user_id.as_str());
        let count: Option<Count> = self.db.read().optional(&q).await?;
        Ok(count.map_or(0, |c| c.n))
    }

    /// Marks one of the caller's notifications read (once: marking it again keeps the first
    /// time). Another user's notification is not found.
    #[tracing::instrument(skip_all, fields(user_id = %who.user_id, notification_id = %id))]
    pub async fn mark_notification_read(&self, who: &Principal, id: &str) -> Result<Notification> {
        let mut tx = self.db.begin_write().await?;
        let mut u = Sql::new("UPDATE notifications SET read_at = ");
        u.bind(self.now())
            .push(" WHERE read_at IS NULL AND id = ")
            .bind(id)
            .push(" AND user_id = ")
            .bind(who.user_id.as_str());
        tx.execute(&u).await?;
        let mut q = Sql::new(SELECT);
        q.bind(who.user_id.as_str()).push(" AND n.id = ").bind(id);
        let row: Option<NotificationRow> = tx.optional(&q).await?;
        let row = row.ok_or(StoreError::NotFound(EntityKind::Notification))?;
        tx.commit().await?;
        row.into_notification()
    }

    /// Marks all the caller's notifications read; returns how many were unread.
    #[tracing::instrument(skip_all, fields(user_id = %who.user_id))]
    pub async fn mark_all_notifications_read(&self, who: &Principal) -> Result<u64> {
        let mut tx = self.db.begin_write().await?;
        let mut u = Sql::new("UPDATE notifications SET read_at = ");
        u.bind(self.now())
            .push(" WHERE read_at IS NULL AND user_id = ")
            .bind(who.user_id.as_str());
        let n = tx.execute(&u).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The caller's e-mail choice for every kind.
    #[tracing::instrument(skip_all, fields(user_id = %who.user_id))]
    pub async fn notification_preferences(&self, who: &Principal) -> Result<Vec<Preference>> {
        Ok(preferences_of(&mut self.db.read(), &who.user_id)
            .await?
            .all())
    }

    /// Changes the caller's e-mail choices: `changes` maps a kind to `immediately`,
    /// `daily_digest` or `off`; kinds not named keep theirs. Every error names its kind.
    /// The change is audited on the user record.
    #[tracing::instrument(skip_all, fields(user_id = %who.user_id))]
    pub async fn set_notification_preferences(
        &self,
        who: &Principal,
        changes: &BTreeMap<String, String>,
    ) -> Result<Vec<Preference>> {
        let changes = parse_changes(changes)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = preferences_of(&mut tx, &who.user_id).await?;
        for (kind, delivery) in &changes {
            upsert_preference(&mut tx, &who.user_id, *kind, *delivery, now).await?;
        }
        let after = preferences_of(&mut tx, &who.user_id).await?;
        let (was, is) = (audit_view(&before), audit_view(&after));
        if was != is {
            audit::record(
                &mut tx,
                now,
                &Actor::User(who.clone()),
                EntityKind::User,
                who.user_id.as_str(),
                AuditAction::Updated,
                who.partner_id(),
                Some(&was),
                Some(&is),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after.all())
    }
}

async fn upsert_preference(
    tx: &mut Tx,
    user: &UserId,
    kind: NotificationKind,
    delivery: Delivery,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO notification_preferences (user_id, kind, delivery, updated_at) VALUES (",
    );
    q.bind(user.as_str())
        .push(", ")
        .bind(kind.as_str())
        .push(", ")
        .bind(delivery.as_str())
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (user_id, kind) DO UPDATE SET delivery = ")
        .bind(delivery.as_str())
        .push(", updated_at = ")
        .bind(now);
    tx.execute(&q).await?;
    Ok(())
}
