//! The console's user pages: every user (staff and partner users) with the new-user form.
//! Staff only. A partner admin's own user list lives in `portal`.

use crate::AppState;
use crate::api::UserQuery;
use crate::ui::form::Choices;
use crate::ui::form::{FormView, field_errors};
use crate::ui::guard::Staff;
use crate::ui::list::Listing;
use crate::ui::partner::partner_page;
use crate::ui::session::SignedForm;
use crate::ui::user::user_input;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::ids::EntityId;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::user::User;
use partnerops_store::Store;

// ---------------------------------------------------------------- users

#[derive(Template, WebTemplate)]
#[template(path = "user/console/users.html")]
struct UsersPage {
    chrome: Chrome,
    /// Names of the partners the listed users belong to.
    partner_names: std::collections::HashMap<String, String>,
    filters: FormView,
    form: FormView,
    choices: Choices,
    page: Page<User>,
    next: Option<String>,
    error: Option<String>,
    /// Query of the CSV export of these rows.
    export_query: String,
}

async fn users_page(
    state: &AppState,
    user: &Staff,
    q: &UserQuery,
    p: &PageParams,
    form: FormView,
) -> Result<UsersPage, UiError> {
    let query = [
        ("q", q.q.as_deref()),
        ("staff", q.staff.as_deref()),
        ("role", q.role.as_deref()),
    ];
    let parsed = crate::api::both(PageRequest::parse(p, &Store::user_sorts()), q.parse());
    let Listing {
        page,
        next,
        error,
        filters,
        export_query,
    } = Listing::load(parsed, "/console/users", &query, |req, filter| async move {
        state.store.users(user.scope(), &filter, &req).await
    })
    .await?;
    let mut partner_names = std::collections::HashMap::new();
    for id in page.items.iter().filter_map(|u| u.partner_id.as_ref()) {
        if !partner_names.contains_key(id.as_str()) {
            let partner = state.store.partner(user.scope(), id.as_str()).await?;
            partner_names.insert(id.to_string(), partner.name);
        }
    }
    Ok(UsersPage {
        chrome: Chrome::new(user, "users"),
        partner_names,
        filters,
        form,
        choices: Choices::get(),
        page,
        next,
        error,
        export_query,
    })
}

pub(super) async fn users(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<UserQuery>,
    Query(p): Query<PageParams>,
) -> Result<Response, UiError> {
    let mut form = FormView::default();
    form.set("role", "channel_manager");
    Ok(users_page(&state, &user, &q, &p, form)
        .await?
        .into_response())
}

/// Creates a user; from a partner page (`return_to`) errors show on that page.
pub(super) async fn create_user(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let back = form.posted.get("partner_id").filter(|p| !p.is_empty());
    match state
        .store
        .create_user(&form.user.actor(), &user_input(&form.posted))
        .await
    {
        Ok(_) => Ok(Redirect::to(&back.map_or_else(
            || "/console/users".to_owned(),
            |p| format!("/console/partners/{p}#users"),
        ))
        .into_response()),
        Err(e) => {
            let mut view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            view.set("password", "");
            let status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            match back {
                Some(p) => Ok((
                    status,
                    partner_page(&state, &form.user, &p, None, Some(view), false).await?,
                )
                    .into_response()),
                None => Ok((
                    status,
                    users_page(
                        &state,
                        &form.user,
                        &UserQuery::default(),
                        &PageParams::default(),
                        view,
                    )
                    .await?,
                )
                    .into_response()),
            }
        }
    }
}
