//! Account mapping: the partnership (dual opt-in, each side's sharing), the partner's
//! upload read through the import machinery's reader, the matching run on upload, the
//! overlap matrix, the drill-down that obeys both sides' sharing, and the deletion of the
//! partner's data. The rules are `core::mapping`'s; here they meet the database.
//!
//! A partner sees only its own mapping partnership. Nothing here ever hands a partner a
//! vendor row that is not matched to one of its own, nor more of a matched row than the
//! vendor shares; and vendor staff read a partner's rows only through matches, with the
//! fields the partner shares.

mod intro;
mod matcher;

use std::collections::{HashMap, HashSet};
use std::io::Read;

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{
    AccountId, EntityId, MappingMatchId, MappingPartnershipId, MappingUploadId, PartnerId, parse_id,
};
use partnerops_core::import::mapping::{detect_source_fields, suggest_fields};
use partnerops_core::import::reader::ImportReader;
use partnerops_core::import::{ImportError, ImportErrors, ImportMapping, ImportSource};
use partnerops_core::mapping::matching::{MatchMethod, name_tokens};
use partnerops_core::mapping::overlap::{
    Matrix, SharedAccount, drill_down_refusal, is_co_sell, matrix,
};
use partnerops_core::mapping::record::{
    CoSellSuggestion, MappingMatch, MappingPartnership, MappingProposalInput, MappingSettingsInput,
    MappingUploadResult, OverlapRow, check_thresholds,
};
use partnerops_core::mapping::upload::{UPLOAD_FIELDS, UploadParser, UploadRow};
use partnerops_core::mapping::{
    DEFAULT_FLOOR, DEFAULT_THRESHOLD, MappingStatus, MatchState, Population, Sharing, Side,
    intro_asker, status_after_accept,
};
use partnerops_core::scope::{Action, Denied, Scope};
use partnerops_core::{FieldError, Invalid};

use crate::db::{Arg, Exec, Sql, Tx, row};
use crate::entity::{json_column, to_json};
use crate::{Actor, Result, Store, StoreError, audit, new_id, scope};
pub(crate) use matcher::MatcherCache;
use matcher::{MatchCtx, RowToMatch, match_rows};
use tokio::sync::{mpsc, oneshot};

