//! Notifications in Chromium: a partner rep sees the unread count in the navigation, opens
//! a notification (it goes to the registration and stops being new) and turns an e-mail
//! off.
//!
//! Screenshots go to `<target>/screenshots/notifications-*.png` (see `browser`).

use super::approved;
use crate::browser::*;
use crate::harness::{Db, spawn};
use crate::session::{PASSWORD, set_password};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_rep_opens_a_notification_and_turns_an_email_off() {
    let app = spawn(Db::Sqlite).await;
    let w = app.world().await;
    let rid = approved(&app, &w, &w.a, "Initrode").await;
    app.store.notify().await.unwrap();
    set_password(&app, &w.a.rep).await;

    let b = Browser::start(&app).await;
    b.sign_in("rep@alpha.example", PASSWORD).await;
    b.wait_path("/portal").await;
    assert_eq!(b.text("#nav-notifications .unread-count").await, "1");
    b.click("#nav-notifications").await;
    b.wait_path("/portal/notifications").await;
    b.wait_css("#notification-table").await;
    let titles = b.texts("#notification-table tbody tr strong a").await;
    assert_eq!(titles, vec!["Registration approved: Initrode rollout"]);
    b.shot("notifications-portal").await;

    b.click("#notification-table tbody tr form:first-of-type button")
        .await;
    b.wait_path(&format!("/portal/registrations/{rid}")).await;
    assert!(!b.exists("#nav-notifications .unread-count").await);

    b.goto("/portal/notifications").await;
    b.wait_css("#preferences-form").await;
    assert!(b.exists("#notification-table tr.read").await);
    b.select("#pref-registration_decision", "off").await;
    b.click("#preferences-form button[type=submit]").await;
    b.wait_css("#saved").await;
    assert_eq!(b.value("#pref-registration_decision").await, "off");
    b.shot("notifications-saved").await;
    b.close().await;

    let prefs = app
        .store
        .login("rep@alpha.example", PASSWORD, "test")
        .await
        .unwrap();
    let choices = app.store.notification_preferences(&prefs).await.unwrap();
    assert!(
        choices
            .iter()
            .any(|p| p.kind.as_str() == "registration_decision" && p.delivery.as_str() == "off")
    );
}
