//! The recorded history of a program in the compact form the what-if replay and the tier
//! evaluation read: its partners and their registrations, in a few sequential queries.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::policy::simulate::{History, PartnerHistory, RegistrationHistory};
use partnerops_core::registration::RegistrationStatus;

use crate::db::dialect::{chunk_key, format_timestamp, string_agg};
use crate::db::{Backend, Exec, Sql, row};
use crate::{Result, StoreError};

row! {
    struct PartnerRow {
        id: String,
        name: String,
        joined_on: NaiveDate,
        rank: i64,
    }
}

// A chunk of a few hundred consecutive registrations, one list per column (see `load`).
row! {
    struct RegistrationChunk {
        partner: String,
        id: String,
        status: String,
        submitted: String,
        approved: String,
        closed: String,
        amount: String,
        renewals: String,
    }
}

row! {
    struct ActivityChunk {
        registration: String,
        occurred: String,
    }
}

/// Separates the values in a packed column. Ids are generated (letters, digits and `_`),
/// times, numbers and statuses have no comma either.
const SEP: char = ',';

/// A timestamp as the store writes it (`2026-03-01T09:00:00.000000Z`, also the form
/// `format_timestamp` gives on PostgreSQL), or empty for none. That form is read by hand,
/// which is several times faster than a general RFC 3339 parser over a few million values;
/// anything else goes through chrono's parser.
fn time(field: &str) -> Result<Option<DateTime<Utc>>> {
    if field.is_empty() {
        return Ok(None);
    }
    if let Some(t) = fixed_time(field.as_bytes()) {
        return Ok(Some(t));
    }
    DateTime::parse_from_rfc3339(field)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| StoreError::Corrupt(format!("history time {field:?}")))
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, or `None` when `b` has another shape or names no valid
/// time (chrono validates the fields).
fn fixed_time(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() != 27
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[26] != b'Z'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    let t = date.and_hms_micro_opt(num(11..13)?, num(14..16)?, num(17..19)?, num(20..26)?)?;
    Some(t.and_utc())
}

fn number(field: &str) -> Result<i64> {
    field
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("history number {field:?}")))
}

fn status(field: &str) -> Result<RegistrationStatus> {
    RegistrationStatus::parse("status", field).map_err(|e| StoreError::Corrupt(e.message))
}

/// A hasher for the loader's id maps (a million look-ups per replay): FxHash's multiply-
/// rotate over 8-byte words. The keys are our own generated ids, not input an attacker
/// picks to collide, so a keyed hash buys nothing here.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &c in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(c)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type IdMap<'a> = HashMap<&'a str, u32, BuildHasherDefault<IdHasher>>;

/// Splits the packed columns of one chunk in step: one item per column per record.
struct Columns<'a, const N: usize>([std::str::Split<'a, char>; N]);

