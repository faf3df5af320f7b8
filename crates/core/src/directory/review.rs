//! Ratings and reviews of directory listings: by customers (through an invitation link
//! sent to their e-mail, so the address is verified) and by vendor staff (signed in). One
//! review per author and listing; the listing's partner may answer each review once, and
//! edit the answer. A review's rating counts towards the listing's average only while it is
//! visible (moderation may hide or remove it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Refused;
use super::moderation::ModerationState;
use crate::Invalid;
use crate::email::Email;
use crate::ids::{DirectoryListingId, DirectoryReviewId, PartnerId};
use crate::invalid::text;
use crate::text_enum;

text_enum!(
    /// Who wrote a review.
    ReviewAuthor {
        Customer = "customer" / "Customer (verified e-mail)",
        Staff = "staff" / "Vendor staff",
    }
);

/// How long an invitation link to review stays valid.
pub const INVITE_VALID: chrono::Duration = chrono::Duration::days(14);

/// The longest review text, in characters.
pub const MAX_BODY: usize = 5_000;

/// A rating, 1 to 5 stars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Rating(u8);

impl Rating {
    pub fn parse(field: &str, raw: Option<i64>) -> Result<Rating, crate::FieldError> {
        match raw {
            Some(n @ 1..=5) => Ok(Rating(n as u8)),
            Some(_) => Err(crate::FieldError::new(
                field,
                "range",
                format!("{field} must be a whole number from 1 to 5"),
            )),
            None => Err(crate::FieldError::new(
                field,
                "required",
                format!("{field} is required (1 to 5)"),
            )),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// A review as sent: a rating and a text (Markdown, shown sanitised), with the author's
/// display name for customers.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// 1 to 5.
    pub rating: Option<i64>,
    /// Markdown, at most 5,000 characters.
    pub body: Option<String>,
    /// The name shown with the review (customers; staff show their own).
    pub author_name: Option<String>,
}

/// A review, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewFields {
    pub rating: Rating,
    pub body: String,
    pub author_name: Option<String>,
}

impl ReviewInput {
    pub fn parse(&self) -> Result<ReviewFields, Invalid> {
        let mut inv = Invalid::new();
        let rating = inv.check(Rating::parse("rating", self.rating));
        let body = inv.check(text::multiline_required(
            "body",
            self.body.as_deref(),
            MAX_BODY,
        ));
        let author_name = inv.check(text::optional(
            "author_name",
            self.author_name.as_deref(),
            80,
        ));
        inv.finish(|| {
            Some(ReviewFields {
                rating: rating?,
                body: body?,
                author_name: author_name?,
            })
        })
    }
}

/// A visitor's request for an invitation link: the e-mail it goes to.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewInviteInput {
    pub email: Option<String>,
}

impl ReviewInviteInput {
    pub fn parse(&self) -> Result<Email, Invalid> {
        Email::parse("email", self.email.as_deref().unwrap_or(""))
            .map_err(|e| Invalid { errors: vec![e] })
    }
}

/// The partner's public answer to a review.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewAnswerInput {
    /// Markdown, at most 2,000 characters.
    pub answer: Option<String>,
}

impl ReviewAnswerInput {
    pub fn parse(&self) -> Result<String, Invalid> {
        text::multiline_required("answer", self.answer.as_deref(), 2_000)
            .map_err(|e| Invalid { errors: vec![e] })
    }
}

/// What a review author already has on a listing, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Existing {
    pub state: ModerationState,
}

/// What writing a review does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// The author's first review of the listing.
    Create,
    /// The author's review is replaced by the new text and rating (one review per author).
    Update,
}

/// The one-review rule: an author's first review is created; a second one replaces the
/// first while that one is visible; a review moderation hid or removed cannot be replaced,
/// so writing again never undoes a moderator's decision.
pub fn write(existing: Option<Existing>) -> Result<Write, Refused> {
    match existing {
        None => Ok(Write::Create),
        Some(Existing {
            state: ModerationState::Visible,
        }) => Ok(Write::Update),
        Some(Existing { state }) => Err(Refused {
            rule: "review.moderated",
            message: format!(
                "you have reviewed this listing already and the review is {}: it cannot be replaced; appeal goes through the listing's owner",
                state.label().to_lowercase()
            ),
        }),
    }
}

/// Whether an invitation can still be used to write a review.
pub fn invite_usable(
    expires_at: DateTime<Utc>,
    used: bool,
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    if used {
        return Err(Refused {
            rule: "review.invite_used",
            message: "this invitation link has been used; ask for a new one to change your review"
                .into(),
        });
    }
    if now >= expires_at {
        return Err(Refused {
            rule: "review.invite_expired",
            message: "this invitation link has expired; ask for a new one".into(),
        });
    }
    Ok(())
}

/// Whether the partner may answer (or edit its answer to) a review: not once it is removed.
pub fn may_answer(state: ModerationState) -> Result<(), Refused> {
    if state == ModerationState::Removed {
        return Err(Refused {
            rule: "review.removed",
            message: "the review was removed by a moderator and takes no answer".into(),
        });
    }
    Ok(())
}

/// A listing's ratings: the average of its visible reviews and how many there are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingSummary {
    /// 1.0 to 5.0, rounded to one decimal; absent without reviews.
    pub average: Option<f64>,
    pub count: i64,
}

