//! The roll-up table: approved visits added (or taken away) in the same transaction that
//! approves, edits or rejects them, and rebuilt from the submissions on demand.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;

use super::rules::{contributions, Contribution};
use crate::assignments::repo as assignments;
use crate::checklists::repo as checklists;
use crate::db::schema::{rollups, submissions};
use crate::db::{json_rows, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::locations::repo as locations;
use crate::per_backend;
use crate::scoring::rules::VisitScore;
use crate::submissions::model::SubmissionRow;

#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Queryable,
    Selectable,
    Insertable,
    serde::Serialize,
)]
#[diesel(table_name = rollups)]
pub struct RollupRow {
    pub organization_id: String,
    pub subject: String,
    pub grain: String,
    pub period_start: NaiveDate,
    pub subject_key: String,
    pub location_id: String,
    pub region: String,
    pub segment: String,
    pub channel: String,
    pub checklist_id: String,
    pub n: i64,
    pub sum_units: i64,
    pub critical_failures: i64,
}

/// Where a visit's cells sit besides subject and period.
#[derive(Clone)]
struct CellKeys {
    organization_id: String,
    location_id: String,
    region: String,
    segment: String,
    channel: String,
    checklist_id: String,
}

/// The keys of a visit's cells, and its start as a date at the location (its time zone).
fn keys_of(conn: &mut DbConn, row: &SubmissionRow) -> ApiResult<(CellKeys, NaiveDate)> {
    let org = &row.organization_id;
    let assignment = assignments::find(conn, org, &row.assignment_id)?;
    let version = checklists::find_version_by_id(conn, org, &assignment.checklist_version_id)?
        .ok_or_else(|| ApiError::internal("assignment without its checklist version"))?;
    let location = locations::find(conn, org, &assignment.location_id)?;
    let started = row
        .visit_start
        .or(row.submitted_at)
        .unwrap_or(row.received_at);
    let day = local_day(started, &location.time_zone);
    // The region and segment recorded when the visit was approved; a row approved before they
    // were recorded (the migration fills those in) falls back to today's.
    let keys = CellKeys {
        organization_id: org.clone(),
        region: row.region.clone().unwrap_or(location.region),
        segment: row.segment.clone().unwrap_or(assignment.segment),
        location_id: location.id,
        channel: version.channel,
        checklist_id: version.checklist_id,
    };
    Ok((keys, day))
}

/// The date of a UTC time at a location; UTC when the zone is unknown (locations are validated
/// on the way in, so that is only old data).
pub fn local_day(at: NaiveDateTime, time_zone: &str) -> NaiveDate {
    match time_zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => Utc.from_utc_datetime(&at).with_timezone(&tz).date_naive(),
        Err(_) => at.date(),
    }
}

fn cells_of(
    conn: &mut DbConn,
    row: &SubmissionRow,
    sign: i64,
) -> ApiResult<Vec<(CellKeys, Contribution)>> {
    let Some(scores) = row.scores.as_deref() else {
        return Ok(Vec::new());
    };
    let score: VisitScore = serde_json::from_str(scores).map_err(ApiError::internal)?;
    let (keys, day) = keys_of(conn, row)?;
    Ok(contributions(&score, day, sign)
        .into_iter()
        .map(|c| (keys.clone(), c))
        .collect())
}

fn to_row(keys: &CellKeys, c: &Contribution) -> RollupRow {
    RollupRow {
        organization_id: keys.organization_id.clone(),
        subject: c.subject.as_str().into(),
        grain: c.grain.as_str().into(),
        period_start: c.period_start,
        subject_key: c.subject_key.clone(),
        location_id: keys.location_id.clone(),
        region: keys.region.clone(),
        segment: keys.segment.clone(),
        channel: keys.channel.clone(),
        checklist_id: keys.checklist_id.clone(),
        n: c.n,
        sum_units: c.sum_units,
        critical_failures: c.critical_failures,
    }
}

/// The roll-up upsert: a visit's cells as JSON rows (`db::json_rows`), and how an inserted cell
/// meets an existing one: the counts add up.
static UPSERT: std::sync::LazyLock<json_rows::Insert> = std::sync::LazyLock::new(|| {
    const COLUMNS: [(&str, &str); 13] = [
        ("organization_id", "text"),
        ("subject", "text"),
        ("grain", "text"),
        ("period_start", "date"),
        ("subject_key", "text"),
        ("location_id", "text"),
        ("region", "text"),
        ("segment", "text"),
        ("channel", "text"),
        ("checklist_id", "text"),
        ("n", "bigint"),
        ("sum_units", "bigint"),
        ("critical_failures", "bigint"),
    ];
    const TAIL: &str = "ON CONFLICT (organization_id, subject, grain, period_start, \
         subject_key, location_id, region, segment, channel, checklist_id) DO UPDATE SET \
         n = rollups.n + excluded.n, sum_units = rollups.sum_units + excluded.sum_units, \
         critical_failures = rollups.critical_failures + excluded.critical_failures";
    json_rows::Insert::new("rollups", &COLUMNS, TAIL)
});

