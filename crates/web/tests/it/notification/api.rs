//! Who is notified of what, through the API: a registration decision reaches the partner's
//! users in the app and by e-mail (with a link that opens), nobody else; each user reads
//! and marks only their own; choices are per user and "off" sends nothing; SLA warnings
//! come three days ahead, once; without SMTP the e-mails are recorded as skipped.

use chrono::{Duration, Utc};
use hyper::{Method, StatusCode};
use partnerops_core::notification::NotificationKind;
use serde_json::json;

use super::{approved, choose, inbox, jobs_at, submitted};
use crate::harness::TestApp;
use crate::mailbox::Mailbox;
use crate::on_both;
use crate::session::{PASSWORD, set_password, sign_in};

on_both!(
    an_approval_reaches_the_partners_users_in_the_app_and_by_mail,
    each_user_reads_and_marks_only_their_own,
    choices_are_per_user_and_off_sends_no_mail,
    sla_warnings_come_three_days_ahead_once,
);

async fn an_approval_reaches_the_partners_users_in_the_app_and_by_mail(app: TestApp) {
    let w = app.world().await;
    let mailbox = Mailbox::new();
    let settings = mailbox.settings(app.http.base());
    let rid = approved(&app, &w, &w.a, "Initrode").await;
    // B has news of its own, which must stay B's.
    approved(&app, &w, &w.b, "Umbrella").await;

    let report = jobs_at(&app, Utc::now(), &settings).await;
    assert_eq!(
        report.count("notifications.notify", "notifications"),
        4,
        "{report}"
    );
    assert_eq!(
        report.count("notifications.send_mail", "sent"),
        4,
        "{report}"
    );

    // In the app: A's admin and rep, each once, linking to the portal page.
    for token in [&w.a.admin_token, &w.a.rep_token] {
        let items = inbox(&app, token).await;
        assert_eq!(items.len(), 1, "{items:?}");
        let n = &items[0];
        assert_eq!(n["kind"], "registration_decision");
        assert_eq!(n["title"], "Registration approved: Initrode rollout");
        assert_eq!(n["link"], format!("/portal/registrations/{rid}"));
        assert!(n["read_at"].is_null());
    }
    // Staff are not told of a decision they made.
    assert!(inbox(&app, &w.channel).await.is_empty());
    assert!(inbox(&app, &w.admin).await.is_empty());

    // By e-mail: one message to each of A's users, with the right subject and a link that
    // opens the registration for them, and nothing of B.
    let alpha: Vec<_> = mailbox
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.ends_with("@alpha.example")))
        .collect();
    assert_eq!(alpha.len(), 2, "{alpha:?}");
    let mut recipients: Vec<String> = alpha.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, vec!["admin@alpha.example", "rep@alpha.example"]);
    let link = format!("{}/portal/registrations/{rid}", app.http.base());
    for m in &alpha {
        assert_eq!(
            m.subject,
            "[partnerops] Registration approved: Initrode rollout"
        );
        assert!(
            m.raw
                .contains(&format!("From: partnerops <{}>", mailbox.sender))
        );
        assert!(m.raw.contains("Message-ID: <eml_"), "{}", m.raw);
        assert!(m.body.contains(&format!("Open: {link}")), "{}", m.body);
        for other in ["Beta Consulting", "beta.example", "Umbrella"] {
            assert!(
                !m.raw.contains(other) && !m.body.contains(other),
                "{other} in a mail to A: {}",
                m.raw
            );
        }
    }
    set_password(&app, &w.a.rep).await;
    let (_, session) = sign_in(&app, "rep@alpha.example", PASSWORD).await;
    let page = app
        .http
        .page(link.strip_prefix(app.http.base()).unwrap(), &session)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Initrode rollout"));

    // Recorded as sent, with the server's answer; another run sends nothing again.
    let sent = app.store.email_deliveries(&w.a.rep.id).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].status.as_str(), sent[0].attempts), ("sent", 1));
    assert!(
        sent[0]
            .server_reply
            .as_deref()
            .unwrap_or("")
            .starts_with("250"),
        "{:?}",
        sent[0].server_reply
    );
    let again = jobs_at(&app, Utc::now() + Duration::minutes(2), &settings).await;
    assert_eq!(again.count("notifications.notify", "notifications"), 0);
    assert_eq!(again.count("notifications.send_mail", "sent"), 0);
    assert_eq!(mailbox.messages().len(), 4);
}

