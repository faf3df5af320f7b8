//! CSV export of every list the API serves: `GET` a list route with `Accept: text/csv` and
//! the answer is every row of the list (all pages, the same filters and sort, the caller's
//! scope) as one CSV file, streamed a page at a time so memory stays flat.
//!
//! Nothing here knows a record type. The export asks the list route itself, page after
//! page, and flattens each JSON row into columns (`amount.amount_minor`), so a list can
//! never be exported with other rows or other rules than it shows. Browsers, which cannot
//! set `Accept`, use `/export/v1/<list>?<filters>` with their session; the CLI calls
//! [`export_csv`] in process with the principal it acts as.

use std::net::{Ipv4Addr, SocketAddr};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use partnerops_core::scope::Principal;
use serde_json::Value;
use tower::ServiceExt;

use crate::AppState;
use crate::problem::ApiError;
use crate::ui::session::UiUser;

/// Rows asked for per page: the API's largest page.
const PAGE_ROWS: &str = "200";
/// Where browsers ask for an export: `/export/v1/accounts` is `/api/v1/accounts` as CSV.
const BROWSER_PREFIX: &str = "/export/v1/";

/// The principal a request acts as when it was not authenticated by a token: a browser
/// export (the session's user) or the CLI (the user it was told to act as). Only this
/// module sets it; a request from outside cannot carry a Rust extension.
#[derive(Clone, Debug)]
pub(crate) struct ActingAs(pub Principal);

/// Whether the caller asked for CSV.
fn wants_csv(req: &Request) -> bool {
    req.headers()
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// The middleware: turns a CSV request for a list into page requests to the list route.
pub(crate) async fn csv_lists(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let api_path = if let Some(rest) = path.strip_prefix(BROWSER_PREFIX) {
        format!("/api/v1/{rest}")
    } else if path.starts_with("/api/v1/") && wants_csv(&req) {
        path
    } else {
        return next.run(req).await;
    };
    let (mut parts, _) = req.into_parts();
    if parts.uri.path().starts_with(BROWSER_PREFIX) {
        // A browser: its session says who it is (or it is sent to sign in).
        match UiUser::from_request_parts(&mut parts, &state).await {
            Ok(user) => {
                parts.extensions.insert(ActingAs(user.principal));
            }
            Err(e) => return e.into_response(),
        }
    }
    export(parts, &api_path, next).await
}

/// Exports the list at `path_and_query` (an `/api/v1/…` path with its filters) as CSV,
/// acting as `principal`, through `app` in process: the CLI's `partnerops export`.
pub async fn export_csv(app: Router, principal: Principal, path_and_query: &str) -> Response {
    let mut req = Request::new(Body::empty());
    *req.uri_mut() = match path_and_query.parse::<Uri>() {
        Ok(uri) => uri,
        Err(_) => return ApiError::NoRoute.into_response(),
    };
    req.headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("text/csv"));
    req.extensions_mut().insert(ActingAs(principal));
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))));
    match app.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Why [`write_export`] did not write a whole file.
#[derive(Debug, thiserror::Error)]
pub enum ExportFailed {
    /// The list refused (a bad filter, a role without access): its problem document.
    #[error("the list refused the export ({status}): {problem}")]
    Refused { status: u16, problem: String },
    /// The export broke off half-way (the database went away); what was written is partial.
    #[error("the export broke off: {0}")]
    BrokenOff(String),
    #[error("writing the file failed: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes the CSV of the list at `path_and_query` into `out` as it arrives, acting as
/// `principal` (the CLI's `partnerops export`); `progress` hears the bytes written so far.
/// Returns the bytes written.
pub async fn write_export(
    app: Router,
    principal: Principal,
    path_and_query: &str,
    out: &mut (impl std::io::Write + Send),
    mut progress: impl FnMut(u64) + Send,
) -> Result<u64, ExportFailed> {
    use futures_util::StreamExt;
    let response = export_csv(app, principal, path_and_query).await;
    let status = response.status();
    let mut body = response.into_body().into_data_stream();
    if status != StatusCode::OK {
        let mut problem = Vec::new();
        while let Some(Ok(chunk)) = body.next().await {
            problem.extend_from_slice(&chunk);
        }
        return Err(ExportFailed::Refused {
            status: status.as_u16(),
            problem: String::from_utf8_lossy(&problem).into_owned(),
        });
    }
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ExportFailed::BrokenOff(e.to_string()))?;
        out.write_all(&chunk)?;
        written += chunk.len() as u64;
        progress(written);
    }
    out.flush()?;
    Ok(written)
}

