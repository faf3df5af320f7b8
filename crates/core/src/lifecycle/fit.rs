//! Ideal Partner Profile fit score: how much an applicant looks like the partners that became
//! productive in this program.
//!
//! # Features
//!
//! Every score reads the same six attributes of a [`Profile`] (see [`FEATURES`]): employees,
//! countries sold in, verticals, vendor relationships, customers in the target segment and
//! certified staff. The partner type is deliberately not a feature: the rule-based weights in
//! the policy have no partner-type weight, and one-hot types would spread small samples thin.
//!
//! # Two methods
//!
//! * **Model** ([`FitMethod::Model`]): an L2-regularised logistic regression (linfa) trained on
//!   the program's labelled partners. The model sees `ln(1 + x)` of the heavy-tailed counts
//!   (employees, target customers, certified staff: going from 0 to 10 certified staff matters
//!   more than going from 500 to 510) and the raw counts of countries, verticals and vendor
//!   relationships, each standardised with the training mean and standard deviation (kept in the
//!   model). Score = predicted probability of becoming productive × 100, rounded.
//! * **Rules** ([`FitMethod::Rules`]): used when there are fewer labelled partners than
//!   `min_labelled_partners`, when all of them have the same outcome, when fewer than two of
//!   either outcome exist (the model could not be tested), or when fitting fails. Each weight in
//!   [`FitWeights`] is the most points its feature can earn; a feature earns
//!   `weight × min(value / cap, 1)` with the caps in [`FEATURES`] (employees 500, countries 5,
//!   verticals 3, vendor relationships 5, target customers 50, certified staff 10), and the
//!   score is `earned / sum(weights) × 100`, rounded.
//!
//! # Factors (why the score is what it is)
//!
//! Each [`FitFactor::effect`] is in points of the 0–100 score, rounded to 0.1; the list is
//! sorted by absolute effect, largest first.
//!
//! * Model: `effect_i = 100 × (p(x) − p(x with feature i set to the training mean))`, i.e. how
//!   many points the score would lose (or gain) if this attribute were that of an average
//!   labelled partner. A feature at the training mean has no effect.
//! * Rules: `effect_i = (min(value_i / cap_i, 1) − ½) × weight_i / sum(weights) × 100`: points
//!   earned relative to a feature at half its cap. An applicant at half of every cap scores 50,
//!   and `score ≈ 50 + Σ effect` (exactly, before rounding).
//!
//! # Held-out AUC
//!
//! Before the final model is fitted on all partners, it is tested by stratified k-fold
//! cross-validation (k = 5, or fewer when one outcome has fewer than 5 partners): the productive
//! and the other partners are each dealt round-robin, in the order given, into the folds; each
//! fold is scored by a model fitted on the others, and the ROC AUC of all those out-of-fold
//! scores is reported (rank-based Mann–Whitney statistic, ties counted half). No randomness:
//! the same samples in the same order give the same model and AUC.

use chrono::{Months, NaiveDate};
use linfa::Dataset;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::application::Profile;
use crate::policy::{FitPolicy, FitWeights};
use crate::text_enum;

text_enum!(
    /// How a score was computed.
    FitMethod {
        Model = "model" / "Model trained on this program's partners",
        Rules = "rules" / "Documented rule-based score",
    }
);

/// One attribute's push on a score, in points (positive raises it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FitFactor {
    /// Feature key, e.g. `certified_staff`.
    pub feature: String,
    /// For people, e.g. "Certified staff".
    pub label: String,
    /// The applicant's value, for people, e.g. "12".
    pub value: String,
    /// Points this feature added (or, negative, took away).
    pub effect: f64,
}

/// A 0–100 score with the features that drove it (largest effect first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FitScore {
    pub score: u8,
    pub method: FitMethod,
    /// Why this method (e.g. "12 labelled partners, fewer than the 20 the policy requires").
    pub reason: String,
    /// Held-out ROC AUC of the model (None for the rule-based score).
    pub auc: Option<f64>,
    /// Labelled partners the model learnt from.
    pub labelled: usize,
    pub factors: Vec<FitFactor>,
}

/// A partner whose outcome is known: its profile at joining and whether it became productive.
#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    pub profile: Profile,
    pub productive: bool,
}

/// A trained (or rule-based) scorer; serialisable so the store can keep it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitModel {
    pub method: FitMethod,
    pub reason: String,
    pub auc: Option<f64>,
    pub labelled: usize,
    pub weights: FitWeights,
    /// The fitted regression (only for [`FitMethod::Model`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    logistic: Option<Logistic>,
}

/// How the model reads a feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FitTransform {
    /// The count as is.
    Raw,
    /// `ln(1 + count)`, for heavy-tailed counts.
    Log1p,
}

