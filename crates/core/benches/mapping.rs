//! Account mapping at scale: a deterministic vendor CRM and a partner export with a known
//! share of true overlap and the noise real exports have, and the core's matcher measured
//! against their ground truth. `bench/mapping.sh` runs it in three steps, each its own
//! process so that its time and peak memory are its own:
//!
//! ```text
//! cargo bench -p partnerops-core --bench mapping -- gen <vendor rows> <partner rows> <dir>
//! cargo bench -p partnerops-core --bench mapping -- domain <dir>
//! cargo bench -p partnerops-core --bench mapping -- names <dir>
//! ```
//!
//! `gen` writes `vendor.csv`, `partner.csv` (with the truth: the vendor row of the same
//! company, or nothing) and `extra.csv` (1,000 more partner rows, the incremental test).
//! `domain` reads the two files and joins them on the normalised domain, as DuckDB does in
//! the script. `names` builds the matcher once and matches every partner row (domain, then
//! the name within the country), prints recall and precision per threshold, then matches
//! the 1,000 extra rows against the same matcher.
//!
//! # What the generated data is like
//!
//! Company names come from four families, so that distinct companies do have similar names
//! (as they do in a real CRM), without a name space so small that most names repeat:
//! - an invented brand word (2 to 4 syllables of 98) and an industry word ("Velorix
//!   Systems"), sometimes a second word ("Group", "International", "Partners");
//! - two common words and an industry ("Blue Ridge Consulting"): these repeat across
//!   countries and clash within one;
//! - a sibling of an earlier company: the same brand in another industry in the same
//!   country ("Velorix Systems" and "Velorix Logistics");
//! - a numbered branch ("Velorix Foods 12" and "Velorix Foods 14").
//!
//! The partner's export has the same families, and 6% of its non-overlapping rows are hard
//! negatives made from a vendor company: another industry, another number, or the same
//! name in another country. Every partner row, overlapping or not, gets the noise of a
//! real export: legal forms, abbreviations, swapped words, one typo (a letter dropped,
//! replaced, doubled, or two swapped) in any word, accents, case, `www.`, schemes and paths
//! in URLs, missing domains, and on 4% of the overlapping rows another domain of the same
//! company (another TLD, or another name). The vendor side has its own legal forms, URL shapes and 10%
//! missing domains.

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use partnerops_core::mapping::matching::{
    DomainIndex, MatchMethod, MatchRecord, Matcher, name_tokens, normalize_domain,
};

