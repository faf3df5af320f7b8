//! Users: vendor staff and partner users.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::email::Email;
use partnerops_core::ids::{EntityId, PartnerId, UserId};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::partner::Partner;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::user::{NewUser, NewUserInput, Role, User, UserPatch, UserPatchInput};
use partnerops_core::{FieldError, Invalid};

use crate::db::{Exec, Sql, Tx, UniqueRule, row, unique_violation};
use crate::entity::{self, Archived, Entity};
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope, secret};

row! {
    pub(crate) struct UserRow {
        id: String,
        email: String,
        display_name: String,
        role: String,
        partner_id: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        archived_at: Option<DateTime<Utc>>,
    }
}

const EMAIL_TAKEN: UniqueRule = UniqueRule {
    index: "users_email",
    sqlite_columns: "users.email",
};

impl Entity for User {
    const KIND: EntityKind = EntityKind::User;
    const TABLE: &'static str = "users";
    // Never the password hash.
    const SELECT: &'static str = "SELECT users.id, users.email, users.display_name, users.role, users.partner_id, users.created_at, users.updated_at, users.archived_at FROM users users WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("display_name", "users.display_name"),
        ("email", "users.email"),
        ("created_at", "users.created_at"),
    ];
    type Row = UserRow;

    fn from_row(r: UserRow) -> Result<User> {
        Ok(User {
            id: UserId::from_trusted(r.id),
            email: Email::from_trusted(r.email),
            display_name: r.display_name,
            role: Role::parse("role", &r.role)
                .map_err(|e: FieldError| StoreError::Corrupt(e.message))?,
            partner_id: r.partner_id.map(PartnerId::from_trusted),
            created_at: r.created_at,
            updated_at: r.updated_at,
            archived_at: r.archived_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        self.partner_id.clone()
    }

    fn archive_action(&self) -> Action<'_> {
        Action::WriteUser {
            role: self.role,
            partner: self.partner_id.as_ref(),
        }
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "email" => SortKey::Text(self.email.to_string()),
            "created_at" => SortKey::Time(self.created_at),
            _ => SortKey::Text(self.display_name.clone()),
        }
    }
}

/// Filters for a user list.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Part of the name or e-mail address.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub partner_id: Option<PartnerId>,
    /// Only vendor staff (`Some(true)`) or only partner users (`Some(false)`).
    pub staff: Option<bool>,
    pub archived: Archived,
}

/// Inserts a user inside a transaction (its password already hashed, if it has one).
pub(crate) async fn insert(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    new: &NewUser,
    hash: Option<String>,
) -> Result<User> {
    let id: UserId = new_id();
    let mut q = Sql::new(
        "INSERT INTO users (id, email, display_name, role, partner_id, password_hash, created_at, updated_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(new.email.as_str())
        .push(", ")
        .bind(new.display_name.as_str())
        .push(", ")
        .bind(new.role.as_str())
        .push(", ")
        .bind(new.partner_id.as_ref().map(|p| p.as_str()))
        .push(", ")
        .bind(hash)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await.map_err(|e| {
        if unique_violation(&e, &EMAIL_TAKEN) {
            StoreError::conflict(
                "email",
                "unique",
                "a user with this e-mail address already exists",
            )
        } else {
            e.into()
        }
    })?;
    let user: User = entity::fetch(tx, &Scope::Vendor, id.as_str()).await?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::User,
        id.as_str(),
        AuditAction::Created,
        user.partner_id.as_ref(),
        None::<&()>,
        Some(&user),
    )
    .await?;
    Ok(user)
}

