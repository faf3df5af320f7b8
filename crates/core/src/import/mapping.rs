//! Column mappings: for each of our fields, the column of the file that feeds it. A mapping
//! is suggested from the header (the names each source is known to use, compared without
//! case, spaces or punctuation), shown to the user, and used only once confirmed; the
//! confirmed mapping is remembered per source and kind and suggested first next time.

use std::collections::BTreeMap;

use super::{ImportError, ImportKind, ImportSource};

/// One of our fields a file can feed.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    /// Our name (the JSON field of our records; `external_id` is the source's record id).
    pub name: &'static str,
    pub required: bool,
    /// Column names each source uses for it, best first.
    pub known: &'static [(ImportSource, &'static [&'static str])],
}

use ImportSource::{
    Hubspot as HS, Partnerops as PO, SalesforceDataloader as DL, SalesforceReport as SFR,
};

const ACCOUNT_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "external_id",
        required: true,
        known: &[
            (SFR, &["Account ID", "Account ID (18)"]),
            (DL, &["Id"]),
            (HS, &["Record ID", "Company ID"]),
            (PO, &["id"]),
        ],
    },
    FieldSpec {
        name: "name",
        required: true,
        known: &[
            (SFR, &["Account Name"]),
            (DL, &["Name"]),
            (HS, &["Company name", "Name"]),
            (PO, &["name"]),
        ],
    },
    FieldSpec {
        name: "web_domain",
        required: false,
        known: &[
            (SFR, &["Website"]),
            (DL, &["Website"]),
            (HS, &["Company Domain Name", "Website URL"]),
            (PO, &["web_domain"]),
        ],
    },
    FieldSpec {
        name: "country",
        required: true,
        known: &[
            (SFR, &["Billing Country", "Shipping Country", "Country"]),
            (
                DL,
                &["BillingCountry", "BillingCountryCode", "ShippingCountry"],
            ),
            (HS, &["Country/Region", "Country"]),
            (PO, &["country"]),
        ],
    },
    FieldSpec {
        name: "industry",
        required: false,
        known: &[
            (SFR, &["Industry"]),
            (DL, &["Industry"]),
            (HS, &["Industry"]),
            (PO, &["industry"]),
        ],
    },
    FieldSpec {
        name: "status",
        required: false,
        known: &[
            (SFR, &["Type", "Account Type"]),
            (DL, &["Type"]),
            (HS, &["Lifecycle Stage"]),
            (PO, &["status"]),
        ],
    },
];

const OPPORTUNITY_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "external_id",
        required: true,
        known: &[
            (SFR, &["Opportunity ID", "Opportunity ID (18)"]),
            (DL, &["Id"]),
            (HS, &["Record ID", "Deal ID"]),
            (PO, &["id"]),
        ],
    },
    FieldSpec {
        name: "account_id",
        required: true,
        known: &[
            (SFR, &["Account ID", "Account ID (18)"]),
            (DL, &["AccountId"]),
            (
                HS,
                &[
                    "Associated Company IDs",
                    "Associated Company ID",
                    "Company ID",
                ],
            ),
            (PO, &["account_id"]),
        ],
    },
    FieldSpec {
        name: "title",
        required: true,
        known: &[
            (SFR, &["Opportunity Name"]),
            (DL, &["Name"]),
            (HS, &["Deal Name"]),
            (PO, &["title"]),
        ],
    },
    FieldSpec {
        name: "amount",
        required: false,
        known: &[
            (SFR, &["Amount"]),
            (DL, &["Amount"]),
            (HS, &["Amount", "Amount in company currency"]),
            (PO, &["amount"]),
        ],
    },
    FieldSpec {
        name: "currency",
        required: false,
        known: &[
            (SFR, &["Amount Currency", "Opportunity Currency"]),
            (DL, &["CurrencyIsoCode"]),
            (HS, &["Currency", "Deal Currency Code"]),
            (PO, &["currency"]),
        ],
    },
    FieldSpec {
        name: "expected_close_on",
        required: true,
        known: &[
            (SFR, &["Close Date"]),
            (DL, &["CloseDate"]),
            (HS, &["Close Date"]),
            (PO, &["expected_close_on"]),
        ],
    },
    FieldSpec {
        name: "stage",
        required: false,
        known: &[
            (SFR, &["Stage"]),
            (DL, &["StageName"]),
            (HS, &["Deal Stage"]),
            (PO, &["stage"]),
        ],
    },
    PARTNER_REF,
    PROGRAM_REF,
];

