use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::contract::types::{ItemKey, LongText, Name, Note};
use crate::standards::dto::VersionStatus;

/// One possible answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizOption {
    #[schema(value_type = ItemKey)]
    pub key: String,
    #[schema(value_type = LongText)]
    pub text: String,
}

/// A question with its options and the keys of the correct ones (one or several: a question is
/// answered right when exactly the correct options are chosen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizQuestion {
    #[schema(value_type = ItemKey)]
    pub key: String,
    #[schema(value_type = LongText)]
    pub text: String,
    /// 2 to 10 options, keys unique within the question.
    #[schema(min_items = 2, max_items = 10)]
    pub options: Vec<QuizOption>,
    /// The keys of the correct options, at least one.
    #[schema(min_items = 1, max_items = 10, value_type = Vec<ItemKey>)]
    pub correct: Vec<String>,
}

/// What a quiz version holds besides its name and checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizContent {
    pub pass_mark_percent: i32,
    pub max_attempts: i32,
    pub introduction: Option<String>,
    pub questions: Vec<QuizQuestion>,
}

/// A quiz as a manager writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizInput {
    #[schema(value_type = Name)]
    pub name: String,
    /// Every job on any version of this checklist requires the certification.
    pub checklist_id: Option<uuid::Uuid>,
    /// The share of questions to answer right to pass, in percent.
    #[schema(minimum = 1, maximum = 100)]
    pub pass_mark_percent: i32,
    /// Attempts a shopper has, counted over every version.
    #[schema(minimum = 1, maximum = 20)]
    pub max_attempts: i32,
    #[schema(value_type = Option<Note>)]
    pub introduction: Option<String>,
    /// 1 to 100 questions, keys unique.
    #[schema(min_items = 1, max_items = 100)]
    pub questions: Vec<QuizQuestion>,
}

impl QuizInput {
    pub fn content(&self) -> QuizContent {
        QuizContent {
            pass_mark_percent: self.pass_mark_percent,
            max_attempts: self.max_attempts,
            introduction: self.introduction.clone(),
            questions: self.questions.clone(),
        }
    }
}

/// One version of a quiz, with its answers (managers).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuizVersion {
    pub id: uuid::Uuid,
    pub quiz_id: uuid::Uuid,
    pub version: i32,
    pub status: VersionStatus,
    /// Increases with every save of a draft; the `ETag` carries it.
    pub revision: i32,
    pub name: String,
    pub checklist_id: Option<uuid::Uuid>,
    pub pass_mark_percent: i32,
    pub max_attempts: i32,
    pub introduction: Option<String>,
    pub questions: Vec<QuizQuestion>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuizVersionSummary {
    pub id: uuid::Uuid,
    pub version: i32,
    pub status: VersionStatus,
    pub published_at: Option<DateTime<Utc>>,
}

/// A quiz with its versions, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Quiz {
    pub id: uuid::Uuid,
    pub name: String,
    pub versions: Vec<QuizVersionSummary>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuizList {
    pub items: Vec<Quiz>,
    pub next_cursor: Option<String>,
}

/// A question as a shopper sees it: without the answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuestionToAnswer {
    pub key: String,
    pub text: String,
    pub options: Vec<QuizOption>,
    /// Several options are correct (choose all of them); otherwise exactly one.
    pub choose_several: bool,
}

/// A quiz from the shopper's side: the latest published version to take, and where they stand.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Certification {
    pub quiz_id: uuid::Uuid,
    pub quiz_version_id: uuid::Uuid,
    pub version: i32,
    pub name: String,
    pub checklist_id: Option<uuid::Uuid>,
    pub pass_mark_percent: i32,
    pub introduction: Option<String>,
    pub questions: Vec<QuestionToAnswer>,
    pub passed: bool,
    pub passed_at: Option<DateTime<Utc>>,
    pub attempts_used: i32,
    pub attempts_left: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertificationList {
    pub items: Vec<Certification>,
}

/// A shopper's answers: the chosen option keys by question key (a question left out is wrong).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptInput {
    /// The version answered (default: the latest published); an older one is refused.
    pub quiz_version_id: Option<uuid::Uuid>,
    #[schema(value_type = BTreeMap<String, Vec<ItemKey>>)]
    pub answers: BTreeMap<String, Vec<String>>,
}

/// One attempt at a quiz, scored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuizAttempt {
    pub id: uuid::Uuid,
    pub quiz_id: uuid::Uuid,
    pub quiz_version_id: uuid::Uuid,
    pub shopper_id: uuid::Uuid,
    /// Questions answered right, of `total`.
    pub correct: i32,
    pub total: i32,
    /// `correct / total` in whole percent, rounded down.
    pub score_percent: i32,
    pub passed: bool,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuizAttemptList {
    pub items: Vec<QuizAttempt>,
}
