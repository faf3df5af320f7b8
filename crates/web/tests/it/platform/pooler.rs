//! Behind a connection pooler in transaction mode (PgBouncer as Debian 12 ships it, started
//! by `./scripts/test`) partnerops refuses to start and says which mode works, instead of
//! failing later at random: docs/scale-out.md, "Connection poolers".

use partnerops_store::Store;
use sqlx::Connection;

use crate::harness::{Db, pgbouncer_url, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooler_in_transaction_mode_is_refused_naming_the_mode_that_works() {
    let app = spawn(Db::Postgres).await;
    let through = app.url_through(&pgbouncer_url());

    // Why: two client connections, one after the other, land on one server session, so the
    // second's first named statement (sqlx calls both `sqlx_s_1`) collides with the first's.
    let mut one = sqlx::postgres::PgConnection::connect(&through)
        .await
        .expect("connect through the pooler");
    let mut two = sqlx::postgres::PgConnection::connect(&through)
        .await
        .expect("connect through the pooler");
    let a: i32 = sqlx::query_scalar("SELECT $1::int4")
        .bind(1)
        .fetch_one(&mut one)
        .await
        .expect("the first named statement");
    assert_eq!(a, 1);
    let clash = sqlx::query_scalar::<_, String>("SELECT $1::text")
        .bind("two")
        .fetch_one(&mut two)
        .await
        .expect_err("the pooler runs in transaction mode, sharing one server session");
    assert!(
        clash.to_string().contains("sqlx_s_1"),
        "the second connection's statement collides with the first's: {clash}"
    );
    one.close().await.ok();
    two.close().await.ok();

    // So the store refuses, naming the setting and the mode that works.
    let err = Store::open(&through)
        .await
        .expect_err("a pooler in transaction mode must be refused")
        .to_string();
    for needed in [
        "transaction (or statement) pooling mode",
        "pool_mode = session",
        "database.pooler",
        "docs/scale-out.md",
    ] {
        assert!(err.contains(needed), "missing {needed:?} in: {err}");
    }

    // Directly, the same database opens.
    app.store
        .applied_migration()
        .await
        .expect("direct store works");
}
