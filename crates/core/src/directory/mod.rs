//! The public directory of partners (services listings) and integrations (apps of
//! technology partners): who may publish what and when, how a search query becomes terms,
//! how results are ranked, and how a misspelt query is corrected.
//!
//! Seed 003 §2: control comes from discovery and trust layers, not from gatekeeping. A
//! program's answer to the "open or curated" decision tree sets its [`DirectoryMode`]: an
//! open directory publishes a submitted listing at once; a curated one holds it for a
//! vendor review. Either way the vendor can unpublish afterwards, and a listing the vendor
//! unpublished always goes back through review.
//!
//! Ranking lives here rather than in SQL so that both databases rank identically: the
//! database's full-text index finds the candidates (recall), [`rank`] orders them
//! (relevance first, then quality: verified, views).

pub mod curation;
pub mod lead;
pub mod moderation;
pub mod record;
pub mod review;
pub mod signals;

use std::cmp::Ordering;

use crate::partner::PartnerType;
use crate::text_enum;

text_enum!(
    /// How a program's directory publishes listings (the "open or curated" tree's outcome).
    DirectoryMode {
        Open = "open" / "Open: published at once, moderated after publication",
        Curated = "curated" / "Curated: reviewed before publication",
    }
);

impl DirectoryMode {
    /// The mode an outcome of the `open_or_curated` tree stands for, by the outcome's id.
    pub fn from_outcome(outcome_id: &str) -> Option<DirectoryMode> {
        match outcome_id {
            "open" => Some(DirectoryMode::Open),
            "curated" => Some(DirectoryMode::Curated),
            _ => None,
        }
    }
}

/// The decision tree whose answer sets a program's mode.
pub const MODE_TREE: &str = "open_or_curated";

text_enum!(
    /// What a listing offers.
    ListingKind {
        Services = "services" / "Services",
        Integration = "integration" / "Integration / app",
    }
);

text_enum!(
    /// Where a listing is in its life. Only `published` listings are ever shown publicly.
    ListingStatus {
        Draft = "draft" / "Draft",
        InReview = "in_review" / "Awaiting review",
        Published = "published" / "Published",
        Unpublished = "unpublished" / "Unpublished by the vendor",
    }
);

/// Which kinds of listing a partner of `partner_type` may write: a technology partner lists
/// integrations (and may offer services around them); every other partner lists services.
pub fn kind_allowed(partner_type: PartnerType, kind: ListingKind) -> bool {
    kind == ListingKind::Services || partner_type == PartnerType::Technology
}

/// A status change with the rule that made it and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub status: ListingStatus,
    pub rule: &'static str,
    pub reason: String,
}

/// A change refused: the rule and a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub rule: &'static str,
    pub message: String,
}

fn refused(rule: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        rule,
        message: message.into(),
    }
}

/// The partner submits its listing for publication. Open directory: published now. Curated
/// directory: held for review. A listing the vendor unpublished is reviewed whatever the
/// mode (`was_unpublished`: it has been unpublished by the vendor at some point since its
/// last review), so publishing cannot be used to undo the vendor's decision.
pub fn submit(
    mode: DirectoryMode,
    status: ListingStatus,
    was_unpublished: bool,
) -> Result<Decision, Refused> {
    match status {
        ListingStatus::Published => Err(refused(
            "directory.already_published",
            "the listing is already published",
        )),
        ListingStatus::InReview => Err(refused(
            "directory.in_review",
            "the listing is already awaiting review",
        )),
        ListingStatus::Draft | ListingStatus::Unpublished => {
            if was_unpublished || status == ListingStatus::Unpublished {
                Ok(Decision {
                    status: ListingStatus::InReview,
                    rule: "directory.review_after_unpublish",
                    reason: "the vendor unpublished this listing, so it is reviewed again before it returns".into(),
                })
            } else if mode == DirectoryMode::Curated {
                Ok(Decision {
                    status: ListingStatus::InReview,
                    rule: "directory.curated",
                    reason: "the program's directory is curated: a vendor reviews listings before publication".into(),
                })
            } else {
                Ok(Decision {
                    status: ListingStatus::Published,
                    rule: "directory.open",
                    reason: "the program's directory is open: listings are published at once and moderated after publication".into(),
                })
            }
        }
    }
}

