//! One record of a file as a typed record of ours: the same field rules as a create through
//! the API (`AccountFields::parse`, `FxRateInput::parse`, money, countries, web domains),
//! with each error named by row and by the file's own column.

use chrono::{DateTime, NaiveDate, Utc};

use super::mapping::{Columns, ImportMapping};
use super::reader::DataRow;
use super::value::{
    account_status, parse_amount, parse_country, parse_date, parse_time, partner_role,
    partner_status, partner_type, registration_status, touchpoint_kind,
};
use super::{ImportError, ImportKind, ImportSource};
use crate::account::{AccountFields, AccountInput};
use crate::country::Country;
use crate::email::Email;
use crate::invalid::text;
use crate::money::{Currency, Money};
use crate::partner::{PartnerStatus, PartnerType};
use crate::pipeline::fx::{FxRateInput, Rate};
use crate::pipeline::touchpoint::TouchpointKind;
use crate::registration::RegistrationStatus;
use crate::user::Role;
use crate::web_domain::WebDomain;
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
    /// As the file names it; the store maps it to a stage of the program's pipeline.
    pub stage: Option<String>,
    /// The partner that brought the deal, by source record id or name.
    pub partner: Option<String>,
    /// The program, by id or name.
    pub program: Option<String>,
}

/// A partner company row.
#[derive(Clone, Debug, PartialEq)]
pub struct PartnerRecord {
    pub row: u64,
    pub external_id: String,
    pub name: String,
    pub web_domain: WebDomain,
    pub country: Country,
    pub partner_type: PartnerType,
    /// A tier of the program by name or id; none: the entry tier (new partners) or the
    /// tier it has (known ones).
    pub tier: Option<String>,
    /// None: onboarding (new partners) or the status it has (known ones).
    pub status: Option<PartnerStatus>,
    pub program: Option<String>,
}

/// A contact row: a person at a partner company, imported as a user of that partner.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactRecord {
    pub row: u64,
    pub external_id: String,
    pub email: Email,
    /// First and last name joined, else the full name, else the e-mail address.
    pub display_name: String,
    /// By source record id or name.
    pub partner: String,
    pub role: Role,
}

/// The account a registration row is for.
#[derive(Clone, Debug, PartialEq)]
pub enum RegistrationAccount {
    /// The source's record id of an account imported earlier.
    Key(String),
    /// The company described: matched by domain and name like any registration.
    Described {
        name: String,
        web_domain: Option<WebDomain>,
        country: Country,
    },
}

/// A deal registration row.
#[derive(Clone, Debug, PartialEq)]
pub struct RegistrationRecord {
    pub row: u64,
    pub external_id: String,
    pub partner: String,
    pub account: RegistrationAccount,
    pub title: String,
    /// The estimated ARR in minor units; none: 0.
    pub amount_minor: Option<i64>,
    /// None: the program's currency.
    pub currency: Option<Currency>,
    pub expected_close_on: Option<NaiveDate>,
    /// Pending or approved (see [`registration_status`]).
    pub status: RegistrationStatus,
}

/// A touchpoint row: a partner's influence on an opportunity.
#[derive(Clone, Debug, PartialEq)]
pub struct TouchpointRecord {
    pub row: u64,
    pub external_id: String,
    /// The opportunity's source record id.
    pub opportunity: String,
    pub partner: String,
    pub kind: TouchpointKind,
    pub occurred_at: DateTime<Utc>,
    pub notes: Option<String>,
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
    Partner(PartnerRecord),
    Contact(ContactRecord),
    Registration(RegistrationRecord),
    Touchpoint(TouchpointRecord),
    FxRate(FxRecord),
}

