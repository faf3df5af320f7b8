//! The platform: health, metrics, migrations and the schema on both backends.

mod api;
mod proxy;
