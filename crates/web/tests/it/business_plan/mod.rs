//! Joint business plans (issue 10): both sides sign, amendments are versions with a diff,
//! attainment and drift come from live pipeline data, reviews follow the cadence, and a plan
//! in place counts for the tier criteria; `reminders.rs`: the daily drift, review and task
//! reminders, and the tasks a review's next steps become.

mod api;
mod reminders;
mod ui;
