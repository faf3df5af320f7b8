//! What every stored record shares: a scoped fetch by id, a scoped, filtered, keyset-paged
//! list, archive and restore with their audit events. Each record module implements
//! [`Entity`] and gets these for free, so the scope and paging rules live in one place.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::PartnerId;
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::scope::{Action, Scope};
use serde::Serialize;

use crate::db::{Arg, Exec, Record, Sql};
use crate::{Actor, Result, Store, StoreError, audit, scope};

/// A record kind the store keeps.
pub(crate) trait Entity: Serialize + Sized + Send + Sync {
    const KIND: EntityKind;
    /// The table, also used as the alias in [`Entity::SELECT`].
    const TABLE: &'static str;
    /// `SELECT … FROM <table> <table> [JOIN …] WHERE 1 = 1`: callers append conditions.
    const SELECT: &'static str;
    /// Sort fields a list accepts (the first is the default) and the SQL each sorts by.
    const SORTS: &'static [(&'static str, &'static str)];
    type Row: Record;

    fn from_row(row: Self::Row) -> Result<Self>;
    fn id_str(&self) -> &str;
    /// The partner the record belongs to, so its audit events are visible to that partner.
    fn owner(&self) -> Option<PartnerId>;
    /// The role rule for archiving or restoring this record.
    fn archive_action(&self) -> Action<'_>;
    /// The value of sort field `field` for a cursor.
    fn sort_key(&self, field: &str) -> SortKey;
    /// Turns a uniqueness violation into a conflict naming the field (e.g. when a restored
    /// record's domain was taken meanwhile).
    fn map_db_error(e: sqlx::Error) -> StoreError {
        e.into()
    }
}

/// Names of the sort fields of `E`, for [`PageRequest::parse`].
pub(crate) fn sort_names<E: Entity>() -> Vec<&'static str> {
    E::SORTS.iter().map(|(name, _)| *name).collect()
}

/// Fetches one record as `scope` sees it; invisible and missing are the same `NotFound`.
pub(crate) async fn fetch<E: Entity>(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<E> {
    let mut q = Sql::new(E::SELECT);
    q.push(&format!(" AND {}.id = ", E::TABLE)).bind(id);
    scope::restrict(&mut q, scope, E::KIND, E::TABLE);
    let row: Option<E::Row> = x.optional(&q).await?;
    E::from_row(row.ok_or(StoreError::NotFound(E::KIND))?)
}

/// Fetches the records of `ids` that `scope` sees, in one statement; invisible and missing
/// ids are left out. For pages that show many rows' related records (one read instead of
/// one per row).
pub(crate) async fn fetch_many<E: Entity>(
    x: &mut impl Exec,
    scope: &Scope,
    ids: &[&str],
) -> Result<Vec<E>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(E::SELECT);
    q.push(&format!(" AND {}.id IN ", E::TABLE))
        .bind_in(ids.iter().copied());
    scope::restrict(&mut q, scope, E::KIND, E::TABLE);
    let rows: Vec<E::Row> = x.all(&q).await?;
    rows.into_iter().map(E::from_row).collect()
}

/// Fetches the record a change starts from, inside the change's transaction. With a
/// precondition (`If-Match`), the row is held first (`Tx::lock_row`) and the record's tag
/// checked, so the update that follows writes over exactly the version the client named,
/// or nothing (`PreconditionFailed`). Without one it is [`fetch`], as it always was.
pub(crate) async fn fetch_for_change<E: Entity>(
    tx: &mut crate::db::Tx,
    scope: &Scope,
    id: &str,
    precondition: &crate::etag::Precondition,
) -> Result<E> {
    if precondition.is_none() {
        return fetch(tx, scope, id).await;
    }
    tx.lock_row(E::TABLE, id).await?;
    let before: E = fetch(tx, scope, id).await?;
    if !precondition.admits(&crate::etag::of(&before)?) {
        return Err(StoreError::PreconditionFailed);
    }
    Ok(before)
}

/// Which records a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Archived {
    /// Only records in use (the default).
    #[default]
    Live,
    /// Only archived records.
    Only,
    /// Both.
    All,
}

impl Archived {
    pub fn parse(raw: Option<&str>) -> std::result::Result<Self, partnerops_core::FieldError> {
        match raw.map(str::trim).unwrap_or("") {
            "" | "false" => Ok(Archived::Live),
            "true" | "only" => Ok(Archived::Only),
            "all" => Ok(Archived::All),
            _ => Err(partnerops_core::FieldError::new(
                "archived",
                "one_of",
                "archived must be one of: false, true, all",
            )),
        }
    }
}

/// A list query: the record's `SELECT`, the scope, then `filter` appending conditions, then
/// the archive filter and keyset paging.
pub(crate) async fn list<E: Entity>(
    store: &Store,
    scope: &Scope,
    archived: Archived,
    page: &PageRequest,
    filter: impl FnOnce(&mut Sql),
) -> Result<Page<E>> {
    let q = list_sql::<E>(scope, archived, page, filter)?;
    let rows: Vec<E::Row> = store.db.read().all(&q).await?;
    let items = rows
        .into_iter()
        .map(E::from_row)
        .collect::<Result<Vec<E>>>()?;
    Ok(Page::from_rows(items, page, |e, field| {
        (e.sort_key(field), e.id_str().to_owned())
    }))
}

/// The statement of [`list`]. The caller's conditions (each appended as ` AND …`) are
/// wrapped in parentheses after the scope's, so a condition with `OR` cannot widen what the
/// scope lets through.
fn list_sql<E: Entity>(
    scope: &Scope,
    archived: Archived,
    page: &PageRequest,
    filter: impl FnOnce(&mut Sql),
) -> Result<Sql> {
    let mut q = Sql::default();
    push_list_sql::<E>(&mut q, scope, archived, page, filter)?;
    Ok(q)
}

