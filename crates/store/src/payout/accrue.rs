//! The accrual: reads the outbox for closes won, reopens and recorded revenue events, and
//! posts the commission lines the core's rules give, exactly once.
//!
//! Exactly once is the database's: each event is claimed by inserting
//! `(consumer, event_id)` into `outbox_consumed` (two instances cannot both insert it), and
//! each line carries a `line_key` derived from its event and rule (`<event>:<rule>`,
//! `<event>:clawback:<line>`, …) under a unique index, and a negation its `negates_line_id`
//! under another, so an event replayed after its claim was lost still posts nothing twice.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use partnerops_core::business_plan::record::{PlanContent, quarter_end, quarter_start};
use partnerops_core::ids::{CommissionLineId, EntityId};
use partnerops_core::money::Money;
use partnerops_core::payout::IncentivePolicy;
use partnerops_core::payout::accrual::{
    self, Deal, JbpQuarter, LineDraft, Posted, REVERSAL, RevenueEvent, Standing,
};
use partnerops_core::pipeline::fx::RateAtClose;
use partnerops_core::pipeline::record::{OpportunitySource, RouteKind};
use serde::{Deserialize, Serialize};

use super::currency;
use crate::db::{Exec, Sql, Tx, row};
use crate::entity::json_column;
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::{Result, Store, StoreError, new_id, policy};

/// This consumer's name in `outbox_consumed`.
const CONSUMER: &str = "payouts";
/// The event kinds the accrual reads.
pub(crate) const CLOSED_WON: &str = "opportunity.closed_won";
pub(crate) const REOPENED: &str = "opportunity.reopened";
pub(crate) const REVENUE_RECORDED: &str = "payout.revenue_recorded";
/// Events per transaction.
const BATCH: i64 = 200;
/// How far before its latest handled event the consumer looks again, for events whose
/// transaction committed after a later one's.
const LATE_COMMIT_MARGIN_MINUTES: i64 = 10;

/// The accrual job: every minute.
pub(crate) struct Accrue;

impl Job for Accrue {
    fn kind(&self) -> &'static str {
        "payouts.accrue"
    }

    fn schedule(&self) -> Schedule {
        Schedule::Every(TimeDelta::minutes(1))
    }

    fn run<'a>(&'a self, store: &'a Store, _now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move { Ok(store.accrue_payouts().await?.into()) })
    }
}

/// What one accrual run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccrualReport {
    /// Events this run claimed.
    pub events: usize,
    /// Closes won it recorded as paid deals.
    pub deals: usize,
    /// Lines it posted (accruals, renewals, expansions, clawbacks, reversals).
    pub lines: usize,
    /// Events that earned nothing (a direct deal, a tier without rates, no deal to pay).
    pub nothing: usize,
}

impl From<AccrualReport> for JobReport {
    fn from(r: AccrualReport) -> JobReport {
        JobReport::default()
            .figure("events", r.events)
            .figure("paid deals", r.deals)
            .figure("lines", r.lines)
            .figure("earned nothing", r.nothing)
    }
}

row! {
    struct EventRow {
        id: String,
        kind: String,
        entity_id: String,
        payload: String,
        created_at: DateTime<Utc>,
    }
}

/// The part of an opportunity's event payload the accrual reads.
#[derive(Deserialize)]
struct ClosedSnapshot {
    id: String,
    program_id: String,
    partner_id: Option<String>,
    source: OpportunitySource,
    route: Option<RouteKind>,
    amount: Money,
    closed_on: Option<NaiveDate>,
    closed_at: Option<DateTime<Utc>>,
    rate_at_close: Option<RateAtClose>,
}

/// Where a line comes from, written with it.
pub(crate) struct Origin<'a> {
    pub partner_id: &'a str,
    pub program_id: &'a str,
    pub payout_deal_id: Option<&'a str>,
    pub opportunity_id: Option<&'a str>,
    pub revenue_event_id: Option<&'a str>,
    pub event: Option<RevenueEvent>,
    pub event_on: NaiveDate,
    pub policy_version: i64,
    pub accrued_on: NaiveDate,
}

