//! E-mails: the daily digest job writes one e-mail per user and digest day, and the send
//! job sends every e-mail that is due, one claim at a time, retrying on the schedule of
//! `core::notification::timing` and recording the server's answer.
//!
//! A claim moves a delivery to `sending` with a lease (`claimed_until`) in a conditional
//! update (`FOR UPDATE SKIP LOCKED` on PostgreSQL, see `db::dialect::claim_due_delivery`),
//! so however many instances run the job, each e-mail is handed to the SMTP server once. A
//! delivery left `sending` past its lease (the instance stopped mid-send) is claimed again:
//! the one case where a message may reach the server twice, as with any SMTP client that
//! cannot know whether a dropped connection delivered.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use partnerops_core::ids::{EmailDeliveryId, EntityId, UserId};
use partnerops_core::notification::render::{self, DigestItem, Side};
use partnerops_core::notification::timing::{self, AfterFailure};
use serde::Serialize;

use super::mail::{Mailer, Sent};
use super::notify::{MailRow, Queued, queue_mail};
use crate::db::{Exec, Sql, dialect, row};
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::{Result, Store};

/// The send job's kind.
pub const SEND_MAIL: &str = "notifications.send_mail";
/// The digest job's kind.
pub const DIGEST: &str = "notifications.digest";

/// How long a claimed delivery is this instance's before another may take it over. Far
/// longer than one SMTP conversation may take (`mail::SMTP_TIMEOUT`).
const LEASE: TimeDelta = TimeDelta::minutes(10);

/// What a send run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub sent: usize,
    /// Failed attempts that will be retried.
    pub retrying: usize,
    /// Deliveries given up.
    pub failed: usize,
}

impl From<DeliveryReport> for JobReport {
    fn from(r: DeliveryReport) -> JobReport {
        JobReport::default()
            .figure("sent", r.sent)
            .figure("retrying", r.retrying)
            .figure("failed", r.failed)
    }
}

/// What a digest run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DigestReport {
    /// Digest e-mails written (one per user and day).
    pub digests: usize,
    /// Notifications they list.
    pub items: usize,
}

impl From<DigestReport> for JobReport {
    fn from(r: DigestReport) -> JobReport {
        JobReport::default()
            .figure("digests", r.digests)
            .figure("items", r.items)
    }
}

/// The send job: every minute.
pub(crate) struct SendMail;

impl Job for SendMail {
    fn kind(&self) -> &'static str {
        SEND_MAIL
    }

    fn schedule(&self) -> Schedule {
        Schedule::Every(TimeDelta::minutes(1))
    }

    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move { Ok(store.send_mail_at(now).await?.into()) })
    }
}

/// The digest job: daily at the digest time.
pub(crate) struct Digest;

impl Job for Digest {
    fn kind(&self) -> &'static str {
        DIGEST
    }

    fn schedule(&self) -> Schedule {
        Schedule::DailyAt(timing::DIGEST_TIME)
    }

    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move { Ok(store.write_digests_at(now).await?.into()) })
    }
}

/// An e-mail as recorded, for operators and tests.
#[derive(Clone, Debug, Serialize)]
pub struct EmailDelivery {
    pub id: EmailDeliveryId,
    pub user_id: UserId,
    pub notification_id: Option<String>,
    pub digest_day: Option<NaiveDate>,
    pub recipient: String,
    pub subject: String,
    pub kind: String,
    /// pending, sending, sent, failed or skipped.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed (the server's answer where it gave one), or why the
    /// e-mail was skipped.
    pub last_error: Option<String>,
    /// The server's answer to the last attempt that reached it.
    pub server_reply: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

row! {
    struct DeliveryRow {
        id: String,
        user_id: String,
        notification_id: Option<String>,
        digest_day: Option<NaiveDate>,
        recipient: String,
        subject: String,
        kind: String,
        status: String,
        attempts: i64,
        next_attempt_at: DateTime<Utc>,
        last_error: Option<String>,
        server_reply: Option<String>,
        sent_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
    }
}

row! {
    struct Claimed {
        id: String,
        recipient: String,
        subject: String,
        body: String,
        attempts: i64,
    }
}

row! {
    struct DigestRow {
        user_id: String,
        digest_day: NaiveDate,
        title: String,
        link: String,
        email: String,
        partner_id: Option<String>,
    }
}

impl Store {
    /// Sends every e-mail due as of the store's clock.
    #[tracing::instrument(skip_all)]
    pub async fn send_mail(&self) -> Result<DeliveryReport> {
        self.send_mail_at(self.now()).await
    }

    async fn send_mail_at(&self, now: DateTime<Utc>) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        // Without an SMTP server this instance leaves pending e-mails alone: another
        // instance (or this one, configured again) sends them. E-mails are marked skipped
        // only when they are queued without one.
        let Some(smtp) = &self.notify.smtp else {
            return Ok(report);
        };
        // A transport that cannot be made (a bad sender) fails every attempt the same way,
        // which the retry schedule then records.
        let mailer = Mailer::new(smtp);
        while let Some(claimed) = self.claim_delivery(now).await? {
            let outcome = match &mailer {
                Err(e) => Sent::Refused {
                    error: e.clone(),
                    permanent: false,
                },
                Ok(m) => {
                    m.send(
                        &claimed.id,
                        &claimed.recipient,
                        &claimed.subject,
                        &claimed.body,
                    )
                    .await
                }
            };
            self.record_attempt(&claimed, outcome, now, &mut report)
                .await?;
        }
        Ok(report)
    }

