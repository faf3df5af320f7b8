//! End-customer accounts, kept by vendor staff: create, change, archive, and the identity
//! keys matching uses (normalised name, its block, and the exact name that identifies an
//! account without a web domain). Partners see none of them through this module; a partner
//! learns of the accounts it registered through its registrations. Merging and the
//! duplicate review live in `registration::review`.

use chrono::{DateTime, Utc};
use partnerops_core::account::{Account, AccountFields, AccountInput, AccountStatus};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::country::Country;
use partnerops_core::ids::{AccountId, EntityId, PartnerId, UserId};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::registration::matching;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::web_domain::WebDomain;
use partnerops_core::{FieldError, Invalid};

use crate::db::{Exec, Sql, Tx, UniqueRule, row, unique_violation};
use crate::entity::{self, Archived, Entity};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

/// The columns of a new account written in bulk (imports, the scale seed), in the order of
/// their values.
pub(crate) const ACCOUNT_COLUMNS: &[&str] = &[
    "id",
    "name",
    "web_domain",
    "country",
    "industry",
    "status",
    "name_key",
    "name_block",
    "created_at",
    "updated_at",
];

row! {
    pub(crate) struct AccountRow {
        id: String,
        name: String,
        web_domain: Option<String>,
        country: String,
        industry: Option<String>,
        direct_owner_id: Option<String>,
        status: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        archived_at: Option<DateTime<Utc>>,
        merged_into: Option<String>,
    }
}

const DOMAIN_TAKEN: UniqueRule = UniqueRule {
    index: "accounts_domain_live",
    sqlite_columns: "accounts.web_domain",
};

/// One live account per normalised name and country among accounts without a web domain
/// (migration 6): the name is what identifies them.
pub(crate) const NAME_TAKEN: UniqueRule = UniqueRule {
    index: "accounts_name_live",
    sqlite_columns: "accounts.country, accounts.exact_name_key",
};

fn map_unique(e: sqlx::Error) -> StoreError {
    if unique_violation(&e, &DOMAIN_TAKEN) {
        StoreError::conflict(
            "web_domain",
            "unique",
            "another account already has this web domain: it is the same company",
        )
    } else if unique_violation(&e, &NAME_TAKEN) {
        StoreError::conflict(
            "name",
            "unique",
            "another account without a web domain has this name in this country: it is the same company (give a web domain, or merge them)",
        )
    } else {
        e.into()
    }
}

impl Entity for Account {
    const KIND: EntityKind = EntityKind::Account;
    const TABLE: &'static str = "accounts";
    const SELECT: &'static str = "SELECT accounts.* FROM accounts accounts WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("name", "accounts.name"),
        ("created_at", "accounts.created_at"),
    ];
    type Row = AccountRow;

    fn from_row(r: AccountRow) -> Result<Account> {
        let corrupt = |e: FieldError| StoreError::Corrupt(format!("{}: {}", e.field, e.message));
        Ok(Account {
            id: AccountId::from_trusted(r.id),
            name: r.name,
            web_domain: r.web_domain.map(WebDomain::from_trusted),
            country: Country::parse("country", &r.country).map_err(corrupt)?,
            industry: r.industry,
            direct_owner_id: r.direct_owner_id.map(UserId::from_trusted),
            status: AccountStatus::parse("status", &r.status).map_err(corrupt)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
            archived_at: r.archived_at,
            merged_into: r.merged_into.map(AccountId::from_trusted),
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        None
    }

    fn archive_action(&self) -> Action<'_> {
        Action::WriteAccount
    }

    fn map_db_error(e: sqlx::Error) -> StoreError {
        map_unique(e)
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "created_at" => SortKey::Time(self.created_at),
            _ => SortKey::Text(self.name.clone()),
        }
    }
}

/// Filters for an account list.
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    /// Part of the name or web domain.
    pub q: Option<String>,
    pub country: Option<Country>,
    pub status: Option<AccountStatus>,
    pub industry: Option<String>,
    pub direct_owner_id: Option<UserId>,
    pub archived: Archived,
}

/// The direct owner must be a live vendor staff user.
async fn check_owner(tx: &mut Tx, owner: Option<&UserId>) -> Result<()> {
    let Some(owner) = owner else { return Ok(()) };
    row! {
        struct Staff {
            #[allow(dead_code)]
            id: String,
        }
    }
    let mut q =
        Sql::new("SELECT id FROM users WHERE partner_id IS NULL AND archived_at IS NULL AND id = ");
    q.bind(owner.as_str());
    let found: Option<Staff> = tx.optional(&q).await?;
    found.map(|_| ()).ok_or_else(|| {
        Invalid::one(
            "direct_owner_id",
            "staff_user",
            "direct_owner_id must name a live vendor staff user",
        )
        .into()
    })
}

