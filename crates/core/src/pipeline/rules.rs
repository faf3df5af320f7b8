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
