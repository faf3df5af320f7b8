//! The partner portal: a partner user's own company and its users, nothing else. Every
//! read goes through the store with the user's partner scope; vendor staff are sent to
//! the console.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use partnerops_core::ids::EntityId;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partner::Partner;
use partnerops_core::scope::Scope;
use partnerops_core::tier::Tier;
use partnerops_core::user::{Role, User};
use partnerops_store::users::UserFilter;
use partnerops_store::{Archived, Store};

use super::console::{Choices, user_input};
use super::form::{FormView, Posted, field_errors};
use super::session::SignedForm;
use super::{Chrome, UiError, UiUser};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(home))
        .route("/portal/profile", post(update_profile))
        .route("/portal/users", get(users).post(create_user))
        .route("/portal/users/{id}/archive", post(archive_user))
}

/// The partner scope of a portal user; staff have no portal.
pub(super) fn partner_scope(user: &UiUser) -> Result<Scope, UiError> {
    match &user.principal.scope {
        Scope::Partner(_) => Ok(user.principal.scope.clone()),
        Scope::Vendor => Err(UiError::NotFound),
    }
}

pub(super) async fn own_partner(state: &AppState, user: &UiUser) -> Result<Partner, UiError> {
    let scope = partner_scope(user)?;
    let id = user.principal.partner_id().ok_or(UiError::NotFound)?;
    Ok(state.store.partner(&scope, id.as_str()).await?)
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/home.html")]
struct HomePage {
    chrome: Chrome,
    partner: Partner,
    tiers: Vec<Tier>,
    form: FormView,
    choices: Choices,
    can_edit: bool,
    saved: bool,
}

fn profile_form(p: &Partner) -> FormView {
    let mut f = FormView::default();
    f.set("name", p.name.clone());
    f.set("web_domain", p.web_domain.to_string());
    f.set("country", p.country.to_string());
    f.set_all(
        "regions",
        p.regions.iter().map(|r| r.as_str().to_owned()).collect(),
    );
    f.set("verticals", p.verticals.join(", "));
    f
}

async fn home_page(
    state: &AppState,
    user: &UiUser,
    form: Option<FormView>,
    saved: bool,
) -> Result<HomePage, UiError> {
    let partner = own_partner(state, user).await?;
    let scope = partner_scope(user)?;
    let req = PageRequest::parse(&PageParams::default(), &Store::tier_sorts())
        .map_err(|e| UiError::Store(e.into()))?;
    let tiers = state
        .store
        .tiers(&scope, partner.program_id.as_str(), Archived::Live, &req)
        .await?
        .items;
    Ok(HomePage {
        chrome: Chrome::new(user, "company"),
        form: form.unwrap_or_else(|| profile_form(&partner)),
        partner,
        tiers,
        choices: Choices::get(),
        can_edit: user.principal.role == Role::PartnerAdmin,
        saved,
    })
}

#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn home(
    State(state): State<AppState>,
    user: UiUser,
    Query(s): Query<Saved>,
) -> Result<Response, UiError> {
    Ok(home_page(&state, &user, None, s.saved.is_some())
        .await?
        .into_response())
}

fn profile_input(posted: &Posted) -> partnerops_core::partner::PartnerInput {
    partnerops_core::partner::PartnerInput {
        name: posted.get("name"),
        web_domain: posted.get("web_domain"),
        country: posted.get("country"),
        regions: Some(posted.all("regions")),
        verticals: Some(
            posted
                .get("verticals")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        ..Default::default()
    }
}

async fn update_profile(
    State(state): State<AppState>,
    form: SignedForm,
) -> Result<Response, UiError> {
    let partner = own_partner(&state, &form.user).await?;
    match state
        .store
        .update_partner(
            &form.user.actor(),
            partner.id.as_str(),
            profile_input(&form.posted),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/portal?saved=1").into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                home_page(&state, &form.user, Some(view), false).await?,
            )
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/users.html")]
struct UsersPage {
    chrome: Chrome,
    partner: Partner,
    users: Vec<User>,
    form: FormView,
    can_manage: bool,
}

async fn users_page(
    state: &AppState,
    user: &UiUser,
    form: Option<FormView>,
) -> Result<UsersPage, UiError> {
    let partner = own_partner(state, user).await?;
    let scope = partner_scope(user)?;
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
        .users(&scope, &UserFilter::default(), &req)
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

async fn users(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    Ok(users_page(&state, &user, None).await?.into_response())
}

async fn create_user(State(state): State<AppState>, form: SignedForm) -> Result<Response, UiError> {
    partner_scope(&form.user)?;
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

async fn archive_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm,
) -> Result<Response, UiError> {
    partner_scope(&form.user)?;
    state.store.archive_user(&form.user.actor(), &id).await?;
    Ok(Redirect::to("/portal/users").into_response())
}
