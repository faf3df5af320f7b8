//! Deal registration in Chromium (being written).
