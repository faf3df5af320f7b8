//! Tenant isolation: a partner's users can neither see nor change another partner's data,
//! through any API route. Every API route is listed in [`routes`] with what a partner user must
//! get; `openapi::every_route_is_documented_and_covered` fails when a route is added to the
//! API without being listed here (and so without an isolation check).

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use partnerops_core::policy::ProgramPolicy;

use crate::harness::{Side, TestApp, World};
use crate::on_both;

/// What a partner user must get from a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Not partner data at all (the API description).
    Public,
    /// About the caller only (`/me`, own tokens).
    OwnOnly,
    /// A list: only the partner's own rows, or none.
    OwnRowsOnly,
    /// Creating vendor records: refused by role (nothing of another partner is named).
    CreateRefused,
    /// Creating a user: only in the partner's own company.
    CreateOwnOnly,
    /// Names a record: another partner's record (and any vendor-only record) is 404.
    NotFound,
    /// The hold check on another partner's account: held, but not by whom.
    HeldNotByWhom,
    /// A public form (no sign-in): a partner user's submission is taken like anyone's,
    /// joined to no partner.
    PublicForm,
    /// A public route whose credential is a one-time token in the body: a made-up token is
    /// refused as invalid, naming nobody.
    TokenOnly,
    /// Vendor staff only (CSV import): refused by role, 403, whatever it names.
    StaffOnly,
}

/// Which record an item route names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    None,
    Program,
    Tier,
    Partner,
    Account,
    User,
    Token,
    Registration,
    Engagement,
    Conflict,
    Charter,
    Tree,
    Application,
    Draft,
    Opportunity,
    RoomTask,
    BusinessPlan,
    PlanTask,
    Notification,
    CommissionLine,
    Statement,
    LineDispute,
    File,
    CampaignTemplate,
    Campaign,
    CampaignLead,
    MdfBudget,
    MdfAllocation,
    MdfRequest,
    MdfClaim,
    WebhookSubscription,
    WebhookDelivery,
    Curriculum,
    Course,
    CourseModule,
    Question,
    Enrolment,
    Attempt,
    Certification,
    // Events.
    ProgramEvent,
    EventRegistration,
    LaunchTemplate,
    Launch,
    LaunchTask,
    ImportRun,
    DirectoryListing,
    DirectoryReview,
    DirectoryDecision,
    DirectoryLead,
    DirectoryCollection,
    MappingPartnership,
}

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub target: Target,
    pub expect: Expect,
}

macro_rules! routes {
    ($($method:ident $path:literal $target:ident $expect:ident),* $(,)?) => {
        pub fn routes() -> Vec<Route> {
            vec![$(Route { method: Method::$method, path: $path, target: Target::$target, expect: Expect::$expect }),*]
        }
    };
}

