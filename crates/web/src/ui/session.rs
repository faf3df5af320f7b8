//! Browser sessions and CSRF protection: the session cookie, the signed-in `UiUser`, and
//! `SignedForm`, the only way a UI route accepts a posted form. Who may open which page is
//! `guard`'s business, not this module's.

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use partnerops_core::scope::Principal;
use partnerops_store::Actor;

use super::UiError;
use super::form::Posted;
use super::guard::Guard;
use crate::AppState;
use crate::upload::{PostedFile, is_multipart, read_multipart};

pub const SESSION_COOKIE: &str = "po_session";
pub const LOGIN_CSRF_COOKIE: &str = "po_login_csrf";

/// A signed-in browser user.
#[derive(Clone, Debug)]
pub struct UiUser {
    pub principal: Principal,
    pub csrf: String,
    /// How many of the user's notifications are unread, for the navigation.
    pub unread_notifications: i64,
}

impl UiUser {
    pub fn actor(&self) -> Actor {
        Actor::User(self.principal.clone())
    }
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

async fn session_of(parts: &Parts, state: &AppState) -> Result<Option<UiUser>, UiError> {
    let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = state.store.session(&value).await? else {
        return Ok(None);
    };
    let unread_notifications = state.store.unread_notifications(&session.principal).await?;
    Ok(Some(UiUser {
        principal: session.principal,
        csrf: session.csrf,
        unread_notifications,
    }))
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        let here = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        session_of(parts, state).await?.ok_or(UiError::SignIn(here))
    }
}

impl OptionalFromRequestParts<AppState> for UiUser {
    type Rejection = UiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, UiError> {
        session_of(parts, state).await
    }
}

/// Whether a state-changing request comes from our own pages: an `Origin` header, when the
/// browser sends one, must name this host.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    !host.is_empty() && origin_host == host
}

/// A posted form from a signed-in user, with its CSRF token and origin checked, then the
/// user admitted by guard `U` (`Staff`, `PartnerUser`, or any signed-in `UiUser`). Every
/// state-changing UI route takes this, so none can skip the check.
pub struct SignedForm<U = UiUser> {
    pub user: U,
    pub posted: Posted,
    /// Files of a `multipart/form-data` form (routes added with `Routes::post_upload`).
    pub files: Vec<PostedFile>,
}

impl<U: Guard> FromRequest<AppState> for SignedForm<U> {
    type Rejection = UiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, UiError> {
        let (mut parts, body) = req.into_parts();
        let user =
            <UiUser as FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await?;
        if !same_origin(&parts.headers) {
            return Err(UiError::Csrf);
        }
        let req = Request::from_parts(parts, body);
        let (posted, files) = if is_multipart(&req) {
            let body = read_multipart(req, state)
                .await
                .map_err(|inv| UiError::Store(partnerops_store::StoreError::Invalid(inv)))?;
            (Posted(body.fields), body.files)
        } else {
            let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
                .await
                .map_err(|_| UiError::Csrf)?;
            (Posted(pairs), Vec::new())
        };
        if posted.get("_csrf").as_deref() != Some(user.csrf.as_str()) {
            return Err(UiError::Csrf);
        }
        Ok(SignedForm {
            user: U::admit(user)?,
            posted,
            files,
        })
    }
}

/// The CSRF cookie of the public forms (no session yet: applying, accepting an invitation,
/// a campaign's lead form), echoed by a hidden field.
const PUBLIC_CSRF_COOKIE: &str = "po_public_csrf";

/// A fresh token for a public form, and the `Set-Cookie` value that carries it.
pub fn public_csrf(state: &AppState) -> (String, String) {
    let token = partnerops_store::secret::random_token("");
    let cookie = set_cookie(PUBLIC_CSRF_COOKIE, &token, "/", 3600, state.secure_cookies);
    (token, cookie)
}

/// Whether a public form came from our page: same origin, and its token matches the cookie.
pub fn public_form_ok(headers: &HeaderMap, posted: &Posted) -> bool {
    same_origin(headers)
        && cookie(headers, PUBLIC_CSRF_COOKIE).is_some_and(|c| Some(c) == posted.get("_csrf"))
}
