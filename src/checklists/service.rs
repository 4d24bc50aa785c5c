//! The checklist workflows (create, edit the draft, publish, export, import), inside the
//! caller's transaction, shared by the HTTP handlers, the CLI and the demo loader.

use chrono::NaiveDateTime;

use super::dto::{
    ChecklistContent, ChecklistDocument, ChecklistInput, ChecklistVersion, CHECKLIST_FORMAT,
};
use super::model::ChecklistVersionRow;
use super::{repo, rules};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::standards::dto::{BookContent, BookDocument, Channel, VersionStatus};
use crate::standards::repo as books;
use crate::standards::service as standards;
use crate::validation::reject_if_any;
use crate::versioning::{Actor, DraftRecord, Store, VersionKey};

/// Where checklists are kept.
pub const STORE: Store = Store {
    documents: "checklists",
    versions: "checklist_versions",
    parent: "checklist_id",
    noun: "checklist",
};

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

/// The stored form of a draft: the pinned book version and the channel are columns of their
/// own (assignments and reports read them).
fn record(input: ChecklistInput, book_version_id: String) -> ApiResult<DraftRecord> {
    Ok(DraftRecord {
        name: input.name.trim().to_string(),
        content: serde_json::to_string(&ChecklistContent {
            sections: input.sections,
        })
        .map_err(ApiError::internal)?,
        columns: vec![
            ("book_version_id", book_version_id),
            ("channel", input.channel.as_str().to_string()),
        ],
    })
}

fn row_of(conn: &mut DbConn, actor: Actor, key: &VersionKey) -> ApiResult<ChecklistVersionRow> {
    repo::find_version(conn, actor.organization_id, &key.document_id, key.version)
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
    let key = STORE.create(conn, actor, record(input, book_version_id)?, publish, now)?;
    row_of(conn, actor, &key)
}

pub fn save_draft(
    conn: &mut DbConn,
    actor: Actor,
    checklist_id: &str,
    input: ChecklistInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<(ChecklistVersionRow, bool)> {
    // A missing checklist answers 404 before its content is judged.
    STORE.find_document(conn, actor.organization_id, checklist_id)?;
    reject_if_any(rules::validate_draft(input.name.trim(), &input.sections))?;
    let (book_version_id, _) = pinned_book(
        conn,
        actor.organization_id,
        &input.standards_book_version_id,
    )?;
    let draft = record(input, book_version_id)?;
    let (key, created) = STORE.save_draft(conn, actor, checklist_id, draft, expected, now)?;
    Ok((row_of(conn, actor, &key)?, created))
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
    let key = STORE.publish(conn, actor, checklist_id, expected, now, |conn, key| {
        let row = row_of(conn, actor, key)?;
        problems(conn, &row)
    })?;
    row_of(conn, actor, &key)
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
        translations: crate::surveys::rules::text_directions(
            &rules::languages(&content_of(&row)?.sections)
                .into_iter()
                .collect::<Vec<_>>(),
        ),
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
