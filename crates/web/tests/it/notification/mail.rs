//! E-mail through a real SMTP server: the daily digest as one message per user and day,
//! two instances over one database sending each message once, and the retry schedule when
//! the server refuses (or cannot be reached), ending in a failure that records the
//! server's answer.

use chrono::{DateTime, Duration, NaiveTime, SubsecRound, Utc};
use partnerops_core::notification::timing::{MAX_ATTEMPTS, RETRY_DELAYS, digest_day};
use partnerops_store::notification::EmailDelivery;

use super::{approved, choose, inbox, jobs_at, submitted};
use crate::harness::TestApp;
use crate::mailbox::Mailbox;
use crate::on_both;

on_both!(
    a_daily_digest_is_one_mail_listing_every_item,
    two_instances_send_each_mail_once,
    a_refused_mail_is_retried_then_fails_with_the_servers_answer,
    an_unreachable_server_is_retried_on_the_schedule,
);

async fn a_daily_digest_is_one_mail_listing_every_item(app: TestApp) {
    let w = app.world().await;
    let mailbox = Mailbox::new();
    let settings = mailbox.settings(app.http.base());
    choose(
        &app,
        &w.a.admin_token,
        serde_json::json!({"registration_decision": "daily_digest"}),
    )
    .await;
    approved(&app, &w, &w.a, "Initrode").await;
    approved(&app, &w, &w.a, "Hooli").await;
    let rejected = submitted(&app, &w.a, "Vandelay").await;
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{rejected}/reject"),
            &w.channel,
            &serde_json::json!({"reason": "not a fit"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());

    let now = Utc::now();
    jobs_at(&app, now, &settings).await;
    // The rep (default: at once) has three e-mails; the admin none yet.
    assert_eq!(mailbox.to("rep@alpha.example").len(), 3);
    assert!(mailbox.to("admin@alpha.example").is_empty());
    assert_eq!(inbox(&app, &w.a.admin_token).await.len(), 3);

    // The digest of the day the notifications belong to goes out at its time, once.
    let digest_time: DateTime<Utc> = digest_day(now)
        .and_time(NaiveTime::from_hms_opt(7, 0, 0).unwrap())
        .and_utc();
    let before = jobs_at(&app, digest_time - Duration::minutes(1), &settings).await;
    assert_eq!(
        before.count("notifications.digest", "digests"),
        0,
        "{before}"
    );
    assert!(mailbox.to("admin@alpha.example").is_empty());
    let at = jobs_at(&app, digest_time + Duration::minutes(1), &settings).await;
    assert_eq!(at.count("notifications.digest", "digests"), 1, "{at}");
    assert_eq!(at.count("notifications.digest", "items"), 3, "{at}");
    let digests = mailbox.to("admin@alpha.example");
    assert_eq!(digests.len(), 1, "{digests:?}");
    let digest = &digests[0];
    assert_eq!(
        digest.subject,
        format!(
            "[partnerops] Daily digest {}: 3 notifications",
            digest_day(now)
        )
    );
    for title in [
        "Registration approved: Initrode rollout",
        "Registration approved: Hooli rollout",
        "Registration rejected: Vandelay rollout",
    ] {
        assert!(digest.body.contains(title), "{title}: {}", digest.body);
    }
    assert!(
        digest
            .body
            .contains(&format!("{}/portal/registrations/", app.http.base())),
        "{}",
        digest.body
    );
    assert!(!digest.raw.contains("Beta Consulting") && !digest.body.contains("Beta Consulting"));
    let later = jobs_at(&app, digest_time + Duration::hours(3), &settings).await;
    assert_eq!(later.count("notifications.digest", "digests"), 0);
    assert_eq!(mailbox.to("admin@alpha.example").len(), 1);
    // Nobody else got a digest.
    assert_eq!(mailbox.messages().len(), 4);
}

async fn two_instances_send_each_mail_once(app: TestApp) {
    let w = app.world().await;
    let mailbox = Mailbox::new();
    let settings = mailbox.settings(app.http.base());
    // Names far apart, so none is held for duplicate review.
    for company in [
        "Initrode",
        "Hooli",
        "Vandelay",
        "Soylent",
        "Wonka",
        "Stark",
        "Wayne",
        "Tyrell",
        "Cyberdyne",
        "Gringotts",
        "Monsters",
        "Oscorp",
    ] {
        approved(&app, &w, &w.a, company).await;
    }
    // Two instances over the one database, each with its own pool, run the notify job and
    // then the send job at the same time.
    let second = app.second_instance().await;
    let one = app.store.clone().with_notify(settings.clone());
    let two = second.store.clone().with_notify(settings.clone());
    let (a, b) = tokio::join!(
        tokio::spawn({
            let one = one.clone();
            async move { one.notify().await.unwrap() }
        }),
        tokio::spawn({
            let two = two.clone();
            async move { two.notify().await.unwrap() }
        })
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.notifications + b.notifications, 24, "{a:?} {b:?}");
    assert_eq!(a.emails + b.emails, 24, "{a:?} {b:?}");
    let (a, b) = tokio::join!(
        tokio::spawn(async move { one.send_mail().await.unwrap() }),
        tokio::spawn(async move { two.send_mail().await.unwrap() })
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 24, "{a:?} {b:?}");

    let mails = mailbox.messages();
    assert_eq!(mails.len(), 24, "each e-mail arrives once");
    let mut seen: Vec<(String, String)> = mails
        .iter()
        .map(|m| (m.to.join(","), m.subject.clone()))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 24, "no message arrived twice");
    for user in [&w.a.admin, &w.a.rep] {
        let sent = app.store.email_deliveries(&user.id).await.unwrap();
        assert_eq!(sent.len(), 12);
        assert!(
            sent.iter().all(|d| d.status == "sent" && d.attempts == 1),
            "{sent:?}"
        );
    }
}

