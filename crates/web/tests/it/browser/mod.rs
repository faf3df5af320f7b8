//! Chromium for the browser tests of every capability (each capability's `browser.rs`):
//! headless Chromium driven through chromedriver (WebDriver, via fantoccini) against the
//! real server over a seeded SQLite store, and store helpers to compare pages with. No test
//! lives here.
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
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partner::Partner;
use partnerops_core::program::Program;
use partnerops_core::scope::Scope;
use partnerops_core::user::User;
use partnerops_seed::{SeedReport, SeedSpec};
use partnerops_store::Store;
use partnerops_store::partner::PartnerFilter;
use partnerops_store::program::ProgramFilter;
use partnerops_store::user::UserFilter;
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

    /// The element's text. An element replaced between finding and reading it (the page
    /// navigated or re-rendered meanwhile) is found again rather than failing the test.
    /// ChromeDriver reports that either as a stale element or, when htmx swapped the node
    /// out mid-read, as an inspector error that the node is no longer in the document.
    pub(crate) async fn text(&self, css: &str) -> String {
        let mut last = None;
        for _ in 0..20 {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e)
                    if ["StaleElementReference", "does not belong to the document"]
                        .iter()
                        .any(|sign| format!("{e:?}").contains(sign)) =>
                {
                    last = Some(e);
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("element text of {css}: {e:?}"),
            }
        }
        panic!("element text of {css}: stale 20 times: {last:?}")
    }

    pub(crate) async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value property")
            .unwrap_or_default()
    }

    /// Fetches `path` from the page (same origin, with the session's cookie), as a download
    /// link would, and returns the status, the content type and the body.
    pub(crate) async fn fetch_text(&self, path: &str) -> (u16, String, String) {
        let v = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 fetch(arguments[0], {credentials: 'same-origin'})\
                   .then(r => r.text().then(t => done([r.status, r.headers.get('content-type') || '', t])))\
                   .catch(e => done([0, '', String(e)]));",
                vec![json!(path)],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot fetch {path} from the page: {e}"));
        (
            v[0].as_u64().unwrap_or(0) as u16,
            v[1].as_str().unwrap_or_default().to_owned(),
            v[2].as_str().unwrap_or_default().to_owned(),
        )
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

    /// Chooses a file on this machine in a file input (chromedriver takes its path as keys).
    pub(crate) async fn attach(&self, css: &str, path: &std::path::Path) {
        self.find(css)
            .await
            .send_keys(&path.display().to_string())
            .await
            .unwrap_or_else(|e| panic!("cannot attach {} to `{css}`: {e}", path.display()));
    }

    /// Sets an input's value directly (a date input takes keys in the locale's order, so
    /// typing an ISO date into it is unreliable).
    pub(crate) async fn set_value(&self, css: &str, value: &str) {
        self.find(css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot set the value of `{css}`: {e}"));
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

pub(crate) async fn partners_matching(store: &Store, filter: &PartnerFilter) -> Vec<Partner> {
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

/// A demo login of a partner admin whose partner is active, with that partner.
pub(crate) async fn active_partner_admin(
    store: &Store,
    report: &SeedReport,
) -> (partnerops_seed::DemoLogin, Partner) {
    let partners = all_partners(store).await;
    report
        .logins
        .iter()
        .filter(|l| l.role == partnerops_core::user::Role::PartnerAdmin)
        .find_map(|l| {
            let p = partners
                .iter()
                .find(|p| Some(p.name.as_str()) == l.partner_name.as_deref())?;
            (p.status == partnerops_core::partner::PartnerStatus::Active)
                .then(|| (l.clone(), p.clone()))
        })
        .expect("an admin of an active partner")
}

/// A deal registered for `partner` on a new US company and approved (by the system): the
/// opportunity its approval opened.
pub(crate) async fn approved_deal(
    store: &Store,
    partner: &Partner,
    company: &str,
    title: &str,
    arr_minor: i64,
) -> partnerops_core::ids::OpportunityId {
    use partnerops_core::ids::EntityId;
    use partnerops_core::registration::record::{AccountRefInput, ReasonInput, RegistrationInput};
    let system = partnerops_store::Actor::system("test");
    let domain = format!(
        "{}.example",
        company.split(' ').next().unwrap_or(company).to_lowercase()
    );
    let reg = store
        .submit_registration(
            &system,
            &RegistrationInput {
                partner_id: Some(partner.id.to_string()),
                account: Some(AccountRefInput {
                    name: Some(company.into()),
                    web_domain: Some(domain),
                    country: Some("US".into()),
                }),
                title: Some(title.into()),
                estimated_arr_minor: Some(arr_minor),
                ..Default::default()
            },
        )
        .await
        .expect("a registration");
    store
        .approve_registration(
            &system,
            reg.id.as_str(),
            &ReasonInput {
                reason: Some("new logo".into()),
            },
        )
        .await
        .expect("approved")
        .opportunity_id
        .expect("the approval opened an opportunity")
}

pub(crate) async fn all_partners(store: &Store) -> Vec<Partner> {
    partners_matching(store, &PartnerFilter::default()).await
}

pub(crate) async fn all_programs(store: &Store) -> Vec<Program> {
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

pub(crate) async fn users_matching(store: &Store, filter: &UserFilter) -> Vec<User> {
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

pub(crate) fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    items
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}
