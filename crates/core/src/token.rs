//! API tokens: what a token may reach (its scopes) and how long it lives (its expiry).
//!
//! A scope names a capability of the API, or every one (`*`), with read or write access;
//! write includes read. `registration:read`, `pipeline:write`, `*:read` and `*` (= `*:write`)
//! are scopes. A scope only narrows what the token's user may do: the user's role and
//! tenant scope still decide everything else.
//!
//! A token expires [`DEFAULT_LIFETIME_DAYS`] days after it is made unless it says otherwise,
//! and at most [`MAX_LIFETIME_DAYS`] days after; only an operator (the CLI, the system
//! actor) may make a token that never expires. Tokens made before scopes existed keep `*`
//! and no expiry (see migration 0028).
//!
//! Pure rules: the caller passes the time in.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::kernel::ids::{UserId, parse_id};
use crate::kernel::invalid::text;
use crate::{FieldError, Invalid, text_enum};

text_enum!(
    /// A part of the API a token scope names. Each API path belongs to one (see the API
    /// description for the table of path prefixes).
    TokenCapability {
        Program = "program" / "Programs and tiers",
        Partner = "partner" / "Partners",
        Account = "account" / "Accounts",
        User = "user" / "Users and the caller",
        Token = "token" / "API tokens",
        Registration = "registration" / "Deal registrations, engagement and conflicts",
        Partnership = "partnership" / "Partnership charters and decision trees",
        Policy = "policy" / "Program policy",
        Lifecycle = "lifecycle" / "Applications, onboarding, tiering and governance",
        BusinessPlan = "business_plan" / "Joint business plans",
        Pipeline = "pipeline" / "Opportunities, deal rooms and currency rates",
        Cadence = "cadence" / "The 30-day cadence and calendar feed",
        Notification = "notification" / "Notifications",
        Payout = "payout" / "Commissions and statements",
        Campaign = "campaign" / "Campaigns",
        File = "file" / "Files",
        Mdf = "mdf" / "Market development funds",
        Enablement = "enablement" / "Enablement",
        Webhook = "webhook" / "Webhooks",
        Event = "event" / "Events",
        Launch = "launch" / "Launch checklists",
        Import = "import" / "CSV imports",
        Directory = "directory" / "Directory listings and search",
        Mapping = "mapping" / "Account mapping",
    }
);

text_enum!(
    /// Read (GET and HEAD) or write (every other method, and reading).
    TokenAccess {
        Read = "read" / "Read",
        Write = "write" / "Read and write",
    }
);

/// How long a token lives when its maker does not say.
pub const DEFAULT_LIFETIME_DAYS: i64 = 90;
/// The longest a token may live (operators may still make one that never expires).
pub const MAX_LIFETIME_DAYS: i64 = 365;
/// How many scopes one token may carry.
pub const MAX_SCOPES: usize = 64;

/// One scope: a capability (or every one) with an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenScope {
    /// `None`: every capability (`*`).
    pub capability: Option<TokenCapability>,
    pub access: TokenAccess,
}

impl TokenScope {
    /// Everything the user may do: `*`.
    pub const ALL: TokenScope = TokenScope {
        capability: None,
        access: TokenAccess::Write,
    };

    /// Parses `cap:read`, `cap:write`, `*:read`, `*:write` or `*`.
    pub fn parse(field: &str, raw: &str) -> Result<TokenScope, FieldError> {
        let raw = raw.trim();
        if raw == "*" {
            return Ok(TokenScope::ALL);
        }
        let bad = || {
            FieldError::new(
                field,
                "token_scope",
                format!(
                    "{field}: `{raw}` is not a scope; write `<capability>:read`, `<capability>:write`, `*:read` or `*` (capabilities: {})",
                    TokenCapability::ALL
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        };
        let (cap, access) = raw.split_once(':').ok_or_else(bad)?;
        let access = TokenAccess::parse(field, access).map_err(|_| bad())?;
        let capability = match cap {
            "*" => None,
            c => Some(TokenCapability::parse(field, c).map_err(|_| bad())?),
        };
        Ok(TokenScope { capability, access })
    }

    /// Whether this scope lets a request with `access` to `capability` through.
    pub fn grants(&self, capability: TokenCapability, access: TokenAccess) -> bool {
        self.capability.is_none_or(|c| c == capability)
            && (self.access == TokenAccess::Write || access == TokenAccess::Read)
    }

    /// The scope a request needs, as it is written: `registration:write`.
    pub fn needed(capability: TokenCapability, access: TokenAccess) -> TokenScope {
        TokenScope {
            capability: Some(capability),
            access,
        }
    }
}

impl std::fmt::Display for TokenScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.capability, self.access) {
            (None, TokenAccess::Write) => f.write_str("*"),
            (None, a) => write!(f, "*:{a}"),
            (Some(c), a) => write!(f, "{c}:{a}"),
        }
    }
}