/// One page of the list: the rows, and the cursor of the next page if there is one.
struct ListPage {
    rows: Vec<Value>,
    next_cursor: Option<String>,
}

/// What asking the list route for a page gave.
enum Fetched {
    Page(ListPage),
    /// The route answered something other than a list (its answer, e.g. a 403 problem).
    Answer(Response),
    NotAList,
}

/// Asks the list route for one page after another, as the original caller.
struct Pager {
    api_path: String,
    /// The caller's filters and sort, without its paging: the export pages by itself.
    filters: Vec<(String, String)>,
    parts: axum::http::request::Parts,
    next: Next,
}

impl Pager {
    async fn page(&self, cursor: Option<String>) -> Fetched {
        let query = {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &self.filters {
                query.append_pair(k, v);
            }
            query.append_pair("limit", PAGE_ROWS);
            if let Some(c) = &cursor {
                query.append_pair("cursor", c);
            }
            query.finish()
        };
        let mut req = Request::new(Body::empty());
        *req.method_mut() = Method::GET;
        *req.uri_mut() = format!("{}?{query}", self.api_path)
            .parse()
            .unwrap_or_else(|_| Uri::from_static("/api/v1/"));
        *req.headers_mut() = self.parts.headers.clone();
        req.headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        *req.extensions_mut() = self.parts.extensions.clone();
        fetch(self.next.clone(), req).await
    }
}

async fn export(parts: axum::http::request::Parts, api_path: &str, next: Next) -> Response {
    let filters: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .filter(|(k, _)| k != "cursor" && k != "limit")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let pager = Pager {
        api_path: api_path.to_owned(),
        filters,
        parts,
        next,
    };
    let first = match pager.page(None).await {
        Fetched::Page(p) => p,
        Fetched::Answer(response) => return response,
        Fetched::NotAList => return not_a_list(api_path),
    };
    let columns = columns_of(&first.rows);
    let file_name = api_path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("export")
        .to_owned();

    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut chunk = csv_chunk(Some(&columns), &[], &columns);
        let mut current = first;
        loop {
            chunk.extend(csv_chunk(None, &current.rows, &columns));
            if tx
                .send(Ok(Bytes::from(std::mem::take(&mut chunk))))
                .await
                .is_err()
            {
                return; // The client went away.
            }
            let Some(cursor) = current.next_cursor.take() else {
                return;
            };
            current = match pager.page(Some(cursor)).await {
                Fetched::Page(p) => p,
                // A later page failed (the database went away): cut the body rather than
                // hand out a file that looks complete.
                _ => {
                    let _ = tx
                        .send(Err(std::io::Error::other("a page of the export failed")))
                        .await;
                    return;
                }
            };
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}.csv\"")) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    response
}

async fn fetch(next: Next, req: Request) -> Fetched {
    let response = next.run(req).await;
    if response.status() != StatusCode::OK {
        return Fetched::Answer(response);
    }
    let Ok(bytes) = axum::body::to_bytes(response.into_body(), usize::MAX).await else {
        return Fetched::Answer(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(rows)) => Fetched::Page(ListPage {
            rows,
            next_cursor: None,
        }),
        Ok(Value::Object(mut page)) => match page.remove("items") {
            Some(Value::Array(rows)) => Fetched::Page(ListPage {
                rows,
                next_cursor: page
                    .remove("next_cursor")
                    .and_then(|c| c.as_str().map(str::to_owned)),
            }),
            _ => Fetched::NotAList,
        },
        _ => Fetched::NotAList,
    }
}

