//! Stored files: what may be uploaded for which purpose, what a file really is (read from its
//! bytes, never from its name), who may read it, and how it is named when served.
//!
//! The bytes themselves live in an object store (the store crate's `file` module); this module
//! only decides. A file's type is sniffed from its first bytes (the `infer` crate's magic
//! numbers, plus our own check for plain text/CSV, which has no magic number), so a script
//! renamed `invoice.pdf` is refused, and the `Content-Type` it is served with is the sniffed
//! one. SVG is never accepted: it can carry scripts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::ids::{FileId, PartnerId, UserId};
use crate::scope::Scope;

crate::text_enum!(
    /// What a file is for; each purpose has its own types, size limit and readers.
    FilePurpose {
        /// Proof of performance of an MDF claim: the partner's own, private.
        Proof = "proof" / "Proof of performance",
        /// Images and handouts of a course: written by the vendor, read by any signed-in user.
        CourseMedia = "course_media" / "Course media",
        /// A partner's logo: public (the directory and co-branded pages show it).
        Logo = "logo" / "Logo",
        /// A screenshot of a directory listing: public.
        Screenshot = "screenshot" / "Screenshot",
    }
);

/// A stored file's record (its bytes are in the object store).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredFile {
    pub id: FileId,
    pub purpose: FilePurpose,
    /// The partner it belongs to; none for the vendor's course media.
    pub partner_id: Option<PartnerId>,
    /// The uploader's name for it, made safe, with the extension of its real type.
    pub name: String,
    /// The type sniffed from its bytes at upload; it is served with exactly this.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes, so a downloader can check what it got.
    pub sha256: String,
    pub uploaded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl StoredFile {
    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mime(&self.content_type)
    }
}

/// A type we accept, as sniffed from the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    Docx,
    Xlsx,
    Pptx,
    /// UTF-8 text with commas or tabs on its first line.
    Csv,
    /// Other UTF-8 text.
    Text,
}

impl FileType {
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileType::Csv => "text/csv; charset=utf-8",
            FileType::Text => "text/plain; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Png => "png",
            FileType::Jpeg => "jpg",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Pptx => "pptx",
            FileType::Csv => "csv",
            FileType::Text => "txt",
        }
    }

    /// Images are shown in the page (`inline`); everything else is downloaded.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            FileType::Png | FileType::Jpeg | FileType::Gif | FileType::Webp
        )
    }

    /// The type a stored `Content-Type` names, for files read back from the database.
    pub fn from_mime(mime: &str) -> Option<FileType> {
        ALL_TYPES.iter().copied().find(|t| t.mime() == mime)
    }
}

const ALL_TYPES: [FileType; 10] = [
    FileType::Pdf,
    FileType::Png,
    FileType::Jpeg,
    FileType::Gif,
    FileType::Webp,
    FileType::Docx,
    FileType::Xlsx,
    FileType::Pptx,
    FileType::Csv,
    FileType::Text,
];

const MIB: u64 = 1024 * 1024;

/// The largest file any purpose accepts; the HTTP layer sizes its body limit from it.
pub const LARGEST_UPLOAD: u64 = 20 * MIB;

impl FilePurpose {
    /// The types this purpose accepts.
    pub fn accepts(self) -> &'static [FileType] {
        use FileType::*;
        match self {
            FilePurpose::Proof => &[Pdf, Png, Jpeg, Gif, Webp, Docx, Xlsx, Pptx, Csv, Text],
            FilePurpose::CourseMedia => &[Png, Jpeg, Gif, Webp, Pdf],
            FilePurpose::Logo | FilePurpose::Screenshot => &[Png, Jpeg, Webp],
        }
    }

    /// The size limit in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            FilePurpose::Proof => LARGEST_UPLOAD,
            FilePurpose::CourseMedia => 10 * MIB,
            FilePurpose::Logo => 2 * MIB,
            FilePurpose::Screenshot => 5 * MIB,
        }
    }

    /// Whether the file belongs to one partner (and must name it).
    pub fn partner_owned(self) -> bool {
        matches!(
            self,
            FilePurpose::Proof | FilePurpose::Logo | FilePurpose::Screenshot
        )
    }

    /// Whether anyone, signed in or not, may read it.
    pub fn public(self) -> bool {
        matches!(self, FilePurpose::Logo | FilePurpose::Screenshot)
    }
}

