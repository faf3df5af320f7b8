//! Demo webhook subscriptions: the vendor's CRM connector (registrations, opportunities
//! and payouts) and the first partner's own PSA connector, both paused. Their targets are
//! local connectors that do not exist in the demo, and a live subscription to them would
//! only pile up failures; paused, they show the pages and are one click from sending. The
//! seed writes them with private targets allowed, as an administrator who enables
//! `[webhooks] allow_private_targets` would; the served demo keeps the default.

use partnerops_core::ids::EntityId;
use partnerops_core::webhook::record::WebhookSubscriptionInput;
use partnerops_store::webhook::WebhookSettings;
use partnerops_store::{Store, StoreError};

use crate::room::Writer;

/// Writes the demo subscriptions; how many.
pub(crate) async fn create_subscriptions(
    store: &Store,
    admin: &Writer,
    partner_admin: Option<&Writer>,
) -> Result<usize, StoreError> {
    let store = store.clone().with_webhooks(WebhookSettings {
        allow_private_targets: true,
    });
    let mut made = Vec::new();
    let vendor = WebhookSubscriptionInput {
        url: Some("http://localhost:8081/partnerops/events".into()),
        description: Some("CRM connector: deals, pipeline and payouts into the CRM".into()),
        event_kinds: Some(vec![
            "registration.*".into(),
            "opportunity.*".into(),
            "payout.*".into(),
        ]),
        ..Default::default()
    };
    made.push((
        admin,
        store
            .create_webhook_subscription(&admin.actor(), &vendor)
            .await?,
    ));
    if let Some(partner) = partner_admin {
        let own = WebhookSubscriptionInput {
            url: Some("http://localhost:8082/psa/partnerops".into()),
            description: Some("Our PSA: approved registrations become projects".into()),
            event_kinds: Some(vec!["registration.approved".into(), "mdf.*".into()]),
            ..Default::default()
        };
        made.push((
            partner,
            store
                .create_webhook_subscription(&partner.actor(), &own)
                .await?,
        ));
    }
    let paused = WebhookSubscriptionInput {
        status: Some("disabled".into()),
        ..Default::default()
    };
    for (who, m) in &made {
        store
            .update_webhook_subscription(
                &who.actor(),
                m.subscription.id.as_str(),
                &paused,
                &partnerops_store::etag::Precondition::None,
            )
            .await?;
    }
    Ok(made.len())
}