/// One attribute the fit score reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitFeature {
    /// Stable key, e.g. `certified_staff` (also the [`FitWeights`] field name).
    pub key: &'static str,
    /// For people, e.g. "Certified staff".
    pub label: &'static str,
    /// Rule-based score: the value at which the feature earns its full weight.
    pub rule_cap: f64,
    /// Model: how the count is transformed before standardising.
    pub transform: FitTransform,
}

/// The features, in the order the model stores its coefficients.
pub const FEATURES: [FitFeature; 6] = [
    FitFeature {
        key: "employees",
        label: "Employees",
        rule_cap: 500.0,
        transform: FitTransform::Log1p,
    },
    FitFeature {
        key: "countries",
        label: "Countries",
        rule_cap: 5.0,
        transform: FitTransform::Raw,
    },
    FitFeature {
        key: "verticals",
        label: "Verticals",
        rule_cap: 3.0,
        transform: FitTransform::Raw,
    },
    FitFeature {
        key: "vendor_relationships",
        label: "Vendor relationships",
        rule_cap: 5.0,
        transform: FitTransform::Raw,
    },
    FitFeature {
        key: "target_customers",
        label: "Target-segment customers",
        rule_cap: 50.0,
        transform: FitTransform::Log1p,
    },
    FitFeature {
        key: "certified_staff",
        label: "Certified staff",
        rule_cap: 10.0,
        transform: FitTransform::Log1p,
    },
];

const N: usize = FEATURES.len();

/// L2 penalty of the logistic regression (linfa minimises the summed log-loss plus
/// `alpha / 2 × |coefficients|²`; features are standardised, so this is a mild prior towards
/// "no effect" that keeps small samples from producing extreme coefficients).
const ALPHA: f64 = 1.0;
const MAX_ITERATIONS: u64 = 200;
/// Folds of the cross-validation that estimates the held-out AUC.
const FOLDS: usize = 5;

/// The fitted regression: `p = σ(intercept + Σ coef_i × (x_i − mean_i) / scale_i)`, where
/// `x_i` is feature i after its [`FitTransform`] and `p` the probability of becoming productive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Logistic {
    /// Feature keys, in the order of the vectors below.
    features: Vec<String>,
    means: Vec<f64>,
    scales: Vec<f64>,
    coefficients: Vec<f64>,
    intercept: f64,
}

/// The applicant's counts, in [`FEATURES`] order.
fn counts(profile: &Profile) -> [i64; N] {
    let len = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    [
        profile.employees,
        len(profile.countries.len()),
        len(profile.verticals.len()),
        len(profile.vendor_relationships.len()),
        profile.target_customers,
        profile.certified_staff,
    ]
}

/// What the model sees (before standardising), in [`FEATURES`] order.
fn model_features(profile: &Profile) -> [f64; N] {
    let raw = counts(profile);
    std::array::from_fn(|i| {
        let x = raw[i].max(0) as f64;
        match FEATURES[i].transform {
            FitTransform::Raw => x,
            FitTransform::Log1p => x.ln_1p(),
        }
    })
}

fn weight_of(w: &FitWeights, key: &str) -> f64 {
    match key {
        "employees" => w.employees,
        "countries" => w.countries,
        "verticals" => w.verticals,
        "vendor_relationships" => w.vendor_relationships,
        "target_customers" => w.target_customers,
        "certified_staff" => w.certified_staff,
        _ => 0.0,
    }
}

