//! The values CRM files hold, read leniently where the forms are unambiguous and refused
//! with the rule otherwise: dates in ISO or US form, amounts with thousands separators,
//! countries by code or English name.

use chrono::{DateTime, NaiveDate, Utc};

use crate::FieldError;
use crate::country::Country;
use crate::money::Currency;
use crate::partner::{PartnerStatus, PartnerType};
use crate::pipeline::policy::PipelinePolicy;
use crate::pipeline::touchpoint::TouchpointKind;
use crate::registration::RegistrationStatus;
use crate::user::Role;

/// A day: `2026-03-31`, `2026-03-31 00:00`, `2026-03-31T00:00:00.000Z` (Data Loader,
/// HubSpot), or `3/31/2026` (a Salesforce report in the en_US locale: month first, which is
/// why a day-first date such as `31/3/2026` is refused rather than guessed).
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "date",
            format!("{field} must be a date as YYYY-MM-DD or M/D/YYYY (month first)"),
        )
    };
    let s = raw.trim();
    if s.contains('/') {
        let parts: Vec<&str> = s.split('/').collect();
        let [m, d, y] = parts.as_slice() else {
            return Err(bad());
        };
        if y.len() != 4 {
            return Err(bad());
        }
        let (m, d, y) = (
            m.parse::<u32>().map_err(|_| bad())?,
            d.parse::<u32>().map_err(|_| bad())?,
            y.parse::<i32>().map_err(|_| bad())?,
        );
        return NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad);
    }
    let day = s.get(..10).ok_or_else(bad)?;
    let rest = &s[10..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('T')) {
        return Err(bad());
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad())
}

/// An amount in `currency`'s minor units: `1250000`, `1,250,000.50`, `$1,250,000.50`,
/// `USD 1,250,000.50`. Not negative; no more decimals than the currency has.
pub fn parse_amount(field: &str, raw: &str, currency: Currency) -> Result<i64, FieldError> {
    let bad = |why: &str| {
        FieldError::new(
            field,
            "amount",
            format!("{field} must be an amount such as 1250000.00 ({why})"),
        )
    };
    let mut s = raw.trim();
    if let Some(rest) = s.strip_prefix(currency.as_str()) {
        s = rest.trim_start();
    }
    for sym in ["$", "€", "£", "¥"] {
        if let Some(rest) = s.strip_prefix(sym) {
            s = rest.trim_start();
        }
    }
    if s.starts_with('-') || s.starts_with('(') {
        return Err(FieldError::new(
            field,
            "non_negative",
            format!("{field} must not be negative"),
        ));
    }
    let s: String = s.chars().filter(|c| *c != ',').collect();
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad("digits, an optional point and thousands commas"));
    }
    let exp = currency.exponent() as usize;
    let frac = frac.trim_end_matches('0');
    if frac.len() > exp {
        return Err(bad(&format!("{} has {exp} decimals", currency.as_str())));
    }
    let digits = format!("{whole}{frac:0<exp$}");
    digits
        .parse::<i64>()
        .ok()
        .filter(|v| *v <= 1_000_000_000_000_000)
        .ok_or_else(|| bad("too large"))
}

