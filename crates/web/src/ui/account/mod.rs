//! Accounts (end customers) in the browser: the console's account list and account pages
//! (`console`). Vendor staff only: partners never see accounts as such; their deals on an
//! account live in `ui::registration`.

mod console;

use super::Routes;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/accounts", console::accounts)
        .post("/console/accounts", console::create_account)
        .get("/console/accounts/{id}", console::account)
        .post("/console/accounts/{id}", console::update_account)
}