/// xorshift64*: the same data on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 1000 < pct * 10
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mer", "vin", "tor", "sa", "bel", "dor", "fen", "gra", "hal", "is", "jun", "kel",
    "lum", "mar", "nor", "ost", "pel", "quin", "ros", "sil", "tan", "ul", "var", "wes", "xen",
    "yor", "zan", "bri", "cor", "del", "eon", "fal", "gor", "hex", "ir", "jas", "kor", "lin",
    "ami", "bra", "cel", "dri", "esk", "fro", "gil", "hum", "ida", "jor", "kra", "lex", "mon",
    "nex", "ora", "pra", "qua", "rix", "sto", "tri", "ura", "vel", "wor", "xi", "yen", "zor", "ab",
    "ben", "cy", "dax", "em", "fin", "go", "hy", "in", "ju", "ky", "lan", "mi", "nu", "op", "pi",
    "ru", "sen", "tu", "vo", "wa", "zy", "al", "ber", "ca", "do", "el", "fa", "ge", "ho", "ti",
    "na",
];
const COMMON_A: &[&str] = &[
    "Blue", "Red", "Green", "North", "South", "East", "West", "Silver", "Golden", "Iron", "Stone",
    "River", "Lake", "Bright", "Clear", "Summit", "Pacific", "Atlantic", "Central", "Royal",
    "First", "Prime", "Grand", "Old", "New", "High", "Deep", "Rapid", "Swift", "Urban", "Coastal",
    "Alpine", "Crystal", "Maple", "Cedar", "Pine", "Eagle", "Falcon", "Lion", "Wolf", "Bear",
    "Fox", "Star", "Sun", "Moon", "Sky", "Ocean", "Harbor", "Valley", "Meadow", "Forest",
    "Granite", "Copper", "Amber", "Ivory", "Scarlet", "Azure", "Emerald", "Sterling", "Liberty",
    "Pioneer", "Frontier", "Heritage", "Legacy", "Keystone", "Bay", "Hill", "Field", "Park",
    "Bridge", "Rock", "Spring", "Brook", "Glen", "Crest", "Point", "Gate", "Tower", "Castle",
    "Crown",
];
const COMMON_B: &[&str] = &[
    "Ridge", "Peak", "Oak", "Harbor", "Star", "Bridge", "Point", "Rock", "Wave", "Path", "Light",
    "Stream", "Field", "Gate", "Stone", "Line", "Way", "Works", "Hill", "Creek", "Grove", "Haven",
    "Crest", "Mill", "Port", "Shore", "Wood", "Water", "Wind", "Fire", "Leaf", "Root", "Arrow",
    "Anchor", "Compass", "Beacon", "Horizon", "Vista", "Summit", "Trail", "Bay", "Dale", "Ford",
    "Marsh", "Moor", "Heath", "Cliff", "Cove", "Isle", "Pond", "Spring", "Falls", "Canyon", "Mesa",
    "Plains", "Meadow", "Orchard", "Garden", "Forge", "Foundry", "Quarry", "Tower", "Hall",
    "Court", "Square", "Circle", "Key", "Sail", "Keel", "Helm", "Mast", "Crown", "Shield", "Lance",
    "Blade", "Hammer", "Anvil", "Loom", "Wheel",
];
const INDUSTRY: &[&str] = &[
    "Systems",
    "Technologies",
    "Logistics",
    "Consulting",
    "Health",
    "Energy",
    "Foods",
    "Labs",
    "Solutions",
    "Services",
    "Manufacturing",
    "Capital",
    "Media",
    "Robotics",
    "Analytics",
    "Software",
    "Networks",
    "Dental",
    "Pharma",
    "Insurance",
    "Realty",
    "Construction",
    "Engineering",
    "Design",
    "Marketing",
    "Security",
    "Legal",
    "Finance",
    "Motors",
    "Textiles",
    "Chemicals",
    "Electric",
    "Aviation",
    "Marine",
    "Farms",
    "Brewing",
    "Studios",
    "Clinic",
    "Hotels",
    "Retail",
    "Industries",
    "International",
];
const SECOND: &[&str] = &["Group", "International", "Partners", "Holdings", "Global"];
const LEGAL: &[&str] = &[
    " Inc.",
    " Inc",
    " LLC",
    " GmbH",
    " Ltd",
    " Ltd.",
    " S.A.",
    " B.V.",
    " Corp.",
    " AG",
    " Pty Ltd",
    " S.r.l.",
    " SAS",
    " Oy",
    " AB",
    " plc",
    " Limited",
    " Corporation",
];
const COUNTRIES: &[&str] = &["US", "DE", "GB", "FR", "NL", "ES", "IT", "SE", "CA", "AU"];
const TLDS: &[&str] = &[
    "com", "net", "io", "co", "de", "fr", "co.uk", "nl", "es", "it",
];

fn brand_word(r: &mut Rng) -> String {
    let n = match r.below(100) {
        0..20 => 2,
        20..80 => 3,
        _ => 4,
    };
    let mut s: String = (0..n).map(|_| r.pick(SYLLABLES)).collect();
    if let Some(f) = s.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    s
}

#[derive(Clone)]
struct Company {
    name: String,
    /// The bare domain (`velorix-7k2.com`), the same company's in both files.
    domain: Option<String>,
    country: &'static str,
}

/// The part of a name before its industry word, and the industry word's index.
fn split_industry(name: &str) -> Option<(String, usize)> {
    let words: Vec<&str> = name.split(' ').collect();
    words.iter().enumerate().rev().find_map(|(at, w)| {
        INDUSTRY
            .iter()
            .position(|i| i == w)
            .map(|k| (words[..at].join(" "), k))
    })
}

