//! The portal's partnership pages: the partner's own charters, and the portal side of one
//! charter (the edit form and the Sign button for the partner's admin; other partner users
//! read only). Partner users only (`PartnerUser`).

use crate::AppState;
use crate::ui::guard::PartnerUser;
use crate::ui::partnership::CharterPage;
use crate::ui::partnership::CharterRow;
use crate::ui::partnership::DoneQuery;
use crate::ui::partnership::ModelPage;
use crate::ui::partnership::Visitor;
use crate::ui::partnership::act;
use crate::ui::partnership::charter_page;
use crate::ui::partnership::model_md;
use crate::ui::partnership::model_page;
use crate::ui::partnership::notice_of;
use crate::ui::partnership::page_of;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use partnerops_store::Store;

#[derive(Template, WebTemplate)]
#[template(path = "partnership/portal/charters.html")]
pub(super) struct PortalListPage {
    chrome: Chrome,
    rows: Vec<CharterRow>,
}

pub(super) async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<PortalListPage, UiError> {
    let scope = user.scope();
    let page = page_of("-created_at", 200, &Store::charter_sorts())?;
    let rows = state
        .store
        .charters(scope, Some(user.partner_id()), &page)
        .await?
        .items
        .iter()
        .map(CharterRow::of)
        .collect();
    Ok(PortalListPage {
        chrome: Chrome::new(&user, "charters"),
        rows,
    })
}

pub(super) async fn portal_charter(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<CharterPage, UiError> {
    charter_page(
        &state,
        Visitor::Portal(&user),
        &id,
        notice_of(q.done.as_deref()),
        None,
    )
    .await
}

pub(super) async fn portal_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let SignedForm { user, posted, .. } = form;
    act(&state, Visitor::Portal(&user), &id, &action, posted).await
}

pub(super) async fn portal_model(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<ModelPage, UiError> {
    model_page(&state, Visitor::Portal(&user), &id).await
}

pub(super) async fn portal_model_md(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    model_md(&state, Visitor::Portal(&user), &id).await
}
