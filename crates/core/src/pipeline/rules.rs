//! The stage rules: moving along the path, closing won or lost, reopening, and cycle time per
//! stage from the stage history. Each returns a [`Decision`] naming its rule, for a move that
//! happens (`Ok`) and for one that is refused (`Err`), so the API, the UI and the audit trail
//! show the same sentence. None reads a clock: dates and times come in.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Decision, Stage};
use crate::kernel::ids::UserId;
use crate::policy::ProgramPolicy;

/// Longest reopen reason, in characters.
pub const MAX_REOPEN_REASON_CHARS: usize = 2000;

/// One recorded stage change: from where (none when the opportunity was created), to where,
/// when and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageChange {
    pub from: Option<Stage>,
    pub to: Stage,
    pub at: DateTime<Utc>,
    pub actor_id: UserId,
}

fn refuse(policy: &ProgramPolicy, rule: &str, reason: String) -> Decision {
    Decision::new(rule, "refused", reason, policy.version())
}

fn percent(bp: u32) -> String {
    if bp.is_multiple_of(100) {
        format!("{}%", bp / 100)
    } else {
        format!("{}.{:02}%", bp / 100, bp % 100)
    }
}

/// A stage as people read it in a reason: label, key and probability.
fn describe(stage: &Stage, policy: &ProgramPolicy) -> String {
    let p = &policy.pipeline;
    match stage.probability_bp(p) {
        Some(bp) => format!("{} ({}, {})", stage.label(p), stage.as_str(), percent(bp)),
        None => format!("{} (no longer in the policy)", stage.as_str()),
    }
}

/// Nothing moves once closed, except through [`reopen`].
fn refuse_if_closed(current: &Stage, policy: &ProgramPolicy) -> Result<(), Decision> {
    if current.is_closed() {
        return Err(refuse(
            policy,
            "opportunity.closed",
            format!(
                "the opportunity is {}: a closed opportunity does not move; reopen it \
                 explicitly, with a reason, to change it",
                current.label(&policy.pipeline).to_lowercase()
            ),
        ));
    }
    Ok(())
}

/// The open stage `to` names, or the refusal naming the allowed stages.
fn open_target(to: &str, policy: &ProgramPolicy) -> Result<Stage, Decision> {
    let to = to.trim();
    if let Some(s) = policy.pipeline.stage(to) {
        return Ok(Stage::Open(s.key.clone()));
    }
    let allowed: Vec<&str> = policy
        .pipeline
        .stages
        .iter()
        .map(|s| s.key.as_str())
        .collect();
    let rule = if to == super::policy::WON || to == super::policy::LOST {
        "opportunity.close_not_a_move"
    } else {
        "opportunity.unknown_stage"
    };
    Err(refuse(
        policy,
        rule,
        format!(
            "\"{to}\" is not an open stage of the program; move to one of: {} (close as won or \
             lost with its own action, which needs a close date)",
            allowed.join(", ")
        ),
    ))
}

/// Moving an open opportunity to another open stage. Any direction is allowed (a deal can
/// fall back a step) and recorded; closing is not a move.
pub fn move_stage(
    current: &Stage,
    to: &str,
    policy: &ProgramPolicy,
) -> Result<(Stage, Decision), Decision> {
    refuse_if_closed(current, policy)?;
    let target = open_target(to, policy)?;
    if &target == current {
        return Err(refuse(
            policy,
            "opportunity.same_stage",
            format!(
                "the opportunity is already at {}",
                describe(current, policy)
            ),
        ));
    }
    let p = &policy.pipeline;
    let direction = match (p.position(current.as_str()), p.position(target.as_str())) {
        (Some(a), Some(b)) if b < a => "back",
        _ => "forward",
    };
    let reason = format!(
        "moved {direction} from {} to {}",
        describe(current, policy),
        describe(&target, policy)
    );
    Ok((
        target,
        Decision::new("opportunity.stage_moved", "moved", reason, policy.version()),
    ))
}

