//! The plan: every record the seed writes, drawn from one seeded RNG before anything touches
//! the database. Keeping generation pure makes determinism a property of this module alone
//! (the writer may then run creates concurrently) and lets it be tested without a store.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use partnerops_core::account::AccountStatus;
use partnerops_core::country::Region;
use partnerops_core::partner::{PartnerStatus, PartnerType};
use partnerops_core::user::Role;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use crate::words::{
    ACCOUNT_STEMS, ACCOUNT_SUFFIXES, COUNTRIES, CountryInfo, FIRST_NAMES, INDUSTRY_WEIGHTS,
    LAST_NAMES, PARTNER_STEMS, VERTICALS, partner_suffixes,
};
use crate::{DEMO_PASSWORD, DemoLogin, SeedSpec};

/// Joined dates count back from this day, not from the clock, so output is reproducible.
pub(crate) fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
}

/// The three programs, in the order the seed creates them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ProgramSlot {
    Reseller,
    Referral,
    Technology,
}

impl ProgramSlot {
    pub(crate) const ALL: [ProgramSlot; 3] = [
        ProgramSlot::Reseller,
        ProgramSlot::Referral,
        ProgramSlot::Technology,
    ];

    pub(crate) fn index(self) -> usize {
        match self {
            ProgramSlot::Reseller => 0,
            ProgramSlot::Referral => 1,
            ProgramSlot::Technology => 2,
        }
    }

    /// Types a program's partners take: the first ones cycle through `forced` (so a small
    /// seed still shows every type), the rest are drawn by weight.
    fn types(self) -> (&'static [PartnerType], &'static [(PartnerType, u32)]) {
        use PartnerType::*;
        match self {
            ProgramSlot::Reseller => (
                &[Reseller, Msp, SystemIntegrator, Marketplace],
                &[
                    (Reseller, 45),
                    (Msp, 25),
                    (SystemIntegrator, 22),
                    (Marketplace, 8),
                ],
            ),
            ProgramSlot::Referral => (&[Referral, Consultant], &[(Referral, 60), (Consultant, 40)]),
            ProgramSlot::Technology => (&[Technology], &[(Technology, 85), (SystemIntegrator, 15)]),
        }
    }
}

/// A user to create. Only a handful carry the demo password: Argon2 is slow on purpose.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UserPlan {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub with_password: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PartnerPlan {
    pub name: String,
    pub web_domain: String,
    pub partner_type: PartnerType,
    pub program: ProgramSlot,
    /// 1 Registered, 2 Select, 3 Premier (the default ladder).
    pub tier_rank: i32,
    pub status: PartnerStatus,
    pub country: &'static str,
    pub regions: Vec<Region>,
    pub verticals: Vec<String>,
    pub joined_on: NaiveDate,
    /// The partner admin first, then its reps.
    pub users: Vec<UserPlan>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AccountPlan {
    pub name: String,
    pub web_domain: String,
    pub country: &'static str,
    pub industry: &'static str,
    pub status: AccountStatus,
    /// Index into [`Plan::sales_reps`].
    pub owner: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    pub staff: Vec<UserPlan>,
    pub partners: Vec<PartnerPlan>,
    pub accounts: Vec<AccountPlan>,
}

impl Plan {
    /// Draws the whole plan. Partners are drawn before accounts from the same RNG, so the
    /// partner part (and with it the demo logins) does not depend on `spec.accounts`.
    pub(crate) fn new(spec: &SeedSpec) -> Plan {
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let mut taken = Taken::default();
        let partners = plan_partners(&mut rng, spec.partners, &mut taken);
        let accounts = plan_accounts(&mut rng, spec.accounts, &mut taken);
        Plan {
            staff: staff(),
            partners,
            accounts,
        }
    }

    /// Only the staff and partners (for listing logins without drawing thousands of accounts).
    pub(crate) fn without_accounts(spec: &SeedSpec) -> Plan {
        Plan::new(&SeedSpec {
            accounts: 0,
            ..*spec
        })
    }

    /// Staff e-mails of the direct sales reps, in order.
    pub(crate) fn sales_reps(&self) -> Vec<&str> {
        self.staff
            .iter()
            .filter(|u| u.role == Role::DirectSales)
            .map(|u| u.email.as_str())
            .collect()
    }

