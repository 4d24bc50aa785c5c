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
    let exists = api_keys::table
        .filter(api_keys::organization_id.eq(org_id))
        .filter(api_keys::id.eq(id))
        .select(api_keys::id)
        .first::<String>(conn)
        .optional()?;
    if exists.is_none() {
        return Err(ApiError::NotFound("no such API key".into()));
    }
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}
