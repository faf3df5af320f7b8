//! Accounts from a file, one batch at a time: rows whose source record id is known update
//! their account (or leave it alone when nothing changed), rows whose web domain a live
//! account already has are linked to it (the domain says it is the same company), and the
//! rest are created in one multi-row insert, with their keys in another.
//!
//! A first import skips the lookups that cannot find anything (see [`Run`]).

use std::collections::{HashMap, HashSet};

use fastbloom::BloomFilter;
use partnerops_core::account::{Account, AccountFields};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{AccountId, EntityId};
use partnerops_core::import::row::{AccountRecord, ImportRecord};
use partnerops_core::import::{ImportError, ImportErrors, ImportKind};
use partnerops_core::registration::matching;

use super::{Counts, RunCtx, keys};
use crate::account::{ACCOUNT_COLUMNS, name_keys, push_name_keys};
use crate::db::{Arg, Exec, Sql, Tx, row};
use crate::entity::Entity;
use crate::{Result, audit, new_id};

row! {
    struct DomainRow {
        id: String,
        web_domain: String,
    }
}

row! {
    struct AnyRow {
        #[allow(dead_code)]
        id: String,
    }
}

const KIND: ImportKind = ImportKind::Accounts;

/// foldhash: a record id or a domain hashed several times faster than by the default SipHash,
/// and no attacker chooses what a filter that only saves lookups holds.
type Filter = BloomFilter<foldhash::fast::RandomState>;

/// Record ids (web domains) a [`Run`]'s filter holds without answering "maybe" for more than
/// 1% of the others: 1.2 MB each. Past it, more rows are looked up, never fewer than needed.
const FILTER_ITEMS: usize = 1_000_000;
const FILTER_FALSE_POSITIVES: f64 = 0.01;

/// What an accounts import remembers from batch to batch. A lookup by record id (by web
/// domain) can only find a key (a live account) that was there when the run began or that an
/// earlier batch wrote. When there was none at the start (the source's first import; a
/// tenant without accounts), a filter of what the run has written says which rows could be
/// found at all: the others skip the database (a first import of a million accounts is
/// otherwise two million index probes for nothing). Memory stays flat: the filters are of
/// fixed size.
#[derive(Default)]
pub(super) struct Run {
    started: bool,
    /// The record ids this run wrote, when the source had no keys before it.
    ids: Option<Filter>,
    /// The web domains this run wrote, when no live account had one before it.
    domains: Option<Filter>,
}

impl Run {
    async fn start(&mut self, tx: &mut Tx, ctx: &RunCtx<'_>) -> Result<()> {
        // Runs of one source one after the other, so none writes a key the other's filter
        // does not know. (An account created meanwhile through the API with a domain of the
        // file fails the run on the live-domain unique index, as a race between two
        // lookups and inserts would.)
        tx.lock_key(&format!("import:{}:{}", KIND.as_str(), ctx.source.as_str()))
            .await?;
        let mut q = Sql::new("SELECT record_id AS id FROM import_keys WHERE kind = ");
        q.bind(KIND.as_str())
            .push(" AND source = ")
            .bind(ctx.source.as_str())
            .push(" LIMIT 1");
        let keyed = tx.optional::<AnyRow>(&q).await?.is_some();
        let q = Sql::new(
            "SELECT id FROM accounts WHERE archived_at IS NULL AND web_domain IS NOT NULL LIMIT 1",
        );
        let domained = tx.optional::<AnyRow>(&q).await?.is_some();
        let filter = || {
            Some(
                BloomFilter::with_false_pos(FILTER_FALSE_POSITIVES)
                    .hasher(foldhash::fast::RandomState::default())
                    .expected_items(FILTER_ITEMS),
            )
        };
        *self = Run {
            started: true,
            ids: if keyed { None } else { filter() },
            domains: if domained { None } else { filter() },
        };
        Ok(())
    }

    /// The items of `all` that a lookup could find: all of them, or the ones the filter has
    /// (maybe) seen.
    fn could_find<'a>(filter: &Option<Filter>, all: Vec<&'a str>) -> Vec<&'a str> {
        match filter {
            Some(f) => all.into_iter().filter(|item| f.contains(*item)).collect(),
            None => all,
        }
    }

    fn wrote(filter: &mut Option<Filter>, item: &str) {
        if let Some(f) = filter {
            f.insert(item);
        }
    }
}

async fn accounts(tx: &mut Tx, ids: &[&str]) -> Result<HashMap<String, Account>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Sql::new(Account::SELECT);
    q.push(" AND accounts.id IN ");
    q.bind_in(ids.iter().copied());
    let rows: Vec<<Account as Entity>::Row> = tx.all(&q).await?;
    rows.into_iter()
        .map(|r| Account::from_row(r).map(|a| (a.id.as_str().to_owned(), a)))
        .collect()
}

