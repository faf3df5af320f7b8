//! Tenant isolation in the web UI, built from the router. Every (method, path) that
//! `ui_routes()` returns has a row in [`rows`] saying how its path parameters are filled
//! from a two-partner world (partner B's records, partner A's session) and what partner A
//! must get. A route without a row fails the test ("add a row for ..."), and so does a row
//! whose route is gone. Also here: the older hand-picked console checks.

use std::collections::BTreeSet;

use axum::http::Method;
use hyper::StatusCode;
use serde_json::{Value, json};

use super::api::{Deals, Governed, Target, b_notification, deals, governed};
use crate::harness::{TestApp, World};
use crate::http::Answer;
use crate::on_both;
use crate::session::*;
use partnerops_web::ui_routes;

on_both!(
    every_ui_route_keeps_partners_apart,
    partner_users_get_404_in_the_console,
);

/// What partner A's signed-in session must get from a UI route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The vendor console: 404, or a redirect to the portal, to sign-in or to another console
    /// route (itself checked by its own row); nothing of the page either way.
    StaffOnly,
    /// A portal route naming one of B's records: 404.
    NotFound,
    /// A portal page or form about A's own company: served, showing nothing of B.
    OwnOnly,
    /// Public and sign-in routes: answered to anyone, showing nothing of B.
    Public,
}

/// One UI route: how to fill its path and what partner A must get.
struct Row {
    method: Method,
    path: &'static str,
    /// Which of B's (or the vendor's) records fills `{id}`.
    id: Target,
    /// The other path parameters, by name.
    params: &'static [(&'static str, &'static str)],
    expect: Expect,
}

macro_rules! rows {
    ($($method:ident $path:literal $id:ident [$($k:literal = $v:literal),*] $expect:ident),* $(,)?) => {
        fn rows() -> Vec<Row> {
            vec![$(Row {
                method: Method::$method,
                path: $path,
                id: Target::$id,
                params: &[$(($k, $v)),*],
                expect: Expect::$expect,
            }),*]
        }
    };
}

