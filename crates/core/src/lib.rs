//! The partnerops domain core: the types of a partner program (programs, tiers, partners,
//! accounts, users), the parsing that turns raw input into those types, and the rules that
//! decide things (who may do what, how a list is paged, when a login is throttled).
//!
//! What lives here is pure: no database, no network, no files, no clock, no randomness, no
//! async. Callers pass the current time and generated ids in. Everything here is unit- and
//! property-tested without a database; the store and HTTP layers depend on this crate, never
//! the other way round.
//!
//! Layout, from the bottom up:
//!
//! - [`kernel`]: shared value types and cross-cutting rules (ids, money, country, e-mail,
//!   web domain, validation failures, paging, scope, throttling, rate limits, client address,
//!   audit);
//! - [`account`], [`partner`], [`user`]: the foundation records every capability refers to,
//!   and [`token`]: what an API token may reach and how long it lives;
//! - [`program`] (with [`program::tier`]): programs and their tier ladders;
//! - one folder per capability: [`registration`], [`lifecycle`], [`partnership`],
//!   [`policy`], [`pipeline`], [`business_plan`], [`cadence`], [`campaign`], [`file`], [`notification`], [`payout`], [`mdf`], [`webhook`],
//!   [`enablement`], [`event`].
//!   [`enablement`], [`launch`], [`directory`], [`mapping`].
//!
//! Stable paths: the kernel modules and `tier` are re-exported at the crate root
//! (`partnerops_core::ids`, `partnerops_core::money`, `partnerops_core::tier`, ...), and
//! those root paths are the ones other crates use; they stay when files move inside the core.

pub mod account;
pub mod business_plan;
pub mod cadence;
pub mod campaign;
pub mod directory;
pub mod enablement;
pub mod engagement;
pub mod event;
pub mod file;
pub mod import;
pub mod kernel;
pub mod launch;
pub mod lifecycle;
pub mod mapping;
pub mod mdf;
pub mod notification;
pub mod partner;
pub mod partnership;
pub mod payout;
pub mod pipeline;
pub mod policy;
pub mod program;
pub mod registration;
pub mod token;
pub mod user;
pub mod webhook;

pub use kernel::invalid::{FieldError, Invalid};
pub use kernel::{
    audit, client_addr, country, email, ids, invalid, money, page, rate_limit, scope, throttle,
    web_domain,
};
pub use program::tier;
