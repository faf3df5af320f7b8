//! The technology partnership track (issue 14): a technology program starts with the
//! Integration / Partnership / Strategic ladder, the "which tier?" tree places a partner,
//! a self-serve partner falls due for evaluation six months on (a cadence item), and the
//! evaluation is a decision with its reason. Staff decide; a partner reads its own standing.

use chrono::{Months, Utc};
use hyper::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::on_both;

on_both!(technology_partners_move_along_the_track);

fn ok(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn rules(r: &Answer) -> Vec<String> {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["field"].as_str().unwrap(),
                e["rule"].as_str().unwrap()
            )
        })
        .collect()
}

fn track_items(agenda: &Value) -> Vec<Value> {
    ["overdue", "upcoming"]
        .iter()
        .flat_map(|k| agenda[*k].as_array().cloned().unwrap_or_default())
        .filter(|i| i["kind"] == "track_evaluation")
        .collect()
}

async fn technology_partners_move_along_the_track(app: TestApp) {
    let w: World = app.world().await;
    let r = app
        .http
        .post(
            "/api/v1/programs",
            &w.admin,
            &json!({"name": "Integrations", "kind": "technology", "currency": "usd"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let program = r.json()["id"].as_str().unwrap().to_owned();
    let tiers = ok(&app
        .http
        .get(&format!("/api/v1/programs/{program}/tiers"), &w.admin)
        .await);
    let names: Vec<&str> = tiers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Integration", "Partnership", "Strategic"]);
    // The policy in force speaks of the same ladder, with the track's criteria.
    let policy = ok(&app
        .http
        .get(&format!("/api/v1/programs/{program}/policy"), &w.admin)
        .await);
    assert!(
        policy["document"].as_str().unwrap().contains("Partnership"),
        "{policy}"
    );

    let joined = Utc::now().date_naive();
    let r = app
        .http
        .post(
            "/api/v1/partners",
            &w.admin,
            &json!({"name": "Hookline Data", "web_domain": "hookline.example", "partner_type": "technology",
                    "program_id": program, "country": "US", "status": "active", "joined_on": joined.to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let partner = r.json()["id"].as_str().unwrap().to_owned();
    let track = format!("/api/v1/partners/{partner}/track");

    // A new partner starts on the first rung, due for evaluation six calendar months on.
    let s = ok(&app.http.get(&track, &w.admin).await);
    assert_eq!(
        (s["tier_name"].as_str(), s["rank"].as_i64()),
        (Some("Integration"), Some(1))
    );
    let due = joined.checked_add_months(Months::new(6)).unwrap();
    assert_eq!(s["evaluation_due"], due.to_string());

    // The tree places it: no engineering to self-serve, a marquee logo -> Strategic.
    let placed = ok(&app
        .http
        .post(
            &format!("{track}/placement"),
            &w.channel,
            &json!({"answers": {"engineering": false, "marquee": true}}),
        )
        .await);
    assert_eq!(placed["evaluation"]["outcome_id"], "strategic");
    assert_eq!(placed["standing"]["tier_name"], "Strategic");
    assert_eq!(placed["standing"]["evaluation_due"], Value::Null);
    let decisions = ok(&app
        .http
        .get(&format!("/api/v1/partners/{partner}/decisions"), &w.admin)
        .await);
    let start = decisions
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "technology_track.start")
        .unwrap_or_else(|| panic!("no start decision: {decisions}"));
    assert_eq!(start["outcome"], "moves to Strategic");
    assert!(
        start["reason"].as_str().unwrap().contains("marquee logo"),
        "the reason cites the path: {start}"
    );
    // Answers that stop half-way say which question is next; nothing moves.
    assert_eq!(
        rules(
            &app.http
                .post(
                    &format!("{track}/placement"),
                    &w.channel,
                    &json!({"answers": {"engineering": false}})
                )
                .await
        ),
        ["answers:complete"]
    );
    // Only the self-serve rung is evaluated.
    assert_eq!(
        rules(
            &app.http
                .post(
                    &format!("{track}/evaluation"),
                    &w.channel,
                    &json!({"promote": true, "reason": "x"})
                )
                .await
        ),
        ["partner_id:self_serve"]
    );
    // Back to self-serve: engineering resources of its own.
    let placed = ok(&app
        .http
        .post(
            &format!("{track}/placement"),
            &w.channel,
            &json!({"answers": {"engineering": true}}),
        )
        .await);
    assert_eq!(placed["standing"]["tier_name"], "Integration");

    // Six months and a bit later, the evaluation is on the vendor's list.
    let later = app.shifted_instance(chrono::Duration::days(200)).await;
    let agenda = ok(&later
        .http
        .get("/api/v1/cadence?everyone=true", &w.admin)
        .await);
    let items = track_items(&agenda);
    assert_eq!(items.len(), 1, "{agenda}");
    assert_eq!(items[0]["link"], format!("/console/partners/{partner}"));
    assert_eq!(items[0]["overdue"], true);
    // Partners never see it: the decision is the vendor's.
    assert!(
        track_items(&ok(&later
            .http
            .get("/api/v1/cadence", &w.a.admin_token)
            .await))
        .is_empty()
    );

    // An evaluation needs its verdict and its reason.
    assert_eq!(
        rules(
            &later
                .http
                .post(&format!("{track}/evaluation"), &w.channel, &json!({}))
                .await
        ),
        ["promote:required", "reason:required"]
    );
    // Kept self-serve: the next evaluation is six months after this one; the item is gone.
    let kept = ok(&later
        .http
        .post(
            &format!("{track}/evaluation"),
            &w.channel,
            &json!({"promote": false, "reason": "Integration live with 3 joint customers; no co-development asked yet"}),
        )
        .await);
    let evaluated = (Utc::now() + chrono::Duration::days(200)).date_naive();
    assert_eq!(kept["since"], evaluated.to_string());
    assert_eq!(
        kept["evaluation_due"],
        evaluated
            .checked_add_months(Months::new(6))
            .unwrap()
            .to_string()
    );
    assert!(
        track_items(&ok(&later
            .http
            .get("/api/v1/cadence?everyone=true", &w.admin)
            .await))
        .is_empty()
    );
    // Promoted: Partnership, with the decision and the tier change on record.
    let promoted = ok(&later
        .http
        .post(
            &format!("{track}/evaluation"),
            &w.channel,
            &json!({"promote": true, "reason": "Co-developed connector shipped; weekly syncs agreed"}),
        )
        .await);
    assert_eq!(promoted["tier_name"], "Partnership");
    let decisions = ok(&app
        .http
        .get(&format!("/api/v1/partners/{partner}/decisions"), &w.admin)
        .await);
    let outcomes: Vec<&str> = decisions
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "technology_track.evaluation")
        .map(|d| d["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["stays Integration", "moves to Partnership"]);

    // Who may: a partner reads only its own standing and moves nothing; the track is for
    // technology programs only.
    let theirs = format!("/api/v1/partners/{}/track", w.a.partner.id);
    assert_eq!(
        rules(&app.http.get(&theirs, &w.admin).await),
        ["partner_id:technology_program"]
    );
    assert_eq!(
        app.http.get(&track, &w.a.admin_token).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.http
            .post(
                &format!("{track}/placement"),
                &w.a.admin_token,
                &json!({"answers": {"engineering": true}})
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.http
            .post(
                &format!("{theirs}/evaluation"),
                &w.a.admin_token,
                &json!({"promote": true, "reason": "self-promotion"})
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
