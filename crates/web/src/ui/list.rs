//! Lists in the console: a page of rows under a filter form, the link to the next page, and
//! whether a request came from htmx (which wants the rows alone). Capability code decides
//! what to list; nothing here knows a record type.

use crate::ui::UiError;
use crate::ui::form::{FormView, url_encode};
use axum::http::HeaderMap;
use partnerops_core::Invalid;
use partnerops_core::page::{Page, PageRequest};

pub(super) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The filled-in parameters of a query as `k=v` pairs, URL-encoded.
fn query_parts(query: &[(&str, Option<&str>)]) -> Vec<String> {
    query
        .iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", url_encode(v)))
        })
        .collect()
}

/// The URL of the next page: the current query with the cursor replaced.
fn next_url(base: &str, query: &[(&str, Option<&str>)], cursor: Option<&String>) -> Option<String> {
    let cursor = cursor?;
    let mut parts = query_parts(query);
    parts.push(format!("cursor={}", url_encode(cursor)));
    Some(format!("{base}?{}", parts.join("&")))
}

/// The results part of a list page: a page of rows (or why the filters were refused), the
/// link to the next page, and the filter values to show again.
pub(super) struct Listing<T> {
    pub(crate) page: Page<T>,
    pub(crate) next: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) filters: FormView,
    /// The query of the list's CSV export (`?country=US&sort=name`, or empty): the same
    /// filters, every page (see `export`).
    pub(crate) export_query: String,
}

impl<T> Listing<T> {
    /// Runs `fetch` when the query parsed; `query` lists the parameters a next-page link
    /// and the filter form keep.
    pub(crate) async fn load<F, Fut>(
        parsed: Result<(PageRequest, F), Invalid>,
        base: &str,
        query: &[(&str, Option<&str>)],
        fetch: impl FnOnce(PageRequest, F) -> Fut,
    ) -> Result<Listing<T>, UiError>
    where
        Fut: std::future::Future<Output = Result<Page<T>, partnerops_store::StoreError>>,
    {
        let (page, error) = match parsed {
            Ok((req, filter)) => (fetch(req, filter).await?, None),
            Err(inv) => (
                Page {
                    items: Vec::new(),
                    next_cursor: None,
                },
                Some(inv.summary()),
            ),
        };
        let next = next_url(base, query, page.next_cursor.as_ref());
        let mut filters = FormView::default();
        for (k, v) in query {
            filters.set(k, v.unwrap_or_default());
        }
        let parts = query_parts(query);
        let export_query = if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        };
        Ok(Listing {
            page,
            next,
            error,
            filters,
            export_query,
        })
    }
}
