//! The standards-book workflows (create, edit the draft, publish, import), each inside the
//! caller's transaction so the HTTP handlers, the CLI and the demo loader share them.

use chrono::NaiveDateTime;

use super::dto::{BookContent, BookDocument, BookInput, BookVersion, VersionStatus, BOOK_FORMAT};
use super::model::{BookRow, BookVersionRow};
use super::{repo, rules};
use crate::auth::tokens::sha256_hex;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::validation::reject_if_any;
use crate::versioning::{check_publishable, check_revision, draft_save, DraftSave};

/// Who acts, for the audit columns.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub organization_id: &'a str,
    pub user_id: Option<&'a str>,
}

fn encode(name: &str, content: &BookContent) -> ApiResult<(String, String)> {
    let json = serde_json::to_string(content).map_err(ApiError::internal)?;
    let document = serde_json::to_string(&BookDocument::new(name.to_string(), content.clone()))
        .map_err(ApiError::internal)?;
    Ok((json, sha256_hex(&document)))
}

pub fn content_of(row: &BookVersionRow) -> ApiResult<BookContent> {
    serde_json::from_str(&row.content).map_err(ApiError::internal)
}

pub fn status_of(row: &BookVersionRow) -> ApiResult<VersionStatus> {
    row.status.parse().map_err(ApiError::internal)
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
    let name = name.trim().to_string();
    reject_if_any(if publish {
        rules::validate_for_publish(&content)
    } else {
        rules::validate_book(&content)
    })?;
    let (json, hash) = encode(&name, &content)?;
    let book = BookRow {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: actor.organization_id.to_string(),
        name: name.clone(),
        created_at: now,
        updated_at: now,
    };
    repo::insert_book(conn, &book)?;
    let version = BookVersionRow {
        id: uuid::Uuid::now_v7().to_string(),
        book_id: book.id.clone(),
        organization_id: book.organization_id.clone(),
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
        content: json,
        content_hash: hash,
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

/// Saves `input` as the book's draft: in place when the newest version is a draft (checking
/// `expected` against its revision), else as the next version. Returns the draft and whether
/// it is a new version.
pub fn save_draft(
    conn: &mut DbConn,
    actor: Actor,
    book_id: &str,
    input: BookInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<(BookVersionRow, bool)> {
    let book = repo::find_book(conn, actor.organization_id, book_id)?;
    let (name, content) = input.into_parts();
    let name = name.trim().to_string();
    reject_if_any(rules::validate_book(&content))?;
    let (json, hash) = encode(&name, &content)?;
    let latest = repo::latest_version(conn, &book.id)?;
    let created = match draft_save(latest.version, status_of(&latest)?) {
        DraftSave::Update { .. } => {
            check_revision(expected, latest.revision)?;
            if !repo::update_draft(conn, &latest, &name, &json, &hash, now)? {
                return Err(ApiError::PreconditionFailed(
                    "the draft changed while saving".into(),
                ));
            }
            false
        }
        DraftSave::Create { version } => {
            repo::insert_version(
                conn,
                &BookVersionRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    book_id: book.id.clone(),
                    organization_id: book.organization_id.clone(),
                    version,
                    status: VersionStatus::Draft.as_str().to_string(),
                    revision: 1,
                    name: name.clone(),
                    content: json,
                    content_hash: hash,
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
    repo::rename_book(conn, &book.id, &name, now)?;
    let draft = repo::latest_version(conn, &book.id)?;
    Ok((draft, created))
}

/// Publishes the book's draft after checking all of it.
pub fn publish(
    conn: &mut DbConn,
    actor: Actor,
    book_id: &str,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<BookVersionRow> {
    let book = repo::find_book(conn, actor.organization_id, book_id)?;
    let latest = repo::latest_version(conn, &book.id)?;
    check_publishable(status_of(&latest)?)?;
    check_revision(expected, latest.revision)?;
    reject_if_any(rules::validate_for_publish(&content_of(&latest)?))?;
    if !repo::publish(conn, &latest, actor.user_id, now)? {
        return Err(ApiError::PreconditionFailed(
            "the draft changed while publishing".into(),
        ));
    }
    repo::find_version(conn, actor.organization_id, &book.id, latest.version)
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
    let (_, hash) = encode(document.name.trim(), &content)?;
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
