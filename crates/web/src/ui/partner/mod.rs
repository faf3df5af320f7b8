//! Partners in the browser: the console's partner list and partner pages (`console`, staff)
//! and the portal's home, the partner's own company (`portal`, partner users), plus the one
//! read both sides of the portal share: the signed-in user's own partner. Partner users,
//! tiers and programs live in their own capabilities.

mod console;
mod portal;

use partnerops_core::ids::EntityId;
use partnerops_core::partner::Partner;

use super::guard::PartnerUser;
use super::{Routes, UiError};
use crate::AppState;

pub(crate) use console::partner_page;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/partners", console::partners)
        .post("/console/partners", console::create_partner)
        .get("/console/partners/new", console::new_partner)
        .get("/console/partners/{id}", console::partner)
        .post("/console/partners/{id}", console::update_partner)
        .post(
            "/console/partners/{id}/channel-manager",
            console::set_manager,
        )
        .get("/portal", portal::home)
        .post("/portal/profile", portal::update_profile)
        .post_upload("/portal/profile/logo", portal::upload_logo)
}

/// The signed-in partner user's own partner.
pub(crate) async fn own_partner(state: &AppState, user: &PartnerUser) -> Result<Partner, UiError> {
    Ok(state
        .store
        .partner(user.scope(), user.partner_id().as_str())
        .await?)
}
