//! Partnership architecture (DESIGN §6; seeds 000 and 003): deciding whether a strategic or
//! technology partnership is real before time goes into it.
//!
//! - [`charter`]: mutual goals, value exchange and what each side loses, with the
//!   skin-in-the-game test ("a handshake, not a partnership"), signatures and amendments;
//! - [`story`]: the six questions of a partner story and their verdict;
//! - [`leverage`]: the leverage type and its recommendation;
//! - [`phases`]: crawl, walk, run, in order, with go/no-go gates;
//! - [`tree`]: decision trees as data, evaluated with the path taken;
//! - [`track`]: the technology partnership track: where a partner starts, when it is
//!   evaluated for the next tier.
//!
//! Every verdict names the answers that caused it.

pub mod charter;
pub mod content;
pub mod leverage;
pub mod operating_model;
pub mod phases;
pub mod record;
pub mod story;
pub mod track;
pub mod tree;
