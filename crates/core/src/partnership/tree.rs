//! Decision trees as data: yes/no questions leading to outcomes. A program can adjust the
//! questions; an evaluation records the path taken, so the form can be shown step by step
//! and the diagram of the path drawn afterwards.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// A node: a question with a yes and a no branch, or an outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    Question {
        id: String,
        text: String,
        yes: String,
        no: String,
    },
    Outcome {
        id: String,
        text: String,
    },
}

impl Node {
    pub fn id(&self) -> &str {
        match self {
            Node::Question { id, .. } | Node::Outcome { id, .. } => id,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Tree {
    pub key: String,
    pub title: String,
    pub start: String,
    pub nodes: Vec<Node>,
}

/// One answered question on the path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    pub question_id: String,
    pub question: String,
    pub answer: bool,
}

/// Where an evaluation got to: the path, then either the outcome or the next question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evaluation {
    pub path: Vec<Step>,
    pub outcome: Option<String>,
    pub outcome_id: Option<String>,
    /// The question to answer next, while no outcome is reached.
    pub next_question: Option<NextQuestion>,
}

/// A question of a tree waiting for its answer. A record rather than a pair, so that a
/// client generated from the API document reads named fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextQuestion {
    pub id: String,
    pub text: String,
}

impl Tree {
    fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id() == id)
    }

    /// Checks the tree: unique ids, every branch leads to an existing node, no cycles, and
    /// every question reachable from the start can reach an outcome.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut inv = Invalid::new();
        let mut seen = HashSet::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if !seen.insert(n.id()) {
                inv.add(
                    &format!("nodes[{i}].id"),
                    "unique",
                    format!("node id {} is used twice", n.id()),
                );
            }
            if let Node::Question { yes, no, .. } = n {
                for (branch, target) in [("yes", yes), ("no", no)] {
                    if self.node(target).is_none() {
                        inv.add(
                            &format!("nodes[{i}].{branch}"),
                            "exists",
                            format!(
                                "{branch} of {} leads to {target}, which is not a node",
                                n.id()
                            ),
                        );
                    }
                }
            }
        }
        if self.node(&self.start).is_none() {
            inv.add(
                "start",
                "exists",
                format!("start {} is not a node", self.start),
            );
        }
        if inv.is_empty() {
            // Depth-first from the start: a node met again on the current path is a cycle.
            let mut on_path = Vec::new();
            if self.has_cycle(&self.start, &mut on_path) {
                inv.add(
                    "nodes",
                    "acyclic",
                    format!(
                        "the tree loops back through {}",
                        on_path.last().cloned().unwrap_or_default()
                    ),
                );
            }
        }
        inv.finish(|| Some(()))
    }

    fn has_cycle(&self, id: &str, on_path: &mut Vec<String>) -> bool {
        if on_path.iter().any(|p| p == id) {
            on_path.push(id.to_owned());
            return true;
        }
        on_path.push(id.to_owned());
        if let Some(Node::Question { yes, no, .. }) = self.node(id)
            && (self.has_cycle(yes, on_path) || self.has_cycle(no, on_path))
        {
            return true;
        }
        on_path.pop();
        false
    }

    /// Follows the answers (question id → yes/no) from the start as far as they go.
    pub fn evaluate(&self, answers: &HashMap<String, bool>) -> Evaluation {
        let mut path = Vec::new();
        let mut at = self.start.clone();
        // A valid tree is acyclic; the bound protects against an invalid one.
        for _ in 0..=self.nodes.len() {
            match self.node(&at) {
                Some(Node::Outcome { id, text }) => {
                    return Evaluation {
                        path,
                        outcome: Some(text.clone()),
                        outcome_id: Some(id.clone()),
                        next_question: None,
                    };
                }
                Some(Node::Question { id, text, yes, no }) => match answers.get(id) {
                    Some(answer) => {
                        path.push(Step {
                            question_id: id.clone(),
                            question: text.clone(),
                            answer: *answer,
                        });
                        at = if *answer { yes.clone() } else { no.clone() };
                    }
                    None => {
                        return Evaluation {
                            path,
                            outcome: None,
                            outcome_id: None,
                            next_question: Some(NextQuestion {
                                id: id.clone(),
                                text: text.clone(),
                            }),
                        };
                    }
                },
                None => break,
            }
        }
        Evaluation {
            path,
            outcome: None,
            outcome_id: None,
            next_question: None,
        }
    }
}

fn q(id: &str, text: &str, yes: &str, no: &str) -> Node {
    Node::Question {
        id: id.into(),
        text: text.into(),
        yes: yes.into(),
        no: no.into(),
    }
}

fn o(id: &str, text: &str) -> Node {
    Node::Outcome {
        id: id.into(),
        text: text.into(),
    }
}

/// The seed's decision trees (seed 003), which a program may adjust.
pub fn builtin() -> Vec<Tree> {
    vec![
        build_or_partner(),
        partner_tier(),
        continue_partnership(),
        open_or_curated(),
    ]
}

/// Should we build or partner?
fn build_or_partner() -> Tree {
    Tree {
        key: "build_or_partner".into(),
        title: "Should we build or partner?".into(),
        start: "core".into(),
        nodes: vec![
            q(
                "core",
                "Is this capability core to our product differentiation?",
                "build",
                "delay",
            ),
            q(
                "delay",
                "Would building this delay our roadmap by more than 6 months?",
                "partner",
                "credible",
            ),
            q(
                "credible",
                "Is there a credible partner who needs us too?",
                "partner",
                "build",
            ),
            o("build", "Build it yourself"),
            o("partner", "Partner"),
        ],
    }
}

