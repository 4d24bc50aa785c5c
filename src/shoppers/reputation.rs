//! A shopper's reputation (PRODUCT.md section 11), from the work already recorded: on-time
//! rate, return rate, rejection rate, mean reviewer grade and shops done. The counts live in a
//! roll-up (`shopper_reputation`) moved by every status change of an assignment and every grade,
//! in the same transaction, so reading a reputation (or ranking every shopper for an offer)
//! never scans the history. `rebuild` recounts them from the history; the migration that added
//! the table had the server run it once.
//!
//! Definitions:
//! - on time: a first submission received by the end of the assignment's window; an
//!   assignment that expired while the shopper held it counts as not on time. Rate = on time /
//!   (first submissions + expired while held).
//! - return rate: returns / review decisions (returns, approvals, rejections).
//! - rejection rate: rejections / (approvals + rejections); a rejection after approval moves the
//!   shop from one to the other.
//! - mean grade: of the graded submissions (a later grade of the same submission replaces the
//!   earlier one).
//! - shops done: approved shops.

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::assignments::model::AssignmentRow;
use crate::assignments::rules::{Action, Status};
use crate::db::schema::{assignment_events, assignments, shopper_reputation as rep, submissions};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::per_backend;

/// The counts a reputation is read from.
#[derive(Debug, Clone, Default, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = rep)]
pub struct Counts {
    pub shopper_id: String,
    pub organization_id: String,
    pub submitted: i64,
    pub on_time: i64,
    pub expired: i64,
    pub returned: i64,
    pub approved: i64,
    pub rejected: i64,
    pub grade_sum: i64,
    pub graded: i64,
    pub updated_at: NaiveDateTime,
}

/// A shopper's reputation as managers read it. Rates are `null` until there is something to
/// divide by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reputation {
    pub shopper_id: uuid::Uuid,
    /// Approved shops.
    pub shops_done: i64,
    /// First submissions, and assignments that expired while held.
    pub submitted: i64,
    pub expired: i64,
    /// Review decisions: returns, approvals and rejections.
    pub reviews: i64,
    pub on_time_rate: Option<f64>,
    pub return_rate: Option<f64>,
    pub rejection_rate: Option<f64>,
    /// Mean reviewer grade, 1 to 5.
    pub mean_grade: Option<f64>,
    pub graded: i64,
    /// One figure to sort by, 0 to 1: the mean of on-time rate, 1 − return rate,
    /// 1 − rejection rate and (grade − 1) / 4, over those known; `null` with no history.
    pub score: Option<f64>,
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The rates from the counts (pure).
pub fn reputation(shopper_id: uuid::Uuid, c: &Counts) -> Reputation {
    let reviews = c.returned + c.approved + c.rejected;
    let on_time_rate = ratio(c.on_time, c.submitted + c.expired);
    let return_rate = ratio(c.returned, reviews);
    let rejection_rate = ratio(c.rejected, c.approved + c.rejected);
    let mean_grade = ratio(c.grade_sum, c.graded);
    let parts: Vec<f64> = [
        on_time_rate,
        return_rate.map(|r| 1.0 - r),
        rejection_rate.map(|r| 1.0 - r),
        mean_grade.map(|g| (g - 1.0) / 4.0),
    ]
    .into_iter()
    .flatten()
    .collect();
    Reputation {
        shopper_id,
        shops_done: c.approved,
        submitted: c.submitted,
        expired: c.expired,
        reviews,
        on_time_rate,
        return_rate,
        rejection_rate,
        mean_grade,
        graded: c.graded,
        score: (!parts.is_empty()).then(|| parts.iter().sum::<f64>() / parts.len() as f64),
    }
}

/// How one step moves the counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delta {
    pub submitted: i64,
    pub on_time: i64,
    pub expired: i64,
    pub returned: i64,
    pub approved: i64,
    pub rejected: i64,
}

/// What `action` on an assignment that was `from` does to its shopper's counts (pure).
pub fn delta(from: Status, action: Action, on_time: bool) -> Delta {
    let mut d = Delta::default();
    match action {
        Action::Submit if from == Status::Accepted => {
            d.submitted = 1;
            d.on_time = i64::from(on_time);
        }
        Action::Expire => d.expired = 1,
        Action::Return => d.returned = 1,
        Action::Approve => d.approved = 1,
        Action::Reject => {
            d.rejected = 1;
            if from == Status::Approved {
                d.approved = -1;
            }
        }
        _ => {}
    }
    d
}

