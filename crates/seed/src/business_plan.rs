//! The demo's joint business plans: ten partners (the demo partner first) have this year's
//! plan, started one or two quarters before the current one so some quarters are behind
//! them. Each names real accounts of the partner's registrations, commits to activities,
//! marketing and a review cadence, and is signed by the partner's admin and the channel
//! manager. The demo partner's plan was amended to a second version; the last plan is still
//! a draft the vendor has not signed; reviews (monthly pipeline reviews, quarterly business
//! reviews) are recorded with attendees, notes, decisions and next steps.
//!
//! Milestones are sized from the live data, through the store's own attainment: the draft is
//! written first, its attainment read, then the milestones set. Partners whose live deal
//! closed won this quarter get a current-quarter milestone a quarter above what they won (on
//! pace: at least 70% of any pro-rated milestone, whatever the day); the others one far above
//! (drifting as soon as the quarter has begun). Which partners, the commitments and the
//! texts are drawn with the plan (pure); dates follow the store's clock.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use partnerops_core::business_plan::attainment::Attainment;
use partnerops_core::business_plan::record::{
    ActivityCommitment, Cadence, MarketingCommitment, MarketingKind, Milestone, PlanActivityKind,
    PlanChange, PlanContent, PlanInput, PlanTaskPatch, ReviewInput, ReviewKind, quarter_end,
    quarter_start,
};
use partnerops_core::ids::{AccountId, EntityId, PartnerId};
use partnerops_core::money::{Currency, Money};
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partner::PartnerStatus;
use partnerops_core::pipeline::record::OpportunitySource;
use partnerops_core::scope::Scope;
use partnerops_store::registration::RegistrationFilter;
use partnerops_store::{Store, StoreError};
use rand::RngExt;
use rand::rngs::StdRng;

use crate::pipeline::OpportunityPlan;
use crate::plan::{DealPlan, PartnerPlan, at, live_registration_accounts};
use crate::room::Writer;
use crate::store_at;

/// How many partners get a plan, and how many of them are meant to be on pace.
const PLANS: usize = 10;
const ON_PACE: usize = 4;
/// Most target accounts a demo plan names.
const MAX_TARGETS: usize = 5;
/// The smallest milestone of a quarter, USD 60,000 in cents.
const BASE_MILESTONE: i64 = 6_000_000;

