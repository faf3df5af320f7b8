//! The JSON API under `/api/v1`. Every route is declared with its OpenAPI description
//! (`#[utoipa::path]`) and registered only through `routes!`, so the router and the
//! document are built from the same declarations and cannot drift apart.

mod account;
mod business_plan;
mod cadence;
mod campaign;
mod directory;
mod enablement;
mod event;
mod file;
mod import;
mod launch;
mod lifecycle;
mod mapping;
mod mdf;
mod notification;
mod partner;
mod partnership;
mod payout;
mod pipeline;
mod policy;
mod program;
mod registration;
mod user;
mod webhook;

pub(crate) use account::AccountQuery;
pub(crate) use import::parse_request as parse_import_request;
pub(crate) use partner::PartnerQuery;
pub(crate) use pipeline::OpportunityQuery;
pub(crate) use user::UserQuery;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::{FieldError, Invalid};
use partnerops_store::audit::SORTS as AUDIT_SORTS;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::Query;
use crate::problem::{ApiError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "partnerops API",
        version = "1",
        description = "Partner programs, tiers, partners, accounts, users and audit trails. Authenticate with `Authorization: Bearer <token>`; errors are RFC 9457 problem documents (`application/problem+json`). Lists are keyset-paginated: pass `next_cursor` back as `cursor`.\n\n**Token scopes.** A token carries scopes: `<capability>:read` (GET), `<capability>:write` (every method; write includes read), `*:read`, or `*` (everything the user's role allows, the default). The capability of a route is the first segment of its path (`/api/v1/registrations/...` is `registration`; see `TokenScope` for the names), except nested parts of a record that belong elsewhere (`/programs/{id}/policy` is `policy`). A token without the scope gets 403 with rule `token.scope`; an expired token 401 (`token-expired`). Tokens expire after 90 days unless created with `expires_at` (at most 365 days).\n\n**Rate limits.** Requests are counted per token, and per client address for requests without a valid token, in fixed one-minute windows shared by every instance. Every answer carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and `RateLimit-Policy` (`<limit>;w=60`), as in the IETF draft draft-ietf-httpapi-ratelimit-headers. Over the limit: 429 with `Retry-After` and a problem document of type `rate-limited`. Defaults: 600 requests per minute per token, 120 per address; this server's limits are stated below when they differ."
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem, FieldError, partnerops_core::token::TokenCapability)),
    tags(
        (name = "programs", description = "Programs and their channel thesis"),
        (name = "tiers", description = "The tier ladder of a program"),
        (name = "partners", description = "Partner companies"),
        (name = "accounts", description = "End-customer accounts (vendor staff only)"),
        (name = "users", description = "Vendor staff and partner users"),
        (name = "tokens", description = "API tokens with scopes and an expiry: the caller's own, and those of users the caller manages"),
        (name = "registrations", description = "Deal registrations: one holder per account, approval, activity, renewal"),
        (name = "engagement", description = "Direct sales asking a partner for consent to engage a registered account"),
        (name = "conflicts", description = "Channel-conflict cases with their escalation path"),
        (name = "partnerships", description = "Partnership charters, crawl/walk/run gates, decision trees, the operating model"),
        (name = "policy", description = "Program policy documents: versions, differences, drafts for the advisory council, what-if replay"),
        (name = "lifecycle", description = "Applications with their fit score, invitations, onboarding, tier standing, activation"),
        (name = "governance", description = "Partner advisory council and the first cohort"),
        (name = "business plans", description = "Joint business plans: named accounts, quarterly milestones, commitments, signatures, versions, attainment and drift, reviews"),
        (name = "pipeline", description = "Opportunities, their stages and touchpoints, the board, the forecast and the dated currency-rate table"),
        (name = "cadence", description = "What is due for the caller in the next 30 days, the plans at a glance, and the caller's private calendar feed"),
        (name = "payouts", description = "Commission lines with the rule behind each amount, statements (issued, disputed, approved, paid, rolled over), their CSV, the accounts-payable export, and renewals, expansions and cancellations of won deals"),
        (name = "campaigns", description = "Through-partner campaigns: co-branded templates, campaigns partners launch from them, their leads (made registrations in one step) and results"),
        (name = "files", description = "Uploads (MDF proofs of performance, course media, logos) checked by their content, and their bytes for those allowed to read them"),
        (name = "mdf", description = "Market development funds: budgets, allocations with their remaining balance, requests and their approval within limits, claims, payment, linked opportunities and MDF ROI"),
        (name = "enablement", description = "Curricula, courses, modules and assessments; enrolments, progress and attempts; certifications"),
        (name = "webhooks", description = "Standard Webhooks subscriptions: signed deliveries of outbox events, retries, the delivery log and replays"),
        (name = "events", description = "Events (webinars, workshops, conferences) of the vendor and of partners, RSVPs with capacity and waitlist, check-ins, attendance figures and the attendance list as CSV"),
        (name = "notifications", description = "The caller's own notifications and how their e-mails come"),
        (name = "launches", description = "Co-marketing launch checklists: templates (pre-launch, launch week, post-launch tasks with due offsets and owner sides), launches of a charter or a campaign, task status and owners, rescheduling"),
        (name = "imports", description = "CSV import of accounts, partners, contacts (as partner users), opportunities, deal registrations, touchpoints and currency rates from Salesforce reports and Data Loader exports, HubSpot exports and our own exports: column mappings suggested and remembered per source, all or nothing per file, dry runs, idempotent re-imports by the source's record ids (other records named by the record ids of earlier imports), each kind through its own rules and token scope, the runs with their errors by row and column"),
        (name = "directory", description = "The partner and integration directory: listings partners write, publication at once (open) or after review (curated, from the program's decision-tree answer), verification, unpublishing, and the search of what is public"),
        (name = "mapping", description = "Account mapping with one partner: dual opt-in, each side's sharing per population (counts only or chosen fields), the partner's CRM export (Salesforce report or HubSpot export, all rows or none), matching by web domain then company name within the country, the overlap matrix, drill-down only where both sides share, matches to confirm, co-sell suggestions, deletion of the partner's data"),
        (name = "meta", description = "The API itself")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API router and its OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi());
    // Each capability adds its routes in turn.
    let api = records(api);
    let api = deals_and_partnerships(api);
    let api = policy_and_lifecycle(api);
    let api = pipeline_routes(api);
    let api = notifications(api);
    let api = cadence_routes(api);
    let api = payout_routes(api);
    let api = mdf_routes(api);
    let api = file_routes(api);
    let api = campaign_routes(api);
    let api = enablement_routes(api);
    let api = event_routes(api);
    let api = webhook_routes(api);
    let api = launch_routes(api);
    let api = import_routes(api);
    let api = directory_routes(api);
    let api = mapping_routes(api);
    let (router, mut doc) = api.split_for_parts();
    hygiene_responses(&mut doc);
    if_match_responses(&mut doc);
    response_descriptions(&mut doc);
    problem_content_type(&mut doc);
    csv_lists(&mut doc);
    database_unavailable(&mut doc);
    shadowed_ids(&mut doc);
    idempotency_header(&mut doc);
    patch_bodies_require_nothing(&mut doc);
    // axum's own answers for an unknown route or a wrong method are plain text: ours are
    // problem documents like every other API error.
    let router = router
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed });
    (router, doc)
}

