//! The demo's pipeline: the dated currency-rate table and opportunities with 18 months of
//! history, drawn as part of the plan (pure, from their own RNG stream) and written through
//! the store with its clock set to when each thing happened.
//!
//! Every opportunity is created in the past, moves along the program's stages at the pace
//! of a real sales cycle, and (for about half of those older than three months) closes won
//! or lost with a reason from the program's list. Direct deals sit on accounts that direct
//! sales own; partner-sourced and partner-influenced ones on accounts nobody owns, in the
//! partner's country where there is one. Amounts are in the customer's currency (EUR, GBP,
//! CHF, JPY or USD), so the board and forecast convert; touchpoints of every kind come from
//! the partner on the deal and sometimes from a second partner of the same program, and a
//! few are logged after the close (kept, marked late). The first six opportunities end in
//! the six columns of the board, so even a small test seed fills every column.

use std::collections::{HashMap, HashSet};
use std::f64::consts::TAU;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use partnerops_core::partner::{PartnerStatus, PartnerType};
use partnerops_core::pipeline::policy::PipelinePolicy;
use partnerops_core::pipeline::record::{
    CloseOpportunityInput, MarketplaceKind, MoveInput, OpportunityInput, OpportunityPatch,
    OpportunitySource, RouteKind,
};
use partnerops_core::pipeline::touchpoint::{TouchpointInput, TouchpointKind};
use partnerops_store::{Actor, Store, StoreError};
use rand::RngExt;
use rand::rngs::StdRng;

use crate::plan::{AccountPlan, PartnerPlan, ProgramSlot, at, base_date, last_day, pick, weighted};
use crate::{DEAL_PRODUCTS, store_at};

/// How many months of rates the table holds before the demo's base month.
const FX_MONTHS: u32 = 18;

/// Opportunities are created at most this many days before the last day of the past.
const HISTORY_DAYS: i64 = 540;

/// One month's rates into USD, effective on the first of the month.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FxMonth {
    pub effective_on: NaiveDate,
    /// (from currency, rate as a decimal string).
    pub rates: Vec<(&'static str, String)>,
}

/// A deal's close.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ClosePlan {
    pub at: DateTime<Utc>,
    pub won: bool,
    /// One of the program's lost reasons, for a lost deal.
    pub lost_reason: Option<&'static str>,
}

/// A touchpoint: whose, what, when it happened and when it was logged.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TouchpointPlan {
    /// Index into [`crate::plan::Plan::partners`].
    pub partner: usize,
    pub kind: TouchpointKind,
    pub occurred_at: DateTime<Utc>,
    /// Equal to `occurred_at` except for the late ones, logged after the close.
    pub logged_at: DateTime<Utc>,
    pub notes: &'static str,
}

/// One opportunity and everything that happened to it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OpportunityPlan {
    pub program: ProgramSlot,
    /// Index into [`crate::plan::Plan::accounts`].
    pub account: usize,
    /// The partner that brought or influenced it (index into the plan's partners).
    pub partner: Option<usize>,
    pub source: OpportunitySource,
    pub route: Option<RouteKind>,
    pub marketplace: Option<MarketplaceKind>,
    pub title: String,
    pub amount_minor: i64,
    pub currency: &'static str,
    pub expected_close_on: NaiveDate,
    /// E-mail of the vendor-side owner (channel manager or a direct sales rep).
    pub vendor_owner: Option<String>,
    /// E-mail of the partner-side owner (a user of `partner`).
    pub partner_owner: Option<String>,
    pub next_step: &'static str,
    pub created_at: DateTime<Utc>,
    /// Stage moves in time order: (when, open stage key).
    pub moves: Vec<(DateTime<Utc>, String)>,
    /// The next step written after the last move, for a deal still open.
    pub later_step: Option<(DateTime<Utc>, &'static str)>,
    pub close: Option<ClosePlan>,
    pub touchpoints: Vec<TouchpointPlan>,
}

/// How many opportunities a spec gets: three per partner, at most one per five accounts
/// (the demo: 180; a small test seed: 8).
pub(crate) fn opportunity_count(partners: usize, accounts: usize) -> usize {
    (partners * 3).min(accounts / 5)
}

