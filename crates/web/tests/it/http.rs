//! A small HTTP client over hyper for the tests: JSON calls with a bearer token, form posts
//! with cookies, and the answer as status, headers and body.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

#[derive(Clone)]
pub struct Http {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A response, fully read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The rules of a problem document's field errors, as `field:rule`.
    pub fn problem_rules(&self) -> Vec<String> {
        let v = self.json();
        v["errors"]
            .as_array()
            .map(|errs| {
                errs.iter()
                    .map(|e| {
                        format!(
                            "{}:{}",
                            e["field"].as_str().unwrap_or(""),
                            e["rule"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `Set-Cookie` values as `name=value`.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::to_owned)
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

impl Http {
    pub fn new(base: &str) -> Http {
        Http {
            base: base.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(body)).expect("request");
        let res = self.client.request(req).await.expect("HTTP request");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A JSON API call; `body` is sent when given.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = auth.as_deref() {
            headers.push(("authorization", a));
        }
        let bytes = match body {
            Some(b) => {
                headers.push(("content-type", "application/json"));
                Bytes::from(serde_json::to_vec(b).expect("json"))
            }
            None => Bytes::new(),
        };
        let answer = self.send(method.clone(), path, &headers, bytes).await;
        // Every answer of the API test suite is checked against the OpenAPI document.
        crate::openapi::api::assert_conforms(&method, path, &answer);
        answer
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.api(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.api(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.api(Method::PATCH, path, Some(token), Some(body)).await
    }

    /// A `multipart/form-data` post: text `fields`, then `files` as (field, file name,
    /// bytes). `auth` is a header pair such as `("authorization", "Bearer …")` or
    /// `("cookie", …)`.
    pub async fn multipart(
        &self,
        path: &str,
        auth: (&str, &str),
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Answer {
        let (content_type, body) = multipart_body(fields, files);
        let headers = [auth, ("content-type", content_type.as_str())];
        let answer = self
            .send(Method::POST, path, &headers, Bytes::from(body))
            .await;
        if path.starts_with("/api/") {
            crate::openapi::api::assert_conforms(&Method::POST, path, &answer);
        }
        answer
    }

    /// A browser-like request with a cookie header.
    pub async fn page(&self, path: &str, cookie: &str) -> Answer {
        self.send(Method::GET, path, &[("cookie", cookie)], Bytes::new())
            .await
    }

    /// A form post with cookies and optional extra headers (e.g. Origin).
    pub async fn form(
        &self,
        path: &str,
        cookie: &str,
        fields: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> Answer {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers = vec![
            ("cookie", cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ];
        headers.extend_from_slice(extra);
        self.send(Method::POST, path, &headers, Bytes::from(body))
            .await
    }
}

/// A multipart body and its `Content-Type`.
pub fn multipart_body(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("----partnerops{}", uuid::Uuid::now_v7().simple());
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Form/query encoding.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