/// The close date: required, and not after `today` (a deal cannot have closed tomorrow).
fn close_date(
    close_date: Option<NaiveDate>,
    today: NaiveDate,
    policy: &ProgramPolicy,
) -> Result<NaiveDate, Decision> {
    match close_date {
        None => Err(refuse(
            policy,
            "opportunity.close_date_required",
            "closing needs a close date: the day the deal was won or lost".to_owned(),
        )),
        Some(d) if d > today => Err(refuse(
            policy,
            "opportunity.close_date_future",
            format!(
                "the close date {d} is after today ({today}); a deal closes on or before today"
            ),
        )),
        Some(d) => Ok(d),
    }
}

/// Closing won on `close_on` (required, not after `today`).
pub fn close_won(
    current: &Stage,
    close_on: Option<NaiveDate>,
    today: NaiveDate,
    policy: &ProgramPolicy,
) -> Result<(Stage, NaiveDate, Decision), Decision> {
    refuse_if_closed(current, policy)?;
    let d = close_date(close_on, today, policy)?;
    let reason = format!("closed won on {d} from {}", describe(current, policy));
    Ok((
        Stage::Won,
        d,
        Decision::new("opportunity.closed_won", "won", reason, policy.version()),
    ))
}

/// Closing lost on `close_on` with a reason from the policy's list (matched ignoring case;
/// the listed spelling is what is returned and stored).
pub fn close_lost(
    current: &Stage,
    close_on: Option<NaiveDate>,
    lost_reason: Option<&str>,
    today: NaiveDate,
    policy: &ProgramPolicy,
) -> Result<(Stage, NaiveDate, String, Decision), Decision> {
    refuse_if_closed(current, policy)?;
    let d = close_date(close_on, today, policy)?;
    let listed = policy.pipeline.lost_reasons.join("; ");
    let raw = lost_reason.map(str::trim).filter(|r| !r.is_empty());
    let Some(raw) = raw else {
        return Err(refuse(
            policy,
            "opportunity.lost_reason_required",
            format!("closing lost needs a reason from the program's list: {listed}"),
        ));
    };
    let Some(reason) = policy.pipeline.lost_reason(raw) else {
        return Err(refuse(
            policy,
            "opportunity.lost_reason_unknown",
            format!("\"{raw}\" is not one of the program's lost reasons: {listed}"),
        ));
    };
    let text = format!(
        "closed lost on {d} from {}: {reason}",
        describe(current, policy)
    );
    Ok((
        Stage::Lost,
        d,
        reason.to_owned(),
        Decision::new("opportunity.closed_lost", "lost", text, policy.version()),
    ))
}

/// Reopening a closed opportunity into an open stage: explicit, with a reason (audited).
pub fn reopen(
    current: &Stage,
    to: &str,
    reason: Option<&str>,
    policy: &ProgramPolicy,
) -> Result<(Stage, Decision), Decision> {
    if !current.is_closed() {
        return Err(refuse(
            policy,
            "opportunity.not_closed",
            format!(
                "only a closed opportunity can be reopened; this one is open at {}",
                describe(current, policy)
            ),
        ));
    }
    let why = reason.map(str::trim).filter(|r| !r.is_empty());
    let Some(why) = why else {
        return Err(refuse(
            policy,
            "opportunity.reopen_reason_required",
            "reopening a closed opportunity needs a reason, which the audit trail keeps".to_owned(),
        ));
    };
    if why.chars().count() > MAX_REOPEN_REASON_CHARS {
        return Err(refuse(
            policy,
            "opportunity.reopen_reason_too_long",
            format!("the reopen reason must be at most {MAX_REOPEN_REASON_CHARS} characters"),
        ));
    }
    let target = open_target(to, policy)?;
    let text = format!(
        "reopened from {} to {}: {why}",
        current.label(&policy.pipeline).to_lowercase(),
        describe(&target, policy)
    );
    Ok((
        target,
        Decision::new("opportunity.reopened", "reopened", text, policy.version()),
    ))
}

