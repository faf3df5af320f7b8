//! Incentives and payouts: commission lines accrued from the outbox exactly once
//! ([`accrue`]), renewals, expansions and cancellations recorded on won deals
//! ([`revenue`]), statements drawn up per partner and period, disputed, approved and paid
//! ([`statement`]), and the economics what-if ([`whatif`]). The rules are the core's
//! (`partnerops_core::payout`); here they are read, written and scoped. A partner reads only
//! its own lines, statements, disputes and revenue events (`scope::restrict`).

pub mod accrue;
pub mod revenue;
pub mod statement;
pub mod whatif;

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::FieldError;
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::{
    CommissionLineId, EntityId, LineDisputeId, OpportunityId, PartnerId, ProgramId, StatementId,
    UserId,
};
use partnerops_core::money::{Currency, Money};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::payout::accrual::RevenueEvent;
use partnerops_core::payout::record::{CommissionLine, LineDispute, Statement, StatementDetail};
use partnerops_core::payout::statement::{DisputeState, StatementState};
use partnerops_core::scope::{Action, Scope};

use crate::db::{Exec, Sql, row};
use crate::entity::{self, Archived, Entity};
use crate::jobs::Job;
use crate::{Result, Store, StoreError, scope};

pub use accrue::AccrualReport;

/// The jobs of this capability: the accrual from the outbox, then the statement run.
pub(crate) fn jobs() -> Vec<Box<dyn Job>> {
    vec![Box::new(accrue::Accrue), Box::new(statement::DrawUp)]
}

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(format!("{}: {}", e.field, e.message))
}

fn currency(raw: &str) -> Result<Currency> {
    Currency::parse("currency", raw).map_err(corrupt)
}

row! {
    pub(crate) struct LineRow {
        id: String,
        partner_id: String,
        program_id: String,
        opportunity_id: Option<String>,
        opportunity_title: Option<String>,
        event: Option<String>,
        event_on: NaiveDate,
        rule: String,
        policy_version: i64,
        base_minor: i64,
        rate_bp: i64,
        amount_minor: i64,
        currency: String,
        statement_minor: i64,
        statement_currency: String,
        why: String,
        negates_line_id: Option<String>,
        statement_id: Option<String>,
        accrued_on: NaiveDate,
        created_at: DateTime<Utc>,
    }
}

impl Entity for CommissionLine {
    const KIND: EntityKind = EntityKind::CommissionLine;
    const TABLE: &'static str = "commission_lines";
    const SELECT: &'static str = "SELECT commission_lines.id, commission_lines.partner_id, commission_lines.program_id, commission_lines.opportunity_id, o.title AS opportunity_title, commission_lines.event, commission_lines.event_on, commission_lines.rule, commission_lines.policy_version, commission_lines.base_minor, commission_lines.rate_bp, commission_lines.amount_minor, commission_lines.currency, commission_lines.statement_minor, commission_lines.statement_currency, commission_lines.why, commission_lines.negates_line_id, commission_lines.statement_id, commission_lines.accrued_on, commission_lines.created_at FROM commission_lines commission_lines LEFT JOIN opportunities o ON o.id = commission_lines.opportunity_id WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("accrued_on", "commission_lines.accrued_on"),
        ("created_at", "commission_lines.created_at"),
    ];
    type Row = LineRow;

    fn from_row(r: LineRow) -> Result<CommissionLine> {
        Ok(CommissionLine {
            id: CommissionLineId::from_trusted(r.id),
            partner_id: PartnerId::from_trusted(r.partner_id),
            program_id: ProgramId::from_trusted(r.program_id),
            opportunity_id: r.opportunity_id.map(OpportunityId::from_trusted),
            opportunity_title: r.opportunity_title,
            event: r
                .event
                .as_deref()
                .map(|e| RevenueEvent::parse("event", e))
                .transpose()
                .map_err(corrupt)?,
            event_on: r.event_on,
            rule: r.rule,
            policy_version: r.policy_version,
            base: Money::new(r.base_minor, currency(&r.currency)?),
            rate_bp: u32::try_from(r.rate_bp).map_err(|_| StoreError::Corrupt("rate_bp".into()))?,
            amount: Money::new(r.amount_minor, currency(&r.currency)?),
            statement_amount: Money::new(r.statement_minor, currency(&r.statement_currency)?),
            why: r.why,
            negates_line_id: r.negates_line_id.map(CommissionLineId::from_trusted),
            statement_id: r.statement_id.map(StatementId::from_trusted),
            accrued_on: r.accrued_on,
            created_at: r.created_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.partner_id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        Action::ManagePayouts
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "created_at" => SortKey::Time(self.created_at),
            _ => SortKey::Date(self.accrued_on),
        }
    }
}

