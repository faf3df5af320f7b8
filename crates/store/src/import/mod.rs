//! CSV import: a file streams through the core's reader on a blocking thread, which hands
//! typed rows over in batches of [`BATCH`]; each batch is written here inside one
//! transaction for the whole file. Any error anywhere (a bad value, a duplicate record id,
//! a web domain another account has) and the transaction is rolled back: nothing of the
//! file is written, and the run is recorded as refused with every error by row and column.
//! A dry run does all the same work and always rolls back, so it finds the errors a real
//! run would (database ones included) and writes nothing, not even its run.
//!
//! Idempotency: `import_keys (kind, source, external_id) → record_id` says which of our
//! records a source's record became, so a second import of the same file updates nothing
//! and writes no audit rows for records that did not change.
//!
//! Audit: records an import creates are written in multi-row inserts and audited by one
//! event per run (the `import_run` with its counts, plus the `import.completed` outbox
//! event), not one event each — a million accounts would otherwise write a million audit
//! rows, and the record itself is its own "after" (each traces back to its run through
//! `import_keys`). Records an import changes keep an audit event each with before and
//! after, as any other change, because the before is lost otherwise.

mod account;
mod contact;
mod fx;
mod keys;
mod opportunity;
mod partner;
mod refs;
mod registration;
mod touchpoint;

use std::io::Read;

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, ImportRunId, UserId};
use partnerops_core::import::mapping::suggest;
use partnerops_core::import::reader::ImportReader;
use partnerops_core::import::row::{ImportRecord, RowParser};
use partnerops_core::import::{
    ImportError, ImportErrors, ImportKind, ImportMapping, ImportRun, ImportSavedMapping,
    ImportSource, ImportStatus,
};
use partnerops_core::scope::Action;
use tokio::sync::{mpsc, oneshot};

use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::{Actor, Result, Store, StoreError, audit, new_id};

/// The table an import of `kind` writes its records to.
fn written_table(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Accounts => "accounts",
        ImportKind::Partners => "partners",
        ImportKind::Contacts => "users",
        ImportKind::Opportunities => "opportunities",
        ImportKind::Registrations => "registrations",
        ImportKind::Touchpoints => "touchpoints",
        ImportKind::FxRates => "fx_rates",
    }
}

/// Rows per batch: the parser runs at most two batches ahead of the writer, so memory stays
/// flat whatever the size of the file.
pub const BATCH: usize = 500;

/// Rows per batch of accounts, which are written in multi-row statements: fewer, bigger
/// batches are fewer round trips (a million accounts in 200 batches rather than 2,000),
/// for about 3 MB more of rows in flight.
const ACCOUNT_BATCH: usize = 5_000;

fn batch_rows(kind: ImportKind) -> usize {
    match kind {
        ImportKind::Accounts => ACCOUNT_BATCH,
        _ => BATCH,
    }
}

/// What to import.
#[derive(Clone, Debug)]
pub struct ImportRequest {
    pub kind: ImportKind,
    pub source: ImportSource,
    pub file_name: String,
    /// The confirmed mapping. Without one, the suggested mapping is used for a dry run and
    /// returned; a real import refuses (`mapping.unconfirmed`) and returns the suggestion.
    pub mapping: Option<ImportMapping>,
    pub dry_run: bool,
}

#[derive(Default)]
struct Batch {
    records: Vec<ImportRecord>,
    errors: Vec<ImportError>,
}

/// What a run counts.
#[derive(Default, Debug)]
pub(crate) struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// What a batch writer needs to know about its run.
pub(crate) struct RunCtx<'a> {
    pub id: ImportRunId,
    pub now: DateTime<Utc>,
    pub actor: &'a Actor,
    pub source: ImportSource,
    pub mapping: &'a ImportMapping,
}

impl RunCtx<'_> {
    /// The file's column for `field`, for errors found while writing.
    pub fn column(&self, field: &str) -> String {
        self.mapping.column(field).unwrap_or(field).to_owned()
    }
}

