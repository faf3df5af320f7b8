//! Form plumbing: the posted fields (repeated names allowed, for checkboxes), the values and
//! errors a re-rendered form shows, and turning store refusals into inline field errors.

use std::collections::HashMap;

use partnerops_core::Invalid;
use partnerops_store::StoreError;

use partnerops_core::account::AccountStatus;
use partnerops_core::country::Region;
use partnerops_core::partner::{PartnerStatus, PartnerType};
use partnerops_core::program::ProgramKind;
use partnerops_core::user::Role;

use super::UiError;

/// Posted form fields, in order, names possibly repeated.
#[derive(Clone, Debug, Default)]
pub struct Posted(pub Vec<(String, String)>);

impl Posted {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Lines of a textarea, blanks dropped.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.get(name)
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// What a form shows: current values and the errors of the last submit.
#[derive(Clone, Debug, Default)]
pub struct FormView {
    values: HashMap<String, Vec<String>>,
    pub errors: Invalid,
}

impl FormView {
    pub fn from_posted(posted: &Posted) -> FormView {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in &posted.0 {
            values.entry(k.clone()).or_default().push(v.clone());
        }
        FormView {
            values,
            errors: Invalid::new(),
        }
    }

    pub fn with_errors(mut self, errors: Invalid) -> FormView {
        self.errors = errors;
        self
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.values.insert(name.to_owned(), vec![value.into()]);
    }

    pub fn set_all(&mut self, name: &str, values: Vec<String>) {
        self.values.insert(name.to_owned(), values);
    }

