//! Partner companies from a file, through the partner rules: a new record id whose web
//! domain a partner already has is that partner (the domain is unique among partners);
//! otherwise it is created in its program (named, or the only one) on the tier named (by
//! name or id) or the entry tier. A known one is changed as an edit by vendor staff would
//! change it: status moves follow the lifecycle, a tier must be one of its program's.

use partnerops_core::ids::EntityId;
use partnerops_core::import::ImportKind;
use partnerops_core::import::row::{ImportRecord, PartnerRecord};
use partnerops_core::partner::{Partner, PartnerFields, PartnerInput};
use partnerops_core::scope::Scope;

use super::keys::{self, Outcome, RowByRow};
use super::{RunCtx, refs};
use crate::db::{Exec, Sql, Tx, row};
use crate::{Result, StoreError, entity};

const KIND: ImportKind = ImportKind::Partners;

/// The partner rules' field names → the import's.
const RENAMES: &[(&str, &str)] = &[("program_id", "program"), ("tier_id", "tier")];

row! {
    struct IdRow {
        id: String,
    }
}

/// How partner rows are written.
pub(super) const ROWS: RowByRow<PartnerRecord> = RowByRow {
    kind: KIND,
    renames: RENAMES,
    pick: |r| match r {
        ImportRecord::Partner(x) => Some((x.row, x.external_id.clone(), x)),
        _ => None,
    },
    one: |tx, ctx, target, r| Box::pin(one(tx, ctx, target, r)),
};

async fn one(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    target: Option<&str>,
    r: &PartnerRecord,
) -> Result<Outcome> {
    let program = match &r.program {
        Some(raw) => Some(refs::program(tx, "program", Some(raw)).await?),
        None => None,
    };
    let target = match target {
        Some(id) => Some((id.to_owned(), false)),
        None => by_domain(tx, ctx, r).await?.map(|id| (id, true)),
    };
    let Some((id, linked)) = target else {
        let program = match program {
            Some(p) => p,
            None => refs::program(tx, "program", None).await?,
        };
        let tier = match &r.tier {
            Some(t) => Some(tier(tx, &program, t).await?),
            None => None,
        };
        let f = PartnerFields::parse(&input(r, Some(program), tier), ctx.now.date_naive())?;
        let created = crate::partner::insert(tx, ctx.now, ctx.actor, &f, None).await?;
        return Ok(Outcome::Created(created.id.as_str().to_owned()));
    };
    let before: Partner = entity::fetch(tx, &Scope::Vendor, &id).await?;
    let program_of = program
        .clone()
        .unwrap_or_else(|| before.program_id.as_str().to_owned());
    let tier = match &r.tier {
        Some(t) => Some(tier(tx, &program_of, t).await?),
        None => None,
    };
    let changed = before.name != r.name
        || before.web_domain != r.web_domain
        || before.country != r.country
        || before.partner_type != r.partner_type
        || program
            .as_deref()
            .is_some_and(|p| p != before.program_id.as_str())
        || tier
            .as_deref()
            .is_some_and(|t| t != before.tier_id.as_str())
        || r.status.is_some_and(|s| s != before.status);
    if changed {
        crate::partner::update_in(tx, ctx.now, ctx.actor, &before, input(r, program, tier)).await?;
    }
    Ok(match (linked, changed) {
        (true, changed) => Outcome::Linked {
            record_id: id,
            changed,
        },
        (false, true) => Outcome::Updated,
        (false, false) => Outcome::Unchanged,
    })
}

/// The file's values as the partner rules read them.
fn input(r: &PartnerRecord, program: Option<String>, tier: Option<String>) -> PartnerInput {
    PartnerInput {
        name: Some(r.name.clone()),
        web_domain: Some(r.web_domain.to_string()),
        partner_type: Some(r.partner_type.as_str().to_owned()),
        program_id: program,
        tier_id: tier,
        status: r.status.map(|s| s.as_str().to_owned()),
        country: Some(r.country.to_string()),
        ..PartnerInput::default()
    }
}

/// The partner with the row's web domain, unless another record of this source already
/// became it (then the row is a second record of one company: an error).
async fn by_domain(tx: &mut Tx, ctx: &RunCtx<'_>, r: &PartnerRecord) -> Result<Option<String>> {
    let mut q = Sql::new("SELECT id FROM partners WHERE web_domain = ");
    q.bind(r.web_domain.as_str());
    let Some(found): Option<IdRow> = tx.optional(&q).await? else {
        return Ok(None);
    };
    if let Some(other) = keys::key_of(tx, ctx, KIND, &found.id).await? {
        return Err(StoreError::conflict(
            "web_domain",
            "unique",
            format!(
                "the partner with this web domain was imported from this source as record {other}: one record per company"
            ),
        ));
    }
    Ok(Some(found.id))
}

/// A live tier of `program` by id or name (ignoring case).
async fn tier(tx: &mut Tx, program: &str, raw: &str) -> Result<String> {
    let mut q = Sql::new("SELECT id FROM tiers WHERE archived_at IS NULL AND program_id = ");
    q.bind(program)
        .push(" AND (id = ")
        .bind(raw)
        .push(" OR LOWER(name) = ")
        .bind(raw.to_lowercase())
        .push(") ORDER BY rank LIMIT 1");
    let found: Option<IdRow> = tx.optional(&q).await?;
    found.map(|t| t.id).ok_or_else(|| {
        StoreError::conflict(
            "tier",
            "tier_of_program",
            format!("the program has no live tier called \"{raw}\""),
        )
    })
}
