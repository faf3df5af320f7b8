//! One record of a file as a typed record of ours: the same field rules as a create through
//! the API (`AccountFields::parse`, `FxRateInput::parse`, money, countries, web domains),
//! with each error named by row and by the file's own column.

use chrono::NaiveDate;

use super::mapping::{Columns, ImportMapping};
use super::reader::DataRow;
use super::value::{account_status, parse_amount, parse_country, parse_date};
use super::{ImportError, ImportKind, ImportSource};
use crate::account::{AccountFields, AccountInput};
use crate::invalid::text;
use crate::money::{Currency, Money};
use crate::pipeline::fx::{FxRateInput, Rate};
use crate::{FieldError, Invalid};

/// An account row: the source's record id and the fields an account is created with.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountRecord {
    pub row: u64,
    pub external_id: String,
    pub fields: AccountFields,
}

/// An opportunity row, with its account named by the source's account id.
#[derive(Clone, Debug, PartialEq)]
pub struct OpportunityRecord {
    pub row: u64,
    pub external_id: String,
    pub account_external_id: String,
    pub title: String,
    /// The amount with its currency (the `… Currency` column of a pair; USD when the file
    /// has no currency column).
    pub amount: Option<Money>,
    pub expected_close_on: NaiveDate,
    pub stage: Option<String>,
}

/// A currency-rate row (its natural key, pair and day, is its identity).
#[derive(Clone, Debug, PartialEq)]
pub struct FxRecord {
    pub row: u64,
    pub rate: Rate,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ImportRecord {
    Account(AccountRecord),
    Opportunity(OpportunityRecord),
    FxRate(FxRecord),
}

/// Turns data rows into records of one kind under one confirmed mapping.
#[derive(Clone, Debug)]
pub struct RowParser {
    kind: ImportKind,
    source: ImportSource,
    columns: Columns,
}

/// Errors of one row, each mapped from our field to the file's column.
struct RowErrors<'a> {
    row: u64,
    columns: &'a Columns,
    errors: Vec<ImportError>,
}

impl RowErrors<'_> {
    fn add(&mut self, e: FieldError) {
        let column = self.columns.label(&e.field).to_owned();
        self.errors.push(ImportError::new(
            self.row,
            Some(&column),
            &e.rule,
            e.message,
        ));
    }

    fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.add(e)).ok()
    }

    /// Adds the errors of a core parse, except for fields already reported here.
    fn absorb(&mut self, inv: Invalid, reported: &[&str]) {
        for e in inv.errors {
            if !reported.contains(&e.field.as_str()) {
                self.add(e);
            }
        }
    }
}

impl RowParser {
    /// Checks `mapping` against the file's header.
    pub fn new(
        kind: ImportKind,
        source: ImportSource,
        mapping: &ImportMapping,
        header: &[String],
    ) -> Result<Self, Vec<ImportError>> {
        Ok(RowParser {
            kind,
            source,
            columns: mapping.resolve(kind, header)?,
        })
    }

    pub fn kind(&self) -> ImportKind {
        self.kind
    }

    /// The column feeding `field`, as named in the file (for errors found later, such as a
    /// duplicate record id).
    pub fn column(&self, field: &'static str) -> String {
        self.columns.label(field).to_owned()
    }

