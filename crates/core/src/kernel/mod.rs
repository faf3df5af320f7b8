//! The kernel: small value types and rules every capability shares. Typed ids, money,
//! countries and regions, e-mail addresses and web domains (each parsed once at the edge),
//! validation failures, list paging, tenant scope and authorization, login throttling and
//! client-address selection, and audit events.
//!
//! Nothing here knows about a capability (registration, lifecycle, partnership, policy):
//! those depend on the kernel, never the other way round. Like the rest of the core it does
//! no I/O, is not async and never reads the clock or a random source; callers pass the time
//! and generated ids in.

pub mod audit;
pub mod client_addr;
pub mod country;
pub mod email;
pub mod ids;
pub mod invalid;
pub mod money;
pub mod page;
pub mod rate_limit;
pub mod scope;
pub mod throttle;
pub mod web_domain;
