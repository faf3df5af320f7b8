//! partnerops demo and test data: a deterministic generator of a realistic partner program.
//!
//! [`seed`] writes three programs (each with the store's default tier ladder), vendor staff,
//! partners spread over types, tiers, statuses and countries, their users, and thousands of
//! end-customer accounts. The same [`SeedSpec`] always yields the same names, domains,
//! types, tiers, countries, statuses, users and accounts; only ids and timestamps differ.
//! The `partnerops demo` command, the API tests and the benchmarks use it.
//!
//! What lives here: word lists, the seeded drawing of a plan (module `plan`), and the calls that
//! write the plan. What must not: HTTP, SQL, or business rules. Every record goes through
//! the store's public API as `Actor::system("seed")`, so it is validated and audited exactly
//! like a record an operator creates; a rule the seed needs belongs in the core or store.
//! Past events go through the same API with the store's clock set to when they happened
//! (deals registered, won and lost in earlier years; the council's meeting).
//!
//! Then deal rooms (module `room`) and joint business plans (module `business_plan`) are
//! written as the users who would have written them (notes, tasks, signatures), dated
//! relative to the store's clock; the plans' milestones are sized from the store's own
//! attainment of the live data, so some plans are on pace and some drift.
//!
//! Then payouts (module `payout`): each program's incentives, published as in force before
//! the pipeline's deals closed, renewals, expansions and cancellations on won deals, the
//! accrual of every close, and statements for each past quarter in every state.
//!
//! Then market development funds (module `mdf`): a budget for the current quarter,
//! allocations, and requests and claims in every state, some linked to won deals.
//! Then events (module `event`): past, upcoming and full webinars and workshops with
//! replies, a waitlist and check-ins, and a partner's workshop for its customers.
//! Then webhook subscriptions (module `webhook`): the vendor's and a partner's, paused.
//! Then launch checklists (module `launch`): the first program's seed checklist, a
//! campaign's launch in three weeks and a charter's two weeks ago, tasks in every state.
//! Then enablement (module `enablement`): two role curricula with courses, modules and
//! assessments, and people certified (valid, lapsing within 30 days, expired), enough at
//! the first partner for the Premier criterion "certified individuals ≥ 4".
//!
//! Last, the notify job turns the live deals' decisions into notifications for the demo
//! users (their e-mails are recorded as skipped, never sent).
//!
//! At a large vendor's size (module `scale`, `partnerops demo --scale`, `bench/scale.sh`), the
//! demo program is grown with partners, accounts and registrations written in bulk through
//! the store's bulk loader (`partnerops_store::bulk`) instead of one call per record.
//!
//! One exception (module `history`): a partner's joining profile and its past tier moves.
//! The store records them only as they happen (an approved application keeps the profile,
//! the daily tiering job writes a tier move), so a program with years of history is written
//! with the store's SQL builder, row for row what those would have written. The fit model
//! learns from exactly these rows, so the demo's application queue is scored by a model
//! trained on its own partners.

mod business_plan;
mod campaign;
mod directory;
mod enablement;
mod event;
mod history;
mod import;
mod launch;
mod mapping;
mod mdf;
mod partnership;
mod payout;
mod pipeline;
mod plan;
mod room;
pub mod scale;
mod webhook;
mod words;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use partnerops_core::account::AccountInput;
use partnerops_core::ids::EntityId;
use partnerops_core::lifecycle::application::ApplicationInput;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partner::{ManagerInput, PartnerInput, PartnerStatus};
use partnerops_core::program::{Program, ProgramInput, ProgramKind, ThesisInput};
use partnerops_core::registration::record::{
    AccountRefInput, ActivityInput, CloseInput, ReasonInput, RegistrationInput,
};
use partnerops_core::registration::review::{DistinctInput, MergeInput};
use partnerops_core::scope::Scope;
use partnerops_core::user::{NewUserInput, Role};
use partnerops_store::notification::mail::NotifySettings;
use partnerops_store::program::ProgramFilter;
use partnerops_store::{Actor, Archived, Store, StoreError};
use tokio::task::JoinSet;

use crate::plan::{Plan, ProgramSlot, UserPlan};

/// The password of the demo logins. Public on purpose: it is printed by `partnerops demo`.
pub const DEMO_PASSWORD: &str = "partnerops-demo";

/// How much to generate, and from which seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedSpec {
    pub seed: u64,
    pub partners: usize,
    pub accounts: usize,
}

impl SeedSpec {
    /// The demo program: 60 partners, 5,000 accounts.
    pub fn demo() -> SeedSpec {
        SeedSpec {
            seed: 42,
            partners: 60,
            accounts: 5000,
        }
    }

    /// A small program for tests: 8 partners, 40 accounts.
    pub fn small(seed: u64) -> SeedSpec {
        SeedSpec {
            seed,
            partners: 8,
            accounts: 40,
        }
    }
}

/// A user the seed gives the demo password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoLogin {
    pub email: String,
    pub password: String,
    pub role: Role,
    /// The partner a partner user belongs to; `None` for vendor staff.
    pub partner_name: Option<String>,
}

