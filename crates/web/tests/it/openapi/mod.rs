//! The OpenAPI document against the API router.

pub mod api;
