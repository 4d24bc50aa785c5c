//! Shopper profiles and exclusions, inside the caller's transaction.

use chrono::NaiveDateTime;

use super::dto::{AddExclusion, Exclusion, ShopperProfile, UpdateProfile};
use super::model::{ExclusionRow, ProfileRow};
use super::repo;
use crate::auth::rules::Role;
use crate::db::schema::locations;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::users::model::UserRow;
use crate::users::repo as users;
use diesel::prelude::*;

/// A shopper of the organization; anyone else is 404 here.
pub fn find_shopper(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<UserRow> {
    users::find_in_org(conn, org_id, id)
        .ok()
        .filter(|u| u.role == Role::Shopper.as_str())
        .ok_or_else(|| ApiError::NotFound("no such shopper".into()))
}

pub fn profile(conn: &mut DbConn, shopper: &UserRow) -> ApiResult<ShopperProfile> {
    let row = repo::find_profile(conn, &shopper.id)?;
    let exclusions = repo::exclusions_of(conn, &shopper.id)?
        .into_iter()
        .map(|(e, code, name)| {
            Ok(Exclusion {
                location_id: e.location_id.parse().map_err(ApiError::internal)?,
                location_code: code,
                location_name: name,
                reason: e.reason,
                created_by: e.created_by.and_then(|id| id.parse().ok()),
                created_at: e.created_at.and_utc(),
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(ShopperProfile {
        user_id: shopper.id.parse().map_err(ApiError::internal)?,
        display_name: shopper.display_name.clone(),
        home_region: row.as_ref().and_then(|r| r.home_region.clone()),
        languages: match &row {
            Some(r) => serde_json::from_str(&r.languages).map_err(ApiError::internal)?,
            None => Vec::new(),
        },
        segments: match &row {
            Some(r) => serde_json::from_str(&r.segments).map_err(ApiError::internal)?,
            None => Vec::new(),
        },
        exclusions,
        version: row.map_or(0, |r| r.version),
    })
}

pub fn save_profile(
    conn: &mut DbConn,
    shopper: &UserRow,
    input: UpdateProfile,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<ShopperProfile> {
    let home_region = input.home_region.map(|r| r.trim().to_string());
    let current = repo::find_profile(conn, &shopper.id)?;
    let current_version = current.as_ref().map_or(0, |r| r.version);
    if expected.is_some_and(|e| e != current_version) {
        return Err(ApiError::PreconditionFailed(format!(
            "the profile changed; its version is now {current_version}"
        )));
    }
    let mut segments = input.segments;
    segments.sort_by_key(|s| s.as_str());
    segments.dedup();
    let row = ProfileRow {
        user_id: shopper.id.clone(),
        organization_id: shopper.organization_id.clone(),
        home_region,
        languages: serde_json::to_string(&input.languages).map_err(ApiError::internal)?,
        segments: serde_json::to_string(&segments).map_err(ApiError::internal)?,
        version: current_version + 1,
        updated_at: now,
    };
    let saved = match current {
        None => repo::insert_profile(conn, &row).map(|_| true)?,
        Some(_) => repo::update_profile(conn, &row)?,
    };
    if !saved {
        return Err(ApiError::PreconditionFailed(
            "the profile changed while saving".into(),
        ));
    }
    profile(conn, shopper)
}

/// Records that `shopper` is known at a location named by id or code.
pub fn add_exclusion(
    conn: &mut DbConn,
    shopper: &UserRow,
    input: AddExclusion,
    by: Option<&str>,
    now: NaiveDateTime,
) -> ApiResult<ShopperProfile> {
    let org = shopper.organization_id.as_str();
    let mut query = locations::table
        .filter(locations::organization_id.eq(org))
        .select(locations::id)
        .into_boxed();
    query = match (&input.location_id, &input.location_code) {
        (Some(id), None) => query.filter(locations::id.eq(id.to_string())),
        (None, Some(code)) => query.filter(locations::code.eq(code.trim().to_string())),
        _ => {
            return Err(ApiError::unprocessable(
                "location_id",
                "give exactly one of location_id and location_code",
            ))
        }
    };
    let location_id = query
        .get_result::<String>(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::unprocessable("location_id", "no such location in this organization")
        })?;
    repo::add_exclusion(
        conn,
        &ExclusionRow {
            shopper_id: shopper.id.clone(),
            location_id,
            organization_id: org.to_string(),
            reason: input
                .reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty()),
            created_by: by.map(str::to_string),
            created_at: now,
        },
    )?;
    profile(conn, shopper)
}