fn ensure_row(conn: &mut DbConn, shopper: &str, org: &str, now: NaiveDateTime) -> ApiResult<()> {
    let row = Counts {
        shopper_id: shopper.to_string(),
        organization_id: org.to_string(),
        updated_at: now,
        ..Default::default()
    };
    let insert = diesel::insert_into(rep::table)
        .values(&row)
        .on_conflict(rep::shopper_id)
        .do_nothing();
    per_backend!(conn, |c| insert.execute(c))?;
    Ok(())
}

/// What `action` on the assignment `row` (as it was before) adds to its shopper's counts, as
/// the row [`add_counts`] writes; `None` for a change with no shopper, or one that counts for
/// nothing (it writes nothing).
pub fn step_counts(
    row: &AssignmentRow,
    action: Action,
    now: NaiveDateTime,
) -> ApiResult<Option<Counts>> {
    let Some(shopper) = row.shopper_id.as_deref() else {
        return Ok(None);
    };
    let from: Status = row.status.parse().map_err(ApiError::internal)?;
    let d = delta(from, action, now <= row.window_end);
    if d == Delta::default() {
        return Ok(None);
    }
    Ok(Some(Counts {
        shopper_id: shopper.to_string(),
        organization_id: row.organization_id.clone(),
        submitted: d.submitted,
        on_time: d.on_time,
        expired: d.expired,
        returned: d.returned,
        approved: d.approved,
        rejected: d.rejected,
        updated_at: now,
        ..Default::default()
    }))
}

/// Adds `counts` to the shopper's row, in one statement: the shopper's first counted step makes
/// the row with them.
pub fn add_counts(
    counts: &Counts,
) -> impl QueryFragment<Pg> + QueryFragment<Sqlite> + QueryId + '_ {
    use diesel::upsert::excluded;
    diesel::insert_into(rep::table)
        .values(counts)
        .on_conflict(rep::shopper_id)
        .do_update()
        .set((
            rep::submitted.eq(rep::submitted + excluded(rep::submitted)),
            rep::on_time.eq(rep::on_time + excluded(rep::on_time)),
            rep::expired.eq(rep::expired + excluded(rep::expired)),
            rep::returned.eq(rep::returned + excluded(rep::returned)),
            rep::approved.eq(rep::approved + excluded(rep::approved)),
            rep::rejected.eq(rep::rejected + excluded(rep::rejected)),
            rep::updated_at.eq(excluded(rep::updated_at)),
        ))
}

