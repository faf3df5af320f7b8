//! Bulk loading of partners, accounts and deal registrations, for a database at a large
//! vendor's size (the scale benchmark seeds a million of each through it).
//!
//! The normal write paths take one transaction per record (rules, audit event, outbox event,
//! decision); a million registrations that way take hours. Here each call writes a batch in
//! one transaction with [`Tx::insert_rows`], row for row what the normal path leaves behind:
//! accounts with their matching keys ([`crate::account::name_keys`]); registrations with the
//! status, expiry and follow-up dates the policy in force gives, the approval decision
//! ([`rules::approve`]) and the closing decision where they ended; their follow-up
//! activities, counted in the joint business plans' kept sums by [`Store::bulk_finish`].
//! Left out, as an import leaves them out: one audit event per record, outbox events (no
//! webhook should fire for history), and the opportunity an approval opens.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use partnerops_core::ids::{AccountId, DecisionId, EntityId, PartnerId, RegistrationId};
use partnerops_core::registration::{RegistrationStatus, rules};
use partnerops_core::scope::Scope;

use crate::account::ACCOUNT_COLUMNS;
use crate::db::{Arg, Exec, Sql, row};
use crate::decision::DECISION_COLUMNS;
use crate::{Actor, Result, Store, new_id};

/// A program the bulk rows can join: its tiers (entry tier first), the partner types its
/// partners have, and the registration rules in force.
#[derive(Clone, Debug)]
pub struct BulkProgram {
    pub id: String,
    pub currency: String,
    pub tier_ids: Vec<String>,
    pub partner_types: Vec<String>,
    /// Its active partners.
    pub partner_ids: Vec<String>,
    pub policy_version: i64,
    pub validity_days: i64,
    pub sla_days: i64,
}

/// A partner to write (status active; no users: the program's own partners have them).
#[derive(Clone, Debug)]
pub struct BulkPartner {
    pub name: String,
    pub web_domain: String,
    pub partner_type: String,
    pub program_id: String,
    pub tier_id: String,
    pub country: String,
    pub joined_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// An end-customer account to write (with a domain, so it has no exact-name key).
#[derive(Clone, Debug)]
pub struct BulkAccount {
    pub name: String,
    pub web_domain: String,
    pub country: String,
    pub industry: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// How a bulk registration ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkOutcome {
    Pending,
    Approved,
    Won,
    Lost,
    Expired,
}

/// A deal registration to write, submitted at `submitted_at` and (unless pending) approved
/// `approval_delay` later, with follow-up activities (kind, when) after the approval.
#[derive(Clone, Debug)]
pub struct BulkRegistration {
    pub program: usize,
    pub partner_id: String,
    pub account_id: String,
    pub title: String,
    pub est_arr_minor: i64,
    pub submitted_at: DateTime<Utc>,
    pub approval_delay: Duration,
    pub outcome: BulkOutcome,
    /// When a won or lost registration closed.
    pub closed_at: Option<DateTime<Utc>>,
    pub activities: Vec<(&'static str, DateTime<Utc>)>,
}

const PARTNER_COLUMNS: &[&str] = &[
    "id",
    "name",
    "web_domain",
    "partner_type",
    "program_id",
    "tier_id",
    "status",
    "country",
    "regions",
    "verticals",
    "joined_on",
    "created_at",
    "updated_at",
];

const REGISTRATION_COLUMNS: &[&str] = &[
    "id",
    "program_id",
    "partner_id",
    "account_id",
    "status",
    "title",
    "est_arr_minor",
    "currency",
    "submitted_at",
    "approved_at",
    "expires_at",
    "renewals",
    "last_activity_at",
    "sla_due_at",
    "sla_missed_at",
    "closed_at",
    "policy_version",
    "created_at",
    "updated_at",
];

const ACTIVITY_COLUMNS: &[&str] = &["id", "registration_id", "kind", "occurred_at", "created_at"];

impl Store {
    /// The live programs bulk rows can join (see [`BulkProgram`]), by name.
    pub async fn bulk_programs(&self) -> Result<Vec<BulkProgram>> {
        row! {
            struct ProgramRow { id: String, currency: String }
        }
        row! {
            struct IdRow { id: String }
        }
        let mut read = self.db.read();
        let programs: Vec<ProgramRow> = read
            .all(&Sql::new(
                "SELECT id, currency FROM programs WHERE archived_at IS NULL ORDER BY name, id",
            ))
            .await?;
        let mut out = Vec::with_capacity(programs.len());
        for p in programs {
            let tiers: Vec<IdRow> = read
                .all(
                    Sql::new("SELECT id FROM tiers WHERE archived_at IS NULL AND program_id = ")
                        .bind(p.id.as_str())
                        .push(" ORDER BY rank, id"),
                )
                .await?;
            let types: Vec<IdRow> = read
                .all(
                    Sql::new(
                        "SELECT DISTINCT partner_type AS id FROM partners WHERE program_id = ",
                    )
                    .bind(p.id.as_str())
                    .push(" ORDER BY partner_type"),
                )
                .await?;
            if tiers.is_empty() || types.is_empty() {
                continue;
            }
            let active: Vec<IdRow> = read
                .all(
                    Sql::new("SELECT id FROM partners WHERE status = 'active' AND archived_at IS NULL AND program_id = ")
                        .bind(p.id.as_str())
                        .push(" ORDER BY name, id"),
                )
                .await?;
            let policy = self.registration_policy(&Scope::Vendor, &p.id).await?;
            out.push(BulkProgram {
                id: p.id,
                currency: p.currency,
                tier_ids: tiers.into_iter().map(|t| t.id).collect(),
                partner_types: types.into_iter().map(|t| t.id).collect(),
                partner_ids: active.into_iter().map(|t| t.id).collect(),
                policy_version: policy.version,
                validity_days: policy.validity_days,
                sla_days: policy.sla_days,
            });
        }
        Ok(out)
    }

