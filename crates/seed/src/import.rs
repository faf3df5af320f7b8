//! Demo CSV imports, so the console's import page shows what runs look like: a Salesforce
//! report of accounts imported by a channel manager, a report of a partner's deals on those
//! accounts (naming the accounts by their Salesforce ids and the partner by name), and a
//! HubSpot export refused for its bad rows (nothing of it written), all through the store's
//! import like any upload.

use partnerops_core::import::{ImportKind, ImportSource};
use partnerops_store::import::ImportRequest;
use partnerops_store::{Store, StoreError};

use crate::room::Writer;

const REPORT: &str = "\u{feff}\"Account Name\",\"Website\",\"Billing Country\",\"Industry\",\"Type\",\"Account ID\"
\"Harborline Analytics\",\"https://www.harborline-analytics.example/\",\"United States\",\"Software\",\"Customer - Direct\",\"0015g00000HaAn1AAB\"
\"Kestrel Freight\",\"kestrel-freight.example\",\"Germany\",\"Logistics\",\"Prospect\",\"0015g00000KeFr2AAB\"
\"Marlow & Finch Legal\",\"marlowfinch.example\",\"United Kingdom\",\"Legal\",\"Prospect\",\"0015g00000MaFi3AAB\"
\"Quillon Biotech\",\"quillon-bio.example\",\"Switzerland\",\"Biotechnology\",\"Customer - Channel\",\"0015g00000QuBi4AAB\"

\"Grand Totals (4 records)\"

\"Confidential Information - Do Not Distribute\"
\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"
";

const REFUSED: &str =
    "Record ID,Company name,Country/Region,Industry,Company Domain Name,Lifecycle Stage
7311000001,Orchard Lane Foods,United States,FOOD_PRODUCTION,orchardlane.example,lead
7311000002,Tessera Robotics,Atlantis,MACHINERY,tessera-robotics.example,lead
7311000003,,Canada,RETAIL,no domain here,customer
";

/// Two deals of `partner` on the report's accounts, as a Salesforce opportunity report.
fn deals(partner: &str) -> String {
    format!(
        "\u{feff}\"Opportunity Name\",\"Account Name\",\"Amount Currency\",\"Amount\",\"Close Date\",\"Stage\",\"Partner Account\",\"Opportunity ID\",\"Account ID\"
\"Harborline data platform\",\"Harborline Analytics\",\"USD\",\"84,000.00\",\"6/30/2027\",\"First conversation\",\"{partner}\",\"0065g00000HaDp1AAB\",\"0015g00000HaAn1AAB\"
\"Quillon lab rollout\",\"Quillon Biotech\",\"USD\",\"56,500.00\",\"9/30/2027\",\"Commercial offer\",\"{partner}\",\"0065g00000QuLr2AAB\",\"0015g00000QuBi4AAB\"

\"Grand Totals (2 records)\"

\"Confidential Information - Do Not Distribute\"
\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"
"
    )
}

/// What the demo imports created.
#[derive(Default)]
pub(crate) struct Imported {
    pub accounts: usize,
    pub opportunities: usize,
}

async fn one(
    store: &Store,
    who: &Writer,
    kind: ImportKind,
    source: ImportSource,
    file_name: &str,
    text: String,
) -> Result<u64, StoreError> {
    let actor = who.actor();
    let header = partnerops_core::import::reader::ImportReader::new(text.as_bytes())
        .map(|r| r.header().to_vec())
        .unwrap_or_default();
    let mapping = store
        .suggest_import_mapping(&actor, kind, source, &header)
        .await?;
    let run = store
        .import(
            &actor,
            ImportRequest {
                kind,
                source,
                file_name: file_name.to_owned(),
                mapping: Some(mapping),
                dry_run: false,
            },
            std::io::Cursor::new(text.into_bytes()),
        )
        .await?;
    Ok(run.created)
}

/// Writes the demo runs as `channel` (the deals when there is a `partner` to bring them);
/// answers what they created.
pub(crate) async fn create_imports(
    store: &Store,
    channel: &Writer,
    partner: Option<&str>,
) -> Result<Imported, StoreError> {
    let accounts = one(
        store,
        channel,
        ImportKind::Accounts,
        ImportSource::SalesforceReport,
        "Q4 target accounts (Salesforce report).csv",
        REPORT.to_owned(),
    )
    .await?;
    let opportunities = match partner {
        Some(p) => {
            one(
                store,
                channel,
                ImportKind::Opportunities,
                ImportSource::SalesforceReport,
                "Partner deals on Q4 targets (Salesforce report).csv",
                deals(p),
            )
            .await?
        }
        None => 0,
    };
    one(
        store,
        channel,
        ImportKind::Accounts,
        ImportSource::Hubspot,
        "hubspot-companies-export.csv",
        REFUSED.to_owned(),
    )
    .await?;
    Ok(Imported {
        accounts: usize::try_from(accounts).unwrap_or_default(),
        opportunities: usize::try_from(opportunities).unwrap_or_default(),
    })
}
