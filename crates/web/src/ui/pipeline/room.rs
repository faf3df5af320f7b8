//! The deal room page, shared by the console and the portal: members, notes (Markdown,
//! rendered sanitised), tasks, shared fields and the timeline, with a form for each. The
//! store decides who may enter and write; this only shows and posts.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::Response;
use partnerops_core::ids::EntityId;
use partnerops_core::pipeline::room::{
    FieldInput, MemberInput, NoteInput, NoteVisibility, TaskInput, TaskPatch, TaskStatus,
    is_overdue,
};
use partnerops_store::StoreError;

use super::trimmed;
use crate::AppState;
use crate::ui::form::{self, FormView, Posted};
use crate::ui::markdown;
use crate::ui::{Chrome, UiError, UiUser};

pub struct MemberView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub side: String,
}

pub struct NoteView {
    pub author: String,
    pub at: String,
    pub private: bool,
    /// Sanitised by `markdown::render`.
    pub html: String,
}

pub struct TaskView {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub due: String,
    pub status: TaskStatus,
    pub overdue: bool,
}

pub struct FieldView {
    pub key: String,
    pub value: String,
    pub by: String,
}

pub struct EventView {
    pub at: String,
    pub kind: &'static str,
    pub who: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/room.html")]
pub struct RoomPage {
    chrome: Chrome,
    base: &'static str,
    id: String,
    title: String,
    account: String,
    members: Vec<MemberView>,
    notes: Vec<NoteView>,
    tasks: Vec<TaskView>,
    fields: Vec<FieldView>,
    timeline: Vec<EventView>,
    visibilities: &'static [NoteVisibility],
    /// The form that failed, and what it showed.
    failed: &'static str,
    form: FormView,
    notice: Option<&'static str>,
}

impl RoomPage {
    fn alerts(&self, action: &str) -> Vec<String> {
        if self.failed == action {
            self.form
                .errors
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect()
        } else {
            Vec::new()
        }
    }
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "note" => "Note posted.",
        "task" => "Task added.",
        "task_status" => "Task updated.",
        "member" => "Member added.",
        "field" => "Field saved.",
        _ => return None,
    })
}

pub(super) async fn room_page(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    failed: (&'static str, FormView),
    done: Option<&str>,
) -> Result<RoomPage, UiError> {
    let store = &state.store;
    let actor = user.actor();
    let room = store.room(&actor, id).await?;
    let o = store.opportunity(&actor.scope(), id).await?;
    let today = store.now().date_naive();
    let minute = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    Ok(RoomPage {
        chrome: Chrome::new(
            user,
            if base == "/console" {
                "pipeline"
            } else {
                "opportunities"
            },
        ),
        base,
        id: id.to_owned(),
        title: o.title,
        account: o.account_name,
        members: room
            .members
            .iter()
            .map(|m| MemberView {
                id: m.user_id.to_string(),
                name: m.display_name.clone(),
                email: m.email.clone(),
                side: m
                    .partner_name
                    .clone()
                    .unwrap_or_else(|| "Vendor".to_owned()),
            })
            .collect(),
        notes: room
            .notes
            .iter()
            .map(|n| NoteView {
                author: n.author_name.clone(),
                at: minute(n.created_at),
                private: n.visibility == NoteVisibility::OurSide,
                html: markdown::render(&n.body),
            })
            .collect(),
        tasks: room
            .tasks
            .iter()
            .map(|t| TaskView {
                id: t.id.to_string(),
                title: t.title.clone(),
                owner: t.owner_name.clone(),
                due: t.due_on.map(|d| d.to_string()).unwrap_or_default(),
                status: t.status,
                overdue: is_overdue(t.status, t.due_on, today),
            })
            .collect(),
        fields: room
            .fields
            .iter()
            .map(|f| FieldView {
                key: f.key.clone(),
                value: f.value.clone(),
                by: f.updated_by_name.clone(),
            })
            .collect(),
        timeline: room
            .timeline
            .iter()
            .map(|e| EventView {
                at: minute(e.at),
                kind: e.kind.label(),
                who: e.actor_name.clone(),
                text: e.text.clone(),
            })
            .collect(),
        visibilities: NoteVisibility::ALL,
        failed: failed.0,
        form: failed.1,
        notice: notice_of(done),
    })
}

/// Runs a room form; `Ok(None)` for an unknown action.
async fn run(
    state: &AppState,
    user: &UiUser,
    id: &str,
    action: &str,
    p: &Posted,
) -> Result<Option<&'static str>, StoreError> {
    let actor = user.actor();
    let store = &state.store;
    Ok(Some(match action {
        "note" => {
            let input = NoteInput {
                body: p.get("body"),
                visibility: trimmed(p, "visibility"),
            };
            store.post_room_note(&actor, id, &input).await?;
            "note"
        }
        "task" => {
            let input = TaskInput {
                title: trimmed(p, "title"),
                owner_id: trimmed(p, "owner_id"),
                due_on: trimmed(p, "due_on"),
            };
            store.add_room_task(&actor, id, &input).await?;
            "task"
        }
        "task_status" => {
            let task = trimmed(p, "task_id").unwrap_or_default();
            // The task must be in this room: its own page posts it.
            let patch = TaskPatch {
                status: trimmed(p, "status"),
                ..TaskPatch::default()
            };
            let room = store.room(&actor, id).await?;
            if !room.tasks.iter().any(|t| t.id.as_str() == task) {
                return Err(StoreError::NotFound(
                    partnerops_core::audit::EntityKind::RoomTask,
                ));
            }
            store
                .update_room_task(
                    &actor,
                    &task,
                    &patch,
                    &partnerops_store::etag::Precondition::None,
                )
                .await?;
            "task_status"
        }
        "member" => {
            let input = MemberInput {
                user_id: trimmed(p, "user_id"),
            };
            store.add_room_member(&actor, id, &input).await?;
            "member"
        }
        "field" => {
            let key = trimmed(p, "key").unwrap_or_default();
            let input = FieldInput {
                value: p.get("value"),
            };
            store.set_room_field(&actor, id, &key, &input).await?;
            "field"
        }
        _ => return Ok(None),
    }))
}

fn action_name(action: &str) -> &'static str {
    match action {
        "note" => "note",
        "task" => "task",
        "task_status" => "task_status",
        "member" => "member",
        "field" => "field",
        _ => "",
    }
}

/// Handles a posted room form: back to the room with a notice, or the room again with the
/// error above the form that caused it.
pub(super) async fn after(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    action: &str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let run = run(state, user, id, action, posted).await;
    let page = format!("{base}/opportunities/{id}/room");
    form::after_action(run, &page, posted, |view| {
        room_page(state, user, base, id, (action_name(action), view), None)
    })
    .await
}
