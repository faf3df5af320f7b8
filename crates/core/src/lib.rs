//! The partnerops domain core: the types of a partner program (programs, tiers, partners,
//! accounts, users), the parsing that turns raw input into those types, and the rules that
//! decide things (who may do what, how a list is paged, when a login is throttled).
//!
//! What lives here is pure: no database, no network, no files, no clock, no randomness, no
//! async. Callers pass the current time and generated ids in. Everything here is unit- and
//! property-tested without a database; the store and HTTP layers depend on this crate, never
//! the other way round.

pub mod account;
pub mod audit;
pub mod country;
pub mod email;
pub mod ids;
pub mod invalid;
pub mod lifecycle;
pub mod money;
pub mod page;
pub mod partner;
pub mod partnership;
pub mod policy;
pub mod program;
pub mod registration;
pub mod scope;
pub mod throttle;
pub mod tier;
pub mod user;
pub mod web_domain;

pub use invalid::{FieldError, Invalid};
