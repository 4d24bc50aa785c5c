//! The checklist workflows (create, edit the draft, publish, export, import), inside the
//! caller's transaction, shared by the HTTP handlers, the CLI and the demo loader.

use chrono::NaiveDateTime;

use super::dto::{
    ChecklistContent, ChecklistDocument, ChecklistInput, ChecklistVersion, CHECKLIST_FORMAT,
};
use super::model::{ChecklistRow, ChecklistVersionRow};
use super::{repo, rules};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::standards::dto::{BookContent, BookDocument, Channel, VersionStatus};
use crate::standards::repo as books;
use crate::standards::service::{self as standards, Actor};
use crate::validation::reject_if_any;
use crate::versioning::{check_publishable, check_revision, draft_save, DraftSave};

pub fn content_of(row: &ChecklistVersionRow) -> ApiResult<ChecklistContent> {
    serde_json::from_str(&row.content).map_err(ApiError::internal)
}

fn channel_of(row: &ChecklistVersionRow) -> ApiResult<Channel> {
    Channel::parse(&row.channel).ok_or_else(|| ApiError::internal("unknown channel stored"))
}

/// The published book version `id` of the organization, or 422 naming the field.
fn pinned_book(
    conn: &mut DbConn,
    org_id: &str,
    id: &uuid::Uuid,
) -> ApiResult<(String, BookContent)> {
    let row = books::find_published(conn, org_id, &id.to_string())?.ok_or_else(|| {
        ApiError::unprocessable(
            "standards_book_version_id",
            "must be a published standards-book version of this organization",
        )
    })?;
    Ok((row.id.clone(), standards::content_of(&row)?))
}

pub fn create(
    conn: &mut DbConn,
    actor: Actor,
    input: ChecklistInput,
    publish: bool,
    now: NaiveDateTime,
) -> ApiResult<ChecklistVersionRow> {
    let name = input.name.trim().to_string();
    reject_if_any(rules::validate_draft(&name, &input.sections))?;
    let (book_version_id, book) = pinned_book(
        conn,
        actor.organization_id,
        &input.standards_book_version_id,
    )?;
    if publish {
        reject_if_any(rules::validate_for_publish(
            &name,
            input.channel,
            &input.sections,
            &book,
        ))?;
    }
    let content = serde_json::to_string(&ChecklistContent {
        sections: input.sections,
    })
    .map_err(ApiError::internal)?;
    let checklist = ChecklistRow {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: actor.organization_id.to_string(),
        name: name.clone(),
        created_at: now,
        updated_at: now,
    };
    repo::insert_checklist(conn, &checklist)?;
    let version = ChecklistVersionRow {
        id: uuid::Uuid::now_v7().to_string(),
        checklist_id: checklist.id.clone(),
        organization_id: checklist.organization_id.clone(),
        version: 1,
        status: if publish {
            VersionStatus::Published
        } else {
            VersionStatus::Draft
        }
        .as_str()
        .to_string(),
        revision: 1,
        name,
        book_version_id,
        channel: input.channel.as_str().to_string(),
        content,
        created_by: actor.user_id.map(str::to_string),
        created_at: now,
        updated_at: now,
        published_at: publish.then_some(now),
        published_by: if publish {
            actor.user_id.map(str::to_string)
        } else {
            None
        },
    };
    repo::insert_version(conn, &version)?;
    Ok(version)
}

pub fn save_draft(
    conn: &mut DbConn,
    actor: Actor,
    checklist_id: &str,
    input: ChecklistInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<(ChecklistVersionRow, bool)> {
    let checklist = repo::find_checklist(conn, actor.organization_id, checklist_id)?;
    let name = input.name.trim().to_string();
    reject_if_any(rules::validate_draft(&name, &input.sections))?;
    let (book_version_id, _) = pinned_book(
        conn,
        actor.organization_id,
        &input.standards_book_version_id,
    )?;
    let content = serde_json::to_string(&ChecklistContent {
        sections: input.sections,
    })
    .map_err(ApiError::internal)?;
    let channel = input.channel.as_str();
    let latest = repo::latest_version(conn, &checklist.id)?;
    let latest_status: VersionStatus = latest.status.parse().map_err(ApiError::internal)?;
    let created = match draft_save(latest.version, latest_status) {
        DraftSave::Update { .. } => {
            check_revision(expected, latest.revision)?;
            if !repo::update_draft(
                conn,
                &latest,
                &name,
                &book_version_id,
                channel,
                &content,
                now,
            )? {
                return Err(ApiError::PreconditionFailed(
                    "the draft changed while saving".into(),
                ));
            }
            false
        }
        DraftSave::Create { version } => {
            repo::insert_version(
                conn,
                &ChecklistVersionRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    checklist_id: checklist.id.clone(),
                    organization_id: checklist.organization_id.clone(),
                    version,
                    status: VersionStatus::Draft.as_str().to_string(),
                    revision: 1,
                    name: name.clone(),
                    book_version_id,
                    channel: channel.to_string(),
                    content,
                    created_by: actor.user_id.map(str::to_string),
                    created_at: now,
                    updated_at: now,
                    published_at: None,
                    published_by: None,
                },
            )
            .map_err(|e| match e {
                ApiError::Conflict { .. } => {
                    ApiError::conflict("another draft was started at the same time; retry")
                }
                other => other,
            })?;
            true
        }
    };
    repo::rename_checklist(conn, &checklist.id, &name, now)?;
    Ok((repo::latest_version(conn, &checklist.id)?, created))
}

