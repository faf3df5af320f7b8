//! Channel-conflict cases: opened by a partner, a direct rep or the system, due within the
//! policy's business days at each level of the escalation path, resolved with an outcome
//! and its reasoning.

use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::account::Account;
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{
    AccountId, CommentId, ConflictId, EntityId, PartnerId, RegistrationId, parse_id,
};
use partnerops_core::invalid::text;
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::registration::policy::RegistrationPolicy;
use partnerops_core::registration::record::{
    CommentInput, ConflictCase, ConflictComment, ConflictInput, Registration, ResolveInput,
};
use partnerops_core::registration::{
    ConflictOpener, ConflictOutcome, ConflictStatus, Decision, rules,
};
use partnerops_core::scope::{Action, Scope};

use crate::change::{self, Change};
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::{emit, record as decide};
use crate::entity::{self, Archived, Entity};
use crate::{Actor, Result, Store, StoreError, audit, new_id, policy};

row! {
    pub(crate) struct ConflictRow {
        id: String,
        account_id: String,
        registration_id: Option<String>,
        partner_id: Option<String>,
        opened_by_kind: String,
        reason: String,
        level: i64,
        due_at: DateTime<Utc>,
        status: String,
        outcome: Option<String>,
        reasoning: Option<String>,
        resolved_at: Option<DateTime<Utc>>,
        policy_version: i64,
        escalation: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

impl Entity for ConflictCase {
    const KIND: EntityKind = EntityKind::Conflict;
    const TABLE: &'static str = "conflict_cases";
    // The level's name comes from the program's newest policy; the store fills it in
    // `with_level_names` (SQL cannot index the JSON list portably).
    const SELECT: &'static str = "SELECT conflict_cases.id, conflict_cases.account_id, conflict_cases.registration_id, conflict_cases.partner_id, conflict_cases.opened_by_kind, conflict_cases.reason, conflict_cases.level, conflict_cases.due_at, conflict_cases.status, conflict_cases.outcome, conflict_cases.reasoning, conflict_cases.resolved_at, conflict_cases.policy_version, (SELECT pp.registration FROM program_policies pp WHERE pp.program_id = conflict_cases.program_id ORDER BY pp.version DESC LIMIT 1) AS escalation, conflict_cases.created_at, conflict_cases.updated_at FROM conflict_cases conflict_cases WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("created_at", "conflict_cases.created_at"),
        ("due_at", "conflict_cases.due_at"),
    ];
    type Row = ConflictRow;

    fn from_row(r: ConflictRow) -> Result<ConflictCase> {
        let corrupt = |e: partnerops_core::FieldError| StoreError::Corrupt(e.message);
        let policy: RegistrationPolicy = match r.escalation.as_deref() {
            Some(json) => crate::entity::json_column("registration", json)?,
            None => RegistrationPolicy::default(),
        };
        let level_name = policy
            .escalation_levels
            .get(r.level.max(0) as usize)
            .cloned()
            .unwrap_or_default();
        Ok(ConflictCase {
            id: ConflictId::from_trusted(r.id),
            account_id: AccountId::from_trusted(r.account_id),
            registration_id: r.registration_id.map(RegistrationId::from_trusted),
            partner_id: r.partner_id.map(PartnerId::from_trusted),
            opened_by_kind: ConflictOpener::parse("opened_by_kind", &r.opened_by_kind)
                .map_err(corrupt)?,
            reason: r.reason,
            level: r.level,
            level_name,
            due_at: r.due_at,
            status: ConflictStatus::parse("status", &r.status).map_err(corrupt)?,
            outcome: r
                .outcome
                .as_deref()
                .map(|o| ConflictOutcome::parse("outcome", o))
                .transpose()
                .map_err(corrupt)?,
            reasoning: r.reasoning,
            resolved_at: r.resolved_at,
            policy_version: r.policy_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        self.partner_id.clone()
    }

    fn archive_action(&self) -> Action<'_> {
        Action::DecideRegistration
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "due_at" => SortKey::Time(self.due_at),
            _ => SortKey::Time(self.created_at),
        }
    }
}

/// Filters for a conflict list.
#[derive(Clone, Debug, Default)]
pub struct ConflictFilter {
    pub status: Option<ConflictStatus>,
    pub account_id: Option<AccountId>,
}

/// Opens a case inside a transaction, about a registration (and so its account and partner).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn open_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    registration: &Registration,
    opener: Option<ConflictOpener>,
    reason: &str,
    decision: &Decision,
    policy: &RegistrationPolicy,
) -> Result<ConflictCase> {
    let opener = opener.unwrap_or(ConflictOpener::System);
    insert(
        tx,
        now,
        actor,
        Some(&registration.program_id),
        &registration.account_id,
        Some(registration),
        opener,
        reason,
        decision,
        policy,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    program: Option<&partnerops_core::ids::ProgramId>,
    account: &AccountId,
    registration: Option<&Registration>,
    opener: ConflictOpener,
    reason: &str,
    decision: &Decision,
    policy: &RegistrationPolicy,
) -> Result<ConflictCase> {
    let id: ConflictId = new_id();
    let partner = registration.map(|r| &r.partner_id);
    let mut q = Sql::new(
        "INSERT INTO conflict_cases (id, program_id, account_id, registration_id, partner_id, opened_by_kind, opened_by, reason, level, due_at, status, policy_version, created_at, updated_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(program.map(|p| p.as_str()))
        .push(", ")
        .bind(account.as_str())
        .push(", ")
        .bind(registration.map(|r| r.id.as_str()))
        .push(", ")
        .bind(partner.map(|p| p.as_str()))
        .push(", ")
        .bind(opener.as_str())
        .push(", ")
        .bind(actor.user_id().map(|u| u.as_str()))
        .push(", ")
        .bind(reason)
        .push(", 0, ")
        .bind(rules::conflict_due(now, policy))
        .push(", 'open', ")
        .bind(policy.version)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await?;
    let case: ConflictCase = entity::fetch(tx, &Scope::Vendor, id.as_str()).await?;
    let mut records = vec![id.as_str(), account.as_str()];
    if let Some(r) = registration {
        records.push(r.id.as_str());
    }
    decide(
        tx,
        now,
        actor,
        EntityKind::Conflict,
        id.as_str(),
        partner,
        decision,
        &records,
    )
    .await?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Conflict,
        id.as_str(),
        AuditAction::Created,
        partner,
        None::<&()>,
        Some(&case),
    )
    .await?;
    emit(tx, now, "conflict.opened", id.as_str(), partner, &case).await?;
    Ok(case)
}

row! {
    struct CommentRow {
        id: String,
        author_name: String,
        body: String,
        created_at: DateTime<Utc>,
    }
}

impl Store {
    pub fn conflict_sorts() -> Vec<&'static str> {
        entity::sort_names::<ConflictCase>()
    }

    /// Opens a case: a partner about its own registration, direct sales or a channel
    /// manager about a registration or an account.
    #[tracing::instrument(skip_all)]
    pub async fn open_conflict(
        &self,
        actor: &Actor,
        input: &ConflictInput,
    ) -> Result<ConflictCase> {
        let now = self.now();
        let reason = text::required("reason", input.reason.as_deref(), 4000)
            .map_err(|e| Invalid { errors: vec![e] })?;
        let mut tx = self.db.begin_write().await?;
        let registration: Option<Registration> = match input
            .registration_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => {
                let id: RegistrationId =
                    parse_id("registration_id", raw).map_err(|e| Invalid { errors: vec![e] })?;
                match entity::fetch(&mut tx, &actor.scope(), id.as_str()).await {
                    Ok(r) => Some(r),
                    Err(StoreError::NotFound(_)) => {
                        return Err(Invalid::one(
                            "registration_id",
                            "exists",
                            "registration_id names no registration",
                        )
                        .into());
                    }
                    Err(e) => return Err(e),
                }
            }
            None => None,
        };
        let (account, opener) = match (&registration, actor.scope()) {
            (Some(r), Scope::Partner(_)) => (r.account_id.clone(), ConflictOpener::Partner),
            (Some(r), Scope::Vendor) => (r.account_id.clone(), ConflictOpener::Direct),
            (None, Scope::Partner(_)) => {
                return Err(Invalid::one(
                    "registration_id",
                    "required",
                    "partners open a conflict about one of their registrations",
                )
                .into());
            }
            (None, Scope::Vendor) => {
                let raw = input.account_id.as_deref().unwrap_or_default();
                let id: AccountId =
                    parse_id("account_id", raw).map_err(|e| Invalid { errors: vec![e] })?;
                let a: Account = entity::fetch(&mut tx, &Scope::Vendor, id.as_str())
                    .await
                    .map_err(|_| {
                        Invalid::one("account_id", "exists", "account_id names no account")
                    })?;
                (a.id, ConflictOpener::Direct)
            }
        };
        match (&registration, opener) {
            (Some(r), ConflictOpener::Partner) => {
                actor.authorize(&Action::WorkRegistration(&r.partner_id))?
            }
            _ => actor.authorize(&Action::EngageAccount)?,
        }
        let policy = match &registration {
            Some(r) => policy::current(&mut tx, r.program_id.as_str()).await?,
            None => RegistrationPolicy::default(),
        };
        let d = Decision::new(
            "conflict.opened",
            "open",
            format!("opened by {}: {reason}", opener.label().to_lowercase()),
            policy.version,
        );
        let case = insert(
            &mut tx,
            now,
            actor,
            registration.as_ref().map(|r| &r.program_id),
            &account,
            registration.as_ref(),
            opener,
            &reason,
            &d,
            &policy,
        )
        .await?;
        tx.commit().await?;
        Ok(case)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn conflict(&self, scope: &Scope, id: &str) -> Result<ConflictCase> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn conflicts(
        &self,
        scope: &Scope,
        filter: &ConflictFilter,
        page: &PageRequest,
    ) -> Result<Page<ConflictCase>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(s) = filter.status {
                q.push(" AND conflict_cases.status = ").bind(s.as_str());
            }
            if let Some(a) = &filter.account_id {
                q.push(" AND conflict_cases.account_id = ").bind(a.as_str());
            }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn comment_on_conflict(
        &self,
        actor: &Actor,
        id: &str,
        input: &CommentInput,
    ) -> Result<ConflictComment> {
        let body = text::required("body", input.body.as_deref(), 4000)
            .map_err(|e| Invalid { errors: vec![e] })?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let case: ConflictCase = entity::fetch(&mut tx, &actor.scope(), id).await?;
        // Partners comment on their own cases; on the vendor side, those who work accounts.
        match (&case.partner_id, actor.partner_id()) {
            (Some(p), Some(_)) => actor.authorize(&Action::WorkRegistration(p))?,
            _ => actor.authorize(&Action::EngageAccount)?,
        }
        let cid: CommentId = new_id();
        let mut q = Sql::new(
            "INSERT INTO conflict_comments (id, case_id, author_id, author_name, body, created_at) VALUES (",
        );
        q.bind(cid.as_str())
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(actor.user_id().map(|u| u.as_str()))
            .push(", ")
            .bind(actor.audit_name())
            .push(", ")
            .bind(body.as_str())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(ConflictComment {
            id: cid,
            author_name: actor.audit_name(),
            body,
            created_at: now,
        })
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn conflict_comments(&self, scope: &Scope, id: &str) -> Result<Vec<ConflictComment>> {
        let _: ConflictCase = entity::fetch(&mut self.db.read(), scope, id).await?;
        let mut q = Sql::new(
            "SELECT id, author_name, body, created_at FROM conflict_comments WHERE case_id = ",
        );
        q.bind(id).push(" ORDER BY created_at, id");
        let rows: Vec<CommentRow> = self.db.read().all(&q).await?;
        Ok(rows
            .into_iter()
            .map(|r| ConflictComment {
                id: CommentId::from_trusted(r.id),
                author_name: r.author_name,
                body: r.body,
                created_at: r.created_at,
            })
            .collect())
    }

    /// Resolves an open case (vendor): who keeps the account, and why.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn resolve_conflict(
        &self,
        actor: &Actor,
        id: &str,
        input: &ResolveInput,
    ) -> Result<ConflictCase> {
        let (outcome, reasoning) = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: ConflictCase = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::DecideRegistration)?;
        let mut q = Sql::new("UPDATE conflict_cases SET status = 'resolved', outcome = ");
        q.bind(outcome.as_str())
            .push(", reasoning = ")
            .bind(reasoning.as_str())
            .push(", resolved_at = ")
            .bind(now)
            .push(", resolved_by = ")
            .bind(actor.user_id().map(|u| u.as_str()))
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE status = 'open' AND id = ")
            .bind(id);
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "status",
                "conflict.status",
                "the case is already resolved",
            ));
        }
        let d = Decision::new(
            "conflict.resolved",
            outcome.as_str(),
            format!("{}: {reasoning}", outcome.label()),
            before.policy_version,
        );
        let records = [id, before.account_id.as_str()];
        let done = Change::updated()
            .decided(&d, &records)
            .event("conflict.resolved");
        let after: ConflictCase = change::after_change(&mut tx, now, actor, &before, done).await?;
        tx.commit().await?;
        Ok(after)
    }
}
