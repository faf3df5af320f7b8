//! Files through the API on both databases: what is accepted (by content, size and
//! purpose), who reads what, the serving headers, nothing left behind by a failed upload,
//! and two instances sharing an S3-compatible bucket.

use hyper::StatusCode;
use partnerops_store::file::{FileStore, FileStoreConfig, S3Config};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{PDF, PNG, proof_of};
use crate::harness::{Db, TestApp, World, spawn};
use crate::http::{Answer, Http};
use crate::on_both;

on_both!(
    uploads_are_judged_by_content_and_read_only_by_their_owner,
    a_failed_upload_leaves_nothing_behind,
    a_partner_admin_uploads_the_logo_in_the_portal,
);

async fn upload(
    http: &Http,
    token: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Answer {
    let auth = format!("Bearer {token}");
    let files: Vec<(&str, &str, &[u8])> = file.iter().map(|(n, b)| ("file", *n, *b)).collect();
    http.multipart("/api/v1/files", ("authorization", &auth), fields, &files)
        .await
}

/// What an upload is, its form fields, its file and the refusal it gets ("field:rule").
type BadUpload<'a> = (
    &'a str,
    &'a [(&'a str, &'a str)],
    Option<(&'a str, &'a [u8])>,
    &'a str,
);

fn created(r: &Answer) -> Value {
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn uploads_are_judged_by_content_and_read_only_by_their_owner(app: TestApp) {
    let w: World = app.world().await;
    let http = &app.http;

    // A proof of B's, named like an image: the content says PDF, and so does the record.
    let r = created(
        &upload(
            http,
            &w.b.rep_token,
            &[("purpose", "proof")],
            Some(("../../receipts/Messe Köln.png", PDF)),
        )
        .await,
    );
    let proof = r["id"].as_str().unwrap().to_owned();
    assert_eq!(r["content_type"], "application/pdf");
    assert_eq!(r["name"], "Messe Köln.png.pdf");
    assert_eq!(r["partner_id"], w.b.partner.id.to_string());
    assert_eq!(r["size_bytes"], PDF.len());
    assert_eq!(r["sha256"], hex::encode(Sha256::digest(PDF)));

    // B and the vendor read it, with its type, nosniff and a download disposition.
    for token in [&w.b.admin_token, &w.channel] {
        let r = http
            .get(&format!("/api/v1/files/{proof}/content"), token)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.body.as_ref(), PDF);
        assert_eq!(r.header("content-type").as_deref(), Some("application/pdf"));
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            r.header("content-disposition").as_deref(),
            Some(
                "attachment; filename=\"Messe K_ln.png.pdf\"; filename*=UTF-8''Messe%20K%C3%B6ln.png.pdf"
            )
        );
        assert_eq!(
            r.header("content-security-policy").as_deref(),
            Some("default-src 'none'; sandbox")
        );
    }
    // A gets exactly what a made-up id gets, by API and by page, signed in or not.
    let made_up = "fil_0192aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for id in [proof.as_str(), made_up, "not-an-id"] {
        for path in [
            format!("/api/v1/files/{id}"),
            format!("/api/v1/files/{id}/content"),
        ] {
            let r = http.get(&path, &w.a.admin_token).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
            assert!(!r.text().contains("Beta"), "{}", r.text());
        }
        let r = http.page(&format!("/files/{id}"), "").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "/files/{id}: {}", r.text());
    }

    // A cannot upload in B's name; staff must name the partner of a partner's file.
    let b = w.b.partner.id.to_string();
    let r = upload(
        http,
        &w.a.admin_token,
        &[("purpose", "proof"), ("partner_id", &b)],
        Some(("p.pdf", PDF)),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["rule"], "files.upload");
    let r = upload(
        http,
        &w.channel,
        &[("purpose", "proof")],
        Some(("p.pdf", PDF)),
    )
    .await;
    assert_eq!(r.problem_rules(), ["partner_id:required"], "{}", r.text());
    let r = created(
        &upload(
            http,
            &w.channel,
            &[("purpose", "proof"), ("partner_id", &b)],
            Some(("p.pdf", PDF)),
        )
        .await,
    );
    assert_eq!(r["partner_id"], b);

    // Bad input names the field and the rule.
    let script = b"<script>alert(document.cookie)</script>".as_slice();
    let cases: [BadUpload; 6] = [
        (
            "script named pdf",
            &[("purpose", "proof")],
            Some(("x.pdf", script)),
            "file:file_type",
        ),
        (
            "pdf as a logo",
            &[("purpose", "logo")],
            Some(("logo.png", PDF)),
            "file:file_type",
        ),
        ("no file", &[("purpose", "proof")], None, "file:required"),
        (
            "empty file",
            &[("purpose", "proof")],
            Some(("x.pdf", b"".as_slice())),
            "file:required",
        ),
        (
            "unknown purpose",
            &[("purpose", "selfie")],
            Some(("x.pdf", PDF)),
            "purpose:one_of",
        ),
        (
            "course media by a partner",
            &[("purpose", "course_media")],
            Some(("x.png", PNG)),
            "purpose:forbidden",
        ),
    ];
    for (what, fields, file, rule) in cases {
        let r = upload(http, &w.a.admin_token, fields, file).await;
        if rule == "purpose:forbidden" {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.text());
            continue;
        }
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            r.text()
        );
        assert_eq!(r.problem_rules(), [rule], "{what}: {}", r.text());
    }
    let mut big_logo = PNG.to_vec();
    big_logo.resize(2 * 1024 * 1024 + 1, 0);
    let r = upload(
        http,
        &w.a.admin_token,
        &[("purpose", "logo")],
        Some(("l.png", &big_logo)),
    )
    .await;
    assert_eq!(r.problem_rules(), ["file:max_size"], "{}", r.text());
    assert!(r.text().contains("2.0 MB"), "{}", r.text());
    // A JSON body is refused, naming the content type.
    let r = http
        .post("/api/v1/files", &w.a.admin_token, &serde_json::json!({}))
        .await;
    assert_eq!(r.problem_rules(), ["body:content_type"], "{}", r.text());

    // Course media is the vendor's, for everyone signed in; a logo is public.
    let media = created(
        &upload(
            http,
            &w.admin,
            &[("purpose", "course_media")],
            Some(("slide.png", PNG)),
        )
        .await,
    );
    let media = media["id"].as_str().unwrap();
    let r = http
        .get(&format!("/api/v1/files/{media}/content"), &w.a.rep_token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type").as_deref(), Some("image/png"));
    assert!(
        r.header("content-disposition")
            .unwrap()
            .starts_with("inline;")
    );
    let r = http.page(&format!("/files/{media}"), "").await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "course media is not public"
    );
    let logo = created(
        &upload(
            http,
            &w.b.admin_token,
            &[("purpose", "logo")],
            Some(("beta.png", PNG)),
        )
        .await,
    );
    let r = http
        .page(&format!("/files/{}", logo["id"].as_str().unwrap()), "")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.body.as_ref(), PNG);
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("public, max-age=3600")
    );

    // The upload is audited, for B and the vendor.
    for scope in [
        partnerops_core::scope::Scope::Vendor,
        partnerops_core::scope::Scope::Partner(w.b.partner.id.clone()),
    ] {
        let trail = app
            .store
            .audit_trail(
                &scope,
                partnerops_core::audit::EntityKind::File,
                &proof,
                &partnerops_core::page::PageRequest::parse(
                    &Default::default(),
                    partnerops_store::audit::SORTS,
                )
                .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(trail.items.len(), 1, "one audit event for the upload");
    }

    // B's own proof id works for B through the helper too (what the isolation suite uses).
    let again = proof_of(&app, &w.b).await;
    assert_ne!(again, proof);
}

