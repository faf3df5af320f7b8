//! `partnerops mapping upload --partner P FILE`: a partner's CRM export uploaded into its
//! account mapping from a file on disk, the same upload as the API and the portal, with a
//! progress bar over the bytes read. All rows or none: a refused file prints every error by
//! row and column and writes nothing. Without `--mapping` or `--yes` it prints the suggested
//! column mapping and stops, so nothing is uploaded under a mapping nobody looked at.

use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use partnerops_core::ids::EntityId;
use partnerops_core::import::ImportSource;
use partnerops_core::import::mapping::{detect_source_fields, suggest_fields};
use partnerops_core::import::reader::ImportReader;
use partnerops_core::mapping::record::{MappingPartnership, MappingUploadResult};
use partnerops_core::mapping::upload::{UPLOAD_FIELDS, parse_upload_mapping};
use partnerops_core::mapping::{MappingStatus, Population};
use partnerops_store::mapping::MappingUploadRequest;
use partnerops_store::{Actor, Store};

use crate::policy::Reported;

/// What the command line asked for.
pub struct UploadArgs<'a> {
    pub partner: &'a str,
    pub file: &'a Path,
    pub source: Option<&'a str>,
    pub mapping: Option<&'a str>,
    pub population: Option<&'a str>,
    pub append: bool,
    pub dry_run: bool,
    pub yes: bool,
}

/// The live mapping partnership of the partner named by id (ptr_…) or exact name.
async fn partnership_of(store: &Store, actor: &Actor, partner: &str) -> Result<MappingPartnership> {
    let wanted = partner.trim();
    let mut live: Vec<MappingPartnership> = store
        .mapping_partnerships(&actor.scope())
        .await?
        .into_iter()
        .filter(|m| m.status != MappingStatus::Ended)
        .collect();
    if let Some(i) = live.iter().position(|m| {
        m.partner_id.as_str() == wanted || m.partner_name.eq_ignore_ascii_case(wanted)
    }) {
        return Ok(live.swap_remove(i));
    }
    let known: Vec<String> = live
        .iter()
        .map(|m| {
            format!(
                "  {} ({}): {}",
                m.partner_name,
                m.partner_id,
                m.status.label()
            )
        })
        .collect();
    Err(anyhow::anyhow!(
        "--partner: {wanted} has no live mapping partnership (give the partner's id, ptr_…, or its exact name). Partners with one:\n{}",
        if known.is_empty() {
            "  (none)".to_owned()
        } else {
            known.join("\n")
        }
    ))
}

fn print_result(r: &MappingUploadResult, dry_run: bool) {
    for e in &r.errors {
        println!("{}: {} ({})", e.place(), e.rule, e.message);
    }
    if r.error_count > r.errors.len() as u64 {
        println!(
            "… and {} more errors",
            r.error_count - r.errors.len() as u64
        );
    }
    let what = if r.error_count > 0 {
        "refused, nothing written".to_owned()
    } else if dry_run {
        "dry run, nothing written".to_owned()
    } else {
        format!("{} matched, {} to confirm", r.matched, r.to_confirm)
    };
    println!(
        "{} rows of {} from {} ({}){}: {what}; {} errors",
        r.rows,
        r.file_name,
        r.source.as_str(),
        r.mapping.to_text(),
        if r.append { ", added" } else { "" },
        r.error_count,
    );
}

/// Runs the upload; a refused upload is an error (exit status 1) after its errors.
pub async fn upload(store: &Store, actor: &Actor, args: UploadArgs<'_>) -> Result<()> {
    let m = partnership_of(store, actor, args.partner).await?;
    let population = args
        .population
        .map(|p| {
            Population::parse("population", p)
                .map_err(|e| anyhow::anyhow!("--population: {}", e.message))
        })
        .transpose()?;
    let source = args
        .source
        .map(|s| {
            ImportSource::parse("source", s).map_err(|e| anyhow::anyhow!("--source: {}", e.message))
        })
        .transpose()?;
    let file = std::fs::File::open(args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    let len = file.metadata()?.len();
    let header = ImportReader::new(std::io::BufReader::new(&file))
        .map_err(|e| anyhow::anyhow!("{}: {}", e.place(), e.message))?
        .header()
        .to_vec();
    let source = source.unwrap_or_else(|| detect_source_fields(UPLOAD_FIELDS, &header));
    let mapping = match args.mapping {
        Some(text) => parse_upload_mapping(text).map_err(|inv| {
            let lines: Vec<String> = inv
                .errors
                .iter()
                .map(|e| format!("  {}", e.message))
                .collect();
            anyhow::anyhow!("--mapping:\n{}", lines.join("\n"))
        })?,
        None => {
            let suggested = suggest_fields(UPLOAD_FIELDS, source, &header, None);
            eprintln!("suggested mapping for an upload from {}:", source.as_str());
            for spec in UPLOAD_FIELDS {
                let column = suggested.column(spec.name).unwrap_or("(none)");
                let required = if spec.required { " (required)" } else { "" };
                eprintln!("  {:<12} <- {column}{required}", spec.name);
            }
            if !args.yes && !args.dry_run {
                eprintln!(
                    "the column mapping is not confirmed: nothing uploaded. Confirm it with --yes, or give your own: --mapping '{}'",
                    suggested.to_text()
                );
                return Err(Reported.into());
            }
            suggested
        }
    };
    drop(file);
    let file = std::fs::File::open(args.file)?;
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta} reading, checking and matching",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let input = bar.wrap_read(file);
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = store
        .upload_mapping(
            actor,
            m.id.as_str(),
            MappingUploadRequest {
                source: Some(source),
                mapping: Some(mapping),
                file_name,
                dry_run: args.dry_run,
                append: args.append,
                default_population: population,
            },
            input,
        )
        .await?;
    bar.finish_and_clear();
    print_result(&result, args.dry_run);
    if result.error_count > 0 {
        return Err(Reported.into());
    }
    Ok(())
}
