//! The portal's user page: the partner's own users, added and removed by its admin.
//! Partner users only; the console's user list lives in `console`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partner::Partner;
use partnerops_core::user::{Role, User};
use partnerops_store::Store;
use partnerops_store::user::UserFilter;

use crate::AppState;
use crate::ui::form::{FormView, field_errors};
use crate::ui::guard::PartnerUser;
use crate::ui::partner::own_partner;
use crate::ui::session::SignedForm;
use crate::ui::user::user_input;
use crate::ui::{Chrome, UiError};

#[derive(Template, WebTemplate)]
#[template(path = "user/portal/users.html")]
struct UsersPage {
    chrome: Chrome,
    partner: Partner,
    users: Vec<User>,
    form: FormView,
    can_manage: bool,
}

async fn users_page(
    state: &AppState,
    user: &PartnerUser,
    form: Option<FormView>,
) -> Result<UsersPage, UiError> {
    let partner = own_partner(state, user).await?;
    let scope = user.scope();
    let req = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::user_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    let users = state
        .store
        .users(scope, &UserFilter::default(), &req)
        .await?
        .items;
    let form = form.unwrap_or_else(|| {
        let mut f = FormView::default();
        f.set("role", "partner_rep");
        f
    });
    Ok(UsersPage {
        chrome: Chrome::new(user, "users"),
        partner,
        users,
        form,
        can_manage: user.principal.role == Role::PartnerAdmin,
    })
}

pub(super) async fn users(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<Response, UiError> {
    Ok(users_page(&state, &user, None).await?.into_response())
}

pub(super) async fn create_user(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let mut input = user_input(&form.posted);
    // The portal always adds users to the signed-in user's own partner.
    input.partner_id = None;
    match state.store.create_user(&form.user.actor(), &input).await {
        Ok(_) => Ok(Redirect::to("/portal/users").into_response()),
        Err(e) => {
            let mut view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            view.set("password", "");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                users_page(&state, &form.user, Some(view)).await?,
            )
                .into_response())
        }
    }
}

pub(super) async fn archive_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    state.store.archive_user(&form.user.actor(), &id).await?;
    Ok(Redirect::to("/portal/users").into_response())
}
