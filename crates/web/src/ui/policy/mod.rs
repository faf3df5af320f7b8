//! Program policy in the browser: the console's policy page (`console`). Partners see the
//! policy's effects (tier standing) in `ui::lifecycle`, never the document editor.

mod console;

use super::Routes;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/programs/{id}/policy", console::policy_page)
        .post("/console/programs/{id}/policy", console::policy_action)
}