routes!(
    GET "/api/v1/openapi.json" None Public,
    GET "/api/v1/me" None OwnOnly,
    GET "/api/v1/programs" None OwnRowsOnly,
    POST "/api/v1/programs" None CreateRefused,
    GET "/api/v1/programs/{id}" Program NotFound,
    PATCH "/api/v1/programs/{id}" Program NotFound,
    POST "/api/v1/programs/{id}/archive" Program NotFound,
    POST "/api/v1/programs/{id}/restore" Program NotFound,
    GET "/api/v1/programs/{id}/audit" Program NotFound,
    GET "/api/v1/programs/{id}/tiers" Program NotFound,
    POST "/api/v1/programs/{id}/tiers" Program NotFound,
    GET "/api/v1/tiers/{id}" Tier NotFound,
    PATCH "/api/v1/tiers/{id}" Tier NotFound,
    POST "/api/v1/tiers/{id}/archive" Tier NotFound,
    POST "/api/v1/tiers/{id}/restore" Tier NotFound,
    GET "/api/v1/tiers/{id}/audit" Tier NotFound,
    GET "/api/v1/partners" None OwnRowsOnly,
    POST "/api/v1/partners" None CreateRefused,
    GET "/api/v1/partners/{id}" Partner NotFound,
    GET "/api/v1/partners/{id}/channel-manager" Partner NotFound,
    PUT "/api/v1/partners/{id}/channel-manager" Partner NotFound,
    PATCH "/api/v1/partners/{id}" Partner NotFound,
    POST "/api/v1/partners/{id}/archive" Partner NotFound,
    POST "/api/v1/partners/{id}/restore" Partner NotFound,
    GET "/api/v1/partners/{id}/audit" Partner NotFound,
    GET "/api/v1/accounts" None OwnRowsOnly,
    POST "/api/v1/accounts" None CreateRefused,
    GET "/api/v1/accounts/{id}" Account NotFound,
    PATCH "/api/v1/accounts/{id}" Account NotFound,
    POST "/api/v1/accounts/{id}/archive" Account NotFound,
    POST "/api/v1/accounts/{id}/restore" Account NotFound,
    GET "/api/v1/accounts/{id}/audit" Account NotFound,
    GET "/api/v1/users" None OwnRowsOnly,
    POST "/api/v1/users" None CreateOwnOnly,
    GET "/api/v1/users/{id}" User NotFound,
    PATCH "/api/v1/users/{id}" User NotFound,
    POST "/api/v1/users/{id}/archive" User NotFound,
    POST "/api/v1/users/{id}/restore" User NotFound,
    GET "/api/v1/users/{id}/audit" User NotFound,
    GET "/api/v1/tokens" None OwnOnly,
    POST "/api/v1/tokens" None OwnOnly,
    POST "/api/v1/tokens/{id}/revoke" Token NotFound,
    GET "/api/v1/programs/{id}/registration-policy" Program NotFound,
    PUT "/api/v1/programs/{id}/registration-policy" Program NotFound,
    GET "/api/v1/accounts/{id}/registrations" Account NotFound,
    POST "/api/v1/accounts/{id}/direct-activities" Account NotFound,
    POST "/api/v1/accounts/{id}/merge" Account NotFound,
    POST "/api/v1/accounts/{id}/distinct" Account NotFound,
    GET "/api/v1/registrations" None OwnRowsOnly,
    POST "/api/v1/registrations" None CreateOwnOnly,
    POST "/api/v1/registrations/check" None HeldNotByWhom,
    GET "/api/v1/registrations/{id}" Registration NotFound,
    GET "/api/v1/registrations/{id}/decisions" Registration NotFound,
    GET "/api/v1/registrations/{id}/activities" Registration NotFound,
    POST "/api/v1/registrations/{id}/activities" Registration NotFound,
    POST "/api/v1/registrations/{id}/approve" Registration NotFound,
    POST "/api/v1/registrations/{id}/reject" Registration NotFound,
    POST "/api/v1/registrations/{id}/withdraw" Registration NotFound,
    POST "/api/v1/registrations/{id}/renew" Registration NotFound,
    POST "/api/v1/registrations/{id}/close" Registration NotFound,
    GET "/api/v1/registrations/{id}/audit" Registration NotFound,
    POST "/api/v1/registrations/{id}/engagement-requests" Registration NotFound,
    GET "/api/v1/engagement-requests" None OwnRowsOnly,
    GET "/api/v1/engagement-requests/{id}" Engagement NotFound,
    POST "/api/v1/engagement-requests/{id}/grant" Engagement NotFound,
    POST "/api/v1/engagement-requests/{id}/deny" Engagement NotFound,
    GET "/api/v1/conflicts" None OwnRowsOnly,
    POST "/api/v1/conflicts" None CreateOwnOnly,
    GET "/api/v1/conflicts/{id}" Conflict NotFound,
    GET "/api/v1/conflicts/{id}/comments" Conflict NotFound,
    POST "/api/v1/conflicts/{id}/comments" Conflict NotFound,
    POST "/api/v1/conflicts/{id}/resolve" Conflict NotFound,
    GET "/api/v1/conflicts/{id}/decisions" Conflict NotFound,
    GET "/api/v1/charters" None OwnRowsOnly,
    POST "/api/v1/charters" None CreateRefused,
    GET "/api/v1/charters/{id}" Charter NotFound,
    PATCH "/api/v1/charters/{id}" Charter NotFound,
    POST "/api/v1/charters/{id}/sign" Charter NotFound,
    POST "/api/v1/charters/{id}/amend" Charter NotFound,
    POST "/api/v1/charters/{id}/phase" Charter NotFound,
    GET "/api/v1/charters/{id}/gate-reviews" Charter NotFound,
    POST "/api/v1/charters/{id}/gate-reviews" Charter NotFound,
    POST "/api/v1/charters/{id}/end" Charter NotFound,
    GET "/api/v1/charters/{id}/decisions" Charter NotFound,
    GET "/api/v1/charters/{id}/audit" Charter NotFound,
    GET "/api/v1/charters/{id}/operating-model" Charter NotFound,
    GET "/api/v1/decision-trees" None Public,
    PUT "/api/v1/decision-trees/{key}" Tree CreateRefused,
    POST "/api/v1/decision-trees/{key}/evaluate" Tree CreateOwnOnly,
    GET "/api/v1/programs/{id}/policy" Program NotFound,
    PUT "/api/v1/programs/{id}/policy" Program NotFound,
    GET "/api/v1/programs/{id}/policy/versions" Program NotFound,
    GET "/api/v1/programs/{id}/policy/versions/{version}" Program NotFound,
    GET "/api/v1/programs/{id}/policy/diff" Program NotFound,
    POST "/api/v1/programs/{id}/policy/simulate" Program NotFound,
    POST "/api/v1/policy/validate" None Public,
    GET "/api/v1/programs/{id}/policy/drafts" Program OwnRowsOnly,
    POST "/api/v1/programs/{id}/policy/drafts" Program NotFound,
    GET "/api/v1/policy-drafts/{id}" Draft NotFound,
    POST "/api/v1/policy-drafts/{id}/share" Draft NotFound,
    POST "/api/v1/policy-drafts/{id}/publish" Draft NotFound,
    POST "/api/v1/policy-drafts/{id}/discard" Draft NotFound,
    POST "/api/v1/policy-drafts/{id}/comments" Draft NotFound,
    GET "/api/v1/applications" None OwnRowsOnly,
    POST "/api/v1/applications" None PublicForm,
    GET "/api/v1/applications/{id}" Application NotFound,
    POST "/api/v1/applications/{id}/rescore" Application NotFound,
    POST "/api/v1/applications/{id}/approve" Application NotFound,
    POST "/api/v1/applications/{id}/decline" Application NotFound,
    POST "/api/v1/invitations/accept" None TokenOnly,
    GET "/api/v1/partners/{id}/onboarding" Partner NotFound,
    POST "/api/v1/partners/{id}/onboarding/{key}" Partner NotFound,
    GET "/api/v1/partners/{id}/tier-standing" Partner NotFound,
    GET "/api/v1/partners/{id}/decisions" Partner NotFound,
    // The technology track: another partner's standing is 404; placing and evaluating are
    // staff's (403 before any record is read).
    GET "/api/v1/partners/{id}/track" Partner NotFound,
    POST "/api/v1/partners/{id}/track/placement" Partner StaffOnly,
    POST "/api/v1/partners/{id}/track/evaluation" Partner StaffOnly,
    GET "/api/v1/programs/{id}/activation" Program NotFound,
    GET "/api/v1/programs/{id}/council" Program NotFound,
    PUT "/api/v1/programs/{id}/council/members/{partner_id}" Program NotFound,
    DELETE "/api/v1/programs/{id}/council/members/{partner_id}" Program NotFound,
    POST "/api/v1/programs/{id}/council/meetings" Program NotFound,
    GET "/api/v1/programs/{id}/cohort" Program NotFound,
    POST "/api/v1/programs/{id}/launch" Program NotFound,
    GET "/api/v1/opportunities" None OwnRowsOnly,
    POST "/api/v1/opportunities" None CreateRefused,
    GET "/api/v1/opportunities/{id}" Opportunity NotFound,
    PATCH "/api/v1/opportunities/{id}" Opportunity NotFound,
    POST "/api/v1/opportunities/{id}/stage" Opportunity NotFound,
    POST "/api/v1/opportunities/{id}/close" Opportunity NotFound,
    POST "/api/v1/opportunities/{id}/reopen" Opportunity NotFound,
    GET "/api/v1/opportunities/{id}/history" Opportunity NotFound,
    GET "/api/v1/opportunities/{id}/touchpoints" Opportunity NotFound,
    POST "/api/v1/opportunities/{id}/touchpoints" Opportunity NotFound,
    GET "/api/v1/opportunities/{id}/audit" Opportunity NotFound,
    GET "/api/v1/pipeline/board" None OwnOnly,
    GET "/api/v1/pipeline/forecast" None OwnOnly,
    GET "/api/v1/fx-rates" None OwnRowsOnly,
    POST "/api/v1/fx-rates" None CreateRefused,
    POST "/api/v1/fx-rates/import" None CreateRefused,
    // CSV import: vendor staff only.
    GET "/api/v1/imports" None StaffOnly,
    POST "/api/v1/imports" None CreateRefused,
    GET "/api/v1/imports/{id}" ImportRun StaffOnly,
    GET "/api/v1/import-mappings" None StaffOnly,
    GET "/api/v1/opportunities/{id}/room" Opportunity NotFound,
    POST "/api/v1/opportunities/{id}/room/members" Opportunity NotFound,
    DELETE "/api/v1/opportunities/{id}/room/members/{user_id}" Opportunity NotFound,
    POST "/api/v1/opportunities/{id}/room/notes" Opportunity NotFound,
    POST "/api/v1/opportunities/{id}/room/tasks" Opportunity NotFound,
    PATCH "/api/v1/room-tasks/{id}" RoomTask NotFound,
    PUT "/api/v1/opportunities/{id}/room/fields/{key}" Opportunity NotFound,
    GET "/api/v1/business-plans" None OwnRowsOnly,
    POST "/api/v1/business-plans" None CreateOwnOnly,
    GET "/api/v1/business-plans/{id}" BusinessPlan NotFound,
    PATCH "/api/v1/business-plans/{id}" BusinessPlan NotFound,
    POST "/api/v1/business-plans/{id}/sign" BusinessPlan NotFound,
    POST "/api/v1/business-plans/{id}/amend" BusinessPlan NotFound,
    GET "/api/v1/business-plans/{id}/versions" BusinessPlan NotFound,
    GET "/api/v1/business-plans/{id}/diff" BusinessPlan NotFound,
    GET "/api/v1/business-plans/{id}/attainment" BusinessPlan NotFound,
    GET "/api/v1/business-plans/{id}/reviews" BusinessPlan NotFound,
    POST "/api/v1/business-plans/{id}/reviews" BusinessPlan NotFound,
    GET "/api/v1/business-plans/{id}/reviews-due" BusinessPlan NotFound,
    GET "/api/v1/business-plans/{id}/audit" BusinessPlan NotFound,
    GET "/api/v1/cadence" None OwnOnly,
    GET "/api/v1/cadence/plans" None OwnOnly,
    POST "/api/v1/calendar-feed" None OwnOnly,
    GET "/api/v1/calendar-feed" None OwnOnly,
    DELETE "/api/v1/calendar-feed" None OwnOnly,
    GET "/api/v1/business-plans/{id}/tasks" BusinessPlan NotFound,
    PATCH "/api/v1/plan-tasks/{id}" PlanTask NotFound,
    GET "/api/v1/notifications" None OwnRowsOnly,
    POST "/api/v1/notifications/{id}/read" Notification NotFound,
    GET "/api/v1/notification-preferences" None OwnOnly,
    PUT "/api/v1/notification-preferences" None OwnOnly,
    GET "/api/v1/commission-lines" None OwnRowsOnly,
    GET "/api/v1/commission-lines/{id}" CommissionLine NotFound,
    GET "/api/v1/payout-statements" None OwnRowsOnly,
    GET "/api/v1/payout-statements/export.csv" None NotFound,
    POST "/api/v1/payout-statements/run" None CreateRefused,
    GET "/api/v1/payout-statements/{id}" Statement NotFound,
    GET "/api/v1/payout-statements/{id}/lines.csv" Statement NotFound,
    GET "/api/v1/payout-statements/{id}/audit" Statement NotFound,
    POST "/api/v1/payout-statements/{id}/disputes" Statement NotFound,
    POST "/api/v1/payout-statements/{id}/approve" Statement NotFound,
    POST "/api/v1/payout-statements/{id}/pay" Statement NotFound,
    POST "/api/v1/line-disputes/{id}/resolve" LineDispute NotFound,
    GET "/api/v1/opportunities/{id}/revenue-events" Opportunity NotFound,
    POST "/api/v1/files" None CreateOwnOnly,
    GET "/api/v1/files/{id}" File NotFound,
    GET "/api/v1/files/{id}/content" File NotFound,
    GET "/api/v1/campaign-templates" None OwnRowsOnly,
    POST "/api/v1/campaign-templates" None CreateRefused,
    GET "/api/v1/campaign-templates/{id}" CampaignTemplate NotFound,
    PATCH "/api/v1/campaign-templates/{id}" CampaignTemplate NotFound,
    POST "/api/v1/campaign-templates/{id}/publish" CampaignTemplate NotFound,
    POST "/api/v1/campaign-templates/{id}/retire" CampaignTemplate NotFound,
    GET "/api/v1/campaigns" None OwnRowsOnly,
    POST "/api/v1/campaigns" None CreateOwnOnly,
    GET "/api/v1/campaigns/{id}" Campaign NotFound,
    POST "/api/v1/campaigns/{id}/end" Campaign NotFound,
    GET "/api/v1/campaigns/{id}/leads" Campaign NotFound,
    GET "/api/v1/campaigns/{id}/report" Campaign NotFound,
    POST "/api/v1/campaign-leads/{id}/registration" CampaignLead NotFound,
    POST "/api/v1/opportunities/{id}/revenue-events" Opportunity NotFound,
    GET "/api/v1/mdf-budgets" None OwnRowsOnly,
    POST "/api/v1/mdf-budgets" None CreateRefused,
    GET "/api/v1/mdf-budgets/{id}" MdfBudget NotFound,
    GET "/api/v1/mdf-allocations" None OwnRowsOnly,
    POST "/api/v1/mdf-allocations" None CreateRefused,
    GET "/api/v1/mdf-allocations/{id}" MdfAllocation NotFound,
    GET "/api/v1/mdf-requests" None OwnRowsOnly,
    POST "/api/v1/mdf-requests" None CreateOwnOnly,
    GET "/api/v1/mdf-requests/{id}" MdfRequest NotFound,
    POST "/api/v1/mdf-requests/{id}/approve" MdfRequest NotFound,
    POST "/api/v1/mdf-requests/{id}/reject" MdfRequest NotFound,
    POST "/api/v1/mdf-requests/{id}/cancel" MdfRequest NotFound,
    POST "/api/v1/mdf-requests/{id}/claim" MdfRequest NotFound,
    POST "/api/v1/mdf-requests/{id}/opportunities" MdfRequest NotFound,
    GET "/api/v1/mdf-requests/{id}/audit" MdfRequest NotFound,
    GET "/api/v1/mdf-claims" None OwnRowsOnly,
    GET "/api/v1/mdf-claims/{id}" MdfClaim NotFound,
    POST "/api/v1/mdf-claims/{id}/approve" MdfClaim NotFound,
    POST "/api/v1/mdf-claims/{id}/reject" MdfClaim NotFound,
    POST "/api/v1/mdf-claims/{id}/pay" MdfClaim NotFound,
    GET "/api/v1/mdf-roi" None OwnRowsOnly,
    GET "/api/v1/webhook-subscriptions" None OwnRowsOnly,
    POST "/api/v1/webhook-subscriptions" None CreateOwnOnly,
    GET "/api/v1/webhook-subscriptions/{id}" WebhookSubscription NotFound,
    PATCH "/api/v1/webhook-subscriptions/{id}" WebhookSubscription NotFound,
    DELETE "/api/v1/webhook-subscriptions/{id}" WebhookSubscription NotFound,
    POST "/api/v1/webhook-subscriptions/{id}/rotate-secret" WebhookSubscription NotFound,
    GET "/api/v1/webhook-subscriptions/{id}/deliveries" WebhookSubscription NotFound,
    POST "/api/v1/webhook-subscriptions/{id}/replay" WebhookSubscription NotFound,
    GET "/api/v1/webhook-deliveries/{id}" WebhookDelivery NotFound,
    GET "/api/v1/curricula" None Public,
    POST "/api/v1/curricula" None CreateRefused,
    GET "/api/v1/curricula/{id}" Curriculum Public,
    PATCH "/api/v1/curricula/{id}" Curriculum CreateRefused,
    GET "/api/v1/courses" None Public,
    POST "/api/v1/courses" None CreateRefused,
    GET "/api/v1/courses/{id}" Course Public,
    PATCH "/api/v1/courses/{id}" Course CreateRefused,
    POST "/api/v1/courses/{id}/modules" Course CreateRefused,
    PATCH "/api/v1/course-modules/{id}" CourseModule CreateRefused,
    GET "/api/v1/courses/{id}/questions" Course NotFound,
    POST "/api/v1/courses/{id}/questions" Course CreateRefused,
    PATCH "/api/v1/questions/{id}" Question NotFound,
    POST "/api/v1/courses/{id}/enrolment" Course OwnOnly,
    GET "/api/v1/enrolments" None OwnRowsOnly,
    GET "/api/v1/enrolments/{id}" Enrolment NotFound,
    POST "/api/v1/enrolments/{id}/progress" Enrolment NotFound,
    POST "/api/v1/enrolments/{id}/attempts" Enrolment NotFound,
    GET "/api/v1/attempts/{id}" Attempt NotFound,
    POST "/api/v1/attempts/{id}/submit" Attempt NotFound,
    GET "/api/v1/certifications" None OwnRowsOnly,
    GET "/api/v1/certifications/{id}" Certification NotFound,
    // Events: B's workshop for its customers, and its customer's RSVP.
    GET "/api/v1/events" None OwnRowsOnly,
    POST "/api/v1/events" None CreateOwnOnly,
    GET "/api/v1/events/{id}" ProgramEvent NotFound,
    PATCH "/api/v1/events/{id}" ProgramEvent NotFound,
    POST "/api/v1/events/{id}/publish" ProgramEvent NotFound,
    POST "/api/v1/events/{id}/cancel" ProgramEvent NotFound,
    POST "/api/v1/events/{id}/complete" ProgramEvent NotFound,
    GET "/api/v1/events/{id}/rsvps" ProgramEvent NotFound,
    POST "/api/v1/events/{id}/rsvps" ProgramEvent NotFound,
    POST "/api/v1/events/{id}/check-in" ProgramEvent NotFound,
    GET "/api/v1/events/{id}/attendance" ProgramEvent NotFound,
    GET "/api/v1/events/{id}/attendance.csv" ProgramEvent NotFound,
    GET "/api/v1/event-rsvps/{id}" EventRegistration NotFound,
    POST "/api/v1/event-rsvps/{id}/check-in" EventRegistration NotFound,
    // Launch checklists.
    GET "/api/v1/launch-templates" None OwnRowsOnly,
    POST "/api/v1/launch-templates" None CreateRefused,
    POST "/api/v1/launch-templates/seed" None CreateRefused,
    GET "/api/v1/launch-templates/{id}" LaunchTemplate NotFound,
    PATCH "/api/v1/launch-templates/{id}" LaunchTemplate NotFound,
    POST "/api/v1/launch-templates/{id}/archive" LaunchTemplate NotFound,
    GET "/api/v1/launches" None OwnRowsOnly,
    POST "/api/v1/launches" None CreateOwnOnly,
    GET "/api/v1/launches/{id}" Launch NotFound,
    POST "/api/v1/launches/{id}/reschedule" Launch NotFound,
    GET "/api/v1/launches/{id}/audit" Launch NotFound,
    PATCH "/api/v1/launch-tasks/{id}" LaunchTask NotFound,
    // The directory: B's draft listing (a partner never sees another's drafts); the public
    // search shows published listings only; program settings are the vendor's.
    GET "/api/v1/directory/listings" None OwnRowsOnly,
    POST "/api/v1/directory/listings" None CreateOwnOnly,
    GET "/api/v1/directory/listings/{id}" DirectoryListing NotFound,
    PATCH "/api/v1/directory/listings/{id}" DirectoryListing NotFound,
    POST "/api/v1/directory/listings/{id}/submit" DirectoryListing NotFound,
    POST "/api/v1/directory/listings/{id}/withdraw" DirectoryListing NotFound,
    POST "/api/v1/directory/listings/{id}/review" DirectoryListing NotFound,
    POST "/api/v1/directory/listings/{id}/unpublish" DirectoryListing NotFound,
    POST "/api/v1/directory/listings/{id}/verify" DirectoryListing NotFound,
    GET "/api/v1/directory/listings/{id}/audit" DirectoryListing NotFound,
    GET "/api/v1/directory/search" None Public,
    GET "/api/v1/directory/programs/{id}/mode" Program NotFound,
    PUT "/api/v1/directory/programs/{id}/mode" Program NotFound,
    // The trust layer: B's (hidden) review, the decision on it and B's enquiry are 404;
    // the queue and staff reviews are the vendor's; lists show the partner's own rows.
    GET "/api/v1/directory/reviews" None OwnRowsOnly,
    GET "/api/v1/directory/reviews/{id}" DirectoryReview NotFound,
    POST "/api/v1/directory/listings/{id}/reviews" DirectoryListing StaffOnly,
    PUT "/api/v1/directory/reviews/{id}/answer" DirectoryReview NotFound,
    POST "/api/v1/directory/listings/{id}/reports" DirectoryListing NotFound,
    POST "/api/v1/directory/reviews/{id}/reports" DirectoryReview NotFound,
    GET "/api/v1/directory/moderation" None StaffOnly,
    POST "/api/v1/directory/listings/{id}/moderate" DirectoryListing NotFound,
    POST "/api/v1/directory/reviews/{id}/moderate" DirectoryReview NotFound,
    GET "/api/v1/directory/decisions" None OwnRowsOnly,
    POST "/api/v1/directory/decisions/{id}/appeal" DirectoryDecision NotFound,
    GET "/api/v1/directory/leads" None OwnRowsOnly,
    GET "/api/v1/directory/leads/{id}" DirectoryLead NotFound,
    POST "/api/v1/directory/leads/{id}/register" DirectoryLead NotFound,
    // Collections: live ones are public pages (B's draft in one never shows); an archived
    // one is the vendor's. Usage and recommendations are the listing's.
    GET "/api/v1/directory/collections" None Public,
    POST "/api/v1/directory/collections" None CreateRefused,
    GET "/api/v1/directory/collections/{id}" DirectoryCollection NotFound,
    PATCH "/api/v1/directory/collections/{id}" DirectoryCollection NotFound,
    POST "/api/v1/directory/collections/{id}/archive" DirectoryCollection NotFound,
    POST "/api/v1/directory/collections/{id}/restore" DirectoryCollection NotFound,
    GET "/api/v1/directory/collections/{id}/audit" DirectoryCollection NotFound,
    GET "/api/v1/directory/listings/{id}/usage" DirectoryListing NotFound,
    PUT "/api/v1/directory/listings/{id}/usage" DirectoryListing NotFound,
    GET "/api/v1/directory/listings/{id}/recommendations" DirectoryListing NotFound,
    // Account mapping: B's active partnership with an upload and matches.
    GET "/api/v1/mapping/partnerships" None OwnRowsOnly,
    POST "/api/v1/mapping/partnerships" None CreateOwnOnly,
    GET "/api/v1/mapping/partnerships/{id}" MappingPartnership NotFound,
    POST "/api/v1/mapping/partnerships/{id}/accept" MappingPartnership NotFound,
    POST "/api/v1/mapping/partnerships/{id}/end" MappingPartnership NotFound,
    PUT "/api/v1/mapping/partnerships/{id}/settings" MappingPartnership NotFound,
    POST "/api/v1/mapping/partnerships/{id}/upload" MappingPartnership NotFound,
    DELETE "/api/v1/mapping/partnerships/{id}/upload" MappingPartnership NotFound,
    GET "/api/v1/mapping/partnerships/{id}/matrix" MappingPartnership NotFound,
    GET "/api/v1/mapping/partnerships/{id}/cells/{vendor}/{partner}" MappingPartnership NotFound,
    GET "/api/v1/mapping/partnerships/{id}/matches" MappingPartnership NotFound,
    POST "/api/v1/mapping/partnerships/{id}/matches/{match_id}/decision" MappingPartnership NotFound,
    GET "/api/v1/mapping/partnerships/{id}/suggestions" MappingPartnership NotFound,
    GET "/api/v1/mapping/partnerships/{id}/intros" MappingPartnership NotFound,
    POST "/api/v1/mapping/partnerships/{id}/intros" MappingPartnership NotFound,
    POST "/api/v1/mapping/partnerships/{id}/intros/{intro_id}/answer" MappingPartnership NotFound,
    GET "/api/v1/mapping/partnerships/{id}/audit" MappingPartnership NotFound,
);