impl ImportRecord {
    /// The file row it came from.
    pub fn row(&self) -> u64 {
        match self {
            ImportRecord::Account(r) => r.row,
            ImportRecord::Opportunity(r) => r.row,
            ImportRecord::Partner(r) => r.row,
            ImportRecord::Contact(r) => r.row,
            ImportRecord::Registration(r) => r.row,
            ImportRecord::Touchpoint(r) => r.row,
            ImportRecord::FxRate(r) => r.row,
        }
    }
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
            ImportKind::Partners => self.partner(&mut errs, data).map(ImportRecord::Partner),
            ImportKind::Contacts => self.contact(&mut errs, data).map(ImportRecord::Contact),
            ImportKind::Registrations => self
                .registration(&mut errs, data)
                .map(ImportRecord::Registration),
            ImportKind::Touchpoints => self
                .touchpoint(&mut errs, data)
                .map(ImportRecord::Touchpoint),
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
        let amount = self.money(errs, data, Currency::USD);
        let close = match self.cell(data, "expected_close_on") {
            Some(raw) => errs.check(parse_date("expected_close_on", raw)),
            None => errs.check(Err(FieldError::new(
                "expected_close_on",
                "required",
                "expected_close_on is required",
            ))),
        };
        let stage = errs.check(text::optional("stage", self.cell(data, "stage"), 80));
        let partner = errs.check(text::optional("partner", self.cell(data, "partner"), 255));
        let program = errs.check(text::optional("program", self.cell(data, "program"), 255));
        Some(OpportunityRecord {
            row: data.row,
            external_id: external_id?,
            account_external_id: account?,
            title: title?,
            amount: amount?,
            expected_close_on: close?,
            stage: stage?,
            partner: partner?,
            program: program?,
        })
    }

    /// The `amount` with its `currency` (the `… Currency` column of a pair), `default`
    /// when the file has no currency; `Some(None)` when there is no amount.
    fn money(
        &self,
        errs: &mut RowErrors<'_>,
        data: &DataRow,
        default: Currency,
    ) -> Option<Option<Money>> {
        let currency = match self.cell(data, "currency") {
            Some(raw) => errs.check(Currency::parse("currency", raw)),
            None => Some(default),
        };
        match (self.cell(data, "amount"), currency) {
            (Some(raw), Some(c)) => errs
                .check(parse_amount("amount", raw, c))
                .map(|minor| Some(Money::new(minor, c))),
            (Some(_), None) => None,
            (None, _) => Some(None),
        }
    }

    /// A required cell, by the rule of [`text::required`].
    fn required(
        &self,
        errs: &mut RowErrors<'_>,
        data: &DataRow,
        field: &str,
        max: usize,
    ) -> Option<String> {
        errs.check(text::required(field, self.cell(data, field), max))
    }

    /// An optional cell read by `parse`.
    fn optional<T>(
        &self,
        errs: &mut RowErrors<'_>,
        data: &DataRow,
        field: &str,
        parse: impl Fn(&str, &str) -> Result<T, FieldError>,
    ) -> Option<Option<T>> {
        match self.cell(data, field) {
            Some(raw) => errs.check(parse(field, raw)).map(Some),
            None => Some(None),
        }
    }

    /// A required cell read by `parse`.
    fn parsed<T>(
        &self,
        errs: &mut RowErrors<'_>,
        data: &DataRow,
        field: &str,
        parse: impl Fn(&str, &str) -> Result<T, FieldError>,
    ) -> Option<T> {
        match self.cell(data, field) {
            Some(raw) => errs.check(parse(field, raw)),
            None => errs.check(Err(FieldError::new(
                field,
                "required",
                format!("{field} is required"),
            ))),
        }
    }

    /// The first of the ids a HubSpot association cell lists (`123;456`), else the cell.
    fn first_ref(
        &self,
        errs: &mut RowErrors<'_>,
        data: &DataRow,
        field: &str,
        required: bool,
    ) -> Option<Option<String>> {
        let value = self
            .cell(data, field)
            .and_then(|s| s.split(';').map(str::trim).find(|s| !s.is_empty()));
        if required {
            errs.check(text::required(field, value, 255)).map(Some)
        } else {
            errs.check(text::optional(field, value, 255))
        }
    }

    fn partner(&self, errs: &mut RowErrors<'_>, data: &DataRow) -> Option<PartnerRecord> {
        let external_id = self.external_id(errs, data, "external_id");
        let name = self.required(errs, data, "name", 160);
        let web_domain = self.parsed(errs, data, "web_domain", WebDomain::parse);
        let country = self.parsed(errs, data, "country", parse_country);
        let partner_type = self.parsed(errs, data, "partner_type", partner_type);
        let tier = errs.check(text::optional("tier", self.cell(data, "tier"), 80));
        let status = self.optional(errs, data, "status", partner_status);
        let program = errs.check(text::optional("program", self.cell(data, "program"), 255));
        Some(PartnerRecord {
            row: data.row,
            external_id: external_id?,
            name: name?,
            web_domain: web_domain?,
            country: country?,
            partner_type: partner_type?,
            tier: tier?,
            status: status?,
            program: program?,
        })
    }

    fn contact(&self, errs: &mut RowErrors<'_>, data: &DataRow) -> Option<ContactRecord> {
        let external_id = self.external_id(errs, data, "external_id");
        let email = self.parsed(errs, data, "email", Email::parse);
        let first = self.cell(data, "first_name");
        let last = self.cell(data, "last_name");
        let joined = [first, last]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let display = if joined.is_empty() {
            self.cell(data, "name").map(str::to_owned)
        } else {
            Some(joined)
        };
        let field = if first.is_some() || last.is_some() {
            if first.is_some() {
                "first_name"
            } else {
                "last_name"
            }
        } else {
            "name"
        };
        let display_name = match display {
            Some(n) => errs.check(text::required(field, Some(&n), 160)),
            None => email.as_ref().map(|e| e.as_str().to_owned()),
        };
        let partner = self
            .first_ref(errs, data, "partner", true)
            .map(Option::unwrap_or_default);
        let role = self
            .optional(errs, data, "role", partner_role)
            .map(|r| r.unwrap_or(Role::PartnerRep));
        Some(ContactRecord {
            row: data.row,
            external_id: external_id?,
            email: email?,
            display_name: display_name?,
            partner: partner?,
            role: role?,
        })
    }

    fn registration(&self, errs: &mut RowErrors<'_>, data: &DataRow) -> Option<RegistrationRecord> {
        let external_id = self.external_id(errs, data, "external_id");
        let partner = self
            .first_ref(errs, data, "partner", true)
            .map(Option::unwrap_or_default);
        let key = self.first_ref(errs, data, "account_id", false);
        let account = match key {
            Some(Some(k)) => Some(RegistrationAccount::Key(k)),
            Some(None) => {
                // No account id: the company as described, matched like any registration.
                let name = match self.cell(data, "account_name") {
                    Some(_) => self.required(errs, data, "account_name", 200),
                    None => errs.check(Err(FieldError::new(
                        "account_name",
                        "required",
                        "the account is required: its record id (account_id) or its name and country",
                    ))),
                };
                let domain = self.optional(errs, data, "account_web_domain", WebDomain::parse);
                let country = self.parsed(errs, data, "account_country", parse_country);
                match (name, domain, country) {
                    (Some(name), Some(web_domain), Some(country)) => {
                        Some(RegistrationAccount::Described {
                            name,
                            web_domain,
                            country,
                        })
                    }
                    _ => None,
                }
            }
            None => None,
        };
        let title = self.required(errs, data, "title", 200);
        let currency = self.optional(errs, data, "currency", Currency::parse);
        // Without a currency column the program's applies (as in the API); its amounts are
        // read with two decimals.
        let amount = match (self.cell(data, "amount"), currency) {
            (Some(raw), Some(c)) => errs
                .check(parse_amount("amount", raw, c.unwrap_or(Currency::USD)))
                .map(Some),
            (Some(_), None) => None,
            (None, _) => Some(None),
        };
        let close = self.optional(errs, data, "expected_close_on", parse_date);
        let status = self
            .optional(errs, data, "status", registration_status)
            .map(|s| s.unwrap_or(RegistrationStatus::Pending));
        Some(RegistrationRecord {
            row: data.row,
            external_id: external_id?,
            partner: partner?,
            account: account?,
            title: title?,
            amount_minor: amount?,
            currency: currency?,
            expected_close_on: close?,
            status: status?,
        })
    }

    fn touchpoint(&self, errs: &mut RowErrors<'_>, data: &DataRow) -> Option<TouchpointRecord> {
        let external_id = self.external_id(errs, data, "external_id");
        let opportunity = self
            .first_ref(errs, data, "opportunity", true)
            .map(Option::unwrap_or_default);
        let partner = self
            .first_ref(errs, data, "partner", true)
            .map(Option::unwrap_or_default);
        let kind = self.parsed(errs, data, "kind", touchpoint_kind);
        let occurred_at = self.parsed(errs, data, "occurred_at", parse_time);
        let notes = errs.check(text::optional("notes", self.cell(data, "notes"), 2000));
        Some(TouchpointRecord {
            row: data.row,
            external_id: external_id?,
            opportunity: opportunity?,
            partner: partner?,
            kind: kind?,
            occurred_at: occurred_at?,
            notes: notes?,
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

    #[test]
    fn partners_from_a_salesforce_report_and_hubspot() {
        let text = "\u{feff}\"Account Name\",\"Website\",\"Billing Country\",\"Partner Type\",\"Partner Tier\",\"Partner Status\",\"Partner Program\",\"Account ID\"\n\
\"Contoso Channel\",\"https://www.contoso-channel.example/\",\"Germany\",\"Value Added Reseller\",\"Select\",\"Active\",\"Reseller Program\",\"0015P1\"\n\
\"Bad\",\"not a domain\",\"Atlantis\",\"Friend\",\"\",\"Asleep\",\"\",\"\"\n\
\n\"Grand Totals (2 records)\"\n";
        let rows = import(ImportKind::Partners, ImportSource::SalesforceReport, text);
        assert_eq!(rows.len(), 2);
        let Ok(ImportRecord::Partner(p)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(p.external_id, "0015P1");
        assert_eq!(p.web_domain.as_str(), "contoso-channel.example");
        assert_eq!(p.country.as_str(), "DE");
        assert_eq!(p.partner_type, PartnerType::Reseller);
        assert_eq!(p.tier.as_deref(), Some("Select"));
        assert_eq!(p.status, Some(PartnerStatus::Active));
        assert_eq!(p.program.as_deref(), Some("Reseller Program"));
        let e = errors(&rows[1]);
        for expected in [
            "row 3, column \"Account ID\": required",
            "row 3, column \"Website\": web_domain",
            "row 3, column \"Billing Country\": iso_3166_alpha2",
            "row 3, column \"Partner Type\": one_of",
            "row 3, column \"Partner Status\": one_of",
        ] {
            assert!(
                e.iter().any(|e| e.starts_with(expected)),
                "{expected}: {e:?}"
            );
        }
        assert_eq!(e.len(), 5, "{e:?}");
        let hs = "Record ID,Company name,Company Domain Name,Country/Region,Partner Type\n71,Lucerne,lucerne.example,Switzerland,MSP\n";
        let Ok(ImportRecord::Partner(p)) =
            &import(ImportKind::Partners, ImportSource::Hubspot, hs)[0]
        else {
            panic!()
        };
        assert_eq!(
            (p.partner_type, p.status, p.tier.clone()),
            (PartnerType::Msp, None, None)
        );
    }

    #[test]
    fn contacts_join_their_names_and_default_to_rep() {
        let hs = "Record ID,First Name,Last Name,Email,Associated Company IDs\n\
82,Tomás,García,Tomas.Garcia@Example.com,7102;7101\n\
83,,,ana@example.com,7101\n\
84,Bo,,not-an-address,\n";
        let rows = import(ImportKind::Contacts, ImportSource::Hubspot, hs);
        let Ok(ImportRecord::Contact(c)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(c.display_name, "Tomás García");
        assert_eq!(c.email.as_str(), "tomas.garcia@example.com");
        assert_eq!(c.partner, "7102", "the first associated company");
        assert_eq!(c.role, Role::PartnerRep);
        let Ok(ImportRecord::Contact(c)) = &rows[1] else {
            panic!("{rows:?}")
        };
        assert_eq!(c.display_name, "ana@example.com", "no name: the address");
        let e = errors(&rows[2]);
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 4, column \"Email\": email")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.starts_with("row 4, column \"Associated Company IDs\": required")),
            "{e:?}"
        );
        // Our own export may say partner_admin, never a staff role.
        let po = "id,email,display_name,partner_id,role\nu1,a@b.example,A,ptr_1,partner_admin\nu2,c@d.example,C,ptr_1,admin\n";
        let rows = import(ImportKind::Contacts, ImportSource::Partnerops, po);
        let Ok(ImportRecord::Contact(c)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(c.role, Role::PartnerAdmin);
        let Ok(ImportRecord::Contact(c)) = &rows[1] else {
            panic!("{rows:?}")
        };
        assert_eq!(
            c.role,
            Role::PartnerAdmin,
            "`admin` of a contact is its partner's admin"
        );
        let staff =
            "id,email,display_name,partner_id,role\nu3,e@f.example,E,ptr_1,channel_manager\n";
        let e = errors(&import(ImportKind::Contacts, ImportSource::Partnerops, staff)[0]);
        assert!(e[0].contains("column \"role\": one_of"), "{e:?}");
    }

    #[test]
    fn registrations_name_an_account_or_describe_it() {
        let text = "\u{feff}\"Deal Registration Name\",\"Partner Account ID\",\"Account ID\",\"Company\",\"Website\",\"Country\",\"Estimated Amount\",\"Registration Status\",\"Deal Registration ID\"\n\
\"By id\",\"P1\",\"A1\",\"\",\"\",\"\",\"30,000.00\",\"Submitted\",\"R1\"\n\
\"Described\",\"P1\",\"\",\"Woodgrove\",\"woodgrove.example\",\"Canada\",\"\",\"Approved\",\"R2\"\n\
\"Neither\",\"P1\",\"\",\"\",\"\",\"\",\"\",\"Rejected\",\"R3\"\n";
        let rows = import(
            ImportKind::Registrations,
            ImportSource::SalesforceReport,
            text,
        );
        let Ok(ImportRecord::Registration(r)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(r.account, RegistrationAccount::Key("A1".into()));
        assert_eq!((r.amount_minor, r.currency), (Some(3_000_000), None));
        assert_eq!(r.status, RegistrationStatus::Pending);
        let Ok(ImportRecord::Registration(r)) = &rows[1] else {
            panic!("{rows:?}")
        };
        let RegistrationAccount::Described {
            name,
            web_domain,
            country,
        } = &r.account
        else {
            panic!("{r:?}")
        };
        assert_eq!(
            (
                name.as_str(),
                web_domain.as_ref().map(|d| d.as_str()),
                country.as_str()
            ),
            ("Woodgrove", Some("woodgrove.example"), "CA")
        );
        assert_eq!(r.status, RegistrationStatus::Approved);
        let e = errors(&rows[2]);
        for expected in [
            "row 4, column \"Company\": required",
            "row 4, column \"Country\": required",
            "row 4, column \"Registration Status\": registration.import_status",
        ] {
            assert!(
                e.iter().any(|e| e.starts_with(expected)),
                "{expected}: {e:?}"
            );
        }
    }

    #[test]
    fn touchpoints_with_kinds_and_days() {
        let text = "\u{feff}\"Subject\",\"Touchpoint Type\",\"Date\",\"Partner Account ID\",\"Opportunity ID\",\"Activity ID\"\n\
\"Demo day\",\"Demo\",\"10/15/2026\",\"P1\",\"O1\",\"T1\"\n\
\"\",\"Lunch\",\"15/10/2026\",\"\",\"O1\",\"T2\"\n";
        let rows = import(
            ImportKind::Touchpoints,
            ImportSource::SalesforceReport,
            text,
        );
        let Ok(ImportRecord::Touchpoint(t)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(t.kind, TouchpointKind::Demo);
        assert_eq!(t.occurred_at.to_rfc3339(), "2026-10-15T00:00:00+00:00");
        assert_eq!((t.opportunity.as_str(), t.partner.as_str()), ("O1", "P1"));
        assert_eq!(t.notes.as_deref(), Some("Demo day"));
        let e = errors(&rows[1]);
        for expected in [
            "row 3, column \"Touchpoint Type\": one_of",
            "row 3, column \"Date\": datetime",
            "row 3, column \"Partner Account ID\": required",
        ] {
            assert!(
                e.iter().any(|e| e.starts_with(expected)),
                "{expected}: {e:?}"
            );
        }
    }

    #[test]
    fn opportunities_name_their_partner_and_program() {
        let hs = "Record ID,Deal Name,Deal Stage,Close Date,Amount,Pipeline,Associated Company IDs,Partner Company ID\n\
501,Pilot,First conversation,2026-05-01,5000,Reseller Program,9001,7101\n";
        let rows = import(ImportKind::Opportunities, ImportSource::Hubspot, hs);
        let Ok(ImportRecord::Opportunity(o)) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!(o.partner.as_deref(), Some("7101"));
        assert_eq!(o.program.as_deref(), Some("Reseller Program"));
        assert_eq!(o.stage.as_deref(), Some("First conversation"));
    }
}
