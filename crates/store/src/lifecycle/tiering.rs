//! Automated tiering from live data: each day every partner of every live program is
//! evaluated (sunset rule, annual review on its day, upgrades when earned). A tier move is
//! a recorded decision naming the criteria met and missed, an audit event, a tier-change
//! row and an outbox event; an evaluation that moves nothing records a decision only when
//! its outcome differs from the partner's last one, so the decision log stays readable.

use std::collections::HashMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::business_plan::attainment::{self, Facts};
use partnerops_core::business_plan::record::PlanContent;
use partnerops_core::ids::{EntityId, PartnerId, TierChangeId};
use partnerops_core::lifecycle::record::TierStanding;
use partnerops_core::lifecycle::tiering::{
    self, EvaluationContext, PartnerMetrics, TierDecision, TierRule,
};
use partnerops_core::money::Currency;
use partnerops_core::partner::Partner;
use partnerops_core::policy::ProgramPolicy;
use partnerops_core::policy::record::PolicyVersion;
use partnerops_core::registration::Decision;
use partnerops_core::scope::Scope;
use serde::Serialize;

use crate::db::{Exec, Sql, Tx, row};
use crate::decision::{emit, record as decide};
use crate::entity;
use crate::jobs::{Job, JobFuture, JobReport, Schedule};
use crate::policy::current_version;
use crate::scope;
use crate::{Actor, Result, Store, audit, new_id};

/// The daily job evaluating every partner's tier.
pub const TIERING: &str = "partners.tiering";

/// Tiering as a job: daily at midnight (UTC).
pub(crate) struct Tiering;

impl Job for Tiering {
    fn kind(&self) -> &'static str {
        TIERING
    }

    fn schedule(&self) -> Schedule {
        Schedule::DailyAt(chrono::NaiveTime::MIN)
    }

    fn run<'a>(&'a self, store: &'a Store, now: DateTime<Utc>) -> JobFuture<'a> {
        Box::pin(async move { Ok(store.evaluate_tiers_at(now).await?.into()) })
    }
}

/// The job report's note for an annual review of `program_id` on `day`.
pub fn review_note(program_id: &str, day: NaiveDate) -> String {
    format!("annual review {day} of {program_id}")
}

impl From<TieringReport> for JobReport {
    fn from(r: TieringReport) -> JobReport {
        let mut report = JobReport::default()
            .figure("evaluated", r.evaluated)
            .figure("upgraded", r.upgraded)
            .figure("downgraded", r.downgraded)
            .figure("sunset", r.sunset);
        for (program, day) in &r.reviews {
            report = report.note(review_note(program, *day));
        }
        report
    }
}

/// What a tiering run changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TieringReport {
    pub evaluated: usize,
    pub upgraded: usize,
    pub downgraded: usize,
    pub sunset: usize,
    /// Annual reviews that ran: program id and review date.
    pub reviews: Vec<(String, NaiveDate)>,
}

row! {
    struct MetricRow {
        partner_id: String,
        sourced_arr: i64,
        registrations: i64,
        last_submitted: Option<DateTime<Utc>>,
    }
}

row! {
    struct MemberRow {
        id: String,
        joined_on: NaiveDate,
        rank: i64,
        tier_fingerprint: Option<String>,
    }
}

row! {
    struct ProgramRow {
        id: String,
        created_at: DateTime<Utc>,
    }
}

row! {
    struct RankRow {
        id: String,
        rank: i64,
    }
}