/// What a file is, read from its bytes; `None` when it is none of the types we know.
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    if let Some(kind) = infer::get(bytes) {
        return match kind.mime_type() {
            "application/pdf" => Some(FileType::Pdf),
            "image/png" => Some(FileType::Png),
            "image/jpeg" => Some(FileType::Jpeg),
            "image/gif" => Some(FileType::Gif),
            "image/webp" => Some(FileType::Webp),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
                Some(FileType::Docx)
            }
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
                Some(FileType::Xlsx)
            }
            "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
                Some(FileType::Pptx)
            }
            _ => None,
        };
    }
    text_kind(bytes)
}

/// Plain text: valid UTF-8 without NUL or other control bytes (tabs and line ends aside),
/// and not markup a browser would run (HTML or SVG), whatever it is served as.
fn text_kind(bytes: &[u8]) -> Option<FileType> {
    let text = std::str::from_utf8(bytes).ok()?;
    let controls = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    if controls {
        return None;
    }
    let head = text.trim_start_matches('\u{feff}').trim_start();
    let lower: String = head
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with('<') {
        return None;
    }
    let first_line = head.lines().next().unwrap_or("");
    if first_line.contains(',') || first_line.contains('\t') || first_line.contains(';') {
        Some(FileType::Csv)
    } else {
        Some(FileType::Text)
    }
}

/// An upload that passed the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub file_type: FileType,
    /// The name to keep and serve it under: the uploader's name without path or control
    /// characters, its extension made to match the type.
    pub name: String,
}

/// Checks an upload for `purpose`: not empty, within the size limit, and of a type the
/// purpose accepts, judged by its bytes. `name` is what the uploader called it.
pub fn check(purpose: FilePurpose, name: &str, bytes: &[u8]) -> Result<Accepted, FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::new("file", "required", "the file is empty"));
    }
    let limit = purpose.max_bytes();
    if bytes.len() as u64 > limit {
        return Err(FieldError::new(
            "file",
            "max_size",
            format!(
                "the file is {} and a {} may be at most {}",
                human_size(bytes.len() as u64),
                purpose.label().to_lowercase(),
                human_size(limit)
            ),
        ));
    }
    let accepted: Vec<&str> = purpose.accepts().iter().map(|t| t.extension()).collect();
    let Some(file_type) = sniff(bytes).filter(|t| purpose.accepts().contains(t)) else {
        return Err(FieldError::new(
            "file",
            "file_type",
            format!(
                "this file's content is not one of the types a {} may be: {} (the type is read from the content, not the name)",
                purpose.label().to_lowercase(),
                accepted.join(", ")
            ),
        ));
    };
    Ok(Accepted {
        file_type,
        name: safe_name(name, file_type),
    })
}

/// The uploader's file name made safe to keep and to put in a header: the last path part,
/// without control characters or quotes, at most 120 characters, ending in the extension of
/// the sniffed type (`report.exe` sniffed as a PDF becomes `report.exe.pdf`).
pub fn safe_name(raw: &str, file_type: FileType) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/' | ';'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let stem: String = cleaned.chars().take(120).collect();
    let stem = if stem.is_empty() {
        "file"
    } else {
        stem.as_str()
    };
    let ext = file_type.extension();
    let has_ext = stem.rsplit_once('.').is_some_and(|(_, e)| {
        e.eq_ignore_ascii_case(ext) || (ext == "jpg" && e.eq_ignore_ascii_case("jpeg"))
    });
    if has_ext {
        stem.to_owned()
    } else {
        format!("{stem}.{ext}")
    }
}

