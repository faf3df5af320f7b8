//! Which outbox event becomes which notification, and for whom. An event about a partner's
//! record concerns that partner's users; an event the vendor must act on concerns channel
//! managers and administrators; a task or a mention concerns the one user it names. A
//! partner user is only ever a recipient of an event about their own partner, whatever the
//! event says, so no notification can carry one partner's news to another.

use crate::kernel::ids::{PartnerId, UserId};
use crate::notification::NotificationKind;
use crate::user::Role;

/// Whose users receive an event's notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audience {
    /// Roles of the event's partner's users that receive it.
    pub partner_roles: &'static [Role],
    /// Roles of vendor staff that receive it.
    pub vendor_roles: &'static [Role],
    /// A payload field holding the id of one user the event concerns (a task's assignee,
    /// a mentioned user), who receives it too.
    pub named_user: Option<&'static str>,
}

/// What an event becomes: the kind of notification and its audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub kind: NotificationKind,
    pub audience: Audience,
}

const PARTNER_USERS: &[Role] = &[Role::PartnerAdmin, Role::PartnerRep];
const PARTNER_ADMINS: &[Role] = &[Role::PartnerAdmin];
const CHANNEL_TEAM: &[Role] = &[Role::Admin, Role::ChannelManager];

const TO_PARTNER: Audience = Audience {
    partner_roles: PARTNER_USERS,
    vendor_roles: &[],
    named_user: None,
};
const TO_PARTNER_AND_CHANNEL: Audience = Audience {
    partner_roles: PARTNER_USERS,
    vendor_roles: CHANNEL_TEAM,
    named_user: None,
};
const TO_CHANNEL: Audience = Audience {
    partner_roles: &[],
    vendor_roles: CHANNEL_TEAM,
    named_user: None,
};
const TO_PLAN_OWNERS: Audience = Audience {
    partner_roles: PARTNER_ADMINS,
    vendor_roles: CHANNEL_TEAM,
    named_user: None,
};
/// A partner's statement news goes to its admins (who dispute and are paid).
const TO_PARTNER_ADMINS: Audience = Audience {
    partner_roles: PARTNER_ADMINS,
    vendor_roles: &[],
    named_user: None,
};
/// A disputed line waits for whoever manages payouts.
const TO_PAYOUT_TEAM: Audience = Audience {
    partner_roles: &[],
    vendor_roles: &[Role::Admin, Role::ChannelManager, Role::MarketingFinance],
    named_user: None,
};
/// A mention names the member mentioned (`user_id`)...
const TO_MENTIONED: Audience = Audience {
    partner_roles: &[],
    vendor_roles: &[],
    named_user: Some("user_id"),
};
/// ...and a task event carries the task, whose `owner_id` is the member it is for.
const TO_TASK_OWNER: Audience = Audience {
    partner_roles: &[],
    vendor_roles: &[],
    named_user: Some("owner_id"),
};

/// A certification's news goes to its holder (`user_id`) and the holder's partner admins.
const TO_CERTIFIED: Audience = Audience {
    partner_roles: PARTNER_ADMINS,
    vendor_roles: &[],
    named_user: Some("user_id"),
};

/// A disabled webhook subscription concerns whoever created it (`created_by`) and the
/// administrators of its side.
const TO_WEBHOOK_OWNER: Audience = Audience {
    partner_roles: PARTNER_ADMINS,
    vendor_roles: &[Role::Admin],
    named_user: Some("created_by"),
};