row! {
    pub(crate) struct StatementRow {
        id: String,
        partner_id: String,
        partner_name: String,
        program_id: String,
        period: String,
        period_start: NaiveDate,
        period_end: NaiveDate,
        state: String,
        total_minor: i64,
        currency: String,
        line_count: i64,
        reason: String,
        policy_version: i64,
        approved_by: Option<String>,
        approved_at: Option<DateTime<Utc>>,
        paid_at: Option<DateTime<Utc>>,
        payment_reference: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

impl Entity for Statement {
    const KIND: EntityKind = EntityKind::Statement;
    const TABLE: &'static str = "payout_statements";
    const SELECT: &'static str = "SELECT payout_statements.id, payout_statements.partner_id, p.name AS partner_name, payout_statements.program_id, payout_statements.period, payout_statements.period_start, payout_statements.period_end, payout_statements.state, payout_statements.total_minor, payout_statements.currency, payout_statements.line_count, payout_statements.reason, payout_statements.policy_version, payout_statements.approved_by, payout_statements.approved_at, payout_statements.paid_at, payout_statements.payment_reference, payout_statements.created_at, payout_statements.updated_at FROM payout_statements payout_statements JOIN partners p ON p.id = payout_statements.partner_id WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("period_end", "payout_statements.period_end"),
        ("updated_at", "payout_statements.updated_at"),
    ];
    type Row = StatementRow;

    fn from_row(r: StatementRow) -> Result<Statement> {
        Ok(Statement {
            id: StatementId::from_trusted(r.id),
            partner_id: PartnerId::from_trusted(r.partner_id),
            partner_name: r.partner_name,
            program_id: ProgramId::from_trusted(r.program_id),
            period: r.period,
            period_start: r.period_start,
            period_end: r.period_end,
            state: StatementState::parse("state", &r.state).map_err(corrupt)?,
            total: Money::new(r.total_minor, currency(&r.currency)?),
            line_count: r.line_count,
            reason: r.reason,
            policy_version: r.policy_version,
            approved_by: r.approved_by.map(UserId::from_trusted),
            approved_at: r.approved_at,
            paid_at: r.paid_at,
            payment_reference: r.payment_reference,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.partner_id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        Action::ManagePayouts
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "updated_at" => SortKey::Time(self.updated_at),
            _ => SortKey::Date(self.period_end),
        }
    }
}

row! {
    struct DisputeRow {
        id: String,
        statement_id: String,
        line_id: String,
        partner_id: String,
        comment: String,
        state: String,
        resolution: Option<String>,
        raised_by: String,
        raised_at: DateTime<Utc>,
        resolved_by: Option<String>,
        resolved_at: Option<DateTime<Utc>>,
    }
}

const DISPUTE_SELECT: &str = "SELECT d.id, d.statement_id, d.line_id, d.partner_id, d.comment, d.state, d.resolution, d.raised_by, d.raised_at, d.resolved_by, d.resolved_at FROM line_disputes d WHERE 1 = 1";

fn dispute_from_row(r: DisputeRow) -> Result<LineDispute> {
    Ok(LineDispute {
        id: LineDisputeId::from_trusted(r.id),
        statement_id: StatementId::from_trusted(r.statement_id),
        line_id: CommissionLineId::from_trusted(r.line_id),
        partner_id: PartnerId::from_trusted(r.partner_id),
        comment: r.comment,
        state: DisputeState::parse("state", &r.state).map_err(corrupt)?,
        resolution: r.resolution,
        raised_by: UserId::from_trusted(r.raised_by),
        raised_at: r.raised_at,
        resolved_by: r.resolved_by.map(UserId::from_trusted),
        resolved_at: r.resolved_at,
    })
}

/// Filters for the line list.
#[derive(Clone, Debug, Default)]
pub struct LineFilter {
    pub partner_id: Option<PartnerId>,
    pub statement_id: Option<StatementId>,
    pub opportunity_id: Option<OpportunityId>,
    /// Only lines not yet on a statement.
    pub open: bool,
}

/// Filters for the statement list.
#[derive(Clone, Debug, Default)]
pub struct StatementFilter {
    pub partner_id: Option<PartnerId>,
    pub state: Option<StatementState>,
    /// `2026-Q4`, `2026-11`.
    pub period: Option<String>,
}

impl Store {
    /// Sort fields of the line list.
    pub fn commission_line_sorts() -> Vec<&'static str> {
        entity::sort_names::<CommissionLine>()
    }

    /// Sort fields of the statement list.
    pub fn statement_sorts() -> Vec<&'static str> {
        entity::sort_names::<Statement>()
    }

    /// Commission lines (a partner: its own).
    pub async fn commission_lines(
        &self,
        scope: &Scope,
        filter: &LineFilter,
        page: &PageRequest,
    ) -> Result<Page<CommissionLine>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(p) = &filter.partner_id {
                q.push(" AND commission_lines.partner_id = ")
                    .bind(p.as_str());
            }
            if let Some(s) = &filter.statement_id {
                q.push(" AND commission_lines.statement_id = ")
                    .bind(s.as_str());
            }
            if let Some(o) = &filter.opportunity_id {
                q.push(" AND commission_lines.opportunity_id = ")
                    .bind(o.as_str());
            }
            if filter.open {
                q.push(" AND commission_lines.statement_id IS NULL");
            }
        })
        .await
    }

    /// One line.
    pub async fn commission_line(&self, scope: &Scope, id: &str) -> Result<CommissionLine> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    /// Statements (a partner: its own).
    pub async fn statements(
        &self,
        scope: &Scope,
        filter: &StatementFilter,
        page: &PageRequest,
    ) -> Result<Page<Statement>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(p) = &filter.partner_id {
                q.push(" AND payout_statements.partner_id = ")
                    .bind(p.as_str());
            }
            if let Some(s) = filter.state {
                q.push(" AND payout_statements.state = ").bind(s.as_str());
            }
            if let Some(p) = &filter.period {
                q.push(" AND payout_statements.period = ").bind(p.as_str());
            }
        })
        .await
    }

    /// One statement with its lines and disputes.
    pub async fn statement(&self, scope: &Scope, id: &str) -> Result<StatementDetail> {
        let mut read = self.db.read();
        let statement: Statement = entity::fetch(&mut read, scope, id).await?;
        let mut q = Sql::new(CommissionLine::SELECT);
        q.push(" AND commission_lines.statement_id = ")
            .bind(id)
            .push(" ORDER BY commission_lines.accrued_on, commission_lines.created_at, commission_lines.id");
        let lines = read
            .all::<LineRow>(&q)
            .await?
            .into_iter()
            .map(CommissionLine::from_row)
            .collect::<Result<Vec<_>>>()?;
        let disputes = disputes_of(&mut read, scope, id).await?;
        Ok(StatementDetail {
            statement,
            lines,
            disputes,
        })
    }

    /// Approved statements of a period across partners, for the accounts-payable export
    /// (vendor staff only).
    pub async fn approved_statements(&self, scope: &Scope, period: &str) -> Result<Vec<Statement>> {
        if !matches!(scope, Scope::Vendor) {
            return Err(StoreError::NotFound(EntityKind::Statement));
        }
        if period.is_empty() {
            return Err(partnerops_core::Invalid::one(
                "period",
                "required",
                "period is required (e.g. 2026-Q4 or 2026-11)",
            )
            .into());
        }
        let mut q = Sql::new(Statement::SELECT);
        q.push(" AND payout_statements.state = 'approved' AND payout_statements.period = ")
            .bind(period)
            .push(" ORDER BY p.name, payout_statements.id");
        self.db
            .read()
            .all::<StatementRow>(&q)
            .await?
            .into_iter()
            .map(Statement::from_row)
            .collect()
    }
}

async fn disputes_of(
    x: &mut impl Exec,
    scope: &Scope,
    statement_id: &str,
) -> Result<Vec<LineDispute>> {
    let mut q = Sql::new(DISPUTE_SELECT);
    q.push(" AND d.statement_id = ").bind(statement_id);
    scope::restrict(&mut q, scope, EntityKind::LineDispute, "d");
    q.push(" ORDER BY d.raised_at, d.id");
    x.all::<DisputeRow>(&q)
        .await?
        .into_iter()
        .map(dispute_from_row)
        .collect()
}

async fn dispute(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<LineDispute> {
    let mut q = Sql::new(DISPUTE_SELECT);
    q.push(" AND d.id = ").bind(id);
    scope::restrict(&mut q, scope, EntityKind::LineDispute, "d");
    let row: Option<DisputeRow> = x.optional(&q).await?;
    dispute_from_row(row.ok_or(StoreError::NotFound(EntityKind::LineDispute))?)
}