impl<'a, const N: usize> Columns<'a, N> {
    fn new(columns: [&'a str; N]) -> Self {
        Columns(columns.map(|c| c.split(SEP)))
    }

    /// The next record, `None` at the end; a column ending early or late is corrupt.
    fn next(&mut self) -> Result<Option<[&'a str; N]>> {
        let mut out = [""; N];
        let mut ended = 0;
        for (slot, column) in out.iter_mut().zip(&mut self.0) {
            match column.next() {
                Some(v) => *slot = v,
                None => ended += 1,
            }
        }
        match ended {
            0 => Ok(Some(out)),
            e if e == N => Ok(None),
            _ => Err(StoreError::Corrupt(
                "history chunk with columns of different lengths".to_owned(),
            )),
        }
    }
}

/// The live partners of a program and every registration they submitted up to `as_of`.
/// Follow-up activities are read only with `activities` (the replay needs them only when
/// the follow-up SLA differs: `simulate::needs_activities`); otherwise they are left empty.
pub(crate) async fn load(
    x: &mut impl Exec,
    backend: Backend,
    program_id: &str,
    as_of: DateTime<Utc>,
    activities: bool,
) -> Result<History> {
    let mut q = Sql::new(
        "SELECT p.id, p.name, p.joined_on, t.rank FROM partners p JOIN tiers t ON t.id = p.tier_id WHERE p.archived_at IS NULL AND p.program_id = ",
    );
    q.bind(program_id).push(" ORDER BY p.name, p.id");
    let partners: Vec<PartnerRow> = x.all(&q).await?;
    let index: IdMap<'_> = partners
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i as u32))
        .collect();

    // A million registrations cross the driver as a few thousand rows (the driver's cost
    // per row, about 6 µs on SQLite, is paid rarely): each row is a chunk of a few hundred
    // consecutive records, one comma-separated list per column. Lists per column rather
    // than one list of concatenated records: the database appends each value once instead
    // of building a string per record (on SQLite 0.9 s instead of 1.6 s for the scan).
    //
    // `program_id || ''` keeps the table scan in table order. SQLite has no statistics
    // (the product never runs ANALYZE) and would otherwise walk the (program_id,
    // submitted_at) index and fetch each row by a random seek: 4.8 s instead of 1.2 s for
    // a program holding a million rows. Reading the whole table stays cheaper than seeking
    // while the program holds more than about a tenth of it; PostgreSQL picks a sequential
    // scan for such a share anyway.
    let col = |expr: &str, alias: &str| format!("{} AS {alias}", string_agg(backend, expr, "','"));
    let columns = [
        col("r.partner_id", "partner"),
        col("r.id", "id"),
        col("r.status", "status"),
        col(&format_timestamp(backend, "r.submitted_at"), "submitted"),
        col(&format_timestamp(backend, "r.approved_at"), "approved"),
        col(&format_timestamp(backend, "r.closed_at"), "closed"),
        col("CAST(r.est_arr_minor AS TEXT)", "amount"),
        col("CAST(r.renewals AS TEXT)", "renewals"),
    ]
    .join(", ");
    let mut q = Sql::new(&format!(
        "SELECT {columns} FROM registrations r WHERE r.program_id || '' = "
    ));
    q.bind(program_id)
        .push(" AND r.submitted_at <= ")
        .bind(as_of)
        .push(&format!(" GROUP BY {}", chunk_key(backend, "r", "id")));
    let chunks: Vec<RegistrationChunk> = x.all(&q).await?;
    let mut registrations = Vec::with_capacity(
        chunks
            .iter()
            .map(|c| c.status.bytes().filter(|&b| b == b',').count() + 1)
            .sum(),
    );
    for chunk in chunks {
        let mut records = Columns::new([
            &chunk.partner,
            &chunk.id,
            &chunk.status,
            &chunk.submitted,
            &chunk.approved,
            &chunk.closed,
            &chunk.amount,
            &chunk.renewals,
        ]);
        while let Some(
            [
                partner,
                id,
                st,
                submitted,
                approved,
                closed,
                amount,
                renewals,
            ],
        ) = records.next()?
        {
            // Registrations of archived partners are not part of the live program.
            let Some(&partner) = index.get(partner) else {
                continue;
            };
            registrations.push(RegistrationHistory {
                id: id.to_owned(),
                partner,
                status: status(st)?,
                submitted_at: time(submitted)?.unwrap_or_default(),
                approved_at: time(approved)?,
                closed_at: time(closed)?,
                amount_minor: number(amount)?,
                renewals: number(renewals)?,
                activities: Vec::new(),
            });
        }
    }
    drop(index);

    if activities {
        attach_activities(x, backend, as_of, &mut registrations).await?;
    }

    // Certifications are counted as of the replay's end (the standing the replay judges).
    let certified = crate::enablement::certification::certified_counts(
        x,
        Some(program_id),
        &partnerops_core::scope::Scope::Vendor,
        as_of.date_naive(),
    )
    .await?;
    Ok(History {
        partners: partners
            .into_iter()
            .map(|p| {
                let certified_individuals = Some(certified.get(&p.id).copied().unwrap_or(0));
                PartnerHistory {
                    id: p.id,
                    name: p.name,
                    joined_on: p.joined_on,
                    tier_rank: p.rank,
                    certified_individuals,
                    jbp_in_place: None,
                    jbp_attainment_pct: None,
                    psat: None,
                }
            })
            .collect(),
        registrations,
    })
}

