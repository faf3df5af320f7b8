//! The demo's deal rooms: about twenty open partner opportunities (the demo partner's first)
//! and a few closed ones get members from both sides, Markdown notes (shared ones, private
//! ones of each side, one mentioning a member), tasks with owners on both sides and due
//! dates around today, and shared fields. On the demo partner's first room a second partner
//! of the program sits in as influencer with its own user.
//!
//! What goes where is drawn with the plan (pure, from its own RNG stream); times are fixed
//! when writing, relative to the store's clock (open rooms: the last three weeks, tasks due
//! from two weeks ago to four weeks ahead) or to the close (closed rooms). Everything is
//! written through the store's room functions as the member who would have written it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Timelike, Utc};
use partnerops_core::ids::{EntityId, PartnerId, UserId};
use partnerops_core::partner::PartnerStatus;
use partnerops_core::pipeline::room::{FieldInput, MemberInput, NoteInput, TaskInput, TaskPatch};
use partnerops_core::pipeline::touchpoint::TouchpointInput;
use partnerops_core::scope::Principal;
use partnerops_core::user::Role;
use rand::RngExt;
use rand::rngs::StdRng;

use crate::pipeline::OpportunityPlan;
use crate::plan::{AccountPlan, PartnerPlan, UserPlan, pick};
use crate::store_at;
use crate::words::{FIRST_NAMES, LAST_NAMES};
use partnerops_store::{Actor, Store, StoreError};

/// Open opportunities that get a room, and closed ones.
const OPEN_ROOMS: usize = 20;
const CLOSED_ROOMS: usize = 3;

/// A member who writes in a room: vendor staff or a partner user, by e-mail.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NotePlan {
    pub author: String,
    pub our_side: bool,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TaskPlan {
    pub title: &'static str,
    pub owner: String,
    /// Who created it.
    pub by: String,
    /// Due this many days after today (open rooms) or after the close (closed rooms).
    pub due_in_days: i64,
    pub done: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FieldPlan {
    pub key: &'static str,
    pub value: String,
    pub by: String,
}

/// A second partner of the program in the room, with its own user.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct InfluencerPlan {
    /// Index into the plan's partners.
    pub partner: usize,
    pub email: String,
    /// Whether it has no touchpoint on the deal yet (one is logged so it is on the deal).
    pub needs_touch: bool,
}

/// One opportunity's room.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RoomPlan {
    /// Index into the plan's pipeline.
    pub opportunity: usize,
    /// Members to add, by e-mail (the owners are in already; adding again changes nothing).
    pub members: Vec<String>,
    pub influencer: Option<InfluencerPlan>,
    pub notes: Vec<NotePlan>,
    pub tasks: Vec<TaskPlan>,
    pub fields: Vec<FieldPlan>,
}

const TASKS: [&str; 10] = [
    "Send the security questionnaire back",
    "Book the technical deep-dive with IT",
    "Prepare the pricing proposal",
    "Confirm the budget owner",
    "Share the reference customer contact",
    "Draft the mutual action plan",
    "Run the pilot kick-off",
    "Review the order form with procurement",
    "Set up the sandbox for the customer",
    "Schedule the executive sponsor call",
];

