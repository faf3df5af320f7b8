//! The partnerops HTTP layer: the JSON API under `/api/v1` (with its OpenAPI document), the
//! server-rendered web UI (vendor console and partner portal), health, and metrics (on their
//! own listener).
//!
//! Handlers here translate between HTTP and the store: they authenticate the caller, parse
//! input into domain types (through `partnerops-core`), call one store function with the
//! caller's principal, and render the answer (JSON, a problem document, or HTML). Business
//! rules and SQL do not belong here.

mod api;
mod auth;
mod export;
mod extract;
mod gate;
mod idempotency;
mod metrics;
mod problem;
mod request_id;
mod retry;
mod static_files;
mod ui;
mod upload;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::routing::get;
use partnerops_core::client_addr::TrustedProxies;
use partnerops_store::Store;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use export::{ExportFailed, export_csv, write_export};
pub use gate::{
    ApiRateLimits, DEFAULT_PER_ADDRESS_PER_MINUTE, DEFAULT_PER_TOKEN_PER_MINUTE, access_of,
    capability_of,
};
pub use problem::Problem;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The OpenAPI document as served, in JSON. Only the text is kept: the document's own
    /// structure (every operation with its cloned problem answers) took 25 MB of an idle
    /// server's 29 MB of heap, for a text of about 1 MB.
    openapi: axum::body::Bytes,
    secure_cookies: bool,
    /// Whose `X-Forwarded-For` names the client (see `auth::ClientAddr`).
    trusted_proxies: Arc<TrustedProxies>,
    /// Per token and per client address (see `gate`).
    rate_limits: ApiRateLimits,
}

/// Settings of the HTTP layer.
#[derive(Clone, Debug, Default)]
pub struct WebOptions {
    /// Mark cookies `Secure` (set when served behind HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed for the client address (login
    /// throttling); empty: the peer address is the client.
    pub trusted_proxies: TrustedProxies,
    /// The API's rate limits (`[api]`).
    pub rate_limits: ApiRateLimits,
}

/// The whole application: API, UI, health and static files. Metrics are not here: they are
/// served by [`metrics_app`] on a listener of their own.
pub fn app(store: Store, options: WebOptions) -> Router {
    let (api, mut openapi) = api::router();
    publish_rate_limits(&mut openapi, options.rate_limits);
    // Serialising a document of strings and maps cannot fail; should it, the route says so.
    let openapi = serde_json::to_vec(&openapi).map_or_else(
        |e| {
            tracing::error!(error = %e, "the OpenAPI document could not be serialised");
            axum::body::Bytes::new()
        },
        axum::body::Bytes::from,
    );
    let state = AppState {
        store,
        openapi,
        secure_cookies: options.secure_cookies,
        trusted_proxies: Arc::new(options.trusted_proxies),
        rate_limits: options.rate_limits,
    };
    let header = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    let routed = Router::new()
        .merge(api)
        .merge(ui::router())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/static/{file}", get(static_files::serve))
        .layer(axum::middleware::from_fn(
            retry::once_more_on_lost_connection,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotent,
        ))
        .with_state(state.clone())
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("request", request_id = %request_id::of(req), method = %req.method(), path = %req.uri().path(), user = tracing::field::Empty)
        }));
    // A CSV export asks the routes for one page after another, so it wraps them whole
    // (a layer on the routes would only reach the route the request matched).
    Router::new()
        .fallback_service(routed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            export::csv_lists,
        ))
        // Outside everything of the API (idempotency, CSV exports): a request is counted
        // once, a replayed answer still counts, a refused token never claims a key, and an
        // export's page requests carry what the token is worth.
        .layer(axum::middleware::from_fn_with_state(state, gate::gate))
        // Outside the trace layer, so the span sees the id.
        .layer(axum::middleware::from_fn(request_id::assign))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("referrer-policy", "same-origin"))
        .layer(header("content-security-policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"))
}

/// States this server's own rate limits in the document's description when they are not
/// the defaults the description already names.
fn publish_rate_limits(doc: &mut utoipa::openapi::OpenApi, limits: ApiRateLimits) {
    if limits == ApiRateLimits::default() {
        return;
    }
    let line = format!(
        "\n\nThis server: {} requests per minute per token, {} per client address.",
        limits.per_token.limit, limits.per_address.limit
    );
    let text = doc.info.description.get_or_insert_with(String::new);
    text.push_str(&line);
}

/// Only `/metrics` (Prometheus text), for the separate metrics listener: metrics are not
/// public, so they are never served by [`app`].
pub fn metrics_app() -> Router {
    Router::new().route("/metrics", get(metrics::render))
}

/// Every (method, path template) the web UI serves, path templates as registered with axum
/// (`/console/partners/{id}`): sign-in, console, portal and public pages. The API, health,
/// metrics and static files are not included. Built from the same table as the UI router,
/// so the two cannot differ.
pub fn ui_routes() -> Vec<(axum::http::Method, &'static str)> {
    ui::route_list()
}

/// The OpenAPI document, for tools and tests.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().1
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes open requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Readiness: the database answers and its schema is the one this build serves (all
/// migrations applied). Otherwise 503 with `Retry-After`, so a load balancer sends traffic
/// elsewhere until it is.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let want = partnerops_store::migrate::latest_known();
    let unavailable = |why: &str| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "5")],
            axum::Json(serde_json::json!({"status": "unavailable", "reason": why})),
        )
            .into_response()
    };
    // A probe must answer quickly: a database that does not answer within 3 s is down for
    // the purpose of routing traffic (the pool would otherwise wait its full 10 s).
    let Ok(applied) = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        state.store.applied_migration(),
    )
    .await
    else {
        return unavailable("the database does not answer");
    };
    match applied {
        Ok(have) if have >= want => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ready", "schema_version": have})),
        )
            .into_response(),
        Ok(have) => unavailable(&format!(
            "the database schema is at migration {have}; this build needs {want} (run partnerops migrate)"
        )),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            unavailable("the database does not answer")
        }
    }
}

async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (StatusCode, axum::Json<serde_json::Value>) {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(
                serde_json::json!({"status": "ok", "database": format!("{:?}", state.store.backend()).to_lowercase()}),
            ),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "unavailable"})),
            )
        }
    }
}
