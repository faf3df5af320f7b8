//! The OpenAPI document against the routes and the answers: every route is documented,
//! every documented route exists and is covered by the isolation suite; enums are
//! documented in their wire spelling, errors as `application/problem+json`, and real
//! answers validate against the document's own schemas.

use std::collections::BTreeSet;

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Db, TestApp, spawn};
use crate::isolation::api::{Expect, deals, governed, routes};
use crate::on_both;

on_both!(answers_match_the_documented_schemas);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_documented_and_covered() {
    let app = spawn(Db::Sqlite).await;
    let doc = app
        .http
        .send(
            hyper::Method::GET,
            "/api/v1/openapi.json",
            &[],
            Default::default(),
        )
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // Public forms (no sign-in: the application form, accepting an invitation) never answer
    // 401, so they document no bearer requirement and no 401.
    let anonymous: BTreeSet<(String, String)> = routes()
        .iter()
        .filter(|r| matches!(r.expect, Expect::PublicForm | Expect::TokenOnly))
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
                assert!(
                    op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{method} {path} documents its responses"
                );
                if anonymous.contains(&(method.to_uppercase(), path.clone())) {
                    assert!(
                        op["security"].is_null() && op["responses"]["401"].is_null(),
                        "{method} {path} is public and documents no authentication"
                    );
                } else if path != "/api/v1/openapi.json" {
                    assert!(
                        op["security"].is_array(),
                        "{method} {path} documents its authentication"
                    );
                    assert!(
                        op["responses"]["401"].is_object(),
                        "{method} {path} documents 401"
                    );
                }
            }
        }
    }
    let covered: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let missing_from_suite: Vec<_> = documented.difference(&covered).collect();
    let missing_from_doc: Vec<_> = covered.difference(&documented).collect();
    assert!(
        missing_from_suite.is_empty(),
        "routes without an isolation check: {missing_from_suite:?}"
    );
    assert!(
        missing_from_doc.is_empty(),
        "routes missing from the OpenAPI document: {missing_from_doc:?}"
    );

    // Every documented route is served (not the router's fallback), even unauthenticated.
    for (method, path) in &documented {
        let path = path.replace("{id}", "x");
        let r = app
            .http
            .send(method.parse().unwrap(), &path, &[], Default::default())
            .await;
        assert_ne!(
            r.json()["type"],
            "https://partnerops.dev/problems/no-route",
            "{method} {path} is documented but not routed"
        );
    }
    // And a route that is not documented is not served.
    let r = app
        .http
        .send(
            hyper::Method::GET,
            "/api/v1/secrets",
            &[],
            Default::default(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["type"], "https://partnerops.dev/problems/no-route");
    // The document is also what the web crate hands out in-process.
    assert_eq!(
        partnerops_web::openapi().paths.paths.len(),
        doc["paths"].as_object().unwrap().len()
    );
}

/// The document as JSON, as the web crate builds it.
fn document() -> Value {
    serde_json::to_value(partnerops_web::openapi()).unwrap()
}

