//! Program policies: published versions of each program's policy document (the newest
//! applies), their history and differences, drafts shared with the advisory council, and the
//! what-if replay of a draft. A program that never published uses the seed defaults laid over
//! its own ladder, as version 1. Not here: validating or diffing a policy document
//! (`core::policy`), or SQL spelled per backend (the history load asks `db::dialect`).

mod history;

use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{DraftCommentId, EntityId, PartnerId, PolicyDraftId};
use partnerops_core::invalid::text;
use partnerops_core::policy::diff;
use partnerops_core::policy::record::{
    DraftComment, DraftStatus, PolicyDiff, PolicyDraft, PolicyVersion,
};
use partnerops_core::policy::simulate::{self, SimulationReport};
use partnerops_core::policy::{ProgramPolicy, TierRule};
use partnerops_core::program::{Program, ProgramKind};
use partnerops_core::registration::policy::RegistrationPolicy;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::tier::{Tier, TierFields};

use crate::db::{Exec, Sql, Tx, row};
use crate::entity::{self, json_column, to_json};
use crate::etag::{self, Precondition};
use crate::{Actor, Result, Store, StoreError, audit, decision, new_id, program::tier};

row! {
    struct RegistrationRow {
        version: i64,
        registration: String,
    }
}

/// The newest registration rules of a program (what the registration rules read).
pub(crate) async fn current(x: &mut impl Exec, program_id: &str) -> Result<RegistrationPolicy> {
    let mut q = Sql::new("SELECT version, registration FROM program_policies WHERE program_id = ");
    q.bind(program_id).push(" ORDER BY version DESC LIMIT 1");
    let row: Option<RegistrationRow> = x.optional(&q).await?;
    registration_rules(row.map(|r| (r.version, r.registration)))
}

/// The newest registration rules of a program and the program's currency, in one read: a
/// submission needs both (the currency is its default and auto-approval's unit).
pub(crate) async fn current_with_currency(
    x: &mut impl Exec,
    program_id: &str,
) -> Result<(RegistrationPolicy, partnerops_core::money::Currency)> {
    row! {
        struct Row {
            currency: String,
            version: Option<i64>,
            registration: Option<String>,
        }
    }
    let mut q = Sql::new(
        "SELECT programs.currency, pp.version, pp.registration FROM programs LEFT JOIN program_policies pp ON pp.program_id = programs.id AND pp.version = (SELECT MAX(version) FROM program_policies WHERE program_id = programs.id) WHERE programs.id = ",
    );
    q.bind(program_id);
    let Some(row) = x.optional::<Row>(&q).await? else {
        return Err(StoreError::NotFound(EntityKind::Program));
    };
    let currency = partnerops_core::money::Currency::parse("currency", &row.currency)
        .map_err(|e| StoreError::Corrupt(e.message))?;
    let stored = row.version.zip(row.registration);
    Ok((registration_rules(stored)?, currency))
}

/// Registration rules from a stored version (number, JSON), or the defaults without one.
fn registration_rules(stored: Option<(i64, String)>) -> Result<RegistrationPolicy> {
    match stored {
        Some((version, registration)) => {
            let mut policy: RegistrationPolicy = json_column("registration", &registration)?;
            policy.version = version;
            Ok(policy)
        }
        None => Ok(RegistrationPolicy::default()),
    }
}

row! {
    struct VersionRow {
        version: i64,
        registration: String,
        document: Option<String>,
        author_name: Option<String>,
        change_note: Option<String>,
        created_at: DateTime<Utc>,
    }
}

const VERSION_COLUMNS: &str = "SELECT version, registration, document, author_name, change_note, created_at FROM program_policies WHERE program_id = ";

/// The policy the seed defaults give a program with this ladder (its version 1).
/// The live rungs of a program's ladder, entry tier first.
async fn live_ladder(x: &mut impl Exec, program_id: &str) -> Result<Vec<Tier>> {
    use crate::entity::Entity;
    let mut q = Sql::new(
        "SELECT tiers.* FROM tiers tiers WHERE tiers.archived_at IS NULL AND tiers.program_id = ",
    );
    q.bind(program_id).push(" ORDER BY tiers.rank");
    let rows: Vec<tier::TierRow> = x.all(&q).await?;
    rows.into_iter().map(Tier::from_row).collect()
}

