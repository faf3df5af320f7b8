//! Subscriptions, deliveries and attempts as the API shows them; the input of a
//! subscription and its parsing; which events a subscription takes; the body of a delivery
//! in the Standard Webhooks shape (`{"type", "timestamp", "data"}`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::kernel::ids::{PartnerId, UserId, WebhookDeliveryId, WebhookSubscriptionId, parse_id};
use crate::kernel::invalid::text;
use crate::{FieldError, Invalid, text_enum};

text_enum!(
    /// Whether a subscription is sent to.
    WebhookSubscriptionStatus {
        Active = "active" / "Active",
        Disabled = "disabled" / "Disabled",
    }
);

text_enum!(
    /// Where one event's delivery to one subscription stands.
    WebhookDeliveryStatus {
        Pending = "pending" / "Pending",
        Delivered = "delivered" / "Delivered",
        Failed = "failed" / "Failed",
    }
);

/// The capabilities whose events may be subscribed to: a filter is `*`, `<capability>.*`
/// or `<capability>.<event>` (e.g. `registration.approved`).
pub const CAPABILITIES: &[&str] = &[
    "account",
    "application",
    "business_plan",
    "campaign",
    "certification",
    "charter",
    "conflict",
    "engagement",
    "enablement",
    "event",
    "jbp",
    "launch",
    "mdf",
    "opportunity",
    "partner",
    "payout",
    "policy",
    "registration",
    "room",
    "touchpoint",
    "webhook",
];

/// Most filters on one subscription.
pub const MAX_KINDS: usize = 50;
/// Longest target URL, in characters.
pub const MAX_URL_CHARS: usize = 2000;
/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// A subscription as the API shows it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSubscription {
    pub id: WebhookSubscriptionId,
    /// The partner whose events it takes; none: the vendor's, every partner's events.
    pub partner_id: Option<PartnerId>,
    pub url: String,
    pub description: String,
    /// `*`, `<capability>.*` or exact event kinds.
    pub event_kinds: Vec<String>,
    pub status: WebhookSubscriptionStatus,
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed (none while deliveries succeed).
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the previous secret signs too, after a rotation.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new subscription, or a new secret: the secret is shown this once.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSecret {
    pub subscription: WebhookSubscription,
    /// `whsec_…`: verify our `webhook-signature` with it.
    pub secret: String,
}

/// A subscription as sent. On update, absent fields stay.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookSubscriptionInput {
    /// https (or http) URL the events are posted to.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub url: Option<String>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub description: Option<String>,
    /// `*`, `<capability>.*` or event kinds such as `registration.approved`.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub event_kinds: Option<Vec<String>>,
    /// Vendor admins: the partner whose events only (absent: every partner's). Partner
    /// admins: their own partner, given or not.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub partner_id: Option<String>,
    /// `active` re-enables a disabled subscription; `disabled` pauses it.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub status: Option<String>,
}

/// A target, parsed: the URL and what to resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub host: String,
    pub port: u16,
}

/// A subscription's fields, parsed (each `None` when absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookSubscriptionFields {
    pub target: Option<Target>,
    pub description: Option<String>,
    pub event_kinds: Option<Vec<String>>,
    pub partner_id: Option<PartnerId>,
    pub status: Option<WebhookSubscriptionStatus>,
}

impl WebhookSubscriptionInput {
    /// Parses the input; `creating` makes the URL and the kinds required.
    pub fn parse(&self, creating: bool) -> Result<WebhookSubscriptionFields, Invalid> {
        let mut inv = Invalid::new();
        let target = match self.url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => inv.check(parse_target("url", raw)).map(Some),
            None if creating => inv.check(Err(FieldError::new(
                "url",
                "required",
                "url is required: where should we post the events?",
            ))),
            None => Some(None),
        };
        let description = match &self.description {
            Some(d) => inv
                .check(text::optional("description", Some(d.as_str()), 200))
                .map(|d| Some(d.unwrap_or_default())),
            None => Some(None),
        };
        let event_kinds = match &self.event_kinds {
            Some(kinds) => inv.check(parse_kinds("event_kinds", kinds)).map(Some),
            None if creating => inv.check(Err(FieldError::new(
                "event_kinds",
                "required",
                "event_kinds is required: which events (\"*\" for all)?",
            ))),
            None => Some(None),
        };
        let partner_id = match self.partner_id.as_deref().map(str::trim) {
            Some(raw) if !raw.is_empty() => inv
                .check(parse_id::<PartnerId>("partner_id", raw))
                .map(Some),
            _ => Some(None),
        };
        let status = match self.status.as_deref().map(str::trim) {
            Some(raw) if !raw.is_empty() => inv
                .check(WebhookSubscriptionStatus::parse("status", raw))
                .map(Some),
            _ => Some(None),
        };
        inv.finish(|| {
            Some(WebhookSubscriptionFields {
                target: target?,
                description: description?,
                event_kinds: event_kinds?,
                partner_id: partner_id?,
                status: status?,
            })
        })
    }
}

