//! The live facts a plan's attainment is measured against, and the per-partner sums kept
//! so that gathering them reads a handful of rows (migration 0015).
//!
//! Read from the rows, a plan's facts are the partner's sourced deals won and open, its
//! touchpoints and registration activities of the period, and its target accounts' deals:
//! some 600 heap pages scattered over tables of millions of rows at bench scale, read from
//! disk again for every plan (bench/README.md, JBP attainment). So they are kept, like the
//! board's `pipeline_totals`, moved in the transaction of every write that changes them:
//!
//! - `partner_plan_sums`, per partner, month (YYYYMM) and measure: `won` (sourced deals won:
//!   count and amount at close, per currency of the rate at close), `open` (sourced open
//!   deals per expected-close month, currency and amount: attainment converts each deal at
//!   today's rate and rounds each, so deals are counted per amount, never summed before
//!   converting), and `activity.<commitment>` (touchpoints not late and registration
//!   activities per month and the commitment they count towards);
//! - `partner_account_coverage`, per partner and account: its links to the account's deals
//!   and its touches (touchpoints on those deals, activities of its registrations on it).
//!
//! A plan runs whole months (its start is the first of a month), so monthly sums give its
//! quarters exactly; a plan starting on another day (none is accepted) is read from the
//! rows. [`Store::business_plan_attainment_from_rows`] computes an attainment from the rows
//! and [`Store::check_plan_sums`] compares the kept sums with the migration's backfill: the
//! check paths.
//!
//! Writes that change the sums: opening, editing, closing and reopening a deal
//! (`pipeline`), logging a touchpoint, logging a registration activity, and merging
//! accounts (its registrations' activities move with them, `registration::review`). Rows
//! of one statement are in key order, and a transaction moves the plan sums before the
//! coverage, so opposite moves never deadlock; registration activities and account merges
//! serialise on the account ([`lock_account`]) so a merge moves every activity it counted.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use partnerops_core::business_plan::attainment::{
    Facts, commitment_of_activity, commitment_of_touchpoint,
};
use partnerops_core::business_plan::record::{BusinessPlan, PlanActivityKind};
use partnerops_core::ids::{AccountId, EntityId, PartnerId};
use partnerops_core::money::{Currency, Money};
use partnerops_core::pipeline::Stage;
use partnerops_core::pipeline::fx::Rates;
use partnerops_core::pipeline::record::{Opportunity, OpportunitySource};
use partnerops_core::pipeline::touchpoint::TouchpointKind;
use partnerops_core::registration::ActivityKind;

use crate::db::{Exec, Sql, Tx, dialect, row};
use crate::pipeline::fx::all_rates;
use crate::pipeline::month_of_day;
use crate::{Result, Store, StoreError, midnight};

const WON: &str = "won";
const OPEN: &str = "open";
const ACTIVITY: &str = "activity.";

/// The migration that made the kept sums; everything after its backfill marker is the
/// backfill, run again by [`Store::check_plan_sums`].
const MIGRATION_SQLITE: &str = include_str!("../../migrations/sqlite/0015_plan_sums.sql");
const MIGRATION_POSTGRES: &str = include_str!("../../migrations/postgres/0015_plan_sums.sql");
const BACKFILL_MARKER: &str = "-- Backfill";

fn corrupt(what: &str, raw: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: {raw}"))
}

/// The first day of a YYYYMM month.
fn first_of(month: i64) -> Result<NaiveDate> {
    i32::try_from(month / 100)
        .ok()
        .zip(u32::try_from(month % 100).ok())
        .and_then(|(y, m)| NaiveDate::from_ymd_opt(y, m, 1))
        .ok_or_else(|| corrupt("partner_plan_sums.month", &month.to_string()))
}

/// Rebuilds the kept sums from the rows with migration 0015's own backfill: the check
/// path, and what a bulk load that bypassed the writes keeping them runs afterwards.
pub(crate) async fn rebuild_plan_sums(tx: &mut Tx) -> Result<()> {
    let migration = dialect::per_backend(tx.backend(), MIGRATION_SQLITE, MIGRATION_POSTGRES);
    let backfill = migration
        .split_once(BACKFILL_MARKER)
        .map(|(_, b)| b)
        .ok_or_else(|| StoreError::Corrupt("migration 0015 has no backfill".into()))?;
    dialect::run_script(
        tx,
        &format!("DELETE FROM partner_plan_sums; DELETE FROM partner_account_coverage;\n{BACKFILL_MARKER}{backfill}"),
    )
    .await?;
    Ok(())
}

