//! The API gate, in front of every `/api/v1` request, in this order:
//!
//! 1. **Who**: the bearer token is looked up once (`Store::check_token`); what it is worth
//!    goes into the request for [`crate::auth::ApiUser`].
//! 2. **How often**: the request is counted against the token (`[api]
//!    rate_limit_per_minute`) or, without a live token, against the client address
//!    (`rate_limit_per_address_per_minute`, the address behind trusted proxies). The count
//!    lives in the database, so instances on one PostgreSQL share it. Every answer carries
//!    `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`
//!    (IETF draft-ietf-httpapi-ratelimit-headers); over the limit: 429 with `Retry-After`.
//!
//! Then [`crate::auth::ApiUser`], which every route that needs a caller takes, refuses an
//! expired token (401 `token-expired`) and checks the **scope** ([`check_scope`]): the
//! route's capability ([`capability_of`], from the path) and access (GET and HEAD read,
//! other methods write) must be granted by one of the token's scopes, else 403 with rule
//! `token.scope` naming the scope needed. Public routes (the application form, accepting an
//! invitation, the document itself) take no caller, so no token can be refused there.
//!
//! Browser sessions never reach the API, so the UI is not affected.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use partnerops_core::rate_limit::{RateLimit, RateVerdict};
use partnerops_core::scope::Principal;
use partnerops_core::token::{TokenAccess, TokenCapability, TokenScope, allows};
use partnerops_store::auth::TokenCheck;

use crate::AppState;
use crate::auth::ClientAddr;
use crate::problem::ApiError;

/// The API's rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiRateLimits {
    /// Per API token.
    pub per_token: RateLimit,
    /// Per client address, for requests without a live token.
    pub per_address: RateLimit,
}

/// Requests per minute per token when the configuration does not say.
pub const DEFAULT_PER_TOKEN_PER_MINUTE: u32 = 600;
/// Requests per minute per client address (without a token) when it does not say.
pub const DEFAULT_PER_ADDRESS_PER_MINUTE: u32 = 120;

impl Default for ApiRateLimits {
    fn default() -> Self {
        ApiRateLimits {
            per_token: RateLimit::per_minute(DEFAULT_PER_TOKEN_PER_MINUTE),
            per_address: RateLimit::per_minute(DEFAULT_PER_ADDRESS_PER_MINUTE),
        }
    }
}

/// What the request's token is worth, put into the request by the gate.
#[derive(Clone, Debug)]
pub(crate) enum Caller {
    Live {
        principal: Principal,
        scopes: Vec<TokenScope>,
    },
    Expired,
}

/// The scope refusal for a request with `method` to `path` by a token with `scopes`, if
/// any. Paths outside the capability table (the document) need no scope.
pub(crate) fn check_scope(
    scopes: &[TokenScope],
    method: &Method,
    path: &str,
) -> Result<(), ApiError> {
    match capability_of(path) {
        Some(cap) => {
            let access = access_of(method);
            if allows(scopes, cap, access) {
                Ok(())
            } else {
                Err(ApiError::TokenScope(TokenScope::needed(cap, access)))
            }
        }
        None => Ok(()),
    }
}