/// Counts the files under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() { files_under(&p) } else { 1 }
        })
        .sum()
}

async fn a_failed_upload_leaves_nothing_behind(app: TestApp) {
    let w = app.world().await;
    let dir = std::env::temp_dir().join(format!(
        "partnerops-files-test-{}",
        uuid::Uuid::now_v7().simple()
    ));
    let files = FileStore::open(&FileStoreConfig::Local(dir.clone())).unwrap();
    let instance = app.instance_with_files(files).await;
    // Refused before anything is written: nothing in the folder.
    let r = upload(
        &instance.http,
        &w.a.admin_token,
        &[("purpose", "proof")],
        Some(("x.pdf", b"MZ\x90\0".as_slice())),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let made_up = "ptr_0192aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let r = upload(
        &instance.http,
        &w.channel,
        &[("purpose", "proof"), ("partner_id", made_up)],
        Some(("x.pdf", PDF)),
    )
    .await;
    assert_eq!(r.problem_rules(), ["partner_id:exists"], "{}", r.text());
    assert_eq!(files_under(&dir), 0);
    // Accepted: one object.
    created(
        &upload(
            &instance.http,
            &w.a.admin_token,
            &[("purpose", "proof")],
            Some(("x.pdf", PDF)),
        )
        .await,
    );
    assert_eq!(files_under(&dir), 1);
    // The row cannot be written (its table is gone): the bytes written first go again.
    app.raw_sql("ALTER TABLE stored_files RENAME TO stored_files_away")
        .await;
    // Sent raw: a 500 is no documented answer, and the conformance check would stop here.
    let (content_type, body) =
        crate::http::multipart_body(&[("purpose", "proof")], &[("file", "y.pdf", PDF)]);
    let auth = format!("Bearer {}", w.a.admin_token);
    let r = instance
        .http
        .send(
            hyper::Method::POST,
            "/api/v1/files",
            &[("authorization", &auth), ("content-type", &content_type)],
            body.into(),
        )
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
    assert_eq!(
        files_under(&dir),
        1,
        "the failed upload's bytes were deleted"
    );
    drop(instance);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The S3-compatible server the test command starts (`moto` in server mode) and its bucket.
fn s3() -> S3Config {
    let endpoint = std::env::var("PARTNEROPS_TEST_S3_URL").unwrap_or_else(|_| {
        panic!("PARTNEROPS_TEST_S3_URL is not set: run ./scripts/test, which starts an S3-compatible server (moto) and sets it")
    });
    S3Config {
        bucket: std::env::var("PARTNEROPS_TEST_S3_BUCKET")
            .unwrap_or_else(|_| "partnerops-test".into()),
        region: "us-east-1".into(),
        endpoint: Some(endpoint),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
    }
}

/// Two instances on PostgreSQL sharing one bucket: what one stores the other serves, with
/// the same rules; bytes and checksum survive the round trip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_an_s3_bucket() {
    let app = spawn(Db::Postgres).await;
    let w = app.world().await;
    let config = FileStoreConfig::S3(s3());
    let one = app
        .instance_with_files(FileStore::open(&config).unwrap())
        .await;
    let two = app
        .instance_with_files(FileStore::open(&config).unwrap())
        .await;
    let mut big = PDF.to_vec();
    big.extend(std::iter::repeat_n(b'%', 3 * 1024 * 1024));
    let r = created(
        &upload(
            &one.http,
            &w.b.admin_token,
            &[("purpose", "proof")],
            Some(("big.pdf", &big)),
        )
        .await,
    );
    let id = r["id"].as_str().unwrap();
    let got = two
        .http
        .get(&format!("/api/v1/files/{id}/content"), &w.b.rep_token)
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    assert_eq!(got.body.len(), big.len());
    assert_eq!(
        hex::encode(Sha256::digest(&got.body)),
        r["sha256"].as_str().unwrap()
    );
    let r = two
        .http
        .get(&format!("/api/v1/files/{id}/content"), &w.a.rep_token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The bucket really holds it: the local folder of the first instance never saw it.
    let local = partnerops_store::file::default_folder("postgres://x");
    assert!(!local.join("proof").join(id).exists());
}

/// The portal's logo form: the partner admin's image becomes the company logo, shown on the
/// portal from `/files/{id}` to anyone; a rep and a non-image are refused in words.
async fn a_partner_admin_uploads_the_logo_in_the_portal(app: TestApp) {
    use crate::session::{partner_session, set_password};
    let w = app.world().await;
    set_password(&app, &w.b.admin).await;
    set_password(&app, &w.b.rep).await;
    let (session, csrf) = partner_session(&app, &w.b.admin).await;
    // Signing in to the portal is an engagement signal of B's.
    let counts = app.store.engagement_counts(&w.b.partner.id).await.unwrap();
    assert_eq!(counts.get("portal_sign_in"), Some(&1), "{counts:?}");
    let r = app
        .http
        .multipart(
            "/portal/profile/logo",
            ("cookie", &session),
            &[("_csrf", &csrf)],
            &[("logo", "beta.png", PNG)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app.http.page("/portal", &session).await.text();
    let start = page.find("src=\"/files/").expect("the logo on the portal") + "src=\"".len();
    let src = page[start..].split('"').next().unwrap().to_owned();
    let r = app.http.page(&src, "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_ref(), PNG);
    // A PDF is not a logo: the page says why, in words.
    let r = app
        .http
        .multipart(
            "/portal/profile/logo",
            ("cookie", &session),
            &[("_csrf", &csrf)],
            &[("logo", "logo.png", PDF)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("not one of the types a logo may be"),
        "{}",
        r.text()
    );
    // Without the CSRF token nothing is taken.
    let r = app
        .http
        .multipart(
            "/portal/profile/logo",
            ("cookie", &session),
            &[],
            &[("logo", "x.png", PNG)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let (rep_session, rep_csrf) = partner_session(&app, &w.b.rep).await;
    let r = app
        .http
        .multipart(
            "/portal/profile/logo",
            ("cookie", &rep_session),
            &[("_csrf", &rep_csrf)],
            &[("logo", "x.png", PNG)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Only your partner admin"), "{}", r.text());
}