    fn cell<'r>(&self, data: &'r DataRow, field: &str) -> Option<&'r str> {
        let (i, _) = self.columns.get(field)?;
        data.record.get(i).map(str::trim).filter(|s| !s.is_empty())
    }

    fn external_id(&self, errs: &mut RowErrors<'_>, data: &DataRow, field: &str) -> Option<String> {
        errs.check(text::required(field, self.cell(data, field), 255))
    }

    /// The record a row holds, or every error in it.
    pub fn parse(&self, data: &DataRow) -> Result<ImportRecord, Vec<ImportError>> {
        let mut errs = RowErrors {
            row: data.row,
            columns: &self.columns,
            errors: Vec::new(),
        };
        let record = match self.kind {
            ImportKind::Accounts => self.account(&mut errs, data).map(ImportRecord::Account),
            ImportKind::Opportunities => self
                .opportunity(&mut errs, data)
                .map(ImportRecord::Opportunity),
            ImportKind::FxRates => self.fx_rate(&mut errs, data).map(ImportRecord::FxRate),
        };
        match record {
            Some(r) if errs.errors.is_empty() => Ok(r),
            _ => {
                if errs.errors.is_empty() {
                    errs.errors.push(ImportError::new(
                        data.row,
                        None,
                        "internal",
                        "the row could not be read",
                    ));
                }
                Err(errs.errors)
            }
        }
    }

    fn account(&self, errs: &mut RowErrors<'_>, data: &DataRow) -> Option<AccountRecord> {
        let external_id = self.external_id(errs, data, "external_id");
        let mut reported = Vec::new();
        let country = match self.cell(data, "country") {
            Some(raw) => match parse_country("country", raw) {
                Ok(c) => Some(c.to_string()),
                Err(e) => {
                    errs.add(e);
                    reported.push("country");
                    None
                }
            },
            None => None,
        };
        let status = self.cell(data, "status").map(|raw| match self.source {
            ImportSource::Partnerops => raw.to_owned(),
            _ => account_status(raw).to_owned(),
        });
        let input = AccountInput {
            name: self.cell(data, "name").map(str::to_owned),
            web_domain: self.cell(data, "web_domain").map(str::to_owned),
            country,
            industry: self.cell(data, "industry").map(str::to_owned),
            direct_owner_id: None,
            status,
        };
        let fields = match AccountFields::parse(&input) {
            Ok(f) => Some(f),
            Err(inv) => {
                errs.absorb(inv, &reported);
                None
            }
        };
        Some(AccountRecord {
            row: data.row,
            external_id: external_id?,
            fields: fields?,
        })
    }

    fn opportunity(&self, errs: &mut RowErrors<'_>, data: &DataRow) -> Option<OpportunityRecord> {
        let external_id = self.external_id(errs, data, "external_id");
        // HubSpot lists every associated company (`123;456`): the first is the deal's.
        let account = self
            .cell(data, "account_id")
            .and_then(|s| s.split(';').map(str::trim).find(|s| !s.is_empty()));
        let account = errs.check(text::required("account_id", account, 255));
        let title = errs.check(text::required("title", self.cell(data, "title"), 200));
        let currency = match self.cell(data, "currency") {
            Some(raw) => errs.check(Currency::parse("currency", raw)),
            None => Some(Currency::USD),
        };
        let amount = match (self.cell(data, "amount"), currency) {
            (Some(raw), Some(c)) => errs
                .check(parse_amount("amount", raw, c))
                .map(|minor| Some(Money::new(minor, c))),
            (Some(_), None) => None,
            (None, _) => Some(None),
        };
        let close = match self.cell(data, "expected_close_on") {
            Some(raw) => errs.check(parse_date("expected_close_on", raw)),
            None => errs.check(Err(FieldError::new(
                "expected_close_on",
                "required",
                "expected_close_on is required",
            ))),
        };
        let stage = errs.check(text::optional("stage", self.cell(data, "stage"), 80));
        Some(OpportunityRecord {
            row: data.row,
            external_id: external_id?,
            account_external_id: account?,
            title: title?,
            amount: amount?,
            expected_close_on: close?,
            stage: stage?,
        })
    }

    fn fx_rate(&self, errs: &mut RowErrors<'_>, data: &DataRow) -> Option<FxRecord> {
        let mut reported = Vec::new();
        let on = match self.cell(data, "effective_on") {
            Some(raw) => match parse_date("effective_on", raw) {
                Ok(d) => Some(d.format("%Y-%m-%d").to_string()),
                Err(e) => {
                    errs.add(e);
                    reported.push("effective_on");
                    None
                }
            },
            None => None,
        };
        let input = FxRateInput {
            from: self.cell(data, "from").map(str::to_owned),
            to: self.cell(data, "to").map(str::to_owned),
            effective_on: on,
            rate: self.cell(data, "rate").map(str::to_owned),
        };
        match input.parse("") {
            Ok(rate) => Some(FxRecord {
                row: data.row,
                rate,
            }),
            Err(inv) => {
                errs.absorb(inv, &reported);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::mapping::suggest;
    use super::super::reader::ImportReader;
    use super::*;

    /// Reads `text` as `kind` from `source` under the suggested mapping.
    fn import(
        kind: ImportKind,
        source: ImportSource,
        text: &str,
    ) -> Vec<Result<ImportRecord, Vec<ImportError>>> {
        let mut r = ImportReader::new(text.as_bytes()).unwrap();
        let m = suggest(kind, source, r.header(), None);
        let p = RowParser::new(kind, source, &m, r.header()).unwrap();
        let mut out = Vec::new();
        while let Some(row) = r.next_row() {
            out.push(row.map_err(|e| vec![e]).and_then(|d| p.parse(&d)));
        }
        out
    }

    fn account(r: &Result<ImportRecord, Vec<ImportError>>) -> &AccountRecord {
        match r {
            Ok(ImportRecord::Account(a)) => a,
            other => panic!("not an account: {other:?}"),
        }
    }

    fn errors(r: &Result<ImportRecord, Vec<ImportError>>) -> Vec<String> {
        r.as_ref()
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn salesforce_report_accounts() {
        let text = "\u{feff}\"Account Name\",\"Website\",\"Billing Country\",\"Industry\",\"Type\",\"Account ID\"\n\
\"Acme Corp\",\"https://www.acme.com/\",\"United States\",\"Manufacturing\",\"Customer - Direct\",\"0015g00000A1\"\n\
\"Globex\",\"\",\"DE\",\"\",\"Prospect\",\"0015g00000A2\"\n\
\n\"Grand Totals (2 records)\"\n\"Confidential Information - Do Not Distribute\"\n\
\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"\n";
        let rows = import(ImportKind::Accounts, ImportSource::SalesforceReport, text);
        assert_eq!(rows.len(), 2);
        let a = account(&rows[0]);
        assert_eq!(a.external_id, "0015g00000A1");
        assert_eq!(a.fields.web_domain.as_ref().unwrap().as_str(), "acme.com");
        assert_eq!(a.fields.country.as_str(), "US");
        assert_eq!(a.fields.status.as_str(), "customer");
        let b = account(&rows[1]);
        assert!(b.fields.web_domain.is_none());
        assert_eq!(b.fields.status.as_str(), "prospect");
    }

    #[test]
    fn data_loader_and_hubspot_and_our_own_accounts() {
        let dl = "Id,Name,Website,BillingCountry,Industry,Type\n001A,Initech,initech.com,US,Software,Customer\n";
        let a = account(&import(ImportKind::Accounts, ImportSource::SalesforceDataloader, dl)[0])
            .clone();
        assert_eq!(
            (a.external_id.as_str(), a.fields.name.as_str()),
            ("001A", "Initech")
        );
        let hs = "Record ID,Company name,Company Domain Name,Country/Region,Industry,Lifecycle Stage\n\
9001,Umbrella,umbrella.co.uk,United Kingdom,COMPUTER_SOFTWARE,customer\n";
        let a = account(&import(ImportKind::Accounts, ImportSource::Hubspot, hs)[0]).clone();
        assert_eq!(a.fields.country.as_str(), "GB");
        assert_eq!(a.fields.status.as_str(), "customer");
        let po = "id,name,web_domain,country,industry,status\nacc_1,Hooli,hooli.xyz,US,,customer\n";
        let a = account(&import(ImportKind::Accounts, ImportSource::Partnerops, po)[0]).clone();
        assert_eq!(a.fields.web_domain.unwrap().as_str(), "hooli.xyz");
        // Our own shape is strict about the status.
        let po_bad = "id,name,country,status\nacc_1,Hooli,US,Customer - Direct\n";
        let e = errors(&import(ImportKind::Accounts, ImportSource::Partnerops, po_bad)[0]);
        assert!(e[0].contains("row 2, column \"status\": one_of"), "{e:?}");
    }

    #[test]
    fn account_errors_name_row_column_and_rule() {
        let text = "Account ID,Account Name,Website,Billing Country\n\
1,Good,good.com,US\n\
,,not a domain,Atlantis\n";
        let rows = import(ImportKind::Accounts, ImportSource::SalesforceReport, text);
        assert!(rows[0].is_ok());
        let e = errors(&rows[1]);
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 3, column \"Account ID\": required")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 3, column \"Account Name\": required")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 3, column \"Website\": web_domain")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 3, column \"Billing Country\": iso_3166_alpha2")),
            "{e:?}"
        );
        assert_eq!(e.len(), 4, "one error per column: {e:?}");
    }

    #[test]
    fn opportunities_with_currency_pairs() {
        let text = "\u{feff}\"Opportunity Name\",\"Account Name\",\"Amount Currency\",\"Amount\",\"Close Date\",\"Stage\",\"Opportunity ID\",\"Account ID\"\n\
\"Acme renewal\",\"Acme\",\"EUR\",\"12,500.50\",\"3/31/2026\",\"Prospecting\",\"0065g01\",\"0015g01\"\n\
\"Tokyo expansion\",\"Acme\",\"JPY\",\"1,500,000\",\"4/1/2026\",\"Closed Won\",\"0065g02\",\"0015g01\"\n\
\"Bad\",\"Acme\",\"USD\",\"12k\",\"31/3/2026\",\"\",\"0065g03\",\"0015g01\"\n\
\"Bad currency\",\"Acme\",\"XYZ\",\"100\",\"2026-03-31\",\"\",\"0065g04\",\"0015g01\"\n";
        let rows = import(
            ImportKind::Opportunities,
            ImportSource::SalesforceReport,
            text,
        );
        let Ok(ImportRecord::Opportunity(o)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(
            o.amount.unwrap(),
            Money::new(1_250_050, Currency::parse("c", "EUR").unwrap())
        );
        assert_eq!(
            o.expected_close_on,
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
        );
        assert_eq!(o.account_external_id, "0015g01");
        let Ok(ImportRecord::Opportunity(o)) = &rows[1] else {
            panic!("{rows:?}")
        };
        assert_eq!(o.amount.unwrap().amount_minor, 1_500_000);
        let e = errors(&rows[2]);
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 4, column \"Amount\": amount")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 4, column \"Close Date\": date")),
            "{e:?}"
        );
        let e = errors(&rows[3]);
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 5, column \"Amount Currency\": iso_4217")),
            "{e:?}"
        );
    }

    #[test]
    fn hubspot_and_data_loader_deals() {
        let hs = "Record ID,Deal Name,Deal Stage,Close Date,Amount,Pipeline,Currency,Associated Company IDs\n\
501,Umbrella pilot,appointmentscheduled,2026-05-01 00:00,5000,default,GBP,9001;9002\n";
        let rows = import(ImportKind::Opportunities, ImportSource::Hubspot, hs);
        let Ok(ImportRecord::Opportunity(o)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(o.account_external_id, "9001");
        assert_eq!(o.amount.unwrap().currency.as_str(), "GBP");
        let dl = "Id,AccountId,Name,Amount,CurrencyIsoCode,CloseDate,StageName\n\
006A,001A,Initech seats,1000.00,USD,2026-06-30T00:00:00.000Z,Negotiation\n";
        let rows = import(
            ImportKind::Opportunities,
            ImportSource::SalesforceDataloader,
            dl,
        );
        let Ok(ImportRecord::Opportunity(o)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(o.stage.as_deref(), Some("Negotiation"));
    }

    #[test]
    fn fx_rates_rows() {
        let text = "from,to,effective_on,rate\nEUR,USD,2026-01-01,1.08\nEUR,EUR,1/32/2026,x\n";
        let rows = import(ImportKind::FxRates, ImportSource::Partnerops, text);
        let Ok(ImportRecord::FxRate(r)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(r.rate.rate_e8, 108_000_000);
        let e = errors(&rows[1]);
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 3, column \"effective_on\": date")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 3, column \"to\": different_currency")),
            "{e:?}"
        );
        assert!(
            !e.iter().any(|e| e.contains("effective_on\": required")),
            "{e:?}"
        );
    }
}
