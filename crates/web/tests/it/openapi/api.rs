//! The OpenAPI document against the routes: every route is documented, every documented
//! route exists, and every route is covered by the isolation suite.

use std::collections::BTreeSet;

use hyper::StatusCode;

use crate::harness::{Db, spawn};
use crate::isolation::api::{Expect, routes};

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
