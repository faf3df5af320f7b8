//! Who is calling. API requests carry a bearer token, checked by the API gate (`gate`);
//! browser requests a session cookie (see `ui::session`). Either way the handler receives a principal whose scope the store
//! then applies.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderName;
use axum::http::request::Parts;
use partnerops_core::scope::{Principal, Scope};
use partnerops_store::Actor;

use crate::AppState;
use crate::gate::{Caller, check_scope};
use crate::problem::ApiError;

/// An authenticated API caller.
pub struct ApiUser(pub Principal);

impl ApiUser {
    pub fn actor(&self) -> Actor {
        Actor::User(self.0.clone())
    }

    pub fn scope(&self) -> &Scope {
        &self.0.scope
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, ApiError> {
        // An export by a signed-in browser or by the CLI already knows who it acts as.
        if let Some(crate::export::ActingAs(principal)) = parts.extensions.get() {
            return Ok(ApiUser(principal.clone()));
        }
        // The API gate (`gate::gate`) looked the token up and counted the request; the
        // expiry and the scope are checked here, where a route says it needs a caller.
        let principal = match parts.extensions.get::<Caller>() {
            None => return Err(ApiError::Unauthenticated),
            Some(Caller::Expired) => return Err(ApiError::TokenExpired),
            Some(Caller::Live { principal, scopes }) => {
                check_scope(scopes, &parts.method, parts.uri.path())?;
                principal.clone()
            }
        };
        tracing::Span::current().record("user", tracing::field::display(&principal.user_id));
        Ok(ApiUser(principal))
    }
}

/// Where a request comes from: the peer address, or behind a trusted reverse proxy the
/// client it names in `X-Forwarded-For` (the rule is `partnerops_core::client_addr`). Login
/// throttling keys on this, so users behind one proxy do not share one lock.
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The address hashed, for flood limits on public forms: they need to recognise a
    /// visitor, not to keep the address.
    pub fn key(&self) -> String {
        partnerops_store::secret::token_hash(&self.0.to_string())
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        // Served without connection info (an in-process test of the router): no peer known.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientAddr(
            state.trusted_proxies.client_addr(peer, &forwarded),
        ))
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
