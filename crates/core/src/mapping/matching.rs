//! Matching a partner's accounts to the vendor's: the normalised web domain first (exact),
//! then the company name within the same country.
//!
//! Names are compared as sets of words, so that word order, legal forms, common
//! abbreviations, accents, case and one typo in a word do not hide the same company, while
//! a different number ("Store 1", "Store 2") or a different word on each side ("Northwind
//! Traders", "Northwind Logistics") keeps two companies apart. Each word counts by how rare
//! it is among the vendor's accounts (its inverse document frequency): sharing "Velorix"
//! says much more than sharing "Systems".
//!
//! The [`Matcher`] is built once over the vendor's accounts: a domain index, a word index
//! per country, and a table of every word with one letter dropped (the typo index: two
//! words one edit apart share an entry). A partner row then looks up only its own words,
//! exact and one edit away, in its country, starting with the rarest, and scores the few
//! accounts they lead to; matching more rows never rebuilds anything. No I/O.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::registration::matching::normalize_name;
use crate::web_domain::WebDomain;

/// Words that say nothing about which company it is.
const STOP_WORDS: &[&str] = &["the", "and", "of", "de", "la", "le", "der", "die"];

/// Common abbreviations and variants, each mapped to its long form.
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
    "lp",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "gmbh",
    "mbh",
    "ag",
    "kg",
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
    "asa",
    "aps",
    "kk",
    "pvt",
    "sro",
    // Not legal forms, but dropped from the end by the registration rules as if they were:
    // dropped everywhere too, or "Acme Holdings Systems" would not be "Acme Systems Holdings".
    "group",
    "holding",
    "holdings",
];

/// The words of a company name in their order, normalised: ASCII, lower case, legal forms
/// and stop words dropped, abbreviations spelled out, numbers without leading zeros.
/// Never empty when the name has a letter or digit.
pub fn name_words(name: &str) -> Vec<String> {
    let normal = normalize_name(name);
    let words: Vec<String> = normal
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
        return normal.split_whitespace().map(str::to_owned).collect();
    }
    words
}

/// A company name as a sorted set of words: `"The Müller-Bros. Technologies GmbH"` →
/// `["brothers", "muller", "technologies"]`.
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut words = name_words(name);
    words.sort();
    words.dedup();
    words
}

/// The numbers in a set of words (`["store", "12", "b7"]` → `["12", "7"]`), sorted: two
/// names with different numbers never name the same company.
fn numbers<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = words
        .into_iter()
        .flat_map(|t| {
            t.split(|c: char| !c.is_ascii_digit())
                .filter(|d| !d.is_empty())
                .map(|d| d.trim_start_matches('0'))
        })
        .collect();
    out.sort_unstable();
    out
}

fn has_digit(w: &str) -> bool {
    w.bytes().any(|b| b.is_ascii_digit())
}

/// Whether `b` is `a` after one edit: a letter inserted, dropped or replaced, or two
/// neighbours swapped (Damerau distance 1). Equal words are not.
fn one_edit(a: &[u8], b: &[u8]) -> bool {
    if a.len().abs_diff(b.len()) > 1 || a == b {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Equal => {
            a[p + 1..] == b[p + 1..]
                || (p + 1 < a.len()
                    && a[p] == b[p + 1]
                    && a[p + 1] == b[p]
                    && a[p + 2..] == b[p + 2..])
        }
        std::cmp::Ordering::Greater => a[p + 1..] == b[p..],
        std::cmp::Ordering::Less => a[p..] == b[p + 1..],
    }
}

/// The shortest word in which a typo is forgiven (shorter words must be equal: "Acme" is
/// not "Acne").
const MIN_TYPO_WORD: usize = 5;

/// Similarity of a word of the partner's name to one of the vendor's, 0–1: equal words 1;
/// one edit apart in a word of five letters or more (no digits), a little less. The edit
/// costs half a letter when the partner's word is no word of the vendor's at all (a typo,
/// most likely), a whole letter when it is (it may be another company's word: "Velorax"
/// beside "Velorix"); a dropped letter may then leave four.
pub fn word_similarity(partner: &str, vendor: &str, partner_word_known: bool) -> f64 {
    if partner == vendor {
        return 1.0;
    }
    let (long, short) = (
        partner.len().max(vendor.len()),
        partner.len().min(vendor.len()),
    );
    let min_short = if partner_word_known {
        MIN_TYPO_WORD
    } else {
        MIN_TYPO_WORD - 1
    };
    if long < MIN_TYPO_WORD
        || short < min_short
        || has_digit(partner)
        || has_digit(vendor)
        || !one_edit(partner.as_bytes(), vendor.as_bytes())
    {
        return 0.0;
    }
    let cost = if partner_word_known { 1.0 } else { 0.5 };
    1.0 - cost / long as f64
}

/// Two names that share words, each side with a word the other lacks ("Northwind
/// Traders", "Northwind Logistics"), are likely two companies: their score is multiplied
/// by this.
const CONFLICT: f64 = 0.75;

/// Two names of one word each that differ by a typo ("Umbrela", "Umbrella") are a
/// question for a person: their score is multiplied by this.
const LONE_WORD_TYPO: f64 = 0.9;