async fn default_policy(x: &mut impl Exec, program_id: &str) -> Result<ProgramPolicy> {
    let ladder: Vec<_> = live_ladder(x, program_id)
        .await?
        .into_iter()
        .map(|t| (t.name, t.description, t.benefits))
        .collect();
    row! { struct KindRow { kind: String } }
    let mut q = Sql::new("SELECT kind FROM programs WHERE id = ");
    q.bind(program_id);
    // No program (yet): the seed ladder's rules, as for any kind but technology.
    let kind = match x.optional::<KindRow>(&q).await? {
        Some(r) => ProgramKind::parse("kind", &r.kind)
            .map_err(|e| StoreError::Corrupt(format!("program kind: {}", e.message)))?,
        None => ProgramKind::Reseller,
    };
    Ok(ProgramPolicy::default_for_ladder(kind, &ladder))
}

/// The seed defaults over the ladder, read only when `row` needs them (no stored version,
/// or one stored before documents existed), so the usual read is a single query.
async fn fallback_for(
    x: &mut impl Exec,
    program_id: &str,
    row: Option<&VersionRow>,
) -> Result<Option<ProgramPolicy>> {
    match row {
        Some(r) if r.document.is_some() => Ok(None),
        _ => Ok(Some(default_policy(x, program_id).await?)),
    }
}

fn version_from_row(
    program_id: &str,
    r: VersionRow,
    fallback: Option<&ProgramPolicy>,
) -> Result<PolicyVersion> {
    let mut registration: RegistrationPolicy = json_column("registration", &r.registration)?;
    registration.version = r.version;
    let policy = match &r.document {
        Some(text) => ProgramPolicy::from_toml(text)
            .map_err(|e| StoreError::Corrupt(format!("policy document: {}", e.summary())))?,
        // A version published before documents existed: its registration rules, seed rest.
        None => ProgramPolicy {
            registration: registration.clone(),
            ..fallback
                .cloned()
                .unwrap_or_else(ProgramPolicy::seed_default)
        },
    };
    let policy = ProgramPolicy {
        registration,
        ..policy
    };
    Ok(PolicyVersion {
        program_id: program_id.to_owned(),
        version: r.version,
        document: policy.to_toml(),
        warnings: policy.warnings(),
        policy,
        author_name: r.author_name.unwrap_or_else(|| "system".into()),
        change_note: r.change_note.unwrap_or_default(),
        published_at: Some(r.created_at),
    })
}

/// Version 1 of a program that never stored one: the seed defaults over its ladder.
fn seed_version(program_id: &str, fallback: ProgramPolicy) -> PolicyVersion {
    let mut policy = fallback;
    policy.registration.version = 1;
    PolicyVersion {
        program_id: program_id.to_owned(),
        version: 1,
        document: policy.to_toml(),
        warnings: policy.warnings(),
        policy,
        author_name: "seed defaults".into(),
        change_note: "The seed's rules; nothing published yet.".into(),
        published_at: None,
    }
}

