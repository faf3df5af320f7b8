//! Generates the client from `openapi.json` (the document the server serves, committed;
//! `partnerops openapi > crates/client/openapi.json` refreshes it) into
//! `$OUT_DIR/client.rs`.
//!
//! Our server writes OpenAPI 3.1 (utoipa); progenitor reads only 3.0 (the `openapiv3`
//! crate), and its maintainers suggest downgrading a 3.1 document (progenitor issue #762).
//! So the document is downgraded here, in memory, and nothing of what the API says is lost
//! for what it uses:
//!
//! - `type: [T, "null"]` and `oneOf: [{type: null}, S]` become `T`/`S` with `nullable: true`
//!   (a `$ref` goes under `allOf`, its description beside it, as 3.0 ignores a `$ref`'s
//!   siblings);
//! - `const` becomes a one-value `enum`, `examples` the first `example`, a numeric
//!   `exclusiveMinimum`/`exclusiveMaximum` the 3.0 boolean beside `minimum`/`maximum`;
//! - `license.identifier` goes (the SPDX name is also the license's `name`), and so does
//!   `propertyNames` (ours only say a JSON object's keys are strings, which they always are).
//!
//! Any other 3.1-only keyword fails the build, so that nothing is dropped silently.
//!
//! Four adaptations to progenitor itself, not to 3.0:
//!
//! - An inline object schema identical to a component (utoipa inlines the item type of a
//!   generic `Page<T>`) becomes a `$ref` to it, so a page of partners holds `Partner`s
//!   instead of a copy of that type per list.
//! - Operation ids are unique per tag in our document (`partners` `list`, `accounts`
//!   `list`), as the Python client reads them; progenitor wants them unique, so each method is
//!   named `<tag>_<operationId>`: `partners_list`, `business_plans_attainment`.
//! - Problem documents (`application/problem+json`) are read as JSON, so an error answer is
//!   a typed `types::Problem` instead of raw bytes.
//! - CSV bodies (`text/csv`) are declared `text/plain`, the text type progenitor takes, and
//!   `lib.rs` puts `text/csv` back on the request (`csv_content_type`).
//!
//! Left out, because progenitor 0.11 cannot send `multipart/form-data`:
//! `POST /api/v1/files` (`files` `upload`).

// A build script that cannot generate the client stops the build with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

use serde_json::{Map, Value};

/// Operations the generator cannot express, as (method, path).
const LEFT_OUT: &[(&str, &str)] = &[("post", "/api/v1/files")];

/// JSON Schema keywords of 3.1 that 3.0 does not have and that we do not translate.
const UNTRANSLATED: &[&str] = &[
    "prefixItems",
    "$defs",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "if",
    "then",
    "else",
    "contains",
    "patternProperties",
    "contentSchema",
    "contentMediaType",
    "contentEncoding",
    "$dynamicRef",
];

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let src = Path::new(&manifest).join("openapi.json");
    println!("cargo:rerun-if-changed={}", src.display());
    let text = std::fs::read_to_string(&src).expect("read openapi.json");
    let mut doc: Value = serde_json::from_str(&text).expect("openapi.json is JSON");
    reuse_components(&mut doc);
    downgrade(&mut doc);
    adapt_for_progenitor(&mut doc);
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(doc).expect("the downgraded document is OpenAPI 3.0");

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_pre_hook_async(
            "crate::csv_content_type"
                .parse::<proc_macro2::TokenStream>()
                .expect("hook path"),
        );
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor cannot generate the client: {e}"));
    let file: syn::File = syn::parse2(tokens).expect("generated code parses");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("client.rs");
    std::fs::write(out, prettyplease::unparse(&file)).expect("write client.rs");
}

/// Replaces inline object schemas that are exact copies of a component by a `$ref`.
fn reuse_components(doc: &mut Value) {
    let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") else {
        return;
    };
    let by_text: std::collections::HashMap<String, String> = schemas
        .iter()
        .filter(|(_, s)| is_object_schema(s))
        .map(|(name, s)| (canonical(s), format!("#/components/schemas/{name}")))
        .collect();
    fn replace(v: &mut Value, by_text: &std::collections::HashMap<String, String>) {
        if is_object_schema(v)
            && let Some(reference) = by_text.get(&canonical(v))
        {
            *v = serde_json::json!({ "$ref": reference });
            return;
        }
        match v {
            Value::Object(map) => map.values_mut().for_each(|c| replace(c, by_text)),
            Value::Array(items) => items.iter_mut().for_each(|c| replace(c, by_text)),
            _ => {}
        }
    }
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        // Inside each component, not the component itself.
        for s in schemas.values_mut() {
            if let Value::Object(map) = s {
                map.values_mut().for_each(|c| replace(c, &by_text));
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths") {
        replace(paths, &by_text);
    }
}

fn is_object_schema(v: &Value) -> bool {
    v.get("type").is_some_and(|t| t == "object") && v.get("properties").is_some()
}

