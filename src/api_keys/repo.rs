use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::ApiKeyRow;
use crate::db::schema::api_keys;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};

pub fn insert(conn: &mut DbConn, row: &ApiKeyRow) -> ApiResult<()> {
    diesel::insert_into(api_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_prefix(conn: &mut DbConn, prefix: &str) -> ApiResult<Option<ApiKeyRow>> {
    Ok(api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .select(ApiKeyRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn find_in_org(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<ApiKeyRow> {
    api_keys::table
        .filter(api_keys::id.eq(id))
        .select(ApiKeyRow::as_select())
        .get_result::<ApiKeyRow>(conn)
        .optional()?
        .filter(|row| row.organization_id == org_id)
        .ok_or_else(|| ApiError::NotFound("no such API key".into()))
}

pub fn touch_last_used(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<()> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn list(
    conn: &mut DbConn,
    org_id: &str,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<ApiKeyRow>> {
    let mut query = api_keys::table
        .filter(api_keys::organization_id.eq(org_id))
        .select(ApiKeyRow::as_select())
        .order(api_keys::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(api_keys::id.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

/// Revokes a key of `org_id`. Revoking a revoked key again is a no-op (idempotent DELETE).
pub fn revoke(conn: &mut DbConn, org_id: &str, id: &str, now: NaiveDateTime) -> ApiResult<()> {
    find_in_org(conn, org_id, id)?;
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}