/// The rate table: the first of each month over the [`FX_MONTHS`] months before the base
/// month and the base month itself, from EUR, GBP, CHF and JPY into USD (every demo
/// program's currency). The values
/// wander smoothly within the ranges these rates moved in during 2025–2026.
pub(crate) fn plan_fx(rng: &mut StdRng) -> Vec<FxMonth> {
    // (currency, low, high, decimals)
    const RANGES: [(&str, f64, f64, usize); 4] = [
        ("EUR", 1.08, 1.18, 4),
        ("GBP", 1.26, 1.36, 4),
        ("CHF", 1.12, 1.26, 4),
        ("JPY", 0.0063, 0.0071, 6),
    ];
    let phases: Vec<f64> = RANGES.iter().map(|_| rng.random_range(0.0..TAU)).collect();
    let first = first_of_month(base_date(), -(FX_MONTHS as i32));
    (0..=FX_MONTHS)
        .map(|k| {
            let effective_on = first_of_month(first, k as i32);
            let rates = RANGES
                .iter()
                .zip(&phases)
                .map(|(&(code, low, high, decimals), phase)| {
                    // A slow swing over the whole period plus a small monthly wobble.
                    let t = f64::from(k) / f64::from(FX_MONTHS);
                    let swing = 0.5 + 0.35 * (TAU * 0.6 * t + phase).sin();
                    let wobble = rng.random_range(-0.08..0.08);
                    let x = (swing + wobble).clamp(0.02, 0.98);
                    (code, format!("{:.*}", decimals, low + (high - low) * x))
                })
                .collect();
            FxMonth {
                effective_on,
                rates,
            }
        })
        .collect()
}

/// The first day of the month `months` after (or before) the month of `day`.
fn first_of_month(day: NaiveDate, months: i32) -> NaiveDate {
    let index = day.year() * 12 + day.month0() as i32 + months;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or(day)
}

/// The currency a customer in `country` buys in.
fn currency_of(country: &str) -> &'static str {
    match country {
        "DE" | "AT" | "FR" | "NL" | "ES" | "IT" | "IE" => "EUR",
        "GB" => "GBP",
        "CH" => "CHF",
        "JP" => "JPY",
        _ => "USD",
    }
}

/// An ARR in USD as a round amount in `currency`'s minor units (at about the rates above).
fn local_minor(usd: i64, currency: &str) -> i64 {
    let (per_usd, step, minor) = match currency {
        "EUR" => (0.87, 500.0, 100),
        "GBP" => (0.76, 500.0, 100),
        "CHF" => (0.81, 500.0, 100),
        "JPY" => (150.0, 10_000.0, 1),
        _ => (1.0, 500.0, 100),
    };
    let local = ((usd as f64 * per_usd) / step).round().max(1.0) * step;
    local as i64 * minor
}

/// Where a deal ends: in an open stage (its index), won, or lost after reaching a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Open(usize),
    Won,
    Lost(usize),
}

const LOST_REASONS: [(&str, u32); 5] = [
    ("lost to competitor", 35),
    ("no decision", 25),
    ("no budget", 20),
    ("timing", 15),
    ("other", 5),
];

const MOTIONS: [&str; 6] = [
    "rollout",
    "expansion",
    "pilot",
    "migration",
    "enterprise agreement",
    "upgrade",
];

/// What the owner does next, per open stage.
const NEXT_STEPS: [[&str; 2]; 4] = [
    [
        "Research the account and find the economic buyer",
        "Book a discovery call with the IT director",
    ],
    [
        "Run the product demo for the buying committee",
        "Agree the success criteria of a pilot",
    ],
    [
        "Send the commercial offer and pricing",
        "Negotiate terms with procurement",
    ],
    [
        "Hand over to the implementation team",
        "Countersign the order form",
    ],
];

/// Days a deal typically spends in each open stage (low, high).
const DWELL_DAYS: [(i64, i64); 4] = [(7, 30), (10, 40), (14, 45), (7, 25)];

/// The stages of the seed's pipeline policy (every demo program uses it), first first.
fn stage_keys() -> Vec<String> {
    PipelinePolicy::default()
        .stages
        .into_iter()
        .map(|s| s.key)
        .collect()
}

