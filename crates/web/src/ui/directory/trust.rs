//! The directory's trust layer in the browser. The portal: reviews of the partner's
//! listings with its public answers, the enquiries the lead form brought (each can become a
//! deal registration), and the moderators' decisions with the appeal. The console: the
//! moderation queue with hide, restore and remove, every decision, and all enquiries.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use partnerops_core::directory::lead::{DirectoryLead, RegisterEnquiryInput};
use partnerops_core::directory::moderation::{
    AppealInput, DirectoryDecision, DirectoryReport, ModerateInput, ModerationAction, ReportStatus,
};
use partnerops_core::directory::review::{DirectoryReview, ReviewAnswerInput};
use partnerops_core::ids::EntityId;

use super::super::Routes;
use crate::AppState;
use crate::ui::form::{FormView, after_action};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/portal/directory/trust", portal_trust)
        .post("/portal/directory/reviews/{id}/answer", portal_answer)
        .post("/portal/directory/decisions/{id}/appeal", portal_appeal)
        .post("/portal/directory/leads/{id}/register", portal_register)
        .get("/console/directory/moderation", console_queue)
        .post(
            "/console/directory/moderation/{target}/{id}",
            console_moderate,
        )
        .get("/console/directory/leads", console_leads)
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

// ---- the portal ----

#[derive(Template, WebTemplate)]
#[template(path = "directory/portal_trust.html")]
struct PortalTrust {
    chrome: Chrome,
    reviews: Vec<DirectoryReview>,
    leads: Vec<DirectoryLead>,
    decisions: Vec<DirectoryDecision>,
    /// Whether the user may answer, appeal and register (the partner's admin).
    admin: bool,
    form: FormView,
    /// The record the form's errors belong to.
    failed: String,
    done: Option<String>,
}

async fn portal_page(
    state: &AppState,
    user: &PartnerUser,
    form: FormView,
    failed: &str,
    done: Option<String>,
) -> Result<PortalTrust, UiError> {
    Ok(PortalTrust {
        chrome: Chrome::new(user, "directory"),
        reviews: state
            .store
            .directory_reviews(user.scope(), None, None)
            .await?,
        leads: state.store.directory_leads(user.scope(), None).await?,
        decisions: state.store.directory_decisions(user.scope(), None).await?,
        admin: user.principal.role == partnerops_core::user::Role::PartnerAdmin,
        form,
        failed: failed.to_owned(),
        done,
    })
}

async fn portal_trust(
    State(state): State<AppState>,
    user: PartnerUser,
    Query(q): Query<Done>,
) -> Result<Response, UiError> {
    Ok(portal_page(&state, &user, FormView::default(), "", q.done)
        .await?
        .into_response())
}

async fn portal_answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let input = ReviewAnswerInput {
        answer: form.posted.get("answer"),
    };
    let run = state
        .store
        .answer_review(&form.user.actor(), &id, &input)
        .await
        .map(|_| Some("answered"));
    after_action(run, "/portal/directory/trust", &form.posted, |view| {
        portal_page(&state, &form.user, view, &id, None)
    })
    .await
}

async fn portal_appeal(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let input = AppealInput {
        text: form.posted.get("text"),
    };
    let run = state
        .store
        .appeal_decision(&form.user.actor(), &id, &input)
        .await
        .map(|_| Some("appealed"));
    after_action(run, "/portal/directory/trust", &form.posted, |view| {
        portal_page(&state, &form.user, view, &id, None)
    })
    .await
}

async fn portal_register(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let arr = form
        .posted
        .get("estimated_arr")
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<i64>().map(|n| n * 100).unwrap_or(-1));
    let input = RegisterEnquiryInput {
        country: form.posted.get("country"),
        estimated_arr_minor: arr,
        expected_close_on: form.posted.get("expected_close_on"),
        title: None,
    };
    let run = state
        .store
        .register_directory_lead(&form.user.actor(), &id, &input)
        .await
        .map(|_| Some("registered"));
    after_action(run, "/portal/directory/trust", &form.posted, |view| {
        portal_page(&state, &form.user, view, &id, None)
    })
    .await
}

// ---- the console ----

#[derive(Template, WebTemplate)]
#[template(path = "directory/console_moderation.html")]
struct ConsoleQueue {
    chrome: Chrome,
    reports: Vec<DirectoryReport>,
    decisions: Vec<DirectoryDecision>,
    actions: &'static [ModerationAction],
    form: FormView,
    done: Option<String>,
}

async fn queue_page(
    state: &AppState,
    user: &Staff,
    form: FormView,
    done: Option<String>,
) -> Result<ConsoleQueue, UiError> {
    let actor = user.actor();
    Ok(ConsoleQueue {
        chrome: Chrome::new(user, "directory"),
        reports: state
            .store
            .moderation_queue(&actor, Some(ReportStatus::Open))
            .await?,
        decisions: state.store.directory_decisions(user.scope(), None).await?,
        actions: ModerationAction::ALL,
        form,
        done,
    })
}

async fn console_queue(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<Done>,
) -> Result<Response, UiError> {
    Ok(queue_page(&state, &user, FormView::default(), q.done)
        .await?
        .into_response())
}

async fn console_moderate(
    State(state): State<AppState>,
    Path((target, id)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let input = ModerateInput {
        action: form.posted.get("action"),
        reason: form.posted.get("reason"),
    };
    let actor = form.user.actor();
    let run = match target.as_str() {
        "listings" => state
            .store
            .moderate_listing(&actor, &id, &input)
            .await
            .map(|_| Some("moderated")),
        "reviews" => state
            .store
            .moderate_review(&actor, &id, &input)
            .await
            .map(|_| Some("moderated")),
        _ => Ok(None),
    };
    after_action(run, "/console/directory/moderation", &form.posted, |view| {
        queue_page(&state, &form.user, view, None)
    })
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/console_leads.html")]
struct ConsoleLeads {
    chrome: Chrome,
    leads: Vec<DirectoryLead>,
}

async fn console_leads(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    Ok(ConsoleLeads {
        chrome: Chrome::new(&user, "directory"),
        leads: state.store.directory_leads(user.scope(), None).await?,
    }
    .into_response())
}
