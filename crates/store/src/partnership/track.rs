//! The technology partnership track (rules in `partnerops_core::partnership::track`):
//! where a technology partner stands on it, placing a new one with the `partner_tier`
//! tree, and the evaluation for Partnership that falls due six months after a self-serve
//! start (an item of the 30-day cadence until it is decided).

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::{EntityId, PartnerId};
use partnerops_core::partner::{Partner, PartnerStatus};
use partnerops_core::partnership::record::TreeAnswers;
use partnerops_core::partnership::track::{
    self, EvaluationInput, RULE_EVALUATION, RULE_START, TrackPlacement, TrackStanding,
    joined_by_to_be_due,
};
use partnerops_core::program::ProgramKind;
use partnerops_core::registration::Decision;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use super::{insert_evaluation, tree_of};
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::record as decide;
use crate::entity;
use crate::lifecycle::tiering::{TierMove, move_tier};
use crate::policy::current_version;
use crate::{Actor, Result, Store, StoreError};

row! {
    pub(crate) struct TrackRow {
        pub id: String,
        pub name: String,
        pub program_id: String,
        pub program_kind: String,
        pub tier_name: String,
        pub rank: i64,
        pub joined_on: NaiveDate,
        pub moved_at: Option<DateTime<Utc>>,
        pub evaluated_at: Option<DateTime<Utc>>,
    }
}

/// Partners with what the track needs to know about each: program kind, rung, and the
/// last time they moved or were evaluated. Callers append conditions on `p`.
fn track_query() -> Sql {
    let mut q = Sql::new(&format!("SELECT {TRACK_COLUMNS}, "));
    push_track_dates(&mut q);
    q.push(&format!(" FROM {TRACK_FROM}"));
    q
}

/// The partner's own columns of a [`TrackRow`], from `partners p`, `tiers t`, `programs pr`.
const TRACK_COLUMNS: &str = "p.id, p.name, p.program_id, pr.kind AS program_kind, t.name AS tier_name, CAST(t.rank AS BIGINT) AS rank, p.joined_on";
const TRACK_FROM: &str = "partners p JOIN tiers t ON t.id = p.tier_id JOIN programs pr ON pr.id = p.program_id WHERE p.archived_at IS NULL";

/// The last move and the last evaluation of partner `p`, each a correlated subquery.
fn push_track_dates(q: &mut Sql) {
    q.push(
        "(SELECT MAX(c.at) FROM tier_changes c WHERE c.partner_id = p.id) AS moved_at, \
         (SELECT MAX(d.at) FROM decisions d WHERE d.entity_kind = ",
    )
    .bind(EntityKind::Partner.as_str())
    .push(" AND d.entity_id = p.id AND d.rule = ")
    .bind(RULE_EVALUATION)
    .push(") AS evaluated_at");
}

impl TrackRow {
    pub(crate) fn is_technology(&self) -> bool {
        self.program_kind == ProgramKind::Technology.as_str()
    }

    /// On its rung since: the start, the last move, or the last evaluation, whichever came
    /// last.
    pub(crate) fn standing(&self) -> TrackStanding {
        let since = [self.moved_at, self.evaluated_at]
            .into_iter()
            .flatten()
            .map(|t| t.date_naive())
            .fold(self.joined_on, NaiveDate::max);
        TrackStanding::new(
            self.id.clone(),
            self.tier_name.clone(),
            i32::try_from(self.rank).unwrap_or(i32::MAX),
            since,
        )
    }
}

fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(Invalid::from(e))
}

async fn track_row(x: &mut impl Exec, partner_id: &str) -> Result<TrackRow> {
    let mut q = track_query();
    q.push(" AND p.id = ").bind(partner_id);
    x.optional(&q)
        .await?
        .ok_or(StoreError::NotFound(EntityKind::Partner))
}

