//! Validation failures. Parsing collects every problem with the input rather than stopping
//! at the first, and each names the field, the rule it broke and a sentence for people. The
//! HTTP layer renders them as the `errors` member of an RFC 9457 problem document and as
//! inline messages beside form fields.

use serde::Serialize;

/// One field that broke one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The input field, as named in the API (`web_domain`, `thesis.sourced_arr_target`).
    pub field: String,
    /// A stable machine-readable rule name (`required`, `max_length`, `one_of`, ...).
    pub rule: String,
    /// What is wrong and what is allowed, for people.
    pub message: String,
}

/// Everything wrong with one input. Never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", self.summary())]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

impl From<FieldError> for Invalid {
    fn from(e: FieldError) -> Self {
        Invalid { errors: vec![e] }
    }
}

impl Invalid {
    pub fn new() -> Self {
        Self::default()
    }

    /// A single failure, for rules checked outside a parse (e.g. a uniqueness conflict).
    pub fn one(field: &str, rule: &str, message: impl Into<String>) -> Self {
        let mut inv = Self::new();
        inv.add(field, rule, message);
        inv
    }

    pub fn add(&mut self, field: &str, rule: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            rule: rule.to_owned(),
            message: message.into(),
        });
    }

    /// Records the error of `result` (if any) and returns its value.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, else `Err(self)`.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Invalid> {
        if !self.is_empty() {
            return Err(self);
        }
        // Every field parsed, so the builder has all it needs; `None` would be a bug in
        // the caller, reported as an error rather than a panic.
        value().ok_or_else(|| Invalid::one("_", "internal", "input could not be assembled"))
    }

    pub fn summary(&self) -> String {
        self.errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl FieldError {
    pub fn new(field: &str, rule: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }
}

/// Text rules shared by every record: trimmed, required or optional, bounded length.
pub mod text {
    use super::FieldError;

    /// Trims `raw`; missing or blank input breaks `required`.
    pub fn required(
        field: &str,
        raw: Option<&str>,
        max_chars: usize,
    ) -> Result<String, FieldError> {
        match optional(field, raw, max_chars)? {
            Some(s) => Ok(s),
            None => Err(FieldError::new(
                field,
                "required",
                format!("{field} is required"),
            )),
        }
    }

    /// Trims `raw`; blank input becomes `None`.
    pub fn optional(
        field: &str,
        raw: Option<&str>,
        max_chars: usize,
    ) -> Result<Option<String>, FieldError> {
        let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        if s.chars().count() > max_chars {
            return Err(FieldError::new(
                field,
                "max_length",
                format!("{field} must be at most {max_chars} characters"),
            ));
        }
        if s.chars().any(|c| c.is_control()) {
            return Err(FieldError::new(
                field,
                "no_control_chars",
                format!("{field} must not contain control characters"),
            ));
        }
        Ok(Some(s.to_owned()))
    }

    /// Like [`optional`], for text of several lines (a Markdown note, a review's notes):
    /// line breaks and tabs are kept (a CRLF becomes LF); other control characters are
    /// refused.
    pub fn multiline_optional(
        field: &str,
        raw: Option<&str>,
        max_chars: usize,
    ) -> Result<Option<String>, FieldError> {
        let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let s = s.replace("\r\n", "\n");
        if s.chars().count() > max_chars {
            return Err(FieldError::new(
                field,
                "max_length",
                format!("{field} must be at most {max_chars} characters"),
            ));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(FieldError::new(
                field,
                "no_control_chars",
                format!(
                    "{field} must not contain control characters other than line breaks and tabs"
                ),
            ));
        }
        Ok(Some(s))
    }

    /// Like [`required`], for text of several lines (see [`multiline_optional`]).
    pub fn multiline_required(
        field: &str,
        raw: Option<&str>,
        max_chars: usize,
    ) -> Result<String, FieldError> {
        match multiline_optional(field, raw, max_chars)? {
            Some(s) => Ok(s),
            None => Err(FieldError::new(
                field,
                "required",
                format!("{field} is required"),
            )),
        }
    }

    /// A list of short labels (verticals, coverage gaps): each trimmed, blanks dropped,
    /// duplicates (ignoring case) removed, bounded in count and length.
    pub fn labels(
        field: &str,
        raw: &[String],
        max_items: usize,
        max_chars: usize,
    ) -> Result<Vec<String>, FieldError> {
        let mut out: Vec<String> = Vec::new();
        for item in raw {
            if let Some(s) = optional(field, Some(item), max_chars)?
                && !out.iter().any(|o| o.eq_ignore_ascii_case(&s))
            {
                out.push(s);
            }
        }
        if out.len() > max_items {
            return Err(FieldError::new(
                field,
                "max_items",
                format!("{field} may list at most {max_items} items"),
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::text::*;

    #[test]
    fn required_trims_and_rejects_blank() {
        assert_eq!(required("name", Some("  Acme "), 10).unwrap(), "Acme");
        assert_eq!(
            required("name", Some("   "), 10).unwrap_err().rule,
            "required"
        );
        assert_eq!(required("name", None, 10).unwrap_err().rule, "required");
    }

    #[test]
    fn length_is_counted_in_characters_at_the_boundary() {
        assert!(optional("n", Some("ééééé"), 5).is_ok());
        assert_eq!(
            optional("n", Some("éééééé"), 5).unwrap_err().rule,
            "max_length"
        );
    }

    #[test]
    fn multiline_text_keeps_line_breaks_and_refuses_other_control_characters() {
        assert_eq!(
            multiline_required("body", Some(" Hi\r\n\n- one\n\t- two "), 100).unwrap(),
            "Hi\n\n- one\n\t- two"
        );
        assert_eq!(
            multiline_optional("body", Some("a\u{0007}b"), 100)
                .unwrap_err()
                .rule,
            "no_control_chars"
        );
        assert_eq!(
            optional("name", Some("a\nb"), 10).unwrap_err().rule,
            "no_control_chars"
        );
        assert_eq!(
            multiline_required("body", Some(" \n "), 10)
                .unwrap_err()
                .rule,
            "required"
        );
    }

    #[test]
    fn labels_dedupe_ignoring_case() {
        let raw = vec![
            "Health".into(),
            " health ".into(),
            "".into(),
            "Retail".into(),
        ];
        assert_eq!(
            labels("verticals", &raw, 5, 40).unwrap(),
            vec!["Health", "Retail"]
        );
        let many: Vec<String> = (0..6).map(|i| format!("v{i}")).collect();
        assert_eq!(
            labels("verticals", &many, 5, 40).unwrap_err().rule,
            "max_items"
        );
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            optional("n", Some("a\u{0}b"), 5).unwrap_err().rule,
            "no_control_chars"
        );
    }
}