/// Reads `input` on a blocking thread: the header first (answered on `header`), then, once
/// the mapping arrives (none: stop), every row as a record or its errors, in batches.
fn parse_file<R: Read>(
    input: R,
    kind: ImportKind,
    source: ImportSource,
    header: oneshot::Sender<std::result::Result<Vec<String>, ImportError>>,
    mapping: oneshot::Receiver<ImportMapping>,
    batches: mpsc::Sender<Batch>,
) -> u64 {
    let mut reader = match ImportReader::new(input) {
        Ok(r) => r,
        Err(e) => {
            let _ = header.send(Err(e));
            return 0;
        }
    };
    if header.send(Ok(reader.header().to_vec())).is_err() {
        return 0;
    }
    let Ok(mapping) = mapping.blocking_recv() else {
        return 0;
    };
    let parser = match RowParser::new(kind, source, &mapping, reader.header()) {
        Ok(p) => p,
        Err(errors) => {
            let _ = batches.blocking_send(Batch {
                records: Vec::new(),
                errors,
            });
            return 0;
        }
    };
    let rows = batch_rows(kind);
    let new_batch = || Batch {
        records: Vec::with_capacity(rows),
        errors: Vec::new(),
    };
    let mut batch = new_batch();
    while let Some(row) = reader.next_row() {
        match row.map_err(|e| vec![e]).and_then(|d| parser.parse(&d)) {
            Ok(r) => batch.records.push(r),
            Err(es) => batch.errors.extend(es),
        }
        if batch.records.len() + batch.errors.len() >= rows
            && batches
                .blocking_send(std::mem::replace(&mut batch, new_batch()))
                .is_err()
        {
            return reader.data_rows();
        }
    }
    let _ = batches.blocking_send(batch);
    reader.data_rows()
}

/// The action each kind needs besides [`Action::ImportRecords`] (which is vendor staff's
/// only: a partner imports nothing, so no file can reach another partner's records). Each
/// row is still checked by the rules of what it writes.
fn kind_action(kind: ImportKind) -> Action<'static> {
    match kind {
        ImportKind::Accounts => Action::WriteAccount,
        ImportKind::Partners => Action::GovernPartner,
        // Partner users of any partner: administrators and channel managers.
        ImportKind::Contacts => Action::WriteUser {
            role: partnerops_core::user::Role::PartnerRep,
            partner: None,
        },
        ImportKind::Opportunities | ImportKind::Touchpoints => Action::WorkPipeline,
        // Registrations on partners' behalf, possibly approved: those who decide them.
        ImportKind::Registrations => Action::DecideRegistration,
        ImportKind::FxRates => Action::WriteFxRates,
    }
}

row! {
    struct RunRow {
        id: String,
        kind: String,
        source: String,
        file_name: String,
        actor_id: Option<String>,
        actor_name: String,
        status: String,
        mapping_json: String,
        rows_read: i64,
        created: i64,
        updated: i64,
        unchanged: i64,
        error_count: i64,
        errors_json: String,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
    }
}

row! {
    struct MappingRow {
        kind: String,
        source: String,
        mapping_json: String,
        updated_by_name: String,
        updated_at: DateTime<Utc>,
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("import run: {e}"))
}