/// A `Problem` document answer described by `description`, for the document fix-ups below.
fn problem_response(description: &str) -> utoipa::openapi::Response {
    utoipa::openapi::response::ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::schema::Ref::from_schema_name(
                    "Problem",
                )))
                .build(),
        )
        .build()
}

/// Every operation of every path, for the document fix-ups below.
fn operations_mut(
    doc: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&String, &mut utoipa::openapi::path::Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        .map(move |op| (path, op))
    })
}

/// Documents what the API gate (`gate`) may answer on any route: 429 when the rate limit
/// is used up, and on routes that need a token, 403 when the token lacks the route's scope.
/// Done here, once, so no route can forget.
fn hygiene_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    let too_many = problem_response(
        "Rate limit used up (problem type `rate-limited`); retry after `Retry-After` seconds",
    );
    let scope = problem_response(
        "Forbidden: a rule refused, or the token lacks the scope (rule `token.scope`)",
    );
    for (_, op) in operations_mut(doc) {
        let responses = &mut op.responses.responses;
        responses
            .entry("429".to_owned())
            .or_insert_with(|| RefOr::T(too_many.clone()));
        if op.security.is_some() {
            responses
                .entry("403".to_owned())
                .or_insert_with(|| RefOr::T(scope.clone()));
        }
    }
}

