//! The duplicate review on the console's registration page, over plain HTTP with signed-in
//! browser sessions, on both databases: a channel manager answers "same company: merge"
//! (refused, readably, while both accounts are held; then merged, and the account pages
//! show where everything went) or "different companies" (the flag clears); direct sales see
//! the warning without the answers; partner users get 404 and change nothing.

use hyper::StatusCode;
use serde_json::{Value, json};

use super::{described, get, id, registered};
use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::on_both;
use crate::session::*;

on_both!(
    a_channel_manager_merges_from_the_registration_page,
    different_companies_clears_the_flag,
    partners_cannot_reach_the_review_forms,
);

/// A holds "Initech Systems" (US); B registers a near name of it, flagged as a possible
/// duplicate. Returns (A's account, B's registration).
async fn near_duplicate(app: &TestApp, w: &World) -> (String, Value) {
    let held = registered(
        app,
        &w.a.rep_token,
        &described("Initech Systems", None, "US", 10_000),
    )
    .await;
    let dup = registered(
        app,
        &w.b.rep_token,
        &described("Initech Sytems Inc.", None, "US", 10_000),
    )
    .await;
    let into = held["account_id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(app, &w.channel, &id(&dup)).await["possible_duplicate_of"],
        into.as_str(),
        "the test needs a flagged registration"
    );
    (into, dup)
}

/// A signed-in channel manager's session and the CSRF token of its pages.
async fn reviewer(app: &TestApp) -> (String, String) {
    let (user, _) = app
        .user_with_token("reviewer@vendor.example", "channel_manager", None)
        .await;
    set_password(app, &user).await;
    let (status, session) = sign_in(app, "reviewer@vendor.example", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = app.http.page("/console/registrations", &session).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let csrf = csrf_of(&page.text());
    (session, csrf)
}

async fn page_ok(app: &TestApp, path: &str, session: &str) -> String {
    let page = app.http.page(path, session).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text());
    page.text()
}

async fn answer(app: &TestApp, session: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
    app.http.form(path, session, fields, &[]).await
}

fn redirected_to(r: &Answer, location: &str) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header("location").as_deref(), Some(location));
}

