//! The registration rules as functions of the facts the store reads and the time. None of
//! them reads a clock: `now` comes in, so "day 90 vs 91" is a test, not a wait.

use chrono::{DateTime, Duration, Utc};

use super::policy::RegistrationPolicy;
use super::{ActivityKind, Decision, RegistrationStatus};

/// What the rules need to know about one registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub status: RegistrationStatus,
    pub approved_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub renewals: i64,
    /// The latest follow-up activity that documents selling work.
    pub last_activity_at: Option<DateTime<Utc>>,
    pub sla_missed_at: Option<DateTime<Utc>>,
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Approving now: valid `validity_days` from approval.
pub fn approve(
    now: DateTime<Utc>,
    policy: &RegistrationPolicy,
    reason: &str,
) -> (DateTime<Utc>, Decision) {
    let expires_at = now + Duration::days(policy.validity_days);
    let decision = Decision::new(
        "registration.approved",
        "approved",
        format!(
            "approved: {reason}; valid {} days, until {}",
            policy.validity_days,
            day(expires_at)
        ),
        policy.version,
    );
    (expires_at, decision)
}

/// Approval without review, when a rule of the policy covers the partner's tier and the amount.
pub fn auto_approval(
    tier_rank: i64,
    amount_minor: i64,
    policy: &RegistrationPolicy,
) -> Option<Decision> {
    policy.auto_approve.iter().find(|r| tier_rank >= r.min_tier_rank && amount_minor <= r.max_amount_minor).map(|r| {
        Decision::new(
            "registration.auto_approved",
            "approved",
            format!(
                "approved without review: the partner's tier rank {tier_rank} is at least {} and the estimated ARR {amount_minor} is at most {} (minor units)",
                r.min_tier_rank, r.max_amount_minor
            ),
            policy.version,
        )
    })
}

/// When the next follow-up is due: `sla_days` after approval or the latest activity.
pub fn sla_due(f: &Facts, policy: &RegistrationPolicy) -> Option<DateTime<Utc>> {
    if f.status != RegistrationStatus::Approved {
        return None;
    }
    let base = match (f.approved_at, f.last_activity_at) {
        (Some(a), Some(l)) => a.max(l),
        (Some(a), None) => a,
        (None, _) => return None,
    };
    Some(base + Duration::days(policy.sla_days))
}

/// The follow-up SLA, checked at `now`: missed once `sla_days` have passed without a new
/// activity. Marked once; the registration keeps holding its account.
pub fn check_sla(f: &Facts, now: DateTime<Utc>, policy: &RegistrationPolicy) -> Option<Decision> {
    if f.sla_missed_at.is_some() {
        return None;
    }
    let due = sla_due(f, policy)?;
    (now > due).then(|| {
        let since = if f.last_activity_at.is_some() {
            "the last logged activity"
        } else {
            "approval"
        };
        Decision::new(
            "registration.sla_missed",
            "sla_missed",
            format!(
                "no follow-up activity within {} days of {since}; it was due by {}",
                policy.sla_days,
                day(due)
            ),
            policy.version,
        )
    })
}

/// How many days before the follow-up SLA is due the partner is warned.
pub const SLA_WARNING_DAYS: i64 = 3;

/// The follow-up due time to warn the partner about at `now`, if a warning is due: the SLA
/// is due within [`SLA_WARNING_DAYS`] and not yet missed, and no warning was given for this
/// due time (`warned_for`). A logged activity moves the due time, so each SLA period gets
/// its own warning.
pub fn sla_warning(
    f: &Facts,
    now: DateTime<Utc>,
    policy: &RegistrationPolicy,
    warned_for: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    if f.sla_missed_at.is_some() {
        return None;
    }
    let due = sla_due(f, policy)?;
    let in_window = now <= due && now >= due - Duration::days(SLA_WARNING_DAYS);
    (in_window && warned_for != Some(due)).then_some(due)
}

/// Expiry, checked at `now`: an approved registration lapses at its expiry time.
pub fn check_expiry(
    f: &Facts,
    now: DateTime<Utc>,
    policy: &RegistrationPolicy,
) -> Option<Decision> {
    let expires_at = f.expires_at?;
    (f.status == RegistrationStatus::Approved && now >= expires_at).then(|| {
        Decision::new(
            "registration.expired",
            "expired",
            format!(
                "validity ended {} ({} renewal(s) used); the account is released",
                day(expires_at),
                f.renewals
            ),
            policy.version,
        )
    })
}

