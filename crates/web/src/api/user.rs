//! `/api/v1/me`, `/api/v1/users` and `/api/v1/tokens`.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::ids::EntityId;
use partnerops_core::ids::parse_id;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::user::{ApiToken, NewTokenInput, NewUserInput, Role, User, UserPatchInput};
use partnerops_store::Store;
use partnerops_store::user::UserFilter;
use serde::{Deserialize, Serialize};

use super::{AuditQuery, Tagged, TaggedAnswer, archived_param, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// The caller's own user record.
#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = User), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn me(State(s): State<AppState>, who: ApiUser) -> Answer<User> {
    Ok(axum::Json(
        s.store.user(who.scope(), who.0.user_id.as_str()).await?,
    ))
}

/// Filters for the user list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the name or e-mail address.
    pub q: Option<String>,
    pub role: Option<String>,
    pub partner_id: Option<String>,
    /// `true`: vendor staff only; `false`: partner users only.
    pub staff: Option<String>,
    /// `false` (default): live only; `true`: archived only; `all`.
    pub archived: Option<String>,
}

impl UserQuery {
    pub fn parse(&self) -> Result<UserFilter, Invalid> {
        let mut inv = Invalid::new();
        let staff = match self.staff.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                inv.add("staff", "one_of", "staff must be true or false");
                None
            }
        };
        let f = UserFilter {
            q: self.q.clone().filter(|s| !s.trim().is_empty()),
            role: filter(&mut inv, "role", self.role.as_deref(), Role::parse),
            partner_id: filter(&mut inv, "partner_id", self.partner_id.as_deref(), parse_id),
            staff,
            archived: archived_param(&mut inv, self.archived.as_deref()),
        };
        inv.finish(|| Some(f))
    }
}

/// Lists users (a partner user sees its own partner's users).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery, PageParams),
    responses((status = 200, body = Page<User>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<UserQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<User>> {
    let (page, f) = both(PageRequest::parse(&p, &Store::user_sorts()), q.parse())?;
    Ok(axum::Json(s.store.users(who.scope(), &f, &page).await?))
}

/// Creates a user. Partner admins create users of their own partner.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserInput,
    responses((status = 201, body = User), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<NewUserInput>,
) -> Result<(StatusCode, axum::Json<User>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_user(&who.actor(), &input).await?),
    ))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<User> {
    Ok(Tagged(s.store.user(who.scope(), &id).await?))
}

/// Changes a user: anyone their own name and password; roles by those who manage them.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path), IfMatch), request_body = UserPatchInput,
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<UserPatchInput>,
) -> TaggedAnswer<User> {
    Ok(Tagged(
        s.store
            .update_user_if(&who.actor(), &id, &input, &if_match.0)
            .await?,
    ))
}

/// Archives a user: they can no longer sign in or use tokens.
#[utoipa::path(post, path = "/api/v1/users/{id}/archive", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn archive(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<User> {
    Ok(axum::Json(s.store.archive_user(&who.actor(), &id).await?))
}

/// Restores an archived user.
#[utoipa::path(post, path = "/api/v1/users/{id}/restore", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn restore(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<User> {
    Ok(axum::Json(s.store.restore_user(&who.actor(), &id).await?))
}

/// The audit trail of a user.
#[utoipa::path(get, path = "/api/v1/users/{id}/audit", tag = "users", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::User, &id, p).await
}

/// The caller's API tokens, newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<ApiToken>), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn list_tokens(State(s): State<AppState>, who: ApiUser) -> Answer<Vec<ApiToken>> {
    Ok(axum::Json(s.store.tokens(&who.0.user_id).await?))
}

/// A new token and its secret, shown only in this answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub token: ApiToken,
    /// The bearer secret. Store it now: it cannot be shown again.
    pub secret: String,
}

/// Creates an API token: the caller's own, or (with `user_id`) one for a user the caller
/// manages (an administrator for anyone, a partner admin for its own partner's users).
/// Scopes default to `*`, the expiry to 90 days (at most 365).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenInput,
    responses((status = 201, body = CreatedToken), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_token(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<NewTokenInput>,
) -> Result<(StatusCode, axum::Json<CreatedToken>), ApiError> {
    let (token, secret) = s
        .store
        .create_token(&who.actor(), &who.0.user_id, &input)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedToken { token, secret }),
    ))
}

/// Revokes one of the caller's tokens (or of a user the caller manages); it stops working
/// at once.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "tokens", params(("id" = String, Path)),
    responses((status = 200, body = ApiToken), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn revoke_token(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<ApiToken> {
    Ok(axum::Json(s.store.revoke_token(&who.actor(), &id).await?))
}
