//! Currency rates as a dated table, and conversion on a date. The rate in force when an
//! opportunity closes is what it stores, so reports never drift with today's rates.
//!
//! A rate is fixed-point: `rate_e8` is the price of one major unit of `from` in major units
//! of `to`, times 10^8 (1.0850 EUR→USD is `108_500_000`). Conversion is integer arithmetic in
//! `i128`, scaling by both currencies' minor-unit exponents, rounded half to even to a whole
//! minor unit of the target currency. A rate applies from its effective date on (inclusive)
//! until a later one takes over. Only the direction in the table is used: an inverse is not
//! derived, since it would round a second time; the table lists each direction it needs.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::forecast::div_round_half_even;
use crate::kernel::money::{Currency, Money};
use crate::partner::parse_date;
use crate::{FieldError, Invalid};

/// Scale of a fixed-point rate: 10^8.
pub const RATE_SCALE: i64 = 100_000_000;

/// One dated rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub from: Currency,
    pub to: Currency,
    pub effective_on: NaiveDate,
    /// One major unit of `from` in major units of `to`, × 10^8; more than zero.
    pub rate_e8: i64,
}

/// Why a conversion could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error("no {from}→{to} rate is effective on or before {date}")]
    NoRate {
        from: Currency,
        to: Currency,
        date: NaiveDate,
    },
    #[error("{amount} converted to {to} does not fit in a 64-bit amount")]
    Overflow { amount: Money, to: Currency },
}

/// The rate table, checked: positive rates, two different currencies, one rate per pair and
/// day. Kept sorted by (from, to, effective date).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rates {
    rates: Vec<Rate>,
}

impl Rates {
    /// Checks every rate (errors name `rates[i].field`) and builds the table.
    pub fn new(mut rates: Vec<Rate>) -> Result<Rates, Invalid> {
        let mut inv = Invalid::new();
        for (i, r) in rates.iter().enumerate() {
            if r.rate_e8 <= 0 {
                inv.add(
                    &format!("rates[{i}].rate"),
                    "positive",
                    format!("rates[{i}].rate must be more than 0"),
                );
            }
            if r.from == r.to {
                inv.add(
                    &format!("rates[{i}].to"),
                    "different_currency",
                    format!(
                        "rates[{i}] converts {} to itself; the rate is always 1",
                        r.from
                    ),
                );
            }
            if let Some(o) = rates[..i]
                .iter()
                .position(|o| o.from == r.from && o.to == r.to && o.effective_on == r.effective_on)
            {
                inv.add(
                    &format!("rates[{i}].effective_on"),
                    "unique",
                    format!(
                        "rates[{i}] repeats the {}→{} rate effective {} of rates[{o}]",
                        r.from, r.to, r.effective_on
                    ),
                );
            }
        }
        if !inv.is_empty() {
            return Err(inv);
        }
        rates.sort_by(|a, b| {
            (a.from.as_str(), a.to.as_str(), a.effective_on).cmp(&(
                b.from.as_str(),
                b.to.as_str(),
                b.effective_on,
            ))
        });
        Ok(Rates { rates })
    }

    /// The rates, sorted.
    pub fn rates(&self) -> &[Rate] {
        &self.rates
    }

    /// The `from`→`to` rate in force on `date` (× 10^8): the latest effective on or before
    /// it. The same currency is always [`RATE_SCALE`] (1.0).
    pub fn rate_on(&self, from: Currency, to: Currency, date: NaiveDate) -> Result<i64, FxError> {
        self.rate_at_close(from, to, date).map(|r| r.rate_e8)
    }

    /// `money` in `to` at the rate in force on `date`, rounded half to even to a minor unit.
    /// The same currency comes back unchanged.
    pub fn convert(&self, money: Money, to: Currency, date: NaiveDate) -> Result<Money, FxError> {
        if money.currency == to {
            return Ok(money);
        }
        let rate = self.rate_on(money.currency, to, date)?;
        convert_at(money, to, rate)
    }
}

/// One row of the rate table as shown, with the decimal spelling of its rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FxRate {
    pub from: Currency,
    pub to: Currency,
    pub effective_on: NaiveDate,
    /// Decimal, e.g. `1.085`.
    pub rate: String,
    pub rate_e8: i64,
    pub updated_by_name: String,
}