fn same(a: &Account, f: &AccountFields) -> bool {
    a.name == f.name
        && a.web_domain == f.web_domain
        && a.country == f.country
        && a.industry == f.industry
        && a.status == f.status
}

/// What to do with one row.
enum Plan {
    Create(AccountRecord),
    /// Update (or leave alone) this account; `link` when the key is new.
    Apply {
        record: AccountRecord,
        account_id: String,
        link: bool,
    },
}

pub(super) async fn write(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    run: &mut Run,
    records: Vec<ImportRecord>,
    counts: &mut Counts,
    errors: &mut ImportErrors,
) -> Result<()> {
    let id_column = ctx.column("external_id");
    let domain_column = ctx.column("web_domain");
    // One row per record id in the batch.
    let mut rows: Vec<AccountRecord> = Vec::with_capacity(records.len());
    // foldhash, as the filters: SipHash over every id and domain of a large file shows.
    let mut seen: HashMap<String, u64, foldhash::fast::RandomState> = HashMap::default();
    for r in records {
        let ImportRecord::Account(a) = r else {
            continue;
        };
        if let Some(first) = seen.get(&a.external_id) {
            errors.push(ImportError::new(
                a.row,
                Some(&id_column),
                "unique",
                format!(
                    "the record id {} is on row {first} too: one row per record",
                    a.external_id
                ),
            ));
            continue;
        }
        seen.insert(a.external_id.clone(), a.row);
        rows.push(a);
    }
    if rows.is_empty() {
        return Ok(());
    }
    if !run.started {
        run.start(tx, ctx).await?;
    }

    let ids = Run::could_find(
        &run.ids,
        rows.iter().map(|r| r.external_id.as_str()).collect(),
    );
    let keys: HashMap<String, keys::KeyRow> = keys::lookup(tx, ctx, KIND, "external_id", &ids)
        .await?
        .into_iter()
        .map(|k| (k.external_id.clone(), k))
        .collect();
    let domains = Run::could_find(
        &run.domains,
        rows.iter()
            .filter_map(|r| r.fields.web_domain.as_ref().map(|d| d.as_str()))
            .collect(),
    );
    let owners: HashMap<String, String> = if domains.is_empty() {
        HashMap::new()
    } else {
        let mut q = Sql::new(
            "SELECT id, web_domain FROM accounts WHERE archived_at IS NULL AND web_domain IN ",
        );
        q.bind_in(domains.iter().copied());
        let found: Vec<DomainRow> = tx.all(&q).await?;
        found.into_iter().map(|d| (d.web_domain, d.id)).collect()
    };
    // Accounts found by domain that some other record of this source already became.
    let owner_ids: Vec<&str> = rows
        .iter()
        .filter(|r| !keys.contains_key(&r.external_id))
        .filter_map(|r| r.fields.web_domain.as_ref())
        .filter_map(|d| owners.get(d.as_str()).map(String::as_str))
        .collect();
    let owner_keys: HashMap<String, String> = keys::lookup(tx, ctx, KIND, "record_id", &owner_ids)
        .await?
        .into_iter()
        .map(|k| (k.record_id, k.external_id))
        .collect();

    let mut plans = Vec::with_capacity(rows.len());
    let mut claimed: HashSet<String, foldhash::fast::RandomState> = HashSet::default();
    for r in rows {
        let domain = r.fields.web_domain.as_ref().map(|d| d.as_str().to_owned());
        let owner = domain.as_ref().and_then(|d| owners.get(d));
        let target = match keys.get(&r.external_id) {
            Some(k) if k.run_id == ctx.id.as_str() => {
                errors.push(ImportError::new(
                    r.row,
                    Some(&id_column),
                    "unique",
                    format!(
                        "the record id {} is on an earlier row too: one row per record",
                        r.external_id
                    ),
                ));
                continue;
            }
            Some(k) => {
                if let Some(o) = owner.filter(|o| **o != k.record_id) {
                    errors.push(ImportError::new(
                        r.row,
                        Some(&domain_column),
                        "unique",
                        format!("another account ({o}) already has this web domain: it is the same company"),
                    ));
                    continue;
                }
                Some((k.record_id.clone(), false))
            }
            None => match owner {
                Some(o) => {
                    if let Some(other) = owner_keys.get(o) {
                        errors.push(ImportError::new(
                            r.row,
                            Some(&domain_column),
                            "unique",
                            format!("the account with this web domain ({o}) was imported from this source as record {other}: one record per company"),
                        ));
                        continue;
                    }
                    Some((o.clone(), true))
                }
                None => None,
            },
        };
        if let Some(d) = domain
            && !claimed.insert(d)
        {
            errors.push(ImportError::new(
                r.row,
                Some(&domain_column),
                "unique",
                "another row of this file has this web domain: it is the same company",
            ));
            continue;
        }
        plans.push(match target {
            Some((account_id, link)) => Plan::Apply {
                record: r,
                account_id,
                link,
            },
            None => Plan::Create(r),
        });
    }

    let targets: Vec<&str> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Apply { account_id, .. } => Some(account_id.as_str()),
            Plan::Create(_) => None,
        })
        .collect();
    let current = accounts(tx, &targets).await?;

    let mut creates: Vec<(AccountId, AccountRecord)> = Vec::new();
    let mut new_keys: Vec<(String, String)> = Vec::new();
    let mut seen_keys: Vec<String> = Vec::new();
    for plan in plans {
        // Created or updated, the row's account has its domain from now on.
        let (Plan::Create(record) | Plan::Apply { record, .. }) = &plan;
        if let Some(domain) = &record.fields.web_domain {
            Run::wrote(&mut run.domains, domain.as_str());
        }
        match plan {
            Plan::Create(r) => {
                let id: AccountId = new_id();
                new_keys.push((r.external_id.clone(), id.as_str().to_owned()));
                creates.push((id, r));
            }
            Plan::Apply {
                record,
                account_id,
                link,
            } => {
                if link {
                    new_keys.push((record.external_id.clone(), account_id.clone()));
                } else {
                    seen_keys.push(record.external_id.clone());
                }
                let Some(before) = current.get(&account_id) else {
                    continue;
                };
                if same(before, &record.fields) {
                    counts.unchanged += 1;
                } else {
                    update(tx, ctx, before, &record.fields).await?;
                    counts.updated += 1;
                }
            }
        }
    }
    counts.created += creates.len() as u64;
    insert_accounts(tx, ctx, creates).await?;
    for (external_id, _) in &new_keys {
        Run::wrote(&mut run.ids, external_id);
    }
    keys::save(tx, ctx, KIND, new_keys, &seen_keys).await
}