/// Draws the opportunities. `used` are accounts other records of the plan already work
/// (past deals, live registrations); `sales_reps` are the direct sales reps' e-mails in the
/// order account owners index them; `channel` is the channel manager's e-mail.
pub(crate) fn plan_pipeline(
    rng: &mut StdRng,
    partners: &[PartnerPlan],
    accounts: &[AccountPlan],
    used: &HashSet<usize>,
    sales_reps: &[String],
    channel: &str,
) -> Vec<OpportunityPlan> {
    let n = opportunity_count(partners.len(), accounts.len());
    if n == 0 || sales_reps.is_empty() {
        return Vec::new();
    }
    let stages = stage_keys();
    let limit = at(last_day(), 17);
    let active: Vec<usize> = (0..partners.len())
        .filter(|&i| partners[i].status == PartnerStatus::Active)
        .collect();
    // Accounts direct sales own, and those nobody owns by country, each used once.
    let mut owned: Vec<usize> = (0..accounts.len())
        .filter(|i| !used.contains(i) && accounts[*i].owner.is_some())
        .collect();
    let mut free_by_country: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut free: Vec<usize> = Vec::new();
    for (i, a) in accounts.iter().enumerate() {
        if !used.contains(&i) && a.owner.is_none() {
            free_by_country.entry(a.country).or_default().push(i);
            free.push(i);
        }
    }
    owned.reverse();
    free.reverse();
    let mut taken: HashSet<usize> = HashSet::new();

    let forced = [
        Outcome::Open(0),
        Outcome::Open(1),
        Outcome::Open(2),
        Outcome::Open(3),
        Outcome::Won,
        Outcome::Lost(2),
    ];
    let mut marketplaces = [
        MarketplaceKind::Aws,
        MarketplaceKind::Azure,
        MarketplaceKind::GoogleCloud,
    ]
    .into_iter()
    .cycle();
    let mut extra_kinds = TouchpointKind::ALL.iter().copied().cycle();
    let mut partner_deals = 0usize;
    let mut closed = 0usize;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // Who brought it.
        let mut source = match rng.random_range(0..100) {
            0..30 => OpportunitySource::Direct,
            30..75 => OpportunitySource::PartnerSourced,
            _ => OpportunitySource::PartnerInfluenced,
        };
        if active.is_empty() {
            source = OpportunitySource::Direct;
        }
        let partner = (source != OpportunitySource::Direct).then(|| {
            partner_deals += 1;
            // The demo partner gets a steady share so its portal has a pipeline.
            if partner_deals % 7 == 1 && active.first() == Some(&0) {
                0
            } else {
                active[weighted(
                    rng,
                    active
                        .iter()
                        .map(|&p| (partners[p].tier_rank * partners[p].tier_rank) as u32),
                )]
            }
        });
        let program = match partner {
            Some(p) => partners[p].program,
            None => ProgramSlot::ALL[weighted(rng, [70u32, 15, 15].into_iter())],
        };
        // Which account: for a partner deal one nobody owns, in the partner's country if
        // possible; for a direct one an account direct sales own. When those run out (small
        // seeds), the other kind.
        let account = match partner {
            Some(p) => free_by_country
                .get_mut(partners[p].country)
                .and_then(|list| take_free(list, &taken))
                .or_else(|| take_free(&mut free, &taken))
                .or_else(|| take_free(&mut owned, &taken)),
            None => take_free(&mut owned, &taken).or_else(|| take_free(&mut free, &taken)),
        };
        let Some(account) = account else { break };
        taken.insert(account);
        // How it reaches the customer.
        let partner_type = partner.map(|p| partners[p].partner_type);
        let route = draw_route(rng, source, program, partner_type);
        let marketplace = (route == Some(RouteKind::CloudMarketplace))
            .then(|| marketplaces.next())
            .flatten();
        // Money.
        let currency = currency_of(accounts[account].country);
        let mut usd = 8_000 + 1_000 * rng.random_range(0..=52i64);
        if rng.random_range(0..100) < 15 {
            usd *= 3;
        }
        let product = DEAL_PRODUCTS[rng.random_range(0..DEAL_PRODUCTS.len())];
        let title = format!("{product} {}", pick(rng, &MOTIONS));
        // When, and how it ends.
        let outcome = match forced.get(i) {
            Some(o) => *o,
            None => Outcome::Open(usize::MAX),
        };
        let days_ago = match outcome {
            Outcome::Won | Outcome::Lost(_) => rng.random_range(120..=HISTORY_DAYS),
            Outcome::Open(k) if k != usize::MAX => rng.random_range(10..=150),
            // Recent deals are more numerous than old ones: a growing pipeline.
            _ => {
                let u: f64 = rng.random_range(0.0..1.0);
                3 + (u.powf(1.3) * (HISTORY_DAYS - 3) as f64) as i64
            }
        };
        let outcome = match outcome {
            Outcome::Open(usize::MAX) => draw_outcome(rng, days_ago, &mut closed),
            o => o,
        };
        let created_at = at(
            last_day() - Duration::days(days_ago),
            9 + rng.random_range(0..8),
        ) + Duration::minutes(rng.random_range(0..60));
        let (moves, close) = timeline(rng, &stages, outcome, created_at, limit);
        let current = match outcome {
            Outcome::Open(k) => k,
            Outcome::Won => 3,
            Outcome::Lost(r) => r,
        };
        let expected_close_on = match outcome {
            Outcome::Open(k) => {
                let (lo, hi) = [(60, 200), (40, 170), (20, 130), (5, 75)][k.min(3)];
                base_date() + Duration::days(rng.random_range(lo..=hi))
            }
            _ => (created_at + Duration::days(rng.random_range(45..=150))).date_naive(),
        };
        let later_step = match (outcome, moves.last()) {
            (Outcome::Open(k), Some((t, _))) => {
                Some((*t + Duration::hours(2), *pick(rng, &NEXT_STEPS[k.min(3)])))
            }
            _ => None,
        };
        let next_step = *pick(rng, &NEXT_STEPS[0]);
        // Owners.
        let vendor_owner = match source {
            OpportunitySource::Direct => Some(
                accounts[account]
                    .owner
                    .and_then(|o| sales_reps.get(o))
                    .unwrap_or(&sales_reps[i % sales_reps.len()])
                    .clone(),
            ),
            OpportunitySource::PartnerSourced => match rng.random_range(0..100) {
                0..55 => Some(channel.to_owned()),
                55..90 => Some(pick(rng, sales_reps).clone()),
                _ => None,
            },
            OpportunitySource::PartnerInfluenced => Some(pick(rng, sales_reps).clone()),
        };
        let partner_owner = partner.and_then(|p| {
            (rng.random_range(0..100) < 85).then(|| pick(rng, &partners[p].users).email.clone())
        });
        // Influence.
        let end = close.as_ref().map_or(limit, |c| c.at);
        let mut touchpoints = Vec::new();
        if let Some(p) = partner {
            let first = match route {
                Some(RouteKind::Referral) => TouchpointKind::Referral,
                Some(RouteKind::CloudMarketplace) => TouchpointKind::MarketplaceListing,
                _ if source == OpportunitySource::PartnerInfluenced => {
                    *pick(rng, &[TouchpointKind::Event, TouchpointKind::CampaignLead])
                }
                _ => TouchpointKind::Introduction,
            };
            let t = created_at + Duration::minutes(rng.random_range(30..=2 * 24 * 60));
            push_touch(&mut touchpoints, p, first, t, end);
            if current >= 1 && rng.random_range(0..100) < 70 {
                let t = moves.first().map_or(t, |(m, _)| *m) + Duration::hours(20);
                push_touch(&mut touchpoints, p, TouchpointKind::Demo, t, end);
            }
            if current >= 2 && rng.random_range(0..100) < 40 {
                let t = moves.get(1).map_or(t, |(m, _)| *m) + Duration::hours(30);
                push_touch(
                    &mut touchpoints,
                    p,
                    TouchpointKind::TechnicalValidation,
                    t,
                    end,
                );
            }
        }
        // A second partner of the program influenced some deals.
        let influence_share = if partner.is_some() { 30 } else { 20 };
        let others: Vec<usize> = active
            .iter()
            .copied()
            .filter(|&o| Some(o) != partner && partners[o].program == program)
            .collect();
        if !others.is_empty() && rng.random_range(0..100) < influence_share {
            let o = *pick(rng, &others);
            let span = (end - created_at).num_minutes().max(120);
            let t = created_at + Duration::minutes(rng.random_range(60..span));
            let kind = extra_kinds.next().unwrap_or(TouchpointKind::Event);
            push_touch(&mut touchpoints, o, kind, t, end);
        }
        // A few are logged after the close: kept, marked late.
        if let Some(c) = &close
            && !touchpoints.is_empty()
            && rng.random_range(0..100) < 12
        {
            let logged_at = c.at + Duration::days(rng.random_range(1..=20));
            if logged_at < limit {
                let who = touchpoints[touchpoints.len() - 1].partner;
                touchpoints.push(TouchpointPlan {
                    partner: who,
                    kind: TouchpointKind::Event,
                    occurred_at: c.at - Duration::hours(rng.random_range(2..=72)),
                    logged_at,
                    notes: "Logged after the close: customer reference call at the partner's event",
                });
            }
        }
        out.push(OpportunityPlan {
            program,
            account,
            partner,
            source,
            route,
            marketplace,
            title,
            amount_minor: local_minor(usd, currency),
            currency,
            expected_close_on,
            vendor_owner,
            partner_owner,
            next_step,
            created_at,
            moves,
            later_step,
            close,
            touchpoints,
        });
    }
    out
}

