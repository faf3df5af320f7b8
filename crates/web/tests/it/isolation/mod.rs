//! Tenant isolation: a partner can neither see nor change another partner's data, through any API or UI route.

pub mod api;
mod browser;
mod ui;
