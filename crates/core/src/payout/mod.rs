//! Incentives and payouts (DESIGN §9; seed 001 Step 1 "what do partners get?", seed 002 §1
//! "reward adoption and renewal"): the `[incentives]` policy section ([`policy`]), the lines
//! a revenue event earns and the negations of clawbacks and reversals ([`accrual`]), the
//! statements and their states ([`statement`]), the records as the API shows them
//! ([`record`]) and the what-if for a draft section ([`whatif`]).
//!
//! What lives here is pure: integer minor units and basis points, one rounding function
//! ([`accrual::line_amounts`]), every refusal a rule and a reason. What must not: SQL, HTTP,
//! the clock; exactly-once accrual is the store's (a unique key per event and rule).

pub mod accrual;
pub mod policy;
pub mod record;
pub mod statement;
pub mod whatif;

#[cfg(test)]
mod proptests;

pub use policy::IncentivePolicy;
