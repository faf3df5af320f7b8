//! TEMPORARY stand-in for `partnerops_web::ui_routes()`, which another branch adds to
//! crates/web/src/lib.rs (the route list read from the UI router itself). This copy was made
//! by hand from the `.route(...)` calls in crates/web/src/ui/*.rs so that `ui.rs` compiles
//! and runs before that merge. After the merge: delete this file, its `mod` line in
//! `isolation/mod.rs`, and switch the import in `ui.rs` to `partnerops_web::ui_routes`.

use axum::http::Method;

/// Every (method, path template) the UI router serves, as registered: not `/api/v1/...`,
/// `/healthz`, `/metrics` or `/static/{file}`.
pub fn ui_routes() -> Vec<(Method, &'static str)> {
    let get = Method::GET;
    let post = Method::POST;
    vec![
        // ui/mod.rs
        (get.clone(), "/"),
        (get.clone(), "/login"),
        (post.clone(), "/login"),
        (post.clone(), "/logout"),
        // ui/console.rs
        (get.clone(), "/console"),
        (get.clone(), "/console/partners"),
        (post.clone(), "/console/partners"),
        (get.clone(), "/console/partners/new"),
        (get.clone(), "/console/partners/{id}"),
        (post.clone(), "/console/partners/{id}"),
        (get.clone(), "/console/programs"),
        (post.clone(), "/console/programs"),
        (get.clone(), "/console/programs/{id}"),
        (post.clone(), "/console/programs/{id}"),
        (post.clone(), "/console/programs/{id}/tiers"),
        (get.clone(), "/console/accounts"),
        (post.clone(), "/console/accounts"),
        (get.clone(), "/console/accounts/{id}"),
        (post.clone(), "/console/accounts/{id}"),
        (get.clone(), "/console/users"),
        (post.clone(), "/console/users"),
        (get.clone(), "/console/audit/{kind}/{id}"),
        (post.clone(), "/console/{kind}/{id}/{op}"),
        // ui/portal.rs
        (get.clone(), "/portal"),
        (post.clone(), "/portal/profile"),
        (get.clone(), "/portal/users"),
        (post.clone(), "/portal/users"),
        (post.clone(), "/portal/users/{id}/archive"),
        // ui/registrations.rs
        (get.clone(), "/portal/registrations"),
        (post.clone(), "/portal/registrations"),
        (post.clone(), "/portal/registrations/check"),
        (get.clone(), "/portal/registrations/{id}"),
        (post.clone(), "/portal/registrations/{id}/activities"),
        (post.clone(), "/portal/registrations/{id}/renew"),
        (post.clone(), "/portal/registrations/{id}/withdraw"),
        (post.clone(), "/portal/registrations/{id}/close"),
        (post.clone(), "/portal/engagement/{id}/{answer}"),
        (get.clone(), "/console/registrations"),
        (get.clone(), "/console/registrations/{id}"),
        (post.clone(), "/console/registrations/{id}/approve"),
        (post.clone(), "/console/registrations/{id}/reject"),
        (post.clone(), "/console/registrations/{id}/engagement"),
        (get.clone(), "/console/engagement"),
        (get.clone(), "/console/conflicts"),
        (post.clone(), "/console/conflicts"),
        (get.clone(), "/console/conflicts/{id}"),
        (post.clone(), "/console/conflicts/{id}/comments"),
        (post.clone(), "/console/conflicts/{id}/resolve"),
        // ui/charters.rs
        (get.clone(), "/console/charters"),
        (post.clone(), "/console/charters"),
        (get.clone(), "/console/charters/{id}"),
        (get.clone(), "/console/charters/{id}/operating-model"),
        (get.clone(), "/console/charters/{id}/operating-model.md"),
        (post.clone(), "/console/charters/{id}/{action}"),
        (get.clone(), "/console/trees"),
        (post.clone(), "/console/trees/{key}"),
        (get.clone(), "/portal/charters"),
        (get.clone(), "/portal/charters/{id}"),
        (get.clone(), "/portal/charters/{id}/operating-model"),
        (get.clone(), "/portal/charters/{id}/operating-model.md"),
        (post.clone(), "/portal/charters/{id}/{action}"),
        // ui/lifecycle.rs
        (get.clone(), "/apply"),
        (post.clone(), "/apply"),
        (get.clone(), "/invite/{token}"),
        (post.clone(), "/invite/{token}"),
        (get.clone(), "/console/applications"),
        (get.clone(), "/console/applications/{id}"),
        (post.clone(), "/console/applications/{id}/approve"),
        (post.clone(), "/console/applications/{id}/decline"),
        (get.clone(), "/console/programs/{id}/policy"),
        (post.clone(), "/console/programs/{id}/policy"),
        (get.clone(), "/portal/onboarding"),
        (post, "/portal/onboarding/{key}"),
    ]
}
