//! Demo launch checklists: the first program's copy of the seed checklist, a partnership
//! charter of one of its partners launched two weeks ago (pre-launch done, one task skipped,
//! launch-week and early post-launch work open, some of it overdue), and one of the demo
//! campaigns launching in three weeks, started by its partner (the first pre-launch tasks
//! done, one overdue, one in progress), with named owners on both sides.

use std::collections::HashMap;

use chrono::Duration;
use partnerops_core::ids::EntityId;
use partnerops_core::launch::OwnerSide;
use partnerops_core::launch::record::{Launch, StartLaunchInput, TaskUpdateInput};
use partnerops_core::partnership::record::CharterInput;
use partnerops_core::scope::Scope;
use partnerops_core::user::Role;
use partnerops_store::{Store, StoreError};

use crate::room::Writer;

/// What the launch demo wrote.
#[derive(Debug, Default)]
pub(crate) struct LaunchesWritten {
    pub templates: usize,
    pub launches: usize,
}

/// Sets a task's status as `who` (a skip with its reason), and optionally its owner.
async fn work(
    store: &Store,
    who: &Writer,
    task: &str,
    status: &str,
    owner: Option<&str>,
) -> Result<(), StoreError> {
    store
        .update_launch_task(
            &who.actor(),
            task,
            &TaskUpdateInput {
                status: Some(status.to_owned()),
                skip_reason: (status == "skipped")
                    .then(|| "Covered by the partner's own launch event this quarter".to_owned()),
                owner_id: owner.map(str::to_owned),
            },
            &partnerops_store::etag::Precondition::None,
        )
        .await?;
    Ok(())
}

/// Works through a launch's tasks in order: the first `done` are done (each by its own
/// side), then one is skipped (if `skip`), one is in progress; the rest stay open. Each
/// side's tasks get that side's named owner.
async fn progress(
    store: &Store,
    launch: &Launch,
    vendor: &Writer,
    partner: &Writer,
    done: usize,
    skip: bool,
) -> Result<(), StoreError> {
    for (i, t) in launch.tasks.iter().enumerate() {
        let who = match t.owner_side {
            OwnerSide::Vendor => vendor,
            OwnerSide::Partner => partner,
        };
        let status = match i {
            i if i < done => "done",
            i if i == done && skip => "skipped",
            i if i == done + usize::from(skip) => "in_progress",
            _ => {
                // Open tasks still get a named owner on their side.
                store
                    .update_launch_task(
                        &who.actor(),
                        t.id.as_str(),
                        &TaskUpdateInput {
                            owner_id: Some(who.id.clone()),
                            ..Default::default()
                        },
                        &partnerops_store::etag::Precondition::None,
                    )
                    .await?;
                continue;
            }
        };
        work(store, who, t.id.as_str(), status, Some(&who.id)).await?;
    }
    Ok(())
}

/// Writes the launch demo on `program`: its seed template, a charter launch and a campaign
/// launch. `channel` opens the charter and works the vendor's side.
pub(crate) async fn create_launches(
    store: &Store,
    program: &str,
    writers: &HashMap<String, Writer>,
    channel: &Writer,
    marketing: &Writer,
) -> Result<LaunchesWritten, StoreError> {
    let mut written = LaunchesWritten::default();
    let template = store
        .seed_launch_template(&marketing.actor(), program)
        .await?;
    written.templates += 1;
    let today = store.now().date_naive();

    // A campaign of the program launching in three weeks, started by its partner's admin.
    let campaigns = store.campaigns(&Scope::Vendor, None).await?;
    let admin_of = |partner: &str| {
        let mut admins: Vec<&Writer> = writers
            .values()
            .filter(|w| w.role == Role::PartnerAdmin && w.partner_id.as_deref() == Some(partner))
            .collect();
        admins.sort_by(|a, b| a.id.cmp(&b.id));
        admins.first().copied()
    };
    let with_admin: Vec<(&partnerops_core::campaign::record::Campaign, &Writer)> = campaigns
        .iter()
        .filter_map(|c| admin_of(c.partner_id.as_str()).map(|a| (c, a)))
        .collect();
    let Some((first, first_admin)) = with_admin.first().copied() else {
        return Ok(written);
    };
    let launch = store
        .start_launch(
            &first_admin.actor(),
            &StartLaunchInput {
                campaign_id: Some(first.id.to_string()),
                template_id: Some(template.id.to_string()),
                name: Some(format!("{}: co-marketing launch", first.name)),
                launch_on: Some((today + Duration::days(21)).to_string()),
                ..Default::default()
            },
        )
        .await?;
    written.launches += 1;
    progress(store, &launch, marketing, first_admin, 2, false).await?;

    // A charter of another partner with a campaign (or the same one) launched two weeks ago.
    let (partner, admin) = with_admin
        .iter()
        .find(|(c, _)| c.partner_id != first.partner_id)
        .map_or((first.partner_id.clone(), first_admin), |(c, a)| {
            (c.partner_id.clone(), *a)
        });
    let charter = store
        .create_charter(
            &channel.actor(),
            &CharterInput {
                partner_id: Some(partner.to_string()),
                title: Some("Joint cloud security offer".into()),
                content: None,
            },
        )
        .await?;
    let launch = store
        .start_launch(
            &channel.actor(),
            &StartLaunchInput {
                charter_id: Some(charter.id.to_string()),
                name: Some("Joint cloud security offer: market launch".into()),
                launch_on: Some((today - Duration::days(14)).to_string()),
                ..Default::default()
            },
        )
        .await?;
    written.launches += 1;
    progress(store, &launch, channel, admin, 7, true).await?;
    Ok(written)
}
