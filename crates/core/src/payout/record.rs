//! Commission lines, statements, disputes and recorded revenue events as the API and the
//! pages show them, and the parsing of the inputs that change them (every problem naming
//! its field and rule). Nothing here reads data.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::accrual::RevenueEvent;
use super::statement::{DisputeState, MAX_COMMENT_CHARS, StatementState};
use crate::ids::{
    CommissionLineId, LineDisputeId, OpportunityId, PartnerId, ProgramId, RevenueEventId,
    StatementId, UserId,
};
use crate::kernel::invalid::text;
use crate::money::Money;
use crate::partner::parse_date;
use crate::{Invalid, text_enum};

/// One amount a partner earned (or gave back), on one rule.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommissionLine {
    pub id: CommissionLineId,
    pub partner_id: PartnerId,
    pub program_id: ProgramId,
    pub opportunity_id: Option<OpportunityId>,
    pub opportunity_title: Option<String>,
    /// The revenue event the line pays for (absent for a manual adjustment).
    pub event: Option<RevenueEvent>,
    pub event_on: NaiveDate,
    /// `resale_margin`, `referral_fee`, `co_sell_split`, `marketplace`, `renewal`,
    /// `expansion`, `accelerator.jbp_milestone`, `accelerator.certified`, `clawback`,
    /// `reversal` or `adjustment`.
    pub rule: String,
    /// The policy version whose rule applied (the one in force when the deal closed).
    pub policy_version: i64,
    pub base: Money,
    pub rate_bp: u32,
    /// In the deal's currency.
    pub amount: Money,
    /// In the statement (program) currency, at the deal's rate at close.
    pub statement_amount: Money,
    /// Why this amount: the rule, the figures and the policy, in a sentence.
    pub why: String,
    /// The line this one negates (a clawback or a reversal).
    pub negates_line_id: Option<CommissionLineId>,
    pub statement_id: Option<StatementId>,
    /// The day the line counts from for statements.
    pub accrued_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// A partner's statement for one period.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statement {
    pub id: StatementId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub program_id: ProgramId,
    /// `2026-Q4` or `2026-11`.
    pub period: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub state: StatementState,
    /// The sum of its lines, to the unit (for a rolled-over statement, of the lines it left open).
    pub total: Money,
    pub line_count: i64,
    /// The rule's sentence when it was drawn up (issued, or rolled over below the minimum).
    pub reason: String,
    pub policy_version: i64,
    pub approved_by: Option<UserId>,
    pub approved_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A statement with its lines and disputes, as its page shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementDetail {
    pub statement: Statement,
    /// Every line it gathered, oldest first.
    pub lines: Vec<CommissionLine>,
    pub disputes: Vec<LineDispute>,
}

/// What a statement run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementRunReport {
    /// The periods drawn up, one per program (`2026-Q4`).
    pub periods: Vec<String>,
    pub issued: usize,
    pub rolled_over: usize,
    /// Partners whose statement for the period existed already.
    pub existing: usize,
}

/// A partner's objection to a line of a statement.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineDispute {
    pub id: LineDisputeId,
    pub statement_id: StatementId,
    pub line_id: CommissionLineId,
    pub partner_id: PartnerId,
    pub comment: String,
    pub state: DisputeState,
    pub resolution: Option<String>,
    pub raised_by: UserId,
    pub raised_at: DateTime<Utc>,
    pub resolved_by: Option<UserId>,
    pub resolved_at: Option<DateTime<Utc>>,
}

text_enum!(
    /// What a customer did after a won deal.
    RevenueEventKind {
        Renewal = "renewal" / "Renewal",
        Expansion = "expansion" / "Expansion",
        Cancellation = "cancellation" / "Cancellation",
    }
);

