//! Extractors whose rejections are problem documents naming the field, instead of axum's
//! plain-text defaults. Every API handler takes its body, query and path through these,
//! never through axum's own extractors.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use partnerops_core::Invalid;
use serde::de::DeserializeOwned;

use partnerops_core::FieldError;

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

/// Path parameters. A value that does not parse (an id out of range, text where a number
/// belongs) is answered with a `404` problem document naming the parameter: no resource
/// has such an address.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(rejection) => {
                // The rejection names a parameter by key or by position; positions are
                // turned back into names from the raw parameters.
                let names: Vec<String> = RawPathParams::from_request_parts(parts, state)
                    .await
                    .map(|raw| raw.iter().map(|(k, _)| k.to_owned()).collect())
                    .unwrap_or_default();
                let first = || names.first().cloned().unwrap_or_else(|| "path".to_owned());
                let (field, message) = match &rejection {
                    PathRejection::FailedToDeserializePathParams(e) => {
                        let field = match e.kind() {
                            ErrorKind::ParseErrorAtKey { key, .. }
                            | ErrorKind::InvalidUtf8InPathParam { key }
                            | ErrorKind::DeserializeError { key, .. } => key.clone(),
                            ErrorKind::ParseErrorAtIndex { index, .. } => {
                                names.get(*index).cloned().unwrap_or_else(first)
                            }
                            _ => first(),
                        };
                        (field, e.body_text())
                    }
                    other => (first(), other.body_text()),
                };
                Err(ApiError::BadPath(FieldError::new(
                    &field,
                    "path_parameter",
                    format!("{field}: {message}"),
                )))
            }
        }
    }
}

/// The `If-Match` header of an update: the entity tags (from `ETag`) the client last saw.
/// Absent, the update runs unconditionally as it always did; present, the store checks it
/// inside the update's transaction and a stale tag is answered 412 with nothing written.
pub struct IfMatch(pub partnerops_store::etag::Precondition);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let values = parts
            .headers
            .get_all(axum::http::header::IF_MATCH)
            .iter()
            // A header that is not text matches no tag.
            .map(|v| v.to_str().unwrap_or(""));
        Ok(IfMatch(partnerops_store::etag::Precondition::parse(values)))
    }
}

impl utoipa::IntoParams for IfMatch {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        vec![
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The `ETag` of the record as last read: the update happens only if the record is still that version, else 412 (rule `if_match`) and nothing is written. `*` matches any version. Without the header the update runs unconditionally.",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        ]
    }
}