/// The live tier at `rank` of a program.
async fn tier_at(x: &mut impl Exec, program_id: &str, rank: i32) -> Result<Option<String>> {
    row! { struct TierIdRow { id: String } }
    let mut q = Sql::new("SELECT id FROM tiers WHERE archived_at IS NULL AND program_id = ");
    q.bind(program_id).push(" AND rank = ").bind(rank);
    Ok(x.optional::<TierIdRow>(&q).await?.map(|r| r.id))
}

impl Store {
    /// Where a partner of a technology program stands on the track (the partner itself, or
    /// staff).
    #[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
    pub async fn track_standing(&self, scope: &Scope, partner_id: &str) -> Result<TrackStanding> {
        let _: Partner = entity::fetch(&mut self.db.read(), scope, partner_id).await?;
        let row = track_row(&mut self.db.read(), partner_id).await?;
        track::require_technology(row.is_technology()).map_err(invalid)?;
        Ok(row.standing())
    }

    /// Places a technology partner on the track by the answers to the `partner_tier` tree:
    /// the outcome names the rung it starts on. Records the tree's evaluation and a
    /// decision citing its path; moves the partner when the rung differs from its tier.
    #[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
    pub async fn place_on_track(
        &self,
        actor: &Actor,
        partner_id: &str,
        answers: &TreeAnswers,
    ) -> Result<TrackPlacement> {
        actor.authorize(&Action::GovernPartner)?;
        let _: Partner = entity::fetch(&mut self.db.read(), &actor.scope(), partner_id).await?;
        let tree = tree_of(&mut self.db.read(), track::TREE).await?;
        let evaluation = tree.evaluate(&answers.answers);
        let Some(outcome_id) = evaluation.outcome_id.clone() else {
            let next = evaluation
                .next_question
                .as_ref()
                .map(|q| format!(": answer {} ({})", q.id, q.text))
                .unwrap_or_default();
            return Err(invalid(FieldError::new(
                "answers",
                "complete",
                format!("the answers reach no outcome of the tree yet{next}"),
            )));
        };
        let rank = track::starting_rank(&outcome_id).ok_or_else(|| {
            invalid(FieldError::new(
                "answers",
                "tier_outcome",
                format!(
                    "the tree's outcome {outcome_id} names no tier of the track (integration, partnership or strategic)"
                ),
            ))
        })?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let row = track_row(&mut tx, partner_id).await?;
        track::require_technology(row.is_technology()).map_err(invalid)?;
        let reason = format!(
            "{}: {} → {}",
            tree.title,
            evaluation
                .path
                .iter()
                .map(|s| format!("{} {}", s.question, if s.answer { "Yes" } else { "No" }))
                .collect::<Vec<_>>()
                .join("; "),
            evaluation.outcome.as_deref().unwrap_or_default()
        );
        insert_evaluation(
            &mut tx,
            now,
            actor,
            None,
            Some(partner_id),
            track::TREE,
            &answers.answers,
            &evaluation,
        )
        .await?;
        self.move_on_track(&mut tx, now, actor, &row, rank, RULE_START, &reason)
            .await?;
        let standing = track_row(&mut tx, partner_id).await?.standing();
        tx.commit().await?;
        Ok(TrackPlacement {
            evaluation,
            standing,
        })
    }

    /// Decides the evaluation of a self-serve partner for Partnership: promoted, or kept
    /// self-serve until the next evaluation six months on. Either way a decision with the
    /// reason is recorded, which ends the cadence item.
    #[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
    pub async fn evaluate_on_track(
        &self,
        actor: &Actor,
        partner_id: &str,
        input: &EvaluationInput,
    ) -> Result<TrackStanding> {
        actor.authorize(&Action::GovernPartner)?;
        let verdict = input.parse()?;
        let _: Partner = entity::fetch(&mut self.db.read(), &actor.scope(), partner_id).await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let row = track_row(&mut tx, partner_id).await?;
        track::require_technology(row.is_technology()).map_err(invalid)?;
        if row.rank != 1 {
            return Err(invalid(FieldError::new(
                "partner_id",
                "self_serve",
                format!(
                    "only a self-serve (rank 1) partner is evaluated for Partnership; this one is {}",
                    row.tier_name
                ),
            )));
        }
        let to = if verdict.promote { 2 } else { 1 };
        self.move_on_track(
            &mut tx,
            now,
            actor,
            &row,
            to,
            RULE_EVALUATION,
            &verdict.reason,
        )
        .await?;
        let standing = track_row(&mut tx, partner_id).await?.standing();
        tx.commit().await?;
        Ok(standing)
    }

