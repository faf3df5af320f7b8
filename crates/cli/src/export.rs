//! `partnerops export`: any list of the API as CSV, with the list's own filters, in the
//! scope of the user it acts as. The rows come from the same routes the API and the UI use
//! (in process, no server needed), so an export can hold nothing the list would not show.

use std::io::IsTerminal;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use partnerops_store::Store;

/// Writes the CSV of `list` (a path under `/api/v1/`, e.g. `accounts` or
/// `partners/ptr_…/users`) filtered by `query` (`country=US&sort=name`) to `output`, or to
/// standard output.
pub async fn export(
    store: Store,
    user: &str,
    list: &str,
    query: Option<&str>,
    output: Option<&std::path::Path>,
) -> Result<()> {
    let owner = store
        .user_by_email(&partnerops_core::scope::Scope::Vendor, user)
        .await
        .map_err(crate::explain)?;
    let principal = store
        .principal_of(&owner.id.to_string())
        .await
        .map_err(crate::explain)?;
    let list = list.trim_start_matches('/').trim_start_matches("api/v1/");
    let path = match query.filter(|q| !q.is_empty()) {
        Some(q) => format!("/api/v1/{list}?{}", q.trim_start_matches('?')),
        None => format!("/api/v1/{list}"),
    };
    let app = partnerops_web::app(store, partnerops_web::WebOptions::default());

    // A spinner with the size so far, on a terminal only (never into a redirected log).
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {bytes} written ({bytes_per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let result = match output {
        Some(file) => {
            let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
            partnerops_web::write_export(app, principal, &path, &mut out, |n| bar.set_position(n))
                .await
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout());
            partnerops_web::write_export(app, principal, &path, &mut out, |n| bar.set_position(n))
                .await
        }
    };
    bar.finish_and_clear();
    match result {
        Ok(bytes) => {
            if let Some(file) = output {
                eprintln!("wrote {bytes} bytes of CSV to {}", file.display());
            }
            Ok(())
        }
        Err(partnerops_web::ExportFailed::Refused { status, problem }) => {
            let detail = serde_json::from_str::<serde_json::Value>(&problem)
                .ok()
                .map(|p| {
                    let mut lines = vec![p["detail"].as_str().unwrap_or_default().to_owned()];
                    for e in p["errors"].as_array().into_iter().flatten() {
                        lines.push(format!(
                            "  {}: {} (rule {})",
                            e["field"].as_str().unwrap_or_default(),
                            e["message"].as_str().unwrap_or_default(),
                            e["rule"].as_str().unwrap_or_default()
                        ));
                    }
                    lines.join("\n")
                })
                .unwrap_or(problem);
            bail!("cannot export {path} ({status}): {detail}")
        }
        Err(e) => bail!("{e}"),
    }
}