fn from_run_row(r: RunRow) -> Result<ImportRun> {
    let count = |v: i64| u64::try_from(v).map_err(corrupt);
    Ok(ImportRun {
        id: Some(ImportRunId::from_trusted(r.id)),
        kind: ImportKind::parse("kind", &r.kind).map_err(|e| corrupt(e.message))?,
        source: ImportSource::parse("source", &r.source).map_err(|e| corrupt(e.message))?,
        file_name: r.file_name,
        dry_run: false,
        status: ImportStatus::parse("status", &r.status).map_err(|e| corrupt(e.message))?,
        actor_id: r.actor_id.map(UserId::from_trusted),
        actor_name: r.actor_name,
        header: Vec::new(),
        mapping: serde_json::from_str(&r.mapping_json).map_err(corrupt)?,
        rows: count(r.rows_read)?,
        created: count(r.created)?,
        updated: count(r.updated)?,
        unchanged: count(r.unchanged)?,
        errors: serde_json::from_str(&r.errors_json).map_err(corrupt)?,
        error_count: count(r.error_count)?,
        started_at: r.started_at,
        finished_at: r.finished_at,
    })
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

async fn insert_run(tx: &mut Tx, run: &ImportRun) -> Result<()> {
    let Some(id) = &run.id else {
        return Ok(());
    };
    let mut q = Sql::new(
        "INSERT INTO import_runs (id, kind, source, file_name, actor_id, actor_name, status, mapping_json, rows_read, created, updated, unchanged, error_count, errors_json, started_at, finished_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(run.kind.as_str())
        .push(", ")
        .bind(run.source.as_str())
        .push(", ")
        .bind(run.file_name.as_str())
        .push(", ")
        .bind(run.actor_id.as_ref().map(|u| u.as_str()))
        .push(", ")
        .bind(run.actor_name.as_str())
        .push(", ")
        .bind(run.status.as_str())
        .push(", ")
        .bind(serde_json::to_string(&run.mapping).map_err(corrupt)?)
        .push(", ")
        .bind(to_i64(run.rows))
        .push(", ")
        .bind(to_i64(run.created))
        .push(", ")
        .bind(to_i64(run.updated))
        .push(", ")
        .bind(to_i64(run.unchanged))
        .push(", ")
        .bind(to_i64(run.error_count))
        .push(", ")
        .bind(serde_json::to_string(&run.errors).map_err(corrupt)?)
        .push(", ")
        .bind(run.started_at)
        .push(", ")
        .bind(run.finished_at)
        .push(")");
    tx.execute(&q).await?;
    Ok(())
}

async fn remember_mapping(tx: &mut Tx, run: &ImportRun) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO import_mappings (kind, source, mapping_json, updated_by_name, updated_at) VALUES (",
    );
    q.bind(run.kind.as_str())
        .push(", ")
        .bind(run.source.as_str())
        .push(", ")
        .bind(serde_json::to_string(&run.mapping).map_err(corrupt)?)
        .push(", ")
        .bind(run.actor_name.as_str())
        .push(", ")
        .bind(run.finished_at)
        .push(") ON CONFLICT (kind, source) DO UPDATE SET mapping_json = excluded.mapping_json, updated_by_name = excluded.updated_by_name, updated_at = excluded.updated_at");
    tx.execute(&q).await?;
    Ok(())
}

impl Store {
    /// Imports one file (see the module's documentation). Answers the run, done or
    /// refused; a refused run wrote nothing but itself (a dry run not even that).
    #[tracing::instrument(skip_all, fields(kind = %req.kind, source = %req.source, dry_run = req.dry_run))]
    pub async fn import<R: Read + Send + 'static>(
        &self,
        actor: &Actor,
        req: ImportRequest,
        input: R,
    ) -> Result<ImportRun> {
        actor.authorize(&Action::ImportRecords)?;
        actor.authorize(&kind_action(req.kind))?;
        let started = self.now();
        let (header_tx, header_rx) = oneshot::channel();
        let (mapping_tx, mapping_rx) = oneshot::channel();
        let (batch_tx, mut batch_rx) = mpsc::channel(2);
        let (kind, source) = (req.kind, req.source);
        let parser = tokio::task::spawn_blocking(move || {
            parse_file(input, kind, source, header_tx, mapping_rx, batch_tx)
        });

        let mut errors = ImportErrors::default();
        let header = match header_rx.await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                errors.push(e);
                Vec::new()
            }
            Err(_) => return Err(corrupt("the reader stopped before the header")),
        };
        let mapping = match &req.mapping {
            Some(m) => m.clone(),
            None => {
                let remembered = self.remembered_mapping(kind, source).await?;
                let suggested = suggest(kind, source, &header, remembered.as_ref());
                if !req.dry_run {
                    errors.push(ImportError::new(
                        0,
                        Some("mapping"),
                        "mapping.unconfirmed",
                        format!(
                            "confirm the column mapping before importing; suggested: {}",
                            suggested.to_text()
                        ),
                    ));
                }
                suggested
            }
        };
        if errors.is_empty() {
            let _ = mapping_tx.send(mapping.clone());
        } else {
            drop(mapping_tx);
        }

        let ctx = RunCtx {
            id: new_id(),
            now: started,
            actor,
            source,
            mapping: &mapping,
        };
        let mut counts = Counts::default();
        let mut tx = self.db.begin_write().await?;
        tx.for_bulk_writes().await?;
        let mut accounts = account::Run::default();
        let (mut batches, mut next_refresh) = (0u64, 4u64);
        while let Some(batch) = batch_rx.recv().await {
            batches += 1;
            // Each time the run has grown tenfold (after 4, 40, 400, … batches), the planner
            // learns the tables it reads back as they now are.
            if batches == next_refresh {
                tx.refresh_statistics(&["import_keys", written_table(kind)])
                    .await?;
                next_refresh *= 10;
            }
            errors.extend(batch.errors);
            match kind {
                ImportKind::Accounts => {
                    let records = batch.records;
                    account::write(
                        &mut tx,
                        &ctx,
                        &mut accounts,
                        records,
                        &mut counts,
                        &mut errors,
                    )
                    .await?
                }
                ImportKind::FxRates => fx::write(&mut tx, &ctx, batch.records, &mut counts).await?,
                ImportKind::Opportunities => {
                    opportunity::ROWS
                        .write(&mut tx, &ctx, batch.records, &mut counts, &mut errors)
                        .await?
                }
                ImportKind::Partners => {
                    partner::ROWS
                        .write(&mut tx, &ctx, batch.records, &mut counts, &mut errors)
                        .await?
                }
                ImportKind::Contacts => {
                    contact::ROWS
                        .write(&mut tx, &ctx, batch.records, &mut counts, &mut errors)
                        .await?
                }
                ImportKind::Registrations => {
                    registration::ROWS
                        .write(&mut tx, &ctx, batch.records, &mut counts, &mut errors)
                        .await?
                }
                ImportKind::Touchpoints => {
                    touchpoint::ROWS
                        .write(&mut tx, &ctx, batch.records, &mut counts, &mut errors)
                        .await?
                }
            }
        }
        let rows = parser.await.map_err(corrupt)?;
        // Errors found while writing come after those of the rows read: in row order.
        errors.errors.sort_by_key(|e| e.row);
        let run = ImportRun {
            id: (!req.dry_run).then(|| ctx.id.clone()),
            kind,
            source,
            file_name: req.file_name,
            dry_run: req.dry_run,
            status: if errors.is_empty() {
                ImportStatus::Done
            } else {
                ImportStatus::Refused
            },
            actor_id: actor.user_id().cloned(),
            actor_name: actor.audit_name(),
            header,
            mapping: mapping.clone(),
            rows,
            created: counts.created,
            updated: counts.updated,
            unchanged: counts.unchanged,
            error_count: errors.total(),
            errors: errors.errors,
            started_at: started,
            finished_at: self.now(),
        };
        if req.dry_run {
            drop(tx);
            return Ok(run);
        }
        if run.status == ImportStatus::Done {
            insert_run(&mut tx, &run).await?;
            remember_mapping(&mut tx, &run).await?;
            audit::record(
                &mut tx,
                run.finished_at,
                actor,
                EntityKind::ImportRun,
                ctx.id.as_str(),
                AuditAction::Created,
                None,
                None::<&()>,
                Some(&run),
            )
            .await?;
            emit(
                &mut tx,
                run.finished_at,
                "import.completed",
                ctx.id.as_str(),
                None,
                &run,
            )
            .await?;
            tx.commit().await?;
        } else {
            // Roll the file back; keep the refusal, so the run list shows it with its errors.
            drop(tx);
            let mut tx = self.db.begin_write().await?;
            insert_run(&mut tx, &run).await?;
            tx.commit().await?;
        }
        Ok(run)
    }

    async fn remembered_mapping(
        &self,
        kind: ImportKind,
        source: ImportSource,
    ) -> Result<Option<ImportMapping>> {
        let mut q = Sql::new(
            "SELECT kind, source, mapping_json, updated_by_name, updated_at FROM import_mappings WHERE kind = ",
        );
        q.bind(kind.as_str())
            .push(" AND source = ")
            .bind(source.as_str());
        let row: Option<MappingRow> = self.db.read().optional(&q).await?;
        row.map(|r| serde_json::from_str(&r.mapping_json).map_err(corrupt))
            .transpose()
    }

    /// The mapping to suggest for a file of `kind` from `source` with `header`: the one
    /// confirmed last when the file has its columns, else from the names the source uses.
    #[tracing::instrument(skip_all)]
    pub async fn suggest_import_mapping(
        &self,
        actor: &Actor,
        kind: ImportKind,
        source: ImportSource,
        header: &[String],
    ) -> Result<ImportMapping> {
        actor.authorize(&Action::ImportRecords)?;
        let remembered = self.remembered_mapping(kind, source).await?;
        Ok(suggest(kind, source, header, remembered.as_ref()))
    }

    /// The latest 100 import runs, newest first (vendor staff).
    #[tracing::instrument(skip_all)]
    pub async fn import_runs(&self, actor: &Actor) -> Result<Vec<ImportRun>> {
        actor.authorize(&Action::ImportRecords)?;
        let q = Sql::new("SELECT * FROM import_runs ORDER BY started_at DESC, id DESC LIMIT 100");
        let rows: Vec<RunRow> = self.db.read().all(&q).await?;
        rows.into_iter().map(from_run_row).collect()
    }

    /// One import run (vendor staff).
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn import_run(&self, actor: &Actor, id: &str) -> Result<ImportRun> {
        actor.authorize(&Action::ImportRecords)?;
        let mut q = Sql::new("SELECT * FROM import_runs WHERE id = ");
        q.bind(id);
        let row: Option<RunRow> = self.db.read().optional(&q).await?;
        row.map(from_run_row)
            .transpose()?
            .ok_or(StoreError::NotFound(EntityKind::ImportRun))
    }

    /// The mappings confirmed so far, one per kind and source (vendor staff).
    #[tracing::instrument(skip_all)]
    pub async fn import_mappings(&self, actor: &Actor) -> Result<Vec<ImportSavedMapping>> {
        actor.authorize(&Action::ImportRecords)?;
        let q = Sql::new(
            "SELECT kind, source, mapping_json, updated_by_name, updated_at FROM import_mappings ORDER BY kind, source",
        );
        let rows: Vec<MappingRow> = self.db.read().all(&q).await?;
        rows.into_iter()
            .map(|r| {
                Ok(ImportSavedMapping {
                    kind: ImportKind::parse("kind", &r.kind).map_err(|e| corrupt(e.message))?,
                    source: ImportSource::parse("source", &r.source)
                        .map_err(|e| corrupt(e.message))?,
                    mapping: serde_json::from_str(&r.mapping_json).map_err(corrupt)?,
                    updated_by_name: r.updated_by_name,
                    updated_at: r.updated_at,
                })
            })
            .collect()
    }
}
