//! Readable differences between two policy versions.
//!
//! Both policies are converted to `toml::Value` (without `registration.version`, which the
//! store assigns) and walked together. Tables compare key by key, arrays index by index
//! (extra elements are additions or removals, shown whole), and every value is rendered as
//! TOML inline text. Keys come in document order: the order the policy's types declare their
//! fields (a `toml::Table` sorts its keys, so that order is recovered from the serialiser).

use std::fmt::Write as _;

use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::ProgramPolicy;

/// One changed setting, by its key path (e.g. `tiers[1].criteria[0].at_least`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub key: String,
    /// TOML text of the old value; None when the key is new.
    pub before: Option<String>,
    /// TOML text of the new value; None when the key was removed.
    pub after: Option<String>,
}

impl Change {
    /// `+` for an added key, `-` for a removed one, `~` for a changed value.
    pub fn marker(&self) -> char {
        match (&self.before, &self.after) {
            (None, Some(_)) => '+',
            (Some(_), None) => '-',
            _ => '~',
        }
    }
}

/// Every setting that differs, in document order.
pub fn diff(before: &ProgramPolicy, after: &ProgramPolicy) -> Vec<Change> {
    let mut out = Vec::new();
    walk(
        &mut out,
        "",
        Some(&document(before)),
        Some(&document(after)),
    );
    out
}

/// The changes as text, one line per change:
///
/// ```text
/// ~ governance.sunset_months: 12 → 9
/// + tiers[3]: { name = "Elite", ... }
/// - tiers[1].benefits[2]: { kind = "lead_sharing", ... }
/// ```
///
/// or `No differences.` when there are none.
pub fn render(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "No differences.".to_owned();
    }
    let mut out = String::new();
    for (i, c) in changes.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = match (&c.before, &c.after) {
            (Some(b), Some(a)) => write!(out, "~ {}: {b} → {a}", c.key),
            (None, Some(a)) => write!(out, "+ {}: {a}", c.key),
            (Some(b), None) => write!(out, "- {}: {b}", c.key),
            (None, None) => write!(out, "~ {}", c.key),
        };
    }
    out
}

/// A policy as an ordered tree: tables keep their keys in declaration order.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Table(Vec<(String, Node)>),
    Array(Vec<Node>),
    Leaf(toml::Value),
}

/// The shape of a serialised value with its keys in serialisation order (read back from
/// JSON text, which keeps the order the serialiser wrote).
#[derive(Debug, Default)]
enum Shape {
    Table(Vec<(String, Shape)>),
    Array(Vec<Shape>),
    #[default]
    Leaf,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Leaf)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Leaf)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Leaf)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Leaf)
    }
    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Leaf)
    }
    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Leaf)
    }
    fn visit_none<E>(self) -> Result<Shape, E> {
        Ok(Shape::Leaf)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        Shape::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Shape>()? {
            items.push(item);
        }
        Ok(Shape::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Shape>()? {
            entries.push((key, value));
        }
        Ok(Shape::Table(entries))
    }
}

/// The policy as the document is stored: `registration.version` left out, keys in
/// declaration order.
fn document(policy: &ProgramPolicy) -> Node {
    let mut value =
        toml::Value::try_from(policy).unwrap_or_else(|_| toml::Value::Table(toml::Table::new()));
    if let Some(toml::Value::Table(r)) = value.get_mut("registration") {
        r.remove("version");
    }
    let shape = serde_json::to_string(policy)
        .ok()
        .and_then(|json| serde_json::from_str::<Shape>(&json).ok())
        .unwrap_or_default();
    ordered(&value, &shape)
}

fn ordered(value: &toml::Value, shape: &Shape) -> Node {
    match value {
        toml::Value::Table(table) => {
            let declared: &[(String, Shape)] = match shape {
                Shape::Table(entries) => entries,
                _ => &[],
            };
            let mut out: Vec<(String, Node)> = Vec::with_capacity(table.len());
            for (key, sub) in declared {
                if let Some(v) = table.get(key) {
                    out.push((key.clone(), ordered(v, sub)));
                }
            }
            for (key, v) in table {
                if !declared.iter().any(|(k, _)| k == key) {
                    out.push((key.clone(), ordered(v, &Shape::Leaf)));
                }
            }
            Node::Table(out)
        }
        toml::Value::Array(items) => {
            let shapes: &[Shape] = match shape {
                Shape::Array(s) => s,
                _ => &[],
            };
            Node::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| ordered(v, shapes.get(i).unwrap_or(&Shape::Leaf)))
                    .collect(),
            )
        }
        leaf => Node::Leaf(leaf.clone()),
    }
}

