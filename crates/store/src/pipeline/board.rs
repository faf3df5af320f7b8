//! The board (open stages left to right, then won and lost, with money per column) and the
//! weighted forecast per expected-close month, both in the program's currency. The database
//! sums by stage or month and currency; `core::pipeline::board` converts and lays out.
//!
//! The vendor's board of a whole program reads `pipeline_totals`, the sums kept per program,
//! stage and currency in the transaction of every change ([`move_share`]): with a million
//! opportunities, summing them on each view took seconds. A filtered board, and a partner's
//! (the deals it is on), still sum the rows they cover.

use std::collections::HashMap;

use partnerops_core::audit::EntityKind;
use partnerops_core::ids::{EntityId, ProgramId};
use partnerops_core::money::Currency;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::pipeline::Stage;
use partnerops_core::pipeline::board::{self, Board, BoardColumn, Forecast, Sum};
use partnerops_core::pipeline::record::Opportunity;
use partnerops_core::scope::Scope;
use partnerops_core::{FieldError, Invalid};

use super::fx::all_rates;
use super::{OpportunityFilter, OpportunityRow, program_policy};
use crate::db::dialect::month_of;
use crate::db::{Exec, Sql, Tx, row};
use crate::entity::{self, Archived, Entity};
use crate::{Result, Store, StoreError, scope};

/// Cards shown per board column.
pub const CARDS_PER_COLUMN: u32 = 8;

/// The list parameters of a column's cards: soonest expected close first in an open stage,
/// the latest closed first in won and lost.
fn card_params(stage: &str) -> PageParams {
    let closed = Stage::from(stage.to_owned()).is_closed();
    PageParams {
        limit: Some(CARDS_PER_COLUMN.to_string()),
        sort: Some(
            if closed {
                "-updated_at"
            } else {
                "expected_close_on"
            }
            .into(),
        ),
        ..PageParams::default()
    }
}

row! {
    struct SumRow {
        key: String,
        currency: String,
        n: i64,
        amount_minor: i64,
        weighted_minor: i64,
    }
}

row! {
    struct ProgramRow {
        id: String,
        currency: String,
    }
}

/// One opportunity's share of its program's totals: one deal of `stage` in `currency`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Share<'a> {
    pub stage: &'a str,
    pub currency: &'a str,
    pub amount_minor: i64,
    pub weighted_minor: i64,
}

impl<'a> Share<'a> {
    /// The share of `o` as it stands.
    pub(crate) fn of(o: &'a Opportunity) -> Share<'a> {
        Share {
            stage: o.stage.as_str(),
            currency: o.amount.currency.as_str(),
            amount_minor: o.amount.amount_minor,
            weighted_minor: o.weighted_minor,
        }
    }
}

/// Moves one opportunity's share of the program's totals from `from` (none: a new deal)
/// to `to`, in the caller's transaction. One statement with its rows in key order, so two
/// transactions moving deals in opposite directions lock the rows in the same order.
pub(crate) async fn move_share<'a>(
    tx: &mut Tx,
    program_id: &str,
    from: Option<Share<'a>>,
    to: Option<Share<'a>>,
) -> Result<()> {
    // (stage, currency) -> (count, amount, weighted) deltas
    let mut rows: Vec<((&'a str, &'a str), [i64; 3])> = Vec::with_capacity(2);
    let mut add = |s: Share<'a>, sign: i64| {
        let key = (s.stage, s.currency);
        let delta = [sign, sign * s.amount_minor, sign * s.weighted_minor];
        match rows.iter_mut().find(|(k, _)| *k == key) {
            Some((_, d)) => {
                for (x, y) in d.iter_mut().zip(delta) {
                    *x += y;
                }
            }
            None => rows.push((key, delta)),
        }
    };
    if let Some(s) = from {
        add(s, -1);
    }
    if let Some(s) = to {
        add(s, 1);
    }
    rows.retain(|(_, d)| d.iter().any(|x| *x != 0));
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new(
        "INSERT INTO pipeline_totals (program_id, stage, currency, n, amount_minor, weighted_minor) VALUES ",
    );
    for (i, ((stage, currency), [n, amount, weighted])) in rows.into_iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" })
            .bind(program_id)
            .push(", ")
            .bind(stage)
            .push(", ")
            .bind(currency)
            .push(", ")
            .bind(n)
            .push(", ")
            .bind(amount)
            .push(", ")
            .bind(weighted)
            .push(")");
    }
    q.push(
        " ON CONFLICT (program_id, stage, currency) DO UPDATE SET n = pipeline_totals.n + excluded.n, amount_minor = pipeline_totals.amount_minor + excluded.amount_minor, weighted_minor = pipeline_totals.weighted_minor + excluded.weighted_minor",
    );
    tx.execute(&q).await?;
    Ok(())
}

