//! Credentials: API tokens, browser sessions and password logins (throttled).
//!
//! Tokens and session ids are random 256-bit secrets kept only as SHA-256 hashes, so a copy
//! of the database does not let anyone sign in. Archived users, and users of archived
//! partners, are refused everywhere here.

use chrono::{DateTime, Duration, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::email::Email;
use partnerops_core::ids::{EntityId, PartnerId, TokenId, UserId};
use partnerops_core::scope::{Action, Principal};
use partnerops_core::throttle::ThrottlePolicy;
use partnerops_core::token::TokenScope;
use partnerops_core::user::{ApiToken, NewTokenInput, Role, User};

use crate::db::{Exec, Sql, row};
use crate::entity;
use crate::{Actor, Result, Store, StoreError, audit, new_id, secret};

/// How long a browser session lasts from sign-in.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

/// Token use is recorded at most this often, so reads stay reads.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(5);

/// Whether a token's use at `now` is to be recorded (see [`LAST_USED_GRANULARITY`]).
fn last_use_due(last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|t| now - t > LAST_USED_GRANULARITY)
}

/// How long a live token's grant is answered from memory. A revoked token, or a token of
/// a user or partner archived meanwhile, stops working within this time on every instance;
/// on the instance that revoked or archived, at once ([`grants::Grants::forget_all`]).
pub const GRANT_FRESHNESS: std::time::Duration = std::time::Duration::from_secs(1);

/// Live token grants recently read from the database, per instance. Every API request
/// looked its token up (a join of tokens, users and partners) before doing its own work;
/// a client that calls in a loop now pays that once a second. Only live grants are kept:
/// an unknown secret is looked up every time, so a token is usable the moment it is
/// created. Ages are measured on the monotonic clock, not the store's (which tests set).
pub(crate) mod grants {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::Instant;

    use chrono::{DateTime, Utc};

    use super::{GRANT_FRESHNESS, TokenGrant};

    /// Grants kept before the stale ones are dropped.
    const MAX: usize = 10_000;

    /// What was read about a live token.
    #[derive(Clone)]
    pub(crate) struct Known {
        pub grant: TokenGrant,
        pub expires_at: Option<DateTime<Utc>>,
        pub last_used_at: Option<DateTime<Utc>>,
    }

    /// Token hash → (when read, what was read).
    #[derive(Clone, Default)]
    pub(crate) struct Grants(Arc<Mutex<HashMap<String, (Instant, Known)>>>);

    impl Grants {
        fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Known)>> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// The grant of `hash` if it was read less than [`GRANT_FRESHNESS`] ago.
        pub fn fresh(&self, hash: &str) -> Option<Known> {
            let map = self.map();
            let (read_at, known) = map.get(hash)?;
            (read_at.elapsed() < GRANT_FRESHNESS).then(|| known.clone())
        }

        pub fn remember(&self, hash: String, known: Known) {
            let mut map = self.map();
            if map.len() >= MAX {
                map.retain(|_, (read_at, _)| read_at.elapsed() < GRANT_FRESHNESS);
            }
            map.insert(hash, (Instant::now(), known));
        }

        /// Drops every grant read: after a change that may end one (a token revoked, a
        /// user or partner archived, a role changed), so this instance sees it at once.
        pub fn forget_all(&self) {
            self.map().clear();
        }
    }
}

/// Users who may act: live, and (for partner users) of a live partner.
const ACTIVE_USER: &str = "u.archived_at IS NULL AND (u.partner_id IS NULL OR EXISTS (SELECT 1 FROM partners ap WHERE ap.id = u.partner_id AND ap.archived_at IS NULL))";

row! {
    struct PrincipalRow {
        user_id: String,
        display_name: String,
        role: String,
        partner_id: Option<String>,
    }
}

impl PrincipalRow {
    fn into_principal(self) -> Result<Principal> {
        let role = Role::parse("role", &self.role).map_err(|e| StoreError::Corrupt(e.message))?;
        Principal::new(
            UserId::from_trusted(self.user_id),
            self.display_name,
            role,
            self.partner_id.map(PartnerId::from_trusted),
        )
        .ok_or_else(|| StoreError::Corrupt("user role and partner disagree".into()))
    }
}

row! {
    struct TokenRow {
        id: String,
        user_id: String,
        name: String,
        created_at: DateTime<Utc>,
        last_used_at: Option<DateTime<Utc>>,
        revoked_at: Option<DateTime<Utc>>,
        scopes: String,
        expires_at: Option<DateTime<Utc>>,
    }
}

/// The columns of [`TokenRow`].
const TOKEN_COLUMNS: &str =
    "id, user_id, name, created_at, last_used_at, revoked_at, scopes, expires_at";

