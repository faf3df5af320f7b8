//! Market development funds (DESIGN §8; issue 12 "MDF"): the chain budget → allocation →
//! request → approval → claim → payment, and what the funded activities brought (ROI).
//!
//! - [`policy`]: the `[mdf]` section of the program policy (approval limits per staff
//!   role, the claim deadline);
//! - [`rules`]: the states of requests and claims and every move between them, the claim
//!   deadline, and the balance arithmetic (what a move commits or releases);
//! - [`record`]: the records as the API shows them and the inputs that create them;
//! - [`roi`]: MDF ROI = won revenue ÷ MDF paid, per activity, partner and period.
//!
//! **When money is committed**: at request submission. Submitting a request takes its
//! planned cost from the allocation's remaining balance, so a partner can never ask for more
//! than it was given; approval keeps the approved part (releasing the rest when a lower
//! amount is approved), rejection and cancellation release it all, and an approved claim
//! keeps what it pays (releasing the rest; a rejected claim releases everything). A
//! budget's remaining balance falls when an allocation is made from it. The store applies
//! each debit as one conditional `UPDATE … WHERE remaining_minor >= $x` in the transaction
//! of the state change, and both tables carry `CHECK (remaining_minor >= 0)`, so no race
//! can overspend; the functions here say how much moves and why.
//!
//! What lives here is pure (no SQL, no clock): callers pass `today`.

pub mod policy;
pub mod record;
pub mod roi;
pub mod rules;

#[cfg(test)]
mod proptests;

pub use policy::MdfPolicy;
