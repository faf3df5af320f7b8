//! Deal registration in Chromium: a partner registers a deal, is warned about an account
//! another partner holds (without learning who), and a vendor admin approves the deal.
//!
//! Screenshots go to `<target>/screenshots/registration-*.png` (see `browser`).

use fantoccini::Locator;
use partnerops_core::ids::EntityId;
use partnerops_core::partner::{Partner, PartnerStatus};
use partnerops_core::registration::RegistrationStatus;
use partnerops_core::registration::record::{AccountRefInput, ReasonInput, RegistrationInput};
use partnerops_core::scope::Scope;
use partnerops_core::user::Role;
use partnerops_seed::DEMO_PASSWORD;
use partnerops_store::Actor;
use partnerops_store::registration::RegistrationFilter;

use crate::browser::{Browser, VENDOR_ADMIN, all_partners, eventually, seeded};

fn may_register(p: &Partner) -> bool {
    p.archived_at.is_none() && matches!(p.status, PartnerStatus::Active | PartnerStatus::Onboarding)
}

/// The hold check's message, once it says something other than the typing hint.
async fn hold_check(b: &Browser, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    eventually(&format!("#hold-check to say {what}"), async || {
        let text = b.texts("#hold-check .hold").await.join(" ");
        if wanted(&text.to_lowercase()) {
            Ok(text)
        } else {
            Err(text)
        }
    })
    .await
}

