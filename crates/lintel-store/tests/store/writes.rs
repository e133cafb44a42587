//! How write transactions reach the database: deferred writes (sent with the next statement or
//! the commit on PostgreSQL, at once on SQLite) behave exactly like immediate ones.

use lintel_store::StoreError;
use sea_query::{Alias, Expr, Query};

use crate::support::db_test;

fn insert(a: i64) -> sea_query::InsertStatement {
    Query::insert()
        .into_table(Alias::new("deferred_t"))
        .columns([Alias::new("a")])
        .values_panic([a.into()])
        .to_owned()
}

#[derive(serde::Deserialize)]
struct A {
    a: i64,
}

async fn rows(db: &lintel_store::Db) -> Vec<i64> {
    let q = Query::select()
        .column(Alias::new("a"))
        .from(Alias::new("deferred_t"))
        .order_by(Alias::new("a"), sea_query::Order::Asc)
        .to_owned();
    let got: Vec<A> = db.all(&q).await.unwrap();
    got.into_iter().map(|r| r.a).collect()
}

db_test!(
    deferred_writes_commit_read_and_roll_back_like_immediate_ones,
    |db| {
        db.raw("CREATE TABLE deferred_t (a BIGINT PRIMARY KEY CHECK (a > 0))")
            .await
            .unwrap();

        // Only deferred writes: committed together.
        let mut tx = db.begin().await.unwrap();
        for a in [1, 2, 3] {
            tx.defer(insert(a)).await.unwrap();
        }
        tx.commit().await.unwrap();
        assert_eq!(rows(db).await, [1, 2, 3]);

        // A read inside the transaction sees its deferred writes.
        let mut tx = db.begin().await.unwrap();
        tx.defer(insert(4)).await.unwrap();
        let q = Query::select()
            .expr_as(Expr::col(Alias::new("a")).max(), Alias::new("a"))
            .from(Alias::new("deferred_t"))
            .to_owned();
        let max: A = tx.one(&q).await.unwrap();
        assert_eq!(max.a, 4, "the read saw the deferred write");
        tx.defer(insert(5)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(rows(db).await, [1, 2, 3, 4, 5]);

        // Dropped without commit: nothing of it stays.
        let mut tx = db.begin().await.unwrap();
        tx.defer(insert(6)).await.unwrap();
        tx.exec(&insert(7)).await.unwrap();
        tx.defer(insert(8)).await.unwrap();
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        tx.defer(insert(9)).await.unwrap();
        drop(tx);
        assert_eq!(rows(db).await, [1, 2, 3, 4, 5]);

        // A deferred write that breaks a constraint fails the transaction, from `defer` (SQLite)
        // or from the commit (PostgreSQL); the writes with it are not kept.
        let failed = async {
            let mut tx = db.begin().await?;
            tx.defer(insert(10)).await?;
            tx.defer(insert(1)).await?;
            tx.commit().await
        }
        .await;
        assert!(
            matches!(failed, Err(StoreError::Conflict(_))),
            "a duplicate key is a conflict: {failed:?}"
        );
        let failed = async {
            let mut tx = db.begin().await?;
            tx.exec(&insert(11)).await?;
            tx.defer(insert(-1)).await?;
            tx.commit().await
        }
        .await;
        assert!(failed.is_err(), "a failed check fails the commit");
        assert_eq!(rows(db).await, [1, 2, 3, 4, 5]);
    }
);

db_test!(a_write_beside_deferred_ones_counts_its_own_rows, |db| {
    db.raw("CREATE TABLE deferred_t (a BIGINT PRIMARY KEY CHECK (a > 0))")
        .await
        .unwrap();
    db.raw("CREATE TABLE beside_t (k BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        .await
        .unwrap();
    db.raw("INSERT INTO beside_t (k, n) VALUES (1, 0), (2, 0)")
        .await
        .unwrap();
    let bump = |k: i64| {
        Query::update()
            .table(Alias::new("beside_t"))
            .value(Alias::new("n"), Expr::col(Alias::new("n")).add(1))
            .and_where(Expr::col(Alias::new("k")).gte(k))
            .to_owned()
    };

    // Sent with the deferred writes, the update answers its own row count, and both
    // commit (and the transaction may also commit without waiting for its flush).
    let mut tx = db.begin().await.unwrap();
    tx.flushed_by_next_commit().await.unwrap();
    tx.defer(insert(1)).await.unwrap();
    tx.defer(insert(2)).await.unwrap();
    tx.defer(insert(3)).await.unwrap();
    assert_eq!(tx.exec_beside_deferred(bump(1)).await.unwrap(), 2);
    assert_eq!(tx.exec_beside_deferred(bump(2)).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(rows(db).await, [1, 2, 3]);

    #[derive(serde::Deserialize)]
    struct N {
        n: i64,
    }
    let q = Query::select()
        .column(Alias::new("n"))
        .from(Alias::new("beside_t"))
        .order_by(Alias::new("k"), sea_query::Order::Asc)
        .to_owned();
    let n: Vec<N> = db.all(&q).await.unwrap();
    assert_eq!(n.iter().map(|r| r.n).collect::<Vec<_>>(), [1, 2]);

    // A deferred write that fails takes the update with it.
    let failed = async {
        let mut tx = db.begin().await?;
        tx.defer(insert(4)).await?;
        tx.defer(insert(1)).await?;
        tx.exec_beside_deferred(bump(1)).await?;
        tx.commit().await
    }
    .await;
    assert!(
        matches!(failed, Err(StoreError::Conflict(_))),
        "a duplicate key is a conflict: {failed:?}"
    );
    let n: Vec<N> = db.all(&q).await.unwrap();
    assert_eq!(n.iter().map(|r| r.n).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(rows(db).await, [1, 2, 3]);
});
