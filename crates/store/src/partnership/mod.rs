//! Partnership charters: versioned content both sides write, signatures that lock a
//! version, amendments, crawl/walk/run phases with gate reviews, decision trees and the
//! operating-model document. The rules are `core::partnership`'s; this is their storage.
//! Not here: deciding whether a phase or gate passes (`core::partnership::phases`), or the
//! decision/audit/outbox plumbing every change ends with (`change`).

pub mod track;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{CharterId, EntityId, EvaluationId, GateReviewId, PartnerId, parse_id};
use partnerops_core::invalid::text;
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::partner::Partner;
use partnerops_core::partnership::charter::{Signatures, edit_allowed};
use partnerops_core::partnership::content::CharterContent;
use partnerops_core::partnership::operating_model::{deal_ownership_rules, render_markdown};
use partnerops_core::partnership::phases::{self, GateDecision, GateOutcome, Phase};
use partnerops_core::partnership::record::{
    Charter, CharterInput, CharterPatch, CharterStatus, EndInput, GateInput, GateReview,
    PhaseInput, TreeAnswers,
};
use partnerops_core::partnership::tree::{self, Evaluation, Step, Tree};
use partnerops_core::registration::Decision;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use crate::change::{self, Change};
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::record as decide;
use crate::entity::{self, Archived, Entity, json_column, to_json};
use crate::{Actor, Result, Store, StoreError, audit, new_id, policy};

row! {
    pub(crate) struct CharterRow {
        id: String,
        partner_id: String,
        partner_name: String,
        title: String,
        version: i64,
        content: String,
        vendor_signed_at: Option<DateTime<Utc>>,
        partner_signed_at: Option<DateTime<Utc>>,
        ever_signed: i64,
        phase: Option<String>,
        status: String,
        lessons: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        ended_at: Option<DateTime<Utc>>,
    }
}

impl Entity for Charter {
    const KIND: EntityKind = EntityKind::Charter;
    const TABLE: &'static str = "charters";
    const SELECT: &'static str = "SELECT charters.id, charters.partner_id, p.name AS partner_name, charters.title, charters.version, v.content, v.vendor_signed_at, v.partner_signed_at, CAST(CASE WHEN EXISTS (SELECT 1 FROM charter_versions sv WHERE sv.charter_id = charters.id AND sv.vendor_signed_at IS NOT NULL AND sv.partner_signed_at IS NOT NULL) THEN 1 ELSE 0 END AS BIGINT) AS ever_signed, charters.phase, charters.status, charters.lessons, charters.created_at, charters.updated_at, charters.ended_at FROM charters charters JOIN partners p ON p.id = charters.partner_id JOIN charter_versions v ON v.charter_id = charters.id AND v.version = charters.version WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("created_at", "charters.created_at"),
        ("title", "charters.title"),
    ];
    type Row = CharterRow;

    fn from_row(r: CharterRow) -> Result<Charter> {
        let corrupt = |e: FieldError| StoreError::Corrupt(e.message);
        let content: CharterContent = json_column("content", &r.content)?;
        let verdicts = content.verdicts();
        Ok(Charter {
            id: CharterId::from_trusted(r.id),
            partner_id: PartnerId::from_trusted(r.partner_id),
            partner_name: r.partner_name,
            title: r.title,
            version: r.version,
            content,
            locked: r.vendor_signed_at.is_some() && r.partner_signed_at.is_some(),
            vendor_signed_at: r.vendor_signed_at,
            partner_signed_at: r.partner_signed_at,
            ever_signed: r.ever_signed == 1,
            phase: r
                .phase
                .as_deref()
                .map(|p| Phase::parse("phase", p))
                .transpose()
                .map_err(corrupt)?,
            status: CharterStatus::parse("status", &r.status).map_err(corrupt)?,
            lessons: r.lessons,
            verdicts,
            created_at: r.created_at,
            updated_at: r.updated_at,
            ended_at: r.ended_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.partner_id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        Action::GovernPartnership
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "title" => SortKey::Text(self.title.clone()),
            _ => SortKey::Time(self.created_at),
        }
    }
}

row! {
    struct GateRow {
        id: String,
        phase: String,
        passed: i64,
        missed: String,
        decision: String,
        path: String,
        reviewer_name: String,
        at: DateTime<Utc>,
    }
}