/// Raw input for one rate (a form, the API, or one CSV row with the header
/// `from,to,effective_on,rate`).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FxRateInput {
    /// ISO 4217.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub from: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub to: Option<String>,
    /// `YYYY-MM-DD`: the rate applies from this day until a later one takes over.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub effective_on: Option<String>,
    /// One unit of `from` in units of `to`, decimal with at most 8 decimals.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub rate: Option<String>,
}

impl FxRateInput {
    /// Parses one rate; `prefix` goes before each field name (`rows[3].` for a CSV row).
    pub fn parse(&self, prefix: &str) -> Result<Rate, Invalid> {
        let mut inv = Invalid::new();
        let field = |name: &str, raw: &Option<String>| {
            let f = format!("{prefix}{name}");
            match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(v) => Ok((f, v.to_owned())),
                None => Err(FieldError::new(&f, "required", format!("{f} is required"))),
            }
        };
        let from = field("from", &self.from).and_then(|(f, v)| Currency::parse(&f, &v));
        let to = field("to", &self.to).and_then(|(f, v)| Currency::parse(&f, &v));
        let on = field("effective_on", &self.effective_on).and_then(|(f, v)| parse_date(&f, &v));
        let rate = field("rate", &self.rate).and_then(|(f, v)| parse_rate(&f, &v));
        let (from, to, on, rate) = (
            inv.check(from),
            inv.check(to),
            inv.check(on),
            inv.check(rate),
        );
        if let (Some(a), Some(b)) = (from, to)
            && a == b
        {
            inv.add(
                &format!("{prefix}to"),
                "different_currency",
                format!(
                    "{prefix}to must differ from {prefix}from (a currency converts to itself at 1)"
                ),
            );
        }
        inv.finish(|| {
            Some(Rate {
                from: from?,
                to: to?,
                effective_on: on?,
                rate_e8: rate?,
            })
        })
    }
}

/// Parses a rate table in CSV with the header `from,to,effective_on,rate` (any column
/// order, extra columns refused). Every problem names its row (`rows[N]`, counting data
/// rows from 1, as a spreadsheet user reads them after the header) and the field; one bad
/// row refuses the whole file, so an import is all or nothing.
pub fn parse_rates_csv(text: &str) -> Result<Vec<Rate>, Invalid> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Invalid::one("file", "csv", format!("the file is not CSV: {e}")))?
        .clone();
    let expected = ["from", "to", "effective_on", "rate"];
    let mut columns = [usize::MAX; 4];
    for (i, h) in headers.iter().enumerate() {
        match expected.iter().position(|e| e.eq_ignore_ascii_case(h)) {
            Some(j) => columns[j] = i,
            None => {
                return Err(Invalid::one(
                    "file",
                    "csv_header",
                    format!(
                        "unknown column \"{h}\"; the header must be: from,to,effective_on,rate"
                    ),
                ));
            }
        }
    }
    if let Some(j) = columns.iter().position(|c| *c == usize::MAX) {
        return Err(Invalid::one(
            "file",
            "csv_header",
            format!(
                "the column \"{}\" is missing; the header must be: from,to,effective_on,rate",
                expected[j]
            ),
        ));
    }
    let mut inv = Invalid::new();
    let mut rates = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let prefix = format!("rows[{}].", n + 1);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                inv.add(
                    &format!("rows[{}]", n + 1),
                    "csv",
                    format!("row {}: {e}", n + 1),
                );
                continue;
            }
        };
        let cell = |j: usize| record.get(columns[j]).map(str::to_owned);
        let input = FxRateInput {
            from: cell(0),
            to: cell(1),
            effective_on: cell(2),
            rate: cell(3),
        };
        match input.parse(&prefix) {
            Ok(r) => {
                let earlier = rates.iter().position(|(_, o): &(usize, Rate)| {
                    o.from == r.from && o.to == r.to && o.effective_on == r.effective_on
                });
                if let Some(i) = earlier {
                    inv.add(
                        &format!("{prefix}effective_on"),
                        "unique",
                        format!(
                            "row {} repeats the {}→{} rate effective {} of row {}",
                            n + 1,
                            r.from,
                            r.to,
                            r.effective_on,
                            rates[i].0
                        ),
                    );
                } else {
                    rates.push((n + 1, r));
                }
            }
            Err(e) => inv.errors.extend(e.errors),
        }
    }
    if rates.is_empty() && inv.errors.is_empty() {
        inv.add("file", "csv_empty", "the file has no rows after the header");
    }
    inv.finish(|| Some(rates.into_iter().map(|(_, r)| r).collect()))
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateImport {
    /// Rows that added a rate.
    pub added: u64,
    /// Rows that replaced the rate of an existing (pair, day).
    pub replaced: u64,
    /// Rows equal to what the table held.
    pub unchanged: u64,
}