/// The status cell of the row of `account` in `#registration-table`.
async fn status_of(b: &Browser, account: &str) -> Option<String> {
    let rows = b.texts("#registration-table tbody tr").await;
    rows.into_iter().find(|r| r.contains(account))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_registers_a_deal_and_vendor_approves_it() {
    let (app, report) = seeded().await;
    let partners = all_partners(&app.store).await;

    // The partner admin whose company may register deals (the first such login).
    let (login, own) = report
        .logins
        .iter()
        .filter(|l| l.role == Role::PartnerAdmin)
        .find_map(|l| {
            let name = l.partner_name.as_deref()?;
            let p = partners.iter().find(|p| p.name == name)?;
            may_register(p).then(|| (l.clone(), p.clone()))
        })
        .expect("the seed has a partner admin of an active or onboarding partner");
    let other = partners
        .iter()
        .find(|p| p.id != own.id && may_register(p) && !own.name.contains(&p.name))
        .expect("another partner that may register deals")
        .clone();

    // Another partner holds Held Holdings (held.example), approved: held until a date.
    let held = app
        .store
        .submit_registration(
            &Actor::system("test"),
            &RegistrationInput {
                partner_id: Some(other.id.to_string()),
                account: Some(AccountRefInput {
                    name: Some("Held Holdings".into()),
                    web_domain: Some("held.example".into()),
                    country: Some("US".into()),
                }),
                title: Some("Held deal".into()),
                estimated_arr_minor: Some(100),
                ..Default::default()
            },
        )
        .await
        .expect("another partner registers held.example");
    let held = app
        .store
        .approve_registration(
            &Actor::system("test"),
            held.id.as_str(),
            &ReasonInput::default(),
        )
        .await
        .expect("approve the other partner's registration");
    let held_until = held
        .expires_at
        .expect("an approved registration expires")
        .format("%Y-%m-%d")
        .to_string();

    // ---------------------------------------------------------------- the partner
    let b = Browser::start(&app).await;
    b.sign_in(&login.email, &login.password).await;
    b.wait_path("/portal").await;
    b.click(".topbar a[href='/portal/registrations']").await;
    b.wait_path("/portal/registrations").await;
    b.wait_css("#registration-form").await;
    assert!(
        b.text("#registration-table")
            .await
            .contains("No registrations yet"),
        "a partner without registrations sees the empty list"
    );
    b.shot("registration-01-form").await;

    // The domain alone is enough for the instant check: held by another partner, until when.
    b.type_into("#registration-form input[name=web_domain]", "held.example")
        .await;
    let message = hold_check(&b, "that another partner holds held.example", |t| {
        t.contains("already registered by another partner")
    })
    .await;
    assert!(
        message.contains(&held_until),
        "the check says until when the account is held ({held_until}): {message:?}"
    );
    assert!(
        b.exists("#hold-check .hold-held").await,
        "a held account is shown as held"
    );
    let source = b.source().await;
    assert!(
        !source.contains(&other.name),
        "the hold check must not name the holding partner {}",
        other.name
    );
    b.shot("registration-02-held").await;

    // Submitting the held account anyway is refused inline, without naming the holder.
    b.type_into("#registration-form input[name=name]", "Held Holdings")
        .await;
    b.type_into("#registration-form input[name=country]", "US")
        .await;
    b.type_into("#registration-form input[name=title]", "Second try")
        .await;
    b.type_into("#registration-form input[name=estimated_arr_minor]", "1000")
        .await;
    b.click("#registration-form button[type=submit]").await;
    b.wait_css("#registration-refused").await;
    let refusal = b.text("#registration-refused").await;
    assert!(
        refusal.contains("already registered by another partner"),
        "the refusal says why: {refusal:?}"
    );
    assert!(
        !b.source().await.contains(&other.name),
        "the refusal must not name the holding partner"
    );
    assert_eq!(
        b.value("#registration-form input[name=title]").await,
        "Second try",
        "the typed values are kept"
    );
    assert!(
        b.exists("#hold-check .hold-held").await,
        "the re-rendered form shows the hold check of the typed company"
    );
    b.shot("registration-03-refused").await;

    // A fresh company: free.
    let company = "Brightwater Analytics";
    b.type_into("#registration-form input[name=name]", company)
        .await;
    b.type_into(
        "#registration-form input[name=web_domain]",
        "brightwater-analytics.example",
    )
    .await;
    b.type_into("#registration-form input[name=country]", "DE")
        .await;
    let message = hold_check(&b, "that the new account is free", |t| {
        t.starts_with("free")
    })
    .await;
    assert!(
        !b.exists("#registration-refused").await,
        "the refusal about the held company goes once another company is typed"
    );
    assert!(
        message.contains("nobody holds this account"),
        "the free message: {message:?}"
    );
    b.type_into(
        "#registration-form input[name=title]",
        "Analytics platform rollout",
    )
    .await;
    b.type_into("#registration-form input[name=product]", "Platform")
        .await;
    b.type_into(
        "#registration-form input[name=estimated_arr_minor]",
        "48,000",
    )
    .await;
    b.shot("registration-04-free").await;
    b.click("#registration-form button[type=submit]").await;

    b.wait_css("#submitted").await;
    b.wait_path("/portal/registrations").await;
    let row = status_of(&b, company)
        .await
        .expect("the new registration is listed under My registrations");
    assert!(
        row.contains("Pending approval"),
        "the new registration is pending: {row:?}"
    );
    assert!(
        row.contains("USD 48,000.00"),
        "the amount in major units: {row:?}"
    );
    let mine = app
        .store
        .registrations(
            &Scope::Partner(own.id.clone()),
            &RegistrationFilter::default(),
            &crate::browser::first_page(50, &partnerops_store::Store::registration_sorts()),
        )
        .await
        .expect("the partner's registrations")
        .items;
    assert_eq!(
        mine.len(),
        1,
        "exactly one registration was stored: {mine:?}"
    );
    let reg = mine[0].clone();
    assert_eq!(reg.status, RegistrationStatus::Pending);
    assert_eq!(reg.estimated_arr.amount_minor, 4_800_000);
    b.shot("registration-05-submitted").await;

    // Sign out; the vendor admin approves.
    b.click("#logout").await;
    b.wait_path("/login").await;

    // ---------------------------------------------------------------- the vendor
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.click(".topbar a[href='/console/registrations']").await;
    b.wait_path("/console/registrations").await;
    b.wait_css("#queue-table").await;
    let queue = b.texts("#queue-table tbody tr td:first-child a").await;
    assert_eq!(
        queue,
        [company],
        "the approval queue holds the new registration"
    );
    let queue_row = b.text("#queue-table tbody tr").await;
    assert!(
        queue_row.contains(&own.name),
        "the queue names the registering partner: {queue_row:?}"
    );
    b.shot("registration-06-queue").await;

    b.client
        .find(Locator::Css("#queue-table tbody tr td:first-child a"))
        .await
        .expect("the queued registration's link")
        .click()
        .await
        .expect("open the registration");
    b.wait_path(&format!("/console/registrations/{}", reg.id))
        .await;
    b.wait_css("#approve-form").await;
    assert_eq!(b.text("#registration-status").await, "Pending approval");
    b.shot("registration-07-pending").await;

    b.type_into(
        "#approve-form input[name=reason]",
        "Known opportunity, partner-sourced",
    )
    .await;
    b.click("#approve").await;
    eventually("the registration page to show Approved", async || {
        let status = b.texts("#registration-status").await.join("");
        if status == "Approved" {
            Ok(())
        } else {
            Err(status)
        }
    })
    .await;
    let rules = b.texts("#decisions code.rule").await;
    assert!(
        rules.iter().any(|r| r == "registration.approved"),
        "the decision registration.approved is shown: {rules:?}"
    );
    assert!(
        b.text("#decisions").await.contains("Known opportunity"),
        "the approval note is part of the decision"
    );
    assert!(
        !b.exists("#approve-form").await,
        "no approve form once approved"
    );
    b.shot("registration-08-approved").await;

    // The account's page lists the registration in its history.
    b.goto(&format!("/console/accounts/{}", reg.account_id))
        .await;
    b.wait_css("#account-registrations").await;
    let history = b.text("#account-registrations tbody").await;
    assert!(
        history.contains(&own.name) && history.contains("Approved"),
        "the account history shows the approved registration: {history:?}"
    );
    b.shot("registration-09-account-history").await;

    // A conflict case about the held account, opened from its registration page.
    b.goto(&format!("/console/registrations/{}", held.id)).await;
    b.wait_css("#conflict-form").await;
    b.click("#conflicts details summary").await;
    b.type_into(
        "#conflict-form textarea[name=reason]",
        "Direct sales has worked Held Holdings since spring",
    )
    .await;
    b.click("#conflict-form button[type=submit]").await;
    b.wait_css("#conflict-countdown").await;
    let countdown = b.text("#conflict-countdown").await;
    assert!(
        countdown.starts_with("due in"),
        "a new case is due in the future: {countdown:?}"
    );
    b.shot("registration-10-conflict").await;
    b.click(".topbar a[href='/console/conflicts']").await;
    b.wait_path("/console/conflicts").await;
    b.wait_css("#open-conflicts").await;
    let open = b.text("#open-conflicts tbody").await;
    assert!(
        open.contains("Held Holdings") && open.contains("Channel manager"),
        "the open case with its escalation level: {open:?}"
    );
    b.shot("registration-11-conflicts").await;

    // The portal does not exist for vendor staff.
    b.goto("/portal/registrations").await;
    b.wait_css("main article header").await;
    assert!(
        b.text("main article header").await.contains("404"),
        "the partner portal's registrations are a 404 for vendor staff"
    );

    b.goto("/").await;
    b.wait_css("#logout").await;
    b.click("#logout").await;
    b.wait_path("/login").await;

    // ---------------------------------------------------------------- the partner again
    b.sign_in(&login.email, &login.password).await;
    b.wait_path("/portal").await;
    b.goto("/portal/registrations").await;
    b.wait_css("#registration-table").await;
    let row = status_of(&b, company)
        .await
        .expect("the registration is listed");
    assert!(
        row.contains("Approved"),
        "the partner sees it approved: {row:?}"
    );
    let days = b.texts("#registration-table tbody tr td.days-left").await;
    assert!(
        days.iter()
            .any(|d| d.ends_with("days") && d.starts_with("8")),
        "about 90 days to expiry: {days:?}"
    );
    b.shot("registration-12-partner-approved").await;

    b.client
        .find(Locator::LinkText(company))
        .await
        .expect("a link to the registration")
        .click()
        .await
        .expect("open the registration");
    b.wait_path(&format!("/portal/registrations/{}", reg.id))
        .await;
    b.wait_css("#activity-form").await;
    assert_eq!(b.text("#registration-status").await, "Approved");
    // Renewing without documented activity is refused inline, naming the reason.
    b.click("#renew-form button[type=submit]").await;
    b.wait_css("#renew-error").await;
    assert!(
        !b.text("#renew-error").await.is_empty(),
        "the renewal refusal says why"
    );
    b.shot("registration-13-partner-detail").await;

    // Vendor pages stay closed to partners.
    for page in [
        "/console/registrations".to_owned(),
        format!("/console/registrations/{}", reg.id),
        "/console/conflicts".to_owned(),
    ] {
        b.goto(&page).await;
        b.wait_css("main article header").await;
        assert!(
            b.text("main article header").await.contains("404"),
            "{page} is a 404 for partner users"
        );
    }

    b.close().await;
}

/// Registers a deal for `partner` through the store (as the system), for the UI to work on.
async fn registered(
    app: &crate::harness::TestApp,
    partner: &Partner,
    name: &str,
    domain: &str,
) -> partnerops_core::registration::record::Registration {
    app.store
        .submit_registration(
            &Actor::system("test"),
            &RegistrationInput {
                partner_id: Some(partner.id.to_string()),
                account: Some(AccountRefInput {
                    name: Some(name.into()),
                    web_domain: Some(domain.into()),
                    country: Some("US".into()),
                }),
                title: Some(format!("{name} expansion")),
                estimated_arr_minor: Some(2_500_000),
                ..Default::default()
            },
        )
        .await
        .expect("submit a registration")
}

/// Waits for `css` to read `text`.
async fn wait_text(b: &Browser, css: &str, text: &str) {
    eventually(&format!("{css} to read {text:?}"), async || {
        let now = b.texts(css).await.join(" ");
        if now == text { Ok(()) } else { Err(now) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_worked_and_conflicts_resolved() {
    let (app, report) = seeded().await;
    let partners = all_partners(&app.store).await;
    let (login, own) = report
        .logins
        .iter()
        .filter(|l| l.role == Role::PartnerAdmin)
        .find_map(|l| {
            let name = l.partner_name.as_deref()?;
            let p = partners.iter().find(|p| p.name == name)?;
            may_register(p).then(|| (l.clone(), p.clone()))
        })
        .expect("a partner admin of a partner that may register deals");
    let worked = registered(&app, &own, "Northwind Traders", "northwind.example").await;
    let worked = app
        .store
        .approve_registration(
            &Actor::system("test"),
            worked.id.as_str(),
            &ReasonInput::default(),
        )
        .await
        .expect("approve");
    let to_reject = registered(&app, &own, "Contoso Pharma", "contoso.example").await;
    let to_withdraw = registered(&app, &own, "Fabrikam Foods", "fabrikam.example").await;

    // ---------------------------------------------------------------- the vendor
    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;

    // Rejecting needs a reason, shown beside the field.
    b.goto(&format!("/console/registrations/{}", to_reject.id))
        .await;
    b.wait_css("#reject-form").await;
    b.click("#reject").await;
    b.wait_css("#reject-form .field-error").await;
    assert!(
        b.text("#reject-form .field-error")
            .await
            .contains("required"),
        "the missing reason is named"
    );
    b.shot("registration-20-reject-needs-reason").await;
    b.type_into(
        "#reject-form input[name=reason]",
        "Not a qualified opportunity",
    )
    .await;
    b.click("#reject").await;
    wait_text(&b, "#registration-status", "Rejected").await;

    // Direct sales asks the partner for consent on the approved registration.
    b.goto(&format!("/console/registrations/{}", worked.id))
        .await;
    b.wait_css("#engagement-form").await;
    b.click("#engagement details summary").await;
    b.type_into(
        "#engagement-form input[name=reason]",
        "The customer asked for a direct contract review",
    )
    .await;
    b.click("#engagement-form button[type=submit]").await;
    b.wait_css(".notice").await;
    assert!(
        b.text("#engagement").await.contains("Awaiting the partner"),
        "the request waits for the partner"
    );

    // A conflict case: comment (a blank one is refused), then resolve.
    b.click("#conflicts details summary").await;
    b.type_into(
        "#conflict-form textarea[name=reason]",
        "Two reps claim Northwind",
    )
    .await;
    b.click("#conflict-form button[type=submit]").await;
    b.wait_css("#comment-form").await;
    b.click("#comment-form button[type=submit]").await;
    b.wait_css("#comment-form .field-error").await;
    b.type_into(
        "#comment-form textarea[name=body]",
        "Partner has worked it since March",
    )
    .await;
    b.click("#comment-form button[type=submit]").await;
    b.wait_css("#comments .comment").await;
    assert!(b.text("#comments").await.contains("since March"));
    b.select("#resolve-form select[name=outcome]", "shared")
        .await;
    b.type_into(
        "#resolve-form textarea[name=reasoning]",
        "Co-sell: the partner implements, direct signs the contract",
    )
    .await;
    b.click("#resolve-form button[type=submit]").await;
    wait_text(&b, "#conflict-status", "Resolved").await;
    let rules = b.texts("#decisions code.rule").await;
    assert_eq!(rules, ["conflict.opened", "conflict.resolved"]);
    b.shot("registration-21-conflict-resolved").await;
    b.goto("/console/conflicts").await;
    b.wait_css("#resolved-conflicts").await;
    assert!(b.text("#resolved-conflicts").await.contains("Northwind"));
    b.shot("registration-22-conflicts-resolved").await;

    b.click("#logout").await;
    b.wait_path("/login").await;

    // ---------------------------------------------------------------- the partner
    b.sign_in(&login.email, &login.password).await;
    b.wait_path("/portal").await;
    b.goto(&format!("/portal/registrations/{}", worked.id))
        .await;
    b.wait_css("#engagement .answer-form").await;
    b.shot("registration-23-engagement-asked").await;
    // Denying needs a reason.
    b.click("#engagement .answer-form button.deny").await;
    b.wait_css("#engagement .answer-form .field-error").await;
    b.shot("registration-24-deny-needs-reason").await;
    b.click("#engagement .answer-form button.grant").await;
    b.wait_css(".notice").await;
    assert!(
        b.text("#engagement")
            .await
            .contains("Granted by the partner"),
        "the request is granted"
    );

    // A demo documents activity; then renewal works once.
    b.select("#activity-form select[name=kind]", "demo").await;
    b.type_into("#activity-form input[name=notes]", "Demo for the CFO")
        .await;
    b.click("#activity-form button[type=submit]").await;
    // The grant's notice is still on screen until the post's page arrives: wait for this one.
    wait_text(
        &b,
        ".notice",
        "Activity logged: the follow-up clock restarts.",
    )
    .await;
    assert!(b.text("#activity-table").await.contains("Demo for the CFO"));
    b.click("#renew-form button[type=submit]").await;
    wait_text(&b, ".notice", "Renewed.").await;
    b.click("#renew-form button[type=submit]").await;
    b.wait_css("#renew-error").await;
    assert!(
        b.text("#renew-error").await.contains("renewed"),
        "the second renewal is refused by the limit"
    );
    b.shot("registration-25-renewal-limit").await;

    // Closed won.
    b.type_into("#close-form input[name=reason]", "Signed a 3-year deal")
        .await;
    b.click("#close-form button[value=won]").await;
    wait_text(&b, "#registration-status", "Closed won").await;
    assert!(
        !b.exists("#actions").await,
        "a closed registration has nothing left to do"
    );
    b.shot("registration-26-closed-won").await;

    // Withdraw (confirmed).
    b.goto(&format!("/portal/registrations/{}", to_withdraw.id))
        .await;
    b.wait_css("#withdraw-form").await;
    b.click("#withdraw-form button[type=submit]").await;
    b.client
        .accept_alert()
        .await
        .expect("confirm the withdrawal");
    wait_text(&b, "#registration-status", "Withdrawn").await;

    b.goto("/portal/registrations").await;
    b.wait_css("#registration-table").await;
    let rows = b.texts("#registration-table tbody tr").await;
    for (account, status) in [
        ("Northwind Traders", "Closed won"),
        ("Contoso Pharma", "Rejected"),
        ("Fabrikam Foods", "Withdrawn"),
    ] {
        assert!(
            rows.iter()
                .any(|r| r.contains(account) && r.contains(status)),
            "{account} is {status}: {rows:?}"
        );
    }
    b.shot("registration-27-partner-list").await;
    b.close().await;
}

/// Registers `name` (US, no web domain) for `partner` through the store, as the system.
async fn registered_by_name(
    app: &crate::harness::TestApp,
    partner: &Partner,
    name: &str,
) -> partnerops_core::registration::record::Registration {
    app.store
        .submit_registration(
            &Actor::system("test"),
            &RegistrationInput {
                partner_id: Some(partner.id.to_string()),
                account: Some(AccountRefInput {
                    name: Some(name.into()),
                    web_domain: None,
                    country: Some("US".into()),
                }),
                title: Some(format!("{name} rollout")),
                estimated_arr_minor: Some(1_200_000),
                ..Default::default()
            },
        )
        .await
        .expect("submit a registration")
}

/// The duplicate review on the console registration page: the warning shows both answers
/// to vendor staff who decide registrations, and "different companies" clears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_possible_duplicate_is_answered_on_the_registration_page() {
    let (app, _report) = seeded().await;
    let partners = all_partners(&app.store).await;
    let mut eligible = partners.iter().filter(|p| may_register(p));
    let holder = eligible
        .next()
        .expect("a partner that may register")
        .clone();
    let other = eligible
        .find(|p| !holder.name.contains(&p.name) && !p.name.contains(&holder.name))
        .expect("another partner that may register")
        .clone();
    let held = registered_by_name(&app, &holder, "Quillfeather Logistics").await;
    let dup = registered_by_name(&app, &other, "Quilfeather Logistics Inc.").await;
    assert_eq!(
        dup.possible_duplicate_of.as_ref(),
        Some(&held.account_id),
        "the near name is flagged"
    );

    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console").await;
    b.goto(&format!("/console/registrations/{}", dup.id)).await;
    b.wait_css("#merge-form").await;
    let warning = b.text("#duplicate-warning").await;
    assert!(
        warning.contains("Quillfeather Logistics"),
        "the warning names the other account: {warning:?}"
    );
    assert_eq!(
        b.text("#merge").await,
        "Same company: merge Quilfeather Logistics Inc. into Quillfeather Logistics"
    );
    assert_eq!(b.text("#distinct").await, "Different companies");
    b.shot("registration-review-01-duplicate").await;

    // Both accounts are held: after the confirmation, the refusal reads on the page.
    b.click("#merge").await;
    eventually("the merge confirmation", async || {
        b.client.accept_alert().await.map_err(|e| e.to_string())
    })
    .await;
    b.wait_css("#merge-error").await;
    let refusal = b.text("#merge-error").await;
    assert!(
        refusal.starts_with("Both accounts hold an active registration"),
        "the refusal says why: {refusal:?}"
    );
    assert!(b.exists("#duplicate-warning").await, "still flagged");
    b.shot("registration-review-02-refused").await;

    b.type_into(
        "#distinct-form input[name=reason]",
        "Different register numbers",
    )
    .await;
    b.click("#distinct").await;
    b.wait_css("p.notice").await;
    assert!(
        b.text("p.notice").await.contains("different companies"),
        "the notice says what happened"
    );
    assert!(!b.exists("#duplicate-warning").await, "the flag is cleared");
    b.shot("registration-review-03-distinct").await;
    b.close().await;
}