/// How alike two names are, 0–1, given each word's weight and a word similarity: each word
/// of `a` (which comes heaviest first), in turn, is paired with its most similar unpaired word of `b`; the score
/// is the weight the pairs cover (by their similarity) over the weight of all words,
/// times [`CONFLICT`] when both sides keep an unpaired word, or [`LONE_WORD_TYPO`].
fn pair_score(a_weights: &[f64], b_weights: &[f32], sim: impl Fn(usize, usize) -> f64) -> f64 {
    let total =
        a_weights.iter().sum::<f64>() + b_weights.iter().map(|&w| f64::from(w)).sum::<f64>();
    if total <= 0.0 {
        return 0.0;
    }
    // Which words of `b` are paired: a bit each, or (past 64 words) a flag each.
    let big = b_weights.len() > 64;
    let mut used_big = if big {
        vec![false; b_weights.len()]
    } else {
        Vec::new()
    };
    let mut used = 0u64;
    let (mut covered, mut a_left) = (0.0, false);
    for (i, wa) in a_weights.iter().enumerate() {
        let mut best: Option<(usize, f64)> = None;
        let free = (0..b_weights.len()).filter(|&j| {
            if big {
                !used_big[j]
            } else {
                used >> j & 1 == 0
            }
        });
        for j in free {
            let s = sim(i, j);
            if s > 0.0 && best.is_none_or(|(_, b)| s > b) {
                best = Some((j, s));
            }
        }
        match best {
            Some((j, s)) => {
                if big {
                    used_big[j] = true;
                } else {
                    used |= 1 << j;
                }
                covered += s * (wa + f64::from(b_weights[j]));
            }
            None => a_left = true,
        }
    }
    let b_left = if big {
        used_big.iter().any(|u| !u)
    } else {
        (used.count_ones() as usize) < b_weights.len()
    };
    let score = covered / total;
    if a_left && b_left {
        score * CONFLICT
    } else if a_weights.len() == 1 && b_weights.len() == 1 && score < 1.0 {
        // One word each, one edit apart: nothing else in the name backs the guess.
        score * LONE_WORD_TYPO
    } else {
        score
    }
}

/// How alike two company names are, 0–1, every word weighing the same (the [`Matcher`]
/// weighs them by rarity): word order, legal forms, abbreviations, accents and one typo per
/// word are forgiven; different numbers are 0.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (name_tokens(a), name_tokens(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    if numbers(a.iter().map(String::as_str)) != numbers(b.iter().map(String::as_str)) {
        return 0.0;
    }
    pair_score(&vec![1.0; a.len()], &vec![1.0; b.len()], |i, j| {
        word_similarity(&a[i], &b[j], false)
    })
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

/// FxHash with a final mix: the indexes hash millions of short keys that no attacker
/// chooses, where std's SipHash costs several times as much.
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = FastHasher::default();
    h.write(b);
    h.finish()
}

/// The vendor's accounts by normalised web domain (the first account wins a domain two
/// share): the domain stage, an exact hash join. The domains are kept one after another in
/// one string, found through a table of their hashes, so a million of them take a few
/// dozen megabytes, not a string allocation each.
#[derive(Debug, Default)]
pub struct DomainIndex {
    /// The distinct domains, one after another, and where each ends.
    text: String,
    ends: Vec<u32>,
    /// A domain's hash → (its place in `ends`, the account's position).
    by_hash: FastMap<u64, (u32, u32)>,
    /// Domains whose hash an earlier, different domain already has (next to never).
    collided: FastMap<Box<str>, u32>,
    /// Accounts pushed so far.
    len: u32,
}

impl DomainIndex {
    /// Indexes normalised domains by their position.
    pub fn new<'a>(domains: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let domains = domains.into_iter();
        let mut idx = DomainIndex::with_capacity(domains.size_hint().0);
        for d in domains {
            idx.push(d);
        }
        idx
    }

    /// An empty index with room for `n` accounts.
    pub fn with_capacity(n: usize) -> Self {
        DomainIndex {
            text: String::with_capacity(n * 24),
            ends: Vec::with_capacity(n),
            by_hash: FastMap::with_capacity_and_hasher(n, Default::default()),
            ..Default::default()
        }
    }

    fn stored(&self, slot: u32) -> &str {
        let start = match slot {
            0 => 0,
            s => self.ends[s as usize - 1] as usize,
        };
        &self.text[start..self.ends[slot as usize] as usize]
    }

    /// Adds the next account's normalised domain (its position is the number pushed
    /// before it).
    pub fn push(&mut self, domain: Option<&str>) {
        let position = self.len;
        self.len += 1;
        let Some(d) = domain else { return };
        let slot = self.ends.len() as u32;
        let (stored, _) = *self
            .by_hash
            .entry(hash_bytes(d.as_bytes()))
            .or_insert((slot, position));
        if stored == slot {
            self.text.push_str(d);
            self.ends.push(self.text.len() as u32);
        } else if self.stored(stored) != d {
            self.collided.entry(Box::from(d)).or_insert(position);
        }
    }

    /// The position of the account with this normalised domain.
    pub fn get(&self, domain: &str) -> Option<usize> {
        match self.by_hash.get(&hash_bytes(domain.as_bytes())) {
            Some(&(slot, position)) if self.stored(slot) == domain => Some(position as usize),
            Some(_) => self.collided.get(domain).map(|&p| p as usize),
            None => None,
        }
    }
}

/// The part of a domain before its first dot (`acme` of `acme.co.uk`): the same company's
/// domains in other top-level domains share it.
fn domain_stem(d: &str) -> &str {
    d.split('.').next().unwrap_or(d)
}

