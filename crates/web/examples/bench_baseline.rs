//! Minimal axum JSON endpoint used as the yardstick for `bench/load.sh`.
//!
//! `GET /json` answers `{"status":"ok","items":[]}`; nothing else is routed.
//! The listen address is the first CLI argument (default `127.0.0.1:8099`).
//! It runs on tokio's multi-threaded runtime, like `partnerops serve`, and
//! exits cleanly on SIGTERM or Ctrl-C.
//!
//! ```text
//! cargo build --release -p partnerops-web --example bench_baseline
//! target/release/examples/bench_baseline 127.0.0.1:8099
//! ```

use std::net::SocketAddr;

use axum::{Json, Router, routing::get};
use serde::Serialize;

const DEFAULT_ADDR: &str = "127.0.0.1:8099";

#[derive(Serialize)]
struct Reply {
    status: &'static str,
    items: [u8; 0],
}

async fn json() -> Json<Reply> {
    Json(Reply {
        status: "ok",
        items: [],
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, wait on SIGTERM alone.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned())
        .parse()
        .map_err(|e| format!("invalid listen address: {e}"))?;

    let app = Router::new().route("/json", get(json));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "bench_baseline listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}
