//! Launch checklist records and the parsing of their input.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{
    LaunchPhase, LaunchProgress, LaunchTaskStatus, OwnerSide, TemplateTask, check_offset,
    is_overdue,
};
use crate::ids::{
    CampaignId, CharterId, LaunchId, LaunchTaskId, LaunchTemplateId, PartnerId, ProgramId, UserId,
};
use crate::invalid::text;
use crate::{FieldError, Invalid};

/// The most tasks one checklist may hold.
pub const MAX_TASKS: usize = 60;

/// A checklist template of a program: ordered tasks with their phase, due offset and
/// owner side. Each change makes a new version; launches keep a copy of the tasks they
/// were started with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchTemplate {
    pub id: LaunchTemplateId,
    pub program_id: ProgramId,
    pub name: String,
    pub description: Option<String>,
    pub version: i64,
    pub tasks: Vec<TemplateTask>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// One task of a template as sent.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateTaskInput {
    /// `pre_launch`, `launch_week` or `post_launch`.
    pub phase: Option<String>,
    pub title: Option<String>,
    /// Markdown.
    pub detail: Option<String>,
    /// Days from the launch date: pre-launch −42..−1, launch week 0..6, post-launch 7..56.
    pub offset_days: Option<i64>,
    /// `vendor` or `partner`.
    pub owner_side: Option<String>,
}

/// A template as sent. On a change, absent fields keep their value; `tasks`, when sent,
/// replaces the whole list.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LaunchTemplateInput {
    pub program_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub tasks: Option<Vec<TemplateTaskInput>>,
}

/// A template's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateFields {
    pub name: String,
    pub description: Option<String>,
    pub tasks: Vec<TemplateTask>,
}

/// Parses a task list, naming each field by its place (`tasks[2].offset_days`), and
/// orders the tasks by phase, then offset (a stable sort: equal ones keep their order).
pub fn parse_tasks(raw: &[TemplateTaskInput], inv: &mut Invalid) -> Option<Vec<TemplateTask>> {
    if raw.is_empty() {
        inv.add("tasks", "required", "a checklist needs at least one task");
        return None;
    }
    if raw.len() > MAX_TASKS {
        inv.add(
            "tasks",
            "max_items",
            format!("a checklist may hold at most {MAX_TASKS} tasks"),
        );
        return None;
    }
    let before = inv.errors.len();
    let mut out = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let f = |name: &str| format!("tasks[{i}].{name}");
        let phase = inv.check(LaunchPhase::parse(
            &f("phase"),
            t.phase.as_deref().unwrap_or(""),
        ));
        let title = inv.check(text::required(&f("title"), t.title.as_deref(), 200));
        let detail = inv.check(text::multiline_optional(
            &f("detail"),
            t.detail.as_deref(),
            4_000,
        ));
        let owner_side = inv.check(OwnerSide::parse(
            &f("owner_side"),
            t.owner_side.as_deref().unwrap_or(""),
        ));
        let offset = match t.offset_days {
            Some(o) => Some(o),
            None => {
                inv.add(
                    &f("offset_days"),
                    "required",
                    format!("{} is required", f("offset_days")),
                );
                None
            }
        };
        if let (Some(phase), Some(offset)) = (phase, offset) {
            inv.check(check_offset(&f("offset_days"), phase, offset));
        }
        if let (Some(phase), Some(title), Some(detail), Some(offset_days), Some(owner_side)) =
            (phase, title, detail, offset, owner_side)
        {
            out.push(TemplateTask {
                phase,
                title,
                detail,
                offset_days,
                owner_side,
            });
        }
    }
    if inv.errors.len() > before {
        return None;
    }
    out.sort_by_key(|t| (phase_rank(t.phase), t.offset_days));
    Some(out)
}

fn phase_rank(p: LaunchPhase) -> usize {
    LaunchPhase::ALL.iter().position(|x| *x == p).unwrap_or(0)
}

impl LaunchTemplateInput {
    /// Parses a whole template (a new one, or a change merged over the stored one).
    pub fn parse(&self) -> Result<TemplateFields, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", self.name.as_deref(), 120));
        let description = inv.check(text::multiline_optional(
            "description",
            self.description.as_deref(),
            4_000,
        ));
        let tasks = match &self.tasks {
            Some(t) => parse_tasks(t, &mut inv),
            None => {
                inv.add("tasks", "required", "tasks is required");
                None
            }
        };
        inv.finish(|| {
            Some(TemplateFields {
                name: name?,
                description: description?,
                tasks: tasks?,
            })
        })
    }
}

/// The task list of a template as input again (to merge a change over it).
pub fn tasks_as_input(tasks: &[TemplateTask]) -> Vec<TemplateTaskInput> {
    tasks
        .iter()
        .map(|t| TemplateTaskInput {
            phase: Some(t.phase.as_str().to_owned()),
            title: Some(t.title.clone()),
            detail: t.detail.clone(),
            offset_days: Some(t.offset_days),
            owner_side: Some(t.owner_side.as_str().to_owned()),
        })
        .collect()
}

