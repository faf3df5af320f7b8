//! Joint business plans (issue 10): both sides sign, amendments are versions with a diff,
//! attainment and drift come from live pipeline data, reviews follow the cadence, and a plan
//! in place counts for the tier criteria; `kept_sums.rs`: the per-partner sums attainment
//! reads equal the rows after every kind of write; `reminders.rs`: the daily drift, review
//! and task reminders, and the tasks a review's next steps become.

mod api;
mod kept_sums;
mod reminders;
mod ui;