/// What [`seed`] created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedReport {
    pub programs: usize,
    pub partners: usize,
    pub accounts: usize,
    pub registrations: usize,
    pub users: usize,
    /// Opportunities seeded with their history (besides those the approved registrations
    /// opened), and the touchpoints logged on them.
    pub opportunities: usize,
    pub touchpoints: usize,
    /// Rows of the currency-rate table.
    pub fx_rates: usize,
    /// Deal rooms filled (members, notes, tasks, fields), with their notes and tasks.
    pub rooms: usize,
    pub room_notes: usize,
    pub room_tasks: usize,
    /// Joint business plans: all, those agreed by both sides, and reviews recorded.
    pub business_plans: usize,
    pub business_plans_agreed: usize,
    pub plan_reviews: usize,
    /// Payouts: renewals, expansions and cancellations recorded on won deals, the
    /// commission lines the accrual posted, and the statements drawn up for past quarters.
    pub revenue_events: usize,
    pub commission_lines: usize,
    pub statements: usize,
    /// Enablement: courses published, and certifications earned (valid, lapsing, expired).
    pub courses: usize,
    pub certifications: usize,
    /// The directory: listings written, published, and waiting for a review.
    pub listings: usize,
    pub listings_published: usize,
    pub listings_in_review: usize,
    pub logins: Vec<DemoLogin>,
}

/// Accounts are written by this many concurrent tasks, one transaction per account so each
/// is validated and audited like any other. On SQLite the writes serialise anyway (5,000
/// take about 2 s in a debug build with 1 to 8 writers); on PostgreSQL the overlap hides the
/// round trips. Four leaves half of the SQLite pool to other callers.
const ACCOUNT_WRITERS: usize = 4;

/// Whether the store already holds data (any program, archived ones included):
/// `partnerops demo` reuses such a file instead of seeding it twice.
pub async fn is_seeded(store: &Store) -> Result<bool, StoreError> {
    let page = page_of(1, &Store::program_sorts())?;
    let programs = store
        .programs(
            &Scope::Vendor,
            &ProgramFilter {
                archived: Archived::All,
                ..Default::default()
            },
            &page,
        )
        .await?;
    Ok(!programs.items.is_empty())
}

/// The demo logins [`seed`] creates for `spec`, without touching the database.
pub fn demo_logins(spec: &SeedSpec) -> Vec<DemoLogin> {
    Plan::without_accounts(spec).logins()
}