/// Every event kind that notifies someone. Events not listed (a submission, a renewal)
/// notify nobody.
const ROUTES: &[(&str, NotificationKind, Audience)] = &[
    (
        "registration.approved",
        NotificationKind::RegistrationDecision,
        TO_PARTNER,
    ),
    (
        "registration.rejected",
        NotificationKind::RegistrationDecision,
        TO_PARTNER,
    ),
    (
        "registration.sla_warning",
        NotificationKind::SlaWarning,
        TO_PARTNER,
    ),
    (
        "registration.sla_missed",
        NotificationKind::SlaMissed,
        TO_PARTNER_AND_CHANNEL,
    ),
    (
        "engagement.requested",
        NotificationKind::EngagementRequest,
        TO_PARTNER,
    ),
    (
        "conflict.opened",
        NotificationKind::ConflictDeadline,
        TO_CHANNEL,
    ),
    (
        "conflict.escalated",
        NotificationKind::ConflictDeadline,
        TO_CHANNEL,
    ),
    ("jbp.drift", NotificationKind::JbpDrift, TO_PLAN_OWNERS),
    (
        "jbp.review_due",
        NotificationKind::ReviewDue,
        TO_PLAN_OWNERS,
    ),
    (
        "room.task_assigned",
        NotificationKind::TaskAssigned,
        TO_TASK_OWNER,
    ),
    ("room.task_due", NotificationKind::TaskDue, TO_TASK_OWNER),
    (
        "jbp.task_assigned",
        NotificationKind::TaskAssigned,
        TO_TASK_OWNER,
    ),
    ("jbp.task_due", NotificationKind::TaskDue, TO_TASK_OWNER),
    ("room.mention", NotificationKind::Mention, TO_MENTIONED),
    (
        "payout.statement_issued",
        NotificationKind::Payout,
        TO_PARTNER_ADMINS,
    ),
    (
        "payout.line_disputed",
        NotificationKind::Payout,
        TO_PAYOUT_TEAM,
    ),
    (
        "payout.dispute_resolved",
        NotificationKind::Payout,
        TO_PARTNER_ADMINS,
    ),
    (
        "payout.statement_paid",
        NotificationKind::Payout,
        TO_PARTNER_ADMINS,
    ),
    ("mdf.request_approved", NotificationKind::Mdf, TO_PARTNER),
    ("mdf.request_rejected", NotificationKind::Mdf, TO_PARTNER),
    ("mdf.claim_approved", NotificationKind::Mdf, TO_PARTNER),
    ("mdf.claim_rejected", NotificationKind::Mdf, TO_PARTNER),
    ("mdf.claim_paid", NotificationKind::Mdf, TO_PARTNER),
    (
        "certification.earned",
        NotificationKind::Certification,
        TO_CERTIFIED,
    ),
    (
        "certification.expiring",
        NotificationKind::Certification,
        TO_CERTIFIED,
    ),
    (
        "certification.expired",
        NotificationKind::Certification,
        TO_CERTIFIED,
    ),
    (
        "webhook.disabled",
        NotificationKind::Webhook,
        TO_WEBHOOK_OWNER,
    ),
    // A moderator's decision goes to the listing's owner (its admins, who may appeal); an
    // enquiry to every user of the partner.
    (
        "directory.moderated",
        NotificationKind::Directory,
        TO_PARTNER_ADMINS,
    ),
    ("directory.lead", NotificationKind::Directory, TO_PARTNER),
];

/// The notification an outbox event of `event_kind` becomes, if any.
pub fn route(event_kind: &str) -> Option<Route> {
    ROUTES
        .iter()
        .find(|(kind, _, _)| *kind == event_kind)
        .map(|&(_, kind, audience)| Route { kind, audience })
}

/// A user who might receive a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: UserId,
    pub role: Role,
    /// Set for partner users.
    pub partner_id: Option<PartnerId>,
}