/// The next account of `list` not taken yet (the list is consumed from its end).
fn take_free(list: &mut Vec<usize>, taken: &HashSet<usize>) -> Option<usize> {
    while let Some(a) = list.pop() {
        if !taken.contains(&a) {
            return Some(a);
        }
    }
    None
}

/// Where a deal created `days_ago` stands now: younger than three months, open; older,
/// closed about half the time, else open and further along. `closed` counts the closes
/// drawn so far: 3 of every 8 are won (37.5%), spread evenly.
fn draw_outcome(rng: &mut StdRng, days_ago: i64, closed: &mut usize) -> Outcome {
    if days_ago < 90 {
        return Outcome::Open(weighted(rng, [30u32, 30, 25, 15].into_iter()));
    }
    if rng.random_range(0..100) < 50 {
        *closed += 1;
        if (*closed * 3) / 8 != ((*closed - 1) * 3) / 8 {
            Outcome::Won
        } else {
            Outcome::Lost(weighted(rng, [20u32, 35, 30, 15].into_iter()))
        }
    } else {
        Outcome::Open(weighted(rng, [15u32, 30, 30, 25].into_iter()))
    }
}

/// The route of a deal: direct deals mostly have none (some go through a marketplace
/// private offer); partners resell, refer or co-sell as their program and type suggest.
fn draw_route(
    rng: &mut StdRng,
    source: OpportunitySource,
    program: ProgramSlot,
    partner_type: Option<PartnerType>,
) -> Option<RouteKind> {
    use RouteKind::*;
    let r = rng.random_range(0..100);
    match (source, program) {
        (OpportunitySource::Direct, _) => (r < 25).then_some(CloudMarketplace),
        (_, ProgramSlot::Referral) => Some(Referral),
        (_, ProgramSlot::Technology) => Some(if r < 60 { CoSell } else { CloudMarketplace }),
        _ if partner_type == Some(PartnerType::Marketplace) => Some(CloudMarketplace),
        (OpportunitySource::PartnerSourced, ProgramSlot::Reseller) => Some(match r {
            0..65 => Resale,
            65..85 => CoSell,
            _ => CloudMarketplace,
        }),
        (_, ProgramSlot::Reseller) => Some(match r {
            0..50 => CoSell,
            50..75 => Referral,
            _ => CloudMarketplace,
        }),
    }
}

