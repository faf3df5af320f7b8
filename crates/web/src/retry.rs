//! The database going away is not a server bug. A request that failed because the
//! connection was lost (a PostgreSQL restart, a failover) before it attempted any commit
//! changed nothing, since its transaction rolled back with the connection, so it is run once
//! more on a fresh connection. What still fails is answered `503` with `Retry-After` (a
//! problem document in the API, an error page in the UI), never `500`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use partnerops_store::watching_commits;

/// Set on an answer that failed because the database was unavailable. `worth_retrying`
/// is false when the request already waited for a connection until the pool gave up: a
/// second run would only wait as long again.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DbUnavailable {
    pub worth_retrying: bool,
}

impl DbUnavailable {
    pub(crate) fn of(e: &partnerops_store::StoreError) -> Self {
        DbUnavailable {
            worth_retrying: e.connection_dropped(),
        }
    }
}

/// How long a client should wait before trying again, in seconds.
pub(crate) const RETRY_AFTER_SECONDS: &str = "1";

/// How long to wait before the second run.
const PAUSE_BEFORE_RETRY: std::time::Duration = std::time::Duration::from_millis(300);

/// Bodies up to this size are kept for a second run. Larger ones (uploads) and bodies of
/// unknown length are not retried: keeping them would defeat their streaming.
const KEEP_BODY_BYTES: u64 = 1 << 20;

pub(crate) async fn once_more_on_lost_connection(req: Request, next: Next) -> Response {
    let length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let bodiless = matches!(req.method().as_str(), "GET" | "HEAD" | "DELETE" | "OPTIONS");
    let keepable = length.is_some_and(|n| n <= KEEP_BODY_BYTES) || (bodiless && length.is_none());
    if !keepable {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, KEEP_BODY_BYTES as usize).await else {
        // The body was cut off: the handler's own reading reports that.
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    let first = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    let (answer, committed) = watching_commits(next.clone().run(first)).await;
    let worth_retrying = answer
        .extensions()
        .get::<DbUnavailable>()
        .is_some_and(|u| u.worth_retrying);
    if !worth_retrying || committed {
        return answer;
    }
    // A restarting server takes a few hundred milliseconds to take connections again.
    tokio::time::sleep(PAUSE_BEFORE_RETRY).await;
    tracing::warn!(
        method = %parts.method,
        path = %parts.uri.path(),
        "the database connection was lost before anything was committed; running the request once more"
    );
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