/// The policy in force for a program, with its version.
pub(crate) async fn current_version(x: &mut impl Exec, program_id: &str) -> Result<PolicyVersion> {
    row! { struct Newest { version: i64, created_at: DateTime<Utc>, has_document: i64 } }
    let mut q = Sql::new(
        "SELECT version, created_at, CAST(CASE WHEN document IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_document FROM program_policies WHERE program_id = ",
    );
    q.bind(program_id).push(" ORDER BY version DESC LIMIT 1");
    let newest: Option<Newest> = x.optional(&q).await?;
    let key = newest
        .filter(|n| n.has_document == 1)
        .map(|n| (program_id.to_owned(), n.version, n.created_at));
    if let Some(hit) = key.as_ref().and_then(parsed::get) {
        return Ok(hit);
    }
    let mut q = Sql::new(VERSION_COLUMNS);
    q.bind(program_id).push(" ORDER BY version DESC LIMIT 1");
    let row: Option<VersionRow> = x.optional(&q).await?;
    let fallback = fallback_for(x, program_id, row.as_ref()).await?;
    match row {
        Some(r) => {
            let cacheable = r
                .document
                .is_some()
                .then(|| (program_id.to_owned(), r.version, r.created_at));
            let version = version_from_row(program_id, r, fallback.as_ref())?;
            if let Some(key) = cacheable {
                parsed::put(key, &version);
            }
            Ok(version)
        }
        None => Ok(seed_version(
            program_id,
            fallback.unwrap_or_else(ProgramPolicy::seed_default),
        )),
    }
}

/// Published policy versions, parsed. A version with a document never changes once
/// published, and parsing, validating and re-serialising its TOML took milliseconds of CPU
/// on every read of the board, the forecast or an accrual. Keyed by program, version and
/// publication time (ids are UUIDs, so two databases never share a key); process-wide and
/// bounded. Versions without a document take the live ladder's defaults and are never kept.
mod parsed {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};

    use chrono::{DateTime, Utc};
    use partnerops_core::policy::record::PolicyVersion;

    pub(super) type Key = (String, i64, DateTime<Utc>);

    const MAX: usize = 1024;

    static PARSED: LazyLock<Mutex<HashMap<Key, PolicyVersion>>> = LazyLock::new(Mutex::default);

    pub(super) fn get(key: &Key) -> Option<PolicyVersion> {
        PARSED.lock().ok()?.get(key).cloned()
    }

    pub(super) fn put(key: Key, version: &PolicyVersion) {
        if let Ok(mut map) = PARSED.lock() {
            if map.len() >= MAX {
                map.clear();
            }
            map.insert(key, version.clone());
        }
    }
}

/// The number of the version in force for a program at `at`: the last one published at or
/// before it, else the first (a deal closed before any publication was under version 1).
pub(crate) async fn version_number_at(
    x: &mut impl Exec,
    program_id: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    row! { struct Number { version: i64 } }
    let mut q = Sql::new("SELECT version FROM program_policies WHERE program_id = ");
    q.bind(program_id)
        .push(" AND created_at <= ")
        .bind(at)
        .push(" ORDER BY version DESC LIMIT 1");
    if let Some(n) = x.optional::<Number>(&q).await? {
        return Ok(n.version);
    }
    let mut q = Sql::new("SELECT version FROM program_policies WHERE program_id = ");
    q.bind(program_id).push(" ORDER BY version LIMIT 1");
    Ok(x.optional::<Number>(&q).await?.map_or(1, |n| n.version))
}

/// Version `version` of a program's policy (version 1 of a program that never published is
/// the seed defaults over its ladder).
pub(crate) async fn numbered(
    x: &mut impl Exec,
    program_id: &str,
    version: i64,
) -> Result<PolicyVersion> {
    let mut q = Sql::new(VERSION_COLUMNS);
    q.bind(program_id).push(" AND version = ").bind(version);
    let row: Option<VersionRow> = x.optional(&q).await?;
    let fallback = fallback_for(x, program_id, row.as_ref()).await?;
    match row {
        Some(r) => version_from_row(program_id, r, fallback.as_ref()),
        None if version == 1 => Ok(seed_version(
            program_id,
            fallback.unwrap_or_else(ProgramPolicy::seed_default),
        )),
        None => Err(StoreError::NotFound(EntityKind::Policy)),
    }
}

