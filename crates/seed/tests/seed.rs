//! The seed against a real SQLite file: determinism, counts, distributions, logins.

// Test helpers outside #[test] functions may unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use partnerops_core::business_plan::attainment::QuarterState;
use partnerops_core::business_plan::record::{PlanStatus, ReviewKind};
use partnerops_core::ids::{EntityId, ProgramId};
use partnerops_core::lifecycle::application::ApplicationStatus;
use partnerops_core::lifecycle::fit::FitMethod;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partner::{Partner, PartnerType};
use partnerops_core::payout::statement::{DisputeState, StatementState};
use partnerops_core::pipeline::room::{NoteVisibility, TaskStatus};
use partnerops_core::scope::Scope;
use partnerops_core::user::Role;
use partnerops_seed::{DEMO_PASSWORD, DemoLogin, SeedSpec, demo_logins, is_seeded, seed};
use partnerops_store::account::AccountFilter;
use partnerops_store::business_plan::PlanFilter;
use partnerops_store::lifecycle::application::ApplicationFilter;
use partnerops_store::partner::PartnerFilter;
use partnerops_store::payout::{LineFilter, StatementFilter};
use partnerops_store::pipeline::OpportunityFilter;
use partnerops_store::program::ProgramFilter;
use partnerops_store::registration::RegistrationFilter;
use partnerops_store::user::UserFilter;
use partnerops_store::{Actor, Archived, Store, StoreError};

/// A fresh SQLite file in its own temporary directory, removed on drop.
struct TempDb {
    dir: PathBuf,
    store: Store,
}