/// Draws the rooms: every open partner opportunity of the demo partner first, then other
/// partners' open ones in plan order, up to [`OPEN_ROOMS`]; and [`CLOSED_ROOMS`] closed ones.
pub(crate) fn plan_rooms(
    rng: &mut StdRng,
    partners: &[PartnerPlan],
    accounts: &[AccountPlan],
    pipeline: &[OpportunityPlan],
    channel: &str,
) -> Vec<RoomPlan> {
    if channel.is_empty() {
        return Vec::new();
    }
    let with_partner = |i: &usize| {
        pipeline[*i]
            .partner
            .is_some_and(|p| !partners[p].users.is_empty())
    };
    let mut open: Vec<usize> = (0..pipeline.len())
        .filter(|i| with_partner(i) && pipeline[*i].close.is_none())
        .collect();
    open.sort_by_key(|&i| (pipeline[i].partner != Some(0), i));
    open.truncate(OPEN_ROOMS);
    let mut closed: Vec<usize> = (0..pipeline.len())
        .filter(|i| with_partner(i) && pipeline[*i].close.is_some())
        .collect();
    closed.sort_by_key(|&i| (pipeline[i].partner != Some(0), i));
    closed.truncate(CLOSED_ROOMS);

    let mut out = Vec::new();
    for (k, &i) in open.iter().chain(&closed).enumerate() {
        let o = &pipeline[i];
        let Some(p) = o.partner else { continue };
        let partner = &partners[p];
        let account = &accounts[o.account].name;
        let mut vendor: Vec<String> = vec![channel.to_owned()];
        if let Some(owner) = &o.vendor_owner
            && owner != channel
        {
            vendor.push(owner.clone());
        }
        let ours: Vec<String> = partner.users.iter().map(|u| u.email.clone()).collect();
        let mut members = vendor.clone();
        members.extend(ours.iter().cloned());
        // The first room gets an influencer: a partner of the program that touched the
        // deal, else any active one.
        let influencer = (k == 0)
            .then(|| {
                let touched = o
                    .touchpoints
                    .iter()
                    .map(|t| t.partner)
                    .find(|&t| t != p && !partners[t].users.is_empty());
                let other = touched.or_else(|| {
                    (0..partners.len()).find(|&x| {
                        x != p
                            && partners[x].program == partner.program
                            && partners[x].status == PartnerStatus::Active
                            && !partners[x].users.is_empty()
                    })
                })?;
                Some(InfluencerPlan {
                    partner: other,
                    email: partners[other].users[0].email.clone(),
                    needs_touch: touched.is_none(),
                })
            })
            .flatten();
        let notes = plan_notes(
            rng,
            k,
            account,
            &partner.name,
            &vendor,
            &partner.users,
            influencer
                .as_ref()
                .map(|x| (x.email.as_str(), partners[x.partner].name.as_str())),
        );
        let closed_room = o.close.is_some();
        let tasks = plan_tasks(rng, &vendor, &ours, closed_room);
        let fields = plan_fields(rng, &vendor, &ours, closed_room);
        out.push(RoomPlan {
            opportunity: i,
            members,
            influencer,
            notes,
            tasks,
            fields,
        });
    }
    out
}

/// 2 to 6 notes: the partner's first shared note, the vendor's reply mentioning a partner
/// user, then private notes of each side (alternating which comes first) and more shared
/// ones. An influencer adds a shared note of its own.
fn plan_notes(
    rng: &mut StdRng,
    k: usize,
    account: &str,
    partner_name: &str,
    vendor: &[String],
    partner_users: &[UserPlan],
    influencer: Option<(&str, &str)>,
) -> Vec<NotePlan> {
    let n = rng.random_range(2..=6usize);
    let partner_user = |j: usize| partner_users[j % partner_users.len()].email.clone();
    let mentioned = &partner_users[partner_users.len() - 1];
    let first = mentioned.display_name.split(' ').next().unwrap_or("");
    let mut notes = vec![
        NotePlan {
            author: partner_user(0),
            our_side: false,
            body: pick(rng, &PARTNER_SHARED).replace("{account}", account),
        },
        NotePlan {
            author: vendor[0].clone(),
            our_side: false,
            body: pick(rng, &VENDOR_MENTIONS)
                .replace("{account}", account)
                .replace("{first}", first)
                .replace("{email}", &mentioned.email),
        },
    ];
    let private = [
        NotePlan {
            author: vendor[vendor.len() - 1].clone(),
            our_side: true,
            body: pick(rng, &VENDOR_PRIVATE).replace("{partner}", partner_name),
        },
        NotePlan {
            author: partner_user(1),
            our_side: true,
            body: pick(rng, &PARTNER_PRIVATE).replace("{account}", account),
        },
    ];
    let (a, b) = if k.is_multiple_of(2) { (0, 1) } else { (1, 0) };
    for j in 2..n {
        let note = match j {
            2 => private[a].clone(),
            3 => private[b].clone(),
            _ => NotePlan {
                author: if j.is_multiple_of(2) {
                    vendor[0].clone()
                } else {
                    partner_user(j)
                },
                our_side: false,
                body: pick(rng, &SHARED_LATER).replace("{account}", account),
            },
        };
        notes.push(note);
    }
    if let Some((email, name)) = influencer {
        let note = NotePlan {
            author: email.to_owned(),
            our_side: false,
            body: format!(
                "**{name}** here: we ran the integration workshop with {account}'s data team \
                 last month.\n\n- Their warehouse connector is already certified\n- Happy to \
                 join the technical validation"
            ),
        };
        notes.insert(2.min(notes.len()), note);
        notes.truncate(6);
    }
    notes
}

