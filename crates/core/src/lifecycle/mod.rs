//! The partner lifecycle: application and Ideal Partner Profile fit score, onboarding and
//! activation, automated tiering with the annual review and the sunset rule, the first
//! cohort and the advisory council. Pure rules over data; the store feeds them.

pub mod application;
pub mod fit;
pub mod onboarding;
pub mod record;
pub mod tiering;
