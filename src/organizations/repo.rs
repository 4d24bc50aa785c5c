use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{OrganizationChanges, OrganizationRow};
use crate::db::schema::organizations;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};

pub fn insert(conn: &mut DbConn, row: &OrganizationRow) -> ApiResult<()> {
    diesel::insert_into(organizations::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<OrganizationRow> {
    organizations::table
        .find(id)
        .select(OrganizationRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such organization".into()))
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> ApiResult<Option<OrganizationRow>> {
    Ok(organizations::table
        .filter(organizations::name.eq(name))
        .select(OrganizationRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Applies `changes` if the stored version is still `expected` (when given); 412 otherwise.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: Option<i32>,
    changes: &OrganizationChanges,
    now: NaiveDateTime,
) -> ApiResult<OrganizationRow> {
    let current = find(conn, id)?;
    if expected.is_some_and(|v| v != current.version) {
        return Err(ApiError::PreconditionFailed(format!(
            "the organization changed; its version is now {}",
            current.version
        )));
    }
    crate::auth::identities::organization_changed(id);
    let updated = diesel::update(
        organizations::table
            .filter(organizations::id.eq(id))
            .filter(organizations::version.eq(current.version)),
    )
    .set((
        changes,
        organizations::version.eq(current.version + 1),
        organizations::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed(
            "the organization changed while this update ran".into(),
        ));
    }
    find(conn, id)
}
