//! A typed Rust client of the partnerops API (`/api/v1`), generated at build time by
//! progenitor from the OpenAPI document the server serves (`openapi.json` beside this
//! crate's manifest; `build.rs` says how the 3.1 document is read as 3.0 and which
//! operations are left out). Each operation is a method named `<tag>_<operationId>`
//! (`partners_list`, `accounts_create`) returning a request builder; answers come back as
//! the document's types (`types::PagePartner`), refusals as `Error::ErrorResponse` holding
//! the RFC 9457 problem document (`types::Problem`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = partnerops_client::Client::with_token("https://prm.example.com", "TOKEN")?;
//! let page = client.partners_list().limit("5").sort("name").send().await?;
//! for partner in &page.items {
//!     println!("{} {}", partner.id, partner.name);
//! }
//! # Ok(()) }
//! ```
//!
//! Nothing here is written by hand but how a client is set up: a call the generator cannot
//! express is left out (listed in `build.rs`), not written beside the generated ones.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};

// Generated code: its style is progenitor's, not ours.
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used
)]
#[allow(missing_docs, unused_imports, irrefutable_let_patterns)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/client.rs"));
}

pub use generated::*;

/// How long a call may take, connecting included (progenitor's own default).
const TIMEOUT: Duration = Duration::from_secs(15);

/// Why a client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The token has characters an HTTP header cannot carry.
    #[error("the API token cannot be sent in an Authorization header")]
    Token,
    /// reqwest could not build its client (no TLS configuration).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

impl Client {
    /// A client of the server at `base_url` (scheme, host and port, such as
    /// `https://prm.example.com`) that sends `token` (`partnerops token create`, or
    /// `POST /api/v1/tokens`) as a bearer token with every call.
    pub fn with_token(base_url: &str, token: &str) -> Result<Client, SetupError> {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| SetupError::Token)?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value);
        Ok(Client::new_with_client(base_url, http(headers)?))
    }

    /// A client without a token, for the public routes (the application form, the
    /// directory); any other call answers 401.
    pub fn anonymous(base_url: &str) -> Result<Client, SetupError> {
        Ok(Client::new_with_client(base_url, http(HeaderMap::new())?))
    }
}

fn http(headers: HeaderMap) -> Result<reqwest::Client, SetupError> {
    // The workspace's reqwest has no TLS provider of its own; ring is the one the rest of
    // partnerops uses. Installing it twice is harmless (the first one stays).
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .build()?)
}

/// Puts `text/csv` back on a CSV body: progenitor sends text bodies only as `text/plain`,
/// so `build.rs` declares our CSV bodies so (and checks the API takes no plain text).
async fn csv_content_type(request: &mut reqwest::Request) -> Result<(), std::convert::Infallible> {
    let headers = request.headers_mut();
    if headers
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"text/plain")
    {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/csv"));
    }
    Ok(())
}
