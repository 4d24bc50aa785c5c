use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::locations;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = locations)]
pub struct LocationRow {
    pub id: String,
    pub organization_id: String,
    pub code: String,
    pub name: String,
    pub region: String,
    pub segment: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub geofence_radius_m: i32,
    pub time_zone: String,
    /// JSON array of channel names.
    pub channels: String,
    pub active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = locations)]
pub struct LocationChanges {
    pub code: Option<String>,
    pub name: Option<String>,
    pub region: Option<String>,
    pub segment: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub geofence_radius_m: Option<i32>,
    pub time_zone: Option<String>,
    pub channels: Option<String>,
    pub active: Option<bool>,
}
