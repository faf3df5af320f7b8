//! The duplicate review of accounts (vendor staff): "same company" merges one account into
//! another, "different companies" records the pair so matching never flags it again. Each
//! answer runs in one transaction and leaves a decision and an audit event on both
//! accounts. Matching itself lives in the submit path (`registration::resolve_account`);
//! the rules and their reasons in `core::registration::review`.

use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::account::Account;
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, PartnerId};
use partnerops_core::registration::record::Registration;
use partnerops_core::registration::review::{self, DistinctInput, MergeCounts, MergeInput};
use partnerops_core::scope::{Action, Scope};
use serde_json::json;

use super::holder;
use crate::business_plan::facts as plan_facts;
use crate::db::{Exec, Sql, Tx, UniqueRule, row, unique_violation};
use crate::decision::{emit, record as decide};
use crate::entity;
use crate::{Actor, Result, Store, StoreError, audit};

const ONE_HOLDER: UniqueRule = UniqueRule {
    index: "registrations_one_holder",
    sqlite_columns: "registrations.account_id",
};

row! {
    struct RegIdRow {
        id: String,
    }
}

/// The other account of a review answer: live and visible, else the field's "exists" rule.
async fn other_account(tx: &mut Tx, actor: &Actor, field: &str, id: &str) -> Result<Account> {
    match entity::fetch::<Account>(tx, &actor.scope(), id).await {
        Ok(a) if a.archived_at.is_none() => Ok(a),
        Ok(_) | Err(StoreError::NotFound(_)) => {
            Err(Invalid::one(field, "exists", format!("{field} names no live account")).into())
        }
        Err(e) => Err(e),
    }
}

/// The ids of registrations matching the condition `condition` appends (SQL over
/// `registrations`, with its binds).
async fn registration_ids(tx: &mut Tx, condition: impl FnOnce(&mut Sql)) -> Result<Vec<String>> {
    let mut q = Sql::new("SELECT id FROM registrations WHERE ");
    condition(&mut q);
    q.push(" ORDER BY id");
    let rows: Vec<RegIdRow> = tx.all(&q).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

async fn snapshots(tx: &mut Tx, ids: &[String]) -> Result<Vec<Registration>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(entity::fetch(tx, &Scope::Vendor, id).await?);
    }
    Ok(out)
}

/// An audit event on each registration a review answer changed (its partner reads it).
async fn audit_registrations(
    tx: &mut Tx,
    now: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    before: &[Registration],
) -> Result<()> {
    for b in before {
        let after: Registration = entity::fetch(tx, &Scope::Vendor, b.id.as_str()).await?;
        audit::record(
            tx,
            now,
            actor,
            EntityKind::Registration,
            b.id.as_str(),
            AuditAction::Updated,
            Some(&b.partner_id),
            Some(b),
            Some(&after),
        )
        .await?;
    }
    Ok(())
}

/// Records `decision` and an audit event on an account of a review answer.
#[allow(clippy::too_many_arguments)]
async fn note_on_account(
    tx: &mut Tx,
    now: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    account: &str,
    action: AuditAction,
    before: Option<&Account>,
    after: &serde_json::Value,
    decision: &partnerops_core::registration::Decision,
    records: &[&str],
) -> Result<()> {
    decide(
        tx,
        now,
        actor,
        EntityKind::Account,
        account,
        None::<&PartnerId>,
        decision,
        records,
    )
    .await?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Account,
        account,
        action,
        None,
        before,
        Some(after),
    )
    .await
}