fn not_a_list(path: &str) -> Response {
    ApiError::NotAcceptable(format!(
        "{path} answers one record, not a list: CSV is offered for lists; ask for application/json"
    ))
    .into_response()
}

/// The columns of a list: every flattened field of the first page's rows, in the order
/// they first appear (`id` and `name` first). A field that is absent or null in every row of the first page and
/// present later is left out; the JSON list has it.
fn columns_of(rows: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        let mut cells = Vec::new();
        flatten("", row, &mut cells);
        for (name, _) in cells {
            if !columns.contains(&name) {
                columns.push(name);
            }
        }
    }
    // The record's id and name first, as people read a list; then the fields in the
    // order the JSON has them.
    for (at, key) in ["id", "name"].into_iter().enumerate() {
        if let Some(i) = columns.iter().position(|c| c == key) {
            let c = columns.remove(i);
            columns.insert(at.min(columns.len()), c);
        }
    }
    if columns.is_empty() {
        columns.push("id".to_owned());
    }
    columns
}

/// A row's cells: nested objects become `parent.child` columns, lists of plain values one
/// cell joined with `; `, lists of objects one cell of JSON.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let name = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(fields) => {
            for (k, v) in fields {
                match v {
                    Value::Object(_) => flatten(&name(k), v, out),
                    _ => out.push((name(k), cell(v))),
                }
            }
        }
        other => out.push((name("value"), cell(other))),
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => defused(s),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(cell).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a carriage
/// return first) gets a leading apostrophe: a partner-written name must not become a
/// formula in a channel manager's spreadsheet (OWASP "CSV injection").
fn defused(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The header line (when `header` is given) and the rows, as CSV bytes.
fn csv_chunk(header: Option<&[String]>, rows: &[Value], columns: &[String]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing into memory cannot fail; a row that somehow does is skipped, not fatal.
    if let Some(h) = header {
        let _ = w.write_record(h);
    }
    for row in rows {
        let mut cells = Vec::new();
        flatten("", row, &mut cells);
        let record = columns.iter().map(|c| {
            cells
                .iter()
                .find(|(name, _)| name == c)
                .map_or("", |(_, v)| v.as_str())
        });
        let _ = w.write_record(record);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_flatten_into_columns_in_first_seen_order() {
        let rows = vec![
            json!({"id": "acc_1", "name": "Acme", "amount": {"amount_minor": 100, "currency": "EUR"}, "regions": ["emea", "na"]}),
            json!({"id": "acc_2", "name": "=HYPERLINK(\"x\")", "extra": true, "regions": []}),
        ];
        let columns = columns_of(&rows);
        assert_eq!(
            columns,
            [
                "id",
                "name",
                "amount.amount_minor",
                "amount.currency",
                "regions",
                "extra"
            ]
        );
        let text = String::from_utf8(csv_chunk(Some(&columns), &rows, &columns)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "id,name,amount.amount_minor,amount.currency,regions,extra"
        );
        assert_eq!(lines[1], "acc_1,Acme,100,EUR,emea; na,");
        assert_eq!(lines[2], "acc_2,\"'=HYPERLINK(\"\"x\"\")\",,,,true");
    }

    #[test]
    fn negative_numbers_stay_numbers_and_text_formulas_are_defused() {
        assert_eq!(cell(&json!(-5)), "-5");
        assert_eq!(cell(&json!("-5")), "'-5");
        assert_eq!(cell(&json!("@SUM(A1)")), "'@SUM(A1)");
        assert_eq!(cell(&json!("plain")), "plain");
        assert_eq!(cell(&json!(null)), "");
        assert_eq!(cell(&json!([{"a": 1}])), "[{\"a\":1}]");
    }

    #[test]
    fn an_empty_list_still_has_a_header() {
        assert_eq!(columns_of(&[]), ["id"]);
    }
}