/// The measure of activities counting towards `kind`.
fn activity_measure(kind: PlanActivityKind) -> String {
    format!("{ACTIVITY}{}", kind.as_str())
}

/// One row of `partner_plan_sums`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SumKey {
    partner_id: String,
    month: i64,
    measure: String,
    currency: String,
    unit_minor: i64,
}

/// What one deal adds to its partner's plan sums: one deal and its amount under a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DealPart {
    key: SumKey,
    amount_minor: i64,
}

impl DealPart {
    /// An open partner-sourced deal: its amount in the month it is expected to close.
    pub(crate) fn open(partner: &PartnerId, expected_close_on: NaiveDate, amount: Money) -> Self {
        DealPart {
            key: SumKey {
                partner_id: partner.as_str().to_owned(),
                month: month_of_day(expected_close_on),
                measure: OPEN.to_owned(),
                currency: amount.currency.as_str().to_owned(),
                unit_minor: amount.amount_minor,
            },
            amount_minor: amount.amount_minor,
        }
    }

    /// The part of `o` as it stands: a won partner-sourced deal its amount at close in the
    /// month it closed, an open one as [`DealPart::open`]; nothing for a lost, direct or
    /// influenced deal.
    pub(crate) fn of(o: &Opportunity) -> Option<Self> {
        if o.source != OpportunitySource::PartnerSourced {
            return None;
        }
        let partner = o.partner_id.as_ref()?;
        match &o.stage {
            Stage::Open(_) => Some(DealPart::open(partner, o.expected_close_on, o.amount)),
            Stage::Won => {
                let (closed_on, at_close) = (o.closed_on?, o.amount_at_close?);
                Some(DealPart {
                    key: SumKey {
                        partner_id: partner.as_str().to_owned(),
                        month: month_of_day(closed_on),
                        measure: WON.to_owned(),
                        currency: at_close.currency.as_str().to_owned(),
                        unit_minor: 0,
                    },
                    amount_minor: at_close.amount_minor,
                })
            }
            Stage::Lost => None,
        }
    }
}

/// Adds `(key, deals, amount)` deltas to `partner_plan_sums` in one statement, rows in key
/// order (equal keys merged, nothing for deltas that cancel).
async fn add_sums(tx: &mut Tx, deltas: Vec<(SumKey, i64, i64)>) -> Result<()> {
    let mut rows: BTreeMap<SumKey, (i64, i64)> = BTreeMap::new();
    for (key, n, amount) in deltas {
        let e = rows.entry(key).or_default();
        e.0 += n;
        e.1 += amount;
    }
    rows.retain(|_, (n, a)| *n != 0 || *a != 0);
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new(
        "INSERT INTO partner_plan_sums (partner_id, month, measure, currency, unit_minor, n, amount_minor) VALUES ",
    );
    for (i, (k, (n, amount))) in rows.into_iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" })
            .bind(k.partner_id)
            .push(", ")
            .bind(k.month)
            .push(", ")
            .bind(k.measure)
            .push(", ")
            .bind(k.currency)
            .push(", ")
            .bind(k.unit_minor)
            .push(", ")
            .bind(n)
            .push(", ")
            .bind(amount)
            .push(")");
    }
    q.push(
        " ON CONFLICT (partner_id, month, measure, currency, unit_minor) DO UPDATE SET n = partner_plan_sums.n + excluded.n, amount_minor = partner_plan_sums.amount_minor + excluded.amount_minor",
    );
    tx.execute(&q).await?;
    Ok(())
}

/// Moves one deal's part of its partner's sums from `from` (none: a new deal, or one that
/// counted for nothing) to `to`, in the caller's transaction.
pub(crate) async fn move_deal(
    tx: &mut Tx,
    from: Option<DealPart>,
    to: Option<DealPart>,
) -> Result<()> {
    let mut deltas = Vec::with_capacity(2);
    if let Some(p) = from {
        deltas.push((p.key, -1, -p.amount_minor));
    }
    if let Some(p) = to {
        deltas.push((p.key, 1, p.amount_minor));
    }
    add_sums(tx, deltas).await
}