impl Store {
    pub fn user_sorts() -> Vec<&'static str> {
        entity::sort_names::<User>()
    }

    /// Creates a user. A partner admin creates users in its own partner only; vendor staff
    /// name the partner for partner roles.
    #[tracing::instrument(skip_all)]
    pub async fn create_user(&self, actor: &Actor, input: &NewUserInput) -> Result<User> {
        let mut new = NewUser::parse(input)?;
        let scope = actor.scope();
        if new.role.is_partner_role() {
            match (&scope, &new.partner_id) {
                (Scope::Partner(own), None) => new.partner_id = Some(own.clone()),
                (_, None) => {
                    return Err(Invalid::one(
                        "partner_id",
                        "required",
                        "partner_id is required for partner roles",
                    )
                    .into());
                }
                (_, Some(_)) => {}
            }
        } else if let Scope::Partner(_) = scope {
            // A partner user cannot create staff; say so as a role rule, not a missing record.
            actor.authorize(&Action::WriteUser {
                role: new.role,
                partner: None,
            })?;
        }
        // The partner must be one the actor can see: another partner's id reads as unknown.
        if let Some(p) = &new.partner_id {
            match entity::fetch::<Partner>(&mut self.db.read(), &scope, p.as_str()).await {
                Ok(partner) if partner.archived_at.is_none() => {}
                Ok(_) => {
                    return Err(
                        Invalid::one("partner_id", "live", "the partner is archived").into(),
                    );
                }
                Err(StoreError::NotFound(_)) => {
                    return Err(Invalid::one(
                        "partner_id",
                        "exists",
                        "partner_id names no partner",
                    )
                    .into());
                }
                Err(e) => return Err(e),
            }
        }
        actor.authorize(&Action::WriteUser {
            role: new.role,
            partner: new.partner_id.as_ref(),
        })?;
        let hash = match &new.password {
            Some(p) => Some(secret::hash_password(p.expose().to_owned()).await?),
            None => None,
        };
        let mut tx = self.db.begin_write().await?;
        let user = insert(&mut tx, self.now(), actor, &new, hash).await?;
        tx.commit().await?;
        Ok(user)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn user(&self, scope: &Scope, id: &str) -> Result<User> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    /// Looks a user up by e-mail address, as `scope` sees users (the CLI passes vendor
    /// scope; a partner finds only its own users). Sign-in does not come here.
    #[tracing::instrument(skip_all)]
    pub async fn user_by_email(&self, scope: &Scope, email: &str) -> Result<User> {
        let email = Email::parse("email", email).map_err(|e| Invalid { errors: vec![e] })?;
        let mut q = Sql::new(User::SELECT);
        q.push(" AND users.email = ").bind(email.as_str());
        scope::restrict(&mut q, scope, EntityKind::User, User::TABLE);
        let row: Option<UserRow> = self.db.read().optional(&q).await?;
        User::from_row(row.ok_or(StoreError::NotFound(EntityKind::User))?)
    }

    #[tracing::instrument(skip_all)]
    pub async fn users(
        &self,
        scope: &Scope,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        entity::list(self, scope, filter.archived, page, |q| {
            if let Some(needle) = filter.q.as_deref() {
                entity::push_contains(q, "users.display_name || ' ' || users.email", needle);
            }
            if let Some(r) = filter.role {
                q.push(" AND users.role = ").bind(r.as_str());
            }
            if let Some(p) = &filter.partner_id {
                q.push(" AND users.partner_id = ").bind(p.as_str());
            }
            match filter.staff {
                Some(true) => q.push(" AND users.partner_id IS NULL"),
                Some(false) => q.push(" AND users.partner_id IS NOT NULL"),
                None => q,
            };
        })
        .await
    }

    /// Changes a user. Anyone may change their own name and password; changing someone
    /// else, or any role, needs the role rule for both the old and the new role. A partner
    /// role stays a partner role (the user's partner never changes).
    /// [`Store::update_user_if`] without a precondition.
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: &str,
        input: &UserPatchInput,
    ) -> Result<User> {
        self.update_user_if(actor, id, input, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_user_if(
        &self,
        actor: &Actor,
        id: &str,
        input: &UserPatchInput,
        precondition: &crate::etag::Precondition,
    ) -> Result<User> {
        let patch = UserPatch::parse(input)?;
        let mut tx = self.db.begin_write().await?;
        let before: User =
            entity::fetch_for_change(&mut tx, &actor.scope(), id, precondition).await?;
        let is_self = actor.user_id() == Some(&before.id);
        let role_changes = patch.role.is_some_and(|r| r != before.role);
        if !is_self || role_changes {
            actor.authorize(&Action::WriteUser {
                role: before.role,
                partner: before.partner_id.as_ref(),
            })?;
        }
        if let Some(new_role) = patch.role.filter(|_| role_changes) {
            if new_role.is_partner_role() != before.role.is_partner_role() {
                return Err(Invalid::one(
                    "role",
                    "same_kind",
                    "a partner user keeps a partner role and staff keep a staff role",
                )
                .into());
            }
            actor.authorize(&Action::WriteUser {
                role: new_role,
                partner: before.partner_id.as_ref(),
            })?;
        }
        let hash = match &patch.password {
            Some(p) => Some(secret::hash_password(p.expose().to_owned()).await?),
            None => None,
        };
        let now = self.now();
        let mut q = Sql::new("UPDATE users SET updated_at = ");
        q.bind(now);
        if let Some(name) = &patch.display_name {
            q.push(", display_name = ").bind(name.as_str());
        }
        if let Some(role) = patch.role {
            q.push(", role = ").bind(role.as_str());
        }
        if let Some(hash) = &hash {
            q.push(", password_hash = ").bind(hash.as_str());
        }
        q.push(" WHERE id = ").bind(id);
        tx.execute(&q).await?;
        if hash.is_some() {
            // A new password ends every browser session of the user.
            tx.execute(Sql::new("DELETE FROM sessions WHERE user_id = ").bind(id))
                .await?;
        }
        let after = crate::change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            crate::change::Change::updated(),
        )
        .await?;
        tx.commit().await?;
        if role_changes {
            self.grants.forget_all();
        }
        Ok(after)
    }

    /// Archives a user: they can no longer sign in or use their tokens.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn archive_user(&self, actor: &Actor, id: &str) -> Result<User> {
        if actor.user_id().map(|u| u.as_str()) == Some(id) {
            return Err(StoreError::conflict(
                "id",
                "not_self",
                "you cannot archive yourself; ask another administrator",
            ));
        }
        let user = entity::set_archived::<User>(self, actor, id, true).await?;
        self.grants.forget_all();
        let mut tx = self.db.begin_write().await?;
        tx.execute(Sql::new("DELETE FROM sessions WHERE user_id = ").bind(id))
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn restore_user(&self, actor: &Actor, id: &str) -> Result<User> {
        entity::set_archived(self, actor, id, false).await
    }
}
