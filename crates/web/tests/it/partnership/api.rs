//! Partnership charters through the API (issue 5): the skin-in-the-game and partner-story
//! verdicts, signatures that lock a version, amendments, crawl/walk/run phases with their
//! gates at the basis-point boundaries, ending with lessons, the decisions and the
//! operating-model document; who may do what; and the decision trees as data.

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::on_both;

on_both!(
    charter_lifecycle,
    unsigned_charters_cannot_move_past_crawl,
    who_may_do_what,
    decision_trees,
    unknown_keys_anywhere_in_content_are_refused,
    a_restarted_crawl_needs_a_new_gate,
);

// ---------------------------------------------------------------------------------------
// Helpers

const CHARTERS: &str = "/api/v1/charters";

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

fn path(charter: &str, what: &str) -> String {
    if what.is_empty() {
        format!("{CHARTERS}/{charter}")
    } else {
        format!("{CHARTERS}/{charter}/{what}")
    }
}

fn ok(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn created(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

/// A 409 conflict's `field:rule`.
fn conflict(r: &Answer) -> Vec<String> {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    r.problem_rules()
}

/// A 409 refusal by a rule: (rule, detail).
fn refused(r: &Answer) -> (String, String) {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let v = r.json();
    (
        v["rule"].as_str().unwrap_or_default().to_owned(),
        v["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

/// A 403 and its rule.
fn forbidden(r: &Answer) -> String {
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    r.json()["rule"].as_str().unwrap_or_default().to_owned()
}

/// A 422 and its `field:rule`s.
fn invalid(r: &Answer) -> Vec<String> {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    r.problem_rules()
}

/// A one-sided exchange: we commit engineering time, the partner only distribution, and
/// the partner would lose nothing.
fn one_sided() -> Value {
    json!({
        "value_exchange": {
            "commitments": [
                {"side": "vendor", "kind": "engineering_time", "description": "two engineers for a quarter"},
                {"side": "partner", "kind": "distribution", "description": "a mention in the newsletter"}
            ],
            "vendor_loses": "six engineer-months",
            "partner_loses": "Nothing."
        },
        "story": {"who_buys": "Mid-market finance teams on the partner's ERP"}
    })
}

/// Economic commitments and losses on both sides, and the six answers.
fn two_sided() -> Value {
    json!({
        "mutual_goals": {
            "for_us": "Sourced pipeline in the mid-market",
            "for_partner": "Services revenue on every deployment",
            "for_customers": "Month-end close in three days"
        },
        "value_exchange": {
            "commitments": [
                {"side": "vendor", "kind": "engineering_time", "description": "two engineers for a quarter"},
                {"side": "partner", "kind": "spend_commitment", "description": "USD 200k over two years"},
                {"side": "partner", "kind": "distribution", "description": "a mention in the newsletter"}
            ],
            "vendor_loses": "six engineer-months",
            "partner_loses": "a two-year spend commitment"
        },
        "story": {
            "who_buys": "Mid-market finance teams on the partner's ERP",
            "conversation_owner": "The partner's account executives",
            "packaged_offer": "Connector plus a 2-week onboarding package",
            "partner_gets": "20% margin on first-year ARR",
            "credibility": "Three reference customers with measured close-time savings",
            "after_launch": "Monthly pipeline review and a quarterly joint campaign"
        },
        "operating_plan": {
            "ideal_customer": "Mid-market manufacturers on the partner's ERP",
            "buyers": ["CFO"],
            "packaged_offer": "Connector plus onboarding",
            "route": "resale"
        },
        "timeline": [
            {"phase": "crawl", "starts_on": "2027-01-04", "ends_on": "2027-02-26", "deliverables": ["pilot with three customers"]},
            {"phase": "walk", "starts_on": "2027-03-01", "ends_on": "2027-05-21"}
        ]
    })
}

async fn new_charter(app: &TestApp, token: &str, partner: &str, content: Value) -> Value {
    let r = app
        .http
        .post(
            CHARTERS,
            token,
            &json!({"partner_id": partner, "title": "Alpha × Vendor: ERP connector", "content": content}),
        )
        .await;
    created(&r)
}

async fn act(app: &TestApp, token: &str, charter: &str, what: &str, body: &Value) -> Answer {
    app.http.post(&path(charter, what), token, body).await
}

async fn phase(app: &TestApp, token: &str, charter: &str, phase: &str) -> Answer {
    act(app, token, charter, "phase", &json!({"phase": phase})).await
}

fn crawl(bps: i64) -> Value {
    json!({"crawl": {"improvement_bps": bps, "pilot_customers": ["Globex", "Initech"], "would_recommend": true, "can_scale": true}})
}

fn walk(bps: i64, run: Value) -> Value {
    json!({"walk": {"adoption_bps": bps, "partner_promoting": true, "support_manageable": true}, "run": run})
}

fn ready() -> Value {
    json!({"vendor_committed": true, "partner_committed": true, "roi_validates": true})
}

/// A path as (question id, answer).
fn steps(v: &Value) -> Vec<(String, bool)> {
    v.as_array()
        .unwrap_or_else(|| panic!("no path: {v}"))
        .iter()
        .map(|s| {
            (
                s["question_id"].as_str().unwrap().to_owned(),
                s["answer"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn st(pairs: &[(&str, bool)]) -> Vec<(String, bool)> {
    pairs.iter().map(|(q, a)| ((*q).to_owned(), *a)).collect()
}

/// The decisions about a charter as (rule, outcome, policy_version).
async fn decisions(app: &TestApp, token: &str, charter: &str) -> Vec<(String, String, i64)> {
    let v = ok(&app.http.get(&path(charter, "decisions"), token).await);
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["outcome"].as_str().unwrap().to_owned(),
                d["policy_version"].as_i64().unwrap(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tests

async fn charter_lifecycle(app: TestApp) {
    let w: World = app.world().await;
    let a = w.a.partner.id.to_string();
    let pa = &w.a.admin_token;

    // A draft, version 1, judged: one-sided commitments make a handshake, and five of the
    // six questions are unanswered.
    let c = new_charter(&app, &w.channel, &a, one_sided()).await;
    let cid = id(&c);
    assert_eq!(c["version"], 1);
    assert_eq!(c["status"], "active");
    assert_eq!(c["partner_name"], "Alpha Systems");
    assert_eq!(c["locked"], false);
    assert_eq!(c["ever_signed"], false);
    assert!(c["phase"].is_null(), "{c}");
    assert!(c["vendor_signed_at"].is_null() && c["partner_signed_at"].is_null());
    let skin = &c["verdicts"]["skin_in_the_game"];
    assert_eq!(skin["real"], false);
    assert_eq!(skin["verdict"], "a handshake, not a partnership");
    assert_eq!(
        skin["causes"],
        json!([
            "the partner commits nothing economic (no engineering time, spend, revenue share or co-investment)",
            "the partner would lose nothing if it failed"
        ])
    );
    let story = &c["verdicts"]["story"];
    assert_eq!(story["complete"], false);
    assert_eq!(
        story["verdict"],
        "a product feature with a press release attached"
    );
    assert_eq!(
        story["missing"],
        json!([
            "Who owns that buyer conversation?",
            "What is the packaged offer?",
            "What does the partner get for selling or referring it?",
            "What makes the joint story credible to a buyer who has not seen it work?",
            "What happens after the launch announcement?"
        ])
    );
    assert!(c["verdicts"]["leverage"].is_null());
    // Both sides read it back the same.
    let read = ok(&app.http.get(&path(&cid, ""), pa).await);
    assert_eq!(read["verdicts"], c["verdicts"]);
    assert_eq!(read["content"], c["content"]);

    // The vendor signs the draft; the partner's admin then edits it, which withdraws the
    // vendor's signature: nobody is bound to words they have not seen.
    let v = ok(&act(&app, &w.channel, &cid, "sign", &json!({})).await);
    assert!(v["vendor_signed_at"].is_string(), "{v}");
    let edited = ok(&app
        .http
        .patch(&path(&cid, ""), pa, &json!({"content": two_sided()}))
        .await);
    assert!(edited["vendor_signed_at"].is_null(), "{edited}");
    assert_eq!(edited["version"], 1);
    let skin = &edited["verdicts"]["skin_in_the_game"];
    assert_eq!(skin["real"], true, "{skin}");
    assert_eq!(skin["verdict"], "a real partnership");
    assert_eq!(skin["causes"], json!([]));
    assert_eq!(edited["verdicts"]["story"]["complete"], true);
    assert_eq!(edited["verdicts"]["story"]["missing"], json!([]));
    assert_eq!(
        edited["title"], "Alpha × Vendor: ERP connector",
        "an absent title stays"
    );

    // Signatures: one side, then both: locked.
    let one = ok(&act(&app, &w.admin, &cid, "sign", &json!({})).await);
    assert!(one["vendor_signed_at"].is_string());
    assert!(one["partner_signed_at"].is_null());
    assert_eq!(one["locked"], false);
    assert_eq!(one["ever_signed"], false);
    let both = ok(&act(&app, pa, &cid, "sign", &json!({})).await);
    assert!(both["partner_signed_at"].is_string());
    assert_eq!(both["locked"], true);
    assert_eq!(both["ever_signed"], true);

    // A locked version is not edited, and nobody signs twice.
    let r = app
        .http
        .patch(&path(&cid, ""), pa, &json!({"title": "Changed"}))
        .await;
    assert_eq!(conflict(&r), vec!["version:charter.locked"]);
    let r = app
        .http
        .patch(
            &path(&cid, ""),
            &w.channel,
            &json!({"content": one_sided()}),
        )
        .await;
    assert_eq!(conflict(&r), vec!["version:charter.locked"]);
    for token in [&w.channel, pa] {
        let r = act(&app, token, &cid, "sign", &json!({})).await;
        assert_eq!(conflict(&r), vec!["version:charter.already_signed"]);
    }

    // An amendment: version 2, a copy, unsigned; a second amendment waits for signatures.
    let v2 = ok(&act(&app, pa, &cid, "amend", &json!({})).await);
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["locked"], false);
    assert!(v2["vendor_signed_at"].is_null() && v2["partner_signed_at"].is_null());
    assert_eq!(v2["ever_signed"], true);
    assert_eq!(v2["content"], both["content"]);
    let r = act(&app, &w.channel, &cid, "amend", &json!({})).await;
    assert_eq!(conflict(&r), vec!["version:charter.not_locked"]);

    // Crawl.
    let c = ok(&phase(&app, &w.channel, &cid, "crawl").await);
    assert_eq!(c["phase"], "crawl");

    // The Crawl gate just below 20%: missed, which ends the partnership; ending records
    // what was learned, so without lessons nothing happens.
    let r = act(&app, &w.channel, &cid, "gate-reviews", &crawl(1990)).await;
    assert_eq!(invalid(&r), vec!["lessons:required"]);
    let r = act(
        &app,
        &w.channel,
        &cid,
        "gate-reviews",
        &json!({"crawl": crawl(1990)["crawl"], "lessons": "   "}),
    )
    .await;
    assert_eq!(invalid(&r), vec!["lessons:required"], "blank lessons");
    assert_eq!(
        ok(&app.http.get(&path(&cid, "gate-reviews"), pa).await),
        json!([])
    );
    let still = ok(&app.http.get(&path(&cid, ""), pa).await);
    assert_eq!(still["status"], "active");
    assert_eq!(still["phase"], "crawl");

    // At exactly 20%: go, with the tree's path.
    let g = created(&act(&app, &w.channel, &cid, "gate-reviews", &crawl(2000)).await);
    assert_eq!(g["phase"], "crawl");
    assert_eq!(g["passed"], true);
    assert_eq!(g["missed"], json!([]));
    assert_eq!(g["decision"], "go");
    assert_eq!(steps(&g["path"]), st(&[("crawl", true)]));
    assert_eq!(
        g["path"][0]["question"],
        "Did the Crawl phase meet its success criteria?"
    );

    // Walk (version 1 was signed by both; version 2 is not yet, which does not matter).
    let c = ok(&phase(&app, &w.channel, &cid, "walk").await);
    assert_eq!(c["phase"], "walk");
    assert_eq!(c["version"], 2);
    // Run before the Walk gate: refused, and the refusal is a decision.
    let (rule, detail) = refused(&phase(&app, &w.channel, &cid, "run").await);
    assert_eq!(rule, "charter.phase_refused");
    assert!(detail.contains("Walk gate"), "{detail}");

    // The Walk gate just below 70%: restart Crawl.
    let g = created(&act(&app, &w.channel, &cid, "gate-reviews", &walk(6990, ready())).await);
    assert_eq!(g["phase"], "walk");
    assert_eq!(g["passed"], false);
    assert_eq!(g["missed"], json!(["adoption 69.90% is below 70.00%"]));
    assert_eq!(g["decision"], "restart_crawl");
    assert_eq!(steps(&g["path"]), st(&[("crawl", true), ("walk", false)]));
    let c = ok(&app.http.get(&path(&cid, ""), pa).await);
    assert_eq!(c["phase"], "crawl");
    assert_eq!(c["status"], "active");

    // Crawl again, then Walk.
    let g = created(&act(&app, &w.channel, &cid, "gate-reviews", &crawl(2500)).await);
    assert_eq!(g["decision"], "go");
    ok(&phase(&app, &w.admin, &cid, "walk").await);

    // Run needs both sides committed: a Walk gate at 70% with the partner uncommitted is
    // missed; asked to end, it needs lessons; an unknown choice is refused.
    let half = json!({"vendor_committed": true, "partner_committed": false, "roi_validates": true});
    let mut body = walk(7000, half.clone());
    body["if_walk_fails"] = json!("end");
    let r = act(&app, &w.channel, &cid, "gate-reviews", &body).await;
    assert_eq!(invalid(&r), vec!["lessons:required"]);
    body["if_walk_fails"] = json!("shrug");
    let r = act(&app, &w.channel, &cid, "gate-reviews", &body).await;
    assert_eq!(invalid(&r), vec!["if_walk_fails:one_of"]);
    // A Walk review without its measurements.
    let r = act(&app, &w.channel, &cid, "gate-reviews", &crawl(3000)).await;
    assert_eq!(invalid(&r), vec!["walk:required"]);

    // At exactly 70% with both sides committed: go, then Run.
    let g = created(&act(&app, &w.channel, &cid, "gate-reviews", &walk(7000, ready())).await);
    assert_eq!(g["passed"], true, "{g}");
    assert_eq!(g["decision"], "go");
    assert_eq!(steps(&g["path"]), st(&[("crawl", true), ("walk", true)]));
    let c = ok(&phase(&app, &w.channel, &cid, "run").await);
    assert_eq!(c["phase"], "run");
    let r = act(&app, &w.channel, &cid, "gate-reviews", &crawl(3000)).await;
    assert_eq!(conflict(&r), vec!["phase:charter.no_gate"]);
    let (rule, _) = refused(&phase(&app, &w.channel, &cid, "run").await);
    assert_eq!(rule, "charter.phase_refused");

    // The reviews, oldest first.
    let reviews = ok(&app.http.get(&path(&cid, "gate-reviews"), pa).await);
    let summary: Vec<(String, String)> = reviews
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["phase"].as_str().unwrap().to_owned(),
                g["decision"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("crawl", "go"),
        ("walk", "restart_crawl"),
        ("crawl", "go"),
        ("walk", "go"),
    ]
    .iter()
    .map(|(p, d)| ((*p).to_owned(), (*d).to_owned()))
    .collect();
    assert_eq!(summary, expected);

    // Ending needs lessons; then the partnership is over for every change.
    let r = act(&app, &w.channel, &cid, "end", &json!({})).await;
    assert_eq!(invalid(&r), vec!["lessons:required"]);
    let ended = ok(&act(
        &app,
        &w.channel,
        &cid,
        "end",
        &json!({"lessons": "Pilots convert when the partner's AEs own the conversation"}),
    )
    .await);
    assert_eq!(ended["status"], "ended");
    assert_eq!(
        ended["lessons"],
        "Pilots convert when the partner's AEs own the conversation"
    );
    assert!(ended["ended_at"].is_string());
    let r = app
        .http
        .patch(&path(&cid, ""), pa, &json!({"title": "After the end"}))
        .await;
    assert_eq!(conflict(&r), vec!["status:charter.ended"]);
    for (token, what, body) in [
        (pa, "sign", json!({})),
        (&w.channel, "amend", json!({})),
        (&w.channel, "phase", json!({"phase": "run"})),
        (&w.channel, "end", json!({"lessons": "again"})),
        (&w.channel, "gate-reviews", crawl(3000)),
    ] {
        let r = act(&app, token, &cid, what, &body).await;
        assert_eq!(conflict(&r), vec!["status:charter.ended"], "{what}");
    }

    // Every decision, with the version it was taken under.
    let d = decisions(&app, pa, &cid).await;
    let want: Vec<(String, String, i64)> = [
        ("charter.signed", "locked", 1),
        ("charter.phase_entered", "crawl", 2),
        ("charter.gate_reviewed", "go", 2),
        ("charter.phase_entered", "walk", 2),
        ("charter.phase_refused", "refused", 2),
        ("charter.gate_reviewed", "restart_crawl", 2),
        ("charter.gate_reviewed", "go", 2),
        ("charter.phase_entered", "walk", 2),
        ("charter.gate_reviewed", "go", 2),
        ("charter.phase_entered", "run", 2),
        ("charter.phase_refused", "refused", 2),
        ("charter.ended", "ended", 2),
    ]
    .iter()
    .map(|(r, o, v)| ((*r).to_owned(), (*o).to_owned(), *v))
    .collect();
    assert_eq!(d, want);

    // The audit trail, as vendor staff and as the partner.
    for token in [&w.channel, pa] {
        let audit = ok(&app.http.get(&path(&cid, "audit"), token).await);
        assert!(
            audit["items"].as_array().is_some_and(|i| i.len() >= 10),
            "{audit}"
        );
    }

    // The operating model: the sections, what is missing, and the program's deal rules.
    let r = app.http.get(&path(&cid, "operating-model"), pa).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/markdown")),
        "{:?}",
        r.header("content-type")
    );
    let md = r.text();
    for needle in [
        "# Operating model: Alpha × Vendor: ERP connector",
        "Partner: **Alpha Systems** · charter version 2",
        "Skin in the game: a real partnership.",
        "Partner story: a partner story a channel can run.",
        "## Ideal customer profile of the joint motion",
        "Mid-market manufacturers on the partner's ERP",
        "## Buyer and user map",
        "- CFO",
        "## Packaged offer",
        "## Resale or referral path",
        "## Deal ownership rules",
        "valid 90 days from approval",
        "## Partner scorecard",
        "## 30-day operating cadence",
        "## The six answers of the partner story",
        "**Who buys because this integration exists?**",
        "## Value exchange",
        "Spend commitment: USD 200k over two years",
        "If it fails, the partner lose: a two-year spend commitment",
        "## Phase plan",
        "### Crawl (2027-01-04 to 2027-02-26)",
        "- pilot with three customers",
        "at least 20.00% improvement",
        "at least 70.00% adoption",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in:\n{md}");
    }
    // Users, scorecard, cadence and the Walk deliverables and metrics are empty.
    assert!(md.matches("_Missing:").count() >= 5, "{md}");
    let users = md.split("### Users").nth(1).unwrap();
    assert!(users.trim_start().starts_with("_Missing:"), "{md}");
    // Another partner cannot read it.
    let r = app
        .http
        .get(&path(&cid, "operating-model"), &w.b.admin_token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
}

async fn unsigned_charters_cannot_move_past_crawl(app: TestApp) {
    let w = app.world().await;
    let a = w.a.partner.id.to_string();
    let c = new_charter(&app, &w.admin, &a, two_sided()).await;
    let cid = id(&c);

    // No gate before Crawl, and no phase but Crawl first.
    let r = act(&app, &w.channel, &cid, "gate-reviews", &crawl(3000)).await;
    assert_eq!(conflict(&r), vec!["phase:charter.not_started"]);
    for p in ["walk", "run"] {
        let (rule, detail) = refused(&phase(&app, &w.channel, &cid, p).await);
        assert_eq!(rule, "charter.phase_refused");
        assert!(detail.contains("the next phase is Crawl"), "{detail}");
    }
    let r = phase(&app, &w.channel, &cid, "sprint").await;
    assert_eq!(invalid(&r), vec!["phase:one_of"]);
    let r = act(&app, &w.channel, &cid, "phase", &json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());

    // Crawl may start unsigned, and its gate may pass.
    let c = ok(&phase(&app, &w.channel, &cid, "crawl").await);
    assert_eq!(c["phase"], "crawl");
    let (rule, detail) = refused(&phase(&app, &w.channel, &cid, "crawl").await);
    assert_eq!(rule, "charter.phase_refused");
    assert!(
        detail.contains("the next phase is Walk, not Crawl"),
        "{detail}"
    );
    let g = created(&act(&app, &w.channel, &cid, "gate-reviews", &crawl(5000)).await);
    assert_eq!(g["decision"], "go");

    // Unsigned: Walk is refused, saying why; signed by one side only, still refused.
    let (rule, detail) = refused(&phase(&app, &w.channel, &cid, "walk").await);
    assert_eq!(rule, "charter.phase_refused");
    assert!(detail.contains("unsigned"), "{detail}");
    ok(&act(&app, &w.channel, &cid, "sign", &json!({})).await);
    let (rule, detail) = refused(&phase(&app, &w.channel, &cid, "walk").await);
    assert_eq!(rule, "charter.phase_refused");
    assert!(detail.contains("unsigned"), "{detail}");
    let (rule, detail) = refused(&phase(&app, &w.channel, &cid, "run").await);
    assert_eq!(rule, "charter.phase_refused");
    assert!(detail.contains("next phase is Walk, not Run"), "{detail}");
    let c = ok(&app.http.get(&path(&cid, ""), &w.a.admin_token).await);
    assert_eq!(c["phase"], "crawl", "refusals change nothing");

    // The refusals are decisions, with their reasons.
    let d = decisions(&app, &w.a.admin_token, &cid).await;
    let refusals = d
        .iter()
        .filter(|(r, o, _)| r == "charter.phase_refused" && o == "refused")
        .count();
    assert_eq!(refusals, 6, "{d:?}");

    // Both sign: Walk may start.
    ok(&act(&app, &w.a.admin_token, &cid, "sign", &json!({})).await);
    let c = ok(&phase(&app, &w.channel, &cid, "walk").await);
    assert_eq!(c["phase"], "walk");
}

async fn who_may_do_what(app: TestApp) {
    let w = app.world().await;
    let a = w.a.partner.id.to_string();
    let b = w.b.partner.id.to_string();
    let ca = id(&new_charter(&app, &w.channel, &a, one_sided()).await);
    let cb = id(&new_charter(&app, &w.admin, &b, one_sided()).await);

    // Opening a charter is the vendor's governance: not sales, finance or partners.
    for token in [&w.sales, &w.finance, &w.a.admin_token, &w.a.rep_token] {
        let r = app
            .http
            .post(CHARTERS, token, &json!({"partner_id": a, "title": "Ours"}))
            .await;
        assert_eq!(forbidden(&r), "role.govern_partnership");
    }

    // The partner's rep reads but neither edits nor signs.
    let r = app.http.get(&path(&ca, ""), &w.a.rep_token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .http
        .patch(&path(&ca, ""), &w.a.rep_token, &json!({"title": "Rep's"}))
        .await;
    assert_eq!(forbidden(&r), "role.write_charter");
    let r = act(&app, &w.a.rep_token, &ca, "sign", &json!({})).await;
    assert_eq!(forbidden(&r), "role.sign_charter");
    let r = act(&app, &w.a.rep_token, &ca, "amend", &json!({})).await;
    assert_eq!(forbidden(&r), "role.write_charter");

    // The partner's admin edits and signs, but does not govern phases, gates or the end.
    let edited = ok(&app
        .http
        .patch(
            &path(&ca, ""),
            &w.a.admin_token,
            &json!({"title": "Alpha × Vendor (edited)"}),
        )
        .await);
    assert_eq!(edited["title"], "Alpha × Vendor (edited)");
    for (what, body) in [
        ("phase", json!({"phase": "crawl"})),
        ("gate-reviews", crawl(3000)),
        ("end", json!({"lessons": "none"})),
    ] {
        let r = act(&app, &w.a.admin_token, &ca, what, &body).await;
        assert_eq!(forbidden(&r), "role.govern_partnership", "{what}");
    }
    ok(&act(&app, &w.a.admin_token, &ca, "sign", &json!({})).await);

    // Another partner learns nothing: 404 everywhere, and its list holds only its own.
    for (token, name) in [(&w.a.admin_token, "A admin"), (&w.a.rep_token, "A rep")] {
        for what in ["", "decisions", "audit", "gate-reviews", "operating-model"] {
            let r = app.http.get(&path(&cb, what), token).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{name} {what}: {}",
                r.text()
            );
        }
        let r = app
            .http
            .patch(&path(&cb, ""), token, &json!({"title": "Hijack"}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}: {}", r.text());
        for what in ["sign", "amend"] {
            let r = act(&app, token, &cb, what, &json!({})).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{name} {what}: {}",
                r.text()
            );
        }
    }
    let list = ok(&app.http.get(CHARTERS, &w.a.admin_token).await);
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![ca.as_str()]);
    let list = ok(&app.http.get(CHARTERS, &w.channel).await);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let list = ok(&app
        .http
        .get(&format!("{CHARTERS}?partner_id={b}"), &w.channel)
        .await);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], cb.as_str());
    // B's charter is untouched.
    let c = ok(&app.http.get(&path(&cb, ""), &w.b.admin_token).await);
    assert_eq!(c["title"], "Alpha × Vendor: ERP connector");
    assert!(c["partner_signed_at"].is_null());

    // Validation names its fields.
    let r = app.http.post(CHARTERS, &w.channel, &json!({})).await;
    let rules = invalid(&r);
    assert!(rules.contains(&"title:required".to_owned()), "{rules:?}");
    assert!(
        rules.contains(&"partner_id:required".to_owned()),
        "{rules:?}"
    );
    let r = app
        .http
        .post(
            CHARTERS,
            &w.channel,
            &json!({"partner_id": "not-an-id", "title": "x"}),
        )
        .await;
    let rules = invalid(&r);
    assert!(
        rules.iter().all(|r| r.starts_with("partner_id:")) && !rules.is_empty(),
        "{rules:?}"
    );
    let r = app
        .http
        .post(
            CHARTERS,
            &w.channel,
            &json!({"partner_id": a, "title": "x", "content": {"mutual_goal": {}}}),
        )
        .await;
    let rules = invalid(&r);
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert!(rules[0].ends_with(":unknown_field"), "{rules:?}");
    assert!(rules[0].starts_with("content"), "{rules:?}");
    let r = app
        .http
        .post(
            CHARTERS,
            &w.channel,
            &json!({"partner_id": a, "title": "x", "content": {"mutual_goals": {"for_uss": "typo"}}}),
        )
        .await;
    let rules = invalid(&r);
    assert!(
        rules.len() == 1 && rules[0].ends_with(":unknown_field"),
        "{rules:?}"
    );
    let r = app
        .http
        .post(
            CHARTERS,
            &w.channel,
            &json!({"partner_id": a, "title": "x", "color": "blue"}),
        )
        .await;
    assert!(
        invalid(&r).iter().all(|r| r.ends_with(":unknown_field")),
        "unknown top-level keys"
    );
    let r = app
        .http
        .post(
            CHARTERS,
            &w.channel,
            &json!({"partner_id": a, "title": "x", "content": {"timeline": [{"phase": "walk"}, {"phase": "crawl"}]}}),
        )
        .await;
    assert_eq!(invalid(&r), vec!["content.timeline[1].phase:phase_order"]);
    let r = app
        .http
        .post(
            CHARTERS,
            &w.channel,
            &json!({"partner_id": a, "title": "x", "content": {"timeline": [{"phase": "crawl"}, {"phase": "crawl"}]}}),
        )
        .await;
    assert_eq!(invalid(&r), vec!["content.timeline[1].phase:phase_order"]);
    // Editing is checked the same way, and a refused edit changes nothing.
    let r = app
        .http
        .patch(
            &path(&ca, ""),
            &w.channel,
            &json!({"content": {"timeline": [
                {"phase": "crawl", "starts_on": "2027-01-04", "ends_on": "2027-02-26"},
                {"phase": "walk", "starts_on": "2027-02-01", "ends_on": "2027-01-21"}
            ]}}),
        )
        .await;
    let rules = invalid(&r);
    assert!(
        rules.contains(&"content.timeline[1].ends_on:after_start".to_owned()),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"content.timeline[1].starts_on:sequential".to_owned()),
        "{rules:?}"
    );
    let r = app
        .http
        .patch(
            &path(&ca, ""),
            &w.channel,
            &json!({"content": {"thresholds": {"crawl_improvement_bps": 10001, "walk_adoption_bps": -1}}}),
        )
        .await;
    assert_eq!(
        invalid(&r),
        vec![
            "content.thresholds.crawl_improvement_bps:range",
            "content.thresholds.walk_adoption_bps:range"
        ]
    );
    let r = app
        .http
        .patch(&path(&ca, ""), &w.channel, &json!({"title": "  "}))
        .await;
    assert_eq!(invalid(&r), vec!["title:required"]);
    let c = ok(&app.http.get(&path(&ca, ""), &w.a.admin_token).await);
    assert_eq!(c["title"], "Alpha × Vendor (edited)");
    assert!(
        c["partner_signed_at"].is_string(),
        "refused edits withdraw no signature"
    );
}

async fn decision_trees(app: TestApp) {
    let w = app.world().await;
    let put = |token: &str, key: &str, tree: &Value| {
        let (token, path, tree) = (
            token.to_owned(),
            format!("/api/v1/decision-trees/{key}"),
            tree.clone(),
        );
        let http = app.http.clone();
        async move {
            http.api(Method::PUT, &path, Some(&token), Some(&tree))
                .await
        }
    };
    let evaluate = |token: &str, key: &str, body: Value| {
        let (token, path) = (
            token.to_owned(),
            format!("/api/v1/decision-trees/{key}/evaluate"),
        );
        let http = app.http.clone();
        async move { http.post(&path, &token, &body).await }
    };

    // The four built-in trees, for anyone signed in.
    let trees = ok(&app.http.get("/api/v1/decision-trees", &w.a.rep_token).await);
    let keys: Vec<&str> = trees
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        vec![
            "build_or_partner",
            "partner_tier",
            "continue_partnership",
            "open_or_curated"
        ]
    );
    let build = trees[0].clone();
    assert_eq!(build["start"], "core");

    // Partial answers: the next question; full answers: the outcome and the path.
    let e = ok(&evaluate(
        &w.a.admin_token,
        "build_or_partner",
        json!({"answers": {"core": false}}),
    )
    .await);
    assert!(e["outcome"].is_null(), "{e}");
    assert_eq!(
        e["next_question"],
        json!({
            "id": "delay",
            "text": "Would building this delay our roadmap by more than 6 months?"
        })
    );
    assert_eq!(steps(&e["path"]), st(&[("core", false)]));
    let e = ok(&evaluate(
        &w.channel,
        "build_or_partner",
        json!({"answers": {"core": false, "delay": false, "credible": true}}),
    )
    .await);
    assert_eq!(e["outcome"], "Partner");
    assert_eq!(e["outcome_id"], "partner");
    assert!(e["next_question"].is_null());
    assert_eq!(
        steps(&e["path"]),
        st(&[("core", false), ("delay", false), ("credible", true)])
    );
    let e = ok(&evaluate(
        &w.channel,
        "build_or_partner",
        json!({"answers": {"core": false, "delay": false, "credible": false}}),
    )
    .await);
    assert_eq!(e["outcome_id"], "build");
    // Answers off the path are ignored.
    let e = ok(&evaluate(
        &w.channel,
        "build_or_partner",
        json!({"answers": {"core": true, "delay": false}}),
    )
    .await);
    assert_eq!(e["outcome_id"], "build");
    assert_eq!(steps(&e["path"]), st(&[("core", true)]));

    // About a charter: the caller must see it.
    let cb = id(&new_charter(&app, &w.channel, &w.b.partner.id.to_string(), one_sided()).await);
    let e = ok(&evaluate(
        &w.b.admin_token,
        "partner_tier",
        json!({"answers": {"engineering": true}, "charter_id": cb}),
    )
    .await);
    assert_eq!(e["outcome_id"], "integration");
    let r = evaluate(
        &w.a.admin_token,
        "partner_tier",
        json!({"answers": {"engineering": true}, "charter_id": cb}),
    )
    .await;
    assert_eq!(invalid(&r), vec!["charter_id:exists"]);
    let r = evaluate(&w.channel, "no_such_tree", json!({"answers": {}})).await;
    assert_eq!(invalid(&r), vec!["key:exists"]);
    let r = evaluate(
        &w.channel,
        "build_or_partner",
        json!({"answers": {"core": "yes"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());

    // An adjusted tree: three months instead of six, and no credible partner still means
    // partnering. Evaluations follow it.
    let mut adjusted = build.clone();
    adjusted["nodes"][1]["text"] =
        json!("Would building this delay our roadmap by more than 3 months?");
    adjusted["nodes"][2]["no"] = json!("partner");
    let saved = ok(&put(&w.admin, "build_or_partner", &adjusted).await);
    assert_eq!(saved, adjusted);
    let e = ok(&evaluate(
        &w.a.rep_token,
        "build_or_partner",
        json!({"answers": {"core": false, "delay": false, "credible": false}}),
    )
    .await);
    assert_eq!(e["outcome_id"], "partner", "{e}");
    assert_eq!(
        e["path"][1]["question"],
        "Would building this delay our roadmap by more than 3 months?"
    );
    let trees = ok(&app.http.get("/api/v1/decision-trees", &w.channel).await);
    assert_eq!(trees[0], adjusted);
    assert_eq!(trees.as_array().unwrap().len(), 4);
    // The channel manager may adjust too; putting it again replaces it.
    ok(&put(&w.channel, "build_or_partner", &adjusted).await);

    // Invalid trees are refused naming the problem, and the adjusted one stays.
    let mut cyclic = adjusted.clone();
    cyclic["nodes"][2]["no"] = json!("core");
    assert_eq!(
        invalid(&put(&w.admin, "build_or_partner", &cyclic).await),
        vec!["nodes:acyclic"]
    );
    let mut dangling = adjusted.clone();
    dangling["nodes"][1]["yes"] = json!("nowhere");
    assert_eq!(
        invalid(&put(&w.admin, "build_or_partner", &dangling).await),
        vec!["nodes[1].yes:exists"]
    );
    let mut duplicate = adjusted.clone();
    duplicate["nodes"][4]["id"] = json!("build");
    let rules = invalid(&put(&w.admin, "build_or_partner", &duplicate).await);
    assert!(
        rules.contains(&"nodes[4].id:unique".to_owned()),
        "{rules:?}"
    );
    let mut no_start = adjusted.clone();
    no_start["start"] = json!("begin");
    assert_eq!(
        invalid(&put(&w.admin, "build_or_partner", &no_start).await),
        vec!["start:exists"]
    );
    assert_eq!(
        invalid(&put(&w.admin, "partner_tier", &adjusted).await),
        vec!["key:matches_path"]
    );
    let mut other = adjusted.clone();
    other["key"] = json!("my_tree");
    let r = put(&w.admin, "my_tree", &other).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());

    // Partners and other staff do not adjust trees.
    for token in [&w.a.admin_token, &w.a.rep_token, &w.sales, &w.finance] {
        let r = put(token, "build_or_partner", &build).await;
        assert_eq!(forbidden(&r), "role.govern_partnership");
    }
    let trees = ok(&app.http.get("/api/v1/decision-trees", &w.channel).await);
    assert_eq!(trees[0], adjusted);
}

/// `CharterContent` refuses unknown keys so a typo is not silently dropped; the same must
/// hold inside every section (value exchange, commitments, story, leverage, thresholds).
async fn unknown_keys_anywhere_in_content_are_refused(app: TestApp) {
    let w = app.world().await;
    let a = w.a.partner.id.to_string();
    let mut accepted = Vec::new();
    for (what, content) in [
        ("story", json!({"story": {"who_buy": "CFOs"}})),
        (
            "value_exchange",
            json!({"value_exchange": {"commitments": [], "vendor_loses": "x", "partner_loses": "y", "partner_lose": "z"}}),
        ),
        (
            "value_exchange.commitments[0]",
            json!({"value_exchange": {"commitments": [{"side": "vendor", "kind": "engineering_time", "description": "x", "amount": 5}], "vendor_loses": "x", "partner_loses": "y"}}),
        ),
        (
            "leverage",
            json!({"leverage": {"kind": "economic", "evidence": "x", "if_we_dont": "y", "strength": 3}}),
        ),
        (
            "thresholds",
            json!({"thresholds": {"crawl_improvement_bps": 2000, "walk_adoption_bps": 7000, "run_bps": 1}}),
        ),
    ] {
        let r = app
            .http
            .post(
                CHARTERS,
                &w.channel,
                &json!({"partner_id": a, "title": "x", "content": content}),
            )
            .await;
        let refused = r.status == StatusCode::UNPROCESSABLE_ENTITY
            && r.problem_rules()
                .iter()
                .any(|r| r.ends_with(":unknown_field"));
        if !refused {
            accepted.push(format!("{what} ({})", r.status));
        }
    }
    assert!(
        accepted.is_empty(),
        "unknown keys accepted and silently dropped in: {accepted:?}"
    );
}

/// "Restart Crawl with changes": after a failed Walk gate sends the partnership back to
/// Crawl, Walk is entered only after the restarted Crawl's own gate passed, not on the
/// strength of the gate review from before the restart.
async fn a_restarted_crawl_needs_a_new_gate(app: TestApp) {
    let w = app.world().await;
    let a = w.a.partner.id.to_string();
    let cid = id(&new_charter(&app, &w.channel, &a, two_sided()).await);
    ok(&act(&app, &w.channel, &cid, "sign", &json!({})).await);
    ok(&act(&app, &w.a.admin_token, &cid, "sign", &json!({})).await);
    ok(&phase(&app, &w.channel, &cid, "crawl").await);
    created(&act(&app, &w.channel, &cid, "gate-reviews", &crawl(3000)).await);
    ok(&phase(&app, &w.channel, &cid, "walk").await);
    let g = created(&act(&app, &w.channel, &cid, "gate-reviews", &walk(1000, ready())).await);
    assert_eq!(g["decision"], "restart_crawl");
    let c = ok(&app.http.get(&path(&cid, ""), &w.channel).await);
    assert_eq!(c["phase"], "crawl");

    let r = phase(&app, &w.channel, &cid, "walk").await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "Walk was entered straight after the restart, on the pre-restart Crawl gate: {}",
        r.text()
    );
    let (rule, detail) = refused(&r);
    assert_eq!(rule, "charter.phase_refused");
    assert!(detail.contains("Crawl gate"), "{detail}");
}
