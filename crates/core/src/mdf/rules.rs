//! The states of MDF requests and claims, every move between them, the claim deadline, and
//! the balance arithmetic. Each move returns the new state and how much of the allocation
//! it releases (never a negative amount), or a [`Refused`] naming the rule and the figures.
//!
//! Request: `submitted` → `approved` (all or part of the planned cost, within the
//! approver's limit) | `rejected` | `cancelled` (by the partner); `approved` → `claimed`
//! (a claim was submitted) | `cancelled`. Claim: `submitted` → `approved` (all or part of
//! the claimed amount) | `rejected`; `approved` → `paid`.

use chrono::{Days, NaiveDate};

use super::policy::{Authority, MdfPolicy};
use crate::money::{Currency, Money};
use crate::text_enum;
use crate::user::Role;

text_enum!(
    /// What a request funds.
    ActivityType {
        Event = "event" / "Event",
        Campaign = "campaign" / "Campaign",
        Content = "content" / "Content",
        PaidMedia = "paid_media" / "Paid media",
    }
);

text_enum!(
    /// Where a request stands.
    RequestState {
        Submitted = "submitted" / "Submitted",
        Approved = "approved" / "Approved",
        Rejected = "rejected" / "Rejected",
        Cancelled = "cancelled" / "Cancelled",
        Claimed = "claimed" / "Claimed",
    }
);

text_enum!(
    /// Where a claim stands.
    ClaimState {
        Submitted = "submitted" / "Submitted",
        Approved = "approved" / "Approved",
        Rejected = "rejected" / "Rejected",
        Paid = "paid" / "Paid",
    }
);

/// Longest decision reason and payment reference, in characters.
pub const MAX_REASON_CHARS: usize = 2000;
pub const MAX_REFERENCE_CHARS: usize = 120;

/// Why a move was refused: the rule and a sentence with the figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub rule: &'static str,
    pub reason: String,
}

fn refused(rule: &'static str, reason: impl Into<String>) -> Refused {
    Refused {
        rule,
        reason: reason.into(),
    }
}

/// A move's outcome: the new state and the minor units it gives back to the allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved<S> {
    pub to: S,
    pub release_minor: i64,
    /// What stays committed against the allocation after the move.
    pub committed_minor: i64,
}

/// Takes `amount` from a balance of `remaining`: the new remaining balance, or
/// `rule` refused naming what is left. The store applies the same condition in its
/// `UPDATE … WHERE remaining_minor >= $amount`.
pub fn debit(
    remaining: i64,
    amount: i64,
    currency: Currency,
    rule: &'static str,
) -> Result<i64, Refused> {
    if amount <= remaining {
        Ok(remaining - amount)
    } else {
        Err(exceeded(rule, remaining, amount, currency))
    }
}

/// The refusal of a debit beyond the balance, naming the remaining balance.
pub fn exceeded(rule: &'static str, remaining: i64, amount: i64, currency: Currency) -> Refused {
    let what = if rule == "mdf.budget_exceeded" {
        "budget"
    } else {
        "allocation"
    };
    refused(
        rule,
        format!(
            "{} exceeds what remains of the {what}: {} remaining",
            Money::new(amount, currency),
            Money::new(remaining, currency)
        ),
    )
}

/// Whether an allocation expiring on `expires_on` may fund a request submitted on `today`
/// (the expiry day still may).
pub fn may_fund(expires_on: NaiveDate, today: NaiveDate) -> Result<(), Refused> {
    if today <= expires_on {
        Ok(())
    } else {
        Err(refused(
            "mdf.allocation_expired",
            format!("the allocation expired on {expires_on}; it cannot fund new requests"),
        ))
    }
}

/// Whether a request may fund a campaign: it must be approved (or already claimed: the
/// campaign may outlive the claim) and fund marketing that takes leads, not an event.
pub fn may_fund_campaign(state: RequestState, activity: ActivityType) -> Result<(), Refused> {
    if !matches!(state, RequestState::Approved | RequestState::Claimed) {
        return Err(refused(
            "mdf.request_not_approved",
            format!(
                "the MDF request is {}; only an approved request funds a campaign",
                state.as_str()
            ),
        ));
    }
    if activity == ActivityType::Event {
        return Err(refused(
            "mdf.not_a_campaign_activity",
            "the MDF request funds an event; a campaign is funded by a campaign, content or paid media request",
        ));
    }
    Ok(())
}

/// The last day a claim for an activity ending on `ends_on` may be submitted.
pub fn claim_deadline(ends_on: NaiveDate, policy: &MdfPolicy) -> NaiveDate {
    ends_on
        .checked_add_days(Days::new(u64::from(policy.claim_deadline_days)))
        .unwrap_or(NaiveDate::MAX)
}