row! {
    struct TreeRow {
        tree: String,
    }
}

fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(Invalid { errors: vec![e] })
}

/// The tree stored under `key`, or the built-in one.
/// Records an evaluation of the tree `key`: the answers, the path and the outcome.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_evaluation(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    charter_id: Option<&str>,
    partner_id: Option<&str>,
    key: &str,
    answers: &HashMap<String, bool>,
    evaluation: &Evaluation,
) -> Result<()> {
    let id: EvaluationId = new_id();
    let mut q = Sql::new(
        "INSERT INTO tree_evaluations (id, charter_id, partner_id, tree_key, answers, path, outcome, actor_name, at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(charter_id)
        .push(", ")
        .bind(partner_id)
        .push(", ")
        .bind(key)
        .push(", ")
        .bind(to_json(answers)?)
        .push(", ")
        .bind(to_json(&evaluation.path)?)
        .push(", ")
        .bind(evaluation.outcome.as_deref())
        .push(", ")
        .bind(actor.audit_name())
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await?;
    Ok(())
}

pub(crate) async fn tree_of(x: &mut impl Exec, key: &str) -> Result<Tree> {
    let mut q = Sql::new("SELECT tree FROM decision_trees WHERE key = ");
    q.bind(key);
    if let Some(row) = x.optional::<TreeRow>(&q).await? {
        return json_column("tree", &row.tree);
    }
    tree::builtin()
        .into_iter()
        .find(|t| t.key == key)
        .ok_or_else(|| {
            invalid(FieldError::new(
                "key",
                "exists",
                format!("no decision tree is called {key}"),
            ))
        })
}

impl Store {
    pub fn charter_sorts() -> Vec<&'static str> {
        entity::sort_names::<Charter>()
    }

    /// Opens a charter for a partner (vendor staff); it starts as an unsigned draft, version 1.
    #[tracing::instrument(skip_all)]
    pub async fn create_charter(&self, actor: &Actor, input: &CharterInput) -> Result<Charter> {
        actor.authorize(&Action::GovernPartnership)?;
        let mut inv = Invalid::new();
        let title = inv.check(text::required("title", input.title.as_deref(), 200));
        let partner_id = match input.partner_id.as_deref() {
            Some(raw) => inv.check(parse_id::<PartnerId>("partner_id", raw)),
            None => inv.check(Err(FieldError::new(
                "partner_id",
                "required",
                "partner_id is required",
            ))),
        };
        let content = input.content.clone().unwrap_or_default();
        if let Err(e) = content.validate() {
            inv.errors.extend(e.errors.into_iter().map(|mut e| {
                e.field = format!("content.{}", e.field);
                e
            }));
        }
        let (title, partner_id) = inv.finish(|| Some((title?, partner_id?)))?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        match entity::fetch::<Partner>(&mut tx, &actor.scope(), partner_id.as_str()).await {
            Ok(p) if p.archived_at.is_none() => {}
            Ok(_) | Err(StoreError::NotFound(_)) => {
                return Err(invalid(FieldError::new(
                    "partner_id",
                    "exists",
                    "partner_id names no live partner",
                )));
            }
            Err(e) => return Err(e),
        }
        let id: CharterId = new_id();
        let mut q = Sql::new(
            "INSERT INTO charters (id, partner_id, title, version, status, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(partner_id.as_str())
            .push(", ")
            .bind(title.as_str())
            .push(", 1, 'active', ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        insert_version(&mut tx, id.as_str(), 1, &content, now).await?;
        let charter: Charter = entity::fetch(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Charter,
            id.as_str(),
            AuditAction::Created,
            Some(&partner_id),
            None::<&()>,
            Some(&charter),
        )
        .await?;
        tx.commit().await?;
        Ok(charter)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn charter(&self, scope: &Scope, id: &str) -> Result<Charter> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn charters(
        &self,
        scope: &Scope,
        partner: Option<&PartnerId>,
        page: &PageRequest,
    ) -> Result<Page<Charter>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(p) = partner {
                q.push(" AND charters.partner_id = ").bind(p.as_str());
            }
        })
        .await
    }

    /// Edits the current version while it is not signed by both sides; a signed version is
    /// changed only by an amendment.
    /// [`Store::update_charter_if`] without a precondition.
    pub async fn update_charter(
        &self,
        actor: &Actor,
        id: &str,
        patch: &CharterPatch,
    ) -> Result<Charter> {
        self.update_charter_if(actor, id, patch, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_charter_if(
        &self,
        actor: &Actor,
        id: &str,
        patch: &CharterPatch,
        precondition: &crate::etag::Precondition,
    ) -> Result<Charter> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Charter =
            entity::fetch_for_change(&mut tx, &actor.scope(), id, precondition).await?;
        actor.authorize(&Action::WriteCharter(&before.partner_id))?;
        ensure_active(&before)?;
        let signatures = Signatures {
            vendor_signed: before.vendor_signed_at.is_some(),
            partner_signed: before.partner_signed_at.is_some(),
        };
        edit_allowed(&signatures)
            .map_err(|m| StoreError::conflict("version", "charter.locked", m))?;
        let title = match patch.title.as_deref() {
            Some(raw) => text::required("title", Some(raw), 200).map_err(invalid)?,
            None => before.title.clone(),
        };
        let content = patch
            .content
            .clone()
            .unwrap_or_else(|| before.content.clone());
        content.validate().map_err(|mut e| {
            for f in &mut e.errors {
                f.field = format!("content.{}", f.field);
            }
            StoreError::Invalid(e)
        })?;
        // Editing a version one side already signed withdraws that signature: the other
        // side must not be bound to words it has not seen.
        let mut q = Sql::new("UPDATE charter_versions SET content = ");
        q.bind(to_json(&content)?)
            .push(", vendor_signed_by = NULL, vendor_signed_at = NULL, partner_signed_by = NULL, partner_signed_at = NULL WHERE charter_id = ")
            .bind(id)
            .push(" AND version = ")
            .bind(before.version)
            .push(" AND NOT (vendor_signed_at IS NOT NULL AND partner_signed_at IS NOT NULL)");
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "version",
                "charter.locked",
                "the charter was signed meanwhile; propose an amendment",
            ));
        }
        tx.execute(
            Sql::new("UPDATE charters SET title = ")
                .bind(title.as_str())
                .push(", updated_at = ")
                .bind(now)
                .push(" WHERE id = ")
                .bind(id),
        )
        .await?;
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated().event("charter.updated"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Signs the current version for the actor's side: vendor staff for the vendor, the
    /// partner's admin for the partner. Both signatures lock the version.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn sign_charter(&self, actor: &Actor, id: &str) -> Result<Charter> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Charter = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::SignCharter(&before.partner_id))?;
        ensure_active(&before)?;
        let side = if actor.partner_id().is_some() {
            "partner"
        } else {
            "vendor"
        };
        let mut q = Sql::new(&format!("UPDATE charter_versions SET {side}_signed_by = "));
        q.bind(actor.user_id().map(|u| u.as_str()))
            .push(&format!(", {side}_signed_at = "))
            .bind(now)
            .push(" WHERE charter_id = ")
            .bind(id)
            .push(" AND version = ")
            .bind(before.version)
            .push(&format!(" AND {side}_signed_at IS NULL"));
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "version",
                "charter.already_signed",
                format!("the {side} side already signed version {}", before.version),
            ));
        }
        tx.execute(
            Sql::new("UPDATE charters SET updated_at = ")
                .bind(now)
                .push(" WHERE id = ")
                .bind(id),
        )
        .await?;
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated().event("charter.signed"),
        )
        .await?;
        if after.locked {
            let d = Decision::new(
                "charter.signed",
                "locked",
                format!(
                    "both sides signed version {}: it is locked; changes become an amendment",
                    after.version
                ),
                after.version,
            );
            decide(
                &mut tx,
                now,
                actor,
                EntityKind::Charter,
                id,
                Some(&after.partner_id),
                &d,
                &[id],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Starts an amendment: the next version, a copy of the signed one, unsigned.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn amend_charter(&self, actor: &Actor, id: &str) -> Result<Charter> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Charter = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WriteCharter(&before.partner_id))?;
        ensure_active(&before)?;
        if !before.locked {
            return Err(StoreError::conflict(
                "version",
                "charter.not_locked",
                "the current version is not signed by both sides yet: edit it instead of amending",
            ));
        }
        let next = before.version + 1;
        let mut q = Sql::new("UPDATE charters SET version = ");
        q.bind(next)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND version = ")
            .bind(before.version);
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "version",
                "charter.version",
                "another amendment was started meanwhile",
            ));
        }
        insert_version(&mut tx, id, next, &before.content, now).await?;
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated().event("charter.amended"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Enters the next phase: in order, one at a time; past Crawl only with a charter both
    /// sides signed and the previous gate passed.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn enter_phase(
        &self,
        actor: &Actor,
        id: &str,
        input: &PhaseInput,
    ) -> Result<Charter> {
        let phase =
            Phase::parse("phase", input.phase.as_deref().unwrap_or_default()).map_err(invalid)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Charter = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::GovernPartnership)?;
        ensure_active(&before)?;
        let gate_passed = match before.phase {
            Some(current) => last_gate(&mut tx, id, current)
                .await?
                .is_some_and(|g| g.decision == GateDecision::Go),
            None => true,
        };
        if let Err(why) = phases::may_enter(before.phase, phase, before.ever_signed, gate_passed) {
            let d = Decision::new("charter.phase_refused", "refused", why, before.version);
            drop(tx);
            return Err(change::refuse(
                self,
                actor,
                (EntityKind::Charter, id),
                Some(before.partner_id),
                d,
                &[id],
            )
            .await);
        }
        let mut q = Sql::new("UPDATE charters SET phase = ");
        q.bind(phase.as_str())
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        match before.phase {
            Some(p) => q.push(" AND phase = ").bind(p.as_str()),
            None => q.push(" AND phase IS NULL"),
        };
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "phase",
                "charter.phase",
                "the phase changed meanwhile",
            ));
        }
        let d = Decision::new(
            "charter.phase_entered",
            phase.as_str(),
            format!("entered {}", phase.label()),
            before.version,
        );
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated()
                .decided(&d, &[id])
                .event("charter.phase_entered"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Reviews the current phase's gate with measured values. Passing says go; failing
    /// follows the "continue this partnership?" tree: a failed Crawl ends the partnership,
    /// a failed Walk restarts Crawl (or ends, if asked). Ending needs the lessons learned.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn review_gate(
        &self,
        actor: &Actor,
        id: &str,
        input: &GateInput,
    ) -> Result<GateReview> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let charter: Charter = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::GovernPartnership)?;
        ensure_active(&charter)?;
        let (phase, outcome, measured) = measure_gate(&mut tx, &charter, input).await?;
        // The continue-partnership tree, answered by the gate results.
        let tree = tree_of(&mut tx, "continue_partnership").await?;
        let mut answers = HashMap::new();
        answers.insert("crawl".to_owned(), phase != Phase::Crawl || outcome.passed);
        if phase == Phase::Walk {
            answers.insert("walk".to_owned(), outcome.passed);
        }
        let evaluation = tree.evaluate(&answers);
        let (decision, lessons) = gate_decision(outcome.passed, phase, input)?;
        let review_id: GateReviewId = new_id();
        let mut q = Sql::new(
            "INSERT INTO gate_reviews (id, charter_id, phase, measured, passed, missed, decision, path, reviewer_name, at) VALUES (",
        );
        q.bind(review_id.as_str())
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(phase.as_str())
            .push(", ")
            .bind(measured)
            .push(", ")
            .bind(i64::from(outcome.passed))
            .push(", ")
            .bind(to_json(&outcome.missed)?)
            .push(", ")
            .bind(decision.as_str())
            .push(", ")
            .bind(to_json(&evaluation.path)?)
            .push(", ")
            .bind(actor.audit_name())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        let d = gate_decision_record(phase, &outcome, decision, charter.version);
        decide(
            &mut tx,
            now,
            actor,
            EntityKind::Charter,
            id,
            Some(&charter.partner_id),
            &d,
            &[id, review_id.as_str()],
        )
        .await?;
        apply_gate_decision(&mut tx, now, id, decision, lessons).await?;
        change::after_change(
            &mut tx,
            now,
            actor,
            &charter,
            Change::updated().event("charter.gate_reviewed"),
        )
        .await?;
        tx.commit().await?;
        Ok(GateReview {
            id: review_id,
            phase,
            passed: outcome.passed,
            missed: outcome.missed,
            decision,
            path: evaluation.path,
            reviewer_name: actor.audit_name(),
            at: now,
        })
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn gate_reviews(&self, scope: &Scope, id: &str) -> Result<Vec<GateReview>> {
        let _: Charter = entity::fetch(&mut self.db.read(), scope, id).await?;
        let mut q = Sql::new(
            "SELECT id, phase, passed, missed, decision, path, reviewer_name, at FROM gate_reviews WHERE charter_id = ",
        );
        q.bind(id).push(" ORDER BY at, id");
        let rows: Vec<GateRow> = self.db.read().all(&q).await?;
        rows.into_iter().map(gate_from_row).collect()
    }

    /// Ends a partnership, recording what was learned.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn end_charter(&self, actor: &Actor, id: &str, input: &EndInput) -> Result<Charter> {
        let lessons = text::required("lessons", input.lessons.as_deref(), 4000).map_err(invalid)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Charter = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::GovernPartnership)?;
        ensure_active(&before)?;
        end_in(&mut tx, now, id, &lessons).await?;
        let d = Decision::new(
            "charter.ended",
            "ended",
            format!("partnership ended; learned: {lessons}"),
            before.version,
        );
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated().decided(&d, &[id]).event("charter.ended"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The decision trees in force: stored ones over the built-in ones. Every scope sees
    /// them (they are the installation's questions and hold no partner's data); the scope
    /// is taken so that a reach of a partner goes through one signature like every other.
    #[tracing::instrument(skip_all)]
    pub async fn decision_trees(&self, _scope: &Scope) -> Result<Vec<Tree>> {
        let mut out = Vec::new();
        for builtin in tree::builtin() {
            out.push(tree_of(&mut self.db.read(), &builtin.key).await?);
        }
        Ok(out)
    }

    /// Replaces a tree's questions for this installation (vendor), after validation.
    #[tracing::instrument(skip_all, fields(key = %key))]
    pub async fn set_decision_tree(&self, actor: &Actor, key: &str, tree: &Tree) -> Result<Tree> {
        actor.authorize(&Action::GovernPartnership)?;
        if !tree::builtin().iter().any(|t| t.key == key) {
            return Err(StoreError::NotFound(EntityKind::DecisionTree));
        }
        if tree.key != key {
            return Err(invalid(FieldError::new(
                "key",
                "matches_path",
                format!("the tree's key must be {key}"),
            )));
        }
        tree.validate()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new("INSERT INTO decision_trees (key, tree, updated_at) VALUES (");
        q.bind(key).push(", ").bind(to_json(tree)?).push(", ").bind(now).push(") ON CONFLICT (key) DO UPDATE SET tree = excluded.tree, updated_at = excluded.updated_at");
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(tree.clone())
    }

    /// Evaluates a tree with the answers given so far and records the evaluation (about a
    /// charter when one is named). Returns the path and the outcome or the next question.
    #[tracing::instrument(skip_all, fields(key = %key))]
    pub async fn evaluate_tree(
        &self,
        actor: &Actor,
        key: &str,
        input: &TreeAnswers,
    ) -> Result<Evaluation> {
        let charter: Option<Charter> = match input
            .charter_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => Some(
                entity::fetch(&mut self.db.read(), &actor.scope(), raw)
                    .await
                    .map_err(|e| match e {
                        StoreError::NotFound(_) => invalid(FieldError::new(
                            "charter_id",
                            "exists",
                            "charter_id names no charter",
                        )),
                        other => other,
                    })?,
            ),
            None => None,
        };
        let tree = tree_of(&mut self.db.read(), key).await?;
        let evaluation = tree.evaluate(&input.answers);
        let now = self.now();
        let partner = charter
            .as_ref()
            .map(|c| c.partner_id.clone())
            .or_else(|| actor.partner_id().cloned());
        let mut tx = self.db.begin_write().await?;
        insert_evaluation(
            &mut tx,
            now,
            actor,
            charter.as_ref().map(|c| c.id.as_str()),
            partner.as_ref().map(|p| p.as_str()),
            key,
            &input.answers,
            &evaluation,
        )
        .await?;
        tx.commit().await?;
        Ok(evaluation)
    }

    /// The operating-model document of a charter, in Markdown.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn operating_model(&self, scope: &Scope, id: &str) -> Result<String> {
        let charter: Charter = entity::fetch(&mut self.db.read(), scope, id).await?;
        let partner: Partner = entity::fetch(
            &mut self.db.read(),
            &Scope::Vendor,
            charter.partner_id.as_str(),
        )
        .await?;
        let policy = policy::current(&mut self.db.read(), partner.program_id.as_str()).await?;
        Ok(render_markdown(
            &charter.title,
            &charter.partner_name,
            charter.version,
            &charter.content,
            &deal_ownership_rules(&policy),
        ))
    }
}