impl Serialize for TokenScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for TokenScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TokenScope::parse("scopes", &s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for TokenScope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "`<capability>:read`, `<capability>:write`, `*:read` or `*` (everything); write includes read",
            ))
            .pattern(Some(r"^(\*|(\*|[a-z_]+):(read|write))$"))
            .examples(["registration:read", "pipeline:write", "*:read", "*"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for TokenScope {}

/// Whether any of `scopes` lets the request through.
pub fn allows(scopes: &[TokenScope], capability: TokenCapability, access: TokenAccess) -> bool {
    scopes.iter().any(|s| s.grants(capability, access))
}

/// Parses a list of scopes: absent means `*`; an empty list is refused (a token that can
/// reach nothing is a mistake). Duplicates are dropped, order kept.
pub fn parse_scopes(field: &str, raw: Option<&[String]>) -> Result<Vec<TokenScope>, Invalid> {
    let Some(raw) = raw else {
        return Ok(vec![TokenScope::ALL]);
    };
    let mut inv = Invalid::new();
    if raw.is_empty() {
        inv.add(
            field,
            "min_items",
            format!("{field} needs at least one scope (`*` for everything)"),
        );
    }
    if raw.len() > MAX_SCOPES {
        inv.add(
            field,
            "max_items",
            format!("{field} may list at most {MAX_SCOPES} scopes"),
        );
    }
    let mut out: Vec<TokenScope> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        if let Some(s) = inv.check(TokenScope::parse(&format!("{field}[{i}]"), r))
            && !out.contains(&s)
        {
            out.push(s);
        }
    }
    inv.finish(|| Some(out))
}

/// Parses when a token expires, made at `now`: absent or blank means in
/// [`DEFAULT_LIFETIME_DAYS`] days; an RFC 3339 time, a date (`2027-03-01`: the start of that
/// day, UTC) or a number of days (`30d`); `never` only when `may_be_permanent`. Returns
/// `None` for a token that never expires.
pub fn parse_expiry(
    field: &str,
    raw: Option<&str>,
    now: DateTime<Utc>,
    may_be_permanent: bool,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    let raw = raw.map(str::trim).unwrap_or_default();
    let at = if raw.is_empty() {
        now + Duration::days(DEFAULT_LIFETIME_DAYS)
    } else if raw == "never" {
        return if may_be_permanent {
            Ok(None)
        } else {
            Err(FieldError::new(
                field,
                "token.max_lifetime",
                format!(
                    "{field}: only an operator (partnerops token create) may make a token that never expires; at most {MAX_LIFETIME_DAYS} days"
                ),
            ))
        };
    } else if let Some(days) = raw.strip_suffix('d').and_then(|d| d.parse::<i64>().ok()) {
        if days < 1 {
            return Err(FieldError::new(
                field,
                "future",
                format!("{field} must be at least 1 day"),
            ));
        }
        now + Duration::days(days.min(MAX_LIFETIME_DAYS + 1))
    } else if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        t.with_timezone(&Utc)
    } else if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    } else {
        return Err(FieldError::new(
            field,
            "datetime",
            format!(
                "{field} must be an RFC 3339 time, a date (YYYY-MM-DD), a number of days (30d) or empty for {DEFAULT_LIFETIME_DAYS} days"
            ),
        ));
    };
    if at <= now {
        return Err(FieldError::new(
            field,
            "future",
            format!("{field} must be in the future"),
        ));
    }
    if at > now + Duration::days(MAX_LIFETIME_DAYS) {
        return Err(FieldError::new(
            field,
            "token.max_lifetime",
            format!("{field} may be at most {MAX_LIFETIME_DAYS} days away"),
        ));
    }
    Ok(Some(at))
}

/// Raw input for a new API token.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTokenInput {
    /// What the token is for, e.g. "CRM sync".
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub name: Option<String>,
    /// What the token may reach: `<capability>:read`, `<capability>:write`, `*:read`, `*`.
    /// Absent: `*` (everything the user's role allows).
    #[cfg_attr(feature = "openapi", schema(nullable = false, value_type = Option<Vec<TokenScope>>))]
    pub scopes: Option<Vec<String>>,
    /// When it stops working: an RFC 3339 time, a date or `30d`; absent: in 90 days; at
    /// most 365 days away.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub expires_at: Option<String>,
    /// Whose token it is; absent: the caller's. Someone who manages a user (an
    /// administrator, a partner admin for its own partner's users) may make one for them.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub user_id: Option<String>,
}

/// A validated new token.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<TokenScope>,
    /// `None`: never expires (operators only).
    pub expires_at: Option<DateTime<Utc>>,
    /// `None`: the caller's own.
    pub user_id: Option<UserId>,
}