    async fn claim_delivery(&self, now: DateTime<Utc>) -> Result<Option<Claimed>> {
        let mut tx = self.db.begin_write().await?;
        let q = dialect::claim_due_delivery(tx.backend(), now, now + LEASE);
        let claimed: Option<Claimed> = tx.optional(&q).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records an attempt's outcome on a delivery this instance still holds.
    async fn record_attempt(
        &self,
        claimed: &Claimed,
        outcome: Sent,
        now: DateTime<Utc>,
        report: &mut DeliveryReport,
    ) -> Result<()> {
        let mut q = Sql::new("UPDATE email_deliveries SET claimed_until = NULL, status = ");
        match outcome {
            Sent::Accepted { reply } => {
                q.bind("sent")
                    .push(", sent_at = ")
                    .bind(now)
                    .push(", server_reply = ")
                    .bind(reply);
                report.sent += 1;
            }
            Sent::Refused { error, permanent } => {
                tracing::warn!(delivery = %claimed.id, attempts = claimed.attempts, error = %error, "e-mail not accepted");
                match timing::after_failure(claimed.attempts, now, permanent) {
                    AfterFailure::RetryAt(at) => {
                        q.bind("pending").push(", next_attempt_at = ").bind(at);
                        report.retrying += 1;
                    }
                    AfterFailure::GiveUp => {
                        q.bind("failed");
                        report.failed += 1;
                    }
                }
                q.push(", last_error = ").bind(error);
            }
        }
        q.push(" WHERE status = 'sending' AND id = ")
            .bind(claimed.id.as_str());
        let mut tx = self.db.begin_write().await?;
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes the daily digests due as of the store's clock.
    #[tracing::instrument(skip_all)]
    pub async fn write_digests(&self) -> Result<DigestReport> {
        self.write_digests_at(self.now()).await
    }

    async fn write_digests_at(&self, now: DateTime<Utc>) -> Result<DigestReport> {
        let due = timing::latest_due_digest_day(now);
        // Digest days older than a week are not sent late (the user was archived, or the
        // installation was down): the notifications are still in the app.
        let oldest = due - timing::STALE_AFTER;
        let mut q = Sql::new(
            "SELECT n.user_id, n.digest_day, n.title, n.link, u.email, u.partner_id FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.delivery = 'daily_digest' AND u.archived_at IS NULL AND n.digest_day <= ",
        );
        q.bind(due)
            .push(" AND n.digest_day > ")
            .bind(oldest)
            .push(" AND NOT EXISTS (SELECT 1 FROM email_deliveries d WHERE d.user_id = n.user_id AND d.digest_day = n.digest_day) ORDER BY n.user_id, n.digest_day, n.created_at, n.id");
        let rows: Vec<DigestRow> = self.db.read().all(&q).await?;
        let groups = timing::digest_groups(
            rows.into_iter()
                .map(|r| (r.user_id.clone(), r.digest_day, r)),
        );
        let mut report = DigestReport::default();
        for ((user, day), items) in groups {
            let Some(first) = items.first() else { continue };
            let side = match first.partner_id {
                Some(_) => Side::Portal,
                None => Side::Console,
            };
            let lines: Vec<DigestItem> = items
                .iter()
                .map(|r| DigestItem {
                    title: r.title.clone(),
                    link: r.link.clone(),
                })
                .collect();
            let mail = render::digest_mail(day, &lines, &self.notify.public_url, side);
            let user = UserId::from_trusted(user);
            let mut tx = self.db.begin_write().await?;
            let queued = queue_mail(
                &mut tx,
                self.notify.smtp.is_some(),
                MailRow {
                    user: &user,
                    notification: None,
                    digest_day: Some(day),
                    recipient: &first.email,
                    subject: &mail.subject,
                    body: &mail.body,
                    kind: "daily_digest",
                },
                now,
            )
            .await?;
            tx.commit().await?;
            if queued != Queued::Exists {
                report.digests += 1;
                report.items += lines.len();
            }
        }
        Ok(report)
    }

    /// The e-mails recorded for `user`, oldest first: what was sent, is waiting, failed
    /// (with the server's answer) or was skipped. For operators and tests; not scoped, so
    /// never reachable by a partner.
    #[tracing::instrument(skip_all, fields(user_id = %user))]
    pub async fn email_deliveries(&self, user: &UserId) -> Result<Vec<EmailDelivery>> {
        let mut q = Sql::new(
            "SELECT id, user_id, notification_id, digest_day, recipient, subject, kind, status, attempts, next_attempt_at, last_error, server_reply, sent_at, created_at FROM email_deliveries WHERE user_id = ",
        );
        q.bind(user.as_str()).push(" ORDER BY created_at, id");
        let rows: Vec<DeliveryRow> = self.db.read().all(&q).await?;
        Ok(rows
            .into_iter()
            .map(|r| EmailDelivery {
                id: EmailDeliveryId::from_trusted(r.id),
                user_id: UserId::from_trusted(r.user_id),
                notification_id: r.notification_id,
                digest_day: r.digest_day,
                recipient: r.recipient,
                subject: r.subject,
                kind: r.kind,
                status: r.status,
                attempts: r.attempts,
                next_attempt_at: r.next_attempt_at,
                last_error: r.last_error,
                server_reply: r.server_reply,
                sent_at: r.sent_at,
                created_at: r.created_at,
            })
            .collect())
    }
}
