//! Files over HTTP, for the API and the UI alike: reading a `multipart/form-data` body into
//! text fields and files, and answering with a stored file's bytes under headers that keep a
//! browser from running or re-typing them.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use partnerops_core::Invalid;
use partnerops_core::file::{FileType, LARGEST_UPLOAD, StoredFile, content_disposition};

/// A request body may be this much larger than the largest file (the other fields and the
/// multipart framing).
const FRAMING: usize = 256 * 1024;

/// The body limit of a route that takes uploads.
pub fn body_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(LARGEST_UPLOAD as usize + FRAMING)
}

/// A file from a form.
#[derive(Clone, Debug)]
pub struct PostedFile {
    /// The form field it came in.
    pub field: String,
    /// What the uploader called it.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A multipart body: its text fields (in order) and its files. A file field left empty by
/// the browser (no file chosen) is left out.
#[derive(Debug, Default)]
pub struct MultipartBody {
    pub fields: Vec<(String, String)>,
    pub files: Vec<PostedFile>,
}

impl MultipartBody {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether `req` carries `multipart/form-data`.
pub fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// Reads a whole multipart body. Failures name the body and say why (too large, malformed).
pub async fn read_multipart<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<MultipartBody, Invalid> {
    if !is_multipart(&req) {
        return Err(Invalid::one(
            "body",
            "content_type",
            "send the body as multipart/form-data (curl -F file=@proof.pdf -F purpose=proof)",
        ));
    }
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|e| Invalid::one("body", "multipart", e.body_text()))?;
    let mut body = MultipartBody::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(read_error(e)),
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(read_error)?;
        match file_name {
            Some(file_name) if !(file_name.is_empty() && bytes.is_empty()) => {
                body.files.push(PostedFile {
                    field: name,
                    name: file_name,
                    bytes: bytes.to_vec(),
                })
            }
            Some(_) => {}
            None => body
                .fields
                .push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(body)
}

fn read_error(e: axum::extract::multipart::MultipartError) -> Invalid {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Invalid::one(
            "file",
            "max_size",
            format!(
                "the upload is larger than {}, the most any file may be",
                partnerops_core::file::human_size(LARGEST_UPLOAD)
            ),
        )
    } else {
        Invalid::one("body", "multipart", e.body_text())
    }
}

/// A stored file's bytes: its sniffed type and nothing else (`nosniff`), `inline` for
/// images and `attachment` for the rest, and a policy that runs nothing even if opened.
pub fn serve(file: &StoredFile, bytes: Vec<u8>) -> Response {
    let file_type = file.file_type().unwrap_or(FileType::Text);
    let cache = if file.purpose.public() {
        "public, max-age=3600"
    } else {
        "private, no-store"
    };
    let disposition = HeaderValue::from_str(&content_disposition(&file.name, file_type))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(file_type.mime()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response()
}
