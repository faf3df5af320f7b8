//! The dated currency-rate table: read, set one rate, import a CSV file (all or nothing).
//! Closing an opportunity reads the rate of its close date (`stage.rs`) and keeps it, so
//! editing the table later never changes a closed deal's figures; the board and forecast
//! convert open amounts at the rates in force today.

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::money::Currency;
use partnerops_core::pipeline::fx::{
    FxRate, FxRateInput, Rate, RateImport, Rates, format_rate, parse_rates_csv,
};
use partnerops_core::scope::{Action, Scope};

use crate::db::{Exec, Sql, Tx, row};
use crate::{Actor, Result, Store, StoreError, audit, scope};

row! {
    struct RateRow {
        from_currency: String,
        to_currency: String,
        effective_on: NaiveDate,
        rate_e8: i64,
        updated_by_name: String,
    }
}

fn from_row(r: RateRow) -> Result<FxRate> {
    let currency = |field: &str, raw: &str| {
        Currency::parse(field, raw).map_err(|e| StoreError::Corrupt(e.message))
    };
    Ok(FxRate {
        from: currency("from_currency", &r.from_currency)?,
        to: currency("to_currency", &r.to_currency)?,
        effective_on: r.effective_on,
        rate: format_rate(r.rate_e8),
        rate_e8: r.rate_e8,
        updated_by_name: r.updated_by_name,
    })
}

/// The id of one rate, also its audit id: pair and day (`EUR-USD-2026-01-01`).
fn rate_key(r: &Rate) -> String {
    format!("{}-{}-{}", r.from, r.to, r.effective_on)
}

/// The whole table, for conversions (a few hundred rows at most in practice).
pub(crate) async fn all_rates(x: &mut impl Exec) -> Result<Rates> {
    let rows: Vec<RateRow> = x
        .all(&Sql::new(
            "SELECT from_currency, to_currency, effective_on, rate_e8, updated_by_name FROM fx_rates",
        ))
        .await?;
    let rates = rows
        .into_iter()
        .map(|r| {
            from_row(r).map(|f| Rate {
                from: f.from,
                to: f.to,
                effective_on: f.effective_on,
                rate_e8: f.rate_e8,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Rates::new(rates).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Adds or replaces one rate; says which, and audits a change.
pub(crate) async fn upsert(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    rate: &Rate,
) -> Result<Option<bool>> {
    let mut q = Sql::new(
        "SELECT from_currency, to_currency, effective_on, rate_e8, updated_by_name FROM fx_rates WHERE from_currency = ",
    );
    q.bind(rate.from.as_str())
        .push(" AND to_currency = ")
        .bind(rate.to.as_str())
        .push(" AND effective_on = ")
        .bind(rate.effective_on);
    let before: Option<FxRate> = tx
        .optional::<RateRow>(&q)
        .await?
        .map(from_row)
        .transpose()?;
    if before.as_ref().is_some_and(|b| b.rate_e8 == rate.rate_e8) {
        return Ok(None);
    }
    let mut q = Sql::new(
        "INSERT INTO fx_rates (id, from_currency, to_currency, effective_on, rate_e8, updated_by_name, created_at, updated_at) VALUES (",
    );
    q.bind(rate_key(rate))
        .push(", ")
        .bind(rate.from.as_str())
        .push(", ")
        .bind(rate.to.as_str())
        .push(", ")
        .bind(rate.effective_on)
        .push(", ")
        .bind(rate.rate_e8)
        .push(", ")
        .bind(actor.audit_name())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (id) DO UPDATE SET rate_e8 = excluded.rate_e8, updated_by_name = excluded.updated_by_name, updated_at = excluded.updated_at");
    tx.execute(&q).await?;
    let after = FxRate {
        from: rate.from,
        to: rate.to,
        effective_on: rate.effective_on,
        rate: format_rate(rate.rate_e8),
        rate_e8: rate.rate_e8,
        updated_by_name: actor.audit_name(),
    };
    let action = if before.is_some() {
        AuditAction::Updated
    } else {
        AuditAction::Created
    };
    audit::record(
        tx,
        now,
        actor,
        EntityKind::FxRate,
        &rate_key(rate),
        action,
        None,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    Ok(Some(before.is_none()))
}

impl Store {
    /// The rate table, newest day first per pair (vendor staff; a partner sees none).
    #[tracing::instrument(skip_all)]
    pub async fn fx_rates(&self, scope: &Scope) -> Result<Vec<FxRate>> {
        let mut q = Sql::new(
            "SELECT r.from_currency, r.to_currency, r.effective_on, r.rate_e8, r.updated_by_name FROM fx_rates r WHERE 1 = 1",
        );
        scope::restrict(&mut q, scope, EntityKind::FxRate, "r");
        q.push(" ORDER BY r.from_currency, r.to_currency, r.effective_on DESC");
        let rows: Vec<RateRow> = self.db.read().all(&q).await?;
        rows.into_iter().map(from_row).collect()
    }

    /// Adds or replaces the rate of one pair on one day.
    #[tracing::instrument(skip_all)]
    pub async fn set_fx_rate(&self, actor: &Actor, input: &FxRateInput) -> Result<FxRate> {
        actor.authorize(&Action::WriteFxRates)?;
        let rate = input.parse("")?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        upsert(&mut tx, now, actor, &rate).await?;
        tx.commit().await?;
        Ok(FxRate {
            from: rate.from,
            to: rate.to,
            effective_on: rate.effective_on,
            rate: format_rate(rate.rate_e8),
            rate_e8: rate.rate_e8,
            updated_by_name: actor.audit_name(),
        })
    }

    /// Imports rates from CSV (`from,to,effective_on,rate`): every row is checked first, and
    /// one bad row refuses the file; then all rows are written in one transaction.
    #[tracing::instrument(skip_all)]
    pub async fn import_fx_rates(&self, actor: &Actor, csv: &str) -> Result<RateImport> {
        actor.authorize(&Action::WriteFxRates)?;
        let rates = parse_rates_csv(csv)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut done = RateImport::default();
        for rate in &rates {
            match upsert(&mut tx, now, actor, rate).await? {
                Some(true) => done.added += 1,
                Some(false) => done.replaced += 1,
                None => done.unchanged += 1,
            }
        }
        tx.commit().await?;
        Ok(done)
    }
}
