//! Trust signals a visitor weighs beside the verified badge and the ratings (seed 003 §2):
//! usage a partner reports per month (installs of an integration, customers of a service),
//! and a listing's health score.
//!
//! The health score stands in until the measurement issue brings the ecosystem health
//! score: it is made of what the directory itself knows (ratings, enquiries, reported usage,
//! how recently the partner kept the listing up to date), each part shown with its weight
//! and value so a visitor and the partner can see what moved it.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::review::{RatingSummary, rating_quality};
use crate::Invalid;

/// The largest count a usage report may carry (a typo guard, not a business limit).
pub const MAX_COUNT: i64 = 1_000_000_000;

/// A month's usage as sent: `period` is `YYYY-MM`; at least one figure.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UsageInput {
    /// The calendar month, `YYYY-MM`, not after the current month.
    pub period: Option<String>,
    /// Active installs of the integration at the month's end.
    pub installs: Option<i64>,
    /// Customers using the listing's services or integration at the month's end.
    pub customers: Option<i64>,
}

/// A usage report, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageFields {
    /// `YYYY-MM`.
    pub period: String,
    pub installs: Option<i64>,
    pub customers: Option<i64>,
}

/// A month's usage as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageReport {
    /// `YYYY-MM`.
    pub period: String,
    pub installs: Option<i64>,
    pub customers: Option<i64>,
    pub reported_at: DateTime<Utc>,
}

/// The first day of a `YYYY-MM` month, or `None` when it is not one.
pub fn month_start(period: &str) -> Option<NaiveDate> {
    let (y, m) = period.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

fn count(inv: &mut Invalid, field: &str, raw: Option<i64>) -> Option<i64> {
    match raw {
        Some(n) if !(0..=MAX_COUNT).contains(&n) => {
            inv.add(
                field,
                "range",
                format!("{field} must be a whole number from 0 to {MAX_COUNT}"),
            );
            None
        }
        other => other,
    }
}

impl UsageInput {
    /// Checks a report made `today`: a real month from 2000 on and not in the future (a
    /// figure for a month that has not ended yet is the month so far), counts in range, at
    /// least one of them.
    pub fn parse(&self, today: NaiveDate) -> Result<UsageFields, Invalid> {
        let mut inv = Invalid::new();
        let period = match self.period.as_deref().map(str::trim) {
            None | Some("") => {
                inv.add("period", "required", "period is required, as YYYY-MM");
                None
            }
            Some(p) => match month_start(p) {
                None => {
                    inv.add(
                        "period",
                        "month",
                        format!("period must be a month as YYYY-MM, like 2026-11; got `{p}`"),
                    );
                    None
                }
                Some(start) if start.year() < 2000 => {
                    inv.add("period", "range", "period must be from 2000-01 on");
                    None
                }
                Some(start) if start > today.with_day(1).unwrap_or(today) => {
                    inv.add(
                        "period",
                        "not_future",
                        format!(
                            "period {p} has not begun: report a month up to {}",
                            today.format("%Y-%m")
                        ),
                    );
                    None
                }
                Some(_) => Some(p.to_owned()),
            },
        };
        let installs = count(&mut inv, "installs", self.installs);
        let customers = count(&mut inv, "customers", self.customers);
        if self.installs.is_none() && self.customers.is_none() {
            inv.add(
                "customers",
                "required",
                "report installs, customers or both",
            );
        }
        inv.finish(|| {
            Some(UsageFields {
                period: period?,
                installs,
                customers,
            })
        })
    }
}

/// What the health score is made of.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HealthInputs {
    pub rating: RatingSummary,
    /// Enquiries through the lead form in the last [`ACTIVITY_DAYS`] days.
    pub recent_leads: i64,
    /// The larger of installs and customers in the latest usage report, if any.
    pub reach: Option<i64>,
    /// Days since the partner last changed the listing.
    pub days_since_update: i64,
}

/// The window of "recent" enquiries.
pub const ACTIVITY_DAYS: i64 = 90;

