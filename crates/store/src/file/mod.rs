//! Stored files: bytes in an object store (`object_store`: a local folder by default, any
//! S3-compatible bucket when several instances run), a row per file in `stored_files`.
//!
//! What may be uploaded, and who reads what, is `partnerops_core::file`'s to decide; here
//! the upload is checked, scanned, written, recorded and audited, in that order. The object
//! is written first and the row second: a failed row deletes the object again, so a file
//! that a caller was told failed leaves nothing behind.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::file::{self as rules, FilePurpose, StoredFile};
use partnerops_core::ids::{EntityId, FileId, PartnerId, UserId};
use partnerops_core::scope::{Denied, Scope};
use partnerops_core::{FieldError, Invalid};
use sha2::{Digest, Sha256};

use crate::db::{Exec, Sql, row};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

/// Where file bytes go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileStoreConfig {
    /// A folder on this machine (created when missing).
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3(S3Config),
}

/// An S3-compatible bucket. `endpoint` is for stores other than AWS (MinIO, Ceph, moto);
/// path-style requests are used, which every S3-compatible server understands.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// What a virus scanner said of an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanVerdict {
    Clean,
    /// Refused; the text says what was found and is shown to the uploader.
    Infected(String),
}

/// The extension point for a virus scanner (ClamAV's `clamd`, a vendor's HTTP service, ...):
/// every upload passes through [`VirusScan::scan`] after its type and size checks and before
/// anything is written. The default, [`NoScan`], accepts everything; set another with
/// [`FileStore::with_scanner`]. A scanner that cannot reach its service should answer
/// `Infected` with that reason rather than let the file through.
pub trait VirusScan: Send + Sync {
    fn scan<'a>(
        &'a self,
        name: &'a str,
        bytes: &'a [u8],
    ) -> Pin<Box<dyn Future<Output = ScanVerdict> + Send + 'a>>;
}

/// The default scanner: no scanning.
pub struct NoScan;

impl VirusScan for NoScan {
    fn scan<'a>(
        &'a self,
        _name: &'a str,
        _bytes: &'a [u8],
    ) -> Pin<Box<dyn Future<Output = ScanVerdict> + Send + 'a>> {
        Box::pin(std::future::ready(ScanVerdict::Clean))
    }
}

/// The object store files are kept in, and the scanner uploads pass.
#[derive(Clone)]
pub struct FileStore {
    objects: Arc<dyn ObjectStore>,
    scanner: Arc<dyn VirusScan>,
    describe: String,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl FileStore {
    pub fn open(config: &FileStoreConfig) -> Result<FileStore> {
        let (objects, describe): (Arc<dyn ObjectStore>, String) = match config {
            FileStoreConfig::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Files(format!(
                        "cannot create the file folder {}: {e}",
                        dir.display()
                    ))
                })?;
                let local = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .map_err(files_error)?;
                (Arc::new(local), format!("folder {}", dir.display()))
            }
            FileStoreConfig::S3(s3) => {
                let mut b = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(&s3.secret_access_key)
                    .with_virtual_hosted_style_request(false);
                if let Some(endpoint) = &s3.endpoint {
                    b = b
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                let s3_store = b.build().map_err(files_error)?;
                let at = s3.endpoint.as_deref().unwrap_or("AWS");
                (
                    Arc::new(s3_store),
                    format!("S3 bucket {} at {at}", s3.bucket),
                )
            }
        };
        Ok(FileStore {
            objects,
            scanner: Arc::new(NoScan),
            describe,
        })
    }

    /// The default for a database URL: a folder next to a SQLite file (`prm.db` keeps its
    /// files in `prm.db-files/`), else one under the system's temporary folder. Several
    /// instances on PostgreSQL need a shared store: configure a bucket.
    pub fn default_for(database_url: &str) -> Result<FileStore> {
        FileStore::open(&FileStoreConfig::Local(default_folder(database_url)))
    }

    pub fn with_scanner(mut self, scanner: Arc<dyn VirusScan>) -> FileStore {
        self.scanner = scanner;
        self
    }

    /// Where the bytes go, for logs and `partnerops config`.
    pub fn describe(&self) -> &str {
        &self.describe
    }
}

/// See [`FileStore::default_for`].
pub fn default_folder(database_url: &str) -> PathBuf {
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|p| !p.is_empty() && !p.starts_with(":memory:"));
    match file {
        Some(path) => PathBuf::from(format!("{path}-files")),
        None => std::env::temp_dir().join("partnerops-files"),
    }
}