/// Posts one line unless its key (or the line it negates) was posted before. Returns
/// whether it was posted.
pub(crate) async fn post_line(
    tx: &mut Tx,
    now: DateTime<Utc>,
    key: &str,
    o: &Origin<'_>,
    line: &LineDraft,
    negates: Option<&str>,
    statement_id: Option<&str>,
) -> Result<bool> {
    let id: CommissionLineId = new_id();
    let mut q = Sql::new(
        "INSERT INTO commission_lines (id, line_key, partner_id, program_id, payout_deal_id, opportunity_id, revenue_event_id, event, event_on, rule, policy_version, base_minor, rate_bp, amount_minor, currency, statement_minor, statement_currency, why, negates_line_id, statement_id, accrued_on, created_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(key)
        .push(", ")
        .bind(o.partner_id)
        .push(", ")
        .bind(o.program_id)
        .push(", ")
        .bind(o.payout_deal_id)
        .push(", ")
        .bind(o.opportunity_id)
        .push(", ")
        .bind(o.revenue_event_id)
        .push(", ")
        .bind(o.event.map(RevenueEvent::as_str))
        .push(", ")
        .bind(o.event_on)
        .push(", ")
        .bind(line.rule.as_str())
        .push(", ")
        .bind(o.policy_version)
        .push(", ")
        .bind(line.base.amount_minor)
        .push(", ")
        .bind(i64::from(line.rate_bp))
        .push(", ")
        .bind(line.amount.amount_minor)
        .push(", ")
        .bind(line.amount.currency.as_str())
        .push(", ")
        .bind(line.statement_amount.amount_minor)
        .push(", ")
        .bind(line.statement_amount.currency.as_str())
        .push(", ")
        .bind(line.why.as_str())
        .push(", ")
        .bind(negates)
        .push(", ")
        .bind(statement_id)
        .push(", ")
        .bind(o.accrued_on)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT DO NOTHING");
    Ok(tx.execute(&q).await? == 1)
}

row! {
    struct PaidDeal {
        id: String,
        opportunity_id: String,
        partner_id: String,
        program_id: String,
        tier: String,
        policy_version: i64,
        route: String,
        closed_on: NaiveDate,
        amount_minor: i64,
        currency: String,
        rate_to: String,
        rate_e8: i64,
    }
}

impl PaidDeal {
    fn deal(&self) -> Result<Deal> {
        let from = currency(&self.currency)?;
        let to = currency(&self.rate_to)?;
        Ok(Deal {
            tier: self.tier.clone(),
            route: RouteKind::parse("route", &self.route).map_err(super::corrupt)?,
            arr: Money::new(self.amount_minor, from),
            closed_on: self.closed_on,
            rate: RateAtClose {
                from,
                to,
                close_on: self.closed_on,
                rate_e8: self.rate_e8,
                effective_on: None,
            },
        })
    }
}

const PAID_DEAL: &str = "SELECT id, opportunity_id, partner_id, program_id, tier, policy_version, route, closed_on, amount_minor, currency, rate_to, rate_e8 FROM payout_deals WHERE reversed_at IS NULL AND opportunity_id = ";

/// The deal of an opportunity as it is being paid (none when it never earned, or was reopened).
async fn live_deal(tx: &mut Tx, opportunity_id: &str) -> Result<Option<PaidDeal>> {
    let mut q = Sql::new(PAID_DEAL);
    q.bind(opportunity_id)
        .push(" ORDER BY created_at DESC LIMIT 1");
    Ok(tx.optional(&q).await?)
}

row! {
    struct LineToNegate {
        id: String,
        event: Option<String>,
        event_on: NaiveDate,
        base_minor: i64,
        rate_bp: i64,
        amount_minor: i64,
        currency: String,
        statement_minor: i64,
        statement_currency: String,
    }
}

impl LineToNegate {
    fn posted(&self) -> Result<Posted> {
        Ok(Posted {
            id: self.id.clone(),
            base: Money::new(self.base_minor, currency(&self.currency)?),
            rate_bp: u32::try_from(self.rate_bp).unwrap_or(0),
            amount: Money::new(self.amount_minor, currency(&self.currency)?),
            statement_amount: Money::new(self.statement_minor, currency(&self.statement_currency)?),
        })
    }
}

/// The lines a deal paid that nothing negated yet (negations themselves excluded).
async fn lines_to_negate(tx: &mut Tx, payout_deal_id: &str) -> Result<Vec<LineToNegate>> {
    let mut q = Sql::new(
        "SELECT l.id, l.event, l.event_on, l.base_minor, l.rate_bp, l.amount_minor, l.currency, l.statement_minor, l.statement_currency FROM commission_lines l WHERE l.negates_line_id IS NULL AND l.payout_deal_id = ",
    );
    q.bind(payout_deal_id)
        .push(" AND NOT EXISTS (SELECT 1 FROM commission_lines n WHERE n.negates_line_id = l.id) ORDER BY l.created_at, l.id");
    Ok(tx.all(&q).await?)
}

/// Policies read during one run, by program and version (each document parsed once).
#[derive(Default)]
struct Policies(HashMap<(String, i64), IncentivePolicy>);

impl Policies {
    async fn get(
        &mut self,
        tx: &mut Tx,
        program_id: &str,
        version: i64,
    ) -> Result<&IncentivePolicy> {
        let key = (program_id.to_owned(), version);
        if !self.0.contains_key(&key) {
            let v = policy::numbered(tx, program_id, version).await?;
            self.0.insert(key.clone(), v.policy.incentives);
        }
        Ok(&self.0[&key])
    }
}

impl Store {
    /// Handles every outbox event the accrual has not handled yet. Safe to run anywhere,
    /// any number of times, on any number of instances at once.
    #[tracing::instrument(skip_all)]
    pub async fn accrue_payouts(&self) -> Result<AccrualReport> {
        let mut report = AccrualReport::default();
        let mut policies = Policies::default();
        let mut after: Option<(DateTime<Utc>, String)> = None;
        let since = self.accrual_watermark().await?;
        loop {
            let events = self.unaccrued(since, after.as_ref()).await?;
            let Some(last) = events.last() else {
                return Ok(report);
            };
            after = Some((last.created_at, last.id.clone()));
            let now = self.now();
            let mut tx = self.db.begin_write().await?;
            for e in &events {
                let mut claim = Sql::new(
                    "INSERT INTO outbox_consumed (consumer, event_id, event_created_at, consumed_at) VALUES (",
                );
                claim
                    .bind(CONSUMER)
                    .push(", ")
                    .bind(e.id.as_str())
                    .push(", ")
                    .bind(e.created_at)
                    .push(", ")
                    .bind(now)
                    .push(") ON CONFLICT DO NOTHING");
                if tx.execute(&claim).await? == 0 {
                    continue;
                }
                report.events += 1;
                let posted = match e.kind.as_str() {
                    CLOSED_WON => {
                        self.accrue_close(&mut tx, now, e, &mut policies, &mut report)
                            .await?
                    }
                    REOPENED => reverse_reopened(&mut tx, now, e).await?,
                    REVENUE_RECORDED => accrue_revenue(&mut tx, now, e, &mut policies).await?,
                    _ => 0,
                };
                if posted == 0 {
                    report.nothing += 1;
                }
                report.lines += posted;
            }
            tx.commit().await?;
        }
    }

    /// Where to start reading: the latest handled event less a margin.
    async fn accrual_watermark(&self) -> Result<Option<DateTime<Utc>>> {
        row! { struct Latest { at: Option<DateTime<Utc>> } }
        let mut q =
            Sql::new("SELECT MAX(event_created_at) AS at FROM outbox_consumed WHERE consumer = ");
        q.bind(CONSUMER);
        let latest: Option<Latest> = self.db.read().optional(&q).await?;
        Ok(latest
            .and_then(|l| l.at)
            .map(|at| at - TimeDelta::minutes(LATE_COMMIT_MARGIN_MINUTES)))
    }

    /// The next events to handle, oldest first. One ordered read of the kind index per
    /// kind, merged: with `kind IN (…)` neither backend can read the index in
    /// `(created_at, id)` order, and PostgreSQL scanned and sorted every remaining event of
    /// the outbox for each batch.
    async fn unaccrued(
        &self,
        since: Option<DateTime<Utc>>,
        after: Option<&(DateTime<Utc>, String)>,
    ) -> Result<Vec<EventRow>> {
        let mut q = Sql::new("SELECT u.id, u.kind, u.entity_id, u.payload, u.created_at FROM (");
        for (i, kind) in [CLOSED_WON, REOPENED, REVENUE_RECORDED]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                q.push(" UNION ALL ");
            }
            q.push(
                "SELECT * FROM (SELECT o.id, o.kind, o.entity_id, o.payload, o.created_at FROM outbox_events o WHERE o.kind = ",
            )
            .bind(kind)
            .push(" AND NOT EXISTS (SELECT 1 FROM outbox_consumed c WHERE c.consumer = ")
            .bind(CONSUMER)
            .push(" AND c.event_id = o.id)");
            if let Some(at) = since {
                q.push(" AND o.created_at >= ").bind(at);
            }
            if let Some((at, id)) = after {
                q.push(" AND (o.created_at, o.id) > (")
                    .bind(*at)
                    .push(", ")
                    .bind(id.as_str())
                    .push(")");
            }
            q.push(" ORDER BY o.created_at, o.id LIMIT ")
                .bind(BATCH)
                .push(&format!(") k{i}"));
        }
        q.push(") u ORDER BY u.created_at, u.id LIMIT ").bind(BATCH);
        Ok(self.db.read().all(&q).await?)
    }

    /// A close won: the deal as paid (tier and policy version at close), then its lines.
    async fn accrue_close(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        e: &EventRow,
        policies: &mut Policies,
        report: &mut AccrualReport,
    ) -> Result<usize> {
        let o: ClosedSnapshot = json_column("payload", &e.payload)?;
        let (Some(partner_id), Some(route), Some(closed_on), Some(closed_at), Some(rate)) = (
            o.partner_id.as_deref(),
            o.route,
            o.closed_on,
            o.closed_at,
            o.rate_at_close.clone(),
        ) else {
            return Ok(0);
        };
        if o.source == OpportunitySource::Direct {
            return Ok(0);
        }
        let version = policy::version_number_at(tx, &o.program_id, closed_at).await?;
        let tier = tier_at(tx, partner_id, closed_at).await?;
        let deal = Deal {
            tier: tier.clone(),
            route,
            arr: o.amount,
            closed_on,
            rate,
        };
        let standing = Standing {
            // Distinct users of the partner holding a valid certification on the closing day.
            certified_individuals: crate::enablement::certification::certified_individuals(
                tx, partner_id, closed_on,
            )
            .await?,
            jbp: jbp_quarter(tx, partner_id, &o.id, &deal, closed_at).await?,
        };
        let mut q = Sql::new(
            "INSERT INTO payout_deals (id, opportunity_id, partner_id, program_id, tier, policy_version, route, closed_on, amount_minor, currency, rate_to, rate_e8, certified_individuals, jbp_milestone_minor, jbp_won_before_minor, created_at) VALUES (",
        );
        q.bind(e.id.as_str())
            .push(", ")
            .bind(o.id.as_str())
            .push(", ")
            .bind(partner_id)
            .push(", ")
            .bind(o.program_id.as_str())
            .push(", ")
            .bind(tier.as_str())
            .push(", ")
            .bind(version)
            .push(", ")
            .bind(route.as_str())
            .push(", ")
            .bind(closed_on)
            .push(", ")
            .bind(o.amount.amount_minor)
            .push(", ")
            .bind(o.amount.currency.as_str())
            .push(", ")
            .bind(deal.rate.to.as_str())
            .push(", ")
            .bind(deal.rate.rate_e8)
            .push(", ")
            .bind(standing.certified_individuals)
            .push(", ")
            .bind(standing.jbp.map(|j| j.milestone_minor))
            .push(", ")
            .bind(standing.jbp.map(|j| j.won_before_minor))
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT DO NOTHING");
        if tx.execute(&q).await? == 1 {
            report.deals += 1;
        }
        let incentives = policies.get(tx, &o.program_id, version).await?;
        let lines = accrual::accrue_close(&deal, incentives, version, &standing)
            .map_err(|err| StoreError::conflict("amount", "fx.overflow", err.to_string()))?;
        let origin = Origin {
            partner_id,
            program_id: &o.program_id,
            payout_deal_id: Some(&e.id),
            opportunity_id: Some(&o.id),
            revenue_event_id: None,
            event: Some(RevenueEvent::Close),
            event_on: closed_on,
            policy_version: version,
            accrued_on: closed_on,
        };
        let mut posted = 0;
        for line in &lines {
            let key = format!("{}:{}", e.id, line.rule);
            posted += usize::from(post_line(tx, now, &key, &origin, line, None, None).await?);
        }
        Ok(posted)
    }
}

