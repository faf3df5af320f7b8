//! Stored files: uploads checked by their content, read back only by those allowed, on the
//! local folder and on an S3-compatible server (the test command starts one).

mod api;

use hyper::StatusCode;

use crate::harness::{Side, TestApp};

/// A minimal PDF: what the sniffer reads is its first bytes.
pub(crate) const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// A 1x1 PNG.
pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82";

/// `side`'s admin uploads a proof of performance; returns its id.
pub(crate) async fn proof_of(app: &TestApp, side: &Side) -> String {
    let auth = format!("Bearer {}", side.admin_token);
    let r = app
        .http
        .multipart(
            "/api/v1/files",
            ("authorization", &auth),
            &[("purpose", "proof")],
            &[("file", "attendance.pdf", PDF)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}