/// `Content-Disposition` for a served file (RFC 6266): `inline` for images, else
/// `attachment`; an ASCII `filename` for old clients and the exact name in `filename*`.
pub fn content_disposition(name: &str, file_type: FileType) -> String {
    let kind = if file_type.is_image() {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Who may read a file: staff always; anyone a public one; a partner's users their own
/// partner's files and the vendor's course media. Everything else is "not found", so an id
/// guessed or copied from elsewhere tells nothing.
pub fn may_read(scope: Option<&Scope>, purpose: FilePurpose, owner: Option<&PartnerId>) -> bool {
    if purpose.public() {
        return true;
    }
    match scope {
        None => false,
        Some(Scope::Vendor) => true,
        Some(Scope::Partner(own)) => match purpose {
            FilePurpose::CourseMedia => true,
            _ => owner == Some(own),
        },
    }
}

/// Who may upload for `purpose` on behalf of `owner`: course media is the vendor's; a
/// partner's files are uploaded by its own users or by staff naming the partner.
pub fn may_upload(
    scope: &Scope,
    purpose: FilePurpose,
    owner: Option<&PartnerId>,
) -> Result<(), FieldError> {
    match (scope, purpose.partner_owned(), owner) {
        (Scope::Vendor, false, _) => Ok(()),
        (Scope::Vendor, true, Some(_)) => Ok(()),
        (Scope::Vendor, true, None) => Err(FieldError::new(
            "partner_id",
            "required",
            format!(
                "a {} belongs to a partner: name it with partner_id",
                purpose.label().to_lowercase()
            ),
        )),
        (Scope::Partner(_), false, _) => Err(FieldError::new(
            "purpose",
            "forbidden",
            format!(
                "only vendor staff upload {}",
                purpose.label().to_lowercase()
            ),
        )),
        (Scope::Partner(own), true, Some(p)) if p != own => Err(FieldError::new(
            "partner_id",
            "forbidden",
            "a partner user uploads files for its own partner only",
        )),
        (Scope::Partner(_), true, _) => Ok(()),
    }
}

/// `1.5 MB`-style sizes for messages.
pub fn human_size(bytes: u64) -> String {
    if bytes >= MIB {
        format!("{:.1} MB", bytes as f64 / MIB as f64)
    } else if bytes >= 1024 {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

    fn partner(s: &str) -> PartnerId {
        use crate::ids::EntityId;
        PartnerId::from_parts(&format!("{s:0>32}"))
    }

    #[test]
    fn the_type_comes_from_the_bytes_not_the_name() {
        assert_eq!(sniff(PNG), Some(FileType::Png));
        assert_eq!(sniff(PDF), Some(FileType::Pdf));
        let accepted = check(FilePurpose::Proof, "invoice.png", PDF).unwrap();
        assert_eq!(accepted.file_type, FileType::Pdf);
        assert_eq!(accepted.name, "invoice.png.pdf");
        // A script named like a PDF is text, which a logo does not accept.
        let err = check(FilePurpose::Logo, "logo.png", b"alert(1)").unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.rule.as_str()),
            ("file", "file_type")
        );
    }

    #[test]
    fn markup_is_never_text() {
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"  <!doctype html><script>x</script>"), None);
        assert_eq!(sniff(b"\xef\xbb\xbf<html>"), None);
        assert!(check(FilePurpose::Proof, "x.csv", b"<script>alert(1)</script>").is_err());
    }

    #[test]
    fn csv_and_text_are_told_apart_and_binary_is_neither() {
        assert_eq!(sniff(b"name,leads\nacme,4\n"), Some(FileType::Csv));
        assert_eq!(sniff(b"Attendance list\nAda\n"), Some(FileType::Text));
        assert_eq!(sniff(b"abc\0def"), None);
        assert_eq!(sniff(&[0xff, 0xfe, 0x00, 0x41]), None);
    }

    #[test]
    fn size_limits_are_inclusive() {
        let limit = FilePurpose::Logo.max_bytes() as usize;
        let mut at_limit = PNG.to_vec();
        at_limit.resize(limit, 0);
        assert!(check(FilePurpose::Logo, "l.png", &at_limit).is_ok());
        at_limit.push(0);
        let err = check(FilePurpose::Logo, "l.png", &at_limit).unwrap_err();
        assert_eq!(err.rule, "max_size");
        assert!(err.message.contains("2.0 MB"), "{}", err.message);
        assert_eq!(
            check(FilePurpose::Proof, "x", b"").unwrap_err().rule,
            "required"
        );
    }

    #[test]
    fn each_purpose_has_its_types() {
        assert!(check(FilePurpose::Proof, "p.pdf", PDF).is_ok());
        assert!(check(FilePurpose::CourseMedia, "p.pdf", PDF).is_ok());
        let err = check(FilePurpose::Logo, "p.pdf", PDF).unwrap_err();
        assert!(err.message.contains("png, jpg, webp"), "{}", err.message);
    }

    #[test]
    fn names_lose_paths_quotes_and_controls() {
        assert_eq!(safe_name("../../etc/passwd", FileType::Text), "passwd.txt");
        assert_eq!(safe_name("C:\\x\\a\"b\r\n.pdf", FileType::Pdf), "ab.pdf");
        assert_eq!(safe_name("", FileType::Png), "file.png");
        assert_eq!(safe_name("...", FileType::Png), "file.png");
        assert_eq!(safe_name("photo.JPEG", FileType::Jpeg), "photo.JPEG");
        assert_eq!(safe_name(&"a".repeat(500), FileType::Pdf).len(), 124);
    }

    #[test]
    fn disposition_is_inline_for_images_and_encodes_the_name() {
        assert_eq!(
            content_disposition("logo.png", FileType::Png),
            "inline; filename=\"logo.png\"; filename*=UTF-8''logo.png"
        );
        assert_eq!(
            content_disposition("Bericht Köln.pdf", FileType::Pdf),
            "attachment; filename=\"Bericht K_ln.pdf\"; filename*=UTF-8''Bericht%20K%C3%B6ln.pdf"
        );
    }

    #[test]
    fn readers() {
        let a = partner("a");
        let b = partner("b");
        let as_a = Scope::Partner(a.clone());
        assert!(may_read(Some(&as_a), FilePurpose::Proof, Some(&a)));
        assert!(!may_read(Some(&as_a), FilePurpose::Proof, Some(&b)));
        assert!(!may_read(None, FilePurpose::Proof, Some(&a)));
        assert!(may_read(Some(&as_a), FilePurpose::CourseMedia, None));
        assert!(!may_read(None, FilePurpose::CourseMedia, None));
        assert!(may_read(None, FilePurpose::Logo, Some(&b)));
        assert!(may_read(Some(&Scope::Vendor), FilePurpose::Proof, Some(&b)));
    }

    #[test]
    fn uploaders() {
        let a = partner("a");
        let b = partner("b");
        let as_a = Scope::Partner(a.clone());
        assert!(may_upload(&as_a, FilePurpose::Proof, Some(&a)).is_ok());
        assert!(may_upload(&as_a, FilePurpose::Proof, None).is_ok());
        assert_eq!(
            may_upload(&as_a, FilePurpose::Proof, Some(&b))
                .unwrap_err()
                .rule,
            "forbidden"
        );
        assert_eq!(
            may_upload(&as_a, FilePurpose::CourseMedia, None)
                .unwrap_err()
                .field,
            "purpose"
        );
        assert_eq!(
            may_upload(&Scope::Vendor, FilePurpose::Proof, None)
                .unwrap_err()
                .field,
            "partner_id"
        );
        assert!(may_upload(&Scope::Vendor, FilePurpose::CourseMedia, None).is_ok());
    }
}