/// A partner named by the source's record id of an earlier partner import, or by name.
const PARTNER_REF: FieldSpec = FieldSpec {
    name: "partner",
    required: false,
    known: &[
        (
            SFR,
            &["Partner Account ID", "Partner Account", "Primary Partner"],
        ),
        (DL, &["PartnerAccountId"]),
        (HS, &["Partner Company ID", "Partner"]),
        (PO, &["partner_id"]),
    ],
};

/// A program by id or name; without one, the partner's program or the only live one.
/// A HubSpot deal's `Pipeline` names its program when the vendor keeps a pipeline per
/// program (unmap it when the pipelines are named otherwise).
const PROGRAM_REF: FieldSpec = FieldSpec {
    name: "program",
    required: false,
    known: &[
        (SFR, &["Partner Program", "Program"]),
        (DL, &["Partner_Program__c"]),
        (HS, &["Partner Program", "Pipeline"]),
        (PO, &["program_id"]),
    ],
};

const PARTNER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "external_id",
        required: true,
        known: &[
            (
                SFR,
                &["Account ID", "Account ID (18)", "Partner Account ID"],
            ),
            (DL, &["Id"]),
            (HS, &["Record ID", "Company ID"]),
            (PO, &["id"]),
        ],
    },
    FieldSpec {
        name: "name",
        required: true,
        known: &[
            (SFR, &["Account Name", "Partner Account Name"]),
            (DL, &["Name"]),
            (HS, &["Company name", "Name"]),
            (PO, &["name"]),
        ],
    },
    FieldSpec {
        name: "web_domain",
        required: true,
        known: &[
            (SFR, &["Website"]),
            (DL, &["Website"]),
            (HS, &["Company Domain Name", "Website URL"]),
            (PO, &["web_domain"]),
        ],
    },
    FieldSpec {
        name: "country",
        required: true,
        known: &[
            (SFR, &["Billing Country", "Shipping Country", "Country"]),
            (
                DL,
                &["BillingCountry", "BillingCountryCode", "ShippingCountry"],
            ),
            (HS, &["Country/Region", "Country"]),
            (PO, &["country"]),
        ],
    },
    FieldSpec {
        name: "partner_type",
        required: true,
        known: &[
            (SFR, &["Partner Type", "Type"]),
            (DL, &["Partner_Type__c", "Type"]),
            (HS, &["Partner Type", "Type"]),
            (PO, &["partner_type"]),
        ],
    },
    FieldSpec {
        name: "tier",
        required: false,
        known: &[
            (SFR, &["Partner Tier", "Partner Level", "Tier"]),
            (DL, &["Partner_Tier__c", "PartnerLevel__c"]),
            (HS, &["Partner Tier", "Tier"]),
            (PO, &["tier_name", "tier_id"]),
        ],
    },
    FieldSpec {
        name: "status",
        required: false,
        known: &[
            (SFR, &["Partner Status", "Status"]),
            (DL, &["Partner_Status__c"]),
            (HS, &["Partner Status"]),
            (PO, &["status"]),
        ],
    },
    PROGRAM_REF,
];

const CONTACT_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "external_id",
        required: true,
        known: &[
            (SFR, &["Contact ID", "Contact ID (18)"]),
            (DL, &["Id"]),
            (HS, &["Record ID", "Contact ID"]),
            (PO, &["id"]),
        ],
    },
    FieldSpec {
        name: "email",
        required: true,
        known: &[
            (SFR, &["Email"]),
            (DL, &["Email"]),
            (HS, &["Email"]),
            (PO, &["email"]),
        ],
    },
    FieldSpec {
        name: "first_name",
        required: false,
        known: &[
            (SFR, &["First Name"]),
            (DL, &["FirstName"]),
            (HS, &["First Name"]),
        ],
    },
    FieldSpec {
        name: "last_name",
        required: false,
        known: &[
            (SFR, &["Last Name"]),
            (DL, &["LastName"]),
            (HS, &["Last Name"]),
        ],
    },
    FieldSpec {
        name: "name",
        required: false,
        known: &[
            (SFR, &["Full Name", "Contact Name"]),
            (DL, &["Name"]),
            (PO, &["display_name"]),
        ],
    },
    FieldSpec {
        name: "partner",
        required: true,
        known: &[
            (SFR, &["Account ID", "Account ID (18)", "Account Name"]),
            (DL, &["AccountId"]),
            (
                HS,
                &[
                    "Associated Company IDs",
                    "Associated Company ID",
                    "Company ID",
                    "Company Name",
                ],
            ),
            (PO, &["partner_id"]),
        ],
    },
    FieldSpec {
        name: "role",
        required: false,
        known: &[
            (SFR, &["Partner Role"]),
            (HS, &["Partner Role"]),
            (PO, &["role"]),
        ],
    },
];