/// The partner's tier at `at`: the tier it left at its first move after `at`, else its
/// tier now.
async fn tier_at(tx: &mut Tx, partner_id: &str, at: DateTime<Utc>) -> Result<String> {
    row! { struct Name { name: String } }
    let mut q = Sql::new(
        "SELECT t.name FROM tier_changes c JOIN partners p ON p.id = c.partner_id JOIN tiers t ON t.program_id = p.program_id AND t.rank = c.from_rank AND t.archived_at IS NULL WHERE c.partner_id = ",
    );
    q.bind(partner_id)
        .push(" AND c.at > ")
        .bind(at)
        .push(" ORDER BY c.at LIMIT 1");
    if let Some(n) = tx.optional::<Name>(&q).await? {
        return Ok(n.name);
    }
    let mut q =
        Sql::new("SELECT t.name FROM partners p JOIN tiers t ON t.id = p.tier_id WHERE p.id = ");
    q.bind(partner_id);
    Ok(tx
        .optional::<Name>(&q)
        .await?
        .map(|n| n.name)
        .unwrap_or_default())
}

/// The agreed plan's milestone for the quarter of the close, and what the partner won
/// in that quarter before this deal, when a plan in the statement currency covers the day.
async fn jbp_quarter(
    tx: &mut Tx,
    partner_id: &str,
    opportunity_id: &str,
    deal: &Deal,
    closed_at: DateTime<Utc>,
) -> Result<Option<JbpQuarter>> {
    row! { struct Plan { period_start: NaiveDate, currency: String, content: String } }
    let mut q = Sql::new(
        "SELECT bp.period_start, bp.currency, v.content FROM business_plans bp JOIN business_plan_versions v ON v.plan_id = bp.id AND v.version = bp.version WHERE bp.status = 'agreed' AND bp.partner_id = ",
    );
    q.bind(partner_id)
        .push(" AND bp.period_start <= ")
        .bind(deal.closed_on)
        .push(" ORDER BY bp.period_start DESC LIMIT 1");
    let Some(plan) = tx.optional::<Plan>(&q).await? else {
        return Ok(None);
    };
    if plan.currency != deal.rate.to.as_str() {
        return Ok(None);
    }
    let Some(quarter) = (1..=4u8).find(|&n| {
        quarter_start(plan.period_start, n) <= deal.closed_on
            && deal.closed_on <= quarter_end(plan.period_start, n)
    }) else {
        return Ok(None);
    };
    let content: PlanContent = json_column("content", &plan.content)?;
    let milestone = content.milestone(quarter);
    if milestone <= 0 {
        return Ok(None);
    }
    row! { struct Sum { total: Option<i64> } }
    let mut q = Sql::new(
        "SELECT CAST(SUM(amount_at_close_minor) AS BIGINT) AS total FROM opportunities WHERE partner_id = ",
    );
    q.bind(partner_id)
        .push(" AND source = 'partner_sourced' AND stage = 'won' AND close_rate_to = ")
        .bind(deal.rate.to.as_str())
        .push(" AND closed_on >= ")
        .bind(quarter_start(plan.period_start, quarter))
        .push(" AND closed_on <= ")
        .bind(deal.closed_on)
        .push(" AND closed_at < ")
        .bind(closed_at)
        .push(" AND id <> ")
        .bind(opportunity_id);
    let won_before = tx
        .optional::<Sum>(&q)
        .await?
        .and_then(|s| s.total)
        .unwrap_or(0);
    Ok(Some(JbpQuarter {
        milestone_minor: milestone,
        won_before_minor: won_before,
    }))
}