row! {
    struct DraftRow {
        id: String,
        program_id: String,
        base_version: i64,
        document: String,
        note: String,
        status: String,
        author_name: String,
        published_version: Option<i64>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

row! {
    struct CommentRow {
        id: String,
        partner_id: Option<String>,
        author_name: String,
        body: String,
        created_at: DateTime<Utc>,
    }
}

/// Checks a change note: required, one paragraph at most.
fn change_note(raw: &str) -> Result<String> {
    Ok(text::required("change_note", Some(raw), 2000).map_err(|e| Invalid { errors: vec![e] })?)
}

/// Parses a document, or says which key is wrong.
fn parse(document: &str) -> Result<ProgramPolicy> {
    Ok(ProgramPolicy::from_toml(document)?)
}

/// Brings the tier records in line with the published ladder, by rank: names, descriptions
/// and benefits follow the policy; new rungs are created; rungs the policy dropped are
/// archived, unless partners still hold them.
async fn sync_ladder(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    program: &Program,
    ladder: &[TierRule],
) -> Result<()> {
    let existing = live_ladder(tx, program.id.as_str()).await?;
    // Move every rung out of the way first, so renames and reorders cannot collide on the
    // (program, name) and rank uniqueness while the ladder is rewritten.
    for t in &existing {
        let mut u = Sql::new("UPDATE tiers SET name = ");
        u.bind(format!("{} ~{}", t.name, t.id.as_str()))
            .push(" WHERE id = ")
            .bind(t.id.as_str());
        tx.execute(&u).await?;
    }
    for (i, rule) in ladder.iter().enumerate() {
        let rank = i as i32 + 1;
        let fields = TierFields {
            name: rule.name.clone(),
            rank,
            description: rule.description.clone(),
            benefits: rule.benefits.clone(),
        };
        match existing.iter().find(|t| t.rank == rank) {
            Some(before) => {
                let mut u = Sql::new("UPDATE tiers SET name = ");
                u.bind(fields.name.as_str())
                    .push(", description = ")
                    .bind(fields.description.as_deref())
                    .push(", benefits = ")
                    .bind(to_json(&fields.benefits)?)
                    .push(", updated_at = ")
                    .bind(now)
                    .push(" WHERE id = ")
                    .bind(before.id.as_str());
                tx.execute(&u).await?;
                crate::change::after_change(
                    tx,
                    now,
                    actor,
                    before,
                    crate::change::Change::updated(),
                )
                .await?;
            }
            None => {
                tier::insert(tx, now, actor, &program.id, &fields).await?;
            }
        }
    }
    for t in existing.iter().filter(|t| t.rank as usize > ladder.len()) {
        row! {
            struct Held {
                n: i64,
            }
        }
        let mut c =
            Sql::new("SELECT COUNT(*) AS n FROM partners WHERE archived_at IS NULL AND tier_id = ");
        c.bind(t.id.as_str());
        let held = tx.optional::<Held>(&c).await?.map_or(0, |h| h.n);
        if held > 0 {
            return Err(Invalid::one(
                &format!("tiers[{}]", t.rank - 1),
                "tier_in_use",
                format!(
                    "the ladder drops {} (rank {}), but {} partners hold it; move them to another tier first",
                    t.name, t.rank, held
                ),
            )
            .into());
        }
        let mut u = Sql::new("UPDATE tiers SET name = ");
        u.bind(t.name.as_str())
            .push(", archived_at = ")
            .bind(now)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(t.id.as_str());
        tx.execute(&u).await?;
        crate::change::after_change(tx, now, actor, t, crate::change::Change::updated()).await?;
    }
    Ok(())
}

/// Stores `policy` as version `policy.registration.version` of the program.
async fn insert_version(
    tx: &mut Tx,
    program: &Program,
    policy: &ProgramPolicy,
    author: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO program_policies (program_id, version, registration, document, author_name, change_note, created_at) VALUES (",
    );
    q.bind(program.id.as_str())
        .push(", ")
        .bind(policy.registration.version)
        .push(", ")
        .bind(to_json(&policy.registration)?)
        .push(", ")
        .bind(policy.to_toml())
        .push(", ")
        .bind(author)
        .push(", ")
        .bind(note)
        .push(", ")
        .bind(at)
        .push(")");
    tx.execute(&q).await?;
    Ok(())
}

/// Publishes `policy` as the program's next version, inside `tx`.
async fn publish_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    program: &Program,
    policy: ProgramPolicy,
    note: &str,
) -> Result<PolicyVersion> {
    let before = current_version(tx, program.id.as_str()).await?;
    if before.published_at.is_none() {
        // The first publish: keep the seed defaults it replaces as version 1 (they are
        // read from the ladder, which is about to follow the new document), so the history,
        // the differences and drafts written against version 1 still show them. It was in
        // force from the program's creation, or from this publication when a back-dated
        // history (the demo seed) dates it earlier, so the versions stay in time order.
        insert_version(
            tx,
            program,
            &before.policy,
            &before.author_name,
            &before.change_note,
            program.created_at.min(now),
        )
        .await?;
    }
    let version = before.version + 1;
    let policy = ProgramPolicy {
        registration: RegistrationPolicy {
            version,
            ..policy.registration
        },
        ..policy
    };
    insert_version(tx, program, &policy, &actor.audit_name(), note, now).await?;
    sync_ladder(tx, now, actor, program, &policy.tiers).await?;
    let published = current_version(tx, program.id.as_str()).await?;
    let changes = diff::diff(&before.policy, &published.policy);
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Policy,
        program.id.as_str(),
        AuditAction::Updated,
        None,
        Some(&serde_json::json!({ "version": before.version })),
        Some(&serde_json::json!({ "version": version, "change_note": note, "changes": changes })),
    )
    .await?;
    decision::emit(
        tx,
        now,
        "policy.published",
        program.id.as_str(),
        None,
        &serde_json::json!({ "program_id": program.id, "version": version }),
    )
    .await?;
    Ok(published)
}