/// Live metrics of a program's partners that `scope` sees as of `as_of`: sourced ARR of won
/// registrations closed and registrations submitted in the trailing 12 months, and the
/// latest submission; the distinct users holding a valid certification on the day
/// (`enablement::certification`). Metrics the system does not record yet stay `None`.
pub(crate) async fn metrics(
    x: &mut impl Exec,
    program_id: &str,
    scope: &Scope,
    as_of: DateTime<Utc>,
) -> Result<HashMap<String, (PartnerMetrics, Option<NaiveDate>)>> {
    let from = as_of.checked_sub_months(Months::new(12)).unwrap_or(as_of);
    let mut q = Sql::new(
        "SELECT r.partner_id, CAST(COALESCE(SUM(CASE WHEN r.status = 'won' AND r.closed_at > ",
    );
    q.bind(from)
        .push(" AND r.closed_at <= ")
        .bind(as_of)
        .push(" THEN r.est_arr_minor ELSE 0 END), 0) AS BIGINT) AS sourced_arr, CAST(COALESCE(SUM(CASE WHEN r.submitted_at > ")
        .bind(from)
        .push(" AND r.status NOT IN ('rejected', 'withdrawn') THEN 1 ELSE 0 END), 0) AS BIGINT) AS registrations, MAX(CASE WHEN r.status NOT IN ('rejected', 'withdrawn') THEN r.submitted_at END) AS last_submitted FROM registrations r WHERE r.program_id = ")
        .bind(program_id)
        .push(" AND r.submitted_at <= ")
        .bind(as_of);
    scope::restrict(&mut q, scope, EntityKind::Registration, "r");
    q.push(" GROUP BY r.partner_id");
    let rows: Vec<MetricRow> = x.all(&q).await?;
    let in_place = plans_in_place(x, program_id, scope, as_of.date_naive()).await?;
    let certified = crate::enablement::certification::certified_counts(
        x,
        Some(program_id),
        scope,
        as_of.date_naive(),
    )
    .await?;
    let certified_of = |partner: &str| Some(certified.get(partner).copied().unwrap_or(0));
    let attained = |partner: &str| Some(in_place.get(partner).copied().flatten().unwrap_or(0));
    let mut out: HashMap<String, (PartnerMetrics, Option<NaiveDate>)> = rows
        .into_iter()
        .map(|r| {
            let jbp = in_place.contains_key(&r.partner_id);
            let jbp_attainment_pct = attained(&r.partner_id);
            let certified_individuals = certified_of(&r.partner_id);
            (
                r.partner_id,
                (
                    PartnerMetrics {
                        sourced_arr_minor: r.sourced_arr,
                        registrations: r.registrations,
                        certified_individuals,
                        jbp_in_place: Some(jbp),
                        jbp_attainment_pct,
                        psat: None,
                    },
                    r.last_submitted.map(|t| t.date_naive()),
                ),
            )
        })
        .collect();
    for partner in in_place.keys() {
        out.entry(partner.clone()).or_insert_with(|| {
            let (mut m, last) = no_activity();
            m.jbp_in_place = Some(true);
            m.jbp_attainment_pct = attained(partner);
            (m, last)
        });
    }
    for (partner, n) in &certified {
        let entry = out.entry(partner.clone()).or_insert_with(no_activity);
        entry.0.certified_individuals = Some(*n);
        if in_place.contains_key(partner) {
            entry.0.jbp_in_place = Some(true);
            entry.0.jbp_attainment_pct = attained(partner);
        }
    }
    Ok(out)
}

/// The metrics of a partner with no registrations and no plan in place.
pub(crate) fn no_activity() -> (PartnerMetrics, Option<NaiveDate>) {
    (
        PartnerMetrics {
            certified_individuals: Some(0),
            jbp_in_place: Some(false),
            jbp_attainment_pct: Some(0),
            ..PartnerMetrics::default()
        },
        None,
    )
}

row! {
    struct PlanInPlace {
        partner_id: String,
        period_start: NaiveDate,
        currency: String,
        content: String,
    }
}

row! {
    struct PlanWon {
        partner_id: String,
        closed_on: NaiveDate,
        amount_at_close_minor: Option<i64>,
        close_rate_to: Option<String>,
    }
}

