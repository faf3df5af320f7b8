//! Matching a partner's accounts to the vendor's: the normalised web domain first (exact),
//! then the company name within the same country, compared as a set of words so that
//! word order, legal forms, common abbreviations, accents and a typo do not hide the same
//! company, while a different number ("Store 1", "Store 2") or a different word
//! ("Northwind Traders", "Northwind Logistics") keeps two companies apart.
//!
//! It builds on the deal-registration rules ([`crate::registration::matching`]):
//! [`normalize_name`] is theirs, extended here with abbreviations and order. Candidates
//! are found through blocks (country and the first and last three letters of each word),
//! so a name is compared with a handful of names, never with every account. No I/O.

use std::collections::{HashMap, HashSet};

use crate::registration::matching::normalize_name;
use crate::web_domain::WebDomain;

/// Words that say nothing about which company it is.
const STOP_WORDS: &[&str] = &["the", "and", "of", "de", "la", "le", "der", "die"];

/// Common abbreviations and variants, each mapped to its long form (a typo in a long word
/// is still forgiven; an abbreviation has no room for one).
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("intl", "international"),
    ("tech", "technologies"),
    ("technology", "technologies"),
    ("sys", "systems"),
    ("system", "systems"),
    ("sol", "solutions"),
    ("solution", "solutions"),
    ("svc", "services"),
    ("svcs", "services"),
    ("service", "services"),
    ("mfg", "manufacturing"),
    ("bros", "brothers"),
    ("assoc", "associates"),
    ("labs", "laboratories"),
    ("lab", "laboratories"),
    ("laboratory", "laboratories"),
    ("ind", "industries"),
    ("industry", "industries"),
    ("ent", "enterprises"),
    ("enterprise", "enterprises"),
    ("sw", "software"),
    ("consult", "consulting"),
    ("consultants", "consulting"),
    ("mgmt", "management"),
    ("univ", "university"),
    ("hosp", "hospital"),
    ("dept", "department"),
    ("natl", "national"),
    ("mt", "mount"),
];

/// Legal forms dropped wherever they stand once the name is split into words (the
/// registration rules drop them only at the end, where they usually are).
const LEGAL_FORMS: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "llp",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "bv",
    "nv",
    "plc",
    "pty",
    "srl",
    "spa",
    "oy",
    "ab",
    "kk",
    "pvt",
];

/// A company name as a sorted set of words: `"The Müller-Bros. Technologies GmbH"` →
/// `["brothers", "muller", "technologies"]`. Never empty when the name has a letter or digit.
pub fn name_tokens(name: &str) -> Vec<String> {
    let normal = normalize_name(name);
    let mut words: Vec<String> = normal
        .split_whitespace()
        .filter(|w| !STOP_WORDS.contains(w) && !LEGAL_FORMS.contains(w))
        .map(|w| {
            // "054" and "54" are the same number.
            if w.len() > 1 && w.bytes().all(|b| b.is_ascii_digit()) {
                let t = w.trim_start_matches('0');
                return if t.is_empty() {
                    "0".to_owned()
                } else {
                    t.to_owned()
                };
            }
            ABBREVIATIONS
                .iter()
                .find(|(short, _)| *short == w)
                .map_or_else(|| w.to_owned(), |(_, long)| (*long).to_owned())
        })
        .collect();
    if words.is_empty() {
        // A name made only of stop words or legal forms is still a name: keep it whole.
        words = normal.split_whitespace().map(str::to_owned).collect();
    }
    words.sort();
    words.dedup();
    words
}

