//! What migration 9's SQL cannot say the same way on both databases: the triggers that make the
//! journal append-only and refuse an unbalanced entry, and the chart of accounts of the
//! organisations that existed before the ledger; and migration 18's SQLite-only indexes.

use lintel_domain::OrgId;
use sea_query::Query;

use super::insert_chart;
use crate::db::{Backend, Tx};
use crate::error::{parse_col, Result};
use crate::identity::schema::Organisations as O;

/// An entry's lines, written before it, must be two or more and balance in every currency.
const SQLITE: &str = "
CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'unbalanced journal entry')
    WHERE (SELECT COUNT(*) FROM journal_lines WHERE entry_id = NEW.id) < 2
       OR EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.id GROUP BY currency
                  HAVING SUM(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END) <> 0);
END;
CREATE TRIGGER journal_lines_before_entry BEFORE INSERT ON journal_lines
BEGIN
    SELECT RAISE(ABORT, 'journal lines are written before their entry')
    WHERE EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id);
END;
CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
";

const POSTGRES: &str = "
CREATE FUNCTION lintel_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT COUNT(*) FROM journal_lines WHERE entry_id = NEW.id) < 2
       OR EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.id GROUP BY currency
                  HAVING SUM(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END) <> 0)
    THEN
        RAISE EXCEPTION 'unbalanced journal entry %', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE FUNCTION lintel_lines_before_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id) THEN
        RAISE EXCEPTION 'journal lines are written before their entry' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE FUNCTION lintel_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal entries are append-only' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION lintel_entry_balanced();
CREATE TRIGGER journal_lines_before_entry BEFORE INSERT ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION lintel_lines_before_entry();
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION lintel_append_only();
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION lintel_append_only();
";

/// Migration 18: an index on every column that refers to a journal entry, so that SQLite's
/// settling of the lines' deferred reference, when their entry is inserted after them, looks
/// rows up instead of scanning each referring table (see the migration's file).
const SQLITE_ENTRY_REFERENCES: &str = "
CREATE INDEX charges_entry_idx ON charges (entry_id);
CREATE INDEX charges_void_entry_idx ON charges (void_entry_id) WHERE void_entry_id IS NOT NULL;
CREATE INDEX payments_entry_idx ON payments (entry_id) WHERE entry_id IS NOT NULL;
CREATE INDEX payments_return_entry_idx ON payments (return_entry_id)
    WHERE return_entry_id IS NOT NULL;
CREATE INDEX payment_allocations_entry_idx ON payment_allocations (entry_id);
CREATE INDEX payment_refunds_entry_idx ON payment_refunds (entry_id);
";

/// Migration 18's indexes, which only SQLite needs.
pub(crate) fn entry_reference_indexes(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => Some(SQLITE_ENTRY_REFERENCES),
        Backend::Postgres => None,
    }
}

#[derive(serde::Deserialize)]
struct OrgRow {
    id: String,
}

