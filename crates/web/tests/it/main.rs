//! The one integration test binary: the real server on port 0 with a fresh database per
//! test, on SQLite and on PostgreSQL, driven over real HTTP (and, for `browser`, through
//! Chromium). See `harness` for how each test gets its server.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod http;

mod accounts;
mod auth;
mod browser;
mod browser_charters;
mod browser_lifecycle;
mod browser_registrations;
mod charters;
mod isolation;
mod lifecycle;
mod openapi;
mod partners;
mod platform;
mod programs;
mod registration_review;
mod registrations;
mod review_fixes;
mod ui;
mod users;
