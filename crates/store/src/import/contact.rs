//! Contacts from a CRM file: the people at partner companies, imported as users of their
//! partner (partnerops has no separate contact book; the people a vendor works with at a
//! partner are that partner's users). They are created without a password, so they sign
//! in after an invitation or a password reset; a new record id is matched to an existing
//! user of the same partner by e-mail address. An import never changes a vendor user, never
//! moves a user to another partner, and never makes one vendor staff.

use partnerops_core::email::Email;
use partnerops_core::ids::{EntityId, PartnerId};
use partnerops_core::import::ImportKind;
use partnerops_core::import::row::{ContactRecord, ImportRecord};
use partnerops_core::scope::{Action, Scope};
use partnerops_core::user::{NewUser, User};

use super::keys::{self, Outcome, RowByRow};
use super::{RunCtx, refs};
use crate::db::{Exec, Sql, Tx};
use crate::{Result, StoreError, entity};

const KIND: ImportKind = ImportKind::Contacts;

const RENAMES: &[(&str, &str)] = &[("partner_id", "partner"), ("display_name", "name")];

/// How contact rows are written.
pub(super) const ROWS: RowByRow<ContactRecord> = RowByRow {
    kind: KIND,
    renames: RENAMES,
    pick: |r| match r {
        ImportRecord::Contact(x) => Some((x.row, x.external_id.clone(), x)),
        _ => None,
    },
    one: |tx, ctx, target, r| Box::pin(one(tx, ctx, target, r)),
};

async fn by_email(tx: &mut Tx, email: &Email) -> Result<Option<User>> {
    let mut q = Sql::new(<User as entity::Entity>::SELECT);
    q.push(" AND users.email = ").bind(email.as_str());
    let row: Option<<User as entity::Entity>::Row> = tx.optional(&q).await?;
    row.map(<User as entity::Entity>::from_row).transpose()
}

async fn one(
    tx: &mut Tx,
    ctx: &RunCtx<'_>,
    target: Option<&str>,
    r: &ContactRecord,
) -> Result<Outcome> {
    let partner = refs::partner(tx, ctx, "partner", &r.partner).await?;
    let partner = PartnerId::from_trusted(partner.id);
    ctx.actor.authorize(&Action::WriteUser {
        role: r.role,
        partner: Some(&partner),
    })?;
    let (before, linked) = match target {
        Some(id) => (
            Some(entity::fetch::<User>(tx, &Scope::Vendor, id).await?),
            false,
        ),
        None => (by_email(tx, &r.email).await?, true),
    };
    if let Some(u) = before.as_ref().filter(|_| linked)
        && let Some(other) = keys::key_of(tx, ctx, KIND, u.id.as_str()).await?
    {
        return Err(StoreError::conflict(
            "email",
            "unique",
            format!(
                "the user with this e-mail address was imported from this source as record {other}: one record per person"
            ),
        ));
    }
    let Some(before) = before else {
        let new = NewUser {
            email: r.email.clone(),
            display_name: r.display_name.clone(),
            role: r.role,
            partner_id: Some(partner),
            password: None,
        };
        let user = crate::user::insert(tx, ctx.now, ctx.actor, &new, None).await?;
        return Ok(Outcome::Created(user.id.as_str().to_owned()));
    };
    match &before.partner_id {
        None => {
            return Err(StoreError::conflict(
                "email",
                "contact.vendor_user",
                "this e-mail address is a vendor user's: an import never changes vendor staff",
            ));
        }
        Some(p) if *p != partner => {
            return Err(StoreError::conflict(
                "partner_id",
                "contact.other_partner",
                "this person is a user of another partner: an import does not move users between partners",
            ));
        }
        Some(_) => {}
    }
    if before.email != r.email {
        return Err(StoreError::conflict(
            "email",
            "contact.email_changed",
            format!(
                "the contact was imported as {}: a user's e-mail address is their sign-in and does not change by import",
                before.email.as_str()
            ),
        ));
    }
    let changed = before.display_name != r.display_name || before.role != r.role;
    if changed {
        ctx.actor.authorize(&Action::WriteUser {
            role: before.role,
            partner: before.partner_id.as_ref(),
        })?;
        let mut q = Sql::new("UPDATE users SET display_name = ");
        q.bind(r.display_name.as_str())
            .push(", role = ")
            .bind(r.role.as_str())
            .push(", updated_at = ")
            .bind(ctx.now)
            .push(" WHERE partner_id IS NOT NULL AND id = ")
            .bind(before.id.as_str());
        tx.execute(&q).await?;
        crate::change::after_change(
            tx,
            ctx.now,
            ctx.actor,
            &before,
            crate::change::Change::updated(),
        )
        .await?;
    }
    Ok(match (linked, changed) {
        (true, changed) => Outcome::Linked {
            record_id: before.id.as_str().to_owned(),
            changed,
        },
        (false, true) => Outcome::Updated,
        (false, false) => Outcome::Unchanged,
    })
}
