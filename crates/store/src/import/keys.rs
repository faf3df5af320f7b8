//! What every kind shares: the source's record ids (`import_keys`), which of our records
//! each became; the plan of a batch (one row per record id, each with the record it already
//! became or none); the references a row makes to records of other kinds by their source
//! ids; and the per-row savepoint that turns a refusal of the rules into that row's errors.
//!
//! Accounts write in multi-row statements for speed (a million of them is a benchmark);
//! the other kinds go row by row through the same functions the API uses, since each row
//! of theirs is decided by rules (stages, tiers, holds, touchpoint timing) that a
//! multi-row insert would have to copy.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use partnerops_core::ids::EntityId;
use partnerops_core::import::row::ImportRecord;
use partnerops_core::import::{ImportError, ImportErrors, ImportKind};

use super::{Counts, RunCtx};
use crate::db::{Arg, Exec, Sql, Tx, row};
use crate::{Result, StoreError};

row! {
    pub(super) struct KeyRow {
        pub external_id: String,
        pub record_id: String,
        pub run_id: String,
    }
}

/// The keys of `kind` from this run's source whose `column` (`external_id` or
/// `record_id`) is one of `ids`.
pub(super) async fn lookup(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    kind: ImportKind,
    column: &str,
    ids: &[&str],
) -> Result<Vec<KeyRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new("SELECT external_id, record_id, run_id FROM import_keys WHERE kind = ");
    q.bind(kind.as_str())
        .push(" AND source = ")
        .bind(ctx.source.as_str())
        .push(&format!(" AND {column} IN "));
    q.bind_in(ids.iter().copied());
    Ok(tx.all(&q).await?)
}

/// The record of `kind` that the source's record `external_id` became, if it was imported.
pub(super) async fn resolve(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    kind: ImportKind,
    external_id: &str,
) -> Result<Option<String>> {
    Ok(lookup(tx, ctx, kind, "external_id", &[external_id])
        .await?
        .into_iter()
        .next()
        .map(|k| k.record_id))
}

/// The record id of this source that already became our record `record_id`, if any.
pub(super) async fn key_of(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    kind: ImportKind,
    record_id: &str,
) -> Result<Option<String>> {
    Ok(lookup(tx, ctx, kind, "record_id", &[record_id])
        .await?
        .into_iter()
        .next()
        .map(|k| k.external_id))
}

/// Writes new keys and marks the keys a run read again as read by it.
pub(super) async fn save(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    kind: ImportKind,
    new: Vec<(String, String)>,
    seen: &[String],
) -> Result<()> {
    let rows: Vec<Vec<Arg>> = new
        .into_iter()
        .map(|(external, record)| {
            vec![
                kind.as_str().into(),
                ctx.source.as_str().into(),
                external.into(),
                record.into(),
                ctx.id.as_str().into(),
            ]
        })
        .collect();
    tx.insert_rows(
        "import_keys",
        &["kind", "source", "external_id", "record_id", "run_id"],
        &rows,
    )
    .await?;
    if !seen.is_empty() {
        let mut q = Sql::new("UPDATE import_keys SET run_id = ");
        q.bind(ctx.id.as_str())
            .push(" WHERE kind = ")
            .bind(kind.as_str())
            .push(" AND source = ")
            .bind(ctx.source.as_str())
            .push(" AND external_id IN ");
        q.bind_in(seen.iter().map(String::as_str));
        tx.execute(&q).await?;
    }
    Ok(())
}

/// One row of a batch with the record its id already became (none: a new key).
pub(super) struct Planned<T> {
    pub row: u64,
    pub external_id: String,
    pub target: Option<String>,
    pub record: T,
}

