//! The pipeline in Chromium: a partner rep works its deal (moves it, logs a touchpoint), and
//! a channel manager opens the board, the forecast and the deal.
//!
//! Screenshots go to `<target>/screenshots/pipeline-*.png` (see `browser`).

use partnerops_core::business_plan::record::{Milestone, PlanContent, PlanInput};
use partnerops_core::ids::EntityId;
use partnerops_core::pipeline::room::MemberInput;

use partnerops_core::scope::Scope;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Actor;

use crate::browser::{
    Browser, VENDOR_ADMIN, active_partner_admin, approved_deal, eventually, seeded,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_rep_and_the_vendor_work_one_deal() {
    let (app, report) = seeded().await;
    let (login, partner) = active_partner_admin(&app.store, &report).await;
    let system = Actor::system("test");
    let opp = approved_deal(
        &app.store,
        &partner,
        "Vandelay Industries",
        "Vandelay import platform",
        64_000_00,
    )
    .await;
    // The system registered the deal, so nobody of the partner is in its room yet.
    let me = app
        .store
        .user_by_email(&Scope::Vendor, &login.email)
        .await
        .expect("the login's user");
    app.store
        .add_room_member(
            &system,
            opp.as_str(),
            &MemberInput {
                user_id: Some(me.id.to_string()),
            },
        )
        .await
        .expect("a member");

    let b = Browser::start(&app).await;
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto("/portal/opportunities").await;
    b.wait_css("#open-table").await;
    b.shot("pipeline-01-portal-list").await;
    b.click(&format!("#open-table tr[data-id='{opp}'] a")).await;
    b.wait_css("#stage-form").await;
    b.select("#stage-form select[name=stage]", "commercial_offer")
        .await;
    b.click("#stage-form button[type=submit]").await;
    eventually("the stage to read Commercial offer", async || {
        let stage = b.text("#opportunity-stage").await;
        if stage == "Commercial offer" {
            Ok(stage)
        } else {
            Err(stage)
        }
    })
    .await;
    b.type_into(
        "#touchpoint-form input[name=notes]",
        "Demo for the CFO and the IT lead",
    )
    .await;
    b.select("#touchpoint-form select[name=kind]", "demo").await;
    b.click("#touchpoint-form button[type=submit]").await;
    eventually("the touchpoint in the table", async || {
        let rows = b.texts("#touchpoint-table tbody tr").await.join(" ");
        if rows.contains("Demo for the CFO") {
            Ok(rows)
        } else {
            Err(rows)
        }
    })
    .await;
    b.shot("pipeline-02-portal-deal").await;
    // In the deal room: a note for everyone, and a task for the rep itself.
    b.click("#room-link").await;
    b.wait_css("#note-form").await;
    b.type_into(
        "#note-form textarea[name=body]",
        "The CFO wants **two references** in logistics before the offer.",
    )
    .await;
    b.click("#note-form button[type=submit]").await;
    eventually("the note in the room", async || {
        let notes = b.texts("#notes .note-body").await.join(" ");
        if notes.contains("two references") {
            Ok(notes)
        } else {
            Err(notes)
        }
    })
    .await;
    b.type_into(
        "#task-form input[name=title]",
        "Line up two logistics references",
    )
    .await;
    b.click("#task-form button[type=submit]").await;
    eventually("the task in the room", async || {
        let tasks = b.texts("#task-table tr").await.join(" ");
        if tasks.contains("logistics references") {
            Ok(tasks)
        } else {
            Err(tasks)
        }
    })
    .await;
    b.shot("pipeline-06-portal-room").await;
    b.click("#logout").await;

    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto(&format!(
        "/console/pipeline/board?program_id={}",
        partner.program_id
    ))
    .await;
    b.wait_css("#board").await;
    let column = b
        .text(".board-col[data-stage='commercial_offer'] header")
        .await;
    assert!(column.contains("Commercial offer"), "{column}");
    assert!(
        b.source().await.contains("Vandelay import platform"),
        "the deal is a card on the board"
    );
    b.shot("pipeline-03-board").await;
    b.goto(&format!(
        "/console/pipeline/forecast?program_id={}",
        partner.program_id
    ))
    .await;
    b.wait_css("#forecast-table").await;
    b.shot("pipeline-04-forecast").await;
    // The partner's plan for this quarter asks for far more than it has won: it drifts.
    let start = {
        use chrono::Datelike;
        let t = chrono::Utc::now().date_naive();
        format!("{:04}-{:02}-01", t.year(), t.month())
    };
    let plan = app
        .store
        .create_business_plan(
            &system,
            &PlanInput {
                partner_id: Some(partner.id.to_string()),
                title: Some(format!("{} joint plan", partner.name)),
                period_start: Some(start),
                content: Some(PlanContent {
                    milestones: vec![Milestone {
                        quarter: 1,
                        sourced_arr_minor: 5_000_000_00,
                    }],
                    ..PlanContent::default()
                }),
            },
        )
        .await
        .expect("a plan");
    b.goto(&format!("/console/business-plans/{}", plan.id))
        .await;
    b.wait_css("#quarter-table").await;
    assert!(b.exists("#drift-badge").await, "the plan drifts");
    assert!(b.text("#quarter-table").await.contains("below 70%"));
    b.shot("pipeline-08-business-plan").await;
    // Both sides sign: the channel manager's home page compares this quarter's sourced
    // pipeline with the plan's milestone, beside what is due.
    for email in [login.email.as_str(), VENDOR_ADMIN] {
        let user = app
            .store
            .user_by_email(&Scope::Vendor, email)
            .await
            .expect("a signer");
        let signer = app
            .store
            .principal_of(&user.id.to_string())
            .await
            .expect("a principal");
        app.store
            .sign_business_plan(&Actor::User(signer), plan.id.as_str())
            .await
            .expect("signed");
    }
    b.goto("/console").await;
    b.wait_css("#glance-table").await;
    let glance = b.text("#glance-table").await;
    assert!(glance.contains(&partner.name), "{glance}");
    assert!(glance.contains("Drifting"), "{glance}");
    assert!(b.exists("#agenda").await, "the list of what is due");
    assert!(
        b.text("#agenda").await.contains("Monthly pipeline review"),
        "the plan's first review is due this month"
    );
    b.shot("pipeline-09-home").await;
    b.goto("/console/cadence").await;
    b.wait_css("#month-grid").await;
    b.shot("pipeline-10-calendar").await;
    // The vendor reads the partner's note and ticks the task off in the room.
    b.goto(&format!("/console/opportunities/{opp}/room")).await;
    b.wait_css("#notes").await;
    assert!(b.text("#notes").await.contains("two references"));
    b.click("#task-table button[type=submit]").await;
    eventually("the task to be done", async || {
        let tasks = b.texts("#task-table tr").await.join(" ");
        if tasks.contains("Done") {
            Ok(tasks)
        } else {
            Err(tasks)
        }
    })
    .await;
    b.shot("pipeline-07-console-room").await;
    b.goto(&format!("/console/opportunities/{opp}")).await;
    b.wait_css("#close-form").await;
    b.click("#close-form button[type=submit]").await;
    eventually("the deal to be won", async || {
        let stage = b.text("#opportunity-stage").await;
        if stage == "Closed won" {
            Ok(stage)
        } else {
            Err(stage)
        }
    })
    .await;
    assert!(b.exists("#reopen-form").await);
    b.shot("pipeline-05-console-won").await;
    b.close().await;
}
