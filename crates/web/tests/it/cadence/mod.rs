//! The 30-day cadence: the agenda per user, the plans at a glance, calendar feeds and the
//! home page of staff.

mod api;
mod ui;