/// The numbers in a set of words (`"store 12 b"` → `["12"]`): two names with different
/// numbers never name the same company.
fn numbers(tokens: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tokens
        .iter()
        .flat_map(|t| {
            t.split(|c: char| !c.is_ascii_digit())
                .filter(|d| !d.is_empty())
                .map(|d| d.trim_start_matches('0').to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

/// Similarity of two single words, 0–1: equal words 1, a typo in a word of five letters
/// or more (a transposition counts once) close to 1, shorter words only when equal.
fn word_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.len() < 5 || b.len() < 5 {
        return 0.0;
    }
    strsim::normalized_damerau_levenshtein(a, b)
}

/// A word below this similarity to every word of the other name is unmatched.
const WORD_MATCH: f64 = 0.75;

/// How alike two names are as sets of words, 0–1, word order ignored: each word of the
/// shorter set is paired with its most similar unpaired word of the other, and the score is
/// the share of all letters that pairs cover (weighted by their similarity). Different
/// numbers are 0.
pub fn token_set_similarity(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    if numbers(a) != numbers(b) {
        return 0.0;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut used = vec![false; long.len()];
    let mut covered = 0.0;
    for w in short {
        let best = long
            .iter()
            .enumerate()
            .filter(|(i, _)| !used[*i])
            .map(|(i, v)| (i, v, word_similarity(w, v)))
            .max_by(|x, y| x.2.total_cmp(&y.2));
        if let Some((i, v, sim)) = best
            && sim >= WORD_MATCH
        {
            used[i] = true;
            covered += sim * (w.len() + v.len()) as f64;
        }
    }
    let total: usize = a.iter().chain(b).map(String::len).sum();
    let joined = |t: &[String]| t.concat();
    // Words split or joined differently ("Micro Soft" and "Microsoft") compare as one string.
    let whole = {
        let (x, y) = (joined(a), joined(b));
        if x.len() >= 5 && y.len() >= 5 {
            strsim::normalized_damerau_levenshtein(&x, &y)
        } else {
            0.0
        }
    };
    (covered / total as f64).max(whole)
}

/// One account of either side, as matching needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchRecord {
    pub name: String,
    /// Already normalised ([`normalize_domain`]).
    pub domain: Option<String>,
    /// ISO 3166 alpha-2; names are compared only within a country.
    pub country: Option<String>,
}

/// A web domain as matching compares it (`https://WWW.Acme.com/about` → `acme.com`), or
/// nothing when the text is no domain (a missing or broken website is no evidence).
pub fn normalize_domain(raw: &str) -> Option<String> {
    WebDomain::parse("web_domain", raw)
        .ok()
        .map(|d| d.as_str().to_owned())
}

/// How a match was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchMethod {
    Domain,
    Name,
}

impl MatchMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchMethod::Domain => "domain",
            MatchMethod::Name => "name",
        }
    }
}

/// A candidate match: which vendor record, how sure, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// Index into the records the [`Matcher`] was built from.
    pub index: usize,
    pub method: MatchMethod,
    /// 0–100.
    pub confidence: u32,
    pub reason: String,
}

/// The vendor's records, indexed by domain and by name blocks.
#[derive(Debug)]
pub struct Matcher {
    domains: HashMap<String, usize>,
    blocks: HashMap<(String, String), Vec<usize>>,
    tokens: Vec<Vec<String>>,
}

/// The block keys of a name: for each word of three letters or more, its first three and
/// its last three letters (a typo rarely touches both ends of a word). Numbers are words.
fn block_keys(tokens: &[String]) -> HashSet<String> {
    let mut keys = HashSet::new();
    for t in tokens {
        let chars: Vec<char> = t.chars().collect();
        if chars.len() < 3 {
            keys.insert(format!("={t}"));
            continue;
        }
        keys.insert(format!("<{}", chars[..3].iter().collect::<String>()));
        keys.insert(format!(
            ">{}",
            chars[chars.len() - 3..].iter().collect::<String>()
        ));
    }
    keys
}

/// A block this large is a common word ("global", "group"): it narrows nothing, so a name
/// is found through its other words instead.
const MAX_BLOCK: usize = 2000;

