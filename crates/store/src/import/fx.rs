//! Currency rates from a file: keyed by their own identity (pair and day), written through
//! the rate table's one upsert, which audits each rate it adds or changes and leaves an
//! unchanged one alone. Rate files are small; one statement per row is plenty.

use partnerops_core::import::row::ImportRecord;

use super::{Counts, RunCtx};
use crate::Result;
use crate::db::Tx;
use crate::pipeline::fx::upsert;

pub(super) async fn write(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    records: Vec<ImportRecord>,
    counts: &mut Counts,
) -> Result<()> {
    for record in records {
        let ImportRecord::FxRate(r) = record else {
            continue;
        };
        match upsert(tx, ctx.now, ctx.actor, &r.rate).await? {
            Some(true) => counts.created += 1,
            Some(false) => counts.updated += 1,
            None => counts.unchanged += 1,
        }
    }
    Ok(())
}