fn push_values(q: &mut Sql, f: &AccountFields) {
    q.bind(f.name.as_str())
        .push(", ")
        .bind(f.web_domain.as_ref().map(|d| d.as_str()))
        .push(", ")
        .bind(f.country.as_str())
        .push(", ")
        .bind(f.industry.as_deref())
        .push(", ")
        .bind(f.direct_owner_id.as_ref().map(|u| u.as_str()))
        .push(", ")
        .bind(f.status.as_str())
        .push(", ");
    push_name_keys(q, &f.name);
}

/// The name an account without a web domain is identified by (`exact_name_key`); NULL for
/// an account with a domain, which the domain identifies. Only registration claims it (it
/// creates accounts from partners' descriptions, which must not repeat a company); vendor
/// staff may keep two same-named accounts without a domain (two corner shops), and a
/// name-only registration then reuses the oldest.
fn exact_name_key(f: &AccountFields) -> Option<String> {
    f.web_domain
        .is_none()
        .then(|| matching::normalize_name(&f.name))
}

/// Binds the matching keys of a company name (see [`name_keys`]).
pub(crate) fn push_name_keys(q: &mut Sql, name: &str) {
    let (key, block) = name_keys(name);
    q.bind(key).push(", ").bind(block);
}

/// The matching keys of a company name (`name_key, name_block` columns): normalised, and
/// its first letters, which are indexed.
pub(crate) fn name_keys(name: &str) -> (String, String) {
    let key = matching::normalize_name(name);
    let block = matching::blocking_key(&key);
    (key, block)
}

/// Inserts an account with its audit event, inside a transaction (used by registration
/// too, which creates the account a partner describes). A taken domain surfaces as the raw
/// unique violation, so a caller can tell the race apart.
pub(crate) async fn insert(
    tx: &mut Tx,
    now: chrono::DateTime<Utc>,
    actor: &Actor,
    f: &AccountFields,
) -> Result<Account> {
    insert_with(tx, now, actor, f, false)
        .await?
        .ok_or_else(|| StoreError::Corrupt("an account insert wrote nothing".into()))
}

/// Inserts an account unless a live account without a domain already has its normalised
/// name in its country: then nothing is written and `None` is answered, so the caller can
/// read the winner (a name-only registration reuses it). Race-free through the partial
/// unique index `accounts_name_live`.
pub(crate) async fn insert_unless_name_taken(
    tx: &mut Tx,
    now: chrono::DateTime<Utc>,
    actor: &Actor,
    f: &AccountFields,
) -> Result<Option<Account>> {
    insert_with(tx, now, actor, f, true).await
}

async fn insert_with(
    tx: &mut Tx,
    now: chrono::DateTime<Utc>,
    actor: &Actor,
    f: &AccountFields,
    yield_on_name: bool,
) -> Result<Option<Account>> {
    check_owner(tx, f.direct_owner_id.as_ref()).await?;
    let id: AccountId = new_id();
    let mut q = Sql::new(
        "INSERT INTO accounts (id, name, web_domain, country, industry, direct_owner_id, status, name_key, name_block, exact_name_key, created_at, updated_at) VALUES (",
    );
    q.bind(id.as_str()).push(", ");
    push_values(&mut q, f);
    q.push(", ")
        .bind(if yield_on_name {
            exact_name_key(f)
        } else {
            None
        })
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    if yield_on_name {
        // The conflict target repeats the partial index's predicate literally (SQLite
        // refuses bound parameters there).
        q.push(" ON CONFLICT (country, exact_name_key) WHERE archived_at IS NULL AND exact_name_key IS NOT NULL DO NOTHING");
    }
    if tx.execute(&q).await? == 0 {
        return Ok(None);
    }
    // Exactly what was written; reading it back would cost a round trip per account.
    let account = Account {
        id: id.clone(),
        name: f.name.clone(),
        web_domain: f.web_domain.clone(),
        country: f.country,
        industry: f.industry.clone(),
        direct_owner_id: f.direct_owner_id.clone(),
        status: f.status,
        created_at: now,
        updated_at: now,
        archived_at: None,
        merged_into: None,
    };
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Account,
        id.as_str(),
        AuditAction::Created,
        None,
        None::<&()>,
        Some(&account),
    )
    .await?;
    Ok(Some(account))
}

row! {
    struct Unkeyed {
        id: String,
        name: String,
    }
}