row! {
    struct PartnershipRow {
        id: String,
        partner_id: String,
        partner_name: String,
        status: String,
        vendor_accepted_at: Option<DateTime<Utc>>,
        partner_accepted_at: Option<DateTime<Utc>>,
        ended_at: Option<DateTime<Utc>>,
        threshold_pct: i64,
        floor_pct: i64,
        vendor_sharing: String,
        partner_sharing: String,
        uploaded_rows: i64,
        uploaded_at: Option<DateTime<Utc>>,
        to_confirm: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

const PARTNERSHIP_SELECT: &str = "SELECT m.id, m.partner_id, p.name AS partner_name, m.status, m.vendor_accepted_at, m.partner_accepted_at, m.ended_at, m.threshold_pct, m.floor_pct, m.vendor_sharing, m.partner_sharing, (SELECT COUNT(*) FROM mapping_rows r WHERE r.partnership_id = m.id) AS uploaded_rows, (SELECT MAX(u.created_at) FROM mapping_uploads u WHERE u.partnership_id = m.id) AS uploaded_at, (SELECT COUNT(*) FROM mapping_matches mm WHERE mm.partnership_id = m.id AND mm.state = 'to_confirm') AS to_confirm, m.created_at, m.updated_at FROM mapping_partnerships m JOIN partners p ON p.id = m.partner_id WHERE 1 = 1";

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(e.message)
}

fn pct(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

fn partnership_from(r: PartnershipRow) -> Result<MappingPartnership> {
    Ok(MappingPartnership {
        id: MappingPartnershipId::from_trusted(r.id),
        partner_id: PartnerId::from_trusted(r.partner_id),
        partner_name: r.partner_name,
        status: MappingStatus::parse("status", &r.status).map_err(corrupt)?,
        vendor_accepted_at: r.vendor_accepted_at,
        partner_accepted_at: r.partner_accepted_at,
        ended_at: r.ended_at,
        threshold: pct(r.threshold_pct),
        floor: pct(r.floor_pct),
        vendor_sharing: json_column("vendor_sharing", &r.vendor_sharing)?,
        partner_sharing: json_column("partner_sharing", &r.partner_sharing)?,
        uploaded_rows: r.uploaded_rows,
        uploaded_at: r.uploaded_at,
        to_confirm: r.to_confirm,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

async fn partnership_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<MappingPartnership> {
    let not_found = StoreError::NotFound(EntityKind::MappingPartnership);
    if MappingPartnershipId::parse(id).is_none() {
        return Err(not_found);
    }
    let mut q = Sql::new(PARTNERSHIP_SELECT);
    q.push(" AND m.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::MappingPartnership, "m");
    partnership_from(x.optional::<PartnershipRow>(&q).await?.ok_or(not_found)?)
}

/// The caller's side: a partner user is the partner's, anyone else the vendor's.
fn side_of(actor: &Actor) -> Side {
    if actor.partner_id().is_some() {
        Side::Partner
    } else {
        Side::Vendor
    }
}

fn scope_side(scope: &Scope) -> Side {
    match scope {
        Scope::Partner(_) => Side::Partner,
        Scope::Vendor => Side::Vendor,
    }
}

fn refused(rule: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Forbidden(Denied {
        rule,
        message: message.into(),
    })
}

fn must_be_active(m: &MappingPartnership) -> Result<()> {
    if m.status == MappingStatus::Active {
        Ok(())
    } else {
        Err(StoreError::conflict(
            "status",
            "mapping.not_active",
            "the mapping partnership is not active: both sides must accept it first (or it ended)",
        ))
    }
}

row! {
    pub(crate) struct IdRow {
        id: String,
    }
}

row! {
    struct UploadedRow {
        id: String,
        name: String,
        web_domain: Option<String>,
        country: Option<String>,
        population: String,
    }
}

row! {
    struct DecisionRow {
        account_id: String,
        row_key: String,
        verdict: String,
    }
}

/// A partner row's key for remembered decisions: what identifies its company.
fn row_key(name: &str, country: Option<&str>, domain: Option<&str>) -> String {
    format!(
        "{}|{}|{}",
        name_tokens(name).join(" "),
        country.unwrap_or_default(),
        domain.unwrap_or_default()
    )
}

/// The decisions people took on the partnership's uncertain pairs, by (account, row key).
async fn decisions_of(
    x: &mut impl Exec,
    id: &MappingPartnershipId,
) -> Result<HashMap<(String, String), bool>> {
    let mut q = Sql::new(
        "SELECT account_id, row_key, verdict FROM mapping_decisions WHERE partnership_id = ",
    );
    q.bind(id.as_str());
    Ok(x.all::<DecisionRow>(&q)
        .await?
        .into_iter()
        .map(|d| ((d.account_id, d.row_key), d.verdict == "confirmed"))
        .collect())
}

/// Matches every row of the partnership's upload again (its thresholds changed) against
/// the kept matcher (see [`matcher`]) and rewrites its matches. Returns (counting, to
/// confirm).
async fn rematch(tx: &mut Tx, cache: &MatcherCache, m: &MappingPartnership) -> Result<(u64, u64)> {
    let mut q = Sql::new("DELETE FROM mapping_matches WHERE partnership_id = ");
    q.bind(m.id.as_str());
    tx.execute(&q).await?;
    let index = cache.current(tx).await?;
    let decisions = decisions_of(tx, &m.id).await?;
    let mut q = Sql::new(
        "SELECT id, name, web_domain, country, population FROM mapping_rows WHERE partnership_id = ",
    );
    q.bind(m.id.as_str()).push(" ORDER BY row_no, id");
    let rows = tx
        .all::<UploadedRow>(&q)
        .await?
        .into_iter()
        .map(|r| {
            Ok(RowToMatch {
                population: population(&r.population)?,
                id: r.id,
                name: r.name,
                web_domain: r.web_domain,
                country: r.country,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let ctx = MatchCtx {
        m,
        decisions: &decisions,
    };
    let (mut counted, mut waiting) = (0, 0);
    for chunk in rows.chunks(UPLOAD_BATCH) {
        let (c, w) = match_rows(tx, &ctx, &index, chunk.to_vec()).await?;
        counted += c;
        waiting += w;
    }
    Ok((counted, waiting))
}

/// Deletes the partner's uploaded rows, their matches and the decisions about them.
async fn delete_partner_data(tx: &mut Tx, id: &MappingPartnershipId) -> Result<()> {
    for table in [
        "mapping_intro_requests",
        "mapping_matches",
        "mapping_decisions",
        "mapping_rows",
        "mapping_uploads",
    ] {
        let mut q = Sql::new(&format!("DELETE FROM {table} WHERE partnership_id = "));
        q.bind(id.as_str());
        tx.execute(&q).await?;
    }
    Ok(())
}

row! {
    struct MatchRow {
        id: String,
        state: String,
        account_id: String,
        vendor_name: String,
        vendor_domain: Option<String>,
        vendor_country: String,
        partner_name: String,
        partner_domain: Option<String>,
        partner_country: Option<String>,
        partner_external_id: Option<String>,
        vendor_population: String,
        partner_population: String,
        method: String,
        confidence: i64,
        reason: String,
    }
}

const MATCH_SELECT: &str = "SELECT mm.id, mm.state, mm.account_id, a.name AS vendor_name, a.web_domain AS vendor_domain, a.country AS vendor_country, r.name AS partner_name, r.web_domain AS partner_domain, r.country AS partner_country, r.external_id AS partner_external_id, mm.vendor_population, mm.partner_population, mm.method, mm.confidence, mm.reason FROM mapping_matches mm JOIN accounts a ON a.id = mm.account_id JOIN mapping_rows r ON r.id = mm.row_id WHERE mm.partnership_id = ";

fn population(raw: &str) -> Result<Population> {
    Population::parse("population", raw).map_err(corrupt)
}

/// A matched pair as `side` may see it: its own side in full, the other side with only
/// what that side shares of its population.
fn overlap_row(r: &MatchRow, m: &MappingPartnership, side: Side) -> Result<OverlapRow> {
    let vp = population(&r.vendor_population)?;
    let pp = population(&r.partner_population)?;
    let full = [
        partnerops_core::mapping::SharedField::Name,
        partnerops_core::mapping::SharedField::WebDomain,
        partnerops_core::mapping::SharedField::Country,
    ];
    let (vendor_fields, partner_fields): (&[_], &[_]) = match side {
        Side::Vendor => (&full, m.partner_sharing.fields(pp)),
        Side::Partner => (m.vendor_sharing.fields(vp), &full),
    };
    Ok(OverlapRow {
        vendor_population: vp,
        partner_population: pp,
        vendor: SharedAccount::redact(
            vendor_fields,
            &r.vendor_name,
            r.vendor_domain.as_deref(),
            Some(&r.vendor_country),
        ),
        partner: SharedAccount::redact(
            partner_fields,
            &r.partner_name,
            r.partner_domain.as_deref(),
            r.partner_country.as_deref(),
        ),
        account_id: (side == Side::Vendor).then(|| AccountId::from_trusted(r.account_id.clone())),
        partner_external_id: if side == Side::Partner {
            r.partner_external_id.clone()
        } else {
            None
        },
        method: r.method.clone(),
        confidence: pct(r.confidence),
        reason: r.reason.clone(),
    })
}

/// What to upload.
#[derive(Clone, Debug, Default)]
pub struct MappingUploadRequest {
    /// Guessed from the header when absent.
    pub source: Option<ImportSource>,
    /// The confirmed mapping; without one, the upload is refused with the suggestion
    /// (`mapping.unconfirmed`) unless `dry_run`.
    pub mapping: Option<ImportMapping>,
    pub file_name: String,
    /// Read and check the file, write nothing.
    pub dry_run: bool,
    /// Add the rows to the current upload (matching only them) instead of replacing it.
    pub append: bool,
    /// The population of rows without a type (default: prospects).
    pub default_population: Option<Population>,
}

row! {
    struct MapJsonRow {
        mapping_json: String,
    }
}

/// Rows per batch of an upload: what is held in memory at a time, whatever the file's size.
const UPLOAD_BATCH: usize = 5_000;

/// Rows of the file read, or the errors in them.
struct UploadBatch {
    rows: Vec<UploadRow>,
    errors: Vec<ImportError>,
}

/// Reads `input` on a blocking thread: the header first (answered on `header`), then, once
/// the mapping arrives (none: stop), every row as an [`UploadRow`] or its errors, in
/// batches. Returns the data rows read.
fn parse_upload<R: Read>(
    input: R,
    default_population: Option<Population>,
    header: oneshot::Sender<std::result::Result<Vec<String>, ImportError>>,
    mapping: oneshot::Receiver<ImportMapping>,
    batches: mpsc::Sender<UploadBatch>,
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
    let parser = match UploadParser::new(&mapping, reader.header()) {
        Ok(p) => p.with_default_population(default_population.unwrap_or(Population::Prospect)),
        Err(errors) => {
            let _ = batches.blocking_send(UploadBatch {
                rows: Vec::new(),
                errors,
            });
            return 0;
        }
    };
    let new_batch = || UploadBatch {
        rows: Vec::with_capacity(UPLOAD_BATCH),
        errors: Vec::new(),
    };
    let mut batch = new_batch();
    while let Some(next) = reader.next_row() {
        match next.map_err(|e| vec![e]).and_then(|d| parser.parse(&d)) {
            Ok(r) => batch.rows.push(r),
            Err(es) => batch.errors.extend(es),
        }
        if batch.rows.len() + batch.errors.len() >= UPLOAD_BATCH
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

row! {
    struct ExternalIdRow {
        external_id: Option<String>,
    }
}

/// Errors for rows whose record id is already uploaded (a company is uploaded once): in
/// `uploaded`'s rows when given (the partnership's upload: earlier batches of this file,
/// earlier files when adding), in `seen` (ids met before, which this adds to), or earlier
/// in the same batch.
async fn duplicate_ids(
    x: &mut impl Exec,
    uploaded: Option<&str>,
    seen: &mut HashSet<String>,
    column: &str,
    rows: &[UploadRow],
) -> Result<Vec<ImportError>> {
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.external_id.as_deref())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut known: HashSet<String> = HashSet::new();
    if let Some(partnership) = uploaded {
        let mut q = Sql::new("SELECT external_id FROM mapping_rows WHERE partnership_id = ");
        q.bind(partnership)
            .push(" AND external_id IN ")
            .bind_in(ids.iter().copied());
        known.extend(
            x.all::<ExternalIdRow>(&q)
                .await?
                .into_iter()
                .filter_map(|r| r.external_id),
        );
    }
    let mut errors = Vec::new();
    for r in rows {
        if let Some(id) = &r.external_id
            && (known.contains(id) || !seen.insert(id.clone()))
        {
            errors.push(ImportError::new(
                r.row,
                Some(column),
                "mapping.duplicate",
                format!("record id {id} is already uploaded: each company once"),
            ));
        }
    }
    Ok(errors)
}

/// The audit event of a change to a partnership, with before and after.
async fn audit_change(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    action: AuditAction,
    before: &MappingPartnership,
    after: &MappingPartnership,
) -> Result<()> {
    audit::record(
        tx,
        now,
        actor,
        EntityKind::MappingPartnership,
        before.id.as_str(),
        action,
        Some(&before.partner_id),
        Some(before),
        Some(after),
    )
    .await
}

impl Store {
    /// Mapping partnerships (a partner: its own), the live ones first.
    pub async fn mapping_partnerships(&self, scope: &Scope) -> Result<Vec<MappingPartnership>> {
        let mut q = Sql::new(PARTNERSHIP_SELECT);
        scope::restrict(&mut q, scope, EntityKind::MappingPartnership, "m");
        q.push(" ORDER BY CASE WHEN m.status = 'ended' THEN 1 ELSE 0 END, p.name, m.created_at DESC, m.id");
        self.db
            .read()
            .all::<PartnershipRow>(&q)
            .await?
            .into_iter()
            .map(partnership_from)
            .collect()
    }

    pub async fn mapping_partnership(&self, scope: &Scope, id: &str) -> Result<MappingPartnership> {
        partnership_in(&mut self.db.read(), scope, id).await
    }

    /// Proposes a mapping partnership; the proposer's side accepts at once. One live
    /// partnership per partner.
    #[tracing::instrument(skip_all)]
    pub async fn propose_mapping(
        &self,
        actor: &Actor,
        input: &MappingProposalInput,
    ) -> Result<MappingPartnership> {
        let partner: PartnerId = match (actor.partner_id(), input.partner_id.as_deref()) {
            (Some(own), None) => own.clone(),
            (Some(own), Some(raw)) if raw.trim() == own.as_str() => own.clone(),
            (Some(_), Some(_)) => {
                return Err(Invalid::one(
                    "partner_id",
                    "own_partner",
                    "a partner proposes a mapping for itself",
                )
                .into());
            }
            (None, Some(raw)) => parse_id::<PartnerId>("partner_id", raw).map_err(Invalid::from)?,
            (None, None) => {
                return Err(
                    Invalid::one("partner_id", "required", "partner_id is required").into(),
                );
            }
        };
        actor.authorize(&Action::ManageMapping(&partner))?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new("SELECT id FROM partners WHERE archived_at IS NULL AND id = ");
        q.bind(partner.as_str());
        scope::restrict(&mut q, &actor.scope(), EntityKind::Partner, "partners");
        if tx.optional::<IdRow>(&q).await?.is_none() {
            return Err(
                Invalid::one("partner_id", "exists", "partner_id must be a live partner").into(),
            );
        }
        let mut q = Sql::new(
            "SELECT id FROM mapping_partnerships WHERE status <> 'ended' AND partner_id = ",
        );
        q.bind(partner.as_str());
        if tx.optional::<IdRow>(&q).await?.is_some() {
            return Err(StoreError::conflict(
                "partner_id",
                "mapping.exists",
                "this partner already has a live mapping partnership: accept or end it",
            ));
        }
        let id: MappingPartnershipId = new_id();
        let side = side_of(actor);
        let by = actor.audit_name();
        let empty = to_json(&Sharing::default())?;
        let mut q = Sql::new(
            "INSERT INTO mapping_partnerships (id, partner_id, status, vendor_accepted_at, vendor_accepted_by, partner_accepted_at, partner_accepted_by, threshold_pct, floor_pct, vendor_sharing, partner_sharing, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(partner.as_str())
            .push(", 'proposed', ")
            .bind((side == Side::Vendor).then_some(now))
            .push(", ")
            .bind((side == Side::Vendor).then(|| by.clone()))
            .push(", ")
            .bind((side == Side::Partner).then_some(now))
            .push(", ")
            .bind((side == Side::Partner).then(|| by.clone()))
            .push(", ")
            .bind(i64::from(DEFAULT_THRESHOLD))
            .push(", ")
            .bind(i64::from(DEFAULT_FLOOR))
            .push(", ")
            .bind(empty.clone())
            .push(", ")
            .bind(empty)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let m = partnership_in(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::MappingPartnership,
            id.as_str(),
            AuditAction::Created,
            Some(&partner),
            None::<&()>,
            Some(&m),
        )
        .await?;
        tx.commit().await?;
        Ok(m)
    }

    /// The caller's side accepts; the partnership is active once both have.
    #[tracing::instrument(skip_all, fields(mapping_id = %id))]
    pub async fn accept_mapping(&self, actor: &Actor, id: &str) -> Result<MappingPartnership> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = partnership_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMapping(&before.partner_id))?;
        if before.status == MappingStatus::Ended {
            return Err(StoreError::conflict(
                "status",
                "mapping.ended",
                "this mapping partnership has ended: propose a new one",
            ));
        }
        let side = side_of(actor);
        let (vendor, partner) = match side {
            Side::Vendor => (true, before.partner_accepted_at.is_some()),
            Side::Partner => (before.vendor_accepted_at.is_some(), true),
        };
        let status = status_after_accept(vendor, partner);
        let column = match side {
            Side::Vendor => "vendor",
            Side::Partner => "partner",
        };
        let mut q = Sql::new("UPDATE mapping_partnerships SET status = ");
        q.bind(status.as_str())
            .push(&format!(
                ", {column}_accepted_at = COALESCE({column}_accepted_at, "
            ))
            .bind(now)
            .push(&format!(
                "), {column}_accepted_by = COALESCE({column}_accepted_by, "
            ))
            .bind(actor.audit_name())
            .push("), updated_at = ")
            .bind(now)
            .push(" WHERE status <> 'ended' AND id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = partnership_in(&mut tx, &Scope::Vendor, id).await?;
        audit_change(&mut tx, now, actor, AuditAction::Updated, &before, &after).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Either side ends the partnership; the partner's uploaded data is deleted with it.
    #[tracing::instrument(skip_all, fields(mapping_id = %id))]
    pub async fn end_mapping(&self, actor: &Actor, id: &str) -> Result<MappingPartnership> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = partnership_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMapping(&before.partner_id))?;
        if before.status == MappingStatus::Ended {
            return Err(StoreError::conflict(
                "status",
                "mapping.ended",
                "this mapping partnership has already ended",
            ));
        }
        delete_partner_data(&mut tx, &before.id).await?;
        let mut q = Sql::new("UPDATE mapping_partnerships SET status = 'ended', ended_at = ");
        q.bind(now)
            .push(", ended_by = ")
            .bind(actor.audit_name())
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let after = partnership_in(&mut tx, &Scope::Vendor, id).await?;
        audit_change(&mut tx, now, actor, AuditAction::Updated, &before, &after).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets the caller's side's sharing and (vendor staff) the thresholds; matches are
    /// re-classified under new thresholds.
    #[tracing::instrument(skip_all, fields(mapping_id = %id))]
    pub async fn update_mapping_settings(
        &self,
        actor: &Actor,
        id: &str,
        input: &MappingSettingsInput,
    ) -> Result<MappingPartnership> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = partnership_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMapping(&before.partner_id))?;
        if before.status == MappingStatus::Ended {
            return Err(StoreError::conflict(
                "status",
                "mapping.ended",
                "this mapping partnership has ended",
            ));
        }
        let side = side_of(actor);
        if side == Side::Partner && (input.threshold.is_some() || input.floor.is_some()) {
            return Err(Invalid::one(
                "threshold",
                "vendor_only",
                "the vendor sets the matching thresholds",
            )
            .into());
        }
        let threshold = input.threshold.unwrap_or(before.threshold);
        let floor = input.floor.unwrap_or(before.floor);
        check_thresholds(threshold, floor)?;
        let column = match side {
            Side::Vendor => "vendor_sharing",
            Side::Partner => "partner_sharing",
        };
        let sharing = match (&input.sharing, side) {
            (Some(s), _) => s.clone().cleaned(),
            (None, Side::Vendor) => before.vendor_sharing.clone(),
            (None, Side::Partner) => before.partner_sharing.clone(),
        };
        let mut q = Sql::new(&format!("UPDATE mapping_partnerships SET {column} = "));
        q.bind(to_json(&sharing)?)
            .push(", threshold_pct = ")
            .bind(i64::from(threshold))
            .push(", floor_pct = ")
            .bind(i64::from(floor))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&q).await?;
        let mut after = partnership_in(&mut tx, &Scope::Vendor, id).await?;
        if (threshold, floor) != (before.threshold, before.floor) {
            rematch(&mut tx, &self.mapping_matchers, &after).await?;
            after = partnership_in(&mut tx, &Scope::Vendor, id).await?;
        }
        audit_change(&mut tx, now, actor, AuditAction::Updated, &before, &after).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Uploads the partner's accounts: all rows or none (every error by row and column),
    /// replacing the previous upload or, with `append`, adding to it; the rows are matched
    /// as they are written, against the kept matcher (see [`matcher`]): adding rows matches
    /// those rows only. The file is read and written in batches, so memory stays flat
    /// whatever its size; a refused file rolls back. The confirmed mapping is remembered
    /// per partner and source.
    #[tracing::instrument(skip_all, fields(mapping_id = %id, append = req.append))]
    pub async fn upload_mapping(
        &self,
        actor: &Actor,
        id: &str,
        req: MappingUploadRequest,
        input: impl Read + Send + 'static,
    ) -> Result<MappingUploadResult> {
        let m = partnership_in(&mut self.db.read(), &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMapping(&m.partner_id))?;
        must_be_active(&m)?;
        let (header_tx, header_rx) = oneshot::channel();
        let (mapping_tx, mapping_rx) = oneshot::channel();
        let (batch_tx, mut batch_rx) = mpsc::channel(2);
        let default_population = req.default_population;
        let parser = tokio::task::spawn_blocking(move || {
            parse_upload(input, default_population, header_tx, mapping_rx, batch_tx)
        });
        let mut errors = ImportErrors::default();
        let header = match header_rx.await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                errors.push(e);
                Vec::new()
            }
            Err(_) => return Err(StoreError::Corrupt("the upload reader stopped".into())),
        };
        let source = req
            .source
            .unwrap_or_else(|| detect_source_fields(UPLOAD_FIELDS, &header));
        let confirmed = req.mapping.is_some();
        let mapping = match req.mapping.clone() {
            Some(m) => m,
            None => {
                let mut q =
                    Sql::new("SELECT mapping_json FROM mapping_column_maps WHERE partner_id = ");
                q.bind(m.partner_id.as_str())
                    .push(" AND source = ")
                    .bind(source.as_str());
                let remembered = match self.db.read().optional::<MapJsonRow>(&q).await? {
                    Some(r) => Some(json_column::<ImportMapping>(
                        "mapping_json",
                        &r.mapping_json,
                    )?),
                    None => None,
                };
                suggest_fields(UPLOAD_FIELDS, source, &header, remembered.as_ref())
            }
        };
        if errors.is_empty() && !confirmed && !req.dry_run {
            errors.push(ImportError::new(
                0,
                Some("mapping"),
                "mapping.unconfirmed",
                "confirm the column mapping (send it as `mapping`) before the rows are uploaded",
            ));
        }
        let mut result = MappingUploadResult {
            source,
            file_name: req.file_name.clone(),
            header,
            mapping: mapping.clone(),
            append: req.append,
            rows: 0,
            matched: 0,
            to_confirm: 0,
            errors: Vec::new(),
            error_count: 0,
        };
        let finish = |mut result: MappingUploadResult, mut errors: ImportErrors, rows: u64| {
            errors.errors.sort_by_key(|e| e.row);
            result.rows = rows;
            result.error_count = errors.total();
            result.errors = errors.errors;
            result
        };
        if !errors.is_empty() {
            drop(mapping_tx);
            let _ = parser.await;
            return Ok(finish(result, errors, 0));
        }
        let _ = mapping_tx.send(mapping.clone());
        let id_column = mapping
            .column("external_id")
            .unwrap_or("external_id")
            .to_owned();
        if req.dry_run {
            // Nothing is written, so the ids met are remembered here (an id a row).
            let mut seen = HashSet::new();
            let uploaded = req.append.then_some(id);
            while let Some(batch) = batch_rx.recv().await {
                errors.extend(batch.errors);
                errors.extend(
                    duplicate_ids(
                        &mut self.db.read(),
                        uploaded,
                        &mut seen,
                        &id_column,
                        &batch.rows,
                    )
                    .await?,
                );
            }
            let rows = parser
                .await
                .map_err(|e| StoreError::Corrupt(format!("upload reader: {e}")))?;
            return Ok(finish(result, errors, rows));
        }
        // The matcher is taken (built if the accounts changed) before the write lock.
        let index = self.mapping_matchers.current(&mut self.db.read()).await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        tx.for_bulk_writes().await?;
        let before = partnership_in(&mut tx, &actor.scope(), id).await?;
        must_be_active(&before)?;
        let index = self.mapping_matchers.check_in(&mut tx, index).await?;
        let decisions = decisions_of(&mut tx, &before.id).await?;
        if !req.append {
            for table in ["mapping_matches", "mapping_rows", "mapping_uploads"] {
                let mut q = Sql::new(&format!("DELETE FROM {table} WHERE partnership_id = "));
                q.bind(id);
                tx.execute(&q).await?;
            }
        }
        let upload: MappingUploadId = new_id();
        let mut q = Sql::new(
            "INSERT INTO mapping_uploads (id, partnership_id, partner_id, source, file_name, mapping_json, rows_read, uploaded_by, created_at) VALUES (",
        );
        q.bind(upload.as_str())
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(before.partner_id.as_str())
            .push(", ")
            .bind(source.as_str())
            .push(", ")
            .bind(req.file_name.as_str())
            .push(", ")
            .bind(to_json(&mapping)?)
            .push(", 0, ")
            .bind(actor.audit_name())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let ctx = MatchCtx {
            m: &before,
            decisions: &decisions,
        };
        while let Some(batch) = batch_rx.recv().await {
            errors.extend(batch.errors);
            // After the first error nothing more is written: the transaction rolls back.
            if !errors.is_empty() {
                continue;
            }
            // Earlier batches are written: the query finds their ids (memory stays flat).
            let mut seen = HashSet::new();
            errors.extend(
                duplicate_ids(&mut tx, Some(id), &mut seen, &id_column, &batch.rows).await?,
            );
            if !errors.is_empty() {
                continue;
            }
            let mut to_match = Vec::with_capacity(batch.rows.len());
            let values: Vec<Vec<Arg>> = batch
                .rows
                .into_iter()
                .map(|r| {
                    let row_id = format!("arw_{}", uuid::Uuid::now_v7().simple());
                    let domain = r.web_domain.as_ref().map(|d| d.as_str().to_owned());
                    let values = vec![
                        row_id.clone().into(),
                        upload.as_str().into(),
                        id.into(),
                        before.partner_id.as_str().into(),
                        (r.row as i64).into(),
                        r.external_id.clone().into(),
                        r.name.as_str().into(),
                        domain.clone().into(),
                        r.country.clone().into(),
                        r.population.as_str().into(),
                    ];
                    to_match.push(RowToMatch {
                        id: row_id,
                        name: r.name,
                        web_domain: domain,
                        country: r.country,
                        population: r.population,
                    });
                    values
                })
                .collect();
            tx.insert_rows(
                "mapping_rows",
                &[
                    "id",
                    "upload_id",
                    "partnership_id",
                    "partner_id",
                    "row_no",
                    "external_id",
                    "name",
                    "web_domain",
                    "country",
                    "population",
                ],
                &values,
            )
            .await?;
            let (c, w) = match_rows(&mut tx, &ctx, &index, to_match).await?;
            result.matched += c;
            result.to_confirm += w;
        }
        let rows = parser
            .await
            .map_err(|e| StoreError::Corrupt(format!("upload reader: {e}")))?;
        if !errors.is_empty() {
            drop(tx);
            result.matched = 0;
            result.to_confirm = 0;
            return Ok(finish(result, errors, rows));
        }
        let mut q = Sql::new("UPDATE mapping_uploads SET rows_read = ");
        q.bind(rows as i64)
            .push(" WHERE id = ")
            .bind(upload.as_str());
        tx.execute(&q).await?;
        let mut q = Sql::new("DELETE FROM mapping_column_maps WHERE partner_id = ");
        q.bind(before.partner_id.as_str())
            .push(" AND source = ")
            .bind(source.as_str());
        tx.execute(&q).await?;
        let mut q = Sql::new(
            "INSERT INTO mapping_column_maps (partner_id, source, mapping_json, updated_at) VALUES (",
        );
        q.bind(before.partner_id.as_str())
            .push(", ")
            .bind(source.as_str())
            .push(", ")
            .bind(to_json(&mapping)?)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let mut q = Sql::new("UPDATE mapping_partnerships SET updated_at = ");
        q.bind(now).push(" WHERE id = ").bind(id);
        tx.execute(&q).await?;
        let after = partnership_in(&mut tx, &Scope::Vendor, id).await?;
        audit_change(&mut tx, now, actor, AuditAction::Updated, &before, &after).await?;
        tx.commit().await?;
        Ok(finish(result, errors, rows))
    }

    /// Deletes the partner's uploaded data (rows, matches, decisions about them); the
    /// partnership stays.
    #[tracing::instrument(skip_all, fields(mapping_id = %id))]
    pub async fn delete_mapping_upload(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<MappingPartnership> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = partnership_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManageMapping(&before.partner_id))?;
        delete_partner_data(&mut tx, &before.id).await?;
        let mut q = Sql::new("UPDATE mapping_partnerships SET updated_at = ");
        q.bind(now).push(" WHERE id = ").bind(id);
        tx.execute(&q).await?;
        let after = partnership_in(&mut tx, &Scope::Vendor, id).await?;
        audit_change(&mut tx, now, actor, AuditAction::Deleted, &before, &after).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn counted_matches(&self, m: &MappingPartnership) -> Result<Vec<MatchRow>> {
        let mut q = Sql::new(MATCH_SELECT);
        q.bind(m.id.as_str())
            .push(" AND mm.state IN ('auto', 'confirmed') ORDER BY a.name, mm.id");
        Ok(self.db.read().all::<MatchRow>(&q).await?)
    }

    /// The overlap matrix: counts per pair of populations.
    pub async fn mapping_matrix(&self, scope: &Scope, id: &str) -> Result<Matrix> {
        let m = partnership_in(&mut self.db.read(), scope, id).await?;
        let rows = self.counted_matches(&m).await?;
        let pairs = rows
            .iter()
            .map(|r| {
                Ok((
                    population(&r.vendor_population)?,
                    population(&r.partner_population)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(matrix(pairs, &m.vendor_sharing, &m.partner_sharing))
    }

    /// The rows of one cell, if both sides share their population there.
    pub async fn mapping_cell(
        &self,
        scope: &Scope,
        id: &str,
        vendor: Population,
        partner: Population,
    ) -> Result<Vec<OverlapRow>> {
        let m = partnership_in(&mut self.db.read(), scope, id).await?;
        if let Some(why) =
            drill_down_refusal(&m.vendor_sharing, &m.partner_sharing, vendor, partner)
        {
            return Err(refused(
                "mapping.not_shared",
                format!("this cell shows its count only: {why}"),
            ));
        }
        self.counted_matches(&m)
            .await?
            .iter()
            .filter(|r| {
                r.vendor_population == vendor.as_str() && r.partner_population == partner.as_str()
            })
            .map(|r| overlap_row(r, &m, scope_side(scope)))
            .collect()
    }

    /// Co-sell openings: in the shared cells where one side has a customer and the other an
    /// open opportunity, an introduction to suggest.
    pub async fn mapping_suggestions(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Vec<CoSellSuggestion>> {
        let m = partnership_in(&mut self.db.read(), scope, id).await?;
        let open = intro::open_intros(&mut self.db.read(), &m.id).await?;
        let mut out = Vec::new();
        for r in self.counted_matches(&m).await? {
            let (vp, pp) = (
                population(&r.vendor_population)?,
                population(&r.partner_population)?,
            );
            if !is_co_sell(vp, pp)
                || drill_down_refusal(&m.vendor_sharing, &m.partner_sharing, vp, pp).is_some()
            {
                continue;
            }
            let suggestion = if pp == Population::Customer {
                format!(
                    "A customer of {0} where the vendor has an open opportunity: {0} can introduce the vendor",
                    m.partner_name
                )
            } else {
                format!(
                    "A customer of the vendor where {0} has an open opportunity: the vendor can introduce {0}",
                    m.partner_name
                )
            };
            let key = row_key(
                &r.partner_name,
                r.partner_country.as_deref(),
                r.partner_domain.as_deref(),
            );
            out.push(CoSellSuggestion {
                match_id: MappingMatchId::from_trusted(r.id.clone()),
                row: overlap_row(&r, &m, scope_side(scope))?,
                suggestion,
                asker: intro_asker(vp, pp).unwrap_or(Side::Vendor),
                open_intro: open
                    .iter()
                    .find(|(a, k, _)| *a == r.account_id && *k == key)
                    .map(|(_, _, i)| i.clone()),
            });
        }
        Ok(out)
    }

    /// Matches of a state (vendor staff only: they confirm or reject the uncertain ones).
    pub async fn mapping_matches(
        &self,
        scope: &Scope,
        id: &str,
        state: Option<MatchState>,
    ) -> Result<Vec<MappingMatch>> {
        let m = partnership_in(&mut self.db.read(), scope, id).await?;
        if scope_side(scope) == Side::Partner {
            return Err(refused(
                "mapping.confirm_vendor",
                "the vendor's staff confirm or reject uncertain matches (they would show you vendor accounts outside the overlap)",
            ));
        }
        let mut q = Sql::new(MATCH_SELECT);
        q.bind(m.id.as_str());
        if let Some(s) = state {
            q.push(" AND mm.state = ").bind(s.as_str());
        }
        q.push(" ORDER BY mm.confidence DESC, a.name, mm.id");
        self.db
            .read()
            .all::<MatchRow>(&q)
            .await?
            .iter()
            .map(|r| {
                let row = overlap_row(r, &m, Side::Vendor)?;
                Ok(MappingMatch {
                    id: MappingMatchId::from_trusted(r.id.clone()),
                    state: MatchState::parse("state", &r.state).map_err(corrupt)?,
                    account_id: row.account_id,
                    vendor: row.vendor,
                    partner: row.partner,
                    vendor_population: row.vendor_population,
                    partner_population: row.partner_population,
                    confidence: row.confidence,
                    reason: row.reason,
                })
            })
            .collect()
    }

    /// Confirms or rejects a match (vendor staff); the verdict is remembered for later
    /// uploads of the same company.
    #[tracing::instrument(skip_all, fields(mapping_id = %id))]
    pub async fn decide_mapping_match(
        &self,
        actor: &Actor,
        id: &str,
        match_id: &str,
        confirmed: bool,
    ) -> Result<MappingMatch> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = partnership_in(&mut tx, &actor.scope(), id).await?;
        if side_of(actor) == Side::Partner {
            return Err(refused(
                "mapping.confirm_vendor",
                "the vendor's staff confirm or reject uncertain matches",
            ));
        }
        actor.authorize(&Action::ManageMapping(&before.partner_id))?;
        must_be_active(&before)?;
        let mut q = Sql::new(MATCH_SELECT);
        q.bind(id).push(" AND mm.id = ").bind(match_id);
        let r = tx
            .optional::<MatchRow>(&q)
            .await?
            .ok_or(StoreError::NotFound(EntityKind::MappingPartnership))?;
        let verdict = if confirmed { "confirmed" } else { "rejected" };
        let key = row_key(
            &r.partner_name,
            r.partner_country.as_deref(),
            r.partner_domain.as_deref(),
        );
        let mut q = Sql::new("DELETE FROM mapping_decisions WHERE partnership_id = ");
        q.bind(id)
            .push(" AND account_id = ")
            .bind(r.account_id.as_str())
            .push(" AND row_key = ")
            .bind(key.as_str());
        tx.execute(&q).await?;
        let mut q = Sql::new(
            "INSERT INTO mapping_decisions (partnership_id, account_id, row_key, verdict, decided_by, decided_at) VALUES (",
        );
        q.bind(id)
            .push(", ")
            .bind(r.account_id.as_str())
            .push(", ")
            .bind(key.as_str())
            .push(", ")
            .bind(verdict)
            .push(", ")
            .bind(actor.audit_name())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let mut q = Sql::new("UPDATE mapping_matches SET state = ");
        q.bind(verdict).push(" WHERE id = ").bind(match_id);
        tx.execute(&q).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::MappingPartnership,
            id,
            AuditAction::Decided,
            Some(&before.partner_id),
            None::<&()>,
            Some(&serde_json::json!({"match_id": match_id, "verdict": verdict, "method": MatchMethod::Name.as_str()})),
        )
        .await?;
        tx.commit().await?;
        let found = self
            .mapping_matches(&Scope::Vendor, id, None)
            .await?
            .into_iter()
            .find(|x| x.id.as_str() == match_id)
            .ok_or(StoreError::NotFound(EntityKind::MappingPartnership))?;
        Ok(found)
    }
}