/// Documents the optional `Idempotency-Key` header on every POST (see `idempotency`): a
/// retry with the same key gets the first answer again.
fn idempotency_header(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, Required, Type};
    let param = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "A unique key (e.g. a UUID) per intended request: a retry with the same key and \
             the same request gets the first answer again (header `Idempotent-Replayed: true`) \
             and creates nothing twice, for 24 hours; the same key with another request is \
             refused (422), and a retry while the first runs gets 409 with `Retry-After`.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(255))
                .min_length(Some(1)),
        ))
        .build();
    // A key that is not 1 to 255 visible ASCII characters is refused with 422.
    let refused = problem_response("Invalid input, or an Idempotency-Key that is not a valid key");
    // A retry while the first request with its key still runs is refused with 409.
    let in_flight = problem_response(
        "A request with the same Idempotency-Key is still running; retry after Retry-After seconds",
    );
    for item in doc.paths.paths.values_mut() {
        if let Some(op) = item.post.as_mut() {
            op.parameters
                .get_or_insert_with(Vec::new)
                .push(utoipa::openapi::RefOr::T(param.clone()));
            op.responses
                .responses
                .entry("422".to_owned())
                .or_insert_with(|| utoipa::openapi::RefOr::T(refused.clone()));
            op.responses
                .responses
                .entry("409".to_owned())
                .or_insert_with(|| utoipa::openapi::RefOr::T(in_flight.clone()));
        }
    }
}

/// A PATCH lays its body over the current record (`ProgramInput::overlay` and the like), so
/// no field of it is required, while a create with the same input type requires some. Each
/// PATCH whose body type documents required fields gets a copy of it named `<Type>Patch`
/// with none, so one input type serves both without the document claiming either wrongly.
fn patch_bodies_require_nothing(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{Ref, Schema};
    const PREFIX: &str = "#/components/schemas/";
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for item in doc.paths.paths.values_mut() {
        let Some(RefOr::T(body)) = item.patch.as_mut().and_then(|op| op.request_body.as_mut())
        else {
            continue;
        };
        for content in body.content.values_mut() {
            let RefOr::T(content) = content else { continue };
            let Some(RefOr::Ref(r)) = content.schema.as_mut() else {
                continue;
            };
            let Some(name) = r.ref_location.strip_prefix(PREFIX).map(str::to_owned) else {
                continue;
            };
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get(&name) else {
                continue;
            };
            if object.required.is_empty() {
                continue;
            }
            let mut optional = object.clone();
            optional.required.clear();
            let patch = format!("{name}Patch");
            components
                .schemas
                .insert(patch.clone(), RefOr::T(Schema::Object(optional)));
            *r = Ref::from_schema_name(patch);
        }
    }
}

/// Documents every error answer (status 400 and up) with the content type it is sent
/// with, `application/problem+json` (see `ApiError::into_response`). The paths declare
/// `body = Problem`, which utoipa files under `application/json`; this is the one place
/// that corrects it, so no path can forget.
fn problem_content_type(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for (_, op) in operations_mut(doc) {
        for (status, response) in &mut op.responses.responses {
            let is_error = status.parse::<u16>().is_ok_and(|s| s >= 400);
            if let (true, RefOr::T(response)) = (is_error, response)
                && let Some(content) = response.content.shift_remove("application/json")
            {
                response
                    .content
                    .insert("application/problem+json".to_owned(), content);
            }
        }
    }
}

/// Every response object needs a `description` (OpenAPI 3.1, "Response Object"); those
/// declared without one get the status code's reason phrase ("Unauthorized").
fn response_descriptions(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for (_, op) in operations_mut(doc) {
        for (status, response) in &mut op.responses.responses {
            if let RefOr::T(response) = response
                && response.description.is_empty()
            {
                response.description = status
                    .parse::<u16>()
                    .ok()
                    .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Answer")
                    .to_owned();
            }
        }
    }
}

/// A CSV answer as a download named `name.csv`. The name is made of letters, digits, `.`,
/// `_` and `-` only: it may carry a caller's text (a period), which must not break the
/// header.
pub(crate) fn csv_answer(
    name: &str,
    body: Result<String, String>,
) -> Result<impl axum::response::IntoResponse + use<>, ApiError> {
    use axum::http::header;
    let body = body.map_err(|e| ApiError::Store(partnerops_store::StoreError::Corrupt(e)))?;
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    ))
}

/// Documents `503` on every operation that reads or writes the database: the database
/// could not be reached (see `retry`); the answer says when to try again (`Retry-After`).
fn database_unavailable(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::{ObjectBuilder, RefOr, Type};
    let mut response = problem_response(
        "The database cannot be reached right now; try again after `Retry-After` seconds",
    );
    response.headers.insert(
        "Retry-After".to_owned(),
        RefOr::T(
            HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                .build(),
        ),
    );
    for (path, op) in operations_mut(doc) {
        if path != "/api/v1/openapi.json" {
            op.responses
                .responses
                .insert("503".to_owned(), RefOr::T(response.clone()));
        }
    }
}

