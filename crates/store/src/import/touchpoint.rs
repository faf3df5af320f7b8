//! Touchpoints from a file, through the touchpoint rules: the opportunity by the source's
//! record id from an earlier opportunity import, the partner by its source record id or
//! name (of the opportunity's program), the time not in the future, late when after the
//! close. A touchpoint is a logged fact with no edit of its own, so a known record id is
//! left as it is (unchanged) whatever the file says now.

use partnerops_core::ids::{EntityId, PartnerId};
use partnerops_core::import::ImportKind;
use partnerops_core::import::row::{ImportRecord, TouchpointRecord};
use partnerops_core::pipeline::record::Opportunity;
use partnerops_core::pipeline::touchpoint::{TouchpointInput, is_late_when_logged};
use partnerops_core::scope::{Action, Scope};

use super::keys::{Outcome, RowByRow};
use super::{RunCtx, refs};
use crate::db::Tx;
use crate::{Result, StoreError, entity};

const KIND: ImportKind = ImportKind::Touchpoints;

const RENAMES: &[(&str, &str)] = &[("partner_id", "partner")];

/// How touchpoint rows are written.
pub(super) const ROWS: RowByRow<TouchpointRecord> = RowByRow {
    kind: KIND,
    renames: RENAMES,
    pick: |r| match r {
        ImportRecord::Touchpoint(x) => Some((x.row, x.external_id.clone(), x)),
        _ => None,
    },
    one: |tx, ctx, target, r| Box::pin(create(tx, ctx, target, r)),
};

async fn create(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    target: Option<&str>,
    r: &TouchpointRecord,
) -> Result<Outcome> {
    if target.is_some() {
        return Ok(Outcome::Unchanged);
    }
    ctx.actor.authorize(&Action::WorkPipeline)?;
    let id = refs::imported(
        tx,
        ctx,
        ImportKind::Opportunities,
        "opportunity",
        &r.opportunity,
    )
    .await?;
    let o: Opportunity = entity::fetch(tx, &Scope::Vendor, &id).await?;
    let partner = refs::partner(tx, ctx, "partner", &r.partner).await?;
    if partner.program_id != o.program_id.as_str() {
        return Err(StoreError::conflict(
            "partner_id",
            "other_program",
            "the partner is in another program than the opportunity",
        ));
    }
    let input = TouchpointInput {
        partner_id: Some(partner.id.clone()),
        kind: Some(r.kind.as_str().to_owned()),
        occurred_at: Some(r.occurred_at.to_rfc3339()),
        notes: r.notes.clone(),
    };
    let f = input.parse(ctx.now)?;
    let late = is_late_when_logged(f.occurred_at, ctx.now, o.closed_at);
    let partner = PartnerId::from_trusted(partner.id);
    let t =
        crate::pipeline::touchpoint::write(tx, ctx.now, ctx.actor, &o, &partner, &f, late).await?;
    Ok(Outcome::Created(t.id.as_str().to_owned()))
}
