//! The recorded history of a program in the compact form the what-if replay and the tier
//! evaluation read: its partners and their registrations, in a few sequential queries.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::policy::simulate::{History, PartnerHistory, RegistrationHistory};
use partnerops_core::registration::RegistrationStatus;

use crate::db::dialect::{chunk_key, format_timestamp, string_agg};
use crate::db::{Backend, Exec, Sql, row};
use crate::{Result, StoreError};

row! {
    struct PartnerRow {
        id: String,
        name: String,
        joined_on: NaiveDate,
        rank: i64,
    }
}

row! {
    struct PackedRow {
        packed: String,
    }
}

fn time(field: &str) -> Result<Option<DateTime<Utc>>> {
    if field.is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(field)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| StoreError::Corrupt(format!("history time {field:?}")))
}

fn number(field: &str) -> Result<i64> {
    field
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("history number {field:?}")))
}

/// One packed registration (`partner|id|status|submitted|approved|closed|amount|renewals`),
/// or `None` when its partner is not in `index` (archived).
fn unpack_registration(
    item: &str,
    index: &HashMap<&str, u32>,
) -> Result<Option<RegistrationHistory>> {
    let f: Vec<&str> = item.split('|').collect();
    let [
        partner,
        id,
        status,
        submitted,
        approved,
        closed,
        amount,
        renewals,
    ] = f[..]
    else {
        return Err(StoreError::Corrupt(format!("history row {item:?}")));
    };
    let Some(&partner) = index.get(partner) else {
        return Ok(None);
    };
    let status =
        RegistrationStatus::parse("status", status).map_err(|e| StoreError::Corrupt(e.message))?;
    Ok(Some(RegistrationHistory {
        id: id.to_owned(),
        partner,
        status,
        submitted_at: time(submitted)?.unwrap_or_default(),
        approved_at: time(approved)?,
        closed_at: time(closed)?,
        amount_minor: number(amount)?,
        renewals: number(renewals)?,
        activities: Vec::new(),
    }))
}

/// The live partners of a program and every registration they submitted up to `as_of`.
pub(crate) async fn load(
    x: &mut impl Exec,
    backend: Backend,
    program_id: &str,
    as_of: DateTime<Utc>,
) -> Result<History> {
    let mut q = Sql::new(
        "SELECT p.id, p.name, p.joined_on, t.rank FROM partners p JOIN tiers t ON t.id = p.tier_id WHERE p.archived_at IS NULL AND p.program_id = ",
    );
    q.bind(program_id).push(" ORDER BY p.name, p.id");
    let partners: Vec<PartnerRow> = x.all(&q).await?;
    let index: HashMap<&str, u32> = partners
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i as u32))
        .collect();

    // A million registrations cross the driver as a few thousand rows: each packs a few
    // hundred records (`partner|id|status|submitted|approved|closed|amount|renewals`), so
    // the per-row cost of the driver is paid rarely.
    let packed = string_agg(
        backend,
        &format!(
            "r.partner_id || '|' || r.id || '|' || r.status || '|' || {} || '|' || {} || '|' || {} || '|' || CAST(r.est_arr_minor AS TEXT) || '|' || CAST(r.renewals AS TEXT)",
            format_timestamp(backend, "r.submitted_at"),
            format_timestamp(backend, "r.approved_at"),
            format_timestamp(backend, "r.closed_at"),
        ),
        "';'",
    );
    let mut q = Sql::new(&format!(
        "SELECT {packed} AS packed FROM registrations r WHERE r.program_id = "
    ));
    q.bind(program_id)
        .push(" AND r.submitted_at <= ")
        .bind(as_of)
        .push(&format!(" GROUP BY {}", chunk_key(backend, "r", "id")));
    let mut registrations = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for row in x.all::<PackedRow>(&q).await? {
        for item in row.packed.split(';') {
            // Registrations of archived partners are not part of the live program.
            if let Some(r) = unpack_registration(item, &index)? {
                by_id.insert(r.id.clone(), registrations.len());
                registrations.push(r);
            }
        }
    }

    // Activities, packed the same way; those of other programs' registrations are skipped
    // here rather than joined away in SQL.
    let packed = string_agg(
        backend,
        &format!(
            "a.registration_id || '|' || {}",
            format_timestamp(backend, "a.occurred_at")
        ),
        "';'",
    );
    let mut q = Sql::new(&format!(
        "SELECT {packed} AS packed FROM registration_activities a WHERE a.occurred_at <= "
    ));
    q.bind(as_of)
        .push(&format!(" GROUP BY {}", chunk_key(backend, "a", "id")));
    for row in x.all::<PackedRow>(&q).await? {
        for item in row.packed.split(';') {
            let Some((registration, at)) = item.split_once('|') else {
                return Err(StoreError::Corrupt(format!("history activity {item:?}")));
            };
            if let (Some(&i), Some(at)) = (by_id.get(registration), time(at)?) {
                registrations[i].activities.push(at);
            }
        }
    }
    for r in &mut registrations {
        r.activities.sort_unstable();
    }
    // Certifications are counted as of the replay's end (the standing the replay judges).
    let certified = crate::enablement::certification::certified_counts(
        x,
        Some(program_id),
        &partnerops_core::scope::Scope::Vendor,
        as_of.date_naive(),
    )
    .await?;
    Ok(History {
        partners: partners
            .into_iter()
            .map(|p| {
                let certified_individuals = Some(certified.get(&p.id).copied().unwrap_or(0));
                PartnerHistory {
                    id: p.id,
                    name: p.name,
                    joined_on: p.joined_on,
                    tier_rank: p.rank,
                    certified_individuals,
                    jbp_in_place: None,
                    jbp_attainment_pct: None,
                    psat: None,
                }
            })
            .collect(),
        registrations,
    })
}