/// `v` as JSON text with its keys sorted, so equal schemas have equal text.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::from(k.as_str()), canonical(&map[*k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// OpenAPI 3.1 to 3.0, as described at the top of this file.
fn downgrade(doc: &mut Value) {
    doc["openapi"] = Value::from("3.0.3");
    for at in ["/jsonSchemaDialect", "/webhooks", "/components/pathItems"] {
        assert!(doc.pointer(at).is_none(), "3.1 `{at}` has no 3.0 form");
    }
    if let Some(info) = doc.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.values_mut().for_each(schema);
    }
    if let Some(paths) = doc.get_mut("paths") {
        schemas_under(paths);
    }
}

/// Downgrades every `schema` below `v` (parameters, request bodies, responses, headers).
fn schemas_under(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "schema" {
                    schema(child);
                } else {
                    schemas_under(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(schemas_under),
        _ => {}
    }
}

/// Downgrades one schema and the schemas in it.
fn schema(v: &mut Value) {
    let Value::Object(s) = v else { return };
    if s.contains_key("$ref") {
        return;
    }
    for key in UNTRANSLATED {
        assert!(
            !s.contains_key(*key),
            "3.1 `{key}` has no 3.0 form here: {}",
            Value::Object(s.clone())
        );
    }
    if let Some(Value::Array(types)) = s.get("type").cloned() {
        let mut types: Vec<Value> = types;
        let before = types.len();
        types.retain(|t| t != "null");
        if types.len() < before {
            s.insert("nullable".into(), Value::Bool(true));
        }
        match types.as_slice() {
            [one] => {
                s.insert("type".into(), one.clone());
            }
            _ => panic!("a type list 3.0 cannot express: {types:?}"),
        }
    }
    for union in ["oneOf", "anyOf"] {
        nullable_union(s, union);
    }
    if let Some(value) = s.remove("const") {
        s.insert("enum".into(), Value::Array(vec![value]));
    }
    if let Some(examples) = s.remove("examples")
        && let Some(first) = examples.as_array().and_then(|e| e.first())
    {
        s.entry("example").or_insert_with(|| first.clone());
    }
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(n) = s.get(exclusive).filter(|n| n.is_number()).cloned() {
            s.insert(bound.into(), n);
            s.insert(exclusive.into(), Value::Bool(true));
        }
    }
    s.remove("propertyNames");
    if let Some(Value::Object(props)) = s.get_mut("properties") {
        props.values_mut().for_each(schema);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = s.get_mut(key) {
            schema(child);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = s.get_mut(key) {
            branches.iter_mut().for_each(schema);
        }
    }
}

/// `oneOf`/`anyOf` with a `{"type": "null"}` branch: the other branch, nullable.
fn nullable_union(s: &mut Map<String, Value>, union: &str) {
    let Some(Value::Array(branches)) = s.get(union) else {
        return;
    };
    let is_null = |b: &Value| b.get("type").is_some_and(|t| t == "null");
    if !branches.iter().any(is_null) {
        return;
    }
    let rest: Vec<Value> = branches.iter().filter(|b| !is_null(b)).cloned().collect();
    s.insert("nullable".into(), Value::Bool(true));
    match rest.as_slice() {
        [Value::Object(one)] if one.contains_key("$ref") => {
            s.remove(union);
            let mut reference = Map::new();
            for (k, v) in one {
                if k == "$ref" {
                    reference.insert(k.clone(), v.clone());
                } else {
                    s.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            s.insert("allOf".into(), Value::Array(vec![Value::Object(reference)]));
        }
        [Value::Object(one)] => {
            s.remove(union);
            for (k, v) in one {
                s.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        _ => {
            s.insert(union.into(), Value::Array(rest));
        }
    }
}

/// What progenitor needs beyond 3.0, as described at the top of this file.
fn adapt_for_progenitor(doc: &mut Value) {
    let paths = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .expect("paths");
    for (method, path) in LEFT_OUT {
        let item = paths
            .get_mut(*path)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("{path} is no longer in the document: update LEFT_OUT"));
        assert!(
            item.remove(*method).is_some(),
            "{method} {path} is no longer in the document: update LEFT_OUT"
        );
    }
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            if !op.contains_key("responses") {
                continue;
            }
            let tag = op
                .get("tags")
                .and_then(|t| t.get(0))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{method} {path} has no tag"))
                .replace(' ', "_");
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            let id = format!("{tag}_{id}");
            op.insert("operationId".into(), Value::String(id));
            if let Some(content) = op
                .get_mut("requestBody")
                .and_then(|b| b.get_mut("content"))
                .and_then(Value::as_object_mut)
            {
                assert!(
                    !content.contains_key("text/plain"),
                    "{method} {path} takes text/plain, which csv_content_type would send as text/csv"
                );
                if let Some(csv) = content.remove("text/csv") {
                    content.insert("text/plain".into(), csv);
                }
            }
            if let Some(Value::Object(responses)) = op.get_mut("responses") {
                for response in responses.values_mut() {
                    if let Some(Value::Object(content)) = response.get_mut("content")
                        && let Some(problem) = content.remove("application/problem+json")
                    {
                        content.insert("application/json".into(), problem);
                    }
                }
            }
        }
    }
}
