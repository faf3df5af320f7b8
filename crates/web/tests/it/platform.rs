//! Health, metrics, migrations and the schema on both backends.

use hyper::StatusCode;

use crate::harness::{Db, TestApp};
use crate::on_both;

on_both!(health_and_metrics, migrations_are_idempotent);

async fn health_and_metrics(app: TestApp) {
    let health = app
        .http
        .send(hyper::Method::GET, "/healthz", &[], Default::default())
        .await;
    assert_eq!(health.status, StatusCode::OK);
    let expected = if app.db == Db::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    assert_eq!(health.json()["database"], expected);
    let metrics = app
        .http
        .send(hyper::Method::GET, "/metrics", &[], Default::default())
        .await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.text().contains("http_requests_total"),
        "metrics: {}",
        metrics.text()
    );
    assert!(
        metrics.text().contains("route=\"/healthz\""),
        "requests are labelled by route template"
    );
}

async fn migrations_are_idempotent(app: TestApp) {
    let again = app.store.migrate().await.expect("migrate again");
    assert!(again.is_empty(), "a second run applies nothing");
}

/// The two migration flavours must describe the same tables and columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_match() {
    fn columns<R: sqlx::Row>(rows: Vec<R>) -> Vec<(String, String)>
    where
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        &'static str: sqlx::ColumnIndex<R>,
    {
        let mut out: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.get("table_name"), r.get("column_name")))
            .collect();
        out.sort();
        out
    }
    let sqlite = crate::harness::spawn(Db::Sqlite).await;
    let pg = crate::harness::spawn(Db::Postgres).await;
    let lite_sql = "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2";
    let pg_sql = "SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2";
    let partnerops_store::Db::Sqlite(lite, _) = sqlite.store.db() else {
        panic!("sqlite")
    };
    let partnerops_store::Db::Postgres(pool) = pg.store.db() else {
        panic!("postgres")
    };
    let a = columns(
        sqlx::query(lite_sql)
            .fetch_all(lite)
            .await
            .expect("sqlite columns"),
    );
    let b = columns(
        sqlx::query(pg_sql)
            .fetch_all(pool)
            .await
            .expect("pg columns"),
    );
    assert!(a.len() > 50, "schema has its tables");
    assert_eq!(a, b, "SQLite and PostgreSQL schemas differ");
}
