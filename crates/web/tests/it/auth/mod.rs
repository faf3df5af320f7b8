//! Authentication: API tokens, sign-in to the web UI with its CSRF checks, and throttling.

mod api;
mod browser;
mod rate_limit;
mod scopes;
mod ui;