/// Subtracted from a name's score when both accounts have web domains and they differ
/// beyond their top-level domain (`acme.com` and `acme.de` do not count): another
/// domain is evidence of another company, not proof (companies change domains).
const DOMAIN_CONFLICT: f64 = 0.10;

/// Two accounts whose scores are closer than this both fit the name: the best one loses
/// twice the difference (a tie loses 0.1), so that a person decides between them.
const AMBIGUITY_MARGIN: f64 = 0.05;

/// The words of a country's accounts that lead to more accounts than this, together, are
/// too common to look through once a rarer word of the name has led somewhere ("Systems",
/// "Consulting"): a row is compared with a few hundred accounts, never with a country.
const CANDIDATE_BUDGET: usize = 1000;

/// A name made only of words more common than [`CANDIDATE_BUDGET`] is compared with the
/// accounts of its least common word when they are at most this many, else with none
/// (a name of common words alone fits too many accounts to be evidence of one).
const COMMON_ONLY_BUDGET: usize = 8 * CANDIDATE_BUDGET;

/// A word of the vendor's in more accounts than this is taken as written, not looked up one
/// edit away: a word that common is itself, not a typo of a rarer one.
const COMMON_WORD: f64 = 1000.0;

/// A word of the vendor's names with the country it is looked up in.
fn posting_key(word: u32, country: u16) -> u64 {
    (u64::from(word) << 16) | u64::from(country)
}

/// A word of the partner's name as the index knows it.
struct QueryWord {
    text: String,
    /// The vendor's word equal to it.
    id: Option<u32>,
    /// The vendor's words one edit away, with their similarity.
    near: Vec<(u32, f64)>,
    weight: f64,
}

/// The vendor's records, indexed by domain and by the words of their names.
#[derive(Debug)]
pub struct Matcher {
    domains: DomainIndex,
    countries: FastMap<Box<str>, u16>,
    /// Per record (and one past the last): where its words start, the hash of its
    /// domain's stem, whether a word has a digit. Its words' ids and weights side by side:
    /// scoring a record reads three places, not one per word.
    record_meta: Vec<RecordMeta>,
    record_words: Vec<u32>,
    record_weights: Vec<f32>,
    /// The vendor's distinct words, their ids and weights.
    words: Vec<Box<str>>,
    word_ids: FastMap<Box<str>, u32>,
    weights: Vec<f64>,
    /// Every word of five letters or more with one letter dropped: (hash, word), sorted,
    /// with where each run of hashes sharing their top `near_bits` bits starts.
    near: Vec<(u32, u32)>,
    near_start: Vec<u32>,
    near_bits: u32,
    /// (word, country) → where its records start and end in `posting_records`.
    posting_ranges: FastMap<u64, (u32, u32)>,
    posting_records: Vec<Posting>,
    /// The weight of a word the vendor never uses (rarer than any).
    unknown_weight: f64,
    /// The weight of a word in [`COMMON_WORD`] accounts.
    common_weight: f64,
}

const NO_COUNTRY: u16 = u16::MAX;

/// A record in a word's list, with the weight of all its words (what a shared word is
/// measured against), so that a record is judged from the list alone.
#[derive(Clone, Copy, Debug)]
struct Posting {
    record: u32,
    total: f32,
}

#[derive(Clone, Copy, Debug)]
struct RecordMeta {
    start: u32,
    /// 0: no domain.
    stem: u32,
    digits: bool,
}

/// The hash of a domain's stem as [`RecordMeta`] keeps it (never 0).
fn stem_hash(domain: &str) -> u32 {
    ((hash_bytes(domain_stem(domain).as_bytes()) >> 32) as u32).max(1)
}