fn slug(name: &str, i: usize) -> String {
    let base: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect();
    // The index (base 36) keeps domains unique, as a CRM's are.
    let mut n = i;
    let mut tag = String::new();
    loop {
        tag.push(char::from_digit((n % 36) as u32, 36).unwrap_or('0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    format!("{base}-{tag}")
}

/// A new company; `earlier` (same country) may lend it a brand as a sibling.
fn company(r: &mut Rng, i: usize, earlier: &[Company]) -> Company {
    let country = r.pick(COUNTRIES);
    let kind = r.below(100);
    let name = if kind < 3 && !earlier.is_empty() {
        // A sibling: the brand of an earlier company, another industry, same country.
        let e = &earlier[r.below(earlier.len())];
        let base = split_industry(&e.name).map_or_else(|| e.name.clone(), |(b, _)| b);
        let c = Company {
            name: format!("{base} {}", r.pick(INDUSTRY)),
            domain: None,
            country: e.country,
        };
        let tld = r.pick(TLDS);
        return Company {
            domain: Some(format!("{}.{tld}", slug(&c.name, i))),
            ..c
        };
    } else if kind < 6 {
        // A numbered branch.
        format!("{} {} {}", brand_word(r), r.pick(INDUSTRY), 1 + r.below(60))
    } else if kind < 18 {
        format!(
            "{} {} {}",
            r.pick(COMMON_A),
            r.pick(COMMON_B),
            r.pick(INDUSTRY)
        )
    } else {
        let mut n = brand_word(r);
        if r.chance(92) {
            n = format!("{n} {}", r.pick(INDUSTRY));
        }
        if r.chance(12) {
            n = format!("{n} {}", r.pick(SECOND));
        }
        n
    };
    let tld = r.pick(TLDS);
    Company {
        domain: Some(format!("{}.{tld}", slug(&name, i))),
        name,
        country,
    }
}

/// A hard negative: a different company made from a vendor one.
fn near_miss(r: &mut Rng, v: &Company, i: usize) -> Company {
    let name = match r.below(3) {
        0 => match split_industry(&v.name) {
            Some((base, k)) => {
                let other = (k + 1 + r.below(INDUSTRY.len() - 1)) % INDUSTRY.len();
                format!("{base} {}", INDUSTRY[other])
            }
            None => format!("{} {}", v.name, r.pick(INDUSTRY)),
        },
        1 => {
            let words: Vec<&str> = v.name.split(' ').collect();
            match words.last().and_then(|w| w.parse::<usize>().ok()) {
                Some(n) => format!("{} {}", words[..words.len() - 1].join(" "), n + 1),
                None => format!("{} {}", v.name, 2 + r.below(9)),
            }
        }
        _ => v.name.clone(),
    };
    let country = if name == v.name {
        // The same name in another country is another company.
        loop {
            let c = r.pick(COUNTRIES);
            if c != v.country {
                break c;
            }
        }
    } else {
        v.country
    };
    Company {
        domain: Some(format!("{}.{}", slug(&name, i), r.pick(TLDS))),
        name,
        country,
    }
}

/// One typo in a word of five letters or more: a letter dropped, replaced, doubled, or two
/// neighbours swapped.
fn typo(r: &mut Rng, name: &str) -> String {
    let words: Vec<&str> = name.split(' ').collect();
    let long: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].chars().count() >= 5 && words[i].chars().all(char::is_alphabetic))
        .collect();
    if long.is_empty() {
        return name.to_owned();
    }
    let at = long[r.below(long.len())];
    let mut ch: Vec<char> = words[at].chars().collect();
    let p = 1 + r.below(ch.len() - 2);
    match r.below(4) {
        0 => {
            ch.remove(p);
        }
        1 => ch[p] = (b'a' + r.below(26) as u8) as char,
        2 => ch.insert(p, ch[p]),
        _ => ch.swap(p, p + 1),
    }
    let word: String = ch.into_iter().collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| if i == at { word.as_str() } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

fn url(r: &mut Rng, d: &str) -> String {
    match r.below(5) {
        0 => format!("https://www.{d}/contact"),
        1 => format!("http://{}", d.to_uppercase()),
        2 => format!("www.{d}"),
        3 => format!("https://{d}/"),
        _ => d.to_owned(),
    }
}

/// The same company as a partner's CRM spells it.
fn noisy(r: &mut Rng, c: &Company, overlap: bool) -> Company {
    let mut name = c.name.clone();
    if r.chance(15) {
        name = name
            .replace("Technologies", "Tech")
            .replace("Systems", "Sys")
            .replace("Services", "Svcs")
            .replace("International", "Intl")
            .replace("Manufacturing", "Mfg")
            .replace("Industries", "Ind");
    }
    if r.chance(10) {
        let mut w: Vec<&str> = name.split(' ').collect();
        if w.len() >= 2 {
            let k = r.below(w.len() - 1);
            w.swap(k, k + 1);
            name = w.join(" ");
        }
    }
    if r.chance(15) {
        name = typo(r, &name);
    }
    if r.chance(5) {
        name = name
            .replacen('o', "ö", 1)
            .replacen('e', "é", 1)
            .replacen('u', "ü", 1);
    }
    if r.chance(30) {
        name.push_str(r.pick(LEGAL));
    }
    if r.chance(3) {
        name = format!("The {name}");
    }
    match r.below(100) {
        0..20 => name = name.to_uppercase(),
        20..25 => name = name.to_lowercase(),
        _ => {}
    }
    let domain = if r.chance(30) {
        None
    } else if overlap && r.chance(4) {
        // The same company under another of its domains: another top-level domain, or
        // another name altogether (an old brand, a group domain).
        c.domain.as_ref().map(|d| {
            let stem = d.split('.').next().unwrap_or(d);
            if r.chance(50) {
                format!("{stem}.{}", r.pick(&["ch", "at", "be", "se", "eu"]))
            } else {
                format!("{stem}-group.com")
            }
        })
    } else {
        c.domain.clone()
    };
    Company {
        name,
        domain: domain.map(|d| url(r, &d)),
        country: c.country,
    }
}

/// The vendor's CRM spelling of its own company.
fn vendor_row(r: &mut Rng, c: &Company) -> Company {
    let mut name = c.name.clone();
    if r.chance(40) {
        name.push_str(r.pick(LEGAL));
    }
    if r.chance(3) {
        name = name.replacen('a', "ä", 1).replacen('e', "è", 1);
    }
    let domain = if r.chance(10) {
        None
    } else {
        c.domain.as_ref().map(|d| url(r, d))
    };
    Company {
        name,
        domain,
        country: c.country,
    }
}

fn write_csv(path: &str, rows: &[Company], truth: Option<&[Option<usize>]>) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "id,name,website,country,truth")?;
    for (i, c) in rows.iter().enumerate() {
        let t = truth
            .and_then(|t| t[i])
            .map_or(String::new(), |v| v.to_string());
        writeln!(
            w,
            "{i},\"{}\",{},{},{t}",
            c.name.replace('"', "\"\""),
            c.domain.clone().unwrap_or_default(),
            c.country
        )?;
    }
    w.flush()
}