/// One part of a health score.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthPart {
    /// `ratings`, `activity`, `usage` or `freshness`.
    pub part: String,
    /// Its share of the score, in points out of 100.
    pub weight: u8,
    /// 0 to 1: how much of its weight it earns.
    pub value: f64,
    /// What the value comes from, in a sentence.
    pub explanation: String,
}

/// A listing's health: 0 to 100, with its parts.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthScore {
    pub score: u8,
    pub parts: Vec<HealthPart>,
}

impl HealthScore {
    /// The score as a fraction (what ranking weighs).
    pub fn fraction(&self) -> f64 {
        f64::from(self.score) / 100.0
    }
}

/// `ln(1 + n) / ln(1 + full)`, capped at 1: the first few enquiries or customers count
/// most, and `full` of them earn the whole part.
fn diminishing(n: i64, full: f64) -> f64 {
    ((1.0 + n.max(0) as f64).ln() / (1.0 + full).ln()).min(1.0)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The health score: ratings 40 points (their Bayesian average, neutral without reviews),
/// activity 30 (enquiries in the last 90 days; 20 earn it all), usage 20 (reported installs
/// or customers; 1,000 earn it all; nothing reported earns nothing) and freshness 10 (full
/// within 180 days of the last change, none after a year).
pub fn health(i: HealthInputs) -> HealthScore {
    let ratings = rating_quality(i.rating);
    let activity = diminishing(i.recent_leads, 20.0);
    let usage = i.reach.map_or(0.0, |n| diminishing(n, 1_000.0));
    let days = i.days_since_update.max(0);
    let freshness = if days <= 180 {
        1.0
    } else if days >= 365 {
        0.0
    } else {
        (365 - days) as f64 / 185.0
    };
    let parts = vec![
        HealthPart {
            part: "ratings".into(),
            weight: 40,
            value: round2(ratings),
            explanation: match i.rating.average {
                Some(avg) => format!(
                    "{avg} / 5 from {} review{}, weighed against 5 neutral ones",
                    i.rating.count,
                    if i.rating.count == 1 { "" } else { "s" }
                ),
                None => "no reviews yet: neutral".into(),
            },
        },
        HealthPart {
            part: "activity".into(),
            weight: 30,
            value: round2(activity),
            explanation: format!(
                "{} enquir{} in the last {ACTIVITY_DAYS} days (20 earn it all)",
                i.recent_leads,
                if i.recent_leads == 1 { "y" } else { "ies" }
            ),
        },
        HealthPart {
            part: "usage".into(),
            weight: 20,
            value: round2(usage),
            explanation: match i.reach {
                Some(n) => format!("{n} installs or customers reported (1,000 earn it all)"),
                None => "no usage reported".into(),
            },
        },
        HealthPart {
            part: "freshness".into(),
            weight: 10,
            value: round2(freshness),
            explanation: format!("last updated {days} days ago (full within 180 days)"),
        },
    ];
    let points: f64 = parts.iter().map(|p| f64::from(p.weight) * p.value).sum();
    HealthScore {
        score: points.round().clamp(0.0, 100.0) as u8,
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    }

    fn usage(period: &str, installs: Option<i64>, customers: Option<i64>) -> UsageInput {
        UsageInput {
            period: Some(period.into()),
            installs,
            customers,
        }
    }

    fn rules(e: Invalid) -> Vec<(String, String)> {
        e.errors.into_iter().map(|f| (f.field, f.rule)).collect()
    }

    #[test]
    fn the_current_month_may_be_reported_the_next_may_not() {
        assert_eq!(
            usage("2026-12", None, Some(40)).parse(today()).unwrap(),
            UsageFields {
                period: "2026-12".into(),
                installs: None,
                customers: Some(40)
            }
        );
        assert_eq!(
            rules(usage("2027-01", Some(1), None).parse(today()).unwrap_err()),
            [("period".to_owned(), "not_future".to_owned())]
        );
        // The first of a month is that month too.
        let first = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert!(usage("2027-01", Some(1), None).parse(first).is_ok());
    }

    #[test]
    fn a_period_is_a_real_month() {
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "2026-11-01",
            "abcd-ef",
        ] {
            assert_eq!(
                rules(usage(bad, Some(1), None).parse(today()).unwrap_err()),
                [("period".to_owned(), "month".to_owned())],
                "{bad}"
            );
        }
        assert_eq!(
            rules(usage("1999-12", Some(1), None).parse(today()).unwrap_err()),
            [("period".to_owned(), "range".to_owned())]
        );
    }

    #[test]
    fn counts_are_bounded_and_one_is_needed() {
        let e = usage("2026-11", Some(-1), Some(MAX_COUNT + 1))
            .parse(today())
            .unwrap_err();
        assert_eq!(
            rules(e),
            [
                ("installs".to_owned(), "range".to_owned()),
                ("customers".to_owned(), "range".to_owned())
            ]
        );
        assert_eq!(
            rules(usage("2026-11", None, None).parse(today()).unwrap_err()),
            [("customers".to_owned(), "required".to_owned())]
        );
        assert!(usage("2026-11", Some(0), None).parse(today()).is_ok());
        assert!(
            usage("2026-11", Some(MAX_COUNT), None)
                .parse(today())
                .is_ok()
        );
        let none = UsageInput::default().parse(today()).unwrap_err();
        assert_eq!(none.errors.len(), 2);
    }

    fn inputs() -> HealthInputs {
        HealthInputs {
            rating: RatingSummary::default(),
            recent_leads: 0,
            reach: None,
            days_since_update: 0,
        }
    }

    #[test]
    fn a_new_listing_is_neutral_on_ratings_and_fresh() {
        let h = health(inputs());
        // ratings 40 × 0.5 + freshness 10.
        assert_eq!(h.score, 30);
        assert_eq!(h.parts.len(), 4);
        assert_eq!(
            h.parts.iter().map(|p| u32::from(p.weight)).sum::<u32>(),
            100
        );
    }

    #[test]
    fn every_part_at_its_full_value_makes_100() {
        let h = health(HealthInputs {
            rating: RatingSummary {
                average: Some(5.0),
                count: 1_000_000,
            },
            recent_leads: 20,
            reach: Some(1_000),
            days_since_update: 180,
        });
        assert_eq!(h.score, 100);
        let more = health(HealthInputs {
            recent_leads: 500,
            reach: Some(50_000),
            ..HealthInputs {
                rating: RatingSummary {
                    average: Some(5.0),
                    count: 1_000_000,
                },
                ..inputs()
            }
        });
        assert_eq!(more.score, 100, "past full, a part earns no more");
    }

    #[test]
    fn freshness_fades_between_half_a_year_and_a_year() {
        let at = |days| {
            health(HealthInputs {
                days_since_update: days,
                ..inputs()
            })
            .parts[3]
                .value
        };
        assert_eq!(at(180), 1.0);
        assert!(at(181) < 1.0 && at(181) >= 0.99);
        assert_eq!(at(365), 0.0);
        assert_eq!(at(5_000), 0.0);
        assert_eq!(at(-3), 1.0, "a clock skew reads as fresh");
    }

    #[test]
    fn bad_reviews_pull_below_none_and_enquiries_lift() {
        let none = health(inputs()).score;
        let bad = health(HealthInputs {
            rating: RatingSummary {
                average: Some(1.0),
                count: 20,
            },
            ..inputs()
        })
        .score;
        assert!(bad < none, "{bad} < {none}");
        let one = health(HealthInputs {
            recent_leads: 1,
            ..inputs()
        })
        .score;
        let five = health(HealthInputs {
            recent_leads: 5,
            ..inputs()
        })
        .score;
        assert!(none < one && one < five, "{none} {one} {five}");
        let zero_reported = health(HealthInputs {
            reach: Some(0),
            ..inputs()
        });
        assert_eq!(zero_reported.parts[2].value, 0.0);
        assert_eq!(
            zero_reported.parts[2].explanation,
            "0 installs or customers reported (1,000 earn it all)"
        );
    }
}
