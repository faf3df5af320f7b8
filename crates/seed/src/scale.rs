//! A large vendor's size on top of the demo program: after [`crate::seed`] has written every
//! capability's records for the demo's partners, [`grow`] adds partners, accounts and deal
//! registrations (with their decisions and follow-up activities) up to the totals of a
//! [`ScaleSpec`], through the store's bulk loader (`partnerops_store::bulk`): one
//! transaction per batch instead of one per record, so a million registrations take
//! minutes. Deterministic like the demo: the same spec draws the same names, domains,
//! countries, partners, amounts, outcomes and dates (relative to the store's clock); only
//! ids differ.

use std::time::Instant;

use chrono::{Duration, Utc};
use partnerops_core::ids::EntityId;
use partnerops_store::bulk::{BulkAccount, BulkOutcome, BulkPartner, BulkRegistration};
use partnerops_store::{Store, StoreError};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::plan::{pick, weighted};
use crate::words::{ACCOUNT_STEMS, ACCOUNT_SUFFIXES, COUNTRIES, PARTNER_STEMS, VERTICALS};

/// Totals to reach (the demo's own records count towards them), and the generator's seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleSpec {
    pub seed: u64,
    pub partners: usize,
    pub accounts: usize,
    pub registrations: usize,
}

impl ScaleSpec {
    /// The size of issue #15: 10,000 partners, 1,000,000 accounts and 1,000,000
    /// registrations.
    pub fn large_vendor() -> ScaleSpec {
        ScaleSpec {
            seed: 42,
            partners: 10_000,
            accounts: 1_000_000,
            registrations: 1_000_000,
        }
    }
}

/// What [`grow`] added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScaleReport {
    pub partners: usize,
    pub accounts: usize,
    pub registrations: usize,
    pub activities: usize,
}

/// Rows per bulk transaction.
const BATCH: usize = 20_000;

/// Keeps the generator's draws apart from the demo seed's.
const SCALE_SALT: u64 = 0x5ca1_e000;

const PARTNER_SUFFIXES: &[&str] = &[
    "Partners",
    "Solutions",
    "Consulting",
    "Systems",
    "Group",
    "Digital",
    "Technologies",
    "Services",
];

const SYLLABLES_C: &[u8] = b"bcdfghklmnprstvz";
const SYLLABLES_V: &[u8] = b"aeiou";

/// A made-up word of `n` consonant-vowel syllables, capitalised, so names spread over many
/// name blocks as real company names do.
fn coined(rng: &mut StdRng, n: usize) -> String {
    let mut w = String::with_capacity(2 * n);
    for i in 0..n {
        let c = char::from(*pick(rng, SYLLABLES_C));
        w.push(if i == 0 { c.to_ascii_uppercase() } else { c });
        w.push(char::from(*pick(rng, SYLLABLES_V)));
    }
    w
}

