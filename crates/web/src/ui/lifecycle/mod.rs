//! The partner lifecycle in the browser: the public application form and invitation page
//! (`public`, no sign-in), the console's application queue with the fit score and its
//! reasons (`console`, staff), and the portal's onboarding page with its checklist,
//! activation and what the next tier needs (`portal`, partner users). Program policy lives
//! in `ui::policy`.

use super::Routes;
use crate::ui::UiError;
use crate::ui::form::field_errors;
use partnerops_core::Invalid;
use partnerops_store::StoreError;

mod console;
mod portal;
mod public;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/apply", public::apply_form)
        .post("/apply", public::apply)
        .get("/invite/{token}", public::invite_form)
        .post("/invite/{token}", public::accept_invite)
        .get("/console/applications", console::applications)
        .get("/console/applications/{id}", console::application)
        .post("/console/applications/{id}/approve", console::approve)
        .post("/console/applications/{id}/decline", console::decline)
        .get("/portal/onboarding", portal::onboarding)
        .post("/portal/onboarding/{key}", portal::tick)
}

/// A store result with invalid input separated out, to show beside the form fields.
pub(super) fn split<T>(r: Result<T, StoreError>) -> Result<Result<T, Invalid>, UiError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e) => Ok(Err(field_errors(e)?)),
    }
}
