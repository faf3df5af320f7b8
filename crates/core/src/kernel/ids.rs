//! Typed identifiers. Every record id is text with a short prefix naming its kind
//! (`ptr_0192…`), so an id pasted into the wrong place fails to parse instead of silently
//! matching nothing, and a `PartnerId` can never be passed where an `AccountId` is wanted.
//!
//! The core never generates ids (that needs randomness); the store does, with
//! [`EntityId::from_parts`].

use std::fmt;

/// Behaviour shared by every typed id.
pub trait EntityId: Sized {
    /// The prefix before the underscore, e.g. `ptr`.
    const PREFIX: &'static str;
    /// Wraps text already known to be a valid id (from the database or `parse`).
    fn from_trusted(s: String) -> Self;
    fn as_str(&self) -> &str;

    /// Builds an id from a 32-hex-digit body (the store passes a UUIDv7 here).
    fn from_parts(hex_body: &str) -> Self {
        Self::from_trusted(format!("{}_{}", Self::PREFIX, hex_body))
    }

    /// Parses user input: the right prefix and a 32-digit lowercase hex body.
    fn parse(s: &str) -> Option<Self> {
        let body = s.strip_prefix(Self::PREFIX)?.strip_prefix('_')?;
        let ok = body.len() == 32
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self::from_trusted(s.to_owned()))
    }
}

