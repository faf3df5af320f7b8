//! Assessments: scoring (each question one point; a multiple-answer question counts only
//! when exactly the right set is chosen), the pass mark compared in integers (a score exactly
//! at the mark passes), the attempts limit with its cool-down, and the shuffle of questions
//! and options per attempt, seeded by the attempt's id so a reload shows the same order.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};

use super::QuestionKind;
use crate::Invalid;

/// The attempts rule of a course: `max_attempts` per round; after a round's attempts all
/// failed, a new round opens `cooldown_hours` after the last of them (0: at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptRules {
    pub max_attempts: u32,
    pub cooldown_hours: u32,
}

/// A submitted attempt, as the gate reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PastAttempt {
    pub submitted_at: DateTime<Utc>,
    pub passed: bool,
}

/// May the user start an attempt now?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Yes; this many attempts are left in the round, this one included.
    Open { attempts_left: u32 },
    /// The assessment is passed: nothing to retake.
    Passed,
    /// The round's attempts are used up; the next round opens at `retry_at`.
    Exhausted { retry_at: DateTime<Utc> },
}

/// The gate as of `now`, from the submitted attempts in the order they were submitted.
pub fn gate(rules: AttemptRules, past: &[PastAttempt], now: DateTime<Utc>) -> Gate {
    if past.iter().any(|a| a.passed) {
        return Gate::Passed;
    }
    let max = rules.max_attempts.max(1);
    let cooldown = TimeDelta::hours(i64::from(rules.cooldown_hours));
    let mut used = 0u32;
    let mut last: Option<DateTime<Utc>> = None;
    for a in past {
        // An attempt after a used-up round's cool-down begins a new round.
        if let Some(l) = last
            && used >= max
            && a.submitted_at >= l + cooldown
        {
            used = 0;
        }
        used += 1;
        last = Some(a.submitted_at);
    }
    match last {
        Some(l) if used >= max => {
            let retry_at = l + cooldown;
            if now < retry_at {
                Gate::Exhausted { retry_at }
            } else {
                Gate::Open { attempts_left: max }
            }
        }
        _ => Gate::Open {
            attempts_left: max - used.min(max),
        },
    }
}

/// A question with its answer key, as the scorer reads it.
#[derive(Clone, Debug)]
pub struct KeyedQuestion {
    pub id: String,
    pub kind: QuestionKind,
    /// Every option id, in authoring order.
    pub options: Vec<String>,
    /// The ids of the right options.
    pub correct: BTreeSet<String>,
}

/// The answers of an attempt: question id → the option ids chosen.
pub type Answers = BTreeMap<String, BTreeSet<String>>;

/// An attempt scored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Score {
    pub correct: u32,
    pub total: u32,
    /// Whole percent, rounded down (display); the pass compares exactly.
    pub percent: u32,
    pub passed: bool,
    /// The questions answered wrongly or not at all, in the order given.
    pub wrong: Vec<String>,
}

/// Checks that `answers` name only questions of the assessment and options of their
/// question, with at most one option for a single-choice question. Every problem is
/// reported, each naming the question.
pub fn check_answers(questions: &[KeyedQuestion], answers: &Answers) -> Result<(), Invalid> {
    let mut inv = Invalid::new();
    for (qid, chosen) in answers {
        let field = format!("answers.{qid}");
        let Some(q) = questions.iter().find(|q| &q.id == qid) else {
            inv.add(
                &field,
                "assessment.unknown_question",
                "no such question in this attempt",
            );
            continue;
        };
        if chosen.iter().any(|o| !q.options.contains(o)) {
            inv.add(
                &field,
                "assessment.unknown_option",
                "an answer names an option the question does not have",
            );
        }
        if q.kind == QuestionKind::Single && chosen.len() > 1 {
            inv.add(
                &field,
                "assessment.one_answer",
                "this question takes one answer",
            );
        }
    }
    inv.finish(|| Some(()))
}