fn generate(vendor_n: usize, partner_n: usize, dir: &str) -> std::io::Result<()> {
    let t = Instant::now();
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut truth_companies: Vec<Company> = Vec::with_capacity(vendor_n);
    for i in 0..vendor_n {
        let window = &truth_companies[truth_companies.len().saturating_sub(5000)..];
        let c = company(&mut r, i, window);
        truth_companies.push(c);
    }
    let vendor: Vec<Company> = truth_companies
        .iter()
        .map(|c| vendor_row(&mut r, c))
        .collect();
    let total = partner_n + 1000;
    let mut partner = Vec::with_capacity(total);
    let mut truth: Vec<Option<usize>> = Vec::with_capacity(total);
    for i in 0..total {
        if r.chance(20) {
            let v = r.below(vendor_n);
            partner.push(noisy(&mut r, &truth_companies[v], true));
            truth.push(Some(v));
        } else {
            let c = if r.chance(6) {
                let v = r.below(vendor_n);
                near_miss(&mut r, &truth_companies[v], vendor_n + i)
            } else {
                company(&mut r, vendor_n + i, &[])
            };
            partner.push(noisy(&mut r, &c, false));
            truth.push(None);
        }
    }
    write_csv(&format!("{dir}/vendor.csv"), &vendor, None)?;
    write_csv(
        &format!("{dir}/partner.csv"),
        &partner[..partner_n],
        Some(&truth[..partner_n]),
    )?;
    write_csv(
        &format!("{dir}/extra.csv"),
        &partner[partner_n..],
        Some(&truth[partner_n..]),
    )?;
    // How often the data is ambiguous by name alone: partner rows whose normalised name
    // and country equal a vendor row that is not their company.
    let mut by_name: HashMap<(Vec<String>, &str), Vec<usize>> = HashMap::new();
    for (i, c) in vendor.iter().enumerate() {
        by_name
            .entry((name_tokens(&c.name), c.country))
            .or_default()
            .push(i);
    }
    let vendor_dups: usize = by_name.values().filter(|v| v.len() > 1).map(Vec::len).sum();
    let clashes = partner[..partner_n]
        .iter()
        .zip(&truth)
        .filter(|(p, t)| {
            by_name
                .get(&(name_tokens(&p.name), p.country))
                .is_some_and(|ids| ids.iter().any(|i| Some(*i) != **t))
        })
        .count();
    println!(
        "generated {vendor_n} vendor and {partner_n} (+1,000) partner rows in {:.1?}: {} true overlaps; {vendor_dups} vendor rows share their exact name and country with another; {clashes} partner rows have the exact name of a vendor row in their country that is another company",
        t.elapsed(),
        truth[..partner_n].iter().filter(|t| t.is_some()).count()
    );
    Ok(())
}