/// A launch: one checklist instantiated for a partnership charter or a campaign, with its
/// launch date; its tasks are its own copy of the template's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Launch {
    pub id: LaunchId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    /// The charter launched (exactly one of `charter_id` and `campaign_id` is set).
    pub charter_id: Option<CharterId>,
    pub campaign_id: Option<CampaignId>,
    /// The charter's title or the campaign's name.
    pub subject_title: String,
    pub name: String,
    pub launch_on: NaiveDate,
    /// The template it was started from; absent for the built-in seed checklist.
    pub template_id: Option<LaunchTemplateId>,
    pub template_version: Option<i64>,
    pub template_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub progress: LaunchProgress,
    /// The launch's tasks, by phase and due day (empty in lists).
    pub tasks: Vec<LaunchTask>,
}

/// One task of a launch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchTask {
    pub id: LaunchTaskId,
    pub launch_id: LaunchId,
    pub partner_id: PartnerId,
    pub position: i64,
    pub phase: LaunchPhase,
    pub title: String,
    pub detail: Option<String>,
    pub offset_days: i64,
    pub due_on: NaiveDate,
    pub owner_side: OwnerSide,
    /// The named owner: a vendor user for a vendor task, a user of the partner for a
    /// partner task.
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub status: LaunchTaskStatus,
    pub skip_reason: Option<String>,
    pub done_by: Option<UserId>,
    pub done_by_name: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Still to do and due before today.
    pub overdue: bool,
}

impl LaunchTask {
    /// Sets `overdue` as of `today`.
    pub fn as_of(mut self, today: NaiveDate) -> Self {
        self.overdue = is_overdue(self.status, self.due_on, today);
        self
    }
}

/// A launch as sent: for a charter or a campaign (exactly one), on a date, from a
/// template of the partner's program or, without one, the built-in seed checklist.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartLaunchInput {
    pub charter_id: Option<String>,
    pub campaign_id: Option<String>,
    pub template_id: Option<String>,
    /// Default: the charter's title or campaign's name, with "launch".
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    pub launch_on: Option<String>,
}

/// What a launch is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LaunchSubject {
    Charter(CharterId),
    Campaign(CampaignId),
}

/// A launch, checked (the template is looked up by the store).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchFields {
    pub subject: LaunchSubject,
    pub template_id: Option<LaunchTemplateId>,
    pub name: Option<String>,
    pub launch_on: NaiveDate,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Parses a `YYYY-MM-DD` date, naming `field`.
pub fn parse_date(field: &str, raw: Option<&str>) -> Result<NaiveDate, FieldError> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            FieldError::new(
                field,
                "required",
                format!("{field} is required (YYYY-MM-DD)"),
            )
        })?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            "date",
            format!("{field} must be a date like 2027-03-10"),
        )
    })
}

impl StartLaunchInput {
    pub fn parse(&self) -> Result<LaunchFields, Invalid> {
        let mut inv = Invalid::new();
        let subject = match (blank(&self.charter_id), blank(&self.campaign_id)) {
            (Some(c), None) => inv
                .check(crate::ids::parse_id("charter_id", c))
                .map(LaunchSubject::Charter),
            (None, Some(c)) => inv
                .check(crate::ids::parse_id("campaign_id", c))
                .map(LaunchSubject::Campaign),
            (Some(_), Some(_)) => {
                inv.add(
                    "campaign_id",
                    "launch.one_subject",
                    "a launch is for a charter or for a campaign, not both",
                );
                None
            }
            (None, None) => {
                inv.add(
                    "charter_id",
                    "launch.one_subject",
                    "name the charter_id or the campaign_id the launch is for",
                );
                None
            }
        };
        let template_id = match blank(&self.template_id) {
            Some(t) => inv.check(crate::ids::parse_id("template_id", t)).map(Some),
            None => Some(None),
        };
        let name = inv.check(text::optional("name", self.name.as_deref(), 160));
        let launch_on = inv.check(parse_date("launch_on", self.launch_on.as_deref()));
        inv.finish(|| {
            Some(LaunchFields {
                subject: subject?,
                template_id: template_id?,
                name: name?,
                launch_on: launch_on?,
            })
        })
    }
}

/// A change to one task: its status (with the reason of a skip) and/or its named owner.
/// `owner_id: ""` clears the owner.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaskUpdateInput {
    /// `open`, `in_progress`, `done` or `skipped`.
    pub status: Option<String>,
    pub skip_reason: Option<String>,
    pub owner_id: Option<String>,
}

/// What a task change asks for, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskUpdate {
    pub status: Option<LaunchTaskStatus>,
    pub skip_reason: Option<String>,
    /// `Some(None)`: clear the owner.
    pub owner: Option<Option<UserId>>,
}

