//! The demo's payouts (issue #11): each program publishes its `[incentives]` (rates per tier
//! and route that rise with the tier, a joint-business-plan accelerator, renewals paid for two
//! years, expansions, a 90-day clawback, a minimum payout, quarterly statements) as a policy
//! version in force from [`incentives_from`], before the pipeline's deals closed; renewals,
//! expansions and cancellations are recorded on won deals; the accrual job pays every close
//! and revenue event; and statements are drawn up for each past quarter and worked the way
//! finance would have: the older ones paid, the quarter before last approved (half of it
//! paid, one dispute rejected first), the last one issued for review with one line disputed
//! by the partner's admin. Totals below the minimum roll over.
//!
//! What happens to which deal is chosen here, purely, from the plan (no RNG: rules over the
//! plan's dates), so it does not depend on the day the seed runs:
//! - one deal of a partner gets a small expansion in a later quarter in which that partner
//!   closes nothing, so its statement there is below the minimum and rolls over;
//! - one deal is cancelled 60 days after its close, in the next quarter (a clawback), and
//!   one 150 days after (outside the window: nothing is taken back);
//! - the earliest deals whose first anniversary has passed renew (5% up), and the latest
//!   ones that have had 120 days expand (a quarter more ARR).
//!
//! The policy, revenue events, statements, disputes, approvals and payments go through the
//! store with its clock set to when they happened. The accrual runs once, on the real clock,
//! after every event is recorded: it reads the outbox in time order (a renewal is paid after
//! its close), and from the latest event it handled less a margin, so a back-dated event
//! recorded after a run would never be read. Its lines count from the event's day
//! (`accrued_on`); their `created_at` is when the seed ran.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use partnerops_core::ids::EntityId;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::payout::policy::{
    Accelerator, AcceleratorKind, IncentivePolicy, PayoutPeriod, TierRates,
};
use partnerops_core::payout::record::{
    DisputeInput, PayInput, ResolveInput, RevenueEventInput, RevenueEventKind, RunStatementsInput,
    Statement,
};
use partnerops_core::payout::statement::{Period, StatementState, period_of};
use partnerops_core::pipeline::record::{OpportunitySource, RouteKind};
use partnerops_core::scope::Scope;
use partnerops_core::user::Role;
use partnerops_store::payout::StatementFilter;
use partnerops_store::{Actor, Store, StoreError};

use crate::pipeline::OpportunityPlan;
use crate::plan::{DealPlan, PartnerPlan, ProgramSlot, at, last_day};
use crate::room::Writer;
use crate::store_at;

/// The day the incentives are in force from (published that morning): the start of the
/// program year before the pipeline's first close, so every deal of the last 18 months is
/// paid under them, and the older history (closed under version 1, which paid nothing)
/// is not.
pub(crate) fn incentives_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default()
}

/// Days after its close a deal is cancelled inside the clawback window, and outside it.
const CANCEL_WITHIN_DAYS: i64 = 60;
const CANCEL_AFTER_DAYS: i64 = 150;
/// Days after its close an expansion is recorded.
const EXPAND_AFTER_DAYS: i64 = 120;
/// How many deals renew and expand.
const RENEWALS: usize = 4;
const EXPANSIONS: usize = 4;
/// The small expansion that stays below the minimum: about USD 2,000 of added ARR, in the
/// deal's currency (at most 15% of it is paid, USD 300, below every program's minimum).
const SMALL_EXPANSION_USD: i64 = 2_000;

/// Rates per tier rank (entry tier first) in basis points: resale margin, referral fee,
/// co-sell split, marketplace share, renewal share, expansion share.
type Rates = [[u32; 6]; 3];

/// The reseller program's economic model: 10/20/30% resale margin by tier, renewals at half.
const RESELLER: Rates = [
    [1000, 500, 800, 500, 500, 500],
    [2000, 800, 1200, 800, 1000, 1000],
    [3000, 1000, 1500, 1000, 1500, 1500],
];
/// The referral program's: a referral fee of about 10% (a registered deal the partner brought
/// and resold earns the same).
const REFERRAL: Rates = [
    [800, 800, 400, 300, 200, 400],
    [1000, 1000, 500, 400, 300, 500],
    [1200, 1200, 600, 500, 400, 600],
];
/// The technology alliance's: no resale margin; co-sell splits and marketplace shares.
const TECHNOLOGY: Rates = [
    [0, 300, 500, 400, 200, 300],
    [0, 400, 800, 600, 300, 500],
    [0, 500, 1000, 800, 500, 800],
];

