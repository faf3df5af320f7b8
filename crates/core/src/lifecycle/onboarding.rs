//! Onboarding checklists and activation time.
//!
//! A partner's checklist is its template (see `OnboardingPolicy::template_for`) with the
//! recorded ticks laid over it. Activation time runs from the agreement being signed to the
//! first closed-won deal, in whole calendar days (UTC); cohorts are the quarters partners
//! joined in, and their activation days are summarised by nearest-rank percentiles.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::policy::{OnboardingItemRule, Signal};

/// Activation time of one partner: agreement signed → first closed-won deal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activation {
    pub signed_on: Option<NaiveDate>,
    pub first_won_on: Option<NaiveDate>,
    /// Days from signature to first win; None until both happened. A win dated before the
    /// signature is "won before signing, not counted": None as well.
    pub days: Option<i64>,
}

/// Activation days across a cohort (partners that joined in one quarter).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CohortActivation {
    /// e.g. `2026-Q1`.
    pub cohort: String,
    pub partners: usize,
    pub activated: usize,
    pub median_days: Option<i64>,
    pub p25_days: Option<i64>,
    pub p75_days: Option<i64>,
    pub min_days: Option<i64>,
    pub max_days: Option<i64>,
}

/// Activation of one partner from the moment its agreement was signed and the moment its
/// first deal was won. `days` is the whole number of calendar days (UTC dates) between the
/// two: a win on the signing day is 0 days. A win dated before the signature is "won
/// before signing, not counted" (`days` is None), as is a partner missing either moment.
pub fn activation(
    signed_at: Option<DateTime<Utc>>,
    first_won_at: Option<DateTime<Utc>>,
) -> Activation {
    let signed_on = signed_at.map(|t| t.date_naive());
    let first_won_on = first_won_at.map(|t| t.date_naive());
    let days = match (signed_on, first_won_on) {
        (Some(signed), Some(won)) if won >= signed => Some((won - signed).num_days()),
        _ => None,
    };
    Activation {
        signed_on,
        first_won_on,
        days,
    }
}

/// Year and quarter (1–4) of a date.
fn quarter(date: NaiveDate) -> (i32, u32) {
    (date.year(), date.month0() / 3 + 1)
}

/// The cohort label of a joining date, e.g. `2026-Q1`.
pub fn cohort_of(joined_on: NaiveDate) -> String {
    let (year, q) = quarter(joined_on);
    format!("{year}-Q{q}")
}

/// The value at percentile `p` (0–100) of ascending `sorted` by the nearest-rank method:
/// the smallest value with at least `p`% of the values at or below it.
fn nearest_rank(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted.get(rank - 1).copied()
}

/// Groups (joined date, activation) by cohort, oldest cohort first. A cohort's `activated`
/// counts partners with activation days; its percentiles (nearest rank), minimum and
/// maximum are over those days and None when no partner in it has activated yet.
pub fn by_cohort(partners: &[(NaiveDate, Activation)]) -> Vec<CohortActivation> {
    let mut groups: BTreeMap<(i32, u32), (usize, Vec<i64>)> = BTreeMap::new();
    for (joined_on, a) in partners {
        let group = groups.entry(quarter(*joined_on)).or_default();
        group.0 += 1;
        if let Some(days) = a.days {
            group.1.push(days);
        }
    }
    groups
        .into_iter()
        .map(|((year, q), (count, mut days))| {
            days.sort_unstable();
            CohortActivation {
                cohort: format!("{year}-Q{q}"),
                partners: count,
                activated: days.len(),
                median_days: nearest_rank(&days, 50),
                p25_days: nearest_rank(&days, 25),
                p75_days: nearest_rank(&days, 75),
                min_days: days.first().copied(),
                max_days: days.last().copied(),
            }
        })
        .collect()
}

/// One item of a partner's checklist: the template's item with its tick, if any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistItem {
    pub key: String,
    pub label: String,
    /// With a signal the system ticks the item; without, a person does.
    pub signal: Option<Signal>,
    pub done_at: Option<DateTime<Utc>>,
    /// Who ticked it (a user, or the system for a signal).
    pub done_by: Option<String>,
}

