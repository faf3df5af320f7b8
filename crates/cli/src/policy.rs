//! `partnerops policy …`: program policy documents from the terminal. Validate a TOML file,
//! show and compare published versions, publish a new one, replay the program's history
//! under a draft (what-if), and inspect the fit model applications are scored with.
//!
//! Problems with a document are printed one per line as `FILE: KEY: message` (KEY is the
//! key path, or `line L, column C` for syntax errors) and the command exits non-zero.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::ids::EntityId;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::policy::ProgramPolicy;
use partnerops_core::policy::record::PolicyVersion;
use partnerops_core::policy::simulate::{ChangeKind, SimulationReport};
use partnerops_core::program::Program;
use partnerops_core::scope::Scope;
use partnerops_store::program::ProgramFilter;
use partnerops_store::{Actor, Archived, Store, StoreError};

/// The command already printed what was wrong; only the exit status is left to set.
#[derive(Debug)]
pub struct Reported;

impl fmt::Display for Reported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("problems reported above")
    }
}

impl std::error::Error for Reported {}

/// Reads a policy file as text.
fn read(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}

/// Prints every problem of a document as `FILE: KEY: message`, on standard error.
fn report_invalid(file: &Path, inv: &Invalid) {
    for e in &inv.errors {
        eprintln!("{}: {}: {}", file.display(), e.field, e.message);
    }
}

fn print_warnings(file: Option<&Path>, warnings: &[String]) {
    for w in warnings {
        match file {
            Some(f) => println!("{}: warning: {w}", f.display()),
            None => println!("warning: {w}"),
        }
    }
}

/// Parses a document, printing its problems (and failing) when it is invalid.
fn parse_file(file: &Path) -> Result<(String, ProgramPolicy)> {
    let text = read(file)?;
    match ProgramPolicy::from_toml(&text) {
        Ok(policy) => Ok((text, policy)),
        Err(inv) => {
            report_invalid(file, &inv);
            Err(Reported.into())
        }
    }
}

/// `policy validate FILE`: nothing is opened but the file.
pub fn validate(file: &Path) -> Result<()> {
    let (_, policy) = parse_file(file)?;
    println!("{}: valid", file.display());
    print_warnings(Some(file), &policy.warnings());
    Ok(())
}

