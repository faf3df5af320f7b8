//! The partner's upload: a CRM export (a Salesforce report, a HubSpot export, our own
//! export) read by the import machinery's streaming reader
//! ([`crate::import::reader::ImportReader`]) and its column mappings
//! ([`crate::import::mapping`]), with the fields a mapping needs. Each row becomes an
//! [`UploadRow`] or every error in it, named by row and by the file's column.

use crate::Invalid;
use crate::import::mapping::{Columns, FieldSpec, ImportMapping};
use crate::import::reader::DataRow;
use crate::import::value::parse_country;
use crate::import::{ImportError, ImportSource};
use crate::invalid::text;
use crate::web_domain::WebDomain;

use super::{Population, partner_population};

use ImportSource::{
    Hubspot as HS, Partnerops as PO, SalesforceDataloader as DL, SalesforceReport as SFR,
};

/// The fields of an upload and the column names each source uses for them.
pub const UPLOAD_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "external_id",
        required: false,
        known: &[
            (SFR, &["Account ID", "Account ID (18)"]),
            (DL, &["Id"]),
            (HS, &["Record ID", "Company ID"]),
            (PO, &["id", "external_id"]),
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
        required: false,
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
        name: "population",
        required: false,
        known: &[
            (SFR, &["Type", "Account Type"]),
            (DL, &["Type"]),
            (HS, &["Lifecycle Stage"]),
            (PO, &["population", "status"]),
        ],
    },
];

/// Parses a column mapping written `field=Column,field=Column` (the API's `mapping`
/// parameter, the CLI's `--mapping`) against the upload's fields; an empty column leaves
/// the field unmapped.
pub fn parse_upload_mapping(text: &str) -> Result<ImportMapping, Invalid> {
    let mut inv = Invalid::new();
    let mut map = std::collections::BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((f, c)) if UPLOAD_FIELDS.iter().any(|s| s.name == f.trim()) => {
                if !c.trim().is_empty() {
                    map.insert(f.trim().to_owned(), c.trim().to_owned());
                }
            }
            Some((f, _)) => inv.add(
                "mapping",
                "mapping.field",
                format!(
                    "{} is not a field of an upload; they are: external_id, name, web_domain, country, population",
                    f.trim()
                ),
            ),
            None => inv.add(
                "mapping",
                "mapping.syntax",
                format!("\"{part}\" is not field=Column"),
            ),
        }
    }
    if inv.is_empty() {
        Ok(ImportMapping(map))
    } else {
        Err(inv)
    }
}

/// One account of the partner's file.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadRow {
    pub row: u64,
    pub external_id: Option<String>,
    pub name: String,
    pub web_domain: Option<WebDomain>,
    /// ISO 3166 alpha-2.
    pub country: Option<String>,
    pub population: Population,
}

/// Turns data rows into [`UploadRow`]s under a confirmed mapping.
#[derive(Clone, Debug)]
pub struct UploadParser {
    columns: Columns,
    /// The population of a row whose file has no type column or leaves it blank.
    default_population: Population,
}

impl UploadParser {
    /// Checks `mapping` against the file's header.
    pub fn new(mapping: &ImportMapping, header: &[String]) -> Result<Self, Vec<ImportError>> {
        Ok(UploadParser {
            columns: mapping.resolve_fields(UPLOAD_FIELDS, header)?,
            default_population: Population::Prospect,
        })
    }

    /// Rows without a type (no population column, or a blank cell) are of `population`
    /// (default: prospects): a partner's plain list of its customers needs no type column.
    pub fn with_default_population(mut self, population: Population) -> Self {
        self.default_population = population;
        self
    }