/// Adds an approved visit to the roll-ups (`sign` 1) or takes it away (`sign` -1), inside the
/// caller's transaction. Cells that fall to zero visits are deleted, so the table always equals
/// a rebuild. One statement writes all of a visit's cells (some 40 of them): one upsert per
/// cell cost more to parse than to run.
pub fn apply(conn: &mut DbConn, row: &SubmissionRow, sign: i64) -> ApiResult<()> {
    let cells = cells_of(conn, row, sign)?;
    let Some((keys, _)) = cells.first() else {
        return Ok(());
    };
    let keys = keys.clone();
    let mut rows: Vec<RollupRow> = cells.iter().map(|(k, c)| to_row(k, c)).collect();
    rows.sort();
    rows.dedup_by(|later, kept| {
        let same = later.subject == kept.subject
            && later.grain == kept.grain
            && later.period_start == kept.period_start
            && later.subject_key == kept.subject_key;
        if same {
            kept.n += later.n;
            kept.sum_units += later.sum_units;
            kept.critical_failures += later.critical_failures;
        }
        same
    });
    // One statement, the cells as one JSON array (`db::json_rows`).
    UPSERT.execute(conn, &rows)?;
    if sign < 0 {
        let periods: Vec<NaiveDate> = rows.iter().map(|r| r.period_start).collect();
        diesel::delete(
            rollups::table
                .filter(rollups::organization_id.eq(&keys.organization_id))
                .filter(rollups::location_id.eq(&keys.location_id))
                .filter(rollups::region.eq(&keys.region))
                .filter(rollups::segment.eq(&keys.segment))
                .filter(rollups::channel.eq(&keys.channel))
                .filter(rollups::checklist_id.eq(&keys.checklist_id))
                .filter(rollups::period_start.eq_any(periods))
                .filter(rollups::n.eq(0)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Recomputes an organization's roll-ups (every organization's when `None`) from its approved
/// submissions, inside the caller's transaction. Returns the visits counted.
pub fn rebuild(conn: &mut DbConn, organization: Option<&str>) -> ApiResult<usize> {
    if let DbConn::Postgres(c) = conn {
        // Approvals made while the rebuild runs wait for it instead of racing it. (SQLite has
        // one writer at a time anyway.)
        diesel::sql_query("LOCK TABLE rollups IN EXCLUSIVE MODE").execute(c)?;
    }
    let mut query = submissions::table
        .filter(submissions::status.eq("approved"))
        .select(SubmissionRow::as_select())
        .order(submissions::id)
        .into_boxed();
    let mut delete = diesel::delete(rollups::table).into_boxed();
    if let Some(org) = organization {
        query = query.filter(submissions::organization_id.eq(org.to_string()));
        delete = delete.filter(rollups::organization_id.eq(org.to_string()));
    }
    delete.execute(conn)?;
    let approved: Vec<SubmissionRow> = query.load(conn)?;
    type Key = (
        String,
        String,
        String,
        NaiveDate,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    let mut totals: BTreeMap<Key, (i64, i64, i64)> = BTreeMap::new();
    for row in &approved {
        for (keys, cell) in cells_of(conn, row, 1)? {
            let r = to_row(&keys, &cell);
            let total = totals
                .entry((
                    r.organization_id,
                    r.subject,
                    r.grain,
                    r.period_start,
                    r.subject_key,
                    r.location_id,
                    r.region,
                    r.segment,
                    r.channel,
                    r.checklist_id,
                ))
                .or_default();
            total.0 += r.n;
            total.1 += r.sum_units;
            total.2 += r.critical_failures;
        }
    }
    let rows: Vec<RollupRow> = totals
        .into_iter()
        .map(|(k, (n, sum_units, critical_failures))| RollupRow {
            organization_id: k.0,
            subject: k.1,
            grain: k.2,
            period_start: k.3,
            subject_key: k.4,
            location_id: k.5,
            region: k.6,
            segment: k.7,
            channel: k.8,
            checklist_id: k.9,
            n,
            sum_units,
            critical_failures,
        })
        .collect();
    for chunk in rows.chunks(500) {
        let insert = diesel::insert_into(rollups::table).values(chunk);
        per_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(approved.len())
}

/// Every roll-up row of an organization, in key order (for comparisons and exports).
pub fn all(conn: &mut DbConn, organization: &str) -> ApiResult<Vec<RollupRow>> {
    let mut rows: Vec<RollupRow> = rollups::table
        .filter(rollups::organization_id.eq(organization))
        .select(RollupRow::as_select())
        .load(conn)?;
    rows.sort();
    Ok(rows)
}
