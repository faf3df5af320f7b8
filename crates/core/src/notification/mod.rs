//! Notifications: what a user is told about (a registration decided, an SLA about to be
//! missed, a conflict case escalated, ...), in the app and by e-mail.
//!
//! The rules here are pure: which outbox event becomes which kind of notification and
//! whom it concerns ([`route`]), what it says and where its link points ([`render`]), and
//! when things happen ([`timing`]: the retry schedule after an SMTP failure, the day of a
//! daily digest, when an event is too old to announce), and which reminder of a dated
//! review or task is due, keyed so it goes out once ([`reminder`]). The store turns events into
//! notifications and e-mails with them; SMTP and SQL are not here.
//!
//! Each user chooses per kind how the e-mail comes: at once, in a daily digest, or not at
//! all ([`Delivery`]); the in-app list always shows every notification.

pub mod reminder;
pub mod render;
pub mod route;
pub mod timing;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::kernel::ids::NotificationId;
use crate::{Invalid, text_enum};

text_enum!(
    /// What a notification is about.
    NotificationKind {
        RegistrationDecision = "registration_decision" / "Registration decisions",
        SlaWarning = "sla_warning" / "Follow-up SLA warnings",
        SlaMissed = "sla_missed" / "Follow-up SLA missed",
        EngagementRequest = "engagement_request" / "Engagement requests",
        ConflictDeadline = "conflict_deadline" / "Conflict cases and deadlines",
        JbpDrift = "jbp_drift" / "Joint business plan drift",
        ReviewDue = "review_due" / "Reviews due",
        TaskAssigned = "task_assigned" / "Tasks assigned to me",
        TaskDue = "task_due" / "Tasks due",
        Mention = "mention" / "Mentions",
        Payout = "payout" / "Payout statements and disputes",
        Mdf = "mdf" / "MDF requests and claims",
        Certification = "certification" / "Certifications earned and expiring",
        Webhook = "webhook" / "Webhook subscriptions disabled",
        Directory = "directory" / "Directory moderation and enquiries",
    }
);

text_enum!(
    /// How the e-mail of a notification kind reaches a user.
    Delivery {
        Immediately = "immediately" / "Immediately",
        DailyDigest = "daily_digest" / "Daily digest",
        Off = "off" / "Off",
    }
);

impl NotificationKind {
    /// The e-mail delivery a user has until they choose: at once for what needs an answer
    /// soon (a decision, a deadline, a question, a mention), in the digest for what is
    /// worth knowing today but not this minute.
    pub fn default_delivery(self) -> Delivery {
        match self {
            NotificationKind::JbpDrift
            | NotificationKind::ReviewDue
            | NotificationKind::TaskDue => Delivery::DailyDigest,
            _ => Delivery::Immediately,
        }
    }
}

/// A notification as its recipient sees it. `link` is a path inside the app (the console
/// or the portal, whichever the recipient uses).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: NotificationId,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: DateTime<Utc>,
    /// When the recipient marked it read; absent while unread.
    pub read_at: Option<DateTime<Utc>>,
}

/// One kind's e-mail delivery for a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preference {
    pub kind: NotificationKind,
    pub delivery: Delivery,
    /// Whether this is the default (the user never chose).
    pub is_default: bool,
}

/// A user's choices, kind by kind; kinds without a choice use their default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preferences {
    chosen: BTreeMap<&'static str, Delivery>,
}

impl Preferences {
    /// From stored choices (kind, delivery), skipping unknown kinds.
    pub fn from_chosen<'a>(chosen: impl IntoIterator<Item = (&'a str, Delivery)>) -> Self {
        let mut out = Preferences::default();
        for (kind, delivery) in chosen {
            if let Ok(kind) = NotificationKind::parse("kind", kind) {
                out.chosen.insert(kind.as_str(), delivery);
            }
        }
        out
    }

    /// The delivery for `kind`.
    pub fn delivery(&self, kind: NotificationKind) -> Delivery {
        self.chosen
            .get(kind.as_str())
            .copied()
            .unwrap_or_else(|| kind.default_delivery())
    }

    /// Every kind, in declaration order, with its delivery.
    pub fn all(&self) -> Vec<Preference> {
        NotificationKind::ALL
            .iter()
            .map(|&kind| Preference {
                kind,
                delivery: self.delivery(kind),
                is_default: !self.chosen.contains_key(kind.as_str()),
            })
            .collect()
    }
}

/// Parses a preferences change: kind → delivery, for the kinds to change (the others keep
/// their setting). Each error names the kind as its field.
pub fn parse_changes(
    raw: &BTreeMap<String, String>,
) -> Result<Vec<(NotificationKind, Delivery)>, Invalid> {
    let mut inv = Invalid::new();
    let mut out = Vec::new();
    for (key, value) in raw {
        let Ok(kind) = NotificationKind::parse(key, key) else {
            let allowed: Vec<&str> = NotificationKind::ALL.iter().map(|k| k.as_str()).collect();
            inv.add(
                key,
                "unknown_kind",
                format!(
                    "{key} is not a notification kind; kinds are: {}",
                    allowed.join(", ")
                ),
            );
            continue;
        };
        if let Some(delivery) = inv.check(Delivery::parse(key, value)) {
            out.push((kind, delivery));
        }
    }
    inv.finish(|| Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_send_what_needs_an_answer_at_once() {
        let p = Preferences::default();
        assert_eq!(
            p.delivery(NotificationKind::RegistrationDecision),
            Delivery::Immediately
        );
        assert_eq!(p.delivery(NotificationKind::Mention), Delivery::Immediately);
        assert_eq!(
            p.delivery(NotificationKind::JbpDrift),
            Delivery::DailyDigest
        );
        assert_eq!(p.delivery(NotificationKind::TaskDue), Delivery::DailyDigest);
        assert!(p.all().iter().all(|x| x.is_default));
        assert_eq!(p.all().len(), NotificationKind::ALL.len());
    }

    #[test]
    fn choices_override_defaults_and_unknown_stored_kinds_are_skipped() {
        let p = Preferences::from_chosen([
            ("sla_warning", Delivery::Off),
            ("jbp_drift", Delivery::Immediately),
            ("retired_kind", Delivery::Off),
        ]);
        assert_eq!(p.delivery(NotificationKind::SlaWarning), Delivery::Off);
        assert_eq!(
            p.delivery(NotificationKind::JbpDrift),
            Delivery::Immediately
        );
        let all = p.all();
        let warning = all
            .iter()
            .find(|x| x.kind == NotificationKind::SlaWarning)
            .unwrap();
        assert!(!warning.is_default);
        assert_eq!(all.iter().filter(|x| !x.is_default).count(), 2);
    }

    #[test]
    fn changes_name_the_kind_in_every_error() {
        let raw: BTreeMap<String, String> = [
            ("mention".to_owned(), "off".to_owned()),
            ("sla_warning".to_owned(), "weekly".to_owned()),
            ("birthdays".to_owned(), "off".to_owned()),
        ]
        .into_iter()
        .collect();
        let err = parse_changes(&raw).unwrap_err();
        let fields: Vec<(&str, &str)> = err
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            fields,
            vec![("birthdays", "unknown_kind"), ("sla_warning", "one_of")]
        );
        let ok: BTreeMap<String, String> = [("mention".to_owned(), " daily_digest ".to_owned())]
            .into_iter()
            .collect();
        assert_eq!(
            parse_changes(&ok).unwrap(),
            vec![(NotificationKind::Mention, Delivery::DailyDigest)]
        );
    }
}