/// The decimal spelling of a fixed-point rate, without trailing zeros (`1.085`).
pub fn format_rate(rate_e8: i64) -> String {
    let whole = rate_e8 / RATE_SCALE;
    let frac = rate_e8 % RATE_SCALE;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:08}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// What an opportunity stores when it closes: the rate in force on the close date, from its
/// currency to the program's reporting currency, with the date that rate took effect (so a
/// report can say which row of the table it used). Later edits to the table never change it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateAtClose {
    pub from: Currency,
    pub to: Currency,
    pub close_on: NaiveDate,
    /// × 10^8; [`RATE_SCALE`] when both currencies are the same.
    pub rate_e8: i64,
    /// When the rate used took effect; `None` for the same currency (no table row).
    pub effective_on: Option<NaiveDate>,
}

impl RateAtClose {
    /// `amount` (in `from`) at this rate.
    pub fn convert(&self, amount: Money) -> Result<Money, FxError> {
        if amount.currency == self.to {
            return Ok(amount);
        }
        convert_at(amount, self.to, self.rate_e8)
    }
}

impl Rates {
    /// The rate to store on an opportunity closing on `close_on` in `from`, reported in `to`.
    pub fn rate_at_close(
        &self,
        from: Currency,
        to: Currency,
        close_on: NaiveDate,
    ) -> Result<RateAtClose, FxError> {
        if from == to {
            return Ok(RateAtClose {
                from,
                to,
                close_on,
                rate_e8: RATE_SCALE,
                effective_on: None,
            });
        }
        let row = self
            .rates
            .iter()
            .filter(|r| r.from == from && r.to == to && r.effective_on <= close_on)
            .max_by_key(|r| r.effective_on)
            .ok_or(FxError::NoRate {
                from,
                to,
                date: close_on,
            })?;
        Ok(RateAtClose {
            from,
            to,
            close_on,
            rate_e8: row.rate_e8,
            effective_on: Some(row.effective_on),
        })
    }
}

/// `money` in `to` at a given rate (× 10^8), rounded half to even to a minor unit of `to`.
pub fn convert_at(money: Money, to: Currency, rate_e8: i64) -> Result<Money, FxError> {
    let from_exp = money.currency.exponent();
    let to_exp = to.exponent();
    // minor_to = minor_from × rate / 10^8 × 10^to_exp / 10^from_exp
    let mut n = i128::from(money.amount_minor) * i128::from(rate_e8);
    let mut d = i128::from(RATE_SCALE);
    if to_exp >= from_exp {
        n *= 10_i128.pow(to_exp - from_exp);
    } else {
        d *= 10_i128.pow(from_exp - to_exp);
    }
    let q = div_round_half_even(n, d);
    i64::try_from(q)
        .map(|amount_minor| Money::new(amount_minor, to))
        .map_err(|_| FxError::Overflow { amount: money, to })
}