/// An http(s) URL without credentials: its host and port, for the SSRF check.
pub fn parse_target(field: &str, raw: &str) -> Result<Target, FieldError> {
    let bad = |why: &str| FieldError::new(field, "webhook_url", format!("{field}: {why}"));
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(bad("longer than 2000 characters"));
    }
    let url = url::Url::parse(raw).map_err(|_| bad("not a URL"))?;
    let port = match url.scheme() {
        "https" => url.port().unwrap_or(443),
        "http" => url.port().unwrap_or(80),
        _ => return Err(bad("must be an https:// (or http://) URL")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(bad("must not have a #fragment"));
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(bad("has no host")),
    };
    Ok(Target {
        url: url.to_string(),
        host,
        port,
    })
}

/// Checks the event filters: at least one, each `*`, `<capability>.*` or
/// `<capability>.<event>`; duplicates dropped, order kept.
pub fn parse_kinds(field: &str, raw: &[String]) -> Result<Vec<String>, FieldError> {
    let mut kinds: Vec<String> = Vec::new();
    for (i, k) in raw.iter().enumerate() {
        let k = k.trim();
        let ok = k == "*"
            || k.split_once('.').is_some_and(|(cap, event)| {
                CAPABILITIES.contains(&cap)
                    && (event == "*"
                        || (!event.is_empty()
                            && event.chars().all(|c| c.is_ascii_lowercase() || c == '_')))
            });
        if !ok {
            return Err(FieldError::new(
                &format!("{field}[{i}]"),
                "webhook_kind",
                format!(
                    "{field}[{i}]: {k:?} is not \"*\", \"<capability>.*\" or an event kind such as registration.approved; capabilities: {}",
                    CAPABILITIES.join(", ")
                ),
            ));
        }
        if !kinds.iter().any(|x| x == k) {
            kinds.push(k.to_owned());
        }
    }
    if kinds.is_empty() {
        return Err(FieldError::new(
            field,
            "required",
            format!("{field} needs at least one event kind (\"*\" for all)"),
        ));
    }
    if kinds.len() > MAX_KINDS {
        return Err(FieldError::new(
            field,
            "too_many",
            format!("{field} has more than {MAX_KINDS} filters"),
        ));
    }
    Ok(kinds)
}

/// Whether an event of `kind` matches any of `filters`.
pub fn takes(filters: &[String], kind: &str) -> bool {
    filters.iter().any(|f| {
        f == "*"
            || f == kind
            || f.strip_suffix(".*")
                .is_some_and(|cap| kind.split_once('.').is_some_and(|(c, _)| c == cap))
    })
}

/// The body of a delivery. The vendor's subscriptions get the event's payload; a partner's
/// get the kind and the record's id only, and read the record through the API, where its
/// scope applies: a payload may mention what the partner must not see (another claimant).
pub fn body(
    kind: &str,
    at: DateTime<Utc>,
    entity_id: &str,
    payload: &Value,
    for_partner: bool,
) -> Value {
    let data = if for_partner {
        json!({ "id": entity_id })
    } else {
        json!({ "id": entity_id, "object": payload })
    };
    json!({
        "type": kind,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": data,
    })
}

/// One event's delivery to one subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// The `webhook-id` header: the same on every attempt and replay.
    pub id: WebhookDeliveryId,
    pub subscription_id: WebhookSubscriptionId,
    pub event_id: String,
    pub event_kind: String,
    pub event_at: DateTime<Utc>,
    pub status: WebhookDeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// One try of a delivery: what was sent and what came back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAttempt {
    pub attempt: i64,
    pub started_at: DateTime<Utc>,
    /// The headers sent (signatures included: they verify only with the secret).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub request_headers: Value,
    pub request_body: String,
    /// The answer's status; none without an answer (timeout, refused connection).
    pub status: Option<i64>,
    pub error: Option<String>,
    /// The first 2 KB of the answer.
    pub response_body: Option<String>,
    pub latency_ms: i64,
}

/// A delivery with its attempts.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryDetail {
    pub delivery: WebhookDelivery,
    pub attempts: Vec<WebhookAttempt>,
}

/// What to send again: one event, or every event of a time range.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookReplayInput {
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub event_id: Option<String>,
    /// RFC 3339, inclusive.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub to: Option<String>,
}

/// A replay, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replay {
    Event(String),
    Range(DateTime<Utc>, DateTime<Utc>),
}

