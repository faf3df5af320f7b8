//! The vendor's side of matching, built once and kept, and the matching of a batch of
//! partner rows against it.
//!
//! Why a kept matcher: building `core::mapping::matching::Matcher` over a million accounts
//! takes about 1.5 s, plus reading them; matching 1,000 rows against it takes about 10 ms.
//! Rebuilding it on every upload made "adding 1,000 rows" cost the whole build. So each
//! store (one per process and database: one vendor) keeps one built matcher, keyed by the
//! version of the vendor's accounts that `mapping_account_version` counts (migration 0037:
//! triggers bump it on every insert, delete, or change of a name, web domain, country or
//! archiving). An upload reads the version; while it holds, the kept matcher is the
//! accounts' and is used as it is; when it moved, the matcher is rebuilt once and replaces
//! the old one. Memory is bounded to one matcher (the old one is dropped before the new
//! one is built); several instances each keep their own and each sees the version move.
//! The account's population (customer, open opportunity, prospect) is not in the matcher:
//! it is read for the matched accounts only, so a status or an opportunity changing never
//! invalidates the build.
//!
//! The version is read before the accounts, so a build that races a change is labelled with
//! the older version and rebuilt at the next upload: never a stale matcher under a current
//! version.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use partnerops_core::ids::{EntityId, MappingMatchId};
use partnerops_core::mapping::matching::{Found, MatchRecord, Matcher};
use partnerops_core::mapping::record::MappingPartnership;
use partnerops_core::mapping::{MatchState, Population, match_state, vendor_population};
use tokio::sync::Mutex;

use super::{IdRow, row_key};
use crate::db::{Arg, Exec, Sql, Tx, row};
use crate::{Result, StoreError, new_id};

row! {
    struct VersionRow {
        version: i64,
    }
}

row! {
    struct VendorAccountRow {
        id: String,
        name: String,
        web_domain: Option<String>,
        country: String,
    }
}

row! {
    struct StatusRow {
        id: String,
        status: String,
    }
}

/// The matcher over the vendor's live accounts at one version, with each record's id.
#[derive(Debug)]
pub(crate) struct VendorIndex {
    pub version: i64,
    account_ids: Vec<String>,
    matcher: Matcher,
}

/// The store's kept matcher (see the module's documentation).
#[derive(Clone, Debug, Default)]
pub(crate) struct MatcherCache(Arc<Mutex<Option<Arc<VendorIndex>>>>);

/// The version of the vendor's accounts as matching sees them.
pub(crate) async fn account_version(x: &mut impl Exec) -> Result<i64> {
    Ok(x.optional::<VersionRow>(&Sql::new(
        "SELECT version FROM mapping_account_version WHERE id = 1",
    ))
    .await?
    .map_or(0, |r| r.version))
}

/// Reads the live accounts and builds the matcher (on a blocking thread), labelled `version`
/// (read by the caller before).
async fn build(x: &mut impl Exec, version: i64) -> Result<VendorIndex> {
    let accounts: Vec<VendorAccountRow> = x
        .all(&Sql::new(
            "SELECT id, name, web_domain, country FROM accounts WHERE archived_at IS NULL ORDER BY id",
        ))
        .await?;
    tokio::task::spawn_blocking(move || {
        let mut account_ids = Vec::with_capacity(accounts.len());
        let mut records = Vec::with_capacity(accounts.len());
        for a in accounts {
            account_ids.push(a.id);
            records.push(MatchRecord {
                name: a.name,
                domain: a.web_domain,
                country: Some(a.country),
            });
        }
        let matcher = Matcher::new(&records);
        VendorIndex {
            version,
            account_ids,
            matcher,
        }
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("building the matcher: {e}")))
}

impl MatcherCache {
    /// The kept matcher if it is still the accounts', else a new one (kept in its place).
    pub(crate) async fn current(&self, x: &mut impl Exec) -> Result<Arc<VendorIndex>> {
        // One build at a time: a second upload waits for the first's build and uses it.
        let mut slot = self.0.lock().await;
        let version = account_version(x).await?;
        if let Some(kept) = slot.as_ref().filter(|k| k.version == version) {
            return Ok(kept.clone());
        }
        *slot = None;
        let built = Arc::new(build(x, version).await?);
        *slot = Some(built.clone());
        Ok(built)
    }