/// Parses a decimal rate such as `1.085` or `0.00912345` into fixed point (× 10^8): more
/// than zero, at most 8 decimals, no sign or exponent.
pub fn parse_rate(field: &str, raw: &str) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "decimal_rate",
            format!(
                "{field} must be a decimal number more than 0 with at most 8 decimals (e.g. 1.085)"
            ),
        )
    };
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 8 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac_e8: i64 = if frac.is_empty() {
        0
    } else {
        let f: i64 = frac.parse().map_err(|_| bad())?;
        f * 10_i64.pow(8 - frac.len() as u32)
    };
    let rate = whole
        .checked_mul(RATE_SCALE)
        .and_then(|w| w.checked_add(frac_e8))
        .ok_or_else(bad)?;
    if rate <= 0 {
        return Err(bad());
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(code: &str) -> Currency {
        Currency::parse("c", code).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rate(from: &str, to: &str, on: NaiveDate, rate_e8: i64) -> Rate {
        Rate {
            from: c(from),
            to: c(to),
            effective_on: on,
            rate_e8,
        }
    }

    #[test]
    fn csv_import_is_all_or_nothing_and_names_rows() {
        let ok = parse_rates_csv(
            "rate,from,to,effective_on\n1.085,EUR,USD,2026-01-01\n0.79,USD,GBP,2026-01-01\n",
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].rate_e8, 108_500_000);
        assert_eq!(ok[1].to, c("GBP"));
        let e = parse_rates_csv(
            "from,to,effective_on,rate\nEUR,USD,2026-01-01,1.1\nEUR,EUR,2026-13-01,-2\n",
        )
        .unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("rows[2].effective_on", "date"),
                ("rows[2].rate", "decimal_rate"),
                ("rows[2].to", "different_currency"),
            ]
        );
        let e = parse_rates_csv(
            "from,to,effective_on,rate\nEUR,USD,2026-01-01,1.1\nEUR,USD,2026-01-01,1.2\n",
        )
        .unwrap_err();
        assert_eq!(e.errors[0].field, "rows[2].effective_on");
        assert_eq!(e.errors[0].rule, "unique");
        let e = parse_rates_csv("from,to,day,rate\n").unwrap_err();
        assert_eq!(e.errors[0].rule, "csv_header");
        let e = parse_rates_csv("from,to,effective_on,rate\n").unwrap_err();
        assert_eq!(e.errors[0].rule, "csv_empty");
    }

    #[test]
    fn rates_print_without_trailing_zeros() {
        assert_eq!(format_rate(108_500_000), "1.085");
        assert_eq!(format_rate(RATE_SCALE), "1");
        assert_eq!(format_rate(912_345), "0.00912345");
        for raw in ["1.085", "0.00912345", "150.5"] {
            assert_eq!(format_rate(parse_rate("r", raw).unwrap()), raw);
        }
    }

    fn table() -> Rates {
        Rates::new(vec![
            rate("EUR", "USD", d(2026, 2, 1), 110_000_000),
            rate("EUR", "USD", d(2026, 1, 1), 108_500_000),
            rate("USD", "JPY", d(2026, 1, 1), 15_012_345_678),
        ])
        .unwrap()
    }

    #[test]
    fn the_rate_in_force_is_the_latest_on_or_before_the_date() {
        let t = table();
        let (eur, usd) = (c("EUR"), c("USD"));
        // Exactly on the effective day the new rate applies; the day before, the old one.
        assert_eq!(t.rate_on(eur, usd, d(2026, 2, 1)), Ok(110_000_000));
        assert_eq!(t.rate_on(eur, usd, d(2026, 1, 31)), Ok(108_500_000));
        assert_eq!(t.rate_on(eur, usd, d(2030, 1, 1)), Ok(110_000_000));
        assert_eq!(t.rate_on(eur, usd, d(2026, 1, 1)), Ok(108_500_000));
        let e = t.rate_on(eur, usd, d(2025, 12, 31)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no EUR→USD rate is effective on or before 2025-12-31"
        );
        // No inverse is derived.
        assert!(matches!(
            t.rate_on(usd, eur, d(2026, 3, 1)),
            Err(FxError::NoRate { .. })
        ));
        // The same currency needs no table.
        assert_eq!(
            Rates::default().rate_on(usd, usd, d(1999, 1, 1)),
            Ok(RATE_SCALE)
        );
    }

    #[test]
    fn conversion_scales_minor_units_and_rounds_half_to_even() {
        let t = table();
        let eur = |m| Money::new(m, c("EUR"));
        // EUR 1,000.00 at 1.085 = USD 1,085.00.
        assert_eq!(
            t.convert(eur(100_000), c("USD"), d(2026, 1, 15)),
            Ok(Money::new(108_500, c("USD")))
        );
        // EUR 0.10 at 1.085 = 0.1085 → USD 0.11; EUR 0.02 at 1.10 = 0.022 → 0.02.
        assert_eq!(
            t.convert(eur(10), c("USD"), d(2026, 1, 15))
                .unwrap()
                .amount_minor,
            11
        );
        assert_eq!(
            t.convert(eur(2), c("USD"), d(2026, 2, 1))
                .unwrap()
                .amount_minor,
            2
        );
        // Ties go to even: 0.05 at 1.1 = 0.055 is not a tie; 0.05 at 1.0 is exact. A tie:
        // 1 cent at 0.5 = 0.5 cent → 0; 3 cents at 0.5 = 1.5 → 2.
        assert_eq!(
            convert_at(Money::new(1, c("USD")), c("EUR"), 50_000_000)
                .unwrap()
                .amount_minor,
            0
        );
        assert_eq!(
            convert_at(Money::new(3, c("USD")), c("EUR"), 50_000_000)
                .unwrap()
                .amount_minor,
            2
        );
        // USD (2 decimals) to JPY (0 decimals): USD 10.00 at 150.12345678 = JPY 1,501.
        assert_eq!(
            t.convert(Money::new(1_000, c("USD")), c("JPY"), d(2026, 1, 1)),
            Ok(Money::new(1_501, c("JPY")))
        );
        // JPY to USD the other way: 1,000 JPY at 0.0066 = USD 6.60.
        assert_eq!(
            convert_at(Money::new(1_000, c("JPY")), c("USD"), 660_000),
            Ok(Money::new(660, c("USD")))
        );
        assert!(matches!(
            convert_at(Money::new(i64::MAX, c("USD")), c("EUR"), 200_000_000),
            Err(FxError::Overflow { .. })
        ));
    }

    #[test]
    fn the_rate_at_close_names_the_row_it_used_and_does_not_drift() {
        let mut rows = vec![rate("EUR", "USD", d(2026, 1, 1), 108_500_000)];
        let t = Rates::new(rows.clone()).unwrap();
        let at_close = t.rate_at_close(c("EUR"), c("USD"), d(2026, 1, 31)).unwrap();
        assert_eq!(at_close.rate_e8, 108_500_000);
        assert_eq!(at_close.effective_on, Some(d(2026, 1, 1)));
        // A later rate (even one back-dated after the close was recorded) leaves the stored
        // value alone: the opportunity converts with what it stored.
        rows.push(rate("EUR", "USD", d(2026, 1, 15), 120_000_000));
        let later = Rates::new(rows).unwrap();
        assert_eq!(
            later.rate_on(c("EUR"), c("USD"), d(2026, 1, 31)),
            Ok(120_000_000)
        );
        assert_eq!(
            at_close.convert(Money::new(100_000, c("EUR"))),
            Ok(Money::new(108_500, c("USD")))
        );
        let same = t.rate_at_close(c("USD"), c("USD"), d(2026, 1, 31)).unwrap();
        assert_eq!((same.rate_e8, same.effective_on), (RATE_SCALE, None));
        assert!(matches!(
            t.rate_at_close(c("EUR"), c("USD"), d(2025, 12, 31)),
            Err(FxError::NoRate { .. })
        ));
    }

    #[test]
    fn the_table_refuses_bad_rates_naming_the_row() {
        let e = Rates::new(vec![
            rate("EUR", "USD", d(2026, 1, 1), 0),
            rate("USD", "USD", d(2026, 1, 1), RATE_SCALE),
            rate("EUR", "USD", d(2026, 1, 1), 1),
        ])
        .unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("rates[0].rate", "positive"),
                ("rates[1].to", "different_currency"),
                ("rates[2].effective_on", "unique"),
            ]
        );
    }

    #[test]
    fn decimal_rates_parse_to_fixed_point() {
        assert_eq!(parse_rate("rate", "1.085"), Ok(108_500_000));
        assert_eq!(parse_rate("rate", " 150.12345678 "), Ok(15_012_345_678));
        assert_eq!(parse_rate("rate", "2"), Ok(200_000_000));
        assert_eq!(parse_rate("rate", "0.00000001"), Ok(1));
        for bad in [
            "",
            "0",
            "0.0",
            "-1.2",
            "1.123456789",
            "1e3",
            ".5",
            "1.2.3",
            "abc",
        ] {
            let e = parse_rate("rate", bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.rule.as_str()),
                ("rate", "decimal_rate"),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn converting_to_the_same_currency_is_the_identity(
            amount in any::<i64>(),
            code in prop::sample::select(vec!["USD", "EUR", "JPY", "GBP"]),
            days in 0_i64..20_000,
        ) {
            let money = Money::new(amount, c(code));
            let date = d(1990, 1, 1) + chrono::Duration::days(days);
            prop_assert_eq!(table().convert(money, c(code), date), Ok(money));
            prop_assert_eq!(convert_at(money, c(code), RATE_SCALE), Ok(money));
        }
    }
}
