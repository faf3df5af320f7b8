//! The portal's pipeline pages: the opportunities the partner is on (those it brought and
//! those it influenced), and one opportunity with the actions its role allows. A partner
//! user sees its own touchpoints only.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use partnerops_core::Invalid;
use std::collections::HashMap;

use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::pipeline::policy::PipelinePolicy;
use partnerops_core::pipeline::record::Opportunity;
use partnerops_store::Store;
use partnerops_store::pipeline::OpportunityFilter;

use super::{Done, OppRow, after_action, notice_of, opportunity_page};
use crate::AppState;
use crate::ui::form::FormView;
use crate::ui::guard::PartnerUser;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/portal/list.html")]
struct ListPage {
    chrome: Chrome,
    open: Vec<OppRow>,
    closed: Vec<OppRow>,
    next: Option<String>,
}

#[derive(serde::Deserialize)]
pub(super) struct ListQuery {
    cursor: Option<String>,
}

/// `GET /portal/opportunities`: open deals by expected close, then the latest closed.
pub(super) async fn list(
    State(state): State<AppState>,
    user: PartnerUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let page = |sort: &str, cursor: Option<String>| {
        PageRequest::parse(
            &PageParams {
                sort: Some(sort.to_owned()),
                limit: Some("50".into()),
                cursor,
            },
            &Store::opportunity_sorts(),
        )
        .map_err(|e: Invalid| UiError::Store(e.into()))
    };
    let store = &state.store;
    let open = store
        .opportunities(
            user.scope(),
            &OpportunityFilter {
                stage: Some("open".into()),
                ..OpportunityFilter::default()
            },
            &page(
                "expected_close_on",
                q.cursor.clone().filter(|c| !c.is_empty()),
            )?,
        )
        .await?;
    let closed = store
        .opportunities(
            user.scope(),
            &OpportunityFilter {
                stage: Some("closed".into()),
                ..OpportunityFilter::default()
            },
            &page("-updated_at", None)?,
        )
        .await?;
    // A partner is in one program, but rows name their own: read each program's stages once.
    let mut policies: HashMap<String, PipelinePolicy> = HashMap::new();
    for o in open.items.iter().chain(closed.items.iter()) {
        let program = o.program_id.to_string();
        if !policies.contains_key(&program) {
            let p = store.pipeline_policy(&program).await?;
            policies.insert(program, p);
        }
    }
    let view = |items: &[Opportunity]| -> Vec<OppRow> {
        items
            .iter()
            .map(|o| OppRow::new(o, &policies[&o.program_id.to_string()]))
            .collect()
    };
    Ok(ListPage {
        chrome: Chrome::new(&user, "opportunities"),
        open: view(&open.items),
        closed: view(&closed.items),
        next: open.next_cursor.map(|c| {
            format!(
                "/portal/opportunities?cursor={}",
                crate::ui::form::url_encode(&c)
            )
        }),
    }
    .into_response())
}

/// `GET /portal/opportunities/{id}`.
pub(super) async fn opportunity(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = opportunity_page(
        &state,
        &user,
        user.scope(),
        "/portal",
        &id,
        ("", FormView::default()),
        notice_of(d.done.as_deref()),
    )
    .await?;
    Ok(page.into_response())
}

/// `POST /portal/opportunities/{id}/{action}`.
pub(super) async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let scope = form.user.scope().clone();
    after_action(
        &state,
        &form.user,
        &scope,
        "/portal",
        &id,
        &action,
        &form.posted,
    )
    .await
}

/// `GET /portal/opportunities/{id}/room`.
pub(super) async fn room(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = super::room::room_page(
        &state,
        &user,
        "/portal",
        &id,
        ("", FormView::default()),
        d.done.as_deref(),
    )
    .await?;
    Ok(page.into_response())
}

/// `POST /portal/opportunities/{id}/room/{action}`.
pub(super) async fn room_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    super::room::after(&state, &form.user, "/portal", &id, &action, &form.posted).await
}