    /// Records the decision to put `row` at `rank` and moves it there if it is elsewhere.
    #[allow(clippy::too_many_arguments)]
    async fn move_on_track(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        actor: &Actor,
        row: &TrackRow,
        rank: i32,
        rule: &str,
        reason: &str,
    ) -> Result<()> {
        let tier_id = tier_at(tx, &row.program_id, rank).await?.ok_or_else(|| {
            invalid(FieldError::new(
                "answers",
                "tier_exists",
                format!("the program has no live tier at rank {rank}"),
            ))
        })?;
        let policy_version = current_version(tx, &row.program_id).await?.version;
        let partner_id = PartnerId::from_trusted(row.id.clone());
        let to_name = {
            row! { struct NameRow { name: String } }
            let mut q = Sql::new("SELECT name FROM tiers WHERE id = ");
            q.bind(tier_id.as_str());
            tx.optional::<NameRow>(&q)
                .await?
                .map(|r| r.name)
                .unwrap_or_default()
        };
        let outcome = if i64::from(rank) == row.rank {
            format!("stays {to_name}")
        } else {
            format!("moves to {to_name}")
        };
        decide(
            tx,
            now,
            actor,
            EntityKind::Partner,
            &row.id,
            Some(&partner_id),
            &Decision::new(rule, &outcome, reason, policy_version),
            &[row.id.as_str(), tier_id.as_str()],
        )
        .await?;
        if i64::from(rank) != row.rank {
            move_tier(
                tx,
                now,
                actor,
                &partner_id,
                TierMove {
                    from_rank: row.rank,
                    to_rank: i64::from(rank),
                    tier_id: &tier_id,
                    rule,
                    policy_version,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Self-serve technology partners whose evaluation for Partnership falls due by
    /// `until`, in `scope` (staff: any; a partner: itself).
    pub(crate) async fn track_evaluations_due(
        &self,
        scope: &Scope,
        until: NaiveDate,
        only: impl FnOnce(&mut Sql),
    ) -> Result<Vec<(TrackRow, TrackStanding)>> {
        // The first 200 partners first, then their dates: the dates' subqueries for 200
        // partners, not for every self-serve partner of the program (3,300 at 10,000
        // partners: 12-17 ms a call on SQLite, the cadence's slowest statement).
        let mut q = Sql::new("SELECT p.*, ");
        push_track_dates(&mut q);
        q.push(&format!(" FROM (SELECT {TRACK_COLUMNS} FROM {TRACK_FROM}"))
            .push(" AND pr.kind = ")
            .bind(ProgramKind::Technology.as_str())
            .push(" AND t.rank = 1 AND p.status IN (")
            .bind(PartnerStatus::Onboarding.as_str())
            .push(", ")
            .bind(PartnerStatus::Active.as_str())
            // Only partners that can be due at all take the 200 places.
            .push(") AND p.joined_on <= ")
            .bind(joined_by_to_be_due(until));
        crate::scope::restrict(&mut q, scope, EntityKind::Partner, "p");
        only(&mut q);
        q.push(" ORDER BY p.joined_on, p.id LIMIT 200) p ORDER BY p.joined_on, p.id");
        let rows: Vec<TrackRow> = self.db.read().all(&q).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let s = r.standing();
                (r, s)
            })
            .filter(|(_, s)| s.evaluation_due.is_some_and(|d| d <= until))
            .collect())
    }
}