/// The stage moves and close of a deal created at `created` that ends at `outcome`: each
/// stage lasts a typical time; an open deal's moves are spread up to a few weeks before
/// `limit` (a long cycle is stretched, one that would run past `limit` squeezed), a closed
/// deal's path squeezed when it would run past `limit`.
fn timeline(
    rng: &mut StdRng,
    stages: &[String],
    outcome: Outcome,
    created: DateTime<Utc>,
    limit: DateTime<Utc>,
) -> (Vec<(DateTime<Utc>, String)>, Option<ClosePlan>) {
    let (reached, closes) = match outcome {
        Outcome::Open(k) => (k, false),
        Outcome::Won => (stages.len() - 1, true),
        Outcome::Lost(r) => (r, true),
    };
    let reached = reached.min(stages.len().saturating_sub(1));
    // Minutes from creation to each move, then to the close.
    let mut offsets = Vec::new();
    let mut total = 0i64;
    for dwell in DWELL_DAYS.iter().take(reached + usize::from(closes)) {
        total += rng.random_range(dwell.0..=dwell.1) * 24 * 60 + rng.random_range(0..8 * 60);
        offsets.push(total);
    }
    let room = (limit - created).num_minutes() - 24 * 60;
    let end = if closes {
        total.min(room)
    } else {
        // Open: the last move some days before the end of the past.
        (room - rng.random_range(2..=40) * 24 * 60).max(room / 2)
    };
    let scale = if total > 0 {
        end as f64 / total as f64
    } else {
        1.0
    };
    let scale = if closes { scale.min(1.0) } else { scale };
    let times: Vec<DateTime<Utc>> = offsets
        .iter()
        .map(|&o| created + Duration::minutes(((o as f64) * scale) as i64 + 1))
        .collect();
    let moves = stages
        .iter()
        .skip(1)
        .take(reached)
        .zip(&times)
        .map(|(s, t)| (*t, s.clone()))
        .collect();
    let close = closes.then(|| {
        let won = outcome == Outcome::Won;
        ClosePlan {
            at: times.last().copied().unwrap_or(created) + Duration::hours(1),
            won,
            lost_reason: (!won)
                .then(|| LOST_REASONS[weighted(rng, LOST_REASONS.iter().map(|(_, w)| *w))].0),
        }
    });
    (moves, close)
}