/// The summary of `ratings` (each 1 to 5) of visible reviews.
pub fn summary(ratings: &[(ModerationState, u8)]) -> RatingSummary {
    let visible: Vec<u8> = ratings
        .iter()
        .filter(|(s, _)| *s == ModerationState::Visible)
        .map(|(_, r)| *r)
        .collect();
    summary_of(
        visible.iter().map(|r| i64::from(*r)).sum(),
        visible.len() as i64,
    )
}

/// The summary from a sum of ratings and their count (what the database adds up).
pub fn summary_of(sum: i64, count: i64) -> RatingSummary {
    if count <= 0 {
        return RatingSummary::default();
    }
    let avg = sum as f64 / count as f64;
    RatingSummary {
        average: Some((avg * 10.0).round() / 10.0),
        count,
    }
}

/// The rating's share of a listing's quality, 0 to 1: a Bayesian average (pulled towards a
/// neutral 3 stars by [`PRIOR_WEIGHT`] imaginary reviews), so one five-star review does not
/// outrank fifty four-star ones, mapped from 1–5 stars onto 0–1.
pub fn rating_quality(s: RatingSummary) -> f64 {
    let (Some(avg), count) = (s.average, s.count.max(0)) else {
        return 0.5;
    };
    let n = count as f64;
    let bayes = (avg * n + 3.0 * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT);
    ((bayes - 1.0) / 4.0).clamp(0.0, 1.0)
}

/// How many neutral reviews every listing is assumed to start with.
pub const PRIOR_WEIGHT: f64 = 5.0;

/// A review as stored and shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryReview {
    pub id: DirectoryReviewId,
    pub listing_id: DirectoryListingId,
    pub listing_title: String,
    pub partner_id: PartnerId,
    pub author_kind: ReviewAuthor,
    pub author_name: String,
    /// 1 to 5.
    pub rating: i64,
    /// Markdown, rendered sanitised.
    pub body: String,
    pub state: ModerationState,
    /// The last moderation decision's reason.
    pub state_reason: Option<String>,
    /// The partner's public answer (Markdown).
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// Whether the queue holds an open report on it.
    pub reported: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What asking for an invitation did (the link itself goes only to the e-mail).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteSent {
    /// Where the link was sent.
    pub email: String,
    pub expires_at: DateTime<Utc>,
    /// The mail server did not take it at once; it is tried again until this time (the
    /// retry schedule of notification e-mails).
    pub retrying_until: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ModerationState::*;

    #[test]
    fn ratings_are_one_to_five() {
        assert!(Rating::parse("rating", Some(0)).is_err());
        assert!(Rating::parse("rating", Some(6)).is_err());
        assert_eq!(Rating::parse("rating", None).unwrap_err().rule, "required");
        assert_eq!(Rating::parse("rating", Some(5)).unwrap().get(), 5);
        assert_eq!(Rating::parse("rating", Some(1)).unwrap().get(), 1);
    }

    #[test]
    fn review_input_names_every_bad_field() {
        let e = ReviewInput {
            rating: Some(9),
            body: Some("  ".into()),
            author_name: None,
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["rating", "body"]);
    }

    #[test]
    fn average_counts_visible_reviews_only() {
        let s = summary(&[(Visible, 5), (Visible, 4), (Hidden, 1), (Removed, 1)]);
        assert_eq!(s.count, 2);
        assert_eq!(s.average, Some(4.5));
        assert_eq!(summary(&[]), RatingSummary::default());
        assert_eq!(summary(&[(Hidden, 3)]).average, None);
        // Rounded to one decimal.
        assert_eq!(summary_of(13, 3).average, Some(4.3));
        assert_eq!(summary_of(5, 0).average, None);
    }

    #[test]
    fn one_review_per_author() {
        assert_eq!(write(None), Ok(Write::Create));
        assert_eq!(write(Some(Existing { state: Visible })), Ok(Write::Update));
        // Writing again does not undo a moderator.
        for state in [Hidden, Removed] {
            assert_eq!(
                write(Some(Existing { state })).unwrap_err().rule,
                "review.moderated"
            );
        }
    }

    #[test]
    fn invites_are_single_use_and_expire() {
        let now = Utc::now();
        assert!(invite_usable(now + INVITE_VALID, false, now).is_ok());
        assert_eq!(
            invite_usable(now + INVITE_VALID, true, now)
                .unwrap_err()
                .rule,
            "review.invite_used"
        );
        assert_eq!(
            invite_usable(now, false, now).unwrap_err().rule,
            "review.invite_expired"
        );
    }

    #[test]
    fn answers_only_to_reviews_not_removed() {
        assert!(may_answer(Visible).is_ok());
        assert!(may_answer(Hidden).is_ok());
        assert_eq!(may_answer(Removed).unwrap_err().rule, "review.removed");
    }

    #[test]
    fn rating_quality_trusts_many_reviews_more_than_one() {
        let one_five = rating_quality(summary_of(5, 1));
        let fifty_fours = rating_quality(summary_of(200, 50));
        assert!(fifty_fours > one_five);
        // No reviews is neutral; bad reviews pull below neutral.
        assert_eq!(rating_quality(RatingSummary::default()), 0.5);
        assert!(rating_quality(summary_of(20, 20)) < 0.5);
        assert!(rating_quality(summary_of(100, 20)) <= 1.0);
        assert!(rating_quality(summary_of(1, 1)) >= 0.0);
    }
}
