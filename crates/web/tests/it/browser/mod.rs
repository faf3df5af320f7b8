//! End-to-end tests in a real browser: headless Chromium driven through chromedriver
//! (WebDriver, via fantoccini) against the real server over a seeded SQLite store.
//!
//! Each test starts its own server and its own chromedriver on a free port, so they run in
//! parallel under both `cargo test` and nextest. Chromium and chromedriver are found at
//! `PARTNEROPS_CHROMIUM` and `PARTNEROPS_CHROMEDRIVER` (default `/usr/bin/chromium` and
//! `/usr/bin/chromedriver`); when they are missing the tests fail, they never skip.
//!
//! Every visited page is saved as a PNG under `<target>/screenshots/` (the viewport as
//! `NAME.png`, and the whole page as `NAME-full.png` when it is taller than the viewport),
//! so a person can look at the UI without starting it.

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

use crate::harness::{Db, TestApp, spawn};

/// How long to wait for the browser to show something before failing.
const WAIT: Duration = Duration::from_secs(10);
/// How long chromedriver may take to answer `/status` after it was started.
const DRIVER_START: Duration = Duration::from_secs(20);

pub(crate) const VENDOR_ADMIN: &str = "admin@vendor.example";

// ------------------------------------------------------------------ chromedriver + session

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// A tiny blocking HTTP/1.1 request to chromedriver; `None` when it does not answer.
/// Blocking on purpose: it also runs from `Drop`, where no runtime may be entered.
fn driver_request(port: u16, method: &str, path: &str, timeout: Duration) -> Option<String> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    // chromedriver keeps the connection open despite `Connection: close`: read up to the
    // end of the body its Content-Length announces.
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                break;
            }
        }
    }
    Some(String::from_utf8_lossy(&answer).into_owned())
}

/// The chromedriver process (in a process group of its own, with the Chromium it starts) and
/// the temp dir holding the browser profile and the driver log. Dropping it ends the
/// WebDriver session if it is still open, kills the process group and removes the dir,
/// also when the test panicked.
struct Driver {
    child: Child,
    port: u16,
    /// The open WebDriver session, if any: deleted on drop so Chromium quits cleanly.
    session: Option<String>,
    dir: PathBuf,
}

