//! `/api/v1/imports` and `/api/v1/import-mappings`: CSV import for vendor staff (a partner
//! gets 403, rule `role.import`, whatever the kind: partners import nothing, so no file of
//! theirs can name another partner's records). A token needs `import:write` and the write
//! scope of what the kind creates (`partner:write` for partners, `user:write` for
//! contacts, `registration:write`, `account:write`, `pipeline:write` for opportunities,
//! touchpoints and currency rates). The file is the request body (`text/csv`), streamed to
//! the store as it arrives, so a file of any size is imported in flat memory; what to import
//! and how is in the query string, the column mapping included (`mapping=field=Column,…`,
//! URL-encoded), so one plain `curl --data-binary @file.csv` is a whole import.

use std::io::Read;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt;
use partnerops_core::Invalid;
use partnerops_core::import::{
    ImportKind, ImportMapping, ImportRun, ImportSavedMapping, ImportSource, ImportStatus,
};
use partnerops_core::token::{TokenAccess, TokenScope, allows};
use partnerops_store::import::ImportRequest;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::filter;
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{Path, Query};
use crate::gate::Caller;
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// What to import and how.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// accounts, partners, contacts, opportunities, registrations, touchpoints or fx_rates.
    #[param(required = true)]
    pub kind: Option<String>,
    /// salesforce-report, salesforce-dataloader, hubspot or partnerops (default: guessed
    /// from the header).
    pub source: Option<String>,
    /// `true`: check every row and report every error, write nothing.
    pub dry_run: Option<bool>,
    /// The confirmed column mapping, `field=Column,field=Column` (our field, their column).
    /// Required unless `dry_run`: a dry run without one uses the suggested mapping (the
    /// one confirmed last for this source when the file has its columns) and answers it.
    pub mapping: Option<String>,
    /// The file's name, for the run list (default: `upload.csv`).
    pub file_name: Option<String>,
}

/// A request body as a blocking reader for the import's parser thread: chunks arrive over
/// a small channel as the client sends them, so at most a few are held at a time.
pub(crate) struct BodyReader {
    chunks: mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl BodyReader {
    pub(crate) fn new(body: Body) -> BodyReader {
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            let mut body = body;
            while let Some(frame) = body.frame().await {
                let sent = match frame {
                    Ok(f) => match f.into_data() {
                        Ok(data) => tx.send(Ok(data)).await,
                        Err(_) => Ok(()),
                    },
                    Err(e) => {
                        let _ = tx.send(Err(std::io::Error::other(e))).await;
                        break;
                    }
                };
                if sent.is_err() {
                    break;
                }
            }
        });
        BodyReader {
            chunks: rx,
            current: Bytes::new(),
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// The request: kind, source, mapping and dry run, with every bad value named.
pub(crate) fn parse_request(
    kind: Option<&str>,
    source: Option<&str>,
    mapping: Option<&str>,
    dry_run: bool,
    file_name: Option<&str>,
) -> Result<(ImportRequest, bool), Invalid> {
    let mut inv = Invalid::new();
    let kind = match kind {
        Some(k) => inv.check(ImportKind::parse("kind", k)),
        None => {
            inv.add(
                "kind",
                "required",
                "kind is required: accounts, partners, contacts, opportunities, registrations, touchpoints or fx_rates",
            );
            None
        }
    };
    let source = filter(&mut inv, "source", source, ImportSource::parse);
    let mapping = match (kind, mapping.filter(|m| !m.trim().is_empty())) {
        (Some(k), Some(text)) => match ImportMapping::parse(k, text) {
            Ok(m) => Some(m),
            Err(errs) => {
                for e in errs {
                    inv.add("mapping", &e.rule, e.message);
                }
                None
            }
        },
        _ => None,
    };
    let Some(kind) = kind.filter(|_| inv.is_empty()) else {
        return Err(inv);
    };
    let detect = source.is_none();
    let name = file_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("upload.csv");
    Ok((
        ImportRequest {
            kind,
            source: source.unwrap_or(ImportSource::Partnerops),
            file_name: name.chars().take(200).collect(),
            mapping,
            dry_run,
        },
        detect,
    ))
}

/// A refused run as a problem document: 422 with every error as `{field: "row 14: Close
/// Date", rule, message}`.
pub(crate) fn refused(run: &ImportRun) -> ApiError {
    let mut inv = Invalid::new();
    inv.errors = run.errors.iter().map(|e| e.to_field_error()).collect();
    if inv.errors.is_empty() {
        inv.add("file", "import", "the import was refused");
    }
    ApiError::from(inv)
}

/// A reader over `first` and then `rest`, to give back the bytes read to guess the source.
struct Prefixed<R> {
    first: std::io::Cursor<Vec<u8>>,
    rest: R,
}

impl<R: Read> Read for Prefixed<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.first.read(out)?;
        if n > 0 {
            return Ok(n);
        }
        self.rest.read(out)
    }
}