impl Store {
    /// "Same company": merges account `id` into `input.into` (vendor staff who decide
    /// registrations). Its registrations (with their activities, engagement requests and
    /// decisions), direct activities, conflict cases, and its own decisions and audit
    /// history move to the surviving account; it is archived with `merged_into` set.
    /// Refused with rule `account.merge_both_held` when both accounts hold an active
    /// registration. A partner gets `NotFound`, as for any account.
    pub async fn merge_accounts(
        &self,
        actor: &Actor,
        id: &str,
        input: &MergeInput,
    ) -> Result<Account> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let from: Account = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::DecideRegistration)?;
        let (into_id, note) = input.parse(id)?;
        let into = other_account(&mut tx, actor, "into", into_id.as_str()).await?;
        if from.archived_at.is_some() {
            return Err(StoreError::conflict(
                "id",
                "account.archived",
                "this account is archived (or merged already); only a live account is merged",
            ));
        }
        let (from_id, into_id) = (from.id.as_str(), into.id.as_str());
        let from_held = holder(&mut tx, from_id).await?.is_some();
        let into_held = holder(&mut tx, into_id).await?.is_some();
        if let Some(refusal) = review::merge_refusal(from_held, into_held) {
            return Err(StoreError::conflict("into", &refusal.rule, refusal.reason));
        }

        let (before, moved) = move_registrations(&mut tx, now, from_id, into_id).await?;
        let counts = move_history(&mut tx, now, from_id, into_id, moved).await?;
        audit_registrations(&mut tx, now, actor, &before).await?;
        record_merge(
            &mut tx,
            now,
            actor,
            (&from, &into),
            &counts,
            note.as_deref(),
        )
        .await?;
        let survivor: Account = entity::fetch(&mut tx, &Scope::Vendor, into_id).await?;
        tx.commit().await?;
        Ok(survivor)
    }

    /// "Different companies": accounts `id` and `input.from` are recorded as a pair that
    /// matching never flags as possible duplicates again; registrations flagged by this
    /// pair leave review. Asking again changes nothing. A partner gets `NotFound`.
    pub async fn mark_accounts_distinct(
        &self,
        actor: &Actor,
        id: &str,
        input: &DistinctInput,
    ) -> Result<Account> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let this: Account = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::DecideRegistration)?;
        let (other_id, note) = input.parse(id)?;
        let other = other_account(&mut tx, actor, "from", other_id.as_str()).await?;
        let (a, b) = review::pair(this.id.as_str(), other.id.as_str());
        let reason = note.clone().unwrap_or_else(|| "different companies".into());
        let mut q = Sql::new(
            "INSERT INTO account_distinct_pairs (account_a, account_b, reason, decided_by, created_at) VALUES (",
        );
        q.bind(a)
            .push(", ")
            .bind(b)
            .push(", ")
            .bind(reason.as_str())
            .push(", ")
            .bind(actor.user_id().map(|u| u.as_str()))
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (account_a, account_b) DO NOTHING");
        if tx.execute(&q).await? == 0 {
            // Already answered: nothing new to record.
            tx.commit().await?;
            return Ok(this);
        }
        let touched = registration_ids(&mut tx, |q| {
            q.push("(account_id = ")
                .bind(a)
                .push(" AND possible_duplicate_of = ")
                .bind(b)
                .push(") OR (account_id = ")
                .bind(b)
                .push(" AND possible_duplicate_of = ")
                .bind(a)
                .push(")");
        })
        .await?;
        let before = snapshots(&mut tx, &touched).await?;
        for r in &before {
            let mut q =
                Sql::new("UPDATE registrations SET possible_duplicate_of = NULL, updated_at = ");
            q.bind(now).push(" WHERE id = ").bind(r.id.as_str());
            tx.execute(&q).await?;
        }
        audit_registrations(&mut tx, now, actor, &before).await?;
        let decision = review::distinct(
            (this.id.as_str(), &this.name),
            (other.id.as_str(), &other.name),
            note.as_deref(),
        );
        let records = [this.id.as_str(), other.id.as_str()];
        for (account, partner_of) in [(&this, &other), (&other, &this)] {
            note_on_account(
                &mut tx,
                now,
                actor,
                account.id.as_str(),
                AuditAction::Decided,
                None,
                &json!({"distinct_from": partner_of.id, "decision": decision}),
                &decision,
                &records,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(this)
    }
}