impl NewTokenInput {
    /// Parses the input as of `now`; `operator` allows `expires_at: "never"`.
    pub fn parse(&self, now: DateTime<Utc>, operator: bool) -> Result<NewToken, Invalid> {
        let mut inv = Invalid::new();
        let name = inv.check(text::required("name", self.name.as_deref(), 80));
        let scopes = match parse_scopes("scopes", self.scopes.as_deref()) {
            Ok(s) => Some(s),
            Err(e) => {
                inv.errors.extend(e.errors);
                None
            }
        };
        let expires_at = inv.check(parse_expiry(
            "expires_at",
            self.expires_at.as_deref(),
            now,
            operator,
        ));
        let user_id = match self
            .user_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv.check(parse_id("user_id", raw)).map(Some),
            None => Some(None),
        };
        inv.finish(|| {
            Some(NewToken {
                name: name?,
                scopes: scopes?,
                expires_at: expires_at?,
                user_id: user_id?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap()
    }

    fn scope(s: &str) -> TokenScope {
        TokenScope::parse("s", s).unwrap()
    }

    #[test]
    fn write_implies_read_and_star_means_every_capability() {
        use TokenAccess::*;
        use TokenCapability::*;
        assert!(scope("pipeline:write").grants(Pipeline, Read));
        assert!(scope("pipeline:write").grants(Pipeline, Write));
        assert!(!scope("pipeline:write").grants(Registration, Read));
        assert!(scope("registration:read").grants(Registration, Read));
        assert!(!scope("registration:read").grants(Registration, Write));
        assert!(scope("*:read").grants(Mdf, Read));
        assert!(!scope("*:read").grants(Mdf, Write));
        assert!(scope("*").grants(Mdf, Write));
        assert_eq!(scope("*:write"), TokenScope::ALL);
        assert!(!allows(&[], Mdf, Read));
    }

    #[test]
    fn scopes_round_trip_and_bad_ones_name_the_rule() {
        for s in ["*", "*:read", "business_plan:write", "registration:read"] {
            assert_eq!(scope(s).to_string(), s);
        }
        for bad in [
            "registration",
            "registration:admin",
            "deals:read",
            "",
            "*:*",
        ] {
            let e = TokenScope::parse("scopes[0]", bad).unwrap_err();
            assert_eq!(e.rule, "token_scope", "{bad}");
        }
        assert_eq!(parse_scopes("scopes", None).unwrap(), vec![TokenScope::ALL]);
        assert_eq!(
            parse_scopes("scopes", Some(&[])).unwrap_err().errors[0].rule,
            "min_items"
        );
        let dup = parse_scopes(
            "scopes",
            Some(&["mdf:read".to_owned(), " mdf:read".to_owned()]),
        )
        .unwrap();
        assert_eq!(dup.len(), 1);
        let e = parse_scopes("scopes", Some(&["mdf:read".to_owned(), "x".to_owned()])).unwrap_err();
        assert_eq!(e.errors[0].field, "scopes[1]");
    }

    #[test]
    fn expiry_defaults_to_ninety_days_and_is_at_most_a_year() {
        let n = now();
        assert_eq!(
            parse_expiry("e", None, n, false).unwrap(),
            Some(n + Duration::days(90))
        );
        assert_eq!(
            parse_expiry("e", Some("30d"), n, false).unwrap(),
            Some(n + Duration::days(30))
        );
        assert_eq!(
            parse_expiry("e", Some("365d"), n, false).unwrap(),
            Some(n + Duration::days(365))
        );
        assert_eq!(
            parse_expiry("e", Some("366d"), n, false).unwrap_err().rule,
            "token.max_lifetime"
        );
        assert_eq!(
            parse_expiry("e", Some("2027-03-01"), n, false).unwrap(),
            Some(Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(
            parse_expiry("e", Some("2026-12-03T09:00:00Z"), n, false)
                .unwrap_err()
                .rule,
            "future"
        );
        assert!(parse_expiry("e", Some("2026-12-03T09:00:01Z"), n, false).is_ok());
        assert_eq!(
            parse_expiry("e", Some("never"), n, false).unwrap_err().rule,
            "token.max_lifetime"
        );
        assert_eq!(parse_expiry("e", Some("never"), n, true).unwrap(), None);
        assert_eq!(
            parse_expiry("e", Some("soon"), n, false).unwrap_err().rule,
            "datetime"
        );
        assert_eq!(
            parse_expiry("e", Some("0d"), n, false).unwrap_err().rule,
            "future"
        );
    }

    #[test]
    fn input_reports_every_error() {
        let e = NewTokenInput {
            name: None,
            scopes: Some(vec!["nope".into()]),
            expires_at: Some("yesterday".into()),
            user_id: Some("x".into()),
        }
        .parse(now(), false)
        .unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "scopes[0]", "expires_at", "user_id"]);
    }
}