/// Imports the CSV body. `200` with the run when it was imported (or, for a dry run, would
/// be); `422` with every error by row and column when it was refused, and then nothing was
/// written. Without `source` it is guessed from the header (the first 64 KB).
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports", params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The CSV file, streamed: a Salesforce report or Data Loader export, a HubSpot export, or our own export"),
    responses((status = 200, body = ImportRun), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn import(
    State(s): State<AppState>,
    who: ApiUser,
    caller: Option<Extension<Caller>>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Answer<ImportRun> {
    let actor = who.actor();
    // Refuse by role before reading a byte of the file.
    actor.authorize(&partnerops_core::scope::Action::ImportRecords)?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/") || v.starts_with("application/octet-stream"));
    if !is_csv {
        return Err(Invalid::one(
            "body",
            "content_type",
            "send the file as the body with Content-Type: text/csv (curl --data-binary @file.csv -H 'Content-Type: text/csv')",
        )
        .into());
    }
    let (mut req, detect) = parse_request(
        q.kind.as_deref(),
        q.source.as_deref(),
        q.mapping.as_deref(),
        q.dry_run.unwrap_or(false),
        q.file_name.as_deref(),
    )?;
    // A token writes through a file only what it could write through the kind's own API.
    if let Some(Extension(Caller::Live { scopes, .. })) = &caller {
        let cap = req.kind.capability();
        if !allows(scopes, cap, TokenAccess::Write) {
            return Err(ApiError::TokenScope(TokenScope::needed(
                cap,
                TokenAccess::Write,
            )));
        }
    }
    let mut reader = BodyReader::new(body);
    let input: Box<dyn Read + Send> = if detect {
        let kind = req.kind;
        let (head, reader) = tokio::task::spawn_blocking(move || {
            let mut head = Vec::new();
            let r = (&mut reader).take(64 * 1024).read_to_end(&mut head);
            r.map(|_| (head, reader))
        })
        .await
        .map_err(|e| ApiError::from(Invalid::one("body", "readable", e.to_string())))?
        .map_err(|e| ApiError::from(Invalid::one("body", "readable", e.to_string())))?;
        if let Ok(r) = partnerops_core::import::reader::ImportReader::new(head.as_slice()) {
            req.source = partnerops_core::import::mapping::detect_source(kind, r.header());
        }
        Box::new(Prefixed {
            first: std::io::Cursor::new(head),
            rest: reader,
        })
    } else {
        Box::new(reader)
    };
    let run = s.store.import(&actor, req, input).await?;
    if run.status == ImportStatus::Refused {
        return Err(refused(&run));
    }
    Ok(axum::Json(run))
}

/// The latest 100 import runs, newest first, with their errors.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports",
    responses((status = 200, body = Vec<ImportRun>), (status = 401, body = Problem), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn runs(State(s): State<AppState>, who: ApiUser) -> Answer<Vec<ImportRun>> {
    Ok(axum::Json(s.store.import_runs(&who.actor()).await?))
}

/// One import run.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, body = ImportRun), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn run(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<ImportRun> {
    Ok(axum::Json(s.store.import_run(&who.actor(), &id).await?))
}

/// The column mappings confirmed last, one per kind and source: what the next import from
/// that source is offered.
#[utoipa::path(get, path = "/api/v1/import-mappings", tag = "imports",
    responses((status = 200, body = Vec<ImportSavedMapping>), (status = 401, body = Problem), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn mappings(State(s): State<AppState>, who: ApiUser) -> Answer<Vec<ImportSavedMapping>> {
    Ok(axum::Json(s.store.import_mappings(&who.actor()).await?))
}
