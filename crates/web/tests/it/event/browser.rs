//! Events in Chromium: a partner admin replies "going" to a vendor webinar in the portal,
//! hosts a workshop for its customers from the portal's editor and publishes it; a customer
//! replies on its public page with a `<script>` in the name (it stays text, nothing runs);
//! the partner checks the customer in on its attendance list; the vendor sees the figures.
//!
//! Screenshots go to `<target>/screenshots/event-*.png` (see `browser`).

use chrono::{Duration, Utc};
use partnerops_core::event::record::{EventInput, EventStatus};
use partnerops_core::ids::EntityId;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Actor;

use crate::browser::{Browser, VENDOR_ADMIN, active_partner_admin, eventually, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_user_and_a_customer_reply_and_are_checked_in() {
    let (app, report) = seeded().await;
    let (login, partner) = active_partner_admin(&app.store, &report).await;
    let system = Actor::system("test");
    let start = Utc::now() + Duration::days(5);
    let webinar = app
        .store
        .create_event(
            &system,
            &EventInput {
                program_id: Some(partner.program_id.to_string()),
                kind: Some("webinar".into()),
                title: Some("Security roadmap briefing".into()),
                description: Some(
                    "## What you will hear\n\n- The next two releases\n- **Live Q&A**".into(),
                ),
                starts_at: Some(start.to_rfc3339()),
                ends_at: Some((start + Duration::hours(1)).to_rfc3339()),
                utc_offset: Some("+01:00".into()),
                join_url: Some("https://meet.example/briefing".into()),
                capacity: Some(40),
                audience: Some("both".into()),
                ..Default::default()
            },
        )
        .await
        .expect("webinar");
    app.store
        .set_event_status(&system, webinar.id.as_str(), EventStatus::Published)
        .await
        .expect("published");

    // The partner admin replies "going" in the portal.
    let b = Browser::start(&app).await;
    b.sign_in(&login.email, DEMO_PASSWORD).await;
    b.wait_path("/portal").await;
    b.goto("/portal/events").await;
    b.wait_css("#events").await;
    b.shot("event-01-portal-list").await;
    b.goto(&format!("/portal/events/{}", webinar.id)).await;
    b.wait_css("#rsvp-going").await;
    assert!(b.text("#event-when").await.contains("UTC+01:00"));
    b.click("#rsvp-going").await;
    eventually("the reply", async || {
        let s = b.text("#my-status").await;
        if s == "Going" { Ok(s) } else { Err(s) }
    })
    .await;
    b.shot("event-02-portal-going").await;

    // It hosts a workshop for its customers, starting within the hour, and publishes it.
    b.goto("/portal/events/new").await;
    b.wait_css("#event-form").await;
    b.select("#event-form select[name=kind]", "workshop").await;
    b.select("#event-form select[name=audience]", "customers")
        .await;
    b.type_into("#event-form input[name=title]", "Cloud cost clinic")
        .await;
    b.type_into(
        "#event-form textarea[name=description]",
        "Bring your last cloud bill: we find the **savings** with you.",
    )
    .await;
    let local = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let soon = Utc::now() + Duration::minutes(50);
    b.set_value("#event-form input[name=starts_at]", &local(soon))
        .await;
    b.set_value(
        "#event-form input[name=ends_at]",
        &local(soon + Duration::hours(2)),
    )
    .await;
    b.select("#event-form select[name=utc_offset]", "+00:00")
        .await;
    b.type_into("#event-form input[name=location]", "Our office, room Atlas")
        .await;
    b.type_into("#event-form input[name=capacity]", "12").await;
    b.shot("event-03-portal-editor").await;
    b.click("#save-event").await;
    b.wait_css("#publish-event").await;
    b.click("#publish-event").await;
    b.wait_css("#public-link").await;
    let public = b
        .find("#public-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let event_page = b.path().await;
    assert_eq!(b.text("#event-status").await, "Published");

    // A customer replies on the public page; the script in the name stays text.
    b.goto(&public).await;
    b.wait_css("#rsvp-form").await;
    assert_eq!(b.text("#event-title").await, "Cloud cost clinic");
    b.type_into(
        "#rsvp-form input[name=name]",
        "<script>document.title='pwned'</script>Eve Polastri",
    )
    .await;
    b.type_into("#rsvp-form input[name=email]", "eve@initech.example")
        .await;
    b.type_into("#rsvp-form input[name=company]", "Initech")
        .await;
    b.shot("event-04-public-page").await;
    b.click("#rsvp-submit").await;
    b.wait_css("#rsvp-thanks").await;
    b.shot("event-05-public-thanks").await;
    let personal = b
        .find("#personal-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    // The link is absolute (the configured public address): open its path here.
    let personal = personal[personal.find("/rsvp/").unwrap()..].to_owned();
    assert!(!b.source().await.contains("<title>pwned"), "a script ran");
    b.goto(&personal).await;
    b.wait_css("#rsvp-status").await;
    assert_eq!(b.text("#rsvp-status").await, "Going");
    assert!(
        b.text("#personal")
            .await
            .contains("<script>document.title='pwned'</script>Eve Polastri")
    );
    b.shot("event-06-personal-page").await;

    // The partner sees the customer on its attendance list, as text, and checks her in.
    b.goto(&event_page).await;
    b.wait_css("#attendance-list").await;
    let rows = b.texts("#attendance-list tbody tr").await.join("\n");
    assert!(
        rows.contains("<script>document.title='pwned'</script>Eve Polastri"),
        "{rows}"
    );
    assert!(
        !b.source().await.contains("<script>document.title"),
        "the name became markup"
    );
    b.click("#attendance-list .check-in").await;
    eventually("the check-in", async || {
        let f = b.text("#event-figures").await;
        if f.contains("Checked in\n1") || f.contains("Checked in 1") {
            Ok(f)
        } else {
            Err(f)
        }
    })
    .await;
    b.shot("event-07-portal-checked-in").await;
    assert!(!b.source().await.contains("<title>pwned"), "a script ran");
    b.goto("/portal").await;
    b.click("#logout").await;

    // The vendor: every event with its figures, and the webinar's attendee list.
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto("/console/events").await;
    b.wait_css("#events").await;
    b.shot("event-08-console-list").await;
    b.goto(&format!("/console/events/{}", webinar.id)).await;
    b.wait_css("#attendance-list").await;
    let rows = b.texts("#attendance-list tbody tr").await.join("\n");
    assert!(rows.contains(&partner.name), "{rows}");
    b.shot("event-09-console-event").await;
    b.goto(&format!("/console/events/{}/edit", webinar.id))
        .await;
    b.wait_css("#event-form").await;
    b.shot("event-10-console-editor").await;
    b.close().await;
}