const REGISTRATION_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "external_id",
        required: true,
        known: &[
            (SFR, &["Deal Registration ID", "Registration ID", "Lead ID"]),
            (DL, &["Id"]),
            (HS, &["Record ID", "Deal ID"]),
            (PO, &["id"]),
        ],
    },
    FieldSpec {
        name: "partner",
        required: true,
        ..PARTNER_REF
    },
    FieldSpec {
        name: "account_id",
        required: false,
        known: &[
            (SFR, &["Account ID", "Account ID (18)"]),
            (DL, &["AccountId"]),
            (
                HS,
                &[
                    "Associated Company IDs",
                    "Associated Company ID",
                    "Company ID",
                ],
            ),
            (PO, &["account_id"]),
        ],
    },
    FieldSpec {
        name: "account_name",
        required: false,
        known: &[
            (SFR, &["Company", "Account Name", "Company Name"]),
            (DL, &["Company"]),
            (HS, &["Company name", "Company Name"]),
            (PO, &["account_name"]),
        ],
    },
    FieldSpec {
        name: "account_web_domain",
        required: false,
        known: &[
            (SFR, &["Website"]),
            (DL, &["Website"]),
            (HS, &["Company Domain Name", "Website URL"]),
            (PO, &["account_web_domain"]),
        ],
    },
    FieldSpec {
        name: "account_country",
        required: false,
        known: &[
            (SFR, &["Country", "Billing Country"]),
            (DL, &["Country", "CountryCode"]),
            (HS, &["Country/Region", "Country"]),
            (PO, &["account_country"]),
        ],
    },
    FieldSpec {
        name: "title",
        required: true,
        known: &[
            (
                SFR,
                &[
                    "Deal Registration Name",
                    "Registration Name",
                    "Opportunity Name",
                ],
            ),
            (DL, &["Name", "Title"]),
            (HS, &["Deal Name"]),
            (PO, &["title"]),
        ],
    },
    FieldSpec {
        name: "amount",
        required: false,
        known: &[
            (SFR, &["Estimated Amount", "Amount"]),
            (DL, &["Amount", "Estimated_Amount__c"]),
            (HS, &["Amount", "Amount in company currency"]),
            (PO, &["estimated_arr"]),
        ],
    },
    FieldSpec {
        name: "currency",
        required: false,
        known: &[
            (SFR, &["Estimated Amount Currency", "Amount Currency"]),
            (DL, &["CurrencyIsoCode"]),
            (HS, &["Currency", "Deal Currency Code"]),
            (PO, &["currency"]),
        ],
    },
    FieldSpec {
        name: "expected_close_on",
        required: false,
        known: &[
            (SFR, &["Close Date", "Expected Close Date"]),
            (DL, &["CloseDate", "Expected_Close_Date__c"]),
            (HS, &["Close Date"]),
            (PO, &["expected_close_on"]),
        ],
    },
    FieldSpec {
        name: "status",
        required: false,
        known: &[
            (SFR, &["Registration Status", "Status"]),
            (DL, &["Status", "Registration_Status__c"]),
            (HS, &["Registration Status"]),
            (PO, &["status"]),
        ],
    },
];