/// Documents `405` where a record's address can name an action route instead: with
/// `POST /payout-statements/run` beside `GET /payout-statements/{id}`, the router serves
/// `/payout-statements/run` as the action, so a `GET` with the id `run` is answered 405
/// (the action has no `GET`), not 404. Each operation on `…/{param}` gets 405 when a
/// sibling literal path lacks its method.
fn shadowed_ids(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::PathItem;
    fn methods(item: &PathItem) -> [bool; 5] {
        [
            item.get.is_some(),
            item.put.is_some(),
            item.post.is_some(),
            item.delete.is_some(),
            item.patch.is_some(),
        ]
    }
    let response = problem_response(
        "The id is the name of an action route of this collection (such as `run` or `check`), which does not answer this method",
    );
    let literal_siblings: Vec<(String, [bool; 5])> = doc
        .paths
        .paths
        .iter()
        .filter(|(path, _)| !path.ends_with('}'))
        .map(|(path, item)| (path.clone(), methods(item)))
        .collect();
    for (path, item) in doc.paths.paths.iter_mut() {
        let Some((parent, last)) = path.rsplit_once('/') else {
            continue;
        };
        if !(last.starts_with('{') && last.ends_with('}')) {
            continue;
        }
        // What the literal siblings (`parent/<word>`) answer, method by method.
        let siblings: Vec<&[bool; 5]> = literal_siblings
            .iter()
            .filter(|(p, _)| {
                p.rsplit_once('/')
                    .is_some_and(|(pp, word)| pp == parent && !word.is_empty())
            })
            .map(|(_, m)| m)
            .collect();
        if siblings.is_empty() {
            continue;
        }
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for (i, op) in ops.into_iter().enumerate() {
            if let Some(op) = op
                && siblings.iter().any(|m| !m[i])
            {
                op.responses
                    .responses
                    .insert("405".to_owned(), RefOr::T(response.clone()));
            }
        }
    }
}

/// Documents the CSV form of every list (see `export`): a `GET` of a list answers
/// `text/csv` (every page, the same filters) when asked with `Accept: text/csv`; any other
/// `GET` answers that with `406`.
fn csv_lists(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::schema::{Schema, Type};
    use utoipa::openapi::{ObjectBuilder, RefOr};
    let schemas = doc
        .components
        .as_ref()
        .map(|c| c.schemas.clone())
        .unwrap_or_default();
    // A list is an array, or a page: an object with `items` and `next_cursor`.
    let is_list = |schema: &RefOr<Schema>| {
        let schema = match schema {
            RefOr::Ref(r) => r
                .ref_location
                .rsplit('/')
                .next()
                .and_then(|name| schemas.get(name)),
            t => Some(t),
        };
        match schema {
            Some(RefOr::T(Schema::Array(_))) => true,
            Some(RefOr::T(Schema::Object(o))) => {
                o.properties.contains_key("items") && o.properties.contains_key("next_cursor")
            }
            _ => false,
        }
    };
    let csv = ContentBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    let not_acceptable = problem_response("Asked for `text/csv`, which only lists offer");
    for item in doc.paths.paths.values_mut() {
        let Some(op) = item.get.as_mut() else {
            continue;
        };
        let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") else {
            continue;
        };
        let Some(RefOr::T(json)) = ok.content.get("application/json") else {
            continue;
        };
        if json.schema.as_ref().is_some_and(is_list) {
            ok.content
                .insert("text/csv".to_owned(), RefOr::T(csv.clone()));
        } else {
            op.responses
                .responses
                .insert("406".to_owned(), RefOr::T(not_acceptable.clone()));
        }
    }
}

/// Campaign templates, campaigns, their leads and results.
fn campaign_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(campaign::templates, campaign::create_template))
        .routes(routes!(campaign::template, campaign::update_template))
        .routes(routes!(campaign::publish_template))
        .routes(routes!(campaign::retire_template))
        .routes(routes!(campaign::campaigns, campaign::launch))
        .routes(routes!(campaign::campaign))
        .routes(routes!(campaign::end))
        .routes(routes!(campaign::leads))
        .routes(routes!(campaign::report))
        .routes(routes!(campaign::register_lead))
}

