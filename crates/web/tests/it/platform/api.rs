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
    let ready = app
        .http
        .send(hyper::Method::GET, "/readyz", &[], Default::default())
        .await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text());
    assert_eq!(
        ready.json()["schema_version"],
        partnerops_store::migrate::latest_known()
    );
    // A database behind this build is not ready: 503, with when to ask again.
    app.raw_sql(&format!(
        "DELETE FROM schema_migrations WHERE version = {}",
        partnerops_store::migrate::latest_known()
    ))
    .await;
    let behind = app
        .http
        .send(hyper::Method::GET, "/readyz", &[], Default::default())
        .await;
    assert_eq!(behind.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(behind.header("retry-after").as_deref(), Some("5"));
    assert!(
        behind.text().contains("partnerops migrate"),
        "{}",
        behind.text()
    );
    // Metrics are not public: the application answers 404, the metrics listener serves them.
    let public = app
        .http
        .send(hyper::Method::GET, "/metrics", &[], Default::default())
        .await;
    assert_eq!(public.status, StatusCode::NOT_FOUND);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(partnerops_web::serve(
        listener,
        partnerops_web::metrics_app(),
        std::future::pending(),
    ));
    let metrics = crate::http::Http::new(&metrics_url)
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

// The schema on both backends, read through `partnerops_store::schema`: the two migration
// flavours must build the same schema, and every foreign key must have its index.

use partnerops_store::schema::{self, Column, Index, IndexKey, IndexOrigin, Schema};

/// Declared types that mean the same column on both backends: (SQLite, PostgreSQL).
/// SQLite keeps timestamps and dates as text (one fixed-width UTC form, so they compare as
/// strings) and every integer as a 64-bit INTEGER; `schema_migrations` says BIGINT on both.
/// A pair not listed here fails the parity test: add it only when the store reads and
/// writes that pair the same way on both backends.
const EQUIVALENT_TYPES: &[(&str, &str)] = &[
    ("TEXT", "text"),
    ("TEXT", "timestamp with time zone"),
    ("TEXT", "date"),
    ("INTEGER", "bigint"),
    ("BIGINT", "bigint"),
];

/// A default's text without what only one backend adds: PostgreSQL's casts
/// (`'x'::text`, `(0)::bigint`), quotes, wrapping parentheses, letter case.
fn normalized_default(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("::") {
        out.push_str(&rest[..at]);
        rest = rest[at + 2..]
            .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ' ');
    }
    out.push_str(rest);
    let mut out = out.replace(['\'', '"'], "").trim().to_lowercase();
    while out.starts_with('(') && out.ends_with(')') {
        out = out[1..out.len() - 1].trim().to_owned();
    }
    out
}

/// What must match across backends about a column. A primary-key column counts as NOT NULL:
/// PostgreSQL makes it so, SQLite accepts NULL in a TEXT primary key unless told otherwise,
/// and the store never writes one.
fn column_shape(c: &Column) -> (bool, bool, Option<String>) {
    (
        c.nullable && !c.primary_key,
        c.primary_key,
        c.default.as_deref().map(normalized_default),
    )
}

/// What must match across backends about an index. An index behind a constraint is named
/// by each backend's rule (`sqlite_autoindex_t_1`), so it is compared under PostgreSQL's
/// (`t_pkey`, `t_col_key`).
fn index_shape(ix: &Index) -> (String, Vec<IndexKey>, bool, bool) {
    let name = match ix.origin {
        IndexOrigin::Created => ix.name.clone(),
        IndexOrigin::PrimaryKey => format!("{}_pkey", ix.table),
        IndexOrigin::UniqueConstraint => {
            let columns: Vec<String> = ix
                .columns
                .iter()
                .map(|k| match k {
                    IndexKey::Column(c) => c.clone(),
                    IndexKey::Expression => "expr".to_owned(),
                })
                .collect();
            format!("{}_{}_key", ix.table, columns.join("_"))
        }
    };
    (name, ix.columns.clone(), ix.unique, ix.partial)
}

