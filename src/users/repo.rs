use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{UserChanges, UserRow};
use crate::auth::identities;
use crate::auth::rules::Role;
use crate::db::schema::{organizations, refresh_tokens, sessions, users};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::organizations::model::OrganizationRow;

pub fn insert(conn: &mut DbConn, row: &UserRow) -> ApiResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map_err(|e| match ApiError::from(e) {
            ApiError::Conflict { .. } => {
                ApiError::conflict("a user with this email already exists in the organization")
            }
            other => other,
        })?;
    Ok(())
}

/// A user of `org_id`; another organization's user is 404 like a missing one.
pub fn find_in_org(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<UserRow> {
    users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .get_result::<UserRow>(conn)
        .optional()?
        .filter(|row| row.organization_id == org_id)
        .ok_or_else(|| ApiError::NotFound("no such user".into()))
}

/// An active user by id alone (sessions and tokens know the id, not the organization).
pub fn find_active(conn: &mut DbConn, id: &str) -> ApiResult<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// An active user of `org_id` whose session `session_id` has not ended, with their
/// organization: what a signed-in request is confirmed with (`auth::identities` keeps it).
pub fn in_session(
    conn: &mut DbConn,
    org_id: &str,
    id: &str,
    session_id: &str,
) -> ApiResult<Option<(UserRow, OrganizationRow)>> {
    Ok(users::table
        .inner_join(sessions::table)
        .inner_join(organizations::table)
        .filter(users::id.eq(id))
        .filter(users::organization_id.eq(org_id))
        .filter(users::active.eq(true))
        .filter(sessions::id.eq(session_id))
        .filter(sessions::ended_at.is_null())
        .select((UserRow::as_select(), OrganizationRow::as_select()))
        .get_result(conn)
        .optional()?)
}

/// The user of `org_id` with this (normalized) email; emails are unique per organization.
pub fn find_by_email(conn: &mut DbConn, org_id: &str, email: &str) -> ApiResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::organization_id.eq(org_id))
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Every account holding this email (one per organization at most), or only the one of
/// `org_id`: what sign-in tries.
pub fn with_email(conn: &mut DbConn, email: &str, org_id: Option<&str>) -> ApiResult<Vec<UserRow>> {
    let mut query = users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .order(users::id)
        .into_boxed();
    if let Some(org_id) = org_id {
        query = query.filter(users::organization_id.eq(org_id.to_string()));
    }
    Ok(query.load(conn)?)
}

/// One page (plus one row, to tell whether more follow) in id order, i.e. creation order.
pub fn list(
    conn: &mut DbConn,
    org_id: &str,
    role: Option<Role>,
    active: Option<bool>,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<UserRow>> {
    let mut query = users::table
        .filter(users::organization_id.eq(org_id))
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(active) = active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

pub fn count_active_admins(conn: &mut DbConn, org_id: &str) -> ApiResult<i64> {
    Ok(users::table
        .filter(users::organization_id.eq(org_id))
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?)
}

/// Applies `changes` when the version still matches (if one is expected), bumping it.
pub fn update(
    conn: &mut DbConn,
    current: &UserRow,
    expected: Option<i32>,
    changes: &UserChanges,
    now: NaiveDateTime,
) -> ApiResult<UserRow> {
    if expected.is_some_and(|v| v != current.version) {
        return Err(ApiError::PreconditionFailed(format!(
            "the user changed; their version is now {}",
            current.version
        )));
    }
    identities::user_changed(&current.id);
    let updated = diesel::update(
        users::table
            .filter(users::id.eq(&current.id))
            .filter(users::version.eq(current.version)),
    )
    .set((
        changes,
        users::version.eq(current.version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed(
            "the user changed while this update ran".into(),
        ));
    }
    find_in_org(conn, &current.organization_id, &current.id)
}

pub fn record_login(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<()> {
    identities::user_changed(id);
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of a user (deactivation, password change or reset): their refresh tokens
/// stop working and so do their access tokens, at once.
pub fn revoke_sessions(conn: &mut DbConn, user_id: &str, now: NaiveDateTime) -> ApiResult<()> {
    identities::user_changed(user_id);
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// The organization's active shoppers.
pub fn active_shoppers(conn: &mut DbConn, org_id: &str) -> ApiResult<Vec<UserRow>> {
    Ok(users::table
        .filter(users::organization_id.eq(org_id))
        .filter(users::role.eq(crate::auth::rules::Role::Shopper.as_str()))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .load(conn)?)
}
