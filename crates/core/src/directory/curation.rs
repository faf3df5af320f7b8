//! Community curation (seed 003 §2): collections the vendor curates ("Best for
//! healthcare"), and recommendations ("customers who use this also use"), drawn from
//! customers who reviewed more than one listing.
//!
//! A collection may hold a listing that is not public (unpublished, hidden): the public
//! pages leave it out and it returns when the listing does, so moderation never has to
//! edit collections.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::record::DirectoryHit;
use crate::ids::{DirectoryCollectionId, DirectoryListingId, EntityId};
use crate::invalid::text;
use crate::{FieldError, Invalid};

/// The most listings a collection holds.
pub const MAX_LISTINGS: usize = 50;

/// How many recommendations a listing page shows.
pub const RECOMMENDATIONS: usize = 4;

/// A collection as sent (every field optional on a change; `listing_ids` replaces the
/// listings, in order).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CollectionInput {
    pub title: Option<String>,
    /// Markdown, shown sanitised.
    pub description: Option<String>,
    /// Where the collection stands on the directory's home, lower first.
    pub position: Option<i64>,
    /// The listings, in the order shown; at most 50, no repeats.
    pub listing_ids: Option<Vec<String>>,
}

/// A collection's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionFields {
    pub title: String,
    pub description: String,
    pub position: i64,
    pub listing_ids: Vec<DirectoryListingId>,
}

/// The listing ids of a collection: each a listing id, no repeats, at most
/// [`MAX_LISTINGS`]; an error names the entry (`listing_ids[2]`).
pub fn listing_ids(raw: &[String]) -> Result<Vec<DirectoryListingId>, FieldError> {
    if raw.len() > MAX_LISTINGS {
        return Err(FieldError::new(
            "listing_ids",
            "max_items",
            format!("a collection holds at most {MAX_LISTINGS} listings"),
        ));
    }
    let mut out: Vec<DirectoryListingId> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let field = format!("listing_ids[{i}]");
        let id = DirectoryListingId::parse(r.trim()).ok_or_else(|| {
            FieldError::new(
                &field,
                "id",
                format!("{field}: `{}` is not a listing id", r.trim()),
            )
        })?;
        if out.contains(&id) {
            return Err(FieldError::new(
                &field,
                "unique",
                format!("{field}: the listing is already in the collection"),
            ));
        }
        out.push(id);
    }
    Ok(out)
}

impl CollectionInput {
    /// Checks a collection, completed from `before` where a field is not sent.
    pub fn parse(&self, before: Option<&CollectionFields>) -> Result<CollectionFields, Invalid> {
        let mut inv = Invalid::new();
        let title = match (&self.title, before) {
            (None, Some(b)) => Some(b.title.clone()),
            (raw, _) => inv.check(text::required("title", raw.as_deref(), 80)),
        };
        let description = match (&self.description, before) {
            (None, Some(b)) => Some(b.description.clone()),
            (raw, _) => inv
                .check(text::multiline_optional(
                    "description",
                    raw.as_deref(),
                    2_000,
                ))
                .map(Option::unwrap_or_default),
        };
        let position = match (self.position, before) {
            (None, Some(b)) => Some(b.position),
            (Some(p), _) if !(0..=10_000).contains(&p) => {
                inv.add("position", "range", "position must be from 0 to 10000");
                None
            }
            (p, _) => Some(p.unwrap_or(0)),
        };
        let listings = match (&self.listing_ids, before) {
            (None, Some(b)) => Some(b.listing_ids.clone()),
            (raw, _) => inv.check(listing_ids(raw.as_deref().unwrap_or(&[]))),
        };
        inv.finish(|| {
            Some(CollectionFields {
                title: title?,
                description: description?,
                position: position?,
                listing_ids: listings?,
            })
        })
    }
}

/// A collection as stored. `listings` are the public ones, in the curator's order, for
/// everyone but vendor staff; staff also see `listing_ids`, every listing it holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryCollection {
    pub id: DirectoryCollectionId,
    /// The public address is `/directory/collections/{slug}`.
    pub slug: String,
    pub title: String,
    pub description: String,
    pub position: i64,
    /// Every listing it holds, in order (vendor staff only; empty for others).
    pub listing_ids: Vec<DirectoryListingId>,
    /// Its public listings, in order.
    pub listings: Vec<DirectoryHit>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// A listing recommended beside another, with why.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryRecommendation {
    pub listing: DirectoryHit,
    /// Customers who reviewed both listings.
    pub shared_customers: i64,
    /// "3 customers who reviewed X also reviewed this".
    pub reason: String,
}