fn files_error(e: object_store::Error) -> StoreError {
    StoreError::Files(e.to_string())
}

/// An upload, as the caller received it.
pub struct Upload<'a> {
    pub purpose: FilePurpose,
    /// Whose file it is (required for partner-owned purposes when staff upload; a partner
    /// user's own partner otherwise).
    pub partner_id: Option<PartnerId>,
    pub name: &'a str,
    pub bytes: &'a [u8],
}

row! {
    struct FileRow {
        id: String,
        purpose: String,
        partner_id: Option<String>,
        object_key: String,
        name: String,
        content_type: String,
        size_bytes: i64,
        sha256: String,
        uploaded_by: Option<String>,
        created_at: DateTime<Utc>,
    }
}

const COLUMNS: &str = "SELECT f.id, f.purpose, f.partner_id, f.object_key, f.name, f.content_type, f.size_bytes, f.sha256, f.uploaded_by, f.created_at FROM stored_files f";

/// The record, and the key of its bytes in the object store.
fn from_row(r: FileRow) -> Result<(StoredFile, String)> {
    let file = StoredFile {
        id: FileId::from_trusted(r.id),
        purpose: FilePurpose::parse("purpose", &r.purpose)
            .map_err(|e| StoreError::Corrupt(e.message))?,
        partner_id: r.partner_id.map(PartnerId::from_trusted),
        name: r.name,
        content_type: r.content_type,
        size_bytes: r.size_bytes,
        sha256: r.sha256,
        uploaded_by: r.uploaded_by.map(UserId::from_trusted),
        created_at: r.created_at,
    };
    Ok((file, r.object_key))
}

impl Store {
    /// Where this store keeps file bytes.
    pub fn files(&self) -> &FileStore {
        &self.files
    }

    pub fn with_files(mut self, files: FileStore) -> Store {
        self.files = files;
        self
    }