/// Writes the whole program described by `spec` into `store`. Deterministic: see the crate
/// documentation. Expects an empty store (see [`is_seeded`]); names and e-mail addresses
/// already taken make it fail with a conflict.
pub async fn seed(store: &Store, spec: &SeedSpec) -> Result<SeedReport, StoreError> {
    let started = Instant::now();
    let actor = Actor::system("seed");
    let plan = Plan::new(spec);

    let programs = create_programs(store, &actor).await?;
    tracing::info!(
        programs = programs.len(),
        elapsed_ms = ms(started),
        "seed: programs and tier ladders created"
    );

    let staff_ids = create_users(store, &actor, &plan.staff, None).await?;
    tracing::info!(
        users = staff_ids.len(),
        elapsed_ms = ms(started),
        "seed: vendor staff created"
    );

    let created = create_partners(store, &actor, &plan, &programs).await?;
    let users = staff_ids.len() + created.users;
    let (registering, partner_ids) = (created.registering, created.ids);
    let mut user_ids = staff_ids.clone();
    user_ids.extend(created.user_ids);
    tracing::info!(
        partners = plan.partners.len(),
        users,
        elapsed_ms = ms(started),
        "seed: partners and partner users created"
    );

    let inputs = account_inputs(&plan, &staff_ids);
    let account_ids = create_accounts(store, &actor, inputs).await?;
    tracing::info!(
        accounts = plan.accounts.len(),
        elapsed_ms = ms(started),
        "seed: accounts created"
    );
    let past_deals = create_past_deals(store, &actor, &plan, &partner_ids).await?;
    let past = past_deals.len();
    tracing::info!(
        registrations = past,
        elapsed_ms = ms(started),
        "seed: past registrations created"
    );
    let (live, held) = create_registrations(store, &actor, &plan, &registering).await?;
    let reviews = create_duplicate_reviews(store, &actor, &held, &registering).await?;
    let registrations = past + live + reviews;
    tracing::info!(
        registrations,
        elapsed_ms = ms(started),
        "seed: registrations created"
    );
    let fx_rates = pipeline::create_fx_rates(store, &actor, &plan.fx).await?;
    let ids = pipeline::Ids {
        programs: programs.iter().map(|p| p.id.clone()).collect(),
        partners: &partner_ids,
        accounts: &account_ids,
        users: &user_ids,
    };
    let written =
        pipeline::create_pipeline(store, &actor, &plan.pipeline, &plan.accounts, &ids).await?;
    tracing::info!(
        fx_rates,
        opportunities = written.opportunities,
        touchpoints = written.touchpoints,
        elapsed_ms = ms(started),
        "seed: currency rates and pipeline created"
    );
    create_council(store, &actor, &plan, &programs, &partner_ids).await?;
    let applications = create_applications(store, &plan, &programs).await?;
    tracing::info!(
        applications,
        council = plan.council.len(),
        elapsed_ms = ms(started),
        "seed: advisory council and application queue created"
    );
    let writers = room::writers(&plan.staff, &plan.partners, &partner_ids, &user_ids);
    let rooms = room::create_rooms(
        store,
        &plan.rooms,
        &plan.pipeline,
        &written.ids,
        &partner_ids,
        &writers,
    )
    .await?;
    tracing::info!(
        rooms = rooms.rooms,
        notes = rooms.notes,
        tasks = rooms.tasks,
        elapsed_ms = ms(started),
        "seed: deal rooms filled"
    );
    let plans = business_plan::create_business_plans(
        store,
        &plan.business_plans,
        &plan.partners,
        &partner_ids,
        &writers,
        plan.channel(),
    )
    .await?;
    tracing::info!(
        plans = plans.plans,
        agreed = plans.agreed,
        drafts = plans.drafts,
        reviews = plans.reviews,
        elapsed_ms = ms(started),
        "seed: joint business plans written"
    );
    // The channel manager looks after the partners with a joint business plan: their
    // "This month" list is those partners' (staff may still ask for everyone's).
    if let Some(channel) = user_ids.get(plan.channel()) {
        for jp in &plan.business_plans {
            store
                .set_partner_manager(
                    &actor,
                    &partner_ids[jp.partner],
                    &ManagerInput {
                        user_id: Some(channel.clone()),
                    },
                )
                .await?;
        }
    }
    let revenue = payout::plan_revenue(&plan.pipeline, &plan.deals, &plan.partners);
    let payouts = match (
        writers.get("admin@vendor.example"),
        writers.get("finance@vendor.example"),
        writers.get(plan.channel()),
    ) {
        (Some(admin), Some(finance), Some(channel)) => {
            let slots: Vec<(ProgramSlot, String)> = ProgramSlot::ALL
                .into_iter()
                .zip(programs.iter().map(|p| p.id.clone()))
                .collect();
            payout::create_payouts(
                store,
                &slots,
                &revenue,
                &payout::DealIds {
                    pipeline: &written.ids,
                    past: &past_deals,
                },
                &payout::Staff {
                    admin,
                    finance,
                    channel,
                },
                &writers,
                partner_ids.first().map(String::as_str),
            )
            .await?
        }
        _ => payout::PayoutsWritten::default(),
    };
    tracing::info!(
        revenue_events = payouts.revenue_events,
        lines = payouts.lines,
        statements = payouts.statements,
        elapsed_ms = ms(started),
        "seed: incentives published, payouts accrued, statements drawn up"
    );
    let mdf = match (
        writers.get("finance@vendor.example"),
        writers.get(plan.channel()),
        programs.first(),
    ) {
        (Some(finance), Some(channel), Some(p)) => {
            mdf::create_mdf(store, &p.id.to_string(), &writers, channel, finance).await?
        }
        _ => mdf::MdfWritten::default(),
    };
    tracing::info!(
        allocations = mdf.allocations,
        requests = mdf.requests,
        claims = mdf.claims,
        elapsed_ms = ms(started),
        "seed: MDF budget, allocations, requests and claims written"
    );
    let campaigns = match (writers.get("finance@vendor.example"), programs.first()) {
        (Some(marketing), Some(p)) => {
            campaign::create_campaigns(store, &p.id.to_string(), &writers, marketing).await?
        }
        _ => campaign::CampaignsWritten::default(),
    };
    tracing::info!(
        templates = campaigns.templates,
        campaigns = campaigns.campaigns,
        leads = campaigns.leads,
        elapsed_ms = ms(started),
        "seed: campaign templates, launched campaigns and their leads written"
    );
    let events = match (writers.get("finance@vendor.example"), programs.first()) {
        (Some(marketing), Some(p)) => {
            event::create_events(store, &p.id.to_string(), &writers, marketing).await?
        }
        _ => event::EventsWritten::default(),
    };
    tracing::info!(
        events = events.events,
        rsvps = events.rsvps,
        check_ins = events.check_ins,
        elapsed_ms = ms(started),
        "seed: events, their replies and check-ins written"
    );
    // Co-marketing launch checklists: the seed template, a charter's and a campaign's launch.
    let launches = match (
        writers.get(plan.channel()),
        writers.get("finance@vendor.example"),
        programs.first(),
    ) {
        (Some(channel), Some(marketing), Some(p)) => {
            launch::create_launches(store, &p.id.to_string(), &writers, channel, marketing).await?
        }
        _ => launch::LaunchesWritten::default(),
    };
    tracing::info!(
        templates = launches.templates,
        launches = launches.launches,
        elapsed_ms = ms(started),
        "seed: launch checklists written"
    );
    // The technology track: the Technology Alliance's partners placed by the "which tier?"
    // tree, and charters with its strategic partners in crawl, walk and run (one ended).
    let track = match writers.get(plan.channel()) {
        Some(channel) => {
            partnership::create_technology_track(
                store,
                &plan.partners,
                &partner_ids,
                &writers,
                channel,
            )
            .await?
        }
        None => partnership::TrackWritten::default(),
    };
    tracing::info!(
        placements = track.placements,
        charters = track.charters,
        elapsed_ms = ms(started),
        "seed: technology track placements and charters written"
    );
    // The directory: listings of active partners, the Technology Alliance curated (one
    // listing still waiting for its review).
    let listings = match writers.get(plan.channel()) {
        Some(channel) => {
            directory::create_listings(
                store,
                &plan.partners,
                &partner_ids,
                programs.get(2).map(|p| p.id.as_str()),
                &writers,
                channel,
            )
            .await?
        }
        None => directory::ListingsWritten::default(),
    };
    tracing::info!(
        listings = listings.listings,
        published = listings.published,
        in_review = listings.in_review,
        reviews = listings.reviews,
        leads = listings.leads,
        collections = listings.collections,
        elapsed_ms = ms(started),
        "seed: directory listings written"
    );
    // Account mapping: one active partnership with an upload and its matrix, one proposed.
    let mapped = match writers.get("admin@vendor.example") {
        Some(admin) => {
            mapping::create_mappings(store, &plan.partners, &writers, admin, &plan.accounts).await?
        }
        None => mapping::MappingWritten::default(),
    };
    tracing::info!(
        partnerships = mapped.partnerships,
        rows = mapped.rows,
        matched = mapped.matched,
        elapsed_ms = ms(started),
        "seed: account mapping written"
    );
    // Webhooks: the vendor's CRM connector and the first partner's own, paused.
    let partner_admin = plan
        .partners
        .first()
        .and_then(|p| p.users.iter().find(|u| u.role == Role::PartnerAdmin))
        .and_then(|u| writers.get(&u.email));
    let subscriptions = match writers.get("admin@vendor.example") {
        Some(admin) => webhook::create_subscriptions(store, admin, partner_admin).await?,
        None => 0,
    };
    tracing::info!(
        subscriptions,
        elapsed_ms = ms(started),
        "seed: webhook subscriptions written (paused)"
    );
    // CSV imports: accounts and a partner's deals on them done, one refused with its errors.
    let imported = match writers.get(plan.channel()) {
        Some(channel) => {
            let partner = plan.partners.first().map(|p| p.name.as_str());
            import::create_imports(store, channel, partner).await?
        }
        None => import::Imported::default(),
    };
    tracing::info!(
        imported_accounts = imported.accounts,
        imported_opportunities = imported.opportunities,
        elapsed_ms = ms(started),
        "seed: import runs written"
    );
    let people: Vec<Vec<&room::Writer>> = plan
        .partners
        .iter()
        .map(|p| {
            p.users
                .iter()
                .filter_map(|u| writers.get(&u.email))
                .collect()
        })
        .collect();
    let learning = enablement::create_enablement(
        store,
        &partner_ids,
        &people,
        plan.partners.first().map(|p| p.web_domain.as_str()),
    )
    .await?;
    // Reminders and expiry as of today, so the demo's holders see them (quietly, below).
    store.certification_daily().await?;
    tracing::info!(
        courses = learning.courses,
        certifications = learning.certifications,
        elapsed_ms = ms(started),
        "seed: curricula, courses and certified people written"
    );
    let notified = notify_quietly(store).await?;
    tracing::info!(
        notifications = notified,
        elapsed_ms = ms(started),
        "seed: notifications of the live deals written"
    );
    Ok(SeedReport {
        programs: programs.len(),
        partners: plan.partners.len(),
        accounts: plan.accounts.len() + imported.accounts,
        registrations,
        users: users + learning.users,
        opportunities: written.opportunities + imported.opportunities,
        touchpoints: written.touchpoints,
        fx_rates,
        rooms: rooms.rooms,
        room_notes: rooms.notes,
        room_tasks: rooms.tasks,
        business_plans: plans.plans,
        business_plans_agreed: plans.agreed,
        plan_reviews: plans.reviews,
        revenue_events: payouts.revenue_events,
        commission_lines: payouts.lines,
        statements: payouts.statements,
        courses: learning.courses,
        certifications: learning.certifications,
        listings: listings.listings,
        listings_published: listings.published,
        listings_in_review: listings.in_review,
        logins: plan.logins(),
    })
}

