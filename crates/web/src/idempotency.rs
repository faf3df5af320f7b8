//! `Idempotency-Key` on API POSTs: a retried request with the same key (and the same
//! credential) gets the first answer again, marked `Idempotent-Replayed: true`, and creates
//! nothing twice, also when the retry reaches another instance; the store decides who holds
//! a key (`store::idempotency`). A key reused for a different request is refused (422); a
//! retry while the first request still runs gets 409 with `Retry-After`. Without the header,
//! requests run as usual.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use partnerops_core::Invalid;
use partnerops_store::StoreError;
use partnerops_store::idempotency::Claim;
use partnerops_store::secret::token_hash;

use crate::AppState;
use crate::problem::ApiError;

/// The header.
pub const HEADER: &str = "idempotency-key";
/// Longest key, in characters.
pub const MAX_KEY_CHARS: usize = 255;
/// Largest request body kept track of: the largest upload and its multipart framing.
const MAX_BODY: usize = partnerops_core::file::LARGEST_UPLOAD as usize + 1024 * 1024;

fn valid(key: &str) -> bool {
    (1..=MAX_KEY_CHARS).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

fn problem(e: impl Into<ApiError>) -> Response {
    e.into().into_response()
}

/// The middleware.
pub async fn idempotent(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let Some(key) = raw.to_str().ok().filter(|k| valid(k)).map(str::to_owned) else {
        return problem(Invalid::one(
            "Idempotency-Key",
            "idempotency_key",
            format!(
                "Idempotency-Key must be 1 to {MAX_KEY_CHARS} visible ASCII characters (a UUID is a good key)"
            ),
        ));
    };
    // Keys belong to a credential; a request without one is answered 401 by the API.
    let Some(owner) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(token_hash)
    else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return problem(Invalid::one(
            "body",
            "max_size",
            format!("a request with an Idempotency-Key may carry at most {MAX_BODY} bytes"),
        ));
    };
    let request = token_hash(&format!(
        "{} {}\n{}",
        parts.method,
        parts.uri,
        String::from_utf8_lossy(&bytes)
    ));
    let store = &state.store;
    match store.claim_key(&owner, &key, &request).await {
        Err(e) => problem(e),
        Ok(Claim::Replay {
            status,
            content_type,
            body,
        }) => {
            let mut res = Response::new(Body::from(body));
            *res.status_mut() =
                axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                res.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            res
        }
        Ok(Claim::InProgress) => {
            let mut res = problem(StoreError::conflict(
                "Idempotency-Key",
                "idempotency.in_progress",
                "a request with this Idempotency-Key is still running; retry in a moment",
            ));
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            res
        }
        Ok(Claim::Mismatch) => problem(Invalid::one(
            "Idempotency-Key",
            "idempotency.reused",
            "this Idempotency-Key was used for a different request; use a new key for a new request",
        )),
        Ok(Claim::Fresh) => {
            let res = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let (mut parts, body) = res.into_parts();
            let Ok(bytes) = to_bytes(body, usize::MAX).await else {
                let _ = store.release_key(&owner, &key).await;
                return problem(StoreError::Corrupt("the answer could not be read".into()));
            };
            let kept = if parts.status.is_server_error() {
                store.release_key(&owner, &key).await
            } else {
                let content_type = parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("application/json");
                store
                    .keep_answer(
                        &owner,
                        &key,
                        parts.status.as_u16(),
                        content_type,
                        &String::from_utf8_lossy(&bytes),
                    )
                    .await
            };
            if let Err(e) = kept {
                tracing::error!(error = %e, "could not keep the answer of an idempotent request");
            }
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}
