//! Partnerships: charters with their verdicts, signatures and phases, and the decision trees.

mod api;
mod browser;
mod track;
