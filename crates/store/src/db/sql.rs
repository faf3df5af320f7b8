//! Statements as portable SQL text plus bound values ([`Sql`], [`Arg`]) and row types both
//! backends decode ([`row!`], [`Record`]). Nothing here knows which backend runs a
//! statement: how each backend binds a value is in [`super::dialect`].

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

/// A value bound to a placeholder.
#[derive(Clone, Debug)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Date(Option<NaiveDate>),
    Time(Option<DateTime<Utc>>),
}

macro_rules! arg_from {
    ($($t:ty => $variant:ident $(via $conv:expr)?),* $(,)?) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg { Arg::$variant(Some(v $(.pipe($conv))?)) }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg { Arg::$variant(v $(.map($conv))?) }
        }
    )*};
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}

arg_from!(
    String => Text,
    &str => Text via str::to_owned,
    &String => Text via String::clone,
    i64 => Int,
    i32 => Int via i64::from,
    NaiveDate => Date,
    DateTime<Utc> => Time,
);

/// A statement under construction: SQL text plus the values for its placeholders.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    /// With numbered placeholders `$1, $2, …`, which both backends read.
    text: String,
    /// The same with anonymous placeholders `?` (see [`Sql::anonymous_text`]).
    anonymous: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            anonymous: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text. Only ever pass fixed text here; values go through [`Sql::bind`].
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self.anonymous.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self.anonymous.push('?');
        self
    }

    /// Appends `(…)` with a placeholder for each of `items` (an `IN` list; give at least one).
    pub fn bind_in<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) -> &mut Self {
        self.push("(");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(item);
        }
        self.push(")")
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text with an anonymous `?` for each placeholder, in the order of [`Sql::args`]
    /// (placeholders are only ever appended, so text order is bind order). For SQLite: sqlx
    /// asks SQLite for each numbered parameter's name, which SQLite finds by a linear
    /// search, so binding n numbered parameters costs O(n²) -- two thirds of an import's
    /// time at 5,000 parameters a statement. Anonymous ones have no name to look up.
    pub fn anonymous_text(&self) -> &str {
        &self.anonymous
    }

    /// The values bound so far, in placeholder order.
    pub fn args(&self) -> &[Arg] {
        &self.args
    }
}

/// Declares a row struct and how either backend decodes it, by column name. A declarative
/// macro rather than sqlx's derive: the derive would compile a second copy of the sqlx
/// drivers (SQLite's C code included) for the proc macro. Use only portable field types:
/// `String`, `i64`, `NaiveDate`, `DateTime<Utc>` and their options.
macro_rules! row {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        $vis struct $name { $($(#[$fmeta])* $fvis $field: $ty),* }

        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $name
        where
            &'static str: sqlx::ColumnIndex<R>,
            $($ty: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,)*
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok($name { $($field: row.try_get(stringify!($field))?),* })
            }
        }
    };
}
pub(crate) use row;

/// A row type both backends can decode (declare it with [`row!`]).
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_text_has_a_question_mark_per_value_in_bind_order() {
        let mut q = Sql::new("SELECT * FROM t WHERE a = ");
        q.bind("x")
            .push(" AND b IN (")
            .bind(1i64)
            .push(", ")
            .bind(2i64)
            .push(")");
        assert_eq!(q.text(), "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(
            q.anonymous_text(),
            "SELECT * FROM t WHERE a = ? AND b IN (?, ?)"
        );
        assert_eq!(q.args().len(), 3);
    }
}
