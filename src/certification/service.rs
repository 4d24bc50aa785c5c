//! Quizzes on the versioned-document store, attempts, and the certification side of the
//! fair-play rules. Each runs in the caller's transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::dto::{
    AttemptInput, Certification, QuestionToAnswer, QuizAttempt, QuizContent, QuizInput, QuizVersion,
};
use super::rules;
use crate::assignments::model::AssignmentRow;
use crate::assignments::repo::HiddenJobs;
use crate::db::schema::{checklist_versions, quiz_attempts, quiz_versions};
use crate::db::{lock_for_transaction, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::standards::dto::VersionStatus;
use crate::validation::reject_if_any;
use crate::versioning::{Actor, DraftRecord, Store, VersionKey};

pub const STORE: Store = Store {
    documents: "quizzes",
    versions: "quiz_versions",
    parent: "quiz_id",
    noun: "quiz",
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quiz_versions)]
pub struct QuizVersionRow {
    pub id: String,
    pub quiz_id: String,
    pub organization_id: String,
    pub version: i32,
    pub status: String,
    pub revision: i32,
    pub name: String,
    /// `''` when no checklist requires it.
    pub checklist_id: String,
    /// `QuizContent` as JSON.
    pub content: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub published_by: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = quiz_attempts)]
pub struct AttemptRow {
    pub id: String,
    pub organization_id: String,
    pub quiz_id: String,
    pub quiz_version_id: String,
    pub shopper_id: String,
    /// The answers as sent, JSON.
    pub answers: String,
    pub correct: i32,
    pub total: i32,
    pub passed: bool,
    pub at: NaiveDateTime,
}

pub fn content_of(row: &QuizVersionRow) -> ApiResult<QuizContent> {
    serde_json::from_str(&row.content).map_err(ApiError::internal)
}

/// The stored form of a quiz draft, checked whole (quizzes are short: a draft is always
/// publishable, so there is no list of problems to show).
fn record(conn: &mut DbConn, org: &str, input: &QuizInput) -> ApiResult<DraftRecord> {
    let mut errors = rules::validate(&input.questions);
    if let Some(checklist) = input.checklist_id {
        if crate::checklists::service::STORE
            .find_document(conn, org, &checklist.to_string())
            .is_err()
        {
            errors.push(crate::error::FieldError::new(
                "checklist_id",
                "no such checklist in this organization",
            ));
        }
    }
    reject_if_any(errors)?;
    Ok(DraftRecord {
        name: input.name.trim().to_string(),
        content: serde_json::to_string(&input.content()).map_err(ApiError::internal)?,
        columns: vec![(
            "checklist_id",
            input
                .checklist_id
                .map(|c| c.to_string())
                .unwrap_or_default(),
        )],
    })
}