/// A reopen: every line the live deal paid is reversed, and the deal stops being paid.
async fn reverse_reopened(tx: &mut Tx, now: DateTime<Utc>, e: &EventRow) -> Result<usize> {
    let Some(deal) = live_deal(tx, &e.entity_id).await? else {
        return Ok(0);
    };
    let day = e.created_at.date_naive();
    let mut posted = 0;
    for l in lines_to_negate(tx, &deal.id).await? {
        let line = accrual::negate(
            &l.posted()?,
            REVERSAL,
            format!("reversal of line {}: the deal was reopened on {day}", l.id),
        );
        let origin = Origin {
            partner_id: &deal.partner_id,
            program_id: &deal.program_id,
            payout_deal_id: Some(&deal.id),
            opportunity_id: Some(&deal.opportunity_id),
            revenue_event_id: None,
            event: None,
            event_on: day,
            policy_version: deal.policy_version,
            accrued_on: day,
        };
        let key = format!("{}:{REVERSAL}:{}", e.id, l.id);
        posted += usize::from(post_line(tx, now, &key, &origin, &line, Some(&l.id), None).await?);
    }
    let mut q = Sql::new("UPDATE payout_deals SET reversed_at = ");
    q.bind(now)
        .push(" WHERE reversed_at IS NULL AND id = ")
        .bind(deal.id.as_str());
    tx.execute(&q).await?;
    Ok(posted)
}