/// The vendor's review of a listing awaiting it: approved, it is published; rejected, it
/// goes back to the partner as a draft with the reviewer's reason.
pub fn review(status: ListingStatus, approve: bool, reason: &str) -> Result<Decision, Refused> {
    if status != ListingStatus::InReview {
        return Err(refused(
            "directory.not_in_review",
            format!(
                "only a listing awaiting review can be reviewed; this one is {}",
                status.label().to_lowercase()
            ),
        ));
    }
    Ok(if approve {
        Decision {
            status: ListingStatus::Published,
            rule: "directory.review_approved",
            reason: if reason.is_empty() {
                "approved in review".into()
            } else {
                format!("approved in review: {reason}")
            },
        }
    } else {
        Decision {
            status: ListingStatus::Draft,
            rule: "directory.review_rejected",
            reason: format!("rejected in review: {reason}"),
        }
    })
}

/// The vendor takes a published (or waiting) listing out of the directory, with a reason.
pub fn unpublish(status: ListingStatus, reason: &str) -> Result<Decision, Refused> {
    match status {
        ListingStatus::Published | ListingStatus::InReview => Ok(Decision {
            status: ListingStatus::Unpublished,
            rule: "directory.unpublished",
            reason: format!("unpublished by the vendor: {reason}"),
        }),
        other => Err(refused(
            "directory.not_published",
            format!(
                "only a published or waiting listing can be unpublished; this one is {}",
                other.label().to_lowercase()
            ),
        )),
    }
}

/// The partner takes its own listing back to a draft (out of the directory or the queue).
/// A listing the vendor unpublished stays unpublished: that decision is the vendor's.
pub fn withdraw(status: ListingStatus) -> Result<Decision, Refused> {
    match status {
        ListingStatus::Published | ListingStatus::InReview => Ok(Decision {
            status: ListingStatus::Draft,
            rule: "directory.withdrawn",
            reason: "withdrawn by the partner".into(),
        }),
        other => Err(refused(
            "directory.not_withdrawable",
            format!(
                "only a published or waiting listing can be withdrawn; this one is {}",
                other.label().to_lowercase()
            ),
        )),
    }
}

/// Whether a listing may be shown to the public: published, and not hidden by moderation.
pub fn is_public(status: ListingStatus, hidden: bool) -> bool {
    status == ListingStatus::Published && !hidden
}

// ---- words, slugs and search terms ----

/// Lower-case ASCII words of `text` (accents folded, everything not a letter or digit a
/// separator).
pub fn words(text: &str) -> Vec<String> {
    deunicode::deunicode(text)
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A URL slug for a title: its words joined by hyphens, at most 60 characters, never
/// empty. The store appends a short suffix so two listings of one title differ.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for w in words(title) {
        if out.len() + w.len() + 1 > 60 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w);
    }
    if out.is_empty() {
        "listing".into()
    } else {
        out
    }
}

/// How many terms of a query are searched (the rest are ignored).
pub const MAX_TERMS: usize = 8;

