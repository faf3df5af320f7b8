//! The tenant boundary in SQL. This is the only place that decides which rows a scope can
//! see; every scoped read in the store goes through [`restrict`].

use partnerops_core::audit::EntityKind;
use partnerops_core::scope::Scope;

use crate::db::Sql;

/// Appends ` AND <condition>` limiting rows of `kind` (aliased `alias` in the query) to
/// what `scope` may see. Vendor staff see everything; a partner sees:
/// - its own partner row, and its own users;
/// - the tiers of its own program (the ladder it climbs);
/// - the published vendor events of its program and its own events, and only the RSVPs
///   that count for it (see `EntityKind::ProgramEvent` below);
/// - its own registrations, the engagement requests to it and the conflict cases it is in;
/// - the application it joined through, and its own joint business plans;
/// - no policies or drafts here (council members read shared drafts through `policies`);
/// - the opportunities it is on (it brought the deal, or logged a touchpoint on it), and
///   its own touchpoints only (never another partner's influence on the same deal);
/// - audit events about its own records;
/// - no programs (they hold the vendor's targets), no accounts (the vendor's customers) and
///   no currency rates;
/// - no notifications here: each is its recipient's alone, and `store::notification` reads
///   them by the caller's own user id, for staff as for partners.
pub(crate) fn restrict(q: &mut Sql, scope: &Scope, kind: EntityKind, alias: &str) {
    let Scope::Partner(partner) = scope else {
        return;
    };
    match kind {
        EntityKind::Partner => {
            q.push(&format!(" AND {alias}.id = "))
                .bind(partner.as_str());
        }
        EntityKind::User => {
            q.push(&format!(" AND {alias}.partner_id = "))
                .bind(partner.as_str());
        }
        EntityKind::Tier => {
            q.push(&format!(
                " AND {alias}.program_id = (SELECT sp.program_id FROM partners sp WHERE sp.id = "
            ))
            .bind(partner.as_str())
            .push(")");
        }
        EntityKind::Registration
        | EntityKind::Engagement
        | EntityKind::Conflict
        | EntityKind::Charter
        | EntityKind::BusinessPlan
        | EntityKind::Application => {
            q.push(&format!(" AND {alias}.partner_id = "))
                .bind(partner.as_str());
        }
        // A campaign template: the published ones of the partner's own program (their audit
        // events carry no partner, so their trails stay the vendor's).
        EntityKind::CampaignTemplate => {
            q.push(&format!(
                " AND {alias}.status = 'published' AND {alias}.program_id = (SELECT sp.program_id FROM partners sp WHERE sp.id = "
            ))
            .bind(partner.as_str())
            .push(")");
        }
        EntityKind::Opportunity => {
            q.push(&format!(
                " AND {alias}.id IN (SELECT sop.opportunity_id FROM opportunity_partners sop WHERE sop.partner_id = "
            ))
            .bind(partner.as_str())
            .push(")");
        }
        EntityKind::Touchpoint
        | EntityKind::CommissionLine
        | EntityKind::Statement
        | EntityKind::LineDispute
        | EntityKind::RevenueEvent
        | EntityKind::File
        | EntityKind::Campaign
        | EntityKind::CampaignLead
        | EntityKind::MdfAllocation
        | EntityKind::MdfRequest
        | EntityKind::MdfClaim
        | EntityKind::Enrolment
        | EntityKind::Attempt
        | EntityKind::Certification
        | EntityKind::WebhookSubscription
        | EntityKind::DirectoryListing
        | EntityKind::DirectoryReview
        | EntityKind::DirectoryDecision
        | EntityKind::DirectoryLead
        | EntityKind::MappingPartnership => {
            q.push(&format!(" AND {alias}.partner_id = "))
                .bind(partner.as_str());
        }
        // Launch checklists: the templates of the partner's own program that are not
        // archived (their trails stay the vendor's); its own launches and their tasks.
        EntityKind::LaunchTemplate => {
            q.push(&format!(
                " AND {alias}.archived_at IS NULL AND {alias}.program_id = (SELECT sp.program_id FROM partners sp WHERE sp.id = "
            ))
            .bind(partner.as_str())
            .push(")");
        }
        EntityKind::Launch | EntityKind::LaunchTask => {
            q.push(&format!(" AND {alias}.partner_id = "))
                .bind(partner.as_str());
        }
        // Enablement content: every partner sees the published courses and their modules
        // (curricula are the catalogue); never the answer key.
        EntityKind::Curriculum => {}
        // Live directory collections are public pages (which of their listings a partner
        // sees is the public condition's business); archived ones are the vendor's.
        EntityKind::DirectoryCollection => {
            q.push(&format!(" AND {alias}.archived_at IS NULL"));
        }
        EntityKind::Course => {
            q.push(&format!(" AND {alias}.status = 'published'"));
        }
        EntityKind::CourseModule => {
            q.push(&format!(
                " AND {alias}.course_id IN (SELECT sc.id FROM courses sc WHERE sc.status = 'published')"
            ));
        }
        // Events: the published vendor events of the partner's own program, and every event
        // the partner hosts. RSVPs: those that count for the partner (its own people's, and
        // its own events' customers'); never another partner's attendees.
        EntityKind::ProgramEvent => {
            q.push(&format!(
                " AND ({alias}.host_partner_id = "
            ))
            .bind(partner.as_str())
            .push(&format!(
                " OR ({alias}.host_partner_id IS NULL AND {alias}.published_at IS NOT NULL AND {alias}.program_id = (SELECT sp.program_id FROM partners sp WHERE sp.id = "
            ))
            .bind(partner.as_str())
            .push(")))");
        }
        EntityKind::EventRegistration => {
            q.push(&format!(" AND {alias}.partner_id = "))
                .bind(partner.as_str());
        }
        // Room notes and tasks are read through their room (`pipeline::room`), which checks
        // membership, and plan tasks through their plan; their audit trails are the vendor's.
        EntityKind::Program
        | EntityKind::MdfBudget
        | EntityKind::FxRate
        | EntityKind::RoomNote
        | EntityKind::RoomTask
        | EntityKind::PlanTask
        | EntityKind::Account
        | EntityKind::ApiToken
        | EntityKind::DecisionTree
        | EntityKind::Policy
        | EntityKind::PolicyDraft
        | EntityKind::Council
        | EntityKind::Notification
        | EntityKind::Question
        | EntityKind::CalendarFeed
        | EntityKind::ImportRun
        // The moderation queue is the moderators' alone; a partner reads the decisions.
        | EntityKind::DirectoryReport => {
            q.push(" AND 1 = 0");
        }
    }
}