/// English names (and common short forms) of the countries CRM files spell out, with
/// their ISO 3166 codes; compared after [`name_key`].
const COUNTRY_NAMES: &[(&str, &str)] = &[
    ("unitedstates", "US"),
    ("unitedstatesofamerica", "US"),
    ("usa", "US"),
    ("america", "US"),
    ("unitedkingdom", "GB"),
    ("uk", "GB"),
    ("greatbritain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("northernireland", "GB"),
    ("germany", "DE"),
    ("deutschland", "DE"),
    ("france", "FR"),
    ("spain", "ES"),
    ("italy", "IT"),
    ("netherlands", "NL"),
    ("thenetherlands", "NL"),
    ("holland", "NL"),
    ("belgium", "BE"),
    ("switzerland", "CH"),
    ("austria", "AT"),
    ("sweden", "SE"),
    ("norway", "NO"),
    ("denmark", "DK"),
    ("finland", "FI"),
    ("ireland", "IE"),
    ("portugal", "PT"),
    ("poland", "PL"),
    ("czechrepublic", "CZ"),
    ("czechia", "CZ"),
    ("hungary", "HU"),
    ("romania", "RO"),
    ("greece", "GR"),
    ("turkey", "TR"),
    ("turkiye", "TR"),
    ("israel", "IL"),
    ("unitedarabemirates", "AE"),
    ("uae", "AE"),
    ("saudiarabia", "SA"),
    ("southafrica", "ZA"),
    ("nigeria", "NG"),
    ("kenya", "KE"),
    ("egypt", "EG"),
    ("morocco", "MA"),
    ("india", "IN"),
    ("china", "CN"),
    ("japan", "JP"),
    ("southkorea", "KR"),
    ("korea", "KR"),
    ("korearepublicof", "KR"),
    ("singapore", "SG"),
    ("malaysia", "MY"),
    ("indonesia", "ID"),
    ("thailand", "TH"),
    ("philippines", "PH"),
    ("vietnam", "VN"),
    ("australia", "AU"),
    ("newzealand", "NZ"),
    ("canada", "CA"),
    ("mexico", "MX"),
    ("brazil", "BR"),
    ("argentina", "AR"),
    ("chile", "CL"),
    ("colombia", "CO"),
    ("peru", "PE"),
    ("hongkong", "HK"),
    ("taiwan", "TW"),
    ("luxembourg", "LU"),
    ("estonia", "EE"),
    ("latvia", "LV"),
    ("lithuania", "LT"),
    ("ukraine", "UA"),
    ("bulgaria", "BG"),
    ("croatia", "HR"),
    ("slovenia", "SI"),
    ("slovakia", "SK"),
    ("serbia", "RS"),
    ("iceland", "IS"),
    ("qatar", "QA"),
    ("kuwait", "KW"),
    ("pakistan", "PK"),
    ("bangladesh", "BD"),
];

fn name_key(raw: &str) -> String {
    deunicode::deunicode(raw)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A country by ISO 3166 code (`US`) or English name (`United States`, `Deutschland`).
pub fn parse_country(field: &str, raw: &str) -> Result<Country, FieldError> {
    let s = raw.trim();
    if s.len() == 2
        && let Ok(c) = Country::parse(field, s)
    {
        return Ok(c);
    }
    let key = name_key(s);
    COUNTRY_NAMES
        .iter()
        .find(|(n, _)| *n == key)
        .and_then(|(_, code)| Country::parse(field, code).ok())
        .ok_or_else(|| {
            FieldError::new(
                field,
                "iso_3166_alpha2",
                format!("{field} must be a country: an ISO 3166 code such as US or DE, or its English name (\"{s}\" is neither)"),
            )
        })
}

/// An account's status from a CRM's account type or lifecycle stage: anything naming a
/// customer (`Customer - Direct`, `Customer - Channel`, HubSpot's `customer` and
/// `evangelist`) is a customer; everything else (prospect, partner, other, blank) a
/// prospect, which is what an account we do not sell to yet is.
pub fn account_status(raw: &str) -> &'static str {
    let s = raw.trim().to_ascii_lowercase();
    if s.starts_with("customer") || s == "evangelist" {
        "customer"
    } else {
        "prospect"
    }
}

/// A moment: RFC 3339 (`2026-03-01T14:00:00Z`, our export and Data Loader), or a day in any
/// form [`parse_date`] reads, taken as its start in UTC (a Salesforce report gives days).
pub fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    parse_date(field, raw)
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            FieldError::new(
                field,
                "datetime",
                format!("{field} must be a date (YYYY-MM-DD or M/D/YYYY) or an RFC 3339 time"),
            )
        })
}