rows!(
    // Public and sign-in.
    GET "/" None [] Public,
    GET "/login" None [] Public,
    POST "/login" None [] Public,
    POST "/logout" None [] Public,
    GET "/apply" None [] Public,
    POST "/apply" None [] Public,
    GET "/invite/{token}" None ["token" = "inv_guessed0000000000000000"] Public,
    POST "/invite/{token}" None ["token" = "inv_guessed0000000000000000"] Public,
    GET "/calendar/{file}" None ["file" = "cal_guessed0000000000000000.ics"] Public,
    GET "/files/{id}" File [] NotFound,
    GET "/c/{slug}" None ["slug" = "0123456789abcdef01234567"] Public,
    POST "/c/{slug}" None ["slug" = "0123456789abcdef01234567"] Public,
    GET "/console/campaigns" None [] StaffOnly,
    GET "/console/campaigns/templates/new" None [] StaffOnly,
    POST "/console/campaigns/templates" None [] StaffOnly,
    GET "/console/campaigns/templates/{id}" CampaignTemplate [] StaffOnly,
    POST "/console/campaigns/templates/{id}" CampaignTemplate [] StaffOnly,
    POST "/console/campaigns/templates/{id}/{action}" CampaignTemplate ["action" = "publish"] StaffOnly,
    GET "/console/campaigns/{id}" Campaign [] StaffOnly,
    GET "/portal/campaigns" None [] OwnOnly,
    POST "/portal/campaigns" None [] OwnOnly,
    GET "/portal/campaigns/{id}" Campaign [] NotFound,
    POST "/portal/campaigns/{id}/end" Campaign [] NotFound,
    POST "/portal/campaign-leads/{id}/register" CampaignLead [] NotFound,
    // Console: partners, programs, accounts, users, audit, archive.
    GET "/console" None [] StaffOnly,
    GET "/console/cadence" None [] StaffOnly,
    POST "/console/cadence/feed" None [] StaffOnly,
    POST "/console/cadence/feed/revoke" None [] StaffOnly,
    GET "/console/partners" None [] StaffOnly,
    POST "/console/partners" None [] StaffOnly,
    GET "/console/partners/new" None [] StaffOnly,
    GET "/console/partners/{id}" Partner [] StaffOnly,
    POST "/console/partners/{id}/channel-manager" Partner [] StaffOnly,
    POST "/console/partners/{id}/track/{action}" Partner ["action" = "placement"] StaffOnly,
    POST "/console/partners/{id}" Partner [] StaffOnly,
    GET "/console/programs" None [] StaffOnly,
    POST "/console/programs" None [] StaffOnly,
    GET "/console/programs/{id}" Program [] StaffOnly,
    POST "/console/programs/{id}" Program [] StaffOnly,
    POST "/console/programs/{id}/tiers" Program [] StaffOnly,
    GET "/console/programs/{id}/policy" Program [] StaffOnly,
    POST "/console/programs/{id}/policy" Program [] StaffOnly,
    GET "/console/accounts" None [] StaffOnly,
    POST "/console/accounts" None [] StaffOnly,
    GET "/console/accounts/{id}" Account [] StaffOnly,
    POST "/console/accounts/{id}" Account [] StaffOnly,
    GET "/console/users" None [] StaffOnly,
    POST "/console/users" None [] StaffOnly,
    GET "/console/audit/{kind}/{id}" Partner ["kind" = "partners"] StaffOnly,
    POST "/console/{kind}/{id}/{op}" Partner ["kind" = "partners", "op" = "archive"] StaffOnly,
    // Console: registrations, engagement, conflicts.
    GET "/console/registrations" None [] StaffOnly,
    GET "/console/registrations/{id}" Registration [] StaffOnly,
    POST "/console/registrations/{id}/approve" Registration [] StaffOnly,
    POST "/console/registrations/{id}/reject" Registration [] StaffOnly,
    POST "/console/registrations/{id}/engagement" Registration [] StaffOnly,
    POST "/console/registrations/{id}/merge" Registration [] StaffOnly,
    POST "/console/registrations/{id}/distinct" Registration [] StaffOnly,
    GET "/console/engagement" None [] StaffOnly,
    GET "/console/conflicts" None [] StaffOnly,
    POST "/console/conflicts" None [] StaffOnly,
    GET "/console/conflicts/{id}" Conflict [] StaffOnly,
    POST "/console/conflicts/{id}/comments" Conflict [] StaffOnly,
    POST "/console/conflicts/{id}/resolve" Conflict [] StaffOnly,
    // Console: charters and decision trees.
    GET "/console/charters" None [] StaffOnly,
    POST "/console/charters" None [] StaffOnly,
    GET "/console/charters/{id}" Charter [] StaffOnly,
    GET "/console/charters/{id}/operating-model" Charter [] StaffOnly,
    GET "/console/charters/{id}/operating-model.md" Charter [] StaffOnly,
    POST "/console/charters/{id}/{action}" Charter ["action" = "sign"] StaffOnly,
    GET "/console/trees" None [] StaffOnly,
    POST "/console/trees/{key}" None ["key" = "build_or_partner"] StaffOnly,
    // Console: pipeline.
    GET "/console/pipeline" None [] StaffOnly,
    POST "/console/pipeline" None [] StaffOnly,
    GET "/console/pipeline/board" None [] StaffOnly,
    GET "/console/pipeline/forecast" None [] StaffOnly,
    GET "/console/opportunities/{id}" Opportunity [] StaffOnly,
    POST "/console/opportunities/{id}/{action}" Opportunity ["action" = "stage"] StaffOnly,
    GET "/console/opportunities/{id}/room" Opportunity [] StaffOnly,
    POST "/console/opportunities/{id}/room/{action}" Opportunity ["action" = "note"] StaffOnly,
    GET "/console/business-plans" None [] StaffOnly,
    POST "/console/business-plans" None [] StaffOnly,
    GET "/console/business-plans/{id}" BusinessPlan [] StaffOnly,
    POST "/console/business-plans/{id}/{action}" BusinessPlan ["action" = "sign"] StaffOnly,
    GET "/console/payouts" None [] StaffOnly,
    POST "/console/payouts/run" None [] StaffOnly,
    GET "/console/payouts/export.csv" None [] StaffOnly,
    GET "/console/payouts/{id}" Statement [] StaffOnly,
    GET "/console/payouts/{id}/lines.csv" Statement [] StaffOnly,
    GET "/console/payouts/{id}/print" Statement [] StaffOnly,
    POST "/console/payouts/{id}/{action}" Statement ["action" = "approve"] StaffOnly,
    GET "/console/mdf" None [] StaffOnly,
    POST "/console/mdf/budgets" None [] StaffOnly,
    POST "/console/mdf/allocations" None [] StaffOnly,
    GET "/console/mdf/roi" None [] StaffOnly,
    GET "/console/mdf/requests/{id}" MdfRequest [] StaffOnly,
    POST "/console/mdf/requests/{id}/{action}" MdfRequest ["action" = "approve"] StaffOnly,
    GET "/console/fx-rates" None [] StaffOnly,
    POST "/console/fx-rates" None [] StaffOnly,
    POST "/console/fx-rates/import" None [] StaffOnly,
    // Console: CSV import.
    GET "/console/imports" None [] StaffOnly,
    POST "/console/imports" None [] StaffOnly,
    // Console: applications.
    GET "/console/applications" None [] StaffOnly,
    GET "/console/applications/{id}" Application [] StaffOnly,
    POST "/console/applications/{id}/approve" Application [] StaffOnly,
    POST "/console/applications/{id}/decline" Application [] StaffOnly,
    // Console: the staff user's own notifications.
    GET "/console/notifications" None [] StaffOnly,
    POST "/console/notifications/read-all" None [] StaffOnly,
    POST "/console/notifications/preferences" None [] StaffOnly,
    POST "/console/notifications/{id}/read" Notification [] StaffOnly,
    // Portal: A's own company.
    GET "/portal" None [] OwnOnly,
    POST "/portal/profile" None [] OwnOnly,
    POST "/portal/profile/logo" None [] OwnOnly,
    GET "/portal/users" None [] OwnOnly,
    POST "/portal/users" None [] OwnOnly,
    GET "/portal/registrations" None [] OwnOnly,
    GET "/portal/opportunities" None [] OwnOnly,
    GET "/portal/business-plans" None [] OwnOnly,
    GET "/portal/cadence" None [] OwnOnly,
    GET "/portal/payouts" None [] OwnOnly,
    GET "/portal/mdf" None [] OwnOnly,
    GET "/portal/mdf/roi" None [] OwnOnly,
    POST "/portal/mdf/requests" None [] OwnOnly,
    POST "/portal/cadence/feed" None [] OwnOnly,
    POST "/portal/cadence/feed/revoke" None [] OwnOnly,
    POST "/portal/registrations" None [] OwnOnly,
    POST "/portal/registrations/check" None [] OwnOnly,
    GET "/portal/charters" None [] OwnOnly,
    GET "/portal/onboarding" None [] OwnOnly,
    POST "/portal/onboarding/{key}" None ["key" = "agreement_signed"] OwnOnly,
    GET "/portal/notifications" None [] OwnOnly,
    POST "/portal/notifications/read-all" None [] OwnOnly,
    POST "/portal/notifications/preferences" None [] OwnOnly,
    // Portal: B's records.
    POST "/portal/users/{id}/archive" User [] NotFound,
    GET "/portal/registrations/{id}" Registration [] NotFound,
    GET "/portal/opportunities/{id}" Opportunity [] NotFound,
    GET "/portal/business-plans/{id}" BusinessPlan [] NotFound,
    POST "/portal/business-plans/{id}/{action}" BusinessPlan ["action" = "sign"] NotFound,
    GET "/portal/opportunities/{id}/room" Opportunity [] NotFound,
    POST "/portal/opportunities/{id}/room/{action}" Opportunity ["action" = "note"] NotFound,
    POST "/portal/opportunities/{id}/{action}" Opportunity ["action" = "touchpoints"] NotFound,
    POST "/portal/registrations/{id}/activities" Registration [] NotFound,
    POST "/portal/registrations/{id}/renew" Registration [] NotFound,
    POST "/portal/registrations/{id}/withdraw" Registration [] NotFound,
    POST "/portal/registrations/{id}/close" Registration [] NotFound,
    POST "/portal/engagement/{id}/{answer}" Engagement ["answer" = "grant"] NotFound,
    GET "/portal/charters/{id}" Charter [] NotFound,
    GET "/portal/charters/{id}/operating-model" Charter [] NotFound,
    GET "/portal/charters/{id}/operating-model.md" Charter [] NotFound,
    POST "/portal/charters/{id}/{action}" Charter ["action" = "sign"] NotFound,
    POST "/portal/notifications/{id}/read" Notification [] NotFound,
    GET "/portal/payouts/{id}" Statement [] NotFound,
    GET "/portal/payouts/{id}/lines.csv" Statement [] NotFound,
    GET "/portal/payouts/{id}/print" Statement [] NotFound,
    POST "/portal/payouts/{id}/{action}" Statement ["action" = "dispute"] NotFound,
    GET "/portal/mdf/requests/{id}" MdfRequest [] NotFound,
    POST "/portal/mdf/requests/{id}/{action}" MdfRequest ["action" = "claim"] NotFound,
    // Enablement: the console authors; the portal reads published (vendor) courses, and a
    // partner's learning records are its own.
    GET "/console/enablement" None [] StaffOnly,
    POST "/console/enablement/curricula" None [] StaffOnly,
    POST "/console/enablement/courses" None [] StaffOnly,
    GET "/console/enablement/courses/{id}" Course [] StaffOnly,
    POST "/console/enablement/courses/{id}/{action}" Course ["action" = "settings"] StaffOnly,
    GET "/console/enablement/certifications" None [] StaffOnly,
    GET "/portal/enablement" None [] OwnOnly,
    GET "/portal/enablement/courses/{id}" Course [] OwnOnly,
    POST "/portal/enablement/courses/{id}/enrol" Course [] OwnOnly,
    POST "/portal/enablement/courses/{id}/assessment" Course [] OwnOnly,
    GET "/portal/enablement/modules/{id}" CourseModule [] OwnOnly,
    POST "/portal/enablement/modules/{id}/complete" CourseModule [] OwnOnly,
    GET "/portal/enablement/attempts/{id}" Attempt [] NotFound,
    POST "/portal/enablement/attempts/{id}" Attempt [] NotFound,
    // Events: public pages by slug and personal code; the console; the portal (B's workshop
    // for its customers and its customer's RSVP are 404).
    GET "/events/{slug}" None ["slug" = "0123456789abcdef01234567"] Public,
    POST "/events/{slug}" None ["slug" = "0123456789abcdef01234567"] Public,
    GET "/events/{slug}/calendar.ics" None ["slug" = "0123456789abcdef01234567"] Public,
    GET "/rsvp/{code}" None ["code" = "0123456789abcdef0123456789abcdef"] Public,
    POST "/rsvp/{code}/{action}" None ["code" = "0123456789abcdef0123456789abcdef", "action" = "cancel"] Public,
    GET "/console/events" None [] StaffOnly,
    GET "/console/events/new" None [] StaffOnly,
    POST "/console/events" None [] StaffOnly,
    GET "/console/events/{id}" ProgramEvent [] StaffOnly,
    GET "/console/events/{id}/edit" ProgramEvent [] StaffOnly,
    POST "/console/events/{id}" ProgramEvent [] StaffOnly,
    POST "/console/events/{id}/{action}" ProgramEvent ["action" = "publish"] StaffOnly,
    GET "/console/events/{id}/attendance.csv" ProgramEvent [] StaffOnly,
    POST "/console/event-rsvps/{id}/check-in" EventRegistration [] StaffOnly,
    GET "/portal/events" None [] OwnOnly,
    GET "/portal/events/new" None [] OwnOnly,
    POST "/portal/events" None [] OwnOnly,
    GET "/portal/events/{id}" ProgramEvent [] NotFound,
    GET "/portal/events/{id}/edit" ProgramEvent [] NotFound,
    POST "/portal/events/{id}" ProgramEvent [] NotFound,
    POST "/portal/events/{id}/{action}" ProgramEvent ["action" = "cancel"] NotFound,
    GET "/portal/events/{id}/attendance.csv" ProgramEvent [] NotFound,
    POST "/portal/event-rsvps/{id}/check-in" EventRegistration [] NotFound,
    // Launch checklists: the console's; a partner's own launches, never B's.
    GET "/console/launches" None [] StaffOnly,
    POST "/console/launches" None [] StaffOnly,
    GET "/console/launches/templates" None [] StaffOnly,
    GET "/console/launches/templates/new" None [] StaffOnly,
    POST "/console/launches/templates" None [] StaffOnly,
    POST "/console/launches/templates/seed" None [] StaffOnly,
    GET "/console/launches/templates/{id}" LaunchTemplate [] StaffOnly,
    POST "/console/launches/templates/{id}" LaunchTemplate [] StaffOnly,
    POST "/console/launches/templates/{id}/archive" LaunchTemplate [] StaffOnly,
    GET "/console/launches/{id}" Launch [] StaffOnly,
    POST "/console/launches/{id}/reschedule" Launch [] StaffOnly,
    POST "/console/launch-tasks/{id}" LaunchTask [] StaffOnly,
    GET "/portal/launches" None [] OwnOnly,
    POST "/portal/launches" None [] OwnOnly,
    GET "/portal/launches/{id}" Launch [] NotFound,
    POST "/portal/launches/{id}/reschedule" Launch [] NotFound,
    POST "/portal/launch-tasks/{id}" LaunchTask [] NotFound,
    // Webhooks: the console's; a partner admin's own subscriptions, never B's.
    GET "/console/webhooks" None [] StaffOnly,
    POST "/console/webhooks" None [] StaffOnly,
    GET "/console/webhooks/{id}" WebhookSubscription [] StaffOnly,
    POST "/console/webhooks/{id}" WebhookSubscription [] StaffOnly,
    GET "/portal/webhooks" None [] OwnOnly,
    POST "/portal/webhooks" None [] OwnOnly,
    GET "/portal/webhooks/{id}" WebhookSubscription [] NotFound,
    POST "/portal/webhooks/{id}" WebhookSubscription [] NotFound,
    // The directory: public pages (B's draft is on none of them), A's own listings in the
    // portal, B's draft 404, the console staff only.
    GET "/directory" None [] Public,
    GET "/directory/categories/{key}" None ["key" = "consulting"] Public,
    GET "/directory/listings/{slug}" None ["slug" = "beta-consulting-services-000000"] Public,
    GET "/sitemap.xml" None [] Public,
    // A live collection holding B's draft (the draft never shows), and the console's.
    GET "/directory/collections/{slug}" None ["slug" = "LIVE_COLLECTION"] Public,
    GET "/console/directory/collections" None [] StaffOnly,
    POST "/console/directory/collections" None [] StaffOnly,
    GET "/console/directory/collections/{id}" DirectoryCollection [] StaffOnly,
    POST "/console/directory/collections/{id}" DirectoryCollection [] StaffOnly,
    POST "/console/directory/collections/{id}/{action}" DirectoryCollection ["action" = "restore"] StaffOnly,
    GET "/portal/directory" None [] OwnOnly,
    POST "/portal/directory" None [] OwnOnly,
    GET "/portal/directory/{id}" DirectoryListing [] NotFound,
    POST "/portal/directory/{id}" DirectoryListing [] NotFound,
    POST "/portal/directory/{id}/screenshots" DirectoryListing [] NotFound,
    POST "/portal/directory/{id}/{action}" DirectoryListing ["action" = "submit"] NotFound,
    GET "/console/directory" None [] StaffOnly,
    GET "/console/directory/{id}" DirectoryListing [] StaffOnly,
    POST "/console/directory/{id}/{action}" DirectoryListing ["action" = "verify"] StaffOnly,
    POST "/console/directory/programs/{id}/mode" Program [] StaffOnly,
    // The trust layer: the public forms (B's hidden listing is on none of them), A's own
    // reviews, enquiries and decisions in the portal, B's 404, the queue staff only.
    POST "/directory/listings/{slug}/enquiry" None ["slug" = "beta-consulting-services-000000"] Public,
    POST "/directory/listings/{slug}/review-invite" None ["slug" = "beta-consulting-services-000000"] Public,
    POST "/directory/listings/{slug}/report" None ["slug" = "beta-consulting-services-000000"] Public,
    GET "/directory/reviews/{token}" None ["token" = "rv_guessed0000000000000000"] Public,
    POST "/directory/reviews/{token}" None ["token" = "rv_guessed0000000000000000"] Public,
    GET "/portal/directory/trust" None [] OwnOnly,
    POST "/portal/directory/reviews/{id}/answer" DirectoryReview [] NotFound,
    POST "/portal/directory/decisions/{id}/appeal" DirectoryDecision [] NotFound,
    POST "/portal/directory/leads/{id}/register" DirectoryLead [] NotFound,
    GET "/console/directory/moderation" None [] StaffOnly,
    POST "/console/directory/moderation/{target}/{id}" DirectoryReview ["target" = "reviews"] StaffOnly,
    GET "/console/directory/leads" None [] StaffOnly,
    // Account mapping: A's own list (and its own proposal), B's partnership 404 in the
    // portal, the console staff only.
    GET "/portal/mapping" None [] OwnOnly,
    POST "/portal/mapping" None [] OwnOnly,
    GET "/portal/mapping/{id}" MappingPartnership [] NotFound,
    POST "/portal/mapping/{id}/upload" MappingPartnership [] NotFound,
    POST "/portal/mapping/{id}/{action}" MappingPartnership ["action" = "end"] NotFound,
    GET "/portal/mapping/{id}/cells/{vendor}/{partner}" MappingPartnership ["vendor" = "customer", "partner" = "customer"] NotFound,
    GET "/console/mapping" None [] StaffOnly,
    GET "/console/mapping/{id}" MappingPartnership [] StaffOnly,
    POST "/console/mapping/{id}/{action}" MappingPartnership ["action" = "accept"] StaffOnly,
    GET "/console/mapping/{id}/cells/{vendor}/{partner}" MappingPartnership ["vendor" = "customer", "partner" = "customer"] StaffOnly,
);