/// Fills the matching keys of accounts created before they existed (migration 2), in
/// batches; a no-op once done.
pub(crate) async fn backfill_name_keys(db: &crate::db::Db) -> Result<()> {
    loop {
        let rows: Vec<Unkeyed> = db
            .read()
            .all(&Sql::new(
                "SELECT id, name FROM accounts WHERE name_key IS NULL LIMIT 1000",
            ))
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = db.begin_write().await?;
        for r in rows {
            let mut q = Sql::new("UPDATE accounts SET (name_key, name_block) = (");
            push_name_keys(&mut q, &r.name);
            q.push(") WHERE id = ").bind(r.id.as_str());
            tx.execute(&q).await?;
        }
        tx.commit().await?;
    }
}

impl Store {
    pub fn account_sorts() -> Vec<&'static str> {
        entity::sort_names::<Account>()
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_account(&self, actor: &Actor, input: &AccountInput) -> Result<Account> {
        actor.authorize(&Action::WriteAccount)?;
        let f = AccountFields::parse(input)?;
        let mut tx = self.db.begin_write().await?;
        let account = insert(&mut tx, self.now(), actor, &f)
            .await
            .map_err(|e| match e {
                StoreError::Db(e) => map_unique(e),
                other => other,
            })?;
        tx.commit().await?;
        Ok(account)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn account(&self, scope: &Scope, id: &str) -> Result<Account> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn accounts(
        &self,
        scope: &Scope,
        filter: &AccountFilter,
        page: &PageRequest,
    ) -> Result<Page<Account>> {
        entity::list(self, scope, filter.archived, page, |q| {
            if let Some(needle) = filter.q.as_deref() {
                entity::push_contains(
                    q,
                    "accounts.name || ' ' || coalesce(accounts.web_domain, '')",
                    needle,
                );
            }
            if let Some(c) = filter.country {
                q.push(" AND accounts.country = ").bind(c.as_str());
            }
            if let Some(s) = filter.status {
                q.push(" AND accounts.status = ").bind(s.as_str());
            }
            if let Some(i) = filter.industry.as_deref() {
                q.push(" AND lower(accounts.industry) = ")
                    .bind(i.trim().to_lowercase());
            }
            if let Some(o) = &filter.direct_owner_id {
                q.push(" AND accounts.direct_owner_id = ").bind(o.as_str());
            }
        })
        .await
    }

    /// [`Store::update_account_if`] without a precondition.
    pub async fn update_account(
        &self,
        actor: &Actor,
        id: &str,
        patch: AccountInput,
    ) -> Result<Account> {
        self.update_account_if(actor, id, patch, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_account_if(
        &self,
        actor: &Actor,
        id: &str,
        patch: AccountInput,
        precondition: &crate::etag::Precondition,
    ) -> Result<Account> {
        let mut tx = self.db.begin_write().await?;
        let before: Account =
            entity::fetch_for_change(&mut tx, &actor.scope(), id, precondition).await?;
        actor.authorize(&Action::WriteAccount)?;
        let f = AccountFields::parse(&before.to_input().overlay(patch))?;
        check_owner(&mut tx, f.direct_owner_id.as_ref()).await?;
        let now = self.now();
        // A change of what identifies the account (name, domain, country) releases the
        // name it claimed; other edits keep it.
        let same_identity = matching::normalize_name(&before.name)
            == matching::normalize_name(&f.name)
            && before.web_domain == f.web_domain
            && before.country == f.country;
        let mut q = Sql::new(
            "UPDATE accounts SET (name, web_domain, country, industry, direct_owner_id, status, name_key, name_block, exact_name_key, updated_at) = (",
        );
        push_values(&mut q, &f);
        q.push(", ");
        if same_identity {
            q.push("exact_name_key");
        } else {
            q.push("NULL");
        }
        q.push(", ").bind(now).push(") WHERE id = ").bind(id);
        tx.execute(&q).await.map_err(map_unique)?;
        let after = crate::change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            crate::change::Change::updated(),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn archive_account(&self, actor: &Actor, id: &str) -> Result<Account> {
        entity::set_archived(self, actor, id, true).await
    }

    /// Restores an archived account; a merged one stays merged (its records live on in the
    /// account it was merged into).
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn restore_account(&self, actor: &Actor, id: &str) -> Result<Account> {
        let account: Account = entity::fetch(&mut self.db.read(), &actor.scope(), id).await?;
        if let Some(into) = &account.merged_into {
            return Err(StoreError::conflict(
                "id",
                "account.merged",
                format!("this account was merged into {into}; it cannot be restored"),
            ));
        }
        entity::set_archived(self, actor, id, false).await
    }
}