/// What a plan is meant to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlanRole {
    /// Agreed and amended to a second version (the demo partner's).
    Amended,
    /// Agreed, its current quarter on pace.
    OnPace,
    /// Agreed, its current quarter drifting.
    Drifting,
    /// A draft the partner signed and the vendor has not.
    Draft,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JbpPlan {
    /// Index into the plan's partners.
    pub partner: usize,
    pub role: PlanRole,
    /// The plan starts this many quarters before the current one (1 or 2).
    pub quarters_back: u32,
    /// (quarter, kind, count).
    pub activities: Vec<(u8, PlanActivityKind, u32)>,
    /// (kind, title, quarter, day of the quarter's second month).
    pub marketing: Vec<(MarketingKind, &'static str, u8, u32)>,
    pub monthly_reviews: bool,
    /// Whether the latest monthly review was skipped (it shows as overdue).
    pub skipped_review: bool,
}

/// The partners whose live registration closes won when the seed runs (see
/// `create_registrations`: every sixth, from the fourth, among the active partners).
fn won_today(partners: &[PartnerPlan], accounts: usize) -> Vec<usize> {
    let registering: Vec<usize> = (0..partners.len())
        .filter(|&i| partners[i].status == PartnerStatus::Active)
        .collect();
    if registering.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for i in 0..live_registration_accounts(accounts).len() {
        let p = registering[i % registering.len()];
        if i % 6 == 3 && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// Chooses the partners and draws their commitments.
pub(crate) fn plan_business_plans(
    rng: &mut StdRng,
    partners: &[PartnerPlan],
    accounts: usize,
    deals: &[DealPlan],
    pipeline: &[OpportunityPlan],
) -> Vec<JbpPlan> {
    let active = |i: &usize| partners[*i].status == PartnerStatus::Active;
    let mut chosen: Vec<(usize, PlanRole)> = Vec::new();
    if !partners.is_empty() && active(&0) {
        chosen.push((0, PlanRole::Amended));
    }
    for p in won_today(partners, accounts) {
        if chosen.len() > ON_PACE {
            break;
        }
        if p != 0 {
            chosen.push((p, PlanRole::OnPace));
        }
    }
    // The others: active partners with the most sourced deals in the pipeline (their plans
    // have won and open deals and selling activity to show), then the most past deals
    // (accounts to name).
    let mut rest: Vec<usize> = (0..partners.len())
        .filter(|i| active(i) && !chosen.iter().any(|(c, _)| c == i))
        .collect();
    let sourced = |i: usize| {
        pipeline
            .iter()
            .filter(|o| o.partner == Some(i) && o.source == OpportunitySource::PartnerSourced)
            .count()
    };
    let past = |i: usize| deals.iter().filter(|d| d.partner == i).count();
    rest.sort_by_key(|&i| (std::cmp::Reverse((sourced(i), past(i))), i));
    for p in rest {
        if chosen.len() >= PLANS {
            break;
        }
        chosen.push((p, PlanRole::Drifting));
    }
    if chosen.len() >= 3
        && let Some(last) = chosen.last_mut()
    {
        last.1 = PlanRole::Draft;
    }
    let mut drifting_seen = 0;
    chosen
        .into_iter()
        .enumerate()
        .map(|(k, (partner, role))| {
            let mut activities = Vec::new();
            for q in 1..=4u8 {
                activities.push((q, PlanActivityKind::DiscoveryCall, rng.random_range(4..=10)));
                activities.push((q, PlanActivityKind::Demo, rng.random_range(2..=5)));
                activities.push((q, PlanActivityKind::Proposal, rng.random_range(1..=3)));
            }
            let n = rng.random_range(1..=3usize);
            let start = rng.random_range(0..MARKETING.len());
            let marketing = (0..n)
                .map(|j| {
                    let (kind, title) = MARKETING[(start + j) % MARKETING.len()];
                    (kind, title, (j % 4) as u8 + 1, rng.random_range(3..=25))
                })
                .collect();
            if role == PlanRole::Drifting {
                drifting_seen += 1;
            }
            JbpPlan {
                partner,
                role,
                quarters_back: 1 + (k % 2) as u32,
                activities,
                marketing,
                monthly_reviews: k != 3,
                skipped_review: role == PlanRole::Drifting && drifting_seen == 2,
            }
        })
        .collect()
}

const MARKETING: [(MarketingKind, &str); 5] = [
    (MarketingKind::Event, "Joint roundtable for CIOs"),
    (
        MarketingKind::OutboundCampaign,
        "Outbound campaign to the named accounts",
    ),
    (
        MarketingKind::CoBrandedContent,
        "Co-branded customer case study",
    ),
    (MarketingKind::Event, "Partner booth at the regional summit"),
    (
        MarketingKind::CoBrandedContent,
        "Joint webinar on migration",
    ),
];

/// What writing the plans made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PlansWritten {
    pub plans: usize,
    pub agreed: usize,
    pub drafts: usize,
    pub reviews: usize,
}

/// The first day of the quarter of `day` (calendar quarters).
fn quarter_of(day: NaiveDate) -> NaiveDate {
    let month = day.month0() / 3 * 3 + 1;
    NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day)
}

/// `minor` rounded up to a multiple of `step`.
fn round_up(minor: i64, step: i64) -> i64 {
    (minor + step - 1) / step * step
}

/// A current-quarter milestone above `won` that `won` still meets at 70% of its pace on any
/// day: about 125% of it, rounded to USD 500 when that keeps both.
fn on_pace_milestone(won: i64) -> i64 {
    let exact = won * 5 / 4;
    let round = exact / 50_000 * 50_000;
    if round > won && round * 7 <= won * 10 {
        round
    } else {
        exact
    }
}

/// The milestones from the draft's attainment: quarters behind the plan were met (or, for
/// a drifting partner, missed), the current one on pace or far above what was won, later
/// ones from the open pipeline.
fn milestones(a: &Attainment, current: u8, role: PlanRole) -> Vec<Milestone> {
    a.quarters
        .iter()
        .map(|q| {
            let won = q.won_minor;
            let m = if q.quarter < current {
                match role {
                    PlanRole::OnPace | PlanRole::Amended if won > 0 => won / 10_000 * 10_000,
                    _ => round_up((won * 3 / 2).max(BASE_MILESTONE), 500_000),
                }
            } else if q.quarter == current {
                if role == PlanRole::OnPace && won > 0 {
                    on_pace_milestone(won)
                } else {
                    round_up((won * 4).max(BASE_MILESTONE), 500_000)
                }
            } else {
                round_up((q.pipeline_minor * 3 / 5).max(BASE_MILESTONE), 500_000)
            };
            Milestone {
                quarter: q.quarter,
                sourced_arr_minor: m,
            }
        })
        .collect()
}

/// Writes the plans; `writers` are the users by e-mail, `channel` the channel manager's.
pub(crate) async fn create_business_plans(
    store: &Store,
    plans: &[JbpPlan],
    partners: &[PartnerPlan],
    partner_ids: &[String],
    writers: &std::collections::HashMap<String, Writer>,
    channel: &str,
) -> Result<PlansWritten, StoreError> {
    let mut written = PlansWritten::default();
    let Some(vendor) = writers.get(channel) else {
        return Ok(written);
    };
    let vendor_actor = vendor.actor();
    let now = store.now();
    let today = now.date_naive();
    // Never later than now: what the seed writes has already happened.
    let when = |t: DateTime<Utc>| store_at(store, t.min(now));
    for jp in plans {
        let partner = &partners[jp.partner];
        let partner_id = &partner_ids[jp.partner];
        let Some(admin) = partner.users.first().and_then(|u| writers.get(&u.email)) else {
            continue;
        };
        let admin_actor = admin.actor();
        let current = quarter_of(today);
        let start = current - Months::new(3 * jp.quarters_back);
        let end = quarter_end(start, 4);
        let current_q = jp.quarters_back as u8 + 1;
        let targets = target_accounts(store, partner_id).await?;
        let content = PlanContent {
            target_account_ids: targets.clone(),
            milestones: Vec::new(),
            activities: jp
                .activities
                .iter()
                .map(|&(quarter, kind, count)| ActivityCommitment {
                    quarter,
                    kind,
                    count,
                })
                .collect(),
            marketing: jp
                .marketing
                .iter()
                .map(|&(kind, title, q, day)| MarketingCommitment {
                    kind,
                    title: title.to_owned(),
                    on: quarter_start(start, q) + Months::new(1) + Duration::days(i64::from(day)),
                })
                .collect(),
            cadence: Cadence {
                monthly_pipeline_review: jp.monthly_reviews,
                quarterly_business_review: true,
            },
        };
        let input = PlanInput {
            partner_id: Some(partner_id.clone()),
            title: Some(format!(
                "Joint business plan {}/{:02}",
                start.year(),
                end.year() % 100
            )),
            period_start: Some(start.format("%Y-%m-%d").to_string()),
            content: Some(content.clone()),
        };
        let drafted = at(start - Duration::days(16), 10);
        let plan = when(drafted)
            .create_business_plan(&vendor_actor, &input)
            .await?;
        let id = plan.id.to_string();
        let a = store.business_plan_attainment(&Scope::Vendor, &id).await?;
        let sized = PlanContent {
            milestones: milestones(&a, current_q, jp.role),
            ..content
        };
        let change = PlanChange {
            title: None,
            content: Some(sized.clone()),
            change_note: Some(format!(
                "milestones and commitments from the planning workshop with {}",
                partner.name
            )),
        };
        when(drafted + Duration::days(2))
            .update_business_plan(&vendor_actor, &id, &change)
            .await?;
        written.plans += 1;
        when(at(start - Duration::days(6), 15))
            .sign_business_plan(&admin_actor, &id)
            .await?;
        if jp.role == PlanRole::Draft {
            written.drafts += 1;
            continue;
        }
        when(at(start - Duration::days(4), 11))
            .sign_business_plan(&vendor_actor, &id)
            .await?;
        written.agreed += 1;
        if jp.role == PlanRole::Amended {
            let mut amended = sized.clone();
            let next = (current_q + 1).min(4);
            for m in &mut amended.milestones {
                if m.quarter == next {
                    m.sourced_arr_minor = round_up(m.sourced_arr_minor * 6 / 5, 500_000);
                }
            }
            amended.marketing.push(MarketingCommitment {
                kind: MarketingKind::Event,
                title: format!("{} customer day", partner.name),
                on: (today + Duration::days(20)).min(end).max(start),
            });
            let change = PlanChange {
                title: None,
                content: Some(amended),
                change_note: Some(format!(
                    "Q{next} milestone raised by a fifth after the new campaign; a joint \
                     customer day added"
                )),
            };
            let day = (today - Duration::days(20)).max(start + Duration::days(1));
            when(at(day, 10))
                .amend_business_plan(&vendor_actor, &id, &change)
                .await?;
            when(at(day + Duration::days(1), 9))
                .sign_business_plan(&admin_actor, &id)
                .await?;
            when(at(day + Duration::days(2), 14))
                .sign_business_plan(&vendor_actor, &id)
                .await?;
        }
        let attendees = {
            let mut v = vec![
                format!("{} (vendor)", vendor.name),
                format!("{} ({})", admin.name, partner.name),
            ];
            if let Some(rep) = partner.users.get(1).and_then(|u| writers.get(&u.email)) {
                v.push(format!("{} ({})", rep.name, partner.name));
            }
            v
        };
        let reviews = reviews(
            jp,
            &a,
            &sized,
            start,
            today,
            (&partner.name, &attendees),
            plan.currency,
        );
        for (held_on, input) in reviews {
            when(at(held_on, 16))
                .record_plan_review(&vendor_actor, &id, &input)
                .await?;
            written.reviews += 1;
        }
        // Each review's next steps became tasks; those of earlier reviews were done by the
        // next one, the latest review's are still open.
        let tasks = store.plan_tasks(&Scope::Vendor, &id).await?;
        let latest = tasks.iter().map(|t| t.due_on).max();
        for t in tasks.iter().filter(|t| Some(t.due_on) != latest) {
            when(at(t.due_on - Duration::days(2), 11))
                .update_plan_task(
                    &vendor_actor,
                    t.id.as_str(),
                    &PlanTaskPatch {
                        status: Some("done".into()),
                    },
                    &partnerops_store::etag::Precondition::None,
                )
                .await?;
        }
    }
    Ok(written)
}

/// The accounts of the partner's registrations that are still live, first registered
/// first, at most [`MAX_TARGETS`].
async fn target_accounts(store: &Store, partner_id: &str) -> Result<Vec<AccountId>, StoreError> {
    let page = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::registration_sorts(),
    )?;
    let filter = RegistrationFilter {
        partner_id: Some(PartnerId::from_trusted(partner_id.to_owned())),
        ..Default::default()
    };
    let regs = store.registrations(&Scope::Vendor, &filter, &page).await?;
    let mut out: Vec<AccountId> = Vec::new();
    for r in regs.items {
        if out.len() >= MAX_TARGETS || out.contains(&r.account_id) {
            continue;
        }
        let account = store.account(&Scope::Vendor, r.account_id.as_str()).await?;
        if account.archived_at.is_none() {
            out.push(r.account_id);
        }
    }
    Ok(out)
}

