//! The pipeline (DESIGN §4; seed 000's repeatable path from target account to close):
//! opportunities on accounts, their stages and stage history, partner touchpoints, the
//! forecast and the dated currency-rate table.
//!
//! What lives here is pure domain: records parsed from input at the edge ([`record`]), the
//! stage rules that return a [`Decision`] for every outcome ([`rules`]), the weighted forecast
//! ([`forecast`]), currency conversion on a date ([`fx`]), touchpoint kinds and lateness
//! ([`touchpoint`]) and the `[pipeline]` policy section ([`policy`]). What must not: SQL,
//! HTTP, a clock (every rule takes its time as a parameter), floats for money (amounts are
//! integer minor units, rates fixed-point), or cross-currency sums without a dated rate.

pub mod board;
pub mod forecast;
pub mod fx;
pub mod policy;
pub mod record;
pub mod room;
pub mod rules;
pub mod touchpoint;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::registration::Decision;
use policy::{LOST, LOST_PROBABILITY_BP, PipelinePolicy, WON, WON_PROBABILITY_BP};

/// Where an opportunity is: one of the policy's open stages (by key), or closed.
///
/// On the wire and in the database it is the stage key as text (`"handoff"`, `"won"`,
/// `"lost"`); `won` and `lost` are reserved, so the text alone says which it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Stage {
    Open(String),
    Won,
    Lost,
}

impl Stage {
    /// The stage key as stored.
    pub fn as_str(&self) -> &str {
        match self {
            Stage::Open(k) => k,
            Stage::Won => WON,
            Stage::Lost => LOST,
        }
    }

    /// Whether the opportunity is closed (won or lost).
    pub fn is_closed(&self) -> bool {
        !matches!(self, Stage::Open(_))
    }

    /// The win probability of this stage under `policy`, in basis points; `None` for an open
    /// stage the policy no longer lists.
    pub fn probability_bp(&self, policy: &PipelinePolicy) -> Option<u32> {
        match self {
            Stage::Open(k) => policy.stage(k).map(|s| s.probability_bp),
            Stage::Won => Some(WON_PROBABILITY_BP),
            Stage::Lost => Some(LOST_PROBABILITY_BP),
        }
    }

    /// A label for people: the policy's label of an open stage (its key if unlisted).
    pub fn label<'a>(&'a self, policy: &'a PipelinePolicy) -> &'a str {
        match self {
            Stage::Open(k) => policy.stage(k).map_or(k.as_str(), |s| s.label.as_str()),
            Stage::Won => "Closed won",
            Stage::Lost => "Closed lost",
        }
    }
}

impl From<String> for Stage {
    fn from(s: String) -> Stage {
        match s.as_str() {
            WON => Stage::Won,
            LOST => Stage::Lost,
            _ => Stage::Open(s),
        }
    }
}

impl From<Stage> for String {
    fn from(s: Stage) -> String {
        s.as_str().to_owned()
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