/// A submission's grade changed from `old` to `new`.
pub fn record_grade(
    conn: &mut DbConn,
    shopper: &str,
    org: &str,
    old: Option<i32>,
    new: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    if old == new {
        return Ok(());
    }
    let sum = i64::from(new.unwrap_or(0)) - i64::from(old.unwrap_or(0));
    let graded = i64::from(new.is_some()) - i64::from(old.is_some());
    ensure_row(conn, shopper, org, now)?;
    diesel::update(rep::table.find(shopper))
        .set((
            rep::grade_sum.eq(rep::grade_sum + sum),
            rep::graded.eq(rep::graded + graded),
            rep::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The counts of these shoppers of the organization (shoppers with no history have none).
pub fn counts_of(conn: &mut DbConn, org: &str, shopper_ids: &[String]) -> ApiResult<Vec<Counts>> {
    Ok(rep::table
        .filter(rep::organization_id.eq(org))
        .filter(rep::shopper_id.eq_any(shopper_ids))
        .select(Counts::as_select())
        .load(conn)?)
}

pub fn of_shopper(conn: &mut DbConn, org: &str, shopper_id: &str) -> ApiResult<Reputation> {
    let counts = counts_of(conn, org, &[shopper_id.to_string()])?
        .pop()
        .unwrap_or_default();
    Ok(reputation(
        shopper_id.parse().map_err(ApiError::internal)?,
        &counts,
    ))
}

fn counts_for<'a>(
    by: &'a mut std::collections::BTreeMap<String, Counts>,
    shopper: &str,
    org: &str,
    now: NaiveDateTime,
) -> &'a mut Counts {
    by.entry(shopper.to_string()).or_insert_with(|| Counts {
        shopper_id: shopper.to_string(),
        organization_id: org.to_string(),
        updated_at: now,
        ..Default::default()
    })
}

/// One recorded step: organization, action, from, shopper, when, and the window's end.
type Step = (
    String,
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
    NaiveDateTime,
);

/// Recounts every shopper's counts from the assignments' history and the grades, replacing
/// the roll-up; returns the number of shoppers counted.
pub fn rebuild(conn: &mut DbConn, now: NaiveDateTime) -> ApiResult<usize> {
    use std::collections::BTreeMap;
    let steps: Vec<Step> = assignment_events::table
        .inner_join(assignments::table.on(assignments::id.eq(assignment_events::assignment_id)))
        .filter(
            assignment_events::action.eq_any(["submit", "expire", "return", "approve", "reject"]),
        )
        .select((
            assignment_events::organization_id,
            assignment_events::action,
            assignment_events::from_status,
            assignment_events::shopper_id,
            assignment_events::at,
            assignments::window_end,
        ))
        .load(conn)?;
    let mut by: BTreeMap<String, Counts> = BTreeMap::new();
    for (org, action, from, shopper, at, window_end) in steps {
        let (Some(shopper), Some(from)) = (shopper, from) else {
            continue;
        };
        let action = match action.as_str() {
            "submit" => Action::Submit,
            "expire" => Action::Expire,
            "return" => Action::Return,
            "approve" => Action::Approve,
            _ => Action::Reject,
        };
        let from: Status = from.parse().map_err(ApiError::internal)?;
        let d = delta(from, action, at <= window_end);
        let c = counts_for(&mut by, &shopper, &org, now);
        c.submitted += d.submitted;
        c.on_time += d.on_time;
        c.expired += d.expired;
        c.returned += d.returned;
        c.approved += d.approved;
        c.rejected += d.rejected;
    }
    let grades: Vec<(String, String, i32)> = submissions::table
        .filter(submissions::grade.is_not_null())
        .select((
            submissions::organization_id,
            submissions::shopper_id,
            submissions::grade.assume_not_null(),
        ))
        .load(conn)?;
    for (org, shopper, grade) in grades {
        let c = counts_for(&mut by, &shopper, &org, now);
        c.grade_sum += i64::from(grade);
        c.graded += 1;
    }
    diesel::delete(rep::table).execute(conn)?;
    let rows: Vec<Counts> = by.into_values().collect();
    for chunk in rows.chunks(200) {
        let insert = diesel::insert_into(rep::table).values(chunk);
        per_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_move_the_right_counts() {
        let first = delta(Status::Accepted, Action::Submit, true);
        assert_eq!((first.submitted, first.on_time), (1, 1));
        let late = delta(Status::Accepted, Action::Submit, false);
        assert_eq!((late.submitted, late.on_time), (1, 0));
        // A resubmission after a return is not a new submission.
        assert_eq!(
            delta(Status::Returned, Action::Submit, true),
            Delta::default()
        );
        let late_reject = delta(Status::Approved, Action::Reject, true);
        assert_eq!((late_reject.approved, late_reject.rejected), (-1, 1));
        assert_eq!(delta(Status::Open, Action::Offer, true), Delta::default());
    }

    #[test]
    fn rates_are_worked_from_the_counts() {
        let counts = Counts {
            submitted: 9,
            on_time: 8,
            expired: 1,
            returned: 2,
            approved: 7,
            rejected: 1,
            grade_sum: 16,
            graded: 4,
            ..Default::default()
        };
        let id = uuid::Uuid::nil();
        let r = reputation(id, &counts);
        assert_eq!(r.on_time_rate, Some(0.8));
        assert_eq!(r.return_rate, Some(0.2));
        assert_eq!(r.rejection_rate, Some(0.125));
        assert_eq!(r.mean_grade, Some(4.0));
        assert_eq!((r.shops_done, r.reviews), (7, 10));
        let expected = (0.8 + 0.8 + 0.875 + 0.75) / 4.0;
        assert!((r.score.unwrap() - expected).abs() < 1e-12);
        let nobody = reputation(id, &Counts::default());
        assert_eq!((nobody.score, nobody.on_time_rate), (None, None));
    }
}
