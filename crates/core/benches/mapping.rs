//! Account mapping at scale: a deterministic vendor CRM and a partner export with a known
//! share of true overlap and the noise real exports have, matched by the core's matcher;
//! prints time, recall and precision of each stage, and writes both files (with the truth)
//! for the DuckDB and rapidfuzz baselines of `bench/mapping.sh`.
//!
//! `cargo bench -p partnerops-core --bench mapping -- <vendor rows> <partner rows> [dir]`

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use partnerops_core::mapping::matching::{MatchMethod, MatchRecord, Matcher, normalize_domain};

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
        self.next() % 100 < pct
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mer", "vin", "tor", "sa", "bel", "dor", "fen", "gra", "hal", "is", "jun", "kel",
    "lum", "mar", "nor", "ost", "pel", "quin", "ros", "sil", "tan", "ul", "var", "wes", "xen",
    "yor", "zan", "bri", "cor", "del", "eon", "fal", "gor", "hex", "ir", "jas", "kor", "lin",
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
];
const LEGAL: &[&str] = &[
    "", " Inc.", " LLC", " GmbH", " Ltd", " S.A.", " B.V.", " Corp.",
];
const COUNTRIES: &[&str] = &["US", "DE", "GB", "FR", "NL", "ES", "IT", "SE", "CA", "AU"];

fn brand(r: &mut Rng) -> String {
    let n = 2 + r.below(2);
    let mut s: String = (0..n)
        .map(|_| SYLLABLES[r.below(SYLLABLES.len())])
        .collect();
    if let Some(f) = s.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    s
}

struct Company {
    name: String,
    domain: Option<String>,
    country: &'static str,
}

fn company(r: &mut Rng, i: usize) -> Company {
    let b = brand(r);
    let ind = INDUSTRY[r.below(INDUSTRY.len())];
    let name = format!("{b} {ind}");
    // The index keeps generated domains unique, as a CRM's are.
    let domain = format!("{}-{}{i}.example", b.to_lowercase(), ind.to_lowercase());
    Company {
        name,
        domain: Some(domain),
        country: COUNTRIES[r.below(COUNTRIES.len())],
    }
}

/// The same company as another CRM spells it.
fn noisy(r: &mut Rng, c: &Company) -> Company {
    let mut name = c.name.clone();
    if r.chance(30) {
        name.push_str(LEGAL[1 + r.below(LEGAL.len() - 1)]);
    }
    if r.chance(15) {
        name = name
            .replace("Technologies", "Tech")
            .replace("Systems", "Sys")
            .replace("Services", "Svcs");
    }
    if r.chance(10) {
        let w: Vec<&str> = name.split(' ').collect();
        if w.len() >= 2 {
            name = format!("{} {}", w[1], w[0]);
        }
    }
    if r.chance(15) {
        // A typo: a letter dropped inside the first word.
        let mut ch: Vec<char> = name.chars().collect();
        if ch.len() > 6 {
            let at = 2 + r.below(3);
            ch.remove(at);
        }
        name = ch.into_iter().collect();
    }
    if r.chance(5) {
        name = name.replacen('o', "ö", 1).replacen('e', "é", 1);
    }
    if r.chance(20) {
        name = name.to_uppercase();
    }
    let domain = if r.chance(35) {
        None
    } else {
        c.domain.as_ref().map(|d| match r.below(3) {
            0 => format!("https://www.{d}/contact"),
            1 => format!("http://{}", d.to_uppercase()),
            _ => d.clone(),
        })
    };
    Company {
        name,
        domain,
        country: c.country,
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().filter(|a| a != "--bench").collect();
    let vendor_n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let partner_n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let dir = args.get(3).cloned();
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let vendor: Vec<Company> = (0..vendor_n).map(|i| company(&mut r, i)).collect();
    let mut partner = Vec::with_capacity(partner_n);
    let mut truth: Vec<Option<usize>> = Vec::with_capacity(partner_n);
    for i in 0..partner_n {
        if r.chance(20) {
            let v = r.below(vendor_n);
            partner.push(noisy(&mut r, &vendor[v]));
            truth.push(Some(v));
        } else {
            partner.push(company(&mut r, vendor_n + i));
            truth.push(None);
        }
    }
    if let Some(dir) = &dir {
        let write = |name: &str,
                     rows: &[Company],
                     truth: Option<&[Option<usize>]>|
         -> std::io::Result<()> {
            let f = std::fs::File::create(format!("{dir}/{name}"))?;
            let mut w = std::io::BufWriter::new(f);
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
            Ok(())
        };
        write("vendor.csv", &vendor, None)?;
        write("partner.csv", &partner, Some(&truth))?;
    }
    let started = Instant::now();
    let records: Vec<MatchRecord> = vendor
        .iter()
        .map(|c| MatchRecord {
            name: c.name.clone(),
            domain: c.domain.as_deref().and_then(normalize_domain),
            country: Some(c.country.to_owned()),
        })
        .collect();
    let rows: Vec<MatchRecord> = partner
        .iter()
        .map(|c| MatchRecord {
            name: c.name.clone(),
            domain: c.domain.as_deref().and_then(normalize_domain),
            country: Some(c.country.to_owned()),
        })
        .collect();
    let prepared = started.elapsed();
    // Domain stage alone: a hash join on the normalised domain.
    let t = Instant::now();
    let index: HashMap<&str, usize> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.domain.as_deref().map(|d| (d, i)))
        .collect();
    let domain_hits: Vec<Option<usize>> = rows
        .iter()
        .map(|r| r.domain.as_deref().and_then(|d| index.get(d).copied()))
        .collect();
    let domain_time = t.elapsed();
    let domain_correct = domain_hits
        .iter()
        .zip(&truth)
        .filter(|(h, t)| h.is_some() && *h == *t)
        .count();
    let domain_found = domain_hits.iter().filter(|h| h.is_some()).count();
    // The whole matcher: domain, then names within the country.
    let t = Instant::now();
    let matcher = Matcher::new(&records);
    let built = t.elapsed();
    let t = Instant::now();
    let found: Vec<_> = rows.iter().map(|r| matcher.best(r, 80)).collect();
    let matched = t.elapsed();
    let positives = truth.iter().filter(|t| t.is_some()).count();
    for threshold in [80u32, 85, 88, 90, 92, 95] {
        let (mut tp, mut fp) = (0, 0);
        for (f, t) in found.iter().zip(&truth) {
            if let Some(f) = f
                && (f.method == MatchMethod::Domain || f.confidence >= threshold)
            {
                if Some(f.index) == *t {
                    tp += 1;
                } else {
                    fp += 1;
                }
            }
        }
        println!(
            "names at >= {threshold}%: recall {:.1}% precision {:.1}% ({tp} right, {fp} wrong of {positives} true)",
            100.0 * tp as f64 / positives.max(1) as f64,
            100.0 * tp as f64 / (tp + fp).max(1) as f64
        );
    }
    // Incremental: 1,000 more partner rows against the built matcher.
    let t = Instant::now();
    let extra = rows
        .iter()
        .cycle()
        .take(1000)
        .filter(|r| matcher.best(r, 80).is_some())
        .count();
    let incremental = t.elapsed();
    println!("vendor rows {vendor_n}, partner rows {partner_n}, true overlap {positives}");
    println!("prepare (normalise domains) {:.2?}", prepared);
    println!(
        "domain stage {:.2?}: {domain_found} found, {domain_correct} right",
        domain_time
    );
    println!("matcher built in {:.2?}, matched in {:.2?}", built, matched);
    println!(
        "1,000 more rows matched in {:.2?} ({extra} found)",
        incremental
    );
    Ok(())
}