    /// Inside a write transaction: `index` if the accounts did not change since it was
    /// built (the usual case: it was taken just before), else one built in the transaction.
    pub(crate) async fn check_in(
        &self,
        tx: &mut Tx,
        index: Arc<VendorIndex>,
    ) -> Result<Arc<VendorIndex>> {
        if account_version(tx).await? == index.version {
            return Ok(index);
        }
        self.current(tx).await
    }
}

/// A partner row to match: its id in `mapping_rows` and what identifies its company.
#[derive(Clone, Debug)]
pub(crate) struct RowToMatch {
    pub id: String,
    pub name: String,
    pub web_domain: Option<String>,
    pub country: Option<String>,
    pub population: Population,
}

/// What a partnership's matching needs besides the rows: the partnership and the decisions
/// people took, by (account, row key).
pub(crate) struct MatchCtx<'a> {
    pub m: &'a MappingPartnership,
    pub decisions: &'a HashMap<(String, String), bool>,
}

/// Matches `rows` against `index` and writes their matches; returns (counting, to confirm).
/// The look-ups run on a blocking thread; the matched accounts' populations are read for
/// them alone.
pub(crate) async fn match_rows(
    tx: &mut Tx,
    ctx: &MatchCtx<'_>,
    index: &Arc<VendorIndex>,
    rows: Vec<RowToMatch>,
) -> Result<(u64, u64)> {
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let floor = ctx.m.floor;
    let idx = index.clone();
    let found: Vec<(RowToMatch, Found)> = tokio::task::spawn_blocking(move || {
        rows.into_iter()
            .filter_map(|r| {
                let rec = MatchRecord {
                    name: r.name.clone(),
                    domain: r.web_domain.clone(),
                    country: r.country.clone(),
                };
                idx.matcher.best(&rec, floor).map(|f| (r, f))
            })
            .collect()
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("matching: {e}")))?;
    if found.is_empty() {
        return Ok((0, 0));
    }
    let ids: HashSet<&str> = found
        .iter()
        .map(|(_, f)| index.account_ids[f.index].as_str())
        .collect();
    let mut q = Sql::new("SELECT id, status FROM accounts WHERE id IN ");
    q.bind_in(ids.iter().copied());
    let status: HashMap<String, String> = tx
        .all::<StatusRow>(&q)
        .await?
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect();
    let mut q = Sql::new(
        "SELECT DISTINCT account_id AS id FROM opportunities WHERE closed_at IS NULL AND account_id IN ",
    );
    q.bind_in(ids.iter().copied());
    let open: HashSet<String> = tx
        .all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let (mut counted, mut waiting) = (0, 0);
    let mut values: Vec<Vec<Arg>> = Vec::with_capacity(found.len());
    for (r, f) in &found {
        let account = index.account_ids[f.index].as_str();
        let key = row_key(&r.name, r.country.as_deref(), r.web_domain.as_deref());
        let remembered = ctx.decisions.get(&(account.to_owned(), key)).copied();
        let state = match_state(f.method, f.confidence, ctx.m.threshold, remembered);
        if state.counts() {
            counted += 1;
        } else if state == MatchState::ToConfirm {
            waiting += 1;
        }
        let vp = vendor_population(
            status.get(account).map(String::as_str) == Some("customer"),
            open.contains(account),
        );
        let id: MappingMatchId = new_id();
        values.push(vec![
            id.as_str().into(),
            ctx.m.id.as_str().into(),
            ctx.m.partner_id.as_str().into(),
            r.id.as_str().into(),
            account.into(),
            vp.as_str().into(),
            r.population.as_str().into(),
            f.method.as_str().into(),
            i64::from(f.confidence).into(),
            f.reason.as_str().into(),
            state.as_str().into(),
        ]);
    }
    tx.insert_rows(
        "mapping_matches",
        &[
            "id",
            "partnership_id",
            "partner_id",
            "row_id",
            "account_id",
            "vendor_population",
            "partner_population",
            "method",
            "confidence",
            "reason",
            "state",
        ],
        &values,
    )
    .await?;
    Ok((counted, waiting))
}
