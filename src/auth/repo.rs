use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::RefreshTokenRow;
use crate::db::schema::{login_throttle, refresh_tokens, sessions};
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::per_backend;

pub fn insert_refresh_token(conn: &mut DbConn, row: &RefreshTokenRow) -> ApiResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_refresh_token(
    conn: &mut DbConn,
    token_hash: &str,
) -> ApiResult<Option<RefreshTokenRow>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn find_refresh_token_by_id(conn: &mut DbConn, id: &str) -> ApiResult<Option<RefreshTokenRow>> {
    Ok(refresh_tokens::table
        .find(id)
        .select(RefreshTokenRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Marks a token spent by its successor. Returns false when another request spent it first.
pub fn spend_refresh_token(
    conn: &mut DbConn,
    id: &str,
    successor: &str,
    now: NaiveDateTime,
) -> ApiResult<bool> {
    let updated = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set((
        refresh_tokens::used_at.eq(now),
        refresh_tokens::replaced_by.eq(successor),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn set_successor(conn: &mut DbConn, id: &str, successor: &str) -> ApiResult<()> {
    diesel::update(refresh_tokens::table.find(id))
        .set(refresh_tokens::replaced_by.eq(successor))
        .execute(conn)?;
    Ok(())
}

pub fn revoke_refresh_token(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// A new session (one sign-in); its id is also the id of its refresh-token family.
pub fn start_session(
    conn: &mut DbConn,
    id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends a session: every refresh token of its family is revoked and its access tokens stop
/// working at once.
pub fn revoke_family(conn: &mut DbConn, family_id: &str, now: NaiveDateTime) -> ApiResult<()> {
    super::identities::session_ended(family_id);
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(family_id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// When logins for `email` are refused until, if they are.
pub fn blocked_until(conn: &mut DbConn, email: &str) -> ApiResult<Option<NaiveDateTime>> {
    Ok(login_throttle::table
        .find(email)
        .select(login_throttle::blocked_until)
        .get_result::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten())
}

/// Counts one more failed login for `email` (forgetting failures older than `window_start`) and
/// returns the new count. Atomic: concurrent failures each count.
pub fn record_login_failure(
    conn: &mut DbConn,
    email: &str,
    now: NaiveDateTime,
    window_start: NaiveDateTime,
) -> ApiResult<i32> {
    diesel::delete(
        login_throttle::table
            .filter(login_throttle::email.eq(email))
            .filter(login_throttle::last_failure_at.lt(window_start)),
    )
    .execute(conn)?;
    let upsert = diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::email.eq(email),
            login_throttle::failures.eq(1),
            login_throttle::last_failure_at.eq(now),
        ))
        .on_conflict(login_throttle::email)
        .do_update()
        .set((
            login_throttle::failures.eq(login_throttle::failures + 1),
            login_throttle::last_failure_at.eq(now),
        ));
    per_backend!(conn, |c| upsert.execute(c))?;
    Ok(login_throttle::table
        .find(email)
        .select(login_throttle::failures)
        .get_result(conn)?)
}

pub fn block_login(conn: &mut DbConn, email: &str, until: NaiveDateTime) -> ApiResult<()> {
    diesel::update(login_throttle::table.find(email))
        .set(login_throttle::blocked_until.eq(until))
        .execute(conn)?;
    Ok(())
}

pub fn clear_login_failures(conn: &mut DbConn, email: &str) -> ApiResult<()> {
    diesel::delete(login_throttle::table.find(email)).execute(conn)?;
    Ok(())
}