/// A renewal, expansion or cancellation recorded on a won deal.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevenueEventRecord {
    pub id: RevenueEventId,
    pub opportunity_id: OpportunityId,
    pub kind: RevenueEventKind,
    pub occurred_on: NaiveDate,
    /// Renewal: the renewed ARR; expansion: the ARR added; cancellation: none.
    pub arr: Option<Money>,
    pub note: Option<String>,
    pub recorded_by: UserId,
    pub created_at: DateTime<Utc>,
}

/// Raw input for a revenue event.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RevenueEventInput {
    /// renewal, expansion or cancellation.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub kind: Option<String>,
    /// `YYYY-MM-DD`, not before the close.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub occurred_on: Option<String>,
    /// Renewal: the renewed ARR; expansion: the ARR added (minor units of the deal's
    /// currency, more than 0). Refused for a cancellation.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub arr_minor: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub note: Option<String>,
}

/// A revenue event, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevenueEventFields {
    pub kind: RevenueEventKind,
    pub occurred_on: NaiveDate,
    pub arr_minor: Option<i64>,
    pub note: Option<String>,
}

/// Longest note on a revenue event, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

impl RevenueEventInput {
    /// Parses against the deal's close date.
    pub fn parse(&self, closed_on: NaiveDate) -> Result<RevenueEventFields, Invalid> {
        let mut inv = Invalid::new();
        let kind = match self.kind.as_deref() {
            None => {
                inv.add(
                    "kind",
                    "required",
                    "kind is required: renewal, expansion or cancellation",
                );
                None
            }
            Some(raw) => inv.check(RevenueEventKind::parse("kind", raw)),
        };
        let occurred_on = match self.occurred_on.as_deref() {
            None => {
                inv.add(
                    "occurred_on",
                    "required",
                    "occurred_on is required (YYYY-MM-DD)",
                );
                None
            }
            Some(raw) => inv.check(parse_date("occurred_on", raw)),
        };
        if let Some(d) = occurred_on
            && d < closed_on
        {
            inv.add(
                "occurred_on",
                "not_before_close",
                format!("occurred_on ({d}) must not be before the deal closed ({closed_on})"),
            );
        }
        match (kind, self.arr_minor) {
            (Some(RevenueEventKind::Cancellation), Some(_)) => inv.add(
                "arr_minor",
                "not_allowed",
                "arr_minor is not taken for a cancellation",
            ),
            (Some(_), Some(a)) if a <= 0 => inv.add(
                "arr_minor",
                "positive",
                format!("arr_minor must be more than 0 (got {a})"),
            ),
            (Some(RevenueEventKind::Renewal | RevenueEventKind::Expansion), None) => inv.add(
                "arr_minor",
                "required",
                "arr_minor is required: the renewed ARR, or the ARR an expansion adds",
            ),
            _ => {}
        }
        let note = inv.check(text::optional("note", self.note.as_deref(), MAX_NOTE_CHARS));
        inv.finish(|| {
            Some(RevenueEventFields {
                kind: kind?,
                occurred_on: occurred_on?,
                arr_minor: self.arr_minor,
                note: note?,
            })
        })
    }
}

/// A partner disputes a line.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisputeInput {
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub line_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub comment: Option<String>,
}

/// Staff resolve a dispute: uphold it (the line is reversed, and replaced by
/// `corrected_minor` when given) or reject it.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// upheld or rejected.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub outcome: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub resolution: Option<String>,
    /// With upheld: the amount the line should have been, in the statement currency.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub corrected_minor: Option<i64>,
}

/// A resolution, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub upheld: bool,
    pub resolution: String,
    pub corrected_minor: Option<i64>,
}