/// Turns what the seed just did (decisions on the live deals, duplicate reviews' conflict
/// cases) into notifications, so the demo users' notification pages show something. The
/// back-dated history is too old to announce (`core::notification::timing::STALE_AFTER`).
/// Their e-mails are recorded as skipped even when SMTP is configured: the demo's
/// addresses are made up, and nobody should receive them.
async fn notify_quietly(store: &Store) -> Result<usize, StoreError> {
    let quiet = store.clone().with_notify(NotifySettings {
        smtp: None,
        ..store.notify_settings().clone()
    });
    Ok(quiet.notify().await?.notifications)
}

/// What creating the plan's partners made: their ids, the active ones that register deals,
/// and how many partner users.
struct CreatedPartners {
    ids: Vec<String>,
    registering: Vec<String>,
    users: usize,
    /// The partner users' ids by e-mail.
    user_ids: HashMap<String, String>,
}

/// The plan's partners, each with its joining history and its users.
async fn create_partners(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    programs: &[SeededProgram],
) -> Result<CreatedPartners, StoreError> {
    let mut users = 0;
    let mut user_ids = HashMap::new();
    let mut registering: Vec<String> = Vec::new();
    let mut partner_ids: Vec<String> = Vec::with_capacity(plan.partners.len());
    for p in &plan.partners {
        let program = &programs[p.program.index()];
        let tier_id = program.tiers.get(&p.tier_rank).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "program {} has no tier of rank {}",
                program.id, p.tier_rank
            ))
        })?;
        let input = PartnerInput {
            name: Some(p.name.clone()),
            web_domain: Some(p.web_domain.clone()),
            partner_type: Some(p.partner_type.as_str().to_owned()),
            program_id: Some(program.id.clone()),
            tier_id: Some(tier_id.clone()),
            status: Some(p.status.as_str().to_owned()),
            country: Some(p.country.to_owned()),
            regions: Some(p.regions.iter().map(|r| r.as_str().to_owned()).collect()),
            verticals: Some(p.verticals.clone()),
            joined_on: Some(p.joined_on.format("%Y-%m-%d").to_string()),
        };
        let partner = store.create_partner(actor, &input).await?;
        history::record_joining(store, partner.id.as_str(), p).await?;
        if matches!(p.status, PartnerStatus::Active) {
            registering.push(partner.id.to_string());
        }
        partner_ids.push(partner.id.to_string());
        let created = create_users(store, actor, &p.users, Some(partner.id.to_string())).await?;
        users += created.len();
        user_ids.extend(created);
    }
    Ok(CreatedPartners {
        ids: partner_ids,
        registering,
        users,
        user_ids,
    })
}