/// Account mapping: partnerships, sharing, uploads, the matrix and its cells, matches.
fn mapping_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(mapping::list, mapping::propose))
        .routes(routes!(mapping::one))
        .routes(routes!(mapping::accept))
        .routes(routes!(mapping::end))
        .routes(routes!(mapping::settings))
        .routes(routes!(mapping::upload, mapping::delete_upload))
        .routes(routes!(mapping::matrix))
        .routes(routes!(mapping::cell))
        .routes(routes!(mapping::matches))
        .routes(routes!(mapping::decide))
        .routes(routes!(mapping::suggestions))
        .routes(routes!(mapping::intros, mapping::request_intro))
        .routes(routes!(mapping::answer_intro))
        .routes(routes!(mapping::audit))
}

/// The directory: listings, their review and verification, the program's mode, search.
fn directory_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(directory::listings, directory::create))
        .routes(routes!(directory::listing, directory::update))
        .routes(routes!(directory::submit))
        .routes(routes!(directory::withdraw))
        .routes(routes!(directory::review))
        .routes(routes!(directory::unpublish))
        .routes(routes!(directory::verify))
        .routes(routes!(directory::audit))
        .routes(routes!(directory::search))
        .routes(routes!(directory::mode, directory::set_mode))
        .routes(routes!(directory::reviews))
        .routes(routes!(directory::review_one))
        .routes(routes!(directory::write_review))
        .routes(routes!(directory::answer_review))
        .routes(routes!(directory::report_listing))
        .routes(routes!(directory::report_review))
        .routes(routes!(directory::queue))
        .routes(routes!(directory::moderate_listing))
        .routes(routes!(directory::moderate_review))
        .routes(routes!(directory::decisions))
        .routes(routes!(directory::appeal))
        .routes(routes!(directory::leads))
        .routes(routes!(directory::lead))
        .routes(routes!(directory::register_lead))
        .routes(routes!(
            directory::collections,
            directory::create_collection
        ))
        .routes(routes!(directory::collection, directory::update_collection))
        .routes(routes!(directory::archive_collection))
        .routes(routes!(directory::restore_collection))
        .routes(routes!(directory::collection_audit))
        .routes(routes!(directory::usage, directory::report_usage))
        .routes(routes!(directory::recommendations))
}

/// Events, their RSVPs, check-ins and attendance.
fn event_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(event::list, event::create))
        .routes(routes!(event::get, event::update))
        .routes(routes!(event::publish))
        .routes(routes!(event::cancel))
        .routes(routes!(event::complete))
        .routes(routes!(event::rsvps, event::rsvp))
        .routes(routes!(event::check_in_self))
        .routes(routes!(event::attendance))
        .routes(routes!(event::attendance_export))
        .routes(routes!(event::rsvp_one))
        .routes(routes!(event::check_in))
}

/// Launch checklist templates, launches, their tasks and rescheduling.
fn launch_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(launch::templates, launch::create_template))
        .routes(routes!(launch::seed_template))
        .routes(routes!(launch::template, launch::update_template))
        .routes(routes!(launch::archive_template))
        .routes(routes!(launch::launches, launch::start))
        .routes(routes!(launch::launch))
        .routes(routes!(launch::reschedule))
        .routes(routes!(launch::audit))
        .routes(routes!(launch::update_task))
}

/// CSV imports, their runs and the remembered column mappings.
fn import_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(import::runs, import::import))
        .routes(routes!(import::run))
        .routes(routes!(import::mappings))
}

/// Uploads and stored files; only the upload takes a body larger than the default limit.
fn file_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    use utoipa_axum::router::UtoipaMethodRouterExt;
    r.routes(routes!(file::upload).layer(crate::upload::body_limit()))
        .routes(routes!(file::get))
        .routes(routes!(file::content))
}

/// Commission lines, statements, disputes, the payables export and revenue events.
fn payout_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(payout::lines))
        .routes(routes!(payout::line))
        .routes(routes!(payout::statements))
        .routes(routes!(payout::payables))
        .routes(routes!(payout::run))
        .routes(routes!(payout::statement))
        .routes(routes!(payout::statement_lines_csv))
        .routes(routes!(payout::audit))
        .routes(routes!(payout::dispute))
        .routes(routes!(payout::resolve))
        .routes(routes!(payout::approve))
        .routes(routes!(payout::pay))
        .routes(routes!(
            payout::revenue_events,
            payout::record_revenue_event
        ))
}

/// Webhook subscriptions, their deliveries and replays.
fn webhook_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(webhook::subscriptions, webhook::create))
        .routes(routes!(
            webhook::subscription,
            webhook::update,
            webhook::delete
        ))
        .routes(routes!(webhook::rotate))
        .routes(routes!(webhook::deliveries))
        .routes(routes!(webhook::delivery))
        .routes(routes!(webhook::replay))
}

