//! The OpenAPI document against the API router.

mod api;