/// Adds a touchpoint at `t` if it falls before `end` (the close, or the end of the past).
fn push_touch(
    out: &mut Vec<TouchpointPlan>,
    partner: usize,
    kind: TouchpointKind,
    t: DateTime<Utc>,
    end: DateTime<Utc>,
) {
    if t < end - Duration::minutes(30) {
        out.push(TouchpointPlan {
            partner,
            kind,
            occurred_at: t,
            logged_at: t,
            notes: touch_notes(kind),
        });
    }
}

fn touch_notes(kind: TouchpointKind) -> &'static str {
    match kind {
        TouchpointKind::Introduction => "Introduced us to the customer's IT director",
        TouchpointKind::Demo => "Ran the product demo with the buying committee",
        TouchpointKind::TechnicalValidation => {
            "Led the technical validation in the customer's environment"
        }
        TouchpointKind::Referral => "Referred the customer after an advisory engagement",
        TouchpointKind::MarketplaceListing => {
            "Customer found us through the partner's marketplace listing"
        }
        TouchpointKind::Event => "Customer attended the partner's roundtable event",
        TouchpointKind::CampaignLead => "Lead from the partner's co-branded campaign",
    }
}

/// What writing the pipeline made.
pub(crate) struct Written {
    pub opportunities: usize,
    pub touchpoints: usize,
    /// The created opportunities' ids, in plan order.
    pub ids: Vec<String>,
}

/// Writes the rate table: each month's rates imported as a CSV file on their first day.
pub(crate) async fn create_fx_rates(
    store: &Store,
    actor: &Actor,
    months: &[FxMonth],
) -> Result<usize, StoreError> {
    let mut rows = 0;
    for m in months {
        let mut csv = String::from("from,to,effective_on,rate\n");
        for (from, rate) in &m.rates {
            csv.push_str(&format!("{from},USD,{},{rate}\n", m.effective_on));
            rows += 1;
        }
        store_at(store, at(m.effective_on, 7))
            .import_fx_rates(actor, &csv)
            .await?;
    }
    Ok(rows)
}

/// Ids the writer needs: programs in [`ProgramSlot`] order, partners and accounts in plan
/// order, and users by e-mail.
pub(crate) struct Ids<'a> {
    pub programs: Vec<String>,
    pub partners: &'a [String],
    pub accounts: &'a HashMap<String, String>,
    pub users: &'a HashMap<String, String>,
}