/// Scores `answers`: a question counts when the options chosen are exactly its right
/// ones (all-or-nothing for multiple answers; an unanswered question is wrong). Passed
/// when `correct / total ≥ pass_mark_pct / 100`, compared in integers; an assessment
/// without questions passes.
pub fn score(questions: &[KeyedQuestion], answers: &Answers, pass_mark_pct: u32) -> Score {
    let total = u32::try_from(questions.len()).unwrap_or(u32::MAX);
    let mut wrong = Vec::new();
    for q in questions {
        let right = answers.get(&q.id).is_some_and(|c| *c == q.correct);
        if !right {
            wrong.push(q.id.clone());
        }
    }
    let correct = total - u32::try_from(wrong.len()).unwrap_or(total);
    let percent = (correct * 100).checked_div(total).unwrap_or(100);
    let passed = u64::from(correct) * 100 >= u64::from(pass_mark_pct) * u64::from(total);
    Score {
        correct,
        total,
        percent,
        passed,
        wrong,
    }
}

/// A 64-bit seed from text (FNV-1a): the same text, the same seed, on every platform.
fn seed(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The next number of a SplitMix64 sequence.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A permutation of `0..n` determined by `key` (Fisher–Yates over a SplitMix64 stream).
pub fn permutation(n: usize, key: &str) -> Vec<usize> {
    let mut out: Vec<usize> = (0..n).collect();
    let mut state = seed(key);
    for i in (1..n).rev() {
        let bound = (i + 1) as u64;
        let j = usize::try_from(next(&mut state) % bound).unwrap_or(0);
        out.swap(i, j);
    }
    out
}

/// `items` in the order of [`permutation`] for `key`.
pub fn shuffled<T: Clone>(items: &[T], key: &str) -> Vec<T> {
    permutation(items.len(), key)
        .into_iter()
        .filter_map(|i| items.get(i).cloned())
        .collect()
}

/// The key the questions of attempt `attempt_id` are shuffled by.
pub fn question_key(attempt_id: &str) -> String {
    attempt_id.to_owned()
}

/// The key the options of question `question_id` are shuffled by in attempt `attempt_id`.
pub fn option_key(attempt_id: &str, question_id: &str) -> String {
    format!("{attempt_id}:{question_id}")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn q(id: &str, kind: QuestionKind, options: &[&str], correct: &[&str]) -> KeyedQuestion {
        KeyedQuestion {
            id: id.into(),
            kind,
            options: options.iter().map(|s| (*s).to_owned()).collect(),
            correct: correct.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn answers(list: &[(&str, &[&str])]) -> Answers {
        list.iter()
            .map(|(q, os)| {
                (
                    (*q).to_owned(),
                    os.iter().map(|s| (*s).to_owned()).collect(),
                )
            })
            .collect()
    }

    fn quiz() -> Vec<KeyedQuestion> {
        vec![
            q("q1", QuestionKind::Single, &["a", "b", "c"], &["b"]),
            q(
                "q2",
                QuestionKind::Multiple,
                &["a", "b", "c", "d"],
                &["a", "c"],
            ),
            q("q3", QuestionKind::Single, &["a", "b"], &["a"]),
            q("q4", QuestionKind::Single, &["a", "b"], &["b"]),
        ]
    }

    #[test]
    fn multiple_answers_are_all_or_nothing() {
        let qs = quiz();
        let exact = score(&qs, &answers(&[("q2", &["a", "c"])]), 0);
        assert!(!exact.wrong.contains(&"q2".to_owned()));
        let partial = score(&qs, &answers(&[("q2", &["a"])]), 0);
        assert!(partial.wrong.contains(&"q2".to_owned()));
        let too_many = score(&qs, &answers(&[("q2", &["a", "b", "c"])]), 0);
        assert!(too_many.wrong.contains(&"q2".to_owned()));
    }

    #[test]
    fn the_pass_mark_is_met_exactly_at_the_boundary() {
        let qs = quiz();
        // 3 of 4 = 75%.
        let three = answers(&[("q1", &["b"]), ("q2", &["c", "a"]), ("q3", &["a"])]);
        let s = score(&qs, &three, 75);
        assert_eq!((s.correct, s.total, s.percent, s.passed), (3, 4, 75, true));
        assert_eq!(s.wrong, vec!["q4".to_owned()]);
        assert!(!score(&qs, &three, 76).passed);
        // 2 of 3 is 66.67%: a mark of 67 is not met although it rounds so.
        let qs3 = &qs[..3];
        let two = answers(&[("q1", &["b"]), ("q3", &["a"])]);
        let s = score(qs3, &two, 67);
        assert_eq!((s.percent, s.passed), (66, false));
        assert!(score(qs3, &two, 66).passed);
        // Nothing answered: nothing right.
        assert_eq!(score(&qs, &Answers::new(), 1).correct, 0);
        assert!(score(&[], &Answers::new(), 100).passed);
    }

    #[test]
    fn answers_must_name_the_questions_and_options_of_the_attempt() {
        let qs = quiz();
        assert!(check_answers(&qs, &answers(&[("q1", &["a"])])).is_ok());
        let e = check_answers(
            &qs,
            &answers(&[("q1", &["a", "b"]), ("q2", &["z"]), ("nope", &["a"])]),
        )
        .unwrap_err();
        let rules: Vec<&str> = e.errors.iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(
            rules,
            vec![
                "assessment.unknown_question",
                "assessment.one_answer",
                "assessment.unknown_option"
            ]
        );
    }

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, h, m, 0).unwrap()
    }

    fn failed(at: DateTime<Utc>) -> PastAttempt {
        PastAttempt {
            submitted_at: at,
            passed: false,
        }
    }

    #[test]
    fn three_attempts_then_a_cool_down_to_the_second() {
        let rules = AttemptRules {
            max_attempts: 3,
            cooldown_hours: 24,
        };
        assert_eq!(gate(rules, &[], t(9, 0)), Gate::Open { attempts_left: 3 });
        let two = [failed(t(9, 0)), failed(t(9, 10))];
        assert_eq!(gate(rules, &two, t(9, 11)), Gate::Open { attempts_left: 1 });
        let three = [failed(t(9, 0)), failed(t(9, 10)), failed(t(9, 20))];
        let retry_at = t(9, 20) + TimeDelta::hours(24);
        assert_eq!(
            gate(rules, &three, retry_at - TimeDelta::seconds(1)),
            Gate::Exhausted { retry_at }
        );
        assert_eq!(
            gate(rules, &three, retry_at),
            Gate::Open { attempts_left: 3 }
        );
        // The next round counts afresh.
        let mut four = three.to_vec();
        four.push(failed(retry_at));
        assert_eq!(
            gate(rules, &four, retry_at + TimeDelta::minutes(1)),
            Gate::Open { attempts_left: 2 }
        );
        // A pass ends it.
        let mut passed = two.to_vec();
        passed.push(PastAttempt {
            submitted_at: t(9, 30),
            passed: true,
        });
        assert_eq!(gate(rules, &passed, t(10, 0)), Gate::Passed);
    }

    #[test]
    fn without_a_cool_down_a_new_round_opens_at_once() {
        let rules = AttemptRules {
            max_attempts: 1,
            cooldown_hours: 0,
        };
        assert_eq!(
            gate(rules, &[failed(t(9, 0))], t(9, 0)),
            Gate::Open { attempts_left: 1 }
        );
    }

    #[test]
    fn the_shuffle_is_a_permutation_and_deterministic() {
        for n in [0usize, 1, 2, 5, 8, 30] {
            let p = permutation(n, "att_0192");
            let mut sorted = p.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "{p:?}");
            assert_eq!(p, permutation(n, "att_0192"), "same key, same order");
        }
        // Different attempts see different orders (for a list long enough to tell).
        let a = permutation(8, "att_a");
        let b = permutation(8, "att_b");
        assert_ne!(a, b);
        let items = ["w", "x", "y", "z"];
        let s = shuffled(&items, &option_key("att_a", "qst_1"));
        assert_eq!(s.len(), 4);
        assert_eq!(s, shuffled(&items, &option_key("att_a", "qst_1")));
    }
}