/// Staff approve a submitted request for `amount` (at most the planned cost, at most the
/// approver's limit); the rest of the planned cost is released.
pub fn approve_request(
    state: RequestState,
    committed: i64,
    amount: i64,
    role: Role,
    policy: &MdfPolicy,
    currency: Currency,
) -> Result<Moved<RequestState>, Refused> {
    if state != RequestState::Submitted {
        return Err(not_in("request", state.as_str(), "approved", "submitted"));
    }
    if amount <= 0 || amount > committed {
        return Err(refused(
            "mdf.approve_amount",
            format!(
                "the approved amount must be more than 0 and at most the planned cost, {}; got {}",
                Money::new(committed, currency),
                Money::new(amount, currency)
            ),
        ));
    }
    match policy.authority(role) {
        Authority::None => {
            return Err(refused(
                "mdf.approval_limit",
                format!(
                    "the {} role has no MDF approval limit in the program policy, so it may not approve requests",
                    role.label()
                ),
            ));
        }
        Authority::UpTo(limit) if amount > limit => {
            return Err(refused(
                "mdf.approval_limit",
                format!(
                    "{} is above the {} role's approval limit of {}; someone with a higher limit must approve it",
                    Money::new(amount, currency),
                    role.label(),
                    Money::new(limit, currency)
                ),
            ));
        }
        _ => {}
    }
    Ok(Moved {
        to: RequestState::Approved,
        release_minor: committed - amount,
        committed_minor: amount,
    })
}

/// Staff reject a submitted request: everything committed is released.
pub fn reject_request(state: RequestState, committed: i64) -> Result<Moved<RequestState>, Refused> {
    if state != RequestState::Submitted {
        return Err(not_in("request", state.as_str(), "rejected", "submitted"));
    }
    Ok(Moved {
        to: RequestState::Rejected,
        release_minor: committed,
        committed_minor: 0,
    })
}

/// The partner cancels a request not yet claimed: everything committed is released.
pub fn cancel_request(state: RequestState, committed: i64) -> Result<Moved<RequestState>, Refused> {
    if !matches!(state, RequestState::Submitted | RequestState::Approved) {
        return Err(not_in(
            "request",
            state.as_str(),
            "cancelled",
            "submitted or approved",
        ));
    }
    Ok(Moved {
        to: RequestState::Cancelled,
        release_minor: committed,
        committed_minor: 0,
    })
}

/// The partner claims `claimed` on an approved request on `today`: at most the approved
/// amount, by the claim deadline (that day included). Nothing is released until the claim
/// is decided.
pub fn submit_claim(
    state: RequestState,
    approved: i64,
    claimed: i64,
    ends_on: NaiveDate,
    today: NaiveDate,
    policy: &MdfPolicy,
    currency: Currency,
) -> Result<Moved<RequestState>, Refused> {
    if state != RequestState::Approved {
        return Err(not_in("request", state.as_str(), "claimed", "approved"));
    }
    if claimed <= 0 || claimed > approved {
        return Err(refused(
            "mdf.claim_above_approved",
            format!(
                "the claimed amount must be more than 0 and at most the approved {}; got {}",
                Money::new(approved, currency),
                Money::new(claimed, currency)
            ),
        ));
    }
    let deadline = claim_deadline(ends_on, policy);
    if today > deadline {
        return Err(refused(
            "mdf.claim_deadline_passed",
            format!(
                "claims for this activity were due by {deadline} ({} days after it ended on {ends_on})",
                policy.claim_deadline_days
            ),
        ));
    }
    Ok(Moved {
        to: RequestState::Claimed,
        release_minor: 0,
        committed_minor: approved,
    })
}

/// Staff approve a submitted claim for `amount` (at most what was claimed); what the
/// request still commits beyond it is released. A lower amount needs a reason (checked by
/// the caller's input parsing, which names the field).
pub fn approve_claim(
    state: ClaimState,
    committed: i64,
    claimed: i64,
    amount: i64,
    currency: Currency,
) -> Result<Moved<ClaimState>, Refused> {
    if state != ClaimState::Submitted {
        return Err(not_in("claim", state.as_str(), "approved", "submitted"));
    }
    if amount <= 0 || amount > claimed {
        return Err(refused(
            "mdf.claim_approve_amount",
            format!(
                "the approved amount must be more than 0 and at most the claimed {}; got {}",
                Money::new(claimed, currency),
                Money::new(amount, currency)
            ),
        ));
    }
    Ok(Moved {
        to: ClaimState::Approved,
        release_minor: committed - amount,
        committed_minor: amount,
    })
}