/// The rows against the router: every served route has a row and every row a route.
fn table_matches_the_router() -> Vec<Row> {
    let served: BTreeSet<(String, &'static str)> = ui_routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    let rows = rows();
    let listed: BTreeSet<(String, &'static str)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    assert_eq!(listed.len(), rows.len(), "a route has two rows");
    let missing: Vec<String> = served
        .difference(&listed)
        .map(|(m, p)| format!("add a row for {m} {p}"))
        .collect();
    let stale: Vec<String> = listed
        .difference(&served)
        .map(|(m, p)| format!("remove the row for {m} {p}: the router no longer serves it"))
        .collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "the UI isolation table does not match ui_routes():\n{}",
        missing
            .iter()
            .chain(&stale)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    rows
}

/// Form fields for a POST: the session's CSRF token and plausible values for every form of
/// the UI, so an answer is about who asks, not about the input. None names B in plain text
/// (a form shown again with its values must not be mistaken for a leak).
fn fields<'a>(csrf: &'a str, ids: &'a [String; 3]) -> Vec<(&'a str, &'a str)> {
    let [b_partner, other_program, account] = ids;
    vec![
        ("_csrf", csrf),
        ("name", "Hijacked"),
        ("title", "Hijacked"),
        ("web_domain", "hijack.example"),
        ("partner_type", "reseller"),
        ("kind", "call"),
        ("country", "DE"),
        ("status", "active"),
        ("program_id", other_program),
        ("partner_id", b_partner),
        ("into", account),
        ("from", account),
        ("account_name", "Hijack Holdings"),
        ("account_web_domain", "hijack-deal.example"),
        ("account_country", "US"),
        ("estimated_arr", "1000"),
        ("email", "spy@hijack.example"),
        ("display_name", "Spy"),
        ("role", "partner_rep"),
        ("reason", "hijack"),
        ("reasoning", "hijack"),
        ("body", "hijack"),
        ("notes", "hijack"),
        ("note", "hijack"),
        ("outcome", "won"),
        ("lessons", "hijack"),
        ("phase", "crawl"),
        ("rank", "9"),
        ("done", "true"),
        ("action", "publish"),
        ("change_note", "hijack"),
        ("document", "[registration]\nsla_days = 1\n"),
        ("password", "a long enough password"),
        ("next", "/"),
    ]
}

/// B's records (and the vendor's) as the vendor reads them through the API, with their
/// audit trails: what partner A's requests must leave as they were. Lists of everything
/// are left out on purpose: A's own portal forms may add A's rows to them.
async fn b_records(app: &TestApp, w: &World, theirs: &Deals, gov: &Governed) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/partners/{}", w.b.partner.id),
        format!("/api/v1/partners/{}/audit?limit=200", w.b.partner.id),
        format!("/api/v1/partners/{}/onboarding", w.b.partner.id),
        format!("/api/v1/partners/{}/decisions", w.b.partner.id),
        format!("/api/v1/users/{}", w.b.admin.id),
        format!("/api/v1/users/{}/audit?limit=200", w.b.admin.id),
        format!("/api/v1/users/{}", w.b.rep.id),
        format!("/api/v1/programs/{}", w.other_program.id),
        format!("/api/v1/programs/{}/audit?limit=200", w.other_program.id),
        format!("/api/v1/programs/{}/tiers", w.other_program.id),
        format!("/api/v1/programs/{}/policy", w.other_program.id),
        format!("/api/v1/programs/{}/policy/versions", w.other_program.id),
        format!("/api/v1/programs/{}/policy/drafts", w.other_program.id),
        format!("/api/v1/programs/{}/council", w.other_program.id),
        format!("/api/v1/programs/{}", w.program.id),
        format!("/api/v1/programs/{}/policy", w.program.id),
        format!("/api/v1/accounts/{}", w.account.id),
        format!("/api/v1/accounts/{}/audit?limit=200", w.account.id),
        format!("/api/v1/accounts/{}/registrations?limit=200", w.account.id),
        format!("/api/v1/registrations/{}", theirs.registration),
        format!(
            "/api/v1/registrations/{}/audit?limit=200",
            theirs.registration
        ),
        format!("/api/v1/registrations/{}/decisions", theirs.registration),
        format!("/api/v1/registrations/{}/activities", theirs.registration),
        format!("/api/v1/engagement-requests/{}", theirs.engagement),
        format!("/api/v1/conflicts/{}", theirs.conflict),
        format!("/api/v1/conflicts/{}/comments", theirs.conflict),
        format!("/api/v1/conflicts/{}/decisions", theirs.conflict),
        format!("/api/v1/charters/{}", theirs.charter),
        format!("/api/v1/charters/{}/audit?limit=200", theirs.charter),
        format!("/api/v1/charters/{}/decisions", theirs.charter),
        format!("/api/v1/charters/{}/gate-reviews", theirs.charter),
        format!("/api/v1/business-plans/{}/tasks", theirs.business_plan),
        format!("/api/v1/policy-drafts/{}", gov.draft),
        format!("/api/v1/applications/{}", gov.application),
    ] {
        let r = app.http.get(&path, &w.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        out.push(r.json());
    }
    out
}

