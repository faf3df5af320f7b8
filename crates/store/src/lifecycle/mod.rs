//! Partner lifecycle in the store: applications and their fit score, invitations, onboarding
//! checklists, the daily tiering job with the annual review and the sunset rule, the advisory
//! council and the first cohort. The rules themselves live in `partnerops_core::lifecycle`;
//! nothing here decides, it reads the facts, calls the core and writes what it decided.
//! Its periodic work (the tiering job) is registered in [`jobs`]; the job runner itself is
//! `crate::jobs` and must not learn about lifecycle jobs by name.

pub mod application;
pub mod council;
pub mod fit;
pub mod onboarding;
pub mod past;
pub mod tiering;

/// The lifecycle capability's periodic jobs (see [`crate::jobs`]).
pub(crate) fn jobs() -> Vec<Box<dyn crate::jobs::Job>> {
    vec![Box::new(tiering::Tiering)]
}