impl WebhookReplayInput {
    pub fn parse(&self) -> Result<Replay, Invalid> {
        let time =
            |field: &str, raw: &Option<String>| -> Result<Option<DateTime<Utc>>, FieldError> {
                match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    None => Ok(None),
                    Some(s) => DateTime::parse_from_rfc3339(s)
                        .map(|t| Some(t.with_timezone(&Utc)))
                        .map_err(|_| {
                            FieldError::new(field, "datetime", format!("{field} must be RFC 3339"))
                        }),
                }
            };
        let event = self
            .event_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        match (event, time("from", &self.from), time("to", &self.to)) {
            (Some(e), Ok(None), Ok(None)) => Ok(Replay::Event(e.to_owned())),
            (None, Ok(Some(from)), Ok(Some(to))) if from < to => Ok(Replay::Range(from, to)),
            (None, Ok(Some(_)), Ok(Some(_))) => {
                Err(Invalid::one("to", "after_from", "to must be after from"))
            }
            (_, Err(e), _) | (_, _, Err(e)) => Err(Invalid::from(e)),
            _ => Err(Invalid::one(
                "event_id",
                "one_of",
                "give event_id, or from and to (a time range), not both",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn filters_are_all_a_capability_or_exact_kinds() {
        let f = parse_kinds("event_kinds", &kinds(&["registration.*", "mdf.claim_paid"])).unwrap();
        assert!(takes(&f, "registration.approved"));
        assert!(takes(&f, "mdf.claim_paid"));
        assert!(!takes(&f, "mdf.claim_approved"));
        assert!(!takes(&f, "registrations.sweep"));
        assert!(takes(&kinds(&["*"]), "anything.at_all"));
        let e =
            parse_kinds("event_kinds", &kinds(&["registration.approved", "Regs.*"])).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("event_kinds[1]", "webhook_kind")
        );
        for bad in [
            "",
            "registration",
            "nope.approved",
            "registration.",
            "registration.Approved",
        ] {
            assert!(parse_kinds("k", &kinds(&[bad])).is_err(), "{bad}");
        }
        assert_eq!(parse_kinds("k", &[]).unwrap_err().rule, "required");
        assert_eq!(
            parse_kinds("k", &kinds(&["*", "*"])).unwrap(),
            kinds(&["*"])
        );
    }

    #[test]
    fn a_target_is_an_http_url_without_credentials() {
        let t = parse_target("url", "https://hooks.example.com/in?x=1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("hooks.example.com", 443));
        let t = parse_target("url", "http://127.0.0.1:9000/hook").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 9000));
        let t = parse_target("url", "http://[::1]:9000/").unwrap();
        assert_eq!(t.host, "::1");
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "not a url",
            "https://example.com/#frag",
            "file:///etc/passwd",
        ] {
            let e = parse_target("url", bad).unwrap_err();
            assert_eq!(e.rule, "webhook_url", "{bad}");
        }
    }

    #[test]
    fn creating_needs_url_and_kinds_updating_does_not() {
        let e = WebhookSubscriptionInput::default().parse(true).unwrap_err();
        let rules: Vec<String> = e
            .errors
            .iter()
            .map(|e| format!("{}:{}", e.field, e.rule))
            .collect();
        assert_eq!(rules, ["url:required", "event_kinds:required"]);
        let f = WebhookSubscriptionInput {
            status: Some("active".into()),
            ..Default::default()
        }
        .parse(false)
        .unwrap();
        assert_eq!(f.status, Some(WebhookSubscriptionStatus::Active));
        assert_eq!(f.target, None);
    }

    #[test]
    fn a_partners_body_carries_the_id_only() {
        let at: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().unwrap();
        let payload = json!({"other_claimant": "Beta"});
        let vendor = body("conflict.opened", at, "cfl_1", &payload, false);
        assert_eq!(vendor["data"]["object"]["other_claimant"], "Beta");
        assert_eq!(vendor["type"], "conflict.opened");
        assert_eq!(vendor["timestamp"], "2026-12-02T10:00:00.000000Z");
        let partner = body("conflict.opened", at, "cfl_1", &payload, true);
        assert_eq!(partner["data"], json!({"id": "cfl_1"}));
    }

    #[test]
    fn a_replay_is_one_event_or_a_range() {
        let one = WebhookReplayInput {
            event_id: Some("evt_1".into()),
            ..Default::default()
        };
        assert_eq!(one.parse().unwrap(), Replay::Event("evt_1".into()));
        let range = WebhookReplayInput {
            from: Some("2026-12-01T00:00:00Z".into()),
            to: Some("2026-12-02T00:00:00Z".into()),
            ..Default::default()
        };
        assert!(matches!(range.parse().unwrap(), Replay::Range(..)));
        let backwards = WebhookReplayInput {
            from: Some("2026-12-02T00:00:00Z".into()),
            to: Some("2026-12-01T00:00:00Z".into()),
            ..Default::default()
        };
        assert_eq!(backwards.parse().unwrap_err().errors[0].rule, "after_from");
        assert_eq!(
            WebhookReplayInput::default().parse().unwrap_err().errors[0].rule,
            "one_of"
        );
        let both = WebhookReplayInput {
            event_id: Some("evt_1".into()),
            ..range
        };
        assert_eq!(both.parse().unwrap_err().errors[0].rule, "one_of");
    }
}