/// Moves the registrations on `from` to `into` and repoints the duplicate flags that named
/// `from`; answers the registrations touched as they were before (for their audit events) and
/// how many moved.
async fn move_registrations(
    tx: &mut Tx,
    now: DateTime<Utc>,
    from_id: &str,
    into_id: &str,
) -> Result<(Vec<Registration>, u64)> {
    let touched = registration_ids(tx, |q| {
        q.push("account_id = ")
            .bind(from_id)
            .push(" OR possible_duplicate_of = ")
            .bind(from_id);
    })
    .await?;
    let before = snapshots(tx, &touched).await?;
    // Their activities touch the survivor from now on, for the plans' account coverage.
    let touches = plan_facts::registration_touches(tx, from_id).await?;
    let mut q = Sql::new("UPDATE registrations SET account_id = ");
    q.bind(into_id)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE account_id = ")
        .bind(from_id);
    // The one-holder index settles a race with a submission on the surviving account.
    let moved = tx.execute(&q).await.map_err(|e| {
        if unique_violation(&e, &ONE_HOLDER) {
            let d = review::merge_refusal(true, true);
            StoreError::conflict(
                "into",
                "account.merge_both_held",
                d.map(|d| d.reason).unwrap_or_default(),
            )
        } else {
            e.into()
        }
    })?;
    // A registration flagged against the merged account now either sits on the same
    // account (the question is answered) or is flagged against the survivor.
    let mut q = Sql::new("UPDATE registrations SET possible_duplicate_of = NULL, updated_at = ");
    q.bind(now)
        .push(" WHERE account_id = ")
        .bind(into_id)
        .push(" AND (possible_duplicate_of = ")
        .bind(from_id)
        .push(" OR possible_duplicate_of = ")
        .bind(into_id)
        .push(")");
    tx.execute(&q).await?;
    let mut q = Sql::new("UPDATE registrations SET possible_duplicate_of = ");
    q.bind(into_id)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE possible_duplicate_of = ")
        .bind(from_id);
    tx.execute(&q).await?;
    plan_facts::move_touches(tx, touches, from_id, into_id).await?;
    Ok((before, moved))
}

/// Moves direct activities, conflict cases, and the account's decisions and audit history
/// to `into`, forgets the pairs declared different that named `from`, and archives `from`
/// with its pointer.
async fn move_history(
    tx: &mut Tx,
    now: DateTime<Utc>,
    from_id: &str,
    into_id: &str,
    registrations: u64,
) -> Result<MergeCounts> {
    let mut counts = MergeCounts {
        registrations,
        ..MergeCounts::default()
    };
    for (table, counter) in [
        ("direct_activities", &mut counts.direct_activities),
        ("conflict_cases", &mut counts.conflicts),
    ] {
        let mut q = Sql::new(&format!("UPDATE {table} SET account_id = "));
        q.bind(into_id).push(" WHERE account_id = ").bind(from_id);
        *counter = tx.execute(&q).await?;
    }
    for (table, counter) in [
        ("decisions", &mut counts.decisions),
        ("audit_events", &mut counts.audit_events),
    ] {
        let mut q = Sql::new(&format!("UPDATE {table} SET entity_id = "));
        q.bind(into_id)
            .push(" WHERE entity_kind = 'account' AND entity_id = ")
            .bind(from_id);
        *counter = tx.execute(&q).await?;
    }
    // Pairs declared different concern the merged account, which no longer matches.
    let mut q = Sql::new("DELETE FROM account_distinct_pairs WHERE account_a = ");
    q.bind(from_id).push(" OR account_b = ").bind(from_id);
    tx.execute(&q).await?;
    let mut q = Sql::new("UPDATE accounts SET archived_at = ");
    q.bind(now)
        .push(", merged_into = ")
        .bind(into_id)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE archived_at IS NULL AND id = ")
        .bind(from_id);
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::conflict(
            "id",
            "account.archived",
            "this account was archived meanwhile",
        ));
    }
    Ok(counts)
}

/// The merge's decision and audit event on both accounts, and its outbox event.
async fn record_merge(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    (from, into): (&Account, &Account),
    counts: &MergeCounts,
    note: Option<&str>,
) -> Result<()> {
    let (from_id, into_id) = (from.id.as_str(), into.id.as_str());
    let decision = review::merged((from_id, &from.name), (into_id, &into.name), counts, note);
    let records = [from_id, into_id];
    let merged: Account = entity::fetch(tx, &Scope::Vendor, from_id).await?;
    let merged_json =
        serde_json::to_value(&merged).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    note_on_account(
        tx,
        now,
        actor,
        from_id,
        AuditAction::Archived,
        Some(from),
        &merged_json,
        &decision,
        &records,
    )
    .await?;
    note_on_account(
        tx,
        now,
        actor,
        into_id,
        AuditAction::Decided,
        None,
        &json!({"merged_from": from_id, "decision": decision}),
        &decision,
        &records,
    )
    .await?;
    emit(
        tx,
        now,
        "account.merged",
        into_id,
        None,
        &json!({"merged": from_id, "into": into_id}),
    )
    .await?;
    Ok(())
}
