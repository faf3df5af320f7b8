//! Demo events on the first program: a past vendor webinar with replies, check-ins and a
//! show rate; an upcoming webinar taking replies from partners' people and customers; a full
//! workshop with a waitlist; a partner-hosted workshop for its customers (belonging to its
//! campaign when it launched one); and a draft. Past steps run with the store's clock set to
//! when they happened.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use partnerops_core::event::record::{EventInput, EventStatus, PublicRsvpInput, RsvpInput};
use partnerops_core::ids::EntityId;
use partnerops_core::scope::Scope;
use partnerops_core::user::Role;
use partnerops_store::event::PublicRsvpOutcome;
use partnerops_store::{Actor, Store, StoreError};

use crate::room::Writer;
use crate::store_at;

/// What the event demo wrote.
#[derive(Debug, Default)]
pub(crate) struct EventsWritten {
    pub events: usize,
    pub rsvps: usize,
    pub check_ins: usize,
}

const CUSTOMERS: [(&str, &str, &str); 10] = [
    (
        "Ingrid Halvorsen",
        "Fjord Analytics",
        "fjord-analytics.example",
    ),
    (
        "Mateo Rossi",
        "Trattoria Systems",
        "trattoria-systems.example",
    ),
    ("Aisha Bello", "Sahel Energy", "sahel-energy.example"),
    ("Lucas Dubois", "Lumière Media", "lumiere-media.example"),
    (
        "Hana Kobayashi",
        "Kitsune Robotics",
        "kitsune-robotics.example",
    ),
    (
        "Oliver Grant",
        "Thames Insurance",
        "thames-insurance.example",
    ),
    (
        "Sofia Novak",
        "Vltava Logistics",
        "vltava-logistics.example",
    ),
    ("Rahul Mehta", "Ganges Pharma", "ganges-pharma.example"),
    ("Eva Lindgren", "Polar Retail", "polar-retail.example"),
    ("Diego Alvarez", "Pampas Foods", "pampas-foods.example"),
];

// One argument per column of the demo's table of events: a struct would only rename them.
#[allow(clippy::too_many_arguments)]
fn input(
    program: Option<&str>,
    kind: &str,
    title: &str,
    description: &str,
    starts_at: DateTime<Utc>,
    minutes: i64,
    place: &str,
    capacity: Option<i64>,
    audience: &str,
) -> EventInput {
    let webinar = kind == "webinar";
    EventInput {
        program_id: program.map(str::to_owned),
        kind: Some(kind.into()),
        title: Some(title.into()),
        description: Some(description.into()),
        starts_at: Some(starts_at.to_rfc3339()),
        ends_at: Some((starts_at + Duration::minutes(minutes)).to_rfc3339()),
        utc_offset: Some("+01:00".into()),
        location: (!webinar).then(|| place.to_owned()),
        join_url: webinar.then(|| place.to_owned()),
        capacity,
        audience: Some(audience.into()),
        ..Default::default()
    }
}

/// Customers `range` of the list reply on the event's public page.
async fn customers_reply(
    store: &Store,
    slug: &str,
    range: std::ops::Range<usize>,
    written: &mut EventsWritten,
) -> Result<Vec<String>, StoreError> {
    let mut codes = Vec::new();
    for i in range {
        let Some((name, company, domain)) = CUSTOMERS.get(i % CUSTOMERS.len()) else {
            continue;
        };
        let first = name.split(' ').next().unwrap_or(name).to_lowercase();
        let taken = store
            .public_rsvp(
                slug,
                &format!("seed-attendee-{i}"),
                &PublicRsvpInput {
                    name: Some((*name).into()),
                    email: Some(format!("{first}@{domain}")),
                    company: Some((*company).into()),
                },
                None,
            )
            .await?;
        if let PublicRsvpOutcome::Taken { code, .. } = taken {
            written.rsvps += 1;
            codes.push(code);
        }
    }
    Ok(codes)
}