impl Store {
    /// The program a board or forecast is about: the filter's, the partner's own, or the
    /// vendor's only live program.
    async fn report_program(
        &self,
        scope: &Scope,
        filter: &OpportunityFilter,
    ) -> Result<(ProgramId, Currency)> {
        let mut q = Sql::new("SELECT id, currency FROM programs WHERE archived_at IS NULL");
        match (scope, &filter.program_id) {
            (Scope::Partner(p), _) => {
                q.push(" AND id = (SELECT program_id FROM partners WHERE id = ")
                    .bind(p.as_str())
                    .push(")");
            }
            (Scope::Vendor, Some(id)) => {
                q.push(" AND id = ").bind(id.as_str());
            }
            (Scope::Vendor, None) => {}
        }
        q.push(" ORDER BY id LIMIT 2");
        let rows: Vec<ProgramRow> = self.db.read().all(&q).await?;
        match rows.as_slice() {
            [only] => {
                let currency = Currency::parse("currency", &only.currency)
                    .map_err(|e: FieldError| StoreError::Corrupt(e.message))?;
                Ok((ProgramId::from_trusted(only.id.clone()), currency))
            }
            [] if filter.program_id.is_some() => Err(StoreError::NotFound(EntityKind::Program)),
            _ => Err(Invalid::one(
                "program_id",
                "required",
                "program_id is required: the board and forecast are per program",
            )
            .into()),
        }
    }

    /// Sums of the opportunities `scope` sees under `filter`, grouped by `key_sql` and
    /// currency.
    async fn sums(
        &self,
        scope: &Scope,
        filter: &OpportunityFilter,
        key_sql: &str,
    ) -> Result<Vec<Sum>> {
        let join = if filter.q.is_some() {
            " JOIN accounts a ON a.id = opportunities.account_id"
        } else {
            ""
        };
        let mut q = Sql::new(&format!(
            "SELECT {key_sql} AS key, opportunities.currency AS currency, COUNT(*) AS n, CAST(SUM(opportunities.amount_minor) AS BIGINT) AS amount_minor, CAST(SUM(opportunities.weighted_minor) AS BIGINT) AS weighted_minor FROM opportunities opportunities{join} WHERE 1 = 1"
        ));
        scope::restrict(&mut q, scope, EntityKind::Opportunity, "opportunities");
        q.push(" AND (1 = 1");
        filter.push(&mut q);
        q.push(&format!(") GROUP BY {key_sql}, opportunities.currency"));
        let rows: Vec<SumRow> = self.db.read().all(&q).await?;
        rows.into_iter()
            .map(|r| {
                Ok(Sum {
                    key: r.key,
                    currency: Currency::parse("currency", &r.currency)
                        .map_err(|e| StoreError::Corrupt(e.message))?,
                    count: r.n,
                    amount_minor: r.amount_minor,
                    weighted_minor: r.weighted_minor,
                })
            })
            .collect()
    }

    /// The kept totals of a whole program, per stage and currency.
    async fn program_totals(&self, program_id: &str) -> Result<Vec<Sum>> {
        let mut q = Sql::new(
            "SELECT stage AS key, currency, n, amount_minor, weighted_minor FROM pipeline_totals WHERE n <> 0 AND program_id = ",
        );
        q.bind(program_id);
        let rows: Vec<SumRow> = self.db.read().all(&q).await?;
        rows.into_iter()
            .map(|r| {
                Ok(Sum {
                    key: r.key,
                    currency: Currency::parse("currency", &r.currency)
                        .map_err(|e| StoreError::Corrupt(e.message))?,
                    count: r.n,
                    amount_minor: r.amount_minor,
                    weighted_minor: r.weighted_minor,
                })
            })
            .collect()
    }