/// Partners of a program with an agreed joint business plan whose four quarters cover
/// `day`, each with its attainment to date in percent (`None` while no milestone is due):
/// sourced deals won since the plan began, at their rate at close in the plan's currency
/// (as the plan page counts them), against the milestones pro-rated to `day`.
async fn plans_in_place(
    x: &mut impl Exec,
    program_id: &str,
    scope: &Scope,
    day: NaiveDate,
) -> Result<HashMap<String, Option<i64>>> {
    let earliest = day.checked_sub_months(Months::new(12)).unwrap_or(day);
    let running = |q: &mut Sql| {
        q.bind(program_id)
            .push(" AND b.status = 'agreed' AND b.period_start <= ")
            .bind(day)
            .push(" AND b.period_start > ")
            .bind(earliest);
        scope::restrict(q, scope, EntityKind::BusinessPlan, "b");
    };
    let mut q = Sql::new(
        "SELECT b.partner_id, b.period_start, b.currency, b.content FROM business_plans b WHERE b.program_id = ",
    );
    running(&mut q);
    let plans: Vec<PlanInPlace> = x.all(&q).await?;
    if plans.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Sql::new(
        "SELECT o.partner_id, o.closed_on, o.amount_at_close_minor, o.close_rate_to FROM opportunities o JOIN business_plans b ON b.partner_id = o.partner_id WHERE o.source = 'partner_sourced' AND o.stage = 'won' AND o.closed_on >= b.period_start AND o.closed_on <= ",
    );
    q.bind(day).push(" AND b.program_id = ");
    running(&mut q);
    let won: Vec<PlanWon> = x.all(&q).await?;
    let mut out = HashMap::with_capacity(plans.len());
    for plan in plans {
        let content: PlanContent = entity::json_column("content", &plan.content)?;
        let currency = Currency::parse("currency", &plan.currency)
            .map_err(|e| crate::StoreError::Corrupt(e.message))?;
        let facts = Facts {
            won: won
                .iter()
                .filter(|w| w.partner_id == plan.partner_id)
                .filter(|w| w.close_rate_to.as_deref() == Some(plan.currency.as_str()))
                .filter_map(|w| w.amount_at_close_minor.map(|a| (w.closed_on, a)))
                .collect(),
            ..Facts::default()
        };
        // The drift threshold does not change what was won or the pace.
        let a = attainment::attainment(&content, plan.period_start, currency, day, 0, &facts);
        out.insert(plan.partner_id, attainment::to_date_pct(&a));
    }
    Ok(out)
}

/// A short fingerprint of an evaluation's outcome: the rule, the target rank and which
/// criteria were met. A new decision is stored when it changes.
fn fingerprint(d: &TierDecision) -> String {
    let mut s = format!("{}:{}", d.rule.as_str(), d.to_rank);
    for check in &d.checks {
        s.push('|');
        for c in &check.criteria {
            s.push(if c.met { '1' } else { '0' });
        }
    }
    s
}

/// The criteria of the tiers around the partner, met and missed, for the decision's reason.
fn criteria_summary(d: &TierDecision) -> String {
    let rank = d.to_rank.max(d.from_rank);
    let mut parts = Vec::new();
    for check in d.checks.iter().filter(|c| c.rank <= rank + 1 && c.rank > 1) {
        let items: Vec<String> = check
            .criteria
            .iter()
            .map(|c| {
                let mark = if c.met { "met" } else { "missed" };
                let note = c
                    .note
                    .as_deref()
                    .map(|n| format!(", {n}"))
                    .unwrap_or_default();
                format!(
                    "{} {} of ≥ {} ({mark}{note})",
                    c.metric.as_str(),
                    c.actual,
                    c.at_least
                )
            })
            .collect();
        parts.push(format!("{}: {}", check.name, items.join("; ")));
    }
    parts.join(". ")
}

/// The recorded decision of a tier evaluation: from and to which tier, and the criteria.
fn tier_decision_record(
    policy: &ProgramPolicy,
    version: i64,
    decision: &TierDecision,
    moved: bool,
) -> Decision {
    let name = |rank: i64| {
        policy
            .tiers
            .get((rank - 1) as usize)
            .map(|t| t.name.as_str())
            .unwrap_or("?")
    };
    let outcome = if moved {
        format!("{} → {}", name(decision.from_rank), name(decision.to_rank))
    } else {
        format!("stays {}", name(decision.to_rank))
    };
    let reason = format!("{} {}", decision.reason, criteria_summary(decision))
        .trim()
        .to_owned();
    Decision::new(decision.rule.as_str(), &outcome, reason, version)
}

/// The tiers of a program by rank (their ids), for moving partners between them.
type Ranks = HashMap<i64, String>;

/// A partner's move from one rung of its ladder to another.
pub(crate) struct TierMove<'a> {
    pub from_rank: i64,
    pub to_rank: i64,
    /// The tier at `to_rank`.
    pub tier_id: &'a str,
    /// The rule that moved it (`upgrade`, `technology_track.start`, …).
    pub rule: &'a str,
    pub policy_version: i64,
}

