//! Enablement in the browser. The console: curricula and courses authored by staff (a
//! course's settings, modules and assessment questions on its page), every partner's
//! people's progress on a course, and the certifications across partners. The portal: the
//! catalogue, a course player that reopens at the module last viewed (module navigation,
//! "mark complete and next"), the assessment page (questions in the attempt's order, no
//! answer key), the result (score, pass or fail, which questions were wrong, attempts left
//! or when the cool-down ends), and the certifications of the partner's people (an admin
//! sees everyone of the partner, a rep only themselves).

mod console;
mod portal;

use super::Routes;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/enablement", console::index)
        .post("/console/enablement/curricula", console::create_curriculum)
        .post("/console/enablement/courses", console::create_course)
        .get("/console/enablement/courses/{id}", console::course)
        // Uploads: one of the course's actions adds an image or file to the media library.
        .post_upload(
            "/console/enablement/courses/{id}/{action}",
            console::course_action,
        )
        .get(
            "/console/enablement/certifications",
            console::certifications,
        )
        .get("/portal/enablement", portal::index)
        .get("/portal/enablement/courses/{id}", portal::course)
        .post("/portal/enablement/courses/{id}/enrol", portal::enrol)
        .post("/portal/enablement/courses/{id}/assessment", portal::start)
        .get("/portal/enablement/modules/{id}", portal::module)
        .post("/portal/enablement/modules/{id}/complete", portal::complete)
        .get("/portal/enablement/attempts/{id}", portal::attempt)
        .post("/portal/enablement/attempts/{id}", portal::submit)
}

/// A certification as the lists show it.
pub struct CertRow {
    pub id: String,
    pub name: String,
    pub user: String,
    pub partner: String,
    pub earned_on: String,
    pub expires_on: String,
    pub valid: bool,
    /// Valid and lapsing within 30 days.
    pub expiring: bool,
}

impl CertRow {
    fn new(
        c: &partnerops_core::enablement::record::Certification,
        today: chrono::NaiveDate,
    ) -> CertRow {
        CertRow {
            id: c.id.to_string(),
            name: c.name.clone(),
            user: c.user_name.clone(),
            partner: c.partner_name.clone(),
            earned_on: c.earned_on.to_string(),
            expires_on: c.expires_on.to_string(),
            valid: c.valid,
            expiring: c.valid && (c.expires_on - today).num_days() <= 30,
        }
    }
}

/// An enrolment as the progress tables show it.
pub struct ProgressRow {
    pub user: String,
    pub partner: String,
    pub course: String,
    pub done: i64,
    pub total: i64,
    pub passed: bool,
    pub completed: String,
}

impl ProgressRow {
    fn new(e: &partnerops_core::enablement::record::Enrolment) -> ProgressRow {
        ProgressRow {
            user: e.user_name.clone(),
            partner: e.partner_name.clone(),
            course: e.course_title.clone(),
            done: e.modules_done,
            total: e.modules_total,
            passed: e.assessment_passed,
            completed: e
                .completed_at
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    }
}