const TOUCHPOINT_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "external_id",
        required: true,
        known: &[
            (SFR, &["Activity ID", "Task ID", "Touchpoint ID"]),
            (DL, &["Id"]),
            (HS, &["Record ID", "Activity ID"]),
            (PO, &["id"]),
        ],
    },
    FieldSpec {
        name: "opportunity",
        required: true,
        known: &[
            (SFR, &["Opportunity ID", "Opportunity ID (18)"]),
            (DL, &["OpportunityId", "WhatId"]),
            (
                HS,
                &["Associated Deal IDs", "Associated Deal ID", "Deal ID"],
            ),
            (PO, &["opportunity_id"]),
        ],
    },
    FieldSpec {
        name: "partner",
        required: true,
        ..PARTNER_REF
    },
    FieldSpec {
        name: "kind",
        required: true,
        known: &[
            (SFR, &["Touchpoint Type", "Type"]),
            (DL, &["Type", "Touchpoint_Type__c"]),
            (HS, &["Activity Type", "Type"]),
            (PO, &["kind"]),
        ],
    },
    FieldSpec {
        name: "occurred_at",
        required: true,
        known: &[
            (SFR, &["Date", "Activity Date"]),
            (DL, &["ActivityDate"]),
            (HS, &["Activity Date", "Create Date"]),
            (PO, &["occurred_at"]),
        ],
    },
    FieldSpec {
        name: "notes",
        required: false,
        known: &[
            (SFR, &["Subject", "Comments"]),
            (DL, &["Subject", "Description"]),
            (HS, &["Notes", "Activity Notes"]),
            (PO, &["notes"]),
        ],
    },
];

const FX_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "from",
        required: true,
        known: &[
            (SFR, &["From Currency"]),
            (DL, &["FromCurrency"]),
            (HS, &["From Currency"]),
            (PO, &["from"]),
        ],
    },
    FieldSpec {
        name: "to",
        required: true,
        known: &[
            (SFR, &["To Currency", "Currency ISO Code"]),
            (DL, &["ToCurrency", "IsoCode"]),
            (HS, &["To Currency", "Currency"]),
            (PO, &["to"]),
        ],
    },
    FieldSpec {
        name: "effective_on",
        required: true,
        known: &[
            (SFR, &["Start Date", "Effective Date"]),
            (DL, &["StartDate"]),
            (HS, &["Effective Date", "Date"]),
            (PO, &["effective_on"]),
        ],
    },
    FieldSpec {
        name: "rate",
        required: true,
        known: &[
            (SFR, &["Conversion Rate"]),
            (DL, &["ConversionRate"]),
            (HS, &["Exchange Rate", "Rate"]),
            (PO, &["rate"]),
        ],
    },
];

/// Our fields a file of `kind` can feed.
pub fn fields(kind: ImportKind) -> &'static [FieldSpec] {
    match kind {
        ImportKind::Accounts => ACCOUNT_FIELDS,
        ImportKind::Partners => PARTNER_FIELDS,
        ImportKind::Contacts => CONTACT_FIELDS,
        ImportKind::Opportunities => OPPORTUNITY_FIELDS,
        ImportKind::Registrations => REGISTRATION_FIELDS,
        ImportKind::Touchpoints => TOUCHPOINT_FIELDS,
        ImportKind::FxRates => FX_FIELDS,
    }
}