/// Moves a partner to another tier inside `tx`, with everything a move leaves behind: the
/// tier change (history and the tier's "since"), the audit event with before and after, and
/// the `partner.tier_changed` event. The caller records the decision that moved it.
pub(crate) async fn move_tier(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    partner_id: &PartnerId,
    m: TierMove<'_>,
) -> Result<()> {
    let id = partner_id.as_str();
    let before: Partner = entity::fetch(tx, &Scope::Vendor, id).await?;
    let mut u = Sql::new("UPDATE partners SET tier_id = ");
    u.bind(m.tier_id)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id);
    tx.execute(&u).await?;
    let change_id: TierChangeId = new_id();
    let mut q = Sql::new(
        "INSERT INTO tier_changes (id, partner_id, at, from_rank, to_rank, rule, policy_version) VALUES (",
    );
    q.bind(change_id.as_str())
        .push(", ")
        .bind(id)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(m.from_rank)
        .push(", ")
        .bind(m.to_rank)
        .push(", ")
        .bind(m.rule)
        .push(", ")
        .bind(m.policy_version)
        .push(")");
    tx.execute(&q).await?;
    let after: Partner = entity::fetch(tx, &Scope::Vendor, id).await?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Partner,
        id,
        AuditAction::Updated,
        Some(partner_id),
        Some(&before),
        Some(&after),
    )
    .await?;
    emit(
        tx,
        now,
        "partner.tier_changed",
        id,
        Some(partner_id),
        &serde_json::json!({
            "partner_id": id, "rule": m.rule, "from_rank": m.from_rank, "to_rank": m.to_rank, "policy_version": m.policy_version,
        }),
    )
    .await
}

impl Store {
    /// Evaluates every partner of every live program as of the store's clock; runs each
    /// program's annual review when its review day has come and it has not run yet.
    #[tracing::instrument(skip_all)]
    pub async fn evaluate_tiers(&self) -> Result<TieringReport> {
        self.evaluate_tiers_at(self.now()).await
    }

    async fn evaluate_tiers_at(&self, now: DateTime<Utc>) -> Result<TieringReport> {
        let mut report = TieringReport::default();
        let programs: Vec<ProgramRow> = self
            .db
            .read()
            .all(&Sql::new(
                "SELECT id, created_at FROM programs WHERE archived_at IS NULL ORDER BY id",
            ))
            .await?;
        for program in programs {
            self.evaluate_program(&program, now, &mut report).await?;
        }
        Ok(report)
    }

    /// Evaluates the members of one program, with its annual review when one is due.
    async fn evaluate_program(
        &self,
        program: &ProgramRow,
        now: DateTime<Utc>,
        report: &mut TieringReport,
    ) -> Result<()> {
        let today = now.date_naive();
        let mut r = self.db.read();
        let pv = current_version(&mut r, &program.id).await?;
        let review = self.claim_annual_review(program, &pv.policy, now).await?;
        let all_metrics = metrics(&mut r, &program.id, &Scope::Vendor, now).await?;
        let mut q = Sql::new(
            "SELECT p.id, p.joined_on, t.rank, p.tier_fingerprint FROM partners p JOIN tiers t ON t.id = p.tier_id WHERE p.archived_at IS NULL AND p.status IN ('onboarding', 'active') AND p.program_id = ",
        );
        q.bind(program.id.as_str()).push(" ORDER BY p.id");
        let members: Vec<MemberRow> = r.all(&q).await?;
        let mut q =
            Sql::new("SELECT id, rank FROM tiers WHERE archived_at IS NULL AND program_id = ");
        q.bind(program.id.as_str());
        let ranks: Ranks = r
            .all::<RankRow>(&q)
            .await?
            .into_iter()
            .map(|t| (t.rank, t.id))
            .collect();
        let mut downgraded = 0i64;
        for m in members {
            let (partner_metrics, last) =
                all_metrics.get(&m.id).cloned().unwrap_or_else(no_activity);
            let ctx = EvaluationContext {
                as_of: today,
                joined_on: m.joined_on,
                last_registration_on: last,
                // A review run late does not judge partners that joined after its day
                // (as the what-if replay does not).
                annual_review: review.is_some_and(|day| m.joined_on <= day),
            };
            let decision = tiering::evaluate(&pv.policy, m.rank, &partner_metrics, &ctx);
            report.evaluated += 1;
            let print = fingerprint(&decision);
            let moved = decision.to_rank != m.rank;
            if !moved && m.tier_fingerprint.as_deref() == Some(print.as_str()) {
                continue;
            }
            self.apply_tier_decision(now, &pv, &ranks, &m, &decision, &print)
                .await?;
            if moved {
                match decision.rule {
                    TierRule::Upgrade => report.upgraded += 1,
                    TierRule::Sunset => report.sunset += 1,
                    _ => {
                        report.downgraded += 1;
                        downgraded += 1;
                    }
                }
            }
        }
        if let Some(day) = review {
            self.close_annual_review(program, day, downgraded).await?;
            report.reviews.push((program.id.clone(), day));
        }
        Ok(())
    }