macro_rules! entity_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(String);

        impl EntityId for $name {
            const PREFIX: &'static str = $prefix;
            fn from_trusted(s: String) -> Self {
                Self(s)
            }
            fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

entity_id!(/// A partner program (reseller, referral, technology, ...).
    ProgramId, "prg");
entity_id!(/// A tier on a program's ladder.
    TierId, "tier");
entity_id!(/// A partner company.
    PartnerId, "ptr");
entity_id!(/// An end-customer account.
    AccountId, "acc");
entity_id!(/// A user: vendor staff or a partner user.
    UserId, "usr");
entity_id!(/// An API token.
    TokenId, "tok");
entity_id!(/// An audit event.
    AuditEventId, "evt");
entity_id!(/// A deal registration.
    RegistrationId, "reg");
entity_id!(/// An activity logged on a registration or an account.
    ActivityId, "act");
entity_id!(/// A direct rep's request to engage a registered account.
    EngagementId, "eng");
entity_id!(/// A channel-conflict case.
    ConflictId, "cfl");
entity_id!(/// A comment on a conflict case.
    CommentId, "cmt");
entity_id!(/// A recorded rule decision.
    DecisionId, "dec");
entity_id!(/// A partnership charter.
    CharterId, "chr");
entity_id!(/// A gate review of a charter's phase.
    GateReviewId, "gate");
entity_id!(/// A recorded decision-tree evaluation.
    EvaluationId, "tev");
entity_id!(/// A scheduled job.
    JobId, "job");
entity_id!(/// A domain event waiting in the outbox.
    OutboxId, "obx");
entity_id!(/// A prospective partner's application to a program.
    ApplicationId, "app");
entity_id!(/// A draft of a program policy, shared for comment before it is published.
    PolicyDraftId, "pdr");
entity_id!(/// A comment on a policy draft.
    DraftCommentId, "pdc");
entity_id!(/// A meeting of a program's partner advisory council.
    MeetingId, "mtg");
entity_id!(/// An invitation for a new user to set a password.
    InvitationId, "inv");
entity_id!(/// A partner's move from one tier to another.
    TierChangeId, "tch");
entity_id!(/// An opportunity in the pipeline.
    OpportunityId, "opp");
entity_id!(/// One recorded stage change of an opportunity.
    StageChangeId, "stc");
entity_id!(/// A partner's recorded influence on an opportunity.
    TouchpointId, "tpt");
entity_id!(/// A note in an opportunity's deal room.
    RoomNoteId, "rnt");
entity_id!(/// A task in an opportunity's deal room.
    RoomTaskId, "rtk");
entity_id!(/// A joint business plan of a partner for a period.
    BusinessPlanId, "jbp");
entity_id!(/// A recorded review of a joint business plan.
    PlanReviewId, "jbr");
entity_id!(/// A task of a joint business plan: a next step of one of its reviews.
    PlanTaskId, "jbt");
entity_id!(/// A notification to one user.
    NotificationId, "ntf");
entity_id!(/// A user's private calendar feed of what is due.
    CalendarFeedId, "cal");
entity_id!(/// An e-mail to send (one notification's, or one user's daily digest).
    EmailDeliveryId, "eml");
entity_id!(/// One commission line: what a partner earned or gave back on one rule.
    CommissionLineId, "cml");
entity_id!(/// A partner's payout statement for one period.
    StatementId, "stm");
entity_id!(/// A partner's dispute of a commission line.
    LineDisputeId, "dsp");
entity_id!(/// A renewal, expansion or cancellation recorded on a won deal.
    RevenueEventId, "rve");
entity_id!(/// A stored file (an MDF proof, course media, a logo).
    FileId, "fil");
entity_id!(/// A campaign template (co-branded e-mail and landing page).
    CampaignTemplateId, "cpt");
entity_id!(/// A campaign a partner launched from a template.
    CampaignId, "cmp");
entity_id!(/// A lead a campaign's landing page took.
    CampaignLeadId, "cld");
entity_id!(/// An MDF budget of a program for a period.
    MdfBudgetId, "mdb");
entity_id!(/// A partner's allocation from an MDF budget.
    MdfAllocationId, "mda");
entity_id!(/// A partner's request for MDF for one activity.
    MdfRequestId, "mdr");
entity_id!(/// A partner's claim on an approved MDF request.
    MdfClaimId, "mdc");
entity_id!(/// A webhook subscription (a target and the events it takes).
    WebhookSubscriptionId, "whs");
entity_id!(/// One event's delivery to one subscription; its id is the `webhook-id` header.
    WebhookDeliveryId, "msg");
// Enablement: curricula, courses, modules, questions, enrolments, attempts, certifications.
entity_id!(/// A role-based curriculum.
    CurriculumId, "cur");
entity_id!(/// A course of a curriculum.
    CourseId, "crs");
entity_id!(/// A module (page) of a course.
    CourseModuleId, "cmd");
entity_id!(/// An assessment question of a course.
    QuestionId, "qst");
entity_id!(/// A partner user's enrolment in a course.
    EnrolmentId, "enr");
entity_id!(/// An assessment attempt.
    AttemptId, "att");
entity_id!(/// A certification a partner user earned.
    CertificationId, "crt");
entity_id!(/// An engagement event (a course completed, a certification earned).
    EngagementEventId, "egv");
// Events: webinars, workshops, conferences, and their RSVPs.
entity_id!(/// An event (webinar, workshop, conference) of a program or a partner.
    ProgramEventId, "pev");
entity_id!(/// A reply (RSVP) to an event, with its check-in.
    EventRegistrationId, "rsv");
// Co-marketing launch checklists.
entity_id!(/// A launch checklist template of a program.
    LaunchTemplateId, "ltp");
entity_id!(/// A launch: a checklist for a charter or a campaign.
    LaunchId, "lch");
entity_id!(/// A task of a launch.
    LaunchTaskId, "ltk");
entity_id!(/// A CSV import run.
    ImportRunId, "imp");
entity_id!(/// A listing in the public directory (a partner's services or an integration).
    DirectoryListingId, "dls");
entity_id!(/// A review of a directory listing (a customer's or vendor staff's).
    DirectoryReviewId, "drv");
entity_id!(/// An invitation link sent to a customer's e-mail to review a listing.
    DirectoryInviteId, "dri");
entity_id!(/// An item of the directory's moderation queue (a report, a spam signal, an appeal).
    DirectoryReportId, "drp");
entity_id!(/// A moderator's decision on a listing or review.
    DirectoryDecisionId, "ddc");
entity_id!(/// An enquiry from a public listing's lead form.
    DirectoryLeadId, "dld");
entity_id!(/// A collection of listings the vendor curates ("Best for healthcare").
    DirectoryCollectionId, "dcn");
// Account mapping.
entity_id!(/// An account mapping partnership between the vendor and one partner.
    MappingPartnershipId, "amp");
entity_id!(/// A partner's uploaded CRM export for account mapping.
    MappingUploadId, "aup");
entity_id!(/// A match of a partner's uploaded account to a vendor account.
    MappingMatchId, "amt");
entity_id!(/// An introduction one side of a mapping asks of the other from a co-sell suggestion.
    MappingIntroId, "ain");

/// Parses an id from input, naming `field` in the error.
pub fn parse_id<T: EntityId>(field: &str, raw: &str) -> Result<T, crate::FieldError> {
    T::parse(raw.trim()).ok_or_else(|| {
        crate::FieldError::new(
            field,
            "id",
            format!("{field} must be an id like {}_0192…", T::PREFIX),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_checks_prefix_and_body() {
        let good = "ptr_0192f0c4a1b27c3d8e9f001122334455";
        assert_eq!(
            PartnerId::parse(good).map(|i| i.to_string()),
            Some(good.to_owned())
        );
        assert!(
            AccountId::parse(good).is_none(),
            "a partner id is not an account id"
        );
        assert!(PartnerId::parse("ptr_0192").is_none());
        assert!(PartnerId::parse("ptr_0192F0C4A1B27C3D8E9F001122334455").is_none());
        assert!(PartnerId::parse("ptr0192f0c4a1b27c3d8e9f001122334455").is_none());
        assert!(PartnerId::parse("ptr_0192f0c4a1b27c3d8e9f00112233445'").is_none());
    }
}