/// The `[incentives]` section of a program whose ladder names `tiers` (entry tier first).
pub(crate) fn incentives(slot: ProgramSlot, tiers: &[String]) -> IncentivePolicy {
    let (rates, minimum_usd, accelerator_bp) = match slot {
        ProgramSlot::Reseller => (RESELLER, 1_000, 500),
        ProgramSlot::Referral => (REFERRAL, 500, 300),
        ProgramSlot::Technology => (TECHNOLOGY, 500, 500),
    };
    IncentivePolicy {
        payout_period: PayoutPeriod::Quarterly,
        minimum_payout_minor: minimum_usd * 100,
        clawback_days: 90,
        tiers: tiers
            .iter()
            .zip(rates.iter().chain(std::iter::repeat(&rates[2])))
            .map(|(name, r)| TierRates {
                tier: name.clone(),
                resale_margin_bp: r[0],
                referral_fee_bp: r[1],
                co_sell_split_bp: r[2],
                marketplace_bp: r[3],
                renewal_bp: r[4],
                renewal_years: 2,
                expansion_bp: r[5],
            })
            .collect(),
        accelerators: vec![Accelerator {
            kind: AcceleratorKind::JbpMilestone,
            extra_bp: accelerator_bp,
            at_least: 1,
        }],
    }
}

fn slot_rates(slot: ProgramSlot) -> Rates {
    match slot {
        ProgramSlot::Reseller => RESELLER,
        ProgramSlot::Referral => REFERRAL,
        ProgramSlot::Technology => TECHNOLOGY,
    }
}

/// Whether every tier of the program pays something on the route.
fn route_pays(slot: ProgramSlot, route: RouteKind) -> bool {
    let column = match route {
        RouteKind::Resale => 0,
        RouteKind::Referral => 1,
        RouteKind::CoSell => 2,
        RouteKind::CloudMarketplace => 3,
    };
    slot_rates(slot).iter().all(|r| r[column] > 0)
}

/// A won deal of the plan: a pipeline opportunity or the opportunity a past registration
/// opened (both by index into the plan's lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum DealRef {
    Pipeline(usize),
    Past(usize),
}

/// The opportunity ids of the written deals, in plan order.
pub(crate) struct DealIds<'a> {
    pub pipeline: &'a [String],
    pub past: &'a [String],
}

impl DealIds<'_> {
    fn get(&self, deal: DealRef) -> Option<&str> {
        match deal {
            DealRef::Pipeline(i) => self.pipeline.get(i),
            DealRef::Past(i) => self.past.get(i),
        }
        .map(String::as_str)
        .filter(|id| !id.is_empty())
    }
}

/// A renewal, expansion or cancellation to record on a won deal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RevenuePlan {
    pub deal: DealRef,
    pub kind: RevenueEventKind,
    pub on: NaiveDate,
    /// In the deal's currency; none for a cancellation.
    pub arr_minor: Option<i64>,
    pub note: &'static str,
}

/// A won partner deal that the incentives pay.
struct Won {
    deal: DealRef,
    partner: usize,
    program: ProgramSlot,
    route: RouteKind,
    closed_on: NaiveDate,
    currency: &'static str,
    amount_minor: i64,
}

fn quarter(day: NaiveDate) -> Period {
    period_of(day, PayoutPeriod::Quarterly)
}

/// The quarters that ended before the last day of the past, from the first the incentives
/// were in force.
pub(crate) fn past_quarters() -> Vec<Period> {
    let mut out = Vec::new();
    let mut q = quarter(incentives_from());
    while q.end < last_day() {
        let next = q.end + Duration::days(1);
        out.push(q);
        q = quarter(next);
    }
    out
}