    pub(crate) fn logins(&self) -> Vec<DemoLogin> {
        let staff = self.staff.iter().map(|u| (u, None));
        let partner_users = self
            .partners
            .iter()
            .flat_map(|p| p.users.iter().map(move |u| (u, Some(&p.name))));
        staff
            .chain(partner_users)
            .filter(|(u, _)| u.with_password)
            .map(|(u, partner)| DemoLogin {
                email: u.email.clone(),
                password: DEMO_PASSWORD.to_owned(),
                role: u.role,
                partner_name: partner.cloned(),
            })
            .collect()
    }
}

fn staff() -> Vec<UserPlan> {
    let u = |email: &str, name: &str, role, with_password| UserPlan {
        email: email.to_owned(),
        display_name: name.to_owned(),
        role,
        with_password,
    };
    vec![
        u("admin@vendor.example", "Avery Admin", Role::Admin, true),
        u(
            "channel@vendor.example",
            "Casey Channel",
            Role::ChannelManager,
            true,
        ),
        u(
            "sales1@vendor.example",
            "Sam Sellers",
            Role::DirectSales,
            false,
        ),
        u(
            "sales2@vendor.example",
            "Sydney Stone",
            Role::DirectSales,
            false,
        ),
        u(
            "sales3@vendor.example",
            "Skyler Shaw",
            Role::DirectSales,
            false,
        ),
        u(
            "finance@vendor.example",
            "Frankie Finch",
            Role::MarketingFinance,
            false,
        ),
    ]
}

/// Names and domains already used, across partners and accounts.
#[derive(Default)]
struct Taken {
    names: HashSet<String>,
    domains: HashSet<String>,
}

impl Taken {
    /// Claims a base name and its domain if both are free.
    fn claim(&mut self, base: &str, tld: &str) -> Option<String> {
        let domain = format!("{}.{tld}", domain_label(base));
        if self.names.contains(base) || self.domains.contains(&domain) {
            return None;
        }
        self.names.insert(base.to_owned());
        self.domains.insert(domain.clone());
        Some(domain)
    }
}

