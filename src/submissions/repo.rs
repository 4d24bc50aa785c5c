use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{EditRow, SubmissionRow};
use crate::db::reuse::Reuse;
use crate::db::schema::{assignments, submission_edits, submissions};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::per_backend;

pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Option<SubmissionRow>> {
    Ok(submissions::table
        .find(id)
        .select(SubmissionRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn find_in_org(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<SubmissionRow> {
    submissions::table
        .filter(submissions::id.eq(id))
        .select(SubmissionRow::as_select())
        .get_result::<SubmissionRow>(conn)
        .optional()?
        .filter(|row| row.organization_id == org_id)
        .ok_or_else(|| ApiError::NotFound("no such submission".into()))
}

/// What a shopper's write finds, in one statement ([`find_for_write`]).
#[derive(Debug, Default)]
pub struct Found {
    /// The submission `id`, if it exists.
    pub mine: Option<SubmissionRow>,
    /// Another submission made on the assignment, if any.
    pub on_assignment: Option<SubmissionRow>,
    /// The shopper's latest other submitted shop on the same checklist version, when asked for.
    pub previous: Option<SubmissionRow>,
}

/// The submission `id`, the one (if another) made on `assignment_id`, and with `previous_of`
/// (the shopper, the assignment's checklist version) the shopper's latest other submitted shop
/// on that version (for the identical-answers flag): one statement, so one round trip on
/// PostgreSQL.
///
/// The previous shop is the submission of the shopper's assignment on that version submitted
/// last, found through the assignments' (shopper, checklist version, submitted) index, newest
/// first: one probe however many shops the shopper has made (an assignment's `submitted_at` is
/// its submission's: the same submit writes both). It counts if it is the shopper's and
/// submitted, checked here rather than in SQL.
///
/// Each part is one index probe (of a unique index for the submissions; of the assignments'
/// index above for the previous shop), joined with UNION ALL: no plan can do better, and none
/// can do much worse. That matters on PostgreSQL, where a prepared statement keeps the
/// plan it got while the table was nearly empty until autovacuum's next ANALYZE. Written as one
/// scan under `OR`s, with the submission's shopper and state in the subquery, that plan was a
/// sequential scan of the submissions or a walk through all of the shopper's, up to 400 pages a
/// submission a few thousand shops after a start on an empty table (measured with auto_explain).
pub fn find_for_write(
    conn: &mut DbConn,
    id: &str,
    assignment_id: &str,
    previous_of: Option<(&str, &str)>,
) -> ApiResult<Found> {
    let mine = submissions::table.filter(submissions::id.eq(id));
    let on_assignment = submissions::table
        .filter(submissions::assignment_id.eq(assignment_id))
        .filter(submissions::id.ne(id));
    // On the backend's own connection, as every submission reads it (see `per_backend!`; the
    // selection is typed by backend, so it is written in each).
    let rows: Vec<SubmissionRow> = match previous_of {
        None => per_backend!(conn, |c| mine
            .select(SubmissionRow::as_select())
            .union_all(on_assignment.select(SubmissionRow::as_select()))
            .load(c))?,
        Some((shopper_id, checklist_version_id)) => {
            let previous_assignment = assignments::table
                .filter(assignments::shopper_id.eq(shopper_id))
                .filter(assignments::checklist_version_id.eq(checklist_version_id))
                .filter(assignments::submitted_at.is_not_null())
                .filter(assignments::id.ne(assignment_id))
                .order(assignments::submitted_at.desc())
                .select(assignments::id)
                .single_value();
            let previous = submissions::table.filter(
                submissions::assignment_id
                    .nullable()
                    .eq(previous_assignment),
            );
            per_backend!(conn, |c| mine
                .select(SubmissionRow::as_select())
                .union_all(on_assignment.select(SubmissionRow::as_select()))
                .union_all(previous.select(SubmissionRow::as_select()))
                .load(c))?
        }
    };
    let mut found = Found::default();
    for row in rows {
        if row.id == id {
            found.mine = Some(row);
        } else if row.assignment_id == assignment_id {
            found.on_assignment = Some(row);
        } else if previous_of.is_some_and(|(shopper, _)| row.shopper_id == shopper)
            && row.submitted_at.is_some()
        {
            found.previous = Some(row);
        }
    }
    Ok(found)
}

/// Inserts the row, or rewrites every column of the existing one (the caller holds the
/// submission's lock).
pub fn save(conn: &mut DbConn, row: &SubmissionRow, exists: bool) -> ApiResult<()> {
    if exists {
        let update = diesel::update(submissions::table.find(&row.id)).set(row);
        per_backend!(conn, |c| Reuse::new(&update).execute(c))?;
        return Ok(());
    }
    let insert = diesel::insert_into(submissions::table).values(row);
    per_backend!(conn, |c| Reuse::new(&insert).execute(c)).map_err(|e| {
        match ApiError::from(e) {
            ApiError::Conflict { .. } => {
                ApiError::conflict("the assignment already has another submission")
            }
            other => other,
        }
    })?;
    Ok(())
}

/// A page of the organization's submissions. The review queue (`submitted`) comes oldest
/// submission first; other lists in id order.
pub fn list(
    conn: &mut DbConn,
    org_id: &str,
    status: Option<&str>,
    flag: Option<&str>,
    only_shopper: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<SubmissionRow>> {
    let queue = status == Some("submitted");
    let mut query = submissions::table
        .filter(submissions::organization_id.eq(org_id))
        .select(SubmissionRow::as_select())
        .limit(limit + 1)
        .into_boxed();
    query = if queue {
        query.order((submissions::submitted_at.asc(), submissions::id.asc()))
    } else {
        query.order(submissions::id.asc())
    };
    if let Some(status) = status {
        query = query.filter(submissions::status.eq(status.to_string()));
    }
    if let Some(shopper) = only_shopper {
        query = query.filter(submissions::shopper_id.eq(shopper.to_string()));
    }
    if let Some(kind) = flag {
        // Flags are stored as compact JSON with `kind` first; a quote inside any string value
        // is escaped, so this text only ever matches a flag's own kind. (`_` is escaped too.)
        let pattern = format!("%\"kind\":\"{}\"%", kind.replace('_', "\\_"));
        query = query.filter(submissions::flags.like(pattern).escape('\\'));
    }
    if let Some(after) = after {
        let after = after.to_string();
        if queue {
            // Keyset on (submitted_at, id), from the row the previous page ended at.
            let at = submissions::table
                .find(&after)
                .select(submissions::submitted_at)
                .get_result::<Option<chrono::NaiveDateTime>>(conn)
                .optional()?
                .flatten();
            if let Some(at) = at {
                query = query.filter(
                    submissions::submitted_at
                        .gt(at)
                        .or(submissions::submitted_at
                            .eq(at)
                            .and(submissions::id.gt(after))),
                );
            }
        } else {
            query = query.filter(submissions::id.gt(after));
        }
    }
    Ok(query.load(conn)?)
}

pub fn insert_edit(conn: &mut DbConn, row: &EditRow) -> ApiResult<()> {
    diesel::insert_into(submission_edits::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Marks the edits still in force on `item_keys` as superseded by the shopper's resubmission.
pub fn supersede_edits(
    conn: &mut DbConn,
    submission_id: &str,
    item_keys: &[String],
    now: NaiveDateTime,
) -> ApiResult<()> {
    diesel::update(
        submission_edits::table
            .filter(submission_edits::submission_id.eq(submission_id))
            .filter(submission_edits::item_key.eq_any(item_keys))
            .filter(submission_edits::superseded_at.is_null()),
    )
    .set(submission_edits::superseded_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Submissions with an edit superseded by a resubmission (what maintenance rescores).
pub fn with_superseded_edits(conn: &mut DbConn) -> ApiResult<Vec<SubmissionRow>> {
    let ids = submission_edits::table
        .filter(submission_edits::superseded_at.is_not_null())
        .select(submission_edits::submission_id)
        .distinct();
    Ok(submissions::table
        .filter(submissions::id.eq_any(ids))
        .order(submissions::id)
        .select(SubmissionRow::as_select())
        .load(conn)?)
}

/// A submission's edits, oldest first.
pub fn edits_of(conn: &mut DbConn, submission_id: &str) -> ApiResult<Vec<EditRow>> {
    Ok(submission_edits::table
        .filter(submission_edits::submission_id.eq(submission_id))
        .order((
            submission_edits::edited_at.asc(),
            submission_edits::id.asc(),
        ))
        .select(EditRow::as_select())
        .load(conn)?)
}
