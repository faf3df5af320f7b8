//! A partner admin in Chromium sees only its own portal: its partner, its users, its profile;
//! the console answers 404.
//!
//! Screenshots go to `<target>/screenshots/portal-*.png` (see `browser`).

use partnerops_core::ids::EntityId;
use partnerops_core::partner::Partner;
use partnerops_core::scope::Scope;
use partnerops_core::user::{Role, User};
use partnerops_store::user::UserFilter;

use crate::browser::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_sees_only_its_portal() {
    let (app, report) = seeded().await;
    let login = report
        .logins
        .iter()
        .find(|l| l.role == Role::PartnerAdmin)
        .expect("the seed has a partner admin login")
        .clone();
    let own_name = login
        .partner_name
        .clone()
        .expect("a partner admin belongs to a partner");
    let partners = all_partners(&app.store).await;
    let own = partners
        .iter()
        .find(|p| p.name == own_name)
        .expect("the partner admin's partner")
        .clone();
    let others: Vec<&Partner> = partners
        .iter()
        .filter(|p| p.id != own.id && !own.name.contains(&p.name))
        .collect();
    assert!(!others.is_empty(), "the seed has other partners");
    let own_users = users_matching(
        &app.store,
        &UserFilter {
            partner_id: Some(own.id.clone()),
            ..Default::default()
        },
    )
    .await;
    let other_users: Vec<User> = users_matching(
        &app.store,
        &UserFilter {
            staff: Some(false),
            ..Default::default()
        },
    )
    .await
    .into_iter()
    .filter(|u| u.partner_id.as_ref() != Some(&own.id))
    .collect();
    assert!(
        !other_users.is_empty(),
        "the seed has users of other partners"
    );

    let b = Browser::start(&app).await;
    b.sign_in(&login.email, &login.password).await;
    b.wait_path("/portal").await;
    b.wait_css("#current-tier").await;
    assert!(
        b.text("h1").await.contains(&own.name),
        "the portal's h1 names the own company {}",
        own.name
    );
    assert_eq!(
        b.text("#current-tier").await,
        own.tier_name,
        "#current-tier shows the partner's tier"
    );
    assert!(
        b.exists("#profile-form").await,
        "a partner admin may edit the profile"
    );
    let source = b.source().await;
    for other in &others {
        assert!(
            !source.contains(&other.name),
            "the portal of {} must not mention another partner, {}",
            own.name,
            other.name
        );
    }
    assert!(
        !b.exists(".topbar a[href^='/console']").await,
        "no console links in the portal's navigation"
    );
    b.shot("portal-01-home").await;

    // Own users only.
    b.click(".topbar a[href='/portal/users']").await;
    b.wait_path("/portal/users").await;
    b.wait_css("#user-table").await;
    let emails = sorted(b.texts("#user-table tbody tr td:nth-child(2)").await);
    assert_eq!(
        emails,
        sorted(own_users.iter().map(|u| u.email.to_string())),
        "/portal/users lists exactly the own users"
    );
    let source = b.source().await;
    for u in &other_users {
        assert!(
            !source.contains(u.email.as_str()),
            "/portal/users must not show {} of another partner",
            u.email
        );
    }
    b.shot("portal-02-users").await;

    // Edit the profile.
    b.click(".topbar a[href='/portal']").await;
    b.wait_path("/portal").await;
    b.wait_css("#profile-form").await;
    b.type_into(
        "#profile-form input[name=verticals]",
        "Healthcare, Browser QA",
    )
    .await;
    b.click("#profile-form button[type=submit]").await;
    b.wait_css(".notice").await;
    b.wait_path("/portal").await;
    assert_eq!(b.text(".notice").await, "Saved.", "the save is confirmed");
    assert_eq!(
        b.value("#profile-form input[name=verticals]").await,
        "Healthcare, Browser QA",
        "the form shows the saved verticals"
    );
    let stored = app
        .store
        .partner(&Scope::Vendor, own.id.as_str())
        .await
        .expect("reload the partner");
    assert_eq!(
        stored.verticals,
        ["Healthcare", "Browser QA"],
        "the verticals were stored"
    );
    b.shot("portal-03-saved").await;

    // The console does not exist for partner users.
    b.goto("/console/partners").await;
    b.wait_css("main article header").await;
    let header = b.text("main article header").await;
    assert!(
        header.contains("404") && header.contains("Not found"),
        "a partner user gets the 404 page, got {header:?}"
    );
    let source = b.source().await;
    assert!(
        !source.contains("partner-table"),
        "no partner table behind the 404"
    );
    let session = b
        .client
        .get_named_cookie("po_session")
        .await
        .expect("the session cookie");
    let answer = app
        .http
        .page(
            "/console/partners",
            &format!("po_session={}", session.value()),
        )
        .await;
    assert_eq!(
        answer.status, 404,
        "the console answers 404 to a partner session"
    );
    b.shot("portal-04-console-404").await;

    b.close().await;
}