impl ResolveInput {
    pub fn parse(&self) -> Result<Resolution, Invalid> {
        let mut inv = Invalid::new();
        let upheld = match self.outcome.as_deref().map(str::trim) {
            Some("upheld") => Some(true),
            Some("rejected") => Some(false),
            _ => {
                inv.add(
                    "outcome",
                    "one_of",
                    "outcome must be one of: upheld, rejected",
                );
                None
            }
        };
        let resolution = inv.check(text::required(
            "resolution",
            self.resolution.as_deref(),
            MAX_COMMENT_CHARS,
        ));
        if upheld == Some(false) && self.corrected_minor.is_some() {
            inv.add(
                "corrected_minor",
                "not_allowed",
                "corrected_minor is taken only when the dispute is upheld",
            );
        }
        inv.finish(|| {
            Some(Resolution {
                upheld: upheld?,
                resolution: resolution?,
                corrected_minor: self.corrected_minor,
            })
        })
    }
}

impl DisputeInput {
    /// The line id and the comment.
    pub fn parse(&self) -> Result<(CommissionLineId, String), Invalid> {
        let mut inv = Invalid::new();
        let line = match self.line_id.as_deref() {
            None => {
                inv.add(
                    "line_id",
                    "required",
                    "line_id is required: the line you dispute",
                );
                None
            }
            Some(raw) => inv.check(crate::ids::parse_id("line_id", raw)),
        };
        let comment = inv.check(text::required(
            "comment",
            self.comment.as_deref(),
            MAX_COMMENT_CHARS,
        ));
        inv.finish(|| Some((line?, comment?)))
    }
}

/// Finance marks a statement paid.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PayInput {
    /// The payment's reference in the accounts-payable system.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub reference: Option<String>,
}

/// Draws up statements for a period.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RunStatementsInput {
    /// Any day of the period (`YYYY-MM-DD`); default: the last period that has ended.
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub period_of: Option<String>,
}

/// An amount as a plain decimal in its currency's units (`-1234.50`), for CSV.
pub fn decimal(m: Money) -> String {
    let exp = m.currency.exponent();
    let sign = if m.amount_minor < 0 { "-" } else { "" };
    let abs = m.amount_minor.unsigned_abs();
    if exp == 0 {
        return format!("{sign}{abs}");
    }
    let scale = 10_u64.pow(exp);
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = exp as usize
    )
}

