use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{submission_edits, submissions};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = submissions, treat_none_as_null = true)]
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
    /// The region and segment the visit counts under in reports, recorded when it is approved
    /// (the location's region then, the assignment's segment), so that moving a location later
    /// does not rewrite history.
    pub region: Option<String>,
    pub segment: Option<String>,
    /// The reviewer's grade of the work, 1 to 5.
    pub grade: Option<i32>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = submission_edits)]
pub struct EditRow {
    pub id: String,
    pub submission_id: String,
    pub organization_id: String,
    pub item_key: String,
    /// `AnswerInput` JSON, or none when the item had no answer.
    pub old_answer: Option<String>,
    pub new_answer: String,
    pub reason: String,
    pub edited_by: Option<String>,
    pub edited_at: NaiveDateTime,
    /// When a resubmission by the shopper answered the item again: the edit is history then,
    /// not part of the answers as scored.
    pub superseded_at: Option<NaiveDateTime>,
}
