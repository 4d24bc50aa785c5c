use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{BookRow, BookVersionRow};
use crate::db::schema::{standards_book_versions as versions, standards_books as books};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::standards::dto::VersionStatus;

pub fn insert_book(conn: &mut DbConn, row: &BookRow) -> ApiResult<()> {
    diesel::insert_into(books::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_version(conn: &mut DbConn, row: &BookVersionRow) -> ApiResult<()> {
    diesel::insert_into(versions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_book(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<BookRow> {
    books::table
        .filter(books::id.eq(id))
        .select(BookRow::as_select())
        .get_result::<BookRow>(conn)
        .optional()?
        .filter(|row| row.organization_id == org_id)
        .ok_or_else(|| ApiError::NotFound("no such standards book".into()))
}

pub fn rename_book(conn: &mut DbConn, id: &str, name: &str, now: NaiveDateTime) -> ApiResult<()> {
    diesel::update(books::table.find(id))
        .set((books::name.eq(name), books::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn list_books(
    conn: &mut DbConn,
    org_id: &str,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<BookRow>> {
    let mut query = books::table
        .filter(books::organization_id.eq(org_id))
        .select(BookRow::as_select())
        .order(books::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(books::id.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

/// (book id, version id, version, status, published_at) of every version of `book_ids`,
/// newest first.
pub type VersionSummaryRow = (String, String, i32, String, Option<NaiveDateTime>);

pub fn version_summaries(
    conn: &mut DbConn,
    book_ids: &[String],
) -> ApiResult<Vec<VersionSummaryRow>> {
    Ok(versions::table
        .filter(versions::book_id.eq_any(book_ids))
        .select((
            versions::book_id,
            versions::id,
            versions::version,
            versions::status,
            versions::published_at,
        ))
        .order((versions::book_id.asc(), versions::version.desc()))
        .load(conn)?)
}

pub fn find_version(
    conn: &mut DbConn,
    org_id: &str,
    book_id: &str,
    version: i32,
) -> ApiResult<BookVersionRow> {
    versions::table
        .filter(versions::organization_id.eq(org_id))
        .filter(versions::book_id.eq(book_id))
        .filter(versions::version.eq(version))
        .select(BookVersionRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such version of this standards book".into()))
}

pub fn latest_version(conn: &mut DbConn, book_id: &str) -> ApiResult<BookVersionRow> {
    Ok(versions::table
        .filter(versions::book_id.eq(book_id))
        .order(versions::version.desc())
        .select(BookVersionRow::as_select())
        .first(conn)?)
}

/// A published version of the organization by its id (what checklists pin).
pub fn find_published(
    conn: &mut DbConn,
    org_id: &str,
    version_id: &str,
) -> ApiResult<Option<BookVersionRow>> {
    Ok(versions::table
        .filter(versions::organization_id.eq(org_id))
        .filter(versions::id.eq(version_id))
        .filter(versions::status.eq(VersionStatus::Published.as_str()))
        .select(BookVersionRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// A version of any status by its id, within the organization.
pub fn find_by_id(conn: &mut DbConn, org_id: &str, version_id: &str) -> ApiResult<BookVersionRow> {
    versions::table
        .filter(versions::organization_id.eq(org_id))
        .filter(versions::id.eq(version_id))
        .select(BookVersionRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such standards book version".into()))
}

pub fn find_published_by_hash(
    conn: &mut DbConn,
    org_id: &str,
    hash: &str,
) -> ApiResult<Option<BookVersionRow>> {
    Ok(versions::table
        .filter(versions::organization_id.eq(org_id))
        .filter(versions::content_hash.eq(hash))
        .filter(versions::status.eq(VersionStatus::Published.as_str()))
        .order(versions::created_at.asc())
        .select(BookVersionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Rewrites a draft at `revision`; false when it is no longer a draft at that revision.
pub fn update_draft(
    conn: &mut DbConn,
    current: &BookVersionRow,
    name: &str,
    content: &str,
    hash: &str,
    now: NaiveDateTime,
) -> ApiResult<bool> {
    let n = diesel::update(
        versions::table
            .filter(versions::id.eq(&current.id))
            .filter(versions::status.eq(VersionStatus::Draft.as_str()))
            .filter(versions::revision.eq(current.revision)),
    )
    .set((
        versions::name.eq(name),
        versions::content.eq(content),
        versions::content_hash.eq(hash),
        versions::revision.eq(current.revision + 1),
        versions::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn publish(
    conn: &mut DbConn,
    current: &BookVersionRow,
    by: Option<&str>,
    now: NaiveDateTime,
) -> ApiResult<bool> {
    let n = diesel::update(
        versions::table
            .filter(versions::id.eq(&current.id))
            .filter(versions::status.eq(VersionStatus::Draft.as_str()))
            .filter(versions::revision.eq(current.revision)),
    )
    .set((
        versions::status.eq(VersionStatus::Published.as_str()),
        versions::revision.eq(current.revision + 1),
        versions::published_at.eq(now),
        versions::published_by.eq(by),
        versions::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