/// An amount of USD as a round amount of `currency` (about today's rates).
fn usd_in(currency: &str, usd: i64) -> i64 {
    match currency {
        "EUR" => usd * 87,
        "GBP" => usd * 76,
        "CHF" => usd * 81,
        "JPY" => usd * 150,
        _ => usd * 100,
    }
}

/// Chooses the revenue events (see the module documentation) among the won partner deals
/// of the pipeline and of the past registrations (those open a resale deal in the program's
/// currency, USD).
pub(crate) fn plan_revenue(
    pipeline: &[OpportunityPlan],
    deals: &[DealPlan],
    partners: &[PartnerPlan],
) -> Vec<RevenuePlan> {
    let last = last_day() - Duration::days(7);
    let opened = pipeline.iter().enumerate().filter_map(|(i, o)| {
        let close = o.close.as_ref().filter(|c| c.won)?;
        (o.source != OpportunitySource::Direct).then_some(Won {
            deal: DealRef::Pipeline(i),
            partner: o.partner?,
            program: o.program,
            route: o.route?,
            closed_on: close.at.date_naive(),
            currency: o.currency,
            amount_minor: o.amount_minor,
        })
    });
    let registered = deals
        .iter()
        .enumerate()
        .filter(|(_, d)| d.won)
        .map(|(i, d)| Won {
            deal: DealRef::Past(i),
            partner: d.partner,
            program: partners
                .get(d.partner)
                .map_or(ProgramSlot::Reseller, |p| p.program),
            route: RouteKind::Resale,
            closed_on: d.closed_at.date_naive(),
            currency: "USD",
            amount_minor: d.amount_minor,
        });
    let all: Vec<Won> = opened.chain(registered).collect();
    // The quarters in which each partner closed a deal (and so has lines of its own).
    let mut active: HashMap<usize, BTreeSet<String>> = HashMap::new();
    for w in &all {
        active
            .entry(w.partner)
            .or_default()
            .insert(quarter(w.closed_on).label);
    }
    let mut won: Vec<Won> = all
        .into_iter()
        .filter(|w| w.closed_on >= incentives_from())
        .collect();
    won.sort_by_key(|w| (w.closed_on, w.deal));
    let quarters = past_quarters();
    let mut out = Vec::new();
    let mut used: BTreeSet<DealRef> = BTreeSet::new();

    // Below the minimum: a small expansion in a quarter the partner closes nothing in. Not
    // the demo partner's (index 0), whose last quarter carries the dispute.
    let mut reserved = None;
    'small: for w in won.iter().filter(|w| w.partner != 0) {
        let closed_in = quarter(w.closed_on);
        for q in quarters.iter().filter(|q| q.start > closed_in.end) {
            let on = q.start + Duration::days(14);
            if on > last || active.get(&w.partner).is_some_and(|a| a.contains(&q.label)) {
                continue;
            }
            out.push(RevenuePlan {
                deal: w.deal,
                kind: RevenueEventKind::Expansion,
                on,
                arr_minor: Some(usd_in(w.currency, SMALL_EXPANSION_USD)),
                note: "Added a few seats mid-term",
            });
            used.insert(w.deal);
            reserved = Some(w.partner);
            break 'small;
        }
    }
    let free =
        |w: &Won, used: &BTreeSet<DealRef>| !used.contains(&w.deal) && Some(w.partner) != reserved;

    // A cancellation inside the clawback window, on a deal that earned something whatever
    // the partner's tier, landing in the next quarter, one in which the partner closes other
    // deals (so the clawback is netted on a statement it is paid, not carried alone).
    let mut clawed = None;
    if let Some(w) = won.iter().find(|w| {
        let on = w.closed_on + Duration::days(CANCEL_WITHIN_DAYS);
        free(w, &used)
            && on <= last
            && quarter(on).label != quarter(w.closed_on).label
            && active
                .get(&w.partner)
                .is_some_and(|a| a.contains(&quarter(on).label))
            && route_pays(w.program, w.route)
    }) {
        out.push(RevenuePlan {
            deal: w.deal,
            kind: RevenueEventKind::Cancellation,
            on: w.closed_on + Duration::days(CANCEL_WITHIN_DAYS),
            arr_minor: None,
            note: "The customer cancelled within the trial period",
        });
        used.insert(w.deal);
        clawed = Some(w.partner);
    }
    // One outside it, another partner's: nothing is taken back.
    if let Some(w) = won.iter().find(|w| {
        free(w, &used)
            && Some(w.partner) != clawed
            && w.closed_on + Duration::days(CANCEL_AFTER_DAYS) <= last
            && route_pays(w.program, w.route)
    }) {
        out.push(RevenuePlan {
            deal: w.deal,
            kind: RevenueEventKind::Cancellation,
            on: w.closed_on + Duration::days(CANCEL_AFTER_DAYS),
            arr_minor: None,
            note: "The customer moved to a competitor after the first months",
        });
        used.insert(w.deal);
    }
    // Renewals: the earliest deals whose first anniversary has passed, 5% up.
    let renewing: Vec<DealRef> = won
        .iter()
        .filter(|w| free(w, &used) && w.closed_on + Duration::days(365) <= last)
        .take(RENEWALS)
        .map(|w| w.deal)
        .collect();
    for w in won.iter().filter(|w| renewing.contains(&w.deal)) {
        out.push(RevenuePlan {
            deal: w.deal,
            kind: RevenueEventKind::Renewal,
            on: w.closed_on + Duration::days(365),
            arr_minor: Some(w.amount_minor + w.amount_minor / 20),
            note: "Renewed for a second year with a 5% uplift",
        });
        used.insert(w.deal);
    }
    // Expansions: a quarter more ARR, 120 days in, on the latest deals that have had time to.
    let expanding: Vec<DealRef> = won
        .iter()
        .rev()
        .filter(|w| free(w, &used) && w.closed_on + Duration::days(EXPAND_AFTER_DAYS) <= last)
        .take(EXPANSIONS)
        .map(|w| w.deal)
        .collect();
    for w in won.iter().filter(|w| expanding.contains(&w.deal)) {
        out.push(RevenuePlan {
            deal: w.deal,
            kind: RevenueEventKind::Expansion,
            on: w.closed_on + Duration::days(EXPAND_AFTER_DAYS),
            arr_minor: Some(w.amount_minor / 4),
            note: "Expanded to a second business unit",
        });
        used.insert(w.deal);
    }
    out.sort_by_key(|r| (r.on, r.deal));
    out
}