/// Every difference between the SQLite and the PostgreSQL schema, one line each.
fn schema_differences(lite: &Schema, pg: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names = |s: &Schema| s.tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    if names(lite) != names(pg) {
        out.push(format!(
            "tables differ: sqlite {:?}, postgres {:?}",
            names(lite),
            names(pg)
        ));
    }
    for lt in &lite.tables {
        let Some(pt) = pg.table(&lt.name) else {
            continue;
        };
        let t = &lt.name;
        let columns = |cs: &[Column]| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        if columns(&lt.columns) != columns(&pt.columns) {
            out.push(format!(
                "{t}: columns differ: sqlite {:?}, postgres {:?}",
                columns(&lt.columns),
                columns(&pt.columns)
            ));
        }
        for lc in &lt.columns {
            let Some(pc) = pt.columns.iter().find(|c| c.name == lc.name) else {
                continue;
            };
            let c = &lc.name;
            let pair = (lc.declared_type.as_str(), pc.declared_type.as_str());
            if !EQUIVALENT_TYPES.contains(&pair) {
                out.push(format!(
                    "{t}.{c}: types {pair:?} are not in EQUIVALENT_TYPES"
                ));
            }
            if column_shape(lc) != column_shape(pc) {
                out.push(format!(
                    "{t}.{c}: (nullable, primary key, default) differ: sqlite {:?}, postgres {:?}",
                    column_shape(lc),
                    column_shape(pc)
                ));
            }
        }
        let mut li: Vec<_> = lt.indexes.iter().map(index_shape).collect();
        let mut pi: Vec<_> = pt.indexes.iter().map(index_shape).collect();
        li.sort();
        pi.sort();
        if li != pi {
            out.push(format!(
                "{t}: indexes (name, key, unique, partial) differ:\n  sqlite   {li:?}\n  postgres {pi:?}"
            ));
        }
        if lt.foreign_keys != pt.foreign_keys {
            out.push(format!(
                "{t}: foreign keys differ:\n  sqlite   {:?}\n  postgres {:?}",
                lt.foreign_keys, pt.foreign_keys
            ));
        }
    }
    out
}

/// The two migration flavours must build the same schema: tables, columns with equivalent
/// types, nullability and defaults, indexes (by name, key, uniqueness, partiality) and
/// foreign keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_match() {
    let sqlite = crate::harness::spawn(Db::Sqlite).await;
    let pg = crate::harness::spawn(Db::Postgres).await;
    let lite = schema::describe(&sqlite.store)
        .await
        .expect("sqlite schema");
    let pg = schema::describe(&pg.store).await.expect("postgres schema");
    let columns: usize = lite.tables.iter().map(|t| t.columns.len()).sum();
    assert!(columns > 50, "schema has its tables");
    let differences = schema_differences(&lite, &pg);
    assert!(
        differences.is_empty(),
        "SQLite and PostgreSQL schemas differ:\n{}",
        differences.join("\n")
    );
}

#[test]
fn defaults_are_compared_without_casts_quotes_or_case() {
    assert_eq!(normalized_default("'pending'::text"), "pending");
    assert_eq!(normalized_default("'pending'"), "pending");
    assert_eq!(normalized_default("(0)::bigint"), "0");
    assert_eq!(normalized_default("0"), "0");
    assert_eq!(
        normalized_default("'2024-01-01'::timestamp with time zone"),
        "2024-01-01"
    );
    assert_eq!(normalized_default("FALSE"), "false");
}

on_both!(every_foreign_key_has_an_index);

/// Every foreign key has an index whose key starts with the key's columns (lemmy's habit),
/// so checking a reference and listing a parent's rows never scan the table. A partial
/// index does not count: it leaves rows out.
async fn every_foreign_key_has_an_index(app: TestApp) {
    let schema = schema::describe(&app.store).await.expect("schema");
    let mut keys = 0;
    let mut missing = Vec::new();
    for table in &schema.tables {
        for fk in &table.foreign_keys {
            keys += 1;
            let covered = table.indexes.iter().any(|ix| {
                !ix.partial
                    && ix.columns.len() >= fk.columns.len()
                    && ix
                        .columns
                        .iter()
                        .zip(&fk.columns)
                        .all(|(k, c)| *k == IndexKey::Column(c.clone()))
            });
            if !covered {
                missing.push(format!(
                    "{} ({}) -> {}",
                    table.name,
                    fk.columns.join(", "),
                    fk.references
                ));
            }
        }
    }
    assert!(keys > 30, "schema has its foreign keys ({keys})");
    assert!(
        missing.is_empty(),
        "foreign keys without an index led by their columns:\n{}",
        missing.join("\n")
    );
}
