//! `partnerops backup` and `partnerops restore` for SQLite: a consistent copy taken while
//! the server keeps serving (`VACUUM INTO`), and putting one back in place (with the server
//! stopped). PostgreSQL has its own tools: `pg_dump` and `pg_restore` (README).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use partnerops_store::Store;

/// The file of a `sqlite://` URL.
fn sqlite_file(url: &str) -> Result<PathBuf> {
    let Some(rest) = url.strip_prefix("sqlite://") else {
        bail!(
            "restore puts back a SQLite file; for PostgreSQL use pg_restore (see the README) (got {url})"
        );
    };
    Ok(PathBuf::from(rest.split('?').next().unwrap_or(rest)))
}

/// `backup --to FILE`: a consistent copy of the running database.
pub async fn backup(store: &Store, to: &Path) -> Result<()> {
    let path = to.to_str().context("the backup path must be valid UTF-8")?;
    store.backup_to(path).await?;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!("backed up to {} ({size} bytes)", to.display());
    Ok(())
}

/// `restore --from FILE`: checks the file is a partnerops database this build can serve,
/// then copies it over the target database (which must not be in use).
pub async fn restore(from: &Path, target_url: &str, force: bool) -> Result<()> {
    let target = sqlite_file(target_url)?;
    if !from.is_file() {
        bail!("--from: {} is not a file", from.display());
    }
    let source = Store::connect(&format!("sqlite://{}", from.display()))
        .await
        .with_context(|| format!("opening {}", from.display()))?;
    let version = source
        .applied_migration()
        .await
        .with_context(|| format!("{} is not a partnerops database", from.display()))?;
    source.close().await;
    let known = partnerops_store::migrate::latest_known();
    if version == 0 || version > known {
        bail!(
            "{} is at schema version {version}; this build serves up to {known}",
            from.display()
        );
    }
    if target.exists() && !force {
        bail!(
            "{} exists: stop the server and pass --force to replace it",
            target.display()
        );
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    std::fs::copy(from, &target)
        .with_context(|| format!("copying {} to {}", from.display(), target.display()))?;
    println!(
        "restored {} to {} (schema version {version}; the next start applies newer migrations)",
        from.display(),
        target.display()
    );
    Ok(())
}
