//! Many rows in one statement: the rows go as one JSON array bound to `$1`, and the database
//! unpacks them (`json_to_recordset` on PostgreSQL, `json_each` on SQLite). Diesel writes no
//! multi-row upsert for SQLite, and one bind per value (hundreds for an approval's roll-up
//! cells) made a statement dearer to parse than to run. Used for the writes that move many
//! cells at once: the gap roll-ups and the shoppers' leniency.

use diesel::RunQueryDsl;
use serde::Serialize;

use super::reuse::Reuse;
use super::DbConn;
use crate::error::{ApiError, ApiResult};

/// One such statement, its text for each backend built once (keep it in a `LazyLock`).
pub struct Insert {
    postgres: String,
    sqlite: String,
}

impl Insert {
    /// See [`insert`] for the arguments.
    pub fn new(table: &str, columns: &[(&str, &str)], tail: &str) -> Self {
        Self {
            postgres: insert(true, table, columns, tail),
            sqlite: insert(false, table, columns, tail),
        }
    }

    /// Writes `rows` (serialized as one JSON array) in the caller's transaction; the statement's
    /// text is fixed, so it is kept prepared.
    pub fn execute(&self, conn: &mut DbConn, rows: &impl Serialize) -> ApiResult<()> {
        let rows = serde_json::to_string(rows).map_err(ApiError::internal)?;
        let text = match conn {
            DbConn::Postgres(_) => &self.postgres,
            DbConn::Sqlite(_) => &self.sqlite,
        };
        let query = diesel::sql_query(text.as_str()).bind::<diesel::sql_types::Text, _>(rows);
        crate::per_backend!(conn, |c| Reuse::new(&query).execute(c))?;
        Ok(())
    }
}

/// `INSERT INTO table (columns) SELECT … FROM the JSON rows in $1` followed by `tail` (an
/// `ON CONFLICT` clause). `columns` are `(name, PostgreSQL type)`; the rows' JSON objects are
/// keyed by the same names (a `serde::Serialize` struct of the table's fields).
fn insert(postgres: bool, table: &str, columns: &[(&str, &str)], tail: &str) -> String {
    let list = |f: &dyn Fn(&str, &str) -> String| {
        columns
            .iter()
            .map(|(name, ty)| f(name, ty))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let names = list(&|name, _| name.to_string());
    let rows = if postgres {
        format!(
            "SELECT {names} FROM json_to_recordset($1::json) AS r({})",
            list(&|name, ty| format!("{name} {ty}"))
        )
    } else {
        // `WHERE true` tells SQLite's parser that `ON CONFLICT` belongs to the insert, not a
        // join.
        format!(
            "SELECT {} FROM json_each($1) WHERE true",
            list(&|name, _| format!("value ->> '{name}'"))
        )
    };
    format!("INSERT INTO {table} ({names}) {rows} {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_backend_unpacks_the_same_columns() {
        let columns = [("id", "text"), ("n", "bigint")];
        let tail = "ON CONFLICT (id) DO UPDATE SET n = t.n + excluded.n";
        assert_eq!(
            insert(true, "t", &columns, tail),
            "INSERT INTO t (id, n) SELECT id, n FROM json_to_recordset($1::json) AS r(id text, \
             n bigint) ON CONFLICT (id) DO UPDATE SET n = t.n + excluded.n"
        );
        assert_eq!(
            insert(false, "t", &columns, tail),
            "INSERT INTO t (id, n) SELECT value ->> 'id', value ->> 'n' FROM json_each($1) \
             WHERE true ON CONFLICT (id) DO UPDATE SET n = t.n + excluded.n"
        );
    }
}
