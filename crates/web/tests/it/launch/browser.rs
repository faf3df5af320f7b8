//! Launch checklists in Chromium: a partner admin follows the charter's "Launch checklist"
//! link to its launch, marks a partner-side task done, and sees progress move; the vendor's
//! console shows the same launch with the task done and the overdue ones in red.
//!
//! Screenshots go to `<target>/screenshots/launch-*.png` (see `browser`).

use chrono::{Duration, Utc};
use partnerops_core::ids::EntityId;
use partnerops_core::launch::OwnerSide;
use partnerops_core::launch::record::StartLaunchInput;
use partnerops_core::partnership::record::CharterInput;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Actor;

use crate::browser::{Browser, VENDOR_ADMIN, active_partner_admin, eventually, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_marks_a_launch_task_done_in_the_portal() {
    let (app, report) = seeded().await;
    let (login, partner) = active_partner_admin(&app.store, &report).await;
    let system = Actor::system("test");
    let charter = app
        .store
        .create_charter(
            &system,
            &CharterInput {
                partner_id: Some(partner.id.to_string()),
                title: Some("Browser test alliance".into()),
                content: None,
            },
        )
        .await
        .expect("charter");
    // Launching in three weeks: the first pre-launch tasks are already overdue.
    let launch_on = Utc::now().date_naive() + Duration::days(21);
    let launch = app
        .store
        .start_launch(
            &system,
            &StartLaunchInput {
                charter_id: Some(charter.id.to_string()),
                launch_on: Some(launch_on.to_string()),
                ..Default::default()
            },
        )
        .await
        .expect("launch");
    let first_partner_task = launch
        .tasks
        .iter()
        .find(|t| t.owner_side == OwnerSide::Partner)
        .expect("a partner task")
        .clone();
    assert!(first_partner_task.overdue, "{first_partner_task:?}");

    let b = Browser::start(&app).await;
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto(&format!("/portal/charters/{}", charter.id)).await;
    b.click("#charter-launches").await;
    b.wait_css("#launches").await;
    b.shot("launch-01-portal-list").await;
    b.click(&format!(
        "#launches a[href='/portal/launches/{}']",
        launch.id
    ))
    .await;
    b.wait_css("#phase-pre_launch").await;
    let row = format!("#task-{}", first_partner_task.id);
    assert_eq!(b.text(&format!("{row} .task-status")).await, "Open");
    assert!(
        b.exists(&format!("{row}.is-overdue")).await,
        "the overdue task is marked"
    );
    // Vendor tasks carry no form for the partner.
    assert!(!b.exists("tr.side-vendor .mark-done").await);
    b.shot("launch-02-portal-launch").await;
    let before = b.text("#launch-progress").await;
    b.click(&format!("{row} .mark-done")).await;
    b.wait_css(&format!("{row}.status-done")).await;
    assert_eq!(b.text(&format!("{row} .task-status")).await, "Done");
    let after = b.text("#launch-progress").await;
    assert_ne!(before, after, "progress moved");
    b.shot("launch-03-portal-done").await;
    // Naming an owner alone, through the "Change…" form, leaves the status as it is.
    let second = launch
        .tasks
        .iter()
        .filter(|t| t.owner_side == OwnerSide::Partner)
        .nth(1)
        .expect("a second partner task")
        .clone();
    let second_row = format!("#task-{}", second.id);
    let me = app
        .store
        .user_by_email(&partnerops_core::scope::Scope::Vendor, &login.email)
        .await
        .expect("user");
    b.click(&format!("{second_row} details summary")).await;
    b.select(
        &format!("{second_row} select[name=owner_id]"),
        me.id.as_str(),
    )
    .await;
    b.click(&format!("{second_row} details button")).await;
    let stored = eventually("the owner to be named", async || {
        let t = app
            .store
            .launch_task(&partnerops_core::scope::Scope::Vendor, second.id.as_str())
            .await
            .map_err(|e| e.to_string())?;
        if t.owner_id.as_ref() == Some(&me.id) {
            Ok(t)
        } else {
            Err(format!("{:?}", t.owner_id))
        }
    })
    .await;
    assert_eq!(stored.status.as_str(), "open");
    b.wait_css(&format!("{second_row}.status-open")).await;
    let owner_cell = b.text(&format!("{second_row} td:nth-child(3)")).await;
    assert!(owner_cell.contains(&me.display_name), "{owner_cell}");

    let stored = app
        .store
        .launch_task(
            &partnerops_core::scope::Scope::Vendor,
            first_partner_task.id.as_str(),
        )
        .await
        .expect("task");
    assert_eq!(stored.status.as_str(), "done");
    assert_eq!(
        stored.done_by_name.as_deref(),
        Some(login_name(&app, &login.email).await.as_str())
    );

    // The vendor's console: the same launch, the task done, overdue tasks in red.
    b.click("#logout").await;
    b.wait_path("/login").await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto(&format!("/console/launches/{}", launch.id)).await;
    b.wait_css("#phase-post_launch").await;
    assert_eq!(b.text(&format!("{row} .task-status")).await, "Done");
    assert!(b.exists("tr.launch-task.is-overdue").await);
    b.shot("launch-04-console-launch").await;
    b.goto("/console/launches").await;
    b.wait_css("#launches").await;
    let listed = b.texts("#launches tbody tr").await.join("\n");
    assert!(listed.contains("Browser test alliance launch"), "{listed}");
    // The demo's own launches: a campaign's and a charter's.
    assert!(listed.contains("co-marketing launch"), "{listed}");
    assert!(listed.contains("Joint cloud security offer"), "{listed}");
    b.shot("launch-05-console-list").await;
    b.goto("/console/launches/templates").await;
    b.wait_css("#seed-programs").await;
    b.shot("launch-06-console-templates").await;
    b.close().await;
}

async fn login_name(app: &crate::harness::TestApp, email: &str) -> String {
    app.store
        .user_by_email(&partnerops_core::scope::Scope::Vendor, email)
        .await
        .expect("user")
        .display_name
}