/// Reads the follow-up activities up to `as_of` into their registrations, oldest first.
/// Packed like the registrations; those of other programs' registrations are skipped here
/// rather than joined away in SQL (a join would seek the registration of each activity).
async fn attach_activities(
    x: &mut impl Exec,
    backend: Backend,
    as_of: DateTime<Utc>,
    registrations: &mut [RegistrationHistory],
) -> Result<()> {
    let mut q = Sql::new(&format!(
        "SELECT {} AS registration, {} AS occurred FROM registration_activities a WHERE a.occurred_at <= ",
        string_agg(backend, "a.registration_id", "','"),
        string_agg(backend, &format_timestamp(backend, "a.occurred_at"), "','"),
    ));
    q.bind(as_of)
        .push(&format!(" GROUP BY {}", chunk_key(backend, "a", "id")));
    let chunks: Vec<ActivityChunk> = x.all(&q).await?;
    // (registration, time) pairs first: the map borrows the registrations' ids.
    let mut found: Vec<(u32, DateTime<Utc>)> = Vec::new();
    {
        let by_id: IdMap<'_> = registrations
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i as u32))
            .collect();
        for chunk in &chunks {
            let mut records = Columns::new([&chunk.registration, &chunk.occurred]);
            while let Some([registration, at]) = records.next()? {
                if let (Some(&i), Some(at)) = (by_id.get(registration), time(at)?) {
                    found.push((i, at));
                }
            }
        }
    }
    drop(chunks);
    found.sort_unstable();
    for (i, at) in found {
        if let Some(r) = registrations.get_mut(i as usize) {
            r.activities.push(at);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, SecondsFormat, TimeZone};

    use super::*;

    #[test]
    fn fixed_form_times_read_as_chrono_reads_them() {
        let mut t = Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap();
        let step = Duration::seconds(86_400 * 37 + 3_607) + Duration::microseconds(123_457);
        for _ in 0..2_000 {
            let text = t.to_rfc3339_opts(SecondsFormat::Micros, true);
            assert_eq!(fixed_time(text.as_bytes()), Some(t), "{text}");
            assert_eq!(time(&text).unwrap(), Some(t));
            t += step;
        }
        for text in [
            "2024-02-29T00:00:00.000000Z",
            "2000-02-29T23:59:59.999999Z",
            "0001-01-01T00:00:00.000000Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            let chrono = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(fixed_time(text.as_bytes()), Some(chrono), "{text}");
        }
    }

    #[test]
    fn other_forms_fall_back_to_the_general_parser_or_are_refused() {
        // Other shapes (no fraction, an offset, millis) are still read, by chrono.
        for (text, expected) in [
            (
                "2026-03-01T09:00:00Z",
                Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
            ),
            (
                "2026-03-01T10:00:00.000000+01:00",
                Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
            ),
            (
                "2026-03-01T09:00:00.250Z",
                Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::milliseconds(250),
            ),
        ] {
            assert_eq!(fixed_time(text.as_bytes()), None, "{text}");
            assert_eq!(time(text).unwrap(), Some(expected), "{text}");
        }
        assert_eq!(time("").unwrap(), None);
        // The right shape with impossible fields is not a time.
        for text in [
            "2026-02-29T09:00:00.000000Z",
            "2026-13-01T09:00:00.000000Z",
            "2026-03-01T24:00:00.000000Z",
            "2026-03-01T09:60:00.000000Z",
            "2026-03-0xT09:00:00.000000Z",
            "+026-03-01T09:00:00.000000Z",
        ] {
            assert_eq!(fixed_time(text.as_bytes()), None, "{text}");
            assert!(time(text).is_err(), "{text}");
        }
    }

    #[test]
    fn packed_columns_are_read_in_step() {
        let mut c = Columns::new(["a,b,", "1,2,3"]);
        assert_eq!(c.next().unwrap(), Some(["a", "1"]));
        assert_eq!(c.next().unwrap(), Some(["b", "2"]));
        // An empty value (no closing time, say) is a value.
        assert_eq!(c.next().unwrap(), Some(["", "3"]));
        assert_eq!(c.next().unwrap(), None);
        let mut short = Columns::new(["a,b", "1"]);
        assert_eq!(short.next().unwrap(), Some(["a", "1"]));
        assert!(short.next().is_err());
    }

    #[test]
    fn the_id_map_finds_every_key() {
        let ids: Vec<String> = (0..5_000).map(|i| format!("reg_{i:032x}")).collect();
        let map: IdMap<'_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i as u32))
            .collect();
        assert_eq!(map.len(), ids.len());
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(map.get(id.as_str()), Some(&(i as u32)));
        }
        assert_eq!(map.get("reg_"), None);
    }
}