/// The triggers, in the backend's own dialect (run by the migration after its SQL).
pub(crate) fn triggers(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// The chart of accounts of every organisation that existed before the ledger.
pub(crate) async fn backfill(tx: &mut Tx) -> Result<()> {
    // across organisations: every organisation that existed before the ledger gets its chart.
    let orgs: Vec<OrgRow> = tx
        .all(
            &Query::select()
                .column(O::Id)
                .from(O::Table)
                .order_by(O::Id, sea_query::Order::Asc)
                .to_owned(),
        )
        .await?;
    for org in orgs {
        let org: OrgId = parse_col("organisations.id", &org.id)?;
        insert_chart(tx, org).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use lintel_domain::OrgId;
    use sea_query::{Alias, Expr, Query};

    use crate::db::{ConnectOptions, Count, Db};
    use crate::migrate::run_until;
    use crate::test_db::TestDb;

    /// Lines of entry `entry` (`(side, amount, currency)`), then the entry itself: the order the
    /// store writes them in.
    fn entry_sql(org: &str, account: &str, entry: &str, lines: &[(&str, i64, &str)]) -> String {
        let mut sql = String::new();
        for (i, (side, amount, currency)) in lines.iter().enumerate() {
            sql.push_str(&format!(
                "INSERT INTO journal_lines (id, org_id, entry_id, position, account_id, side, \
                 amount_minor, currency, entry_date) VALUES ('{entry}_{i}', '{org}', '{entry}', \
                 {i}, '{account}', '{side}', {amount}, '{currency}', '2026-01-01');"
            ));
        }
        sql.push_str(&format!(
            "INSERT INTO journal_entries (id, org_id, entry_date, source, created_at) \
             VALUES ('{entry}', '{org}', '2026-01-01', 'manual', 0);"
        ));
        sql
    }

    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }

    /// An organisation from before the ledger gets its chart; the database then refuses an
    /// unbalanced entry, a line added to a posted entry, and any change to a posted one.
    async fn the_journal_is_kept_by_the_database(url: &str) {
        let db = Db::connect(url, &ConnectOptions::default()).await.unwrap();
        assert_eq!(run_until(&db, 8).await.unwrap(), 8);
        let org = OrgId::new().to_string();
        db.raw(&format!(
            "INSERT INTO organisations (id, name, plan, created_at, updated_at) \
             VALUES ('{org}', 'Old', 'pro', 0, 0)"
        ))
        .await
        .unwrap();
        assert_eq!(run_until(&db, 9).await.unwrap(), 1);
        let accounts = Query::select()
            .expr_as(Expr::col(Alias::new("id")).count(), Alias::new("n"))
            .from(Alias::new("accounts"))
            .and_where(Expr::col(Alias::new("org_id")).eq(org.clone()))
            .to_owned();
        let n: Count = db.one(&accounts).await.unwrap();
        assert_eq!(n.n, 11, "the system accounts");
        let account: Id = db
            .one(
                &Query::select()
                    .column(Alias::new("id"))
                    .from(Alias::new("accounts"))
                    .and_where(Expr::col(Alias::new("org_id")).eq(org.clone()))
                    .limit(1)
                    .to_owned(),
            )
            .await
            .unwrap();
        let a = account.id.as_str();

        let write = |sql: String| {
            let db = db.clone();
            async move {
                let mut tx = db.begin().await?;
                tx.raw(&sql).await?;
                tx.commit().await
            }
        };
        let balanced = [
            ("debit", 500, "CAD"),
            ("credit", 300, "CAD"),
            ("credit", 200, "CAD"),
        ];
        assert!(write(entry_sql(&org, a, "je_ok", &balanced)).await.is_ok());
        for (entry, lines) in [
            (
                "je_short",
                vec![("debit", 500, "CAD"), ("credit", 499, "CAD")],
            ),
            (
                "je_mixed",
                vec![("debit", 500, "CAD"), ("credit", 500, "USD")],
            ),
            ("je_one", vec![("debit", 500, "CAD")]),
        ] {
            assert!(
                write(entry_sql(&org, a, entry, &lines)).await.is_err(),
                "{entry}"
            );
        }
        let zero = [("debit", 0, "CAD"), ("credit", 0, "CAD")];
        assert!(write(entry_sql(&org, a, "je_zero", &zero)).await.is_err());
        for sql in [
            "UPDATE journal_lines SET amount_minor = 600 WHERE id = 'je_ok_0'".to_string(),
            "DELETE FROM journal_lines WHERE id = 'je_ok_1'".to_string(),
            "UPDATE journal_entries SET memo = 'x' WHERE id = 'je_ok'".to_string(),
            "DELETE FROM journal_entries WHERE id = 'je_ok'".to_string(),
            format!(
                "INSERT INTO journal_lines (id, org_id, entry_id, position, account_id, side, \
                 amount_minor, currency, entry_date) VALUES ('je_ok_9', '{org}', 'je_ok', 9, \
                 '{a}', 'debit', 1, 'CAD', '2026-01-01')"
            ),
        ] {
            assert!(write(sql.clone()).await.is_err(), "{sql}");
        }
        let lines = Query::select()
            .expr_as(Expr::col(Alias::new("id")).count(), Alias::new("n"))
            .from(Alias::new("journal_lines"))
            .to_owned();
        let n: Count = db.one(&lines).await.unwrap();
        assert_eq!(n.n, 3, "only the balanced entry's lines");
        db.close().await;
    }

    /// Every column that refers to a journal entry leads an index on SQLite: inserting an entry
    /// after its lines makes SQLite look up the rows naming it in each referring table, a full
    /// scan of that table without one (migration 18).
    #[tokio::test]
    async fn sqlite_indexes_every_reference_to_an_entry() {
        let test = TestDb::sqlite();
        let db = Db::connect(&test.url, &ConnectOptions::default())
            .await
            .unwrap();
        crate::migrate::run(&db).await.unwrap();
        db.close().await;
        let path = test.url.trim_start_matches("sqlite://");
        let conn = rusqlite::Connection::open(path).unwrap();
        let pairs = |sql: &str| -> Vec<(String, String)> {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            rows.map(Result::unwrap).collect()
        };
        let references = pairs(
            "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND f.\"table\" = 'journal_entries' \
             AND m.name <> 'journal_entries'",
        );
        assert!(references.len() >= 7, "{references:?}");
        let leading = pairs(
            "SELECT m.name, i.name FROM sqlite_master m, pragma_index_list(m.name) l, \
             pragma_index_info(l.name) i WHERE m.type = 'table' AND i.seqno = 0",
        );
        for reference in &references {
            assert!(leading.contains(reference), "no index led by {reference:?}");
        }
    }

    #[tokio::test]
    async fn on_sqlite() {
        the_journal_is_kept_by_the_database(&TestDb::sqlite().url).await;
    }

    #[tokio::test]
    async fn on_postgres() {
        let Some(db) = TestDb::postgres("lintel_ledger").await else {
            return;
        };
        the_journal_is_kept_by_the_database(&db.url).await;
    }
}