/// Writes the planned opportunities, each event at its time: creation, moves, the next
/// step, touchpoints and the close, in time order.
pub(crate) async fn create_pipeline(
    store: &Store,
    actor: &Actor,
    plan: &[OpportunityPlan],
    accounts: &[AccountPlan],
    ids: &Ids<'_>,
) -> Result<Written, StoreError> {
    let mut touchpoints = 0;
    let mut created_ids = Vec::with_capacity(plan.len());
    let user = |email: &Option<String>| email.as_ref().and_then(|e| ids.users.get(e)).cloned();
    for o in plan {
        let account = &accounts[o.account];
        let account_id = ids
            .accounts
            .get(&account.web_domain)
            .cloned()
            .ok_or_else(|| {
                StoreError::Corrupt(format!("seed: no account for {}", account.web_domain))
            })?;
        let input = OpportunityInput {
            program_id: Some(ids.programs[o.program.index()].clone()),
            account_id: Some(account_id),
            title: Some(o.title.clone()),
            amount_minor: Some(o.amount_minor),
            currency: Some(o.currency.to_owned()),
            expected_close_on: Some(o.expected_close_on.format("%Y-%m-%d").to_string()),
            stage: None,
            source: Some(o.source.as_str().to_owned()),
            route: o.route.map(|r| r.as_str().to_owned()),
            marketplace: o.marketplace.map(|m| m.as_str().to_owned()),
            marketplace_name: None,
            partner_id: o.partner.map(|p| ids.partners[p].clone()),
            vendor_owner_id: user(&o.vendor_owner),
            partner_owner_id: user(&o.partner_owner),
            next_step: Some(o.next_step.to_owned()),
        };
        let created = store_at(store, o.created_at)
            .create_opportunity(actor, &input)
            .await?;
        let id = created.id.to_string();
        created_ids.push(id.clone());
        for event in events(o) {
            let then = store_at(store, event.at);
            match event.what {
                What::Move(stage) => {
                    let input = MoveInput {
                        stage: Some(stage.to_owned()),
                    };
                    then.move_opportunity(actor, &id, &input).await?;
                }
                What::Step(text) => {
                    let patch = OpportunityPatch {
                        next_step: Some(text.to_owned()),
                        ..Default::default()
                    };
                    then.update_opportunity(actor, &id, &patch).await?;
                }
                What::Touch(t) => {
                    let input = TouchpointInput {
                        partner_id: Some(ids.partners[t.partner].clone()),
                        kind: Some(t.kind.as_str().to_owned()),
                        occurred_at: Some(t.occurred_at.to_rfc3339()),
                        notes: Some(t.notes.to_owned()),
                    };
                    then.log_touchpoint(actor, &id, &input).await?;
                    touchpoints += 1;
                }
                What::Close(c) => {
                    let input = CloseOpportunityInput {
                        outcome: Some(if c.won { "won" } else { "lost" }.to_owned()),
                        close_on: Some(c.at.format("%Y-%m-%d").to_string()),
                        lost_reason: c.lost_reason.map(str::to_owned),
                    };
                    then.close_opportunity(actor, &id, &input).await?;
                }
            }
        }
    }
    Ok(Written {
        opportunities: plan.len(),
        touchpoints,
        ids: created_ids,
    })
}

