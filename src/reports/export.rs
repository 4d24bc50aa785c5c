//! The analysts' export: approved submissions with their answers (as scored, reviewer edits
//! applied) and scores, one CSV line per answer, streamed page by page so an export of any size
//! holds one page in memory.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::assignments::repo as assignments;
use crate::checklists::repo as checklists;
use crate::csv_writer::CsvWriter;
use crate::db::schema::submissions;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::locations::repo as locations;
use crate::submissions::model::SubmissionRow;
use crate::submissions::repo as submission_repo;
use crate::submissions::service::effective_answers;

/// Which approved submissions to export.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// First day of the visit start (UTC date), inclusive.
    pub from: Option<NaiveDate>,
    /// Last day of the visit start (UTC date), inclusive.
    pub to: Option<NaiveDate>,
}

/// One answer of one approved visit, with the visit's facts repeated (long format: any mix of
/// checklists fits one file).
#[derive(Debug, Serialize)]
struct Line<'a> {
    submission_id: &'a str,
    assignment_id: &'a str,
    location_code: &'a str,
    region: &'a str,
    segment: &'a str,
    channel: &'a str,
    checklist_id: &'a str,
    checklist_version_id: &'a str,
    shopper_id: &'a str,
    visit_start: String,
    visit_end: String,
    approved_at: String,
    raw_score: Option<f64>,
    visit_score: Option<f64>,
    critical_failure: bool,
    flags: &'a str,
    item_key: &'a str,
    value: String,
    na: bool,
    comment: &'a str,
    edited: bool,
}

pub const PAGE: i64 = 200;

/// The header line, written on the first page even when nothing matched.
const HEADER: &str = "submission_id,assignment_id,location_code,region,segment,channel,\
checklist_id,checklist_version_id,shopper_id,visit_start,visit_end,approved_at,raw_score,\
visit_score,critical_failure,flags,item_key,value,na,comment,edited\n";

/// One page of the export after submission id `after`: the CSV text (with the header on the
/// first page) and the last id, or `None` when nothing is left.
pub fn page(
    conn: &mut DbConn,
    org: &str,
    query: &ExportQuery,
    after: Option<&str>,
) -> ApiResult<(String, Option<String>)> {
    let mut q = submissions::table
        .filter(submissions::organization_id.eq(org))
        .filter(submissions::status.eq("approved"))
        .select(SubmissionRow::as_select())
        .order(submissions::id)
        .limit(PAGE)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(submissions::id.gt(after.to_string()));
    }
    if let Some(from) = query.from {
        q = q.filter(submissions::visit_start.ge(from.and_hms_opt(0, 0, 0).expect("midnight")));
    }
    if let Some(to) = query.to {
        let end = to
            .succ_opt()
            .unwrap_or(to)
            .and_hms_opt(0, 0, 0)
            .expect("midnight");
        q = q.filter(submissions::visit_start.lt(end));
    }
    let rows: Vec<SubmissionRow> = q.load(conn)?;
    let mut out = CsvWriter::new(false);
    if after.is_none() {
        out.write_record(HEADER.trim_end().split(','))?;
    }
    let mut places = HashMap::new();
    let mut versions = HashMap::new();
    for row in &rows {
        let assignment = assignments::find(conn, org, &row.assignment_id)?;
        if !places.contains_key(&assignment.location_id) {
            let l = locations::find(conn, org, &assignment.location_id)?;
            places.insert(assignment.location_id.clone(), l);
        }
        if !versions.contains_key(&assignment.checklist_version_id) {
            let v = checklists::find_version_by_id(conn, org, &assignment.checklist_version_id)?
                .ok_or_else(|| ApiError::internal("assignment without its checklist version"))?;
            versions.insert(assignment.checklist_version_id.clone(), v);
        }
        let place = &places[&assignment.location_id];
        let version = &versions[&assignment.checklist_version_id];
        let edits = submission_repo::edits_of(conn, &row.id)?;
        let edited: Vec<&str> = edits
            .iter()
            .filter(|e| e.superseded_at.is_none())
            .map(|e| e.item_key.as_str())
            .collect();
        let answers = effective_answers(row, &edits)?;
        let flags: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&row.flags)
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f["kind"].as_str().map(str::to_string))
            .collect();
        let flags = flags.join(";");
        let time = |t: Option<chrono::NaiveDateTime>| {
            t.map(|t| t.and_utc().to_rfc3339()).unwrap_or_default()
        };
        for (key, answer) in &answers {
            out.serialize(&Line {
                submission_id: &row.id,
                assignment_id: &row.assignment_id,
                location_code: &place.code,
                // As recorded on the visit when it was approved, like the reports.
                region: row.region.as_deref().unwrap_or(&place.region),
                segment: row.segment.as_deref().unwrap_or(&place.segment),
                channel: &version.channel,
                checklist_id: &version.checklist_id,
                checklist_version_id: &version.id,
                shopper_id: &row.shopper_id,
                visit_start: time(row.visit_start),
                visit_end: time(row.visit_end),
                approved_at: time(row.reviewed_at),
                raw_score: row.raw_score,
                visit_score: row.visit_score,
                critical_failure: row.critical_failure,
                flags: &flags,
                item_key: key,
                value: match &answer.value {
                    None => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                },
                na: answer.na,
                comment: answer.comment.as_deref().unwrap_or_default(),
                edited: edited.contains(&key.as_str()),
            })?;
        }
    }
    let text = out.into_string()?;
    let last = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.id.clone()))
        .flatten();
    Ok((text, last))
}