    /// The filled-in values of `names` (comma-separated) as a query string, `?a=1&b=2` or
    /// empty: a list's filters passed on to its CSV export, which takes the API's names.
    pub fn query_for(&self, names: &str) -> String {
        let parts: Vec<String> = names
            .split(',')
            .map(str::trim)
            .flat_map(|name| {
                self.values
                    .get(name)
                    .into_iter()
                    .flatten()
                    .filter(|v| !v.is_empty())
                    .map(move |v| format!("{name}={}", url_encode(v)))
            })
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The value of a single-valued field.
    pub fn v(&self, name: &str) -> &str {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    /// Whether `value` is among the values of `name` (checkboxes, selects).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values
            .get(name)
            .is_some_and(|v| v.iter().any(|x| x == value))
    }

    /// The error message for `name`, matching nested names by prefix (`thesis.x` for `x`),
    /// worded for a form: the label beside it already names the field, so "web_domain must
    /// be a web domain …" reads "Must be a web domain …".
    pub fn err(&self, name: &str) -> Option<String> {
        self.errors
            .errors
            .iter()
            .find(|e| {
                e.field == name
                    || e.field.ends_with(&format!(".{name}"))
                    || e.field.starts_with(&format!("{name}["))
            })
            .map(|e| beside_field(&e.field, &e.message))
    }

    /// Errors no field of the form shows (e.g. about an id), listed above the form.
    pub fn other_errors(&self, shown: &[&str]) -> Vec<String> {
        self.errors
            .errors
            .iter()
            .filter(|e| {
                !shown.iter().any(|s| {
                    e.field == *s
                        || e.field.ends_with(&format!(".{s}"))
                        || e.field.starts_with(&format!("{s}["))
                })
            })
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }
}

/// A field's message without its leading field name, as a sentence.
fn beside_field(field: &str, message: &str) -> String {
    let rest = message
        .strip_prefix(field)
        .map(str::trim_start)
        .unwrap_or(message);
    let rest = if rest.starts_with("is ") {
        format!("This field {rest}")
    } else {
        rest.to_owned()
    };
    let mut chars = rest.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => rest,
    }
}

/// The status a re-rendered form answers with: 409 for a refusal or a state conflict, 403
/// for a role that may not, 422 for invalid input.
pub fn failure_status(e: &StoreError) -> axum::http::StatusCode {
    use axum::http::StatusCode;
    match e {
        StoreError::Refused { .. } | StoreError::Conflict { .. } => StatusCode::CONFLICT,
        StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The answer to an action posted on a record's page (`run` says what was done, by a word
/// for `?done=`, or `None` for an action that does not exist): on success back to `page`
/// with `?done=…`; on a failure the page again, built by `render` from the posted values
/// with the errors beside their fields, under the failure's status ([`failure_status`]);
/// a record that is not there (or not the user's) stays a plain 404.
pub async fn after_action<T, F, Fut>(
    run: Result<Option<&'static str>, StoreError>,
    page: &str,
    posted: &Posted,
    render: F,
) -> Result<axum::response::Response, UiError>
where
    T: axum::response::IntoResponse,
    F: FnOnce(FormView) -> Fut,
    Fut: std::future::Future<Output = Result<T, UiError>>,
{
    use axum::response::{IntoResponse, Redirect};
    match run {
        Ok(Some(done)) => Ok(Redirect::to(&format!("{page}?done={done}")).into_response()),
        Ok(None) => Err(UiError::NotFound),
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(posted).with_errors(field_errors(e)?);
            Ok((status, render(view).await?).into_response())
        }
    }
}

/// A posted field, trimmed; blank is `None`.
pub fn trimmed(posted: &Posted, name: &str) -> Option<String> {
    posted
        .get(name)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Splits a store answer into "show these field errors on the form" and real failures.
pub fn field_errors(e: StoreError) -> Result<Invalid, UiError> {
    match e {
        StoreError::Invalid(inv) => Ok(inv),
        StoreError::Conflict {
            field,
            rule,
            message,
        } => Ok(Invalid::one(&field, &rule, message)),
        StoreError::Forbidden(d) => Ok(Invalid::one("_", d.rule, d.message)),
        StoreError::Refused { decision, .. } => {
            Ok(Invalid::one("_", &decision.rule, decision.reason))
        }
        other => Err(UiError::Store(other)),
    }
}

/// Percent-encodes a query-string value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Converts an amount typed in major units ("12,000,000.50") to minor units, for the
/// currency's number of decimals. Blank is zero.
pub fn major_to_minor(field: &str, raw: &str, exponent: u32) -> Result<i64, Invalid> {
    let bad = || {
        Invalid::one(
            field,
            "amount",
            format!("{field} must be an amount like 1200000 or 1,200,000.00"),
        )
    };
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != ' ' && *c != '_')
        .collect();
    if cleaned.is_empty() {
        return Ok(0);
    }
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > exponent as usize
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let frac_padded = format!("{frac:0<width$}", width = exponent as usize);
    let frac: i64 = if frac_padded.is_empty() {
        0
    } else {
        frac_padded.parse().map_err(|_| bad())?
    };
    whole
        .checked_mul(10_i64.pow(exponent))
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(bad)
}

/// Minor units back to a plain major-unit string for an input ("1200000.50").
pub fn minor_to_major(minor: i64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10_i64.pow(exponent);
    format!(
        "{}.{:0width$}",
        minor / scale,
        (minor % scale).abs(),
        width = exponent as usize
    )
}

/// Choices for selects, so templates never hard-code the closed sets.
pub struct Choices {
    pub partner_types: &'static [PartnerType],
    pub statuses: &'static [PartnerStatus],
    pub regions: &'static [Region],
    pub account_statuses: &'static [AccountStatus],
    pub program_kinds: &'static [ProgramKind],
    pub roles: &'static [Role],
}

impl Choices {
    pub fn get() -> Choices {
        Choices {
            partner_types: PartnerType::ALL,
            statuses: PartnerStatus::ALL,
            regions: Region::ALL,
            account_statuses: AccountStatus::ALL,
            program_kinds: ProgramKind::ALL,
            roles: Role::ALL,
        }
    }
}

/// The `?saved=1` a page is redirected to after a successful save, to show a notice.
#[derive(serde::Deserialize)]
pub struct Saved {
    pub saved: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_convert_both_ways() {
        assert_eq!(
            major_to_minor("t", "12,000,000.50", 2).unwrap(),
            1_200_000_050
        );
        assert_eq!(major_to_minor("t", "7", 2).unwrap(), 700);
        assert_eq!(major_to_minor("t", "", 2).unwrap(), 0);
        assert_eq!(major_to_minor("t", "1000", 0).unwrap(), 1000);
        assert!(major_to_minor("t", "1.005", 2).is_err());
        assert!(major_to_minor("t", "1.5", 0).is_err());
        assert!(major_to_minor("t", "-5", 2).is_err());
        assert!(major_to_minor("t", "abc", 2).is_err());
        assert_eq!(minor_to_major(1_200_000_050, 2), "12000000.50");
        assert_eq!(minor_to_major(1000, 0), "1000");
    }

    #[test]
    fn messages_beside_fields_drop_the_field_name() {
        assert_eq!(
            beside_field("web_domain", "web_domain must be a web domain"),
            "Must be a web domain"
        );
        assert_eq!(
            beside_field("name", "name is required"),
            "This field is required"
        );
        assert_eq!(beside_field("thesis.x", "something else"), "Something else");
    }

    #[test]
    fn url_encoding_keeps_paths_readable() {
        assert_eq!(
            url_encode("/console/partners?q=a b"),
            "/console/partners%3Fq%3Da%20b"
        );
    }
}
