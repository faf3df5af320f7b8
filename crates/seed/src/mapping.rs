//! Demo account mapping: the first active partner with an admin maps its accounts with the
//! vendor (both sides accepted, customers and open opportunities shared by name), from a
//! Salesforce report export built from a slice of the vendor's accounts with the noise real
//! exports have (`www.` and paths, legal forms, a typo, a missing domain) plus accounts of
//! its own; a second partner has proposed a mapping the vendor has not accepted yet.

use partnerops_core::mapping::record::{MappingProposalInput, MappingSettingsInput};
use partnerops_core::mapping::{SharedField, Sharing};
use partnerops_core::partner::PartnerStatus;
use partnerops_core::user::Role;
use partnerops_store::mapping::MappingUploadRequest;
use partnerops_store::{Store, StoreError};

use crate::plan::{AccountPlan, PartnerPlan};
use crate::room::Writer;

/// What the mapping demo wrote.
#[derive(Debug, Default)]
pub(crate) struct MappingWritten {
    pub partnerships: usize,
    pub rows: u64,
    pub matched: u64,
}

/// A Salesforce report export of the partner's accounts: every third vendor account of the
/// first 60, spelled as another CRM would, then accounts the vendor does not have.
fn export(accounts: &[AccountPlan]) -> String {
    let mut out = String::from(
        "\u{feff}\"Account Name\",\"Website\",\"Billing Country\",\"Type\",\"Annual Revenue Currency\",\"Annual Revenue\",\"Account ID\"\r\n",
    );
    let mut n = 0;
    let mut line = |name: &str, site: &str, country: &str, kind: &str, n: &mut usize| {
        *n += 1;
        out.push_str(&format!(
            "\"{}\",\"{site}\",\"{country}\",\"{kind}\",\"USD\",\"\",\"001P{:05}\"\r\n",
            name.replace('"', "\"\""),
            *n
        ));
    };
    for (i, a) in accounts
        .iter()
        .take(60)
        .enumerate()
        .filter(|(i, _)| i % 3 == 0)
    {
        let kind = match i % 4 {
            0 => "Customer - Direct",
            1 => "Opportunity",
            _ => "Prospect",
        };
        match i % 5 {
            // A website with `www.` and a path.
            0 => line(
                &a.name,
                &format!("https://www.{}/about", a.web_domain),
                a.country,
                kind,
                &mut n,
            ),
            // A legal form, no website: matched by name within the country.
            1 => line(&format!("{} Inc.", a.name), "", a.country, kind, &mut n),
            // A typo in the name, no website: a match to confirm, or none.
            2 => {
                let mut typo: Vec<char> = a.name.chars().collect();
                if typo.len() > 6 {
                    typo.remove(typo.len() - 2);
                }
                let typo: String = typo.into_iter().collect();
                line(&typo, "", a.country, kind, &mut n);
            }
            _ => line(&a.name, &a.web_domain, a.country, kind, &mut n),
        }
    }
    for (name, site) in [
        ("Brightwater Logistics", "brightwater-logistics.example"),
        ("Quayside Dental Group", "quayside-dental.example"),
        ("Northfield Credit Union", ""),
    ] {
        line(name, site, "US", "Customer - Direct", &mut n);
    }
    out.push_str(&format!(
        "\"\"\r\n\"Grand Totals ({n} records)\"\r\n\"\"\r\n\"Confidential Information - Do Not Distribute\"\r\n\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"\r\n"
    ));
    out
}

pub(crate) async fn create_mappings(
    store: &Store,
    partners: &[PartnerPlan],
    writers: &std::collections::HashMap<String, Writer>,
    vendor_admin: &Writer,
    accounts: &[AccountPlan],
) -> Result<MappingWritten, StoreError> {
    let mut out = MappingWritten::default();
    let admins: Vec<&Writer> = partners
        .iter()
        .filter(|p| p.status == PartnerStatus::Active)
        .filter_map(|p| {
            p.users
                .iter()
                .find(|u| u.role == Role::PartnerAdmin)
                .and_then(|u| writers.get(&u.email))
        })
        .take(2)
        .collect();
    let staff = vendor_admin.actor();
    if let Some(first) = admins.first() {
        let partner = first.actor();
        let m = store
            .propose_mapping(&partner, &MappingProposalInput::default())
            .await?;
        let id = m.id.to_string();
        store.accept_mapping(&staff, &id).await?;
        let shared = Sharing {
            customer: vec![SharedField::Name, SharedField::Country],
            open_opportunity: vec![SharedField::Name],
            prospect: vec![],
        };
        for actor in [&staff, &partner] {
            store
                .update_mapping_settings(
                    actor,
                    &id,
                    &MappingSettingsInput {
                        sharing: Some(shared.clone()),
                        ..Default::default()
                    },
                )
                .await?;
        }
        let csv = export(accounts);
        let mapping = partnerops_core::import::ImportMapping(
            [
                ("external_id", "Account ID"),
                ("name", "Account Name"),
                ("web_domain", "Website"),
                ("country", "Billing Country"),
                ("population", "Type"),
            ]
            .into_iter()
            .map(|(f, c)| (f.to_owned(), c.to_owned()))
            .collect(),
        );
        let result = store
            .upload_mapping(
                &partner,
                &id,
                MappingUploadRequest {
                    source: Some(partnerops_core::import::ImportSource::SalesforceReport),
                    mapping: Some(mapping),
                    file_name: "accounts-report.csv".into(),
                    ..MappingUploadRequest::default()
                },
                std::io::Cursor::new(csv.into_bytes()),
            )
            .await?;
        if let Some(e) = result.errors.first() {
            return Err(StoreError::Corrupt(format!("demo mapping upload: {e}")));
        }
        out.partnerships += 1;
        out.rows = result.rows;
        out.matched = result.matched;
    }
    if let Some(second) = admins.get(1) {
        store
            .propose_mapping(&second.actor(), &MappingProposalInput::default())
            .await?;
        out.partnerships += 1;
    }
    Ok(out)
}