/// The recipients of an event among `candidates`, each once (one notification per event
/// and user), in the order first seen. A partner user qualifies only for an event about
/// their own partner (`event_partner`), also when the payload names them; staff qualify
/// by role or by being named.
pub fn recipients<'a>(
    audience: &Audience,
    event_partner: Option<&PartnerId>,
    named: Option<&UserId>,
    candidates: &'a [Candidate],
) -> Vec<&'a Candidate> {
    let mut out: Vec<&Candidate> = Vec::new();
    for c in candidates {
        let is_named = named == Some(&c.user_id);
        let qualifies = match &c.partner_id {
            Some(own) => {
                event_partner == Some(own) && (is_named || audience.partner_roles.contains(&c.role))
            }
            None => {
                !c.role.is_partner_role() && (is_named || audience.vendor_roles.contains(&c.role))
            }
        };
        if qualifies && !out.iter().any(|o| o.user_id == c.user_id) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::EntityId;

    fn user(n: &str, role: Role, partner: Option<&str>) -> Candidate {
        Candidate {
            user_id: UserId::from_trusted(format!("usr_{n}")),
            role,
            partner_id: partner.map(|p| PartnerId::from_trusted(format!("ptr_{p}"))),
        }
    }

    fn ids(list: &[&Candidate]) -> Vec<String> {
        list.iter().map(|c| c.user_id.to_string()).collect()
    }

    fn people() -> Vec<Candidate> {
        vec![
            user("a_admin", Role::PartnerAdmin, Some("a")),
            user("a_rep", Role::PartnerRep, Some("a")),
            user("b_admin", Role::PartnerAdmin, Some("b")),
            user("b_rep", Role::PartnerRep, Some("b")),
            user("boss", Role::Admin, None),
            user("channel", Role::ChannelManager, None),
            user("sales", Role::DirectSales, None),
            user("finance", Role::MarketingFinance, None),
        ]
    }

    #[test]
    fn every_listed_event_routes_and_others_do_not() {
        let decided = route("registration.approved").unwrap();
        assert_eq!(decided.kind, NotificationKind::RegistrationDecision);
        assert_eq!(
            route("registration.rejected").unwrap().kind,
            NotificationKind::RegistrationDecision
        );
        assert_eq!(
            route("conflict.escalated").unwrap().kind,
            NotificationKind::ConflictDeadline
        );
        assert_eq!(
            route("room.mention").unwrap().audience.named_user,
            Some("user_id")
        );
        assert_eq!(
            route("room.task_assigned").unwrap().audience.named_user,
            Some("owner_id")
        );
        for task in ["jbp.task_assigned", "jbp.task_due"] {
            assert_eq!(
                route(task).unwrap().audience.named_user,
                Some("owner_id"),
                "{task}"
            );
        }
        assert_eq!(route("registration.submitted"), None);
        assert_eq!(route("registration.approved.extra"), None);
        assert_eq!(route(""), None);
        // Every kind is reachable from some event.
        for kind in NotificationKind::ALL {
            assert!(
                ROUTES.iter().any(|(_, k, _)| k == kind),
                "no event notifies {kind}"
            );
        }
    }

    #[test]
    fn partner_events_reach_only_that_partners_users() {
        let all = people();
        let a = PartnerId::from_trusted("ptr_a".to_owned());
        let got = recipients(&TO_PARTNER, Some(&a), None, &all);
        assert_eq!(ids(&got), vec!["usr_a_admin", "usr_a_rep"]);
        // Without a partner, a partner-facing event reaches nobody.
        assert!(recipients(&TO_PARTNER, None, None, &all).is_empty());
        let both = recipients(&TO_PARTNER_AND_CHANNEL, Some(&a), None, &all);
        assert_eq!(
            ids(&both),
            vec!["usr_a_admin", "usr_a_rep", "usr_boss", "usr_channel"]
        );
        let plan = recipients(&TO_PLAN_OWNERS, Some(&a), None, &all);
        assert_eq!(ids(&plan), vec!["usr_a_admin", "usr_boss", "usr_channel"]);
    }

    #[test]
    fn vendor_events_reach_the_channel_team_only() {
        let all = people();
        let a = PartnerId::from_trusted("ptr_a".to_owned());
        let got = recipients(&TO_CHANNEL, Some(&a), None, &all);
        assert_eq!(ids(&got), vec!["usr_boss", "usr_channel"]);
    }

    #[test]
    fn a_named_user_of_another_partner_is_never_a_recipient() {
        let all = people();
        let a = PartnerId::from_trusted("ptr_a".to_owned());
        let b_rep = UserId::from_trusted("usr_b_rep".to_owned());
        assert!(recipients(&TO_MENTIONED, Some(&a), Some(&b_rep), &all).is_empty());
        let a_rep = UserId::from_trusted("usr_a_rep".to_owned());
        assert_eq!(
            ids(&recipients(&TO_MENTIONED, Some(&a), Some(&a_rep), &all)),
            vec!["usr_a_rep"]
        );
        let sales = UserId::from_trusted("usr_sales".to_owned());
        assert_eq!(
            ids(&recipients(&TO_MENTIONED, Some(&a), Some(&sales), &all)),
            vec!["usr_sales"]
        );
        assert!(recipients(&TO_MENTIONED, Some(&a), None, &all).is_empty());
    }

    /// One notification per (event, user): a user listed twice, or both named and in the
    /// audience by role, is a recipient once.
    #[test]
    fn each_user_is_a_recipient_once() {
        let mut all = people();
        all.push(user("a_admin", Role::PartnerAdmin, Some("a")));
        let a = PartnerId::from_trusted("ptr_a".to_owned());
        let named = UserId::from_trusted("usr_a_admin".to_owned());
        let got = recipients(&TO_PARTNER, Some(&a), Some(&named), &all);
        assert_eq!(ids(&got), vec!["usr_a_admin", "usr_a_rep"]);
    }

    /// A user whose role says partner but who has no partner (corrupt data) is nobody's
    /// recipient rather than taken for staff.
    #[test]
    fn a_partner_role_without_a_partner_is_not_staff() {
        let odd = vec![user("odd", Role::PartnerRep, None)];
        let named = UserId::from_trusted("usr_odd".to_owned());
        assert!(recipients(&TO_PARTNER_AND_CHANNEL, None, Some(&named), &odd).is_empty());
    }
}