/// One of `all` by its key or its label, compared as [`name_key`] (`System Integrator`,
/// `system_integrator`), else one of the `aliases` CRM files use; refused naming the keys.
fn by_name<T: Copy>(
    field: &str,
    raw: &str,
    all: &[T],
    names: impl Fn(T) -> (&'static str, &'static str),
    aliases: &[(&str, T)],
) -> Result<T, FieldError> {
    let key = name_key(raw);
    all.iter()
        .copied()
        .find(|v| {
            let (k, l) = names(*v);
            name_key(k) == key || name_key(l) == key
        })
        .or_else(|| aliases.iter().find(|(a, _)| *a == key).map(|(_, v)| *v))
        .ok_or_else(|| {
            let allowed: Vec<&str> = all.iter().map(|v| names(*v).0).collect();
            FieldError::new(
                field,
                "one_of",
                format!(
                    "{field} must be one of: {} (\"{}\" is none of them)",
                    allowed.join(", "),
                    raw.trim()
                ),
            )
        })
}

/// A partner type by key, label, or the names CRMs give them (`VAR`, `MSP`, `SI`, `ISV`).
pub fn partner_type(field: &str, raw: &str) -> Result<PartnerType, FieldError> {
    use PartnerType::*;
    by_name(
        field,
        raw,
        PartnerType::ALL,
        |v| (v.as_str(), v.label()),
        &[
            ("var", Reseller),
            ("valueaddedreseller", Reseller),
            ("distributor", Reseller),
            ("msp", Msp),
            ("si", SystemIntegrator),
            ("integrator", SystemIntegrator),
            ("isv", Technology),
            ("technologypartner", Technology),
            ("influencer", Consultant),
            ("agent", Referral),
            ("referralpartner", Referral),
        ],
    )
}

/// A partner status by key or label (`Active`, `onboarding`).
pub fn partner_status(field: &str, raw: &str) -> Result<PartnerStatus, FieldError> {
    by_name(
        field,
        raw,
        PartnerStatus::ALL,
        |v| (v.as_str(), v.label()),
        &[("inactive", PartnerStatus::Suspended)],
    )
}

/// A touchpoint kind by key or label (`Technical validation`), or `Intro`, `POC`, `Webinar`.
pub fn touchpoint_kind(field: &str, raw: &str) -> Result<TouchpointKind, FieldError> {
    use TouchpointKind::*;
    by_name(
        field,
        raw,
        TouchpointKind::ALL,
        |v| (v.as_str(), v.label()),
        &[
            ("intro", Introduction),
            ("poc", TechnicalValidation),
            ("proofofconcept", TechnicalValidation),
            ("webinar", Event),
            ("marketplace", MarketplaceListing),
        ],
    )
}

/// A partner user's role: `partner_rep` (default when blank), `partner_admin`, or their
/// labels. A file never makes vendor staff: that is refused.
pub fn partner_role(field: &str, raw: &str) -> Result<Role, FieldError> {
    let role = by_name(
        field,
        raw,
        &[Role::PartnerRep, Role::PartnerAdmin],
        |v| (v.as_str(), v.label()),
        &[
            ("rep", Role::PartnerRep),
            ("user", Role::PartnerRep),
            ("admin", Role::PartnerAdmin),
            ("partneruser", Role::PartnerRep),
        ],
    )?;
    Ok(role)
}

/// The statuses an import may give a registration: pending (`Submitted`, `Pending
/// approval`) and approved. The others are outcomes of a decision or of time (rejected,
/// withdrawn, expired, won, lost) that the registration rules reach themselves; a file
/// claiming them is refused rather than writing a decision nobody made here.
pub fn registration_status(field: &str, raw: &str) -> Result<RegistrationStatus, FieldError> {
    let status = by_name(
        field,
        raw,
        RegistrationStatus::ALL,
        |v| (v.as_str(), v.label()),
        &[
            ("submitted", RegistrationStatus::Pending),
            ("new", RegistrationStatus::Pending),
            ("open", RegistrationStatus::Pending),
        ],
    )?;
    if status.holds_account() {
        Ok(status)
    } else {
        Err(FieldError::new(
            field,
            "registration.import_status",
            format!(
                "an import registers deals as pending or approved; {} is reached by the registration rules, not set by a file",
                status.as_str()
            ),
        ))
    }
}

