//! The database going away is not a server bug: a throwaway PostgreSQL cluster is
//! restarted under a write load of 8 clients. No acknowledged write is lost, no answer is
//! `500`; a write that could not be done is `503` with `Retry-After` and a problem
//! document; `/readyz` says the database is unavailable while it is down, and the server
//! recovers by itself.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use partnerops_core::user::NewUserInput;
use partnerops_store::{Actor, Store};
use serde_json::json;

use crate::http::Http;

/// A PostgreSQL cluster of its own in a temporary folder, stopped and deleted on drop.
struct Cluster {
    bin: PathBuf,
    run_as: Vec<String>,
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn pg_ctl(&self, args: &[&str]) -> std::process::Output {
        let data = self.dir.join("data");
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D").arg(&data).args(args);
        cmd.output().expect("run pg_ctl")
    }

    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        let mut cmd = match self.run_as.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.current_dir(&self.dir);
        cmd
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        let out = self.pg_ctl(&[
            "-o",
            &options,
            "-l",
            log.to_str().unwrap(),
            "-w",
            "-t",
            "30",
            "start",
        ]);
        assert!(out.status.success(), "pg_ctl start: {out:?}");
    }

    fn new() -> Cluster {
        let bin = PathBuf::from(std::env::var("PARTNEROPS_TEST_PG_BIN").expect(
            "PARTNEROPS_TEST_PG_BIN names the folder of initdb and pg_ctl; run ./scripts/test, which sets it",
        ));
        let run_as: Vec<String> = std::env::var("PARTNEROPS_TEST_PG_RUN")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let dir = std::env::temp_dir().join(format!(
            "partnerops-restart-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if !run_as.is_empty() {
            // The server runs as another OS user (postgres refuses root): it owns the folder.
            let out = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .output()
                .unwrap();
            assert!(out.status.success(), "chown: {out:?}");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            bin,
            run_as,
            dir,
            port,
        };
        let out = cluster
            .command("initdb")
            .arg("-D")
            .arg(cluster.dir.join("data"))
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {out:?}");
        cluster.start();
        cluster
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What one client saw: the status of every write, and the ids of the acknowledged ones.
#[derive(Default)]
struct Seen {
    statuses: Vec<StatusCode>,
    acknowledged: Vec<String>,
    unavailable_well_formed: bool,
}

async fn client(http: Http, token: String, n: usize, stop: Arc<AtomicBool>) -> Seen {
    let mut seen = Seen {
        unavailable_well_formed: true,
        ..Default::default()
    };
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let body = json!({"name": format!("Load {n}-{i}"), "web_domain": format!("load-{n}-{i}.example"), "country": "DE"});
        let r = http
            .api(Method::POST, "/api/v1/accounts", Some(&token), Some(&body))
            .await;
        if r.status == StatusCode::CREATED {
            seen.acknowledged
                .push(r.json()["id"].as_str().unwrap().to_owned());
        } else if r.status == StatusCode::SERVICE_UNAVAILABLE {
            seen.unavailable_well_formed &= r.header("retry-after").is_some()
                && r.header("content-type").as_deref() == Some("application/problem+json");
        }
        seen.statuses.push(r.status);
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_under_load_loses_nothing_and_answers_no_500() {
    let cluster = Arc::new(Cluster::new());
    let store = Store::open(&cluster.url()).await.expect("open store");
    let admin = store
        .create_user(
            &Actor::system("test"),
            &NewUserInput {
                email: Some("admin@vendor.example".into()),
                display_name: Some("Admin".into()),
                role: Some("admin".into()),
                partner_id: None,
                password: None,
            },
        )
        .await
        .unwrap();
    let (_, token) = store
        .create_token(
            &Actor::system("test"),
            &admin.id,
            &partnerops_core::user::NewTokenInput {
                name: Some("load".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = Http::new(&format!("http://{}", listener.local_addr().unwrap()));
    // Thousands of writes from one token: rate limits are not what this test is about.
    let app = partnerops_web::app(
        store.clone(),
        partnerops_web::WebOptions {
            rate_limits: crate::harness::generous_rate_limits(),
            ..Default::default()
        },
    );
    tokio::spawn(partnerops_web::serve(listener, app, std::future::pending()));

    // 8 clients write while the cluster restarts twice.
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|n| tokio::spawn(client(http.clone(), token.clone(), n, stop.clone())))
        .collect();
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let c = cluster.clone();
        let out = tokio::task::spawn_blocking(move || {
            let out = c.pg_ctl(&["-m", "fast", "-w", "stop"]);
            c.start();
            out
        })
        .await
        .unwrap();
        assert!(out.status.success(), "pg_ctl stop: {out:?}");
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, Ordering::Relaxed);
    let mut statuses = Vec::new();
    let mut acknowledged = Vec::new();
    for c in clients {
        let seen = c.await.unwrap();
        assert!(
            seen.unavailable_well_formed,
            "every 503 has Retry-After and a problem document"
        );
        statuses.extend(seen.statuses);
        acknowledged.extend(seen.acknowledged);
    }
    let errors: Vec<_> = statuses
        .iter()
        .filter(|s| s.is_server_error() && **s != StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        errors.is_empty(),
        "server errors: {errors:?} of {} answers",
        statuses.len()
    );
    let unexpected: Vec<_> = statuses
        .iter()
        .filter(|s| ![StatusCode::CREATED, StatusCode::SERVICE_UNAVAILABLE].contains(s))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    assert!(
        acknowledged.len() > 50,
        "the load wrote: {}",
        acknowledged.len()
    );
    // No acknowledged write is lost.
    for id in &acknowledged {
        store
            .account(&partnerops_core::scope::Scope::Vendor, id)
            .await
            .unwrap_or_else(|e| panic!("acknowledged account {id} is lost: {e}"));
    }
    eprintln!(
        "restart under load: {} answers, {} acknowledged, {} answered 503",
        statuses.len(),
        acknowledged.len(),
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
            .count()
    );

    // While the database is down: /readyz says so, a write is 503 with a problem document.
    let out = cluster.pg_ctl(&["-m", "fast", "-w", "stop"]);
    assert!(out.status.success(), "pg_ctl stop: {out:?}");
    let ready = http
        .send(Method::GET, "/readyz", &[], Default::default())
        .await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["reason"], "the database does not answer");
    let body = json!({"name": "Down", "web_domain": "down.example", "country": "DE"});
    let down = http
        .api(Method::POST, "/api/v1/accounts", Some(&token), Some(&body))
        .await;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        down.text()
    );
    assert_eq!(
        down.json()["type"],
        "https://partnerops.dev/problems/database-unavailable"
    );
    assert_eq!(down.header("retry-after").as_deref(), Some("1"));

    // Back up: ready again without a restart of the server.
    cluster.start();
    let since = Instant::now();
    loop {
        let ready = http
            .send(Method::GET, "/readyz", &[], Default::default())
            .await;
        if ready.status == StatusCode::OK {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(15),
            "not ready again: {}",
            ready.text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = http
        .api(Method::POST, "/api/v1/accounts", Some(&token), Some(&body))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());
}
