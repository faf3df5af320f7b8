//! Onboarding checklists and activation time. Items with a signal tick themselves from what
//! the store already records (users invited, first registration, first won deal, a charter
//! signed by both sides), read when the checklist is shown, so no write path needs a hook;
//! the other items are ticked by people. Activation runs from the agreement's tick (else the
//! joining date) to the first won deal.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, PartnerId, ProgramId};
use partnerops_core::lifecycle::onboarding;
use partnerops_core::lifecycle::record::{ActivationReport, Onboarding, PartnerActivation};
use partnerops_core::partner::Partner;
use partnerops_core::policy::{AGREEMENT_SIGNED, ProgramPolicy, Signal};
use partnerops_core::program::Program;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use crate::db::{Exec, Sql, row};
use crate::entity;
use crate::policy::current_version;
use crate::{Actor, Result, Store, StoreError, audit, midnight, scope};

row! {
    struct TickRow {
        partner_id: String,
        item_key: String,
        done_at: DateTime<Utc>,
        done_by: String,
    }
}

row! {
    struct ActivationRow {
        id: String,
        name: String,
        joined_on: NaiveDate,
        first_cohort: i64,
        signed_at: Option<DateTime<Utc>>,
        first_won: Option<DateTime<Utc>>,
    }
}

row! {
    struct SignalRow {
        partner_id: String,
        users_invited: Option<DateTime<Utc>>,
        first_registration: Option<DateTime<Utc>>,
        first_won: Option<DateTime<Utc>>,
        charter_signed: Option<DateTime<Utc>>,
    }
}

/// What the system knows happened, per partner of `partner_ids`.
async fn signals(x: &mut impl Exec, partner_ids: &[&str]) -> Result<HashMap<String, SignalRow>> {
    if partner_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Sql::new(
        "SELECT p.id AS partner_id, \
         (SELECT MIN(u.created_at) FROM users u WHERE u.partner_id = p.id) AS users_invited, \
         (SELECT MIN(r.submitted_at) FROM registrations r WHERE r.partner_id = p.id) AS first_registration, \
         (SELECT MIN(r.closed_at) FROM registrations r WHERE r.partner_id = p.id AND r.status = 'won') AS first_won, \
         (SELECT MIN(CASE WHEN v.vendor_signed_at > v.partner_signed_at THEN v.vendor_signed_at ELSE v.partner_signed_at END) \
            FROM charter_versions v JOIN charters c ON c.id = v.charter_id \
            WHERE c.partner_id = p.id AND v.vendor_signed_at IS NOT NULL AND v.partner_signed_at IS NOT NULL) AS charter_signed \
         FROM partners p WHERE p.id IN ",
    );
    q.bind_in(partner_ids.iter().copied());
    let rows: Vec<SignalRow> = x.all(&q).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.partner_id.clone(), r))
        .collect())
}

/// When each live partner of a program that `scope` sees signed its agreement (the tick) and
/// won its first deal: all the activation report needs, one index seek per partner for each.
async fn activation_facts(
    x: &mut impl Exec,
    program_id: &str,
    scope: &Scope,
) -> Result<Vec<ActivationRow>> {
    let mut q = Sql::new(
        "SELECT p.id, p.name, p.joined_on, p.first_cohort, \
         (SELECT t.done_at FROM onboarding_ticks t WHERE t.partner_id = p.id AND t.item_key = ",
    );
    q.bind(AGREEMENT_SIGNED).push(
        ") AS signed_at, \
         (SELECT MIN(r.closed_at) FROM registrations r WHERE r.partner_id = p.id AND r.status = 'won') AS first_won \
         FROM partners p WHERE p.archived_at IS NULL AND p.program_id = ",
    );
    q.bind(program_id);
    scope::restrict(&mut q, scope, EntityKind::Partner, "p");
    q.push(" ORDER BY p.joined_on, p.name");
    Ok(x.all(&q).await?)
}

