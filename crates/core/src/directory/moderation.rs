//! Moderation after publication: anyone may report a listing or a review; moderators
//! (vendor staff who may moderate the directory) hide, restore or remove it with a reason;
//! the listing's owner sees every decision and may appeal each one once, which puts it back
//! in the queue. Spam signals (a fresh author posting links, many links, text repeated from
//! other reviews) raise a report by themselves.
//!
//! A removal is final: a removed item cannot be restored (the moderator's word after an
//! appeal is to restore a *hidden* item, so a moderator who may still change their mind
//! hides rather than removes).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Refused, words};
use crate::Invalid;
use crate::ids::{
    DirectoryDecisionId, DirectoryListingId, DirectoryReportId, DirectoryReviewId, PartnerId,
};
use crate::invalid::text;
use crate::text_enum;
use crate::throttle::ThrottlePolicy;

text_enum!(
    /// Whether the public sees a listing or review.
    ModerationState {
        Visible = "visible" / "Visible",
        Hidden = "hidden" / "Hidden by a moderator",
        Removed = "removed" / "Removed by a moderator",
    }
);

text_enum!(
    /// What a moderator does to a listing or review.
    ModerationAction {
        Hide = "hide" / "Hide",
        Restore = "restore" / "Restore",
        Remove = "remove" / "Remove",
    }
);

text_enum!(
    /// What a report is about.
    ReportTarget {
        Listing = "listing" / "Listing",
        Review = "review" / "Review",
    }
);

text_enum!(
    /// Why someone reports.
    ReportReason {
        Spam = "spam" / "Spam or advertising",
        Offensive = "offensive" / "Offensive or abusive",
        Misleading = "misleading" / "False or misleading",
        Illegal = "illegal" / "Illegal content",
        Other = "other" / "Something else",
    }
);

text_enum!(
    /// Where an item of the moderation queue comes from.
    ReportSource {
        Visitor = "visitor" / "Reported by a visitor",
        Signal = "signal" / "Raised by spam signals",
        Appeal = "appeal" / "Appeal by the listing's owner",
    }
);

text_enum!(
    /// Where an item of the queue is.
    ReportStatus {
        Open = "open" / "Open",
        Closed = "closed" / "Closed",
    }
);

/// A moderator's decision: the new state, the rule and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub state: ModerationState,
    pub rule: &'static str,
    pub reason: String,
}

fn refused(rule: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        rule,
        message: message.into(),
    }
}

/// What `action` does to an item in `state`, with the moderator's `reason` (required).
pub fn decide(
    state: ModerationState,
    action: ModerationAction,
    reason: &str,
) -> Result<Decision, Refused> {
    use ModerationAction as A;
    use ModerationState as S;
    match (state, action) {
        (S::Visible, A::Hide) => Ok(Decision {
            state: S::Hidden,
            rule: "moderation.hidden",
            reason: format!("hidden by a moderator: {reason}"),
        }),
        (S::Hidden, A::Hide) => Err(refused("moderation.already_hidden", "it is hidden already")),
        (S::Visible | S::Hidden, A::Remove) => Ok(Decision {
            state: S::Removed,
            rule: "moderation.removed",
            reason: format!("removed by a moderator: {reason}"),
        }),
        (S::Hidden, A::Restore) => Ok(Decision {
            state: S::Visible,
            rule: "moderation.restored",
            reason: format!("restored by a moderator: {reason}"),
        }),
        (S::Visible, A::Restore) => Err(refused(
            "moderation.not_hidden",
            "it is visible: there is nothing to restore",
        )),
        (S::Removed, _) => Err(refused(
            "moderation.removed_final",
            "it was removed, and a removal is final: it cannot be hidden, restored or removed again",
        )),
    }
}

/// Whether the owner may appeal a decision that left the item in `state`: only against a
/// hide or a removal, and only once per decision.
pub fn may_appeal(state: ModerationState, already_appealed: bool) -> Result<(), Refused> {
    if state == ModerationState::Visible {
        return Err(refused(
            "appeal.nothing_to_appeal",
            "the item is visible: there is no decision to appeal",
        ));
    }
    if already_appealed {
        return Err(refused(
            "appeal.once",
            "this decision has been appealed already; each decision can be appealed once",
        ));
    }
    Ok(())
}

/// A report as sent (by anyone, signed in or not).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// spam, offensive, misleading, illegal or other.
    pub reason: Option<String>,
    /// What is wrong, in a few words (required with `other`).
    pub detail: Option<String>,
}

/// A report, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFields {
    pub reason: ReportReason,
    pub detail: Option<String>,
}

impl ReportInput {
    pub fn parse(&self) -> Result<ReportFields, Invalid> {
        let mut inv = Invalid::new();
        let reason = inv.check(ReportReason::parse(
            "reason",
            self.reason.as_deref().unwrap_or(""),
        ));
        let detail = inv
            .check(text::multiline_optional(
                "detail",
                self.detail.as_deref(),
                1_000,
            ))
            .flatten();
        if reason == Some(ReportReason::Other) && detail.is_none() {
            inv.add(
                "detail",
                "required",
                "detail is required when the reason is other: say what is wrong",
            );
        }
        inv.finish(|| {
            Some(ReportFields {
                reason: reason?,
                detail,
            })
        })
    }
}

