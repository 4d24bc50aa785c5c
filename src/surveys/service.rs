//! The survey-instrument workflows (create, edit the draft, publish, export, import), inside the
//! caller's transaction, on the shared versioned-document layer.

use chrono::NaiveDateTime;

use super::dto::{
    Audience, InstrumentContent, InstrumentDocument, InstrumentInput, InstrumentVersion,
    INSTRUMENT_FORMAT,
};
use super::model::InstrumentVersionRow;
use super::{repo, rules};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::standards::dto::{BookContent, BookDocument, VersionStatus};
use crate::standards::repo as books;
use crate::standards::service as standards;
use crate::validation::reject_if_any;
use crate::versioning::{Actor, DraftRecord, Store, VersionKey};

/// Where survey instruments are kept.
pub const STORE: Store = Store {
    documents: "survey_instruments",
    versions: "survey_instrument_versions",
    parent: "instrument_id",
    noun: "survey instrument",
};

pub fn content_of(row: &InstrumentVersionRow) -> ApiResult<InstrumentContent> {
    serde_json::from_str(&row.content).map_err(ApiError::internal)
}

pub fn audience_of(row: &InstrumentVersionRow) -> ApiResult<Audience> {
    Audience::parse(&row.audience).ok_or_else(|| ApiError::internal("unknown audience stored"))
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

/// The stored form of a draft: the pinned book version and the audience are columns of their
/// own (responses look them up).
fn record(input: &InstrumentInput, book_version_id: String) -> ApiResult<DraftRecord> {
    Ok(DraftRecord {
        name: input.name.trim().to_string(),
        content: serde_json::to_string(&input.content()).map_err(ApiError::internal)?,
        columns: vec![
            ("book_version_id", book_version_id),
            ("audience", input.audience.as_str().to_string()),
        ],
    })
}

fn row_of(conn: &mut DbConn, actor: Actor, key: &VersionKey) -> ApiResult<InstrumentVersionRow> {
    repo::find_version(conn, actor.organization_id, &key.document_id, key.version)
}

pub fn create(
    conn: &mut DbConn,
    actor: Actor,
    input: InstrumentInput,
    publish: bool,
    now: NaiveDateTime,
) -> ApiResult<InstrumentVersionRow> {
    reject_if_any(rules::validate_draft(&input.content()))?;
    let (book_version_id, book) = pinned_book(
        conn,
        actor.organization_id,
        &input.standards_book_version_id,
    )?;
    if publish {
        reject_if_any(rules::validate_for_publish(
            input.audience,
            &input.content(),
            &book,
        ))?;
    }
    let key = STORE.create(conn, actor, record(&input, book_version_id)?, publish, now)?;
    row_of(conn, actor, &key)
}

pub fn save_draft(
    conn: &mut DbConn,
    actor: Actor,
    instrument_id: &str,
    input: InstrumentInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<(InstrumentVersionRow, bool)> {
    // A missing instrument answers 404 before its content is judged.
    STORE.find_document(conn, actor.organization_id, instrument_id)?;
    reject_if_any(rules::validate_draft(&input.content()))?;
    let (book_version_id, _) = pinned_book(
        conn,
        actor.organization_id,
        &input.standards_book_version_id,
    )?;
    let draft = record(&input, book_version_id)?;
    let (key, created) = STORE.save_draft(conn, actor, instrument_id, draft, expected, now)?;
    Ok((row_of(conn, actor, &key)?, created))
}

/// What publishing `row` would refuse, against its pinned book.
pub fn problems(conn: &mut DbConn, row: &InstrumentVersionRow) -> ApiResult<Vec<FieldError>> {
    let book = books::find_by_id(conn, &row.organization_id, &row.book_version_id)?;
    Ok(rules::validate_for_publish(
        audience_of(row)?,
        &content_of(row)?,
        &standards::content_of(&book)?,
    ))
}

pub fn publish(
    conn: &mut DbConn,
    actor: Actor,
    instrument_id: &str,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<InstrumentVersionRow> {
    let key = STORE.publish(conn, actor, instrument_id, expected, now, |conn, key| {
        let row = row_of(conn, actor, key)?;
        problems(conn, &row)
    })?;
    row_of(conn, actor, &key)
}

pub fn export(conn: &mut DbConn, row: &InstrumentVersionRow) -> ApiResult<InstrumentDocument> {
    let book = books::find_by_id(conn, &row.organization_id, &row.book_version_id)?;
    let content = content_of(row)?;
    Ok(InstrumentDocument {
        format: INSTRUMENT_FORMAT.into(),
        name: row.name.clone(),
        audience: audience_of(row)?,
        languages: content.languages,
        scale: content.scale,
        title: content.title,
        introduction: content.introduction,
        items: content.items,
        importance_prompt: content.importance_prompt,
        channel_question: content.channel_question,
        standards_book: BookDocument::new(book.name.clone(), standards::content_of(&book)?),
    })
}

/// Imports an instrument with its book: an identical published book version is reused,
/// otherwise the book is published as a new one.
pub fn import(
    conn: &mut DbConn,
    actor: Actor,
    document: InstrumentDocument,
    publish: bool,
    now: NaiveDateTime,
) -> ApiResult<InstrumentVersionRow> {
    if document.format != INSTRUMENT_FORMAT {
        return Err(ApiError::unprocessable(
            "format",
            format!("must be {INSTRUMENT_FORMAT:?}"),
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
    let input = InstrumentInput {
        name: document.name,
        audience: document.audience,
        standards_book_version_id: book.id.parse().map_err(ApiError::internal)?,
        languages: document.languages,
        scale: document.scale,
        title: document.title,
        introduction: document.introduction,
        items: document.items,
        importance_prompt: document.importance_prompt,
        channel_question: document.channel_question,
    };
    create(conn, actor, input, publish, now)
}

pub fn to_dto(conn: &mut DbConn, row: InstrumentVersionRow) -> ApiResult<InstrumentVersion> {
    let status: VersionStatus = row.status.parse().map_err(ApiError::internal)?;
    let problems = match status {
        VersionStatus::Draft => problems(conn, &row)?,
        VersionStatus::Published => Vec::new(),
    };
    let content = content_of(&row)?;
    Ok(InstrumentVersion {
        id: row.id.parse().map_err(ApiError::internal)?,
        instrument_id: row.instrument_id.parse().map_err(ApiError::internal)?,
        standards_book_version_id: row.book_version_id.parse().map_err(ApiError::internal)?,
        audience: audience_of(&row)?,
        text_directions: rules::text_directions(&content.languages),
        content,
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
