//! The OpenAPI document against the API router, and the Rust client generated from it.

pub mod api;
mod client;