/// The plan's accounts as inputs, owned by the demo's direct sales reps.
fn account_inputs(plan: &Plan, staff_ids: &HashMap<String, String>) -> Vec<AccountInput> {
    let sales_ids: Vec<String> = plan
        .sales_reps()
        .iter()
        .filter_map(|email| staff_ids.get(*email).cloned())
        .collect();
    plan.accounts
        .iter()
        .map(|a| AccountInput {
            name: Some(a.name.clone()),
            web_domain: Some(a.web_domain.clone()),
            country: Some(a.country.to_owned()),
            industry: Some(a.industry.to_owned()),
            direct_owner_id: a.owner.and_then(|i| sales_ids.get(i).cloned()),
            status: Some(a.status.as_str().to_owned()),
        })
        .collect()
}

/// Registrations across their lifecycle, so the demo shows the approval queue, held
/// accounts and decisions: one per 50 accounts (at most 60), spread over the active
/// partners, each account registered once. Every sixth is left pending, one in six is
/// rejected, one in six closed won, and the rest approved, some with a logged demo.
async fn create_registrations(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    partners: &[String],
) -> Result<(usize, Vec<Held>), StoreError> {
    if partners.is_empty() {
        return Ok((0, Vec::new()));
    }
    let mut held = Vec::new();
    let live = plan::live_registration_accounts(plan.accounts.len());
    let count = live.len();
    for (i, &a) in live.iter().enumerate() {
        let account = &plan.accounts[a];
        let input = RegistrationInput {
            partner_id: Some(partners[i % partners.len()].clone()),
            account: Some(AccountRefInput {
                name: Some(account.name.clone()),
                web_domain: Some(account.web_domain.clone()),
                country: Some(account.country.to_owned()),
            }),
            title: Some(format!(
                "{} rollout",
                DEAL_PRODUCTS[i % DEAL_PRODUCTS.len()]
            )),
            product: Some(DEAL_PRODUCTS[i % DEAL_PRODUCTS.len()].to_owned()),
            estimated_arr_minor: Some(usd(12_000 + (i as i64 % 9) * 7_500)),
            ..Default::default()
        };
        let reg = store.submit_registration(actor, &input).await?;
        let id = reg.id.to_string();
        if matches!(i % 6, 0 | 2 | 4 | 5) {
            held.push(Held {
                holder: i % partners.len(),
                account_id: reg.account_id.to_string(),
                name: account.name.clone(),
                country: account.country.to_owned(),
            });
        }
        let reason = |r: &str| ReasonInput {
            reason: Some(r.to_owned()),
        };
        match i % 6 {
            0 => {}
            1 => {
                store
                    .reject_registration(
                        actor,
                        &id,
                        &reason("the customer is already in a direct renewal"),
                    )
                    .await?;
            }
            2 => {
                store
                    .approve_registration(
                        actor,
                        &id,
                        &reason("new logo in the partner's territory"),
                    )
                    .await?;
                let demo = ActivityInput {
                    kind: Some("demo".into()),
                    occurred_at: None,
                    notes: Some("Product demo with the IT team".into()),
                };
                store.log_activity(actor, &id, &demo).await?;
            }
            3 => {
                store
                    .approve_registration(actor, &id, &reason("qualified opportunity"))
                    .await?;
                let close = CloseInput {
                    outcome: Some("won".into()),
                    reason: Some("signed a two-year order".into()),
                };
                store.close_registration(actor, &id, &close).await?;
            }
            _ => {
                store
                    .approve_registration(actor, &id, &reason("qualified opportunity"))
                    .await?;
            }
        }
    }
    Ok((count, held))
}

