//! The demo's enablement (issue #12): two role curricula, "Sales certified" (two courses)
//! and "Technical certified" (one course, which grants its own "Implementation associate"
//! too), each course with modules of real Markdown and an assessment of 5 to 6 questions;
//! and people who took them, through the store as it happened (enrolled, worked through the
//! modules, failed an attempt now and then, passed), at back-dated times so their
//! certifications are valid, lapsing within 30 days, or expired.
//!
//! The first partner (the one with the demo logins) gets two more reps, so five of its
//! people are certified in sales: one expired, one lapsing within the month, four valid on
//! the day the seed runs, which meets the seed ladder's Premier criterion "certified
//! individuals ≥ 4" from live data. The second partner has three valid certifications and
//! one expired; a few others have one person each. Dates are relative to the day the seed
//! runs, so "expiring soon" is always soon.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use partnerops_core::enablement::record::{
    CourseInput, CurriculumInput, GivenAnswer, ModuleInput, OptionInput, ProgressInput,
    QuestionInput, SubmitInput,
};
use partnerops_core::ids::{EntityId, PartnerId, UserId};
use partnerops_core::scope::{Principal, Scope};
use partnerops_core::user::{NewUserInput, Role};
use partnerops_store::{Actor, Store, StoreError};

use crate::room::Writer;
use crate::store_at;

