use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::ChecklistVersionRow;
use crate::db::schema::checklist_versions as versions;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};

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