/// Counts one selling activity of `partner` on `day` (UTC) towards `kind`.
async fn add_activity(
    tx: &mut Tx,
    partner: &str,
    day: NaiveDate,
    kind: PlanActivityKind,
) -> Result<()> {
    let key = SumKey {
        partner_id: partner.to_owned(),
        month: month_of_day(day),
        measure: activity_measure(kind),
        currency: String::new(),
        unit_minor: 0,
    };
    add_sums(tx, vec![(key, 1, 0)]).await
}

/// Adds `(partner, account, links, touches)` deltas to `partner_account_coverage` in one
/// statement, rows in key order.
async fn add_coverage(tx: &mut Tx, deltas: Vec<(String, String, i64, i64)>) -> Result<()> {
    let mut rows: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for (partner, account, links, touches) in deltas {
        let e = rows.entry((partner, account)).or_default();
        e.0 += links;
        e.1 += touches;
    }
    rows.retain(|_, (l, t)| *l != 0 || *t != 0);
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new(
        "INSERT INTO partner_account_coverage (partner_id, account_id, opportunity_links, touches) VALUES ",
    );
    for (i, ((partner, account), (links, touches))) in rows.into_iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" })
            .bind(partner)
            .push(", ")
            .bind(account)
            .push(", ")
            .bind(links)
            .push(", ")
            .bind(touches)
            .push(")");
    }
    q.push(
        " ON CONFLICT (partner_id, account_id) DO UPDATE SET opportunity_links = partner_account_coverage.opportunity_links + excluded.opportunity_links, touches = partner_account_coverage.touches + excluded.touches",
    );
    tx.execute(&q).await?;
    Ok(())
}

/// A partner was put on a deal of `account` (`linked`: the link is new).
pub(crate) async fn deal_linked(
    tx: &mut Tx,
    partner: &PartnerId,
    account: &AccountId,
    linked: bool,
) -> Result<()> {
    add_coverage(
        tx,
        vec![(
            partner.as_str().to_owned(),
            account.as_str().to_owned(),
            i64::from(linked),
            0,
        )],
    )
    .await
}

/// A touchpoint was logged: a selling activity unless late, and a touch of the deal's
/// account (`linked`: it put the partner on the deal).
pub(crate) async fn touchpoint_logged(
    tx: &mut Tx,
    partner: &PartnerId,
    account: &AccountId,
    kind: TouchpointKind,
    day: NaiveDate,
    late: bool,
    linked: bool,
) -> Result<()> {
    if !late && let Some(k) = commitment_of_touchpoint(kind) {
        add_activity(tx, partner.as_str(), day, k).await?;
    }
    add_coverage(
        tx,
        vec![(
            partner.as_str().to_owned(),
            account.as_str().to_owned(),
            i64::from(linked),
            1,
        )],
    )
    .await
}

/// Serialises the writes that attribute registration activities to `account`: logging one,
/// and merging the account away. Take it before any other write of the transaction.
pub(crate) async fn lock_account(tx: &mut Tx, account: &str) -> Result<()> {
    tx.lock_key(&format!("plan-coverage:{account}")).await?;
    Ok(())
}

row! {
    struct Holder {
        partner_id: String,
        account_id: String,
    }
}

/// A registration activity was logged on `registration` (under [`lock_account`] of its
/// account): a selling activity of its partner, and a touch of the account it is on now.
pub(crate) async fn activity_logged(
    tx: &mut Tx,
    registration: &str,
    kind: ActivityKind,
    day: NaiveDate,
) -> Result<()> {
    let mut q = Sql::new("SELECT partner_id, account_id FROM registrations WHERE id = ");
    q.bind(registration);
    let Some(r) = tx.optional::<Holder>(&q).await? else {
        return Ok(());
    };
    if let Some(k) = commitment_of_activity(kind) {
        add_activity(tx, &r.partner_id, day, k).await?;
    }
    add_coverage(tx, vec![(r.partner_id, r.account_id, 0, 1)]).await
}

row! {
    struct PartnerCount {
        partner_id: String,
        n: i64,
    }
}

/// The activities of the registrations on `account`, per partner: what a merge moves.
/// Takes [`lock_account`] first, so no activity is logged on them until the merge ends.
pub(crate) async fn registration_touches(tx: &mut Tx, account: &str) -> Result<Vec<(String, i64)>> {
    lock_account(tx, account).await?;
    let mut q = Sql::new(
        "SELECT r.partner_id, COUNT(*) AS n FROM registration_activities a JOIN registrations r ON r.id = a.registration_id WHERE r.account_id = ",
    );
    q.bind(account).push(" GROUP BY r.partner_id");
    let rows: Vec<PartnerCount> = tx.all(&q).await?;
    Ok(rows.into_iter().map(|r| (r.partner_id, r.n)).collect())
}