/// The documented path template a concrete path answers to: the one whose segments all
/// match, literal segments preferred over placeholders (`/registrations/check` before
/// `/registrations/{id}`).
fn template_of<'d>(doc: &'d Value, path: &str) -> Option<&'d str> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .keys()
        .filter_map(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            if ts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (a, b) in ts.iter().zip(&segments) {
                if a.starts_with('{') {
                    continue;
                }
                if a != b {
                    return None;
                }
                literal += 1;
            }
            Some((literal, t.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// Asserts that an answer of the API conforms to the document (see [`conformance`]).
/// Answers of paths the document does not describe (no such route) are not checked.
pub fn assert_conforms(method: &Method, path: &str, answer: &crate::http::Answer) {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    if !path.starts_with("/api/v1/") {
        return;
    }
    let doc = DOC.get_or_init(document);
    let Some(template) = template_of(doc, path) else {
        return;
    };
    if doc["paths"][template][method.as_str().to_lowercase()].is_null() {
        return;
    }
    let failures = conformance(doc, method, template, answer);
    assert!(
        failures.is_empty(),
        "{method} {path}: the answer breaks the OpenAPI document:\n{}",
        failures.join("\n")
    );
}

/// Asserts that the document's schema named `T::name()` is a string enum listing exactly
/// the serde spellings of `values`.
fn assert_wire_enum<T: utoipa::ToSchema + serde::Serialize>(doc: &Value, values: &[T]) {
    let name = T::name();
    let schema = &doc["components"]["schemas"][name.as_ref()];
    if schema.is_null() {
        // Not reachable from any route: nothing is documented, so nothing can be wrong.
        return;
    }
    let documented: BTreeSet<String> = schema["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} is documented as an enum: {schema}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let wire: BTreeSet<String> = values
        .iter()
        .map(|v| {
            serde_json::to_value(v)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        documented, wire,
        "{name}: documented values are the wire spellings"
    );
}

#[test]
fn enums_are_documented_in_their_wire_spelling() {
    use partnerops_core::account::AccountStatus;
    use partnerops_core::audit::{AuditAction, EntityKind};
    use partnerops_core::country::Region;
    use partnerops_core::lifecycle::application::ApplicationStatus;
    use partnerops_core::lifecycle::fit::FitMethod;
    use partnerops_core::lifecycle::tiering::TierRule;
    use partnerops_core::partner::{PartnerStatus, PartnerType};
    use partnerops_core::partnership::charter::{CommitmentKind, Side, SignatureState};
    use partnerops_core::partnership::leverage::{LeverageType, Recommendation};
    use partnerops_core::partnership::phases::{GateDecision, Phase};
    use partnerops_core::partnership::record::CharterStatus;
    use partnerops_core::policy::record::DraftStatus;
    use partnerops_core::policy::{Metric, Signal};
    use partnerops_core::program::ProgramKind;
    use partnerops_core::registration::{
        ActivityKind, ConflictOpener, ConflictOutcome, ConflictStatus, EngagementStatus,
        RegistrationStatus,
    };
    use partnerops_core::tier::BenefitKind;
    use partnerops_core::user::Role;

    let doc = document();
    assert_wire_enum(&doc, RegistrationStatus::ALL);
    assert_wire_enum(&doc, ActivityKind::ALL);
    assert_wire_enum(&doc, EngagementStatus::ALL);
    assert_wire_enum(&doc, ConflictOpener::ALL);
    assert_wire_enum(&doc, ConflictStatus::ALL);
    assert_wire_enum(&doc, ConflictOutcome::ALL);
    assert_wire_enum(&doc, DraftStatus::ALL);
    assert_wire_enum(&doc, Metric::ALL);
    assert_wire_enum(&doc, Signal::ALL);
    assert_wire_enum(&doc, Region::ALL);
    assert_wire_enum(&doc, EntityKind::ALL);
    assert_wire_enum(&doc, AuditAction::ALL);
    assert_wire_enum(&doc, AccountStatus::ALL);
    assert_wire_enum(&doc, ProgramKind::ALL);
    assert_wire_enum(&doc, BenefitKind::ALL);
    assert_wire_enum(&doc, PartnerType::ALL);
    assert_wire_enum(&doc, PartnerStatus::ALL);
    assert_wire_enum(&doc, Role::ALL);
    assert_wire_enum(&doc, CommitmentKind::ALL);
    assert_wire_enum(&doc, Side::ALL);
    assert_wire_enum(&doc, SignatureState::ALL);
    assert_wire_enum(&doc, CharterStatus::ALL);
    assert_wire_enum(&doc, Phase::ALL);
    assert_wire_enum(&doc, GateDecision::ALL);
    assert_wire_enum(&doc, LeverageType::ALL);
    assert_wire_enum(&doc, Recommendation::ALL);
    assert_wire_enum(&doc, FitMethod::ALL);
    assert_wire_enum(&doc, ApplicationStatus::ALL);
    // Token scopes.
    {
        use partnerops_core::token::{TokenAccess, TokenCapability};
        assert_wire_enum(&doc, TokenCapability::ALL);
        assert_wire_enum(&doc, TokenAccess::ALL);
    }
    // Launch checklists.
    {
        use partnerops_core::launch::{LaunchPhase, LaunchTaskStatus, OwnerSide};
        assert_wire_enum(&doc, LaunchPhase::ALL);
        assert_wire_enum(&doc, OwnerSide::ALL);
        assert_wire_enum(&doc, LaunchTaskStatus::ALL);
    }
    {
        use partnerops_core::business_plan::attainment::QuarterState;
        use partnerops_core::business_plan::record::{
            MarketingKind, PlanActivityKind, PlanStatus, ReviewKind,
        };
        use partnerops_core::pipeline::record::{MarketplaceKind, OpportunitySource, RouteKind};
        use partnerops_core::pipeline::room::{NoteVisibility, TaskStatus, TimelineKind};
        use partnerops_core::pipeline::touchpoint::TouchpointKind;
        assert_wire_enum(&doc, OpportunitySource::ALL);
        assert_wire_enum(&doc, RouteKind::ALL);
        assert_wire_enum(&doc, MarketplaceKind::ALL);
        assert_wire_enum(&doc, TouchpointKind::ALL);
        assert_wire_enum(&doc, NoteVisibility::ALL);
        assert_wire_enum(&doc, TaskStatus::ALL);
        assert_wire_enum(&doc, TimelineKind::ALL);
        assert_wire_enum(&doc, PlanStatus::ALL);
        assert_wire_enum(&doc, PlanActivityKind::ALL);
        assert_wire_enum(&doc, MarketingKind::ALL);
        assert_wire_enum(&doc, ReviewKind::ALL);
        assert_wire_enum(&doc, QuarterState::ALL);
    }
    // Derived with `rename_all`, no `ALL`: every variant by hand.
    assert_wire_enum(
        &doc,
        &[
            TierRule::Upgrade,
            TierRule::Keep,
            TierRule::AnnualReviewDowngrade,
            TierRule::AnnualReviewKeep,
            TierRule::Sunset,
        ],
    );
    // The roles the schemathesis run tripped over, spelled out.
    let roles = &doc["components"]["schemas"]["Role"]["enum"];
    assert!(
        roles.as_array().unwrap().contains(&json!("admin")),
        "{roles}"
    );
}

#[test]
fn error_answers_are_documented_as_problem_documents() {
    let doc = document();
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            for (status, response) in responses {
                if status.parse::<u16>().is_ok_and(|s| s >= 400) {
                    let types: Vec<&String> = response["content"]
                        .as_object()
                        .map(|c| c.keys().collect())
                        .unwrap_or_default();
                    if types != ["application/problem+json"] {
                        wrong.push(format!("{method} {path} {status}: {types:?}"));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "errors not documented as problem+json: {wrong:#?}"
    );
}

#[test]
fn required_input_fields_are_documented_as_required() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    for (schema, fields) in [
        ("ProgramInput", &["name", "kind"][..]),
        ("NewTokenInput", &["name"]),
        ("PolicyInput", &["document"]),
        (
            "ApplicationInput",
            &[
                "program_id",
                "company",
                "web_domain",
                "partner_type",
                "country",
                "employees",
                "target_customers",
                "certified_staff",
                "contact_name",
                "contact_email",
            ],
        ),
    ] {
        let required = &schemas[schema]["required"];
        for field in fields {
            assert!(
                required
                    .as_array()
                    .is_some_and(|r| r.contains(&json!(field))),
                "{schema}.{field} is documented as required: {required}"
            );
            let ty = &schemas[schema]["properties"][field]["type"];
            assert!(
                !ty.as_array().is_some_and(|t| t.contains(&json!("null"))),
                "{schema}.{field} is not documented as nullable: {ty}"
            );
        }
    }
}

/// Checks one answer against the document: its status is documented for the operation,
/// its content type is the documented one, and its body validates against the documented
/// schema (`$ref`s resolved in the document's components). Returns what is wrong.
fn conformance(
    doc: &Value,
    method: &Method,
    template: &str,
    r: &crate::http::Answer,
) -> Vec<String> {
    let at = format!("{method} {template} → {}", r.status.as_u16());
    let op = &doc["paths"][template][method.as_str().to_lowercase()];
    if op.is_null() {
        return vec![format!("{at}: operation not documented")];
    }
    let response = &op["responses"][r.status.as_str()];
    if response.is_null() {
        return vec![format!("{at}: status not documented")];
    }
    let Some(content) = response["content"].as_object() else {
        return Vec::new();
    };
    let ct = r.header("content-type").unwrap_or_default();
    let ct = ct.split(';').next().unwrap_or_default().trim().to_owned();
    let Some(media) = content.get(&ct) else {
        return vec![format!(
            "{at}: content type {ct} not documented (documented: {:?})",
            content.keys().collect::<Vec<_>>()
        )];
    };
    let Some(schema) = media["schema"].as_object() else {
        return Vec::new();
    };
    // The operation's schema as the root, with the document's components beside it so
    // that `#/components/schemas/...` resolves.
    let mut root = schema.clone();
    root.insert("components".into(), doc["components"].clone());
    let validator = match jsonschema::validator_for(&Value::Object(root)) {
        Ok(v) => v,
        Err(e) => return vec![format!("{at}: schema does not compile: {e}")],
    };
    // A CSV (or other text) answer is a string to its schema.
    let body: Value = if ct == "application/json" || ct.ends_with("+json") {
        serde_json::from_slice(&r.body).unwrap_or(Value::Null)
    } else {
        Value::String(r.text())
    };
    validator
        .iter_errors(&body)
        .map(|e| format!("{at}: at {}: {e}", e.instance_path()))
        .collect()
}

/// Fills a path template's `{…}` placeholders with `args`, in order.
fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = template;
    let mut args = args.iter();
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').unwrap() + open;
        out.push_str(&rest[..open]);
        out.push_str(args.next().expect("an argument per placeholder"));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// One API call of the conformance test: token, method, path template, the template's
/// arguments and the body.
type Call<'a> = (
    Option<&'a str>,
    Method,
    &'a str,
    Vec<&'a str>,
    Option<Value>,
);

async fn answers_match_the_documented_schemas(app: TestApp) {
    let doc = document();
    let w = app.world().await;
    let d = deals(
        &app,
        &w,
        &w.a,
        json!({"name": "Initrode", "web_domain": "initrode.example", "country": "DE"}),
    )
    .await;
    let g = governed(&app, &w).await;
    let program = w.program.id.to_string();
    let other = w.other_program.id.to_string();
    let partner = w.a.partner.id.to_string();
    let account = w.account.id.to_string();
    let user = w.a.rep.id.to_string();
    let tiers = app
        .http
        .get(&format!("/api/v1/programs/{program}/tiers"), &w.admin)
        .await
        .json();
    let tier = tiers["items"][0]["id"]
        .as_str()
        .or_else(|| tiers[0]["id"].as_str())
        .unwrap()
        .to_owned();

    let vendor = w.admin.as_str();
    let partner_admin = w.a.admin_token.as_str();
    // (token, method, template, path arguments, body)
    let calls: Vec<Call> = vec![
        (Some(vendor), Method::GET, "/api/v1/me", vec![], None),
        (Some(partner_admin), Method::GET, "/api/v1/me", vec![], None),
        (Some(vendor), Method::GET, "/api/v1/programs", vec![], None),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}",
            vec![&program],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/audit",
            vec![&program],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/tiers",
            vec![&program],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/tiers/{id}",
            vec![&tier],
            None,
        ),
        (Some(vendor), Method::GET, "/api/v1/partners", vec![], None),
        (
            Some(partner_admin),
            Method::GET,
            "/api/v1/partners",
            vec![],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/partners/{id}",
            vec![&partner],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/partners/{id}/audit",
            vec![&partner],
            None,
        ),
        (Some(vendor), Method::GET, "/api/v1/accounts", vec![], None),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/accounts/{id}",
            vec![&account],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/accounts/{id}/registrations",
            vec![&account],
            None,
        ),
        (Some(vendor), Method::GET, "/api/v1/users", vec![], None),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/users/{id}",
            vec![&user],
            None,
        ),
        (Some(vendor), Method::GET, "/api/v1/tokens", vec![], None),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/registration-policy",
            vec![&program],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/registrations",
            vec![],
            None,
        ),
        (
            Some(partner_admin),
            Method::GET,
            "/api/v1/registrations",
            vec![],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/registrations/{id}",
            vec![&d.registration],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/registrations/{id}/decisions",
            vec![&d.registration],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/registrations/{id}/activities",
            vec![&d.registration],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/registrations/{id}/audit",
            vec![&d.registration],
            None,
        ),
        (
            Some(vendor),
            Method::POST,
            "/api/v1/registrations/check",
            vec![],
            Some(json!({"web_domain": "alpha-customer.example"})),
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/engagement-requests",
            vec![],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/engagement-requests/{id}",
            vec![&d.engagement],
            None,
        ),
        (Some(vendor), Method::GET, "/api/v1/conflicts", vec![], None),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/conflicts/{id}",
            vec![&d.conflict],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/conflicts/{id}/comments",
            vec![&d.conflict],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/conflicts/{id}/decisions",
            vec![&d.conflict],
            None,
        ),
        (Some(vendor), Method::GET, "/api/v1/charters", vec![], None),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/charters/{id}",
            vec![&d.charter],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/charters/{id}/gate-reviews",
            vec![&d.charter],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/charters/{id}/decisions",
            vec![&d.charter],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/charters/{id}/operating-model",
            vec![&d.charter],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/decision-trees",
            vec![],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/policy",
            vec![&program],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/policy/versions",
            vec![&program],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/policy/versions/{version}",
            vec![&program, "1"],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/policy/drafts",
            vec![&other],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/policy-drafts/{id}",
            vec![&g.draft],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/applications",
            vec![],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/applications/{id}",
            vec![&g.application],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/partners/{id}/onboarding",
            vec![&partner],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/partners/{id}/tier-standing",
            vec![&partner],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/partners/{id}/decisions",
            vec![&partner],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/activation",
            vec![&program],
            None,
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/council",
            vec![&other],
            None,
        ),
        // Error answers: 401, 404, 409, 422, and a path parameter that does not parse.
        (None, Method::GET, "/api/v1/programs", vec![], None),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}",
            vec!["prg_missing"],
            None,
        ),
        (
            Some(vendor),
            Method::POST,
            "/api/v1/registrations/{id}/approve",
            vec![&d.registration],
            Some(json!({})),
        ),
        (
            Some(vendor),
            Method::POST,
            "/api/v1/programs",
            vec![],
            Some(json!({})),
        ),
        (
            Some(vendor),
            Method::GET,
            "/api/v1/programs/{id}/policy/versions/{version}",
            vec![&program, "9223372036854775808"],
            None,
        ),
    ];
    let mut statuses = BTreeSet::new();
    let mut failures = Vec::new();
    for (token, method, template, args, body) in &calls {
        let path = fill(template, args);
        let r = app
            .http
            .api(method.clone(), &path, *token, body.as_ref())
            .await;
        statuses.insert(r.status.as_u16());
        failures.extend(conformance(&doc, method, template, &r));
    }
    assert!(
        failures.is_empty(),
        "answers that break the document:\n{}",
        failures.join("\n")
    );
    // The check itself can fail: the caller with its role in Rust's spelling does not
    // validate, and the failure names the path and the JSON pointer.
    let mut me = app.http.get("/api/v1/me", vendor).await;
    let mut body = me.json();
    body["role"] = json!("Admin");
    me.body = serde_json::to_vec(&body).unwrap().into();
    let caught = conformance(&doc, &Method::GET, "/api/v1/me", &me);
    assert!(
        caught
            .iter()
            .any(|f| f.contains("/api/v1/me") && f.contains("/role")),
        "{caught:?}"
    );
    for status in [200, 401, 404, 409, 422] {
        assert!(
            statuses.contains(&status),
            "the calls cover status {status}: {statuses:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_parameter_that_does_not_parse_is_a_problem_document() {
    let app = spawn(Db::Sqlite).await;
    let w = app.world().await;
    let program = w.program.id.to_string();
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions/9223372036854775808"),
            &w.admin,
        )
        .await;
    assert!(
        [StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND].contains(&r.status),
        "{} {}",
        r.status,
        r.text()
    );
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let problem = r.json();
    assert_eq!(problem["errors"][0]["field"], "version", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("version"),
        "{problem}"
    );
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{program}/policy/versions/x"),
            &w.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["field"], "version");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_is_a_problem_document() {
    let app = spawn(Db::Sqlite).await;
    let w = app.world().await;
    let auth = format!("Bearer {}", w.admin);
    // `/api/v1/programs` answers GET and POST, not DELETE.
    let r = app
        .http
        .send(
            hyper::Method::DELETE,
            "/api/v1/programs",
            &[("authorization", auth.as_str())],
            Default::default(),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text());
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(
        r.json()["type"],
        "https://partnerops.dev/problems/method-not-allowed"
    );
}