/// The gate of the charter's current phase, judged on the measurements in `input`: the
/// phase, the outcome and the measurements as stored.
async fn measure_gate(
    tx: &mut Tx,
    charter: &Charter,
    input: &GateInput,
) -> Result<(Phase, GateOutcome, String)> {
    let t = &charter.content.thresholds;
    match charter.phase {
        Some(Phase::Crawl) => {
            let r = input.crawl.clone().ok_or_else(|| {
                invalid(FieldError::new(
                    "crawl",
                    "required",
                    "the Crawl gate needs the crawl measurements",
                ))
            })?;
            Ok((Phase::Crawl, phases::crawl_gate(&r, t), to_json(&r)?))
        }
        Some(Phase::Walk) => {
            let r = input.walk.clone().ok_or_else(|| {
                invalid(FieldError::new(
                    "walk",
                    "required",
                    "the Walk gate needs the walk measurements",
                ))
            })?;
            let walk = phases::walk_gate(&r, t);
            let run = input.run.clone().unwrap_or_default();
            let crawl_passed = last_gate(tx, charter.id.as_str(), Phase::Crawl)
                .await?
                .is_some_and(|g| g.passed);
            let mut outcome = phases::run_gate(crawl_passed, walk.passed, &run);
            if !walk.passed {
                outcome.missed = walk
                    .missed
                    .into_iter()
                    .chain(
                        outcome
                            .missed
                            .into_iter()
                            .filter(|m| !m.contains("Walk gate")),
                    )
                    .collect();
            }
            Ok((
                Phase::Walk,
                outcome,
                to_json(&serde_json::json!({"walk": r, "run": run}))?,
            ))
        }
        Some(Phase::Run) => Err(StoreError::conflict(
            "phase",
            "charter.no_gate",
            "Run has no gate; review it in the quarterly business review",
        )),
        None => Err(StoreError::conflict(
            "phase",
            "charter.not_started",
            "enter Crawl before reviewing a gate",
        )),
    }
}

