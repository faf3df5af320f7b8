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
use partnerops_core::import::ImportKind;
use partnerops_core::import::row::{ImportRecord, RegistrationAccount, RegistrationRecord};
use partnerops_core::registration::RegistrationStatus;
use partnerops_core::registration::record::{AccountTarget, RegistrationFields};
use partnerops_core::scope::Action;

use super::keys::{Outcome, RowByRow};
use super::{RunCtx, refs};
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

/// How registration rows are written.
pub(super) const ROWS: RowByRow<RegistrationRecord> = RowByRow {
    kind: KIND,
    renames: RENAMES,
    pick: |r| match r {
        ImportRecord::Registration(x) => Some((x.row, x.external_id.clone(), x)),
        _ => None,
    },
    one: |tx, ctx, target, r| Box::pin(submit(tx, ctx, target, r)),
};

async fn submit(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    target: Option<&str>,
    r: &RegistrationRecord,
) -> Result<Outcome> {
    if target.is_some() {
        return Ok(Outcome::Unchanged);
    }
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