/// MDF budgets, allocations, requests, claims and ROI.
fn mdf_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(mdf::budgets, mdf::create_budget))
        .routes(routes!(mdf::budget))
        .routes(routes!(mdf::allocations, mdf::create_allocation))
        .routes(routes!(mdf::allocation))
        .routes(routes!(mdf::requests, mdf::submit))
        .routes(routes!(mdf::request))
        .routes(routes!(mdf::approve))
        .routes(routes!(mdf::reject))
        .routes(routes!(mdf::cancel))
        .routes(routes!(mdf::claim))
        .routes(routes!(mdf::link))
        .routes(routes!(mdf::request_audit))
        .routes(routes!(mdf::claims))
        .routes(routes!(mdf::claim_one))
        .routes(routes!(mdf::approve_claim))
        .routes(routes!(mdf::reject_claim))
        .routes(routes!(mdf::pay_claim))
        .routes(routes!(mdf::roi))
}

/// The document itself, the caller, programs and tiers, partners, accounts, users and tokens.
fn enablement_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(
        enablement::curricula,
        enablement::create_curriculum
    ))
    .routes(routes!(
        enablement::curriculum,
        enablement::update_curriculum
    ))
    .routes(routes!(enablement::courses, enablement::create_course))
    .routes(routes!(enablement::course, enablement::update_course))
    .routes(routes!(enablement::add_module))
    .routes(routes!(enablement::update_module))
    .routes(routes!(enablement::questions, enablement::add_question))
    .routes(routes!(enablement::update_question))
    .routes(routes!(enablement::enrol))
    .routes(routes!(enablement::enrolments))
    .routes(routes!(enablement::enrolment))
    .routes(routes!(enablement::progress))
    .routes(routes!(enablement::start_attempt))
    .routes(routes!(enablement::attempt))
    .routes(routes!(enablement::submit_attempt))
    .routes(routes!(enablement::certifications))
    .routes(routes!(enablement::certification))
}

fn records(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(openapi_json))
        .routes(routes!(user::me))
        .routes(routes!(program::list, program::create))
        .routes(routes!(program::get, program::update))
        .routes(routes!(program::archive))
        .routes(routes!(program::restore))
        .routes(routes!(program::audit))
        .routes(routes!(program::list_tiers, program::create_tier))
        .routes(routes!(program::get_tier, program::update_tier))
        .routes(routes!(program::archive_tier))
        .routes(routes!(program::restore_tier))
        .routes(routes!(program::tier_audit))
        .routes(routes!(partner::list, partner::create))
        .routes(routes!(partner::get, partner::update))
        .routes(routes!(partner::archive))
        .routes(routes!(partner::restore))
        .routes(routes!(partner::audit))
        .routes(routes!(
            partner::channel_manager,
            partner::set_channel_manager
        ))
        .routes(routes!(account::list, account::create))
        .routes(routes!(account::get, account::update))
        .routes(routes!(account::archive))
        .routes(routes!(account::restore))
        .routes(routes!(account::audit))
        .routes(routes!(user::list, user::create))
        .routes(routes!(user::get, user::update))
        .routes(routes!(user::archive))
        .routes(routes!(user::restore))
        .routes(routes!(user::audit))
        .routes(routes!(user::list_tokens, user::create_token))
        .routes(routes!(user::revoke_token))
}

/// Registration settings, deal registrations, engagement, conflicts, and partnership charters.
fn deals_and_partnerships(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(
        policy::registration_policy,
        policy::set_registration_policy
    ))
    .routes(routes!(account::registrations))
    .routes(routes!(account::direct_activity))
    .routes(routes!(account::merge))
    .routes(routes!(account::distinct))
    .routes(routes!(registration::list, registration::submit))
    .routes(routes!(registration::check))
    .routes(routes!(registration::get))
    .routes(routes!(registration::decisions))
    .routes(routes!(
        registration::activities,
        registration::log_activity
    ))
    .routes(routes!(registration::approve))
    .routes(routes!(registration::reject))
    .routes(routes!(registration::withdraw))
    .routes(routes!(registration::renew))
    .routes(routes!(registration::close))
    .routes(routes!(registration::audit))
    .routes(routes!(registration::request_engagement))
    .routes(routes!(registration::engagement_requests))
    .routes(routes!(registration::engagement_request))
    .routes(routes!(registration::grant))
    .routes(routes!(registration::deny))
    .routes(routes!(
        registration::conflicts,
        registration::open_conflict
    ))
    .routes(routes!(registration::conflict))
    .routes(routes!(registration::comments, registration::comment))
    .routes(routes!(registration::resolve))
    .routes(routes!(registration::conflict_decisions))
    .routes(routes!(partnership::list, partnership::create))
    .routes(routes!(partnership::get, partnership::update))
    .routes(routes!(partnership::sign))
    .routes(routes!(partnership::amend))
    .routes(routes!(partnership::phase))
    .routes(routes!(partnership::gate_reviews, partnership::review_gate))
    .routes(routes!(partnership::end))
    .routes(routes!(partnership::decisions))
    .routes(routes!(partnership::audit))
    .routes(routes!(partnership::operating_model))
    .routes(routes!(partnership::trees))
    .routes(routes!(partnership::set_tree))
    .routes(routes!(partnership::evaluate))
    .routes(routes!(partnership::track))
    .routes(routes!(partnership::place_on_track))
    .routes(routes!(partnership::evaluate_on_track))
}