/// Which capability an API path belongs to: its first segment after `/api/v1/`, unless a
/// nested resource of a record belongs elsewhere (`programs/{id}/policy` is policy).
/// Longest pattern first; `*` stands for one segment. The OpenAPI tests check that every
/// documented path has one (only the document itself needs none).
const CAPABILITIES: &[(&str, TokenCapability)] = {
    use TokenCapability::*;
    &[
        ("programs/*/policy", Policy),
        ("programs/*/registration-policy", Registration),
        ("programs/*/activation", Lifecycle),
        ("programs/*/cohort", Lifecycle),
        ("programs/*/council", Lifecycle),
        ("programs/*/launch", Lifecycle),
        ("partners/*/onboarding", Lifecycle),
        ("partners/*/tier-standing", Lifecycle),
        ("partners/*/decisions", Lifecycle),
        ("accounts/*/registrations", Registration),
        ("accounts/*/direct-activities", Registration),
        ("opportunities/*/revenue-events", Payout),
        ("accounts", Account),
        ("applications", Lifecycle),
        ("attempts", Enablement),
        ("business-plans", BusinessPlan),
        ("cadence", Cadence),
        ("calendar-feed", Cadence),
        ("campaign-leads", Campaign),
        ("campaign-templates", Campaign),
        ("campaigns", Campaign),
        ("certifications", Enablement),
        ("charters", Partnership),
        ("commission-lines", Payout),
        ("conflicts", Registration),
        ("course-modules", Enablement),
        ("courses", Enablement),
        ("curricula", Enablement),
        ("decision-trees", Partnership),
        ("directory", Directory),
        ("engagement-requests", Registration),
        ("enrolments", Enablement),
        ("event-rsvps", Event),
        ("events", Event),
        ("files", File),
        ("fx-rates", Pipeline),
        ("import-mappings", Import),
        ("imports", Import),
        ("invitations", Lifecycle),
        ("launch-tasks", Launch),
        ("launch-templates", Launch),
        ("launches", Launch),
        ("line-disputes", Payout),
        ("mapping", Mapping),
        ("mdf-allocations", Mdf),
        ("mdf-budgets", Mdf),
        ("mdf-claims", Mdf),
        ("mdf-requests", Mdf),
        ("mdf-roi", Mdf),
        ("me", User),
        ("notification-preferences", Notification),
        ("notifications", Notification),
        ("opportunities", Pipeline),
        ("partners", Partner),
        ("payout-statements", Payout),
        ("pipeline", Pipeline),
        ("plan-tasks", BusinessPlan),
        ("policy", Policy),
        ("policy-drafts", Policy),
        ("programs", Program),
        ("questions", Enablement),
        ("registrations", Registration),
        ("room-tasks", Pipeline),
        ("tiers", Program),
        ("tokens", Token),
        ("users", User),
        ("webhook-deliveries", Webhook),
        ("webhook-subscriptions", Webhook),
    ]
};

/// The capability of an API path (`/api/v1/...`), or `None` for paths that need no scope
/// (the OpenAPI document) and paths that are not API routes.
pub fn capability_of(path: &str) -> Option<TokenCapability> {
    let rest = path.strip_prefix("/api/v1/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    CAPABILITIES.iter().find_map(|(pattern, cap)| {
        let parts: Vec<&str> = pattern.split('/').collect();
        let matches = segments.len() >= parts.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(p, s)| *p == "*" || p == s);
        matches.then_some(*cap)
    })
}

/// Read for GET, HEAD and OPTIONS; write for everything else.
pub fn access_of(method: &Method) -> TokenAccess {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        TokenAccess::Read
    } else {
        TokenAccess::Write
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The middleware.
pub async fn gate(
    State(state): State<AppState>,
    client: ClientAddr,
    mut req: Request,
    next: Next,
) -> Response {
    if !req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let check = match bearer(req.headers()) {
        Some(secret) => match once_more(|| state.store.check_token(secret)).await {
            Ok(c) => c,
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => TokenCheck::Unknown,
    };
    let (bucket, limit) = match &check {
        TokenCheck::Live(g) => (format!("token:{}", g.token_id), state.rate_limits.per_token),
        TokenCheck::Expired | TokenCheck::Unknown => (
            format!("addr:{}", client.key()),
            state.rate_limits.per_address,
        ),
    };
    let verdict = match once_more(|| state.store.count_request(&bucket, limit)).await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut res = if verdict.exceeded {
        ApiError::RateLimited {
            retry_after: verdict.reset_secs,
        }
        .into_response()
    } else {
        match check {
            TokenCheck::Expired => {
                req.extensions_mut().insert(Caller::Expired);
            }
            TokenCheck::Live(grant) => {
                req.extensions_mut().insert(Caller::Live {
                    principal: grant.principal,
                    scopes: grant.scopes,
                });
            }
            TokenCheck::Unknown => {}
        }
        next.run(req).await
    };
    rate_limit_headers(res.headers_mut(), limit, verdict);
    res
}

/// Runs `f` again once, after a short pause, when the database connection dropped under
/// it (as `retry` does for the routes, which this gate sits outside of): the lookup is a
/// read, and a count repeated after a lost commit answer only counts one request twice.
async fn once_more<T, F, Fut>(f: F) -> Result<T, partnerops_store::StoreError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, partnerops_store::StoreError>>,
{
    match f().await {
        Err(e) if e.connection_dropped() => {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            f().await
        }
        other => other,
    }
}

fn rate_limit_headers(headers: &mut HeaderMap, limit: RateLimit, v: RateVerdict) {
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    };
    set("ratelimit-limit", v.limit.to_string());
    set("ratelimit-remaining", v.remaining.to_string());
    set("ratelimit-reset", v.reset_secs.to_string());
    set("ratelimit-policy", limit.policy());
}