/// "Bluepeak Cloud Services" -> "bluepeakcloudservices": lowercase letters and digits only.
fn domain_label(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Draws an index with probability proportional to its weight (weights must not all be 0).
fn weighted(rng: &mut StdRng, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u32 = weights.clone().sum();
    let mut x = rng.random_range(0..total.max(1));
    for (i, w) in weights.enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    0
}

/// `n` values split by `shares` (percentages) with largest remainders, in shuffled order,
/// so proportions hold exactly instead of only on average.
fn quota<T: Copy>(rng: &mut StdRng, n: usize, shares: &[(T, usize)]) -> Vec<T> {
    let total: usize = shares.iter().map(|(_, s)| s).sum::<usize>().max(1);
    let mut counts: Vec<usize> = shares.iter().map(|(_, s)| n * s / total).collect();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by_key(|&i| std::cmp::Reverse((n * shares[i].1) % total));
    let mut missing = n - counts.iter().sum::<usize>();
    for &i in by_remainder.iter().cycle().take(shares.len() * 2) {
        if missing == 0 {
            break;
        }
        counts[i] += 1;
        missing -= 1;
    }
    let mut out: Vec<T> = shares
        .iter()
        .zip(counts)
        .flat_map(|((v, _), c)| std::iter::repeat_n(*v, c))
        .collect();
    out.shuffle(rng);
    out
}

/// Moves an element matching `want` to the front (a no-op when none does).
fn front<T>(items: &mut [T], want: impl Fn(&T) -> bool) {
    if let Some(i) = items.iter().position(want) {
        items.swap(0, i);
    }
}

fn plan_partners(rng: &mut StdRng, n: usize, taken: &mut Taken) -> Vec<PartnerPlan> {
    // Most partners resell; below three partners every one goes to the reseller program.
    let mut programs = if n >= 3 {
        quota(
            rng,
            n,
            &[
                (ProgramSlot::Reseller, 65),
                (ProgramSlot::Referral, 20),
                (ProgramSlot::Technology, 15),
            ],
        )
    } else {
        vec![ProgramSlot::Reseller; n]
    };
    front(&mut programs, |p| *p == ProgramSlot::Reseller);

    let mut statuses = quota(
        rng,
        n,
        &[
            (PartnerStatus::Active, 71),
            (PartnerStatus::Onboarding, 15),
            (PartnerStatus::Applicant, 5),
            (PartnerStatus::Suspended, 4),
            (PartnerStatus::Sunset, 5),
        ],
    );
    front(&mut statuses, |s| *s == PartnerStatus::Active);

    // Only partners that have proven themselves climb: applicants, onboarding and sunset
    // partners sit on the entry tier. Among the rest the ladder is a pyramid.
    let climbers: Vec<usize> = (0..n)
        .filter(|&i| {
            matches!(
                statuses[i],
                PartnerStatus::Active | PartnerStatus::Suspended
            )
        })
        .collect();
    let mut climber_ranks = quota(rng, climbers.len(), &[(1, 45), (2, 35), (3, 20)]);
    // The first partner is the demo partner: active, and above the entry tier.
    front(&mut climber_ranks, |r| *r >= 2);
    if let Some(r) = climber_ranks.first_mut() {
        *r = (*r).max(2);
    }
    let mut ranks = vec![1; n];
    for (&i, &r) in climbers.iter().zip(&climber_ranks) {
        ranks[i] = r;
    }

    // The first partners each get a different country so that even a small seed is spread
    // across the map; the rest follow the weights.
    let mut distinct: Vec<&CountryInfo> =
        COUNTRIES.iter().filter(|c| c.partner_weight > 0).collect();
    distinct.shuffle(rng);

    let mut seen_per_program = [0usize; 3];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let program = programs[i];
        let k = seen_per_program[program.index()];
        seen_per_program[program.index()] += 1;
        let (forced, weights) = program.types();
        let partner_type = match forced.get(k) {
            Some(t) => *t,
            None => weights[weighted(rng, weights.iter().map(|(_, w)| *w))].0,
        };
        let country = match distinct.get(i) {
            Some(c) => *c,
            None => &COUNTRIES[weighted(rng, COUNTRIES.iter().map(|c| c.partner_weight))],
        };
        let (name, web_domain) = partner_name(rng, partner_type, country, taken);
        let status = statuses[i];
        let days_ago = match status {
            PartnerStatus::Applicant => rng.random_range(0..45),
            PartnerStatus::Onboarding => rng.random_range(20..150),
            _ => rng.random_range(150..3 * 365),
        };
        let reps = if i == 0 {
            1 + rng.random_range(0..2)
        } else {
            rng.random_range(0..3)
        };
        let users = partner_users(rng, &web_domain, reps, i == 0);
        out.push(PartnerPlan {
            name,
            web_domain,
            partner_type,
            program,
            tier_rank: ranks[i],
            status,
            country: country.code,
            regions: regions(rng, country.region),
            verticals: verticals(rng),
            joined_on: base_date() - Duration::days(days_ago),
            users,
        });
    }
    out
}

/// A unique partner name and its domain: stem + a word fitting the type, often with the
/// country's legal form ("Bluepeak Consulting GmbH", domain bluepeakconsulting.de).
fn partner_name(
    rng: &mut StdRng,
    t: PartnerType,
    c: &CountryInfo,
    taken: &mut Taken,
) -> (String, String) {
    let suffixes = partner_suffixes(t);
    let mut attempt = 0usize;
    loop {
        let stem = pick(rng, PARTNER_STEMS);
        let suffix = pick(rng, suffixes);
        // After many collisions (only with very large seeds) a second stem widens the space,
        // and in the end a number guarantees termination.
        let base = match attempt {
            0..40 => format!("{stem} {suffix}"),
            40..200 => format!("{stem} {} {suffix}", pick(rng, PARTNER_STEMS)),
            _ => format!("{stem} {suffix} {attempt}"),
        };
        attempt += 1;
        if let Some(domain) = taken.claim(&base, c.tld) {
            let name = if rng.random_range(0..100) < 55 {
                format!("{base} {}", pick(rng, c.legal_forms))
            } else {
                base
            };
            return (name, domain);
        }
    }
}