/// Moves the touches [`registration_touches`] counted from `from` to `into`, after the
/// registrations moved.
pub(crate) async fn move_touches(
    tx: &mut Tx,
    touches: Vec<(String, i64)>,
    from: &str,
    into: &str,
) -> Result<()> {
    let mut deltas = Vec::with_capacity(touches.len() * 2);
    for (partner, n) in touches {
        deltas.push((partner.clone(), from.to_owned(), 0, -n));
        deltas.push((partner, into.to_owned(), 0, n));
    }
    add_coverage(tx, deltas).await
}

row! {
    struct SumRow {
        month: i64,
        measure: String,
        currency: String,
        unit_minor: i64,
        n: i64,
        amount_minor: i64,
    }
}

row! {
    struct CoverageRow {
        account_id: String,
        opportunity_links: i64,
        touches: i64,
    }
}

/// Appends ` IN (…)` of the plan's target accounts.
fn in_accounts(q: &mut Sql, accounts: &[AccountId]) {
    q.push(" IN ").bind_in(accounts.iter().map(|a| a.as_str()));
}

/// The plan's facts from the kept sums: its partner's rows of the period's months, and the
/// coverage rows of its target accounts.
async fn from_sums(
    read: &mut impl Exec,
    plan: &BusinessPlan,
    rates: &Rates,
    today: NaiveDate,
) -> Result<Facts> {
    let partner = plan.partner_id.as_str();
    let mut q = Sql::new(
        "SELECT month, measure, currency, unit_minor, n, amount_minor FROM partner_plan_sums WHERE partner_id = ",
    );
    q.bind(partner)
        .push(" AND month >= ")
        .bind(month_of_day(plan.period_start))
        .push(" AND month <= ")
        .bind(month_of_day(plan.period_end))
        .push(" AND n <> 0");
    let mut facts = Facts::default();
    for r in read.all::<SumRow>(&q).await? {
        let day = first_of(r.month)?;
        match r.measure.as_str() {
            WON => {
                if r.currency == plan.currency.as_str() {
                    facts.won.push((day, r.amount_minor));
                }
            }
            OPEN => {
                let currency = Currency::parse("currency", &r.currency)
                    .map_err(|_| corrupt("partner_plan_sums.currency", &r.currency))?;
                let one = Money::new(r.unit_minor, currency);
                let converted = if currency == plan.currency {
                    Some(one)
                } else {
                    rates.convert(one, plan.currency, today).ok()
                };
                // As from the rows: each deal converted (and rounded) on its own; a currency
                // without a rate today is left out rather than guessed.
                if let Some(m) = converted {
                    facts.open.push((day, m.amount_minor.saturating_mul(r.n)));
                }
            }
            other => {
                let kind = other
                    .strip_prefix(ACTIVITY)
                    .and_then(|k| PlanActivityKind::parse("measure", k).ok())
                    .ok_or_else(|| corrupt("partner_plan_sums.measure", other))?;
                facts
                    .activities
                    .push((day, kind, u64::try_from(r.n).unwrap_or(0)));
            }
        }
    }
    let targets = &plan.content.target_account_ids;
    if !targets.is_empty() {
        let mut q = Sql::new(
            "SELECT account_id, opportunity_links, touches FROM partner_account_coverage WHERE partner_id = ",
        );
        q.bind(partner).push(" AND account_id");
        in_accounts(&mut q, targets);
        for r in read.all::<CoverageRow>(&q).await? {
            let account = AccountId::from_trusted(r.account_id);
            if r.opportunity_links > 0 {
                facts.accounts_with_opportunity.insert(account.clone());
            }
            if r.touches > 0 {
                facts.touched_accounts.insert(account);
            }
        }
    }
    Ok(facts)
}

row! {
    struct WonRow {
        closed_on: NaiveDate,
        amount_at_close_minor: Option<i64>,
        close_rate_to: Option<String>,
    }
}

row! {
    struct OpenRow {
        expected_close_on: NaiveDate,
        amount_minor: i64,
        currency: String,
    }
}

row! {
    struct KindDay {
        kind: String,
        at: chrono::DateTime<chrono::Utc>,
    }
}

