//! Audit trails as people read them: one row per change, nested values flattened, money
//! formatted, bookkeeping fields hidden. Capability pages show a record's trail with `trail`;
//! the whole-trail page and archive/restore live in `console`. Nothing here writes.

use crate::AppState;
use crate::ui::UiError;
use partnerops_core::audit::{AuditEvent, EntityKind, changed_fields};
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::scope::Scope;

mod console;

use super::Routes;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/audit/{kind}/{id}", console::audit_page)
        .post("/console/{kind}/{id}/{op}", console::archive_or_restore)
}

/// One row of an audit trail as shown.
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub changes: Vec<(String, String, String)>,
}

/// A stored value as people read it: lists joined, money formatted, nothing as a dash.
fn show_value(v: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.is_empty() => "—".to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| show_value(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(v @ Value::Object(_)) => {
            match serde_json::from_value::<partnerops_core::money::Money>(v.clone()) {
                Ok(money) => money.to_string(),
                Err(_) => v.to_string(),
            }
        }
        Some(other) => other.to_string(),
    }
}

/// Nested objects as dotted fields (`thesis.coverage_gaps`), money kept whole.
fn flatten(
    prefix: &str,
    value: &serde_json::Value,
    out: &mut serde_json::Map<String, serde_json::Value>,
) {
    match value {
        serde_json::Value::Object(map) if !map.contains_key("amount_minor") => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.clone());
        }
    }
}

fn flat(v: Option<&serde_json::Value>) -> Option<serde_json::Value> {
    v.map(|v| {
        let mut out = serde_json::Map::new();
        flatten("", v, &mut out);
        serde_json::Value::Object(out)
    })
}

/// Fields an audit row never shows: the record's own id and bookkeeping.
const HIDDEN_FIELDS: &[&str] = &["id", "archived_at"];

pub fn audit_rows(events: &[AuditEvent]) -> Vec<AuditRow> {
    events
        .iter()
        .map(|e| {
            let created = e.action == partnerops_core::audit::AuditAction::Created;
            let changes = changed_fields(
                flat(e.before.as_ref()).as_ref(),
                flat(e.after.as_ref()).as_ref(),
            )
            .into_iter()
            // On creation, ids and empty fields say nothing a reader needs.
            .filter(|c| {
                !HIDDEN_FIELDS.contains(&c.field.as_str()) || (!created && c.field == "archived_at")
            })
            .filter(|c| {
                !created || (!c.field.ends_with("_id") && show_value(c.after.as_ref()) != "—")
            })
            .map(|c| {
                (
                    c.field.replace('_', " "),
                    show_value(c.before.as_ref()),
                    show_value(c.after.as_ref()),
                )
            })
            .collect();
            AuditRow {
                at: e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                actor: e.actor_name.clone(),
                action: e.action.label(),
                changes,
            }
        })
        .collect()
}

pub(super) async fn trail(
    state: &AppState,
    scope: &Scope,
    kind: EntityKind,
    id: &str,
) -> Result<Vec<AuditRow>, UiError> {
    let page = PageRequest::parse(
        &PageParams {
            sort: Some("-at".into()),
            limit: Some("50".into()),
            cursor: None,
        },
        partnerops_store::audit::SORTS,
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(audit_rows(
        &state.store.audit_trail(scope, kind, id, &page).await?.items,
    ))
}