/// The weights as the rule-based score uses them: non-finite or negative weights count as 0.
fn rule_weights(w: &FitWeights) -> [f64; N] {
    std::array::from_fn(|i| {
        let v = weight_of(w, FEATURES[i].key);
        if v.is_finite() { v.max(0.0) } else { 0.0 }
    })
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Points as a 0–100 score (rounded, clamped; NaN scores 0).
fn to_score(points: f64) -> u8 {
    if points.is_nan() {
        0
    } else {
        points.round().clamp(0.0, 100.0) as u8
    }
}

fn round_tenth(x: f64) -> f64 {
    let r = (x * 10.0).round() / 10.0;
    // No "-0.0" in the output.
    if r == 0.0 { 0.0 } else { r }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Logistic {
    fn linear(&self, x: &[f64; N]) -> f64 {
        let mut z = self.intercept;
        for (i, xi) in x.iter().enumerate() {
            z += self.coefficients[i] * (xi - self.means[i]) / self.scales[i];
        }
        z
    }

    fn probability(&self, x: &[f64; N]) -> f64 {
        sigmoid(self.linear(x))
    }

    /// Usable with the current [`FEATURES`] (a model stored by a build with other features,
    /// or a damaged one, is not).
    fn matches_features(&self) -> bool {
        self.features.len() == N
            && self
                .features
                .iter()
                .zip(FEATURES.iter())
                .all(|(a, f)| a == f.key)
            && self.means.len() == N
            && self.scales.len() == N
            && self.coefficients.len() == N
            && self.intercept.is_finite()
            && self
                .means
                .iter()
                .chain(&self.coefficients)
                .all(|v| v.is_finite())
            && self.scales.iter().all(|s| s.is_finite() && *s > 0.0)
    }
}

/// Fits the standardised logistic regression on `rows` (model features) and `labels`.
fn fit_logistic(rows: &[[f64; N]], labels: &[bool]) -> Result<Logistic, String> {
    let n = rows.len();
    if n == 0 || n != labels.len() {
        return Err("no training data".to_owned());
    }
    let nf = n as f64;
    let mut means = [0.0; N];
    let mut scales = [1.0; N];
    for j in 0..N {
        let mean = rows.iter().map(|r| r[j]).sum::<f64>() / nf;
        let var = rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / nf;
        let sd = var.sqrt();
        means[j] = mean;
        // A constant feature carries no information: scale 1 keeps it finite (its
        // standardised training values are all 0, so the L2 penalty fits a zero coefficient).
        scales[j] = if sd.is_finite() && sd > 1e-12 {
            sd
        } else {
            1.0
        };
    }
    let mut x = Array2::<f64>::zeros((n, N));
    for (i, r) in rows.iter().enumerate() {
        for j in 0..N {
            x[[i, j]] = (r[j] - means[j]) / scales[j];
        }
    }
    let y: Array1<bool> = labels.iter().copied().collect();
    let dataset = Dataset::new(x, y);
    let fitted = LogisticRegression::default()
        .alpha(ALPHA)
        .with_intercept(true)
        .max_iterations(MAX_ITERATIONS)
        .fit(&dataset)
        .map_err(|e| e.to_string())?;
    // linfa models the probability of its "positive" class, which is whichever label it
    // picked (the more frequent one); turn it into the probability of `true`.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let model = Logistic {
        features: FEATURES.iter().map(|f| f.key.to_owned()).collect(),
        means: means.to_vec(),
        scales: scales.to_vec(),
        coefficients: fitted.params().iter().map(|c| sign * c).collect(),
        intercept: sign * fitted.intercept(),
    };
    if model.matches_features() {
        Ok(model)
    } else {
        Err("the fit produced non-finite coefficients".to_owned())
    }
}

/// ROC AUC of `scores` against `labels`: the Mann–Whitney U statistic from average ranks
/// (ties count half), divided by positives × negatives. `None` without both outcomes.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() {
        return None;
    }
    let pos = labels.iter().filter(|l| **l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg_rank = (i + j + 2) as f64 / 2.0;
        rank_sum_pos += avg_rank * order[i..=j].iter().filter(|k| labels[**k]).count() as f64;
        i = j + 1;
    }
    let (p, q) = (pos as f64, neg as f64);
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * q))
}

/// Out-of-fold probabilities from stratified k-fold cross-validation (see the module docs).
fn cross_validated(rows: &[[f64; N]], labels: &[bool], folds: usize) -> Result<Vec<f64>, String> {
    let mut fold = vec![0usize; rows.len()];
    let (mut pos, mut neg) = (0usize, 0usize);
    for (i, label) in labels.iter().enumerate() {
        let counter = if *label { &mut pos } else { &mut neg };
        fold[i] = *counter % folds;
        *counter += 1;
    }
    let mut out = vec![0.0; rows.len()];
    for f in 0..folds {
        let (train_rows, train_labels): (Vec<[f64; N]>, Vec<bool>) = (0..rows.len())
            .filter(|i| fold[*i] != f)
            .map(|i| (rows[i], labels[i]))
            .unzip();
        let model = fit_logistic(&train_rows, &train_labels)?;
        for i in (0..rows.len()).filter(|i| fold[*i] == f) {
            out[i] = model.probability(&rows[i]);
        }
    }
    Ok(out)
}

fn rules_model(samples: &[Labelled], policy: &FitPolicy, reason: String) -> FitModel {
    FitModel {
        method: FitMethod::Rules,
        reason,
        auc: None,
        labelled: samples.len(),
        weights: policy.weights.clone(),
        logistic: None,
    }
}

