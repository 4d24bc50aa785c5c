use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::FieldError;
use crate::standards::dto::Channel;

/// Business or consumer customers: they expect different things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    B2c,
    B2b,
}

impl Segment {
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::B2c => "b2c",
            Segment::B2b => "b2b",
        }
    }

    pub fn parse(s: &str) -> Option<Segment> {
        match s {
            "b2c" => Some(Segment::B2c),
            "b2b" => Some(Segment::B2b),
            _ => None,
        }
    }
}

/// A place (branch, store, call centre) whose service is shopped.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Location {
    pub id: uuid::Uuid,
    /// Unique within the organization.
    pub code: String,
    pub name: String,
    pub region: String,
    pub segment: Segment,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Check-ins farther than this from the location are flagged.
    pub geofence_radius_m: i32,
    /// IANA time zone, e.g. `Europe/Berlin`: a visit counts for its local date here.
    pub time_zone: String,
    pub channels: Vec<Channel>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new location. `geofence_radius_m` defaults to the organization's setting.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLocation {
    pub code: String,
    pub name: String,
    pub region: String,
    pub segment: Segment,
    #[serde(default)]
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub geofence_radius_m: Option<i32>,
    pub time_zone: String,
    pub channels: Vec<Channel>,
    pub active: Option<bool>,
}

/// A partial update: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLocation {
    pub code: Option<String>,
    pub name: Option<String>,
    pub region: Option<String>,
    pub segment: Option<Segment>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub geofence_radius_m: Option<i32>,
    pub time_zone: Option<String>,
    pub channels: Option<Vec<Channel>>,
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocationList {
    pub items: Vec<Location>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationFilter {
    pub region: Option<String>,
    pub segment: Option<Segment>,
    /// Locations that serve this channel.
    pub channel: Option<Channel>,
    /// Case-insensitive text in the code, name or address.
    pub q: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportOptions {
    /// Keep the valid rows even when others have errors (default: all or nothing).
    pub partial: Option<bool>,
}

/// What a CSV import did. Row numbers count data rows from 1 (the header is row 0).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocationImportReport {
    pub created: usize,
    /// Problems by row (`rows[3].latitude`); the rows named were not imported.
    pub errors: Vec<FieldError>,
}