/// The deliveries of a user that are not sent.
async fn unsent(app: &TestApp, user: &partnerops_core::user::User) -> Vec<EmailDelivery> {
    app.store
        .email_deliveries(&user.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.status != "sent")
        .collect()
}

async fn a_refused_mail_is_retried_then_fails_with_the_servers_answer(app: TestApp) {
    let w = app.world().await;
    let mailbox = Mailbox::new();
    let settings = mailbox.settings(app.http.base());
    // The sink refuses these recipients: for now (451), and for good (550).
    let (busy, _) = app
        .user_with_token(
            "busy@reject-temp.example",
            "partner_rep",
            Some(&w.a.partner),
        )
        .await;
    let (gone, _) = app
        .user_with_token(
            "gone@reject-perm.example",
            "partner_rep",
            Some(&w.a.partner),
        )
        .await;
    approved(&app, &w, &w.a, "Initrode").await;
    // The store keeps microseconds.
    let start = Utc::now().trunc_subsecs(6);
    let first = jobs_at(&app, start, &settings).await;
    assert_eq!(first.count("notifications.send_mail", "sent"), 2, "{first}");
    assert_eq!(
        first.count("notifications.send_mail", "retrying"),
        1,
        "{first}"
    );
    assert_eq!(
        first.count("notifications.send_mail", "failed"),
        1,
        "{first}"
    );

    // A permanent refusal fails at once, with the server's answer.
    let gone_mail = unsent(&app, &gone).await;
    assert_eq!(gone_mail.len(), 1);
    assert_eq!(
        (gone_mail[0].status.as_str(), gone_mail[0].attempts),
        ("failed", 1)
    );
    let answer = gone_mail[0].last_error.as_deref().unwrap_or_default();
    assert!(
        answer.contains("550") && answer.contains("No such user here"),
        "{answer}"
    );

    // A transient one is retried on the schedule: not before its time, then at it.
    let mut at = start;
    for (attempt, delay) in RETRY_DELAYS.iter().enumerate() {
        let mail = &unsent(&app, &busy).await[0];
        assert_eq!(mail.status, "pending", "after attempt {}", attempt + 1);
        assert_eq!(mail.attempts, attempt as i64 + 1);
        assert_eq!(mail.next_attempt_at, at + *delay);
        let answer = mail.last_error.as_deref().unwrap_or_default();
        assert!(
            answer.contains("451") && answer.contains("temporarily unavailable"),
            "{answer}"
        );
        let early = app
            .store_as_of(at + *delay - Duration::seconds(1))
            .with_notify(settings.clone())
            .send_mail()
            .await
            .unwrap();
        assert_eq!(early.retrying + early.failed + early.sent, 0, "not due yet");
        at += *delay;
        app.store_as_of(at)
            .with_notify(settings.clone())
            .send_mail()
            .await
            .unwrap();
    }
    let mail = &unsent(&app, &busy).await[0];
    assert_eq!(
        (mail.status.as_str(), mail.attempts),
        ("failed", MAX_ATTEMPTS)
    );
    assert!(
        mail.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("(451): 4.3.0 Mailbox temporarily unavailable"),
        "{:?}",
        mail.last_error
    );
    // Failed is final.
    let after = app
        .store_as_of(at + Duration::days(1))
        .with_notify(settings.clone())
        .send_mail()
        .await
        .unwrap();
    assert_eq!(after.retrying + after.failed + after.sent, 0);
    // The refused recipients never got anything; the others got theirs once.
    assert!(mailbox.to("busy@reject-temp.example").is_empty());
    assert_eq!(mailbox.messages().len(), 2);
}

async fn an_unreachable_server_is_retried_on_the_schedule(app: TestApp) {
    let w = app.world().await;
    let mailbox = Mailbox::new();
    approved(&app, &w, &w.a, "Initrode").await;
    // The store keeps microseconds.
    let start = Utc::now().trunc_subsecs(6);
    let down = mailbox.unreachable(app.http.base());
    let first = jobs_at(&app, start, &down).await;
    assert_eq!(
        first.count("notifications.send_mail", "retrying"),
        2,
        "{first}"
    );
    let mail = &unsent(&app, &w.a.rep).await[0];
    assert_eq!((mail.status.as_str(), mail.attempts), ("pending", 1));
    assert_eq!(mail.next_attempt_at, start + RETRY_DELAYS[0]);
    assert!(mail.last_error.is_some(), "{mail:?}");
    assert!(mail.server_reply.is_none(), "no server answered");
    // An instance without SMTP settings (say, an operator's `jobs run-due` without the
    // variables) leaves the e-mail for one that has them.
    let idle = app
        .store_as_of(start + RETRY_DELAYS[0])
        .send_mail()
        .await
        .unwrap();
    assert_eq!(idle.sent + idle.retrying + idle.failed, 0);
    let mail = &unsent(&app, &w.a.rep).await[0];
    assert_eq!((mail.status.as_str(), mail.attempts), ("pending", 1));
    // The server is back: the retry goes out.
    let settings = mailbox.settings(app.http.base());
    let retry = app
        .store_as_of(start + RETRY_DELAYS[0])
        .with_notify(settings)
        .send_mail()
        .await
        .unwrap();
    assert_eq!(retry.sent, 2);
    assert_eq!(mailbox.to("rep@alpha.example").len(), 1);
    let sent = app.store.email_deliveries(&w.a.rep.id).await.unwrap();
    assert_eq!((sent[0].status.as_str(), sent[0].attempts), ("sent", 2));
}