fn person(rng: &mut StdRng) -> (&'static str, &'static str) {
    (*pick(rng, FIRST_NAMES), *pick(rng, LAST_NAMES))
}

/// The partner admin (admin@<domain>) and `reps` reps (first.last@<domain>). Only the
/// demo partner's admin and first rep get the demo password.
fn partner_users(rng: &mut StdRng, domain: &str, reps: usize, demo: bool) -> Vec<UserPlan> {
    let (first, last) = person(rng);
    let mut users = vec![UserPlan {
        email: format!("admin@{domain}"),
        display_name: format!("{first} {last}"),
        role: Role::PartnerAdmin,
        with_password: demo,
    }];
    let mut emails = HashSet::new();
    while users.len() < reps + 1 {
        let (first, last) = person(rng);
        let email = format!("{}.{}@{domain}", first.to_lowercase(), last.to_lowercase());
        if emails.insert(email.clone()) {
            users.push(UserPlan {
                email,
                display_name: format!("{first} {last}"),
                role: Role::PartnerRep,
                with_password: demo && users.len() == 1,
            });
        }
    }
    users
}

/// The home region, and for some partners a second one they also cover.
fn regions(rng: &mut StdRng, home: Region) -> Vec<Region> {
    let mut out = vec![home];
    if rng.random_range(0..100) < 20 {
        let other = *pick(rng, Region::ALL);
        if other != home {
            out.push(other);
        }
    }
    out
}

/// One to three distinct verticals.
fn verticals(rng: &mut StdRng) -> Vec<String> {
    let mut all: Vec<&str> = VERTICALS.to_vec();
    all.shuffle(rng);
    let k = rng.random_range(1..=3);
    all.into_iter().take(k).map(str::to_owned).collect()
}

fn plan_accounts(rng: &mut StdRng, n: usize, taken: &mut Taken) -> Vec<AccountPlan> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let country = &COUNTRIES[weighted(rng, COUNTRIES.iter().map(|c| c.account_weight))];
        let industry = weighted(rng, INDUSTRY_WEIGHTS.iter().copied());
        let (name, web_domain) = account_name(rng, industry, country, taken);
        let status = if rng.random_range(0..100) < 30 {
            AccountStatus::Customer
        } else {
            AccountStatus::Prospect
        };
        let owner = (rng.random_range(0..100) < 60).then(|| rng.random_range(0..3));
        out.push(AccountPlan {
            name,
            web_domain,
            country: country.code,
            industry: VERTICALS[industry],
            status,
            owner,
        });
    }
    out
}

