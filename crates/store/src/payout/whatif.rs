//! The economics what-if: loads a program's paid deals of the last N months (with their
//! renewals and expansions) once, and replays them under the published `[incentives]`
//! and a draft's (`core::payout::whatif`). Writes nothing.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use partnerops_core::ids::{EntityId, PartnerId};
use partnerops_core::money::Money;
use partnerops_core::payout::accrual::{Deal, JbpQuarter, Standing};
use partnerops_core::payout::whatif::{EconomicsWhatIf, ReplayDeal, replay};
use partnerops_core::pipeline::fx::RateAtClose;
use partnerops_core::pipeline::record::RouteKind;
use partnerops_core::policy::ProgramPolicy;
use partnerops_core::program::Program;
use partnerops_core::scope::Scope;

use super::{corrupt, currency};
use crate::db::{Exec, Sql, row};
use crate::{Result, Store, entity, policy};

/// Most months a what-if looks back.
pub const MAX_MONTHS: u32 = 60;

row! {
    struct DealRow {
        opportunity_id: String,
        partner_id: String,
        tier: String,
        route: String,
        closed_on: NaiveDate,
        amount_minor: i64,
        currency: String,
        rate_to: String,
        rate_e8: i64,
        certified_individuals: i64,
        jbp_milestone_minor: Option<i64>,
        jbp_won_before_minor: Option<i64>,
    }
}

row! {
    struct EventRow {
        opportunity_id: String,
        kind: String,
        arr_minor: Option<i64>,
    }
}

impl Store {
    /// What the deals closed in the last `months` months would have paid under `draft`'s
    /// incentives, against the published ones.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn simulate_economics(
        &self,
        scope: &Scope,
        program_id: &str,
        draft: &ProgramPolicy,
        months: u32,
    ) -> Result<EconomicsWhatIf> {
        let mut r = self.db.read();
        let _: Program = entity::fetch(&mut r, scope, program_id).await?;
        let current = policy::current_version(&mut r, program_id)
            .await?
            .policy
            .incentives;
        let today = self.now().date_naive();
        let since = today
            .checked_sub_months(Months::new(months.min(MAX_MONTHS)))
            .unwrap_or(today);
        let mut q = Sql::new(
            "SELECT opportunity_id, partner_id, tier, route, closed_on, amount_minor, currency, rate_to, rate_e8, certified_individuals, jbp_milestone_minor, jbp_won_before_minor FROM payout_deals WHERE reversed_at IS NULL AND program_id = ",
        );
        q.bind(program_id).push(" AND closed_on >= ").bind(since);
        let rows: Vec<DealRow> = r.all(&q).await?;
        let mut q = Sql::new(
            "SELECT e.opportunity_id, e.kind, e.arr_minor FROM revenue_events e JOIN payout_deals d ON d.opportunity_id = e.opportunity_id AND d.reversed_at IS NULL WHERE d.program_id = ",
        );
        q.bind(program_id)
            .push(" AND d.closed_on >= ")
            .bind(since)
            .push(" AND e.kind <> 'cancellation' ORDER BY e.occurred_on, e.id");
        let mut events: HashMap<String, Vec<EventRow>> = HashMap::new();
        for e in r.all::<EventRow>(&q).await? {
            events.entry(e.opportunity_id.clone()).or_default().push(e);
        }
        let mut deals = Vec::with_capacity(rows.len());
        for d in rows {
            let from = currency(&d.currency)?;
            let to = currency(&d.rate_to)?;
            let after = events.remove(&d.opportunity_id).unwrap_or_default();
            let in_currency = |kind: &str| {
                after
                    .iter()
                    .filter(|e| e.kind == kind)
                    .map(|e| Money::new(e.arr_minor.unwrap_or(0), from))
                    .collect::<Vec<_>>()
            };
            deals.push(ReplayDeal {
                partner_id: PartnerId::from_trusted(d.partner_id.clone()),
                renewals: in_currency("renewal"),
                expansions: in_currency("expansion"),
                deal: Deal {
                    tier: d.tier,
                    route: RouteKind::parse("route", &d.route).map_err(corrupt)?,
                    arr: Money::new(d.amount_minor, from),
                    closed_on: d.closed_on,
                    rate: RateAtClose {
                        from,
                        to,
                        close_on: d.closed_on,
                        rate_e8: d.rate_e8,
                        effective_on: None,
                    },
                },
                standing: Standing {
                    certified_individuals: d.certified_individuals,
                    jbp: d.jbp_milestone_minor.map(|m| JbpQuarter {
                        milestone_minor: m,
                        won_before_minor: d.jbp_won_before_minor.unwrap_or(0),
                    }),
                },
            });
        }
        let mut out = replay(&deals, &current, &draft.incentives);
        row! { struct Named { id: String, name: String } }
        let mut q = Sql::new("SELECT p.id, p.name FROM partners p WHERE p.program_id = ");
        q.bind(program_id);
        let names: HashMap<String, String> = r
            .all::<Named>(&q)
            .await?
            .into_iter()
            .map(|n| (n.id, n.name))
            .collect();
        for p in &mut out.partners {
            p.partner_name = names.get(&p.partner_id).cloned().unwrap_or_default();
        }
        row! { struct ProgramCurrency { currency: String } }
        let mut q = Sql::new("SELECT currency FROM programs WHERE id = ");
        q.bind(program_id);
        out.currency = match r.optional::<ProgramCurrency>(&q).await? {
            Some(c) => Some(currency(&c.currency)?),
            None => None,
        };
        out.months = months.min(MAX_MONTHS);
        Ok(out)
    }
}