/// Runs `rows` on a CSV writer and returns the text (writing to memory fails only on a bug).
fn write_csv(
    rows: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> Result<(), csv::Error>,
) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    rows(&mut w).map_err(|e| e.to_string())?;
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// A statement's lines as CSV, one row per line with the rule behind it; the last row is
/// the total, which is the sum of the rows above it.
pub fn statement_csv(d: &StatementDetail) -> Result<String, String> {
    write_csv(|w| {
        w.write_record([
            "statement_id",
            "period",
            "partner",
            "line_id",
            "accrued_on",
            "opportunity_id",
            "opportunity",
            "event",
            "event_on",
            "rule",
            "policy_version",
            "base",
            "base_currency",
            "rate_bp",
            "amount",
            "currency",
            "statement_amount",
            "statement_currency",
            "negates_line_id",
            "why",
        ])?;
        let s = &d.statement;
        for l in &d.lines {
            w.write_record([
                s.id.to_string(),
                s.period.clone(),
                s.partner_name.clone(),
                l.id.to_string(),
                l.accrued_on.to_string(),
                l.opportunity_id
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                l.opportunity_title.clone().unwrap_or_default(),
                l.event.map(|e| e.as_str().to_owned()).unwrap_or_default(),
                l.event_on.to_string(),
                l.rule.clone(),
                l.policy_version.to_string(),
                decimal(l.base),
                l.base.currency.as_str().to_owned(),
                l.rate_bp.to_string(),
                decimal(l.amount),
                l.amount.currency.as_str().to_owned(),
                decimal(l.statement_amount),
                l.statement_amount.currency.as_str().to_owned(),
                l.negates_line_id
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                l.why.clone(),
            ])?;
        }
        let blank = String::new;
        w.write_record([
            s.id.to_string(),
            s.period.clone(),
            s.partner_name.clone(),
            "total".into(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            decimal(s.total),
            s.total.currency.as_str().to_owned(),
            blank(),
            format!("{} lines, {}", s.line_count, s.state.label()),
        ])?;
        Ok(())
    })
}

/// Approved statements of a period, one row each, for the accounts-payable system.
pub fn payables_csv(statements: &[Statement]) -> Result<String, String> {
    write_csv(|w| {
        w.write_record([
            "statement_id",
            "partner_id",
            "partner",
            "period",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "lines",
            "approved_at",
        ])?;
        for s in statements {
            w.write_record([
                s.id.to_string(),
                s.partner_id.to_string(),
                s.partner_name.clone(),
                s.period.clone(),
                s.period_start.to_string(),
                s.period_end.to_string(),
                decimal(s.total),
                s.total.currency.as_str().to_owned(),
                s.line_count.to_string(),
                s.approved_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ])?;
        }
        Ok(())
    })
}

#[cfg(test)]
// Amounts are written major_minor (48_000_00 is 48,000.00), as people read money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn rules(r: Result<impl std::fmt::Debug, Invalid>) -> Vec<(String, String)> {
        r.err()
            .map(|e| e.errors.into_iter().map(|e| (e.field, e.rule)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn decimals_keep_the_currencys_places_and_sign() {
        use crate::money::Currency;
        let usd = Currency::parse("c", "USD").unwrap();
        let jpy = Currency::parse("c", "JPY").unwrap();
        assert_eq!(decimal(Money::new(123_456, usd)), "1234.56");
        assert_eq!(decimal(Money::new(-5, usd)), "-0.05");
        assert_eq!(decimal(Money::new(0, usd)), "0.00");
        assert_eq!(decimal(Money::new(-1500, jpy)), "-1500");
    }

    #[test]
    fn revenue_events_name_every_problem() {
        let closed: NaiveDate = "2026-06-01".parse().unwrap();
        let got = rules(
            RevenueEventInput {
                kind: Some("renewal".into()),
                occurred_on: Some("2026-05-31".into()),
                arr_minor: Some(0),
                note: None,
            }
            .parse(closed),
        );
        assert_eq!(
            got,
            vec![
                ("occurred_on".into(), "not_before_close".into()),
                ("arr_minor".into(), "positive".into())
            ]
        );
        let got = rules(
            RevenueEventInput {
                kind: Some("cancellation".into()),
                occurred_on: Some("2026-06-01".into()),
                arr_minor: Some(5),
                note: None,
            }
            .parse(closed),
        );
        assert_eq!(got, vec![("arr_minor".into(), "not_allowed".into())]);
        let ok = RevenueEventInput {
            kind: Some("expansion".into()),
            occurred_on: Some("2026-06-01".into()),
            arr_minor: Some(10),
            note: Some(" upsell ".into()),
        }
        .parse(closed)
        .unwrap();
        assert_eq!(ok.kind, RevenueEventKind::Expansion);
        assert_eq!(rules(RevenueEventInput::default().parse(closed)).len(), 2);
    }

    #[test]
    fn a_resolution_is_upheld_or_rejected_with_words() {
        let got = rules(
            ResolveInput {
                outcome: Some("maybe".into()),
                resolution: None,
                corrected_minor: None,
            }
            .parse(),
        );
        assert_eq!(
            got,
            vec![
                ("outcome".into(), "one_of".into()),
                ("resolution".into(), "required".into())
            ]
        );
        let got = rules(
            ResolveInput {
                outcome: Some("rejected".into()),
                resolution: Some("as agreed".into()),
                corrected_minor: Some(1),
            }
            .parse(),
        );
        assert_eq!(got, vec![("corrected_minor".into(), "not_allowed".into())]);
    }

    #[test]
    fn a_dispute_names_a_line_and_says_why() {
        let got = rules(
            DisputeInput {
                line_id: Some("opp_1".into()),
                comment: Some(" ".into()),
            }
            .parse(),
        );
        assert_eq!(
            got,
            vec![
                ("line_id".into(), "id".into()),
                ("comment".into(), "required".into())
            ]
        );
    }
}