impl Driver {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("chromedriver.log")).unwrap_or_default()
    }

    /// Starts chromedriver on a free port and waits until it reports ready.
    async fn start() -> Driver {
        let chromium = env_path("PARTNEROPS_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = env_path("PARTNEROPS_CHROMEDRIVER", "/usr/bin/chromedriver");
        for (what, path) in [("chromium", &chromium), ("chromedriver", &chromedriver)] {
            assert!(
                path.is_file(),
                "{what} not found at {}: chromium/chromedriver not found at {} and {}; run ./scripts/test, \
                 which installs them (or point PARTNEROPS_CHROMIUM / PARTNEROPS_CHROMEDRIVER at them)",
                path.display(),
                chromium.display(),
                chromedriver.display(),
            );
        }
        let dir = std::env::temp_dir()
            .join("partnerops-browser")
            .join(uuid::Uuid::now_v7().simple().to_string());
        std::fs::create_dir_all(dir.join("profile")).expect("browser temp dir");

        // The port is free when chosen but may be taken before chromedriver binds it: retry.
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log = std::fs::File::create(dir.join("chromedriver.log")).expect("driver log");
            let child = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
            let mut driver = Driver {
                child,
                port,
                session: None,
                dir: dir.clone(),
            };
            let started = Instant::now();
            loop {
                let ready = tokio::task::spawn_blocking(move || {
                    driver_request(port, "GET", "/status", Duration::from_secs(2))
                })
                .await
                .expect("status probe")
                .is_some_and(|a| a.starts_with("HTTP/1.1 200") && a.contains("\"ready\":true"));
                if ready {
                    return driver;
                }
                if let Ok(Some(status)) = driver.child.try_wait() {
                    last_log = format!("chromedriver exited with {status}:\n{}", driver.log());
                    break;
                }
                if started.elapsed() > DRIVER_START {
                    panic!(
                        "chromedriver at {} did not answer http://127.0.0.1:{port}/status within {DRIVER_START:?}; its log:\n{}",
                        chromedriver.display(),
                        driver.log()
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        panic!("chromedriver could not be started on a free port: {last_log}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            // Quits Chromium; errors do not matter, the process group is killed next anyway.
            let _ = driver_request(
                self.port,
                "DELETE",
                &format!("/session/{session}"),
                Duration::from_secs(10),
            );
        }
        // The driver runs in its own process group (its id is the child's id): kill the
        // group so no Chromium process outlives the test.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A headless Chromium session pointed at a test server.
pub(crate) struct Browser {
    pub(crate) client: Client,
    base: String,
    driver: Driver,
}

impl Browser {
    pub(crate) async fn start(app: &TestApp) -> Browser {
        let mut driver = Driver::start().await;
        let chromium = env_path("PARTNEROPS_CHROMIUM", "/usr/bin/chromium");
        let profile = driver.dir.join("profile");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--window-size=1366,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!("capabilities are an object")
        };
        let url = format!("http://127.0.0.1:{}", driver.port);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .unwrap_or_else(|e| {
                panic!("cannot open a Chromium session through chromedriver at {url}: {e}\nchromedriver log:\n{}", driver.log())
            });
        driver.session = client.session_id().await.ok().flatten();
        Browser {
            client,
            base: app.http.base().to_owned(),
            driver,
        }
    }

    /// Ends the session cleanly (the driver itself is killed when `self` drops).
    pub(crate) async fn close(mut self) {
        if self.client.clone().close().await.is_ok() {
            self.driver.session = None;
        }
    }

    pub(crate) async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    pub(crate) async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current URL")
            .path()
            .to_owned()
    }

    pub(crate) async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current URL")
            .to_string()
    }

    /// Waits until the element matching `css` is present.
    pub(crate) async fn wait_css(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(el) => el,
            Err(e) => {
                let url = self.url().await;
                let title = self.client.title().await.unwrap_or_default();
                panic!("no element `{css}` after {WAIT:?} on {url} (title {title:?}): {e}")
            }
        }
    }

    /// The element matching `css`, waiting for it: after a form post the next page may
    /// still be loading, and failing at once made the tests depend on the machine's speed.
    pub(crate) async fn find(&self, css: &str) -> Element {
        self.wait_css(css).await
    }

    pub(crate) async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .is_empty()
    }

    /// Waits until the browser shows the page at `path` (the URL's path, query ignored).
    pub(crate) async fn wait_path(&self, path: &str) {
        eventually(&format!("the browser to be on {path}"), async || {
            let now = self.path().await;
            if now == path {
                Ok(())
            } else {
                Err(format!("on {now}"))
            }
        })
        .await;
    }

    /// The trimmed text of every element matching `css`, read in one go (no stale elements
    /// while htmx swaps the DOM).
    pub(crate) async fn texts(&self, css: &str) -> Vec<String> {
        let script = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent.trim());";
        let value = self
            .client
            .execute(script, vec![json!(css)])
            .await
            .expect("run script");
        serde_json::from_value(value).expect("a list of strings")
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    pub(crate) async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value property")
            .unwrap_or_default()
    }

    pub(crate) async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("cannot clear `{css}`: {e}"));
        if text.is_empty() {
            return;
        }
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into `{css}`: {e}"));
    }

    pub(crate) async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    pub(crate) async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot select {value:?} in `{css}`: {e}"));
    }

    /// Fills in the sign-in form and submits it (the caller waits for where it lands).
    pub(crate) async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.wait_css("input[name=email]").await;
        self.type_into("input[name=email]", email).await;
        self.type_into("input[name=password]", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
    }

    /// Saves the viewport as `<target>/screenshots/NAME.png` and, when the page is taller,
    /// the whole page as `NAME-full.png`.
    pub(crate) async fn shot(&self, name: &str) {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let png = self.client.screenshot().await.expect("screenshot");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        println!("screenshot: {}", path.display());

        let script = "return [document.documentElement.scrollHeight, window.innerHeight, window.outerWidth, window.outerHeight];";
        let dims: Vec<u32> = serde_json::from_value(
            self.client
                .execute(script, vec![])
                .await
                .expect("page size"),
        )
        .expect("page size numbers");
        let [page, inner, outer_w, outer_h] = dims[..] else {
            panic!("page size: {dims:?}")
        };
        if page > inner {
            let full_h = (outer_h - inner + page).min(8000);
            self.client
                .set_window_size(outer_w, full_h)
                .await
                .expect("grow the window");
            let png = self
                .client
                .screenshot()
                .await
                .expect("full-page screenshot");
            let path = dir.join(format!("{name}-full.png"));
            std::fs::write(&path, png)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            self.client
                .set_window_size(outer_w, outer_h)
                .await
                .expect("restore the window");
        }
    }
}