impl Store {
    /// The policy in force for a program (vendor staff).
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn program_policy(&self, scope: &Scope, program_id: &str) -> Result<PolicyVersion> {
        let mut r = self.db.read();
        let _: Program = entity::fetch(&mut r, scope, program_id).await?;
        current_version(&mut r, program_id).await
    }

    /// Every published version, newest first.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn policy_history(
        &self,
        scope: &Scope,
        program_id: &str,
    ) -> Result<Vec<PolicyVersion>> {
        let mut r = self.db.read();
        let _: Program = entity::fetch(&mut r, scope, program_id).await?;
        let fallback = default_policy(&mut r, program_id).await?;
        let mut q = Sql::new(VERSION_COLUMNS);
        q.bind(program_id).push(" ORDER BY version DESC");
        let rows: Vec<VersionRow> = r.all(&q).await?;
        let stored_first = rows.iter().any(|row| row.version == 1);
        let mut history = rows
            .into_iter()
            .map(|row| version_from_row(program_id, row, Some(&fallback)))
            .collect::<Result<Vec<_>>>()?;
        if !stored_first {
            // Published before version 1 was stored with the first publish: the seed
            // defaults over the ladder, as they applied then.
            history.push(seed_version(program_id, fallback));
        }
        Ok(history)
    }

    /// One version (1 is the seed defaults when nothing was published as 1).
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn policy_version(
        &self,
        scope: &Scope,
        program_id: &str,
        version: i64,
    ) -> Result<PolicyVersion> {
        self.policy_history(scope, program_id)
            .await?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or(StoreError::NotFound(EntityKind::Policy))
    }

    /// What changed from one version to another.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn policy_diff(
        &self,
        scope: &Scope,
        program_id: &str,
        from: i64,
        to: i64,
    ) -> Result<PolicyDiff> {
        let history = self.policy_history(scope, program_id).await?;
        let find = |v: i64| {
            history
                .iter()
                .find(|p| p.version == v)
                .ok_or(StoreError::NotFound(EntityKind::Policy))
        };
        let changes = diff::diff(&find(from)?.policy, &find(to)?.policy);
        Ok(PolicyDiff {
            from_version: from,
            to_version: to,
            text: diff::render(&changes),
            changes,
        })
    }

    /// Checks a document without storing anything: the parsed policy's warnings, or why
    /// it is invalid.
    pub fn validate_policy(document: &str) -> Result<Vec<String>> {
        Ok(parse(document)?.warnings())
    }

    /// Publishes a policy document as the program's next version.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn publish_policy(
        &self,
        actor: &Actor,
        program_id: &str,
        document: &str,
        note: &str,
        precondition: &Precondition,
    ) -> Result<PolicyVersion> {
        let mut tx = self.db.begin_write().await?;
        // The program's row stands for its policy: publishing holds it, so the version
        // checked is the version replaced.
        etag::hold(&mut tx, "programs", program_id, precondition).await?;
        let program: Program = entity::fetch(&mut tx, &actor.scope(), program_id).await?;
        if !precondition.is_none() {
            precondition.check(&current_version(&mut tx, program_id).await?)?;
        }
        actor.authorize(&Action::WriteProgram)?;
        let policy = parse(document)?;
        let note = change_note(note)?;
        let published = publish_in(&mut tx, self.now(), actor, &program, policy, &note).await?;
        tx.commit().await?;
        Ok(published)
    }

    /// The registration rules in force for a program (vendor staff).
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn registration_policy(
        &self,
        scope: &Scope,
        program_id: &str,
    ) -> Result<RegistrationPolicy> {
        Ok(self
            .program_policy(scope, program_id)
            .await?
            .policy
            .registration)
    }

    /// Publishes new registration rules as the next policy version (the rest unchanged).
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn set_registration_policy(
        &self,
        actor: &Actor,
        program_id: &str,
        registration: RegistrationPolicy,
        precondition: &Precondition,
    ) -> Result<RegistrationPolicy> {
        let mut tx = self.db.begin_write().await?;
        etag::hold(&mut tx, "programs", program_id, precondition).await?;
        let program: Program = entity::fetch(&mut tx, &actor.scope(), program_id).await?;
        let mut policy = current_version(&mut tx, program_id).await?.policy;
        precondition.check(&policy.registration)?;
        actor.authorize(&Action::DecideRegistration)?;
        policy.registration = registration;
        // The whole document must stay valid (auto-approval ranks must exist on the
        // ladder, say), or it could not be read back. Keys are named as this route's body
        // names them: `validity_days`, not `registration.validity_days`.
        policy.validate().map_err(|inv: Invalid| {
            StoreError::Invalid(Invalid {
                errors: inv
                    .errors
                    .into_iter()
                    .map(|mut e| {
                        if let Some(key) = e.field.strip_prefix("registration.") {
                            e.field = key.to_owned();
                        }
                        if let Some(text) = e.message.strip_prefix("registration.") {
                            e.message = text.to_owned();
                        }
                        e
                    })
                    .collect(),
            })
        })?;
        let published = publish_in(
            &mut tx,
            self.now(),
            actor,
            &program,
            policy,
            "Registration rules changed",
        )
        .await?;
        tx.commit().await?;
        Ok(published.policy.registration)
    }

    /// Replays the program's recorded history under `document` and lists every outcome
    /// that would change against the policy in force, with what the deals of the last 12
    /// months would have earned under its incentives. Writes nothing.
    pub async fn simulate_policy(
        &self,
        scope: &Scope,
        program_id: &str,
        document: &str,
    ) -> Result<SimulationReport> {
        self.simulate_policy_over(scope, program_id, document, 12)
            .await
    }

    /// [`Store::simulate_policy`] with the economics replayed over the last `months` months.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn simulate_policy_over(
        &self,
        scope: &Scope,
        program_id: &str,
        document: &str,
        months: u32,
    ) -> Result<SimulationReport> {
        let draft = parse(document)?;
        let mut r = self.db.read();
        let _: Program = entity::fetch(&mut r, scope, program_id).await?;
        let current = current_version(&mut r, program_id).await?.policy;
        let as_of = self.now();
        let activities = simulate::needs_activities(&current, &draft);
        let history = history::load(&mut r, self.backend(), program_id, as_of, activities).await?;
        let mut report = simulate::simulate(&history, &current, &draft, as_of);
        report.economics = self
            .simulate_economics(scope, program_id, &draft, months)
            .await?;
        Ok(report)
    }

    // ---- drafts and the advisory council's comments ----

    /// Saves a draft of the next version (validated; not yet in force).
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn create_policy_draft(
        &self,
        actor: &Actor,
        program_id: &str,
        document: &str,
        note: &str,
    ) -> Result<PolicyDraft> {
        let mut tx = self.db.begin_write().await?;
        let _: Program = entity::fetch(&mut tx, &actor.scope(), program_id).await?;
        actor.authorize(&Action::WriteProgram)?;
        parse(document)?;
        let note = change_note(note)?;
        let base = current_version(&mut tx, program_id).await?.version;
        let now = self.now();
        let id: PolicyDraftId = new_id();
        let mut q = Sql::new(
            "INSERT INTO policy_drafts (id, program_id, base_version, document, note, status, author_name, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(program_id)
            .push(", ")
            .bind(base)
            .push(", ")
            .bind(document)
            .push(", ")
            .bind(note.as_str())
            .push(", 'draft', ")
            .bind(actor.audit_name())
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let draft = draft_in(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::PolicyDraft,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&draft),
        )
        .await?;
        tx.commit().await?;
        Ok(draft)
    }

    /// The drafts of a program: staff see all; a council member sees the shared ones.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn policy_drafts(&self, scope: &Scope, program_id: &str) -> Result<Vec<PolicyDraft>> {
        let mut r = self.db.read();
        if matches!(scope, Scope::Vendor) {
            // Staff name a program that exists (a partner, who sees no programs, gets the
            // shared drafts of its council or none).
            let _: Program = entity::fetch(&mut r, scope, program_id).await?;
        }
        let mut q = Sql::new("SELECT id FROM policy_drafts d WHERE d.program_id = ");
        q.bind(program_id);
        crate::scope::restrict_drafts(&mut q, scope, "d");
        q.push(" ORDER BY d.created_at DESC");
        row! {
            struct IdRow {
                id: String,
            }
        }
        let ids: Vec<IdRow> = r.all(&q).await?;
        let mut out = Vec::new();
        for row in ids {
            out.push(draft_in(&mut r, scope, &row.id).await?);
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn policy_draft(&self, scope: &Scope, id: &str) -> Result<PolicyDraft> {
        draft_in(&mut self.db.read(), scope, id).await
    }

    /// Moves a draft on: share it with the council, publish it, or discard it.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn set_draft_status(
        &self,
        actor: &Actor,
        id: &str,
        to: DraftStatus,
    ) -> Result<PolicyDraft> {
        let mut tx = self.db.begin_write().await?;
        let before = draft_in(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WriteProgram)?;
        let allowed = matches!(
            (before.status, to),
            (
                DraftStatus::Draft,
                DraftStatus::Shared | DraftStatus::Published | DraftStatus::Discarded
            ) | (
                DraftStatus::Shared,
                DraftStatus::Published | DraftStatus::Discarded
            )
        );
        if !allowed {
            return Err(StoreError::conflict(
                "status",
                "status_transition",
                format!(
                    "a {} draft cannot become {}",
                    before.status.label().to_lowercase(),
                    to.label().to_lowercase()
                ),
            ));
        }
        let now = self.now();
        let mut published_version = None;
        if to == DraftStatus::Published {
            let program: Program =
                entity::fetch(&mut tx, &Scope::Vendor, &before.program_id).await?;
            let current = current_version(&mut tx, &before.program_id).await?.version;
            if current != before.base_version {
                return Err(StoreError::conflict(
                    "base_version",
                    "stale_draft",
                    format!(
                        "the draft was written against version {} but version {current} is in force now; review the differences and save a new draft",
                        before.base_version
                    ),
                ));
            }
            let policy = parse(&before.document)?;
            let note = format!("{} (draft {})", before.note, before.id);
            published_version = Some(
                publish_in(&mut tx, now, actor, &program, policy, &note)
                    .await?
                    .version,
            );
        }
        let mut u = Sql::new("UPDATE policy_drafts SET status = ");
        u.bind(to.as_str())
            .push(", published_version = ")
            .bind(published_version)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        tx.execute(&u).await?;
        let after = draft_in(&mut tx, &Scope::Vendor, id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::PolicyDraft,
            id,
            AuditAction::Updated,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A comment on a shared draft, by vendor staff or the admin of a council member.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn comment_on_draft(
        &self,
        actor: &Actor,
        id: &str,
        body: &str,
    ) -> Result<PolicyDraft> {
        let mut tx = self.db.begin_write().await?;
        let draft = draft_in(&mut tx, &actor.scope(), id).await?;
        if let Some(partner) = actor.partner_id() {
            actor.authorize(&Action::EditPartnerProfile(partner))?;
        }
        if draft.status != DraftStatus::Shared && draft.status != DraftStatus::Draft {
            return Err(StoreError::conflict(
                "status",
                "closed",
                "comments close when a draft is published or discarded",
            ));
        }
        let body =
            text::required("body", Some(body), 4000).map_err(|e| Invalid { errors: vec![e] })?;
        let now = self.now();
        let cid: DraftCommentId = new_id();
        let mut q = Sql::new(
            "INSERT INTO policy_draft_comments (id, draft_id, partner_id, author_id, author_name, body, created_at) VALUES (",
        );
        q.bind(cid.as_str())
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(actor.partner_id().map(|p| p.as_str()))
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
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::PolicyDraft,
            id,
            AuditAction::Updated,
            actor.partner_id(),
            None::<&()>,
            Some(&serde_json::json!({ "comment": body })),
        )
        .await?;
        let after = draft_in(&mut tx, &actor.scope(), id).await?;
        tx.commit().await?;
        Ok(after)
    }
}

