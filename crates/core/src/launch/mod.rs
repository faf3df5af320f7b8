//! Co-marketing launch checklists (seed 003 §7): templates of tasks in three phases
//! (pre-launch 4–6 weeks before, launch week, post-launch weeks 2–8) whose due dates are
//! offsets from a launch date, and launches that instantiate one for a partnership charter
//! or a campaign. "Treating launch as finish line" is the seed's warning: the post-launch
//! phase (adoption, support, iteration) is part of every checklist.
//!
//! What is decided here: which offsets fit which phase, the concrete due day of a task (a
//! weekend moves to the Friday before), what rescheduling moves (only tasks still to do),
//! the status rules (a skip needs its reason), progress per phase, what is overdue, and
//! the built-in seed checklist.

pub mod record;

use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use serde::Serialize;

use crate::FieldError;
use crate::text_enum;

text_enum!(
    /// The phase of a launch a task belongs to.
    LaunchPhase {
        PreLaunch = "pre_launch" / "Pre-launch",
        LaunchWeek = "launch_week" / "Launch week",
        PostLaunch = "post_launch" / "Post-launch",
    }
);

impl LaunchPhase {
    /// The due offsets (days from the launch date) a task of this phase may have:
    /// pre-launch from six weeks before to the day before, launch week the launch day and
    /// the six after it, post-launch weeks 2 to 8.
    pub fn offsets(self) -> RangeInclusive<i64> {
        match self {
            LaunchPhase::PreLaunch => -42..=-1,
            LaunchPhase::LaunchWeek => 0..=6,
            LaunchPhase::PostLaunch => 7..=56,
        }
    }

    /// When the phase runs, for people.
    pub fn window(self) -> &'static str {
        match self {
            LaunchPhase::PreLaunch => "4–6 weeks before launch",
            LaunchPhase::LaunchWeek => "the week of the launch",
            LaunchPhase::PostLaunch => "weeks 2–8 after launch: adoption, support, iteration",
        }
    }
}

text_enum!(
    /// Which side of the partnership owns a task.
    OwnerSide {
        Vendor = "vendor" / "Vendor",
        Partner = "partner" / "Partner",
    }
);

text_enum!(
    /// Where a launch task stands.
    LaunchTaskStatus {
        Open = "open" / "Open",
        InProgress = "in_progress" / "In progress",
        Done = "done" / "Done",
        Skipped = "skipped" / "Skipped",
    }
);

impl LaunchTaskStatus {
    /// Done or skipped: nothing more is expected of the task, so rescheduling leaves its
    /// due day alone and it is never overdue.
    pub fn is_settled(self) -> bool {
        matches!(self, LaunchTaskStatus::Done | LaunchTaskStatus::Skipped)
    }
}

/// Checks that `offset` (days from the launch date) fits `phase`, naming `field` (e.g.
/// `tasks[2].offset_days`) and the rule `launch.offset_phase`.
pub fn check_offset(field: &str, phase: LaunchPhase, offset: i64) -> Result<(), FieldError> {
    let range = phase.offsets();
    if range.contains(&offset) {
        return Ok(());
    }
    Err(FieldError::new(
        field,
        "launch.offset_phase",
        format!(
            "{field} of a {} task must be between {} and {} days from the launch date ({}), not {offset}",
            phase.label().to_lowercase(),
            range.start(),
            range.end(),
            phase.window()
        ),
    ))
}

/// The day a task is due: the launch date plus its offset, and when that falls on a
/// weekend, the Friday before (work due on a Saturday or Sunday is done by Friday).
pub fn due_on(launch_on: NaiveDate, offset_days: i64) -> NaiveDate {
    let day = launch_on + TimeDelta::days(offset_days);
    match day.weekday() {
        Weekday::Sat => day - TimeDelta::days(1),
        Weekday::Sun => day - TimeDelta::days(2),
        _ => day,
    }
}

/// Whether a task is overdue on `today`: still to do and due before today (the due day
/// itself is not overdue).
pub fn is_overdue(status: LaunchTaskStatus, due: NaiveDate, today: NaiveDate) -> bool {
    !status.is_settled() && due < today
}

/// The due day a task has after its launch moves to `new_launch_on`: unchanged when the
/// task is settled (what was done stays dated as it was), else recomputed from its offset.
pub fn rescheduled_due(
    status: LaunchTaskStatus,
    offset_days: i64,
    current_due: NaiveDate,
    new_launch_on: NaiveDate,
) -> NaiveDate {
    if status.is_settled() {
        current_due
    } else {
        due_on(new_launch_on, offset_days)
    }
}

