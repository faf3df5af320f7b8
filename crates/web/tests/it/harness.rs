//! Test servers. `spawn(Db::Sqlite)` or `spawn(Db::Postgres)` starts the real application on
//! 127.0.0.1 port 0 over a fresh database: a new SQLite file, or a new database on the
//! PostgreSQL server named by `PARTNEROPS_TEST_PG_URL` (default: the local server as user
//! postgres). Nothing is skipped: if PostgreSQL cannot be reached the test fails and says
//! so. [`on_both!`] runs a test function once per backend.

use std::path::PathBuf;

use partnerops_core::account::{Account, AccountInput};
use partnerops_core::partner::{Partner, PartnerInput};
use partnerops_core::program::{Program, ProgramInput};
use partnerops_core::user::{NewTokenInput, NewUserInput, User};
use partnerops_store::{Actor, Store};
use sqlx::Connection;
use tokio::sync::oneshot;

use crate::http::Http;

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestApp)` as two tests: `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::spawn($crate::harness::Db::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::harness::spawn($crate::harness::Db::Postgres).await).await
            }
        }
    )*};
}

/// A running server and a handle on its store.
pub struct TestApp {
    pub http: Http,
    pub store: Store,
    pub db: Db,
    /// The database URL, for further instances over the same database.
    url: String,
    shutdown: Option<oneshot::Sender<()>>,
    cleanup: Cleanup,
}

