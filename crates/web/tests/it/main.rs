//! The one integration test binary: the real server on port 0 with a fresh database per
//! test, on SQLite and on PostgreSQL, driven over real HTTP (and, in each capability's
//! `browser.rs`, through Chromium). See `harness` for how each test gets its server.
//!
//! Tests live in one folder per capability, named as in the code (`registration`,
//! `partnership`, ...): `api.rs` (and sub-topics) over the JSON API, `ui.rs` over the web UI
//! with plain HTTP, `browser.rs` in Chromium. Shared support: `harness` (servers and seeded
//! worlds), `http` (the client), `session` (UI sign-in without a browser), `browser`
//! (Chromium), `mailbox` (the SMTP sink's messages).

// Test code: a failed expectation should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// Amounts are written major_minor (48_000_00 is 48,000.00), as people read money.
#![allow(clippy::inconsistent_digit_grouping)]

mod browser;
mod harness;
mod http;
mod mailbox;
mod session;

mod account;
mod auth;
mod business_plan;
mod cadence;
mod campaign;
mod directory;
mod enablement;
mod event;
mod file;
mod import;
mod isolation;
mod launch;
mod lifecycle;
mod mapping;
mod mdf;
mod notification;
mod openapi;
mod partner;
mod partnership;
mod payout;
mod pipeline;
mod platform;
mod policy;
mod program;
mod registration;
mod user;
mod webhook;