/// The checklist of a template with the recorded ticks `(key, at, by)` laid over it, in
/// template order. Ticks for keys the template does not have are ignored; of several ticks
/// for one key the earliest counts.
pub fn checklist(
    template: &[OnboardingItemRule],
    done: &[(String, DateTime<Utc>, String)],
) -> Vec<ChecklistItem> {
    template
        .iter()
        .map(|rule| {
            let tick = done
                .iter()
                .filter(|(key, _, _)| *key == rule.key)
                .min_by_key(|(_, at, _)| *at);
            ChecklistItem {
                key: rule.key.clone(),
                label: rule.label.clone(),
                signal: rule.signal,
                done_at: tick.map(|(_, at, _)| *at),
                done_by: tick.map(|(_, _, by)| by.clone()),
            }
        })
        .collect()
}

/// `(done, total)` items of a checklist.
pub fn progress(items: &[ChecklistItem]) -> (usize, usize) {
    let done = items.iter().filter(|i| i.done_at.is_some()).count();
    (done, items.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partner::PartnerType;
    use crate::policy::{AGREEMENT_SIGNED, OnboardingPolicy};
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn activated(days: Option<i64>) -> Activation {
        Activation {
            signed_on: None,
            first_won_on: None,
            days,
        }
    }

    #[test]
    fn activation_counts_whole_calendar_days() {
        let a = activation(Some(at(2026, 1, 10, 23)), Some(at(2026, 2, 9, 1)));
        assert_eq!(a.signed_on, Some(date(2026, 1, 10)));
        assert_eq!(a.first_won_on, Some(date(2026, 2, 9)));
        assert_eq!(a.days, Some(30));
        // Same day: 0.
        assert_eq!(
            activation(Some(at(2026, 1, 10, 8)), Some(at(2026, 1, 10, 17))).days,
            Some(0)
        );
        // Across a leap day.
        assert_eq!(
            activation(Some(at(2028, 2, 28, 0)), Some(at(2028, 3, 1, 0))).days,
            Some(2)
        );
    }

    #[test]
    fn activation_needs_both_moments_in_order() {
        assert_eq!(activation(None, Some(at(2026, 1, 1, 0))).days, None);
        assert_eq!(activation(Some(at(2026, 1, 1, 0)), None).days, None);
        assert_eq!(activation(None, None), activated(None));
        // Won before signing, not counted; the dates are still reported.
        let a = activation(Some(at(2026, 3, 1, 0)), Some(at(2026, 2, 1, 0)));
        assert_eq!(a.days, None);
        assert_eq!(a.first_won_on, Some(date(2026, 2, 1)));
    }

    #[test]
    fn cohorts_are_quarters() {
        assert_eq!(cohort_of(date(2026, 1, 1)), "2026-Q1");
        assert_eq!(cohort_of(date(2026, 3, 31)), "2026-Q1");
        assert_eq!(cohort_of(date(2026, 4, 1)), "2026-Q2");
        assert_eq!(cohort_of(date(2026, 9, 30)), "2026-Q3");
        assert_eq!(cohort_of(date(2025, 12, 31)), "2025-Q4");
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 25), Some(7));
        assert_eq!(nearest_rank(&[7], 75), Some(7));
        let odd = [10, 20, 30, 40, 50];
        assert_eq!(
            (
                nearest_rank(&odd, 25),
                nearest_rank(&odd, 50),
                nearest_rank(&odd, 75)
            ),
            (Some(20), Some(30), Some(40))
        );
        let even = [10, 20, 30, 40];
        assert_eq!(
            (
                nearest_rank(&even, 25),
                nearest_rank(&even, 50),
                nearest_rank(&even, 75)
            ),
            (Some(10), Some(20), Some(30))
        );
        assert_eq!(nearest_rank(&even, 0), Some(10));
        assert_eq!(nearest_rank(&even, 100), Some(40));
    }

    #[test]
    fn by_cohort_groups_oldest_first() {
        let partners = vec![
            // 2026-Q1: odd count of activated partners, unsorted, one not yet activated.
            (date(2026, 2, 1), activated(Some(40))),
            (date(2026, 1, 5), activated(Some(10))),
            (date(2026, 3, 31), activated(None)),
            (date(2026, 1, 20), activated(Some(25))),
            // 2025-Q4: even count.
            (date(2025, 10, 1), activated(Some(5))),
            (date(2025, 11, 1), activated(Some(60))),
            (date(2025, 12, 1), activated(Some(15))),
            (date(2025, 12, 31), activated(Some(30))),
            // 2026-Q2: nobody activated yet.
            (date(2026, 4, 1), activated(None)),
        ];
        let cohorts = by_cohort(&partners);
        assert_eq!(
            cohorts,
            vec![
                CohortActivation {
                    cohort: "2025-Q4".into(),
                    partners: 4,
                    activated: 4,
                    median_days: Some(15),
                    p25_days: Some(5),
                    p75_days: Some(30),
                    min_days: Some(5),
                    max_days: Some(60),
                },
                CohortActivation {
                    cohort: "2026-Q1".into(),
                    partners: 4,
                    activated: 3,
                    median_days: Some(25),
                    p25_days: Some(10),
                    p75_days: Some(40),
                    min_days: Some(10),
                    max_days: Some(40),
                },
                CohortActivation {
                    cohort: "2026-Q2".into(),
                    partners: 1,
                    activated: 0,
                    median_days: None,
                    p25_days: None,
                    p75_days: None,
                    min_days: None,
                    max_days: None,
                },
            ]
        );
        assert_eq!(by_cohort(&[]), Vec::new());
    }

    #[test]
    fn by_cohort_orders_years_numerically() {
        let cohorts = by_cohort(&[
            (date(10000, 1, 1), activated(Some(1))),
            (date(999, 1, 1), activated(Some(1))),
        ]);
        let labels: Vec<&str> = cohorts.iter().map(|c| c.cohort.as_str()).collect();
        assert_eq!(labels, vec!["999-Q1", "10000-Q1"]);
    }

    #[test]
    fn checklist_lays_ticks_over_the_template() {
        let policy = OnboardingPolicy::default();
        let template = policy.template_for(PartnerType::Reseller);
        let done = vec![
            (
                "first_registration".to_owned(),
                at(2026, 2, 1, 0),
                "system".to_owned(),
            ),
            (
                "not_in_template".to_owned(),
                at(2026, 1, 1, 0),
                "ann".to_owned(),
            ),
            (
                AGREEMENT_SIGNED.to_owned(),
                at(2026, 1, 9, 0),
                "bob".to_owned(),
            ),
            (
                AGREEMENT_SIGNED.to_owned(),
                at(2026, 1, 8, 0),
                "ann".to_owned(),
            ),
        ];
        let items = checklist(template, &done);
        let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                AGREEMENT_SIGNED,
                "portal_users_invited",
                "onboarding_course_completed",
                "first_jbp",
                "first_registration",
            ]
        );
        assert_eq!(items[0].label, "Partner agreement signed");
        assert_eq!(items[0].done_at, Some(at(2026, 1, 8, 0)));
        assert_eq!(items[0].done_by.as_deref(), Some("ann"));
        assert_eq!(items[1].signal, Some(Signal::UsersInvited));
        assert_eq!(items[1].done_at, None);
        assert_eq!(items[1].done_by, None);
        assert_eq!(items[4].done_by.as_deref(), Some("system"));
        assert_eq!(progress(&items), (2, 5));
    }

    #[test]
    fn empty_checklists() {
        assert_eq!(checklist(&[], &[]), Vec::new());
        assert_eq!(progress(&[]), (0, 0));
        let policy = OnboardingPolicy::default();
        let items = checklist(policy.template_for(PartnerType::Technology), &[]);
        assert_eq!(progress(&items), (0, 6));
        assert_eq!(items[1].key, "charter_signed");
    }

    #[test]
    fn checklist_items_serialise() {
        let item = ChecklistItem {
            key: "first_jbp".into(),
            label: "First joint business plan agreed".into(),
            signal: None,
            done_at: Some(at(2026, 1, 8, 0)),
            done_by: Some("ann".into()),
        };
        let json = serde_json::to_string(&item).unwrap();
        assert_eq!(serde_json::from_str::<ChecklistItem>(&json).unwrap(), item);
    }
}