async fn a_channel_manager_merges_from_the_registration_page(app: TestApp) {
    let w = app.world().await;
    let (into, dup) = near_duplicate(&app, &w).await;
    let from = dup["account_id"].as_str().unwrap().to_owned();
    let rid = id(&dup);
    let reg_page = format!("/console/registrations/{rid}");
    let (session, csrf) = reviewer(&app).await;

    // The warning with both answers, naming both accounts.
    let html = page_ok(&app, &reg_page, &session).await;
    assert!(html.contains("id=\"duplicate-warning\""), "{html}");
    assert!(
        html.contains("Same company: merge Initech Sytems Inc. into Initech Systems"),
        "{html}"
    );
    assert!(
        html.contains(&format!("action=\"{reg_page}/merge\""))
            && html.contains(&format!("action=\"{reg_page}/distinct\""))
            && html.contains(&format!("name=\"into\" value=\"{into}\"")),
        "{html}"
    );

    // Both accounts hold an active registration: refused, the reason shown on the page.
    let merge = format!("{reg_page}/merge");
    let refused = answer(
        &app,
        &session,
        &merge,
        &[("_csrf", &csrf), ("into", &into), ("reason", "same VAT id")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    let html = refused.text();
    assert!(
        html.contains("id=\"merge-error\"")
            && html.contains("Both accounts hold an active registration"),
        "the refusal reads on the page: {html}"
    );
    assert!(
        html.contains("id=\"duplicate-warning\""),
        "still the registration page"
    );
    assert!(html.contains("value=\"same VAT id\""), "the note is kept");
    assert_eq!(
        get(&app, &w.channel, &rid).await["account_id"],
        from.as_str()
    );

    // A page loaded before the flag changed cannot merge into another account.
    let stale = answer(
        &app,
        &session,
        &merge,
        &[
            ("_csrf", &csrf),
            ("into", w.account.id.to_string().as_str()),
        ],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text());
    assert!(
        stale.text().contains("no longer flagged"),
        "{}",
        stale.text()
    );

    // The reviewer rejects B's registration, then merges from the page.
    let r = answer(
        &app,
        &session,
        &format!("{reg_page}/reject"),
        &[("_csrf", &csrf), ("reason", "duplicate of a held account")],
    )
    .await;
    redirected_to(&r, &format!("{reg_page}?done=rejected"));
    let r = answer(
        &app,
        &session,
        &merge,
        &[("_csrf", &csrf), ("into", &into), ("reason", "same VAT id")],
    )
    .await;
    redirected_to(&r, &format!("{reg_page}?done=merged"));

    // The registration now sits on the surviving account, no longer flagged.
    let html = page_ok(&app, &format!("{reg_page}?done=merged"), &session).await;
    assert!(html.contains("Merged:"), "the notice: {html}");
    assert!(!html.contains("id=\"duplicate-warning\""), "{html}");
    assert!(!html.contains("id=\"merge-form\""), "{html}");
    assert!(
        html.contains(&format!("href=\"/console/accounts/{into}\"")),
        "{html}"
    );
    let moved = get(&app, &w.channel, &rid).await;
    assert_eq!(moved["account_id"], into.as_str());
    assert!(moved["possible_duplicate_of"].is_null(), "{moved}");

    // The surviving account lists both registrations and the merge decision.
    let html = page_ok(&app, &format!("/console/accounts/{into}"), &session).await;
    assert!(
        html.contains(&format!("/console/registrations/{rid}")),
        "the duplicate's registration: {html}"
    );
    assert!(
        html.contains("account.merged") && html.contains("same VAT id"),
        "the decision: {html}"
    );
    // The merged account says where it went, with the decision.
    let html = page_ok(&app, &format!("/console/accounts/{from}"), &session).await;
    assert!(
        html.contains("Merged into <a href=\"/console/accounts/")
            && html.contains(&format!(
                "<a href=\"/console/accounts/{into}\">Initech Systems</a>"
            )),
        "{html}"
    );
    assert!(html.contains("account.merged"), "{html}");
    assert!(
        !html.contains("policy v0"),
        "account decisions have no policy"
    );

    // Asked again from the same (now stale) page: nothing to merge, said on the page.
    let again = answer(&app, &session, &merge, &[("_csrf", &csrf), ("into", &into)]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    assert!(again.text().contains("id=\"merge-error\""));
}

async fn different_companies_clears_the_flag(app: TestApp) {
    let w = app.world().await;
    let (other, dup) = near_duplicate(&app, &w).await;
    let this = dup["account_id"].as_str().unwrap().to_owned();
    let rid = id(&dup);
    let reg_page = format!("/console/registrations/{rid}");
    let (session, csrf) = reviewer(&app).await;

    let r = answer(
        &app,
        &session,
        &format!("{reg_page}/distinct"),
        &[("_csrf", &csrf), ("from", &other), ("reason", "other city")],
    )
    .await;
    redirected_to(&r, &format!("{reg_page}?done=distinct"));
    let html = page_ok(&app, &format!("{reg_page}?done=distinct"), &session).await;
    assert!(html.contains("Marked as different companies"), "{html}");
    assert!(!html.contains("id=\"duplicate-warning\""), "{html}");
    let now = get(&app, &w.channel, &rid).await;
    assert!(now["possible_duplicate_of"].is_null(), "{now}");
    assert_eq!(now["account_id"], this.as_str(), "nothing merged");
    assert_eq!(
        now["status"], "pending",
        "the registration still awaits a decision"
    );

    // Both accounts carry the decision.
    for account in [&this, &other] {
        let html = page_ok(&app, &format!("/console/accounts/{account}"), &session).await;
        assert!(
            html.contains("account.distinct") && html.contains("other city"),
            "{account}: {html}"
        );
        assert!(!html.contains("id=\"merged-into\""), "{html}");
    }
}

async fn partners_cannot_reach_the_review_forms(app: TestApp) {
    let w = app.world().await;
    let (into, dup) = near_duplicate(&app, &w).await;
    let rid = id(&dup);
    let reg_page = format!("/console/registrations/{rid}");

    // Direct sales may look, not decide: the warning without the answers.
    set_password(&app, &w.sales_user).await;
    let (status, sales) = sign_in(&app, "sales@vendor.example", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let html = page_ok(&app, &reg_page, &sales).await;
    assert!(html.contains("id=\"duplicate-warning\""), "{html}");
    assert!(
        !html.contains("id=\"merge-form\"") && !html.contains("id=\"distinct-form\""),
        "{html}"
    );

    // Partner users of either side: 404, nothing changes.
    for user in [&w.a.admin, &w.b.admin] {
        set_password(&app, user).await;
        let (status, session) = sign_in(&app, user.email.as_str(), PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let portal = page_ok(&app, "/portal", &session).await;
        let csrf = csrf_of(&portal);
        for (path, field) in [
            (format!("{reg_page}/merge"), "into"),
            (format!("{reg_page}/distinct"), "from"),
        ] {
            let r = answer(&app, &session, &path, &[("_csrf", &csrf), (field, &into)]).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{path} as {}: {}",
                user.email,
                r.text()
            );
            assert!(!r.text().contains(&into), "{path} leaks the account");
        }
    }
    let same = get(&app, &w.channel, &rid).await;
    assert_eq!(same["possible_duplicate_of"], into.as_str());
    assert_eq!(same["account_id"], dup["account_id"]);
    let rules: Vec<Value> = app
        .http
        .get(
            &format!("/api/v1/accounts/{into}/audit?limit=200"),
            &w.admin,
        )
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        rules.iter().all(|e| e["action"] != json!("decided")),
        "no review answer recorded: {rules:?}"
    );
}
