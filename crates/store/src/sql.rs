//! Helpers shared by the repositories: a builder for statements with a variable
//! number of parameters, error mapping, and typed column reads.

use std::fmt::Write as _;
use std::str::FromStr;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe, Row};
use sweep_app::ports::StoreError;
use sweep_domain::Timestamp;

/// A bind parameter.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    I64(i64),
    OptText(Option<String>),
    OptI64(Option<i64>),
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::OptText(v)
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptI64(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(v)
    }
}

/// `$1, $2, ...` as `?, ?, ...` (our statements hold no other `$`).
fn positional(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A statement assembled from fixed text and numbered parameters (`$1`, `$2`, ...),
/// which both SQLite and PostgreSQL understand. User input only ever travels as a
/// parameter, never as text.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &'static str) -> Sql {
        Sql { text: text.to_string(), args: Vec::new() }
    }

    pub fn push(&mut self, text: &'static str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.args.push(arg.into());
        let _ = write!(self.text, "${}", self.args.len());
        self
    }

    /// `(<p1>, <p2>, ...)`. An empty list becomes `(NULL)`, which matches nothing.
    pub fn bind_list<A: Into<Arg>>(&mut self, items: impl IntoIterator<Item = A>) -> &mut Sql {
        self.text.push('(');
        let mut first = true;
        for item in items {
            if !first {
                self.text.push_str(", ");
            }
            first = false;
            self.bind(item);
        }
        if first {
            self.text.push_str("NULL");
        }
        self.text.push(')');
        self
    }

    /// Adds `AND <column> > cursor ORDER BY <column> LIMIT n+1` for a page.
    pub fn page(&mut self, column: &'static str, page: &sweep_app::page::PageRequest, newest_first: bool) -> &mut Sql {
        if let Some(after) = &page.after {
            self.push(" AND ").push(column).push(if newest_first { " < " } else { " > " }).bind(after.clone());
        }
        self.push(" ORDER BY ").push(column).push(if newest_first { " DESC" } else { " ASC" });
        self.push(" LIMIT ").bind(page.limit as i64 + 1);
        self
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Text(v) => q.bind(v.clone()),
                Arg::I64(v) => q.bind(*v),
                Arg::OptText(v) => q.bind(v.clone()),
                Arg::OptI64(v) => q.bind(*v),
            };
        }
        q
    }

    /// The statement, taking the parameters along instead of copying them (for large
    /// multi-row statements).
    pub fn into_query(self) -> Query<'static, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text));
        for arg in self.args {
            q = match arg {
                Arg::Text(v) => q.bind(v),
                Arg::I64(v) => q.bind(v),
                Arg::OptText(v) => q.bind(v),
                Arg::OptI64(v) => q.bind(v),
            };
        }
        q
    }

    /// As [`Sql::into_query`], for the connection it will run on. SQLite looks numbered
    /// parameters up by name, which costs time quadratic in their number; a statement of
    /// thousands of them (a multi-row insert) gets plain positional `?` there instead,
    /// which is the same thing because each parameter appears once, in order. Large
    /// statements are not kept prepared: their text differs with every row count.
    pub fn into_query_for(self, conn: &sqlx::AnyConnection) -> Query<'static, Any, AnyArguments> {
        let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
        self.into_query_on(sqlite)
    }

    /// As [`Sql::into_query_for`], knowing whether it will run on SQLite.
    pub fn into_query_on(mut self, sqlite: bool) -> Query<'static, Any, AnyArguments> {
        let large = self.args.len() > 64;
        if sqlite {
            self.text = positional(&self.text);
        }
        self.into_query().persistent(!large)
    }

    /// Runs the statement on `conn` (see [`Sql::into_query_for`]).
    pub async fn execute_on(self, conn: &mut sqlx::AnyConnection) -> Result<sqlx::any::AnyQueryResult, sqlx::Error> {
        let q = self.into_query_for(conn);
        q.execute(conn).await
    }

    /// `VALUES (..), (..)`: one parenthesised group per row, each filled by `row`.
    pub fn values<T>(&mut self, rows: &[T], mut row: impl FnMut(&mut Sql, &T)) -> &mut Sql {
        self.text.push_str(" VALUES ");
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            let before = self.args.len();
            self.text.push('(');
            row(self, r);
            debug_assert!(self.args.len() > before, "a row binds something");
            self.text.push(')');
        }
        self
    }

    /// Binds each argument, separated by commas (the inside of one `VALUES` group).
    pub fn bind_row(&mut self, args: impl IntoIterator<Item = Arg>) -> &mut Sql {
        for (i, a) in args.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(a);
        }
        self
    }
}

/// Maps a driver error to a storage error. `uniques` names, for each unique index a
/// statement may hit, the input field that collided: `(index or columns, field)`.
pub(crate) fn map_err(e: sqlx::Error, uniques: &[(&str, &'static str)]) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            // PostgreSQL names the index; SQLite lists the columns.
            let text = format!("{} {}", d.constraint().unwrap_or_default(), d.message());
            if let Some((_, field)) = uniques.iter().find(|(needle, _)| text.contains(needle)) {
                return StoreError::Duplicate { field };
            }
            return StoreError::Other(format!("unexpected unique violation: {}", d.message()));
        }
        // SQLITE_BUSY and SQLITE_LOCKED, and PostgreSQL's lock timeouts and shutdowns.
        if let Some(code) = d.code()
            && matches!(code.as_ref(), "5" | "6" | "517" | "55P03" | "57P01" | "57P02" | "57P03" | "40001" | "40P01")
        {
            return StoreError::Busy(d.message().to_string());
        }
    }
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => StoreError::Busy(e.to_string()),
        other => StoreError::Other(other.to_string()),
    }
}

pub(crate) fn err(e: sqlx::Error) -> StoreError {
    map_err(e, &[])
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    row.try_get(column).map_err(|e| StoreError::Other(format!("column {column}: {e}")))
}

pub(crate) fn parse<T: FromStr>(row: &AnyRow, column: &str) -> Result<T, StoreError> {
    let text: String = get(row, column)?;
    text.parse().map_err(|_| StoreError::Other(format!("column {column}: cannot parse {text:?}")))
}

pub(crate) fn parse_opt<T: FromStr>(row: &AnyRow, column: &str) -> Result<Option<T>, StoreError> {
    let text: Option<String> = get(row, column)?;
    text.map(|t| t.parse().map_err(|_| StoreError::Other(format!("column {column}: cannot parse {t:?}")))).transpose()
}

pub(crate) fn ts(row: &AnyRow, column: &str) -> Result<Timestamp, StoreError> {
    Ok(Timestamp::from_unix_micros(get(row, column)?))
}

pub(crate) fn ts_opt(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<i64>>(row, column)?.map(Timestamp::from_unix_micros))
}

/// Parses an enum stored as text with its own `parse`.
pub(crate) fn enum_col<T>(row: &AnyRow, column: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text: String = get(row, column)?;
    parse(&text).ok_or_else(|| StoreError::Other(format!("column {column}: unknown value {text:?}")))
}

pub(crate) fn bad_data(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_become_positional_in_order() {
        let mut q = Sql::new("INSERT INTO t (a, b)");
        q.values(&[1i64, 2], |q, v| {
            q.bind_row([(*v).into(), "x".into()]);
        });
        assert_eq!(q.text, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(positional(&q.text), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
        assert_eq!(positional("WHERE a = $12 AND b IN ($13)"), "WHERE a = ? AND b IN (?)");
    }
}