/// What a gate review decides, and the lessons learned (required when it ends the
/// partnership).
fn gate_decision(
    passed: bool,
    phase: Phase,
    input: &GateInput,
) -> Result<(GateDecision, Option<&str>)> {
    let decision = match (passed, phase, input.if_walk_fails.as_deref()) {
        (true, _, _) => GateDecision::Go,
        (false, Phase::Walk, Some("end")) => GateDecision::End,
        (false, Phase::Walk, None | Some("restart_crawl")) => GateDecision::RestartCrawl,
        (false, Phase::Walk, Some(_)) => {
            return Err(invalid(FieldError::new(
                "if_walk_fails",
                "one_of",
                "if_walk_fails must be one of: restart_crawl, end",
            )));
        }
        (false, _, _) => GateDecision::End,
    };
    let lessons = input
        .lessons
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    if decision == GateDecision::End && lessons.is_none() {
        return Err(invalid(FieldError::new(
            "lessons",
            "required",
            "ending a partnership records what was learned: lessons is required",
        )));
    }
    Ok((decision, lessons))
}

/// The recorded decision of a gate review.
fn gate_decision_record(
    phase: Phase,
    outcome: &GateOutcome,
    decision: GateDecision,
    version: i64,
) -> Decision {
    let reason = if outcome.passed {
        format!("{} gate passed", phase.label())
    } else {
        format!(
            "{} gate missed: {}",
            phase.label(),
            outcome.missed.join("; ")
        )
    };
    Decision::new(
        "charter.gate_reviewed",
        decision.as_str(),
        format!("{reason}; decision: {}", decision.label()),
        version,
    )
}

