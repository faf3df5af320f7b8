//! Program policy: the policy document, its versions, diffs, drafts and the what-if replay.

mod api;
mod browser;
