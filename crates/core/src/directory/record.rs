//! Directory records and the parsing of their input.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::moderation::ModerationState;
use super::review::RatingSummary;
use super::signals::{HealthScore, UsageReport};
use super::{DirectoryMode, ListingKind, ListingStatus, facet_key};
use crate::ids::{DirectoryListingId, FileId, PartnerId, ProgramId};
use crate::invalid::text;
use crate::{FieldError, Invalid};

/// A partner's listing: its services, or an integration of a technology partner.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryListing {
    pub id: DirectoryListingId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub program_id: ProgramId,
    pub kind: ListingKind,
    pub status: ListingStatus,
    /// The public address is `/directory/listings/{slug}`.
    pub slug: String,
    pub title: String,
    /// One line shown in results and as the page's description.
    pub summary: String,
    /// Markdown, rendered sanitised (never raw HTML) on every page.
    pub description: String,
    pub categories: Vec<String>,
    pub regions: Vec<String>,
    pub industries: Vec<String>,
    /// ISO 639-1 codes (`en`, `de`).
    pub languages: Vec<String>,
    pub website: Option<String>,
    /// Screenshots (uploaded files of purpose `screenshot`), in the order shown.
    pub screenshot_ids: Vec<FileId>,
    /// The partner's tier, shown as a badge.
    pub tier_name: String,
    /// When the vendor verified the partner behind this listing (the verified badge).
    pub verified_at: Option<DateTime<Utc>>,
    pub views: i64,
    /// Enquiries through the listing's lead form (a usage statistic).
    pub leads: i64,
    /// The average and count of its visible reviews.
    pub rating: RatingSummary,
    /// The latest month of usage the partner reported (installs, customers).
    pub usage: Option<UsageReport>,
    /// Its health score, with the parts that make it.
    pub health: HealthScore,
    /// Whether moderation hid or removed it (then it is never public).
    pub moderation: ModerationState,
    /// Why the listing is where it is (the last decision's reason).
    pub status_reason: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A listing's fields as sent (every field optional on a change).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DirectoryListingInput {
    /// Vendor staff name the partner; a partner's own listing needs none.
    pub partner_id: Option<String>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub categories: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub industries: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    /// `https://…`; blank removes it.
    pub website: Option<String>,
    /// Up to 6 screenshots, in order: ids of files uploaded with purpose `screenshot` for
    /// the listing's partner (`POST /api/v1/files`).
    pub screenshot_ids: Option<Vec<String>>,
}

/// The most screenshots a listing shows.
pub const MAX_SCREENSHOTS: usize = 6;

/// A listing's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingFields {
    pub kind: ListingKind,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub categories: Vec<String>,
    pub regions: Vec<String>,
    pub industries: Vec<String>,
    pub languages: Vec<String>,
    pub website: Option<String>,
    pub screenshots: Vec<FileId>,
}

/// Screenshot ids: file ids, no repeats, at most [`MAX_SCREENSHOTS`]; an error names the
/// entry (`screenshot_ids[1]`).
fn screenshots(raw: &[String]) -> Result<Vec<FileId>, FieldError> {
    if raw.len() > MAX_SCREENSHOTS {
        return Err(FieldError::new(
            "screenshot_ids",
            "max_items",
            format!("a listing shows at most {MAX_SCREENSHOTS} screenshots"),
        ));
    }
    let mut out: Vec<FileId> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let field = format!("screenshot_ids[{i}]");
        let id = crate::ids::parse_id::<FileId>(&field, r.trim())?;
        if out.contains(&id) {
            return Err(FieldError::new(
                &field,
                "unique",
                format!("{field}: the screenshot is already on the listing"),
            ));
        }
        out.push(id);
    }
    Ok(out)
}

/// A website: `http` or `https` with a host, nothing else (no `javascript:`).
pub fn website(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(s) = text::optional(field, raw, 300)? else {
        return Ok(None);
    };
    let bad = || {
        FieldError::new(
            field,
            "url",
            format!("{field} must be an http or https address, like https://example.com"),
        )
    };
    let url = url::Url::parse(&s).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(Some(url.to_string()))
}

/// Languages as ISO 639-1 codes: two lower-case letters each.
fn languages(field: &str, raw: &[String]) -> Result<Vec<String>, FieldError> {
    let list = text::labels(field, raw, 10, 2)?;
    let mut out = Vec::new();
    for l in list {
        let l = l.to_ascii_lowercase();
        if l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(FieldError::new(
                field,
                "language_code",
                format!("{field}: `{l}` is not a two-letter ISO 639-1 code like en or de"),
            ));
        }
        out.push(l);
    }
    Ok(out)
}

/// Labels that must each make a facet key (have a letter or digit).
fn facets(field: &str, raw: &[String], max: usize) -> Result<Vec<String>, FieldError> {
    let list = text::labels(field, raw, max, 40)?;
    if let Some(bad) = list.iter().find(|l| facet_key(l).is_empty()) {
        return Err(FieldError::new(
            field,
            "label",
            format!("{field}: `{bad}` has no letter or digit"),
        ));
    }
    Ok(list)
}