#[test]
fn answers_the_extractors_can_give_are_documented() {
    // A path parameter that does not parse is a 404 (`extract::Path`); a query string or
    // a body that does not parse is a 422 (`extract::Query`, `extract::Json`).
    let doc = document();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let takes = |place: &str| params.iter().any(|p| p["in"] == place);
            let responses = &op["responses"];
            if takes("path") && responses["404"].is_null() {
                missing.push(format!("{method} {path}: 404"));
            }
            if (takes("query") || !op["requestBody"].is_null()) && responses["422"].is_null() {
                missing.push(format!("{method} {path}: 422"));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented answers: {missing:#?}");
}

#[test]
fn a_patch_body_requires_nothing() {
    // `ProgramInput` requires a name and a kind to create, none to change.
    let doc = document();
    let op = &doc["paths"]["/api/v1/programs/{id}"]["patch"];
    let schema = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    let name = schema.as_str().unwrap().rsplit('/').next().unwrap();
    let patch = &doc["components"]["schemas"][name];
    assert!(patch["properties"]["name"].is_object(), "{patch}");
    assert!(
        patch["required"].as_array().is_none_or(|r| r.is_empty()),
        "{patch}"
    );
    let create = &doc["paths"]["/api/v1/programs"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(create, "#/components/schemas/ProgramInput");
}

#[test]
fn every_api_answer_is_checked_against_its_template() {
    // `Http::api` checks each answer against the operation `template_of` finds.
    let doc = document();
    for (path, template) in [
        ("/api/v1/registrations/check", "/api/v1/registrations/check"),
        ("/api/v1/registrations/reg_1", "/api/v1/registrations/{id}"),
        (
            "/api/v1/programs/prg_1/policy/versions/2?x=1",
            "/api/v1/programs/{id}/policy/versions/{version}",
        ),
        ("/api/v1/programs?kind=reseller", "/api/v1/programs"),
    ] {
        assert_eq!(template_of(&doc, path), Some(template), "{path}");
    }
    assert_eq!(template_of(&doc, "/api/v1/secrets/x/y/z"), None);
}