    /// Writes `rows` as active partners in one transaction; answers their ids in order.
    pub async fn bulk_partners(&self, rows: &[BulkPartner]) -> Result<Vec<PartnerId>> {
        let ids: Vec<PartnerId> = rows.iter().map(|_| new_id()).collect();
        let values: Vec<Vec<Arg>> = rows
            .iter()
            .zip(&ids)
            .map(|(p, id)| {
                vec![
                    id.as_str().into(),
                    p.name.as_str().into(),
                    p.web_domain.as_str().into(),
                    p.partner_type.as_str().into(),
                    p.program_id.as_str().into(),
                    p.tier_id.as_str().into(),
                    "active".into(),
                    p.country.as_str().into(),
                    "[]".into(),
                    "[]".into(),
                    p.joined_on.into(),
                    p.created_at.into(),
                    p.created_at.into(),
                ]
            })
            .collect();
        let mut tx = self.db.begin_write().await?;
        tx.insert_rows("partners", PARTNER_COLUMNS, &values).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Writes `rows` as accounts in one transaction, with the matching keys the normal path
    /// writes; answers their ids in order.
    pub async fn bulk_accounts(&self, rows: &[BulkAccount]) -> Result<Vec<AccountId>> {
        let ids: Vec<AccountId> = rows.iter().map(|_| new_id()).collect();
        let values: Vec<Vec<Arg>> = rows
            .iter()
            .zip(&ids)
            .map(|(a, id)| {
                let (key, block) = crate::account::name_keys(&a.name);
                vec![
                    id.as_str().into(),
                    a.name.as_str().into(),
                    a.web_domain.as_str().into(),
                    a.country.as_str().into(),
                    a.industry.as_str().into(),
                    a.status.as_str().into(),
                    key.into(),
                    block.into(),
                    a.created_at.into(),
                    a.created_at.into(),
                ]
            })
            .collect();
        let mut tx = self.db.begin_write().await?;
        tx.insert_rows("accounts", ACCOUNT_COLUMNS, &values).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Writes `rows` as registrations of `programs` (by index), with their decisions and
    /// activities, in one transaction. At most one pending or approved registration per
    /// account, as the normal path keeps it: a second one fails the batch on the unique
    /// index.
    pub async fn bulk_registrations(
        &self,
        programs: &[BulkProgram],
        rows: &[BulkRegistration],
    ) -> Result<usize> {
        let actor = Actor::system("seed").audit_name();
        let now = self.now();
        let mut regs = Vec::with_capacity(rows.len());
        let mut decisions = Vec::with_capacity(rows.len() * 2);
        let mut activities = Vec::new();
        for r in rows {
            let Some(p) = programs.get(r.program) else {
                return Err(crate::StoreError::Corrupt(format!(
                    "bulk registration of program #{} of {}",
                    r.program,
                    programs.len()
                )));
            };
            let id: RegistrationId = new_id();
            let policy = partnerops_core::registration::policy::RegistrationPolicy {
                version: p.policy_version,
                validity_days: p.validity_days,
                sla_days: p.sla_days,
                ..Default::default()
            };
            let decided = |d: partnerops_core::registration::Decision, at: DateTime<Utc>| {
                let decision_id: DecisionId = new_id();
                vec![
                    Arg::from(decision_id.as_str()),
                    at.into(),
                    "registration".into(),
                    id.as_str().into(),
                    r.partner_id.as_str().into(),
                    d.rule.as_str().into(),
                    d.outcome.as_str().into(),
                    d.reason.as_str().into(),
                    d.policy_version.into(),
                    serde_json::json!([id.as_str(), r.account_id.as_str()])
                        .to_string()
                        .into(),
                    actor.as_str().into(),
                ]
            };
            let (status, approved_at, expires_at) = if r.outcome == BulkOutcome::Pending {
                ("pending", None, None)
            } else {
                let at = r.submitted_at + r.approval_delay;
                let (expires_at, decision) = rules::approve(at, &policy, "reviewed");
                decisions.push(decided(decision, at));
                let status = match r.outcome {
                    BulkOutcome::Won => "won",
                    BulkOutcome::Lost => "lost",
                    BulkOutcome::Expired => {
                        let facts = rules::Facts {
                            status: RegistrationStatus::Approved,
                            approved_at: Some(at),
                            expires_at: Some(expires_at),
                            renewals: 0,
                            last_activity_at: None,
                            sla_missed_at: None,
                        };
                        if let Some(d) = rules::check_expiry(&facts, expires_at, &policy) {
                            decisions.push(decided(d, expires_at));
                        }
                        "expired"
                    }
                    _ => "approved",
                };
                (status, Some(at), Some(expires_at))
            };
            let mut last_activity = None;
            for (kind, at) in &r.activities {
                let activity_id: partnerops_core::ids::ActivityId = new_id();
                activities.push(vec![
                    Arg::from(activity_id.as_str()),
                    id.as_str().into(),
                    (*kind).into(),
                    (*at).into(),
                    (*at).into(),
                ]);
                last_activity = last_activity.max(Some(*at));
            }
            // The follow-up SLA of a live registration, marked missed (with its decision)
            // where the hourly sweep would have marked it by now.
            let (mut sla_due_at, mut sla_missed_at) = (None, None);
            if status == "approved" {
                let facts = rules::Facts {
                    status: RegistrationStatus::Approved,
                    approved_at,
                    expires_at,
                    renewals: 0,
                    last_activity_at: last_activity,
                    sla_missed_at: None,
                };
                sla_due_at = rules::sla_due(&facts, &policy);
                if let Some(due) = sla_due_at.filter(|due| *due < now) {
                    let at = due + Duration::seconds(1);
                    if let Some(d) = rules::check_sla(&facts, at, &policy) {
                        decisions.push(decided(d, at));
                        sla_missed_at = Some(at);
                    }
                }
            }
            let updated_at = r.closed_at.or(expires_at.filter(|_| status == "expired"));
            regs.push(vec![
                id.as_str().into(),
                p.id.as_str().into(),
                r.partner_id.as_str().into(),
                r.account_id.as_str().into(),
                status.into(),
                r.title.as_str().into(),
                r.est_arr_minor.into(),
                p.currency.as_str().into(),
                r.submitted_at.into(),
                approved_at.into(),
                expires_at.into(),
                0i64.into(),
                last_activity.into(),
                sla_due_at.into(),
                sla_missed_at.into(),
                r.closed_at.into(),
                p.policy_version.into(),
                r.submitted_at.into(),
                sla_missed_at
                    .or(updated_at)
                    .or(approved_at)
                    .unwrap_or(r.submitted_at)
                    .min(now)
                    .into(),
            ]);
        }
        let mut tx = self.db.begin_write().await?;
        tx.insert_rows("registrations", REGISTRATION_COLUMNS, &regs)
            .await?;
        tx.insert_rows("registration_activities", ACTIVITY_COLUMNS, &activities)
            .await?;
        tx.insert_rows("decisions", DECISION_COLUMNS, &decisions)
            .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Brings what the bulk rows change but the normal path keeps as it writes up to date:
    /// the joint business plans' kept sums (rebuilt from the rows). PostgreSQL's planner
    /// statistics follow by themselves (autovacuum); SQLite keeps none unless asked, and a
    /// deployed database has none, so none are made here either.
    pub async fn bulk_finish(&self) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        crate::business_plan::facts::rebuild_plan_sums(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
