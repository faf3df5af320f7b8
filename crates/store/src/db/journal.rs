//! Bookkeeping rows a change writes but does not read back (its rule decisions, audit
//! events, outbox events and engagement events), held in the transaction and written when
//! it commits: one statement for all of them on PostgreSQL, one multi-row statement per
//! table on SQLite, instead of one round trip per row. A registration writes up to seven
//! such rows; each was a round trip to the database inside the writer's turn.
//!
//! Nothing is lost or reordered by waiting: the rows are written in the transaction they
//! belong to, before its `COMMIT`, in the order they were recorded; a transaction that
//! rolls back drops them with everything else. A statement of the same transaction that
//! names a held table (a read of its own audit trail, say) first writes what is held, so
//! the transaction always sees its own rows.

use super::sql::Arg;

/// The rows held for one table, in the order they were recorded.
pub(super) struct Held {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Arg>>,
}

/// Rows held per table, tables in the order their first row was recorded.
#[derive(Default)]
pub(super) struct Journal {
    tables: Vec<Held>,
}

impl Journal {
    /// Holds `row` (one value per column of `columns`) for `table`.
    pub fn hold(&mut self, table: &'static str, columns: &'static [&'static str], row: Vec<Arg>) {
        debug_assert_eq!(row.len(), columns.len(), "a held row of {table}");
        match self.tables.iter_mut().find(|h| h.table == table) {
            Some(held) => {
                debug_assert_eq!(held.columns, columns, "one column list per held table");
                held.rows.push(row);
            }
            None => self.tables.push(Held {
                table,
                columns,
                rows: vec![row],
            }),
        }
    }

    /// Whether statement `sql` names a table with held rows, which must then be written
    /// first. A plain text search: a false alarm only writes the rows a little earlier.
    pub fn is_named_in(&self, sql: &str) -> bool {
        self.tables.iter().any(|h| sql.contains(h.table))
    }

    /// Everything held, to write now; the journal is empty afterwards.
    pub fn take(&mut self) -> Vec<Held> {
        std::mem::take(&mut self.tables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[&str] = &["id", "n"];

    fn row(id: &str, n: i64) -> Vec<Arg> {
        vec![Arg::from(id), Arg::from(n)]
    }

    #[test]
    fn rows_are_grouped_per_table_in_the_order_they_were_held() {
        let mut j = Journal::default();
        j.hold("audit_events", COLUMNS, row("a1", 1));
        j.hold("outbox_events", COLUMNS, row("o1", 2));
        j.hold("audit_events", COLUMNS, row("a2", 3));
        let held = j.take();
        let tables: Vec<_> = held.iter().map(|h| (h.table, h.rows.len())).collect();
        assert_eq!(tables, [("audit_events", 2), ("outbox_events", 1)]);
        assert!(matches!(&held[0].rows[1][0], Arg::Text(Some(id)) if id == "a2"));
        assert!(j.take().is_empty(), "taking empties the journal");
    }

    #[test]
    fn a_statement_naming_a_held_table_is_noticed() {
        let mut j = Journal::default();
        assert!(!j.is_named_in("SELECT * FROM audit_events"));
        j.hold("audit_events", COLUMNS, row("a1", 1));
        assert!(j.is_named_in("SELECT count(*) FROM audit_events WHERE entity_id = $1"));
        assert!(!j.is_named_in("SELECT * FROM registrations WHERE id = $1"));
    }
}