impl Matcher {
    pub fn new(records: &[MatchRecord]) -> Self {
        let domains = DomainIndex::new(records.iter().map(|r| r.domain.as_deref()));
        let mut countries: FastMap<Box<str>, u16> = FastMap::default();
        let mut word_ids: FastMap<Box<str>, u32> = FastMap::default();
        let mut words: Vec<Box<str>> = Vec::new();
        let mut df: Vec<u32> = Vec::new();
        let mut record_meta = Vec::with_capacity(records.len() + 1);
        let mut record_words = Vec::with_capacity(records.len() * 3);
        let mut postings: Vec<(u64, u32)> = Vec::with_capacity(records.len() * 3);
        for (i, r) in records.iter().enumerate() {
            let country = match &r.country {
                Some(c) => match countries.get(c.as_str()) {
                    Some(&id) => id,
                    None if countries.len() < usize::from(NO_COUNTRY) => {
                        let id = countries.len() as u16;
                        countries.insert(Box::from(c.as_str()), id);
                        id
                    }
                    None => NO_COUNTRY,
                },
                None => NO_COUNTRY,
            };
            let tokens = name_tokens(&r.name);
            record_meta.push(RecordMeta {
                start: record_words.len() as u32,
                stem: r.domain.as_deref().map_or(0, stem_hash),
                digits: tokens.iter().any(|t| has_digit(t)),
            });
            for w in tokens {
                let id = match word_ids.get(w.as_str()) {
                    Some(&id) => id,
                    None => {
                        let id = words.len() as u32;
                        word_ids.insert(Box::from(w.as_str()), id);
                        words.push(w.into_boxed_str());
                        df.push(0);
                        id
                    }
                };
                df[id as usize] += 1;
                record_words.push(id);
                if country != NO_COUNTRY {
                    postings.push((posting_key(id, country), i as u32));
                }
            }
        }
        record_meta.push(RecordMeta {
            start: record_words.len() as u32,
            stem: 0,
            digits: false,
        });
        let n = records.len().max(1) as f64;
        let weights: Vec<f64> = df.iter().map(|&d| 1.0 + (n / f64::from(d)).ln()).collect();
        let record_total: Vec<f32> = record_meta
            .windows(2)
            .map(|m| {
                record_words[m[0].start as usize..m[1].start as usize]
                    .iter()
                    .map(|&w| weights[w as usize])
                    .sum::<f64>() as f32
            })
            .collect();
        postings.sort_unstable();
        let mut posting_ranges: FastMap<u64, (u32, u32)> = FastMap::default();
        let mut posting_records = Vec::with_capacity(postings.len());
        for (at, (key, record)) in postings.into_iter().enumerate() {
            posting_ranges
                .entry(key)
                .or_insert((at as u32, at as u32))
                .1 = at as u32 + 1;
            posting_records.push(Posting {
                record,
                total: record_total[record as usize],
            });
        }
        let record_weights = record_words
            .iter()
            .map(|&w| weights[w as usize] as f32)
            .collect();
        let mut near = Vec::new();
        let mut buf = Vec::new();
        for (id, w) in words.iter().enumerate() {
            if w.len() < MIN_TYPO_WORD || has_digit(w) {
                continue;
            }
            for p in 0..w.len() {
                buf.clear();
                buf.extend_from_slice(&w.as_bytes()[..p]);
                buf.extend_from_slice(&w.as_bytes()[p + 1..]);
                near.push(((hash_bytes(&buf) >> 32) as u32, id as u32));
            }
        }
        near.sort_unstable();
        near.dedup();
        // About four entries a run: one look-up reads one short run, not a binary search
        // over millions.
        let near_bits = (usize::BITS - (near.len() / 4).max(1).leading_zeros()).clamp(1, 24);
        let mut near_start = vec![0u32; (1 << near_bits) + 1];
        for e in &near {
            near_start[(e.0 >> (32 - near_bits)) as usize + 1] += 1;
        }
        for b in 1..near_start.len() {
            near_start[b] += near_start[b - 1];
        }
        Matcher {
            domains,
            countries,
            record_meta,
            record_words,
            record_weights,
            words,
            word_ids,
            weights,
            near,
            near_start,
            near_bits,
            posting_ranges,
            posting_records,
            unknown_weight: 1.0 + n.ln(),
            common_weight: 1.0 + (n / COMMON_WORD).ln(),
        }
    }

    fn record_words(&self, i: usize) -> (&[u32], &[f32]) {
        let range = self.record_meta[i].start as usize..self.record_meta[i + 1].start as usize;
        (
            &self.record_words[range.clone()],
            &self.record_weights[range],
        )
    }

    /// The records of `word` in `country`.
    fn postings(&self, word: u32, country: u16) -> &[Posting] {
        match self.posting_ranges.get(&posting_key(word, country)) {
            Some(&(start, end)) => &self.posting_records[start as usize..end as usize],
            None => &[],
        }
    }

    /// The vendor's words one edit away from `w`, through the typo index: `w` itself
    /// may be a vendor word with a letter dropped, a vendor word may be `w` with one
    /// dropped, or both with one dropped at the same place.
    fn near_words(&self, w: &str, known: bool) -> Vec<(u32, f64)> {
        let mut out: Vec<(u32, f64)> = Vec::new();
        if w.len() < MIN_TYPO_WORD - 1 || has_digit(w) {
            return out;
        }
        let mut candidates: Vec<u32> = Vec::new();
        let by_hash = |h: u64, candidates: &mut Vec<u32>| {
            let h = (h >> 32) as u32;
            let b = (h >> (32 - self.near_bits)) as usize;
            let run = &self.near[self.near_start[b] as usize..self.near_start[b + 1] as usize];
            candidates.extend(run.iter().filter(|e| e.0 == h).map(|e| e.1));
        };
        by_hash(hash_bytes(w.as_bytes()), &mut candidates);
        let mut buf = Vec::with_capacity(w.len());
        for p in 0..w.len() {
            buf.clear();
            buf.extend_from_slice(&w.as_bytes()[..p]);
            buf.extend_from_slice(&w.as_bytes()[p + 1..]);
            if let Ok(s) = std::str::from_utf8(&buf)
                && let Some(&id) = self.word_ids.get(s)
            {
                candidates.push(id);
            }
            by_hash(hash_bytes(&buf), &mut candidates);
        }
        candidates.sort_unstable();
        candidates.dedup();
        for id in candidates {
            let s = word_similarity(w, &self.words[id as usize], known);
            if s > 0.0 {
                out.push((id, s));
            }
        }
        out
    }