/// The reviews held so far: a monthly pipeline review late in every month that is over
/// (one skipped on one plan), a quarterly business review at the end of every quarter that
/// is over, each with what was said.
fn reviews(
    jp: &JbpPlan,
    a: &Attainment,
    content: &PlanContent,
    start: NaiveDate,
    today: NaiveDate,
    (partner, attendees): (&str, &[String]),
    currency: Currency,
) -> Vec<(NaiveDate, ReviewInput)> {
    let mut out = Vec::new();
    let this_month = today.with_day(1).unwrap_or(today);
    let mut months = Vec::new();
    let mut m = start;
    while m < this_month {
        months.push(m);
        m = m + Months::new(1);
    }
    if jp.skipped_review {
        months.pop();
    }
    if jp.monthly_reviews {
        for (k, month) in months.iter().enumerate() {
            let held_on = (*month + Months::new(1)) - Duration::days(3);
            let (notes, decisions, next) = MONTHLY[k % MONTHLY.len()];
            out.push((
                held_on,
                review(
                    ReviewKind::MonthlyPipelineReview,
                    held_on,
                    attendees,
                    &notes.replace("{partner}", partner),
                    decisions,
                    next,
                ),
            ));
        }
    }
    for q in &a.quarters {
        if q.ends_on >= today {
            break;
        }
        let held_on = q.ends_on - Duration::days(4);
        let milestone = content.milestone(q.quarter);
        let met = q.won_minor >= milestone;
        let notes = format!(
            "Q{} closed with {} of partner-sourced ARR won against a milestone of {}. {}",
            q.quarter,
            Money::new(q.won_minor, currency),
            Money::new(milestone, currency),
            if met {
                "Milestone met; the win came from a named account."
            } else {
                "Milestone missed: two deals slipped into the next quarter."
            }
        );
        let (decisions, next): (&[&str], &[&str]) = if met {
            (
                &["Keep the named-account list", "Co-fund the next event"],
                &["Share the win as a case study", "Plan next quarter's demos"],
            )
        } else {
            (
                &[
                    "Add two target accounts from the partner's territory",
                    "Weekly deal reviews until the gap closes",
                ],
                &[
                    "Channel manager joins the next two customer calls",
                    "Partner books three more discovery calls",
                ],
            )
        };
        out.push((
            held_on,
            review(
                ReviewKind::QuarterlyBusinessReview,
                held_on,
                attendees,
                &notes,
                decisions,
                next,
            ),
        ));
    }
    out.sort_by_key(|(d, _)| *d);
    out
}