/// Trains on the labelled partners (or falls back to rules when too few).
///
/// Rules are used (with a `reason` saying why) when there are fewer samples than
/// `min_labelled_partners`, when all samples have the same outcome, when either outcome has
/// fewer than two partners (no held-out test possible) or when the regression fails. Otherwise
/// the held-out AUC is estimated (see the module docs) and the model is fitted on all samples.
/// Fold assignment follows the order of `samples`, so pass them in a stable order.
pub fn train(samples: &[Labelled], policy: &FitPolicy) -> FitModel {
    let n = samples.len();
    let required = policy.min_labelled_partners;
    if i64::try_from(n).unwrap_or(i64::MAX) < required {
        let reason = format!(
            "{}, fewer than the {required} the policy requires; using the rule-based score",
            plural(n, "labelled partner", "labelled partners")
        );
        return rules_model(samples, policy, reason);
    }
    if n == 0 {
        return rules_model(
            samples,
            policy,
            "No labelled partners yet; using the rule-based score".to_owned(),
        );
    }
    let labels: Vec<bool> = samples.iter().map(|s| s.productive).collect();
    let productive = labels.iter().filter(|l| **l).count();
    let other = n - productive;
    if productive == 0 || other == 0 {
        let reason = if productive == 0 {
            format!(
                "None of the {} became productive; a model needs both outcomes, so using the \
                 rule-based score",
                plural(n, "labelled partner", "labelled partners")
            )
        } else {
            format!(
                "All {} became productive; a model needs both outcomes, so using the \
                 rule-based score",
                plural(n, "labelled partner", "labelled partners")
            )
        };
        return rules_model(samples, policy, reason);
    }
    let minority = productive.min(other);
    if minority < 2 {
        let reason = format!(
            "Only {minority} of the {n} labelled partners {}; a model needs at least 2 of \
             each outcome to be tested, so using the rule-based score",
            if productive < other {
                "became productive"
            } else {
                "did not become productive"
            }
        );
        return rules_model(samples, policy, reason);
    }
    let rows: Vec<[f64; N]> = samples.iter().map(|s| model_features(&s.profile)).collect();
    let folds = FOLDS.min(minority);
    let auc = match cross_validated(&rows, &labels, folds).map(|p| roc_auc(&p, &labels)) {
        Ok(Some(auc)) => auc,
        Ok(None) => {
            return rules_model(
                samples,
                policy,
                "The held-out AUC could not be computed; using the rule-based score".to_owned(),
            );
        }
        Err(e) => {
            return rules_model(
                samples,
                policy,
                format!("Logistic regression failed ({e}); using the rule-based score"),
            );
        }
    };
    match fit_logistic(&rows, &labels) {
        Ok(logistic) => FitModel {
            method: FitMethod::Model,
            reason: format!(
                "Logistic regression on {n} labelled partners ({productive} productive); \
                 held-out AUC {auc:.2} ({folds}-fold cross-validation)"
            ),
            auc: Some(auc),
            labelled: n,
            weights: policy.weights.clone(),
            logistic: Some(logistic),
        },
        Err(e) => rules_model(
            samples,
            policy,
            format!("Logistic regression failed ({e}); using the rule-based score"),
        ),
    }
}

/// Sorts by absolute effect (largest first; ties keep [`FEATURES`] order) and rounds to 0.1.
fn factors(profile: &Profile, effects: [f64; N]) -> Vec<FitFactor> {
    let raw = counts(profile);
    let mut out: Vec<FitFactor> = FEATURES
        .iter()
        .enumerate()
        .map(|(i, f)| FitFactor {
            feature: f.key.to_owned(),
            label: f.label.to_owned(),
            value: raw[i].to_string(),
            effect: if effects[i].is_finite() {
                effects[i]
            } else {
                0.0
            },
        })
        .collect();
    out.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()));
    for f in &mut out {
        f.effect = round_tenth(f.effect);
    }
    out
}

/// The rule-based score of `profile` under `weights` (see the module docs): the score and
/// each feature's effect in points.
fn rule_score(weights: &FitWeights, profile: &Profile) -> (u8, [f64; N]) {
    let w = rule_weights(weights);
    let total: f64 = w.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        return (0, [0.0; N]);
    }
    let raw = counts(profile);
    let saturation: [f64; N] =
        std::array::from_fn(|i| (raw[i].max(0) as f64 / FEATURES[i].rule_cap).min(1.0));
    let earned: f64 = (0..N).map(|i| w[i] * saturation[i]).sum();
    let effects = std::array::from_fn(|i| (saturation[i] - 0.5) * w[i] * 100.0 / total);
    (to_score(earned * 100.0 / total), effects)
}

