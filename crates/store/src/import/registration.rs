//! Deal registrations from a file, through the registration rules: each row is submitted
//! as vendor staff submit one on a partner's behalf (the partner must be active or
//! onboarding; the account found by the source's record id of an earlier account import,
//! else by domain and name as any registration finds it; one holder per account; possible
//! duplicates to review; auto-approval by tier and amount), and every refusal is that
//! row's error. An import may set two statuses: pending (the default) and approved, which
//! approves the pending registration as a channel manager would (expiry, follow-up SLA,
//! its opportunity opened). The others are reached by decisions and time, never set by a
//! file (see `core::import::value::registration_status`). A registration is a decided
//! record: a known record id is left as it is.

use partnerops_core::ids::EntityId;
use partnerops_core::ids::{AccountId, PartnerId};
use partnerops_core::import::row::{ImportRecord, RegistrationAccount, RegistrationRecord};
use partnerops_core::import::{ImportErrors, ImportKind};
use partnerops_core::registration::RegistrationStatus;
use partnerops_core::registration::record::{AccountTarget, RegistrationFields};
use partnerops_core::scope::Action;

use super::keys::{self, Ledger, Outcome};
use super::{Counts, RunCtx, refs};
use crate::Result;
use crate::db::Tx;
use crate::registration::{approve_pending, submit_in};

const KIND: ImportKind = ImportKind::Registrations;

const RENAMES: &[(&str, &str)] = &[
    ("partner_id", "partner"),
    ("estimated_arr_minor", "amount"),
    ("name", "account_name"),
    ("web_domain", "account_web_domain"),
    ("country", "account_country"),
];

pub(super) async fn write(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    records: Vec<ImportRecord>,
    counts: &mut Counts,
    errors: &mut ImportErrors,
) -> Result<()> {
    let rows = records
        .into_iter()
        .filter_map(|r| match r {
            ImportRecord::Registration(g) => Some((g.row, g.external_id.clone(), g)),
            _ => None,
        })
        .collect();
    let mut ledger = Ledger::default();
    for g in keys::plan(tx, ctx, KIND, rows, errors).await? {
        keys::begin_row(tx).await?;
        let done = match &g.target {
            Some(_) => Ok(Outcome::Unchanged),
            None => submit(tx, ctx, &g.record).await,
        };
        if let Some(outcome) = keys::settle(tx, ctx, g.row, done, RENAMES, errors).await? {
            ledger.add(counts, g.external_id, outcome);
        }
    }
    ledger.save(tx, ctx, KIND).await
}

async fn submit(tx: &mut Tx, ctx: &RunCtx<'_>, r: &RegistrationRecord) -> Result<Outcome> {
    let partner = refs::partner(tx, ctx, "partner", &r.partner).await?;
    let partner = PartnerId::from_trusted(partner.id);
    ctx.actor.authorize(&Action::WorkRegistration(&partner))?;
    if r.status == RegistrationStatus::Approved {
        ctx.actor.authorize(&Action::DecideRegistration)?;
    }
    let account = match &r.account {
        RegistrationAccount::Key(k) => AccountTarget::Existing(AccountId::from_trusted(
            refs::imported(tx, ctx, ImportKind::Accounts, "account_id", k).await?,
        )),
        RegistrationAccount::Described {
            name,
            web_domain,
            country,
        } => AccountTarget::Described {
            name: name.clone(),
            web_domain: web_domain.clone(),
            country: *country,
        },
    };
    let f = RegistrationFields {
        account,
        partner_id: Some(partner.clone()),
        title: r.title.clone(),
        product: None,
        estimated_arr_minor: r.amount_minor.unwrap_or(0),
        currency: r.currency,
        expected_close_on: r.expected_close_on,
    };
    let registration = submit_in(tx, ctx.now, ctx.actor, &partner, &f).await?;
    if r.status == RegistrationStatus::Approved
        && registration.status == RegistrationStatus::Pending
    {
        let reason = format!("imported as approved from {}", ctx.source.label());
        approve_pending(tx, ctx.now, ctx.actor, &registration, &reason).await?;
    }
    Ok(Outcome::Created(registration.id.as_str().to_owned()))
}