impl Matcher {
    pub fn new(records: &[MatchRecord]) -> Self {
        let mut domains = HashMap::new();
        let mut blocks: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut tokens = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            if let Some(d) = &r.domain {
                domains.entry(d.clone()).or_insert(i);
            }
            let t = name_tokens(&r.name);
            if let Some(country) = &r.country {
                for k in block_keys(&t) {
                    blocks.entry((country.clone(), k)).or_default().push(i);
                }
            }
            tokens.push(t);
        }
        Matcher {
            domains,
            blocks,
            tokens,
        }
    }

    /// The best match of `record` at or above `floor` (0–100): its domain, else the most
    /// similar name in its country.
    pub fn best(&self, record: &MatchRecord, floor: u32) -> Option<Found> {
        if let Some(d) = &record.domain
            && let Some(&i) = self.domains.get(d)
        {
            return Some(Found {
                index: i,
                method: MatchMethod::Domain,
                confidence: 100,
                reason: format!("same web domain {d}"),
            });
        }
        let country = record.country.as_ref()?;
        let tokens = name_tokens(&record.name);
        let mut seen = HashSet::new();
        let mut best: Option<(usize, f64)> = None;
        let mut keys: Vec<String> = block_keys(&tokens).into_iter().collect();
        keys.sort();
        for k in keys {
            let Some(ids) = self.blocks.get(&(country.clone(), k)) else {
                continue;
            };
            if ids.len() > MAX_BLOCK {
                continue;
            }
            for &i in ids {
                if !seen.insert(i) {
                    continue;
                }
                let score = token_set_similarity(&tokens, &self.tokens[i]);
                if best.is_none_or(|(bi, b)| score > b || (score == b && i < bi)) {
                    best = Some((i, score));
                }
            }
        }
        let (i, score) = best?;
        let confidence = (score * 100.0).floor() as u32;
        (confidence >= floor && score > 0.0).then(|| Found {
            index: i,
            method: MatchMethod::Name,
            confidence,
            // The reason names no company: it is shown to both sides, and the other side's
            // name is not always theirs to read.
            reason: if confidence == 100 {
                format!("same company name in {country}")
            } else {
                format!("similar company name in {country} ({confidence}%)")
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str, domain: Option<&str>, country: &str) -> MatchRecord {
        MatchRecord {
            name: name.into(),
            domain: domain.and_then(normalize_domain),
            country: Some(country.into()),
        }
    }

    fn sim(a: &str, b: &str) -> f64 {
        token_set_similarity(&name_tokens(a), &name_tokens(b))
    }

    #[test]
    fn domains_lose_scheme_www_path_port_and_case() {
        for raw in [
            "https://www.Acme.com/about",
            "http://ACME.COM:8080",
            "www.acme.com.",
            "acme.com/",
        ] {
            assert_eq!(normalize_domain(raw).as_deref(), Some("acme.com"), "{raw}");
        }
        assert_eq!(normalize_domain(""), None);
        assert_eq!(normalize_domain("n/a"), None);
    }

    #[test]
    fn names_lose_accents_legal_forms_punctuation_order_and_abbreviations() {
        assert_eq!(
            name_tokens("The Müller-Bros. Technologies GmbH"),
            ["brothers", "muller", "technologies"]
        );
        assert_eq!(
            name_tokens("Acme International, Inc."),
            name_tokens("ACME Intl")
        );
        assert_eq!(name_tokens("Globex S.A."), name_tokens("Globex B.V."));
        assert_eq!(
            name_tokens("Société Générale"),
            name_tokens("Generale Societe")
        );
        assert_eq!(
            name_tokens("Initech Ltd Systems"),
            name_tokens("Initech Systems")
        );
        assert_eq!(
            name_tokens("Inc."),
            ["inc"],
            "a name is never reduced to nothing"
        );
    }

    #[test]
    fn the_same_company_spelled_differently_is_similar() {
        assert_eq!(sim("Acme Widgets Inc", "Widgets Acme"), 1.0, "word order");
        assert!(sim("Initech Systems", "Initech Sytems") >= 0.9, "a typo");
        assert!(sim("Stark Industries", "Stark Industires") >= 0.9);
        assert!(sim("Microsoft", "Micro Soft") >= 0.9, "joined words");
        assert!(
            sim("Zürich Versicherung AG", "Zurich Versicherung") >= 0.99,
            "accents"
        );
    }

    #[test]
    fn different_companies_are_not() {
        assert!(
            sim("Northwind Traders", "Northwind Logistics") < 0.75,
            "a shared first word"
        );
        assert!(sim("Blue Peak Consulting", "Red Peak Consulting") < 0.9);
        assert!(sim("Acme", "Acne") < 0.75, "short words must be equal");
        assert_eq!(
            sim("Acme Store 1", "Acme Store 2"),
            0.0,
            "different numbers"
        );
        assert_eq!(sim("Unit 4", "Unit 14"), 0.0);
        assert_eq!(
            sim("Route 66 Diner", "Route Diner"),
            0.0,
            "a number on one side only"
        );
        assert_eq!(
            sim("Studio 054", "Studio 54"),
            1.0,
            "leading zeros are the same number"
        );
    }

    #[test]
    fn a_domain_hit_comes_first_and_is_certain() {
        let vendor = vec![
            rec("Globex", Some("globex.com"), "US"),
            rec("Acme", None, "US"),
        ];
        let m = Matcher::new(&vendor);
        let f = m
            .best(
                &rec("Totally Other Name", Some("https://www.globex.com/x"), "FR"),
                75,
            )
            .unwrap();
        assert_eq!(
            (f.index, f.method, f.confidence),
            (0, MatchMethod::Domain, 100)
        );
        assert!(f.reason.contains("globex.com"));
    }

    #[test]
    fn names_match_only_within_a_country_and_above_the_floor() {
        let vendor = vec![
            rec("Initech Systems GmbH", None, "DE"),
            rec("Northwind Traders", None, "US"),
        ];
        let m = Matcher::new(&vendor);
        let f = m.best(&rec("Initech Sytems", None, "DE"), 75).unwrap();
        assert_eq!((f.index, f.method), (0, MatchMethod::Name));
        assert!((90..100).contains(&f.confidence), "{}", f.confidence);
        assert!(
            f.reason.contains("similar company name in DE"),
            "{}",
            f.reason
        );
        assert!(
            m.best(&rec("Initech Sytems", None, "AT"), 75).is_none(),
            "another country"
        );
        assert!(
            m.best(&rec("Northwind Logistics", None, "US"), 75)
                .is_none()
        );
        assert!(
            m.best(&rec("Initech Sytems", None, "DE"), 99).is_none(),
            "below the floor"
        );
        let no_country = MatchRecord {
            name: "Initech Systems".into(),
            domain: None,
            country: None,
        };
        assert!(
            m.best(&no_country, 0).is_none(),
            "a name without a country is no evidence"
        );
    }

    #[test]
    fn a_typo_in_the_first_letters_is_still_found_through_the_last_ones() {
        let m = Matcher::new(&[rec("Umbrella Corporation", None, "GB")]);
        let f = m.best(&rec("Umbrela Corp", None, "GB"), 75).unwrap();
        assert_eq!(f.index, 0);
        let f = m.best(&rec("Ymbrella", None, "GB"), 75).unwrap();
        assert_eq!(f.index, 0);
    }

    #[test]
    fn the_best_of_several_candidates_wins_and_ties_go_to_the_first() {
        let vendor = vec![
            rec("Acme Widgets", None, "US"),
            rec("Acme Widget Works", None, "US"),
            rec("Acme Widgets", None, "US"),
        ];
        let m = Matcher::new(&vendor);
        let f = m.best(&rec("ACME Widgets LLC", None, "US"), 75).unwrap();
        assert_eq!((f.index, f.confidence), (0, 100));
    }
}