/// What writing the payouts made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PayoutsWritten {
    pub revenue_events: usize,
    pub lines: usize,
    pub statements: usize,
}

/// The users who act: the administrator publishes, finance records revenue and pays, the
/// channel manager approves and answers disputes, a partner's admin disputes.
pub(crate) struct Staff<'a> {
    pub admin: &'a Writer,
    pub finance: &'a Writer,
    pub channel: &'a Writer,
}

/// Writes the payouts. `programs` are the seeded programs' ids by slot; `demo_partner` the
/// id of the demo partner.
pub(crate) async fn create_payouts(
    store: &Store,
    programs: &[(ProgramSlot, String)],
    revenue: &[RevenuePlan],
    deal_ids: &DealIds<'_>,
    staff: &Staff<'_>,
    writers: &HashMap<String, Writer>,
    demo_partner: Option<&str>,
) -> Result<PayoutsWritten, StoreError> {
    let published = store_at(store, at(incentives_from(), 9));
    let admin = staff.admin.actor();
    for (slot, id) in programs {
        let mut policy = store.program_policy(&Scope::Vendor, id).await?.policy;
        let tiers: Vec<String> = policy.tiers.iter().map(|t| t.name.clone()).collect();
        policy.incentives = incentives(*slot, &tiers);
        published
            .publish_policy(
                &admin,
                id,
                &policy.to_toml(),
                "Incentives for the new program year: resale margin, referral fee, co-sell \
                 split and marketplace share rising with the tier, a joint-business-plan \
                 accelerator, renewals paid for two years, expansions, a 90-day clawback and \
                 quarterly statements above a minimum.",
                &partnerops_store::etag::Precondition::None,
            )
            .await?;
    }

    let finance = staff.finance.actor();
    for r in revenue {
        let Some(id) = deal_ids.get(r.deal) else {
            continue;
        };
        let input = RevenueEventInput {
            kind: Some(r.kind.as_str().to_owned()),
            occurred_on: Some(r.on.to_string()),
            arr_minor: r.arr_minor,
            note: Some(r.note.to_owned()),
        };
        store_at(store, at(r.on, 10))
            .record_revenue_event(&finance, id, &input)
            .await?;
    }
    let accrued = store.accrue_payouts().await?;

    let channel = staff.channel.actor();
    let quarters = past_quarters();
    let mut statements = 0;
    for (k, q) in quarters.iter().enumerate() {
        let day = |days: i64| at(q.end + Duration::days(days), 10);
        let run = RunStatementsInput {
            period_of: Some(q.end.to_string()),
        };
        let drawn = store_at(store, day(3))
            .draw_up_statements(&finance, &run)
            .await?;
        statements += drawn.issued + drawn.rolled_over;
        let issued: Vec<Statement> = of_period(store, &q.label)
            .await?
            .into_iter()
            .filter(|s| s.state == StatementState::Issued)
            .collect();
        let from_end = quarters.len() - k;
        if from_end == 1 {
            // Under review: the demo partner's admin (or the first partner's) disputes the
            // largest line of its statement.
            let chosen = issued
                .iter()
                .find(|s| Some(s.partner_id.as_str()) == demo_partner)
                .or(issued.first());
            if let Some(s) = chosen {
                dispute(
                    store_at(store, day(8)),
                    s,
                    writers,
                    "The deal's ARR on this line is the first-year list price; the customer \
                     signed at a higher amount. Please check the order form.",
                )
                .await?;
            }
            continue;
        }
        // The quarter before last: one dispute rejected, everything approved, the first half
        // (by partner name) paid. Older quarters: approved and paid.
        if from_end == 2
            && let Some(s) = issued.first()
            && let Some(dispute_id) = dispute(
                store_at(store, day(6)),
                s,
                writers,
                "This line uses our old tier; we were promoted before the deal closed.",
            )
            .await?
        {
            store_at(store, day(8))
                .resolve_line_dispute(
                    &channel,
                    &dispute_id,
                    &ResolveInput {
                        outcome: Some("rejected".into()),
                        resolution: Some(
                            "The promotion took effect after the close; the line uses the tier \
                             in force on the close date."
                                .into(),
                        ),
                        corrected_minor: None,
                    },
                )
                .await?;
        }
        let paying = if from_end == 2 {
            issued.len().div_ceil(2)
        } else {
            issued.len()
        };
        for (n, s) in issued.iter().enumerate() {
            store_at(store, day(10))
                .approve_statement(&channel, s.id.as_str())
                .await?;
            if n < paying {
                let reference = format!("ACH-{}-{:04}", q.label.replace('-', ""), n + 1);
                store_at(store, day(20))
                    .pay_statement(
                        &finance,
                        s.id.as_str(),
                        &PayInput {
                            reference: Some(reference),
                        },
                    )
                    .await?;
            }
        }
    }
    Ok(PayoutsWritten {
        revenue_events: revenue.len(),
        lines: accrued.lines,
        statements,
    })
}