async fn draft_in(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<PolicyDraft> {
    let mut q = Sql::new(
        "SELECT d.id, d.program_id, d.base_version, d.document, d.note, d.status, d.author_name, d.published_version, d.created_at, d.updated_at FROM policy_drafts d WHERE d.id = ",
    );
    q.bind(id);
    crate::scope::restrict_drafts(&mut q, scope, "d");
    let r: DraftRow = x
        .optional(&q)
        .await?
        .ok_or(StoreError::NotFound(EntityKind::PolicyDraft))?;
    let mut c = Sql::new(
        "SELECT id, partner_id, author_name, body, created_at FROM policy_draft_comments WHERE draft_id = ",
    );
    c.bind(id).push(" ORDER BY created_at, id");
    let comments: Vec<CommentRow> = x.all(&c).await?;
    let base = {
        let mut q = Sql::new(VERSION_COLUMNS);
        q.bind(r.program_id.as_str())
            .push(" AND version = ")
            .bind(r.base_version);
        let row: Option<VersionRow> = x.optional(&q).await?;
        let fallback = fallback_for(x, &r.program_id, row.as_ref()).await?;
        match row {
            Some(row) => version_from_row(&r.program_id, row, fallback.as_ref())?.policy,
            None => fallback.unwrap_or_else(ProgramPolicy::seed_default),
        }
    };
    let (changes, warnings) = match ProgramPolicy::from_toml(&r.document) {
        Ok(p) => (diff::diff(&base, &p), p.warnings()),
        Err(e) => (Vec::new(), vec![e.summary()]),
    };
    Ok(PolicyDraft {
        id: PolicyDraftId::from_trusted(r.id),
        program_id: r.program_id,
        base_version: r.base_version,
        document: r.document,
        note: r.note,
        status: DraftStatus::parse("status", &r.status)
            .map_err(|e| StoreError::Corrupt(e.message))?,
        author_name: r.author_name,
        published_version: r.published_version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        changes,
        warnings,
        comments: comments
            .into_iter()
            .map(|c| DraftComment {
                id: DraftCommentId::from_trusted(c.id),
                partner_id: c.partner_id.map(PartnerId::from_trusted),
                author_name: c.author_name,
                body: c.body,
                created_at: c.created_at,
            })
            .collect(),
    })
}
