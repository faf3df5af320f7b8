//! `/portal/cadence`: a partner user's list of what is due and its calendar; the page
//! itself is in `super`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use super::MonthQuery;
use crate::AppState;
use crate::ui::UiError;
use crate::ui::guard::PartnerUser;
use crate::ui::session::SignedForm;

const BASE: &str = "/portal/cadence";

pub(super) async fn calendar(
    State(state): State<AppState>,
    user: PartnerUser,
    Query(q): Query<MonthQuery>,
) -> Result<Response, UiError> {
    Ok(super::calendar_page(&state, &user, BASE, &q, None)
        .await?
        .into_response())
}

pub(super) async fn create_feed(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    super::create_feed(&state, &form.user, BASE).await
}

pub(super) async fn revoke_feed(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    super::revoke_feed(&state, &form.user, BASE).await
}
