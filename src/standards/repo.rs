use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::BookVersionRow;
use crate::db::schema::standards_book_versions as versions;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::standards::dto::VersionStatus;

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