/// Carries out a gate decision: nothing for go, back to Crawl, or the end.
async fn apply_gate_decision(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: &str,
    decision: GateDecision,
    lessons: Option<&str>,
) -> Result<()> {
    match decision {
        GateDecision::Go => {}
        GateDecision::RestartCrawl => {
            tx.execute(
                Sql::new("UPDATE charters SET phase = 'crawl', updated_at = ")
                    .bind(now)
                    .push(" WHERE id = ")
                    .bind(id),
            )
            .await?;
        }
        GateDecision::End => {
            end_in(tx, now, id, lessons.unwrap_or_default()).await?;
        }
    }
    Ok(())
}

fn ensure_active(c: &Charter) -> Result<()> {
    if c.status == CharterStatus::Ended {
        return Err(StoreError::conflict(
            "status",
            "charter.ended",
            "the partnership has ended",
        ));
    }
    Ok(())
}

async fn insert_version(
    tx: &mut Tx,
    id: &str,
    version: i64,
    content: &CharterContent,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO charter_versions (charter_id, version, content, created_at) VALUES (",
    );
    q.bind(id)
        .push(", ")
        .bind(version)
        .push(", ")
        .bind(to_json(content)?)
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await?;
    Ok(())
}

async fn end_in(tx: &mut Tx, now: DateTime<Utc>, id: &str, lessons: &str) -> Result<()> {
    let mut q = Sql::new("UPDATE charters SET status = 'ended', lessons = ");
    q.bind(lessons)
        .push(", ended_at = ")
        .bind(now)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE status = 'active' AND id = ")
        .bind(id);
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::conflict(
            "status",
            "charter.ended",
            "the partnership has ended",
        ));
    }
    Ok(())
}