    /// The board of one program as `scope` sees it, totals converted at today's rates.
    #[tracing::instrument(skip_all)]
    pub async fn pipeline_board(&self, scope: &Scope, filter: &OpportunityFilter) -> Result<Board> {
        let (program_id, currency) = self.report_program(scope, filter).await?;
        let filter = OpportunityFilter {
            program_id: Some(program_id.clone()),
            stage: None,
            ..filter.clone()
        };
        let today = self.now().date_naive();
        let policy = program_policy(&mut self.db.read(), program_id.as_str()).await?;
        let rates = all_rates(&mut self.db.read()).await?;
        let sums = if matches!(scope, Scope::Vendor) && filter.is_program_only() {
            self.program_totals(program_id.as_str()).await?
        } else {
            self.sums(scope, &filter, "opportunities.stage").await?
        };
        let columns = board::columns(&sums, &policy.pipeline, &rates, currency, today);
        let shown: Vec<&str> = columns
            .iter()
            .filter(|c| c.totals.count != 0)
            .map(|c| c.stage.as_str())
            .collect();
        let mut cards = self.cards(scope, &filter, &shown).await?;
        let mut out = Vec::with_capacity(columns.len());
        for column in columns {
            let cards = cards.remove(column.stage.as_str()).unwrap_or_default();
            out.push(BoardColumn { column, cards });
        }
        Ok(Board {
            program_id,
            currency,
            as_of: today,
            columns: out,
        })
    }

    /// The first cards of each column in `stages`: soonest expected close first in an open
    /// stage, the latest closed first in won and lost. One statement (a `UNION ALL` of each
    /// column's list) rather than one per column; each part reads its column's index
    /// (`opportunities_program_stage` or `opportunities_program_stage_updated` for a whole
    /// program) in order.
    async fn cards(
        &self,
        scope: &Scope,
        filter: &OpportunityFilter,
        stages: &[&str],
    ) -> Result<HashMap<String, Vec<Opportunity>>> {
        let mut out: HashMap<String, Vec<Opportunity>> = HashMap::new();
        if stages.is_empty() {
            return Ok(out);
        }
        let sorts = Store::opportunity_sorts();
        let mut q = Sql::default();
        for (i, stage) in stages.iter().enumerate() {
            let page = PageRequest::parse(&card_params(stage), &sorts)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let filter = OpportunityFilter {
                stage: Some((*stage).to_owned()),
                ..filter.clone()
            };
            q.push(if i == 0 { "" } else { " UNION ALL " })
                .push("SELECT * FROM (");
            entity::push_list_sql::<Opportunity>(&mut q, scope, Archived::All, &page, |q| {
                filter.push(q)
            })?;
            q.push(&format!(") cards{i}"));
        }
        let rows: Vec<OpportunityRow> = self.db.read().all(&q).await?;
        for row in rows {
            let o = Opportunity::from_row(row)?;
            out.entry(o.stage.as_str().to_owned()).or_default().push(o);
        }
        for (stage, cards) in &mut out {
            // Each part is in its own order; a union does not promise to keep it.
            if Stage::from(stage.clone()).is_closed() {
                cards.sort_by(|a, b| (b.updated_at, &b.id).cmp(&(a.updated_at, &a.id)));
            } else {
                cards.sort_by(|a, b| {
                    (a.expected_close_on, &a.id).cmp(&(b.expected_close_on, &b.id))
                });
            }
            cards.truncate(CARDS_PER_COLUMN as usize);
        }
        Ok(out)
    }

    /// The weighted forecast of the open opportunities per expected-close month.
    #[tracing::instrument(skip_all)]
    pub async fn pipeline_forecast(
        &self,
        scope: &Scope,
        filter: &OpportunityFilter,
    ) -> Result<Forecast> {
        let (program_id, currency) = self.report_program(scope, filter).await?;
        let filter = OpportunityFilter {
            program_id: Some(program_id.clone()),
            stage: Some("open".into()),
            ..filter.clone()
        };
        let today = self.now().date_naive();
        let rates = all_rates(&mut self.db.read()).await?;
        let month = month_of(self.backend(), "opportunities.expected_close_on");
        let sums = self.sums(scope, &filter, &month).await?;
        Ok(Forecast {
            program_id,
            currency,
            as_of: today,
            months: board::months(&sums, &rates, currency, today),
        })
    }
}