impl TempDb {
    async fn new() -> TempDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "partnerops-seed-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.join("seed.db").display()))
            .await
            .unwrap();
        TempDb { dir, store }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh PostgreSQL database on the server `PARTNEROPS_TEST_PG_URL` names (as
/// ./scripts/test provides; default the local server), dropped on drop.
struct PgDb {
    server_url: String,
    name: String,
    store: Store,
}

impl PgDb {
    async fn new() -> PgDb {
        use sqlx::Connection;
        let server_url = std::env::var("PARTNEROPS_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "po_seed_{}_{}_{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn = sqlx::postgres::PgConnection::connect(&server_url)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL is not reachable at {server_url} ({e}). Run ./scripts/test, which brings one up, or set PARTNEROPS_TEST_PG_URL.")
            });
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.ok();
        let (head, query) = server_url
            .split_once('?')
            .map_or((server_url.as_str(), None), |(h, q)| (h, Some(q)));
        let base = &head[..head.rfind('/').unwrap()];
        let url = match query {
            Some(q) => format!("{base}/{name}?{q}"),
            None => format!("{base}/{name}"),
        };
        let store = Store::open(&url).await.unwrap();
        PgDb {
            server_url,
            name,
            store,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        use sqlx::Connection;
        // Dropping needs async I/O; do it on a thread of its own so Drop can wait.
        let (server_url, name) = (self.server_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(&server_url).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

fn page(sorts: &[&'static str], cursor: Option<String>) -> PageRequest {
    PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            cursor,
            sort: None,
        },
        sorts,
    )
    .unwrap()
}

/// Every page of a list, following cursors.
macro_rules! all {
    ($store:expr, $method:ident, $filter:expr, $sorts:expr) => {{
        let mut items = Vec::new();
        let mut cursor = None;
        loop {
            let p = $store
                .$method(&Scope::Vendor, &$filter, &page(&$sorts, cursor))
                .await
                .unwrap();
            items.extend(p.items);
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => break items,
            }
        }
    }};
}

/// Every opportunity as what the seed decides about it (not ids or times of the run).
async fn opportunities(store: &Store) -> Vec<(String, String, i64, String, String, String)> {
    let list = all!(
        store,
        opportunities,
        OpportunityFilter::default(),
        Store::opportunity_sorts()
    );
    let mut out: Vec<_> = list
        .into_iter()
        .map(|o| {
            (
                o.account_name,
                o.title,
                o.amount.amount_minor,
                o.amount.currency.to_string(),
                o.stage.to_string(),
                o.source.as_str().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn partners(store: &Store) -> Vec<Partner> {
    all!(
        store,
        partners,
        PartnerFilter::default(),
        Store::partner_sorts()
    )
}

/// Every statement and commission line as what the seed decides about it (not ids or times
/// of the run).
async fn payouts(store: &Store) -> (Vec<(String, String, String, i64, i64)>, Vec<String>) {
    let statements = all!(
        store,
        statements,
        StatementFilter::default(),
        Store::statement_sorts()
    );
    let mut s: Vec<_> = statements
        .into_iter()
        .map(|s| {
            (
                s.period,
                s.partner_name,
                s.state.as_str().to_owned(),
                s.total.amount_minor,
                s.line_count,
            )
        })
        .collect();
    s.sort();
    let lines = all!(
        store,
        commission_lines,
        LineFilter::default(),
        Store::commission_line_sorts()
    );
    let mut l: Vec<_> = lines
        .into_iter()
        .map(|l| {
            format!(
                "{} {} {} {} {}",
                l.accrued_on,
                l.opportunity_title.unwrap_or_default(),
                l.rule,
                l.statement_amount,
                l.why
            )
        })
        .collect();
    l.sort();
    (s, l)
}

#[tokio::test]
async fn the_same_spec_gives_the_same_program() {
    let (a, b) = (TempDb::new().await, TempDb::new().await);
    let report = seed(&a.store, &SeedSpec::small(7)).await.unwrap();
    seed(&b.store, &SeedSpec::small(7)).await.unwrap();

    let summary = |ps: Vec<Partner>| {
        ps.into_iter()
            .map(|p| {
                let domain = p.web_domain.to_string();
                (
                    p.name,
                    domain,
                    p.partner_type,
                    p.tier_name,
                    p.country,
                    p.status,
                    p.regions,
                    p.verticals,
                    p.joined_on,
                )
            })
            .collect::<Vec<_>>()
    };
    let pa = summary(partners(&a.store).await);
    assert_eq!(pa.len(), 8);
    assert_eq!(pa, summary(partners(&b.store).await));

    let accounts = |store: &Store| {
        let store = store.clone();
        async move {
            let list = all!(
                store,
                accounts,
                AccountFilter::default(),
                Store::account_sorts()
            );
            list.into_iter()
                .map(|a| {
                    (
                        a.name,
                        a.web_domain.map(|d| d.to_string()),
                        a.country,
                        a.industry,
                        a.status,
                        a.direct_owner_id.is_some(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let aa = accounts(&a.store).await;
    // 40 generated, and the 4 of the demo's Salesforce import.
    assert_eq!(aa.len(), 44);
    assert_eq!(aa, accounts(&b.store).await);

    let emails = |store: &Store| {
        let store = store.clone();
        async move {
            let list = all!(store, users, UserFilter::default(), Store::user_sorts());
            list.into_iter()
                .map(|u| (u.email.to_string(), u.display_name, u.role))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(emails(&a.store).await, emails(&b.store).await);

    // The pipeline too: a handful of deals, ending in every column of the board, and the 2
    // of the demo's Salesforce import.
    assert_eq!(report.opportunities, 10);
    let oa = opportunities(&a.store).await;
    assert!(oa.len() >= report.opportunities, "{}", oa.len());
    assert_eq!(oa, opportunities(&b.store).await);
    let stages: HashSet<&str> = oa.iter().map(|o| o.4.as_str()).collect();
    assert_eq!(stages.len(), 6, "{stages:?}");

    // And the payouts: the same lines, on the same statements, in the same states.
    let (statements, lines) = payouts(&a.store).await;
    assert!(!statements.is_empty() && !lines.is_empty());
    assert_eq!((statements, lines), payouts(&b.store).await);

    // Another seed is another program.
    let c = TempDb::new().await;
    seed(&c.store, &SeedSpec::small(8)).await.unwrap();
    assert_ne!(pa, summary(partners(&c.store).await));
}

/// PostgreSQL gets the same program as SQLite, payouts included: the policy versions in
/// force at each close, the accrual, the statement runs and their states.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_seeds_the_same_program_and_payouts() {
    let (sqlite, pg) = (TempDb::new().await, PgDb::new().await);
    let spec = SeedSpec::small(7);
    let a = seed(&sqlite.store, &spec).await.unwrap();
    let b = seed(&pg.store, &spec).await.unwrap();
    assert_eq!(a, b);
    assert_eq!(
        opportunities(&sqlite.store).await,
        opportunities(&pg.store).await
    );
    let (statements, lines) = payouts(&sqlite.store).await;
    assert!(!statements.is_empty() && !lines.is_empty());
    assert_eq!((statements, lines), payouts(&pg.store).await);
}

#[tokio::test]
async fn the_report_matches_the_store_and_covers_every_type_and_tier() {
    let db = TempDb::new().await;
    let store = &db.store;
    let spec = SeedSpec {
        seed: 42,
        partners: 60,
        accounts: 100,
    };
    assert!(!is_seeded(store).await.unwrap());
    let report = seed(store, &spec).await.unwrap();
    assert!(is_seeded(store).await.unwrap());

    let programs = all!(
        store,
        programs,
        ProgramFilter::default(),
        Store::program_sorts()
    );
    assert_eq!(report.programs, 3);
    assert_eq!(programs.len(), report.programs);
    let reseller = programs
        .iter()
        .find(|p| p.name == "Reseller Program")
        .unwrap();
    assert_eq!(
        reseller.thesis.sourced_arr_target.amount_minor,
        1_200_000_000
    );
    assert!(
        reseller
            .thesis
            .coverage_gaps
            .iter()
            .any(|g| g == "DACH mid-market")
    );
    for p in &programs {
        let tiers = store
            .tiers(
                &Scope::Vendor,
                p.id.to_string().as_str(),
                Archived::Live,
                &page(&Store::tier_sorts(), None),
            )
            .await
            .unwrap();
        let names: Vec<&str> = tiers.items.iter().map(|t| t.name.as_str()).collect();
        // A technology program runs the technology partnership track.
        let expected = if p.kind == partnerops_core::program::ProgramKind::Technology {
            ["Integration", "Partnership", "Strategic"]
        } else {
            ["Registered", "Select", "Premier"]
        };
        assert_eq!(names, expected, "{}", p.name);
    }

    let ps = partners(store).await;
    assert_eq!(ps.len(), report.partners);
    assert_eq!(ps.len(), 60);
    let accounts = all!(
        store,
        accounts,
        AccountFilter::default(),
        Store::account_sorts()
    );
    assert_eq!(accounts.len(), report.accounts);
    // 100 generated, and the 4 of the demo's Salesforce import.
    assert_eq!(accounts.len(), 104);
    let users = all!(store, users, UserFilter::default(), Store::user_sorts());
    assert_eq!(users.len(), report.users);
    assert_eq!(users.iter().filter(|u| u.partner_id.is_none()).count(), 6);
    assert_eq!(
        users.iter().filter(|u| u.role == Role::DirectSales).count(),
        3
    );
    assert_eq!(
        users
            .iter()
            .filter(|u| u.role == Role::PartnerAdmin)
            .count(),
        60
    );

    let types: HashSet<PartnerType> = ps.iter().map(|p| p.partner_type).collect();
    assert_eq!(types.len(), PartnerType::ALL.len());
    let mut per_tier: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &ps {
        *per_tier.entry(p.tier_name.as_str()).or_default() += 1;
    }
    assert!(per_tier["Registered"] > per_tier["Select"], "{per_tier:?}");
    assert!(
        per_tier["Select"] > per_tier["Premier"] && per_tier["Premier"] > 0,
        "{per_tier:?}"
    );
    let countries: HashSet<String> = ps.iter().map(|p| p.country.to_string()).collect();
    assert!(countries.len() >= 15, "{countries:?}");
    let in_reseller = ps.iter().filter(|p| p.program_id == reseller.id).count();
    assert!(in_reseller > ps.len() / 2, "{in_reseller}");
}

/// Each login has notifications to show, none of them e-mailed.
async fn have_notifications(store: &Store, logins: &[&DemoLogin]) {
    for login in logins {
        let principal = store
            .login(&login.email, &login.password, "test")
            .await
            .unwrap();
        let inbox = store
            .notifications(&principal, false, &page(&["created_at"], None))
            .await
            .unwrap();
        assert!(
            !inbox.items.is_empty(),
            "{} has no notifications",
            login.email
        );
        let mails = store.email_deliveries(&principal.user_id).await.unwrap();
        assert!(
            mails.iter().all(|m| m.status == "skipped"),
            "{}: {mails:?}",
            login.email
        );
    }
}

#[tokio::test]
async fn the_demo_logins_can_sign_in() {
    let db = TempDb::new().await;
    let store = &db.store;
    let spec = SeedSpec::small(11);
    let report = seed(store, &spec).await.unwrap();
    assert_eq!(report.logins, demo_logins(&spec));
    let roles: Vec<Role> = report.logins.iter().map(|l| l.role).collect();
    assert_eq!(
        roles,
        [
            Role::Admin,
            Role::ChannelManager,
            Role::PartnerAdmin,
            Role::PartnerRep
        ]
    );

    for login in &report.logins {
        assert_eq!(login.password, DEMO_PASSWORD);
        let principal = store
            .login(&login.email, &login.password, "test")
            .await
            .unwrap();
        assert_eq!(principal.role, login.role);
        match (&principal.scope, &login.partner_name) {
            (Scope::Vendor, None) => {}
            (Scope::Partner(id), Some(name)) => {
                let partner = store
                    .partner(&Scope::Vendor, id.to_string().as_str())
                    .await
                    .unwrap();
                assert_eq!(&partner.name, name);
                assert_eq!(partner.status.as_str(), "active");
                assert!(partner.tier_name == "Select" || partner.tier_name == "Premier");
            }
            other => panic!("unexpected scope for {}: {other:?}", login.email),
        }
    }
    let admin = &report.logins[0];
    assert_eq!(admin.email, "admin@vendor.example");
    assert!(
        store
            .login("admin@vendor.example", DEMO_PASSWORD, "test")
            .await
            .unwrap()
            .is_vendor()
    );
    // Everyone else has no password.
    assert!(matches!(
        store
            .login("sales1@vendor.example", DEMO_PASSWORD, "test")
            .await,
        Err(StoreError::BadCredentials)
    ));
}

/// The full demo program seeds and has the size `partnerops demo` promises. (How long it
/// takes is reported by `partnerops demo` and the load benchmark, not asserted here.)
#[tokio::test(flavor = "multi_thread")]
async fn the_full_demo_program_seeds() {
    let db = TempDb::new().await;
    let report = seed(&db.store, &SeedSpec::demo()).await.unwrap();
    // 5,000 generated accounts and the 4 of the demo's Salesforce import.
    assert_eq!(
        (report.programs, report.partners, report.accounts),
        (3, 60, 5004)
    );
    assert_eq!(report.logins.len(), 4);
    // Every demo login, staff too, finds notifications on first start.
    have_notifications(&db.store, &report.logins.iter().collect::<Vec<_>>()).await;

    // The technology track: charters in crawl, walk and run, and one ended with its lessons.
    let charters = db
        .store
        .charters(&Scope::Vendor, None, &page(&Store::charter_sorts(), None))
        .await
        .unwrap()
        .items;
    for phase in ["crawl", "walk", "run"] {
        assert!(
            charters
                .iter()
                .any(|c| c.ended_at.is_none() && c.phase.map(|p| p.as_str()) == Some(phase)),
            "a charter in {phase}"
        );
    }
    assert!(
        charters
            .iter()
            .any(|c| c.ended_at.is_some() && c.lessons.as_deref().is_some_and(|l| !l.is_empty())),
        "an ended charter with its lessons"
    );

    // Account mapping: one active partnership with an upload and a matrix, one proposed.
    let mappings = db.store.mapping_partnerships(&Scope::Vendor).await.unwrap();
    let status: Vec<&str> = mappings.iter().map(|m| m.status.as_str()).collect();
    assert_eq!(status.len(), 2, "{status:?}");
    assert!(
        status.contains(&"active") && status.contains(&"proposed"),
        "{status:?}"
    );
    let active = mappings
        .iter()
        .find(|m| m.status.as_str() == "active")
        .unwrap();
    assert!(active.uploaded_rows > 20, "{active:?}");
    let matrix = db
        .store
        .mapping_matrix(&Scope::Vendor, active.id.as_str())
        .await
        .unwrap();
    assert!(matrix.total >= 10, "{matrix:?}");

    // The reseller program's history teaches its fit model. As of a fixed day (the labels
    // depend on it: a partner's first year must be over, or it must have climbed).
    let store = &db.store;
    let programs = all!(
        store,
        programs,
        ProgramFilter::default(),
        Store::program_sorts()
    );
    let reseller = programs
        .iter()
        .find(|p| p.name == "Reseller Program")
        .unwrap()
        .id
        .to_string();
    let day = chrono::DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let then = store.clone().with_clock(std::sync::Arc::new(move || day));
    let model = then
        .fit_model_report(&Scope::Vendor, &reseller)
        .await
        .unwrap();
    assert_eq!(model.method, FitMethod::Model, "{}", model.reason);
    assert!(model.labelled >= 20, "{}", model.reason);
    assert!(model.auc.unwrap() >= 0.7, "{}", model.reason);

    // Applications wait in the queue, scored by that model; the council has met.
    let queue = store
        .applications(&Scope::Vendor, &ApplicationFilter::default())
        .await
        .unwrap();
    assert_eq!(queue.len(), 3);
    for a in &queue {
        assert_eq!(a.status, ApplicationStatus::Submitted);
        assert_eq!(a.fit.method, FitMethod::Model, "{}", a.fit.reason);
    }
    let council = store.council(&Scope::Vendor, &reseller).await.unwrap();
    assert_eq!((council.members.len(), council.meetings.len()), (3, 1));
    assert!(council.warnings.is_empty(), "{:?}", council.warnings);

    // The pipeline: every column of the reseller board filled, open deals in several
    // forecast months, the rate table monthly for 18 months back.
    assert_eq!(
        (report.opportunities, report.fx_rates),
        (182, 76),
        "{report:?}"
    );
    assert!(report.touchpoints >= 200, "{}", report.touchpoints);
    let filter = OpportunityFilter {
        program_id: Some(ProgramId::from_trusted(reseller.clone())),
        ..Default::default()
    };
    let board = store.pipeline_board(&Scope::Vendor, &filter).await.unwrap();
    assert_eq!(board.columns.len(), 6);
    for c in &board.columns {
        assert!(c.column.totals.count >= 5, "{:?}", c.column);
        assert!(c.column.totals.unconverted.is_empty(), "{:?}", c.column);
        assert!(!c.cards.is_empty());
    }
    let currencies: HashSet<String> = board
        .columns
        .iter()
        .flat_map(|c| c.column.totals.by_currency.iter())
        .map(|m| m.currency.to_string())
        .collect();
    assert!(currencies.len() >= 4, "{currencies:?}");
    let forecast = store
        .pipeline_forecast(&Scope::Vendor, &filter)
        .await
        .unwrap();
    assert!(forecast.months.len() >= 5, "{:?}", forecast.months);
    assert_eq!(store.fx_rates(&Scope::Vendor).await.unwrap().len(), 76);

    // Deal rooms: about twenty open partner deals (the demo partner's first) and three
    // closed ones, with members of both sides, notes, tasks and shared fields.
    let system = Actor::system("test");
    assert_eq!(report.rooms, 23, "{report:?}");
    assert!(
        (2 * 23..=6 * 23).contains(&report.room_notes),
        "{}",
        report.room_notes
    );
    assert!(
        (23..=4 * 23).contains(&report.room_tasks),
        "{}",
        report.room_tasks
    );
    let all_deals = all!(
        store,
        opportunities,
        OpportunityFilter::default(),
        Store::opportunity_sorts()
    );
    let today = store.now().date_naive();
    let (mut rooms, mut notes, mut tasks, mut closed_rooms) = (0, 0, 0, 0);
    let (mut done, mut overdue, mut later, mut private, mut two_partners) = (0, 0, 0, 0, 0);
    let mut demo_rooms = Vec::new();
    for o in &all_deals {
        let room = store.room(&system, o.id.as_str()).await.unwrap();
        if room.notes.is_empty() {
            continue;
        }
        rooms += 1;
        closed_rooms += usize::from(o.stage.is_closed());
        notes += room.notes.len();
        tasks += room.tasks.len();
        assert!((1..=3).contains(&room.fields.len()), "{:?}", room.fields);
        assert!((1..=4).contains(&room.tasks.len()));
        assert!(room.members.iter().any(|m| m.partner_id.is_none()));
        assert!(room.members.iter().any(|m| m.partner_id.is_some()));
        let partners: HashSet<_> = room
            .members
            .iter()
            .filter_map(|m| m.partner_id.clone())
            .collect();
        two_partners += usize::from(partners.len() >= 2);
        // The vendor reads its own private notes, never a partner's.
        for n in &room.notes {
            if n.visibility == NoteVisibility::OurSide {
                assert!(n.author_partner_id.is_none());
                private += 1;
            }
        }
        assert!(
            room.notes.iter().any(|n| n.body.contains('@')),
            "no mention"
        );
        for t in &room.tasks {
            match (t.status, t.due_on) {
                (TaskStatus::Done, _) => done += 1,
                (_, Some(d)) if d < today => overdue += 1,
                (_, Some(d)) if d > today => later += 1,
                _ => {}
            }
        }
        if room
            .members
            .iter()
            .any(|m| m.email.ends_with(&format!("@{}", demo_domain(&report))))
        {
            demo_rooms.push(o.id.to_string());
        }
    }
    println!(
        "{rooms} rooms ({closed_rooms} closed), {notes} notes the vendor reads ({private} private), {tasks} tasks: {done} done, {overdue} overdue, {later} due later; {} of the demo partner",
        demo_rooms.len()
    );
    assert_eq!((rooms, closed_rooms), (23, 3));
    assert_eq!(tasks, report.room_tasks);
    assert!(
        notes < report.room_notes,
        "the partners' private notes are theirs"
    );
    assert!(private >= 5 && done >= 5 && overdue >= 1 && later >= 5);
    assert_eq!(two_partners, 1);
    // The demo partner's users are in its rooms and read its private notes there.
    assert!(demo_rooms.len() >= 5, "{demo_rooms:?}");
    let rep = report
        .logins
        .iter()
        .find(|l| l.role == Role::PartnerRep)
        .unwrap();
    let principal = store
        .login(&rep.email, &rep.password, "test")
        .await
        .unwrap();
    let rep_actor = Actor::User(principal.clone());
    let mut own_private = 0;
    for id in &demo_rooms {
        let room = store.room(&rep_actor, id).await.unwrap();
        own_private += room
            .notes
            .iter()
            .filter(|n| n.visibility == NoteVisibility::OurSide)
            .count();
        assert!(
            room.notes
                .iter()
                .all(|n| n.visibility == NoteVisibility::Everyone
                    || n.author_partner_id.as_ref() == principal.partner_id())
        );
    }
    assert!(own_private >= 1);

    // Joint business plans: ten, the last a draft, the demo partner's amended to version 2,
    // reviews of both kinds; attainment from live data shows drift and pace.
    assert_eq!(
        (report.business_plans, report.business_plans_agreed),
        (10, 9),
        "{report:?}"
    );
    let plans = all!(
        store,
        business_plans,
        PlanFilter::default(),
        Store::business_plan_sorts()
    );
    assert_eq!(plans.len(), 10);
    let agreed = plans
        .iter()
        .filter(|p| p.status == PlanStatus::Agreed)
        .count();
    assert_eq!((agreed, plans.len() - agreed), (9, 1));
    assert_eq!(plans.iter().filter(|p| p.version == 2).count(), 1);
    let (mut drifting, mut on_pace, mut qbrs, mut monthly) = (0, 0, 0, 0);
    for p in &plans {
        assert!(p.period_start < today && p.period_end > today);
        assert!(
            !p.content.target_account_ids.is_empty(),
            "{}",
            p.partner_name
        );
        for a in &p.content.target_account_ids {
            let regs = store
                .registrations(
                    &Scope::Partner(p.partner_id.clone()),
                    &RegistrationFilter {
                        account_id: Some(a.clone()),
                        ..Default::default()
                    },
                    &page(&Store::registration_sorts(), None),
                )
                .await
                .unwrap();
            assert!(!regs.items.is_empty(), "{a} is not the partner's");
        }
        let a = store
            .business_plan_attainment(&Scope::Vendor, p.id.as_str())
            .await
            .unwrap();
        let current = a
            .quarters
            .iter()
            .find(|q| q.starts_on <= today && q.ends_on >= today)
            .unwrap();
        assert!(
            a.quarters[0].ends_on < today,
            "a quarter is behind the plan"
        );
        if p.status == PlanStatus::Agreed {
            if a.drifting {
                drifting += 1;
                assert!(current.drift_reason.is_some());
            } else if current.state == QuarterState::OnPace {
                on_pace += 1;
            }
        }
        for r in store
            .plan_reviews(&Scope::Vendor, p.id.as_str())
            .await
            .unwrap()
        {
            assert!(!r.attendees.is_empty() && !r.notes.is_empty());
            match r.kind {
                ReviewKind::QuarterlyBusinessReview => qbrs += 1,
                ReviewKind::MonthlyPipelineReview => monthly += 1,
            }
        }
    }
    println!(
        "plans: {drifting} drifting, {on_pace} on pace; {monthly} monthly reviews, {qbrs} QBRs"
    );
    assert!(
        drifting >= 1 && on_pace >= 1,
        "{drifting} drifting, {on_pace} on pace"
    );
    assert!(qbrs >= 9 && monthly >= 20, "{qbrs} QBRs, {monthly} monthly");
    assert_eq!(monthly + qbrs, report.plan_reviews);
    // The demo partner sees its own plan (and only it).
    let own = store
        .business_plans(
            &principal.scope,
            &PlanFilter::default(),
            &page(&Store::business_plan_sorts(), None),
        )
        .await
        .unwrap();
    assert_eq!(own.items.len(), 1);
    assert_eq!(own.items[0].version, 2);

    // Payouts: each program's incentives published as version 2, in force before the
    // pipeline's deals closed; a year of won deals paid under them; renewals, expansions and
    // a clawback; statements in every state.
    for p in &programs {
        let v = store
            .program_policy(&Scope::Vendor, p.id.as_str())
            .await
            .unwrap();
        assert_eq!(v.version, 2, "{}", p.name);
        assert_eq!(v.policy.incentives.tiers.len(), 3, "{}", p.name);
        assert!(
            v.published_at.unwrap()
                < chrono::DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z").unwrap()
        );
    }
    let lines = all!(
        store,
        commission_lines,
        LineFilter::default(),
        Store::commission_line_sorts()
    );
    assert_eq!(lines.len(), report.commission_lines);
    assert!(lines.iter().all(|l| l.policy_version == 2));
    let year_ago = chrono::NaiveDate::from_ymd_opt(2025, 10, 25).unwrap();
    let closes_in_a_year: HashSet<String> = lines
        .iter()
        .filter(|l| {
            l.rule == "resale_margin"
                || l.rule == "referral_fee"
                || l.rule == "co_sell_split"
                || l.rule == "marketplace"
        })
        .filter(|l| l.accrued_on >= year_ago)
        .filter_map(|l| l.opportunity_id.as_ref().map(|o| o.to_string()))
        .collect();
    assert!(closes_in_a_year.len() >= 25, "{}", closes_in_a_year.len());
    let rules: HashSet<&str> = lines.iter().map(|l| l.rule.as_str()).collect();
    for rule in ["resale_margin", "renewal", "expansion", "clawback"] {
        assert!(rules.contains(rule), "no {rule} line: {rules:?}");
    }
    // A clawback exactly negates a line of the same deal.
    for c in lines.iter().filter(|l| l.rule == "clawback") {
        let negated = lines
            .iter()
            .find(|l| Some(&l.id) == c.negates_line_id.as_ref())
            .unwrap();
        assert_eq!(
            c.statement_amount.amount_minor,
            -negated.statement_amount.amount_minor
        );
        assert_eq!(c.opportunity_id, negated.opportunity_id);
        assert!(c.accrued_on > negated.accrued_on);
        assert!((c.accrued_on - negated.accrued_on).num_days() <= 90);
    }
    assert_eq!(report.revenue_events, 11);
    let statements = all!(
        store,
        statements,
        StatementFilter::default(),
        Store::statement_sorts()
    );
    assert_eq!(statements.len(), report.statements);
    let states: HashSet<StatementState> = statements.iter().map(|s| s.state).collect();
    assert_eq!(states.len(), StatementState::ALL.len(), "{states:?}");
    let periods: HashSet<&str> = statements.iter().map(|s| s.period.as_str()).collect();
    assert_eq!(periods.len(), 7, "{periods:?}");
    for s in &statements {
        let detail = store
            .statement(&Scope::Vendor, s.id.as_str())
            .await
            .unwrap();
        match s.state {
            StatementState::RolledOver => {
                assert!(detail.lines.is_empty());
                assert!(s.total.amount_minor < 100_000, "{s:?}");
            }
            _ => {
                let sum: i64 = detail
                    .lines
                    .iter()
                    .map(|l| l.statement_amount.amount_minor)
                    .sum();
                assert_eq!(sum, s.total.amount_minor, "{s:?}");
            }
        }
        assert_eq!(
            s.payment_reference.is_some(),
            s.state == StatementState::Paid,
            "{s:?}"
        );
    }
    // The demo partner's admin disputed a line of its last statement, which it sees with
    // the dispute; a partner sees only its own statements.
    let admin = report
        .logins
        .iter()
        .find(|l| l.role == Role::PartnerAdmin)
        .unwrap();
    let admin = store
        .login(&admin.email, &admin.password, "test")
        .await
        .unwrap();
    let mine = store
        .statements(
            &admin.scope,
            &StatementFilter::default(),
            &page(&Store::statement_sorts(), None),
        )
        .await
        .unwrap()
        .items;
    assert!(
        mine.iter()
            .all(|s| Some(&s.partner_id) == admin.partner_id())
    );
    let disputed = mine
        .iter()
        .find(|s| s.state == StatementState::Disputed)
        .expect("the demo partner's statement is disputed");
    assert_eq!(disputed.period, "2026-Q3");
    let detail = store
        .statement(&admin.scope, disputed.id.as_str())
        .await
        .unwrap();
    assert_eq!(detail.disputes.len(), 1);
    assert_eq!(detail.disputes[0].state, DisputeState::Open);
    assert_eq!(detail.disputes[0].raised_by, admin.user_id);

    // Enablement: three published courses; the demo partner has four people with a valid
    // certification (the seed ladder's Premier criterion, met from live data), and the
    // demo has certifications lapsing within 30 days and expired ones.
    assert_eq!(report.courses, 3);
    let demo_partner = admin.partner_id().unwrap().to_string();
    assert!(
        store.certified_individuals(&demo_partner).await.unwrap() >= 4,
        "the demo partner's certified people"
    );
    let standing = store
        .tier_standing(&Scope::Vendor, &demo_partner)
        .await
        .unwrap();
    let certified: Vec<_> = standing
        .checks
        .iter()
        .flat_map(|t| t.criteria.iter())
        .filter(|c| c.metric == partnerops_core::policy::Metric::CertifiedIndividuals)
        .collect();
    assert!(!certified.is_empty());
    assert!(
        certified.iter().all(|c| c.met && c.note.is_none()),
        "{certified:?}"
    );
    let certs = store
        .certifications(
            &partnerops_store::Actor::system("test"),
            &partnerops_store::enablement::certification::CertificationFilter::default(),
        )
        .await
        .unwrap();
    assert_eq!(certs.len(), report.certifications);
    let today = chrono::Utc::now().date_naive();
    assert!(certs.iter().any(|c| !c.valid), "an expired certification");
    assert!(
        certs
            .iter()
            .any(|c| c.valid && (c.expires_on - today).num_days() <= 30),
        "a certification lapsing within 30 days"
    );

    // The directory: listings of the active partners, published in the open programs,
    // reviewed in the curated Technology Alliance where one still waits; the public search
    // finds exactly the published ones, some verified.
    assert_eq!(report.listings, 14, "{report:?}");
    assert_eq!(report.listings_in_review, 1);
    assert_eq!(report.listings_published, report.listings - 1);
    let all = store
        .directory_listings(&Scope::Vendor, None, None)
        .await
        .unwrap();
    assert_eq!(all.len(), report.listings);
    let waiting: Vec<_> = all
        .iter()
        .filter(|l| l.status == partnerops_core::directory::ListingStatus::InReview)
        .collect();
    assert_eq!(waiting.len(), 1);
    assert!(
        all.iter()
            .any(|l| l.kind == partnerops_core::directory::ListingKind::Integration)
    );
    let public = store
        .directory_search(&partnerops_store::directory::DirectoryQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(public.hits.len(), report.listings_published);
    assert!(public.hits.iter().any(|h| h.verified));
    assert!(public.hits.iter().all(|h| h.slug != waiting[0].slug));
    assert_eq!(
        store.public_slugs().await.unwrap().len(),
        report.listings_published
    );
    // The trust layer: reviews (some answered, one hidden with its reason), ratings in the
    // search, an open report in the moderation queue, enquiries.
    let reviews = store
        .directory_reviews(&Scope::Vendor, None, None)
        .await
        .unwrap();
    assert!(reviews.len() >= 8, "{}", reviews.len());
    assert!(reviews.iter().any(|r| r.answer.is_some()));
    let hidden: Vec<_> = reviews
        .iter()
        .filter(|r| r.state == partnerops_core::directory::moderation::ModerationState::Hidden)
        .collect();
    assert_eq!(hidden.len(), 1);
    assert!(hidden[0].state_reason.is_some());
    assert!(public.hits.iter().any(|h| h.rating.count > 0));
    let queue = store
        .moderation_queue(
            &partnerops_store::Actor::system("test"),
            Some(partnerops_core::directory::moderation::ReportStatus::Open),
        )
        .await
        .unwrap();
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(
        store
            .directory_leads(&Scope::Vendor, None)
            .await
            .unwrap()
            .len(),
        3
    );
}

/// The demo partner's web domain (its logins are `…@domain`).
fn demo_domain(report: &partnerops_seed::SeedReport) -> String {
    let login = report
        .logins
        .iter()
        .find(|l| l.partner_name.is_some())
        .unwrap();
    login.email.split('@').nth(1).unwrap().to_owned()
}

/// The scale seed's bulk rows are rows the product reads as its own: the lists page
/// through them, the sweep finds no expiry or follow-up SLA it should already have marked,
/// the plans' kept sums match the rows, and both databases get the same records.
#[tokio::test(flavor = "multi_thread")]
async fn the_scale_seed_writes_rows_the_product_reads_as_its_own() {
    use partnerops_core::registration::RegistrationStatus;
    use partnerops_seed::scale::{ScaleSpec, grow};

    let (sqlite, pg) = (TempDb::new().await, PgDb::new().await);
    let spec = SeedSpec::small(7);
    let mut drawn = Vec::new();
    for store in [&sqlite.store, &pg.store] {
        let report = seed(store, &spec).await.unwrap();
        let scale = ScaleSpec {
            seed: 7,
            partners: report.partners + 40,
            accounts: report.accounts + 3000,
            registrations: 2500,
        };
        let grown = grow(store, &scale, report.partners, report.accounts)
            .await
            .unwrap();
        assert_eq!(
            (grown.partners, grown.accounts, grown.registrations),
            (40, 3000, 2500)
        );
        assert!(grown.activities > 1000, "{grown:?}");

        let sweep = store.sweep().await.unwrap();
        assert_eq!((sweep.expired, sweep.sla_missed), (0, 0));
        assert_eq!(store.check_plan_sums().await.unwrap(), Vec::<String>::new());

        let now = store.now();
        let regs = all!(
            store,
            registrations,
            RegistrationFilter::default(),
            Store::registration_sorts()
        );
        assert_eq!(regs.len(), report.registrations + 2500);
        let mut statuses = BTreeMap::new();
        for r in &regs {
            *statuses.entry(r.status.as_str()).or_insert(0) += 1;
            if r.status == RegistrationStatus::Approved {
                assert!(r.expires_at.unwrap() > now, "{r:?}");
            }
        }
        for s in ["approved", "won", "lost", "expired"] {
            assert!(statuses.get(s).copied().unwrap_or(0) >= 100, "{statuses:?}");
        }
        let mut titles: Vec<(String, String)> = regs
            .iter()
            .map(|r| (r.title.clone(), r.status.as_str().to_owned()))
            .collect();
        titles.sort();
        let names: Vec<String> = partners(store).await.into_iter().map(|p| p.name).collect();
        drawn.push((titles, names));
    }
    assert_eq!(drawn[0], drawn[1]);
}

/// The directory's scale seed writes listings and reviews the public pages read as their
/// own: every listing is public with its facets and search text (found by a word of its
/// title, filtered by its category), its rating counts only its visible reviews, and both
/// databases get the same listings.
#[tokio::test(flavor = "multi_thread")]
async fn the_directory_scale_seed_writes_listings_the_public_search_finds() {
    use partnerops_seed::scale::{ScaleSpec, grow, grow_directory};
    use partnerops_store::directory::DirectoryQuery;

    let (sqlite, pg) = (TempDb::new().await, PgDb::new().await);
    let spec = SeedSpec::small(7);
    let mut drawn = Vec::new();
    for store in [&sqlite.store, &pg.store] {
        let report = seed(store, &spec).await.unwrap();
        let scale = ScaleSpec {
            seed: 7,
            partners: report.partners + 60,
            accounts: report.accounts,
            registrations: 0,
        };
        grow(store, &scale, report.partners, report.accounts)
            .await
            .unwrap();
        let public_before = store.public_slugs().await.unwrap().len();
        let dir = grow_directory(store, 7, 150, 1500).await.unwrap();
        assert_eq!((dir.listings, dir.reviews), (150, 1500));
        assert!(dir.integrations > 0 && dir.verified > 10, "{dir:?}");
        assert!(dir.hidden_reviews > 10, "{dir:?}");

        let slugs = store.public_slugs().await.unwrap();
        assert_eq!(slugs.len(), public_before + 150);
        let mut listings = Vec::new();
        let mut visible = 0;
        for (slug, _) in &slugs {
            let l = store.public_listing(slug, false).await.unwrap();
            let reviews = store.public_reviews(&l.id).await.unwrap();
            assert_eq!(reviews.len() as i64, l.rating.count, "{slug}");
            visible += l.rating.count;
            listings.push((
                l.title,
                l.kind.as_str().to_owned(),
                l.categories,
                l.rating.count,
            ));
        }
        assert!(visible >= 1400, "{visible} visible reviews");

        // A word of a seeded title finds it; its category filters to it.
        let (title, _, categories, _) = listings
            .iter()
            .find(|(_, kind, _, _)| kind == "integration")
            .unwrap()
            .clone();
        let word = title.split(' ').nth(1).unwrap().to_lowercase();
        let found = store
            .directory_search(&DirectoryQuery {
                q: word.clone(),
                category: Some(categories[1].clone()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            found.hits.iter().any(|h| h.title == title),
            "{word} in {categories:?}: {:?}",
            found.hits
        );
        let facets = store.public_facets().await.unwrap();
        assert!(
            facets
                .iter()
                .any(|f| f.facet == "category" && f.key == "integration" && f.listings > 10),
            "{facets:?}"
        );
        listings.sort();
        drawn.push(listings);
    }
    assert_eq!(drawn[0], drawn[1]);
}
