//! Work a migration leaves to the application because SQL cannot do it (roll-ups of a new
//! shape, scores under a new rule). A migration records a task in `pending_maintenance`; the
//! server does it right after migrating, in one transaction with the removal of the task, so it
//! happens exactly once (a second process starting at the same time redoes it harmlessly).

use diesel::prelude::*;

use crate::db::schema::pending_maintenance as pending;
use crate::db::{write_transaction, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::reports::rollups;
use crate::submissions::{repo as submissions, service as submission_flow};

/// Every task a migration may leave, in the order they must run: visits are rescored before
/// roll-ups are rebuilt from their scores.
const TASKS: [&str; 4] = [
    "rescore_superseded_edits",
    "rebuild_rollups",
    "rebuild_reputation",
    "rebuild_calibration",
];

pub fn run_pending(conn: &mut DbConn) -> ApiResult<()> {
    write_transaction(conn, |conn| {
        let pending_tasks: Vec<String> = pending::table.select(pending::task).load(conn)?;
        if let Some(unknown) = pending_tasks.iter().find(|t| !TASKS.contains(&t.as_str())) {
            return Err(ApiError::internal(format!(
                "unknown maintenance task {unknown}: is this binary older than the database?"
            )));
        }
        for task in TASKS
            .into_iter()
            .filter(|t| pending_tasks.iter().any(|p| p == t))
        {
            match task {
                "rescore_superseded_edits" => {
                    let mut changed = 0;
                    for row in submissions::with_superseded_edits(conn)? {
                        changed += usize::from(submission_flow::rescore(conn, &row)?);
                    }
                    tracing::info!(changed, "visits rescored without superseded edits");
                }
                "rebuild_rollups" => {
                    let visits = rollups::rebuild(conn, None)?;
                    tracing::info!(visits, "roll-ups rebuilt after a migration");
                }
                "rebuild_reputation" => {
                    let shoppers =
                        crate::shoppers::reputation::rebuild(conn, chrono::Utc::now().naive_utc())?;
                    tracing::info!(shoppers, "shopper reputation counted from the history");
                }
                "rebuild_calibration" => {
                    let visits = crate::calibration::service::rebuild(conn, None)?;
                    tracing::info!(visits, "shopper calibration counted from the history");
                }
                _ => unreachable!("every task of TASKS has its arm"),
            }
            diesel::delete(pending::table.find(task)).execute(conn)?;
        }
        Ok(())
    })
}
