//! The directory's trust layer on both databases: reviews (vendor staff's, and customers'
//! through an invitation link sent by e-mail to the test SMTP sink), ratings in search,
//! reports, the moderation queue, hide / restore / remove, the owner's appeal, spam signals,
//! and the partner locator's lead form.

use hyper::StatusCode;
use serde_json::{Value, json};

use super::{listing_body, search, submitted};
use crate::harness::TestApp;
use crate::mailbox::Mailbox;
use crate::on_both;

on_both!(
    publish_search_review_report_hide_restore,
    customers_review_through_an_emailed_link_once,
    an_invitation_the_mail_server_did_not_take_is_sent_again,
    the_lead_form_makes_leads_for_the_partner_only,
    portal_and_console_pages_of_the_trust_layer,
);

/// Posts a public form of the listing page `slug` (with the page's CSRF cookie and token)
/// to `action`, on the server `http`.
async fn public_form(
    http: &crate::http::Http,
    page_path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> crate::http::Answer {
    let page = http.page(page_path, "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let cookie = page
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("po_public_csrf="))
        .expect("the form's cookie");
    let token = crate::session::csrf_of(&page.text());
    let mut all = vec![("_csrf", token.as_str())];
    all.extend_from_slice(fields);
    http.form(action, &cookie, &all, &[]).await
}

fn ok(r: &crate::http::Answer) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

async fn published(app: &TestApp, w: &crate::harness::World, title: &str) -> (String, String) {
    let l = submitted(app, &w.a, &listing_body(title, &["Analytics"], json!({}))).await;
    assert_eq!(l["status"], "published");
    (
        l["id"].as_str().unwrap().to_owned(),
        l["slug"].as_str().unwrap().to_owned(),
    )
}

async fn publish_search_review_report_hide_restore(app: TestApp) {
    let w = app.world().await;
    let (id, slug) = published(&app, &w, "Quasar Analytics").await;
    let (_, other_slug) = published(&app, &w, "Nebula Analytics").await;
    // Vendor staff review; partners may not.
    let path = format!("/api/v1/directory/listings/{id}/reviews");
    let r = app
        .http
        .post(
            &path,
            &w.a.admin_token,
            &json!({"rating": 5, "body": "Mine is great"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app
        .http
        .post(&path, &w.channel, &json!({"rating": 9, "body": " "}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem_rules(), vec!["rating:range", "body:required"]);
    let review = ok(&app
        .http
        .post(
            &path,
            &w.channel,
            &json!({"rating": 4, "body": "Solid **delivery** <script>alert(1)</script>"}),
        )
        .await);
    let review_id = review["id"].as_str().unwrap().to_owned();
    assert_eq!(review["state"], "visible");
    // A second review by the same staff member replaces the first (one per author).
    let again = ok(&app
        .http
        .post(
            &path,
            &w.channel,
            &json!({"rating": 5, "body": "Even better"}),
        )
        .await);
    assert_eq!(again["id"], review_id.as_str());
    let r2 = ok(&app
        .http
        .post(&path, &w.admin, &json!({"rating": 3, "body": "Fine"}))
        .await);
    // The average is on the listing, in search, and on the public page (sanitised).
    let l = ok(&app
        .http
        .get(&format!("/api/v1/directory/listings/{id}"), &w.a.rep_token)
        .await);
    assert_eq!(l["rating"], json!({"average": 4.0, "count": 2}), "{l}");
    let (titles, v) = search(&app, &w.admin, "q=analytics").await;
    // Rated higher than its unrated twin.
    assert_eq!(titles, vec!["Quasar Analytics", "Nebula Analytics"]);
    assert_eq!(v["hits"][0]["rating"]["count"], 2);
    let page = app
        .http
        .page(&format!("/directory/listings/{slug}"), "")
        .await
        .text();
    assert!(page.contains("Even better"), "{page}");
    assert!(page.contains("\"aggregateRating\""), "{page}");
    // The partner answers publicly, once, and may edit it.
    let answer = format!("/api/v1/directory/reviews/{review_id}/answer");
    let r = app
        .http
        .api(
            hyper::Method::PUT,
            &answer,
            Some(&w.b.admin_token),
            Some(&json!({"answer": "Hijack"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    ok(&app
        .http
        .api(
            hyper::Method::PUT,
            &answer,
            Some(&w.a.admin_token),
            Some(&json!({"answer": "Thank you!"})),
        )
        .await);
    let a = ok(&app
        .http
        .api(
            hyper::Method::PUT,
            &answer,
            Some(&w.a.admin_token),
            Some(&json!({"answer": "Thank you, team!"})),
        )
        .await);
    assert_eq!(a["answer"], "Thank you, team!");
    let page = app
        .http
        .page(&format!("/directory/listings/{slug}"), "")
        .await
        .text();
    assert!(page.contains("Thank you, team!"), "{page}");
    // A visitor reports the review on the public page.
    let r = public_form(
        &app.http,
        &format!("/directory/listings/{slug}"),
        &format!("/directory/listings/{slug}/report"),
        &[("review_id", &review_id), ("reason", "misleading")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(r.text().contains("a moderator will look"));
    // Bad input names the field.
    let r = public_form(
        &app.http,
        &format!("/directory/listings/{slug}"),
        &format!("/directory/listings/{slug}/report"),
        &[("reason", "other"), ("detail", "")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // The queue is the moderators'; the partner sees the review flagged, not the queue.
    let r = app
        .http
        .get("/api/v1/directory/moderation", &w.a.admin_token)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let queue = ok(&app
        .http
        .get("/api/v1/directory/moderation?status=open", &w.channel)
        .await);
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(queue[0]["review_id"], review_id.as_str());
    assert_eq!(queue[0]["source"], "visitor");
    let mine = ok(&app
        .http
        .get("/api/v1/directory/reviews", &w.a.rep_token)
        .await);
    assert_eq!(mine.as_array().unwrap().len(), 2);
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .any(|r| r["reported"] == true)
    );
    let theirs = ok(&app
        .http
        .get("/api/v1/directory/reviews", &w.b.admin_token)
        .await);
    assert!(theirs.as_array().unwrap().is_empty(), "{theirs}");
    // Hide: a reason is required; the review leaves the page and the average.
    let moderate = format!("/api/v1/directory/reviews/{review_id}/moderate");
    let r = app
        .http
        .post(
            &moderate,
            &w.a.admin_token,
            &json!({"action": "hide", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .http
        .post(&moderate, &w.channel, &json!({"action": "hide"}))
        .await;
    assert_eq!(r.problem_rules(), vec!["reason:required"]);
    let d = ok(&app
        .http
        .post(
            &moderate,
            &w.channel,
            &json!({"action": "hide", "reason": "Undisclosed affiliation"}),
        )
        .await);
    assert_eq!(d["state"], "hidden");
    let decision = d["id"].as_str().unwrap().to_owned();
    let page = app
        .http
        .page(&format!("/directory/listings/{slug}"), "")
        .await
        .text();
    assert!(!page.contains("Even better"), "{page}");
    let l = ok(&app
        .http
        .get(&format!("/api/v1/directory/listings/{id}"), &w.a.rep_token)
        .await);
    assert_eq!(l["rating"]["count"], 1);
    // The report is closed by the decision.
    let queue = ok(&app
        .http
        .get("/api/v1/directory/moderation?status=open", &w.channel)
        .await);
    assert!(queue.as_array().unwrap().is_empty(), "{queue}");
    // The owner sees the decision with its reason; the other partner sees nothing.
    let ds = ok(&app
        .http
        .get("/api/v1/directory/decisions", &w.a.rep_token)
        .await);
    assert_eq!(
        ds[0]["reason"],
        "hidden by a moderator: Undisclosed affiliation"
    );
    let ds = ok(&app
        .http
        .get("/api/v1/directory/decisions", &w.b.admin_token)
        .await);
    assert!(ds.as_array().unwrap().is_empty());
    // The owner's admins are notified, with a link to the portal's page.
    app.run_due_as_of(chrono::Utc::now()).await;
    let inbox = ok(&app
        .http
        .get("/api/v1/notifications", &w.a.admin_token)
        .await);
    let note = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["title"] == "Directory moderation: Quasar Analytics")
        .unwrap_or_else(|| panic!("{inbox}"))
        .clone();
    assert_eq!(note["link"], "/portal/directory/trust", "{note}");
    assert!(
        note["body"]
            .as_str()
            .unwrap()
            .contains("Undisclosed affiliation"),
        "{note}"
    );
    // Appeal once (the partner's admin): back in the queue; twice is refused.
    let appeal = format!("/api/v1/directory/decisions/{decision}/appeal");
    let r = app
        .http
        .post(&appeal, &w.b.admin_token, &json!({"text": "hijack"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.http.post(&appeal, &w.a.admin_token, &json!({})).await;
    assert_eq!(r.problem_rules(), vec!["text:required"]);
    let a = ok(&app
        .http
        .post(
            &appeal,
            &w.a.admin_token,
            &json!({"text": "We disclosed it in the text"}),
        )
        .await);
    assert_eq!(a["appeal"], "We disclosed it in the text");
    let r = app
        .http
        .post(&appeal, &w.a.admin_token, &json!({"text": "Again"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.problem_rules(), vec!["status:appeal.once"]);
    let queue = ok(&app
        .http
        .get("/api/v1/directory/moderation?status=open", &w.channel)
        .await);
    assert_eq!(queue[0]["source"], "appeal", "{queue}");
    // Restore: public again.
    ok(&app
        .http
        .post(
            &moderate,
            &w.channel,
            &json!({"action": "restore", "reason": "Appeal upheld"}),
        )
        .await);
    let page = app
        .http
        .page(&format!("/directory/listings/{slug}"), "")
        .await
        .text();
    assert!(page.contains("Even better"), "{page}");
    // Remove the other review: final, restoring is refused.
    let other = format!(
        "/api/v1/directory/reviews/{}/moderate",
        r2["id"].as_str().unwrap()
    );
    ok(&app
        .http
        .post(
            &other,
            &w.channel,
            &json!({"action": "remove", "reason": "Spam"}),
        )
        .await);
    let r = app
        .http
        .post(
            &other,
            &w.channel,
            &json!({"action": "restore", "reason": "oops"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.problem_rules(), vec!["status:moderation.removed_final"]);
    // Hiding a listing takes it out of search, its page and the sitemap; restoring
    // brings it back.
    let lm = format!("/api/v1/directory/listings/{id}/moderate");
    ok(&app
        .http
        .post(
            &lm,
            &w.channel,
            &json!({"action": "hide", "reason": "Trademark complaint"}),
        )
        .await);
    assert_eq!(
        search(&app, &w.admin, "q=analytics").await.0,
        vec!["Nebula Analytics"]
    );
    let r = app
        .http
        .page(&format!("/directory/listings/{slug}"), "")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let sitemap = app.http.page("/sitemap.xml", "").await.text();
    assert!(
        !sitemap.contains(&slug) && sitemap.contains(&other_slug),
        "{sitemap}"
    );
    let l = ok(&app
        .http
        .get(&format!("/api/v1/directory/listings/{id}"), &w.a.rep_token)
        .await);
    assert_eq!(l["moderation"], "hidden");
    ok(&app
        .http
        .post(
            &lm,
            &w.channel,
            &json!({"action": "restore", "reason": "Resolved"}),
        )
        .await);
    assert_eq!(
        search(&app, &w.admin, "q=quasar").await.0,
        vec!["Quasar Analytics"]
    );
    // Every decision is on the listing's audit trail, which its owner reads.
    let trail = ok(&app
        .http
        .get(
            &format!("/api/v1/directory/listings/{id}/audit"),
            &w.a.admin_token,
        )
        .await);
    let text = trail.to_string();
    assert!(
        text.contains("Trademark complaint") && text.contains("Appeal upheld"),
        "{text}"
    );
}

async fn customers_review_through_an_emailed_link_once(app: TestApp) {
    let w = app.world().await;
    let (id, slug) = published(&app, &w, "Pulsar Integrations").await;
    let mailbox = Mailbox::new();
    let mailer = app
        .instance_with_notify(mailbox.settings(app.http.base()))
        .await;
    let page = format!("/directory/listings/{slug}");
    let invite = format!("/directory/listings/{slug}/review-invite");
    // Bad e-mail: named.
    let r = public_form(&mailer.http, &page, &invite, &[("email", "nope")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("id=\"email-error\""), "{}", r.text());
    let r = public_form(
        &mailer.http,
        &page,
        &invite,
        &[("email", "Dana@Customer.example")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(r.text().contains("We sent a link to dana@customer.example"));
    let link = |n: usize| {
        let mails = mailbox.to("dana@customer.example");
        assert_eq!(mails.len(), n, "{mails:?}");
        let body = &mails[n - 1].body;
        let start = body.find("/directory/reviews/").expect("a link");
        body[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .trim()
            .to_owned()
    };
    let first = link(1);
    // The link opens the form; the review is published with the verified e-mail.
    let r = public_form(
        &app.http,
        &first,
        &first,
        &[
            ("rating", "5"),
            ("body", "They shipped our HubSpot sync in a week"),
            ("author_name", "Dana"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Used up.
    let r = app.http.page(&first, "").await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text());
    let reviews = ok(&app
        .http
        .get(
            &format!("/api/v1/directory/reviews?listing_id={id}"),
            &w.channel,
        )
        .await);
    assert_eq!(reviews.as_array().unwrap().len(), 1);
    assert_eq!(reviews[0]["author_kind"], "customer");
    assert_eq!(reviews[0]["author_name"], "Dana");
    // A second link for the same e-mail replaces the review (one per customer and listing).
    let r = public_form(
        &mailer.http,
        &page,
        &invite,
        &[("email", "dana@customer.example")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let second = link(2);
    let form = app.http.page(&second, "").await.text();
    assert!(form.contains("replaces your review"), "{form}");
    let r = public_form(
        &app.http,
        &second,
        &second,
        &[
            ("rating", "4"),
            ("body", "Still good; see https://spam.example"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let reviews = ok(&app
        .http
        .get(
            &format!("/api/v1/directory/reviews?listing_id={id}"),
            &w.channel,
        )
        .await);
    assert_eq!(reviews.as_array().unwrap().len(), 1, "{reviews}");
    assert_eq!(reviews[0]["rating"], 4);
    // A link from an address first seen minutes ago: the spam signal raised a report.
    let queue = ok(&app
        .http
        .get("/api/v1/directory/moderation?status=open", &w.channel)
        .await);
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(queue[0]["source"], "signal");
    assert!(
        queue[0]["reason"]
            .as_str()
            .unwrap()
            .contains("fresh_author_with_links"),
        "{queue}"
    );
    // Hidden by a moderator, the review cannot be replaced through a new link.
    ok(&app
        .http
        .post(
            &format!(
                "/api/v1/directory/reviews/{}/moderate",
                reviews[0]["id"].as_str().unwrap()
            ),
            &w.channel,
            &json!({"action": "hide", "reason": "Link spam"}),
        )
        .await);
    let r = public_form(
        &mailer.http,
        &page,
        &invite,
        &[("email", "dana@customer.example")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let third = link(3);
    let r = public_form(
        &app.http,
        &third,
        &third,
        &[("rating", "5"), ("body", "Clean")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("cannot be replaced"), "{}", r.text());
    // A made-up link is not found.
    let r = app.http.page("/directory/reviews/rv_nothing", "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Without SMTP the main server says the link could not be sent.
    let r = public_form(
        &app.http,
        &page,
        &invite,
        &[("email", "eve@customer.example")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
}

async fn the_lead_form_makes_leads_for_the_partner_only(app: TestApp) {
    let w = app.world().await;
    let (id, slug) = published(&app, &w, "Quark Consulting").await;
    let page = format!("/directory/listings/{slug}");
    let action = format!("/directory/listings/{slug}/enquiry");
    // Bad input names each field; nothing is stored.
    let r = public_form(&app.http, &page, &action, &[("name", ""), ("email", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    for field in ["name", "email", "company", "message"] {
        assert!(
            r.text().contains(&format!("id=\"{field}-error\"")),
            "{field}"
        );
    }
    // Without the page's token: refused.
    let r = app.http.form(&action, "", &[("name", "Ada")], &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let enquiry = [
        ("name", "Ada Lovelace"),
        ("email", "ada@engines.example"),
        ("company", "Analytical Engines"),
        ("message", "We need a CRM rollout for 40 people"),
    ];
    let r = public_form(&app.http, &page, &action, &enquiry).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(r.text().contains("enquiry-thanks"));
    // The partner's users and vendor staff see it; the other partner does not.
    let leads = ok(&app
        .http
        .get("/api/v1/directory/leads", &w.a.rep_token)
        .await);
    assert_eq!(leads.as_array().unwrap().len(), 1);
    assert_eq!(leads[0]["company"], "Analytical Engines");
    let lead_id = leads[0]["id"].as_str().unwrap().to_owned();
    let staff = ok(&app.http.get("/api/v1/directory/leads", &w.channel).await);
    assert_eq!(staff.as_array().unwrap().len(), 1);
    let theirs = ok(&app
        .http
        .get("/api/v1/directory/leads", &w.b.admin_token)
        .await);
    assert!(theirs.as_array().unwrap().is_empty());
    let r = app
        .http
        .get(
            &format!("/api/v1/directory/leads/{lead_id}"),
            &w.b.rep_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Counted in the listing's usage statistics.
    let l = ok(&app
        .http
        .get(&format!("/api/v1/directory/listings/{id}"), &w.a.rep_token)
        .await);
    assert_eq!(l["leads"], 1);
    // The partner makes it a deal registration, once.
    let register = format!("/api/v1/directory/leads/{lead_id}/register");
    let r = app
        .http
        .post(&register, &w.b.admin_token, &json!({"country": "GB"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let reg = app
        .http
        .post(
            &register,
            &w.a.rep_token,
            &json!({"country": "GB", "estimated_arr_minor": 4_000_000, "expected_close_on": "2027-06-30"}),
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "{}", reg.text());
    let r = app
        .http
        .post(&register, &w.a.rep_token, &json!({"country": "GB"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let lead = ok(&app
        .http
        .get(
            &format!("/api/v1/directory/leads/{lead_id}"),
            &w.a.rep_token,
        )
        .await);
    assert_eq!(lead["registration_id"], reg.json()["id"]);
    // Five from one address in ten minutes, then the next waits.
    for n in 0..4 {
        let r = public_form(&app.http, &page, &action, &enquiry).await;
        assert_eq!(r.status, StatusCode::CREATED, "enquiry {n}: {}", r.text());
    }
    let r = public_form(&app.http, &page, &action, &enquiry).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    // The portal page lists them, with the CSV link.
    let _ = page;
}

/// The pages: the moderator hides a review from the console's queue (a reason is
/// required); the partner's admin reads the decision and the enquiry in the portal, answers
/// the review and appeals; the console lists enquiries; CSV links are on every list.
async fn portal_and_console_pages_of_the_trust_layer(app: TestApp) {
    use crate::session::*;
    let w = app.world().await;
    let (id, slug) = published(&app, &w, "Zenith Services").await;
    let review = ok(&app
        .http
        .post(
            &format!("/api/v1/directory/listings/{id}/reviews"),
            &w.channel,
            &json!({"rating": 2, "body": "Never called back"}),
        )
        .await)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = public_form(
        &app.http,
        &format!("/directory/listings/{slug}"),
        &format!("/directory/listings/{slug}/report"),
        &[("review_id", &review), ("reason", "offensive")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = public_form(
        &app.http,
        &format!("/directory/listings/{slug}"),
        &format!("/directory/listings/{slug}/enquiry"),
        &[
            ("name", "Grace Hopper"),
            ("email", "grace@navy.example"),
            ("company", "Compilers Inc"),
            ("message", "Need a hand"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // The console's queue: the report, decided from the page.
    let (staff, staff_csrf) = vendor_session(&app, &w).await;
    let queue = app.http.page("/console/directory/moderation", &staff).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.text());
    assert!(queue.text().contains("Zenith Services"), "{}", queue.text());
    assert!(queue.text().contains("export-csv-directory/moderation"));
    let action = format!("/console/directory/moderation/reviews/{review}");
    let r = app
        .http
        .form(
            &action,
            &staff,
            &[("_csrf", &staff_csrf), ("action", "hide")],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = app
        .http
        .form(
            &action,
            &staff,
            &[
                ("_csrf", &staff_csrf),
                ("action", "hide"),
                ("reason", "Abusive wording"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let queue = app
        .http
        .page("/console/directory/moderation", &staff)
        .await
        .text();
    assert!(queue.contains("queue-empty"), "{queue}");
    let leads = app.http.page("/console/directory/leads", &staff).await;
    assert_eq!(leads.status, StatusCode::OK);
    assert!(leads.text().contains("Compilers Inc"));
    // The portal: the decision with its reason, the enquiry, the review; answer and appeal.
    set_password(&app, &w.a.admin).await;
    let (me, csrf) = partner_session(&app, &w.a.admin).await;
    let page = app.http.page("/portal/directory/trust", &me).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let text = page.text();
    for needle in [
        "hidden by a moderator: Abusive wording",
        "Compilers Inc",
        "Never called back",
        "export-csv-directory/leads",
        "export-csv-directory/reviews",
        "export-csv-directory/decisions",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let decision = ok(&app
        .http
        .get("/api/v1/directory/decisions", &w.a.admin_token)
        .await)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .http
        .form(
            &format!("/portal/directory/decisions/{decision}/appeal"),
            &me,
            &[("_csrf", &csrf), ("text", "")],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("id=\"text-error\""), "{}", r.text());
    let r = app
        .http
        .form(
            &format!("/portal/directory/decisions/{decision}/appeal"),
            &me,
            &[("_csrf", &csrf), ("text", "The customer was never ours")],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = app
        .http
        .form(
            &format!("/portal/directory/reviews/{review}/answer"),
            &me,
            &[
                ("_csrf", &csrf),
                ("answer", "We have no record of this customer."),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app.http.page("/portal/directory/trust", &me).await.text();
    assert!(
        page.contains("Appealed: The customer was never ours"),
        "{page}"
    );
    assert!(
        page.contains("We have no record of this customer."),
        "{page}"
    );
    // The appeal is back in the queue.
    let queue = app
        .http
        .page("/console/directory/moderation", &staff)
        .await
        .text();
    assert!(queue.contains("The customer was never ours"), "{queue}");
    // CSV export of the enquiries, the partner's own.
    let csv = app.http.page("/export/v1/directory/leads", &me).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    assert!(csv.text().contains("Compilers Inc"), "{}", csv.text());
}

/// B's trust records for the isolation suites: a listing of B's that was public (so it has
/// a review and an enquiry) and is now hidden, so nothing of B is public; its review,
/// hidden too; the moderator's decision on the review; the enquiry.
pub(crate) struct TheirTrust {
    pub review: String,
    pub decision: String,
    pub lead: String,
}

pub(crate) async fn b_trust_records(app: &TestApp, w: &crate::harness::World) -> TheirTrust {
    let l = submitted(
        app,
        &w.b,
        &listing_body("Beta Consulting integrations", &["Consulting"], json!({})),
    )
    .await;
    let id = l["id"].as_str().unwrap().to_owned();
    let slug = l["slug"].as_str().unwrap().to_owned();
    let review = ok(&app
        .http
        .post(
            &format!("/api/v1/directory/listings/{id}/reviews"),
            &w.channel,
            &json!({"rating": 2, "body": "Slow answers"}),
        )
        .await)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lead = match app
        .store
        .take_directory_lead(
            &slug,
            "isolation-visitor",
            &partnerops_core::directory::lead::EnquiryInput {
                name: Some("Visitor".into()),
                email: Some("visitor@globex.example".into()),
                company: Some("Globex".into()),
                message: Some("Call me".into()),
            },
            None,
        )
        .await
        .expect("an enquiry")
    {
        partnerops_store::directory::EnquiryOutcome::Taken(l) => l.id.to_string(),
        other => panic!("{other:?}"),
    };
    let decision = ok(&app
        .http
        .post(
            &format!("/api/v1/directory/reviews/{review}/moderate"),
            &w.channel,
            &json!({"action": "hide", "reason": "Isolation check"}),
        )
        .await)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(&app
        .http
        .post(
            &format!("/api/v1/directory/listings/{id}/moderate"),
            &w.channel,
            &json!({"action": "hide", "reason": "Isolation check"}),
        )
        .await);
    TheirTrust {
        review,
        decision,
        lead,
    }
}

async fn an_invitation_the_mail_server_did_not_take_is_sent_again(app: TestApp) {
    let w = app.world().await;
    let (_, slug) = published(&app, &w, "Quasar Retry").await;
    let mailbox = Mailbox::new();
    let down = app
        .instance_with_notify(mailbox.unreachable(app.http.base()))
        .await;
    let page = format!("/directory/listings/{slug}");
    let invite = format!("/directory/listings/{slug}/review-invite");
    // The server is down: the visitor is told it will be retried, not refused.
    let r = public_form(
        &down.http,
        &page,
        &invite,
        &[("email", "retry@customer.example")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(r.text().contains("we keep trying"), "{}", r.text());
    assert!(mailbox.to("retry@customer.example").is_empty());
    // Not due yet a second after; due after the first retry delay (a minute). The retry
    // goes through a server that is up again, with a new link.
    let up = app
        .instance_with_notify(mailbox.settings(app.http.base()))
        .await;
    let soon = chrono::Utc::now() + chrono::Duration::seconds(1);
    assert_eq!(up.store.retry_review_invites(soon).await.unwrap(), (0, 0));
    let later = chrono::Utc::now() + chrono::Duration::minutes(2);
    assert_eq!(up.store.retry_review_invites(later).await.unwrap(), (1, 0));
    let mails = mailbox.to("retry@customer.example");
    assert_eq!(mails.len(), 1, "{mails:?}");
    let body = &mails[0].body;
    let start = body.find("/directory/reviews/").expect("a link");
    let link = body[start..].split_whitespace().next().unwrap().to_owned();
    let r = app.http.page(&link, "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Sent: never again.
    let much_later = chrono::Utc::now() + chrono::Duration::hours(12);
    assert_eq!(
        up.store.retry_review_invites(much_later).await.unwrap(),
        (0, 0)
    );
    // Still down on every retry: tried on the schedule (1, 5, 30 minutes, 2 and 6 hours),
    // then given up.
    let r = public_form(
        &down.http,
        &page,
        &invite,
        &[("email", "gone@customer.example")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mut at = chrono::Utc::now();
    let mut tries = 0;
    for _ in 0..10 {
        at += chrono::Duration::hours(7);
        let (sent, failed) = down.store.retry_review_invites(at).await.unwrap();
        assert_eq!(sent, 0);
        tries += failed;
    }
    assert_eq!(tries, 5, "five retries after the first attempt");
    assert!(mailbox.to("gone@customer.example").is_empty());
}
