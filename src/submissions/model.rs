use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::submissions;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = submissions)]
pub struct SubmissionRow {
    /// Chosen by the phone.
    pub id: String,
    pub organization_id: String,
    pub assignment_id: String,
    pub shopper_id: String,
    pub status: String,
    /// `SubmissionContent` as JSON.
    pub content: String,
    pub content_hash: String,
    pub visit_start: Option<NaiveDateTime>,
    pub visit_end: Option<NaiveDateTime>,
    pub received_at: NaiveDateTime,
    pub clock_skew_seconds: Option<i64>,
    /// JSON list of flags.
    pub flags: String,
    /// `VisitScore` as JSON, once submitted.
    pub scores: Option<String>,
    pub raw_score: Option<f64>,
    pub visit_score: Option<f64>,
    pub critical_failure: bool,
    /// `Review` as JSON.
    pub review: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<String>,
}
