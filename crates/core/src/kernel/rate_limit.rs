//! API rate limits: a fixed window per key (a token, or a client address), counted by the
//! store in one shared row per key so every instance sees the same count. This decides what
//! a count means: how many requests remain, when the window resets, and whether the request
//! is over the limit. The answer's headers follow the IETF draft "RateLimit header fields
//! for HTTP" (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`,
//! `RateLimit-Policy`).

/// A limit: at most `limit` requests per `window_secs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub window_secs: u32,
}

/// What one counted request may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateVerdict {
    pub limit: u32,
    /// Requests left in this window after this one.
    pub remaining: u32,
    /// Seconds until the window resets (at least 1).
    pub reset_secs: u32,
    /// The request is over the limit: refuse it, retry after `reset_secs`.
    pub exceeded: bool,
}

impl RateLimit {
    /// A limit per minute.
    pub const fn per_minute(limit: u32) -> RateLimit {
        RateLimit {
            limit,
            window_secs: 60,
        }
    }

    /// The window that holds `now_secs` (seconds since the epoch), as its first second.
    pub fn window_of(&self, now_secs: i64) -> i64 {
        let w = i64::from(self.window_secs.max(1));
        now_secs.div_euclid(w) * w
    }

    /// The verdict on the `hits`-th request of the window starting at `window_start`, at
    /// `now_secs`. A window start in the future (another instance's clock is ahead) counts
    /// as this window.
    pub fn verdict(&self, hits: i64, window_start: i64, now_secs: i64) -> RateVerdict {
        let w = i64::from(self.window_secs.max(1));
        let end = window_start.max(self.window_of(now_secs)) + w;
        let reset = (end - now_secs).clamp(1, w);
        let limit = i64::from(self.limit);
        RateVerdict {
            limit: self.limit,
            remaining: u32::try_from((limit - hits).max(0)).unwrap_or(0),
            reset_secs: u32::try_from(reset).unwrap_or(1),
            exceeded: hits > limit,
        }
    }

    /// The `RateLimit-Policy` value: `100;w=60`.
    pub fn policy(&self) -> String {
        format!("{};w={}", self.limit, self.window_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_reached_not_exceeded_at_the_last_allowed_request() {
        let l = RateLimit::per_minute(3);
        // 1_000_000_020 is a whole minute since the epoch.
        let start = l.window_of(1_000_000_040);
        assert_eq!(start, 1_000_000_020);
        let v = l.verdict(3, start, 1_000_000_040);
        assert_eq!((v.remaining, v.exceeded, v.reset_secs), (0, false, 40));
        let v = l.verdict(4, start, 1_000_000_040);
        assert_eq!((v.remaining, v.exceeded), (0, true));
        let v = l.verdict(1, start, 1_000_000_039);
        assert_eq!(v.remaining, 2);
    }

    #[test]
    fn reset_is_within_the_window_even_with_skewed_clocks() {
        let l = RateLimit::per_minute(10);
        // Another instance's clock put the window a minute ahead.
        let v = l.verdict(1, 120, 61);
        assert_eq!(v.reset_secs, 60);
        // The last second of a window resets in 1.
        assert_eq!(l.verdict(1, 60, 119).reset_secs, 1);
        assert_eq!(l.policy(), "10;w=60");
    }
}