row! {
    struct AccountRow {
        account_id: String,
    }
}

/// The plan's facts from the rows: the partner's deals, touchpoints and registration
/// activities of the period, and its target accounts' deals.
async fn from_rows(
    read: &mut impl Exec,
    plan: &BusinessPlan,
    rates: &Rates,
    today: NaiveDate,
) -> Result<Facts> {
    let (start, end) = (plan.period_start, plan.period_end);
    let partner = plan.partner_id.as_str();
    let mut q = Sql::new(
        "SELECT closed_on, amount_at_close_minor, close_rate_to FROM opportunities WHERE partner_id = ",
    );
    q.bind(partner)
        .push(" AND source = 'partner_sourced' AND stage = 'won' AND closed_on >= ")
        .bind(start)
        .push(" AND closed_on <= ")
        .bind(end);
    let won: Vec<WonRow> = read.all(&q).await?;
    let won = won
        .into_iter()
        .filter(|r| r.close_rate_to.as_deref() == Some(plan.currency.as_str()))
        .filter_map(|r| r.amount_at_close_minor.map(|a| (r.closed_on, a)))
        .collect();
    let mut q = Sql::new(
        "SELECT expected_close_on, amount_minor, currency FROM opportunities WHERE partner_id = ",
    );
    q.bind(partner)
        .push(" AND source = 'partner_sourced' AND stage NOT IN ('won', 'lost') AND expected_close_on >= ")
        .bind(start)
        .push(" AND expected_close_on <= ")
        .bind(end);
    let open_rows: Vec<OpenRow> = read.all(&q).await?;
    let mut open = Vec::with_capacity(open_rows.len());
    for r in open_rows {
        let currency = Currency::parse("currency", &r.currency)
            .map_err(|_| corrupt("opportunities.currency", &r.currency))?;
        let money = Money::new(r.amount_minor, currency);
        let converted = if currency == plan.currency {
            Some(money)
        } else {
            rates.convert(money, plan.currency, today).ok()
        };
        // A currency without a rate today is left out rather than guessed.
        if let Some(m) = converted {
            open.push((r.expected_close_on, m.amount_minor));
        }
    }
    let mut activities = Vec::new();
    // The period as instants: from the first day's midnight to the day after the last.
    let (from, until) = (midnight(start), midnight(end.succ_opt().unwrap_or(end)));
    let mut q = Sql::new("SELECT kind, occurred_at AS at FROM touchpoints WHERE partner_id = ");
    q.bind(partner)
        .push(" AND late = 0 AND occurred_at >= ")
        .bind(from)
        .push(" AND occurred_at < ")
        .bind(until);
    for r in read.all::<KindDay>(&q).await? {
        if let Some(k) = TouchpointKind::parse("kind", &r.kind)
            .ok()
            .and_then(commitment_of_touchpoint)
        {
            activities.push((r.at.date_naive(), k, 1));
        }
    }
    let mut q = Sql::new(
        "SELECT a.kind, a.occurred_at AS at FROM registration_activities a JOIN registrations r ON r.id = a.registration_id WHERE r.partner_id = ",
    );
    q.bind(partner)
        .push(" AND a.occurred_at >= ")
        .bind(from)
        .push(" AND a.occurred_at < ")
        .bind(until);
    for r in read.all::<KindDay>(&q).await? {
        if let Some(k) = ActivityKind::parse("kind", &r.kind)
            .ok()
            .and_then(commitment_of_activity)
        {
            activities.push((r.at.date_naive(), k, 1));
        }
    }
    // The target accounts' coverage in two queries for the whole plan, each starting from
    // the accounts' own deals (a handful per account).
    let targets = &plan.content.target_account_ids;
    let mut touched = BTreeSet::new();
    let mut with_opportunity = BTreeSet::new();
    if !targets.is_empty() {
        let mut q = Sql::new(
            "SELECT DISTINCT o.account_id FROM opportunities o WHERE EXISTS (SELECT 1 FROM opportunity_partners op WHERE op.opportunity_id = o.id AND op.partner_id = ",
        );
        q.bind(partner).push(") AND o.account_id");
        in_accounts(&mut q, targets);
        for r in read.all::<AccountRow>(&q).await? {
            with_opportunity.insert(AccountId::from_trusted(r.account_id));
        }
        let mut q = Sql::new(
            "SELECT DISTINCT o.account_id FROM opportunities o WHERE EXISTS (SELECT 1 FROM touchpoints t WHERE t.opportunity_id = o.id AND t.partner_id = ",
        );
        q.bind(partner).push(") AND o.account_id");
        in_accounts(&mut q, targets);
        q.push(" UNION SELECT r.account_id FROM registrations r WHERE r.partner_id = ")
            .bind(partner)
            .push(" AND EXISTS (SELECT 1 FROM registration_activities x WHERE x.registration_id = r.id) AND r.account_id");
        in_accounts(&mut q, targets);
        for r in read.all::<AccountRow>(&q).await? {
            touched.insert(AccountId::from_trusted(r.account_id));
        }
    }
    Ok(Facts {
        won,
        open,
        activities,
        touched_accounts: touched,
        accounts_with_opportunity: with_opportunity,
    })
}

