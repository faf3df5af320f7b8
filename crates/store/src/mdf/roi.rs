//! The MDF ROI read: each funded activity with a paid claim or a linked opportunity, the
//! MDF paid on it and its linked won deals with the rate stored at close. The arithmetic is
//! the core's (`partnerops_core::mdf::roi`). A partner reads only its own activities.

use chrono::NaiveDate;
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::{EntityId, ProgramId};
use partnerops_core::mdf::roi::{Activity, RoiReport, WonDeal, report};
use partnerops_core::money::Money;
use partnerops_core::scope::Scope;

use super::currency;
use crate::db::{Exec, Sql, row};
use crate::{Result, Store, scope};

row! {
    struct ActivityRow {
        id: String,
        title: String,
        partner_id: String,
        partner_name: String,
        period_start: NaiveDate,
        period_end: NaiveDate,
        currency: String,
        paid_minor: Option<i64>,
    }
}

row! {
    struct WonRow {
        request_id: String,
        opportunity_id: String,
        amount_minor: i64,
        currency: String,
        close_rate_to: Option<String>,
        close_rate_e8: Option<i64>,
    }
}

impl Store {
    /// MDF ROI per activity, partner and budget period (of one program, or all): vendor
    /// staff read every partner's, a partner its own activities.
    #[tracing::instrument(skip_all)]
    pub async fn mdf_roi(
        &self,
        scope: &Scope,
        program_id: Option<&ProgramId>,
    ) -> Result<RoiReport> {
        let mut read = self.db.read();
        let mut q = Sql::new(
            "SELECT r.id, r.title, r.partner_id, p.name AS partner_name, b.period_start, b.period_end, r.currency, c.approved_minor AS paid_minor FROM mdf_requests r JOIN partners p ON p.id = r.partner_id JOIN mdf_allocations a ON a.id = r.allocation_id JOIN mdf_budgets b ON b.id = a.budget_id LEFT JOIN mdf_claims c ON c.request_id = r.id AND c.state = 'paid' WHERE (c.id IS NOT NULL OR EXISTS (SELECT 1 FROM mdf_request_opportunities l WHERE l.request_id = r.id))",
        );
        if let Some(p) = program_id {
            q.push(" AND b.program_id = ").bind(p.as_str());
        }
        scope::restrict(&mut q, scope, EntityKind::MdfRequest, "r");
        q.push(" ORDER BY b.period_start DESC, p.name, r.created_at, r.id");
        let rows: Vec<ActivityRow> = read.all(&q).await?;
        // Only the deals of the activities read above.
        let mut q = Sql::new(
            "SELECT l.request_id, o.id AS opportunity_id, o.amount_minor, o.currency, o.close_rate_to, o.close_rate_e8 FROM mdf_request_opportunities l JOIN opportunities o ON o.id = l.opportunity_id JOIN mdf_requests r ON r.id = l.request_id JOIN mdf_allocations a ON a.id = r.allocation_id JOIN mdf_budgets b ON b.id = a.budget_id WHERE o.stage = 'won'",
        );
        if let Some(p) = program_id {
            q.push(" AND b.program_id = ").bind(p.as_str());
        }
        scope::restrict(&mut q, scope, EntityKind::MdfRequest, "r");
        q.push(" ORDER BY l.request_id, o.id");
        let won: Vec<WonRow> = read.all(&q).await?;
        let mut activities = Vec::with_capacity(rows.len());
        for r in rows {
            let c = currency(&r.currency)?;
            let mut deals = Vec::new();
            for w in won.iter().filter(|w| w.request_id == r.id) {
                let amount = Money::new(w.amount_minor, currency(&w.currency)?);
                let rate_to = match &w.close_rate_to {
                    Some(t) => currency(t)?,
                    None => amount.currency,
                };
                deals.push(WonDeal {
                    opportunity_id: w.opportunity_id.clone(),
                    amount,
                    rate_to,
                    rate_e8: w.close_rate_e8.unwrap_or(0),
                });
            }
            activities.push(Activity {
                request_id: r.id,
                title: r.title,
                partner_id: r.partner_id,
                partner_name: r.partner_name,
                period: format!("{} – {}", r.period_start, r.period_end),
                currency: c,
                paid_minor: r.paid_minor.unwrap_or(0),
                won: deals,
            });
        }
        Ok(report(&activities))
    }
}