fn slug(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn batch_error(e: StoreError, what: &str, done: usize) -> StoreError {
    tracing::error!(what, done, "scale seed: a batch failed");
    e
}

/// Adds partners, accounts and registrations to a seeded store up to `spec`'s totals
/// (`existing_partners` and `existing_accounts` are what the demo seed wrote). Active
/// partners join the demo's programs on their entry tiers mostly; each registration is on
/// its own account, submitted over the last three years: about 20% won, 10% lost, half
/// expired, the rest approved (and still valid) or pending.
pub async fn grow(
    store: &Store,
    spec: &ScaleSpec,
    existing_partners: usize,
    existing_accounts: usize,
) -> Result<ScaleReport, StoreError> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(spec.seed ^ SCALE_SALT);
    let now = store.now();
    let programs = store.bulk_programs().await?;
    if programs.is_empty() {
        return Err(StoreError::Corrupt(
            "scale seed: no program with tiers and partners; seed the demo first".into(),
        ));
    }
    let mut report = ScaleReport::default();

    // Partners, by program in turn.
    let n_partners = spec.partners.saturating_sub(existing_partners);
    let mut partners: Vec<(usize, String)> = Vec::with_capacity(n_partners);
    let mut rows = Vec::with_capacity(BATCH.min(n_partners));
    for i in 0..n_partners {
        let program = i % programs.len();
        let p = &programs[program];
        let tier = weighted(&mut rng, [60u32, 30, 10].into_iter().take(p.tier_ids.len()));
        let country = &COUNTRIES[weighted(&mut rng, COUNTRIES.iter().map(|c| c.partner_weight))];
        let name = format!(
            "{} {} {}",
            pick(&mut rng, PARTNER_STEMS),
            coined(&mut rng, 2),
            pick(&mut rng, PARTNER_SUFFIXES)
        );
        let created_at = now - Duration::days(rng.random_range(30..1_100));
        rows.push(BulkPartner {
            web_domain: format!("{}-{i}.example", slug(&name)),
            name,
            partner_type: pick(&mut rng, &p.partner_types).clone(),
            program_id: p.id.clone(),
            tier_id: p.tier_ids[tier].clone(),
            country: country.code.to_owned(),
            joined_on: created_at.date_naive(),
            created_at,
        });
        if rows.len() == BATCH || i + 1 == n_partners {
            let ids = store
                .bulk_partners(&rows)
                .await
                .map_err(|e| batch_error(e, "partners", i))?;
            let first = i + 1 - rows.len();
            partners.extend(
                ids.iter()
                    .enumerate()
                    .map(|(k, id)| ((first + k) % programs.len(), id.as_str().to_owned())),
            );
            rows.clear();
        }
    }
    report.partners = partners.len();
    // The program's own active partners register too, so their users see a partner's
    // share of the registrations in the portal.
    for (k, p) in programs.iter().enumerate() {
        partners.extend(p.partner_ids.iter().map(|id| (k, id.clone())));
    }
    tracing::info!(
        partners = report.partners,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scale seed: partners written"
    );
    if partners.is_empty() {
        return Ok(report);
    }

    // Accounts, and registrations on the first of them as they are written: each account
    // is registered at most once, so no account has two holders.
    let n_accounts = spec.accounts.saturating_sub(existing_accounts);
    let n_regs = spec.registrations.min(n_accounts);
    let mut rows = Vec::with_capacity(BATCH.min(n_accounts));
    for i in 0..n_accounts {
        let industry =
            weighted(&mut rng, crate::words::INDUSTRY_WEIGHTS.iter().copied()) % VERTICALS.len();
        let country = &COUNTRIES[weighted(&mut rng, COUNTRIES.iter().map(|c| c.account_weight))];
        let syllables = 2 + rng.random_range(0..2);
        let name = format!(
            "{} {} {}",
            coined(&mut rng, syllables),
            pick(&mut rng, ACCOUNT_STEMS),
            pick(
                &mut rng,
                ACCOUNT_SUFFIXES[industry % ACCOUNT_SUFFIXES.len()]
            )
        );
        // Created over the last three years, oldest first.
        let created_at =
            now - Duration::seconds(94_608_000 - (94_608_000 * i as i64) / n_accounts as i64);
        rows.push(BulkAccount {
            web_domain: format!("{}-{i}.example", slug(&name)),
            name,
            country: country.code.to_owned(),
            industry: VERTICALS[industry].to_owned(),
            status: if rng.random_range(0..100) < 30 {
                "customer".into()
            } else {
                "prospect".into()
            },
            created_at,
        });
        if rows.len() == BATCH || i + 1 == n_accounts {
            let first = i + 1 - rows.len();
            let ids = store
                .bulk_accounts(&rows)
                .await
                .map_err(|e| batch_error(e, "accounts", i))?;
            report.accounts += ids.len();
            let mut regs = Vec::new();
            for (k, (account, id)) in rows.iter().zip(&ids).enumerate() {
                if first + k >= n_regs {
                    break;
                }
                let (program, partner) = &partners[rng.random_range(0..partners.len())];
                regs.push(registration(
                    &mut rng,
                    now,
                    *program,
                    partner,
                    id.as_str(),
                    account,
                    programs[*program].validity_days,
                ));
            }
            if !regs.is_empty() {
                report.activities += regs.iter().map(|r| r.activities.len()).sum::<usize>();
                report.registrations += store
                    .bulk_registrations(&programs, &regs)
                    .await
                    .map_err(|e| batch_error(e, "registrations", i))?;
            }
            rows.clear();
            if report.accounts % 100_000 < BATCH {
                tracing::info!(
                    accounts = report.accounts,
                    registrations = report.registrations,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "scale seed: progress"
                );
            }
        }
    }
    store.bulk_finish().await?;
    tracing::info!(
        ?report,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scale seed: done"
    );
    Ok(report)
}

/// One registration on `account`, with its outcome and activities drawn.
fn registration(
    rng: &mut StdRng,
    now: chrono::DateTime<Utc>,
    program: usize,
    partner: &str,
    account_id: &str,
    account: &BulkAccount,
    validity_days: i64,
) -> BulkRegistration {
    let submitted_at = now
        - Duration::days(rng.random_range(1..1_095))
        - Duration::minutes(rng.random_range(0..1_440));
    let approval_delay = Duration::hours(rng.random_range(1..72));
    let approved_at = submitted_at + approval_delay;
    let expires_at = approved_at + Duration::days(validity_days);
    let roll = rng.random_range(0..100);
    let recent = now - submitted_at < Duration::days(5);
    let closed_at = approved_at + Duration::days(rng.random_range(10..120));
    let mut outcome = match roll {
        0..20 => BulkOutcome::Won,
        20..30 => BulkOutcome::Lost,
        30..80 if recent => BulkOutcome::Pending,
        _ => BulkOutcome::Approved,
    };
    if matches!(outcome, BulkOutcome::Won | BulkOutcome::Lost)
        && (closed_at > now || closed_at > expires_at)
    {
        outcome = BulkOutcome::Approved;
    }
    if outcome == BulkOutcome::Approved && expires_at <= now {
        outcome = BulkOutcome::Expired;
    }
    let mut activities = Vec::new();
    if outcome != BulkOutcome::Pending {
        let end = match outcome {
            BulkOutcome::Won | BulkOutcome::Lost => closed_at,
            BulkOutcome::Expired => expires_at,
            _ => now,
        };
        let mut t = approved_at;
        for _ in 0..rng.random_range(1..4) {
            t += Duration::days(rng.random_range(3..20));
            if t >= end {
                break;
            }
            activities.push((*pick(rng, &["call", "meeting", "demo", "proposal"]), t));
        }
    }
    BulkRegistration {
        program,
        partner_id: partner.to_owned(),
        account_id: account_id.to_owned(),
        title: format!("{} rollout", account.name),
        est_arr_minor: rng.random_range(5..200) * 100_000,
        submitted_at,
        approval_delay,
        outcome,
        closed_at: matches!(outcome, BulkOutcome::Won | BulkOutcome::Lost).then_some(closed_at),
        activities,
    }
}