async fn every_ui_route_keeps_partners_apart(app: TestApp) {
    // First the table against the router: a route without a row fails before any request.
    let rows = table_matches_the_router();
    let w = app.world().await;
    // B's deal on the vendor's account, described by its domain (a partner may name by id
    // only an account it registered).
    let theirs = deals(
        &app,
        &w,
        &w.b,
        json!({"name": "Globex", "web_domain": "globex.example", "country": "US"}),
    )
    .await;
    // A's own records, so its portal pages have rows of their own to show.
    let _mine = deals(
        &app,
        &w,
        &w.a,
        json!({"name": "Initrode", "web_domain": "initrode.example", "country": "DE"}),
    )
    .await;
    let gov = governed(&app, &w).await;
    let their_notification = b_notification(&app, &w).await;
    let their_pay = crate::payout::payouts(&app, &w, &w.b, &w.other_program.id.to_string()).await;
    let their_file = crate::file::proof_of(&app, &w.b).await;
    let (their_campaign, their_lead) =
        crate::campaign::campaign_with_lead(&app, &w, &w.b, &w.other_program.id.to_string()).await;
    let their_template = app
        .http
        .get(
            &format!("/api/v1/campaigns/{their_campaign}"),
            &w.b.rep_token,
        )
        .await
        .json()["template_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let _my_pay = crate::payout::payouts(&app, &w, &w.a, &w.program.id.to_string()).await;
    let their_mdf = crate::mdf::mdf_records(&app, &w, &w.b, &w.other_program.id.to_string()).await;
    let _my_mdf = crate::mdf::mdf_records(&app, &w, &w.a, &w.program.id.to_string()).await;
    let mdf_path = format!("/api/v1/mdf-requests/{}", their_mdf.request);
    let mdf_before = app.http.get(&mdf_path, &w.admin).await.json();
    let their_learning = crate::enablement::learning(&app, &w, &w.b, "Isolation").await;
    let learning_paths = [
        format!("/api/v1/enrolments/{}", their_learning.enrolment),
        format!("/api/v1/attempts/{}", their_learning.attempt),
        format!("/api/v1/certifications/{}", their_learning.certification),
    ];
    let their_launch =
        crate::launch::launch_records(&app, &w, &w.b, &w.other_program.id.to_string()).await;
    let their_hooks = super::api::webhook_records(&app, &w).await;
    // B's draft listing, and A's own published one.
    let their_listing = crate::directory::draft(
        &app,
        &w.b,
        &crate::directory::listing_body("Beta Consulting services", &["Consulting"], json!({})),
    )
    .await;
    crate::directory::submitted(
        &app,
        &w.a,
        &crate::directory::listing_body("Alpha services", &["Consulting"], json!({})),
    )
    .await;
    let their_listing_slug = their_listing["slug"].as_str().unwrap().to_owned();
    let their_listing = their_listing["id"].as_str().unwrap().to_owned();
    let mut learning_paths = learning_paths.to_vec();
    learning_paths.push(format!("/api/v1/directory/listings/{their_listing}"));
    let their_trust = crate::directory::trust::b_trust_records(&app, &w).await;
    let (vendor_collection, live_collection) =
        crate::directory::curation::collections_with(&app, &w, &their_listing).await;
    learning_paths.push(format!("/api/v1/directory/collections/{vendor_collection}"));
    learning_paths.push(format!("/api/v1/directory/reviews/{}", their_trust.review));
    learning_paths.push(format!("/api/v1/directory/leads/{}", their_trust.lead));
    learning_paths.push("/api/v1/directory/decisions".to_owned());
    learning_paths.push(format!("/api/v1/launches/{}", their_launch.1));
    learning_paths.push(format!("/api/v1/launch-templates/{}", their_launch.0));
    // B's account mapping: active, with an upload and matches.
    let their_mapping = crate::mapping::b_mapping(&app, &w).await;
    let mut before = b_records(&app, &w, &theirs, &gov).await;
    for path in &learning_paths {
        before.push(app.http.get(path, &w.admin).await.json());
    }
    let (their_event, their_rsvp) = crate::event::b_event_records(&app, &w).await;
    let event_paths = [
        format!("/api/v1/events/{their_event}"),
        format!("/api/v1/events/{their_event}/rsvps"),
    ];
    for path in &event_paths {
        before.push(app.http.get(path, &w.admin).await.json());
    }
    let statement_path = format!("/api/v1/payout-statements/{}", their_pay.statement);
    let statement_before = app.http.get(&statement_path, &w.admin).await.json();

    let mapping_paths = [
        format!("/api/v1/mapping/partnerships/{their_mapping}"),
        format!("/api/v1/mapping/partnerships/{their_mapping}/matrix"),
    ];
    for path in &mapping_paths {
        before.push(app.http.get(path, &w.admin).await.json());
    }
    // Nothing of B (nor the vendor-only application) may appear in an answer to A.
    let secrets: Vec<String> = vec![
        "Beta Consulting".into(),
        "beta.example".into(),
        "Waiting Co".into(),
        "waiting.example".into(),
        "Globex".into(),
        "globex.example".into(),
        w.b.partner.id.to_string(),
        w.b.admin.id.to_string(),
        w.b.rep.id.to_string(),
        theirs.registration.clone(),
        theirs.opportunity.clone(),
        theirs.room_task.clone(),
        theirs.business_plan.clone(),
        theirs.plan_task.clone(),
        theirs.engagement.clone(),
        theirs.conflict.clone(),
        theirs.charter.clone(),
        gov.application.clone(),
        gov.draft.clone(),
        their_notification.clone(),
        their_pay.opportunity.clone(),
        their_pay.line.clone(),
        their_pay.statement.clone(),
        their_pay.dispute.clone(),
        their_mdf.budget.clone(),
        their_mdf.allocation.clone(),
        their_mdf.request.clone(),
        their_mdf.claim.clone(),
        their_learning.enrolment.clone(),
        their_learning.attempt.clone(),
        their_learning.certification.clone(),
        their_event.clone(),
        their_listing.clone(),
        their_listing_slug.clone(),
        their_trust.review.clone(),
        their_trust.decision.clone(),
        their_trust.lead.clone(),
        their_rsvp.clone(),
        "Globex buyer".into(),
        their_launch.0.clone(),
        their_launch.1.clone(),
        their_launch.2.clone(),
        their_hooks.0.clone(),
        their_hooks.1.clone(),
        their_mapping.clone(),
        "Stark Industries".into(),
    ];
    let ids = [
        w.b.partner.id.to_string(),
        w.other_program.id.to_string(),
        w.account.id.to_string(),
    ];
    for user in [&w.a.admin, &w.a.rep] {
        // Setting a password ends the user's sessions: set it once, before signing in.
        set_password(&app, user).await;
        let (session, csrf) = partner_session(&app, user).await;
        for row in &rows {
            let id = match row.id {
                Target::None | Target::Tree | Target::ImportRun => String::new(),
                Target::Program => w.other_program.id.to_string(),
                Target::Tier => w.b.partner.tier_id.to_string(),
                Target::Partner => w.b.partner.id.to_string(),
                Target::Account => w.account.id.to_string(),
                Target::User => w.b.admin.id.to_string(),
                Target::Registration => theirs.registration.clone(),
                Target::Engagement => theirs.engagement.clone(),
                Target::Conflict => theirs.conflict.clone(),
                Target::Charter => theirs.charter.clone(),
                Target::Application => gov.application.clone(),
                Target::Draft => gov.draft.clone(),
                Target::Opportunity => theirs.opportunity.clone(),
                Target::RoomTask => theirs.room_task.clone(),
                Target::BusinessPlan => theirs.business_plan.clone(),
                Target::PlanTask => theirs.plan_task.clone(),
                Target::Notification => their_notification.clone(),
                Target::CommissionLine => their_pay.line.clone(),
                Target::Statement => their_pay.statement.clone(),
                Target::LineDispute => their_pay.dispute.clone(),
                Target::File => their_file.clone(),
                Target::CampaignTemplate => their_template.clone(),
                Target::Campaign => their_campaign.clone(),
                Target::CampaignLead => their_lead.clone(),
                Target::MdfBudget => their_mdf.budget.clone(),
                Target::MdfAllocation => their_mdf.allocation.clone(),
                Target::MdfRequest => their_mdf.request.clone(),
                Target::MdfClaim => their_mdf.claim.clone(),
                Target::WebhookSubscription => their_hooks.0.clone(),
                // No UI route names a delivery on its own.
                Target::WebhookDelivery => String::new(),
                Target::Curriculum => their_learning.course.curriculum.clone(),
                Target::Course => their_learning.course.course.clone(),
                Target::CourseModule => their_learning.course.modules[0].clone(),
                Target::Question => their_learning.course.questions[0].clone(),
                Target::Enrolment => their_learning.enrolment.clone(),
                Target::Attempt => their_learning.attempt.clone(),
                Target::Certification => their_learning.certification.clone(),
                Target::ProgramEvent => their_event.clone(),
                Target::EventRegistration => their_rsvp.clone(),
                Target::LaunchTemplate => their_launch.0.clone(),
                Target::Launch => their_launch.1.clone(),
                Target::LaunchTask => their_launch.2.clone(),
                Target::DirectoryListing => their_listing.clone(),
                Target::DirectoryReview => their_trust.review.clone(),
                Target::DirectoryDecision => their_trust.decision.clone(),
                Target::DirectoryLead => their_trust.lead.clone(),
                Target::DirectoryCollection => vendor_collection.clone(),
                Target::MappingPartnership => their_mapping.clone(),
                Target::Token => panic!("no UI route names a token: {}", row.path),
            };
            let mut path = row.path.replace("{id}", &id);
            for (name, value) in row.params {
                let value = if *value == "LIVE_COLLECTION" {
                    live_collection.as_str()
                } else {
                    value
                };
                path = path.replace(&format!("{{{name}}}"), value);
            }
            assert!(!path.contains('{'), "fill every parameter of {}", row.path);
            let what = format!("{} {path} as {}", row.method, user.email);
            let r: Answer = if row.method == Method::GET {
                app.http.page(&path, &session).await
            } else if row.path == "/logout" {
                // Signing out would end the session the other rows use: use one of its own.
                let (other, other_csrf) = partner_session(&app, user).await;
                app.http
                    .form(&path, &other, &fields(&other_csrf, &ids), &[])
                    .await
            } else {
                assert_eq!(
                    row.method,
                    Method::POST,
                    "{what}: only GET and POST are checked"
                );
                app.http
                    .form(&path, &session, &fields(&csrf, &ids), &[])
                    .await
            };
            let location = r.header("location").unwrap_or_default();
            match row.expect {
                Expect::StaffOnly => {
                    let redirected = r.status.is_redirection()
                        && (location.starts_with("/portal")
                            || location.starts_with("/login")
                            || rows.iter().any(|o| {
                                o.method == Method::GET
                                    && o.expect == Expect::StaffOnly
                                    && o.path == location
                            }));
                    assert!(
                        r.status == StatusCode::NOT_FOUND || redirected,
                        "{what}: a partner must get 404 from the console, got {} (location {location:?}): {}",
                        r.status,
                        r.text()
                    );
                }
                Expect::NotFound => assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "{what}: another partner's record must be 404: {}",
                    r.text()
                ),
                Expect::OwnOnly | Expect::Public => assert!(
                    !r.status.is_server_error(),
                    "{what}: {} {}",
                    r.status,
                    r.text()
                ),
            }
            let text = r.text();
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{what} shows B's {secret}: {text}"
                );
            }
            assert!(
                !location.contains(&theirs.registration) && !location.contains(&theirs.charter),
                "{what} redirects into B's records: {location}"
            );
            // The session must still be signed in, or a later "redirect to sign-in" would
            // pass for the wrong reason.
            let still = app.http.page("/portal", &session).await;
            assert_eq!(
                still.status,
                StatusCode::OK,
                "after {what} ({}) the session is no longer signed in",
                r.status
            );
        }
    }
    let mut after = b_records(&app, &w, &theirs, &gov).await;
    for path in &learning_paths {
        after.push(app.http.get(path, &w.admin).await.json());
    }
    for path in &event_paths {
        after.push(app.http.get(path, &w.admin).await.json());
    }
    for path in &mapping_paths {
        after.push(app.http.get(path, &w.admin).await.json());
    }
    assert_eq!(
        before, after,
        "partner A's requests changed B's or the vendor's records"
    );
    let mdf_after = app.http.get(&mdf_path, &w.admin).await.json();
    assert_eq!(
        mdf_before, mdf_after,
        "partner A's requests changed B's MDF request"
    );
    let statement_after = app.http.get(&statement_path, &w.admin).await.json();
    assert_eq!(
        statement_before, statement_after,
        "partner A's requests changed B's statement"
    );
}