/// A header name compared without case, spaces or punctuation (`Country/Region` and
/// `country region` are the same column).
pub fn normalize(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Our field → their column. Fields the file does not feed are absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct ImportMapping(pub BTreeMap<String, String>);

impl ImportMapping {
    pub fn column(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// `field=Column,field=Column` (the CLI's `--mapping` and the API's `mapping`).
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|(f, c)| format!("{f}={c}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Parses `field=Column,field=Column` for `kind`; unknown fields are errors.
    pub fn parse(kind: ImportKind, text: &str) -> Result<ImportMapping, Vec<ImportError>> {
        let mut map = BTreeMap::new();
        let mut errors = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((field, column)) = part.split_once('=') else {
                errors.push(ImportError::new(
                    0,
                    Some("mapping"),
                    "mapping.syntax",
                    format!("\"{part}\" is not field=Column"),
                ));
                continue;
            };
            let (field, column) = (field.trim(), column.trim());
            if !fields(kind).iter().any(|f| f.name == field) {
                errors.push(ImportError::new(
                    0,
                    Some("mapping"),
                    "mapping.field",
                    format!(
                        "{field} is not a field of {}; they are: {}",
                        kind.as_str(),
                        field_names(kind).join(", ")
                    ),
                ));
                continue;
            }
            if !column.is_empty() {
                map.insert(field.to_owned(), column.to_owned());
            }
        }
        if errors.is_empty() {
            Ok(ImportMapping(map))
        } else {
            Err(errors)
        }
    }

    /// Checks this mapping against a file's header: every column it names is there and
    /// every required field is fed. Answers each field's column index.
    pub fn resolve(
        &self,
        kind: ImportKind,
        header: &[String],
    ) -> Result<Columns, Vec<ImportError>> {
        self.resolve_fields(fields(kind), header)
    }

    /// [`ImportMapping::resolve`] for a list of fields of a file that is not an import kind
    /// (an account mapping upload reads the same files with its own fields).
    pub fn resolve_fields(
        &self,
        specs: &'static [FieldSpec],
        header: &[String],
    ) -> Result<Columns, Vec<ImportError>> {
        let mut errors = Vec::new();
        let mut index = Vec::new();
        for spec in specs {
            match self.column(spec.name) {
                Some(col) => {
                    let wanted = normalize(col);
                    match header.iter().position(|h| normalize(h) == wanted) {
                        Some(i) => index.push((spec.name, Some((i, header[i].clone())))),
                        None => {
                            errors.push(ImportError::new(
                                0,
                                Some(col),
                                "mapping.column",
                                format!("{} is mapped to the column \"{col}\", which the file does not have", spec.name),
                            ));
                            index.push((spec.name, None));
                        }
                    }
                }
                None if spec.required => {
                    errors.push(ImportError::new(
                        0,
                        Some("mapping"),
                        "mapping.required",
                        format!("{} is required: map a column to it", spec.name),
                    ));
                    index.push((spec.name, None));
                }
                None => index.push((spec.name, None)),
            }
        }
        if errors.is_empty() {
            Ok(Columns { index })
        } else {
            Err(errors)
        }
    }
}

/// A mapping checked against one header: each field's column index and name.
#[derive(Clone, Debug)]
pub struct Columns {
    index: Vec<(&'static str, Option<(usize, String)>)>,
}

impl Columns {
    /// The column index and header name feeding `field`, if any.
    pub fn get(&self, field: &str) -> Option<(usize, &str)> {
        self.index
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, c)| c.as_ref().map(|(i, n)| (*i, n.as_str())))
    }

    /// The column name feeding `field`, or the field's own name.
    pub fn label<'a>(&'a self, field: &'a str) -> &'a str {
        self.get(field).map_or(field, |(_, n)| n)
    }
}

pub fn field_names(kind: ImportKind) -> Vec<&'static str> {
    fields(kind).iter().map(|f| f.name).collect()
}

/// Suggests a mapping for `header`: the `remembered` one (confirmed earlier for this source
/// and kind) when every column it names is in the header, else for each field the first
/// known name of this source (then of any source) the header has.
pub fn suggest(
    kind: ImportKind,
    source: ImportSource,
    header: &[String],
    remembered: Option<&ImportMapping>,
) -> ImportMapping {
    suggest_fields(fields(kind), source, header, remembered)
}

/// [`suggest`] for a list of fields of a file that is not an import kind.
pub fn suggest_fields(
    specs: &'static [FieldSpec],
    source: ImportSource,
    header: &[String],
    remembered: Option<&ImportMapping>,
) -> ImportMapping {
    let names: Vec<String> = header.iter().map(|h| normalize(h)).collect();
    if let Some(m) = remembered
        && !m.0.is_empty()
        && m.0.values().all(|c| names.contains(&normalize(c)))
    {
        return m.clone();
    }
    let mut map = BTreeMap::new();
    for spec in specs {
        let own = spec.known.iter().filter(|(s, _)| *s == source);
        let others = spec.known.iter().filter(|(s, _)| *s != source);
        let found = own
            .chain(others)
            .flat_map(|(_, ns)| ns.iter())
            .find_map(|n| {
                let n = normalize(n);
                names.iter().position(|h| *h == n)
            });
        if let Some(i) = found {
            map.insert(
                spec.name.to_owned(),
                header[i].trim_start_matches('\u{feff}').to_owned(),
            );
        }
    }
    ImportMapping(map)
}

/// The source whose known column names the header matches best (ties: the first listed).
pub fn detect_source(kind: ImportKind, header: &[String]) -> ImportSource {
    detect_source_fields(fields(kind), header)
}

