//! `/console` (the home page of staff) and `/console/cadence` (the calendar); the pages
//! themselves are in `super`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use super::{HomeQuery, MonthQuery};
use crate::AppState;
use crate::ui::UiError;
use crate::ui::guard::Staff;
use crate::ui::session::SignedForm;

const BASE: &str = "/console/cadence";

pub(super) async fn home(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<HomeQuery>,
) -> Result<Response, UiError> {
    let everyone = q.everyone.is_some_and(|v| !v.is_empty() && v != "0");
    Ok(super::home(&state, &user, everyone).await?.into_response())
}

pub(super) async fn calendar(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<MonthQuery>,
) -> Result<Response, UiError> {
    Ok(super::calendar_page(&state, &user, BASE, &q, None)
        .await?
        .into_response())
}

pub(super) async fn create_feed(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    super::create_feed(&state, &form.user, BASE).await
}

pub(super) async fn revoke_feed(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    super::revoke_feed(&state, &form.user, BASE).await
}