row! {
    struct EnteredRow {
        entered_at: Option<DateTime<Utc>>,
    }
}

/// The latest review of `phase`'s gate since the phase was last entered: a review from
/// before a restart of Crawl does not count again.
async fn last_gate(x: &mut impl Exec, id: &str, phase: Phase) -> Result<Option<GateReview>> {
    let mut q = Sql::new(
        "SELECT MAX(at) AS entered_at FROM decisions WHERE entity_kind = 'charter' AND entity_id = ",
    );
    q.bind(id)
        .push(" AND ((rule = 'charter.phase_entered' AND outcome = ")
        .bind(phase.as_str())
        .push(")");
    if phase == Phase::Crawl {
        q.push(" OR (rule = 'charter.gate_reviewed' AND outcome = 'restart_crawl')");
    }
    q.push(")");
    let since = x
        .optional::<EnteredRow>(&q)
        .await?
        .and_then(|r| r.entered_at);
    let review = last_gate_review(x, id, phase).await?;
    Ok(review.filter(|g| since.is_none_or(|t| g.at >= t)))
}

async fn last_gate_review(x: &mut impl Exec, id: &str, phase: Phase) -> Result<Option<GateReview>> {
    let mut q = Sql::new(
        "SELECT id, phase, passed, missed, decision, path, reviewer_name, at FROM gate_reviews WHERE charter_id = ",
    );
    q.bind(id)
        .push(" AND phase = ")
        .bind(phase.as_str())
        .push(" ORDER BY at DESC, id DESC LIMIT 1");
    let row: Option<GateRow> = x.optional(&q).await?;
    row.map(gate_from_row).transpose()
}

fn gate_from_row(r: GateRow) -> Result<GateReview> {
    let corrupt = |e: FieldError| StoreError::Corrupt(e.message);
    let path: Vec<StepRecord> = json_column("path", &r.path)?;
    Ok(GateReview {
        id: GateReviewId::from_trusted(r.id),
        phase: Phase::parse("phase", &r.phase).map_err(corrupt)?,
        passed: r.passed == 1,
        missed: json_column("missed", &r.missed)?,
        decision: GateDecision::parse("decision", &r.decision).map_err(corrupt)?,
        path: path
            .into_iter()
            .map(|s| Step {
                question_id: s.question_id,
                question: s.question,
                answer: s.answer,
            })
            .collect(),
        reviewer_name: r.reviewer_name,
        at: r.at,
    })
}

/// A path step as stored.
#[derive(serde::Deserialize)]
struct StepRecord {
    question_id: String,
    question: String,
    answer: bool,
}
