//! Lists: filters are per record, but limits, sorting and cursors work the same everywhere.
//!
//! Pages are keyset-paginated: the cursor carries the sort value and id of the last row
//! seen, so a page is as fast at row 1,000,000 as at row 1 and rows inserted meanwhile do
//! not shift what comes next. A cursor is only valid for the sort it was made with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{FieldError, Invalid};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// Raw paging parameters from a query string.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct PageParams {
    /// Rows per page, 1 to 200 (default 50).
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// A sort field, `-field` for descending.
    pub sort: Option<String>,
}

/// A value rows are ordered by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum SortKey {
    Text(String),
    Int(i64),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

/// Where the previous page ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "f")]
    pub field: String,
    #[serde(rename = "d")]
    pub descending: bool,
    #[serde(rename = "k")]
    pub key: SortKey,
    #[serde(rename = "i")]
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serialising plain data to JSON cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(raw: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// A validated page request.
#[derive(Clone, Debug, PartialEq)]
pub struct PageRequest {
    pub limit: u32,
    /// One of the list's sort fields.
    pub sort: &'static str,
    pub descending: bool,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Parses paging parameters for a list that can be sorted by `sortable` (the first is
    /// the default).
    pub fn parse(params: &PageParams, sortable: &[&'static str]) -> Result<Self, Invalid> {
        let mut inv = Invalid::new();
        let limit = match params
            .limit
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(DEFAULT_LIMIT),
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => Some(n),
                _ => inv.check(Err(FieldError::new(
                    "limit",
                    "range",
                    format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                ))),
            },
        };
        let (sort, descending) = match params
            .sort
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => (sortable.first().copied(), false),
            Some(raw) => {
                let (name, desc) = match raw.strip_prefix('-') {
                    Some(rest) => (rest, true),
                    None => (raw, false),
                };
                match sortable.iter().find(|s| **s == name) {
                    Some(s) => (Some(*s), desc),
                    None => {
                        inv.add(
                            "sort",
                            "one_of",
                            format!(
                                "sort must be one of: {} (prefix - for descending)",
                                sortable.join(", ")
                            ),
                        );
                        (None, false)
                    }
                }
            }
        };
        let after = match params
            .cursor
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(raw) => {
                match Cursor::decode(raw) {
                    None => {
                        inv.add("cursor", "cursor", "cursor is not one this server issued; use next_cursor from the previous page");
                        None
                    }
                    Some(c) if Some(c.field.as_str()) != sort || c.descending != descending => {
                        inv.add("cursor", "cursor_sort_mismatch", "cursor was issued for a different sort; keep the same sort while paging");
                        None
                    }
                    Some(c) => Some(c),
                }
            }
        };
        inv.finish(|| {
            Some(PageRequest {
                limit: limit?,
                sort: sort?,
                descending,
                after,
            })
        })
    }
}

/// One page of a list.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows (the extra row only tells that more exist);
    /// `key_of` gives a row's sort value and id for the cursor.
    pub fn from_rows(
        mut rows: Vec<T>,
        req: &PageRequest,
        key_of: impl Fn(&T, &str) -> (SortKey, String),
    ) -> Self {
        let more = rows.len() > req.limit as usize;
        rows.truncate(req.limit as usize);
        let next_cursor = match rows.last() {
            Some(last) if more => {
                let (key, id) = key_of(last, req.sort);
                Some(
                    Cursor {
                        field: req.sort.to_owned(),
                        descending: req.descending,
                        key,
                        id,
                    }
                    .encode(),
                )
            }
            _ => None,
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SORTS: &[&str] = &["name", "created_at"];

    fn params(limit: Option<&str>, sort: Option<&str>, cursor: Option<String>) -> PageParams {
        PageParams {
            limit: limit.map(Into::into),
            sort: sort.map(Into::into),
            cursor,
        }
    }

    #[test]
    fn defaults_and_limit_boundaries() {
        let p = PageRequest::parse(&PageParams::default(), SORTS).unwrap();
        assert_eq!((p.limit, p.sort, p.descending), (50, "name", false));
        assert!(PageRequest::parse(&params(Some("0"), None, None), SORTS).is_err());
        assert!(PageRequest::parse(&params(Some("1"), None, None), SORTS).is_ok());
        assert!(PageRequest::parse(&params(Some("200"), None, None), SORTS).is_ok());
        let err = PageRequest::parse(&params(Some("201"), None, None), SORTS).unwrap_err();
        assert_eq!(
            (err.errors[0].field.as_str(), err.errors[0].rule.as_str()),
            ("limit", "range")
        );
        assert!(PageRequest::parse(&params(Some("ten"), None, None), SORTS).is_err());
    }

    #[test]
    fn sort_fields_are_allow_listed() {
        let p = PageRequest::parse(&params(None, Some("-created_at"), None), SORTS).unwrap();
        assert_eq!((p.sort, p.descending), ("created_at", true));
        let err =
            PageRequest::parse(&params(None, Some("password_hash"), None), SORTS).unwrap_err();
        assert_eq!(err.errors[0].rule, "one_of");
    }

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_sort() {
        let req = PageRequest::parse(&params(Some("2"), Some("-name"), None), SORTS).unwrap();
        let page = Page::from_rows(vec!["c", "b", "a"], &req, |row, _| {
            (SortKey::Text((*row).to_owned()), format!("id-{row}"))
        });
        assert_eq!(page.items, vec!["c", "b"]);
        let cursor = page.next_cursor.clone().unwrap();
        let next = PageRequest::parse(
            &params(Some("2"), Some("-name"), Some(cursor.clone())),
            SORTS,
        )
        .unwrap();
        assert_eq!(next.after.unwrap().key, SortKey::Text("b".into()));
        let err =
            PageRequest::parse(&params(Some("2"), Some("name"), Some(cursor)), SORTS).unwrap_err();
        assert_eq!(err.errors[0].rule, "cursor_sort_mismatch");
        let err =
            PageRequest::parse(&params(None, None, Some("garbage!".into())), SORTS).unwrap_err();
        assert_eq!(err.errors[0].rule, "cursor");
    }

    #[test]
    fn last_page_has_no_cursor() {
        let req = PageRequest::parse(&params(Some("3"), None, None), SORTS).unwrap();
        let page = Page::from_rows(vec![1, 2, 3], &req, |r, _| {
            (SortKey::Int(*r), r.to_string())
        });
        assert!(page.next_cursor.is_none());
    }
}
