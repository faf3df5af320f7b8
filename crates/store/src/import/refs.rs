//! References a row makes to records it does not import: a program by id or name, a
//! partner by the source's record id (from an earlier partner import), by our id, or by
//! name. Each miss is an error at the row's column for the field.

use partnerops_core::import::ImportKind;

use super::{RunCtx, keys};
use crate::db::{Exec, Sql, Tx, row};
use crate::{Result, StoreError};

row! {
    /// A record's id.
    pub(super) struct ProgramRef {
        pub id: String,
    }
}

row! {
    pub(super) struct PartnerRef {
        pub id: String,
        pub program_id: String,
    }
}

/// The program a row names (`field`: by id or name, ignoring case), else the vendor's only
/// live program.
pub(super) async fn program(tx: &mut Tx, field: &str, raw: Option<&str>) -> Result<String> {
    let mut q = Sql::new("SELECT id FROM programs WHERE archived_at IS NULL");
    if let Some(raw) = raw {
        q.push(" AND (id = ")
            .bind(raw)
            .push(" OR LOWER(name) = ")
            .bind(raw.to_lowercase())
            .push(")");
    }
    q.push(" ORDER BY id LIMIT 2");
    let found: Vec<ProgramRef> = tx.all(&q).await?;
    match (found.as_slice(), raw) {
        ([only], _) => Ok(only.id.clone()),
        ([], Some(raw)) => Err(StoreError::conflict(
            field,
            "not_found",
            format!("no live program has the id or name \"{raw}\""),
        )),
        (_, Some(raw)) => Err(StoreError::conflict(
            field,
            "ambiguous",
            format!("more than one live program is called \"{raw}\": give its id"),
        )),
        (_, None) => Err(StoreError::conflict(
            field,
            "required",
            "name the program (there is not exactly one live program)",
        )),
    }
}

/// The live partner a row names in `field`: the source's record id of an earlier partner
/// import, else our id, else its name (ignoring case; two partners of that name are an
/// error asking for the id).
pub(super) async fn partner(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    field: &str,
    raw: &str,
) -> Result<PartnerRef> {
    let id = keys::resolve(tx, ctx, ImportKind::Partners, raw)
        .await?
        .unwrap_or_else(|| raw.to_owned());
    let mut q =
        Sql::new("SELECT id, program_id FROM partners WHERE archived_at IS NULL AND (id = ");
    q.bind(id.as_str())
        .push(" OR LOWER(name) = ")
        .bind(raw.to_lowercase())
        .push(") ORDER BY id LIMIT 3");
    let mut found: Vec<PartnerRef> = tx.all(&q).await?;
    if let Some(i) = found.iter().position(|p| p.id == id) {
        return Ok(found.swap_remove(i));
    }
    let mut found = found.into_iter();
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(StoreError::conflict(
            field,
            "not_found",
            format!(
                "no partner is known as \"{raw}\": not a record id of an earlier partner import from {}, nor a partner's id or name",
                ctx.source.as_str()
            ),
        )),
        (Some(_), Some(_)) => Err(StoreError::conflict(
            field,
            "ambiguous",
            format!("more than one partner is called \"{raw}\": give its record id"),
        )),
    }
}

/// The record of `kind` the source's record `raw` became, else the live record of ours
/// with that id (our own export names records by our ids), or an error at `field` saying
/// which import it should have come from.
pub(super) async fn imported(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    kind: ImportKind,
    field: &str,
    raw: &str,
) -> Result<String> {
    if let Some(id) = keys::resolve(tx, ctx, kind, raw).await? {
        return Ok(id);
    }
    let ours = match kind {
        ImportKind::Accounts => Some("SELECT id FROM accounts WHERE archived_at IS NULL AND id = "),
        ImportKind::Opportunities => Some("SELECT id FROM opportunities WHERE id = "),
        ImportKind::Partners => Some("SELECT id FROM partners WHERE archived_at IS NULL AND id = "),
        _ => None,
    };
    if let Some(select) = ours {
        let mut q = Sql::new(select);
        q.bind(raw);
        let found: Option<ProgramRef> = tx.optional(&q).await?;
        if let Some(found) = found {
            return Ok(found.id);
        }
    }
    Err(StoreError::conflict(
        field,
        "not_found",
        format!(
            "no {} was imported from {} with the record id {raw}: import the {} first",
            kind.label().to_lowercase(),
            ctx.source.as_str(),
            kind.as_str()
        ),
    ))
}