enum What<'a> {
    Move(&'a str),
    Step(&'a str),
    Touch(&'a TouchpointPlan),
    Close(&'a ClosePlan),
}

struct Event<'a> {
    at: DateTime<Utc>,
    what: What<'a>,
}

/// An opportunity's events after its creation, in time order.
fn events(o: &OpportunityPlan) -> Vec<Event<'_>> {
    let mut out: Vec<Event<'_>> = o
        .moves
        .iter()
        .map(|(at, s)| Event {
            at: *at,
            what: What::Move(s),
        })
        .collect();
    if let Some((at, text)) = o.later_step {
        out.push(Event {
            at,
            what: What::Step(text),
        });
    }
    out.extend(o.touchpoints.iter().map(|t| Event {
        at: t.logged_at,
        what: What::Touch(t),
    }));
    if let Some(c) = &o.close {
        out.push(Event {
            at: c.at,
            what: What::Close(c),
        });
    }
    out.sort_by_key(|e| e.at);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::SeedSpec;
    use crate::plan::Plan;

    #[test]
    fn the_demo_pipeline_tells_a_whole_story() {
        let plan = Plan::new(&SeedSpec::demo());
        let ops = &plan.pipeline;
        assert_eq!(ops.len(), 180);
        let limit = at(last_day(), 17);
        let first_rate = plan.fx[0].effective_on;
        let mut columns: BTreeMap<String, usize> = BTreeMap::new();
        let (mut old, mut old_closed, mut won, mut late) = (0, 0, 0, 0);
        let mut routes = HashSet::new();
        let mut markets = HashSet::new();
        let mut currencies = HashSet::new();
        let mut kinds = HashSet::new();
        let mut sources = HashSet::new();
        let mut influencers = 0;
        let mut accounts = HashSet::new();
        for o in ops {
            assert!(accounts.insert(o.account), "an account used twice");
            assert!(o.created_at.date_naive() > first_rate);
            let mut last = o.created_at;
            for (t, _) in &o.moves {
                assert!(*t > last && *t < limit, "{t} after {last}");
                last = *t;
            }
            let column = match &o.close {
                Some(c) => {
                    assert!(c.at > last && c.at < limit);
                    if c.won {
                        won += 1;
                        assert_eq!(o.moves.len(), 3);
                    } else {
                        assert!(c.lost_reason.is_some());
                    }
                    if c.won { "won" } else { "lost" }.to_owned()
                }
                None => {
                    assert!(o.expected_close_on >= base_date());
                    o.moves
                        .last()
                        .map_or("target_account".to_owned(), |(_, s)| s.clone())
                }
            };
            *columns.entry(column).or_default() += 1;
            if (limit - o.created_at).num_days() >= 90 {
                old += 1;
                old_closed += usize::from(o.close.is_some());
            }
            routes.insert(o.route);
            markets.extend(o.marketplace);
            currencies.insert(o.currency);
            sources.insert(o.source);
            match (o.source, o.partner) {
                (OpportunitySource::Direct, None) => {
                    assert!(o.vendor_owner.is_some() && o.partner_owner.is_none());
                }
                (_, Some(p)) => {
                    if let Some(owner) = &o.partner_owner {
                        assert!(plan.partners[p].users.iter().any(|u| &u.email == owner));
                    }
                }
                other => panic!("{other:?}"),
            }
            for t in &o.touchpoints {
                kinds.insert(t.kind);
                assert!(t.occurred_at >= o.created_at && t.logged_at < limit);
                assert_eq!(plan.partners[t.partner].program, o.program);
                if Some(t.partner) != o.partner {
                    influencers += 1;
                }
                match &o.close {
                    Some(c) if t.logged_at > c.at => late += 1,
                    Some(c) => assert!(t.occurred_at <= c.at),
                    None => {}
                }
            }
        }
        println!(
            "{columns:?}; {old_closed} of {old} older than 90 days closed, {won} won; {late} late, {influencers} by influencers"
        );
        assert_eq!(columns.len(), 6, "{columns:?}");
        assert!(columns.values().all(|&n| n >= 8), "{columns:?}");
        let share = old_closed as f64 / old as f64;
        assert!((0.4..0.6).contains(&share), "{old_closed} of {old} closed");
        let won_share = won as f64 / old_closed as f64;
        assert!(
            (0.3..0.46).contains(&won_share),
            "{won} won of {old_closed}"
        );
        assert_eq!(routes.len(), 5, "{routes:?}"); // four routes and none
        assert_eq!(markets.len(), 3);
        assert_eq!(sources.len(), 3);
        assert!(
            ["USD", "EUR", "GBP", "CHF"]
                .iter()
                .all(|c| currencies.contains(c))
        );
        assert_eq!(kinds.len(), TouchpointKind::ALL.len(), "{kinds:?}");
        assert!(late >= 3 && influencers >= 10, "{late} late, {influencers}");
        // The demo partner has a pipeline of its own.
        assert!(ops.iter().filter(|o| o.partner == Some(0)).count() >= 8);
    }

    #[test]
    fn a_small_seed_fills_every_column_and_the_rates_are_monthly() {
        for seed in 0..20 {
            let plan = Plan::new(&SeedSpec::small(seed));
            assert_eq!(plan.pipeline.len(), 8);
            let ends: HashSet<String> = plan
                .pipeline
                .iter()
                .map(|o| match &o.close {
                    Some(c) => if c.won { "won" } else { "lost" }.to_owned(),
                    None => o
                        .moves
                        .last()
                        .map_or("first".to_owned(), |(_, s)| s.clone()),
                })
                .collect();
            assert_eq!(ends.len(), 6, "seed {seed}: {ends:?}");
        }
        let plan = Plan::new(&SeedSpec::small(1));
        assert_eq!(plan.fx.len(), 19);
        assert_eq!(plan.fx.last().map(|m| m.effective_on), Some(base_date()));
        for m in &plan.fx {
            assert_eq!(m.effective_on.day(), 1);
            for (code, rate) in &m.rates {
                let r: f64 = rate.parse().unwrap();
                let ok = match *code {
                    "EUR" => (1.08..=1.18).contains(&r),
                    "GBP" => (1.26..=1.36).contains(&r),
                    "CHF" => (1.12..=1.26).contains(&r),
                    "JPY" => (0.0063..=0.0071).contains(&r),
                    _ => false,
                };
                assert!(ok, "{code} {rate}");
            }
        }
        assert_eq!(Plan::new(&SeedSpec::small(1)).pipeline, plan.pipeline);
    }
}