/// Appends the statement of [`list`] to `q` (e.g. as one part of a `UNION ALL`, so several
/// lists are read in one round trip).
pub(crate) fn push_list_sql<E: Entity>(
    q: &mut Sql,
    scope: &Scope,
    archived: Archived,
    page: &PageRequest,
    filter: impl FnOnce(&mut Sql),
) -> Result<()> {
    q.push(E::SELECT);
    scope::restrict(q, scope, E::KIND, E::TABLE);
    q.push(" AND (1 = 1");
    filter(q);
    q.push(")");
    match archived {
        Archived::Live => q.push(&format!(" AND {}.archived_at IS NULL", E::TABLE)),
        Archived::Only => q.push(&format!(" AND {}.archived_at IS NOT NULL", E::TABLE)),
        Archived::All => &mut *q,
    };
    let sort_sql = E::SORTS
        .iter()
        .find(|(name, _)| *name == page.sort)
        .map(|(_, sql)| *sql)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown sort {}", page.sort)))?;
    push_page(q, page, sort_sql, &format!("{}.id", E::TABLE));
    Ok(())
}

/// Appends keyset paging: rows after the cursor, ordered by `sort_sql` then `id_sql`, one
/// more than the limit so the caller knows whether another page exists.
pub(crate) fn push_page(q: &mut Sql, page: &PageRequest, sort_sql: &str, id_sql: &str) {
    let (cmp, dir) = if page.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(after) = &page.after {
        let key: Arg = match &after.key {
            SortKey::Text(s) => s.clone().into(),
            SortKey::Int(i) => (*i).into(),
            SortKey::Date(d) => (*d).into(),
            SortKey::Time(t) => (*t).into(),
        };
        q.push(&format!(" AND ({sort_sql}, {id_sql}) {cmp} ("))
            .bind(key)
            .push(", ")
            .bind(after.id.as_str())
            .push(")");
    }
    // The limit is written into the text, not bound: SQLite (3.51) expires a statement
    // whose `LIMIT` parameter is bound again, so a bound limit re-parsed and re-planned the
    // list on every request (12% of a list's time). It is a validated number (at most
    // `page::MAX_LIMIT` + 1), so only that many texts exist.
    q.push(&format!(
        " ORDER BY {sort_sql} {dir}, {id_sql} {dir} LIMIT {}",
        u64::from(page.limit) + 1
    ));
}

/// Archives (`archive = true`) or restores a record, with its audit event. Archiving an
/// archived record, or restoring a live one, changes nothing and records nothing.
pub(crate) async fn set_archived<E: Entity>(
    store: &Store,
    actor: &Actor,
    id: &str,
    archive: bool,
) -> Result<E> {
    let mut tx = store.db.begin_write().await?;
    let before: E = fetch(&mut tx, &actor.scope(), id).await?;
    actor.authorize(&before.archive_action())?;
    let now = store.now();
    let mut q = Sql::new(&format!("UPDATE {} SET archived_at = ", E::TABLE));
    let condition = if archive { "IS NULL" } else { "IS NOT NULL" };
    q.bind(if archive {
        Some(now)
    } else {
        None::<DateTime<Utc>>
    })
    .push(", updated_at = ")
    .bind(now)
    .push(" WHERE id = ")
    .bind(id)
    .push(&format!(" AND archived_at {condition}"));
    if tx.execute(&q).await.map_err(E::map_db_error)? == 0 {
        return Ok(before);
    }
    let after: E = fetch(&mut tx, &actor.scope(), id).await?;
    let action = if archive {
        AuditAction::Archived
    } else {
        AuditAction::Restored
    };
    audit::record(
        &mut tx,
        now,
        actor,
        E::KIND,
        id,
        action,
        after.owner().as_ref(),
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Parses a JSON text column.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(column: &str, raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// Serialises a value for a JSON text column.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Appends a case-insensitive "contains" match on `column`, escaping LIKE wildcards.
pub(crate) fn push_contains(q: &mut Sql, column: &str, needle: &str) {
    let escaped = needle
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    q.push(&format!(" AND lower({column}) LIKE "))
        .bind(format!("%{escaped}%"))
        .push(" ESCAPE '\\'");
}

#[cfg(test)]
mod tests {
    use partnerops_core::ids::{EntityId, PartnerId};
    use partnerops_core::page::{PageParams, PageRequest};
    use partnerops_core::registration::record::Registration;
    use partnerops_core::scope::Scope;

    use super::{Archived, list_sql, sort_names};

    /// A caller's filter with `OR` stays inside its parentheses: the partner condition
    /// still applies to every row, whichever side of the `OR` matches.
    #[test]
    fn a_filter_with_or_cannot_widen_the_scope() {
        let scope = Scope::Partner(PartnerId::from_trusted("prt_a".to_owned()));
        let page =
            PageRequest::parse(&PageParams::default(), &sort_names::<Registration>()).unwrap();
        let q = list_sql::<Registration>(&scope, Archived::All, &page, |q| {
            q.push(" AND registrations.status = 'approved' OR 1 = 1");
        })
        .unwrap();
        let text = q.text();
        let scoped = text.find("registrations.partner_id = $1").unwrap();
        let filter = text
            .find(" AND (1 = 1 AND registrations.status = 'approved' OR 1 = 1)")
            .unwrap();
        assert!(scoped < filter, "{text}");
        // Nothing else in the statement carries an OR.
        assert_eq!(text.matches(" OR ").count(), 1, "{text}");
    }
}