/// Deal-registration records of one partner: a registration (approved, with an activity),
/// an engagement request on it and a conflict case about it (with a comment).
pub struct Deals {
    pub registration: String,
    /// The opportunity the registration's approval opened.
    pub opportunity: String,
    /// A task in that opportunity's deal room.
    pub room_task: String,
    /// The partner's joint business plan.
    pub business_plan: String,
    /// A task of that plan (a reviewed next step, owned by channel staff).
    pub plan_task: String,
    pub engagement: String,
    pub conflict: String,
    pub charter: String,
}

/// Creates `side`'s deal records through the API, on `account` (an existing account id)
/// or a described company.
pub(crate) async fn deals(app: &TestApp, w: &World, side: &Side, account: Value) -> Deals {
    let mut body = json!({"title": "Pipeline deal", "estimated_arr_minor": 1_250_000});
    match account {
        Value::String(id) => body["account_id"] = json!(id),
        described => body["account"] = described,
    }
    let r = app
        .http
        .post("/api/v1/registrations", &side.rep_token, &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let registration = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{registration}/approve"),
            &w.channel,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let opportunity = r.json()["opportunity_id"].as_str().unwrap().to_owned();
    // A touchpoint of the partner's own on it.
    let r = app
        .http
        .post(
            &format!("/api/v1/opportunities/{opportunity}/touchpoints"),
            &side.rep_token,
            &json!({"kind": "demo", "notes": "demo for the buying committee"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // In its deal room: a shared note, a private one and a task.
    let name = &side.partner.name;
    for (body, visibility) in [
        (format!("{name}: shared plan for the deal"), "everyone"),
        (format!("{name} private: our margin floor"), "our_side"),
    ] {
        let r = app
            .http
            .post(
                &format!("/api/v1/opportunities/{opportunity}/room/notes"),
                &side.rep_token,
                &json!({"body": body, "visibility": visibility}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let r = app
        .http
        .post(
            &format!("/api/v1/opportunities/{opportunity}/room/tasks"),
            &side.rep_token,
            &json!({"title": "Security questionnaire", "due_on": "2027-01-15"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let room_task = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{registration}/activities"),
            &side.rep_token,
            &json!({"kind": "meeting", "notes": "scoping"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .http
        .post(
            &format!("/api/v1/registrations/{registration}/engagement-requests"),
            &w.sales,
            &json!({"reason": "the customer asked for us"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let engagement = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            "/api/v1/conflicts",
            &side.admin_token,
            &json!({"registration_id": registration, "reason": "direct sales approached our contact"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let conflict = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/conflicts/{conflict}/comments"),
            &side.rep_token,
            &json!({"body": "we met them first"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .http
        .post(
            "/api/v1/charters",
            &w.channel,
            &json!({"partner_id": side.partner.id.to_string(), "title": format!("{} alliance", side.partner.name),
                    "content": {"story": {"who_buys": "finance teams"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let charter = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            "/api/v1/business-plans",
            &w.channel,
            &json!({"partner_id": side.partner.id.to_string(), "title": format!("{} FY plan", side.partner.name),
                    "period_start": "2027-01-01",
                    "content": {"milestones": [{"quarter": 1, "sourced_arr_minor": 5_000_000}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let business_plan = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/business-plans/{business_plan}/reviews"),
            &w.channel,
            &json!({"kind": "monthly_pipeline_review", "held_on": "2026-01-05",
                    "attendees": [format!("{name} team")], "next_steps": [format!("{name}: send the deck")]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .http
        .get(
            &format!("/api/v1/business-plans/{business_plan}/tasks"),
            &w.channel,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let plan_task = r.json()[0]["id"].as_str().unwrap().to_owned();
    Deals {
        business_plan,
        plan_task,
        registration,
        opportunity,
        room_task,
        engagement,
        conflict,
        charter,
    }
}

/// Lifecycle records on B's side: an application waiting for a decision (no partner's), a
/// draft of B's program shared with its council (B sits on it, and commented), B's
/// onboarding tick and a council meeting.
pub struct Governed {
    pub application: String,
    pub draft: String,
}

pub(crate) async fn governed(app: &TestApp, w: &World) -> Governed {
    let other = w.other_program.id.to_string();
    let r = app
        .http
        .api(
            Method::POST,
            "/api/v1/applications",
            None,
            Some(&json!({
                "program_id": other, "company": "Waiting Co", "web_domain": "waiting.example",
                "partner_type": "reseller", "country": "FR", "employees": 40, "countries": ["FR"],
                "verticals": [], "vendor_relationships": [], "target_customers": 3,
                "certified_staff": 1, "contact_name": "Wendy", "contact_email": "wendy@waiting.example"
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let application = r.json()["id"].as_str().unwrap().to_owned();
    let mut doc = ProgramPolicy::seed_default();
    doc.registration.sla_days = 7;
    let r = app
        .http
        .post(
            &format!("/api/v1/programs/{other}/policy/drafts"),
            &w.admin,
            &json!({"document": doc.to_toml(), "change_note": "Faster follow-up"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let draft = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .api(
            Method::PUT,
            &format!(
                "/api/v1/programs/{other}/council/members/{}",
                w.b.partner.id
            ),
            Some(&w.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .http
        .post(
            &format!("/api/v1/policy-drafts/{draft}/share"),
            &w.admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .http
        .post(
            &format!("/api/v1/policy-drafts/{draft}/comments"),
            &w.b.admin_token,
            &json!({"body": "Seven days is tight for Beta Consulting"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // B sees its council's draft (A, below, must not).
    let r = app
        .http
        .get(
            &format!("/api/v1/programs/{other}/policy/drafts"),
            &w.b.admin_token,
        )
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1, "{}", r.text());
    let r = app
        .http
        .post(
            &format!(
                "/api/v1/partners/{}/onboarding/agreement_signed",
                w.b.partner.id
            ),
            &w.b.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .http
        .post(
            &format!("/api/v1/programs/{other}/council/meetings"),
            &w.admin,
            &json!({"held_on": "2026-01-10", "notes": "Beta Consulting council notes"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    Governed { application, draft }
}

/// Runs the notify job over everything written so far, so each partner's users have
/// notifications of their deals, and returns one of B's admin's.
pub(crate) async fn b_notification(app: &TestApp, w: &World) -> String {
    app.store.notify().await.expect("notify");
    let r = app
        .http
        .get("/api/v1/notifications", &w.b.admin_token)
        .await;
    r.json()["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("B's admin has a notification: {}", r.text()))
        .to_owned()
}

on_both!(partner_cannot_reach_other_partners);

/// A valid body for a route, so a refusal is about scope, not about the input.
fn body_for(
    route: &Route,
    w: &World,
    theirs: &Deals,
    their_mdf: &crate::mdf::Mdf,
    caller: &str,
) -> Option<Value> {
    if route.method == Method::GET || route.method == Method::DELETE {
        return None;
    }
    let policy = ProgramPolicy::seed_default().to_toml();
    Some(match (route.target, route.path) {
        (Target::Program, p) if p.ends_with("/policy") || p.ends_with("/policy/drafts") => {
            json!({"document": policy, "change_note": "hijack"})
        }
        (_, p) if p.ends_with("/policy/simulate") || p.ends_with("/policy/validate") => {
            json!({"document": policy})
        }
        (Target::Draft, p) if p.ends_with("/comments") => json!({"body": "hijack"}),
        (Target::Statement, p) if p.ends_with("/disputes") => {
            json!({"line_id": "cml_00000000000000000000000000000000", "comment": "hijack"})
        }
        (Target::Statement, p) if p.ends_with("/pay") => json!({"reference": "HIJACK-1"}),
        (Target::Statement, _) | (Target::None, "/api/v1/payout-statements/run") => json!({}),
        (Target::LineDispute, _) => json!({"outcome": "upheld", "resolution": "hijack"}),
        (Target::CampaignLead, _) => json!({"estimated_arr_minor": 100}),
        (Target::ProgramEvent, p) if p.ends_with("/rsvps") => json!({"response": "going"}),
        (Target::ProgramEvent, p)
            if p.ends_with("/publish") || p.ends_with("/cancel") || p.ends_with("/complete") =>
        {
            json!({})
        }
        (Target::ProgramEvent, _) => json!({"title": "Hijacked"}),
        (Target::EventRegistration, _) => json!({}),
        (Target::None, "/api/v1/events") => json!({
            "partner_id": w.b.partner.id.to_string(), "kind": "webinar", "title": "Hijack",
            "starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z",
            "join_url": "https://meet.example/x", "audience": "both"
        }),
        // The directory.
        (Target::None, "/api/v1/directory/listings") => json!({
            "partner_id": w.b.partner.id.to_string(), "title": "Hijack", "summary": "Hijack",
            "description": "Hijack", "categories": ["Hijack"]
        }),
        (Target::DirectoryListing, p) if p.ends_with("/reviews") => {
            json!({"rating": 1, "body": "hijack"})
        }
        (Target::DirectoryListing, p) if p.ends_with("/reports") => json!({"reason": "spam"}),
        (Target::DirectoryListing, p) if p.ends_with("/moderate") => {
            json!({"action": "remove", "reason": "hijack"})
        }
        (Target::DirectoryReview, p) if p.ends_with("/answer") => json!({"answer": "hijack"}),
        (Target::DirectoryReview, p) if p.ends_with("/reports") => json!({"reason": "spam"}),
        (Target::DirectoryReview, _) => json!({"action": "remove", "reason": "hijack"}),
        (Target::DirectoryDecision, _) => json!({"text": "hijack"}),
        (Target::DirectoryLead, _) => json!({"country": "GB"}),
        (Target::DirectoryListing, p) if p.ends_with("/review") => json!({"approve": true}),
        (Target::DirectoryListing, p) if p.ends_with("/unpublish") => json!({"reason": "hijack"}),
        (Target::DirectoryListing, p) if p.ends_with("/verify") => json!({"verified": true}),
        (Target::DirectoryListing, p) if p.ends_with("/submit") || p.ends_with("/withdraw") => {
            json!({})
        }
        (Target::DirectoryListing, p) if p.ends_with("/usage") => {
            json!({"period": "2026-11", "customers": 1})
        }
        (Target::DirectoryListing, _) => json!({"title": "Hijacked"}),
        (Target::None, "/api/v1/directory/collections") => {
            json!({"title": "Hijack", "listing_ids": []})
        }
        (Target::DirectoryCollection, _) => json!({"title": "Hijacked"}),
        (Target::Program, p) if p.ends_with("/mode") => json!({"answers": {"brand": true}}),
        (Target::Partner, p) if p.ends_with("/track/placement") => {
            json!({"answers": {"engineering": true}})
        }
        (Target::Partner, p) if p.ends_with("/track/evaluation") => {
            json!({"promote": true, "reason": "hijack"})
        }
        // Account mapping.
        (Target::None, "/api/v1/mapping/partnerships") => {
            json!({"partner_id": w.b.partner.id.to_string()})
        }
        (Target::MappingPartnership, p) if p.ends_with("/settings") => {
            json!({"sharing": {"customer": []}})
        }
        (Target::MappingPartnership, p) if p.ends_with("/decision") => json!({"confirmed": false}),
        (Target::MappingPartnership, p) if p.ends_with("/intros") => {
            json!({"match_id": "amt_00000000000000000000000000000000"})
        }
        (Target::MappingPartnership, p) if p.ends_with("/answer") => json!({"made": true}),
        (Target::MappingPartnership, _) => json!({}),
        // Launch checklists.
        (Target::None, "/api/v1/launch-templates/seed") => {
            json!({"program_id": w.other_program.id.to_string()})
        }
        (Target::None, "/api/v1/launches") => {
            json!({"charter_id": theirs.charter, "launch_on": "2027-03-10"})
        }
        (Target::Launch, _) => json!({"launch_on": "2030-01-01"}),
        (Target::LaunchTask, _) => json!({"status": "done"}),
        (Target::MdfRequest, p) if p.ends_with("/claim") => {
            json!({"claimed_minor": 1, "proof_summary": "hijack"})
        }
        (Target::MdfRequest, p) if p.ends_with("/opportunities") => {
            json!({"opportunity_id": theirs.opportunity})
        }
        (Target::MdfRequest, p) if p.ends_with("/cancel") => json!({}),
        (Target::MdfClaim, p) if p.ends_with("/pay") => json!({"reference": "HIJACK-1"}),
        (Target::MdfRequest | Target::MdfClaim, _) => json!({"reason": "hijack"}),
        (Target::None, "/api/v1/webhook-subscriptions") => json!({
            "url": "http://127.0.0.1:9/hook", "event_kinds": ["*"],
            "partner_id": w.b.partner.id.to_string()
        }),
        (Target::WebhookSubscription, p) if p.ends_with("/replay") => {
            json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"})
        }
        (Target::WebhookSubscription, _) => json!({"status": "disabled"}),
        (Target::None, "/api/v1/mdf-requests") => {
            crate::mdf::request_body(&their_mdf.allocation, "Hijack", 1)
        }
        (Target::None, "/api/v1/mdf-budgets") => json!({
            "program_id": w.other_program.id.to_string(), "name": "Hijack", "amount_minor": 1,
            "currency": "USD", "period_start": "2026-01-01", "period_end": "2026-12-31"
        }),
        (Target::None, "/api/v1/mdf-allocations") => json!({
            "budget_id": their_mdf.budget, "partner_id": w.a.partner.id.to_string(), "amount_minor": 1
        }),
        (Target::Opportunity, p) if p.ends_with("/revenue-events") => {
            json!({"kind": "cancellation", "occurred_on": "2030-01-01"})
        }
        (Target::Draft, _) => json!({}),
        (Target::Enrolment, p) if p.ends_with("/progress") => {
            json!({"module_id": "cmd_00000000000000000000000000000000", "complete": true})
        }
        (Target::Attempt | Target::Enrolment | Target::Course, _) => json!({}),
        (Target::Application, p) if p.ends_with("/rescore") => json!({}),
        (Target::Application, _) => json!({"note": "hijack"}),
        (Target::None, "/api/v1/applications") => json!({
            "program_id": w.other_program.id.to_string(), "company": format!("Applicant of {caller}"),
            "web_domain": format!("{caller}-applicant.example"), "partner_type": "msp", "country": "DE",
            "employees": 10, "countries": ["DE"], "verticals": [], "vendor_relationships": [],
            "target_customers": 1, "certified_staff": 0, "contact_name": "Applicant",
            "contact_email": format!("contact@{caller}-applicant.example")
        }),
        (Target::None, "/api/v1/invitations/accept") => {
            json!({"token": "inv_guessed0000000000000000", "password": "a long enough password"})
        }
        (Target::Partner, p) if p.contains("/onboarding/") => json!({"done": true}),
        (Target::Program, p) if p.ends_with("/council/meetings") => {
            json!({"held_on": "2026-01-01", "notes": "hijack"})
        }
        (Target::Program, p) if p.ends_with("/launch") => {
            json!({"partner_ids": [w.a.partner.id.to_string()]})
        }
        (Target::Charter, p) if p.ends_with("/phase") => json!({"phase": "crawl"}),
        (Target::Charter, p) if p.ends_with("/gate-reviews") => {
            json!({"crawl": {"improvement_bps": 5000, "pilot_customers": ["x"], "would_recommend": true, "can_scale": true}})
        }
        (Target::Charter, p) if p.ends_with("/end") => json!({"lessons": "hijack"}),
        (Target::Charter, p) if p.ends_with("/sign") || p.ends_with("/amend") => json!({}),
        (Target::Charter, _) => json!({"title": "Hijacked"}),
        (Target::Tree, p) if p.ends_with("/evaluate") => {
            json!({"answers": {"core": false}, "charter_id": theirs.charter})
        }
        (Target::Tree, _) => {
            json!({"key": "build_or_partner", "title": "Hijack", "start": "a", "nodes": [{"type": "outcome", "id": "a", "text": "Build"}]})
        }
        (Target::None, "/api/v1/charters") => {
            json!({"partner_id": w.b.partner.id.to_string(), "title": "Hijack"})
        }
        (Target::Opportunity, p) if p.ends_with("/stage") => json!({"stage": "handoff"}),
        (Target::Opportunity, p) if p.ends_with("/close") => {
            json!({"outcome": "lost", "close_on": "2026-01-01", "lost_reason": "other"})
        }
        (Target::Opportunity, p) if p.ends_with("/reopen") => {
            json!({"stage": "handoff", "reason": "hijack"})
        }
        (Target::Opportunity, p) if p.ends_with("/touchpoints") => json!({"kind": "demo"}),
        (Target::Opportunity, p) if p.ends_with("/room/members") => {
            json!({"user_id": w.a.admin.id.to_string()})
        }
        (Target::Opportunity, p) if p.ends_with("/room/notes") => json!({"body": "hijack"}),
        (Target::Opportunity, p) if p.ends_with("/room/tasks") => json!({"title": "hijack"}),
        (Target::Opportunity, p) if p.contains("/room/fields/") => json!({"value": "hijack"}),
        (Target::RoomTask, _) => json!({"status": "cancelled"}),
        (Target::PlanTask, _) => json!({"status": "done"}),
        (Target::BusinessPlan, p) if p.ends_with("/reviews") => json!({
            "kind": "monthly_pipeline_review", "held_on": "2026-01-01", "attendees": ["hijack"]
        }),
        (Target::BusinessPlan, p) if p.ends_with("/amend") => {
            json!({"change_note": "hijack", "title": "Hijacked"})
        }
        (Target::BusinessPlan, p) if p.ends_with("/sign") => json!({}),
        (Target::BusinessPlan, _) => json!({"title": "Hijacked"}),
        (Target::None, "/api/v1/business-plans") => json!({
            "partner_id": w.b.partner.id.to_string(), "title": "Hijack", "period_start": "2027-01-01"
        }),
        (Target::Opportunity, _) => json!({"title": "Hijacked"}),
        (Target::None, "/api/v1/opportunities") => json!({
            "account_id": w.account.id.to_string(), "title": "Hijack", "amount_minor": 1,
            "currency": "USD", "expected_close_on": "2027-01-01", "source": "partner_sourced",
            "route": "resale", "partner_id": w.b.partner.id.to_string()
        }),
        (Target::None, "/api/v1/fx-rates") => {
            json!({"from": "EUR", "to": "USD", "effective_on": "2026-01-01", "rate": "9"})
        }
        (Target::Registration, p) if p.ends_with("/activities") => json!({"kind": "call"}),
        (Target::Registration, p) if p.ends_with("/close") => json!({"outcome": "won"}),
        (Target::Registration | Target::Engagement, p)
            if p.ends_with("/reject")
                || p.ends_with("/deny")
                || p.ends_with("/engagement-requests") =>
        {
            json!({"reason": "hijack"})
        }
        (Target::Registration | Target::Engagement, _) => json!({}),
        (Target::Conflict, p) if p.ends_with("/comments") => json!({"body": "hijack"}),
        (Target::Conflict, p) if p.ends_with("/resolve") => {
            json!({"outcome": "partner_keeps", "reasoning": "hijack"})
        }
        (Target::Program, p) if p.ends_with("/registration-policy") => json!({"sla_days": 1}),
        (Target::Account, p) if p.ends_with("/direct-activities") => json!({"kind": "call"}),
        (Target::Account, p) if p.ends_with("/merge") => json!({"into": w.account.id.to_string()}),
        (Target::Account, p) if p.ends_with("/distinct") => {
            json!({"from": w.account.id.to_string()})
        }
        (Target::None, "/api/v1/registrations") => json!({
            "account": {"name": "Hijack Holdings", "web_domain": "hijack-deal.example", "country": "US"},
            "title": "On B's behalf", "estimated_arr_minor": 1000,
            "partner_id": w.b.partner.id.to_string()
        }),
        (Target::None, "/api/v1/registrations/check") => {
            json!({"name": w.account.name, "web_domain": "globex.example", "country": "US"})
        }
        (Target::None, "/api/v1/conflicts") => {
            json!({"registration_id": theirs.registration, "reason": "hijack"})
        }
        (_, p) if p.ends_with("/archive") || p.ends_with("/restore") || p.ends_with("/revoke") => {
            json!({})
        }
        (Target::Program, p) if p.ends_with("/tiers") => json!({"name": "Hijack", "rank": 9}),
        (Target::Partner, p) if p.ends_with("/channel-manager") => json!({"user_id": null}),
        (Target::User, _) => json!({"display_name": "Hijacked"}),
        (Target::None, "/api/v1/programs") => json!({"name": "Hijack", "kind": "reseller"}),
        (Target::None, "/api/v1/partners") => {
            json!({"name": "Hijack", "web_domain": "hijack.example", "partner_type": "msp", "program_id": w.other_program.id.to_string(), "country": "DE"})
        }
        (Target::None, "/api/v1/accounts") => json!({"name": "Hijack", "country": "DE"}),
        (Target::None, "/api/v1/users") => {
            json!({"email": "spy@beta.example", "display_name": "Spy", "role": "partner_rep", "partner_id": w.b.partner.id.to_string()})
        }
        (Target::None, "/api/v1/tokens") => json!({"name": "mine"}),
        (Target::None, "/api/v1/notification-preferences") => {
            json!({"registration_decision": "daily_digest"})
        }
        _ => json!({"name": "Hijacked"}),
    })
}

/// Every record of partner B (and of the vendor) as the vendor sees it.
async fn snapshot(app: &TestApp, w: &World, theirs: &Deals, gov: &Governed) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/partners/{}", w.b.partner.id),
        format!("/api/v1/users/{}", w.b.admin.id),
        format!("/api/v1/users/{}", w.b.rep.id),
        format!("/api/v1/programs/{}", w.other_program.id),
        format!("/api/v1/programs/{}", w.program.id),
        format!("/api/v1/tiers/{}", w.b.partner.tier_id),
        format!("/api/v1/accounts/{}", w.account.id),
        format!("/api/v1/accounts/{}/registrations?limit=200", w.account.id),
        format!("/api/v1/programs/{}/registration-policy", w.program.id),
        format!(
            "/api/v1/programs/{}/registration-policy",
            w.other_program.id
        ),
        format!("/api/v1/registrations/{}", theirs.registration),
        format!("/api/v1/opportunities/{}", theirs.opportunity),
        format!("/api/v1/opportunities/{}/history", theirs.opportunity),
        format!("/api/v1/opportunities/{}/touchpoints", theirs.opportunity),
        format!("/api/v1/opportunities/{}/room", theirs.opportunity),
        format!("/api/v1/business-plans/{}", theirs.business_plan),
        format!("/api/v1/business-plans/{}/tasks", theirs.business_plan),
        "/api/v1/fx-rates".to_owned(),
        format!("/api/v1/registrations/{}/decisions", theirs.registration),
        format!("/api/v1/registrations/{}/activities", theirs.registration),
        format!(
            "/api/v1/registrations/{}/audit?limit=200",
            theirs.registration
        ),
        format!("/api/v1/engagement-requests/{}", theirs.engagement),
        format!("/api/v1/conflicts/{}", theirs.conflict),
        format!("/api/v1/conflicts/{}/comments", theirs.conflict),
        format!("/api/v1/conflicts/{}/decisions", theirs.conflict),
        format!("/api/v1/charters/{}", theirs.charter),
        format!("/api/v1/charters/{}/decisions", theirs.charter),
        format!("/api/v1/charters/{}/gate-reviews", theirs.charter),
        format!("/api/v1/programs/{}/policy", w.other_program.id),
        format!("/api/v1/programs/{}/policy/versions", w.other_program.id),
        format!("/api/v1/programs/{}/policy/drafts", w.other_program.id),
        format!("/api/v1/programs/{}/policy", w.program.id),
        format!("/api/v1/policy-drafts/{}", gov.draft),
        format!("/api/v1/applications/{}", gov.application),
        "/api/v1/applications?status=approved".to_owned(),
        format!("/api/v1/partners/{}/onboarding", w.b.partner.id),
        format!("/api/v1/partners/{}/decisions", w.b.partner.id),
        format!("/api/v1/programs/{}/council", w.other_program.id),
        format!("/api/v1/programs/{}/cohort", w.other_program.id),
        format!("/api/v1/programs/{}/activation", w.other_program.id),
        format!("/api/v1/programs/{}/council", w.program.id),
        format!("/api/v1/programs/{}/cohort", w.program.id),
        "/api/v1/charters?limit=200".to_owned(),
        "/api/v1/registrations?limit=200".to_owned(),
        "/api/v1/engagement-requests?limit=200".to_owned(),
        "/api/v1/conflicts?limit=200".to_owned(),
        "/api/v1/users?limit=200&archived=all".to_owned(),
        "/api/v1/partners?limit=200&archived=all".to_owned(),
        "/api/v1/programs?limit=200&archived=all".to_owned(),
        "/api/v1/accounts?limit=200&archived=all".to_owned(),
    ] {
        let r = app.http.get(&path, &w.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        out.push(r.json());
    }
    out
}

/// B's MDF records as the vendor sees them.
async fn mdf_snapshot(app: &TestApp, w: &World, theirs: &crate::mdf::Mdf) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/mdf-budgets/{}", theirs.budget),
        format!("/api/v1/mdf-allocations/{}", theirs.allocation),
        format!("/api/v1/mdf-requests/{}", theirs.request),
        format!("/api/v1/mdf-claims/{}", theirs.claim),
    ] {
        let r = app.http.get(&path, &w.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        out.push(r.json());
    }
    out
}

/// B's learning records as the vendor sees them.
async fn learning_snapshot(
    app: &TestApp,
    w: &World,
    theirs: &crate::enablement::Learning,
) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/enrolments/{}", theirs.enrolment),
        format!("/api/v1/attempts/{}", theirs.attempt),
        format!("/api/v1/certifications/{}", theirs.certification),
        format!("/api/v1/courses/{}", theirs.course.course),
        format!("/api/v1/courses/{}/questions", theirs.course.course),
        format!("/api/v1/curricula/{}", theirs.course.curriculum),
    ] {
        let r = app.http.get(&path, &w.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        out.push(r.json());
    }
    out
}

/// B's payout records as the vendor sees them.
async fn payout_snapshot(app: &TestApp, w: &World, theirs: &crate::payout::Payouts) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/payout-statements/{}", theirs.statement),
        format!(
            "/api/v1/commission-lines?partner_id={}&limit=200",
            w.b.partner.id
        ),
        format!(
            "/api/v1/opportunities/{}/revenue-events",
            theirs.opportunity
        ),
    ] {
        let r = app.http.get(&path, &w.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        out.push(r.json());
    }
    out
}

async fn partner_cannot_reach_other_partners(app: TestApp) {
    let w = app.world().await;
    let b_token = app.store.tokens(&w.b.admin.id).await.unwrap().remove(0);
    // Deal records on both sides: B's on the vendor's account, A's on a company of its own.
    // (Described by its domain: a partner may name by id only an account it registered.)
    let theirs = deals(
        &app,
        &w,
        &w.b,
        json!({"name": "Globex", "web_domain": "globex.example", "country": "US"}),
    )
    .await;
    let mine = deals(
        &app,
        &w,
        &w.a,
        json!({"name": "Initrode", "web_domain": "initrode.example", "country": "DE"}),
    )
    .await;
    let gov = governed(&app, &w).await;
    let their_notification = b_notification(&app, &w).await;
    let their_pay = crate::payout::payouts(&app, &w, &w.b, &w.other_program.id.to_string()).await;
    let my_pay = crate::payout::payouts(&app, &w, &w.a, &w.program.id.to_string()).await;
    let their_file = crate::file::proof_of(&app, &w.b).await;
    let my_file = crate::file::proof_of(&app, &w.a).await;
    // B's program's template (a draft: a partner of another program sees none of its
    // templates anyway), B's campaign and its lead.
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
    let their_mdf = crate::mdf::mdf_records(&app, &w, &w.b, &w.other_program.id.to_string()).await;
    let my_mdf = crate::mdf::mdf_records(&app, &w, &w.a, &w.program.id.to_string()).await;
    // Each side's funded activity has an outcome, so the ROI has a row of each partner.
    for (request, opportunity) in [
        (&their_mdf.request, &theirs.opportunity),
        (&my_mdf.request, &mine.opportunity),
    ] {
        let r = app
            .http
            .post(
                &format!("/api/v1/mdf-requests/{request}/opportunities"),
                &w.channel,
                &json!({ "opportunity_id": opportunity }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    // B's launch checklist: a template of B's program, B's launch and one of its tasks.
    let their_launch =
        crate::launch::launch_records(&app, &w, &w.b, &w.other_program.id.to_string()).await;
    // A vendor import run (of currency rates), taken before the snapshot.
    let vendor_import = crate::import::vendor_run(&app, &w.admin).await;
    let mut before = snapshot(&app, &w, &theirs, &gov).await;
    before.extend(payout_snapshot(&app, &w, &their_pay).await);
    before.extend(mdf_snapshot(&app, &w, &their_mdf).await);
    let their_learning = crate::enablement::learning(&app, &w, &w.b, "Isolation").await;
    let their_hooks = webhook_records(&app, &w).await;
    before.push(
        app.http
            .get(
                &format!("/api/v1/webhook-subscriptions/{}", their_hooks.0),
                &w.admin,
            )
            .await
            .json(),
    );
    before.extend(learning_snapshot(&app, &w, &their_learning).await);
    let (their_event, their_rsvp) = crate::event::b_event_records(&app, &w).await;
    // B's draft listing (and A's own published one, so A's list has a row of its own).
    let their_listing = crate::directory::draft(
        &app,
        &w.b,
        &crate::directory::listing_body("Beta Consulting services", &["Consulting"], json!({})),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::directory::submitted(
        &app,
        &w.a,
        &crate::directory::listing_body("Alpha services", &["Consulting"], json!({})),
    )
    .await;
    let their_trust = crate::directory::trust::b_trust_records(&app, &w).await;
    // Collections holding B's draft: a live one (the draft never shows to A) and an
    // archived one (the vendor's).
    let (vendor_collection, _) =
        crate::directory::curation::collections_with(&app, &w, &their_listing).await;
    // B's account mapping: active, shared, with an upload and its matches.
    let their_mapping = crate::mapping::b_mapping(&app, &w).await;
    let campaign_paths = [
        format!("/api/v1/mapping/partnerships/{their_mapping}"),
        format!("/api/v1/mapping/partnerships/{their_mapping}/matrix"),
        format!("/api/v1/mapping/partnerships/{their_mapping}/matches"),
        format!("/api/v1/mapping/partnerships/{their_mapping}/intros"),
        format!("/api/v1/directory/listings/{their_listing}"),
        format!("/api/v1/directory/reviews/{}", their_trust.review),
        format!("/api/v1/directory/leads/{}", their_trust.lead),
        format!("/api/v1/directory/collections/{vendor_collection}"),
        "/api/v1/directory/decisions".to_owned(),
        format!("/api/v1/campaigns/{their_campaign}"),
        format!("/api/v1/campaigns/{their_campaign}/leads"),
        format!("/api/v1/campaign-templates/{their_template}"),
        format!("/api/v1/events/{their_event}"),
        format!("/api/v1/events/{their_event}/rsvps"),
    ];
    for path in &campaign_paths {
        before.push(app.http.get(path, &w.admin).await.json());
    }
    let launch_paths = [
        format!("/api/v1/launch-templates/{}", their_launch.0),
        format!("/api/v1/launches/{}", their_launch.1),
    ];
    for path in &launch_paths {
        before.push(app.http.get(path, &w.admin).await.json());
    }
    for side_is_admin in [true, false] {
        let me: &Side = &w.a;
        let token = if side_is_admin {
            &me.admin_token
        } else {
            &me.rep_token
        };
        for route in routes() {
            let target_id = match route.target {
                Target::None => String::new(),
                // Vendor records: the other partner's program, and the partner's own program too.
                Target::Program => w.other_program.id.to_string(),
                Target::Tier => w.b.partner.tier_id.to_string(),
                Target::Partner => w.b.partner.id.to_string(),
                Target::Account => w.account.id.to_string(),
                Target::User => w.b.admin.id.to_string(),
                Target::Token => b_token.id.to_string(),
                Target::Registration => theirs.registration.clone(),
                Target::Engagement => theirs.engagement.clone(),
                Target::Conflict => theirs.conflict.clone(),
                Target::Charter => theirs.charter.clone(),
                Target::Tree => String::new(),
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
                Target::WebhookDelivery => their_hooks.1.clone(),
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
                Target::ImportRun => vendor_import.clone(),
                Target::DirectoryListing => their_listing.clone(),
                Target::DirectoryReview => their_trust.review.clone(),
                Target::DirectoryDecision => their_trust.decision.clone(),
                Target::DirectoryLead => their_trust.lead.clone(),
                Target::DirectoryCollection => vendor_collection.clone(),
                Target::MappingPartnership => their_mapping.clone(),
            };
            let key = if route.path.contains("/onboarding/") {
                "agreement_signed"
            } else {
                "build_or_partner"
            };
            let caller = if side_is_admin { "admin" } else { "rep" };
            // A seat for the caller's own company on the other program's council.
            let path = route
                .path
                .replace("{id}", &target_id)
                .replace("{key}", key)
                .replace("{version}", "1")
                .replace("{vendor}", "customer")
                .replace("{partner}", "customer")
                .replace("{match_id}", "amt_00000000000000000000000000000000")
                .replace("{intro_id}", "ain_00000000000000000000000000000000")
                .replace("{user_id}", &w.b.rep.id.to_string())
                .replace("{partner_id}", &me.partner.id.to_string());
            let body = body_for(&route, &w, &theirs, &their_mdf, caller);
            let r = app
                .http
                .api(route.method.clone(), &path, Some(token), body.as_ref())
                .await;
            let what = format!(
                "{} {path} as {}",
                route.method,
                if side_is_admin {
                    "partner admin"
                } else {
                    "partner rep"
                }
            );
            match route.expect {
                Expect::Public => assert_eq!(r.status, StatusCode::OK, "{what}"),
                Expect::NotFound => {
                    assert_eq!(r.status, StatusCode::NOT_FOUND, "{what}: {}", r.text());
                    assert_eq!(
                        r.header("content-type").as_deref(),
                        Some("application/problem+json"),
                        "{what}"
                    );
                }
                Expect::CreateRefused => {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.text())
                }
                Expect::StaffOnly => {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.text());
                    assert_eq!(
                        r.header("content-type").as_deref(),
                        Some("application/problem+json"),
                        "{what}"
                    );
                }
                Expect::CreateOwnOnly => {
                    // Naming another partner reads exactly like naming no partner.
                    assert!(
                        r.status == StatusCode::UNPROCESSABLE_ENTITY
                            || r.status == StatusCode::FORBIDDEN,
                        "{what}: {}",
                        r.text()
                    );
                    assert!(!r.text().contains("Beta"), "{what} leaks: {}", r.text());
                }
                // Webhooks are the partner admin's: a rep is refused by role.
                Expect::OwnRowsOnly
                    if !side_is_admin && route.path == "/api/v1/webhook-subscriptions" =>
                {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
                }
                Expect::OwnRowsOnly => {
                    assert_eq!(r.status, StatusCode::OK, "{what}");
                    // A page of `items`, or (the lifecycle lists) a plain array.
                    let v = r.json();
                    let items = v
                        .as_array()
                        .or_else(|| v["items"].as_array())
                        // The MDF ROI: its per-partner rows.
                        .or_else(|| v["partners"].as_array())
                        .unwrap()
                        .clone();
                    own_rows_only(&route, &items, me, &what);
                }
                Expect::PublicForm => {
                    assert_eq!(r.status, StatusCode::CREATED, "{what}: {}", r.text());
                    let v = r.json();
                    assert_eq!(v["status"], "submitted", "{what}: {v}");
                    assert!(v["partner_id"].is_null(), "{what}: {v}");
                }
                Expect::TokenOnly => {
                    assert_eq!(
                        r.status,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "{what}: {}",
                        r.text()
                    );
                    assert_eq!(r.problem_rules(), vec!["token:invitation"], "{what}");
                }
                Expect::HeldNotByWhom => {
                    assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.text());
                    let v = r.json();
                    assert_eq!(v["held"], true, "{what}: {v}");
                    assert_eq!(v["held_by_you"], false, "{what}: {v}");
                    for secret in [
                        w.b.partner.id.to_string(),
                        w.b.admin.id.to_string(),
                        w.b.rep.id.to_string(),
                        theirs.registration.clone(),
                    ] {
                        assert!(!r.text().contains(&secret), "{what} names B: {v}");
                    }
                }
                Expect::OwnOnly => {
                    assert!(r.status.is_success(), "{what}: {}", r.text());
                    assert!(
                        !r.text().contains(&w.b.admin.id.to_string()),
                        "{what} shows B's user"
                    );
                }
            }
            // Nothing about B ever appears in an answer to A.
            assert!(
                !r.text().contains("Beta Consulting") && !r.text().contains("beta.example"),
                "{what} leaks B: {}",
                r.text()
            );
            for secret in [
                &theirs.registration,
                &theirs.opportunity,
                &theirs.room_task,
                &theirs.business_plan,
                &theirs.plan_task,
                &theirs.engagement,
                &theirs.conflict,
                &gov.application,
                &gov.draft,
                &their_notification,
                &their_pay.opportunity,
                &their_pay.line,
                &their_pay.statement,
                &their_pay.dispute,
                &their_mdf.budget,
                &their_mdf.allocation,
                &their_mdf.request,
                &their_mdf.claim,
                &their_learning.enrolment,
                &their_learning.attempt,
                &their_learning.certification,
                &their_event,
                &their_rsvp,
                &their_launch.0,
                &their_launch.1,
                &their_launch.2,
                &their_listing,
                &their_mapping,
            ] {
                assert!(
                    !r.text().contains(secret.as_str()),
                    "{what} shows B's {secret}: {}",
                    r.text()
                );
            }
        }
    }
    // Partner A may read its own program's ladder; the same route for B's program was 404.
    let own = app
        .http
        .get(
            &format!("/api/v1/programs/{}/tiers", w.program.id),
            &w.a.rep_token,
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json()["items"].as_array().unwrap().len(), 3);
    let own_tier = app
        .http
        .get(
            &format!("/api/v1/tiers/{}", w.a.partner.tier_id),
            &w.a.rep_token,
        )
        .await;
    assert_eq!(own_tier.status, StatusCode::OK);
    // Its own partner record and audit trail, yes; but programs stay vendor-only.
    assert_eq!(
        app.http
            .get(
                &format!("/api/v1/partners/{}", w.a.partner.id),
                &w.a.rep_token
            )
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.http
            .get(
                &format!("/api/v1/partners/{}/audit", w.a.partner.id),
                &w.a.rep_token
            )
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.http
            .get(
                &format!("/api/v1/programs/{}", w.program.id),
                &w.a.rep_token
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A's own deal records answer A (the same routes that were 404 for B's).
    for path in [
        format!("/api/v1/registrations/{}", mine.registration),
        format!("/api/v1/opportunities/{}", mine.opportunity),
        format!("/api/v1/opportunities/{}/touchpoints", mine.opportunity),
        format!("/api/v1/registrations/{}/decisions", mine.registration),
        format!("/api/v1/registrations/{}/activities", mine.registration),
        format!("/api/v1/engagement-requests/{}", mine.engagement),
        format!("/api/v1/conflicts/{}", mine.conflict),
        format!("/api/v1/conflicts/{}/comments", mine.conflict),
        format!("/api/v1/conflicts/{}/decisions", mine.conflict),
    ] {
        let r = app.http.get(&path, &w.a.rep_token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    }

    // A's own payouts answer A.
    for path in [
        format!("/api/v1/commission-lines/{}", my_pay.line),
        format!("/api/v1/payout-statements/{}", my_pay.statement),
        format!("/api/v1/payout-statements/{}/lines.csv", my_pay.statement),
        format!(
            "/api/v1/opportunities/{}/revenue-events",
            my_pay.opportunity
        ),
        format!("/api/v1/files/{my_file}"),
        format!("/api/v1/files/{my_file}/content"),
    ] {
        let r = app.http.get(&path, &w.a.rep_token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    }

    // A's own MDF records answer A.
    for path in [
        format!("/api/v1/mdf-allocations/{}", my_mdf.allocation),
        format!("/api/v1/mdf-requests/{}", my_mdf.request),
        format!("/api/v1/mdf-requests/{}/audit", my_mdf.request),
        format!("/api/v1/mdf-claims/{}", my_mdf.claim),
    ] {
        let r = app.http.get(&path, &w.a.rep_token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    }

    let mut after = snapshot(&app, &w, &theirs, &gov).await;
    after.extend(payout_snapshot(&app, &w, &their_pay).await);
    after.extend(mdf_snapshot(&app, &w, &their_mdf).await);
    after.push(
        app.http
            .get(
                &format!("/api/v1/webhook-subscriptions/{}", their_hooks.0),
                &w.admin,
            )
            .await
            .json(),
    );
    after.extend(learning_snapshot(&app, &w, &their_learning).await);
    for path in &campaign_paths {
        after.push(app.http.get(path, &w.admin).await.json());
    }
    for path in &launch_paths {
        after.push(app.http.get(path, &w.admin).await.json());
    }
    assert_eq!(
        before, after,
        "partner A's attempts changed vendor or partner B data"
    );
    // B's notifications and choices are as they were.
    let b_inbox = app
        .http
        .get("/api/v1/notifications", &w.b.admin_token)
        .await
        .json();
    assert!(
        b_inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["read_at"].is_null()),
        "{b_inbox}"
    );
    let b_choices = app
        .http
        .get("/api/v1/notification-preferences", &w.b.admin_token)
        .await
        .json();
    assert!(
        b_choices
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["is_default"] == true),
        "{b_choices}"
    );
}

fn own_rows_only(route: &Route, items: &[Value], me: &Side, what: &str) {
    match route.path {
        "/api/v1/partners" => {
            let ids: Vec<&str> = items.iter().map(|p| p["id"].as_str().unwrap()).collect();
            assert_eq!(ids, vec![me.partner.id.to_string().as_str()], "{what}");
        }
        "/api/v1/users" => {
            assert!(!items.is_empty(), "{what}");
            assert!(
                items
                    .iter()
                    .all(|u| u["partner_id"] == me.partner.id.to_string()),
                "{what}: {items:?}"
            );
        }
        "/api/v1/registrations"
        | "/api/v1/mdf-allocations"
        | "/api/v1/mdf-requests"
        | "/api/v1/mdf-claims"
        | "/api/v1/commission-lines"
        | "/api/v1/payout-statements"
        | "/api/v1/opportunities"
        | "/api/v1/business-plans"
        | "/api/v1/engagement-requests"
        | "/api/v1/conflicts"
        | "/api/v1/directory/listings"
        | "/api/v1/charters" => {
            assert!(!items.is_empty(), "{what} shows the partner's own rows");
            assert!(
                items
                    .iter()
                    .all(|r| r["partner_id"] == me.partner.id.to_string()),
                "{what}: {items:?}"
            );
        }
        // The trust layer: the partner's own rows, if any.
        "/api/v1/directory/reviews" | "/api/v1/directory/decisions" | "/api/v1/directory/leads" => {
            assert!(
                items
                    .iter()
                    .all(|r| r["partner_id"] == me.partner.id.to_string()),
                "{what}: {items:?}"
            );
        }
        "/api/v1/webhook-subscriptions" | "/api/v1/mapping/partnerships" => {
            assert!(
                items
                    .iter()
                    .all(|s| s["partner_id"] == me.partner.id.to_string()),
                "{what}: {items:?}"
            );
        }
        "/api/v1/mdf-roi" => {
            let keys: Vec<&str> = items.iter().map(|r| r["key"].as_str().unwrap()).collect();
            assert_eq!(keys, vec![me.partner.id.to_string().as_str()], "{what}");
        }
        "/api/v1/enrolments" | "/api/v1/certifications" => {
            // The partner's own people's learning records, if any (A enrolled itself above).
            assert!(
                items
                    .iter()
                    .all(|r| r["partner_id"] == me.partner.id.to_string()),
                "{what}: {items:?}"
            );
        }
        "/api/v1/notifications" => {
            // The caller's own: about A's deal, pointing into the portal.
            assert!(
                !items.is_empty(),
                "{what} shows the caller's own notifications"
            );
            assert!(
                items
                    .iter()
                    .all(|n| n["link"].as_str().unwrap().starts_with("/portal/")),
                "{what}: {items:?}"
            );
        }
        _ => assert!(items.is_empty(), "{what} must show nothing: {items:?}"),
    }
}

/// B's admin's webhook subscription with a delivery of one of B's events: (subscription,
/// delivery).
pub(crate) async fn webhook_records(app: &TestApp, w: &World) -> (String, String) {
    let r = app
        .http
        .post(
            "/api/v1/webhook-subscriptions",
            &w.b.admin_token,
            &json!({"url": "http://127.0.0.1:9/hook", "event_kinds": ["*"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let sub = r.json()["subscription"]["id"].as_str().unwrap().to_owned();
    let r = app
        .http
        .post(
            &format!("/api/v1/webhook-subscriptions/{sub}/replay"),
            &w.b.admin_token,
            &json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let log = app
        .http
        .get(
            &format!("/api/v1/webhook-subscriptions/{sub}/deliveries"),
            &w.b.admin_token,
        )
        .await
        .json();
    (sub, log[0]["id"].as_str().expect("a delivery").to_owned())
}