/// People's ticks, per partner of `partner_ids`.
async fn ticks(x: &mut impl Exec, partner_ids: &[&str]) -> Result<HashMap<String, Vec<TickRow>>> {
    if partner_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Sql::new(
        "SELECT t.partner_id, t.item_key, t.done_at, t.done_by FROM onboarding_ticks t WHERE t.partner_id IN ",
    );
    q.bind_in(partner_ids.iter().copied());
    let mut out: HashMap<String, Vec<TickRow>> = HashMap::new();
    for t in x.all::<TickRow>(&q).await? {
        out.entry(t.partner_id.clone()).or_default().push(t);
    }
    Ok(out)
}

/// The checklists of `partners` (read in the caller's scope), in their order: three
/// statements for all of them, and one per program for its policy.
async fn checklists(x: &mut impl Exec, partners: &[Partner]) -> Result<Vec<Onboarding>> {
    let ids: Vec<&str> = partners.iter().map(|p| p.id.as_str()).collect();
    let ticks = ticks(x, &ids).await?;
    let signals = signals(x, &ids).await?;
    let mut policies: HashMap<&str, ProgramPolicy> = HashMap::new();
    let mut out = Vec::with_capacity(partners.len());
    for p in partners {
        let program = p.program_id.as_str();
        if !policies.contains_key(program) {
            let policy = current_version(x, program).await?.policy;
            policies.insert(program, policy);
        }
        let template = policies
            .get(program)
            .map(|policy| policy.onboarding.template_for(p.partner_type))
            .unwrap_or_default();
        let done = ticks.get(p.id.as_str()).map_or(&[][..], Vec::as_slice);
        out.push(build(p, template, done, signals.get(p.id.as_str())));
    }
    Ok(out)
}

fn signal_time(s: Option<&SignalRow>, signal: Signal) -> Option<DateTime<Utc>> {
    let s = s?;
    match signal {
        Signal::UsersInvited => s.users_invited,
        Signal::FirstRegistration => s.first_registration,
        Signal::FirstClosedWon => s.first_won,
        Signal::CharterSigned => s.charter_signed,
    }
}

/// Lays people's ticks and the system's signals over the partner's template.
fn build(
    partner: &Partner,
    template: &[partnerops_core::policy::OnboardingItemRule],
    ticks: &[TickRow],
    signals: Option<&SignalRow>,
) -> Onboarding {
    let mut done: Vec<(String, DateTime<Utc>, String)> = ticks
        .iter()
        .map(|t| (t.item_key.clone(), t.done_at, t.done_by.clone()))
        .collect();
    for item in template {
        if let Some(signal) = item.signal
            && let Some(at) = signal_time(signals, signal)
        {
            done.push((
                item.key.clone(),
                at,
                format!("system ({})", signal.label().to_lowercase()),
            ));
        }
    }
    let items = onboarding::checklist(template, &done);
    let (done_count, total) = onboarding::progress(&items);
    let signed_at = ticks
        .iter()
        .find(|t| t.item_key == AGREEMENT_SIGNED)
        .map(|t| t.done_at)
        .unwrap_or_else(|| midnight(partner.joined_on));
    Onboarding {
        partner_id: partner.id.clone(),
        items,
        done: done_count,
        total,
        activation: onboarding::activation(Some(signed_at), signals.and_then(|s| s.first_won)),
    }
}

impl Store {
    /// A partner's checklist and activation time (the partner itself, or staff).
    #[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
    pub async fn onboarding(&self, scope: &Scope, partner_id: &str) -> Result<Onboarding> {
        let mut r = self.db.read();
        let partner: Partner = entity::fetch(&mut r, scope, partner_id).await?;
        checklists(&mut r, std::slice::from_ref(&partner))
            .await?
            .pop()
            .ok_or(StoreError::NotFound(EntityKind::Partner))
    }