impl FitModel {
    /// Scores an applicant 0–100 and explains the score (see the module docs for the
    /// formulas). A model whose stored coefficients do not fit the current features falls back
    /// to the rule-based score and says so.
    pub fn score(&self, profile: &Profile) -> FitScore {
        if self.method == FitMethod::Model {
            match &self.logistic {
                Some(model) if model.matches_features() => {
                    let x = model_features(profile);
                    let p = model.probability(&x);
                    let effects = std::array::from_fn(|i| {
                        let mut at_mean = x;
                        at_mean[i] = model.means[i];
                        100.0 * (p - model.probability(&at_mean))
                    });
                    return FitScore {
                        score: to_score(p * 100.0),
                        method: FitMethod::Model,
                        reason: self.reason.clone(),
                        auc: self.auc,
                        labelled: self.labelled,
                        factors: factors(profile, effects),
                    };
                }
                _ => {
                    let (score, effects) = rule_score(&self.weights, profile);
                    return FitScore {
                        score,
                        method: FitMethod::Rules,
                        reason: "The stored model does not match the current features; using \
                                 the rule-based score"
                            .to_owned(),
                        auc: None,
                        labelled: self.labelled,
                        factors: factors(profile, effects),
                    };
                }
            }
        }
        let (score, effects) = rule_score(&self.weights, profile);
        FitScore {
            score,
            method: FitMethod::Rules,
            reason: self.reason.clone(),
            auc: None,
            labelled: self.labelled,
            factors: factors(profile, effects),
        }
    }
}