/// Finds a program by id (`prg_…`) or by its exact name, ignoring case (archived ones too).
pub async fn resolve_program(store: &Store, raw: &str) -> Result<Program> {
    let raw = raw.trim();
    if raw.starts_with("prg_") {
        match store.program(&Scope::Vendor, raw).await {
            Ok(p) => return Ok(p),
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let programs = all_programs(store).await?;
    let wanted = raw.to_lowercase();
    if let Some(p) = programs.iter().find(|p| p.name.to_lowercase() == wanted) {
        return Ok(p.clone());
    }
    let known: Vec<String> = programs
        .iter()
        .map(|p| format!("{} ({})", p.name, p.id))
        .collect();
    if known.is_empty() {
        bail!("no program {raw:?}: the database has no programs");
    }
    bail!(
        "no program {raw:?}; --program takes an id or an exact name: {}",
        known.join(", ")
    )
}

async fn all_programs(store: &Store) -> Result<Vec<Program>> {
    let filter = ProgramFilter {
        archived: Archived::All,
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let params = PageParams {
            limit: Some("200".into()),
            cursor,
            sort: None,
        };
        let page = PageRequest::parse(&params, &Store::program_sorts())
            .map_err(|e| anyhow!("paging programs: {e}"))?;
        let p = store.programs(&Scope::Vendor, &filter, &page).await?;
        out.extend(p.items);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "never (seed defaults)".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// `policy show`: the document of a version, behind a comment header (still valid TOML).
pub async fn show(store: &Store, program: &Program, version: Option<i64>) -> Result<()> {
    let id = program.id.as_str();
    let current = store.program_policy(&Scope::Vendor, id).await?;
    let v = match version {
        None => current.clone(),
        Some(n) => match store.policy_version(&Scope::Vendor, id, n).await {
            Ok(v) => v,
            Err(StoreError::NotFound(_)) => bail!(
                "{} has no policy version {n} (versions 1 to {})",
                program.name,
                current.version
            ),
            Err(e) => return Err(e.into()),
        },
    };
    let status = if v.version == current.version {
        "in force"
    } else {
        "superseded"
    };
    println!(
        "# {} ({}) policy version {} ({status})",
        program.name, program.id, v.version
    );
    println!("# Author: {}", v.author_name);
    println!("# Published: {}", when(v.published_at));
    println!("# Change note: {}", one_line(&v.change_note));
    for w in &v.warnings {
        println!("# Warning: {}", one_line(w));
    }
    println!();
    print!("{}", v.document);
    if !v.document.ends_with('\n') {
        println!();
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `policy history`: one line per version, newest first.
pub async fn history(store: &Store, program: &Program) -> Result<()> {
    let versions = store
        .policy_history(&Scope::Vendor, program.id.as_str())
        .await?;
    println!(
        "{} ({}): {} version(s)",
        program.name,
        program.id,
        versions.len()
    );
    for (i, v) in versions.iter().enumerate() {
        println!("{}", history_line(v, i == 0));
    }
    Ok(())
}

fn history_line(v: &PolicyVersion, in_force: bool) -> String {
    format!(
        "v{:<3} {:<23} {:<24} {}{}",
        v.version,
        when(v.published_at),
        v.author_name,
        one_line(&v.change_note),
        if in_force { "  [in force]" } else { "" }
    )
}

/// `policy diff`: from `from` (default: the version before `to`) to `to` (default: in force).
pub async fn diff(
    store: &Store,
    program: &Program,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<()> {
    let id = program.id.as_str();
    let current = store.program_policy(&Scope::Vendor, id).await?.version;
    let to = to.unwrap_or(current);
    let from = from.unwrap_or((to - 1).max(1));
    for v in [from, to] {
        if !(1..=current).contains(&v) {
            bail!(
                "{} has no policy version {v} (versions 1 to {current})",
                program.name
            );
        }
    }
    let d = store.policy_diff(&Scope::Vendor, id, from, to).await?;
    println!(
        "{}: version {} → {} ({} change(s))",
        program.name,
        d.from_version,
        d.to_version,
        d.changes.len()
    );
    println!("{}", d.text);
    Ok(())
}

/// `policy publish`: the file becomes the program's next version.
pub async fn publish(store: &Store, program: &Program, file: &Path, note: &str) -> Result<()> {
    let text = read(file)?;
    let id = program.id.as_str();
    let before = store.program_policy(&Scope::Vendor, id).await?.version;
    let published = match store
        .publish_policy(
            &Actor::system("cli"),
            id,
            &text,
            note,
            &partnerops_store::etag::Precondition::None,
        )
        .await
    {
        Ok(v) => v,
        Err(StoreError::Invalid(inv)) => {
            report_invalid(file, &inv);
            return Err(Reported.into());
        }
        Err(StoreError::Conflict { field, message, .. }) => {
            eprintln!("{}: {field}: {message}", file.display());
            return Err(Reported.into());
        }
        Err(e) => return Err(e.into()),
    };
    println!(
        "published {} policy version {} (was {before}) by {}",
        program.name, published.version, published.author_name
    );
    print_warnings(Some(file), &published.warnings);
    let d = store
        .policy_diff(&Scope::Vendor, id, before, published.version)
        .await?;
    println!("{}", d.text);
    Ok(())
}

/// `policy simulate`: the program's recorded history replayed under the draft and the
/// policy in force, as of the store's clock. Reads only.
pub async fn simulate(store: &Store, program: &Program, file: &Path, json: bool) -> Result<()> {
    let (text, draft) = parse_file(file)?;
    let id = program.id.as_str();
    let current = store.program_policy(&Scope::Vendor, id).await?;
    let started = Instant::now();
    let report = match store.simulate_policy(&Scope::Vendor, id, &text).await {
        Ok(r) => r,
        Err(StoreError::Invalid(inv)) => {
            report_invalid(file, &inv);
            return Err(Reported.into());
        }
        Err(e) => return Err(e.into()),
    };
    let elapsed = started.elapsed();
    // A report can run to a hundred thousand lines: one buffered writer instead of a
    // write to the terminal or pipe per line.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        let mut value = serde_json::to_value(&report).context("serialising the report")?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("program_id".into(), serde_json::json!(program.id));
            obj.insert("program_name".into(), serde_json::json!(program.name));
            obj.insert("current_version".into(), serde_json::json!(current.version));
            obj.insert(
                "draft".into(),
                serde_json::json!(file.display().to_string()),
            );
            obj.insert("warnings".into(), serde_json::json!(draft.warnings()));
            obj.insert(
                "elapsed_ms".into(),
                serde_json::json!(elapsed.as_secs_f64() * 1000.0),
            );
        }
        serde_json::to_writer_pretty(&mut out, &value).context("serialising the report")?;
        writeln!(out)?;
    } else {
        print_simulation(&mut out, program, file, current.version, &draft, &report)?;
        print_economics(&mut out, &report.economics)?;
        writeln!(
            out,
            "Simulated in {:.1} ms; nothing was written.",
            elapsed.as_secs_f64() * 1000.0
        )?;
    }
    out.flush()?;
    Ok(())
}

/// What the paid deals would earn under the draft's incentives, in total and per partner
/// (the ten largest changes).
fn print_economics(
    out: &mut impl Write,
    e: &partnerops_core::payout::whatif::EconomicsWhatIf,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Economics: {} deals won in the last {} months pay {} now and {} under the draft ({}).",
        e.deals,
        e.months,
        e.money(e.current_minor),
        e.money(e.draft_minor),
        e.money(e.delta_minor)
    )?;
    for p in e.partners.iter().filter(|p| p.delta_minor != 0).take(10) {
        writeln!(
            out,
            "  {}: {} → {} ({})",
            p.partner_name,
            e.money(p.current_minor),
            e.money(p.draft_minor),
            e.money(p.delta_minor)
        )?;
    }
    Ok(())
}

fn kind_label(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Tier => "tier",
        ChangeKind::Downgrade => "annual review",
        ChangeKind::Sunset => "sunset",
        ChangeKind::Expiry => "expiry",
        ChangeKind::SlaMark => "follow-up SLA",
    }
}

fn print_simulation(
    out: &mut impl Write,
    program: &Program,
    file: &Path,
    current_version: i64,
    draft: &ProgramPolicy,
    report: &SimulationReport,
) -> std::io::Result<()> {
    writeln!(
        out,
        "What if {} ran {} instead of version {current_version}, as of {}:",
        program.name,
        file.display(),
        report.as_of.format("%Y-%m-%d %H:%M:%S UTC")
    )?;
    for w in draft.warnings() {
        writeln!(out, "{}: warning: {w}", file.display())?;
    }
    if report.changes.is_empty() {
        writeln!(out, "\nNo outcome would change.")?;
    }
    for p in &report.changes {
        writeln!(out, "\n{} ({})", p.partner_name, p.partner_id)?;
        for c in &p.changes {
            let reg = c
                .registration_id
                .as_deref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {}{reg}: {} → {}",
                kind_label(c.kind),
                c.current,
                c.draft
            )?;
            if !c.reason.is_empty() {
                writeln!(out, "      {}", one_line(&c.reason))?;
            }
        }
    }
    let t = &report.totals;
    writeln!(
        out,
        "\nTotals: {} partners and {} registrations examined; {} partner(s) would change: \
         {} up, {} down (tier), {} annual-review downgrade(s), {} sunset(s), {} expiry change(s), \
         {} SLA mark change(s).",
        t.partners,
        t.registrations,
        t.partners_changed,
        t.upgrades,
        t.tier_downs,
        t.downgrades,
        t.sunsets,
        t.expiries,
        t.sla_marks
    )
}

/// `policy fit`: the fit model applications to the program are scored with now.
pub async fn fit(store: &Store, program: &Program) -> Result<()> {
    let model = store
        .fit_model_report(&Scope::Vendor, program.id.as_str())
        .await?;
    println!(
        "{} ({}) fit model as of {}",
        program.name,
        program.id,
        store.now().date_naive()
    );
    println!(
        "  method:        {} ({})",
        model.method.as_str(),
        model.method.label()
    );
    println!("  labelled:      {} partners", model.labelled);
    println!(
        "  held-out AUC:  {}",
        model.auc.map_or_else(
            || "none (rule-based score)".to_owned(),
            |a| format!("{a:.3}")
        )
    );
    println!("  reason:        {}", model.reason);
    Ok(())
}
