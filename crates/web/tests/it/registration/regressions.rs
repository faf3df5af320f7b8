//! Regressions for the findings of the registration review: each test failed before its fix.

use chrono::Duration;
use partnerops_core::account::AccountInput;
use partnerops_core::registration::record::{
    AccountRefInput, CloseInput, ConflictInput, ReasonInput, Registration, RegistrationInput,
};
use partnerops_core::scope::{Principal, Scope};
use partnerops_core::user::Role;
use partnerops_store::{Actor, StoreError};

use crate::harness::{TestApp, World};
use crate::on_both;

on_both!(
    an_expired_registration_cannot_be_closed_or_withdrawn,
    a_missed_sla_grants_pending_requests_and_blocks_renewal,
    cases_of_ended_registrations_do_not_escalate,
    a_held_domain_is_found_among_many_similar_names
);

fn system() -> Actor {
    Actor::system("test")
}

async fn approved(
    app: &TestApp,
    w: &World,
    partner: &str,
    name: &str,
    domain: &str,
) -> Registration {
    let input = RegistrationInput {
        partner_id: Some(partner.to_owned()),
        account: Some(AccountRefInput {
            name: Some(name.into()),
            web_domain: Some(domain.into()),
            country: Some("US".into()),
        }),
        title: Some("Deal".into()),
        estimated_arr_minor: Some(100_000),
        ..Default::default()
    };
    let r = app
        .store
        .submit_registration(&system(), &input)
        .await
        .unwrap();
    let _ = w;
    app.store
        .approve_registration(
            &system(),
            r.id.to_string().as_str(),
            &ReasonInput::default(),
        )
        .await
        .unwrap()
}

async fn an_expired_registration_cannot_be_closed_or_withdrawn(app: TestApp) {
    let w = app.world().await;
    let reg = approved(
        &app,
        &w,
        &w.a.partner.id.to_string(),
        "Vandelay Industries",
        "vandelay.example",
    )
    .await;
    let id = reg.id.to_string();
    let later = app.store_as_of(reg.expires_at.unwrap() + Duration::days(1));
    let won = CloseInput {
        outcome: Some("won".into()),
        reason: None,
    };
    match later.close_registration(&system(), &id, &won).await {
        Err(StoreError::Conflict { rule, .. }) => assert_eq!(rule, "registration.expired"),
        other => panic!("closing after expiry: {other:?}"),
    }
    assert!(matches!(
        later.withdraw_registration(&system(), &id).await,
        Err(StoreError::Conflict { .. })
    ));
    // Before expiry both still work.
    assert!(
        app.store
            .close_registration(&system(), &id, &won)
            .await
            .is_ok()
    );
}

async fn a_missed_sla_grants_pending_requests_and_blocks_renewal(app: TestApp) {
    let w = app.world().await;
    let reg = approved(
        &app,
        &w,
        &w.a.partner.id.to_string(),
        "Kramerica",
        "kramerica.example",
    )
    .await;
    let id = reg.id.to_string();
    let rep = Principal::new(
        w.sales_user.id.clone(),
        "Sam".into(),
        Role::DirectSales,
        None,
    )
    .unwrap();
    let ask = ReasonInput {
        reason: Some("customer asked".into()),
    };
    let request = app
        .store
        .request_engagement(&Actor::User(rep), &id, &ask)
        .await
        .unwrap();
    assert_eq!(request.status.as_str(), "pending");
    let day_15 = reg.approved_at.unwrap() + Duration::days(15);
    let report = app.run_due_as_of(day_15).await;
    assert_eq!(report.count("registrations.sweep", "SLA missed"), 1);
    let after = app
        .store
        .engagement_request(&Scope::Vendor, request.id.to_string().as_str())
        .await
        .unwrap();
    assert_eq!(
        after.status.as_str(),
        "auto_granted",
        "marking the SLA missed grants what was pending"
    );
    // And a registration whose SLA is missed is not renewed.
    match app
        .store_as_of(day_15)
        .renew_registration(&system(), &id)
        .await
    {
        Err(StoreError::Refused { decision, .. }) => {
            assert_eq!(decision.rule, "registration.renew_sla_missed")
        }
        other => panic!("renewal after a missed SLA: {other:?}"),
    }
}

async fn cases_of_ended_registrations_do_not_escalate(app: TestApp) {
    let w = app.world().await;
    let reg = approved(
        &app,
        &w,
        &w.a.partner.id.to_string(),
        "Pendant Publishing",
        "pendant.example",
    )
    .await;
    let id = reg.id.to_string();
    let case = app
        .store
        .open_conflict(
            &system(),
            &ConflictInput {
                registration_id: Some(id.clone()),
                account_id: None,
                reason: Some("direct rep called".into()),
            },
        )
        .await
        .unwrap();
    app.store
        .withdraw_registration(&system(), &id)
        .await
        .unwrap();
    let report = app.run_due_as_of(case.due_at + Duration::days(3)).await;
    assert_eq!(
        report.count("registrations.sweep", "escalated"),
        0,
        "a moot case stays where it is"
    );
    let after = app
        .store
        .conflict(&Scope::Vendor, case.id.to_string().as_str())
        .await
        .unwrap();
    assert_eq!(after.level, 0);
}

async fn a_held_domain_is_found_among_many_similar_names(app: TestApp) {
    let w = app.world().await;
    // Many accounts share the name block of the company asked about.
    for i in 0..520 {
        let input = AccountInput {
            name: Some(format!("Globa Trading {i}")),
            country: Some("US".into()),
            ..Default::default()
        };
        app.store.create_account(&system(), &input).await.unwrap();
    }
    approved(
        &app,
        &w,
        &w.a.partner.id.to_string(),
        "Zenith Globex",
        "zenith-globex.example",
    )
    .await;
    let ask = AccountRefInput {
        name: Some("Globex".into()),
        web_domain: Some("zenith-globex.example".into()),
        country: Some("US".into()),
    };
    let b_admin = Principal::new(
        w.b.admin.id.clone(),
        "B".into(),
        Role::PartnerAdmin,
        Some(w.b.partner.id.clone()),
    )
    .unwrap();
    let check = app
        .store
        .check_hold(&Actor::User(b_admin.clone()), &ask)
        .await
        .unwrap();
    assert!(
        check.held,
        "the held domain is found whatever the name block holds: {check:?}"
    );
    let input = RegistrationInput {
        account: Some(ask),
        title: Some("Mine".into()),
        estimated_arr_minor: Some(100),
        ..Default::default()
    };
    match app
        .store
        .submit_registration(&Actor::User(b_admin), &input)
        .await
    {
        Err(StoreError::Refused { decision, .. }) => {
            assert_eq!(decision.rule, "registration.account_held")
        }
        other => panic!("a held domain must be refused, not {other:?}"),
    }
}
