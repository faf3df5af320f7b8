//! What the database's schema is, as the database itself reports it: tables, columns,
//! indexes and foreign keys, as plain data. The schema tests compare the two migration
//! flavours through it and check that every foreign key has an index; operators can use it
//! to see what a database holds.
//!
//! This is the one module besides the query path's own plumbing that branches on the
//! backend: introspection has no portable SQL (SQLite answers through `sqlite_master` and
//! its pragmas, PostgreSQL through `pg_catalog`), and it is not a query path, so keeping
//! both arms side by side here is the honest form. Nothing that reads or writes
//! application data belongs here.

use crate::db::{Exec, Sql, row};
use crate::{Backend, Result, Store};

/// A database's schema: its tables, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: Vec<Table>,
}

impl Schema {
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// One table with its columns (in declaration order), indexes and foreign keys (by name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// A column as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The declared type as the backend spells it: SQLite keeps the text of the
    /// `CREATE TABLE` (`TEXT`, `INTEGER`), PostgreSQL its canonical name (`text`, `bigint`,
    /// `timestamp with time zone`).
    pub declared_type: String,
    /// Whether the database accepts NULL here. SQLite accepts it in a non-integer primary
    /// key column unless the column says `NOT NULL`; PostgreSQL never does.
    pub nullable: bool,
    /// The default expression's text, as the backend keeps it (PostgreSQL adds casts).
    pub default: Option<String>,
    /// Whether the column is part of the table's primary key.
    pub primary_key: bool,
}

/// An index, including those that back a primary key or a `UNIQUE` constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    /// The name the backend gave it. Constraint-backed indexes are named by each backend's
    /// own rule (`sqlite_autoindex_<table>_<n>`, `<table>_pkey`); see [`Index::origin`].
    pub name: String,
    pub table: String,
    /// The key, in order.
    pub columns: Vec<IndexKey>,
    pub unique: bool,
    /// Whether it has a `WHERE` clause (it leaves rows out).
    pub partial: bool,
    pub origin: IndexOrigin,
}

/// One part of an index key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IndexKey {
    Column(String),
    /// An expression such as `lower(name)`; SQLite does not report its text outside the
    /// `CREATE INDEX` statement, so neither backend's is kept.
    Expression,
}

/// Why an index exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IndexOrigin {
    /// `CREATE INDEX`.
    Created,
    /// The table's primary key.
    PrimaryKey,
    /// A `UNIQUE` column or table constraint.
    UniqueConstraint,
}

/// A foreign key: `columns` of `table` reference `referenced_columns` of `references`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    pub table: String,
    pub columns: Vec<String>,
    pub references: String,
    /// Pair by pair with `columns`; an empty name where a SQLite key names no columns
    /// (it then means the parent's primary key).
    pub referenced_columns: Vec<String>,
}

row! {
    struct ColumnRow {
        table_name: String,
        column_name: String,
        declared_type: String,
        not_null: i64,
        default_value: Option<String>,
        primary_key: i64,
    }
}

row! {
    /// One key part of one index; an index spans as many rows as its key has parts.
    struct IndexRow {
        table_name: String,
        index_name: String,
        is_unique: i64,
        is_partial: i64,
        origin: String,
        column_name: Option<String>,
    }
}

row! {
    /// One column pair of one foreign key.
    struct ForeignKeyRow {
        table_name: String,
        fk: String,
        column_name: String,
        references_table: String,
        referenced_column: Option<String>,
    }
}

/// Full-text indexes are each backend's own and are left out of what is described: on
/// SQLite, FTS5 virtual tables and their shadow tables (`pragma_table_list` types other than
/// `table`); on PostgreSQL, indexes of access methods other than B-tree (GIN). See
/// `db::dialect::full_text_match`.
///
/// Tables other than the backend's own, every column of each, in declaration order.
const SQLITE_COLUMNS: &str = "SELECT m.name AS table_name, p.name AS column_name, p.type AS declared_type, p.\"notnull\" AS not_null, p.dflt_value AS default_value, CASE WHEN p.pk > 0 THEN 1 ELSE 0 END AS primary_key FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name IN (SELECT tl.name FROM pragma_table_list tl WHERE tl.schema = 'main' AND tl.type = 'table') ORDER BY m.name, p.cid";

/// `origin` is `c` (CREATE INDEX), `pk` or `u`; `pragma_index_info` lists the key parts
/// only, and names none for an expression.
const SQLITE_INDEXES: &str = "SELECT m.name AS table_name, il.name AS index_name, il.\"unique\" AS is_unique, il.partial AS is_partial, il.origin AS origin, ii.name AS column_name FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name IN (SELECT tl.name FROM pragma_table_list tl WHERE tl.schema = 'main' AND tl.type = 'table') ORDER BY m.name, il.name, ii.seqno";

/// `id` numbers the foreign keys of a table, `seq` the column pairs of one key. `to` is
/// NULL when the key names no columns (it then means the parent's primary key).
const SQLITE_FOREIGN_KEYS: &str = "SELECT m.name AS table_name, CAST(f.id AS TEXT) AS fk, f.\"from\" AS column_name, f.\"table\" AS references_table, f.\"to\" AS referenced_column FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name IN (SELECT tl.name FROM pragma_table_list tl WHERE tl.schema = 'main' AND tl.type = 'table') ORDER BY m.name, f.id, f.seq";