    /// Checks, scans, writes and records an upload.
    #[tracing::instrument(skip_all, fields(purpose = %upload.purpose, size = upload.bytes.len()))]
    pub async fn upload_file(&self, actor: &Actor, upload: Upload<'_>) -> Result<StoredFile> {
        let scope = actor.scope();
        let owner = match (&scope, upload.purpose.partner_owned()) {
            (Scope::Partner(own), true) => Some(upload.partner_id.clone().unwrap_or(own.clone())),
            (_, true) => upload.partner_id.clone(),
            (_, false) => None,
        };
        rules::may_upload(
            &scope,
            upload.purpose,
            upload.partner_id.as_ref().or(owner.as_ref()),
        )
        .map_err(refusal)?;
        let accepted =
            rules::check(upload.purpose, upload.name, upload.bytes).map_err(Invalid::from)?;
        if let ScanVerdict::Infected(why) =
            self.files.scanner.scan(&accepted.name, upload.bytes).await
        {
            return Err(Invalid::one(
                "file",
                "virus_scan",
                format!("the virus scan refused this file: {why}"),
            )
            .into());
        }
        if let Some(p) = &owner {
            row! { struct Exists { #[allow(dead_code)] id: String } }
            let mut q = Sql::new("SELECT id FROM partners WHERE id = ");
            q.bind(p.as_str());
            if self.db.read().optional::<Exists>(&q).await?.is_none() {
                return Err(Invalid::one("partner_id", "exists", "no partner has this id").into());
            }
        }
        let id: FileId = new_id();
        let key = format!("{}/{}", upload.purpose.as_str(), id.as_str());
        let path = ObjectPath::from(key.as_str());
        self.files
            .objects
            .put(&path, upload.bytes.to_vec().into())
            .await
            .map_err(files_error)?;
        match self
            .record_file(actor, &id, &key, owner.as_ref(), &accepted, &upload)
            .await
        {
            Ok(file) => Ok(file),
            Err(e) => {
                // Nothing half-written: the row failed, so the bytes go too.
                if let Err(cleanup) = self.files.objects.delete(&path).await {
                    tracing::warn!(key, error = %cleanup, "could not delete the bytes of a failed upload");
                }
                Err(e)
            }
        }
    }

    async fn record_file(
        &self,
        actor: &Actor,
        id: &FileId,
        key: &str,
        owner: Option<&PartnerId>,
        accepted: &rules::Accepted,
        upload: &Upload<'_>,
    ) -> Result<StoredFile> {
        let now = self.now();
        let sha256 = hex::encode(Sha256::digest(upload.bytes));
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new(
            "INSERT INTO stored_files (id, purpose, partner_id, object_key, name, content_type, size_bytes, sha256, uploaded_by, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(upload.purpose.as_str())
            .push(", ")
            .bind(owner.map(PartnerId::as_str))
            .push(", ")
            .bind(key)
            .push(", ")
            .bind(accepted.name.as_str())
            .push(", ")
            .bind(accepted.file_type.mime())
            .push(", ")
            .bind(upload.bytes.len() as i64)
            .push(", ")
            .bind(sha256.as_str())
            .push(", ")
            .bind(actor.user_id().map(UserId::as_str))
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let mut q = Sql::new(COLUMNS);
        q.push(" WHERE f.id = ").bind(id.as_str());
        let (file, _) = from_row(
            tx.optional::<FileRow>(&q)
                .await?
                .ok_or(StoreError::NotFound(EntityKind::File))?,
        )?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::File,
            id.as_str(),
            AuditAction::Created,
            owner,
            None::<&()>,
            Some(&file),
        )
        .await?;
        tx.commit().await?;
        Ok(file)
    }

    /// A file's record as `scope` may see it (`None`: not signed in, so public files only).
    /// Unreadable and missing are the same `NotFound`.
    pub async fn file(&self, scope: Option<&Scope>, id: &str) -> Result<StoredFile> {
        Ok(self.file_and_key(scope, id).await?.0)
    }

    async fn file_and_key(&self, scope: Option<&Scope>, id: &str) -> Result<(StoredFile, String)> {
        let not_found = StoreError::NotFound(EntityKind::File);
        if FileId::parse(id).is_none() {
            return Err(not_found);
        }
        let mut q = Sql::new(COLUMNS);
        q.push(" WHERE f.id = ").bind(id);
        let Some(row) = self.db.read().optional::<FileRow>(&q).await? else {
            return Err(not_found);
        };
        let (file, key) = from_row(row)?;
        if !rules::may_read(scope, file.purpose, file.partner_id.as_ref()) {
            return Err(not_found);
        }
        Ok((file, key))
    }

    /// The vendor's course media, newest first (the course editor's library): vendor staff
    /// only, the newest `limit`.
    pub async fn course_media(&self, scope: &Scope, limit: i64) -> Result<Vec<StoredFile>> {
        if !matches!(scope, Scope::Vendor) {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(COLUMNS);
        q.push(" WHERE f.purpose = 'course_media' ORDER BY f.created_at DESC, f.id DESC LIMIT ")
            .bind(limit);
        self.db
            .read()
            .all::<FileRow>(&q)
            .await?
            .into_iter()
            .map(|row| Ok(from_row(row)?.0))
            .collect()
    }

    /// A partner's logo: the newest logo uploaded for it (logos are public).
    pub async fn partner_logo(&self, partner_id: &PartnerId) -> Result<Option<StoredFile>> {
        let mut q = Sql::new(COLUMNS);
        q.push(" WHERE f.purpose = 'logo' AND f.partner_id = ")
            .bind(partner_id.as_str())
            .push(" ORDER BY f.created_at DESC, f.id DESC LIMIT 1");
        match self.db.read().optional::<FileRow>(&q).await? {
            Some(row) => Ok(Some(from_row(row)?.0)),
            None => Ok(None),
        }
    }

    /// A file's record and bytes as `scope` may see them.
    pub async fn file_content(
        &self,
        scope: Option<&Scope>,
        id: &str,
    ) -> Result<(StoredFile, Vec<u8>)> {
        let (file, key) = self.file_and_key(scope, id).await?;
        let got = self
            .files
            .objects
            .get(&ObjectPath::from(key.as_str()))
            .await
            .map_err(files_error)?;
        let bytes = got.bytes().await.map_err(files_error)?;
        Ok((file, bytes.to_vec()))
    }
}

/// A refused upload: "forbidden" is a role or ownership rule (403), the rest is input (422).
fn refusal(e: FieldError) -> StoreError {
    if e.rule == "forbidden" {
        StoreError::Forbidden(Denied {
            rule: "files.upload",
            message: e.message,
        })
    } else {
        Invalid::from(e).into()
    }
}