/// What publishing `row` would refuse, against its pinned book.
pub fn problems(conn: &mut DbConn, row: &ChecklistVersionRow) -> ApiResult<Vec<FieldError>> {
    let book = books::find_by_id(conn, &row.organization_id, &row.book_version_id)?;
    Ok(rules::validate_for_publish(
        &row.name,
        channel_of(row)?,
        &content_of(row)?.sections,
        &standards::content_of(&book)?,
    ))
}

pub fn publish(
    conn: &mut DbConn,
    actor: Actor,
    checklist_id: &str,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<ChecklistVersionRow> {
    let checklist = repo::find_checklist(conn, actor.organization_id, checklist_id)?;
    let latest = repo::latest_version(conn, &checklist.id)?;
    check_publishable(latest.status.parse().map_err(ApiError::internal)?)?;
    check_revision(expected, latest.revision)?;
    reject_if_any(problems(conn, &latest)?)?;
    if !repo::publish(conn, &latest, actor.user_id, now)? {
        return Err(ApiError::PreconditionFailed(
            "the draft changed while publishing".into(),
        ));
    }
    repo::find_version(conn, actor.organization_id, &checklist.id, latest.version)
}

pub fn export(conn: &mut DbConn, row: &ChecklistVersionRow) -> ApiResult<ChecklistDocument> {
    let book = books::find_by_id(conn, &row.organization_id, &row.book_version_id)?;
    Ok(ChecklistDocument {
        format: CHECKLIST_FORMAT.into(),
        name: row.name.clone(),
        channel: channel_of(row)?,
        sections: content_of(row)?.sections,
        standards_book: BookDocument::new(book.name.clone(), standards::content_of(&book)?),
    })
}

/// Imports a checklist with its book: an identical published book version is reused, otherwise
/// the book is published as a new one.
pub fn import(
    conn: &mut DbConn,
    actor: Actor,
    document: ChecklistDocument,
    publish: bool,
    now: NaiveDateTime,
) -> ApiResult<ChecklistVersionRow> {
    if document.format != CHECKLIST_FORMAT {
        return Err(ApiError::unprocessable(
            "format",
            format!("must be {CHECKLIST_FORMAT:?}"),
        ));
    }
    let book = standards::import_or_reuse(conn, actor, document.standards_book, now).map_err(
        |e| match e {
            ApiError::Unprocessable(errors) => ApiError::Unprocessable(
                errors
                    .into_iter()
                    .map(|e| FieldError::new(format!("standards_book.{}", e.field), e.message))
                    .collect(),
            ),
            other => other,
        },
    )?;
    let input = ChecklistInput {
        name: document.name,
        standards_book_version_id: book.id.parse().map_err(ApiError::internal)?,
        channel: document.channel,
        sections: document.sections,
    };
    create(conn, actor, input, publish, now)
}

pub fn to_dto(conn: &mut DbConn, row: ChecklistVersionRow) -> ApiResult<ChecklistVersion> {
    let status: VersionStatus = row.status.parse().map_err(ApiError::internal)?;
    let problems = match status {
        VersionStatus::Draft => problems(conn, &row)?,
        VersionStatus::Published => Vec::new(),
    };
    Ok(ChecklistVersion {
        id: row.id.parse().map_err(ApiError::internal)?,
        checklist_id: row.checklist_id.parse().map_err(ApiError::internal)?,
        standards_book_version_id: row.book_version_id.parse().map_err(ApiError::internal)?,
        channel: channel_of(&row)?,
        sections: content_of(&row)?.sections,
        name: row.name,
        version: row.version,
        status,
        revision: row.revision,
        problems,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
        published_at: row.published_at.map(|t| t.and_utc()),
    })
}