/// Time spent in each stage, from the stage history (in any order; it is sorted by time),
/// summed over repeat visits, in order of first visit. The last open stage counts until
/// `now`; time in `won`/`lost` is not a cycle time and is left out. Time before the first
/// entry is unknown and not counted; a negative span (clock skew) counts as zero.
pub fn cycle_time_per_stage(history: &[StageChange], now: DateTime<Utc>) -> Vec<(Stage, Duration)> {
    let mut sorted: Vec<&StageChange> = history.iter().collect();
    sorted.sort_by_key(|c| c.at);
    let mut order: Vec<Stage> = Vec::new();
    let mut totals: HashMap<Stage, Duration> = HashMap::new();
    for (i, change) in sorted.iter().enumerate() {
        if change.to.is_closed() {
            continue;
        }
        let until = sorted.get(i + 1).map_or(now, |next| next.at);
        let span = (until - change.at).max(Duration::zero());
        if !totals.contains_key(&change.to) {
            order.push(change.to.clone());
        }
        *totals
            .entry(change.to.clone())
            .or_insert_with(Duration::zero) += span;
    }
    order
        .into_iter()
        .map(|s| {
            let d = totals.get(&s).copied().unwrap_or_else(Duration::zero);
            (s, d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::EntityId;
    use chrono::TimeZone;

    fn policy() -> ProgramPolicy {
        let mut p = ProgramPolicy::seed_default();
        p.registration.version = 7;
        p
    }

    fn open(key: &str) -> Stage {
        Stage::Open(key.to_owned())
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    fn actor() -> UserId {
        UserId::from_trusted("usr_1".into())
    }

    #[test]
    fn moves_between_open_stages_in_either_direction() {
        let p = policy();
        let (s, d) = move_stage(&open("target_account"), "commercial_offer", &p).unwrap();
        assert_eq!(s, open("commercial_offer"));
        assert_eq!(
            (d.rule.as_str(), d.outcome.as_str()),
            ("opportunity.stage_moved", "moved")
        );
        assert_eq!(d.policy_version, 7);
        assert!(
            d.reason
                .starts_with("moved forward from Target account (target_account, 5%)"),
            "{}",
            d.reason
        );
        let (s, d) = move_stage(&open("handoff"), " first_conversation ", &p).unwrap();
        assert_eq!(s, open("first_conversation"));
        assert!(
            d.reason.starts_with("moved back from Handoff"),
            "{}",
            d.reason
        );
        assert!(
            d.reason
                .ends_with("First conversation (first_conversation, 15%)"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn a_move_names_unknown_stages_same_stage_and_closing() {
        let p = policy();
        let e = move_stage(&open("handoff"), "negotiation", &p).unwrap_err();
        assert_eq!(
            (e.rule.as_str(), e.outcome.as_str()),
            ("opportunity.unknown_stage", "refused")
        );
        assert!(
            e.reason
                .contains("target_account, first_conversation, commercial_offer, handoff"),
            "{}",
            e.reason
        );
        let e = move_stage(&open("handoff"), "handoff", &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.same_stage");
        let e = move_stage(&open("handoff"), "won", &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.close_not_a_move");
    }

    #[test]
    fn nothing_moves_after_close() {
        let p = policy();
        for closed in [Stage::Won, Stage::Lost] {
            let e = move_stage(&closed, "handoff", &p).unwrap_err();
            assert_eq!(e.rule, "opportunity.closed");
            let e = close_won(&closed, Some(date(2026, 3, 1)), date(2026, 3, 2), &p).unwrap_err();
            assert_eq!(e.rule, "opportunity.closed");
            let e = close_lost(
                &closed,
                Some(date(2026, 3, 1)),
                Some("timing"),
                date(2026, 3, 2),
                &p,
            )
            .unwrap_err();
            assert_eq!(e.rule, "opportunity.closed");
        }
    }

    #[test]
    fn closing_needs_a_close_date_not_after_today() {
        let p = policy();
        let today = date(2026, 1, 31);
        let e = close_won(&open("handoff"), None, today, &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.close_date_required");
        let e = close_won(&open("handoff"), Some(date(2026, 2, 1)), today, &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.close_date_future");
        let (s, d, dec) = close_won(&open("handoff"), Some(today), today, &p).unwrap();
        assert_eq!((s, d), (Stage::Won, today));
        assert_eq!(
            (dec.rule.as_str(), dec.outcome.as_str()),
            ("opportunity.closed_won", "won")
        );
        let e = close_lost(&open("handoff"), None, Some("timing"), today, &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.close_date_required");
    }

    #[test]
    fn a_lost_reason_must_be_in_the_list() {
        let p = policy();
        let today = date(2026, 3, 2);
        let close = Some(date(2026, 3, 1));
        let e = close_lost(&open("commercial_offer"), close, None, today, &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.lost_reason_required");
        let e = close_lost(&open("commercial_offer"), close, Some("  "), today, &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.lost_reason_required");
        let e = close_lost(
            &open("commercial_offer"),
            close,
            Some("bad luck"),
            today,
            &p,
        )
        .unwrap_err();
        assert_eq!(e.rule, "opportunity.lost_reason_unknown");
        assert!(
            e.reason.contains("no budget; lost to competitor"),
            "{}",
            e.reason
        );
        let (s, _, reason, dec) = close_lost(
            &open("commercial_offer"),
            close,
            Some("Lost To Competitor"),
            today,
            &p,
        )
        .unwrap();
        assert_eq!((s, reason.as_str()), (Stage::Lost, "lost to competitor"));
        assert_eq!(dec.rule, "opportunity.closed_lost");
        assert!(
            dec.reason.ends_with(": lost to competitor"),
            "{}",
            dec.reason
        );
    }

    #[test]
    fn reopening_is_explicit_and_needs_a_reason() {
        let p = policy();
        let e = reopen(&open("handoff"), "handoff", Some("why"), &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.not_closed");
        let e = reopen(&Stage::Lost, "handoff", None, &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.reopen_reason_required");
        let e = reopen(&Stage::Lost, "handoff", Some(" \t"), &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.reopen_reason_required");
        let long = "x".repeat(MAX_REOPEN_REASON_CHARS + 1);
        let e = reopen(&Stage::Won, "handoff", Some(&long), &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.reopen_reason_too_long");
        let e = reopen(&Stage::Won, "lost", Some("customer came back"), &p).unwrap_err();
        assert_eq!(e.rule, "opportunity.close_not_a_move");
        let (s, d) = reopen(&Stage::Lost, "commercial_offer", Some("budget found"), &p).unwrap();
        assert_eq!(s, open("commercial_offer"));
        assert_eq!(
            (d.rule.as_str(), d.outcome.as_str()),
            ("opportunity.reopened", "reopened")
        );
        assert!(d.reason.ends_with(": budget found"), "{}", d.reason);
    }

    #[test]
    fn stage_history_round_trips_as_text_keys() {
        let c = StageChange {
            from: None,
            to: Stage::Won,
            at: at(1, 9),
            actor_id: actor(),
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"from\":null,\"to\":\"won\""), "{json}");
        assert_eq!(serde_json::from_str::<StageChange>(&json).unwrap(), c);
    }

    #[test]
    fn cycle_time_sums_repeat_visits_and_stops_at_close() {
        let ch = |from: Option<&str>, to: &str, t: DateTime<Utc>| StageChange {
            from: from.map(|f| Stage::from(f.to_owned())),
            to: Stage::from(to.to_owned()),
            at: t,
            actor_id: actor(),
        };
        // Given out of order on purpose: the history is sorted by time.
        let history = vec![
            ch(Some("first_conversation"), "target_account", at(3, 0)),
            ch(None, "target_account", at(1, 0)),
            ch(Some("target_account"), "first_conversation", at(2, 0)),
            ch(Some("target_account"), "first_conversation", at(5, 0)),
            ch(Some("first_conversation"), "won", at(6, 12)),
        ];
        let times = cycle_time_per_stage(&history, at(20, 0));
        assert_eq!(
            times,
            [
                (open("target_account"), Duration::days(3)),
                (
                    open("first_conversation"),
                    Duration::days(2) + Duration::hours(12)
                ),
            ]
        );
        // Still open: the current stage counts until now.
        let times = cycle_time_per_stage(&history[..4], at(7, 0));
        assert_eq!(times[1], (open("first_conversation"), Duration::days(3)));
        // Now before the last change (clock skew) counts as zero, never negative.
        let times = cycle_time_per_stage(&history[1..2], at(1, 0) - Duration::hours(1));
        assert_eq!(times, [(open("target_account"), Duration::zero())]);
        assert!(cycle_time_per_stage(&[], at(1, 0)).is_empty());
    }
}
