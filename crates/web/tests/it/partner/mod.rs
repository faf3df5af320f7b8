//! Partners: the API and the vendor console's partner pages.

mod api;
mod browser;
