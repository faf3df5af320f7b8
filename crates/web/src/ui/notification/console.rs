//! `/console/notifications`: a staff user's own notifications and e-mail choices (the
//! page itself is in `super`).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use super::PageQuery;
use crate::AppState;
use crate::ui::UiError;
use crate::ui::guard::Staff;
use crate::ui::session::SignedForm;

const BASE: &str = "/console/notifications";

pub(super) async fn page(
    State(state): State<AppState>,
    user: Staff,
    Query(q): Query<PageQuery>,
) -> Result<Response, UiError> {
    Ok(super::show(&state, &user, BASE, &q, None)
        .await?
        .into_response())
}

pub(super) async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    super::read(&state, &form.user, BASE, &id, &form.posted).await
}

pub(super) async fn read_all(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    super::read_all(&state, &form.user, BASE).await
}

pub(super) async fn preferences(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    super::preferences(&state, &form.user, BASE, &form.posted).await
}
