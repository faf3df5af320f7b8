//! Request ids: every request gets an `x-request-id`, recorded on its `request` span (so
//! every log line of the request carries it) and echoed in the response, so a user's error
//! report can be matched to the log. A caller's (or proxy's) id is kept when it is a short,
//! plain token; anything else is replaced, so a forged header cannot inject text into logs.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The header carrying the id, in both directions.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest id taken from a request.
const MAX_LEN: usize = 64;

/// Whether an incoming id is kept: 1 to 64 ASCII letters, digits, `-`, `_`, `.` or `:`.
fn is_sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Sets the request's id (kept or generated, a UUIDv7 so ids sort by time) before the trace
/// layer opens the span, and copies it onto the response.
pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = match req.headers().get(&REQUEST_ID) {
        Some(v) if is_sane(v) => v.clone(),
        _ => generated(),
    };
    req.headers_mut().insert(REQUEST_ID, id.clone());
    let mut response = next.run(req).await;
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

fn generated() -> HeaderValue {
    let text = uuid::Uuid::now_v7().to_string();
    // A hyphenated UUID is always a valid header value; the fallback is never reached.
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("unknown"))
}

/// The id a request was given, for the span.
pub fn of(req: &Request) -> &str {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_plain_tokens_are_kept_and_the_rest_replaced() {
        for ok in ["abc", "0192f3a4-7b2c-7def-8123-456789abcdef", "req_1.2:3"] {
            assert!(is_sane(&HeaderValue::from_static(ok)), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in ["", "a b", "x\ty", "<script>", long.as_str()] {
            let v = HeaderValue::from_str(bad).unwrap();
            assert!(!is_sane(&v), "{bad:?}");
        }
        assert!(is_sane(&generated()));
    }
}
