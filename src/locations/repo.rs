use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::dto::LocationFilter;
use super::model::{LocationChanges, LocationRow};
use crate::db::schema::locations;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::per_backend;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

fn code_taken(e: diesel::result::Error) -> ApiError {
    match ApiError::from(e) {
        ApiError::Conflict { .. } => ApiError::conflict("another location already has this code"),
        other => other,
    }
}

pub fn insert(conn: &mut DbConn, row: &LocationRow) -> ApiResult<()> {
    diesel::insert_into(locations::table)
        .values(row)
        .execute(conn)
        .map_err(code_taken)?;
    Ok(())
}

/// Many rows in one statement.
pub fn insert_many(conn: &mut DbConn, rows: &[LocationRow]) -> ApiResult<()> {
    for chunk in rows.chunks(500) {
        let insert = diesel::insert_into(locations::table).values(chunk);
        per_backend!(conn, |c| insert.execute(c)).map_err(code_taken)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<LocationRow> {
    locations::table
        .filter(locations::id.eq(id))
        .select(LocationRow::as_select())
        .get_result::<LocationRow>(conn)
        .optional()?
        .filter(|row| row.organization_id == org_id)
        .ok_or_else(|| ApiError::NotFound("no such location".into()))
}

pub fn find_by_code(conn: &mut DbConn, org_id: &str, code: &str) -> ApiResult<LocationRow> {
    locations::table
        .filter(locations::organization_id.eq(org_id))
        .filter(locations::code.eq(code))
        .select(LocationRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound(format!("no location {code}")))
}

/// Codes of the organization among `codes` that are taken already.
pub fn existing_codes(conn: &mut DbConn, org_id: &str, codes: &[String]) -> ApiResult<Vec<String>> {
    let mut taken = Vec::new();
    for chunk in codes.chunks(500) {
        taken.extend(
            locations::table
                .filter(locations::organization_id.eq(org_id))
                .filter(locations::code.eq_any(chunk))
                .select(locations::code)
                .load::<String>(conn)?,
        );
    }
    Ok(taken)
}

/// Every location of the organization: id → (code, region), for reports that name groups.
pub fn codes_and_regions(
    conn: &mut DbConn,
    org_id: &str,
) -> ApiResult<std::collections::HashMap<String, (String, String)>> {
    Ok(locations::table
        .filter(locations::organization_id.eq(org_id))
        .select((locations::id, locations::code, locations::region))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, region)| (id, (code, region)))
        .collect())
}

pub fn list(
    conn: &mut DbConn,
    org_id: &str,
    filter: &LocationFilter,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<LocationRow>> {
    let mut query = locations::table
        .filter(locations::organization_id.eq(org_id))
        .select(LocationRow::as_select())
        .order(locations::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(region) = &filter.region {
        query = query.filter(locations::region.eq(region.clone()));
    }
    if let Some(segment) = filter.segment {
        query = query.filter(locations::segment.eq(segment.as_str()));
    }
    if let Some(channel) = filter.channel {
        query = query.filter(locations::channels.like(format!("%\"{}\"%", channel.as_str())));
    }
    if let Some(active) = filter.active {
        query = query.filter(locations::active.eq(active));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        query = query.filter(
            lower(locations::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(locations::code).like(pattern.clone()).escape('\\'))
                .or(lower(locations::address).like(pattern).escape('\\')),
        );
    }
    if let Some(after) = after {
        query = query.filter(locations::id.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

pub fn update(
    conn: &mut DbConn,
    current: &LocationRow,
    expected: Option<i32>,
    changes: &LocationChanges,
    now: NaiveDateTime,
) -> ApiResult<LocationRow> {
    if expected.is_some_and(|v| v != current.version) {
        return Err(ApiError::PreconditionFailed(format!(
            "the location changed; its version is now {}",
            current.version
        )));
    }
    let n = diesel::update(
        locations::table
            .filter(locations::id.eq(&current.id))
            .filter(locations::version.eq(current.version)),
    )
    .set((
        changes,
        locations::version.eq(current.version + 1),
        locations::updated_at.eq(now),
    ))
    .execute(conn)
    .map_err(code_taken)?;
    if n == 0 {
        return Err(ApiError::PreconditionFailed(
            "the location changed while this update ran".into(),
        ));
    }
    find(conn, &current.organization_id, &current.id)
}
