//! Extractors whose rejections are problem documents naming the field, instead of axum's
//! plain-text defaults.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use partnerops_core::Invalid;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// A JSON body. A type error names its path (`thesis.coverage_gaps[2]`); unknown fields
/// are refused, so a typo in a field name is not silently ignored.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(Invalid::one(
                "body",
                "content_type",
                "send the body as JSON with Content-Type: application/json",
            )
            .into());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::from(Invalid::one("body", "readable", e.body_text())))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(Json).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "body".to_owned() } else { path };
            let inner = e.into_inner();
            let message = inner.to_string();
            // serde names unknown fields in its message; point the field at the unknown key.
            let rule = if message.starts_with("unknown field") {
                "unknown_field"
            } else {
                "json"
            };
            Invalid::one(&field, rule, message).into()
        })
    }
}

/// A query string. Parameters arrive as text and are parsed by the domain, so the only
/// failure here is a malformed query string.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(raw)
            .map(Query)
            .map_err(|e| Invalid::one("query", "query_string", e.to_string()).into())
    }
}
