//! Several writes to different tables sent to PostgreSQL as one statement: the first ones as
//! data-modifying `WITH` parts of the last, so a round trip carries all of them.
//!
//! PostgreSQL runs every part exactly once and to completion, on one snapshot: a part cannot see
//! the rows another part writes. So this is only for writes that are independent of each other,
//! such as a history row, outbox events and a counter beside them. Each part stays one of
//! diesel's own typed statements; only the glue is text. Run it through
//! [`Reuse`](super::reuse::Reuse) to keep it prepared (it has as many shapes as its parts have).

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::QueryResult;

/// `WITH w0 AS (first[0]), w1 AS (first[1]), … last`.
pub struct WithWrites<'a> {
    pub first: Vec<&'a dyn QueryFragment<Pg>>,
    pub last: &'a dyn QueryFragment<Pg>,
}

impl QueryFragment<Pg> for WithWrites<'_> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        for (n, part) in self.first.iter().enumerate() {
            pass.push_sql(if n == 0 { "WITH " } else { ", " });
            pass.push_sql(&format!("w{n} AS ("));
            part.walk_ast(pass.reborrow())?;
            pass.push_sql(")");
        }
        if !self.first.is_empty() {
            pass.push_sql(" ");
        }
        self.last.walk_ast(pass.reborrow())
    }
}

/// No static id: kept prepared by its text, through `Reuse`.
impl QueryId for WithWrites<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::{assignment_events, outbox_cursors};
    use diesel::prelude::*;

    #[test]
    fn the_first_writes_become_with_parts_of_the_last_and_binds_number_on() {
        let first = diesel::insert_into(outbox_cursors::table).values((
            outbox_cursors::name.eq("a"),
            outbox_cursors::tx_order.eq(1_i64),
            outbox_cursors::seq.eq(2_i64),
        ));
        let second = diesel::delete(assignment_events::table.filter(assignment_events::id.eq("x")));
        let last = diesel::update(outbox_cursors::table.filter(outbox_cursors::name.eq("b")))
            .set(outbox_cursors::seq.eq(3_i64));
        let sql = diesel::debug_query::<Pg, _>(&WithWrites {
            first: vec![&first, &second],
            last: &last,
        })
        .to_string();
        assert!(
            sql.starts_with(
                "WITH w0 AS (INSERT INTO \"outbox_cursors\" (\"name\", \"tx_order\", \"seq\") \
                 VALUES ($1, $2, $3)), w1 AS (DELETE FROM \"assignment_events\" WHERE \
                 (\"assignment_events\".\"id\" = $4)) UPDATE \"outbox_cursors\" SET \"seq\" = $5 \
                 WHERE (\"outbox_cursors\".\"name\" = $6)"
            ),
            "{sql}"
        );
        let alone = diesel::debug_query::<Pg, _>(&WithWrites {
            first: vec![],
            last: &last,
        })
        .to_string();
        assert!(
            alone.starts_with("UPDATE \"outbox_cursors\" SET"),
            "{alone}"
        );
    }
}