/// Checks a change of a task's status. Skipping needs a reason (field `skip_reason`, rule
/// `required`); setting the status a task already has is refused (rule
/// `launch_task.unchanged`), so every accepted change is a real one with its audit event.
/// Returns the reason to store (only a skip keeps one).
pub fn check_status_change(
    from: LaunchTaskStatus,
    to: LaunchTaskStatus,
    skip_reason: Option<&str>,
) -> Result<Option<String>, FieldError> {
    if from == to {
        return Err(FieldError::new(
            "status",
            "launch_task.unchanged",
            format!("the task is {} already", from.label().to_lowercase()),
        ));
    }
    let reason = skip_reason.map(str::trim).filter(|r| !r.is_empty());
    match (to, reason) {
        (LaunchTaskStatus::Skipped, None) => Err(FieldError::new(
            "skip_reason",
            "required",
            "skip_reason is required to skip a task: say why it does not apply",
        )),
        (LaunchTaskStatus::Skipped, Some(r)) => Ok(Some(r.to_owned())),
        _ => Ok(None),
    }
}

/// Done, skipped and total tasks of one phase (or of the whole launch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskProgress {
    pub done: i64,
    pub skipped: i64,
    pub total: i64,
    /// Tasks still to do that are due before today.
    pub overdue: i64,
    /// Settled (done or skipped) tasks as a share of all, 0–100, rounded down; 100 when
    /// there are no tasks.
    pub percent: i64,
}

impl TaskProgress {
    fn add(&mut self, status: LaunchTaskStatus, overdue: bool) {
        self.total += 1;
        match status {
            LaunchTaskStatus::Done => self.done += 1,
            LaunchTaskStatus::Skipped => self.skipped += 1,
            _ => {}
        }
        if overdue {
            self.overdue += 1;
        }
        self.percent = if self.total == 0 {
            100
        } else {
            (self.done + self.skipped) * 100 / self.total
        };
    }
}

/// The progress of one phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhaseProgress {
    pub phase: LaunchPhase,
    #[serde(flatten)]
    pub progress: TaskProgress,
}

/// A launch's progress: overall and per phase, every phase listed in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchProgress {
    pub overall: TaskProgress,
    pub phases: Vec<PhaseProgress>,
}

/// The progress of tasks given as (phase, status, due day) on `today`.
pub fn progress(
    tasks: impl IntoIterator<Item = (LaunchPhase, LaunchTaskStatus, NaiveDate)>,
    today: NaiveDate,
) -> LaunchProgress {
    let mut overall = TaskProgress {
        percent: 100,
        ..TaskProgress::default()
    };
    let mut phases: Vec<PhaseProgress> = LaunchPhase::ALL
        .iter()
        .map(|&phase| PhaseProgress {
            phase,
            progress: TaskProgress {
                percent: 100,
                ..TaskProgress::default()
            },
        })
        .collect();
    for (phase, status, due) in tasks {
        let overdue = is_overdue(status, due, today);
        overall.add(status, overdue);
        if let Some(p) = phases.iter_mut().find(|p| p.phase == phase) {
            p.progress.add(status, overdue);
        }
    }
    LaunchProgress { overall, phases }
}

/// One task of a checklist template (also of the built-in seed checklist).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateTask {
    pub phase: LaunchPhase,
    pub title: String,
    /// What "done" means, in Markdown.
    pub detail: Option<String>,
    /// Days from the launch date (negative before it), within the phase's range.
    pub offset_days: i64,
    pub owner_side: OwnerSide,
}

/// The name of the built-in checklist.
pub const SEED_TEMPLATE_NAME: &str = "Co-marketing launch (seed checklist)";

/// What the built-in checklist is for.
pub const SEED_TEMPLATE_DESCRIPTION: &str = "The co-marketing execution checklist: pre-launch work 4–6 weeks before, launch week, and post-launch weeks 2–8. Launch is not the finish line: the real work starts after it (adoption, support, iteration).";