/// Another server over a test's database (a second instance, or one with its own clock).
/// It stops when dropped; the database stays the [`TestApp`]'s.
pub struct Instance {
    pub http: Http,
    /// The instance's own store (its own pool and clock).
    pub store: Store,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Limits no test trips by accident (a test suite fires many requests from one address);
/// rate-limit tests start instances with low ones (`instance_with_rate_limits`).
pub fn generous_rate_limits() -> partnerops_web::ApiRateLimits {
    use partnerops_core::rate_limit::RateLimit;
    partnerops_web::ApiRateLimits {
        per_token: RateLimit::per_minute(1_000_000),
        per_address: RateLimit::per_minute(1_000_000),
    }
}

/// Serves the application over `store` on 127.0.0.1 port 0.
async fn serve(store: Store) -> (Http, oneshot::Sender<()>) {
    serve_with(store, generous_rate_limits()).await
}

/// Serves the application over `store` with these API rate limits.
async fn serve_with(
    store: Store,
    rate_limits: partnerops_web::ApiRateLimits,
) -> (Http, oneshot::Sender<()>) {
    let app = partnerops_web::app(
        store,
        partnerops_web::WebOptions {
            rate_limits,
            ..Default::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        partnerops_web::serve(listener, app, async {
            let _ = rx.await;
        })
        .await
        .expect("serve");
    });
    (Http::new(&format!("http://{addr}")), tx)
}

enum Cleanup {
    File(PathBuf),
    Database { server_url: String, name: String },
}

pub fn pg_server_url() -> String {
    std::env::var("PARTNEROPS_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// The PostgreSQL server of `PARTNEROPS_TEST_PG_URL` through PgBouncer in transaction
/// pooling mode, which `./scripts/test` starts. Missing, the test fails: nothing is skipped.
pub fn pgbouncer_url() -> String {
    std::env::var("PARTNEROPS_TEST_PGBOUNCER_URL").unwrap_or_else(|_| {
        panic!(
            "PARTNEROPS_TEST_PGBOUNCER_URL is not set. Run ./scripts/test, which starts PgBouncer in transaction mode, or set it to such a pooler in front of PARTNEROPS_TEST_PG_URL."
        )
    })
}

/// `server_url` with its database name replaced by `name`.
fn with_database(server_url: &str, name: &str) -> String {
    let (head, query) = server_url
        .split_once('?')
        .map_or((server_url, None), |(h, q)| (h, Some(q)));
    let after_scheme = head.find("://").map_or(0, |i| i + 3);
    let base = match head[after_scheme..].find('/') {
        Some(slash) => &head[..after_scheme + slash],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The tests' receivers listen on 127.0.0.1, which the product refuses by default: the
/// tests allow private targets explicitly (see `strict_instance` for the default).
fn test_webhooks() -> partnerops_store::webhook::WebhookSettings {
    partnerops_store::webhook::WebhookSettings {
        allow_private_targets: true,
    }
}

pub async fn spawn(db: Db) -> TestApp {
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let (url, cleanup) = match db {
        Db::Sqlite => {
            let dir = std::env::temp_dir().join("partnerops-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("{unique}.sqlite"));
            (format!("sqlite://{}", path.display()), Cleanup::File(path))
        }
        Db::Postgres => {
            let server_url = pg_server_url();
            let name = format!("po_test_{unique}");
            let mut conn = sqlx::postgres::PgConnection::connect(&server_url).await.unwrap_or_else(|e| {
                panic!("PostgreSQL is not reachable at {server_url} ({e}). Run ./scripts/test, which brings one up, or set PARTNEROPS_TEST_PG_URL.")
            });
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            conn.close().await.ok();
            (
                with_database(&server_url, &name),
                Cleanup::Database { server_url, name },
            )
        }
    };
    let store = Store::open(&url)
        .await
        .expect("open store")
        .with_webhooks(test_webhooks());
    let (http, tx) = serve(store.clone()).await;
    TestApp {
        http,
        store,
        db,
        url,
        shutdown: Some(tx),
        cleanup,
    }
}

impl TestApp {
    /// A second server instance over this test's database, with its own connection pool
    /// (as a second process would have), on the real clock.
    pub async fn second_instance(&self) -> Instance {
        self.instance(None).await
    }

    /// A server over this test's database whose clock reads `real now + shift`: requests
    /// to it happen "later" (e.g. an activity logged ten days after approval).
    pub async fn shifted_instance(&self, shift: chrono::Duration) -> Instance {
        self.instance(Some(std::sync::Arc::new(move || {
            chrono::Utc::now() + shift
        })))
        .await
    }

    /// A server over this test's database keeping file bytes in `files` (another folder,
    /// or an S3-compatible bucket that several instances share).
    pub async fn instance_with_files(&self, files: partnerops_store::file::FileStore) -> Instance {
        self.instance_of(None, Some(files)).await
    }

    /// A server over this test's database with the product's default webhook settings:
    /// private, loopback and link-local targets refused.
    pub async fn strict_instance(&self) -> Instance {
        let store = Store::open(&self.url).await.expect("open strict store");
        let (http, tx) = serve(store.clone()).await;
        Instance {
            http,
            store,
            shutdown: Some(tx),
        }
    }

    /// A server over this test's database sending e-mail as `notify` says (the test SMTP
    /// sink), for features that send mail while answering a request.
    pub async fn instance_with_notify(
        &self,
        notify: partnerops_store::notification::mail::NotifySettings,
    ) -> Instance {
        let store = Store::open(&self.url)
            .await
            .expect("open store")
            .with_webhooks(test_webhooks())
            .with_notify(notify);
        let (http, tx) = serve(store.clone()).await;
        Instance {
            http,
            store,
            shutdown: Some(tx),
        }
    }

    /// A server over this test's database with these API rate limits and its clock
    /// stopped at `at` (so a test's requests fall in one window). The counts are the
    /// database's, shared with every other instance over it.
    pub async fn instance_with_rate_limits(
        &self,
        limits: partnerops_web::ApiRateLimits,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Instance {
        let store = Store::open(&self.url)
            .await
            .expect("open store")
            .with_webhooks(test_webhooks())
            .with_clock(std::sync::Arc::new(move || at));
        let (http, tx) = serve_with(store.clone(), limits).await;
        Instance {
            http,
            store,
            shutdown: Some(tx),
        }
    }

    async fn instance(&self, clock: Option<partnerops_store::Clock>) -> Instance {
        self.instance_of(clock, None).await
    }

    async fn instance_of(
        &self,
        clock: Option<partnerops_store::Clock>,
        files: Option<partnerops_store::file::FileStore>,
    ) -> Instance {
        let mut store = Store::open(&self.url)
            .await
            .expect("open second store")
            .with_webhooks(test_webhooks());
        if let Some(clock) = clock {
            store = store.with_clock(clock);
        }
        if let Some(files) = files {
            store = store.with_files(files);
        }
        let (http, tx) = serve(store.clone()).await;
        Instance {
            http,
            store,
            shutdown: Some(tx),
        }
    }

    /// This test's PostgreSQL database reached through `server_url` (another way to the
    /// same server, such as a connection pooler).
    pub fn url_through(&self, server_url: &str) -> String {
        match &self.cleanup {
            Cleanup::Database { name, .. } => with_database(server_url, name),
            Cleanup::File(_) => panic!("url_through needs a PostgreSQL test app"),
        }
    }

    /// Runs one statement on this test's database from outside the store, for a test that
    /// must do what the store never would (e.g. lose the outbox claims, as a restore might).
    pub async fn raw_sql(&self, sql: &str) {
        match self.db {
            Db::Sqlite => {
                let mut c = sqlx::sqlite::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .expect("raw sql");
            }
            Db::Postgres => {
                let mut c = sqlx::postgres::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .expect("raw sql");
            }
        }
    }

    /// This test's store with its clock fixed at `at`.
    pub fn store_as_of(&self, at: chrono::DateTime<chrono::Utc>) -> Store {
        self.store
            .clone()
            .with_clock(std::sync::Arc::new(move || at))
    }

    /// Runs the due jobs as of `at`, as `partnerops jobs run-due --as-of` does.
    pub async fn run_due_as_of(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> partnerops_store::jobs::RunReport {
        self.store_as_of(at).run_due().await.expect("run due jobs")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                // The uploads' default folder, beside the file.
                let _ = std::fs::remove_dir_all(format!("{}-files", path.display()));
            }
            Cleanup::Database { server_url, name } => {
                // Dropping needs async I/O; do it on a thread of its own so Drop can wait.
                let (server_url, name) = (server_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async {
                        if let Ok(mut conn) =
                            sqlx::postgres::PgConnection::connect(&server_url).await
                        {
                            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .execute(&mut conn)
                            .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// One partner company with its two users and their tokens.
pub struct Side {
    pub partner: Partner,
    pub admin: User,
    pub admin_token: String,
    pub rep: User,
    pub rep_token: String,
}

/// A small world for API tests: two programs, two partners (A in the first program, B in
/// the second), vendor staff of every role with tokens, and an account.
pub struct World {
    pub program: Program,
    pub other_program: Program,
    pub a: Side,
    pub b: Side,
    pub admin: String,
    pub admin_user: User,
    pub channel: String,
    pub sales: String,
    pub sales_user: User,
    pub finance: String,
    pub account: Account,
}

fn sys() -> Actor {
    Actor::system("test")
}

impl TestApp {
    pub async fn user_with_token(
        &self,
        email: &str,
        role: &str,
        partner: Option<&Partner>,
    ) -> (User, String) {
        let input = NewUserInput {
            email: Some(email.into()),
            display_name: Some(email.split('@').next().unwrap_or(email).into()),
            role: Some(role.into()),
            partner_id: partner.map(|p| p.id.to_string()),
            password: None,
        };
        let user = self.store.create_user(&sys(), &input).await.expect("user");
        let (_, token) = self
            .store
            .create_token(
                &sys(),
                &user.id,
                &NewTokenInput {
                    name: Some("test".into()),
                    // Tests move clocks years ahead; the expiry has tests of its own.
                    expires_at: Some("never".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("token");
        (user, token)
    }

    pub async fn program(&self, name: &str) -> Program {
        let input = ProgramInput {
            name: Some(name.into()),
            kind: Some("reseller".into()),
            ..Default::default()
        };
        self.store
            .create_program(&sys(), &input)
            .await
            .expect("program")
    }

    pub async fn partner(&self, name: &str, domain: &str, program: &Program) -> Partner {
        let input = PartnerInput {
            name: Some(name.into()),
            web_domain: Some(domain.into()),
            partner_type: Some("reseller".into()),
            program_id: Some(program.id.to_string()),
            country: Some("DE".into()),
            status: Some("active".into()),
            ..Default::default()
        };
        self.store
            .create_partner(&sys(), &input)
            .await
            .expect("partner")
    }

    async fn side(&self, name: &str, domain: &str, program: &Program) -> Side {
        let partner = self.partner(name, domain, program).await;
        let (admin, admin_token) = self
            .user_with_token(&format!("admin@{domain}"), "partner_admin", Some(&partner))
            .await;
        let (rep, rep_token) = self
            .user_with_token(&format!("rep@{domain}"), "partner_rep", Some(&partner))
            .await;
        Side {
            partner,
            admin,
            admin_token,
            rep,
            rep_token,
        }
    }

    pub async fn world(&self) -> World {
        let program = self.program("Reseller Program").await;
        let other_program = self.program("Referral Program").await;
        let a = self.side("Alpha Systems", "alpha.example", &program).await;
        let b = self
            .side("Beta Consulting", "beta.example", &other_program)
            .await;
        let (admin_user, admin) = self
            .user_with_token("admin@vendor.example", "admin", None)
            .await;
        let (_, channel) = self
            .user_with_token("channel@vendor.example", "channel_manager", None)
            .await;
        let (sales_user, sales) = self
            .user_with_token("sales@vendor.example", "direct_sales", None)
            .await;
        let (_, finance) = self
            .user_with_token("finance@vendor.example", "marketing_finance", None)
            .await;
        let account = self
            .store
            .create_account(
                &sys(),
                &AccountInput {
                    name: Some("Globex".into()),
                    web_domain: Some("globex.example".into()),
                    country: Some("US".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("account");
        World {
            program,
            other_program,
            a,
            b,
            admin,
            admin_user,
            channel,
            sales,
            sales_user,
            finance,
            account,
        }
    }
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}