row! {
    struct KeptSum {
        partner_id: String,
        month: i64,
        measure: String,
        currency: String,
        unit_minor: i64,
        n: i64,
        amount_minor: i64,
    }
}

row! {
    struct KeptCoverage {
        partner_id: String,
        account_id: String,
        opportunity_links: i64,
        touches: i64,
    }
}

/// Every row of the kept sums with something in it, as text keyed for comparison.
async fn kept_rows(tx: &mut Tx) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let sums: Vec<KeptSum> = tx
        .all(&Sql::new(
            "SELECT partner_id, month, measure, currency, unit_minor, n, amount_minor FROM partner_plan_sums WHERE n <> 0 OR amount_minor <> 0",
        ))
        .await?;
    for r in sums {
        out.insert(
            format!(
                "partner_plan_sums ({}, {}, {}, '{}', {})",
                r.partner_id, r.month, r.measure, r.currency, r.unit_minor
            ),
            format!("n {}, amount_minor {}", r.n, r.amount_minor),
        );
    }
    let coverage: Vec<KeptCoverage> = tx
        .all(&Sql::new(
            "SELECT partner_id, account_id, opportunity_links, touches FROM partner_account_coverage WHERE opportunity_links <> 0 OR touches <> 0",
        ))
        .await?;
    for r in coverage {
        out.insert(
            format!(
                "partner_account_coverage ({}, {})",
                r.partner_id, r.account_id
            ),
            format!(
                "opportunity_links {}, touches {}",
                r.opportunity_links, r.touches
            ),
        );
    }
    Ok(out)
}

impl Store {
    /// The live facts of a plan's partner over its period: from the kept sums when its
    /// quarters are whole months (always, for a plan the store accepted), else from the rows.
    pub(crate) async fn plan_facts(&self, plan: &BusinessPlan, today: NaiveDate) -> Result<Facts> {
        let mut read = self.db.read();
        let rates = all_rates(&mut read).await?;
        if plan.period_start.day() == 1 {
            from_sums(&mut read, plan, &rates, today).await
        } else {
            from_rows(&mut read, plan, &rates, today).await
        }
    }

    /// The facts of a plan read from the rows rather than the kept sums.
    pub(crate) async fn plan_facts_from_rows(
        &self,
        plan: &BusinessPlan,
        today: NaiveDate,
    ) -> Result<Facts> {
        let mut read = self.db.read();
        let rates = all_rates(&mut read).await?;
        from_rows(&mut read, plan, &rates, today).await
    }

    /// Compares the kept plan sums with what the rows give (migration 0015's backfill, run
    /// in a transaction that is then rolled back): one line per row that differs, none when
    /// the kept sums are right. A check for tests and operators; it holds the write lock
    /// (SQLite) or the kept rows (PostgreSQL) while it runs.
    pub async fn check_plan_sums(&self) -> Result<Vec<String>> {
        let mut tx = self.db.begin_write().await?;
        let kept = kept_rows(&mut tx).await?;
        rebuild_plan_sums(&mut tx).await?;
        let fresh = kept_rows(&mut tx).await?;
        drop(tx);
        let keys: BTreeSet<&String> = kept.keys().chain(fresh.keys()).collect();
        Ok(keys
            .into_iter()
            .filter_map(|k| {
                let (a, b) = (kept.get(k), fresh.get(k));
                (a != b).then(|| {
                    format!(
                        "{k}: kept {}, from the rows {}",
                        a.map_or("nothing", String::as_str),
                        b.map_or("nothing", String::as_str)
                    )
                })
            })
            .collect())
    }
}