/// Ordinary tables of the connection's current schema.
const PG_COLUMNS: &str = "SELECT CAST(c.relname AS TEXT) AS table_name, CAST(a.attname AS TEXT) AS column_name, format_type(a.atttypid, a.atttypmod) AS declared_type, CAST(CASE WHEN a.attnotnull THEN 1 ELSE 0 END AS BIGINT) AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_value, CAST(CASE WHEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) THEN 1 ELSE 0 END AS BIGINT) AS primary_key FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum";

/// `indkey` is zero-based and holds 0 for an expression; only the first `indnkeyatts`
/// entries are the key (the rest are `INCLUDE` columns).
const PG_INDEXES: &str = "SELECT CAST(t.relname AS TEXT) AS table_name, CAST(ic.relname AS TEXT) AS index_name, CAST(CASE WHEN i.indisunique THEN 1 ELSE 0 END AS BIGINT) AS is_unique, CAST(CASE WHEN i.indpred IS NULL THEN 0 ELSE 1 END AS BIGINT) AS is_partial, CASE WHEN i.indisprimary THEN 'pk' WHEN EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u') THEN 'u' ELSE 'c' END AS origin, CAST(a.attname AS TEXT) AS column_name FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = t.relnamespace CROSS JOIN LATERAL generate_series(1, i.indnkeyatts) AS s(k) LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[s.k - 1] AND i.indkey[s.k - 1] <> 0 WHERE n.nspname = current_schema() AND t.relkind = 'r' AND ic.relam = (SELECT am.oid FROM pg_am am WHERE am.amname = 'btree') ORDER BY t.relname, ic.relname, s.k";

/// `conkey` and `confkey` are one-based arrays of the same length, pair by pair.
const PG_FOREIGN_KEYS: &str = "SELECT CAST(t.relname AS TEXT) AS table_name, CAST(k.conname AS TEXT) AS fk, CAST(a.attname AS TEXT) AS column_name, CAST(r.relname AS TEXT) AS references_table, CAST(ra.attname AS TEXT) AS referenced_column FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace n ON n.oid = t.relnamespace CROSS JOIN LATERAL generate_series(1, array_length(k.conkey, 1)) AS s(p) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.conkey[s.p] JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attnum = k.confkey[s.p] WHERE k.contype = 'f' AND n.nspname = current_schema() ORDER BY t.relname, k.conname, s.p";

/// Reads the schema of the store's database.
pub async fn describe(store: &Store) -> Result<Schema> {
    let (columns, indexes, foreign_keys) = match store.backend() {
        Backend::Sqlite => (SQLITE_COLUMNS, SQLITE_INDEXES, SQLITE_FOREIGN_KEYS),
        Backend::Postgres => (PG_COLUMNS, PG_INDEXES, PG_FOREIGN_KEYS),
    };
    let mut read = store.db.read();
    let columns: Vec<ColumnRow> = read.all(&Sql::new(columns)).await?;
    let indexes: Vec<IndexRow> = read.all(&Sql::new(indexes)).await?;
    let foreign_keys: Vec<ForeignKeyRow> = read.all(&Sql::new(foreign_keys)).await?;

    let mut schema = Schema::default();
    for c in columns {
        let column = Column {
            name: c.column_name,
            declared_type: c.declared_type,
            nullable: c.not_null == 0,
            default: c.default_value,
            primary_key: c.primary_key != 0,
        };
        table_mut(&mut schema, &c.table_name).columns.push(column);
    }
    // Rows arrive grouped by table and index, key parts in order.
    for r in indexes {
        let key = match r.column_name {
            Some(name) => IndexKey::Column(name),
            None => IndexKey::Expression,
        };
        let table = table_mut(&mut schema, &r.table_name);
        match table.indexes.last_mut() {
            Some(last) if last.name == r.index_name => last.columns.push(key),
            _ => table.indexes.push(Index {
                name: r.index_name,
                table: r.table_name,
                columns: vec![key],
                unique: r.is_unique != 0,
                partial: r.is_partial != 0,
                origin: match r.origin.as_str() {
                    "pk" => IndexOrigin::PrimaryKey,
                    "u" => IndexOrigin::UniqueConstraint,
                    _ => IndexOrigin::Created,
                },
            }),
        }
    }
    // Grouped by table and key; `fk` tells one key of a table from the next.
    let mut current: Option<(String, String)> = None;
    for r in foreign_keys {
        let id = (r.table_name.clone(), r.fk);
        let same = current.as_ref() == Some(&id);
        current = Some(id);
        let table = table_mut(&mut schema, &r.table_name);
        let referenced = r.referenced_column.unwrap_or_default();
        match table.foreign_keys.last_mut() {
            Some(last) if same => {
                last.columns.push(r.column_name);
                last.referenced_columns.push(referenced);
            }
            _ => table.foreign_keys.push(ForeignKey {
                table: r.table_name,
                columns: vec![r.column_name],
                references: r.references_table,
                referenced_columns: vec![referenced],
            }),
        }
    }
    schema.tables.sort_by(|a, b| a.name.cmp(&b.name));
    for t in &mut schema.tables {
        t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        t.foreign_keys.sort();
    }
    Ok(schema)
}

/// The table called `name`, added when first seen.
fn table_mut<'a>(schema: &'a mut Schema, name: &str) -> &'a mut Table {
    let at = match schema.tables.iter().position(|t| t.name == name) {
        Some(at) => at,
        None => {
            schema.tables.push(Table {
                name: name.to_owned(),
                ..Table::default()
            });
            schema.tables.len() - 1
        }
    };
    &mut schema.tables[at]
}
