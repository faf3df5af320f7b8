//! CSV import: reading the files people have (Salesforce report exports and Data Loader
//! exports, HubSpot exports, our own export) into the typed input our create functions
//! take, row by row, so a file of any size streams through in flat memory.
//!
//! - [`mapping`]: which of our fields each column feeds (`our field ← their column`),
//!   suggested from the header by the names each source uses, confirmed by the user;
//! - [`reader`]: the streaming reader (UTF-8 BOM, blank lines, report footers);
//! - [`value`]: the lenient value rules of CRM files (dates, amounts, country names);
//! - [`row`]: one record of a file as a typed record of ours, or every error in it by row
//!   and column.
//!
//! Nothing here reads a file or the database: callers hand in any `std::io::Read` and
//! write what comes out.

pub mod mapping;
pub mod reader;
pub mod row;
pub mod value;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::{ImportRunId, UserId};
use crate::token::TokenCapability;
use crate::{FieldError, text_enum};

pub use mapping::ImportMapping;

text_enum!(
    /// What a file holds.
    ImportKind {
        Accounts = "accounts" / "Accounts",
        Partners = "partners" / "Partners",
        Contacts = "contacts" / "Contacts (partner users)",
        Opportunities = "opportunities" / "Opportunities",
        Registrations = "registrations" / "Deal registrations",
        Touchpoints = "touchpoints" / "Touchpoints",
        FxRates = "fx_rates" / "Currency rates",
    }
);

impl ImportKind {
    /// The token capability whose write scope an import of this kind needs besides
    /// `import:write`: a token that may not create partners through `/partners` may not
    /// create them through a file either.
    pub fn capability(self) -> TokenCapability {
        match self {
            ImportKind::Accounts => TokenCapability::Account,
            ImportKind::Partners => TokenCapability::Partner,
            ImportKind::Contacts => TokenCapability::User,
            ImportKind::Registrations => TokenCapability::Registration,
            ImportKind::Opportunities | ImportKind::Touchpoints | ImportKind::FxRates => {
                TokenCapability::Pipeline
            }
        }
    }
}

text_enum!(
    /// Where a file comes from: which column names it uses.
    ImportSource {
        /// A Salesforce report exported as CSV: column labels, a BOM, footer lines.
        SalesforceReport = "salesforce-report" / "Salesforce report",
        /// A Salesforce Data Loader export: API names (`BillingCountry`).
        SalesforceDataloader = "salesforce-dataloader" / "Salesforce Data Loader",
        /// A HubSpot export (`Record ID`, `Company name`, …).
        Hubspot = "hubspot" / "HubSpot",
        /// Our own export: the JSON field names of our API records.
        Partnerops = "partnerops" / "partnerops",
    }
);

text_enum!(
    /// How an import run ended.
    ImportStatus {
        /// Every row was written (or was already up to date).
        Done = "done" / "Done",
        /// At least one row was wrong: nothing was written.
        Refused = "refused" / "Refused",
    }
);

/// The most errors one run reports and keeps; the count of the rest is still given.
pub const MAX_ERRORS: usize = 1000;

/// One problem with a file: where (row and column) and which rule it broke.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportError {
    /// The spreadsheet row (the header is row 1, the first record row 2); 0 for the file
    /// as a whole (its header, the mapping).
    pub row: u64,
    /// The file's column, as named in its header.
    pub column: Option<String>,
    pub rule: String,
    pub message: String,
}

impl ImportError {
    pub fn new(row: u64, column: Option<&str>, rule: &str, message: impl Into<String>) -> Self {
        ImportError {
            row,
            column: column.map(str::to_owned),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }

    /// Where, as people read it: `row 14, column "Close Date"`.
    pub fn place(&self) -> String {
        match (self.row, &self.column) {
            (0, Some(c)) => format!("column \"{c}\""),
            (0, None) => "file".to_owned(),
            (r, Some(c)) => format!("row {r}, column \"{c}\""),
            (r, None) => format!("row {r}"),
        }
    }

    /// As a field error of a problem document: `{field: "row 14: Close Date", rule, message}`.
    pub fn to_field_error(&self) -> FieldError {
        let field = match (self.row, &self.column) {
            (0, Some(c)) => c.clone(),
            (0, None) => "file".to_owned(),
            (r, Some(c)) => format!("row {r}: {c}"),
            (r, None) => format!("row {r}"),
        };
        FieldError::new(&field, &self.rule, self.message.clone())
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.place(), self.rule, self.message)
    }
}

/// Errors of a run, capped at [`MAX_ERRORS`] with the count of the rest, so a file that is
/// wrong on every one of its million rows does not fill memory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportErrors {
    pub errors: Vec<ImportError>,
    /// Errors found beyond those listed.
    pub more: u64,
}

impl ImportErrors {
    pub fn push(&mut self, e: ImportError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e);
        } else {
            self.more += 1;
        }
    }

    pub fn extend(&mut self, es: impl IntoIterator<Item = ImportError>) {
        for e in es {
            self.push(e);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.more == 0
    }

    pub fn total(&self) -> u64 {
        self.errors.len() as u64 + self.more
    }
}

/// One import of one file: what it read and wrote, or why it wrote nothing.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRun {
    /// Absent for a dry run, which is never stored.
    pub id: Option<ImportRunId>,
    pub kind: ImportKind,
    pub source: ImportSource,
    pub file_name: String,
    pub dry_run: bool,
    pub status: ImportStatus,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    /// The file's header (empty for a stored run).
    pub header: Vec<String>,
    /// Our field -> the file's column, as used (or, for a dry run without one, suggested).
    pub mapping: ImportMapping,
    /// Data rows read (footer lines not counted).
    pub rows: u64,
    /// Records created, updated, and found already up to date (none are written when the
    /// run is refused or dry: then these say what the run would have done).
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The first 1000 errors by row and column.
    pub errors: Vec<ImportError>,
    /// How many errors there were in all.
    pub error_count: u64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

/// The mapping confirmed last for one kind and source, suggested first next time.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSavedMapping {
    pub kind: ImportKind,
    pub source: ImportSource,
    pub mapping: ImportMapping,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}
