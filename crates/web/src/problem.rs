//! RFC 9457 problem documents: every API error is one, naming the field and the rule where
//! there is one. Internal failures are logged with their detail and answered with a bare
//! 500, so nothing about the database leaks to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use partnerops_core::{FieldError, Invalid};
use partnerops_store::StoreError;
use serde::Serialize;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For invalid input and conflicts: each field and the rule it broke.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For refusals by role: the rule that refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

const TYPE_BASE: &str = "https://partnerops.dev/problems/";

/// The error every API handler returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("authentication required")]
    Unauthenticated,
    #[error("no such route")]
    NoRoute,
    /// The path is an API route, but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A path parameter that does not parse: no resource has that address.
    #[error("bad path parameter")]
    BadPath(FieldError),
    /// The API token's expiry has passed.
    #[error("token expired")]
    TokenExpired,
    /// The API token lacks the scope the route needs.
    #[error("token lacks scope {0}")]
    TokenScope(partnerops_core::token::TokenScope),
    /// Too many requests for the token or the client address in this window.
    #[error("rate limited")]
    RateLimited { retry_after: u32 },
    /// The answer cannot be given in the media type asked for (CSV of a single record).
    #[error("not acceptable: {0}")]
    NotAcceptable(String),
}

impl From<Invalid> for ApiError {
    fn from(inv: Invalid) -> Self {
        ApiError::Store(StoreError::Invalid(inv))
    }
}

impl Problem {
    fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("{TYPE_BASE}{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            rule: None,
        }
    }
}

impl ApiError {
    pub fn problem(&self) -> Problem {
        match self {
            ApiError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                "send an API token as `Authorization: Bearer po_…` (create one with `partnerops token create`)",
            ),
            ApiError::NoRoute => Problem::new(
                StatusCode::NOT_FOUND,
                "no-route",
                "Not found",
                "no API route matches this method and path",
            ),
            ApiError::MethodNotAllowed => Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this API route does not answer this method; the OpenAPI document lists the methods of each route",
            ),
            ApiError::TokenExpired => Problem {
                rule: Some("token.expired".to_owned()),
                ..Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "token-expired",
                    "Token expired",
                    "this API token has expired; create a new one (POST /api/v1/tokens or `partnerops token create`)",
                )
            },
            ApiError::TokenScope(needed) => Problem {
                rule: Some("token.scope".to_owned()),
                ..Problem::new(
                    StatusCode::FORBIDDEN,
                    "insufficient-scope",
                    "Insufficient scope",
                    format!("this API token lacks the scope `{needed}` this route needs"),
                )
            },
            ApiError::RateLimited { retry_after } => Problem {
                rule: Some("rate_limit".to_owned()),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many requests",
                    format!(
                        "the rate limit of this token or address is used up; retry in {retry_after} s"
                    ),
                )
            },
            ApiError::NotAcceptable(detail) => Problem::new(
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "Not acceptable",
                detail.clone(),
            ),
            ApiError::BadPath(e) => Problem {
                errors: vec![e.clone()],
                ..Problem::new(
                    StatusCode::NOT_FOUND,
                    "bad-path-parameter",
                    "Not found",
                    e.message.clone(),
                )
            },
            ApiError::Store(e) => match e {
                StoreError::NotFound(kind) => Problem::new(
                    StatusCode::NOT_FOUND,
                    "not-found",
                    "Not found",
                    format!("{} not found", kind.label().to_lowercase()),
                ),
                StoreError::Invalid(inv) => Problem {
                    errors: inv.errors.clone(),
                    ..Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid-input",
                        "Invalid input",
                        inv.summary(),
                    )
                },
                StoreError::Conflict {
                    field,
                    rule,
                    message,
                } => Problem {
                    errors: vec![FieldError::new(field, rule, message.clone())],
                    ..Problem::new(
                        StatusCode::CONFLICT,
                        "conflict",
                        "Conflict",
                        format!("{field}: {message}"),
                    )
                },
                StoreError::Forbidden(denied) => Problem {
                    rule: Some(denied.rule.to_owned()),
                    ..Problem::new(
                        StatusCode::FORBIDDEN,
                        "forbidden",
                        "Forbidden",
                        denied.message.clone(),
                    )
                },
                StoreError::PreconditionFailed => Problem {
                    rule: Some("if_match".to_owned()),
                    ..Problem::new(
                        StatusCode::PRECONDITION_FAILED,
                        "precondition-failed",
                        "Precondition failed",
                        "the record changed since you read it (its ETag no longer matches If-Match); nothing was written: read it again and retry",
                    )
                },
                StoreError::Refused { decision, .. } => Problem {
                    rule: Some(decision.rule.clone()),
                    ..Problem::new(
                        StatusCode::CONFLICT,
                        "refused",
                        "Refused by a rule",
                        decision.reason.clone(),
                    )
                },
                StoreError::BadCredentials => Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "bad-credentials",
                    "Wrong credentials",
                    "wrong e-mail address or password",
                ),
                StoreError::Throttled { retry_at } => Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    "Too many attempts",
                    format!(
                        "too many failed sign-ins; try again after {}",
                        retry_at.format("%H:%M UTC")
                    ),
                ),
                // The object store is down or full: worth retrying, unlike a bug.
                StoreError::Files(_) => Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "files.unavailable",
                    "File store unavailable",
                    "the file store did not answer; try again shortly (the error is logged)",
                ),
                StoreError::Unavailable(_) => Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database-unavailable",
                    "Database unavailable",
                    "the database cannot be reached right now; try again after Retry-After seconds (send an Idempotency-Key with a create, so a retry cannot create twice)",
                ),
                StoreError::Corrupt(_)
                | StoreError::Hashing(_)
                | StoreError::Migrate(_)
                | StoreError::Db(_) => Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the server failed; the error is logged",
                ),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        if problem.status >= 500 {
            tracing::error!(error = %self, "request failed");
        }
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::Store(e @ StoreError::Unavailable(_)) = &self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(crate::retry::RETRY_AFTER_SECONDS),
            );
            response
                .extensions_mut()
                .insert(crate::retry::DbUnavailable::of(e));
        }
        match &self {
            ApiError::Unauthenticated => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // RFC 6750 §3: the error codes a bearer client understands.
            ApiError::TokenExpired => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Bearer error=\"invalid_token\", error_description=\"the token expired\"",
                    ),
                );
            }
            ApiError::TokenScope(needed) => {
                if let Ok(v) = HeaderValue::from_str(&format!(
                    "Bearer error=\"insufficient_scope\", scope=\"{needed}\""
                )) {
                    response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
            }
            ApiError::RateLimited { retry_after } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        response
    }
}
