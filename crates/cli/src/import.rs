//! `partnerops import <kind> <file>`: the same import as the API and the console, from a
//! file on disk, with a progress bar over the bytes read. Without `--mapping` or `--yes` it
//! prints the suggested column mapping and stops, so nothing is imported under a mapping
//! nobody looked at.

use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use partnerops_core::import::mapping::{detect_source, fields};
use partnerops_core::import::reader::ImportReader;
use partnerops_core::import::{ImportKind, ImportMapping, ImportRun, ImportSource, ImportStatus};
use partnerops_store::import::ImportRequest;
use partnerops_store::{Actor, Store};

use crate::policy::Reported;

/// What the command line asked for.
pub struct ImportArgs<'a> {
    pub kind: &'a str,
    pub file: &'a Path,
    pub source: Option<&'a str>,
    pub mapping: Option<&'a str>,
    pub dry_run: bool,
    pub yes: bool,
}

fn invalid(what: &str, e: partnerops_core::FieldError) -> anyhow::Error {
    anyhow::anyhow!("{what}: {}", e.message)
}

fn print_mapping(kind: ImportKind, mapping: &ImportMapping) {
    for spec in fields(kind) {
        let column = mapping.column(spec.name).unwrap_or("(none)");
        let required = if spec.required { " (required)" } else { "" };
        eprintln!("  {:<18} <- {column}{required}", spec.name);
    }
}

fn print_run(run: &ImportRun) {
    for e in &run.errors {
        println!("{}: {} ({})", e.place(), e.rule, e.message);
    }
    if run.error_count > run.errors.len() as u64 {
        println!(
            "… and {} more errors",
            run.error_count - run.errors.len() as u64
        );
    }
    let verb = match (run.dry_run, run.status) {
        (true, ImportStatus::Done) => "dry run: nothing written; would have",
        (true, ImportStatus::Refused) => {
            "dry run found errors: nothing written; the rest would have"
        }
        (false, ImportStatus::Done) => "imported:",
        (false, ImportStatus::Refused) => "refused, nothing written; the rest would have",
    };
    println!(
        "{} {} rows of {} from {} ({}): {verb} created {}, updated {}, unchanged {}; {} errors{}",
        run.rows,
        run.kind.as_str(),
        run.file_name,
        run.source.as_str(),
        run.mapping.to_text(),
        run.created,
        run.updated,
        run.unchanged,
        run.error_count,
        run.id
            .as_ref()
            .map(|id| format!(" (run {id})"))
            .unwrap_or_default(),
    );
}

/// Runs the import; a refused import is an error (exit status 1) after its errors.
pub async fn run(store: &Store, actor: &Actor, args: ImportArgs<'_>) -> Result<()> {
    let kind = ImportKind::parse("kind", args.kind).map_err(|e| invalid("kind", e))?;
    let file = std::fs::File::open(args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    let len = file.metadata()?.len();
    let header = ImportReader::new(std::io::BufReader::new(&file))
        .map_err(|e| anyhow::anyhow!("{}: {}", e.place(), e.message))?
        .header()
        .to_vec();
    let source = match args.source {
        Some(s) => ImportSource::parse("source", s).map_err(|e| invalid("--source", e))?,
        None => detect_source(kind, &header),
    };
    let mapping = match args.mapping {
        Some(text) => ImportMapping::parse(kind, text).map_err(|errs| {
            let lines: Vec<String> = errs.iter().map(|e| format!("  {}", e.message)).collect();
            anyhow::anyhow!("--mapping:\n{}", lines.join("\n"))
        })?,
        None => {
            let suggested = store
                .suggest_import_mapping(actor, kind, source, &header)
                .await?;
            eprintln!(
                "suggested mapping for {} from {}:",
                kind.as_str(),
                source.as_str()
            );
            print_mapping(kind, &suggested);
            if !args.yes && !args.dry_run {
                eprintln!(
                    "the column mapping is not confirmed: nothing imported. Confirm it with --yes, or give your own: --mapping '{}'",
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
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let input = bar.wrap_read(file);
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let run = store
        .import(
            actor,
            ImportRequest {
                kind,
                source,
                file_name,
                mapping: Some(mapping),
                dry_run: args.dry_run,
            },
            input,
        )
        .await?;
    bar.finish_and_clear();
    print_run(&run);
    if run.status == ImportStatus::Refused {
        return Err(Reported.into());
    }
    Ok(())
}
