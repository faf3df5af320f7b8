//! Webhooks: subscriptions over the API, Standard Webhooks signatures checked with the
//! spec's own library, in-order delivery from the outbox with the spec's retries (on an
//! injected clock), 410 and Retry-After, five days of failure, replays, rotation, SSRF
//! refusal, and a partner's subscription never carrying another partner's event.

mod api;
mod ui;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One request a receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Script {
    /// Answers to give, in order (status, Retry-After); 200 once they run out.
    answers: VecDeque<(u16, Option<&'static str>)>,
    received: Vec<Received>,
}

/// A webhook receiver on 127.0.0.1 that records every request and answers as scripted.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

async fn receive(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = script.lock().unwrap();
    s.received.push(Received { headers, body });
    let (status, retry_after) = s.answers.pop_front().unwrap_or((200, None));
    let mut r = (StatusCode::from_u16(status).unwrap(), "ok").into_response();
    if let Some(ra) = retry_after {
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static(ra));
    }
    r
}

impl Receiver {
    pub async fn start() -> Receiver {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            script,
        }
    }

    /// The next answers (status, Retry-After seconds).
    pub fn answer(&self, answers: &[(u16, Option<&'static str>)]) {
        self.script
            .lock()
            .unwrap()
            .answers
            .extend(answers.iter().copied());
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }
}