    /// The checklists of the partners of `partner_ids` that `scope` sees, by partner id.
    pub async fn onboardings(
        &self,
        scope: &Scope,
        partner_ids: &[&str],
    ) -> Result<HashMap<String, Onboarding>> {
        let mut r = self.db.read();
        let partners: Vec<Partner> = entity::fetch_many(&mut r, scope, partner_ids).await?;
        let lists = checklists(&mut r, &partners).await?;
        Ok(partners
            .into_iter()
            .map(|p| p.id.as_str().to_owned())
            .zip(lists)
            .collect())
    }

    /// Ticks (or unticks) an item people tick: staff, or the partner's admin for its own.
    #[tracing::instrument(skip_all, fields(partner_id = %partner_id, key = %key))]
    pub async fn tick_onboarding(
        &self,
        actor: &Actor,
        partner_id: &str,
        key: &str,
        done: bool,
    ) -> Result<Onboarding> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let partner: Partner = entity::fetch(&mut tx, &actor.scope(), partner_id).await?;
        match actor.partner_id() {
            Some(own) => actor.authorize(&Action::EditPartnerProfile(own))?,
            None => actor.authorize(&Action::GovernPartner)?,
        }
        let policy = current_version(&mut tx, partner.program_id.as_str())
            .await?
            .policy;
        let template = policy.onboarding.template_for(partner.partner_type);
        let Some(item) = template.iter().find(|i| i.key == key) else {
            let keys: Vec<&str> = template.iter().map(|i| i.key.as_str()).collect();
            return Err(Invalid {
                errors: vec![FieldError::new(
                    "key",
                    "one_of",
                    format!(
                        "key must be one of this partner's checklist items: {}",
                        keys.join(", ")
                    ),
                )],
            }
            .into());
        };
        if let Some(signal) = item.signal {
            return Err(Invalid::one(
                "key",
                "automatic",
                format!(
                    "\"{}\" ticks itself when {}",
                    item.label,
                    signal.label().to_lowercase()
                ),
            )
            .into());
        }
        let mut q = Sql::new("DELETE FROM onboarding_ticks WHERE partner_id = ");
        q.bind(partner_id).push(" AND item_key = ").bind(key);
        tx.execute(&q).await?;
        if done {
            let mut q = Sql::new(
                "INSERT INTO onboarding_ticks (partner_id, item_key, done_at, done_by) VALUES (",
            );
            q.bind(partner_id)
                .push(", ")
                .bind(key)
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(actor.audit_name())
                .push(")");
            tx.execute(&q).await?;
        }
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Partner,
            partner_id,
            AuditAction::Updated,
            Some(&partner.id),
            None::<&()>,
            Some(&serde_json::json!({ "onboarding": { key: if done { "done" } else { "not done" } } })),
        )
        .await?;
        tx.commit().await?;
        self.onboarding(&actor.scope(), partner_id).await
    }

    /// Activation time of every live partner of a program, and its distribution per cohort.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn activation_report(
        &self,
        scope: &Scope,
        program_id: &str,
    ) -> Result<ActivationReport> {
        let mut r = self.db.read();
        let program: Program = entity::fetch(&mut r, scope, program_id).await?;
        let rows: Vec<PartnerActivation> = activation_facts(&mut r, program_id, scope)
            .await?
            .into_iter()
            .map(|p| PartnerActivation {
                activation: onboarding::activation(
                    Some(p.signed_at.unwrap_or_else(|| midnight(p.joined_on))),
                    p.first_won,
                ),
                partner_id: PartnerId::from_trusted(p.id),
                partner_name: p.name,
                joined_on: p.joined_on,
                first_cohort: p.first_cohort != 0,
            })
            .collect();
        let cohorts = onboarding::by_cohort(
            &rows
                .iter()
                .map(|p| (p.joined_on, p.activation.clone()))
                .collect::<Vec<_>>(),
        );
        Ok(ActivationReport {
            program_id: ProgramId::from_trusted(program.id.as_str().to_owned()),
            partners: rows,
            cohorts,
        })
    }
}
