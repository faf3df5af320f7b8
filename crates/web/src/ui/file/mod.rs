//! `/files/{id}`: a stored file's bytes for the signed-in user (or anyone, for a public
//! logo or screenshot), with the same rules and headers as the API's `/files/{id}/content`.

use axum::extract::State;
use axum::response::Response;

use super::UiError;
use super::session::UiUser;
use crate::AppState;
use crate::upload::serve;

pub async fn content(
    State(s): State<AppState>,
    user: Option<UiUser>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, UiError> {
    let scope = user.as_ref().map(|u| &u.principal.scope);
    let (file, bytes) = s.store.file_content(scope, &id).await?;
    Ok(serve(&file, bytes))
}