/// The lowest threshold reported: matches below it are not looked for.
const FLOOR: u32 = 70;

struct Row {
    name: String,
    website: String,
    country: String,
    truth: Option<usize>,
}

/// Reads one of the generated files (`id,name,website,country,truth`).
fn read_csv(path: &str) -> std::io::Result<Vec<Row>> {
    let f = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut rd = csv::ReaderBuilder::new().has_headers(true).from_reader(f);
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    while rd.read_record(&mut rec).map_err(std::io::Error::other)? {
        out.push(Row {
            name: rec[1].to_owned(),
            website: rec[2].to_owned(),
            country: rec[3].to_owned(),
            truth: rec[4].parse().ok(),
        });
    }
    Ok(out)
}

/// Calls `each` with the normalised domain of every row of one file, as it is read.
fn read_domains(path: &str, mut each: impl FnMut(Option<&str>)) -> std::io::Result<()> {
    let f = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut rd = csv::ReaderBuilder::new().has_headers(true).from_reader(f);
    let mut rec = csv::ByteRecord::new();
    while rd
        .read_byte_record(&mut rec)
        .map_err(std::io::Error::other)?
    {
        let raw = std::str::from_utf8(&rec[2]).unwrap_or("");
        let d = if raw.is_empty() {
            None
        } else {
            normalize_domain(raw)
        };
        each(d.as_deref());
    }
    Ok(())
}

