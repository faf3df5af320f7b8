//! Statements: the run that draws them up per partner and period (the job, or finance on
//! demand), disputes of lines, their resolution, approval and payment. Every move is a
//! conditional update on the state it was read in, with its decision and audit event in
//! the same transaction.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, LineDisputeId, StatementId};
use partnerops_core::money::Money;
use partnerops_core::partner::parse_date;
use partnerops_core::payout::accrual::{self, ADJUSTMENT, LineDraft, Posted, REVERSAL};
use partnerops_core::payout::record::{
    CommissionLine, DisputeInput, PayInput, ResolveInput, RunStatementsInput, Statement,
    StatementDetail, StatementRunReport,
};
use partnerops_core::payout::statement::{
    self as rules, OpenLine, Period, Refused, StatementState, last_closed_period, period_of,
};
use partnerops_core::registration::Decision;
use partnerops_core::scope::{Action, Scope};

use super::accrue::{Origin, post_line};
use super::{currency, dispute};
use crate::change::{self, Change};
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::{emit, record as decide};
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::{Actor, Result, Store, StoreError, audit, entity, new_id, policy};

/// The statement run: daily, for the last period that ended (a second run finds the
/// statements there and does nothing).
pub(crate) struct DrawUp;

impl Job for DrawUp {
    fn kind(&self) -> &'static str {
        "payouts.statements"
    }

    fn schedule(&self) -> Schedule {
        Schedule::DailyAt(NaiveTime::from_hms_opt(5, 0, 0).unwrap_or(NaiveTime::MIN))
    }

    fn run<'a>(&'a self, store: &'a Store, _now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move {
            let actor = Actor::system("payout statements");
            Ok(store
                .draw_up_statements(&actor, &RunStatementsInput::default())
                .await?
                .into())
        })
    }
}

impl From<StatementRunReport> for JobReport {
    fn from(r: StatementRunReport) -> JobReport {
        JobReport::default()
            .figure("issued", r.issued)
            .figure("rolled over", r.rolled_over)
            .figure("existing", r.existing)
    }
}

fn refused(r: Refused) -> StoreError {
    StoreError::conflict("state", r.rule, r.reason)
}

row! { struct IdRow { #[allow(dead_code)] id: String } }
row! { struct PartnerRow { partner_id: String } }
row! {
    struct OpenRow {
        id: String,
        accrued_on: NaiveDate,
        statement_minor: i64,
    }
}
row! { struct Totals { total: Option<i64>, n: i64 } }
row! { struct ProgramRow { id: String, currency: String } }

/// Recomputes a statement's total and line count from its lines.
async fn totals(tx: &mut Tx, statement_id: &str) -> Result<(i64, i64)> {
    let mut q = Sql::new(
        "SELECT CAST(SUM(statement_minor) AS BIGINT) AS total, COUNT(*) AS n FROM commission_lines WHERE statement_id = ",
    );
    q.bind(statement_id);
    let t: Option<Totals> = tx.optional(&q).await?;
    Ok(t.map_or((0, 0), |t| (t.total.unwrap_or(0), t.n)))
}

async fn open_disputes(tx: &mut Tx, statement_id: &str) -> Result<usize> {
    row! { struct Count { n: i64 } }
    let mut q = Sql::new(
        "SELECT COUNT(*) AS n FROM line_disputes WHERE state = 'open' AND statement_id = ",
    );
    q.bind(statement_id);
    Ok(tx.optional::<Count>(&q).await?.map_or(0, |c| c.n as usize))
}

/// Moves a statement from `from` to `to` (and sets `extra` columns), or finds that someone
/// else moved it first.
async fn set_state(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: &str,
    from: StatementState,
    to: StatementState,
    extra: impl FnOnce(&mut Sql),
) -> Result<()> {
    let mut q = Sql::new("UPDATE payout_statements SET state = ");
    q.bind(to.as_str()).push(", updated_at = ").bind(now);
    extra(&mut q);
    q.push(" WHERE id = ")
        .bind(id)
        .push(" AND state = ")
        .bind(from.as_str());
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::conflict(
            "state",
            "payout.changed_meanwhile",
            "the statement changed meanwhile; reload it and try again",
        ));
    }
    Ok(())
}

