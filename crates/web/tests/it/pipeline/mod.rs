//! The pipeline (issue 10): opportunities from registrations and by hand, stage moves,
//! closing with the rate of the day, reopening, touchpoints, the board and the forecast.

mod api;
mod browser;
mod ui;
