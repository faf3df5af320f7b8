//! The partner story: six commercial questions an integration must answer before it is a
//! channel (seed 000). Missing answers make it "a product feature with a press release
//! attached".

use serde::{Deserialize, Serialize};

/// The six answers, in the seed's order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PartnerStory {
    /// Who buys because this integration exists?
    pub who_buys: String,
    /// Who owns that buyer conversation?
    pub conversation_owner: String,
    /// What is the packaged offer?
    pub packaged_offer: String,
    /// What does the partner get for selling or referring it?
    pub partner_gets: String,
    /// What makes the joint story credible to a buyer who has not seen it work?
    pub credibility: String,
    /// What happens after the launch announcement, when the initial energy fades?
    pub after_launch: String,
}

/// The questions, with the field each is answered in.
pub const QUESTIONS: &[(&str, &str)] = &[
    ("who_buys", "Who buys because this integration exists?"),
    ("conversation_owner", "Who owns that buyer conversation?"),
    ("packaged_offer", "What is the packaged offer?"),
    (
        "partner_gets",
        "What does the partner get for selling or referring it?",
    ),
    (
        "credibility",
        "What makes the joint story credible to a buyer who has not seen it work?",
    ),
    (
        "after_launch",
        "What happens after the launch announcement?",
    ),
];

/// The verdict on a story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoryVerdict {
    pub complete: bool,
    pub verdict: String,
    /// The questions left unanswered.
    pub missing: Vec<String>,
}

impl PartnerStory {
    fn answer(&self, field: &str) -> &str {
        match field {
            "who_buys" => &self.who_buys,
            "conversation_owner" => &self.conversation_owner,
            "packaged_offer" => &self.packaged_offer,
            "partner_gets" => &self.partner_gets,
            "credibility" => &self.credibility,
            _ => &self.after_launch,
        }
    }

    pub fn verdict(&self) -> StoryVerdict {
        let missing: Vec<String> = QUESTIONS
            .iter()
            .filter(|(field, _)| is_empty_answer(self.answer(field)))
            .map(|(_, question)| (*question).to_owned())
            .collect();
        let complete = missing.is_empty();
        StoryVerdict {
            complete,
            verdict: if complete {
                "a partner story a channel can run".into()
            } else {
                "a product feature with a press release attached".into()
            },
            missing,
        }
    }
}

/// Blank, or a placeholder that answers nothing.
fn is_empty_answer(a: &str) -> bool {
    let a = a.trim().trim_end_matches('.').to_lowercase();
    a.is_empty()
        || matches!(
            a.as_str(),
            "tbd" | "todo" | "?" | "n/a" | "na" | "-" | "unknown"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> PartnerStory {
        PartnerStory {
            who_buys: "Mid-market finance teams on the partner's ERP".into(),
            conversation_owner: "The partner's account executives".into(),
            packaged_offer: "Connector plus a 2-week onboarding package".into(),
            partner_gets: "20% margin on first-year ARR".into(),
            credibility: "Three reference customers with measured close-time savings".into(),
            after_launch: "Monthly pipeline review and a quarterly joint campaign".into(),
        }
    }

    #[test]
    fn six_answers_make_a_story() {
        let v = full().verdict();
        assert!(v.complete);
        assert!(v.missing.is_empty());
    }

    #[test]
    fn missing_and_placeholder_answers_are_named() {
        let story = PartnerStory {
            partner_gets: "  ".into(),
            after_launch: "TBD".into(),
            ..full()
        };
        let v = story.verdict();
        assert!(!v.complete);
        assert_eq!(v.verdict, "a product feature with a press release attached");
        assert_eq!(
            v.missing,
            vec![
                "What does the partner get for selling or referring it?",
                "What happens after the launch announcement?"
            ]
        );
        assert_eq!(PartnerStory::default().verdict().missing.len(), 6);
    }
}
