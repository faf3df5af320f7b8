//! `/calendar/{token}.ics`: a user's agenda for calendar programs. The token is the
//! credential (no session, no cookie); an unknown or revoked token is a plain 404, the
//! same as a path that does not exist.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::ui::UiError;

pub(super) async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, UiError> {
    let token = file.strip_suffix(".ics").ok_or(UiError::NotFound)?;
    let ics = state
        .store
        .calendar_feed_ics(token)
        .await?
        .ok_or(UiError::NotFound)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        ics,
    )
        .into_response())
}
