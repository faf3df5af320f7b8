//! Signing in with Chromium: a wrong password is refused and the console stays closed.
//!
//! Screenshots go to `<target>/screenshots/login-*.png` (see `browser`).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use partnerops_core::ids::EntityId;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partner::Partner;
use partnerops_core::program::Program;
use partnerops_core::scope::Scope;
use partnerops_core::user::{Role, User};
use partnerops_seed::{DEMO_PASSWORD, SeedReport, SeedSpec};
use partnerops_store::Store;
use partnerops_store::partners::PartnerFilter;
use partnerops_store::programs::ProgramFilter;
use partnerops_store::users::UserFilter;
use serde_json::json;

use crate::browser::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_refused() {
    let (app, _report) = seeded().await;
    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, "not-the-password").await;
    b.wait_css("#login-error").await;
    assert_eq!(
        b.path().await,
        "/login",
        "a refused sign-in stays on the sign-in page"
    );
    let message = b.text("#login-error").await;
    assert!(
        message.contains("Wrong e-mail address or password"),
        "the error says why: {message:?}"
    );
    assert_eq!(
        b.value("input[name=email]").await,
        VENDOR_ADMIN,
        "the e-mail address is kept"
    );
    assert_eq!(
        b.value("input[name=password]").await,
        "",
        "the password is not echoed back"
    );
    b.shot("login-01-wrong-password").await;

    // And nothing was signed in: the console still asks to sign in.
    b.goto("/console/partners").await;
    b.wait_path("/login").await;
    b.close().await;
}