/// A renewal request at `now`, given the activities logged (kind, when). Renewal is allowed
/// `max_renewals` times, only while approved and valid, and only with documented activity
/// (a call, meeting, demo or proposal) in the current validity period.
pub fn renew(
    f: &Facts,
    activities: &[(ActivityKind, DateTime<Utc>)],
    now: DateTime<Utc>,
    policy: &RegistrationPolicy,
) -> Result<(DateTime<Utc>, Decision), Decision> {
    let refuse =
        |rule: &str, reason: String| Decision::new(rule, "refused", reason, policy.version);
    let expires_at = match (f.status, f.expires_at) {
        (RegistrationStatus::Approved, Some(e)) if now < e => e,
        _ => {
            return Err(refuse(
                "registration.renew_not_active",
                format!(
                    "only an approved registration that has not expired can be renewed (it is {})",
                    f.status.label().to_lowercase()
                ),
            ));
        }
    };
    if let Some(missed) = f.sla_missed_at {
        return Err(refuse(
            "registration.renew_sla_missed",
            format!(
                "the follow-up SLA was missed on {}: log a follow-up activity before renewing",
                day(missed)
            ),
        ));
    }
    if f.renewals >= policy.max_renewals {
        return Err(refuse(
            "registration.renewal_limit",
            format!(
                "a registration can be renewed {} time(s) and this one already was; register again after it ends",
                policy.max_renewals
            ),
        ));
    }
    let period_days = if f.renewals == 0 {
        policy.validity_days
    } else {
        policy.renewal_days
    };
    let period_start = expires_at - Duration::days(period_days);
    let documented = activities
        .iter()
        .any(|(kind, at)| kind.documents_activity() && *at >= period_start && *at <= now);
    if !documented {
        return Err(refuse(
            "registration.renewal_needs_activity",
            format!(
                "renewal needs a logged call, meeting, demo or proposal since {} (the current validity period)",
                day(period_start)
            ),
        ));
    }
    let new_expiry = expires_at + Duration::days(policy.renewal_days);
    Ok((
        new_expiry,
        Decision::new(
            "registration.renewed",
            "renewed",
            format!(
                "renewal {} of {}: valid {} more days, until {}",
                f.renewals + 1,
                policy.max_renewals,
                policy.renewal_days,
                day(new_expiry)
            ),
            policy.version,
        ),
    ))
}

/// A direct rep asks to engage a registered account: the partner decides, unless it has
/// missed its follow-up SLA, in which case the request is granted at once.
pub fn engagement(f: &Facts, now: DateTime<Utc>, policy: &RegistrationPolicy) -> Decision {
    let missed = f.sla_missed_at.is_some() || check_sla(f, now, policy).is_some();
    if missed {
        Decision::new(
            "engagement.partner_missed_sla",
            "auto_granted",
            format!(
                "granted without the partner's consent: the partner missed its {}-day follow-up SLA",
                policy.sla_days
            ),
            policy.version,
        )
    } else {
        Decision::new(
            "engagement.needs_partner_consent",
            "pending",
            "the partner holds this account and must consent first",
            policy.version,
        )
    }
}

/// When a conflict case opened (or escalated) at `from` must be resolved.
pub fn conflict_due(from: DateTime<Utc>, policy: &RegistrationPolicy) -> DateTime<Utc> {
    policy
        .calendar
        .add_business_days(from, policy.conflict_sla_business_days)
}

/// A case past its deadline moves up one level of the escalation path, with a new deadline;
/// at the top level it stays there (and stays overdue).
pub fn escalation(
    level: i64,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: &RegistrationPolicy,
) -> Option<(i64, DateTime<Utc>, Decision)> {
    let top = policy.escalation_levels.len() as i64 - 1;
    if now <= due_at || level >= top {
        return None;
    }
    let next = level + 1;
    let new_due = conflict_due(now, policy);
    let from = policy
        .escalation_levels
        .get(level as usize)
        .cloned()
        .unwrap_or_default();
    let to = policy
        .escalation_levels
        .get(next as usize)
        .cloned()
        .unwrap_or_default();
    Some((
        next,
        new_due,
        Decision::new(
            "conflict.escalated",
            "escalated",
            format!(
                "not resolved within {} business days (due {}): escalated from {from} to {to}, now due {}",
                policy.conflict_sla_business_days,
                day(due_at),
                day(new_due)
            ),
            policy.version,
        ),
    ))
}