/// A unique end-customer name: a family name or brand plus an industry word, sometimes two
/// family names ("Ashford Bellamy Insurance"), sometimes with the legal form.
fn account_name(
    rng: &mut StdRng,
    industry: usize,
    c: &CountryInfo,
    taken: &mut Taken,
) -> (String, String) {
    let suffixes = ACCOUNT_SUFFIXES
        .get(industry)
        .copied()
        .unwrap_or(&["Group"]);
    let mut attempt = 0usize;
    loop {
        let stem = pick(rng, ACCOUNT_STEMS);
        let suffix = pick(rng, suffixes);
        let double = attempt >= 8 || rng.random_range(0..100) < 20;
        let base = if attempt >= 400 {
            format!("{stem} {suffix} {attempt}")
        } else if double {
            format!("{stem} {} {suffix}", pick(rng, ACCOUNT_STEMS))
        } else {
            format!("{stem} {suffix}")
        };
        attempt += 1;
        if let Some(domain) = taken.claim(&base, c.tld) {
            // Agencies and schools carry no company legal form.
            let public = matches!(
                VERTICALS.get(industry),
                Some(&("Public sector" | "Education"))
            );
            let name = if !public && rng.random_range(0..100) < 40 {
                format!("{base} {}", pick(rng, c.legal_forms))
            } else {
                base
            };
            return (name, domain);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use partnerops_core::country::Country;
    use partnerops_core::email::Email;
    use partnerops_core::web_domain::WebDomain;

    use super::*;

    #[test]
    fn same_seed_same_plan_other_seed_other_plan() {
        let a = Plan::new(&SeedSpec::small(7));
        assert_eq!(a, Plan::new(&SeedSpec::small(7)));
        assert_ne!(a.partners, Plan::new(&SeedSpec::small(8)).partners);
    }

    #[test]
    fn partners_do_not_depend_on_the_account_count() {
        let spec = SeedSpec {
            seed: 3,
            partners: 20,
            accounts: 500,
        };
        assert_eq!(
            Plan::new(&spec).partners,
            Plan::without_accounts(&spec).partners
        );
    }

    #[test]
    fn demo_plan_is_valid_unique_and_spread() {
        let plan = Plan::new(&SeedSpec::demo());
        let mut names = HashSet::new();
        let mut domains = HashSet::new();
        let mut emails = HashSet::new();
        for p in &plan.partners {
            assert!(names.insert(p.name.clone()), "{}", p.name);
            assert!(domains.insert(p.web_domain.clone()), "{}", p.web_domain);
            assert_eq!(
                WebDomain::parse("d", &p.web_domain).unwrap().as_str(),
                p.web_domain
            );
            Country::parse("c", p.country).unwrap();
            assert!((1..=3).contains(&p.verticals.len()));
            for u in &p.users {
                assert!(emails.insert(Email::parse("e", &u.email).unwrap()));
            }
        }
        for a in &plan.accounts {
            assert!(names.insert(a.name.clone()), "{}", a.name);
            assert!(domains.insert(a.web_domain.clone()), "{}", a.web_domain);
            assert_eq!(
                WebDomain::parse("d", &a.web_domain).unwrap().as_str(),
                a.web_domain
            );
        }
        let countries: HashSet<&str> = plan.partners.iter().map(|p| p.country).collect();
        assert!(countries.len() >= 15, "{countries:?}");
        let types: HashSet<PartnerType> = plan.partners.iter().map(|p| p.partner_type).collect();
        assert_eq!(types.len(), PartnerType::ALL.len());
        let mut per_rank: HashMap<i32, usize> = HashMap::new();
        for p in &plan.partners {
            *per_rank.entry(p.tier_rank).or_default() += 1;
        }
        assert!(
            per_rank[&1] > per_rank[&2] && per_rank[&2] > per_rank[&3],
            "{per_rank:?}"
        );
        let customers = plan
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Customer)
            .count();
        assert!((1300..1700).contains(&customers), "{customers}");
        let owned = plan.accounts.iter().filter(|a| a.owner.is_some()).count();
        assert!((2700..3300).contains(&owned), "{owned}");
    }

    #[test]
    fn the_first_partner_is_the_demo_partner() {
        for seed in 0..50 {
            let plan = Plan::without_accounts(&SeedSpec::small(seed));
            let p = &plan.partners[0];
            assert_eq!(
                (p.program, p.partner_type, p.status),
                (
                    ProgramSlot::Reseller,
                    PartnerType::Reseller,
                    PartnerStatus::Active
                )
            );
            assert!(p.tier_rank >= 2);
            assert!(p.users.len() >= 2 && p.users[0].with_password && p.users[1].with_password);
            let with_password = plan
                .partners
                .iter()
                .flat_map(|p| &p.users)
                .filter(|u| u.with_password)
                .count();
            assert_eq!(with_password, 2);
        }
    }

    #[test]
    fn tiny_specs_work() {
        for n in 0..4 {
            let plan = Plan::new(&SeedSpec {
                seed: 1,
                partners: n,
                accounts: n,
            });
            assert_eq!((plan.partners.len(), plan.accounts.len()), (n, n));
        }
    }

    #[test]
    fn quotas_are_exact() {
        let mut rng = StdRng::seed_from_u64(1);
        let v = quota(&mut rng, 10, &[('a', 65), ('b', 20), ('c', 15)]);
        let count = |c| v.iter().filter(|x| **x == c).count();
        assert_eq!((count('a'), count('b'), count('c')), (7, 2, 1));
        assert!(quota(&mut rng, 0, &[('a', 1)]).is_empty());
    }

    #[test]
    fn partner_and_account_words_are_disjoint() {
        for stem in ACCOUNT_STEMS {
            assert!(!PARTNER_STEMS.contains(stem), "{stem}");
        }
    }
}
