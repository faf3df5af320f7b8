//! Demo CSV imports, so the console's import page shows what runs look like: a Salesforce
//! report of accounts imported by a channel manager, and a HubSpot export refused for its
//! bad rows (nothing of it written), both through the store's import like any upload.

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

async fn one(
    store: &Store,
    who: &Writer,
    kind: ImportKind,
    source: ImportSource,
    file_name: &str,
    text: &'static str,
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
            text.as_bytes(),
        )
        .await?;
    Ok(run.created)
}

/// Writes the two demo runs as `channel`; answers how many accounts they created.
pub(crate) async fn create_imports(store: &Store, channel: &Writer) -> Result<usize, StoreError> {
    let created = one(
        store,
        channel,
        ImportKind::Accounts,
        ImportSource::SalesforceReport,
        "Q4 target accounts (Salesforce report).csv",
        REPORT,
    )
    .await?;
    one(
        store,
        channel,
        ImportKind::Accounts,
        ImportSource::Hubspot,
        "hubspot-companies-export.csv",
        REFUSED,
    )
    .await?;
    Ok(usize::try_from(created).unwrap_or_default())
}
