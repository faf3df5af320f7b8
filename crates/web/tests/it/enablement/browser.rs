//! Enablement in Chromium: a partner rep opens a course in the portal, goes through its
//! modules in the player (which reopens where they stopped), passes the assessment and
//! sees the certification.
//!
//! Screenshots go to `<target>/screenshots/enablement-*.png` (see `browser`).

use partnerops_core::enablement::record::{
    CourseInput, CurriculumInput, ModuleInput, OptionInput, QuestionInput,
};
use partnerops_core::scope::Scope;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Actor;

use crate::browser::{Browser, all_partners, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_completes_a_course_passes_its_assessment_and_is_certified() {
    let (app, report) = seeded().await;
    let partners = all_partners(&app.store).await;
    let login = report
        .logins
        .iter()
        .find(|l| {
            l.role == partnerops_core::user::Role::PartnerRep
                && partners.iter().any(|p| {
                    Some(p.name.as_str()) == l.partner_name.as_deref()
                        && p.status == partnerops_core::partner::PartnerStatus::Active
                })
        })
        .expect("a rep of an active partner")
        .clone();
    let system = Actor::system("test");
    let store = &app.store;
    let curriculum = store
        .create_curriculum(
            &system,
            &CurriculumInput {
                name: Some("Cloud close specialist".into()),
                role: Some("sales".into()),
                ..CurriculumInput::default()
            },
        )
        .await
        .unwrap();
    let course = store
        .create_course(
            &system,
            &CourseInput {
                curriculum_id: Some(curriculum.id.to_string()),
                title: Some("Selling the month-end close".into()),
                summary: Some("Who buys, why now, and the ten-minute demo.".into()),
                pass_mark_pct: Some(100),
                certification_name: Some("Close specialist".into()),
                validity_months: Some(12),
                ..CourseInput::default()
            },
        )
        .await
        .unwrap();
    let id = course.id.to_string();
    for (title, body) in [
        (
            "Why finance teams buy",
            "## The pain\n\nClosing the books takes **eight days** on average. Controllers want it in three.\n\n- Reconciliations live in spreadsheets\n- Audit trails are rebuilt by hand\n\n[The 2026 close benchmark](https://example.com/benchmark)",
        ),
        (
            "The ten-minute demo",
            "1. Connect the ledger\n2. Show the close dashboard\n3. Open one reconciliation and its audit trail\n\n| Step | Time |\n|---|---|\n| Connect | 2 min |\n| Dashboard | 5 min |\n| Audit trail | 3 min |",
        ),
    ] {
        store
            .add_course_module(
                &system,
                &id,
                &ModuleInput {
                    title: Some(title.into()),
                    body: Some(body.into()),
                    position: None,
                },
            )
            .await
            .unwrap();
    }
    let opt = |text: &str, correct: bool| OptionInput {
        text: Some(text.into()),
        correct,
    };
    store
        .add_question(
            &system,
            &id,
            &QuestionInput {
                prompt: Some("Who usually signs first?".into()),
                kind: Some("single".into()),
                options: Some(vec![
                    opt("The controller or CFO", true),
                    opt("The IT help desk", false),
                    opt("The sales team", false),
                ]),
                position: None,
            },
        )
        .await
        .unwrap();
    store
        .add_question(
            &system,
            &id,
            &QuestionInput {
                prompt: Some("Which steps belong in the demo?".into()),
                kind: Some("multiple".into()),
                options: Some(vec![
                    opt("Connect the ledger", true),
                    opt("Show the close dashboard", true),
                    opt("Print every invoice", false),
                ]),
                position: None,
            },
        )
        .await
        .unwrap();
    store
        .update_course(
            &system,
            &id,
            &CourseInput {
                status: Some("published".into()),
                ..CourseInput::default()
            },
            &partnerops_store::etag::Precondition::None,
        )
        .await
        .unwrap();
    let right: Vec<String> = store
        .questions(&Scope::Vendor, &id)
        .await
        .unwrap()
        .iter()
        .flat_map(|q| q.options.iter().filter(|o| o.correct).map(|o| o.id.clone()))
        .collect();

    let modules: Vec<String> = store
        .course(&Scope::Vendor, &id)
        .await
        .unwrap()
        .modules
        .iter()
        .map(|m| m.id.to_string())
        .collect();

    let b = Browser::start(&app).await;
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto("/portal/enablement").await;
    b.wait_css(&format!(".course-card[data-id='{id}']")).await;
    b.click(&format!(".course-card[data-id='{id}'] a")).await;
    b.wait_css("#start-course").await;
    b.click("#start-course").await;
    // The player opens at the first module, its Markdown rendered.
    b.wait_css("#module-title").await;
    assert_eq!(b.text("#module-title").await, "Why finance teams buy");
    assert!(
        b.text(".module-content strong")
            .await
            .contains("eight days")
    );
    b.shot("enablement-01-player").await;
    b.click("#complete-next").await;
    b.wait_path(&format!("/portal/enablement/modules/{}", modules[1]))
        .await;
    assert_eq!(b.text("#module-title").await, "The ten-minute demo");
    assert!(b.exists(".module-content table").await);
    // Leaving and coming back reopens where the rep stopped.
    b.goto(&format!("/portal/enablement/courses/{id}")).await;
    b.wait_css("#continue").await;
    b.click("#continue").await;
    b.wait_path(&format!("/portal/enablement/modules/{}", modules[1]))
        .await;
    assert_eq!(b.text("#module-title").await, "The ten-minute demo");
    b.click("#complete-next").await;
    b.wait_path(&format!("/portal/enablement/courses/{id}"))
        .await;
    b.wait_css("#take-assessment").await;
    b.click("#take-assessment").await;
    b.wait_css("#assessment-form fieldset").await;
    let source = b.source().await;
    assert!(
        !source.contains("correct"),
        "the page carries no answer key"
    );
    b.shot("enablement-02-assessment").await;
    for option in &right {
        b.click(&format!("input[value='{option}']")).await;
    }
    b.click("#submit-assessment").await;
    b.wait_css("#result-verdict").await;
    assert_eq!(b.text("#result-verdict").await, "Passed");
    assert!(b.text("#score").await.contains("100%"));
    b.shot("enablement-03-result").await;
    b.click("#back-to-course").await;
    b.wait_css(".earned-cert").await;
    assert!(b.text(".earned-cert").await.contains("Close specialist"));
    assert!(b.exists("#completed").await);
    b.goto("/portal/enablement").await;
    b.wait_css("#my-certifications").await;
    assert!(
        b.text("#my-certifications")
            .await
            .contains("Close specialist")
    );
    b.shot("enablement-04-portal").await;
    b.close().await;
}