/// Staff reject a submitted claim: everything the request commits is released.
pub fn reject_claim(state: ClaimState, committed: i64) -> Result<Moved<ClaimState>, Refused> {
    if state != ClaimState::Submitted {
        return Err(not_in("claim", state.as_str(), "rejected", "submitted"));
    }
    Ok(Moved {
        to: ClaimState::Rejected,
        release_minor: committed,
        committed_minor: 0,
    })
}

/// Finance marks an approved claim paid; the money stays committed (it is spent).
pub fn pay_claim(state: ClaimState, committed: i64) -> Result<Moved<ClaimState>, Refused> {
    if state != ClaimState::Approved {
        return Err(not_in("claim", state.as_str(), "paid", "approved"));
    }
    Ok(Moved {
        to: ClaimState::Paid,
        release_minor: 0,
        committed_minor: committed,
    })
}

fn not_in(what: &str, state: &str, to: &str, from: &str) -> Refused {
    refused(
        "mdf.state",
        format!("a {what} that is {state} cannot be {to}; only a {what} that is {from} can"),
    )
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    #[test]
    fn only_an_approved_marketing_request_funds_a_campaign() {
        use ActivityType::*;
        use RequestState::*;
        for state in [Approved, Claimed] {
            for activity in [Campaign, Content, PaidMedia] {
                assert_eq!(may_fund_campaign(state, activity), Ok(()));
            }
            assert_eq!(
                may_fund_campaign(state, Event).unwrap_err().rule,
                "mdf.not_a_campaign_activity"
            );
        }
        for state in [Submitted, Rejected, Cancelled] {
            assert_eq!(
                may_fund_campaign(state, Campaign).unwrap_err().rule,
                "mdf.request_not_approved"
            );
        }
    }

    use super::*;

    fn usd() -> Currency {
        Currency::USD
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn policy() -> MdfPolicy {
        MdfPolicy::default()
    }

    #[test]
    fn debit_takes_exactly_what_remains_and_not_a_unit_more() {
        assert_eq!(debit(500, 500, usd(), "mdf.allocation_exceeded"), Ok(0));
        let r = debit(500, 501, usd(), "mdf.allocation_exceeded").unwrap_err();
        assert_eq!(r.rule, "mdf.allocation_exceeded");
        assert!(r.reason.contains("USD 5.00 remaining"), "{}", r.reason);
        let r = debit(0, 1, usd(), "mdf.budget_exceeded").unwrap_err();
        assert!(r.reason.contains("budget"), "{}", r.reason);
    }

    #[test]
    fn an_allocation_funds_through_its_expiry_day() {
        assert!(may_fund(day("2026-12-31"), day("2026-12-31")).is_ok());
        assert_eq!(
            may_fund(day("2026-12-31"), day("2027-01-01"))
                .unwrap_err()
                .rule,
            "mdf.allocation_expired"
        );
    }

    #[test]
    fn approval_within_the_limit_releases_the_rest() {
        let m = approve_request(
            RequestState::Submitted,
            8_000_00,
            6_000_00,
            Role::ChannelManager,
            &policy(),
            usd(),
        )
        .unwrap();
        assert_eq!(
            m,
            Moved {
                to: RequestState::Approved,
                release_minor: 2_000_00,
                committed_minor: 6_000_00
            }
        );
    }

    #[test]
    fn approval_exactly_at_the_limit_passes_and_one_unit_above_does_not() {
        let at = approve_request(
            RequestState::Submitted,
            20_000_00,
            10_000_00,
            Role::ChannelManager,
            &policy(),
            usd(),
        );
        assert!(at.is_ok());
        let above = approve_request(
            RequestState::Submitted,
            20_000_00,
            10_000_01,
            Role::ChannelManager,
            &policy(),
            usd(),
        )
        .unwrap_err();
        assert_eq!(above.rule, "mdf.approval_limit");
        assert!(above.reason.contains("USD 10,000.00"), "{}", above.reason);
        // The unlimited role approves it; a role without a row approves nothing.
        assert!(
            approve_request(
                RequestState::Submitted,
                20_000_00,
                20_000_00,
                Role::Admin,
                &policy(),
                usd()
            )
            .is_ok()
        );
        assert_eq!(
            approve_request(
                RequestState::Submitted,
                1,
                1,
                Role::DirectSales,
                &policy(),
                usd()
            )
            .unwrap_err()
            .rule,
            "mdf.approval_limit"
        );
    }

    #[test]
    fn approval_above_the_plan_or_of_nothing_is_refused() {
        for amount in [0, -1, 8_000_01] {
            assert_eq!(
                approve_request(
                    RequestState::Submitted,
                    8_000_00,
                    amount,
                    Role::Admin,
                    &policy(),
                    usd()
                )
                .unwrap_err()
                .rule,
                "mdf.approve_amount"
            );
        }
    }

    #[test]
    fn only_a_submitted_request_is_decided() {
        for s in [
            RequestState::Approved,
            RequestState::Rejected,
            RequestState::Cancelled,
            RequestState::Claimed,
        ] {
            assert_eq!(
                approve_request(s, 1, 1, Role::Admin, &policy(), usd())
                    .unwrap_err()
                    .rule,
                "mdf.state"
            );
            assert_eq!(reject_request(s, 1).unwrap_err().rule, "mdf.state");
        }
        assert_eq!(
            reject_request(RequestState::Submitted, 700),
            Ok(Moved {
                to: RequestState::Rejected,
                release_minor: 700,
                committed_minor: 0
            })
        );
    }

    #[test]
    fn a_request_is_cancelled_before_its_claim_only() {
        for s in [RequestState::Submitted, RequestState::Approved] {
            assert_eq!(cancel_request(s, 300).unwrap().release_minor, 300);
        }
        for s in [
            RequestState::Rejected,
            RequestState::Cancelled,
            RequestState::Claimed,
        ] {
            assert_eq!(cancel_request(s, 300).unwrap_err().rule, "mdf.state");
        }
    }

    #[test]
    fn a_claim_on_the_deadline_day_is_taken_and_the_day_after_is_not() {
        let ends = day("2026-10-01");
        assert_eq!(claim_deadline(ends, &policy()), day("2026-10-31"));
        let on = submit_claim(
            RequestState::Approved,
            5_000_00,
            5_000_00,
            ends,
            day("2026-10-31"),
            &policy(),
            usd(),
        )
        .unwrap();
        assert_eq!(on.to, RequestState::Claimed);
        assert_eq!(on.release_minor, 0);
        let after = submit_claim(
            RequestState::Approved,
            5_000_00,
            5_000_00,
            ends,
            day("2026-11-01"),
            &policy(),
            usd(),
        )
        .unwrap_err();
        assert_eq!(after.rule, "mdf.claim_deadline_passed");
        assert!(after.reason.contains("2026-10-31"), "{}", after.reason);
    }

    #[test]
    fn a_claim_is_at_most_the_approved_amount_on_an_approved_request() {
        let ends = day("2026-10-01");
        let today = day("2026-10-02");
        assert_eq!(
            submit_claim(
                RequestState::Approved,
                5_000_00,
                5_000_01,
                ends,
                today,
                &policy(),
                usd()
            )
            .unwrap_err()
            .rule,
            "mdf.claim_above_approved"
        );
        for s in [
            RequestState::Submitted,
            RequestState::Rejected,
            RequestState::Cancelled,
            RequestState::Claimed,
        ] {
            assert_eq!(
                submit_claim(s, 1, 1, ends, today, &policy(), usd())
                    .unwrap_err()
                    .rule,
                "mdf.state"
            );
        }
    }

    #[test]
    fn claims_are_approved_lower_rejected_and_paid_in_order() {
        let lower =
            approve_claim(ClaimState::Submitted, 5_000_00, 4_000_00, 3_000_00, usd()).unwrap();
        assert_eq!(
            lower,
            Moved {
                to: ClaimState::Approved,
                release_minor: 2_000_00,
                committed_minor: 3_000_00
            }
        );
        assert_eq!(
            approve_claim(ClaimState::Submitted, 5_000_00, 4_000_00, 4_000_01, usd())
                .unwrap_err()
                .rule,
            "mdf.claim_approve_amount"
        );
        assert_eq!(
            reject_claim(ClaimState::Submitted, 5_000_00).unwrap(),
            Moved {
                to: ClaimState::Rejected,
                release_minor: 5_000_00,
                committed_minor: 0
            }
        );
        assert_eq!(
            pay_claim(ClaimState::Approved, 3_000_00).unwrap(),
            Moved {
                to: ClaimState::Paid,
                release_minor: 0,
                committed_minor: 3_000_00
            }
        );
        for s in [ClaimState::Approved, ClaimState::Rejected, ClaimState::Paid] {
            assert_eq!(
                approve_claim(s, 1, 1, 1, usd()).unwrap_err().rule,
                "mdf.state"
            );
            assert_eq!(reject_claim(s, 1).unwrap_err().rule, "mdf.state");
        }
        for s in [
            ClaimState::Submitted,
            ClaimState::Rejected,
            ClaimState::Paid,
        ] {
            assert_eq!(pay_claim(s, 1).unwrap_err().rule, "mdf.state");
        }
    }
}