/// Program policy and drafts, then applications, onboarding, tiering and governance.
fn policy_and_lifecycle(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(policy::policy, policy::publish))
        .routes(routes!(policy::versions))
        .routes(routes!(policy::version))
        .routes(routes!(policy::diff))
        .routes(routes!(policy::simulate))
        .routes(routes!(policy::validate))
        .routes(routes!(policy::drafts, policy::create_draft))
        .routes(routes!(policy::draft))
        .routes(routes!(policy::share_draft))
        .routes(routes!(policy::publish_draft))
        .routes(routes!(policy::discard_draft))
        .routes(routes!(policy::comment_draft))
        .routes(routes!(lifecycle::applications, lifecycle::apply))
        .routes(routes!(lifecycle::application))
        .routes(routes!(lifecycle::rescore))
        .routes(routes!(lifecycle::approve))
        .routes(routes!(lifecycle::decline))
        .routes(routes!(lifecycle::accept_invitation))
        .routes(routes!(lifecycle::onboarding))
        .routes(routes!(lifecycle::tick))
        .routes(routes!(lifecycle::tier_standing))
        .routes(routes!(lifecycle::partner_decisions))
        .routes(routes!(lifecycle::activation))
        .routes(routes!(lifecycle::council))
        .routes(routes!(lifecycle::add_member, lifecycle::remove_member))
        .routes(routes!(lifecycle::record_meeting))
        .routes(routes!(lifecycle::cohort))
        .routes(routes!(lifecycle::launch))
}

/// Opportunities, touchpoints, the board and forecast, currency rates.
fn pipeline_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(pipeline::list, pipeline::create))
        .routes(routes!(pipeline::get, pipeline::update))
        .routes(routes!(pipeline::move_stage))
        .routes(routes!(pipeline::close))
        .routes(routes!(pipeline::reopen))
        .routes(routes!(pipeline::history))
        .routes(routes!(pipeline::touchpoints, pipeline::log_touchpoint))
        .routes(routes!(pipeline::audit))
        .routes(routes!(pipeline::board))
        .routes(routes!(pipeline::forecast))
        .routes(routes!(pipeline::fx_rates, pipeline::set_fx_rate))
        .routes(routes!(pipeline::import_fx_rates))
        .routes(routes!(pipeline::room))
        .routes(routes!(pipeline::add_member))
        .routes(routes!(pipeline::remove_member))
        .routes(routes!(pipeline::post_note))
        .routes(routes!(pipeline::add_task))
        .routes(routes!(pipeline::update_task))
        .routes(routes!(pipeline::set_field))
        .routes(routes!(business_plan::list, business_plan::create))
        .routes(routes!(business_plan::get, business_plan::update))
        .routes(routes!(business_plan::sign))
        .routes(routes!(business_plan::amend))
        .routes(routes!(business_plan::versions))
        .routes(routes!(business_plan::diff))
        .routes(routes!(business_plan::attainment))
        .routes(routes!(
            business_plan::reviews,
            business_plan::record_review
        ))
        .routes(routes!(business_plan::reviews_due))
        .routes(routes!(business_plan::tasks))
        .routes(routes!(business_plan::update_task))
        .routes(routes!(business_plan::audit))
}

/// The caller's notifications and e-mail choices.
fn notifications(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(notification::list))
        .routes(routes!(notification::read))
        .routes(routes!(
            notification::preferences,
            notification::set_preferences
        ))
}

/// The caller's agenda and calendar feed.
fn cadence_routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(cadence::agenda))
        .routes(routes!(cadence::plans))
        .routes(routes!(
            cadence::feed,
            cadence::create_feed,
            cadence::revoke_feed
        ))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "The OpenAPI 3.1 document of this API")))]