/// A question as the seed writes it: prompt, multiple answers?, options with their right
/// flags.
type QuestionSeed = (&'static str, bool, &'static [(&'static str, bool)]);

/// A course as the seed writes it: title, summary, modules (title, Markdown) and questions
/// (prompt, multiple answers?, options with their right flags).
struct CourseSeed {
    title: &'static str,
    summary: &'static str,
    modules: &'static [(&'static str, &'static str)],
    questions: &'static [QuestionSeed],
    grants: Option<(&'static str, i64)>,
}

const SELLING: CourseSeed = CourseSeed {
    title: "Selling the month-end close",
    summary: "Who buys, why now, and how to run the ten-minute demo that gets a second meeting.",
    modules: &[
        (
            "Why finance teams buy",
            "## The pain\n\nA mid-market finance team closes its books in **eight working days** on average; controllers want three. The gap is spent on:\n\n- reconciliations kept in spreadsheets,\n- audit evidence rebuilt by hand every quarter,\n- chasing approvals over e-mail.\n\n## Why now\n\nAuditors now ask for a full trail of every adjustment. Teams that cannot show it pay for it in audit fees.\n\n> \"We were not slow because we were careless. We were slow because nothing was connected.\" — a controller at a 400-person SaaS company\n\nRead the [2026 close benchmark](https://example.com/close-benchmark) before your first call.",
        ),
        (
            "Who is in the room",
            "| Role | What they care about | What to show |\n|---|---|---|\n| CFO | days to close, audit fees | the close dashboard |\n| Controller | fewer manual reconciliations | one reconciliation, end to end |\n| IT | single sign-on, data residency | the security overview |\n\nThe **controller** usually starts the evaluation; the **CFO** signs. Bring IT in before the proposal, never after.",
        ),
        (
            "The ten-minute demo",
            "1. **Connect the ledger** (2 minutes): use the sandbox tenant, never the customer's data.\n2. **Show the close dashboard** (5 minutes): tasks by owner, what blocks day 3.\n3. **Open one reconciliation** (3 minutes) and its audit trail.\n\nEnd with one question: *\"Which of these would you want live before your next quarter-end?\"*\n\n![Close dashboard](https://example.com/images/close-dashboard.png)",
        ),
    ],
    questions: &[
        (
            "Who usually signs the purchase?",
            false,
            &[
                ("The CFO", true),
                ("The IT help desk", false),
                ("The auditor", false),
            ],
        ),
        (
            "Who usually starts the evaluation?",
            false,
            &[
                ("The controller", true),
                ("The CEO", false),
                ("Procurement", false),
            ],
        ),
        (
            "Which steps belong in the ten-minute demo?",
            true,
            &[
                ("Connect the ledger", true),
                ("Show the close dashboard", true),
                ("Open one reconciliation", true),
                ("Print every invoice", false),
            ],
        ),
        (
            "What do auditors increasingly ask for?",
            false,
            &[
                ("A full trail of every adjustment", true),
                ("Paper copies of bank statements", false),
                ("A second ERP", false),
            ],
        ),
        (
            "When should IT join the evaluation?",
            false,
            &[
                ("Before the proposal", true),
                ("After the contract is signed", false),
                ("Never", false),
            ],
        ),
    ],
    grants: None,
};

const DISCOVERY: CourseSeed = CourseSeed {
    title: "Discovery and qualification",
    summary: "Qualify in one call: the close calendar, the pain in days, and who signs.",
    modules: &[
        (
            "The discovery call",
            "## Five questions\n\n1. How many working days does your close take today?\n2. Where do reconciliations live?\n3. What did your last audit cost, and what drove it?\n4. Who owns the close calendar?\n5. What happens if nothing changes this year?\n\nWrite the answers in the deal room, so the vendor's team sees them before the demo.",
        ),
        (
            "Qualifying out",
            "Walk away, politely, when:\n\n- the close already takes **three days or less**;\n- the ledger is not one we connect to (see the [integration list](https://example.com/integrations));\n- nobody can name who signs.\n\nA registration you qualified out of is still worth closing as *lost, no decision*: it keeps your pipeline honest.",
        ),
    ],
    questions: &[
        (
            "A prospect closes in three days. What do you do?",
            false,
            &[
                ("Qualify out politely", true),
                ("Push a discount", false),
                ("Register the deal anyway", false),
            ],
        ),
        (
            "Which answers belong in the deal room?",
            true,
            &[
                ("Days to close", true),
                ("Who signs", true),
                ("The prospect's home address", false),
            ],
        ),
        (
            "Why close a qualified-out registration as lost?",
            false,
            &[
                ("It keeps the pipeline honest", true),
                ("It earns a fee", false),
                ("It extends the registration", false),
            ],
        ),
        (
            "Which is a discovery question?",
            false,
            &[
                ("Who owns the close calendar?", true),
                ("Can we start tomorrow?", false),
                ("Do you like our logo?", false),
            ],
        ),
        (
            "When is a ledger a reason to walk away?",
            false,
            &[
                ("When we do not connect to it", true),
                ("When it is in the cloud", false),
                ("Never", false),
            ],
        ),
    ],
    grants: None,
};

const IMPLEMENTATION: CourseSeed = CourseSeed {
    title: "Implementation fundamentals",
    summary: "Connect a ledger, map the chart of accounts and run a first close with the customer.",
    modules: &[
        (
            "Connecting the ledger",
            "## Before you start\n\n- An API user on the customer's ledger with **read** access to journals and balances.\n- Single sign-on configured (SAML or OIDC).\n\n```\nConnector: ledger-sync v4\nSchedule: every 15 minutes\n```\n\nThe first sync of two years of journals takes about an hour.",
        ),
        (
            "Mapping the chart of accounts",
            "Map each balance-sheet account to a **reconciliation template**:\n\n| Account type | Template |\n|---|---|\n| Bank | bank statement match |\n| Accruals | roll-forward |\n| Intercompany | two-sided match |\n\nLeave P&L accounts unmapped in the first month: they are reviewed, not reconciled.",
        ),
        (
            "The first close",
            "Run the first close **beside** the customer's old process, not instead of it. Compare the results on day 5; switch over at the next month-end.\n\nRecord open issues in the deal room's tasks, each with an owner on both sides.",
        ),
    ],
    questions: &[
        (
            "What access does the ledger API user need?",
            false,
            &[
                ("Read access to journals and balances", true),
                ("Full administrator rights", false),
                ("None", false),
            ],
        ),
        (
            "Which template fits a bank account?",
            false,
            &[
                ("Bank statement match", true),
                ("Roll-forward", false),
                ("Two-sided match", false),
            ],
        ),
        (
            "Which accounts stay unmapped in the first month?",
            false,
            &[
                ("P&L accounts", true),
                ("Bank accounts", false),
                ("Intercompany accounts", false),
            ],
        ),
        (
            "How is the first close run?",
            false,
            &[
                ("Beside the old process", true),
                ("Instead of the old process", false),
                ("Only by the vendor", false),
            ],
        ),
        (
            "Which sign-on protocols are supported?",
            true,
            &[("SAML", true), ("OIDC", true), ("FTP", false)],
        ),
        (
            "Where are open implementation issues recorded?",
            false,
            &[
                ("In the deal room's tasks", true),
                ("In a personal notebook", false),
                ("Nowhere", false),
            ],
        ),
    ],
    grants: Some(("Implementation associate", 12)),
};

/// A curriculum as the seed writes it.
struct CurriculumSeed {
    name: &'static str,
    role: &'static str,
    description: &'static str,
    grants: (&'static str, i64),
    courses: &'static [&'static CourseSeed],
}

const CURRICULA: [CurriculumSeed; 2] = [
    CurriculumSeed {
        name: "Sales certified",
        role: "sales",
        description: "For partner sellers: who buys a faster close, how to qualify, and the demo.",
        grants: ("Sales certified", 24),
        courses: &[&SELLING, &DISCOVERY],
    },
    CurriculumSeed {
        name: "Technical certified",
        role: "technical",
        description: "For presales and implementation engineers: connect, map, and run a first close.",
        grants: ("Technical certified", 24),
        courses: &[&IMPLEMENTATION],
    },
];

/// What the enablement seed wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct EnablementWritten {
    pub courses: usize,
    pub certifications: usize,
    /// Reps added to the first partner for its certified sales team.
    pub users: usize,
}

/// One person taking a curriculum, how long ago they completed it, and whether a failed
/// attempt came first.
struct Taker {
    actor: Actor,
    days_ago: i64,
    failed_first: bool,
}

fn actor_of(id: &str, name: &str, role: Role, partner: &str) -> Actor {
    match Principal::new(
        UserId::from_trusted(id.to_owned()),
        name.to_owned(),
        role,
        Some(PartnerId::from_trusted(partner.to_owned())),
    ) {
        Some(p) => Actor::User(p),
        None => Actor::system("seed"),
    }
}

/// Writes the curricula and the people who completed them. `people` are the partner users
/// by partner (in partner order); `first_domain` names the first partner's extra reps.
pub(crate) async fn create_enablement(
    store: &Store,
    partner_ids: &[String],
    people: &[Vec<&Writer>],
    first_domain: Option<&str>,
) -> Result<EnablementWritten, StoreError> {
    let staff = Actor::system("seed");
    let now = store.now();
    let started = now - Duration::days(1000);
    let author = store_at(store, started);
    let mut written = EnablementWritten::default();
    // Curriculum index → its courses' ids.
    let mut courses: Vec<Vec<String>> = Vec::new();
    for c in &CURRICULA {
        let cur = author
            .create_curriculum(
                &staff,
                &CurriculumInput {
                    name: Some(c.name.into()),
                    role: Some(c.role.into()),
                    description: Some(c.description.into()),
                    certification_name: Some(c.grants.0.into()),
                    validity_months: Some(c.grants.1),
                },
            )
            .await?;
        let mut ids = Vec::new();
        for k in c.courses {
            ids.push(create_course(&author, &staff, cur.id.as_str(), k).await?);
            written.courses += 1;
        }
        courses.push(ids);
    }
    // The first partner's sales team: its own users plus two more reps.
    let mut takers: Vec<(usize, Taker)> = Vec::new();
    if let (Some(first), Some(domain)) = (partner_ids.first(), first_domain) {
        let mut team: Vec<Actor> = people
            .first()
            .map(|p| p.iter().map(|w| w.actor()).collect())
            .unwrap_or_default();
        for (email, name) in [
            ("nadia.okafor", "Nadia Okafor"),
            ("tomas.lindqvist", "Tomás Lindqvist"),
        ] {
            let user = store
                .create_user(
                    &staff,
                    &NewUserInput {
                        email: Some(format!("{email}@{domain}")),
                        display_name: Some(name.into()),
                        role: Some(Role::PartnerRep.as_str().into()),
                        partner_id: Some(first.clone()),
                        password: None,
                    },
                )
                .await?;
            written.users += 1;
            team.push(actor_of(user.id.as_str(), name, Role::PartnerRep, first));
        }
        // Valid for a while, one lapsing within the month (24 months less 20 days ago),
        // one expired (26 months ago).
        let ages = [40, 200, 710, 300, 790];
        for (i, actor) in team.into_iter().enumerate() {
            let days_ago = ages.get(i).copied().unwrap_or(100);
            takers.push((
                0,
                Taker {
                    actor,
                    days_ago,
                    failed_first: i % 2 == 1,
                },
            ));
        }
    }
    // The second partner: three in sales (one lapsing in a week), its admin technical.
    if let Some(team) = people.get(1) {
        for (i, w) in team.iter().enumerate() {
            let days_ago = [90, 723, 900][i % 3];
            takers.push((
                0,
                Taker {
                    actor: w.actor(),
                    days_ago,
                    failed_first: false,
                },
            ));
        }
        if let Some(admin) = team.first() {
            takers.push((
                1,
                Taker {
                    actor: admin.actor(),
                    days_ago: 120,
                    failed_first: true,
                },
            ));
        }
    }
    // A few others: one person each, technical or sales.
    for (n, team) in people.iter().enumerate().skip(2).take(4) {
        if let Some(w) = team.first() {
            takers.push((
                n % 2,
                Taker {
                    actor: w.actor(),
                    days_ago: 30 + 45 * n as i64,
                    failed_first: n % 3 == 0,
                },
            ));
        }
    }
    let mut keys: HashMap<String, Vec<GivenAnswer>> = HashMap::new();
    for (curriculum, taker) in &takers {
        for course in courses.get(*curriculum).into_iter().flatten() {
            let key = match keys.get(course) {
                Some(k) => k.clone(),
                None => {
                    let k = right_answers(store, course).await?;
                    keys.insert(course.clone(), k.clone());
                    k
                }
            };
            let at = now - Duration::days(taker.days_ago);
            take(store, taker, course, &key, at).await?;
        }
    }
    written.certifications = store
        .certifications(
            &staff,
            &partnerops_store::enablement::certification::CertificationFilter::default(),
        )
        .await?
        .len();
    Ok(written)
}

async fn create_course(
    store: &Store,
    staff: &Actor,
    curriculum: &str,
    k: &CourseSeed,
) -> Result<String, StoreError> {
    let course = store
        .create_course(
            staff,
            &CourseInput {
                curriculum_id: Some(curriculum.into()),
                title: Some(k.title.into()),
                summary: Some(k.summary.into()),
                pass_mark_pct: Some(80),
                max_attempts: Some(3),
                cooldown_hours: Some(24),
                certification_name: k.grants.map(|g| g.0.to_owned()),
                validity_months: k.grants.map(|g| g.1),
                ..CourseInput::default()
            },
        )
        .await?;
    let id = course.id.to_string();
    for (title, body) in k.modules {
        store
            .add_course_module(
                staff,
                &id,
                &ModuleInput {
                    title: Some((*title).into()),
                    body: Some((*body).into()),
                    position: None,
                },
            )
            .await?;
    }
    for (prompt, multiple, options) in k.questions {
        store
            .add_question(
                staff,
                &id,
                &QuestionInput {
                    prompt: Some((*prompt).into()),
                    kind: Some(if *multiple { "multiple" } else { "single" }.into()),
                    options: Some(
                        options
                            .iter()
                            .map(|(text, correct)| OptionInput {
                                text: Some((*text).into()),
                                correct: *correct,
                            })
                            .collect(),
                    ),
                    position: None,
                },
            )
            .await?;
    }
    store
        .update_course(
            staff,
            &id,
            &CourseInput {
                status: Some("published".into()),
                ..CourseInput::default()
            },
            &partnerops_store::etag::Precondition::None,
        )
        .await?;
    Ok(id)
}

async fn right_answers(store: &Store, course: &str) -> Result<Vec<GivenAnswer>, StoreError> {
    Ok(store
        .questions(&Scope::Vendor, course)
        .await?
        .into_iter()
        .map(|q| GivenAnswer {
            question_id: q.id.to_string(),
            option_ids: q
                .options
                .iter()
                .filter(|o| o.correct)
                .map(|o| o.id.clone())
                .collect(),
        })
        .collect())
}

/// One person works through one course, finishing at `at`: enrolled two hours before,
/// each module in turn, perhaps a failed attempt (half the questions wrong), then a pass.
async fn take(
    store: &Store,
    taker: &Taker,
    course: &str,
    right: &[GivenAnswer],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let actor = &taker.actor;
    let mut t = at - Duration::hours(2);
    let e = store_at(store, t).enrol(actor, course).await?;
    let enrolment = e.enrolment.id.to_string();
    let modules = store.course(&actor.scope(), course).await?.modules;
    for m in &modules {
        t += Duration::minutes(15);
        store_at(store, t)
            .record_progress(
                actor,
                &enrolment,
                &ProgressInput {
                    module_id: m.id.to_string(),
                    complete: true,
                },
            )
            .await?;
    }
    if taker.failed_first {
        t += Duration::minutes(5);
        let a = store_at(store, t).start_attempt(actor, &enrolment).await?;
        let half: Vec<GivenAnswer> = right
            .iter()
            .enumerate()
            .map(|(i, g)| GivenAnswer {
                question_id: g.question_id.clone(),
                option_ids: if i % 2 == 0 {
                    Vec::new()
                } else {
                    g.option_ids.clone()
                },
            })
            .collect();
        t += Duration::minutes(8);
        store_at(store, t)
            .submit_attempt(actor, a.id.as_str(), &SubmitInput { answers: half })
            .await?;
    }
    t = t.max(at - Duration::minutes(10));
    let a = store_at(store, t).start_attempt(actor, &enrolment).await?;
    store_at(store, at)
        .submit_attempt(
            actor,
            a.id.as_str(),
            &SubmitInput {
                answers: right.to_vec(),
            },
        )
        .await?;
    Ok(())
}
