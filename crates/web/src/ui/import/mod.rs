//! The console's CSV import (`/console/imports`): upload a file, see the suggested column
//! mapping and what a dry run finds, adjust the mapping, import; and the runs so far with
//! their errors. The import itself is the store's (the same as the API's and the CLI's).

mod console;

use super::Routes;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/imports", console::page)
        .post_upload("/console/imports", console::submit)
}