async fn openapi_json(State(state): State<AppState>) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    if state.openapi.is_empty() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.clone(),
    )
        .into_response()
}

/// A single record answered with its `ETag` (`partnerops_store::etag::of`, the same tag the
/// store checks `If-Match` against), for the GET and the updates of records that take
/// `If-Match`.
pub(crate) struct Tagged<T>(pub T);

/// The answer of a GET or an update of a record with an `ETag`.
pub(crate) type TaggedAnswer<T> = Result<Tagged<T>, ApiError>;

impl<T: serde::Serialize> IntoResponse for Tagged<T> {
    fn into_response(self) -> axum::response::Response {
        let tag = partnerops_store::etag::of(&self.0);
        with_etag(tag, self.0)
    }
}

/// A record shown with more than itself (a course with its modules): the `ETag` is that
/// of the record alone, the one its update checks `If-Match` against.
pub(crate) struct TaggedBy<T, R>(pub T, pub fn(&T) -> &R);

impl<T: serde::Serialize, R: serde::Serialize> IntoResponse for TaggedBy<T, R> {
    fn into_response(self) -> axum::response::Response {
        let tag = partnerops_store::etag::of((self.1)(&self.0));
        with_etag(tag, self.0)
    }
}

fn with_etag(
    tag: partnerops_store::Result<String>,
    body: impl serde::Serialize,
) -> axum::response::Response {
    let tag = match tag {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut res = axum::Json(body).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&tag) {
        res.headers_mut().insert(axum::http::header::ETAG, v);
    }
    res
}

/// Documents `If-Match` where an update declares it (`params(IfMatch)`): the update's 412,
/// and the `ETag` its answer and the record's GET carry.
fn if_match_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::{ObjectBuilder, Type};
    let etag = HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .description(Some(
            "The record's entity tag: send it back as `If-Match` to update only this version",
        ))
        .build();
    let failed = problem_response(
        "Precondition failed: the record changed since the `ETag` sent as `If-Match` (rule `if_match`); nothing was written",
    );
    let with_etag = |op: &mut utoipa::openapi::path::Operation| {
        if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
            ok.headers.insert("ETag".to_owned(), RefOr::T(etag.clone()));
        }
    };
    for item in doc.paths.paths.values_mut() {
        let mut tagged = false;
        for op in [&mut item.patch, &mut item.put].into_iter().flatten() {
            let declares = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter()
                    .any(|p| matches!(p, RefOr::T(p) if p.name == "If-Match"))
            });
            if declares {
                tagged = true;
                op.responses
                    .responses
                    .insert("412".to_owned(), RefOr::T(failed.clone()));
                with_etag(op);
            }
        }
        if let (true, Some(get)) = (tagged, item.get.as_mut()) {
            with_etag(get);
        }
    }
}

/// Collects the errors of several parses into one answer.
pub(crate) fn both<A, B>(a: Result<A, Invalid>, b: Result<B, Invalid>) -> Result<(A, B), Invalid> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => {
            let mut inv = Invalid::new();
            inv.errors
                .extend(a.err().map(|e| e.errors).unwrap_or_default());
            inv.errors
                .extend(b.err().map(|e| e.errors).unwrap_or_default());
            Err(inv)
        }
    }
}

/// Parses an optional filter value, recording a failure in `inv`.
pub(crate) fn filter<T>(
    inv: &mut Invalid,
    field: &str,
    raw: Option<&str>,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Option<T> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    inv.check(parse(field, raw))
}

/// Page of a record's audit trail (newest first unless `sort=at`).
pub(crate) async fn audit_page(
    state: &AppState,
    who: &ApiUser,
    kind: EntityKind,
    id: &str,
    mut params: PageParams,
) -> Result<axum::Json<Page<AuditEvent>>, ApiError> {
    if params.sort.as_deref().is_none_or(|s| s.trim().is_empty()) {
        params.sort = Some("-at".into());
    }
    let page = PageRequest::parse(&params, AUDIT_SORTS)?;
    Ok(axum::Json(
        state
            .store
            .audit_trail(who.scope(), kind, id, &page)
            .await?,
    ))
}

/// Query parameters shared by lists of records that can be archived.
pub(crate) fn archived_param(inv: &mut Invalid, raw: Option<&str>) -> partnerops_store::Archived {
    inv.check(partnerops_store::Archived::parse(raw))
        .unwrap_or_default()
}

/// The audit query (paging only).
pub(crate) type AuditQuery = Query<PageParams>;