impl TokenRow {
    fn into_token(self) -> Result<ApiToken> {
        Ok(ApiToken {
            id: TokenId::from_trusted(self.id),
            user_id: UserId::from_trusted(self.user_id),
            name: self.name,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
            scopes: entity::json_column("scopes", &self.scopes)?,
            expires_at: self.expires_at,
        })
    }
}

/// What a bearer secret is worth.
#[derive(Clone, Debug)]
pub enum TokenCheck {
    /// A live token of a user who may act.
    Live(TokenGrant),
    /// The token was good but its time is up.
    Expired,
    /// No such token, revoked, or its user may not act.
    Unknown,
}

/// A live token: who it acts as and what it may reach.
#[derive(Clone, Debug)]
pub struct TokenGrant {
    pub principal: Principal,
    pub token_id: TokenId,
    pub scopes: Vec<TokenScope>,
}

/// A new browser session: the cookie value (secret) and its CSRF token.
pub struct NewSession {
    pub cookie: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in browser session.
#[derive(Clone, Debug)]
pub struct Session {
    pub principal: Principal,
    pub csrf: String,
}

row! {
    struct LoginRow {
        id: String,
        password_hash: Option<String>,
        active: i64,
    }
}

row! {
    struct AttemptRow {
        at: DateTime<Utc>,
    }
}

impl Store {
    /// Creates an API token and returns it with its secret, which is shown this once. The
    /// token is `owner`'s unless the input names another user (`user_id`): someone who
    /// manages that user (`Action::WriteUser`: an administrator, a channel manager for
    /// partner users, a partner admin for its own partner's users) may make one for them;
    /// a user of another partner is not found. The system (CLI) may make any, including
    /// one that never expires.
    #[tracing::instrument(skip_all, fields(owner = %owner))]
    pub async fn create_token(
        &self,
        actor: &Actor,
        owner: &UserId,
        input: &NewTokenInput,
    ) -> Result<(ApiToken, String)> {
        let now = self.now();
        let operator = matches!(actor, Actor::System(_));
        let new = input.parse(now, operator)?;
        let user_id = new.user_id.as_ref().unwrap_or(owner);
        let user: User =
            entity::fetch(&mut self.db.read(), &actor.scope(), user_id.as_str()).await?;
        if actor.user_id().is_some_and(|me| me != user_id) {
            actor.authorize(&Action::WriteUser {
                role: user.role,
                partner: user.partner_id.as_ref(),
            })?;
        }
        if user.archived_at.is_some() {
            return Err(StoreError::conflict("user", "live", "the user is archived"));
        }
        let secret = secret::random_token("po_");
        let id: TokenId = new_id();
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, scopes, expires_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(user_id.as_str())
            .push(", ")
            .bind(new.name.as_str())
            .push(", ")
            .bind(secret::token_hash(&secret))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(entity::to_json(&new.scopes)?)
            .push(", ")
            .bind(new.expires_at)
            .push(")");
        tx.execute(&q).await?;
        let token = ApiToken {
            id: id.clone(),
            user_id: user_id.clone(),
            name: new.name,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
            scopes: new.scopes,
            expires_at: new.expires_at,
        };
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::ApiToken,
            id.as_str(),
            AuditAction::Created,
            user.partner_id.as_ref(),
            None::<&()>,
            Some(&token),
        )
        .await?;
        tx.commit().await?;
        Ok((token, secret))
    }