    /// The words of a partner's name as the index knows them, heaviest first.
    fn query_words(&self, name: &str) -> Vec<QueryWord> {
        let mut query: Vec<QueryWord> = name_tokens(name)
            .into_iter()
            .map(|text| {
                let id = self.word_ids.get(text.as_str()).copied();
                // A common word of the vendor's ("Systems") is that word, not a typo.
                let near = match id {
                    Some(id) if self.weights[id as usize] < self.common_weight => Vec::new(),
                    _ => self.near_words(&text, id.is_some()),
                };
                // A word the vendor lacks is as rare as can be, unless it is most likely a
                // typo of one the vendor has: then it weighs as that word.
                let weight = match id {
                    Some(id) => self.weights[id as usize],
                    None => near
                        .iter()
                        .map(|(n, _)| self.weights[*n as usize])
                        .min_by(f64::total_cmp)
                        .unwrap_or(self.unknown_weight),
                };
                QueryWord {
                    text,
                    id,
                    near,
                    weight,
                }
            })
            .collect();
        query.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        query
    }

    /// The records that share a word (or a word one edit away) with the query in
    /// `country`, looked up from the rarest word on within [`CANDIDATE_BUDGET`], and that
    /// could reach `bound`: a record's score is at most what its shared words (and the
    /// query's words too common to look up) could cover of the weight of both names, so a
    /// record that cannot reach the bound is never read.
    fn candidates(&self, query: &[QueryWord], country: u16, bound: f64) -> Vec<u32> {
        // (records, what a hit covers at most, the query word)
        let mut lists: Vec<(&[Posting], f64, usize)> = Vec::new();
        for (qi, q) in query.iter().enumerate() {
            let hits =
                q.id.map(|id| (id, 1.0))
                    .into_iter()
                    .chain(q.near.iter().copied());
            for (w, sim) in hits {
                let l = self.postings(w, country);
                if !l.is_empty() {
                    lists.push((l, sim * (q.weight + self.weights[w as usize]), qi));
                }
            }
        }
        lists.sort_by_key(|l| l.0.len());
        let chosen: &[(&[Posting], f64, usize)] = match lists.first() {
            Some(l) if l.0.len() > CANDIDATE_BUDGET => {
                // Only common words ("Global Services"): the accounts of the least common
                // one. A name with a word the country lacks ("Tridelfa Services") has no
                // account to find through its common words alone.
                let all_common = (0..query.len()).all(|qi| lists.iter().any(|l| l.2 == qi));
                if all_common && l.0.len() <= COMMON_ONLY_BUDGET {
                    &lists[..1]
                } else {
                    &[]
                }
            }
            _ => {
                let mut total = 0;
                let n = lists
                    .iter()
                    .take_while(|l| {
                        total += l.0.len();
                        total <= CANDIDATE_BUDGET
                    })
                    .count();
                &lists[..n]
            }
        };
        let q_total: f64 = query.iter().map(|q| q.weight).sum();
        // A word whose lists were left out (too common) may be in any record: it counts as
        // shared, at its best, for every one.
        let mut extra_covered = 0.0;
        for qi in 0..query.len() {
            let left_out = lists[chosen.len()..].iter().filter(|l| l.2 == qi);
            if let Some(l) = left_out.max_by(|a, b| a.1.total_cmp(&b.1)) {
                extra_covered += l.1;
            }
        }
        let mut hits: Vec<(Posting, f64)> = chosen
            .iter()
            .flat_map(|(l, covered, _)| l.iter().map(move |&p| (p, *covered)))
            .collect();
        hits.sort_unstable_by_key(|h| h.0.record);
        let mut out = Vec::new();
        for group in hits.chunk_by(|a, b| a.0.record == b.0.record) {
            let covered = extra_covered + group.iter().map(|h| h.1).sum::<f64>();
            // All the record's words count against it (a hair less, for rounding).
            let own = f64::from(group[0].0.total) * (1.0 - 1e-6);
            if covered / (q_total + own) >= bound {
                out.push(group[0].0.record);
            }
        }
        out
    }

    /// The score of record `i` for the query, 0–1, before the ambiguity rule, and whether
    /// their domains conflict.
    fn score(
        &self,
        query: &[QueryWord],
        q_weights: &[f64],
        q_numbers: &[&str],
        q_stem: Option<u32>,
        i: usize,
    ) -> (f64, bool) {
        let meta = self.record_meta[i];
        let (ids, weights) = self.record_words(i);
        if meta.digits || !q_numbers.is_empty() {
            let r_numbers = numbers(
                ids.iter()
                    .map(|&w| &*self.words[w as usize])
                    .filter(|w| has_digit(w)),
            );
            if r_numbers != q_numbers {
                return (0.0, false);
            }
        }
        let mut score = pair_score(q_weights, weights, |qi, rj| {
            let (q, r) = (&query[qi], ids[rj]);
            if q.id == Some(r) {
                1.0
            } else {
                q.near.iter().find(|n| n.0 == r).map_or(0.0, |n| n.1)
            }
        });
        let conflict = q_stem.is_some_and(|q| meta.stem != 0 && meta.stem != q);
        if conflict {
            score -= DOMAIN_CONFLICT;
        }
        (score, conflict)
    }

