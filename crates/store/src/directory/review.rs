//! Reviews of directory listings: invitation links to a customer's e-mail (sent through the
//! product's SMTP settings), the review written through the link, vendor staff's reviews,
//! and the partner's public answer. The rules are `core::directory::review`'s; spam
//! signals (`core::directory::moderation`) may raise a report on a new review.

use chrono::{DateTime, TimeDelta, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::directory::moderation::{ModerationState, SpamFacts, spam_signals};
use partnerops_core::directory::review::{
    self, DirectoryReview, Existing, INVITE_VALID, InviteSent, ReviewAnswerInput, ReviewAuthor,
    ReviewInput, ReviewInviteInput, Write,
};
use partnerops_core::directory::{ListingStatus, lead};
use partnerops_core::ids::{
    DirectoryInviteId, DirectoryListingId, DirectoryReviewId, EntityId, PartnerId,
};
use partnerops_core::notification::timing::{AfterFailure, RETRY_DELAYS, after_failure};
use partnerops_core::scope::{Action, Scope};
use partnerops_core::throttle::ThrottlePolicy;

use super::corrupt;
use crate::db::{Exec, Sql, Tx, row};
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::notification::mail::Mailer;
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope, secret};

row! {
    pub(crate) struct ReviewRow {
        id: String,
        listing_id: String,
        listing_title: String,
        partner_id: String,
        author_kind: String,
        author_name: String,
        rating: i64,
        body: String,
        state: String,
        state_reason: Option<String>,
        answer: Option<String>,
        answered_at: Option<DateTime<Utc>>,
        reported: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

pub(crate) const REVIEW_SELECT: &str = "SELECT r.id, r.listing_id, l.title AS listing_title, r.partner_id, r.author_kind, r.author_name, CAST(r.rating AS BIGINT) AS rating, r.body, r.state, r.state_reason, r.answer, r.answered_at, (SELECT CAST(COUNT(*) AS BIGINT) FROM directory_reports rp WHERE rp.review_id = r.id AND rp.status = 'open') AS reported, r.created_at, r.updated_at FROM directory_reviews r JOIN directory_listings l ON l.id = r.listing_id WHERE 1 = 1";

pub(crate) fn review_from(r: ReviewRow) -> Result<DirectoryReview> {
    Ok(DirectoryReview {
        id: DirectoryReviewId::from_trusted(r.id),
        listing_id: DirectoryListingId::from_trusted(r.listing_id),
        listing_title: r.listing_title,
        partner_id: PartnerId::from_trusted(r.partner_id),
        author_kind: ReviewAuthor::parse("author_kind", &r.author_kind).map_err(corrupt)?,
        author_name: r.author_name,
        rating: r.rating,
        body: r.body,
        state: ModerationState::parse("state", &r.state).map_err(corrupt)?,
        state_reason: r.state_reason,
        answer: r.answer,
        answered_at: r.answered_at,
        reported: r.reported > 0,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// A review in `scope` (a partner: reviews of its own listings).
pub(crate) async fn review_in(
    x: &mut impl Exec,
    scope: &Scope,
    id: &str,
) -> Result<DirectoryReview> {
    let not_found = StoreError::NotFound(EntityKind::DirectoryReview);
    if DirectoryReviewId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(REVIEW_SELECT);
    q.push(" AND r.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::DirectoryReview, "r");
    review_from(x.optional::<ReviewRow>(&q).await?.ok_or(not_found)?)
}

row! {
    struct PublicListing {
        id: String,
        partner_id: String,
        title: String,
        slug: String,
    }
}

/// The public listing behind `slug` (published, not hidden, partner not archived).
pub(crate) async fn public_listing_row(
    x: &mut impl Exec,
    slug: &str,
) -> Result<(DirectoryListingId, PartnerId, String, String)> {
    let mut q = Sql::new(
        "SELECT l.id, l.partner_id, l.title, l.slug FROM directory_listings l JOIN partners p ON p.id = l.partner_id WHERE l.slug = ",
    );
    q.bind(slug).push(super::PUBLIC);
    let r = x
        .optional::<PublicListing>(&q)
        .await?
        .ok_or(StoreError::NotFound(EntityKind::DirectoryListing))?;
    Ok((
        DirectoryListingId::from_trusted(r.id),
        PartnerId::from_trusted(r.partner_id),
        r.title,
        r.slug,
    ))
}

/// How many invitations one e-mail address may ask for in a window.
const INVITES_PER_EMAIL: ThrottlePolicy = ThrottlePolicy {
    max_failures: 3,
    window: chrono::Duration::hours(1),
};

row! { struct At { created_at: DateTime<Utc> } }

async fn times(x: &mut impl Exec, q: &Sql) -> Result<Vec<DateTime<Utc>>> {
    Ok(x.all::<At>(q)
        .await?
        .into_iter()
        .map(|a| a.created_at)
        .collect())
}

fn rate_limited(now: DateTime<Utc>, retry_at: DateTime<Utc>, rule: &str) -> StoreError {
    let minutes = (retry_at - now).num_minutes().max(1);
    StoreError::conflict(
        "_",
        rule,
        format!("too many requests from here just now: please try again in {minutes} minutes"),
    )
}

/// What the review form shows for an invitation.
#[derive(Clone, Debug)]
pub struct InviteView {
    pub listing_title: String,
    pub listing_slug: String,
    pub email: String,
    /// The author's review of the listing, when there is one (the form then replaces it).
    pub existing: Option<DirectoryReview>,
}

row! {
    struct InviteRow {
        id: String,
        listing_id: String,
        email: String,
        expires_at: DateTime<Utc>,
        used_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
    }
}

async fn invite_by_token(x: &mut impl Exec, token: &str) -> Result<InviteRow> {
    let not_found = StoreError::NotFound(EntityKind::DirectoryReview);
    if token.len() > 100 {
        return Err(not_found);
    }
    let mut q = Sql::new(
        "SELECT id, listing_id, email, expires_at, used_at, created_at FROM directory_review_invites WHERE token_hash = ",
    );
    q.bind(secret::token_hash(token));
    x.optional::<InviteRow>(&q).await?.ok_or(not_found)
}

async fn existing_review(
    x: &mut impl Exec,
    listing: &str,
    author_key: &str,
) -> Result<Option<DirectoryReview>> {
    let mut q = Sql::new(REVIEW_SELECT);
    q.push(" AND r.listing_id = ")
        .bind(listing)
        .push(" AND r.author_key = ")
        .bind(author_key);
    x.optional::<ReviewRow>(&q)
        .await?
        .map(review_from)
        .transpose()
}

/// An invitation to send (again).
struct InviteAttempt {
    id: String,
    email: String,
    /// The listing's title, for the e-mail.
    title: String,
    /// Attempts made before this one.
    attempts: i64,
}

/// What became of an attempt to send an invitation.
enum Delivery {
    Sent,
    /// Failed; it will be tried again.
    Retrying,
    /// Failed for good (why).
    Failed(String),
}

/// Tries again the review invitations the mail server did not take.
pub(crate) struct RetryInvites;

impl Job for RetryInvites {
    fn kind(&self) -> &'static str {
        "directory.invites"
    }

    fn schedule(&self) -> Schedule {
        Schedule::Every(TimeDelta::minutes(1))
    }

    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move {
            let (sent, failed) = store.retry_review_invites(now).await?;
            Ok(JobReport::default()
                .figure("invitations sent", sent)
                .figure("not sent", failed))
        })
    }
}

/// Where the review text is compared for repeats: the newest reviews across the directory.
const REPEAT_WINDOW: i64 = 200;

impl Store {
    /// A visitor asks for an invitation link to review the listing `slug`: the link goes to
    /// the e-mail given (so whoever writes through it owns the address). Rate-limited per
    /// client address and per e-mail. Without SMTP settings the invitation is recorded but
    /// cannot be sent, which the answer says.
    #[tracing::instrument(skip_all)]
    pub async fn request_review_invite(
        &self,
        slug: &str,
        client_key: &str,
        input: &ReviewInviteInput,
    ) -> Result<InviteSent> {
        let email = input.parse()?;
        let email = email.as_str().to_lowercase();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (listing_id, _, title, _) = public_listing_row(&mut tx, slug).await?;
        let mut q = Sql::new("SELECT created_at FROM directory_review_invites WHERE client_key = ");
        q.bind(client_key)
            .push(" AND created_at > ")
            .bind(now - lead::PER_ADDRESS.window);
        let from_address = times(&mut tx, &q).await?;
        let mut q = Sql::new("SELECT created_at FROM directory_review_invites WHERE email = ");
        q.bind(email.as_str())
            .push(" AND created_at > ")
            .bind(now - INVITES_PER_EMAIL.window);
        let to_email = times(&mut tx, &q).await?;
        if let Err(at) = lead::PER_ADDRESS
            .check(&from_address, now)
            .and_then(|()| INVITES_PER_EMAIL.check(&to_email, now))
        {
            return Err(rate_limited(now, at, "review.rate_limited"));
        }
        let token = secret::random_token("rv_");
        let id: DirectoryInviteId = new_id();
        let expires_at = now + INVITE_VALID;
        let mut q = Sql::new(
            "INSERT INTO directory_review_invites (id, listing_id, email, token_hash, client_key, expires_at, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(listing_id.as_str())
            .push(", ")
            .bind(email.as_str())
            .push(", ")
            .bind(secret::token_hash(&token))
            .push(", ")
            .bind(client_key)
            .push(", ")
            .bind(expires_at)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        tx.commit().await?;
        let attempt = InviteAttempt {
            id: id.to_string(),
            email: email.clone(),
            title,
            attempts: 0,
        };
        match self.send_invite(&attempt, &token, now).await? {
            Delivery::Sent => Ok(InviteSent {
                email,
                expires_at,
                retrying_until: None,
            }),
            Delivery::Retrying => Ok(InviteSent {
                email,
                expires_at,
                retrying_until: Some(now + RETRY_DELAYS.iter().copied().sum::<TimeDelta>()),
            }),
            Delivery::Failed(e) => Err(StoreError::conflict(
                "email",
                "review.invite_not_sent",
                format!("the invitation could not be sent just now ({e}); please try again later"),
            )),
        }
    }

    /// Sends invitation `a` with the link of `token`, and records the attempt: sent, or
    /// failed with when to try again (none without SMTP settings, after a permanent
    /// refusal or once the schedule is used up).
    async fn send_invite(
        &self,
        a: &InviteAttempt,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Delivery> {
        let link = format!(
            "{}/directory/reviews/{token}",
            self.notify.public_url.trim_end_matches('/')
        );
        let title = &a.title;
        let subject = format!("Your review of {title}");
        let body = format!(
            "Hello,\n\nsomeone (we hope you) asked to review \"{title}\" in our partner directory.\n\nWrite your review here (the link works once, for {} days):\n{link}\n\nIf you did not ask for this, ignore this e-mail.\n",
            INVITE_VALID.num_days()
        );
        // Sent now rather than from the e-mail outbox: that outbox is for users'
        // notifications (its rows name a user), and a visitor waits for this link.
        let outcome = match &self.notify.smtp {
            None => Err(("skipped: no SMTP configured".to_owned(), true)),
            Some(smtp) => match Mailer::new(smtp) {
                Err(e) => Err((e, false)),
                Ok(m) => match m.send(&a.id, &a.email, &subject, &body).await {
                    crate::notification::mail::Sent::Accepted { .. } => Ok(()),
                    crate::notification::mail::Sent::Refused { error, permanent } => {
                        Err((error, permanent))
                    }
                },
            },
        };
        let attempts = a.attempts + 1;
        let mut q = Sql::new("UPDATE directory_review_invites SET attempts = ");
        q.bind(attempts).push(", ");
        let delivery = match &outcome {
            Ok(()) => {
                q.push("sent_at = ")
                    .bind(self.now())
                    .push(", send_error = NULL, next_attempt_at = NULL");
                Delivery::Sent
            }
            Err((e, permanent)) => {
                tracing::warn!(invite = %a.id, attempts, error = %e, "review invitation not sent");
                let next = match after_failure(attempts, now, *permanent) {
                    AfterFailure::RetryAt(at) => Some(at),
                    AfterFailure::GiveUp => None,
                };
                q.push("send_error = ")
                    .bind(e.as_str())
                    .push(", next_attempt_at = ")
                    .bind(next);
                if next.is_some() {
                    Delivery::Retrying
                } else {
                    Delivery::Failed(e.clone())
                }
            }
        };
        q.push(" WHERE id = ").bind(a.id.as_str());
        let mut tx = self.db.begin_write().await?;
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(delivery)
    }

    /// Tries again the invitations due a retry (the `directory.invites` job): each gets a
    /// new link (the old one never reached anybody), at most 100 a run.
    pub async fn retry_review_invites(&self, now: DateTime<Utc>) -> Result<(usize, usize)> {
        row! {
            struct Due {
                id: String,
                email: String,
                title: String,
                attempts: i64,
            }
        }
        let mut q = Sql::new(
            "SELECT i.id, i.email, l.title, i.attempts FROM directory_review_invites i JOIN directory_listings l ON l.id = i.listing_id WHERE i.sent_at IS NULL AND i.used_at IS NULL AND i.next_attempt_at <= ",
        );
        q.bind(now)
            .push(" AND i.expires_at > ")
            .bind(now)
            .push(" ORDER BY i.next_attempt_at, i.id LIMIT 100");
        let due: Vec<Due> = self.db.read().all(&q).await?;
        let (mut sent, mut failed) = (0, 0);
        for d in due {
            let token = secret::random_token("rv_");
            // Claimed by rotating the link: another instance's run finds the row changed.
            let mut q = Sql::new("UPDATE directory_review_invites SET token_hash = ");
            q.bind(secret::token_hash(&token))
                .push(", next_attempt_at = NULL WHERE id = ")
                .bind(d.id.as_str())
                .push(" AND sent_at IS NULL AND attempts = ")
                .bind(d.attempts);
            let mut tx = self.db.begin_write().await?;
            let claimed = tx.execute(&q).await? == 1;
            tx.commit().await?;
            if !claimed {
                continue;
            }
            let attempt = InviteAttempt {
                id: d.id,
                email: d.email,
                title: d.title,
                attempts: d.attempts,
            };
            match self.send_invite(&attempt, &token, now).await? {
                Delivery::Sent => sent += 1,
                Delivery::Retrying | Delivery::Failed(_) => failed += 1,
            }
        }
        Ok((sent, failed))
    }

    /// The invitation behind a link, for the review form.
    pub async fn review_invite(&self, token: &str) -> Result<InviteView> {
        let mut read = self.db.read();
        let inv = invite_by_token(&mut read, token).await?;
        review::invite_usable(inv.expires_at, inv.used_at.is_some(), self.now())
            .map_err(super::refusal)?;
        let mut q = Sql::new(
            "SELECT l.title, l.slug FROM directory_listings l JOIN partners p ON p.id = l.partner_id WHERE l.id = ",
        );
        q.bind(inv.listing_id.as_str()).push(super::PUBLIC);
        row! { struct T { title: String, slug: String } }
        let t = read
            .optional::<T>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::DirectoryListing))?;
        let existing =
            existing_review(&mut read, &inv.listing_id, &format!("email:{}", inv.email)).await?;
        Ok(InviteView {
            listing_title: t.title,
            listing_slug: t.slug,
            email: inv.email,
            existing,
        })
    }

    /// A customer's review through an invitation link: the link is used up; a second review
    /// of the same e-mail replaces the first (one review per customer and listing) unless
    /// moderation hid or removed it. Spam signals raise a report by themselves.
    #[tracing::instrument(skip_all)]
    pub async fn submit_invited_review(
        &self,
        token: &str,
        input: &ReviewInput,
    ) -> Result<DirectoryReview> {
        let f = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let inv = invite_by_token(&mut tx, token).await?;
        review::invite_usable(inv.expires_at, inv.used_at.is_some(), now)
            .map_err(super::refusal)?;
        let mut q = Sql::new(
            "SELECT l.slug FROM directory_listings l JOIN partners p ON p.id = l.partner_id WHERE l.id = ",
        );
        q.bind(inv.listing_id.as_str()).push(super::PUBLIC);
        row! { struct S { slug: String } }
        let slug = tx
            .optional::<S>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::DirectoryListing))?
            .slug;
        let (listing_id, partner_id, _, _) = public_listing_row(&mut tx, &slug).await?;
        let mut q = Sql::new("UPDATE directory_review_invites SET used_at = ");
        q.bind(now)
            .push(" WHERE used_at IS NULL AND id = ")
            .bind(inv.id.as_str());
        if tx.execute(&q).await? != 1 {
            return Err(StoreError::conflict(
                "token",
                "review.invite_used",
                "this invitation link has been used; ask for a new one to change your review",
            ));
        }
        // The author's first appearance: their first invitation to any listing.
        let mut q = Sql::new(
            "SELECT MIN(created_at) AS created_at FROM directory_review_invites WHERE email = ",
        );
        q.bind(inv.email.as_str());
        row! { struct First { created_at: Option<DateTime<Utc>> } }
        let first_seen = tx
            .optional::<First>(&q)
            .await?
            .and_then(|f| f.created_at)
            .unwrap_or(inv.created_at);
        let name = f
            .author_name
            .clone()
            .unwrap_or_else(|| inv.email.split('@').next().unwrap_or("customer").to_owned());
        let review = self
            .write_review(
                &mut tx,
                &Actor::system("directory review link"),
                (&listing_id, &partner_id),
                ReviewAuthor::Customer,
                &format!("email:{}", inv.email),
                &name,
                None,
                &f,
            )
            .await?;
        self.flag_spam(&mut tx, &review, first_seen, now).await?;
        let review = review_in(&mut tx, &Scope::Vendor, review.id.as_str()).await?;
        tx.commit().await?;
        Ok(review)
    }

    /// A customer's review whose e-mail was verified outside this installation (the demo
    /// loader, an import of reviews from a previous directory): only the system may. The
    /// one-review rule applies as to a review through an invitation link.
    #[tracing::instrument(skip_all)]
    pub async fn import_customer_review(
        &self,
        actor: &Actor,
        listing_id: &str,
        email: &str,
        input: &ReviewInput,
    ) -> Result<DirectoryReview> {
        if !matches!(actor, Actor::System(_)) {
            return Err(StoreError::Forbidden(partnerops_core::scope::Denied {
                rule: "role.import_review",
                message: "import customer reviews: the system only (customers review through an invitation link)".into(),
            }));
        }
        let email = ReviewInviteInput {
            email: Some(email.to_owned()),
        }
        .parse()?
        .as_str()
        .to_lowercase();
        let f = input.parse()?;
        let mut tx = self.db.begin_write().await?;
        let (listing, _) =
            super::listing_in(&mut tx, self.now(), &Scope::Vendor, listing_id).await?;
        let name = f
            .author_name
            .clone()
            .unwrap_or_else(|| email.split('@').next().unwrap_or("customer").to_owned());
        let review = self
            .write_review(
                &mut tx,
                actor,
                (&listing.id, &listing.partner_id),
                ReviewAuthor::Customer,
                &format!("email:{email}"),
                &name,
                None,
                &f,
            )
            .await?;
        tx.commit().await?;
        Ok(review)
    }

    /// A review by vendor staff (signed in), one per staff member and listing.
    #[tracing::instrument(skip_all)]
    pub async fn write_staff_review(
        &self,
        actor: &Actor,
        listing_id: &str,
        input: &ReviewInput,
    ) -> Result<DirectoryReview> {
        let (Scope::Vendor, Some(user)) = (actor.scope(), actor.user_id().cloned()) else {
            return Err(StoreError::Forbidden(partnerops_core::scope::Denied {
                rule: "role.staff_review",
                message: "write a review as vendor staff: partners review nobody's listings, customers review through an invitation link".into(),
            }));
        };
        let f = input.parse()?;
        let mut tx = self.db.begin_write().await?;
        let (listing, _) =
            super::listing_in(&mut tx, self.now(), &Scope::Vendor, listing_id).await?;
        if listing.status != ListingStatus::Published {
            return Err(StoreError::conflict(
                "listing_id",
                "review.not_published",
                "only a published listing can be reviewed",
            ));
        }
        let name = match actor {
            Actor::User(p) => p.display_name.clone(),
            Actor::System(l) => l.clone(),
        };
        let review = self
            .write_review(
                &mut tx,
                actor,
                (&listing.id, &listing.partner_id),
                ReviewAuthor::Staff,
                &format!("user:{}", user.as_str()),
                &name,
                Some(user.as_str()),
                &f,
            )
            .await?;
        tx.commit().await?;
        Ok(review)
    }

    /// Creates or replaces the author's review (the one-review rule), audited on the review.
    #[allow(clippy::too_many_arguments)]
    async fn write_review(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        (listing, partner): (&DirectoryListingId, &PartnerId),
        kind: ReviewAuthor,
        author_key: &str,
        author_name: &str,
        author_user: Option<&str>,
        f: &review::ReviewFields,
    ) -> Result<DirectoryReview> {
        let now = self.now();
        let before = existing_review(tx, listing.as_str(), author_key).await?;
        let write = review::write(before.as_ref().map(|r| Existing { state: r.state }))
            .map_err(|r| StoreError::conflict("listing_id", r.rule, r.message))?;
        let id = match (&write, &before) {
            (Write::Update, Some(b)) => {
                let mut q = Sql::new("UPDATE directory_reviews SET rating = ");
                q.bind(i64::from(f.rating.get()))
                    .push(", body = ")
                    .bind(f.body.as_str())
                    .push(", author_name = ")
                    .bind(author_name)
                    .push(", updated_at = ")
                    .bind(now)
                    .push(" WHERE state = 'visible' AND id = ")
                    .bind(b.id.as_str());
                if tx.execute(&q).await? != 1 {
                    return Err(StoreError::conflict(
                        "listing_id",
                        "review.changed",
                        "the review changed meanwhile; reload it",
                    ));
                }
                b.id.clone()
            }
            _ => {
                let id: DirectoryReviewId = new_id();
                let mut q = Sql::new(
                    "INSERT INTO directory_reviews (id, listing_id, partner_id, author_kind, author_key, author_name, author_user_id, rating, body, state, created_at, updated_at) VALUES (",
                );
                q.bind(id.as_str())
                    .push(", ")
                    .bind(listing.as_str())
                    .push(", ")
                    .bind(partner.as_str())
                    .push(", ")
                    .bind(kind.as_str())
                    .push(", ")
                    .bind(author_key)
                    .push(", ")
                    .bind(author_name)
                    .push(", ")
                    .bind(author_user)
                    .push(", ")
                    .bind(i64::from(f.rating.get()))
                    .push(", ")
                    .bind(f.body.as_str())
                    .push(", 'visible', ")
                    .bind(now)
                    .push(", ")
                    .bind(now)
                    .push(") ON CONFLICT (listing_id, author_key) DO NOTHING");
                if tx.execute(&q).await? != 1 {
                    return Err(StoreError::conflict(
                        "listing_id",
                        "review.one_per_author",
                        "you have reviewed this listing already (one review per author and listing)",
                    ));
                }
                id
            }
        };
        let after = review_in(tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            tx,
            now,
            actor,
            EntityKind::DirectoryReview,
            id.as_str(),
            if before.is_some() {
                AuditAction::Updated
            } else {
                AuditAction::Created
            },
            Some(partner),
            before.as_ref(),
            Some(&after),
        )
        .await?;
        Ok(after)
    }

    /// Raises a report on `review` when spam signals fire.
    async fn flag_spam(
        &self,
        tx: &mut Tx,
        review: &DirectoryReview,
        first_seen: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut q = Sql::new("SELECT body FROM directory_reviews WHERE id <> ");
        q.bind(review.id.as_str())
            .push(" ORDER BY created_at DESC LIMIT ")
            .bind(REPEAT_WINDOW);
        row! { struct B { body: String } }
        let others: Vec<String> = tx.all::<B>(&q).await?.into_iter().map(|b| b.body).collect();
        let signals = spam_signals(&SpamFacts {
            text: &review.body,
            author_first_seen: first_seen,
            now,
            other_texts: &others,
        });
        if signals.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = signals.iter().map(|s| s.as_str()).collect();
        let labels: Vec<&str> = signals.iter().map(|s| s.label()).collect();
        super::moderation::insert_report(
            tx,
            now,
            super::moderation::NewReport {
                listing: &review.listing_id,
                partner: &review.partner_id,
                review: Some(&review.id),
                source: partnerops_core::directory::moderation::ReportSource::Signal,
                reason: &names.join(","),
                detail: Some(&labels.join("; ")),
                client_key: None,
            },
        )
        .await?;
        Ok(())
    }

    /// The partner's public answer to a review of its listing: written once, then edited.
    #[tracing::instrument(skip_all, fields(review_id = %id))]
    pub async fn answer_review(
        &self,
        actor: &Actor,
        id: &str,
        input: &ReviewAnswerInput,
    ) -> Result<DirectoryReview> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // Found (in scope) before the input is judged: another partner's review is 404.
        let before = review_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WriteListing(&before.partner_id))?;
        let answer = input.parse()?;
        review::may_answer(before.state).map_err(super::refusal)?;
        let mut q = Sql::new("UPDATE directory_reviews SET answer = ");
        q.bind(answer.as_str())
            .push(", answered_at = ")
            .bind(now)
            .push(", answered_by = ")
            .bind(actor.user_id().map(EntityId::as_str))
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = review_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryReview,
            id,
            AuditAction::Updated,
            Some(&before.partner_id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Reviews in `scope` (a partner: of its own listings, in every state), newest first;
    /// narrowed to a listing or a state when named.
    pub async fn directory_reviews(
        &self,
        scope: &Scope,
        listing: Option<&str>,
        state: Option<ModerationState>,
    ) -> Result<Vec<DirectoryReview>> {
        let mut q = Sql::new(REVIEW_SELECT);
        if let Some(l) = listing {
            q.push(" AND r.listing_id = ").bind(l);
        }
        if let Some(s) = state {
            q.push(" AND r.state = ").bind(s.as_str());
        }
        scope::restrict(&mut q, scope, EntityKind::DirectoryReview, "r");
        q.push(" ORDER BY r.created_at DESC, r.id DESC LIMIT 1000");
        self.db
            .read()
            .all::<ReviewRow>(&q)
            .await?
            .into_iter()
            .map(review_from)
            .collect()
    }

    pub async fn directory_review(&self, scope: &Scope, id: &str) -> Result<DirectoryReview> {
        review_in(&mut self.db.read(), scope, id).await
    }

    /// The visible reviews of a public listing, newest first (the public page).
    pub async fn public_reviews(
        &self,
        listing: &DirectoryListingId,
    ) -> Result<Vec<DirectoryReview>> {
        let mut q = Sql::new(REVIEW_SELECT);
        q.push(" AND r.state = 'visible' AND r.listing_id = ")
            .bind(listing.as_str())
            .push(" ORDER BY r.created_at DESC, r.id DESC LIMIT 100");
        self.db
            .read()
            .all::<ReviewRow>(&q)
            .await?
            .into_iter()
            .map(review_from)
            .collect()
    }
}