/// 1 to 4 tasks, owners alternating between the partner and the vendor. In an open room
/// they fall due from two weeks ago to four weeks ahead; most past ones are done, and a
/// past one may still be open (overdue). In a closed room all were done before the close.
fn plan_tasks(rng: &mut StdRng, vendor: &[String], ours: &[String], closed: bool) -> Vec<TaskPlan> {
    let n = rng.random_range(1..=4usize);
    let start = rng.random_range(0..TASKS.len());
    (0..n)
        .map(|j| {
            let (owner, by) = if j % 2 == 0 {
                (ours[j % ours.len()].clone(), vendor[0].clone())
            } else {
                (vendor[j % vendor.len()].clone(), ours[0].clone())
            };
            let (due_in_days, done) = if closed {
                (-rng.random_range(2..=20), true)
            } else {
                let due = rng.random_range(-14..=28);
                (due, due < 0 && rng.random_range(0..100) < 70)
            };
            TaskPlan {
                title: TASKS[(start + j) % TASKS.len()],
                owner,
                by,
                due_in_days,
                done,
            }
        })
        .collect()
}

/// 1 to 3 shared fields.
fn plan_fields(
    rng: &mut StdRng,
    vendor: &[String],
    ours: &[String],
    closed: bool,
) -> Vec<FieldPlan> {
    let n = rng.random_range(1..=3usize);
    let person = format!("{} {}", pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES));
    let all = [
        FieldPlan {
            key: "decision_maker",
            value: format!(
                "{person}, {}",
                pick(rng, &["CFO", "CIO", "Head of IT", "COO"])
            ),
            by: ours[0].clone(),
        },
        FieldPlan {
            key: "budget_confirmed",
            value: if closed {
                "Yes".to_owned()
            } else {
                (*pick(
                    rng,
                    &[
                        "Yes, in this year's budget",
                        "Not yet: waiting for the board in January",
                        "Partly: pilot funded, rollout next year",
                    ],
                ))
                .to_owned()
            },
            by: vendor[0].clone(),
        },
        FieldPlan {
            key: "security_review",
            value: if closed {
                "Passed".to_owned()
            } else {
                (*pick(
                    rng,
                    &[
                        "Questionnaire sent",
                        "Scheduled with the CISO",
                        "Passed",
                        "Not started",
                    ],
                ))
                .to_owned()
            },
            by: vendor[vendor.len() - 1].clone(),
        },
    ];
    all.into_iter().take(n).collect()
}

const PARTNER_SHARED: [&str; 4] = [
    "Met the IT director at **{account}** this week. They want to replace their current \
     tool before the renewal in spring.\n\n- Pain: manual reporting across 4 regions\n- \
     Next: a demo for the buying committee",
    "Kick-off call with **{account}** done. Their main concerns:\n\n1. Data residency in \
     the EU\n2. Single sign-on with their identity provider\n3. Time to go live",
    "**{account}** confirmed the evaluation. Three vendors on the shortlist; we are the only \
     one with a local implementation team.",
    "Discovery notes for **{account}**: about 400 users, rollout in two waves. The CFO \
     sponsors the project.",
];

