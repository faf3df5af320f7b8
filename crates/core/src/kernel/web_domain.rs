//! Web domains, normalised so that one company has one spelling: `https://WWW.Acme.com./about`
//! and `acme.com` are the same domain. Deal registration (account matching) relies on this
//! being exact, so the rules are tested at their edges.

use std::fmt;

use crate::FieldError;

/// A normalised, syntactically valid web domain (lowercase ASCII, no scheme, no `www.`,
/// no path, port or trailing dot).
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct WebDomain(String);

impl WebDomain {
    /// Normalises and validates `raw`, naming `field` in the error.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let bad = |why: &str| {
            FieldError::new(
                field,
                "web_domain",
                format!("{field} must be a web domain like example.com ({why})"),
            )
        };
        let mut s = raw.trim().to_ascii_lowercase();
        if let Some(pos) = s.find("://") {
            s.drain(..pos + 3);
        }
        // Cut at the first path, query or fragment delimiter, then drop credentials and port.
        if let Some(pos) = s.find(['/', '?', '#']) {
            s.truncate(pos);
        }
        if let Some(pos) = s.rfind('@') {
            s.drain(..=pos);
        }
        if let Some(pos) = s.find(':') {
            s.truncate(pos);
        }
        let s = s.trim_end_matches('.');
        let s = s.strip_prefix("www.").unwrap_or(s);
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if !s.is_ascii() {
            return Err(bad("use the ASCII (xn--) form of international names"));
        }
        if s.len() > 253 {
            return Err(bad("longer than 253 characters"));
        }
        let labels: Vec<&str> = s.split('.').collect();
        if labels.len() < 2 {
            return Err(bad("it needs a dot and a top-level domain"));
        }
        for label in &labels {
            let valid = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !valid {
                return Err(bad("each part holds letters, digits and inner hyphens"));
            }
        }
        let tld = labels[labels.len() - 1];
        if tld.len() < 2 || tld.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the top-level domain is not valid"));
        }
        Ok(Self(s.to_owned()))
    }

    /// Wraps a value read back from the database, where only normalised domains are stored.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for WebDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(s: &str) -> String {
        WebDomain::parse("web_domain", s)
            .map(|d| d.0)
            .unwrap_or_else(|e| format!("ERR {}", e.message))
    }

    #[test]
    fn strips_scheme_www_case_path_port_and_trailing_dots() {
        for raw in [
            "acme.com",
            "ACME.com",
            "https://www.acme.com",
            "http://WWW.Acme.COM./pricing?x=1#top",
            "www.acme.com:8443",
            "  acme.com..  ",
            "https://user:pw@acme.com/",
        ] {
            assert_eq!(norm(raw), "acme.com", "{raw}");
        }
    }

    #[test]
    fn keeps_meaningful_subdomains() {
        assert_eq!(norm("https://eu.shop.acme.co.uk/"), "eu.shop.acme.co.uk");
        assert_eq!(norm("www2.acme.com"), "www2.acme.com");
    }

    #[test]
    fn rejects_what_is_not_a_domain() {
        for raw in [
            "",
            "acme",
            "http://",
            "acme..com",
            "-acme.com",
            "acme-.com",
            "acme.c",
            "10.0.0.1",
            "acmé.com",
            "ac me.com",
        ] {
            assert!(norm(raw).starts_with("ERR"), "{raw} should fail");
        }
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(raw in "[a-zA-Z0-9.:/-]{0,40}") {
            if let Ok(d) = WebDomain::parse("d", &raw) {
                prop_assert_eq!(WebDomain::parse("d", d.as_str()).unwrap(), d);
            }
        }
    }
}
