//! Through-partner campaigns: pre-approved templates (an e-mail and a landing page with
//! co-brand placeholders) that vendor marketing authors and publishes, campaigns a partner
//! launches from them (a co-branded landing page at a public address, with a lead form),
//! and the leads those pages take.
//!
//! What is decided here: what a template and a launch must contain, how placeholders are
//! filled (partner-supplied values are always escaped: a partner's text can never become
//! markup on the public page), what a lead must give, when a visitor is throttled (per
//! address and per campaign, the login throttle's rule) and what a filled honeypot means.

pub mod record;

use chrono::{DateTime, Duration, Utc};

use crate::throttle::ThrottlePolicy;

/// The co-brand placeholders a template may use, with what each is filled with.
pub const PLACEHOLDERS: [(&str, &str); 5] = [
    ("{{partner_name}}", "the partner's company name"),
    (
        "{{partner_logo}}",
        "the partner's logo (an image, or nothing when it has none)",
    ),
    (
        "{{contact_name}}",
        "the partner's contact for this campaign",
    ),
    ("{{contact_email}}", "the contact's e-mail address"),
    ("{{offer}}", "the offer the partner chose at launch"),
];

/// What a launched campaign fills the placeholders with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoBrand<'a> {
    pub partner_name: &'a str,
    /// The logo's address (`/files/fil_…`), if the partner has one.
    pub logo_url: Option<&'a str>,
    pub contact_name: &'a str,
    pub contact_email: &'a str,
    pub offer: &'a str,
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Fills the placeholders of `html` (the template's Markdown already rendered and
/// sanitised) with `brand`, every value escaped. Placeholders the template does not use are
/// simply absent; unknown `{{…}}` text stays as written.
pub fn fill_html(html: &str, brand: &CoBrand<'_>) -> String {
    let logo = brand.logo_url.map_or(String::new(), |url| {
        format!(
            "<img class=\"cobrand-logo\" src=\"{}\" alt=\"{} logo\">",
            escape(url),
            escape(brand.partner_name)
        )
    });
    html.replace("{{partner_name}}", &escape(brand.partner_name))
        .replace("{{partner_logo}}", &logo)
        .replace("{{contact_name}}", &escape(brand.contact_name))
        .replace("{{contact_email}}", &escape(brand.contact_email))
        .replace("{{offer}}", &escape(brand.offer))
}

/// Fills the placeholders of plain text (an e-mail subject) with `brand`, unescaped: the
/// caller puts it where text is expected.
pub fn fill_text(text: &str, brand: &CoBrand<'_>) -> String {
    text.replace("{{partner_name}}", brand.partner_name)
        .replace("{{partner_logo}}", "")
        .replace("{{contact_name}}", brand.contact_name)
        .replace("{{contact_email}}", brand.contact_email)
        .replace("{{offer}}", brand.offer)
}

/// How many leads one visitor's address may send in a window.
pub const PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
    max_failures: 5,
    window: Duration::minutes(10),
};

/// How many leads one campaign takes in a window, whoever sends them: a flood from many
/// addresses stops here.
pub const PER_CAMPAIGN: ThrottlePolicy = ThrottlePolicy {
    max_failures: 200,
    window: Duration::hours(1),
};

/// Whether a lead may be taken now: `Err(retry_at)` when the visitor's address or the
/// campaign has sent too many recently. `from_address` and `to_campaign` are the times of
/// recent leads.
pub fn may_take_lead(
    from_address: &[DateTime<Utc>],
    to_campaign: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), DateTime<Utc>> {
    PER_ADDRESS.check(from_address, now)?;
    PER_CAMPAIGN.check(to_campaign, now)
}

/// The hidden field of the lead form that people never see and so never fill; bots that
/// fill every field do. A filled honeypot is answered like a success and stores nothing.
pub const HONEYPOT_FIELD: &str = "website";

/// Whether a posted honeypot value marks a bot.
pub fn is_bot(honeypot: Option<&str>) -> bool {
    honeypot.is_some_and(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand<'a>(name: &'a str, offer: &'a str) -> CoBrand<'a> {
        CoBrand {
            partner_name: name,
            logo_url: None,
            contact_name: "Ada",
            contact_email: "ada@acme.example",
            offer,
        }
    }

    #[test]
    fn partner_text_is_escaped_never_markup() {
        let html = "<h1>{{partner_name}} and us</h1><p>{{offer}}</p>";
        let out = fill_html(
            html,
            &brand("<script>alert(1)</script>", "20% off \"today\""),
        );
        assert_eq!(
            out,
            "<h1>&lt;script&gt;alert(1)&lt;/script&gt; and us</h1><p>20% off &quot;today&quot;</p>"
        );
        assert!(!out.contains("<script>"));
    }

    #[test]
    fn the_logo_is_an_image_or_nothing() {
        let mut b = brand("Acme", "x");
        assert_eq!(fill_html("{{partner_logo}}", &b), "");
        b.logo_url = Some("/files/fil_1\" onerror=\"x");
        let out = fill_html("{{partner_logo}}", &b);
        assert_eq!(
            out,
            "<img class=\"cobrand-logo\" src=\"/files/fil_1&quot; onerror=&quot;x\" alt=\"Acme logo\">"
        );
    }

    #[test]
    fn unknown_placeholders_stay_and_text_is_not_escaped() {
        assert_eq!(fill_html("{{nope}}", &brand("A", "o")), "{{nope}}");
        assert_eq!(
            fill_text("{{partner_name}} & {{offer}}", &brand("A&B", "<free>")),
            "A&B & <free>"
        );
    }

    #[test]
    fn the_sixth_lead_from_one_address_in_ten_minutes_waits() {
        let now = Utc::now();
        let recent: Vec<_> = (1..=5).map(|m| now - Duration::minutes(m)).collect();
        assert!(may_take_lead(&recent[..4], &[], now).is_ok());
        let retry = may_take_lead(&recent, &[], now).unwrap_err();
        // The oldest counted lead (5 minutes ago) leaves the window in 5 minutes.
        assert_eq!(retry, now - Duration::minutes(5) + Duration::minutes(10));
        // Leads older than the window do not count.
        let old: Vec<_> = (11..=20).map(|m| now - Duration::minutes(m)).collect();
        assert!(may_take_lead(&old, &[], now).is_ok());
    }

    #[test]
    fn a_campaign_takes_two_hundred_an_hour_from_anyone() {
        let now = Utc::now();
        let many: Vec<_> = (0..200).map(|s| now - Duration::seconds(s * 10)).collect();
        assert!(may_take_lead(&[], &many[..199], now).is_ok());
        assert!(may_take_lead(&[], &many, now).is_err());
    }

    #[test]
    fn honeypot() {
        assert!(!is_bot(None));
        assert!(!is_bot(Some("  ")));
        assert!(is_bot(Some("http://spam.example")));
    }
}