/// The domain stage alone, from the files to the pairs: the vendor file read into the
/// index while the partner file is read on the other core (DuckDB reads on both).
fn domain_stage(dir: &str) -> std::io::Result<()> {
    let t = Instant::now();
    let (index, partner) = std::thread::scope(|s| {
        let v = s.spawn(|| {
            let mut index = DomainIndex::with_capacity(1 << 20);
            read_domains(&format!("{dir}/vendor.csv"), |d| index.push(d)).map(|()| index)
        });
        let mut partner: Vec<Option<String>> = Vec::new();
        let p = read_domains(&format!("{dir}/partner.csv"), |d| {
            partner.push(d.map(str::to_owned));
        });
        (
            v.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the vendor reader panicked"))),
            p.map(|()| partner),
        )
    });
    let (index, partner) = (index?, partner?);
    let mut n = 0u64;
    let mut checksum = 0u128;
    for (p, d) in partner.iter().enumerate() {
        if let Some(v) = d.as_deref().and_then(|d| index.get(d)) {
            n += 1;
            checksum += p as u128 * 1_000_003 + v as u128;
        }
    }
    println!(
        "ours domain join: {n} matches (checksum {checksum}) in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn record(r: &Row) -> MatchRecord {
    MatchRecord {
        name: r.name.clone(),
        domain: normalize_domain(&r.website),
        country: (!r.country.is_empty()).then(|| r.country.clone()),
    }
}

fn names_stage(dir: &str) -> std::io::Result<()> {
    let vendor = read_csv(&format!("{dir}/vendor.csv"))?;
    let partner = read_csv(&format!("{dir}/partner.csv"))?;
    let extra = read_csv(&format!("{dir}/extra.csv"))?;
    let t = Instant::now();
    let records: Vec<MatchRecord> = vendor.iter().map(record).collect();
    let matcher = Matcher::new(&records);
    let built = t.elapsed();
    let t = Instant::now();
    let found: Vec<_> = partner
        .iter()
        .map(|p| matcher.best(&record(p), FLOOR))
        .collect();
    let matched = t.elapsed();
    let positives = partner.iter().filter(|p| p.truth.is_some()).count();
    let by_domain = found
        .iter()
        .flatten()
        .filter(|f| f.method == MatchMethod::Domain)
        .count();
    println!(
        "ours: vendor rows {}, partner rows {}, true overlap {positives}, {by_domain} found by domain",
        vendor.len(),
        partner.len()
    );
    for threshold in [70u32, 75, 80, 85, 88, 90, 92, 95] {
        let (mut tp, mut fp) = (0, 0);
        for (f, p) in found.iter().zip(&partner) {
            if let Some(f) = f
                && (f.method == MatchMethod::Domain || f.confidence >= threshold)
            {
                if Some(f.index) == p.truth {
                    tp += 1;
                } else {
                    fp += 1;
                }
            }
        }
        println!(
            "ours names at >= {threshold}%: recall {:.2}% precision {:.2}% ({tp} right, {fp} wrong of {positives} true)",
            100.0 * tp as f64 / positives.max(1) as f64,
            100.0 * tp as f64 / (tp + fp).max(1) as f64
        );
    }
    println!(
        "ours matcher built in {:.2} s, {} rows matched in {:.2} s, together {:.2} s",
        built.as_secs_f64(),
        partner.len(),
        matched.as_secs_f64(),
        (built + matched).as_secs_f64()
    );
    // Incremental: 1,000 more rows against the matcher already built.
    let t = Instant::now();
    let extra_found: Vec<_> = extra
        .iter()
        .map(|p| matcher.best(&record(p), FLOOR))
        .collect();
    let incremental = t.elapsed();
    let right = extra_found
        .iter()
        .zip(&extra)
        .filter(|(f, p)| f.as_ref().is_some_and(|f| Some(f.index) == p.truth))
        .count();
    println!(
        "ours 1,000 more rows matched in {:.1} ms ({right} of {} true found)",
        incremental.as_secs_f64() * 1000.0,
        extra.iter().filter(|p| p.truth.is_some()).count()
    );
    if std::env::var_os("BENCH_MISSES").is_some() {
        // Every row wrong at 92%: what it got (name, confidence, reason) and what it wanted.
        for (f, p) in found.iter().zip(&partner) {
            let hit = f
                .as_ref()
                .filter(|f| f.confidence >= 92 || f.method == MatchMethod::Domain);
            if hit.map(|f| f.index) != p.truth {
                println!(
                    "MISS {:?} [{}] -> got {:?} want {:?}{}",
                    p.name,
                    p.country,
                    f.as_ref().map(|f| (
                        vendor[f.index].name.as_str(),
                        f.confidence,
                        f.reason.as_str()
                    )),
                    p.truth.map(|t| vendor[t].name.as_str()),
                    if f.as_ref().map(|f| f.index) == p.truth {
                        " (right, below 92)"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().filter(|a| a != "--bench").collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(1).as_str() {
        "gen" => generate(
            arg(2).parse().unwrap_or(1_000_000),
            arg(3).parse().unwrap_or(200_000),
            &arg(4),
        ),
        "domain" => domain_stage(&arg(2)),
        "names" => names_stage(&arg(2)),
        _ => {
            eprintln!("usage: mapping gen <vendor> <partner> <dir> | domain <dir> | names <dir>");
            Ok(())
        }
    }
}
