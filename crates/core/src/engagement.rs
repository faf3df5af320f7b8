//! Engagement signals: what partners' people do in the program (sign in to the portal,
//! complete courses, earn certifications, register deals, launch campaigns, attend events), recorded as
//! events per partner and user. The measurement capability weighs them into the engagement
//! score; the capabilities that see them happen only record them.

use crate::text_enum;

text_enum!(
    /// What an engagement event records.
    EngagementKind {
        PortalSignIn = "portal_sign_in" / "Portal sign-in",
        CourseCompleted = "course_completed" / "Course completed",
        CertificationEarned = "certification_earned" / "Certification earned",
        RegistrationSubmitted = "registration_submitted" / "Deal registered",
        CampaignLaunched = "campaign_launched" / "Campaign launched",
        EventAttended = "event_attended" / "Event attended",
    }
);