/// The keys of two tables in one order: `after`'s, with keys only `before` has placed right
/// after the key that precedes them in `before`.
fn merged_keys<'a>(before: &'a [(String, Node)], after: &'a [(String, Node)]) -> Vec<&'a str> {
    let mut keys: Vec<&str> = after.iter().map(|(k, _)| k.as_str()).collect();
    let mut insert_at = 0;
    for (key, _) in before {
        match keys.iter().position(|k| k == key) {
            Some(pos) => insert_at = pos + 1,
            None => {
                keys.insert(insert_at, key);
                insert_at += 1;
            }
        }
    }
    keys
}

fn child(parent: &str, key: &str) -> String {
    let key = if is_bare_key(key) {
        key.to_owned()
    } else {
        toml::Value::String(key.to_owned()).to_string()
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

fn walk(out: &mut Vec<Change>, path: &str, before: Option<&Node>, after: Option<&Node>) {
    match (before, after) {
        (None, None) => {}
        (Some(Node::Table(b)), Some(Node::Table(a))) => {
            for key in merged_keys(b, a) {
                walk(out, &child(path, key), get(b, key), get(a, key));
            }
        }
        (Some(Node::Array(b)), Some(Node::Array(a))) => {
            for i in 0..b.len().max(a.len()) {
                walk(out, &format!("{path}[{i}]"), b.get(i), a.get(i));
            }
        }
        (b, a) => {
            let before = b.map(inline);
            let after = a.map(inline);
            if before != after {
                out.push(Change {
                    key: path.to_owned(),
                    before,
                    after,
                });
            }
        }
    }
}

fn get<'a>(table: &'a [(String, Node)], key: &str) -> Option<&'a Node> {
    table.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// TOML inline text of a value, keys in document order.
fn inline(node: &Node) -> String {
    let mut s = String::new();
    write_inline(&mut s, node);
    s
}

fn write_inline(s: &mut String, node: &Node) {
    match node {
        Node::Leaf(v) => {
            let _ = write!(s, "{v}");
        }
        Node::Array(items) => {
            s.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_inline(s, item);
            }
            s.push(']');
        }
        Node::Table(entries) if entries.is_empty() => s.push_str("{}"),
        Node::Table(entries) => {
            s.push_str("{ ");
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(&child("", key));
                s.push_str(" = ");
                write_inline(s, value);
            }
            s.push_str(" }");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Criterion, Metric, TierRule};
    use crate::program::tier::{Benefit, BenefitKind};

    fn keys(changes: &[Change]) -> Vec<&str> {
        changes.iter().map(|c| c.key.as_str()).collect()
    }

    fn elite() -> TierRule {
        TierRule {
            name: "Elite".into(),
            description: None,
            criteria: vec![Criterion {
                metric: Metric::SourcedArr,
                at_least: 90_000_000,
            }],
            annual_quota_minor: 90_000_000,
            benefits: vec![Benefit {
                kind: BenefitKind::Margin,
                description: "Resale margin".into(),
                rate_bps: Some(3500),
            }],
        }
    }

    #[test]
    fn identical_policies_have_no_differences() {
        let p = ProgramPolicy::seed_default();
        assert_eq!(diff(&p, &p.clone()), Vec::<Change>::new());
        assert_eq!(render(&[]), "No differences.");
    }

    #[test]
    fn registration_version_is_ignored() {
        let p = ProgramPolicy::seed_default();
        let mut q = p.clone();
        q.registration.version = 7;
        assert_eq!(diff(&p, &q), Vec::<Change>::new());
    }

    #[test]
    fn changed_leaf() {
        let p = ProgramPolicy::seed_default();
        let mut q = p.clone();
        q.governance.sunset_months = 9;
        let changes = diff(&p, &q);
        assert_eq!(
            changes,
            vec![Change {
                key: "governance.sunset_months".into(),
                before: Some("12".into()),
                after: Some("9".into()),
            }]
        );
        assert_eq!(render(&changes), "~ governance.sunset_months: 12 → 9");
    }

    #[test]
    fn sunset_months_new_tier_and_edited_criterion() {
        let p = ProgramPolicy::seed_default();
        let mut q = p.clone();
        q.governance.sunset_months = 9;
        q.tiers.push(elite());
        q.tiers[1].criteria[0].at_least = 20_000_000;
        let changes = diff(&p, &q);
        // Document order: tiers first, then governance.
        assert_eq!(
            keys(&changes),
            vec![
                "tiers[1].criteria[0].at_least",
                "tiers[3]",
                "governance.sunset_months"
            ]
        );
        assert_eq!(changes[0].before.as_deref(), Some("10000000"));
        assert_eq!(changes[0].after.as_deref(), Some("20000000"));
        assert_eq!(changes[1].before, None);
        assert_eq!(
            changes[1].after.as_deref(),
            Some(
                "{ name = \"Elite\", criteria = [{ metric = \"sourced_arr\", at_least = \
                 90000000 }], annual_quota_minor = 90000000, benefits = [{ kind = \"margin\", \
                 description = \"Resale margin\", rate_bps = 3500 }] }"
            )
        );
        let text = render(&changes);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0],
            "~ tiers[1].criteria[0].at_least: 10000000 → 20000000"
        );
        assert!(
            lines[1].starts_with("+ tiers[3]: { name = \"Elite\", "),
            "{}",
            lines[1]
        );
        assert_eq!(lines[2], "~ governance.sunset_months: 12 → 9");
    }

    #[test]
    fn removed_elements_and_optional_keys() {
        let p = ProgramPolicy::seed_default();
        let mut q = p.clone();
        q.tiers[2].benefits.remove(2);
        q.tiers[0].description = None;
        q.tiers[1].benefits[1].rate_bps = Some(100);
        let changes = diff(&p, &q);
        assert_eq!(
            keys(&changes),
            vec![
                "tiers[0].description",
                "tiers[1].benefits[1].rate_bps",
                "tiers[2].benefits[2]",
            ]
        );
        assert_eq!(changes[0].marker(), '-');
        assert_eq!(changes[1].marker(), '+');
        assert_eq!(changes[2].marker(), '-');
        assert_eq!(
            changes[2].before.as_deref(),
            Some("{ kind = \"lead_sharing\", description = \"Priority co-sell leads\" }")
        );
        assert_eq!(
            render(&changes).lines().last(),
            Some(
                "- tiers[2].benefits[2]: { kind = \"lead_sharing\", description = \"Priority \
                 co-sell leads\" }"
            )
        );
        // And back: the removed description comes back in its place.
        let back = diff(&q, &p);
        assert_eq!(keys(&back), keys(&changes));
        assert_eq!(back[0].marker(), '+');
    }

    #[test]
    fn nested_paths_and_strings_are_quoted() {
        let p = ProgramPolicy::seed_default();
        let mut q = p.clone();
        q.onboarding.templates[0].items[2].label = "Invite \"everyone\"".into();
        q.registration.escalation_levels.push("CEO".into());
        q.fit.weights.countries = 12.5;
        let changes = diff(&p, &q);
        assert_eq!(
            keys(&changes),
            vec![
                "registration.escalation_levels[3]",
                "fit.weights.countries",
                "onboarding.templates[0].items[2].label",
            ]
        );
        assert_eq!(changes[0].after.as_deref(), Some("\"CEO\""));
        assert_eq!(changes[1].before.as_deref(), Some("10.0"));
        assert_eq!(changes[1].after.as_deref(), Some("12.5"));
        assert_eq!(
            changes[2].before.as_deref(),
            Some("\"Portal users invited\"")
        );
        // Whatever quoting TOML picks, the text parses back to the new label.
        let v: toml::Value =
            toml::from_str(&format!("x = {}", changes[2].after.as_deref().unwrap())).unwrap();
        assert_eq!(v["x"].as_str(), Some("Invite \"everyone\""));
    }

    #[test]
    fn emptied_arrays_report_each_removed_element() {
        let p = ProgramPolicy::seed_default();
        let mut q = p.clone();
        q.tiers[1].criteria.clear();
        let changes = diff(&p, &q);
        assert_eq!(
            keys(&changes),
            vec!["tiers[1].criteria[0]", "tiers[1].criteria[1]"]
        );
        assert_eq!(
            changes[0].before.as_deref(),
            Some("{ metric = \"sourced_arr\", at_least = 10000000 }")
        );
    }

    #[test]
    fn merged_keys_keep_both_orders() {
        let n = |keys: &[&str]| -> Vec<(String, Node)> {
            keys.iter()
                .map(|k| ((*k).to_owned(), Node::Leaf(toml::Value::Integer(0))))
                .collect()
        };
        assert_eq!(
            merged_keys(&n(&["a", "b", "d"]), &n(&["a", "c", "d"])),
            vec!["a", "b", "c", "d"]
        );
        assert_eq!(
            merged_keys(&n(&["x", "a"]), &n(&["a", "y"])),
            vec!["x", "a", "y"]
        );
    }
}