impl Store {
    /// Draws up the statements of a period for every partner with open lines, in every
    /// program (finance, channel managers, administrators; the job as the system).
    #[tracing::instrument(skip_all)]
    pub async fn draw_up_statements(
        &self,
        actor: &Actor,
        input: &RunStatementsInput,
    ) -> Result<StatementRunReport> {
        actor.authorize(&Action::ManagePayouts)?;
        let day = input
            .period_of
            .as_deref()
            .map(|raw| parse_date("period_of", raw))
            .transpose()
            .map_err(partnerops_core::Invalid::from)?;
        let today = self.now().date_naive();
        let mut report = StatementRunReport::default();
        let programs: Vec<ProgramRow> = self
            .db
            .read()
            .all(&Sql::new(
                "SELECT id, currency FROM programs WHERE archived_at IS NULL ORDER BY id",
            ))
            .await?;
        for program in programs {
            let version = policy::current_version(&mut self.db.read(), &program.id).await?;
            let incentives = &version.policy.incentives;
            let period = match day {
                Some(d) => period_of(d, incentives.payout_period),
                None => last_closed_period(today, incentives.payout_period),
            };
            if period.end >= today {
                return Err(StoreError::conflict(
                    "period_of",
                    "payout.period_not_ended",
                    format!(
                        "the period {} ends on {}: statements are drawn up once it has ended",
                        period.label, period.end
                    ),
                ));
            }
            report.periods.push(period.label.clone());
            let mut q = Sql::new(
                "SELECT DISTINCT partner_id FROM commission_lines WHERE statement_id IS NULL AND program_id = ",
            );
            q.bind(program.id.as_str())
                .push(" AND accrued_on <= ")
                .bind(period.end)
                .push(" ORDER BY partner_id");
            let partners: Vec<PartnerRow> = self.db.read().all(&q).await?;
            for p in partners {
                self.draw_up_one(
                    actor,
                    &program,
                    &p.partner_id,
                    &period,
                    incentives.minimum_payout_minor,
                    version.version,
                    &mut report,
                )
                .await?;
            }
        }
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    async fn draw_up_one(
        &self,
        actor: &Actor,
        program: &ProgramRow,
        partner_id: &str,
        period: &Period,
        minimum: i64,
        version: i64,
        report: &mut StatementRunReport,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new("SELECT id FROM payout_statements WHERE partner_id = ");
        q.bind(partner_id)
            .push(" AND period = ")
            .bind(period.label.as_str());
        if tx.optional::<IdRow>(&q).await?.is_some() {
            report.existing += 1;
            return Ok(());
        }
        let mut q = Sql::new(
            "SELECT id, accrued_on, statement_minor FROM commission_lines WHERE statement_id IS NULL AND partner_id = ",
        );
        q.bind(partner_id)
            .push(" AND program_id = ")
            .bind(program.id.as_str())
            .push(" ORDER BY accrued_on, id");
        let open: Vec<OpenLine> = tx
            .all::<OpenRow>(&q)
            .await?
            .into_iter()
            .map(|r| OpenLine {
                id: r.id,
                accrued_on: r.accrued_on,
                statement_minor: r.statement_minor,
            })
            .collect();
        let c = currency(&program.currency)?;
        let Some(g) = rules::gather(&open, period, minimum, c, version) else {
            return Ok(());
        };
        let id: StatementId = new_id();
        let mut q = Sql::new(
            "INSERT INTO payout_statements (id, partner_id, program_id, period, period_start, period_end, state, total_minor, currency, line_count, reason, policy_version, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(partner_id)
            .push(", ")
            .bind(program.id.as_str())
            .push(", ")
            .bind(period.label.as_str())
            .push(", ")
            .bind(period.start)
            .push(", ")
            .bind(period.end)
            .push(", ")
            .bind(g.state.as_str())
            .push(", ")
            .bind(g.total_minor)
            .push(", ")
            .bind(program.currency.as_str())
            .push(", ")
            .bind(g.line_ids.len() as i64)
            .push(", ")
            .bind(g.decision.reason.as_str())
            .push(", ")
            .bind(version)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT DO NOTHING");
        if tx.execute(&q).await? == 0 {
            report.existing += 1;
            return Ok(());
        }
        for chunk in g.line_ids.chunks(500) {
            let mut q = Sql::new("UPDATE commission_lines SET statement_id = ");
            q.bind(id.as_str())
                .push(" WHERE statement_id IS NULL AND id IN ")
                .bind_in(chunk.iter().map(|line| line.as_str()));
            if tx.execute(&q).await? != chunk.len() as u64 {
                // Another run took some of these lines meanwhile; this one leaves it to that.
                report.existing += 1;
                return Ok(());
            }
        }
        let statement: Statement = entity::fetch(&mut tx, &Scope::Vendor, id.as_str()).await?;
        let owner = Some(&statement.partner_id);
        decide(
            &mut tx,
            now,
            actor,
            EntityKind::Statement,
            id.as_str(),
            owner,
            &g.decision,
            &[id.as_str(), partner_id],
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Statement,
            id.as_str(),
            AuditAction::Created,
            owner,
            None::<&()>,
            Some(&statement),
        )
        .await?;
        let event = if g.state == StatementState::Issued {
            report.issued += 1;
            "payout.statement_issued"
        } else {
            report.rolled_over += 1;
            "payout.statement_rolled_over"
        };
        emit(&mut tx, now, event, id.as_str(), owner, &statement).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A partner's admin disputes a line of its statement under review.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn dispute_statement_line(
        &self,
        actor: &Actor,
        id: &str,
        input: &DisputeInput,
    ) -> Result<StatementDetail> {
        let (line_id, comment) = input.parse()?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Statement = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::DisputePayout(&before.partner_id))?;
        // A line that is not there, or not the partner's, reads like one not on the statement.
        let line: Option<CommissionLine> =
            match entity::fetch(&mut tx, &actor.scope(), line_id.as_str()).await {
                Ok(l) => Some(l),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
        if line.as_ref().and_then(|l| l.statement_id.as_ref()) != Some(&before.id) {
            return Err(partnerops_core::Invalid::one(
                "line_id",
                "on_statement",
                "line_id must be a line of this statement",
            )
            .into());
        }
        let to = rules::dispute(before.state).map_err(refused)?;
        let Some(user) = actor.user_id() else {
            return Err(StoreError::conflict(
                "raised_by",
                "payout.user_required",
                "a dispute is raised by a user",
            ));
        };
        let dispute_id: LineDisputeId = new_id();
        let mut q = Sql::new(
            "INSERT INTO line_disputes (id, statement_id, line_id, partner_id, comment, state, raised_by, raised_at) VALUES (",
        );
        q.bind(dispute_id.as_str())
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(line_id.as_str())
            .push(", ")
            .bind(before.partner_id.as_str())
            .push(", ")
            .bind(comment.as_str())
            .push(", 'open', ")
            .bind(user.as_str())
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT DO NOTHING");
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "line_id",
                "payout.already_disputed",
                "this line has an open dispute already",
            ));
        }
        set_state(&mut tx, now, id, before.state, to, |_| {}).await?;
        let decision = Decision::new(
            "payout.line_disputed",
            "disputed",
            format!("line {line_id} disputed: {comment}"),
            before.policy_version,
        );
        let records = [id, line_id.as_str(), dispute_id.as_str()];
        change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated()
                .decided(&decision, &records)
                .event("payout.line_disputed"),
        )
        .await?;
        tx.commit().await?;
        self.statement(&actor.scope(), id).await
    }

    /// Staff resolve a dispute: upheld reverses the line (and posts the corrected amount
    /// when given) on the same statement; rejected leaves it.
    #[tracing::instrument(skip_all, fields(id = %dispute_id))]
    pub async fn resolve_line_dispute(
        &self,
        actor: &Actor,
        dispute_id: &str,
        input: &ResolveInput,
    ) -> Result<StatementDetail> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let d = dispute(&mut tx, &actor.scope(), dispute_id).await?;
        actor.authorize(&Action::ManagePayouts)?;
        let res = input.parse()?;
        if d.state != rules::DisputeState::Open {
            return Err(StoreError::conflict(
                "state",
                "payout.dispute_closed",
                format!("the dispute is {} already", d.state.label().to_lowercase()),
            ));
        }
        let before: Statement =
            entity::fetch(&mut tx, &Scope::Vendor, d.statement_id.as_str()).await?;
        if res.upheld {
            let line: CommissionLine =
                entity::fetch(&mut tx, &Scope::Vendor, d.line_id.as_str()).await?;
            let origin = Origin {
                partner_id: line.partner_id.as_str(),
                program_id: line.program_id.as_str(),
                payout_deal_id: None,
                opportunity_id: line.opportunity_id.as_ref().map(|o| o.as_str()),
                revenue_event_id: None,
                event: None,
                event_on: now.date_naive(),
                policy_version: line.policy_version,
                accrued_on: now.date_naive(),
            };
            let posted = Posted {
                id: line.id.to_string(),
                base: line.base,
                rate_bp: line.rate_bp,
                amount: line.amount,
                statement_amount: line.statement_amount,
            };
            let reversal = accrual::negate(
                &posted,
                REVERSAL,
                format!(
                    "reversal of line {}: dispute upheld: {}",
                    line.id, res.resolution
                ),
            );
            let key = format!("{dispute_id}:{REVERSAL}");
            post_line(
                &mut tx,
                now,
                &key,
                &origin,
                &reversal,
                Some(line.id.as_str()),
                Some(before.id.as_str()),
            )
            .await?;
            if let Some(corrected) = res.corrected_minor {
                let c = currency(before.total.currency.as_str())?;
                let amount = Money::new(corrected, c);
                let correction = LineDraft {
                    rule: ADJUSTMENT.into(),
                    base: amount,
                    rate_bp: 10_000,
                    amount,
                    statement_amount: amount,
                    why: format!("corrected amount for line {}: {}", line.id, res.resolution),
                };
                let key = format!("{dispute_id}:correction");
                post_line(
                    &mut tx,
                    now,
                    &key,
                    &origin,
                    &correction,
                    None,
                    Some(before.id.as_str()),
                )
                .await?;
            }
        }
        let mut q = Sql::new("UPDATE line_disputes SET state = ");
        q.bind(if res.upheld { "upheld" } else { "rejected" })
            .push(", resolution = ")
            .bind(res.resolution.as_str())
            .push(", resolved_by = ")
            .bind(actor.user_id().map(|u| u.as_str()))
            .push(", resolved_at = ")
            .bind(now)
            .push(" WHERE state = 'open' AND id = ")
            .bind(dispute_id);
        if tx.execute(&q).await? == 0 {
            return Err(StoreError::conflict(
                "state",
                "payout.changed_meanwhile",
                "the dispute changed meanwhile",
            ));
        }
        let left = open_disputes(&mut tx, before.id.as_str()).await?;
        let to = rules::resolve(before.state, left).map_err(refused)?;
        let (total, n) = totals(&mut tx, before.id.as_str()).await?;
        set_state(&mut tx, now, before.id.as_str(), before.state, to, |q| {
            q.push(", total_minor = ")
                .bind(total)
                .push(", line_count = ")
                .bind(n);
        })
        .await?;
        let decision = Decision::new(
            "payout.dispute_resolved",
            if res.upheld { "upheld" } else { "rejected" },
            format!("dispute of line {}: {}", d.line_id, res.resolution),
            before.policy_version,
        );
        let records = [before.id.as_str(), d.line_id.as_str(), dispute_id];
        change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated()
                .decided(&decision, &records)
                .event("payout.dispute_resolved"),
        )
        .await?;
        tx.commit().await?;
        self.statement(&actor.scope(), before.id.as_str()).await
    }

    /// Approves an issued statement without open disputes.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn approve_statement(&self, actor: &Actor, id: &str) -> Result<Statement> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Statement = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManagePayouts)?;
        let open = open_disputes(&mut tx, id).await?;
        let to = rules::approve(before.state, open).map_err(refused)?;
        let user = actor.user_id().map(|u| u.as_str().to_owned());
        set_state(&mut tx, now, id, before.state, to, |q| {
            q.push(", approved_by = ")
                .bind(user)
                .push(", approved_at = ")
                .bind(now);
        })
        .await?;
        let decision = Decision::new(
            "payout.statement_approved",
            "approved",
            format!("approved for payment: {}", before.total),
            before.policy_version,
        );
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated()
                .decided(&decision, &[id])
                .event("payout.statement_approved"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Marks an approved statement paid with the payment's reference.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn pay_statement(
        &self,
        actor: &Actor,
        id: &str,
        input: &PayInput,
    ) -> Result<Statement> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Statement = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::ManagePayouts)?;
        let reference = input.reference.as_deref().unwrap_or("").trim().to_owned();
        if reference.is_empty() || reference.chars().count() > rules::MAX_REFERENCE_CHARS {
            return Err(partnerops_core::Invalid::one(
                "reference",
                "required",
                format!(
                    "reference is required: the payment's reference, 1 to {} characters",
                    rules::MAX_REFERENCE_CHARS
                ),
            )
            .into());
        }
        let to = rules::pay(before.state, &reference).map_err(refused)?;
        set_state(&mut tx, now, id, before.state, to, |q| {
            q.push(", paid_at = ")
                .bind(now)
                .push(", payment_reference = ")
                .bind(reference.as_str());
        })
        .await?;
        let decision = Decision::new(
            "payout.statement_paid",
            "paid",
            format!("{} paid, reference {reference}", before.total),
            before.policy_version,
        );
        let after = change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            Change::updated()
                .decided(&decision, &[id])
                .event("payout.statement_paid"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