/// An account a live registration holds, for the duplicate reviews.
struct Held {
    /// The holding partner's index among the registering partners.
    holder: usize,
    account_id: String,
    name: String,
    country: String,
}

/// The duplicate review, filled: another partner registers a near spelling of three held
/// accounts by name only, so each waits for review with a system conflict case. The first
/// is left for a channel manager; the second is answered "different companies"; the third
/// is rejected and its account merged into the held one. Only when the demo has enough live
/// registrations (small test seeds get none).
async fn create_duplicate_reviews(
    store: &Store,
    actor: &Actor,
    held: &[Held],
    partners: &[String],
) -> Result<usize, StoreError> {
    if partners.len() < 2 || held.len() < 6 {
        return Ok(0);
    }
    let near: Vec<(&Held, String)> = held
        .iter()
        .filter_map(|h| near_spelling(&h.name).map(|n| (h, n)))
        .take(3)
        .collect();
    for (k, (h, name)) in near.iter().enumerate() {
        let input = RegistrationInput {
            partner_id: Some(partners[(h.holder + 1) % partners.len()].clone()),
            account: Some(AccountRefInput {
                name: Some(name.clone()),
                web_domain: None,
                country: Some(h.country.clone()),
            }),
            title: Some(format!("{name} platform rollout")),
            product: Some(DEAL_PRODUCTS[k % DEAL_PRODUCTS.len()].to_owned()),
            estimated_arr_minor: Some(usd(18_000)),
            ..Default::default()
        };
        let reg = store.submit_registration(actor, &input).await?;
        let account_id = reg.account_id.to_string();
        match k {
            0 => {}
            1 => {
                let answer = DistinctInput {
                    from: Some(h.account_id.clone()),
                    reason: Some("different legal entities, checked with the partner".into()),
                };
                store
                    .mark_accounts_distinct(actor, &account_id, &answer)
                    .await?;
            }
            _ => {
                let reason = ReasonInput {
                    reason: Some(format!(
                        "{} is already registered by another partner",
                        h.name
                    )),
                };
                store
                    .reject_registration(actor, reg.id.as_str(), &reason)
                    .await?;
                let answer = MergeInput {
                    into: Some(h.account_id.clone()),
                    reason: Some("same company, a spelling variant".into()),
                };
                store.merge_accounts(actor, &account_id, &answer).await?;
            }
        }
    }
    Ok(near.len())
}

/// A spelling variant close enough to be a near match but not the same normalised name: a
/// letter doubled after the matching block (the first four letters).
fn near_spelling(name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let at = 5;
    let c = *chars.get(at)?;
    if chars.len() < 8 || !c.is_alphabetic() {
        return None;
    }
    let mut out: String = chars[..=at].iter().collect();
    out.extend(&chars[at..]);
    Some(out)
}

/// The store with its clock stopped at `at`: what it writes then is dated `at`.
pub(crate) fn store_at(store: &Store, at: DateTime<Utc>) -> Store {
    store.clone().with_clock(Arc::new(move || at))
}

/// The partners' past deals (see [`plan::DealPlan`]): each submitted, approved, worked and
/// closed through the store at the time it happened. Returns the ids of the opportunities
/// their approvals opened, in plan order.
async fn create_past_deals(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    partner_ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut opportunities = Vec::with_capacity(plan.deals.len());
    for d in &plan.deals {
        let account = &plan.accounts[d.account];
        let input = RegistrationInput {
            partner_id: Some(partner_ids[d.partner].clone()),
            account: Some(AccountRefInput {
                name: Some(account.name.clone()),
                web_domain: Some(account.web_domain.clone()),
                country: Some(account.country.to_owned()),
            }),
            title: Some(format!("{} for {}", d.product, account.name)),
            product: Some(d.product.to_owned()),
            estimated_arr_minor: Some(d.amount_minor),
            ..Default::default()
        };
        let reg = store_at(store, d.submitted_at)
            .submit_registration(actor, &input)
            .await?;
        let id = reg.id.to_string();
        let approved = store_at(store, d.approved_at)
            .approve_registration(
                actor,
                &id,
                &ReasonInput {
                    reason: Some("qualified opportunity".to_owned()),
                },
            )
            .await?;
        opportunities.push(
            approved
                .opportunity_id
                .map(|o| o.to_string())
                .unwrap_or_default(),
        );
        let activity = ActivityInput {
            kind: Some(if d.won { "demo" } else { "meeting" }.into()),
            occurred_at: None,
            notes: Some(if d.won {
                "Product demo with the buying committee".into()
            } else {
                "Discovery meeting with the customer".into()
            }),
        };
        store_at(store, d.activity_at)
            .log_activity(actor, &id, &activity)
            .await?;
        let close = CloseInput {
            outcome: Some(if d.won { "won" } else { "lost" }.into()),
            reason: Some(
                if d.won {
                    "signed an annual order"
                } else {
                    // Listed in the program's lost reasons, so the opportunity the
                    // registration opened closes with it too.
                    "lost to competitor"
                }
                .into(),
            ),
        };
        store_at(store, d.closed_at)
            .close_registration(actor, &id, &close)
            .await?;
    }
    Ok(opportunities)
}

