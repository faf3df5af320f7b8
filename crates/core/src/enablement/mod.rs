//! Enablement (DESIGN §7; issue 12): role-based curricula made of courses, each course a
//! list of Markdown modules and an optional assessment; enrolments and progress per partner
//! user; certifications that expire and count toward tier criteria.
//!
//! What lives here is pure: the records and their inputs ([`record`]), scoring, the
//! attempts limit with its cool-down and the per-attempt shuffle ([`assessment`]), and the
//! validity of a certification with its reminders ([`certification`]). What must not: SQL,
//! HTTP, the clock, randomness (the shuffle is seeded by the attempt's id, so a reload shows
//! the same order).

pub mod assessment;
pub mod certification;
pub mod record;

use crate::text_enum;

text_enum!(
    /// Who a curriculum is for.
    CurriculumRole {
        Sales = "sales" / "Sales",
        Technical = "technical" / "Presales / technical",
        PartnerAdmin = "partner_admin" / "Partner admin",
    }
);

text_enum!(
    /// Whether partners see a course.
    CourseStatus {
        Draft = "draft" / "Draft",
        Published = "published" / "Published",
    }
);

text_enum!(
    /// One right option, or a set of them (scored all-or-nothing).
    QuestionKind {
        Single = "single" / "Multiple choice (one answer)",
        Multiple = "multiple" / "Multiple answer",
    }
);

text_enum!(
    /// What a certification was earned by completing.
    CertificationSource {
        Course = "course" / "Course",
        Curriculum = "curriculum" / "Curriculum",
    }
);

pub use crate::engagement::EngagementKind;