const VENDOR_MENTIONS: [&str; 3] = [
    "Thanks, good start. @{email} could you share the customer's current architecture \
     diagram before the deep-dive? I will bring a solutions engineer.",
    "Pricing for **{account}** is approved at the standard partner discount. @{email}, \
     {first}, can you walk them through it on Thursday?",
    "@{email} we have a reference customer in the same industry; I will intro you. Please \
     add the security questionnaire to the room when you have it.",
];

const VENDOR_PRIVATE: [&str; 3] = [
    "Internal: leadership approved up to 15% extra discount if the deal closes this quarter. \
     Do not share with {partner} yet.",
    "Internal: direct sales had a contact here two years ago; no conflict, account is \
     unowned. Keep {partner} as the lead.",
    "Internal: this one counts towards {partner}'s tier review, so let's make sure the \
     registration stays current.",
];

const PARTNER_PRIVATE: [&str; 3] = [
    "Our side only: margin is thin at the standard discount; propose our managed-service \
     package on top.",
    "Our side only: {account}'s procurement is slow. Plan for a 30-day legal review.",
    "Our side only: the champion is leaving in March; find a second sponsor.",
];

const SHARED_LATER: [&str; 4] = [
    "Demo went well. Follow-ups:\n\n- [x] Send the recording\n- [ ] Share the rollout plan\n- \
     [ ] Book the security review",
    "**{account}** asked for a two-phase rollout. Updated the proposal accordingly.",
    "Customer reference call is set for next week.",
    "Procurement at **{account}** sent their standard terms; legal is reviewing.",
];

/// A member who writes: id, name, role and partner, by e-mail.
pub(crate) struct Writer {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub partner_id: Option<String>,
}

impl Writer {
    pub(crate) fn actor(&self) -> Actor {
        match Principal::new(
            UserId::from_trusted(self.id.clone()),
            self.name.clone(),
            self.role,
            self.partner_id.clone().map(PartnerId::from_trusted),
        ) {
            Some(p) => Actor::User(p),
            None => Actor::system("seed"),
        }
    }
}

/// The writers by e-mail: vendor staff and every partner's users.
pub(crate) fn writers(
    staff: &[UserPlan],
    partners: &[PartnerPlan],
    partner_ids: &[String],
    user_ids: &HashMap<String, String>,
) -> HashMap<String, Writer> {
    let staff = staff.iter().map(|u| (u, None));
    let partner_users = partners
        .iter()
        .zip(partner_ids)
        .flat_map(|(p, id)| p.users.iter().map(move |u| (u, Some(id.clone()))));
    staff
        .chain(partner_users)
        .filter_map(|(u, partner_id)| {
            let id = user_ids.get(&u.email)?.clone();
            Some((
                u.email.clone(),
                Writer {
                    id,
                    name: u.display_name.clone(),
                    role: u.role,
                    partner_id,
                },
            ))
        })
        .collect()
}

/// What writing the rooms made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RoomsWritten {
    pub rooms: usize,
    pub notes: usize,
    pub tasks: usize,
}