/// Seats the planned partners on the reseller program's advisory council, with the notes of
/// its last meeting.
async fn create_council(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    programs: &[SeededProgram],
    partner_ids: &[String],
) -> Result<(), StoreError> {
    if plan.council.is_empty() {
        return Ok(());
    }
    let program = &programs[ProgramSlot::Reseller.index()].id;
    let held_on = plan::council_meeting_day();
    let seated = store_at(store, plan::at(held_on - chrono::Duration::days(90), 9));
    for &i in &plan.council {
        seated
            .set_council_member(actor, program, &partner_ids[i], true)
            .await?;
    }
    store_at(store, plan::at(held_on + chrono::Duration::days(1), 9))
        .record_council_meeting(
            actor,
            program,
            &held_on.format("%Y-%m-%d").to_string(),
            "Quarterly advisory council. Reviewed the Select criteria and the deal-registration \
             rules. Members asked for longer protection on public-sector deals (sales cycles \
             run past 90 days) and for notice of the annual tier review a month ahead. \
             Follow-up: the channel team drafts a policy change for the council to comment on.",
        )
        .await?;
    Ok(())
}

/// Submits the planned applications to the reseller program, each scored on arrival by the
/// fit model trained on the partners written before.
async fn create_applications(
    store: &Store,
    plan: &Plan,
    programs: &[SeededProgram],
) -> Result<usize, StoreError> {
    let program = &programs[ProgramSlot::Reseller.index()].id;
    for a in &plan.applicants {
        let input = ApplicationInput {
            program_id: Some(program.clone()),
            company: Some(a.company.clone()),
            web_domain: Some(a.web_domain.clone()),
            partner_type: Some(a.partner_type.as_str().to_owned()),
            country: Some(a.country.to_owned()),
            employees: Some(a.profile.employees),
            countries: Some(
                a.profile
                    .countries
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect(),
            ),
            verticals: Some(a.verticals.clone()),
            vendor_relationships: Some(a.profile.vendor_relationships.clone()),
            target_customers: Some(a.profile.target_customers),
            certified_staff: Some(a.profile.certified_staff),
            contact_name: Some(a.contact_name.clone()),
            contact_email: Some(a.contact_email.clone()),
        };
        store_at(store, a.submitted_at)
            .submit_application(&input)
            .await?;
    }
    Ok(plan.applicants.len())
}

const DEAL_PRODUCTS: &[&str] = &[
    "Platform",
    "Analytics",
    "Security suite",
    "Data pipeline",
    "Support plus",
];

/// A created program and its tier ids by rank.
struct SeededProgram {
    id: String,
    tiers: HashMap<i32, String>,
}

async fn create_programs(store: &Store, actor: &Actor) -> Result<Vec<SeededProgram>, StoreError> {
    let mut out = Vec::new();
    for slot in ProgramSlot::ALL {
        let program: Program = store.create_program(actor, &program_input(slot)).await?;
        let page = page_of(200, &Store::tier_sorts())?;
        let ladder = store
            .tiers(&Scope::Vendor, program.id.as_str(), Archived::Live, &page)
            .await?;
        let tiers = ladder
            .items
            .into_iter()
            .map(|t| (t.rank, t.id.to_string()))
            .collect();
        out.push(SeededProgram {
            id: program.id.to_string(),
            tiers,
        });
    }
    Ok(out)
}

fn strings(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|s| (*s).to_owned()).collect())
}

/// USD in minor units (cents).
const fn usd(dollars: i64) -> i64 {
    dollars * 100
}

