//! Is this the same company? Account matching for deal registration.
//!
//! An exact hit on the normalised web domain is the same account. Without a domain, an
//! exact hit on the normalised name (accents, case, punctuation, legal suffixes such as Inc,
//! GmbH, Ltd, S.A. dropped) in the same country is the same account too. Anything else is
//! compared within the same country by edit distance, which forgives a typo ("Initech
//! Sytems") but not a different company that shares a first word ("Northwind Traders" and
//! "Northwind Logistics"), as a prefix-weighted measure would: such a near name is only a
//! question for a reviewer, never the same account by itself. No I/O here: the store reads
//! the candidates and applies the outcome.

use serde::Serialize;

/// Legal-form words dropped from the end of a name.
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "ag",
    "kg",
    "mbh",
    "ug",
    "sa",
    "sas",
    "sarl",
    "sl",
    "bv",
    "nv",
    "plc",
    "pty",
    "srl",
    "spa",
    "oy",
    "oyj",
    "ab",
    "as",
    "asa",
    "aps",
    "kk",
    "pvt",
    "private",
    "lda",
    "ltda",
    "sro",
    "zoo",
    "spzoo",
    "group",
    "holding",
    "holdings",
];

/// Shortest normalised name compared fuzzily; shorter names must match exactly.
const MIN_FUZZY_CHARS: usize = 5;

/// Similarity (0–1) from which two normalised names count as the same company.
pub const NEAR_MATCH: f64 = 0.85;

/// A company name reduced to what identifies it: ASCII, lowercase, words of letters and
/// digits, legal suffixes dropped. `"Müller & Söhne GmbH."` → `"muller and sohne"`.
pub fn normalize_name(name: &str) -> String {
    let ascii = deunicode::deunicode(name)
        .to_lowercase()
        .replace('&', " and ");
    // Dots join initials ("S.A." → "sa") before other punctuation splits words.
    let cleaned: String = ascii
        .replace('.', "")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// How alike two normalised names are, 0 (nothing alike) to 1 (equal).
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.chars().count() < MIN_FUZZY_CHARS || b.chars().count() < MIN_FUZZY_CHARS {
        return 0.0;
    }
    // Numbers name different things ("Store 1", "Store 2"; "Unit 4" vs "Unit 14"): a typo
    // in the letters is forgiven, a different number is not.
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    if digits(a) != digits(b) {
        return 0.0;
    }
    strsim::normalized_damerau_levenshtein(a, b)
}

/// An existing account, as matching needs it.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    pub web_domain: Option<String>,
    pub country: String,
}

/// The outcome of matching a new account against existing ones.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountMatch {
    /// The same web domain: it is this account.
    SameDomain { account_id: String },
    /// No domain given, and exactly this normalised name in the same country: it is this
    /// account.
    SameName { account_id: String },
    /// No domain hit, but a name this close in the same country.
    NearName {
        account_id: String,
        name: String,
        score_pct: u32,
    },
    /// A different company.
    NoMatch,
}

/// Matches a new account (normalised domain if any, name, country) against candidates: a
/// domain hit, else (only when no domain is given) an exact normalised name in the same
/// country, else the best near name. With a domain, the domain alone says which company it
/// is: an equal name under another domain is only near (a reviewer decides).
pub fn match_account(
    domain: Option<&str>,
    name: &str,
    country: &str,
    candidates: &[Candidate],
) -> AccountMatch {
    if let Some(domain) = domain
        && let Some(hit) = candidates
            .iter()
            .find(|c| c.web_domain.as_deref() == Some(domain))
    {
        return AccountMatch::SameDomain {
            account_id: hit.id.clone(),
        };
    }
    let key = normalize_name(name);
    if domain.is_none() {
        let exact = candidates
            .iter()
            .filter(|c| c.country == country && normalize_name(&c.name) == key);
        // Prefer an account without a domain: it is the one the name identifies uniquely
        // (the store's unique index covers exactly those).
        if let Some(hit) = exact
            .clone()
            .find(|c| c.web_domain.is_none())
            .or_else(|| exact.clone().next())
        {
            return AccountMatch::SameName {
                account_id: hit.id.clone(),
            };
        }
    }
    candidates
        .iter()
        .filter(|c| c.country == country)
        .map(|c| (c, similarity(&key, &normalize_name(&c.name))))
        .filter(|(_, score)| *score >= NEAR_MATCH)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(AccountMatch::NoMatch, |(c, score)| AccountMatch::NearName {
            account_id: c.id.clone(),
            name: c.name.clone(),
            score_pct: (score * 100.0).round() as u32,
        })
}

