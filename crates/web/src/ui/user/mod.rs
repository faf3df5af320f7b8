//! Users in the browser: the console's list of every user (`console`, staff) and the
//! portal's list of the partner's own users (`portal`, partner users), and reading a posted
//! new-user form, which both share. Signing in lives in `ui::auth`.

mod console;
mod portal;

use partnerops_core::user::NewUserInput;

use super::Routes;
use super::form::Posted;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/users", console::users)
        .post("/console/users", console::create_user)
        .get("/portal/users", portal::users)
        .post("/portal/users", portal::create_user)
        .post("/portal/users/{id}/archive", portal::archive_user)
}

pub(crate) fn user_input(posted: &Posted) -> NewUserInput {
    NewUserInput {
        email: posted.get("email"),
        display_name: posted.get("display_name"),
        role: posted.get("role"),
        partner_id: posted.get("partner_id").filter(|s| !s.trim().is_empty()),
        password: posted.get("password").filter(|s| !s.is_empty()),
    }
}