/// [`detect_source`] for a list of fields of a file that is not an import kind.
pub fn detect_source_fields(specs: &'static [FieldSpec], header: &[String]) -> ImportSource {
    let names: Vec<String> = header.iter().map(|h| normalize(h)).collect();
    let mut best = (ImportSource::Partnerops, 0usize);
    for source in ImportSource::ALL {
        let hits = specs
            .iter()
            .filter(|spec| {
                spec.known
                    .iter()
                    .filter(|(s, _)| s == source)
                    .flat_map(|(_, ns)| ns.iter())
                    .any(|n| names.contains(&normalize(n)))
            })
            .count();
        if hits > best.1 {
            best = (*source, hits);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn suggests_from_each_source_s_names() {
        let sf = header(&[
            "\u{feff}Account Name",
            "Website",
            "Billing Country",
            "Industry",
            "Type",
            "Account ID",
        ]);
        let m = suggest(
            ImportKind::Accounts,
            ImportSource::SalesforceReport,
            &sf,
            None,
        );
        assert_eq!(m.column("name"), Some("Account Name"));
        assert_eq!(m.column("external_id"), Some("Account ID"));
        assert_eq!(m.column("country"), Some("Billing Country"));
        assert!(m.resolve(ImportKind::Accounts, &sf).is_ok());

        let dl = header(&["Id", "Name", "Website", "BillingCountry", "Industry"]);
        let m = suggest(
            ImportKind::Accounts,
            ImportSource::SalesforceDataloader,
            &dl,
            None,
        );
        assert_eq!(m.column("external_id"), Some("Id"));
        assert_eq!(m.column("country"), Some("BillingCountry"));

        let hs = header(&[
            "Record ID",
            "Company name",
            "Company Domain Name",
            "Country/Region",
        ]);
        let m = suggest(ImportKind::Accounts, ImportSource::Hubspot, &hs, None);
        assert_eq!(m.column("web_domain"), Some("Company Domain Name"));
        assert_eq!(m.column("country"), Some("Country/Region"));
        assert_eq!(
            detect_source(ImportKind::Accounts, &hs),
            ImportSource::Hubspot
        );
        assert_eq!(
            detect_source(ImportKind::Accounts, &sf),
            ImportSource::SalesforceReport
        );
        assert_eq!(
            detect_source(ImportKind::Accounts, &dl),
            ImportSource::SalesforceDataloader
        );
    }

    #[test]
    fn names_compare_without_case_or_spaces() {
        let h = header(&["account name", "BILLING_COUNTRY", "account-id"]);
        let m = suggest(
            ImportKind::Accounts,
            ImportSource::SalesforceReport,
            &h,
            None,
        );
        assert_eq!(m.column("name"), Some("account name"));
        assert_eq!(m.column("country"), Some("BILLING_COUNTRY"));
        assert_eq!(m.column("external_id"), Some("account-id"));
    }

    #[test]
    fn a_remembered_mapping_wins_when_its_columns_are_there() {
        let h = header(&["Org", "Nation", "Key"]);
        let remembered = ImportMapping::parse(
            ImportKind::Accounts,
            "name=Org,country=Nation,external_id=Key",
        )
        .unwrap();
        let m = suggest(
            ImportKind::Accounts,
            ImportSource::Hubspot,
            &h,
            Some(&remembered),
        );
        assert_eq!(m, remembered);
        // Not all its columns: back to the known names.
        let other = header(&["Company name", "Record ID"]);
        let m = suggest(
            ImportKind::Accounts,
            ImportSource::Hubspot,
            &other,
            Some(&remembered),
        );
        assert_eq!(m.column("name"), Some("Company name"));
    }

    #[test]
    fn resolve_names_missing_columns_and_required_fields() {
        let h = header(&["Name"]);
        let m = ImportMapping::parse(ImportKind::Accounts, "name=Name,country=Land").unwrap();
        let errs = m.resolve(ImportKind::Accounts, &h).unwrap_err();
        let rules: Vec<&str> = errs.iter().map(|e| e.rule.as_str()).collect();
        assert!(rules.contains(&"mapping.column"), "{rules:?}");
        assert!(rules.contains(&"mapping.required"), "{rules:?}");
        assert!(ImportMapping::parse(ImportKind::Accounts, "nom=Name").is_err());
        assert!(ImportMapping::parse(ImportKind::Accounts, "name").is_err());
        let m =
            ImportMapping::parse(ImportKind::Accounts, "name=Name, country = Country ,").unwrap();
        assert_eq!(m.to_text(), "country=Country,name=Name");
    }
}
