//! Webhooks in the Standard Webhooks format (<https://www.standardwebhooks.com>): the
//! signature of a delivery ([`sign`]), when a failed delivery is tried again and when a
//! subscription gives up ([`schedule`]), and which targets may be called at all
//! ([`target`], against SSRF). Pure: the store keeps subscriptions and deliveries, a job
//! sends them.

pub mod record;
pub mod schedule;
pub mod sign;
pub mod target;