impl DirectoryListingInput {
    pub fn parse(&self) -> Result<ListingFields, Invalid> {
        let mut inv = Invalid::new();
        let kind = inv.check(ListingKind::parse(
            "kind",
            self.kind.as_deref().unwrap_or("services"),
        ));
        let title = inv.check(text::required("title", self.title.as_deref(), 120));
        let summary = inv.check(text::required("summary", self.summary.as_deref(), 200));
        let description = inv.check(text::multiline_required(
            "description",
            self.description.as_deref(),
            20_000,
        ));
        let empty = Vec::new();
        let categories = inv.check(facets(
            "categories",
            self.categories.as_ref().unwrap_or(&empty),
            5,
        ));
        if categories.as_ref().is_some_and(Vec::is_empty) {
            inv.add(
                "categories",
                "required",
                "categories: name at least one, so visitors find the listing",
            );
        }
        let regions = inv.check(facets(
            "regions",
            self.regions.as_ref().unwrap_or(&empty),
            10,
        ));
        let industries = inv.check(facets(
            "industries",
            self.industries.as_ref().unwrap_or(&empty),
            10,
        ));
        let languages = inv.check(languages(
            "languages",
            self.languages.as_ref().unwrap_or(&empty),
        ));
        let website = inv.check(website("website", self.website.as_deref()));
        let shots = inv.check(screenshots(self.screenshot_ids.as_ref().unwrap_or(&empty)));
        inv.finish(|| {
            Some(ListingFields {
                kind: kind?,
                title: title?,
                summary: summary?,
                description: description?,
                categories: categories?,
                regions: regions?,
                industries: industries?,
                languages: languages?,
                website: website?,
                screenshots: shots?,
            })
        })
    }
}

/// The vendor's review of a listing awaiting it.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DirectoryReviewInput {
    /// `true` publishes; `false` returns the listing to the partner as a draft.
    pub approve: Option<bool>,
    /// Required when rejecting.
    pub reason: Option<String>,
}

/// A reason for a vendor's decision (unpublishing).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DirectoryReasonInput {
    pub reason: Option<String>,
}

/// Verify (or take back the verification of) the partner behind a listing.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DirectoryVerifyInput {
    pub verified: Option<bool>,
}

/// A program's directory mode, set from its answers to the "open or curated" tree.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectorySetting {
    pub program_id: ProgramId,
    pub mode: DirectoryMode,
    /// The tree's outcome text behind the mode (none: the default, open, per seed 003 §2).
    pub decided_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One result of a public search.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryHit {
    pub slug: String,
    pub kind: ListingKind,
    pub title: String,
    pub summary: String,
    pub partner_name: String,
    pub tier_name: String,
    pub verified: bool,
    pub categories: Vec<String>,
    pub regions: Vec<String>,
    pub rating: RatingSummary,
    /// The health score, 0 to 100.
    pub health: u8,
}

/// A public search's answer: the results in rank order, and the corrected query when the
/// typed one matched nothing and a correction did.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectorySearchResult {
    pub hits: Vec<DirectoryHit>,
    /// "Showing results for …": the query as corrected.
    pub corrected_query: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> DirectoryListingInput {
        DirectoryListingInput {
            title: Some(" Acme CRM services ".into()),
            summary: Some("We implement it".into()),
            description: Some("# Hello\r\nworld".into()),
            categories: Some(vec!["CRM".into(), "crm".into(), " ".into()]),
            languages: Some(vec!["EN".into(), "de".into()]),
            website: Some("https://acme.example/about".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_listing_parses_normalised() {
        let f = input().parse().unwrap();
        assert_eq!(f.kind, ListingKind::Services);
        assert_eq!(f.title, "Acme CRM services");
        assert_eq!(f.description, "# Hello\nworld");
        assert_eq!(f.categories, vec!["CRM"]);
        assert_eq!(f.languages, vec!["en", "de"]);
        assert_eq!(f.website.as_deref(), Some("https://acme.example/about"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = DirectoryListingInput {
            kind: Some("app".into()),
            categories: Some(vec![]),
            languages: Some(vec!["eng".into()]),
            website: Some("javascript:alert(1)".into()),
            ..Default::default()
        };
        let e = bad.parse().unwrap_err();
        let mut got: Vec<(String, String)> =
            e.errors.into_iter().map(|f| (f.field, f.rule)).collect();
        got.sort();
        let want = [
            ("categories", "required"),
            ("description", "required"),
            ("kind", "one_of"),
            ("languages", "max_length"),
            ("summary", "required"),
            ("title", "required"),
            ("website", "url"),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn languages_are_two_letters_and_categories_need_a_word() {
        let mut i = input();
        i.languages = Some(vec!["e1".into()]);
        i.categories = Some(vec!["--".into()]);
        let e = i.parse().unwrap_err();
        let rules: Vec<&str> = e.errors.iter().map(|f| f.rule.as_str()).collect();
        assert!(
            rules.contains(&"language_code") && rules.contains(&"label"),
            "{rules:?}"
        );
    }

    #[test]
    fn screenshots_are_file_ids_at_most_six_without_repeats() {
        let id = |n: u8| format!("fil_{n:032x}");
        let mut i = input();
        i.screenshot_ids = Some(vec![id(1), id(2)]);
        assert_eq!(i.parse().unwrap().screenshots.len(), 2);
        i.screenshot_ids = Some(vec![id(1), "dls_x".into()]);
        let e = i.parse().unwrap_err();
        assert_eq!(e.errors[0].field, "screenshot_ids[1]");
        i.screenshot_ids = Some(vec![id(1), id(1)]);
        assert_eq!(i.parse().unwrap_err().errors[0].rule, "unique");
        i.screenshot_ids = Some((0..7).map(id).collect());
        assert_eq!(i.parse().unwrap_err().errors[0].rule, "max_items");
        i.screenshot_ids = Some((0..6).map(id).collect());
        assert!(i.parse().is_ok());
    }

    #[test]
    fn websites_only_http() {
        assert!(website("w", Some("ftp://x.example")).is_err());
        assert!(website("w", Some("https://")).is_err());
        assert_eq!(website("w", Some("  ")).unwrap(), None);
        assert_eq!(
            website("w", Some("http://x.example")).unwrap().as_deref(),
            Some("http://x.example/")
        );
    }
}