fn program_input(slot: ProgramSlot) -> ProgramInput {
    let (name, kind, description, thesis) = match slot {
        ProgramSlot::Reseller => (
            "Reseller Program",
            ProgramKind::Reseller,
            "Value-added resellers, MSPs and system integrators who sell, implement and support \
             the product in regions and segments direct sales does not reach.",
            ThesisInput {
                coverage_gaps: strings(&[
                    "DACH mid-market",
                    "Public sector in LATAM",
                    "Nordics SMB",
                    "Healthcare in ANZ",
                    "Manufacturing in Japan",
                ]),
                economic_model: Some(
                    "Resale margin on first-year ARR by tier: 10% Registered, 20% Select, 30% \
                     Premier; renewals at half the margin. A registered deal protects the \
                     partner's margin for 90 days."
                        .to_owned(),
                ),
                partner_value: strings(&[
                    "Registered-deal protection",
                    "Qualified leads in covered regions",
                    "Sales and technical enablement",
                    "Co-branded campaigns and market development funds",
                    "An executive sponsor for Premier partners",
                ]),
                sourced_arr_target_minor: Some(usd(12_000_000)),
                influenced_arr_target_minor: Some(usd(20_000_000)),
            },
        ),
        ProgramSlot::Referral => (
            "Referral Program",
            ProgramKind::Referral,
            "Consultants and advisors who introduce qualified buyers and leave the sale to \
             direct sales.",
            ThesisInput {
                coverage_gaps: strings(&[
                    "Boutique consultancies advising CFOs",
                    "Regional IT advisors to SMB",
                ]),
                economic_model: Some(
                    "Referral fee of 10% of first-year ARR on closed-won deals the partner \
                     registered first."
                        .to_owned(),
                ),
                partner_value: strings(&[
                    "A fee without carrying a quota",
                    "Early access to the product roadmap",
                    "Certification for advisory staff",
                ]),
                sourced_arr_target_minor: Some(usd(3_000_000)),
                influenced_arr_target_minor: Some(usd(6_000_000)),
            },
        ),
        ProgramSlot::Technology => (
            "Technology Alliance",
            ProgramKind::Technology,
            "ISVs and platforms whose products integrate with ours and are sold together.",
            ThesisInput {
                coverage_gaps: strings(&[
                    "Data platform integrations",
                    "Security ecosystem",
                    "Buyers who purchase through cloud marketplaces",
                ]),
                economic_model: Some(
                    "No resale margin: co-sell splits on joint deals and marketplace listings; \
                     joint roadmap and integration certification."
                        .to_owned(),
                ),
                partner_value: strings(&[
                    "Listing in the integration directory",
                    "Joint go-to-market and co-marketing",
                    "Sandbox and engineering support",
                ]),
                sourced_arr_target_minor: Some(usd(2_000_000)),
                influenced_arr_target_minor: Some(usd(15_000_000)),
            },
        ),
    };
    ProgramInput {
        name: Some(name.to_owned()),
        kind: Some(kind.as_str().to_owned()),
        description: Some(description.to_owned()),
        currency: Some("USD".to_owned()),
        thesis: Some(thesis),
    }
}

/// Creates users (of `partner_id`, if given) and returns their ids by e-mail. The few with
/// a password are created concurrently, since Argon2 hashing dominates their cost.
async fn create_users(
    store: &Store,
    actor: &Actor,
    users: &[UserPlan],
    partner_id: Option<String>,
) -> Result<HashMap<String, String>, StoreError> {
    let mut set = JoinSet::new();
    for u in users {
        let input = NewUserInput {
            email: Some(u.email.clone()),
            display_name: Some(u.display_name.clone()),
            role: Some(u.role.as_str().to_owned()),
            partner_id: partner_id.clone(),
            password: u.with_password.then(|| DEMO_PASSWORD.to_owned()),
        };
        let (store, actor) = (store.clone(), actor.clone());
        set.spawn(async move { store.create_user(&actor, &input).await });
    }
    let mut ids = HashMap::new();
    while let Some(joined) = set.join_next().await {
        let user = joined.map_err(join_error)??;
        ids.insert(user.email.to_string(), user.id.to_string());
    }
    Ok(ids)
}

/// Writes accounts with [`ACCOUNT_WRITERS`] concurrent tasks, each taking every n-th input,
/// and returns their ids by web domain. The inputs are fixed before, so the content does not
/// depend on the interleaving.
async fn create_accounts(
    store: &Store,
    actor: &Actor,
    inputs: Vec<AccountInput>,
) -> Result<HashMap<String, String>, StoreError> {
    let mut lanes: Vec<Vec<AccountInput>> = vec![Vec::new(); ACCOUNT_WRITERS];
    for (i, input) in inputs.into_iter().enumerate() {
        lanes[i % ACCOUNT_WRITERS].push(input);
    }
    let mut set = JoinSet::new();
    for lane in lanes {
        let (store, actor) = (store.clone(), actor.clone());
        set.spawn(async move {
            let mut ids = Vec::with_capacity(lane.len());
            for input in &lane {
                let account = store.create_account(&actor, input).await?;
                if let Some(domain) = &account.web_domain {
                    ids.push((domain.to_string(), account.id.to_string()));
                }
            }
            Ok::<_, StoreError>(ids)
        });
    }
    // Dropping the set on the first error aborts the other lanes.
    let mut ids = HashMap::new();
    while let Some(joined) = set.join_next().await {
        ids.extend(joined.map_err(join_error)??);
    }
    Ok(ids)
}

fn ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn join_error(e: tokio::task::JoinError) -> StoreError {
    StoreError::Corrupt(format!("seed task failed: {e}"))
}

/// The first page of up to `limit` rows, in a list's default order.
fn page_of(limit: u32, sorts: &[&'static str]) -> Result<PageRequest, StoreError> {
    let params = PageParams {
        limit: Some(limit.to_string()),
        ..Default::default()
    };
    Ok(PageRequest::parse(&params, sorts)?)
}