/// A moderator's action as sent.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ModerateInput {
    /// hide, restore or remove.
    pub action: Option<String>,
    /// Why; the listing's owner reads it.
    pub reason: Option<String>,
}

impl ModerateInput {
    pub fn parse(&self) -> Result<(ModerationAction, String), Invalid> {
        let mut inv = Invalid::new();
        let action = inv.check(ModerationAction::parse(
            "action",
            self.action.as_deref().unwrap_or(""),
        ));
        let reason = inv.check(text::required("reason", self.reason.as_deref(), 500));
        inv.finish(|| Some((action?, reason?)))
    }
}

/// The owner's appeal against a decision.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppealInput {
    pub text: Option<String>,
}

impl AppealInput {
    pub fn parse(&self) -> Result<String, Invalid> {
        text::multiline_required("text", self.text.as_deref(), 2_000)
            .map_err(|e| Invalid { errors: vec![e] })
    }
}

/// How many reports one address may send in a window.
pub const REPORTS_PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
    max_failures: 10,
    window: Duration::hours(1),
};

/// An item of the moderation queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryReport {
    pub id: DirectoryReportId,
    pub listing_id: DirectoryListingId,
    pub listing_title: String,
    pub listing_slug: String,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub review_id: Option<DirectoryReviewId>,
    pub target: ReportTarget,
    pub source: ReportSource,
    /// A [`ReportReason`] for visitors' reports; the signals' names for spam signals;
    /// `appeal` for appeals.
    pub reason: String,
    pub detail: Option<String>,
    /// The listing's or review's state now.
    pub state: ModerationState,
    pub status: ReportStatus,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A moderator's decision, as the listing's owner sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryDecision {
    pub id: DirectoryDecisionId,
    pub listing_id: DirectoryListingId,
    pub listing_title: String,
    pub partner_id: PartnerId,
    pub review_id: Option<DirectoryReviewId>,
    pub target: ReportTarget,
    pub action: ModerationAction,
    /// The state the decision left the item in.
    pub state: ModerationState,
    pub rule: String,
    pub reason: String,
    /// The owner's appeal, once made.
    pub appeal: Option<String>,
    pub appealed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

// ---- spam signals ----

text_enum!(
    /// A reason to suspect spam in a review.
    SpamSignal {
        FreshAuthorWithLinks = "fresh_author_with_links" / "A review with links from an e-mail first seen minutes ago",
        ManyLinks = "many_links" / "Many links",
        RepeatedText = "repeated_text" / "The same text as another review",
    }
);

/// How recent an author's first appearance must be to count as fresh.
pub const FRESH_AUTHOR: Duration = Duration::minutes(30);

/// How many links make "many".
pub const MANY_LINKS: usize = 3;

/// The links in `text`: `http://`, `https://` and `www.` addresses.
pub fn links(text: &str) -> usize {
    let lower = text.to_lowercase();
    lower
        .split(|c: char| c.is_whitespace() || "()<>[]\"'".contains(c))
        .filter(|w| w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www."))
        .count()
}

/// The words of a text that decide whether two texts are "the same": case, punctuation
/// and spacing ignored.
pub fn fingerprint(text: &str) -> String {
    words(text).join(" ")
}

/// Whether two texts are the same up to case, punctuation and a few changed words: the
/// share of word 3-grams they have in common (Jaccard) is at least 0.8, or they are equal
/// when too short for 3-grams.
pub fn same_text(a: &str, b: &str) -> bool {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return false;
    }
    if wa.len() < 3 || wb.len() < 3 {
        return wa == wb;
    }
    let grams = |w: &[String]| -> std::collections::HashSet<String> {
        w.windows(3).map(|g| g.join(" ")).collect()
    };
    let (ga, gb) = (grams(&wa), grams(&wb));
    let common = ga.intersection(&gb).count() as f64;
    let all = ga.union(&gb).count() as f64;
    all > 0.0 && common / all >= 0.8
}

/// What the spam signals look at in a new review.
#[derive(Clone, Debug)]
pub struct SpamFacts<'a> {
    pub text: &'a str,
    /// When the author's e-mail (or address) was first seen by the directory.
    pub author_first_seen: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// Texts of other reviews (any listing) to compare with.
    pub other_texts: &'a [String],
}

