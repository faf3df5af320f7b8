//! Deal registration through the API (being written).
