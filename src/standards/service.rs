//! The standards-book workflows (create, edit the draft, publish, import), each inside the
//! caller's transaction so the HTTP handlers, the CLI and the demo loader share them.

use chrono::NaiveDateTime;

use super::dto::{BookContent, BookDocument, BookInput, BookVersion, VersionStatus, BOOK_FORMAT};
use super::model::BookVersionRow;
use super::{repo, rules};
use crate::auth::tokens::sha256_hex;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::validation::reject_if_any;
pub use crate::versioning::Actor;
use crate::versioning::{DraftRecord, Store, VersionKey};

/// Where standards books are kept.
pub const STORE: Store = Store {
    documents: "standards_books",
    versions: "standards_book_versions",
    parent: "book_id",
    noun: "standards book",
};

/// The stored form of a draft; `content_hash` (of the exported document) finds an identical
/// published version on import.
fn record(name: &str, content: &BookContent) -> ApiResult<DraftRecord> {
    Ok(DraftRecord {
        name: name.to_string(),
        content: serde_json::to_string(content).map_err(ApiError::internal)?,
        columns: vec![("content_hash", content_hash(name, content)?)],
    })
}

fn content_hash(name: &str, content: &BookContent) -> ApiResult<String> {
    let document = serde_json::to_string(&BookDocument::new(name.to_string(), content.clone()))
        .map_err(ApiError::internal)?;
    Ok(sha256_hex(&document))
}

pub fn content_of(row: &BookVersionRow) -> ApiResult<BookContent> {
    serde_json::from_str(&row.content).map_err(ApiError::internal)
}

pub fn status_of(row: &BookVersionRow) -> ApiResult<VersionStatus> {
    row.status.parse().map_err(ApiError::internal)
}

fn row_of(conn: &mut DbConn, actor: Actor, key: &VersionKey) -> ApiResult<BookVersionRow> {
    repo::find_version(conn, actor.organization_id, &key.document_id, key.version)
}

/// A new book whose first version holds `input`, as a draft or published at once.
pub fn create(
    conn: &mut DbConn,
    actor: Actor,
    input: BookInput,
    publish: bool,
    now: NaiveDateTime,
) -> ApiResult<BookVersionRow> {
    let (name, content) = input.into_parts();
    reject_if_any(if publish {
        rules::validate_for_publish(&content)
    } else {
        rules::validate_book(&content)
    })?;
    let key = STORE.create(conn, actor, record(name.trim(), &content)?, publish, now)?;
    row_of(conn, actor, &key)
}

/// Saves `input` as the book's draft (see [`Store::save_draft`]). Returns the draft and
/// whether it is a new version.
pub fn save_draft(
    conn: &mut DbConn,
    actor: Actor,
    book_id: &str,
    input: BookInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<(BookVersionRow, bool)> {
    let (name, content) = input.into_parts();
    // A missing book answers 404 before its content is judged.
    STORE.find_document(conn, actor.organization_id, book_id)?;
    reject_if_any(rules::validate_book(&content))?;
    let draft = record(name.trim(), &content)?;
    let (key, created) = STORE.save_draft(conn, actor, book_id, draft, expected, now)?;
    Ok((row_of(conn, actor, &key)?, created))
}

/// Publishes the book's draft after checking all of it.
pub fn publish(
    conn: &mut DbConn,
    actor: Actor,
    book_id: &str,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<BookVersionRow> {
    let key = STORE.publish(conn, actor, book_id, expected, now, |conn, key| {
        Ok(rules::validate_for_publish(&content_of(&row_of(
            conn, actor, key,
        )?)?))
    })?;
    row_of(conn, actor, &key)
}

/// Imports a document as a new book.
pub fn import(
    conn: &mut DbConn,
    actor: Actor,
    document: BookDocument,
    publish: bool,
    now: NaiveDateTime,
) -> ApiResult<BookVersionRow> {
    if document.format != BOOK_FORMAT {
        return Err(ApiError::unprocessable(
            "format",
            format!("must be {BOOK_FORMAT:?}"),
        ));
    }
    create(conn, actor, document.into_input(), publish, now)
}

/// A published version identical to `document`, or a new book published from it.
pub fn import_or_reuse(
    conn: &mut DbConn,
    actor: Actor,
    document: BookDocument,
    now: NaiveDateTime,
) -> ApiResult<BookVersionRow> {
    let content = BookContent {
        principles: document.principles.clone(),
        standards: document.standards.clone(),
        protocols: document.protocols.clone(),
    };
    let hash = content_hash(document.name.trim(), &content)?;
    match repo::find_published_by_hash(conn, actor.organization_id, &hash)? {
        Some(existing) => Ok(existing),
        None => import(conn, actor, document, true, now),
    }
}

pub fn to_dto(row: BookVersionRow) -> ApiResult<BookVersion> {
    let content = content_of(&row)?;
    let status = status_of(&row)?;
    Ok(BookVersion {
        id: row.id.parse().map_err(ApiError::internal)?,
        book_id: row.book_id.parse().map_err(ApiError::internal)?,
        warnings: rules::warnings(&content),
        name: row.name,
        version: row.version,
        status,
        revision: row.revision,
        content,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
        published_at: row.published_at.map(|t| t.and_utc()),
    })
}