/// The statements of a period, by partner name.
async fn of_period(store: &Store, period: &str) -> Result<Vec<Statement>, StoreError> {
    let filter = StatementFilter {
        period: Some(period.to_owned()),
        ..Default::default()
    };
    let mut out = BTreeMap::new();
    let mut cursor = None;
    loop {
        let params = PageParams {
            limit: Some("200".into()),
            cursor,
            sort: None,
        };
        let page = PageRequest::parse(&params, &Store::statement_sorts())?;
        let got = store.statements(&Scope::Vendor, &filter, &page).await?;
        for s in got.items {
            out.insert((s.partner_name.clone(), s.id.to_string()), s);
        }
        cursor = got.next_cursor;
        if cursor.is_none() {
            return Ok(out.into_values().collect());
        }
    }
}

/// The partner's admin disputes the largest line of `s`; the dispute's id, or none when the
/// partner has no admin.
async fn dispute(
    store: Store,
    s: &Statement,
    writers: &HashMap<String, Writer>,
    comment: &str,
) -> Result<Option<String>, StoreError> {
    let mut admins: Vec<(&String, &Writer)> = writers
        .iter()
        .filter(|(_, w)| {
            w.role == Role::PartnerAdmin && w.partner_id.as_deref() == Some(s.partner_id.as_str())
        })
        .collect();
    admins.sort_by_key(|(email, _)| *email);
    let Some((_, admin)) = admins.first() else {
        return Ok(None);
    };
    let actor: Actor = admin.actor();
    let detail = store.statement(&actor.scope(), s.id.as_str()).await?;
    let Some(line) = detail
        .lines
        .iter()
        .rev()
        .max_by_key(|l| l.statement_amount.amount_minor)
    else {
        return Ok(None);
    };
    let input = DisputeInput {
        line_id: Some(line.id.to_string()),
        comment: Some(comment.to_owned()),
    };
    let after = store
        .dispute_statement_line(&actor, s.id.as_str(), &input)
        .await?;
    Ok(after
        .disputes
        .iter()
        .find(|d| d.line_id == line.id)
        .map(|d| d.id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeedSpec;
    use crate::plan::Plan;

    #[test]
    fn the_incentives_are_valid_for_the_default_ladder() {
        let tiers: Vec<String> = ["Registered", "Select", "Premier"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let names: Vec<&str> = tiers.iter().map(String::as_str).collect();
        for slot in ProgramSlot::ALL {
            let p = incentives(slot, &tiers);
            p.validate(&names).unwrap();
            // Each tier earns more than the one below on the program's main route.
            let main = match slot {
                ProgramSlot::Reseller => RouteKind::Resale,
                ProgramSlot::Referral => RouteKind::Referral,
                ProgramSlot::Technology => RouteKind::CoSell,
            };
            assert!(
                p.tiers
                    .windows(2)
                    .all(|w| w[0].route_bp(main) < w[1].route_bp(main))
            );
        }
    }

    #[test]
    fn past_quarters_run_from_the_incentives_to_the_last_day() {
        let q = past_quarters();
        assert_eq!(q.first().unwrap().label, "2025-Q1");
        assert_eq!(q.last().unwrap().label, "2026-Q3");
        assert_eq!(q.len(), 7);
    }

    #[test]
    fn the_demo_records_every_kind_of_revenue_event() {
        let plan = Plan::new(&SeedSpec::demo());
        let revenue = plan_revenue(&plan.pipeline, &plan.deals, &plan.partners);
        let count = |k: RevenueEventKind| revenue.iter().filter(|r| r.kind == k).count();
        assert_eq!(count(RevenueEventKind::Renewal), RENEWALS);
        assert_eq!(count(RevenueEventKind::Expansion), EXPANSIONS + 1);
        assert_eq!(count(RevenueEventKind::Cancellation), 2);
        // Each deal gets one event, after its close and before the last day of the past.
        let deals: BTreeSet<DealRef> = revenue.iter().map(|r| r.deal).collect();
        assert_eq!(deals.len(), revenue.len());
        let closed_on = |d: DealRef| match d {
            DealRef::Pipeline(i) => {
                let c = plan.pipeline[i].close.as_ref().unwrap();
                assert!(c.won);
                c.at.date_naive()
            }
            DealRef::Past(i) => {
                assert!(plan.deals[i].won);
                plan.deals[i].closed_at.date_naive()
            }
        };
        for r in &revenue {
            let closed = closed_on(r.deal);
            assert!(closed >= incentives_from(), "{r:?}");
            assert!(r.on > closed && r.on < last_day(), "{r:?}");
        }
        // One cancellation inside the window, in the quarter after the close.
        let within: Vec<&RevenuePlan> = revenue
            .iter()
            .filter(|r| {
                r.kind == RevenueEventKind::Cancellation
                    && (r.on - closed_on(r.deal)).num_days() <= 90
            })
            .collect();
        assert_eq!(within.len(), 1);
        assert_ne!(
            quarter(within[0].on).label,
            quarter(closed_on(within[0].deal)).label
        );
        assert_eq!(
            revenue,
            plan_revenue(&plan.pipeline, &plan.deals, &plan.partners)
        );
    }
}
