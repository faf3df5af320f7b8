//! Files: upload (multipart), a file's record, and its bytes. Proofs of performance are the
//! partner's own, course media the vendor's for everyone signed in, logos and screenshots
//! public; anything a caller may not read is a 404, exactly like an id that does not exist.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use partnerops_core::Invalid;
use partnerops_core::file::{FilePurpose, StoredFile};
use partnerops_core::ids::{PartnerId, parse_id};
use partnerops_store::file::Upload;

use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::Path;
use crate::problem::{ApiError, Problem};
use crate::upload::{read_multipart, serve};

/// The multipart form of an upload (for the OpenAPI document).
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct FileUploadForm {
    /// proof, course_media, logo or screenshot.
    purpose: String,
    /// Whose file it is: required when staff upload a partner's file; a partner user's own
    /// partner otherwise.
    partner_id: Option<String>,
    /// The file; its type is read from its content.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload a file. Its type is sniffed from its bytes (not its name) and must be one the
/// purpose accepts; sizes are limited per purpose (a proof 20 MB, a logo 2 MB).
#[utoipa::path(post, path = "/api/v1/files", tag = "files",
    request_body(content = FileUploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = StoredFile), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn upload(
    State(s): State<AppState>,
    who: ApiUser,
    req: Request,
) -> Result<(StatusCode, axum::Json<StoredFile>), ApiError> {
    let body = read_multipart(req, &s).await?;
    let mut inv = Invalid::new();
    let purpose = inv.check(FilePurpose::parse(
        "purpose",
        body.field("purpose").unwrap_or(""),
    ));
    let partner_id: Option<PartnerId> = match body.field("partner_id").map(str::trim) {
        None | Some("") => None,
        Some(raw) => inv.check(parse_id("partner_id", raw)),
    };
    let file = match body.files.as_slice() {
        [one] => Some(one),
        [] => {
            inv.add("file", "required", "attach the file in a part named file");
            None
        }
        _ => {
            inv.add("file", "one_file", "send one file per request");
            None
        }
    };
    let (Some(purpose), Some(file)) = (purpose, file) else {
        return Err(inv.into());
    };
    if !inv.errors.is_empty() {
        return Err(inv.into());
    }
    let stored = s
        .store
        .upload_file(
            &who.actor(),
            Upload {
                purpose,
                partner_id,
                name: &file.name,
                bytes: &file.bytes,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(stored)))
}

/// A file's record: name, type, size, SHA-256, owner.
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files", params(("id" = String, Path)),
    responses((status = 200, body = StoredFile), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Result<axum::Json<StoredFile>, ApiError> {
    Ok(axum::Json(s.store.file(Some(who.scope()), &id).await?))
}

/// A file's bytes, with the type sniffed at upload, `nosniff`, and `Content-Disposition`
/// (`inline` for images, else `attachment`).
#[utoipa::path(get, path = "/api/v1/files/{id}/content", tag = "files", params(("id" = String, Path)),
    responses((status = 200, description = "The bytes, as the type they were sniffed as", content(
        ("application/pdf"), ("image/png"), ("image/jpeg"), ("image/gif"), ("image/webp"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("text/csv"), ("text/plain"))), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn content(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (file, bytes) = s.store.file_content(Some(who.scope()), &id).await?;
    Ok(serve(&file, bytes))
}