fn review(
    kind: ReviewKind,
    held_on: NaiveDate,
    attendees: &[String],
    notes: &str,
    decisions: &[&str],
    next_steps: &[&str],
) -> ReviewInput {
    let lines = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect());
    ReviewInput {
        kind: Some(kind.as_str().to_owned()),
        held_on: Some(held_on.format("%Y-%m-%d").to_string()),
        attendees: Some(attendees.to_vec()),
        notes: Some(notes.to_owned()),
        decisions: lines(decisions),
        next_steps: lines(next_steps),
        ..ReviewInput::default()
    }
}

type MonthlyText = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const MONTHLY: [MonthlyText; 4] = [
    (
        "Walked through {partner}'s open deals stage by stage. Two deals moved to commercial \
         offer; one stalled at first conversation.",
        &["Drop the stalled deal from the forecast"],
        &["Book demos for the two new target accounts"],
    ),
    (
        "Pipeline review: coverage of the quarter's milestone is about 2x. Registration \
         renewals due this month were checked.",
        &["Renew the two registrations that expire"],
        &["Send the pricing proposal to the largest deal"],
    ),
    (
        "Reviewed the named accounts: half have been touched so far. {partner} asked for \
         help with a security review.",
        &["Vendor's solutions engineer supports the security review"],
        &["Partner logs last month's meetings", "Schedule the QBR"],
    ),
    (
        "Short review: no new deals this month, one win expected next month.",
        &[],
        &["Run the outbound campaign to the remaining named accounts"],
    ),
];