/// One row per record id: a second row with an id seen earlier in this batch or run is an
/// error on the id's column; the rest come back with the record each id became.
pub(super) async fn plan<T>(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    kind: ImportKind,
    rows: Vec<(u64, String, T)>,
    errors: &mut ImportErrors,
) -> Result<Vec<Planned<T>>> {
    let column = ctx.column("external_id");
    let dup = |row: u64, id: &str, first: Option<u64>| {
        let at = first.map_or_else(|| "an earlier row".to_owned(), |f| format!("row {f}"));
        ImportError::new(
            row,
            Some(&column),
            "unique",
            format!("the record id {id} is on {at} too: one row per record"),
        )
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut unique = Vec::with_capacity(rows.len());
    for (row, id, record) in rows {
        if let Some(first) = seen.get(&id) {
            errors.push(dup(row, &id, Some(*first)));
            continue;
        }
        seen.insert(id.clone(), row);
        unique.push((row, id, record));
    }
    let ids: Vec<&str> = unique.iter().map(|(_, id, _)| id.as_str()).collect();
    let keys: HashMap<String, KeyRow> = lookup(tx, ctx, kind, "external_id", &ids)
        .await?
        .into_iter()
        .map(|k| (k.external_id.clone(), k))
        .collect();
    let mut out = Vec::with_capacity(unique.len());
    for (row, external_id, record) in unique {
        let target = match keys.get(&external_id) {
            Some(k) if k.run_id == ctx.id.as_str() => {
                errors.push(dup(row, &external_id, None));
                continue;
            }
            Some(k) => Some(k.record_id.clone()),
            None => None,
        };
        out.push(Planned {
            row,
            external_id,
            target,
            record,
        });
    }
    Ok(out)
}

/// What a row did.
pub(super) enum Outcome {
    Created(String),
    /// A new key found its record by what identifies it (a domain, an e-mail address).
    Linked {
        record_id: String,
        changed: bool,
    },
    Updated,
    Unchanged,
}

/// Counts outcomes and collects the keys to write at the end of a batch.
#[derive(Default)]
struct Ledger {
    new: Vec<(String, String)>,
    seen: Vec<String>,
}

impl Ledger {
    pub fn add(&mut self, counts: &mut Counts, external_id: String, outcome: Outcome) {
        match outcome {
            Outcome::Created(id) => {
                counts.created += 1;
                self.new.push((external_id, id));
            }
            Outcome::Linked { record_id, changed } => {
                if changed {
                    counts.updated += 1;
                } else {
                    counts.unchanged += 1;
                }
                self.new.push((external_id, record_id));
            }
            Outcome::Updated => {
                counts.updated += 1;
                self.seen.push(external_id);
            }
            Outcome::Unchanged => {
                counts.unchanged += 1;
                self.seen.push(external_id);
            }
        }
    }

    pub async fn save(self, tx: &mut Tx, ctx: &RunCtx<'_>, kind: ImportKind) -> Result<()> {
        save(tx, ctx, kind, self.new, &self.seen).await
    }
}

/// Starts a row's writes: what [`settle`] keeps or undoes.
async fn begin_row(tx: &mut Tx) -> Result<()> {
    tx.execute(&Sql::new("SAVEPOINT import_row")).await?;
    Ok(())
}

/// Ends a row's writes: kept when it succeeded; when the rules refused it (bad input, a
/// conflict, a refusal, a record not found or not allowed), undone and reported as that
/// row's errors, each at the file's column for the field (`renames` maps the rules' field
/// names to the import's). Any other failure ends the import.
async fn settle<T>(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    row: u64,
    result: Result<T>,
    renames: &[(&str, &str)],
    errors: &mut ImportErrors,
) -> Result<Option<T>> {
    let column = |field: &str| -> Option<String> {
        let ours = renames
            .iter()
            .find(|(from, _)| *from == field)
            .map_or(field, |(_, to)| *to);
        Some(ctx.column(ours))
    };
    let found: Vec<ImportError> = match result {
        Ok(v) => {
            tx.execute(&Sql::new("RELEASE SAVEPOINT import_row"))
                .await?;
            return Ok(Some(v));
        }
        Err(StoreError::Invalid(inv)) => inv
            .errors
            .into_iter()
            .map(|e| ImportError::new(row, column(&e.field).as_deref(), &e.rule, e.message))
            .collect(),
        Err(StoreError::Conflict {
            field,
            rule,
            message,
        }) => vec![ImportError::new(
            row,
            column(&field).as_deref(),
            &rule,
            message,
        )],
        Err(StoreError::Refused { decision, .. }) => {
            vec![ImportError::new(row, None, &decision.rule, decision.reason)]
        }
        Err(StoreError::Forbidden(d)) => vec![ImportError::new(row, None, d.rule, d.message)],
        Err(StoreError::NotFound(kind)) => vec![ImportError::new(
            row,
            None,
            "not_found",
            format!("{} not found", kind.label()),
        )],
        Err(e) => return Err(e),
    };
    tx.execute(&Sql::new("ROLLBACK TO SAVEPOINT import_row"))
        .await?;
    tx.execute(&Sql::new("RELEASE SAVEPOINT import_row"))
        .await?;
    errors.extend(found);
    Ok(None)
}

/// One row's writes, as a kind does them.
pub(super) type RowWrite<'a> = Pin<Box<dyn Future<Output = Result<Outcome>> + Send + 'a>>;

/// How a kind that writes row by row imports: which records are its (with their row and
/// record id), what its rules call the import's fields, and what one row does given the
/// record its id already became (none: a new key).
pub(super) struct RowByRow<T> {
    pub kind: ImportKind,
    pub renames: &'static [(&'static str, &'static str)],
    pub pick: fn(ImportRecord) -> Option<(u64, String, T)>,
    pub one: for<'a, 'b> fn(&'a mut Tx, &'a RunCtx<'b>, Option<&'a str>, &'a T) -> RowWrite<'a>,
}

impl<T> RowByRow<T> {
    /// Imports one batch of this kind: the plan, each row in its savepoint, the outcomes
    /// counted, the keys written.
    pub async fn write(
        &self,
        tx: &mut Tx,
        ctx: &RunCtx<'_>,
        records: Vec<ImportRecord>,
        counts: &mut Counts,
        errors: &mut ImportErrors,
    ) -> Result<()> {
        let rows = records.into_iter().filter_map(self.pick).collect();
        for p in plan(tx, ctx, self.kind, rows, errors).await? {
            begin_row(tx).await?;
            let done = (self.one)(tx, ctx, p.target.as_deref(), &p.record).await;
            if let Some(outcome) = settle(tx, ctx, p.row, done, self.renames, errors).await? {
                // Each row's key is written with it, so a later row of the same company (a
                // domain, an e-mail address) finds it taken by this record instead of
                // linking a second record id to it.
                let mut ledger = Ledger::default();
                ledger.add(counts, p.external_id, outcome);
                ledger.save(tx, ctx, self.kind).await?;
            }
        }
        Ok(())
    }
}