    fn cell<'r>(&self, data: &'r DataRow, field: &str) -> Option<&'r str> {
        let (i, _) = self.columns.get(field)?;
        data.record.get(i).map(str::trim).filter(|s| !s.is_empty())
    }

    /// The row, or every error in it.
    pub fn parse(&self, data: &DataRow) -> Result<UploadRow, Vec<ImportError>> {
        let mut errors = Vec::new();
        let mut err = |field: &str, rule: &str, message: String| {
            errors.push(ImportError::new(
                data.row,
                Some(self.columns.label(field)),
                rule,
                message,
            ));
        };
        let name = match text::required("name", self.cell(data, "name"), 255) {
            Ok(n) => Some(n),
            Err(e) => {
                err("name", &e.rule, e.message);
                None
            }
        };
        let external_id = match text::optional("external_id", self.cell(data, "external_id"), 255) {
            Ok(x) => x,
            Err(e) => {
                err("external_id", &e.rule, e.message);
                None
            }
        };
        let web_domain = match self.cell(data, "web_domain") {
            Some(raw) => match WebDomain::parse("web_domain", raw) {
                Ok(d) => Some(d),
                Err(e) => {
                    err("web_domain", &e.rule, e.message);
                    None
                }
            },
            None => None,
        };
        let country = match self.cell(data, "country") {
            Some(raw) => match parse_country("country", raw) {
                Ok(c) => Some(c.to_string()),
                Err(e) => {
                    err("country", &e.rule, e.message);
                    None
                }
            },
            None => None,
        };
        let population = self
            .cell(data, "population")
            .map_or(self.default_population, partner_population);
        match name {
            Some(name) if errors.is_empty() => Ok(UploadRow {
                row: data.row,
                external_id,
                name,
                web_domain,
                country,
                population,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::mapping::{detect_source_fields, suggest_fields};
    use crate::import::reader::ImportReader;

    fn read(text: &str) -> (ImportSource, Vec<Result<UploadRow, Vec<ImportError>>>) {
        let mut r = ImportReader::new(text.as_bytes()).unwrap();
        let header = r.header().to_vec();
        let source = detect_source_fields(UPLOAD_FIELDS, &header);
        let mapping = suggest_fields(UPLOAD_FIELDS, source, &header, None);
        let p = UploadParser::new(&mapping, &header).unwrap();
        let mut out = Vec::new();
        while let Some(row) = r.next_row() {
            out.push(row.map_err(|e| vec![e]).and_then(|d| p.parse(&d)));
        }
        (source, out)
    }

    const SALESFORCE: &str = "\u{feff}\"Account Name\",\"Website\",\"Billing Country\",\"Type\",\"Annual Revenue Currency\",\"Annual Revenue\",\"Account ID\"\n\
\"Globex, Inc.\",\"https://www.globex.com/about\",\"Germany\",\"Customer - Direct\",\"EUR\",\"1,000,000.00\",\"001A\"\n\
\"Initech\",\"\",\"US\",\"Prospect\",\"USD\",\"\",\"001B\"\n\
\n\
\"Grand Totals (2 records)\"\n\
\"Confidential Information - Do Not Distribute\"\n\
\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"\n";

    #[test]
    fn a_salesforce_report_with_bom_currency_pair_and_footer() {
        let (source, rows) = read(SALESFORCE);
        assert_eq!(source, ImportSource::SalesforceReport);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let globex = rows[0].as_ref().unwrap();
        assert_eq!(globex.name, "Globex, Inc.");
        assert_eq!(globex.web_domain.as_ref().unwrap().as_str(), "globex.com");
        assert_eq!(globex.country.as_deref(), Some("DE"));
        assert_eq!(globex.population, Population::Customer);
        assert_eq!(globex.external_id.as_deref(), Some("001A"));
        let initech = rows[1].as_ref().unwrap();
        assert_eq!((initech.row, initech.web_domain.is_none()), (3, true));
        assert_eq!(initech.population, Population::Prospect);
    }

    #[test]
    fn a_hubspot_export() {
        let text = "Record ID,Company name,Company Domain Name,Country/Region,Lifecycle Stage\n\
1,Umbrella Corp,umbrella.co.uk,United Kingdom,opportunity\n\
2,Hooli,,US,customer\n";
        let (source, rows) = read(text);
        assert_eq!(source, ImportSource::Hubspot);
        let u = rows[0].as_ref().unwrap();
        assert_eq!(u.population, Population::OpenOpportunity);
        assert_eq!(u.country.as_deref(), Some("GB"));
        assert_eq!(rows[1].as_ref().unwrap().population, Population::Customer);
    }

    #[test]
    fn errors_name_the_row_and_the_files_column() {
        let text = "Record ID,Company name,Company Domain Name,Country/Region,Lifecycle Stage\n\
1,,not a domain,Atlantis,customer\n";
        let (_, rows) = read(text);
        let errs = rows[0].as_ref().unwrap_err();
        let places: Vec<(u64, Option<&str>)> =
            errs.iter().map(|e| (e.row, e.column.as_deref())).collect();
        assert!(places.contains(&(2, Some("Company name"))), "{errs:?}");
        assert!(
            places.contains(&(2, Some("Company Domain Name"))),
            "{errs:?}"
        );
        assert!(places.contains(&(2, Some("Country/Region"))), "{errs:?}");
    }

    #[test]
    fn rows_without_a_type_take_the_default_population() {
        let text = "Company name,Lifecycle Stage\nHooli,\nGlobex,opportunity\n";
        let mut r = ImportReader::new(text.as_bytes()).unwrap();
        let header = r.header().to_vec();
        let mapping = suggest_fields(UPLOAD_FIELDS, ImportSource::Hubspot, &header, None);
        let p = UploadParser::new(&mapping, &header).unwrap();
        let first = r.next_row().unwrap().unwrap();
        assert_eq!(p.parse(&first).unwrap().population, Population::Prospect);
        let p = p.with_default_population(Population::Customer);
        assert_eq!(p.parse(&first).unwrap().population, Population::Customer);
        let second = r.next_row().unwrap().unwrap();
        assert_eq!(
            p.parse(&second).unwrap().population,
            Population::OpenOpportunity,
            "a type in the file wins over the default"
        );
    }

    #[test]
    fn a_written_mapping_is_parsed_field_by_field() {
        let m = parse_upload_mapping("name=Account Name, web_domain=Website,country=").unwrap();
        assert_eq!(m.column("name"), Some("Account Name"));
        assert_eq!(m.column("web_domain"), Some("Website"));
        assert_eq!(
            m.column("country"),
            None,
            "an empty column leaves it unmapped"
        );
        let e = parse_upload_mapping("nom=Account Name,Website").unwrap_err();
        let rules: Vec<&str> = e.errors.iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(rules, ["mapping.field", "mapping.syntax"]);
    }

    #[test]
    fn a_mapping_without_the_name_is_refused() {
        let header = vec!["Website".to_owned()];
        let m = suggest_fields(UPLOAD_FIELDS, ImportSource::SalesforceReport, &header, None);
        let errs = UploadParser::new(&m, &header).unwrap_err();
        assert_eq!(errs[0].rule, "mapping.required");
    }
}