/// `<target>/screenshots`, where `<target>` is `CARGO_TARGET_DIR` or the workspace's `target`.
fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) if Path::new(&t).is_absolute() => PathBuf::from(t),
        Some(t) => workspace.join(t),
        None => workspace.join("target"),
    };
    target.join("screenshots")
}

/// Polls `check` until it answers `Ok`, for up to [`WAIT`]; `Err` describes what it saw,
/// for the failure message.
pub(crate) async fn eventually<T>(
    what: &str,
    mut check: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let started = Instant::now();
    loop {
        match check().await {
            Ok(v) => return v,
            Err(seen) if started.elapsed() > WAIT => {
                panic!("timed out after {WAIT:?} waiting for {what}; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

// ------------------------------------------------------------------ store helpers

pub(crate) fn first_page(limit: u32, sorts: &[&'static str]) -> PageRequest {
    PageRequest::parse(
        &PageParams {
            limit: Some(limit.to_string()),
            ..Default::default()
        },
        sorts,
    )
    .expect("page request")
}

async fn partners_matching(store: &Store, filter: &PartnerFilter) -> Vec<Partner> {
    let page = store
        .partners(
            &Scope::Vendor,
            filter,
            &first_page(200, &Store::partner_sorts()),
        )
        .await
        .expect("list partners");
    assert!(
        page.next_cursor.is_none(),
        "more than 200 partners: the test expects a small seed"
    );
    page.items
}

pub(crate) async fn all_partners(store: &Store) -> Vec<Partner> {
    partners_matching(store, &PartnerFilter::default()).await
}

async fn all_programs(store: &Store) -> Vec<Program> {
    store
        .programs(
            &Scope::Vendor,
            &ProgramFilter::default(),
            &first_page(200, &Store::program_sorts()),
        )
        .await
        .expect("list programs")
        .items
}

async fn users_matching(store: &Store, filter: &UserFilter) -> Vec<User> {
    store
        .users(
            &Scope::Vendor,
            filter,
            &first_page(200, &Store::user_sorts()),
        )
        .await
        .expect("list users")
        .items
}

/// A server over a freshly seeded SQLite store (8 partners, 3 programs, demo logins).
pub(crate) async fn seeded() -> (TestApp, SeedReport) {
    let app = spawn(Db::Sqlite).await;
    let report = partnerops_seed::seed(&app.store, &SeedSpec::small(3))
        .await
        .expect("seed the store");
    (app, report)
}

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    items
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

// ------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_walks_the_console() {
    let (app, _report) = seeded().await;
    let partners = all_partners(&app.store).await;
    assert!(
        partners.len() >= 4,
        "the seed should create several partners, got {}",
        partners.len()
    );

    // A search term that matches some partners but not all: the first word of a name.
    let (needle, expected) = {
        let mut found = None;
        for p in &partners {
            let word = p
                .name
                .split_whitespace()
                .next()
                .unwrap_or(&p.name)
                .to_owned();
            let filter = PartnerFilter {
                q: Some(word.clone()),
                ..Default::default()
            };
            let hits = partners_matching(&app.store, &filter).await;
            if !hits.is_empty() && hits.len() < partners.len() {
                found = Some((word, sorted(hits.into_iter().map(|p| p.name))));
                break;
            }
        }
        found.expect("some partner name word should match only part of the partners")
    };

    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console/partners").await;
    b.wait_css("#partner-table").await;
    let rows = b.texts("#partner-table tbody tr td:first-child a").await;
    assert_eq!(
        sorted(rows.clone()),
        sorted(partners.iter().map(|p| p.name.clone())),
        "the partner list should show every seeded partner"
    );
    assert!(
        b.exists("#new-partner").await,
        "the partners page should offer a #new-partner link"
    );
    assert!(
        b.text(".topbar").await.contains("Avery Admin"),
        "the top bar should name the signed-in user"
    );
    b.shot("vendor-01-partners").await;

    // Typing in the search box refreshes #results through htmx, without a page load.
    b.find("#filters input[name=q]")
        .await
        .send_keys(&needle)
        .await
        .expect("type the search");
    eventually(
        &format!("htmx to narrow the partner table to {expected:?} for {needle:?}"),
        async || {
            let rows = sorted(b.texts("#partner-table tbody tr td:first-child a").await);
            if rows == expected {
                Ok(())
            } else {
                Err(format!("rows {rows:?}"))
            }
        },
    )
    .await;
    eventually("the search to be pushed into the URL", async || {
        let url = b.url().await;
        if url.contains(&format!("q={}", crate::http::enc(&needle)))
            || url.contains(&format!("q={needle}"))
        {
            Ok(())
        } else {
            Err(url)
        }
    })
    .await;
    b.shot("vendor-02-partners-search").await;

    // Open the first match.
    let name = expected[0].clone();
    let partner = partners
        .iter()
        .find(|p| p.name == name)
        .expect("the matching partner");
    b.client
        .find(Locator::LinkText(&name))
        .await
        .expect("a link to the partner")
        .click()
        .await
        .expect("open the partner");
    b.wait_path(&format!("/console/partners/{}", partner.id))
        .await;
    b.wait_css("#partner-form").await;
    assert!(
        b.text("h1").await.contains(&name),
        "the partner page's h1 should name {name}"
    );
    assert_eq!(
        b.value("#partner-form input[name=web_domain]").await,
        partner.web_domain.to_string(),
        "the form shows the domain"
    );
    b.shot("vendor-03-partner").await;

    // Programs, then one program's tier ladder.
    b.click(".topbar a[href='/console/programs']").await;
    b.wait_path("/console/programs").await;
    b.wait_css("main table tbody tr td a").await;
    let programs = b.texts("main table tbody tr td:first-child a").await;
    let expected_programs = sorted(all_programs(&app.store).await.into_iter().map(|p| p.name));
    assert_eq!(
        sorted(programs),
        expected_programs,
        "the programs page should list every program"
    );
    b.shot("vendor-04-programs").await;

    let program = all_programs(&app.store)
        .await
        .into_iter()
        .find(|p| p.name == "Reseller Program")
        .expect("the seeded Reseller Program");
    b.client
        .find(Locator::LinkText("Reseller Program"))
        .await
        .expect("a link to the program")
        .click()
        .await
        .expect("open the program");
    b.wait_path(&format!("/console/programs/{}", program.id))
        .await;
    b.wait_css("#tiers .ladder .tier-card").await;
    let tiers = b.texts("#tiers .tier-card header strong").await;
    assert_eq!(
        tiers,
        ["Registered", "Select", "Premier"],
        "the tier ladder in rank order"
    );
    assert!(
        b.text("h1").await.contains("Reseller Program"),
        "the program page's h1"
    );
    b.shot("vendor-05-program").await;

    b.click(".topbar a[href='/console/accounts']").await;
    b.wait_path("/console/accounts").await;
    b.wait_css("#account-table").await;
    let accounts = b.texts("#account-table tbody tr td:first-child a").await;
    assert!(
        !accounts.is_empty(),
        "the accounts page should list seeded accounts"
    );
    b.shot("vendor-06-accounts").await;

    b.click(".topbar a[href='/console/users']").await;
    b.wait_path("/console/users").await;
    b.wait_css("#user-table").await;
    let emails = b.texts("#user-table tbody tr td:nth-child(2)").await;
    assert!(
        emails.iter().any(|e| e == VENDOR_ADMIN),
        "the users page should list {VENDOR_ADMIN}, got {emails:?}"
    );
    b.shot("vendor-07-users").await;

    // Sign out: back on the sign-in page, and the console is closed again.
    b.click("#logout").await;
    b.wait_path("/login").await;
    b.wait_css("input[name=email]").await;
    b.shot("vendor-08-signed-out").await;
    b.goto("/console/partners").await;
    b.wait_path("/login").await;
    assert!(
        b.url().await.contains("next="),
        "after sign-out the console should send back to the sign-in page"
    );

    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_errors_show_inline() {
    let (app, _report) = seeded().await;
    let program = all_programs(&app.store)
        .await
        .into_iter()
        .next()
        .expect("a seeded program");
    let before = all_partners(&app.store).await.len();

    let b = Browser::start(&app).await;
    b.sign_in(VENDOR_ADMIN, DEMO_PASSWORD).await;
    b.wait_path("/console/partners").await;
    b.goto("/console/partners/new").await;
    b.wait_css("#partner-form").await;

    b.select("#partner-form select[name=program_id]", program.id.as_str())
        .await;
    b.select("#partner-form select[name=partner_type]", "reseller")
        .await;
    b.type_into("#partner-form input[name=name]", "").await;
    b.type_into("#partner-form input[name=web_domain]", "not a domain")
        .await;
    b.type_into("#partner-form input[name=country]", "XX").await;
    b.click("#partner-form button[type=submit]").await;

    // The form comes back (from POST /console/partners) with the errors next to the fields.
    b.wait_path("/console/partners").await;
    b.wait_css("#partner-form input[name=name][aria-invalid=true]")
        .await;
    for field in ["name", "web_domain", "country"] {
        let input = format!("#partner-form input[name={field}]");
        assert_eq!(
            b.find(&input)
                .await
                .attr("aria-invalid")
                .await
                .expect("attr")
                .as_deref(),
            Some("true"),
            "{field} should be marked aria-invalid"
        );
        let error = format!("#partner-form label:has(> input[name={field}]) > small.field-error");
        assert!(
            b.exists(&error).await,
            "{field} should have a .field-error in its label"
        );
        let message = b.text(&error).await;
        assert!(
            !message.is_empty(),
            "the error message of {field} should not be empty"
        );
        assert!(
            b.exists(&format!("#partner-form small.field-error#{field}-error"))
                .await,
            "the error of {field} should carry the id its input's aria-describedby names"
        );
    }
    let errors = b.texts("#partner-form .field-error").await;
    assert_eq!(
        errors.len(),
        3,
        "only name, web domain and country are wrong: {errors:?}"
    );
    assert_eq!(
        b.value("#partner-form input[name=web_domain]").await,
        "not a domain",
        "the typed domain is kept"
    );
    assert_eq!(
        b.value("#partner-form input[name=country]").await,
        "XX",
        "the typed country is kept"
    );
    assert_eq!(
        b.value("#partner-form select[name=program_id]").await,
        program.id.as_str(),
        "the chosen program is kept"
    );
    assert_eq!(
        b.value("#partner-form select[name=partner_type]").await,
        "reseller",
        "the chosen type is kept"
    );
    assert_eq!(
        all_partners(&app.store).await.len(),
        before,
        "an invalid form must not create a partner"
    );
    b.shot("form-01-invalid").await;

    // Fix the fields and submit again: the new partner's page.
    let name = "Browserline Partners";
    b.type_into("#partner-form input[name=name]", name).await;
    b.type_into(
        "#partner-form input[name=web_domain]",
        "browserline.example",
    )
    .await;
    b.type_into("#partner-form input[name=country]", "DE").await;
    b.click("#partner-form button[type=submit]").await;
    let created = eventually("the new partner to be stored", async || {
        let all = all_partners(&app.store).await;
        all.iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| format!("{} partners, none named {name}", all.len()))
    })
    .await;
    b.wait_path(&format!("/console/partners/{}", created.id))
        .await;
    b.wait_css("h1").await;
    assert!(
        b.text("h1").await.contains(name),
        "the new partner's page should have its name in the h1"
    );
    assert!(
        !b.exists(".field-error").await,
        "no errors on the new partner's page"
    );
    assert_eq!(
        all_partners(&app.store).await.len(),
        before + 1,
        "exactly one partner was created"
    );
    assert_eq!(
        created.program_id, program.id,
        "the partner joined the chosen program"
    );
    b.shot("form-02-created").await;

    b.close().await;
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_sees_only_its_portal() {
    let (app, report) = seeded().await;
    let login = report
        .logins
        .iter()
        .find(|l| l.role == Role::PartnerAdmin)
        .expect("the seed has a partner admin login")
        .clone();
    let own_name = login
        .partner_name
        .clone()
        .expect("a partner admin belongs to a partner");
    let partners = all_partners(&app.store).await;
    let own = partners
        .iter()
        .find(|p| p.name == own_name)
        .expect("the partner admin's partner")
        .clone();
    let others: Vec<&Partner> = partners
        .iter()
        .filter(|p| p.id != own.id && !own.name.contains(&p.name))
        .collect();
    assert!(!others.is_empty(), "the seed has other partners");
    let own_users = users_matching(
        &app.store,
        &UserFilter {
            partner_id: Some(own.id.clone()),
            ..Default::default()
        },
    )
    .await;
    let other_users: Vec<User> = users_matching(
        &app.store,
        &UserFilter {
            staff: Some(false),
            ..Default::default()
        },
    )
    .await
    .into_iter()
    .filter(|u| u.partner_id.as_ref() != Some(&own.id))
    .collect();
    assert!(
        !other_users.is_empty(),
        "the seed has users of other partners"
    );

    let b = Browser::start(&app).await;
    b.sign_in(&login.email, &login.password).await;
    b.wait_path("/portal").await;
    b.wait_css("#current-tier").await;
    assert!(
        b.text("h1").await.contains(&own.name),
        "the portal's h1 names the own company {}",
        own.name
    );
    assert_eq!(
        b.text("#current-tier").await,
        own.tier_name,
        "#current-tier shows the partner's tier"
    );
    assert!(
        b.exists("#profile-form").await,
        "a partner admin may edit the profile"
    );
    let source = b.source().await;
    for other in &others {
        assert!(
            !source.contains(&other.name),
            "the portal of {} must not mention another partner, {}",
            own.name,
            other.name
        );
    }
    assert!(
        !b.exists(".topbar a[href^='/console']").await,
        "no console links in the portal's navigation"
    );
    b.shot("portal-01-home").await;

    // Own users only.
    b.click(".topbar a[href='/portal/users']").await;
    b.wait_path("/portal/users").await;
    b.wait_css("#user-table").await;
    let emails = sorted(b.texts("#user-table tbody tr td:nth-child(2)").await);
    assert_eq!(
        emails,
        sorted(own_users.iter().map(|u| u.email.to_string())),
        "/portal/users lists exactly the own users"
    );
    let source = b.source().await;
    for u in &other_users {
        assert!(
            !source.contains(u.email.as_str()),
            "/portal/users must not show {} of another partner",
            u.email
        );
    }
    b.shot("portal-02-users").await;

    // Edit the profile.
    b.click(".topbar a[href='/portal']").await;
    b.wait_path("/portal").await;
    b.wait_css("#profile-form").await;
    b.type_into(
        "#profile-form input[name=verticals]",
        "Healthcare, Browser QA",
    )
    .await;
    b.click("#profile-form button[type=submit]").await;
    b.wait_css(".notice").await;
    b.wait_path("/portal").await;
    assert_eq!(b.text(".notice").await, "Saved.", "the save is confirmed");
    assert_eq!(
        b.value("#profile-form input[name=verticals]").await,
        "Healthcare, Browser QA",
        "the form shows the saved verticals"
    );
    let stored = app
        .store
        .partner(&Scope::Vendor, own.id.as_str())
        .await
        .expect("reload the partner");
    assert_eq!(
        stored.verticals,
        ["Healthcare", "Browser QA"],
        "the verticals were stored"
    );
    b.shot("portal-03-saved").await;

    // The console does not exist for partner users.
    b.goto("/console/partners").await;
    b.wait_css("main article header").await;
    let header = b.text("main article header").await;
    assert!(
        header.contains("404") && header.contains("Not found"),
        "a partner user gets the 404 page, got {header:?}"
    );
    let source = b.source().await;
    assert!(
        !source.contains("partner-table"),
        "no partner table behind the 404"
    );
    let session = b
        .client
        .get_named_cookie("po_session")
        .await
        .expect("the session cookie");
    let answer = app
        .http
        .page(
            "/console/partners",
            &format!("po_session={}", session.value()),
        )
        .await;
    assert_eq!(
        answer.status, 404,
        "the console answers 404 to a partner session"
    );
    b.shot("portal-04-console-404").await;

    b.close().await;
}