/// A direct rep worked the account recently: a new registration on it is a conflict.
pub fn direct_engagement_conflict(
    last_direct_activity: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    policy: &RegistrationPolicy,
) -> Option<Decision> {
    let at = last_direct_activity?;
    (now - at <= Duration::days(policy.direct_lookback_days)).then(|| {
        Decision::new(
            "conflict.direct_engaged",
            "conflict_opened",
            format!(
                "a direct rep logged activity on this account on {}, within the last {} days",
                day(at),
                policy.direct_lookback_days
            ),
            policy.version,
        )
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::registration::policy::AutoApprove;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
    }

    fn approved(at: DateTime<Utc>) -> Facts {
        let p = RegistrationPolicy::default();
        Facts {
            status: RegistrationStatus::Approved,
            approved_at: Some(at),
            expires_at: Some(approve(at, &p, "ok").0),
            renewals: 0,
            last_activity_at: None,
            sla_missed_at: None,
        }
    }

    #[test]
    fn valid_through_day_90_expired_on_day_91() {
        let p = RegistrationPolicy::default();
        let f = approved(t0());
        let day_90 = t0() + Duration::days(90) - Duration::seconds(1);
        let day_91 = t0() + Duration::days(90);
        assert!(check_expiry(&f, day_90, &p).is_none());
        let d = check_expiry(&f, day_91, &p).unwrap();
        assert_eq!(d.rule, "registration.expired");
        assert_eq!(d.policy_version, 1);
    }

    #[test]
    fn sla_warning_from_3_days_before_once_per_due_time() {
        let p = RegistrationPolicy::default();
        let f = approved(t0());
        let due = t0() + Duration::days(14);
        let window = due - Duration::days(SLA_WARNING_DAYS);
        assert_eq!(
            sla_warning(&f, window - Duration::seconds(1), &p, None),
            None
        );
        assert_eq!(sla_warning(&f, window, &p, None), Some(due));
        assert_eq!(sla_warning(&f, due, &p, None), Some(due), "still on time");
        assert_eq!(sla_warning(&f, due + Duration::seconds(1), &p, None), None);
        // Warned once for this due time: not again.
        assert_eq!(sla_warning(&f, window, &p, Some(due)), None);
        // An activity moves the due time: the new period gets its own warning.
        let later = Facts {
            last_activity_at: Some(t0() + Duration::days(10)),
            ..f.clone()
        };
        let new_due = t0() + Duration::days(24);
        assert_eq!(sla_warning(&later, window, &p, Some(due)), None);
        assert_eq!(
            sla_warning(&later, new_due - Duration::days(2), &p, Some(due)),
            Some(new_due)
        );
        // Missed, or not approved: no warning.
        let missed = Facts {
            sla_missed_at: Some(due),
            ..f.clone()
        };
        assert_eq!(sla_warning(&missed, window, &p, None), None);
        let pending = Facts {
            status: RegistrationStatus::Pending,
            ..f
        };
        assert_eq!(sla_warning(&pending, window, &p, None), None);
    }

    #[test]
    fn sla_day_14_is_on_time_day_15_is_missed() {
        let p = RegistrationPolicy::default();
        let f = approved(t0());
        assert!(check_sla(&f, t0() + Duration::days(14), &p).is_none());
        let d = check_sla(&f, t0() + Duration::days(14) + Duration::seconds(1), &p).unwrap();
        assert_eq!(d.rule, "registration.sla_missed");
        // An activity restarts the clock from that activity.
        let active = Facts {
            last_activity_at: Some(t0() + Duration::days(10)),
            ..f.clone()
        };
        assert!(check_sla(&active, t0() + Duration::days(24), &p).is_none());
        assert!(check_sla(&active, t0() + Duration::days(25), &p).is_some());
        // Marked once.
        let marked = Facts {
            sla_missed_at: Some(t0()),
            ..f
        };
        assert!(check_sla(&marked, t0() + Duration::days(30), &p).is_none());
    }

    #[test]
    fn renewal_needs_documented_activity_in_the_current_period() {
        let p = RegistrationPolicy::default();
        let f = approved(t0());
        let now = t0() + Duration::days(80);
        let err = renew(&f, &[], now, &p).unwrap_err();
        assert_eq!(err.rule, "registration.renewal_needs_activity");
        let note_only = [(ActivityKind::Note, t0() + Duration::days(5))];
        assert_eq!(
            renew(&f, &note_only, now, &p).unwrap_err().rule,
            "registration.renewal_needs_activity"
        );
        let before_period = [(ActivityKind::Demo, t0() - Duration::days(1))];
        assert!(renew(&f, &before_period, now, &p).is_err());
        let demo = [(ActivityKind::Demo, t0() + Duration::days(30))];
        let (until, d) = renew(&f, &demo, now, &p).unwrap();
        assert_eq!(until, t0() + Duration::days(180));
        assert_eq!(d.rule, "registration.renewed");
    }

    #[test]
    fn the_second_renewal_is_refused_with_the_reason() {
        let p = RegistrationPolicy::default();
        let f = Facts {
            renewals: 1,
            expires_at: Some(t0() + Duration::days(180)),
            ..approved(t0())
        };
        let activity = [(ActivityKind::Call, t0() + Duration::days(100))];
        let err = renew(&f, &activity, t0() + Duration::days(170), &p).unwrap_err();
        assert_eq!(err.rule, "registration.renewal_limit");
        assert!(err.reason.contains("1 time(s)"));
        // With two renewals allowed, the second period's activity counts.
        let two = RegistrationPolicy {
            max_renewals: 2,
            ..p
        };
        assert!(renew(&f, &activity, t0() + Duration::days(170), &two).is_ok());
        let old_period = [(ActivityKind::Call, t0() + Duration::days(50))];
        assert!(
            renew(&f, &old_period, t0() + Duration::days(170), &two).is_err(),
            "activity from the first period does not renew the second"
        );
    }

    #[test]
    fn no_renewal_while_the_sla_is_missed() {
        let p = RegistrationPolicy::default();
        let f = Facts {
            sla_missed_at: Some(t0() + Duration::days(20)),
            ..approved(t0())
        };
        let act = [(ActivityKind::Call, t0() + Duration::days(1))];
        assert_eq!(
            renew(&f, &act, t0() + Duration::days(80), &p)
                .unwrap_err()
                .rule,
            "registration.renew_sla_missed"
        );
    }

    #[test]
    fn no_renewal_after_expiry_or_before_approval() {
        let p = RegistrationPolicy::default();
        let f = approved(t0());
        let act = [(ActivityKind::Call, t0() + Duration::days(1))];
        assert_eq!(
            renew(&f, &act, t0() + Duration::days(90), &p)
                .unwrap_err()
                .rule,
            "registration.renew_not_active"
        );
        let pending = Facts {
            status: RegistrationStatus::Pending,
            approved_at: None,
            expires_at: None,
            ..f
        };
        assert!(renew(&pending, &act, t0(), &p).is_err());
    }

    #[test]
    fn engagement_is_auto_granted_only_after_a_missed_sla() {
        let p = RegistrationPolicy::default();
        let f = approved(t0());
        assert_eq!(
            engagement(&f, t0() + Duration::days(3), &p).outcome,
            "pending"
        );
        let d = engagement(&f, t0() + Duration::days(15), &p);
        assert_eq!(
            (d.rule.as_str(), d.outcome.as_str()),
            ("engagement.partner_missed_sla", "auto_granted")
        );
    }

    #[test]
    fn auto_approval_by_tier_and_amount() {
        let p = RegistrationPolicy {
            auto_approve: vec![AutoApprove {
                min_tier_rank: 2,
                max_amount_minor: 5_000_000,
            }],
            ..Default::default()
        };
        assert!(auto_approval(2, 5_000_000, &p).is_some());
        assert!(auto_approval(3, 1, &p).is_some());
        assert!(auto_approval(1, 1, &p).is_none());
        assert!(auto_approval(2, 5_000_001, &p).is_none());
        assert!(auto_approval(3, 1, &RegistrationPolicy::default()).is_none());
    }

    #[test]
    fn conflicts_escalate_a_level_past_their_business_day_deadline() {
        let p = RegistrationPolicy::default();
        // Opened Friday 2026-11-20 10:00: due five business days later, Friday 27.
        let opened = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let due = conflict_due(opened, &p);
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap());
        assert!(
            escalation(0, due, due, &p).is_none(),
            "on the deadline it is not late yet"
        );
        let late = due + Duration::minutes(1);
        let (level, new_due, d) = escalation(0, due, late, &p).unwrap();
        assert_eq!(level, 1);
        assert!(new_due > late);
        assert!(d.reason.contains("Channel manager to Head of channel"));
        assert!(
            escalation(2, due, late, &p).is_none(),
            "the top level stays"
        );
    }

    #[test]
    fn direct_activity_within_the_lookback_is_a_conflict() {
        let p = RegistrationPolicy::default();
        let now = t0() + Duration::days(100);
        assert!(direct_engagement_conflict(Some(now - Duration::days(60)), now, &p).is_some());
        assert!(direct_engagement_conflict(Some(now - Duration::days(61)), now, &p).is_none());
        assert!(direct_engagement_conflict(None, now, &p).is_none());
    }
}