/// The signals `facts` raise; none for an ordinary review.
pub fn spam_signals(facts: &SpamFacts<'_>) -> Vec<SpamSignal> {
    let mut out = Vec::new();
    let n = links(facts.text);
    let fresh = facts.now - facts.author_first_seen < FRESH_AUTHOR;
    if fresh && n > 0 {
        out.push(SpamSignal::FreshAuthorWithLinks);
    }
    if n >= MANY_LINKS {
        out.push(SpamSignal::ManyLinks);
    }
    if facts.other_texts.iter().any(|t| same_text(facts.text, t)) {
        out.push(SpamSignal::RepeatedText);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ModerationAction as A;
    use ModerationState as S;

    #[test]
    fn hide_restore_remove() {
        assert_eq!(
            decide(S::Visible, A::Hide, "spam").unwrap().state,
            S::Hidden
        );
        assert_eq!(
            decide(S::Hidden, A::Restore, "ok after appeal")
                .unwrap()
                .state,
            S::Visible
        );
        assert_eq!(
            decide(S::Visible, A::Remove, "x").unwrap().state,
            S::Removed
        );
        assert_eq!(decide(S::Hidden, A::Remove, "x").unwrap().state, S::Removed);
        let d = decide(S::Visible, A::Hide, "fake reviews").unwrap();
        assert_eq!(
            (d.rule, d.reason.as_str()),
            ("moderation.hidden", "hidden by a moderator: fake reviews")
        );
    }

    #[test]
    fn a_removal_is_final() {
        for a in [A::Restore, A::Hide, A::Remove] {
            assert_eq!(
                decide(S::Removed, a, "x").unwrap_err().rule,
                "moderation.removed_final"
            );
        }
    }

    #[test]
    fn no_op_transitions_are_refused() {
        assert_eq!(
            decide(S::Hidden, A::Hide, "x").unwrap_err().rule,
            "moderation.already_hidden"
        );
        assert_eq!(
            decide(S::Visible, A::Restore, "x").unwrap_err().rule,
            "moderation.not_hidden"
        );
    }

    #[test]
    fn appeal_once_and_only_against_a_decision() {
        assert!(may_appeal(S::Hidden, false).is_ok());
        assert!(may_appeal(S::Removed, false).is_ok());
        assert_eq!(may_appeal(S::Hidden, true).unwrap_err().rule, "appeal.once");
        assert_eq!(
            may_appeal(S::Visible, false).unwrap_err().rule,
            "appeal.nothing_to_appeal"
        );
    }

    #[test]
    fn report_input() {
        let r = ReportInput {
            reason: Some("spam".into()),
            detail: None,
        }
        .parse()
        .unwrap();
        assert_eq!(r.reason, ReportReason::Spam);
        let e = ReportInput {
            reason: Some("other".into()),
            detail: Some(" ".into()),
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.errors[0].field, "detail");
        let e = ReportInput::default().parse().unwrap_err();
        assert_eq!(
            (e.errors[0].field.as_str(), e.errors[0].rule.as_str()),
            ("reason", "one_of")
        );
    }

    #[test]
    fn moderate_input_needs_a_reason() {
        let e = ModerateInput {
            action: Some("hide".into()),
            reason: None,
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.errors[0].field, "reason");
        assert!(
            ModerateInput {
                action: Some("bury".into()),
                reason: Some("x".into())
            }
            .parse()
            .is_err()
        );
    }

    #[test]
    fn links_are_counted() {
        assert_eq!(links("no links here"), 0);
        assert_eq!(
            links("see https://a.example and (http://b.example) or www.c.example."),
            3
        );
        assert_eq!(links("HTTPS://LOUD.EXAMPLE"), 1);
    }

    #[test]
    fn same_text_ignores_case_and_small_changes() {
        let a = "Great partner, they set up our CRM integration in two weeks and trained the whole team";
        let b = "great partner they set up our crm integration in two weeks and trained the whole team!!";
        assert!(same_text(a, b));
        assert!(!same_text(
            a,
            "Slow to answer and the integration broke twice in the first month"
        ));
        assert!(same_text("Great!", "great"));
        assert!(!same_text("Great!", "Good"));
        assert!(!same_text("", ""));
        assert_eq!(fingerprint("Hello,  World!"), "hello world");
    }

    fn facts<'a>(text: &'a str, minutes_old: i64, others: &'a [String]) -> SpamFacts<'a> {
        let now = Utc::now();
        SpamFacts {
            text,
            author_first_seen: now - Duration::minutes(minutes_old),
            now,
            other_texts: others,
        }
    }

    #[test]
    fn spam_signals_fire_on_their_own_facts() {
        let none: Vec<String> = vec![];
        assert!(spam_signals(&facts("Solid work, would hire again", 2, &none)).is_empty());
        assert_eq!(
            spam_signals(&facts("cheap pills https://x.example", 5, &none)),
            vec![SpamSignal::FreshAuthorWithLinks]
        );
        // An author known for days may link once without a flag.
        assert!(spam_signals(&facts("docs at https://x.example", 60 * 24 * 3, &none)).is_empty());
        // Exactly at the freshness limit: not fresh any more.
        assert!(spam_signals(&facts("https://x.example", 30, &none)).is_empty());
        assert_eq!(
            spam_signals(&facts(
                "https://a.example https://b.example https://c.example",
                60 * 24,
                &none
            )),
            vec![SpamSignal::ManyLinks]
        );
        let others = vec!["Best integration ever, five stars from our whole team".to_owned()];
        assert_eq!(
            spam_signals(&facts(
                "best integration ever five stars from our whole team",
                60 * 24,
                &others
            )),
            vec![SpamSignal::RepeatedText]
        );
    }
}
