//! Programs and their tier ladders.

mod api;