impl TaskUpdateInput {
    pub fn parse(&self) -> Result<TaskUpdate, Invalid> {
        let mut inv = Invalid::new();
        let status = match self.status.as_deref() {
            Some(s) => inv.check(LaunchTaskStatus::parse("status", s)).map(Some),
            None => Some(None),
        };
        let skip_reason = inv.check(text::optional(
            "skip_reason",
            self.skip_reason.as_deref(),
            500,
        ));
        let owner = match self.owner_id.as_deref().map(str::trim) {
            None => Some(None),
            Some("") => Some(Some(None)),
            Some(raw) => inv
                .check(crate::ids::parse_id::<UserId>("owner_id", raw))
                .map(|u| Some(Some(u))),
        };
        if self.status.is_none() && self.owner_id.is_none() {
            inv.add("status", "required", "send a status, an owner_id, or both");
        }
        inv.finish(|| {
            Some(TaskUpdate {
                status: status?,
                skip_reason: skip_reason?,
                owner: owner?,
            })
        })
    }
}

/// A new launch date.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// `YYYY-MM-DD`.
    pub launch_on: Option<String>,
}

/// A program starting its own editable copy of the built-in checklist.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SeedTemplateInput {
    pub program_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(phase: &str, offset: i64) -> TemplateTaskInput {
        TemplateTaskInput {
            phase: Some(phase.into()),
            title: Some(format!("{phase} {offset}")),
            detail: None,
            offset_days: Some(offset),
            owner_side: Some("partner".into()),
        }
    }

    #[test]
    fn a_template_names_each_bad_task_field_by_its_place() {
        let input = LaunchTemplateInput {
            name: Some("Launch".into()),
            tasks: Some(vec![
                task("pre_launch", -30),
                task("launch_week", 9),
                TemplateTaskInput {
                    phase: Some("someday".into()),
                    owner_side: Some("both".into()),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let err = input.parse().unwrap_err();
        let got: Vec<String> = err
            .errors
            .iter()
            .map(|e| format!("{}:{}", e.field, e.rule))
            .collect();
        assert_eq!(
            got,
            [
                "tasks[1].offset_days:launch.offset_phase",
                "tasks[2].phase:one_of",
                "tasks[2].title:required",
                "tasks[2].owner_side:one_of",
                "tasks[2].offset_days:required",
            ]
        );
        let empty = LaunchTemplateInput {
            name: Some("x".into()),
            tasks: Some(vec![]),
            ..Default::default()
        };
        assert_eq!(empty.parse().unwrap_err().errors[0].field, "tasks");
    }

    #[test]
    fn tasks_are_ordered_by_phase_then_offset() {
        let input = LaunchTemplateInput {
            name: Some("Launch".into()),
            tasks: Some(vec![
                task("post_launch", 14),
                task("pre_launch", -14),
                task("launch_week", 0),
                task("pre_launch", -42),
            ]),
            ..Default::default()
        };
        let f = input.parse().unwrap();
        let offsets: Vec<i64> = f.tasks.iter().map(|t| t.offset_days).collect();
        assert_eq!(offsets, [-42, -14, 0, 14]);
        // And they round-trip through the input form.
        let again = LaunchTemplateInput {
            name: Some("Launch".into()),
            tasks: Some(tasks_as_input(&f.tasks)),
            ..Default::default()
        };
        assert_eq!(again.parse().unwrap(), f);
    }

    #[test]
    fn a_launch_is_for_one_charter_or_one_campaign_on_a_date() {
        let err = StartLaunchInput::default().parse().unwrap_err();
        let got: Vec<String> = err
            .errors
            .iter()
            .map(|e| format!("{}:{}", e.field, e.rule))
            .collect();
        assert_eq!(got, ["charter_id:launch.one_subject", "launch_on:required"]);
        let both = StartLaunchInput {
            charter_id: Some(format!("chr_{}", "0".repeat(32))),
            campaign_id: Some(format!("cmp_{}", "0".repeat(32))),
            launch_on: Some("2027-02-30".into()),
            ..Default::default()
        };
        let got: Vec<String> = both
            .parse()
            .unwrap_err()
            .errors
            .iter()
            .map(|e| format!("{}:{}", e.field, e.rule))
            .collect();
        assert_eq!(got, ["campaign_id:launch.one_subject", "launch_on:date"]);
        let ok = StartLaunchInput {
            campaign_id: Some(format!("cmp_{}", "1".repeat(32))),
            launch_on: Some("2028-02-29".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert!(matches!(ok.subject, LaunchSubject::Campaign(_)));
        assert_eq!(ok.template_id, None);
    }

    #[test]
    fn a_task_update_parses_status_and_owner() {
        assert_eq!(
            TaskUpdateInput::default().parse().unwrap_err().errors[0].field,
            "status"
        );
        let u = TaskUpdateInput {
            status: Some("done".into()),
            owner_id: Some(String::new()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(u.status, Some(LaunchTaskStatus::Done));
        assert_eq!(u.owner, Some(None));
        let e = TaskUpdateInput {
            status: Some("finished".into()),
            owner_id: Some("ptr_1".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        let got: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(got, ["status", "owner_id"]);
    }
}
