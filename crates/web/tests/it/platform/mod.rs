//! The platform: health, metrics, request ids, client addresses behind proxies, migrations
//! and the schema on both backends.

mod api;
mod export;
mod idempotency;
mod if_match;
mod pooler;
mod proxy;
mod restart;
mod scale_out;
