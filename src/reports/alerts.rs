//! Gaps that become significant and reliable (PRODUCT.md section 10): when an approval makes a
//! location × standard shortfall over the trailing window both significant (the Wilson
//! interval lies below the target) and reliable (at least the organization's minimum sample),
//! a `gap.significant` event is written in the approval's transaction. Only the crossing is an
//! event: a gap that was already significant and reliable before this visit raises none.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::rules::{from_units, significant_shortfall, wilson, Grain, Subject};
use super::service::{Bind, Sql};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::events::dto::{EventType, GapEventData};
use crate::events::outbox;

/// The trailing window a gap is judged over, ending on the visit's local date.
pub const WINDOW_DAYS: u64 = 90;

/// Approved visits observing a standard in a window, and their summed compliance (units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowSums {
    pub n: i64,
    pub sum_units: i64,
}

/// A shortfall that is significant and reliable: delivered and its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shortfall {
    pub delivered: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// The shortfall of `sums` against `target`, when it is significant and reliable.
pub fn shortfall(sums: WindowSums, target: f64, min_sample: i64) -> Option<Shortfall> {
    if sums.n <= 0 || sums.n < min_sample {
        return None;
    }
    let delivered = from_units(sums.sum_units) / sums.n as f64;
    let (ci_low, ci_high) = wilson(delivered, sums.n);
    significant_shortfall(delivered, ci_high, target).then_some(Shortfall {
        delivered,
        ci_low,
        ci_high,
    })
}

/// Whether adding `visit` to `before` makes the gap cross into significant and reliable.
pub fn crosses(
    after: WindowSums,
    visit: WindowSums,
    target: f64,
    min_sample: i64,
) -> Option<Shortfall> {
    let before = WindowSums {
        n: after.n - visit.n,
        sum_units: after.sum_units - visit.sum_units,
    };
    match (
        shortfall(before, target, min_sample),
        shortfall(after, target, min_sample),
    ) {
        (None, Some(now)) => Some(now),
        _ => None,
    }
}

/// A day cell of one standard at one location.
#[derive(QueryableByName)]
struct DayCell {
    #[diesel(sql_type = diesel::sql_types::Text)]
    subject_key: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sum_units: i64,
}

/// Summed day cells of the location's standards over the window, by `rollups_location_window`.
///
/// SQLite is told the index: without statistics (it has none unless analyzed) its planner took
/// the primary key, which leads with the period, and walked every location's day cells in the
/// window, so an approval's cost grew with the whole organization's history.
pub(crate) fn window_sums(
    conn: &mut DbConn,
    org: &str,
    location_id: &str,
    codes: &[String],
    (from, to): (NaiveDate, NaiveDate),
) -> ApiResult<BTreeMap<String, WindowSums>> {
    let mut q = Sql::default();
    q.push(match conn {
        DbConn::Postgres(_) => "SELECT subject_key, n, sum_units FROM rollups",
        DbConn::Sqlite(_) => {
            "SELECT subject_key, n, sum_units FROM rollups INDEXED BY rollups_location_window"
        }
    })
    .push(" WHERE organization_id = ")
    .bind(Bind::Text(org.into()))
    .push(" AND location_id = ")
    .bind(Bind::Text(location_id.into()))
    .push(" AND subject = ")
    .bind(Bind::Text(Subject::Standard.as_str().into()))
    .push(" AND grain = ")
    .bind(Bind::Text(Grain::Day.as_str().into()))
    .push(" AND ")
    .any("subject_key", codes.iter().map(|c| Bind::Text(c.clone())))
    .push(" AND period_start BETWEEN ")
    .bind(Bind::Date(from))
    .push(" AND ")
    .bind(Bind::Date(to));
    let cells: Vec<DayCell> = q.load(conn)?;
    let mut out: BTreeMap<String, WindowSums> = BTreeMap::new();
    for cell in cells {
        let s = out.entry(cell.subject_key).or_default();
        s.n += cell.n;
        s.sum_units += cell.sum_units;
    }
    Ok(out)
}

/// What one approved visit brings: its location, local date, and per standard its compliance
/// (as one visit's sums) and target.
pub struct ApprovedVisit<'a> {
    pub organization_id: &'a str,
    pub submission_id: &'a str,
    pub location_id: &'a str,
    pub day: NaiveDate,
    pub standards: BTreeMap<String, (WindowSums, f64)>,
    pub min_sample: i64,
}

/// Writes a `gap.significant` event for every standard this approval tipped over, in the
/// caller's transaction (after the roll-ups took the visit in).
pub fn record_crossings(
    conn: &mut DbConn,
    visit: &ApprovedVisit,
    now: NaiveDateTime,
) -> ApiResult<usize> {
    if visit.standards.is_empty() {
        return Ok(0);
    }
    let from = visit
        .day
        .checked_sub_days(Days::new(WINDOW_DAYS - 1))
        .unwrap_or(NaiveDate::MIN);
    let codes: Vec<String> = visit.standards.keys().cloned().collect();
    let sums = window_sums(
        conn,
        visit.organization_id,
        visit.location_id,
        &codes,
        (from, visit.day),
    )?;
    let mut written = 0;
    for (code, (mine, target)) in &visit.standards {
        let Some(after) = sums.get(code) else {
            continue;
        };
        if let Some(gap) = crosses(*after, *mine, *target, visit.min_sample) {
            let uuid = |s: &str| s.parse::<uuid::Uuid>().map_err(ApiError::internal);
            outbox::record(
                conn,
                visit.organization_id,
                EventType::GapSignificant,
                &GapEventData {
                    location_id: uuid(visit.location_id)?,
                    standard: code.clone(),
                    window_from: from,
                    window_to: visit.day,
                    n: after.n,
                    delivered: gap.delivered,
                    ci_low: gap.ci_low,
                    ci_high: gap.ci_high,
                    target: *target,
                    gap: target - gap.delivered,
                    submission_id: uuid(visit.submission_id)?,
                },
                now,
            )?;
            written += 1;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::rules::to_units;

    fn sums(values: &[f64]) -> WindowSums {
        WindowSums {
            n: values.len() as i64,
            sum_units: values.iter().map(|v| to_units(*v)).sum(),
        }
    }

    #[test]
    fn only_the_visit_that_tips_a_gap_over_raises_it() {
        // Target 0.9, minimum sample 5: four failures are significant but not reliable; the
        // fifth makes the gap reliable too.
        let four = sums(&[0.0; 4]);
        let five = sums(&[0.0; 5]);
        let one = sums(&[0.0]);
        assert!(shortfall(four, 0.9, 5).is_none());
        let crossed = crosses(five, one, 0.9, 5).unwrap();
        assert_eq!(crossed.delivered, 0.0);
        assert!(crossed.ci_high < 0.9);
        // A sixth failure: it was already significant and reliable.
        assert!(crosses(sums(&[0.0; 6]), one, 0.9, 5).is_none());
        // Perfect visits never make a shortfall.
        assert!(crosses(sums(&[1.0; 9]), sums(&[1.0]), 0.9, 5).is_none());
        // A shortfall whose interval reaches the target is not significant.
        assert!(shortfall(sums(&[1.0, 1.0, 1.0, 1.0, 0.0]), 0.9, 5).is_none());
    }
}