    /// The review due: the latest review day on or before today, after the program
    /// started, unless it ran already. It is claimed before any partner is judged, so a run
    /// that fails half-way never reviews (and downgrades) anyone a second time.
    async fn claim_annual_review(
        &self,
        program: &ProgramRow,
        policy: &ProgramPolicy,
        now: DateTime<Utc>,
    ) -> Result<Option<NaiveDate>> {
        let day = match tiering::last_review_on_or_before(policy, now.date_naive()) {
            Some(day) if day >= program.created_at.date_naive() => day,
            _ => return Ok(None),
        };
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new(
            "INSERT INTO annual_reviews (program_id, review_on, ran_at, downgraded) VALUES (",
        );
        q.bind(program.id.as_str())
            .push(", ")
            .bind(day)
            .push(", ")
            .bind(now)
            .push(", 0) ON CONFLICT (program_id, review_on) DO NOTHING");
        let claimed = tx.execute(&q).await? == 1;
        tx.commit().await?;
        Ok(claimed.then_some(day))
    }

    /// Records how many partners a finished annual review moved down.
    async fn close_annual_review(
        &self,
        program: &ProgramRow,
        day: NaiveDate,
        downgraded: i64,
    ) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new("UPDATE annual_reviews SET downgraded = ");
        q.bind(downgraded)
            .push(" WHERE program_id = ")
            .bind(program.id.as_str())
            .push(" AND review_on = ")
            .bind(day);
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores one partner's evaluation: its fingerprint, the decision, and when the tier
    /// moves, the move itself (tier, tier-change row, audit and outbox events).
    async fn apply_tier_decision(
        &self,
        now: DateTime<Utc>,
        pv: &PolicyVersion,
        ranks: &Ranks,
        m: &MemberRow,
        decision: &TierDecision,
        print: &str,
    ) -> Result<()> {
        let system = Actor::system("tiering");
        let moved = decision.to_rank != m.rank;
        let mut tx = self.db.begin_write().await?;
        let partner_id = PartnerId::from_trusted(m.id.clone());
        let mut u = Sql::new("UPDATE partners SET tier_fingerprint = ");
        u.bind(print).push(" WHERE id = ").bind(m.id.as_str());
        tx.execute(&u).await?;
        let d = tier_decision_record(&pv.policy, pv.version, decision, moved);
        let cited: Vec<&str> = ranks
            .get(&decision.to_rank)
            .map(|t| vec![m.id.as_str(), t.as_str()])
            .unwrap_or_else(|| vec![m.id.as_str()]);
        decide(
            &mut tx,
            now,
            &system,
            EntityKind::Partner,
            &m.id,
            Some(&partner_id),
            &d,
            &cited,
        )
        .await?;
        if moved && let Some(tier_id) = ranks.get(&decision.to_rank) {
            move_tier(
                &mut tx,
                now,
                &system,
                &partner_id,
                TierMove {
                    from_rank: decision.from_rank,
                    to_rank: decision.to_rank,
                    tier_id,
                    rule: decision.rule.as_str(),
                    policy_version: pv.version,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Where a partner stands now and what the next tier needs (the partner itself, or staff).
    #[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
    pub async fn tier_standing(&self, scope: &Scope, partner_id: &str) -> Result<TierStanding> {
        let mut r = self.db.read();
        let partner: Partner = entity::fetch(&mut r, scope, partner_id).await?;
        let pv = current_version(&mut r, partner.program_id.as_str()).await?;
        let now = self.now();
        // The partner's own figures: what the partner itself sees.
        let own = Scope::Partner(partner.id.clone());
        let m = metrics(&mut r, partner.program_id.as_str(), &own, now).await?;
        let metrics = m
            .get(partner_id)
            .map(|(m, _)| m.clone())
            .unwrap_or_else(|| no_activity().0);
        row! {
            struct Rank {
                rank: i64,
            }
        }
        let mut q = Sql::new("SELECT rank FROM tiers WHERE id = ");
        q.bind(partner.tier_id.as_str());
        let rank = r.optional::<Rank>(&q).await?.map_or(1, |t| t.rank);
        let checks = tiering::qualify(&pv.policy, &metrics);
        let next_tier = tiering::next_tier_gap(&checks, rank).cloned();
        Ok(TierStanding {
            partner_id: partner.id,
            tier_rank: rank,
            tier_name: partner.tier_name,
            policy_version: pv.version,
            as_of: now,
            metrics,
            checks,
            next_tier,
        })
    }
}