async fn each_user_reads_and_marks_only_their_own(app: TestApp) {
    let w = app.world().await;
    approved(&app, &w, &w.a, "Initrode").await;
    approved(&app, &w, &w.b, "Umbrella").await;
    app.store.notify().await.unwrap();
    let admins = inbox(&app, &w.a.admin_token).await;
    let theirs = admins[0]["id"].as_str().unwrap().to_owned();
    let b_items = inbox(&app, &w.b.admin_token).await;
    let b_theirs = b_items[0]["id"].as_str().unwrap().to_owned();

    // A colleague of the same partner, another partner, and staff: all 404.
    for token in [&w.a.rep_token, &w.b.rep_token, &w.admin] {
        let r = app
            .http
            .post(
                &format!("/api/v1/notifications/{theirs}/read"),
                token,
                &json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/problem+json")
        );
    }
    let r = app
        .http
        .post(
            &format!("/api/v1/notifications/{b_theirs}/read"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(inbox(&app, &w.a.admin_token).await[0]["read_at"].is_null());

    // The owner marks it read, once: marking it again keeps the first time.
    let r = app
        .http
        .post(
            &format!("/api/v1/notifications/{theirs}/read"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let first = r.json()["read_at"].clone();
    assert!(first.is_string());
    let again = app
        .http
        .post(
            &format!("/api/v1/notifications/{theirs}/read"),
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(again.json()["read_at"], first);
    let unread = app
        .http
        .get("/api/v1/notifications?unread=true", &w.a.admin_token)
        .await;
    assert!(unread.json()["items"].as_array().unwrap().is_empty());
    let rep_unread = app
        .http
        .get("/api/v1/notifications?unread=true", &w.a.rep_token)
        .await;
    assert_eq!(rep_unread.json()["items"].as_array().unwrap().len(), 1);
    // B's stays unread.
    assert!(inbox(&app, &w.b.admin_token).await[0]["read_at"].is_null());

    let bad = app
        .http
        .get("/api/v1/notifications?unread=maybe", &w.a.admin_token)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.problem_rules(), vec!["unread:one_of"]);
    let bad_id = app
        .http
        .post(
            "/api/v1/notifications/not-an-id/read",
            &w.a.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(bad_id.status, StatusCode::NOT_FOUND);

    // Paging: newest first, a cursor to the next page.
    approved(&app, &w, &w.a, "Hooli").await;
    app.store.notify().await.unwrap();
    let page = app
        .http
        .get("/api/v1/notifications?limit=1", &w.a.admin_token)
        .await
        .json();
    assert_eq!(
        page["items"][0]["title"],
        "Registration approved: Hooli rollout"
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = app
        .http
        .get(
            &format!("/api/v1/notifications?limit=1&cursor={cursor}"),
            &w.a.admin_token,
        )
        .await
        .json();
    assert_eq!(next["items"][0]["id"], theirs.as_str());
    assert!(next["next_cursor"].is_null());
}

async fn choices_are_per_user_and_off_sends_no_mail(app: TestApp) {
    let w = app.world().await;
    let mailbox = Mailbox::new();
    let settings = mailbox.settings(app.http.base());

    // The defaults: at once, except what can wait for the digest.
    let r = app
        .http
        .get("/api/v1/notification-preferences", &w.a.admin_token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let defaults = r.json();
    let of = |prefs: &serde_json::Value, kind: &str| {
        prefs
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == kind)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        of(&defaults, "registration_decision")["delivery"],
        "immediately"
    );
    assert_eq!(of(&defaults, "jbp_drift")["delivery"], "daily_digest");
    assert_eq!(of(&defaults, "mention")["is_default"], true);
    assert_eq!(
        defaults.as_array().unwrap().len(),
        NotificationKind::ALL.len()
    );

    // Bad input names the kind and the rule; nothing is saved.
    let r = app
        .http
        .api(
            Method::PUT,
            "/api/v1/notification-preferences",
            Some(&w.a.admin_token),
            Some(&json!({"registration_decision": "sometimes", "birthdays": "off"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.problem_rules(),
        vec!["birthdays:unknown_kind", "registration_decision:one_of"]
    );
    let not_a_map = app
        .http
        .api(
            Method::PUT,
            "/api/v1/notification-preferences",
            Some(&w.a.admin_token),
            Some(&json!({"mention": 3})),
        )
        .await;
    assert_eq!(not_a_map.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A's admin turns decision e-mails off; the rep keeps the default.
    let saved = choose(
        &app,
        &w.a.admin_token,
        json!({"registration_decision": "off"}),
    )
    .await;
    assert_eq!(of(&saved, "registration_decision")["delivery"], "off");
    assert_eq!(of(&saved, "registration_decision")["is_default"], false);
    let rep = app
        .http
        .get("/api/v1/notification-preferences", &w.a.rep_token)
        .await
        .json();
    assert_eq!(of(&rep, "registration_decision")["delivery"], "immediately");
    // The change is in the user's audit trail.
    let audit = app
        .http
        .get(&format!("/api/v1/users/{}/audit", w.a.admin.id), &w.admin)
        .await
        .json();
    assert!(
        audit["items"]
            .to_string()
            .contains("notification_preferences"),
        "{audit}"
    );

    approved(&app, &w, &w.a, "Initrode").await;
    jobs_at(&app, Utc::now(), &settings).await;
    // Both still see it in the app; only the rep gets an e-mail.
    assert_eq!(inbox(&app, &w.a.admin_token).await.len(), 1);
    assert_eq!(inbox(&app, &w.a.rep_token).await.len(), 1);
    assert!(mailbox.to("admin@alpha.example").is_empty());
    assert_eq!(mailbox.to("rep@alpha.example").len(), 1);
    assert!(
        app.store
            .email_deliveries(&w.a.admin.id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn sla_warnings_come_three_days_ahead_once(app: TestApp) {
    let w = app.world().await;
    let rid = approved(&app, &w, &w.a, "Initrode").await;
    let reg = app
        .http
        .get(&format!("/api/v1/registrations/{rid}"), &w.admin)
        .await
        .json();
    let due = chrono::DateTime::parse_from_rfc3339(reg["sla_due_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    // No SMTP server configured: in-app notifications, e-mails recorded as skipped.
    let none = Default::default();
    let early = jobs_at(&app, due - Duration::days(3) - Duration::minutes(1), &none).await;
    assert_eq!(early.count("registrations.sweep", "SLA warnings"), 0);
    let on_time = jobs_at(&app, due - Duration::days(3) + Duration::minutes(1), &none).await;
    assert_eq!(on_time.count("registrations.sweep", "SLA warnings"), 1);
    let later = jobs_at(&app, due - Duration::days(1), &none).await;
    assert_eq!(
        later.count("registrations.sweep", "SLA warnings"),
        0,
        "once"
    );

    let items = inbox(&app, &w.a.rep_token).await;
    let warning: Vec<_> = items
        .iter()
        .filter(|n| n["kind"] == "sla_warning")
        .collect();
    assert_eq!(warning.len(), 1, "{items:?}");
    assert_eq!(warning[0]["title"], "Follow-up due soon: Initrode rollout");
    assert!(
        warning[0]["body"]
            .as_str()
            .unwrap()
            .contains(&due.format("%Y-%m-%d %H:%M UTC").to_string()),
        "{}",
        warning[0]["body"]
    );
    assert!(inbox(&app, &w.b.rep_token).await.is_empty());
    let mails = app.store.email_deliveries(&w.a.rep.id).await.unwrap();
    let warned: Vec<_> = mails.iter().filter(|m| m.kind == "sla_warning").collect();
    assert_eq!(warned.len(), 1);
    assert_eq!(warned[0].status, "skipped");
    assert_eq!(
        warned[0].last_error.as_deref(),
        Some("skipped: no SMTP configured")
    );

    // An activity logged five days later starts a new SLA period, which gets its own
    // warning.
    let later_instance = app.shifted_instance(Duration::days(5)).await;
    let r = later_instance
        .http
        .post(
            &format!("/api/v1/registrations/{rid}/activities"),
            &w.a.rep_token,
            &json!({"kind": "meeting", "notes": "scoping"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let moved = app
        .http
        .get(&format!("/api/v1/registrations/{rid}"), &w.admin)
        .await
        .json();
    let new_due = chrono::DateTime::parse_from_rfc3339(moved["sla_due_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    assert!(new_due > due + Duration::days(4), "{new_due} {due}");
    let next = jobs_at(&app, new_due - Duration::days(2), &none).await;
    assert_eq!(next.count("registrations.sweep", "SLA warnings"), 1);

    // A pending registration has no SLA, so no warning.
    submitted(&app, &w.a, "Hooli").await;
    let none_pending = jobs_at(&app, new_due - Duration::days(1), &none).await;
    assert_eq!(none_pending.count("registrations.sweep", "SLA warnings"), 0);
}