/// The open stage of `pipeline` a file's stage names, by key or label (`First
/// conversation`, `first_conversation`). A closing stage (`Closed Won`) is refused: an
/// import creates and changes open deals, and a close goes through its own rule (a close
/// date, a lost reason, the rate of the day). Anything else is refused naming the stage
/// and the program's stages.
pub fn pipeline_stage(
    field: &str,
    raw: &str,
    pipeline: &PipelinePolicy,
) -> Result<String, FieldError> {
    let key = name_key(raw);
    if let Some(s) = pipeline
        .stages
        .iter()
        .find(|s| name_key(&s.key) == key || name_key(&s.label) == key)
    {
        return Ok(s.key.clone());
    }
    let ours: Vec<String> = pipeline
        .stages
        .iter()
        .map(|s| format!("{} ({})", s.label, s.key))
        .collect();
    if ["won", "lost", "closedwon", "closedlost"].contains(&key.as_str()) {
        return Err(FieldError::new(
            field,
            "stage.closed",
            format!(
                "\"{}\" is a closing stage: an import creates and changes open opportunities; close them in partnerops (open stages: {})",
                raw.trim(),
                ours.join(", ")
            ),
        ));
    }
    Err(FieldError::new(
        field,
        "stage.unknown",
        format!(
            "\"{}\" is not a stage of the program's pipeline; its stages are: {}",
            raw.trim(),
            ours.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_in_the_forms_crms_export() {
        assert_eq!(parse_date("f", "2026-03-31").unwrap(), d(2026, 3, 31));
        assert_eq!(parse_date("f", "2026-03-31 00:00").unwrap(), d(2026, 3, 31));
        assert_eq!(
            parse_date("f", "2026-03-31T00:00:00.000Z").unwrap(),
            d(2026, 3, 31)
        );
        assert_eq!(parse_date("f", "3/31/2026").unwrap(), d(2026, 3, 31));
        assert_eq!(parse_date("f", " 12/1/2026 ").unwrap(), d(2026, 12, 1));
        for bad in [
            "31/3/2026",
            "2026-02-30",
            "3/31/26",
            "tomorrow",
            "",
            "2026-03-31x",
            "2026/03/31",
        ] {
            assert_eq!(parse_date("f", bad).unwrap_err().rule, "date", "{bad}");
        }
    }

    #[test]
    fn amounts_with_separators_symbols_and_decimals() {
        let usd = Currency::USD;
        let jpy = Currency::parse("c", "JPY").unwrap();
        assert_eq!(parse_amount("a", "1250000", usd).unwrap(), 125_000_000);
        assert_eq!(parse_amount("a", "1,250,000.50", usd).unwrap(), 125_000_050);
        assert_eq!(parse_amount("a", "$1,250.5", usd).unwrap(), 125_050);
        assert_eq!(parse_amount("a", "USD 10.00", usd).unwrap(), 1000);
        assert_eq!(parse_amount("a", "0", usd).unwrap(), 0);
        assert_eq!(parse_amount("a", "5000", jpy).unwrap(), 5000);
        assert_eq!(parse_amount("a", "5000.00", jpy).unwrap(), 5000);
        assert_eq!(parse_amount("a", "5000.5", jpy).unwrap_err().rule, "amount");
        assert_eq!(parse_amount("a", "1.005", usd).unwrap_err().rule, "amount");
        assert_eq!(
            parse_amount("a", "-5", usd).unwrap_err().rule,
            "non_negative"
        );
        assert_eq!(parse_amount("a", "12k", usd).unwrap_err().rule, "amount");
        assert_eq!(parse_amount("a", "", usd).unwrap_err().rule, "amount");
        assert_eq!(
            parse_amount("a", "99999999999999999999", usd)
                .unwrap_err()
                .rule,
            "amount"
        );
    }

    #[test]
    fn countries_by_code_or_name() {
        assert_eq!(parse_country("c", "us").unwrap().as_str(), "US");
        assert_eq!(parse_country("c", "United States").unwrap().as_str(), "US");
        assert_eq!(parse_country("c", "Türkiye").unwrap().as_str(), "TR");
        assert_eq!(
            parse_country("c", "the Netherlands").unwrap().as_str(),
            "NL"
        );
        assert_eq!(
            parse_country("c", "Atlantis").unwrap_err().rule,
            "iso_3166_alpha2"
        );
        assert_eq!(
            parse_country("c", "XX").unwrap_err().rule,
            "iso_3166_alpha2"
        );
        // Every name maps to an assigned code.
        for (name, _) in COUNTRY_NAMES {
            assert!(parse_country("c", name).is_ok(), "{name}");
        }
    }

    #[test]
    fn account_types_become_a_status() {
        assert_eq!(account_status("Customer - Direct"), "customer");
        assert_eq!(account_status("customer"), "customer");
        assert_eq!(account_status("Prospect"), "prospect");
        assert_eq!(account_status("Partner"), "prospect");
        assert_eq!(account_status(""), "prospect");
    }

    #[test]
    fn times_as_rfc3339_or_days() {
        assert_eq!(
            parse_time("t", "2026-03-01T14:00:00Z")
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T14:00:00+00:00"
        );
        assert_eq!(
            parse_time("t", "3/1/2026").unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(parse_time("t", "yesterday").unwrap_err().rule, "datetime");
    }

    #[test]
    fn names_of_types_statuses_kinds_and_roles() {
        assert_eq!(
            partner_type("t", "System Integrator").unwrap(),
            PartnerType::SystemIntegrator
        );
        assert_eq!(partner_type("t", "VAR").unwrap(), PartnerType::Reseller);
        assert_eq!(partner_type("t", "msp").unwrap(), PartnerType::Msp);
        let e = partner_type("t", "Friend").unwrap_err();
        assert_eq!(e.rule, "one_of");
        assert!(e.message.contains("reseller"), "{}", e.message);
        assert_eq!(
            partner_status("s", "Active").unwrap(),
            PartnerStatus::Active
        );
        assert_eq!(
            touchpoint_kind("k", "Technical validation").unwrap(),
            TouchpointKind::TechnicalValidation
        );
        assert_eq!(
            touchpoint_kind("k", "POC").unwrap(),
            TouchpointKind::TechnicalValidation
        );
        assert!(touchpoint_kind("k", "Lunch").is_err());
        assert_eq!(
            partner_role("r", "Partner admin").unwrap(),
            Role::PartnerAdmin
        );
        assert_eq!(partner_role("r", "rep").unwrap(), Role::PartnerRep);
        // Vendor roles are not among the choices.
        assert_eq!(partner_role("r", "admin").unwrap(), Role::PartnerAdmin);
        assert_eq!(
            partner_role("r", "Channel manager").unwrap_err().rule,
            "one_of"
        );
    }

    #[test]
    fn an_import_registers_pending_or_approved_only() {
        assert_eq!(
            registration_status("s", "Submitted").unwrap(),
            RegistrationStatus::Pending
        );
        assert_eq!(
            registration_status("s", "Pending approval").unwrap(),
            RegistrationStatus::Pending
        );
        assert_eq!(
            registration_status("s", "Approved").unwrap(),
            RegistrationStatus::Approved
        );
        for refused in ["Rejected", "Closed won", "expired", "withdrawn", "lost"] {
            assert_eq!(
                registration_status("s", refused).unwrap_err().rule,
                "registration.import_status",
                "{refused}"
            );
        }
        assert_eq!(
            registration_status("s", "Maybe").unwrap_err().rule,
            "one_of"
        );
    }

    #[test]
    fn stages_by_key_or_label_closing_ones_refused() {
        let p = PipelinePolicy::default();
        assert_eq!(
            pipeline_stage("s", "First conversation", &p).unwrap(),
            "first_conversation"
        );
        assert_eq!(pipeline_stage("s", "handoff", &p).unwrap(), "handoff");
        let e = pipeline_stage("s", "Closed Won", &p).unwrap_err();
        assert_eq!(e.rule, "stage.closed");
        let e = pipeline_stage("s", "Prospecting", &p).unwrap_err();
        assert_eq!(e.rule, "stage.unknown");
        assert!(e.message.contains("\"Prospecting\""), "{}", e.message);
        assert!(
            e.message.contains("Target account (target_account)"),
            "{}",
            e.message
        );
    }
}
