use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rules::{AnswerInput, Flag};
use crate::contract::types::{ItemKey, LongText, Note};
use crate::scoring::rules::VisitScore;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Position {
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub latitude: f64,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub longitude: f64,
    /// Metres, 0 or more.
    #[schema(minimum = 0.0)]
    pub accuracy_m: Option<f64>,
}

/// What the shopper's app sends: the same document for saving a draft and for submitting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionContent {
    pub assignment_id: uuid::Uuid,
    /// Answers by item key.
    #[serde(default)]
    pub answers: BTreeMap<String, AnswerInput>,
    /// When the visit began and ended, by the phone's clock (required to submit).
    pub visit_start: Option<DateTime<Utc>>,
    pub visit_end: Option<DateTime<Utc>>,
    /// Where the shopper was during the visit.
    pub position: Option<Position>,
    /// The shopper's account of the visit, at most 20,000 characters.
    #[schema(max_length = 20000)]
    pub narrative: Option<String>,
    #[schema(max_length = 200)]
    pub device: Option<String>,
    #[schema(max_length = 100)]
    pub app_version: Option<String>,
    /// The phone's clock when it sent this; the server compares it with its own.
    pub sent_at: Option<DateTime<Utc>>,
    /// What the shopper spent for the shop, to be reimbursed (at most 20 lines), in the
    /// assignment's currency; the reviewer decides each line with the approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 20)]
    pub expenses: Vec<crate::payments::dto::ExpenseClaim>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    Draft,
    Submitted,
    Returned,
    Approved,
    Rejected,
}

impl SubmissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Draft => "draft",
            SubmissionStatus::Submitted => "submitted",
            SubmissionStatus::Returned => "returned",
            SubmissionStatus::Approved => "approved",
            SubmissionStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Submitted,
            Self::Returned,
            Self::Approved,
            Self::Rejected,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// The shopper may still change it.
    pub fn editable(self) -> bool {
        matches!(self, SubmissionStatus::Draft | SubmissionStatus::Returned)
    }
}

/// A reviewer's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub decision: SubmissionStatus,
    pub comment: Option<String>,
    /// Comments on items by key, for the shopper to fix.
    pub item_comments: BTreeMap<String, String>,
    pub by: Option<uuid::Uuid>,
    pub at: DateTime<Utc>,
    /// The reviewer's grade of the shopper's work, 1 to 5.
    #[serde(default)]
    pub grade: Option<i32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Submission {
    pub id: uuid::Uuid,
    pub shopper_id: uuid::Uuid,
    pub status: SubmissionStatus,
    pub content: SubmissionContent,
    /// When the server received the latest version.
    pub received_at: DateTime<Utc>,
    /// Server receipt time minus the phone's `sent_at`, in seconds.
    pub clock_skew_seconds: Option<i64>,
    /// Doubtful data for the reviewer; never a reason to refuse.
    pub flags: Vec<Flag>,
    /// Present for reviewers, and for the shopper when the organization shows scores.
    pub scores: Option<VisitScore>,
    pub review: Option<Review>,
    /// Reviewers' edits, oldest first. `content` keeps the shopper's original answers.
    pub edits: Vec<Edit>,
    /// The evidence files uploaded for it (photos, receipts, recordings), oldest first: each
    /// is read from `GET /v1/attachments/{id}`.
    pub attachments: Vec<crate::attachments::handlers::Attachment>,
    /// The expense claims with the reviewer's decisions.
    pub reimbursements: Vec<crate::payments::dto::Reimbursement>,
    /// The reviewer's grade of the work, 1 to 5 (the shopper sees their own).
    pub grade: Option<i32>,
    /// The answers as scored: the original with every edit applied (present once edited).
    pub effective_answers: Option<BTreeMap<String, AnswerInput>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmissionList {
    pub items: Vec<Submission>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionFilter {
    /// `submitted` gives the review queue, oldest first.
    pub status: Option<SubmissionStatus>,
    /// Only submissions carrying this flag (e.g. `reused_photo`).
    pub flag: Option<super::rules::FlagKind>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    #[schema(value_type = Option<Note>)]
    pub comment: Option<String>,
    /// Comments on items by key (returns).
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, Note>)]
    pub item_comments: BTreeMap<String, String>,
    /// The reviewer's grade of the shopper's work, 1 (poor) to 5 (excellent); it feeds the
    /// shopper's reputation. A later review's grade replaces an earlier one.
    #[schema(minimum = 1, maximum = 5)]
    pub grade: Option<i32>,
    /// With an approval: decisions on the expense lines by key (a line not named is approved
    /// as claimed). Refused with a return or a rejection.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, crate::payments::dto::ReimbursementDecision>)]
    pub reimbursements: crate::payments::dto::Decisions,
}

/// One reviewer edit of one answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Edit {
    pub item_key: String,
    pub old_answer: Option<AnswerInput>,
    pub new_answer: AnswerInput,
    pub reason: String,
    pub edited_by: Option<uuid::Uuid>,
    pub edited_at: DateTime<Utc>,
    /// Set when the shopper, after the shop was returned, answered the item again: from then
    /// on the shopper's answer counts and this edit is history (not in `effective_answers`).
    pub superseded_at: Option<DateTime<Utc>>,
}

/// A reviewer changes one answer, saying why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditInput {
    #[schema(value_type = ItemKey)]
    pub item_key: String,
    pub answer: AnswerInput,
    /// Why the answer changes.
    #[schema(value_type = LongText)]
    pub reason: String,
}
