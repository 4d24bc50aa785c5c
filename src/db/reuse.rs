//! Statements kept prepared, where diesel would prepare them afresh on every run: writes, and
//! reads written as fixed SQL text.
//!
//! Diesel keeps a prepared statement for a query only when it knows the query's SQL cannot vary
//! between runs with the same text; it never assumes so of an `UPDATE` (a changeset skips `None`
//! fields), an upsert or an insert of a struct, and marks them so as their syntax tree is walked.
//! Those are parsed and planned again each time: on SQLite on the single writer thread, where
//! with the bound-`LIMIT` reads (see `.cargo/config.toml`) it was a fifth of a submission's
//! time, measured with perf. A statement without a static type id is cached by its SQL text, so
//! one whose text is fixed — the same columns every time — is as safe to keep as any select.
//! [`Reuse`] presents such a statement to the cache as its rendered text and binds, which is what
//! diesel's own `MultiConnection` does with every query it hands to a backend.
//!
//! Only for statements of a bounded number of shapes: each distinct text is a cached statement
//! for the life of the connection. It runs on a backend's own connection (`per_backend!`).

use diesel::internal::derives::multiconnection::AstPassHelper;
use diesel::pg::{Pg, PgQueryBuilder};
use diesel::query_builder::{AstPass, QueryBuilder, QueryFragment, QueryId};
use diesel::sqlite::{Sqlite, SqliteQueryBuilder};
use diesel::QueryResult;
use std::cell::OnceCell;

/// A statement of fixed shape, to be kept prepared (see the module).
///
/// Its text is rendered once per run and kept. A run walks the statement three times (for the
/// cache's key, for whether it may be cached, for its binds), and rendering the text each time,
/// every column name of an insert included, showed in perf on the SQLite writer.
#[derive(Debug, Clone)]
pub struct Reuse<Q> {
    query: Q,
    sql: OnceCell<String>,
}

impl<Q> Reuse<Q> {
    pub fn new(query: Q) -> Self {
        Self {
            query,
            sql: OnceCell::new(),
        }
    }
}

macro_rules! reuse_on {
    ($backend:ident, $builder:expr) => {
        impl<Q: QueryFragment<$backend>> QueryFragment<$backend> for Reuse<Q> {
            fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, $backend>) -> QueryResult<()> {
                if let Some((binds, lookup)) = pass.bind_collector() {
                    return self.query.collect_binds(binds, lookup, &$backend);
                }
                if let Some((formatter, backend)) = pass.debug_binds() {
                    return self
                        .query
                        .walk_ast(AstPass::collect_debug_binds_pass(formatter, backend));
                }
                // The text, as the statement renders it; walking the statement itself here
                // would mark it unsafe to keep.
                let sql = match self.sql.get() {
                    Some(sql) => sql,
                    None => {
                        let mut sql = $builder;
                        self.query.to_sql(&mut sql, &$backend)?;
                        self.sql.get_or_init(|| sql.finish())
                    }
                };
                pass.push_sql(sql);
                Ok(())
            }
        }
    };
}

reuse_on!(Sqlite, SqliteQueryBuilder::new());
reuse_on!(Pg, PgQueryBuilder::default());

/// No static id: the cache keys the statement by its SQL text (an id shared by every `Reuse`
/// would mix statements up).
impl<Q> QueryId for Reuse<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, Conn> diesel::RunQueryDsl<Conn> for Reuse<Q> {}

/// A read (a fixed `sql_query`, which diesel never keeps prepared) loads as its statement does.
impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Reuse<Q> {
    type SqlType = Q::SqlType;
}
