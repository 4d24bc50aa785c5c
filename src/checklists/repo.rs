use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{ChecklistRow, ChecklistVersionRow};
use crate::db::schema::{checklist_versions as versions, checklists};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::standards::dto::VersionStatus;

pub fn insert_checklist(conn: &mut DbConn, row: &ChecklistRow) -> ApiResult<()> {
    diesel::insert_into(checklists::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_version(conn: &mut DbConn, row: &ChecklistVersionRow) -> ApiResult<()> {
    diesel::insert_into(versions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_checklist(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<ChecklistRow> {
    checklists::table
        .filter(checklists::id.eq(id))
        .select(ChecklistRow::as_select())
        .get_result::<ChecklistRow>(conn)
        .optional()?
        .filter(|row| row.organization_id == org_id)
        .ok_or_else(|| ApiError::NotFound("no such checklist".into()))
}

pub fn rename_checklist(
    conn: &mut DbConn,
    id: &str,
    name: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    diesel::update(checklists::table.find(id))
        .set((checklists::name.eq(name), checklists::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn list_checklists(
    conn: &mut DbConn,
    org_id: &str,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<ChecklistRow>> {
    let mut query = checklists::table
        .filter(checklists::organization_id.eq(org_id))
        .select(ChecklistRow::as_select())
        .order(checklists::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(checklists::id.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

/// (checklist id, version id, version, status, channel, published_at), newest first.
pub type VersionSummaryRow = (String, String, i32, String, String, Option<NaiveDateTime>);

pub fn version_summaries(
    conn: &mut DbConn,
    checklist_ids: &[String],
) -> ApiResult<Vec<VersionSummaryRow>> {
    Ok(versions::table
        .filter(versions::checklist_id.eq_any(checklist_ids))
        .select((
            versions::checklist_id,
            versions::id,
            versions::version,
            versions::status,
            versions::channel,
            versions::published_at,
        ))
        .order((versions::checklist_id.asc(), versions::version.desc()))
        .load(conn)?)
}

pub fn find_version(
    conn: &mut DbConn,
    org_id: &str,
    checklist_id: &str,
    version: i32,
) -> ApiResult<ChecklistVersionRow> {
    versions::table
        .filter(versions::organization_id.eq(org_id))
        .filter(versions::checklist_id.eq(checklist_id))
        .filter(versions::version.eq(version))
        .select(ChecklistVersionRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such version of this checklist".into()))
}

pub fn latest_version(conn: &mut DbConn, checklist_id: &str) -> ApiResult<ChecklistVersionRow> {
    Ok(versions::table
        .filter(versions::checklist_id.eq(checklist_id))
        .order(versions::version.desc())
        .select(ChecklistVersionRow::as_select())
        .first(conn)?)
}

pub fn update_draft(
    conn: &mut DbConn,
    current: &ChecklistVersionRow,
    name: &str,
    book_version_id: &str,
    channel: &str,
    content: &str,
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
        versions::book_version_id.eq(book_version_id),
        versions::channel.eq(channel),
        versions::content.eq(content),
        versions::revision.eq(current.revision + 1),
        versions::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn publish(
    conn: &mut DbConn,
    current: &ChecklistVersionRow,
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

/// A version of the organization by its own id.
pub fn find_version_by_id(
    conn: &mut DbConn,
    org_id: &str,
    id: &str,
) -> ApiResult<Option<ChecklistVersionRow>> {
    Ok(versions::table
        .filter(versions::id.eq(id))
        .select(ChecklistVersionRow::as_select())
        .get_result::<ChecklistVersionRow>(conn)
        .optional()?
        .filter(|row| row.organization_id == org_id))
}
