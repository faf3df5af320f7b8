//! The recorded history of a program in the compact form the what-if replay and the tier
//! evaluation read: its partners and their registrations, in a few sequential queries.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::policy::simulate::{History, PartnerHistory, RegistrationHistory};
use partnerops_core::registration::RegistrationStatus;

use crate::db::{Exec, Sql, row};
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
    struct RegistrationRow {
        id: String,
        partner_id: String,
        status: String,
        submitted_at: DateTime<Utc>,
        approved_at: Option<DateTime<Utc>>,
        closed_at: Option<DateTime<Utc>>,
        est_arr_minor: i64,
        renewals: i64,
    }
}

row! {
    struct ActivityRow {
        registration_id: String,
        occurred_at: DateTime<Utc>,
    }
}

/// The live partners of a program and every registration they submitted up to `as_of`.
pub(crate) async fn load(
    x: &mut impl Exec,
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

    let mut q = Sql::new(
        "SELECT id, partner_id, status, submitted_at, approved_at, closed_at, est_arr_minor, renewals FROM registrations WHERE program_id = ",
    );
    q.bind(program_id).push(" AND submitted_at <= ").bind(as_of);
    let rows: Vec<RegistrationRow> = x.all(&q).await?;

    let mut q = Sql::new(
        "SELECT a.registration_id, a.occurred_at FROM registration_activities a JOIN registrations r ON r.id = a.registration_id WHERE r.program_id = ",
    );
    q.bind(program_id)
        .push(" AND a.occurred_at <= ")
        .bind(as_of)
        .push(" ORDER BY a.registration_id, a.occurred_at");
    let mut activities: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for a in x.all::<ActivityRow>(&q).await? {
        activities
            .entry(a.registration_id)
            .or_default()
            .push(a.occurred_at);
    }

    let mut registrations = Vec::with_capacity(rows.len());
    for r in rows {
        // Registrations of archived partners are not part of the live program.
        let Some(&partner) = index.get(r.partner_id.as_str()) else {
            continue;
        };
        let status = RegistrationStatus::parse("status", &r.status)
            .map_err(|e| StoreError::Corrupt(e.message))?;
        registrations.push(RegistrationHistory {
            activities: activities.remove(&r.id).unwrap_or_default(),
            id: r.id,
            partner,
            status,
            submitted_at: r.submitted_at,
            approved_at: r.approved_at,
            closed_at: r.closed_at,
            amount_minor: r.est_arr_minor,
            renewals: r.renewals,
        });
    }
    Ok(History {
        partners: partners
            .into_iter()
            .map(|p| PartnerHistory {
                id: p.id,
                name: p.name,
                joined_on: p.joined_on,
                tier_rank: p.rank,
                certified_individuals: None,
                jbp_in_place: None,
                psat: None,
            })
            .collect(),
        registrations,
    })
}