/// Whether a partner became productive: reached `productive_tier_rank` (a date it first
/// held each rank is in `rank_reached`) or brought `productive_sourced_arr_minor` of won
/// deals (close date, amount) within `productive_within_months` of joining. `None` while
/// the window is still open and neither has happened yet.
///
/// The window is `joined_on ..= joined_on + productive_within_months` (calendar months, end
/// day clamped to the month's length, e.g. 31 Jan + 1 month = 28/29 Feb; a negative month count
/// counts as 0). A rank counts when reached on or before the window's last day; won deals count
/// when closed inside the window, and their amounts are summed. A non-positive
/// `productive_sourced_arr_minor` switches the ARR criterion off (otherwise every partner
/// would be productive on day one). The outcome is `Some(false)` only once `as_of` is past
/// the window's last day.
pub fn productive(
    policy: &FitPolicy,
    joined_on: NaiveDate,
    as_of: NaiveDate,
    rank_reached: &[(NaiveDate, i64)],
    won: &[(NaiveDate, i64)],
) -> Option<bool> {
    let months = u32::try_from(policy.productive_within_months.max(0)).unwrap_or(u32::MAX);
    let window_end = joined_on
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    let ranked = rank_reached
        .iter()
        .any(|(date, rank)| *rank >= policy.productive_tier_rank && *date <= window_end);
    if ranked {
        return Some(true);
    }
    if policy.productive_sourced_arr_minor > 0 {
        let sourced: i128 = won
            .iter()
            .filter(|(date, _)| (joined_on..=window_end).contains(date))
            .map(|(_, amount)| i128::from(*amount))
            .sum();
        if sourced >= i128::from(policy.productive_sourced_arr_minor) {
            return Some(true);
        }
    }
    if as_of > window_end {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::country::Country;
    use crate::partner::PartnerType;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn profile(
        employees: i64,
        countries: usize,
        verticals: usize,
        vendors: usize,
        target_customers: i64,
        certified_staff: i64,
    ) -> Profile {
        let codes = ["US", "DE", "FR", "GB", "BR", "JP", "IN", "CA", "AU", "ES"];
        Profile {
            partner_type: PartnerType::Reseller,
            employees,
            countries: codes
                .iter()
                .cycle()
                .take(countries)
                .map(|c| Country::parse("countries", c).unwrap())
                .collect(),
            verticals: (0..verticals).map(|i| format!("vertical {i}")).collect(),
            vendor_relationships: (0..vendors).map(|i| format!("vendor {i}")).collect(),
            target_customers,
            certified_staff,
        }
    }

    /// SplitMix64: a tiny deterministic generator for the synthetic data.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform in `lo..=hi`.
        fn int(&mut self, lo: i64, hi: i64) -> i64 {
            lo + (self.next() % (hi - lo + 1) as u64) as i64
        }
    }

    /// Certified staff drives the outcome (with noise); everything else is noise, and every
    /// partner has exactly 2 verticals.
    fn synthetic(n: usize, seed: u64) -> Vec<Labelled> {
        let mut rng = Rng(seed);
        (0..n)
            .map(|_| {
                let certified = rng.int(0, 30);
                let noise = rng.int(-6, 6);
                let p = profile(
                    rng.int(5, 2000),
                    rng.int(1, 8) as usize,
                    2,
                    rng.int(0, 6) as usize,
                    rng.int(0, 100),
                    certified,
                );
                Labelled {
                    profile: p,
                    productive: certified + noise > 12,
                }
            })
            .collect()
    }

    fn mixed(n: usize) -> Vec<Labelled> {
        synthetic(n, 7)
    }

    #[test]
    fn fewer_than_min_labelled_uses_rules() {
        let policy = FitPolicy::default();
        assert_eq!(policy.min_labelled_partners, 20);
        let samples = mixed(19);
        assert!(samples.iter().filter(|s| s.productive).count() >= 2);
        assert!(samples.iter().filter(|s| !s.productive).count() >= 2);
        let model = train(&samples, &policy);
        assert_eq!(model.method, FitMethod::Rules);
        assert_eq!(model.auc, None);
        assert_eq!(model.labelled, 19);
        assert_eq!(
            model.reason,
            "19 labelled partners, fewer than the 20 the policy requires; using the rule-based score"
        );
        let scored = model.score(&samples[0].profile);
        assert_eq!(scored.method, FitMethod::Rules);
        assert_eq!(scored.reason, model.reason);
    }

    #[test]
    fn exactly_min_labelled_trains_a_model() {
        let policy = FitPolicy::default();
        let samples = mixed(20);
        let model = train(&samples, &policy);
        assert_eq!(model.method, FitMethod::Model, "{}", model.reason);
        assert_eq!(model.labelled, 20);
        let auc = model.auc.unwrap();
        assert!((0.0..=1.0).contains(&auc));
        assert!(
            model
                .reason
                .starts_with("Logistic regression on 20 labelled partners"),
            "{}",
            model.reason
        );
        assert!(model.reason.contains("held-out AUC"), "{}", model.reason);
        let scored = model.score(&samples[0].profile);
        assert_eq!(scored.method, FitMethod::Model);
        assert_eq!(scored.auc, model.auc);
    }

    #[test]
    fn one_labelled_partner_is_singular() {
        let model = train(&mixed(1), &FitPolicy::default());
        assert_eq!(
            model.reason,
            "1 labelled partner, fewer than the 20 the policy requires; using the rule-based score"
        );
    }

    #[test]
    fn all_labels_equal_uses_rules() {
        let policy = FitPolicy::default();
        let mut samples = synthetic(40, 3);
        for s in &mut samples {
            s.productive = true;
        }
        let model = train(&samples, &policy);
        assert_eq!(model.method, FitMethod::Rules);
        assert!(
            model
                .reason
                .starts_with("All 40 labelled partners became productive")
        );
        for s in &mut samples {
            s.productive = false;
        }
        let model = train(&samples, &policy);
        assert_eq!(model.method, FitMethod::Rules);
        assert!(
            model
                .reason
                .starts_with("None of the 40 labelled partners became productive")
        );
    }

    #[test]
    fn a_single_partner_of_one_outcome_uses_rules() {
        let mut samples = synthetic(30, 5);
        for (i, s) in samples.iter_mut().enumerate() {
            s.productive = i == 4;
        }
        let model = train(&samples, &FitPolicy::default());
        assert_eq!(model.method, FitMethod::Rules);
        assert!(
            model.reason.starts_with("Only 1 of the 30"),
            "{}",
            model.reason
        );
    }

    #[test]
    fn no_samples_with_no_minimum_uses_rules() {
        let policy = FitPolicy {
            min_labelled_partners: 0,
            ..FitPolicy::default()
        };
        let model = train(&[], &policy);
        assert_eq!(model.method, FitMethod::Rules);
        assert_eq!(model.labelled, 0);
    }

    #[test]
    fn separable_data_learns_the_informative_feature() {
        let samples = synthetic(200, 42);
        let model = train(&samples, &FitPolicy::default());
        assert_eq!(model.method, FitMethod::Model, "{}", model.reason);
        let auc = model.auc.unwrap();
        println!("synthetic held-out AUC: {auc:.4}; {}", model.reason);
        assert!(auc > 0.8, "AUC {auc}");

        let strong = profile(300, 3, 2, 3, 50, 25);
        let weak = profile(300, 3, 2, 3, 50, 1);
        let (s, w) = (model.score(&strong), model.score(&weak));
        assert!(s.score > w.score, "{} vs {}", s.score, w.score);
        assert!(s.score >= 80, "strong {}", s.score);
        assert!(w.score <= 20, "weak {}", w.score);
        for scored in [&s, &w] {
            assert_eq!(scored.factors.len(), FEATURES.len());
            assert_eq!(scored.factors[0].feature, "certified_staff");
            assert!(
                scored
                    .factors
                    .windows(2)
                    .all(|p| p[0].effect.abs() >= p[1].effect.abs())
            );
        }
        assert!(s.factors[0].effect > 0.0);
        assert!(w.factors[0].effect < 0.0);
        assert_eq!(s.factors[0].label, "Certified staff");
        assert_eq!(s.factors[0].value, "25");
        // Every partner had 2 verticals: the feature is at its mean and explains nothing.
        let verticals = s.factors.iter().find(|f| f.feature == "verticals").unwrap();
        assert_eq!(verticals.effect, 0.0);
    }

    #[test]
    fn auc_counts_ties_half() {
        assert_eq!(
            roc_auc(&[0.1, 0.2, 0.3, 0.4], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(
            roc_auc(&[0.4, 0.3, 0.2, 0.1], &[false, false, true, true]),
            Some(0.0)
        );
        assert_eq!(roc_auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        // Pairs (pos, neg): (0.5 vs 0.5) tie = 0.5, (0.5 vs 0.1) = 1, (0.9 vs both) = 2.
        assert_eq!(
            roc_auc(&[0.5, 0.5, 0.1, 0.9], &[true, false, false, true]),
            Some(3.5 / 4.0)
        );
        assert_eq!(roc_auc(&[0.5], &[true]), None);
        assert_eq!(roc_auc(&[0.5, 0.1], &[true]), None);
    }

    #[test]
    fn scores_stay_within_0_and_100() {
        let model = train(&synthetic(120, 9), &FitPolicy::default());
        assert_eq!(model.method, FitMethod::Model);
        let rules = train(&[], &FitPolicy::default());
        let extremes = [
            profile(0, 0, 0, 0, 0, 0),
            profile(10_000_000, 250, 20, 50, 10_000_000, 1_000_000),
            profile(-5, 0, 0, 0, -5, -5),
            profile(1, 1, 1, 1, 1, 1),
            profile(5000, 10, 2, 6, 1000, 1_000_000),
        ];
        for p in &extremes {
            for m in [&model, &rules] {
                let s = m.score(p);
                assert!(s.score <= 100, "{}", s.score);
                assert!(s.factors.iter().all(|f| f.effect.is_finite()));
                assert!(
                    s.factors
                        .windows(2)
                        .all(|w| w[0].effect.abs() >= w[1].effect.abs())
                );
            }
        }
        assert_eq!(rules.score(&extremes[0]).score, 0);
        assert_eq!(rules.score(&extremes[1]).score, 100);
    }

    #[test]
    fn rule_score_follows_the_documented_formula() {
        let model = train(&[], &FitPolicy::default());
        // employees 250/500 → 7.5 of 15; countries 5/5 → 10; verticals 0; vendors 5/5 → 15;
        // target customers 50/50 → 25; certified staff 0 → 0. 57.5 of 100 → 58.
        let scored = model.score(&profile(250, 5, 0, 5, 50, 0));
        assert_eq!(scored.score, 58);
        assert_eq!(scored.method, FitMethod::Rules);
        assert_eq!(scored.auc, None);
        let effects: Vec<(&str, f64)> = scored
            .factors
            .iter()
            .map(|f| (f.feature.as_str(), f.effect))
            .collect();
        assert_eq!(
            effects,
            vec![
                ("target_customers", 12.5),
                ("certified_staff", -12.5),
                ("vendor_relationships", 7.5),
                ("countries", 5.0),
                ("verticals", -5.0),
                ("employees", 0.0),
            ]
        );
        let total: f64 = effects.iter().map(|(_, e)| e).sum();
        assert!((50.0 + total - 57.5).abs() < 1e-9);
    }

    #[test]
    fn rule_score_scales_by_the_sum_of_weights() {
        let policy = FitPolicy {
            weights: FitWeights {
                employees: 0.0,
                countries: 0.0,
                verticals: 0.0,
                vendor_relationships: 0.0,
                target_customers: 0.0,
                certified_staff: 4.0,
            },
            ..FitPolicy::default()
        };
        let model = train(&[], &policy);
        assert_eq!(model.score(&profile(0, 0, 0, 0, 0, 5)).score, 50);
        assert_eq!(model.score(&profile(0, 0, 0, 0, 0, 10)).score, 100);
        assert_eq!(model.score(&profile(9999, 9, 9, 9, 9999, 0)).score, 0);
        let zero = FitPolicy {
            weights: FitWeights {
                certified_staff: 0.0,
                ..policy.weights.clone()
            },
            ..policy
        };
        let model = train(&[], &zero);
        assert_eq!(model.score(&profile(0, 0, 0, 0, 0, 10)).score, 0);
    }

    #[test]
    fn model_round_trips_through_json_and_scores_identically() {
        let samples = synthetic(80, 11);
        for model in [
            train(&samples, &FitPolicy::default()),
            train(&samples[..5], &FitPolicy::default()),
        ] {
            let json = serde_json::to_string(&model).unwrap();
            let back: FitModel = serde_json::from_str(&json).unwrap();
            assert_eq!(back, model);
            for s in &samples {
                assert_eq!(back.score(&s.profile), model.score(&s.profile));
            }
        }
    }

    #[test]
    fn a_model_without_coefficients_falls_back_to_rules() {
        let model = train(&synthetic(60, 13), &FitPolicy::default());
        assert_eq!(model.method, FitMethod::Model);
        let mut json: serde_json::Value = serde_json::to_value(&model).unwrap();
        json.as_object_mut().unwrap().remove("logistic");
        let damaged: FitModel = serde_json::from_value(json).unwrap();
        let scored = damaged.score(&profile(100, 2, 2, 2, 10, 5));
        assert_eq!(scored.method, FitMethod::Rules);
        assert_eq!(scored.auc, None);
        assert!(scored.reason.contains("does not match"));
    }

    #[test]
    fn training_is_deterministic() {
        let samples = synthetic(100, 17);
        assert_eq!(
            train(&samples, &FitPolicy::default()),
            train(&samples, &FitPolicy::default())
        );
    }

    fn policy() -> FitPolicy {
        FitPolicy {
            productive_tier_rank: 2,
            productive_sourced_arr_minor: 10_000,
            productive_within_months: 12,
            ..FitPolicy::default()
        }
    }

    #[test]
    fn productive_by_rank_on_the_last_day_of_the_window() {
        let p = policy();
        let joined = date("2024-03-15");
        let late = date("2026-01-01");
        assert_eq!(
            productive(&p, joined, late, &[(date("2025-03-15"), 2)], &[]),
            Some(true)
        );
        assert_eq!(
            productive(&p, joined, late, &[(date("2025-03-16"), 2)], &[]),
            Some(false)
        );
        // A lower rank in time does not count; a higher one does.
        assert_eq!(
            productive(&p, joined, late, &[(date("2024-04-01"), 1)], &[]),
            Some(false)
        );
        assert_eq!(
            productive(&p, joined, late, &[(date("2024-04-01"), 3)], &[]),
            Some(true)
        );
    }

    #[test]
    fn productive_by_sourced_arr() {
        let p = policy();
        let joined = date("2024-03-15");
        let late = date("2026-01-01");
        let exactly = [(date("2024-05-01"), 4_000), (date("2025-03-15"), 6_000)];
        assert_eq!(productive(&p, joined, late, &[], &exactly), Some(true));
        let one_short = [(date("2024-05-01"), 4_000), (date("2025-03-15"), 5_999)];
        assert_eq!(productive(&p, joined, late, &[], &one_short), Some(false));
        // Deals before joining or after the window do not count.
        let outside = [
            (date("2024-03-14"), 50_000),
            (date("2025-03-16"), 50_000),
            (date("2024-03-15"), 1_000),
        ];
        assert_eq!(productive(&p, joined, late, &[], &outside), Some(false));
        // A zero threshold switches the ARR criterion off.
        let off = FitPolicy {
            productive_sourced_arr_minor: 0,
            ..policy()
        };
        assert_eq!(productive(&off, joined, late, &[], &[]), Some(false));
    }

    #[test]
    fn productive_is_unknown_while_the_window_is_open() {
        let p = policy();
        let joined = date("2024-03-15");
        assert_eq!(productive(&p, joined, date("2024-09-01"), &[], &[]), None);
        assert_eq!(productive(&p, joined, date("2025-03-15"), &[], &[]), None);
        assert_eq!(
            productive(&p, joined, date("2025-03-16"), &[], &[]),
            Some(false)
        );
        // Already productive before the window closes.
        assert_eq!(
            productive(
                &p,
                joined,
                date("2024-09-01"),
                &[(date("2024-08-01"), 2)],
                &[]
            ),
            Some(true)
        );
        assert_eq!(
            productive(
                &p,
                joined,
                date("2024-09-01"),
                &[],
                &[(date("2024-08-01"), 10_000)]
            ),
            Some(true)
        );
    }

    #[test]
    fn month_end_windows_clamp() {
        let p = FitPolicy {
            productive_within_months: 1,
            ..policy()
        };
        let joined = date("2024-01-31");
        assert_eq!(
            productive(
                &p,
                joined,
                date("2024-12-31"),
                &[(date("2024-02-29"), 2)],
                &[]
            ),
            Some(true)
        );
        assert_eq!(
            productive(
                &p,
                joined,
                date("2024-12-31"),
                &[(date("2024-03-01"), 2)],
                &[]
            ),
            Some(false)
        );
    }
}
