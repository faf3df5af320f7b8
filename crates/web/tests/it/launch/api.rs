//! Launch checklists through the API, on both databases.

use chrono::{Duration, NaiveDate, Utc};
use hyper::StatusCode;
use partnerops_core::launch::due_on;
use serde_json::{Value, json};

use super::{charter_launch, charter_of};
use crate::harness::TestApp;
use crate::on_both;

on_both!(
    template_to_launches_to_tasks_to_reschedule_to_cadence,
    refusals_name_the_field_and_the_rule,
    a_partner_never_sees_another_partners_launch,
);

fn ok(r: &crate::http::Answer) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn day(v: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(v.as_str().unwrap(), "%Y-%m-%d").unwrap()
}

/// The task of `launch` titled `title`.
fn task<'a>(launch: &'a Value, title: &str) -> &'a Value {
    launch["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == title)
        .unwrap_or_else(|| panic!("no task {title}: {launch}"))
}

async fn template_to_launches_to_tasks_to_reschedule_to_cadence(app: TestApp) {
    let w = app.world().await;
    let today = Utc::now().date_naive();
    let program = w.program.id.to_string();

    // Marketing authors a template of three tasks, one per phase.
    let r = app
        .http
        .post(
            "/api/v1/launch-templates",
            &w.finance,
            &json!({"program_id": program, "name": "Integration launch", "description": "For **technology** partners",
                    "tasks": [
                        {"phase": "post_launch", "title": "Pipeline review", "offset_days": 14, "owner_side": "vendor"},
                        {"phase": "pre_launch", "title": "Messaging brief", "detail": "One page, signed off by both", "offset_days": -28, "owner_side": "vendor"},
                        {"phase": "launch_week", "title": "Joint webinar", "offset_days": 3, "owner_side": "partner"}
                    ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let template = r.json();
    let template_id = template["id"].as_str().unwrap().to_owned();
    assert_eq!(template["version"], 1);
    let phases: Vec<&str> = template["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["pre_launch", "launch_week", "post_launch"]);
    // A partner of the program sees it, to launch its campaigns with.
    let seen = ok(&app
        .http
        .get("/api/v1/launch-templates", &w.a.rep_token)
        .await);
    assert_eq!(seen.as_array().unwrap().len(), 1);

    // A launch for A's charter, ten days out: the pre-launch task is already overdue.
    let launch_on = today + Duration::days(10);
    let charter = charter_of(&app, &w, &w.a).await;
    let r = app
        .http
        .post(
            "/api/v1/launches",
            &w.channel,
            &json!({"charter_id": charter, "template_id": template_id, "launch_on": launch_on.to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let launch = r.json();
    let launch_id = launch["id"].as_str().unwrap().to_owned();
    assert_eq!(launch["partner_id"], w.a.partner.id.to_string());
    assert_eq!(launch["template_version"], 1);
    assert_eq!(launch["name"], "Alpha Systems integration alliance launch");
    for (title, offset) in [
        ("Messaging brief", -28),
        ("Joint webinar", 3),
        ("Pipeline review", 14),
    ] {
        let t = task(&launch, title);
        assert_eq!(day(&t["due_on"]), due_on(launch_on, offset), "{title}");
        assert_eq!(t["status"], "open");
    }
    let brief = task(&launch, "Messaging brief")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let webinar = task(&launch, "Joint webinar")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(task(&launch, "Messaging brief")["overdue"], true);
    assert_eq!(launch["progress"]["overall"]["total"], 3);
    assert_eq!(launch["progress"]["overall"]["overdue"], 1);

    // A launch for A's campaign, started by A's rep from the seed checklist.
    let campaign_template = crate::campaign::published_template(&app, &w, &program).await;
    let campaign = crate::campaign::launched(&app, &w.a, &campaign_template, "A free review").await;
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            "/api/v1/launches",
            &w.a.rep_token,
            &json!({"campaign_id": campaign_id, "launch_on": "2028-03-01", "name": "Spring webinar launch"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let seeded = r.json();
    assert_eq!(seeded["tasks"].as_array().unwrap().len(), 13);
    assert!(seeded["template_id"].is_null());
    // 2028-03-01 is a Wednesday: the week-8 retrospective lands on Wednesday 26 April, and
    // the brief six weeks before on Wednesday 19 January.
    assert_eq!(
        task(&seeded, "Launch retrospective (week 8)")["due_on"],
        "2028-04-26"
    );
    assert_eq!(
        task(&seeded, "Joint messaging and positioning brief")["due_on"],
        "2028-01-19"
    );
    // The campaign's launches, by filter.
    let listed = ok(&app
        .http
        .get(
            &format!("/api/v1/launches?campaign_id={campaign_id}"),
            &w.channel,
        )
        .await);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        listed[0]["tasks"].as_array().unwrap().len(),
        0,
        "lists leave tasks out"
    );
    let overdue = ok(&app
        .http
        .get("/api/v1/launches?overdue=true", &w.channel)
        .await);
    let ids: Vec<&str> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [launch_id.as_str()]);

    // The partner works its side: in progress, then done (who and when recorded).
    let r = app
        .http
        .patch(
            &format!("/api/v1/launch-tasks/{webinar}"),
            &w.a.rep_token,
            &json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(ok(&r)["status"], "in_progress");
    let r = app
        .http
        .patch(
            &format!("/api/v1/launch-tasks/{webinar}"),
            &w.a.rep_token,
            &json!({"status": "done", "owner_id": w.a.rep.id.to_string()}),
        )
        .await;
    let done = ok(&r);
    assert_eq!(done["status"], "done");
    assert_eq!(done["done_by"], w.a.rep.id.to_string());
    assert_eq!(done["owner_name"], "rep");
    assert!(done["done_at"].is_string());

    // Staff skip the pipeline review with a reason.
    let review = task(&launch, "Pipeline review")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .http
        .patch(
            &format!("/api/v1/launch-tasks/{review}"),
            &w.sales,
            &json!({"status": "skipped", "skip_reason": "Folded into the QBR"}),
        )
        .await;
    assert_eq!(ok(&r)["skip_reason"], "Folded into the QBR");

    // The template's next version leaves the launch as it was.
    let r = app
        .http
        .patch(
            &format!("/api/v1/launch-templates/{template_id}"),
            &w.finance,
            &json!({"tasks": [{"phase": "launch_week", "title": "Only one", "offset_days": 0, "owner_side": "vendor"}]}),
        )
        .await;
    assert_eq!(ok(&r)["version"], 2);
    let now = ok(&app
        .http
        .get(&format!("/api/v1/launches/{launch_id}"), &w.a.rep_token)
        .await);
    assert_eq!(now["tasks"].as_array().unwrap().len(), 3);
    assert_eq!(now["progress"]["overall"]["done"], 1);
    assert_eq!(now["progress"]["overall"]["skipped"], 1);
    assert_eq!(now["progress"]["phases"][1]["percent"], 100);

    // The cadence: staff see the overdue vendor task linking to the launch; the partner its
    // side only (nothing of it is open now), and with everyone, staff see both sides.
    let agenda = ok(&app.http.get("/api/v1/cadence", &w.channel).await);
    let item = agenda["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "launch_task")
        .unwrap_or_else(|| panic!("no overdue launch task: {agenda}"));
    assert_eq!(item["link"], format!("/console/launches/{launch_id}"));
    assert_eq!(item["key"], brief);
    assert!(
        item["title"]
            .as_str()
            .unwrap()
            .starts_with("Messaging brief")
    );
    let partner_agenda = ok(&app.http.get("/api/v1/cadence", &w.a.admin_token).await);
    let partner_items: Vec<&Value> = partner_agenda["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .chain(partner_agenda["upcoming"].as_array().unwrap())
        .filter(|i| i["kind"] == "launch_task")
        .collect();
    assert!(
        partner_items.iter().all(|i| i["key"] != brief.as_str()),
        "a partner's list holds no vendor task: {partner_agenda}"
    );

    // Rescheduled a week later: the open brief moves, the done webinar stays.
    let later = launch_on + Duration::days(7);
    let r = app
        .http
        .post(
            &format!("/api/v1/launches/{launch_id}/reschedule"),
            &w.channel,
            &json!({"launch_on": later.to_string()}),
        )
        .await;
    let moved = ok(&r);
    assert_eq!(day(&moved["launch_on"]), later);
    assert_eq!(
        day(&task(&moved, "Messaging brief")["due_on"]),
        due_on(later, -28)
    );
    assert_eq!(
        day(&task(&moved, "Joint webinar")["due_on"]),
        due_on(launch_on, 3)
    );
    assert_eq!(
        day(&task(&moved, "Pipeline review")["due_on"]),
        due_on(launch_on, 14)
    );

    // Every change is in the audit trails.
    let trail = ok(&app
        .http
        .get(
            &format!("/api/v1/launches/{launch_id}/audit"),
            &w.a.rep_token,
        )
        .await);
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["updated", "created"]);
}

async fn refusals_name_the_field_and_the_rule(app: TestApp) {
    let w = app.world().await;
    let program = w.program.id.to_string();
    // A task whose offset does not fit its phase, named by its place.
    let r = app
        .http
        .post(
            "/api/v1/launch-templates",
            &w.admin,
            &json!({"program_id": program, "name": "Bad", "tasks": [
                {"phase": "pre_launch", "title": "Fine", "offset_days": -30, "owner_side": "vendor"},
                {"phase": "launch_week", "title": "Too late", "offset_days": 9, "owner_side": "partner"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.problem_rules(),
        ["tasks[1].offset_days:launch.offset_phase"]
    );
    // Partners and direct sales author no templates.
    let r = app
        .http
        .post(
            "/api/v1/launch-templates/seed",
            &w.sales,
            &json!({"program_id": program}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["rule"], "role.write_launch_template");

    // A launch names one subject and a real date.
    let r = app
        .http
        .post(
            "/api/v1/launches",
            &w.channel,
            &json!({"launch_on": "2027-02-30"}),
        )
        .await;
    assert_eq!(
        r.problem_rules(),
        ["charter_id:launch.one_subject", "launch_on:date"]
    );

    let launch = charter_launch(&app, &w, &w.a, "2027-03-08").await;
    let id = launch["id"].as_str().unwrap().to_owned();
    let charter = launch["charter_id"].as_str().unwrap().to_owned();
    // Monday 8 March 2027: the launch-week task due +4 is Friday 12; the webinar +2 Wednesday.
    assert_eq!(task(&launch, "Joint webinar")["due_on"], "2027-03-10");
    // A partner does not start or move its charter's launch.
    let r = app
        .http
        .post(
            "/api/v1/launches",
            &w.a.admin_token,
            &json!({"charter_id": charter, "launch_on": "2027-03-08"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["rule"], "role.start_launch");
    let r = app
        .http
        .post(
            &format!("/api/v1/launches/{id}/reschedule"),
            &w.a.admin_token,
            &json!({"launch_on": "2027-04-01"}),
        )
        .await;
    assert_eq!(r.json()["rule"], "role.start_launch");
    let r = app
        .http
        .post(
            &format!("/api/v1/launches/{id}/reschedule"),
            &w.channel,
            &json!({"launch_on": "2027-03-08"}),
        )
        .await;
    assert_eq!(r.problem_rules(), ["launch_on:launch.unchanged"]);

    let vendor_task = task(&launch, "Joint messaging and positioning brief")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let partner_task = task(&launch, "Joint webinar")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A partner works only its side.
    let r = app
        .http
        .patch(
            &format!("/api/v1/launch-tasks/{vendor_task}"),
            &w.a.rep_token,
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["rule"], "role.work_launch_task");
    // A skip says why; a change changes something.
    let r = app
        .http
        .patch(
            &format!("/api/v1/launch-tasks/{partner_task}"),
            &w.a.rep_token,
            &json!({"status": "skipped"}),
        )
        .await;
    assert_eq!(r.problem_rules(), ["skip_reason:required"]);
    let r = app
        .http
        .patch(
            &format!("/api/v1/launch-tasks/{partner_task}"),
            &w.a.rep_token,
            &json!({"status": "open"}),
        )
        .await;
    assert_eq!(r.problem_rules(), ["status:launch_task.unchanged"]);
    let r = app
        .http
        .patch(
            &format!("/api/v1/launch-tasks/{partner_task}"),
            &w.a.rep_token,
            &json!({"status": "finished"}),
        )
        .await;
    assert_eq!(r.problem_rules(), ["status:one_of"]);
    // Owners come from the right side and the right partner.
    for (task_id, owner, rule) in [
        (
            &partner_task,
            w.admin_user.id.to_string(),
            "owner_id:launch.owner_partner",
        ),
        (
            &partner_task,
            w.b.rep.id.to_string(),
            "owner_id:launch.owner_partner",
        ),
        (
            &vendor_task,
            w.a.rep.id.to_string(),
            "owner_id:launch.owner_side",
        ),
    ] {
        let r = app
            .http
            .patch(
                &format!("/api/v1/launch-tasks/{task_id}"),
                &w.channel,
                &json!({"owner_id": owner}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.problem_rules(), [rule]);
    }
    let r = app
        .http
        .patch(
            &format!("/api/v1/launch-tasks/{vendor_task}"),
            &w.channel,
            &json!({"owner_id": w.sales_user.id.to_string()}),
        )
        .await;
    assert_eq!(ok(&r)["owner_id"], w.sales_user.id.to_string());
    // A template of another program is not the partner's to launch with.
    let r = app
        .http
        .post(
            "/api/v1/launch-templates/seed",
            &w.admin,
            &json!({"program_id": w.other_program.id.to_string()}),
        )
        .await;
    let other = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            "/api/v1/launches",
            &w.channel,
            &json!({"charter_id": charter, "template_id": other, "launch_on": "2027-03-08"}),
        )
        .await;
    assert_eq!(r.problem_rules(), ["template_id:launch.template_program"]);
}

async fn a_partner_never_sees_another_partners_launch(app: TestApp) {
    let w = app.world().await;
    let theirs = charter_launch(&app, &w, &w.b, "2027-03-10").await;
    let id = theirs["id"].as_str().unwrap();
    let their_task = theirs["tasks"][1]["id"].as_str().unwrap();
    let made_up = format!("lch_{}", "0".repeat(32));
    for token in [&w.a.admin_token, &w.a.rep_token] {
        for path in [
            format!("/api/v1/launches/{id}"),
            format!("/api/v1/launches/{made_up}"),
        ] {
            let r = app.http.get(&path, token).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
            assert_eq!(
                r.json()["title"],
                app.http
                    .get(&format!("/api/v1/launches/{made_up}"), token)
                    .await
                    .json()["title"]
            );
        }
        let r = app
            .http
            .patch(
                &format!("/api/v1/launch-tasks/{their_task}"),
                token,
                &json!({"status": "done"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
        let list = ok(&app.http.get("/api/v1/launches", token).await);
        assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
        // Nor B's campaign, to launch with.
        let r = app
            .http
            .post("/api/v1/launches", token, &json!({"campaign_id": format!("cmp_{}", "1".repeat(32)), "launch_on": "2027-03-10"}))
            .await;
        assert_eq!(r.problem_rules(), ["campaign_id:exists"]);
    }
    // B sees its own.
    assert_eq!(
        app.http
            .get(&format!("/api/v1/launches/{id}"), &w.b.rep_token)
            .await
            .status,
        StatusCode::OK
    );
}