/// Which partnership tier?
fn partner_tier() -> Tree {
    Tree {
        key: "partner_tier".into(),
        title: "Which partnership tier?".into(),
        start: "engineering".into(),
        nodes: vec![
            q(
                "engineering",
                "Does the partner have engineering resources to self-serve?",
                "integration",
                "marquee",
            ),
            q(
                "marquee",
                "Is this a marquee logo that shifts our positioning?",
                "strategic",
                "partnership",
            ),
            o(
                "integration",
                "Integration (self-serve): start here, evaluate for Partnership after 6 months",
            ),
            o("partnership", "Partnership (joint development)"),
            o("strategic", "Strategic (co-development)"),
        ],
    }
}

/// Should we continue this partnership?
fn continue_partnership() -> Tree {
    Tree {
        key: "continue_partnership".into(),
        title: "Should we continue this partnership?".into(),
        start: "crawl".into(),
        nodes: vec![
            q(
                "crawl",
                "Did the Crawl phase meet its success criteria?",
                "walk",
                "end",
            ),
            q(
                "walk",
                "Did the Walk phase meet its success criteria?",
                "run",
                "restart",
            ),
            o("end", "End the partnership and record what was learned"),
            o(
                "restart",
                "End the partnership, or restart Crawl with changes",
            ),
            o("run", "Move to the Run phase"),
        ],
    }
}

/// Open or curated directory?
fn open_or_curated() -> Tree {
    Tree {
        key: "open_or_curated".into(),
        title: "Open or curated directory?".into(),
        start: "brand".into(),
        nodes: vec![
            q(
                "brand",
                "Is brand-damage risk high if low-quality partners join (regulated, security-critical)?",
                "curated",
                "review",
            ),
            q(
                "review",
                "Can you scale human review (dozens of partners rather than thousands)?",
                "curated",
                "open",
            ),
            o("curated", "Curated: review before publication"),
            o(
                "open",
                "Open: publish freely, curate through discovery, trust signals and moderation",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(key: &str) -> Tree {
        builtin().into_iter().find(|t| t.key == key).unwrap()
    }

    fn answers(pairs: &[(&str, bool)]) -> HashMap<String, bool> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn builtin_trees_are_valid() {
        for t in builtin() {
            t.validate().unwrap_or_else(|e| panic!("{}: {e}", t.key));
        }
    }

    #[test]
    fn build_or_partner_paths() {
        let t = tree("build_or_partner");
        assert_eq!(
            t.evaluate(&answers(&[("core", true)])).outcome.as_deref(),
            Some("Build it yourself")
        );
        let e = t.evaluate(&answers(&[
            ("core", false),
            ("delay", false),
            ("credible", true),
        ]));
        assert_eq!(e.outcome.as_deref(), Some("Partner"));
        assert_eq!(
            e.path
                .iter()
                .map(|s| s.question_id.as_str())
                .collect::<Vec<_>>(),
            vec!["core", "delay", "credible"]
        );
        assert_eq!(
            t.evaluate(&answers(&[
                ("core", false),
                ("delay", false),
                ("credible", false)
            ]))
            .outcome_id
            .as_deref(),
            Some("build")
        );
    }

    #[test]
    fn an_unanswered_question_is_the_next_step() {
        let e = tree("partner_tier").evaluate(&answers(&[("engineering", false)]));
        assert!(e.outcome.is_none());
        assert_eq!(e.next_question.unwrap().id, "marquee");
    }

    #[test]
    fn continue_partnership_follows_the_gates() {
        let t = tree("continue_partnership");
        assert_eq!(
            t.evaluate(&answers(&[("crawl", false)]))
                .outcome_id
                .as_deref(),
            Some("end")
        );
        assert_eq!(
            t.evaluate(&answers(&[("crawl", true), ("walk", false)]))
                .outcome_id
                .as_deref(),
            Some("restart")
        );
        assert_eq!(
            t.evaluate(&answers(&[("crawl", true), ("walk", true)]))
                .outcome_id
                .as_deref(),
            Some("run")
        );
    }

    #[test]
    fn invalid_trees_are_refused_naming_the_problem() {
        let mut t = tree("open_or_curated");
        t.nodes.push(q("brand", "dup", "open", "open"));
        let rules: Vec<String> = t
            .validate()
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| e.rule)
            .collect();
        assert_eq!(rules, vec!["unique"]);
        let dangling = Tree {
            key: "x".into(),
            title: "x".into(),
            start: "a".into(),
            nodes: vec![q("a", "?", "b", "nowhere"), o("b", "B")],
        };
        assert_eq!(
            dangling.validate().unwrap_err().errors[0].field,
            "nodes[0].no"
        );
        let cyclic = Tree {
            key: "x".into(),
            title: "x".into(),
            start: "a".into(),
            nodes: vec![q("a", "?", "b", "c"), q("b", "?", "a", "c"), o("c", "C")],
        };
        assert_eq!(cyclic.validate().unwrap_err().errors[0].rule, "acyclic");
    }
}
