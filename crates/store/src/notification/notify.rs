//! The notify job: each outbox event not yet handled becomes notifications for the users
//! it concerns (`core::notification::route`), with their text and link
//! (`core::notification::render`), and an e-mail to send for each recipient who wants it
//! at once. Daily-digest notifications wait for the digest job.
//!
//! Each event is handled in its own transaction that first claims it (`UPDATE … SET
//! notified_at … WHERE notified_at IS NULL`): on PostgreSQL a second instance's claim waits
//! for the first to commit and then changes nothing, so it skips the event; the unique
//! `(user_id, event_id)` and `(notification_id)` indexes make a double write impossible
//! anyway.

use chrono::{DateTime, TimeDelta, Utc};
use partnerops_core::ids::{EmailDeliveryId, EntityId, NotificationId, PartnerId, UserId};
use partnerops_core::notification::render::{self, EventView, Side};
use partnerops_core::notification::route::{Candidate, Route, recipients, route};
use partnerops_core::notification::{Delivery, timing};
use partnerops_core::user::Role;
use serde::Serialize;

use super::preferences_of;
use crate::db::{Exec, Sql, Tx, row};
use crate::entity::json_column;
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::{Result, Store, StoreError, new_id};

/// The job kind.
pub const NOTIFY: &str = "notifications.notify";

/// Events read per batch.
const BATCH: i64 = 200;

/// What a notify run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NotifyReport {
    /// Events handled (whether or not they notified anyone).
    pub events: usize,
    pub notifications: usize,
    /// E-mails queued to send at once.
    pub emails: usize,
    /// E-mails recorded as skipped (no SMTP configured).
    pub skipped: usize,
}

impl From<NotifyReport> for JobReport {
    fn from(r: NotifyReport) -> JobReport {
        JobReport::default()
            .figure("events", r.events)
            .figure("notifications", r.notifications)
            .figure("e-mails queued", r.emails)
            .figure("e-mails skipped", r.skipped)
    }
}

/// The notify job: every minute.
pub(crate) struct Notify;

impl Job for Notify {
    fn kind(&self) -> &'static str {
        NOTIFY
    }

    fn schedule(&self) -> Schedule {
        Schedule::Every(TimeDelta::minutes(1))
    }

    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move { Ok(store.notify_at(now).await?.into()) })
    }
}

row! {
    struct EventRow {
        id: String,
        kind: String,
        entity_id: String,
        partner_id: Option<String>,
        payload: String,
        created_at: DateTime<Utc>,
    }
}

row! {
    struct CandidateRow {
        id: String,
        email: String,
        role: String,
        partner_id: Option<String>,
    }
}

/// Why a skipped e-mail was not sent.
const NO_SMTP: &str = "skipped: no SMTP configured";

impl Store {
    /// Turns every event not yet handled into notifications, as of the store's clock.
    #[tracing::instrument(skip_all)]
    pub async fn notify(&self) -> Result<NotifyReport> {
        self.notify_at(self.now()).await
    }

    async fn notify_at(&self, now: DateTime<Utc>) -> Result<NotifyReport> {
        let mut report = NotifyReport::default();
        let mut after: Option<(DateTime<Utc>, String)> = None;
        loop {
            let events = self.unnotified(after.as_ref()).await?;
            let Some(last) = events.last() else {
                return Ok(report);
            };
            after = Some((last.created_at, last.id.clone()));
            for event in &events {
                self.notify_event(event, now, &mut report).await?;
            }
        }
    }

    /// The next batch of events not yet handled, after `after` (created_at, id) so a batch
    /// another instance is working through is not read again and again.
    async fn unnotified(&self, after: Option<&(DateTime<Utc>, String)>) -> Result<Vec<EventRow>> {
        let mut q = Sql::new(
            "SELECT id, kind, entity_id, partner_id, payload, created_at FROM outbox_events WHERE notified_at IS NULL",
        );
        if let Some((at, id)) = after {
            q.push(" AND (created_at, id) > (")
                .bind(*at)
                .push(", ")
                .bind(id.as_str())
                .push(")");
        }
        q.push(" ORDER BY created_at, id LIMIT ").bind(BATCH);
        Ok(self.db.read().all(&q).await?)
    }

