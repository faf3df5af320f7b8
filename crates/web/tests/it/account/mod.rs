//! Accounts (the customer companies deals are registered on).

mod api;