/// Writes the rooms. `opportunity_ids` are the pipeline's ids in plan order.
pub(crate) async fn create_rooms(
    store: &Store,
    rooms: &[RoomPlan],
    pipeline: &[OpportunityPlan],
    opportunity_ids: &[String],
    partner_ids: &[String],
    writers: &HashMap<String, Writer>,
) -> Result<RoomsWritten, StoreError> {
    let system = Actor::system("seed");
    let now = store.now();
    let mut written = RoomsWritten::default();
    let who = |email: &str| {
        writers
            .get(email)
            .ok_or_else(|| StoreError::Corrupt(format!("seed: no user {email}")))
    };
    for r in rooms {
        let o = &pipeline[r.opportunity];
        let Some(id) = opportunity_ids.get(r.opportunity) else {
            continue;
        };
        // The room's life: the last three weeks before now, or before the close.
        let (lo, hi, due_from) = match &o.close {
            Some(c) => (c.at - Duration::days(20), c.at - Duration::hours(1), c.at),
            None => (now - Duration::days(21), now - Duration::hours(1), now),
        };
        let lo = lo.max(o.created_at + Duration::hours(1));
        let steps = 1 + r.notes.len() + 2 * r.tasks.len() + r.fields.len();
        let mut clock = Steps::new(lo, hi.max(lo + Duration::hours(1)), steps);

        let then = store_at(store, clock.next());
        if let Some(x) = &r.influencer
            && x.needs_touch
        {
            let input = TouchpointInput {
                partner_id: Some(partner_ids[x.partner].clone()),
                kind: Some("event".to_owned()),
                occurred_at: Some((clock.at() - Duration::hours(2)).to_rfc3339()),
                notes: Some("Joint integration workshop with the customer's data team".into()),
            };
            then.log_touchpoint(&system, id, &input).await?;
        }
        let influencer = r.influencer.as_ref().map(|x| x.email.clone());
        for email in r.members.iter().chain(&influencer) {
            let input = MemberInput {
                user_id: Some(who(email)?.id.clone()),
            };
            then.add_room_member(&system, id, &input).await?;
        }
        for n in &r.notes {
            let input = NoteInput {
                body: Some(n.body.clone()),
                visibility: Some(if n.our_side { "our_side" } else { "everyone" }.to_owned()),
            };
            store_at(store, clock.next())
                .post_room_note(&who(&n.author)?.actor(), id, &input)
                .await?;
            written.notes += 1;
        }
        for t in &r.tasks {
            let due = due_from.date_naive() + Duration::days(t.due_in_days);
            let input = TaskInput {
                title: Some(t.title.to_owned()),
                owner_id: Some(who(&t.owner)?.id.clone()),
                due_on: Some(due.format("%Y-%m-%d").to_string()),
            };
            let created_at = clock.next();
            let task = store_at(store, created_at)
                .add_room_task(&who(&t.by)?.actor(), id, &input)
                .await?;
            written.tasks += 1;
            let done_at = clock.next();
            if t.done {
                let patch = TaskPatch {
                    status: Some("done".to_owned()),
                    ..Default::default()
                };
                store_at(store, done_at)
                    .update_room_task(
                        &who(&t.owner)?.actor(),
                        task.id.as_str(),
                        &patch,
                        &partnerops_store::etag::Precondition::None,
                    )
                    .await?;
            }
        }
        for f in &r.fields {
            let input = FieldInput {
                value: Some(f.value.clone()),
            };
            store_at(store, clock.next())
                .set_room_field(&who(&f.by)?.actor(), id, f.key, &input)
                .await?;
        }
        written.rooms += 1;
    }
    Ok(written)
}

/// Evenly spaced times from `lo` to `hi`.
struct Steps {
    lo: DateTime<Utc>,
    step: Duration,
    i: i32,
}

impl Steps {
    fn new(lo: DateTime<Utc>, hi: DateTime<Utc>, steps: usize) -> Steps {
        let n = i32::try_from(steps.max(1)).unwrap_or(i32::MAX);
        Steps {
            lo,
            step: (hi - lo) / n,
            i: 0,
        }
    }

    /// The next time.
    fn next(&mut self) -> DateTime<Utc> {
        self.i += 1;
        self.at()
    }

    /// The current time, moved into office hours (08:00 to 17:59) on its day.
    fn at(&self) -> DateTime<Utc> {
        let t = self.lo + self.step * self.i;
        match t.hour() {
            8..=17 => t,
            h => t + Duration::hours(i64::from(8 + h % 10) - i64::from(h)),
        }
    }
}