    /// The user's own tokens, newest first.
    #[tracing::instrument(skip_all, fields(user_id = %user_id))]
    pub async fn tokens(&self, user_id: &UserId) -> Result<Vec<ApiToken>> {
        let mut q = Sql::new(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = "
        ));
        q.bind(user_id.as_str())
            .push(" ORDER BY created_at DESC, id DESC");
        let rows: Vec<TokenRow> = self.db.read().all(&q).await?;
        rows.into_iter().map(TokenRow::into_token).collect()
    }

    /// Revokes a token: the actor's own, or one of a user the actor manages (the same rule
    /// as making one for them); the system may revoke any. Others' tokens are not found.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<ApiToken> {
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = "
        ));
        q.bind(id);
        let before: ApiToken = tx
            .optional::<TokenRow>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::ApiToken))?
            .into_token()?;
        if actor.user_id().is_some_and(|me| *me != before.user_id) {
            let user: User = entity::fetch(&mut tx, &actor.scope(), before.user_id.as_str())
                .await
                .map_err(|_| StoreError::NotFound(EntityKind::ApiToken))?;
            actor
                .authorize(&Action::WriteUser {
                    role: user.role,
                    partner: user.partner_id.as_ref(),
                })
                .map_err(|_| StoreError::NotFound(EntityKind::ApiToken))?;
        }
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let now = self.now();
        tx.execute(
            Sql::new("UPDATE api_tokens SET revoked_at = ")
                .bind(now)
                .push(" WHERE id = ")
                .bind(id),
        )
        .await?;
        let after = ApiToken {
            revoked_at: Some(now),
            ..before.clone()
        };
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::ApiToken,
            id,
            AuditAction::Revoked,
            actor.partner_id(),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        self.grants.forget_all();
        Ok(after)
    }

    /// What a bearer secret is worth: a live token with its principal and scopes, an
    /// expired one (answered 401 saying so), or nothing. A live grant read less than
    /// [`GRANT_FRESHNESS`] ago is answered from this instance's memory ([`grants`]).
    #[tracing::instrument(skip_all)]
    pub async fn check_token(&self, secret: &str) -> Result<TokenCheck> {
        row! {
            struct Row {
                token_id: String,
                last_used_at: Option<DateTime<Utc>>,
                scopes: String,
                expires_at: Option<DateTime<Utc>>,
                user_id: String,
                display_name: String,
                role: String,
                partner_id: Option<String>,
            }
        }
        let hash = secret::token_hash(secret);
        let now = self.now();
        if let Some(known) = self.grants.fresh(&hash) {
            if known.expires_at.is_some_and(|t| t <= now) {
                return Ok(TokenCheck::Expired);
            }
            if !last_use_due(known.last_used_at, now) {
                return Ok(TokenCheck::Live(known.grant));
            }
        }
        let mut q = Sql::new(
            "SELECT t.id AS token_id, t.last_used_at, t.scopes, t.expires_at, u.id AS user_id, u.display_name, u.role, u.partner_id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.revoked_at IS NULL AND t.token_hash = ",
        );
        q.bind(hash.as_str()).push(&format!(" AND {ACTIVE_USER}"));
        let Some(row) = self.db.read().optional::<Row>(&q).await? else {
            return Ok(TokenCheck::Unknown);
        };
        if row.expires_at.is_some_and(|t| t <= now) {
            return Ok(TokenCheck::Expired);
        }
        let mut last_used_at = row.last_used_at;
        if last_use_due(last_used_at, now) {
            let mut tx = self.db.begin_write().await?;
            tx.execute(
                Sql::new("UPDATE api_tokens SET last_used_at = ")
                    .bind(now)
                    .push(" WHERE id = ")
                    .bind(row.token_id.as_str()),
            )
            .await?;
            tx.commit().await?;
            last_used_at = Some(now);
        }
        let scopes: Vec<TokenScope> = entity::json_column("scopes", &row.scopes)?;
        let principal = PrincipalRow {
            user_id: row.user_id,
            display_name: row.display_name,
            role: row.role,
            partner_id: row.partner_id,
        }
        .into_principal()?;
        let grant = TokenGrant {
            principal,
            token_id: TokenId::from_trusted(row.token_id),
            scopes,
        };
        self.grants.remember(
            hash,
            grants::Known {
                grant: grant.clone(),
                expires_at: row.expires_at,
                last_used_at,
            },
        );
        Ok(TokenCheck::Live(grant))
    }

    /// The principal behind a bearer token, if the token is live and its user may act.
    pub async fn principal_for_token(&self, secret: &str) -> Result<Option<Principal>> {
        Ok(match self.check_token(secret).await? {
            TokenCheck::Live(g) => Some(g.principal),
            TokenCheck::Expired | TokenCheck::Unknown => None,
        })
    }

    /// Checks an e-mail and password, throttled per account and per client address. Every
    /// attempt is recorded; the answer never tells whether the address exists.
    #[tracing::instrument(skip_all)]
    pub async fn login(&self, email: &str, password: &str, client: &str) -> Result<Principal> {
        let now = self.now();
        let email_key = Email::parse("email", email)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| email.trim().to_lowercase());
        let since = now
            - ThrottlePolicy::PER_ACCOUNT
                .window
                .max(ThrottlePolicy::PER_CLIENT.window);
        let failures = |column: &str, key: &str| {
            let mut q = Sql::new(&format!(
                "SELECT at FROM login_attempts WHERE outcome = 'failure' AND {column} = "
            ));
            q.bind(key).push(" AND at > ").bind(since);
            q
        };
        let by_email: Vec<AttemptRow> = self.db.read().all(&failures("email", &email_key)).await?;
        let by_client: Vec<AttemptRow> = self.db.read().all(&failures("client", client)).await?;
        let times = |rows: &[AttemptRow]| rows.iter().map(|r| r.at).collect::<Vec<_>>();
        let verdict = ThrottlePolicy::PER_ACCOUNT
            .check(&times(&by_email), now)
            .and_then(|()| ThrottlePolicy::PER_CLIENT.check(&times(&by_client), now));
        if let Err(retry_at) = verdict {
            return Err(StoreError::Throttled { retry_at });
        }

        let mut q = Sql::new(&format!(
            "SELECT u.id, u.password_hash, CAST(CASE WHEN {ACTIVE_USER} THEN 1 ELSE 0 END AS BIGINT) AS active FROM users u WHERE u.email = "
        ));
        q.bind(email_key.as_str());
        let user: Option<LoginRow> = self.db.read().optional(&q).await?;
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let ok = secret::verify_password(password.to_owned(), hash).await?
            && user.as_ref().is_some_and(|u| u.active == 1);

        let mut tx = self.db.begin_write().await?;
        let mut q =
            Sql::new("INSERT INTO login_attempts (id, email, client, outcome, at) VALUES (");
        q.bind(new_id::<TokenId>().as_str())
            .push(", ")
            .bind(email_key.as_str())
            .push(", ")
            .bind(client)
            .push(", ")
            .bind(if ok { "success" } else { "failure" })
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        tx.commit().await?;
        match user {
            Some(u) if ok => self.principal_of(&u.id).await,
            _ => Err(StoreError::BadCredentials),
        }
    }

    /// The principal of a user who may sign in (else `BadCredentials`): what the CLI acts
    /// as when it shows a user's own view, e.g. their agenda.
    pub async fn principal_of(&self, user_id: &str) -> Result<Principal> {
        let mut q = Sql::new(&format!(
            "SELECT u.id AS user_id, u.display_name, u.role, u.partner_id FROM users u WHERE {ACTIVE_USER} AND u.id = "
        ));
        q.bind(user_id);
        let row: Option<PrincipalRow> = self.db.read().optional(&q).await?;
        row.ok_or(StoreError::BadCredentials)?.into_principal()
    }

    /// Starts a browser session for a signed-in user.
    #[tracing::instrument(skip_all, fields(user_id = %user_id))]
    pub async fn create_session(&self, user_id: &UserId) -> Result<NewSession> {
        let cookie = secret::random_token("");
        let csrf = secret::random_token("");
        let now = self.now();
        let expires_at = now + SESSION_LIFETIME;
        let mut tx = self.db.begin_write().await?;
        // Expired sessions are swept here, where a write happens anyway.
        tx.execute(Sql::new("DELETE FROM sessions WHERE expires_at < ").bind(now))
            .await?;
        let mut q = Sql::new(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (",
        );
        q.bind(secret::token_hash(&cookie))
            .push(", ")
            .bind(user_id.as_str())
            .push(", ")
            .bind(csrf.as_str())
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(expires_at)
            .push(")");
        tx.execute(&q).await?;
        // A partner user's sign-in is an engagement signal.
        row! { struct OfPartner { partner_id: Option<String> } }
        let mut q = Sql::new("SELECT partner_id FROM users WHERE id = ");
        q.bind(user_id.as_str());
        if let Some(partner) = tx
            .optional::<OfPartner>(&q)
            .await?
            .and_then(|r| r.partner_id)
        {
            crate::engagement::record(
                &mut tx,
                now,
                &partnerops_core::ids::PartnerId::from_trusted(partner),
                user_id,
                partnerops_core::engagement::EngagementKind::PortalSignIn,
                user_id.as_str(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(NewSession {
            cookie,
            csrf,
            expires_at,
        })
    }

    /// The session behind a cookie, if live and its user may act.
    #[tracing::instrument(skip_all)]
    pub async fn session(&self, cookie: &str) -> Result<Option<Session>> {
        row! {
            struct Row {
                csrf_token: String,
                user_id: String,
                display_name: String,
                role: String,
                partner_id: Option<String>,
            }
        }
        let mut q = Sql::new(
            "SELECT s.csrf_token, u.id AS user_id, u.display_name, u.role, u.partner_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ",
        );
        q.bind(secret::token_hash(cookie))
            .push(" AND s.expires_at > ")
            .bind(self.now())
            .push(&format!(" AND {ACTIVE_USER}"));
        let Some(row) = self.db.read().optional::<Row>(&q).await? else {
            return Ok(None);
        };
        let principal = PrincipalRow {
            user_id: row.user_id,
            display_name: row.display_name,
            role: row.role,
            partner_id: row.partner_id,
        }
        .into_principal()?;
        Ok(Some(Session {
            principal,
            csrf: row.csrf_token,
        }))
    }

    #[tracing::instrument(skip_all)]
    pub async fn end_session(&self, cookie: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            Sql::new("DELETE FROM sessions WHERE id_hash = ").bind(secret::token_hash(cookie)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