/// Partner users `people` reply `response` to `event`; those who cannot see it (another
/// program's) are skipped. Returns the ids of the replies taken.
async fn people_reply(
    store: &Store,
    event: &str,
    people: &[&Writer],
    response: &str,
    written: &mut EventsWritten,
) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::new();
    for w in people {
        match store
            .rsvp(
                &w.actor(),
                event,
                &RsvpInput {
                    response: Some(response.into()),
                },
            )
            .await
        {
            Ok(r) => {
                written.rsvps += 1;
                ids.push(r.id.to_string());
            }
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(ids)
}

/// Writes the event demo on `program`.
pub(crate) async fn create_events(
    store: &Store,
    program: &str,
    writers: &HashMap<String, Writer>,
    marketing: &Writer,
) -> Result<EventsWritten, StoreError> {
    let mut written = EventsWritten::default();
    let now = store.now();
    // A day `days` from today at `hour`:00 in UTC+01:00 (the events' zone).
    let at = |days: i64, hour: u32| -> DateTime<Utc> {
        let day = (now + Duration::days(days)).date_naive();
        day.and_hms_opt(hour, 0, 0)
            .map(|t| t.and_utc() - Duration::hours(1))
            .unwrap_or(now)
    };
    let host = marketing.actor();
    // The partner users of the program, in a stable order (those of other programs are
    // found out when they cannot see the program's events).
    let mut people: Vec<&Writer> = writers
        .values()
        .filter(|w| w.partner_id.is_some())
        .collect();
    people.sort_by(|a, b| a.id.cmp(&b.id));
    let mut visible: Vec<&Writer> = Vec::new();

    // 1. A past webinar: replies a month ago, check-ins on the day, completed.
    let start = at(-21, 16);
    let then = store_at(store, start - Duration::days(10));
    let past = then
        .create_event(
            &host,
            &input(
                Some(program),
                "webinar",
                "Q4 product update for partners",
                "What shipped this quarter and what it means for your customers.\n\n## Agenda\n\n1. Release highlights\n2. Pricing and packaging changes\n3. **Live Q&A** with product management",
                start,
                60,
                "https://meet.example/q4-update",
                None,
                "both",
            ),
        )
        .await?;
    then.set_event_status(&host, past.id.as_str(), EventStatus::Published)
        .await?;
    written.events += 1;
    for w in &people {
        if visible.len() == 12 {
            break;
        }
        if then
            .event(&w.actor().scope(), past.id.as_str())
            .await
            .is_ok()
        {
            visible.push(w);
        }
    }
    let going = people_reply(
        &then,
        past.id.as_str(),
        &visible[..visible.len().min(9)],
        "going",
        &mut written,
    )
    .await?;
    if visible.len() > 9 {
        people_reply(
            &then,
            past.id.as_str(),
            &visible[9..],
            "not_going",
            &mut written,
        )
        .await?;
    }
    customers_reply(&then, &past.slug, 0..4, &mut written).await?;
    let on_the_day = store_at(store, start + Duration::minutes(5));
    let all = on_the_day
        .event_rsvps(&Scope::Vendor, past.id.as_str())
        .await?;
    // Two in three of the partner users came, and half of the customers.
    let mut customer_no = 0;
    for r in &all {
        let came = match &r.user_id {
            Some(_) => going
                .iter()
                .position(|g| g == r.id.as_str())
                .is_some_and(|i| i % 3 != 2),
            None => {
                customer_no += 1;
                customer_no % 2 == 1
            }
        };
        if came && r.status == partnerops_core::event::record::RsvpStatus::Going {
            on_the_day.check_in(&host, r.id.as_str()).await?;
            written.check_ins += 1;
        }
    }
    store_at(store, start + Duration::minutes(90))
        .set_event_status(&host, past.id.as_str(), EventStatus::Completed)
        .await?;

    // 2. An upcoming webinar taking replies.
    let soon = at(10, 17);
    let upcoming = store
        .create_event(
            &host,
            &input(
                Some(program),
                "webinar",
                "Zero-trust roadmap: what's next",
                "Our security roadmap for the next two quarters, and how partners can package it.\n\n- Device posture checks\n- Passwordless sign-in\n- Partner-managed policies",
                soon,
                75,
                "https://meet.example/zt-roadmap",
                Some(250),
                "both",
            ),
        )
        .await?;
    store
        .set_event_status(&host, upcoming.id.as_str(), EventStatus::Published)
        .await?;
    written.events += 1;
    people_reply(
        store,
        upcoming.id.as_str(),
        &visible[..visible.len().min(6)],
        "going",
        &mut written,
    )
    .await?;
    customers_reply(store, &upcoming.slug, 4..8, &mut written).await?;

    // 3. A full workshop: five seats, eight replies, three on the waitlist.
    let workshop_at = at(24, 9);
    let full = store
        .create_event(
            &host,
            &input(
                Some(program),
                "workshop",
                "Hands-on: deploying the platform for a first customer",
                "A full day with our solution engineers: bring a laptop. Seats are few, so reply early; the waitlist moves up when someone cancels.",
                workshop_at,
                8 * 60,
                "Vendor office, Friedrichstraße 68, Berlin",
                Some(5),
                "partners",
            ),
        )
        .await?;
    store
        .set_event_status(&host, full.id.as_str(), EventStatus::Published)
        .await?;
    written.events += 1;
    people_reply(
        store,
        full.id.as_str(),
        &visible[..visible.len().min(8)],
        "going",
        &mut written,
    )
    .await?;

    // 4. A partner hosts a workshop for its customers (tied to its campaign, if any).
    let admins: Vec<&Writer> = visible
        .iter()
        .copied()
        .filter(|w| w.role == Role::PartnerAdmin)
        .collect();
    if let Some(admin) = admins.first() {
        let actor: Actor = admin.actor();
        let campaign = store
            .campaigns(&actor.scope(), None)
            .await?
            .into_iter()
            .next()
            .map(|c| c.id.to_string());
        let mut i = input(
            None,
            "workshop",
            "Cloud cost workshop for our customers",
            "Two hours with our architects: we read your cloud bill with you and leave you with a ranked list of savings.\n\nCoffee and pastries included.",
            at(14, 10),
            120,
            "Our offices, meeting room \"Atlas\"",
            Some(20),
            "customers",
        );
        i.campaign_id = campaign;
        let hosted = store.create_event(&actor, &i).await?;
        store
            .set_event_status(&actor, hosted.id.as_str(), EventStatus::Published)
            .await?;
        written.events += 1;
        customers_reply(store, &hosted.slug, 2..7, &mut written).await?;
    }

    // 5. A draft, not yet published.
    store
        .create_event(
            &host,
            &input(
                Some(program),
                "conference",
                "Partner summit 2027",
                "Two days of keynotes, breakouts and the partner awards. Agenda to follow.",
                at(90, 9),
                24 * 60 + 8 * 60,
                "Congress Center, Amsterdam",
                Some(400),
                "both",
            ),
        )
        .await?;
    written.events += 1;
    Ok(written)
}