/// Changes one account to the file's values, with its audit event (before and after).
async fn update(tx: &mut Tx, ctx: &RunCtx<'_>, before: &Account, f: &AccountFields) -> Result<()> {
    // As `update_account`: a change of what identifies the account releases the name it
    // claimed; other edits keep it.
    let same_identity = matching::normalize_name(&before.name) == matching::normalize_name(&f.name)
        && before.web_domain == f.web_domain
        && before.country == f.country;
    let mut q = Sql::new(
        "UPDATE accounts SET (name, web_domain, country, industry, status, name_key, name_block, exact_name_key, updated_at) = (",
    );
    q.bind(f.name.as_str())
        .push(", ")
        .bind(f.web_domain.as_ref().map(|d| d.as_str()))
        .push(", ")
        .bind(f.country.as_str())
        .push(", ")
        .bind(f.industry.as_deref())
        .push(", ")
        .bind(f.status.as_str())
        .push(", ");
    push_name_keys(&mut q, &f.name);
    q.push(if same_identity {
        ", exact_name_key, "
    } else {
        ", NULL, "
    })
    .bind(ctx.now)
    .push(") WHERE id = ")
    .bind(before.id.as_str());
    tx.execute(&q).await?;
    let after = Account {
        name: f.name.clone(),
        web_domain: f.web_domain.clone(),
        country: f.country,
        industry: f.industry.clone(),
        status: f.status,
        updated_at: ctx.now,
        ..before.clone()
    };
    audit::record(
        tx,
        ctx.now,
        ctx.actor,
        EntityKind::Account,
        before.id.as_str(),
        AuditAction::Updated,
        None,
        Some(before),
        Some(&after),
    )
    .await
}

/// Inserts the new accounts, their values moved into the statement rather than copied.
async fn insert_accounts(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    rows: Vec<(AccountId, AccountRecord)>,
) -> Result<()> {
    let rows: Vec<Vec<Arg>> = rows
        .into_iter()
        .map(|(id, r)| {
            let f = r.fields;
            let (key, block) = name_keys(&f.name);
            vec![
                id.as_str().into(),
                f.name.into(),
                f.web_domain.map(|d| d.as_str().to_owned()).into(),
                f.country.as_str().into(),
                f.industry.into(),
                f.status.as_str().into(),
                key.into(),
                block.into(),
                ctx.now.into(),
                ctx.now.into(),
            ]
        })
        .collect();
    tx.insert_rows("accounts", ACCOUNT_COLUMNS, &rows).await?;
    Ok(())
}