/// Every candidate in the same country whose name is at least [`NEAR_MATCH`] alike, best
/// first: a caller looking for a hold must look past a closer candidate nobody holds.
pub fn near_names(name: &str, country: &str, candidates: &[Candidate]) -> Vec<(Candidate, u32)> {
    let key = normalize_name(name);
    let mut out: Vec<(Candidate, f64)> = candidates
        .iter()
        .filter(|c| c.country == country)
        .map(|c| (c.clone(), similarity(&key, &normalize_name(&c.name))))
        .filter(|(_, score)| *score >= NEAR_MATCH)
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out.into_iter()
        .map(|(c, s)| (c, (s * 100.0).round() as u32))
        .collect()
}

/// The near names a registration on `account` must be reviewed against: every near name
/// except the account itself and the accounts a reviewer declared different companies
/// from it (`distinct_from`), best first.
pub fn names_to_review(
    account: &str,
    name: &str,
    country: &str,
    candidates: &[Candidate],
    distinct_from: &[String],
) -> Vec<(Candidate, u32)> {
    near_names(name, country, candidates)
        .into_iter()
        .filter(|(c, _)| c.id != account && !distinct_from.contains(&c.id))
        .collect()
}

/// The first characters of a normalised name, which the store indexes to find candidates
/// without reading every account.
pub fn blocking_key(normalized: &str) -> String {
    normalized.chars().filter(|c| *c != ' ').take(4).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(a: &str, b: &str) -> bool {
        similarity(&normalize_name(a), &normalize_name(b)) >= NEAR_MATCH
    }

    #[test]
    fn normalising_removes_accents_case_punctuation_and_legal_forms() {
        assert_eq!(normalize_name("Müller & Söhne GmbH."), "muller and sohne");
        assert_eq!(normalize_name("ACME, Inc."), "acme");
        assert_eq!(
            normalize_name("Grupo Bimbo S.A. de C.V."),
            "grupo bimbo sa de cv"
        );
        assert_eq!(normalize_name("Société Générale S.A."), "societe generale");
        assert_eq!(normalize_name("Initech Pvt. Ltd."), "initech");
        assert_eq!(
            normalize_name("Co"),
            "co",
            "a name is never reduced to nothing"
        );
    }

    #[test]
    fn duplicates_that_must_match() {
        assert!(same("Acme Inc.", "ACME Incorporated"));
        assert!(same("Müller GmbH", "Muller"));
        assert!(same("Globex Corporation", "Globex Corp."));
        assert!(
            same("Initech Systems", "Initech Sytems"),
            "a transposed pair of letters"
        );
        assert!(same("Stark Industries", "Stark Industires"));
        assert!(same("Wayne Enterprises Ltd", "Wayne Enterprise Limited"));
    }

    #[test]
    fn near_misses_that_must_not_match() {
        assert!(
            !same("Northwind Traders", "Northwind Logistics"),
            "shared first word"
        );
        assert!(!same("Acme", "Acne"), "short names must be exact");
        assert!(!same("IBM", "IBN"));
        assert!(!same("Globex Health", "Globex Energy"));
        assert!(!same("Blue Peak Consulting", "Red Peak Consulting"));
        assert!(
            !same("Acme Store 1", "Acme Store 2"),
            "different numbers are different companies"
        );
        assert!(same("Acme Store 12", "Acme Stroe 12"));
    }

    fn cand(id: &str, name: &str, domain: Option<&str>, country: &str) -> Candidate {
        Candidate {
            id: id.into(),
            name: name.into(),
            web_domain: domain.map(Into::into),
            country: country.into(),
        }
    }

    #[test]
    fn a_domain_hit_wins_and_names_compare_within_a_country() {
        let existing = vec![
            cand("a1", "Globex", Some("globex.com"), "US"),
            cand("a2", "Initech Systems", None, "DE"),
        ];
        assert_eq!(
            match_account(Some("globex.com"), "Totally Different", "FR", &existing),
            AccountMatch::SameDomain {
                account_id: "a1".into()
            }
        );
        match match_account(None, "Initech Sytems GmbH", "DE", &existing) {
            AccountMatch::NearName {
                account_id,
                score_pct,
                ..
            } => {
                assert_eq!(account_id, "a2");
                assert!(score_pct >= 85);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            match_account(None, "Initech Sytems", "FR", &existing),
            AccountMatch::NoMatch,
            "other country"
        );
    }

    #[test]
    fn every_near_name_is_listed_best_first() {
        let existing = vec![
            Candidate {
                id: "a".into(),
                name: "Initech Systems".into(),
                web_domain: None,
                country: "US".into(),
            },
            Candidate {
                id: "b".into(),
                name: "Initech Sytems".into(),
                web_domain: None,
                country: "US".into(),
            },
            Candidate {
                id: "c".into(),
                name: "Initech Logistics".into(),
                web_domain: None,
                country: "US".into(),
            },
        ];
        let ids: Vec<String> = near_names("Initech Systems Inc", "US", &existing)
            .into_iter()
            .map(|(c, _)| c.id)
            .collect();
        assert_eq!(ids, vec!["a", "b"]);
    }

    #[test]
    fn an_exact_normalised_name_in_the_same_country_is_the_same_account() {
        let existing = vec![
            cand("seq", "Sequoia Seq Holdout GmbH", None, "DE"),
            cand("sg", "Sequoia GmbH", None, "DE"),
        ];
        for spelling in [
            "Sequoia Seq Holdout GmbH",
            "SEQUOIA SEQ HOLDOUT",
            "Sequoia-Seq Holdout G.m.b.H.",
            "sequoia seq holdout gmbh.",
        ] {
            assert_eq!(
                match_account(None, spelling, "DE", &existing),
                AccountMatch::SameName {
                    account_id: "seq".into()
                },
                "{spelling}"
            );
        }
        assert_eq!(
            match_account(None, "Sequoia AG", "DE", &existing),
            AccountMatch::SameName {
                account_id: "sg".into()
            },
            "the legal form is dropped: GmbH and AG name the same company"
        );
        assert_eq!(
            match_account(None, "Sequoia Seq Holdout GmbH", "AT", &existing),
            AccountMatch::NoMatch,
            "the same name in another country is another account"
        );
    }

    #[test]
    fn a_near_name_is_never_the_same_account() {
        let existing = vec![cand("seq", "Sequoia Seq Holdout GmbH", None, "DE")];
        match match_account(None, "Sequoia Seq Holdut", "DE", &existing) {
            AccountMatch::NearName { account_id, .. } => assert_eq!(account_id, "seq"),
            other => panic!("a typo is only near: {other:?}"),
        }
    }

    #[test]
    fn with_a_domain_an_equal_name_is_only_near() {
        let existing = vec![cand("a1", "Hooli", Some("hooli.example"), "US")];
        assert!(matches!(
            match_account(Some("hooli.example"), "Hooli", "US", &existing),
            AccountMatch::SameDomain { .. }
        ));
        assert!(matches!(
            match_account(Some("hooli.de"), "Hooli", "US", &existing),
            AccountMatch::NearName { score_pct: 100, .. }
        ));
        assert_eq!(
            match_account(None, "Hooli Inc.", "US", &existing),
            AccountMatch::SameName {
                account_id: "a1".into()
            },
            "a name-only registration finds the account that has a domain"
        );
    }

    #[test]
    fn an_exact_match_prefers_the_account_without_a_domain() {
        let existing = vec![
            cand("with", "Acme Widgets", Some("acme.example"), "US"),
            cand("without", "ACME Widgets Inc", None, "US"),
        ];
        assert_eq!(
            match_account(None, "Acme Widgets", "US", &existing),
            AccountMatch::SameName {
                account_id: "without".into()
            }
        );
    }

    #[test]
    fn review_skips_the_account_itself_and_pairs_declared_different() {
        let existing = vec![
            cand("self", "Initech Sytems", None, "US"),
            cand("held", "Initech Systems", None, "US"),
            cand("other", "Initech Systemz", None, "US"),
        ];
        let ids = |distinct: &[String]| -> Vec<String> {
            names_to_review("self", "Initech Sytems", "US", &existing, distinct)
                .into_iter()
                .map(|(c, _)| c.id)
                .collect()
        };
        assert_eq!(ids(&[]), vec!["held", "other"]);
        assert_eq!(ids(&["held".to_owned()]), vec!["other"]);
    }

    proptest! {
        #[test]
        fn a_name_always_matches_itself_with_any_suffix_and_case(name in "[A-Za-z]{5,12}( [A-Za-z]{3,10})?", suffix in prop::sample::select(vec!["", " Inc.", " GmbH", " Ltd", " S.A."])) {
            let decorated = format!("{}{}", name.to_uppercase(), suffix);
            prop_assert!(same(&name, &decorated));
        }
    }
}