row! {
    struct RevenueRow {
        id: String,
        opportunity_id: String,
        kind: String,
        occurred_on: NaiveDate,
        arr_minor: Option<i64>,
    }
}

/// A renewal, expansion or cancellation recorded on a deal being paid.
async fn accrue_revenue(
    tx: &mut Tx,
    now: DateTime<Utc>,
    e: &EventRow,
    policies: &mut Policies,
) -> Result<usize> {
    let mut q = Sql::new(
        "SELECT id, opportunity_id, kind, occurred_on, arr_minor FROM revenue_events WHERE id = ",
    );
    q.bind(e.entity_id.as_str());
    let Some(r) = tx.optional::<RevenueRow>(&q).await? else {
        return Ok(0);
    };
    let Some(paid) = live_deal(tx, &r.opportunity_id).await? else {
        return Ok(0);
    };
    let deal = paid.deal()?;
    let origin = |event: Option<RevenueEvent>| Origin {
        partner_id: &paid.partner_id,
        program_id: &paid.program_id,
        payout_deal_id: Some(&paid.id),
        opportunity_id: Some(&paid.opportunity_id),
        revenue_event_id: Some(&r.id),
        event,
        event_on: r.occurred_on,
        policy_version: paid.policy_version,
        accrued_on: r.occurred_on,
    };
    let overflow = |err: partnerops_core::pipeline::fx::FxError| {
        StoreError::conflict("arr_minor", "fx.overflow", err.to_string())
    };
    match r.kind.as_str() {
        "renewal" | "expansion" => {
            let arr = Money::new(r.arr_minor.unwrap_or(0), deal.arr.currency);
            let incentives = policies
                .get(tx, &paid.program_id, paid.policy_version)
                .await?;
            let (line, event) = if r.kind == "renewal" {
                row! { struct Count { n: i64 } }
                let mut q = Sql::new(
                    "SELECT COUNT(*) AS n FROM revenue_events WHERE kind = 'renewal' AND opportunity_id = ",
                );
                q.bind(r.opportunity_id.as_str())
                    .push(" AND occurred_on >= ")
                    .bind(paid.closed_on)
                    .push(" AND (occurred_on, id) <= (")
                    .bind(r.occurred_on)
                    .push(", ")
                    .bind(r.id.as_str())
                    .push(")");
                let ordinal = tx.optional::<Count>(&q).await?.map_or(1, |c| c.n);
                let ordinal = u32::try_from(ordinal).unwrap_or(u32::MAX);
                (
                    accrual::accrue_renewal(&deal, incentives, paid.policy_version, ordinal, arr)
                        .map_err(overflow)?,
                    RevenueEvent::Renewal,
                )
            } else {
                (
                    accrual::accrue_expansion(&deal, incentives, paid.policy_version, arr)
                        .map_err(overflow)?,
                    RevenueEvent::Expansion,
                )
            };
            let Some(line) = line else {
                return Ok(0);
            };
            let key = format!("{}:{}", r.id, line.rule);
            Ok(usize::from(
                post_line(tx, now, &key, &origin(Some(event)), &line, None, None).await?,
            ))
        }
        "cancellation" => {
            let incentives = policies
                .get(tx, &paid.program_id, paid.policy_version)
                .await?;
            let window = incentives.clawback_days;
            let mut posted = 0;
            for l in lines_to_negate(tx, &paid.id).await? {
                let event = l
                    .event
                    .as_deref()
                    .and_then(|k| RevenueEvent::parse("event", k).ok())
                    .unwrap_or(RevenueEvent::Close);
                for line in
                    accrual::clawback(event, l.event_on, r.occurred_on, window, &[l.posted()?])
                {
                    let key = format!("{}:clawback:{}", r.id, l.id);
                    posted += usize::from(
                        post_line(tx, now, &key, &origin(None), &line, Some(&l.id), None).await?,
                    );
                }
            }
            Ok(posted)
        }
        _ => Ok(0),
    }
}
