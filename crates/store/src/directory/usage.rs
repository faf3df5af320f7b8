//! Usage a partner reports for its listing, a month at a time (a trust signal beside views
//! and enquiries, and an input of the health score).

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::directory::signals::{UsageInput, UsageReport};
use partnerops_core::scope::{Action, Scope};

use crate::db::{Exec, Sql, row};
use crate::{Actor, Result, Store, audit};
use partnerops_core::ids::EntityId;

row! {
    struct UsageRow {
        period: String,
        installs: Option<i64>,
        customers: Option<i64>,
        reported_at: DateTime<Utc>,
    }
}

fn report_from(r: UsageRow) -> UsageReport {
    UsageReport {
        period: r.period,
        installs: r.installs,
        customers: r.customers,
        reported_at: r.reported_at,
    }
}

impl Store {
    /// A listing's usage reports, newest month first (the listing must be in `scope`).
    pub async fn directory_usage(
        &self,
        scope: &Scope,
        listing_id: &str,
    ) -> Result<Vec<UsageReport>> {
        let mut x = self.db.read();
        let (listing, _) = super::listing_in(&mut x, self.now(), scope, listing_id).await?;
        let mut q = Sql::new(
            "SELECT period, installs, customers, reported_at FROM directory_usage WHERE listing_id = ",
        );
        q.bind(listing.id.as_str())
            .push(" ORDER BY period DESC LIMIT 120");
        Ok(x.all::<UsageRow>(&q)
            .await?
            .into_iter()
            .map(report_from)
            .collect())
    }

    /// The partner (its admin, or vendor staff for it) reports a month's usage of a
    /// listing; a second report of the month replaces the first. Audited on the listing.
    #[tracing::instrument(skip_all, fields(listing_id = %listing_id))]
    pub async fn report_directory_usage(
        &self,
        actor: &Actor,
        listing_id: &str,
        input: &UsageInput,
    ) -> Result<UsageReport> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (listing, _) = super::listing_in(&mut tx, now, &actor.scope(), listing_id).await?;
        actor.authorize(&Action::WriteListing(&listing.partner_id))?;
        let f = input.parse(now.date_naive())?;
        let mut q = Sql::new(
            "SELECT period, installs, customers, reported_at FROM directory_usage WHERE listing_id = ",
        );
        q.bind(listing.id.as_str())
            .push(" AND period = ")
            .bind(f.period.as_str());
        let before = tx.optional::<UsageRow>(&q).await?.map(report_from);
        let mut q = Sql::new(
            "INSERT INTO directory_usage (listing_id, period, installs, customers, reported_by, reported_at) VALUES (",
        );
        q.bind(listing.id.as_str())
            .push(", ")
            .bind(f.period.as_str())
            .push(", ")
            .bind(f.installs)
            .push(", ")
            .bind(f.customers)
            .push(", ")
            .bind(actor.user_id().map(|u| u.to_string()))
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (listing_id, period) DO UPDATE SET installs = excluded.installs, customers = excluded.customers, reported_by = excluded.reported_by, reported_at = excluded.reported_at");
        tx.execute(&q).await?;
        let after = UsageReport {
            period: f.period,
            installs: f.installs,
            customers: f.customers,
            reported_at: now,
        };
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::DirectoryListing,
            listing.id.as_str(),
            AuditAction::Updated,
            Some(&listing.partner_id),
            Some(&serde_json::json!({ "usage": before })),
            Some(&serde_json::json!({ "usage": after })),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
