//! Users: who may create whom, self-service and archiving.

mod api;
