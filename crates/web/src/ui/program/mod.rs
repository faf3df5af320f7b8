//! Programs and their tier ladders in the browser: the console's program list and program
//! pages (`console`), and the lists other console pages pick a program or tier from. Staff
//! only. The program's policy document lives in `ui::policy`; partners see their program's
//! tiers on the portal home (`ui::partner`).

mod console;

use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::program::Program;
use partnerops_core::tier::Tier;
use partnerops_store::program::ProgramFilter;
use partnerops_store::{Archived, Store};

use super::guard::Staff;
use super::{Routes, UiError};
use crate::AppState;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/programs", console::programs)
        .post("/console/programs", console::create_program)
        .get("/console/programs/{id}", console::program)
        .post("/console/programs/{id}", console::update_program)
        .post("/console/programs/{id}/tiers", console::create_tier)
}

pub(crate) async fn all_programs(state: &AppState, staff: &Staff) -> Result<Vec<Program>, UiError> {
    let page = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::program_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(state
        .store
        .programs(staff.scope(), &ProgramFilter::default(), &page)
        .await?
        .items)
}

pub(crate) async fn all_tiers(
    state: &AppState,
    staff: &Staff,
    program_id: &str,
) -> Result<Vec<Tier>, UiError> {
    let page = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::tier_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(state
        .store
        .tiers(staff.scope(), program_id, Archived::Live, &page)
        .await?
        .items)
}
