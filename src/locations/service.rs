//! Creating and changing locations, checked by the rules, inside the caller's transaction.

use chrono::NaiveDateTime;

use super::csv_import::{self, in_row};
use super::dto::{CreateLocation, Location, LocationImportReport, Segment, UpdateLocation};
use super::model::{LocationChanges, LocationRow};
use super::repo;
use super::rules::time_zone_problem;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::organizations::repo as organizations;
use crate::standards::dto::Channel;
use crate::validation::reject_if_any;

/// What a location's schema cannot state: its time zone must be a known one.
fn fields(row: &LocationRow) -> Vec<FieldError> {
    time_zone_problem(&row.time_zone)
        .map(|p| FieldError::new("time_zone", p))
        .into_iter()
        .collect()
}

fn channels_json(channels: &[Channel]) -> String {
    serde_json::to_string(channels).unwrap_or_else(|_| "[]".into())
}

/// The row for `input`, and its problems.
fn new_row(
    org_id: &str,
    input: CreateLocation,
    default_radius: i32,
    now: NaiveDateTime,
) -> (LocationRow, Vec<FieldError>) {
    let row = LocationRow {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: org_id.to_string(),
        code: input.code.trim().to_string(),
        name: input.name.trim().to_string(),
        region: input.region.trim().to_string(),
        segment: input.segment.as_str().to_string(),
        address: input.address.trim().to_string(),
        latitude: input.latitude,
        longitude: input.longitude,
        geofence_radius_m: input.geofence_radius_m.unwrap_or(default_radius),
        time_zone: input.time_zone.trim().to_string(),
        channels: channels_json(&input.channels),
        active: input.active.unwrap_or(true),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let problems = fields(&row);
    (row, problems)
}

pub fn create(
    conn: &mut DbConn,
    org_id: &str,
    input: CreateLocation,
    now: NaiveDateTime,
) -> ApiResult<LocationRow> {
    let radius = organizations::find(conn, org_id)?.geofence_radius_m;
    let (row, problems) = new_row(org_id, input, radius, now);
    reject_if_any(problems)?;
    repo::insert(conn, &row)?;
    Ok(row)
}

pub fn update(
    conn: &mut DbConn,
    org_id: &str,
    id: &str,
    input: UpdateLocation,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<LocationRow> {
    let current = repo::find(conn, org_id, id)?;
    let merged = LocationRow {
        code: input
            .code
            .clone()
            .map(|s| s.trim().to_string())
            .unwrap_or(current.code.clone()),
        name: input
            .name
            .clone()
            .map(|s| s.trim().to_string())
            .unwrap_or(current.name.clone()),
        region: input
            .region
            .clone()
            .map(|s| s.trim().to_string())
            .unwrap_or(current.region.clone()),
        address: input
            .address
            .clone()
            .map(|s| s.trim().to_string())
            .unwrap_or(current.address.clone()),
        latitude: input.latitude.unwrap_or(current.latitude),
        longitude: input.longitude.unwrap_or(current.longitude),
        geofence_radius_m: input.geofence_radius_m.unwrap_or(current.geofence_radius_m),
        time_zone: input
            .time_zone
            .clone()
            .map(|s| s.trim().to_string())
            .unwrap_or(current.time_zone.clone()),
        ..current.clone()
    };
    reject_if_any(fields(&merged))?;
    let changes = LocationChanges {
        code: input.code.map(|_| merged.code.clone()),
        name: input.name.map(|_| merged.name.clone()),
        region: input.region.map(|_| merged.region.clone()),
        segment: input.segment.map(|s| s.as_str().to_string()),
        address: input.address.map(|_| merged.address.clone()),
        latitude: input.latitude,
        longitude: input.longitude,
        geofence_radius_m: input.geofence_radius_m,
        time_zone: input.time_zone.map(|_| merged.time_zone.clone()),
        channels: input.channels.map(|c| channels_json(&c)),
        active: input.active,
    };
    repo::update(conn, &current, expected, &changes, now)
}

/// Imports a CSV file: all rows or none, unless `partial`, when the valid rows are kept.
pub fn import_csv(
    conn: &mut DbConn,
    org_id: &str,
    text: &str,
    partial: bool,
    now: NaiveDateTime,
) -> ApiResult<LocationImportReport> {
    let radius = organizations::find(conn, org_id)?.geofence_radius_m;
    let (parsed, mut errors) = csv_import::parse(text).map_err(ApiError::Unprocessable)?;
    let codes: Vec<String> = parsed
        .iter()
        .map(|p| p.location.code.trim().to_string())
        .collect();
    let taken = repo::existing_codes(conn, org_id, &codes)?;
    let mut rows = Vec::new();
    for p in parsed {
        // A row is held to the same contract as a location created one at a time.
        let as_sent = serde_json::to_value(&p.location).map_err(ApiError::internal)?;
        let mut problems = crate::contract::contract()
            .check_body("CreateLocation", &as_sent)
            .err()
            .unwrap_or_default();
        let (row, rules) = new_row(org_id, p.location, radius, now);
        problems.extend(rules);
        let mut problems = in_row(p.row, problems);
        if taken.contains(&row.code) {
            problems.push(FieldError::new(
                format!("rows[{}].code", p.row),
                "another location already has this code",
            ));
        }
        if problems.is_empty() {
            rows.push(row);
        } else {
            errors.extend(problems);
        }
    }
    if !errors.is_empty() && !partial {
        return Err(ApiError::Unprocessable(errors));
    }
    repo::insert_many(conn, &rows)?;
    Ok(LocationImportReport {
        created: rows.len(),
        errors,
    })
}

pub fn to_dto(row: LocationRow) -> ApiResult<Location> {
    Ok(Location {
        id: row.id.parse().map_err(ApiError::internal)?,
        segment: Segment::parse(&row.segment)
            .ok_or_else(|| ApiError::internal("unknown segment stored"))?,
        channels: serde_json::from_str(&row.channels).map_err(ApiError::internal)?,
        code: row.code,
        name: row.name,
        region: row.region,
        address: row.address,
        latitude: row.latitude,
        longitude: row.longitude,
        geofence_radius_m: row.geofence_radius_m,
        time_zone: row.time_zone,
        active: row.active,
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}
