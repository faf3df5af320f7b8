//! The console's record-keeping pages shared by every capability: a record's full audit
//! trail (`/console/audit/{kind}/{id}`) and archive/restore (`/console/{kind}/{id}/{op}`) of
//! programs, tiers, partners, accounts and users. Pages of the records themselves live in
//! their capability.

use crate::AppState;
use crate::ui::audit::AuditRow;
use crate::ui::audit::trail;
use crate::ui::guard::Staff;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::audit::EntityKind;

// ---------------------------------------------------------------- audit, archive

#[derive(Template, WebTemplate)]
#[template(path = "audit/console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    kind: &'static str,
    id: String,
    back: String,
    rows: Vec<AuditRow>,
}

fn kind_of(path: &str) -> Option<(EntityKind, &'static str)> {
    Some(match path {
        "programs" => (EntityKind::Program, "/console/programs/"),
        "partners" => (EntityKind::Partner, "/console/partners/"),
        "accounts" => (EntityKind::Account, "/console/accounts/"),
        "users" => (EntityKind::User, "/console/users?q="),
        "tiers" => (EntityKind::Tier, "/console/programs"),
        _ => return None,
    })
}

pub(super) async fn audit_page(
    State(state): State<AppState>,
    user: Staff,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let (entity, back) = kind_of(&kind).ok_or(UiError::NotFound)?;
    let rows = trail(&state, user.scope(), entity, &id).await?;
    let back = if entity == EntityKind::Tier {
        back.to_owned()
    } else {
        format!("{back}{id}")
    };
    Ok(AuditPage {
        chrome: Chrome::new(&user, "partners"),
        kind: entity.label(),
        id,
        back,
        rows,
    }
    .into_response())
}

pub(super) async fn archive_or_restore(
    State(state): State<AppState>,
    Path((kind, id, op)): Path<(String, String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let (entity, _) = kind_of(&kind).ok_or(UiError::NotFound)?;
    let archive = match op.as_str() {
        "archive" => true,
        "restore" => false,
        _ => return Err(UiError::NotFound),
    };
    let actor = form.user.actor();
    let s = &state.store;
    let back = match (entity, archive) {
        (EntityKind::Program, true) => s
            .archive_program(&actor, &id)
            .await
            .map(|_| format!("/console/programs/{id}")),
        (EntityKind::Program, false) => s
            .restore_program(&actor, &id)
            .await
            .map(|_| format!("/console/programs/{id}")),
        (EntityKind::Tier, true) => s
            .archive_tier(&actor, &id)
            .await
            .map(|t| format!("/console/programs/{}#tiers", t.program_id)),
        (EntityKind::Tier, false) => s
            .restore_tier(&actor, &id)
            .await
            .map(|t| format!("/console/programs/{}#tiers", t.program_id)),
        (EntityKind::Partner, true) => s
            .archive_partner(&actor, &id)
            .await
            .map(|_| format!("/console/partners/{id}")),
        (EntityKind::Partner, false) => s
            .restore_partner(&actor, &id)
            .await
            .map(|_| format!("/console/partners/{id}")),
        (EntityKind::Account, true) => s
            .archive_account(&actor, &id)
            .await
            .map(|_| format!("/console/accounts/{id}")),
        (EntityKind::Account, false) => s
            .restore_account(&actor, &id)
            .await
            .map(|_| format!("/console/accounts/{id}")),
        (EntityKind::User, true) => s.archive_user(&actor, &id).await.map(|u| {
            u.partner_id
                .map_or("/console/users?archived=all".to_owned(), |p| {
                    format!("/console/partners/{p}#users")
                })
        }),
        (EntityKind::User, false) => s.restore_user(&actor, &id).await.map(|u| {
            u.partner_id.map_or("/console/users".to_owned(), |p| {
                format!("/console/partners/{p}#users")
            })
        }),
        // `kind_of` yields only the archivable kinds above; nothing else has these routes.
        _ => return Err(UiError::NotFound),
    }?;
    Ok(Redirect::to(&back).into_response())
}
