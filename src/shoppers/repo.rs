use diesel::prelude::*;

use super::model::{ExclusionRow, ProfileRow};
use crate::db::schema::{
    locations, shopper_exclusions as exclusions, shopper_profiles as profiles,
};
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::per_backend;

pub fn find_profile(conn: &mut DbConn, user_id: &str) -> ApiResult<Option<ProfileRow>> {
    Ok(profiles::table
        .find(user_id)
        .select(ProfileRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn insert_profile(conn: &mut DbConn, row: &ProfileRow) -> ApiResult<()> {
    diesel::insert_into(profiles::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Writes the profile when it is still at `row.version - 1`; false when it moved on.
pub fn update_profile(conn: &mut DbConn, row: &ProfileRow) -> ApiResult<bool> {
    let n = diesel::update(
        profiles::table
            .filter(profiles::user_id.eq(&row.user_id))
            .filter(profiles::version.eq(row.version - 1)),
    )
    .set((
        profiles::home_region.eq(&row.home_region),
        profiles::languages.eq(&row.languages),
        profiles::segments.eq(&row.segments),
        profiles::version.eq(row.version),
        profiles::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// An exclusion with its location's code and name.
pub type ExclusionView = (ExclusionRow, String, String);

pub fn exclusions_of(conn: &mut DbConn, shopper_id: &str) -> ApiResult<Vec<ExclusionView>> {
    Ok(exclusions::table
        .inner_join(locations::table)
        .filter(exclusions::shopper_id.eq(shopper_id))
        .order(locations::code.asc())
        .select((ExclusionRow::as_select(), locations::code, locations::name))
        .load(conn)?)
}

/// Records an exclusion; recording it again changes nothing.
pub fn add_exclusion(conn: &mut DbConn, row: &ExclusionRow) -> ApiResult<()> {
    let insert = diesel::insert_into(exclusions::table)
        .values(row)
        .on_conflict((exclusions::shopper_id, exclusions::location_id))
        .do_nothing();
    per_backend!(conn, |c| insert.execute(c))?;
    Ok(())
}

pub fn remove_exclusion(
    conn: &mut DbConn,
    shopper_id: &str,
    location_id: &str,
) -> ApiResult<usize> {
    Ok(diesel::delete(
        exclusions::table
            .filter(exclusions::shopper_id.eq(shopper_id))
            .filter(exclusions::location_id.eq(location_id)),
    )
    .execute(conn)?)
}