pub fn find_version(
    conn: &mut DbConn,
    org: &str,
    quiz_id: &str,
    version: i32,
) -> ApiResult<QuizVersionRow> {
    quiz_versions::table
        .filter(quiz_versions::organization_id.eq(org))
        .filter(quiz_versions::quiz_id.eq(quiz_id))
        .filter(quiz_versions::version.eq(version))
        .select(QuizVersionRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such version of this quiz".into()))
}

fn row_of(conn: &mut DbConn, actor: Actor, key: &VersionKey) -> ApiResult<QuizVersionRow> {
    find_version(conn, actor.organization_id, &key.document_id, key.version)
}

pub fn create(
    conn: &mut DbConn,
    actor: Actor,
    input: QuizInput,
    publish: bool,
    now: NaiveDateTime,
) -> ApiResult<QuizVersionRow> {
    let draft = record(conn, actor.organization_id, &input)?;
    let key = STORE.create(conn, actor, draft, publish, now)?;
    row_of(conn, actor, &key)
}

pub fn save_draft(
    conn: &mut DbConn,
    actor: Actor,
    quiz_id: &str,
    input: QuizInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<(QuizVersionRow, bool)> {
    STORE.find_document(conn, actor.organization_id, quiz_id)?;
    let draft = record(conn, actor.organization_id, &input)?;
    let (key, created) = STORE.save_draft(conn, actor, quiz_id, draft, expected, now)?;
    Ok((row_of(conn, actor, &key)?, created))
}

pub fn publish(
    conn: &mut DbConn,
    actor: Actor,
    quiz_id: &str,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<QuizVersionRow> {
    let key = STORE.publish(conn, actor, quiz_id, expected, now, |_, _| Ok(Vec::new()))?;
    row_of(conn, actor, &key)
}

pub fn to_dto(row: QuizVersionRow) -> ApiResult<QuizVersion> {
    let content = content_of(&row)?;
    Ok(QuizVersion {
        id: row.id.parse().map_err(ApiError::internal)?,
        quiz_id: row.quiz_id.parse().map_err(ApiError::internal)?,
        version: row.version,
        status: row.status.parse().map_err(ApiError::internal)?,
        revision: row.revision,
        name: row.name,
        checklist_id: row.checklist_id.parse().ok(),
        pass_mark_percent: content.pass_mark_percent,
        max_attempts: content.max_attempts,
        introduction: content.introduction,
        questions: content.questions,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
        published_at: row.published_at.map(|t| t.and_utc()),
    })
}

/// Each quiz's latest published version, of the organization (or of one quiz).
fn latest_published(
    conn: &mut DbConn,
    org: &str,
    quiz_id: Option<&str>,
) -> ApiResult<Vec<QuizVersionRow>> {
    let mut query = quiz_versions::table
        .filter(quiz_versions::organization_id.eq(org))
        .filter(quiz_versions::status.eq(VersionStatus::Published.as_str()))
        .order((quiz_versions::quiz_id.asc(), quiz_versions::version.desc()))
        .select(QuizVersionRow::as_select())
        .into_boxed();
    if let Some(id) = quiz_id {
        query = query.filter(quiz_versions::quiz_id.eq(id.to_string()));
    }
    let rows: Vec<QuizVersionRow> = query.load(conn)?;
    let mut latest: Vec<QuizVersionRow> = Vec::new();
    for row in rows {
        if latest.last().is_none_or(|l| l.quiz_id != row.quiz_id) {
            latest.push(row);
        }
    }
    Ok(latest)
}

/// Whether `quiz_id` is a quiz of the organization with a published version (a job may
/// require it).
pub fn is_published(conn: &mut DbConn, org: &str, quiz_id: &str) -> ApiResult<bool> {
    Ok(!latest_published(conn, org, Some(quiz_id))?.is_empty())
}

/// The quizzes the shopper has passed, with when they first passed each.
fn passed(conn: &mut DbConn, shopper_id: &str) -> ApiResult<HashMap<String, NaiveDateTime>> {
    let rows: Vec<(String, NaiveDateTime)> = quiz_attempts::table
        .filter(quiz_attempts::shopper_id.eq(shopper_id))
        .filter(quiz_attempts::passed.eq(true))
        .select((quiz_attempts::quiz_id, quiz_attempts::at))
        .order(quiz_attempts::at.asc())
        .load(conn)?;
    let mut first = HashMap::new();
    for (quiz, at) in rows {
        first.entry(quiz).or_insert(at);
    }
    Ok(first)
}

fn checklist_of_version(conn: &mut DbConn, version_id: &str) -> ApiResult<Option<String>> {
    Ok(checklist_versions::table
        .filter(checklist_versions::id.eq(version_id))
        .select(checklist_versions::checklist_id)
        .get_result(conn)
        .optional()?)
}

/// The names of the quizzes `assignment` requires that the shopper has not passed: the one it
/// names and any whose latest published version names its checklist.
pub fn missing_for(
    conn: &mut DbConn,
    assignment: &AssignmentRow,
    shopper_id: &str,
) -> ApiResult<Vec<String>> {
    let quizzes = latest_published(conn, &assignment.organization_id, None)?;
    if quizzes.is_empty() {
        return Ok(Vec::new());
    }
    let checklist = checklist_of_version(conn, &assignment.checklist_version_id)?;
    let held = passed(conn, shopper_id)?;
    Ok(quizzes
        .into_iter()
        .filter(|q| {
            assignment.required_quiz_id.as_deref() == Some(q.quiz_id.as_str())
                || (!q.checklist_id.is_empty() && checklist.as_deref() == Some(&q.checklist_id))
        })
        .filter(|q| !held.contains_key(&q.quiz_id))
        .map(|q| q.name)
        .collect())
}

/// What the job board leaves out for this shopper: jobs requiring a quiz they have not passed,
/// and jobs on the versions of a checklist that requires one. `published` and `passed` are read
/// with the board's other facts (`assignments::repo::board_facts`); the versions of a gating
/// checklist are read only when the shopper lacks its quiz.
pub fn hidden_jobs(
    conn: &mut DbConn,
    published: &[(String, i32, String)],
    passed: &[String],
) -> ApiResult<HiddenJobs> {
    let (quiz_ids, checklists) = rules::missing_quizzes(published, passed);
    let checklist_version_ids = if checklists.is_empty() {
        Vec::new()
    } else {
        checklist_versions::table
            .filter(checklist_versions::checklist_id.eq_any(&checklists))
            .select(checklist_versions::id)
            .load(conn)?
    };
    Ok(HiddenJobs {
        quiz_ids,
        checklist_version_ids,
        partner_halves: Vec::new(),
    })
}

fn attempts_of(
    conn: &mut DbConn,
    org: &str,
    quiz_id: &str,
    shopper_id: Option<&str>,
) -> ApiResult<Vec<AttemptRow>> {
    let mut query = quiz_attempts::table
        .filter(quiz_attempts::organization_id.eq(org))
        .filter(quiz_attempts::quiz_id.eq(quiz_id.to_string()))
        .order((quiz_attempts::at.asc(), quiz_attempts::id.asc()))
        .select(AttemptRow::as_select())
        .into_boxed();
    if let Some(s) = shopper_id {
        query = query.filter(quiz_attempts::shopper_id.eq(s.to_string()));
    }
    Ok(query.load(conn)?)
}

pub fn attempt_dto(row: AttemptRow) -> ApiResult<QuizAttempt> {
    Ok(QuizAttempt {
        id: row.id.parse().map_err(ApiError::internal)?,
        quiz_id: row.quiz_id.parse().map_err(ApiError::internal)?,
        quiz_version_id: row.quiz_version_id.parse().map_err(ApiError::internal)?,
        shopper_id: row.shopper_id.parse().map_err(ApiError::internal)?,
        correct: row.correct,
        total: row.total,
        score_percent: rules::score_percent(row.correct, row.total),
        passed: row.passed,
        at: row.at.and_utc(),
    })
}

/// A quiz's attempts, oldest first: all of them, or one shopper's. 404 for a quiz that is not
/// the organization's.
pub fn attempts(
    conn: &mut DbConn,
    org: &str,
    quiz_id: &str,
    shopper_id: Option<&str>,
) -> ApiResult<Vec<QuizAttempt>> {
    STORE.find_document(conn, org, quiz_id)?;
    attempts_of(conn, org, quiz_id, shopper_id)?
        .into_iter()
        .map(attempt_dto)
        .collect()
}

/// A shopper answers the latest published version of a quiz. 409 when they have passed it
/// already or have no attempts left; 422 for answers to questions it does not ask.
pub fn take(
    conn: &mut DbConn,
    org: &str,
    shopper_id: &str,
    quiz_id: &str,
    input: AttemptInput,
    now: NaiveDateTime,
) -> ApiResult<QuizAttempt> {
    STORE.find_document(conn, org, quiz_id)?;
    lock_for_transaction(conn, &format!("quiz-attempt:{shopper_id}:{quiz_id}"))?;
    let version = latest_published(conn, org, Some(quiz_id))?
        .pop()
        .ok_or_else(|| ApiError::conflict("the quiz has no published version to take yet"))?;
    if let Some(asked) = input.quiz_version_id {
        if asked.to_string() != version.id {
            return Err(ApiError::Conflict {
                detail: format!(
                    "a newer version of the quiz was published (version {}); answer that one",
                    version.version
                ),
                current_state: Some(version.id.clone()),
            });
        }
    }
    let content = content_of(&version)?;
    let earlier = attempts_of(conn, org, quiz_id, Some(shopper_id))?;
    if earlier.iter().any(|a| a.passed) {
        return Err(ApiError::Conflict {
            detail: "the shopper has passed this quiz already".into(),
            current_state: Some("passed".into()),
        });
    }
    if earlier.len() as i64 >= i64::from(content.max_attempts) {
        return Err(ApiError::Conflict {
            detail: format!(
                "no attempts left: {} of {} used",
                earlier.len(),
                content.max_attempts
            ),
            current_state: Some("no_attempts_left".into()),
        });
    }
    let correct =
        rules::score(&content.questions, &input.answers).map_err(ApiError::Unprocessable)?;
    let total = content.questions.len() as i32;
    let row = AttemptRow {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: org.to_string(),
        quiz_id: quiz_id.to_string(),
        quiz_version_id: version.id.clone(),
        shopper_id: shopper_id.to_string(),
        answers: serde_json::to_string(&input.answers).map_err(ApiError::internal)?,
        correct,
        total,
        passed: rules::passes(correct, total, content.pass_mark_percent),
        at: now,
    };
    let insert = diesel::insert_into(quiz_attempts::table).values(&row);
    crate::per_backend!(conn, |c| insert.execute(c))?;
    attempt_dto(row)
}

/// Every quiz with a published version, as the shopper takes it, with where they stand.
pub fn certifications(
    conn: &mut DbConn,
    org: &str,
    shopper_id: &str,
) -> ApiResult<Vec<Certification>> {
    let quizzes = latest_published(conn, org, None)?;
    let held = passed(conn, shopper_id)?;
    let used: Vec<(String, i64)> = quiz_attempts::table
        .filter(quiz_attempts::shopper_id.eq(shopper_id))
        .group_by(quiz_attempts::quiz_id)
        .select((quiz_attempts::quiz_id, diesel::dsl::count_star()))
        .load(conn)?;
    let used: BTreeMap<String, i64> = used.into_iter().collect();
    quizzes
        .into_iter()
        .map(|q| {
            let content = content_of(&q)?;
            let attempts_used = used.get(&q.quiz_id).copied().unwrap_or(0) as i32;
            let passed_at = held.get(&q.quiz_id).copied();
            Ok(Certification {
                quiz_id: q.quiz_id.parse().map_err(ApiError::internal)?,
                quiz_version_id: q.id.parse().map_err(ApiError::internal)?,
                version: q.version,
                name: q.name,
                checklist_id: q.checklist_id.parse().ok(),
                pass_mark_percent: content.pass_mark_percent,
                introduction: content.introduction,
                questions: content
                    .questions
                    .into_iter()
                    .map(|question| QuestionToAnswer {
                        choose_several: question.correct.len() > 1,
                        key: question.key,
                        text: question.text,
                        options: question.options,
                    })
                    .collect(),
                passed: passed_at.is_some(),
                passed_at: passed_at.map(|t| t.and_utc()),
                attempts_used,
                attempts_left: if passed_at.is_some() {
                    0
                } else {
                    (content.max_attempts - attempts_used).max(0)
                },
            })
        })
        .collect()
}