/// Limits a partner's learning records (enrolments, attempts, certifications; aliased
/// `alias`, after [`restrict`]) by role: a partner's admin sees all of its people, a rep
/// only themselves.
pub(crate) fn restrict_learner(q: &mut Sql, actor: &crate::Actor, alias: &str) {
    if let crate::Actor::User(p) = actor
        && p.role == partnerops_core::user::Role::PartnerRep
    {
        q.push(&format!(" AND {alias}.user_id = "))
            .bind(p.user_id.as_str());
    }
}

/// Limits policy drafts (aliased `alias`): a partner sees the drafts of its own program that
/// are shared with the advisory council, and only while it sits on the council.
pub(crate) fn restrict_drafts(q: &mut Sql, scope: &Scope, alias: &str) {
    if let Scope::Partner(p) = scope {
        q.push(&format!(
            " AND {alias}.status = 'shared' AND EXISTS (SELECT 1 FROM council_members cm WHERE cm.program_id = {alias}.program_id AND cm.partner_id = "
        ))
        .bind(p.as_str())
        .push(")");
    }
}

/// Limits audit events (aliased `alias`) to those about the partner's own records.
pub(crate) fn restrict_audit(q: &mut Sql, scope: &Scope, alias: &str) {
    if let Scope::Partner(partner) = scope {
        q.push(&format!(" AND {alias}.partner_id = "))
            .bind(partner.as_str());
    }
}

/// Limits outbox events (aliased `alias`) to those about the partner's own records.
pub(crate) fn restrict_events(q: &mut Sql, scope: &Scope, alias: &str) {
    if let Scope::Partner(partner) = scope {
        q.push(&format!(" AND {alias}.partner_id = "))
            .bind(partner.as_str());
    }
}

use partnerops_core::ids::EntityId;