async fn partner_users_get_404_in_the_console(app: TestApp) {
    let w = app.world().await;
    set_password(&app, &w.a.admin).await;
    let (status, session) = sign_in(&app, "admin@alpha.example", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let portal = app.http.page("/portal", &session).await;
    assert_eq!(portal.status, StatusCode::OK);
    let html = portal.text();
    assert!(html.contains("Alpha Systems") && !html.contains("Beta Consulting"));
    let csrf = csrf_of(&html);
    let users = app.http.page("/portal/users", &session).await.text();
    assert!(users.contains("rep@alpha.example") && !users.contains("beta.example"));

    let b = w.b.partner.id.to_string();
    for path in [
        "/console/partners".to_owned(),
        format!("/console/partners/{b}"),
        "/console/partners/new".to_owned(),
        "/console/programs".to_owned(),
        format!("/console/programs/{}", w.other_program.id),
        "/console/accounts".to_owned(),
        format!("/console/accounts/{}", w.account.id),
        "/console/users".to_owned(),
        format!("/console/audit/partners/{b}"),
    ] {
        let r = app.http.page(&path, &session).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {path}");
        assert!(!r.text().contains("Beta Consulting"), "GET {path} leaks");
    }
    for path in [
        format!("/console/partners/{b}"),
        format!("/console/partners/{b}/archive"),
        format!("/console/users/{}/archive", w.b.admin.id),
        format!("/portal/users/{}/archive", w.b.admin.id),
        format!("/console/programs/{}/tiers", w.other_program.id),
    ] {
        let r = app
            .http
            .form(
                &path,
                &session,
                &[("_csrf", &csrf), ("name", "Hijacked")],
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {path}: {}", r.text());
    }
    let b_now = app
        .store
        .partner(&partnerops_core::scope::Scope::Vendor, &b)
        .await
        .unwrap();
    assert_eq!(b_now.name, "Beta Consulting");
    assert!(b_now.archived_at.is_none());
    let b_admin = app
        .store
        .user(
            &partnerops_core::scope::Scope::Vendor,
            w.b.admin.id.to_string().as_str(),
        )
        .await
        .unwrap();
    assert!(b_admin.archived_at.is_none());
}