/// The terms of a visitor's query: its words, duplicates dropped, one-letter words dropped
/// (they match nearly everything as prefixes), at most [`MAX_TERMS`].
pub fn query_terms(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(q) {
        if w.len() >= 2 && !out.contains(&w) {
            out.push(w);
        }
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

/// A facet value as stored and filtered on: its words joined by hyphens ("Financial
/// services" is `financial-services`), so filters match whatever the spelling.
pub fn facet_key(label: &str) -> String {
    words(label).join("-")
}

// ---- typo tolerance ----

/// How far a term may be from a word of the directory's vocabulary to be taken for it:
/// no correction for terms under 4 letters (too many near neighbours), one edit up to 7
/// letters, two from 8.
pub fn max_edits(term: &str) -> usize {
    match term.len() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The query corrected against `vocabulary` (the words of published listings, with how
/// often each occurs): each term that is not a word, nor the prefix of one, becomes the
/// nearest word within [`max_edits`] (Damerau-Levenshtein, so a swapped pair is one edit),
/// ties going to the more frequent word, then the alphabetically first. `None` when
/// nothing changes.
pub fn correct(terms: &[String], vocabulary: &[(String, i64)]) -> Option<Vec<String>> {
    let mut changed = false;
    let out = terms
        .iter()
        .map(|t| {
            if vocabulary.iter().any(|(w, _)| w.starts_with(t.as_str())) {
                return t.clone();
            }
            let limit = max_edits(t);
            let best = vocabulary
                .iter()
                // Words whose length differs by more than the limit are further than it
                // (the distance is at least the difference): skipped without computing it.
                .filter(|(w, _)| limit > 0 && w.len().abs_diff(t.len()) <= limit)
                .map(|(w, n)| (strsim::damerau_levenshtein(t, w), -n, w))
                .filter(|(d, _, _)| *d <= limit && limit > 0)
                .min();
            match best {
                Some((_, _, w)) => {
                    changed = true;
                    w.clone()
                }
                None => t.clone(),
            }
        })
        .collect();
    changed.then_some(out)
}

// ---- ranking ----

/// What ranking needs of a candidate the full-text index found.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub title: String,
    /// Categories, industries and the like, as one text.
    pub facets: String,
    pub description: String,
    pub verified: bool,
    pub views: i64,
    /// The listing's visible reviews.
    pub rating: review::RatingSummary,
    /// Its health score as a fraction ([`signals::health`]).
    pub health: f64,
}

/// How well `c` matches `terms`: per term, the best field it appears in (a whole word in
/// the title 6, a prefix of a title word 4, a facet word 3, a description word 1, prefix
/// half of that), summed. Every term counts once, so repeating a word in a description
/// buys nothing.
pub fn relevance(terms: &[String], c: &Candidate) -> f64 {
    let title = words(&c.title);
    let facets = words(&c.facets);
    let body = words(&c.description);
    terms
        .iter()
        .map(|t| {
            let field = |ws: &[String], whole: f64, prefix: f64| {
                if ws.iter().any(|w| w == t) {
                    whole
                } else if ws.iter().any(|w| w.starts_with(t.as_str())) {
                    prefix
                } else {
                    0.0
                }
            };
            field(&title, 6.0, 4.0)
                .max(field(&facets, 3.0, 1.5))
                .max(field(&body, 1.0, 0.5))
        })
        .sum()
}

/// A candidate's quality, 0 to 1: the vendor's verification counts most (0.4); views add
/// with diminishing returns (0.2: the thousandth view matters less than the tenth); ratings
/// add their Bayesian average (0.2, [`review::rating_quality`]: neutral without reviews, so
/// a listing with bad reviews falls below one with none); the health score the rest (0.2,
/// [`signals::health`]: activity, reported usage, freshness, and ratings again).
pub fn quality(c: &Candidate) -> f64 {
    let verified = if c.verified { 0.4 } else { 0.0 };
    let views = (1.0 + c.views.max(0) as f64).ln() / (1.0 + 100_000f64).ln();
    verified
        + 0.2 * views.min(1.0)
        + 0.2 * review::rating_quality(c.rating)
        + 0.2 * c.health.clamp(0.0, 1.0)
}

/// The order of `candidates` for `terms`: by relevance, then quality, then title (so the
/// order is total and the same on every database). With no terms (browsing a category),
/// by quality alone. Returns indexes into `candidates`; those matching no term are left
/// out when there are terms.
pub fn rank(terms: &[String], candidates: &[Candidate]) -> Vec<usize> {
    let mut scored: Vec<(usize, f64, f64)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (i, relevance(terms, c), quality(c)))
        .filter(|(_, r, _)| terms.is_empty() || *r > 0.0)
        .collect();
    scored.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(Ordering::Equal)
            .then(b.2.partial_cmp(&a.2).unwrap_or(Ordering::Equal))
            .then_with(|| candidates[a.0].title.cmp(&candidates[b.0].title))
    });
    scored.into_iter().map(|(i, _, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ListingStatus::*;

    #[test]
    fn open_publishes_at_once_curated_waits_for_review() {
        let d = submit(DirectoryMode::Open, Draft, false).unwrap();
        assert_eq!((d.status, d.rule), (Published, "directory.open"));
        let d = submit(DirectoryMode::Curated, Draft, false).unwrap();
        assert_eq!((d.status, d.rule), (InReview, "directory.curated"));
    }

    #[test]
    fn after_the_vendor_unpublished_even_an_open_directory_reviews() {
        let d = submit(DirectoryMode::Open, Unpublished, false).unwrap();
        assert_eq!(
            (d.status, d.rule),
            (InReview, "directory.review_after_unpublish")
        );
        // Withdrawn to a draft after the vendor unpublished it: still reviewed.
        let d = submit(DirectoryMode::Open, Draft, true).unwrap();
        assert_eq!(d.status, InReview);
    }

    #[test]
    fn submitting_twice_is_refused() {
        assert_eq!(
            submit(DirectoryMode::Open, Published, false)
                .unwrap_err()
                .rule,
            "directory.already_published"
        );
        assert_eq!(
            submit(DirectoryMode::Curated, InReview, false)
                .unwrap_err()
                .rule,
            "directory.in_review"
        );
    }

    #[test]
    fn review_only_of_waiting_listings() {
        assert_eq!(review(InReview, true, "").unwrap().status, Published);
        let d = review(InReview, false, "no logo").unwrap();
        assert_eq!(
            (d.status, d.reason.as_str()),
            (Draft, "rejected in review: no logo")
        );
        for s in [Draft, Published, Unpublished] {
            assert_eq!(
                review(s, true, "").unwrap_err().rule,
                "directory.not_in_review"
            );
        }
    }

    #[test]
    fn unpublish_and_withdraw_edges() {
        assert_eq!(unpublish(Published, "spam").unwrap().status, Unpublished);
        assert_eq!(unpublish(InReview, "spam").unwrap().status, Unpublished);
        assert!(unpublish(Draft, "x").is_err());
        assert!(unpublish(Unpublished, "x").is_err());
        assert_eq!(withdraw(Published).unwrap().status, Draft);
        assert_eq!(withdraw(InReview).unwrap().status, Draft);
        // The vendor's unpublishing is not the partner's to undo.
        assert_eq!(
            withdraw(Unpublished).unwrap_err().rule,
            "directory.not_withdrawable"
        );
        assert!(withdraw(Draft).is_err());
    }

    #[test]
    fn only_published_unhidden_listings_are_public() {
        assert!(is_public(Published, false));
        assert!(!is_public(Published, true));
        for s in [Draft, InReview, Unpublished] {
            assert!(!is_public(s, false));
        }
    }

    #[test]
    fn integrations_are_for_technology_partners() {
        assert!(kind_allowed(
            PartnerType::Technology,
            ListingKind::Integration
        ));
        assert!(kind_allowed(PartnerType::Technology, ListingKind::Services));
        assert!(!kind_allowed(
            PartnerType::Reseller,
            ListingKind::Integration
        ));
        assert!(kind_allowed(PartnerType::Reseller, ListingKind::Services));
    }

    #[test]
    fn tree_outcomes_name_modes() {
        assert_eq!(
            DirectoryMode::from_outcome("open"),
            Some(DirectoryMode::Open)
        );
        assert_eq!(
            DirectoryMode::from_outcome("curated"),
            Some(DirectoryMode::Curated)
        );
        assert_eq!(DirectoryMode::from_outcome("maybe"), None);
    }

    #[test]
    fn slugs_and_terms() {
        assert_eq!(
            slugify("Zürich Analytics & Co. — Data!"),
            "zurich-analytics-co-data"
        );
        assert_eq!(slugify("!!!"), "listing");
        assert!(slugify(&"word ".repeat(40)).len() <= 60);
        assert_eq!(
            query_terms("CRM  crm a Salesforce-integration"),
            vec!["crm", "salesforce", "integration"]
        );
        assert_eq!(
            query_terms("ab cd ef gh ij kl mn op qr st").len(),
            MAX_TERMS
        );
        assert_eq!(facet_key(" Financial  Services "), "financial-services");
    }

    fn vocab() -> Vec<(String, i64)> {
        [
            ("analytics", 5),
            ("salesforce", 3),
            ("security", 2),
            ("secure", 9),
            ("hubspot", 1),
        ]
        .into_iter()
        .map(|(w, n)| (w.to_owned(), n))
        .collect()
    }

    #[test]
    fn typos_are_corrected_to_the_nearest_word() {
        let t = |s: &str| query_terms(s);
        assert_eq!(correct(&t("analytcis"), &vocab()), Some(t("analytics")));
        assert_eq!(correct(&t("salesfroce"), &vocab()), Some(t("salesforce")));
        assert_eq!(correct(&t("hubspt"), &vocab()), Some(t("hubspot")));
        // Known words and prefixes of words stay; nothing changed is `None`.
        assert_eq!(correct(&t("analytics sales"), &vocab()), None);
        // Too far, or too short to guess.
        assert_eq!(correct(&t("zzzzzzz"), &vocab()), None);
        assert_eq!(correct(&t("scu"), &vocab()), None);
    }

    #[test]
    fn ties_go_to_the_more_frequent_word() {
        // "securr" is one edit from "secure" and one from... only secure; "secur" is a
        // prefix of both and stays.
        assert_eq!(correct(&query_terms("secur"), &vocab()), None);
        let v = vec![("cart".to_owned(), 1), ("card".to_owned(), 7)];
        assert_eq!(
            correct(&query_terms("carx"), &v),
            Some(vec!["card".to_owned()])
        );
    }

    fn cand(title: &str, facets: &str, description: &str, verified: bool, views: i64) -> Candidate {
        Candidate {
            title: title.into(),
            facets: facets.into(),
            description: description.into(),
            verified,
            views,
            rating: review::RatingSummary::default(),
            health: 0.0,
        }
    }

    #[test]
    fn relevance_comes_first_then_quality() {
        let cs = vec![
            cand(
                "Acme Consulting",
                "crm",
                "We also do analytics analytics analytics",
                true,
                90_000,
            ),
            cand("Analytics Bridge", "data", "", false, 0),
            cand("Beta Analytics", "data", "", true, 10),
            cand("Gamma Systems", "analytics", "", false, 0),
            cand("Delta", "crm", "nothing relevant", true, 1_000_000),
        ];
        let order = rank(&query_terms("analytics"), &cs);
        // Title matches first (the verified one ahead), then the facet, then the body;
        // Delta does not match at all.
        assert_eq!(order, vec![2, 1, 3, 0]);
    }

    #[test]
    fn more_matched_terms_beat_quality() {
        let cs = vec![
            cand("Salesforce Analytics", "", "", false, 0),
            cand("Salesforce Services", "", "", true, 50_000),
        ];
        assert_eq!(rank(&query_terms("salesforce analytics"), &cs), vec![0, 1]);
    }

    #[test]
    fn browsing_ranks_by_quality_and_ties_by_title() {
        let cs = vec![
            cand("Zeta", "", "", false, 5),
            cand("Alpha", "", "", false, 5),
            cand("Mid", "", "", true, 0),
            cand("Popular", "", "", false, 5_000),
        ];
        assert_eq!(rank(&[], &cs), vec![2, 3, 1, 0]);
    }

    #[test]
    fn quality_is_bounded_and_monotonic() {
        let q = |verified, views| quality(&cand("x", "", "", verified, views));
        // No views, no verification, neutral ratings (0.5 of 0.2), no health.
        assert_eq!(q(false, 0), 0.1);
        assert!(q(false, 10) < q(false, 100));
        assert!(q(false, 10_000_000) <= 0.3 + 1e-9);
        assert!(q(true, 0) > q(false, 10_000_000));
        assert_eq!(q(false, -5), 0.1);
        let mut best = cand("x", "", "", true, 10_000_000);
        best.rating = review::summary_of(5 * 1000, 1000);
        best.health = 1.0;
        assert!(quality(&best) > 0.99 && quality(&best) <= 1.0);
        best.health = 7.0;
        assert!(quality(&best) <= 1.0 + 1e-9, "health is clamped");
    }

    #[test]
    fn a_healthier_listing_ranks_first_among_equals() {
        let mut cs = vec![
            cand("Alpha", "", "", false, 10),
            cand("Beta", "", "", false, 10),
        ];
        cs[1].health = 0.8;
        cs[0].health = 0.3;
        assert_eq!(rank(&[], &cs), vec![1, 0]);
        // Verification still outweighs the whole health part.
        cs[0].verified = true;
        assert_eq!(rank(&[], &cs), vec![0, 1]);
    }

    #[test]
    fn good_ratings_lift_a_listing_bad_ones_sink_it() {
        let mut cs = vec![
            cand("Alpha", "", "", false, 10),
            cand("Beta", "", "", false, 10),
            cand("Gamma", "", "", false, 10),
        ];
        cs[1].rating = review::summary_of(4 * 20, 20);
        cs[0].rating = review::summary_of(20, 20);
        // Beta (good reviews) first, Gamma (none) next, Alpha (one-star) last.
        assert_eq!(rank(&[], &cs), vec![1, 2, 0]);
        // Relevance still comes first.
        assert_eq!(rank(&query_terms("alpha"), &cs), vec![0]);
    }

    #[test]
    fn prefixes_match_as_you_type() {
        let cs = vec![cand("Integration Hub", "", "", false, 0)];
        assert_eq!(rank(&query_terms("integ"), &cs), vec![0]);
        assert!(
            relevance(&query_terms("integ"), &cs[0])
                < relevance(&query_terms("integration"), &cs[0])
        );
    }
}