    /// Handles one event in its own transaction.
    async fn notify_event(
        &self,
        event: &EventRow,
        now: DateTime<Utc>,
        report: &mut NotifyReport,
    ) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let mut claim = Sql::new("UPDATE outbox_events SET notified_at = ");
        claim
            .bind(now)
            .push(" WHERE notified_at IS NULL AND id = ")
            .bind(event.id.as_str());
        if tx.execute(&claim).await? == 0 {
            // Another instance handled it.
            return Ok(());
        }
        report.events += 1;
        if let Some(route) = route(&event.kind)
            && !timing::is_stale(event.created_at, now)
        {
            self.notify_recipients(&mut tx, event, route, now, report)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn notify_recipients(
        &self,
        tx: &mut Tx,
        event: &EventRow,
        route: Route,
        now: DateTime<Utc>,
        report: &mut NotifyReport,
    ) -> Result<()> {
        let payload: serde_json::Value = json_column("payload", &event.payload)?;
        let event_partner = event.partner_id.clone().map(PartnerId::from_trusted);
        let named = route
            .audience
            .named_user
            .and_then(|field| payload.get(field))
            .and_then(serde_json::Value::as_str)
            .and_then(UserId::parse);
        let (candidates, emails) = candidates(tx, event_partner.as_ref()).await?;
        let view = EventView {
            kind: &event.kind,
            entity_id: &event.entity_id,
            payload: &payload,
        };
        for user in recipients(
            &route.audience,
            event_partner.as_ref(),
            named.as_ref(),
            &candidates,
        ) {
            let side = match user.partner_id {
                Some(_) => Side::Portal,
                None => Side::Console,
            };
            let message = render::message(&view, side);
            let delivery = preferences_of(tx, &user.user_id)
                .await?
                .delivery(route.kind);
            let digest_day = (delivery == Delivery::DailyDigest).then(|| timing::digest_day(now));
            let id: NotificationId = new_id();
            let mut q = Sql::new(
                "INSERT INTO notifications (id, user_id, kind, event_id, title, body, link, delivery, digest_day, created_at) VALUES (",
            );
            q.bind(id.as_str())
                .push(", ")
                .bind(user.user_id.as_str())
                .push(", ")
                .bind(route.kind.as_str())
                .push(", ")
                .bind(event.id.as_str())
                .push(", ")
                .bind(message.title.as_str())
                .push(", ")
                .bind(message.body.as_str())
                .push(", ")
                .bind(message.link.as_str())
                .push(", ")
                .bind(delivery.as_str())
                .push(", ")
                .bind(digest_day)
                .push(", ")
                .bind(now)
                .push(") ON CONFLICT (user_id, event_id) DO NOTHING");
            if tx.execute(&q).await? == 0 {
                continue;
            }
            report.notifications += 1;
            if delivery != Delivery::Immediately {
                continue;
            }
            let recipient = emails
                .iter()
                .find(|(id, _)| *id == user.user_id)
                .map(|(_, email)| email.as_str())
                .unwrap_or_default();
            let mail = render::mail(&message, &self.notify.public_url, side);
            let queued = queue_mail(
                tx,
                self.notify.smtp.is_some(),
                MailRow {
                    user: &user.user_id,
                    notification: Some(&id),
                    digest_day: None,
                    recipient,
                    subject: &mail.subject,
                    body: &mail.body,
                    kind: route.kind.as_str(),
                },
                now,
            )
            .await?;
            match queued {
                Queued::Pending => report.emails += 1,
                Queued::Skipped => report.skipped += 1,
                Queued::Exists => {}
            }
        }
        Ok(())
    }
}

/// The users who might receive an event's notification: live staff, and the live users of
/// the event's partner (none when the event has no partner) if that partner is live. Also
/// their e-mail addresses.
async fn candidates(
    tx: &mut Tx,
    partner: Option<&PartnerId>,
) -> Result<(Vec<Candidate>, Vec<(UserId, String)>)> {
    let mut q = Sql::new(
        "SELECT u.id, u.email, u.role, u.partner_id FROM users u LEFT JOIN partners p ON p.id = u.partner_id WHERE u.archived_at IS NULL AND p.archived_at IS NULL AND (u.partner_id IS NULL OR u.partner_id = ",
    );
    q.bind(partner.map(|p| p.as_str())).push(") ORDER BY u.id");
    let rows: Vec<CandidateRow> = tx.all(&q).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut emails = Vec::with_capacity(rows.len());
    for r in rows {
        let role = Role::parse("role", &r.role).map_err(|e| StoreError::Corrupt(e.message))?;
        let user_id = UserId::from_trusted(r.id);
        emails.push((user_id.clone(), r.email));
        out.push(Candidate {
            user_id,
            role,
            partner_id: r.partner_id.map(PartnerId::from_trusted),
        });
    }
    Ok((out, emails))
}

/// An e-mail to record.
pub(crate) struct MailRow<'a> {
    pub user: &'a UserId,
    pub notification: Option<&'a NotificationId>,
    pub digest_day: Option<chrono::NaiveDate>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// The notification kind, or `daily_digest`.
    pub kind: &'a str,
}

/// What recording an e-mail did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Queued {
    /// Waiting for the send job.
    Pending,
    /// Recorded as skipped: there is no SMTP server to send it to.
    Skipped,
    /// The notification or digest already had its e-mail.
    Exists,
}

/// Records an e-mail to send now (pending), or as skipped when no SMTP server is
/// configured. The unique indexes on `notification_id` and `(user_id, digest_day)` make a
/// second recording of the same e-mail change nothing.
pub(crate) async fn queue_mail(
    tx: &mut Tx,
    smtp_configured: bool,
    mail: MailRow<'_>,
    now: DateTime<Utc>,
) -> Result<Queued> {
    let id: EmailDeliveryId = new_id();
    let (status, error, queued) = if smtp_configured {
        ("pending", None, Queued::Pending)
    } else {
        ("skipped", Some(NO_SMTP), Queued::Skipped)
    };
    let conflict = if mail.notification.is_some() {
        "(notification_id)"
    } else {
        "(user_id, digest_day)"
    };
    let mut q = Sql::new(
        "INSERT INTO email_deliveries (id, user_id, notification_id, digest_day, recipient, subject, body, kind, status, attempts, next_attempt_at, last_error, created_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(mail.user.as_str())
        .push(", ")
        .bind(mail.notification.map(|n| n.as_str()))
        .push(", ")
        .bind(mail.digest_day)
        .push(", ")
        .bind(mail.recipient)
        .push(", ")
        .bind(mail.subject)
        .push(", ")
        .bind(mail.body)
        .push(", ")
        .bind(mail.kind)
        .push(", ")
        .bind(status)
        .push(", 0, ")
        .bind(now)
        .push(", ")
        .bind(error)
        .push(", ")
        .bind(now)
        .push(&format!(") ON CONFLICT {conflict} DO NOTHING"));
    Ok(if tx.execute(&q).await? == 1 {
        queued
    } else {
        Queued::Exists
    })
}