/// The built-in checklist: the seed's co-marketing execution checklist, ordered by due
/// offset. A program starts from it (a copy it may edit), and a launch without a template
/// uses it as is.
pub fn seed_template() -> Vec<TemplateTask> {
    use LaunchPhase::*;
    use OwnerSide::*;
    let t = |phase, offset_days, owner_side, title: &str, detail: &str| TemplateTask {
        phase,
        title: title.to_owned(),
        detail: Some(detail.to_owned()),
        offset_days,
        owner_side,
    };
    vec![
        t(
            PreLaunch,
            -42,
            Vendor,
            "Joint messaging and positioning brief",
            "Who buys, the problem, the packaged offer and why the two of us: one page both marketing teams sign off.",
        ),
        t(
            PreLaunch,
            -35,
            Partner,
            "MDF request for the launch activities",
            "Request market development funds for the launch (events, paid media, content) with expected leads and pipeline.",
        ),
        t(
            PreLaunch,
            -28,
            Vendor,
            "Enable the vendor sales team",
            "Briefing on the joint offer, who to call at the partner, and how deals are registered and split.",
        ),
        t(
            PreLaunch,
            -28,
            Partner,
            "Enable the partner sales team",
            "The partner's sellers complete the sales course and know the demo, the pricing and the registration rules.",
        ),
        t(
            PreLaunch,
            -21,
            Partner,
            "Landing page and campaign assets",
            "Co-branded landing page, e-mail and social assets ready and reviewed by both sides.",
        ),
        t(
            PreLaunch,
            -14,
            Vendor,
            "Press and announcement plan",
            "Press release, blog posts and quotes from both executives, with the embargo and the channels.",
        ),
        t(
            LaunchWeek,
            0,
            Vendor,
            "Announcement goes out",
            "Press release, blog posts and social posts on both sides on launch day.",
        ),
        t(
            LaunchWeek,
            2,
            Partner,
            "Joint webinar",
            "A live session with a customer-facing demo, hosted together; recording shared afterwards.",
        ),
        t(
            LaunchWeek,
            4,
            Partner,
            "Outreach to the target accounts",
            "Sellers on both sides contact the named target accounts with the launch offer.",
        ),
        t(
            PostLaunch,
            14,
            Vendor,
            "First pipeline review (week 2)",
            "Registrations and opportunities from the launch: what moved, what is stuck, who follows up.",
        ),
        t(
            PostLaunch,
            28,
            Partner,
            "Adoption and support review",
            "First customers live? Support tickets, onboarding friction and what to fix in the offer.",
        ),
        t(
            PostLaunch,
            42,
            Partner,
            "Customer case study",
            "One customer story with numbers, approved by the customer, for both websites.",
        ),
        t(
            PostLaunch,
            56,
            Vendor,
            "Launch retrospective (week 8)",
            "What worked, what did not, what to change for the next launch; results against the brief.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn offsets_fit_their_phase_at_the_edges() {
        use LaunchPhase::*;
        for (phase, ok, bad) in [
            (PreLaunch, [-42, -1], [-43, 0]),
            (LaunchWeek, [0, 6], [-1, 7]),
            (PostLaunch, [7, 56], [6, 57]),
        ] {
            for o in ok {
                assert!(check_offset("offset_days", phase, o).is_ok(), "{phase} {o}");
            }
            for o in bad {
                let e = check_offset("tasks[3].offset_days", phase, o).unwrap_err();
                assert_eq!(e.field, "tasks[3].offset_days");
                assert_eq!(e.rule, "launch.offset_phase");
                assert!(e.message.contains(&o.to_string()), "{}", e.message);
            }
        }
    }

    #[test]
    fn a_weekday_due_day_is_the_launch_date_plus_the_offset() {
        // Wednesday 2027-03-10.
        assert_eq!(due_on(d(2027, 3, 10), 0), d(2027, 3, 10));
        assert_eq!(due_on(d(2027, 3, 10), 2), d(2027, 3, 12));
        assert_eq!(due_on(d(2027, 3, 10), -42), d(2027, 1, 27));
    }

    #[test]
    fn a_saturday_or_sunday_moves_to_the_friday_before() {
        // Wednesday + 3 = Saturday 13 March; + 4 = Sunday 14 March: both Friday 12.
        assert_eq!(due_on(d(2027, 3, 10), 3), d(2027, 3, 12));
        assert_eq!(due_on(d(2027, 3, 10), 4), d(2027, 3, 12));
        // Monday + 5 = Saturday.
        assert_eq!(due_on(d(2027, 3, 8), 5), d(2027, 3, 12));
        // A launch on Monday with -1 lands on Sunday: the Friday three days before launch.
        assert_eq!(due_on(d(2027, 3, 8), -1), d(2027, 3, 5));
        // A launch on a Saturday: its launch-day tasks are due the day before.
        assert_eq!(due_on(d(2027, 3, 13), 0), d(2027, 3, 12));
    }

    #[test]
    fn negative_offsets_cross_month_and_year_ends() {
        // Monday 2027-01-04 minus 42 days = Monday 2026-11-23.
        assert_eq!(due_on(d(2027, 1, 4), -42), d(2026, 11, 23));
        // Friday 2027-01-01 minus 5 = Sunday 2026-12-27: Friday 2026-12-25.
        assert_eq!(due_on(d(2027, 1, 1), -5), d(2026, 12, 25));
        // Tuesday 2027-03-02 minus 2 = Sunday 28 February: Friday 26 February.
        assert_eq!(due_on(d(2027, 3, 2), -2), d(2027, 2, 26));
    }

    #[test]
    fn leap_days_count() {
        // Tuesday 2028-02-29 exists; Friday 2028-03-03 minus 3 is the leap day.
        assert_eq!(due_on(d(2028, 3, 3), -3), d(2028, 2, 29));
        // Wednesday 2028-03-01 minus 1 = Tuesday 29 February.
        assert_eq!(due_on(d(2028, 3, 1), -1), d(2028, 2, 29));
        // The same offset in a common year lands on 28 February (a Sunday in 2027: Friday 26).
        assert_eq!(due_on(d(2027, 3, 1), -1), d(2027, 2, 26));
        // A launch on the leap day with week-8 and 6-weeks-before tasks.
        assert_eq!(due_on(d(2028, 2, 29), 56), d(2028, 4, 25));
        assert_eq!(due_on(d(2028, 2, 29), -42), d(2028, 1, 18));
    }

    #[test]
    fn overdue_is_before_today_and_never_settled() {
        let today = d(2027, 3, 10);
        assert!(is_overdue(LaunchTaskStatus::Open, d(2027, 3, 9), today));
        assert!(is_overdue(
            LaunchTaskStatus::InProgress,
            d(2027, 3, 9),
            today
        ));
        assert!(!is_overdue(LaunchTaskStatus::Open, today, today));
        assert!(!is_overdue(LaunchTaskStatus::Done, d(2027, 1, 1), today));
        assert!(!is_overdue(LaunchTaskStatus::Skipped, d(2027, 1, 1), today));
    }

    #[test]
    fn rescheduling_moves_only_tasks_still_to_do() {
        let old = d(2027, 3, 10);
        let new = d(2027, 3, 24);
        let done_due = due_on(old, -14);
        assert_eq!(
            rescheduled_due(LaunchTaskStatus::Done, -14, done_due, new),
            done_due
        );
        assert_eq!(
            rescheduled_due(LaunchTaskStatus::Skipped, -14, done_due, new),
            done_due
        );
        assert_eq!(
            rescheduled_due(LaunchTaskStatus::Open, -14, done_due, new),
            d(2027, 3, 10)
        );
        // In progress moves too, and the weekend rule applies to the new day.
        assert_eq!(
            rescheduled_due(LaunchTaskStatus::InProgress, 3, old, new),
            d(2027, 3, 26)
        );
    }

    #[test]
    fn a_skip_needs_a_reason_and_a_change_must_change() {
        use LaunchTaskStatus::*;
        let e = check_status_change(Open, Skipped, None).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("skip_reason", "required")
        );
        assert!(check_status_change(Open, Skipped, Some("  ")).is_err());
        assert_eq!(
            check_status_change(Open, Skipped, Some(" no budget ")).unwrap(),
            Some("no budget".to_owned())
        );
        let e = check_status_change(Done, Done, None).unwrap_err();
        assert_eq!(e.rule, "launch_task.unchanged");
        assert_eq!(check_status_change(Done, Open, Some("x")).unwrap(), None);
        assert_eq!(check_status_change(Open, InProgress, None).unwrap(), None);
    }

    #[test]
    fn progress_per_phase_and_overall() {
        use LaunchPhase::*;
        use LaunchTaskStatus::*;
        let today = d(2027, 3, 10);
        let p = progress(
            [
                (PreLaunch, Done, d(2027, 2, 1)),
                (PreLaunch, Open, d(2027, 3, 1)),
                (PreLaunch, Skipped, d(2027, 3, 1)),
                (LaunchWeek, InProgress, today),
                (PostLaunch, Open, d(2027, 4, 1)),
            ],
            today,
        );
        assert_eq!(
            (p.overall.done, p.overall.skipped, p.overall.total),
            (1, 1, 5)
        );
        assert_eq!(p.overall.percent, 40);
        assert_eq!(p.overall.overdue, 1);
        assert_eq!(p.phases.len(), 3);
        assert_eq!(p.phases[0].phase, PreLaunch);
        assert_eq!(p.phases[0].progress.percent, 66);
        assert_eq!(p.phases[0].progress.overdue, 1);
        assert_eq!(p.phases[1].progress.percent, 0);
        // An empty checklist has nothing left to do.
        let empty = progress([], today);
        assert_eq!(empty.overall.percent, 100);
        assert!(empty.phases.iter().all(|p| p.progress.total == 0));
    }

    #[test]
    fn the_seed_checklist_fits_its_own_rules_and_covers_every_phase_and_side() {
        let tasks = seed_template();
        for (i, t) in tasks.iter().enumerate() {
            check_offset(&format!("tasks[{i}].offset_days"), t.phase, t.offset_days).unwrap();
        }
        for phase in LaunchPhase::ALL {
            assert!(tasks.iter().any(|t| t.phase == *phase), "{phase}");
        }
        for side in OwnerSide::ALL {
            assert!(tasks.iter().any(|t| t.owner_side == *side), "{side}");
        }
        assert!(
            tasks
                .windows(2)
                .all(|w| w[0].offset_days <= w[1].offset_days)
        );
        // Post-launch reaches week 8: launch is not the finish line.
        assert_eq!(tasks.last().map(|t| t.offset_days), Some(56));
    }
}