/// A listing that shares customers with the one shown: how many, and its quality.
#[derive(Clone, Debug, PartialEq)]
pub struct CoUsed {
    pub shared_customers: i64,
    pub quality: f64,
    pub title: String,
}

/// The order of recommendations: most shared customers first, then quality, then title (a
/// total order, the same on both databases); at most [`RECOMMENDATIONS`]. A listing shares
/// no customer with itself here: the caller leaves it out.
pub fn recommend(candidates: &[CoUsed]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].shared_customers > 0)
        .collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&candidates[a], &candidates[b]);
        y.shared_customers
            .cmp(&x.shared_customers)
            .then(y.quality.total_cmp(&x.quality))
            .then(x.title.cmp(&y.title))
    });
    order.truncate(RECOMMENDATIONS);
    order
}

/// The sentence beside a recommendation.
pub fn reason(shared: i64, of_title: &str, industry: Option<&str>) -> String {
    let who = match industry {
        Some(i) => format!("customer{} in {i}", if shared == 1 { "" } else { "s" }),
        None => format!("customer{}", if shared == 1 { "" } else { "s" }),
    };
    format!("{shared} {who} who reviewed {of_title} also reviewed this")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> String {
        format!("{}_{n:032x}", DirectoryListingId::PREFIX)
    }

    #[test]
    fn a_collection_needs_a_title_and_names_the_bad_entry() {
        let a = id(1);
        let input = CollectionInput {
            title: Some(" ".into()),
            listing_ids: Some(vec![a.clone(), "nope".into(), a.clone()]),
            ..Default::default()
        };
        let e = input.parse(None).unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|f| (f.field.as_str(), f.rule.as_str()))
            .collect();
        assert_eq!(got, [("title", "required"), ("listing_ids[1]", "id")]);
        let dup = listing_ids(&[a.clone(), id(2), a]).unwrap_err();
        assert_eq!(
            (dup.field.as_str(), dup.rule.as_str()),
            ("listing_ids[2]", "unique")
        );
    }

    #[test]
    fn fifty_listings_fit_fifty_one_do_not() {
        let fifty: Vec<String> = (0..50).map(id).collect();
        assert_eq!(listing_ids(&fifty).unwrap().len(), 50);
        let mut more = fifty;
        more.push(id(50));
        assert_eq!(listing_ids(&more).unwrap_err().rule, "max_items");
    }

    #[test]
    fn a_change_keeps_what_it_does_not_send() {
        let before = CollectionInput {
            title: Some("Best for healthcare".into()),
            description: Some("HIPAA-ready partners".into()),
            position: Some(2),
            listing_ids: Some(vec![id(1), id(2)]),
        }
        .parse(None)
        .unwrap();
        let after = CollectionInput {
            listing_ids: Some(vec![id(2)]),
            ..Default::default()
        }
        .parse(Some(&before))
        .unwrap();
        assert_eq!(after.title, "Best for healthcare");
        assert_eq!(after.position, 2);
        assert_eq!(after.listing_ids.len(), 1);
        let bad = CollectionInput {
            position: Some(-1),
            ..Default::default()
        }
        .parse(Some(&before))
        .unwrap_err();
        assert_eq!(bad.errors[0].field, "position");
    }

    fn co(shared: i64, quality: f64, title: &str) -> CoUsed {
        CoUsed {
            shared_customers: shared,
            quality,
            title: title.into(),
        }
    }

    #[test]
    fn recommendations_by_shared_customers_then_quality_then_title() {
        let c = [
            co(1, 0.9, "Zeta"),
            co(3, 0.1, "Alpha"),
            co(0, 1.0, "Never"),
            co(1, 0.9, "Beta"),
            co(1, 0.95, "Gamma"),
            co(2, 0.2, "Delta"),
        ];
        // Four at most; one with no shared customer is never recommended.
        assert_eq!(recommend(&c), [1, 5, 4, 3]);
        assert!(recommend(&[co(0, 1.0, "x")]).is_empty());
    }

    #[test]
    fn the_reason_names_the_industry_when_one_was_chosen() {
        assert_eq!(
            reason(1, "Acme CRM", None),
            "1 customer who reviewed Acme CRM also reviewed this"
        );
        assert_eq!(
            reason(3, "Acme CRM", Some("Healthcare")),
            "3 customers in Healthcare who reviewed Acme CRM also reviewed this"
        );
    }
}