    /// The best match of `record` at or above `floor` (0–100): its domain, else the most
    /// similar name in its country.
    pub fn best(&self, record: &MatchRecord, floor: u32) -> Option<Found> {
        if let Some(d) = &record.domain
            && let Some(i) = self.domains.get(d)
        {
            return Some(Found {
                index: i,
                method: MatchMethod::Domain,
                confidence: 100,
                reason: format!("same web domain {d}"),
            });
        }
        let country_name = record.country.as_ref()?;
        let &country = self.countries.get(country_name.as_str())?;
        let query = self.query_words(&record.name);
        if query.is_empty() {
            return None;
        }
        let q_weights: Vec<f64> = query.iter().map(|q| q.weight).collect();
        let q_numbers = numbers(query.iter().map(|q| q.text.as_str()));
        let q_stem = record.domain.as_deref().map(stem_hash);
        // (score, record, domains differ), best first; then the runner-up's score.
        let mut best: Option<(f64, usize, bool)> = None;
        let mut second = 0.0f64;
        // A runner-up within the ambiguity margin of a match at the floor still counts.
        let bound = f64::from(floor) / 100.0 - AMBIGUITY_MARGIN;
        for i in self.candidates(&query, country, bound) {
            let i = i as usize;
            let (score, conflict) = self.score(&query, &q_weights, &q_numbers, q_stem, i);
            if score <= 0.0 {
                continue;
            }
            match best {
                Some((b, _, _)) if score <= b => second = second.max(score),
                _ => {
                    if let Some((b, _, _)) = best {
                        second = second.max(b);
                    }
                    best = Some((score, i, conflict));
                }
            }
        }
        let (score, i, conflict) = best?;
        let margin = score - second;
        let ambiguous = margin < AMBIGUITY_MARGIN;
        let score = if ambiguous {
            score - 2.0 * (AMBIGUITY_MARGIN - margin)
        } else {
            score
        };
        let confidence = (score.clamp(0.0, 1.0) * 100.0 + 1e-9).floor() as u32;
        if confidence < floor || confidence == 0 {
            return None;
        }
        // The reason names no company: it is shown to both sides, and the other side's
        // name is not always theirs to read.
        let mut reason = if confidence == 100 {
            format!("same company name in {country_name}")
        } else {
            format!("similar company name in {country_name} ({confidence}%)")
        };
        if conflict {
            reason.push_str("; the web domains differ");
        }
        if ambiguous {
            reason.push_str("; another account's name fits almost as well");
        }
        Some(Found {
            index: i,
            method: MatchMethod::Name,
            confidence,
            reason,
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
        name_similarity(a, b)
    }

    /// Filler accounts that make "systems", "consulting" and the like common words, as
    /// they are in a real CRM.
    fn with_common_words(mut records: Vec<MatchRecord>, country: &str) -> Vec<MatchRecord> {
        for i in 0..200 {
            let brand: String = format!("{i:03}")
                .bytes()
                .map(|b| char::from(b'k' + (b - b'0')))
                .collect();
            let industry = ["Systems", "Consulting", "Logistics", "Foods"][i % 4];
            records.push(rec(&format!("Zz{brand}q {industry}"), None, country));
        }
        records
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
    fn the_domain_index_keeps_the_first_account_of_a_domain() {
        let idx = DomainIndex::new([Some("a.com"), None, Some("b.com"), Some("a.com")]);
        assert_eq!(idx.get("a.com"), Some(0));
        assert_eq!(idx.get("b.com"), Some(2));
        assert_eq!(idx.get("c.com"), None);
        assert_eq!(idx.get("a.co"), None, "a prefix of a stored domain");
        assert_eq!(idx.get(""), None);
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
        assert_eq!(name_tokens("Globex Pty Ltd"), name_tokens("Globex Oy"));
        assert_eq!(
            name_tokens("Société Générale"),
            name_tokens("Generale Societe")
        );
        assert_eq!(
            name_tokens("Initech Ltd Systems"),
            name_tokens("Initech Systems")
        );
        assert_eq!(
            name_tokens("Kytimar Holdings Industries"),
            name_tokens("Kytimar Industries Holdings Ltd."),
            "a word the registration rules drop from the end is dropped anywhere"
        );
        assert_eq!(
            name_tokens("Inc."),
            ["inc"],
            "a name is never reduced to nothing"
        );
        assert_eq!(
            name_words("Systems Velorix Sys"),
            ["systems", "velorix", "systems"],
            "words keep their order until they become a set"
        );
    }

    #[test]
    fn one_edit_is_one_letter_inserted_dropped_replaced_or_two_swapped() {
        let e = |a: &str, b: &str| one_edit(a.as_bytes(), b.as_bytes());
        assert!(e("systems", "sytems"), "dropped");
        assert!(e("sytems", "systems"), "inserted");
        assert!(e("systems", "systens"), "replaced");
        assert!(e("systems", "ssytems"), "swapped");
        assert!(e("systems", "systesm"), "swapped at the end");
        assert!(!e("systems", "systems"), "equal is no edit");
        assert!(!e("systems", "sytesm"), "two edits");
        assert!(!e("systems", "stsyems"), "two edits");
        assert!(!e("ab", "abcd"));
    }

    #[test]
    fn a_typo_is_forgiven_only_in_long_words_without_digits() {
        assert!(word_similarity("sytems", "systems", false) > 0.9);
        assert!(
            word_similarity("sytems", "systems", false)
                > word_similarity("sytems", "systems", true),
            "a word the vendor has is less likely a typo"
        );
        assert_eq!(word_similarity("acne", "acme", false), 0.0, "short words");
        assert!(
            word_similarity("stak", "stark", false) > 0.0,
            "a dropped letter may leave four"
        );
        assert_eq!(
            word_similarity("star", "stark", true),
            0.0,
            "but not when that word is another of the vendor's"
        );
        assert_eq!(word_similarity("unit14", "unit15", false), 0.0, "digits");
        assert_eq!(
            word_similarity("velorix", "vleroxi", false),
            0.0,
            "two edits"
        );
    }

    #[test]
    fn the_same_company_spelled_differently_is_similar() {
        assert_eq!(sim("Acme Widgets Inc", "Widgets Acme"), 1.0, "word order");
        assert!(sim("Initech Systems", "Initech Sytems") >= 0.9, "a typo");
        assert!(sim("Stark Industries", "Stark Industires") >= 0.9);
        assert!(
            sim("Zürich Versicherung AG", "Zurich Versicherung") >= 0.99,
            "accents"
        );
        assert!(sim("Velorix Tech", "VELORIX TECHNOLOGY GMBH") >= 0.99);
    }

    #[test]
    fn different_companies_are_not() {
        assert!(
            sim("Northwind Traders", "Northwind Logistics") < 0.5,
            "a word on each side the other lacks"
        );
        assert!(sim("Blue Peak Consulting", "Red Peak Consulting") < 0.6);
        assert!(sim("Acme", "Acne") < 0.75, "short words must be equal");
        assert_eq!(
            sim("Acme Store 1", "Acme Store 2"),
            0.0,
            "different numbers"
        );
        assert_eq!(sim("Unit 4", "Unit 14"), 0.0);
        assert_eq!(sim("Unit 4", "Unit 4 14"), 0.0, "an extra number");
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
    fn a_typo_anywhere_in_a_word_is_found() {
        let m = Matcher::new(&[rec("Umbrella Corporation", None, "GB")]);
        for typo in [
            "Umbrela Corp",
            "Ymbrella",
            "Umbrellla",
            "Umbrelal",
            "Mubrella",
        ] {
            let f = m.best(&rec(typo, None, "GB"), 75).unwrap();
            assert_eq!(f.index, 0, "{typo}");
            assert!(
                (80..crate::mapping::DEFAULT_THRESHOLD).contains(&f.confidence),
                "a typo in a name of one word is for a person to confirm: {typo} {}",
                f.confidence
            );
        }
        assert!(
            m.best(&rec("Umbrelal Lettuce", None, "GB"), 75).is_none(),
            "a typo and an extra word"
        );
    }

    #[test]
    fn numbers_in_names_never_match_other_numbers() {
        let vendor = with_common_words(
            vec![
                rec("Velorix Foods 12", None, "US"),
                rec("Route 66 Diner", None, "US"),
            ],
            "US",
        );
        let m = Matcher::new(&vendor);
        let found = |n: &str| {
            m.best(&rec(n, None, "US"), 50)
                .map(|f| (f.index, f.confidence))
        };
        assert_eq!(found("VELORIX FOODS 012 Inc"), Some((0, 100)));
        assert_eq!(found("Velorix Foods 14"), None);
        assert_eq!(found("Velorix Foods"), None, "a number on one side only");
        assert_eq!(found("Velorix Foods 12 3"), None);
        assert_eq!(found("Route 67 Diner"), None);
    }

    #[test]
    fn accents_case_legal_forms_and_word_order_do_not_matter() {
        let vendor = with_common_words(
            vec![
                rec("Zürich Versicherung AG", None, "CH"),
                rec("Velorix Systems Inc.", None, "US"),
            ],
            "US",
        );
        let m = Matcher::new(&vendor);
        for (name, country) in [
            ("ZURICH VERSICHERUNG", "CH"),
            ("Versicherung Zurich GmbH", "CH"),
            ("Systems Velorix", "US"),
            ("VELORIX SYS LLC", "US"),
            ("Vélorix Systems S.A.", "US"),
        ] {
            let f = m.best(&rec(name, None, country), 50).unwrap();
            assert_eq!(f.confidence, 100, "{name}");
            assert_eq!(f.reason, format!("same company name in {country}"));
        }
    }

    #[test]
    fn rare_words_weigh_more_than_common_ones() {
        let vendor = with_common_words(vec![rec("Velorix Systems", None, "US")], "US");
        let m = Matcher::new(&vendor);
        let f = m.best(&rec("Velorix", None, "US"), 50).unwrap();
        assert_eq!(f.index, 0);
        assert!(
            f.confidence >= 80,
            "the rare word is most of the name: {}",
            f.confidence
        );
        assert!(
            m.best(&rec("Kantor Systems", None, "US"), 50).is_none(),
            "a common word alone is no match"
        );
        let typo_in_rare = m.best(&rec("Velorx Systems", None, "US"), 50).unwrap();
        assert_eq!(typo_in_rare.index, 0);
        assert!(typo_in_rare.confidence >= 92, "{}", typo_in_rare.confidence);
    }

    #[test]
    fn a_word_on_each_side_that_the_other_lacks_means_two_companies() {
        let vendor = with_common_words(
            vec![
                rec("Velorix Systems", None, "US"),
                rec("Blue Ridge Consulting", None, "US"),
            ],
            "US",
        );
        let m = Matcher::new(&vendor);
        for name in [
            "Velorix Logistics",
            "Blue Ridge Dental",
            "Red Ridge Consulting",
        ] {
            assert!(m.best(&rec(name, None, "US"), 75).is_none(), "{name}");
        }
    }

    #[test]
    fn a_name_that_fits_two_accounts_waits_for_a_person() {
        let vendor = with_common_words(
            vec![
                rec("Blue Ridge Consulting", None, "US"),
                rec("Acme Widget Works", None, "US"),
                rec("Blue Ridge Consulting LLC", None, "US"),
            ],
            "US",
        );
        let m = Matcher::new(&vendor);
        let f = m
            .best(&rec("Blue Ridge Consulting", None, "US"), 50)
            .unwrap();
        assert_eq!(f.index, 0, "ties go to the first");
        assert_eq!(f.confidence, 90);
        assert!(f.confidence < crate::mapping::DEFAULT_THRESHOLD);
        assert!(f.reason.contains("fits almost as well"), "{}", f.reason);
    }

    #[test]
    fn a_different_web_domain_counts_against_a_name() {
        let vendor = with_common_words(
            vec![rec("Velorix Systems", Some("velorix.com"), "US")],
            "US",
        );
        let m = Matcher::new(&vendor);
        let other = m
            .best(&rec("Velorix Systems", Some("velo-sys.net"), "US"), 50)
            .unwrap();
        assert_eq!((other.index, other.confidence), (0, 90));
        assert!(
            other.reason.contains("web domains differ"),
            "{}",
            other.reason
        );
        let regional = m
            .best(
                &rec("Velorix Systems", Some("https://velorix.de"), "US"),
                50,
            )
            .unwrap();
        assert_eq!(
            regional.confidence, 100,
            "the same domain in another top-level domain is no conflict"
        );
        let none = m.best(&rec("Velorix Systems", None, "US"), 50).unwrap();
        assert_eq!(none.confidence, 100);
    }

    #[test]
    fn the_best_of_several_candidates_wins() {
        let vendor = vec![
            rec("Acme Widgets", None, "US"),
            rec("Acme Widget Works", None, "US"),
        ];
        let m = Matcher::new(&vendor);
        let f = m.best(&rec("ACME Widgets LLC", None, "US"), 75).unwrap();
        assert_eq!((f.index, f.confidence), (0, 100));
    }

    /// The best match by scoring every account of the country, as `best` would without
    /// its index and its pruning.
    fn brute_force(
        m: &Matcher,
        vendor: &[MatchRecord],
        r: &MatchRecord,
        floor: u32,
    ) -> Option<(usize, u32)> {
        r.country.as_ref()?;
        let query = m.query_words(&r.name);
        let q_weights: Vec<f64> = query.iter().map(|q| q.weight).collect();
        let q_numbers = numbers(query.iter().map(|q| q.text.as_str()));
        let q_stem = r.domain.as_deref().map(stem_hash);
        let mut scores: Vec<(f64, usize)> = (0..vendor.len())
            .filter(|&i| vendor[i].country == r.country)
            .map(|i| (m.score(&query, &q_weights, &q_numbers, q_stem, i).0, i))
            .filter(|s| s.0 > 0.0)
            .collect();
        scores.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let (best, i) = *scores.first()?;
        let second = scores.get(1).map_or(0.0, |s| s.0);
        let margin = best - second;
        let score = best - 2.0 * (AMBIGUITY_MARGIN - margin).max(0.0);
        let c = (score.clamp(0.0, 1.0) * 100.0 + 1e-9).floor() as u32;
        (c >= floor && c > 0).then_some((i, c))
    }

    #[test]
    fn the_index_and_its_pruning_find_what_scoring_every_account_finds() {
        let syllables = [
            "ka", "lo", "mer", "vin", "tor", "sa", "bel", "dor", "fen", "gra",
        ];
        // Three industries over 5,000 accounts, most in one country: each industry word
        // is too common to look through there.
        let industries = ["Systems", "Global Dental", "Foods 12"];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize % n
        };
        let mut vendor = Vec::new();
        for _ in 0..5000 {
            let brand: String = (0..3).map(|_| syllables[next(10)]).collect();
            let industry = industries[next(3)];
            let country = ["US", "US", "US", "US", "US", "DE"][next(6)];
            vendor.push(rec(&format!("{brand} {industry}"), None, country));
        }
        vendor.push(rec("Global Systems", None, "US"));
        let m = Matcher::new(&vendor);
        assert!(m.postings(m.word_ids["systems"], m.countries["US"]).len() > CANDIDATE_BUDGET);
        let mut queries: Vec<MatchRecord> = vendor.iter().step_by(29).cloned().collect();
        for (i, q) in queries.iter_mut().enumerate() {
            let mut name: Vec<char> = q.name.chars().collect();
            if i % 3 == 0 && name.len() > 4 {
                name.remove(2);
            }
            q.name = name.into_iter().collect();
        }
        queries.push(rec("Global Systems", None, "US"));
        queries.push(rec("Global Sytems", None, "US"));
        queries.push(rec("Kalomer Global", None, "US"));
        let mut found = 0;
        for q in &queries {
            for floor in [50, 80] {
                let got = m.best(q, floor).map(|f| (f.index, f.confidence));
                assert_eq!(
                    got,
                    brute_force(&m, &vendor, q, floor),
                    "{} at {floor}",
                    q.name
                );
                found += usize::from(got.is_some());
            }
        }
        assert!(
            found > queries.len(),
            "most queries find something: {found}"
        );
    }

    #[test]
    fn matching_more_rows_reuses_the_built_index() {
        let vendor = with_common_words(vec![rec("Velorix Systems", None, "US")], "US");
        let m = Matcher::new(&vendor);
        let first: Vec<_> = (0..3)
            .map(|_| m.best(&rec("Velorix Sytems", None, "US"), 50))
            .collect();
        assert!(first.iter().all(|f| f == &first[0] && f.is_some()));
    }
}
