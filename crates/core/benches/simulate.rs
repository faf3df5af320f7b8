//! What-if replay at scale: 10,000 partners and 1,000,000 registrations over three years,
//! replayed under the seed policy and a draft (higher Select quota, shorter validity,
//! shorter sunset window). Plain `main`, no harness: `cargo bench -p partnerops-core --bench
//! simulate` prints the time of each run and the totals.

use std::time::{Duration as Elapsed, Instant};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use partnerops_core::policy::ProgramPolicy;
use partnerops_core::policy::simulate::{
    History, PartnerHistory, RegistrationHistory, SimulationReport, simulate,
};
use partnerops_core::registration::RegistrationStatus;

const PARTNERS: usize = 10_000;
const REGISTRATIONS: usize = 1_000_000;
const RUNS: usize = 5;

/// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic data
/// without a random-number crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Uniform-ish in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

fn history() -> History {
    let mut rng = Lcg(0x5eed_0000_2026_0301);
    let as_of = as_of();
    let base = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default();
    let partners: Vec<PartnerHistory> = (0..PARTNERS)
        .map(|i| PartnerHistory {
            id: format!("partner-{i:05}"),
            name: format!("Partner {i:05}"),
            joined_on: base + Duration::days(rng.below(1800) as i64),
            tier_rank: 1 + rng.below(3) as i64,
            certified_individuals: rng.chance(70).then(|| rng.below(10) as i64),
            jbp_in_place: rng.chance(50).then(|| rng.chance(40)),
            jbp_attainment_pct: None,
            psat: None,
        })
        .collect();
    // Some partners sell a lot more than others; one in ten went quiet 8–14 months ago.
    let weight: Vec<u64> = (0..PARTNERS).map(|_| 1 + rng.below(4)).collect();
    let quiet_hours: Vec<i64> = (0..PARTNERS)
        .map(|i| {
            if i % 10 == 0 {
                (240 + rng.below(180) as i64) * 24
            } else {
                0
            }
        })
        .collect();
    let span_hours: i64 = 3 * 365 * 24;
    let registrations = (0..REGISTRATIONS)
        .map(|i| {
            let partner = rng.below(PARTNERS as u64) as usize;
            let quiet = quiet_hours[partner];
            let submitted =
                as_of - Duration::hours(quiet + rng.below((span_hours - quiet) as u64) as i64);
            let roll = rng.below(100);
            let status = match roll {
                0..20 => RegistrationStatus::Won,
                20..35 => RegistrationStatus::Lost,
                35..45 => RegistrationStatus::Expired,
                45..52 => RegistrationStatus::Rejected,
                52..57 => RegistrationStatus::Withdrawn,
                57..80 => RegistrationStatus::Approved,
                _ => RegistrationStatus::Pending,
            };
            let approved = !matches!(
                status,
                RegistrationStatus::Pending | RegistrationStatus::Rejected
            );
            let approved_at =
                approved.then(|| submitted + Duration::hours(1 + rng.below(96) as i64));
            let closed_at = match status {
                RegistrationStatus::Won | RegistrationStatus::Lost => {
                    Some(submitted + Duration::days(7 + rng.below(170) as i64))
                        .filter(|c| *c <= as_of)
                }
                _ => None,
            };
            let mut activities = Vec::new();
            if let Some(a) = approved_at
                && rng.chance(60)
            {
                let mut at = a;
                for _ in 0..1 + rng.below(6) {
                    at += Duration::hours(24 + rng.below(20 * 24) as i64);
                    if at > as_of {
                        break;
                    }
                    activities.push(at);
                }
            }
            RegistrationHistory {
                id: format!("reg-{i:07}"),
                partner: partner as u32,
                status,
                submitted_at: submitted,
                approved_at,
                closed_at,
                amount_minor: (200_000 + rng.below(4_000_000) as i64) * weight[partner] as i64,
                renewals: if approved { rng.below(3) as i64 } else { 0 },
                activities,
            }
        })
        .collect();
    History {
        partners,
        registrations,
    }
}

fn draft() -> ProgramPolicy {
    let mut draft = ProgramPolicy::seed_default();
    draft.tiers[1].annual_quota_minor = 15_000_000;
    draft.registration.validity_days = 60;
    draft.governance.sunset_months = 9;
    draft
}

fn main() {
    let started = Instant::now();
    let history = history();
    let current = ProgramPolicy::seed_default();
    let draft = draft();
    let activities: usize = history
        .registrations
        .iter()
        .map(|r| r.activities.len())
        .sum();
    println!(
        "synthetic history: {} partners, {} registrations, {} activities (built in {:.2?})",
        history.partners.len(),
        history.registrations.len(),
        activities,
        started.elapsed()
    );
    println!(
        "threads available: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let mut times: Vec<Elapsed> = Vec::with_capacity(RUNS);
    let mut report: Option<SimulationReport> = None;
    for run in 1..=RUNS {
        let t = Instant::now();
        let r = simulate(&history, &current, &draft, as_of());
        let elapsed = t.elapsed();
        println!(
            "run {run}: {elapsed:.2?} ({} partners changed)",
            r.totals.partners_changed
        );
        times.push(elapsed);
        report = Some(std::hint::black_box(r));
    }
    times.sort_unstable();
    let total: Elapsed = times.iter().sum();
    println!(
        "simulate(): min {:.2?}, median {:.2?}, max {:.2?}, mean {:.2?} over {RUNS} runs",
        times[0],
        times[RUNS / 2],
        times[RUNS - 1],
        total / RUNS as u32
    );
    // The identical-policy replay: the floor (no text formatted at all).
    let t = Instant::now();
    let same = simulate(&history, &current, &current, as_of());
    println!(
        "identical policies: {:.2?} ({} changes)",
        t.elapsed(),
        same.changes.len()
    );

    let Some(report) = report else { return };
    println!("totals: {:?}", report.totals);
    let changes: usize = report.changes.iter().map(|p| p.changes.len()).sum();
    println!("changed outcomes: {changes}");
    for p in report.changes.iter().take(3) {
        println!("{} ({}):", p.partner_name, p.partner_id);
        for c in p.changes.iter().take(3) {
            println!(
                "  {:?} {}: {} -> {}; {}",
                c.kind,
                c.registration_id.as_deref().unwrap_or("-"),
                c.current,
                c.draft,
                c.reason
            );
        }
    }
}
