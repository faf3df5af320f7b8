//! `partnerops payouts …`: the accrual and the statement run on demand (both also run as
//! jobs), and the accounts-payable export of a period's approved statements as CSV.

use anyhow::Result;
use partnerops_core::payout::record::{RunStatementsInput, payables_csv};
use partnerops_core::scope::Scope;
use partnerops_store::{Actor, Store};

/// `payouts accrue`: handles every close, reopen and revenue event not yet accrued.
pub async fn accrue(store: &Store) -> Result<()> {
    let r = store.accrue_payouts().await?;
    println!(
        "accrued: {} events, {} paid deals, {} lines, {} earned nothing",
        r.events, r.deals, r.lines, r.nothing
    );
    Ok(())
}

/// `payouts statements`: draws up the statements of a period (default: the last that ended).
pub async fn statements(store: &Store, period_of: Option<String>) -> Result<()> {
    let r = store
        .draw_up_statements(
            &Actor::system("partnerops payouts statements"),
            &RunStatementsInput { period_of },
        )
        .await?;
    println!(
        "periods {}: {} issued, {} rolled over, {} existing",
        r.periods.join(", "),
        r.issued,
        r.rolled_over,
        r.existing
    );
    Ok(())
}

/// `payouts export`: a period's approved statements as CSV on stdout.
pub async fn export(store: &Store, period: &str) -> Result<()> {
    let list = store.approved_statements(&Scope::Vendor, period).await?;
    let csv = payables_csv(&list).map_err(anyhow::Error::msg)?;
    crate::print_out(&csv)
}
